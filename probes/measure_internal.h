/* A live measurement in progress, shared by probes/measure*.c. */
#ifndef VMPLAN_PROBES_MEASURE_INTERNAL_H
#define VMPLAN_PROBES_MEASURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "probes/engine.h"
#include "vmplan/measure.h"
#include "vmplan/probe.h"

#define MIB             ((size_t)1 << 20)
#define HUGE_BYTES      (2 * MIB)  /* the hugepage size asked for with MADV_HUGEPAGE */
#define MIN_ARRAY_BYTES (16 * MIB) /* below this a pair is skipped rather than measured */
#define LATENCY_TRIALS  5          /* undisturbed trials the latency is the minimum of */

/*
 * Per level: the smallest array, how many arrays share the 4 x LLC rule, bandwidth repetitions,
 * chase steps per latency trial, ping-pong trials and round trips per trial.
 */
struct level_params {
	size_t min_array_bytes;
	size_t llc_share; /* arrays that together span 4 x the last-level caches */
	int repetitions;
	size_t chase_steps;
	int pp_trials;
	int pp_iters;
};

/* The PU pairs (indexes) the core-to-core ping-pong measures. */
struct measure_pairs {
	int n, cap;
	int (*p)[2];
};

/* One measurement in progress. */
struct measure_run {
	vmp_host *host;
	bool numa;
	unsigned parts;
	vmp_measure_threads threads;
	struct level_params lp;
	size_t array_bytes; /* each of a, b, c */
	size_t chase_bytes;
	engine_read_fn read;
	engine_triad_fn triad;
	vmp_measure_report *rep;
	struct measure_pairs pairs;
	double *c2c; /* npus * npus, by PU index */
	vmp_progress_fn progress;
	void *opaque;
	double done, total; /* units of work, for the progress fraction */
	char *notes;
	size_t notes_len;
};

/* Add units of work done and tell the progress callback what is going on. */
void measure_step(struct measure_run *r, double units, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A finding: to the progress callback as "note: ...", and into the report's notes. */
void measure_note(struct measure_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * An engine failure (a negative errno) as a vmplan error, with the engine's message:
 * VMP_ENOMEM, VMP_EINVAL for bad input (-EINVAL, -ENOENT, -ENOTSUP), else VMP_ESYS.
 */
int measure_engine_error(int err);

/* A worker team that did not start (or ping-pong threads): VMP_ENOMEM or VMP_ESYS. */
int measure_team_error(int err);

/* An n-element matrix of NaN, or NULL when out of memory. */
double *measure_nan_matrix(size_t n);

/* Whether node index j has memory the measurement can bind to. */
bool measure_node_has_memory(const struct measure_run *r, int j);

/* Bandwidth and latency of every node pair (measure_memory.c). */
int measure_memory(struct measure_run *r);

/* Choose the core-to-core pairs and make r->c2c (measure_c2c.c). */
int measure_c2c_plan(struct measure_run *r);

/* Measure the pairs chosen and note what disagrees with the topology (measure_c2c.c). */
int measure_c2c(struct measure_run *r);

#endif
