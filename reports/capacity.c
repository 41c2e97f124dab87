/* Capacity: the report of how many more VMs of each shape fit each host and the fleet. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/capview.h"
#include "vmplan/capacity.h"
#include "vmplan/error.h"

static void group_name(char *buf, size_t size, const vmp_vm_request *q)
{
	char mem[32];

	report_bytes(mem, sizeof(mem), q->memory_bytes);
	snprintf(buf, size, "%s%s%u vCPU%s, %s", q->profile, q->profile[0] ? ", " : "", q->vcpus,
		 q->vcpus == 1 ? "" : "s", mem);
}

static void add_member(cgroup *g, const char *name)
{
	size_t len = strlen(g->members), room = sizeof(g->members) - len;

	if (len && !strcmp(g->members + len - 3, "..."))
		return;
	if (strlen(name) + 2 + 4 >= room) {
		snprintf(g->members + len, room, ", ...");
		return;
	}
	snprintf(g->members + len, room, "%s%s", len ? ", " : "", name);
}

int capview_init(capview *v, const vmp_capacity_report *r)
{
	memset(v, 0, sizeof(*v));
	v->r = r;
	if (!(v->g = calloc((size_t)r->nshapes + 1, sizeof(*v->g)))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (int u = 0; u < r->nshapes; u++) {
		int k = 0;
		while (k < v->ngroups &&
		       !vmp_capacity_same_shape(&r->shapes[v->g[k].first], &r->shapes[u]))
			k++;
		if (k == v->ngroups) {
			int twins = 0;
			v->g[k].first = u;
			group_name(v->g[k].name, sizeof(v->g[k].name), &r->shapes[u]);
			/* Shapes that differ only in keys the name leaves out stay apart. */
			for (int j = 0; j < k; j++)
				twins += !strncmp(v->g[j].name, v->g[k].name, strlen(v->g[k].name));
			if (twins)
				snprintf(v->g[k].name + strlen(v->g[k].name),
					 sizeof(v->g[k].name) - strlen(v->g[k].name), " (#%d)",
					 twins + 1);
			v->ngroups++;
		}
		v->g[k].n++;
		add_member(&v->g[k], r->shapes[u].name);
	}
	return VMP_OK;
}

void capview_free(capview *v)
{
	free(v->g);
	v->g = NULL;
}

int capview_mix_host(const capview *v, int p)
{
	for (int i = 0; i < v->r->nhosts; i++)
		if (vmp_capacity_at(v->r, p, i, v->r->nshapes)->count >= 1)
			return i;
	return -1;
}

long capview_mix_total(const capview *v, int p, bool *capped)
{
	long n = 0;

	*capped = false;
	for (int i = 0; i < v->r->nhosts; i++) {
		const vmp_capacity_count *c = vmp_capacity_at(v->r, p, i, v->r->nshapes);
		n += c->count;
		*capped |= c->capped;
	}
	return n;
}

long capview_alone(const capview *v, int p, int k, bool *capped)
{
	long n = 0;

	*capped = false;
	for (int i = 0; i < v->r->nhosts; i++) {
		const vmp_capacity_count *c = vmp_capacity_at(v->r, p, i, v->g[k].first);
		n += c->count;
		*capped |= c->capped;
	}
	return n;
}

long capview_more(const capview *v, int p, int k, bool *capped)
{
	int m = capview_mix_host(v, p);
	long n = 0;

	*capped = false;
	if (m < 0)
		return -1;
	for (int i = 0; i < v->r->nhosts; i++) {
		const vmp_capacity_count *c =
		    i == m ? vmp_capacity_beside_at(v->r, p, i, v->g[k].first)
			   : vmp_capacity_at(v->r, p, i, v->g[k].first);
		n += c->count;
		*capped |= c->capped;
	}
	return n;
}

/* Add one host's count to a fleet figure's proof. */
static void proof_add(capproof *pf, const vmp_capacity_count *c)
{
	if (c->proof != VMP_CAPACITY_OPTIMAL && pf->proof == VMP_CAPACITY_OPTIMAL)
		pf->proof = c->proof;
	if (c->proof == VMP_CAPACITY_HEURISTIC)
		pf->proof = VMP_CAPACITY_HEURISTIC;
	if (c->bound < 0 || pf->bound < 0)
		pf->bound = -1;
	else
		pf->bound += c->bound;
}

void capview_alone_proof(capproof *out, const capview *v, int p, int k)
{
	out->proof = VMP_CAPACITY_OPTIMAL;
	out->bound = 0;
	for (int i = 0; i < v->r->nhosts; i++)
		proof_add(out, vmp_capacity_at(v->r, p, i, v->g[k].first));
}

void capview_more_proof(capproof *out, const capview *v, int p, int k)
{
	int m = capview_mix_host(v, p);

	out->proof = VMP_CAPACITY_OPTIMAL;
	out->bound = 0;
	for (int i = 0; m >= 0 && i < v->r->nhosts; i++)
		proof_add(out, i == m ? vmp_capacity_beside_at(v->r, p, i, v->g[k].first)
				      : vmp_capacity_at(v->r, p, i, v->g[k].first));
}

void capview_mix_proof(capproof *out, const capview *v, int p)
{
	out->proof = VMP_CAPACITY_OPTIMAL;
	out->bound = 0;
	for (int i = 0; i < v->r->nhosts; i++)
		proof_add(out, vmp_capacity_at(v->r, p, i, v->r->nshapes));
}

void capview_count_text(char *buf, size_t size, long n, bool capped, const capproof *pf)
{
	if (n < 0)
		snprintf(buf, size, "-");
	else if (capped)
		snprintf(buf, size, "%ld+", n);
	else if (pf->proof == VMP_CAPACITY_OPTIMAL)
		snprintf(buf, size, "%ld (optimal)", n);
	else if (pf->proof == VMP_CAPACITY_BOUNDED && pf->bound >= 0)
		snprintf(buf, size, ">= %ld (bound %ld)", n, pf->bound);
	else if (pf->bound >= 0)
		snprintf(buf, size, ">= %ld (heuristic, bound %ld)", n, pf->bound);
	else
		snprintf(buf, size, ">= %ld (heuristic)", n);
}

const char *capview_more_binds(const capview *v, int p, int k)
{
	int m = capview_mix_host(v, p);

	if (m < 0)
		return "";
	return vmp_bind_name(vmp_capacity_beside_at(v->r, p, m, v->g[k].first)->bind);
}

const char *capview_zero_why(const capview *v, int p, const vmp_capacity_count *c, int k)
{
	const vmp_vm_request *q = k >= 0 ? &v->r->shapes[v->g[k].first] : NULL;

	if (c->count || c->bind != VMP_BIND_HOUSEKEEPING)
		return NULL;
	if (!strcmp(v->r->policies[p], "none"))
		return q && q->emulator == VMP_EMULATOR_ISOLATE
			   ? "emulator=isolate needs housekeeping CPUs; reserve none has none"
			   : "needs housekeeping CPUs; reserve none has none";
	return "needs housekeeping CPUs";
}

bool capview_host_headroom(vmp_capacity_node *out, const vmp_capacity_host *h)
{
	memset(out, 0, sizeof(*out));
	out->node = -1;
	if (!h->mix_fits || !h->headroom)
		return false;
	for (int n = 0; n < h->nnodes; n++) {
		const vmp_capacity_node *x = &h->headroom[n];
		out->pus += x->pus;
		out->free_pus += x->free_pus;
		out->memory_bytes += x->memory_bytes;
		out->free_memory_bytes += x->free_memory_bytes;
		out->hugepage_bytes += x->hugepage_bytes;
		out->free_hugepage_bytes += x->free_hugepage_bytes;
		out->cache_ways += x->cache_ways;
		out->free_cache_ways += x->free_cache_ways;
	}
	return true;
}

static json_t *count_json(const vmp_capacity_count *c)
{
	json_t *o =
	    json_pack("{s:i, s:b, s:s, s:s, s:i, s:i, s:I, s:I, s:i, s:i, s:I}", "count", c->count,
		      "capped", c->capped, "binds", vmp_bind_name(c->bind), "reason", c->reason,
		      "free_pus", c->free_pus, "free_cores", c->free_cores, "free_memory_bytes",
		      (json_int_t)c->free_memory_bytes, "free_hugepage_bytes",
		      (json_int_t)c->free_hugepage_bytes, "stranded_siblings", c->stranded_siblings,
		      "stranded_cpus", c->stranded_cpus, "stranded_memory_bytes",
		      (json_int_t)c->stranded_memory_bytes);

	json_object_set_new(o, "proof", json_string(vmp_capacity_proof_name(c->proof)));
	json_object_set_new(o, "bound", c->bound < 0 ? json_null() : json_integer(c->bound));
	json_object_set_new(o, "heuristic_count", json_integer(c->heuristic));
	return o;
}

static json_t *node_json(const vmp_capacity_node *x)
{
	return json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:i, s:i}", "node", x->node, "pus",
			 x->pus, "free_pus", x->free_pus, "memory_bytes",
			 (json_int_t)x->memory_bytes, "free_memory_bytes",
			 (json_int_t)x->free_memory_bytes, "hugepage_bytes",
			 (json_int_t)x->hugepage_bytes, "free_hugepage_bytes",
			 (json_int_t)x->free_hugepage_bytes, "cache_ways", x->cache_ways,
			 "free_cache_ways", x->free_cache_ways);
}

static json_t *hosts_json(const vmp_capacity_report *r)
{
	json_t *a = json_array();

	for (int i = 0; i < r->nhosts; i++) {
		const vmp_capacity_host *h = &r->hosts[i];
		json_t *o =
		    json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:I, s:b}", "label", h->label,
			      "fingerprint", h->fingerprint, "packages", h->npackages, "nodes",
			      h->nnodes, "cores", h->ncores, "pus", h->npus, "memory_bytes",
			      (json_int_t)h->memory_bytes, "mix_fits", h->mix_fits);
		json_t *n = json_array();
		for (int k = 0; h->headroom && k < h->nnodes; k++)
			json_array_append_new(n, node_json(&h->headroom[k]));
		json_object_set_new(o, "headroom", n);
		json_array_append_new(a, o);
	}
	return a;
}

/* A fleet figure's proof as PREFIXproof and PREFIXbound (null: none). */
static void proof_json(json_t *o, const char *prefix, const capproof *pf)
{
	char key[32];

	snprintf(key, sizeof(key), "%sproof", prefix);
	json_object_set_new(o, key, json_string(vmp_capacity_proof_name(pf->proof)));
	snprintf(key, sizeof(key), "%sbound", prefix);
	json_object_set_new(o, key, pf->bound < 0 ? json_null() : json_integer(pf->bound));
}

static json_t *groups_json(const capview *v)
{
	json_t *a = json_array();

	for (int k = 0; k < v->ngroups; k++) {
		const vmp_vm_request *q = &v->r->shapes[v->g[k].first];
		json_t *fleet = json_array(), *vms = json_array();
		for (int u = 0; u < v->r->nshapes; u++)
			if (vmp_capacity_same_shape(q, &v->r->shapes[u]))
				json_array_append_new(vms, json_string(v->r->shapes[u].name));
		for (int p = 0; p < v->r->npolicies; p++) {
			bool c1, c2;
			long alone = capview_alone(v, p, k, &c1), more = capview_more(v, p, k, &c2);
			capproof pa, pm;
			json_t *o;
			capview_alone_proof(&pa, v, p, k);
			capview_more_proof(&pm, v, p, k);
			o = json_pack("{s:s, s:I, s:b, s:o, s:b, s:s}", "policy", v->r->policies[p],
				      "alone", (json_int_t)alone, "alone_capped", c1, "more",
				      more < 0 ? json_null() : json_integer(more), "more_capped",
				      c2, "more_binds", capview_more_binds(v, p, k));
			proof_json(o, "alone_", &pa);
			if (more >= 0)
				proof_json(o, "more_", &pm);
			json_array_append_new(fleet, o);
		}
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:i, s:I, s:o, s:o}", "shape", v->g[k].name, "profile",
				 q->profile, "vcpus", (int)q->vcpus, "memory_bytes",
				 (json_int_t)q->memory_bytes, "vms", vms, "fleet", fleet));
	}
	return a;
}

/* counts[]: per policy, host and unit (a shape of the mix, or null for the whole mix),
 * the count alone on the host and, for a shape, the count beside one whole mix. */
static json_t *counts_json(const vmp_capacity_report *r)
{
	json_t *a = json_array();

	for (int p = 0; p < r->npolicies; p++)
		for (int i = 0; i < r->nhosts; i++)
			for (int u = 0; u <= r->nshapes; u++) {
				json_t *o = count_json(vmp_capacity_at(r, p, i, u));
				json_object_set_new(o, "policy", json_string(r->policies[p]));
				json_object_set_new(o, "host", json_string(r->hosts[i].label));
				json_object_set_new(o, "shape",
						    u < r->nshapes ? json_string(r->shapes[u].name)
								   : json_null());
				if (u < r->nshapes)
					json_object_set_new(
					    o, "beside_mix",
					    count_json(vmp_capacity_beside_at(r, p, i, u)));
				json_array_append_new(a, o);
			}
	return a;
}

static char *capacity_json(const capview *v, const rchart *charts, int ncharts)
{
	const vmp_capacity_report *r = v->r;
	json_t *root = json_object(), *a = json_array();
	char *s;

	json_object_set_new(root, "report", json_string("capacity"));
	for (int p = 0; p < r->npolicies; p++)
		json_array_append_new(a, json_string(r->policies[p]));
	json_object_set_new(root, "policies", a);
	json_object_set_new(root, "hosts", hosts_json(r));
	a = json_array();
	for (int u = 0; u < r->nshapes; u++) {
		const vmp_vm_request *q = &r->shapes[u];
		json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:I}", "name", q->name,
						   "profile", q->profile, "vcpus", (int)q->vcpus,
						   "memory_bytes", (json_int_t)q->memory_bytes));
	}
	json_object_set_new(root, "vms", a);
	json_object_set_new(root, "shapes", groups_json(v));
	json_object_set_new(root, "counts", counts_json(r));
	a = json_array();
	for (int p = 0; p < r->npolicies; p++) {
		bool capped;
		long n = capview_mix_total(v, p, &capped);
		capproof pf;
		json_t *o = json_pack("{s:s, s:I, s:b}", "policy", r->policies[p], "count",
				      (json_int_t)n, "capped", capped);
		capview_mix_proof(&pf, v, p);
		proof_json(o, "", &pf);
		json_array_append_new(a, o);
	}
	json_object_set_new(root, "whole_mix", a);
	json_object_set_new(root, "charts", report_charts_json(charts, ncharts));
	s = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	return s;
}

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
static void csv_field(rbuf *b, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		rbuf_add(b, "\"");
		for (const char *p = s; *p; p++)
			rbuf_addn(b, p, 1 + (*p == '"'));
		rbuf_add(b, "\"");
	} else {
		rbuf_add(b, "%s", s);
	}
	rbuf_add(b, last ? "\n" : ",");
}

static void csv_count(rbuf *b, const vmp_capacity_count *c, bool last)
{
	char n[32];

	snprintf(n, sizeof(n), "%d%s", c->count, c->capped ? "+" : "");
	csv_field(b, n, false);
	csv_field(b, vmp_bind_name(c->bind), false);
	csv_field(b, c->capped ? "" : c->reason, last);
}

/* The proof columns after the others: what is proven of a count, and its bound. */
static void csv_proof(rbuf *b, const vmp_capacity_count *c, bool last)
{
	char n[32] = "";

	csv_field(b, vmp_capacity_proof_name(c->proof), false);
	if (c->bound >= 0)
		snprintf(n, sizeof(n), "%d", c->bound);
	csv_field(b, n, last);
}

/* Per policy, host and shape (then the whole mix): one row for spreadsheets. */
static char *capacity_csv_text(const capview *v)
{
	const vmp_capacity_report *r = v->r;
	rbuf b = {0};
	char n[32];

	rbuf_add(&b, "policy,host,shape,vms,vms_in_mix,fits_alone,alone_binds,alone_reason,"
		     "more_beside_mix,beside_binds,beside_reason,alone_proof,alone_bound,"
		     "beside_proof,beside_bound\n");
	for (int p = 0; p < r->npolicies; p++)
		for (int i = 0; i < r->nhosts; i++)
			for (int k = 0; k <= v->ngroups; k++) {
				int u = k < v->ngroups ? v->g[k].first : r->nshapes;
				csv_field(&b, r->policies[p], false);
				csv_field(&b, r->hosts[i].label, false);
				csv_field(&b, k < v->ngroups ? v->g[k].name : "whole mix", false);
				csv_field(&b, k < v->ngroups ? v->g[k].members : "", false);
				snprintf(n, sizeof(n), "%d",
					 k < v->ngroups ? v->g[k].n : r->nshapes);
				csv_field(&b, n, false);
				csv_count(&b, vmp_capacity_at(r, p, i, u), false);
				if (k < v->ngroups)
					csv_count(&b, vmp_capacity_beside_at(r, p, i, u), false);
				else /* the same columns on every row */
					rbuf_add(&b, ",,,");
				csv_proof(&b, vmp_capacity_at(r, p, i, u), false);
				if (k < v->ngroups)
					csv_proof(&b, vmp_capacity_beside_at(r, p, i, u), true);
				else
					rbuf_add(&b, ",\n");
			}
	return rbuf_take(&b);
}

int vmp_capacity_report_csv(char **out, const vmp_capacity_report *r)
{
	capview v;
	int err;

	*out = NULL;
	if ((err = capview_init(&v, r)) < 0)
		return err;
	if (!(*out = capacity_csv_text(&v))) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
	}
	capview_free(&v);
	return err;
}

int vmp_capacity_report_write(char **text, char **json, const vmp_capacity_report *r,
			      const vmp_report_opts *opts)
{
	char prog[4096];
	rchart charts[VMP_REPORT_MAX_CHARTS];
	char *js = NULL, *csv = NULL;
	int err, ncharts = 0;
	capview v;
	rdoc term, full;

	rdoc_init(&term, "vmplan capacity report");
	rdoc_init(&full, "vmplan capacity report");
	if ((err = capview_init(&v, r)) < 0)
		goto out;
	if ((err = report_prepare(prog, sizeof(prog), opts)) < 0 ||
	    (err = capacity_charts(charts, &ncharts, &v, opts)) < 0)
		goto out;
	capacity_docs(&term, &full, &v, charts, ncharts, opts->detail);
	if (!(js = capacity_json(&v, charts, ncharts)) || !(csv = capacity_csv_text(&v))) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	if ((err = report_write_file(opts->out_dir, "capacity.csv", csv, strlen(csv))) < 0)
		goto out;
	err = report_finish_docs(text, json, &full, &term, js, opts);
out:
	report_end(); /* nothing of a report that failed */
	free(js);
	free(csv);
	capview_free(&v);
	rdoc_free(&term);
	rdoc_free(&full);
	return err;
}
