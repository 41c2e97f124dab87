/* Reports: capacity of hosts and fleets, bench trends and host maps, with charts by gnuplot. */
#ifndef VMPLAN_REPORT_H
#define VMPLAN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmplan/capacity.h"
#include "vmplan/model.h"

/*
 * Every report is a self-contained folder: index.html (the charts and the numbers
 * behind them in tables), summary.md, report.json, report.gp (the gnuplot script),
 * the data files it reads (*.dat, numbers only) and the charts (*.png, and *.svg
 * with svg). gnuplot runs as a child process (no shell) in that folder.
 *
 * User text (host, VM, workload and metric names) reaches gnuplot only as a
 * single-quoted string literal: a ' is doubled, control characters become spaces,
 * and every terminal runs noenhanced, so no character has a meaning there (gnuplot
 * expands neither backquotes nor @macros inside single quotes). File names in the
 * folder are fixed or numbered, never made from user text.
 */

/* The size of the charts in pixels (pngcairo); the pin map grows with the host. */
#define VMP_REPORT_CHART_W   900
#define VMP_REPORT_CHART_H   500
#define VMP_REPORT_HEATMAP_W 640
#define VMP_REPORT_HEATMAP_H 520

/* A run is a regression when its median is worse than the median of the previous
 * VMP_BENCH_WINDOW runs of the same series by more than VMP_BENCH_REGRESSION (a
 * fraction); at least VMP_BENCH_MIN_PREVIOUS earlier runs are needed. */
#define VMP_BENCH_WINDOW       5
#define VMP_BENCH_MIN_PREVIOUS 3
#define VMP_BENCH_REGRESSION   0.10

typedef struct vmp_report_opts {
	const char *out_dir; /* the folder; created when missing */
	bool svg;            /* also write every chart as SVG */
	const char *gnuplot; /* the program, searched on PATH when it has no '/'; NULL: "gnuplot" */
	bool detail;         /* the terminal text holds every table, not only the summary */
} vmp_report_opts;

/* The most charts one report draws (a capacity report: 2 and one per host, up to this). */
#define VMP_REPORT_MAX_CHARTS 10

/* One point of a bench series: a run's figures. */
typedef struct vmp_bench_point {
	long long run_id;
	char started_at[32];
	int64_t time; /* started_at in seconds since the epoch */
	double median, min, max;
	double previous; /* the median of the previous window, NaN without enough runs */
	bool regression;
} vmp_bench_point;

/* One metric of one VM, workload and variant on one host, over time. */
typedef struct vmp_bench_series {
	char host[17];
	char hostname[VMP_NAME_MAX];
	char vm[VMP_NAME_MAX], workload[64], metric[64], unit[32], variant[32];
	bool higher_is_better;
	int npoints;
	vmp_bench_point *points;
} vmp_bench_series;

/* The plan against a baseline in a host's latest run: ratio > 1 means the plan is better. */
typedef struct vmp_bench_ratio {
	int series;   /* index of the plan's series */
	int baseline; /* index of the baseline's series */
	long long run_id;
	double plan, base, ratio;
} vmp_bench_ratio;

typedef struct vmp_bench_report {
	int nruns;
	int nseries;
	vmp_bench_series *series;
	int nratios;
	vmp_bench_ratio *ratios;
	int nregressions;
} vmp_bench_report;

/**
 * Read a bench history (see history.h) into series ordered by host, metric, VM,
 * workload and variant, mark regressions and compute the ratios.
 *
 * @param out  the report; the caller frees it with vmp_bench_report_free()
 * @param path the SQLite database
 * @param host only runs of this host (fingerprint or hostname), or NULL for all
 * @return VMP_OK, VMP_ENOTFOUND (no such file, or no run of that host), VMP_EINVAL
 *         (not a history of schema 1), VMP_ENOMEM
 */
int vmp_bench_report_new(vmp_bench_report **out, const char *path, const char *host);
/** As vmp_bench_report_new(), with the runs of the last days days only (0: every run). */
int vmp_bench_report_new_days(vmp_bench_report **out, const char *path, const char *host, int days);
void vmp_bench_report_free(vmp_bench_report *r);

/* What holds a PU in a host report's pin map. */
enum {
	VMP_PIN_FREE = -1,
	VMP_PIN_RESERVED = -2, /* housekeeping */
	VMP_PIN_EXISTING = -3, /* an existing domain (host->used) */
	VMP_PIN_OFFLINE = -4,
	VMP_PIN_IDLE = -5,  /* the idle sibling of a threads=isolate VM's core */
	VMP_PIN_SHARED = -6 /* the pool of several cpu=shared VMs (one alone: its index) */
};

typedef struct vmp_host_report {
	const vmp_host *host; /* borrowed */
	const vmp_plan *plan; /* borrowed; NULL without a plan */
	int *holder;          /* per PU index: a plan VM index, or a VMP_PIN_* value */
	int *idle_of;         /* per PU index: the VM whose isolated core it idles in, or -1 */
} vmp_host_report;

/**
 * Build a host report: who holds each PU.
 * @param out  the report; freed with vmp_host_report_free(); host and plan must
 *             outlive it
 * @param plan a plan for this host, or NULL
 * @return VMP_OK, VMP_EINVAL when the plan was made for another host, VMP_ENOMEM
 */
int vmp_host_report_new(vmp_host_report **out, const vmp_host *host, const vmp_plan *plan);
void vmp_host_report_free(vmp_host_report *r);

/*
 * Writing a report: the folder (see above), its terminal summary and its JSON.
 *
 * @param text the terminal summary (tables); the caller frees it; may be NULL
 * @param json report.json's content; the caller frees it; may be NULL
 * @return VMP_OK; VMP_ESYS when gnuplot is missing or fails (the message says which
 *         and where its log is) or a file cannot be written; VMP_ENOMEM
 */
int vmp_capacity_report_write(char **text, char **json, const vmp_capacity_report *r,
			      const vmp_report_opts *opts);
/**
 * A capacity report as CSV (RFC 4180) for spreadsheets: a header line, then per policy,
 * host and shape (VMs that ask for the same thing, then the whole mix) the copies that
 * fit alone and beside one whole mix, what binds and the planner's reason. The same
 * text is written as capacity.csv by vmp_capacity_report_write().
 *
 * @param out the text; the caller frees it
 * @return VMP_OK, VMP_ENOMEM
 */
int vmp_capacity_report_csv(char **out, const vmp_capacity_report *r);
int vmp_bench_report_write(char **text, char **json, const vmp_bench_report *r,
			   const vmp_report_opts *opts);
int vmp_host_report_write(char **text, char **json, const vmp_host_report *r,
			  const vmp_report_opts *opts);

/**
 * The path of the gnuplot program the reports run: opts->gnuplot when it has a
 * '/', else the first executable of that name (default "gnuplot") on PATH.
 * @return VMP_OK, or VMP_ESYS with a message that says how to install it
 */
int vmp_report_find_gnuplot(char *out, size_t size, const vmp_report_opts *opts);

#endif
