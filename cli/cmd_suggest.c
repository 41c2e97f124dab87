/* Plan a set of VMs on a host and write the plan and the domain XML. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "vmplan/bench.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"
#include "vmplan/identity.h"
#include "vmplan/plan.h"
#include "vmplan/probe.h"
#include "vmplan/profile.h"
#include "vmplan/request.h"
#include "vmplan/size.h"
#include "vmplan/spec.h"

static const char suggest_usage[] =
    "usage: vmplan suggest [--host host.json | --topology FILE.xml | --synthetic DESC |\n"
    "                       --fsroot DIR | --connect URI |\n"
    "                       --fleet fleet.yaml [--fleet-policy pack|spread]]\n"
    "                      (--vm SPEC ... | --vms mix.yaml |\n"
    "                       --migrate VM --to URI) [--reserve auto|none|CPUSET]\n"
    "                      [--order batch|given] [--time-limit S] [-o plan.json]\n"
    "                      [--xml-dir DIR]\n"
    "                      [--explain[=full]] [--show-xml] [--json] [--type kvm|qemu]\n"
    "                      [--validate [--engine host|guest] [--guest-accel kvm|tcg|auto]\n"
    "                       [--guest-kernel FILE] [--guest-memory SIZE]\n"
    "                       [--guest-timeout S]]\n"
    "\n"
    "Place the VMs on the host and print the plan: which host CPU each vCPU is\n"
    "pinned to, where the emulator and I/O threads run, which host NUMA node backs\n"
    "each guest NUMA cell, the guest CPU topology that matches, and the L3 ways and\n"
    "memory bandwidth each VM gets where the host has resctrl. Dedicated vCPUs get\n"
    "a host CPU each, whole cores first; a VM stays in one NUMA node and as few L3\n"
    "domains as it fits in. Batch mode plans the whole set together.\n"
    "\n"
    "Host (one of; default: the running host, probed with hwloc and sysfs):\n"
    "  --host host.json     a host saved by 'vmplan probe -o'\n"
    "  --topology FILE.xml  an hwloc XML export (lstopo host.xml)\n"
    "  --synthetic DESC     an hwloc synthetic topology, e.g.\n"
    "                       \"pack:2 [numa(memory=64GB)] l3:2 core:4 pu:2\"\n"
    "  --fsroot DIR         a snapshot of /sys and /proc\n"
    "  --connect URI        a libvirt host (capabilities, and its domains' pins\n"
    "                       become used resources; a domain named like a VM asked\n"
    "                       for is planned again, its own pins free)\n"
    "  --fleet fleet.yaml   many hosts ('hosts:', each 'uri: URI' or 'host: host.json',\n"
    "                       optional 'name:' and 'labels:'); URIs are probed in\n"
    "                       parallel, a host that does not answer is named and left\n"
    "                       out; each VM goes to one host and is planned there;\n"
    "                       -o writes a fleet plan.json, --xml-dir DIR/HOST/<name>.xml\n"
    "  --fleet-policy pack|spread\n"
    "                       pack (default): hosts in use first, tightest fit, whole\n"
    "                       hosts kept free; spread: the most headroom left. VM keys\n"
    "                       host=LABEL, group=NAME (members on different hosts) and\n"
    "                       together=NAME (members on one host, or none placed)\n"
    "\n"
    "Migration target (instead of --vm):\n"
    "  --migrate VM         a running domain on --connect URI (default qemu:///system):\n"
    "                       its shape (vcpus, memory, hugepages, cpu, threads, numa,\n"
    "                       memory_mode, iothreads, memtune, cachetune, memorytune,\n"
    "                       vcpusched, shares, period, quota) from its domain XML\n"
    "  --to URI             the destination: the VM's pins are planned there, its\n"
    "                       domains respected; --xml-dir DIR writes DIR/<VM>.xml, the\n"
    "                       VM's own migratable XML with only its <cputune> pins and\n"
    "                       <numatune> changed (its guest cells kept: numa= its own cell\n"
    "                       count), for 'virsh migrate --xml'; --show-xml prints it\n"
    "\n"
    "VMs:\n"
    "  --vm SPEC            name=NAME,vcpus=N,memory=SIZE[,profile=NAME][,KEY=VALUE...]\n"
    "  --vms mix.yaml       a list of VMs: 'vms:' with one mapping per VM of the\n"
    "                       same keys\n"
    "                       SIZE: 512M, 16G, 1GiB, 2048k; a bare number is MiB;\n"
    "                       k/m/g/t and KiB/MiB/GiB/TiB are powers of 1024,\n"
    "                       kb/mb/gb/tb powers of 1000 (memory and memtune round\n"
    "                       up to a whole KiB).\n"
    "                       A profile (profiles/NAME.yaml: latency-critical,\n"
    "                       realtime, throughput, database, nfv, general, batch)\n"
    "                       sets the other keys; the spec overrides it. Keys:\n"
    "%s"
    "\n"
    "Examples:\n"
    "  vmplan suggest --topology host.xml --vms mix.yaml --explain -o plan.json\n"
    "  vmplan suggest --vm name=db,vcpus=8,memory=32G,profile=database \\\n"
    "      --show-xml | virsh define /dev/stdin\n"
    "\n"
    "Options:\n"
    "  --reserve auto|none|CPUSET\n"
    "                       host CPUs kept for housekeeping (emulator and I/O\n"
    "                       threads of isolating VMs), never given to a vCPU\n"
    "                       (libvirt syntax: 0-3,8,^2). auto (default): the CPUs\n"
    "                       the kernel does not isolate (isolcpus=) where it\n"
    "                       isolates some, else the first core of each NUMA node\n"
    "                       that has two or more cores\n"
    "  --resctrl-default shrink|keep\n"
    "                       L3 ways the default resctrl group holds: shrink\n"
    "                       (default) plans them where no other way is free and\n"
    "                       says which ways 'vmplan hostprep --apply' must release\n"
    "                       first (libvirt takes none of the default group's ways);\n"
    "                       keep plans only ways no resctrl group holds now\n"
    "  --order batch|given  batch (default) plans the set together: priority, then\n"
    "                       the hardest to fit first, keeping the best of a few\n"
    "                       orders; given places them in the order given, never\n"
    "                       revisiting one (what a scheduler sees), nor spreading\n"
    "                       a VM that one node holds over partly used nodes\n"
    "  --time-limit S       seconds a batch plan may take, heuristic and exact\n"
    "                       solver together (default 1.5; 0: the heuristic alone);\n"
    "                       the summary says 'optimal' (no plan places more VMs,\n"
    "                       1 + priority each), 'feasible, gap N' with the solver's\n"
    "                       bound, or 'heuristic' when no bound was reached;\n"
    "                       with --fleet, all hosts' plans share S (a host whose\n"
    "                       share is under 20 ms gets the heuristic alone)\n"
    "  --explain[=full]     say per VM what decided where it went: its device's node\n"
    "                       and which VMs hold CPUs there, how its cells were spread,\n"
    "                       its hugepages per node, its score term by term; =full:\n"
    "                       the planner's whole trace (every node weighed, rejected)\n"
    "  -o, --output FILE    write the plan as JSON (plan.json)\n"
    "  --xml-dir DIR        write DIR/<name>.xml, the libvirt domain XML of each\n"
    "                       placed VM; with -o, all files are written together:\n"
    "                       every one is in place, or none is\n"
    "  --show-xml           print each placed VM's domain XML on stdout (the plan in\n"
    "                       words goes to stderr): for one VM,\n"
    "                       '| virsh define /dev/stdin' defines it\n"
    "  --json               print the plan as JSON (plan.json) instead of the summary\n"
    "  --type TYPE          the domain type in the XML (default: kvm)\n"
    "  --validate           prove the plan on this host first (a plan for the running\n"
    "                       host only): the quick bench gate\n"
    "                       ('vmplan bench' with 3 reps x 0.25 s against both\n"
    "                       baselines, up to 9 reps while inconclusive); -o and\n"
    "                       --xml-dir are written only when the gate passes (no VM\n"
    "                       worse or inconclusive, every check ok), else exit 5\n"
    "                       with the numbers\n"
    "  --engine E           the engine --validate benches with: host (default) or\n"
    "                       guest (real guests through libvirt, qemu:///system; see\n"
    "                       'vmplan bench --help': under software emulation only\n"
    "                       the placement and topology checks decide)\n"
    "  --guest-accel A, --guest-kernel FILE, --guest-memory SIZE, --guest-timeout S\n"
    "                       the guest engine's options, as for 'vmplan bench'\n"
    "  -h, --help           show this help\n";

static const char *const thread_names[] = {"prefer", "isolate", "require"};

static void print_suggest_usage(FILE *out)
{
	const char *keys_at = strstr(suggest_usage, "%s");
	size_t nkeys;
	const vmp_request_key *keys = vmp_request_keys(&nkeys);

	fwrite(suggest_usage, 1, (size_t)(keys_at - suggest_usage), out);
	for (size_t i = 0; i < nkeys; i++)
		fprintf(out, "                         %s=%s\n                             %s\n",
			keys[i].name, keys[i].values, keys[i].help);
	fputs(keys_at + 2, out);
}

/* Print text's lines, each after a label. */
static void print_lines(FILE *out, const char *label, const char *text)
{
	while (text && *text) {
		const char *nl = strchr(text, '\n');
		int len = nl ? (int)(nl - text) : (int)strlen(text);
		fprintf(out, "  %-9s %.*s\n", label, len, text);
		text += len + (nl ? 1 : 0);
	}
}

static void print_vm(FILE *out, const vmp_plan *plan, const vmp_host *host, int i, int explain)
{
	const vmp_plan_vm *vm = &plan->vms[i];
	char buf[8192], mem[32];
	bool shared = vm->req.cpu == VMP_CPU_SHARED;

	vmp_size_format(mem, sizeof(mem), vm->req.memory_bytes);
	fprintf(out, "\n%svm %s%s: %u vCPU%s, %s, %s%s%s%s\n", cli_colour(out, CLI_BOLD),
		vm->req.name, cli_colour(out, CLI_RESET), vm->req.vcpus,
		vm->req.vcpus == 1 ? "" : "s", mem,
		shared ? "cpu=shared" : "threads=", shared ? "" : thread_names[vm->req.threads],
		vm->req.profile[0] ? ", profile " : "", vm->req.profile);
	if (!vm->placed) {
		fprintf(out, "  %snot placed%s: %s\n", cli_colour(out, CLI_RED),
			cli_colour(out, CLI_RESET), vm->reason);
		goto explain;
	}
	fprintf(out, "  topology  sockets=%u dies=%u cores=%u threads=%u\n", vm->sockets, vm->dies,
		vm->cores, vm->threads);
	for (int c = 0; c < vm->ncells; c++) {
		char vcpus[8192];
		vmp_cpuset host_cpus = {0};
		int v;
		if (shared) {
			host_cpus = vm->pcpus;
		} else {
			VMP_CPUSET_FOREACH (v, &vm->cells[c].vcpus)
				vmp_cpuset_set(&host_cpus, vm->vcpupin[v]);
		}
		vmp_cpuset_format(vcpus, sizeof(vcpus), &vm->cells[c].vcpus);
		vmp_cpuset_format(buf, sizeof(buf), &host_cpus);
		vmp_size_format(mem, sizeof(mem), vm->cells[c].memory_bytes);
		fprintf(out, "  cell %d    host node %d, vCPU%s %s on CPU%s %s, %s%s\n", c,
			vm->cells[c].host_node,
			vmp_cpuset_count(&vm->cells[c].vcpus) == 1 ? "" : "s", vcpus,
			vmp_cpuset_count(&host_cpus) == 1 ? "" : "s", buf, mem,
			vm->req.hugepage_bytes ? " in hugepages" : "");
	}
	if (!shared) {
		fprintf(out, "  vcpupin  ");
		for (unsigned v = 0; v < vm->req.vcpus; v++)
			fprintf(out, " %u:%d", v, vm->vcpupin[v]);
		fprintf(out, "\n");
	}
	vmp_cpuset_format(buf, sizeof(buf), &vm->emulatorpin);
	fprintf(out, "  emulator  %s\n", buf);
	for (int t = 0; t < vm->niothreads; t++) {
		vmp_cpuset_format(buf, sizeof(buf), &vm->iothreadpin[t]);
		fprintf(out, "  iothread%d %s\n", t + 1, buf);
	}
	for (int t = 0; t < vm->ncachetune; t++) {
		vmp_size_format(mem, sizeof(mem), vm->cachetune[t].size_bytes);
		fprintf(out, "  cache     L%d id %d %s: ways 0x%llx (%s)\n", vm->cachetune[t].level,
			vm->cachetune[t].cache_id, vm->cachetune[t].type,
			(unsigned long long)vm->cachetune[t].ways_mask, mem);
	}
	for (int t = 0; t < vm->nmemorytune; t++)
		fprintf(out, "  membw     MB domain %d: %u\n", vm->memorytune[t].node_id,
			vm->memorytune[t].bandwidth);
explain:
	/* 1: the deciding facts; 2: the planner's whole trace. */
	if (explain == 2) {
		print_lines(out, "why", vm->explain);
	} else if (explain == 1 && vm->placed) {
		char *brief = NULL;
		if (vmp_plan_explain_brief(&brief, host, plan, i) == VMP_OK)
			print_lines(out, "why", brief);
		free(brief);
	}
}

/* The plan in words; to stderr when stdout carries the domain XML (--show-xml). */
static void print_plan(FILE *out, const vmp_plan *plan, const vmp_host *host, int explain)
{
	char buf[8192], *needs = NULL;

	fprintf(out,
		"host %s: %d package%s, %d NUMA node%s, %d core%s, %d CPU%s (fingerprint %s)\n",
		host->hostname, host->npackages, host->npackages == 1 ? "" : "s", host->nnodes,
		host->nnodes == 1 ? "" : "s", host->ncores, host->ncores == 1 ? "" : "s",
		host->npus, host->npus == 1 ? "" : "s", plan->host);
	if (!vmp_cpuset_empty(&host->reserved)) {
		vmp_cpuset_format(buf, sizeof(buf), &host->reserved);
		fprintf(out, "reserved for housekeeping: %s\n", buf);
	}
	for (int i = 0; i < plan->nvms; i++)
		print_vm(out, plan, host, i, explain);
	fprintf(out, "\n%d of %d VM%s placed\n", vmp_plan_placed_count(plan), plan->nvms,
		plan->nvms == 1 ? "" : "s");
	vmp_plan_solver_describe(buf, sizeof(buf), plan);
	if (buf[0])
		fprintf(out, "solver: %s\n", buf);
	/* What would make a domain fail to start belongs in the plain output. */
	if (vmp_plan_host_needs(&needs, host, plan) == VMP_OK && needs) {
		fprintf(out, "\n%sbefore starting these domains%s:\n", cli_colour(out, CLI_BOLD),
			cli_colour(out, CLI_RESET));
		for (const char *l = needs; *l;) {
			size_t len = strcspn(l, "\n");
			fprintf(out, "  %.*s\n", (int)len, l);
			l += len + (l[len] == '\n');
		}
	}
	free(needs);
}

static int show_xml(const vmp_plan *plan, const char *type)
{
	int shown = 0;

	for (int i = 0; i < plan->nvms; i++) {
		char *xml;
		int err;
		if (!plan->vms[i].placed)
			continue;
		if ((err = vmp_export_libvirt_xml(&xml, NULL, &plan->vms[i], type)) < 0)
			return err;
		/* Nothing but the documents on stdout: '| virsh define /dev/stdin' takes one. */
		printf("%s%s", shown++ ? "\n" : "", xml);
		free(xml);
	}
	return VMP_OK;
}

/* --validate: the quick bench gate of the plan on the live host; the table unless JSON. */
static int validate_plan(bool *pass, const vmp_plan *plan, const vmp_bench_options *engine,
			 bool quiet)
{
	vmp_bench_options o = *engine;
	vmp_bench_run *run = NULL;
	vmp_host *live = NULL;
	int err;

	if ((err = vmp_probe_live(&live)) < 0 ||
	    (err = vmp_bench_run_plan(&run, plan, live, &o)) < 0)
		goto out;
	*pass = vmp_bench_engine_gate(run);
	if (!quiet) {
		printf("\nvalidation ");
		cli_bench_print(run);
		printf("\n");
		cli_bench_print_gate(run);
	}
out:
	vmp_bench_run_free(run);
	vmp_host_free(live);
	return err;
}

/* What the command line asks of suggest. */
typedef struct suggest_args {
	const char *output, *xml_dir, *reserve, *type, *mix;
	const char *fleet, *fleet_policy; /* suggest --fleet (cli/fleet.c) */
	const char *migrate, *migrate_to; /* suggest --migrate VM --to URI (cli/migrate.c) */
	cli_host_opts host_opts;
	vmp_plan_options opts;
	vmp_vm_request *reqs;
	size_t nreqs;
	bool print_xml, json_out, validate, engine_set;
	bool keep_default; /* --resctrl-default keep */
	int explain; /* 0 none, 1 the deciding facts (--explain), 2 the trace (--explain=full) */
	vmp_bench_options bench; /* --validate's engine */
} suggest_args;

/* --explain (the deciding facts) or --explain=full (the trace); false for another value. */
static bool set_explain(suggest_args *a, const char *arg)
{
	if (arg && strcmp(arg, "full")) {
		cli_error("--explain takes 'full' or nothing, not '%s'", arg);
		return false;
	}
	a->opts.explain = true;
	a->explain = arg ? 2 : 1;
	return true;
}

/* --migrate VM --to URI: the VM's shape comes from its domain, the source from --connect. */
static bool migrate_options_agree(const suggest_args *a)
{
	const cli_host_opts *h = &a->host_opts;

	if (!a->migrate != !a->migrate_to) {
		cli_error("--migrate VM and --to URI go together: the VM and its destination");
		return false;
	}
	if (a->migrate && (a->nreqs || a->mix || a->fleet || a->validate || h->host_json ||
			   h->topology || h->synthetic || h->fsroot)) {
		cli_error(
		    "--migrate takes the VM's shape from its domain on --connect URI; leave out "
		    "--vm, --vms, --fleet, --validate and the other host options");
		return false;
	}
	return true;
}

/* Options that go only with others: --engine with --validate; --fleet takes the place of the
 * host options and of --validate. */
static bool options_agree(const suggest_args *a)
{
	const cli_host_opts *h = &a->host_opts;

	if (a->engine_set && !a->validate) {
		cli_error("--engine and --guest-* choose how --validate benches; add --validate");
		return false;
	}

	if (a->fleet_policy && !a->fleet) {
		cli_error("--fleet-policy chooses hosts of a fleet; add --fleet fleet.yaml");
		return false;
	}
	if (a->fleet && (h->host_json || h->topology || h->synthetic || h->fsroot || h->connect)) {
		cli_error("--fleet names the hosts; leave out --host, --topology, --synthetic, "
			  "--fsroot and --connect");
		return false;
	}
	if (!migrate_options_agree(a))
		return false;
	if (a->fleet && a->validate) {
		cli_error("--validate proves a plan on this host; it does not go with --fleet");
		return false;
	}
	return true;
}

/* --fleet and --fleet-policy; false for another option. */
static bool fleet_option(suggest_args *a, int c, const char *arg)
{
	if (c == OPT_FLEET)
		a->fleet = arg;
	else if (c == OPT_FLEET_POLICY)
		a->fleet_policy = arg;
	return c == OPT_FLEET || c == OPT_FLEET_POLICY;
}

/* suggest --fleet: the fleet path (cli/fleet.c); the exit status. */
static int suggest_fleet(const suggest_args *a)
{
	cli_fleet_args f = {.fleet = a->fleet,
			    .policy = a->fleet_policy,
			    .output = a->output,
			    .xml_dir = a->xml_dir,
			    .reserve = a->reserve,
			    .type = a->type,
			    .reqs = a->reqs,
			    .nreqs = a->nreqs,
			    .given = a->opts.order == VMP_ORDER_GIVEN,
			    .explain = a->opts.explain,
			    .json_out = a->json_out,
			    .print_xml = a->print_xml,
			    .time_limit_s = a->opts.time_limit_s};
	return cli_suggest_fleet(&f);
}

/* suggest --migrate: the migration path (cli/migrate.c); the exit status. */
static int suggest_migrate(const suggest_args *a)
{
	cli_migrate_args m = {.vm = a->migrate,
			      .from = a->host_opts.connect,
			      .to = a->migrate_to,
			      .output = a->output,
			      .xml_dir = a->xml_dir,
			      .reserve = a->reserve,
			      .opts = &a->opts,
			      .json_out = a->json_out,
			      .print_xml = a->print_xml,
			      .explain = a->explain,
			      .print = print_plan};
	return cli_suggest_migrate(&m);
}

/* suggest's long options (read_options()). */
static const struct option suggest_longopts[] = {
    CLI_HOST_LONGOPTS,
    {"vm", required_argument, NULL, 'v'},
    {"vms", required_argument, NULL, 'm'},
    {"explain", optional_argument, NULL, 'E'},
    {"reserve", required_argument, NULL, 'r'},
    {"order", required_argument, NULL, 'O'},
    {"resctrl-default", required_argument, NULL, 'D'},
    {"time-limit", required_argument, NULL, 'L'},
    {"output", required_argument, NULL, 'o'},
    {"xml-dir", required_argument, NULL, 'x'},
    {"show-xml", no_argument, NULL, 'X'},
    {"json", no_argument, NULL, 'J'},
    {"type", required_argument, NULL, 't'},
    {"validate", no_argument, NULL, 'V'},
    CLI_ENGINE_LONGOPTS,
    CLI_FLEET_LONGOPTS,
    CLI_MIGRATE_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* --time-limit S: 0 means the heuristic alone. */
static bool read_time_limit(vmp_plan_options *opts, const char *arg)
{
	char *end;
	double t = strtod(arg, &end);

	if (end == arg || *end || !(t >= 0 && t <= 86400)) {
		cli_error("bad --time-limit '%s': seconds from 0 to 86400", arg);
		return false;
	}
	opts->time_limit_s = t > 0 ? t : -1;
	return true;
}

/* Read the command line; false, with *status, where the command ends. */
static bool read_options(int *status, suggest_args *a, int argc, char **argv)
{
	static const cli_word orders[] = {
	    {"batch", VMP_ORDER_BATCH}, {"given", VMP_ORDER_GIVEN}, {NULL, 0}};
	static const cli_word defaults[] = {{"shrink", 0}, {"keep", 1}, {NULL, 0}};
	int c, failed, word, taken;

	cli_getopt_start(status);
	while ((c = getopt_long(argc, argv, ":o:h", suggest_longopts, NULL)) != -1) {
		if (cli_host_option(&a->host_opts, c, optarg) || fleet_option(a, c, optarg))
			continue;
		if ((taken = cli_bench_engine_take(&a->bench, c, optarg)) < 0)
			return false;
		a->engine_set |= taken > 0;
		if (taken)
			continue;
		if (c == OPT_MIGRATE || c == OPT_MIGRATE_TO) {
			*(c == OPT_MIGRATE ? &a->migrate : &a->migrate_to) = optarg;
			continue;
		}
		switch (c) {
		case 'v':
			if ((failed = cli_vms_add_spec(&a->reqs, &a->nreqs, optarg)) != 0) {
				*status = failed;
				return false;
			}
			break;
		case 'r':
			a->reserve = optarg;
			break;
		case 'm':
			a->mix = optarg;
			break;
		case 'E':
			if (!set_explain(a, optarg))
				return false;
			break;
		case 'O':
			if (cli_parse_word(&word, "--order", optarg, orders) < 0)
				return false;
			a->opts.order = (vmp_plan_order)word;
			break;
		case 'D':
			if (cli_parse_word(&word, "--resctrl-default", optarg, defaults) < 0)
				return false;
			a->keep_default = word;
			break;
		case 'L':
			if (!read_time_limit(&a->opts, optarg))
				return false;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'x':
			a->xml_dir = optarg;
			break;
		case 'J':
			a->json_out = true;
			break;
		case 'V':
			a->validate = true;
			break;
		case 'X':
			a->print_xml = true;
			break;
		case 't':
			if (!cli_domain_type(&a->type, optarg))
				return false;
			break;
		case 'h':
			print_suggest_usage(stdout);
			*status = 0;
			return false;
		default:
			cli_option_error("suggest", c, argv[optind - 1]);
			return false;
		}
	}
	return cli_no_more_args("suggest", argc, argv, optind);
}

/* Load the host, reserve its housekeeping CPUs and plan; 0, or the failure's exit status. */
/* The host; with --connect alone, the VMs asked for are planned again: the domains of those
 * names do not count as taking their own CPUs, memory and cache. */
static int load_host(vmp_host **host, const suggest_args *a)
{
	const cli_host_opts *o = &a->host_opts;
	const char **names;
	int err;

	if (!o->connect || o->host_json || o->topology || o->synthetic || o->fsroot)
		return cli_load_host(host, o);
	if (a->nreqs > INT_MAX || !(names = calloc(a->nreqs + 1, sizeof(*names)))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (size_t i = 0; i < a->nreqs; i++)
		names[i] = a->reqs[i].name;
	err = vmp_probe_libvirt_replan(host, o->connect, names, (int)a->nreqs);
	free(names);
	return err;
}

static int make_plan(vmp_host **host, vmp_plan **plan, const suggest_args *a)
{
	int err;

	if ((err = load_host(host, a)) < 0)
		return cli_fail(err);
	if (vmp_plan_reserve(*host, a->reserve) < 0) {
		cli_error("%s", vmp_error_last());
		return EXIT_USAGE;
	}
	(*host)->resctrl.keep_default = a->keep_default;
	if ((err = vmp_plan_solve(plan, *host, a->reqs, a->nreqs, &a->opts)) < 0)
		return cli_fail(err);
	return 0;
}

/* --xml-dir and -o as one set of files: every one is whole before any is renamed. */
static int write_outputs(const suggest_args *a, const vmp_plan *plan, const char *json)
{
	vmp_fileset *set;
	int err;

	if ((err = vmp_fileset_new(&set)) < 0)
		return err;
	if ((!a->xml_dir ||
	     (err = vmp_export_libvirt_dir_add(set, plan, a->xml_dir, a->type)) == VMP_OK) &&
	    (!a->output || (err = vmp_fileset_add(set, a->output, json, strlen(json))) == VMP_OK))
		err = vmp_fileset_commit(set);
	vmp_fileset_free(set);
	return err;
}

/* Print the plan, validate it when asked, then write the XML and plan.json; the exit status. */
static int emit_plan(const suggest_args *a, const vmp_plan *plan, const vmp_host *host)
{
	char *json = NULL;
	int err, status = EXIT_RUNTIME;

	if ((a->json_out || a->output) && (err = vmp_plan_to_json(&json, plan)) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	if (a->json_out)
		printf("%s\n", json);
	else
		print_plan(a->print_xml ? stderr : stdout, plan, host, a->explain);
	if (a->print_xml && (err = show_xml(plan, a->type)) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	if (a->validate && vmp_plan_placed_count(plan) > 0) {
		bool pass;

		if ((err = validate_plan(&pass, plan, &a->bench, a->json_out)) < 0) {
			cli_error("cannot validate the plan: %s", vmp_error_last());
			status = cli_status(err);
			goto out;
		}
		if (!pass) {
			cli_error("the plan failed validation on this host; nothing written");
			status = EXIT_VALIDATION;
			goto out;
		}
	}
	/* The XML and plan.json together: all of them are in place, or none is. */
	if ((a->xml_dir || a->output) && (err = write_outputs(a, plan, json)) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	status = vmp_plan_placed_count(plan) == plan->nvms ? EXIT_PLACED : EXIT_UNPLACED;
out:
	free(json);
	return status;
}

static int exec_suggest(int argc, char **argv)
{
	suggest_args a = {
	    .reserve = "auto",
	    .type = "kvm",
	    .bench = {.reps = VMP_BENCH_QUICK_REPS, .seconds = VMP_BENCH_QUICK_SECONDS}};
	vmp_host *host = NULL;
	vmp_plan *plan = NULL;
	int status;

	if (!read_options(&status, &a, argc, argv))
		goto out;
	if (!options_agree(&a)) {
		status = EXIT_USAGE;
		goto out;
	}
	if (a.migrate) {
		status = suggest_migrate(&a);
		goto out;
	}
	if (a.mix && (status = cli_vms_add_mix(&a.reqs, &a.nreqs, a.mix)) != 0)
		goto out;
	if (a.nreqs == 0) {
		cli_error("no VM to plan; give at least one --vm SPEC or --vms mix.yaml (see "
			  "'vmplan suggest --help')");
		status = EXIT_USAGE;
		goto out;
	}
	if (a.fleet) {
		status = suggest_fleet(&a);
		goto out;
	}
	if ((status = make_plan(&host, &plan, &a)) != 0)
		goto out;
	status = emit_plan(&a, plan, host);
out:
	vmp_plan_free(plan);
	vmp_host_free(host);
	free(a.reqs);
	return status;
}

const vmp_command cmd_suggest = {
    .name = "suggest",
    .summary = "plan VMs on a host; print the plan, write plan.json and domain XML",
    .usage = suggest_usage,
    .print_usage = print_suggest_usage,
    .exec = exec_suggest,
};
