/* The guest's workloads on its own vCPUs, with the measurement engine (as bench/host_jobs.c). */
#include <errno.h>
#include <linux/mempolicy.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest/guest.h"
#include "probes/engine.h"

#define MIB         (1024.0 * 1024.0)
#define STREAM_MAX  (24u << 20) /* bytes of the three arrays of one worker, at most */
#define CHASE_MAX   (32u << 20) /* bytes of the chase, at most */
#define MIN_BYTES   (192u << 10)
#define CHASE_STEPS 4096
#define PP_BATCH    64
#define SPIN_YIELD  2000 /* ping-pong spins before yielding (both ends on one vCPU) */
#define CHASE_SEED  UINT64_C(0x766d706c616e) /* "vmplan": the probe's and the host bench's */

enum job { JOB_NONE, JOB_TOUCH, JOB_STREAM, JOB_CHASE, JOB_NOISY, JOB_COMPUTE, JOB_PING };

/* One region of memory bound to a node. */
struct region {
	void *p;
	size_t bytes;
};

/* A worker's own part: its vCPU's node's memory and what it counted in the last job. */
struct part {
	struct region arrays; /* a, b, c of elems doubles each */
	double *a, *b, *c;
	size_t elems;
	struct region chase; /* worker 0 only */
	void *chase_at;
	double count; /* bytes, loads or ops of the last job */
	uint64_t x;
};

struct shared {
	double deadline;
	engine_triad_fn triad;
	engine_pingpong *pp;
	uint64_t rounds;
};

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, GUEST_ERR_BYTES, fmt, ap);
	va_end(ap);
	return -1;
}

/* bytes of anonymous memory bound to node (mbind(2); no libnuma in a static program). */
static int region_alloc(struct region *r, size_t bytes, int node, char *err)
{
	unsigned long mask[GUEST_MAX_NODES / (8 * sizeof(unsigned long)) + 1] = {0};

	r->bytes = bytes;
	r->p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->p == MAP_FAILED) {
		r->p = NULL;
		return fail(err, "cannot allocate %.0f MiB for node %d: %s", (double)bytes / MIB,
			    node, strerror(errno));
	}
	mask[node / (8 * sizeof(unsigned long))] |= 1ul << (node % (8 * sizeof(unsigned long)));
	/* A kernel without NUMA has no mbind: its one node holds everything anyway. */
	if (syscall(SYS_mbind, r->p, bytes, MPOL_BIND, mask, (unsigned long)GUEST_MAX_NODES + 1,
		    MPOL_MF_STRICT) < 0 &&
	    errno != ENOSYS)
		return fail(err, "cannot bind %.0f MiB to node %d: mbind: %s", (double)bytes / MIB,
			    node, strerror(errno));
	return 0;
}

static void region_free(struct region *r)
{
	if (r->p)
		munmap(r->p, r->bytes);
	r->p = NULL;
}

static void stream_until(engine_worker *w, struct part *me, const struct shared *s)
{
	double bytes = 0;

	w->t0 = engine_now_s();
	do {
		s->triad(me->a, me->b, me->c, 3.0, me->elems);
		bytes += 24.0 * (double)me->elems; /* STREAM's count: 2 read, 1 written */
	} while ((w->t1 = engine_now_s()) < s->deadline);
	me->count = bytes;
}

static void chase_until(engine_worker *w, struct part *me, const struct shared *s)
{
	double steps = 0;

	w->t0 = engine_now_s();
	do {
		me->chase_at = engine_chase(me->chase_at, CHASE_STEPS);
		steps += CHASE_STEPS;
	} while ((w->t1 = engine_now_s()) < s->deadline);
	me->count = steps;
}

static void job_fn(engine_worker *w, int job)
{
	struct part *me = w->self;
	struct shared *s = w->arg;

	me->count = 0;
	switch ((enum job)job) {
	case JOB_TOUCH:
		for (size_t i = 0; i < me->elems; i++) {
			me->a[i] = 0.0;
			me->b[i] = 1.0;
			me->c[i] = 2.0;
		}
		if (me->chase.p) {
			size_t lines = me->chase.bytes / ENGINE_LINE_BYTES;

			engine_chase_init(me->chase.p, lines, CHASE_SEED);
			/* Warm the page tables as a long-running program has them. */
			me->chase_at = engine_chase(me->chase.p, lines < 8 ? 8 : lines / 8 * 8);
		}
		break;
	case JOB_STREAM:
		stream_until(w, me, s);
		break;
	case JOB_CHASE:
		if (w->index == 0)
			chase_until(w, me, s);
		break;
	case JOB_NOISY:
		if (w->index == 0)
			chase_until(w, me, s);
		else
			stream_until(w, me, s);
		break;
	case JOB_COMPUTE:
		w->t0 = engine_now_s();
		do {
			me->x = engine_compute(me->x, 1u << 14);
			me->count += 1u << 14;
		} while ((w->t1 = engine_now_s()) < s->deadline);
		w->sink += (double)(me->x & 1);
		break;
	case JOB_PING:
		if (w->index == 1) {
			engine_pp_answer(s->pp, ENGINE_PP_FOREVER, SPIN_YIELD);
			break;
		}
		w->t0 = engine_now_s();
		s->rounds = 0;
		do
			engine_pp_ping(s->pp, &s->rounds, PP_BATCH, SPIN_YIELD);
		while ((w->t1 = engine_now_s()) < s->deadline);
		engine_pp_quit(s->pp);
		break;
	default:
		break;
	}
}

/* A team of n workers, worker k pinned to cpus[k]. */
static int team_start(engine_team **out, int n, const int *cpus, struct shared *s,
		      struct part *parts, char *err)
{
	int bad = -1, rc;

	if ((rc = engine_team_new(out, n, job_fn, s)) < 0)
		return fail(err, "cannot make the workers: %s", strerror(-rc));
	for (int k = 0; k < n; k++) {
		engine_team_set_self(*out, k, &parts[k]);
		if ((rc = engine_team_pin(*out, k, cpus[k])) < 0)
			return fail(err, "cannot pin a worker to vCPU %d: %s", cpus[k],
				    strerror(-rc));
	}
	if ((rc = engine_team_start(*out, &bad)) < 0)
		return fail(err, "cannot start the workers%s: %s",
			    bad >= 0 ? " on their vCPUs" : "", strerror(-rc));
	return 0;
}

/* The memory every worker streams on and worker 0's chase, each on its vCPU's node. */
static int alloc_parts(struct part *parts, const struct guest_topology *t, bool stream, bool chase,
		       char *err)
{
	for (int k = 0; k < t->ncpus; k++) {
		struct part *me = &parts[k];
		unsigned long long node_bytes = 0;
		int on_node = 1, node = t->cpu_node[k]; /* vCPU k and the others of its node */
		size_t bytes;

		me->x = (uint64_t)k * 2654435761u + 1;
		for (int i = 0; i < t->nnodes; i++)
			if (t->nodes[i].id == node)
				node_bytes = t->nodes[i].memory_bytes;
		for (int j = 0; j < t->ncpus; j++)
			on_node += j != k && t->cpu_node[j] == node;
		/* A quarter of the node's memory at most, shared by its vCPUs, so it fits. */
		bytes = (size_t)(node_bytes / 4 / (unsigned)on_node);
		if (stream) {
			size_t one = (bytes < STREAM_MAX ? bytes : STREAM_MAX) / 3;

			me->elems =
			    one / sizeof(double) / ENGINE_UNIT_DOUBLES * ENGINE_UNIT_DOUBLES;
			if (me->elems * 3 * sizeof(double) < MIN_BYTES)
				return fail(err,
					    "node %d has too little memory to stream (%llu MiB)",
					    node, node_bytes >> 20);
			if (region_alloc(&me->arrays, me->elems * 3 * sizeof(double), node, err) <
			    0)
				return -1;
			me->a = me->arrays.p;
			me->b = me->a + me->elems;
			me->c = me->b + me->elems;
		}
		if (chase && k == 0) {
			size_t cb = bytes / 2 < CHASE_MAX ? bytes / 2 : CHASE_MAX;

			cb = cb / ENGINE_LINE_BYTES * ENGINE_LINE_BYTES;
			if (cb < MIN_BYTES)
				return fail(err, "node %d has too little memory for the chase",
					    node);
			if (region_alloc(&me->chase, cb, node, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* Every worker's memory is on its vCPU's node, as bound: else the figures measure something else.
 */
static int check_nodes(const struct part *parts, const struct guest_topology *t, char *err)
{
	for (int k = 0; k < t->ncpus; k++) {
		const struct region *r[2] = {&parts[k].arrays, &parts[k].chase};

		for (int i = 0; i < 2; i++)
			if (r[i]->p && engine_check_node(r[i]->p, r[i]->bytes, t->cpu_node[k]) < 0)
				return fail(err, "the %s memory of vCPU %d: %s",
					    i ? "chase" : "stream", t->cpus[k], engine_error());
	}
	return 0;
}

static void add_sample(struct guest_metric *m, double v)
{
	m->ran = true;
	if (m->nsamples < GUEST_MAX_SAMPLES)
		m->samples[m->nsamples++] = v;
}

/* One repetition of workload w on the team: its sample. */
static double run_one(engine_team *team, struct part *parts, int n, struct shared *s,
		      enum guest_workload w, double seconds)
{
	static const enum job jobs[GUEST_NWORKLOADS] = {JOB_STREAM, JOB_CHASE, JOB_NONE,
							JOB_COMPUTE, JOB_NOISY};
	double elapsed, sum = 0;
	engine_worker *w0;

	s->deadline = engine_now_s() + seconds;
	elapsed = engine_team_run(team, jobs[w]);
	w0 = engine_team_worker(team, 0);
	switch (w) {
	case GUEST_STREAM:
		for (int k = 0; k < n; k++)
			sum += parts[k].count;
		return elapsed > 0 ? sum / elapsed / 1e9 : 0;
	case GUEST_LATENCY:
	case GUEST_NOISY:
		return parts[0].count > 0 ? (w0->t1 - w0->t0) * 1e9 / parts[0].count : NAN;
	case GUEST_COMPUTE:
		for (int k = 0; k < n; k++) {
			engine_worker *wk = engine_team_worker(team, k);

			sum += parts[k].count / (wk->t1 - wk->t0);
		}
		return sum / 1e9;
	default:
		return 0;
	}
}

/* The ping-pong between the first and the last vCPU (the same one when there is one). */
static int run_c2c(struct guest_metric *m, const struct guest_params *p,
		   const struct guest_topology *t, char *err)
{
	int cpus[2] = {t->cpus[0], t->cpus[t->ncpus - 1]};
	struct part parts[2];
	struct shared s = {0};
	engine_team *team = NULL;
	int rc = 0;

	memset(parts, 0, sizeof(parts));
	if (!(s.pp = aligned_alloc(128, sizeof(*s.pp))))
		return fail(err, "out of memory");
	if (team_start(&team, 2, cpus, &s, parts, err) < 0) {
		rc = -1;
		goto out;
	}
	for (int r = 0; r < p->reps; r++) {
		engine_worker *w0;

		engine_pp_reset(s.pp);
		s.deadline = engine_now_s() + p->seconds;
		engine_team_run(team, JOB_PING);
		w0 = engine_team_worker(team, 0);
		/* One way is half a round trip. */
		add_sample(m, s.rounds ? (w0->t1 - w0->t0) * 1e9 / (double)s.rounds / 2 : 0);
	}
out:
	engine_team_free(team);
	free(s.pp);
	return rc;
}

int guest_workloads_run(struct guest_results *out, const struct guest_params *p,
			const struct guest_topology *t, char *err)
{
	bool stream = p->workloads[GUEST_STREAM] || p->workloads[GUEST_NOISY];
	bool chase = p->workloads[GUEST_LATENCY] || p->workloads[GUEST_NOISY];
	bool team_needed = stream || chase || p->workloads[GUEST_COMPUTE];
	engine_isa isa = ENGINE_ISA_AUTO;
	engine_read_fn read_fn;
	struct shared s = {0};
	struct part *parts;
	engine_team *team = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (engine_kernels(&isa, &read_fn, &s.triad) < 0)
		return fail(err, "no bandwidth kernel: %s", engine_error());
	if (!(parts = calloc((size_t)t->ncpus, sizeof(*parts))))
		return fail(err, "out of memory");
	if (team_needed) {
		if (alloc_parts(parts, t, stream, chase, err) < 0 ||
		    team_start(&team, t->ncpus, t->cpus, &s, parts, err) < 0) {
			rc = -1;
			goto out;
		}
		engine_team_run(team, JOB_TOUCH);
		if (t->nnodes > 1 && check_nodes(parts, t, err) < 0) {
			rc = -1;
			goto out;
		}
	}
	for (int w = 0; w < GUEST_NWORKLOADS && rc == 0; w++) {
		if (!p->workloads[w])
			continue;
		if (w == GUEST_C2C) {
			char why[GUEST_ERR_BYTES];

			if (run_c2c(&out->m[w], p, t, why) < 0)
				rc = fail(err, "c2c: %s", why);
			continue;
		}
		for (int r = 0; r < p->reps; r++)
			add_sample(&out->m[w], run_one(team, parts, t->ncpus, &s,
						       (enum guest_workload)w, p->seconds));
	}
out:
	engine_team_free(team);
	for (int k = 0; k < t->ncpus; k++) {
		region_free(&parts[k].arrays);
		region_free(&parts[k].chase);
	}
	free(parts);
	return rc;
}
