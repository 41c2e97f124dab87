/* The bench runner: guest workloads per plan against baselines, the gate, and the history. */
#ifndef VMPLAN_BENCH_H
#define VMPLAN_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmplan/model.h"
#include "vmplan/probe.h"

/* The guest workloads. */
typedef enum vmp_bench_workload {
	VMP_BENCH_STREAM = 0, /* STREAM triad per VM, all its vCPUs together: triad_gbs, GB/s */
	VMP_BENCH_LATENCY,    /* dependent-load chase per vCPU, mean over vCPUs: latency_ns */
	VMP_BENCH_C2C,        /* ping-pong of vCPU i and i + n/2: c2c_ns (one way) */
	VMP_BENCH_COMPUTE,    /* integer multiply-xorshift kernel, mean per vCPU: ops_per_s */
	VMP_BENCH_NOISY,      /* latency_ns as above while an antagonist streams memory on the
			       * CPUs no VM uses (floating on all CPUs when none is free) */
	VMP_BENCH_NWORKLOADS
} vmp_bench_workload;

/* How the guest threads and memory are placed. */
typedef enum vmp_bench_variant {
	VMP_BENCH_PLAN = 0, /* as planned: pins, strict memory binding, hugepages */
	VMP_BENCH_UNPINNED, /* the same threads with no affinity and the default memory policy */
	VMP_BENCH_NAIVE,    /* vCPUs pinned in CPU order (VM after VM), ignoring topology;
			     * emulator and I/O threads on the VM's CPUs; default memory policy */
	VMP_BENCH_NVARIANTS
} vmp_bench_variant;

#define VMP_BENCH_BASE_UNPINNED (1u << VMP_BENCH_UNPINNED)
#define VMP_BENCH_BASE_NAIVE    (1u << VMP_BENCH_NAIVE)

/* Defaults of vmplan bench, and of the quick gate of vmplan suggest --validate. */
#define VMP_BENCH_DEFAULT_REPS       5
#define VMP_BENCH_DEFAULT_SECONDS    0.5
#define VMP_BENCH_QUICK_REPS         3
#define VMP_BENCH_QUICK_SECONDS      0.25
#define VMP_BENCH_DEFAULT_CELL_BYTES ((uint64_t)256 << 20)
#define VMP_BENCH_DEFAULT_THRESHOLD  10.0 /* percent, for vmp_history_compare() */
#define VMP_BENCH_GATE_THRESHOLD     5.0  /* percent: the loss the gate tolerates (same) */
#define VMP_BENCH_REPS_BUDGET        3    /* the gate repeats up to this many times --reps */
#define VMP_BENCH_CONFIDENCE         0.95 /* of the gate's interval of the ratio */

/*
 * The kernels the host engine times, replaceable so that tests can substitute fakes of a
 * known speed; NULL fields (or no struct) take the measurement engine's own.
 */
typedef struct vmp_bench_kernels {
	void (*triad)(double *a, const double *b, const double *c, double s, size_t n);
	void *(*chase)(void *start, size_t steps); /* engine_chase()'s contract */
} vmp_bench_kernels;

/* Which engine runs the bench. */
typedef enum vmp_bench_engine {
	VMP_BENCH_ENGINE_HOST = 0, /* host threads stand in for the vCPUs (the quick screen) */
	VMP_BENCH_ENGINE_GUEST     /* real guests booted through libvirt (bench/guest_*.c) */
} vmp_bench_engine;

/* The guest engine's accelerator: <domain type='kvm'> or <domain type='qemu'> (TCG). */
typedef enum vmp_bench_accel {
	VMP_BENCH_ACCEL_AUTO = 0, /* kvm when /dev/kvm exists and libvirt offers it, else tcg */
	VMP_BENCH_ACCEL_KVM,
	VMP_BENCH_ACCEL_TCG
} vmp_bench_accel;

#define VMP_BENCH_GUEST_MEMORY      ((uint64_t)256 << 20) /* per guest cell */
#define VMP_BENCH_GUEST_TIMEOUT_TCG 120.0
#define VMP_BENCH_GUEST_TIMEOUT_KVM 60.0
#define VMP_BENCH_GUEST_URI         "qemu:///system"

typedef struct vmp_bench_options {
	/* Workloads in order; nworkloads == 0: each VM's bench_workloads picks (see
	 * vmp_bench_request_workloads()). The first workload that gives a VM a result is
	 * its primary metric, the one the gate judges. */
	int nworkloads;
	vmp_bench_workload workloads[VMP_BENCH_NWORKLOADS];
	unsigned baselines;   /* VMP_BENCH_BASE_* bits; 0: both */
	int reps;             /* repetitions per variant and workload; 0: the default */
	double seconds;       /* length of one repetition; 0: the default */
	uint64_t cell_bytes;  /* the most memory emulated per guest cell; 0: the default.
			       * A cell's working set is min(its memory, this), shrunk to fit
			       * 80% of its node's free memory (with a note) */
	bool force;           /* run even when the plan was made for another host */
	double threshold_pct; /* the gate's tolerance; 0: VMP_BENCH_GATE_THRESHOLD */
	int max_reps;         /* the repetition budget: while a VM's verdict is inconclusive,
			       * another reps repetitions of every variant, up to this many
			       * in all; 0: VMP_BENCH_REPS_BUDGET * reps; reps: never more */
	const vmp_bench_kernels *kernels; /* NULL: the measurement engine's */
	vmp_progress_fn progress;         /* what runs now; may be NULL */
	void *opaque;
	/* The guest engine (engine == VMP_BENCH_ENGINE_GUEST); ignored by the host engine. */
	vmp_bench_engine engine;
	vmp_bench_accel guest_accel;
	const char *guest_kernel;    /* the guest kernel; NULL: /boot/vmlinuz-*-cloud-amd64 */
	const char *guest_program;   /* vmplan-guest; NULL: found beside argv0 (guest_argv0) */
	const char *guest_argv0;     /* the running program's argv[0], to find vmplan-guest */
	uint64_t guest_memory_bytes; /* memory per guest cell; 0: VMP_BENCH_GUEST_MEMORY */
	double guest_timeout_s;      /* per variant; 0: 120 under TCG, 60 under KVM */
	const char *connect_uri;     /* libvirt URI; NULL: VMP_BENCH_GUEST_URI */
} vmp_bench_options;

/* One VM, workload, metric and variant: the figures of its repetitions. */
typedef struct vmp_bench_result {
	char vm[VMP_NAME_MAX];
	vmp_bench_workload workload;
	vmp_bench_variant variant;
	bool higher_is_better;
	bool primary; /* the VM's primary metric, the one the gate judges: the first workload of
		       * --workload, else of its profile's list, that gave it a result
		       * (false when loaded from the history) */
	double median, min, max;
	int reps;
	double *samples; /* reps values in the order run; owned (NULL when loaded from history) */
} vmp_bench_result;

/* Where one guest thread ran, or where one cell's memory was, in the plan variant. */
typedef enum vmp_bench_check_kind {
	VMP_CHECK_VCPU = 0, /* index: the vCPU */
	VMP_CHECK_EMULATOR,
	VMP_CHECK_IOTHREAD,  /* index: the I/O thread, from 0 */
	VMP_CHECK_MEMORY,    /* index: the guest cell */
	VMP_CHECK_EXCLUSIVE, /* index: the vCPU; planned: its pin, observed: the pins of the
			      * other dedicated vCPUs (any VM) on that CPU in the plan as run;
			      * ok when none */
	VMP_CHECK_AFFINITY,  /* index: the vCPU (kind of thread in `thread`); planned: the
			      * variant's pin (plan: the plan's; unpinned: the process's whole
			      * affinity), observed: Cpus_allowed_list read back from
			      * /proc/self/task/TID/status; ok when equal */
	VMP_CHECK_MEMPOLICY  /* index: the guest cell; planned: its node, observed: the nodes
			      * of the MPOL_BIND policy get_mempolicy() finds on its memory
			      * (empty: no binding); ok when equal */
} vmp_bench_check_kind;

typedef struct vmp_bench_check {
	char vm[VMP_NAME_MAX];
	vmp_bench_check_kind kind;
	int index;
	vmp_cpuset planned;  /* CPUs planned; for memory, the host node (one bit) */
	vmp_cpuset observed; /* CPUs sched_getcpu() returned in the thread, sampled throughout;
			      * for memory, the node move_pages() found (empty: spread) */
	bool ok;             /* observed is a non-empty subset of planned (see the kinds) */
	vmp_bench_variant variant;   /* the variant checked: the plan, or a baseline's affinity */
	vmp_bench_check_kind thread; /* VMP_CHECK_AFFINITY: vcpu, emulator or iothread */
} vmp_bench_check;

/* A verdict of the plan against one baseline for one VM and metric. */
typedef enum vmp_bench_verdict {
	VMP_VERDICT_SAME = 0,    /* no loss beyond the threshold, no sure win: the interval of the
				  * ratio lies in [1 - threshold, 1 + ...] and reaches 1 */
	VMP_VERDICT_BETTER,      /* the whole interval above 1 */
	VMP_VERDICT_WORSE,       /* the whole interval below 1, reaching below 1 - threshold */
	VMP_VERDICT_INCONCLUSIVE /* too few samples for an interval, or one that holds both no
				  * change and a loss beyond the threshold */
} vmp_bench_verdict;

/* A bench run: what ran, where, and its results. vmp_bench_run_free(). */
typedef struct vmp_bench_run {
	char started_at[32]; /* ISO 8601 UTC, 2026-11-29T02:30:00Z */
	char host[17];       /* the live host's fingerprint */
	char hostname[VMP_NAME_MAX];
	char version[32];
	char plan_hash[17]; /* vmp_bench_plan_hash() */
	char workloads[96]; /* comma-separated, in the order run */
	int reps;
	double seconds;
	unsigned variants; /* 1 << vmp_bench_variant of every variant run */
	int nresults;
	vmp_bench_result *results;
	int nchecks;
	vmp_bench_check *checks;
	char *notes;          /* findings, one a line; "" when none */
	double wall_s;        /* the whole run */
	double threshold_pct; /* the gate's tolerance; 0: VMP_BENCH_GATE_THRESHOLD */
	int max_reps;         /* the repetition budget the run had */
	/* Non-empty: performance is not judged (say "software emulation (TCG)"); only the
	 * checks decide the gate, and results.json says so (gate.decided_by). */
	char perf_not_judged[96];
	/* The guest engine's: which engine and accelerator ran, whether performance was
	 * judged (never under TCG; then perf_not_judged says why), and its host- and
	 * guest-side checks. */
	vmp_bench_engine engine;
	char accel[8]; /* "kvm", "tcg"; "" for the host engine */
	bool perf_judged;
	int nguest_checks;
	struct vmp_bench_guest_check *guest_checks;
} vmp_bench_run;

/* One check of the guest engine, from the host (/proc, cgroups, resctrl) or from a guest. */
typedef struct vmp_bench_guest_check {
	char vm[VMP_NAME_MAX];
	char what[64];      /* "vcpu 0 affinity", "cell 1 memory", "guest topology", ... */
	char source[16];    /* "/proc", "cgroup", "resctrl", "guest" */
	char expected[256]; /* what the plan says */
	char found[256];    /* what was found */
	bool ok;
	bool skipped; /* could not be made here (no resctrl); ok is true then */
} vmp_bench_guest_check;

/* "host", "guest". */
const char *vmp_bench_engine_name(vmp_bench_engine e);

/* "stream", "latency", "c2c", "compute", "noisy". */
const char *vmp_bench_workload_name(vmp_bench_workload w);
/* The metric of a workload: "triad_gbs", "latency_ns", "c2c_ns", "ops_per_s". */
const char *vmp_bench_metric_name(vmp_bench_workload w);
/* Its unit: "GB/s", "ns", "ops/s". */
const char *vmp_bench_unit_name(vmp_bench_workload w);
/* Whether more is better for the workload's metric. */
bool vmp_bench_higher_is_better(vmp_bench_workload w);
/* "plan", "unpinned", "naive". */
const char *vmp_bench_variant_name(vmp_bench_variant v);
/** A workload or variant by name; VMP_OK or VMP_EINVAL naming it and the choices. */
int vmp_bench_workload_parse(vmp_bench_workload *out, const char *name);
int vmp_bench_variant_parse(vmp_bench_variant *out, const char *name);

/**
 * Parse a comma-separated workload list ("stream,latency") into opts->workloads.
 * @return VMP_OK, or VMP_EINVAL for an unknown or repeated name
 */
int vmp_bench_workloads_parse(vmp_bench_options *opts, const char *list);

/**
 * The workloads a VM is benched with when --workloads is not given, in the order of the
 * key's values (stream, latency, c2c, compute, noisy): its request's bench_workloads; where
 * that is unset (a plan written before the key), its profile's bench_workloads
 * (profiles/NAME.yaml); else stream and latency (memory-bound: what a plan can change).
 * @return how many were written to out (at least 1, at most VMP_BENCH_NWORKLOADS)
 */
int vmp_bench_request_workloads(vmp_bench_workload out[VMP_BENCH_NWORKLOADS],
				const vmp_vm_request *req);

/**
 * As vmp_bench_request_workloads() for a VM that names only the profile (NULL or "" for
 * none): the profile's bench_workloads key, else stream and latency.
 */
int vmp_bench_profile_workloads(vmp_bench_workload out[VMP_BENCH_NWORKLOADS], const char *profile);

/**
 * The hash of a plan's placement (per VM: name, placed, vCPU pins, the CPU pool, emulator
 * and I/O thread pins, cells with node, vCPUs and memory, hugepage size, cache and memory
 * bandwidth allocations; not the score or the explanations): 64-bit FNV-1a, 16 hex
 * characters and a NUL. Two plans that place the same way hash the same.
 */
void vmp_bench_plan_hash(char out[17], const vmp_plan *plan);

/**
 * Run a plan's VMs on the live host, all at once, under the plan and the baselines.
 *
 * Per placed VM: one thread per vCPU (pinned as planned; cpu=shared VMs on their pool),
 * the memory of each guest cell bound strictly to its host node (mbind) and first touched
 * by the cell's vCPUs, on hugepages where planned and the pool has them (else a note),
 * an emulator thread and the I/O threads pinned as planned, each with a light load
 * (5% of a CPU). Each variant runs each workload reps times for seconds; the variants run
 * one after the other on fresh memory. In the plan variant every thread samples
 * sched_getcpu() and reads its affinity back from /proc, the plan's dedicated vCPUs are
 * checked to have a CPU each, and every cell's pages are located with move_pages() and its
 * policy read with get_mempolicy(); in the baselines every thread's affinity is read back:
 * run->checks. While a VM's primary verdict is inconclusive (vmp_bench_judge()), every
 * variant runs the inconclusive workloads another reps times, up to max_reps in all.
 *
 * That is the host engine. With opts->engine VMP_BENCH_ENGINE_GUEST, real guests instead:
 * every placed VM booted through libvirt (opts->connect_uri) as a transient domain per
 * variant, from the domain XML vmp_export_libvirt_xml_opts() writes, with direct kernel
 * boot and a serial log; their VMPLAN-RESULT lines give the results, and run->guest_checks
 * what the host and the guests found (bench/guest_run.c). A guest that does not report is a
 * failed check, not an error. Also VMP_ESYS when libvirt refuses a domain or on SIGINT or
 * SIGTERM (the guests destroyed first); VMP_ENOTFOUND without the kernel or vmplan-guest.
 *
 * @param out  the run; the caller frees it with vmp_bench_run_free()
 * @param plan the plan
 * @param host the live host (vmp_probe_live())
 * @param opts options, or NULL for the defaults
 * @return VMP_OK; VMP_EINVAL when the plan was made for another host (its fingerprint
 *         differs; opts->force runs it anyway), when it pins to CPUs or binds to nodes
 *         the host lacks, or places no VM, or for bad options; VMP_ENOMEM; VMP_ESYS when
 *         a thread cannot be started or bound, or memory cannot be bound
 */
int vmp_bench_run_plan(vmp_bench_run **out, const vmp_plan *plan, const vmp_host *host,
		       const vmp_bench_options *opts);

/** Free a run; NULL is fine. */
void vmp_bench_run_free(vmp_bench_run *run);

/** The result of vm, workload and variant in run, or NULL. Borrowed from run. */
const vmp_bench_result *vmp_bench_find(const vmp_bench_run *run, const char *vm,
				       vmp_bench_workload w, vmp_bench_variant variant);

/* The gate's judgement of one metric of one VM: the plan's samples against a baseline's. */
typedef struct vmp_bench_judgement {
	vmp_bench_verdict verdict;
	double ratio;        /* how much better the plan is, > 1 better: the ratio of the medians,
			      * plan/baseline where more is better, baseline/plan where less is */
	double ci_lo, ci_hi; /* the confidence interval of that ratio; NAN when too few samples */
	double confidence;   /* the interval's exact coverage (>= VMP_BENCH_CONFIDENCE); 0 when
			      * there is none */
	int nplan, nbase;    /* the samples used (finite and positive) */
} vmp_bench_judgement;

/**
 * Judge a plan against a baseline from their samples (any order), the engines' common gate.
 *
 * The interval is the distribution-free one of the Hodges-Lehmann shift of the logarithms
 * (the Mann-Whitney test inverted: order statistics of the nplan * nbase pairwise log
 * ratios, exact null distribution up to 2500 pairs, normal approximation beyond), at least
 * VMP_BENCH_CONFIDENCE two-sided, turned into a ratio and direction. Verdicts, with t =
 * threshold_pct / 100: better when ci_lo > 1; same when ci_lo >= 1 - t; worse when ci_hi < 1
 * (and ci_lo < 1 - t); else inconclusive, as when the samples cannot give such an interval
 * (fewer than 4 per side when equal: 3 and 3 can at best give 90%).
 *
 * @param out  the judgement
 * @param plan the plan's samples, nplan of them (non-finite or <= 0 ones are left out)
 * @param base the baseline's, nbase of them
 * @param higher_is_better the metric's direction
 * @param threshold_pct the loss tolerated as the same, in percent (0 to 100)
 * @return VMP_OK; VMP_EINVAL for a bad threshold or count; VMP_ENOMEM
 */
int vmp_bench_judge(vmp_bench_judgement *out, const double *plan, int nplan, const double *base,
		    int nbase, bool higher_is_better, double threshold_pct);

/**
 * vmp_bench_judge() on two results' samples (plan->higher_is_better gives the direction);
 * results without samples (from the history) are inconclusive.
 * @return the verdict (inconclusive also when out of memory)
 */
vmp_bench_verdict vmp_bench_compare(vmp_bench_judgement *out, const vmp_bench_result *plan,
				    const vmp_bench_result *base, double threshold_pct);

/* "same", "better", "worse", "inconclusive". */
const char *vmp_bench_verdict_name(vmp_bench_verdict v);

/**
 * Mark a run whose performance figures say nothing about the hardware (a guest under
 * software emulation): the gate then judges only the checks. reason: what to say, e.g.
 * "software emulation (TCG)".
 */
void vmp_bench_run_perf_not_judged(vmp_bench_run *run, const char *reason);

/* One VM's gate: its primary metric against one baseline. */
typedef struct vmp_bench_gate_item {
	char vm[VMP_NAME_MAX];
	vmp_bench_workload workload; /* the primary workload */
	vmp_bench_variant baseline;
	double plan, base;     /* medians */
	vmp_bench_judgement j; /* ratio, interval, verdict */
} vmp_bench_gate_item;

/**
 * The gate: every VM's primary metric (vmp_bench_result.primary) judged against each
 * baseline by vmp_bench_judge() at the run's threshold, no verdict worse or inconclusive;
 * every VM that ran judged (a primary metric compared with at least one baseline's: one
 * that is not fails the gate, and results.json lists it under gate.not_judged); and every
 * check ok. Where run->perf_not_judged is set, only the checks decide (no items).
 * @param out  the items, one per VM and baseline (caller frees with free()); may be NULL
 * @param n    how many
 * @return true when the gate passes
 */
bool vmp_bench_gate(vmp_bench_gate_item **out, int *n, const vmp_bench_run *run);

/**
 * The run, its gate and (where given) its regressions as JSON (results.json, schema 1).
 * @param out the text; the caller frees it with free()
 * @return VMP_OK or VMP_ENOMEM
 */
struct vmp_bench_regression;
int vmp_bench_to_json(char **out, const vmp_bench_run *run, const struct vmp_bench_regression *regs,
		      int nregs);

/**
 * The gate of either engine. Host engine: vmp_bench_gate(). Guest engine: every guest check
 * ok (skipped ones count as ok) and, where performance was judged (KVM: run->perf_judged),
 * vmp_bench_gate() as well; under TCG the checks alone decide.
 * @return true when the gate passes
 */
bool vmp_bench_engine_gate(const vmp_bench_run *run);

/**
 * vmp_bench_to_json() with the engine's fields added: "engine", "accel", "decided_by"
 * ("placement and topology checks" under TCG, "checks and performance" otherwise),
 * "performance_judged", "gate_pass" and, for the guest engine, "guest_checks".
 * @param out the text; the caller frees it with free()
 * @return VMP_OK or VMP_ENOMEM
 */
int vmp_bench_report_json(char **out, const vmp_bench_run *run,
			  const struct vmp_bench_regression *regs, int nregs);

/* ---- the history (schema in vmplan/history.h) ---- */

typedef struct vmp_history vmp_history;

/**
 * Open a history database, creating it (and its schema) when the file is missing or empty.
 * @return VMP_OK; VMP_EINVAL when the file is not SQLite or has another schema version
 *         (meta 'schema'); VMP_ESYS when SQLite fails
 */
int vmp_history_open(vmp_history **out, const char *path);

/** Close it; NULL is fine. */
void vmp_history_close(vmp_history *h);

/**
 * Store a run and all its results in one transaction.
 * @param id the new run's id (may be NULL)
 * @return VMP_OK or VMP_ESYS
 */
int vmp_history_store(vmp_history *h, const vmp_bench_run *run, int64_t *id);

/**
 * Read a stored run back (results without samples; no checks).
 * @return VMP_OK, VMP_ENOTFOUND for an unknown id, VMP_EINVAL for a stored value this
 *         version does not know, VMP_ESYS, VMP_ENOMEM
 */
int vmp_history_load(vmp_bench_run **out, vmp_history *h, int64_t id);

/**
 * Remove the runs (and their results) started more than keep_days days ago, in one
 * transaction.
 * @param removed how many runs were removed
 * @return VMP_OK, VMP_EINVAL for keep_days < 1, VMP_ESYS
 */
int vmp_history_prune(int *removed, vmp_history *h, int keep_days);

/* A metric of the new run against the median of the same metric in the last runs. */
typedef struct vmp_bench_regression {
	char vm[VMP_NAME_MAX];
	vmp_bench_workload workload;
	vmp_bench_variant variant;
	double now;        /* the new run's median */
	double history;    /* the median of the medians of the last runs */
	int runs;          /* how many runs had the metric */
	double change_pct; /* signed: negative is worse, whatever the direction */
	bool regressed;    /* fell by more than the threshold */
} vmp_bench_regression;

/**
 * Compare every result of the plan variant of run (baselines float by design and are left
 * out) with the median of the same VM, workload and metric of the plan variant over the
 * last `last` runs of the same host fingerprint, plan hash, engine, reps and seconds (newest by
 * started_at, then id; the run itself excluded when stored, by exclude_id). A metric
 * regressed when it is worse than that median by more than threshold_pct percent.
 * Metrics with no history get no entry.
 * @param out    the comparisons (caller frees with free())
 * @param n      how many
 * @param exclude_id a run id to leave out (the run just stored), or -1
 * @return VMP_OK, VMP_EINVAL for last < 1 or a negative threshold, VMP_ESYS, VMP_ENOMEM
 */
int vmp_history_compare(vmp_bench_regression **out, int *n, vmp_history *h,
			const vmp_bench_run *run, int last, double threshold_pct,
			int64_t exclude_id);

#endif
