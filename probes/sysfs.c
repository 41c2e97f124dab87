/* Complete a host from sysfs: memory and hugepages per node, isolated CPUs, the kernel's L3 ids. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/probe.h"

/* Room for the longest cpuset file: every other CPU of VMP_CPUSET_MAX, 5 bytes each. */
#define TEXT_MAX (VMP_CPUSET_MAX / 2 * 5 + 64)

/* root joined with a path that starts with '/'; "/" as root gives the path itself. */
static int join(char *out, size_t size, const char *root, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int join(char *out, size_t size, const char *root, const char *fmt, ...)
{
	size_t len = strlen(root);
	va_list ap;
	int n;

	while (len > 0 && root[len - 1] == '/')
		len--;
	if (len >= size)
		goto toolong;
	memcpy(out, root, len);
	va_start(ap, fmt);
	n = vsnprintf(out + len, size - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - len)
		goto toolong;
	return VMP_OK;
toolong:
	vmp_error_set("cannot read sysfs under '%s': path too long", root);
	return VMP_EINVAL;
}

/*
 * Read a small file into buf (NUL-terminated). A file that is missing or
 * that this process may not read is VMP_ENOTFOUND, without a message: the
 * callers skip it. One larger than buf is garbage.
 */
static int read_text(char *buf, size_t size, const char *path)
{
	return vmp_file_read_text(buf, size, path, "sysfs", true);
}

/* The start of text for a message: up to the first newline, at most 40 bytes. */
static const char *quote(char *buf, size_t size, const char *text)
{
	size_t n = strcspn(text, "\n");

	if (n > 40)
		n = 40;
	if (n >= size)
		n = size - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	return buf;
}

/* One unsigned decimal number, as sysfs writes it; garbage is VMP_EINVAL naming path. */
static int parse_u64(uint64_t *out, char *text, const char *path)
{
	char *s = vmp_str_trim(text), *end, q[48];

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)*s) || errno || *end) {
		vmp_error_set("cannot read sysfs '%s': '%s' is not a number", path,
			      quote(q, sizeof(q), s));
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* A file holding one number; VMP_ENOTFOUND (no message) when it is missing. */
static int read_u64(uint64_t *out, const char *path)
{
	char buf[64];
	int err;

	if ((err = read_text(buf, sizeof(buf), path)) < 0)
		return err;
	return parse_u64(out, buf, path);
}

/*
 * A meminfo file: nodeN/meminfo's "Node 0 MemTotal:  8386704 kB" lines, or
 * (node_lines false) /proc/meminfo's "MemTotal:  8386704 kB". Only MemTotal
 * and MemFree are used; a file without a readable MemTotal is garbage. A
 * missing file leaves the node as it is.
 */
static int read_meminfo(vmp_node *node, const char *path, bool node_lines)
{
	char buf[8192], q[48], want[32];
	uint64_t total = 0, free_kib = 0;
	bool have_total = false, have_free = false;
	char *line, *save = NULL;
	int err;

	if (node_lines)
		snprintf(want, sizeof(want), "Node %d ", node->id);
	else
		want[0] = '\0';
	if ((err = read_text(buf, sizeof(buf), path)) < 0)
		return err == VMP_ENOTFOUND ? VMP_OK : err;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[64], unit[8];
		const char *rest = line;
		uint64_t value;
		int id = node->id, skip = 0, n;

		if (node_lines) {
			if (sscanf(line, "Node %d %n", &id, &skip) != 1 || !skip)
				continue;
			rest = line + skip;
		}
		n = sscanf(rest, "%63[^:]: %" SCNu64 " %7s", key, &value, unit);
		if (n < 1 || (strcmp(key, "MemTotal") && strcmp(key, "MemFree")))
			continue;
		if (n != 3 || id != node->id || strcmp(unit, "kB") || value > UINT64_MAX / 1024) {
			vmp_error_set("cannot read sysfs '%s': '%s' is not '%s%s: N kB'", path,
				      quote(q, sizeof(q), line), want, key);
			return VMP_EINVAL;
		}
		if (!strcmp(key, "MemTotal")) {
			total = value;
			have_total = true;
		} else {
			free_kib = value;
			have_free = true;
		}
	}
	if (!have_total) {
		vmp_error_set("cannot read sysfs '%s': no '%sMemTotal: N kB' line", path, want);
		return VMP_EINVAL;
	}
	if (have_free && free_kib > total) {
		vmp_error_set("cannot read sysfs '%s': MemFree %" PRIu64
			      " kB is more than MemTotal %" PRIu64 " kB",
			      path, free_kib, total);
		return VMP_EINVAL;
	}
	node->memory_bytes = total * 1024;
	node->free_bytes = have_free ? free_kib * 1024 : node->memory_bytes;
	return VMP_OK;
}

static int cmp_hugepages(const void *a, const void *b)
{
	const vmp_hugepages *x = a, *y = b;

	return (x->size_kib > y->size_kib) - (x->size_kib < y->size_kib);
}

/*
 * The pools under dir (hugepages-<size>kB/{nr,free}_hugepages) replace the
 * node's; the smallest VMP_PAGESIZES_MAX sizes are kept. A missing dir
 * leaves the node as it is.
 */
static int read_hugepages(vmp_node *node, const char *dir)
{
	vmp_hugepages pools[64];
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0, err = VMP_OK;
	DIR *d = opendir(dir);

	if (!d)
		return VMP_OK;
	while ((de = readdir(d)) && n < (int)(sizeof(pools) / sizeof(pools[0]))) {
		vmp_hugepages *p = &pools[n];
		char rest[8];

		if (sscanf(de->d_name, "hugepages-%" SCNu64 "%7s", &p->size_kib, rest) != 2 ||
		    strcmp(rest, "kB") || p->size_kib == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/nr_hugepages", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if ((err = read_u64(&p->total, path)) == VMP_ENOTFOUND) {
			err = VMP_OK;
			continue;
		}
		if (err < 0)
			goto out;
		if (snprintf(path, sizeof(path), "%s/%s/free_hugepages", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		p->free = p->total;
		if ((err = read_u64(&p->free, path)) < 0 && err != VMP_ENOTFOUND)
			goto out;
		err = VMP_OK;
		if (p->free > p->total) {
			vmp_error_set("cannot read sysfs '%s': %" PRIu64 " free pages of %" PRIu64,
				      path, p->free, p->total);
			err = VMP_EINVAL;
			goto out;
		}
		n++;
	}
	qsort(pools, (size_t)n, sizeof(pools[0]), cmp_hugepages);
	node->nhugepages = n < VMP_PAGESIZES_MAX ? n : VMP_PAGESIZES_MAX;
	memcpy(node->hugepages, pools, sizeof(pools[0]) * (size_t)node->nhugepages);
out:
	closedir(d);
	return err;
}

/*
 * The pools read from dir fit in the node's memory, as the kernel's always
 * do (vmp_host_check() would refuse the host.json otherwise).
 */
static int check_pools(const vmp_node *node, const char *dir)
{
	uint64_t sum = 0, bytes;

	if (!node->memory_bytes)
		return VMP_OK;
	for (int k = 0; k < node->nhugepages; k++) {
		const vmp_hugepages *p = &node->hugepages[k];

		if (p->size_kib > UINT64_MAX / 1024 ||
		    __builtin_mul_overflow(p->size_kib * 1024, p->total, &bytes) ||
		    __builtin_add_overflow(sum, bytes, &sum) || sum > node->memory_bytes) {
			vmp_error_set(
			    "cannot read sysfs '%s': hugepage pools larger than node %d's "
			    "%" PRIu64 " bytes of memory",
			    dir, node->id, node->memory_bytes);
			return VMP_EINVAL;
		}
	}
	return VMP_OK;
}

/* A cpuset file (isolated, nohz_full); empty, "(null)" (no nohz_full) and missing are none. */
static int read_cpuset(vmp_cpuset *out, const char *path)
{
	char *buf = malloc(TEXT_MAX), *s, q[48];
	int err;

	if (!buf) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	vmp_cpuset_zero(out);
	if ((err = read_text(buf, TEXT_MAX, path)) < 0) {
		if (err == VMP_ENOTFOUND)
			err = VMP_OK;
		goto out;
	}
	s = vmp_str_trim(buf);
	if (!*s || !strcmp(s, "(null)"))
		goto out;
	if (vmp_cpuset_parse(out, s) < 0) {
		vmp_error_set("cannot read sysfs '%s': '%s' is not a cpuset", path,
			      quote(q, sizeof(q), s));
		err = VMP_EINVAL;
	}
out:
	free(buf);
	return err;
}

/*
 * The kernel's id of the L3 that cpu belongs to (cpuN/cache/indexK with
 * level 3): VMP_OK with *id set, VMP_ENOTFOUND when sysfs does not say
 * (older kernels have no id file), VMP_EINVAL for garbage.
 */
static int l3_cache_id(int *id, const char *root, int cpu)
{
	char path[PATH_MAX];
	uint64_t level, value;
	int err;

	for (int k = 0; k < 16; k++) {
		if ((err = join(path, sizeof(path), root,
				"/sys/devices/system/cpu/cpu%d/cache/index%d/level", cpu, k)) < 0)
			return err;
		if ((err = read_u64(&level, path)) == VMP_ENOTFOUND)
			continue;
		if (err < 0)
			return err;
		if (level != 3)
			continue;
		if ((err = join(path, sizeof(path), root,
				"/sys/devices/system/cpu/cpu%d/cache/index%d/id", cpu, k)) < 0 ||
		    (err = read_u64(&value, path)) < 0)
			return err;
		if (value > INT32_MAX) {
			vmp_error_set("cannot read sysfs '%s': cache id %" PRIu64 " out of range",
				      path, value);
			return VMP_EINVAL;
		}
		*id = (int)value;
		return VMP_OK;
	}
	return VMP_ENOTFOUND;
}

/*
 * Give the L3s the kernel's cache ids (what resctrl's schemata and libvirt
 * call them), keep them sorted by id and re-point the cores and PUs. Where
 * sysfs does not name every L3, or names two alike, the ids stay as hwloc
 * numbered them.
 */
static int renumber_l3s(vmp_host *h, const char *root)
{
	int *ids = NULL, *perm = NULL, *index_of = NULL;
	vmp_cache *sorted = NULL;
	int err = VMP_OK;

	if (h->nl3 == 0)
		return VMP_OK;
	ids = calloc((size_t)h->nl3, sizeof(*ids));
	perm = calloc((size_t)h->nl3, sizeof(*perm));
	index_of = calloc((size_t)h->nl3, sizeof(*index_of));
	sorted = calloc((size_t)h->nl3, sizeof(*sorted));
	if (!ids || !perm || !index_of || !sorted) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	for (int i = 0; i < h->nl3; i++) {
		err = l3_cache_id(&ids[i], root, vmp_cpuset_first(&h->l3s[i].cpus));
		if (err == VMP_ENOTFOUND) {
			err = VMP_OK;
			goto out;
		}
		if (err < 0)
			goto out;
		for (int j = 0; j < i; j++)
			if (ids[j] == ids[i])
				goto out;
	}
	/* perm: the old indexes in order of the new ids (insertion sort; few L3s). */
	for (int i = 0; i < h->nl3; i++) {
		int j = i;

		while (j > 0 && ids[perm[j - 1]] > ids[i]) {
			perm[j] = perm[j - 1];
			j--;
		}
		perm[j] = i;
	}
	for (int i = 0; i < h->nl3; i++) {
		sorted[i] = h->l3s[perm[i]];
		sorted[i].id = ids[perm[i]];
		index_of[perm[i]] = i;
	}
	memcpy(h->l3s, sorted, sizeof(*sorted) * (size_t)h->nl3);
	for (int i = 0; i < h->ncores; i++)
		if (h->cores[i].l3 >= 0)
			h->cores[i].l3 = index_of[h->cores[i].l3];
	for (int i = 0; i < h->npus; i++)
		if (h->pus[i].l3 >= 0)
			h->pus[i].l3 = index_of[h->pus[i].l3];
out:
	free(sorted);
	free(index_of);
	free(perm);
	free(ids);
	return err;
}

int vmp_probe_sysfs(vmp_host *host, const char *root)
{
	char path[PATH_MAX], dir[PATH_MAX];
	bool numa_dirs;
	int err;

	if ((err = join(dir, sizeof(dir), root, "/sys/devices/system/node")) < 0)
		return err;
	numa_dirs = access(dir, F_OK) == 0;
	for (int i = 0; i < host->nnodes; i++) {
		vmp_node *node = &host->nodes[i];

		/*
		 * A kernel without NUMA has one node, its memory only in /proc/meminfo
		 * and its pools only under /sys/kernel/mm.
		 */
		if (numa_dirs) {
			if ((err = join(path, sizeof(path), root,
					"/sys/devices/system/node/node%d/meminfo", node->id)) < 0 ||
			    (err = read_meminfo(node, path, true)) < 0 ||
			    (err = join(path, sizeof(path), root,
					"/sys/devices/system/node/node%d/hugepages", node->id)) < 0)
				return err;
		} else if (host->nnodes == 1) {
			if ((err = join(path, sizeof(path), root, "/proc/meminfo")) < 0 ||
			    (err = read_meminfo(node, path, false)) < 0 ||
			    (err = join(path, sizeof(path), root, "/sys/kernel/mm/hugepages")) < 0)
				return err;
		} else {
			continue;
		}
		if ((err = read_hugepages(node, path)) < 0 || (err = check_pools(node, path)) < 0)
			return err;
	}
	if ((err = join(path, sizeof(path), root, "/sys/devices/system/cpu/isolated")) < 0 ||
	    (err = read_cpuset(&host->isolated, path)) < 0 ||
	    (err = join(path, sizeof(path), root, "/sys/devices/system/cpu/nohz_full")) < 0 ||
	    (err = read_cpuset(&host->nohz_full, path)) < 0)
		return err;
	return renumber_l3s(host, root);
}
