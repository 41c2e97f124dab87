/* Command-line helpers that several subcommands share (cli/args.c). */
#ifndef VMPLAN_CLI_ARGS_H
#define VMPLAN_CLI_ARGS_H

#include <getopt.h>
#include <stdbool.h>

#include "vmplan/bench.h"

/* A whole number from lo to hi for option opt into *out; 0, or -1 after a message. */
int cli_parse_int(int *out, const char *arg, const char *opt, int lo, int hi);

/* A number from lo to hi for option opt into *out; 0, or -1 after a message. */
int cli_parse_double(double *out, const char *arg, const char *opt, double lo, double hi);

/* One word of a closed set and the value it stands for; a table of them ends with {NULL}. */
typedef struct cli_word {
	const char *word;
	int value;
} cli_word;

/* arg, one of table's words, as its value into *out; 0, or -1 after a message naming option opt
 * and every word ("bad --engine 'x': use host or guest"). */
int cli_parse_word(int *out, const char *opt, const char *arg, const cli_word *table);

/* --type kvm|qemu into *out (arg itself, borrowed); false after a message for another value. */
bool cli_domain_type(const char **out, const char *arg);

/* argv[first] and on are left over: false after saying so, naming cmd's --help. */
bool cli_no_more_args(const char *cmd, int argc, char **argv, int first);

/* Before a subcommand reads its options with getopt_long(): from the first argument, no
 * message of getopt's own, and *status EXIT_USAGE for the option that ends the command. */
void cli_getopt_start(int *status);

/* One of the bench engine's options (OPT_ENGINE ... OPT_GUEST_CONNECT) into o, through
 * cli_bench_engine_option(); 1 taken, 0 for another option, -1 after a message. */
int cli_bench_engine_take(vmp_bench_options *o, int c, const char *arg);

/* The options of a bench run and its history that bench and nightly share. */
enum {
	OPT_RUN_WORKLOAD = 0x3100,
	OPT_RUN_REPS,
	OPT_RUN_SECONDS,
	OPT_RUN_COMPARE,
	OPT_RUN_THRESHOLD
};
/* clang-format off */
#define CLI_RUN_LONGOPTS                                                                   \
	{"workload", required_argument, NULL, OPT_RUN_WORKLOAD},                           \
	{"reps", required_argument, NULL, OPT_RUN_REPS},                                   \
	{"seconds", required_argument, NULL, OPT_RUN_SECONDS},                             \
	{"compare-last", required_argument, NULL, OPT_RUN_COMPARE},                        \
	{"threshold", required_argument, NULL, OPT_RUN_THRESHOLD}
/* clang-format on */

/* One of CLI_RUN_LONGOPTS: --workload, --reps and --seconds into o, --compare-last into
 * *compare_last, --threshold into *threshold; 1 taken, 0 for another option, -1 after a
 * message. */
int cli_bench_run_take(vmp_bench_options *o, int *compare_last, double *threshold, int c,
		       const char *arg);

/* Say vmp_error_last() and return err's exit status (cli_status()). */
int cli_fail(int err);

/* Write text to path whole (vmp_file_write_atomic()); VMP_OK, or the error after a message. */
int cli_write_text(const char *path, const char *text);

/* The guest program, vmplan-guest, is installed beside vmplan: tell the bench where. */
void cli_bench_find_self(vmp_bench_options *o);

#endif
