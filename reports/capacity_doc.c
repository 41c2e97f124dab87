/* Capacity documents: a summary that fits a screen, and every table for the HTML page. */
#include <stdio.h>
#include <string.h>

#include "reports/capview.h"

/* The answer first: the whole mix, then per shape how many more fit and what stops them. */
static void doc_lead(rdoc *d, const capview *v)
{
	const vmp_capacity_report *r = v->r;
	int m = capview_mix_host(v, 0);
	bool capped;
	long mix = capview_mix_total(v, 0, &capped);
	char n[64];
	capproof pf;

	rdoc_p(d, "%d host%s%s%s, %d VM%s in %d shape%s, reserve %s.", r->nhosts,
	       r->nhosts == 1 ? "" : "s", r->nhosts == 1 ? " " : "",
	       r->nhosts == 1 ? r->hosts[0].label : "", r->nshapes, r->nshapes == 1 ? "" : "s",
	       v->ngroups, v->ngroups == 1 ? "" : "s", r->policies[0]);
	if (m < 0)
		rdoc_p(d, "The whole mix fits no host: %s.",
		       vmp_capacity_at(r, 0, 0, r->nshapes)->reason);
	capview_mix_proof(&pf, v, 0);
	capview_count_text(n, sizeof(n), mix, capped, &pf);
	if (m >= 0)
		rdoc_p(d,
		       "The whole mix fits %s time%s on the fleet. With one mix placed on %s, "
		       "this many more VMs of each shape fit%s ('alone': on an empty fleet):",
		       n, mix == 1 ? "" : "s", r->hosts[m].label,
		       r->nhosts > 1 ? " (that host beside the mix, the other hosts empty)" : "");
}

static void doc_shapes(rdoc *d, const capview *v, bool members)
{
	char a[64], b[64];

	rdoc_table(d, members ? 6 : 5);
	rdoc_cell(d, "shape");
	rdoc_cell(d, "mix");
	if (members)
		rdoc_cell(d, "VMs");
	rdoc_cell(d, "more");
	rdoc_cell(d, "binds next");
	rdoc_cell(d, "alone");
	for (int k = 0; k < v->ngroups; k++) {
		bool c1, c2;
		long more = capview_more(v, 0, k, &c1), alone = capview_alone(v, 0, k, &c2);
		capproof pm, pa;
		capview_more_proof(&pm, v, 0, k);
		capview_alone_proof(&pa, v, 0, k);
		rdoc_cell(d, "%s", v->g[k].name);
		rdoc_cell(d, "%d", v->g[k].n);
		if (members)
			rdoc_cell(d, "%s", v->g[k].members);
		capview_count_text(a, sizeof(a), more, c1, &pm);
		capview_count_text(b, sizeof(b), alone, c2, &pa);
		rdoc_cell(d, "%s", a);
		rdoc_cell(d, "%s", more < 0 ? "the mix does not fit" : capview_more_binds(v, 0, k));
		rdoc_cell(d, "%s", b);
	}
}

/* Each other policy in one line: the whole mix, and why shapes fit none. */
static void doc_policy_lines(rdoc *d, const capview *v)
{
	for (int p = 1; p < v->r->npolicies; p++) {
		char zero[512] = "", why[160] = "", n[64];
		bool capped;
		long mix = capview_mix_total(v, p, &capped);
		capproof pf;
		for (int k = 0; k < v->ngroups; k++) {
			const vmp_capacity_count *c = vmp_capacity_at(v->r, p, 0, v->g[k].first);
			const char *w = capview_zero_why(v, p, c, k);
			bool c1;
			if (capview_alone(v, p, k, &c1) != 0)
				continue;
			snprintf(zero + strlen(zero), sizeof(zero) - strlen(zero), "%s%s",
				 zero[0] ? "; " : "", v->g[k].name);
			if (w && !why[0])
				snprintf(why, sizeof(why), " (%s)", w);
		}
		capview_mix_proof(&pf, v, p);
		capview_count_text(n, sizeof(n), mix, capped, &pf);
		rdoc_p(d, "Under reserve %s the whole mix fits %s time%s.%s%s%s%s",
		       v->r->policies[p], n, mix == 1 ? "" : "s",
		       zero[0] ? " Not one fits of " : "", zero, why, zero[0] ? "." : "");
	}
}

/* Per host: what stays free after the mix. */
static void doc_headroom_lines(rdoc *d, const capview *v)
{
	for (int i = 0; i < v->r->nhosts; i++) {
		const vmp_capacity_host *h = &v->r->hosts[i];
		vmp_capacity_node t;
		char m1[32], m2[32], h1[32], h2[32], huge[80], ways[64];
		int full = 0;
		if (!capview_host_headroom(&t, h))
			continue;
		for (int n = 0; n < h->nnodes; n++)
			full += h->headroom[n].pus > 0 && h->headroom[n].free_pus == 0;
		report_bytes(m1, sizeof(m1), t.free_memory_bytes);
		report_bytes(m2, sizeof(m2), t.memory_bytes);
		if (t.hugepage_bytes) {
			report_bytes(h1, sizeof(h1), t.free_hugepage_bytes);
			report_bytes(h2, sizeof(h2), t.hugepage_bytes);
			snprintf(huge, sizeof(huge), ", %s of %s hugepages", h1, h2);
		} else {
			snprintf(huge, sizeof(huge), "; no hugepage pools");
		}
		if (t.cache_ways)
			snprintf(ways, sizeof(ways), ", %d of %d L3 ways", t.free_cache_ways,
				 t.cache_ways);
		else
			snprintf(ways, sizeof(ways), "; no L3 allocation (resctrl)");
		rdoc_p(d,
		       "Free on %s after the mix: %d of %d CPUs, %s of %s memory%s%s; %d of %d "
		       "nodes have no CPU left.",
		       h->label, t.free_pus, t.pus, m1, m2, t.hugepage_bytes ? huge : "",
		       t.cache_ways ? ways : "", full, h->nnodes);
		if (!t.hugepage_bytes || !t.cache_ways)
			rdoc_p(d, "%s has%s%s.", h->label, t.hugepage_bytes ? "" : huge + 1,
			       t.cache_ways ? "" : ways + (t.hugepage_bytes ? 1 : 0));
	}
}

/* Per host, node by node: the headroom table under its chart. */
static void doc_nodes(rdoc *d, const capview *v, const rchart *charts, int ncharts)
{
	for (int i = 0, c = 1; i < v->r->nhosts; i++) {
		const vmp_capacity_host *h = &v->r->hosts[i];
		char a[32], b[32], e[32], f[32];
		if (!h->mix_fits || !h->headroom)
			continue;
		rdoc_h2(d, "Headroom per node on %s after the whole mix", h->label);
		if (c < ncharts) {
			char file[80];
			snprintf(file, sizeof(file), "%s.png", charts[c].name);
			rdoc_img(d, file, charts[c].w, charts[c].h, "headroom per node");
			c++;
		}
		rdoc_table(d, 5);
		rdoc_cell(d, "node");
		rdoc_cell(d, "free CPUs");
		rdoc_cell(d, "free memory");
		rdoc_cell(d, "free hugepages");
		rdoc_cell(d, "free L3 ways");
		for (int n = 0; n < h->nnodes; n++) {
			const vmp_capacity_node *x = &h->headroom[n];
			report_bytes(a, sizeof(a), x->free_memory_bytes);
			report_bytes(b, sizeof(b), x->memory_bytes);
			report_bytes(e, sizeof(e), x->free_hugepage_bytes);
			report_bytes(f, sizeof(f), x->hugepage_bytes);
			rdoc_cell(d, "%d", x->node);
			rdoc_cell(d, "%d of %d", x->free_pus, x->pus);
			rdoc_cell(d, "%s of %s", a, b);
			rdoc_cell(d, "%s of %s", e, f);
			if (x->cache_ways)
				rdoc_cell(d, "%d of %d", x->free_cache_ways, x->cache_ways);
			else
				rdoc_cell(d, "-");
		}
	}
}

static void count_cell(rdoc *d, const capview *v, int p, const vmp_capacity_count *c, int k)
{
	const char *why = capview_zero_why(v, p, c, k);
	capproof pf = {.proof = c->proof, .bound = c->bound};
	char n[64];

	capview_count_text(n, sizeof(n), c->count, c->capped, &pf);
	if (why)
		rdoc_cell(d, "%s; %s", n, why);
	else
		rdoc_cell(d, "%s; %s", n, vmp_bind_name(c->bind));
}

/* Per host and shape under policy 0: alone, beside the mix, what is free and stranded. */
static void doc_per_host(rdoc *d, const capview *v)
{
	static const char *const heads[] = {"host",           "shape",          "fits alone",
					    "beside the mix", "free CPUs",      "free memory",
					    "stranded CPUs",  "stranded memory"};
	const vmp_capacity_report *r = v->r;
	char a[32], b[32];

	rdoc_h2(d, "Per host (reserve %s)", r->policies[0]);
	rdoc_table(d, 8);
	for (int k = 0; k < 8; k++)
		rdoc_cell(d, "%s", heads[k]);
	for (int i = 0; i < r->nhosts; i++)
		for (int k = 0; k <= v->ngroups; k++) {
			int u = k < v->ngroups ? v->g[k].first : r->nshapes;
			const vmp_capacity_count *c = vmp_capacity_at(r, 0, i, u);
			rdoc_cell(d, "%s", r->hosts[i].label);
			rdoc_cell(d, "%s", k < v->ngroups ? v->g[k].name : "whole mix");
			count_cell(d, v, 0, c, k < v->ngroups ? k : -1);
			if (k < v->ngroups)
				count_cell(d, v, 0, vmp_capacity_beside_at(r, 0, i, u), k);
			else
				rdoc_cell(d, "-");
			rdoc_cell(d, "%d (%d whole cores)", c->free_pus, c->free_cores);
			report_bytes(a, sizeof(a), c->free_memory_bytes);
			report_bytes(b, sizeof(b), c->free_hugepage_bytes);
			if (c->free_hugepage_bytes)
				rdoc_cell(d, "%s + %s hugepages", a, b);
			else
				rdoc_cell(d, "%s", a);
			rdoc_cell(d, "%d (%d lone siblings)", c->stranded_cpus,
				  c->stranded_siblings);
			report_bytes(a, sizeof(a), c->stranded_memory_bytes);
			rdoc_cell(d, "%s", a);
		}
	rdoc_p(d, "Fits alone: copies of the shape on the empty host. Free and stranded: after "
		  "those copies. Stranded: free but unusable - siblings of cores partly held, "
		  "CPUs on nodes with less free memory than one vCPU of the shape needs, memory "
		  "on nodes without a free CPU.");
}

/* Per host and shape, the count alone under each policy, with why a 0 is 0. */
static void doc_policies(rdoc *d, const capview *v)
{
	const vmp_capacity_report *r = v->r;

	rdoc_h2(d, "Reservation policies compared (VMs that fit alone, and what binds)");
	rdoc_table(d, 2 + r->npolicies);
	rdoc_cell(d, "host");
	rdoc_cell(d, "shape");
	for (int p = 0; p < r->npolicies; p++)
		rdoc_cell(d, "reserve %s", r->policies[p]);
	for (int i = 0; i < r->nhosts; i++)
		for (int k = 0; k <= v->ngroups; k++) {
			int u = k < v->ngroups ? v->g[k].first : r->nshapes;
			rdoc_cell(d, "%s", r->hosts[i].label);
			rdoc_cell(d, "%s", k < v->ngroups ? v->g[k].name : "whole mix");
			for (int p = 0; p < r->npolicies; p++)
				count_cell(d, v, p, vmp_capacity_at(r, p, i, u),
					   k < v->ngroups ? k : -1);
		}
}

/* The planner's refusal of the next copy beside the mix (alone where the mix does not fit). */
static void doc_refusals(rdoc *d, const capview *v)
{
	const vmp_capacity_report *r = v->r;

	rdoc_h2(d, "Why the next VM is refused (reserve %s)", r->policies[0]);
	rdoc_table(d, 3);
	rdoc_cell(d, "host");
	rdoc_cell(d, "shape");
	rdoc_cell(d, "the planner says");
	for (int i = 0; i < r->nhosts; i++)
		for (int k = 0; k <= v->ngroups; k++) {
			int u = k < v->ngroups ? v->g[k].first : r->nshapes;
			const vmp_capacity_count *c = k < v->ngroups && r->hosts[i].mix_fits
							  ? vmp_capacity_beside_at(r, 0, i, u)
							  : vmp_capacity_at(r, 0, i, u);
			rdoc_cell(d, "%s", r->hosts[i].label);
			rdoc_cell(d, "%s", k < v->ngroups ? v->g[k].name : "another whole mix");
			rdoc_cell(d, "%s", c->capped ? "(the limit was reached)" : c->reason);
		}
}

static void doc_hosts(rdoc *d, const capview *v)
{
	static const char *const heads[] = {"host",  "fingerprint", "packages", "nodes",
					    "cores", "CPUs",        "memory"};
	char mem[32];

	rdoc_h2(d, "Hosts");
	rdoc_table(d, 7);
	for (int k = 0; k < 7; k++)
		rdoc_cell(d, "%s", heads[k]);
	for (int i = 0; i < v->r->nhosts; i++) {
		const vmp_capacity_host *h = &v->r->hosts[i];
		rdoc_cell(d, "%s", h->label);
		rdoc_cell(d, "%s", h->fingerprint);
		rdoc_cell(d, "%d", h->npackages);
		rdoc_cell(d, "%d", h->nnodes);
		rdoc_cell(d, "%d", h->ncores);
		rdoc_cell(d, "%d", h->npus);
		report_bytes(mem, sizeof(mem), h->memory_bytes);
		rdoc_cell(d, "%s", mem);
	}
}

/* The summary: the answer, per shape, the other policies and the headroom. */
static void doc_summary(rdoc *d, const capview *v, bool members)
{
	doc_lead(d, v);
	doc_shapes(d, v, members);
	doc_headroom_lines(d, v);
	doc_policy_lines(d, v);
}

static void doc_detail(rdoc *d, const capview *v, const rchart *charts, int ncharts)
{
	doc_nodes(d, v, charts, ncharts);
	doc_per_host(d, v);
	doc_policies(d, v);
	doc_refusals(d, v);
	doc_hosts(d, v);
	rdoc_p(d,
	       "Each count is what vmplan's planner places: N copies are all placed and N+1 "
	       "are not; '+' marks a count that stopped at the limit of %d. Beside the mix: "
	       "the whole mix and N copies of the shape planned together. The heuristic "
	       "counts first, then the exact solver once: 'optimal' means no plan of "
	       "vmplan's kind places more (the solver's bound, or the host's free CPUs and "
	       "memory, equals the count); '>= N (bound M)': the solver found N and "
	       "proved that no plan places more than M; 'heuristic': the solver gave no "
	       "bound in its time. A fleet figure is optimal when each host's count is.",
	       VMP_CAPACITY_LIMIT);
}

void capacity_docs(rdoc *term, rdoc *full, const capview *v, const rchart *charts, int ncharts,
		   bool detail)
{
	doc_summary(full, v, true);
	if (ncharts > 0)
		rdoc_img(full, "capacity.png", charts[0].w, charts[0].h,
			 "how many more VMs of each shape fit");
	doc_detail(full, v, charts, ncharts);
	doc_summary(term, v, false);
	if (detail)
		doc_detail(term, v, charts, ncharts);
	else
		rdoc_p(term, "Per node headroom, per host counts, other policies and the planner's "
			     "reasons: --detail, or the report's index.html.");
}
