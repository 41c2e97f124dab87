/* cpu=shared VMs: memory on the nodes with room, vCPUs floating on the pool no one else holds. */
#include <stdio.h>

#include "planner/internal.h"
#include "vmplan/size.h"

/* Order the nodes for a shared VM: the device's node first, then free CPUs, then room. */
static void shared_order(const planner_state *st, int devnode, int *order, const int *freepus,
			 const uint64_t *room)
{
	for (int n = 0; n < st->h->nnodes; n++)
		order[n] = n;
	for (int i = 1; i < st->h->nnodes; i++)
		for (int j = i; j > 0; j--) {
			int a = order[j], b = order[j - 1];
			bool before = (a == devnode) != (b == devnode) ? a == devnode
				      : freepus[a] != freepus[b]       ? freepus[a] > freepus[b]
								       : room[a] > room[b];
			if (!before)
				break;
			order[j] = b;
			order[j - 1] = a;
		}
}

/*
 * Shared VMs: memory on the node(s) with room for it, near the device where one is named,
 * then with the most CPUs for the pool; the vCPUs float on the pool there. Without numa=,
 * the fewest nodes that hold the memory.
 */
bool planner_place_shared(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int devnode,
			  int max_cells)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	uint64_t mem[VMP_MAX_CELLS], vc[VMP_MAX_CELLS], *room = st->tmp.rooms;
	int *order = st->tmp.order, *freepus = st->tmp.caps;
	int v = 0, k, k_first, k_last, chosen[VMP_MAX_CELLS];

	planner_cell_range(h, r, max_cells, &k_first, &k_last);
	if (k_first > h->nnodes || (unsigned)k_first > r->vcpus) {
		planner_refuse(vm, VMP_BIND_SHAPE,
			       "asks for %d guest NUMA cells; the host has %d nodes and the VM %u "
			       "vCPUs",
			       k_first, h->nnodes, r->vcpus);
		return false;
	}
	for (int n = 0; n < h->nnodes; n++) {
		freepus[n] = planner_capacity(st, n, ANY_L3, VMP_THREADS_PREFER);
		room[n] = planner_mem_room(st, n, r->hugepage_bytes);
	}
	shared_order(st, devnode, order, freepus, room);
	/* The fewest cells whose shares fit, each on the first nodes in that order with room. */
	for (k = k_first; k <= k_last; k++) {
		int got = 0;
		planner_split(vc, k, r->vcpus, 1);
		planner_split(mem, k, r->memory_bytes,
			      r->hugepage_bytes ? r->hugepage_bytes : 1024 * 1024);
		if (mem[k - 1] == 0)
			break;
		/* planner_split() puts the larger shares first: the largest must fit every node. */
		for (int i = 0; i < h->nnodes && got < k; i++)
			if (room[order[i]] >= mem[0])
				chosen[got++] = order[i];
		if (got == k)
			break;
	}
	if (k <= k_last && r->numa_cells && mem[k - 1] == 0) {
		char a[32], b[32];
		vmp_size_format(a, sizeof(a), r->memory_bytes);
		vmp_size_format(b, sizeof(b), r->hugepage_bytes ? r->hugepage_bytes : 1024 * 1024);
		planner_refuse(vm, VMP_BIND_SHAPE,
			       "cpu=shared cannot split %s of memory into %d guest cells of whole "
			       "%s pages; lower numa, or use smaller pages",
			       a, k, b);
		return false;
	}
	if (k > k_last || mem[k - 1] == 0) {
		planner_explain_shared_failure(st, vm, k_last);
		return false;
	}
	if (k > 1 && st->explain)
		planner_append(&vm->explain, "no single node holds its memory; %d cells\n", k);
	for (int i = 0; i < k; i++) {
		planner_mem_take(st, undo, chosen[i], mem[i], r->hugepage_bytes);
		vm->cells[i].host_node = h->nodes[chosen[i]].id;
		vm->cells[i].memory_bytes = mem[i];
		vmp_cpuset_zero(&vm->cells[i].vcpus);
		vmp_cpuset_set_range(&vm->cells[i].vcpus, v, v + (int)vc[i] - 1);
		v += (int)vc[i];
	}
	vm->ncells = k;
	for (unsigned i = 0; i < r->vcpus; i++)
		vm->vcpupin[i] = -1;
	vm->score = SCORE_BASE - SCORE_PER_EXTRA_NODE * (k - 1);
	if (devnode >= 0)
		vm->score -=
		    SCORE_DEVICE * ((double)vmp_host_distance(h, chosen[0], devnode) - 10.0) / 10.0;
	return true;
}

/* A shared VM's CPUs: the pool on its nodes, or the whole pool where none is there. */
static void shared_cpus(const vmp_host *h, vmp_plan_vm *vm, const vmp_cpuset *pool)
{
	vmp_cpuset near = {0}, mine;

	for (int c = 0; c < vm->ncells; c++)
		vmp_cpuset_or(&near, &near,
			      &h->nodes[vmp_host_node_index(h, vm->cells[c].host_node)].cpus);
	vmp_cpuset_and(&mine, pool, &near);
	vm->pcpus = vmp_cpuset_empty(&mine) ? *pool : mine;
	vm->sockets = (unsigned)vm->ncells;
	vm->dies = 1;
	vm->threads = 1;
	vm->cores = vm->req.vcpus / vm->sockets;
	if (vm->req.vcpus % vm->sockets) {
		vm->sockets = 1;
		vm->cores = vm->req.vcpus;
	}
	vm->emulatorpin =
	    vm->req.emulator == VMP_EMULATOR_ISOLATE ? planner_housekeeping_near(h, vm) : vm->pcpus;
	vm->niothreads = (int)vm->req.iothreads;
	for (int t = 0; t < vm->niothreads; t++)
		vm->iothreadpin[t] =
		    vmp_cpuset_empty(&h->reserved) ? vm->pcpus : planner_housekeeping_near(h, vm);
}

/* The pool of shared VMs: every PU no dedicated vCPU, idle sibling or reservation holds. */
void planner_finish_shared(planner_state *st, vmp_plan *plan)
{
	const vmp_host *h = st->h;
	vmp_cpuset pool = {0};

	for (int p = 0; p < h->npus; p++)
		if (st->pu_free[p])
			vmp_cpuset_set(&pool, h->pus[p].os_index);
	for (int i = 0; i < plan->nvms; i++) {
		vmp_plan_vm *vm = &plan->vms[i];
		if (!vm->placed || vm->req.cpu != VMP_CPU_SHARED)
			continue;
		if (vmp_cpuset_empty(&pool)) {
			vm->placed = false;
			planner_refuse(
			    vm, VMP_BIND_SHARED_POOL,
			    "cpu=shared needs a pool of shared CPUs, but dedicated VMs and "
			    "the reservation hold every CPU; place fewer dedicated VMs");
			continue;
		}
		shared_cpus(h, vm, &pool);
		if (!planner_rdt_allocate(st, vm)) {
			vm->placed = false;
			continue;
		}
		if (st->explain) {
			char buf[256];
			vmp_cpuset_format(buf, sizeof(buf), &vm->pcpus);
			planner_append(&vm->explain, "shares CPUs %s with the other shared VMs\n",
				       buf);
		}
	}
}
