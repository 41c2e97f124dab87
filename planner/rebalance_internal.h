/* Rebalance internals: the fleet's movable VMs as a state that moves are planned on. */
#ifndef VMPLAN_PLANNER_REBALANCE_INTERNAL_H
#define VMPLAN_PLANNER_REBALANCE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmplan/plan.h"
#include "vmplan/rebalance.h"

#define RB_NODES_MAX 64 /* nodes of a host the state tracks (more: the host takes nothing) */

/* A VM of the state: a movable running VM, or a request being fitted. */
typedef struct rb_vm {
	vmp_vm_request req;
	int host;                   /* fleet host index; -1: nowhere (a request not fitted) */
	vmp_cpuset cpus;            /* its pins */
	uint64_t mem[RB_NODES_MAX]; /* bytes on each node (index) of its host */
} rb_vm;

/* A host with its movable VMs taken out: what stays whatever the moves. */
typedef struct rb_host {
	bool usable;
	vmp_host base;     /* shallow copy of the fleet's host: own nodes, no existing list */
	vmp_node *nodes;   /* base.nodes, owned */
	vmp_node *scratch; /* the nodes of the work copy a move is planned on */
	uint64_t held;     /* node indexes that VMs which never move hold (bit per node) */
} rb_host;

/* One move of a path: the VM, where it goes (target: the one node named, or -1), where from. */
typedef struct rb_move {
	int vm, to, target;
	int from;
	vmp_cpuset from_cpus;
	uint64_t from_mem[RB_NODES_MAX];
} rb_move;

typedef struct rb_search {
	const vmp_fleet *fleet;
	int nhosts;
	rb_host *hosts;
	int nmov, nvms; /* vms[0..nmov) move; vms[nmov..nvms) are the requests */
	rb_vm *vms;
	bool make_room;
	int max_moves, depth;
	long budget, candidates;
	bool budget_out;
	rb_move path[VMP_REBALANCE_MOVES_MAX];
	rb_move best[VMP_REBALANCE_MOVES_MAX];
	int nbest;
	bool found;
	uint64_t best_cost;
	long best_score;
	vmp_plan_options popts;
	int err;
} rb_search;

/* Build the state from the fleet (reservations set); VMP_OK, VMP_EINVAL, VMP_ENOMEM. */
int rb_state_init(rb_search *s, vmp_fleet *fleet, const vmp_vm_request *reqs, size_t nreqs,
		  const char *reserve);
void rb_state_fini(rb_search *s);

/*
 * Plan VM v on host h with every other VM where it is (target: only node index target, or -1
 * for the planner's choice): 1 with *cpus and mem filled when placed, 0 when not (*keep, when
 * given, gets the plan either way), or a negative error.
 */
int rb_plan(rb_search *s, int v, int h, int target, vmp_cpuset *cpus, uint64_t *mem,
	    vmp_plan **keep);

/* Fit the requests in order, each on the first host that places it; true when all fit. The
 * requests stay placed (rb_unfit() takes them out). plans: each request's plan, or NULL. */
int rb_fit(rb_search *s, vmp_plan **plans, int *hosts);
void rb_unfit(rb_search *s);
/* Whether request VM v may go to host h: its host= label, its group= not there yet. */
bool rb_host_allows(const rb_search *s, int v, int h);

/* Whether node n of host h holds no VM (VM skip aside); the free hosts and nodes. */
bool rb_node_free(const rb_search *s, int h, int n, int skip);
void rb_count_free(const rb_search *s, int *nodes, int *hosts);

/* Search: fill s->best (s->nbest moves) with the fewest moves that reach the goal. */
int rb_search_run(rb_search *s);

#endif
