/* List the workload profiles, or show one as its file says it (comments included). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/profile.h"
#include "vmplan/request.h"

static const char profiles_usage[] =
    "usage: vmplan profiles [NAME]\n"
    "\n"
    "Without NAME, list the workload profiles a --vm SPEC or a mix can name with\n"
    "profile=NAME, each with the first line of its file's own description, and the\n"
    "directories searched. With NAME, print that profile's file: its comments say\n"
    "what it is for, its keys what it sets (any key of 'vmplan suggest --help').\n"
    "\n"
    "Profiles are NAME.yaml files in each directory of VMPLAN_PROFILE_DIR (colon-\n"
    "separated), the source tree's profiles/ and the installed\n"
    "share/vmplan/profiles, the first of a name winning.\n"
    "\n"
    "Examples:\n"
    "  vmplan profiles\n"
    "  vmplan profiles database\n"
    "\n"
    "Options:\n"
    "  -h, --help           show this help\n";

/* The file of profile name in the first directory that has it, into path. */
static bool profile_path(char *path, size_t size, const char *name)
{
	const char *const *dirs = vmp_profile_dirs();

	for (int i = 0; dirs[i]; i++) {
		snprintf(path, size, "%s/%s.yaml", dirs[i], name);
		if (access(path, R_OK) == 0)
			return true;
	}
	return false;
}

/* The first line of the file's leading comment, without "# " and "NAME: ". */
static void description(char *out, size_t size, const char *text, const char *name)
{
	size_t len = strlen(name);
	const char *s;

	out[0] = '\0';
	if (text[0] != '#')
		return;
	s = text + 1 + (text[1] == ' ');
	if (!strncmp(s, name, len) && s[len] == ':')
		s += len + 1 + (s[len + 1] == ' ');
	snprintf(out, size, "%.*s", (int)strcspn(s, "\n"), s);
}

static int list_profiles(void)
{
	const char *const *dirs = vmp_profile_dirs();
	char **names = NULL, path[4096], line[256];
	size_t n = 0;
	int err;

	if ((err = vmp_profile_list(&names, &n)) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	for (size_t i = 0; i < n; i++) {
		char *text = NULL;
		size_t len = 0;
		line[0] = '\0';
		if (profile_path(path, sizeof(path), names[i]) &&
		    vmp_file_read(&text, &len, path, "profile") == VMP_OK)
			description(line, sizeof(line), text, names[i]);
		free(text);
		printf("  %-18s %s\n", names[i], line);
	}
	printf("\n%zu profile%s; searched", n, n == 1 ? "" : "s");
	for (int i = 0; dirs[i]; i++)
		printf("%s %s", i ? "," : "", dirs[i]);
	printf("\n'vmplan profiles NAME' shows one.\n");
	vmp_profile_list_free(names, n);
	return 0;
}

static int show_profile(const char *name)
{
	char path[4096], *text = NULL;
	size_t len = 0;
	int err;

	if (!profile_path(path, sizeof(path), name)) {
		vmp_vm_request r = {0};
		/* The loader's message: the nearest name, or the directories searched. */
		err = vmp_profile_apply(&r, name);
		cli_error("%s", err < 0 ? vmp_error_last() : "unknown profile");
		return EXIT_USAGE;
	}
	if ((err = vmp_file_read(&text, &len, path, "profile")) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	printf("# %s\n", path);
	fwrite(text, 1, len, stdout);
	free(text);
	return 0;
}

static int exec_profiles(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(profiles_usage, stdout);
		return 0;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		cli_error("%s '%s'; see 'vmplan profiles --help'",
			  argc > 2 ? "unexpected argument" : "unknown option",
			  argv[argc > 2 ? 2 : 1]);
		return EXIT_USAGE;
	}
	return argc == 2 ? show_profile(argv[1]) : list_profiles();
}

const vmp_command cmd_profiles = {
    .name = "profiles",
    .summary = "list the workload profiles, or show one with its comments",
    .usage = profiles_usage,
    .exec = exec_profiles,
};
