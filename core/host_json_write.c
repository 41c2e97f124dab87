/* host.json: writing the host model with jansson (host_json_read.c loads it back). */
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

const char *const vmp_host_source_names[] = {
    [VMP_SOURCE_LIVE] = "live",           [VMP_SOURCE_XML] = "xml",
    [VMP_SOURCE_SYNTHETIC] = "synthetic", [VMP_SOURCE_FSROOT] = "fsroot",
    [VMP_SOURCE_LIBVIRT] = "libvirt",     [VMP_SOURCE_JSON] = "json",
};

const char *const vmp_host_mb_unit_names[] = {
    [VMP_MB_PERCENT] = "percent",
    [VMP_MB_AMD_GBS8] = "amd_gbs8",
    [VMP_MB_MBPS] = "mbps",
};

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
	return chk(w, vmp_json_cpuset_new(set));
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
		       json_pack("{s:i,s:o,s:o}", "id", c->domains[i].id, "used_mask",
				 hex_json(w, c->domains[i].used_mask), "default_mask",
				 hex_json(w, c->domains[i].default_mask)));
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
		    json_string(vmp_host_mb_unit_names[r->mb.unit < NMB_UNITS ? r->mb.unit : 0]));
		set(w, mb, "domains", doms);
	} else {
		json_decref(doms);
	}
	set(w, o, "mb", mb);
	return o;
}

/* The topology: packages, NUMA nodes, L3 domains, cores and PUs, referring by id. */
static void topology_json(struct wr *w, json_t *root, const vmp_host *h)
{
	json_t *a;

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
}

static json_t *host_json(struct wr *w, const vmp_host *h)
{
	json_t *root = chk(w, json_object()), *a, *bw;

	if (!root)
		return NULL;
	set(w, root, "schema", json_integer(VMP_HOST_SCHEMA));
	set(w, root, "hostname", json_string(h->hostname));
	set(w, root, "source",
	    json_string(vmp_host_source_names[(unsigned)h->source < NSOURCES ? h->source : 0]));

	topology_json(w, root, h);
	if (*h->cpu_model)
		set(w, root, "cpu_model", json_string(h->cpu_model));

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
