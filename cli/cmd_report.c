/* Write capacity, bench-trend and host reports (HTML, Markdown, JSON, gnuplot charts). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/plan.h"
#include "vmplan/profile.h"
#include "vmplan/report.h"
#include "vmplan/spec.h"

static const char report_usage[] =
    "usage: vmplan report capacity (--host F | --topology F.xml | --synthetic DESC)...\n"
    "                      (--vms mix.yaml | --vm SPEC ...) [--reserve auto|none|CPUSET]\n"
    "                      --out DIR [--svg] [--json | --csv] [--detail]\n"
    "                      [--time-limit S]\n"
    "       vmplan report bench --history DB [--host FINGERPRINT|HOSTNAME] --out DIR\n"
    "                      [--days N] [--svg] [--json]\n"
    "       vmplan report host [host options] [--plan plan.json]\n"
    "                      [--reserve auto|none|CPUSET] --out DIR [--svg] [--json]\n"
    "\n"
    "Write a report into DIR: index.html (charts and the numbers behind them),\n"
    "summary.md, report.json, the gnuplot script report.gp, its data files and the\n"
    "charts as PNG (and SVG with --svg). A summary table goes to the terminal, or\n"
    "report.json with --json. Charts are drawn by gnuplot (Debian: gnuplot-nox).\n"
    "\n"
    "capacity  VMs of the mix that ask for the same thing are one shape. How many\n"
    "          copies of the whole mix fit the fleet; with one mix placed, how many\n"
    "          more VMs of each shape fit and what stops the next one; what stays\n"
    "          free per host and per node (CPUs, memory, hugepages, L3 ways); how\n"
    "          many of each shape fit an empty fleet, and what is stranded (lone SMT\n"
    "          siblings, CPUs on nodes without memory, memory on nodes without free\n"
    "          CPUs); the same under --reserve auto and none. Counted by the planner\n"
    "          itself (N copies are all placed, N+1 are not, up to 1024): by the\n"
    "          heuristic, then once by the exact solver (a shape asked for one copy\n"
    "          more than the host's CPUs and memory hold, the mix for one more than\n"
    "          the heuristic placed); the better count is kept. Each count is marked\n"
    "          'optimal' (no plan places more), '>= N (bound M)' (the solver's bound)\n"
    "          or '>= N (heuristic)' (no bound from the solver in time). The\n"
    "          terminal gets a summary (--detail: every table); capacity.csv holds\n"
    "          the counts for spreadsheets. Every --host, --topology, --synthetic,\n"
    "          --fsroot or --connect adds a host to the fleet.\n"
    "bench     From a bench history (vmplan bench --history): every metric over\n"
    "          time per host and VM (min-max bars, the plan bold, the baselines\n"
    "          dashed), regressions of the plan marked (a median worse than the\n"
    "          median of the previous 5 runs by more than 10%, after 3 runs; the\n"
    "          baselines are not judged, as in bench --compare-last), and the plan\n"
    "          against each baseline in each host's latest run. Only the runs of\n"
    "          the last --days days (default 30; 0: all) are read.\n"
    "host      A pin map (every PU in its core, L3 domain, node and package,\n"
    "          coloured by the VM or reservation that holds it, from --plan;\n"
    "          memory-only NUMA nodes apart, below the packages) and heatmaps of\n"
    "          the measured bandwidth, latency and core-to-core latency.\n"
    "\n"
    "Examples:\n"
    "  vmplan report capacity --topology host.xml --vms mix.yaml --out cap\n"
    "  vmplan report capacity --host a.json --host b.json --vms mix.yaml --out cap --csv\n"
    "  vmplan report bench --history nightly.db --out trends --svg\n"
    "  vmplan report host --host host.json --plan plan.json --out map\n"
    "\n"
    "Options:\n"
    "  --out DIR            the report's folder (created when missing)\n"
    "  --vms FILE           a mix: 'vms:' with one mapping per VM shape\n"
    "  --vm SPEC            a shape: name=NAME,vcpus=N,memory=SIZE[,KEY=VALUE...]\n"
    "  --reserve POLICY     housekeeping CPUs: auto (default), none or a cpuset\n"
    "  --history DB         the bench history (SQLite)\n"
    "  --days N             report bench: the runs of the last N days (default 30;\n"
    "                       0: every run)\n"
    "  --plan FILE          a plan.json made for this host\n"
    "  --svg                also write each chart as SVG\n"
    "  --json               print report.json instead of the summary\n"
    "  --csv                capacity: print capacity.csv instead of the summary\n"
    "  --detail             capacity: print every table, not only the summary\n"
    "  --time-limit S       capacity: the exact solver's seconds for the report,\n"
    "                       shared by its counts (default 60, at most 1 per count;\n"
    "                       0: the heuristic alone)\n"
    "  -h, --help           show this help\n";

enum {
	OPT_OUT = 0x2000,
	OPT_VMS,
	OPT_VM,
	OPT_RESERVE,
	OPT_HISTORY,
	OPT_PLAN,
	OPT_SVG,
	OPT_JSON,
	OPT_CSV,
	OPT_DETAIL,
	OPT_DAYS,
	OPT_TIME_LIMIT
};

typedef struct report_args {
	const char *kind, *out, *mix, *reserve, *history, *plan;
	bool svg, json, csv, detail;
	cli_host_opts *hosts; /* each names one host */
	int nhosts;
	vmp_vm_request *reqs;
	size_t nreqs;
	int days;            /* report bench: the last days of runs; 0: all */
	double time_limit_s; /* report capacity: the exact solver's budget; 0: default, < 0: none */
	bool time_limit;     /* --time-limit was given */
} report_args;

static int add_host(report_args *a, int c, const char *arg)
{
	cli_host_opts *n = realloc(a->hosts, sizeof(*n) * (size_t)(a->nhosts + 1));

	if (!n)
		return -1;
	a->hosts = n;
	memset(&a->hosts[a->nhosts], 0, sizeof(a->hosts[0]));
	cli_host_option(&a->hosts[a->nhosts++], c, arg);
	return 0;
}

static int emit(int err, char *text, char *json, const report_args *a)
{
	if (err < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	fputs(a->json ? json : text, stdout);
	if (a->json)
		fputc('\n', stdout);
	else
		printf("\nwrote %s/index.html\n", a->out);
	return 0;
}

static int run_capacity(const report_args *a, const vmp_report_opts *opts)
{
	vmp_host **hosts = calloc((size_t)a->nhosts + 1, sizeof(*hosts));
	vmp_capacity_report *r = NULL;
	char *text = NULL, *json = NULL;
	int err = VMP_ENOMEM, status;

	if (!hosts) {
		vmp_error_set("out of memory");
		goto out;
	}
	for (int i = 0; i < a->nhosts; i++)
		if ((err = cli_load_host(&hosts[i], &a->hosts[i])) < 0)
			goto out;
	if ((err = vmp_capacity_report_new_limit(&r, hosts, a->nhosts, a->reqs, a->nreqs,
						 a->reserve, a->time_limit_s)) < 0)
		goto out;
	err = vmp_capacity_report_write(&text, &json, r, opts);
	if (err >= 0 && a->csv) {
		/* The CSV takes the summary's place on stdout. */
		free(text);
		text = NULL;
		if ((err = vmp_capacity_report_csv(&text, r)) >= 0) {
			fputs(text, stdout);
			status = 0;
			goto done;
		}
	}
out:
	status = emit(err, text, json, a);
done:
	free(text);
	free(json);
	vmp_capacity_report_free(r);
	for (int i = 0; hosts && i < a->nhosts; i++)
		vmp_host_free(hosts[i]);
	free(hosts);
	return status;
}

static int run_bench(const report_args *a, const vmp_report_opts *opts)
{
	vmp_bench_report *r = NULL;
	char *text = NULL, *json = NULL;
	const char *host = a->nhosts ? a->hosts[0].host_json : NULL;
	int err, status;

	if ((err = vmp_bench_report_new_days(&r, a->history, host, a->days)) >= 0)
		err = vmp_bench_report_write(&text, &json, r, opts);
	status = emit(err, text, json, a);
	free(text);
	free(json);
	vmp_bench_report_free(r);
	return status;
}

static int run_host(const report_args *a, const vmp_report_opts *opts)
{
	cli_host_opts none = {0};
	vmp_host *host = NULL;
	vmp_plan *plan = NULL;
	vmp_host_report *r = NULL;
	char *text = NULL, *json = NULL;
	int err, status;

	if ((err = cli_load_host(&host, a->nhosts ? &a->hosts[0] : &none)) < 0 ||
	    (err = vmp_plan_reserve(host, a->reserve)) < 0 ||
	    (a->plan && (err = vmp_plan_load_json(&plan, a->plan)) < 0) ||
	    (err = vmp_host_report_new(&r, host, plan)) < 0 ||
	    (plan && (err = vmp_plan_check_host(plan, a->plan, host)) < 0))
		goto out;
	err = vmp_host_report_write(&text, &json, r, opts);
out:
	status = emit(err, text, json, a);
	free(text);
	free(json);
	vmp_host_report_free(r);
	vmp_plan_free(plan);
	vmp_host_free(host);
	return status;
}

/* --time-limit S of report capacity: 0 means the heuristic alone. */
static bool read_time_limit(report_args *a, const char *arg)
{
	char *end;
	double t = strtod(arg, &end);

	if (end == arg || *end || !(t >= 0 && t <= 86400)) {
		cli_error("bad --time-limit '%s': seconds from 0 to 86400", arg);
		return false;
	}
	a->time_limit_s = t > 0 ? t : -1;
	a->time_limit = true;
	return true;
}

/* Read the options after the report's name; false, with *status, where the command ends. */
static bool read_options(int *status, report_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    CLI_HOST_LONGOPTS,
	    {"out", required_argument, NULL, OPT_OUT},
	    {"vms", required_argument, NULL, OPT_VMS},
	    {"vm", required_argument, NULL, OPT_VM},
	    {"reserve", required_argument, NULL, OPT_RESERVE},
	    {"history", required_argument, NULL, OPT_HISTORY},
	    {"plan", required_argument, NULL, OPT_PLAN},
	    {"svg", no_argument, NULL, OPT_SVG},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"days", required_argument, NULL, OPT_DAYS},
	    {"csv", no_argument, NULL, OPT_CSV},
	    {"detail", no_argument, NULL, OPT_DETAIL},
	    {"time-limit", required_argument, NULL, OPT_TIME_LIMIT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, failed;

	*status = EXIT_USAGE;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_HOST:
		case OPT_TOPOLOGY:
		case OPT_SYNTHETIC:
		case OPT_FSROOT:
		case OPT_CONNECT:
			if (add_host(a, c, optarg) < 0) {
				cli_error("out of memory");
				*status = EXIT_RUNTIME;
				return false;
			}
			break;
		case OPT_OUT:
			a->out = optarg;
			break;
		case OPT_VMS:
			a->mix = optarg;
			break;
		case OPT_VM:
			if ((failed = cli_vms_add_spec(&a->reqs, &a->nreqs, optarg)) != 0) {
				*status = failed;
				return false;
			}
			break;
		case OPT_RESERVE:
			a->reserve = optarg;
			break;
		case OPT_HISTORY:
			a->history = optarg;
			break;
		case OPT_PLAN:
			a->plan = optarg;
			break;
		case OPT_SVG:
			a->svg = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_DAYS: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (!*optarg || *end || v < 0 || v > 100000) {
				cli_error(
				    "bad --days '%s': expected a whole number from 0 to 100000",
				    optarg);
				return false;
			}
			a->days = (int)v;
			break;
		}
		case OPT_CSV:
			a->csv = true;
			break;
		case OPT_DETAIL:
			a->detail = true;
			break;
		case OPT_TIME_LIMIT:
			if (!read_time_limit(a, optarg))
				return false;
			break;
		case 'h':
			fputs(report_usage, stdout);
			*status = 0;
			return false;
		default:
			cli_option_error("report", c, argv[optind]);
			return false;
		}
	}
	if (optind + 1 < argc) {
		/* getopt ran on argv + 1. */
		cli_error("unexpected argument '%s'; see 'vmplan report --help'", argv[optind + 1]);
		return false;
	}
	if (!a->out) {
		cli_error("say where the report goes with --out DIR");
		return false;
	}
	if (a->csv && a->json) {
		cli_error("--csv and --json both take the summary's place; give one");
		return false;
	}
	if ((a->csv || a->detail || a->time_limit) && strcmp(a->kind, "capacity")) {
		cli_error("--%s is for report capacity", a->csv      ? "csv"
							 : a->detail ? "detail"
								     : "time-limit");
		return false;
	}
	return true;
}

/* Check what the report of kind a->kind needs, then write it; the exit status. */
static int run_kind(report_args *a, const vmp_report_opts *opts)
{
	int status;

	if (!strcmp(a->kind, "capacity")) {
		if (a->mix && (status = cli_vms_add_mix(&a->reqs, &a->nreqs, a->mix)) != 0)
			return status;
		if (!a->nreqs) {
			cli_error("no VM shape; give --vms mix.yaml or --vm SPEC");
			return EXIT_USAGE;
		}
		if (!a->nhosts) {
			cli_error(
			    "no host; give --host, --topology or --synthetic (each adds one)");
			return EXIT_USAGE;
		}
		return run_capacity(a, opts);
	}
	if (!strcmp(a->kind, "bench")) {
		if (!a->history) {
			cli_error("say which bench history with --history DB");
			return EXIT_USAGE;
		}
		if (a->nhosts > 1 || (a->nhosts && !a->hosts[0].host_json)) {
			cli_error("report bench takes one --host FINGERPRINT or HOSTNAME");
			return EXIT_USAGE;
		}
		return run_bench(a, opts);
	}
	if (a->nhosts > 1) {
		cli_error("report host takes one host");
		return EXIT_USAGE;
	}
	return run_host(a, opts);
}

static int exec_report(int argc, char **argv)
{
	report_args a = {.reserve = "auto", .days = 30};
	vmp_report_opts opts = {0};
	int status;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(report_usage, stdout);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		cli_error("say which report: capacity, bench or host; see 'vmplan report --help'");
		return EXIT_USAGE;
	}
	a.kind = argv[1];
	if (strcmp(a.kind, "capacity") && strcmp(a.kind, "bench") && strcmp(a.kind, "host")) {
		cli_error("no such report '%s': use capacity, bench or host", a.kind);
		return EXIT_USAGE;
	}
	if (read_options(&status, &a, argc, argv)) {
		opts.out_dir = a.out;
		opts.svg = a.svg;
		opts.detail = a.detail;
		status = run_kind(&a, &opts);
	}
	free(a.hosts);
	free(a.reqs);
	return status;
}

const vmp_command cmd_report = {
    .name = "report",
    .summary = "write capacity, bench-trend and host reports with charts",
    .usage = report_usage,
    .exec = exec_report,
};
