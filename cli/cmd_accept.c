/* Keep a plan as this host's accepted plan in the state directory (for the nightly run). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"
#include "vmplan/identity.h"
#include "vmplan/plan_json.h"
#include "vmplan/probe.h"
#include "vmplan/statedir.h"

static const char accept_usage[] =
    "usage: vmplan accept [plan.json] [--state-dir DIR] [--host F | --topology F.xml |\n"
    "                     --synthetic DESC | --fsroot DIR | --connect URI]\n"
    "\n"
    "Keep a plan as this host's accepted plan, the one 'vmplan nightly' checks every\n"
    "night. The state directory (default /var/lib/vmplan, or $VMPLAN_STATE_DIR) gets\n"
    "plan.json (the file as given) and host.json (the host model it is accepted on),\n"
    "each written whole or not at all; the history (history.db) and the latest reports\n"
    "(reports/) are the nightly run's. 'vmplan export --define' on a local URI\n"
    "(qemu:///system, qemu:///session) keeps the plan it defines the same way.\n"
    "\n"
    "Where a systemd unit directory exists ($VMPLAN_SYSTEMD_DIR, else\n"
    "/etc/systemd/system), the drop-in vmplan-nightly.service.d/50-vmplan-cpuaffinity.conf\n"
    "is written too: CPUAffinity= the online CPUs that no placed VM's vCPU is pinned to\n"
    "(the housekeeping CPUs), so the nightly run does not disturb pinned guests; run\n"
    "'systemctl daemon-reload' after it. It is removed when the plan pins every CPU.\n"
    "\n"
    "  plan.json            the plan (default: the kept plan, to write the host model\n"
    "                       and the drop-in again)\n"
    "  --state-dir DIR      the state directory (default $VMPLAN_STATE_DIR, else\n"
    "                       /var/lib/vmplan)\n"
    "  host options         the host the plan is accepted on (default: this host,\n"
    "                       probed); it must be the machine the plan was made for\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 kept; 2 bad input, a plan for another host or no plan; 1 a file\n"
    "could not be written.\n";

int cli_state_plan(char *out, size_t size, const char *given, const char *state_dir)
{
	const char *dir = vmp_statedir_dir(state_dir);

	if (given) {
		snprintf(out, size, "%s", given);
		return 0;
	}
	if (vmp_statedir_path(out, size, dir, VMP_STATE_PLAN) < 0) {
		cli_error("%s", vmp_error_last());
		return EXIT_USAGE;
	}
	if (access(out, F_OK) < 0) {
		cli_error("no plan given and none kept in '%s'; give plan.json or keep one with "
			  "'vmplan accept plan.json'",
			  dir);
		return EXIT_USAGE;
	}
	return 0;
}

int cli_state_keep(const char *dir, const char *plan_path, const vmp_plan *plan,
		   const vmp_host *host, bool verbose)
{
	char dropin[PATH_MAX], fp[17];
	char *text = NULL;
	int err;

	if ((err = vmp_file_read(&text, NULL, plan_path, "plan")) < 0 ||
	    (err = vmp_statedir_keep(dropin, sizeof(dropin), dir, text, plan, host)) < 0) {
		free(text);
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	free(text);
	if (!verbose)
		return 0;
	vmp_host_fingerprint(fp, host);
	printf("kept as the accepted plan of host %s (fingerprint %s) in %s\n", host->hostname, fp,
	       dir);
	if (*dropin)
		printf("nightly CPU affinity: %s (run 'systemctl daemon-reload')\n", dropin);
	return 0;
}

int cli_state_keep_defined(const char *uri, const char *plan_path, const vmp_plan *plan,
			   bool verbose)
{
	char pid[PATH_MAX], differs[1024];
	vmp_host *host = NULL;
	int err, status = 0;

	/* Only a plan defined on this very host is this host's plan. */
	if (vmp_verify_pid_path(pid, sizeof(pid), uri, "x", (unsigned)geteuid()) < 0)
		return 0;
	if ((err = vmp_probe_live(&host)) < 0) {
		cli_error("%s", vmp_error_last());
		return EXIT_RUNTIME;
	}
	if (!vmp_plan_same_host(differs, sizeof(differs), plan, host)) {
		if (verbose)
			printf(
			    "note: not kept as this host's accepted plan: it was made for host %s, "
			    "this is %s (%s)\n",
			    plan->hostname, host->hostname, differs);
	} else
		status = cli_state_keep(vmp_statedir_dir(NULL), plan_path, plan, host, verbose);
	vmp_host_free(host);
	return status;
}

static int exec_accept(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"state-dir", required_argument, NULL, 'S'},
	    CLI_HOST_LONGOPTS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	cli_host_opts ho = {0};
	const char *state_dir = NULL;
	char plan_path[PATH_MAX];
	vmp_plan *plan = NULL;
	vmp_host *host = NULL;
	int c, err, status;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (cli_host_option(&ho, c, optarg))
			continue;
		switch (c) {
		case 'S':
			state_dir = optarg;
			break;
		case 'h':
			fputs(accept_usage, stdout);
			return EXIT_PLACED;
		default:
			return cli_option_error("accept", c, argv[optind - 1]);
		}
	}
	if (optind < argc - 1) {
		cli_error("unexpected argument '%s'; see 'vmplan accept --help'", argv[argc - 1]);
		return EXIT_USAGE;
	}
	if ((status = cli_state_plan(plan_path, sizeof(plan_path),
				     optind < argc ? argv[optind] : NULL, state_dir)) != 0)
		return status;
	if ((err = vmp_plan_load_json(&plan, plan_path)) < 0 ||
	    (err = cli_load_host(&host, &ho)) < 0) {
		cli_error("%s", vmp_error_last());
		status = cli_status(err);
		goto out;
	}
	/* The kept plan accepted again is read whole before it is replaced. */
	status = cli_state_keep(vmp_statedir_dir(state_dir), plan_path, plan, host, true);
out:
	vmp_host_free(host);
	vmp_plan_free(plan);
	return status;
}

const vmp_command cmd_accept = {
    .name = "accept",
    .summary = "keep a plan as this host's accepted plan for the nightly run",
    .usage = accept_usage,
    .exec = exec_accept,
};
