/* Check that running domains are pinned where the plan says; list every mismatch. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/plan_json.h"

static const char verify_usage[] =
    "usage: vmplan verify [plan.json] --connect URI [--proc auto|yes|no] [--force] [--json]\n"
    "\n"
    "Compare every placed VM of the plan with its running domain: its number of\n"
    "vCPUs, libvirt's live vCPU, emulator and I/O thread pinning and the NUMA\n"
    "memory mode and nodes and, on the local host (qemu:///system,\n"
    "qemu:///session), the CPUs each QEMU thread may really run on\n"
    "(/proc/PID/task/*/status, Cpus_allowed_list), where a vCPU thread beyond the\n"
    "plan's vCPUs is a mismatch too. Every mismatch is listed; a VM that is not\n"
    "running is one.\n"
    "Without plan.json, the accepted plan kept in the state directory is taken\n"
    "($VMPLAN_STATE_DIR, else /var/lib/vmplan; see 'vmplan accept').\n"
    "\n"
    "  --connect URI        the libvirt connection (required)\n"
    "  --proc WHEN          read the QEMU threads in /proc: auto (default: for a\n"
    "                       local URI, when the domain's pid file can be read;\n"
    "                       the output notes VMs left out and why), yes (a pid\n"
    "                       file that cannot be read is a mismatch; a URI that is\n"
    "                       not local is an error), or no. The pid file is\n"
    "                       /run/libvirt/qemu/NAME.pid for qemu:///system (and for\n"
    "                       qemu:///session as root, which libvirt serves from the\n"
    "                       system daemon); for qemu:///session as a user,\n"
    "                       $XDG_RUNTIME_DIR/libvirt/qemu/run/NAME.pid or, without\n"
    "                       XDG_RUNTIME_DIR, ~/.cache/libvirt/qemu/run/NAME.pid\n"
    "                       ($XDG_CACHE_HOME for ~/.cache)\n"
    "  --force              verify a plan made for another host (by default one whose\n"
    "                       host identity differs from the connection's is refused)\n"
    "  --json               print the result as JSON: checks, mismatches (vm, what,\n"
    "                       source, expected, actual)\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status 0 when everything matches, 4 when something does not, 2 on bad\n"
    "usage (--proc yes with a URI that is not local) or a plan for another host\n"
    "(or pinned to CPUs this host lacks), 1 when libvirt fails.\n";

static void print_json(const vmp_plan *plan, const vmp_verify_report *rep)
{
	json_t *root = json_object(), *vms = json_array(), *list = json_array();
	char *text;

	for (int i = 0; i < plan->nvms; i++) {
		int n = 0;
		for (int k = 0; k < rep->nmismatches; k++)
			n += !strcmp(rep->mismatches[k].vm, plan->vms[i].req.name);
		json_array_append_new(vms,
				      json_pack("{s:s, s:b, s:i}", "name", plan->vms[i].req.name,
						"checked", plan->vms[i].placed, "mismatches", n));
	}
	for (int k = 0; k < rep->nmismatches; k++) {
		const vmp_mismatch *m = &rep->mismatches[k];
		json_array_append_new(list,
				      json_pack("{s:s, s:s, s:s, s:s, s:s}", "vm", m->vm, "what",
						m->what, "source", m->source, "expected",
						m->expected, "actual", m->actual));
	}
	json_object_set_new(root, "checks", json_integer(rep->nchecked));
	json_object_set_new(root, "proc_vms", json_integer(rep->nproc_vms));
	json_object_set_new(root, "proc_skipped", json_integer(rep->nproc_skipped));
	if (rep->nproc_skipped)
		json_object_set_new(root, "proc_skipped_why", json_string(rep->proc_skipped_why));
	json_object_set_new(root, "vms", vms);
	json_object_set_new(root, "mismatches", list);
	if ((text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		printf("%s\n", text);
		free(text);
	}
	json_decref(root);
}

/* Per VM, what matches and what does not; then the totals. */
static void print_text(const vmp_plan *plan, const vmp_verify_report *rep)
{
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		int n = 0;
		if (!vm->placed) {
			printf("vm %s: not placed, not checked\n", vm->req.name);
			continue;
		}
		for (int k = 0; k < rep->nmismatches; k++)
			n += !strcmp(rep->mismatches[k].vm, vm->req.name);
		if (!n) {
			printf("vm %s: matches the plan\n", vm->req.name);
			continue;
		}
		printf("vm %s: %d mismatch%s\n", vm->req.name, n, n == 1 ? "" : "es");
		for (int k = 0; k < rep->nmismatches; k++) {
			const vmp_mismatch *m = &rep->mismatches[k];
			if (strcmp(m->vm, vm->req.name))
				continue;
			printf("  %-24s %-8s planned %s, found %s\n", m->what, m->source,
			       m->expected, m->actual);
		}
	}
	printf("\n%d checks (%d VMs also read from /proc), %d mismatch%s\n", rep->nchecked,
	       rep->nproc_vms, rep->nmismatches, rep->nmismatches == 1 ? "" : "es");
	if (rep->nproc_skipped)
		printf("note: the QEMU threads of %d running VM%s were not read from /proc: %s\n",
		       rep->nproc_skipped, rep->nproc_skipped == 1 ? "" : "s",
		       rep->proc_skipped_why);
}

static int exec_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"connect", required_argument, NULL, 'c'}, {"proc", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},          {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	vmp_verify_opts opts = {.proc = -1};
	vmp_verify_report *rep = NULL;
	vmp_plan *plan = NULL;
	const char *uri = NULL;
	char plan_path[4096];
	int c, err, status, json = 0, force = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			uri = optarg;
			break;
		case 'p':
			if (!strcmp(optarg, "auto"))
				opts.proc = -1;
			else if (!strcmp(optarg, "yes"))
				opts.proc = 1;
			else if (!strcmp(optarg, "no"))
				opts.proc = 0;
			else {
				cli_error("bad --proc '%s': use auto, yes or no", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			fputs(verify_usage, stdout);
			return EXIT_PLACED;
		default:
			return cli_option_error("verify", c, argv[optind - 1]);
		}
	}
	if (optind < argc - 1) {
		cli_error("unexpected argument '%s'; see 'vmplan verify --help'", argv[argc - 1]);
		return EXIT_USAGE;
	}
	if (!uri) {
		cli_error("verify needs --connect URI; see 'vmplan verify --help'");
		return EXIT_USAGE;
	}
	if ((status = cli_state_plan(plan_path, sizeof(plan_path),
				     optind < argc ? argv[optind] : NULL, NULL)) != 0)
		return status;
	if ((err = vmp_plan_load_json(&plan, plan_path)) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	if ((status = cli_plan_host_check(plan, uri, force, false, "verify it")) >= 0) {
		vmp_plan_free(plan);
		return status;
	}
	if ((err = vmp_verify_plan(&rep, plan, uri, &opts)) < 0) {
		cli_error("%s", vmp_error_last());
		vmp_plan_free(plan);
		return cli_status(err);
	}
	if (json)
		print_json(plan, rep);
	else
		print_text(plan, rep);
	status = rep->nmismatches ? EXIT_MISMATCH : EXIT_PLACED;
	vmp_verify_report_free(rep);
	vmp_plan_free(plan);
	return status;
}

const vmp_command cmd_verify = {
    .name = "verify",
    .summary = "check that running domains are pinned as the plan says",
    .usage = verify_usage,
    .exec = exec_verify,
};
