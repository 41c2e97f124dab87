/* Is the plan for the host a command is about to act on, and does that host have room. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/identity.h"
#include "vmplan/probe.h"

/* Each "\n"-ended line of text, indented, after a heading. */
static void print_lines(const char *heading, const char *text)
{
	fprintf(stderr, "vmplan: %s\n", heading);
	while (*text) {
		size_t n = strcspn(text, "\n");
		fprintf(stderr, "  %.*s\n", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

int cli_plan_host_check(const vmp_plan *plan, const char *uri, bool force, bool free_too,
			const char *what)
{
	vmp_plan_host_result *r = calloc(1, sizeof(*r));
	vmp_host *host = NULL;
	int err, status = -1;

	if (!r) {
		cli_error("out of memory");
		return EXIT_RUNTIME;
	}
	err = vmp_uri_is_local_qemu(uri) ? vmp_probe_live(&host) : vmp_probe_libvirt(&host, uri);
	if (err < 0) {
		cli_error("%s", vmp_error_last());
		status = cli_status(err);
		goto out;
	}
	vmp_plan_host_check(r, plan, host, free_too);
	if (!r->same_host && !force) {
		cli_error(
		    "the plan is for host '%s', not '%s' behind '%s': %s; re-plan on this host, "
		    "or %s with --force",
		    plan->hostname, host->hostname, uri, r->differs, what);
		status = EXIT_USAGE;
		goto out;
	}
	if (!r->same_host)
		fprintf(stderr,
			"vmplan: warning: --force: the plan is for host '%s', not '%s': %s\n",
			plan->hostname, host->hostname, r->differs);
	if (r->missing_cpus) {
		print_lines("cannot apply the plan: this host lacks CPUs it pins to:",
			    r->shortfalls);
		status = EXIT_USAGE;
	} else if (r->nshortfalls) {
		print_lines("warning: this host lacks what the plan needs; its domains will not "
			    "start as planned until then:",
			    r->shortfalls);
	}
out:
	vmp_host_free(host);
	free(r);
	return status;
}
