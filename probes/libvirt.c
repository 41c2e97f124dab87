/* Build the host model from libvirt: capabilities, free memory and pages, existing domains. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "vmplan/error.h"
#include "vmplan/probe.h"
#include "vmplan/probe_libvirt.h"
#include "vmplan/size.h"
#include "vmplan/xml.h"

/* A CPU as the capabilities list it, before the model's arrays are built. */
struct rawcpu {
	int id;
	int node_id; /* OS id of its cell */
	int socket;  /* -1 where libvirt does not say */
	int die;
	int core;
};

/* An XML document, an XPath context over it, and what to call it in messages. */
struct xdoc {
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	const char *what;
};

static int no_memory(void)
{
	vmp_error_set("out of memory");
	return VMP_ENOMEM;
}

static int xdoc_open(struct xdoc *x, const char *text, const char *what)
{
	size_t len = strlen(text);
	char why[256];

	x->what = what;
	x->ctx = NULL;
	x->doc = NULL;
	if (!(x->doc = vmp_xml_parse(text, len, NULL, 0, why, sizeof(why)))) {
		vmp_error_set("cannot parse %s: %s", what, why);
		return VMP_EINVAL;
	}
	x->ctx = xmlXPathNewContext(x->doc);
	return x->ctx ? VMP_OK : no_memory();
}

static void xdoc_close(struct xdoc *x)
{
	if (x->ctx)
		xmlXPathFreeContext(x->ctx);
	if (x->doc)
		xmlFreeDoc(x->doc);
}

/* Evaluate expr relative to at (the document when NULL); NULL on allocation failure. */
static xmlXPathObjectPtr xeval(struct xdoc *x, xmlNodePtr at, const char *expr)
{
	if (at)
		return xmlXPathNodeEval(at, BAD_CAST expr, x->ctx);
	return xmlXPathEvalExpression(BAD_CAST expr, x->ctx);
}

static int nset_len(const xmlXPathObject *o)
{
	return o && o->type == XPATH_NODESET && o->nodesetval ? o->nodesetval->nodeNr : 0;
}

static xmlNodePtr nset_at(const xmlXPathObject *o, int i)
{
	return o->nodesetval->nodeTab[i];
}

/*
 * The string value of expr (an XPath string() of it) below at, or NULL
 * when it is empty; free() it.
 */
static char *xstring(struct xdoc *x, xmlNodePtr at, const char *expr)
{
	char buf[256];
	xmlXPathObjectPtr o;
	char *s = NULL;

	snprintf(buf, sizeof(buf), "string(%s)", expr);
	o = xeval(x, at, buf);
	if (o && o->type == XPATH_STRING && o->stringval && o->stringval[0])
		s = strdup((const char *)o->stringval);
	xmlXPathFreeObject(o);
	return s;
}

/* Text as a whole non-negative decimal number. */
static bool to_u64(uint64_t *out, const char *text)
{
	unsigned long long v;
	char *end;

	while (*text == ' ' || *text == '\t' || *text == '\n')
		text++;
	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/*
 * An attribute of n as a number. Absent: VMP_EINVAL when found is NULL
 * (it is required), else *found = false and out is left alone.
 */
static int attr_u64(const struct xdoc *x, xmlNodePtr n, const char *name, uint64_t *out,
		    bool *found)
{
	char *v = (char *)xmlGetProp(n, BAD_CAST name);
	int err = VMP_OK;

	if (found)
		*found = v != NULL;
	if (!v) {
		if (found)
			return VMP_OK;
		vmp_error_set("cannot use %s: <%s> has no '%s'", x->what, (const char *)n->name,
			      name);
		return VMP_EINVAL;
	}
	if (!to_u64(out, v)) {
		vmp_error_set("cannot use %s: <%s %s='%s'> is not a whole number", x->what,
			      (const char *)n->name, name, v);
		err = VMP_EINVAL;
	}
	xmlFree(v);
	return err;
}

/* As attr_u64, for ids and counts that must fit an int. */
static int attr_int(const struct xdoc *x, xmlNodePtr n, const char *name, int *out, bool *found)
{
	uint64_t v;
	bool here = true;
	int err = attr_u64(x, n, name, &v, found ? &here : NULL);

	if (found)
		*found = here;
	if (err < 0 || !here)
		return err;
	if (v > INT_MAX) {
		vmp_error_set("cannot use %s: <%s %s='%" PRIu64 "'> is too large", x->what,
			      (const char *)n->name, name, v);
		return VMP_EINVAL;
	}
	*out = (int)v;
	return VMP_OK;
}

/* value in libvirt's unit (KiB, MiB, bytes, KB, ...; deflt when unit is NULL) as bytes. */
static int scaled(const struct xdoc *x, const char *value, const char *unit, const char *deflt,
		  uint64_t *out)
{
	char buf[128];
	uint64_t n;

	if (!unit)
		unit = deflt;
	if (!strcmp(unit, "bytes") || !strcmp(unit, "B"))
		unit = "b";
	snprintf(buf, sizeof(buf), "%s%s", value, unit);
	if (!to_u64(&n, value) || vmp_size_parse(out, buf) < 0) {
		vmp_error_set("cannot use %s: size '%s' with unit '%s'", x->what, value, unit);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* The size an element gives: its attribute vattr (its text when NULL) in its 'unit'. */
static int elem_size(const struct xdoc *x, xmlNodePtr n, const char *vattr, const char *deflt,
		     uint64_t *out)
{
	char *v = vattr ? (char *)xmlGetProp(n, BAD_CAST vattr) : (char *)xmlNodeGetContent(n);
	char *unit = (char *)xmlGetProp(n, BAD_CAST "unit");
	int err;

	if (!v) {
		vmp_error_set("cannot use %s: <%s> has no '%s'", x->what, (const char *)n->name,
			      vattr ? vattr : "value");
		err = VMP_EINVAL;
	} else {
		err = scaled(x, v, unit, deflt, out);
	}
	xmlFree(v);
	xmlFree(unit);
	return err;
}

/* A cpuset attribute; VMP_EINVAL quoting the document when it is not libvirt's syntax. */
static int parse_cpuset(const struct xdoc *x, vmp_cpuset *out, const char *text)
{
	char why[512];

	if (vmp_cpuset_parse(out, text) == VMP_OK)
		return VMP_OK;
	snprintf(why, sizeof(why), "%s", vmp_error_last());
	vmp_error_set("cannot use %s: %s", x->what, why);
	return VMP_EINVAL;
}

static int attr_cpuset(const struct xdoc *x, xmlNodePtr n, const char *name, vmp_cpuset *out)
{
	char *v = (char *)xmlGetProp(n, BAD_CAST name);
	int err;

	if (!v) {
		vmp_error_set("cannot use %s: <%s> has no '%s'", x->what, (const char *)n->name,
			      name);
		return VMP_EINVAL;
	}
	err = parse_cpuset(x, out, v);
	xmlFree(v);
	return err;
}

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
	xmlXPathObjectPtr pages = xeval(x, cell, "pages");
	vmp_hugepages all[16];
	int n = 0, err = VMP_OK;

	if (!pages)
		return no_memory();
	for (int i = 0; i < nset_len(pages) && n < 16; i++) {
		xmlNodePtr p = nset_at(pages, i);
		char *count = (char *)xmlNodeGetContent(p);
		uint64_t size;

		err = elem_size(x, p, "size", "KiB", &size);
		if (err == VMP_OK && (!count || !to_u64(&all[n].total, count))) {
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
static uint64_t pool_bytes(const vmp_node *node)
{
	uint64_t sum = 0;

	for (int k = 0; k < node->nhugepages; k++)
		sum += node->hugepages[k].total * node->hugepages[k].size_kib * 1024;
	return sum;
}

/* Cells into h->nodes, sorted by id; memory, pages, free = memory less the pools. */
static int read_cells(struct xdoc *x, xmlXPathObjectPtr cells, vmp_host *h)
{
	int n = nset_len(cells), err;

	h->nodes = calloc(n > 0 ? n : 1, sizeof(*h->nodes));
	if (!h->nodes)
		return no_memory();
	for (int i = 0; i < n; i++) {
		xmlNodePtr cell = nset_at(cells, i);
		vmp_node *node = &h->nodes[h->nnodes++];
		xmlXPathObjectPtr mem;

		if ((err = attr_int(x, cell, "id", &node->id, NULL)) < 0)
			return err;
		if (!(mem = xeval(x, cell, "memory")))
			return no_memory();
		err = nset_len(mem)
			  ? elem_size(x, nset_at(mem, 0), NULL, "KiB", &node->memory_bytes)
			  : VMP_OK;
		xmlXPathFreeObject(mem);
		if (err < 0 || (err = cell_pages(x, cell, node)) < 0)
			return err;
		node->free_bytes = node->memory_bytes;
		if (pool_bytes(node) <= node->memory_bytes)
			node->free_bytes -= pool_bytes(node);
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
		return no_memory();
	for (int i = 0; i < nset_len(cells) && err == VMP_OK; i++) {
		xmlNodePtr cell = nset_at(cells, i);
		xmlXPathObjectPtr sib;
		int id = 0, from;

		attr_int(x, cell, "id", &id, NULL); /* read_cells checked it */
		from = vmp_host_node_index(h, id);
		if (!(sib = xeval(x, cell, "distances/sibling"))) {
			err = no_memory();
			break;
		}
		for (int k = 0; k < nset_len(sib); k++) {
			uint64_t value;
			int to_id, to;

			if ((err = attr_int(x, nset_at(sib, k), "id", &to_id, NULL)) < 0 ||
			    (err = attr_u64(x, nset_at(sib, k), "value", &value, NULL)) < 0)
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

	for (int i = 0; i < nset_len(cells) && err == VMP_OK; i++) {
		xmlNodePtr cell = nset_at(cells, i);
		xmlXPathObjectPtr cpus = xeval(x, cell, "cpus/cpu");
		int node_id = 0;

		if (!cpus) {
			err = no_memory();
			break;
		}
		attr_int(x, cell, "id", &node_id, NULL);
		if (nset_len(cpus) > cap - n) {
			struct rawcpu *grown;

			cap = n + nset_len(cpus);
			grown = realloc(raw, (size_t)cap * sizeof(*raw));
			if (!grown) {
				xmlXPathFreeObject(cpus);
				err = no_memory();
				break;
			}
			raw = grown;
		}
		for (int k = 0; k < nset_len(cpus); k++) {
			xmlNodePtr c = nset_at(cpus, k);
			struct rawcpu *r = &raw[n];
			bool has_socket, has_die, has_core;

			r->node_id = node_id;
			r->socket = r->die = r->core = -1;
			if ((err = attr_int(x, c, "id", &r->id, NULL)) < 0 ||
			    (err = attr_int(x, c, "socket_id", &r->socket, &has_socket)) < 0 ||
			    (err = attr_int(x, c, "die_id", &r->die, &has_die)) < 0 ||
			    (err = attr_int(x, c, "core_id", &r->core, &has_core)) < 0)
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
	xmlXPathObjectPtr ctl = xeval(x, bank, "control");
	int err = VMP_OK;

	if (!ctl)
		return no_memory();
	for (int i = 0; i < nset_len(ctl); i++) {
		xmlNodePtr c = nset_at(ctl, i);
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
			err = scaled(x, gran, unit, "KiB", &gran_bytes);
		if (err == VMP_OK && min)
			err = scaled(x, min, unit, "KiB", &min_bytes);
		if (err == VMP_OK)
			err = attr_int(x, c, "maxAllocs", &closids, &has_closids);
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
	if (err == VMP_OK && nset_len(ctl) > 0 && rdt->ndomains < VMP_RDT_DOMAINS_MAX) {
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
	xmlXPathObjectPtr banks = xeval(x, NULL, "/capabilities/host/cache/bank");
	int err = VMP_OK;

	if (!banks)
		return no_memory();
	h->l3s = calloc(nset_len(banks) ? nset_len(banks) : 1, sizeof(*h->l3s));
	if (!h->l3s) {
		xmlXPathFreeObject(banks);
		return no_memory();
	}
	for (int i = 0; i < nset_len(banks); i++) {
		xmlNodePtr b = nset_at(banks, i);
		int id, level;
		uint64_t size;
		vmp_cpuset cpus;

		if ((err = attr_int(x, b, "id", &id, NULL)) < 0 ||
		    (err = attr_int(x, b, "level", &level, NULL)) < 0 ||
		    (err = elem_size(x, b, "size", "KiB", &size)) < 0 ||
		    (err = attr_cpuset(x, b, "cpus", &cpus)) < 0)
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
	xmlXPathObjectPtr nodes = xeval(x, NULL, "/capabilities/host/memory_bandwidth/node");
	vmp_rdt_mb *mb = &h->resctrl.mb;
	int err = VMP_OK;

	if (!nodes)
		return no_memory();
	for (int i = 0; i < nset_len(nodes); i++) {
		xmlNodePtr n = nset_at(nodes, i);
		xmlXPathObjectPtr ctl = xeval(x, n, "control");
		int id, gran = 0, min = 0, closids = 0;
		bool has_min, has_closids;

		if (!ctl) {
			err = no_memory();
			break;
		}
		if ((err = attr_int(x, n, "id", &id, NULL)) == VMP_OK && nset_len(ctl) > 0 &&
		    (err = attr_int(x, nset_at(ctl, 0), "granularity", &gran, NULL)) == VMP_OK &&
		    (err = attr_int(x, nset_at(ctl, 0), "min", &min, &has_min)) == VMP_OK &&
		    (err = attr_int(x, nset_at(ctl, 0), "maxAllocs", &closids, &has_closids)) ==
			VMP_OK) {
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
 * Build packages, cores and PUs from the raw CPUs, and tie every PU to its
 * node, package, core and L3 by index. Where no CPU has topology ids, each
 * CPU is a core of its own and each cell a package.
 */
static int assemble(vmp_host *h, struct rawcpu *raw, int n)
{
	bool any_topo = false;
	int kept = 0, *core_of = NULL, err = VMP_OK;

	for (int i = 0; i < n; i++)
		any_topo |= raw[i].socket >= 0;
	for (int i = 0; i < n; i++) {
		if (!any_topo)
			raw[i].socket = raw[i].node_id;
		/* libvirt lists an offline CPU with its id alone. */
		if (raw[i].socket >= 0)
			raw[kept++] = raw[i];
	}
	n = kept;
	/* With no CPU at all raw may be NULL, which qsort must not be given even for 0. */
	if (n > 1)
		qsort(raw, n, sizeof(*raw), cmp_id);
	for (int i = 1; i < n; i++)
		if (raw[i].id == raw[i - 1].id) {
			vmp_error_set("libvirt lists CPU %d twice", raw[i].id);
			return VMP_EINVAL;
		}

	h->pus = calloc(n ? n : 1, sizeof(*h->pus));
	h->cores = calloc(n ? n : 1, sizeof(*h->cores));
	h->packages = calloc(n ? n : 1, sizeof(*h->packages));
	core_of = malloc(VMP_CPUSET_MAX * sizeof(*core_of));
	if (!h->pus || !h->cores || !h->packages || !core_of) {
		err = no_memory();
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
		return no_memory();
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
static int caps_to_host(vmp_host *h, const char *text, const char *what, virConnectPtr conn)
{
	struct xdoc x;
	xmlXPathObjectPtr cells = NULL;
	struct rawcpu *raw = NULL;
	int nraw = 0, err;

	if ((err = xdoc_open(&x, text, what)) < 0)
		goto out;
	if (!(cells = xeval(&x, NULL, "/capabilities/host/topology/cells/cell"))) {
		err = no_memory();
		goto out;
	}
	if (nset_len(cells) > 0) {
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
	xdoc_close(&x);
	return err;
}

int vmp_libvirt_caps_parse(vmp_host **out, const char *xml)
{
	vmp_host *h = NULL;
	int err;

	*out = NULL;
	if ((err = vmp_host_new(&h)) < 0)
		return err;
	if ((err = caps_to_host(h, xml, "capabilities XML", NULL)) < 0 ||
	    (err = vmp_host_check(h)) < 0) {
		vmp_host_free(h);
		return err;
	}
	*out = h;
	return VMP_OK;
}

/* What bound domains hold, per node index, while the domains are read. */
struct committed {
	uint64_t *mem;	 /* bytes of normal memory */
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
	xmlXPathObjectPtr memnodes = xeval(x, NULL, "/domain/numatune/memnode");
	uint64_t rest = vm->memory_bytes;
	char *nodeset = NULL;
	int err = VMP_OK;

	if (!memnodes)
		return no_memory();
	for (int i = 0; i < nset_len(memnodes) && err == VMP_OK; i++) {
		xmlNodePtr mn = nset_at(memnodes, i);
		xmlXPathObjectPtr cell;
		vmp_cpuset set;
		char expr[96];
		int cellid;
		uint64_t bytes = 0;

		if ((err = attr_int(x, mn, "cellid", &cellid, NULL)) < 0 ||
		    (err = attr_cpuset(x, mn, "nodeset", &set)) < 0)
			break;
		snprintf(expr, sizeof(expr), "/domain/cpu/numa/cell[@id='%d']", cellid);
		if (!(cell = xeval(x, NULL, expr))) {
			err = no_memory();
			break;
		}
		if (nset_len(cell) > 0)
			err = elem_size(x, nset_at(cell, 0), "memory", "KiB", &bytes);
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
	nodeset = xstring(x, NULL, "/domain/numatune/memory[not(@placement='auto')]/@nodeset");
	if (err == VMP_OK && nodeset) {
		vmp_cpuset set;

		if ((err = parse_cpuset(x, &set, nodeset)) == VMP_OK) {
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
	xmlXPathObjectPtr huge = xeval(x, NULL, "/domain/memoryBacking/hugepages");
	xmlXPathObjectPtr page = xeval(x, NULL, "/domain/memoryBacking/hugepages/page");
	uint64_t size_bytes = 0;
	int err = VMP_OK;

	if (!huge || !page) {
		err = no_memory();
		goto out;
	}
	if (nset_len(page) > 0 &&
	    (err = elem_size(x, nset_at(page, 0), "size", "KiB", &size_bytes)) < 0)
		goto out;
	for (int i = 0; i < h->nnodes; i++) {
		int k;

		if (!share[i])
			continue;
		if (!nset_len(huge)) {
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
	xmlXPathObjectPtr caches = xeval(x, tune, "cache");
	int err = VMP_OK;

	if (!caches)
		return no_memory();
	for (int i = 0; i < nset_len(caches); i++) {
		xmlNodePtr c = nset_at(caches, i);
		int id, level, d = -1;
		uint64_t size, way_bytes = 0, ways;

		if ((err = attr_int(x, c, "id", &id, NULL)) < 0 ||
		    (err = attr_int(x, c, "level", &level, NULL)) < 0 ||
		    (err = elem_size(x, c, "size", "KiB", &size)) < 0)
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
	xmlXPathObjectPtr tunes = xeval(x, NULL, "/domain/cputune/cachetune");
	xmlXPathObjectPtr groups =
	    xeval(x, NULL,
		  "count(/domain/cputune/cachetune) + count(/domain/cputune/memorytune"
		  "[not(@vcpus = /domain/cputune/cachetune/@vcpus)])");
	vmp_rdt_cache *rdt = &h->resctrl.l3;
	unsigned nways = 0;
	int err = VMP_OK;

	if (!tunes || !groups) {
		err = no_memory();
		goto out;
	}
	if (h->resctrl.present && groups->type == XPATH_NUMBER && groups->floatval > 0)
		h->resctrl.groups_used += (unsigned)groups->floatval;
	for (uint64_t m = rdt->cbm_mask; m; m >>= 1)
		nways += m & 1;
	for (int i = 0; i < nset_len(tunes); i++) {
		unsigned want[VMP_RDT_DOMAINS_MAX] = {0};

		if ((err = cachetune_ways(x, h, nset_at(tunes, i), nways, want)) < 0)
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
	xmlXPathObjectPtr pins = xeval(x, NULL,
				       "/domain/vcpu[not(@placement='auto')]/@cpuset"
				       " | /domain/cputune/vcpupin/@cpuset"
				       " | /domain/cputune/emulatorpin/@cpuset"
				       " | /domain/cputune/iothreadpin/@cpuset");
	int err = VMP_OK;

	if (!pins)
		return no_memory();
	vmp_cpuset_zero(out);
	for (int i = 0; i < nset_len(pins) && err == VMP_OK; i++) {
		char *text = (char *)xmlNodeGetContent(nset_at(pins, i));
		vmp_cpuset set;

		if (!text) {
			err = no_memory();
			break;
		}
		if ((err = parse_cpuset(x, &set, text)) == VMP_OK)
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
		err = no_memory();
		goto out;
	}
	if ((err = xdoc_open(&x, xml, "domain XML")) < 0)
		goto out;
	name = xstring(&x, NULL, "/domain/name");
	snprintf(vm->name, sizeof(vm->name), "%s", name ? name : "");
	snprintf(what, sizeof(what), "domain '%s'", vm->name);
	x.what = what;

	mem = xstring(&x, NULL, "/domain/memory");
	unit = xstring(&x, NULL, "/domain/memory/@unit");
	if (mem && (err = scaled(&x, mem, unit, "KiB", &vm->memory_bytes)) < 0)
		goto out;

	if ((err = pinned_cpus(&x, &vm->cpus)) < 0)
		goto out;
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
	xdoc_close(&x);
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
		err = no_memory();
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if ((err = apply_domain(host, xmls[i], &host->existing[host->nexisting], &cm)) < 0)
			goto out;
		host->nexisting++;
	}
	for (int i = 0; i < host->nnodes; i++) {
		vmp_node *node = &host->nodes[i];
		uint64_t held = pool_bytes(node) + cm.mem[i];
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

/* libvirt prints every error on stderr by default; vmplan reports them itself. */
static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

/* The same for libxml2's generic errors, which a driver's own XML parsing may raise. */
static void quiet_xml(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/*
 * Free memory and pages per node where the driver tells, kept no larger than
 * what the capabilities say is there.
 */
static void read_free(vmp_host *h, virConnectPtr conn)
{
	const char *type = virConnectGetType(conn);
	/*
	 * The test driver returns its cells' size in KiB where
	 * virNodeGetCellsFreeMemory promises bytes (test_driver.c); its figure
	 * would say 1/1024 of the memory is free. Treat it as unknown.
	 */
	bool cells_free = !(type && !strcmp(type, "TEST"));

	for (int i = 0; i < h->nnodes; i++) {
		vmp_node *node = &h->nodes[i];
		unsigned long long f;

		if (cells_free && virNodeGetCellsFreeMemory(conn, &f, node->id, 1) == 1 &&
		    f <= node->free_bytes)
			node->free_bytes = f;
		for (int k = 0; k < node->nhugepages; k++) {
			unsigned int size = (unsigned int)node->hugepages[k].size_kib;
			unsigned long long count = ULLONG_MAX;

			/* The test driver fills counts yet returns 0; the sentinel tells. */
			if (virNodeGetFreePages(conn, 1, &size, node->id, 1, &count, 0) >= 0 &&
			    count != ULLONG_MAX && count < node->hugepages[k].free)
				node->hugepages[k].free = count;
		}
	}
}

/* Every domain's XML, into the host as used resources. */
static int read_domains(vmp_host *h, virConnectPtr conn, const char *uri)
{
	virDomainPtr *doms = NULL;
	char **xmls = NULL;
	int n, nx = 0, err = VMP_OK;

	n = virConnectListAllDomains(conn, &doms, 0);
	if (n < 0) {
		vmp_error_set("cannot list the domains at '%s': %s", uri, virGetLastErrorMessage());
		return VMP_ESYS;
	}
	xmls = calloc(n ? n : 1, sizeof(*xmls));
	if (!xmls) {
		err = no_memory();
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char *xml = virDomainGetXMLDesc(doms[i], 0);

		if (xml) {
			xmls[nx++] = xml;
			continue;
		}
		/* Undefined since it was listed: nothing of it left to count. */
		if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
			continue;
		vmp_error_set("cannot read domain '%s' at '%s': %s", virDomainGetName(doms[i]), uri,
			      virGetLastErrorMessage());
		err = VMP_ESYS;
		goto out;
	}
	err = vmp_libvirt_domains_apply(h, (const char *const *)xmls, nx);
out:
	for (int i = 0; i < nx; i++)
		free(xmls[i]);
	free(xmls);
	for (int i = 0; i < n; i++)
		virDomainFree(doms[i]);
	free(doms);
	return err;
}

/* Read-only first (all a probe needs); a read-write connection where read-only is refused. */
static virConnectPtr connect_to(const char *uri, const char *shown)
{
	char why[512];
	virConnectPtr conn;
	xmlGenericErrorFunc old_generic = xmlGenericError;
	void *old_generic_ctx = xmlGenericErrorContext;

	/* The test driver's libxml2 complains about a missing file on stderr; keep it quiet. */
	xmlSetGenericErrorFunc(NULL, quiet_xml);
	conn = virConnectOpenReadOnly(uri);
	if (!conn) {
		snprintf(why, sizeof(why), "%s", virGetLastErrorMessage());
		conn = virConnectOpen(uri);
	}
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
	if (!conn)
		vmp_error_set("cannot connect to libvirt at '%s': %s", shown, why);
	return conn;
}

int vmp_probe_libvirt(vmp_host **out, const char *uri)
{
	const char *shown = uri ? uri : "the default URI";
	char what[1024];
	virConnectPtr conn = NULL;
	char *caps = NULL, *hostname = NULL;
	vmp_host *h = NULL;
	int err;

	*out = NULL;
	/*
	 * Process-wide, and libvirt has no call that returns the handler it
	 * replaces; vmplan never wants libvirt's default (printing on stderr).
	 */
	virSetErrorFunc(NULL, quiet);
	if (!(conn = connect_to(uri, shown))) {
		err = VMP_ESYS;
		goto out;
	}
	if (!(caps = virConnectGetCapabilities(conn))) {
		vmp_error_set("cannot read the capabilities of '%s': %s", shown,
			      virGetLastErrorMessage());
		err = VMP_ESYS;
		goto out;
	}
	if ((err = vmp_host_new(&h)) < 0)
		goto out;
	snprintf(what, sizeof(what), "the capabilities of '%s'", shown);
	if ((err = caps_to_host(h, caps, what, conn)) < 0)
		goto out;
	read_free(h, conn);
	hostname = virConnectGetHostname(conn);
	snprintf(h->hostname, sizeof(h->hostname), "%s", hostname ? hostname : shown);
	if ((err = read_domains(h, conn, shown)) < 0 || (err = vmp_host_check(h)) < 0)
		goto out;
	*out = h;
	h = NULL;
out:
	vmp_host_free(h);
	free(hostname);
	free(caps);
	if (conn)
		virConnectClose(conn);
	return err;
}
