/* Fleet planning internals: a per-node model of each host's free resources. */
#ifndef VMPLAN_PLANNER_FLEET_INTERNAL_H
#define VMPLAN_PLANNER_FLEET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "planner/internal.h"
#include "vmplan/fleet_plan.h"

#define FLEET_NODES_MAX 64 /* nodes of one host the model tracks (more: the host is skipped) */

/* What one node has free. */
typedef struct fleet_node {
	int free_pus, free_cores;
	uint64_t free_mem;
	uint64_t huge_size[VMP_PAGESIZES_MAX], huge_free[VMP_PAGESIZES_MAX]; /* bytes, pages */
} fleet_node;

/* One host of the model; total_* are for headroom fractions. */
typedef struct fleet_host {
	const vmp_fleet_host *src;
	bool usable; /* up, and its nodes fit the model */
	bool busy;   /* existing domains or VMs assigned: not a whole free host */
	int smt;     /* threads per core */
	bool has_reserved;
	int nnodes;
	fleet_node *nodes;
	int total_pus, free_pus;
	uint64_t total_mem, free_mem;
	int nassigned, cap; /* the requests assigned (indexes), in assignment order */
	int *assigned;
	int nexisting;
} fleet_host;

/* What a VM takes on one host: per node used, as the model saw it. */
typedef struct fleet_take {
	int host; /* -1: not assigned */
	int nnodes;
	int node[VMP_MAX_CELLS];
	int pus[VMP_MAX_CELLS], cores[VMP_MAX_CELLS];
	uint64_t mem[VMP_MAX_CELLS];
	int huge; /* pool index, or -1 */
} fleet_take;

/* Why a host cannot take a VM. */
typedef enum fleet_refusal {
	FLEET_OK = 0,
	FLEET_DOWN,
	FLEET_LABEL,
	FLEET_GROUP,
	FLEET_HOUSEKEEPING,
	FLEET_CPUS,
	FLEET_MEMORY,
	FLEET_HUGEPAGES,
	FLEET_NODE_FIT,
	FLEET_PLANNER, /* the host's planner refused it in an earlier round */
	FLEET_NREFUSALS
} fleet_refusal;

/* Build the model of a host (reservation already set); VMP_OK or VMP_ENOMEM. */
int fleet_host_init(fleet_host *fh, const vmp_fleet_host *src);
void fleet_host_fini(fleet_host *fh);

/*
 * Whether host h can take req on the model: FLEET_OK with *take filled (not applied), or why
 * not with a few words and numbers in why (why may be NULL).
 */
fleet_refusal fleet_fit(fleet_take *take, const fleet_host *h, const vmp_vm_request *req, char *why,
			size_t why_size);

/* Apply a take to its host's model (and record the VM), or give it back. */
int fleet_apply(fleet_host *h, const fleet_take *t, int vm);
void fleet_release(fleet_host *h, const fleet_take *t, int vm);

/* The headroom left on a host, 0..1: the smaller of free CPUs and free memory fractions. */
double fleet_headroom(const fleet_host *h);

/* One VM's state across rounds. */
typedef struct fleet_vm {
	fleet_take take;
	int nrefused; /* hosts whose planner refused it */
	int *refused;
	bool given_up; /* no host takes it */
	char reason[VMP_REASON_MAX];
	vmp_bind bind;
	char *why;          /* the fleet part of --explain; owned */
	int tg_start, tg_n; /* its keep-together group: c->tmembers[tg_start..+tg_n); 0 none */
	bool in_retry;      /* take_refused(): already listed */
} fleet_vm;

typedef struct fleet_ctx {
	vmp_fleet *fleet;
	const vmp_vm_request *reqs;
	int nreqs;
	vmp_fleet_options o;
	int nhosts;
	fleet_host *hosts;
	vmp_plan **plans; /* per host, the latest plan; NULL before */
	bool *dirty;      /* VMs were added since it was planned */
	fleet_vm *vms;
	int *order;    /* the order VMs are assigned in */
	int *tmembers; /* keep-together groups' members, each group together, by name */
	double t0;     /* when planning began (CLOCK_MONOTONIC seconds) */
	double budget; /* the exact solves' seconds, all hosts together; < 0: none */
} fleet_ctx;

/* c->order: as given, or batch order (priority, then the largest first, then as given). */
int fleet_make_order(fleet_ctx *c);
/*
 * Batch order: the exact solver's share of the fleet's budget for the next host, of `left`
 * hosts still to plan; the heuristic alone (-1) once a share would be under 20 ms.
 */
double fleet_host_budget(fleet_ctx *c, int left);

/* Build the fleet plan from the ctx's host plans (moved out) and the VMs no host took. */
int fleet_build_output(vmp_fleet_plan **out, fleet_ctx *c);

#endif
