/* Re-pack a fleet: the fewest re-pins and migrations, in a feasible order, to make room. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "cmd_rebalance.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"
#include "vmplan/fleet.h"
#include "vmplan/migrate.h"
#include "vmplan/probe_fleet.h"
#include "vmplan/rebalance.h"
#include "vmplan/size.h"

static const char rebalance_usage[] =
    "usage: vmplan rebalance --fleet fleet.yaml [--make-room SPEC ...] [--max-moves N]\n"
    "                        [--reserve auto|none|CPUSET] [--json] [-o steps.json]\n"
    "                        [--xml-dir DIR] [--type kvm|qemu] [--apply [--dry-run]]\n"
    "\n"
    "From the running state of every host of the fleet (existing domains with their\n"
    "pins and memory nodes), find the fewest moves after which the VMs of --make-room\n"
    "fit, or, without --make-room, after which the most whole hosts, then NUMA nodes,\n"
    "are free. A move is a live re-pin on the same host (vCPU and emulator pins, memory\n"
    "nodes) or a live migration to another host with the destination's pins; each is\n"
    "planned by the planner with every other VM where it is, so the fleet is feasible\n"
    "after every step (no CPU shared between pinned VMs, memory fitting every node;\n"
    "a migration needs room on the destination while the source still runs the VM).\n"
    "0 moves are tried, then 1, 2, ... up to --max-moves; among the shortest lists the\n"
    "one moving the least memory wins. A running VM is modelled as one dedicated vCPU\n"
    "per pinned CPU and its own guest cell count; domains without pins or without\n"
    "a memory nodeset stay where they are.\n"
    "\n"
    "Output: the steps numbered, one line each, then where the new VMs fit. A step that\n"
    "needs an earlier one first says so; a VM that moves twice makes a temporary hop.\n"
    "Nothing is changed on any host unless --apply is given.\n"
    "\n"
    "Options:\n"
    "      --fleet FILE       the fleet: 'hosts:', each 'uri: URI' or 'host: host.json',\n"
    "                         with 'name:' and 'labels:' (as 'vmplan suggest --fleet')\n"
    "      --make-room SPEC   a VM to make room for, as suggest's --vm SPEC (repeat)\n"
    "      --max-moves N      the most steps, 0 to 8 (default 4)\n"
    "      --reserve POLICY   each host's housekeeping CPUs: auto (default), none, or a\n"
    "                         cpuset; dedicated vCPUs never go there\n"
    "      --json             print the steps document (JSON) instead of the text\n"
    "  -o, --output FILE      write the steps document to FILE\n"
    "      --xml-dir DIR      write DIR/<step>-<vm>.xml, the destination domain XML of\n"
    "                         each migration (for 'virsh migrate --xml'): the running\n"
    "                         domain's migratable XML with only its <cputune> pins and\n"
    "                         <numatune> changed (a moved VM keeps its guest cells) where\n"
    "                         the host has a libvirt URI, else a new domain XML\n"
    "      --type TYPE        the domain type of a new domain XML: kvm (default) or qemu\n"
    "      --apply            after printing the steps, run them in order through libvirt:\n"
    "                         a re-pin with virDomainSetNumaParameters, then\n"
    "                         virDomainPinVcpuFlags, virDomainPinEmulator and\n"
    "                         virDomainPinIOThread (live and persistent where the domain\n"
    "                         runs, persistent otherwise); a migration with\n"
    "                         virDomainMigrate3 to the destination's URI with the\n"
    "                         destination XML (live, persistent there, source undefined).\n"
    "                         It stops at the first step that fails, says which, and\n"
    "                         exits 1 (every earlier step left the fleet feasible). Every\n"
    "                         host of a step needs a libvirt URI: host.json hosts are\n"
    "                         refused (exit 2)\n"
    "      --dry-run          with --apply: print the calls it would make, change nothing\n"
    "  -h, --help             show this help\n"
    "\n"
    "Examples:\n"
    "  vmplan rebalance --fleet fleet.yaml --make-room name=db,vcpus=8,memory=32G\n"
    "  vmplan rebalance --fleet fleet.yaml --max-moves 2 -o steps.json --xml-dir steps\n"
    "  vmplan rebalance --fleet fleet.yaml\n"
    "  vmplan rebalance --fleet fleet.yaml --make-room name=db,vcpus=8 --apply --dry-run\n"
    "\n"
    "Exit status: 0 the requests fit after the steps (without --make-room: always, when\n"
    "the fleet loads), and with --apply every step was applied; 3 no room can be made\n"
    "within --max-moves (what binds is said, host by host; nothing is applied); 2 bad\n"
    "usage or input (--apply with a host.json host in a step); 1 a runtime error (--apply:\n"
    "a step failed).\n";

enum {
	OPT_MAKE_ROOM = 0x1700,
	OPT_MAX_MOVES,
	OPT_RESERVE,
	OPT_JSON,
	OPT_XML_DIR,
	OPT_TYPE,
	OPT_APPLY,
	OPT_DRY_RUN
};

static const struct option rebalance_longopts[] = {
    {"fleet", required_argument, NULL, OPT_FLEET},
    {"make-room", required_argument, NULL, OPT_MAKE_ROOM},
    {"max-moves", required_argument, NULL, OPT_MAX_MOVES},
    {"reserve", required_argument, NULL, OPT_RESERVE},
    {"json", no_argument, NULL, OPT_JSON},
    {"output", required_argument, NULL, 'o'},
    {"xml-dir", required_argument, NULL, OPT_XML_DIR},
    {"type", required_argument, NULL, OPT_TYPE},
    {"apply", no_argument, NULL, OPT_APPLY},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static bool read_max_moves(rebalance_args *a, const char *text)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (!*text || *end || n < 0 || n > VMP_REBALANCE_MOVES_MAX) {
		cli_error("bad --max-moves '%s': use a number from 0 to %d", text,
			  VMP_REBALANCE_MOVES_MAX);
		return false;
	}
	a->max_moves = (int)n;
	return true;
}

/* Read the command line; false, with *status, where the command ends. */
static bool read_options(int *status, rebalance_args *a, int argc, char **argv)
{
	int c, failed;

	cli_getopt_start(status);
	while ((c = getopt_long(argc, argv, ":o:h", rebalance_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FLEET:
			a->fleet = optarg;
			break;
		case OPT_MAKE_ROOM:
			if ((failed = cli_vms_add_spec(&a->reqs, &a->nreqs, optarg)) != 0) {
				*status = failed;
				return false;
			}
			break;
		case OPT_MAX_MOVES:
			if (!read_max_moves(a, optarg))
				return false;
			break;
		case OPT_RESERVE:
			a->reserve = optarg;
			break;
		case OPT_JSON:
			a->json_out = true;
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_XML_DIR:
			a->xml_dir = optarg;
			break;
		case OPT_TYPE:
			if (!cli_domain_type(&a->type, optarg))
				return false;
			break;
		case OPT_APPLY:
			a->apply = true;
			break;
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case 'h':
			fputs(rebalance_usage, stdout);
			*status = 0;
			return false;
		default:
			cli_option_error("rebalance", c, argv[optind - 1]);
			return false;
		}
	}
	if (!cli_no_more_args("rebalance", argc, argv, optind))
		return false;
	if (!a->fleet) {
		cli_error("rebalance needs --fleet FILE; see 'vmplan rebalance --help'");
		return false;
	}
	if (a->dry_run && !a->apply) {
		cli_error("--dry-run goes with --apply; see 'vmplan rebalance --help'");
		return false;
	}
	return true;
}

/* The destination XML of each migration step (NULL for re-pins); 0 or the exit status. */
static int step_xmls(char ***out, const vmp_rebalance *rb, const vmp_fleet *fleet, const char *type)
{
	char **xmls = calloc((size_t)rb->nsteps + 1, sizeof(*xmls));

	*out = xmls;
	if (!xmls) {
		cli_error("out of memory");
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < rb->nsteps; i++) {
		const vmp_rebalance_step *st = &rb->steps[i];
		const char *uri = fleet->hosts[st->from].uri;
		char *running = NULL, what[VMP_NAME_MAX + 16];
		bool up;
		int err;

		if (st->kind != VMP_STEP_MIGRATE)
			continue;
		snprintf(what, sizeof(what), "domain '%s'", st->vm);
		/* The migratable XML with the host-side tuning alone: libvirt refuses a
		 * destination XML that changes the guest's ABI. */
		if (uri[0] &&
		    (err = vmp_migrate_domain_xml(&running, &up, uri, st->vm)) == VMP_OK) {
			err = vmp_export_libvirt_merge_tuning(&xmls[i], NULL, running, what,
							      &st->plan->vms[0]);
			free(running);
		} else {
			err = vmp_export_libvirt_xml(&xmls[i], NULL, &st->plan->vms[0], type);
		}
		if (err < 0)
			return cli_fail(err);
	}
	return 0;
}

/* DIR/<step>-<vm>.xml for every migration, written together; 0 or the exit status. */
static int write_xml_dir(const vmp_rebalance *rb, char *const *xmls, const char *dir)
{
	vmp_fileset *set = NULL;
	int err = VMP_OK;

	if ((err = vmp_mkdir_p(dir)) < 0 || (err = vmp_fileset_new(&set)) < 0)
		goto out;
	for (int i = 0; i < rb->nsteps && err == VMP_OK; i++) {
		char path[4096];

		if (!xmls[i])
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%d-%s.xml", dir, i + 1,
				     rb->steps[i].vm) >= sizeof(path)) {
			vmp_error_set("the path '%s/%d-%s.xml' is too long", dir, i + 1,
				      rb->steps[i].vm);
			err = VMP_EINVAL;
			break;
		}
		err = vmp_fileset_add(set, path, xmls[i], strlen(xmls[i]));
	}
	if (err == VMP_OK)
		err = vmp_fileset_commit(set);
out:
	vmp_fileset_free(set);
	if (err < 0)
		return cli_fail(err);
	return 0;
}

/* Print, then write the steps document and the XML; the exit status. */
static int emit(const rebalance_args *a, const vmp_rebalance *rb, const vmp_fleet *fleet)
{
	char **xmls = NULL, *json = NULL;
	int status;

	if ((status = step_xmls(&xmls, rb, fleet, a->type)) != 0)
		goto out;
	if ((a->json_out || a->output) &&
	    (status = cli_rebalance_json(&json, rb, fleet, a->max_moves, xmls)) != 0)
		goto out;
	if (a->json_out) {
		printf("%s\n", json);
		if (rb->make_room && !rb->done)
			cli_error("no room within %d move%s: %s", a->max_moves,
				  a->max_moves == 1 ? "" : "s", rb->why);
	} else {
		cli_rebalance_print(rb, fleet, a->max_moves);
	}
	if (a->xml_dir && (status = write_xml_dir(rb, xmls, a->xml_dir)) != 0)
		goto out;
	if (a->output && cli_write_text(a->output, json) < 0) {
		status = EXIT_RUNTIME;
		goto out;
	}
	status = rb->make_room && !rb->done ? EXIT_UNPLACED : EXIT_PLACED;
	if (a->apply && status == EXIT_PLACED)
		status =
		    cli_rebalance_apply(rb, fleet, xmls, a->dry_run, a->json_out ? stderr : stdout);
	else if (a->apply)
		cli_error("nothing applied: no room can be made within %d move%s", a->max_moves,
			  a->max_moves == 1 ? "" : "s");
out:
	for (int i = 0; xmls && i < rb->nsteps; i++)
		free(xmls[i]);
	free(xmls);
	free(json);
	return status;
}

static int exec_rebalance(int argc, char **argv)
{
	rebalance_args a = {.max_moves = VMP_REBALANCE_MOVES_DEFAULT, .type = "kvm"};
	vmp_rebalance_options o;
	vmp_fleet *fleet = NULL;
	vmp_rebalance *rb = NULL;
	int status, err;

	if (!read_options(&status, &a, argc, argv))
		goto out;
	if ((status = cli_fleet_load(&fleet, a.fleet)) != 0)
		goto out;
	o = (vmp_rebalance_options){.max_moves = a.max_moves, .reserve = a.reserve};
	if ((err = vmp_rebalance_solve(&rb, fleet, a.reqs, a.nreqs, &o)) < 0) {
		status = cli_fail(err);
		goto out;
	}
	status = emit(&a, rb, fleet);
out:
	vmp_rebalance_free(rb);
	vmp_fleet_free(fleet);
	free(a.reqs);
	return status;
}

const vmp_command cmd_rebalance = {
    .name = "rebalance",
    .summary = "re-pack a fleet: the fewest re-pins and migrations, in a safe order",
    .usage = rebalance_usage,
    .exec = exec_rebalance,
};
