/* Why a VM is not placed: the binding constraint, with numbers, and what would fit. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/internal.h"
#include "vmplan/error.h"
#include "vmplan/identity.h"
#include "vmplan/plan.h"
#include "vmplan/size.h"

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
	size_t len = *buf ? strlen(*buf) : 0;
	char *grown;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(grown = realloc(*buf, len + (size_t)n + 1)))
		return;
	*buf = grown;
	va_start(ap, fmt);
	vsnprintf(grown + len, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

/* Whether a reason has reached what planner_refuse keeps: more text would be cut. */
static bool reason_full(char *const *s)
{
	return *s && strlen(*s) >= VMP_REASON_MAX;
}

static int cmp_int_desc(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

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
	int unit = r->threads == VMP_THREADS_REQUIRE ? st->max_core : 1, *caps = st->tmp.caps;
	int best = 0, k_first, k_last;

	for (int n = 0; n < h->nnodes; n++)
		caps[n] = planner_capacity(st, n, ANY_L3, r->threads) / unit;
	qsort(caps, (size_t)h->nnodes, sizeof(caps[0]), cmp_int_desc);
	planner_cell_range(h, r, max_cells, &k_first, &k_last);
	for (int k = k_first; k <= k_last && k <= h->nnodes; k++) {
		int q = caps[k - 1], v = k * q;
		for (int i = 0; i < k - 1; i++)
			v += caps[i] > q;
		if (q > 0 && v * unit > best)
			best = v * unit;
	}
	return best;
}

/* What the host has free for a request: in all, and the node with the most of each. */
typedef struct free_summary {
	int total_cap, best_cap, best_node;
	uint64_t total_mem, best_mem;
	int best_mem_node;
	const char *what; /* the CPUs asked for, in words */
	const char *pool; /* the memory asked for, in words */
} free_summary;

static void summarize(free_summary *f, const planner_state *st, const vmp_vm_request *r)
{
	const vmp_host *h = st->h;

	*f = (free_summary){.best_cap = -1};
	f->what = r->threads == VMP_THREADS_ISOLATE   ? "whole cores"
		  : r->threads == VMP_THREADS_REQUIRE ? "vCPUs on whole cores"
						      : "dedicated vCPUs";
	f->pool = r->hugepage_bytes ? "memory in hugepages" : "memory";
	for (int n = 0; n < h->nnodes; n++) {
		int cap = planner_capacity(st, n, ANY_L3, r->threads);
		uint64_t mem = planner_mem_room(st, n, r->hugepage_bytes);
		f->total_cap += cap;
		f->total_mem += mem;
		if (cap > f->best_cap) {
			f->best_cap = cap;
			f->best_node = n;
		}
		if (mem > f->best_mem) {
			f->best_mem = mem;
			f->best_mem_node = n;
		}
	}
}

/* Short of CPUs and no smaller VM would fit either: say what binds, never "lower to 0". */
static void nothing_fits(char **s, const planner_state *st, const vmp_vm_request *r,
			 const free_summary *f)
{
	int single = 0;

	for (int n = 0; n < st->h->nnodes; n++)
		single += planner_capacity(st, n, ANY_L3, VMP_THREADS_PREFER);
	if (f->total_cap > 0 && r->numa_cells > 1)
		planner_append(s,
			       "); fewer than %u nodes have free %s, so no even share fits; "
			       "lower numa, or free CPUs",
			       r->numa_cells, f->what);
	else if (r->threads != VMP_THREADS_PREFER && single > 0)
		planner_append(s,
			       "); no whole core is free (%d CPUs are, as single threads); "
			       "use threads=prefer, or free CPUs",
			       single);
	else if (single == 0)
		planner_append(s, "); no CPU is free (all reserved or taken); free CPUs");
	else
		planner_append(s, "); free CPUs");
}

/* Short of CPUs in all: what each node has, and what would fit. */
static void cores_short(char **s, const planner_state *st, const vmp_vm_request *r,
			const free_summary *f)
{
	const vmp_host *h = st->h;
	/* What would fit is what one node has for numa=1. */
	int fits = r->numa_cells == 1 ? f->best_cap : even_fit_vcpus(st, r, h->nnodes);

	planner_append(s, "needs %u %s with threads=%s; the host has %d free in all", r->vcpus,
		       f->what, planner_thread_names[r->threads], f->total_cap);
	for (int n = 0; n < h->nnodes && !reason_full(s); n++)
		planner_append(s, "%snode %d: %d", n ? ", " : " (", h->nodes[n].id,
			       planner_capacity(st, n, ANY_L3, r->threads));
	if (fits > 0)
		planner_append(s, "); lower vcpus to %d%s, or free CPUs", fits,
			       r->threads != VMP_THREADS_PREFER ? ", use threads=prefer" : "");
	else
		nothing_fits(s, st, r, f);
}

/* Short of memory (or of its hugepages) in all. */
static void memory_short(char **s, const planner_state *st, const vmp_vm_request *r,
			 const free_summary *f)
{
	const vmp_host *h = st->h;
	uint64_t fits = r->numa_cells == 1 ? f->best_mem : f->total_mem;
	char a[32], b[32];

	vmp_size_format(a, sizeof(a), r->memory_bytes);
	planner_append(s, "needs %s of %s", a, f->pool);
	if (r->hugepage_bytes) {
		vmp_size_format(b, sizeof(b), r->hugepage_bytes);
		planner_append(s, " of %s", b);
	}
	vmp_size_human(a, sizeof(a), f->total_mem);
	planner_append(s, "; the host has %s free in all", a);
	for (int n = 0; n < h->nnodes && !reason_full(s); n++) {
		vmp_size_human(a, sizeof(a), planner_mem_room(st, n, r->hugepage_bytes));
		planner_append(s, "%snode %d: %s", n ? ", " : " (", h->nodes[n].id, a);
	}
	fits = vmp_size_round_down(fits);
	vmp_size_format(a, sizeof(a), fits);
	if (fits)
		planner_append(s, "); lower memory to %s%s", a,
			       r->hugepage_bytes ? " or grow the hugepage pools" : "");
	else
		planner_append(s, "); %s",
			       r->hugepage_bytes ? "grow the hugepage pools" : "free memory");
}

/* numa=1 and the CPUs are there somewhere, but the memory is not beside them. */
static void memory_not_beside(char **s, const planner_state *st, const vmp_vm_request *r,
			      const free_summary *f)
{
	const vmp_host *h = st->h;
	int most = -1;
	uint64_t most_mem = 0;
	char a[32], b[32], c[32];

	for (int n = 0; n < h->nnodes; n++)
		if (planner_capacity(st, n, ANY_L3, r->threads) >= (int)r->vcpus &&
		    (most < 0 || planner_mem_room(st, n, r->hugepage_bytes) > most_mem)) {
			most = n;
			most_mem = planner_mem_room(st, n, r->hugepage_bytes);
		}
	vmp_size_format(a, sizeof(a), r->memory_bytes);
	vmp_size_human(b, sizeof(b), most_mem);
	vmp_size_format(c, sizeof(c), vmp_size_round_down(most_mem));
	planner_append(s,
		       "needs %s of %s on one node with %u free %s; the most such a node "
		       "has is %s (node %d); lower memory to %s, or allow numa=auto",
		       a, f->pool, r->vcpus, f->what, b, h->nodes[most].id, c);
}

/* numa=N: too few nodes can take a share each. */
static void cells_short(char **s, const planner_state *st, const vmp_vm_request *r,
			const free_summary *f)
{
	const vmp_host *h = st->h;
	unsigned share = (r->vcpus + r->numa_cells - 1) / r->numa_cells;
	int fit = 0;
	char a[32], b[32];

	vmp_size_format(a, sizeof(a), r->memory_bytes / r->numa_cells);
	planner_append(s,
		       "needs %u guest cells on distinct nodes, each with %u %s "
		       "(threads=%s) and %s of %s; ",
		       r->numa_cells, share, f->what, planner_thread_names[r->threads], a, f->pool);
	for (int n = 0; n < h->nnodes; n++)
		fit +=
		    planner_capacity(st, n, ANY_L3, r->threads) >= (int)share &&
		    planner_mem_room(st, n, r->hugepage_bytes) >= r->memory_bytes / r->numa_cells;
	planner_append(s, "%d node%s can take a share (", fit, fit == 1 ? "" : "s");
	for (int n = 0; n < h->nnodes && !reason_full(s); n++) {
		vmp_size_human(b, sizeof(b), planner_mem_room(st, n, r->hugepage_bytes));
		planner_append(s, "%snode %d: %d, %s", n ? "; " : "", h->nodes[n].id,
			       planner_capacity(st, n, ANY_L3, r->threads), b);
	}
	planner_append(s, "); lower numa or vcpus, or free capacity");
}

/* The refusal depends on the request's shape and on what is free: the same shape with
 * nothing taken or given back since gets the same text (a mix of thousands that do not fit
 * writes each shape's once). */
static bool memo_same(const planner_reason_memo *m, const vmp_vm_request *r)
{
	return m->valid && m->vcpus == r->vcpus && m->numa_cells == r->numa_cells &&
	       m->threads == (int)r->threads && m->memory_bytes == r->memory_bytes &&
	       m->hugepage_bytes == r->hugepage_bytes;
}

static bool memo_reuse(const planner_state *st, vmp_plan_vm *vm)
{
	for (int i = 0; i < PLANNER_MEMO_SHAPES; i++) {
		const planner_reason_memo *m = &st->tmp.memo[i];
		if (m->gen == st->gen && memo_same(m, &vm->req)) {
			memcpy(vm->reason, m->reason, sizeof(vm->reason));
			vm->bind = (vmp_bind)m->bind;
			return true;
		}
	}
	return false;
}

static void memo_keep(const planner_state *st, const vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;
	planner_reason_memo *m = &st->tmp.memo[0];

	/* A free slot, or one written before the state last changed, else the first. */
	for (int i = 0; i < PLANNER_MEMO_SHAPES; i++)
		if (!st->tmp.memo[i].valid || st->tmp.memo[i].gen != st->gen) {
			m = &st->tmp.memo[i];
			break;
		}
	*m = (planner_reason_memo){.valid = true,
				   .gen = st->gen,
				   .vcpus = r->vcpus,
				   .numa_cells = r->numa_cells,
				   .threads = (int)r->threads,
				   .memory_bytes = r->memory_bytes,
				   .hugepage_bytes = r->hugepage_bytes,
				   .bind = (int)vm->bind};
	memcpy(m->reason, vm->reason, sizeof(m->reason));
}

void planner_explain_failure(const planner_state *st, vmp_plan_vm *vm)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	vmp_bind bind = VMP_BIND_NODE_FIT; /* CPUs and memory, not together */
	free_summary f;
	char a[32], b[32], *s = NULL;

	if (!st->reasons) {
		/* A trial run: only the final run's reasons are read. */
		planner_refuse(vm, VMP_BIND_OTHER, "not placed");
		return;
	}
	if (memo_reuse(st, vm))
		return;
	summarize(&f, st, r);
	if (r->threads == VMP_THREADS_REQUIRE && r->vcpus % st->max_core) {
		bind = VMP_BIND_SHAPE;
		planner_append(&s,
			       "needs whole cores (threads=require) but %u vCPUs do not fill "
			       "cores of %d threads; ask for a multiple of %d",
			       r->vcpus, st->max_core, st->max_core);
	} else if (f.total_cap < (int)r->vcpus) {
		bind = VMP_BIND_CORES;
		cores_short(&s, st, r, &f);
	} else if (f.total_mem < r->memory_bytes) {
		bind = r->hugepage_bytes ? VMP_BIND_HUGEPAGES : VMP_BIND_MEMORY;
		memory_short(&s, st, r, &f);
	} else if (r->numa_cells == 1 && f.best_cap < (int)r->vcpus) {
		/* One node asked for, and none has the CPUs. */
		planner_append(&s,
			       "needs %u %s on one node with threads=%s; the most any node has "
			       "free is %d (node %d); lower vcpus to %d%s",
			       r->vcpus, f.what, planner_thread_names[r->threads], f.best_cap,
			       h->nodes[f.best_node].id, f.best_cap,
			       h->nnodes > 1 ? ", or allow numa=auto" : "");
	} else if (r->numa_cells == 1) {
		memory_not_beside(&s, st, r, &f);
	} else if (r->numa_cells) {
		bind = VMP_BIND_NUMA;
		cells_short(&s, st, r, &f);
	} else {
		vmp_size_human(a, sizeof(a), f.best_mem);
		vmp_size_format(b, sizeof(b), r->memory_bytes);
		planner_append(&s,
			       "needs %u %s (threads=%s) and %s of %s, but no set of nodes "
			       "has both: the most CPUs free are %d (node %d), the most %s %s "
			       "(node %d); lower vcpus or memory, or free capacity",
			       r->vcpus, f.what, planner_thread_names[r->threads], b, f.pool,
			       f.best_cap, h->nodes[f.best_node].id, f.pool, a,
			       h->nodes[f.best_mem_node].id);
	}
	planner_refuse(vm, bind, "%s", s ? s : "cannot be placed");
	free(s);
	memo_keep(st, vm);
}

void planner_explain_shared_failure(const planner_state *st, vmp_plan_vm *vm, int k_max)
{
	const vmp_host *h = st->h;
	const vmp_vm_request *r = &vm->req;
	const char *pool = r->hugepage_bytes ? "memory in hugepages" : "memory";
	uint64_t total = 0, most = 0;
	int most_node = 0;
	char a[32], b[32], c[32];

	for (int n = 0; n < h->nnodes; n++) {
		uint64_t room = planner_mem_room(st, n, r->hugepage_bytes);
		total += room;
		if (room > most) {
			most = room;
			most_node = n;
		}
	}
	vmp_size_format(a, sizeof(a), r->memory_bytes);
	vmp_size_human(b, sizeof(b), most);
	vmp_size_human(c, sizeof(c), total);
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

/* ---- brief explanations: the deciding facts of a plan, read from the plan itself ---- */

/* The VMs of the plan (other than skip) and the reservation holding CPUs of node index n. */
static void node_holders(char **out, const vmp_host *h, const vmp_plan *plan, int skip, int n)
{
	const vmp_cpuset *cpus = &h->nodes[n].cpus;
	vmp_cpuset x;
	int held = 0, k;

	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *o = &plan->vms[i];
		if (i == skip || !o->placed || o->req.cpu == VMP_CPU_SHARED)
			continue;
		vmp_cpuset_and(&x, &o->pcpus, cpus);
		if ((k = vmp_cpuset_count(&x)) > 0)
			planner_append(out, "%s%s (%d)", held++ ? ", " : "", o->req.name, k);
	}
	vmp_cpuset_and(&x, &h->reserved, cpus);
	if ((k = vmp_cpuset_count(&x)) > 0)
		planner_append(out, "%shousekeeping (%d)", held++ ? ", " : "", k);
	if (!held)
		planner_append(out, "nothing");
}

/* Where a dedicated VM's device is, and, when the VM is not there, who took that node. */
static void brief_device(char **out, const vmp_host *h, const vmp_plan *plan, int i)
{
	const vmp_plan_vm *vm = &plan->vms[i];
	int dn = planner_device_node(h, vm->req.device), first;

	if (!vm->req.device[0])
		return;
	if (dn < 0) {
		planner_append(out, "device %s: the host model does not say which node it is on\n",
			       vm->req.device);
		return;
	}
	for (int c = 0; c < vm->ncells; c++)
		if (vm->cells[c].host_node == h->nodes[dn].id) {
			planner_append(out, "device %s is on node %d, where it runs\n",
				       vm->req.device, h->nodes[dn].id);
			return;
		}
	first = vmp_host_node_index(h, vm->cells[0].host_node);
	planner_append(out,
		       "device %s is on node %d (distance %u from node %d); CPUs there are "
		       "held by ",
		       vm->req.device, h->nodes[dn].id, vmp_host_distance(h, first, dn),
		       vm->cells[0].host_node);
	node_holders(out, h, plan, i, dn);
	planner_append(out, "\n");
}

/* Why a VM has more than one cell: memory or CPUs no node has, or the nodes were taken. */
static void brief_spread(char **out, const vmp_host *h, const vmp_plan *plan, int i)
{
	const vmp_plan_vm *vm = &plan->vms[i];
	uint64_t most_mem = 0;
	int most_cpus = 0, first = vmp_host_node_index(h, vm->cells[0].host_node);
	char a[32], b[32];

	for (int n = 0; n < h->nnodes; n++) {
		vmp_cpuset usable;
		vmp_cpuset_andnot(&usable, &h->nodes[n].cpus, &h->reserved);
		if (h->nodes[n].memory_bytes > most_mem)
			most_mem = h->nodes[n].memory_bytes;
		if (vmp_cpuset_count(&usable) > most_cpus)
			most_cpus = vmp_cpuset_count(&usable);
	}
	planner_append(out, "spread over %d nodes:", vm->ncells);
	for (int c = 0; c < vm->ncells; c++)
		planner_append(out, " %d", vm->cells[c].host_node);
	vmp_size_format(a, sizeof(a), vm->req.memory_bytes);
	vmp_size_human(b, sizeof(b), most_mem);
	if (vm->req.numa_cells > 1)
		planner_append(out, ", as numa=%u asks\n", vm->req.numa_cells);
	else if (vm->req.memory_bytes > most_mem)
		planner_append(out, ", as %s is more than any node's memory (the most: %s)\n", a,
			       b);
	else if ((int)vm->req.vcpus > most_cpus)
		planner_append(out,
			       ", as %u vCPUs are more than any node's CPUs outside "
			       "housekeeping (the most: %d)\n",
			       vm->req.vcpus, most_cpus);
	else if (first >= 0) {
		planner_append(out, ": no node had room for it whole; node %d holds ",
			       vm->cells[0].host_node);
		node_holders(out, h, plan, i, first);
		planner_append(out, "\n");
	}
}

/* Pages of the VM's hugepage size that its cells take from each node, against the pools. */
/* The L3 ways of vm that the default resctrl group holds now (hostprep releases them). */
static void brief_cache(char **out, const vmp_host *h, const vmp_plan_vm *vm)
{
	const vmp_rdt_cache *l3 = &h->resctrl.l3;

	for (int k = 0; l3->present && k < vm->ncachetune; k++) {
		const vmp_plan_cachetune *ct = &vm->cachetune[k];

		/* Under CDP code and data share the mask: say it once. */
		if (ct->level != 3 || (k > 0 && vm->cachetune[k - 1].cache_id == ct->cache_id &&
				       vm->cachetune[k - 1].level == 3))
			continue;
		for (int d = 0; d < l3->ndomains; d++)
			if (l3->domains[d].id == ct->cache_id &&
			    (ct->ways_mask & l3->domains[d].default_mask))
				planner_append(
				    out,
				    "cache %d: needs `vmplan hostprep --apply` to release "
				    "ways 0x%" PRIx64 " from the default group\n",
				    ct->cache_id, ct->ways_mask & l3->domains[d].default_mask);
	}
}

static void brief_hugepages(char **out, const vmp_host *h, const vmp_plan_vm *vm)
{
	char size[32];

	if (!vm->req.hugepage_bytes)
		return;
	vmp_size_format(size, sizeof(size), vm->req.hugepage_bytes);
	for (int c = 0; c < vm->ncells; c++) {
		int n = vmp_host_node_index(h, vm->cells[c].host_node);
		uint64_t pages = (vm->cells[c].memory_bytes + vm->req.hugepage_bytes - 1) /
				 vm->req.hugepage_bytes,
			 free_pages = 0;
		for (int k = 0; n >= 0 && k < h->nodes[n].nhugepages; k++)
			if (h->nodes[n].hugepages[k].size_kib * 1024 == vm->req.hugepage_bytes)
				free_pages = h->nodes[n].hugepages[k].free;
		planner_append(
		    out, "memory: %llu hugepages of %s on node %d (the pool there has %llu free)\n",
		    (unsigned long long)pages, size, vm->cells[c].host_node,
		    (unsigned long long)free_pages);
	}
}

/* The score's terms that can be read from the plan; the rest is L3 domains beyond the fewest. */
static void brief_score(char **out, const vmp_host *h, const vmp_plan_vm *vm)
{
	double nodes = SCORE_PER_EXTRA_NODE * (vm->ncells - 1), dist = 0, dev = 0, rest;
	int dn = planner_device_node(h, vm->req.device);

	for (int a = 0; a < vm->ncells; a++)
		for (int b = a + 1; b < vm->ncells; b++)
			dist += ((double)vmp_host_distance(
				     h, vmp_host_node_index(h, vm->cells[a].host_node),
				     vmp_host_node_index(h, vm->cells[b].host_node)) -
				 10.0) /
				2.0;
	if (dn >= 0 && vm->req.cpu != VMP_CPU_SHARED)
		dev = SCORE_DEVICE *
		      ((double)vmp_host_distance(h, vmp_host_node_index(h, vm->cells[0].host_node),
						 dn) -
		       10.0) /
		      10.0;
	rest = SCORE_BASE - nodes - dist - dev - vm->score;
	planner_append(out, "score %.1f of %.0f", vm->score, SCORE_BASE);
	if (nodes > 0)
		planner_append(out, ", -%.1f for %d nodes", nodes, vm->ncells);
	if (dist > 0)
		planner_append(out, ", -%.1f for the distance between them", dist);
	if (dev > 0)
		planner_append(out, ", -%.1f for the distance to its device", dev);
	if (rest > 0.05)
		planner_append(out, ", -%.1f for L3 domains or bandwidth", rest);
	planner_append(out, "%s\n", vm->score >= SCORE_BASE - 0.05 ? " (all local)" : "");
}

int vmp_plan_explain_brief(char **out, const vmp_host *h, const vmp_plan *plan, int i)
{
	const vmp_plan_vm *vm = &plan->vms[i];
	char *s = NULL;

	*out = NULL;
	if (!vm->placed) {
		planner_append(&s, "not placed: %s\n", vm->reason);
	} else {
		if (vm->ncells > 1)
			brief_spread(&s, h, plan, i);
		if (vm->req.cpu != VMP_CPU_SHARED)
			brief_device(&s, h, plan, i);
		brief_hugepages(&s, h, vm);
		brief_cache(&s, h, vm);
		brief_score(&s, h, vm);
	}
	if (!s) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	*out = s;
	return VMP_OK;
}

int vmp_plan_host_needs(char **out, const vmp_host *h, const vmp_plan *plan)
{
	char lines[4096], *s = NULL;

	*out = NULL;
	/* The pages per node and size, with the pool size to set (vmplan/identity.h). */
	if (vmp_plan_hugepage_shortfalls(lines, sizeof(lines), plan, h) > 0)
		planner_append(&s, "%s", lines);
	for (int i = 0; i < plan->nvms; i++)
		if (plan->vms[i].placed && plan->vms[i].req.emulator == VMP_EMULATOR_ISOLATE &&
		    vmp_cpuset_empty(&h->reserved))
			planner_append(&s,
				       "%s isolates its emulator, but no housekeeping CPU is "
				       "reserved\n",
				       plan->vms[i].req.name);
	for (int d = 0; h->resctrl.l3.present && d < h->resctrl.l3.ndomains; d++) {
		int id = h->resctrl.l3.domains[d].id;
		uint64_t w = vmp_plan_default_release(plan, h, id);

		if (w)
			planner_append(&s,
				       "cache %d: needs `vmplan hostprep --apply` to release ways "
				       "0x%" PRIx64 " from the default group\n",
				       id, w);
	}
	*out = s;
	return VMP_OK;
}
