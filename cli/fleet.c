/* suggest --fleet: load and probe the fleet, assign and plan the VMs, print and write the plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"
#include "vmplan/fleet.h"
#include "vmplan/fleet_plan.h"
#include "vmplan/probe_fleet.h"
#include "vmplan/size.h"

#define FLEET_PROBE_THREADS 16

/* Progress on a terminal: "probing hosts: 3/10", rewritten in place. */
static void progress(void *arg, int done, int total, const vmp_fleet_host *fh)
{
	(void)arg;
	(void)fh;
	fprintf(stderr, "\rprobing hosts: %d/%d", done, total);
	if (done == total)
		fprintf(stderr, "\r%*s\r", 40, "");
	fflush(stderr);
}

/* Load and probe the fleet; hosts that are down are named. 0 or the exit status. */
int cli_fleet_load(vmp_fleet **out, const char *path)
{
	int err;

	if ((err = vmp_fleet_load(out, path)) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	if ((err = vmp_fleet_probe(*out, FLEET_PROBE_THREADS, isatty(2) ? progress : NULL, NULL)) <
	    0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	for (int i = 0; i < (*out)->nhosts; i++)
		if ((*out)->hosts[i].down)
			cli_error("host '%s' left out: %s", (*out)->hosts[i].name,
				  (*out)->hosts[i].error);
	if (vmp_fleet_up_count(*out) == 0) {
		cli_error("no host of fleet '%s' could be loaded", path);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* The why-lines of a VM, indented. */
static void print_explain(const char *text)
{
	while (text && *text) {
		const char *nl = strchr(text, '\n');
		int len = nl ? (int)(nl - text) : (int)strlen(text);
		printf("    why  %.*s\n", len, text);
		text += len + (nl ? 1 : 0);
	}
}

static void print_vm(const vmp_plan_vm *vm)
{
	char mem[32], cpus[4096];

	vmp_size_format(mem, sizeof(mem), vm->req.memory_bytes);
	printf("  vm %s%s%s: %u vCPU%s, %s", cli_colour(stdout, CLI_BOLD), vm->req.name,
	       cli_colour(stdout, CLI_RESET), vm->req.vcpus, vm->req.vcpus == 1 ? "" : "s", mem);
	if (vm->placed) {
		vmp_cpuset_format(cpus, sizeof(cpus), &vm->pcpus);
		printf(", node%s", vm->ncells == 1 ? "" : "s");
		for (int c = 0; c < vm->ncells; c++)
			printf("%s%d", c ? "," : " ", vm->cells[c].host_node);
		printf(", CPUs %s\n", cpus);
	} else {
		printf("\n    %snot placed%s: %s\n", cli_colour(stdout, CLI_RED),
		       cli_colour(stdout, CLI_RESET), vm->reason);
	}
	print_explain(vm->explain);
}

static void print_fleet_plan(const vmp_fleet_plan *fp, const vmp_fleet *fleet)
{
	int total, placed = vmp_fleet_plan_placed_count(fp, &total);

	printf("fleet: %d host%s, %d up, policy %s\n", fleet->nhosts, fleet->nhosts == 1 ? "" : "s",
	       vmp_fleet_up_count(fleet), fp->policy);
	for (int h = 0; h < fp->nhosts; h++) {
		const vmp_plan *p = fp->hosts[h].plan;
		printf("\nhost %s%s%s%s%s: %d VM%s\n", cli_colour(stdout, CLI_BOLD),
		       fp->hosts[h].name, cli_colour(stdout, CLI_RESET),
		       fp->hosts[h].uri[0] ? " " : "", fp->hosts[h].uri, p->nvms,
		       p->nvms == 1 ? "" : "s");
		for (int i = 0; i < p->nvms; i++)
			print_vm(&p->vms[i]);
	}
	if (fp->unplaced->nvms) {
		printf("\nnot placed:\n");
		for (int i = 0; i < fp->unplaced->nvms; i++)
			print_vm(&fp->unplaced->vms[i]);
	}
	printf("\n%d of %d VMs placed on %d host%s\n", placed, total, fp->nhosts,
	       fp->nhosts == 1 ? "" : "s");
}

static int show_xml(const vmp_fleet_plan *fp, const char *type)
{
	for (int h = 0; h < fp->nhosts; h++)
		for (int i = 0; i < fp->hosts[h].plan->nvms; i++) {
			char *xml;
			int err;
			if ((err = vmp_export_libvirt_xml(&xml, NULL, &fp->hosts[h].plan->vms[i],
							  type)) < 0)
				return err;
			printf("\n<!-- %s/%s.xml -->\n%s", fp->hosts[h].name,
			       fp->hosts[h].plan->vms[i].req.name, xml);
			free(xml);
		}
	return VMP_OK;
}

/* DIR/HOST/<name>.xml for every host's placed VMs. */
static int write_xml(const vmp_fleet_plan *fp, const char *dir, const char *type)
{
	for (int h = 0; h < fp->nhosts; h++) {
		char path[4096];
		int err;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, fp->hosts[h].name) >=
		    sizeof(path)) {
			vmp_error_set("the path '%s/%s' is too long", dir, fp->hosts[h].name);
			return VMP_EINVAL;
		}
		if ((err = vmp_export_libvirt_dir(fp->hosts[h].plan, path, type)) < 0)
			return err;
	}
	return VMP_OK;
}

/* Print the fleet plan, then write the XML and plan.json (last); the exit status. */
static int emit(const cli_fleet_args *a, const vmp_fleet_plan *fp, const vmp_fleet *fleet)
{
	char *json = NULL;
	int err, status = EXIT_RUNTIME, total;

	if ((a->json_out || a->output) && (err = vmp_fleet_plan_to_json(&json, fp)) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	if (a->json_out)
		printf("%s\n", json);
	else
		print_fleet_plan(fp, fleet);
	if (a->print_xml && (err = show_xml(fp, a->type)) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	if (a->xml_dir && (err = write_xml(fp, a->xml_dir, a->type)) < 0) {
		cli_error("%s", vmp_error_last());
		status = cli_status(err);
		goto out;
	}
	if (a->output && (err = vmp_file_write_atomic(a->output, json, strlen(json))) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	status = vmp_fleet_plan_placed_count(fp, &total) == total ? EXIT_PLACED : EXIT_UNPLACED;
out:
	free(json);
	return status;
}

int cli_suggest_fleet(const cli_fleet_args *a)
{
	vmp_fleet_options o = {.order = a->given ? VMP_ORDER_GIVEN : VMP_ORDER_BATCH,
			       .explain = a->explain,
			       .reserve = a->reserve,
			       .time_limit_s = a->time_limit_s};
	vmp_fleet *fleet = NULL;
	vmp_fleet_plan *fp = NULL;
	int status, err;

	if (!a->policy || !strcmp(a->policy, "pack")) {
		o.policy = VMP_FLEET_PACK;
	} else if (!strcmp(a->policy, "spread")) {
		o.policy = VMP_FLEET_SPREAD;
	} else {
		cli_error("bad --fleet-policy '%s': use pack or spread", a->policy);
		return EXIT_USAGE;
	}
	if ((status = cli_fleet_load(&fleet, a->fleet)) != 0)
		goto out;
	if ((err = vmp_fleet_solve(&fp, fleet, a->reqs, a->nreqs, &o)) < 0) {
		cli_error("%s", vmp_error_last());
		status = cli_status(err);
		goto out;
	}
	status = emit(a, fp, fleet);
out:
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(fleet);
	return status;
}

int cli_fleet_plan_read(vmp_fleet_plan **out, const char *path)
{
	char *text = NULL;
	size_t len;
	int err;

	*out = NULL;
	/* Unreadable: the plan loader says so. */
	if (vmp_file_read(&text, &len, path, "plan") < 0)
		return 0;
	if (vmp_fleet_plan_is_fleet(text) &&
	    (err = vmp_fleet_plan_from_json(out, text, path)) < 0) {
		cli_error("%s", vmp_error_last());
		free(text);
		return cli_status(err);
	}
	free(text);
	return 0;
}

int cli_fleet_define_check(const vmp_fleet_plan *fp, bool force)
{
	/* Every host reachable by URI before any is changed. */
	for (int h = 0; h < fp->nhosts; h++)
		if (!fp->hosts[h].uri[0]) {
			cli_error("host '%s' came from a host.json and has no URI; nothing defined",
				  fp->hosts[h].name);
			return EXIT_USAGE;
		}
	/* Each host is the machine its part was planned on, as a one-host define checks. */
	for (int h = 0; h < fp->nhosts; h++) {
		int st = cli_plan_host_check(fp->hosts[h].plan, fp->hosts[h].uri, force, true,
					     "define it");
		if (st >= 0) {
			cli_error("fleet host '%s' refused; nothing defined on any host",
				  fp->hosts[h].name);
			return st;
		}
	}
	return -1;
}
