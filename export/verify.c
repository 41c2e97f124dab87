/* Checking running domains against the plan: libvirt's live pinning and the QEMU threads. */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "internal.h"
#include "vmplan/error.h"
#include "vmplan/export.h"

static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

static const char *last_libvirt_error(void)
{
	virErrorPtr e = virGetLastError();

	return e && e->message ? e->message : "unknown libvirt error";
}

typedef struct checker {
	vmp_verify_report *rep;
	const char *vm;
	bool oom;
} checker;

__attribute__((format(printf, 5, 6))) static void mismatch(checker *c, const char *source,
							   const char *expected, const char *actual,
							   const char *what_fmt, ...)
{
	vmp_verify_report *r = c->rep;
	vmp_mismatch *m, *n;
	va_list ap;

	if (!(n = realloc(r->mismatches, (size_t)(r->nmismatches + 1) * sizeof(*n)))) {
		c->oom = true;
		return;
	}
	r->mismatches = n;
	m = &n[r->nmismatches++];
	memset(m, 0, sizeof(*m));
	snprintf(m->vm, sizeof(m->vm), "%s", c->vm);
	snprintf(m->source, sizeof(m->source), "%s", source);
	snprintf(m->expected, sizeof(m->expected), "%s", expected);
	snprintf(m->actual, sizeof(m->actual), "%s", actual);
	va_start(ap, what_fmt);
	vsnprintf(m->what, sizeof(m->what), what_fmt, ap);
	va_end(ap);
}

static void map_to_set(vmp_cpuset *out, const unsigned char *map, int maplen)
{
	vmp_cpuset_zero(out);
	for (int cpu = 0; cpu < maplen * 8; cpu++)
		if (VIR_CPU_USABLE(map, maplen, 0, cpu))
			vmp_cpuset_set(out, cpu);
}

/* One comparison of two cpusets; a mismatch when they differ. */
static void check_set(checker *c, const char *source, const vmp_cpuset *expected,
		      const vmp_cpuset *actual, const char *what)
{
	char e[256], a[256];

	c->rep->nchecked++;
	if (vmp_cpuset_equal(expected, actual))
		return;
	vmp_cpuset_format(e, sizeof(e), expected);
	vmp_cpuset_format(a, sizeof(a), actual);
	mismatch(c, source, e, a, "%s", what);
}

static int mem_mode_to_libvirt(vmp_mem_mode m)
{
	switch (m) {
	case VMP_MEM_PREFERRED:
		return VIR_DOMAIN_NUMATUNE_MEM_PREFERRED;
	case VMP_MEM_INTERLEAVE:
		return VIR_DOMAIN_NUMATUNE_MEM_INTERLEAVE;
	case VMP_MEM_RESTRICTIVE:
		return 3; /* VIR_DOMAIN_NUMATUNE_MEM_RESTRICTIVE, libvirt >= 7.3 */
	default:
		return VIR_DOMAIN_NUMATUNE_MEM_STRICT;
	}
}

static const char *libvirt_mode_name(int mode)
{
	static const char *const names[] = {"strict", "preferred", "interleave", "restrictive"};

	return mode >= 0 && mode < 4 ? names[mode] : "unknown";
}

/* One past the highest host CPU the plan names for vm. */
static int plan_cpu_limit(const vmp_plan_vm *vm)
{
	vmp_cpuset all = vm->pcpus;
	int last = -1, cpu;

	vmp_cpuset_or(&all, &all, &vm->emulatorpin);
	for (int i = 0; i < vm->niothreads; i++)
		vmp_cpuset_or(&all, &all, &vm->iothreadpin[i]);
	for (unsigned i = 0; i < vm->req.vcpus; i++)
		vmp_cpuset_set(&all, vm->vcpupin[i]);
	VMP_CPUSET_FOREACH (cpu, &all)
		last = cpu;
	return last + 1;
}

static void check_libvirt(checker *c, virDomainPtr dom, const vmp_plan_vm *vm, int ncpus,
			  unsigned flags)
{
	/* Room for every CPU the host has and the plan names: a pin beyond the host's CPUs
	 * must show up as what it is, not be cut off. */
	int maplen = VIR_CPU_MAPLEN(ncpus > plan_cpu_limit(vm) ? ncpus : plan_cpu_limit(vm)), n;
	unsigned char *maps = calloc((size_t)vm->req.vcpus, (size_t)maplen);
	vmp_cpuset expected, actual;
	char what[64];

	if (!maps) {
		c->oom = true;
		return;
	}
	n = virDomainGetVcpuPinInfo(dom, (int)vm->req.vcpus, maps, maplen, flags);
	c->rep->nchecked++;
	if (n < 0) {
		mismatch(c, "libvirt", "vCPU pinning", last_libvirt_error(), "vcpupin");
	} else {
		if ((unsigned)n != vm->req.vcpus) {
			char e[32], a[32];
			snprintf(e, sizeof(e), "%u", vm->req.vcpus);
			snprintf(a, sizeof(a), "%d", n);
			mismatch(c, "libvirt", e, a, "vcpus");
		}
		for (unsigned i = 0; i < vm->req.vcpus && (int)i < n; i++) {
			vmp_vm_vcpu_cpus(&expected, vm, i);
			map_to_set(&actual, VIR_GET_CPUMAP(maps, maplen, i), maplen);
			snprintf(what, sizeof(what), "vcpu %u", i);
			check_set(c, "libvirt", &expected, &actual, what);
		}
	}
	free(maps);

	if (!vmp_cpuset_empty(&vm->emulatorpin)) {
		unsigned char *map = calloc(1, (size_t)maplen);
		if (!map) {
			c->oom = true;
			return;
		}
		if (virDomainGetEmulatorPinInfo(dom, map, maplen, flags) < 0) {
			c->rep->nchecked++;
			mismatch(c, "libvirt", "emulator pinning", last_libvirt_error(),
				 "emulator");
		} else {
			map_to_set(&actual, map, maplen);
			check_set(c, "libvirt", &vm->emulatorpin, &actual, "emulator");
		}
		free(map);
	}

	if (vm->niothreads) {
		virDomainIOThreadInfoPtr *info = NULL;
		int count = virDomainGetIOThreadInfo(dom, &info, flags);
		for (int i = 0; i < vm->niothreads; i++) {
			bool found = false;
			snprintf(what, sizeof(what), "iothread %d", i + 1);
			for (int k = 0; k < count; k++) {
				if (info[k]->iothread_id != (unsigned)i + 1)
					continue;
				found = true;
				map_to_set(&actual, info[k]->cpumap, info[k]->cpumaplen);
				check_set(c, "libvirt", &vm->iothreadpin[i], &actual, what);
			}
			if (!found) {
				c->rep->nchecked++;
				mismatch(c, "libvirt", "pinned I/O thread",
					 count < 0 ? last_libvirt_error() : "no such I/O thread",
					 "%s", what);
			}
		}
		for (int k = 0; k < count; k++)
			virDomainIOThreadInfoFree(info[k]);
		free(info);
	}

	if (vm->ncells) {
		virTypedParameterPtr params = NULL;
		int nparams = 0, mode = -1;
		const char *nodeset = NULL;
		vmp_cpuset nodes, got;
		c->rep->nchecked += 2;
		if (virDomainGetNumaParameters(dom, NULL, &nparams, flags) < 0 || nparams <= 0 ||
		    !(params = calloc((size_t)nparams, sizeof(*params))) ||
		    virDomainGetNumaParameters(dom, params, &nparams, flags) < 0) {
			mismatch(c, "libvirt", "NUMA parameters", last_libvirt_error(), "numa");
			free(params);
			return;
		}
		virTypedParamsGetInt(params, nparams, VIR_DOMAIN_NUMA_MODE, &mode);
		virTypedParamsGetString(params, nparams, VIR_DOMAIN_NUMA_NODESET, &nodeset);
		if (mode != mem_mode_to_libvirt(vm->req.mem_mode))
			mismatch(c, "libvirt", vmp_mem_mode_name(vm->req.mem_mode),
				 libvirt_mode_name(mode), "numa mode");
		vmp_vm_nodes(&nodes, vm);
		if (!nodeset || !*nodeset || vmp_cpuset_parse(&got, nodeset) < 0 ||
		    !vmp_cpuset_equal(&nodes, &got)) {
			char e[256];
			vmp_cpuset_format(e, sizeof(e), &nodes);
			mismatch(c, "libvirt", e, nodeset && *nodeset ? nodeset : "(none)",
				 "numa nodeset");
		}
		virTypedParamsFree(params, nparams);
	}
}

static bool read_line_file(char *out, size_t size, const char *path)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(out, (int)size, f) != NULL;
	fclose(f);
	if (ok)
		out[strcspn(out, "\n")] = '\0';
	return ok;
}

static bool allowed_list(vmp_cpuset *out, const char *status_path)
{
	FILE *f = fopen(status_path, "r");
	char line[8192];
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Cpus_allowed_list:", 18)) {
			char *v = line + 18;
			while (isspace((unsigned char)*v))
				v++;
			v[strcspn(v, "\n")] = '\0';
			found = vmp_cpuset_parse(out, v) == VMP_OK;
			break;
		}
	fclose(f);
	return found;
}

/* Where the QEMU threads may really run: /proc/PID/task/TID/status. */
static void check_proc(checker *c, const vmp_plan_vm *vm, long pid, const char *proc_root)
{
	char dir[4096], path[4096 + 256 + 16], comm[64], what[64];
	bool *seen_vcpu = calloc(vm->req.vcpus, sizeof(bool));
	bool seen_io[VMP_MAX_IOTHREADS] = {false};
	struct dirent *de;
	DIR *d;

	if (!seen_vcpu) {
		c->oom = true;
		return;
	}
	snprintf(dir, sizeof(dir), "%s/%ld/task", proc_root, pid);
	if (!(d = opendir(dir))) {
		c->rep->nchecked++;
		mismatch(c, "/proc", "a running QEMU process", "no such process", "pid %ld", pid);
		free(seen_vcpu);
		return;
	}
	while ((de = readdir(d))) {
		vmp_cpuset actual, expected;
		unsigned n;
		char kind[8];
		long tid;
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		tid = strtol(de->d_name, NULL, 10);
		snprintf(path, sizeof(path), "%s/%s/comm", dir, de->d_name);
		if (!read_line_file(comm, sizeof(comm), path))
			continue;
		snprintf(path, sizeof(path), "%s/%s/status", dir, de->d_name);
		if (sscanf(comm, "CPU %u/%7s", &n, kind) == 2 && n < vm->req.vcpus) {
			vmp_vm_vcpu_cpus(&expected, vm, n);
			seen_vcpu[n] = true;
			snprintf(what, sizeof(what), "vcpu %u thread %ld", n, tid);
		} else if (sscanf(comm, "IO iothread%u", &n) == 1 && n >= 1 &&
			   (int)n <= vm->niothreads) {
			expected = vm->iothreadpin[n - 1];
			seen_io[n - 1] = true;
			snprintf(what, sizeof(what), "iothread %u thread %ld", n, tid);
		} else if (tid == pid && !vmp_cpuset_empty(&vm->emulatorpin)) {
			expected = vm->emulatorpin;
			snprintf(what, sizeof(what), "emulator thread %ld", tid);
		} else {
			continue;
		}
		if (!allowed_list(&actual, path)) {
			c->rep->nchecked++;
			mismatch(c, "/proc", "Cpus_allowed_list", "unreadable", "%s", what);
			continue;
		}
		check_set(c, "/proc", &expected, &actual, what);
	}
	closedir(d);
	for (unsigned i = 0; i < vm->req.vcpus; i++)
		if (!seen_vcpu[i]) {
			c->rep->nchecked++;
			mismatch(c, "/proc", "a thread 'CPU n/KVM' or 'CPU n/TCG'", "none",
				 "vcpu %u thread", i);
		}
	for (int i = 0; i < vm->niothreads; i++)
		if (!seen_io[i]) {
			c->rep->nchecked++;
			mismatch(c, "/proc", "a thread 'IO iothreadN'", "none",
				 "iothread %d thread", i + 1);
		}
	free(seen_vcpu);
}

static bool local_uri(const char *uri)
{
	return !strcmp(uri, "qemu:///system") || !strcmp(uri, "qemu:///session");
}

int vmp_verify_plan(vmp_verify_report **out, const vmp_plan *plan, const char *uri,
		    const vmp_verify_opts *opts)
{
	static const vmp_verify_opts defaults = {.proc = -1};
	const char *pid_dir, *proc_root;
	vmp_verify_report *rep;
	virConnectPtr conn;
	int ncpus;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	pid_dir = opts->pid_dir ? opts->pid_dir : "/run/libvirt/qemu";
	proc_root = opts->proc_root ? opts->proc_root : "/proc";
	if (!(rep = calloc(1, sizeof(*rep)))) {
		vmp_error_set("cannot verify the plan: out of memory");
		return VMP_ENOMEM;
	}
	virSetErrorFunc(NULL, quiet);
	if (!(conn = virConnectOpenReadOnly(uri)) && !(conn = virConnectOpen(uri))) {
		vmp_error_set("cannot connect to '%s': %s", uri, last_libvirt_error());
		free(rep);
		return VMP_ESYS;
	}
	if ((ncpus = virNodeGetCPUMap(conn, NULL, NULL, 0)) <= 0)
		ncpus = VMP_CPUSET_MAX;
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		checker c = {.rep = rep, .vm = vm->req.name};
		virDomainPtr dom;
		unsigned flags = VIR_DOMAIN_AFFECT_LIVE;
		char path[4096], line[64];

		if (!vm->placed)
			continue;
		rep->nchecked++;
		if (!(dom = virDomainLookupByName(conn, vm->req.name))) {
			mismatch(&c, "libvirt", "defined and running", "not defined", "domain");
			continue;
		}
		if (virDomainIsActive(dom) != 1) {
			/* Still compare what would run: the persistent definition. */
			mismatch(&c, "libvirt", "running", "not running", "state");
			flags = VIR_DOMAIN_AFFECT_CONFIG;
		}
		check_libvirt(&c, dom, vm, ncpus, flags);
		virDomainFree(dom);
		if (flags != VIR_DOMAIN_AFFECT_LIVE || opts->proc == 0 ||
		    (opts->proc < 0 && !local_uri(uri)))
			continue;
		snprintf(path, sizeof(path), "%s/%s.pid", pid_dir, vm->req.name);
		if (!read_line_file(line, sizeof(line), path)) {
			if (opts->proc > 0) {
				rep->nchecked++;
				mismatch(&c, "/proc", "a pid file", "missing", "%s", path);
			}
			continue;
		}
		rep->nproc_vms++;
		check_proc(&c, vm, strtol(line, NULL, 10), proc_root);
		if (c.oom)
			break;
	}
	virConnectClose(conn);
	*out = rep;
	return VMP_OK;
}

void vmp_verify_report_free(vmp_verify_report *report)
{
	if (!report)
		return;
	free(report->mismatches);
	free(report);
}
