/* The nightly run: host unchanged, verify, bench, history, reports, one summary and status. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "nightly.h"
#include "vmplan/error.h"
#include "vmplan/host_json.h"
#include "vmplan/identity.h"
#include "vmplan/plan_json.h"
#include "vmplan/probe.h"
#include "vmplan/report.h"
#include "vmplan/statedir.h"

static const char nightly_usage[] =
    "usage: vmplan nightly [--state-dir DIR] [--connect URI] [--engine host|guest]\n"
    "                      [--workload LIST] [--reps N] [--seconds S] [--compare-last N]\n"
    "                      [--threshold PCT] [--keep-days N] [--skip STEPS] [--json]\n"
    "                      [--prom FILE] [--guest-accel kvm|tcg|auto] [--guest-kernel F]\n"
    "                      [--guest-memory SIZE] [--guest-timeout S]\n"
    "\n"
    "Check this host against its accepted plan, the one kept in the state directory by\n"
    "'vmplan accept' or 'vmplan export --define' (plan.json and host.json), in order:\n"
    "\n"
    "  1. the host: this machine, probed now, must be the one the plan was made for\n"
    "     (its identity: topology, node sizes, CPU model, resctrl, not free memory);\n"
    "     a changed machine stops the run here, exit 2,\n"
    "     saying what changed (re-plan and accept the new plan)\n"
    "  2. verify: every placed VM of the plan that is defined and running is compared\n"
    "     with the plan as 'vmplan verify' does (libvirt's live pinning, NUMA memory\n"
    "     and, on a local URI, the QEMU threads in /proc); a stopped VM's definition\n"
    "     is compared too; every difference is listed as drift; planned VMs that are\n"
    "     not defined or not running are listed, not counted as drift\n"
    "  3. bench: the kept plan is benched as 'vmplan bench' does (host threads by\n"
    "     default, --engine guest for transient guests named vmplan-bench-*; running\n"
    "     domains are never touched, but the host engine's threads share their CPUs\n"
    "     while it runs); compared with the last --compare-last runs of the same host,\n"
    "     plan, engine, --reps and --seconds; stored in DIR/history.db; runs older\n"
    "     than --keep-days days are then removed\n"
    "  4. reports: 'report bench' (the last 30 days) and 'report host' (this host\n"
    "     with the plan) are written again into DIR/reports/bench and\n"
    "     DIR/reports/host\n"
    "\n"
    "A short summary is printed, ending in one line that says it all (what the journal\n"
    "of vmplan-nightly.service keeps); --json prints the run as JSON instead.\n"
    "\n"
    "Options:\n"
    "  --state-dir DIR      the state directory (default $VMPLAN_STATE_DIR, else\n"
    "                       /var/lib/vmplan)\n"
    "  --connect URI        libvirt URI of verify and of the guest engine (default\n"
    "                       qemu:///system)\n"
    "  --engine E           the bench engine: host (default) or guest\n"
    "  --workload LIST      the bench's workloads (default: by each VM's profile)\n"
    "  --reps N             repetitions per variant and workload (default 5)\n"
    "  --seconds S          seconds per repetition (default 0.5)\n"
    "  --compare-last N     compare with the median of the last N runs (default 5)\n"
    "  --threshold PCT      a metric regressed when worse by more than PCT percent\n"
    "                       (default 10)\n"
    "  --keep-days N        remove runs older than N days from the history after\n"
    "                       storing this one (default 90; 0: keep every run)\n"
    "  --skip STEPS         leave out steps, comma-separated: verify, bench, reports\n"
    "                       (the host check always runs)\n"
    "  --json               print the run as JSON: host, verify (drift, not_running),\n"
    "                       bench (gate, run_id, medians, regressions), reports,\n"
    "                       errors, status\n"
    "  --prom FILE          also write the figures as a Prometheus textfile (for\n"
    "                       node_exporter's textfile collector: a FILE ending in .prom\n"
    "                       in its --collector.textfile.directory), replaced atomically\n"
    "  --guest-accel, --guest-kernel, --guest-memory, --guest-timeout\n"
    "                       the guest engine's options, as for 'vmplan bench'\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 all is well; 4 drift; 6 a metric regressed; 5 the bench gate\n"
    "failed (the first of those that holds, in that order); 1 a step failed (libvirt\n"
    "unreachable, a report or the history not written: said, and the other steps\n"
    "still run); 2 bad usage, no accepted plan, or the host changed.\n";

enum { OPT_STATE_DIR = 0x4000, OPT_NCONNECT, OPT_KEEP_DAYS, OPT_SKIP, OPT_NJSON, OPT_PROM };

/* Record a failed step; the run goes on. */
static void step_failed(nightly *n, const char *step)
{
	cli_error("%s: %s", step, vmp_error_last());
	if (n->nerrors < (int)(sizeof(n->errors) / sizeof(n->errors[0])))
		snprintf(n->errors[n->nerrors++], sizeof(n->errors[0]), "%s: %s", step,
			 vmp_error_last());
}

static int parse_skip(nightly *n, const char *arg)
{
	static const cli_word steps[] = {{"verify", 1}, {"bench", 2}, {"reports", 3}, {NULL, 0}};
	char buf[256], *save = NULL;
	int step;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (cli_parse_word(&step, "--skip", t, steps) < 0)
			return -1;
		n->skip_verify |= step == 1;
		n->skip_bench |= step == 2;
		n->skip_reports |= step == 3;
	}
	return 0;
}

/* One option of nightly's own; 0, or -1 after a message. */
static int take_option(nightly *n, int c, const char *arg)
{
	int taken = cli_bench_run_take(&n->bo, &n->compare_last, &n->threshold, c, arg);

	if (taken)
		return taken < 0 ? -1 : 0;
	switch (c) {
	case OPT_STATE_DIR:
		n->state_dir = arg;
		return 0;
	case OPT_NCONNECT:
		n->uri = arg;
		return 0;
	case OPT_KEEP_DAYS:
		return cli_parse_int(&n->keep_days, arg, "--keep-days", 0, 100000);
	case OPT_SKIP:
		return parse_skip(n, arg);
	case OPT_NJSON:
		n->json = true;
		return 0;
	case OPT_PROM:
		n->prom = arg;
		return 0;
	default:
		return cli_bench_engine_option(&n->bo, c, arg);
	}
}

/* Read the command line; false, with *status, where the command ends. */
static bool read_options(int *status, nightly *n, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
	    {"connect", required_argument, NULL, OPT_NCONNECT},
	    CLI_RUN_LONGOPTS,
	    {"keep-days", required_argument, NULL, OPT_KEEP_DAYS},
	    {"skip", required_argument, NULL, OPT_SKIP},
	    {"json", no_argument, NULL, OPT_NJSON},
	    {"prom", required_argument, NULL, OPT_PROM},
	    CLI_ENGINE_LONGOPTS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	cli_getopt_start(status);
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(nightly_usage, stdout);
			*status = 0;
			return false;
		}
		if (c == '?' || c == ':') {
			cli_option_error("nightly", c, argv[optind - 1]);
			return false;
		}
		if (take_option(n, c, optarg) < 0)
			return false;
	}
	if (!cli_no_more_args("nightly", argc, argv, optind))
		return false;
	if (n->bo.engine == VMP_BENCH_ENGINE_HOST &&
	    (n->bo.guest_kernel || n->bo.guest_memory_bytes || n->bo.guest_timeout_s ||
	     n->bo.guest_accel)) {
		cli_error("--guest-* need --engine guest");
		return false;
	}
	return true;
}

/*
 * Is this still the host the plan was made for? Its identity (vmplan/identity.h: topology,
 * node sizes, CPU model, resctrl; never free memory) decides. False, with why, when it
 * changed.
 */
static bool host_unchanged(char *why, size_t size, const vmp_plan *plan, const vmp_host *live)
{
	char differs[1024];

	if (vmp_plan_same_host(differs, sizeof(differs), plan, live))
		return true;
	snprintf(why, size,
		 "this host changed since its plan was accepted: the plan is for host '%s', this "
		 "is '%s': %s; make a plan for it and accept it ('vmplan accept')",
		 plan->hostname, live->hostname, differs);
	return false;
}

/* The kept plan and host model, and this host; 0, or the exit status after saying why. */
static int load_state(nightly *n)
{
	char path[PATH_MAX];
	int err;

	snprintf(n->dir, sizeof(n->dir), "%s", vmp_statedir_dir(n->state_dir));
	if ((err = vmp_statedir_path(path, sizeof(path), n->dir, VMP_STATE_PLAN)) < 0)
		goto fail;
	if (access(path, F_OK) < 0) {
		cli_error("no accepted plan in '%s'; keep one with 'vmplan accept plan.json' or "
			  "'vmplan export plan.json --define URI'",
			  n->dir);
		return EXIT_USAGE;
	}
	if ((err = vmp_plan_load_json(&n->plan, path)) < 0 ||
	    (err = vmp_statedir_path(path, sizeof(path), n->dir, VMP_STATE_HOST)) < 0 ||
	    (err = vmp_host_load_json(&n->kept, path)) < 0)
		goto fail;
	if ((err = vmp_probe_live(&n->live)) < 0) {
		cli_error("%s", vmp_error_last());
		return EXIT_RUNTIME;
	}
	vmp_host_fingerprint(n->fp, n->live);
	return 0;
fail:
	cli_error("%s", vmp_error_last());
	return cli_status(err);
}

static void do_verify(nightly *n)
{
	vmp_verify_opts vo = {.proc = -1};

	if (vmp_verify_plan(&n->rep, n->plan, n->uri, &vo) < 0) {
		step_failed(n, "verify");
		return;
	}
	for (int k = 0; k < n->rep->nmismatches; k++) {
		if (nightly_is_drift(&n->rep->mismatches[k]))
			n->ndrift++;
		else
			n->nidle++;
	}
}

static void do_bench(nightly *n)
{
	char path[PATH_MAX];
	vmp_history *hist = NULL;

	if (vmp_statedir_path(path, sizeof(path), n->dir, VMP_STATE_HISTORY) < 0 ||
	    vmp_history_open(&hist, path) < 0) {
		step_failed(n, "history");
		return;
	}
	cli_bench_find_self(&n->bo);
	if (n->bo.engine == VMP_BENCH_ENGINE_GUEST)
		n->bo.connect_uri = n->uri;
	if (vmp_bench_run_plan(&n->run, n->plan, n->live, &n->bo) < 0) {
		step_failed(n, "bench");
		goto out;
	}
	n->gate_pass = vmp_bench_engine_gate(n->run);
	/* Compared before it is stored, so the run is not its own history. */
	if (vmp_history_compare(&n->regs, &n->nregs, hist, n->run, n->compare_last, n->threshold,
				-1) < 0)
		step_failed(n, "history");
	for (int k = 0; k < n->nregs; k++)
		n->nregressed += n->regs[k].regressed;
	if (vmp_history_store(hist, n->run, &n->run_id) < 0) {
		step_failed(n, "history");
		goto out;
	}
	if (n->keep_days > 0 && vmp_history_prune(&n->pruned, hist, n->keep_days) < 0)
		step_failed(n, "history");
out:
	vmp_history_close(hist);
}

/* One report into DIR/reports/NAME; the folder's path into out when it was written. */
static void write_report(nightly *n, int which, const char *name)
{
	vmp_report_opts ro = {0};
	vmp_bench_report *br = NULL;
	vmp_host_report *hr = NULL;
	char path[PATH_MAX], dir[PATH_MAX], *text = NULL, *json = NULL;
	int err;

	if ((err = vmp_statedir_path(dir, sizeof(dir), n->dir, VMP_STATE_REPORTS)) < 0 ||
	    (err = vmp_statedir_path(path, sizeof(path), dir, name)) < 0)
		goto out;
	ro.out_dir = path;
	if (which == 0) {
		char hist[PATH_MAX];

		if ((err = vmp_statedir_path(hist, sizeof(hist), n->dir, VMP_STATE_HISTORY)) < 0 ||
		    (err = vmp_bench_report_new_days(&br, hist, n->fp, n->report_days)) < 0 ||
		    (err = vmp_bench_report_write(&text, &json, br, &ro)) < 0)
			goto out;
	} else if ((err = vmp_host_report_new(&hr, n->live, n->plan)) < 0 ||
		   (err = vmp_host_report_write(&text, &json, hr, &ro)) < 0) {
		goto out;
	}
	snprintf(n->reports[which], sizeof(n->reports[which]), "%s", path);
out:
	if (err < 0)
		step_failed(n, which == 0 ? "report bench" : "report host");
	free(text);
	free(json);
	vmp_bench_report_free(br);
	vmp_host_report_free(hr);
}

/* The status of the most serious finding: drift, then regression, then the gate. */
static int final_status(const nightly *n)
{
	if (n->ndrift)
		return EXIT_MISMATCH;
	if (n->nregressed)
		return EXIT_REGRESSION;
	if (n->run && !n->gate_pass)
		return EXIT_VALIDATION;
	return n->nerrors ? EXIT_RUNTIME : EXIT_PLACED;
}

static int run_nightly(nightly *n)
{
	int status;

	if ((status = load_state(n)) != 0)
		return status;
	if (!host_unchanged(n->host_why, sizeof(n->host_why), n->plan, n->live)) {
		n->host_changed = true;
		n->status = EXIT_USAGE;
		cli_error("%s", n->host_why);
	} else {
		if (!n->skip_verify)
			do_verify(n);
		if (!n->skip_bench)
			do_bench(n);
		if (!n->skip_reports) {
			write_report(n, 0, "bench");
			write_report(n, 1, "host");
		}
		n->status = final_status(n);
	}
	if (n->json)
		nightly_print_json(n);
	else
		nightly_print_text(n);
	if (n->prom && (status = nightly_write_prom(n)) != 0 && n->status == EXIT_PLACED)
		n->status = status;
	return n->status;
}

static int exec_nightly(int argc, char **argv)
{
	nightly n = {.uri = VMP_BENCH_GUEST_URI,
		     .compare_last = 5,
		     .keep_days = 90,
		     .report_days = 30,
		     .threshold = VMP_BENCH_DEFAULT_THRESHOLD};
	int status;

	if (read_options(&status, &n, argc, argv))
		status = run_nightly(&n);
	free(n.regs);
	vmp_bench_run_free(n.run);
	vmp_verify_report_free(n.rep);
	vmp_host_free(n.live);
	vmp_host_free(n.kept);
	vmp_plan_free(n.plan);
	return status;
}

const vmp_command cmd_nightly = {
    .name = "nightly",
    .summary = "check this host against its accepted plan: verify, bench, history, reports",
    .usage = nightly_usage,
    .exec = exec_nightly,
};
