/* host.json: loading the host model back with every field checked. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "host_json_internal.h"
#include "json.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/host_json.h"
#include "vmplan/spec.h"

/* The loader's state: the file, for messages, and the host being built. */
struct ld {
	vmp_json_ctx c;
	vmp_host *h;
};

static int no_memory(void)
{
	vmp_error_set("cannot load host: out of memory");
	return VMP_ENOMEM;
}

/* A hex mask string without "0x", 1 to 16 digits. */
static int get_hex(uint64_t *out, const struct ld *ld, json_t *obj, const char *where,
		   const char *key, bool required)
{
	const char *s;
	json_t *v;
	size_t len;
	int err;

	if ((err = vmp_json_field(&v, &ld->c, obj, where, key, required)) < 0 || !v)
		return err;
	s = json_is_string(v) ? json_string_value(v) : "";
	len = strlen(s);
	if (len == 0 || len > 16 || strspn(s, "0123456789abcdefABCDEF") != len)
		return vmp_json_bad(&ld->c, where, key,
				    "must be a hex mask string such as \"7ff\"");
	*out = strtoull(s, NULL, 16);
	return VMP_OK;
}

/* The element at i of an array must be an object; where gets "key[i]". */
static int element(json_t **e, char *where, size_t size, const struct ld *ld, json_t *arr,
		   const char *parent, const char *key, size_t i)
{
	snprintf(where, size, "%s%s%s[%zu]", parent, *parent ? "." : "", key, i);
	*e = json_array_get(arr, i);
	if (!json_is_object(*e))
		return vmp_json_bad(&ld->c, where, NULL, "must be an object");
	return VMP_OK;
}

/*
 * A reference by id: the index of the object whose id (read through ids,
 * n of them, stride bytes apart) is obj[key]; -1 for null when nullable.
 */
static int get_ref(int *out, const struct ld *ld, json_t *obj, const char *where, const char *key,
		   const char *what, const void *base, size_t stride, int n, bool nullable)
{
	json_t *v;
	int err;

	if ((err = vmp_json_field(&v, &ld->c, obj, where, key, true)) < 0)
		return err;
	if (nullable && json_is_null(v)) {
		*out = -1;
		return VMP_OK;
	}
	if (!json_is_integer(v))
		return vmp_json_bad(&ld->c, where, key,
				    nullable ? "must be an integer id or null"
					     : "must be an integer id");
	for (int i = 0; i < n; i++)
		if (*(const int *)((const char *)base + (size_t)i * stride) ==
		    json_integer_value(v)) {
			*out = i;
			return VMP_OK;
		}
	return vmp_json_bad(&ld->c, where, key, "%" JSON_INTEGER_FORMAT " names no entry of %s",
			    json_integer_value(v), what);
}

/* ids of an array of n objects of the given stride must rise strictly (the model's order). */
static int check_rising(const struct ld *ld, const char *key, const char *idkey, const void *base,
			size_t stride, int n)
{
	for (int i = 1; i < n; i++) {
		int prev = *(const int *)((const char *)base + (size_t)(i - 1) * stride);
		int cur = *(const int *)((const char *)base + (size_t)i * stride);
		char where[64];

		if (cur <= prev) {
			snprintf(where, sizeof(where), "%s[%d]", key, i);
			return vmp_json_bad(&ld->c, where, idkey,
					    "%d must be greater than the %s before it (%d)", cur,
					    idkey, prev);
		}
	}
	return VMP_OK;
}

/* Allocate a zeroed array of n elements (at least one, so that calloc(0) is not NULL). */
static int alloc_array(void **out, size_t n, size_t size)
{
	*out = calloc(n ? n : 1, size);
	return *out ? VMP_OK : no_memory();
}

/* An n x n matrix of numbers (null for "not measured" where nullable); NULL when absent/null. */
static int get_matrix(double **out, const struct ld *ld, json_t *obj, const char *where,
		      const char *key, int n, bool nullable_values, double max)
{
	char path[128];
	json_t *rows;
	double *m = NULL;
	int err;

	*out = NULL;
	snprintf(path, sizeof(path), "%s%s%s", where, *where ? "." : "", key);
	if ((err = vmp_json_array(&rows, &ld->c, obj, where, key, false, true)) < 0 || !rows)
		return err;
	if (json_array_size(rows) != (size_t)n)
		return vmp_json_bad(&ld->c, path, NULL, "must have %d rows, not %zu", n,
				    json_array_size(rows));
	if ((err = alloc_array((void **)&m, (size_t)n * n, sizeof(*m))) < 0)
		return err;
	for (int i = 0; i < n; i++) {
		json_t *row = json_array_get(rows, i);
		char rwhere[160];

		snprintf(rwhere, sizeof(rwhere), "%s[%d]", path, i);
		if (!json_is_array(row) || json_array_size(row) != (size_t)n) {
			err =
			    vmp_json_bad(&ld->c, rwhere, NULL, "must be an array of %d numbers", n);
			goto out;
		}
		for (int j = 0; j < n; j++) {
			json_t *v = json_array_get(row, j);
			double d;

			if (nullable_values && json_is_null(v)) {
				m[(size_t)i * n + j] = NAN;
				continue;
			}
			d = json_is_number(v) ? json_number_value(v) : -1;
			if (!(d >= 0 && d <= max)) {
				snprintf(rwhere, sizeof(rwhere), "%s[%d][%d]", path, i, j);
				err = vmp_json_bad(
				    &ld->c, rwhere, NULL, "must be a non-negative number%s",
				    nullable_values ? " or null" : " no larger than 4294967295");
				goto out;
			}
			m[(size_t)i * n + j] = d;
		}
	}
	*out = m;
	m = NULL;
out:
	free(m);
	return err;
}

static int load_packages(const struct ld *ld, json_t *root)
{
	vmp_host *h = ld->h;
	char where[64];
	json_t *arr, *e;
	int err;

	if ((err = vmp_json_array(&arr, &ld->c, root, "", "packages", true, false)) < 0)
		return err;
	if (json_array_size(arr) > VMP_CPUSET_MAX)
		return vmp_json_bad(&ld->c, "", "packages", "has more than %d entries",
				    VMP_CPUSET_MAX);
	if ((err = alloc_array((void **)&h->packages, json_array_size(arr), sizeof(*h->packages))) <
	    0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_package *p = &h->packages[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "packages", i)) < 0 ||
		    (err = vmp_json_int(&p->id, &ld->c, e, where, "id", true, 0, INT32_MAX)) < 0 ||
		    (err = vmp_json_cpuset(&p->cpus, &ld->c, e, where, "cpus", true, true)) < 0)
			return err;
		h->npackages++;
	}
	return check_rising(ld, "packages", "id", &h->packages[0].id, sizeof(*h->packages),
			    h->npackages);
}

static int load_nodes(const struct ld *ld, json_t *root)
{
	vmp_host *h = ld->h;
	char where[64], hwhere[96];
	json_t *arr, *e, *hps, *hp;
	int err;

	if ((err = vmp_json_array(&arr, &ld->c, root, "", "numa_nodes", true, false)) < 0)
		return err;
	if (json_array_size(arr) > VMP_CPUSET_MAX)
		return vmp_json_bad(&ld->c, "", "numa_nodes", "has more than %d entries",
				    VMP_CPUSET_MAX);
	if ((err = alloc_array((void **)&h->nodes, json_array_size(arr), sizeof(*h->nodes))) < 0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_node *n = &h->nodes[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "numa_nodes", i)) < 0 ||
		    (err = vmp_json_int(&n->id, &ld->c, e, where, "id", true, 0,
					VMP_CPUSET_MAX - 1)) < 0 ||
		    (err = vmp_json_cpuset(&n->cpus, &ld->c, e, where, "cpus", true, true)) < 0 ||
		    (err = vmp_json_u64(&n->memory_bytes, &ld->c, e, where, "memory_bytes", true)) <
			0)
			return err;
		n->free_bytes = n->memory_bytes;
		if ((err = vmp_json_u64(&n->free_bytes, &ld->c, e, where, "free_bytes", false)) <
			0 ||
		    (err = vmp_json_array(&hps, &ld->c, e, where, "hugepages", false, false)) < 0)
			return err;
		h->nnodes++;
		if (!hps)
			continue;
		if (json_array_size(hps) > VMP_PAGESIZES_MAX)
			return vmp_json_bad(&ld->c, where, "hugepages",
					    "has more than %d page sizes", VMP_PAGESIZES_MAX);
		for (size_t k = 0; k < json_array_size(hps); k++) {
			vmp_hugepages *p = &n->hugepages[k];

			if ((err = element(&hp, hwhere, sizeof(hwhere), ld, hps, where, "hugepages",
					   k)) < 0 ||
			    (err = vmp_json_u64(&p->size_kib, &ld->c, hp, hwhere, "size_kib",
						true)) < 0 ||
			    (err = vmp_json_u64(&p->total, &ld->c, hp, hwhere, "total", true)) <
				0 ||
			    (err = vmp_json_u64(&p->free, &ld->c, hp, hwhere, "free", true)) < 0)
				return err;
			if (p->free > p->total)
				return vmp_json_bad(&ld->c, hwhere, "free",
						    "must not exceed total");
			n->nhugepages++;
		}
	}
	return check_rising(ld, "numa_nodes", "id", &h->nodes[0].id, sizeof(*h->nodes), h->nnodes);
}

static int load_l3(const struct ld *ld, json_t *root)
{
	vmp_host *h = ld->h;
	char where[64];
	json_t *arr, *e;
	int err;

	if ((err = vmp_json_array(&arr, &ld->c, root, "", "l3", false, false)) < 0 || !arr)
		return err;
	if (json_array_size(arr) > VMP_CPUSET_MAX)
		return vmp_json_bad(&ld->c, "", "l3", "has more than %d entries", VMP_CPUSET_MAX);
	if ((err = alloc_array((void **)&h->l3s, json_array_size(arr), sizeof(*h->l3s))) < 0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_cache *c = &h->l3s[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "l3", i)) < 0 ||
		    (err = vmp_json_int(&c->id, &ld->c, e, where, "id", true, 0, INT32_MAX)) < 0 ||
		    (err = vmp_json_u64(&c->size_bytes, &ld->c, e, where, "size_bytes", false)) <
			0 ||
		    (err = vmp_json_cpuset(&c->cpus, &ld->c, e, where, "cpus", true, true)) < 0)
			return err;
		h->nl3++;
	}
	return check_rising(ld, "l3", "id", &h->l3s[0].id, sizeof(*h->l3s), h->nl3);
}

static int load_cores(const struct ld *ld, json_t *root)
{
	vmp_host *h = ld->h;
	char where[64];
	json_t *arr, *e;
	int err;

	if ((err = vmp_json_array(&arr, &ld->c, root, "", "cores", true, false)) < 0)
		return err;
	if (json_array_size(arr) > VMP_CPUSET_MAX)
		return vmp_json_bad(&ld->c, "", "cores", "has more than %d entries",
				    VMP_CPUSET_MAX);
	if ((err = alloc_array((void **)&h->cores, json_array_size(arr), sizeof(*h->cores))) < 0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_core *c = &h->cores[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "cores", i)) < 0 ||
		    (err = vmp_json_int(&c->id, &ld->c, e, where, "id", true, 0, INT32_MAX)) < 0 ||
		    (err = vmp_json_cpuset(&c->pus, &ld->c, e, where, "pus", true, true)) < 0 ||
		    (err = get_ref(&c->package, ld, e, where, "package", "packages",
				   &h->packages[0].id, sizeof(*h->packages), h->npackages, false)) <
			0 ||
		    (err = get_ref(&c->node, ld, e, where, "node", "numa_nodes", &h->nodes[0].id,
				   sizeof(*h->nodes), h->nnodes, false)) < 0 ||
		    (err = get_ref(&c->l3, ld, e, where, "l3", "l3", h->nl3 ? &h->l3s[0].id : NULL,
				   sizeof(*h->l3s), h->nl3, true)) < 0)
			return err;
		if (vmp_cpuset_empty(&c->pus))
			return vmp_json_bad(&ld->c, where, "pus", "must name at least one CPU");
		for (size_t k = 0; k < i; k++)
			if (h->cores[k].id == c->id)
				return vmp_json_bad(&ld->c, where, "id",
						    "%d is used by cores[%zu] too", c->id, k);
		h->ncores++;
	}
	/* The model keeps cores sorted by their first PU. */
	for (int i = 1; i < h->ncores; i++)
		if (vmp_cpuset_first(&h->cores[i].pus) <= vmp_cpuset_first(&h->cores[i - 1].pus)) {
			snprintf(where, sizeof(where), "cores[%d]", i);
			return vmp_json_bad(&ld->c, where, "pus",
					    "must start after the first CPU of the core before it");
		}
	return VMP_OK;
}

static int load_pus(const struct ld *ld, json_t *root)
{
	vmp_host *h = ld->h;
	char where[64];
	json_t *arr, *e;
	int err;

	if ((err = vmp_json_array(&arr, &ld->c, root, "", "pus", true, false)) < 0)
		return err;
	if (json_array_size(arr) > VMP_CPUSET_MAX)
		return vmp_json_bad(&ld->c, "", "pus", "has more than %d entries", VMP_CPUSET_MAX);
	if ((err = alloc_array((void **)&h->pus, json_array_size(arr), sizeof(*h->pus))) < 0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_pu *p = &h->pus[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "pus", i)) < 0 ||
		    (err = vmp_json_int(&p->os_index, &ld->c, e, where, "os_index", true, 0,
					VMP_CPUSET_MAX - 1)) < 0 ||
		    (err = get_ref(&p->core, ld, e, where, "core", "cores", &h->cores[0].id,
				   sizeof(*h->cores), h->ncores, false)) < 0 ||
		    (err = get_ref(&p->l3, ld, e, where, "l3", "l3", h->nl3 ? &h->l3s[0].id : NULL,
				   sizeof(*h->l3s), h->nl3, true)) < 0 ||
		    (err = get_ref(&p->node, ld, e, where, "node", "numa_nodes", &h->nodes[0].id,
				   sizeof(*h->nodes), h->nnodes, false)) < 0 ||
		    (err = get_ref(&p->package, ld, e, where, "package", "packages",
				   &h->packages[0].id, sizeof(*h->packages), h->npackages, false)) <
			0 ||
		    (err = vmp_json_int(&p->kind, &ld->c, e, where, "kind", false, 0, INT32_MAX)) <
			0)
			return err;
		h->npus++;
	}
	return check_rising(ld, "pus", "os_index", &h->pus[0].os_index, sizeof(*h->pus), h->npus);
}

static int load_distances(const struct ld *ld, json_t *root)
{
	vmp_host *h = ld->h;
	double *m = NULL;
	int err;

	if ((err = get_matrix(&m, ld, root, "", "distances", h->nnodes, false, UINT32_MAX)) < 0 ||
	    !m)
		return err;
	if ((err = alloc_array((void **)&h->distances, (size_t)h->nnodes * h->nnodes,
			       sizeof(*h->distances))) < 0)
		goto out;
	for (size_t i = 0; i < (size_t)h->nnodes * h->nnodes; i++) {
		if (m[i] != floor(m[i])) {
			char where[64];
			snprintf(where, sizeof(where), "distances[%zu][%zu]", i / h->nnodes,
				 i % h->nnodes);
			err = vmp_json_bad(&ld->c, where, NULL, "must be a non-negative integer");
			goto out;
		}
		h->distances[i] = (uint32_t)m[i];
	}
out:
	free(m);
	return err;
}

static int load_rdt_cache(vmp_rdt_cache *c, const struct ld *ld, json_t *rdt, const char *key)
{
	char where[32], dwhere[64];
	json_t *o, *doms, *d;
	int err;

	snprintf(where, sizeof(where), "resctrl.%s", key);
	if ((err = vmp_json_object(&o, &ld->c, rdt, "resctrl", key, false, true)) < 0 || !o)
		return err;
	c->present = true;
	if ((err = vmp_json_bool(&c->cdp, &ld->c, o, where, "cdp", false)) < 0 ||
	    (err = get_hex(&c->cbm_mask, ld, o, where, "cbm_mask", true)) < 0 ||
	    (err = vmp_json_uint(&c->num_closids, &ld->c, o, where, "num_closids", true)) < 0 ||
	    (err = vmp_json_uint(&c->min_cbm_bits, &ld->c, o, where, "min_cbm_bits", true)) < 0 ||
	    (err = get_hex(&c->shareable_bits, ld, o, where, "shareable_bits", false)) < 0 ||
	    (err = vmp_json_array(&doms, &ld->c, o, where, "domains", false, false)) < 0)
		return err;
	if (c->cbm_mask == 0)
		return vmp_json_bad(&ld->c, where, "cbm_mask", "must have at least one way");
	if (!doms)
		return VMP_OK;
	if (json_array_size(doms) > VMP_RDT_DOMAINS_MAX)
		return vmp_json_bad(&ld->c, where, "domains", "has more than %d entries",
				    VMP_RDT_DOMAINS_MAX);
	for (size_t i = 0; i < json_array_size(doms); i++) {
		vmp_rdt_domain *dom = &c->domains[i];

		/* A host.json from before default_mask: the group as the kernel mounts it. */
		dom->default_mask = c->cbm_mask;

		if ((err = element(&d, dwhere, sizeof(dwhere), ld, doms, where, "domains", i)) <
			0 ||
		    (err = vmp_json_int(&dom->id, &ld->c, d, dwhere, "id", true, 0, INT32_MAX)) <
			0 ||
		    (err = get_hex(&dom->used_mask, ld, d, dwhere, "used_mask", true)) < 0 ||
		    (err = get_hex(&dom->default_mask, ld, d, dwhere, "default_mask", false)) < 0)
			return err;
		if (dom->used_mask & ~c->cbm_mask)
			return vmp_json_bad(&ld->c, dwhere, "used_mask",
					    "has ways outside cbm_mask");
		if (dom->default_mask & ~c->cbm_mask)
			return vmp_json_bad(&ld->c, dwhere, "default_mask",
					    "has ways outside cbm_mask");
		c->ndomains++;
	}
	return VMP_OK;
}

static int load_resctrl(const struct ld *ld, json_t *root)
{
	vmp_resctrl *r = &ld->h->resctrl;
	char unit[16] = "percent";
	json_t *rdt, *mb, *doms;
	int err;

	if ((err = vmp_json_object(&rdt, &ld->c, root, "", "resctrl", false, true)) < 0 || !rdt)
		return err;
	r->present = true;
	r->groups_used = 1;
	if ((err = vmp_json_uint(&r->groups_used, &ld->c, rdt, "resctrl", "groups_used", false)) <
		0 ||
	    (err = load_rdt_cache(&r->l3, ld, rdt, "l3")) < 0 ||
	    (err = load_rdt_cache(&r->l2, ld, rdt, "l2")) < 0 ||
	    (err = vmp_json_object(&mb, &ld->c, rdt, "resctrl", "mb", false, true)) < 0 || !mb)
		return err;
	r->mb.present = true;
	if ((err = vmp_json_uint(&r->mb.min_bandwidth, &ld->c, mb, "resctrl.mb", "min_bandwidth",
				 true)) < 0 ||
	    (err = vmp_json_uint(&r->mb.bandwidth_gran, &ld->c, mb, "resctrl.mb", "bandwidth_gran",
				 true)) < 0 ||
	    (err = vmp_json_bool(&r->mb.delay_linear, &ld->c, mb, "resctrl.mb", "delay_linear",
				 false)) < 0 ||
	    (err = vmp_json_uint(&r->mb.num_closids, &ld->c, mb, "resctrl.mb", "num_closids",
				 false)) < 0 ||
	    (err = vmp_json_str(unit, sizeof(unit), &ld->c, mb, "resctrl.mb", "unit", false)) < 0 ||
	    (err = vmp_json_array(&doms, &ld->c, mb, "resctrl.mb", "domains", false, false)) < 0)
		return err;
	r->mb.unit = NMB_UNITS;
	for (unsigned i = 0; i < NMB_UNITS; i++)
		if (!strcmp(unit, vmp_host_mb_unit_names[i]))
			r->mb.unit = (vmp_mb_unit)i;
	if (r->mb.unit == NMB_UNITS)
		return vmp_json_bad(&ld->c, "resctrl.mb", "unit",
				    "must be \"percent\", \"amd_gbs8\" or \"mbps\"");
	if (!doms)
		return VMP_OK;
	if (json_array_size(doms) > VMP_RDT_DOMAINS_MAX)
		return vmp_json_bad(&ld->c, "resctrl.mb", "domains", "has more than %d entries",
				    VMP_RDT_DOMAINS_MAX);
	for (size_t i = 0; i < json_array_size(doms); i++) {
		json_t *v = json_array_get(doms, i);
		char where[48];

		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > INT32_MAX) {
			snprintf(where, sizeof(where), "resctrl.mb.domains[%zu]", i);
			return vmp_json_bad(&ld->c, where, NULL, "must be a non-negative integer");
		}
		r->mb.domain_ids[r->mb.ndomains++] = (int)json_integer_value(v);
	}
	return VMP_OK;
}

static int load_devices(const struct ld *ld, json_t *root)
{
	vmp_host *h = ld->h;
	char where[64];
	json_t *arr, *e;
	int err;

	if ((err = vmp_json_array(&arr, &ld->c, root, "", "devices", false, false)) < 0 || !arr)
		return err;
	if ((err = alloc_array((void **)&h->devices, json_array_size(arr), sizeof(*h->devices))) <
	    0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_device *d = &h->devices[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "devices", i)) < 0 ||
		    (err = vmp_json_str(d->name, sizeof(d->name), &ld->c, e, where, "name", true)) <
			0 ||
		    (err = vmp_json_str(d->pci, sizeof(d->pci), &ld->c, e, where, "pci", false)) <
			0 ||
		    (err = vmp_json_str(d->kind, sizeof(d->kind), &ld->c, e, where, "kind",
					false)) < 0)
			return err;
		d->node = -1;
		if (json_object_get(e, "node") &&
		    (err = get_ref(&d->node, ld, e, where, "node", "numa_nodes", &h->nodes[0].id,
				   sizeof(*h->nodes), h->nnodes, true)) < 0)
			return err;
		h->ndevices++;
	}
	return VMP_OK;
}

static int load_existing(const struct ld *ld, json_t *root)
{
	vmp_host *h = ld->h;
	char where[64];
	json_t *arr, *e;
	int err;

	if ((err = vmp_json_array(&arr, &ld->c, root, "", "existing", false, false)) < 0 || !arr)
		return err;
	if ((err = alloc_array((void **)&h->existing, json_array_size(arr), sizeof(*h->existing))) <
	    0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_existing_vm *x = &h->existing[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "existing", i)) < 0 ||
		    (err = vmp_json_str(x->name, sizeof(x->name), &ld->c, e, where, "name", true)) <
			0 ||
		    (err = vmp_json_cpuset(&x->cpus, &ld->c, e, where, "cpus", false, true)) < 0 ||
		    (err = vmp_json_u64(&x->memory_bytes, &ld->c, e, where, "memory_bytes",
					false)) < 0 ||
		    (err = vmp_json_cpuset(&x->nodes, &ld->c, e, where, "nodes", false, true)) < 0)
			return err;
		h->nexisting++;
	}
	return VMP_OK;
}

static int load_measurements(const struct ld *ld, json_t *root)
{
	vmp_host *h = ld->h;
	json_t *bw;
	int err;

	if ((err = vmp_json_object(&bw, &ld->c, root, "", "bandwidth", false, true)) < 0)
		return err;
	if (bw && ((err = get_matrix(&h->read_gbs, ld, bw, "bandwidth", "read_gbs", h->nnodes, true,
				     INFINITY)) < 0 ||
		   (err = get_matrix(&h->triad_gbs, ld, bw, "bandwidth", "triad_gbs", h->nnodes,
				     true, INFINITY)) < 0))
		return err;
	if ((err = get_matrix(&h->latency_ns, ld, root, "", "latency_ns", h->nnodes, true,
			      INFINITY)) < 0)
		return err;
	return get_matrix(&h->c2c_ns, ld, root, "", "c2c_ns", h->npus, true, INFINITY);
}

static int load_root(const struct ld *ld, json_t *root)
{
	vmp_host *h = ld->h;
	char source[16] = "json";
	int schema = 0, err;

	if (!json_is_object(root))
		return vmp_json_bad(&ld->c, "", NULL, "not a JSON object");
	if ((err = vmp_json_int(&schema, &ld->c, root, "", "schema", true, 1, INT32_MAX)) < 0)
		return err;
	if (schema > VMP_HOST_SCHEMA)
		return vmp_json_bad(&ld->c, "", "schema",
				    "%d is newer than this vmplan understands (%d); upgrade vmplan",
				    schema, VMP_HOST_SCHEMA);
	if ((err = vmp_json_str(h->hostname, sizeof(h->hostname), &ld->c, root, "", "hostname",
				false)) < 0 ||
	    (err = vmp_json_str(source, sizeof(source), &ld->c, root, "", "source", false)) < 0 ||
	    (err = vmp_json_str(h->cpu_model, sizeof(h->cpu_model), &ld->c, root, "", "cpu_model",
				false)) < 0)
		return err;
	/* Printed on the terminal: no escape sequence, no newline (vmp_spec_check_text). */
	if (vmp_spec_check_text("the host name", h->hostname) < 0)
		return vmp_json_bad(&ld->c, "", "hostname",
				    "must be UTF-8 text without control characters");
	h->source = NSOURCES;
	for (unsigned i = 0; i < NSOURCES; i++)
		if (!strcmp(source, vmp_host_source_names[i]))
			h->source = (vmp_host_source)i;
	if (h->source == NSOURCES)
		return vmp_json_bad(&ld->c, "", "source",
				    "must be one of live, xml, synthetic, fsroot, libvirt, json");
	if ((err = load_packages(ld, root)) < 0 || (err = load_nodes(ld, root)) < 0 ||
	    (err = load_l3(ld, root)) < 0 || (err = load_cores(ld, root)) < 0 ||
	    (err = load_pus(ld, root)) < 0)
		return err;
	/* Without "online", every PU of the model can run vCPUs. */
	if (json_object_get(root, "online")) {
		if ((err = vmp_json_cpuset(&h->online, &ld->c, root, "", "online", false, true)) <
		    0)
			return err;
	} else {
		for (int i = 0; i < h->npus; i++)
			vmp_cpuset_set(&h->online, h->pus[i].os_index);
	}
	if ((err = load_distances(ld, root)) < 0 ||
	    (err = vmp_json_cpuset(&h->reserved, &ld->c, root, "", "reserved", false, true)) < 0 ||
	    (err = vmp_json_cpuset(&h->isolated, &ld->c, root, "", "isolated", false, true)) < 0 ||
	    (err = vmp_json_cpuset(&h->nohz_full, &ld->c, root, "", "nohz_full", false, true)) <
		0 ||
	    (err = vmp_json_cpuset(&h->used, &ld->c, root, "", "used", false, true)) < 0 ||
	    (err = load_resctrl(ld, root)) < 0 || (err = load_devices(ld, root)) < 0 ||
	    (err = load_existing(ld, root)) < 0 || (err = load_measurements(ld, root)) < 0)
		return err;
	if (vmp_host_check(h) < 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", vmp_error_last());
		vmp_error_set("cannot load host '%s': %s", ld->c.file, msg);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

int vmp_host_load_json(vmp_host **out, const char *path)
{
	struct ld ld = {.c = {.kind = "host", .file = path, .dialect = VMP_JSON_HOST}};
	json_error_t jerr;
	json_t *root = NULL;
	char *text = NULL;
	size_t len;
	int err;

	*out = NULL;
	/* A regular file of bounded size (vmp_file_read): no FIFO that blocks, no /dev/zero. */
	if ((err = vmp_file_read(&text, &len, path, "host")) < 0)
		return err;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			err = no_memory();
		else
			err = vmp_json_bad(&ld.c, "", NULL,
					   "not valid JSON at line %d, column %d: %s", jerr.line,
					   jerr.column, jerr.text);
		goto out;
	}
	if ((err = vmp_host_new(&ld.h)) < 0 || (err = load_root(&ld, root)) < 0)
		goto out;
	*out = ld.h;
	ld.h = NULL;
out:
	vmp_host_free(ld.h);
	json_decref(root);
	free(text);
	return err;
}
