/* Fleet planning: which host gets which VM, then each host's plan (planner/fleet*.c). */
#ifndef VMPLAN_FLEET_PLAN_H
#define VMPLAN_FLEET_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "vmplan/fleet.h"
#include "vmplan/plan.h"

/* How hosts are chosen. */
typedef enum vmp_fleet_policy {
	VMP_FLEET_PACK = 0, /* fewest hosts: hosts already in use first, tightest fit; whole
			     * hosts stay free */
	VMP_FLEET_SPREAD    /* balance headroom: the host with the most CPU and memory left */
} vmp_fleet_policy;

typedef struct vmp_fleet_options {
	vmp_plan_order order; /* given: each VM in turn; batch: largest first, then improved */
	vmp_fleet_policy policy;
	bool explain;        /* each VM's explain says why its host was chosen, others not */
	const char *reserve; /* each host's --reserve policy; NULL for "auto" */
	/*
	 * Batch order: the seconds the hosts' exact solves may take together, shared among
	 * the hosts being planned (a host's share under 20 ms: its heuristic alone); 0 means
	 * VMP_PLAN_TIME_LIMIT_DEFAULT, a negative value the heuristic alone on every host.
	 */
	double time_limit_s;
} vmp_fleet_options;

/**
 * Assign each request to a host of the fleet and plan it there.
 *
 * Hosts that are down (host == NULL) take nothing and are named in --explain.
 * A VM with host=LABEL goes only to hosts with that label; members of one
 * group= go to different hosts. Assignment runs on a per-node model of each
 * host's free CPUs, cores, memory and hugepages (existing domains and the
 * reservation taken out); each host with VMs is then planned with
 * vmp_plan_solve(), and a VM that host's planner refuses is tried on the next
 * host (a few rounds), so every placed VM is placed by the real planner.
 * Each host's reservation (host->reserved) is set from opts->reserve.
 * Deterministic for the same input.
 *
 * @param out   the fleet plan (hosts that got VMs, in fleet order; the VMs no
 *              host took, each with a reason); vmp_fleet_plan_free()
 * @param fleet the fleet, its hosts loaded
 * @param reqs  the requests, nreqs of them (names unique)
 * @param opts  options, or NULL for the defaults (batch, pack, reserve auto)
 * @return VMP_OK (even if some VMs are not placed); VMP_EINVAL for a bad
 *         request or reservation (the message names the host); VMP_ENOMEM
 */
int vmp_fleet_solve(vmp_fleet_plan **out, vmp_fleet *fleet, const vmp_vm_request *reqs,
		    size_t nreqs, const vmp_fleet_options *opts);

#endif
