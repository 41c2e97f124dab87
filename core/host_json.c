/* host.json: the host model written with jansson and loaded back with every field checked. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "vmplan/error.h"
#include "vmplan/host_json.h"

/*
 * The layout, by example (see DESIGN.md for the contract):
 *
 *   { "schema": 1, "hostname": "h", "source": "live",
 *     "packages":   [ { "id": 0, "cpus": "0-7" } ],
 *     "numa_nodes": [ { "id": 0, "cpus": "0-7", "memory_bytes": N, "free_bytes": N,
 *                       "hugepages": [ { "size_kib": 2048, "total": 8, "free": 8 } ] } ],
 *     "l3":    [ { "id": 0, "size_bytes": N, "cpus": "0-7" } ],
 *     "cores": [ { "id": 0, "pus": "0,4", "package": 0, "node": 0, "l3": 0 } ],
 *     "pus":   [ { "os_index": 0, "core": 0, "l3": 0, "node": 0, "package": 0, "kind": 0 } ],
 *     "online": "0-7", "distances": [[10]] | null,
 *     "reserved": "", "isolated": "", "nohz_full": "", "used": "",
 *     "resctrl": null | { "groups_used": 1, "l3": {...} | null, "l2": ..., "mb": ... },
 *     "devices": [...], "existing": [...],
 *     "bandwidth": null | { "read_gbs": [[..]] | null, "triad_gbs": [[..]] | null },
 *     "latency_ns": [[..]] | null, "c2c_ns": [[.., null, ..]] | null }
 *
 * In the model, objects refer to each other by array index; in the file
 * they refer by the ids a person reads: "package" is a package id, "node"
 * a NUMA node's OS id, "l3" an L3 id (null for none), "core" a core id.
 * The loader turns them back into indexes. Matrices are indexed by the
 * position in numa_nodes (c2c_ns by the position in pus); a value that was
 * not measured (NaN) is null. Masks are hex strings without "0x", as
 * resctrl writes them; cpusets are libvirt's syntax, "" for the empty set.
 */

/* Room for the longest cpuset: every other CPU of VMP_CPUSET_MAX, 5 bytes each. */
#define CPUSET_TEXT_MAX (VMP_CPUSET_MAX / 2 * 5 + 16)

static const char *const source_names[] = {
    [VMP_SOURCE_LIVE] = "live",		  [VMP_SOURCE_XML] = "xml",
    [VMP_SOURCE_SYNTHETIC] = "synthetic", [VMP_SOURCE_FSROOT] = "fsroot",
    [VMP_SOURCE_LIBVIRT] = "libvirt",	  [VMP_SOURCE_JSON] = "json",
};
#define NSOURCES (sizeof(source_names) / sizeof(source_names[0]))

static const char *const mb_unit_names[] = {
    [VMP_MB_PERCENT] = "percent",
    [VMP_MB_AMD_GBS8] = "amd_gbs8",
    [VMP_MB_MBPS] = "mbps",
};
#define NMB_UNITS (sizeof(mb_unit_names) / sizeof(mb_unit_names[0]))

/* ---- writing ---------------------------------------------------------------------------- */

/*
 * The writers build a tree and let allocation failures surface as NULLs:
 * json_object_set_new() and json_array_append_new() refuse a NULL value,
 * and to_json() checks the whole tree once with the 'failed' flag.
 */
struct wr {
	bool failed;
};

static json_t *chk(struct wr *w, json_t *v)
{
	if (!v)
		w->failed = true;
	return v;
}

static void set(struct wr *w, json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) < 0)
		w->failed = true;
}

static void append(struct wr *w, json_t *arr, json_t *v)
{
	if (!v || json_array_append_new(arr, v) < 0)
		w->failed = true;
}

static json_t *cpuset_json(struct wr *w, const vmp_cpuset *set)
{
	char *buf = malloc(CPUSET_TEXT_MAX);
	json_t *v;

	if (!buf)
		return chk(w, NULL);
	vmp_cpuset_format(buf, CPUSET_TEXT_MAX, set);
	v = json_string(buf);
	free(buf);
	return chk(w, v);
}

/* jansson integers are signed 64-bit; larger counts do not occur on real hosts. */
static json_t *u64_json(struct wr *w, uint64_t v)
{
	return chk(w, json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

static json_t *hex_json(struct wr *w, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIx64, v);
	return chk(w, json_string(buf));
}

static json_t *matrix_json(struct wr *w, const double *m, int n)
{
	json_t *rows;

	if (!m)
		return chk(w, json_null());
	rows = chk(w, json_array());
	for (int i = 0; rows && i < n; i++) {
		json_t *row = chk(w, json_array());
		for (int j = 0; row && j < n; j++) {
			double v = m[(size_t)i * n + j];
			append(w, row, isfinite(v) ? json_real(v) : json_null());
		}
		append(w, rows, row);
	}
	return rows;
}

/* The id of the object at index i of an array, or null for -1. */
#define REF_JSON(w, arr, i) chk((w), (i) >= 0 ? json_integer((arr)[(i)].id) : json_null())

static json_t *rdt_cache_json(struct wr *w, const vmp_rdt_cache *c)
{
	json_t *o, *doms;

	if (!c->present)
		return chk(w, json_null());
	o = chk(w, json_object());
	doms = chk(w, json_array());
	if (!o || !doms) {
		json_decref(o);
		json_decref(doms);
		return NULL;
	}
	set(w, o, "cdp", json_boolean(c->cdp));
	set(w, o, "cbm_mask", hex_json(w, c->cbm_mask));
	set(w, o, "num_closids", json_integer(c->num_closids));
	set(w, o, "min_cbm_bits", json_integer(c->min_cbm_bits));
	set(w, o, "shareable_bits", hex_json(w, c->shareable_bits));
	for (int i = 0; i < c->ndomains; i++)
		append(w, doms,
		       json_pack("{s:i,s:o}", "id", c->domains[i].id, "used_mask",
				 hex_json(w, c->domains[i].used_mask)));
	set(w, o, "domains", doms);
	return o;
}

static json_t *resctrl_json(struct wr *w, const vmp_resctrl *r)
{
	json_t *o, *mb, *doms;

	if (!r->present)
		return chk(w, json_null());
	o = chk(w, json_object());
	if (!o)
		return NULL;
	set(w, o, "groups_used", json_integer(r->groups_used));
	set(w, o, "l3", rdt_cache_json(w, &r->l3));
	set(w, o, "l2", rdt_cache_json(w, &r->l2));
	if (!r->mb.present) {
		set(w, o, "mb", json_null());
		return o;
	}
	mb = chk(w, json_object());
	doms = chk(w, json_array());
	for (int i = 0; doms && i < r->mb.ndomains; i++)
		append(w, doms, json_integer(r->mb.domain_ids[i]));
	if (mb) {
		set(w, mb, "min_bandwidth", json_integer(r->mb.min_bandwidth));
		set(w, mb, "bandwidth_gran", json_integer(r->mb.bandwidth_gran));
		set(w, mb, "delay_linear", json_boolean(r->mb.delay_linear));
		set(w, mb, "num_closids", json_integer(r->mb.num_closids));
		set(w, mb, "unit",
		    json_string(mb_unit_names[r->mb.unit < NMB_UNITS ? r->mb.unit : 0]));
		set(w, mb, "domains", doms);
	} else {
		json_decref(doms);
	}
	set(w, o, "mb", mb);
	return o;
}

static json_t *host_json(struct wr *w, const vmp_host *h)
{
	json_t *root = chk(w, json_object()), *a, *bw;

	if (!root)
		return NULL;
	set(w, root, "schema", json_integer(VMP_HOST_SCHEMA));
	set(w, root, "hostname", json_string(h->hostname));
	set(w, root, "source",
	    json_string(source_names[(unsigned)h->source < NSOURCES ? h->source : 0]));

	set(w, root, "packages", a = chk(w, json_array()));
	for (int i = 0; a && i < h->npackages; i++)
		append(w, a,
		       json_pack("{s:i,s:o}", "id", h->packages[i].id, "cpus",
				 cpuset_json(w, &h->packages[i].cpus)));

	set(w, root, "numa_nodes", a = chk(w, json_array()));
	for (int i = 0; a && i < h->nnodes; i++) {
		const vmp_node *n = &h->nodes[i];
		json_t *hp = chk(w, json_array());

		for (int k = 0; hp && k < n->nhugepages; k++)
			append(w, hp,
			       json_pack("{s:o,s:o,s:o}", "size_kib",
					 u64_json(w, n->hugepages[k].size_kib), "total",
					 u64_json(w, n->hugepages[k].total), "free",
					 u64_json(w, n->hugepages[k].free)));
		append(w, a,
		       json_pack("{s:i,s:o,s:o,s:o,s:o}", "id", n->id, "cpus",
				 cpuset_json(w, &n->cpus), "memory_bytes",
				 u64_json(w, n->memory_bytes), "free_bytes",
				 u64_json(w, n->free_bytes), "hugepages", hp));
	}

	set(w, root, "l3", a = chk(w, json_array()));
	for (int i = 0; a && i < h->nl3; i++)
		append(w, a,
		       json_pack("{s:i,s:o,s:o}", "id", h->l3s[i].id, "size_bytes",
				 u64_json(w, h->l3s[i].size_bytes), "cpus",
				 cpuset_json(w, &h->l3s[i].cpus)));

	set(w, root, "cores", a = chk(w, json_array()));
	for (int i = 0; a && i < h->ncores; i++) {
		const vmp_core *c = &h->cores[i];

		append(w, a,
		       json_pack("{s:i,s:o,s:o,s:o,s:o}", "id", c->id, "pus",
				 cpuset_json(w, &c->pus), "package",
				 REF_JSON(w, h->packages, c->package), "node",
				 REF_JSON(w, h->nodes, c->node), "l3", REF_JSON(w, h->l3s, c->l3)));
	}

	set(w, root, "pus", a = chk(w, json_array()));
	for (int i = 0; a && i < h->npus; i++) {
		const vmp_pu *p = &h->pus[i];

		append(w, a,
		       json_pack("{s:i,s:o,s:o,s:o,s:o,s:i}", "os_index", p->os_index, "core",
				 REF_JSON(w, h->cores, p->core), "l3", REF_JSON(w, h->l3s, p->l3),
				 "node", REF_JSON(w, h->nodes, p->node), "package",
				 REF_JSON(w, h->packages, p->package), "kind", p->kind));
	}

	set(w, root, "online", cpuset_json(w, &h->online));
	if (h->distances) {
		set(w, root, "distances", a = chk(w, json_array()));
		for (int i = 0; a && i < h->nnodes; i++) {
			json_t *row = chk(w, json_array());
			for (int j = 0; row && j < h->nnodes; j++)
				append(w, row,
				       json_integer(h->distances[(size_t)i * h->nnodes + j]));
			append(w, a, row);
		}
	} else {
		set(w, root, "distances", json_null());
	}
	set(w, root, "reserved", cpuset_json(w, &h->reserved));
	set(w, root, "isolated", cpuset_json(w, &h->isolated));
	set(w, root, "nohz_full", cpuset_json(w, &h->nohz_full));
	set(w, root, "used", cpuset_json(w, &h->used));
	set(w, root, "resctrl", resctrl_json(w, &h->resctrl));

	set(w, root, "devices", a = chk(w, json_array()));
	for (int i = 0; a && i < h->ndevices; i++) {
		const vmp_device *d = &h->devices[i];

		append(w, a,
		       json_pack("{s:s,s:s,s:s,s:o}", "name", d->name, "pci", d->pci, "kind",
				 d->kind, "node", REF_JSON(w, h->nodes, d->node)));
	}
	set(w, root, "existing", a = chk(w, json_array()));
	for (int i = 0; a && i < h->nexisting; i++) {
		const vmp_existing_vm *e = &h->existing[i];

		append(w, a,
		       json_pack("{s:s,s:o,s:o,s:o}", "name", e->name, "cpus",
				 cpuset_json(w, &e->cpus), "memory_bytes",
				 u64_json(w, e->memory_bytes), "nodes", cpuset_json(w, &e->nodes)));
	}

	if (h->read_gbs || h->triad_gbs) {
		bw = chk(w, json_object());
		if (bw) {
			set(w, bw, "read_gbs", matrix_json(w, h->read_gbs, h->nnodes));
			set(w, bw, "triad_gbs", matrix_json(w, h->triad_gbs, h->nnodes));
		}
		set(w, root, "bandwidth", bw);
	} else {
		set(w, root, "bandwidth", json_null());
	}
	set(w, root, "latency_ns", matrix_json(w, h->latency_ns, h->nnodes));
	set(w, root, "c2c_ns", matrix_json(w, h->c2c_ns, h->npus));
	return root;
}

int vmp_host_to_json(char **out, const vmp_host *host)
{
	struct wr w = {false};
	json_t *root = host_json(&w, host);
	char *text = NULL;
	int err = VMP_OK;

	*out = NULL;
	if (w.failed || !root || !(text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		vmp_error_set("cannot serialise host: out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	*out = text;
out:
	json_decref(root);
	return err;
}

/* ---- loading ---------------------------------------------------------------------------- */

/* The loader's state: the file, for messages, and the host being built. */
struct ld {
	const char *path;
	vmp_host *h;
};

/* Fail with "cannot load host 'PATH': WHERE.KEY <what>"; where may be "" and key NULL. */
static int bad(const struct ld *ld, const char *where, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(const struct ld *ld, const char *where, const char *key, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!*where && !key)
		vmp_error_set("cannot load host '%s': %s", ld->path, what);
	else
		vmp_error_set("cannot load host '%s': %s%s%s %s", ld->path, where,
			      *where && key ? "." : "", key ? key : "", what);
	return VMP_EINVAL;
}

static int no_memory(void)
{
	vmp_error_set("cannot load host: out of memory");
	return VMP_ENOMEM;
}

/* obj[key]; NULL (and VMP_OK) when absent and optional; absent and required is an error. */
static int field(json_t **v, const struct ld *ld, json_t *obj, const char *where, const char *key,
		 bool required)
{
	*v = json_object_get(obj, key);
	if (!*v && required)
		return bad(ld, where, key, "is missing");
	return VMP_OK;
}

/* An integer in [min, max]; left as it is when absent and optional. */
static int get_int(int *out, const struct ld *ld, json_t *obj, const char *where, const char *key,
		   bool required, int min, int max)
{
	json_t *v;
	int err;

	if ((err = field(&v, ld, obj, where, key, required)) < 0 || !v)
		return err;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		if (min == 0 && (!json_is_integer(v) || json_integer_value(v) < 0))
			return bad(ld, where, key, "must be a non-negative integer");
		return bad(ld, where, key, "must be an integer from %d to %d", min, max);
	}
	*out = (int)json_integer_value(v);
	return VMP_OK;
}

static int get_uint(unsigned *out, const struct ld *ld, json_t *obj, const char *where,
		    const char *key, bool required)
{
	int v = (int)*out, err;

	if ((err = get_int(&v, ld, obj, where, key, required, 0, INT32_MAX)) < 0)
		return err;
	*out = (unsigned)v;
	return VMP_OK;
}

static int get_u64(uint64_t *out, const struct ld *ld, json_t *obj, const char *where,
		   const char *key, bool required)
{
	json_t *v;
	int err;

	if ((err = field(&v, ld, obj, where, key, required)) < 0 || !v)
		return err;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(ld, where, key, "must be a non-negative integer");
	*out = (uint64_t)json_integer_value(v);
	return VMP_OK;
}

static int get_bool(bool *out, const struct ld *ld, json_t *obj, const char *where, const char *key,
		    bool required)
{
	json_t *v;
	int err;

	if ((err = field(&v, ld, obj, where, key, required)) < 0 || !v)
		return err;
	if (!json_is_boolean(v))
		return bad(ld, where, key, "must be true or false");
	*out = json_is_true(v);
	return VMP_OK;
}

/* A string that fits in size bytes with its NUL. */
static int get_str(char *out, size_t size, const struct ld *ld, json_t *obj, const char *where,
		   const char *key, bool required)
{
	json_t *v;
	int err;

	if ((err = field(&v, ld, obj, where, key, required)) < 0 || !v)
		return err;
	if (!json_is_string(v))
		return bad(ld, where, key, "must be a string");
	if (json_string_length(v) >= size || strlen(json_string_value(v)) != json_string_length(v))
		return bad(ld, where, key, "must be a string of at most %zu bytes", size - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return VMP_OK;
}

/* A cpuset string; "" is the empty set. */
static int get_cpuset(vmp_cpuset *out, const struct ld *ld, json_t *obj, const char *where,
		      const char *key, bool required)
{
	json_t *v;
	int err;

	if ((err = field(&v, ld, obj, where, key, required)) < 0 || !v)
		return err;
	if (!json_is_string(v))
		return bad(ld, where, key, "must be a cpuset string such as \"0-3,8\"");
	if (!*json_string_value(v)) {
		vmp_cpuset_zero(out);
		return VMP_OK;
	}
	if (vmp_cpuset_parse(out, json_string_value(v)) < 0)
		return bad(ld, where, key, "must be a cpuset string such as \"0-3,8\", not '%s'",
			   json_string_value(v));
	return VMP_OK;
}

/* A hex mask string without "0x", 1 to 16 digits. */
static int get_hex(uint64_t *out, const struct ld *ld, json_t *obj, const char *where,
		   const char *key, bool required)
{
	const char *s;
	json_t *v;
	size_t len;
	int err;

	if ((err = field(&v, ld, obj, where, key, required)) < 0 || !v)
		return err;
	s = json_is_string(v) ? json_string_value(v) : "";
	len = strlen(s);
	if (len == 0 || len > 16 || strspn(s, "0123456789abcdefABCDEF") != len)
		return bad(ld, where, key, "must be a hex mask string such as \"7ff\"");
	*out = strtoull(s, NULL, 16);
	return VMP_OK;
}

/* An array (or, with nullable, null: *v is then NULL); absent and optional gives NULL too. */
static int get_array(json_t **v, const struct ld *ld, json_t *obj, const char *where,
		     const char *key, bool required, bool nullable)
{
	int err;

	if ((err = field(v, ld, obj, where, key, required)) < 0 || !*v)
		return err;
	if (nullable && json_is_null(*v)) {
		*v = NULL;
		return VMP_OK;
	}
	if (!json_is_array(*v))
		return bad(ld, where, key,
			   nullable ? "must be an array or null" : "must be an array");
	return VMP_OK;
}

static int get_object(json_t **v, const struct ld *ld, json_t *obj, const char *where,
		      const char *key, bool required)
{
	int err;

	if ((err = field(v, ld, obj, where, key, required)) < 0 || !*v)
		return err;
	if (json_is_null(*v)) {
		*v = NULL;
		return VMP_OK;
	}
	if (!json_is_object(*v))
		return bad(ld, where, key, "must be an object or null");
	return VMP_OK;
}

/* The element at i of an array must be an object; where gets "key[i]". */
static int element(json_t **e, char *where, size_t size, const struct ld *ld, json_t *arr,
		   const char *parent, const char *key, size_t i)
{
	snprintf(where, size, "%s%s%s[%zu]", parent, *parent ? "." : "", key, i);
	*e = json_array_get(arr, i);
	if (!json_is_object(*e))
		return bad(ld, where, NULL, "must be an object");
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

	if ((err = field(&v, ld, obj, where, key, true)) < 0)
		return err;
	if (nullable && json_is_null(v)) {
		*out = -1;
		return VMP_OK;
	}
	if (!json_is_integer(v))
		return bad(ld, where, key,
			   nullable ? "must be an integer id or null" : "must be an integer id");
	for (int i = 0; i < n; i++)
		if (*(const int *)((const char *)base + (size_t)i * stride) ==
		    json_integer_value(v)) {
			*out = i;
			return VMP_OK;
		}
	return bad(ld, where, key, "%" JSON_INTEGER_FORMAT " names no entry of %s",
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
			return bad(ld, where, idkey,
				   "%d must be greater than the %s before it (%d)", cur, idkey,
				   prev);
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
	if ((err = get_array(&rows, ld, obj, where, key, false, true)) < 0 || !rows)
		return err;
	if (json_array_size(rows) != (size_t)n)
		return bad(ld, path, NULL, "must have %d rows, not %zu", n, json_array_size(rows));
	if ((err = alloc_array((void **)&m, (size_t)n * n, sizeof(*m))) < 0)
		return err;
	for (int i = 0; i < n; i++) {
		json_t *row = json_array_get(rows, i);
		char rwhere[160];

		snprintf(rwhere, sizeof(rwhere), "%s[%d]", path, i);
		if (!json_is_array(row) || json_array_size(row) != (size_t)n) {
			err = bad(ld, rwhere, NULL, "must be an array of %d numbers", n);
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
				err = bad(ld, rwhere, NULL, "must be a non-negative number%s",
					  nullable_values ? " or null"
							  : " no larger than 4294967295");
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

	if ((err = get_array(&arr, ld, root, "", "packages", true, false)) < 0)
		return err;
	if (json_array_size(arr) > VMP_CPUSET_MAX)
		return bad(ld, "", "packages", "has more than %d entries", VMP_CPUSET_MAX);
	if ((err = alloc_array((void **)&h->packages, json_array_size(arr), sizeof(*h->packages))) <
	    0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_package *p = &h->packages[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "packages", i)) < 0 ||
		    (err = get_int(&p->id, ld, e, where, "id", true, 0, INT32_MAX)) < 0 ||
		    (err = get_cpuset(&p->cpus, ld, e, where, "cpus", true)) < 0)
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

	if ((err = get_array(&arr, ld, root, "", "numa_nodes", true, false)) < 0)
		return err;
	if (json_array_size(arr) > VMP_CPUSET_MAX)
		return bad(ld, "", "numa_nodes", "has more than %d entries", VMP_CPUSET_MAX);
	if ((err = alloc_array((void **)&h->nodes, json_array_size(arr), sizeof(*h->nodes))) < 0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_node *n = &h->nodes[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "numa_nodes", i)) < 0 ||
		    (err = get_int(&n->id, ld, e, where, "id", true, 0, VMP_CPUSET_MAX - 1)) < 0 ||
		    (err = get_cpuset(&n->cpus, ld, e, where, "cpus", true)) < 0 ||
		    (err = get_u64(&n->memory_bytes, ld, e, where, "memory_bytes", true)) < 0)
			return err;
		n->free_bytes = n->memory_bytes;
		if ((err = get_u64(&n->free_bytes, ld, e, where, "free_bytes", false)) < 0 ||
		    (err = get_array(&hps, ld, e, where, "hugepages", false, false)) < 0)
			return err;
		h->nnodes++;
		if (!hps)
			continue;
		if (json_array_size(hps) > VMP_PAGESIZES_MAX)
			return bad(ld, where, "hugepages", "has more than %d page sizes",
				   VMP_PAGESIZES_MAX);
		for (size_t k = 0; k < json_array_size(hps); k++) {
			vmp_hugepages *p = &n->hugepages[k];

			if ((err = element(&hp, hwhere, sizeof(hwhere), ld, hps, where, "hugepages",
					   k)) < 0 ||
			    (err = get_u64(&p->size_kib, ld, hp, hwhere, "size_kib", true)) < 0 ||
			    (err = get_u64(&p->total, ld, hp, hwhere, "total", true)) < 0 ||
			    (err = get_u64(&p->free, ld, hp, hwhere, "free", true)) < 0)
				return err;
			if (p->free > p->total)
				return bad(ld, hwhere, "free", "must not exceed total");
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

	if ((err = get_array(&arr, ld, root, "", "l3", false, false)) < 0 || !arr)
		return err;
	if (json_array_size(arr) > VMP_CPUSET_MAX)
		return bad(ld, "", "l3", "has more than %d entries", VMP_CPUSET_MAX);
	if ((err = alloc_array((void **)&h->l3s, json_array_size(arr), sizeof(*h->l3s))) < 0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_cache *c = &h->l3s[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "l3", i)) < 0 ||
		    (err = get_int(&c->id, ld, e, where, "id", true, 0, INT32_MAX)) < 0 ||
		    (err = get_u64(&c->size_bytes, ld, e, where, "size_bytes", false)) < 0 ||
		    (err = get_cpuset(&c->cpus, ld, e, where, "cpus", true)) < 0)
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

	if ((err = get_array(&arr, ld, root, "", "cores", true, false)) < 0)
		return err;
	if (json_array_size(arr) > VMP_CPUSET_MAX)
		return bad(ld, "", "cores", "has more than %d entries", VMP_CPUSET_MAX);
	if ((err = alloc_array((void **)&h->cores, json_array_size(arr), sizeof(*h->cores))) < 0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_core *c = &h->cores[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "cores", i)) < 0 ||
		    (err = get_int(&c->id, ld, e, where, "id", true, 0, INT32_MAX)) < 0 ||
		    (err = get_cpuset(&c->pus, ld, e, where, "pus", true)) < 0 ||
		    (err = get_ref(&c->package, ld, e, where, "package", "packages",
				   &h->packages[0].id, sizeof(*h->packages), h->npackages, false)) <
			0 ||
		    (err = get_ref(&c->node, ld, e, where, "node", "numa_nodes", &h->nodes[0].id,
				   sizeof(*h->nodes), h->nnodes, false)) < 0 ||
		    (err = get_ref(&c->l3, ld, e, where, "l3", "l3", h->nl3 ? &h->l3s[0].id : NULL,
				   sizeof(*h->l3s), h->nl3, true)) < 0)
			return err;
		if (vmp_cpuset_empty(&c->pus))
			return bad(ld, where, "pus", "must name at least one CPU");
		for (size_t k = 0; k < i; k++)
			if (h->cores[k].id == c->id)
				return bad(ld, where, "id", "%d is used by cores[%zu] too", c->id,
					   k);
		h->ncores++;
	}
	/* The model keeps cores sorted by their first PU. */
	for (int i = 1; i < h->ncores; i++)
		if (vmp_cpuset_first(&h->cores[i].pus) <= vmp_cpuset_first(&h->cores[i - 1].pus)) {
			snprintf(where, sizeof(where), "cores[%d]", i);
			return bad(ld, where, "pus",
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

	if ((err = get_array(&arr, ld, root, "", "pus", true, false)) < 0)
		return err;
	if (json_array_size(arr) > VMP_CPUSET_MAX)
		return bad(ld, "", "pus", "has more than %d entries", VMP_CPUSET_MAX);
	if ((err = alloc_array((void **)&h->pus, json_array_size(arr), sizeof(*h->pus))) < 0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_pu *p = &h->pus[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "pus", i)) < 0 ||
		    (err = get_int(&p->os_index, ld, e, where, "os_index", true, 0,
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
		    (err = get_int(&p->kind, ld, e, where, "kind", false, 0, INT32_MAX)) < 0)
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
			err = bad(ld, where, NULL, "must be a non-negative integer");
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
	if ((err = get_object(&o, ld, rdt, "resctrl", key, false)) < 0 || !o)
		return err;
	c->present = true;
	if ((err = get_bool(&c->cdp, ld, o, where, "cdp", false)) < 0 ||
	    (err = get_hex(&c->cbm_mask, ld, o, where, "cbm_mask", true)) < 0 ||
	    (err = get_uint(&c->num_closids, ld, o, where, "num_closids", true)) < 0 ||
	    (err = get_uint(&c->min_cbm_bits, ld, o, where, "min_cbm_bits", true)) < 0 ||
	    (err = get_hex(&c->shareable_bits, ld, o, where, "shareable_bits", false)) < 0 ||
	    (err = get_array(&doms, ld, o, where, "domains", false, false)) < 0)
		return err;
	if (c->cbm_mask == 0)
		return bad(ld, where, "cbm_mask", "must have at least one way");
	if (!doms)
		return VMP_OK;
	if (json_array_size(doms) > VMP_RDT_DOMAINS_MAX)
		return bad(ld, where, "domains", "has more than %d entries", VMP_RDT_DOMAINS_MAX);
	for (size_t i = 0; i < json_array_size(doms); i++) {
		vmp_rdt_domain *dom = &c->domains[i];

		if ((err = element(&d, dwhere, sizeof(dwhere), ld, doms, where, "domains", i)) <
			0 ||
		    (err = get_int(&dom->id, ld, d, dwhere, "id", true, 0, INT32_MAX)) < 0 ||
		    (err = get_hex(&dom->used_mask, ld, d, dwhere, "used_mask", true)) < 0)
			return err;
		if (dom->used_mask & ~c->cbm_mask)
			return bad(ld, dwhere, "used_mask", "has ways outside cbm_mask");
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

	if ((err = get_object(&rdt, ld, root, "", "resctrl", false)) < 0 || !rdt)
		return err;
	r->present = true;
	r->groups_used = 1;
	if ((err = get_uint(&r->groups_used, ld, rdt, "resctrl", "groups_used", false)) < 0 ||
	    (err = load_rdt_cache(&r->l3, ld, rdt, "l3")) < 0 ||
	    (err = load_rdt_cache(&r->l2, ld, rdt, "l2")) < 0 ||
	    (err = get_object(&mb, ld, rdt, "resctrl", "mb", false)) < 0 || !mb)
		return err;
	r->mb.present = true;
	if ((err = get_uint(&r->mb.min_bandwidth, ld, mb, "resctrl.mb", "min_bandwidth", true)) <
		0 ||
	    (err = get_uint(&r->mb.bandwidth_gran, ld, mb, "resctrl.mb", "bandwidth_gran", true)) <
		0 ||
	    (err = get_bool(&r->mb.delay_linear, ld, mb, "resctrl.mb", "delay_linear", false)) <
		0 ||
	    (err = get_uint(&r->mb.num_closids, ld, mb, "resctrl.mb", "num_closids", false)) < 0 ||
	    (err = get_str(unit, sizeof(unit), ld, mb, "resctrl.mb", "unit", false)) < 0 ||
	    (err = get_array(&doms, ld, mb, "resctrl.mb", "domains", false, false)) < 0)
		return err;
	r->mb.unit = NMB_UNITS;
	for (unsigned i = 0; i < NMB_UNITS; i++)
		if (!strcmp(unit, mb_unit_names[i]))
			r->mb.unit = (vmp_mb_unit)i;
	if (r->mb.unit == NMB_UNITS)
		return bad(ld, "resctrl.mb", "unit",
			   "must be \"percent\", \"amd_gbs8\" or \"mbps\"");
	if (!doms)
		return VMP_OK;
	if (json_array_size(doms) > VMP_RDT_DOMAINS_MAX)
		return bad(ld, "resctrl.mb", "domains", "has more than %d entries",
			   VMP_RDT_DOMAINS_MAX);
	for (size_t i = 0; i < json_array_size(doms); i++) {
		json_t *v = json_array_get(doms, i);
		char where[48];

		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > INT32_MAX) {
			snprintf(where, sizeof(where), "resctrl.mb.domains[%zu]", i);
			return bad(ld, where, NULL, "must be a non-negative integer");
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

	if ((err = get_array(&arr, ld, root, "", "devices", false, false)) < 0 || !arr)
		return err;
	if ((err = alloc_array((void **)&h->devices, json_array_size(arr), sizeof(*h->devices))) <
	    0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_device *d = &h->devices[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "devices", i)) < 0 ||
		    (err = get_str(d->name, sizeof(d->name), ld, e, where, "name", true)) < 0 ||
		    (err = get_str(d->pci, sizeof(d->pci), ld, e, where, "pci", false)) < 0 ||
		    (err = get_str(d->kind, sizeof(d->kind), ld, e, where, "kind", false)) < 0)
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

	if ((err = get_array(&arr, ld, root, "", "existing", false, false)) < 0 || !arr)
		return err;
	if ((err = alloc_array((void **)&h->existing, json_array_size(arr), sizeof(*h->existing))) <
	    0)
		return err;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		vmp_existing_vm *x = &h->existing[i];

		if ((err = element(&e, where, sizeof(where), ld, arr, "", "existing", i)) < 0 ||
		    (err = get_str(x->name, sizeof(x->name), ld, e, where, "name", true)) < 0 ||
		    (err = get_cpuset(&x->cpus, ld, e, where, "cpus", false)) < 0 ||
		    (err = get_u64(&x->memory_bytes, ld, e, where, "memory_bytes", false)) < 0 ||
		    (err = get_cpuset(&x->nodes, ld, e, where, "nodes", false)) < 0)
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

	if ((err = get_object(&bw, ld, root, "", "bandwidth", false)) < 0)
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
		return bad(ld, "", NULL, "not a JSON object");
	if ((err = get_int(&schema, ld, root, "", "schema", true, 1, INT32_MAX)) < 0)
		return err;
	if (schema > VMP_HOST_SCHEMA)
		return bad(ld, "", "schema",
			   "%d is newer than this vmplan understands (%d); upgrade vmplan", schema,
			   VMP_HOST_SCHEMA);
	if ((err = get_str(h->hostname, sizeof(h->hostname), ld, root, "", "hostname", false)) <
		0 ||
	    (err = get_str(source, sizeof(source), ld, root, "", "source", false)) < 0)
		return err;
	h->source = NSOURCES;
	for (unsigned i = 0; i < NSOURCES; i++)
		if (!strcmp(source, source_names[i]))
			h->source = (vmp_host_source)i;
	if (h->source == NSOURCES)
		return bad(ld, "", "source",
			   "must be one of live, xml, synthetic, fsroot, libvirt, json");
	if ((err = load_packages(ld, root)) < 0 || (err = load_nodes(ld, root)) < 0 ||
	    (err = load_l3(ld, root)) < 0 || (err = load_cores(ld, root)) < 0 ||
	    (err = load_pus(ld, root)) < 0)
		return err;
	/* Without "online", every PU of the model can run vCPUs. */
	if (json_object_get(root, "online")) {
		if ((err = get_cpuset(&h->online, ld, root, "", "online", false)) < 0)
			return err;
	} else {
		for (int i = 0; i < h->npus; i++)
			vmp_cpuset_set(&h->online, h->pus[i].os_index);
	}
	if ((err = load_distances(ld, root)) < 0 ||
	    (err = get_cpuset(&h->reserved, ld, root, "", "reserved", false)) < 0 ||
	    (err = get_cpuset(&h->isolated, ld, root, "", "isolated", false)) < 0 ||
	    (err = get_cpuset(&h->nohz_full, ld, root, "", "nohz_full", false)) < 0 ||
	    (err = get_cpuset(&h->used, ld, root, "", "used", false)) < 0 ||
	    (err = load_resctrl(ld, root)) < 0 || (err = load_devices(ld, root)) < 0 ||
	    (err = load_existing(ld, root)) < 0 || (err = load_measurements(ld, root)) < 0)
		return err;
	if (vmp_host_check(h) < 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", vmp_error_last());
		vmp_error_set("cannot load host '%s': %s", ld->path, msg);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

int vmp_host_load_json(vmp_host **out, const char *path)
{
	struct ld ld = {.path = path};
	struct stat st;
	json_error_t jerr;
	json_t *root = NULL;
	FILE *f = NULL;
	int err;

	*out = NULL;
	/* jansson's own message for a missing file does not say which code to return. */
	if (!(f = fopen(path, "r"))) {
		vmp_error_set("cannot read host '%s': %s", path, strerror(errno));
		return errno == ENOMEM ? VMP_ENOMEM : VMP_ENOTFOUND;
	}
	/* A directory opens; reading it fails, which jansson reports as an empty document. */
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		vmp_error_set("cannot read host '%s': %s", path, strerror(EISDIR));
		fclose(f);
		return VMP_ENOTFOUND;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			err = no_memory();
		else
			err = bad(&ld, "", NULL, "not valid JSON at line %d, column %d: %s",
				  jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if ((err = vmp_host_new(&ld.h)) < 0 || (err = load_root(&ld, root)) < 0)
		goto out;
	*out = ld.h;
	ld.h = NULL;
out:
	vmp_host_free(ld.h);
	json_decref(root);
	if (f)
		fclose(f);
	return err;
}
