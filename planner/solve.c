/* The first planner: dedicated vCPUs, whole cores first, as few NUMA nodes and L3s as fit. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/error.h"
#include "vmplan/plan.h"
#include "vmplan/size.h"

/*
 * The objective, per VM: place it (everything else is secondary), then use
 * the fewest NUMA nodes, the nearest ones, and the fewest L3 domains. Among
 * the nodes and L3 domains that can hold a VM the tightest fit is taken, so
 * the largest free blocks stay whole for the VMs that come later.
 *
 * score = 100 - 20 * (nodes - 1) - 5 * (L3 domains - fewest possible)
 *             - (sum of distances between the VM's nodes - 10 per pair) / 2
 */
#define SCORE_BASE 100.0
#define SCORE_PER_EXTRA_NODE 20.0
#define SCORE_PER_EXTRA_L3 5.0

/* What is still free while the plan is built. */
typedef struct state {
	const vmp_host *host;
	vmp_cpuset used;         /* PUs given to a VM or kept idle for one */
	uint64_t *mem_free;      /* per node index, bytes */
	uint64_t (*huge_free)[VMP_PAGESIZES_MAX]; /* per node index and pool, pages */
} state;

/* Free PUs of one core under the current state. */
static int core_free(const state *st, int core, vmp_cpuset *out)
{
	vmp_cpuset f;

	vmp_cpuset_andnot(&f, &st->host->cores[core].pus, &st->used);
	vmp_cpuset_andnot(&f, &f, &st->host->reserved);
	vmp_cpuset_and(&f, &f, &st->host->online);
	if (out)
		*out = f;
	return vmp_cpuset_count(&f);
}

static bool core_whole(const state *st, int core)
{
	return core_free(st, core, NULL) == vmp_cpuset_count(&st->host->cores[core].pus);
}

/* How many vCPUs a core can still take under a thread policy. */
static int core_capacity(const state *st, int core, vmp_thread_policy pol)
{
	int f = core_free(st, core, NULL);

	switch (pol) {
	case VMP_THREADS_ISOLATE:
		return core_whole(st, core) && f > 0 ? 1 : 0;
	case VMP_THREADS_REQUIRE:
		return core_whole(st, core) ? f : 0;
	default:
		return f;
	}
}

/* vCPU capacity of a node (l3 < 0) or of one L3 domain within a node. */
static int capacity(const state *st, int node, int l3, vmp_thread_policy pol)
{
	int n = 0;

	for (int c = 0; c < st->host->ncores; c++) {
		const vmp_core *core = &st->host->cores[c];
		if (core->node == node && (l3 < 0 || core->l3 == l3))
			n += core_capacity(st, c, pol);
	}
	return n;
}

/* The pool index of a page size on a node, or -1. */
static int huge_pool(const vmp_host *host, int node, uint64_t page_bytes)
{
	const vmp_node *n = &host->nodes[node];

	for (int k = 0; k < n->nhugepages; k++)
		if (n->hugepages[k].size_kib * 1024 == page_bytes)
			return k;
	return -1;
}

/* Can a node back mem bytes of guest memory (from the right pool)? */
static bool mem_fits(const state *st, int node, uint64_t mem, uint64_t page_bytes)
{
	if (page_bytes == 0)
		return st->mem_free[node] >= mem;
	int k = huge_pool(st->host, node, page_bytes);
	return k >= 0 && st->huge_free[node][k] >= mem / page_bytes;
}

static void mem_take(state *st, int node, uint64_t mem, uint64_t page_bytes)
{
	if (page_bytes == 0) {
		st->mem_free[node] -= mem;
		return;
	}
	st->huge_free[node][huge_pool(st->host, node, page_bytes)] -= mem / page_bytes;
}

/*
 * Take up to want vCPUs' worth of PUs from cores of one node (and one L3
 * domain when l3 >= 0), appending the PU of each vCPU to pins. Whole cores
 * are taken first so that sibling threads hold consecutive vCPUs; a lone
 * leftover vCPU goes to a partly used core, filling a hole rather than
 * breaking a whole core.
 */
static int take_cores(state *st, int node, int l3, vmp_thread_policy pol, int want, int *pins)
{
	const vmp_host *h = st->host;
	int got = 0;

	for (int pass = 0; pass < 2 && got < want; pass++) {
		for (int c = 0; c < h->ncores && got < want; c++) {
			const vmp_core *core = &h->cores[c];
			vmp_cpuset f;
			int nf, cpu;

			if (core->node != node || (l3 >= 0 && core->l3 != l3))
				continue;
			if ((nf = core_free(st, c, &f)) == 0 || core_capacity(st, c, pol) == 0)
				continue;
			bool whole = core_whole(st, c);
			if (pol == VMP_THREADS_PREFER) {
				/* Pass 0: whole cores that we fill completely, then
				 * holes for a remainder; pass 1: anything left. */
				if (pass == 0 && whole && want - got < nf)
					continue;
			}
			if (pol == VMP_THREADS_REQUIRE && want - got < nf)
				continue;
			VMP_CPUSET_FOREACH(cpu, &f)
			{
				if (got == want)
					break;
				pins[got++] = cpu;
				vmp_cpuset_set(&st->used, cpu);
				if (pol == VMP_THREADS_ISOLATE) {
					/* The siblings stay idle, given to no one. */
					vmp_cpuset_or(&st->used, &st->used, &core->pus);
					break;
				}
			}
		}
	}
	return got;
}

/*
 * Place n vCPUs on one node, in as few L3 domains as possible: the L3
 * domain that fits most tightly, else the fullest-free domains in turn.
 * Returns the number of L3 domains used, or -1 (state untouched) when the
 * node cannot hold them.
 */
static int place_on_node(state *st, int node, vmp_thread_policy pol, int n, int *pins)
{
	const vmp_host *h = st->host;
	int best = -1, best_cap = 0, used_l3 = 0;

	if (capacity(st, node, -1, pol) < n)
		return -1;
	if (h->nl3 == 0)
		return take_cores(st, node, -1, pol, n, pins) == n ? 0 : -1;

	for (int l = 0; l < h->nl3; l++) {
		int cap = capacity(st, node, l, pol);
		if (cap >= n && (best < 0 || cap < best_cap)) {
			best = l;
			best_cap = cap;
		}
	}
	if (best >= 0)
		return take_cores(st, node, best, pol, n, pins) == n ? 1 : -1;

	/* No single domain holds it: fill the domains with most room first. */
	int got = 0;
	while (got < n) {
		int pick = -1, pick_cap = 0;
		for (int l = 0; l < h->nl3; l++) {
			int cap = capacity(st, node, l, pol);
			if (cap > pick_cap) {
				pick = l;
				pick_cap = cap;
			}
		}
		if (pick < 0)
			break;
		got += take_cores(st, node, pick, pol, n - got, pins + got);
		used_l3++;
	}
	/* Cores outside any L3 domain of the node. */
	if (got < n)
		got += take_cores(st, node, -1, pol, n - got, pins + got);
	return got == n ? used_l3 : -1;
}

/* The fewest L3 domains n vCPUs need on a node, as if it were empty. */
static int min_l3(const vmp_host *h, int node, int n, vmp_thread_policy pol)
{
	int need = 0, sizes[h->nl3 > 0 ? h->nl3 : 1];

	if (h->nl3 == 0)
		return 0;
	for (int l = 0; l < h->nl3; l++) {
		sizes[l] = 0;
		for (int c = 0; c < h->ncores; c++)
			if (h->cores[c].node == node && h->cores[c].l3 == l)
				sizes[l] += pol == VMP_THREADS_ISOLATE
						    ? 1
						    : vmp_cpuset_count(&h->cores[c].pus);
	}
	while (n > 0) {
		int big = 0;
		for (int l = 1; l < h->nl3; l++)
			if (sizes[l] > sizes[big])
				big = l;
		if (sizes[big] == 0)
			break;
		n -= sizes[big];
		sizes[big] = 0;
		need++;
	}
	return need;
}

/* Split total into k shares as even as possible, each a multiple of unit. */
static void split(uint64_t *out, int k, uint64_t total, uint64_t unit)
{
	uint64_t units = total / unit;

	for (int i = 0; i < k; i++)
		out[i] = (units / k + ((uint64_t)i < units % k ? 1 : 0)) * unit;
	out[k - 1] += total - units * unit;
}

/* vCPUs per cell: even shares, in multiples of the threads per core for require. */
static void split_vcpus(int *out, int k, int vcpus, int unit)
{
	uint64_t shares[VMP_MAX_CELLS];

	split(shares, k, (uint64_t)vcpus, (uint64_t)unit);
	for (int i = 0; i < k; i++)
		out[i] = (int)shares[i];
}

static int threads_per_core(const vmp_host *h)
{
	int t = 1;

	for (int c = 0; c < h->ncores; c++)
		if (vmp_cpuset_count(&h->cores[c].pus) > t)
			t = vmp_cpuset_count(&h->cores[c].pus);
	return t;
}

/*
 * Guest CPU topology that matches the placement: one socket per cell when
 * the cells are equal, and threads > 1 only where every group of that many
 * consecutive vCPUs sits on the siblings of one core.
 */
static void guest_topology(vmp_plan_vm *vm, const vmp_host *h)
{
	unsigned v = vm->req.vcpus, t = (unsigned)threads_per_core(h);
	bool equal = true;

	for (int i = 1; i < vm->ncells; i++)
		if (vmp_cpuset_count(&vm->cells[i].vcpus) != vmp_cpuset_count(&vm->cells[0].vcpus))
			equal = false;
	vm->sockets = equal ? (unsigned)vm->ncells : 1;
	vm->dies = 1;
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

/* Try to place vm on exactly the nodes listed; on failure restore the state. */
static bool try_nodes(state *st, vmp_plan_vm *vm, const int *nodes, int k, int *l3_used)
{
	const vmp_vm_request *r = &vm->req;
	uint64_t mem[VMP_MAX_CELLS];
	int vc[VMP_MAX_CELLS], unit = r->threads == VMP_THREADS_REQUIRE ? threads_per_core(st->host) : 1;
	state saved = *st;
	size_t memsz = sizeof(uint64_t) * st->host->nnodes;
	uint64_t mem_saved[st->host->nnodes];
	uint64_t huge_saved[st->host->nnodes][VMP_PAGESIZES_MAX];

	if ((int)r->vcpus < k || ((int)r->vcpus % unit) != 0)
		return false;
	split_vcpus(vc, k, (int)r->vcpus, unit);
	split(mem, k, r->memory_bytes, r->hugepage_bytes ? r->hugepage_bytes : 1024 * 1024);
	for (int i = 0; i < k; i++)
		if (vc[i] == 0 || !mem_fits(st, nodes[i], mem[i], r->hugepage_bytes) ||
		    capacity(st, nodes[i], -1, r->threads) < vc[i])
			return false;

	memcpy(mem_saved, st->mem_free, memsz);
	memcpy(huge_saved, st->huge_free, sizeof(huge_saved));
	int v = 0;
	*l3_used = 0;
	for (int i = 0; i < k; i++) {
		int l3 = place_on_node(st, nodes[i], r->threads, vc[i], vm->vcpupin + v);
		if (l3 < 0) {
			st->used = saved.used;
			memcpy(st->mem_free, mem_saved, memsz);
			memcpy(st->huge_free, huge_saved, sizeof(huge_saved));
			return false;
		}
		*l3_used += l3;
		mem_take(st, nodes[i], mem[i], r->hugepage_bytes);
		vmp_plan_cell *cell = &vm->cells[i];
		cell->host_node = st->host->nodes[nodes[i]].id;
		cell->memory_bytes = mem[i];
		vmp_cpuset_zero(&cell->vcpus);
		vmp_cpuset_set_range(&cell->vcpus, v, v + vc[i] - 1);
		v += vc[i];
	}
	vm->ncells = k;
	return true;
}

/*
 * Choose k nodes for a VM: for each possible first node (tightest first),
 * grow the set by the nearest node that still has room, and keep the set
 * with the smallest total distance that the VM fits in.
 */
static bool place_spread(state *st, vmp_plan_vm *vm, int k, int *l3_used, uint32_t *dist_out)
{
	const vmp_host *h = st->host;
	int best[VMP_MAX_CELLS], nodes[VMP_MAX_CELLS];
	uint32_t best_dist = UINT32_MAX;

	for (int first = 0; first < h->nnodes; first++) {
		bool in[h->nnodes];
		uint32_t dist = 0;

		memset(in, 0, sizeof(in));
		int i;
		nodes[0] = first;
		in[first] = true;
		if (capacity(st, first, -1, vm->req.threads) == 0)
			continue;
		for (i = 1; i < k; i++) {
			int pick = -1;
			uint32_t pick_d = UINT32_MAX;
			for (int n = 0; n < h->nnodes; n++) {
				uint32_t d = 0;
				if (in[n] || capacity(st, n, -1, vm->req.threads) == 0)
					continue;
				for (int j = 0; j < i; j++)
					d += vmp_host_distance(h, nodes[j], n);
				if (d < pick_d) {
					pick = n;
					pick_d = d;
				}
			}
			if (pick < 0)
				break;
			nodes[i] = pick;
			in[pick] = true;
			dist += pick_d;
		}
		if (i < k || dist >= best_dist)
			continue;
		/* Check the fit without committing. */
		state probe = *st;
		uint64_t mem_copy[h->nnodes];
		uint64_t huge_copy[h->nnodes][VMP_PAGESIZES_MAX];
		int l3;
		memcpy(mem_copy, st->mem_free, sizeof(mem_copy));
		memcpy(huge_copy, st->huge_free, sizeof(huge_copy));
		probe.mem_free = mem_copy;
		probe.huge_free = huge_copy;
		if (try_nodes(&probe, vm, nodes, k, &l3)) {
			memcpy(best, nodes, sizeof(int) * k);
			best_dist = dist;
		}
	}
	if (best_dist == UINT32_MAX)
		return false;
	*dist_out = best_dist;
	return try_nodes(st, vm, best, k, l3_used);
}

/* Append to a NUL-terminated buffer, truncating quietly at its size. */
static void append(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static void explain_failure(const state *st, vmp_plan_vm *vm)
{
	const vmp_host *h = st->host;
	const vmp_vm_request *r = &vm->req;
	static const char *const pol[] = {"prefer", "isolate", "require"};
	char want[32], sz[32];

	vmp_size_format(want, sizeof(want), r->memory_bytes);
	vm->reason[0] = '\0';
	append(vm->reason, sizeof(vm->reason),
	       "needs %u dedicated vCPUs (threads=%s) and %s of %s", r->vcpus, pol[r->threads],
	       want, r->hugepage_bytes ? "hugepages" : "memory");
	if (r->numa_cells)
		append(vm->reason, sizeof(vm->reason), " in %u guest NUMA cells", r->numa_cells);
	append(vm->reason, sizeof(vm->reason), "; free:");
	for (int n = 0; n < h->nnodes; n++) {
		uint64_t free_mem = st->mem_free[n];
		int k = r->hugepage_bytes ? huge_pool(h, n, r->hugepage_bytes) : -1;
		if (r->hugepage_bytes)
			free_mem = k < 0 ? 0 : st->huge_free[n][k] * r->hugepage_bytes;
		vmp_size_format(sz, sizeof(sz), free_mem);
		append(vm->reason, sizeof(vm->reason), "%s node %d: %d vCPUs, %s", n ? ";" : "",
		       h->nodes[n].id, capacity(st, n, -1, r->threads), sz);
	}
	append(vm->reason, sizeof(vm->reason),
	       "; lower vcpus or memory, relax threads, or free capacity");
}

static void place_vm(state *st, vmp_plan_vm *vm)
{
	const vmp_host *h = st->host;
	const vmp_vm_request *r = &vm->req;
	int k_first = r->numa_cells ? (int)r->numa_cells : 1;
	int k_last = r->numa_cells ? (int)r->numa_cells : h->nnodes;
	int l3_used = 0;
	uint32_t dist = 0;

	if (r->emulator == VMP_EMULATOR_ISOLATE && vmp_cpuset_empty(&h->reserved)) {
		snprintf(vm->reason, sizeof(vm->reason),
			 "emulator=isolate needs housekeeping CPUs and none are reserved; "
			 "use --reserve or emulator=share");
		return;
	}
	if (k_last > h->nnodes || k_last > VMP_MAX_CELLS) {
		snprintf(vm->reason, sizeof(vm->reason),
			 "asks for %u guest NUMA cells but the host has %d NUMA nodes", r->numa_cells,
			 h->nnodes);
		return;
	}
	bool ok = false;
	int k;
	for (k = k_first; k <= k_last && !ok; k++) {
		if (k == 1) {
			/* One node: the tightest fit of capacity, then fewest L3s. */
			int best = -1, best_cap = 0;
			for (int n = 0; n < h->nnodes; n++) {
				int cap = capacity(st, n, -1, r->threads);
				if (cap < (int)r->vcpus ||
				    !mem_fits(st, n, r->memory_bytes, r->hugepage_bytes))
					continue;
				if (best < 0 || cap < best_cap) {
					best = n;
					best_cap = cap;
				}
			}
			ok = best >= 0 && try_nodes(st, vm, &best, 1, &l3_used);
		} else {
			ok = place_spread(st, vm, k, &l3_used, &dist);
		}
	}
	if (!ok) {
		explain_failure(st, vm);
		return;
	}
	vm->placed = true;
	vmp_cpuset_zero(&vm->pcpus);
	for (unsigned i = 0; i < r->vcpus; i++)
		vmp_cpuset_set(&vm->pcpus, vm->vcpupin[i]);
	vm->emulatorpin = r->emulator == VMP_EMULATOR_ISOLATE ? h->reserved : vm->pcpus;
	guest_topology(vm, h);

	int fewest = 0;
	for (int i = 0; i < vm->ncells; i++)
		fewest += min_l3(h, vmp_host_node_index(h, vm->cells[i].host_node),
				 vmp_cpuset_count(&vm->cells[i].vcpus), r->threads);
	int pairs = vm->ncells * (vm->ncells - 1) / 2;
	vm->score = SCORE_BASE - SCORE_PER_EXTRA_NODE * (vm->ncells - 1) -
		    SCORE_PER_EXTRA_L3 * (l3_used > fewest ? l3_used - fewest : 0) -
		    ((double)dist - 10.0 * pairs) / 2.0;
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
	return VMP_OK;
}

/* Batch order: biggest first (vCPUs, then memory), ties by position. */
static int by_size(const void *a, const void *b, void *arg)
{
	const vmp_vm_request *reqs = arg;
	const vmp_vm_request *x = &reqs[*(const size_t *)a], *y = &reqs[*(const size_t *)b];

	if (x->vcpus != y->vcpus)
		return x->vcpus > y->vcpus ? -1 : 1;
	if (x->memory_bytes != y->memory_bytes)
		return x->memory_bytes > y->memory_bytes ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

int vmp_plan_solve(vmp_plan **out, const vmp_host *host, const vmp_vm_request *reqs,
		   size_t nreqs, const vmp_plan_options *opts)
{
	vmp_plan_options defaults = {0};
	vmp_plan *plan = NULL;
	size_t *order = NULL;
	state st = {.host = host};
	int err = VMP_OK;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	for (size_t i = 0; i < nreqs; i++) {
		if ((err = check_request(&reqs[i])) < 0)
			return err;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(reqs[i].name, reqs[j].name)) {
				vmp_error_set("VM name '%s' is used twice", reqs[i].name);
				return VMP_EINVAL;
			}
	}
	plan = calloc(1, sizeof(*plan));
	order = calloc(nreqs ? nreqs : 1, sizeof(*order));
	st.mem_free = calloc((size_t)host->nnodes, sizeof(*st.mem_free));
	st.huge_free = calloc((size_t)host->nnodes, sizeof(*st.huge_free));
	if (!plan || !order || !st.mem_free || !st.huge_free ||
	    !(plan->vms = calloc(nreqs ? nreqs : 1, sizeof(*plan->vms)))) {
		err = VMP_ENOMEM;
		goto out;
	}
	plan->schema = VMP_PLAN_SCHEMA;
	vmp_host_fingerprint(plan->host, host);
	snprintf(plan->hostname, sizeof(plan->hostname), "%s", host->hostname);
	plan->nvms = (int)nreqs;
	for (size_t i = 0; i < nreqs; i++) {
		plan->vms[i].req = reqs[i];
		if (!(plan->vms[i].vcpupin = calloc(reqs[i].vcpus, sizeof(int)))) {
			err = VMP_ENOMEM;
			goto out;
		}
		order[i] = i;
	}
	for (int n = 0; n < host->nnodes; n++) {
		st.mem_free[n] = host->nodes[n].free_bytes;
		for (int k = 0; k < host->nodes[n].nhugepages; k++)
			st.huge_free[n][k] = host->nodes[n].hugepages[k].free;
	}
	if (opts->order == VMP_ORDER_BATCH && nreqs > 1)
		qsort_r(order, nreqs, sizeof(*order), by_size, (void *)reqs);

	for (size_t i = 0; i < nreqs; i++)
		place_vm(&st, &plan->vms[order[i]]);
	*out = plan;
	plan = NULL;
out:
	if (err == VMP_ENOMEM)
		vmp_error_set("out of memory");
	vmp_plan_free(plan);
	free(order);
	free(st.mem_free);
	free(st.huge_free);
	return err;
}

int vmp_plan_placed_count(const vmp_plan *plan)
{
	int n = 0;

	for (int i = 0; i < plan->nvms; i++)
		n += plan->vms[i].placed;
	return n;
}
