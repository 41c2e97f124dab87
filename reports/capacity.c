/* Capacity: writing the report of how many VMs of each shape fit each host and the fleet. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/internal.h"
#include "vmplan/capacity.h"
#include "vmplan/error.h"
#include "vmplan/size.h"

static const char *unit_name(const vmp_capacity_report *r, int u)
{
	return u < r->nshapes ? r->shapes[u].name : "whole mix";
}

static void shape_text(char *buf, size_t size, const vmp_vm_request *q)
{
	char mem[32];

	vmp_size_format(mem, sizeof(mem), q->memory_bytes);
	snprintf(buf, size, "%u vCPUs, %s%s%s", q->vcpus, mem, q->profile[0] ? ", " : "",
		 q->profile);
}

static long fleet_total(const vmp_capacity_report *r, int pol, int u, bool *capped)
{
	long sum = 0;

	*capped = false;
	for (int i = 0; i < r->nhosts; i++) {
		const vmp_capacity_count *c = vmp_capacity_at(r, pol, i, u);
		sum += c->count;
		*capped |= c->capped;
	}
	return sum;
}

static void count_cell(rdoc *d, const vmp_capacity_count *c)
{
	rdoc_cell(d, "%d%s", c->count, c->capped ? "+" : "");
}

static json_t *count_json(const vmp_capacity_count *c)
{
	return json_pack("{s:i, s:b, s:s, s:s, s:i, s:i, s:I, s:I, s:i, s:i, s:I}", "count",
			 c->count, "capped", c->capped, "binds", vmp_bind_name(c->bind), "reason",
			 c->reason, "free_pus", c->free_pus, "free_cores", c->free_cores,
			 "free_memory_bytes", (json_int_t)c->free_memory_bytes,
			 "free_hugepage_bytes", (json_int_t)c->free_hugepage_bytes,
			 "stranded_siblings", c->stranded_siblings, "stranded_cpus",
			 c->stranded_cpus, "stranded_memory_bytes",
			 (json_int_t)c->stranded_memory_bytes);
}

static char *capacity_json(const vmp_capacity_report *r, const rchart *charts, int ncharts)
{
	json_t *root = json_object(), *a;
	char *s;
	int units = r->nshapes + 1;

	json_object_set_new(root, "report", json_string("capacity"));
	a = json_array();
	for (int p = 0; p < r->npolicies; p++)
		json_array_append_new(a, json_string(r->policies[p]));
	json_object_set_new(root, "policies", a);
	a = json_array();
	for (int i = 0; i < r->nhosts; i++) {
		const vmp_capacity_host *h = &r->hosts[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:I}", "label",
						   h->label, "fingerprint", h->fingerprint,
						   "packages", h->npackages, "nodes", h->nnodes,
						   "cores", h->ncores, "pus", h->npus,
						   "memory_bytes", (json_int_t)h->memory_bytes));
	}
	json_object_set_new(root, "hosts", a);
	a = json_array();
	for (int u = 0; u < r->nshapes; u++) {
		const vmp_vm_request *q = &r->shapes[u];
		json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:I}", "name", q->name,
						   "profile", q->profile, "vcpus", (int)q->vcpus,
						   "memory_bytes", (json_int_t)q->memory_bytes));
	}
	json_object_set_new(root, "shapes", a);
	a = json_array();
	for (int p = 0; p < r->npolicies; p++)
		for (int i = 0; i < r->nhosts; i++)
			for (int u = 0; u < units; u++) {
				json_t *o = count_json(vmp_capacity_at(r, p, i, u));
				json_object_set_new(o, "policy", json_string(r->policies[p]));
				json_object_set_new(o, "host", json_string(r->hosts[i].label));
				json_object_set_new(o, "shape",
						    u < r->nshapes ? json_string(unit_name(r, u))
								   : json_null());
				json_array_append_new(a, o);
			}
	json_object_set_new(root, "counts", a);
	a = json_array();
	for (int p = 0; p < r->npolicies; p++)
		for (int u = 0; u < units; u++) {
			bool capped;
			long n = fleet_total(r, p, u, &capped);
			json_array_append_new(
			    a,
			    json_pack("{s:s, s:o, s:I, s:b}", "policy", r->policies[p], "shape",
				      u < r->nshapes ? json_string(unit_name(r, u)) : json_null(),
				      "count", (json_int_t)n, "capped", capped));
		}
	json_object_set_new(root, "fleet", a);
	json_object_set_new(root, "charts", report_charts_json(charts, ncharts));
	s = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	return s;
}

/* capacity.dat: one row per unit, one column per host (policy 0). */
static void capacity_dat(rbuf *dat, const vmp_capacity_report *r)
{
	rbuf_add(dat, "# unit");
	for (int i = 0; i < r->nhosts; i++)
		rbuf_add(dat, " host%d", i + 1);
	rbuf_add(dat, "\n");
	for (int u = 0; u < r->nshapes + 1; u++) {
		rbuf_add(dat, "%d", u);
		for (int i = 0; i < r->nhosts; i++)
			rbuf_add(dat, " %d", vmp_capacity_at(r, 0, i, u)->count);
		rbuf_add(dat, "\n");
	}
}

/* policy.dat: one row per unit, the fleet's count under each policy. */
static void policy_dat(rbuf *pol, const vmp_capacity_report *r)
{
	rbuf_add(pol, "# unit");
	for (int p = 0; p < r->npolicies; p++)
		rbuf_add(pol, " policy%d", p + 1);
	rbuf_add(pol, "\n");
	for (int u = 0; u < r->nshapes + 1; u++) {
		bool capped;
		rbuf_add(pol, "%d", u);
		for (int p = 0; p < r->npolicies; p++)
			rbuf_add(pol, " %ld", fleet_total(r, p, u, &capped));
		rbuf_add(pol, "\n");
	}
}

/* The script of one chart: 0, capacity per host; 1, the fleet by reservation policy. */
static void capacity_chart(rbuf *gp, rchart *chart, const vmp_capacity_report *r, int which,
			   bool svg)
{
	char buf[256];
	int ncol = which ? r->npolicies : r->nhosts;

	gp_begin(gp, chart, which ? "policy" : "capacity", VMP_REPORT_CHART_W, VMP_REPORT_CHART_H);
	rbuf_add(gp, "set style data histograms\nset style histogram cluster gap 1\n"
		     "set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
		     "set yrange [0:*]\nset grid ytics\nset key outside right top\n"
		     "set xtics nomirror rotate by -30\nset ylabel 'VMs that fit'\n");
	rbuf_add(gp, "set title ");
	if (which == 0) {
		snprintf(buf, sizeof(buf), "VMs of each shape per host (reserve %s)",
			 r->policies[0]);
		rbuf_gp_str(gp, buf);
	} else {
		rbuf_gp_str(gp, "VMs of each shape on the fleet, by reservation policy");
	}
	rbuf_add(gp, "\nset xtics (");
	for (int u = 0; u < r->nshapes + 1; u++) {
		rbuf_add(gp, "%s", u ? ", " : "");
		rbuf_gp_str(gp, unit_name(r, u));
		rbuf_add(gp, " %d", u);
	}
	rbuf_add(gp, ")\nplot ");
	for (int i = 0; i < ncol; i++) {
		rbuf_add(gp, "%s'%s.dat' using %d title ", i ? ", " : "",
			 which ? "policy" : "capacity", i + 2);
		if (which)
			snprintf(buf, sizeof(buf), "reserve %s", r->policies[i]);
		rbuf_gp_str(gp, which ? buf : r->hosts[i].label);
	}
	rbuf_add(gp, "\n");
	gp_end(gp, chart, svg);
}

/* Write both data files and the script, and draw the two charts. */
static int capacity_charts(rchart charts[2], const vmp_capacity_report *r,
			   const vmp_report_opts *opts)
{
	rbuf dat = {0}, pol = {0}, gp = {0};
	char *script = NULL, *d1 = NULL, *d2 = NULL;
	int err;

	capacity_dat(&dat, r);
	policy_dat(&pol, r);
	for (int c = 0; c < 2; c++)
		capacity_chart(&gp, &charts[c], r, c, opts->svg);
	if (!(d1 = rbuf_take(&dat)) || !(d2 = rbuf_take(&pol)) || !(script = rbuf_take(&gp))) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	if ((err = report_write_file(opts->out_dir, "capacity.dat", d1, strlen(d1))) < 0 ||
	    (err = report_write_file(opts->out_dir, "policy.dat", d2, strlen(d2))) < 0 ||
	    (err = report_run_gnuplot(opts->out_dir, script, opts)) < 0)
		goto out;
	err = VMP_OK;
out:
	free(script);
	free(d1);
	free(d2);
	free(dat.s);
	free(pol.s);
	free(gp.s);
	return err;
}

/* What the report counts, and the fleet's counts under each policy with the two charts. */
static void doc_fleet(rdoc *d, const vmp_capacity_report *r, const rchart charts[2])
{
	char buf[256];

	buf[0] = '\0';
	for (int p = 0; p < r->npolicies; p++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", p ? ", " : "",
			 r->policies[p]);
	rdoc_p(d, "%d host%s, %d VM shape%s; reservation policies compared: %s.", r->nhosts,
	       r->nhosts == 1 ? "" : "s", r->nshapes, r->nshapes == 1 ? "" : "s", buf);
	rdoc_p(d,
	       "Each figure is what vmplan's planner places: N copies of the shape (or of "
	       "the whole mix) are all placed and N+1 are not; '+' marks a count that "
	       "stopped at the limit of %d.",
	       VMP_CAPACITY_LIMIT);

	rdoc_h2(d, "Fleet (reserve %s)", r->policies[0]);
	rdoc_table(d, 2 + r->npolicies);
	rdoc_cell(d, "shape");
	rdoc_cell(d, "asks");
	for (int p = 0; p < r->npolicies; p++)
		rdoc_cell(d, "reserve %s", r->policies[p]);
	for (int u = 0; u < r->nshapes + 1; u++) {
		rdoc_cell(d, "%s", unit_name(r, u));
		if (u < r->nshapes)
			shape_text(buf, sizeof(buf), &r->shapes[u]);
		else
			snprintf(buf, sizeof(buf), "all %d shapes together", r->nshapes);
		rdoc_cell(d, "%s", buf);
		for (int p = 0; p < r->npolicies; p++) {
			bool capped;
			long n = fleet_total(r, p, u, &capped);
			rdoc_cell(d, "%ld%s", n, capped ? "+" : "");
		}
	}
	rdoc_img(d, "capacity.png", charts[0].w, charts[0].h, "VMs of each shape per host");
	rdoc_img(d, "policy.png", charts[1].w, charts[1].h,
		 "VMs of each shape on the fleet, by reservation policy");
}

/* Per host and unit under policy 0: the count, what binds, what is free and stranded. */
static void doc_per_host(rdoc *d, const vmp_capacity_report *r)
{
	static const char *const heads[] = {
	    "host",          "shape",          "fits",        "binds first",
	    "free PUs",      "free cores",     "free memory", "stranded siblings",
	    "stranded CPUs", "stranded memory"};
	char a[32], b[32];

	rdoc_h2(d, "Per host (reserve %s)", r->policies[0]);
	rdoc_table(d, 10);
	for (int k = 0; k < 10; k++)
		rdoc_cell(d, "%s", heads[k]);
	for (int i = 0; i < r->nhosts; i++)
		for (int u = 0; u < r->nshapes + 1; u++) {
			const vmp_capacity_count *c = vmp_capacity_at(r, 0, i, u);
			rdoc_cell(d, "%s", r->hosts[i].label);
			rdoc_cell(d, "%s", unit_name(r, u));
			count_cell(d, c);
			rdoc_cell(d, "%s", vmp_bind_name(c->bind));
			rdoc_cell(d, "%d", c->free_pus);
			rdoc_cell(d, "%d", c->free_cores);
			vmp_size_format(a, sizeof(a), c->free_memory_bytes);
			if (c->free_hugepage_bytes) {
				vmp_size_format(b, sizeof(b), c->free_hugepage_bytes);
				rdoc_cell(d, "%s + %s hugepages", a, b);
			} else {
				rdoc_cell(d, "%s", a);
			}
			rdoc_cell(d, "%d", c->stranded_siblings);
			rdoc_cell(d, "%d", c->stranded_cpus);
			vmp_size_format(a, sizeof(a), c->stranded_memory_bytes);
			rdoc_cell(d, "%s", a);
		}
	rdoc_p(d, "Free: what no vCPU, reservation, idle sibling or VM holds once the fitting "
		  "copies are placed. Stranded: free but unusable - siblings of cores partly "
		  "held, CPUs on nodes with less free memory than one vCPU of the shape needs, "
		  "memory on nodes without a free CPU.");
}

/* Per host and unit, the count and what binds under each policy. */
static void doc_policies(rdoc *d, const vmp_capacity_report *r)
{
	rdoc_h2(d, "Reservation policies per host");
	rdoc_table(d, 2 + r->npolicies);
	rdoc_cell(d, "host");
	rdoc_cell(d, "shape");
	for (int p = 0; p < r->npolicies; p++)
		rdoc_cell(d, "reserve %s", r->policies[p]);
	for (int i = 0; i < r->nhosts; i++)
		for (int u = 0; u < r->nshapes + 1; u++) {
			rdoc_cell(d, "%s", r->hosts[i].label);
			rdoc_cell(d, "%s", unit_name(r, u));
			for (int p = 0; p < r->npolicies; p++) {
				const vmp_capacity_count *c = vmp_capacity_at(r, p, i, u);
				rdoc_cell(d, "%d%s (%s)", c->count, c->capped ? "+" : "",
					  vmp_bind_name(c->bind));
			}
		}
}

/* The planner's refusal of the copy after the count, per host and unit under policy 0. */
static void doc_refusals(rdoc *d, const vmp_capacity_report *r)
{
	rdoc_h2(d, "Why the next copy is refused (reserve %s)", r->policies[0]);
	rdoc_table(d, 3);
	rdoc_cell(d, "host");
	rdoc_cell(d, "shape");
	rdoc_cell(d, "the planner says");
	for (int i = 0; i < r->nhosts; i++)
		for (int u = 0; u < r->nshapes + 1; u++) {
			const vmp_capacity_count *c = vmp_capacity_at(r, 0, i, u);
			rdoc_cell(d, "%s", r->hosts[i].label);
			rdoc_cell(d, "%s", unit_name(r, u));
			rdoc_cell(d, "%s", c->capped ? "(the limit was reached)" : c->reason);
		}
}

/* The hosts of the fleet and their size. */
static void doc_hosts(rdoc *d, const vmp_capacity_report *r)
{
	static const char *const heads[] = {"host",  "fingerprint", "packages", "nodes",
					    "cores", "PUs",         "memory"};
	char mem[32];

	rdoc_h2(d, "Hosts");
	rdoc_table(d, 7);
	for (int k = 0; k < 7; k++)
		rdoc_cell(d, "%s", heads[k]);
	for (int i = 0; i < r->nhosts; i++) {
		const vmp_capacity_host *h = &r->hosts[i];
		rdoc_cell(d, "%s", h->label);
		rdoc_cell(d, "%s", h->fingerprint);
		rdoc_cell(d, "%d", h->npackages);
		rdoc_cell(d, "%d", h->nnodes);
		rdoc_cell(d, "%d", h->ncores);
		rdoc_cell(d, "%d", h->npus);
		vmp_size_format(mem, sizeof(mem), h->memory_bytes);
		rdoc_cell(d, "%s", mem);
	}
}

int vmp_capacity_report_write(char **text, char **json, const vmp_capacity_report *r,
			      const vmp_report_opts *opts)
{
	char prog[4096];
	rchart charts[2];
	char *js = NULL;
	int err;
	rdoc d;

	rdoc_init(&d, "vmplan capacity report");
	if ((err = report_prepare(prog, sizeof(prog), opts)) < 0 ||
	    (err = capacity_charts(charts, r, opts)) < 0)
		goto out;
	doc_fleet(&d, r, charts);
	doc_per_host(&d, r);
	doc_policies(&d, r);
	doc_refusals(&d, r);
	doc_hosts(&d, r);
	if (!(js = capacity_json(r, charts, 2))) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	err = report_finish(text, json, &d, js, opts);
out:
	free(js);
	rdoc_free(&d);
	return err;
}
