/* The exact model's private parts, shared by milp.c (build, solve) and milp_map.c (symmetry). */
#ifndef VMPLAN_PLANNER_MILP_MODEL_H
#define VMPLAN_PLANNER_MILP_MODEL_H

#include <coin/Cbc_C_Interface.h>

#include "planner/internal.h"

/* One column: node -1 is the y column of (group, k), else x of one share type on a node. */
typedef struct col_meta {
	int g, k, share0, count, node;
	uint64_t vc, mem;
} col_meta;

typedef struct model {
	const vmp_host *h;
	const vmp_plan *plan;
	planner_state st;
	col_meta *cols;
	int ncols, cap;
	int *row_idx;
	double *row_val;
	/* The model gathered for Cbc_loadProblem() (milp.c): per column its objective and upper
	 * bound, the rows as (row, column, value) entries with their bounds. */
	double *obj, *colub;
	int *rrow, *rcol;
	double *rval, *rowlb, *rowub;
	size_t nnz, nzcap;
	int nrows, rowcap;
	bool oom;
	double eps_vcpu, eps_node; /* the objective's weights below one VM's (milp.c) */
	int T;
	/* VMs the model cannot tell apart form a group (milp_map.c): its members are
	 * gmember[gstart[g]..gstart[g + 1]), in plan order; group_of[vm] is -1 when unmodelled. */
	int ngroups;
	int *group_of, *gstart, *gmember;
	/* Interchangeable nodes (milp_map.c): cls_prev[n] is the previous node of n's class, or
	 * -1; milp_class_fix() breaks the symmetry. */
	int *cls_prev;
	int nclassed; /* nodes that have a previous node in their class */
	int nfixed;   /* columns milp_class_fix() fixed at 0 */
	/* The second pass (milp.c): VMs held at vms_min, vCPUs then fewest nodes maximised,
	 * started from the first pass's assignment `from` (NULL: from the heuristic's plan). */
	int pass;
	double vms_min;
	const planner_assignment *from;
} model;

/* The request of group g (its first member's). */
const vmp_vm_request *milp_group_req(const model *m, int g);
static inline int milp_group_size(const model *m, int g)
{
	return m->gstart[g + 1] - m->gstart[g];
}

/* Whether the model covers a request at all: dedicated, and placeable on this host. */
bool milp_modelled(const vmp_host *h, const vmp_vm_request *r);

/* Group the modelled VMs and find the classes of interchangeable nodes; VMP_ENOMEM. */
int milp_groups(model *m);
int milp_classes(model *m);

/* Symmetry: with a class's nodes ranked by first use (groups in order), the groups up to g
 * reach at most the sum of size * most cells of theirs; g's columns on later ranks are fixed
 * at 0. VMP_ENOMEM. */
int milp_class_fix(model *m, Cbc_Model *cbc);

/* The heuristic's plan as the solver's first solution, its nodes reordered within classes. */
void milp_start(model *m, Cbc_Model *cbc);

/* The solution x into out: counts per group and node decomposed into VMs on distinct nodes.
 * false when it cannot be (then out holds no solution). */
bool milp_read_solution(model *m, const double *x, planner_assignment *out);

/*
 * Decompose a group's counts into VMs: y VMs of k cells, cnt[s * nnodes + n] the number of
 * VMs whose share s is on node n (each share's counts sum to y; per node, all its shares
 * sum to at most y). Writes nodes[r * k + s], VM r's share s, all of one VM's distinct.
 * Returns false when the counts break those rules or memory runs out.
 */
bool milp_decompose(int *nodes, const int *cnt, int y, int k, int nnodes);

#endif
