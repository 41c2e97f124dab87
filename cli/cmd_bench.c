/* Run a plan's guests on this host against baselines; gate, keep history, flag regressions. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "vmplan/bench.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/plan_json.h"
#include "vmplan/probe.h"
#include "vmplan/size.h"

static const char bench_usage[] =
    "usage: vmplan bench [plan.json] [--engine host|guest] [--baseline unpinned|naive|both]\n"
    "                    [--workload LIST] [--reps N] [--seconds S] [--history DB\n"
    "                    [--compare-last N] [--threshold PCT]] [-o results.json] [--json]\n"
    "                    [--force] [--guest-accel kvm|tcg|auto] [--guest-kernel FILE]\n"
    "                    [--guest-memory SIZE] [--guest-timeout S] [--connect URI]\n"
    "\n"
    "Prove a plan on this host before it is exported. Two engines:\n"
    "\n"
    "--engine guest boots every placed VM of the plan at once as a transient libvirt\n"
    "domain: exactly the domain XML 'vmplan export' writes, with direct kernel boot\n"
    "(the host's cloud kernel and an initramfs whose PID 1 is vmplan-guest), a serial\n"
    "log, no disks, memory per guest cell scaled down to --guest-memory (said in the\n"
    "notes), hugepages dropped where the host has none free. Each guest reports its\n"
    "own topology and its workload figures on the serial port and powers off. The\n"
    "baselines are the same domains with the tuning removed (unpinned) or with the\n"
    "vCPUs pinned in CPU order (naive). While the plan variant runs, the host checks\n"
    "each QEMU vCPU, emulator and I/O thread's affinity (/proc), that a cpu=dedicated\n"
    "vCPU shares its CPUs with no other vCPU, where each guest cell's memory lies\n"
    "(numa_maps), the vCPU scheduler (where the plan sets vcpusched), the cgroup CPU\n"
    "weight and quota (where set) and the resctrl group (skipped without resctrl); the\n"
    "guest's own topology must match the plan's cells and <topology>. Under software\n"
    "emulation (TCG) performance is not judged: the checks alone decide the gate.\n"
    "Under KVM the checks and the performance gate below both must pass.\n"
    "\n"
    "--engine host (the default; the quick screen) emulates every placed VM of the\n"
    "plan on the host, all at once: one thread per vCPU pinned where the plan pins it (on the\n"
    "pool for cpu=shared VMs), the memory of each guest cell bound strictly to its host\n"
    "node (on hugepages where planned and the pool has them; a note says when not), an\n"
    "emulator thread and the I/O threads pinned as planned with a light load (5% of a\n"
    "CPU). The same threads then run under the baselines, and the table shows per VM\n"
    "and metric the plan's median (min-max), each baseline's, the ratio (above 1: the\n"
    "plan is better, whichever way the metric points) and the verdict.\n"
    "\n"
    "Workloads (default: by each VM's profile, its bench_workloads key in\n"
    "profiles/NAME.yaml; latency-critical, realtime, nfv: latency,c2c; database,\n"
    "throughput, general, batch, and VMs without a profile: stream,latency):\n"
    "  stream     STREAM triad per VM, all its vCPUs together (GB/s; 24 bytes an element)\n"
    "  latency    dependent loads through the vCPU's memory, mean per vCPU (ns)\n"
    "  c2c        cache-line ping-pong between vCPU i and i+n/2, one way (ns)\n"
    "  compute    an integer multiply/xorshift chain, mean per vCPU (ops/s)\n"
    "  noisy      latency while an antagonist streams memory on the CPUs no VM uses\n"
    "             (floating on all CPUs when none is free)\n"
    "\n"
    "The gate: each VM's primary metric (the first workload of --workload, else of its\n"
    "profile's list, that it has a figure for; marked *) is judged against each\n"
    "baseline by a 95% confidence interval of the ratio plan/baseline (distribution-free:\n"
    "the Hodges-Lehmann interval of the Mann-Whitney test, on the repetitions' logs).\n"
    "Verdicts: better, the whole interval above 1; same, its low end at least 1 - 5%;\n"
    "worse, the whole interval below 1 and reaching past 1 - 5%; INCONCL(usive), an\n"
    "interval holding both no change and a loss past 5%, or too few repetitions for one\n"
    "(4 each at least). While a primary verdict is inconclusive every variant runs that\n"
    "workload --reps more times, up to 3 x --reps in all. The gate passes only when no VM\n"
    "is worse, none inconclusive, none not judged, and every check holds: every vCPU,\n"
    "emulator and I/O thread ran only on the plan's CPUs (sched_getcpu sampled\n"
    "throughout) and has exactly the plan's affinity (Cpus_allowed_list read back from\n"
    "/proc), no two dedicated vCPUs share a CPU in the plan as run, each cell's memory\n"
    "is bound to its node (get_mempolicy) and lies there (move_pages), and the\n"
    "baselines' threads have theirs (unpinned: this process's CPUs; naive: CPU order).\n"
    "A VM none of whose workloads gave a figure (c2c alone for a VM of one vCPU) is not\n"
    "judged, and fails the gate: nothing measured proves nothing.\n"
    "\n"
    "Without plan.json, the accepted plan kept in the state directory is taken\n"
    "($VMPLAN_STATE_DIR, else /var/lib/vmplan; see 'vmplan accept').\n"
    "\n"
    "Options:\n"
    "  --engine E           host (default: host threads stand in for the vCPUs) or\n"
    "                       guest (real guests through libvirt)\n"
    "  --guest-accel A      the guest engine's accelerator: kvm, tcg (software\n"
    "                       emulation) or auto (default: kvm where /dev/kvm exists\n"
    "                       and libvirt offers it, else tcg; a KVM guest QEMU\n"
    "                       refuses at start falls back to tcg; the notes say\n"
    "                       which ran)\n"
    "  --guest-kernel FILE  the guest kernel (default /boot/vmlinuz-*-cloud-amd64)\n"
    "  --guest-memory SIZE  memory of each guest cell at most (default 256M)\n"
    "  --guest-timeout S    seconds each variant's guests have to report (default\n"
    "                       120 under TCG, 60 under KVM); then they are destroyed\n"
    "  --connect URI        libvirt URI of the guest engine (default qemu:///system)\n"
    "  --baseline B         unpinned (no affinity, default memory policy), naive (vCPUs\n"
    "                       pinned in CPU order, VM after VM, ignoring topology), or\n"
    "                       both (default)\n"
    "  --workload LIST      comma-separated workloads, in order (overrides profiles)\n"
    "  --reps N             repetitions per variant and workload (default 5); up to\n"
    "                       3 x N while a verdict is inconclusive\n"
    "  --seconds S          seconds per repetition (default 0.5)\n"
    "  --history DB         store the run in this SQLite file (created if missing;\n"
    "                       schema 1: tables meta, runs, results; see the README,\n"
    "                       'History')\n"
    "  --compare-last N     compare each metric with the median of the last N runs of\n"
    "                       this host and plan in the history, before storing this one\n"
    "  --threshold PCT      a metric regressed when worse than that median by more\n"
    "                       than PCT percent (default 10)\n"
    "  -o, --output FILE    write the results as JSON (written whole or not at all)\n"
    "  --json               print the results as JSON instead of the table\n"
    "  --force              run a plan made for another host (its CPUs and nodes must\n"
    "                       still exist here)\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 the gate passed; 5 the gate failed: a VM worse, inconclusive or\n"
    "not judged, a check failed, or a guest did not report;\n"
    "6 --compare-last found a regression (over 5); 2 bad input or a plan for another\n"
    "host; 1 runtime error.\n";

static const char *const verdicts[] = {"same", "better", "WORSE", "INCONCL"};

/* A figure in a few characters: 12.34, 1234.5, 312.5M, 2.41G. */
static const char *fmt(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (fabs(v) >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (fabs(v) >= 1e6)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else if (fabs(v) >= 1e4)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.2f", v);
	return buf;
}

static const char *const check_kinds[] = {"vCPU",
					  "emulator",
					  "iothread",
					  "memory of cell",
					  "exclusive vCPU",
					  "affinity of vCPU",
					  "memory policy of cell"};

/* Every check of the guest engine with what it found. */
static void print_guest_checks(const vmp_bench_run *run)
{
	int ok = 0, skipped = 0;

	for (int k = 0; k < run->nguest_checks; k++) {
		ok += run->guest_checks[k].ok && !run->guest_checks[k].skipped;
		skipped += run->guest_checks[k].skipped;
	}
	printf("\nchecks: %d of %d ok, %d skipped (host: /proc, numa_maps, cgroup, resctrl; "
	       "guest: its own topology)\n",
	       ok, run->nguest_checks - skipped, skipped);
	for (int k = 0; k < run->nguest_checks; k++) {
		const vmp_bench_guest_check *c = &run->guest_checks[k];

		printf("  %-7s vm %-10s %-26s %-9s expected %s, found %s\n",
		       c->skipped ? "skipped"
		       : c->ok    ? "ok"
				  : "FAILED",
		       c->vm, c->what, c->source, c->expected, c->found);
	}
}

void cli_bench_print(const vmp_bench_run *run)
{
	char a[32], b[32], c[32], range[80], planned[256], observed[256];
	int nchecks_ok = 0;

	printf("bench on host %s (fingerprint %s), plan %s: %d reps x %.2f s, workloads %s\n",
	       run->hostname, run->host, run->plan_hash, run->reps, run->seconds, run->workloads);
	if (run->engine == VMP_BENCH_ENGINE_GUEST)
		printf("engine: guest (real guests through libvirt, accelerator %s)%s\n\n",
		       run->accel,
		       run->perf_judged ? ""
					: "; performance NOT judged under software emulation "
					  "(TCG): only the placement and topology checks decide");
	else
		printf("engine: host (host threads stand in for the vCPUs)\n\n");
	printf("%-12s %-10s %-11s %-6s %-26s", "vm", "workload", "metric", "unit",
	       "plan median (min-max)");
	for (int v = VMP_BENCH_UNPINNED; v < VMP_BENCH_NVARIANTS; v++)
		if (run->variants & (1u << v))
			printf(" %-10s %-7s %-7s", vmp_bench_variant_name((vmp_bench_variant)v),
			       "ratio", "verdict");
	printf("\n");
	for (int k = 0; k < run->nresults; k++) {
		const vmp_bench_result *r = &run->results[k];

		if (r->variant != VMP_BENCH_PLAN)
			continue;
		snprintf(range, sizeof(range), "%s (%s-%s)", fmt(a, sizeof(a), r->median),
			 fmt(b, sizeof(b), r->min), fmt(c, sizeof(c), r->max));
		snprintf(c, sizeof(c), "%s%s", vmp_bench_workload_name(r->workload),
			 r->primary ? "*" : "");
		printf("%-12s %-10s %-11s %-6s %-26s", r->vm, c, vmp_bench_metric_name(r->workload),
		       vmp_bench_unit_name(r->workload), range);
		for (int v = VMP_BENCH_UNPINNED; v < VMP_BENCH_NVARIANTS; v++) {
			const vmp_bench_result *base;
			double ratio;

			if (!(run->variants & (1u << v)))
				continue;
			base = vmp_bench_find(run, r->vm, r->workload, (vmp_bench_variant)v);
			if (!base) {
				printf(" %-10s %-7s %-7s", "-", "-", "-");
				continue;
			}
			vmp_bench_judgement j;
			vmp_bench_verdict verdict =
			    vmp_bench_compare(&j, r, base, run->threshold_pct);

			ratio = j.ratio;
			snprintf(b, sizeof(b), "x%.2f", ratio);
			/* Under TCG no verdict is given: the figures say nothing. */
			printf(" %-10s %-7s %-7s", fmt(a, sizeof(a), base->median), b,
			       run->engine == VMP_BENCH_ENGINE_GUEST && !run->perf_judged
				   ? "-"
				   : verdicts[verdict]);
		}
		printf("\n");
	}
	printf("* the VM's primary metric, the one the gate judges; ratio > 1: the plan is "
	       "better\n");
	if (run->engine == VMP_BENCH_ENGINE_GUEST)
		print_guest_checks(run);
	for (int k = 0; k < run->nchecks && run->engine == VMP_BENCH_ENGINE_HOST; k++)
		nchecks_ok += run->checks[k].ok;
	if (run->engine == VMP_BENCH_ENGINE_HOST)
		printf(
		    "\nplacement: %d of %d checks ok (threads on their planned CPUs and with the "
		    "planned affinity, dedicated vCPUs alone on theirs, memory bound to and on its "
		    "planned node)\n",
		    nchecks_ok, run->nchecks);
	for (int k = 0; k < run->nchecks; k++) {
		const vmp_bench_check *ck = &run->checks[k];

		if (ck->ok)
			continue;
		vmp_cpuset_format(planned, sizeof(planned), &ck->planned);
		vmp_cpuset_format(observed, sizeof(observed), &ck->observed);
		printf("  MISPLACED vm %s %s %d (%s): planned %s, observed %s\n", ck->vm,
		       check_kinds[ck->kind], ck->index, vmp_bench_variant_name(ck->variant),
		       planned, *observed ? observed : "-");
	}
	if (run->notes && *run->notes) {
		const char *line = run->notes;

		while (*line) {
			const char *nl = strchr(line, '\n');
			int len = nl ? (int)(nl - line) : (int)strlen(line);

			printf("note: %.*s\n", len, line);
			line += len + (nl ? 1 : 0);
		}
	}
}

bool cli_bench_print_gate(const vmp_bench_run *run)
{
	vmp_bench_gate_item *items = NULL;
	char a[32], b[32];
	int n = 0;
	bool perf = vmp_bench_gate(&items, &n, run), pass = perf;

	if (run->engine == VMP_BENCH_ENGINE_GUEST) {
		bool checks = true;

		for (int k = 0; k < run->nguest_checks; k++)
			checks &= run->guest_checks[k].ok;
		pass = vmp_bench_engine_gate(run);
		printf("gate: %s: decided by the placement and topology checks%s (%s)\n",
		       pass ? "pass" : "FAIL", run->perf_judged ? " and performance" : " alone",
		       !run->nguest_checks ? "no check was made"
		       : checks            ? "every check ok"
					   : "a check FAILED");
		if (!run->perf_judged) {
			printf("  performance not judged: software emulation (TCG)\n");
			free(items);
			return pass;
		}
	}
	printf("%s: %s", run->engine == VMP_BENCH_ENGINE_GUEST ? "performance" : "gate",
	       perf ? "pass" : "FAIL");
	if (run->perf_not_judged[0])
		printf(" (performance not judged: %s; the checks decide)\n", run->perf_not_judged);
	else
		printf(perf
			   ? ": no VM's primary metric worse than its baselines' by more than %g%% "
			     "(95%% interval)\n"
			   : "\n",
		       run->threshold_pct > 0 ? run->threshold_pct : VMP_BENCH_GATE_THRESHOLD);
	for (int k = 0; k < n; k++) {
		const vmp_bench_gate_item *it = &items[k];

		if (it->j.verdict != VMP_VERDICT_WORSE && it->j.verdict != VMP_VERDICT_INCONCLUSIVE)
			continue;
		if (isfinite(it->j.ci_lo))
			printf("  vm %s: %s %s %s, %s %s: x%.2f, 95%% interval x%.2f-x%.2f: %s\n",
			       it->vm, vmp_bench_metric_name(it->workload),
			       fmt(a, sizeof(a), it->plan), vmp_bench_unit_name(it->workload),
			       vmp_bench_variant_name(it->baseline), fmt(b, sizeof(b), it->base),
			       it->j.ratio, it->j.ci_lo, it->j.ci_hi,
			       vmp_bench_verdict_name(it->j.verdict));
		else
			printf(
			    "  vm %s: %s against %s: inconclusive, %d and %d samples are too few "
			    "for a 95%% interval\n",
			    it->vm, vmp_bench_metric_name(it->workload),
			    vmp_bench_variant_name(it->baseline), it->j.nplan, it->j.nbase);
	}
	/* Every VM that ran has a vCPU 0 check; one with no comparison was not judged. */
	for (int k = 0; k < run->nchecks; k++) {
		const vmp_bench_check *ck = &run->checks[k];
		bool judged = false;

		if (ck->kind != VMP_CHECK_VCPU || ck->index != 0)
			continue;
		for (int j = 0; j < n && !judged; j++)
			judged = !strcmp(items[j].vm, ck->vm);
		if (!judged && !run->perf_not_judged[0])
			printf("  vm %s: not judged: no workload run (%s) gave it a figure\n",
			       ck->vm, run->workloads);
	}
	for (int k = 0; k < run->nchecks; k++)
		if (!run->checks[k].ok) {
			printf("  placement: %s %d of vm %s (%s) is not as planned\n",
			       check_kinds[run->checks[k].kind], run->checks[k].index,
			       run->checks[k].vm, vmp_bench_variant_name(run->checks[k].variant));
		}
	free(items);
	return pass;
}

static void show_progress(void *opaque, const char *what, double fraction)
{
	(void)opaque;
	cli_progress("bench:", what, fraction);
}

enum {
	OPT_BASELINE = 0x2000,
	OPT_HISTORY,
	OPT_JSON,
	OPT_FORCE,
};

/* What the command line asks of bench. */
typedef struct bench_args {
	vmp_bench_options opts;
	const char *plan_path, *output, *history_path;
	char kept[4096]; /* the kept plan's path, when no plan.json is given */
	int compare_last;
	double threshold;
	bool json, threshold_set;
} bench_args;

static int parse_baseline(unsigned *out, const char *arg)
{
	static const cli_word baselines[] = {
	    {"unpinned", VMP_BENCH_BASE_UNPINNED},
	    {"naive", VMP_BENCH_BASE_NAIVE},
	    {"both", VMP_BENCH_BASE_UNPINNED | VMP_BENCH_BASE_NAIVE},
	    {NULL, 0}};
	int v;

	if (cli_parse_word(&v, "--baseline", arg, baselines) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int cli_bench_engine_option(vmp_bench_options *o, int c, const char *arg)
{
	static const cli_word engines[] = {
	    {"host", VMP_BENCH_ENGINE_HOST}, {"guest", VMP_BENCH_ENGINE_GUEST}, {NULL, 0}};
	static const cli_word accels[] = {{"kvm", VMP_BENCH_ACCEL_KVM},
					  {"tcg", VMP_BENCH_ACCEL_TCG},
					  {"auto", VMP_BENCH_ACCEL_AUTO},
					  {NULL, 0}};
	int v;

	switch (c) {
	case OPT_ENGINE:
		if (cli_parse_word(&v, "--engine", arg, engines) < 0)
			return -1;
		o->engine = (vmp_bench_engine)v;
		return 0;
	case OPT_GUEST_ACCEL:
		if (cli_parse_word(&v, "--guest-accel", arg, accels) < 0)
			return -1;
		o->guest_accel = (vmp_bench_accel)v;
		return 0;
	case OPT_GUEST_KERNEL:
		o->guest_kernel = arg;
		return 0;
	case OPT_GUEST_MEMORY:
		if (vmp_size_parse(&o->guest_memory_bytes, arg) < 0 ||
		    o->guest_memory_bytes < ((uint64_t)32 << 20)) {
			cli_error("bad --guest-memory '%s': expected a size of at least 32M", arg);
			return -1;
		}
		return 0;
	case OPT_GUEST_TIMEOUT:
		return cli_parse_double(&o->guest_timeout_s, arg, "--guest-timeout", 1, 86400);
	default:
		o->connect_uri = arg;
		return 0;
	}
}

/* Read the command line; false, with *status, where the command ends. */
static bool read_options(int *status, bench_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"baseline", required_argument, NULL, OPT_BASELINE},
	    CLI_RUN_LONGOPTS,
	    {"history", required_argument, NULL, OPT_HISTORY},
	    {"output", required_argument, NULL, 'o'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"force", no_argument, NULL, OPT_FORCE},
	    CLI_ENGINE_LONGOPTS,
	    {"connect", required_argument, NULL, OPT_GUEST_CONNECT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, taken;

	cli_getopt_start(status);
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		if (!(taken = cli_bench_engine_take(&a->opts, c, optarg)))
			taken = cli_bench_run_take(&a->opts, &a->compare_last, &a->threshold, c,
						   optarg);
		if (taken < 0)
			return false;
		a->threshold_set |= taken && c == OPT_RUN_THRESHOLD;
		if (taken)
			continue;
		switch (c) {
		case OPT_BASELINE:
			if (parse_baseline(&a->opts.baselines, optarg) < 0)
				return false;
			break;
		case OPT_HISTORY:
			a->history_path = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_FORCE:
			a->opts.force = true;
			break;
		case 'h':
			fputs(bench_usage, stdout);
			*status = 0;
			return false;
		default:
			cli_option_error("bench", c, argv[optind - 1]);
			return false;
		}
	}
	if (!cli_no_more_args("bench", argc, argv, optind + 1))
		return false;
	if ((a->compare_last || a->threshold_set) && !a->history_path) {
		cli_error("--compare-last and --threshold need --history DB");
		return false;
	}
	if (a->opts.engine == VMP_BENCH_ENGINE_HOST &&
	    (a->opts.guest_kernel || a->opts.guest_memory_bytes || a->opts.guest_timeout_s ||
	     a->opts.connect_uri || a->opts.guest_accel)) {
		cli_error("--guest-* and --connect need --engine guest");
		return false;
	}
	if ((*status = cli_state_plan(a->kept, sizeof(a->kept), optind < argc ? argv[optind] : NULL,
				      NULL)) != 0)
		return false;
	a->plan_path = a->kept;
	return true;
}

/*
 * Load the plan, probe this host, open the history and run the bench; 0, or the failure's
 * exit status. What is made is the caller's to free, whatever the outcome.
 */
static int run_plan(vmp_bench_run **run, vmp_plan **plan, vmp_host **host, vmp_history **hist,
		    bench_args *a)
{
	int err;

	if ((err = vmp_plan_load_json(plan, a->plan_path)) < 0)
		return cli_fail(err);
	if ((err = vmp_probe_live(host)) < 0) {
		cli_error("%s", vmp_error_last());
		return EXIT_RUNTIME;
	}
	/* Open the history first: a bad file should not cost a whole bench. */
	if (a->history_path && (err = vmp_history_open(hist, a->history_path)) < 0)
		return cli_fail(err);
	if (isatty(STDERR_FILENO))
		a->opts.progress = show_progress;
	cli_bench_find_self(&a->opts);
	if ((err = vmp_bench_run_plan(run, *plan, *host, &a->opts)) < 0) {
		cli_error("%s%s", vmp_error_last(),
			  err == VMP_EINVAL && strstr(vmp_error_last(), "bench it on that host")
			      ? ", or here with --force"
			      : "");
		return cli_status(err);
	}
	return 0;
}

/* The --compare-last summary and every metric that regressed. */
static void print_regressions(const bench_args *a, const vmp_bench_regression *regs, int nregs,
			      int nregressed)
{
	char x[32], y[32];

	printf("history: %d metric%s compared with the median of up to %d earlier run%s of this "
	       "host and plan (threshold %g%%): %d regressed\n",
	       nregs, nregs == 1 ? "" : "s", a->compare_last, a->compare_last == 1 ? "" : "s",
	       a->threshold, nregressed);
	for (int k = 0; k < nregs; k++) {
		const vmp_bench_regression *g = &regs[k];

		if (g->regressed)
			printf("  REGRESSED vm %s %s %s (%s): %s, was %s over %d runs (%+.1f%%)\n",
			       g->vm, vmp_bench_workload_name(g->workload),
			       vmp_bench_metric_name(g->workload),
			       vmp_bench_variant_name(g->variant), fmt(x, sizeof(x), g->now),
			       fmt(y, sizeof(y), g->history), g->runs, g->change_pct);
	}
}

/* Compare with the history, write and store the results, print them; the exit status. */
static int report_run(const bench_args *a, const vmp_bench_run *run, vmp_history *hist)
{
	vmp_bench_regression *regs = NULL;
	int nregs = 0, nregressed = 0, err, status = EXIT_RUNTIME;
	char *text = NULL;
	bool pass;

	if (hist && a->compare_last &&
	    (err = vmp_history_compare(&regs, &nregs, hist, run, a->compare_last, a->threshold,
				       -1)) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	/* The results file first: a history that fails to store must not lose the run. */
	if ((a->output || a->json) && (err = vmp_bench_report_json(&text, run, regs, nregs)) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	if (a->output && (err = cli_write_text(a->output, text)) < 0)
		goto out;
	if (hist && (err = vmp_history_store(hist, run, NULL)) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	for (int k = 0; k < nregs; k++)
		nregressed += regs[k].regressed;
	if (a->json) {
		printf("%s\n", text);
		pass = vmp_bench_engine_gate(run);
	} else {
		cli_bench_print(run);
		printf("\n");
		pass = cli_bench_print_gate(run);
		if (a->compare_last)
			print_regressions(a, regs, nregs, nregressed);
		if (a->history_path)
			printf("stored in %s\n", a->history_path);
		printf("bench took %.1f s\n", run->wall_s);
	}
	status = nregressed ? EXIT_REGRESSION : pass ? EXIT_PLACED : EXIT_VALIDATION;
out:
	free(text);
	free(regs);
	return status;
}

static int exec_bench(int argc, char **argv)
{
	bench_args a = {.threshold = VMP_BENCH_DEFAULT_THRESHOLD};
	vmp_history *hist = NULL;
	vmp_bench_run *run = NULL;
	vmp_plan *plan = NULL;
	vmp_host *host = NULL;
	int status;

	if (read_options(&status, &a, argc, argv) &&
	    (status = run_plan(&run, &plan, &host, &hist, &a)) == 0)
		status = report_run(&a, run, hist);
	vmp_history_close(hist);
	vmp_bench_run_free(run);
	vmp_host_free(host);
	vmp_plan_free(plan);
	return status;
}

const vmp_command cmd_bench = {
    .name = "bench",
    .summary = "run a plan's guests here against baselines; gate it, keep a history",
    .usage = bench_usage,
    .exec = exec_bench,
};
