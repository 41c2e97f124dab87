/* Mixed arrival scenarios for --order given, and Nova's first fit over them (test and bench). */
#ifndef VMPLAN_TEST_GIVEN_MIX_H
#define VMPLAN_TEST_GIVEN_MIX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmplan/error.h"
#include "vmplan/plan.h"
#include "vmplan/probe.h"
#include "vmplan/spec.h"

/* A host and a seed: the host from an hwloc synthetic string or a fixture file. */
typedef struct gm_scenario {
	const char *label;
	const char *synthetic; /* or NULL */
	const char *fixture;   /* under FIXTURES/hwloc-xml, or NULL */
	bool pools;            /* give each node a 2M pool of a quarter of its memory */
	uint64_t seed;
} gm_scenario;

static const gm_scenario gm_scenarios[] = {
    {"2 sockets x 4 nodes A", "pack:2 numa:4(memory=32GiB) l3:1 core:6 pu:2", NULL, false, 1},
    {"2 sockets x 4 nodes B", "pack:2 numa:4(memory=32GiB) l3:1 core:6 pu:2", NULL, false, 2},
    {"2 sockets x 4 nodes C", "pack:2 numa:4(memory=32GiB) l3:1 core:6 pu:2", NULL, true, 3},
    {"2 sockets x 4 nodes D", "pack:2 numa:4(memory=32GiB) l3:1 core:6 pu:2", NULL, true, 4},
    {"2 sockets x 4 nodes, no SMT", "pack:2 numa:4(memory=16GiB) l3:1 core:8 pu:1", NULL, false, 5},
    {"4 nodes A", "numa:4(memory=64GiB) l3:2 core:8 pu:2", NULL, false, 6},
    {"4 nodes B", "numa:4(memory=64GiB) l3:2 core:8 pu:2", NULL, true, 7},
    {"2 nodes SMT A", "pack:2 numa:1(memory=96GiB) l3:1 core:12 pu:2", NULL, false, 8},
    {"2 nodes SMT B", "pack:2 numa:1(memory=96GiB) l3:1 core:12 pu:2", NULL, true, 9},
    {"fixture 24 nodes A", NULL, "192em64t-24n8c2t.xml", false, 10},
    {"fixture 24 nodes B", NULL, "192em64t-24n8c2t.xml", true, 11},
    {"fixture 2 nodes A", NULL, "24em64t-2n6c2t-pci.xml", false, 12},
    {"fixture 2 nodes B", NULL, "24em64t-2n6c2t-pci.xml", true, 13},
    {"fixture 4 nodes, no SMT", NULL, "96em64t-4n4d3ca2co-pci.xml", false, 14},
};
#define GM_NSCENARIOS ((int)(sizeof(gm_scenarios) / sizeof(gm_scenarios[0])))
#define GM_MAX_VMS    400
#define GM_PAGE       (2ULL << 20)

static uint64_t gm_rng;
static uint32_t gm_rnd(uint32_t n)
{
	gm_rng = gm_rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(gm_rng >> 33) % n;
}

static int gm_max_core(const vmp_host *h)
{
	int t = 1;

	for (int c = 0; c < h->ncores; c++)
		if (vmp_cpuset_count(&h->cores[c].pus) > t)
			t = vmp_cpuset_count(&h->cores[c].pus);
	return t;
}

/* The scenario's host: 0, 1 when its fixture is missing (skip), -1 with a message. */
static int gm_host(vmp_host **out, const gm_scenario *s, const char *fixtures)
{
	char path[1024];

	*out = NULL;
	if (s->synthetic) {
		if (vmp_probe_synthetic(out, s->synthetic) < 0)
			return -1;
	} else {
		snprintf(path, sizeof(path), "%s/hwloc-xml/%s", fixtures, s->fixture);
		if (access(path, R_OK) != 0)
			return 1;
		if (vmp_probe_xml(out, path) < 0)
			return -1;
	}
	for (int n = 0; s->pools && n < (*out)->nnodes; n++) {
		vmp_node *node = &(*out)->nodes[n];
		uint64_t pages = node->free_bytes / 4 / GM_PAGE;
		node->nhugepages = 1;
		node->hugepages[0] = (vmp_hugepages){GM_PAGE / 1024, pages, pages};
		node->free_bytes -= pages * GM_PAGE;
	}
	return 0;
}

/*
 * A random arrival sequence that overfills the host: 1-16 vCPUs (half of them 1-4), memory
 * at 0.5-3 times the host's GiB per PU (1-64 GiB), prefer / isolate / require, now and then
 * numa=2 (even shares, as Nova wants them) and 2M hugepages where the host has pools. Without
 * oversize, each VM is cut down until each of its cells fits the smallest node of the empty
 * host (a VM no node holds is refused by Nova and spread by vmplan: no fragmentation at stake).
 */
static int gm_mix(vmp_vm_request *reqs, const vmp_host *h, const gm_scenario *s, bool oversize)
{
	static const double factor[] = {0.5, 1, 1.5, 2, 3};
	int T = gm_max_core(h), n = 0, node_pus = 0;
	uint64_t mem = 0, asked_mem = 0, node_mem = 0, node_pool = 0;
	long asked_pus = 0;

	gm_rng = s->seed * 7919 + 17;
	for (int i = 0; i < h->nnodes; i++) {
		uint64_t pool =
		    h->nodes[i].nhugepages ? h->nodes[i].hugepages[0].free * GM_PAGE : 0;
		mem += h->nodes[i].free_bytes + pool;
		/* The smallest node that has CPUs: what every cell must fit without oversize. */
		if (vmp_cpuset_count(&h->nodes[i].cpus) &&
		    (!node_pus || vmp_cpuset_count(&h->nodes[i].cpus) < node_pus))
			node_pus = vmp_cpuset_count(&h->nodes[i].cpus);
		if (vmp_cpuset_count(&h->nodes[i].cpus) &&
		    (!node_mem || h->nodes[i].free_bytes < node_mem))
			node_mem = h->nodes[i].free_bytes;
		if (vmp_cpuset_count(&h->nodes[i].cpus) && (!node_pool || pool < node_pool))
			node_pool = pool;
	}
	double gib_per_pu = (double)mem / (1 << 30) / h->npus;
	while (n < GM_MAX_VMS && (asked_pus < h->npus * 14 / 10 || asked_mem < mem * 14 / 10)) {
		char spec[192];
		int pol = (int)gm_rnd(4), cells = 1;
		unsigned vcpus = gm_rnd(2) ? 1 + gm_rnd(4) : 1 + gm_rnd(16);
		if (pol == 3 && T == 1)
			pol = 0;
		if (gm_rnd(8) == 0 && vcpus >= 2)
			cells = 2;
		unsigned unit = (unsigned)(pol == 3 ? T : 1) * (unsigned)cells;
		vcpus = (vcpus + unit - 1) / unit * unit;
		unsigned gib = (unsigned)(vcpus * gib_per_pu * factor[gm_rnd(5)] + 0.5);
		gib = gib < 1 ? 1 : gib > 64 ? 64 : gib;
		gib += gib % (unsigned)cells;
		bool huge = s->pools && gm_rnd(5) == 0;
		if (!oversize) {
			/* Each cell fits one node of the empty host. */
			unsigned cap = (unsigned)(pol == 2 ? node_pus / T : node_pus) * cells;
			unsigned mcap = (unsigned)((huge ? node_pool : node_mem) >> 30) * cells;
			while (vcpus > cap && vcpus > unit)
				vcpus -= unit;
			while (gib > mcap && gib > (unsigned)cells)
				gib -= (unsigned)cells;
		}
		snprintf(spec, sizeof(spec), "name=g%d,vcpus=%u,memory=%uG,threads=%s%s%s", n,
			 vcpus, gib,
			 pol == 2   ? "isolate"
			 : pol == 3 ? "require"
				    : "prefer",
			 cells == 2 ? ",numa=2" : "", huge ? ",hugepages=2M" : "");
		if (vmp_spec_parse(&reqs[n], spec) < 0)
			return -1;
		asked_pus += (long)vcpus * (pol == 2 ? T : 1);
		asked_mem += (uint64_t)gib << 30;
		n++;
	}
	return n;
}

/*
 * Nova's NUMA fitter (nova/virt/hardware.py, numa_fit_instance_to_host) at node level: a VM
 * without numa= is one instance cell, numa=k splits vCPUs and memory evenly; the host's
 * cells are taken in order and the first permutation of k distinct nodes that fits each
 * cell wins, else the VM is refused. isolate takes a whole core per vCPU, require whole
 * cores of the host's SMT width, prefer any free PUs (holes in partly used cores first:
 * the kindest reading for Nova). Memory from the node, or its 2M pool. Since Xena Nova
 * sorts the host's cells before that ([compute] packing_host_numa_cells_allocation_strategy):
 * GM_PACK tries the most used first, GM_SPREAD the least used (free PUs, then memory).
 */
#define GM_PACK   1
#define GM_SPREAD 2
typedef struct gm_nova {
	const vmp_host *h;
	int T;
	int mode;       /* 0: host cells in order; GM_PACK / GM_SPREAD: sorted as Nova since Xena */
	int *order;     /* by position: the node tried there */
	int *core_free; /* by core */
	uint64_t *mem, *pages;
} gm_nova;

static bool gm_cell_fits(const gm_nova *s, int node, const vmp_vm_request *r, int k)
{
	int vc = (int)r->vcpus / k, pus = 0, whole = 0;
	uint64_t m = r->memory_bytes / (uint64_t)k;

	if (r->hugepage_bytes ? s->pages[node] * GM_PAGE < m : s->mem[node] < m)
		return false;
	for (int c = 0; c < s->h->ncores; c++)
		if (s->h->cores[c].node == node) {
			pus += s->core_free[c];
			whole += s->core_free[c] == s->T &&
				 vmp_cpuset_count(&s->h->cores[c].pus) == s->T;
		}
	if (r->threads == VMP_THREADS_ISOLATE)
		return whole >= vc;
	if (r->threads == VMP_THREADS_REQUIRE)
		return s->T > 1 && whole * s->T >= vc;
	return pus >= vc;
}

static void gm_cell_take(gm_nova *s, int node, const vmp_vm_request *r, int k)
{
	int vc = (int)r->vcpus / k;
	uint64_t m = r->memory_bytes / (uint64_t)k;

	if (r->hugepage_bytes)
		s->pages[node] -= m / GM_PAGE;
	else
		s->mem[node] -= m;
	if (r->threads != VMP_THREADS_PREFER) {
		int cores = r->threads == VMP_THREADS_ISOLATE ? vc : vc / s->T;
		for (int c = 0; c < s->h->ncores && cores > 0; c++)
			if (s->h->cores[c].node == node && s->core_free[c] == s->T &&
			    vmp_cpuset_count(&s->h->cores[c].pus) == s->T) {
				s->core_free[c] = 0;
				cores--;
			}
		return;
	}
	for (int pass = 0; pass < 2 && vc > 0; pass++)
		for (int c = 0; c < s->h->ncores && vc > 0; c++) {
			int size = vmp_cpuset_count(&s->h->cores[c].pus);
			if (s->h->cores[c].node != node || !s->core_free[c] ||
			    (pass == 0 && s->core_free[c] == size))
				continue;
			int take = s->core_free[c] < vc ? s->core_free[c] : vc;
			s->core_free[c] -= take;
			vc -= take;
		}
}

/* The first permutation of k distinct nodes, in host order, that holds the cells i.. */
static bool gm_perm(gm_nova *s, const vmp_vm_request *r, int k, int i, int *pick)
{
	if (i == k) {
		for (int j = 0; j < k; j++)
			gm_cell_take(s, pick[j], r, k);
		return true;
	}
	for (int pos = 0; pos < s->h->nnodes; pos++) {
		int n = s->order[pos];
		bool used = false;
		for (int j = 0; j < i; j++)
			used |= pick[j] == n;
		if (used || !gm_cell_fits(s, n, r, k))
			continue;
		pick[i] = n;
		if (gm_perm(s, r, k, i + 1, pick))
			return true;
	}
	return false;
}

/* Free PUs of a node, then its memory for r: what Nova's sort weighs. */
static bool gm_freer(const gm_nova *s, const vmp_vm_request *r, int a, int b)
{
	int pa = 0, pb = 0;
	uint64_t ma = r->hugepage_bytes ? s->pages[a] * GM_PAGE : s->mem[a];
	uint64_t mb = r->hugepage_bytes ? s->pages[b] * GM_PAGE : s->mem[b];

	for (int c = 0; c < s->h->ncores; c++) {
		pa += s->h->cores[c].node == a ? s->core_free[c] : 0;
		pb += s->h->cores[c].node == b ? s->core_free[c] : 0;
	}
	return pa != pb ? pa > pb : ma > mb;
}

/* The order the host's cells are tried in for r (a stable insertion sort by mode). */
static void gm_sort_cells(gm_nova *s, const vmp_vm_request *r)
{
	for (int i = 0; i < s->h->nnodes; i++)
		s->order[i] = i;
	for (int i = 1; s->mode && i < s->h->nnodes; i++)
		for (int j = i; j > 0; j--) {
			int a = s->order[j - 1], b = s->order[j];
			bool swap =
			    s->mode == GM_SPREAD ? gm_freer(s, r, b, a) : gm_freer(s, r, a, b);
			if (!swap)
				break;
			s->order[j - 1] = b;
			s->order[j] = a;
		}
}

/* VMs Nova's first fit places, in the given order, host cells sorted by mode; -1 out of
 * memory. */
static int gm_first_fit_mode(const vmp_host *h, const vmp_vm_request *reqs, int n, int mode)
{
	gm_nova s = {.h = h, .T = gm_max_core(h), .mode = mode};
	int placed = -1;

	s.core_free = calloc((size_t)h->ncores, sizeof(int));
	s.mem = calloc((size_t)h->nnodes, sizeof(uint64_t));
	s.pages = calloc((size_t)h->nnodes, sizeof(uint64_t));
	s.order = calloc((size_t)h->nnodes, sizeof(int));
	if (s.core_free && s.mem && s.pages && s.order) {
		placed = 0;
		for (int p = 0; p < h->npus; p++)
			s.core_free[h->pus[p].core] +=
			    vmp_cpuset_isset(&h->online, h->pus[p].os_index) &&
			    !vmp_cpuset_isset(&h->reserved, h->pus[p].os_index);
		for (int i = 0; i < h->nnodes; i++) {
			s.mem[i] = h->nodes[i].free_bytes;
			s.pages[i] = h->nodes[i].nhugepages ? h->nodes[i].hugepages[0].free : 0;
		}
		for (int v = 0; v < n; v++) {
			int pick[VMP_MAX_CELLS],
			    k = reqs[v].numa_cells ? (int)reqs[v].numa_cells : 1;
			gm_sort_cells(&s, &reqs[v]);
			placed += k <= h->nnodes && gm_perm(&s, &reqs[v], k, 0, pick);
		}
	}
	free(s.core_free);
	free(s.mem);
	free(s.pages);
	free(s.order);
	return placed;
}

/* Nova's first fit with the host's cells in order (before Xena; the comparison). */
static int gm_first_fit(const vmp_host *h, const vmp_vm_request *reqs, int n)
{
	return gm_first_fit_mode(h, reqs, n, 0);
}

/* One scenario's figures. */
typedef struct gm_result {
	int nvms, given, first_fit, batch;
	double bound; /* the exact solver's bound on batch, -1 when none */
	bool optimal; /* batch reached it */
	double given_ms, ff_ms, batch_ms;
	char violation[160]; /* "" or what a plan broke (checked by the caller) */
} gm_result;

#endif
