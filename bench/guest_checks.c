/* The guest engine's checks: where QEMU's threads and memory really are, and what the guest sees.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/guest_internal.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/request.h"

static void add(guest_checks *c, const char *vm, const char *what, const char *source,
		const char *expected, const char *found, bool ok, bool skipped, bool soft)
{
	vmp_bench_guest_check *k = NULL, *grown;
	bool *grown_soft;
	int at = -1;

	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->items[i].vm, vm) && !strcmp(c->items[i].what, what))
			at = i;
	if (at >= 0) {
		/* Once failed it stays failed, unless that failure was a sample's race; a race
		 * never replaces a real finding. */
		if ((!c->items[at].ok && !c->soft[at]) || soft)
			return;
		k = &c->items[at];
	} else {
		if (!(grown = realloc(c->items, sizeof(*grown) * (size_t)(c->n + 1)))) {
			c->oom = true;
			return;
		}
		c->items = grown;
		if (!(grown_soft = realloc(c->soft, sizeof(*grown_soft) * (size_t)(c->n + 1)))) {
			c->oom = true;
			return;
		}
		c->soft = grown_soft;
		at = c->n++;
		k = &c->items[at];
	}
	memset(k, 0, sizeof(*k));
	snprintf(k->vm, sizeof(k->vm), "%s", vm);
	snprintf(k->what, sizeof(k->what), "%s", what);
	snprintf(k->source, sizeof(k->source), "%s", source);
	snprintf(k->expected, sizeof(k->expected), "%s", expected);
	snprintf(k->found, sizeof(k->found), "%s", found);
	k->ok = ok;
	k->skipped = skipped;
	c->soft[at] = soft;
}

void guest_check_add(guest_checks *c, const char *vm, const char *what, const char *source,
		     const char *expected, const char *found, bool ok, bool skipped)
{
	add(c, vm, what, source, expected, found, ok, skipped, false);
}

void guest_check_add_soft(guest_checks *c, const char *vm, const char *what, const char *source,
			  const char *expected, const char *found)
{
	add(c, vm, what, source, expected, found, false, false, true);
}

void guest_checks_free(guest_checks *c)
{
	free(c->items);
	free(c->soft);
	memset(c, 0, sizeof(*c));
}

static void check_set(guest_checks *c, const char *vm, const char *what, const vmp_cpuset *expected,
		      const vmp_cpuset *found)
{
	char e[256], f[256];

	vmp_cpuset_format(e, sizeof(e), expected);
	vmp_cpuset_format(f, sizeof(f), found);
	guest_check_add(c, vm, what, "/proc", e, f, vmp_cpuset_equal(expected, found), false);
}

/* ---- thread affinity ---- */

/* The CPUs the plan gives a vCPU: its pin, or the pool of a cpu=shared VM. */
static void vcpu_cpus(vmp_cpuset *out, const vmp_plan_vm *vm, unsigned vcpu)
{
	vmp_cpuset_zero(out);
	if (vm->vcpupin && vm->vcpupin[vcpu] >= 0)
		vmp_cpuset_set(out, vm->vcpupin[vcpu]);
	else
		*out = vm->pcpus;
}

static void check_affinity(guest_checks *c, const vmp_plan_vm *vm, const vmp_qemu_thread *t, int n)
{
	char what[64];
	bool seen[VMP_MAX_VCPUS] = {false};

	for (int i = 0; i < n; i++) {
		vmp_cpuset expected;

		if (!t[i].readable)
			continue;
		if (t[i].kind == VMP_QEMU_VCPU && t[i].index < vm->req.vcpus) {
			vcpu_cpus(&expected, vm, t[i].index);
			seen[t[i].index] = true;
			snprintf(what, sizeof(what), "vcpu %u affinity", t[i].index);
		} else if (t[i].kind == VMP_QEMU_VCPU) {
			snprintf(what, sizeof(what), "vcpu %u thread", t[i].index);
			guest_check_add(c, vm->req.name, what, "/proc", "no such vCPU", t[i].comm,
					false, false);
			continue;
		} else if (t[i].kind == VMP_QEMU_IOTHREAD && t[i].index >= 1 &&
			   (int)t[i].index <= vm->niothreads) {
			expected = vm->iothreadpin[t[i].index - 1];
			snprintf(what, sizeof(what), "iothread %u affinity", t[i].index);
		} else if (t[i].kind == VMP_QEMU_EMULATOR && !vmp_cpuset_empty(&vm->emulatorpin)) {
			expected = vm->emulatorpin;
			snprintf(what, sizeof(what), "emulator affinity");
		} else {
			continue;
		}
		check_set(c, vm->req.name, what, &expected, &t[i].allowed);
	}
	for (unsigned v = 0; v < vm->req.vcpus && v < VMP_MAX_VCPUS; v++)
		if (!seen[v]) {
			snprintf(what, sizeof(what), "vcpu %u affinity", v);
			guest_check_add_soft(c, vm->req.name, what, "/proc", "a thread 'CPU n/...'",
					     "none found");
		}
}

/* ---- scheduling policy ---- */

static const char *policy_name(int policy)
{
	switch (policy) {
	case SCHED_FIFO:
		return "fifo";
	case SCHED_RR:
		return "rr";
	case SCHED_BATCH:
		return "batch";
	case SCHED_IDLE:
		return "idle";
	default:
		return "other";
	}
}

static void check_sched(guest_checks *c, const vmp_plan_vm *vm, const vmp_qemu_thread *t, int n)
{
	char what[64], e[64], f[64];

	if (vm->req.vcpu_sched == VMP_SCHED_NONE)
		return;
	if (vm->req.vcpu_sched == VMP_SCHED_FIFO || vm->req.vcpu_sched == VMP_SCHED_RR)
		snprintf(e, sizeof(e), "%s priority %d", vmp_sched_name(vm->req.vcpu_sched),
			 vm->req.vcpu_priority);
	else
		snprintf(e, sizeof(e), "%s", vmp_sched_name(vm->req.vcpu_sched));
	for (int i = 0; i < n; i++) {
		struct sched_param sp = {0};
		int policy;

		if (t[i].kind != VMP_QEMU_VCPU || t[i].index >= vm->req.vcpus)
			continue;
		snprintf(what, sizeof(what), "vcpu %u scheduler", t[i].index);
		if ((policy = sched_getscheduler((pid_t)t[i].tid)) < 0 ||
		    sched_getparam((pid_t)t[i].tid, &sp) < 0)
			continue; /* the thread is gone: the guest powered off */
		if (policy == SCHED_FIFO || policy == SCHED_RR)
			snprintf(f, sizeof(f), "%s priority %d", policy_name(policy),
				 sp.sched_priority);
		else
			snprintf(f, sizeof(f), "%s", policy_name(policy));
		guest_check_add(c, vm->req.name, what, "/proc", e, f, !strcmp(e, f), false);
	}
}

/* ---- cgroups ---- */

/* The cgroup v2 directory of a thread, under /sys/fs/cgroup; false when unknown. */
static bool thread_cgroup(char *out, size_t size, const char *proc_root, long pid, long tid)
{
	char path[512], line[900];
	FILE *f;
	bool found = false;

	snprintf(path, sizeof(path), "%s/%ld/task/%ld/cgroup", proc_root, pid, tid);
	if (!(f = fopen(path, "r")))
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, size, "/sys/fs/cgroup%s", line + 3);
			found = true;
		}
	fclose(f);
	return found;
}

static bool read_file_line(char *out, size_t size, const char *path)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(out, (int)size, f) != NULL;
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return ok;
}

/* The value of file in dir or the nearest of its parents (up to 3) that differs from dflt. */
static bool cgroup_value(char *out, size_t size, const char *dir, const char *file,
			 const char *dflt)
{
	char d[1024], path[1100];
	bool any = false;

	snprintf(d, sizeof(d), "%s", dir);
	for (int up = 0; up < 4; up++) {
		char *slash;

		snprintf(path, sizeof(path), "%s/%s", d, file);
		if (read_file_line(out, size, path)) {
			any = true;
			if (strcmp(out, dflt))
				return true;
		}
		if (!(slash = strrchr(d, '/')) || slash == d)
			break;
		*slash = '\0';
	}
	if (any)
		snprintf(out, size, "%s", dflt);
	return any;
}

static void check_cgroup(guest_checks *c, const vmp_plan_vm *vm, const vmp_qemu_thread *t, int n,
			 long pid, const char *proc_root)
{
	char dir[1024], e[64], f[128];

	if (!vm->req.shares && !vm->req.quota_us)
		return;
	for (int i = 0; i < n; i++) {
		if (t[i].kind != VMP_QEMU_VCPU || t[i].index != 0)
			continue;
		if (!thread_cgroup(dir, sizeof(dir), proc_root, pid, t[i].tid)) {
			guest_check_add(c, vm->req.name, "cgroup cpu", "cgroup", "a cgroup v2 path",
					"none (cgroup v1 or no cgroup)", true, true);
			return;
		}
		if (vm->req.shares) {
			snprintf(e, sizeof(e), "cpu.weight %u", vm->req.shares);
			if (!cgroup_value(f + 11, sizeof(f) - 11, dir, "cpu.weight", "100"))
				snprintf(f + 11, sizeof(f) - 11, "unreadable");
			memcpy(f, "cpu.weight ", 11);
			guest_check_add(c, vm->req.name, "cgroup cpu weight", "cgroup", e, f,
					!strcmp(e, f), false);
		}
		if (vm->req.quota_us) {
			char val[96];

			if (vm->req.quota_us < 0)
				snprintf(e, sizeof(e), "cpu.max max");
			else
				snprintf(e, sizeof(e), "cpu.max %" PRId64, vm->req.quota_us);
			if (!cgroup_value(val, sizeof(val), dir, "cpu.max", "max 100000"))
				snprintf(val, sizeof(val), "unreadable");
			val[strcspn(val, " ")] = '\0'; /* the quota; the period follows */
			snprintf(f, sizeof(f), "cpu.max %s", val);
			guest_check_add(c, vm->req.name, "cgroup cpu quota", "cgroup", e, f,
					!strcmp(e, f), false);
		}
		return;
	}
}

/* ---- resctrl ---- */

static bool group_has_task(const char *tasks_path, long tid)
{
	FILE *f = fopen(tasks_path, "r");
	long v;
	bool found = false;

	if (!f)
		return false;
	while (!found && fscanf(f, "%ld", &v) == 1)
		found = v == tid;
	fclose(f);
	return found;
}

static void check_resctrl(guest_checks *c, const vmp_plan_vm *vm, const vmp_qemu_thread *t, int n,
			  const char *root)
{
	char info[600], path[1200], found[300];
	struct stat st;
	bool want = vm->ncachetune > 0 || vm->nmemorytune > 0;

	snprintf(info, sizeof(info), "%s/info", root);
	if (stat(info, &st) < 0) {
		guest_check_add(c, vm->req.name, "resctrl group", "resctrl",
				want ? "a group of its own" : "the default group",
				"skipped: no resctrl", true, true);
		return;
	}
	for (int i = 0; i < n; i++) {
		DIR *d;
		struct dirent *de;

		if (t[i].kind != VMP_QEMU_VCPU || t[i].index != 0)
			continue;
		snprintf(found, sizeof(found), "the default group");
		if ((d = opendir(root))) {
			while ((de = readdir(d))) {
				if (de->d_name[0] == '.' || !strcmp(de->d_name, "info") ||
				    !strcmp(de->d_name, "mon_groups") ||
				    !strcmp(de->d_name, "mon_data"))
					continue;
				snprintf(path, sizeof(path), "%s/%s/tasks", root, de->d_name);
				if (group_has_task(path, t[i].tid))
					snprintf(found, sizeof(found), "group '%s'", de->d_name);
			}
			closedir(d);
		}
		guest_check_add(c, vm->req.name, "resctrl group", "resctrl",
				want ? "a group of its own" : "the default group", found,
				want == !!strncmp(found, "the default", 11), false);
		return;
	}
}

/* ---- memory ---- */

struct mapping {
	unsigned long start, end;
	char policy[64];
	uint64_t pages[GUEST_MAX_NODES];
	unsigned page_kib;
	bool used;
};

/* The anonymous or hugetlb mappings of pid exactly bytes long, with their numa_maps. */
static int read_mappings(struct mapping **out, int *n, long pid, const char *proc_root,
			 uint64_t bytes)
{
	char path[512], line[4096];
	struct mapping *m = NULL, *grown;
	int count = 0;
	FILE *f;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/%ld/numa_maps", proc_root, pid);
	if (!(f = fopen(path, "r")))
		return VMP_ENOTFOUND;
	while (fgets(line, sizeof(line), f)) {
		struct mapping cur = {0};
		char *tok, *save = NULL;
		uint64_t npages = 0;

		if (!(tok = strtok_r(line, " \n", &save)))
			continue;
		cur.start = strtoul(tok, NULL, 16);
		if ((tok = strtok_r(NULL, " \n", &save)))
			snprintf(cur.policy, sizeof(cur.policy), "%s", tok);
		cur.page_kib = 4;
		while ((tok = strtok_r(NULL, " \n", &save))) {
			unsigned node;
			unsigned long long v;

			if (sscanf(tok, "N%u=%llu", &node, &v) == 2 && node < GUEST_MAX_NODES) {
				cur.pages[node] = v;
				npages += v;
			} else if (sscanf(tok, "kernelpagesize_kB=%llu", &v) == 1) {
				cur.page_kib = (unsigned)v;
			}
		}
		(void)npages;
		if (!(grown = realloc(m, sizeof(*m) * (size_t)(count + 1)))) {
			fclose(f);
			free(m);
			return VMP_ENOMEM;
		}
		m = grown;
		m[count++] = cur;
	}
	fclose(f);
	/* The sizes come from maps: numa_maps has the start address only. */
	snprintf(path, sizeof(path), "%s/%ld/maps", proc_root, pid);
	if ((f = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long s, e;

			if (sscanf(line, "%lx-%lx", &s, &e) != 2)
				continue;
			for (int i = 0; i < count; i++)
				if (m[i].start == s)
					m[i].end = e;
		}
		fclose(f);
	}
	/* Keep the guest RAM candidates only. */
	int k = 0;
	for (int i = 0; i < count; i++)
		if (m[i].end - m[i].start == bytes)
			m[k++] = m[i];
	*out = m;
	*n = k;
	return VMP_OK;
}

static void check_memory(guest_checks *c, const vmp_plan_vm *vm, long pid, uint64_t cell_bytes,
			 unsigned page_kib, const char *proc_root)
{
	char what[64], e[96], f[256];

	for (int cell = 0; cell < (vm->ncells ? vm->ncells : 1); cell++) {
		uint64_t bytes = guest_cell_bytes(vm, cell, cell_bytes);
		struct mapping *m = NULL, *pick = NULL;
		char bind[32];
		int n = 0, node = vm->ncells ? vm->cells[cell].host_node : -1;

		snprintf(what, sizeof(what), "cell %d memory", cell);
		if (node < 0)
			continue;
		if (page_kib)
			snprintf(e, sizeof(e), "node %d, pages of %u KiB", node, page_kib);
		else
			snprintf(e, sizeof(e), "node %d", node);
		if (read_mappings(&m, &n, pid, proc_root, bytes) < 0)
			continue; /* the process is gone */
		/* The cell's own backend when QEMU binds it (memnode); else the cells in order. */
		snprintf(bind, sizeof(bind), "bind:%d", node);
		for (int i = 0; i < n && !pick; i++)
			if (!m[i].used && !strcmp(m[i].policy, bind))
				pick = &m[i];
		for (int i = 0, seen = 0; i < n && !pick; i++)
			if (!m[i].used && seen++ == cell)
				pick = &m[i];
		if (!pick) {
			guest_check_add_soft(c, vm->req.name, what, "numa_maps", e,
					     "no mapping of the cell's size found");
			free(m);
			continue;
		}
		pick->used = true;
		uint64_t on = 0, off = 0;
		size_t len = 0;
		f[0] = '\0';
		for (int k = 0; k < GUEST_MAX_NODES; k++) {
			if (!pick->pages[k])
				continue;
			if (k == node)
				on += pick->pages[k];
			else
				off += pick->pages[k];
			len +=
			    (size_t)snprintf(f + len, len < sizeof(f) ? sizeof(f) - len : 0,
					     "%sN%d=%" PRIu64, len ? " " : "", k, pick->pages[k]);
		}
		if (len < sizeof(f))
			snprintf(f + len, sizeof(f) - len, "%s pages of %u KiB, policy %s",
				 len ? "" : "no pages yet;", pick->page_kib, pick->policy);
		/* Untouched memory proves nothing either way; pages elsewhere fail. */
		guest_check_add(c, vm->req.name, what, "numa_maps", e, f,
				off == 0 && (!page_kib || pick->page_kib == page_kib), false);
		(void)on;
		free(m);
	}
}

void guest_check_host(guest_checks *c, const vmp_plan_vm *vm, long pid, uint64_t cell_bytes,
		      unsigned page_kib, const char *proc_root, const char *resctrl_root)
{
	vmp_qemu_thread *t = NULL;
	int n = 0;

	if (vmp_qemu_threads(&t, &n, pid, proc_root) < 0)
		return; /* gone: the guest powered off between two samples */
	check_affinity(c, vm, t, n);
	check_sched(c, vm, t, n);
	check_cgroup(c, vm, t, n, pid, proc_root);
	check_resctrl(c, vm, t, n, resctrl_root);
	check_memory(c, vm, pid, cell_bytes, page_kib, proc_root);
	free(t);
}

/* ---- the guest's own view ---- */

#define GUEST_KERNEL_RESERVE_MIB 48

void guest_check_topology(guest_checks *c, const vmp_plan_vm *vm, const guest_report *r,
			  uint64_t cell_bytes)
{
	char e[256], f[256], what[64];
	int ncells = vm->ncells ? vm->ncells : 1;

	snprintf(e, sizeof(e), "%d", ncells);
	snprintf(f, sizeof(f), "%d", r->nnodes);
	guest_check_add(c, vm->req.name, "guest NUMA nodes", "guest", e, f, ncells == r->nnodes,
			false);
	for (int i = 0; i < ncells && i < r->nnodes; i++) {
		vmp_cpuset want;
		uint64_t bytes = guest_cell_bytes(vm, i, cell_bytes);
		double diff, under;

		if (vm->ncells)
			want = vm->cells[i].vcpus;
		else
			vmp_cpuset_set_range(&want, 0, (int)vm->req.vcpus - 1);
		snprintf(what, sizeof(what), "guest node %d cpus", i);
		vmp_cpuset_format(e, sizeof(e), &want);
		vmp_cpuset_format(f, sizeof(f), &r->nodes[i].cpus);
		guest_check_add(c, vm->req.name, what, "guest", e, f,
				vmp_cpuset_equal(&want, &r->nodes[i].cpus), false);
		snprintf(what, sizeof(what), "guest node %d memory", i);
		/* The guest kernel keeps some of a small cell for itself (its code, page tables,
		 * reserved ranges): about 40 MiB of 256 MiB with Debian's cloud kernel. */
		snprintf(e, sizeof(e), "%" PRIu64 " MiB (10%% over, 10%% or %d MiB under)",
			 bytes >> 20, GUEST_KERNEL_RESERVE_MIB);
		snprintf(f, sizeof(f), "%" PRIu64 " MiB", r->nodes[i].memory_bytes >> 20);
		diff = (double)r->nodes[i].memory_bytes - (double)bytes;
		under = 0.1 * (double)bytes;
		if (under < (double)((uint64_t)GUEST_KERNEL_RESERVE_MIB << 20))
			under = (double)((uint64_t)GUEST_KERNEL_RESERVE_MIB << 20);
		guest_check_add(c, vm->req.name, what, "guest", e, f,
				diff <= 0.1 * (double)bytes && -diff <= under, false);
	}
	snprintf(e, sizeof(e), "sockets %u dies %u cores %u threads %u",
		 vm->sockets ? vm->sockets : 1, vm->dies ? vm->dies : 1,
		 vm->cores ? vm->cores : vm->req.vcpus, vm->threads ? vm->threads : 1);
	snprintf(f, sizeof(f), "sockets %u dies %u cores %u threads %u", r->sockets,
		 r->dies ? r->dies : 1, r->cores, r->threads);
	guest_check_add(c, vm->req.name, "guest CPU topology", "guest", e, f, !strcmp(e, f), false);
}

void guest_check_exclusive(guest_checks *c, const vmp_plan *plan, const long *pids,
			   const char *proc_root)
{
	vmp_qemu_thread **t = calloc((size_t)plan->nvms, sizeof(*t));
	int *n = calloc((size_t)plan->nvms, sizeof(*n));

	if (!t || !n) {
		c->oom = true;
		goto out;
	}
	for (int i = 0; i < plan->nvms; i++)
		if (pids[i] > 0 && vmp_qemu_threads(&t[i], &n[i], pids[i], proc_root) < 0)
			n[i] = 0;
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];

		if (!vm->placed || vm->req.cpu != VMP_CPU_DEDICATED || !t[i])
			continue;
		for (int a = 0; a < n[i]; a++) {
			char what[64], found[512] = "no other vCPU may run there", e[256];
			bool ok = true;

			if (t[i][a].kind != VMP_QEMU_VCPU || !t[i][a].readable)
				continue;
			for (int j = 0; j < plan->nvms && ok; j++)
				for (int b = 0; b < n[j] && ok; b++) {
					vmp_cpuset both;
					char cpus[128];

					if ((j == i && b == a) || t[j][b].kind != VMP_QEMU_VCPU ||
					    !t[j][b].readable)
						continue;
					vmp_cpuset_and(&both, &t[i][a].allowed, &t[j][b].allowed);
					if (vmp_cpuset_empty(&both))
						continue;
					vmp_cpuset_format(cpus, sizeof(cpus), &both);
					snprintf(found, sizeof(found),
						 "CPUs %s shared with vm %s vcpu %u", cpus,
						 plan->vms[j].req.name, t[j][b].index);
					ok = false;
				}
			snprintf(what, sizeof(what), "vcpu %u dedicated", t[i][a].index);
			vmp_cpuset_format(e, sizeof(e), &t[i][a].allowed);
			snprintf(e + strlen(e), sizeof(e) - strlen(e), " to itself");
			guest_check_add(c, vm->req.name, what, "/proc", e, found, ok, false);
		}
	}
out:
	for (int i = 0; t && i < plan->nvms; i++)
		free(t[i]);
	free(t);
	free(n);
}
