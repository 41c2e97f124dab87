/* plan.json's host identity and the free resources seen at plan time, written and read back. */
#include <stdio.h>
#include <string.h>

#include "identity_json.h"
#include "vmplan/error.h"

static json_t *free_json(const vmp_host_identity *id)
{
	json_t *nodes = json_array();

	for (int i = 0; i < id->nnodes; i++) {
		const vmp_identity_node *n = &id->nodes[i];
		json_t *pools = json_array();

		for (int k = 0; k < n->nhugepages; k++)
			json_array_append_new(pools,
					      json_pack("{s:I, s:I, s:I}", "size_kib",
							(json_int_t)n->hugepages[k].size_kib,
							"total", (json_int_t)n->hugepages[k].total,
							"free", (json_int_t)n->hugepages[k].free));
		json_array_append_new(nodes,
				      json_pack("{s:i, s:I, s:o}", "id", n->id, "free_bytes",
						(json_int_t)n->free_bytes, "hugepages", pools));
	}
	return json_pack("{s:i, s:o}", "resctrl_groups_used", (int)id->groups_used, "nodes", nodes);
}

void vmp_identity_json_add(json_t *root, const vmp_host_identity *id)
{
	json_t *o, *nodes;

	if (!id->present)
		return;
	o = json_object();
	nodes = json_array();
	json_object_set_new(o, "fingerprint", json_string(id->fingerprint));
	json_object_set_new(o, "cpu_model", json_string(id->cpu_model));
	json_object_set_new(o, "packages", json_integer(id->npackages));
	json_object_set_new(o, "cores", json_integer(id->ncores));
	json_object_set_new(o, "cpus", vmp_json_cpuset_new(&id->pus));
	json_object_set_new(o, "l3_domains", json_integer(id->nl3));
	json_object_set_new(o, "l3_bytes", json_integer((json_int_t)id->l3_bytes));
	json_object_set_new(o, "resctrl", json_boolean(id->resctrl));
	json_object_set_new(o, "l3_cbm_mask", json_integer((json_int_t)id->l3_cbm_mask));
	json_object_set_new(o, "l3_closids", json_integer(id->l3_closids));
	json_object_set_new(o, "mb", json_boolean(id->mb));
	for (int i = 0; i < id->nnodes; i++)
		json_array_append_new(
		    nodes, json_pack("{s:i, s:o, s:I}", "id", id->nodes[i].id, "cpus",
				     vmp_json_cpuset_new(&id->nodes[i].cpus), "memory_bytes",
				     (json_int_t)id->nodes[i].memory_bytes));
	json_object_set_new(o, "nodes", nodes);
	json_object_set_new(root, "identity", o);
	json_object_set_new(root, "host_free", free_json(id));
}

static int load_node(vmp_identity_node *n, const vmp_json_ctx *c, json_t *e, size_t i)
{
	char where[48];
	int err;

	snprintf(where, sizeof(where), "identity.nodes[%zu]", i);
	if ((err = vmp_json_int(&n->id, c, e, where, "id", true, 0, 4096)) < 0 ||
	    (err = vmp_json_cpuset(&n->cpus, c, e, where, "cpus", true, true)) < 0 ||
	    (err = vmp_json_u64(&n->memory_bytes, c, e, where, "memory_bytes", true)) < 0)
		return err;
	n->free_bytes = n->memory_bytes;
	return VMP_OK;
}

static int load_pools(vmp_identity_node *n, const vmp_json_ctx *c, json_t *e, const char *where)
{
	json_t *a, *p;
	size_t k;
	int err;

	if ((err = vmp_json_u64(&n->free_bytes, c, e, where, "free_bytes", true)) < 0 ||
	    (err = vmp_json_array(&a, c, e, where, "hugepages", true, false)) < 0)
		return err;
	if (json_array_size(a) > VMP_PAGESIZES_MAX)
		return vmp_json_bad(c, where, "hugepages", "more than %d page sizes",
				    VMP_PAGESIZES_MAX);
	json_array_foreach(a, k, p)
	{
		vmp_hugepages *h = &n->hugepages[k];
		char w[96];

		snprintf(w, sizeof(w), "%s.hugepages[%zu]", where, k);
		if ((err = vmp_json_u64(&h->size_kib, c, p, w, "size_kib", true)) < 0 ||
		    (err = vmp_json_u64(&h->total, c, p, w, "total", true)) < 0 ||
		    (err = vmp_json_u64(&h->free, c, p, w, "free", true)) < 0)
			return err;
	}
	n->nhugepages = (int)json_array_size(a);
	return VMP_OK;
}

/* "host_free": matched to the identity's nodes by id; optional. */
static int load_free(vmp_host_identity *out, const vmp_json_ctx *c, json_t *root)
{
	json_t *o, *a, *e;
	size_t i;
	int err;

	if ((err = vmp_json_object(&o, c, root, "", "host_free", false, false)) < 0 || !o)
		return err;
	if ((err = vmp_json_uint(&out->groups_used, c, o, "host_free", "resctrl_groups_used",
				 true)) < 0 ||
	    (err = vmp_json_array(&a, c, o, "host_free", "nodes", true, false)) < 0)
		return err;
	json_array_foreach(a, i, e)
	{
		char where[48];
		int id = 0;

		snprintf(where, sizeof(where), "host_free.nodes[%zu]", i);
		if ((err = vmp_json_int(&id, c, e, where, "id", true, 0, 4096)) < 0)
			return err;
		for (int n = 0; n < out->nnodes; n++)
			if (out->nodes[n].id == id &&
			    (err = load_pools(&out->nodes[n], c, e, where)) < 0)
				return err;
	}
	return VMP_OK;
}

static int load_scalars(vmp_host_identity *out, const vmp_json_ctx *c, json_t *o)
{
	const char *w = "identity";
	int err;

	if ((err = vmp_json_str(out->fingerprint, sizeof(out->fingerprint), c, o, w, "fingerprint",
				true)) < 0 ||
	    (err = vmp_json_str(out->cpu_model, sizeof(out->cpu_model), c, o, w, "cpu_model",
				true)) < 0 ||
	    (err = vmp_json_int(&out->npackages, c, o, w, "packages", true, 0, 1 << 20)) < 0 ||
	    (err = vmp_json_int(&out->ncores, c, o, w, "cores", true, 0, 1 << 20)) < 0 ||
	    (err = vmp_json_cpuset(&out->pus, c, o, w, "cpus", true, true)) < 0 ||
	    (err = vmp_json_int(&out->nl3, c, o, w, "l3_domains", true, 0, 1 << 20)) < 0 ||
	    (err = vmp_json_u64(&out->l3_bytes, c, o, w, "l3_bytes", true)) < 0 ||
	    (err = vmp_json_bool(&out->resctrl, c, o, w, "resctrl", true)) < 0 ||
	    (err = vmp_json_u64(&out->l3_cbm_mask, c, o, w, "l3_cbm_mask", true)) < 0 ||
	    (err = vmp_json_uint(&out->l3_closids, c, o, w, "l3_closids", true)) < 0 ||
	    (err = vmp_json_bool(&out->mb, c, o, w, "mb", true)) < 0)
		return err;
	return VMP_OK;
}

int vmp_identity_json_load(vmp_host_identity *out, const vmp_json_ctx *c, json_t *root)
{
	json_t *o, *a, *e;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = vmp_json_object(&o, c, root, "", "identity", false, false)) < 0 || !o)
		return err;
	if ((err = load_scalars(out, c, o)) < 0 ||
	    (err = vmp_json_array(&a, c, o, "identity", "nodes", true, false)) < 0)
		return err;
	if (json_array_size(a) > VMP_IDENTITY_NODES_MAX)
		return vmp_json_bad(c, "identity", "nodes", "more than %d nodes",
				    VMP_IDENTITY_NODES_MAX);
	json_array_foreach(a, i, e)
	{
		if ((err = load_node(&out->nodes[i], c, e, i)) < 0)
			return err;
		out->nnodes = (int)i + 1;
	}
	out->present = true;
	return load_free(out, c, root);
}
