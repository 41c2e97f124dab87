/* Capacity reports' data: how many copies of each shape fit each host of a fleet. */
#ifndef VMPLAN_CAPACITY_H
#define VMPLAN_CAPACITY_H

#include <stdbool.h>
#include <stdint.h>

#include "vmplan/model.h"

/* The most copies of one shape (or of the whole mix) the capacity search counts. */
#define VMP_CAPACITY_LIMIT 1024

/*
 * The exact solver's time budget of a whole capacity report when none is given (seconds, shared
 * by every count), and the most one count takes of it then.
 */
#define VMP_CAPACITY_TIME_LIMIT_DEFAULT  60.0
#define VMP_CAPACITY_COUNT_LIMIT_DEFAULT 1.0

/* What is known about a count beyond the copies placed. */
typedef enum vmp_capacity_proof {
	VMP_CAPACITY_HEURISTIC = 0, /* the exact solver gave no bound (no time, or not run) */
	VMP_CAPACITY_OPTIMAL,       /* no plan of vmplan's kind places more: count == bound */
	VMP_CAPACITY_BOUNDED,       /* the solver ran; its bound (or the resources') is above */
} vmp_capacity_proof;

/** "optimal", "bounded" or "heuristic"; static. */
const char *vmp_capacity_proof_name(vmp_capacity_proof proof);

/** A short name of a binding resource ("cores", "memory", ...); static. */
const char *vmp_bind_name(vmp_bind bind);

/* How many copies of a unit (one shape, or a whole mix) fit a host, and what is left. */
typedef struct vmp_capacity_count {
	int count;   /* copies that the planner places all of; count + 1 copies it does not */
	bool capped; /* count reached VMP_CAPACITY_LIMIT; more may fit */
	vmp_bind bind;
	char reason[VMP_REASON_MAX]; /* the planner's reason for a VM of copy count + 1 */
	vmp_capacity_proof proof;
	/* The most copies any plan places: the exact solver's bound, or the host's free PUs,
	 * whole cores and memory over one copy's (a resource bound); -1 when neither is known. */
	int bound;
	int heuristic; /* the count of the heuristic alone (count is the better of it and the
			* exact solver's) */
	/* After count copies: */
	int free_pus;   /* PUs no vCPU, reservation, idle sibling or VM holds */
	int free_cores; /* cores all of whose PUs are free */
	uint64_t free_memory_bytes;
	uint64_t free_hugepage_bytes; /* in every hugepage pool */
	int stranded_siblings;        /* free PUs on a core another PU of which is held */
	int stranded_cpus; /* free PUs on nodes without memory for one vCPU of the unit */
	uint64_t stranded_memory_bytes; /* free memory on nodes without a free PU */
} vmp_capacity_count;

/* One NUMA node's headroom: its size and what stays free once the whole mix is placed. */
typedef struct vmp_capacity_node {
	int node; /* OS id */
	int pus, free_pus;
	uint64_t memory_bytes, free_memory_bytes;     /* outside the hugepage pools */
	uint64_t hugepage_bytes, free_hugepage_bytes; /* in every hugepage pool */
	int cache_ways, free_cache_ways;              /* L3 ways under resctrl; 0 without */
} vmp_capacity_node;

/* One host of a capacity report. */
typedef struct vmp_capacity_host {
	char label[VMP_NAME_MAX + 8]; /* its hostname, made unique in the fleet */
	char fingerprint[17];
	int npackages, nnodes, ncores, npus;
	uint64_t memory_bytes;
	/* Under policy 0: whether one whole mix is placed on this host, and then per node
	 * (nnodes entries, NULL when the mix does not fit) what stays free. */
	bool mix_fits;
	vmp_capacity_node *headroom;
} vmp_capacity_host;

/* The capacity of a fleet: per reservation policy, host and unit. */
typedef struct vmp_capacity_report {
	int nhosts;
	vmp_capacity_host *hosts;
	int nshapes; /* units 0..nshapes-1 are the shapes alone; unit nshapes the whole mix */
	vmp_vm_request *shapes;
	int npolicies; /* policy 0 is the one asked for; then auto and none where not it */
	char policies[3][64];
	vmp_capacity_count *counts; /* [policy][host][unit] */
	/* [policy][host][shape]: copies of the shape that fit beside one whole mix on the
	 * host; count 0 and the mix's own refusal as reason where the mix does not fit. */
	vmp_capacity_count *beside;
} vmp_capacity_report;

/** The count of a policy, host and unit (unit == nshapes: the whole mix); borrowed. */
const vmp_capacity_count *vmp_capacity_at(const vmp_capacity_report *r, int policy, int host,
					  int unit);

/** The copies of a shape that fit beside one whole mix (see beside); borrowed. */
const vmp_capacity_count *vmp_capacity_beside_at(const vmp_capacity_report *r, int policy, int host,
						 int shape);

/** Whether two requests ask for the same thing, names aside (one shape of a mix). */
bool vmp_capacity_same_shape(const vmp_vm_request *a, const vmp_vm_request *b);

void vmp_capacity_report_free(vmp_capacity_report *r);

#endif
