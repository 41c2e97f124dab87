/* The measurement engine's worker team, ping-pong and page-node check (see engine.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE    /* sched_setaffinity, CPU_ALLOC: the guest program builds without vmplan's  \
			  flags */
#endif
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "probes/engine.h"

#define MAX_CPUS     4096 /* CPUs a worker can be pinned to: vmplan's cpuset size */
#define JOB_QUIT     (-1) /* tells the workers to return */
#define PP_QUIT      UINT64_MAX
#define SAMPLE_PAGES 64

static _Thread_local char last_error[512];

void engine_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

const char *engine_error(void)
{
	return last_error;
}

double engine_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the worker team ---- */

/* What the team keeps of a worker, beside what its job sees. */
struct slot {
	pthread_t tid;
	cpu_set_t *cpus; /* NULL: not pinned */
	int bind_errno;
};

/*
 * Threads pinned to CPUs. The caller hands out one job at a time: every worker does its
 * share between the "go" and the "done" barriers and times it itself.
 */
struct engine_team {
	int n;
	engine_worker *w;
	struct slot *slot;
	engine_job_fn job_fn;
	pthread_barrier_t go, done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool sync;    /* the barriers, lock and cond are initialised */
	bool running; /* threads wait at "go" */
	int state;    /* 0 starting, 1 running, -1 abandoned before the barriers */
	int job;
};

int engine_team_new(engine_team **out, int nworkers, engine_job_fn job, void *arg)
{
	engine_team *t;

	*out = NULL;
	if (nworkers < 1) {
		engine_fail("cannot make a team of %d workers", nworkers);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->w = calloc((size_t)nworkers, sizeof(*t->w))) ||
	    !(t->slot = calloc((size_t)nworkers, sizeof(*t->slot)))) {
		engine_team_free(t);
		engine_fail("out of memory");
		return -ENOMEM;
	}
	t->n = nworkers;
	t->job_fn = job;
	for (int k = 0; k < nworkers; k++) {
		t->w[k].team = t;
		t->w[k].index = k;
		t->w[k].arg = arg;
	}
	*out = t;
	return 0;
}

void engine_team_set_self(engine_team *t, int worker, void *self)
{
	if (worker >= 0 && worker < t->n)
		t->w[worker].self = self;
}

int engine_team_pin(engine_team *t, int worker, int cpu)
{
	struct slot *s;

	if (worker < 0 || worker >= t->n || cpu < 0 || cpu >= MAX_CPUS) {
		engine_fail("cannot pin worker %d to CPU %d: out of range", worker, cpu);
		return -EINVAL;
	}
	s = &t->slot[worker];
	if (!s->cpus) {
		if (!(s->cpus = CPU_ALLOC(MAX_CPUS))) {
			engine_fail("out of memory");
			return -ENOMEM;
		}
		CPU_ZERO_S(CPU_ALLOC_SIZE(MAX_CPUS), s->cpus);
	}
	CPU_SET_S((size_t)cpu, CPU_ALLOC_SIZE(MAX_CPUS), s->cpus);
	return 0;
}

engine_worker *engine_team_worker(engine_team *t, int k)
{
	return &t->w[k];
}

int engine_team_size(const engine_team *t)
{
	return t->n;
}

static void *worker_main(void *arg)
{
	engine_worker *w = arg;
	engine_team *t = w->team;
	struct slot *s = &t->slot[w->index];
	int state;

	if (s->cpus && sched_setaffinity(0, CPU_ALLOC_SIZE(MAX_CPUS), s->cpus) < 0)
		s->bind_errno = errno ? errno : EINVAL;
	pthread_mutex_lock(&t->lock);
	while (t->state == 0)
		pthread_cond_wait(&t->cond, &t->lock);
	state = t->state;
	pthread_mutex_unlock(&t->lock);
	if (state < 0)
		return NULL;
	for (;;) {
		pthread_barrier_wait(&t->go);
		if (t->job == JOB_QUIT)
			break;
		w->t0 = w->t1 = 0;
		t->job_fn(w, t->job);
		pthread_barrier_wait(&t->done);
	}
	return NULL;
}

double engine_team_run(engine_team *t, int job)
{
	double t0 = INFINITY, t1 = -INFINITY;

	if (!t->running)
		return 0;
	t->job = job;
	pthread_barrier_wait(&t->go);
	if (job == JOB_QUIT) {
		for (int k = 0; k < t->n; k++)
			pthread_join(t->slot[k].tid, NULL);
		t->running = false;
		return 0;
	}
	pthread_barrier_wait(&t->done);
	for (int k = 0; k < t->n; k++) {
		if (t->w[k].t1 <= 0)
			continue;
		t0 = fmin(t0, t->w[k].t0);
		t1 = fmax(t1, t->w[k].t1);
	}
	return t1 > t0 ? t1 - t0 : 0;
}

int engine_team_start(engine_team *t, int *failed)
{
	int started = 0, err = 0, e;

	if (failed)
		*failed = -1;
	if (t->sync) {
		engine_fail("cannot start a team twice");
		return -EINVAL;
	}
	pthread_barrier_init(&t->go, NULL, (unsigned)t->n + 1);
	pthread_barrier_init(&t->done, NULL, (unsigned)t->n + 1);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	t->sync = true;
	for (; started < t->n; started++)
		if ((e = pthread_create(&t->slot[started].tid, NULL, worker_main,
					&t->w[started]))) {
			engine_fail("cannot start a worker thread: %s", strerror(e));
			err = -e;
			break;
		}
	pthread_mutex_lock(&t->lock);
	t->state = err < 0 ? -1 : 1;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (err < 0) {
		for (int k = 0; k < started; k++)
			pthread_join(t->slot[k].tid, NULL);
		return err;
	}
	t->running = true;
	engine_team_run(t, 0); /* every worker has tried its binding by now */
	for (int k = 0; k < t->n; k++)
		if (t->slot[k].bind_errno) {
			e = t->slot[k].bind_errno;
			engine_fail("cannot bind worker thread %d to its CPUs: %s", k, strerror(e));
			if (failed)
				*failed = k;
			engine_team_run(t, JOB_QUIT);
			return -e;
		}
	return 0;
}

void engine_team_free(engine_team *t)
{
	if (!t)
		return;
	if (t->running)
		engine_team_run(t, JOB_QUIT);
	if (t->sync) {
		pthread_barrier_destroy(&t->go);
		pthread_barrier_destroy(&t->done);
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
	}
	for (int k = 0; t->slot && k < t->n; k++)
		CPU_FREE(t->slot[k].cpus);
	free(t->slot);
	free(t->w);
	free(t);
}

/* ---- ping-pong ---- */

void engine_pp_reset(engine_pingpong *pp)
{
	atomic_store(&pp->flag, 0);
}

void engine_pp_quit(engine_pingpong *pp)
{
	atomic_store_explicit(&pp->flag, PP_QUIT, memory_order_release);
}

/* Spin until the line holds want (false: it says quit); yield now and then when asked. */
static bool pp_wait(engine_pingpong *pp, uint64_t want, unsigned yield_every)
{
	unsigned spins = 0;
	uint64_t v;

	while ((v = atomic_load_explicit(&pp->flag, memory_order_acquire)) != want) {
		if (v == PP_QUIT)
			return false;
		if (yield_every && ++spins == yield_every) {
			spins = 0;
			sched_yield();
		}
	}
	return true;
}

bool engine_pp_ping(engine_pingpong *pp, uint64_t *round, int n, unsigned yield_every)
{
	for (int it = 0; it < n; it++, (*round)++) {
		atomic_store_explicit(&pp->flag, 2 * *round + 1, memory_order_release);
		if (!pp_wait(pp, 2 * *round + 2, yield_every))
			return false;
	}
	return true;
}

void engine_pp_answer(engine_pingpong *pp, uint64_t rounds, unsigned yield_every)
{
	for (uint64_t k = 0; k < rounds; k++) {
		if (!pp_wait(pp, 2 * k + 1, yield_every))
			return;
		atomic_store_explicit(&pp->flag, 2 * k + 2, memory_order_release);
	}
}

/* One core-to-core measurement: worker 0 initiates, worker 1 answers. */
struct c2c {
	engine_pingpong *pp;
	int trials, iters;
	double best_ns;
};

static void c2c_job(engine_worker *w, int job)
{
	struct c2c *c = w->arg;
	uint64_t round = 0;

	if (job != 1)
		return;
	if (w->index == 1) {
		engine_pp_answer(c->pp, (uint64_t)c->trials * (uint64_t)c->iters, 0);
		return;
	}
	c->best_ns = INFINITY;
	for (int trial = 0; trial < c->trials; trial++) {
		double t0 = engine_now_s();

		if (!engine_pp_ping(c->pp, &round, c->iters, 0))
			break;
		/* One way is half a round trip. */
		c->best_ns = fmin(c->best_ns, (engine_now_s() - t0) * 1e9 / c->iters / 2);
	}
}

int engine_c2c(double *out, int *failed, int cpu_a, int cpu_b, int trials, int iters)
{
	struct c2c c = {.trials = trials, .iters = iters, .best_ns = NAN};
	engine_team *t = NULL;
	int err, bad = -1;

	*out = NAN;
	if (failed)
		*failed = -1;
	if (!(c.pp = aligned_alloc(128, sizeof(*c.pp)))) {
		engine_fail("out of memory");
		return -ENOMEM;
	}
	atomic_init(&c.pp->flag, 0);
	if ((err = engine_team_new(&t, 2, c2c_job, &c)) < 0 ||
	    (err = engine_team_pin(t, 0, cpu_a)) < 0 || (err = engine_team_pin(t, 1, cpu_b)) < 0)
		goto out;
	if ((err = engine_team_start(t, &bad)) < 0) {
		if (bad >= 0) {
			engine_fail("cannot bind a measuring thread to CPU %d: %s",
				    bad ? cpu_b : cpu_a, strerror(-err));
			if (failed)
				*failed = bad ? cpu_b : cpu_a;
		} else if (err != -ENOMEM) {
			engine_fail("cannot start a measuring thread: %s", strerror(-err));
		}
		goto out;
	}
	engine_team_run(t, 1);
	*out = c.best_ns;
out:
	engine_team_free(t);
	free(c.pp);
	return err;
}

/* ---- where memory is ---- */

int engine_page_node(int *out, const void *p, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), first, npages;
	void *pages[SAMPLE_PAGES];
	int status[SAMPLE_PAGES];
	size_t n;

	*out = -1;
	if (!p || len == 0) {
		engine_fail("cannot find the node of an empty memory range");
		return -EINVAL;
	}
	first = (uintptr_t)p & ~(page - 1);
	npages = ((((uintptr_t)p + len - 1) & ~(page - 1)) - first) / page + 1;
	n = npages < SAMPLE_PAGES ? npages : SAMPLE_PAGES;
	for (size_t k = 0; k < n; k++) {
		uintptr_t idx = n > 1 ? (uintptr_t)((npages - 1) * (uint64_t)k / (n - 1)) : 0;

		pages[k] = (void *)(first + idx * page);
	}
	/* The system call itself, not libnuma's wrapper: a static guest program has no libnuma. */
	if (syscall(SYS_move_pages, 0, (unsigned long)n, pages, NULL, status, 0) < 0) {
		engine_fail("cannot find the node of memory at %p: move_pages: %s", p,
			    strerror(errno));
		return -EIO;
	}
	for (size_t k = 0; k < n; k++) {
		if (status[k] == -ENOENT) {
			engine_fail(
			    "cannot find the node of memory at %p: page %p was never touched", p,
			    pages[k]);
			return -ENOENT;
		}
		if (status[k] < 0) {
			engine_fail("cannot find the node of memory at %p: move_pages: %s", p,
				    strerror(-status[k]));
			return -EIO;
		}
		if (k > 0 && status[k] != status[0])
			return 0; /* *out stays -1: spread */
	}
	*out = status[0];
	return 0;
}

int engine_check_node(const void *p, size_t len, int node)
{
	int found, err;

	if ((err = engine_page_node(&found, p, len)) < 0)
		return err;
	if (found == node)
		return 0;
	if (found < 0)
		engine_fail("memory bound to node %d is spread over several nodes", node);
	else
		engine_fail("memory bound to node %d is on node %d", node, found);
	return -EFAULT;
}

double engine_hugepage_fraction(const void *p, size_t len)
{
	uintptr_t s = (uintptr_t)p, e = s + len;
	unsigned long long kib, huge = 0;
	unsigned long lo, hi;
	bool in = false;
	char line[512];
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = lo < e && hi > s;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %llu kB", &kib) == 1)
			huge += kib;
	}
	fclose(f);
	return fmin(1.0, (double)huge * 1024.0 / (double)len);
}
