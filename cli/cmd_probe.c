/* Build the host model, optionally measure it, print a summary and write host.json. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/host_json.h"
#include "vmplan/probe.h"
#include "vmplan/size.h"

static const char probe_usage[] =
    "usage: vmplan probe [--connect URI | --topology FILE.xml | --synthetic DESC |\n"
    "                     --fsroot DIR | --host host.json]\n"
    "                    [--measure none|quick|full] [-o host.json] [--json]\n"
    "\n"
    "Build the host model that the planner works on and show it: NUMA nodes with\n"
    "their CPUs, memory, free memory and hugepage pools, L3 domains, cores and SMT\n"
    "threads, the CPUs the kernel isolates, resctrl (cache ways and memory\n"
    "bandwidth allocation, and the ways existing groups hold), NUMA distances.\n"
    "Save it with -o and plan on it later, anywhere: 'vmplan suggest --host FILE'.\n"
    "\n"
    "Host (one of; default: the running host, through hwloc and sysfs):\n"
    "  --connect URI        libvirt's capabilities and domains (qemu:///system,\n"
    "                       qemu+ssh://host/system, test:///default)\n"
    "  --topology FILE.xml  an hwloc XML export (lstopo host.xml)\n"
    "  --synthetic DESC     an hwloc synthetic topology, e.g.\n"
    "                       \"pack:2 [numa(memory=64GB)] l3:2 core:4 pu:2\"\n"
    "  --fsroot DIR         a snapshot of /sys and /proc under DIR (topology,\n"
    "                       meminfo, hugepages, isolated CPUs, resctrl)\n"
    "  --host FILE          a host.json written by 'vmplan probe -o'\n"
    "\n"
    "Options:\n"
    "  --measure LEVEL      none (default); quick (seconds) or full: measure memory\n"
    "                       bandwidth and latency between every pair of nodes and\n"
    "                       core-to-core latency on the running host\n"
    "  -o, --output FILE    write the host model as JSON (host.json); written\n"
    "                       whole or not at all\n"
    "  --json               print the host model as JSON instead of the summary\n"
    "  -h, --help           show this help\n";

/* A size for people: "15.3G", "512.0M", "64K". */
static const char *human(char *buf, size_t len, uint64_t bytes)
{
	if (bytes >= (UINT64_C(1) << 30))
		snprintf(buf, len, "%.1fG", (double)bytes / (double)(UINT64_C(1) << 30));
	else if (bytes >= (UINT64_C(1) << 20))
		snprintf(buf, len, "%.1fM", (double)bytes / (double)(UINT64_C(1) << 20));
	else
		snprintf(buf, len, "%" PRIu64 "K", bytes >> 10);
	return buf;
}

static const char *cpus(char *buf, size_t len, const vmp_cpuset *set)
{
	vmp_cpuset_format(buf, len, set);
	return *buf ? buf : "none";
}

static const char *const source_text[] = {"live host", "hwloc XML", "synthetic",
					  "fsroot",    "libvirt",   "host.json"};

static void print_nodes(const vmp_host *h, char *buf, size_t len)
{
	char mem[32], free_mem[32], size[32];

	printf("NUMA nodes:\n");
	for (int i = 0; i < h->nnodes; i++) {
		const vmp_node *n = &h->nodes[i];

		printf("  node %-3d cpus %-16s memory %-8s free %s", n->id,
		       cpus(buf, len, &n->cpus), human(mem, sizeof(mem), n->memory_bytes),
		       human(free_mem, sizeof(free_mem), n->free_bytes));
		if (n->nhugepages)
			printf("%*s hugepages", 8 - (int)strlen(free_mem), "");
		for (int k = 0; k < n->nhugepages; k++) {
			vmp_size_format(size, sizeof(size), n->hugepages[k].size_kib * 1024);
			printf(" %s: %" PRIu64 "/%" PRIu64 " free", size, n->hugepages[k].free,
			       n->hugepages[k].total);
		}
		printf("\n");
	}
}

static void print_cpus(const vmp_host *h, char *buf, size_t len)
{
	int smt = 0, kinds = 0;
	char size[32];

	if (h->nl3) {
		printf("L3 caches:\n");
		for (int i = 0; i < h->nl3; i++)
			printf("  l3 %-5d %-8s cpus %s\n", h->l3s[i].id,
			       h->l3s[i].size_bytes
				   ? human(size, sizeof(size), h->l3s[i].size_bytes)
				   : "?",
			       cpus(buf, len, &h->l3s[i].cpus));
	} else {
		printf("L3 caches: none known\n");
	}
	for (int i = 0; i < h->ncores; i++)
		if (vmp_cpuset_count(&h->cores[i].pus) > smt)
			smt = vmp_cpuset_count(&h->cores[i].pus);
	for (int i = 0; i < h->npus; i++)
		if (h->pus[i].kind + 1 > kinds)
			kinds = h->pus[i].kind + 1;
	printf("cores: %d, up to %d thread%s per core", h->ncores, smt, smt == 1 ? "" : "s");
	if (kinds > 1)
		printf(", %d CPU kinds", kinds);
	printf("\nonline: %s\n", cpus(buf, len, &h->online));
	printf("isolated: %s\n", cpus(buf, len, &h->isolated));
	printf("nohz_full: %s\n", cpus(buf, len, &h->nohz_full));
	if (!vmp_cpuset_empty(&h->used))
		printf("used by existing VMs: %s\n", cpus(buf, len, &h->used));
}

static int popcount64(uint64_t v)
{
	return __builtin_popcountll(v);
}

static void print_rdt_cache(const char *name, const vmp_rdt_cache *c)
{
	if (!c->present)
		return;
	printf("  %s: cbm_mask %" PRIx64 " (%d ways), min %u way%s, shareable %" PRIx64
	       ", cdp %s\n",
	       name, c->cbm_mask, popcount64(c->cbm_mask), c->min_cbm_bits,
	       c->min_cbm_bits == 1 ? "" : "s", c->shareable_bits, c->cdp ? "on" : "off");
	for (int i = 0; i < c->ndomains; i++)
		printf("    domain %d: used %" PRIx64 " (%d ways), free %d ways\n",
		       c->domains[i].id, c->domains[i].used_mask,
		       popcount64(c->domains[i].used_mask),
		       popcount64(c->cbm_mask & ~c->domains[i].used_mask));
}

static void print_resctrl(const vmp_resctrl *r)
{
	static const char *const units[] = {"percent", "1/8 GB/s (AMD)", "MB/s (mba_MBps)"};
	/* What the planner counts against: the fewest of L3, L2 and MB. */
	unsigned closids = vmp_resctrl_closids(r);

	if (!r->present) {
		printf("resctrl: not available\n");
		return;
	}
	printf("resctrl: %u group%s in use", r->groups_used, r->groups_used == 1 ? "" : "s");
	if (closids != UINT32_MAX)
		printf(" of %u CLOSIDs", closids);
	printf("\n");
	print_rdt_cache("L3", &r->l3);
	print_rdt_cache("L2", &r->l2);
	if (r->mb.present) {
		printf("  MB: unit %s, min %u, granularity %u, delay %s, domains",
		       units[r->mb.unit <= VMP_MB_MBPS ? r->mb.unit : 0], r->mb.min_bandwidth,
		       r->mb.bandwidth_gran, r->mb.delay_linear ? "linear" : "not linear");
		for (int i = 0; i < r->mb.ndomains; i++)
			printf(" %d", r->mb.domain_ids[i]);
		printf("\n");
	}
}

static void print_matrix(const char *title, const vmp_host *h, const double *m, const char *fmt)
{
	if (!m)
		return;
	printf("%s\n      ", title);
	for (int j = 0; j < h->nnodes; j++)
		printf(" %7d", h->nodes[j].id);
	printf("\n");
	for (int i = 0; i < h->nnodes; i++) {
		printf("  %3d ", h->nodes[i].id);
		for (int j = 0; j < h->nnodes; j++) {
			double v = m[(size_t)i * h->nnodes + j];
			if (isnan(v))
				printf(" %7s", "-");
			else
				printf(fmt, v);
		}
		printf("\n");
	}
}

static void print_summary(const vmp_host *h)
{
	size_t len = 20000;
	char fp[17], *buf = malloc(len);

	if (!buf)
		return;
	vmp_host_fingerprint(fp, h);
	printf("host %s (%s): %d package%s, %d NUMA node%s, %d cores, %d CPUs (fingerprint %s)\n",
	       h->hostname, source_text[h->source <= VMP_SOURCE_JSON ? h->source : 0], h->npackages,
	       h->npackages == 1 ? "" : "s", h->nnodes, h->nnodes == 1 ? "" : "s", h->ncores,
	       h->npus, fp);
	print_nodes(h, buf, len);
	print_cpus(h, buf, len);
	print_resctrl(&h->resctrl);
	if (h->distances) {
		printf("distances:\n      ");
		for (int j = 0; j < h->nnodes; j++)
			printf(" %4d", h->nodes[j].id);
		printf("\n");
		for (int i = 0; i < h->nnodes; i++) {
			printf("  %3d ", h->nodes[i].id);
			for (int j = 0; j < h->nnodes; j++)
				printf(" %4u", h->distances[(size_t)i * h->nnodes + j]);
			printf("\n");
		}
	} else {
		printf("distances: unknown\n");
	}
	print_matrix("read bandwidth, GB/s (threads on row node, memory on column node):", h,
		     h->read_gbs, " %7.1f");
	print_matrix("triad bandwidth, GB/s:", h, h->triad_gbs, " %7.1f");
	print_matrix("idle latency, ns:", h, h->latency_ns, " %7.1f");
	if (h->ndevices)
		printf("devices: %d\n", h->ndevices);
	if (h->nexisting)
		printf("existing VMs: %d\n", h->nexisting);
	free(buf);
}

/* Progress of a measurement on stderr, on one line that rewrites itself where it fits. */
static void progress(void *opaque, const char *what, double fraction)
{
	(void)opaque;
	cli_progress("measuring", what, fraction);
}

static int exec_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
	    CLI_HOST_LONGOPTS,
	    {"measure", required_argument, NULL, 'm'},
	    {"output", required_argument, NULL, 'o'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	vmp_measure_level level = VMP_MEASURE_NONE;
	cli_host_opts host_opts = {0};
	const char *output = NULL;
	vmp_host *host = NULL;
	char *json = NULL;
	int c, err, status = EXIT_USAGE, print_json = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		if (cli_host_option(&host_opts, c, optarg))
			continue;
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "none")) {
				level = VMP_MEASURE_NONE;
			} else if (!strcmp(optarg, "quick")) {
				level = VMP_MEASURE_QUICK;
			} else if (!strcmp(optarg, "full")) {
				level = VMP_MEASURE_FULL;
			} else {
				cli_error("bad --measure '%s': use none, quick or full", optarg);
				goto out;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'j':
			print_json = 1;
			break;
		case 'h':
			fputs(probe_usage, stdout);
			status = 0;
			goto out;
		default:
			cli_option_error("probe", c, argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument '%s'; see 'vmplan probe --help'", argv[optind]);
		goto out;
	}
	/* Figures measured here would be attached to another machine's model. */
	if (level != VMP_MEASURE_NONE &&
	    (host_opts.host_json || host_opts.topology || host_opts.synthetic || host_opts.fsroot ||
	     host_opts.connect)) {
		cli_error("--measure measures the running host; it cannot be combined with "
			  "--host, --topology, --synthetic, --fsroot or --connect");
		goto out;
	}
	if ((err = cli_load_host(&host, &host_opts)) < 0) {
		cli_error("%s", vmp_error_last());
		status = cli_status(err);
		goto out;
	}
	if (level != VMP_MEASURE_NONE &&
	    (err = vmp_probe_measure(host, level, progress, NULL)) < 0) {
		cli_error("%s", vmp_error_last());
		status = cli_status(err);
		goto out;
	}
	if ((err = vmp_host_to_json(&json, host)) < 0) {
		cli_error("%s", vmp_error_last());
		status = EXIT_RUNTIME;
		goto out;
	}
	if (output && (err = vmp_file_write_atomic(output, json, strlen(json))) < 0) {
		cli_error("%s", vmp_error_last());
		status = EXIT_RUNTIME;
		goto out;
	}
	if (print_json)
		printf("%s\n", json);
	else
		print_summary(host);
	status = 0;
out:
	free(json);
	vmp_host_free(host);
	return status;
}

const vmp_command cmd_probe = {
    .name = "probe",
    .summary = "build the host model (topology, memory, resctrl); print it, write host.json",
    .usage = probe_usage,
    .exec = exec_probe,
};
