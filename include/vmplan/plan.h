/* The planner: a pure function of (host, requests, options) to a plan. */
#ifndef VMPLAN_PLAN_H
#define VMPLAN_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "vmplan/model.h"

/* The order in which VMs are considered. */
typedef enum vmp_plan_order {
	VMP_ORDER_BATCH = 0, /* the planner may reorder the set (largest first) */
	VMP_ORDER_GIVEN      /* as given, never revisiting an earlier VM */
} vmp_plan_order;

typedef struct vmp_plan_options {
	vmp_plan_order order;
	bool explain; /* fill vmp_plan_vm.explain: where each VM went and why */
} vmp_plan_options;

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
int vmp_plan_solve(vmp_plan **out, const vmp_host *host, const vmp_vm_request *reqs,
		   size_t nreqs, const vmp_plan_options *opts);

/** How many VMs of the plan were placed. */
int vmp_plan_placed_count(const vmp_plan *plan);

#endif
