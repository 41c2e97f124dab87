/* rebalance (cli/cmd_rebalance.c): the command line, and its output (cli/rebalance_out.c). */
#ifndef VMPLAN_CLI_CMD_REBALANCE_H
#define VMPLAN_CLI_CMD_REBALANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "vmplan/fleet.h"
#include "vmplan/rebalance.h"

typedef struct rebalance_args {
	const char *fleet, *reserve, *output, *xml_dir, *type;
	vmp_vm_request *reqs; /* --make-room */
	size_t nreqs;
	int max_moves;
	bool json_out;
} rebalance_args;

/* The steps numbered, one line each, then where the new VMs fit or what was freed. */
void cli_rebalance_print(const vmp_rebalance *rb, const vmp_fleet *fleet, int max_moves);

/*
 * The steps document: {"schema", "kind": "rebalance", "done", "max_moves", "memory_moved_bytes",
 * "steps": [{"step", "action": "repin"|"migrate", "vm", "memory_bytes", "from": {"host", "uri",
 * "cpus", "nodes"}, "to": {"host", "uri", "cpus", "nodes", "vcpupin", "emulatorpin", "cells"},
 * "after", "temporary", "xml"}], "fits": [...], "free_hosts", "free_nodes", "why"}; xmls[i] is
 * step i's destination XML or NULL. 0, or the exit status after saying why.
 */
int cli_rebalance_json(char **out, const vmp_rebalance *rb, const vmp_fleet *fleet, int max_moves,
		       char *const *xmls);

#endif
