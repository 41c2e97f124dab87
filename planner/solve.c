/* The planner: places a set of VMs on a host model, every hard constraint kept, and says why. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/internal.h"
#include "vmplan/error.h"
#include "vmplan/plan.h"
#include "vmplan/size.h"

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
 * Batch mode tries a few orders (priority first, then the VMs that are
 * hardest to fit) and keeps the best plan by the objective above.
 */
#define SCORE_BASE 100.0
#define SCORE_PER_EXTRA_NODE 20.0
#define SCORE_PER_EXTRA_L3 5.0
#define SCORE_DEVICE 10.0
#define COST_FIT 10.0
#define COST_L3 20.0
#define COST_DEVICE 30.0
#define COST_BANDWIDTH 10.0

static const char *const thread_names[] = {"prefer", "isolate", "require"};

void vmp_plan_reserve_auto(vmp_cpuset *out, const vmp_host *h)
{
	vmp_cpuset_zero(out);
	if (!vmp_cpuset_empty(&h->isolated)) {
		vmp_cpuset_andnot(out, &h->online, &h->isolated);
		return;
	}
	for (int n = 0; n < h->nnodes; n++) {
		int first = -1, count = 0;
		for (int c = 0; c < h->ncores; c++) {
			if (h->cores[c].node != n)
				continue;
			if (first < 0)
				first = c;
			count++;
		}
		if (count >= 2)
			vmp_cpuset_or(out, out, &h->cores[first].pus);
	}
	vmp_cpuset_and(out, out, &h->online);
}

int vmp_plan_reserve(vmp_host *h, const char *policy)
{
	vmp_cpuset set;
	char buf[8192];

	if (!strcmp(policy, "auto")) {
		vmp_plan_reserve_auto(&h->reserved, h);
		return VMP_OK;
	}
	if (!strcmp(policy, "none")) {
		vmp_cpuset_zero(&h->reserved);
		return VMP_OK;
	}
	if (vmp_cpuset_parse(&set, policy) < 0) {
		snprintf(buf, sizeof(buf), "%s", vmp_error_last());
		vmp_error_set("bad --reserve: %s", buf);
		return VMP_EINVAL;
	}
	if (!vmp_cpuset_subset(&set, &h->online)) {
		vmp_cpuset_andnot(&set, &set, &h->online);
		vmp_cpuset_format(buf, sizeof(buf), &set);
		vmp_error_set("bad --reserve '%s': CPUs %s are not online on host '%s'", policy,
			      buf, h->hostname);
		return VMP_EINVAL;
	}
	h->reserved = set;
	return VMP_OK;
}

/* ---- state ---- */

static int count_max_core(const vmp_host *h);

int planner_state_init(planner_state *st, const vmp_host *h)
{
	memset(st, 0, sizeof(*st));
	st->h = h;
	st->pu_free = calloc((size_t)h->npus, 1);
	st->core_nfree = calloc((size_t)h->ncores, sizeof(int));
	st->core_size = calloc((size_t)h->ncores, sizeof(int));
	st->core_pu_start = calloc((size_t)h->ncores + 1, sizeof(int));
	st->core_pu = calloc((size_t)h->npus, sizeof(int));
	st->node_core_start = calloc((size_t)h->nnodes + 1, sizeof(int));
	st->node_core = calloc((size_t)h->ncores, sizeof(int));
	st->mem_free = calloc((size_t)h->nnodes, sizeof(uint64_t));
	st->huge_free = calloc((size_t)h->nnodes, sizeof(*st->huge_free));
	st->bw_demand = calloc((size_t)h->nnodes, sizeof(double));
	st->node_skip = calloc((size_t)h->nnodes, 1);
	st->failed_l3 = -1;
	if (!st->pu_free || !st->core_nfree || !st->core_size || !st->core_pu_start ||
	    !st->core_pu || !st->node_core_start || !st->node_core || !st->mem_free ||
	    !st->huge_free || !st->bw_demand || !st->node_skip) {
		planner_state_free(st);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	/* PUs per core, in OS order (CSR arrays). */
	for (int p = 0; p < h->npus; p++)
		st->core_pu_start[h->pus[p].core + 1]++;
	for (int c = 0; c < h->ncores; c++)
		st->core_pu_start[c + 1] += st->core_pu_start[c];
	{
		int fill[h->ncores];
		memcpy(fill, st->core_pu_start, sizeof(fill));
		for (int p = 0; p < h->npus; p++)
			st->core_pu[fill[h->pus[p].core]++] = p;
	}
	/* Cores per node, grouped by L3 domain so a domain's cores are adjacent. */
	for (int c = 0; c < h->ncores; c++)
		st->node_core_start[h->cores[c].node + 1]++;
	for (int n = 0; n < h->nnodes; n++)
		st->node_core_start[n + 1] += st->node_core_start[n];
	{
		int pos = 0;
		for (int n = 0; n < h->nnodes; n++)
			for (int l = -1; l < h->nl3; l++)
				for (int c = 0; c < h->ncores; c++)
					if (h->cores[c].node == n && h->cores[c].l3 == l)
						st->node_core[pos++] = c;
	}
	for (int p = 0; p < h->npus; p++) {
		int cpu = h->pus[p].os_index;
		st->pu_free[p] = vmp_cpuset_isset(&h->online, cpu) &&
				 !vmp_cpuset_isset(&h->reserved, cpu) &&
				 !vmp_cpuset_isset(&h->used, cpu);
		st->core_size[h->pus[p].core]++;
		st->core_nfree[h->pus[p].core] += st->pu_free[p];
	}
	st->max_core = count_max_core(h);
	for (int n = 0; n < h->nnodes; n++) {
		st->mem_free[n] = h->nodes[n].free_bytes;
		for (int k = 0; k < h->nodes[n].nhugepages; k++)
			st->huge_free[n][k] = h->nodes[n].hugepages[k].free;
	}
	return VMP_OK;
}

void planner_state_free(planner_state *st)
{
	free(st->pu_free);
	free(st->core_nfree);
	free(st->core_size);
	free(st->core_pu_start);
	free(st->core_pu);
	free(st->node_core_start);
	free(st->node_core);
	free(st->mem_free);
	free(st->huge_free);
	free(st->bw_demand);
	free(st->node_skip);
	memset(st, 0, sizeof(*st));
}

/* ---- CPU capacity ---- */

static bool core_whole(const planner_state *st, int c)
{
	return st->core_nfree[c] == st->core_size[c] && st->core_size[c] > 0;
}

/* vCPUs a core can still take under a thread policy. */
static int core_capacity(const planner_state *st, int c, vmp_thread_policy pol)
{
	switch (pol) {
	case VMP_THREADS_ISOLATE:
		return core_whole(st, c) ? 1 : 0;
	case VMP_THREADS_REQUIRE:
		/* Whole sibling sets of the host's SMT width: a hybrid host's single-thread
		 * cores would leave odd shares no two-thread core can take. */
		return core_whole(st, c) && st->core_size[c] == st->max_core ? st->core_size[c]
									     : 0;
	default:
		return st->core_nfree[c];
	}
}

/* vCPU capacity of a node, or of one L3 domain of it (l3 >= -1; -2 for the whole node). */
#define ANY_L3 (-2)
static int capacity(const planner_state *st, int node, int l3, vmp_thread_policy pol)
{
	int n = 0;

	for (int i = st->node_core_start[node]; i < st->node_core_start[node + 1]; i++) {
		int c = st->node_core[i];
		if (l3 == ANY_L3 || st->h->cores[c].l3 == l3)
			n += core_capacity(st, c, pol);
	}
	return n;
}

/* The L3 domains of a node: their indexes into out (at most h->nl3 + 1, -1 for none). */
static int node_l3s(const planner_state *st, int node, int *out)
{
	int n = 0, last = ANY_L3;

	for (int i = st->node_core_start[node]; i < st->node_core_start[node + 1]; i++) {
		int l = st->h->cores[st->node_core[i]].l3;
		if (l != last)
			out[n++] = last = l;
	}
	return n;
}

/* How many L3 domains n vCPUs would span on a node: now, or on the empty node. */
static int l3_needed(const planner_state *st, int node, vmp_thread_policy pol, int n, bool empty)
{
	int ids[st->h->nl3 + 1], caps[st->h->nl3 + 1];
	int k = node_l3s(st, node, ids), need = 0;

	for (int i = 0; i < k; i++) {
		caps[i] = 0;
		for (int j = st->node_core_start[node]; j < st->node_core_start[node + 1]; j++) {
			int c = st->node_core[j];
			if (st->h->cores[c].l3 != ids[i])
				continue;
			if (empty)
				caps[i] += pol == VMP_THREADS_ISOLATE ? 1 : st->core_size[c];
			else
				caps[i] += core_capacity(st, c, pol);
		}
	}
	while (n > 0) {
		int big = -1;
		for (int i = 0; i < k; i++)
			if (caps[i] > 0 && (big < 0 || caps[i] > caps[big]))
				big = i;
		if (big < 0)
			return need + 1;
		/* One domain that holds all of it is better than the biggest one. */
		for (int i = 0; i < k; i++)
			if (caps[i] >= n && caps[i] < caps[big])
				big = i;
		n -= caps[big];
		caps[big] = 0;
		need++;
	}
	return need;
}

/* ---- taking and giving back ---- */

static void take_pu(planner_state *st, int p)
{
	st->pu_free[p] = 0;
	st->core_nfree[st->h->pus[p].core]--;
}

static void give_pu(planner_state *st, int p)
{
	st->pu_free[p] = 1;
	st->core_nfree[st->h->pus[p].core]++;
}

/*
 * Take up to want vCPUs' worth of PUs from the cores of one node (one L3
 * domain when l3 != ANY_L3), recording the PU index of each vCPU in pus and
 * every PU taken (idle isolate siblings too) in the undo log. Whole cores are
 * filled first so that sibling threads hold consecutive vCPUs; a lone
 * leftover vCPU goes to a partly used core rather than breaking a whole one.
 */
static int take_cores(planner_state *st, planner_undo *undo, int node, int l3,
		      vmp_thread_policy pol, int want, int *pus)
{
	int got = 0;

	for (int pass = 0; pass < 2 && got < want; pass++) {
		for (int i = st->node_core_start[node];
		     i < st->node_core_start[node + 1] && got < want; i++) {
			int c = st->node_core[i], nf = st->core_nfree[c];
			bool whole = core_whole(st, c);

			if ((l3 != ANY_L3 && st->h->cores[c].l3 != l3) || nf == 0 ||
			    core_capacity(st, c, pol) == 0)
				continue;
			/* Pass 0: whole cores we fill completely, then holes. */
			if (pol == VMP_THREADS_PREFER && pass == 0 && whole && want - got < nf)
				continue;
			if (pol == VMP_THREADS_REQUIRE && want - got < nf)
				continue;
			for (int j = st->core_pu_start[c]; j < st->core_pu_start[c + 1]; j++) {
				int p = st->core_pu[j];
				if (!st->pu_free[p])
					continue;
				if (got == want)
					break;
				pus[got++] = p;
				take_pu(st, p);
				undo->pus[undo->npus++] = p;
				if (pol == VMP_THREADS_ISOLATE) {
					/* The siblings stay idle, given to no one. */
					for (int q = st->core_pu_start[c]; q < st->core_pu_start[c + 1];
					     q++)
						if (st->pu_free[st->core_pu[q]]) {
							take_pu(st, st->core_pu[q]);
							undo->pus[undo->npus++] = st->core_pu[q];
						}
					break;
				}
			}
		}
	}
	return got;
}

/*
 * Place n vCPUs on one node, in as few L3 domains as possible: the domain
 * that fits most tightly, else the domains with most room in turn. Returns
 * the number of L3 domains used, or -1 when the node cannot hold them.
 */
static int place_on_node(planner_state *st, planner_undo *undo, int node, vmp_thread_policy pol,
			 int n, int *pus)
{
	int ids[st->h->nl3 + 1], k = node_l3s(st, node, ids);
	int best = -1, best_cap = 0, used = 0, got = 0;

	if (capacity(st, node, ANY_L3, pol) < n)
		return -1;
	for (int i = 0; i < k; i++) {
		int cap = capacity(st, node, ids[i], pol);
		if (cap >= n && (best < 0 || cap < best_cap)) {
			best = i;
			best_cap = cap;
		}
	}
	if (best >= 0)
		return take_cores(st, undo, node, ids[best], pol, n, pus) == n ? 1 : -1;
	while (got < n) {
		int pick = -1, pick_cap = 0;
		for (int i = 0; i < k; i++) {
			int cap = capacity(st, node, ids[i], pol);
			if (cap > pick_cap) {
				pick = i;
				pick_cap = cap;
			}
		}
		if (pick < 0)
			break;
		int took = take_cores(st, undo, node, ids[pick], pol, n - got, pus + got);
		/* Capacity that cannot be taken in the shares asked (whole cores of another
		 * size under threads=require) ends the search rather than spinning on it. */
		if (took == 0)
			break;
		got += took;
		used++;
	}
	return got == n ? used : -1;
}

/* ---- memory ---- */

static int huge_pool(const vmp_host *h, int node, uint64_t page_bytes)
{
	for (int k = 0; k < h->nodes[node].nhugepages; k++)
		if (h->nodes[node].hugepages[k].size_kib * 1024 == page_bytes)
			return k;
	return -1;
}

/*
 * Whether any node has a pool of this page size. Where none has (a host not
 * yet set up for hugepages, or a synthetic one), hugepages are planned out of
 * free memory and the explanation says how many pages to reserve where.
 */
static bool pool_configured(const vmp_host *h, uint64_t page_bytes)
{
	for (int n = 0; n < h->nnodes; n++) {
		int k = huge_pool(h, n, page_bytes);
		if (k >= 0 && h->nodes[n].hugepages[k].total > 0)
			return true;
	}
	return false;
}

/* The pool index a request draws from on a node; -1 for normal memory. */
static int pool_of(const vmp_host *h, int node, uint64_t page_bytes)
{
	if (page_bytes == 0 || !pool_configured(h, page_bytes))
		return -1;
	return huge_pool(h, node, page_bytes);
}

/* Bytes a node can still back from the pool a request uses. */
static uint64_t mem_room(const planner_state *st, int node, uint64_t page_bytes)
{
	int k = pool_of(st->h, node, page_bytes);

	if (k < 0) {
		if (page_bytes && pool_configured(st->h, page_bytes))
			return 0; /* pools exist, just not on this node */
		return page_bytes ? st->mem_free[node] / page_bytes * page_bytes
				  : st->mem_free[node];
	}
	return st->huge_free[node][k] * page_bytes;
}

static void mem_move(planner_state *st, int node, uint64_t mem, uint64_t page_bytes, bool give)
{
	int k = pool_of(st->h, node, page_bytes);

	if (k < 0) {
		st->mem_free[node] = give ? st->mem_free[node] + mem : st->mem_free[node] - mem;
		return;
	}
	st->huge_free[node][k] = give ? st->huge_free[node][k] + mem / page_bytes
				      : st->huge_free[node][k] - mem / page_bytes;
}

static void mem_take(planner_state *st, planner_undo *undo, int node, uint64_t mem,
		     uint64_t page_bytes)
{
	mem_move(st, node, mem, page_bytes, false);
	undo->mem_node[undo->nmem] = node;
	undo->mem_bytes[undo->nmem++] = mem;
}

void planner_undo_apply(planner_state *st, planner_undo *undo, uint64_t page_bytes)
{
	for (int i = 0; i < undo->npus; i++)
		give_pu(st, undo->pus[i]);
	for (int i = 0; i < undo->nmem; i++)
		mem_move(st, undo->mem_node[i], undo->mem_bytes[i], page_bytes, true);
	undo->npus = undo->nmem = 0;
}

/* ---- helpers ---- */

void planner_refuse(vmp_plan_vm *vm, vmp_bind bind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vm->reason, sizeof(vm->reason), fmt, ap);
	va_end(ap);
	vm->bind = bind;
}

void planner_append(char **buf, const char *fmt, ...)
{
	va_list ap;
	char *add = NULL, *joined = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&add, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (!*buf) {
		*buf = add;
		return;
	}
	if (asprintf(&joined, "%s%s", *buf, add) >= 0) {
		free(*buf);
		*buf = joined;
	}
	free(add);
}

/* Split total into k shares as even as possible, each a multiple of unit (the last takes
 * what does not divide). */
static void split(uint64_t *out, int k, uint64_t total, uint64_t unit)
{
	uint64_t units = total / unit;

	for (int i = 0; i < k; i++)
		out[i] = (units / k + ((uint64_t)i < units % k ? 1 : 0)) * unit;
	out[k - 1] += total - units * unit;
}

/* The most threads any core has; computed once per host by the state. */
static int count_max_core(const vmp_host *h)
{
	int t = 1;

	for (int c = 0; c < h->ncores; c++) {
		int n = vmp_cpuset_count(&h->cores[c].pus);
		if (n > t)
			t = n;
	}
	return t;
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

/* ---- one VM ---- */

/* The cost of putting n vCPUs of r on node (lower is better); terms into out. */
static double node_cost(const planner_state *st, const vmp_vm_request *r, int node, int n,
			int devnode, double *terms)
{
	const vmp_host *h = st->h;
	int cap = capacity(st, node, ANY_L3, r->threads);
	double fit, l3, dev = 0, bw = 0;

	fit = COST_FIT * (cap - n) / (double)(cap > 0 ? cap : 1);
	l3 = COST_L3 * (l3_needed(st, node, r->threads, n, false) -
			l3_needed(st, node, r->threads, n, true));
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

/* Commit vcpus/memory of vm to nodes[0..k); false (state restored) if it does not fit. */
static bool try_nodes(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, const int *nodes,
		      int k, int *l3_used)
{
	const vmp_vm_request *r = &vm->req;
	uint64_t mem[VMP_MAX_CELLS], vc[VMP_MAX_CELLS];
	int unit = r->threads == VMP_THREADS_REQUIRE ? st->max_core : 1;
	int pus[VMP_MAX_VCPUS];
	int v = 0;

	if ((int)r->vcpus < k || ((int)r->vcpus % unit) != 0)
		return false;
	split(vc, k, r->vcpus, (uint64_t)unit);
	split(mem, k, r->memory_bytes, r->hugepage_bytes ? r->hugepage_bytes : 1024 * 1024);
	for (int i = 0; i < k; i++)
		if (vc[i] == 0 || mem[i] == 0 || mem_room(st, nodes[i], r->hugepage_bytes) < mem[i] ||
		    capacity(st, nodes[i], ANY_L3, r->threads) < (int)vc[i])
			return false;
	*l3_used = 0;
	for (int i = 0; i < k; i++) {
		int l3 = place_on_node(st, undo, nodes[i], r->threads, (int)vc[i], pus + v);
		if (l3 < 0) {
			planner_undo_apply(st, undo, r->hugepage_bytes);
			return false;
		}
		*l3_used += l3;
		mem_take(st, undo, nodes[i], mem[i], r->hugepage_bytes);
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

/*
 * Choose k >= 2 nodes: from each possible first node, grow the set by the
 * nearest node that can still take a share, and keep the set with the
 * smallest total distance that the VM fits in.
 */
/* Order a node set by free capacity, most first, so the larger shares go there. */
static void sort_by_capacity(const planner_state *st, int *nodes, int k, vmp_thread_policy pol)
{
	for (int i = 1; i < k; i++)
		for (int j = i; j > 0 && capacity(st, nodes[j], ANY_L3, pol) >
					      capacity(st, nodes[j - 1], ANY_L3, pol);
		     j--) {
			int t = nodes[j];
			nodes[j] = nodes[j - 1];
			nodes[j - 1] = t;
		}
}

/* Would the shares of vm fit on nodes[0..k) (sorted by capacity)? */
static bool shares_fit(const planner_state *st, const vmp_vm_request *r, const int *nodes, int k)
{
	uint64_t mem[VMP_MAX_CELLS], vc[VMP_MAX_CELLS];
	int unit = r->threads == VMP_THREADS_REQUIRE ? st->max_core : 1;

	split(vc, k, r->vcpus, (uint64_t)unit);
	split(mem, k, r->memory_bytes, r->hugepage_bytes ? r->hugepage_bytes : 1024 * 1024);
	for (int i = 0; i < k; i++)
		if (vc[i] == 0 || mem[i] == 0 ||
		    capacity(st, nodes[i], ANY_L3, r->threads) < (int)vc[i] ||
		    mem_room(st, nodes[i], r->hugepage_bytes) < mem[i])
			return false;
	return true;
}

/*
 * Choose k >= 2 nodes: from each possible first node, grow the set by the
 * nearest node that can take at least the smallest share, and keep the set
 * with the smallest total distance that the VM fits in.
 */
static bool place_spread(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int k,
			 int *l3_used, uint32_t *dist_out)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	int unit = r->threads == VMP_THREADS_REQUIRE ? st->max_core : 1;
	int best[VMP_MAX_CELLS], nodes[VMP_MAX_CELLS];
	uint32_t best_dist = UINT32_MAX;
	int nn = h->nnodes;
	bool ok_node[nn];
	int min_cpu;

	if ((int)r->vcpus < k)
		return false;
	/* The smallest share, which every node of the set must at least take. */
	min_cpu = (int)((r->vcpus / unit) / k) * unit;
	if (min_cpu == 0)
		return false;
	for (int n = 0; n < nn; n++)
		ok_node[n] = !st->node_skip[n] && capacity(st, n, ANY_L3, r->threads) >= min_cpu &&
			     mem_room(st, n, r->hugepage_bytes) >= r->memory_bytes / k / 2;
	for (int first = 0; first < nn; first++) {
		bool in[nn];
		uint32_t dist = 0, to_set[nn]; /* to_set[n]: distance from the set to n, summed */
		int i, sorted[VMP_MAX_CELLS];

		if (!ok_node[first])
			continue;
		memset(in, 0, sizeof(in));
		nodes[0] = first;
		in[first] = true;
		for (int n = 0; n < nn; n++)
			to_set[n] = vmp_host_distance(h, first, n);
		for (i = 1; i < k; i++) {
			int pick = -1;
			uint32_t pick_d = UINT32_MAX;
			for (int n = 0; n < nn; n++)
				if (!in[n] && ok_node[n] && to_set[n] < pick_d) {
					pick = n;
					pick_d = to_set[n];
				}
			if (pick < 0)
				break;
			nodes[i] = pick;
			in[pick] = true;
			dist += pick_d;
			for (int n = 0; n < nn; n++)
				to_set[n] += vmp_host_distance(h, pick, n);
		}
		if (i < k || dist >= best_dist)
			continue;
		memcpy(sorted, nodes, sizeof(int) * k);
		sort_by_capacity(st, sorted, k, r->threads);
		if (!shares_fit(st, r, sorted, k))
			continue;
		memcpy(best, sorted, sizeof(int) * k);
		best_dist = dist;
	}
	if (best_dist == UINT32_MAX)
		return false;
	*dist_out = best_dist;
	return try_nodes(st, undo, vm, best, k, l3_used);
}

/*
 * The guest cell counts to try for r, fewest first: numa=N alone, else 1 up to the nodes, at
 * most VMP_MAX_CELLS, max_cells and (a cell needs a vCPU) the vCPUs.
 */
static void cell_range(const vmp_host *h, const vmp_vm_request *r, int max_cells, int *first,
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
}static int cmp_int_desc(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x < y) - (x > y);
}

static int cmp_u64_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y) - (x > y);
}

/*
 * The most vCPUs of r that even shares could place now (a hint that holds): over each cell
 * count k, the k nodes with the most free CPUs, the smallest of them taking a share and the
 * others one unit more where they can. Memory and distance are not considered.
 */
static int even_fit_vcpus(const planner_state *st, const vmp_vm_request *r, int max_cells)
{
	const vmp_host *h = st->h;
	int unit = r->threads == VMP_THREADS_REQUIRE ? st->max_core : 1, caps[h->nnodes], best = 0;
	int k_first, k_last;

	for (int n = 0; n < h->nnodes; n++)
		caps[n] = capacity(st, n, ANY_L3, r->threads) / unit;
	qsort(caps, (size_t)h->nnodes, sizeof(caps[0]), cmp_int_desc);
	cell_range(h, r, max_cells, &k_first, &k_last);
	for (int k = k_first; k <= k_last && k <= h->nnodes; k++) {
		int q = caps[k - 1], v = k * q;
		for (int i = 0; i < k - 1; i++)
			v += caps[i] > q;
		if (q > 0 && v * unit > best)
			best = v * unit;
	}
	return best;
}

/* Why vm cannot be placed: the binding constraint, with numbers, and what would fit. */
static void explain_failure(const planner_state *st, vmp_plan_vm *vm)
{
	if (!st->reasons) {
		/* A trial run: only the final run's reasons are read. */
		planner_refuse(vm, VMP_BIND_OTHER, "not placed");
		return;
	}
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	int total_cap = 0, best_cap = -1, best_node = 0;
	uint64_t total_mem = 0, best_mem = 0;
	int best_mem_node = 0;
	char a[32], b[32], *s = NULL;
	vmp_bind bind = VMP_BIND_NODE_FIT; /* CPUs and memory, not together */
	const char *what = r->threads == VMP_THREADS_ISOLATE ? "whole cores"
			   : r->threads == VMP_THREADS_REQUIRE ? "vCPUs on whole cores"
							       : "dedicated vCPUs";

	for (int n = 0; n < h->nnodes; n++) {
		int cap = capacity(st, n, ANY_L3, r->threads);
		uint64_t mem = mem_room(st, n, r->hugepage_bytes);
		total_cap += cap;
		total_mem += mem;
		if (cap > best_cap) {
			best_cap = cap;
			best_node = n;
		}
		if (mem > best_mem) {
			best_mem = mem;
			best_mem_node = n;
		}
	}
	const char *pool = r->hugepage_bytes ? "memory in hugepages" : "memory";
	if (r->threads == VMP_THREADS_REQUIRE && r->vcpus % st->max_core) {
		bind = VMP_BIND_SHAPE;
		planner_append(&s, "needs whole cores (threads=require) but %u vCPUs do not fill "
			       "cores of %d threads; ask for a multiple of %d",
			       r->vcpus, st->max_core, st->max_core);
	} else if (total_cap < (int)r->vcpus) {
		/* Short in all: what would fit is what one node has for numa=1. */
		int fits = r->numa_cells == 1 ? best_cap : even_fit_vcpus(st, r, h->nnodes);
		bind = VMP_BIND_CORES;
		planner_append(&s, "needs %u %s with threads=%s; the host has %d free in all",
			       r->vcpus, what, thread_names[r->threads], total_cap);
		for (int n = 0; n < h->nnodes; n++)
			planner_append(&s, "%snode %d: %d", n ? ", " : " (", h->nodes[n].id,
				       capacity(st, n, ANY_L3, r->threads));
		planner_append(&s, "); lower vcpus to %d%s, or free CPUs", fits,
			       r->threads != VMP_THREADS_PREFER ? ", use threads=prefer" : "");
	} else if (total_mem < r->memory_bytes) {
		uint64_t fits = r->numa_cells == 1 ? best_mem : total_mem;
		bind = r->hugepage_bytes ? VMP_BIND_HUGEPAGES : VMP_BIND_MEMORY;
		vmp_size_format(a, sizeof(a), r->memory_bytes);
		planner_append(&s, "needs %s of %s", a, pool);
		if (r->hugepage_bytes) {
			vmp_size_format(b, sizeof(b), r->hugepage_bytes);
			planner_append(&s, " of %s", b);
		}
		vmp_size_format(a, sizeof(a), total_mem);
		planner_append(&s, "; the host has %s free in all", a);
		for (int n = 0; n < h->nnodes; n++) {
			vmp_size_format(a, sizeof(a), mem_room(st, n, r->hugepage_bytes));
			planner_append(&s, "%snode %d: %s", n ? ", " : " (", h->nodes[n].id, a);
		}
		vmp_size_format(a, sizeof(a), fits);
		if (fits)
			planner_append(&s, "); lower memory to %s%s", a,
				       r->hugepage_bytes ? " or grow the hugepage pools" : "");
		else
			planner_append(&s, "); %s", r->hugepage_bytes ? "grow the hugepage pools"
								      : "free memory");
	} else if (r->numa_cells == 1 && best_cap < (int)r->vcpus) {
		/* One node asked for, and none has the CPUs. */
		planner_append(&s, "needs %u %s on one node with threads=%s; the most any node has "
			       "free is %d (node %d); lower vcpus to %d%s",
			       r->vcpus, what, thread_names[r->threads], best_cap,
			       h->nodes[best_node].id, best_cap,
			       h->nnodes > 1 ? ", or allow numa=auto" : "");
	} else if (r->numa_cells == 1) {
		int most = -1;
		uint64_t most_mem = 0;
		/* The CPUs are there somewhere; the memory is not beside them. */
		for (int n = 0; n < h->nnodes; n++)
			if (capacity(st, n, ANY_L3, r->threads) >= (int)r->vcpus &&
			    (most < 0 || mem_room(st, n, r->hugepage_bytes) > most_mem)) {
				most = n;
				most_mem = mem_room(st, n, r->hugepage_bytes);
			}
		vmp_size_format(a, sizeof(a), r->memory_bytes);
		vmp_size_format(b, sizeof(b), most_mem);
		planner_append(&s, "needs %s of %s on one node with %u free %s; the most such a "
			       "node has is %s (node %d); lower memory to %s, or allow numa=auto",
			       a, pool, r->vcpus, what, b, h->nodes[most].id, b);
	} else if (r->numa_cells) {
		unsigned share = (r->vcpus + r->numa_cells - 1) / r->numa_cells;
		int fit = 0;
		bind = VMP_BIND_NUMA;
		vmp_size_format(a, sizeof(a), r->memory_bytes / r->numa_cells);
		planner_append(&s, "needs %u guest cells on distinct nodes, each with %u %s "
			       "(threads=%s) and %s of %s; ",
			       r->numa_cells, share, what, thread_names[r->threads], a, pool);
		for (int n = 0; n < h->nnodes; n++)
			fit += capacity(st, n, ANY_L3, r->threads) >= (int)share &&
			       mem_room(st, n, r->hugepage_bytes) >= r->memory_bytes / r->numa_cells;
		planner_append(&s, "%d node%s can take a share (", fit, fit == 1 ? "" : "s");
		for (int n = 0; n < h->nnodes; n++) {
			vmp_size_format(b, sizeof(b), mem_room(st, n, r->hugepage_bytes));
			planner_append(&s, "%snode %d: %d, %s", n ? "; " : "", h->nodes[n].id,
				       capacity(st, n, ANY_L3, r->threads), b);
		}
		planner_append(&s, "); lower numa or vcpus, or free capacity");
	} else {
		vmp_size_format(a, sizeof(a), best_mem);
		vmp_size_format(b, sizeof(b), r->memory_bytes);
		planner_append(&s, "needs %u %s (threads=%s) and %s of %s, but no set of nodes "
			       "has both: the most CPUs free are %d (node %d), the most %s %s "
			       "(node %d); lower vcpus or memory, or free capacity",
			       r->vcpus, what, thread_names[r->threads], b, pool, best_cap,
			       h->nodes[best_node].id, pool, a, h->nodes[best_mem_node].id);
	}
	planner_refuse(vm, bind, "%s", s ? s : "cannot be placed");
	free(s);
}

/*
 * The fewest nodes that could hold vm: fewer than the ones with the most room together
 * cannot (on hundreds of nodes, trying every count for a large VM took seconds); 0 when
 * not even all of them can.
 */
static int fewest_nodes(const planner_state *st, const vmp_vm_request *r)
{
	const vmp_host *h = st->h;
	int caps[h->nnodes], have = 0, k = 0;
	uint64_t rooms[h->nnodes], cpu_sum = 0, mem_sum = 0;

	for (int n = 0; n < h->nnodes; n++)
		if (!st->node_skip[n]) {
			caps[have] = capacity(st, n, ANY_L3, r->threads);
			rooms[have++] = mem_room(st, n, r->hugepage_bytes);
		}
	qsort(caps, (size_t)have, sizeof(caps[0]), cmp_int_desc);
	qsort(rooms, (size_t)have, sizeof(rooms[0]), cmp_u64_desc);
	while (k < have && (cpu_sum < r->vcpus || mem_sum < r->memory_bytes)) {
		cpu_sum += (uint64_t)caps[k];
		mem_sum += rooms[k++];
	}
	return cpu_sum >= r->vcpus && mem_sum >= r->memory_bytes ? k : 0;
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

	cell_range(h, r, max_cells, &k_first, &k_last);
	if (r->numa_cells > (unsigned)h->nnodes) {
		planner_refuse(vm, VMP_BIND_SHAPE,
			 "asks for %u guest NUMA cells but the host has %d NUMA nodes; ask for "
			 "numa=%d or fewer",
			 r->numa_cells, h->nnodes, h->nnodes);
		return false;
	}
	for (int k = k_first; k <= k_last && !ok; k++) {
		/* Spreading: start at the fewest nodes that could hold it. */
		if (k == 2 && !r->numa_cells) {
			int fewest = fewest_nodes(st, r);
			if (!fewest || fewest > k_last)
				break;
			if (fewest > k)
				k = fewest;
		}
		if (k > 1) {
			ok = place_spread(st, undo, vm, k, &l3_used, &dist);
			if (ok && st->explain)
				planner_append(&vm->explain,
					       "no single node holds it; spread over %d nodes at "
					       "total distance %u\n",
					       k, dist);
			continue;
		}
		int best = -1;
		double best_cost = 0, terms[4], best_terms[4] = {0};
		for (int n = 0; n < h->nnodes; n++) {
			int cap = capacity(st, n, ANY_L3, r->threads);
			uint64_t room = mem_room(st, n, r->hugepage_bytes);
			if (st->node_skip[n])
				continue; /* said why when it was ruled out */
			if (cap < (int)r->vcpus || room < r->memory_bytes) {
				if (st->explain) {
					char a[32];
					vmp_size_format(a, sizeof(a), room);
					planner_append(&vm->explain,
						       "rejected node %d: %d free vCPUs (threads=%s), "
						       "%s free %s\n",
						       h->nodes[n].id, cap, thread_names[r->threads], a,
						       r->hugepage_bytes ? "hugepage memory" : "memory");
				}
				continue;
			}
			double cost = node_cost(st, r, n, (int)r->vcpus, devnode, terms);
			if (st->explain)
				planner_append(&vm->explain,
					       "candidate node %d: cost %.2f (fit %.2f, L3 %.2f, device "
					       "%.2f, bandwidth %.2f)\n",
					       h->nodes[n].id, cost, terms[0], terms[1], terms[2],
					       terms[3]);
			if (best < 0 || cost < best_cost - 1e-9) {
				best = n;
				best_cost = cost;
				memcpy(best_terms, terms, sizeof(terms));
			}
		}
		ok = best >= 0 && try_nodes(st, undo, vm, &best, 1, &l3_used);
		if (ok && st->explain)
			planner_append(&vm->explain, "chose node %d, the lowest cost\n",
				       h->nodes[best].id);
	}
	if (!ok) {
		if (!vm->reason[0])
			explain_failure(st, vm);
		return false;
	}
	int fewest = 0;
	for (int i = 0; i < vm->ncells; i++)
		fewest += l3_needed(st, vmp_host_node_index(h, vm->cells[i].host_node),
				    r->threads, vmp_cpuset_count(&vm->cells[i].vcpus), true);
	int pairs = vm->ncells * (vm->ncells - 1) / 2;
	vm->score = SCORE_BASE - SCORE_PER_EXTRA_NODE * (vm->ncells - 1) -
		    ((double)dist - 10.0 * pairs) / 2.0 -
		    SCORE_PER_EXTRA_L3 * (l3_used > fewest ? l3_used - fewest : 0);
	if (devnode >= 0) {
		int n = vmp_host_node_index(h, vm->cells[0].host_node);
		vm->score -= SCORE_DEVICE * ((double)vmp_host_distance(h, n, devnode) - 10.0) / 10.0;
	}
	if (st->explain)
		planner_append(&vm->explain, "L3 domains used: %d (fewest possible %d)\n", l3_used,
			       fewest);
	return true;
}

/* Shared VMs: memory on the node(s) with most room; vCPUs float on the pool there. */
/* Why a cpu=shared VM cannot be placed: its memory, as the pool needs no dedicated CPUs. */
static void explain_shared_failure(const planner_state *st, vmp_plan_vm *vm, int k_max)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	const char *pool = r->hugepage_bytes ? "memory in hugepages" : "memory";
	uint64_t total = 0, most = 0;
	int most_node = 0;
	char a[32], b[32], c[32];

	for (int n = 0; n < h->nnodes; n++) {
		uint64_t room = mem_room(st, n, r->hugepage_bytes);
		total += room;
		if (room > most) {
			most = room;
			most_node = n;
		}
	}
	vmp_size_format(a, sizeof(a), r->memory_bytes);
	vmp_size_format(b, sizeof(b), most);
	vmp_size_format(c, sizeof(c), total);
	if (total < r->memory_bytes)
		planner_refuse(vm, r->hugepage_bytes ? VMP_BIND_HUGEPAGES : VMP_BIND_MEMORY,
			       "cpu=shared needs %s of %s; the host has %s free in all, the most "
			       "on one node %s (node %d); lower memory%s",
			       a, pool, c, b, h->nodes[most_node].id,
			       r->hugepage_bytes ? " or grow the hugepage pools" : "");
	else
		planner_refuse(vm, r->numa_cells ? VMP_BIND_NUMA : VMP_BIND_MEMORY,
			       "cpu=shared needs %s of %s in %s%d guest cell%s, each on its own "
			       "node; the most on one node is %s (node %d), %s in all; %s",
			       a, pool, r->numa_cells ? "" : "at most ", k_max,
			       k_max == 1 ? "" : "s", b, h->nodes[most_node].id, c,
			       r->numa_cells ? "lower memory, or use numa=auto"
					     : "lower memory, or free memory on fewer nodes");
}

/*
 * Shared VMs: memory on the node(s) with room for it, near the device where one is named,
 * then with the most CPUs for the pool; the vCPUs float on the pool there. Without numa=,
 * the fewest nodes that hold the memory.
 */
static bool place_shared(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int devnode,
			 int max_cells)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	uint64_t mem[VMP_MAX_CELLS], vc[VMP_MAX_CELLS];
	int order[h->nnodes], freepus[h->nnodes];
	uint64_t room[h->nnodes];
	int v = 0, k, k_first, k_last, chosen[VMP_MAX_CELLS];

	cell_range(h, r, max_cells, &k_first, &k_last);
	if (k_first > h->nnodes || (unsigned)k_first > r->vcpus) {
		planner_refuse(vm, VMP_BIND_SHAPE,
			       "asks for %d guest NUMA cells; the host has %d nodes and the VM %u "
			       "vCPUs",
			       k_first, h->nnodes, r->vcpus);
		return false;
	}
	/* The device's node first, then free CPUs for the pool, then memory room. */
	for (int n = 0; n < h->nnodes; n++) {
		order[n] = n;
		freepus[n] = capacity(st, n, ANY_L3, VMP_THREADS_PREFER);
		room[n] = mem_room(st, n, r->hugepage_bytes);
	}
	for (int i = 1; i < h->nnodes; i++)
		for (int j = i; j > 0; j--) {
			int a = order[j], b = order[j - 1];
			bool before = (a == devnode) != (b == devnode)
					  ? a == devnode
				      : freepus[a] != freepus[b] ? freepus[a] > freepus[b]
								 : room[a] > room[b];
			if (!before)
				break;
			order[j] = b;
			order[j - 1] = a;
		}
	/* The fewest cells whose shares fit, each on the first nodes in that order with room. */
	for (k = k_first; k <= k_last; k++) {
		int got = 0;
		split(vc, k, r->vcpus, 1);
		split(mem, k, r->memory_bytes,
		      r->hugepage_bytes ? r->hugepage_bytes : 1024 * 1024);
		if (mem[k - 1] == 0)
			break;
		/* split() puts the larger shares first: the largest must fit every node. */
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
		explain_shared_failure(st, vm, k_last);
		return false;
	}
	if (k > 1 && st->explain)
		planner_append(&vm->explain, "no single node holds its memory; %d cells\n", k);
	for (int i = 0; i < k; i++) {
		mem_take(st, undo, chosen[i], mem[i], r->hugepage_bytes);
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
		vm->score -= SCORE_DEVICE *
			     ((double)vmp_host_distance(h, chosen[0], devnode) - 10.0) / 10.0;
	return true;
}

/* The reserved PUs on the VM's nodes, or all reserved PUs when none is there. */
static vmp_cpuset housekeeping_near(const vmp_host *h, const vmp_plan_vm *vm)
{
	vmp_cpuset near = {0}, out;

	for (int i = 0; i < vm->ncells; i++)
		vmp_cpuset_or(&near, &near,
			      &h->nodes[vmp_host_node_index(h, vm->cells[i].host_node)].cpus);
	vmp_cpuset_and(&out, &near, &h->reserved);
	return vmp_cpuset_empty(&out) ? h->reserved : out;
}

/* Emulator and I/O threads; false with a reason when the policy cannot be met. */
static bool place_threads(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int devnode)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;

	if (r->emulator == VMP_EMULATOR_ISOLATE)
		vm->emulatorpin = housekeeping_near(h, vm);
	else
		vm->emulatorpin = vm->pcpus;

	vm->niothreads = (int)r->iothreads;
	if (!r->iothreads)
		return true;
	vmp_cpuset pin = vm->pcpus;
	if (r->iothread_policy == VMP_IOTHREADS_NEAR_DEVICE && devnode >= 0) {
		vmp_cpuset near;
		vmp_cpuset_and(&near, &h->nodes[devnode].cpus, &h->reserved);
		if (!vmp_cpuset_empty(&near)) {
			pin = near;
		} else {
			/* No housekeeping CPU there: give the I/O threads a CPU of their own. */
			int got = -1;
			for (int i = st->node_core_start[devnode];
			     i < st->node_core_start[devnode + 1] && got < 0; i++)
				for (int j = st->core_pu_start[st->node_core[i]];
				     j < st->core_pu_start[st->node_core[i] + 1]; j++)
					if (st->pu_free[st->core_pu[j]]) {
						got = st->core_pu[j];
						break;
					}
			if (got >= 0) {
				take_pu(st, got);
				undo->pus[undo->npus++] = got;
				vmp_cpuset_zero(&pin);
				vmp_cpuset_set(&pin, h->pus[got].os_index);
			}
			if (st->explain && got >= 0)
				planner_append(&vm->explain,
					       "I/O threads get CPU %d of their own near the device\n",
					       h->pus[got].os_index);
			else if (st->explain)
				planner_append(&vm->explain, "no CPU is free near the device; I/O "
							     "threads share the VM's CPUs\n");
		}
	} else if (!vmp_cpuset_empty(&h->reserved)) {
		pin = housekeeping_near(h, vm);
	} else if (st->explain) {
		planner_append(&vm->explain, "no housekeeping CPUs; I/O threads share the VM's "
					     "CPUs\n");
	}
	for (int i = 0; i < vm->niothreads; i++)
		vm->iothreadpin[i] = pin;
	return true;
}

/*
 * Place one VM, or leave it unplaced with a reason and the state as it was.
 * max_cells bounds how many nodes a VM without numa= may be spread over.
 */
static void place_vm(planner_state *st, vmp_plan_vm *vm, int max_cells)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	int devnode = planner_device_node(h, r->device);
	planner_undo undo = {0};
	bool ok;

	undo.pus = malloc(sizeof(int) * ((size_t)h->npus + 1));
	if (!undo.pus) {
		planner_refuse(vm, VMP_BIND_OTHER, "out of memory");
		return;
	}
	vm->placed = false;
	vm->reason[0] = '\0';
	vm->bind = VMP_BIND_NONE;
	vm->ncells = vm->niothreads = vm->ncachetune = vm->nmemorytune = 0;
	if (r->device[0] && devnode < 0 && st->explain)
		planner_append(&vm->explain, "device '%s' is not known on this host; placed "
					     "without regard to it\n",
			       r->device);
	if ((r->emulator == VMP_EMULATOR_ISOLATE) && vmp_cpuset_empty(&h->reserved)) {
		planner_refuse(vm, VMP_BIND_HOUSEKEEPING,
			 "emulator=isolate needs housekeeping CPUs and none are reserved; use "
			 "--reserve (or auto) or emulator=share");
		free(undo.pus);
		return;
	}
	char cache_reason[VMP_REASON_MAX] = "";
	for (;;) {
		bool retry = false;
		if (r->cpu == VMP_CPU_SHARED)
			ok = place_shared(st, &undo, vm, devnode, max_cells);
		else
			ok = place_dedicated(st, &undo, vm, devnode, max_cells);
		if (ok && r->cpu == VMP_CPU_DEDICATED) {
			vmp_cpuset_zero(&vm->pcpus);
			for (unsigned i = 0; i < r->vcpus; i++)
				vmp_cpuset_set(&vm->pcpus, vm->vcpupin[i]);
			guest_topology(vm, h, st->max_core);
		}
		/* Shared VMs get their pool, emulator and I/O threads once all dedicated VMs
		 * are in. */
		if (ok && r->cpu == VMP_CPU_DEDICATED)
			ok = place_threads(st, &undo, vm, devnode);
		/* A shared VM's cache and bandwidth wait for its pool (finish_shared). */
		if (ok && r->cpu == VMP_CPU_DEDICATED)
			ok = planner_rdt_allocate(st, vm);
		if (ok)
			break;
		/* The ways may be free in another node's L3: rule out the nodes tried, again. */
		if (vm->bind == VMP_BIND_CACHE && vm->ncells > 0) {
			snprintf(cache_reason, sizeof(cache_reason), "%s", vm->reason);
			/* Only the nodes that share the L3 without ways; the VM's other nodes
			 * may serve again. */
			for (int i = 0; i < vm->ncells; i++) {
				int n = vmp_host_node_index(h, vm->cells[i].host_node);
				vmp_cpuset both;
				if (st->failed_l3 >= 0) {
					vmp_cpuset_and(&both, &h->nodes[n].cpus,
						       &h->l3s[st->failed_l3].cpus);
					if (vmp_cpuset_empty(&both))
						continue;
				}
				retry |= !st->node_skip[n];
				st->node_skip[n] = 1;
				if (st->explain)
					planner_append(&vm->explain,
						       "rejected node %d: %s; trying the others\n",
						       vm->cells[i].host_node, vm->reason);
			}
		}
		st->failed_l3 = -1;
		planner_undo_apply(st, &undo, r->hugepage_bytes);
		vm->ncells = vm->niothreads = vm->ncachetune = vm->nmemorytune = 0;
		if (retry) {
			vm->reason[0] = '\0';
			vm->bind = VMP_BIND_NONE;
			continue;
		}
		/* Where the other nodes had no room at all, the ways are what bound it. */
		if (cache_reason[0] && vm->bind != VMP_BIND_CACHE)
			planner_refuse(vm, VMP_BIND_CACHE, "%s", cache_reason);
		if (!vm->reason[0])
			explain_failure(st, vm);
		memset(st->node_skip, 0, (size_t)h->nnodes);
		free(undo.pus);
		return;
	}
	memset(st->node_skip, 0, (size_t)h->nnodes);
	/* The guest sees the host's distances between its cells' nodes. */
	for (int i = 0; i < vm->ncells; i++) {
		memset(vm->cells[i].distances, 0, sizeof(vm->cells[i].distances));
		for (int j = 0; h->distances && vm->ncells > 1 && j < vm->ncells; j++) {
			uint32_t d = vmp_host_distance(h, vmp_host_node_index(h, vm->cells[i].host_node),
						       vmp_host_node_index(h, vm->cells[j].host_node));
			vm->cells[i].distances[j] = (uint8_t)(d > 255 ? 255 : d);
		}
	}
	for (int i = 0; i < vm->ncells; i++) {
		int n = vmp_host_node_index(h, vm->cells[i].host_node);
		st->bw_demand[n] += bw_demand(h, r, n, vm->ncells);
		if (st->explain && r->hugepage_bytes && !pool_configured(h, r->hugepage_bytes))
			planner_append(&vm->explain,
				       "the host has no %" PRIu64 "kB hugepage pool: reserve %" PRIu64
				       " pages on node %d (nr_hugepages of "
				       "node%d/hugepages/hugepages-%" PRIu64 "kB)\n",
				       r->hugepage_bytes / 1024,
				       vm->cells[i].memory_bytes / r->hugepage_bytes,
				       vm->cells[i].host_node, vm->cells[i].host_node,
				       r->hugepage_bytes / 1024);
	}
	vm->placed = true;
	free(undo.pus);
}

/* The pool of shared VMs: every PU no dedicated vCPU, idle sibling or reservation holds. */
static void finish_shared(planner_state *st, vmp_plan *plan)
{
	const vmp_host *h = st->h;
	vmp_cpuset pool = {0};

	for (int p = 0; p < h->npus; p++)
		if (st->pu_free[p])
			vmp_cpuset_set(&pool, h->pus[p].os_index);
	for (int i = 0; i < plan->nvms; i++) {
		vmp_plan_vm *vm = &plan->vms[i];
		vmp_cpuset near = {0}, mine;
		if (!vm->placed || vm->req.cpu != VMP_CPU_SHARED)
			continue;
		if (vmp_cpuset_empty(&pool)) {
			vm->placed = false;
			planner_refuse(vm, VMP_BIND_SHARED_POOL,
				 "cpu=shared needs a pool of shared CPUs, but dedicated VMs and the "
				 "reservation hold every CPU; place fewer dedicated VMs");
			continue;
		}
		for (int c = 0; c < vm->ncells; c++)
			vmp_cpuset_or(&near, &near,
				      &h->nodes[vmp_host_node_index(h, vm->cells[c].host_node)].cpus);
		vmp_cpuset_and(&mine, &pool, &near);
		vm->pcpus = vmp_cpuset_empty(&mine) ? pool : mine;
		vm->sockets = (unsigned)vm->ncells;
		vm->dies = 1;
		vm->threads = 1;
		vm->cores = vm->req.vcpus / vm->sockets;
		if (vm->req.vcpus % vm->sockets) {
			vm->sockets = 1;
			vm->cores = vm->req.vcpus;
		}
		vm->emulatorpin = vm->req.emulator == VMP_EMULATOR_ISOLATE
					  ? housekeeping_near(h, vm)
					  : vm->pcpus;
		vm->niothreads = (int)vm->req.iothreads;
		for (int t = 0; t < vm->niothreads; t++)
			vm->iothreadpin[t] = vmp_cpuset_empty(&h->reserved)
						     ? vm->pcpus
						     : housekeeping_near(h, vm);
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

static int check_request(const vmp_vm_request *r)
{
	if (r->name[0] == '\0') {
		vmp_error_set("a VM request has no name");
		return VMP_EINVAL;
	}
	if (r->vcpus == 0 || r->vcpus > VMP_MAX_VCPUS) {
		vmp_error_set("VM '%s' asks for %u vCPUs; 1 to %d are possible", r->name, r->vcpus,
			      VMP_MAX_VCPUS);
		return VMP_EINVAL;
	}
	if (r->memory_bytes == 0 || r->memory_bytes % 1024) {
		vmp_error_set("VM '%s' asks for %" PRIu64 " bytes of memory; a positive multiple "
			      "of 1KiB is needed",
			      r->name, r->memory_bytes);
		return VMP_EINVAL;
	}
	if (r->hugepage_bytes && r->memory_bytes % r->hugepage_bytes) {
		char m[32], p[32];
		vmp_size_format(m, sizeof(m), r->memory_bytes);
		vmp_size_format(p, sizeof(p), r->hugepage_bytes);
		vmp_error_set("VM '%s' asks for %s of memory in %s hugepages; the memory must be "
			      "a multiple of the page size",
			      r->name, m, p);
		return VMP_EINVAL;
	}
	if (r->numa_cells > r->vcpus) {
		vmp_error_set("VM '%s' asks for %u guest NUMA cells but has only %u vCPUs",
			      r->name, r->numa_cells, r->vcpus);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* ---- orders ---- */

typedef struct order_ctx {
	const vmp_vm_request *reqs;
	const vmp_host *h;
	int key;        /* 0: CPU demand first, 1: memory demand first */
	bool ascending; /* smallest first (most VMs), else hardest first */
	int max_core;
} order_ctx;

/* PUs a request takes off the market: isolate holds whole cores. */
static double pu_demand(const order_ctx *o, const vmp_vm_request *r)
{
	if (r->cpu == VMP_CPU_SHARED)
		return 0;
	return r->threads == VMP_THREADS_ISOLATE ? (double)r->vcpus * o->max_core
						 : (double)r->vcpus;
}

static int by_difficulty(const void *a, const void *b, void *arg)
{
	const order_ctx *o = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const vmp_vm_request *x = &o->reqs[ia], *y = &o->reqs[ib];
	double cx = pu_demand(o, x), cy = pu_demand(o, y);
	double mx = (double)x->memory_bytes, my = (double)y->memory_bytes;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu == VMP_CPU_DEDICATED ? -1 : 1;
	int sign = o->ascending ? -1 : 1;
	if (o->key == 0 && cx != cy)
		return cx > cy ? -sign : sign;
	if (mx != my)
		return mx > my ? -sign : sign;
	if (cx != cy)
		return cx > cy ? -sign : sign;
	return ia < ib ? -1 : ia > ib;
}

/*
 * Run the placement in one order on a fresh state and set the plan's value.
 * With two_phase, VMs are first placed only where one node holds them, and
 * the rest spread over nodes afterwards, so that a big VM spreading early
 * does not crowd out smaller ones that fit whole.
 */
static int run_order(vmp_plan *plan, const vmp_host *h, const size_t *order, bool two_phase,
		     bool final, bool explain, double *value)
{
	planner_state st;
	int err;

	if ((err = planner_state_init(&st, h)) < 0)
		return err;
	st.explain = explain && final;
	st.reasons = final;
	for (int i = 0; i < plan->nvms; i++) {
		plan->vms[i].placed = false;
		plan->vms[i].reason[0] = '\0';
		plan->vms[i].bind = VMP_BIND_NONE;
		vmp_cpuset_zero(&plan->vms[i].pcpus);
		plan->vms[i].ncells = plan->vms[i].niothreads = 0;
		plan->vms[i].ncachetune = plan->vms[i].nmemorytune = 0;
		free(plan->vms[i].explain);
		plan->vms[i].explain = NULL;
	}
	for (int phase = two_phase ? 0 : 1; phase < 2; phase++)
		for (int i = 0; i < plan->nvms; i++) {
			vmp_plan_vm *vm = &plan->vms[order[i]];
			if (vm->placed)
				continue;
			free(vm->explain);
			vm->explain = NULL;
			place_vm(&st, vm, phase == 0 ? 1 : VMP_MAX_CELLS);
		}
	finish_shared(&st, plan);
	*value = 0;
	for (int i = 0; i < plan->nvms; i++)
		if (plan->vms[i].placed)
			*value += 1e6 * (1 + plan->vms[i].req.priority) + plan->vms[i].score;
	planner_state_free(&st);
	return VMP_OK;
}

static int plan_new(vmp_plan **out, const vmp_host *host, const vmp_vm_request *reqs,
		    size_t nreqs)
{
	vmp_plan *plan = calloc(1, sizeof(*plan));

	*out = NULL;
	if (!plan || !(plan->vms = calloc(nreqs ? nreqs : 1, sizeof(*plan->vms)))) {
		free(plan);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	plan->schema = VMP_PLAN_SCHEMA;
	vmp_host_fingerprint(plan->host, host);
	snprintf(plan->hostname, sizeof(plan->hostname), "%s", host->hostname);
	plan->nvms = (int)nreqs;
	for (size_t i = 0; i < nreqs; i++) {
		plan->vms[i].req = reqs[i];
		if (!(plan->vms[i].vcpupin = calloc(reqs[i].vcpus, sizeof(int)))) {
			vmp_plan_free(plan);
			vmp_error_set("out of memory");
			return VMP_ENOMEM;
		}
	}
	*out = plan;
	return VMP_OK;
}

/* The best plan found so far, and how it was made. */
typedef struct search {
	const vmp_host *h;
	const vmp_vm_request *reqs;
	size_t n;
	bool explain;
	vmp_plan *best, *trial; /* the trial's buffers are reused run after run */
	double best_value;
	size_t *best_order;
	bool best_two_phase;
} search;

/* Run one order; keep the plan when it beats the best so far. */
static int try_order(search *s, const size_t *order, bool two_phase)
{
	double value;
	int err;

	if (!s->trial && (err = plan_new(&s->trial, s->h, s->reqs, s->n)) < 0)
		return err;
	if ((err = run_order(s->trial, s->h, order, two_phase, false, false, &value)) < 0)
		return err;
	if (!s->best || value > s->best_value + 1e-9) {
		vmp_plan *t = s->best;
		s->best = s->trial;
		s->trial = t;
		s->best_value = value;
		memcpy(s->best_order, order, s->n * sizeof(*order));
		s->best_two_phase = two_phase;
	}
	return VMP_OK;
}

/* How many VMs the repair step tries to bring in, at most. */
#define REPAIR_TRIES 8

int vmp_plan_solve(vmp_plan **out, const vmp_host *host, const vmp_vm_request *reqs,
		   size_t nreqs, const vmp_plan_options *opts)
{
	/* Hardest first (by CPUs, by memory), in one phase and in two, and smallest
	 * first: each a different guess at what packs best. */
	static const struct {
		int key;
		bool ascending, two_phase;
	} strategies[] = {
		{0, false, false}, {0, false, true}, {1, false, true}, {1, false, false},
		{0, true, true},   {1, true, true},  {0, true, false},
	};
	vmp_plan_options defaults = {0};
	search s = {.h = host, .reqs = reqs, .n = nreqs};
	size_t *order = NULL;
	int err;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	s.explain = opts->explain;
	for (size_t i = 0; i < nreqs; i++) {
		if ((err = check_request(&reqs[i])) < 0)
			return err;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(reqs[i].name, reqs[j].name)) {
				vmp_error_set("VM name '%s' is used twice", reqs[i].name);
				return VMP_EINVAL;
			}
	}
	order = calloc(nreqs ? nreqs : 1, sizeof(*order));
	s.best_order = calloc(nreqs ? nreqs : 1, sizeof(*order));
	if (!order || !s.best_order) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nreqs; i++)
		order[i] = i;
	if (opts->order == VMP_ORDER_GIVEN) {
		if ((err = try_order(&s, order, false)) < 0)
			goto out;
		goto done;
	}
	for (size_t k = 0; k < sizeof(strategies) / sizeof(strategies[0]); k++) {
		order_ctx o = {.reqs = reqs, .h = host, .key = strategies[k].key,
			       .ascending = strategies[k].ascending,
			       .max_core = count_max_core(host)};
		for (size_t i = 0; i < nreqs; i++)
			order[i] = i;
		qsort_r(order, nreqs, sizeof(*order), by_difficulty, &o);
		if ((err = try_order(&s, order, strategies[k].two_phase)) < 0)
			goto out;
	}
	/*
	 * Repair: a VM left out may fit when it goes first. Move each of the
	 * first few unplaced VMs (of equal or higher priority) to the front of
	 * the best order and keep what improves the plan.
	 */
	for (int tries = 0; tries < REPAIR_TRIES; tries++) {
		size_t pick = nreqs;
		for (size_t i = 0; i < nreqs && pick == nreqs; i++) {
			size_t v = s.best_order[nreqs - 1 - i];
			if (!s.best->vms[v].placed)
				pick = nreqs - 1 - i;
		}
		if (pick == nreqs || pick == 0)
			break;
		double before = s.best_value;
		size_t v = s.best_order[pick];
		memcpy(order, s.best_order, nreqs * sizeof(*order));
		memmove(order + 1, order, pick * sizeof(*order));
		order[0] = v;
		for (int phase = 0; phase < 2; phase++)
			if ((err = try_order(&s, order, phase == 1)) < 0)
				goto out;
		if (s.best_value <= before + 1e-9)
			break;
	}
done:
	/* The winning order once more, with the reasons (and explanations) kept. */
	if ((err = run_order(s.best, host, s.best_order, s.best_two_phase, true, s.explain,
			     &s.best_value)) < 0)
		goto out;
	*out = s.best;
	s.best = NULL;
	err = VMP_OK;
out:
	vmp_plan_free(s.best);
	vmp_plan_free(s.trial);
	free(s.best_order);
	free(order);
	return err;
}

int vmp_plan_placed_count(const vmp_plan *plan)
{
	int n = 0;

	for (int i = 0; i < plan->nvms; i++)
		n += plan->vms[i].placed;
	return n;
}
