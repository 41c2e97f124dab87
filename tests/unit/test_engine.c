/* Unit tests of the measurement engine: the pinned team, its barriers, kernels and ping-pong. */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The engine is internal to the project: its header is not under include/. */
#include "../../probes/engine.h"

#define MAX_WORKERS 4
#define ROUNDS      200

enum { JOB_START = 0, JOB_WHERE, JOB_COUNT, JOB_TIMED };

/* What each worker saw. */
struct seen {
	int starts; /* job 0 runs once, at start */
	int cpu;    /* where JOB_WHERE found it */
	int count;  /* JOB_COUNT rounds it ran */
	int round;  /* the round it was in at its last JOB_COUNT: all the same when barriers hold */
};

struct shared {
	int round; /* set by the test before each JOB_COUNT */
};

static void job(engine_worker *w, int j)
{
	struct seen *s = w->self;
	struct shared *sh = w->arg;

	switch (j) {
	case JOB_START:
		s->starts++;
		break;
	case JOB_WHERE:
		s->cpu = sched_getcpu();
		break;
	case JOB_COUNT:
		s->count++;
		s->round = sh->round;
		break;
	case JOB_TIMED:
		w->t0 = engine_now_s();
		w->sink += (double)engine_compute((uint64_t)w->index + 1, 1u << 12);
		w->t1 = engine_now_s();
		break;
	default:
		break;
	}
}

/* The CPUs this test may run on, up to max. */
static int allowed_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

static void test_team_pins_and_rounds(void **state)
{
	int cpus[MAX_WORKERS], n = allowed_cpus(cpus, MAX_WORKERS), failed = 7;
	struct seen seen[MAX_WORKERS + 1];
	struct shared sh = {0};
	engine_team *t;

	(void)state;
	assert_true(n >= 1);
	memset(seen, 0, sizeof(seen));
	/* n pinned workers, one a CPU, and one more that runs anywhere. */
	assert_int_equal(engine_team_new(&t, n + 1, job, &sh), 0);
	assert_int_equal(engine_team_size(t), n + 1);
	for (int k = 0; k <= n; k++) {
		engine_team_set_self(t, k, &seen[k]);
		seen[k].cpu = -1;
		if (k < n)
			assert_int_equal(engine_team_pin(t, k, cpus[k]), 0);
	}
	assert_int_equal(engine_team_start(t, &failed), 0);
	assert_int_equal(failed, -1);
	engine_team_run(t, JOB_WHERE);
	for (int k = 0; k <= n; k++) {
		assert_int_equal(seen[k].starts, 1);
		assert_int_equal(engine_team_worker(t, k)->index, k);
		assert_ptr_equal(engine_team_worker(t, k)->arg, &sh);
		if (k < n)
			assert_int_equal(seen[k].cpu, cpus[k]);
		else
			assert_true(seen[k].cpu >= 0);
	}
	/* Every round waits for every worker: none runs ahead or falls behind. */
	for (int r = 1; r <= ROUNDS; r++) {
		sh.round = r;
		assert_true(engine_team_run(t, JOB_COUNT) == 0); /* nobody timed anything */
		for (int k = 0; k <= n; k++) {
			assert_int_equal(seen[k].count, r);
			assert_int_equal(seen[k].round, r);
		}
	}
	assert_true(engine_team_run(t, JOB_TIMED) > 0);
	for (int k = 0; k <= n; k++) {
		engine_worker *w = engine_team_worker(t, k);

		assert_true(w->t1 >= w->t0 && w->t0 > 0);
	}
	/* The pins hold for the team's whole life. */
	engine_team_run(t, JOB_WHERE);
	for (int k = 0; k < n; k++)
		assert_int_equal(seen[k].cpu, cpus[k]);
	engine_team_free(t);
}

static void test_team_bind_failure(void **state)
{
	cpu_set_t set;
	int missing = -1, failed = -1, err;
	struct seen seen[2];
	struct shared sh = {0};
	engine_team *t;

	(void)state;
	memset(seen, 0, sizeof(seen));
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	for (int c = CPU_SETSIZE - 1; c >= 0 && missing < 0; c--)
		if (!CPU_ISSET(c, &set))
			missing = c;
	if (missing < 0)
		skip();
	assert_int_equal(engine_team_new(&t, 2, job, &sh), 0);
	engine_team_set_self(t, 0, &seen[0]);
	engine_team_set_self(t, 1, &seen[1]);
	assert_int_equal(engine_team_pin(t, 1, missing), 0);
	err = engine_team_start(t, &failed);
	assert_true(err < 0);
	assert_int_equal(failed, 1);
	assert_non_null(strstr(engine_error(), "cannot bind"));
	/* Stopped: running a job now does nothing, and free joins nothing twice. */
	assert_true(engine_team_run(t, JOB_COUNT) == 0);
	assert_int_equal(seen[0].count, 0);
	engine_team_free(t);

	assert_int_equal(engine_team_new(&t, 0, job, &sh), -EINVAL);
	assert_null(t);
	assert_int_equal(engine_team_new(&t, 1, job, &sh), 0);
	assert_int_equal(engine_team_pin(t, 0, -1), -EINVAL);
	assert_int_equal(engine_team_pin(t, 1, 0), -EINVAL);
	engine_team_free(t); /* never started */
	engine_team_free(NULL);
}

/* The bench's way: two workers on one CPU bouncing a line, yielding so both make progress. */
struct pp_test {
	engine_pingpong *pp;
	uint64_t rounds;
	bool ok;
};

static void pp_job(engine_worker *w, int j)
{
	struct pp_test *p = w->arg;

	if (j != 1)
		return;
	if (w->index == 1) {
		engine_pp_answer(p->pp, ENGINE_PP_FOREVER, 100);
		return;
	}
	p->ok = engine_pp_ping(p->pp, &p->rounds, 500, 100);
	engine_pp_quit(p->pp);
}

static void test_pingpong_on_one_cpu(void **state)
{
	int cpu = -1;
	struct pp_test p = {0};
	engine_team *t;

	(void)state;
	assert_int_equal(allowed_cpus(&cpu, 1), 1);
	p.pp = aligned_alloc(128, sizeof(*p.pp));
	assert_non_null(p.pp);
	engine_pp_reset(p.pp);
	assert_int_equal(engine_team_new(&t, 2, pp_job, &p), 0);
	assert_int_equal(engine_team_pin(t, 0, cpu), 0);
	assert_int_equal(engine_team_pin(t, 1, cpu), 0);
	assert_int_equal(engine_team_start(t, NULL), 0);
	engine_team_run(t, 1);
	assert_true(p.ok);
	assert_int_equal(p.rounds, 500);
	/* Again from round 0: the responder of the last job quit, a new one starts over. */
	engine_pp_reset(p.pp);
	p.rounds = 0;
	engine_team_run(t, 1);
	assert_true(p.ok);
	assert_int_equal(p.rounds, 500);
	engine_team_free(t);
	free(p.pp);
}

static void test_c2c(void **state)
{
	int cpus[2], failed = 7;
	double ns;

	(void)state;
	if (allowed_cpus(cpus, 2) < 2)
		skip();
	assert_int_equal(engine_c2c(&ns, &failed, cpus[0], cpus[1], 3, 200), 0);
	assert_int_equal(failed, -1);
	assert_true(isfinite(ns) && ns > 0 && ns < 1e6);
}

static void test_kernels(void **state)
{
	static const engine_isa isas[] = {ENGINE_ISA_AUTO, ENGINE_ISA_GENERIC, ENGINE_ISA_SSE2,
					  ENGINE_ISA_AVX, ENGINE_ISA_AVX512};
	size_t n = 4 * ENGINE_UNIT_DOUBLES;
	double *a = aligned_alloc(64, n * sizeof(double)),
	       *b = aligned_alloc(64, n * sizeof(double));
	double *c = aligned_alloc(64, n * sizeof(double));
	int tried = 0;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	for (size_t s = 0; s < sizeof(isas) / sizeof(isas[0]); s++) {
		engine_isa isa = isas[s];
		engine_read_fn rd;
		engine_triad_fn tr;

		if (engine_kernels(&isa, &rd, &tr) < 0) {
			assert_int_not_equal(isas[s], ENGINE_ISA_AUTO);
			assert_int_not_equal(isas[s], ENGINE_ISA_GENERIC);
			assert_non_null(strstr(engine_error(), "does not have them"));
			continue;
		}
		assert_int_not_equal(isa, ENGINE_ISA_AUTO);
		if (isas[s] != ENGINE_ISA_AUTO)
			assert_int_equal(isa, isas[s]);
		for (size_t i = 0; i < n; i++) {
			a[i] = -1;
			b[i] = (double)i;
			c[i] = 2;
		}
		/* 0 + 1 + ... + n - 1 */
		assert_true(rd(b, n) == (double)n * (double)(n - 1) / 2);
		tr(a, b, c, 3.0, n);
		for (size_t i = 0; i < n; i++)
			assert_true(a[i] == (double)i + 6.0);
		tried++;
	}
	assert_true(tried >= 2);
	assert_string_equal(engine_isa_name(ENGINE_ISA_AVX512), "avx512");
	assert_string_equal(engine_isa_name((engine_isa)99), "unknown");
	/* The compute op is one dependent chain: n ops are n single steps. */
	assert_true(engine_compute(12345, 0) == 12345);
	assert_true(engine_compute(12345, 3) ==
		    engine_compute(engine_compute(engine_compute(12345, 1), 1), 1));
	assert_true(engine_compute(12345, 1) != 12345);
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_team_pins_and_rounds),
	    cmocka_unit_test(test_team_bind_failure),
	    cmocka_unit_test(test_pingpong_on_one_cpu),
	    cmocka_unit_test(test_c2c),
	    cmocka_unit_test(test_kernels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
