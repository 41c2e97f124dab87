/* Bench trends: each metric over time per host and VM, regressions, plan against baselines. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "reports/internal.h"
#include "vmplan/error.h"
#include "vmplan/history.h"
#include "vmplan/stats.h"

void vmp_bench_report_free(vmp_bench_report *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->nseries; i++)
		free(r->series[i].points);
	free(r->series);
	free(r->ratios);
	free(r);
}

static void col(char *out, size_t size, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, size, "%s", t ? (const char *)t : "");
}

/* ISO 8601 UTC (2026-11-29T02:30:00Z) to seconds; 0 where it does not parse. */
static int64_t iso_time(const char *s)
{
	struct tm tm = {0};
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	return end ? (int64_t)timegm(&tm) : 0;
}

/* Mark each point worse than the median of the previous window by more than the threshold. */
static void mark_regressions(vmp_bench_report *r)
{
	for (int s = 0; s < r->nseries; s++) {
		vmp_bench_series *se = &r->series[s];
		for (int i = 0; i < se->npoints; i++) {
			vmp_bench_point *p = &se->points[i];
			double w[VMP_BENCH_WINDOW];
			int n = 0;
			p->previous = NAN;
			p->regression = false;
			if (i < VMP_BENCH_MIN_PREVIOUS)
				continue;
			for (int j = i - 1; j >= 0 && n < VMP_BENCH_WINDOW; j--)
				w[n++] = se->points[j].median;
			qsort(w, (size_t)n, sizeof(w[0]), vmp_stats_cmp_double);
			p->previous = n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
			/* Only the plan is judged, as bench --compare-last judges it: the
			 * baselines (unpinned, naive) are there to compare with. */
			if (strcmp(se->variant, "plan"))
				continue;
			if (se->higher_is_better)
				p->regression =
				    p->median < p->previous * (1 - VMP_BENCH_REGRESSION);
			else
				p->regression =
				    p->median > p->previous * (1 + VMP_BENCH_REGRESSION);
			r->nregressions += p->regression;
		}
	}
}

static const vmp_bench_point *point_of_run(const vmp_bench_series *s, long long run)
{
	for (int i = 0; i < s->npoints; i++)
		if (s->points[i].run_id == run)
			return &s->points[i];
	return NULL;
}

/* Plan against each baseline in the latest run of each host. */
static int ratios(vmp_bench_report *r)
{
	for (int s = 0; s < r->nseries; s++) {
		const vmp_bench_series *a = &r->series[s];
		long long latest = -1;
		char latest_at[32] = "";
		if (strcmp(a->variant, "plan"))
			continue;
		/* The host's latest run: the greatest start time, then id. */
		for (int t = 0; t < r->nseries; t++) {
			const vmp_bench_series *x = &r->series[t];
			if (strcmp(x->host, a->host))
				continue;
			for (int i = 0; i < x->npoints; i++) {
				int c = strcmp(x->points[i].started_at, latest_at);
				if (c > 0 || (c == 0 && x->points[i].run_id > latest)) {
					latest = x->points[i].run_id;
					snprintf(latest_at, sizeof(latest_at), "%s",
						 x->points[i].started_at);
				}
			}
		}
		const vmp_bench_point *pp = point_of_run(a, latest);
		if (!pp)
			continue;
		for (int t = 0; t < r->nseries; t++) {
			const vmp_bench_series *b = &r->series[t];
			const vmp_bench_point *bp;
			if (t == s || strcmp(b->host, a->host) || strcmp(b->vm, a->vm) ||
			    strcmp(b->workload, a->workload) || strcmp(b->metric, a->metric) ||
			    !strcmp(b->variant, "plan") || !(bp = point_of_run(b, latest)))
				continue;
			vmp_bench_ratio *n =
			    realloc(r->ratios, sizeof(*n) * (size_t)(r->nratios + 1));
			if (!n) {
				vmp_error_set("out of memory");
				return VMP_ENOMEM;
			}
			r->ratios = n;
			n = &r->ratios[r->nratios++];
			n->series = s;
			n->baseline = t;
			n->run_id = latest;
			n->plan = pp->median;
			n->base = bp->median;
			if (a->higher_is_better)
				n->ratio = bp->median != 0 ? pp->median / bp->median : NAN;
			else
				n->ratio = pp->median != 0 ? bp->median / pp->median : NAN;
		}
	}
	return VMP_OK;
}

/* Check that db is a bench history of the schema this vmplan reads. */
static int check_schema(sqlite3 *db, const char *path)
{
	sqlite3_stmt *st = NULL;
	int err = VMP_EINVAL;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL) !=
		SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		vmp_error_set("'%s' is not a vmplan bench history: %s", path,
			      st ? "no schema in table meta" : sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_column_int(st, 0) != VMP_HISTORY_SCHEMA) {
		vmp_error_set("bench history '%s' has schema %s; this vmplan reads schema %d", path,
			      (const char *)sqlite3_column_text(st, 0), VMP_HISTORY_SCHEMA);
		goto out;
	}
	err = VMP_OK;
out:
	sqlite3_finalize(st);
	return err;
}

/* The number of runs of host (NULL: of every host) into r->nruns. */
static int count_runs(vmp_bench_report *r, sqlite3 *db, const char *path, const char *host,
		      const char *since)
{
	sqlite3_stmt *st = NULL;
	int err = VMP_EINVAL;

	if (sqlite3_prepare_v2(db,
			       "SELECT COUNT(*) FROM runs r WHERE (?1 IS NULL OR r.host = ?1 OR "
			       "r.hostname = ?1) AND (?2 IS NULL OR r.started_at >= ?2)",
			       -1, &st, NULL) != SQLITE_OK ||
	    (host && sqlite3_bind_text(st, 1, host, -1, SQLITE_TRANSIENT) != SQLITE_OK) ||
	    (since && sqlite3_bind_text(st, 2, since, -1, SQLITE_TRANSIENT) != SQLITE_OK) ||
	    sqlite3_step(st) != SQLITE_ROW) {
		vmp_error_set("cannot read bench history '%s': %s", path, sqlite3_errmsg(db));
		goto out;
	}
	r->nruns = sqlite3_column_int(st, 0);
	err = VMP_OK;
out:
	sqlite3_finalize(st);
	return err;
}

/* One row of the results query: the series it belongs to and its point. */
static void read_row(vmp_bench_series *key, vmp_bench_point *p, sqlite3_stmt *st)
{
	p->run_id = sqlite3_column_int64(st, 0);
	col(p->started_at, sizeof(p->started_at), st, 1);
	p->time = iso_time(p->started_at);
	col(key->host, sizeof(key->host), st, 2);
	col(key->hostname, sizeof(key->hostname), st, 3);
	col(key->vm, sizeof(key->vm), st, 4);
	col(key->workload, sizeof(key->workload), st, 5);
	col(key->metric, sizeof(key->metric), st, 6);
	col(key->unit, sizeof(key->unit), st, 7);
	col(key->variant, sizeof(key->variant), st, 8);
	key->higher_is_better = sqlite3_column_int(st, 9) != 0;
	p->median = sqlite3_column_double(st, 10);
	p->min = sqlite3_column_double(st, 11);
	p->max = sqlite3_column_double(st, 12);
}

/* Append p to the last series when key is the same series, else to a new series. */
static int add_point(vmp_bench_report *r, const vmp_bench_series *key, const vmp_bench_point *p)
{
	vmp_bench_series *se = r->nseries ? &r->series[r->nseries - 1] : NULL;
	vmp_bench_point *pts;

	if (!se || strcmp(se->host, key->host) || strcmp(se->metric, key->metric) ||
	    strcmp(se->vm, key->vm) || strcmp(se->workload, key->workload) ||
	    strcmp(se->variant, key->variant)) {
		vmp_bench_series *n = realloc(r->series, sizeof(*n) * (size_t)(r->nseries + 1));
		if (!n) {
			vmp_error_set("out of memory");
			return VMP_ENOMEM;
		}
		r->series = n;
		se = &r->series[r->nseries++];
		*se = *key;
	}
	if (!(pts = realloc(se->points, sizeof(*pts) * (size_t)(se->npoints + 1)))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	se->points = pts;
	se->points[se->npoints++] = *p;
	return VMP_OK;
}

/* The results of host (NULL: every host): a series per host, metric, VM, workload, variant. */
static int read_series(vmp_bench_report *r, sqlite3 *db, const char *path, const char *host,
		       const char *since)
{
	static const char query[] =
	    "SELECT r.id, r.started_at, r.host, r.hostname, s.vm, s.workload, s.metric, "
	    "s.unit, s.variant, s.higher_is_better, s.median, s.min, s.max "
	    "FROM results s JOIN runs r ON r.id = s.run_id "
	    "WHERE (?1 IS NULL OR r.host = ?1 OR r.hostname = ?1) "
	    "AND (?2 IS NULL OR r.started_at >= ?2) "
	    "ORDER BY r.host, s.metric, s.vm, s.workload, s.variant, r.started_at, r.id";
	sqlite3_stmt *st = NULL;
	int err = VMP_EINVAL, rc;

	if (sqlite3_prepare_v2(db, query, -1, &st, NULL) != SQLITE_OK ||
	    (host && sqlite3_bind_text(st, 1, host, -1, SQLITE_TRANSIENT) != SQLITE_OK) ||
	    (since && sqlite3_bind_text(st, 2, since, -1, SQLITE_TRANSIENT) != SQLITE_OK)) {
		vmp_error_set("cannot read bench history '%s': %s", path, sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vmp_bench_series key = {0};
		vmp_bench_point p = {0};
		read_row(&key, &p, st);
		if ((err = add_point(r, &key, &p)) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		err = VMP_EINVAL;
		vmp_error_set("cannot read bench history '%s': %s", path, sqlite3_errmsg(db));
		goto out;
	}
	err = VMP_OK;
out:
	sqlite3_finalize(st);
	return err;
}

int vmp_bench_report_new(vmp_bench_report **out, const char *path, const char *host)
{
	return vmp_bench_report_new_days(out, path, host, 0);
}

int vmp_bench_report_new_days(vmp_bench_report **out, const char *path, const char *host, int days)
{
	vmp_bench_report *r = NULL;
	sqlite3 *db = NULL;
	int err = VMP_EINVAL;
	char since[32];
	time_t from = time(NULL) - (time_t)days * 86400;
	struct tm tm;

	/* started_at is ISO 8601 UTC of one width: text order is time order. */
	gmtime_r(&from, &tm);
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);

	*out = NULL;
	if (access(path, R_OK) < 0) {
		vmp_error_set("cannot read bench history '%s'", path);
		return VMP_ENOTFOUND;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		vmp_error_set("cannot open bench history '%s': %s", path,
			      db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	if ((err = check_schema(db, path)) < 0)
		goto out;
	if (!(r = calloc(1, sizeof(*r)))) {
		err = VMP_ENOMEM;
		vmp_error_set("out of memory");
		goto out;
	}
	if ((err = count_runs(r, db, path, host, days > 0 ? since : NULL)) < 0)
		goto out;
	if (host && r->nruns == 0) {
		vmp_error_set("bench history '%s' has no run of host '%s'", path, host);
		err = VMP_ENOTFOUND;
		goto out;
	}
	if ((err = read_series(r, db, path, host, days > 0 ? since : NULL)) < 0)
		goto out;
	mark_regressions(r);
	if ((err = ratios(r)) < 0)
		goto out;
	*out = r;
	r = NULL;
	err = VMP_OK;
out:
	sqlite3_close(db);
	vmp_bench_report_free(r);
	return err;
}

/* ---- writing ---- */

static void num(char *buf, size_t size, double v)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.4g", v);
}

static char *bench_json(const vmp_bench_report *r, const rchart *charts, int ncharts)
{
	json_t *root = json_object(), *a = json_array();
	char *s;

	json_object_set_new(root, "report", json_string("bench"));
	json_object_set_new(root, "runs", json_integer(r->nruns));
	json_object_set_new(root, "regressions", json_integer(r->nregressions));
	json_object_set_new(root, "rule",
			    json_pack("{s:i, s:i, s:f}", "window", VMP_BENCH_WINDOW, "min_previous",
				      VMP_BENCH_MIN_PREVIOUS, "threshold", VMP_BENCH_REGRESSION));
	for (int i = 0; i < r->nseries; i++) {
		const vmp_bench_series *se = &r->series[i];
		json_t *pts = json_array();
		for (int j = 0; j < se->npoints; j++) {
			const vmp_bench_point *p = &se->points[j];
			json_array_append_new(
			    pts,
			    json_pack("{s:I, s:s, s:f, s:f, s:f, s:o, s:b}", "run",
				      (json_int_t)p->run_id, "started_at", p->started_at, "median",
				      p->median, "min", p->min, "max", p->max, "previous",
				      isnan(p->previous) ? json_null() : json_real(p->previous),
				      "regression", p->regression));
		}
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "host", se->host,
				 "hostname", se->hostname, "vm", se->vm, "workload", se->workload,
				 "metric", se->metric, "unit", se->unit, "variant", se->variant,
				 "higher_is_better", se->higher_is_better, "points", pts));
	}
	json_object_set_new(root, "series", a);
	a = json_array();
	for (int i = 0; i < r->nratios; i++) {
		const vmp_bench_ratio *q = &r->ratios[i];
		const vmp_bench_series *p = &r->series[q->series], *b = &r->series[q->baseline];
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:f, s:f, s:o}", "host",
				 p->host, "vm", p->vm, "workload", p->workload, "metric", p->metric,
				 "unit", p->unit, "baseline", b->variant, "run",
				 (json_int_t)q->run_id, "plan", q->plan, "base", q->base, "ratio",
				 isnan(q->ratio) ? json_null() : json_real(q->ratio)));
	}
	json_object_set_new(root, "ratios", a);
	json_object_set_new(root, "charts", report_charts_json(charts, ncharts));
	s = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	return s;
}

static void series_title(char *buf, size_t size, const vmp_bench_series *se)
{
	snprintf(buf, size, "%s / %s / %s", se->vm, se->workload, se->variant);
}

/* What the report holds and the rules it applies. */
static void doc_intro(rdoc *d, const vmp_bench_report *r)
{
	rdoc_p(d, "%d run%s, %d series, %d regression%s.", r->nruns, r->nruns == 1 ? "" : "s",
	       r->nseries, r->nregressions, r->nregressions == 1 ? "" : "s");
	rdoc_p(d,
	       "A run of the plan is a regression when its median is worse than the median "
	       "of the previous %d runs of the same series (host, VM, workload, metric) by "
	       "more than %.0f%%; it needs %d earlier runs. The baselines (unpinned, naive) "
	       "are drawn dashed and not judged, as bench --compare-last does not judge "
	       "them. Bars span each run's min to max. Ratios compare the plan with each "
	       "baseline in each host's latest run; above 1 the plan is better.",
	       VMP_BENCH_WINDOW, VMP_BENCH_REGRESSION * 100, VMP_BENCH_MIN_PREVIOUS);
}

/* Every point marked as a regression, with the median it is compared with. */
static void doc_regressions(rdoc *d, const vmp_bench_report *r)
{
	static const char *const heads[] = {"hostname", "vm",     "workload", "metric", "variant",
					    "started",  "median", "previous", "change"};
	char a[80], b[32];

	rdoc_h2(d, "Regressions");
	rdoc_table(d, 9);
	for (int k = 0; k < 9; k++)
		rdoc_cell(d, "%s", heads[k]);
	for (int s = 0; s < r->nseries; s++)
		for (int i = 0; i < r->series[s].npoints; i++) {
			const vmp_bench_series *se = &r->series[s];
			const vmp_bench_point *p = &se->points[i];
			if (!p->regression)
				continue;
			rdoc_cell(d, "%s", se->hostname);
			rdoc_cell(d, "%s", se->vm);
			rdoc_cell(d, "%s", se->workload);
			rdoc_cell(d, "%s (%s)", se->metric, se->unit);
			rdoc_cell(d, "%s", se->variant);
			rdoc_cell(d, "%s", p->started_at);
			num(a, sizeof(a), p->median);
			rdoc_cell(d, "%s", a);
			num(b, sizeof(b), p->previous);
			rdoc_cell(d, "%s", b);
			rdoc_cell(d, "%+.1f%%", (p->median / p->previous - 1) * 100);
		}
}

/* name.dat: a block of points per series s..e-1 (gnuplot's index). */
static int trend_data(const vmp_bench_report *r, int s, int e, const char *name,
		      const vmp_report_opts *opts)
{
	rbuf dat = {0};
	char file[80], *data;
	int block = 0, err;

	for (int k = s; k < e; k++) {
		rbuf_add(&dat, "# series %d\n", block++);
		for (int i = 0; i < r->series[k].npoints; i++) {
			const vmp_bench_point *p = &r->series[k].points[i];
			rbuf_add(&dat, "%lld %.17g %.17g %.17g %d\n", (long long)p->time, p->median,
				 p->min, p->max, p->regression);
		}
		rbuf_add(&dat, "\n\n");
	}
	snprintf(file, sizeof(file), "%s.dat", name);
	if (!(data = rbuf_take(&dat))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	err = report_write_file(opts->out_dir, file, data, strlen(data));
	free(data);
	return err;
}

static const unsigned trend_colours[] = {0x1f4e9c, 0x2ca02c, 0x9467bd, 0xd62728};

/* Time ticks that neither repeat nor crowd: about 6 over the span, in days or hours. */
static void time_axis(rbuf *gp, const vmp_bench_report *r, int s, int e)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN, step;

	for (int k = s; k < e; k++)
		for (int i = 0; i < r->series[k].npoints; i++) {
			int64_t t = r->series[k].points[i].time;
			lo = t < lo ? t : lo;
			hi = t > hi ? t : hi;
		}
	rbuf_add(gp, "set xdata time\nset timefmt '%%s'\n");
	if (lo > hi)
		return;
	if (hi - lo >= 2 * 86400) {
		step = ((hi - lo) / 6 / 86400 + 1) * 86400;
		rbuf_add(gp, "set format x '%%Y-%%m-%%d'\n");
	} else {
		step = ((hi - lo) / 6 / 3600 + 1) * 3600;
		rbuf_add(gp, "set format x '%%m-%%d %%H:%%M'\n");
	}
	/* Ticks on whole days (or hours) from the first run's. */
	rbuf_add(gp, "set xtics %lld, %lld nomirror\nset xrange [%lld:%lld]\n",
		 (long long)(lo - lo % step), (long long)step, (long long)(lo - step / 4),
		 (long long)(hi + step / 4));
}

/* The plot of series s..e-1 (one host and metric) over time, regressions in red. */
static void trend_script(rbuf *gp, rchart *c, const vmp_bench_report *r, int s, int e,
			 const char *name, bool svg)
{
	const vmp_bench_series *first = &r->series[s];
	char buf[512];

	gp_begin(gp, c, name, VMP_REPORT_CHART_W, VMP_REPORT_CHART_H);
	time_axis(gp, r, s, e);
	rbuf_add(gp, "set grid\nset key outside right top\nset yrange [0:*]\n"
		     "set offsets graph 0.03, graph 0.03, graph 0.08, 0\nset title ");
	snprintf(buf, sizeof(buf), "%s (%s): %s", first->hostname, first->host, first->metric);
	rbuf_gp_str(gp, buf);
	rbuf_add(gp, "\nset ylabel ");
	snprintf(buf, sizeof(buf), "%s (%s)", first->metric, first->unit);
	rbuf_gp_str(gp, buf);
	rbuf_add(gp, "\nplot ");
	/* The plan bold and solid, the baselines thin and dashed; min-max as error bars. */
	for (int k = s, nplans = 0; k < e; k++) {
		bool plan = !strcmp(r->series[k].variant, "plan");
		unsigned rgb = plan ? trend_colours[nplans++ % 4]
				    : 0x909090u - 0x202020u * (unsigned)((k - s) % 3);
		series_title(buf, sizeof(buf), &r->series[k]);
		rbuf_add(gp,
			 "%s'%s.dat' index %d using 1:2:3:4 with yerrorbars lc rgb '#%06x' pt 7 "
			 "ps %s notitle, '' index %d using 1:2 with lines lc rgb '#%06x' lw %s dt "
			 "%d title ",
			 k > s ? ", " : "", name, k - s, rgb, plan ? "1.2" : "0.6", k - s, rgb,
			 plan ? "3" : "1.5", plan ? 1 : 2);
		rbuf_gp_str(gp, buf);
	}
	for (int k = s; k < e; k++)
		rbuf_add(gp,
			 ", '%s.dat' index %d using 1:($5 > 0 ? $2 : NaN) with points pt 6 "
			 "ps 3 lw 2 lc rgb 'red' %s",
			 name, k - s, k == s ? "title 'regression'" : "notitle");
	rbuf_add(gp, "\n");
	gp_end(gp, c, svg);
}

/* The section of one host and metric: its chart and every point of series s..e-1. */
static void doc_trend(rdoc *d, const rchart *c, const vmp_bench_report *r, int s, int e,
		      const char *name)
{
	static const char *const heads[] = {"series", "run", "started",   "median",
					    "min",    "max", "regression"};
	const vmp_bench_series *first = &r->series[s];
	char buf[512], a[80];

	rdoc_h2(d, "%s (%s): %s", first->hostname, first->host, first->metric);
	snprintf(buf, sizeof(buf), "%s over time on %s", first->metric, first->hostname);
	snprintf(a, sizeof(a), "%s.png", name);
	rdoc_img(d, a, c->w, c->h, buf);
	rdoc_table(d, 7);
	for (int k = 0; k < 7; k++)
		rdoc_cell(d, "%s", heads[k]);
	for (int k = s; k < e; k++)
		for (int i = 0; i < r->series[k].npoints; i++) {
			const vmp_bench_point *p = &r->series[k].points[i];
			series_title(buf, sizeof(buf), &r->series[k]);
			rdoc_cell(d, "%s", buf);
			rdoc_cell(d, "%lld", p->run_id);
			rdoc_cell(d, "%s", p->started_at);
			num(a, sizeof(a), p->median);
			rdoc_cell(d, "%s", a);
			num(a, sizeof(a), p->min);
			rdoc_cell(d, "%s", a);
			num(a, sizeof(a), p->max);
			rdoc_cell(d, "%s", a);
			rdoc_cell(d, "%s", p->regression ? "yes" : "");
		}
}

/* One chart per host and metric; the series are consecutive in that order. */
static int trends(rbuf *gp, rchart *charts, int *ncharts, rdoc *d, const vmp_bench_report *r,
		  const vmp_report_opts *opts)
{
	char name[64];
	int err;

	for (int s = 0; s < r->nseries;) {
		const vmp_bench_series *first = &r->series[s];
		rchart *c = &charts[*ncharts];
		int e = s;
		while (e < r->nseries && !strcmp(r->series[e].host, first->host) &&
		       !strcmp(r->series[e].metric, first->metric))
			e++;
		snprintf(name, sizeof(name), "trend-%d", *ncharts + 1);
		(*ncharts)++;
		if ((err = trend_data(r, s, e, name, opts)) < 0)
			return err;
		trend_script(gp, c, r, s, e, name, opts->svg);
		doc_trend(d, c, r, s, e, name);
		s = e;
	}
	return VMP_OK;
}

/* ratio.dat and the bar chart of the plan against each baseline. */
static int ratio_chart(rbuf *gp, rchart *c, const vmp_bench_report *r, const vmp_report_opts *opts)
{
	rbuf dat = {0};
	char buf[512], *data;
	int err;

	for (int i = 0; i < r->nratios; i++)
		rbuf_add(&dat, "%d %.17g\n", i, isnan(r->ratios[i].ratio) ? 0 : r->ratios[i].ratio);
	if (!(data = rbuf_take(&dat))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	err = report_write_file(opts->out_dir, "ratio.dat", data, strlen(data));
	free(data);
	if (err < 0)
		return err;
	gp_begin(gp, c, "ratio", VMP_REPORT_CHART_W, VMP_REPORT_CHART_H);
	rbuf_add(gp,
		 "set style fill solid 0.8 border -1\nset boxwidth 0.7\nset grid "
		 "ytics\nset yrange [0:*]\nset xrange [-0.6:%d.6]\nset xtics nomirror "
		 "rotate by -30\nset key off\nset ylabel 'plan / baseline (above 1: "
		 "plan better)'\nset title 'Plan versus baseline'\nset arrow from "
		 "graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb 'black'\nset "
		 "xtics (",
		 r->nratios - 1);
	for (int i = 0; i < r->nratios; i++) {
		const vmp_bench_ratio *q = &r->ratios[i];
		snprintf(buf, sizeof(buf), "%s %s %s vs %s", r->series[q->series].hostname,
			 r->series[q->series].vm, r->series[q->series].metric,
			 r->series[q->baseline].variant);
		rbuf_add(gp, "%s", i ? ", " : "");
		rbuf_gp_str(gp, buf);
		rbuf_add(gp, " %d", i);
	}
	rbuf_add(gp, ")\nplot 'ratio.dat' using 1:2 with boxes lc rgb '#4682b4'\n");
	gp_end(gp, c, opts->svg);
	return VMP_OK;
}

/* The table of the plan against each baseline in each host's latest run. */
static void doc_ratios(rdoc *d, const vmp_bench_report *r)
{
	static const char *const heads[] = {"hostname", "vm",   "workload", "metric",
					    "baseline", "plan", "base",     "ratio"};
	char a[80];

	rdoc_table(d, 8);
	for (int k = 0; k < 8; k++)
		rdoc_cell(d, "%s", heads[k]);
	for (int i = 0; i < r->nratios; i++) {
		const vmp_bench_ratio *q = &r->ratios[i];
		const vmp_bench_series *p = &r->series[q->series];
		rdoc_cell(d, "%s", p->hostname);
		rdoc_cell(d, "%s", p->vm);
		rdoc_cell(d, "%s", p->workload);
		rdoc_cell(d, "%s (%s)", p->metric, p->unit);
		rdoc_cell(d, "%s", r->series[q->baseline].variant);
		num(a, sizeof(a), q->plan);
		rdoc_cell(d, "%s", a);
		num(a, sizeof(a), q->base);
		rdoc_cell(d, "%s", a);
		num(a, sizeof(a), q->ratio);
		rdoc_cell(d, "%s", a);
	}
}

int vmp_bench_report_write(char **text, char **json, const vmp_bench_report *r,
			   const vmp_report_opts *opts)
{
	char prog[4096];
	rbuf gp = {0};
	rchart *charts = NULL;
	int ncharts = 0, err;
	char *js = NULL, *script = NULL;
	rdoc d;

	rdoc_init(&d, "vmplan bench report");
	if ((err = report_prepare(prog, sizeof(prog), opts)) < 0)
		goto out;
	if (!(charts = calloc((size_t)r->nseries + 2, sizeof(*charts)))) {
		err = VMP_ENOMEM;
		vmp_error_set("out of memory");
		goto out;
	}
	doc_intro(&d, r);
	doc_regressions(&d, r);
	if ((err = trends(&gp, charts, &ncharts, &d, r, opts)) < 0)
		goto out;
	rdoc_h2(&d, "Plan versus baseline (each host's latest run)");
	if (r->nratios) {
		rchart *c = &charts[ncharts++];
		if ((err = ratio_chart(&gp, c, r, opts)) < 0)
			goto out;
		rdoc_img(&d, "ratio.png", c->w, c->h, "Plan versus baseline");
	}
	doc_ratios(&d, r);
	if (!(script = rbuf_take(&gp))) {
		err = VMP_ENOMEM;
		vmp_error_set("out of memory");
		goto out;
	}
	if (ncharts && (err = report_run_gnuplot(opts->out_dir, script, opts)) < 0)
		goto out;
	if (!(js = bench_json(r, charts, ncharts))) {
		err = VMP_ENOMEM;
		vmp_error_set("out of memory");
		goto out;
	}
	err = report_finish(text, json, &d, js, opts);
out:
	report_end(); /* nothing of a report that failed */
	free(js);
	free(script);
	free(gp.s);
	free(charts);
	rdoc_free(&d);
	return err;
}
