/* Unit tests of history hygiene: runs of other settings kept apart, pruning, report window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "vmplan/bench.h"
#include "vmplan/error.h"
#include "vmplan/report.h"

#include "histdb.h"

/* A run of one plan result (compute, higher is better) with these settings. */
static void fill_run(vmp_bench_run *run, vmp_bench_result *r, const char *when, int reps,
		     double seconds, double compute)
{
	memset(run, 0, sizeof(*run));
	memset(r, 0, sizeof(*r));
	snprintf(run->started_at, sizeof(run->started_at), "%s", when);
	snprintf(run->host, sizeof(run->host), "00000000000000aa");
	snprintf(run->hostname, sizeof(run->hostname), "box");
	snprintf(run->version, sizeof(run->version), "0.1.0");
	snprintf(run->plan_hash, sizeof(run->plan_hash), "00000000000000bb");
	snprintf(run->workloads, sizeof(run->workloads), "compute");
	run->reps = reps;
	run->seconds = seconds;
	run->variants = 1u << VMP_BENCH_PLAN;
	snprintf(r->vm, sizeof(r->vm), "db");
	r->workload = VMP_BENCH_COMPUTE;
	r->variant = VMP_BENCH_PLAN;
	r->higher_is_better = true;
	r->median = r->min = r->max = compute;
	r->reps = reps;
	run->results = r;
	run->nresults = 1;
}

/* now - days, as the history writes started_at. */
static void days_ago(char *out, size_t size, int days)
{
	time_t t = time(NULL) - (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void store(vmp_history *h, const char *when, int reps, double seconds, double compute)
{
	vmp_bench_run run;
	vmp_bench_result r;

	fill_run(&run, &r, when, reps, seconds, compute);
	assert_int_equal(vmp_history_store(h, &run, NULL), VMP_OK);
}

static void test_settings_kept_apart(void **state)
{
	vmp_bench_regression *regs = NULL;
	vmp_bench_run run;
	vmp_bench_result r;
	vmp_history *h;
	char when[32];
	int n;

	(void)state;
	days_ago(when, sizeof(when), 1);
	assert_int_equal(vmp_history_open(&h, path), VMP_OK);
	for (int k = 0; k < 3; k++)
		store(h, when, 5, 0.5, 1000);
	/* Half as fast, but with other --reps: nothing to compare with. */
	fill_run(&run, &r, when, 3, 0.5, 500);
	assert_int_equal(vmp_history_compare(&regs, &n, h, &run, 5, 10, -1), VMP_OK);
	assert_int_equal(n, 0);
	free(regs);
	/* Nor with other --seconds. */
	fill_run(&run, &r, when, 5, 0.25, 500);
	assert_int_equal(vmp_history_compare(&regs, &n, h, &run, 5, 10, -1), VMP_OK);
	assert_int_equal(n, 0);
	free(regs);
	/* Nor with another engine. */
	fill_run(&run, &r, when, 5, 0.5, 500);
	run.engine = VMP_BENCH_ENGINE_GUEST;
	snprintf(run.accel, sizeof(run.accel), "tcg");
	assert_int_equal(vmp_history_compare(&regs, &n, h, &run, 5, 10, -1), VMP_OK);
	assert_int_equal(n, 0);
	free(regs);
	/* The same settings: a regression. */
	fill_run(&run, &r, when, 5, 0.5, 500);
	assert_int_equal(vmp_history_compare(&regs, &n, h, &run, 5, 10, -1), VMP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(regs[0].runs, 3);
	assert_true(regs[0].regressed);
	free(regs);
	vmp_history_close(h);
}

static int count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void test_prune(void **state)
{
	vmp_history *h;
	char old[32], recent[32];
	int removed = -1;

	(void)state;
	days_ago(old, sizeof(old), 40);
	days_ago(recent, sizeof(recent), 2);
	assert_int_equal(vmp_history_open(&h, path), VMP_OK);
	store(h, old, 5, 0.5, 900);
	store(h, old, 5, 0.5, 900);
	store(h, recent, 5, 0.5, 1000);
	assert_int_equal(vmp_history_prune(&removed, h, 0), VMP_EINVAL);
	assert_int_equal(vmp_history_prune(&removed, h, 45), VMP_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(vmp_history_prune(&removed, h, 30), VMP_OK);
	assert_int_equal(removed, 2);
	vmp_history_close(h);
	assert_int_equal(count("SELECT count(*) FROM runs"), 1);
	/* Their results went with them. */
	assert_int_equal(count("SELECT count(*) FROM results"), 1);
	assert_int_equal(count("SELECT count(*) FROM runs WHERE reps = 5 AND seconds = 0.5"), 1);
}

static void test_report_window(void **state)
{
	vmp_bench_report *r = NULL;
	vmp_history *h;
	char old[32], recent[32];

	(void)state;
	days_ago(old, sizeof(old), 40);
	days_ago(recent, sizeof(recent), 2);
	assert_int_equal(vmp_history_open(&h, path), VMP_OK);
	store(h, old, 5, 0.5, 900);
	store(h, recent, 5, 0.5, 1000);
	vmp_history_close(h);
	assert_int_equal(vmp_bench_report_new_days(&r, path, NULL, 30), VMP_OK);
	assert_int_equal(r->nruns, 1);
	assert_int_equal(r->nseries, 1);
	assert_int_equal(r->series[0].npoints, 1);
	assert_true(r->series[0].points[0].median == 1000);
	vmp_bench_report_free(r);
	assert_int_equal(vmp_bench_report_new_days(&r, path, NULL, 0), VMP_OK);
	assert_int_equal(r->nruns, 2);
	assert_int_equal(r->series[0].npoints, 2);
	vmp_bench_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_settings_kept_apart, setup),
	    cmocka_unit_test_setup(test_prune, setup),
	    cmocka_unit_test_setup(test_report_window, setup),
	};
	int rc;

	if (histdb_start("hygiene") < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	histdb_end();
	return rc;
}
