/* Checking running domains against the plan: libvirt's live pinning and the QEMU threads. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "internal.h"
#include "vmplan/error.h"
#include "vmplan/export.h"

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

/* The vCPUs the domain has (live or in its definition, as flags say), or -1. */
static int domain_vcpus(virDomainPtr dom, unsigned flags)
{
	virDomainInfo info;
	int n = virDomainGetVcpusFlags(dom, flags);

	if (n < 0 && virDomainGetInfo(dom, &info) == 0)
		n = (int)info.nrVirtCpu;
	return n;
}

/* Each planned I/O thread's pin, as libvirt reports it. */
static void check_iothreads(checker *c, virDomainPtr dom, const vmp_plan_vm *vm, unsigned flags)
{
	virDomainIOThreadInfoPtr *info = NULL;
	int count = virDomainGetIOThreadInfo(dom, &info, flags);
	vmp_cpuset actual;
	char what[64];

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
				 count < 0 ? vmp_libvirt_last_error() : "no such I/O thread", "%s",
				 what);
		}
	}
	for (int k = 0; k < count; k++)
		virDomainIOThreadInfoFree(info[k]);
	free(info);
}

/* The memory mode and the nodes that back the VM, as libvirt reports them. */
static void check_numa(checker *c, virDomainPtr dom, const vmp_plan_vm *vm, unsigned flags)
{
	virTypedParameterPtr params = NULL;
	int nparams = 0, mode = -1;
	const char *nodeset = NULL;
	vmp_cpuset nodes, got;

	c->rep->nchecked += 2;
	if (virDomainGetNumaParameters(dom, NULL, &nparams, flags) < 0 || nparams <= 0 ||
	    !(params = calloc((size_t)nparams, sizeof(*params))) ||
	    virDomainGetNumaParameters(dom, params, &nparams, flags) < 0) {
		mismatch(c, "libvirt", "NUMA parameters", vmp_libvirt_last_error(), "numa");
		free(params);
		return;
	}
	virTypedParamsGetInt(params, nparams, VIR_DOMAIN_NUMA_MODE, &mode);
	virTypedParamsGetString(params, nparams, VIR_DOMAIN_NUMA_NODESET, &nodeset);
	if (mode != mem_mode_to_libvirt(vm->req.mem_mode))
		mismatch(c, "libvirt", vmp_mem_mode_name(vm->req.mem_mode), libvirt_mode_name(mode),
			 "numa mode");
	vmp_vm_nodes(&nodes, vm);
	if (!nodeset || !*nodeset || vmp_cpuset_parse(&got, nodeset) < 0 ||
	    !vmp_cpuset_equal(&nodes, &got)) {
		char want[256];
		vmp_cpuset_format(want, sizeof(want), &nodes);
		mismatch(c, "libvirt", want, nodeset && *nodeset ? nodeset : "(none)",
			 "numa nodeset");
	}
	virTypedParamsFree(params, nparams);
}

static void check_libvirt(checker *c, virDomainPtr dom, const vmp_plan_vm *vm, int ncpus,
			  unsigned flags)
{
	/* Room for every CPU the host has and the plan names: a pin beyond the host's CPUs
	 * must show up as what it is, not be cut off. */
	int maplen = VIR_CPU_MAPLEN(ncpus > plan_cpu_limit(vm) ? ncpus : plan_cpu_limit(vm)), n;
	int nvcpus = domain_vcpus(dom, flags);
	unsigned char *maps;
	vmp_cpuset expected, actual;
	char what[64], e[32], a[32];

	/* The count comes from the domain, not from the pin information: that holds at
	 * most as many vCPUs as asked for, so an extra vCPU would go unseen. */
	c->rep->nchecked++;
	snprintf(e, sizeof(e), "%u", vm->req.vcpus);
	if (nvcpus < 0) {
		mismatch(c, "libvirt", e, vmp_libvirt_last_error(), "vcpus");
	} else if ((unsigned)nvcpus != vm->req.vcpus) {
		snprintf(a, sizeof(a), "%d", nvcpus);
		mismatch(c, "libvirt", e, a, "vcpus");
	}
	if (nvcpus <= 0)
		nvcpus = (int)vm->req.vcpus;
	if (!(maps = calloc((size_t)nvcpus, (size_t)maplen))) {
		c->oom = true;
		return;
	}
	n = virDomainGetVcpuPinInfo(dom, nvcpus, maps, maplen, flags);
	if (n < 0) {
		c->rep->nchecked++;
		mismatch(c, "libvirt", "vCPU pinning", vmp_libvirt_last_error(), "vcpupin");
	} else {
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
			mismatch(c, "libvirt", "emulator pinning", vmp_libvirt_last_error(),
				 "emulator");
		} else {
			map_to_set(&actual, map, maplen);
			check_set(c, "libvirt", &vm->emulatorpin, &actual, "emulator");
		}
		free(map);
	}

	if (vm->niothreads)
		check_iothreads(c, dom, vm, flags);
	if (vm->ncells)
		check_numa(c, dom, vm, flags);
}

/* The first line of path, without its newline: 0, or an errno value (ENODATA: empty). */
static int read_line_file(char *out, size_t size, const char *path)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return errno ? errno : EIO;
	ok = fgets(out, (int)size, f) != NULL;
	fclose(f);
	if (!ok)
		return ENODATA;
	out[strcspn(out, "\n")] = '\0';
	return 0;
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

int vmp_qemu_threads(vmp_qemu_thread **out, int *n, long pid, const char *proc_root)
{
	char dir[4096], path[4096 + 256 + 16];
	vmp_qemu_thread *all = NULL, *grown;
	struct dirent *de;
	int count = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "%s/%ld/task", proc_root, pid);
	if (!(d = opendir(dir))) {
		vmp_error_set("no QEMU process %ld in '%s'", pid, proc_root);
		return VMP_ENOTFOUND;
	}
	while ((de = readdir(d))) {
		vmp_qemu_thread *t;
		unsigned k;
		char kind[8];

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (!(grown = realloc(all, sizeof(*all) * (size_t)(count + 1)))) {
			closedir(d);
			free(all);
			vmp_error_set("out of memory");
			return VMP_ENOMEM;
		}
		all = grown;
		t = &all[count];
		memset(t, 0, sizeof(*t));
		t->tid = strtol(de->d_name, NULL, 10);
		snprintf(path, sizeof(path), "%s/%s/comm", dir, de->d_name);
		if (read_line_file(t->comm, sizeof(t->comm), path))
			continue; /* gone meanwhile */
		count++;
		if (sscanf(t->comm, "CPU %u/%7s", &k, kind) == 2) {
			t->kind = VMP_QEMU_VCPU;
			t->index = k;
		} else if (sscanf(t->comm, "IO iothread%u", &k) == 1) {
			t->kind = VMP_QEMU_IOTHREAD;
			t->index = k;
		} else {
			t->kind = t->tid == pid ? VMP_QEMU_EMULATOR : VMP_QEMU_OTHER;
		}
		snprintf(path, sizeof(path), "%s/%s/status", dir, de->d_name);
		t->readable = allowed_list(&t->allowed, path);
	}
	closedir(d);
	*out = all;
	*n = count;
	return VMP_OK;
}

/* Where the QEMU threads may really run: /proc/PID/task/TID/status. */
static void check_proc(checker *c, const vmp_plan_vm *vm, long pid, const char *proc_root)
{
	char what[64];
	bool *seen_vcpu = calloc(vm->req.vcpus, sizeof(bool));
	bool seen_io[VMP_MAX_IOTHREADS] = {false};
	vmp_qemu_thread *threads = NULL;
	int nthreads = 0, err;

	if (!seen_vcpu) {
		c->oom = true;
		return;
	}
	if ((err = vmp_qemu_threads(&threads, &nthreads, pid, proc_root)) < 0) {
		c->rep->nchecked++;
		if (err == VMP_ENOMEM)
			c->oom = true;
		else
			mismatch(c, "/proc", "a running QEMU process", "no such process", "pid %ld",
				 pid);
		free(seen_vcpu);
		return;
	}
	for (int i = 0; i < nthreads; i++) {
		const vmp_qemu_thread *t = &threads[i];
		vmp_cpuset expected;
		unsigned n = t->index;

		if (t->kind == VMP_QEMU_VCPU) {
			if (n >= vm->req.vcpus) {
				/* A vCPU the plan does not have: more vCPUs run than planned. */
				char e[32], a[96];
				c->rep->nchecked++;
				snprintf(e, sizeof(e), "vcpus=%u", vm->req.vcpus);
				snprintf(a, sizeof(a), "thread '%s'", t->comm);
				mismatch(c, "/proc", e, a, "vcpu %u thread %ld", n, t->tid);
				continue;
			}
			vmp_vm_vcpu_cpus(&expected, vm, n);
			seen_vcpu[n] = true;
			snprintf(what, sizeof(what), "vcpu %u thread %ld", n, t->tid);
		} else if (t->kind == VMP_QEMU_IOTHREAD && n >= 1 && (int)n <= vm->niothreads) {
			expected = vm->iothreadpin[n - 1];
			seen_io[n - 1] = true;
			snprintf(what, sizeof(what), "iothread %u thread %ld", n, t->tid);
		} else if (t->kind == VMP_QEMU_EMULATOR && !vmp_cpuset_empty(&vm->emulatorpin)) {
			expected = vm->emulatorpin;
			snprintf(what, sizeof(what), "emulator thread %ld", t->tid);
		} else {
			continue;
		}
		if (!t->readable) {
			c->rep->nchecked++;
			mismatch(c, "/proc", "Cpus_allowed_list", "unreadable", "%s", what);
			continue;
		}
		check_set(c, "/proc", &expected, &t->allowed, what);
	}
	free(threads);
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

enum { URI_OTHER, URI_SYSTEM, URI_SESSION };

/* Which local QEMU daemon uri names: libvirt takes only these (and any query) for the
 * local host; a host name, even localhost, means a remote one. */
static int local_qemu_uri(const char *uri)
{
	size_t len;

	if (!uri)
		return URI_OTHER;
	if (!strncmp(uri, "qemu:///", 8))
		uri += 7;
	else if (!strncmp(uri, "qemu+unix:///", 13))
		uri += 12;
	else
		return URI_OTHER;
	len = strcspn(uri, "?#");
	if (len == 7 && !strncmp(uri, "/system", len))
		return URI_SYSTEM;
	if (len == 8 && !strncmp(uri, "/session", len))
		return URI_SESSION;
	return URI_OTHER;
}

bool vmp_uri_is_local_qemu(const char *uri)
{
	return local_qemu_uri(uri) != URI_OTHER;
}

int vmp_verify_pid_path(char *out, size_t size, const char *uri, const char *name, unsigned euid)
{
	const char *run = getenv("XDG_RUNTIME_DIR"), *cache = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int kind = local_qemu_uri(uri), n;

	if (kind == URI_OTHER) {
		vmp_error_set("'%s' is not a local QEMU URI (qemu:///system, qemu:///session): "
			      "its QEMU processes are not on this host",
			      uri ? uri : "");
		return VMP_ENOTFOUND;
	}
	/* libvirt's qemu driver: the system state directory, or for a session daemon
	 * virGetUserRuntimeDirectory() + "/qemu/run", which is glib's user runtime
	 * directory, falling back to its user cache directory, + "/libvirt". */
	if (kind == URI_SYSTEM || euid == 0) {
		n = snprintf(out, size, "/run/libvirt/qemu/%s.pid", name);
	} else if (run && *run) {
		n = snprintf(out, size, "%s/libvirt/qemu/run/%s.pid", run, name);
	} else if (cache && *cache) {
		n = snprintf(out, size, "%s/libvirt/qemu/run/%s.pid", cache, name);
	} else {
		if (!home || !*home) {
			struct passwd *pw = getpwuid((uid_t)euid);
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home || !*home) {
			vmp_error_set("cannot find the pid file of domain '%s' for '%s': no home "
				      "directory, XDG_RUNTIME_DIR or XDG_CACHE_HOME",
				      name, uri);
			return VMP_EINVAL;
		}
		n = snprintf(out, size, "%s/.cache/libvirt/qemu/run/%s.pid", home, name);
	}
	if (n < 0 || (size_t)n >= size) {
		vmp_error_set("cannot find the pid file of domain '%s' for '%s': path too long",
			      name, uri);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* A running VM whose threads auto mode leaves unread; the first reason is kept. */
__attribute__((format(printf, 2, 3))) static void proc_skipped(vmp_verify_report *rep,
							       const char *fmt, ...)
{
	va_list ap;

	if (!rep->nproc_skipped++) {
		va_start(ap, fmt);
		vsnprintf(rep->proc_skipped_why, sizeof(rep->proc_skipped_why), fmt, ap);
		va_end(ap);
	}
}

int vmp_verify_plan(vmp_verify_report **out, const vmp_plan *plan, const char *uri,
		    const vmp_verify_opts *opts)
{
	static const vmp_verify_opts defaults = {.proc = -1};
	const char *proc_root, *curi;
	vmp_verify_report *rep;
	virConnectPtr conn;
	char *canon;
	int ncpus, cerr;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	proc_root = opts->proc_root ? opts->proc_root : "/proc";
	if (!(rep = calloc(1, sizeof(*rep)))) {
		vmp_error_set("cannot verify the plan: out of memory");
		return VMP_ENOMEM;
	}
	if ((cerr = vmp_libvirt_open(&conn, uri, VMP_CONN_READ_FIRST)) < 0) {
		free(rep);
		return cerr;
	}
	/* The URI libvirt settled on names the daemon, even for an alias or the default. */
	canon = virConnectGetURI(conn);
	curi = canon ? canon : uri;
	if (opts->proc > 0 && !opts->pid_dir && local_qemu_uri(curi) == URI_OTHER) {
		vmp_error_set("cannot read the QEMU threads of '%s' from /proc: not a local QEMU "
			      "URI (qemu:///system, qemu:///session)",
			      curi);
		free(canon);
		virConnectClose(conn);
		free(rep);
		return VMP_EINVAL;
	}
	if ((ncpus = virNodeGetCPUMap(conn, NULL, NULL, 0)) <= 0)
		ncpus = VMP_CPUSET_MAX;
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		checker c = {.rep = rep, .vm = vm->req.name};
		virDomainPtr dom;
		unsigned flags = VIR_DOMAIN_AFFECT_LIVE;
		char path[4096], line[64];
		int err;

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
		if (flags != VIR_DOMAIN_AFFECT_LIVE || opts->proc == 0)
			continue;
		if (opts->pid_dir) {
			snprintf(path, sizeof(path), "%s/%s.pid", opts->pid_dir, vm->req.name);
		} else if (vmp_verify_pid_path(path, sizeof(path), curi, vm->req.name,
					       (unsigned)geteuid()) < 0) {
			/* Not local (auto only: yes was refused above), or no path. */
			if (opts->proc > 0) {
				rep->nchecked++;
				mismatch(&c, "/proc", "a pid file", vmp_error_last(), "pid file");
			} else {
				proc_skipped(rep, "%s", vmp_error_last());
			}
			continue;
		}
		if ((err = read_line_file(line, sizeof(line), path))) {
			const char *why = err == ENODATA ? "empty" : strerror(err);
			if (opts->proc > 0) {
				/* The path goes with the finding: "what" is too short for it. */
				char found[sizeof(((vmp_mismatch *)0)->actual)];
				if (snprintf(found, sizeof(found), "%s: %s",
					     err == ENOENT ? "missing" : why,
					     path) >= (int)sizeof(found))
					memcpy(found + sizeof(found) - 4, "...", 4);
				rep->nchecked++;
				mismatch(&c, "/proc", "a pid file", found, "pid file");
			} else {
				proc_skipped(rep, "cannot read the pid file '%s': %s", path, why);
			}
			continue;
		}
		rep->nproc_vms++;
		check_proc(&c, vm, strtol(line, NULL, 10), proc_root);
		if (c.oom)
			break;
	}
	free(canon);
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
