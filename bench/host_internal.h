/* The host bench's emulated guests, shared by bench/run.c and bench/host_*.c. */
#ifndef VMPLAN_BENCH_HOST_INTERNAL_H
#define VMPLAN_BENCH_HOST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/engine.h"
#include "vmplan/bench.h"

#define MIB         ((size_t)1 << 20)
#define HUGE_2M     (2 * MIB)
#define MAX_NODE_ID 1024 /* bits of the node mask given to mbind */

/* What a thread of the emulation stands for. */
enum tkind { T_VCPU, T_EMULATOR, T_IOTHREAD, T_ANTAGONIST };

/* The jobs the emulation's threads do together (JOB_NONE: the start, a CPU sample only). */
enum job { JOB_NONE, JOB_TOUCH, JOB_PREPARE, JOB_RUN };

/* One guest cell's memory (or an antagonist's). */
struct region {
	void *raw;
	size_t raw_bytes;
	char *p;
	size_t bytes;
	size_t used; /* the bytes from p shared out to threads, which touch them */
	bool huge;   /* MAP_HUGETLB */
};

struct emulation;

/* One emulated thread: a vCPU, an emulator or I/O thread, or an antagonist. */
struct gthread {
	struct emulation *e;
	enum tkind kind;
	int vm;    /* index into e->vms; -1 for an antagonist */
	int index; /* vCPU or I/O thread number */
	bool pin;
	vmp_cpuset cpus;
	/* the vCPU's (or antagonist's) share of memory: three arrays of elems doubles */
	double *a, *b, *c;
	size_t elems;
	size_t share_bytes;
	void *chase_at;
	engine_pingpong *pp;
	int pp_role; /* 0 none, 1 initiator, 2 responder */
	double value;
	bool has_value;
	double sink;
	vmp_cpuset seen;    /* the CPUs it was seen on */
	vmp_cpuset allowed; /* its affinity as the kernel reports it (Cpus_allowed_list) */
	bool allowed_read;  /* allowed was read */
};

/* One placed VM of the plan. */
struct gvm {
	const vmp_plan_vm *vm;
	int first; /* index of its first vCPU thread */
	int nvcpus;
	int ncells;
	struct region cells[VMP_MAX_CELLS];
	int npairs;
	engine_pingpong *pairs; /* c2c: vCPU v with v + nvcpus / 2 */
};

/* Every placed VM of a plan (and the antagonist) emulated under one variant. */
struct emulation {
	const vmp_host *host;
	const vmp_plan *plan;
	vmp_bench_variant variant;
	engine_triad_fn triad;
	void *(*chase)(void *start, size_t steps);
	int nvms;
	struct gvm *vms;
	int nthreads;
	struct gthread *t;
	struct region *antagonist_mem;
	int nantagonists;
	engine_team *team; /* one worker per thread, started */
	vmp_bench_workload workload;
	double deadline;
	char **notes;
	size_t *notes_len;
};

/* What every variant of a bench shares. */
struct setup {
	const vmp_bench_options *o;
	bool antagonist;
	int *online; /* the online CPUs, nonline of them */
	int nonline;
	vmp_cpuset process_cpus; /* the process's affinity: what an unpinned thread may use */
};

/* Add a line to notes, unless it is there already (bench/run.c). */
void bench_add_note(char **notes, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Build the threads and memory of a plan's VMs under a variant and start the threads
 * (bench/host_setup.c). Notes go to *notes. The caller frees *out with emulation_free().
 */
int emulation_new(struct emulation **out, const vmp_plan *plan, const vmp_host *host,
		  vmp_bench_variant variant, const struct setup *s, char **notes,
		  size_t *notes_len);

/* Run a job on every thread; JOB_RUN lasts seconds. */
void emulation_job(struct emulation *e, enum job job, double seconds);

/* Stop the threads and free everything; NULL is fine. */
void emulation_free(struct emulation *e);

/* What a thread does for a job: the team's job function (bench/host_jobs.c). */
void host_thread_job(engine_worker *w, int job);

/*
 * Record where the plan variant's threads ran, their affinity, where its memory is and how
 * it is bound, and whether the plan gives two dedicated vCPUs one CPU (bench/host_checks.c).
 */
int host_record_checks(struct emulation *e, vmp_bench_run *run, const struct setup *s);

/* Record a baseline's threads' affinity against what the baseline means (bench/host_checks.c). */
int host_record_baseline_checks(struct emulation *e, vmp_bench_run *run, const struct setup *s);

#endif
