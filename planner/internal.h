/* The planner's private state, shared by its files. */
#ifndef VMPLAN_PLANNER_INTERNAL_H
#define VMPLAN_PLANNER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmplan/model.h"

/* What is still free while a plan is built; indexes are into the host's arrays. */
typedef struct planner_state {
	const vmp_host *h;
	bool explain;
	bool reasons;           /* write why a VM is not placed (the final run) */
	unsigned char *pu_free; /* by PU index: online, not reserved, not used */
	int *core_nfree;        /* free PUs per core */
	int *core_size;         /* PUs per core */
	int *core_pu_start;     /* CSR: PUs of core c are core_pu[core_pu_start[c]..[c+1]) */
	int *core_pu;
	int *node_core_start;   /* CSR: cores of node n, grouped by L3 domain */
	int *node_core;
	uint64_t *mem_free;     /* bytes per node */
	uint64_t (*huge_free)[VMP_PAGESIZES_MAX]; /* pages per node and pool */
	double *bw_demand;      /* GB/s promised per node */
	unsigned char *node_skip; /* by node index: ruled out for the VM being placed */
	int failed_l3;            /* the L3 (index) whose ways a cache refusal lacked, or -1 */
	uint64_t l3_taken[VMP_RDT_DOMAINS_MAX]; /* ways given out per resctrl L3 domain */
	unsigned closids;       /* resctrl groups this plan creates */
	int max_core;           /* the most threads of any core */
} planner_state;

/* What one VM's placement took, to give it back. */
typedef struct planner_undo {
	int *pus; /* PU indexes */
	int npus;
	int mem_node[VMP_MAX_CELLS];
	uint64_t mem_bytes[VMP_MAX_CELLS];
	int nmem;
} planner_undo;

int planner_state_init(planner_state *st, const vmp_host *h);
void planner_state_free(planner_state *st);
void planner_undo_apply(planner_state *st, planner_undo *undo, uint64_t page_bytes);

/* Append printf-style text to a malloc'ed string (NULL to start). */
/* Leave vm unplaced: the reason (formatted) and what binds. */
void planner_refuse(vmp_plan_vm *vm, vmp_bind bind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void planner_append(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Index into h->nodes of the node nearest the named device, or -1. */
int planner_device_node(const vmp_host *h, const char *device);

/*
 * Give a placed VM its cache ways (cachetune) and memory-bandwidth limits
 * (memorytune) within resctrl's rules. Returns false with vm->reason set when
 * the host's resctrl cannot hold them; a host without resctrl gets none and
 * a note in the explanation.
 */
bool planner_rdt_allocate(planner_state *st, vmp_plan_vm *vm);

#endif
