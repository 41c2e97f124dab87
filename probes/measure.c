/* Measure memory bandwidth and latency per node pair and core-to-core latency on the live host. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <hwloc.h>
#include <numa.h>
#include <numaif.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define VMP_X86 1
#endif

#include "vmplan/error.h"
#include "vmplan/measure.h"
#include "vmplan/probe.h"

#define MIB		((size_t)1 << 20)
#define HUGE_BYTES	(2 * MIB)  /* the hugepage size asked for with MADV_HUGEPAGE */
#define UNIT_DOUBLES	64	   /* every kernel works in whole units of 512 bytes */
#define MIN_ARRAY_BYTES (16 * MIB) /* below this a pair is skipped rather than measured */
#define LATENCY_TRIALS	5	   /* undisturbed trials the latency is the minimum of */
#define SAMPLE_PAGES	64
#define CHASE_SEED	UINT64_C(0x766d706c616e) /* "vmplan": the same chase on every run */
#define PP_QUIT		UINT64_MAX		 /* tells a ping-pong responder to give up */

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

static const struct level_params quick_params = {64 * MIB, 3, 10, (size_t)1 << 17, 5, 2000};
static const struct level_params full_params = {256 * MIB, 1, 20, (size_t)1 << 19, 11, 20000};

typedef double (*read_fn)(const double *p, size_t n);
typedef void (*triad_fn)(double *a, const double *b, const double *c, double s, size_t n);

static size_t round_huge(size_t bytes)
{
	return (bytes + HUGE_BYTES - 1) / HUGE_BYTES * HUGE_BYTES;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * The kernels. n is a multiple of UNIT_DOUBLES and the arrays are aligned
 * to 2 MiB. The read kernels keep eight independent sums so that the adds
 * never wait on each other; the loads are what is measured.
 */
static double read_generic(const double *p, size_t n)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;

	for (size_t i = 0; i < n; i += 4) {
		s0 += p[i];
		s1 += p[i + 1];
		s2 += p[i + 2];
		s3 += p[i + 3];
	}
	return s0 + s1 + s2 + s3;
}

static void triad_generic(double *a, const double *b, const double *c, double s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] = b[i] + s * c[i];
}

#ifdef VMP_X86
static double read_sse2(const double *p, size_t n)
{
	__m128d s0 = _mm_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0,
		s7 = s0;
	double out[2];

	for (size_t i = 0; i < n; i += 16) {
		s0 = _mm_add_pd(s0, _mm_load_pd(p + i));
		s1 = _mm_add_pd(s1, _mm_load_pd(p + i + 2));
		s2 = _mm_add_pd(s2, _mm_load_pd(p + i + 4));
		s3 = _mm_add_pd(s3, _mm_load_pd(p + i + 6));
		s4 = _mm_add_pd(s4, _mm_load_pd(p + i + 8));
		s5 = _mm_add_pd(s5, _mm_load_pd(p + i + 10));
		s6 = _mm_add_pd(s6, _mm_load_pd(p + i + 12));
		s7 = _mm_add_pd(s7, _mm_load_pd(p + i + 14));
	}
	s0 = _mm_add_pd(_mm_add_pd(_mm_add_pd(s0, s1), _mm_add_pd(s2, s3)),
			_mm_add_pd(_mm_add_pd(s4, s5), _mm_add_pd(s6, s7)));
	_mm_storeu_pd(out, s0);
	return out[0] + out[1];
}

static void triad_sse2(double *a, const double *b, const double *c, double s, size_t n)
{
	__m128d vs = _mm_set1_pd(s);

	for (size_t i = 0; i < n; i += 8) {
		_mm_stream_pd(a + i,
			      _mm_add_pd(_mm_load_pd(b + i), _mm_mul_pd(vs, _mm_load_pd(c + i))));
		_mm_stream_pd(a + i + 2, _mm_add_pd(_mm_load_pd(b + i + 2),
						    _mm_mul_pd(vs, _mm_load_pd(c + i + 2))));
		_mm_stream_pd(a + i + 4, _mm_add_pd(_mm_load_pd(b + i + 4),
						    _mm_mul_pd(vs, _mm_load_pd(c + i + 4))));
		_mm_stream_pd(a + i + 6, _mm_add_pd(_mm_load_pd(b + i + 6),
						    _mm_mul_pd(vs, _mm_load_pd(c + i + 6))));
	}
	/* Non-temporal stores are weakly ordered: drain them before the clock stops. */
	_mm_sfence();
}

__attribute__((target("avx"))) static double read_avx(const double *p, size_t n)
{
	__m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0,
		s7 = s0;
	double out[4];

	for (size_t i = 0; i < n; i += 32) {
		s0 = _mm256_add_pd(s0, _mm256_load_pd(p + i));
		s1 = _mm256_add_pd(s1, _mm256_load_pd(p + i + 4));
		s2 = _mm256_add_pd(s2, _mm256_load_pd(p + i + 8));
		s3 = _mm256_add_pd(s3, _mm256_load_pd(p + i + 12));
		s4 = _mm256_add_pd(s4, _mm256_load_pd(p + i + 16));
		s5 = _mm256_add_pd(s5, _mm256_load_pd(p + i + 20));
		s6 = _mm256_add_pd(s6, _mm256_load_pd(p + i + 24));
		s7 = _mm256_add_pd(s7, _mm256_load_pd(p + i + 28));
	}
	s0 = _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)),
			   _mm256_add_pd(_mm256_add_pd(s4, s5), _mm256_add_pd(s6, s7)));
	_mm256_storeu_pd(out, s0);
	return out[0] + out[1] + out[2] + out[3];
}

__attribute__((target("avx"))) static void triad_avx(double *a, const double *b, const double *c,
						     double s, size_t n)
{
	__m256d vs = _mm256_set1_pd(s);

	for (size_t i = 0; i < n; i += 16) {
		_mm256_stream_pd(a + i, _mm256_add_pd(_mm256_load_pd(b + i),
						      _mm256_mul_pd(vs, _mm256_load_pd(c + i))));
		_mm256_stream_pd(a + i + 4,
				 _mm256_add_pd(_mm256_load_pd(b + i + 4),
					       _mm256_mul_pd(vs, _mm256_load_pd(c + i + 4))));
		_mm256_stream_pd(a + i + 8,
				 _mm256_add_pd(_mm256_load_pd(b + i + 8),
					       _mm256_mul_pd(vs, _mm256_load_pd(c + i + 8))));
		_mm256_stream_pd(a + i + 12,
				 _mm256_add_pd(_mm256_load_pd(b + i + 12),
					       _mm256_mul_pd(vs, _mm256_load_pd(c + i + 12))));
	}
	_mm_sfence();
}

__attribute__((target("avx512f"))) static double read_avx512(const double *p, size_t n)
{
	__m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0,
		s7 = s0;

	for (size_t i = 0; i < n; i += 64) {
		s0 = _mm512_add_pd(s0, _mm512_load_pd(p + i));
		s1 = _mm512_add_pd(s1, _mm512_load_pd(p + i + 8));
		s2 = _mm512_add_pd(s2, _mm512_load_pd(p + i + 16));
		s3 = _mm512_add_pd(s3, _mm512_load_pd(p + i + 24));
		s4 = _mm512_add_pd(s4, _mm512_load_pd(p + i + 32));
		s5 = _mm512_add_pd(s5, _mm512_load_pd(p + i + 40));
		s6 = _mm512_add_pd(s6, _mm512_load_pd(p + i + 48));
		s7 = _mm512_add_pd(s7, _mm512_load_pd(p + i + 56));
	}
	s0 = _mm512_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)),
			   _mm512_add_pd(_mm512_add_pd(s4, s5), _mm512_add_pd(s6, s7)));
	return _mm512_reduce_add_pd(s0);
}

__attribute__((target("avx512f"))) static void triad_avx512(double *a, const double *b,
							    const double *c, double s, size_t n)
{
	__m512d vs = _mm512_set1_pd(s);

	for (size_t i = 0; i < n; i += 32) {
		_mm512_stream_pd(a + i, _mm512_add_pd(_mm512_load_pd(b + i),
						      _mm512_mul_pd(vs, _mm512_load_pd(c + i))));
		_mm512_stream_pd(a + i + 8,
				 _mm512_add_pd(_mm512_load_pd(b + i + 8),
					       _mm512_mul_pd(vs, _mm512_load_pd(c + i + 8))));
		_mm512_stream_pd(a + i + 16,
				 _mm512_add_pd(_mm512_load_pd(b + i + 16),
					       _mm512_mul_pd(vs, _mm512_load_pd(c + i + 16))));
		_mm512_stream_pd(a + i + 24,
				 _mm512_add_pd(_mm512_load_pd(b + i + 24),
					       _mm512_mul_pd(vs, _mm512_load_pd(c + i + 24))));
	}
	_mm_sfence();
}
#endif

const char *vmp_measure_isa_name(vmp_measure_isa isa)
{
	switch (isa) {
	case VMP_ISA_AUTO:
		return "auto";
	case VMP_ISA_SSE2:
		return "sse2";
	case VMP_ISA_AVX:
		return "avx";
	case VMP_ISA_AVX512:
		return "avx512";
	case VMP_ISA_GENERIC:
		return "generic";
	}
	return "unknown";
}

static bool isa_supported(vmp_measure_isa isa)
{
#ifdef VMP_X86
	__builtin_cpu_init();
	switch (isa) {
	case VMP_ISA_AVX512:
		return __builtin_cpu_supports("avx512f");
	case VMP_ISA_AVX:
		return __builtin_cpu_supports("avx");
	case VMP_ISA_SSE2:
		return __builtin_cpu_supports("sse2");
	default:
		return isa == VMP_ISA_GENERIC;
	}
#else
	return isa == VMP_ISA_GENERIC;
#endif
}

static int pick_kernels(vmp_measure_isa *isa, read_fn *rd, triad_fn *tr)
{
	if (*isa == VMP_ISA_AUTO) {
		static const vmp_measure_isa order[] = {VMP_ISA_AVX512, VMP_ISA_AVX, VMP_ISA_SSE2};

		*isa = VMP_ISA_GENERIC;
		for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
			if (isa_supported(order[k])) {
				*isa = order[k];
				break;
			}
	} else if (!isa_supported(*isa)) {
		vmp_error_set("cannot measure with '%s' kernels: this CPU does not have them",
			      vmp_measure_isa_name(*isa));
		return VMP_EINVAL;
	}
	*rd = read_generic;
	*tr = triad_generic;
#ifdef VMP_X86
	switch (*isa) {
	case VMP_ISA_AVX512:
		*rd = read_avx512;
		*tr = triad_avx512;
		break;
	case VMP_ISA_AVX:
		*rd = read_avx;
		*tr = triad_avx;
		break;
	case VMP_ISA_SSE2:
		*rd = read_sse2;
		*tr = triad_sse2;
		break;
	default:
		break;
	}
#endif
	return VMP_OK;
}

int vmp_measure_kernels(vmp_measure_isa *isa, vmp_measure_read_fn *read,
			vmp_measure_triad_fn *triad)
{
	return pick_kernels(isa, read, triad);
}

/* Follow the chase for steps loads, each waiting on the one before. */
__attribute__((noinline)) static void *chase(void *start, size_t steps)
{
	void **p = start;

	for (size_t k = 0; k < steps; k += 8) {
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
	}
	return p;
}

void *vmp_measure_chase(void *start, size_t steps)
{
	return chase(start, steps);
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A number in [0, n); the bias of the multiply-shift is below 2^-32 for the sizes used here. */
static size_t below(uint64_t *state, size_t n)
{
#ifdef __SIZEOF_INT128__
	return (size_t)(((unsigned __int128)splitmix64(state) * n) >> 64);
#else
	return (size_t)(splitmix64(state) % n);
#endif
}

void vmp_measure_chase_init(void *buf, size_t nlines, uint64_t seed)
{
	char *base = buf;
	uint64_t state = seed;

	if (nlines == 0)
		return;
	for (size_t i = 0; i < nlines; i++)
		*(void **)(base + i * VMP_MEASURE_LINE_BYTES) = base + i * VMP_MEASURE_LINE_BYTES;
	/* Sattolo: j < i strictly, so the permutation is one cycle, not any permutation. */
	for (size_t i = nlines - 1; i > 0; i--) {
		void **x = (void **)(base + i * VMP_MEASURE_LINE_BYTES);
		void **y = (void **)(base + below(&state, i) * VMP_MEASURE_LINE_BYTES);
		void *t = *x;

		*x = *y;
		*y = t;
	}
}

int vmp_measure_page_node(int *out, const void *p, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), first, npages;
	void *pages[SAMPLE_PAGES];
	int status[SAMPLE_PAGES];
	size_t n;

	*out = -1;
	if (!p || len == 0) {
		vmp_error_set("cannot find the node of an empty memory range");
		return VMP_EINVAL;
	}
	first = (uintptr_t)p & ~(page - 1);
	npages = ((((uintptr_t)p + len - 1) & ~(page - 1)) - first) / page + 1;
	n = npages < SAMPLE_PAGES ? npages : SAMPLE_PAGES;
	for (size_t k = 0; k < n; k++) {
		uintptr_t idx = n > 1 ? (uintptr_t)((npages - 1) * (uint64_t)k / (n - 1)) : 0;

		pages[k] = (void *)(first + idx * page);
	}
	if (move_pages(0, n, pages, NULL, status, 0) < 0) {
		vmp_error_set("cannot find the node of memory at %p: move_pages: %s", p,
			      strerror(errno));
		return VMP_ESYS;
	}
	for (size_t k = 0; k < n; k++) {
		if (status[k] == -ENOENT) {
			vmp_error_set(
			    "cannot find the node of memory at %p: page %p was never touched", p,
			    pages[k]);
			return VMP_EINVAL;
		}
		if (status[k] < 0) {
			vmp_error_set("cannot find the node of memory at %p: move_pages: %s", p,
				      strerror(-status[k]));
			return VMP_ESYS;
		}
		if (k > 0 && status[k] != status[0])
			return VMP_OK; /* *out stays -1: spread */
	}
	*out = status[0];
	return VMP_OK;
}

int vmp_measure_check_placement(const void *p, size_t len, int node)
{
	int found, err;

	if ((err = vmp_measure_page_node(&found, p, len)) < 0)
		return err;
	if (found == node)
		return VMP_OK;
	if (found < 0)
		vmp_error_set("memory bound to node %d is spread over several nodes", node);
	else
		vmp_error_set("memory bound to node %d is on node %d", node, found);
	return VMP_ESYS;
}

/* The share of [p, p + len) that the kernel maps with transparent hugepages, from smaps. */
static double hugepage_fraction(const void *p, size_t len)
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

/* Bind the calling thread to one PU; 0 or an errno. */
static int bind_self(hwloc_topology_t topo, int cpu)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int e = 0;

	if (!set)
		return ENOMEM;
	hwloc_bitmap_only(set, (unsigned)cpu);
	if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD) < 0)
		e = errno ? errno : EINVAL;
	hwloc_bitmap_free(set);
	return e;
}

enum job { JOB_NONE, JOB_TOUCH, JOB_READ, JOB_TRIAD, JOB_BUILD, JOB_CHASE, JOB_QUIT };

struct team;

struct worker {
	struct team *team;
	int index;
	int cpu; /* OS index of its PU */
	pthread_t tid;
	double t0, t1; /* when its part of the last job began and ended */
	double sink;   /* keeps the read sums alive */
	int err;       /* errno of a failed binding */
};

/*
 * Threads pinned to the PUs of one node. The main thread hands out one job
 * at a time: every worker does its share between the "go" and the "done"
 * barriers and times it itself.
 */
struct team {
	hwloc_topology_t topo;
	int n;
	struct worker *w;
	pthread_barrier_t go, done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state; /* 0 starting, 1 running, -1 abandoned before the barriers */
	enum job job;
	double *a, *b, *c;
	size_t elems;
	read_fn read;
	triad_fn triad;
	size_t chase_lines; /* lines of a in the chase */
	void *chase_at;	    /* where the chase goes on from */
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

static void run_share(struct team *t, struct worker *w)
{
	size_t units = t->elems / UNIT_DOUBLES;
	size_t lo = units * (size_t)w->index / (size_t)t->n * UNIT_DOUBLES;
	size_t hi = units * (size_t)(w->index + 1) / (size_t)t->n * UNIT_DOUBLES;

	w->t0 = w->t1 = 0;
	switch (t->job) {
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
		lo = 3 * units * (size_t)w->index / (size_t)t->n * UNIT_DOUBLES;
		hi = 3 * units * (size_t)(w->index + 1) / (size_t)t->n * UNIT_DOUBLES;
		w->t0 = now_s();
		w->sink += t->read(t->a + lo, hi - lo);
		w->t1 = now_s();
		break;
	case JOB_TRIAD:
		w->t0 = now_s();
		t->triad(t->a + lo, t->b + lo, t->c + lo, 3.0, hi - lo);
		w->t1 = now_s();
		break;
	case JOB_BUILD:
		if (w->index == 0) {
			vmp_measure_chase_init(t->a, t->chase_lines, CHASE_SEED);
			t->chase_at = t->a;
		}
		break;
	case JOB_CHASE:
		if (w->index == 0) {
			long switches = involuntary_switches();

			w->t0 = now_s();
			t->chase_at = chase(t->chase_at, t->chase_steps);
			w->t1 = now_s();
			t->chase_disturbed = involuntary_switches() != switches;
		}
		break;
	default:
		break;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct team *t = w->team;
	int state;

	w->err = bind_self(t->topo, w->cpu);
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
		run_share(t, w);
		pthread_barrier_wait(&t->done);
	}
	return NULL;
}

/* Run one job on every worker; the seconds from the first start to the last end. */
static double team_run(struct team *t, enum job job)
{
	double t0 = INFINITY, t1 = -INFINITY;

	t->job = job;
	pthread_barrier_wait(&t->go);
	if (job == JOB_QUIT) {
		for (int k = 0; k < t->n; k++)
			pthread_join(t->w[k].tid, NULL);
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

static void team_free(struct team *t)
{
	if (!t)
		return;
	pthread_barrier_destroy(&t->go);
	pthread_barrier_destroy(&t->done);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t->w);
	free(t);
}

static void team_stop(struct team *t)
{
	if (!t)
		return;
	team_run(t, JOB_QUIT);
	team_free(t);
}

/* Start one pinned worker per cpus[k]; on failure nothing is left running. */
static int team_start(struct team **out, hwloc_topology_t topo, const int *cpus, int n)
{
	struct team *t = calloc(1, sizeof(*t));
	int started = 0, err = VMP_OK, e;

	*out = NULL;
	if (!t || !(t->w = calloc((size_t)n, sizeof(*t->w)))) {
		free(t);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	t->topo = topo;
	t->n = n;
	pthread_barrier_init(&t->go, NULL, (unsigned)n + 1);
	pthread_barrier_init(&t->done, NULL, (unsigned)n + 1);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	for (; started < n; started++) {
		t->w[started].team = t;
		t->w[started].index = started;
		t->w[started].cpu = cpus[started];
		if ((e = pthread_create(&t->w[started].tid, NULL, worker_main, &t->w[started]))) {
			vmp_error_set("cannot start a measuring thread: %s", strerror(e));
			err = VMP_ESYS;
			break;
		}
	}
	pthread_mutex_lock(&t->lock);
	t->state = err < 0 ? -1 : 1;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (err < 0) {
		for (int k = 0; k < started; k++)
			pthread_join(t->w[k].tid, NULL);
		team_free(t);
		return err;
	}
	team_run(t, JOB_NONE); /* every worker has tried its binding by now */
	for (int k = 0; k < n; k++)
		if (t->w[k].err) {
			vmp_error_set("cannot bind a measuring thread to CPU %d: %s", t->w[k].cpu,
				      strerror(t->w[k].err));
			team_stop(t);
			return VMP_ESYS;
		}
	*out = t;
	return VMP_OK;
}

/* Two threads bouncing one cache line: the line alone in its 128 bytes (adjacent-line prefetch). */
struct pingpong {
	_Alignas(128) _Atomic uint64_t flag;
	_Alignas(128) _Atomic int ready; /* 0 starting, 1 the responder is bound, -1 it is not */
	hwloc_topology_t topo;
	int cpu[2];
	int err[2];
	int trials, iters;
	double best_ns;
};

static void *pp_responder(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t total = (uint64_t)pp->trials * (uint64_t)pp->iters;

	if ((pp->err[1] = bind_self(pp->topo, pp->cpu[1]))) {
		atomic_store(&pp->ready, -1);
		return NULL;
	}
	atomic_store(&pp->ready, 1);
	for (uint64_t k = 0; k < total; k++) {
		uint64_t want = 2 * k + 1, v;

		while ((v = atomic_load_explicit(&pp->flag, memory_order_acquire)) != want)
			if (v == PP_QUIT)
				return NULL;
		atomic_store_explicit(&pp->flag, want + 1, memory_order_release);
	}
	return NULL;
}

static void *pp_initiator(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t k = 0;
	int ready;

	if ((pp->err[0] = bind_self(pp->topo, pp->cpu[0]))) {
		atomic_store(&pp->flag, PP_QUIT);
		return NULL;
	}
	while ((ready = atomic_load(&pp->ready)) == 0)
		;
	if (ready < 0)
		return NULL;
	pp->best_ns = INFINITY;
	for (int trial = 0; trial < pp->trials; trial++) {
		double t0 = now_s(), ns;

		for (int it = 0; it < pp->iters; it++, k++) {
			atomic_store_explicit(&pp->flag, 2 * k + 1, memory_order_release);
			while (atomic_load_explicit(&pp->flag, memory_order_acquire) != 2 * k + 2)
				;
		}
		/* One way is half a round trip. */
		ns = (now_s() - t0) * 1e9 / pp->iters / 2;
		pp->best_ns = fmin(pp->best_ns, ns);
	}
	return NULL;
}

/* Core-to-core latency of two PUs (OS indexes): the best trial's round trip / 2. */
static int pingpong(double *out, hwloc_topology_t topo, int cpu_a, int cpu_b, int trials, int iters)
{
	struct pingpong *pp = aligned_alloc(128, sizeof(*pp));
	pthread_t ta, tb;
	int e, err = VMP_OK;

	*out = NAN;
	if (!pp) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	memset(pp, 0, sizeof(*pp));
	atomic_init(&pp->flag, 0);
	atomic_init(&pp->ready, 0);
	pp->topo = topo;
	pp->cpu[0] = cpu_a;
	pp->cpu[1] = cpu_b;
	pp->trials = trials;
	pp->iters = iters;
	if ((e = pthread_create(&tb, NULL, pp_responder, pp))) {
		vmp_error_set("cannot start a measuring thread: %s", strerror(e));
		err = VMP_ESYS;
		goto out;
	}
	if ((e = pthread_create(&ta, NULL, pp_initiator, pp))) {
		atomic_store(&pp->flag, PP_QUIT);
		pthread_join(tb, NULL);
		vmp_error_set("cannot start a measuring thread: %s", strerror(e));
		err = VMP_ESYS;
		goto out;
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	for (int k = 0; k < 2; k++)
		if (pp->err[k]) {
			vmp_error_set("cannot bind a measuring thread to CPU %d: %s", pp->cpu[k],
				      strerror(pp->err[k]));
			err = VMP_ESYS;
			goto out;
		}
	*out = pp->best_ns;
out:
	free(pp);
	return err;
}

/* One measurement in progress. */
struct run {
	vmp_host *host;
	hwloc_topology_t topo;
	bool numa;
	unsigned parts;
	vmp_measure_threads threads;
	struct level_params lp;
	size_t array_bytes; /* each of a, b, c */
	size_t chase_bytes;
	read_fn read;
	triad_fn triad;
	vmp_measure_report *rep;
	double *c2c;
	vmp_progress_fn progress;
	void *opaque;
	double done, total; /* units of work, for the progress fraction */
	char *notes;
	size_t notes_len;
};

static void tell(struct run *r, const char *what)
{
	if (r->progress)
		r->progress(r->opaque, what, r->total > 0 ? fmin(1.0, r->done / r->total) : 0);
}

static void step(struct run *r, double units, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void step(struct run *r, double units, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	r->done += units;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tell(r, what);
}

static void note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct run *r, const char *fmt, ...)
{
	char text[512], what[520];
	size_t len;
	char *grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(what, sizeof(what), "note: %s", text);
	tell(r, what);
	len = strlen(text);
	grown = realloc(r->notes, r->notes_len + len + 2);
	if (!grown)
		return; /* a lost note is not worth failing the measurement */
	memcpy(grown + r->notes_len, text, len);
	grown[r->notes_len + len] = '\n';
	grown[r->notes_len + len + 1] = '\0';
	r->notes = grown;
	r->notes_len += len + 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * The sum of the last-level caches: every cache of the topmost level the
 * topology has (L3 on most servers, L2 on some small CPUs).
 */
static uint64_t llc_bytes(hwloc_topology_t topo)
{
	static const hwloc_obj_type_t levels[] = {HWLOC_OBJ_L5CACHE, HWLOC_OBJ_L4CACHE,
						  HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L2CACHE,
						  HWLOC_OBJ_L1CACHE};

	for (size_t k = 0; k < sizeof(levels) / sizeof(levels[0]); k++) {
		hwloc_obj_t obj = NULL;
		uint64_t sum = 0;

		while ((obj = hwloc_get_next_obj_by_type(topo, levels[k], obj)))
			sum += obj->attr->cache.size;
		if (sum)
			return sum;
	}
	return 0;
}

/* The OS indexes of the PUs that run the bandwidth threads of node index i. */
static int node_threads(const struct run *r, int i, int *cpus)
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

static bool node_has_memory(const struct run *r, int j)
{
	const vmp_node *node = &r->host->nodes[j];

	if (node->memory_bytes == 0)
		return false;
	return !r->numa || numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)node->id);
}

/*
 * Bytes of each array on node j: the chosen size, unless the arrays would
 * not fit in 90% of the node's free memory (the first touch of memory bound
 * to a full node ends with the OOM killer, not an error). 0: skip the pair.
 */
static size_t fit_array(struct run *r, int j, int narrays)
{
	long long free_bytes = 0;
	size_t room, bytes = r->array_bytes;
	int id = r->host->nodes[j].id;

	if (!r->numa || numa_node_size64(id, &free_bytes) < 0 || free_bytes <= 0)
		return bytes;
	room = (size_t)((double)free_bytes * 0.9);
	room = room > 64 * MIB ? room - 64 * MIB : 0;
	if ((size_t)narrays * bytes <= room)
		return bytes;
	bytes = room / (size_t)narrays / HUGE_BYTES * HUGE_BYTES;
	if (bytes < MIN_ARRAY_BYTES) {
		note(r, "node %d has %lld MiB free, too little to measure it", id,
		     free_bytes / (long long)MIB);
		return 0;
	}
	note(r, "arrays on node %d shrunk to %zu MiB (%zu wanted) for lack of free memory", id,
	     bytes / MIB, r->array_bytes / MIB);
	return bytes;
}

static void keep_best_and_median(double *best, double *med, double *v, int reps)
{
	/* The first repetition warms TLBs and clocks: dropped, as STREAM does. */
	*best = v[1];
	for (int k = 2; k < reps; k++)
		*best = fmax(*best, v[k]);
	*med = median(v + 1, reps - 1);
}

/*
 * Latency: the minimum over trials that ran undisturbed (no involuntary
 * context switch of the chasing thread); on a busy machine, the minimum of
 * all when fewer than LATENCY_TRIALS were.
 */
static double chase_latency(struct run *r, struct team *t, int id_i, int id_j)
{
	double best = INFINITY, best_any = INFINITY;
	int clean = 0;

	t->chase_steps = r->lp.chase_steps / 4;
	team_run(t, JOB_CHASE); /* page tables and TLB warm, as in a long idle run */
	t->chase_steps = r->lp.chase_steps;
	for (int k = 0; k < 4 * LATENCY_TRIALS && clean < LATENCY_TRIALS; k++) {
		double ns = team_run(t, JOB_CHASE) * 1e9 / (double)t->chase_steps;

		best_any = fmin(best_any, ns);
		if (!t->chase_disturbed) {
			best = fmin(best, ns);
			clean++;
			step(r, 1, "latency, thread on node %d, memory on node %d", id_i, id_j);
		}
	}
	step(r, LATENCY_TRIALS - clean, "latency, thread on node %d, memory on node %d", id_i,
	     id_j);
	if (clean < LATENCY_TRIALS) {
		note(r,
		     "latency of node %d to node %d: only %d of %d trials ran without being "
		     "preempted; the machine is busy",
		     id_i, id_j, clean, 4 * LATENCY_TRIALS);
		if (clean == 0)
			best = best_any;
	}
	return best;
}

/*
 * Bandwidth and latency of threads on node index i with memory on node
 * index j. One allocation holds the three arrays a, b, c back to back; the
 * read kernel streams over all of it, the chase runs over its first
 * chase_bytes.
 */
static int measure_pair(struct run *r, struct team *t, int i, int j)
{
	const vmp_host *h = r->host;
	int id_i = h->nodes[i].id, id_j = h->nodes[j].id, nn = h->nnodes;
	bool bw = r->parts & VMP_MEASURE_BANDWIDTH, lat = r->parts & VMP_MEASURE_LATENCY;
	struct numbuf mem = {0};
	int reps = r->lp.repetitions, err;
	double *rd = NULL, *tr = NULL;
	size_t bytes = bw ? fit_array(r, j, 3) : 0, total, chase_bytes;
	double pair_units = (bw ? 2.0 * reps : 0) + (lat ? LATENCY_TRIALS : 0);

	if (!bw) {
		size_t saved = r->array_bytes;

		r->array_bytes = r->chase_bytes;
		bytes = fit_array(r, j, 1);
		r->array_bytes = saved;
	}
	if (bytes == 0) {
		step(r, pair_units, "skipped threads on node %d, memory on node %d", id_i, id_j);
		return VMP_OK;
	}
	total = bw ? 3 * bytes : bytes;
	chase_bytes = r->chase_bytes < total ? r->chase_bytes : total;
	if ((err = numbuf_alloc(&mem, total, id_j, r->numa)) < 0)
		goto out;
	t->elems = bytes / sizeof(double);
	t->a = mem.p;
	t->b = bw ? mem.p + t->elems : NULL;
	t->c = bw ? mem.p + 2 * t->elems : NULL;
	t->read = r->read;
	t->triad = r->triad;
	step(r, 0, "touching %zu MiB on node %d from node %d", total / MIB, id_j, id_i);
	team_run(t, JOB_TOUCH);
	if (r->numa && (err = vmp_measure_check_placement(mem.p, total, id_j)) < 0)
		goto out;
	r->rep->array_bytes = bw ? bytes : 0;

	if (bw) {
		rd = calloc((size_t)reps, sizeof(*rd));
		tr = calloc((size_t)reps, sizeof(*tr));
		if (!rd || !tr) {
			vmp_error_set("out of memory");
			err = VMP_ENOMEM;
			goto out;
		}
		for (int k = 0; k < reps; k++) {
			double s = team_run(t, JOB_READ);

			rd[k] = s > 0 ? (double)total / s / 1e9 : 0;
			step(r, 1, "read bandwidth, threads on node %d, memory on node %d", id_i,
			     id_j);
		}
		for (int k = 0; k < reps; k++) {
			double s = team_run(t, JOB_TRIAD);

			/* STREAM's count: two arrays read, one written, 8 bytes each. */
			tr[k] = s > 0 ? 3.0 * (double)bytes / s / 1e9 : 0;
			step(r, 1, "triad bandwidth, threads on node %d, memory on node %d", id_i,
			     id_j);
		}
		keep_best_and_median(&r->rep->read_best_gbs[i * nn + j],
				     &r->rep->read_median_gbs[i * nn + j], rd, reps);
		keep_best_and_median(&r->rep->triad_best_gbs[i * nn + j],
				     &r->rep->triad_median_gbs[i * nn + j], tr, reps);
	}

	if (lat) {
		double huge;

		step(r, 0, "building a %zu MiB pointer chase on node %d", chase_bytes / MIB, id_j);
		t->chase_lines = chase_bytes / VMP_MEASURE_LINE_BYTES;
		team_run(t, JOB_BUILD);
		r->rep->latency_ns[i * nn + j] = chase_latency(r, t, id_i, id_j);
		r->rep->chase_bytes = chase_bytes;
		huge = hugepage_fraction(mem.p, chase_bytes);
		r->rep->hugepage_fraction[i * nn + j] = huge;
		if (huge < 0.5)
			note(r,
			     "latency of node %d to node %d measured on 4 KiB pages (%.0f%% on "
			     "2 MiB pages): TLB misses are included",
			     id_i, id_j, huge * 100);
	}
	err = VMP_OK;
out:
	free(rd);
	free(tr);
	numbuf_free(&mem);
	return err;
}

static int measure_memory(struct run *r)
{
	const vmp_host *h = r->host;
	struct team *t = NULL;
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
		if ((err = team_start(&t, r->topo, cpus, n)) < 0)
			goto out;
		for (int j = 0; j < h->nnodes; j++)
			if (node_has_memory(r, j) && (err = measure_pair(r, t, i, j)) < 0)
				goto out;
		team_stop(t);
		t = NULL;
	}
out:
	team_stop(t);
	free(cpus);
	return err;
}

/* How two PUs (indexes) relate, from the closest to the farthest. */
enum relation { REL_SMT, REL_L3, REL_CROSS_L3, REL_CROSS_NODE, REL_CROSS_PACKAGE, REL_COUNT };

static const char *const relation_names[REL_COUNT] = {
    "SMT siblings", "same L3", "across L3 domains", "across nodes", "across packages"};

static enum relation relation(const vmp_host *h, int a, int b)
{
	const vmp_pu *x = &h->pus[a], *y = &h->pus[b];

	if (x->core == y->core)
		return REL_SMT;
	if (x->l3 >= 0 && x->l3 == y->l3)
		return REL_L3;
	if (x->package != y->package)
		return REL_CROSS_PACKAGE;
	if (x->node != y->node)
		return REL_CROSS_NODE;
	return REL_CROSS_L3;
}

struct pairs {
	int n, cap;
	int (*p)[2]; /* PU indexes */
};

static void add_pair(struct pairs *ps, const vmp_host *h, int cpu_a, int cpu_b)
{
	int a = vmp_host_pu_index(h, cpu_a), b = vmp_host_pu_index(h, cpu_b);

	if (a < 0 || b < 0 || a == b || ps->n == ps->cap)
		return;
	for (int k = 0; k < ps->n; k++)
		if ((ps->p[k][0] == a && ps->p[k][1] == b) ||
		    (ps->p[k][0] == b && ps->p[k][1] == a))
			return;
	ps->p[ps->n][0] = a;
	ps->p[ps->n][1] = b;
	ps->n++;
}

static int first_pu_of_core(const vmp_host *h, int core)
{
	return vmp_cpuset_first(&h->cores[core].pus);
}

/*
 * Representative pairs: in each L3 domain (each package without L3s) one
 * pair of SMT siblings and one pair of cores; each L3 domain with the next
 * one of its package; the first node with every other node; the first
 * package with every other package.
 */
static void pick_pairs(struct pairs *ps, const vmp_host *h)
{
	int groups = h->nl3 > 0 ? h->nl3 : h->npackages;

	for (int g = 0; g < groups; g++) {
		int smt = -1, first = -1, second = -1;

		for (int k = 0; k < h->ncores; k++) {
			const vmp_core *c = &h->cores[k];

			if ((h->nl3 > 0 ? c->l3 : c->package) != g)
				continue;
			if (smt < 0 && vmp_cpuset_count(&c->pus) >= 2)
				smt = k;
			if (first < 0)
				first = k;
			else if (second < 0)
				second = k;
		}
		if (smt >= 0) {
			int p0 = vmp_cpuset_first(&h->cores[smt].pus);

			add_pair(ps, h, p0, vmp_cpuset_next(&h->cores[smt].pus, p0));
		}
		if (second >= 0)
			add_pair(ps, h, first_pu_of_core(h, first), first_pu_of_core(h, second));
	}
	for (int d = 0; d < h->nl3; d++) {
		int pa = vmp_cpuset_first(&h->l3s[d].cpus);

		for (int e = d + 1; e < h->nl3; e++) {
			int pb = vmp_cpuset_first(&h->l3s[e].cpus);
			int ia = vmp_host_pu_index(h, pa), ib = vmp_host_pu_index(h, pb);

			if (ia >= 0 && ib >= 0 && h->pus[ia].package == h->pus[ib].package) {
				add_pair(ps, h, pa, pb);
				break;
			}
		}
	}
	for (int i = 0, first = -1; i < h->nnodes; i++) {
		int pu = vmp_cpuset_first(&h->nodes[i].cpus);

		if (pu < 0)
			continue;
		if (first < 0)
			first = pu;
		else
			add_pair(ps, h, first, pu);
	}
	for (int p = 1; p < h->npackages; p++)
		add_pair(ps, h, vmp_cpuset_first(&h->packages[0].cpus),
			 vmp_cpuset_first(&h->packages[p].cpus));
}

/* Does the ping-pong agree with the L3 domains of the topology? Say where it does not. */
static void check_domains(struct run *r, const struct pairs *ps)
{
	const vmp_host *h = r->host;
	double lo[REL_COUNT], hi[REL_COUNT];
	char summary[400];
	size_t len = 0;

	for (int k = 0; k < REL_COUNT; k++) {
		lo[k] = INFINITY;
		hi[k] = -INFINITY;
	}
	for (int k = 0; k < ps->n; k++) {
		int a = ps->p[k][0], b = ps->p[k][1];
		double ns = r->c2c[(size_t)a * h->npus + b];
		enum relation rel = relation(h, a, b);

		if (isnan(ns))
			continue;
		lo[rel] = fmin(lo[rel], ns);
		hi[rel] = fmax(hi[rel], ns);
	}
	summary[0] = '\0';
	for (int k = 0; k < REL_COUNT && len < sizeof(summary); k++)
		if (isfinite(lo[k]))
			len += (size_t)snprintf(summary + len, sizeof(summary) - len,
						"%s%s %.0f-%.0f ns", len ? ", " : "",
						relation_names[k], lo[k], hi[k]);
	if (len)
		note(r, "core-to-core latency: %s", summary);
	if (!isfinite(lo[REL_CROSS_L3]))
		return;
	for (int k = 0; k < ps->n; k++) {
		int a = ps->p[k][0], b = ps->p[k][1];
		double ns = r->c2c[(size_t)a * h->npus + b];
		enum relation rel = relation(h, a, b);

		if (rel == REL_L3 && ns >= 0.8 * lo[REL_CROSS_L3])
			note(r,
			     "CPUs %d and %d share an L3 per the topology, but their core-to-core "
			     "latency (%.0f ns) is that of different L3 domains (%.0f ns): the "
			     "domain may be split",
			     h->pus[a].os_index, h->pus[b].os_index, ns, lo[REL_CROSS_L3]);
		if (rel == REL_CROSS_L3 && isfinite(hi[REL_L3]) && ns <= 1.25 * hi[REL_L3])
			note(r,
			     "CPUs %d and %d are in different L3 domains per the topology, but "
			     "their core-to-core latency (%.0f ns) is that of one domain (%.0f ns)",
			     h->pus[a].os_index, h->pus[b].os_index, ns, hi[REL_L3]);
	}
}

static int measure_c2c(struct run *r, struct pairs *ps)
{
	const vmp_host *h = r->host;
	int err = VMP_OK;

	for (int k = 0; k < ps->n; k++) {
		int a = ps->p[k][0], b = ps->p[k][1];
		double ns;

		if ((err = pingpong(&ns, r->topo, h->pus[a].os_index, h->pus[b].os_index,
				    r->lp.pp_trials, r->lp.pp_iters)) < 0)
			return err;
		r->c2c[(size_t)a * h->npus + b] = ns;
		r->c2c[(size_t)b * h->npus + a] = ns;
		step(r, 1, "core-to-core latency, CPUs %d and %d (%s)", h->pus[a].os_index,
		     h->pus[b].os_index, relation_names[relation(h, a, b)]);
	}
	r->rep->c2c_pairs = ps->n;
	check_domains(r, ps);
	return err;
}

void vmp_measure_report_free(vmp_measure_report *report)
{
	if (!report)
		return;
	free(report->read_best_gbs);
	free(report->read_median_gbs);
	free(report->triad_best_gbs);
	free(report->triad_median_gbs);
	free(report->latency_ns);
	free(report->hugepage_fraction);
	free(report->threads);
	free(report->notes);
	free(report);
}

static double *nan_matrix(size_t n)
{
	double *m = malloc(sizeof(*m) * (n ? n : 1));

	if (m)
		for (size_t k = 0; k < n; k++)
			m[k] = NAN;
	return m;
}

static int report_new(vmp_measure_report **out, int nnodes)
{
	vmp_measure_report *rep = calloc(1, sizeof(*rep));
	size_t n = (size_t)nnodes * (size_t)nnodes;

	*out = NULL;
	if (!rep)
		goto fail;
	rep->nnodes = nnodes;
	rep->read_best_gbs = nan_matrix(n);
	rep->read_median_gbs = nan_matrix(n);
	rep->triad_best_gbs = nan_matrix(n);
	rep->triad_median_gbs = nan_matrix(n);
	rep->latency_ns = nan_matrix(n);
	rep->hugepage_fraction = nan_matrix(n);
	rep->threads = calloc((size_t)(nnodes > 0 ? nnodes : 1), sizeof(*rep->threads));
	if (!rep->read_best_gbs || !rep->read_median_gbs || !rep->triad_best_gbs ||
	    !rep->triad_median_gbs || !rep->latency_ns || !rep->hugepage_fraction || !rep->threads)
		goto fail;
	*out = rep;
	return VMP_OK;
fail:
	vmp_measure_report_free(rep);
	vmp_error_set("out of memory");
	return VMP_ENOMEM;
}

/* A copy of an nnodes * nnodes matrix of the report, for the host. */
static double *dup_matrix(const double *m, int nnodes)
{
	size_t n = (size_t)nnodes * (size_t)nnodes;
	double *copy = malloc(sizeof(*copy) * (n ? n : 1));

	if (copy)
		memcpy(copy, m, sizeof(*copy) * n);
	return copy;
}

static const char *source_name(vmp_host_source s)
{
	static const char *const names[] = {"live",   "xml",	 "synthetic",
					    "fsroot", "libvirt", "json"};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static int check_options(vmp_measure_options *o, const vmp_host *host)
{
	if (!host) {
		vmp_error_set("cannot measure: no host");
		return VMP_EINVAL;
	}
	if (host->source != VMP_SOURCE_LIVE) {
		vmp_error_set("cannot measure host '%s' from a %s source: measurements need the "
			      "live host",
			      host->hostname, source_name(host->source));
		return VMP_EINVAL;
	}
	if (o->level != VMP_MEASURE_NONE && o->level != VMP_MEASURE_QUICK &&
	    o->level != VMP_MEASURE_FULL) {
		vmp_error_set("cannot measure at level %d: not none, quick or full", (int)o->level);
		return VMP_EINVAL;
	}
	if (o->repetitions != 0 && o->repetitions < 3) {
		vmp_error_set("cannot measure with %d repetitions: at least 3 are needed",
			      o->repetitions);
		return VMP_EINVAL;
	}
	if (o->parts == 0)
		o->parts = VMP_MEASURE_ALL;
	if (o->parts & ~VMP_MEASURE_ALL) {
		vmp_error_set("cannot measure parts 0x%x: unknown bits", o->parts);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* Replace the host's figures with those measured; nothing changes when memory runs out. */
static int fill_host(vmp_host *h, struct run *r)
{
	double *fresh[3] = {NULL, NULL, NULL};
	double **slots[3] = {&h->read_gbs, &h->triad_gbs, &h->latency_ns};

	if (r->parts & VMP_MEASURE_BANDWIDTH) {
		fresh[0] = dup_matrix(r->rep->read_best_gbs, h->nnodes);
		fresh[1] = dup_matrix(r->rep->triad_best_gbs, h->nnodes);
		if (!fresh[0] || !fresh[1])
			goto nomem;
	}
	if ((r->parts & VMP_MEASURE_LATENCY) &&
	    !(fresh[2] = dup_matrix(r->rep->latency_ns, h->nnodes)))
		goto nomem;
	for (int k = 0; k < 3; k++)
		if (fresh[k]) {
			free(*slots[k]);
			*slots[k] = fresh[k];
		}
	if (r->parts & VMP_MEASURE_C2C) {
		free(h->c2c_ns);
		h->c2c_ns = r->c2c;
		r->c2c = NULL;
	}
	return VMP_OK;
nomem:
	for (int k = 0; k < 3; k++)
		free(fresh[k]);
	vmp_error_set("out of memory");
	return VMP_ENOMEM;
}

int vmp_measure_run(vmp_measure_report **out, vmp_host *host, const vmp_measure_options *opts,
		    vmp_progress_fn progress, void *opaque)
{
	vmp_measure_options o = {.level = VMP_MEASURE_QUICK};
	struct run r = {0};
	struct pairs ps = {0};
	double start = now_s();
	uint64_t llc;
	int err;

	if (out)
		*out = NULL;
	if (opts)
		o = *opts;
	if ((err = check_options(&o, host)) < 0)
		return err;
	if (o.level == VMP_MEASURE_NONE)
		return VMP_OK;

	r.host = host;
	r.parts = o.parts;
	r.threads = o.threads;
	r.lp = o.level == VMP_MEASURE_FULL ? full_params : quick_params;
	if (o.repetitions)
		r.lp.repetitions = o.repetitions;
	r.progress = progress;
	r.opaque = opaque;
	if ((err = pick_kernels(&o.isa, &r.read, &r.triad)) < 0)
		return err;
	if ((err = report_new(&r.rep, host->nnodes)) < 0)
		return err;
	r.rep->isa = o.isa;
	r.rep->repetitions = r.lp.repetitions;

	if (hwloc_topology_init(&r.topo) < 0) {
		r.topo = NULL;
		vmp_error_set("cannot start hwloc: %s", strerror(errno));
		err = VMP_ESYS;
		goto out;
	}
	hwloc_topology_set_io_types_filter(r.topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	/* As in topology.c: the libpciaccess component only leaks; nothing here needs it. */
	hwloc_topology_set_components(r.topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "pci");
	if (hwloc_topology_load(r.topo) < 0) {
		vmp_error_set("cannot probe the topology of this host: %s", strerror(errno));
		err = VMP_ESYS;
		goto out;
	}
	r.numa = numa_available() >= 0;
	if (!r.numa && host->nnodes > 1) {
		vmp_error_set("cannot measure %d NUMA nodes: the kernel has no NUMA policy support",
			      host->nnodes);
		err = VMP_EUNSUPPORTED;
		goto out;
	}
	llc = llc_bytes(r.topo);
	/*
	 * Full: each array at least 4x the last-level caches, STREAM's rule. Quick:
	 * the three arrays together, which is what each kernel streams through
	 * (the read kernel reads all three), for a third of the memory to touch.
	 */
	r.array_bytes = o.array_bytes;
	if (!r.array_bytes) {
		r.array_bytes = (4 * (size_t)llc + r.lp.llc_share - 1) / r.lp.llc_share;
		if (r.array_bytes < r.lp.min_array_bytes)
			r.array_bytes = r.lp.min_array_bytes;
	}
	r.array_bytes = round_huge(r.array_bytes);
	r.chase_bytes = round_huge(4 * (size_t)llc > r.lp.min_array_bytes ? 4 * (size_t)llc
									  : r.lp.min_array_bytes);
	if ((r.parts & VMP_MEASURE_BANDWIDTH) && 3 * r.array_bytes < 4 * llc)
		note(&r,
		     "arrays of 3 x %zu MiB are less than 4x the last-level caches (%" PRIu64
		     " MiB): caches may inflate the figures",
		     r.array_bytes / MIB, llc / MIB);

	if (r.parts & VMP_MEASURE_C2C) {
		ps.cap =
		    2 * host->npus + 2 * host->nnodes + 2 * host->npackages + 4 * host->nl3 + 8;
		ps.p = calloc((size_t)ps.cap, sizeof(*ps.p));
		r.c2c = nan_matrix((size_t)host->npus * (size_t)host->npus);
		if (!ps.p || !r.c2c) {
			vmp_error_set("out of memory");
			err = VMP_ENOMEM;
			goto out;
		}
		pick_pairs(&ps, host);
	}
	/* Progress units: one per bandwidth repetition, six per latency pair, one per c2c pair. */
	for (int i = 0; i < host->nnodes; i++)
		for (int j = 0; j < host->nnodes; j++)
			if (!vmp_cpuset_empty(&host->nodes[i].cpus) && node_has_memory(&r, j))
				r.total +=
				    (r.parts & VMP_MEASURE_BANDWIDTH ? 2.0 * r.lp.repetitions : 0) +
				    (r.parts & VMP_MEASURE_LATENCY ? LATENCY_TRIALS : 0);
	r.total += ps.n;

	if ((r.parts & (VMP_MEASURE_BANDWIDTH | VMP_MEASURE_LATENCY)) &&
	    (err = measure_memory(&r)) < 0)
		goto out;
	if ((r.parts & VMP_MEASURE_C2C) && (err = measure_c2c(&r, &ps)) < 0)
		goto out;

	r.rep->seconds = now_s() - start;
	r.rep->notes = r.notes ? r.notes : strdup("");
	r.notes = NULL;
	if (!r.rep->notes) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	if ((err = fill_host(host, &r)) < 0)
		goto out;
	r.done = r.total;
	step(&r, 0, "measured in %.1f s", r.rep->seconds);
	if (out) {
		*out = r.rep;
		r.rep = NULL;
	}
	err = VMP_OK;
out:
	free(ps.p);
	free(r.c2c);
	free(r.notes);
	vmp_measure_report_free(r.rep);
	if (r.topo)
		hwloc_topology_destroy(r.topo);
	return err;
}

int vmp_probe_measure(vmp_host *host, vmp_measure_level level, vmp_progress_fn progress,
		      void *opaque)
{
	vmp_measure_options o = {.level = level};

	return vmp_measure_run(NULL, host, &o, progress, opaque);
}
