/* The fleet's per-node model of each host: what is free, whether a VM fits, taking and giving back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_internal.h"
#include "vmplan/error.h"
#include "vmplan/size.h"

int fleet_host_init(fleet_host *fh, const vmp_fleet_host *src)
{
	const vmp_host *h = src->host;

	memset(fh, 0, sizeof(*fh));
	fh->src = src;
	fh->smt = 1;
	if (!h || h->nnodes < 1 || h->nnodes > FLEET_NODES_MAX)
		return VMP_OK;
	if (!(fh->nodes = calloc((size_t)h->nnodes, sizeof(*fh->nodes)))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	fh->nnodes = h->nnodes;
	for (int c = 0; c < h->ncores; c++) {
		int n = vmp_cpuset_count(&h->cores[c].pus), free_pus = 0, p;
		fh->smt = n > fh->smt ? n : fh->smt;
		VMP_CPUSET_FOREACH (p, &h->cores[c].pus)
			free_pus += vmp_cpuset_isset(&h->online, p) &&
				    !vmp_cpuset_isset(&h->reserved, p) &&
				    !vmp_cpuset_isset(&h->used, p);
		if (h->cores[c].node < 0 || h->cores[c].node >= h->nnodes)
			continue;
		fh->nodes[h->cores[c].node].free_pus += free_pus;
		fh->nodes[h->cores[c].node].free_cores += free_pus == n && n > 0;
		fh->total_pus += n;
		fh->free_pus += free_pus;
	}
	for (int i = 0; i < h->nnodes; i++) {
		fleet_node *fn = &fh->nodes[i];
		fn->free_mem = h->nodes[i].free_bytes;
		fh->total_mem += h->nodes[i].memory_bytes;
		fh->free_mem += fn->free_mem;
		for (int k = 0; k < h->nodes[i].nhugepages && k < VMP_PAGESIZES_MAX; k++) {
			fn->huge_size[k] = h->nodes[i].hugepages[k].size_kib * 1024;
			fn->huge_free[k] = h->nodes[i].hugepages[k].free;
		}
	}
	fh->nexisting = h->nexisting;
	fh->busy = h->nexisting > 0 || !vmp_cpuset_empty(&h->used);
	fh->has_reserved = !vmp_cpuset_empty(&h->reserved);
	fh->usable = true;
	return VMP_OK;
}

void fleet_host_fini(fleet_host *fh)
{
	free(fh->nodes);
	free(fh->assigned);
	memset(fh, 0, sizeof(*fh));
}

double fleet_headroom(const fleet_host *h)
{
	double c = h->total_pus ? (double)h->free_pus / h->total_pus : 0;
	double m = h->total_mem ? (double)h->free_mem / (double)h->total_mem : 0;

	return c < m ? c : m;
}

/* What a share of a VM (vcpus of it, on one node) needs: PUs and whole free cores. */
static void cpu_need(int *pus, int *cores, const vmp_vm_request *req, unsigned vcpus, int smt)
{
	*pus = *cores = 0;
	if (req->cpu == VMP_CPU_SHARED)
		return;
	switch (req->threads) {
	case VMP_THREADS_ISOLATE:
		*cores = (int)vcpus;
		*pus = (int)vcpus * smt;
		break;
	case VMP_THREADS_REQUIRE:
		*cores = ((int)vcpus + smt - 1) / smt;
		*pus = *cores * smt;
		break;
	case VMP_THREADS_PREFER:
		*pus = (int)vcpus;
		*cores = 0; /* half-free cores do */
		break;
	}
}

/* The hugepage pool of a node for the VM's page size, or -1. */
static int pool_of(const fleet_node *n, uint64_t page_bytes)
{
	for (int k = 0; k < VMP_PAGESIZES_MAX; k++)
		if (n->huge_size[k] && n->huge_size[k] == page_bytes)
			return k;
	return -1;
}

static uint64_t node_mem_free(const fleet_node *n, uint64_t page_bytes)
{
	int k;

	if (!page_bytes)
		return n->free_mem;
	k = pool_of(n, page_bytes);
	return k < 0 ? 0 : n->huge_free[k] * n->huge_size[k];
}

/* Whether a share fits node n: its PUs, cores and memory. */
static bool node_fits(const fleet_node *n, int pus, int cores, uint64_t mem, uint64_t page_bytes)
{
	return n->free_pus >= pus && n->free_cores >= cores && node_mem_free(n, page_bytes) >= mem;
}

/* Try k nodes for the VM; true with take filled. Nodes with the most free PUs first. */
static bool fit_k(fleet_take *t, const fleet_host *h, const vmp_vm_request *req, int k)
{
	unsigned share = (req->vcpus + (unsigned)k - 1) / (unsigned)k;
	uint64_t mem = (req->memory_bytes + (uint64_t)k - 1) / (uint64_t)k;
	int pus, cores, best = -1, order[FLEET_NODES_MAX], n = 0;

	cpu_need(&pus, &cores, req, share, h->smt);
	if (req->hugepage_bytes)
		mem = (mem + req->hugepage_bytes - 1) / req->hugepage_bytes * req->hugepage_bytes;
	for (int i = 0; i < h->nnodes; i++)
		if (node_fits(&h->nodes[i], pus, cores, mem, req->hugepage_bytes))
			order[n++] = i;
	if (n < k)
		return false;
	if (k == 1) {
		/* The tightest node that fits keeps larger blocks whole. */
		for (int i = 0; i < n; i++)
			if (best < 0 || h->nodes[order[i]].free_pus < h->nodes[best].free_pus)
				best = order[i];
		order[0] = best;
	} else {
		for (int i = 1; i < n; i++)
			for (int j = i;
			     j > 0 && h->nodes[order[j - 1]].free_pus < h->nodes[order[j]].free_pus;
			     j--) {
				int x = order[j];
				order[j] = order[j - 1];
				order[j - 1] = x;
			}
	}
	t->nnodes = k;
	t->huge = -1;
	for (int i = 0; i < k; i++) {
		const fleet_node *fn = &h->nodes[order[i]];
		t->node[i] = order[i];
		t->pus[i] = pus;
		t->cores[i] = cores ? cores : (pus + h->smt - 1) / h->smt;
		if (t->cores[i] > fn->free_cores)
			t->cores[i] = fn->free_cores;
		t->mem[i] = mem;
		if (req->hugepage_bytes)
			t->huge = pool_of(fn, req->hugepage_bytes);
	}
	return true;
}

/* Why no node set fits: the binding resource, with numbers. */
static fleet_refusal no_fit(const fleet_host *h, const vmp_vm_request *req, char *why, size_t size)
{
	int pus, cores, best_pus = 0;
	uint64_t mem_all = 0, best_mem = 0;
	char need[32], all[32], bm[32];
	fleet_refusal r;

	cpu_need(&pus, &cores, req, req->vcpus, h->smt);
	for (int i = 0; i < h->nnodes; i++) {
		uint64_t m = node_mem_free(&h->nodes[i], req->hugepage_bytes);
		mem_all += m;
		best_pus = h->nodes[i].free_pus > best_pus ? h->nodes[i].free_pus : best_pus;
		best_mem = m > best_mem ? m : best_mem;
	}
	if (h->free_pus < pus)
		r = FLEET_CPUS;
	else if (mem_all < req->memory_bytes)
		r = req->hugepage_bytes ? FLEET_HUGEPAGES : FLEET_MEMORY;
	else
		r = FLEET_NODE_FIT;
	if (why) {
		vmp_size_format(need, sizeof(need), req->memory_bytes);
		vmp_size_human(all, sizeof(all), mem_all);
		vmp_size_human(bm, sizeof(bm), best_mem);
		snprintf(why, size,
			 "needs %d CPUs, %s%s; free %d CPUs, %s in all, best node %d CPUs, %s", pus,
			 need, req->hugepage_bytes ? " in hugepages" : "", h->free_pus, all,
			 best_pus, bm);
	}
	return r;
}

fleet_refusal fleet_fit(fleet_take *take, const fleet_host *h, const vmp_vm_request *req, char *why,
			size_t why_size)
{
	int first = req->numa_cells ? (int)req->numa_cells : 1;
	int last = req->numa_cells ? (int)req->numa_cells : h->nnodes;

	if (why)
		why[0] = '\0';
	take->host = -1;
	if (!h->usable) {
		if (why)
			snprintf(why, why_size, "down: %s",
				 h->src->error[0] ? h->src->error : "not loaded");
		return FLEET_DOWN;
	}
	if (req->host_label[0] && !vmp_fleet_host_has_label(h->src, req->host_label)) {
		if (why)
			snprintf(why, why_size, "no label '%s'", req->host_label);
		return FLEET_LABEL;
	}
	if (req->emulator == VMP_EMULATOR_ISOLATE && !h->has_reserved) {
		if (why)
			snprintf(why, why_size,
				 "emulator=isolate and no housekeeping CPUs reserved");
		return FLEET_HOUSEKEEPING;
	}
	if (last > h->nnodes || last > VMP_MAX_CELLS) {
		if (why)
			snprintf(why, why_size, "numa=%u and the host has %d nodes",
				 req->numa_cells, h->nnodes);
		return FLEET_NODE_FIT;
	}
	for (int k = first; k <= last; k++)
		if (fit_k(take, h, req, k))
			return FLEET_OK;
	return no_fit(h, req, why, why_size);
}

int fleet_apply(fleet_host *h, const fleet_take *t, int vm)
{
	if (h->nassigned == h->cap) {
		int cap = h->cap ? h->cap * 2 : 8;
		int *a = realloc(h->assigned, (size_t)cap * sizeof(*a));
		if (!a) {
			vmp_error_set("out of memory");
			return VMP_ENOMEM;
		}
		h->assigned = a;
		h->cap = cap;
	}
	h->assigned[h->nassigned++] = vm;
	for (int i = 0; i < t->nnodes; i++) {
		fleet_node *n = &h->nodes[t->node[i]];
		n->free_pus -= t->pus[i];
		n->free_cores -= t->cores[i];
		h->free_pus -= t->pus[i];
		if (t->huge >= 0) {
			n->huge_free[t->huge] -= t->mem[i] / n->huge_size[t->huge];
		} else {
			n->free_mem -= t->mem[i];
			h->free_mem -= t->mem[i];
		}
	}
	h->busy = true;
	return VMP_OK;
}

void fleet_release(fleet_host *h, const fleet_take *t, int vm)
{
	for (int i = 0; i < h->nassigned; i++)
		if (h->assigned[i] == vm) {
			memmove(&h->assigned[i], &h->assigned[i + 1],
				(size_t)(h->nassigned - i - 1) * sizeof(*h->assigned));
			h->nassigned--;
			break;
		}
	for (int i = 0; i < t->nnodes; i++) {
		fleet_node *n = &h->nodes[t->node[i]];
		n->free_pus += t->pus[i];
		n->free_cores += t->cores[i];
		h->free_pus += t->pus[i];
		if (t->huge >= 0) {
			n->huge_free[t->huge] += t->mem[i] / n->huge_size[t->huge];
		} else {
			n->free_mem += t->mem[i];
			h->free_mem += t->mem[i];
		}
	}
	h->busy = h->nassigned > 0 || h->nexisting > 0 || !vmp_cpuset_empty(&h->src->host->used);
}

/* A VM's sort key for batch order. */
typedef struct batch_key {
	int vm, priority;
	unsigned vcpus;
	uint64_t memory_bytes;
} batch_key;

/* Batch order: priority, then the largest first (vCPUs, memory), then as given. */
static int cmp_batch(const void *a, const void *b)
{
	const batch_key *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->vcpus != y->vcpus)
		return x->vcpus > y->vcpus ? -1 : 1;
	if (x->memory_bytes != y->memory_bytes)
		return x->memory_bytes > y->memory_bytes ? -1 : 1;
	return x->vm - y->vm;
}

int fleet_make_order(fleet_ctx *c)
{
	batch_key *k;

	if (!(c->order = malloc((size_t)c->nreqs * sizeof(*c->order))) ||
	    !(k = malloc((size_t)c->nreqs * sizeof(*k)))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (int i = 0; i < c->nreqs; i++)
		k[i] =
		    (batch_key){i, c->reqs[i].priority, c->reqs[i].vcpus, c->reqs[i].memory_bytes};
	if (c->o.order == VMP_ORDER_BATCH)
		qsort(k, (size_t)c->nreqs, sizeof(*k), cmp_batch);
	for (int i = 0; i < c->nreqs; i++)
		c->order[i] = k[i].vm;
	free(k);
	return VMP_OK;
}
