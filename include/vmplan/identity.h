/* Host identity: is a plan's host the host at hand, and does that host still have room. */
#ifndef VMPLAN_IDENTITY_H
#define VMPLAN_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "vmplan/model.h"

/**
 * Record a host's identity: packages, cores, PUs, NUMA nodes with their CPUs and total
 * memory, the L3 domains, the CPU model and the resctrl capabilities (what does not move),
 * and apart from them the free resources (free node memory, hugepage pools, resctrl groups
 * in use), which are never part of the fingerprint. Nodes beyond VMP_IDENTITY_NODES_MAX
 * are left out of the list (the fingerprint still covers them).
 * @param out  the identity; out->present is true
 * @param host the host
 */
void vmp_host_identity_get(vmp_host_identity *out, const vmp_host *host);

/**
 * Compare the identity a plan recorded with a host's, field by field. Node memory may
 * differ by up to 1/16 (kernels and firmware reserve a little more or less after a
 * reboot, and some sources count the hugepage pools and some do not); the CPU model and
 * the resctrl capabilities are compared only where both sides know them.
 * @param out     "; "-separated differences, each naming the planned and the found value
 *                ("" when the same machine); truncated to size
 * @param size    bytes of out
 * @param planned the plan's identity (present)
 * @param actual  the host's
 * @return true when the two are the same machine
 */
bool vmp_host_identity_compare(char *out, size_t size, const vmp_host_identity *planned,
			       const vmp_host_identity *actual);

/* What vmp_plan_host_check() found. */
typedef struct vmp_plan_host_result {
	bool same_host;        /* the identities match (old plans: the fingerprints do) */
	bool legacy;           /* the plan has no identity: compared by vmp_host_fingerprint() */
	bool missing_cpus;     /* a pin names a CPU this host does not have online */
	char differs[1024];    /* what makes it another machine, "; "-separated; "" if none */
	int nshortfalls;       /* free resources the plan needs and the host lacks */
	char shortfalls[4096]; /* one line each ("\n"-ended): the need, what is free, the fix */
} vmp_plan_host_result;

/**
 * Check a plan against the host it is about to be applied to: the identity (another
 * machine is named in out->differs), then every placed VM's needs against the host's free
 * resources now: its pinned CPUs exist and are online, the normal memory of its cells fits
 * each node's free memory, its hugepages fit each node's pool (the fix names the pages to
 * reserve and the nr_hugepages file), its cache ways are not held by other resctrl groups
 * and enough classes of service are free. Never fails; the caller decides what refuses.
 * @param out  the findings
 * @param plan the plan
 * @param host the host it is applied to (live, or probed through the same connection)
 * @param free_too false to check only the identity and the CPUs (the VMs already run and
 *                 hold their memory, as for verify)
 */
void vmp_plan_host_check(vmp_plan_host_result *out, const vmp_plan *plan, const vmp_host *host,
			 bool free_too);

/**
 * Is host the machine plan was made for, with every CPU the plan pins online? The identity
 * part of vmp_plan_host_check(), for commands that only need the yes or no.
 * @param differs what makes it another machine ("" when the same); truncated to size
 * @return true when the same machine
 */
bool vmp_plan_same_host(char *differs, size_t size, const vmp_plan *plan, const vmp_host *host);

/**
 * Hugepages a plan needs and the host's pools lack, one line per node and page size
 * ("node 0: 2048 pages of 2048 kB needed (vm 'db'), 0 free: reserve 2048 more: echo 2048 >
 * /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"), each "\n"-ended.
 * @param out  the lines, "" when every pool suffices; truncated to size
 * @param size bytes of out
 * @return the number of node and page-size pairs short
 */
int vmp_plan_hugepage_shortfalls(char *out, size_t size, const vmp_plan *plan,
				 const vmp_host *host);

#endif
