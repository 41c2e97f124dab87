/* The guest's parameters (/proc/cmdline) and its own topology (sysfs), read under a root. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/guest.h"

static const char *const workload_names[GUEST_NWORKLOADS] = {"stream", "latency", "c2c", "compute",
							     "noisy"};

const char *guest_workload_name(enum guest_workload w)
{
	return (unsigned)w < GUEST_NWORKLOADS ? workload_names[w] : "unknown";
}

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, GUEST_ERR_BYTES, fmt, ap);
	va_end(ap);
	return -1;
}

/* Read ROOT/rel (a small file) into buf, without its trailing newline; -1 when missing. */
static int read_text(char *buf, size_t size, const char *root, const char *rel)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >= sizeof(path) ||
	    !(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

/* ---- the command line ---- */

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

static int parse_workloads(bool *out, const char *list, char *err)
{
	char buf[256], *save = NULL;

	if (strlen(list) >= sizeof(buf) || !*list)
		return fail(err, "bad vmplan.workloads '%.64s': give a list such as stream,latency",
			    list);
	strcpy(buf, list);
	memset(out, 0, sizeof(bool) * GUEST_NWORKLOADS);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int k;

		for (k = 0; k < GUEST_NWORKLOADS; k++)
			if (!strcmp(w, workload_names[k]))
				break;
		if (k == GUEST_NWORKLOADS)
			return fail(err,
				    "unknown workload '%.32s' in vmplan.workloads: use stream, "
				    "latency, c2c, compute or noisy",
				    w);
		out[k] = true;
	}
	return 0;
}

int guest_params_parse(struct guest_params *out, const char *cmdline, char *err)
{
	char *copy, *save = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->seconds = 1;
	out->reps = 3;
	out->workloads[GUEST_STREAM] = out->workloads[GUEST_LATENCY] = true;
	if (!(copy = strdup(cmdline)))
		return fail(err, "out of memory");
	for (char *w = strtok_r(copy, " \t\n", &save); w && rc == 0;
	     w = strtok_r(NULL, " \t\n", &save)) {
		char *v = strchr(w, '='), *end;

		if (strncmp(w, "vmplan.", 7) != 0 || !v)
			continue; /* the kernel's own words */
		*v++ = '\0';
		if (!strcmp(w, "vmplan.vm")) {
			if (!name_ok(v) || strlen(v) >= sizeof(out->vm))
				rc = fail(err,
					  "bad vmplan.vm '%.64s': use up to %d letters, digits, "
					  "'.', '_' or '-'",
					  v, GUEST_NAME_BYTES - 1);
			else
				strcpy(out->vm, v);
		} else if (!strcmp(w, "vmplan.workloads")) {
			rc = parse_workloads(out->workloads, v, err);
		} else if (!strcmp(w, "vmplan.seconds")) {
			errno = 0;
			out->seconds = strtod(v, &end);
			if (errno || end == v || *end ||
			    !(out->seconds > 0 && out->seconds <= 3600))
				rc = fail(err, "bad vmplan.seconds '%.32s': give 0 < S <= 3600", v);
		} else if (!strcmp(w, "vmplan.reps")) {
			long n;

			errno = 0;
			n = strtol(v, &end, 10);
			if (errno || end == v || *end || n < 1 || n > GUEST_MAX_SAMPLES)
				rc = fail(err, "bad vmplan.reps '%.32s': give 1 to %d", v,
					  GUEST_MAX_SAMPLES);
			else
				out->reps = (int)n;
		} else {
			rc = fail(err, "unknown parameter '%.32s'", w);
		}
	}
	free(copy);
	if (rc == 0 && !out->vm[0])
		rc = fail(err, "no vmplan.vm= on the kernel command line");
	return rc;
}

int guest_params_read(struct guest_params *out, const char *root, char *err)
{
	char buf[4096];

	memset(out, 0, sizeof(*out));
	if (read_text(buf, sizeof(buf), root, "proc/cmdline") < 0)
		return fail(err, "cannot read %s/proc/cmdline: %s", root, strerror(errno));
	return guest_params_parse(out, buf, err);
}

/* ---- the topology ---- */

/* Parse a cpulist ("0-3,8") into the set of ids it names; -1 when malformed. */
static int cpulist_parse(bool *set, int max, const char *s)
{
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b;

		if (end == s || a < 0 || a >= max)
			return -1;
		b = a;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a || b >= max)
				return -1;
			s = end;
		}
		for (long i = a; i <= b; i++)
			set[i] = true;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The numbers N of the entries PREFIX<N> in ROOT/rel, ascending; -1 when rel is missing. */
static int list_numbered(int *out, int max, const char *root, const char *rel, const char *prefix)
{
	char path[PATH_MAX];
	size_t plen = strlen(prefix);
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (!(dir = opendir(path)))
		return -1;
	while ((d = readdir(dir)) && n < max) {
		char *end;
		long v;

		if (strncmp(d->d_name, prefix, plen) != 0)
			continue;
		v = strtol(d->d_name + plen, &end, 10);
		if (end == d->d_name + plen || *end || v < 0 || v > INT_MAX)
			continue;
		out[n++] = (int)v;
	}
	closedir(dir);
	qsort(out, (size_t)n, sizeof(int), cmp_int);
	return n;
}

static void read_hugepages(struct guest_node *nd, const char *root)
{
	char rel[128], path[PATH_MAX], buf[64];
	struct dirent *d;
	DIR *dir;

	snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/hugepages", nd->id);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (!(dir = opendir(path)))
		return;
	while ((d = readdir(dir)) && nd->nhuge < GUEST_MAX_HUGE) {
		unsigned long kib;
		char file[PATH_MAX];

		if (sscanf(d->d_name, "hugepages-%lukB", &kib) != 1)
			continue;
		snprintf(file, sizeof(file), "%s/%s/nr_hugepages", rel, d->d_name);
		if (read_text(buf, sizeof(buf), root, file) < 0)
			continue;
		nd->huge[nd->nhuge].size_kib = kib;
		nd->huge[nd->nhuge].total = strtoul(buf, NULL, 10);
		nd->nhuge++;
	}
	closedir(dir);
	/* Smallest page size first, whatever order readdir gave. */
	for (int i = 1; i < nd->nhuge; i++)
		for (int j = i; j > 0 && nd->huge[j - 1].size_kib > nd->huge[j].size_kib; j--) {
			struct guest_hugepages h = nd->huge[j];

			nd->huge[j] = nd->huge[j - 1];
			nd->huge[j - 1] = h;
		}
}

/* "Node 0 MemTotal:  123 kB" (node meminfo) or "MemTotal:  123 kB" (/proc/meminfo). */
static int read_memtotal(unsigned long long *out, const char *root, const char *rel)
{
	char path[PATH_MAX], line[256];
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "MemTotal:");
		unsigned long long kib;

		if (p && sscanf(p + 9, "%llu", &kib) == 1) {
			*out = kib * 1024;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* How many distinct values of vals[0..n) there are. */
static int distinct(const int *vals, int n)
{
	int count = 0;

	for (int i = 0; i < n; i++) {
		int j;

		for (j = 0; j < i && vals[j] != vals[i]; j++)
			;
		count += j == i;
	}
	return count;
}

/* Sockets, dies per socket, cores per die, threads per core, from each CPU's topology dir. */
static void read_cpu_topology(struct guest_topology *t, const char *root)
{
	static int pkg[GUEST_MAX_CPUS], die[GUEST_MAX_CPUS], core[GUEST_MAX_CPUS];
	static int key[GUEST_MAX_CPUS];
	char rel[128], buf[64];

	for (int k = 0; k < t->ncpus; k++) {
		int *dst[3] = {&pkg[k], &die[k], &core[k]};
		const char *file[3] = {"physical_package_id", "die_id", "core_id"};

		for (int f = 0; f < 3; f++) {
			snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/%s",
				 t->cpus[k], file[f]);
			/* A kernel without die_id has one die per package. */
			*dst[f] = read_text(buf, sizeof(buf), root, rel) < 0
				      ? (f == 2 ? t->cpus[k] : 0)
				      : atoi(buf);
		}
	}
	t->sockets = distinct(pkg, t->ncpus);
	t->dies = t->cores = t->threads = 1;
	for (int k = 0; k < t->ncpus; k++) {
		int nd = 0, nc = 0, nt = 0;

		/* Dies of CPU k's package, cores of its die, threads of its core. */
		for (int j = 0; j < t->ncpus; j++)
			if (pkg[j] == pkg[k])
				key[nd++] = die[j];
		if (distinct(key, nd) > t->dies)
			t->dies = distinct(key, nd);
		for (int j = 0; j < t->ncpus; j++)
			if (pkg[j] == pkg[k] && die[j] == die[k])
				key[nc++] = core[j];
		if (distinct(key, nc) > t->cores)
			t->cores = distinct(key, nc);
		for (int j = 0; j < t->ncpus; j++)
			nt += pkg[j] == pkg[k] && die[j] == die[k] && core[j] == core[k];
		if (nt > t->threads)
			t->threads = nt;
	}
}

int guest_topology_read(struct guest_topology *t, const char *root, char *err)
{
	static bool online[GUEST_MAX_CPUS], in_node[GUEST_MAX_CPUS];
	int ids[GUEST_MAX_NODES], n;
	char buf[4096], rel[128];

	memset(t, 0, sizeof(*t));
	memset(online, 0, sizeof(online));
	if (read_text(buf, sizeof(buf), root, "sys/devices/system/cpu/online") < 0)
		return fail(err, "cannot read %s/sys/devices/system/cpu/online: %s", root,
			    strerror(errno));
	if (cpulist_parse(online, GUEST_MAX_CPUS, buf) < 0)
		return fail(err, "cannot parse the online CPUs '%.64s'", buf);
	for (int c = 0; c < GUEST_MAX_CPUS; c++)
		if (online[c]) {
			t->cpus[t->ncpus] = c;
			t->cpu_node[t->ncpus++] = 0;
		}
	if (t->ncpus == 0)
		return fail(err, "no online CPU");

	n = list_numbered(ids, GUEST_MAX_NODES, root, "sys/devices/system/node", "node");
	if (n <= 0) {
		/* No NUMA in this kernel: one node with everything. */
		struct guest_node *nd = &t->nodes[0];

		t->nnodes = 1;
		snprintf(nd->cpulist, sizeof(nd->cpulist), "%.*s", (int)sizeof(nd->cpulist) - 1,
			 buf);
		if (read_memtotal(&nd->memory_bytes, root, "proc/meminfo") < 0)
			return fail(err, "cannot read MemTotal from %s/proc/meminfo", root);
		t->distances[0][0] = 10;
		read_cpu_topology(t, root);
		return 0;
	}
	t->nnodes = n;
	for (int i = 0; i < n; i++) {
		struct guest_node *nd = &t->nodes[i];
		char *p, *end;

		nd->id = ids[i];
		snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/cpulist", nd->id);
		if (read_text(nd->cpulist, sizeof(nd->cpulist), root, rel) < 0)
			return fail(err, "cannot read %s/%s", root, rel);
		memset(in_node, 0, sizeof(in_node));
		if (cpulist_parse(in_node, GUEST_MAX_CPUS, nd->cpulist) < 0)
			return fail(err, "cannot parse %s/%s: '%.64s'", root, rel, nd->cpulist);
		for (int k = 0; k < t->ncpus; k++)
			if (in_node[t->cpus[k]])
				t->cpu_node[k] = nd->id;
		snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/meminfo", nd->id);
		if (read_memtotal(&nd->memory_bytes, root, rel) < 0)
			return fail(err, "cannot read MemTotal from %s/%s", root, rel);
		read_hugepages(nd, root);
		snprintf(rel, sizeof(rel), "sys/devices/system/node/node%d/distance", nd->id);
		if (read_text(buf, sizeof(buf), root, rel) == 0) {
			p = buf;
			for (int j = 0; j < n; j++, p = end) {
				long d = strtol(p, &end, 10);

				if (end == p)
					break;
				t->distances[i][j] = (int)d;
			}
		}
	}
	read_cpu_topology(t, root);
	return 0;
}
