/* vmplan's entry point: the subcommand table, --help and --version. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/version.h"

static const vmp_command *const commands[] = {
    &cmd_probe,  &cmd_suggest, &cmd_export,   &cmd_verify,   &cmd_bench,     &cmd_report,
    &cmd_accept, &cmd_nightly, &cmd_hostprep, &cmd_profiles, &cmd_rebalance,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char exit_text[] =
    "Exit status:\n"
    "  0  success (suggest: every VM was placed)\n"
    "  1  runtime error (I/O, a library, the system)\n"
    "  2  bad usage or bad input (a spec, a size, a file's content)\n"
    "  3  the plan was made but at least one VM could not be placed\n"
    "  4  verify: a running domain differs from the plan\n"
    "  5  bench, suggest --validate: the plan did not pass the bench gate\n"
    "  6  bench --compare-last: a metric regressed beyond the threshold\n"
    "  (nightly: 4 drift, 5 gate, 6 regression; the worst wins, 4 over 6 over 5)\n";

/* Write TEXT with its control characters (ESC, CR, newline, DEL...) shown as \xNN, so that
 * a value quoted from the command line or a file cannot drive the terminal. */
void cli_put_sanitized(FILE *out, const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			fprintf(out, "\\x%02x", *c);
		else
			fputc(*c, out);
	}
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	fputs("vmplan: ", stderr);
	if (n >= 0) {
		cli_put_sanitized(stderr, text);
		free(text);
	} else {
		fputs("(cannot format the message)", stderr);
	}
	fputc('\n', stderr);
}

int cli_status(int err)
{
	switch (err) {
	case VMP_OK:
		return EXIT_PLACED;
	case VMP_EINVAL:
	case VMP_ENOTFOUND:
	case VMP_EUNSUPPORTED:
		return EXIT_USAGE;
	case VMP_EINFEASIBLE:
		return EXIT_UNPLACED;
	default:
		return EXIT_RUNTIME;
	}
}

const char *cli_colour(FILE *out, int colour)
{
	static const char *const codes[] = {"\033[0m", "\033[1m", "\033[31m", "\033[32m",
					    "\033[33m"};
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if ((no && *no) || !term || !strcmp(term, "dumb") || !isatty(fileno(out)))
		return "";
	return codes[colour];
}

int cli_option_error(const char *cmd, int c, const char *opt)
{
	if (c == ':')
		cli_error("option '%s' needs a value; see 'vmplan %s --help'", opt, cmd);
	else
		cli_error("unknown option '%s'; see 'vmplan %s --help'", opt, cmd);
	return EXIT_USAGE;
}

void cli_print_usage(const vmp_command *cmd, FILE *out)
{
	if (cmd->print_usage)
		cmd->print_usage(out);
	else
		fputs(cmd->usage, out);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vmplan [--help] [--version] <command> [<args>]\n\n"
		   "Plan and prove libvirt performance tuning: where each VM's vCPUs, emulator\n"
		   "thread and memory should go on a host, as libvirt domain XML.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f,
		"\n'vmplan help <command>' or 'vmplan <command> --help' shows a command's "
		"options.\n\n%s",
		exit_text);
}

static const vmp_command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static int run(int argc, char **argv)
{
	const vmp_command *cmd;

	/* hwloc's libpciaccess plugin is of no use to vmplan (the Linux backend reads PCI
	 * from sysfs), nor are its OpenCL and GL ones (GPU co-processor and display objects
	 * on top of PCI devices vmplan already sees); not loading them saves time, a leak at
	 * exit, and the dynamic TLS of the libraries they pull in, which makes LeakSanitizer's
	 * tracer crash at exit on a busy machine. A user's own setting wins. */
	setenv("HWLOC_PLUGINS_BLACKLIST", "hwloc_pci,hwloc_opencl,hwloc_gl", 0);

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vmplan %s\n", VMPLAN_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		if (!(cmd = find(argv[2]))) {
			cli_error("no such command '%s'; see 'vmplan --help'", argv[2]);
			return EXIT_USAGE;
		}
		cli_print_usage(cmd, stdout);
		printf("\n%s", exit_text);
		return 0;
	}
	if (!(cmd = find(argv[1]))) {
		cli_error("no such command '%s'; see 'vmplan --help'", argv[1]);
		return EXIT_USAGE;
	}
	return cmd->exec(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	vmp_file_guard_signals();
	int status = run(argc, argv);

	/* What was printed must have reached its file: 'vmplan export p.json > dom.xml' on a
	 * full disk is a runtime error, not a success with half a document. */
	bool flushed = fflush(stdout) == 0;
	if (!flushed || ferror(stdout)) {
		cli_error("cannot write to standard output: %s",
			  flushed ? "an earlier write failed" : strerror(errno));
		if (status == EXIT_PLACED || status == EXIT_UNPLACED)
			status = EXIT_RUNTIME;
	}
	return status;
}
