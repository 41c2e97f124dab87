/* Bench names, the plan hash, the comparison with baselines, the gate and results.json. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vmplan/bench.h"
#include "vmplan/error.h"
#include "vmplan/profile.h"
#include "vmplan/request.h"

static const char *const workload_names[VMP_BENCH_NWORKLOADS] = {"stream", "latency", "c2c",
								 "compute", "noisy"};
static const char *const metric_names[VMP_BENCH_NWORKLOADS] = {"triad_gbs", "latency_ns", "c2c_ns",
							       "ops_per_s", "latency_ns"};
static const char *const unit_names[VMP_BENCH_NWORKLOADS] = {"GB/s", "ns", "ns", "ops/s", "ns"};
static const char *const variant_names[VMP_BENCH_NVARIANTS] = {"plan", "unpinned", "naive"};

const char *vmp_bench_workload_name(vmp_bench_workload w)
{
	return (unsigned)w < VMP_BENCH_NWORKLOADS ? workload_names[w] : "unknown";
}

const char *vmp_bench_metric_name(vmp_bench_workload w)
{
	return (unsigned)w < VMP_BENCH_NWORKLOADS ? metric_names[w] : "unknown";
}

const char *vmp_bench_unit_name(vmp_bench_workload w)
{
	return (unsigned)w < VMP_BENCH_NWORKLOADS ? unit_names[w] : "";
}

bool vmp_bench_higher_is_better(vmp_bench_workload w)
{
	return w == VMP_BENCH_STREAM || w == VMP_BENCH_COMPUTE;
}

const char *vmp_bench_variant_name(vmp_bench_variant v)
{
	return (unsigned)v < VMP_BENCH_NVARIANTS ? variant_names[v] : "unknown";
}

int vmp_bench_workload_parse(vmp_bench_workload *out, const char *name)
{
	for (int k = 0; k < VMP_BENCH_NWORKLOADS; k++)
		if (!strcmp(name, workload_names[k])) {
			*out = (vmp_bench_workload)k;
			return VMP_OK;
		}
	vmp_error_set("unknown workload '%s': use stream, latency, c2c, compute or noisy", name);
	return VMP_EINVAL;
}

int vmp_bench_variant_parse(vmp_bench_variant *out, const char *name)
{
	for (int k = 0; k < VMP_BENCH_NVARIANTS; k++)
		if (!strcmp(name, variant_names[k])) {
			*out = (vmp_bench_variant)k;
			return VMP_OK;
		}
	vmp_error_set("unknown variant '%s': use plan, unpinned or naive", name);
	return VMP_EINVAL;
}

int vmp_bench_workloads_parse(vmp_bench_options *opts, const char *list)
{
	char buf[256], *save = NULL, *tok;
	int n = 0;

	if (strlen(list) >= sizeof(buf) || !*list) {
		vmp_error_set("bad workload list '%s': name one or more of stream, latency, c2c, "
			      "compute, noisy",
			      list);
		return VMP_EINVAL;
	}
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		vmp_bench_workload w;
		int err;

		if ((err = vmp_bench_workload_parse(&w, tok)) < 0)
			return err;
		for (int k = 0; k < n; k++)
			if (opts->workloads[k] == w) {
				vmp_error_set("workload '%s' given twice in '%s'", tok, list);
				return VMP_EINVAL;
			}
		opts->workloads[n++] = w;
	}
	if (n == 0) {
		vmp_error_set("bad workload list '%s': name one or more of stream, latency, c2c, "
			      "compute, noisy",
			      list);
		return VMP_EINVAL;
	}
	opts->nworkloads = n;
	return VMP_OK;
}

int vmp_bench_request_workloads(vmp_bench_workload out[VMP_BENCH_NWORKLOADS],
				const vmp_vm_request *req)
{
	const vmp_request_key *key = vmp_request_key_find("bench_workloads");
	unsigned mask = req->bench_workloads;
	int n = 0;

	/* A plan written before the key existed names only the profile: read it again. */
	if (!mask && req->profile[0]) {
		vmp_vm_request p = {0};

		if (vmp_profile_apply(&p, req->profile) == VMP_OK)
			mask = p.bench_workloads;
		else
			vmp_error_clear(); /* an unknown profile benches as none */
	}
	for (int i = 0; key && key->names[i] && n < VMP_BENCH_NWORKLOADS; i++)
		if ((mask & (1u << i)) &&
		    vmp_bench_workload_parse(&out[n], key->names[i]) == VMP_OK)
			n++;
	/* Nothing said: what the plan's NUMA, cache and hugepage choices can change. */
	if (n == 0) {
		out[n++] = VMP_BENCH_STREAM;
		out[n++] = VMP_BENCH_LATENCY;
	}
	return n;
}

int vmp_bench_profile_workloads(vmp_bench_workload out[VMP_BENCH_NWORKLOADS], const char *profile)
{
	vmp_vm_request req = {0};

	snprintf(req.profile, sizeof(req.profile), "%s", profile ? profile : "");
	return vmp_bench_request_workloads(out, &req);
}

/* FNV-1a, 64 bits, as the host fingerprint: an identity, not a defence against forgery. */
static void fnv(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= UINT64_C(0x100000001b3);
	}
}

static void fnv_text(uint64_t *h, const char *fmt, long long v)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), fmt, v);

	fnv(h, buf, (size_t)n);
}

static void fnv_set(uint64_t *h, const vmp_cpuset *set)
{
	char buf[4096];
	size_t n = vmp_cpuset_format(buf, sizeof(buf), set);

	fnv(h, buf, n < sizeof(buf) ? n : sizeof(buf) - 1);
	fnv(h, ";", 1);
}

void vmp_bench_plan_hash(char out[17], const vmp_plan *plan)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];

		fnv(&h, vm->req.name, strlen(vm->req.name) + 1);
		fnv_text(&h, "placed=%lld;", vm->placed);
		if (!vm->placed)
			continue;
		for (unsigned v = 0; v < vm->req.vcpus; v++)
			fnv_text(&h, "%lld,", vm->vcpupin[v]);
		fnv_set(&h, &vm->pcpus);
		fnv_set(&h, &vm->emulatorpin);
		for (int t = 0; t < vm->niothreads; t++)
			fnv_set(&h, &vm->iothreadpin[t]);
		for (int c = 0; c < vm->ncells; c++) {
			fnv_text(&h, "node=%lld;", vm->cells[c].host_node);
			fnv_set(&h, &vm->cells[c].vcpus);
			fnv_text(&h, "mem=%lld;", (long long)vm->cells[c].memory_bytes);
		}
		fnv_text(&h, "huge=%lld;", (long long)vm->req.hugepage_bytes);
		for (int t = 0; t < vm->ncachetune; t++) {
			fnv_text(&h, "l%lld:", vm->cachetune[t].level);
			fnv_text(&h, "%lld:", vm->cachetune[t].cache_id);
			fnv(&h, vm->cachetune[t].type, strlen(vm->cachetune[t].type));
			fnv_text(&h, ":%llx;", (long long)vm->cachetune[t].ways_mask);
		}
		for (int t = 0; t < vm->nmemorytune; t++) {
			fnv_text(&h, "mb%lld:", vm->memorytune[t].node_id);
			fnv_text(&h, "%lld;", vm->memorytune[t].bandwidth);
		}
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

const vmp_bench_result *vmp_bench_find(const vmp_bench_run *run, const char *vm,
				       vmp_bench_workload w, vmp_bench_variant variant)
{
	for (int k = 0; k < run->nresults; k++) {
		const vmp_bench_result *r = &run->results[k];

		if (r->workload == w && r->variant == variant && !strcmp(r->vm, vm))
			return r;
	}
	return NULL;
}

/*
 * The VM the m-th entry of a run (its checks, then its results) names when that entry
 * stands for a VM that ran: the vCPU 0 check of each, and the plan's results (runs without
 * checks have only those); else NULL. A VM's first such entry is the one to count.
 */
static const char *mention(const vmp_bench_run *run, int m)
{
	if (m < run->nchecks) {
		const vmp_bench_check *c = &run->checks[m];

		return c->kind == VMP_CHECK_VCPU && c->index == 0 ? c->vm : NULL;
	}
	m -= run->nchecks;
	if (m >= run->nresults || run->results[m].variant != VMP_BENCH_PLAN)
		return NULL;
	return run->results[m].vm;
}

static bool first_mention(const vmp_bench_run *run, int m)
{
	const char *name = mention(run, m), *other;

	if (!name)
		return false;
	for (int j = 0; j < m; j++)
		if ((other = mention(run, j)) && !strcmp(other, name))
			return false;
	return true;
}

/* Whether the gate has a verdict on vm: a primary metric of the plan and a baseline's. */
static bool vm_judged(const vmp_bench_run *run, const char *vm)
{
	for (int k = 0; k < run->nresults; k++) {
		const vmp_bench_result *plan = &run->results[k];

		if (plan->variant != VMP_BENCH_PLAN || !plan->primary || strcmp(plan->vm, vm))
			continue;
		for (int v = VMP_BENCH_UNPINNED; v < VMP_BENCH_NVARIANTS; v++)
			if ((run->variants & (1u << v)) &&
			    vmp_bench_find(run, vm, plan->workload, (vmp_bench_variant)v))
				return true;
	}
	return false;
}

bool vmp_bench_gate(vmp_bench_gate_item **out, int *n, const vmp_bench_run *run)
{
	vmp_bench_gate_item *items = NULL;
	int count = 0;
	bool pass = true;

	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	for (int k = 0; k < run->nchecks; k++)
		pass &= run->checks[k].ok;
	/* Figures that say nothing of the hardware: the checks decide, and there must be some. */
	if (run->perf_not_judged[0])
		return pass && run->nchecks > 0;
	for (int k = 0; k < run->nresults; k++) {
		const vmp_bench_result *plan = &run->results[k];

		if (plan->variant != VMP_BENCH_PLAN || !plan->primary)
			continue;
		for (int v = VMP_BENCH_UNPINNED; v < VMP_BENCH_NVARIANTS; v++) {
			const vmp_bench_result *base;
			vmp_bench_gate_item *it, *grown;

			if (!(run->variants & (1u << v)) ||
			    !(base = vmp_bench_find(run, plan->vm, plan->workload,
						    (vmp_bench_variant)v)))
				continue;
			grown = realloc(items, sizeof(*items) * (size_t)(count + 1));
			if (!grown)
				continue; /* judged, not kept: the verdict still counts */
			items = grown;
			it = &items[count++];
			memset(it, 0, sizeof(*it));
			snprintf(it->vm, sizeof(it->vm), "%s", plan->vm);
			it->workload = plan->workload;
			it->baseline = (vmp_bench_variant)v;
			it->plan = plan->median;
			it->base = base->median;
			/* Worse fails, and so does a verdict the samples cannot give. */
			pass &= vmp_bench_compare(&it->j, plan, base, run->threshold_pct) !=
				    VMP_VERDICT_WORSE &&
				it->j.verdict != VMP_VERDICT_INCONCLUSIVE;
		}
	}
	/* Nothing judged is no evidence: a VM without a verdict fails the gate. */
	for (int m = 0; m < run->nchecks + run->nresults; m++)
		if (first_mention(run, m))
			pass &= vm_judged(run, mention(run, m));
	if (out)
		*out = items;
	else
		free(items);
	if (n)
		*n = count;
	return pass;
}

static const char *const check_names[] = {"vcpu",      "emulator", "iothread", "memory",
					  "exclusive", "affinity", "mempolicy"};

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *set_json(const vmp_cpuset *set)
{
	char buf[4096];

	vmp_cpuset_format(buf, sizeof(buf), set);
	return json_string(buf);
}

/* One result with its samples; NULL when out of memory. */
static json_t *result_json(const vmp_bench_result *r)
{
	json_t *o = json_object(), *s = json_array();

	if (!o || !s) {
		json_decref(o);
		json_decref(s);
		return NULL;
	}
	for (int j = 0; r->samples && j < r->reps; j++)
		json_array_append_new(s, num(r->samples[j]));
	json_object_set_new(o, "vm", json_string(r->vm));
	json_object_set_new(o, "workload", json_string(vmp_bench_workload_name(r->workload)));
	json_object_set_new(o, "metric", json_string(vmp_bench_metric_name(r->workload)));
	json_object_set_new(o, "unit", json_string(vmp_bench_unit_name(r->workload)));
	json_object_set_new(o, "variant", json_string(vmp_bench_variant_name(r->variant)));
	json_object_set_new(o, "higher_is_better", json_boolean(r->higher_is_better));
	json_object_set_new(o, "primary", json_boolean(r->primary));
	json_object_set_new(o, "median", num(r->median));
	json_object_set_new(o, "min", num(r->min));
	json_object_set_new(o, "max", num(r->max));
	json_object_set_new(o, "reps", json_integer(r->reps));
	json_object_set_new(o, "samples", s);
	return o;
}

int vmp_bench_to_json(char **out, const vmp_bench_run *run, const struct vmp_bench_regression *regs,
		      int nregs)
{
	json_t *root = json_object(), *results = json_array(), *checks = json_array(),
	       *gate = json_array(), *reg = json_array(), *unjudged = json_array();
	vmp_bench_gate_item *items = NULL;
	int nitems = 0;
	bool pass;

	*out = NULL;
	if (!root || !results || !checks || !gate || !reg || !unjudged)
		goto nomem;
	pass = vmp_bench_gate(&items, &nitems, run);
	json_object_set_new(root, "schema", json_integer(1));
	json_object_set_new(root, "started_at", json_string(run->started_at));
	json_object_set_new(root, "host", json_string(run->host));
	json_object_set_new(root, "hostname", json_string(run->hostname));
	json_object_set_new(root, "version", json_string(run->version));
	json_object_set_new(root, "plan_hash", json_string(run->plan_hash));
	json_object_set_new(root, "workloads", json_string(run->workloads));
	json_object_set_new(root, "reps", json_integer(run->reps));
	json_object_set_new(root, "max_reps", json_integer(run->max_reps));
	json_object_set_new(root, "seconds", json_real(run->seconds));
	json_object_set_new(root, "wall_s", json_real(run->wall_s));
	for (int k = 0; k < run->nresults; k++) {
		json_t *o = result_json(&run->results[k]);

		if (!o)
			goto nomem;
		json_array_append_new(results, o);
	}
	for (int k = 0; k < run->nchecks; k++) {
		const vmp_bench_check *c = &run->checks[k];

		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:i, s:o, s:o, s:b}", "vm", c->vm, "kind",
			      check_names[c->kind], "variant", vmp_bench_variant_name(c->variant),
			      "index", c->index, "planned", set_json(&c->planned), "observed",
			      set_json(&c->observed), "ok", c->ok);

		if (o && c->kind == VMP_CHECK_AFFINITY)
			json_object_set_new(o, "thread", json_string(check_names[c->thread]));
		json_array_append_new(checks, o);
	}
	for (int k = 0; k < nitems; k++) {
		const vmp_bench_gate_item *it = &items[k];

		json_array_append_new(
		    gate,
		    json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:i, s:s}", "vm",
			      it->vm, "workload", vmp_bench_workload_name(it->workload), "baseline",
			      vmp_bench_variant_name(it->baseline), "plan", num(it->plan), "base",
			      num(it->base), "ratio", num(it->j.ratio), "ci_low", num(it->j.ci_lo),
			      "ci_high", num(it->j.ci_hi), "confidence", num(it->j.confidence),
			      "plan_samples", it->j.nplan, "base_samples", it->j.nbase, "verdict",
			      vmp_bench_verdict_name(it->j.verdict)));
	}
	for (int m = 0; !run->perf_not_judged[0] && m < run->nchecks + run->nresults; m++)
		if (first_mention(run, m) && !vm_judged(run, mention(run, m)))
			json_array_append_new(unjudged, json_string(mention(run, m)));
	for (int k = 0; regs && k < nregs; k++) {
		const vmp_bench_regression *g = &regs[k];

		json_array_append_new(
		    reg, json_pack("{s:s, s:s, s:s, s:o, s:o, s:i, s:o, s:b}", "vm", g->vm,
				   "workload", vmp_bench_workload_name(g->workload), "variant",
				   vmp_bench_variant_name(g->variant), "now", num(g->now),
				   "history", num(g->history), "runs", g->runs, "change_pct",
				   num(g->change_pct), "regressed", g->regressed));
	}
	json_object_set_new(root, "results", results);
	json_object_set_new(root, "checks", checks);
	json_object_set_new(
	    root, "gate",
	    json_pack("{s:b, s:s, s:s, s:o, s:o, s:o, s:o}", "pass", pass, "decided_by",
		      run->perf_not_judged[0] ? "checks" : "checks and performance",
		      "performance_not_judged", run->perf_not_judged, "threshold_pct",
		      num(run->threshold_pct > 0 ? run->threshold_pct : VMP_BENCH_GATE_THRESHOLD),
		      "items", gate, "not_judged", unjudged, "method",
		      json_string("Hodges-Lehmann interval of the ratio (Mann-Whitney inverted), "
				  "95%")));
	json_object_set_new(root, "regressions", reg);
	json_object_set_new(root, "notes", json_string(run->notes ? run->notes : ""));
	free(items);
	*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!*out) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	return VMP_OK;
nomem:
	free(items);
	json_decref(root);
	json_decref(results);
	json_decref(checks);
	json_decref(gate);
	json_decref(reg);
	json_decref(unjudged);
	vmp_error_set("out of memory");
	return VMP_ENOMEM;
}
