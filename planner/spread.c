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

/* Order a node set by free capacity, most first, so the larger shares go there. */
static void sort_by_capacity(const planner_state *st, int *nodes, int k, vmp_thread_policy pol)
{
	for (int i = 1; i < k; i++)
		for (int j = i; j > 0 && planner_capacity(st, nodes[j], ANY_L3, pol) >
					     planner_capacity(st, nodes[j - 1], ANY_L3, pol);
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

	planner_split(vc, k, r->vcpus, (uint64_t)unit);
	planner_split(mem, k, r->memory_bytes, r->hugepage_bytes ? r->hugepage_bytes : 1024 * 1024);
	for (int i = 0; i < k; i++)
		if (vc[i] == 0 || mem[i] == 0 ||
		    planner_capacity(st, nodes[i], ANY_L3, r->threads) < (int)vc[i] ||
		    planner_mem_room(st, nodes[i], r->hugepage_bytes) < mem[i])
			return false;
	return true;
}

/*
 * From node first, grow a set of k nodes by the nearest node (summed over the set) that
 * ok allows; the set into nodes and its total distance, or UINT32_MAX when too few nodes
 * are allowed.
 */
static uint32_t grow_set(const planner_state *st, int first, int k, int *nodes)
{
	const vmp_host *h = st->h;
	unsigned char *in = st->tmp.in;
	uint32_t dist = 0, *to_set = st->tmp.to_set; /* to_set[n]: distance from the set to n */

	memset(in, 0, (size_t)h->nnodes);
	nodes[0] = first;
	in[first] = 1;
	for (int n = 0; n < h->nnodes; n++)
		to_set[n] = vmp_host_distance(h, first, n);
	for (int i = 1; i < k; i++) {
		int pick = -1;
		uint32_t pick_d = UINT32_MAX;
		for (int n = 0; n < h->nnodes; n++)
			if (!in[n] && st->tmp.ok[n] && to_set[n] < pick_d) {
				pick = n;
				pick_d = to_set[n];
			}
		if (pick < 0)
			return UINT32_MAX;
		nodes[i] = pick;
		in[pick] = 1;
		dist += pick_d;
		for (int n = 0; n < h->nnodes; n++)
			to_set[n] += vmp_host_distance(h, pick, n);
	}
	return dist;
}

/*
 * Choose k >= 2 nodes: from each possible first node, grow the set by the
 * nearest node that can take at least the smallest share, and keep the set
 * with the smallest total distance that the VM fits in.
 */
bool planner_place_spread(planner_state *st, planner_undo *undo, vmp_plan_vm *vm, int k,
			  int *l3_used, uint32_t *dist_out)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	int unit = r->threads == VMP_THREADS_REQUIRE ? st->max_core : 1;
	int best[VMP_MAX_CELLS], nodes[VMP_MAX_CELLS];
	uint32_t best_dist = UINT32_MAX;
	int min_cpu;

	if ((int)r->vcpus < k)
		return false;
	/* The smallest share, which every node of the set must at least take. */
	min_cpu = (int)((r->vcpus / unit) / k) * unit;
	if (min_cpu == 0)
		return false;
	for (int n = 0; n < h->nnodes; n++)
		st->tmp.ok[n] =
		    !st->node_skip[n] && planner_capacity(st, n, ANY_L3, r->threads) >= min_cpu &&
		    planner_mem_room(st, n, r->hugepage_bytes) >= r->memory_bytes / k / 2;
	for (int first = 0; first < h->nnodes; first++) {
		uint32_t dist;

		if (!st->tmp.ok[first])
			continue;
		dist = grow_set(st, first, k, nodes);
		/* UINT32_MAX (too few nodes) never beats the best. */
		if (dist >= best_dist)
			continue;
		sort_by_capacity(st, nodes, k, r->threads);
		if (!shares_fit(st, r, nodes, k))
			continue;
		memcpy(best, nodes, sizeof(int) * k);
		best_dist = dist;
	}
	if (best_dist == UINT32_MAX)
		return false;
	*dist_out = best_dist;
	return planner_try_nodes(st, undo, vm, best, k, l3_used);
}
