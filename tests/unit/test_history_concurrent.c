/* The bench history under concurrent first runs, and its output path's symbolic links. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "vmplan/bench.h"
#include "vmplan/error.h"
#include "vmplan/history.h"

#define WRITERS 20

/* One run of one result, as a bench stores it. */
static void one_run(vmp_bench_run *run, vmp_bench_result *r, int i)
{
	memset(run, 0, sizeof(*run));
	memset(r, 0, sizeof(*r));
	snprintf(run->started_at, sizeof(run->started_at), "2026-12-01T00:00:%02dZ", i % 60);
	snprintf(run->host, sizeof(run->host), "aaaaaaaaaaaaaaaa");
	snprintf(run->hostname, sizeof(run->hostname), "box");
	snprintf(run->version, sizeof(run->version), "0.1.0");
	snprintf(run->plan_hash, sizeof(run->plan_hash), "bbbbbbbbbbbbbbbb");
	snprintf(run->workloads, sizeof(run->workloads), "compute");
	run->reps = 3;
	run->variants = 1u << VMP_BENCH_PLAN;
	snprintf(r->vm, sizeof(r->vm), "db");
	r->reps = 3;
	r->workload = VMP_BENCH_COMPUTE;
	r->variant = VMP_BENCH_PLAN;
	r->higher_is_better = vmp_bench_higher_is_better(r->workload);
	r->median = r->min = r->max = 1e9 + i;
	run->results = r;
	run->nresults = 1;
}

/* Twenty processes start on a history that does not exist yet: every one records its run. */
static void test_concurrent_creators(void **state)
{
	char dir[] = "/tmp/vmplan-hist-XXXXXX", path[PATH_MAX], cmd[PATH_MAX + 16];
	pid_t pids[WRITERS];
	int status, failed = 0;
	sqlite3 *db;
	sqlite3_stmt *st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/new.db", dir);
	for (int i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			vmp_bench_result r;
			vmp_bench_run run;
			vmp_history *h;
			one_run(&run, &r, i);
			if (vmp_history_open(&h, path) < 0) {
				fprintf(stderr, "writer %d: %s\n", i, vmp_error_last());
				_exit(1);
			}
			if (vmp_history_store(h, &run, NULL) < 0) {
				fprintf(stderr, "writer %d: %s\n", i, vmp_error_last());
				_exit(2);
			}
			vmp_history_close(h);
			_exit(0);
		}
	}
	for (int i = 0; i < WRITERS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	assert_int_equal(failed, 0);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM runs", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), WRITERS);
	sqlite3_finalize(st);
	sqlite3_close(db);
	snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A history path that is another user's symbolic link is refused, its target untouched. */
static void test_foreign_link(void **state)
{
	char dir[] = "/tmp/vmplan-hist-XXXXXX", link[PATH_MAX], target[PATH_MAX];
	char cmd[PATH_MAX + 16];
	vmp_history *h;
	FILE *f;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(link, sizeof(link), "%s/h.db", dir);
	assert_non_null(f = fopen(target, "w"));
	fclose(f);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(lchown(link, 65534, 65534), 0);
	assert_int_equal(vmp_history_open(&h, link), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "owned by another user"));
	assert_non_null(f = fopen(target, "r"));
	assert_int_equal(fgetc(f), EOF);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_concurrent_creators),
	    cmocka_unit_test(test_foreign_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
