/* An independent checker of a plan's hard constraints, written apart from the planner. */
#ifndef VMPLAN_TEST_PLANCHECK_H
#define VMPLAN_TEST_PLANCHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/model.h"

/*
 * Returns NULL when every hard constraint holds, else a description of the
 * first violation (a static buffer). It looks only at the host model, the
 * requests inside the plan and the plan itself.
 */
static char plan_violation_why[512];

/* mem and pages: zeroed, one entry per node, to count what the plan takes. */
static const char *plan_violation_in(const vmp_host *h, const vmp_plan *plan, uint64_t *mem,
				     uint64_t (*pages)[VMP_PAGESIZES_MAX])
{
	char *why = plan_violation_why;
	vmp_cpuset dedicated = {0}; /* every PU a dedicated vCPU or an isolated core holds */
	uint64_t ways[VMP_RDT_DOMAINS_MAX] = {0};
	unsigned groups = 0;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		snprintf(why, sizeof(plan_violation_why), __VA_ARGS__);                            \
		return why;                                                                        \
	} while (0)

	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		const vmp_vm_request *r = &vm->req;
		vmp_cpuset mine = {0}, cores_touched = {0};
		bool shared = r->cpu == VMP_CPU_SHARED;

		if (!vm->placed)
			continue;
		if (vm->ncells < 1)
			FAIL("%s: placed with no cells", r->name);
		if (r->numa_cells && (unsigned)vm->ncells != r->numa_cells)
			FAIL("%s: %d cells, asked %u", r->name, vm->ncells, r->numa_cells);
		if (vm->sockets * vm->dies * vm->cores * vm->threads != r->vcpus)
			FAIL("%s: topology %u*%u*%u*%u != %u vCPUs", r->name, vm->sockets, vm->dies,
			     vm->cores, vm->threads, r->vcpus);
		/* Cells: distinct nodes, vCPUs partitioned, memory adds up. */
		uint64_t cell_mem = 0;
		vmp_cpuset all_vcpus = {0};
		for (int c = 0; c < vm->ncells; c++) {
			int n = vmp_host_node_index(h, vm->cells[c].host_node);
			if (n < 0)
				FAIL("%s: cell %d on missing node %d", r->name, c,
				     vm->cells[c].host_node);
			for (int d = 0; d < c; d++)
				if (vm->cells[d].host_node == vm->cells[c].host_node)
					FAIL("%s: two cells on node %d", r->name,
					     vm->cells[c].host_node);
			if (vmp_cpuset_intersects(&all_vcpus, &vm->cells[c].vcpus))
				FAIL("%s: a vCPU in two cells", r->name);
			vmp_cpuset_or(&all_vcpus, &all_vcpus, &vm->cells[c].vcpus);
			cell_mem += vm->cells[c].memory_bytes;
			if (r->hugepage_bytes) {
				int k = -1;
				bool any_pool = false;
				for (int m = 0; m < h->nnodes; m++)
					for (int q = 0; q < h->nodes[m].nhugepages; q++)
						if (h->nodes[m].hugepages[q].size_kib * 1024 ==
							r->hugepage_bytes &&
						    h->nodes[m].hugepages[q].total)
							any_pool = true;
				for (int q = 0; q < h->nodes[n].nhugepages; q++)
					if (h->nodes[n].hugepages[q].size_kib * 1024 ==
					    r->hugepage_bytes)
						k = q;
				if (vm->cells[c].memory_bytes % r->hugepage_bytes)
					FAIL("%s: cell memory not whole pages", r->name);
				if (any_pool) {
					if (k < 0)
						FAIL("%s: hugepages on node %d without a pool",
						     r->name, vm->cells[c].host_node);
					pages[n][k] +=
					    vm->cells[c].memory_bytes / r->hugepage_bytes;
					if (pages[n][k] > h->nodes[n].hugepages[k].free)
						FAIL("node %d: hugepage pool overcommitted",
						     h->nodes[n].id);
					continue;
				}
			}
			mem[n] += vm->cells[c].memory_bytes;
			if (mem[n] > h->nodes[n].free_bytes)
				FAIL("node %d: memory overcommitted by %s", h->nodes[n].id,
				     r->name);
		}
		if (cell_mem != r->memory_bytes)
			FAIL("%s: cells hold %llu bytes, asked %llu", r->name,
			     (unsigned long long)cell_mem, (unsigned long long)r->memory_bytes);
		if (vmp_cpuset_count(&all_vcpus) != (int)r->vcpus)
			FAIL("%s: cells cover %d vCPUs of %u", r->name,
			     vmp_cpuset_count(&all_vcpus), r->vcpus);
		if (r->emulator == VMP_EMULATOR_ISOLATE &&
		    !vmp_cpuset_subset(&vm->emulatorpin, &h->reserved))
			FAIL("%s: isolated emulator outside the reserved CPUs", r->name);
		if (vmp_cpuset_empty(&vm->emulatorpin))
			FAIL("%s: no emulatorpin", r->name);
		if (vm->niothreads != (int)r->iothreads)
			FAIL("%s: %d iothreads, asked %u", r->name, vm->niothreads, r->iothreads);
		if (shared)
			continue;

		for (unsigned v = 0; v < r->vcpus; v++) {
			int cpu = vm->vcpupin[v], p = vmp_host_pu_index(h, cpu);
			if (p < 0 || !vmp_cpuset_isset(&h->online, cpu))
				FAIL("%s: vCPU %u on CPU %d, not online", r->name, v, cpu);
			if (vmp_cpuset_isset(&h->reserved, cpu))
				FAIL("%s: vCPU %u on reserved CPU %d", r->name, v, cpu);
			if (vmp_cpuset_isset(&h->used, cpu))
				FAIL("%s: vCPU %u on CPU %d of an existing VM", r->name, v, cpu);
			if (vmp_cpuset_isset(&mine, cpu))
				FAIL("%s: two vCPUs on CPU %d", r->name, cpu);
			vmp_cpuset_set(&mine, cpu);
			int cell = -1;
			for (int c = 0; c < vm->ncells; c++)
				if (vmp_cpuset_isset(&vm->cells[c].vcpus, (int)v))
					cell = c;
			if (cell < 0 || h->nodes[h->pus[p].node].id != vm->cells[cell].host_node)
				FAIL("%s: vCPU %u on CPU %d outside its cell's node", r->name, v,
				     cpu);
			vmp_cpuset_set(&cores_touched, h->pus[p].core);
		}
		if (!vmp_cpuset_equal(&mine, &vm->pcpus))
			FAIL("%s: pcpus differ from the pins", r->name);
		int core;
		VMP_CPUSET_FOREACH (core, &cores_touched) {
			vmp_cpuset in_core;
			vmp_cpuset_and(&in_core, &h->cores[core].pus, &mine);
			int n = vmp_cpuset_count(&in_core),
			    size = vmp_cpuset_count(&h->cores[core].pus);
			if (r->threads == VMP_THREADS_ISOLATE && n != 1)
				FAIL("%s: threads=isolate with %d vCPUs on core %d", r->name, n,
				     h->cores[core].id);
			if (r->threads == VMP_THREADS_REQUIRE && n != size)
				FAIL("%s: threads=require on part of core %d", r->name,
				     h->cores[core].id);
			if (r->threads == VMP_THREADS_ISOLATE) {
				/* The whole core is this VM's; its siblings idle. */
				if (vmp_cpuset_intersects(&h->cores[core].pus, &dedicated) ||
				    vmp_cpuset_intersects(&h->cores[core].pus, &h->reserved) ||
				    vmp_cpuset_intersects(&h->cores[core].pus, &h->used))
					FAIL("%s: isolated core %d shared", r->name,
					     h->cores[core].id);
				vmp_cpuset_or(&mine, &mine, &h->cores[core].pus);
			}
		}
		/* I/O threads given CPUs of their own (near a device, off the reserve). */
		for (int t = 0; t < vm->niothreads; t++)
			if (!vmp_cpuset_subset(&vm->iothreadpin[t], &h->reserved) &&
			    !vmp_cpuset_subset(&vm->iothreadpin[t], &vm->pcpus))
				vmp_cpuset_or(&mine, &mine, &vm->iothreadpin[t]);
		if (vmp_cpuset_intersects(&mine, &dedicated))
			FAIL("%s: shares a dedicated CPU with another VM", r->name);
		vmp_cpuset_or(&dedicated, &dedicated, &mine);
		if (vm->threads > 1)
			for (unsigned v = 0; v < r->vcpus; v += vm->threads)
				for (unsigned t = 1; t < vm->threads; t++)
					if (h->pus[vmp_host_pu_index(h, vm->vcpupin[v])].core !=
					    h->pus[vmp_host_pu_index(h, vm->vcpupin[v + t])].core)
						FAIL("%s: guest threads=%u but vCPUs %u,%u are not "
						     "siblings",
						     r->name, vm->threads, v, v + t);
		/* Cache ways: contiguous, in the mask, enough, disjoint. */
		const vmp_rdt_cache *l3 = &h->resctrl.l3;
		for (int t = 0; t < vm->ncachetune; t++) {
			const vmp_plan_cachetune *ct = &vm->cachetune[t];
			uint64_t m = ct->ways_mask;
			int d = -1;
			for (int k = 0; k < l3->ndomains; k++)
				if (l3->domains[k].id == ct->cache_id)
					d = k;
			if (d < 0)
				FAIL("%s: cachetune on unknown cache %d", r->name, ct->cache_id);
			if (!m || (m & ~l3->cbm_mask))
				FAIL("%s: ways 0x%llx outside the mask", r->name,
				     (unsigned long long)m);
			if ((unsigned)__builtin_popcountll(m) < l3->min_cbm_bits)
				FAIL("%s: fewer ways than min_cbm_bits", r->name);
			uint64_t low = m & -m;
			if (((m + low) & m) != 0)
				FAIL("%s: ways 0x%llx not contiguous", r->name,
				     (unsigned long long)m);
			if (m & l3->domains[d].used_mask)
				FAIL("%s: ways held by an existing group", r->name);
			/* With CDP the code and data entries of one VM share the mask. */
			if (strcmp(ct->type, "data") && (ways[d] & m))
				FAIL("%s: ways 0x%llx given twice in cache %d", r->name,
				     (unsigned long long)m, ct->cache_id);
			ways[d] |= m;
		}
		const vmp_rdt_mb *mb = &h->resctrl.mb;
		for (int t = 0; t < vm->nmemorytune; t++) {
			unsigned b = vm->memorytune[t].bandwidth;
			if (b < mb->min_bandwidth || (mb->bandwidth_gran && b % mb->bandwidth_gran))
				FAIL("%s: bandwidth %u breaks min %u / granularity %u", r->name, b,
				     mb->min_bandwidth, mb->bandwidth_gran);
		}
		if (vm->ncachetune || vm->nmemorytune)
			groups++;
	}
	/* The kernel's rule, written out here rather than taken from the model's helper. */
	unsigned closids = UINT32_MAX;
	if (h->resctrl.l3.present && h->resctrl.l3.num_closids)
		closids = h->resctrl.l3.num_closids;
	if (h->resctrl.l2.present && h->resctrl.l2.num_closids &&
	    h->resctrl.l2.num_closids < closids)
		closids = h->resctrl.l2.num_closids;
	if (h->resctrl.mb.present && h->resctrl.mb.num_closids &&
	    h->resctrl.mb.num_closids < closids)
		closids = h->resctrl.mb.num_closids;
	if (groups + h->resctrl.groups_used > closids)
		FAIL("%u resctrl groups, only %u closids", groups + h->resctrl.groups_used,
		     closids);
	/* Shared VMs float only where nothing dedicated or reserved is. */
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		if (vm->placed && vm->req.cpu == VMP_CPU_SHARED &&
		    (vmp_cpuset_intersects(&vm->pcpus, &dedicated) ||
		     vmp_cpuset_intersects(&vm->pcpus, &h->reserved) ||
		     vmp_cpuset_empty(&vm->pcpus)))
			FAIL("%s: shared pool overlaps dedicated or reserved CPUs", vm->req.name);
	}
#undef FAIL
	return NULL;
}

static const char *plan_violation(const vmp_host *h, const vmp_plan *plan)
{
	size_t n = h->nnodes > 0 ? (size_t)h->nnodes : 1;
	uint64_t *mem = calloc(n, sizeof(*mem));
	uint64_t(*pages)[VMP_PAGESIZES_MAX] = calloc(n, sizeof(*pages));
	const char *why = "the checker is out of memory";

	if (mem && pages)
		why = plan_violation_in(h, plan, mem, pages);
	free(mem);
	free(pages);
	return why;
}

#endif
