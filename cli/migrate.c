/* suggest --migrate: plan a running VM's pins on another host and write its destination XML. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"
#include "vmplan/migrate.h"
#include "vmplan/plan.h"
#include "vmplan/plan_json.h"
#include "vmplan/probe.h"

/* The VM's XML and shape from the source; 0 or the exit status, after saying why. */
static int read_source(char **xml, vmp_vm_request *req, char *spec, size_t size,
		       const cli_migrate_args *a, const char *from)
{
	char what[1200];
	bool running;
	int err;

	if ((err = vmp_migrate_domain_xml(xml, &running, from, a->vm)) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	if (!running) {
		cli_error(
		    "domain '%s' on '%s' is not running: --migrate plans a running VM (plan a "
		    "stopped one with 'vmplan suggest --connect URI --vm SPEC')",
		    a->vm, from);
		return EXIT_USAGE;
	}
	snprintf(what, sizeof(what), "domain '%s' on '%s'", a->vm, from);
	if ((err = vmp_migrate_domain_request(req, spec, size, *xml, what)) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	/* A migration keeps the guest's cells: one where the domain has none. */
	if (!req->numa_cells)
		req->numa_cells = 1;
	return 0;
}

/* The destination, its domains as used (one of the VM's own name excepted), and the plan. */
static int plan_destination(vmp_host **host, vmp_plan **plan, const cli_migrate_args *a,
			    const vmp_vm_request *req)
{
	const char *names[1] = {req->name};
	int err;

	if ((err = vmp_probe_libvirt_replan(host, a->to, names, 1)) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	if (vmp_plan_reserve(*host, a->reserve) < 0) {
		cli_error("%s", vmp_error_last());
		return EXIT_USAGE;
	}
	if ((err = vmp_plan_solve(plan, *host, req, 1, a->opts)) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	return 0;
}

/* --xml-dir DIR/<name>.xml (the merged XML) and -o plan.json, all in place or none. */
static int write_outputs(const cli_migrate_args *a, const char *name, const char *merged,
			 const char *json)
{
	char path[PATH_MAX];
	vmp_fileset *set;
	int err;

	if (a->xml_dir && merged) {
		if ((err = vmp_mkdir_p(a->xml_dir)) < 0)
			return err;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s.xml", a->xml_dir, name) >=
		    sizeof(path)) {
			vmp_error_set("path too long: '%s/%s.xml'", a->xml_dir, name);
			return VMP_EINVAL;
		}
	}
	if ((err = vmp_fileset_new(&set)) < 0)
		return err;
	if ((!a->xml_dir || !merged ||
	     (err = vmp_fileset_add(set, path, merged, strlen(merged))) == VMP_OK) &&
	    (!a->output || (err = vmp_fileset_add(set, a->output, json, strlen(json))) == VMP_OK))
		err = vmp_fileset_commit(set);
	vmp_fileset_free(set);
	return err;
}

/* Print what was found and planned; the merged XML on stdout with --show-xml. */
static void report(const cli_migrate_args *a, const char *from, const char *spec,
		   const vmp_plan *plan, const vmp_host *host, const char *merged, const char *json)
{
	FILE *out = a->print_xml ? stderr : stdout;

	if (a->json_out) {
		printf("%s\n", json);
	} else {
		fprintf(out, "migrate '%s' from '%s' to '%s'\nits shape: %s\n", a->vm, from, a->to,
			spec);
		a->print(out, plan, host, a->explain);
		if (merged && a->xml_dir)
			fprintf(out,
				"then: virsh -c %s migrate --live --persistent --xml %s/%s.xml %s "
				"%s\n",
				from, a->xml_dir, a->vm, a->vm, a->to);
	}
	if (merged && a->print_xml)
		printf("%s", merged);
}

int cli_suggest_migrate(const cli_migrate_args *a)
{
	const char *from = a->from ? a->from : "qemu:///system";
	char *xml = NULL, *merged = NULL, *json = NULL, spec[2048];
	vmp_vm_request req;
	vmp_host *host = NULL;
	vmp_plan *plan = NULL;
	bool placed;
	int status, err;

	if (!strcmp(from, a->to)) {
		cli_error("--to '%s' is the host domain '%s' runs on; name another host", a->to,
			  a->vm);
		return EXIT_USAGE;
	}
	if ((status = read_source(&xml, &req, spec, sizeof(spec), a, from)) != 0 ||
	    (status = plan_destination(&host, &plan, a, &req)) != 0)
		goto out;
	status = EXIT_RUNTIME;
	placed = plan->nvms == 1 && plan->vms[0].placed;
	if (placed &&
	    (err = vmp_export_libvirt_merge_tuning(&merged, NULL, xml, a->vm, &plan->vms[0])) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	if ((a->json_out || a->output) && vmp_plan_to_json(&json, plan) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	report(a, from, spec, plan, host, merged, json);
	if ((a->xml_dir || a->output) && write_outputs(a, req.name, merged, json) < 0) {
		cli_error("%s", vmp_error_last());
		goto out;
	}
	status = placed ? EXIT_PLACED : EXIT_UNPLACED;
out:
	free(xml);
	free(merged);
	free(json);
	vmp_plan_free(plan);
	vmp_host_free(host);
	return status;
}
