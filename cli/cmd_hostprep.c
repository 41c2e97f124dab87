/* Prepare a host for a plan: files to review, Salt states, and the runtime part with undo. */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/hostprep.h"
#include "vmplan/identity.h"
#include "vmplan/plan_json.h"

static const char hostprep_usage[] =
    "usage: vmplan hostprep plan.json [-o DIR] [--apply [--dry-run]] [--force]\n"
    "                       [--host host.json | --fsroot DIR] [--root DIR]\n"
    "       vmplan hostprep --undo FILE\n"
    "\n"
    "The host preparation a plan assumes: the kernel command line (isolcpus,\n"
    "nohz_full, rcu_nocbs, irqaffinity, per-node hugepages), tuned's cpu-partitioning\n"
    "variables, irqbalance's banned CPUs, systemd AllowedCPUs for the system and user\n"
    "slices, and a Salt state installing them; printed, or written into DIR. The\n"
    "dedicated vCPUs' CPUs are isolated; the CPUs no VM uses do the housekeeping.\n"
    "\n"
    "  -o, --out-dir DIR    write the files into DIR (atomically) instead of printing\n"
    "  --apply              do the runtime part now: per-node hugepage pools the plan\n"
    "                       lacks (sysfs), the slices' cgroup cpuset.cpus, the IRQs of\n"
    "                       the host's PCI devices to housekeeping CPUs on the device's\n"
    "                       node (/proc/irq), the resctrl default group shrunk to the\n"
    "                       longest run of the L3 ways no VM is given where the plan\n"
    "                       takes some of its ways (suggest says which), else kept as\n"
    "                       it is; each change is listed (old -> new) first\n"
    "                       and the old values saved for --undo in DIR/hostprep-undo.json\n"
    "                       (default: next to plan.json). The kernel command line needs a\n"
    "                       reboot: it is said, never done\n"
    "  --dry-run            with --apply: list the changes, make none\n"
    "  --undo FILE          write back the old values a previous --apply saved\n"
    "  --force              prepare for a plan made for another host\n"
    "  --host, --fsroot     the host (default: the live host)\n"
    "  --root DIR           the tree whose /sys and /proc --apply reads and writes\n"
    "                       (default: --fsroot's DIR, else /): a fake tree for tests\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status 0 when done, 2 on bad usage or a plan for another host, 1 when a\n"
    "change is refused (the changes before it stay; --undo restores them).\n";

enum { OPT_APPLY = 0x4000, OPT_DRY, OPT_UNDO, OPT_FORCE, OPT_ROOT };

typedef struct hostprep_args {
	const char *dir, *undo, *root;
	cli_host_opts host;
	bool apply, dry_run, force;
} hostprep_args;

static int write_files(const vmp_hostprep *hp, const char *dir)
{
	char path[PATH_MAX];
	int err;

	for (int i = 0; i < hp->nfiles; i++) {
		const vmp_hostprep_file *f = &hp->files[i];

		if (!dir) {
			printf("==> %s%s%s <==\n%s\n", f->name, *f->dest ? " -> " : "", f->dest,
			       f->content);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, f->name);
		if ((err = vmp_mkdir_p(dir)) < 0 ||
		    (err = vmp_file_write_atomic(path, f->content, strlen(f->content))) < 0) {
			cli_error("%s", vmp_error_last());
			return cli_status(err);
		}
		printf("wrote %s\n", path);
	}
	return EXIT_PLACED;
}

static int save_undo(const vmp_hostprep *hp, const char *path)
{
	json_t *root = json_object(), *a = json_array();
	char *text;
	int err;

	if (access(path, F_OK) == 0) {
		json_decref(root);
		json_decref(a);
		cli_error("'%s' holds the old values of an earlier --apply: restore them with "
			  "--undo %s (or move it away) first",
			  path, path);
		return EXIT_USAGE;
	}
	for (int i = 0; i < hp->nwrites; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "path", hp->writes[i].path,
						   "value", hp->writes[i].old, "what",
						   hp->writes[i].what));
	json_object_set_new(root, "writes", a);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text) {
		cli_error("out of memory");
		return EXIT_RUNTIME;
	}
	err = vmp_file_write_atomic(path, text, strlen(text));
	free(text);
	if (err < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	printf("old values saved in %s (vmplan hostprep --undo %s)\n", path, path);
	return EXIT_PLACED;
}

static int apply(vmp_hostprep *hp, const char *undo_path, bool dry_run)
{
	int err, status, changed = 0;

	if ((err = vmp_hostprep_read_old(hp)) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	for (int i = 0; i < hp->nwrites; i++) {
		const vmp_hostprep_write *w = &hp->writes[i];
		bool same = !strcmp(w->old, w->value);

		changed += !same;
		printf("%s %s: %s -> %s (%s)\n",
		       same      ? "unchanged"
		       : dry_run ? "would set"
				 : "set",
		       w->path, w->old, w->value, w->what);
	}
	if (hp->nmissing)
		printf("left out: %d change%s whose file this host does not have (no such cgroup, "
		       "pool or IRQ)\n",
		       hp->nmissing, hp->nmissing == 1 ? "" : "s");
	printf("needs a reboot: %s\n", hp->reboot);
	if (dry_run || !changed)
		return EXIT_PLACED;
	if ((status = save_undo(hp, undo_path)) != EXIT_PLACED)
		return status;
	for (int i = 0; i < hp->nwrites; i++) {
		const vmp_hostprep_write *w = &hp->writes[i];

		if (!strcmp(w->old, w->value) ||
		    (err = vmp_hostprep_write_value(w->path, w->value)) == VMP_OK)
			continue;
		/* The kernel keeps a managed IRQ's affinity (isolcpus=managed_irq at boot). */
		if (!strncmp(w->what, "irq ", 4)) {
			fprintf(stderr, "vmplan: warning: %s: left as it is\n", vmp_error_last());
			continue;
		}
		cli_error("%s; the changes before it stay: vmplan hostprep --undo %s",
			  vmp_error_last(), undo_path);
		return EXIT_RUNTIME;
	}
	return EXIT_PLACED;
}

static int undo(const char *path)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *a, *e;
	size_t i;
	int status = EXIT_PLACED;

	if (!root) {
		cli_error("cannot load undo file '%s': %s", path, jerr.text);
		return EXIT_USAGE;
	}
	a = json_object_get(root, "writes");
	json_array_foreach(a, i, e)
	{
		const char *p = json_string_value(json_object_get(e, "path"));
		const char *v = json_string_value(json_object_get(e, "value"));
		if (!p || !v) {
			cli_error("cannot load undo file '%s': writes[%zu] lacks a path or value",
				  path, i);
			status = EXIT_USAGE;
			break;
		}
		char now[256];
		/* What never changed (or was refused at --apply) needs no write back. */
		if (vmp_hostprep_read_value(now, sizeof(now), p) == VMP_OK && !strcmp(now, v)) {
			printf("unchanged %s: %s\n", p, v);
			continue;
		}
		if (vmp_hostprep_write_value(p, v) < 0) {
			cli_error("%s", vmp_error_last());
			status = EXIT_RUNTIME;
			continue;
		}
		printf("restored %s: %s\n", p, v);
	}
	if (!json_is_array(a)) {
		cli_error("cannot load undo file '%s': no \"writes\" list", path);
		status = EXIT_USAGE;
	}
	json_decref(root);
	return status;
}

/* Parse the options; -1 to go on, else the exit status. */
static int parse_args(hostprep_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"out-dir", required_argument, NULL, 'o'},
	    {"apply", no_argument, NULL, OPT_APPLY},
	    {"dry-run", no_argument, NULL, OPT_DRY},
	    {"undo", required_argument, NULL, OPT_UNDO},
	    {"force", no_argument, NULL, OPT_FORCE},
	    {"root", required_argument, NULL, OPT_ROOT},
	    {"help", no_argument, NULL, 'h'},
	    CLI_HOST_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		if (cli_host_option(&a->host, c, optarg))
			continue;
		switch (c) {
		case 'o':
			a->dir = optarg;
			break;
		case OPT_APPLY:
			a->apply = true;
			break;
		case OPT_DRY:
			a->dry_run = true;
			break;
		case OPT_UNDO:
			a->undo = optarg;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case OPT_ROOT:
			a->root = optarg;
			break;
		case 'h':
			fputs(hostprep_usage, stdout);
			return EXIT_PLACED;
		default:
			return cli_option_error("hostprep", c, argv[optind - 1]);
		}
	}
	if (a->dry_run && !a->apply) {
		cli_error("--dry-run goes with --apply");
		return EXIT_USAGE;
	}
	if (!a->undo && optind != argc - 1) {
		cli_error(optind >= argc ? "no plan given; see 'vmplan hostprep --help'"
					 : "unexpected argument '%s'; see 'vmplan hostprep --help'",
			  argv[argc - 1]);
		return EXIT_USAGE;
	}
	return -1;
}

static int same_host(const vmp_plan *plan, const vmp_host *host, bool force)
{
	vmp_plan_host_result r;

	vmp_plan_host_check(&r, plan, host, false);
	if (!r.same_host && !force) {
		cli_error("the plan is for host '%s', not '%s': %s; re-plan on this host, or "
			  "prepare it with --force",
			  plan->hostname, host->hostname, r.differs);
		return EXIT_USAGE;
	}
	return -1;
}

static int exec_hostprep(int argc, char **argv)
{
	hostprep_args a = {0};
	vmp_plan *plan = NULL;
	vmp_host *host = NULL;
	vmp_hostprep *hp = NULL;
	char undo_path[PATH_MAX], plan_dir[PATH_MAX];
	int err, status;

	if ((status = parse_args(&a, argc, argv)) >= 0)
		return status;
	if (a.undo)
		return undo(a.undo);
	if ((err = vmp_plan_load_json(&plan, argv[optind])) < 0 ||
	    (err = cli_load_host(&host, &a.host)) < 0) {
		cli_error("%s", vmp_error_last());
		status = cli_status(err);
		goto out;
	}
	if ((status = same_host(plan, host, a.force)) >= 0)
		goto out;
	if ((err = vmp_hostprep_make(&hp, plan, host,
				     a.root          ? a.root
				     : a.host.fsroot ? a.host.fsroot
						     : "/")) < 0) {
		cli_error("%s", vmp_error_last());
		status = err == VMP_EINFEASIBLE ? EXIT_USAGE : cli_status(err);
		goto out;
	}
	status = EXIT_PLACED;
	if (!a.apply || a.dir)
		status = write_files(hp, a.dir);
	if (a.apply && status == EXIT_PLACED) {
		snprintf(plan_dir, sizeof(plan_dir), "%s", argv[optind]);
		snprintf(undo_path, sizeof(undo_path), "%s/hostprep-undo.json",
			 a.dir ? a.dir : dirname(plan_dir));
		status = apply(hp, undo_path, a.dry_run);
	}
out:
	vmp_hostprep_free(hp);
	vmp_host_free(host);
	vmp_plan_free(plan);
	return status;
}

const vmp_command cmd_hostprep = {
    .name = "hostprep",
    .summary = "the host preparation a plan assumes: files, Salt states, runtime apply/undo",
    .usage = hostprep_usage,
    .exec = exec_hostprep,
};
