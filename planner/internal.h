/* The planner's private API, shared by its files: state, placement, explanation, search. */
#ifndef VMPLAN_PLANNER_INTERNAL_H
#define VMPLAN_PLANNER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmplan/model.h"

/*
 * The objective.
 *
 * A plan is better when it places more VMs, each weighted by 1 + priority.
 * Between plans that place the same, the sum of the VMs' scores decides:
 *
 *   score = 100 - 20 * (nodes - 1)                 fewest NUMA nodes
 *               - (sum of distances - 10 * pairs) / 2   nearest nodes
 *               - 5 * (L3 domains - fewest possible)    fewest L3 domains
 *               - 10 * (device distance - 10) / 10      near the VM's device
 *
 * Among the nodes that can hold a VM, the one with the lowest cost is taken:
 *
 *   cost = 10 * free PUs left on the node / its PUs   tightest fit: keep free
 *                                                      blocks whole for later VMs
 *        + 20 * (L3 domains needed - fewest possible)
 *        + 30 * (distance to the device's node - 10) / 10
 *        + 10 * bandwidth demand on the node / its measured triad bandwidth
 *
 * In --order given (one VM at a time, never revisited) the fit term is instead, with cl and
 * ml the shares of the node's free PUs and memory (of its pool) the VM leaves:
 *
 *   fit = 10 * (cl when less memory than the VM's is left, + ml when fewer PUs than it takes
 *               are left: what is stranded) + 10 * |cl - ml|   (the room keeps its shape)
 *
 * and a VM that one node of the host (as it was before the plan) holds is not spread over
 * partly used nodes: it is refused (tests/unit/test_plan_given.c measures both against
 * Nova's first fit; a best-fit or packing term placed fewer VMs there).
 *
 * Batch mode tries a few orders (priority first, then the VMs that are
 * hardest to fit), repairs the best one (search.c) and keeps the best plan
 * by the objective above.
 */
#define SCORE_BASE           100.0
#define SCORE_PER_EXTRA_NODE 20.0
#define SCORE_PER_EXTRA_L3   5.0
#define SCORE_DEVICE         10.0
#define COST_FIT             10.0
#define COST_L3              20.0
#define COST_DEVICE          30.0
#define COST_BANDWIDTH       10.0

/* The value of one placed VM in the plan's objective: placing comes first, then the score. */
#define VALUE_PER_VM 1e6

/* An L3 argument that means the whole node (-1 is a real one: cores in no L3). */
#define ANY_L3 (-2)

/*
 * Work arrays for one call at a time, sized once per host so that no size taken from the
 * host lands on the stack. Each is owned by the functions named beside it for the length of
 * one call; none of them calls another user of the same array.
 */
/* A refusal planner_explain_failure wrote, and what it depended on. */
#define PLANNER_MEMO_SHAPES 16
typedef struct planner_reason_memo {
	bool valid;
	unsigned long gen; /* the state's generation when written */
	unsigned vcpus, numa_cells;
	int threads;
	uint64_t memory_bytes, hugepage_bytes;
	int bind;
	char reason[VMP_REASON_MAX];
} planner_reason_memo;

/*
 * A VM that did not fit, and what the state was then (place.c): placing depends on the
 * request and on what is free, so a VM with the same request but its name, placed with the
 * same cells limit while nothing was taken or given back since, does not fit either and is
 * refused with the same words, without trying again (a mix of 40,000 copies of one shape).
 */
#define PLANNER_FAIL_MEMOS 4
typedef struct planner_fail_memo {
	bool valid;
	unsigned long gen; /* the state's generation when written */
	int max_cells;
	vmp_vm_request req; /* its name not compared */
	bool wrote_score;   /* the try set vm->score (to score) */
	double score;
	int bind;
	char reason[VMP_REASON_MAX];
} planner_fail_memo;

typedef struct planner_scratch {
	int *caps;                 /* by node: fewest_nodes, even_fit_vcpus, place_shared */
	int *order;                /* by node: place_shared */
	uint64_t *rooms;           /* by node: fewest_nodes, place_shared */
	uint32_t *to_set;          /* by node: place_spread */
	unsigned char *ok, *in;    /* by node: place_spread */
	int *spread_cap;           /* by node: place_spread (capacity when it began) */
	uint64_t *spread_room;     /* by node: place_spread (memory room when it began) */
	planner_reason_memo *memo; /* explain_failure: PLANNER_MEMO_SHAPES of them */
	planner_fail_memo *fail;   /* place_vm: PLANNER_FAIL_MEMOS of them */
	int *l3_caps;              /* by L3 domain of one node: l3_needed */
	int *undo_pus;             /* by PU: the undo log of the VM being placed (place_vm) */
} planner_scratch;

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
	int *node_core_start; /* CSR: cores of node n, grouped by L3 domain */
	int *node_core;
	int *node_l3_start; /* CSR: the L3 domains of node n, in node_core's order */
	int *node_l3;
	uint64_t *mem_free;                       /* bytes per node */
	uint64_t (*huge_free)[VMP_PAGESIZES_MAX]; /* pages per node and pool */
	double *bw_demand;                        /* GB/s promised per node */
	unsigned char *node_skip; /* by node index: ruled out for the VM being placed */
	int failed_l3;            /* the L3 (index) whose ways a cache refusal lacked, or -1 */
	uint64_t l3_taken[VMP_RDT_DOMAINS_MAX]; /* ways given out per resctrl L3 domain */
	unsigned closids;                       /* resctrl groups this plan creates */
	int max_core;                           /* the most threads of any core */
	uint32_t min_dist;                      /* the least distance between two nodes */
	/* Counts changes to free PUs and memory; a VM that does not fit puts back what it took
	 * and the generation it found. */
	unsigned long gen;
	/* Set by the exact solver's realisation: the nodes of the VM being placed, in share
	 * order (force_k of them); 0 lets the heuristic choose. */
	const int *force_nodes;
	int force_k;
	/* --order given: VMs arrive one at a time, never revisited (given_fit() in place.c). */
	bool given;
	int *cap_empty; /* by node and thread policy (node * 3 + policy): capacity when it began */
	planner_scratch tmp;
} planner_state;

/* What one VM's placement took, to give it back. */
typedef struct planner_undo {
	int *pus; /* PU indexes */
	int npus;
	int mem_node[VMP_MAX_CELLS];
	uint64_t mem_bytes[VMP_MAX_CELLS];
	int nmem;
} planner_undo;

/* ---- state.c: capacity, taking and giving back, memory, undo ---- */

/* Build the free state of a host; VMP_ENOMEM (message set, nothing left allocated). */
int planner_state_init(planner_state *st, const vmp_host *h);
void planner_state_free(planner_state *st);

/* The most threads any core of the host has (1 at least). */
int planner_max_core(const vmp_host *h);
uint32_t planner_min_distance(const vmp_host *h);

/* vCPU capacity of a node, or of one L3 domain of it (l3 >= -1; ANY_L3 for the node). */
int planner_capacity(const planner_state *st, int node, int l3, vmp_thread_policy pol);

/* How many L3 domains n vCPUs would span on a node: now, or on the empty node. */
int planner_l3_needed(const planner_state *st, int node, vmp_thread_policy pol, int n, bool empty);

/* What a node could hold when the state began (before this plan's VMs): vCPUs under pol, and
 * bytes from the pool of page_bytes (0: normal memory). */
int planner_capacity_empty(const planner_state *st, int node, vmp_thread_policy pol);
uint64_t planner_mem_room_empty(const planner_state *st, int node, uint64_t page_bytes);

/* Take one PU (free) for the VM being placed, and log it for undo. */
void planner_take_pu(planner_state *st, planner_undo *undo, int p);

/*
 * Place n vCPUs on one node, in as few L3 domains as possible, writing the PU index of each
 * vCPU to pus. Returns the number of L3 domains used, or -1 when the node cannot hold them
 * (what was taken stays in the undo log).
 */
int planner_place_on_node(planner_state *st, planner_undo *undo, int node, vmp_thread_policy pol,
			  int n, int *pus);

/* Whether any node has a pool of this page size (else hugepages come from free memory). */
bool planner_pool_configured(const vmp_host *h, uint64_t page_bytes);

/* Bytes a node can still back from the pool a request uses (page_bytes 0: normal memory). */
uint64_t planner_mem_room(const planner_state *st, int node, uint64_t page_bytes);

/* Take mem bytes on a node from the pool of page_bytes, logged for undo. */
void planner_mem_take(planner_state *st, planner_undo *undo, int node, uint64_t mem,
		      uint64_t page_bytes);

/* Give back everything the undo log holds, and empty it. */
void planner_undo_apply(planner_state *st, planner_undo *undo, uint64_t page_bytes);

/* ---- place.c, spread.c, shared.c: one VM ---- */

/* The thread policies' names, by vmp_thread_policy. */
extern const char *const planner_thread_names[];

/* Split total into k shares as even as possible, each a multiple of unit, the larger first
 * (the last takes what does not divide). */
void planner_split(uint64_t *out, int k, uint64_t total, uint64_t unit);

/* The guest cell counts to try for r, fewest first (see place.c). */
void planner_cell_range(const vmp_host *h, const vmp_vm_request *r, int max_cells, int *first,
			int *last);

/* Commit vcpus/memory of vm to nodes[0..k); false (state restored) if it does not fit. */
bool planner_try_nodes(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, const int *nodes,
		       int k, int *l3_used);

/* The fewest nodes that could hold r by their free room, 0 when not even all of them can. */
int planner_fewest_nodes(const planner_state *st, const vmp_vm_request *r);

/* Spread vm over k >= 2 nearest nodes; the set's total distance into dist_out. */
bool planner_place_spread(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int k,
			  int *l3_used, uint32_t *dist_out);

/* A cpu=shared VM's memory and cells (its CPUs come in planner_finish_shared()). */
bool planner_place_shared(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int devnode,
			  int max_cells);

/* The reserved PUs on the VM's nodes, or all reserved PUs when none is there. */
vmp_cpuset planner_housekeeping_near(const vmp_host *h, const vmp_plan_vm *vm);

/*
 * Place one VM, or leave it unplaced with a reason and the state as it was.
 * max_cells bounds how many nodes a VM without numa= may be spread over.
 */
void planner_place_vm(planner_state *st, vmp_plan_vm *vm, int max_cells);

/* Give the placed shared VMs their pool of CPUs, emulator and I/O threads, cache and bandwidth. */
void planner_finish_shared(planner_state *st, vmp_plan *plan);

/* Index into h->nodes of the node nearest the named device, or -1. */
int planner_device_node(const vmp_host *h, const char *device);

/* ---- explain.c: refusals and hints ---- */

/* Leave vm unplaced: the reason (formatted) and what binds. */
void planner_refuse(vmp_plan_vm *vm, vmp_bind bind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append printf-style text to a malloc'ed string (NULL to start); on failure it stays. */
void planner_append(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Why a dedicated vm cannot be placed: the binding constraint, with numbers, and what fits. */
void planner_explain_failure(const planner_state *st, vmp_plan_vm *vm);

/* Why a cpu=shared vm cannot be placed in at most k_max cells: its memory. */
void planner_explain_shared_failure(const planner_state *st, vmp_plan_vm *vm, int k_max);

/* ---- rdt.c ---- */

/*
 * Give a placed VM its cache ways (cachetune) and memory-bandwidth limits
 * (memorytune) within resctrl's rules. Returns false with vm->reason set when
 * the host's resctrl cannot hold them; a host without resctrl gets none and
 * a note in the explanation.
 */
bool planner_rdt_allocate(planner_state *st, vmp_plan_vm *vm);
/*
 * Give each placed VM the L3 ways libvirt will program when the VMs start in plan order on
 * a host whose default resctrl group holds exactly the ways no VM is planned (what vmplan
 * hostprep --apply writes): libvirt takes only the size and picks the ways itself. Domains
 * where those ways are not one run keep the planner's masks (then advice).
 */
void planner_rdt_as_libvirt(vmp_plan *plan, const vmp_host *host);

/* ---- milp.c: the exact node-level model (COIN-OR CBC) ---- */

/* What the solver chose and proved. */
typedef struct planner_assignment {
	int nvms;
	int *ncells;       /* by VM: how many cells, 0 when the solver leaves it out */
	int *nodes;        /* by VM, VMP_MAX_CELLS each: node indexes in planner_split()'s order */
	bool has_solution; /* ncells/nodes hold a solution */
	bool has_bound;    /* bound holds */
	bool proven;       /* the solver finished: its solution is optimal for the model */
	double bound;      /* priority-weighted dedicated VMs any plan places at most */
	char note[96];     /* why the model was not solved, or "" */
} planner_assignment;

/*
 * Solve the node-level model (milp.c's comment) for start's requests, warm-started from
 * start's placements, within seconds. VMP_OK (also when the time ran out or the model was
 * too large: see has_solution, has_bound, note), VMP_ENOMEM.
 */
int planner_milp_solve(planner_assignment *out, const vmp_host *h, const vmp_plan *start,
		       double seconds);
void planner_assignment_free(planner_assignment *a);

/*
 * Place the VMs a assigns, each on its nodes in share order, through planner_place_vm():
 * threads=require first, then isolate, then prefer (whole cores are taken before prefer's
 * shares could split them), each pass in order (indexes into plan->vms). For every
 * assignment the model's rows allow on a host whose cores in a node have one size, every
 * such VM is placed, cache and bandwidth aside (tests/unit/test_plan_milp.c).
 */
void planner_realise(planner_state *st, vmp_plan *plan, const planner_assignment *a,
		     const size_t *order);

/* CLOCK_MONOTONIC in seconds: what the planner's time budgets are measured with. */
double planner_now_s(void);

#endif
