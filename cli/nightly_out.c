/* What 'vmplan nightly' says: a short summary, JSON, and a Prometheus textfile. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "nightly.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"

bool nightly_is_drift(const vmp_mismatch *m)
{
	/* A planned VM that is not defined or not running is listed, not drift; what its
	 * definition holds still is compared. */
	return strcmp(m->what, "state") && strcmp(m->what, "domain");
}

static const char *status_word(int status)
{
	switch (status) {
	case EXIT_PLACED:
		return "ok";
	case EXIT_MISMATCH:
		return "DRIFT";
	case EXIT_REGRESSION:
		return "REGRESSION";
	case EXIT_VALIDATION:
		return "GATE FAILED";
	case EXIT_USAGE:
		return "HOST CHANGED";
	default:
		return "ERROR";
	}
}

static void print_verify(const nightly *n)
{
	if (n->skip_verify || !n->rep) {
		printf("verify: %s\n", n->skip_verify ? "skipped" : "FAILED (see above)");
		return;
	}
	printf("verify: %d checks (%d VMs also read from /proc), %d drift, %d planned VM%s not "
	       "running\n",
	       n->rep->nchecked, n->rep->nproc_vms, n->ndrift, n->nidle, n->nidle == 1 ? "" : "s");
	for (int k = 0; k < n->rep->nmismatches; k++) {
		const vmp_mismatch *m = &n->rep->mismatches[k];

		printf("  %-11s vm %s: %s %s planned %s, found %s\n",
		       nightly_is_drift(m) ? "DRIFT" : "not running", m->vm, m->what, m->source,
		       m->expected, m->actual);
	}
}

static void print_bench(const nightly *n)
{
	const vmp_bench_run *r = n->run;

	if (n->skip_bench || !r) {
		printf("bench: %s\n", n->skip_bench ? "skipped" : "FAILED (see above)");
		return;
	}
	printf("bench: engine %s%s, %d reps x %g s, workloads %s: gate %s (%.1f s)\n",
	       r->engine == VMP_BENCH_ENGINE_GUEST ? "guest-" : "host",
	       r->engine == VMP_BENCH_ENGINE_GUEST ? r->accel : "", r->reps, r->seconds,
	       r->workloads, n->gate_pass ? "pass" : "FAIL", r->wall_s);
	if (!n->gate_pass)
		cli_bench_print_gate(r);
	printf("history: run %lld stored; %d metrics compared with up to %d earlier runs "
	       "(threshold %g%%): %d regressed; %d old runs removed\n",
	       (long long)n->run_id, n->nregs, n->compare_last, n->threshold, n->nregressed,
	       n->pruned);
	for (int k = 0; k < n->nregs; k++) {
		const vmp_bench_regression *g = &n->regs[k];

		if (g->regressed)
			printf("  REGRESSED vm %s %s %s: %g, was %g over %d runs (%+.1f%%)\n",
			       g->vm, vmp_bench_workload_name(g->workload),
			       vmp_bench_metric_name(g->workload), g->now, g->history, g->runs,
			       g->change_pct);
	}
}

void nightly_print_text(const nightly *n)
{
	if (n->host_changed) {
		printf("vmplan nightly: %s: host %s (fingerprint %s) is not the host of the "
		       "accepted plan (%s); nothing was checked; exit %d\n",
		       status_word(n->status), n->live->hostname, n->fp, n->plan->host, n->status);
		return;
	}
	printf("host: %s (fingerprint %s), the host of the accepted plan in %s\n",
	       n->live->hostname, n->fp, n->dir);
	print_verify(n);
	print_bench(n);
	for (int i = 0; i < 2; i++)
		if (*n->reports[i])
			printf("report: %s\n", n->reports[i]);
	for (int k = 0; k < n->nerrors; k++)
		printf("error: %s\n", n->errors[k]);
	/* The one line the journal keeps. */
	printf("vmplan nightly: %s: drift %d, gate %s, regressions %d, errors %d; exit %d\n",
	       status_word(n->status), n->ndrift,
	       n->run ? (n->gate_pass ? "pass" : "FAIL") : "not run", n->nregressed, n->nerrors,
	       n->status);
}

static json_t *verify_json(const nightly *n)
{
	json_t *v, *drift, *idle;

	if (!n->rep)
		return json_null();
	v = json_object();
	drift = json_array();
	idle = json_array();
	for (int k = 0; k < n->rep->nmismatches; k++) {
		const vmp_mismatch *m = &n->rep->mismatches[k];

		json_array_append_new(nightly_is_drift(m) ? drift : idle,
				      json_pack("{s:s, s:s, s:s, s:s, s:s}", "vm", m->vm, "what",
						m->what, "source", m->source, "expected",
						m->expected, "actual", m->actual));
	}
	json_object_set_new(v, "checks", json_integer(n->rep->nchecked));
	json_object_set_new(v, "proc_vms", json_integer(n->rep->nproc_vms));
	json_object_set_new(v, "drift", drift);
	json_object_set_new(v, "not_running", idle);
	return v;
}

static json_t *bench_json(const nightly *n)
{
	const vmp_bench_run *r = n->run;
	json_t *b, *medians = json_array(), *regs = json_array();
	char engine[16];

	if (!r) {
		json_decref(medians);
		json_decref(regs);
		return json_null();
	}
	snprintf(engine, sizeof(engine), "%s%s",
		 r->engine == VMP_BENCH_ENGINE_GUEST ? "guest-" : "host",
		 r->engine == VMP_BENCH_ENGINE_GUEST ? r->accel : "");
	for (int k = 0; k < r->nresults; k++) {
		const vmp_bench_result *x = &r->results[k];

		json_array_append_new(
		    medians, json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "vm", x->vm, "workload",
				       vmp_bench_workload_name(x->workload), "metric",
				       vmp_bench_metric_name(x->workload), "unit",
				       vmp_bench_unit_name(x->workload), "variant",
				       vmp_bench_variant_name(x->variant), "median", x->median));
	}
	for (int k = 0; k < n->nregs; k++) {
		const vmp_bench_regression *g = &n->regs[k];

		json_array_append_new(
		    regs, json_pack("{s:s, s:s, s:s, s:f, s:f, s:i, s:f, s:b}", "vm", g->vm,
				    "workload", vmp_bench_workload_name(g->workload), "metric",
				    vmp_bench_metric_name(g->workload), "now", g->now, "history",
				    g->history, "runs", g->runs, "change_pct", g->change_pct,
				    "regressed", g->regressed));
	}
	b = json_pack("{s:s, s:i, s:f, s:s, s:b, s:I, s:i, s:i}", "engine", engine, "reps", r->reps,
		      "seconds", r->seconds, "plan_hash", r->plan_hash, "gate_pass", n->gate_pass,
		      "run_id", (json_int_t)n->run_id, "regressed", n->nregressed, "pruned",
		      n->pruned);
	json_object_set_new(b, "medians", medians);
	json_object_set_new(b, "regressions", regs);
	return b;
}

void nightly_print_json(const nightly *n)
{
	json_t *root = json_object(), *reports = json_object(), *errors = json_array();
	char *text;

	json_object_set_new(root, "state_dir", json_string(n->dir));
	json_object_set_new(root, "host",
			    json_pack("{s:s, s:s, s:s, s:b}", "hostname", n->live->hostname,
				      "fingerprint", n->fp, "plan_host", n->plan->host, "changed",
				      n->host_changed));
	if (n->host_changed)
		json_object_set_new(root, "host_changed_why", json_string(n->host_why));
	json_object_set_new(root, "verify", verify_json(n));
	json_object_set_new(root, "bench", bench_json(n));
	for (int i = 0; i < 2; i++)
		json_object_set_new(reports, i ? "host" : "bench",
				    *n->reports[i] ? json_string(n->reports[i]) : json_null());
	json_object_set_new(root, "reports", reports);
	for (int k = 0; k < n->nerrors; k++)
		json_array_append_new(errors, json_string(n->errors[k]));
	json_object_set_new(root, "errors", errors);
	json_object_set_new(root, "status", json_integer(n->status));
	if ((text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		printf("%s\n", text);
		free(text);
	}
	json_decref(root);
}

/* ---- the Prometheus textfile (text exposition format 0.0.4) ---- */

typedef struct pbuf {
	char *text;
	size_t len, cap;
	bool oom;
} pbuf;

static void put(pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(pbuf *b, const char *fmt, ...)
{
	va_list ap;
	int need;

	if (b->oom)
		return;
	va_start(ap, fmt);
	need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->len + (size_t)need + 1 > b->cap) {
		size_t cap = (b->cap + (size_t)need + 1) * 2;
		char *t = realloc(b->text, cap);

		if (!t) {
			b->oom = true;
			return;
		}
		b->text = t;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->text + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)need;
}

/* A label value: backslash, double quote and line feed escaped, as the format says. */
static void put_label(pbuf *b, const char *name, const char *value, bool last)
{
	put(b, "%s=\"", name);
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			put(b, "\\%c", *p);
		else if (*p == '\n')
			put(b, "\\n");
		else
			put(b, "%c", *p);
	}
	put(b, "\"%s", last ? "" : ",");
}

static void put_gauge(pbuf *b, const nightly *n, const char *name, const char *help, double v)
{
	put(b, "# HELP %s %s\n# TYPE %s gauge\n%s{", name, help, name, name);
	put_label(b, "host", n->live->hostname, true);
	put(b, "} %.17g\n", v);
}

static void put_medians(pbuf *b, const nightly *n)
{
	const char *name = "vmplan_bench_median";

	put(b,
	    "# HELP %s The median of the last nightly bench, per VM, workload, metric and "
	    "variant.\n# TYPE %s gauge\n",
	    name, name);
	for (int k = 0; k < n->run->nresults; k++) {
		const vmp_bench_result *x = &n->run->results[k];

		put(b, "%s{", name);
		put_label(b, "host", n->live->hostname, false);
		put_label(b, "vm", x->vm, false);
		put_label(b, "workload", vmp_bench_workload_name(x->workload), false);
		put_label(b, "metric", vmp_bench_metric_name(x->workload), false);
		put_label(b, "unit", vmp_bench_unit_name(x->workload), false);
		put_label(b, "variant", vmp_bench_variant_name(x->variant), true);
		put(b, "} %.17g\n", x->median);
	}
}

int nightly_write_prom(const nightly *n)
{
	pbuf b = {0};
	int err;

	put_gauge(&b, n, "vmplan_nightly_status",
		  "Exit status of the last nightly run (0 ok, 1 error, 2 host changed, 4 drift, 5 "
		  "gate failed, 6 regression).",
		  n->status);
	put_gauge(&b, n, "vmplan_nightly_last_run_timestamp_seconds",
		  "When the last nightly run ended, in seconds since the epoch.",
		  (double)time(NULL));
	put_gauge(&b, n, "vmplan_nightly_host_changed",
		  "1 when this host is not the one its accepted plan was made for.",
		  n->host_changed);
	put_gauge(&b, n, "vmplan_nightly_errors", "Steps of the last nightly run that failed.",
		  n->nerrors);
	if (n->rep) {
		put_gauge(&b, n, "vmplan_nightly_drift",
			  "Differences between the running domains and the plan.", n->ndrift);
		put_gauge(&b, n, "vmplan_nightly_not_running",
			  "Planned VMs not defined or not running.", n->nidle);
	}
	if (n->run) {
		put_gauge(&b, n, "vmplan_nightly_gate_pass", "1 when the bench gate passed.",
			  n->gate_pass);
		put_gauge(&b, n, "vmplan_nightly_regressions",
			  "Metrics worse than the median of the last runs beyond the threshold.",
			  n->nregressed);
		put_medians(&b, n);
	}
	if (b.oom) {
		free(b.text);
		cli_error("out of memory");
		return EXIT_RUNTIME;
	}
	/* Atomically: the collector must never read half a file. */
	err = vmp_file_write_atomic(n->prom, b.text, b.len);
	free(b.text);
	if (err < 0) {
		cli_error("%s", vmp_error_last());
		return EXIT_RUNTIME;
	}
	return 0;
}
