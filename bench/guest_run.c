/* The guest engine's run: every VM of the plan booted at once through libvirt, per variant. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "bench/guest_internal.h"
#include "probes/engine.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/guest.h"
#include "vmplan/xml.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* libvirt's errors are read where they happen; its default handler would print them. */
static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

static const char *libvirt_error(void)
{
	const virError *e = virGetLastError();

	return e && e->message ? e->message : "unknown libvirt error";
}

/* Whether the connection's capabilities offer <domain type='kvm'> for this architecture. */
static bool offers_kvm(virConnectPtr conn)
{
	char *caps = virConnectGetCapabilities(conn), why[128];
	xmlDocPtr doc =
	    caps ? vmp_xml_parse(caps, strlen(caps), "capabilities", 0, why, sizeof(why)) : NULL;
	xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
	xmlXPathObjectPtr res = NULL;
	bool kvm = false;

	if (ctx)
		res = xmlXPathEvalExpression(BAD_CAST "//guest/arch/domain[@type='kvm']", ctx);
	kvm = res && res->nodesetval && res->nodesetval->nodeNr > 0;
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	free(caps);
	return kvm;
}

static int pick_accel(bool *kvm, virConnectPtr conn, vmp_bench_accel accel, char **notes,
		      size_t *notes_len)
{
	bool dev = access("/dev/kvm", R_OK | W_OK) == 0, offered = offers_kvm(conn);

	if (accel == VMP_BENCH_ACCEL_TCG) {
		*kvm = false;
		return VMP_OK;
	}
	if (accel == VMP_BENCH_ACCEL_KVM) {
		if (!offered) {
			vmp_error_set("cannot run the guests under KVM: libvirt does not offer "
				      "<domain type='kvm'>%s; use --guest-accel tcg",
				      dev ? "" : " (no /dev/kvm)");
			return VMP_EINVAL;
		}
		*kvm = true;
		return VMP_OK;
	}
	*kvm = dev && offered;
	bench_add_note(notes, notes_len, "--guest-accel auto chose %s: %s", *kvm ? "kvm" : "tcg",
		       *kvm  ? "/dev/kvm exists and libvirt offers kvm"
		       : dev ? "libvirt does not offer kvm"
			     : "no /dev/kvm");
	return VMP_OK;
}

/* One guest of one variant. */
struct guest {
	int vm; /* index into the plan */
	char name[VMP_NAME_MAX + 48];
	char log[PATH_MAX];
	virDomainPtr dom;
	long pid;
	double started, reported;
	unsigned page_kib; /* the hugepages it boots with; 0: normal pages */
	bool done, have_report;
	int err, stopped_polls; /* polls that found the domain stopped (its log may still grow) */
	char why[512];
	guest_report report;
};

static long read_pid(const char *uri, const char *name)
{
	char path[PATH_MAX], line[64];
	FILE *f;
	long pid = 0;

	if (vmp_verify_pid_path(path, sizeof(path), uri, name, (unsigned)geteuid()) < 0)
		return 0;
	if (!(f = fopen(path, "r")))
		return 0;
	if (fgets(line, sizeof(line), f))
		pid = strtol(line, NULL, 10);
	fclose(f);
	return pid;
}

/* What every variant shares. */
struct ctx {
	const vmp_plan *plan;
	const vmp_host *host;
	const vmp_bench_options *o;
	virConnectPtr conn;
	const char *uri;
	char dir[256];
	char kernel[PATH_MAX], initrd[PATH_MAX];
	bool kvm;
	bool start_failed; /* a guest was refused at start (not a timeout, not a signal) */
	int results_cap;   /* room in run->results (bench_add_result()) */
	double timeout_s;
	uint64_t cell_bytes;
	guest_checks checks;
	char **notes;
	size_t *notes_len;
};

/* Whether the host has free pages of the VM's planned hugepage size for its cells. */
static bool hugepages_free(const vmp_host *host, const vmp_plan_vm *vm, uint64_t cell_bytes)
{
	uint64_t kib = vm->req.hugepage_bytes / 1024;

	for (int c = 0; c < (vm->ncells ? vm->ncells : 1); c++) {
		uint64_t need = guest_cell_bytes(vm, c, cell_bytes) / 1024 / (kib ? kib : 1);
		uint64_t have = 0;

		for (int n = 0; n < host->nnodes; n++) {
			if (vm->ncells && host->nodes[n].id != vm->cells[c].host_node)
				continue;
			for (int p = 0; p < host->nodes[n].nhugepages; p++)
				if (host->nodes[n].hugepages[p].size_kib == kib)
					have += host->nodes[n].hugepages[p].free;
		}
		if (have < need)
			return false;
	}
	return true;
}

static void destroy_all(struct guest *g, int n)
{
	for (int i = 0; i < n; i++) {
		if (!g[i].dom)
			continue;
		if (virDomainIsActive(g[i].dom) == 1)
			virDomainDestroy(g[i].dom);
		virDomainFree(g[i].dom);
		g[i].dom = NULL;
	}
}

/* Poll the logs (and sample the checks in the plan variant) until every guest is done. */
static void wait_guests(struct ctx *x, struct guest *g, int n, vmp_bench_variant variant)
{
	long *pids = calloc((size_t)x->plan->nvms, sizeof(*pids));
	double deadline = engine_now_s() + x->timeout_s;
	int left = n;

	while (left > 0 && !interrupted && engine_now_s() < deadline) {
		for (int i = 0; i < n; i++) {
			const vmp_plan_vm *vm = &x->plan->vms[g[i].vm];
			bool active;

			if (g[i].done)
				continue;
			active = virDomainIsActive(g[i].dom) == 1;
			if (active && variant == VMP_BENCH_PLAN) {
				if (!g[i].pid)
					g[i].pid = read_pid(x->uri, g[i].name);
				if (g[i].pid)
					guest_check_host(&x->checks, vm, g[i].pid, x->cell_bytes,
							 g[i].page_kib, "/proc", "/sys/fs/resctrl");
				if (pids)
					pids[g[i].vm] = g[i].pid;
			}
			g[i].err = guest_result_read_log(&g[i].report, g[i].log);
			/* virtlogd may write the last bytes after the domain stops: one more poll.
			 */
			g[i].stopped_polls += !active;
			if (g[i].err == VMP_OK || g[i].err == VMP_EINVAL ||
			    g[i].stopped_polls > 1) {
				if (g[i].err < 0)
					snprintf(g[i].why, sizeof(g[i].why), "%s%s",
						 vmp_error_last(),
						 active || g[i].err != VMP_ENOTFOUND
						     ? ""
						     : " (the guest stopped without a result)");
				g[i].have_report = g[i].err == VMP_OK;
				g[i].reported = engine_now_s();
				g[i].done = true;
				left--;
				if (pids)
					pids[g[i].vm] = 0;
			}
		}
		if (variant == VMP_BENCH_PLAN && pids)
			guest_check_exclusive(&x->checks, x->plan, pids, "/proc");
		if (left > 0)
			usleep(200 * 1000);
	}
	for (int i = 0; i < n; i++)
		if (!g[i].done) {
			g[i].err = guest_result_read_log(&g[i].report, g[i].log);
			g[i].have_report = g[i].err == VMP_OK;
			if (g[i].err < 0)
				snprintf(g[i].why, sizeof(g[i].why), "%s (%s)", vmp_error_last(),
					 interrupted ? "interrupted"
						     : "no result within --guest-timeout");
			g[i].reported = engine_now_s();
			g[i].done = true;
		}
	free(pids);
}

static int run_one_variant(vmp_bench_run *run, struct ctx *x, vmp_bench_variant variant)
{
	const vmp_plan *plan = x->plan;
	const char *vname = vmp_bench_variant_name(variant);
	struct guest *g = calloc((size_t)plan->nvms, sizeof(*g));
	int n = 0, err = VMP_OK;

	if (!g) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		guest_boot b = {
		    .domain_type = x->kvm ? "kvm" : "qemu",
		    .kernel = x->kernel,
		    .initrd = x->initrd,
		    .workloads = run->workloads,
		    .seconds = run->seconds,
		    .reps = run->reps,
		    .cell_bytes = x->cell_bytes,
		    .drop_hugepages =
			vm->req.hugepage_bytes && !hugepages_free(x->host, vm, x->cell_bytes),
		    .drop_resctrl = !x->kvm,
		    .online = &x->host->online,
		};
		struct guest *gi = &g[n];
		char *xml = NULL;

		if (!vm->placed)
			continue;
		gi->vm = i;
		/* The process id keeps two benches on one libvirtd (a nightly run and one by
		 * hand) from taking each other's domain names. */
		snprintf(gi->name, sizeof(gi->name), "vmplan-bench-%ld-%s-%s", (long)getpid(),
			 vname, vm->req.name);
		snprintf(gi->log, sizeof(gi->log), "%s/%s.log", x->dir, gi->name);
		unlink(gi->log);
		b.name = gi->name;
		gi->page_kib = b.drop_hugepages ? 0 : (unsigned)(vm->req.hugepage_bytes / 1024);
		b.serial_log = gi->log;
		if (b.drop_hugepages)
			bench_add_note(x->notes, x->notes_len,
				       "vm '%s': no free %" PRIu64
				       " KiB hugepages for its cells here: "
				       "its guests run on normal pages",
				       vm->req.name, vm->req.hugepage_bytes / 1024);
		if (b.drop_resctrl && (vm->ncachetune || vm->nmemorytune))
			bench_add_note(x->notes, x->notes_len,
				       "vm '%s': cachetune/memorytune left out: TCG domains refuse "
				       "them",
				       vm->req.name);
		if ((err = guest_variant_xml(&xml, plan, i, variant, &b)) < 0)
			goto out;
		gi->started = engine_now_s();
		gi->dom = virDomainCreateXML(x->conn, xml, 0);
		free(xml);
		n++;
		if (!gi->dom) {
			vmp_error_set("cannot start guest '%s' on '%s': %s", gi->name, x->uri,
				      libvirt_error());
			x->start_failed = true;
			err = VMP_ESYS;
			goto out;
		}
	}
	if (x->o->progress)
		x->o->progress(x->o->opaque, vname, 0);
	wait_guests(x, g, n, variant);
	destroy_all(g, n);
	if (interrupted) {
		vmp_error_set("interrupted: the bench's guests were destroyed");
		err = VMP_ESYS;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const vmp_plan_vm *vm = &plan->vms[g[i].vm];
		guest_report *r = &g[i].report;
		char what[64];

		snprintf(what, sizeof(what), "%s: guest result", vname);
		if (!g[i].have_report) {
			guest_check_add(&x->checks, vm->req.name, what, "guest",
					"a VMPLAN-RESULT line", g[i].why, false, false);
			continue;
		}
		if (r->error[0]) {
			guest_check_add(&x->checks, vm->req.name, what, "guest", "no error",
					r->error, false, false);
			continue;
		}
		guest_check_add(&x->checks, vm->req.name, what, "guest", "a VMPLAN-RESULT line",
				"reported", true, false);
		bench_add_note(x->notes, x->notes_len, "%s: vm '%s' booted and reported in %.1f s",
			       vname, vm->req.name, g[i].reported - g[i].started);
		if (variant == VMP_BENCH_PLAN)
			guest_check_topology(&x->checks, vm, r, x->cell_bytes);
		for (int w = 0; w < VMP_BENCH_NWORKLOADS; w++)
			if (r->nsamples[w] > 0 &&
			    (err = bench_add_result(run, &x->results_cap, vm->req.name,
						    (vmp_bench_workload)w, variant, r->samples[w],
						    r->nsamples[w])) < 0)
				goto out;
	}
	err = VMP_OK;
out:
	destroy_all(g, n);
	for (int i = 0; i < plan->nvms; i++)
		guest_report_clear(&g[i].report);
	free(g);
	return err;
}

/* What follows from the accelerator chosen: the run's fields, the timeout, the TCG note. */
static void set_accel(vmp_bench_run *run, struct ctx *x)
{
	snprintf(run->accel, sizeof(run->accel), "%s", x->kvm ? "kvm" : "tcg");
	run->perf_judged = x->kvm;
	if (!x->kvm)
		vmp_bench_run_perf_not_judged(run, "software emulation (TCG)");
	x->timeout_s = x->o->guest_timeout_s > 0 ? x->o->guest_timeout_s
		       : x->kvm                  ? VMP_BENCH_GUEST_TIMEOUT_KVM
						 : VMP_BENCH_GUEST_TIMEOUT_TCG;
	if (!x->kvm)
		bench_add_note(x->notes, x->notes_len,
			       "software emulation (TCG): performance is not judged; the figures "
			       "say nothing about the hardware, only the placement and topology "
			       "checks decide");
}

/*
 * One variant; with --guest-accel auto, a KVM guest that QEMU refuses at start (nested KVM
 * fails on some hosts: "failed to set MSR") sends the whole run to TCG, said in a note.
 */
static int run_variant_or_fall_back(vmp_bench_run *run, struct ctx *x, vmp_bench_variant v)
{
	int err = run_one_variant(run, x, v);
	char why[512];

	if (err != VMP_ESYS || !x->start_failed || !x->kvm ||
	    x->o->guest_accel != VMP_BENCH_ACCEL_AUTO || interrupted)
		return err;
	/* QEMU's message spans lines; a note is one. */
	snprintf(why, sizeof(why), "%s", vmp_error_last());
	for (char *c = why; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	bench_add_note(x->notes, x->notes_len,
		       "kvm: %s; --guest-accel auto falls back to software emulation (TCG)", why);
	x->kvm = false;
	x->start_failed = false;
	set_accel(run, x);
	return run_one_variant(run, x, v);
}

/* The kernel, and an initramfs with vmplan-guest as PID 1 in the run's directory. */
static int prepare_image(struct ctx *x)
{
	char program[PATH_MAX];
	int err;

	if ((err = vmp_guest_kernel_find(x->kernel, sizeof(x->kernel), x->o->guest_kernel)) < 0)
		return err;
	if (x->o->guest_program)
		snprintf(program, sizeof(program), "%s", x->o->guest_program);
	else if ((err = vmp_guest_program_find(program, sizeof(program), x->o->guest_argv0)) < 0)
		return err;
	snprintf(x->initrd, sizeof(x->initrd), "%s/initrd.cpio", x->dir);
	return vmp_guest_image_write(x->initrd, program);
}

static void memory_notes(struct ctx *x)
{
	for (int i = 0; i < x->plan->nvms; i++) {
		const vmp_plan_vm *vm = &x->plan->vms[i];

		for (int c = 0; vm->placed && c < (vm->ncells ? vm->ncells : 1); c++) {
			uint64_t planned =
			    vm->ncells ? vm->cells[c].memory_bytes : vm->req.memory_bytes;

			if (planned > x->cell_bytes)
				bench_add_note(x->notes, x->notes_len,
					       "memory scaled: vm '%s' cell %d boots with %" PRIu64
					       " MiB of its planned %" PRIu64
					       " MiB (--guest-memory)",
					       vm->req.name, c, x->cell_bytes >> 20, planned >> 20);
		}
	}
}

int guest_run_variants(vmp_bench_run *run, const vmp_plan *plan, const vmp_host *host,
		       const vmp_bench_options *o, char **notes, size_t *notes_len)
{
	struct ctx x = {.plan = plan, .host = host, .o = o, .notes = notes, .notes_len = notes_len};
	struct sigaction sa = {0}, old_int, old_term;
	int err;

	x.uri = o->connect_uri ? o->connect_uri : VMP_BENCH_GUEST_URI;
	x.cell_bytes = o->guest_memory_bytes ? o->guest_memory_bytes : VMP_BENCH_GUEST_MEMORY;
	run->engine = VMP_BENCH_ENGINE_GUEST;
	snprintf(x.dir, sizeof(x.dir), "/tmp/vmplan-bench-XXXXXX");
	if (!mkdtemp(x.dir)) {
		vmp_error_set("cannot make a directory for the guests' logs: %s", strerror(errno));
		return VMP_ESYS;
	}
	/* QEMU may run as another user: it must reach the image and write the logs. */
	chmod(x.dir, 0755);
	virSetErrorFunc(NULL, quiet);
	if (!(x.conn = virConnectOpen(x.uri))) {
		vmp_error_set("cannot connect to '%s' for the guest bench: %s", x.uri,
			      libvirt_error());
		err = VMP_ESYS;
		goto out;
	}
	if ((err = pick_accel(&x.kvm, x.conn, o->guest_accel, notes, notes_len)) < 0)
		goto out;
	set_accel(run, &x);
	memory_notes(&x);
	if ((err = prepare_image(&x)) < 0)
		goto out;
	bench_add_note(notes, notes_len, "guests: kernel %s, serial logs in %s", x.kernel, x.dir);
	interrupted = 0;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (int v = 0; v < VMP_BENCH_NVARIANTS && err == VMP_OK; v++)
		if (run->variants & (1u << v))
			err = run_variant_or_fall_back(run, &x, (vmp_bench_variant)v);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (err < 0)
		goto out;
	if (x.checks.oom) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	run->guest_checks = x.checks.items;
	run->nguest_checks = x.checks.n;
	x.checks.items = NULL;
out:
	guest_checks_free(&x.checks);
	if (x.conn)
		virConnectClose(x.conn);
	virSetErrorFunc(NULL, NULL);
	return err;
}
