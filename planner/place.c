/* Placing one VM: dedicated vCPUs on the cheapest node, its threads, and the retry for cache. */
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "planner/internal.h"
#include "vmplan/size.h"

const char *const planner_thread_names[] = {"prefer", "isolate", "require"};

/* ---- helpers ---- */

void planner_split(uint64_t *out, int k, uint64_t total, uint64_t unit)
{
	uint64_t units = total / unit;

	for (int i = 0; i < k; i++)
		out[i] = (units / k + ((uint64_t)i < units % k ? 1 : 0)) * unit;
	out[k - 1] += total - units * unit;
}

/*
 * numa=N alone, else 1 up to the nodes, at most VMP_MAX_CELLS, max_cells and (a cell needs
 * a vCPU) the vCPUs.
 */
void planner_cell_range(const vmp_host *h, const vmp_vm_request *r, int max_cells, int *first,
			int *last)
{
	*first = r->numa_cells ? (int)r->numa_cells : 1;
	*last = r->numa_cells ? (int)r->numa_cells : h->nnodes;
	if (!r->numa_cells) {
		if (*last > VMP_MAX_CELLS)
			*last = VMP_MAX_CELLS;
		if (*last > max_cells)
			*last = max_cells;
		if (*last > (int)r->vcpus)
			*last = (int)r->vcpus;
		if (*last < *first)
			*last = *first;
	}
}

int planner_device_node(const vmp_host *h, const char *device)
{
	if (!device[0])
		return -1;
	for (int i = 0; i < h->ndevices; i++)
		if (!strcmp(h->devices[i].name, device) || !strcmp(h->devices[i].pci, device))
			return h->devices[i].node;
	return -1;
}

static double node_triad(const vmp_host *h, int n)
{
	return h->triad_gbs ? h->triad_gbs[(size_t)n * h->nnodes + n] : 0.0;
}

/* GB/s a VM is expected to draw from each of its nodes: its cap, when it has one. */
static double bw_demand(const vmp_host *h, const vmp_vm_request *r, int node, int ncells)
{
	if (r->membw_mbps)
		return (double)r->membw_mbps / 1000.0 / ncells;
	if (r->membw_percent && node_triad(h, node) > 0)
		return node_triad(h, node) * r->membw_percent / 100.0 / ncells;
	return 0.0;
}

/*
 * Guest CPU topology that matches the placement: one socket per cell when
 * the cells are equal, and threads > 1 only where every group of that many
 * consecutive vCPUs sits on the siblings of one core.
 */
static void guest_topology(vmp_plan_vm *vm, const vmp_host *h, int max_core)
{
	unsigned v = vm->req.vcpus, t = (unsigned)max_core;
	bool equal = true;

	for (int i = 1; i < vm->ncells; i++)
		if (vmp_cpuset_count(&vm->cells[i].vcpus) != vmp_cpuset_count(&vm->cells[0].vcpus))
			equal = false;
	vm->sockets = equal ? (unsigned)vm->ncells : 1;
	vm->dies = 1;
	if (vm->req.cpu == VMP_CPU_SHARED)
		t = 1;
	for (; t > 1; t--) {
		bool ok = (v / vm->sockets) % t == 0;
		for (unsigned i = 0; ok && i < v; i += t) {
			int core = h->pus[vmp_host_pu_index(h, vm->vcpupin[i])].core;
			for (unsigned j = 1; j < t; j++)
				if (h->pus[vmp_host_pu_index(h, vm->vcpupin[i + j])].core != core)
					ok = false;
		}
		if (ok)
			break;
	}
	vm->threads = t;
	vm->cores = v / vm->sockets / t;
}

/* ---- dedicated vCPUs ---- */

/*
 * Given order's fit (internal.h): the shares of the node's CPUs (free PUs) and memory (its
 * pool's) that placing n vCPUs of r leaves, cl and ml. What a node keeps of one resource once
 * the other is too short for another VM like r is stranded; then the two shares should stay
 * alike, so that the node's room keeps the shape VMs ask for.
 */
static double given_fit(const planner_state *st, const vmp_vm_request *r, int node, int n)
{
	int pus = planner_capacity_empty(st, node, VMP_THREADS_PREFER);
	int free_pus = planner_capacity(st, node, ANY_L3, VMP_THREADS_PREFER);
	int take = r->threads == VMP_THREADS_ISOLATE ? n * st->max_core : n;
	uint64_t mem = planner_mem_room_empty(st, node, r->hugepage_bytes);
	double room = (double)planner_mem_room(st, node, r->hugepage_bytes);
	double m = (double)r->memory_bytes * n / r->vcpus;
	double cl = (free_pus - take) / (double)(pus > 0 ? pus : 1);
	double ml = (room - m) / (mem > 0 ? (double)mem : 1.0), stranded = 0;

	if (room - m < m)
		stranded += cl;
	if (free_pus - take < take)
		stranded += ml;
	return COST_FIT * (stranded + fabs(cl - ml));
}

/* The cost of putting n vCPUs of r on node (lower is better); terms into out. */
static double node_cost(const planner_state *st, const vmp_vm_request *r, int node, int n,
			int devnode, double *terms)
{
	const vmp_host *h = st->h;
	int cap = planner_capacity(st, node, ANY_L3, r->threads);
	double fit, l3, dev = 0, bw = 0;

	if (st->given)
		fit = given_fit(st, r, node, n);
	else
		fit = COST_FIT * (cap - n) / (double)(cap > 0 ? cap : 1);
	l3 = COST_L3 * (planner_l3_needed(st, node, r->threads, n, false) -
			planner_l3_needed(st, node, r->threads, n, true));
	if (devnode >= 0)
		dev = COST_DEVICE * ((double)vmp_host_distance(h, node, devnode) - 10.0) / 10.0;
	if (node_triad(h, node) > 0)
		bw = COST_BANDWIDTH * (st->bw_demand[node] + bw_demand(h, r, node, 1)) /
		     node_triad(h, node);
	if (terms) {
		terms[0] = fit;
		terms[1] = l3;
		terms[2] = dev;
		terms[3] = bw;
	}
	return fit + l3 + dev + bw;
}

bool planner_try_nodes(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, const int *nodes,
		       int k, int *l3_used)
{
	const vmp_vm_request *r = &vm->req;
	uint64_t mem[VMP_MAX_CELLS] = {0}, vc[VMP_MAX_CELLS] = {0};
	int unit = r->threads == VMP_THREADS_REQUIRE ? st->max_core : 1;
	int pus[VMP_MAX_VCPUS];
	int v = 0;

	if ((int)r->vcpus < k || ((int)r->vcpus % unit) != 0)
		return false;
	planner_split(vc, k, r->vcpus, (uint64_t)unit);
	planner_split(mem, k, r->memory_bytes, r->hugepage_bytes ? r->hugepage_bytes : 1024 * 1024);
	for (int i = 0; i < k; i++)
		if (vc[i] == 0 || mem[i] == 0 ||
		    planner_mem_room(st, nodes[i], r->hugepage_bytes) < mem[i] ||
		    planner_capacity(st, nodes[i], ANY_L3, r->threads) < (int)vc[i])
			return false;
	*l3_used = 0;
	for (int i = 0; i < k; i++) {
		int l3 = planner_place_on_node(st, undo, nodes[i], r->threads, (int)vc[i], pus + v);
		if (l3 < 0) {
			planner_undo_apply(st, undo, r->hugepage_bytes);
			return false;
		}
		*l3_used += l3;
		planner_mem_take(st, undo, nodes[i], mem[i], r->hugepage_bytes);
		vmp_plan_cell *cell = &vm->cells[i];
		cell->host_node = st->h->nodes[nodes[i]].id;
		cell->memory_bytes = mem[i];
		vmp_cpuset_zero(&cell->vcpus);
		vmp_cpuset_set_range(&cell->vcpus, v, v + (int)vc[i] - 1);
		v += (int)vc[i];
	}
	for (unsigned i = 0; i < r->vcpus; i++)
		vm->vcpupin[i] = st->h->pus[pus[i]].os_index;
	vm->ncells = k;
	return true;
}

/* The node of lowest cost that holds all of vm, or -1; each one weighed in the explanation. */
static int cheapest_node(planner_state *st, vmp_plan_vm *vm, int devnode)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	int best = -1;
	double best_cost = 0, terms[4];

	for (int n = 0; n < h->nnodes; n++) {
		int cap = planner_capacity(st, n, ANY_L3, r->threads);
		uint64_t room = planner_mem_room(st, n, r->hugepage_bytes);
		if (st->node_skip[n])
			continue; /* said why when it was ruled out */
		if (cap < (int)r->vcpus || room < r->memory_bytes) {
			if (st->explain) {
				char a[32];
				vmp_size_human(a, sizeof(a), room);
				planner_append(
				    &vm->explain,
				    "rejected node %d: %d free vCPUs (threads=%s), %s free "
				    "%s\n",
				    h->nodes[n].id, cap, planner_thread_names[r->threads], a,
				    r->hugepage_bytes ? "hugepage memory" : "memory");
			}
			continue;
		}
		double cost = node_cost(st, r, n, (int)r->vcpus, devnode, terms);
		if (st->explain)
			planner_append(
			    &vm->explain,
			    "candidate node %d: cost %.2f (fit %.2f, L3 %.2f, device %.2f, "
			    "bandwidth %.2f)\n",
			    h->nodes[n].id, cost, terms[0], terms[1], terms[2], terms[3]);
		if (best < 0 || cost < best_cost - 1e-9) {
			best = n;
			best_cost = cost;
		}
	}
	return best;
}

/* A placed dedicated VM's score (see internal.h), and its L3 domains in the explanation. */
static void dedicated_score(const planner_state *st, vmp_plan_vm *vm, int devnode, int l3_used,
			    uint32_t dist)
{
	const vmp_host *h = st->h;
	int fewest = 0, pairs = vm->ncells * (vm->ncells - 1) / 2;

	for (int i = 0; i < vm->ncells; i++)
		fewest +=
		    planner_l3_needed(st, vmp_host_node_index(h, vm->cells[i].host_node),
				      vm->req.threads, vmp_cpuset_count(&vm->cells[i].vcpus), true);
	vm->score = SCORE_BASE - SCORE_PER_EXTRA_NODE * (vm->ncells - 1) -
		    ((double)dist - 10.0 * pairs) / 2.0 -
		    SCORE_PER_EXTRA_L3 * (l3_used > fewest ? l3_used - fewest : 0);
	if (devnode >= 0) {
		int n = vmp_host_node_index(h, vm->cells[0].host_node);
		vm->score -=
		    SCORE_DEVICE * ((double)vmp_host_distance(h, n, devnode) - 10.0) / 10.0;
	}
	if (st->explain)
		planner_append(&vm->explain, "L3 domains used: %d (fewest possible %d)\n", l3_used,
			       fewest);
}

/* The nodes the exact solver chose (force_nodes), unless one of them is ruled out. */
static bool place_forced(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int *l3_used,
			 uint32_t *dist)
{
	const vmp_host *h = st->h;
	int k = st->force_k;

	*dist = 0;
	for (int i = 0; i < k; i++) {
		if (st->node_skip[st->force_nodes[i]])
			return false;
		for (int j = 0; j < i; j++)
			*dist += vmp_host_distance(h, st->force_nodes[i], st->force_nodes[j]);
	}
	if (!planner_try_nodes(st, undo, vm, st->force_nodes, k, l3_used))
		return false;
	if (st->explain)
		planner_append(&vm->explain, "the exact solver chose %d node%s\n", k,
			       k > 1 ? "s" : "");
	return true;
}

/* Whether one node of the host, as it was before this plan's VMs, would hold all of r. */
static bool one_node_held(const planner_state *st, const vmp_vm_request *r)
{
	for (int n = 0; n < st->h->nnodes; n++)
		if (planner_capacity_empty(st, n, r->threads) >= (int)r->vcpus &&
		    planner_mem_room_empty(st, n, r->hugepage_bytes) >= r->memory_bytes)
			return true;
	return false;
}

/*
 * Given order does not spread vm over partly used nodes: say what one node lacks, when a
 * spread would have held it (else the usual reason: nothing would).
 */
static void refuse_spread(const planner_state *st, vmp_plan_vm *vm)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	int cpu_node = 0, most_cpus = -1, mem_node = 0;
	uint64_t most_mem = 0;
	char want[32], have[32];

	if (!planner_fewest_nodes(st, r)) {
		planner_explain_failure(st, vm);
		return;
	}
	for (int n = 0; n < h->nnodes; n++) {
		int cap = planner_capacity(st, n, ANY_L3, r->threads);
		uint64_t room = planner_mem_room(st, n, r->hugepage_bytes);
		if (cap > most_cpus) {
			most_cpus = cap;
			cpu_node = n;
		}
		if (room > most_mem || n == 0) {
			most_mem = room;
			mem_node = n;
		}
	}
	vmp_size_human(want, sizeof(want), r->memory_bytes);
	vmp_size_human(have, sizeof(have), most_mem);
	planner_refuse(
	    vm, VMP_BIND_NODE_FIT,
	    "needs %u dedicated vCPUs (threads=%s) and %s of %s on one node, but no node "
	    "has both now: the most CPUs free are %d (node %d), the most %s %s (node %d); "
	    "given order does not spread a VM that one node of the host holds over "
	    "partly used nodes (it would strand their room): --order batch or numa=N "
	    "may place it",
	    r->vcpus, planner_thread_names[r->threads], want,
	    r->hugepage_bytes ? "hugepage memory" : "memory", most_cpus, h->nodes[cpu_node].id,
	    r->hugepage_bytes ? "hugepage memory" : "memory", have, h->nodes[mem_node].id);
	if (st->explain)
		planner_append(&vm->explain, "not spread: one node of the host holds it (given "
					     "order keeps the partly used nodes' room whole)\n");
}

/* Dedicated vCPUs: one node when one fits (lowest cost), else the fewest nearest nodes. */
static bool place_dedicated(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int devnode,
			    int max_cells)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	int k_first, k_last, l3_used = 0;
	uint32_t dist = 0;
	bool ok = false;

	planner_cell_range(h, r, max_cells, &k_first, &k_last);
	if (r->numa_cells > (unsigned)h->nnodes) {
		planner_refuse(vm, VMP_BIND_SHAPE,
			       "asks for %u guest NUMA cells but the host has %d NUMA nodes; ask "
			       "for numa=%d or fewer",
			       r->numa_cells, h->nnodes, h->nnodes);
		return false;
	}
	if (st->force_k > 0)
		ok = place_forced(st, undo, vm, &l3_used, &dist);
	for (int k = k_first; k <= k_last && !ok && st->force_k == 0; k++) {
		/* Given order spreads only what no node holds (internal.h). */
		if (k == 2 && !r->numa_cells && st->given && one_node_held(st, r)) {
			refuse_spread(st, vm);
			return false;
		}
		/* Spreading: start at the fewest nodes that could hold it. */
		if (k == 2 && !r->numa_cells) {
			int fewest = planner_fewest_nodes(st, r);
			if (!fewest || fewest > k_last)
				break;
			if (fewest > k)
				k = fewest;
		}
		if (k > 1) {
			ok = planner_place_spread(st, undo, vm, k, &l3_used, &dist);
			if (ok && st->explain)
				planner_append(&vm->explain,
					       "no single node holds it; spread over %d nodes at "
					       "total distance %u\n",
					       k, dist);
			continue;
		}
		int best = cheapest_node(st, vm, devnode);
		ok = best >= 0 && planner_try_nodes(st, undo, vm, &best, 1, &l3_used);
		if (ok && st->explain)
			planner_append(&vm->explain, "chose node %d, the lowest cost\n",
				       h->nodes[best].id);
	}
	if (!ok) {
		if (!vm->reason[0])
			planner_explain_failure(st, vm);
		return false;
	}
	dedicated_score(st, vm, devnode, l3_used, dist);
	return true;
}

/* ---- emulator and I/O threads ---- */

vmp_cpuset planner_housekeeping_near(const vmp_host *h, const vmp_plan_vm *vm)
{
	vmp_cpuset near = {0}, out;

	for (int i = 0; i < vm->ncells; i++)
		vmp_cpuset_or(&near, &near,
			      &h->nodes[vmp_host_node_index(h, vm->cells[i].host_node)].cpus);
	vmp_cpuset_and(&out, &near, &h->reserved);
	return vmp_cpuset_empty(&out) ? h->reserved : out;
}

/* No housekeeping CPU near the device: give the I/O threads a free CPU of their own there. */
static void iothreads_own_cpu(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int devnode,
			      vmp_cpuset *pin)
{
	const vmp_host *h = st->h;
	int got = -1;

	for (int i = st->node_core_start[devnode]; i < st->node_core_start[devnode + 1] && got < 0;
	     i++)
		for (int j = st->core_pu_start[st->node_core[i]];
		     j < st->core_pu_start[st->node_core[i] + 1]; j++)
			if (st->pu_free[st->core_pu[j]]) {
				got = st->core_pu[j];
				break;
			}
	if (got >= 0) {
		planner_take_pu(st, undo, got);
		vmp_cpuset_zero(pin);
		vmp_cpuset_set(pin, h->pus[got].os_index);
	}
	if (st->explain && got >= 0)
		planner_append(&vm->explain,
			       "I/O threads get CPU %d of their own near the device\n",
			       h->pus[got].os_index);
	else if (st->explain)
		planner_append(&vm->explain, "no CPU is free near the device; I/O threads share "
					     "the VM's CPUs\n");
}

/* Emulator and I/O threads of a dedicated VM. */
static void place_threads(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int devnode)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;

	if (r->emulator == VMP_EMULATOR_ISOLATE)
		vm->emulatorpin = planner_housekeeping_near(h, vm);
	else
		vm->emulatorpin = vm->pcpus;

	vm->niothreads = (int)r->iothreads;
	if (!r->iothreads)
		return;
	vmp_cpuset pin = vm->pcpus;
	if (r->iothread_policy == VMP_IOTHREADS_NEAR_DEVICE && devnode >= 0) {
		vmp_cpuset near;
		vmp_cpuset_and(&near, &h->nodes[devnode].cpus, &h->reserved);
		if (!vmp_cpuset_empty(&near))
			pin = near;
		else
			iothreads_own_cpu(st, undo, vm, devnode, &pin);
	} else if (!vmp_cpuset_empty(&h->reserved)) {
		pin = planner_housekeeping_near(h, vm);
	} else if (st->explain) {
		planner_append(&vm->explain, "no housekeeping CPUs; I/O threads share the VM's "
					     "CPUs\n");
	}
	for (int i = 0; i < vm->niothreads; i++)
		vm->iothreadpin[i] = pin;
}

/* ---- one VM ---- */

static void vm_clear(vmp_plan_vm *vm)
{
	vm->ncells = vm->niothreads = vm->ncachetune = vm->nmemorytune = 0;
}

/* One try at placing vm on the nodes not ruled out; false with vm->reason set. */
static bool place_once(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int devnode,
		       int max_cells)
{
	const vmp_vm_request *r = &vm->req;

	if (r->cpu == VMP_CPU_SHARED)
		/* Its pool, emulator and I/O threads, cache and bandwidth come once all dedicated
		 * VMs are in (planner_finish_shared()). */
		return planner_place_shared(st, undo, vm, devnode, max_cells);
	if (!place_dedicated(st, undo, vm, devnode, max_cells))
		return false;
	vmp_cpuset_zero(&vm->pcpus);
	for (unsigned i = 0; i < r->vcpus; i++)
		vmp_cpuset_set(&vm->pcpus, vm->vcpupin[i]);
	guest_topology(vm, st->h, st->max_core);
	place_threads(st, undo, vm, devnode);
	return planner_rdt_allocate(st, vm);
}

/*
 * The ways may be free in another node's L3: rule out the nodes just tried that share the
 * L3 without ways (the VM's other nodes may serve again). Whether a node was newly ruled
 * out, so that another try may succeed.
 */
static bool rule_out_cache_nodes(planner_state *st, vmp_plan_vm *vm)
{
	const vmp_host *h = st->h;
	bool retry = false;

	for (int i = 0; i < vm->ncells; i++) {
		int n = vmp_host_node_index(h, vm->cells[i].host_node);
		vmp_cpuset both;
		if (st->failed_l3 >= 0) {
			vmp_cpuset_and(&both, &h->nodes[n].cpus, &h->l3s[st->failed_l3].cpus);
			if (vmp_cpuset_empty(&both))
				continue;
		}
		retry |= !st->node_skip[n];
		st->node_skip[n] = 1;
		if (st->explain)
			planner_append(&vm->explain, "rejected node %d: %s; trying the others\n",
				       vm->cells[i].host_node, vm->reason);
	}
	return retry;
}

/* What a placed VM adds to the plan: its cells' distances, bandwidth demand, pool notes. */
static void vm_placed(planner_state *st, vmp_plan_vm *vm)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;

	/* The guest sees the host's distances between its cells' nodes. */
	for (int i = 0; i < vm->ncells; i++) {
		memset(vm->cells[i].distances, 0, sizeof(vm->cells[i].distances));
		for (int j = 0; h->distances && vm->ncells > 1 && j < vm->ncells; j++) {
			uint32_t d =
			    vmp_host_distance(h, vmp_host_node_index(h, vm->cells[i].host_node),
					      vmp_host_node_index(h, vm->cells[j].host_node));
			vm->cells[i].distances[j] = (uint8_t)(d > 255 ? 255 : d);
		}
	}
	for (int i = 0; i < vm->ncells; i++) {
		int n = vmp_host_node_index(h, vm->cells[i].host_node);
		st->bw_demand[n] += bw_demand(h, r, n, vm->ncells);
		if (st->explain && r->hugepage_bytes &&
		    !planner_pool_configured(h, r->hugepage_bytes))
			planner_append(
			    &vm->explain,
			    "the host has no %" PRIu64 "kB hugepage pool: reserve %" PRIu64
			    " pages on node %d (nr_hugepages of "
			    "node%d/hugepages/hugepages-%" PRIu64 "kB)\n",
			    r->hugepage_bytes / 1024, vm->cells[i].memory_bytes / r->hugepage_bytes,
			    vm->cells[i].host_node, vm->cells[i].host_node,
			    r->hugepage_bytes / 1024);
	}
	vm->placed = true;
	st->gen++; /* bandwidth promised: a change even where no PU or memory was taken */
}

/* Try until it fits or no node is left to rule out; false with the reason set. */
static bool place_retrying(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int devnode,
			   int max_cells)
{
	const vmp_vm_request *r = &vm->req;
	char cache_reason[VMP_REASON_MAX] = "";
	unsigned long gen = st->gen;

	for (;;) {
		bool retry = false;
		if (place_once(st, undo, vm, devnode, max_cells))
			return true;
		if (vm->bind == VMP_BIND_CACHE && vm->ncells > 0) {
			snprintf(cache_reason, sizeof(cache_reason), "%s", vm->reason);
			retry = rule_out_cache_nodes(st, vm);
		}
		st->failed_l3 = -1;
		planner_undo_apply(st, undo, r->hugepage_bytes);
		vm_clear(vm);
		if (!retry)
			break;
		vm->reason[0] = '\0';
		vm->bind = VMP_BIND_NONE;
	}
	/* Everything taken is given back: the state is as this VM found it. */
	st->gen = gen;
	/* Where the other nodes had no room at all, the ways are what bound it. */
	if (cache_reason[0] && vm->bind != VMP_BIND_CACHE)
		planner_refuse(vm, VMP_BIND_CACHE, "%s", cache_reason);
	if (!vm->reason[0])
		planner_explain_failure(st, vm);
	return false;
}

/* Two requests alike but for their names. */
static bool same_but_name(const vmp_vm_request *a, const vmp_vm_request *b)
{
	const size_t skip = offsetof(vmp_vm_request, name) + sizeof(a->name);

	_Static_assert(offsetof(vmp_vm_request, name) == 0, "the name leads the request");
	return !memcmp((const char *)a + skip, (const char *)b + skip, sizeof(*a) - skip);
}

/* The refusal of an earlier VM alike, on the same state, given to vm; false when none. */
static bool fail_memo_reuse(const planner_state *st, vmp_plan_vm *vm, int max_cells)
{
	for (int i = 0; i < PLANNER_FAIL_MEMOS; i++) {
		const planner_fail_memo *m = &st->tmp.fail[i];
		if (!m->valid || m->gen != st->gen || m->max_cells != max_cells ||
		    !same_but_name(&m->req, &vm->req))
			continue;
		vm_clear(vm);
		memcpy(vm->reason, m->reason, sizeof(vm->reason));
		vm->bind = (vmp_bind)m->bind;
		if (m->wrote_score)
			vm->score = m->score;
		return true;
	}
	return false;
}

static void fail_memo_keep(const planner_state *st, const vmp_plan_vm *vm, int max_cells,
			   bool wrote_score)
{
	planner_fail_memo *m = &st->tmp.fail[0];

	/* A free slot, or one written before the state last changed, else the first. */
	for (int i = 0; i < PLANNER_FAIL_MEMOS; i++)
		if (!st->tmp.fail[i].valid || st->tmp.fail[i].gen != st->gen) {
			m = &st->tmp.fail[i];
			break;
		}
	m->valid = true;
	m->gen = st->gen;
	m->max_cells = max_cells;
	m->req = vm->req;
	m->wrote_score = wrote_score;
	m->score = vm->score;
	m->bind = (int)vm->bind;
	memcpy(m->reason, vm->reason, sizeof(m->reason));
}

void planner_place_vm(planner_state *st, vmp_plan_vm *vm, int max_cells)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	int devnode = planner_device_node(h, r->device);
	planner_undo undo = {0};

	undo.pus = st->tmp.undo_pus;
	vm->placed = false;
	vm->reason[0] = '\0';
	vm->bind = VMP_BIND_NONE;
	vm_clear(vm);
	if (r->device[0] && devnode < 0 && st->explain)
		planner_append(&vm->explain,
			       "device '%s' is not known on this host; placed "
			       "without regard to it\n",
			       r->device);
	if ((r->emulator == VMP_EMULATOR_ISOLATE) && vmp_cpuset_empty(&h->reserved)) {
		planner_refuse(
		    vm, VMP_BIND_HOUSEKEEPING,
		    "emulator=isolate needs housekeeping CPUs and none are reserved; use "
		    "--reserve (or auto) or emulator=share");
		return;
	}
	/* Memos only where a refusal writes nothing else: no explanation, no forced nodes. */
	bool memo = !st->explain && st->force_k == 0;
	if (memo && fail_memo_reuse(st, vm, max_cells))
		return;
	/* Room for what a placement writes: cells as planner_cell_range() allows (a cell holds
	 * a vCPU at least), or as the exact solver forces. */
	bool rdt_cache = r->cache_bytes > 0, rdt_mb = r->membw_percent || r->membw_mbps;
	int cells = (int)(r->numa_cells > r->vcpus ? r->numa_cells : r->vcpus);
	if (st->force_k > cells)
		cells = st->force_k;
	if (vmp_plan_vm_reserve(vm, (int)r->iothreads, rdt_cache ? VMP_MAX_CACHETUNE : 0,
				rdt_mb ? VMP_RDT_DOMAINS_MAX : 0, cells) < 0) {
		planner_refuse(vm, VMP_BIND_OTHER, "out of memory");
		return;
	}
	double score = vm->score;
	vm->score = NAN; /* to tell whether the try wrote a score */
	if (place_retrying(st, &undo, vm, devnode, max_cells)) {
		vm_placed(st, vm);
	} else if (memo) {
		fail_memo_keep(st, vm, max_cells, !isnan(vm->score));
	}
	if (isnan(vm->score))
		vm->score = score;
	memset(st->node_skip, 0, (size_t)h->nnodes);
}
