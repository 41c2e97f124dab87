/* The planner: a pure function of (host, requests, options) to a plan. */
#ifndef VMPLAN_PLAN_H
#define VMPLAN_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "vmplan/capacity.h"
#include "vmplan/model.h"

/* The order in which VMs are considered. */
typedef enum vmp_plan_order {
	VMP_ORDER_BATCH = 0, /* the planner may reorder the set (largest first) */
	VMP_ORDER_GIVEN      /* as given, never revisiting an earlier VM */
} vmp_plan_order;

typedef struct vmp_plan_options {
	vmp_plan_order order;
	bool explain; /* fill vmp_plan_vm.explain: where each VM went and why */
	/*
	 * Batch order: the seconds the heuristic and the exact solver may take together;
	 * 0 means VMP_PLAN_TIME_LIMIT_DEFAULT, a negative value the heuristic alone.
	 */
	double time_limit_s;
} vmp_plan_options;

/* The default time budget of a batch plan, in seconds (--time-limit). */
#define VMP_PLAN_TIME_LIMIT_DEFAULT 1.5

/*
 * The objective, in the order it decides (see planner/internal.h for the
 * weights): the priority-weighted number of VMs placed; then per VM the
 * fewest NUMA nodes and the smallest distance between them, the fewest L3
 * domains, the device's node, memory-bandwidth demand against each node's
 * measured bandwidth, and the tightest fit (largest free blocks kept whole).
 */

/**
 * The housekeeping CPUs that --reserve auto picks: where the kernel isolates
 * CPUs (isolcpus=), every online CPU it does not isolate; otherwise the first
 * core of every NUMA node that has at least two cores.
 */
void vmp_plan_reserve_auto(vmp_cpuset *out, const vmp_host *host);

/**
 * Set host->reserved from a --reserve policy: "auto" (vmp_plan_reserve_auto()), "none", or a
 * cpuset of online CPUs.
 * @return VMP_OK, or VMP_EINVAL with a message for a bad cpuset or CPUs not online
 */
int vmp_plan_reserve(vmp_host *host, const char *policy);

/**
 * Place a set of VMs on a host.
 *
 * The host is not modified; its reserved PUs are never given to a vCPU.
 * A VM that cannot be placed is kept in the plan with placed == false and
 * a reason that says what it asked, what was free and what to change.
 * The result is deterministic for the same input.
 *
 * @param out   the plan, one entry per request in the order given; the
 *              caller frees it with vmp_plan_free()
 * @param host  the host model
 * @param reqs  the requests
 * @param nreqs how many
 * @param opts  options, or NULL for the defaults
 * @return VMP_OK (even if some VMs are not placed), VMP_EINVAL for a
 *         request that is malformed (no name, 0 vCPUs), VMP_ENOMEM
 */
int vmp_plan_solve(vmp_plan **out, const vmp_host *host, const vmp_vm_request *reqs, size_t nreqs,
		   const vmp_plan_options *opts);

/**
 * What the exact solver proved about a batch plan, in words, into out (size bytes):
 * "optimal: placed 5 of 5 possible", "feasible, gap 1: placed 56 of 57 possible (bound)",
 * "heuristic (no solver time left)"; "" for a plan without a statement (--order given).
 * VMs count 1 + priority each.
 */
void vmp_plan_solver_describe(char *out, size_t size, const vmp_plan *plan);

/** How many VMs of the plan were placed. */
int vmp_plan_placed_count(const vmp_plan *plan);

/**
 * The deciding facts of VM i of a plan, in a few lines (each ends in '\n'), read from
 * the plan itself: where it went against its device's node and which VMs of the plan
 * hold CPUs there, how its cells were spread, the hugepages it takes per node against
 * the pools, and its score term by term. A VM not placed: its reason.
 *
 * @param out the text; the caller frees it
 * @return VMP_OK, VMP_ENOMEM
 */
int vmp_plan_explain_brief(char **out, const vmp_host *host, const vmp_plan *plan, int i);

/**
 * What the host must do before the plan's domains can start, one line each: hugepages
 * to reserve per node (with the sysfs write that does it) where the pools hold fewer free
 * pages than the plan takes; VMs that isolate their emulator with no housekeeping CPUs;
 * L3 ways the default resctrl group must release (vmp_plan_default_release()).
 *
 * @param out the text, or NULL when nothing is needed; the caller frees it
 * @return VMP_OK
 */
int vmp_plan_host_needs(char **out, const vmp_host *host, const vmp_plan *plan);

/**
 * The L3 ways of cache cache_id that the plan gives its VMs but the host's default resctrl
 * group holds now: libvirt refuses those domains at start until `vmplan hostprep --apply`
 * shrinks the default group. 0 when there are none (or the host has no L3 allocation).
 */
uint64_t vmp_plan_default_release(const vmp_plan *plan, const vmp_host *host, int cache_id);

/* Capacity, counted by planning (planner/capacity.c). */

/**
 * Count the copies of a unit that fit a host, by planning: copy k of the unit is
 * the requests renamed "<k>-<name>" and all copies are planned together with
 * vmp_plan_solve() (batch order, the heuristic alone). A doubling search and bisection
 * find a count n such that n copies are all placed and n + 1 are not; the binding
 * resource is read from the refusal of a VM of the n + 1 copies. out->bound is the
 * host's resource bound; out->proof is optimal only where the count reaches it.
 *
 * @param out   the count, the binding resource and what stays free
 * @param host  the host, with its reservation already set
 * @param unit  the requests of one copy
 * @param n     how many
 * @param limit the most copies to count (at most VMP_CAPACITY_LIMIT)
 * @return VMP_OK, VMP_EINVAL for a malformed request, VMP_ENOMEM
 */
int vmp_capacity_count_copies(vmp_capacity_count *out, const vmp_host *host,
			      const vmp_vm_request *unit, size_t n, int limit);

/**
 * Compute a capacity report.
 *
 * @param out     the report; the caller frees it with vmp_capacity_report_free()
 * @param hosts   the fleet; each host's reservation is set per policy while
 *                counting and restored before returning
 * @param nhosts  how many (at least 1)
 * @param shapes  the shapes (a mix's entries)
 * @param nshapes how many (at least 1)
 * @param reserve "auto", "none" or a cpuset (libvirt syntax)
 * @return VMP_OK, VMP_EINVAL (a bad reserve, a CPU not online, a bad request), VMP_ENOMEM
 */
int vmp_capacity_report_new(vmp_capacity_report **out, vmp_host *const *hosts, int nhosts,
			    const vmp_vm_request *shapes, size_t nshapes, const char *reserve);

/**
 * Count as vmp_capacity_count_copies() (the heuristic's count, the floor), then once with the
 * exact solver: a shape alone (n == 1) asked for one copy more than the host's resources hold
 * (at most limit + 1), so that the copies placed are the count and the solver's bound bounds
 * it; a whole mix (n > 1) asked for one copy more than the heuristic's count. out->proof and
 * out->bound say what is proven.
 *
 * @param time_limit_s the exact solve's budget (heuristic and solver together); <= 0: none
 * @return as vmp_capacity_count_copies()
 */
int vmp_capacity_count_exact(vmp_capacity_count *out, const vmp_host *host,
			     const vmp_vm_request *unit, size_t n, int limit, double time_limit_s);

/**
 * vmp_capacity_report_new() with the exact solver's budget for the whole report: time_limit_s
 * seconds shared by every count (what one count leaves goes to the rest); 0:
 * VMP_CAPACITY_TIME_LIMIT_DEFAULT, at most VMP_CAPACITY_COUNT_LIMIT_DEFAULT per count;
 * negative: the heuristic alone. vmp_capacity_report_new() is this with 0.
 */
int vmp_capacity_report_new_limit(vmp_capacity_report **out, vmp_host *const *hosts, int nhosts,
				  const vmp_vm_request *shapes, size_t nshapes, const char *reserve,
				  double time_limit_s);
#endif
