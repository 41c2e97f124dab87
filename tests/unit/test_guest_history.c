/* Unit tests of the engine in the bench history: stored, read back, old histories migrated,
 * and runs of another engine never compared. */
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

static char path[256];

/* One plan result of vm db, compute. */
static void fill(vmp_bench_run *run, vmp_bench_result *r, double compute, const char *when)
{
	memset(run, 0, sizeof(*run));
	memset(r, 0, sizeof(*r));
	snprintf(run->started_at, sizeof(run->started_at), "%s", when);
	snprintf(run->host, sizeof(run->host), "00000000000000aa");
	snprintf(run->hostname, sizeof(run->hostname), "box");
	snprintf(run->version, sizeof(run->version), "0.1.0");
	snprintf(run->plan_hash, sizeof(run->plan_hash), "00000000000000bb");
	snprintf(run->workloads, sizeof(run->workloads), "compute");
	run->reps = 1;
	run->variants = 1u << VMP_BENCH_PLAN;
	snprintf(r->vm, sizeof(r->vm), "db");
	r->workload = VMP_BENCH_COMPUTE;
	r->variant = VMP_BENCH_PLAN;
	r->higher_is_better = true;
	r->median = r->min = r->max = compute;
	r->reps = 1;
	run->nresults = 1;
	run->results = r;
}

static void test_engine_stored_and_separate(void **state)
{
	vmp_history *h = NULL;
	vmp_bench_run host_run, guest_run, *back = NULL;
	vmp_bench_result hr, gr;
	vmp_bench_regression *regs = NULL;
	int64_t id;
	int n = -1;

	(void)state;
	unlink(path);
	assert_int_equal(vmp_history_open(&h, path), VMP_OK);
	fill(&host_run, &hr, 1000, "2026-12-01T00:00:00Z");
	assert_int_equal(vmp_history_store(h, &host_run, NULL), VMP_OK);
	fill(&guest_run, &gr, 10, "2026-12-02T00:00:00Z");
	guest_run.engine = VMP_BENCH_ENGINE_GUEST;
	snprintf(guest_run.accel, sizeof(guest_run.accel), "tcg");
	/* The host run's 1000 would make 10 a regression; another engine is not compared. */
	assert_int_equal(vmp_history_compare(&regs, &n, h, &guest_run, 5, 10, -1), VMP_OK);
	assert_int_equal(n, 0);
	free(regs);
	assert_int_equal(vmp_history_store(h, &guest_run, &id), VMP_OK);
	assert_int_equal(vmp_history_load(&back, h, id), VMP_OK);
	assert_int_equal(back->engine, VMP_BENCH_ENGINE_GUEST);
	assert_string_equal(back->accel, "tcg");
	assert_false(back->perf_judged);
	vmp_bench_run_free(back);
	/* The same engine is compared. */
	fill(&host_run, &hr, 10, "2026-12-03T00:00:00Z");
	assert_int_equal(vmp_history_compare(&regs, &n, h, &host_run, 5, 10, -1), VMP_OK);
	assert_int_equal(n, 1);
	assert_true(regs[0].regressed);
	free(regs);
	vmp_history_close(h);
	unlink(path);
}

static void test_old_history_migrated(void **state)
{
	sqlite3 *db;
	vmp_history *h = NULL;
	vmp_bench_run *back = NULL;

	(void)state;
	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
			 "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
			 "INSERT INTO meta VALUES ('schema', '1');"
			 "CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL,"
			 " host TEXT NOT NULL, hostname TEXT NOT NULL, version TEXT NOT NULL,"
			 " plan_hash TEXT NOT NULL, workloads TEXT NOT NULL);"
			 "CREATE TABLE results (run_id INTEGER NOT NULL REFERENCES runs(id),"
			 " vm TEXT NOT NULL, workload TEXT NOT NULL, metric TEXT NOT NULL,"
			 " unit TEXT NOT NULL, variant TEXT NOT NULL, higher_is_better INTEGER NOT "
			 "NULL, median REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL,"
			 " reps INTEGER NOT NULL);"
			 "INSERT INTO runs VALUES (1, '2026-11-01T00:00:00Z', 'aa', 'box', '0.1.0',"
			 " 'bb', 'compute');",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(vmp_history_open(&h, path), VMP_OK);
	assert_int_equal(vmp_history_load(&back, h, 1), VMP_OK);
	assert_int_equal(back->engine, VMP_BENCH_ENGINE_HOST);
	vmp_bench_run_free(back);
	vmp_history_close(h);
	/* Opened again: the column is there now, nothing is added twice. */
	assert_int_equal(vmp_history_open(&h, path), VMP_OK);
	vmp_history_close(h);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_engine_stored_and_separate),
	    cmocka_unit_test(test_old_history_migrated),
	};

	snprintf(path, sizeof(path), "/tmp/vmplan-guest-history-%ld.db", (long)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
