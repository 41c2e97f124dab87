/* The subcommand table and the helpers shared by the cmd_*.c files. */
#ifndef VMPLAN_CLI_H
#define VMPLAN_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "vmplan/model.h"

/* Exit statuses; documented in --help and the README. */
enum {
	EXIT_PLACED = 0,     /* success; every VM placed */
	EXIT_RUNTIME = 1,    /* a runtime error: I/O, a library, the system */
	EXIT_USAGE = 2,      /* bad usage or bad input */
	EXIT_UNPLACED = 3,   /* the plan was made but some VM could not be placed */
	EXIT_MISMATCH = 4,   /* verify: a running domain differs from the plan */
	EXIT_VALIDATION = 5, /* bench, suggest --validate: the plan did not pass the gate */
	EXIT_REGRESSION = 6  /* bench --compare-last: a metric fell beyond the threshold */
};

typedef struct vmp_command {
	const char *name;
	const char *summary;            /* one line for the command list */
	const char *usage;              /* the full help text */
	void (*print_usage)(FILE *out); /* or a function that prints it, when it is built */
	int (*exec)(int argc, char **argv);
} vmp_command;

extern const vmp_command cmd_suggest;
extern const vmp_command cmd_probe;
extern const vmp_command cmd_export;
extern const vmp_command cmd_verify;
extern const vmp_command cmd_bench;
extern const vmp_command cmd_report;
extern const vmp_command cmd_accept;
extern const vmp_command cmd_nightly;
extern const vmp_command cmd_hostprep;
extern const vmp_command cmd_profiles;
extern const vmp_command cmd_rebalance;

/* Terminal colours: only on a terminal, and never when NO_COLOR is set (no-color.org). */
enum { CLI_RESET, CLI_BOLD, CLI_RED, CLI_GREEN, CLI_YELLOW };
/* The escape sequence for colour on out, or "" when out gets no colour. */
const char *cli_colour(FILE *out, int colour);

struct vmp_bench_run;
/* Print a bench run as a table per VM and metric (cmd_bench.c). */
void cli_bench_print(const struct vmp_bench_run *run);
/* Print the gate's verdict with the numbers of every failure; true when it passes. */
bool cli_bench_print_gate(const struct vmp_bench_run *run);

/* The bench engine's options, taken by bench and by suggest --validate. */
enum {
	OPT_ENGINE = 0x3000,
	OPT_GUEST_ACCEL,
	OPT_GUEST_KERNEL,
	OPT_GUEST_MEMORY,
	OPT_GUEST_TIMEOUT,
	OPT_GUEST_CONNECT
};
/* clang-format off */
#define CLI_ENGINE_LONGOPTS                                                                \
	{"engine", required_argument, NULL, OPT_ENGINE},                                   \
	{"guest-accel", required_argument, NULL, OPT_GUEST_ACCEL},                         \
	{"guest-kernel", required_argument, NULL, OPT_GUEST_KERNEL},                       \
	{"guest-memory", required_argument, NULL, OPT_GUEST_MEMORY},                       \
	{"guest-timeout", required_argument, NULL, OPT_GUEST_TIMEOUT}
/* clang-format on */

/* Take one OPT_ENGINE ... OPT_GUEST_CONNECT option into o; 0, or -1 after a message when
 * its value is bad. */
struct vmp_bench_options;
int cli_bench_engine_option(struct vmp_bench_options *o, int c, const char *arg);

/*
 * Report a getopt_long error for command cmd: c is ':' (the option lacks its
 * value) or anything else (an unknown option); opt is the option as typed.
 * Returns EXIT_USAGE.
 */
int cli_option_error(const char *cmd, int c, const char *opt);

/* Print a command's help text. */
void cli_print_usage(const vmp_command *cmd, FILE *out);

/* Print "vmplan: <message>" on stderr, control characters shown as \xNN. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write TEXT to OUT with its control characters shown as \xNN. */
void cli_put_sanitized(FILE *out, const char *text);
/* The exit status for a negative vmp error code. */
int cli_status(int err);

/* Where a command's host model comes from: at most one is set; none is the live host. */
typedef struct cli_host_opts {
	const char *host_json; /* --host host.json */
	const char *topology;  /* --topology FILE.xml */
	const char *synthetic; /* --synthetic DESC */
	const char *fsroot;    /* --fsroot DIR */
	const char *connect;   /* --connect URI */
} cli_host_opts;

/* getopt_long codes of the host options, for the commands' option tables. */
enum { OPT_HOST = 0x1000, OPT_TOPOLOGY, OPT_SYNTHETIC, OPT_FSROOT, OPT_CONNECT };
/* clang-format off: clang-format 14 would indent the initialisers after the first */
#define CLI_HOST_LONGOPTS                                                                          \
	{"host", required_argument, NULL, OPT_HOST},                                               \
	    {"topology", required_argument, NULL, OPT_TOPOLOGY},                                   \
	    {"synthetic", required_argument, NULL, OPT_SYNTHETIC},                                 \
	    {"fsroot", required_argument, NULL, OPT_FSROOT},                                       \
	{                                                                                          \
		"connect", required_argument, NULL, OPT_CONNECT                                    \
	}
/* clang-format on */

/* Append the VM of a --vm SPEC to *reqs (*nreqs of them); 0, or the exit status after
 * saying why. */
int cli_vms_add_spec(vmp_vm_request **reqs, size_t *nreqs, const char *spec);

/* Append the VMs of a mix.yaml to *reqs; 0, or the exit status after saying why. */
int cli_vms_add_mix(vmp_vm_request **reqs, size_t *nreqs, const char *path);

/* Take one host option from getopt; returns 1 when c was one, 0 otherwise. */
int cli_host_option(cli_host_opts *o, int c, const char *arg);

/*
 * Load the host from the one source the options name, or probe the live
 * host when none is named. Two sources is an error (VMP_EINVAL).
 */
int cli_load_host(vmp_host **out, const cli_host_opts *o);

/* The plan a command takes: given, else the kept plan of the state directory (state_dir, else
 * $VMPLAN_STATE_DIR, else /var/lib/vmplan) into out; 0, or the exit status after saying
 * why when none is given and none is kept (cmd_accept.c). */
int cli_state_plan(char *out, size_t size, const char *given, const char *state_dir);

/* Keep the plan read from plan_path (made for host) in the state directory dir and say so;
 * 0, or the exit status after saying why (cmd_accept.c). */
int cli_state_keep(const char *dir, const char *plan_path, const vmp_plan *plan,
		   const vmp_host *host, bool verbose);

/* After 'export --define URI' of plan_path: keep it when URI is this host's (qemu:///system,
 * qemu:///session) and the plan was made for this host, else say why not; 0, or the exit
 * status after saying why; verbose: say what was kept (cmd_accept.c). */
int cli_state_keep_defined(const char *uri, const char *plan_path, const vmp_plan *plan,
			   bool verbose);
/*
 * Before a plan is applied through uri (define, a merge from a domain, verify): probe the
 * host behind it (the live host for a local QEMU URI, libvirt's capabilities otherwise) and
 * compare it with the plan's (vmplan/identity.h). Another machine is refused unless force;
 * a pin to a CPU the host lacks is refused always; with free_too, the free resources the
 * plan needs and the host lacks are named with their fix, as a warning. Messages go to
 * stderr; `what` ("define", "verify") words them. Returns -1 to go on, else the exit status.
 */
int cli_plan_host_check(const vmp_plan *plan, const char *uri, bool force, bool free_too,
			const char *what);

/* suggest --fleet (cli/fleet.c): what the command line asks of a fleet plan. */
enum { OPT_FLEET = 0x1600, OPT_FLEET_POLICY };
#define CLI_FLEET_LONGOPTS                                                                         \
	{"fleet", required_argument, NULL, OPT_FLEET},                                             \
	{                                                                                          \
		"fleet-policy", required_argument, NULL, OPT_FLEET_POLICY                          \
	}
typedef struct cli_fleet_args {
	const char *fleet, *policy, *output, *xml_dir, *reserve, *type;
	const vmp_vm_request *reqs;
	size_t nreqs;
	bool given, explain, json_out, print_xml;
	double time_limit_s; /* as vmp_plan_options */
} cli_fleet_args;
/* Plan the VMs across the fleet and print or write the fleet plan; the exit status. */
int cli_suggest_fleet(const cli_fleet_args *a);
/* Load fleet.yaml and probe its hosts (progress on a terminal); hosts that are down are
 * named. 0 or the exit status. */
struct vmp_fleet;
int cli_fleet_load(struct vmp_fleet **out, const char *path);
/* A fleet plan.json into *out (export reads it back); *out NULL and 0 for any other file (the
 * caller reads it as one host's plan); else the exit status, after saying why. */
struct vmp_fleet_plan;
int cli_fleet_plan_read(struct vmp_fleet_plan **out, const char *path);
/* Before export --define fleet changes anything: every host has a URI and is the machine its
 * part was planned on (cli_plan_host_check(); force as --force). -1 to go on, else the exit
 * status after saying why. */
int cli_fleet_define_check(const struct vmp_fleet_plan *fp, bool force);

/* suggest --migrate VM --to URI (cli/migrate.c). */
enum { OPT_MIGRATE = 0x1700, OPT_MIGRATE_TO };
#define CLI_MIGRATE_LONGOPTS                                                                       \
	{"migrate", required_argument, NULL, OPT_MIGRATE},                                         \
	{                                                                                          \
		"to", required_argument, NULL, OPT_MIGRATE_TO                                      \
	}
typedef struct cli_migrate_args {
	const char *vm, *from, *to; /* the domain, its host (NULL: qemu:///system), where to */
	const char *output, *xml_dir, *reserve;
	const struct vmp_plan_options *opts;
	bool json_out, print_xml;
	int explain;
	/* suggest's own printing of a plan */
	void (*print)(FILE *out, const vmp_plan *plan, const vmp_host *host, int explain);
} cli_migrate_args;
/* Plan a running VM's pins on the destination and write its destination XML; exit status. */
int cli_suggest_migrate(const cli_migrate_args *a);

/* A progress line on stderr, "PREFIX  42% WHAT": rewritten in place where it fits the
 * terminal's width, else printed whole on a line of its own; a newline after the last. */
void cli_progress(const char *prefix, const char *what, double fraction);

#endif
