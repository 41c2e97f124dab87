/* Fuzz the sysfs readers (meminfo, hugepages, isolated, nohz_full, cache ids) on a 2-node host. */
#include <ctype.h>

#include "fuzz.h"
#include "vmplan/error.h"
#include "vmplan/probe.h"

/* Piece 0 names the hugepage pool directory (sanitised); the rest fill these files. */
static const char *const files[] = {
    "sys/devices/system/node/node0/meminfo",
    "sys/devices/system/node/node1/meminfo",
    "sys/devices/system/node/node0/hugepages/%s/nr_hugepages",
    "sys/devices/system/node/node0/hugepages/%s/free_hugepages",
    "sys/devices/system/cpu/isolated",
    "sys/devices/system/cpu/nohz_full",
    "sys/devices/system/cpu/cpu0/cache/index3/level",
    "sys/devices/system/cpu/cpu0/cache/index3/id",
    "sys/kernel/mm/hugepages/%s/nr_hugepages",
};
#define NFILES ((int)(sizeof(files) / sizeof(files[0])))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_piece p[NFILES + 1];
	int n = fuzz_split(p, NFILES + 1, data, size);
	char pool[48] = "hugepages-2048kB", rel[256];
	vmp_host *h = NULL;

	fuzz_dir();
	fuzz_clean();
	if (n > 1) {
		size_t k = 0;
		for (size_t i = 0; i < p[0].len && k < sizeof(pool) - 1; i++)
			if (isalnum(p[0].data[i]) || p[0].data[i] == '-')
				pool[k++] = (char)p[0].data[i];
		pool[k] = '\0';
		if (!k)
			snprintf(pool, sizeof(pool), "x");
	}
	for (int i = 1; i < n; i++) {
		snprintf(rel, sizeof(rel), files[i - 1], pool);
		fuzz_write(rel, p[i].data, p[i].len);
	}
	/* The reader completes a host in place: give it a fresh one each time. */
	if (vmp_probe_synthetic(&h, "pack:2 [numa(memory=1GB)] l3:1 core:2 pu:2") != VMP_OK)
		abort();
	if (vmp_probe_sysfs(h, fuzz_dir()) != VMP_OK && !vmp_error_last()[0])
		abort();
	vmp_host_free(h);
	return 0;
}
