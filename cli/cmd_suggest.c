/* Plan a set of VMs on a host and write the plan and the domain XML. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"
#include "vmplan/plan.h"
#include "vmplan/size.h"
#include "vmplan/spec.h"

static const char suggest_usage[] =
	"usage: vmplan suggest [--topology FILE.xml | --synthetic DESC]\n"
	"                      --vm SPEC [--vm SPEC ...] [--reserve CPUSET|none]\n"
	"                      [--order batch|given] [-o plan.json] [--xml-dir DIR]\n"
	"                      [--show-xml] [--type kvm|qemu]\n"
	"\n"
	"Place the VMs on the host and print the plan: which host CPU each vCPU is\n"
	"pinned to, where the emulator thread runs, which host NUMA node backs each\n"
	"guest NUMA cell, and the guest CPU topology that matches. Every vCPU gets a\n"
	"dedicated host CPU; whole cores are used first, a VM stays in one NUMA node\n"
	"and as few L3 domains as it fits in.\n"
	"\n"
	"Host (one of; default: the running host, probed with hwloc):\n"
	"  --topology FILE.xml  an hwloc XML export (lstopo host.xml)\n"
	"  --synthetic DESC     an hwloc synthetic topology, e.g.\n"
	"                       \"pack:2 [numa(memory=64GB)] l3:2 core:4 pu:2\"\n"
	"\n"
	"VMs:\n"
	"  --vm SPEC            name=NAME,vcpus=N,memory=SIZE[,threads=prefer|isolate|require]\n"
	"                       [,numa=CELLS][,emulator=share|isolate][,hugepages=SIZE]\n"
	"                       SIZE: 512M, 16G, 1GiB, 2048k; a bare number is MiB;\n"
	"                       k/m/g/t and KiB/MiB/GiB/TiB are powers of 1024,\n"
	"                       kb/mb/gb/tb powers of 1000.\n"
	"                       threads: prefer (default) puts vCPU pairs on SMT\n"
	"                       siblings; isolate gives each vCPU a whole core and\n"
	"                       leaves the sibling idle; require takes whole cores only.\n"
	"                       numa: the number of guest NUMA cells, each on its own\n"
	"                       host node (default: one node if the VM fits, else the\n"
	"                       fewest nearest nodes).\n"
	"                       emulator: share (default) runs the emulator thread on\n"
	"                       the VM's CPUs; isolate on the --reserve CPUs.\n"
	"                       hugepages: back memory with this page size (2M, 1G)\n"
	"                       from the host nodes' free pools.\n"
	"\n"
	"Options:\n"
	"  --reserve CPUSET     host CPUs kept for housekeeping, never given to a vCPU\n"
	"                       (libvirt syntax: 0-3,8,^2); default: none\n"
	"  --order batch|given  batch (default) places the biggest VMs first; given\n"
	"                       places them in the order given, never revisiting one\n"
	"  -o FILE              write the plan as JSON (plan.json)\n"
	"  --xml-dir DIR        write DIR/<name>.xml, the libvirt domain XML of each\n"
	"                       placed VM\n"
	"  --show-xml           also print each placed VM's domain XML\n"
	"  --type TYPE          the domain type in the XML (default: kvm)\n"
	"  -h, --help           show this help\n";

static const char *const thread_names[] = {"prefer", "isolate", "require"};

static void print_plan(const vmp_plan *plan, const vmp_host *host)
{
	char buf[8192], mem[32];

	printf("host %s: %d packages, %d NUMA nodes, %d cores, %d CPUs (fingerprint %s)\n",
	       host->hostname, host->npackages, host->nnodes, host->ncores, host->npus,
	       plan->host);
	if (!vmp_cpuset_empty(&host->reserved)) {
		vmp_cpuset_format(buf, sizeof(buf), &host->reserved);
		printf("reserved for housekeeping: %s\n", buf);
	}
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		vmp_size_format(mem, sizeof(mem), vm->req.memory_bytes);
		printf("\nvm %s: %u vCPUs, %s, threads=%s\n", vm->req.name, vm->req.vcpus, mem,
		       thread_names[vm->req.threads]);
		if (!vm->placed) {
			printf("  not placed: %s\n", vm->reason);
			continue;
		}
		printf("  topology  sockets=%u dies=%u cores=%u threads=%u\n", vm->sockets, vm->dies,
		       vm->cores, vm->threads);
		for (int c = 0; c < vm->ncells; c++) {
			char vcpus[8192], pcpus[8192];
			vmp_cpuset host_cpus = {0};
			int v;
			VMP_CPUSET_FOREACH(v, &vm->cells[c].vcpus)
			vmp_cpuset_set(&host_cpus, vm->vcpupin[v]);
			vmp_cpuset_format(vcpus, sizeof(vcpus), &vm->cells[c].vcpus);
			vmp_cpuset_format(pcpus, sizeof(pcpus), &host_cpus);
			vmp_size_format(mem, sizeof(mem), vm->cells[c].memory_bytes);
			printf("  cell %d    host node %d, vCPUs %s on CPUs %s, %s\n", c,
			       vm->cells[c].host_node, vcpus, pcpus, mem);
		}
		printf("  vcpupin  ");
		for (unsigned v = 0; v < vm->req.vcpus; v++)
			printf(" %u:%d", v, vm->vcpupin[v]);
		vmp_cpuset_format(buf, sizeof(buf), &vm->emulatorpin);
		printf("\n  emulator  %s\n  score     %.1f\n", buf, vm->score);
	}
	printf("\n%d of %d VMs placed\n", vmp_plan_placed_count(plan), plan->nvms);
}

static int show_xml(const vmp_plan *plan, const char *type)
{
	for (int i = 0; i < plan->nvms; i++) {
		char *xml;
		int err;
		if (!plan->vms[i].placed)
			continue;
		if ((err = vmp_export_libvirt_xml(&xml, NULL, &plan->vms[i], type)) < 0)
			return err;
		printf("\n<!-- %s.xml -->\n%s", plan->vms[i].req.name, xml);
		free(xml);
	}
	return VMP_OK;
}

static int exec_suggest(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_HOST_LONGOPTS,
		{"vm", required_argument, NULL, 'v'},
		{"reserve", required_argument, NULL, 'r'},
		{"order", required_argument, NULL, 'O'},
		{"output", required_argument, NULL, 'o'},
		{"xml-dir", required_argument, NULL, 'x'},
		{"show-xml", no_argument, NULL, 'X'},
		{"type", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *output = NULL, *xml_dir = NULL;
	cli_host_opts host_opts = {0};
	const char *reserve = NULL, *type = "kvm";
	vmp_plan_options opts = {0};
	vmp_vm_request *reqs = NULL;
	vmp_host *host = NULL;
	vmp_plan *plan = NULL;
	char *json = NULL;
	size_t nreqs = 0;
	int c, err, status = EXIT_USAGE, print_xml = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		if (cli_host_option(&host_opts, c, optarg))
			continue;
		switch (c) {
		case 'v': {
			vmp_vm_request *n = realloc(reqs, (nreqs + 1) * sizeof(*reqs));
			if (!n) {
				cli_error("out of memory");
				status = EXIT_RUNTIME;
				goto out;
			}
			reqs = n;
			if (vmp_spec_parse(&reqs[nreqs], optarg) < 0) {
				cli_error("%s", vmp_error_last());
				goto out;
			}
			nreqs++;
			break;
		}
		case 'r':
			reserve = optarg;
			break;
		case 'O':
			if (!strcmp(optarg, "batch")) {
				opts.order = VMP_ORDER_BATCH;
			} else if (!strcmp(optarg, "given")) {
				opts.order = VMP_ORDER_GIVEN;
			} else {
				cli_error("bad --order '%s': use batch or given", optarg);
				goto out;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'x':
			xml_dir = optarg;
			break;
		case 'X':
			print_xml = 1;
			break;
		case 't':
			if (strcmp(optarg, "kvm") && strcmp(optarg, "qemu")) {
				cli_error("bad --type '%s': use kvm or qemu", optarg);
				goto out;
			}
			type = optarg;
			break;
		case 'h':
			fputs(suggest_usage, stdout);
			status = 0;
			goto out;
		case ':':
			cli_error("option '%s' needs a value; see 'vmplan suggest --help'",
				  argv[optind - 1]);
			goto out;
		default:
			cli_error("unknown option '%s'; see 'vmplan suggest --help'",
				  argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument '%s'; see 'vmplan suggest --help'", argv[optind]);
		goto out;
	}
	if (nreqs == 0) {
		cli_error("no VM to plan; give at least one --vm SPEC (see 'vmplan suggest --help')");
		goto out;
	}
	if ((err = cli_load_host(&host, &host_opts)) < 0) {
		cli_error("%s", vmp_error_last());
		status = cli_status(err);
		goto out;
	}
	if (reserve && strcmp(reserve, "none")) {
		vmp_cpuset set;
		char buf[8192];
		if (vmp_cpuset_parse(&set, reserve) < 0) {
			cli_error("bad --reserve: %s", vmp_error_last());
			goto out;
		}
		if (!vmp_cpuset_subset(&set, &host->online)) {
			vmp_cpuset_andnot(&set, &set, &host->online);
			vmp_cpuset_format(buf, sizeof(buf), &set);
			cli_error("bad --reserve '%s': CPUs %s are not online on this host", reserve,
				  buf);
			goto out;
		}
		host->reserved = set;
	}
	if ((err = vmp_plan_solve(&plan, host, reqs, nreqs, &opts)) < 0) {
		cli_error("%s", vmp_error_last());
		status = cli_status(err);
		goto out;
	}
	print_plan(plan, host);
	status = EXIT_RUNTIME;
	if (print_xml && (err = show_xml(plan, type)) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	if (output) {
		if ((err = vmp_plan_to_json(&json, plan)) < 0 ||
		    (err = vmp_file_write_atomic(output, json, strlen(json))) < 0) {
			cli_error("%s", vmp_error_last());
			goto out;
		}
	}
	if (xml_dir && (err = vmp_export_libvirt_dir(plan, xml_dir, type)) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	status = vmp_plan_placed_count(plan) == plan->nvms ? EXIT_PLACED : EXIT_UNPLACED;
out:
	free(json);
	vmp_plan_free(plan);
	vmp_host_free(host);
	free(reqs);
	return status;
}

const vmp_command cmd_suggest = {
	.name = "suggest",
	.summary = "plan VMs on a host; print the plan, write plan.json and domain XML",
	.usage = suggest_usage,
	.exec = exec_suggest,
};
