/* The bench history: every bench run and its results, in SQLite. */
#ifndef VMPLAN_HISTORY_H
#define VMPLAN_HISTORY_H

/*
 * The schema (version 1) is a contract: `vmplan bench --history` writes it,
 * `vmplan report bench` and other tools read it.
 *
 *   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);  -- ('schema', '1')
 *   CREATE TABLE runs (
 *     id INTEGER PRIMARY KEY,
 *     started_at TEXT NOT NULL,   -- ISO 8601 UTC, e.g. 2026-11-29T02:30:00Z
 *     host TEXT NOT NULL,         -- vmp_host_fingerprint() of the host
 *     hostname TEXT NOT NULL,
 *     version TEXT NOT NULL,      -- vmplan's version
 *     plan_hash TEXT NOT NULL,    -- hash of the plan's placement
 *     workloads TEXT NOT NULL,    -- comma-separated workloads run
 *     engine TEXT NOT NULL DEFAULT 'host'  -- host, guest-tcg or guest-kvm; added to
 *                                 -- older histories when opened (their runs: host)
 *     reps INTEGER,               -- --reps and --seconds of the run; added to older
 *     seconds REAL                -- histories when opened (their runs: NULL, unknown)
 *   );
 *   CREATE TABLE results (
 *     run_id INTEGER NOT NULL REFERENCES runs(id),
 *     vm TEXT NOT NULL,
 *     workload TEXT NOT NULL,     -- stream, latency, c2c, compute, noisy
 *     metric TEXT NOT NULL,       -- e.g. triad_gbs, latency_ns, c2c_ns, ops_per_s
 *     unit TEXT NOT NULL,         -- GB/s, ns, ops/s
 *     variant TEXT NOT NULL,      -- plan, unpinned, naive
 *     higher_is_better INTEGER NOT NULL,
 *     median REAL NOT NULL,
 *     min REAL NOT NULL,
 *     max REAL NOT NULL,
 *     reps INTEGER NOT NULL
 *   );
 */
#define VMP_HISTORY_SCHEMA 1

#endif
