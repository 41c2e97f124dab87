/* Existing domains into the host model as used resources: CPUs, memory, pages, cache ways. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xpath.h>

#include "vmplan/error.h"
#include "vmplan/probe_libvirt.h"

#include "libvirt_internal.h"

/* What bound domains hold, per node index, while the domains are read. */
struct committed {
	uint64_t *mem;   /* bytes of normal memory */
	uint64_t *pages; /* pages, [node * VMP_PAGESIZES_MAX + pool] */
};

/* Spread bytes evenly over the host's nodes in set (OS ids) into share; false when none is. */
static bool spread(const vmp_host *h, const vmp_cpuset *set, uint64_t bytes, uint64_t *share)
{
	int k = 0, first = -1, id;

	VMP_CPUSET_FOREACH (id, set)
		if (vmp_host_node_index(h, id) >= 0)
			k++;
	if (k == 0)
		return false;
	VMP_CPUSET_FOREACH (id, set) {
		int i = vmp_host_node_index(h, id);

		if (i < 0)
			continue;
		share[i] += bytes / k;
		if (first < 0)
			first = i;
	}
	share[first] += bytes % k;
	return true;
}

/*
 * Where a domain's memory lives: share[node index] gets the bytes bound to
 * that node, vm->nodes every node named. Guest cells with a <memnode> go to
 * its nodeset, the rest to <numatune><memory nodeset>.
 */
static int bind_memory(struct xdoc *x, vmp_host *h, vmp_existing_vm *vm, uint64_t *share)
{
	xmlXPathObjectPtr memnodes = vmp_lvx_eval(x, NULL, "/domain/numatune/memnode");
	uint64_t rest = vm->memory_bytes;
	char *nodeset = NULL;
	int err = VMP_OK;

	if (!memnodes)
		return vmp_lvx_no_memory();
	for (int i = 0; i < vmp_lvx_len(memnodes) && err == VMP_OK; i++) {
		xmlNodePtr mn = vmp_lvx_at(memnodes, i);
		xmlXPathObjectPtr cell;
		vmp_cpuset set;
		char expr[96];
		int cellid;
		uint64_t bytes = 0;

		if ((err = vmp_lvx_attr_int(x, mn, "cellid", &cellid, NULL)) < 0 ||
		    (err = vmp_lvx_attr_cpuset(x, mn, "nodeset", &set)) < 0)
			break;
		snprintf(expr, sizeof(expr), "/domain/cpu/numa/cell[@id='%d']", cellid);
		if (!(cell = vmp_lvx_eval(x, NULL, expr))) {
			err = vmp_lvx_no_memory();
			break;
		}
		if (vmp_lvx_len(cell) > 0)
			err = vmp_lvx_elem_size(x, vmp_lvx_at(cell, 0), "memory", "KiB", &bytes);
		xmlXPathFreeObject(cell);
		if (err < 0)
			break;
		vmp_cpuset_or(&vm->nodes, &vm->nodes, &set);
		if (bytes > rest)
			bytes = rest;
		if (spread(h, &set, bytes, share))
			rest -= bytes;
	}
	xmlXPathFreeObject(memnodes);
	/* placement='auto' leaves the nodes to numad: unbound as far as a plan can tell. */
	nodeset =
	    vmp_lvx_string(x, NULL, "/domain/numatune/memory[not(@placement='auto')]/@nodeset");
	if (err == VMP_OK && nodeset) {
		vmp_cpuset set;

		if ((err = vmp_lvx_parse_cpuset(x, &set, nodeset)) == VMP_OK) {
			vmp_cpuset_or(&vm->nodes, &vm->nodes, &set);
			spread(h, &set, rest, share);
		}
	}
	free(nodeset);
	return err;
}

/* The pool of a node with size_kib pages (its smallest pool when 0), or -1. */
static int pool_of(const vmp_node *node, uint64_t size_kib)
{
	for (int k = 0; k < node->nhugepages; k++)
		if (!size_kib || node->hugepages[k].size_kib == size_kib)
			return k;
	return -1;
}

/* Count what share holds as pages of the domain's hugepages, or as normal memory. */
static int commit_memory(struct xdoc *x, vmp_host *h, const uint64_t *share, struct committed *cm)
{
	xmlXPathObjectPtr huge = vmp_lvx_eval(x, NULL, "/domain/memoryBacking/hugepages");
	xmlXPathObjectPtr page = vmp_lvx_eval(x, NULL, "/domain/memoryBacking/hugepages/page");
	uint64_t size_bytes = 0;
	int err = VMP_OK;

	if (!huge || !page) {
		err = vmp_lvx_no_memory();
		goto out;
	}
	if (vmp_lvx_len(page) > 0 &&
	    (err = vmp_lvx_elem_size(x, vmp_lvx_at(page, 0), "size", "KiB", &size_bytes)) < 0)
		goto out;
	for (int i = 0; i < h->nnodes; i++) {
		int k;

		if (!share[i])
			continue;
		if (!vmp_lvx_len(huge)) {
			cm->mem[i] += share[i];
			continue;
		}
		/* A pool the node lacks: the domain cannot start there; nothing to take. */
		k = pool_of(&h->nodes[i], size_bytes / 1024);
		if (k >= 0) {
			uint64_t ps = h->nodes[i].hugepages[k].size_kib * 1024;

			cm->pages[(size_t)i * VMP_PAGESIZES_MAX + k] += (share[i] + ps - 1) / ps;
		}
	}
out:
	xmlXPathFreeObject(huge);
	xmlXPathFreeObject(page);
	return err;
}

/* Mark ways contiguous ways of cache domain id as used: the lowest free run, else any. */
static void take_ways(vmp_rdt_cache *rdt, int id, unsigned ways)
{
	vmp_rdt_domain *d = NULL;
	uint64_t want;

	for (int i = 0; i < rdt->ndomains; i++)
		if (rdt->domains[i].id == id)
			d = &rdt->domains[i];
	if (!d || ways == 0)
		return;
	want = ways >= 64 ? UINT64_MAX : (UINT64_C(1) << ways) - 1;
	for (unsigned shift = 0; shift + ways <= 64; shift++) {
		uint64_t run = want << shift;

		if ((run & rdt->cbm_mask) == run && !(run & d->used_mask)) {
			d->used_mask |= run;
			return;
		}
	}
	for (unsigned b = 0; b < 64 && ways > 0; b++) {
		uint64_t bit = UINT64_C(1) << b;

		if ((rdt->cbm_mask & bit) && !(d->used_mask & bit)) {
			d->used_mask |= bit;
			ways--;
		}
	}
}

/*
 * One <cachetune>'s L3 ways per domain into want[] (indexed as rdt->domains).
 * Under CDP a group has a code and a data entry for one cache id; they
 * hold one run of ways between them (the planner gives both one mask, and
 * the resctrl reader counts their union), so the larger entry counts, not
 * the sum.
 */
static int cachetune_ways(struct xdoc *x, const vmp_host *h, xmlNodePtr tune, unsigned nways,
			  unsigned *want)
{
	const vmp_rdt_cache *rdt = &h->resctrl.l3;
	xmlXPathObjectPtr caches = vmp_lvx_eval(x, tune, "cache");
	int err = VMP_OK;

	if (!caches)
		return vmp_lvx_no_memory();
	for (int i = 0; i < vmp_lvx_len(caches); i++) {
		xmlNodePtr c = vmp_lvx_at(caches, i);
		int id, level, d = -1;
		uint64_t size, way_bytes = 0, ways;

		if ((err = vmp_lvx_attr_int(x, c, "id", &id, NULL)) < 0 ||
		    (err = vmp_lvx_attr_int(x, c, "level", &level, NULL)) < 0 ||
		    (err = vmp_lvx_elem_size(x, c, "size", "KiB", &size)) < 0)
			break;
		/* Only L3 banks have a size in the model to tell the way size from. */
		if (level != 3 || !rdt->present || !nways)
			continue;
		for (int l = 0; l < h->nl3; l++)
			if (h->l3s[l].id == id)
				way_bytes = h->l3s[l].size_bytes / nways;
		for (int k = 0; k < rdt->ndomains; k++)
			if (rdt->domains[k].id == id)
				d = k;
		if (!way_bytes || d < 0)
			continue;
		ways = (size + way_bytes - 1) / way_bytes;
		if (ways > nways)
			ways = nways;
		if (ways > want[d])
			want[d] = (unsigned)ways;
	}
	xmlXPathFreeObject(caches);
	return err;
}

/* <cachetune> L3 allocations into the resctrl domains; the groups into groups_used. */
static int commit_cache(struct xdoc *x, vmp_host *h)
{
	xmlXPathObjectPtr tunes = vmp_lvx_eval(x, NULL, "/domain/cputune/cachetune");
	xmlXPathObjectPtr groups =
	    vmp_lvx_eval(x, NULL,
			 "count(/domain/cputune/cachetune) + count(/domain/cputune/memorytune"
			 "[not(@vcpus = /domain/cputune/cachetune/@vcpus)])");
	vmp_rdt_cache *rdt = &h->resctrl.l3;
	unsigned nways = 0;
	int err = VMP_OK;

	if (!tunes || !groups) {
		err = vmp_lvx_no_memory();
		goto out;
	}
	if (h->resctrl.present && groups->type == XPATH_NUMBER && groups->floatval > 0)
		h->resctrl.groups_used += (unsigned)groups->floatval;
	for (uint64_t m = rdt->cbm_mask; m; m >>= 1)
		nways += m & 1;
	for (int i = 0; i < vmp_lvx_len(tunes); i++) {
		unsigned want[VMP_RDT_DOMAINS_MAX] = {0};

		if ((err = cachetune_ways(x, h, vmp_lvx_at(tunes, i), nways, want)) < 0)
			break;
		for (int d = 0; d < rdt->ndomains; d++)
			take_ways(rdt, rdt->domains[d].id, want[d]);
	}
out:
	xmlXPathFreeObject(tunes);
	xmlXPathFreeObject(groups);
	return err;
}

/* The PUs a domain is pinned to: <vcpu cpuset>, vcpupin, emulatorpin, iothreadpin. */
static int pinned_cpus(struct xdoc *x, vmp_cpuset *out)
{
	xmlXPathObjectPtr pins = vmp_lvx_eval(x, NULL,
					      "/domain/vcpu[not(@placement='auto')]/@cpuset"
					      " | /domain/cputune/vcpupin/@cpuset"
					      " | /domain/cputune/emulatorpin/@cpuset"
					      " | /domain/cputune/iothreadpin/@cpuset");
	int err = VMP_OK;

	if (!pins)
		return vmp_lvx_no_memory();
	vmp_cpuset_zero(out);
	for (int i = 0; i < vmp_lvx_len(pins) && err == VMP_OK; i++) {
		char *text = (char *)xmlNodeGetContent(vmp_lvx_at(pins, i));
		vmp_cpuset set;

		if (!text) {
			err = vmp_lvx_no_memory();
			break;
		}
		if ((err = vmp_lvx_parse_cpuset(x, &set, text)) == VMP_OK)
			vmp_cpuset_or(out, out, &set);
		xmlFree(text);
	}
	xmlXPathFreeObject(pins);
	return err;
}

static int apply_domain(vmp_host *h, const char *xml, vmp_existing_vm *vm, struct committed *cm)
{
	struct xdoc x;
	char what[VMP_NAME_MAX + 32];
	char *name = NULL, *mem = NULL, *unit = NULL;
	uint64_t *share = calloc(h->nnodes, sizeof(*share));
	vmp_cpuset mine;
	int err;

	memset(vm, 0, sizeof(*vm));
	if (!share) {
		x.doc = NULL;
		x.ctx = NULL;
		err = vmp_lvx_no_memory();
		goto out;
	}
	if ((err = vmp_lvx_open(&x, xml, "domain XML")) < 0)
		goto out;
	name = vmp_lvx_string(&x, NULL, "/domain/name");
	snprintf(vm->name, sizeof(vm->name), "%s", name ? name : "");
	snprintf(what, sizeof(what), "domain '%s'", vm->name);
	x.what = what;

	mem = vmp_lvx_string(&x, NULL, "/domain/memory");
	unit = vmp_lvx_string(&x, NULL, "/domain/memory/@unit");
	if (mem && (err = vmp_lvx_scaled(&x, mem, unit, "KiB", &vm->memory_bytes)) < 0)
		goto out;

	if ((err = pinned_cpus(&x, &vm->cpus)) < 0)
		goto out;
	{
		/* A migration or re-pin may not change the guest's cells (its ABI). */
		xmlXPathObjectPtr cells = vmp_lvx_eval(&x, NULL, "/domain/cpu/numa/cell");

		if (!cells) {
			err = vmp_lvx_no_memory();
			goto out;
		}
		vm->guest_cells = vmp_lvx_len(cells) > 0 ? vmp_lvx_len(cells) : 1;
		xmlXPathFreeObject(cells);
	}
	vmp_cpuset_and(&mine, &vm->cpus, &h->online);
	vmp_cpuset_or(&h->used, &h->used, &mine);

	if ((err = bind_memory(&x, h, vm, share)) < 0 ||
	    (err = commit_memory(&x, h, share, cm)) < 0 || (err = commit_cache(&x, h)) < 0)
		goto out;
out:
	free(name);
	free(mem);
	free(unit);
	free(share);
	vmp_lvx_close(&x);
	return err;
}

int vmp_libvirt_domains_apply(vmp_host *host, const char *const *xmls, int n)
{
	struct committed cm;
	vmp_existing_vm *grown;
	int err = VMP_OK;

	if (n <= 0)
		return VMP_OK;
	cm.mem = calloc(host->nnodes, sizeof(*cm.mem));
	cm.pages = calloc((size_t)host->nnodes * VMP_PAGESIZES_MAX, sizeof(*cm.pages));
	grown = realloc(host->existing, (size_t)(host->nexisting + n) * sizeof(*grown));
	if (grown)
		host->existing = grown;
	if (!cm.mem || !cm.pages || !grown) {
		err = vmp_lvx_no_memory();
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if ((err = apply_domain(host, xmls[i], &host->existing[host->nexisting], &cm)) < 0)
			goto out;
		host->nexisting++;
	}
	for (int i = 0; i < host->nnodes; i++) {
		vmp_node *node = &host->nodes[i];
		uint64_t held = vmp_libvirt_pool_bytes(node) + cm.mem[i];
		uint64_t cap = held < node->memory_bytes ? node->memory_bytes - held : 0;

		if (node->free_bytes > cap)
			node->free_bytes = cap;
		for (int k = 0; k < node->nhugepages; k++) {
			uint64_t took = cm.pages[(size_t)i * VMP_PAGESIZES_MAX + k];
			vmp_hugepages *p = &node->hugepages[k];
			uint64_t left = took < p->total ? p->total - took : 0;

			if (p->free > left)
				p->free = left;
		}
	}
out:
	free(cm.mem);
	free(cm.pages);
	return err;
}
