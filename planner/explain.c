/* Why a VM is not placed: the binding constraint, with numbers, and what would fit. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "planner/internal.h"
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

/* Short of CPUs in all: what each node has, and what would fit. */
static void cores_short(char **s, const planner_state *st, const vmp_vm_request *r,
			const free_summary *f)
{
	const vmp_host *h = st->h;
	/* What would fit is what one node has for numa=1. */
	int fits = r->numa_cells == 1 ? f->best_cap : even_fit_vcpus(st, r, h->nnodes);

	planner_append(s, "needs %u %s with threads=%s; the host has %d free in all", r->vcpus,
		       f->what, planner_thread_names[r->threads], f->total_cap);
	for (int n = 0; n < h->nnodes; n++)
		planner_append(s, "%snode %d: %d", n ? ", " : " (", h->nodes[n].id,
			       planner_capacity(st, n, ANY_L3, r->threads));
	planner_append(s, "); lower vcpus to %d%s, or free CPUs", fits,
		       r->threads != VMP_THREADS_PREFER ? ", use threads=prefer" : "");
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
	vmp_size_format(a, sizeof(a), f->total_mem);
	planner_append(s, "; the host has %s free in all", a);
	for (int n = 0; n < h->nnodes; n++) {
		vmp_size_format(a, sizeof(a), planner_mem_room(st, n, r->hugepage_bytes));
		planner_append(s, "%snode %d: %s", n ? ", " : " (", h->nodes[n].id, a);
	}
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
	char a[32], b[32];

	for (int n = 0; n < h->nnodes; n++)
		if (planner_capacity(st, n, ANY_L3, r->threads) >= (int)r->vcpus &&
		    (most < 0 || planner_mem_room(st, n, r->hugepage_bytes) > most_mem)) {
			most = n;
			most_mem = planner_mem_room(st, n, r->hugepage_bytes);
		}
	vmp_size_format(a, sizeof(a), r->memory_bytes);
	vmp_size_format(b, sizeof(b), most_mem);
	planner_append(s,
		       "needs %s of %s on one node with %u free %s; the most such a node "
		       "has is %s (node %d); lower memory to %s, or allow numa=auto",
		       a, f->pool, r->vcpus, f->what, b, h->nodes[most].id, b);
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
	for (int n = 0; n < h->nnodes; n++) {
		vmp_size_format(b, sizeof(b), planner_mem_room(st, n, r->hugepage_bytes));
		planner_append(s, "%snode %d: %d, %s", n ? "; " : "", h->nodes[n].id,
			       planner_capacity(st, n, ANY_L3, r->threads), b);
	}
	planner_append(s, "); lower numa or vcpus, or free capacity");
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
		vmp_size_format(a, sizeof(a), f.best_mem);
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
