/* Build the host model from a libvirt capabilities document: cells, CPUs, caches, controls. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/xpath.h>

#include "vmplan/error.h"
#include "vmplan/probe_libvirt.h"

#include "libvirt_internal.h"

/* A CPU as the capabilities list it, before the model's arrays are built. */
struct rawcpu {
	int id;
	int node_id; /* OS id of its cell */
	int socket;  /* -1 where libvirt does not say */
	int die;
	int core;
};

static int cmp_node(const void *a, const void *b)
{
	const vmp_node *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_id(const void *a, const void *b)
{
	const struct rawcpu *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_cache(const void *a, const void *b)
{
	const vmp_cache *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_package(const void *a, const void *b)
{
	const vmp_package *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_core(const void *a, const void *b)
{
	int x = vmp_cpuset_first(&((const vmp_core *)a)->pus);
	int y = vmp_cpuset_first(&((const vmp_core *)b)->pus);

	return (x > y) - (x < y);
}

static int cmp_pool(const void *a, const void *b)
{
	const vmp_hugepages *x = a, *y = b;

	return (x->size_kib > y->size_kib) - (x->size_kib < y->size_kib);
}

/*
 * A cell's <pages>: counts of pages of each size. The smallest size is the
 * normal page (the cell's memory in 4 KiB pages); the larger ones are the
 * hugepage pools, kept when empty because libvirt can be told to fill them.
 */
static int cell_pages(struct xdoc *x, xmlNodePtr cell, vmp_node *node)
{
	xmlXPathObjectPtr pages = vmp_lvx_eval(x, cell, "pages");
	vmp_hugepages all[16];
	int n = 0, err = VMP_OK;

	if (!pages)
		return vmp_lvx_no_memory();
	for (int i = 0; i < vmp_lvx_len(pages) && n < 16; i++) {
		xmlNodePtr p = vmp_lvx_at(pages, i);
		char *count = (char *)xmlNodeGetContent(p);
		uint64_t size;

		err = vmp_lvx_elem_size(x, p, "size", "KiB", &size);
		if (err == VMP_OK && (!count || !vmp_lvx_to_u64(&all[n].total, count))) {
			vmp_error_set("cannot use %s: cell %d has <pages> with count '%s'", x->what,
				      node->id, count ? count : "");
			err = VMP_EINVAL;
		}
		xmlFree(count);
		if (err == VMP_OK && (size < 4096 || size % 1024)) {
			/* No page is smaller than 4 KiB; a smaller one would pass for the
			 * normal page and make it look like a hugepage pool. */
			vmp_error_set("cannot use %s: cell %d has <pages> of %" PRIu64
				      " bytes; pages are whole KiB, 4 KiB or more",
				      x->what, node->id, size);
			err = VMP_EINVAL;
		}
		for (int k = 0; err == VMP_OK && k < n; k++)
			if (all[k].size_kib == size / 1024) {
				vmp_error_set("cannot use %s: cell %d lists pages of %" PRIu64
					      " KiB twice",
					      x->what, node->id, size / 1024);
				err = VMP_EINVAL;
			}
		if (err < 0)
			break;
		all[n].size_kib = size / 1024;
		all[n].free = all[n].total;
		n++;
	}
	xmlXPathFreeObject(pages);
	if (err < 0 || n < 2)
		return err;
	qsort(all, n, sizeof(all[0]), cmp_pool);
	for (int i = 1; i < n && node->nhugepages < VMP_PAGESIZES_MAX; i++)
		node->hugepages[node->nhugepages++] = all[i];
	return VMP_OK;
}

/* Memory in a cell's hugepage pools, in bytes. */
uint64_t vmp_libvirt_pool_bytes(const vmp_node *node)
{
	uint64_t sum = 0;

	for (int k = 0; k < node->nhugepages; k++)
		sum += node->hugepages[k].total * node->hugepages[k].size_kib * 1024;
	return sum;
}

/* Cells into h->nodes, sorted by id; memory, pages, free = memory less the pools. */
static int read_cells(struct xdoc *x, xmlXPathObjectPtr cells, vmp_host *h)
{
	int n = vmp_lvx_len(cells), err;

	h->nodes = calloc(n > 0 ? n : 1, sizeof(*h->nodes));
	if (!h->nodes)
		return vmp_lvx_no_memory();
	for (int i = 0; i < n; i++) {
		xmlNodePtr cell = vmp_lvx_at(cells, i);
		vmp_node *node = &h->nodes[h->nnodes++];
		xmlXPathObjectPtr mem;

		if ((err = vmp_lvx_attr_int(x, cell, "id", &node->id, NULL)) < 0)
			return err;
		if (!(mem = vmp_lvx_eval(x, cell, "memory")))
			return vmp_lvx_no_memory();
		err = vmp_lvx_len(mem) ? vmp_lvx_elem_size(x, vmp_lvx_at(mem, 0), NULL, "KiB",
							   &node->memory_bytes)
				       : VMP_OK;
		xmlXPathFreeObject(mem);
		if (err < 0 || (err = cell_pages(x, cell, node)) < 0)
			return err;
		node->free_bytes = node->memory_bytes;
		if (vmp_libvirt_pool_bytes(node) <= node->memory_bytes)
			node->free_bytes -= vmp_libvirt_pool_bytes(node);
	}
	qsort(h->nodes, h->nnodes, sizeof(*h->nodes), cmp_node);
	for (int i = 1; i < h->nnodes; i++)
		if (h->nodes[i].id == h->nodes[i - 1].id) {
			vmp_error_set("cannot use %s: NUMA cell %d is listed twice", x->what,
				      h->nodes[i].id);
			return VMP_EINVAL;
		}
	return VMP_OK;
}

/* The distance matrix, kept only when every cell lists a distance to every cell. */
static int read_distances(struct xdoc *x, xmlXPathObjectPtr cells, vmp_host *h)
{
	size_t nn = (size_t)h->nnodes;
	uint32_t *m = calloc(nn * nn, sizeof(*m));
	int err = VMP_OK;
	size_t filled = 0;

	if (!m)
		return vmp_lvx_no_memory();
	for (int i = 0; i < vmp_lvx_len(cells) && err == VMP_OK; i++) {
		xmlNodePtr cell = vmp_lvx_at(cells, i);
		xmlXPathObjectPtr sib;
		int id = 0, from;

		vmp_lvx_attr_int(x, cell, "id", &id, NULL); /* read_cells checked it */
		from = vmp_host_node_index(h, id);
		if (!(sib = vmp_lvx_eval(x, cell, "distances/sibling"))) {
			err = vmp_lvx_no_memory();
			break;
		}
		for (int k = 0; k < vmp_lvx_len(sib); k++) {
			uint64_t value;
			int to_id, to;

			if ((err = vmp_lvx_attr_int(x, vmp_lvx_at(sib, k), "id", &to_id, NULL)) <
				0 ||
			    (err = vmp_lvx_attr_u64(x, vmp_lvx_at(sib, k), "value", &value, NULL)) <
				0)
				break;
			to = vmp_host_node_index(h, to_id);
			if (to < 0 || value == 0 || value > UINT32_MAX)
				continue;
			if (!m[(size_t)from * nn + to])
				filled++;
			m[(size_t)from * nn + to] = (uint32_t)value;
		}
		xmlXPathFreeObject(sib);
	}
	if (err == VMP_OK && filled == nn * nn) {
		h->distances = m;
		m = NULL;
	}
	free(m);
	return err;
}

/* The CPUs of every cell, in document order. */
static int read_cpus(struct xdoc *x, xmlXPathObjectPtr cells, struct rawcpu **out, int *nout)
{
	struct rawcpu *raw = NULL;
	int n = 0, cap = 0, err = VMP_OK;

	for (int i = 0; i < vmp_lvx_len(cells) && err == VMP_OK; i++) {
		xmlNodePtr cell = vmp_lvx_at(cells, i);
		xmlXPathObjectPtr cpus = vmp_lvx_eval(x, cell, "cpus/cpu");
		int node_id = 0;

		if (!cpus) {
			err = vmp_lvx_no_memory();
			break;
		}
		vmp_lvx_attr_int(x, cell, "id", &node_id, NULL);
		if (vmp_lvx_len(cpus) > cap - n) {
			struct rawcpu *grown;

			cap = n + vmp_lvx_len(cpus);
			grown = realloc(raw, (size_t)cap * sizeof(*raw));
			if (!grown) {
				xmlXPathFreeObject(cpus);
				err = vmp_lvx_no_memory();
				break;
			}
			raw = grown;
		}
		for (int k = 0; k < vmp_lvx_len(cpus); k++) {
			xmlNodePtr c = vmp_lvx_at(cpus, k);
			struct rawcpu *r = &raw[n];
			bool has_socket, has_die, has_core;

			r->node_id = node_id;
			r->socket = r->die = r->core = -1;
			if ((err = vmp_lvx_attr_int(x, c, "id", &r->id, NULL)) < 0 ||
			    (err = vmp_lvx_attr_int(x, c, "socket_id", &r->socket, &has_socket)) <
				0 ||
			    (err = vmp_lvx_attr_int(x, c, "die_id", &r->die, &has_die)) < 0 ||
			    (err = vmp_lvx_attr_int(x, c, "core_id", &r->core, &has_core)) < 0)
				break;
			if (r->id >= VMP_CPUSET_MAX) {
				vmp_error_set("cannot use %s: CPU %d is beyond the %d CPUs vmplan "
					      "supports",
					      x->what, r->id, VMP_CPUSET_MAX);
				err = VMP_EINVAL;
				break;
			}
			if (!has_die)
				r->die = 0;
			n++;
		}
		xmlXPathFreeObject(cpus);
	}
	if (err < 0) {
		free(raw);
		return err;
	}
	*out = raw;
	*nout = n;
	return VMP_OK;
}

/* One bank's control into the resctrl resource of its level. */
static int read_control(struct xdoc *x, xmlNodePtr bank, int id, uint64_t size_bytes,
			vmp_rdt_cache *rdt)
{
	xmlXPathObjectPtr ctl = vmp_lvx_eval(x, bank, "control");
	int err = VMP_OK;

	if (!ctl)
		return vmp_lvx_no_memory();
	for (int i = 0; i < vmp_lvx_len(ctl); i++) {
		xmlNodePtr c = vmp_lvx_at(ctl, i);
		char *unit = (char *)xmlGetProp(c, BAD_CAST "unit");
		char *type = (char *)xmlGetProp(c, BAD_CAST "type");
		char *gran = (char *)xmlGetProp(c, BAD_CAST "granularity");
		char *min = (char *)xmlGetProp(c, BAD_CAST "min");
		uint64_t gran_bytes = 0, min_bytes = 0, ways;
		int closids;
		bool has_closids;

		if (!gran) {
			vmp_error_set("cannot use %s: cache bank %d has a <control> without "
				      "'granularity'",
				      x->what, id);
			err = VMP_EINVAL;
		}
		if (err == VMP_OK)
			err = vmp_lvx_scaled(x, gran, unit, "KiB", &gran_bytes);
		if (err == VMP_OK && min)
			err = vmp_lvx_scaled(x, min, unit, "KiB", &min_bytes);
		if (err == VMP_OK)
			err = vmp_lvx_attr_int(x, c, "maxAllocs", &closids, &has_closids);
		if (err == VMP_OK && (gran_bytes == 0 || size_bytes / gran_bytes == 0 ||
				      size_bytes / gran_bytes > 64)) {
			vmp_error_set("cannot use %s: cache bank %d of %" PRIu64 " bytes has "
				      "ways of %" PRIu64 " bytes",
				      x->what, id, size_bytes, gran_bytes);
			err = VMP_EINVAL;
		}
		if (err == VMP_OK) {
			ways = size_bytes / gran_bytes;
			rdt->present = true;
			rdt->cbm_mask = ways == 64 ? UINT64_MAX : (UINT64_C(1) << ways) - 1;
			rdt->min_cbm_bits = min_bytes ? (unsigned)(min_bytes / gran_bytes) : 1;
			if (rdt->min_cbm_bits == 0)
				rdt->min_cbm_bits = 1;
			if (has_closids)
				rdt->num_closids = (unsigned)closids;
			if (type && (!strcmp(type, "code") || !strcmp(type, "data")))
				rdt->cdp = true;
		}
		xmlFree(unit);
		xmlFree(type);
		xmlFree(gran);
		xmlFree(min);
		if (err < 0)
			break;
	}
	if (err == VMP_OK && vmp_lvx_len(ctl) > 0 && rdt->ndomains < VMP_RDT_DOMAINS_MAX) {
		bool seen = false;

		for (int d = 0; d < rdt->ndomains; d++)
			seen |= rdt->domains[d].id == id;
		if (!seen)
			rdt->domains[rdt->ndomains++].id = id;
	}
	xmlXPathFreeObject(ctl);
	return err;
}

/* Cache banks: level 3 into h->l3s; the controls of levels 2 and 3 into h->resctrl. */
static int read_caches(struct xdoc *x, vmp_host *h)
{
	xmlXPathObjectPtr banks = vmp_lvx_eval(x, NULL, "/capabilities/host/cache/bank");
	int err = VMP_OK;

	if (!banks)
		return vmp_lvx_no_memory();
	h->l3s = calloc(vmp_lvx_len(banks) ? vmp_lvx_len(banks) : 1, sizeof(*h->l3s));
	if (!h->l3s) {
		xmlXPathFreeObject(banks);
		return vmp_lvx_no_memory();
	}
	for (int i = 0; i < vmp_lvx_len(banks); i++) {
		xmlNodePtr b = vmp_lvx_at(banks, i);
		int id, level;
		uint64_t size;
		vmp_cpuset cpus;

		if ((err = vmp_lvx_attr_int(x, b, "id", &id, NULL)) < 0 ||
		    (err = vmp_lvx_attr_int(x, b, "level", &level, NULL)) < 0 ||
		    (err = vmp_lvx_elem_size(x, b, "size", "KiB", &size)) < 0 ||
		    (err = vmp_lvx_attr_cpuset(x, b, "cpus", &cpus)) < 0)
			break;
		if (level == 3) {
			vmp_cache *c = &h->l3s[h->nl3++];

			c->id = id;
			c->size_bytes = size;
			c->cpus = cpus;
		}
		if ((level == 3 || level == 2) &&
		    (err = read_control(x, b, id, size,
					level == 3 ? &h->resctrl.l3 : &h->resctrl.l2)) < 0)
			break;
	}
	xmlXPathFreeObject(banks);
	qsort(h->l3s, h->nl3, sizeof(*h->l3s), cmp_cache);
	for (int i = 1; i < h->nl3 && err == VMP_OK; i++)
		if (h->l3s[i].id == h->l3s[i - 1].id) {
			vmp_error_set("cannot use %s: L3 cache bank %d is listed twice", x->what,
				      h->l3s[i].id);
			err = VMP_EINVAL;
		}
	return err;
}

/* Memory-bandwidth nodes into h->resctrl.mb; libvirt gives the values in percent. */
static int read_membw(struct xdoc *x, vmp_host *h)
{
	xmlXPathObjectPtr nodes = vmp_lvx_eval(x, NULL, "/capabilities/host/memory_bandwidth/node");
	vmp_rdt_mb *mb = &h->resctrl.mb;
	int err = VMP_OK;

	if (!nodes)
		return vmp_lvx_no_memory();
	for (int i = 0; i < vmp_lvx_len(nodes); i++) {
		xmlNodePtr n = vmp_lvx_at(nodes, i);
		xmlXPathObjectPtr ctl = vmp_lvx_eval(x, n, "control");
		int id, gran = 0, min = 0, closids = 0;
		bool has_min, has_closids;

		if (!ctl) {
			err = vmp_lvx_no_memory();
			break;
		}
		if ((err = vmp_lvx_attr_int(x, n, "id", &id, NULL)) == VMP_OK &&
		    vmp_lvx_len(ctl) > 0 &&
		    (err = vmp_lvx_attr_int(x, vmp_lvx_at(ctl, 0), "granularity", &gran, NULL)) ==
			VMP_OK &&
		    (err = vmp_lvx_attr_int(x, vmp_lvx_at(ctl, 0), "min", &min, &has_min)) ==
			VMP_OK &&
		    (err = vmp_lvx_attr_int(x, vmp_lvx_at(ctl, 0), "maxAllocs", &closids,
					    &has_closids)) == VMP_OK) {
			mb->present = true;
			/* The fewest any node allows; unknown (0) where none says. */
			if (has_closids && closids > 0 &&
			    (!mb->num_closids || (unsigned)closids < mb->num_closids))
				mb->num_closids = (unsigned)closids;
			mb->unit = VMP_MB_PERCENT;
			mb->bandwidth_gran = (unsigned)gran;
			/* One value for every domain: the largest is allowed in all. */
			if (!has_min)
				min = gran;
			if ((unsigned)min > mb->min_bandwidth)
				mb->min_bandwidth = (unsigned)min;
			if (mb->ndomains < VMP_RDT_DOMAINS_MAX)
				mb->domain_ids[mb->ndomains++] = id;
		}
		xmlXPathFreeObject(ctl);
		if (err < 0)
			break;
	}
	xmlXPathFreeObject(nodes);
	return err;
}

/*
 * Keep the CPUs with topology ids (an offline CPU has its id alone; where
 * no CPU has ids, each cell is a package), sorted by id; *np becomes how
 * many. VMP_EINVAL when a CPU is listed twice.
 */
static int prune_raw(struct rawcpu *raw, int *np)
{
	bool any_topo = false;
	int kept = 0, n = *np;

	for (int i = 0; i < n; i++)
		any_topo |= raw[i].socket >= 0;
	for (int i = 0; i < n; i++) {
		if (!any_topo)
			raw[i].socket = raw[i].node_id;
		/* libvirt lists an offline CPU with its id alone. */
		if (raw[i].socket >= 0)
			raw[kept++] = raw[i];
	}
	*np = n = kept;
	/* With no CPU at all raw may be NULL, which qsort must not be given even for 0. */
	if (n > 1)
		qsort(raw, n, sizeof(*raw), cmp_id);
	for (int i = 1; i < n; i++)
		if (raw[i].id == raw[i - 1].id) {
			vmp_error_set("libvirt lists CPU %d twice", raw[i].id);
			return VMP_EINVAL;
		}
	return VMP_OK;
}

/* Tie every PU to its node, package, core (core_of: by CPU) and L3, and each core to
 * the node, package and L3 of its first PU. */
static void link_pus(vmp_host *h, const struct rawcpu *raw, int n, const int *core_of)
{
	for (int i = 0; i < n; i++) {
		vmp_pu *pu = &h->pus[h->npus++];
		int node = vmp_host_node_index(h, raw[i].node_id);

		pu->os_index = raw[i].id;
		pu->node = node;
		pu->core = core_of[raw[i].id];
		pu->l3 = -1;
		for (int p = 0; p < h->npackages; p++)
			if (h->packages[p].id == raw[i].socket)
				pu->package = p;
		for (int l = 0; l < h->nl3 && pu->l3 < 0; l++)
			if (vmp_cpuset_isset(&h->l3s[l].cpus, pu->os_index))
				pu->l3 = l;
		vmp_cpuset_set(&h->online, pu->os_index);
		vmp_cpuset_set(&h->nodes[node].cpus, pu->os_index);
	}
	for (int c = 0; c < h->ncores; c++) {
		const vmp_pu *first =
		    &h->pus[vmp_host_pu_index(h, vmp_cpuset_first(&h->cores[c].pus))];

		h->cores[c].package = first->package;
		h->cores[c].node = first->node;
		h->cores[c].l3 = first->l3;
	}
	for (int l = 0; l < h->nl3; l++)
		vmp_cpuset_and(&h->l3s[l].cpus, &h->l3s[l].cpus, &h->online);
}

/*
 * Build packages, cores and PUs from the raw CPUs, and tie every PU to its
 * node, package, core and L3 by index. Where no CPU has topology ids, each
 * CPU is a core of its own and each cell a package.
 */
static int assemble(vmp_host *h, struct rawcpu *raw, int n)
{
	int *core_of = NULL, err = VMP_OK;

	if ((err = prune_raw(raw, &n)) < 0)
		return err;

	h->pus = calloc(n ? n : 1, sizeof(*h->pus));
	h->cores = calloc(n ? n : 1, sizeof(*h->cores));
	h->packages = calloc(n ? n : 1, sizeof(*h->packages));
	core_of = malloc(VMP_CPUSET_MAX * sizeof(*core_of));
	if (!h->pus || !h->cores || !h->packages || !core_of) {
		err = vmp_lvx_no_memory();
		goto out;
	}

	/* Packages by socket id. */
	for (int i = 0; i < n; i++) {
		int p = 0;

		while (p < h->npackages && h->packages[p].id != raw[i].socket)
			p++;
		if (p == h->npackages)
			h->packages[h->npackages++].id = raw[i].socket;
		vmp_cpuset_set(&h->packages[p].cpus, raw[i].id);
	}
	qsort(h->packages, h->npackages, sizeof(*h->packages), cmp_package);

	/*
	 * Cores: the CPUs with the same socket, die and core ids in the same
	 * cell (core ids repeat across sockets). raw is sorted by id, so the
	 * first CPU of a core comes first and names it.
	 */
	for (int i = 0; i < n; i++) {
		int c = -1;

		for (int j = 0; j < i && raw[i].core >= 0 && c < 0; j++)
			if (raw[j].core == raw[i].core && raw[j].socket == raw[i].socket &&
			    raw[j].die == raw[i].die && raw[j].node_id == raw[i].node_id)
				c = core_of[raw[j].id];
		if (c < 0)
			c = h->ncores++;
		core_of[raw[i].id] = c;
		vmp_cpuset_set(&h->cores[c].pus, raw[i].id);
	}
	qsort(h->cores, h->ncores, sizeof(*h->cores), cmp_core);

	for (int c = 0; c < h->ncores; c++) {
		int cpu;

		h->cores[c].id = c;
		VMP_CPUSET_FOREACH (cpu, &h->cores[c].pus)
			core_of[cpu] = c;
	}
	link_pus(h, raw, n, core_of);
out:
	free(core_of);
	return err;
}

/*
 * The shape virNodeGetInfo gives, for drivers whose capabilities list no
 * NUMA cells (the test driver with a node file): nodes * sockets * cores *
 * threads CPUs numbered in that order, the memory split evenly.
 */
static int shape_from_nodeinfo(vmp_host *h, const virNodeInfo *info, struct rawcpu **out, int *nout)
{
	unsigned nodes = info->nodes ? info->nodes : 1;
	unsigned per_node = info->sockets * info->cores * info->threads;
	struct rawcpu *raw;
	int n = 0;

	if (per_node == 0 || (uint64_t)nodes * per_node > VMP_CPUSET_MAX) {
		vmp_error_set("libvirt reports %u nodes of %u sockets, %u cores and %u threads",
			      nodes, info->sockets, info->cores, info->threads);
		return VMP_EINVAL;
	}
	h->nodes = calloc(nodes, sizeof(*h->nodes));
	raw = calloc((size_t)nodes * per_node, sizeof(*raw));
	if (!h->nodes || !raw) {
		free(raw);
		return vmp_lvx_no_memory();
	}
	for (unsigned i = 0; i < nodes; i++) {
		vmp_node *node = &h->nodes[h->nnodes++];

		node->id = (int)i;
		node->memory_bytes = (uint64_t)info->memory * 1024 / nodes;
		node->free_bytes = node->memory_bytes;
		for (unsigned s = 0; s < info->sockets; s++)
			for (unsigned c = 0; c < info->cores; c++)
				for (unsigned t = 0; t < info->threads; t++) {
					raw[n].id = n;
					raw[n].node_id = (int)i;
					raw[n].socket = (int)(i * info->sockets + s);
					raw[n].die = 0;
					raw[n].core = (int)c;
					n++;
				}
	}
	*out = raw;
	*nout = n;
	return VMP_OK;
}

/*
 * Fill h from a capabilities document. When it lists no cell and conn is
 * given, the shape comes from virNodeGetInfo; without conn that is an error.
 */
int vmp_libvirt_caps_fill(vmp_host *h, const char *text, const char *what, virConnectPtr conn)
{
	struct xdoc x;
	xmlXPathObjectPtr cells = NULL;
	struct rawcpu *raw = NULL;
	int nraw = 0, err;

	if ((err = vmp_lvx_open(&x, text, what)) < 0)
		goto out;
	if (!(cells = vmp_lvx_eval(&x, NULL, "/capabilities/host/topology/cells/cell"))) {
		err = vmp_lvx_no_memory();
		goto out;
	}
	if (vmp_lvx_len(cells) > 0) {
		if ((err = read_cells(&x, cells, h)) < 0 ||
		    (err = read_distances(&x, cells, h)) < 0 ||
		    (err = read_cpus(&x, cells, &raw, &nraw)) < 0)
			goto out;
	} else if (conn) {
		virNodeInfo info;

		if (virNodeGetInfo(conn, &info) < 0) {
			vmp_error_set("cannot use %s: no NUMA cells, and no node information: %s",
				      what, virGetLastErrorMessage());
			err = VMP_EINVAL;
			goto out;
		}
		if ((err = shape_from_nodeinfo(h, &info, &raw, &nraw)) < 0)
			goto out;
	} else {
		vmp_error_set("cannot use %s: it lists no NUMA cell", what);
		err = VMP_EINVAL;
		goto out;
	}
	if ((err = read_caches(&x, h)) < 0 || (err = read_membw(&x, h)) < 0 ||
	    (err = assemble(h, raw, nraw)) < 0)
		goto out;
	h->resctrl.present =
	    h->resctrl.l3.present || h->resctrl.l2.present || h->resctrl.mb.present;
	if (h->resctrl.present)
		h->resctrl.groups_used = 1; /* the default group */
	h->source = VMP_SOURCE_LIBVIRT;
out:
	free(raw);
	xmlXPathFreeObject(cells);
	vmp_lvx_close(&x);
	return err;
}

int vmp_libvirt_caps_parse(vmp_host **out, const char *xml)
{
	vmp_host *h = NULL;
	int err;

	*out = NULL;
	if ((err = vmp_host_new(&h)) < 0)
		return err;
	if ((err = vmp_libvirt_caps_fill(h, xml, "capabilities XML", NULL)) < 0 ||
	    (err = vmp_host_check(h)) < 0) {
		vmp_host_free(h);
		return err;
	}
	*out = h;
	return VMP_OK;
}
