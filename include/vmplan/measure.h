/* Options and detailed results of the live bandwidth, latency and core-to-core probes. */
#ifndef VMPLAN_MEASURE_H
#define VMPLAN_MEASURE_H

#include <stddef.h>

#include "vmplan/probe.h"

/* Vector instructions of the bandwidth kernels. */
typedef enum vmp_measure_isa {
	VMP_ISA_AUTO = 0, /* the widest the CPU has (AVX-512, else AVX, else SSE2) */
	VMP_ISA_SSE2,     /* 128-bit loads, _mm_stream_pd */
	VMP_ISA_AVX,      /* 256-bit loads, _mm256_stream_pd */
	VMP_ISA_AVX512,   /* 512-bit loads, _mm512_stream_pd */
	VMP_ISA_GENERIC   /* plain C, no non-temporal stores (hosts that are not x86) */
} vmp_measure_isa;

/* Which PUs of a node run the bandwidth threads. */
typedef enum vmp_measure_threads {
	VMP_MEASURE_PER_PU = 0, /* one thread per PU: the most misses in flight (the default) */
	VMP_MEASURE_PER_CORE    /* one thread per core, on its first PU */
} vmp_measure_threads;

/* Parts of the measurement, for vmp_measure_options.parts. */
#define VMP_MEASURE_BANDWIDTH 0x1u /* read and triad bandwidth per node pair */
#define VMP_MEASURE_LATENCY   0x2u /* idle latency per node pair */
#define VMP_MEASURE_C2C       0x4u /* core-to-core latency of representative PU pairs */
#define VMP_MEASURE_ALL       0x7u

/* How to measure; zero everywhere (but level) means the defaults of the level. */
typedef struct vmp_measure_options {
	vmp_measure_level level;     /* VMP_MEASURE_QUICK or VMP_MEASURE_FULL */
	vmp_measure_isa isa;         /* VMP_ISA_AUTO: the widest available */
	vmp_measure_threads threads; /* VMP_MEASURE_PER_PU */
	size_t array_bytes;          /* bytes of each of the three bandwidth arrays, rounded up to
				      * 2 MiB; 0: full makes each at least 4 x the sum of the
				      * last-level caches and 256 MiB, quick makes the three together
				      * at least 4 x the caches and each at least 64 MiB */
	int repetitions; /* bandwidth repetitions, the first dropped; 0: 10 (quick), 20 (full);
			  * at least 3 */
	unsigned parts;  /* VMP_MEASURE_* bits; 0: VMP_MEASURE_ALL */
} vmp_measure_options;

/*
 * Everything a measurement found, beyond the figures that go into the host.
 * Matrices are nnodes * nnodes, row-major, threads on the row node and memory
 * on the column node, NaN for pairs not measured.
 */
typedef struct vmp_measure_report {
	int nnodes;
	double *read_best_gbs;   /* the best repetition: what goes into host->read_gbs */
	double *read_median_gbs; /* the median of the repetitions kept */
	double *triad_best_gbs;  /* the best repetition: host->triad_gbs */
	double *triad_median_gbs;
	double *latency_ns;        /* minimum over 5 trials: host->latency_ns */
	double *hugepage_fraction; /* share of the chase on 2 MiB pages (0..1) */
	int *threads;              /* nnodes: bandwidth threads that ran on each node */
	vmp_measure_isa isa;       /* the kernels used */
	size_t array_bytes;        /* bytes of each array (the last pair's, when one shrank);
				    * the read kernel streams over all three */
	size_t chase_bytes;        /* bytes the latency chase spans: max(4 x LLC, 64 MiB quick,
				    * 256 MiB full), within the arrays */
	int repetitions;           /* bandwidth repetitions, the dropped first one included */
	int c2c_pairs;             /* PU pairs measured by ping-pong */
	double seconds;            /* wall-clock time of the whole measurement */
	char *notes;               /* findings worth a look, one a line; "" when none */
} vmp_measure_report;

/**
 * Measure the live host as vmp_probe_measure() does, with options, and keep
 * the details.
 *
 * Bandwidth: for every node i with CPUs and node j with memory, threads
 * pinned to the PUs of i stream over arrays that numa_alloc_onnode() put
 * on j under a strict MPOL_BIND, first-touched by those threads and
 * checked with move_pages(2). Bytes count as STREAM counts them: 8 per
 * element read (read, a sum over the three arrays), 24 per element (triad
 * a = b + s * c, non-temporal stores). Latency: one pinned thread chases a
 * random cyclic permutation of the cache lines of the arrays (MADV_HUGEPAGE
 * asked), minimum over 5 trials that were not preempted. Core-to-core: two
 * pinned threads bounce a cache line; the best trial's round trip / 2.
 *
 * Progress goes to progress (may be NULL) with what = a description and
 * fraction in 0..1; findings (an L3 domain that does not behave as one,
 * arrays shrunk for lack of memory, 4 KiB pages) also go there as a what
 * that starts with "note: ", and into the report's notes.
 *
 * @param out  the report (the caller frees it with vmp_measure_report_free()),
 *             or NULL when only the host is wanted
 * @param host a host with source VMP_SOURCE_LIVE; on success its read_gbs,
 *             triad_gbs, latency_ns and c2c_ns are replaced (the parts not
 *             measured stay as they were); on failure it is unchanged
 * @param opts the options, or NULL for the quick defaults
 * @return VMP_OK; VMP_EINVAL for a host that is not live or bad options;
 *         VMP_ENOMEM; VMP_ESYS when hwloc, libnuma, binding a thread or the
 *         placement of the memory fails
 */
int vmp_measure_run(vmp_measure_report **out, vmp_host *host, const vmp_measure_options *opts,
		    vmp_progress_fn progress, void *opaque);

/** Free a report; NULL is fine. */
void vmp_measure_report_free(vmp_measure_report *report);

/** "sse2", "avx", "avx512", "generic" or "auto". */
const char *vmp_measure_isa_name(vmp_measure_isa isa);

#endif
