/* The planner's free state: CPU capacity, taking and giving back PUs and memory, undo. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "planner/internal.h"
#include "vmplan/error.h"

/* ---- state ---- */

int planner_max_core(const vmp_host *h)
{
	int t = 1;

	for (int c = 0; c < h->ncores; c++) {
		int n = vmp_cpuset_count(&h->cores[c].pus);
		if (n > t)
			t = n;
	}
	return t;
}

/* The least distance between two distinct nodes (a bound for the spread search). */
uint32_t planner_min_distance(const vmp_host *h)
{
	uint32_t least = UINT32_MAX;

	if (!h->distances)
		return h->nnodes > 1 ? vmp_host_distance(h, 0, 1) : 0;
	for (int a = 0; a < h->nnodes; a++)
		for (int b = 0; b < h->nnodes; b++)
			if (a != b && vmp_host_distance(h, a, b) < least)
				least = vmp_host_distance(h, a, b);
	return least == UINT32_MAX ? 0 : least;
}

static bool state_alloc(planner_state *st, const vmp_host *h)
{
	size_t nodes = (size_t)h->nnodes, cores = (size_t)h->ncores, pus = (size_t)h->npus;

	st->pu_free = calloc(pus, 1);
	st->core_nfree = calloc(cores, sizeof(int));
	st->core_size = calloc(cores, sizeof(int));
	st->core_pu_start = calloc(cores + 1, sizeof(int));
	st->core_pu = calloc(pus, sizeof(int));
	st->node_core_start = calloc(nodes + 1, sizeof(int));
	st->node_core = calloc(cores, sizeof(int));
	st->node_l3_start = calloc(nodes + 1, sizeof(int));
	st->node_l3 = calloc(cores + 1, sizeof(int)); /* a listed domain has a core */
	st->mem_free = calloc(nodes, sizeof(uint64_t));
	st->huge_free = calloc(nodes, sizeof(*st->huge_free));
	st->bw_demand = calloc(nodes, sizeof(double));
	st->node_skip = calloc(nodes, 1);
	st->tmp.caps = calloc(nodes + 1, sizeof(int));
	st->tmp.order = calloc(nodes + 1, sizeof(int));
	st->tmp.rooms = calloc(nodes + 1, sizeof(uint64_t));
	st->tmp.to_set = calloc(nodes + 1, sizeof(uint32_t));
	st->tmp.ok = calloc(nodes + 1, 1);
	st->tmp.in = calloc(nodes + 1, 1);
	st->tmp.spread_cap = calloc(nodes + 1, sizeof(int));
	st->tmp.spread_room = calloc(nodes + 1, sizeof(uint64_t));
	st->tmp.memo = calloc(PLANNER_MEMO_SHAPES, sizeof(*st->tmp.memo));
	st->tmp.fail = calloc(PLANNER_FAIL_MEMOS, sizeof(*st->tmp.fail));
	st->tmp.l3_caps = calloc((size_t)h->nl3 + 2, sizeof(int));
	st->tmp.undo_pus = calloc(pus + 1, sizeof(int));
	st->cap_empty = calloc(nodes * 3 + 1, sizeof(int));
	return st->cap_empty && st->pu_free && st->core_nfree && st->core_size &&
	       st->core_pu_start && st->core_pu && st->node_core_start && st->node_core &&
	       st->node_l3_start && st->node_l3 && st->mem_free && st->huge_free && st->bw_demand &&
	       st->node_skip && st->tmp.caps && st->tmp.order && st->tmp.rooms && st->tmp.to_set &&
	       st->tmp.ok && st->tmp.in && st->tmp.l3_caps && st->tmp.undo_pus &&
	       st->tmp.spread_cap && st->tmp.spread_room && st->tmp.memo && st->tmp.fail;
}

/* The CSR arrays: PUs per core in OS order, cores per node grouped by L3 domain. */
static void state_index(planner_state *st, const vmp_host *h)
{
	int pos = 0, nl3 = 0;

	for (int p = 0; p < h->npus; p++)
		st->core_pu_start[h->pus[p].core + 1]++;
	for (int c = 0; c < h->ncores; c++)
		st->core_pu_start[c + 1] += st->core_pu_start[c];
	/* core_size counts the PUs filed so far, ending at each core's size. */
	for (int p = 0; p < h->npus; p++) {
		int c = h->pus[p].core;
		st->core_pu[st->core_pu_start[c] + st->core_size[c]++] = p;
	}
	for (int c = 0; c < h->ncores; c++)
		st->node_core_start[h->cores[c].node + 1]++;
	for (int n = 0; n < h->nnodes; n++)
		st->node_core_start[n + 1] += st->node_core_start[n];
	for (int n = 0; n < h->nnodes; n++)
		for (int l = -1; l < h->nl3; l++)
			for (int c = 0; c < h->ncores; c++)
				if (h->cores[c].node == n && h->cores[c].l3 == l)
					st->node_core[pos++] = c;
	/* A node's L3 domains, in the order its cores list them. */
	for (int n = 0; n < h->nnodes; n++) {
		int last = ANY_L3;
		st->node_l3_start[n] = nl3;
		for (int i = st->node_core_start[n]; i < st->node_core_start[n + 1]; i++) {
			int l = h->cores[st->node_core[i]].l3;
			if (l != last)
				st->node_l3[nl3++] = last = l;
		}
	}
	st->node_l3_start[h->nnodes] = nl3;
}

int planner_state_init(planner_state *st, const vmp_host *h)
{
	memset(st, 0, sizeof(*st));
	st->h = h;
	st->failed_l3 = -1;
	if (!state_alloc(st, h)) {
		planner_state_free(st);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	state_index(st, h);
	for (int p = 0; p < h->npus; p++) {
		int cpu = h->pus[p].os_index;
		st->pu_free[p] = vmp_cpuset_isset(&h->online, cpu) &&
				 !vmp_cpuset_isset(&h->reserved, cpu) &&
				 !vmp_cpuset_isset(&h->used, cpu);
		st->core_nfree[h->pus[p].core] += st->pu_free[p];
	}
	st->max_core = planner_max_core(h);
	st->min_dist = planner_min_distance(h);
	for (int n = 0; n < h->nnodes; n++)
		for (int pol = 0; pol < 3; pol++)
			st->cap_empty[n * 3 + pol] =
			    planner_capacity(st, n, ANY_L3, (vmp_thread_policy)pol);
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
	free(st->node_l3_start);
	free(st->node_l3);
	free(st->mem_free);
	free(st->huge_free);
	free(st->bw_demand);
	free(st->node_skip);
	free(st->tmp.caps);
	free(st->tmp.order);
	free(st->tmp.rooms);
	free(st->tmp.to_set);
	free(st->tmp.ok);
	free(st->tmp.in);
	free(st->tmp.spread_cap);
	free(st->tmp.spread_room);
	free(st->tmp.memo);
	free(st->tmp.fail);
	free(st->tmp.l3_caps);
	free(st->tmp.undo_pus);
	free(st->cap_empty);
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
		return core_whole(st, c) && st->core_size[c] == st->max_core ? st->core_size[c] : 0;
	default:
		return st->core_nfree[c];
	}
}

int planner_capacity(const planner_state *st, int node, int l3, vmp_thread_policy pol)
{
	int n = 0;

	for (int i = st->node_core_start[node]; i < st->node_core_start[node + 1]; i++) {
		int c = st->node_core[i];
		if (l3 == ANY_L3 || st->h->cores[c].l3 == l3)
			n += core_capacity(st, c, pol);
	}
	return n;
}

int planner_l3_needed(const planner_state *st, int node, vmp_thread_policy pol, int n, bool empty)
{
	const int *ids = st->node_l3 + st->node_l3_start[node];
	int k = st->node_l3_start[node + 1] - st->node_l3_start[node], need = 0;
	int *caps = st->tmp.l3_caps;

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

void planner_take_pu(planner_state *st, planner_undo *undo, int p)
{
	st->pu_free[p] = 0;
	st->gen++;
	st->core_nfree[st->h->pus[p].core]--;
	undo->pus[undo->npus++] = p;
}

static void give_pu(planner_state *st, int p)
{
	st->pu_free[p] = 1;
	st->gen++;
	st->core_nfree[st->h->pus[p].core]++;
}

/* Whether take_cores passes over core c for the vCPUs still wanted. */
static bool core_skipped(const planner_state *st, int c, int l3, vmp_thread_policy pol, int wanted,
			 int pass)
{
	int nf = st->core_nfree[c];

	if ((l3 != ANY_L3 && st->h->cores[c].l3 != l3) || nf == 0 || core_capacity(st, c, pol) == 0)
		return true;
	/* Pass 0: whole cores we fill completely, then holes. */
	if (pol == VMP_THREADS_PREFER && pass == 0 && core_whole(st, c) && wanted < nf)
		return true;
	return pol == VMP_THREADS_REQUIRE && wanted < nf;
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
			int c = st->node_core[i];

			if (core_skipped(st, c, l3, pol, want - got, pass))
				continue;
			for (int j = st->core_pu_start[c]; j < st->core_pu_start[c + 1]; j++) {
				int p = st->core_pu[j];
				if (!st->pu_free[p])
					continue;
				if (got == want)
					break;
				pus[got++] = p;
				planner_take_pu(st, undo, p);
				if (pol == VMP_THREADS_ISOLATE) {
					/* The siblings stay idle, given to no one. */
					for (int q = st->core_pu_start[c];
					     q < st->core_pu_start[c + 1]; q++)
						if (st->pu_free[st->core_pu[q]])
							planner_take_pu(st, undo, st->core_pu[q]);
					break;
				}
			}
		}
	}
	return got;
}

int planner_place_on_node(planner_state *st, planner_undo *undo, int node, vmp_thread_policy pol,
			  int n, int *pus)
{
	const int *ids = st->node_l3 + st->node_l3_start[node];
	int k = st->node_l3_start[node + 1] - st->node_l3_start[node];
	int best = -1, best_cap = 0, used = 0, got = 0;

	if (planner_capacity(st, node, ANY_L3, pol) < n)
		return -1;
	/* The domain that fits most tightly, else the domains with most room in turn. */
	for (int i = 0; i < k; i++) {
		int cap = planner_capacity(st, node, ids[i], pol);
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
			int cap = planner_capacity(st, node, ids[i], pol);
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
 * Where no node has a pool of a page size (a host not yet set up for hugepages, or a
 * synthetic one), hugepages are planned out of free memory and the explanation says how
 * many pages to reserve where.
 */
bool planner_pool_configured(const vmp_host *h, uint64_t page_bytes)
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
	if (page_bytes == 0 || !planner_pool_configured(h, page_bytes))
		return -1;
	return huge_pool(h, node, page_bytes);
}

uint64_t planner_mem_room(const planner_state *st, int node, uint64_t page_bytes)
{
	int k = pool_of(st->h, node, page_bytes);

	if (k < 0) {
		if (page_bytes && planner_pool_configured(st->h, page_bytes))
			return 0; /* pools exist, just not on this node */
		return page_bytes ? st->mem_free[node] / page_bytes * page_bytes
				  : st->mem_free[node];
	}
	return st->huge_free[node][k] * page_bytes;
}

int planner_capacity_empty(const planner_state *st, int node, vmp_thread_policy pol)
{
	return st->cap_empty[node * 3 + (int)pol];
}

uint64_t planner_mem_room_empty(const planner_state *st, int node, uint64_t page_bytes)
{
	const vmp_node *n = &st->h->nodes[node];
	int k = pool_of(st->h, node, page_bytes);

	if (k < 0) {
		if (page_bytes && planner_pool_configured(st->h, page_bytes))
			return 0;
		return page_bytes ? n->free_bytes / page_bytes * page_bytes : n->free_bytes;
	}
	return n->hugepages[k].free * page_bytes;
}

static void mem_move(planner_state *st, int node, uint64_t mem, uint64_t page_bytes, bool give)
{
	int k = pool_of(st->h, node, page_bytes);

	st->gen++;
	if (k < 0) {
		st->mem_free[node] = give ? st->mem_free[node] + mem : st->mem_free[node] - mem;
		return;
	}
	st->huge_free[node][k] = give ? st->huge_free[node][k] + mem / page_bytes
				      : st->huge_free[node][k] - mem / page_bytes;
}

void planner_mem_take(planner_state *st, planner_undo *undo, int node, uint64_t mem,
		      uint64_t page_bytes)
{
	mem_move(st, node, mem, page_bytes, false);
	undo->mem_node[undo->nmem] = node;
	undo->mem_bytes[undo->nmem++] = mem;
}

/* ---- undo ---- */

void planner_undo_apply(planner_state *st, planner_undo *undo, uint64_t page_bytes)
{
	for (int i = 0; i < undo->npus; i++)
		give_pu(st, undo->pus[i]);
	for (int i = 0; i < undo->nmem; i++)
		mem_move(st, undo->mem_node[i], undo->mem_bytes[i], page_bytes, true);
	undo->npus = undo->nmem = 0;
}

double planner_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
