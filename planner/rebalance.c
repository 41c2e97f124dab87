/* Rebalance: the fewest moves of running VMs, each planned on the state the last one left. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebalance_internal.h"
#include "vmplan/error.h"

#define SCORE_HOST 1000L /* a whole free host counts as this many free nodes */

static uint64_t path_cost(const rb_search *s, int depth)
{
	uint64_t cost = 0;

	for (int i = 0; i < depth; i++)
		cost += s->vms[s->path[i].vm].req.memory_bytes;
	return cost;
}

static void record(rb_search *s, int depth, uint64_t cost, long score)
{
	memcpy(s->best, s->path, (size_t)depth * sizeof(*s->best));
	s->nbest = depth;
	s->best_cost = cost;
	s->best_score = score;
	s->found = true;
}

/* The end of a path: does it reach the goal, better than the best so far? */
static int leaf(rb_search *s, int depth)
{
	uint64_t cost = path_cost(s, depth);
	int nodes, hosts;
	long score;

	if (s->make_room && s->nvms - s->nmov == 1 && depth > 0) {
		/* One request, and no state of fewer moves took it: only the host the last move
		 * left can take it now (the destination only fills up, the others are as they
		 * were). */
		vmp_cpuset cpus;
		uint64_t mem[RB_NODES_MAX];
		int from = s->path[depth - 1].from;
		int fit = rb_host_allows(s, s->nmov, from)
			      ? rb_plan(s, s->nmov, from, -1, &cpus, mem, NULL)
			      : 0;

		if (fit < 0)
			return fit;
		if (fit && (!s->found || cost < s->best_cost))
			record(s, depth, cost, 0);
		return VMP_OK;
	}
	if (s->make_room) {
		int fit = rb_fit(s, NULL, NULL);

		rb_unfit(s);
		if (fit < 0)
			return fit;
		if (fit && (!s->found || cost < s->best_cost))
			record(s, depth, cost, 0);
		return VMP_OK;
	}
	rb_count_free(s, &nodes, &hosts);
	score = hosts * SCORE_HOST + nodes;
	if (score > s->best_score ||
	    (s->found && score == s->best_score && depth == s->nbest && cost < s->best_cost))
		record(s, depth, cost, score);
	return VMP_OK;
}

/* Whether a re-pin of VM v on host h uses a node that holds nothing else: it frees no more
 * than it fills (a migration onto an empty node may still free a whole host). */
static bool lands_on_free(const rb_search *s, int v, int h, const vmp_cpuset *cpus,
			  const uint64_t *mem)
{
	const rb_host *rh = &s->hosts[h];

	for (int n = 0; n < rh->base.nnodes; n++)
		if ((mem[n] || vmp_cpuset_intersects(cpus, &rh->nodes[n].cpus)) &&
		    rb_node_free(s, h, n, v))
			return true;
	return false;
}

static uint64_t place_hash(int h, const vmp_cpuset *cpus, const uint64_t *mem)
{
	uint64_t x = 1469598103934665603ULL ^ (uint64_t)h;

	for (size_t i = 0; i < sizeof(cpus->bits) / sizeof(cpus->bits[0]); i++)
		x = (x ^ cpus->bits[i]) * 1099511628211ULL;
	for (int n = 0; n < RB_NODES_MAX; n++)
		x = (x ^ mem[n]) * 1099511628211ULL;
	return x;
}

/*
 * Whether the last move may move VM v: with one request, only when the request fits v's host
 * without v (no state of fewer moves took it, and a host only frees room for it when a VM
 * leaves or re-pins, which takes no more than leaving). True where the rule does not apply.
 */
static bool relieves(rb_search *s, int v)
{
	vmp_cpuset cpus;
	uint64_t mem[RB_NODES_MAX];
	int host = s->vms[v].host, fit;

	if (!s->make_room || s->nvms - s->nmov != 1)
		return true;
	if (!rb_host_allows(s, s->nmov, host))
		return false;
	s->vms[v].host = -1;
	fit = rb_plan(s, s->nmov, host, -1, &cpus, mem, NULL);
	s->vms[v].host = host;
	if (fit < 0)
		s->err = fit;
	return fit != 0;
}

/*
 * Whether moving VM v to host h right after the previous move is the same as the other order,
 * already tried: two moves on four different hosts give the same states either way (each is
 * planned on its own destination only), so only the order with the lower VM first is searched.
 */
static bool commutes(const rb_search *s, int level, int v, int h)
{
	const rb_move *p;
	int from = s->vms[v].host;

	if (level == 0)
		return false;
	p = &s->path[level - 1];
	return p->vm > v && p->from != from && p->from != h && p->to != from && p->to != h;
}

static int dfs(rb_search *s, int level);

/* Move VM v to host h where the planner puts it, and onto each one node, then go deeper. */
static int try_host(rb_search *s, int level, int v, int h)
{
	rb_vm *x = &s->vms[v];
	int nn = s->hosts[h].base.nnodes, ntargets = x->req.numa_cells <= 1 && nn > 1 ? nn : 0;
	uint64_t seen[RB_NODES_MAX + 1];
	int nseen = 0;

	for (int t = -1; t < ntargets; t++) {
		vmp_cpuset cpus;
		uint64_t mem[RB_NODES_MAX], hash;
		rb_move *m = &s->path[level];
		bool dup = false;
		int placed, err;

		if (s->candidates >= s->budget) {
			s->budget_out = true;
			return VMP_OK;
		}
		if ((placed = rb_plan(s, v, h, t, &cpus, mem, NULL)) <= 0) {
			if (placed < 0)
				return placed;
			continue;
		}
		if (h == x->host && vmp_cpuset_equal(&cpus, &x->cpus) &&
		    !memcmp(mem, x->mem, sizeof(mem)))
			continue;
		hash = place_hash(h, &cpus, mem);
		for (int i = 0; i < nseen; i++)
			dup = dup || seen[i] == hash;
		if (dup || (!s->make_room && h == x->host && lands_on_free(s, v, h, &cpus, mem)))
			continue;
		seen[nseen++] = hash;
		m->vm = v;
		m->to = h;
		m->target = t;
		m->from = x->host;
		m->from_cpus = x->cpus;
		memcpy(m->from_mem, x->mem, sizeof(m->from_mem));
		x->host = h;
		x->cpus = cpus;
		memcpy(x->mem, mem, sizeof(mem));
		err = dfs(s, level + 1);
		x->host = m->from;
		x->cpus = m->from_cpus;
		memcpy(x->mem, m->from_mem, sizeof(x->mem));
		if (err < 0 || s->budget_out)
			return err;
	}
	return VMP_OK;
}

static int dfs(rb_search *s, int level)
{
	uint64_t so_far = path_cost(s, level);

	if (level == s->depth)
		return leaf(s, level);
	for (int v = 0; v < s->nmov; v++) {
		/* Branch and bound on the memory moved: the VMs come cheapest first, so no later
		 * one can beat the best list either. */
		if (s->make_room && s->found && so_far + s->vms[v].req.memory_bytes >= s->best_cost)
			break;
		if (level == s->depth - 1 && !relieves(s, v)) {
			if (s->err < 0)
				return s->err;
			continue;
		}
		/* Two moves of one VM in a row are one move. */
		if (level > 0 && s->path[level - 1].vm == v)
			continue;
		for (int h = 0; h < s->nhosts; h++) {
			int err;

			if (!s->hosts[h].usable || commutes(s, level, v, h))
				continue;
			if ((err = try_host(s, level, v, h)) < 0 || s->budget_out)
				return err;
		}
	}
	return VMP_OK;
}

int rb_search_run(rb_search *s)
{
	int nodes, hosts, err;

	rb_count_free(s, &nodes, &hosts);
	s->best_score = hosts * SCORE_HOST + nodes;
	for (int d = 0; d <= s->max_moves; d++) {
		s->depth = d;
		if ((err = dfs(s, 0)) < 0)
			return err;
		if ((s->make_room && s->found) || s->budget_out)
			break;
	}
	return VMP_OK;
}
