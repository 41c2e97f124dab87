/* Command-line helpers that several subcommands share: numbers, --type, leftovers, files. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"

int cli_parse_int(int *out, const char *arg, const char *opt, int lo, int hi)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (!*arg || *end || v < lo || v > hi) {
		cli_error("bad %s '%s': expected a whole number from %d to %d", opt, arg, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int cli_parse_double(double *out, const char *arg, const char *opt, double lo, double hi)
{
	char *end;
	double v = strtod(arg, &end);

	if (!*arg || *end || !(v >= lo && v <= hi)) {
		cli_error("bad %s '%s': expected a number from %g to %g", opt, arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_word(int *out, const char *opt, const char *arg, const cli_word *table)
{
	char words[256] = "";
	size_t len = 0;
	int n = 0;

	for (const cli_word *w = table; w->word; w++, n++)
		if (!strcmp(arg, w->word)) {
			*out = w->value;
			return 0;
		}
	for (int i = 0; i < n && len < sizeof(words); i++)
		len += (size_t)snprintf(words + len, sizeof(words) - len, "%s%s",
					i == 0       ? ""
					: i == n - 1 ? " or "
						     : ", ",
					table[i].word);
	cli_error("bad %s '%s': use %s", opt, arg, words);
	return -1;
}

bool cli_domain_type(const char **out, const char *arg)
{
	static const cli_word types[] = {{"kvm", 0}, {"qemu", 1}, {NULL, 0}};
	int ignored;

	if (cli_parse_word(&ignored, "--type", arg, types) < 0)
		return false;
	*out = arg;
	return true;
}

bool cli_no_more_args(const char *cmd, int argc, char **argv, int first)
{
	if (first < argc) {
		cli_error("unexpected argument '%s'; see 'vmplan %s --help'", argv[first], cmd);
		return false;
	}
	return true;
}

void cli_getopt_start(int *status)
{
	*status = EXIT_USAGE;
	optind = 1;
	opterr = 0;
}

int cli_bench_engine_take(vmp_bench_options *o, int c, const char *arg)
{
	if (c < OPT_ENGINE || c > OPT_GUEST_CONNECT)
		return 0;
	return cli_bench_engine_option(o, c, arg) < 0 ? -1 : 1;
}

/* The value of one of CLI_RUN_LONGOPTS; 0, or -1 after a message. */
static int run_option(vmp_bench_options *o, int *compare_last, double *threshold, int c,
		      const char *arg)
{
	switch (c) {
	case OPT_RUN_WORKLOAD:
		if (vmp_bench_workloads_parse(o, arg) < 0) {
			cli_error("bad --workload: %s", vmp_error_last());
			return -1;
		}
		return 0;
	case OPT_RUN_REPS:
		return cli_parse_int(&o->reps, arg, "--reps", 1, 1000);
	case OPT_RUN_SECONDS:
		return cli_parse_double(&o->seconds, arg, "--seconds", 0.001, 3600);
	case OPT_RUN_COMPARE:
		return cli_parse_int(compare_last, arg, "--compare-last", 1, 100000);
	default:
		return cli_parse_double(threshold, arg, "--threshold", 0, 1000);
	}
}

int cli_bench_run_take(vmp_bench_options *o, int *compare_last, double *threshold, int c,
		       const char *arg)
{
	if (c < OPT_RUN_WORKLOAD || c > OPT_RUN_THRESHOLD)
		return 0;
	return run_option(o, compare_last, threshold, c, arg) < 0 ? -1 : 1;
}

int cli_fail(int err)
{
	cli_error("%s", vmp_error_last());
	return cli_status(err);
}

int cli_write_text(const char *path, const char *text)
{
	int err = vmp_file_write_atomic(path, text, strlen(text));

	if (err < 0)
		cli_error("%s", vmp_error_last());
	return err;
}

void cli_bench_find_self(vmp_bench_options *o)
{
	static char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len > 0) {
		self[len] = '\0';
		o->guest_argv0 = self;
	}
}
