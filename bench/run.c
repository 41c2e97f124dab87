/* Emulate a plan's guests on the live host: pinned vCPU threads, bound memory, workloads. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/mman.h>
#include <numa.h>
#include <numaif.h>

#include "vmplan/bench.h"
#include "vmplan/error.h"
#include "vmplan/measure.h"
#include "vmplan/version.h"

#define MIB	      ((size_t)1 << 20)
#define HUGE_2M	      (2 * MIB)
#define MAX_NODE_ID   1024		 /* bits of the node mask given to mbind */
#define MIN_SHARE     ((size_t)64 << 10) /* the least memory a vCPU works on */
#define SPIN_YIELD    2000 /* ping-pong spins before yielding (two threads on one CPU) */
#define PP_QUIT	      UINT64_MAX
#define LIGHT_BUSY_S  50e-6  /* emulator and I/O threads: busy this long ... */
#define LIGHT_SLEEP_S 950e-6 /* ... then asleep this long: 5% of a CPU */

enum tkind { T_VCPU, T_EMULATOR, T_IOTHREAD, T_ANTAGONIST };
enum job { JOB_NONE, JOB_TOUCH, JOB_PREPARE, JOB_RUN, JOB_QUIT };

/* One guest cell's memory (or an antagonist's). */
struct region {
	void *raw;
	size_t raw_bytes;
	char *p;
	size_t bytes;
	size_t used; /* the bytes from p shared out to threads, which touch them */
	bool huge;   /* MAP_HUGETLB */
};

/* Two vCPUs bouncing one line, alone in its 128 bytes. */
struct pp {
	_Alignas(128) _Atomic uint64_t flag;
};

struct engine;

struct gthread {
	struct engine *e;
	enum tkind kind;
	int vm;	   /* index into e->vms; -1 for an antagonist */
	int index; /* vCPU or I/O thread number */
	bool pin;
	vmp_cpuset cpus;
	/* the vCPU's (or antagonist's) share of memory: three arrays of elems doubles */
	double *a, *b, *c;
	size_t elems;
	size_t share_bytes;
	void *chase_at;
	struct pp *pp;
	int pp_role; /* 0 none, 1 initiator, 2 responder */
	double value;
	bool has_value;
	double sink;
	vmp_cpuset seen;
	pthread_t tid;
	int err;
};

struct gvm {
	const vmp_plan_vm *vm;
	int first; /* index of its first vCPU thread */
	int nvcpus;
	int ncells;
	struct region cells[VMP_MAX_CELLS];
	int npairs;
	struct pp *pairs;
};

struct engine {
	const vmp_host *host;
	const vmp_plan *plan;
	vmp_bench_variant variant;
	vmp_measure_triad_fn triad;
	int nvms;
	struct gvm *vms;
	int nthreads;
	struct gthread *t;
	struct region *antagonist_mem;
	int nantagonists;
	pthread_barrier_t go, done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool barriers;
	int state; /* 0 starting, 1 running, -1 abandoned */
	enum job job;
	vmp_bench_workload workload;
	double deadline;
	char **notes;
	size_t *notes_len;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void add_note(char **notes, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_note(char **notes, size_t *len, const char *fmt, ...)
{
	char text[600];
	size_t n;
	char *grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = strlen(text);
	/* Say a thing once: the same note comes from every repetition and variant. */
	if (*notes && strstr(*notes, text))
		return;
	grown = realloc(*notes, *len + n + 2);
	if (!grown)
		return; /* a lost note is not worth failing the bench */
	memcpy(grown + *len, text, n);
	grown[*len + n] = '\n';
	grown[*len + n + 1] = '\0';
	*notes = grown;
	*len += n + 1;
}

static int log2_u64(uint64_t v)
{
	int n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

/* Whether node (an OS id) has bytes of free hugepages of huge_bytes in the live host's pools. */
static bool pool_has(const vmp_host *host, int node, uint64_t huge_bytes, size_t bytes)
{
	int i = vmp_host_node_index(host, node);

	if (i < 0)
		return false;
	for (int k = 0; k < host->nodes[i].nhugepages; k++)
		if (host->nodes[i].hugepages[k].size_kib * 1024 == huge_bytes)
			return host->nodes[i].hugepages[k].free * huge_bytes >= bytes;
	return false;
}

/*
 * Memory for one cell: on hugepages of huge_bytes where asked and the pool has them, else
 * on 4 KiB pages with THP asked; bound strictly to node when node >= 0.
 */
static int region_alloc(struct engine *e, struct region *r, size_t bytes, int node,
			uint64_t huge_bytes, const char *vm, int cell)
{
	size_t align = huge_bytes ? (size_t)huge_bytes : HUGE_2M, want = bytes;

	memset(r, 0, sizeof(*r));
	bytes = (bytes + align - 1) / align * align;
	if (huge_bytes && node >= 0 && !pool_has(e->host, node, huge_bytes, bytes)) {
		add_note(e->notes, e->notes_len,
			 "vm '%s' cell %d: node %d has fewer than %zu free %llu KiB hugepages; "
			 "ran on 4 KiB pages with transparent hugepages asked",
			 vm, cell, node, bytes / (size_t)huge_bytes,
			 (unsigned long long)(huge_bytes >> 10));
		huge_bytes = 0;
	}
	if (huge_bytes) {
		int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			    (log2_u64(huge_bytes) << MAP_HUGE_SHIFT);
		void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);

		if (p != MAP_FAILED) {
			r->raw = r->p = p;
			r->raw_bytes = r->bytes = bytes;
			r->huge = true;
		} else {
			add_note(e->notes, e->notes_len,
				 "vm '%s' cell %d: no %llu KiB hugepages to be had for %zu MiB "
				 "(%s); ran on 4 KiB pages with transparent hugepages asked",
				 vm, cell, (unsigned long long)(huge_bytes >> 10), bytes / MIB,
				 strerror(errno));
		}
	}
	if (!r->raw) {
		uintptr_t aligned;

		bytes = (want + HUGE_2M - 1) / HUGE_2M * HUGE_2M;
		r->raw_bytes = bytes + HUGE_2M;
		r->raw = mmap(NULL, r->raw_bytes, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (r->raw == MAP_FAILED) {
			r->raw = NULL;
			vmp_error_set("cannot allocate %zu MiB for vm '%s' cell %d: %s",
				      bytes / MIB, vm, cell, strerror(errno));
			return VMP_ENOMEM;
		}
		aligned = ((uintptr_t)r->raw + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1);
		r->p = (char *)aligned;
		r->bytes = bytes;
		madvise(r->p, bytes, MADV_HUGEPAGE);
	}
	if (node >= 0) {
		unsigned long mask[MAX_NODE_ID / (8 * sizeof(unsigned long))] = {0};

		mask[(unsigned)node / (8 * sizeof(unsigned long))] |=
		    1UL << ((unsigned)node % (8 * sizeof(unsigned long)));
		if (mbind(r->p, r->bytes, MPOL_BIND, mask, MAX_NODE_ID + 1, MPOL_MF_STRICT) < 0) {
			vmp_error_set("cannot bind %zu MiB of vm '%s' cell %d to node %d: "
				      "mbind: %s",
				      r->bytes / MIB, vm, cell, node, strerror(errno));
			return VMP_ESYS;
		}
	}
	return VMP_OK;
}

static void region_free(struct region *r)
{
	if (r->raw)
		munmap(r->raw, r->raw_bytes);
	r->raw = NULL;
}

static int set_affinity(const vmp_cpuset *cpus)
{
	cpu_set_t *set = CPU_ALLOC(VMP_CPUSET_MAX);
	size_t size = CPU_ALLOC_SIZE(VMP_CPUSET_MAX);
	int cpu, e = 0;

	if (!set)
		return ENOMEM;
	CPU_ZERO_S(size, set);
	VMP_CPUSET_FOREACH (cpu, cpus)
		CPU_SET_S((size_t)cpu, size, set);
	if (sched_setaffinity(0, size, set) < 0)
		e = errno;
	CPU_FREE(set);
	return e;
}

static void sample_cpu(struct gthread *t)
{
	int cpu = sched_getcpu();

	if (cpu >= 0)
		vmp_cpuset_set(&t->seen, cpu);
}

/* Spin until *flag is want (or PP_QUIT); yield now and then, for two threads on one CPU. */
static bool pp_wait(struct pp *pp, uint64_t want)
{
	unsigned spins = 0;
	uint64_t v;

	while ((v = atomic_load_explicit(&pp->flag, memory_order_acquire)) != want) {
		if (v == PP_QUIT)
			return false;
		if (++spins == SPIN_YIELD) {
			spins = 0;
			sched_yield();
		}
	}
	return true;
}

static void run_c2c(struct gthread *t)
{
	struct engine *e = t->e;
	struct pp *pp = t->pp;
	uint64_t k = 0;
	double t0;

	if (t->pp_role == 2) {
		for (;; k++) {
			if (!pp_wait(pp, 2 * k + 1))
				break;
			atomic_store_explicit(&pp->flag, 2 * k + 2, memory_order_release);
		}
		sample_cpu(t);
		return;
	}
	t0 = now_s();
	for (;;) {
		for (int it = 0; it < 64; it++, k++) {
			atomic_store_explicit(&pp->flag, 2 * k + 1, memory_order_release);
			pp_wait(pp, 2 * k + 2);
		}
		sample_cpu(t);
		if (now_s() >= e->deadline)
			break;
	}
	/* One way is half a round trip. */
	t->value = (now_s() - t0) * 1e9 / (double)k / 2;
	t->has_value = true;
	atomic_store_explicit(&pp->flag, PP_QUIT, memory_order_release);
}

static void run_stream(struct gthread *t)
{
	double bytes = 0, t0 = now_s(), t1;

	do {
		t->e->triad(t->a, t->b, t->c, 3.0, t->elems);
		bytes += 24.0 * (double)t->elems; /* STREAM's count: 2 read, 1 written */
		sample_cpu(t);
	} while ((t1 = now_s()) < t->e->deadline);
	t->value = bytes / (t1 - t0) / 1e9;
	t->has_value = true;
}

static void run_latency(struct gthread *t)
{
	size_t steps = 0;
	double t0 = now_s(), t1;

	do {
		t->chase_at = vmp_measure_chase(t->chase_at, 4096);
		steps += 4096;
		sample_cpu(t);
	} while ((t1 = now_s()) < t->e->deadline);
	t->value = (t1 - t0) * 1e9 / (double)steps;
	t->has_value = true;
}

/* One op: three xorshifts and a multiply, each waiting on the one before. */
static uint64_t compute_kernel(uint64_t x, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		x *= UINT64_C(0x2545f4914f6cdd1d);
	}
	return x;
}

static void run_compute(struct gthread *t)
{
	uint64_t x = (uint64_t)t->index * 2654435761u + 1, ops = 0;
	double t0 = now_s(), t1;

	do {
		x = compute_kernel(x, 1u << 14);
		ops += 1u << 14;
		sample_cpu(t);
	} while ((t1 = now_s()) < t->e->deadline);
	t->sink += (double)(x & 1);
	t->value = (double)ops / (t1 - t0);
	t->has_value = true;
}

/* Emulator and I/O threads: a light load of their own while the guests work. */
static void run_light(struct gthread *t)
{
	struct timespec nap = {0, (long)(LIGHT_SLEEP_S * 1e9)};
	uint64_t x = 1;

	do {
		double until = now_s() + LIGHT_BUSY_S;

		while (now_s() < until)
			x = compute_kernel(x, 64);
		sample_cpu(t);
		nanosleep(&nap, NULL);
	} while (now_s() < t->e->deadline);
	t->sink += (double)(x & 1);
}

static void touch(struct gthread *t)
{
	if (t->a)
		memset(t->a, 0, t->share_bytes);
	sample_cpu(t);
}

static void prepare(struct gthread *t)
{
	struct engine *e = t->e;
	bool chase = e->workload == VMP_BENCH_LATENCY || e->workload == VMP_BENCH_NOISY;

	sample_cpu(t);
	if (!t->a)
		return;
	if (t->kind == T_ANTAGONIST || (t->kind == T_VCPU && e->workload == VMP_BENCH_STREAM)) {
		for (size_t i = 0; i < t->elems; i++) {
			t->b[i] = 1.0;
			t->c[i] = 2.0;
		}
	} else if (t->kind == T_VCPU && chase) {
		size_t lines = t->share_bytes / VMP_MEASURE_LINE_BYTES;

		vmp_measure_chase_init(t->a, lines,
				       UINT64_C(0x766d706c616e) ^ ((uint64_t)t->vm << 20) ^
					   (uint64_t)t->index);
		t->chase_at = t->a;
		/* Warm the page tables as a long-running guest has them. */
		t->chase_at = vmp_measure_chase(t->chase_at, lines < 8 ? 8 : lines / 8 * 8);
	}
}

static void run_job(struct gthread *t)
{
	struct engine *e = t->e;

	t->has_value = false;
	if (t->kind == T_EMULATOR || t->kind == T_IOTHREAD) {
		run_light(t);
		return;
	}
	if (t->kind == T_ANTAGONIST) {
		if (e->workload == VMP_BENCH_NOISY)
			run_stream(t);
		return;
	}
	switch (e->workload) {
	case VMP_BENCH_STREAM:
		run_stream(t);
		break;
	case VMP_BENCH_LATENCY:
	case VMP_BENCH_NOISY:
		run_latency(t);
		break;
	case VMP_BENCH_C2C:
		if (t->pp_role)
			run_c2c(t);
		break;
	case VMP_BENCH_COMPUTE:
		run_compute(t);
		break;
	default:
		break;
	}
}

static void *thread_main(void *arg)
{
	struct gthread *t = arg;
	struct engine *e = t->e;
	int state;

	if (t->pin)
		t->err = set_affinity(&t->cpus);
	pthread_mutex_lock(&e->lock);
	while (e->state == 0)
		pthread_cond_wait(&e->cond, &e->lock);
	state = e->state;
	pthread_mutex_unlock(&e->lock);
	if (state < 0)
		return NULL;
	for (;;) {
		pthread_barrier_wait(&e->go);
		if (e->job == JOB_QUIT)
			break;
		switch (e->job) {
		case JOB_TOUCH:
			touch(t);
			break;
		case JOB_PREPARE:
			prepare(t);
			break;
		case JOB_RUN:
			run_job(t);
			break;
		default:
			sample_cpu(t);
			break;
		}
		pthread_barrier_wait(&e->done);
	}
	return NULL;
}

static void engine_job(struct engine *e, enum job job, double seconds)
{
	e->job = job;
	if (job == JOB_RUN) {
		for (int k = 0; k < e->nvms; k++)
			for (int p = 0; p < e->vms[k].npairs; p++)
				atomic_store(&e->vms[k].pairs[p].flag, 0);
		e->deadline = now_s() + seconds;
	}
	pthread_barrier_wait(&e->go);
	if (job == JOB_QUIT) {
		for (int k = 0; k < e->nthreads; k++)
			pthread_join(e->t[k].tid, NULL);
		return;
	}
	pthread_barrier_wait(&e->done);
}

/* Where the variant puts a VM's threads: its vCPU v, emulator (v = -1), I/O thread. */
static void variant_cpus(struct engine *e, int vmi, enum tkind kind, int index, int *naive_next,
			 const int *online, int nonline, bool *pin, vmp_cpuset *cpus)
{
	const vmp_plan_vm *vm = e->vms[vmi].vm;

	vmp_cpuset_zero(cpus);
	*pin = false;
	if (e->variant == VMP_BENCH_UNPINNED)
		return;
	if (e->variant == VMP_BENCH_NAIVE) {
		if (kind == T_VCPU) {
			vmp_cpuset_set(cpus, online[(*naive_next)++ % nonline]);
		} else {
			/* Emulator and I/O threads on the VM's CPUs, libvirt's default. */
			int first = e->vms[vmi].first;

			for (int v = 0; v < e->vms[vmi].nvcpus; v++)
				vmp_cpuset_or(cpus, cpus, &e->t[first + v].cpus);
		}
		*pin = !vmp_cpuset_empty(cpus);
		return;
	}
	if (kind == T_VCPU) {
		if (vm->req.cpu == VMP_CPU_SHARED || vm->vcpupin[index] < 0)
			*cpus = vm->pcpus;
		else
			vmp_cpuset_set(cpus, vm->vcpupin[index]);
	} else if (kind == T_EMULATOR) {
		*cpus = vm->emulatorpin;
	} else {
		*cpus = vm->iothreadpin[index];
	}
	*pin = !vmp_cpuset_empty(cpus);
}

/* The CPUs no VM of the plan uses, for the antagonist. */
static void free_cpus(vmp_cpuset *out, const vmp_host *host, const vmp_plan *plan)
{
	*out = host->online;
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];

		if (!vm->placed)
			continue;
		vmp_cpuset_andnot(out, out, &vm->pcpus);
		vmp_cpuset_andnot(out, out, &vm->emulatorpin);
		for (int t = 0; t < vm->niothreads; t++)
			vmp_cpuset_andnot(out, out, &vm->iothreadpin[t]);
	}
}

static uint64_t largest_l3(const vmp_host *host)
{
	uint64_t best = 0;

	for (int i = 0; i < host->nl3; i++)
		if (host->l3s[i].size_bytes > best)
			best = host->l3s[i].size_bytes;
	return best;
}

/* Split a region between threads: each share three arrays of whole units, 4 KiB aligned. */
static void give_share(struct gthread *t, char *base, size_t share)
{
	size_t unit = VMP_MEASURE_UNIT_DOUBLES * sizeof(double);

	t->share_bytes = share;
	t->elems = share / 3 / unit * VMP_MEASURE_UNIT_DOUBLES;
	t->a = (double *)base;
	t->b = t->a + t->elems;
	t->c = t->b + t->elems;
}

struct setup {
	const vmp_bench_options *o;
	bool antagonist;
	int *online;
	int nonline;
};

static void engine_free(struct engine *e)
{
	if (!e)
		return;
	for (int k = 0; k < e->nvms; k++) {
		for (int c = 0; c < e->vms[k].ncells; c++)
			region_free(&e->vms[k].cells[c]);
		free(e->vms[k].pairs);
	}
	for (int k = 0; k < e->nantagonists; k++)
		region_free(&e->antagonist_mem[k]);
	free(e->antagonist_mem);
	if (e->barriers) {
		pthread_barrier_destroy(&e->go);
		pthread_barrier_destroy(&e->done);
		pthread_cond_destroy(&e->cond);
		pthread_mutex_destroy(&e->lock);
	}
	free(e->vms);
	free(e->t);
	free(e);
}

/* The threads and memory of every placed VM (and the antagonist) under one variant. */
static int engine_build(struct engine *e, const struct setup *s)
{
	const vmp_plan *plan = e->plan;
	int nthreads = 0, naive_next = 0, k = 0, err;
	vmp_cpuset spare;

	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];

		if (vm->placed)
			nthreads += (int)vm->req.vcpus + 1 + vm->niothreads;
	}
	free_cpus(&spare, e->host, plan);
	if (s->antagonist) {
		e->nantagonists = vmp_cpuset_count(&spare);
		if (e->nantagonists > 16)
			e->nantagonists = 16;
		if (e->nantagonists == 0)
			e->nantagonists = 1;
		nthreads += e->nantagonists;
	}
	e->vms = calloc((size_t)plan->nvms, sizeof(*e->vms));
	e->t = calloc((size_t)nthreads, sizeof(*e->t));
	e->antagonist_mem = calloc((size_t)e->nantagonists + 1, sizeof(*e->antagonist_mem));
	if (!e->vms || !e->t || !e->antagonist_mem) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	e->nthreads = nthreads;
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		struct gvm *g = &e->vms[e->nvms];

		if (!vm->placed)
			continue;
		g->vm = vm;
		g->first = k;
		g->nvcpus = (int)vm->req.vcpus;
		for (int v = 0; v < g->nvcpus; v++, k++) {
			struct gthread *t = &e->t[k];

			t->e = e;
			t->kind = T_VCPU;
			t->vm = e->nvms;
			t->index = v;
			variant_cpus(e, t->vm, T_VCPU, v, &naive_next, s->online, s->nonline,
				     &t->pin, &t->cpus);
		}
		for (int x = -1; x < vm->niothreads; x++, k++) {
			struct gthread *t = &e->t[k];

			t->e = e;
			t->kind = x < 0 ? T_EMULATOR : T_IOTHREAD;
			t->vm = e->nvms;
			t->index = x < 0 ? 0 : x;
			variant_cpus(e, t->vm, t->kind, t->index, &naive_next, s->online,
				     s->nonline, &t->pin, &t->cpus);
		}
		e->nvms++;
		/* c2c pairs: vCPU v with v + n/2, across the VM's halves. */
		g->npairs = g->nvcpus / 2;
		if (g->npairs) {
			g->pairs = aligned_alloc(128, sizeof(*g->pairs) * (size_t)g->npairs);
			if (!g->pairs) {
				vmp_error_set("out of memory");
				return VMP_ENOMEM;
			}
			memset(g->pairs, 0, sizeof(*g->pairs) * (size_t)g->npairs);
			for (int p = 0; p < g->npairs; p++) {
				e->t[g->first + p].pp = &g->pairs[p];
				e->t[g->first + p].pp_role = 1;
				e->t[g->first + p + g->npairs].pp = &g->pairs[p];
				e->t[g->first + p + g->npairs].pp_role = 2;
			}
		}
		/* Memory per cell, shared out between the cell's vCPUs. */
		g->ncells = vm->ncells;
		for (int c = 0; c < vm->ncells; c++) {
			const vmp_plan_cell *cell = &vm->cells[c];
			int nv = 0, v, j = 0;
			uint64_t want = cell->memory_bytes < s->o->cell_bytes ? cell->memory_bytes
									      : s->o->cell_bytes;
			long long free_bytes = 0;
			size_t share;
			bool plan_variant = e->variant == VMP_BENCH_PLAN;

			/* Only the vCPUs the VM has get a share; no part is left to nobody. */
			VMP_CPUSET_FOREACH (v, &cell->vcpus)
				nv += v < g->nvcpus;
			if (nv == 0)
				continue;
			if (numa_available() >= 0 &&
			    numa_node_size64(cell->host_node, &free_bytes) >= 0 && free_bytes > 0 &&
			    want > (uint64_t)((double)free_bytes * 0.8)) {
				uint64_t fit = (uint64_t)((double)free_bytes * 0.8);

				add_note(e->notes, e->notes_len,
					 "vm '%s' cell %d: working set shrunk to %llu MiB (%llu "
					 "wanted) to fit node %d's free memory",
					 vm->req.name, c, (unsigned long long)(fit >> 20),
					 (unsigned long long)(want >> 20), cell->host_node);
				want = fit;
			}
			if (want < (uint64_t)nv * MIN_SHARE)
				want = (uint64_t)nv * MIN_SHARE;
			if ((err = region_alloc(
				 e, &g->cells[c], (size_t)want, plan_variant ? cell->host_node : -1,
				 plan_variant ? vm->req.hugepage_bytes : 0, vm->req.name, c)) < 0)
				return err;
			/*
			 * Shares of whole 4 KiB pages, the remainder to the last vCPU: every
			 * page is first touched by a vCPU, so none is left unfaulted for the
			 * placement check (without THP, a tail nobody touched has no node).
			 */
			share = g->cells[c].bytes / (size_t)nv / 4096 * 4096;
			VMP_CPUSET_FOREACH (v, &cell->vcpus) {
				size_t at = share * (size_t)j, mine;

				if (v >= g->nvcpus)
					continue;
				mine = ++j < nv ? share : g->cells[c].bytes - at;
				give_share(&e->t[g->first + v], g->cells[c].p + at, mine);
				g->cells[c].used = at + mine;
			}
		}
	}
	if (s->antagonist) {
		/* Past the caches: four times the largest L3, shared out, 48-256 MiB each. */
		size_t each = (size_t)(4 * largest_l3(e->host)) / (size_t)e->nantagonists;
		int cpu = -1;

		each = each < 48 * MIB ? 48 * MIB : each > 256 * MIB ? 256 * MIB : each;
		if (vmp_cpuset_empty(&spare))
			add_note(e->notes, e->notes_len,
				 "noisy: no CPU is free of VMs; the antagonist floats on all CPUs "
				 "and competes for CPU time as well as memory bandwidth");
		for (int a = 0; a < e->nantagonists; a++, k++) {
			struct gthread *t = &e->t[k];
			int node = -1;

			t->e = e;
			t->kind = T_ANTAGONIST;
			t->vm = -1;
			t->index = a;
			if (!vmp_cpuset_empty(&spare)) {
				cpu = vmp_cpuset_next(&spare, cpu);
				vmp_cpuset_set(&t->cpus, cpu);
				t->pin = true;
				int pu = vmp_host_pu_index(e->host, cpu);
				if (pu >= 0)
					node = e->host->nodes[e->host->pus[pu].node].id;
			}
			if ((err = region_alloc(e, &e->antagonist_mem[a], each, node, 0,
						"antagonist", a)) < 0)
				return err;
			give_share(t, e->antagonist_mem[a].p, e->antagonist_mem[a].bytes);
		}
	}
	return VMP_OK;
}

static int engine_start(struct engine *e)
{
	int started = 0, err = VMP_OK, x;

	pthread_barrier_init(&e->go, NULL, (unsigned)e->nthreads + 1);
	pthread_barrier_init(&e->done, NULL, (unsigned)e->nthreads + 1);
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	e->barriers = true;
	for (; started < e->nthreads; started++)
		if ((x = pthread_create(&e->t[started].tid, NULL, thread_main, &e->t[started]))) {
			vmp_error_set("cannot start a guest thread: %s", strerror(x));
			err = VMP_ESYS;
			break;
		}
	pthread_mutex_lock(&e->lock);
	e->state = err < 0 ? -1 : 1;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	if (err < 0) {
		for (int k = 0; k < started; k++)
			pthread_join(e->t[k].tid, NULL);
		e->nthreads = 0;
		return err;
	}
	engine_job(e, JOB_NONE, 0); /* every thread has tried its binding by now */
	for (int k = 0; k < e->nthreads; k++)
		if (e->t[k].err) {
			char buf[256];

			vmp_cpuset_format(buf, sizeof(buf), &e->t[k].cpus);
			vmp_error_set("cannot bind a guest thread to CPUs %s: %s", buf,
				      strerror(e->t[k].err));
			engine_job(e, JOB_QUIT, 0);
			e->nthreads = 0;
			return VMP_ESYS;
		}
	return VMP_OK;
}

/* ---- results ---- */

struct acc {
	vmp_bench_run *run;
	int cap;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int add_result(struct acc *acc, const char *vm, vmp_bench_workload w,
		      vmp_bench_variant variant, const double *samples, int reps)
{
	vmp_bench_run *run = acc->run;
	vmp_bench_result *r;
	double *sorted;

	if (run->nresults == acc->cap) {
		int cap = acc->cap ? 2 * acc->cap : 16;
		vmp_bench_result *grown = realloc(run->results, sizeof(*grown) * (size_t)cap);

		if (!grown)
			goto nomem;
		run->results = grown;
		acc->cap = cap;
	}
	r = &run->results[run->nresults];
	memset(r, 0, sizeof(*r));
	snprintf(r->vm, sizeof(r->vm), "%s", vm);
	r->workload = w;
	r->variant = variant;
	r->higher_is_better = vmp_bench_higher_is_better(w);
	r->reps = reps;
	r->samples = malloc(sizeof(double) * (size_t)reps);
	sorted = malloc(sizeof(double) * (size_t)reps);
	if (!r->samples || !sorted) {
		free(r->samples);
		free(sorted);
		goto nomem;
	}
	memcpy(r->samples, samples, sizeof(double) * (size_t)reps);
	memcpy(sorted, samples, sizeof(double) * (size_t)reps);
	qsort(sorted, (size_t)reps, sizeof(double), cmp_double);
	r->min = sorted[0];
	r->max = sorted[reps - 1];
	r->median = reps % 2 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
	free(sorted);
	run->nresults++;
	return VMP_OK;
nomem:
	vmp_error_set("out of memory");
	return VMP_ENOMEM;
}

static int add_check(vmp_bench_run *run, const char *vm, vmp_bench_check_kind kind, int index,
		     const vmp_cpuset *planned, const vmp_cpuset *observed)
{
	vmp_bench_check *grown = realloc(run->checks, sizeof(*grown) * (size_t)(run->nchecks + 1));
	vmp_bench_check *c;

	if (!grown) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	run->checks = grown;
	c = &run->checks[run->nchecks++];
	memset(c, 0, sizeof(*c));
	snprintf(c->vm, sizeof(c->vm), "%s", vm);
	c->kind = kind;
	c->index = index;
	c->planned = *planned;
	c->observed = *observed;
	c->ok = !vmp_cpuset_empty(observed) && vmp_cpuset_subset(observed, planned);
	return VMP_OK;
}

/* Where the plan variant's threads ran, and where its memory is. */
static int record_checks(struct engine *e, vmp_bench_run *run)
{
	int err;

	for (int k = 0; k < e->nthreads; k++) {
		struct gthread *t = &e->t[k];
		vmp_cpuset planned = t->pin ? t->cpus : e->host->online;
		vmp_bench_check_kind kind = t->kind == T_VCPU	    ? VMP_CHECK_VCPU
					    : t->kind == T_EMULATOR ? VMP_CHECK_EMULATOR
								    : VMP_CHECK_IOTHREAD;

		if (t->kind == T_ANTAGONIST)
			continue;
		if ((err = add_check(run, e->vms[t->vm].vm->req.name, kind, t->index, &planned,
				     &t->seen)) < 0)
			return err;
	}
	for (int i = 0; i < e->nvms; i++)
		for (int c = 0; c < e->vms[i].ncells; c++) {
			const struct region *r = &e->vms[i].cells[c];
			vmp_cpuset planned = {0}, observed = {0};
			int node = -1;

			if (!r->raw || r->used == 0)
				continue;
			vmp_cpuset_set(&planned, e->vms[i].vm->cells[c].host_node);
			/* Only what the vCPUs touched has pages to locate. */
			if ((err = vmp_measure_page_node(&node, r->p, r->used)) < 0)
				return err;
			if (node >= 0)
				vmp_cpuset_set(&observed, node);
			if ((err = add_check(run, e->vms[i].vm->req.name, VMP_CHECK_MEMORY, c,
					     &planned, &observed)) < 0)
				return err;
		}
	return VMP_OK;
}

static void progress(const vmp_bench_options *o, double fraction, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void progress(const vmp_bench_options *o, double fraction, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (!o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	o->progress(o->opaque, what, fraction);
}

/* One variant: build, touch, check, then every workload reps times. */
static int run_variant(struct acc *acc, const vmp_plan *plan, const vmp_host *host,
		       vmp_bench_variant variant, const struct setup *s, int *done, int total,
		       char **notes, size_t *notes_len)
{
	const vmp_bench_options *o = s->o;
	struct engine *e = calloc(1, sizeof(*e));
	double *samples = NULL;
	int err;
	vmp_measure_isa isa = VMP_ISA_AUTO;
	vmp_measure_read_fn rd;

	if (!e) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	e->host = host;
	e->plan = plan;
	e->variant = variant;
	e->notes = notes;
	e->notes_len = notes_len;
	if ((err = vmp_measure_kernels(&isa, &rd, &e->triad)) < 0)
		goto out;
	if ((err = engine_build(e, s)) < 0)
		goto out;
	if ((err = engine_start(e)) < 0)
		goto out;
	progress(o, (double)*done / total, "%s: touching guest memory",
		 vmp_bench_variant_name(variant));
	engine_job(e, JOB_TOUCH, 0);
	samples = calloc((size_t)e->nvms * (size_t)o->reps, sizeof(*samples));
	if (!samples) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto stop;
	}
	for (int w = 0; w < o->nworkloads; w++) {
		vmp_bench_workload wl = o->workloads[w];

		e->workload = wl;
		engine_job(e, JOB_PREPARE, 0);
		for (int r = 0; r < o->reps; r++) {
			progress(o, (double)(*done)++ / total, "%s: %s, repetition %d of %d",
				 vmp_bench_variant_name(variant), vmp_bench_workload_name(wl),
				 r + 1, o->reps);
			engine_job(e, JOB_RUN, o->seconds);
			for (int i = 0; i < e->nvms; i++) {
				struct gvm *g = &e->vms[i];
				double sum = 0;
				int n = 0;

				for (int v = 0; v < g->nvcpus; v++) {
					struct gthread *t = &e->t[g->first + v];

					if (t->has_value) {
						sum += t->value;
						n++;
					}
				}
				/* Stream: the VM's bandwidth; the others: the mean per vCPU. */
				samples[(size_t)i * (size_t)o->reps + (size_t)r] =
				    n == 0		     ? NAN
				    : wl == VMP_BENCH_STREAM ? sum
							     : sum / n;
			}
		}
		for (int i = 0; i < e->nvms; i++) {
			const double *v = samples + (size_t)i * (size_t)o->reps;

			if (isnan(v[0])) {
				add_note(notes, notes_len,
					 "vm '%s': no %s figure (c2c needs two vCPUs or more)",
					 e->vms[i].vm->req.name, vmp_bench_workload_name(wl));
				continue;
			}
			if ((err = add_result(acc, e->vms[i].vm->req.name, wl, variant, v,
					      o->reps)) < 0)
				goto stop;
		}
	}
	if (variant == VMP_BENCH_PLAN && (err = record_checks(e, acc->run)) < 0)
		goto stop;
	err = VMP_OK;
stop:
	engine_job(e, JOB_QUIT, 0);
out:
	free(samples);
	engine_free(e);
	return err;
}

static int check_plan(const vmp_plan *plan, const vmp_host *host, bool force)
{
	char fp[17];
	int placed = 0;

	vmp_host_fingerprint(fp, host);
	if (strcmp(fp, plan->host) && !force) {
		vmp_error_set("plan is for host '%s' (fingerprint %s), not this host '%s' "
			      "(fingerprint %s); bench it on that host",
			      plan->hostname, plan->host, host->hostname, fp);
		return VMP_EINVAL;
	}
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		vmp_cpuset all = vm->pcpus;
		char buf[256];

		if (!vm->placed)
			continue;
		placed++;
		if (vm->req.vcpus == 0 || vm->req.vcpus > VMP_MAX_VCPUS) {
			vmp_error_set("vm '%s' has %u vCPUs; nothing to bench", vm->req.name,
				      vm->req.vcpus);
			return VMP_EINVAL;
		}
		for (unsigned v = 0; v < vm->req.vcpus; v++)
			if (vm->vcpupin[v] >= 0)
				vmp_cpuset_set(&all, vm->vcpupin[v]);
		vmp_cpuset_or(&all, &all, &vm->emulatorpin);
		for (int t = 0; t < vm->niothreads; t++)
			vmp_cpuset_or(&all, &all, &vm->iothreadpin[t]);
		if (!vmp_cpuset_subset(&all, &host->online)) {
			vmp_cpuset_andnot(&all, &all, &host->online);
			vmp_cpuset_format(buf, sizeof(buf), &all);
			vmp_error_set("vm '%s' is pinned to CPUs %s, which this host does not have "
				      "online",
				      vm->req.name, buf);
			return VMP_EINVAL;
		}
		for (int c = 0; c < vm->ncells; c++)
			if (vmp_host_node_index(host, vm->cells[c].host_node) < 0 ||
			    vm->cells[c].host_node >= MAX_NODE_ID) {
				vmp_error_set(
				    "vm '%s' cell %d is bound to node %d, which this host "
				    "does not have",
				    vm->req.name, c, vm->cells[c].host_node);
				return VMP_EINVAL;
			}
	}
	if (placed == 0) {
		vmp_error_set("plan places no VM; nothing to bench");
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* The default workloads: those of every VM's profile, in order of first appearance. */
static void default_workloads(vmp_bench_options *o, const vmp_plan *plan)
{
	for (int i = 0; i < plan->nvms; i++) {
		vmp_bench_workload wl[VMP_BENCH_NWORKLOADS];
		int n;

		if (!plan->vms[i].placed)
			continue;
		n = vmp_bench_request_workloads(wl, &plan->vms[i].req);
		for (int k = 0; k < n; k++) {
			bool have = false;

			for (int j = 0; j < o->nworkloads; j++)
				have |= o->workloads[j] == wl[k];
			if (!have)
				o->workloads[o->nworkloads++] = wl[k];
		}
	}
}

/* Each VM's primary metric: the first workload of the list (or of its profile's) it has. */
static void mark_primary(vmp_bench_run *run, const vmp_plan *plan, const vmp_bench_options *o)
{
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		vmp_bench_workload wl[VMP_BENCH_NWORKLOADS];
		int n = 0, pick = -1;

		if (!vm->placed)
			continue;
		if (o) {
			n = o->nworkloads;
			memcpy(wl, o->workloads, sizeof(wl[0]) * (size_t)n);
		} else {
			n = vmp_bench_request_workloads(wl, &vm->req);
		}
		for (int k = 0; k < n && pick < 0; k++)
			if (vmp_bench_find(run, vm->req.name, wl[k], VMP_BENCH_PLAN))
				pick = (int)wl[k];
		for (int k = 0; k < run->nresults && pick < 0; k++)
			if (!strcmp(run->results[k].vm, vm->req.name))
				pick = (int)run->results[k].workload;
		for (int k = 0; k < run->nresults; k++)
			if (!strcmp(run->results[k].vm, vm->req.name) &&
			    (int)run->results[k].workload == pick)
				run->results[k].primary = true;
	}
}

void vmp_bench_run_free(vmp_bench_run *run)
{
	if (!run)
		return;
	for (int k = 0; k < run->nresults; k++)
		free(run->results[k].samples);
	free(run->results);
	free(run->checks);
	free(run->notes);
	free(run);
}

int vmp_bench_run_plan(vmp_bench_run **out, const vmp_plan *plan, const vmp_host *host,
		       const vmp_bench_options *opts)
{
	vmp_bench_options o = {0};
	struct setup s = {0};
	struct acc acc = {0};
	vmp_bench_run *run = NULL;
	char *notes = NULL;
	size_t notes_len = 0;
	double start = now_s();
	int err, done = 0, total, nvariants = 0;
	bool user_list;
	time_t now = time(NULL);
	struct tm tm;

	*out = NULL;
	if (opts)
		o = *opts;
	if (o.reps == 0)
		o.reps = VMP_BENCH_DEFAULT_REPS;
	if (o.seconds == 0)
		o.seconds = VMP_BENCH_DEFAULT_SECONDS;
	if (o.cell_bytes == 0)
		o.cell_bytes = VMP_BENCH_DEFAULT_CELL_BYTES;
	if (o.baselines == 0)
		o.baselines = VMP_BENCH_BASE_UNPINNED | VMP_BENCH_BASE_NAIVE;
	if (o.reps < 1 || o.reps > 1000) {
		vmp_error_set("cannot bench with %d repetitions: use 1 to 1000", o.reps);
		return VMP_EINVAL;
	}
	if (!(o.seconds > 0 && o.seconds <= 3600)) {
		vmp_error_set("cannot bench for %g seconds a repetition: use more than 0, up to "
			      "3600",
			      o.seconds);
		return VMP_EINVAL;
	}
	if (o.baselines & ~(VMP_BENCH_BASE_UNPINNED | VMP_BENCH_BASE_NAIVE)) {
		vmp_error_set("cannot bench against baselines 0x%x: unknown bits", o.baselines);
		return VMP_EINVAL;
	}
	if (o.nworkloads < 0 || o.nworkloads > VMP_BENCH_NWORKLOADS) {
		vmp_error_set("cannot bench %d workloads", o.nworkloads);
		return VMP_EINVAL;
	}
	if (host->source != VMP_SOURCE_LIVE) {
		vmp_error_set("cannot bench on host '%s': the bench needs the live host",
			      host->hostname);
		return VMP_EINVAL;
	}
	if ((err = check_plan(plan, host, o.force)) < 0)
		return err;
	user_list = o.nworkloads > 0;
	if (!user_list)
		default_workloads(&o, plan);

	if (!(run = calloc(1, sizeof(*run)))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	acc.run = run;
	gmtime_r(&now, &tm);
	strftime(run->started_at, sizeof(run->started_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	vmp_host_fingerprint(run->host, host);
	snprintf(run->hostname, sizeof(run->hostname), "%s", host->hostname);
	snprintf(run->version, sizeof(run->version), "%s", VMPLAN_VERSION);
	vmp_bench_plan_hash(run->plan_hash, plan);
	for (int w = 0; w < o.nworkloads; w++) {
		size_t len = strlen(run->workloads);

		snprintf(run->workloads + len, sizeof(run->workloads) - len, "%s%s", w ? "," : "",
			 vmp_bench_workload_name(o.workloads[w]));
	}
	run->reps = o.reps;
	run->seconds = o.seconds;
	run->variants = 1u << VMP_BENCH_PLAN | o.baselines;
	if (strcmp(run->host, plan->host))
		add_note(&notes, &notes_len,
			 "forced: the plan is for host %s, this host is %s; pins and nodes were "
			 "checked to exist",
			 plan->host, run->host);

	s.o = &o;
	for (int w = 0; w < o.nworkloads; w++)
		s.antagonist |= o.workloads[w] == VMP_BENCH_NOISY;
	s.online = malloc(sizeof(int) * (size_t)(vmp_cpuset_count(&host->online) + 1));
	if (!s.online) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	{
		int cpu;

		VMP_CPUSET_FOREACH (cpu, &host->online)
			s.online[s.nonline++] = cpu;
	}
	if (s.nonline == 0) {
		vmp_error_set("cannot bench on host '%s': no CPU is online", host->hostname);
		err = VMP_EINVAL;
		goto out;
	}
	for (int v = 0; v < VMP_BENCH_NVARIANTS; v++)
		nvariants += !!(run->variants & (1u << v));
	total = nvariants * o.nworkloads * o.reps;
	for (int v = 0; v < VMP_BENCH_NVARIANTS; v++)
		if ((run->variants & (1u << v)) &&
		    (err = run_variant(&acc, plan, host, (vmp_bench_variant)v, &s, &done, total,
				       &notes, &notes_len)) < 0)
			goto out;
	mark_primary(run, plan, user_list ? &o : NULL);
	progress(&o, 1.0, "done");
	run->notes = notes ? notes : strdup("");
	notes = NULL;
	if (!run->notes) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	run->wall_s = now_s() - start;
	*out = run;
	run = NULL;
	err = VMP_OK;
out:
	free(s.online);
	free(notes);
	vmp_bench_run_free(run);
	return err;
}
