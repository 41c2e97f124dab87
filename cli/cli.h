/* The subcommand table and the helpers shared by the cmd_*.c files. */
#ifndef VMPLAN_CLI_H
#define VMPLAN_CLI_H

#include "vmplan/model.h"

/* Exit statuses; documented in --help and the README. */
enum {
	EXIT_PLACED = 0,   /* success; every VM placed */
	EXIT_RUNTIME = 1,  /* a runtime error: I/O, a library, the system */
	EXIT_USAGE = 2,    /* bad usage or bad input */
	EXIT_UNPLACED = 3  /* the plan was made but some VM could not be placed */
};

typedef struct vmp_command {
	const char *name;
	const char *summary; /* one line for the command list */
	const char *usage;   /* the full help text */
	int (*exec)(int argc, char **argv);
} vmp_command;

extern const vmp_command cmd_suggest;

/* Print "vmplan: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The exit status for a negative vmp error code. */
int cli_status(int err);

/*
 * Load the host from the one source the options name (topology file,
 * synthetic description, or the live host when both are NULL).
 */
int cli_load_host(vmp_host **out, const char *topology, const char *synthetic);

#endif
