/* Unit tests of the bench history: schema, store and read back, regression detection. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "vmplan/bench.h"
#include "vmplan/error.h"
#include "vmplan/history.h"

#include "histdb.h"

/* A run with one plan result per (vm, workload) and the same for a baseline. */
static void fill_run(vmp_bench_run *run, vmp_bench_result *rs, const char *host,
		     const char *plan_hash, const char *when, double compute, double latency)
{
	memset(run, 0, sizeof(*run));
	snprintf(run->started_at, sizeof(run->started_at), "%s", when);
	snprintf(run->host, sizeof(run->host), "%s", host);
	snprintf(run->hostname, sizeof(run->hostname), "box");
	snprintf(run->version, sizeof(run->version), "0.1.0");
	snprintf(run->plan_hash, sizeof(run->plan_hash), "%s", plan_hash);
	snprintf(run->workloads, sizeof(run->workloads), "compute,latency");
	run->reps = 3;
	run->variants = 1u << VMP_BENCH_PLAN | VMP_BENCH_BASE_UNPINNED;
	memset(rs, 0, 3 * sizeof(*rs));
	for (int k = 0; k < 3; k++) {
		snprintf(rs[k].vm, sizeof(rs[k].vm), "db");
		rs[k].reps = 3;
	}
	rs[0].workload = VMP_BENCH_COMPUTE;
	rs[0].variant = VMP_BENCH_PLAN;
	rs[0].median = compute;
	rs[1].workload = VMP_BENCH_LATENCY;
	rs[1].variant = VMP_BENCH_PLAN;
	rs[1].median = latency;
	rs[2].workload = VMP_BENCH_COMPUTE;
	rs[2].variant = VMP_BENCH_UNPINNED;
	rs[2].median = compute / 2;
	for (int k = 0; k < 3; k++) {
		rs[k].higher_is_better = vmp_bench_higher_is_better(rs[k].workload);
		rs[k].min = rs[k].median * 0.99;
		rs[k].max = rs[k].median * 1.01;
	}
	run->results = rs;
	run->nresults = 3;
}

static void test_create_and_schema(void **state)
{
	vmp_history *h;
	sqlite3 *db;
	FILE *f;

	(void)state;
	assert_int_equal(vmp_history_open(&h, path), VMP_OK);
	vmp_history_close(h);
	/* The tables of history.h, and meta's schema row. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
			 "SELECT id, started_at, host, hostname, version, plan_hash, "
			 "workloads FROM runs; SELECT run_id, vm, workload, metric, "
			 "unit, variant, higher_is_better, median, min, max, reps FROM "
			 "results",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "UPDATE meta SET value = '2' WHERE key = 'schema'", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	/* Reopening checks the version. */
	assert_int_equal(vmp_history_open(&h, path), VMP_EINVAL);
	assert_null(h);
	assert_non_null(strstr(vmp_error_last(), "schema 2"));
	/* Not SQLite at all. */
	unlink(path);
	assert_non_null(f = fopen(path, "w"));
	fputs("this is not a database, not even close; it is long enough to have a header\n", f);
	fclose(f);
	assert_int_equal(vmp_history_open(&h, path), VMP_EINVAL);
	assert_null(h);
}

/* Another program's database is refused, not extended; so is a partial history. */
static void test_foreign_and_partial(void **state)
{
	vmp_history *h = NULL;
	sqlite3 *db;
	char *tables = NULL;

	(void)state;
	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE foo (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(vmp_history_open(&h, path), VMP_EINVAL);
	assert_null(h);
	assert_non_null(strstr(vmp_error_last(), "not a vmplan history"));
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "SELECT 1 FROM meta", NULL, NULL, &tables),
			 SQLITE_ERROR); /* nothing was added to it */
	sqlite3_free(tables);
	/* meta but no runs/results: refused before any bench runs, as bad input. */
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
				      "INSERT INTO meta VALUES ('schema', '1')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(vmp_history_open(&h, path), VMP_EINVAL);
	assert_null(h);
	unlink(path);
}

static void test_store_and_load(void **state)
{
	vmp_bench_result rs[3];
	vmp_bench_run run, *back;
	vmp_history *h;
	int64_t id1, id2;

	(void)state;
	assert_int_equal(vmp_history_open(&h, path), VMP_OK);
	fill_run(&run, rs, "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "2026-11-01T02:30:00Z", 1e9, 80);
	assert_int_equal(vmp_history_store(h, &run, &id1), VMP_OK);
	assert_int_equal(vmp_history_store(h, &run, &id2), VMP_OK);
	assert_true(id2 > id1);
	vmp_history_close(h);

	assert_int_equal(vmp_history_open(&h, path), VMP_OK);
	assert_int_equal(vmp_history_load(&back, h, id1), VMP_OK);
	assert_string_equal(back->started_at, "2026-11-01T02:30:00Z");
	assert_string_equal(back->host, "aaaaaaaaaaaaaaaa");
	assert_string_equal(back->plan_hash, "bbbbbbbbbbbbbbbb");
	assert_string_equal(back->workloads, "compute,latency");
	assert_string_equal(back->version, "0.1.0");
	assert_int_equal(back->nresults, 3);
	for (int k = 0; k < 3; k++) {
		assert_string_equal(back->results[k].vm, "db");
		assert_int_equal(back->results[k].workload, rs[k].workload);
		assert_int_equal(back->results[k].variant, rs[k].variant);
		assert_int_equal(back->results[k].higher_is_better, rs[k].higher_is_better);
		assert_true(back->results[k].median == rs[k].median);
		assert_true(back->results[k].min == rs[k].min);
		assert_true(back->results[k].max == rs[k].max);
		assert_int_equal(back->results[k].reps, 3);
	}
	assert_true(back->variants & VMP_BENCH_BASE_UNPINNED);
	vmp_bench_run_free(back);
	assert_int_equal(vmp_history_load(&back, h, 9999), VMP_ENOTFOUND);
	vmp_history_close(h);
}

static const vmp_bench_regression *find(const vmp_bench_regression *regs, int n,
					vmp_bench_workload w, vmp_bench_variant v)
{
	for (int k = 0; k < n; k++)
		if (regs[k].workload == w && regs[k].variant == v)
			return &regs[k];
	return NULL;
}

/*
 * A synthetic history: five old runs far better (beyond --compare-last 8), eight recent
 * runs of compute ~1000 and latency ~100 with +-3% noise, and runs of another plan and
 * another host that must not count.
 */
static void plant_history(vmp_history *h)
{
	static const double noise[8] = {0.97, 1.02, 0.99, 1.03, 1.00, 0.98, 1.01, 0.99};
	vmp_bench_result rs[3];
	vmp_bench_run run;
	char when[32];

	for (int k = 0; k < 5; k++) {
		snprintf(when, sizeof(when), "2026-10-%02dT02:30:00Z", k + 1);
		fill_run(&run, rs, "hosthosthosthost", "planplanplanplan", when, 5000, 20);
		assert_int_equal(vmp_history_store(h, &run, NULL), VMP_OK);
	}
	for (int k = 0; k < 8; k++) {
		snprintf(when, sizeof(when), "2026-11-%02dT02:30:00Z", k + 1);
		fill_run(&run, rs, "hosthosthosthost", "planplanplanplan", when, 1000 * noise[k],
			 100 / noise[k]);
		assert_int_equal(vmp_history_store(h, &run, NULL), VMP_OK);
		fill_run(&run, rs, "hosthosthosthost", "otherplanotherpl", when, 10, 1000);
		assert_int_equal(vmp_history_store(h, &run, NULL), VMP_OK);
		fill_run(&run, rs, "otherhostotherho", "planplanplanplan", when, 10, 1000);
		assert_int_equal(vmp_history_store(h, &run, NULL), VMP_OK);
	}
}

static void test_regression_detection(void **state)
{
	vmp_bench_regression *regs;
	const vmp_bench_regression *g;
	vmp_bench_result rs[3];
	vmp_bench_run run;
	vmp_history *h;
	int n;

	(void)state;
	assert_int_equal(vmp_history_open(&h, path), VMP_OK);
	plant_history(h);

	/* Noise: 3% down in compute, 4% up in latency: nothing flagged. */
	fill_run(&run, rs, "hosthosthosthost", "planplanplanplan", "2026-11-29T02:30:00Z", 970,
		 104);
	assert_int_equal(vmp_history_compare(&regs, &n, h, &run, 8, 10, -1), VMP_OK);
	assert_int_equal(n, 2); /* the plan's compute and latency; not the baseline */
	assert_null(find(regs, n, VMP_BENCH_COMPUTE, VMP_BENCH_UNPINNED));
	g = find(regs, n, VMP_BENCH_COMPUTE, VMP_BENCH_PLAN);
	assert_non_null(g);
	assert_int_equal(g->runs, 8);
	/* The median of the last 8, not pulled up by the old 5000s nor down by other plans. */
	assert_true(fabs(g->history - 995) < 1e-6);
	assert_false(g->regressed);
	assert_false(find(regs, n, VMP_BENCH_LATENCY, VMP_BENCH_PLAN)->regressed);
	free(regs);

	/* A planted drop: compute 20% down, latency 25% up (worse); flagged, signed negative. */
	fill_run(&run, rs, "hosthosthosthost", "planplanplanplan", "2026-11-29T02:30:00Z", 796,
		 125);
	assert_int_equal(vmp_history_compare(&regs, &n, h, &run, 8, 10, -1), VMP_OK);
	g = find(regs, n, VMP_BENCH_COMPUTE, VMP_BENCH_PLAN);
	assert_true(g->regressed);
	assert_true(fabs(g->change_pct + 20) < 0.01);
	g = find(regs, n, VMP_BENCH_LATENCY, VMP_BENCH_PLAN);
	assert_true(g->regressed);
	assert_true(g->change_pct < -10);
	free(regs);

	/* A higher threshold lets the same drop pass; with all 13 runs the median moves up. */
	assert_int_equal(vmp_history_compare(&regs, &n, h, &run, 8, 30, -1), VMP_OK);
	assert_false(find(regs, n, VMP_BENCH_COMPUTE, VMP_BENCH_PLAN)->regressed);
	free(regs);
	assert_int_equal(vmp_history_compare(&regs, &n, h, &run, 13, 10, -1), VMP_OK);
	assert_int_equal(find(regs, n, VMP_BENCH_COMPUTE, VMP_BENCH_PLAN)->runs, 13);
	free(regs);

	/* No history for this plan: no entries. */
	fill_run(&run, rs, "hosthosthosthost", "neverseenbefore0", "2026-11-29T02:30:00Z", 1, 1);
	assert_int_equal(vmp_history_compare(&regs, &n, h, &run, 8, 10, -1), VMP_OK);
	assert_int_equal(n, 0);
	assert_null(regs);
	assert_int_equal(vmp_history_compare(&regs, &n, h, &run, 0, 10, -1), VMP_EINVAL);
	vmp_history_close(h);
}

static void test_exclude_stored_run(void **state)
{
	vmp_bench_regression *regs;
	vmp_bench_result rs[3];
	vmp_bench_run run;
	vmp_history *h;
	int64_t id;
	int n;

	(void)state;
	assert_int_equal(vmp_history_open(&h, path), VMP_OK);
	fill_run(&run, rs, "hosthosthosthost", "planplanplanplan", "2026-11-01T00:00:00Z", 1000,
		 100);
	assert_int_equal(vmp_history_store(h, &run, NULL), VMP_OK);
	fill_run(&run, rs, "hosthosthosthost", "planplanplanplan", "2026-11-02T00:00:00Z", 500,
		 100);
	assert_int_equal(vmp_history_store(h, &run, &id), VMP_OK);
	/* Stored first, then compared: the run itself is left out. */
	assert_int_equal(vmp_history_compare(&regs, &n, h, &run, 1, 10, id), VMP_OK);
	assert_true(find(regs, n, VMP_BENCH_COMPUTE, VMP_BENCH_PLAN)->history == 1000);
	assert_true(find(regs, n, VMP_BENCH_COMPUTE, VMP_BENCH_PLAN)->regressed);
	free(regs);
	vmp_history_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_create_and_schema, setup),
	    cmocka_unit_test_setup(test_foreign_and_partial, setup),
	    cmocka_unit_test_setup(test_store_and_load, setup),
	    cmocka_unit_test_setup(test_regression_detection, setup),
	    cmocka_unit_test_setup(test_exclude_stored_run, setup),
	};
	int rc;

	if (histdb_start("history") < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	histdb_end();
	return rc;
}
