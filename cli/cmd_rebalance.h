/* rebalance (cli/cmd_rebalance.c): the command line, and its output (cli/rebalance_out.c). */
#ifndef VMPLAN_CLI_CMD_REBALANCE_H
#define VMPLAN_CLI_CMD_REBALANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "vmplan/fleet.h"
#include "vmplan/rebalance.h"

typedef struct rebalance_args {
	const char *fleet, *reserve, *output, *xml_dir, *type;
	vmp_vm_request *reqs; /* --make-room */
	size_t nreqs;
	int max_moves;
	bool json_out;
	bool apply, dry_run; /* --apply, --dry-run */
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

/*
 * --apply (cli/rebalance_apply.c): the steps through libvirt in order (dry: what would be
 * called), told on out; refused (2) where a step's host is a saved host.json; stops at the first
 * step that fails, saying which and that the earlier ones left the fleet feasible (1). xmls[i] is
 * step i's destination XML. 0, or the exit status after saying why.
 */
int cli_rebalance_apply(const vmp_rebalance *rb, const vmp_fleet *fleet, char *const *xmls,
			bool dry, FILE *out);

#endif
