/* The measurement engine: pinned worker teams, bandwidth kernels, pointer chase, ping-pong. */
#ifndef VMPLAN_PROBES_ENGINE_H
#define VMPLAN_PROBES_ENGINE_H

/*
 * One engine serves the probe (probes/measure*.c), the host bench (bench/host_*.c) and the
 * guest program. It is self-contained C11 with GNU extensions: libc, pthread and Linux system
 * calls only, no other part of vmplan, no hwloc, libnuma or libvirt, so that a static guest
 * program can be built from probes/engine*.c alone.
 *
 * Errors: functions that can fail return 0 or a negative errno and leave a message, in the
 * words vmplan uses (lowercase, the problem first), for engine_error() to read.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The cache line the chase and the ping-pong work on. */
#define ENGINE_LINE_BYTES 64
/* Every bandwidth kernel works on whole units of this many doubles (512 bytes). */
#define ENGINE_UNIT_DOUBLES 64

/** The calling thread's last engine error message; "" when none. Borrowed. */
const char *engine_error(void);

/** Set the message engine_error() returns, printf-style (for the engine's own files). */
void engine_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Seconds of CLOCK_MONOTONIC. */
double engine_now_s(void);

/* ---- kernels (engine_kernels.c) ---- */

/* Vector instructions of the bandwidth kernels; the values are those of vmp_measure_isa. */
typedef enum engine_isa {
	ENGINE_ISA_AUTO = 0, /* the widest the CPU has (AVX-512, else AVX, else SSE2) */
	ENGINE_ISA_SSE2,     /* 128-bit loads, _mm_stream_pd */
	ENGINE_ISA_AVX,      /* 256-bit loads, _mm256_stream_pd */
	ENGINE_ISA_AVX512,   /* 512-bit loads, _mm512_stream_pd */
	ENGINE_ISA_GENERIC   /* plain C, no non-temporal stores (hosts that are not x86) */
} engine_isa;

/*
 * The bandwidth kernels: n doubles, a multiple of ENGINE_UNIT_DOUBLES, arrays aligned to
 * 64 bytes. read returns the sum (keep it alive); triad writes a = b + s * c with
 * non-temporal stores where the ISA has them.
 */
typedef double (*engine_read_fn)(const double *p, size_t n);
typedef void (*engine_triad_fn)(double *a, const double *b, const double *c, double s, size_t n);

/** "sse2", "avx", "avx512", "generic", "auto", or "unknown". */
const char *engine_isa_name(engine_isa isa);

/**
 * Pick the read and triad kernels of an ISA.
 * @param isa in: the ISA wanted (ENGINE_ISA_AUTO: the widest); out: the one picked
 * @return 0, or -ENOTSUP when the CPU lacks the ISA asked for
 */
int engine_kernels(engine_isa *isa, engine_read_fn *read, engine_triad_fn *triad);

/**
 * Write a pointer chase into buf: the first word of each of its nlines lines of
 * ENGINE_LINE_BYTES points to the next line of one cycle through all of them, in a random
 * order (Sattolo's algorithm, a splitmix64 generator seeded with seed: the same seed gives
 * the same cycle).
 *
 * @param buf    nlines * ENGINE_LINE_BYTES bytes, aligned to a pointer
 * @param nlines lines in buf; 0 writes nothing
 * @param seed   the generator's seed
 */
void engine_chase_init(void *buf, size_t nlines, uint64_t seed);

/**
 * Follow a chase written by engine_chase_init() for steps dependent loads (a multiple of 8)
 * from start; returns where it stopped, to go on from there.
 */
void *engine_chase(void *start, size_t steps);

/** n compute ops on x: three xorshifts and a multiply each, every one waiting on the last. */
uint64_t engine_compute(uint64_t x, unsigned n);

/* ---- the worker team (engine.c) ---- */

typedef struct engine_team engine_team;

/* One worker of a team, as its job function sees it. */
typedef struct engine_worker {
	engine_team *team;
	int index;   /* 0 .. nworkers - 1 */
	void *arg;   /* the team's argument, shared by every worker */
	void *self;  /* this worker's own argument (engine_team_set_self), or NULL */
	double t0;   /* when its part of the last job began ... */
	double t1;   /* ... and ended; both 0 when it timed nothing (reset before each job) */
	double sink; /* for results a kernel must keep alive */
} engine_worker;

/*
 * What a worker does for a job (a number the caller chooses, never negative). Every worker
 * runs it between the team's "go" and "done" barriers. Job 0 is also run once at start,
 * after each worker tried its binding.
 */
typedef void (*engine_job_fn)(engine_worker *w, int job);

/**
 * Make a team of nworkers threads, not started yet; each runs anywhere until pinned.
 *
 * @param out      the team (the caller frees it with engine_team_free())
 * @param nworkers at least 1
 * @param job      what the workers do for a job
 * @param arg      every worker's arg
 * @return 0, -EINVAL for no workers, -ENOMEM
 */
int engine_team_new(engine_team **out, int nworkers, engine_job_fn job, void *arg);

/** Give worker its own argument (its self), before engine_team_start(). */
void engine_team_set_self(engine_team *t, int worker, void *self);

/**
 * Add cpu (an OS index) to the CPUs worker is pinned to; a worker never pinned runs anywhere.
 * @return 0, -EINVAL for a worker or CPU out of range, -ENOMEM
 */
int engine_team_pin(engine_team *t, int worker, int cpu);

/**
 * Start the threads; each pins itself, then all run job 0 once.
 *
 * @param failed the worker that could not be pinned, or -1 (a thread that did not start,
 *               or no failure); may be NULL
 * @return 0; a negative errno of pthread_create or sched_setaffinity, with every thread that
 *         started stopped again
 */
int engine_team_start(engine_team *t, int *failed);

/**
 * Run one job on every worker and wait for all of them.
 * @return the seconds from the first worker's t0 to the last one's t1 (0 when none timed)
 */
double engine_team_run(engine_team *t, int job);

/** Worker k of the team (borrowed). */
engine_worker *engine_team_worker(engine_team *t, int k);

/** How many workers the team has. */
int engine_team_size(const engine_team *t);

/** Stop the threads if they run and free the team; NULL is fine. */
void engine_team_free(engine_team *t);

/* ---- ping-pong (engine.c) ---- */

/* Two threads bouncing one cache line: the line alone in its 128 bytes (adjacent-line
 * prefetch). Round k: the initiator writes 2k + 1, the responder answers 2k + 2. */
typedef struct engine_pingpong {
	_Alignas(128) _Atomic uint64_t flag;
} engine_pingpong;

#define ENGINE_PP_FOREVER UINT64_MAX /* engine_pp_answer(): until engine_pp_quit() */

/** Back to round 0. */
void engine_pp_reset(engine_pingpong *pp);

/** Tell the other thread to stop waiting (and stop answering). */
void engine_pp_quit(engine_pingpong *pp);

/**
 * Initiator: n round trips, counting rounds in *round.
 * @param yield_every spins between sched_yield() calls (two threads on one CPU); 0: never
 * @return false when the responder quit
 */
bool engine_pp_ping(engine_pingpong *pp, uint64_t *round, int n, unsigned yield_every);

/** Responder: answer rounds from 0 until rounds were answered or engine_pp_quit(). */
void engine_pp_answer(engine_pingpong *pp, uint64_t rounds, unsigned yield_every);

/**
 * Core-to-core latency of two CPUs (OS indexes): two threads pinned to them bounce a line
 * trials times iters round trips; the best trial's round trip / 2.
 *
 * @param out    nanoseconds one way; NaN on failure
 * @param failed the CPU that could not be pinned, or -1; may be NULL
 * @return 0, -ENOMEM, or the errors of engine_team_start()
 */
int engine_c2c(double *out, int *failed, int cpu_a, int cpu_b, int trials, int iters);

/* ---- where memory is (engine.c) ---- */

/**
 * Find the NUMA node that holds the pages of [p, p + len), from up to 64 pages sampled
 * evenly and asked about with move_pages(2).
 *
 * @param out the OS id of the node every sampled page is on, or -1 when they are on several
 * @return 0; -EINVAL for an empty range; -ENOENT when a sampled page was never touched;
 *         -EIO when move_pages fails (the message says why)
 */
int engine_page_node(int *out, const void *p, size_t len);

/**
 * Check that the pages of [p, p + len) are on node (an OS id), as engine_page_node() finds.
 * @return 0; -EFAULT naming the node they are on; the errors of engine_page_node()
 */
int engine_check_node(const void *p, size_t len, int node);

/** The share (0..1) of [p, p + len) the kernel maps with transparent hugepages (smaps). */
double engine_hugepage_fraction(const void *p, size_t len);

#endif
