/* Dedicated VMs larger than a node: the fewest, nearest nodes, each taking an even share. */
#include <stdlib.h>
#include <string.h>

#include "planner/internal.h"

static int cmp_int_desc(const void *a, const void *b)
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
 * Fewer nodes than the ones with the most room together cannot hold r (on hundreds of
 * nodes, trying every count for a large VM took seconds).
 */
int planner_fewest_nodes(const planner_state *st, const vmp_vm_request *r)
{
	const vmp_host *h = st->h;
	int *caps = st->tmp.caps, have = 0, k = 0;
	uint64_t *rooms = st->tmp.rooms, cpu_sum = 0, mem_sum = 0;

	for (int n = 0; n < h->nnodes; n++)
		if (!st->node_skip[n]) {
			caps[have] = planner_capacity(st, n, ANY_L3, r->threads);
			rooms[have++] = planner_mem_room(st, n, r->hugepage_bytes);
		}
	qsort(caps, (size_t)have, sizeof(caps[0]), cmp_int_desc);
	qsort(rooms, (size_t)have, sizeof(rooms[0]), cmp_u64_desc);
	while (k < have && (cpu_sum < r->vcpus || mem_sum < r->memory_bytes)) {
		cpu_sum += (uint64_t)caps[k];
		mem_sum += rooms[k++];
	}
	return cpu_sum >= r->vcpus && mem_sum >= r->memory_bytes ? k : 0;
}

/*
 * The shares of a spread VM are k (vCPUs, memory) pairs, the larger first (planner_split());
 * a node set holds the VM when each share can be matched to its own node of the set. The
 * node sets that can be matched into the shares form a transversal matroid, so growing a set
 * node by node, keeping a node only when the matching grows, finds k nodes whenever any k
 * nodes of the host hold the VM, whatever order the nodes are tried in.
 */
typedef struct spread_match {
	uint64_t vc[VMP_MAX_CELLS], mem[VMP_MAX_CELLS];
	int k;
	int share_node[VMP_MAX_CELLS]; /* the node matched to each share, or -1 */
	int nodes[VMP_MAX_CELLS];      /* the set so far, in the order it grew */
	int nset;
} spread_match;

static bool share_fits(const planner_state *st, const vmp_vm_request *r, const spread_match *m,
		       int share, int node)
{
	(void)r; /* what each node has free is read once per search (place_spread) */
	return st->tmp.spread_cap[node] >= (int)m->vc[share] &&
	       st->tmp.spread_room[node] >= m->mem[share];
}

/* Augmenting path from node through the shares (Kuhn's algorithm; seen marks shares). */
static bool augment(const planner_state *st, const vmp_vm_request *r, spread_match *m, int node,
		    unsigned char *seen)
{
	for (int s = 0; s < m->k; s++) {
		if (seen[s] || !share_fits(st, r, m, s, node))
			continue;
		seen[s] = 1;
		if (m->share_node[s] < 0 || augment(st, r, m, m->share_node[s], seen)) {
			m->share_node[s] = node;
			return true;
		}
	}
	return false;
}

/* Add node to the set when the matching grows with it; whether it did. */
static bool match_add(const planner_state *st, const vmp_vm_request *r, spread_match *m, int node)
{
	unsigned char seen[VMP_MAX_CELLS] = {0};
	spread_match keep = *m;

	if (m->nset >= m->k)
		return false;
	if (!augment(st, r, m, node, seen)) {
		*m = keep;
		return false;
	}
	m->nodes[m->nset++] = node;
	return true;
}

static bool match_init(spread_match *m, const vmp_vm_request *r, int unit, int k)
{
	m->k = k;
	m->nset = 0;
	planner_split(m->vc, k, r->vcpus, (uint64_t)unit);
	planner_split(m->mem, k, r->memory_bytes,
		      r->hugepage_bytes ? r->hugepage_bytes : 1024 * 1024);
	for (int i = 0; i < k; i++) {
		m->share_node[i] = -1;
		if (m->vc[i] == 0 || m->mem[i] == 0)
			return false;
	}
	return true;
}

/* The least a set of k nodes that has nset of them at distance dist can total: each node
 * still to join is at least min_dist from every node before it. */
static uint64_t dist_bound(const planner_state *st, int nset, int k, uint32_t dist)
{
	uint64_t rest = (uint64_t)(k - 1) * (uint64_t)k / 2 -
			(uint64_t)(nset ? nset - 1 : 0) * (uint64_t)nset / 2;

	return dist + rest * st->min_dist;
}

#define SET_NONE  UINT32_MAX       /* no set of k nodes holds the VM */
#define SET_WORSE (UINT32_MAX - 1) /* the set could not beat the best one found */

/*
 * From node first, grow a set of k nodes by the nearest node (summed over the set) that
 * ok allows and that the shares can still be matched to; the nodes in share order into
 * nodes and the set's total distance, SET_NONE when no such set exists, or SET_WORSE as
 * soon as the set cannot total less than beat (the nodes tried are the same either way).
 */
static uint32_t grow_set(const planner_state *st, const vmp_vm_request *r, spread_match *m,
			 int first, int *nodes, uint32_t beat)
{
	const vmp_host *h = st->h;
	unsigned char *in = st->tmp.in;
	uint32_t dist = 0, *to_set = st->tmp.to_set; /* to_set[n]: distance from the set to n */

	if (beat != SET_NONE && dist_bound(st, 0, m->k, 0) >= beat)
		return SET_WORSE;
	memset(in, 0, (size_t)h->nnodes);
	if (!match_add(st, r, m, first))
		return UINT32_MAX;
	in[first] = 1;
	for (int n = 0; n < h->nnodes; n++)
		to_set[n] = vmp_host_distance(h, first, n);
	while (m->nset < m->k) {
		int pick = -1;
		uint32_t pick_d = UINT32_MAX;
		for (int n = 0; n < h->nnodes; n++)
			if (!in[n] && st->tmp.ok[n] && (pick < 0 || to_set[n] < pick_d)) {
				pick = n;
				pick_d = to_set[n];
			}
		if (pick < 0)
			return UINT32_MAX;
		/* Tried once: kept when it holds a share the set still lacks. */
		in[pick] = 1;
		if (!match_add(st, r, m, pick))
			continue;
		dist += pick_d;
		if (beat != SET_NONE && dist_bound(st, m->nset, m->k, dist) >= beat)
			return SET_WORSE;
		for (int n = 0; n < h->nnodes; n++)
			to_set[n] += vmp_host_distance(h, pick, n);
	}
	for (int s = 0; s < m->k; s++)
		nodes[s] = m->share_node[s];
	return dist;
}

/*
 * Choose k >= 2 nodes: from each possible first node, grow the set by the
 * nearest node that can take a share the set still lacks, and keep the set
 * with the smallest total distance.
 */
bool planner_place_spread(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int k,
			  int *l3_used, uint32_t *dist_out)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	int unit = r->threads == VMP_THREADS_REQUIRE ? st->max_core : 1;
	int best[VMP_MAX_CELLS], nodes[VMP_MAX_CELLS];
	uint32_t best_dist = UINT32_MAX;
	spread_match m;

	if ((int)r->vcpus < k || !match_init(&m, r, unit, k))
		return false;
	/* A node that can take no share can never join a set. */
	for (int n = 0; n < h->nnodes; n++) {
		st->tmp.spread_cap[n] = planner_capacity(st, n, ANY_L3, r->threads);
		st->tmp.spread_room[n] = planner_mem_room(st, n, r->hugepage_bytes);
		st->tmp.ok[n] = 0;
		for (int s = 0; s < k && !st->node_skip[n] && !st->tmp.ok[n]; s++)
			st->tmp.ok[n] = share_fits(st, r, &m, s, n);
	}
	for (int first = 0; first < h->nnodes; first++) {
		uint32_t dist;

		if (!st->tmp.ok[first])
			continue;
		match_init(&m, r, unit, k);
		dist = grow_set(st, r, &m, first, nodes, best_dist);
		/* Every greedy growth reaches the matroid's rank: when one falls short of k,
		 * so do all the others. */
		if (dist == SET_NONE)
			break;
		if (dist >= best_dist)
			continue;
		memcpy(best, nodes, sizeof(int) * k);
		best_dist = dist;
	}
	if (best_dist == UINT32_MAX)
		return false;
	*dist_out = best_dist;
	return planner_try_nodes(st, undo, vm, best, k, l3_used);
}
