/* Write a plan out: libvirt XML (new or merged), Salt states, plan.json; or define it. */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"
#include "vmplan/fleet.h"

static const char export_usage[] =
    "usage: vmplan export plan.json [--format libvirt|salt|json] [--out-dir DIR]\n"
    "                     [--domain-xml IN.xml | --connect URI --domain NAME] [--vm NAME]\n"
    "                     [--define URI [--live]] [--dry-run] [--type kvm|qemu]\n"
    "                     [--salt-state defined|running] [--force] [--json]\n"
    "\n"
    "Write what the plan decided in the form a tool applies it with.\n"
    "\n"
    "  --format FORMAT      libvirt (default): one domain XML per placed VM;\n"
    "                       salt: one Salt state file (virt.defined) for all of them;\n"
    "                       json: plan.json again (as suggest -o writes it)\n"
    "  --out-dir DIR        write DIR/<name>.xml, DIR/vmplan.sls or DIR/plan.json\n"
    "                       (all files together, or none) instead of printing\n"
    "  --domain-xml IN.xml  merge the tuning into this existing domain: only the tuning\n"
    "                       elements change, the old XML is kept as a new backup,\n"
    "                       IN.xml.bak, then .bak.1, ... (or DIR/<name>.xml and\n"
    "                       DIR/<name>.xml.bak... with --out-dir); none is overwritten\n"
    "  --connect URI --domain NAME\n"
    "                       merge into the definition of NAME on that connection\n"
    "                       (printed, or written with --out-dir); nothing is defined\n"
    "  --vm NAME            the plan's VM to merge (default: the one named like the\n"
    "                       domain, or the only placed one)\n"
    "  --define URI         define every placed VM through libvirt: new domains get\n"
    "                       the type and machine the connection offers; existing\n"
    "                       ones get the tuning merged, after their XML is saved as\n"
    "                       a new <name>.xml.bak (.bak.1, ...) in --out-dir (default:\n"
    "                       next to plan.json). On a local URI (qemu:///system,\n"
    "                       qemu:///session) a plan made for this host is then kept\n"
    "                       as its accepted plan in the state directory, as 'vmplan\n"
    "                       accept' does. A fleet plan (suggest --fleet -o) is\n"
    "                       exported per host into --out-dir/HOST/, and '--define\n"
    "                       fleet' defines each host's VMs through that host's URI\n"
    "                       (hosts from a host.json have none: nothing is defined);\n"
    "                       every host is first checked to be the machine planned,\n"
    "                       and one that is not refuses the whole define (--force)\n"
    "  --dry-run            with --define, --domain-xml or --connect/--domain: show\n"
    "                       the difference, change and write nothing; both XMLs are\n"
    "                       laid out the same way by libxml2 first, so only the\n"
    "                       tuning shows\n"
    "  --live               with --define: also pin the vCPUs, emulator and I/O threads\n"
    "                       of a domain that runs, now (libvirt's live pinning); its\n"
    "                       memory placement (numatune, hugepages), cachetune and the\n"
    "                       rest still take effect at its next start\n"
    "  --type TYPE          the domain type of new XML (default: kvm)\n"
    "  --salt-state STATE   defined (default) or running: the Salt state function\n"
    "  --force              with --define or --connect: apply a plan made for another\n"
    "                       host (its identity differs: CPUs, nodes, memory, CPU model,\n"
    "                       resctrl); a pin to a CPU this host lacks is refused anyway\n"
    "  --json               report what was written, merged or defined as JSON (a\n"
    "                       document printed instead of written comes as \"content\")\n"
    "  -h, --help           show this help\n";

enum {
	OPT_FORMAT = 0x2000,
	OPT_OUTDIR,
	OPT_DOMXML,
	OPT_DOMAIN,
	OPT_VM,
	OPT_DEFINE,
	OPT_DRY,
	OPT_LIVE,
	OPT_TYPE,
	OPT_SALT,
	OPT_JSON,
	OPT_FORCE
};

/* The plan's VM for a domain called domain_name (or the one named by --vm). */
static const vmp_plan_vm *pick_vm(const vmp_plan *plan, const char *vm_name,
				  const char *domain_name)
{
	const vmp_plan_vm *only = NULL;
	int nplaced = 0;

	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		if (vm_name && !strcmp(vm->req.name, vm_name)) {
			if (!vm->placed) {
				cli_error("VM '%s' of the plan was not placed: %s", vm_name,
					  vm->reason);
				return NULL;
			}
			return vm;
		}
		if (!vm_name && vm->placed && domain_name && !strcmp(vm->req.name, domain_name))
			return vm;
		if (vm->placed) {
			only = vm;
			nplaced++;
		}
	}
	if (vm_name)
		cli_error("the plan has no VM named '%s'", vm_name);
	else if (nplaced == 1)
		return only;
	else
		cli_error("the plan has %d placed VMs and none is named '%s'; choose one with "
			  "--vm NAME",
			  nplaced, domain_name ? domain_name : "");
	return NULL;
}

/* With --json, what was done, one object per file or domain; printed at the end. */
static json_t *events;

static void event(const char *action, const char *vm, const char *key, const char *value)
{
	json_t *e = json_pack("{s:s}", "action", action);

	if (vm)
		json_object_set_new(e, "vm", json_string(vm));
	if (key && value)
		json_object_set_new(e, key, json_string(value));
	json_array_append_new(events, e);
}

static int write_or_print(const char *dir, const char *file, const char *doc, size_t len)
{
	char path[PATH_MAX];
	int err;

	if (!dir) {
		if (events) {
			event("print", NULL, "file", file);
			json_object_set_new(json_array_get(events, json_array_size(events) - 1),
					    "content", json_stringn(doc, len));
		} else {
			fputs(doc, stdout);
		}
		return EXIT_PLACED;
	}
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path)) {
		cli_error("cannot write '%s/%s': path too long", dir, file);
		return EXIT_RUNTIME;
	}
	if ((err = vmp_mkdir_p(dir)) < 0 || (err = vmp_file_write_atomic(path, doc, len)) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	if (events)
		event("wrote", NULL, "path", path);
	else
		printf("wrote %s\n", path);
	return EXIT_PLACED;
}

/* --out-dir with one file per VM: all files to temporaries, then all renamed together. */
static int write_per_vm(const vmp_plan *plan, const vmp_exporter *ex, const char *dir,
			const vmp_export_opts *opts)
{
	vmp_fileset *set = NULL;
	char *doc, path[PATH_MAX];
	size_t len;
	int err;

	if ((err = vmp_mkdir_p(dir)) < 0 || (err = vmp_fileset_new(&set)) < 0)
		goto out;
	for (int i = 0; i < plan->nvms && err == VMP_OK; i++) {
		if (!plan->vms[i].placed) {
			fprintf(stderr, "vmplan: skipping VM '%s': it was not placed\n",
				plan->vms[i].req.name);
			continue;
		}
		if (snprintf(path, sizeof(path), "%s/%s%s", dir, plan->vms[i].req.name, ex->ext) >=
		    (int)sizeof(path)) {
			vmp_error_set("cannot write into '%s': path too long", dir);
			err = VMP_ESYS;
			break;
		}
		if ((err = ex->fn(&doc, &len, plan, i, opts)) < 0)
			break;
		err = vmp_fileset_add(set, path, doc, len);
		free(doc);
	}
	if (err == VMP_OK)
		err = vmp_fileset_commit(set);
	for (int i = 0; i < plan->nvms && err == VMP_OK; i++) {
		if (!plan->vms[i].placed)
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", dir, plan->vms[i].req.name, ex->ext);
		if (events)
			event("wrote", NULL, "path", path);
		else
			printf("wrote %s\n", path);
	}
out:
	vmp_fileset_free(set);
	if (err < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	return EXIT_PLACED;
}

static int do_formats(const vmp_plan *plan, const vmp_exporter *ex, const char *dir,
		      const vmp_export_opts *opts)
{
	char *doc;
	size_t len;
	int err, status, n = 0;

	if (!ex->per_vm) {
		if ((err = ex->fn(&doc, &len, plan, -1, opts)) < 0) {
			cli_error("%s", vmp_error_last());
			return cli_status(err);
		}
		status = write_or_print(dir, ex->file, doc, len);
		free(doc);
		return status;
	}
	if (dir)
		return write_per_vm(plan, ex, dir, opts);
	for (int i = 0; i < plan->nvms; i++) {
		if (!plan->vms[i].placed) {
			fprintf(stderr, "vmplan: skipping VM '%s': it was not placed\n",
				plan->vms[i].req.name);
			continue;
		}
		if ((err = ex->fn(&doc, &len, plan, i, opts)) < 0) {
			cli_error("%s", vmp_error_last());
			return cli_status(err);
		}
		if (!events && n++)
			fputc('\n', stdout);
		if (!events && plan->nvms > 1)
			printf("<!-- %s%s -->\n", plan->vms[i].req.name, ex->ext);
		if (events) {
			char file[VMP_NAME_MAX + 16];
			snprintf(file, sizeof(file), "%s%s", plan->vms[i].req.name, ex->ext);
			status = write_or_print(NULL, file, doc, len);
		} else {
			fputs(doc, stdout);
			status = EXIT_PLACED;
		}
		free(doc);
		if (status)
			return status;
	}
	return EXIT_PLACED;
}

/* A merge's dry run: the XML as it is (named name) against the merge of vm into it, both laid
 * out by libxml2 alike so that only the tuning shows; nothing is written. */
static int dry_merge(const vmp_plan_vm *vm, const char *old, const char *name)
{
	char merged_name[PATH_MAX + 16], *merged = NULL, *diff = NULL;
	int err;

	snprintf(merged_name, sizeof(merged_name), "%s (merged)", name);
	if ((err = vmp_export_libvirt_merge(&merged, NULL, old, name, vm)) < 0 ||
	    (err = vmp_export_diff(&diff, old, merged, name, merged_name)) < 0) {
		cli_error("%s", vmp_error_last());
		free(merged);
		return cli_status(err);
	}
	if (events) {
		event("dry run", vm->req.name, "result", *diff ? "would be merged" : "unchanged");
		json_object_set_new(json_array_get(events, json_array_size(events) - 1), "diff",
				    json_string(diff));
	} else {
		printf("%s: %s in %s\n%s", vm->req.name, *diff ? "would be merged" : "unchanged",
		       name, diff);
	}
	free(merged);
	free(diff);
	return EXIT_PLACED;
}

static int do_merge_file(const vmp_plan *plan, const char *in, const char *vm_name, const char *dir,
			 bool dry_run)
{
	char *xml = NULL, name[VMP_NAME_MAX], out[PATH_MAX], bak[PATH_MAX];
	const vmp_plan_vm *vm;
	bool changed;
	int err;

	if ((err = vmp_file_read(&xml, NULL, in, "domain XML")) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	vmp_domain_xml_name(name, sizeof(name), xml);
	vm = pick_vm(plan, vm_name, name);
	err = vm && dry_run ? dry_merge(vm, xml, in) : -1;
	free(xml);
	if (!vm || err >= 0)
		return vm ? err : EXIT_USAGE;
	if (dir) {
		if ((err = vmp_mkdir_p(dir)) < 0) {
			cli_error("%s", vmp_error_last());
			return cli_status(err);
		}
		snprintf(out, sizeof(out), "%s/%s.xml", dir, vm->req.name);
	}
	if ((err = vmp_export_merge_file_backup(&changed, bak, sizeof(bak), in, dir ? out : NULL,
						vm)) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	/* Merged in place with nothing to change, the file and its old backups stay as they are. */
	bool written = bak[0] != '\0';
	if (events) {
		event(changed ? "merged" : "unchanged", vm->req.name, "path", dir ? out : in);
		if (written)
			json_object_set_new(json_array_get(events, json_array_size(events) - 1),
					    "backup", json_string(bak));
		return EXIT_PLACED;
	}
	if (written)
		printf("%s VM '%s' into %s (previous XML kept in %s)\n",
		       changed ? "merged" : "nothing to change for", vm->req.name, dir ? out : in,
		       bak);
	else
		printf("nothing to change for VM '%s' in %s (left as it is)\n", vm->req.name, in);
	return EXIT_PLACED;
}

static int backup_domain(const char *dir, const char *domain, const char *old)
{
	char path[PATH_MAX], bak[PATH_MAX];
	int err;

	if (snprintf(path, sizeof(path), "%s/%s.xml", dir, domain) >= (int)sizeof(path)) {
		cli_error("cannot back up domain '%s' into '%s': path too long", domain, dir);
		return EXIT_USAGE;
	}
	if ((err = vmp_mkdir_p(dir)) < 0 ||
	    (err = vmp_file_backup(bak, sizeof(bak), path, old, strlen(old))) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	if (events)
		event("wrote", NULL, "path", bak);
	else
		printf("wrote %s\n", bak);
	return EXIT_PLACED;
}

static int do_merge_domain(const vmp_plan *plan, const char *uri, const char *domain,
			   const char *vm_name, const char *dir, bool force, bool dry_run)
{
	const vmp_plan_vm *vm;
	char *old = NULL, *xml = NULL, file[PATH_MAX], label[VMP_NAME_MAX + 16];
	size_t len;
	int err, status = EXIT_RUNTIME;

	if ((err = vmp_export_domain_xml(&old, uri, domain)) < 0) {
		cli_error("%s", vmp_error_last());
		return err == VMP_ENOTFOUND ? EXIT_USAGE : EXIT_RUNTIME;
	}
	/* The domain is named first; then whether the plan is for its host. */
	if ((status = cli_plan_host_check(plan, uri, force, true, "merge it")) >= 0)
		goto out;
	status = EXIT_RUNTIME;
	if (!(vm = pick_vm(plan, vm_name, domain))) {
		status = EXIT_USAGE;
		goto out;
	}
	snprintf(label, sizeof(label), "domain '%s'", domain);
	if (dry_run) {
		status = dry_merge(vm, old, label);
		goto out;
	}
	if ((err = vmp_export_libvirt_merge(&xml, &len, old, label, vm)) < 0) {
		cli_error("%s", vmp_error_last());
		status = cli_status(err);
		goto out;
	}
	/* The domain's XML as it was: a new backup generation, never overwritten. */
	if (dir && (status = backup_domain(dir, domain, old)) != 0)
		goto out;
	if (snprintf(file, sizeof(file), "%s.xml", domain) >= (int)sizeof(file)) {
		cli_error("cannot write the XML of domain '%s': name too long", domain);
		status = EXIT_USAGE;
		goto out;
	}
	status = write_or_print(dir, file, xml, len);
out:
	free(old);
	free(xml);
	return status;
}

static const char *const action_names[] = {"skipped", "created", "updated", "unchanged"};
/* The same outcomes as a dry run says them: what the real run will do. */
static const char *const dry_names[] = {"skipped", "would be created", "would be updated",
					"unchanged"};

/* What --live leaves to the next start of a running domain. */
static const char next_start[] = "memory placement (numatune, hugepages, memtune), cachetune, "
				 "memorytune and the rest of the definition take effect at its "
				 "next start";

/* "vCPU, emulator and I/O thread pins": the kinds of pin a result holds. */
static void pin_kinds(char *out, size_t size, const vmp_define_result *r)
{
	static const char *const names[] = {"vCPU", "emulator", "I/O thread"};
	static const vmp_define_pin_kind kinds[] = {VMP_PIN_VCPU, VMP_PIN_EMULATOR,
						    VMP_PIN_IOTHREAD};
	const char *have[3];
	int n = 0;

	for (int k = 0; k < 3; k++)
		for (int i = 0; i < r->npins; i++)
			if (r->pins[i].kind == kinds[k]) {
				have[n++] = names[k];
				break;
			}
	if (n == 3)
		snprintf(out, size, "%s, %s and %s pins", have[0], have[1], have[2]);
	else if (n == 2)
		snprintf(out, size, "%s and %s pins", have[0], have[1]);
	else
		snprintf(out, size, "%s pins", n ? have[0] : "no");
}

/* With --json and --live: whether the pins were applied, and which. */
static void live_event(json_t *e, const vmp_define_result *r)
{
	json_t *pins;

	json_object_set_new(e, "live", json_boolean(r->live));
	if (r->npins) {
		pins = json_array();
		for (int i = 0; i < r->npins; i++)
			json_array_append_new(
			    pins, json_pack("{s:s, s:s, s:b}", "pin", r->pins[i].what, "cpuset",
					    r->pins[i].cpuset, "applied", r->pins[i].applied));
		json_object_set_new(e, "live_pins", pins);
	}
	if (r->running)
		json_object_set_new(e, "at_next_start", json_string(next_start));
}

/* The text lines about a running domain after its "name: action" line; a dry run says the
 * same with "would be". */
static void print_running(const vmp_define_result *r, bool live, bool dry_run)
{
	char kinds[64];
	int applied = 0;

	if (live && r->npins) {
		while (applied < r->npins && r->pins[applied].applied)
			applied++;
		if (r->live || dry_run) {
			pin_kinds(kinds, sizeof(kinds), r);
			printf("  %s is running: %s %sapplied live; %s\n", r->name, kinds,
			       dry_run ? "would be " : "", next_start);
		} else {
			printf("  %s is running: %d of %d pins applied live, then %s failed (see "
			       "below); the new tuning takes effect at its next start\n",
			       r->name, applied, r->npins, r->pins[applied].what);
		}
		return;
	}
	if (r->action == VMP_DEFINE_UPDATED)
		printf("  %s is running: the new tuning %s effect when it next starts "
		       "(until then 'vmplan verify' reports the old pins)\n",
		       r->name, dry_run ? "would take" : "takes");
}

static int do_define(const vmp_plan *plan, const char *plan_path, const char *uri, const char *dir,
		     bool dry_run, bool live, const char *type)
{
	vmp_define_opts o = {.dry_run = dry_run, .backup_dir = dir, .type = type, .live = live};
	vmp_define_result *res = NULL;
	char plan_dir[PATH_MAX];
	int err;

	if (!dir) {
		snprintf(plan_dir, sizeof(plan_dir), "%s", plan_path);
		o.backup_dir = dirname(plan_dir);
	}
	err = vmp_define_plan(&res, plan, uri, &o);
	for (int i = 0; res && i < plan->nvms; i++) {
		const vmp_define_result *r = &res[i];
		if (events) {
			json_t *e;
			if (plan->vms[i].placed && r->action == VMP_DEFINE_SKIPPED)
				break;
			event(!plan->vms[i].placed ? "not placed"
			      : dry_run            ? "dry run"
						   : "defined",
			      r->name, "result",
			      !plan->vms[i].placed ? "skipped"
			      : dry_run            ? dry_names[r->action]
						   : action_names[r->action]);
			e = json_array_get(events, json_array_size(events) - 1);
			if (*r->backup && !dry_run)
				json_object_set_new(e, "backup", json_string(r->backup));
			if (dry_run && r->diff)
				json_object_set_new(e, "diff", json_string(r->diff));
			if (r->action == VMP_DEFINE_UPDATED ||
			    (live && r->action == VMP_DEFINE_UNCHANGED))
				json_object_set_new(e, "running", json_boolean(r->running));
			if (live && plan->vms[i].placed)
				live_event(e, r);
			continue;
		}
		if (!plan->vms[i].placed) {
			printf("%s: not placed, not defined\n", r->name);
			continue;
		}
		if (r->action == VMP_DEFINE_SKIPPED)
			break; /* an earlier VM failed, or this one was refused before any change */
		if (dry_run) {
			/* The real run's lines, each in the words of what it will do. */
			printf("%s: %s\n", r->name, dry_names[r->action]);
			if (r->running)
				print_running(r, live, true);
			for (int k = 0; live && k < r->npins; k++)
				printf("  would pin %s to CPUs %s live\n", r->pins[k].what,
				       r->pins[k].cpuset);
			if (r->diff && *r->diff)
				fputs(r->diff, stdout);
			continue;
		}
		printf("%s: %s", r->name, action_names[r->action]);
		if (*r->backup)
			printf(" (previous definition saved in %s)", r->backup);
		putchar('\n');
		if (r->running)
			print_running(r, live, false);
	}
	vmp_define_results_free(res, plan->nvms);
	if (err < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	return EXIT_PLACED;
}

/* export's options. */
typedef struct export_args {
	const char *format, *dir, *domxml, *uri, *domain, *vm_name, *define, *type;
	vmp_export_opts opts;
	bool dry_run, live, want_json, force;
} export_args;

/* Parse the options into a; -1 to go on, else the exit status. */
static int parse_args(export_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"out-dir", required_argument, NULL, OPT_OUTDIR},
	    {"domain-xml", required_argument, NULL, OPT_DOMXML},
	    {"connect", required_argument, NULL, 'c'},
	    {"domain", required_argument, NULL, OPT_DOMAIN},
	    {"vm", required_argument, NULL, OPT_VM},
	    {"define", required_argument, NULL, OPT_DEFINE},
	    {"dry-run", no_argument, NULL, OPT_DRY},
	    {"live", no_argument, NULL, OPT_LIVE},
	    {"type", required_argument, NULL, OPT_TYPE},
	    {"salt-state", required_argument, NULL, OPT_SALT},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"force", no_argument, NULL, OPT_FORCE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			a->format = optarg;
			break;
		case OPT_OUTDIR:
			a->dir = optarg;
			break;
		case OPT_DOMXML:
			a->domxml = optarg;
			break;
		case 'c':
			a->uri = optarg;
			break;
		case OPT_DOMAIN:
			a->domain = optarg;
			break;
		case OPT_VM:
			a->vm_name = optarg;
			break;
		case OPT_DEFINE:
			a->define = optarg;
			break;
		case OPT_DRY:
			a->dry_run = true;
			break;
		case OPT_LIVE:
			a->live = true;
			break;
		case OPT_TYPE:
			if (!cli_domain_type(&a->type, optarg))
				return EXIT_USAGE;
			break;
		case OPT_SALT: {
			static const cli_word states[] = {
			    {"defined", 0}, {"running", 1}, {NULL, 0}};
			int running;

			if (cli_parse_word(&running, "--salt-state", optarg, states) < 0)
				return EXIT_USAGE;
			a->opts.salt_running = running;
			break;
		}
		case OPT_JSON:
			a->want_json = true;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case 'h':
			fputs(export_usage, stdout);
			return EXIT_PLACED;
		default:
			return cli_option_error("export", c, argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		cli_error(optind >= argc ? "no plan given; see 'vmplan export --help'"
					 : "unexpected argument '%s'; see 'vmplan export --help'",
			  argv[argc - 1]);
		return EXIT_USAGE;
	}
	return -1;
}

/* Options that do not go together; -1 when they all do, else the exit status. */
static int check_args(const export_args *a)
{
	const char *why = NULL;

	if ((a->uri != NULL) != (a->domain != NULL))
		why = "--connect and --domain go together";
	else if ((a->domxml || a->domain) && strcmp(a->format, "libvirt")) {
		cli_error("merging into a domain writes libvirt XML; drop --format %s", a->format);
		return EXIT_USAGE;
	} else if (a->domxml && a->domain)
		why = "give --domain-xml or --connect/--domain, not both";
	else if (a->dry_run && !a->define && !a->domxml && !a->domain)
		why = "--dry-run goes with --define, --domain-xml or --connect/--domain";
	else if (a->force && !a->define && !a->domain)
		why = "--force goes with --define or --connect: it applies another host's plan";
	else if (a->live && !a->define)
		why = "--live goes with --define: it pins the running domains it defines";
	else if (a->define && (a->domxml || a->domain))
		why = "--define merges into the defined domains itself; drop --domain-xml "
		      "and --domain";
	if (why) {
		cli_error("%s", why);
		return EXIT_USAGE;
	}
	return -1;
}

/* For a file that is no plan: where it is a host.json, say so and how to make a plan. */
static const char *host_json_hint(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	json_t *root = NULL;
	bool host;

	/* Through the same checks as every input: a FIFO or a device is never opened here. */
	if (vmp_file_read(&text, &len, path, "plan") == VMP_OK)
		root = json_loadb(text, len, 0, NULL);
	free(text);
	host = root && json_object_get(root, "numa_nodes") && json_object_get(root, "pus") &&
	       !json_object_get(root, "vms");
	json_decref(root);
	return host ? " (this is a host.json, as 'vmplan probe -o' writes it; make a plan with "
		      "'vmplan suggest --host FILE --vm SPEC -o plan.json' and export that)"
		    : "";
}

/* A fleet plan (suggest --fleet -o): each host's part into DIR/HOST, or defined on its URI. */
static int export_fleet(const export_args *a, const vmp_exporter *ex, const vmp_fleet_plan *fp,
			const char *path)
{
	int status = EXIT_PLACED;

	if (a->domxml || a->domain || (a->define && strcmp(a->define, "fleet"))) {
		cli_error("'%s' is a fleet plan: export it whole, or define it on each host's own "
			  "URI with --define fleet",
			  path);
		return EXIT_USAGE;
	}
	if (a->define && (status = cli_fleet_define_check(fp, a->force)) >= 0)
		return status;
	status = EXIT_PLACED;
	for (int h = 0; h < fp->nhosts && status == EXIT_PLACED; h++) {
		const vmp_fleet_plan_host *fh = &fp->hosts[h];
		char dir[PATH_MAX];

		if (a->dir)
			snprintf(dir, sizeof(dir), "%s/%s", a->dir, fh->name);
		if (!a->define) {
			if (!a->dir && !a->want_json)
				printf("# host %s\n", fh->name);
			status = do_formats(fh->plan, ex, a->dir ? dir : NULL, &a->opts);
		} else {
			status = do_define(fh->plan, path, fh->uri, a->dir ? dir : NULL, a->dry_run,
					   a->live, a->type);
		}
	}
	return status;
}

static int exec_export(int argc, char **argv)
{
	export_args a = {.format = "libvirt"};
	const vmp_exporter *ex;
	vmp_plan *plan = NULL;
	vmp_fleet_plan *fleet_plan = NULL;
	int err, status;

	if ((status = parse_args(&a, argc, argv)) >= 0)
		return status;
	if (!(ex = vmp_exporter_find(a.format))) {
		cli_error("unknown --format '%s': use libvirt, salt or json", a.format);
		return EXIT_USAGE;
	}
	if ((status = check_args(&a)) >= 0)
		return status;
	if ((status = cli_fleet_plan_read(&fleet_plan, argv[optind])) != 0)
		return status;
	if (!fleet_plan && (err = vmp_plan_load_json(&plan, argv[optind])) < 0) {
		char why[1024];

		/* The hint reads the file again: the message is copied before that. */
		snprintf(why, sizeof(why), "%s", vmp_error_last());
		cli_error("%s%s", why, host_json_hint(argv[optind]));
		return cli_status(err);
	}
	a.opts.type = a.type;
	if (plan && a.define &&
	    (status = cli_plan_host_check(plan, a.define, a.force, true, "define it")) >= 0) {
		vmp_plan_free(plan);
		return status;
	}
	if (a.want_json)
		events = json_array();
	if (fleet_plan)
		status = export_fleet(&a, ex, fleet_plan, argv[optind]);
	else if (a.define)
		status = do_define(plan, argv[optind], a.define, a.dir, a.dry_run, a.live, a.type);
	else if (a.domxml)
		status = do_merge_file(plan, a.domxml, a.vm_name, a.dir, a.dry_run);
	else if (a.domain)
		status =
		    do_merge_domain(plan, a.uri, a.domain, a.vm_name, a.dir, a.force, a.dry_run);
	else
		status = do_formats(plan, ex, a.dir, &a.opts);
	vmp_fleet_plan_free(fleet_plan);
	if (a.define && !fleet_plan && status == EXIT_PLACED && !a.dry_run)
		status = cli_state_keep_defined(a.define, argv[optind], plan, events == NULL);
	vmp_plan_free(plan);
	if (events) {
		/* What was done before a failure is reported too; the status says it failed. */
		char *text = json_dumps(events, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(events);
		events = NULL;
	}
	return status;
}

const vmp_command cmd_export = {
    .name = "export",
    .summary = "write a plan as libvirt XML (new or merged), Salt state or JSON; define it",
    .usage = export_usage,
    .exec = exec_export,
};
