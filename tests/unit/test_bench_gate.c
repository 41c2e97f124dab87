/* The bench gate: its statistics on synthetic samples, its checks, and the host engine's figures.
 */
#include <math.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmplan/bench.h"
#include "vmplan/error.h"
#include "vmplan/plan.h"
#include "vmplan/probe.h"
/* The engine is internal to the project: its header is not under include/. */
#include "../../probes/engine.h"

/* ---- the statistics ---- */

/* Less is better (latency): the plan at x0.58 of the baseline, with 618% noise. */
static void test_judge_noisy_loss(void **state)
{
	static const double base[] = {100, 101, 99, 100, 102};
	static const double plan[] = {160, 170, 172, 175, 1223};
	vmp_bench_judgement j;

	(void)state;
	/* (max - min) / median = 6.18: the old rule called this the same, and passed it. */
	assert_true(fabs((1223.0 - 160) / 172 - 6.18) < 0.01);
	assert_int_equal(vmp_bench_judge(&j, plan, 5, base, 5, false, 5), VMP_OK);
	assert_int_equal(j.verdict, VMP_VERDICT_WORSE);
	assert_true(fabs(j.ratio - 100.0 / 172) < 1e-9);
	assert_true(j.ci_hi < 1 && j.ci_lo < j.ratio && j.ratio < j.ci_hi);
	/* n = m = 5: the interval runs from the 3rd to the 23rd of 25 pairs: P(U <= 2) = 4/252. */
	assert_true(fabs(j.confidence - (1 - 8.0 / 252)) < 1e-9);
	assert_int_equal(j.nplan, 5);
	assert_int_equal(j.nbase, 5);
}

static void test_judge_clear_win(void **state)
{
	static const double base[] = {20.1, 19.8, 20.4, 20.0, 19.9, 20.2};
	static const double plan[] = {30.2, 29.5, 31.0, 30.4, 29.9, 30.1};
	vmp_bench_judgement j;

	(void)state;
	/* More is better (GB/s): x1.5, every pair a win. */
	assert_int_equal(vmp_bench_judge(&j, plan, 6, base, 6, true, 5), VMP_OK);
	assert_int_equal(j.verdict, VMP_VERDICT_BETTER);
	assert_true(j.ci_lo > 1.4 && j.ci_hi < 1.6);
	/* The same samples read as a latency: a clear loss. */
	assert_int_equal(vmp_bench_judge(&j, plan, 6, base, 6, false, 5), VMP_OK);
	assert_int_equal(j.verdict, VMP_VERDICT_WORSE);
	assert_true(j.ci_hi < 0.72);
}

static void test_judge_clear_loss(void **state)
{
	static const double base[] = {100, 98, 101, 99, 100};
	static const double plan[] = {80, 81, 79, 80, 82};
	vmp_bench_judgement j;

	(void)state;
	assert_int_equal(vmp_bench_judge(&j, plan, 5, base, 5, true, 5), VMP_OK);
	assert_int_equal(j.verdict, VMP_VERDICT_WORSE);
	assert_true(j.ci_hi < 0.95);
	/* Tolerated as the same only by a threshold wider than the loss. */
	assert_int_equal(vmp_bench_judge(&j, plan, 5, base, 5, true, 30), VMP_OK);
	assert_int_equal(j.verdict, VMP_VERDICT_SAME);
}

static void test_judge_inconclusive(void **state)
{
	static const double base[] = {10, 100, 40, 3, 70, 25};
	static const double plan[] = {60, 5, 90, 20, 8, 45};
	static const double three[] = {10, 11, 12};
	vmp_bench_judgement j;

	(void)state;
	/* Huge noise: the interval holds both a large win and a large loss. */
	assert_int_equal(vmp_bench_judge(&j, plan, 6, base, 6, true, 5), VMP_OK);
	assert_int_equal(j.verdict, VMP_VERDICT_INCONCLUSIVE);
	assert_true(j.ci_lo < 0.5 && j.ci_hi > 2);
	/* 3 against 3 cannot give 95% (at best 1 - 2/20): inconclusive, no interval. */
	assert_int_equal(vmp_bench_judge(&j, three, 3, three, 3, true, 5), VMP_OK);
	assert_int_equal(j.verdict, VMP_VERDICT_INCONCLUSIVE);
	assert_true(isnan(j.ci_lo) && isnan(j.ci_hi));
	assert_true(j.confidence == 0);
	/* Unusable samples are left out; none at all judges nothing. */
	assert_int_equal(vmp_bench_judge(&j, NULL, 0, three, 3, true, 5), VMP_OK);
	assert_int_equal(j.verdict, VMP_VERDICT_INCONCLUSIVE);
	assert_int_equal(vmp_bench_judge(&j, three, 3, three, 3, true, 100), VMP_EINVAL);
}

static const double *big_huge(void)
{
	static double v[2000];

	for (int k = 0; k < 2000; k++)
		v[k] = 100 + k % 9;
	return v;
}

static void test_judge_same(void **state)
{
	static const double base[] = {100, 102, 99, 101, 100, 98, 101};
	static const double plan[] = {101, 99, 100, 102, 98, 100, 100};
	static double big_p[60], big_b[60];
	vmp_bench_judgement j;

	(void)state;
	assert_int_equal(vmp_bench_judge(&j, plan, 7, base, 7, true, 5), VMP_OK);
	assert_int_equal(j.verdict, VMP_VERDICT_SAME);
	assert_true(j.ci_lo >= 0.95 && j.ci_lo <= 1 && j.ci_hi >= 1 && j.ci_hi < 1.05);
	/* Past the exact table: the normal approximation, the same answer. */
	for (int k = 0; k < 60; k++) {
		big_p[k] = 100 + (k % 7) - 3;
		big_b[k] = 100 + (k % 5) - 2;
	}
	assert_int_equal(vmp_bench_judge(&j, big_p, 60, big_b, 60, true, 5), VMP_OK);
	assert_int_equal(j.verdict, VMP_VERDICT_SAME);
	assert_true(fabs(j.confidence - 0.95) < 1e-9);
	/* Unequal counts, either way round: the same coverage (1 - 2 P(U <= k - 1)). */
	assert_int_equal(vmp_bench_judge(&j, big_p, 3, big_b, 40, true, 5), VMP_OK);
	double cov = j.confidence;

	assert_true(cov >= 0.95 && cov < 1);
	assert_int_equal(vmp_bench_judge(&j, big_b, 40, big_p, 3, true, 5), VMP_OK);
	assert_true(fabs(j.confidence - cov) < 1e-12);
	/* One sample (97) against 2000 (100 to 108): U is uniform, and every pair a loss. */
	assert_int_equal(vmp_bench_judge(&j, big_p, 1, big_huge(), 2000, true, 5), VMP_OK);
	assert_int_equal(j.verdict, VMP_VERDICT_WORSE);
	assert_true(j.ci_hi < 1 && j.ci_lo > 0.85);
	assert_string_equal(vmp_bench_verdict_name(VMP_VERDICT_INCONCLUSIVE), "inconclusive");
}

/* ---- the gate ---- */

static void set_result(vmp_bench_result *r, const char *vm, vmp_bench_variant v, double *s, int n)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->vm, sizeof(r->vm), "%s", vm);
	r->workload = VMP_BENCH_STREAM;
	r->variant = v;
	r->higher_is_better = true;
	r->primary = true;
	r->samples = s;
	r->reps = n;
	r->median = s[n / 2];
}

/* A gate that ignores a failed check, or an inconclusive verdict, passes what it must not. */
static void test_gate_checks_and_inconclusive(void **state)
{
	static double win_p[] = {30, 30.5, 31, 31.5, 32}, win_b[] = {20, 20.5, 21, 21.5, 22};
	static double wild[] = {5, 40, 10, 80, 20};
	vmp_bench_check ck[2] = {{.vm = "a", .kind = VMP_CHECK_VCPU, .ok = true},
				 {.vm = "a", .kind = VMP_CHECK_EXCLUSIVE, .ok = true}};
	vmp_bench_result rs[2];
	vmp_bench_run run = {0};
	vmp_bench_gate_item *items;
	char *json;
	int n;

	(void)state;
	set_result(&rs[0], "a", VMP_BENCH_PLAN, win_p, 5);
	set_result(&rs[1], "a", VMP_BENCH_UNPINNED, win_b, 5);
	run.results = rs;
	run.nresults = 2;
	run.checks = ck;
	run.nchecks = 2;
	run.variants = 1u << VMP_BENCH_PLAN | VMP_BENCH_BASE_UNPINNED;
	assert_true(vmp_bench_gate(&items, &n, &run));
	assert_int_equal(n, 1);
	assert_int_equal(items[0].j.verdict, VMP_VERDICT_BETTER);
	free(items);
	/* A clear win does not buy a failed check. */
	ck[1].ok = false;
	assert_false(vmp_bench_gate(NULL, NULL, &run));
	ck[1].ok = true;
	/* Too noisy to tell: no pass. */
	rs[0].samples = wild;
	assert_false(vmp_bench_gate(&items, &n, &run));
	assert_int_equal(items[0].j.verdict, VMP_VERDICT_INCONCLUSIVE);
	free(items);
	assert_int_equal(vmp_bench_to_json(&json, &run, NULL, 0), VMP_OK);
	assert_non_null(strstr(json, "\"verdict\": \"inconclusive\""));
	assert_non_null(strstr(json, "\"decided_by\": \"checks and performance\""));
	free(json);
	/* Under software emulation the figures say nothing: the checks alone decide. */
	vmp_bench_run_perf_not_judged(&run, "software emulation (TCG)");
	assert_true(vmp_bench_gate(&items, &n, &run));
	assert_int_equal(n, 0);
	free(items);
	assert_int_equal(vmp_bench_to_json(&json, &run, NULL, 0), VMP_OK);
	assert_non_null(strstr(json, "\"decided_by\": \"checks\""));
	assert_non_null(strstr(json, "\"performance_not_judged\": \"software emulation (TCG)\""));
	free(json);
	ck[0].ok = false;
	assert_false(vmp_bench_gate(NULL, NULL, &run));
	/* ... and no checks at all prove nothing. */
	run.nchecks = 0;
	assert_false(vmp_bench_gate(NULL, NULL, &run));
}

/* ---- the host engine, with kernels of a known speed ---- */

#define FAKE_NS_PER_ELEM 1.0  /* the fake triad: 1 ns an element, 24 bytes moved: 24 GB/s */
#define FAKE_NS_PER_LOAD 10.0 /* the fake chase: 10 ns a load */

static void spin_until(double t)
{
	while (engine_now_s() < t)
		;
}

/*
 * Take seconds of the thread's own timeline: calls follow each other on it, so that time
 * lost to preemption between calls (2 CPUs shared with other work) is caught up by the
 * next calls instead of read as a slower kernel. A thread idle for long starts afresh.
 */
static void take(double seconds)
{
	static _Thread_local double last_end;
	double now = engine_now_s();

	if (now - last_end > 0.2)
		last_end = now;
	last_end += seconds;
	spin_until(last_end);
}

static void fake_triad(double *a, const double *b, const double *c, double s, size_t n)
{
	take((double)n * FAKE_NS_PER_ELEM * 1e-9);
	if (n)
		a[0] = b[0] + s * c[0];
}

static void *fake_chase(void *start, size_t steps)
{
	take((double)steps * FAKE_NS_PER_LOAD * 1e-9);
	return start;
}

/*
 * A triad whose repetitions (each call is longer than one) alternate fast and slow, three
 * times apart, in threads pinned to one CPU (the plan's), while a thread that may run on
 * more (the unpinned baseline's) takes the time in between every time: the plan's samples
 * sit at x1.7 and x0.56 of the baseline's, half each, so the interval of the ratio spans a
 * win and a loss however many repetitions run: inconclusive, whatever the machine does.
 * (The same alternation in both variants would make two equal distributions, which enough
 * repetitions rightly call "same".)
 */
static void wild_triad(double *a, const double *b, const double *c, double s, size_t n)
{
	static _Thread_local unsigned calls;
	cpu_set_t mine;
	double wait = 25e-3;

	if (sched_getaffinity(0, sizeof(mine), &mine) == 0 && CPU_COUNT(&mine) == 1)
		wait = calls++ % 2 ? 45e-3 : 15e-3;
	spin_until(engine_now_s() + wait);
	if (n)
		a[0] = b[0] + s * c[0];
}

static const vmp_bench_kernels fakes = {fake_triad, fake_chase};

struct live {
	vmp_host *host;
	vmp_plan *plan;
};

/* Two 1-vCPU VMs on this host, or a skip. */
static void two_vms(struct live *l)
{
	vmp_vm_request reqs[2];

	memset(reqs, 0, sizeof(reqs));
	assert_int_equal(vmp_probe_live(&l->host), VMP_OK);
	vmp_cpuset_zero(&l->host->reserved);
	for (int k = 0; k < 2; k++) {
		snprintf(reqs[k].name, sizeof(reqs[k].name), "%c", 'a' + k);
		reqs[k].vcpus = 1;
		reqs[k].memory_bytes = (uint64_t)16 << 20;
	}
	assert_int_equal(vmp_plan_solve(&l->plan, l->host, reqs, 2, NULL), VMP_OK);
	if (vmp_plan_placed_count(l->plan) < 2 || vmp_cpuset_count(&l->host->online) < 2) {
		vmp_plan_free(l->plan);
		vmp_host_free(l->host);
		skip();
	}
}

static void live_free(struct live *l)
{
	vmp_plan_free(l->plan);
	vmp_host_free(l->host);
}

static const vmp_bench_check *find_check(const vmp_bench_run *run, const char *vm,
					 vmp_bench_check_kind kind, vmp_bench_variant variant)
{
	for (int k = 0; k < run->nchecks; k++) {
		const vmp_bench_check *c = &run->checks[k];

		if (!strcmp(c->vm, vm) && c->kind == kind && c->variant == variant &&
		    (kind != VMP_CHECK_AFFINITY || c->thread == VMP_CHECK_VCPU) && c->index == 0)
			return c;
	}
	return NULL;
}

/*
 * One live run against the fakes: NULL when its figures are right and the gate calls them the
 * same, else what was wrong (static text).
 */
static const char *live_figures_once(struct live *l, const vmp_bench_options *o)
{
	static char why[512];
	vmp_bench_gate_item *items = NULL;
	vmp_bench_run *run;
	int n = 0;

	why[0] = '\0';
	assert_int_equal(vmp_bench_run_plan(&run, l->plan, l->host, o), VMP_OK);
	for (int v = 0; v < VMP_BENCH_NVARIANTS && !why[0]; v++) {
		const vmp_bench_result *s =
		    vmp_bench_find(run, "a", VMP_BENCH_STREAM, (vmp_bench_variant)v);
		const vmp_bench_result *t =
		    vmp_bench_find(run, "b", VMP_BENCH_LATENCY, (vmp_bench_variant)v);

		assert_non_null(s);
		assert_non_null(t);
		/*
		 * 24 GB/s less the loop's overhead; 16 bytes an element would read 16. The fakes
		 * catch up time lost to preemption, so under load a repetition may also read fast:
		 * the bounds tell 24 from 16 and 32, 10 ns from 5 and 20, and no more.
		 */
		if (!(s->median > 19 && s->median <= 29))
			snprintf(why, sizeof(why), "stream %s: %.2f GB/s, expected 24",
				 vmp_bench_variant_name(v), s->median);
		else if (!(t->median >= 7.5 && t->median < 13.5))
			snprintf(why, sizeof(why), "latency %s: %.2f ns, expected 10",
				 vmp_bench_variant_name(v), t->median);
	}
	/* Equal speeds everywhere: the same, and a pass. */
	if (!why[0] && !vmp_bench_gate(&items, &n, run))
		snprintf(why, sizeof(why), "the gate failed equal figures");
	for (int k = 0; k < n && !why[0]; k++)
		if (items[k].j.verdict != VMP_VERDICT_SAME)
			snprintf(why, sizeof(why), "item %d of equal figures not judged the same",
				 k);
	if (!why[0] && n != 4)
		snprintf(why, sizeof(why), "%d gate items, expected 4", n);
	free(items);
	vmp_bench_run_free(run);
	return why[0] ? why : NULL;
}

/*
 * STREAM counts 24 bytes an element, latency the time of one load: against fakes of known
 * speed. A machine busy with other work can still preempt a run badly enough to move a median
 * or widen an interval, so three runs are allowed: a wrong formula or a gate that misjudges
 * equal figures fails all three.
 */
static void test_live_figures(void **state)
{
	/* Preemption on a shared machine still jitters the fakes by a few percent: 15%. */
	vmp_bench_options o = {.reps = 4,
			       .seconds = 0.1,
			       .cell_bytes = (uint64_t)4 << 20,
			       .threshold_pct = 15,
			       .kernels = &fakes};
	const char *why = "not run";
	struct live l;

	(void)state;
	two_vms(&l);
	assert_int_equal(vmp_bench_workloads_parse(&o, "stream,latency"), VMP_OK);
	for (int attempt = 0; attempt < 3 && why; attempt++) {
		why = live_figures_once(&l, &o);
		if (why)
			fprintf(stderr, "live figures, attempt %d: %s\n", attempt + 1, why);
	}
	live_free(&l);
	if (why)
		fail_msg("%s", why);
}

/* Where the baselines' threads may run, read back from /proc, not from the bench's settings. */
static void test_live_baselines(void **state)
{
	vmp_bench_options o = {
	    .reps = 4, .seconds = 0.02, .cell_bytes = (uint64_t)4 << 20, .kernels = &fakes};
	vmp_cpuset all = {0}, first = {0}, want = {0};
	const vmp_bench_check *c;
	vmp_bench_run *run;
	cpu_set_t mask;
	struct live l;
	int cpu0, cpu1;

	(void)state;
	two_vms(&l);
	/* The plan's pins against CPU order: a on the second online CPU, b on the first. */
	cpu0 = vmp_cpuset_next(&l.host->online, -1);
	cpu1 = vmp_cpuset_next(&l.host->online, cpu0);
	l.plan->vms[0].vcpupin[0] = cpu1;
	l.plan->vms[1].vcpupin[0] = cpu0;
	l.plan->vms[0].emulatorpin = l.plan->vms[1].emulatorpin = l.host->online;
	vmp_cpuset_zero(&l.plan->vms[0].pcpus);
	vmp_cpuset_set(&l.plan->vms[0].pcpus, cpu1);
	vmp_cpuset_zero(&l.plan->vms[1].pcpus);
	vmp_cpuset_set(&l.plan->vms[1].pcpus, cpu0);
	assert_int_equal(vmp_bench_workloads_parse(&o, "latency"), VMP_OK);
	assert_int_equal(vmp_bench_run_plan(&run, l.plan, l.host, &o), VMP_OK);
	assert_int_equal(sched_getaffinity(0, sizeof(mask), &mask), 0);
	for (int k = 0; k < CPU_SETSIZE && k < VMP_CPUSET_MAX; k++)
		if (CPU_ISSET(k, &mask))
			vmp_cpuset_set(&all, k);
	/* Unpinned: the whole process's CPUs, as the kernel reports the thread's affinity. */
	assert_non_null(c = find_check(run, "a", VMP_CHECK_AFFINITY, VMP_BENCH_UNPINNED));
	assert_true(c->ok);
	assert_true(vmp_cpuset_equal(&c->observed, &all));
	/* Naive: the first VM's vCPU on the first online CPU, not where the plan put it. */
	vmp_cpuset_set(&first, cpu0);
	assert_non_null(c = find_check(run, "a", VMP_CHECK_AFFINITY, VMP_BENCH_NAIVE));
	assert_true(c->ok);
	assert_true(vmp_cpuset_equal(&c->observed, &first));
	/* The plan: where the plan pins, read back. */
	vmp_cpuset_set(&want, cpu1);
	assert_non_null(c = find_check(run, "a", VMP_CHECK_AFFINITY, VMP_BENCH_PLAN));
	assert_true(c->ok);
	assert_true(vmp_cpuset_equal(&c->observed, &want));
	assert_non_null(c = find_check(run, "a", VMP_CHECK_VCPU, VMP_BENCH_PLAN));
	assert_true(vmp_cpuset_equal(&c->observed, &want));
	/* The memory is bound to its node, and lies there. */
	for (int i = 0; i < 2; i++) {
		vmp_cpuset node = {0};

		vmp_cpuset_set(&node, l.plan->vms[i].cells[0].host_node);
		assert_non_null(c = find_check(run, l.plan->vms[i].req.name, VMP_CHECK_MEMPOLICY,
					       VMP_BENCH_PLAN));
		assert_true(c->ok);
		assert_true(vmp_cpuset_equal(&c->observed, &node));
		assert_non_null(
		    c = find_check(run, l.plan->vms[i].req.name, VMP_CHECK_MEMORY, VMP_BENCH_PLAN));
		assert_true(c->ok);
	}
	for (int k = 0; k < run->nchecks; k++)
		if (!run->checks[k].ok)
			fail_msg("check %d of vm %s failed", run->checks[k].kind,
				 run->checks[k].vm);
	vmp_bench_run_free(run);
	live_free(&l);
}

/* A plan edited to put two dedicated VMs on one CPU fails the gate, whatever the figures. */
static void test_live_shared_cpu(void **state)
{
	vmp_bench_options o = {.reps = 4,
			       .seconds = 0.02,
			       .cell_bytes = (uint64_t)4 << 20,
			       .kernels = &fakes,
			       .baselines = VMP_BENCH_BASE_UNPINNED};
	const vmp_bench_check *c;
	vmp_bench_run *run;
	struct live l;

	(void)state;
	two_vms(&l);
	l.plan->vms[1].vcpupin[0] = l.plan->vms[0].vcpupin[0];
	l.plan->vms[1].pcpus = l.plan->vms[0].pcpus;
	assert_int_equal(vmp_bench_workloads_parse(&o, "latency"), VMP_OK);
	assert_int_equal(vmp_bench_run_plan(&run, l.plan, l.host, &o), VMP_OK);
	for (int i = 0; i < 2; i++) {
		assert_non_null(c = find_check(run, l.plan->vms[i].req.name, VMP_CHECK_EXCLUSIVE,
					       VMP_BENCH_PLAN));
		assert_false(c->ok);
		assert_true(vmp_cpuset_isset(&c->observed, l.plan->vms[0].vcpupin[0]));
	}
	assert_non_null(strstr(run->notes, "are both pinned, dedicated, to CPU"));
	assert_false(vmp_bench_gate(NULL, NULL, run));
	vmp_bench_run_free(run);
	live_free(&l);
}

/* An inconclusive verdict buys more repetitions, up to the budget, and no more. */
static void test_live_budget(void **state)
{
	static const vmp_bench_kernels wild = {wild_triad, fake_chase};
	vmp_bench_options o = {.reps = 4,
			       .seconds = 0.01,
			       .cell_bytes = (uint64_t)4 << 20,
			       .kernels = &wild,
			       .baselines = VMP_BENCH_BASE_UNPINNED};
	const vmp_bench_result *r;
	vmp_bench_run *run;
	struct live l;

	(void)state;
	two_vms(&l);
	assert_int_equal(vmp_bench_workloads_parse(&o, "stream"), VMP_OK);
	assert_int_equal(vmp_bench_run_plan(&run, l.plan, l.host, &o), VMP_OK);
	assert_int_equal(run->max_reps, 12);
	assert_non_null(r = vmp_bench_find(run, "a", VMP_BENCH_STREAM, VMP_BENCH_PLAN));
	assert_false(vmp_bench_gate(NULL, NULL, run));
	assert_int_equal(r->reps, 12);
	assert_non_null(r = vmp_bench_find(run, "b", VMP_BENCH_STREAM, VMP_BENCH_UNPINNED));
	assert_int_equal(r->reps, 12);
	assert_non_null(strstr(run->notes, "repetitions 5-8 of stream"));
	assert_non_null(strstr(run->notes, "repetitions 9-12 of stream"));
	assert_non_null(strstr(run->notes, "still inconclusive after 12 repetitions"));
	vmp_bench_run_free(run);
	live_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_judge_noisy_loss),
	    cmocka_unit_test(test_judge_clear_win),
	    cmocka_unit_test(test_judge_clear_loss),
	    cmocka_unit_test(test_judge_inconclusive),
	    cmocka_unit_test(test_judge_same),
	    cmocka_unit_test(test_gate_checks_and_inconclusive),
	    cmocka_unit_test(test_live_figures),
	    cmocka_unit_test(test_live_baselines),
	    cmocka_unit_test(test_live_shared_cpu),
	    cmocka_unit_test(test_live_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
