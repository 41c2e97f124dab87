/* The guest engine's parts, shared by bench/guest_*.c and their unit tests. */
#ifndef VMPLAN_BENCH_GUEST_INTERNAL_H
#define VMPLAN_BENCH_GUEST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmplan/bench.h"
#include "vmplan/model.h"

/* ---- variants (bench/guest_variant.c) ---- */

/* How one guest boots: what goes into <os>, the serial log, and what is scaled or dropped. */
typedef struct guest_boot {
	const char *domain_type;  /* "qemu" (TCG) or "kvm" */
	const char *name;         /* the domain's name, vmplan-bench-<variant>-<vm> */
	const char *kernel;       /* <kernel> */
	const char *initrd;       /* <initrd> */
	const char *serial_log;   /* <serial type='file'> and <console> write here */
	const char *workloads;    /* vmplan.workloads=, comma-separated */
	double seconds;           /* vmplan.seconds= */
	int reps;                 /* vmplan.reps= */
	uint64_t cell_bytes;      /* the most memory of one guest cell; 0: as planned */
	bool drop_hugepages;      /* the host has no free pages of the planned size */
	bool drop_resctrl;        /* drop cachetune and memorytune (TCG domains refuse them) */
	const vmp_cpuset *online; /* the host's online CPUs, for the naive variant */
} guest_boot;

/*
 * The domain XML of VM vm of the plan under a variant: vmp_export_libvirt_xml_opts() (what
 * `vmplan export` writes), then edited with libxml2: direct kernel boot, a serial log and
 * console, no disks, interfaces, firmware loader or nvram, no <memtune> hard_limit, memory
 * per cell at most b->cell_bytes, on_poweroff/on_reboot/on_crash destroy. VMP_BENCH_UNPINNED
 * drops vcpupin, emulatorpin, iothreadpin, vcpusched, emulatorsched, iothreadsched,
 * cachetune, memorytune, <vcpu cpuset> and <numatune> (the guest cells stay);
 * VMP_BENCH_NAIVE drops the same, then pins the vCPUs one per online CPU in CPU order
 * from the first, VM after VM in plan order (wrapping), with the emulator and I/O threads
 * on the VM's CPUs.
 * @param out the document; the caller frees it with free()
 * @return VMP_OK, VMP_EINVAL (VM not placed, bad index), VMP_ENOMEM
 */
int guest_variant_xml(char **out, const vmp_plan *plan, int vm, vmp_bench_variant variant,
		      const guest_boot *b);

/* The memory of one guest cell as booted: min(planned, cell_bytes) (cell_bytes 0: planned). */
uint64_t guest_cell_bytes(const vmp_plan_vm *vm, int cell, uint64_t cell_bytes);

/* ---- the guest's report (bench/guest_result.c) ---- */

#define GUEST_MAX_NODES 64

typedef struct guest_report {
	char vm[VMP_NAME_MAX];
	int nnodes;
	struct guest_node {
		int id;
		vmp_cpuset cpus;
		uint64_t memory_bytes;
	} nodes[GUEST_MAX_NODES];
	unsigned sockets, dies, cores, threads;
	int nsamples[VMP_BENCH_NWORKLOADS];
	double *samples[VMP_BENCH_NWORKLOADS]; /* owned; NULL where the workload did not run */
	char error[256];                       /* the guest's own "error", "" when null */
} guest_report;

/* The marker that opens the result line on the serial console. */
#define GUEST_RESULT_MARKER "VMPLAN-RESULT "

/**
 * Parse the JSON of a result line (the text after GUEST_RESULT_MARKER).
 * @param what names the source in messages (the log file)
 * @return VMP_OK (a guest "error" is kept in out->error, not a failure); VMP_EINVAL naming
 *         what is wrong; VMP_ENOMEM
 */
int guest_result_parse(guest_report *out, const char *json, const char *what);

/**
 * Find the last result line in a serial log and parse it.
 * @return VMP_OK; VMP_ENOTFOUND when the log has no result line (the message names the log
 *         and its last line); VMP_EINVAL as guest_result_parse(); VMP_ESYS when unreadable
 */
int guest_result_read_log(guest_report *out, const char *path);

/* Free what a report owns and zero it. */
void guest_report_clear(guest_report *r);

/* ---- checks (bench/guest_checks.c) ---- */

/* What the checks of one running VM accumulate over samples. */
typedef struct guest_checks {
	int n;
	vmp_bench_guest_check *items;
	bool *soft; /* per item: its finding may be a sample's race (a thread or mapping not
		     * there yet or any more), so a later finding replaces it */
	bool oom;
} guest_checks;

/*
 * Check one running QEMU process (pid) of a placed VM against the plan, from the host:
 * thread affinity (/proc, verify's reader), each cell's memory (numa_maps: on its node, on
 * pages of page_kib KiB where that is not 0), vCPU scheduler, cgroup CPU weight and quota,
 * the resctrl group. A check seen before (same vm and what) stays failed once it failed.
 */
void guest_check_host(guest_checks *c, const vmp_plan_vm *vm, long pid, uint64_t cell_bytes,
		      unsigned page_kib, const char *proc_root, const char *resctrl_root);

/*
 * Every vCPU thread of a cpu=dedicated VM may run only where no other vCPU thread of the
 * run (any VM) may: pids[i] is VM i's QEMU process, 0 where none runs.
 */
void guest_check_exclusive(guest_checks *c, const vmp_plan *plan, const long *pids,
			   const char *proc_root);

/* Check a guest's own report of its topology against the plan's cells and <topology>. */
void guest_check_topology(guest_checks *c, const vmp_plan_vm *vm, const guest_report *r,
			  uint64_t cell_bytes);

/* Record one check (used by the runner for a guest that did not report). */
void guest_check_add(guest_checks *c, const char *vm, const char *what, const char *source,
		     const char *expected, const char *found, bool ok, bool skipped);

/* As guest_check_add() for a failure a later sample may replace (soft), or may not fix. */
void guest_check_add_soft(guest_checks *c, const char *vm, const char *what, const char *source,
			  const char *expected, const char *found);

/* Free what the checks hold. */
void guest_checks_free(guest_checks *c);

/* ---- the run (bench/guest_run.c) ---- */

/* A note for run->notes, said once (bench/run.c). */
/* Append a variant's samples of one VM and workload to run->results (more repetitions of a
 * result there is extend it), *cap its room; VMP_ENOMEM (bench/run.c). */
int bench_add_result(vmp_bench_run *run, int *cap, const char *vm, vmp_bench_workload w,
		     vmp_bench_variant variant, const double *samples, int reps);
void bench_add_note(char **notes, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Run every variant of run->variants with real guests; add results, checks and notes to run.
 * Called by vmp_bench_run_plan() for VMP_BENCH_ENGINE_GUEST after it checked the plan and
 * options.
 */
int guest_run_variants(vmp_bench_run *run, const vmp_plan *plan, const vmp_host *host,
		       const vmp_bench_options *o, char **notes, size_t *notes_len);

#endif
