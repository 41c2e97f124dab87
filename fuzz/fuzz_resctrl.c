/* Fuzz the resctrl reader: the input, split at "--" lines, fills the files of a resctrl tree. */
#include "fuzz.h"
#include "vmplan/error.h"
#include "vmplan/probe.h"

/* Fixed names only: the input never chooses a path. */
static const char *const files[] = {
    "sys/fs/resctrl/info/L3/cbm_mask",
    "sys/fs/resctrl/info/L3/num_closids",
    "sys/fs/resctrl/info/L3/min_cbm_bits",
    "sys/fs/resctrl/info/L3/shareable_bits",
    "sys/fs/resctrl/schemata",
    "sys/fs/resctrl/g1/schemata",
    "sys/fs/resctrl/info/MB/min_bandwidth",
    "sys/fs/resctrl/info/MB/bandwidth_gran",
    "sys/fs/resctrl/info/MB/delay_linear",
    "sys/fs/resctrl/info/L2/cbm_mask",
    "sys/fs/resctrl/info/L2/num_closids",
    "sys/fs/resctrl/info/L2/min_cbm_bits",
    "proc/mounts",
    "proc/cpuinfo",
};
#define NFILES ((int)(sizeof(files) / sizeof(files[0])))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_piece p[NFILES];
	int n = fuzz_split(p, NFILES, data, size);
	vmp_resctrl rc;

	fuzz_dir();
	fuzz_clean();
	/* Files past the input's pieces are missing, which the reader must also handle. */
	for (int i = 0; i < n; i++)
		fuzz_write(files[i], p[i].data, p[i].len);
	memset(&rc, 0, sizeof(rc));
	if (vmp_probe_resctrl(&rc, fuzz_dir()) != VMP_OK && !vmp_error_last()[0])
		abort();
	return 0;
}
