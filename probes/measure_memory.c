/* Memory bandwidth and idle latency of every node pair: threads on one node, memory on another. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <numa.h>
#include <numaif.h>

#include "probes/measure_internal.h"
#include "vmplan/error.h"
#include "vmplan/stats.h"

#define CHASE_SEED UINT64_C(0x766d706c616e) /* "vmplan": the same chase on every run */

/* Memory on one node: what numa_alloc_onnode gave, and the 2 MiB aligned part in use. */
struct numbuf {
	void *raw;
	size_t raw_bytes;
	double *p;
	size_t bytes;
	bool numa;
};

static int numbuf_alloc(struct numbuf *b, size_t bytes, int node, bool numa)
{
	uintptr_t aligned;

	b->raw_bytes = bytes + HUGE_BYTES; /* room to align to a hugepage */
	b->bytes = bytes;
	b->numa = numa;
	if (numa) {
		b->raw = numa_alloc_onnode(b->raw_bytes, node);
	} else {
		b->raw = mmap(NULL, b->raw_bytes, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b->raw == MAP_FAILED)
			b->raw = NULL;
	}
	if (!b->raw) {
		vmp_error_set("cannot allocate %zu MiB on node %d", b->raw_bytes / MIB, node);
		return VMP_ENOMEM;
	}
	aligned = ((uintptr_t)b->raw + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
	b->p = (double *)aligned;
	if (numa) {
		/*
		 * numa_alloc_onnode binds with libnuma's process-wide bind policy, which
		 * may have been set to "preferred"; bind strictly, without touching it.
		 */
		struct bitmask *mask = numa_allocate_nodemask();
		int r, e;

		if (!mask) {
			vmp_error_set("out of memory");
			return VMP_ENOMEM;
		}
		numa_bitmask_setbit(mask, (unsigned)node);
		r = mbind(b->p, bytes, MPOL_BIND, mask->maskp, mask->size + 1, MPOL_MF_STRICT);
		e = errno;
		numa_bitmask_free(mask);
		if (r < 0) {
			vmp_error_set("cannot bind %zu MiB to node %d: mbind: %s", bytes / MIB,
				      node, strerror(e));
			return VMP_ESYS;
		}
	}
	/* Fewer TLB misses for the chase; a kernel without THP just says no. */
	madvise(b->p, bytes, MADV_HUGEPAGE);
	return VMP_OK;
}

static void numbuf_free(struct numbuf *b)
{
	if (!b->raw)
		return;
	if (b->numa)
		numa_free(b->raw, b->raw_bytes);
	else
		munmap(b->raw, b->raw_bytes);
	b->raw = NULL;
}

/* The jobs of the team on one node's PUs. */
enum job { JOB_NONE, JOB_TOUCH, JOB_READ, JOB_TRIAD, JOB_BUILD, JOB_CHASE };

/* What the workers share for one node pair: the arrays, the kernels and the chase. */
struct pair_job {
	double *a, *b, *c;
	size_t elems;
	engine_read_fn read;
	engine_triad_fn triad;
	size_t chase_lines; /* lines of a in the chase */
	void *chase_at;     /* where the chase goes on from */
	size_t chase_steps;
	bool chase_disturbed; /* the chasing thread was preempted during the last job */
};

/* The calling thread's involuntary context switches so far: a change means it was preempted. */
static long involuntary_switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return 0;
	return ru.ru_nivcsw;
}

/* A worker's share of a job: its slice of the arrays; the chase runs on worker 0 alone. */
static void run_share(engine_worker *w, int job)
{
	struct pair_job *t = w->arg;
	size_t n = (size_t)engine_team_size(w->team), units = t->elems / ENGINE_UNIT_DOUBLES;
	size_t lo = units * (size_t)w->index / n * ENGINE_UNIT_DOUBLES;
	size_t hi = units * (size_t)(w->index + 1) / n * ENGINE_UNIT_DOUBLES;

	switch (job) {
	case JOB_TOUCH:
		/* The first write places the page: each thread writes the share it will use. */
		for (size_t i = lo; i < hi; i++)
			t->a[i] = 0.0;
		if (t->b)
			for (size_t i = lo; i < hi; i++) {
				t->b[i] = 1.0;
				t->c[i] = 2.0;
			}
		break;
	case JOB_READ:
		/* Over a, b and c alike: three arrays back to back, split in n shares. */
		lo = 3 * units * (size_t)w->index / n * ENGINE_UNIT_DOUBLES;
		hi = 3 * units * (size_t)(w->index + 1) / n * ENGINE_UNIT_DOUBLES;
		w->t0 = engine_now_s();
		w->sink += t->read(t->a + lo, hi - lo);
		w->t1 = engine_now_s();
		break;
	case JOB_TRIAD:
		w->t0 = engine_now_s();
		t->triad(t->a + lo, t->b + lo, t->c + lo, 3.0, hi - lo);
		w->t1 = engine_now_s();
		break;
	case JOB_BUILD:
		if (w->index == 0) {
			engine_chase_init(t->a, t->chase_lines, CHASE_SEED);
			t->chase_at = t->a;
		}
		break;
	case JOB_CHASE:
		if (w->index == 0) {
			long switches = involuntary_switches();

			w->t0 = engine_now_s();
			t->chase_at = engine_chase(t->chase_at, t->chase_steps);
			w->t1 = engine_now_s();
			t->chase_disturbed = involuntary_switches() != switches;
		}
		break;
	default:
		break;
	}
}

/* The OS indexes of the PUs that run the bandwidth threads of node index i. */
static int node_threads(const struct measure_run *r, int i, int *cpus)
{
	const vmp_host *h = r->host;
	int n = 0;

	if (r->threads == VMP_MEASURE_PER_CORE) {
		for (int k = 0; k < h->ncores; k++)
			if (h->cores[k].node == i)
				cpus[n++] = vmp_cpuset_first(&h->cores[k].pus);
	} else {
		for (int k = 0; k < h->npus; k++)
			if (h->pus[k].node == i)
				cpus[n++] = h->pus[k].os_index;
	}
	return n;
}

bool measure_node_has_memory(const struct measure_run *r, int j)
{
	const vmp_node *node = &r->host->nodes[j];

	if (node->memory_bytes == 0)
		return false;
	return !r->numa || numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)node->id);
}

/*
 * Bytes of each of narrays arrays of want bytes on node j: want, unless the arrays would not
 * fit in 90% of the node's free memory (the first touch of memory bound to a full node ends
 * with the OOM killer, not an error). 0: skip the pair.
 */
static size_t fit_array(struct measure_run *r, int j, int narrays, size_t want)
{
	long long free_bytes = 0;
	size_t room, bytes = want;
	int id = r->host->nodes[j].id;

	if (!r->numa || numa_node_size64(id, &free_bytes) < 0 || free_bytes <= 0)
		return bytes;
	room = (size_t)((double)free_bytes * 0.9);
	room = room > 64 * MIB ? room - 64 * MIB : 0;
	if ((size_t)narrays * bytes <= room)
		return bytes;
	bytes = room / (size_t)narrays / HUGE_BYTES * HUGE_BYTES;
	if (bytes < MIN_ARRAY_BYTES) {
		measure_note(r, "node %d has %lld MiB free, too little to measure it", id,
			     free_bytes / (long long)MIB);
		return 0;
	}
	measure_note(r, "arrays on node %d shrunk to %zu MiB (%zu wanted) for lack of free memory",
		     id, bytes / MIB, want / MIB);
	return bytes;
}

static void keep_best_and_median(double *best, double *med, double *v, int reps)
{
	/* The first repetition warms TLBs and clocks: dropped, as STREAM does. */
	*best = v[1];
	for (int k = 2; k < reps; k++)
		*best = fmax(*best, v[k]);
	*med = vmp_stats_median(v + 1, (size_t)(reps - 1));
}

/* Read and triad bandwidth of the team over the arrays of job, total bytes in all. */
static int measure_bandwidth(struct measure_run *r, engine_team *t, int i, int j, size_t total)
{
	const vmp_host *h = r->host;
	struct pair_job *job = engine_team_worker(t, 0)->arg;
	int id_i = h->nodes[i].id, id_j = h->nodes[j].id, nn = h->nnodes;
	int reps = r->lp.repetitions;
	size_t bytes = job->elems * sizeof(double);
	double *rd = calloc((size_t)reps, sizeof(*rd)), *tr = calloc((size_t)reps, sizeof(*tr));

	if (!rd || !tr) {
		free(rd);
		free(tr);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (int k = 0; k < reps; k++) {
		double s = engine_team_run(t, JOB_READ);

		rd[k] = s > 0 ? (double)total / s / 1e9 : 0;
		measure_step(r, 1, "read bandwidth, threads on node %d, memory on node %d", id_i,
			     id_j);
	}
	for (int k = 0; k < reps; k++) {
		double s = engine_team_run(t, JOB_TRIAD);

		/* STREAM's count: two arrays read, one written, 8 bytes each. */
		tr[k] = s > 0 ? 3.0 * (double)bytes / s / 1e9 : 0;
		measure_step(r, 1, "triad bandwidth, threads on node %d, memory on node %d", id_i,
			     id_j);
	}
	keep_best_and_median(&r->rep->read_best_gbs[i * nn + j],
			     &r->rep->read_median_gbs[i * nn + j], rd, reps);
	keep_best_and_median(&r->rep->triad_best_gbs[i * nn + j],
			     &r->rep->triad_median_gbs[i * nn + j], tr, reps);
	free(rd);
	free(tr);
	return VMP_OK;
}

/*
 * Latency: the minimum over trials that ran undisturbed (no involuntary
 * context switch of the chasing thread); on a busy machine, the minimum of
 * all when fewer than LATENCY_TRIALS were.
 */
static double chase_latency(struct measure_run *r, engine_team *t, int id_i, int id_j)
{
	struct pair_job *job = engine_team_worker(t, 0)->arg;
	double best = INFINITY, best_any = INFINITY;
	int clean = 0;

	job->chase_steps = r->lp.chase_steps / 4;
	engine_team_run(t, JOB_CHASE); /* page tables and TLB warm, as in a long idle run */
	job->chase_steps = r->lp.chase_steps;
	for (int k = 0; k < 4 * LATENCY_TRIALS && clean < LATENCY_TRIALS; k++) {
		double ns = engine_team_run(t, JOB_CHASE) * 1e9 / (double)job->chase_steps;

		best_any = fmin(best_any, ns);
		if (!job->chase_disturbed) {
			best = fmin(best, ns);
			clean++;
			measure_step(r, 1, "latency, thread on node %d, memory on node %d", id_i,
				     id_j);
		}
	}
	measure_step(r, LATENCY_TRIALS - clean, "latency, thread on node %d, memory on node %d",
		     id_i, id_j);
	if (clean < LATENCY_TRIALS) {
		measure_note(r,
			     "latency of node %d to node %d: only %d of %d trials ran without "
			     "being preempted; the machine is busy",
			     id_i, id_j, clean, 4 * LATENCY_TRIALS);
		if (clean == 0)
			best = best_any;
	}
	return best;
}

/* Latency of a chase over the first chase_bytes of mem, and how much of it is on hugepages. */
static void measure_latency(struct measure_run *r, engine_team *t, int i, int j,
			    const struct numbuf *mem, size_t chase_bytes)
{
	struct pair_job *job = engine_team_worker(t, 0)->arg;
	int id_i = r->host->nodes[i].id, id_j = r->host->nodes[j].id, nn = r->host->nnodes;
	double huge;

	measure_step(r, 0, "building a %zu MiB pointer chase on node %d", chase_bytes / MIB, id_j);
	job->chase_lines = chase_bytes / ENGINE_LINE_BYTES;
	engine_team_run(t, JOB_BUILD);
	r->rep->latency_ns[i * nn + j] = chase_latency(r, t, id_i, id_j);
	r->rep->chase_bytes = chase_bytes;
	huge = engine_hugepage_fraction(mem->p, chase_bytes);
	r->rep->hugepage_fraction[i * nn + j] = huge;
	if (huge < 0.5)
		measure_note(r,
			     "latency of node %d to node %d measured on 4 KiB pages (%.0f%% on "
			     "2 MiB pages): TLB misses are included",
			     id_i, id_j, huge * 100);
}

/*
 * Bandwidth and latency of threads on node index i with memory on node
 * index j. One allocation holds the three arrays a, b, c back to back; the
 * read kernel streams over all of it, the chase runs over its first
 * chase_bytes.
 */
static int measure_pair(struct measure_run *r, engine_team *t, int i, int j)
{
	const vmp_host *h = r->host;
	struct pair_job *job = engine_team_worker(t, 0)->arg;
	int id_i = h->nodes[i].id, id_j = h->nodes[j].id, err;
	bool bw = r->parts & VMP_MEASURE_BANDWIDTH, lat = r->parts & VMP_MEASURE_LATENCY;
	struct numbuf mem = {0};
	size_t bytes, total, chase_bytes;
	double pair_units = (bw ? 2.0 * r->lp.repetitions : 0) + (lat ? LATENCY_TRIALS : 0);

	bytes = bw ? fit_array(r, j, 3, r->array_bytes) : fit_array(r, j, 1, r->chase_bytes);
	if (bytes == 0) {
		measure_step(r, pair_units, "skipped threads on node %d, memory on node %d", id_i,
			     id_j);
		return VMP_OK;
	}
	total = bw ? 3 * bytes : bytes;
	chase_bytes = r->chase_bytes < total ? r->chase_bytes : total;
	if ((err = numbuf_alloc(&mem, total, id_j, r->numa)) < 0)
		goto out;
	job->elems = bytes / sizeof(double);
	job->a = mem.p;
	job->b = bw ? mem.p + job->elems : NULL;
	job->c = bw ? mem.p + 2 * job->elems : NULL;
	job->read = r->read;
	job->triad = r->triad;
	measure_step(r, 0, "touching %zu MiB on node %d from node %d", total / MIB, id_j, id_i);
	engine_team_run(t, JOB_TOUCH);
	if (r->numa && (err = engine_check_node(mem.p, total, id_j)) < 0) {
		err = measure_engine_error(err);
		goto out;
	}
	r->rep->array_bytes = bw ? bytes : 0;
	if (bw && (err = measure_bandwidth(r, t, i, j, total)) < 0)
		goto out;
	if (lat)
		measure_latency(r, t, i, j, &mem, chase_bytes);
	err = VMP_OK;
out:
	numbuf_free(&mem);
	return err;
}

/* Start a team pinned one worker a CPU, on cpus[0 .. n). */
static int start_team(engine_team **out, const int *cpus, int n, struct pair_job *job)
{
	engine_team *t = NULL;
	int err, failed = -1;

	*out = NULL;
	if ((err = engine_team_new(&t, n, run_share, job)) < 0)
		return measure_team_error(err);
	for (int k = 0; k < n; k++)
		if ((err = engine_team_pin(t, k, cpus[k])) < 0) {
			engine_team_free(t);
			return measure_team_error(err);
		}
	if ((err = engine_team_start(t, &failed)) < 0) {
		engine_team_free(t);
		if (failed >= 0)
			vmp_error_set("cannot bind a measuring thread to CPU %d: %s", cpus[failed],
				      strerror(-err));
		else if (err != -ENOMEM)
			vmp_error_set("cannot start a measuring thread: %s", strerror(-err));
		else
			vmp_error_set("out of memory");
		return err == -ENOMEM ? VMP_ENOMEM : VMP_ESYS;
	}
	*out = t;
	return VMP_OK;
}

int measure_memory(struct measure_run *r)
{
	const vmp_host *h = r->host;
	struct pair_job job = {0};
	engine_team *t = NULL;
	int *cpus = malloc(sizeof(*cpus) * (size_t)(h->npus > 0 ? h->npus : 1));
	int err = VMP_OK;

	if (!cpus) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (int i = 0; i < h->nnodes; i++) {
		int n = node_threads(r, i, cpus);

		if (n == 0)
			continue;
		r->rep->threads[i] = n;
		if ((err = start_team(&t, cpus, n, &job)) < 0)
			goto out;
		for (int j = 0; j < h->nnodes; j++)
			if (measure_node_has_memory(r, j) && (err = measure_pair(r, t, i, j)) < 0)
				goto out;
		engine_team_free(t);
		t = NULL;
	}
out:
	engine_team_free(t);
	free(cpus);
	return err;
}
