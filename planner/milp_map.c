/* The exact model's symmetry: VMs it cannot tell apart, interchangeable nodes, and back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/milp_model.h"
#include "vmplan/error.h"

/*
 * Identical VMs are one group with integer counts: y[g,k] VMs of the group placed with k
 * cells, x[g,k,t,n] of their shares of type t on node n, and per node sum_t x <= y (each VM
 * on distinct nodes). Such counts always come apart into single VMs: the shares and nodes
 * form a bipartite multigraph of degree at most y, which has a y-edge-colouring (König);
 * each colour is one VM (milp_decompose()).
 *
 * Identical nodes (the same free PUs, whole cores, memory in every pool, distances to the
 * others, nothing of theirs held) are a class; any plan stays a plan when the nodes of a class
 * are permuted, so the model asks each class to be ordered by load, heaviest first.
 */

typedef struct gkey {
	uint64_t vcpus, mem, page;
	int threads, priority, first, last, vm;
} gkey;

static int gkey_cmp(const void *pa, const void *pb)
{
	const gkey *a = pa, *b = pb;

	/* The fewest cells first: milp_class_fix() then fixes the most columns. */
	if (a->last != b->last)
		return a->last - b->last;
	if (a->vcpus != b->vcpus)
		return a->vcpus < b->vcpus ? -1 : 1;
	if (a->mem != b->mem)
		return a->mem < b->mem ? -1 : 1;
	if (a->page != b->page)
		return a->page < b->page ? -1 : 1;
	if (a->threads != b->threads)
		return a->threads - b->threads;
	if (a->priority != b->priority)
		return a->priority - b->priority;
	if (a->first != b->first)
		return a->first - b->first;
	if (a->last != b->last)
		return a->last - b->last;
	return a->vm - b->vm;
}

static bool gkey_same(const gkey *a, const gkey *b)
{
	gkey x = *a;

	x.vm = b->vm;
	return gkey_cmp(&x, b) == 0;
}

const vmp_vm_request *milp_group_req(const model *m, int g)
{
	return &m->plan->vms[m->gmember[m->gstart[g]]].req;
}

int milp_groups(model *m)
{
	int n = m->plan->nvms, nk = 0;
	gkey *keys = calloc((size_t)n + 1, sizeof(*keys));

	m->group_of = malloc(((size_t)n + 1) * sizeof(*m->group_of));
	m->gstart = calloc((size_t)n + 2, sizeof(*m->gstart));
	m->gmember = malloc(((size_t)n + 1) * sizeof(*m->gmember));
	if (!keys || !m->group_of || !m->gstart || !m->gmember) {
		free(keys);
		return VMP_ENOMEM;
	}
	for (int v = 0; v < n; v++) {
		const vmp_vm_request *r = &m->plan->vms[v].req;
		m->group_of[v] = -1;
		if (!milp_modelled(m->h, r))
			continue;
		gkey *k = &keys[nk++];
		*k = (gkey){r->vcpus,
			    r->memory_bytes,
			    r->hugepage_bytes,
			    (int)r->threads,
			    r->priority,
			    0,
			    0,
			    v};
		planner_cell_range(m->h, r, VMP_MAX_CELLS, &k->first, &k->last);
	}
	qsort(keys, (size_t)nk, sizeof(*keys), gkey_cmp);
	m->ngroups = 0;
	for (int i = 0; i < nk; i++) {
		if (i == 0 || !gkey_same(&keys[i], &keys[i - 1]))
			m->gstart[m->ngroups++] = i;
		m->gmember[i] = keys[i].vm;
		m->group_of[keys[i].vm] = m->ngroups - 1;
	}
	m->gstart[m->ngroups] = nk;
	free(keys);
	return VMP_OK;
}

/* What the model's rows see of a node, and whether nothing of it is held. */
typedef struct nsig {
	int cap[3], cores, whole;
	uint64_t mem;
	bool clean;
} nsig;

static void node_sig(const model *m, int n, nsig *s)
{
	const planner_state *st = &m->st;

	memset(s, 0, sizeof(*s));
	for (int p = 0; p < 3; p++)
		s->cap[p] = planner_capacity(st, n, ANY_L3, (vmp_thread_policy)p);
	s->clean = true;
	for (int i = st->node_core_start[n]; i < st->node_core_start[n + 1]; i++) {
		int c = st->node_core[i];
		s->cores++;
		s->whole += st->core_nfree[c] == st->core_size[c] && st->core_size[c] > 0;
		s->clean = s->clean && st->core_nfree[c] == st->core_size[c];
	}
	s->mem = planner_mem_room(st, n, 0);
}

static bool interchangeable(const model *m, int a, int b)
{
	const vmp_host *h = m->h;
	nsig sa, sb;

	node_sig(m, a, &sa);
	node_sig(m, b, &sb);
	if (!sa.clean || !sb.clean || memcmp(sa.cap, sb.cap, sizeof(sa.cap)) ||
	    sa.cores != sb.cores || sa.whole != sb.whole || sa.mem != sb.mem)
		return false;
	if (m->st.node_l3_start[a + 1] - m->st.node_l3_start[a] !=
	    m->st.node_l3_start[b + 1] - m->st.node_l3_start[b])
		return false;
	/* Every pool a VM of the model uses. */
	for (int g = 0; g < m->ngroups; g++) {
		uint64_t page = milp_group_req(m, g)->hugepage_bytes;
		if (page && planner_mem_room(&m->st, a, page) != planner_mem_room(&m->st, b, page))
			return false;
	}
	/* Swapping a and b keeps every distance. */
	if (vmp_host_distance(h, a, a) != vmp_host_distance(h, b, b) ||
	    vmp_host_distance(h, a, b) != vmp_host_distance(h, b, a))
		return false;
	for (int x = 0; x < h->nnodes; x++)
		if (x != a && x != b &&
		    (vmp_host_distance(h, a, x) != vmp_host_distance(h, b, x) ||
		     vmp_host_distance(h, x, a) != vmp_host_distance(h, x, b)))
			return false;
	return true;
}

/* Past this many classes a node is left in one of its own (the search is quadratic). */
#define MILP_MAX_CLASSES 64

int milp_classes(model *m)
{
	int nn = m->h->nnodes, reps[MILP_MAX_CLASSES], last[MILP_MAX_CLASSES], nreps = 0;

	m->cls_prev = malloc(((size_t)nn + 1) * sizeof(*m->cls_prev));
	if (!m->cls_prev)
		return VMP_ENOMEM;
	m->nclassed = 0;
	for (int n = 0; n < nn; n++) {
		int c = 0;
		m->cls_prev[n] = -1;
		while (c < nreps && !interchangeable(m, reps[c], n))
			c++;
		if (c < nreps) {
			m->cls_prev[n] = last[c];
			last[c] = n;
			m->nclassed++;
		} else if (nreps < MILP_MAX_CLASSES) {
			reps[nreps] = last[nreps] = n;
			nreps++;
		}
	}
	return VMP_OK;
}

/* The rank of each node in its class (0 for the first), and its class's first node. */
static void class_ranks(const model *m, int *rank, int *head)
{
	for (int n = 0; n < m->h->nnodes; n++) {
		int p = m->cls_prev[n];
		rank[n] = p < 0 ? 0 : rank[p] + 1;
		head[n] = p < 0 ? n : head[p];
	}
}

int milp_class_fix(model *m, Cbc_Model *cbc)
{
	int nn = m->h->nnodes, *rank = malloc(sizeof(int) * 2 * ((size_t)nn + 1)), *head;
	long used = 0; /* the most class nodes the groups so far can have reached */

	if (!rank)
		return VMP_ENOMEM;
	head = rank + nn + 1;
	class_ranks(m, rank, head);
	for (int lo = 0, hi; lo < m->ncols; lo = hi) {
		int g = m->cols[lo].g, kmax = 0;
		for (hi = lo; hi < m->ncols && m->cols[hi].g == g; hi++)
			if (m->cols[hi].k > kmax)
				kmax = m->cols[hi].k;
		used += (long)kmax * milp_group_size(m, g);
		for (int c = lo; c < hi; c++)
			if (m->cols[c].node >= 0 && rank[m->cols[c].node] >= used) {
				Cbc_setColUpper(cbc, c, 0.0);
				m->nfixed++;
			}
	}
	free(rank);
	return VMP_OK;
}

/* The first column of (g, k) (its y column), or -1. */
static int ycol(const model *m, const int *gfirst, int g, int k)
{
	for (int c = gfirst[g]; c >= 0 && c < m->ncols && m->cols[c].g == g; c++)
		if (m->cols[c].node < 0 && m->cols[c].k == k)
			return c;
	return -1;
}

/* The x column of share i on node n after y column y, or -1. */
static int xcol(const model *m, int y, int i, int n)
{
	for (int c = y + 1; c < m->ncols && m->cols[c].node >= 0; c++)
		if (m->cols[c].node == n && m->cols[c].share0 <= i &&
		    i < m->cols[c].share0 + m->cols[c].count)
			return c;
	return -1;
}

/* The column of each share of VM v in the start (the heuristic's plan, or m->from), or false. */
static bool start_cols(const model *m, const int *gfirst, int v, int *y, int *xs)
{
	const vmp_plan_vm *vm = &m->plan->vms[v];
	int k = m->from ? m->from->ncells[v] : vm->placed ? vm->ncells : 0;

	if (!k || m->group_of[v] < 0 || (*y = ycol(m, gfirst, m->group_of[v], k)) < 0)
		return false;
	for (int i = 0; i < k; i++) {
		int n = m->from ? m->from->nodes[(size_t)v * VMP_MAX_CELLS + i]
				: vmp_host_node_index(m->h, vm->cells[i].host_node);
		if ((xs[i] = xcol(m, *y, i, n)) < 0)
			return false;
	}
	return true;
}

/* Heuristic node -> model node: in each class, nodes by the order the heuristic's VMs first
 * use them (groups in order), as milp_class_fix() expects; the unused ones after them. */
static void start_map(const model *m, const int *gfirst, int *map, int *scratch)
{
	int nn = m->h->nnodes, *rank = scratch, *head = scratch + nn, *next = scratch + 2 * nn;
	int *base = scratch + 3 * nn, *byrank = scratch + 4 * nn, *use = scratch + 5 * nn;
	int y, xs[VMP_MAX_CELLS], off = 0;

	class_ranks(m, rank, head);
	for (int n = 0; n < nn; n++)
		next[n] = base[n] = 0, use[n] = -1;
	for (int g = 0; g < m->ngroups; g++)
		for (int i = m->gstart[g]; i < m->gstart[g + 1]; i++) {
			int v = m->gmember[i];
			if (!start_cols(m, gfirst, v, &y, xs))
				continue;
			for (int c = 0; c < m->cols[y].k; c++) {
				int n = m->cols[xs[c]].node;
				if (use[n] < 0)
					use[n] = next[head[n]]++;
			}
		}
	for (int n = 0; n < nn; n++) {
		if (use[n] < 0)
			use[n] = next[head[n]]++;
		base[head[n]]++;
	}
	/* byrank: each class's nodes in index order (their rank), classes one after another. */
	for (int n = 0; n < nn; n++)
		if (head[n] == n) {
			int size = base[n];
			base[n] = off;
			off += size;
		}
	for (int n = 0; n < nn; n++)
		byrank[base[head[n]] + rank[n]] = n;
	for (int n = 0; n < nn; n++)
		map[n] = byrank[base[head[n]] + use[n]];
}

/* The start's values: the heuristic's VMs that the model has columns for, nodes mapped. */
static void start_values(const model *m, const int *gfirst, double *val, int *map, int *scratch)
{
	int y, xs[VMP_MAX_CELLS];

	start_map(m, gfirst, map, scratch);
	for (int v = 0; v < m->plan->nvms; v++) {
		if (!start_cols(m, gfirst, v, &y, xs))
			continue;
		val[y] += 1;
		for (int i = 0; i < m->cols[y].k; i++) {
			const col_meta *cm = &m->cols[xs[i]];
			/* The same share on the mapped node: identical nodes have the same columns.
			 */
			int c = xcol(m, y, cm->share0, map[cm->node]);
			if (c >= 0)
				val[c] += 1;
		}
	}
}

void milp_start(model *m, Cbc_Model *cbc)
{
	size_t nn = (size_t)m->h->nnodes + 1, nc = (size_t)m->ncols + 1;
	double *val = calloc(nc, sizeof(*val));
	int *gfirst = malloc(((size_t)m->ngroups + 1) * sizeof(*gfirst));
	int *map = malloc(nn * 7 * sizeof(*map));
	int *idx = malloc(nc * sizeof(*idx));

	if (!val || !gfirst || !map || !idx)
		goto out;
	for (int g = 0; g < m->ngroups; g++)
		gfirst[g] = -1;
	for (int c = m->ncols - 1; c >= 0; c--)
		gfirst[m->cols[c].g] = c;
	start_values(m, gfirst, val, map, map + nn);
	/* Every column, zeros too: CBC completes a partial start by an LP, which may leave it
	 * fractional and then drops it. */
	for (int c = 0; c < m->ncols; c++)
		idx[c] = c;
	Cbc_setMIPStartI(cbc, m->ncols, idx, val);
out:
	free(val);
	free(gfirst);
	free(map);
	free(idx);
}

/* The edges of one decomposition: endpoints, colours, and by vertex and colour the edge. */
typedef struct colouring {
	int *at, *eu, *ev, *ecol, *path;
	int y;
} colouring;

/* Swap colours a and b on the path that leaves vertex x by colour a (König's argument). */
static void flip_path(colouring *g, int x, int a, int b)
{
	int c = a, e, len = 0;

	while ((e = g->at[(size_t)x * g->y + c]) >= 0) {
		g->path[len++] = e;
		x = g->eu[e] == x ? g->ev[e] : g->eu[e];
		c = c == a ? b : a;
	}
	for (int i = 0; i < len; i++) {
		e = g->path[i];
		g->at[(size_t)g->eu[e] * g->y + g->ecol[e]] = -1;
		g->at[(size_t)g->ev[e] * g->y + g->ecol[e]] = -1;
	}
	for (int i = 0; i < len; i++) {
		e = g->path[i];
		g->ecol[e] = g->ecol[e] == a ? b : a;
		g->at[(size_t)g->eu[e] * g->y + g->ecol[e]] = e;
		g->at[(size_t)g->ev[e] * g->y + g->ecol[e]] = e;
	}
}

static int free_colour(const int *at, int y, int x)
{
	for (int c = 0; c < y; c++)
		if (at[(size_t)x * y + c] < 0)
			return c;
	return -1;
}

/* Colour the edges (node, share) with y colours so that no vertex has one colour twice. */
static bool colour_edges(colouring *g, int nedges)
{
	for (int e = 0; e < nedges; e++) {
		int a = free_colour(g->at, g->y, g->eu[e]), b = free_colour(g->at, g->y, g->ev[e]);
		if (a < 0 || b < 0)
			return false;
		/* a taken at the share: swap a and b on its path; the node (a free there) is
		 * never on it, the graph being bipartite. */
		if (g->at[(size_t)g->ev[e] * g->y + a] >= 0)
			flip_path(g, g->ev[e], a, b);
		g->ecol[e] = a;
		g->at[(size_t)g->eu[e] * g->y + a] = e;
		g->at[(size_t)g->ev[e] * g->y + a] = e;
	}
	return true;
}

/* Whether the counts obey milp_decompose()'s rules. */
static bool counts_ok(const int *cnt, int y, int k, int nnodes)
{
	for (int n = 0; n < nnodes; n++) {
		int on = 0;
		for (int s = 0; s < k; s++)
			on += cnt[s * nnodes + n];
		if (on > y)
			return false;
	}
	for (int s = 0; s < k; s++) {
		int sum = 0;
		for (int n = 0; n < nnodes; n++)
			sum += cnt[s * nnodes + n] < 0 ? y + 1 : cnt[s * nnodes + n];
		if (sum != y)
			return false;
	}
	return true;
}

bool milp_decompose(int *nodes, const int *cnt, int y, int k, int nnodes)
{
	size_t nv = (size_t)nnodes + (size_t)k, ne = (size_t)y * (size_t)k + 1;
	colouring g = {.y = y};
	bool ok = y > 0 && counts_ok(cnt, y, k, nnodes);
	int e = 0;

	if (!ok)
		return false;
	g.at = malloc(nv * (size_t)y * sizeof(int));
	g.eu = malloc(ne * sizeof(int));
	g.ev = malloc(ne * sizeof(int));
	g.ecol = malloc(ne * sizeof(int));
	g.path = malloc(ne * sizeof(int));
	ok = g.at && g.eu && g.ev && g.ecol && g.path;
	for (int s = 0; ok && s < k; s++)
		for (int n = 0; n < nnodes; n++)
			for (int i = 0; i < cnt[s * nnodes + n]; i++, e++) {
				g.eu[e] = n;
				g.ev[e] = nnodes + s;
			}
	if (ok) {
		for (size_t i = 0; i < nv * (size_t)y; i++)
			g.at[i] = -1;
		ok = colour_edges(&g, e);
	}
	/* VM r is colour r: a share has every colour once (its degree is y). */
	for (int s = 0; ok && s < k; s++)
		for (int r = 0; ok && r < y; r++) {
			int x = g.at[(size_t)(nnodes + s) * y + r];
			if ((ok = x >= 0))
				nodes[r * k + s] = g.eu[x];
		}
	/* Every VM on distinct nodes: what the colouring promises, checked. */
	for (int r = 0; ok && r < y; r++)
		for (int s = 0; s < k; s++)
			for (int t = 0; t < s; t++)
				ok = ok && nodes[r * k + s] != nodes[r * k + t];
	free(g.at);
	free(g.eu);
	free(g.ev);
	free(g.ecol);
	free(g.path);
	return ok;
}

/* The counts of (g, k) from its y column yc into cnt (share by node); false when inconsistent. */
static bool group_counts(const model *m, const double *x, int yc, int y, int *cnt)
{
	int nn = m->h->nnodes, item = 0, share0 = -1;

	memset(cnt, 0, sizeof(int) * (size_t)m->cols[yc].k * (size_t)nn);
	for (int c = yc + 1; c < m->ncols && m->cols[c].node >= 0; c++) {
		const col_meta *cm = &m->cols[c];
		int count = (int)(x[c] + 0.5);
		if (cm->share0 != share0) {
			share0 = cm->share0;
			item = 0;
		}
		/* The type's items, node by node, fill its shares y at a time. */
		for (int i = 0; i < count; i++, item++) {
			if (item / y >= cm->count)
				return false;
			cnt[(cm->share0 + item / y) * nn + cm->node]++;
		}
	}
	return true;
}

bool milp_read_solution(model *m, const double *x, planner_assignment *out)
{
	int nn = m->h->nnodes, *cnt = malloc(sizeof(int) * VMP_MAX_CELLS * (size_t)nn + 1);
	int *next = calloc((size_t)m->ngroups + 1, sizeof(*next)), *nodes = NULL;
	bool ok = cnt && next;

	for (int c = 0; ok && c < m->ncols; c++) {
		const col_meta *cm = &m->cols[c];
		int y = (int)(x[c] + 0.5), k = cm->k;
		if (cm->node >= 0 || y <= 0)
			continue;
		free(nodes);
		nodes = malloc(sizeof(int) * (size_t)y * (size_t)k);
		ok = nodes && next[cm->g] + y <= milp_group_size(m, cm->g) &&
		     group_counts(m, x, c, y, cnt) && milp_decompose(nodes, cnt, y, k, nn);
		for (int r = 0; ok && r < y; r++) {
			int v = m->gmember[m->gstart[cm->g] + next[cm->g]++];
			out->ncells[v] = k;
			memcpy(out->nodes + (size_t)v * VMP_MAX_CELLS, nodes + r * k,
			       sizeof(int) * (size_t)k);
		}
	}
	if (!ok)
		memset(out->ncells, 0, sizeof(int) * (size_t)m->plan->nvms);
	free(cnt);
	free(next);
	free(nodes);
	return ok;
}
