/* What 'vmplan nightly' asks and finds, shared by its steps (cmd_nightly.c) and outputs. */
#ifndef VMPLAN_CLI_NIGHTLY_H
#define VMPLAN_CLI_NIGHTLY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmplan/bench.h"
#include "vmplan/export.h"
#include "vmplan/model.h"

typedef struct nightly {
	/* The command line. */
	const char *state_dir, *uri, *prom;
	vmp_bench_options bo;
	int compare_last, keep_days, report_days;
	double threshold;
	bool json, skip_verify, skip_bench, skip_reports;
	/* What the run found. */
	char dir[PATH_MAX];
	vmp_plan *plan;
	vmp_host *kept, *live;
	char fp[17];
	bool host_changed;
	char host_why[2048];
	vmp_verify_report *rep;
	int ndrift, nidle; /* mismatches that are drift; planned VMs not running */
	vmp_bench_run *run;
	vmp_bench_regression *regs;
	int nregs, nregressed, pruned;
	int64_t run_id;
	bool gate_pass;
	int nerrors;
	char errors[4][512]; /* the steps that failed and why */
	char reports[2][PATH_MAX];
	int status;
} nightly;

/* A mismatch of verify that is drift (not a planned VM that is merely not running). */
bool nightly_is_drift(const vmp_mismatch *m);
/* The short summary (text); the run as JSON on stdout; the Prometheus textfile. */
void nightly_print_text(const nightly *n);
void nightly_print_json(const nightly *n);
/* 0, or the exit status after saying why. */
int nightly_write_prom(const nightly *n);

#endif
