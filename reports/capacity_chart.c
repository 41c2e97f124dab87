/* Capacity charts: how many more of each shape fit the fleet, and each host's headroom. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/capview.h"
#include "vmplan/error.h"

/* capacity.dat: per shape (top row first) its row, the count alone and beside the mix. */
static void capacity_dat(rbuf *dat, const capview *v, long *xmax)
{
	rbuf_add(dat, "# row alone more\n");
	*xmax = 1;
	for (int k = 0; k < v->ngroups; k++) {
		bool c1, c2;
		long alone = capview_alone(v, 0, k, &c1), more = capview_more(v, 0, k, &c2);
		rbuf_add(dat, "%d %ld %ld\n", v->ngroups - 1 - k, alone, more < 0 ? 0 : more);
		if (alone > *xmax)
			*xmax = alone;
	}
}

static int percent_free(char *buf, size_t size, double free_v, double all)
{
	if (all <= 0)
		return snprintf(buf, size, " NaN");
	return snprintf(buf, size, " %.1f", 100.0 * free_v / all);
}

/* The fleet chart: a bar per shape, more beside the mix over what fits an empty fleet. */
static void fleet_chart(rbuf *gp, rchart *chart, const capview *v, long xmax, bool svg)
{
	char buf[512];
	bool capped;
	long mix = capview_mix_total(v, 0, &capped);
	int lmargin = 12, h = 150 + 38 * v->ngroups;

	for (int k = 0; k < v->ngroups; k++)
		if ((int)strlen(v->g[k].name) + 2 > lmargin)
			lmargin = (int)strlen(v->g[k].name) + 2;
	if (lmargin > 48)
		lmargin = 48;
	gp_begin(gp, chart, "capacity", VMP_REPORT_CHART_W,
		 h > VMP_REPORT_CHART_H ? h : VMP_REPORT_CHART_H);
	rbuf_add(gp,
		 "set lmargin %d\nset rmargin 3\nset bmargin 6\nset key outside bottom center "
		 "horizontal samplen 3 width 4\nset title font 'sans,12'\n"
		 "set grid xtics\nset xlabel 'more VMs of the shape that fit'\nset ytics nomirror\n"
		 "set yrange [-0.7:%d.7]\nset xrange [0:%ld]\nset title ",
		 lmargin, v->ngroups - 1, xmax + xmax / 3 + 2);
	if (capview_mix_host(v, 0) < 0)
		snprintf(buf, sizeof(buf), "The whole mix (%d VMs) fits no host (reserve %s)",
			 v->r->nshapes, v->r->policies[0]);
	else
		snprintf(buf, sizeof(buf), "Whole mix of %d VMs: fits %ld%s time%s (reserve %s)",
			 v->r->nshapes, mix, capped ? "+" : "", mix == 1 ? "" : "s",
			 v->r->policies[0]);
	rbuf_gp_str(gp, buf);
	rbuf_add(gp, "\nset ytics (");
	for (int k = 0; k < v->ngroups; k++) {
		rbuf_add(gp, "%s", k ? ", " : "");
		rbuf_gp_str(gp, v->g[k].name);
		rbuf_add(gp, " %d", v->ngroups - 1 - k);
	}
	rbuf_add(gp, ")\n");
	for (int k = 0; k < v->ngroups; k++) {
		bool c1;
		long more = capview_more(v, 0, k, &c1);
		if (more < 0)
			continue;
		snprintf(buf, sizeof(buf), "%ld%s more - then %s", more, c1 ? "+" : "",
			 capview_more_binds(v, 0, k));
		rbuf_add(gp, "set label %d ", k + 1);
		rbuf_gp_str(gp, buf);
		rbuf_add(gp, " at %ld,%d left offset 0.6,0 font 'sans,10' front\n", more,
			 v->ngroups - 1 - k);
	}
	rbuf_add(gp, "plot 'capacity.dat' using (0):1:(0):2:($1-0.38):($1+0.38) with boxxyerror "
		     "fs solid 0.45 noborder lc rgb '#a6cee3' title 'fits an empty fleet'");
	if (capview_mix_host(v, 0) >= 0)
		rbuf_add(gp, ", '' using (0):1:(0):3:($1-0.22):($1+0.22) with boxxyerror fs solid "
			     "1 noborder lc rgb '#1f4e9c' title 'more beside one whole mix'");
	rbuf_add(gp, "\n");
	gp_end(gp, chart, svg);
}

/* headroomN.dat: per node of host i, the percent free of CPUs, memory, hugepages, ways. */
static void headroom_dat(rbuf *dat, const vmp_capacity_host *h)
{
	char a[32], b[32], c[32], d[32];

	rbuf_add(dat, "# node cpus memory hugepages cache_ways (percent free after the mix)\n");
	for (int n = 0; n < h->nnodes; n++) {
		const vmp_capacity_node *x = &h->headroom[n];
		percent_free(a, sizeof(a), x->free_pus, x->pus);
		percent_free(b, sizeof(b), (double)x->free_memory_bytes, (double)x->memory_bytes);
		percent_free(c, sizeof(c), (double)x->free_hugepage_bytes,
			     (double)x->hugepage_bytes);
		percent_free(d, sizeof(d), x->free_cache_ways, x->cache_ways);
		rbuf_add(dat, "%d%s%s%s%s\n", x->node, a, b, c, d);
	}
}

/* One host's headroom per node after the mix; the title holds the host's totals. */
static void headroom_chart(rbuf *gp, rchart *chart, const vmp_capacity_host *h, int i, bool svg)
{
	static const char *const what[] = {"CPUs", "memory", "hugepages", "L3 cache ways"};
	static const char *const colour[] = {"#1f78b4", "#33a02c", "#ff7f00", "#6a3d9a"};
	vmp_capacity_node t;
	char name[32], buf[512], mem[32], all[32];
	int w = 160 + 44 * h->nnodes;

	capview_host_headroom(&t, h);
	snprintf(name, sizeof(name), "headroom%d", i + 1);
	gp_begin(gp, chart, name, w > VMP_REPORT_CHART_W ? w : VMP_REPORT_CHART_W,
		 VMP_REPORT_CHART_H);
	report_bytes(mem, sizeof(mem), t.free_memory_bytes);
	report_bytes(all, sizeof(all), t.memory_bytes);
	snprintf(buf, sizeof(buf),
		 "%s after the whole mix: free per node (host: %d of %d CPUs, %s of %s memory%s%s)",
		 h->label, t.free_pus, t.pus, mem, all,
		 t.hugepage_bytes ? "" : "; no hugepage pools", t.cache_ways ? "" : "; no resctrl");
	rbuf_add(gp, "set title ");
	rbuf_gp_str(gp, buf);
	rbuf_add(gp, "\nset style data histograms\nset style histogram cluster gap 1\n"
		     "set style fill solid 0.9 noborder\nset boxwidth 0.9\nset yrange [0:105]\n"
		     "set grid ytics\nset key outside top center horizontal samplen 2 width 3\n"
		     "set ylabel 'free after the mix (%%)'\nset xlabel 'NUMA node'\n"
		     "set xtics nomirror\nplot ");
	for (int k = 0, first = 1; k < 4; k++) {
		/* A resource the host does not have has no bar (gnuplot refuses all-NaN). */
		if ((k == 2 && !t.hugepage_bytes) || (k == 3 && !t.cache_ways))
			continue;
		rbuf_add(gp, "%s'%s.dat' using %d:xtic(1) lc rgb '%s' title ", first ? "" : ", ",
			 name, k + 2, colour[k]);
		rbuf_gp_str(gp, what[k]);
		first = 0;
	}
	rbuf_add(gp, "\n");
	gp_end(gp, chart, svg);
}

int capacity_charts(rchart *charts, int *ncharts, const capview *v, const vmp_report_opts *opts)
{
	rbuf gp = {0}, dat = {0};
	char *text = NULL, file[32];
	long xmax;
	int err = VMP_OK;

	*ncharts = 0;
	capacity_dat(&dat, v, &xmax);
	fleet_chart(&gp, &charts[(*ncharts)++], v, xmax, opts->svg);
	if (!(text = rbuf_take(&dat)) ||
	    (err = report_write_file(opts->out_dir, "capacity.dat", text, strlen(text))) < 0)
		goto out;
	for (int i = 0; i < v->r->nhosts && *ncharts < VMP_REPORT_MAX_CHARTS; i++) {
		const vmp_capacity_host *h = &v->r->hosts[i];
		if (!h->mix_fits || !h->headroom)
			continue;
		free(text);
		headroom_dat(&dat, h);
		headroom_chart(&gp, &charts[(*ncharts)++], h, i, opts->svg);
		snprintf(file, sizeof(file), "headroom%d.dat", i + 1);
		if (!(text = rbuf_take(&dat)) ||
		    (err = report_write_file(opts->out_dir, file, text, strlen(text))) < 0)
			goto out;
	}
	free(text);
	if (!(text = rbuf_take(&gp)))
		goto out;
	err = report_run_gnuplot(opts->out_dir, text, opts);
out:
	if (!text && err >= 0) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
	}
	free(text);
	free(dat.s);
	free(gp.s);
	return err;
}
