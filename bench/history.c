/* The bench history in SQLite (schema in vmplan/history.h): store, read back, compare. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "vmplan/bench.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/history.h"
#include "vmplan/stats.h"

struct vmp_history {
	sqlite3 *db;
	char *path;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS runs ("
    "  id INTEGER PRIMARY KEY,"
    "  started_at TEXT NOT NULL,"
    "  host TEXT NOT NULL,"
    "  hostname TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  plan_hash TEXT NOT NULL,"
    "  workloads TEXT NOT NULL,"
    "  engine TEXT NOT NULL DEFAULT 'host'"
    ");"
    "CREATE TABLE IF NOT EXISTS results ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id),"
    "  vm TEXT NOT NULL,"
    "  workload TEXT NOT NULL,"
    "  metric TEXT NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  variant TEXT NOT NULL,"
    "  higher_is_better INTEGER NOT NULL,"
    "  median REAL NOT NULL,"
    "  min REAL NOT NULL,"
    "  max REAL NOT NULL,"
    "  reps INTEGER NOT NULL"
    ");";

static int db_error(vmp_history *h, const char *what)
{
	vmp_error_set("cannot %s history '%s': %s", what, h->path, sqlite3_errmsg(h->db));
	return VMP_ESYS;
}

void vmp_history_close(vmp_history *h)
{
	if (!h)
		return;
	sqlite3_close(h->db);
	free(h->path);
	free(h);
}

/* Does the database have a table of this name? 1, 0, or a negative error. */
static int has_table(vmp_history *h, const char *name)
{
	sqlite3_stmt *st = NULL;
	int rc, found;

	if (sqlite3_prepare_v2(h->db,
			       "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
			       "name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(h, "read");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	found = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(h, "read");
	return found;
}

/* How many tables the database holds, or a negative code. */
static int count_tables(vmp_history *h)
{
	sqlite3_stmt *st = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(h->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", -1,
			       &st, NULL) != SQLITE_OK)
		return db_error(h, "read");
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n < 0 ? db_error(h, "read") : n;
}

/* Does table have every one of the columns (NULL-terminated)? */
static int has_columns(vmp_history *h, const char *table, const char *const *columns)
{
	for (int i = 0; columns[i]; i++) {
		sqlite3_stmt *st = NULL;
		int found = 0;

		/* Table names here are fixed strings, never user text. */
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT 1 FROM pragma_table_info('%s') WHERE name = ?1",
			 table);
		if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
			return db_error(h, "read");
		sqlite3_bind_text(st, 1, columns[i], -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (!found)
			return 0;
	}
	return 1;
}

static int check_schema(vmp_history *h)
{
	static const char *const meta_cols[] = {"key", "value", NULL};
	static const char *const runs_cols[] = {"id",      "started_at", "host",      "hostname",
						"version", "plan_hash",  "workloads", NULL};
	static const char *const results_cols[] = {
	    "run_id",           "vm",     "workload", "metric", "unit", "variant",
	    "higher_is_better", "median", "min",      "max",    "reps", NULL};
	sqlite3_stmt *st = NULL;
	int rc, err = VMP_OK;

	/* A database that is not a whole history is bad input, found before a bench runs. */
	if ((rc = has_columns(h, "meta", meta_cols)) <= 0 ||
	    (rc = has_columns(h, "runs", runs_cols)) <= 0 ||
	    (rc = has_columns(h, "results", results_cols)) <= 0) {
		if (rc < 0)
			return rc;
		vmp_error_set("'%s' is not a vmplan history: its meta, runs or results table is "
			      "missing or lacks columns",
			      h->path);
		return VMP_EINVAL;
	}
	if (sqlite3_prepare_v2(h->db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st,
			       NULL) != SQLITE_OK)
		return db_error(h, "read");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		char want[16];

		snprintf(want, sizeof(want), "%d", VMP_HISTORY_SCHEMA);
		if (!v || strcmp(v, want)) {
			vmp_error_set("history '%s' has schema %s; this vmplan reads schema %d",
				      h->path, v ? v : "(null)", VMP_HISTORY_SCHEMA);
			err = VMP_EINVAL;
		}
	} else if (rc == SQLITE_DONE) {
		vmp_error_set("history '%s' has no schema version in its meta table", h->path);
		err = VMP_EINVAL;
	} else {
		err = db_error(h, "read");
	}
	sqlite3_finalize(st);
	return err;
}

static int create_schema(vmp_history *h)
{
	sqlite3_stmt *st = NULL;
	char version[16];
	int rc;

	/* Inside open_history()'s BEGIN IMMEDIATE: no other writer is between the look and
	 * the creation, and IF NOT EXISTS makes a second creator harmless all the same. */
	if (sqlite3_exec(h->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	snprintf(version, sizeof(version), "%d", VMP_HISTORY_SCHEMA);
	if (sqlite3_prepare_v2(h->db,
			       "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?1)", -1,
			       &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, version, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	return VMP_OK;
fail:
	return db_error(h, "create the schema of");
}

/* Histories written before the engine was stored: their runs were all the host engine's. */
static int add_engine_column(vmp_history *h)
{
	static const char *const engine[] = {"engine", NULL};
	int rc = has_columns(h, "runs", engine);

	if (rc != 0)
		return rc < 0 ? rc : VMP_OK;
	if (sqlite3_exec(h->db, "ALTER TABLE runs ADD COLUMN engine TEXT NOT NULL DEFAULT 'host'",
			 NULL, NULL, NULL) != SQLITE_OK)
		return db_error(h, "add the engine column to");
	return VMP_OK;
}

/* Histories written before the run's settings were stored: their reps and seconds are NULL,
 * unknown, so they are compared with no later run. */
static int add_settings_columns(vmp_history *h)
{
	static const char *const reps[] = {"reps", NULL}, *const seconds[] = {"seconds", NULL};
	int rc;

	if ((rc = has_columns(h, "runs", reps)) < 0)
		return rc;
	if (!rc && sqlite3_exec(h->db, "ALTER TABLE runs ADD COLUMN reps INTEGER", NULL, NULL,
				NULL) != SQLITE_OK)
		return db_error(h, "add the reps column to");
	if ((rc = has_columns(h, "runs", seconds)) < 0)
		return rc;
	if (!rc && sqlite3_exec(h->db, "ALTER TABLE runs ADD COLUMN seconds REAL", NULL, NULL,
				NULL) != SQLITE_OK)
		return db_error(h, "add the seconds column to");
	return VMP_OK;
}

/* The run's settings beside its row, in the store's transaction. */
static int store_settings(vmp_history *h, sqlite3_int64 run_id, const vmp_bench_run *run)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(h->db, "UPDATE runs SET reps = ?1, seconds = ?2 WHERE id = ?3", -1,
			       &st, NULL) != SQLITE_OK)
		return VMP_ESYS;
	sqlite3_bind_int(st, 1, run->reps);
	sqlite3_bind_double(st, 2, run->seconds);
	sqlite3_bind_int64(st, 3, run_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? VMP_OK : VMP_ESYS;
}

int vmp_history_prune(int *removed, vmp_history *h, int keep_days)
{
	char cutoff[32];
	time_t now = time(NULL) - (time_t)keep_days * 86400;
	struct tm tm;
	sqlite3_stmt *st = NULL;
	int rc;

	*removed = 0;
	if (keep_days < 1) {
		vmp_error_set("cannot keep %d days of history: keep at least 1", keep_days);
		return VMP_EINVAL;
	}
	gmtime_r(&now, &tm);
	strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(h, "prune");
	/* started_at is ISO 8601 UTC of one width: text order is time order. */
	if (sqlite3_prepare_v2(h->db,
			       "DELETE FROM results WHERE run_id IN "
			       "(SELECT id FROM runs WHERE started_at < ?1)",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE || sqlite3_prepare_v2(h->db, "DELETE FROM runs WHERE started_at < ?1",
						    -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	*removed = sqlite3_changes(h->db);
	if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return VMP_OK;
fail:
	rc = db_error(h, "prune");
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	*removed = 0;
	return rc;
}

/* What the engine column holds: "host", "guest-tcg" or "guest-kvm". */
static void engine_text(char *out, size_t size, const vmp_bench_run *run)
{
	if (run->engine == VMP_BENCH_ENGINE_GUEST)
		snprintf(out, size, "guest-%s", run->accel);
	else
		snprintf(out, size, "host");
}

/* Create the schema of an empty database, or check an existing one, under one write lock:
 * concurrent first runs on a new file all find, or make, the same history. */
static int settle_schema(vmp_history *h)
{
	int err, meta, runs;

	if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(h, "lock");
	if ((meta = has_table(h, "meta")) < 0 || (runs = has_table(h, "runs")) < 0) {
		err = meta < 0 ? meta : runs;
		goto out;
	}
	if (!meta && !runs) {
		/* Only an empty database becomes a history; another program's is left alone. */
		int tables = count_tables(h);
		if (tables < 0) {
			err = tables;
			goto out;
		}
		if (tables > 0) {
			vmp_error_set("'%s' is an SQLite database but not a vmplan history (it "
				      "has other tables); give a new file",
				      h->path);
			err = VMP_EINVAL;
			goto out;
		}
		err = create_schema(h);
	} else {
		err = check_schema(h);
		if (err == VMP_OK)
			err = add_engine_column(h);
	}
	if (err == VMP_OK)
		err = add_settings_columns(h);
	if (err == VMP_OK && sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		err = db_error(h, "write");
out:
	if (err < 0)
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

int vmp_history_open(vmp_history **out, const char *path)
{
	vmp_history *h = calloc(1, sizeof(*h));
	char target[PATH_MAX];
	int err, meta;

	*out = NULL;
	if (!h || !(h->path = strdup(path))) {
		free(h);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	/* As every output: another user's symbolic link is not followed (vmplan/fileio.h). */
	if ((err = vmp_file_resolve(target, sizeof(target), path)) < 0)
		goto fail;
	if (sqlite3_open_v2(target, &h->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
			    NULL) != SQLITE_OK) {
		err = db_error(h, "open");
		goto fail;
	}
	/* Concurrent benches wait for each other's short transactions rather than fail. */
	sqlite3_busy_timeout(h->db, 60000);
	if ((meta = has_table(h, "meta")) < 0) {
		/* "file is not a database" comes here: bad input, not a system error. */
		err = sqlite3_errcode(h->db) == SQLITE_NOTADB ? VMP_EINVAL : meta;
		goto fail;
	}
	if (sqlite3_db_readonly(h->db, "main") == 1) {
		/* Found out now, not after a whole bench has run. */
		vmp_error_set("cannot write to history '%s': it is read-only", path);
		err = VMP_ESYS;
		goto fail;
	}
	err = settle_schema(h);
	if (err < 0)
		goto fail;
	*out = h;
	return VMP_OK;
fail:
	vmp_history_close(h);
	return err;
}

int vmp_history_store(vmp_history *h, const vmp_bench_run *run, int64_t *id)
{
	sqlite3_stmt *ins_run = NULL, *ins_res = NULL;
	sqlite3_int64 run_id;
	int err = VMP_ESYS;
	char engine[16];

	engine_text(engine, sizeof(engine), run);
	if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(h, "write to");
	if (sqlite3_prepare_v2(h->db,
			       "INSERT INTO runs (started_at, host, hostname, version, plan_hash, "
			       "workloads, engine) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       -1, &ins_run, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h->db,
			       "INSERT INTO results (run_id, vm, workload, metric, unit, variant, "
			       "higher_is_better, median, min, max, reps) VALUES (?1, ?2, ?3, ?4, "
			       "?5, ?6, ?7, ?8, ?9, ?10, ?11)",
			       -1, &ins_res, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(ins_run, 1, run->started_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins_run, 2, run->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins_run, 3, run->hostname, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins_run, 4, run->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins_run, 5, run->plan_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins_run, 6, run->workloads, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins_run, 7, engine, -1, SQLITE_STATIC);
	if (sqlite3_step(ins_run) != SQLITE_DONE)
		goto fail;
	run_id = sqlite3_last_insert_rowid(h->db);
	for (int k = 0; k < run->nresults; k++) {
		const vmp_bench_result *r = &run->results[k];

		sqlite3_reset(ins_res);
		sqlite3_bind_int64(ins_res, 1, run_id);
		sqlite3_bind_text(ins_res, 2, r->vm, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_res, 3, vmp_bench_workload_name(r->workload), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(ins_res, 4, vmp_bench_metric_name(r->workload), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(ins_res, 5, vmp_bench_unit_name(r->workload), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_res, 6, vmp_bench_variant_name(r->variant), -1,
				  SQLITE_STATIC);
		sqlite3_bind_int(ins_res, 7, r->higher_is_better);
		sqlite3_bind_double(ins_res, 8, r->median);
		sqlite3_bind_double(ins_res, 9, r->min);
		sqlite3_bind_double(ins_res, 10, r->max);
		sqlite3_bind_int(ins_res, 11, r->reps);
		if (sqlite3_step(ins_res) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(ins_run);
	sqlite3_finalize(ins_res);
	ins_run = ins_res = NULL;
	if (store_settings(h, run_id, run) < 0 ||
	    sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (id)
		*id = run_id;
	return VMP_OK;
fail:
	err = db_error(h, "write to");
	sqlite3_finalize(ins_run);
	sqlite3_finalize(ins_res);
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static void copy_text(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	snprintf(dst, len, "%s", v ? (const char *)v : "");
}

int vmp_history_load(vmp_bench_run **out, vmp_history *h, int64_t id)
{
	sqlite3_stmt *st = NULL;
	vmp_bench_run *run = calloc(1, sizeof(*run));
	int rc, cap = 0, err = VMP_ESYS;

	*out = NULL;
	if (!run || !(run->notes = strdup(""))) {
		free(run);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	if (sqlite3_prepare_v2(h->db,
			       "SELECT started_at, host, hostname, version, plan_hash, workloads, "
			       "engine FROM runs WHERE id = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		vmp_error_set("history '%s' has no run %lld", h->path, (long long)id);
		err = VMP_ENOTFOUND;
		goto fail;
	}
	if (rc != SQLITE_ROW)
		goto dberr;
	copy_text(run->started_at, sizeof(run->started_at), st, 0);
	copy_text(run->host, sizeof(run->host), st, 1);
	copy_text(run->hostname, sizeof(run->hostname), st, 2);
	copy_text(run->version, sizeof(run->version), st, 3);
	copy_text(run->plan_hash, sizeof(run->plan_hash), st, 4);
	copy_text(run->workloads, sizeof(run->workloads), st, 5);
	{
		char engine[16];

		copy_text(engine, sizeof(engine), st, 6);
		if (!strncmp(engine, "guest-", 6)) {
			run->engine = VMP_BENCH_ENGINE_GUEST;
			snprintf(run->accel, sizeof(run->accel), "%.7s", engine + 6);
			run->perf_judged = !strcmp(run->accel, "kvm");
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	run->variants = 1u << VMP_BENCH_PLAN;
	if (sqlite3_prepare_v2(h->db,
			       "SELECT vm, workload, variant, higher_is_better, median, min, max, "
			       "reps FROM results WHERE run_id = ?1 ORDER BY rowid",
			       -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		vmp_bench_result *r;
		const char *wl = (const char *)sqlite3_column_text(st, 1);
		const char *var = (const char *)sqlite3_column_text(st, 2);

		if (run->nresults == cap) {
			vmp_bench_result *grown;

			cap = cap ? 2 * cap : 16;
			if (!(grown = realloc(run->results, sizeof(*grown) * (size_t)cap))) {
				vmp_error_set("out of memory");
				err = VMP_ENOMEM;
				goto fail;
			}
			run->results = grown;
		}
		r = &run->results[run->nresults];
		memset(r, 0, sizeof(*r));
		copy_text(r->vm, sizeof(r->vm), st, 0);
		if (vmp_bench_workload_parse(&r->workload, wl ? wl : "") < 0 ||
		    vmp_bench_variant_parse(&r->variant, var ? var : "") < 0) {
			vmp_error_set("history '%s' run %lld: %s", h->path, (long long)id,
				      vmp_error_last());
			err = VMP_EINVAL;
			goto fail;
		}
		r->higher_is_better = sqlite3_column_int(st, 3) != 0;
		r->median = sqlite3_column_double(st, 4);
		r->min = sqlite3_column_double(st, 5);
		r->max = sqlite3_column_double(st, 6);
		r->reps = sqlite3_column_int(st, 7);
		run->variants |= 1u << r->variant;
		run->nresults++;
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	*out = run;
	return VMP_OK;
dberr:
	err = db_error(h, "read");
fail:
	sqlite3_finalize(st);
	vmp_bench_run_free(run);
	return err;
}

int vmp_history_compare(vmp_bench_regression **out, int *n, vmp_history *h,
			const vmp_bench_run *run, int last, double threshold_pct,
			int64_t exclude_id)
{
	/* The last runs of this host and plan, newest first; then their medians of one metric. */
	static const char sql[] =
	    "SELECT r.median FROM results r WHERE r.run_id IN ("
	    "  SELECT id FROM runs WHERE host = ?1 AND plan_hash = ?2 AND id != ?3 AND engine = ?9"
	    "  AND reps IS ?10 AND seconds IS ?11"
	    "  ORDER BY started_at DESC, id DESC LIMIT ?4)"
	    " AND r.vm = ?5 AND r.workload = ?6 AND r.metric = ?7 AND r.variant = ?8";
	vmp_bench_regression *regs = NULL;
	sqlite3_stmt *st = NULL;
	double *vals = NULL;
	int count = 0, err = VMP_ESYS;
	char engine[16];

	*out = NULL;
	*n = 0;
	engine_text(engine, sizeof(engine), run);
	if (last < 1 || !(threshold_pct >= 0)) {
		vmp_error_set("cannot compare with the last %d runs at a %g%% threshold: use at "
			      "least 1 run and a threshold of 0 or more",
			      last, threshold_pct);
		return VMP_EINVAL;
	}
	if (run->nresults == 0)
		return VMP_OK;
	regs = calloc((size_t)run->nresults, sizeof(*regs));
	vals = malloc(sizeof(*vals) * (size_t)last);
	if (!regs || !vals) {
		free(regs);
		free(vals);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	for (int k = 0; k < run->nresults; k++) {
		const vmp_bench_result *r = &run->results[k];
		vmp_bench_regression *g = &regs[count];
		int nv = 0, rc;
		double hist, change;

		/* The plan is what is under test; baselines float by design and would cry wolf. */
		if (r->variant != VMP_BENCH_PLAN)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, run->host, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, run->plan_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, exclude_id);
		sqlite3_bind_int(st, 4, last);
		sqlite3_bind_text(st, 5, r->vm, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, vmp_bench_workload_name(r->workload), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, vmp_bench_metric_name(r->workload), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, vmp_bench_variant_name(r->variant), -1, SQLITE_STATIC);
		/* Runs of another engine (or accelerator) measure something else. */
		sqlite3_bind_text(st, 9, engine, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 10, run->reps); /* other --reps, --seconds: other medians */
		sqlite3_bind_double(st, 11, run->seconds);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			if (nv < last)
				vals[nv++] = sqlite3_column_double(st, 0);
		if (rc != SQLITE_DONE)
			goto dberr;
		if (nv == 0)
			continue;
		hist = vmp_stats_median(vals, (size_t)nv);
		/* Signed so that negative is worse, whichever way the metric points. */
		if (hist > 0)
			change = r->higher_is_better ? (r->median - hist) / hist * 100
						     : (hist - r->median) / hist * 100;
		else
			change = 0;
		snprintf(g->vm, sizeof(g->vm), "%s", r->vm);
		g->workload = r->workload;
		g->variant = r->variant;
		g->now = r->median;
		g->history = hist;
		g->runs = nv;
		g->change_pct = change;
		g->regressed = change < -threshold_pct;
		count++;
	}
	sqlite3_finalize(st);
	free(vals);
	if (count == 0) {
		free(regs);
		regs = NULL;
	}
	*out = regs;
	*n = count;
	return VMP_OK;
dberr:
	err = db_error(h, "read");
	sqlite3_finalize(st);
	free(vals);
	free(regs);
	return err;
}
