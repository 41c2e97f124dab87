/* Re-packing a fleet: an ordered, always-feasible list of re-pins and migrations. */
#ifndef VMPLAN_REBALANCE_H
#define VMPLAN_REBALANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmplan/fleet.h"
#include "vmplan/model.h"

#define VMP_REBALANCE_MOVES_DEFAULT 4      /* --max-moves */
#define VMP_REBALANCE_MOVES_MAX     8      /* the most --max-moves takes */
#define VMP_REBALANCE_BUDGET        200000 /* candidate moves planned before the search stops */

typedef struct vmp_rebalance_options {
	int max_moves;       /* the most steps, 0 to VMP_REBALANCE_MOVES_MAX */
	const char *reserve; /* each host's --reserve policy; NULL for "auto" */
	long budget;         /* candidate moves to plan at most; 0 means VMP_REBALANCE_BUDGET */
} vmp_rebalance_options;

/* What a step does. */
typedef enum vmp_rebalance_kind {
	VMP_STEP_REPIN = 0, /* new vCPU/emulator pins and memory nodes on the same host (live) */
	VMP_STEP_MIGRATE    /* a live migration to another host, with the destination's pins */
} vmp_rebalance_kind;

/* One step. The VM holds its old place until the step is done (a migration needs room on the
 * destination while the source still runs it). */
typedef struct vmp_rebalance_step {
	vmp_rebalance_kind kind;
	char vm[VMP_NAME_MAX];
	uint64_t memory_bytes; /* the cost: guest memory copied or moved */
	int from, to;          /* fleet host indexes (equal for a re-pin) */
	vmp_cpuset from_cpus;  /* the pins it leaves */
	vmp_cpuset from_nodes; /* the nodes (OS ids) its memory leaves */
	vmp_plan *plan;        /* the VM planned on the destination: one placed VM; owned */
	int after;             /* the earlier step (index) that frees the room it needs, or -1 */
	bool temporary;        /* a hop: the same VM moves again in a later step */
} vmp_rebalance_step;

/* A new VM (--make-room) and where it fits once the steps are done. */
typedef struct vmp_rebalance_fit {
	int host;       /* fleet host index, or -1 */
	vmp_plan *plan; /* the VM planned there (placed), or refused on the best host; owned */
} vmp_rebalance_fit;

/* The result. Owned; vmp_rebalance_free(). */
typedef struct vmp_rebalance {
	bool make_room;  /* requests were given */
	bool done;       /* every request fits after the steps (make_room); a better state was
			  * found, or none could be (otherwise) */
	bool budget_out; /* the search stopped at the budget before proving anything */
	int nsteps;
	vmp_rebalance_step *steps;
	int nfits;
	vmp_rebalance_fit *fits; /* one per request, in the order given */
	/* Whole nodes and hosts without a movable VM, before and after (no --make-room). */
	int free_nodes_before, free_nodes_after, free_hosts_before, free_hosts_after;
	int moved_vms;   /* VMs the search could move (pinned, memory bound) */
	long candidates; /* candidate moves planned */
	char why[1024];  /* when !done: what binds, host by host */
} vmp_rebalance;

/**
 * Find the fewest moves of running VMs (existing domains of the fleet's hosts) after which
 * every request fits, or (nreqs == 0) after which the most whole hosts, then NUMA nodes, are
 * free of movable VMs.
 *
 * A movable VM is an existing domain with pinned CPUs and memory bound to nodes: it is
 * modelled as a dedicated VM of one vCPU per pinned CPU and one guest cell per node, its
 * memory spread evenly over those nodes. A move plans it with vmp_plan_solve() on a host
 * (its own: a re-pin; another: a migration), every other VM staying where it is, either where
 * the planner chooses or on one node the search names; so each state after a step is
 * feasible: no CPU in two VMs' pins, memory fitting every node. Iterative deepening tries 0
 * moves, then 1, 2, ... up to max_moves; within one depth, the lowest total memory moved
 * wins. Requests are fitted in order, each on the first host (fleet order) whose planner
 * places it. Deterministic for the same input.
 *
 * @param out   the steps and where the requests fit; vmp_rebalance_free()
 * @param fleet the fleet, its hosts loaded (down hosts take nothing); each host's
 *              reservation is set from opts->reserve
 * @param reqs  the VMs to make room for, nreqs of them (0: free nodes and hosts)
 * @param opts  options, or NULL for the defaults
 * @return VMP_OK (even when no room can be made: done is false and why says what binds);
 *         VMP_EINVAL for a bad request or reservation, or max_moves out of range; VMP_ENOMEM
 */
int vmp_rebalance_solve(vmp_rebalance **out, vmp_fleet *fleet, const vmp_vm_request *reqs,
			size_t nreqs, const vmp_rebalance_options *opts);

/** Free a result; NULL is fine. */
void vmp_rebalance_free(vmp_rebalance *rb);

#endif
