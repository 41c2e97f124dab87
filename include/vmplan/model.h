/* The one data model of vmplan: the host, the VM requests and the plan. */
#ifndef VMPLAN_MODEL_H
#define VMPLAN_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmplan/cpuset.h"

#define VMP_NAME_MAX 128     /* bytes of a VM or host name, with the NUL */
#define VMP_REASON_MAX 512   /* bytes of a "why not placed" text */
#define VMP_PAGESIZES_MAX 4  /* hugepage sizes tracked per NUMA node */
#define VMP_MAX_VCPUS 1024   /* the most vCPUs one VM may ask for */
#define VMP_MAX_CELLS 64     /* the most guest NUMA cells of one VM */

/* Where a host model came from. */
typedef enum vmp_host_source {
	VMP_SOURCE_LIVE = 0,  /* probed on the running host */
	VMP_SOURCE_XML,       /* an hwloc XML file */
	VMP_SOURCE_SYNTHETIC, /* an hwloc synthetic description */
	VMP_SOURCE_FSROOT,    /* a sysfs/procfs snapshot */
	VMP_SOURCE_LIBVIRT,   /* libvirt capabilities */
	VMP_SOURCE_JSON       /* a saved host.json */
} vmp_host_source;

/* One hugepage pool of a NUMA node. */
typedef struct vmp_hugepages {
	uint64_t size_kib; /* page size, e.g. 2048 or 1048576 */
	uint64_t total;    /* pages in the pool */
	uint64_t free;     /* pages not in use */
} vmp_hugepages;

typedef struct vmp_package {
	int id;          /* OS (physical) package id */
	vmp_cpuset cpus; /* PUs (OS indexes) of the package */
} vmp_package;

typedef struct vmp_node {
	int id;                /* OS NUMA node number, as libvirt and numactl name it */
	vmp_cpuset cpus;       /* PUs local to the node; empty for a memory-only node */
	uint64_t memory_bytes; /* local memory */
	uint64_t free_bytes;   /* free local memory; equals memory_bytes where unknown */
	int nhugepages;
	vmp_hugepages hugepages[VMP_PAGESIZES_MAX];
} vmp_node;

/* A last-level (L3) cache domain. */
typedef struct vmp_cache {
	int id;              /* cache id as resctrl and libvirt name it (logical index) */
	uint64_t size_bytes; /* 0 where unknown */
	vmp_cpuset cpus;     /* PUs that share it */
} vmp_cache;

typedef struct vmp_core {
	int id;          /* logical core index, unique on the host */
	int package;     /* index into vmp_host.packages */
	int node;        /* index into vmp_host.nodes of the node the core's PUs belong to */
	int l3;          /* index into vmp_host.l3s, or -1 without an L3 */
	vmp_cpuset pus;  /* SMT siblings (OS indexes) */
} vmp_core;

typedef struct vmp_pu {
	int os_index; /* the CPU number the kernel and libvirt use */
	int core;     /* index into vmp_host.cores */
	int l3;       /* index into vmp_host.l3s, or -1 */
	int node;     /* index into vmp_host.nodes */
	int package;  /* index into vmp_host.packages */
	int kind;     /* CPU kind (hybrid P/E): 0 where the host has one kind */
} vmp_pu;

/*
 * A host: everything the planner knows. Arrays are owned by the host and
 * released by vmp_host_free(). Objects refer to each other by index into
 * these arrays; the OS numbers live in the objects' id/os_index fields.
 * Arrays are sorted: packages, nodes and caches by id, cores by first PU,
 * PUs by os_index.
 */
typedef struct vmp_host {
	char hostname[VMP_NAME_MAX];
	vmp_host_source source;

	int npackages;
	vmp_package *packages;
	int nnodes;
	vmp_node *nodes;
	int nl3;
	vmp_cache *l3s;
	int ncores;
	vmp_core *cores;
	int npus;
	vmp_pu *pus;

	/* nnodes * nnodes relative distances (10 = local), row-major by node
	 * index; NULL where unknown. */
	uint32_t *distances;

	vmp_cpuset online;   /* PUs that can run vCPUs */
	vmp_cpuset reserved; /* housekeeping PUs no dedicated vCPU may use */
} vmp_host;

/* How a VM's vCPUs use SMT siblings. */
typedef enum vmp_thread_policy {
	VMP_THREADS_PREFER = 0, /* siblings of one core may hold two vCPUs of this VM */
	VMP_THREADS_ISOLATE,    /* one vCPU per core; the sibling stays idle, given to no one */
	VMP_THREADS_REQUIRE     /* only whole sibling sets, every thread a vCPU */
} vmp_thread_policy;

/* Where the emulator thread runs. */
typedef enum vmp_emulator_policy {
	VMP_EMULATOR_SHARE = 0, /* on the VM's own pCPUs */
	VMP_EMULATOR_ISOLATE    /* on the housekeeping (reserved) PUs */
} vmp_emulator_policy;

/* One VM as the user asks for it. */
typedef struct vmp_vm_request {
	char name[VMP_NAME_MAX];
	unsigned vcpus;
	uint64_t memory_bytes;
	vmp_thread_policy threads;
	vmp_emulator_policy emulator;
	unsigned numa_cells;     /* guest cells wanted; 0 lets the planner choose */
	uint64_t hugepage_bytes; /* back memory with pages of this size; 0 for none */
} vmp_vm_request;

/* One guest NUMA cell and the host node that backs it. */
typedef struct vmp_plan_cell {
	int host_node;         /* OS id of the host node */
	vmp_cpuset vcpus;      /* guest vCPU numbers of the cell */
	uint64_t memory_bytes; /* guest memory of the cell */
} vmp_plan_cell;

/* The decision for one VM. */
typedef struct vmp_plan_vm {
	vmp_vm_request req;
	bool placed;
	char reason[VMP_REASON_MAX]; /* why not placed; "" when placed */
	int *vcpupin;                /* req.vcpus host PU numbers, vCPU i on vcpupin[i] */
	vmp_cpuset pcpus;            /* the union of vcpupin */
	vmp_cpuset emulatorpin;
	int ncells;
	vmp_plan_cell cells[VMP_MAX_CELLS];
	/* Guest CPU topology; sockets * dies * cores * threads == vcpus. */
	unsigned sockets, dies, cores, threads;
	double score; /* higher is better; see the planner's objective */
} vmp_plan_vm;

/* A plan for a set of VMs on one host. Owned arrays; vmp_plan_free(). */
typedef struct vmp_plan {
	int schema;          /* VMP_PLAN_SCHEMA */
	char host[17];       /* vmp_host_fingerprint() of the host planned on */
	char hostname[VMP_NAME_MAX];
	int nvms;
	vmp_plan_vm *vms;
} vmp_plan;

#define VMP_HOST_SCHEMA 1
#define VMP_PLAN_SCHEMA 1

/** Allocate an empty host; VMP_OK or VMP_ENOMEM. */
int vmp_host_new(vmp_host **out);
/** Free a host and its arrays; NULL is fine. */
void vmp_host_free(vmp_host *host);
/** Index into host->nodes of the node with OS id, or -1. */
int vmp_host_node_index(const vmp_host *host, int id);
/** Index into host->pus of the PU with OS index, or -1. */
int vmp_host_pu_index(const vmp_host *host, int os_index);
/** Distance between node indexes a and b: the table's value, or 10/20 (local/remote) when unknown. */
uint32_t vmp_host_distance(const vmp_host *host, int a, int b);
/**
 * Check a host's internal consistency (indexes in range, PUs of a core on
 * one node, ...). A loader calls it before handing a host out.
 * @return VMP_OK, or VMP_EINVAL with a message naming the first problem
 */
int vmp_host_check(const vmp_host *host);
/**
 * Write a fingerprint of the host's topology (packages, nodes with their
 * CPUs and memory, caches, cores, PUs): a 64-bit FNV-1a hash of a canonical
 * serialisation, as 16 hex characters and a NUL. Free memory and hugepages
 * in use do not change it; a different shape does.
 */
void vmp_host_fingerprint(char out[17], const vmp_host *host);

/** Free a plan and everything in it; NULL is fine. */
void vmp_plan_free(vmp_plan *plan);

#endif
