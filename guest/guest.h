/* The guest program's parts: its parameters, the guest's own topology, workloads, the result. */
#ifndef VMPLAN_GUEST_GUEST_H
#define VMPLAN_GUEST_GUEST_H

/*
 * vmplan-guest is PID 1 of the initramfs vmplan writes (bench/guest_image.c). It uses only
 * libc, Linux system calls and the measurement engine (probes/engine.h); nothing else of
 * vmplan, so that it links statically on its own.
 *
 * Errors: functions return 0 or -1 and write a message (lowercase, the problem first) into
 * the caller's buffer err of GUEST_ERR_BYTES.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define GUEST_ERR_BYTES     256
#define GUEST_NAME_BYTES    64
#define GUEST_MAX_NODES     64
#define GUEST_MAX_CPUS      1024
#define GUEST_MAX_HUGE      4 /* page sizes per node */
#define GUEST_MAX_SAMPLES   1000
#define GUEST_CPULIST_BYTES 256

/* The workloads, in the order they run and are written. */
enum guest_workload {
	GUEST_STREAM,  /* triad GB/s of one worker per vCPU, each on memory of its vCPU's node */
	GUEST_LATENCY, /* ns per dependent load, a chase on the first vCPU over its node's memory */
	GUEST_C2C,     /* ns one way of a line bounced between the first and the last vCPU */
	GUEST_COMPUTE, /* Gop/s of engine_compute() summed over every vCPU */
	GUEST_NOISY,   /* the latency chase while every other vCPU streams memory */
	GUEST_NWORKLOADS
};

/* The parameters on the kernel command line (vmplan.vm= ...). */
struct guest_params {
	char vm[GUEST_NAME_BYTES];        /* vmplan.vm: letters, digits, '.', '_', '-' */
	bool workloads[GUEST_NWORKLOADS]; /* vmplan.workloads: a comma-separated list */
	double seconds;                   /* vmplan.seconds: per repetition (default 1) */
	int reps;                         /* vmplan.reps: repetitions (default 3) */
};

struct guest_hugepages {
	unsigned long size_kib;
	unsigned long total;
};

struct guest_node {
	int id;
	char cpulist[GUEST_CPULIST_BYTES]; /* as sysfs writes it, e.g. "0-1" */
	unsigned long long memory_bytes;   /* MemTotal */
	int nhuge;
	struct guest_hugepages huge[GUEST_MAX_HUGE];
};

/* The guest's own view, from sysfs. */
struct guest_topology {
	int nnodes;
	struct guest_node nodes[GUEST_MAX_NODES]; /* by id, ascending */
	int distances[GUEST_MAX_NODES]
		     [GUEST_MAX_NODES]; /* [i][j] of nodes[i], nodes[j]; 0: unknown */
	int ncpus;                      /* online CPUs */
	int cpus[GUEST_MAX_CPUS];       /* their OS indexes, ascending */
	int cpu_node[GUEST_MAX_CPUS];   /* the node id of cpus[k] */
	/* libvirt's <topology> terms: sockets, dies per socket, cores per die, threads per core */
	int sockets, dies, cores, threads;
};

/* The samples of one workload. */
struct guest_metric {
	bool ran;
	int nsamples;
	double samples[GUEST_MAX_SAMPLES];
};

struct guest_results {
	struct guest_metric m[GUEST_NWORKLOADS];
};

/* "stream", "latency", "c2c", "compute", "noisy". */
const char *guest_workload_name(enum guest_workload w);

/**
 * Read the parameters from ROOT/proc/cmdline (root "" for the live system). Unknown words
 * are the kernel's and ignored; a vmplan.* value that is malformed is an error.
 * @return 0, or -1 with err set
 */
int guest_params_read(struct guest_params *out, const char *root, char *err);

/** Parse a command line (the text of /proc/cmdline) as guest_params_read() does. */
int guest_params_parse(struct guest_params *out, const char *cmdline, char *err);

/**
 * Read the guest's topology from ROOT/sys/devices/system/{node,cpu} (root "" for the live
 * system). Without node directories (a kernel without NUMA) it is one node 0 holding every
 * online CPU and ROOT/proc/meminfo's MemTotal.
 * @return 0, or -1 with err set
 */
int guest_topology_read(struct guest_topology *out, const char *root, char *err);

/**
 * Run the workloads p asks for, p->reps times each, on the CPUs of t; what ran lands in out
 * even when one fails.
 * @return 0, or -1 with err set (the workload that failed, and why)
 */
int guest_workloads_run(struct guest_results *out, const struct guest_params *p,
			const struct guest_topology *t, char *err);

/**
 * Write the result line, "VMPLAN-RESULT " and one line of JSON, ending in a newline.
 * @param vm    the VM's name (may be "" when the command line could not be read)
 * @param t     the topology, or NULL when unknown (written as null)
 * @param r     the results, or NULL (an empty "workloads" object)
 * @param error NULL on success, else the message
 */
void guest_result_write(FILE *f, const char *vm, const struct guest_topology *t,
			const struct guest_results *r, const char *error);

#endif
