/* The planner: a pure function of (host, requests, options) to a plan. */
#ifndef VMPLAN_PLAN_H
#define VMPLAN_PLAN_H

#include <stddef.h>

#include "vmplan/model.h"

/* The order in which VMs are considered. */
typedef enum vmp_plan_order {
	VMP_ORDER_BATCH = 0, /* the planner may reorder the set (largest first) */
	VMP_ORDER_GIVEN      /* as given, never revisiting an earlier VM */
} vmp_plan_order;

typedef struct vmp_plan_options {
	vmp_plan_order order;
} vmp_plan_options;

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
