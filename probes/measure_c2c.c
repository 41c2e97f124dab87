/* Core-to-core latency of representative PU pairs, and what it says about the L3 domains. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/measure_internal.h"
#include "vmplan/error.h"

/* How two PUs (indexes) relate, from the closest to the farthest. */
enum relation { REL_SMT, REL_L3, REL_CROSS_L3, REL_CROSS_NODE, REL_CROSS_PACKAGE, REL_COUNT };

static const char *const relation_names[REL_COUNT] = {
    "SMT siblings", "same L3", "across L3 domains", "across nodes", "across packages"};

static enum relation relation(const vmp_host *h, int a, int b)
{
	const vmp_pu *x = &h->pus[a], *y = &h->pus[b];

	if (x->core == y->core)
		return REL_SMT;
	if (x->l3 >= 0 && x->l3 == y->l3)
		return REL_L3;
	if (x->package != y->package)
		return REL_CROSS_PACKAGE;
	if (x->node != y->node)
		return REL_CROSS_NODE;
	return REL_CROSS_L3;
}

static void add_pair(struct measure_pairs *ps, const vmp_host *h, int cpu_a, int cpu_b)
{
	int a = vmp_host_pu_index(h, cpu_a), b = vmp_host_pu_index(h, cpu_b);

	if (a < 0 || b < 0 || a == b || ps->n == ps->cap)
		return;
	for (int k = 0; k < ps->n; k++)
		if ((ps->p[k][0] == a && ps->p[k][1] == b) ||
		    (ps->p[k][0] == b && ps->p[k][1] == a))
			return;
	ps->p[ps->n][0] = a;
	ps->p[ps->n][1] = b;
	ps->n++;
}

static int first_pu_of_core(const vmp_host *h, int core)
{
	return vmp_cpuset_first(&h->cores[core].pus);
}

/*
 * Representative pairs: in each L3 domain (each package without L3s) one
 * pair of SMT siblings and one pair of cores; each L3 domain with the next
 * one of its package; the first node with every other node; the first
 * package with every other package.
 */
static void pick_pairs(struct measure_pairs *ps, const vmp_host *h)
{
	int groups = h->nl3 > 0 ? h->nl3 : h->npackages;

	for (int g = 0; g < groups; g++) {
		int smt = -1, first = -1, second = -1;

		for (int k = 0; k < h->ncores; k++) {
			const vmp_core *c = &h->cores[k];

			if ((h->nl3 > 0 ? c->l3 : c->package) != g)
				continue;
			if (smt < 0 && vmp_cpuset_count(&c->pus) >= 2)
				smt = k;
			if (first < 0)
				first = k;
			else if (second < 0)
				second = k;
		}
		if (smt >= 0) {
			int p0 = vmp_cpuset_first(&h->cores[smt].pus);

			add_pair(ps, h, p0, vmp_cpuset_next(&h->cores[smt].pus, p0));
		}
		if (second >= 0)
			add_pair(ps, h, first_pu_of_core(h, first), first_pu_of_core(h, second));
	}
	for (int d = 0; d < h->nl3; d++) {
		int pa = vmp_cpuset_first(&h->l3s[d].cpus);

		for (int e = d + 1; e < h->nl3; e++) {
			int pb = vmp_cpuset_first(&h->l3s[e].cpus);
			int ia = vmp_host_pu_index(h, pa), ib = vmp_host_pu_index(h, pb);

			if (ia >= 0 && ib >= 0 && h->pus[ia].package == h->pus[ib].package) {
				add_pair(ps, h, pa, pb);
				break;
			}
		}
	}
	for (int i = 0, first = -1; i < h->nnodes; i++) {
		int pu = vmp_cpuset_first(&h->nodes[i].cpus);

		if (pu < 0)
			continue;
		if (first < 0)
			first = pu;
		else
			add_pair(ps, h, first, pu);
	}
	for (int p = 1; p < h->npackages; p++)
		add_pair(ps, h, vmp_cpuset_first(&h->packages[0].cpus),
			 vmp_cpuset_first(&h->packages[p].cpus));
}

/* Does the ping-pong agree with the L3 domains of the topology? Say where it does not. */
static void check_domains(struct measure_run *r, const struct measure_pairs *ps)
{
	const vmp_host *h = r->host;
	double lo[REL_COUNT], hi[REL_COUNT];
	char summary[400];
	size_t len = 0;

	for (int k = 0; k < REL_COUNT; k++) {
		lo[k] = INFINITY;
		hi[k] = -INFINITY;
	}
	for (int k = 0; k < ps->n; k++) {
		int a = ps->p[k][0], b = ps->p[k][1];
		double ns = r->c2c[(size_t)a * h->npus + b];
		enum relation rel = relation(h, a, b);

		if (isnan(ns))
			continue;
		lo[rel] = fmin(lo[rel], ns);
		hi[rel] = fmax(hi[rel], ns);
	}
	summary[0] = '\0';
	for (int k = 0; k < REL_COUNT && len < sizeof(summary); k++)
		if (isfinite(lo[k]))
			len += (size_t)snprintf(summary + len, sizeof(summary) - len,
						"%s%s %.0f-%.0f ns", len ? ", " : "",
						relation_names[k], lo[k], hi[k]);
	if (len)
		measure_note(r, "core-to-core latency: %s", summary);
	if (!isfinite(lo[REL_CROSS_L3]))
		return;
	for (int k = 0; k < ps->n; k++) {
		int a = ps->p[k][0], b = ps->p[k][1];
		double ns = r->c2c[(size_t)a * h->npus + b];
		enum relation rel = relation(h, a, b);

		if (rel == REL_L3 && ns >= 0.8 * lo[REL_CROSS_L3])
			measure_note(
			    r,
			    "CPUs %d and %d share an L3 per the topology, but their core-to-core "
			    "latency (%.0f ns) is that of different L3 domains (%.0f ns): the "
			    "domain may be split",
			    h->pus[a].os_index, h->pus[b].os_index, ns, lo[REL_CROSS_L3]);
		if (rel == REL_CROSS_L3 && isfinite(hi[REL_L3]) && ns <= 1.25 * hi[REL_L3])
			measure_note(
			    r,
			    "CPUs %d and %d are in different L3 domains per the topology, but "
			    "their core-to-core latency (%.0f ns) is that of one domain (%.0f ns)",
			    h->pus[a].os_index, h->pus[b].os_index, ns, hi[REL_L3]);
	}
}

int measure_c2c_plan(struct measure_run *r)
{
	const vmp_host *host = r->host;
	struct measure_pairs *ps = &r->pairs;

	ps->cap = 2 * host->npus + 2 * host->nnodes + 2 * host->npackages + 4 * host->nl3 + 8;
	ps->p = calloc((size_t)ps->cap, sizeof(*ps->p));
	r->c2c = measure_nan_matrix((size_t)host->npus * (size_t)host->npus);
	if (!ps->p || !r->c2c) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	pick_pairs(ps, host);
	return VMP_OK;
}

int measure_c2c(struct measure_run *r)
{
	const vmp_host *h = r->host;
	const struct measure_pairs *ps = &r->pairs;
	int err = VMP_OK;

	for (int k = 0; k < ps->n; k++) {
		int a = ps->p[k][0], b = ps->p[k][1];
		double ns;

		if ((err = engine_c2c(&ns, NULL, h->pus[a].os_index, h->pus[b].os_index,
				      r->lp.pp_trials, r->lp.pp_iters)) < 0)
			return measure_team_error(err);
		r->c2c[(size_t)a * h->npus + b] = ns;
		r->c2c[(size_t)b * h->npus + a] = ns;
		measure_step(r, 1, "core-to-core latency, CPUs %d and %d (%s)", h->pus[a].os_index,
			     h->pus[b].os_index, relation_names[relation(h, a, b)]);
	}
	r->rep->c2c_pairs = ps->n;
	check_domains(r, ps);
	return err;
}
