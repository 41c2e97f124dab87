/* The one data model of vmplan: the host, the VM requests and the plan. */
#ifndef VMPLAN_MODEL_H
#define VMPLAN_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmplan/cpuset.h"

#define VMP_NAME_MAX      128  /* bytes of a VM or host name, with the NUL */
#define VMP_REASON_MAX    512  /* bytes of a "why not placed" text */
#define VMP_PAGESIZES_MAX 4    /* hugepage sizes tracked per NUMA node */
#define VMP_MAX_VCPUS     1024 /* the most vCPUs one VM may ask for */
#define VMP_MAX_CELLS     64   /* the most guest NUMA cells of one VM */

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
	int id;         /* logical core index, unique on the host */
	int package;    /* index into vmp_host.packages */
	int node;       /* index into vmp_host.nodes of the node the core's PUs belong to */
	int l3;         /* index into vmp_host.l3s, or -1 without an L3 */
	vmp_cpuset pus; /* SMT siblings (OS indexes) */
} vmp_core;

typedef struct vmp_pu {
	int os_index; /* the CPU number the kernel and libvirt use */
	int core;     /* index into vmp_host.cores */
	int l3;       /* index into vmp_host.l3s, or -1 */
	int node;     /* index into vmp_host.nodes */
	int package;  /* index into vmp_host.packages */
	int kind;     /* CPU kind (hybrid P/E): 0 where the host has one kind */
} vmp_pu;

/* Most cache or memory-bandwidth domains one resctrl resource tracks. */
#define VMP_RDT_DOMAINS_MAX 64

/* One resctrl domain of a cache resource. */
typedef struct vmp_rdt_domain {
	int id;             /* the domain id in schemata lines (the cache id) */
	uint64_t used_mask; /* ways that the default group or existing groups hold exclusively
			     * or that the planner must otherwise not hand out */
	/* Ways the default (root) group holds now: libvirt takes none of them for a new
	 * group until vmplan hostprep shrinks it. The whole cbm_mask on a fresh mount and in a
	 * host.json without the key; 0 where nothing is known (libvirt capabilities). */
	uint64_t default_mask;
} vmp_rdt_domain;

/* A resctrl cache allocation resource: L3 or L2 (with CDP, code and data share the masks). */
typedef struct vmp_rdt_cache {
	bool present;
	bool cdp;                /* code/data prioritisation on (L3CODE/L3DATA) */
	uint64_t cbm_mask;       /* all ways, e.g. 0x7ff */
	unsigned min_cbm_bits;   /* the fewest contiguous ways a group may hold */
	unsigned num_closids;    /* classes of service, the default group included */
	uint64_t shareable_bits; /* ways other agents (I/O) may use too */
	int ndomains;
	vmp_rdt_domain domains[VMP_RDT_DOMAINS_MAX];
} vmp_rdt_cache;

/* How memory-bandwidth values are expressed. */
typedef enum vmp_mb_unit {
	VMP_MB_PERCENT = 0, /* Intel MBA: percent of the link */
	VMP_MB_AMD_GBS8,    /* AMD: multiples of 1/8 GB/s */
	VMP_MB_MBPS         /* the mba_MBps mount option: MB/s */
} vmp_mb_unit;

/* The resctrl memory-bandwidth resource (MB). */
typedef struct vmp_rdt_mb {
	bool present;
	unsigned min_bandwidth;  /* the smallest value a group may be given */
	unsigned bandwidth_gran; /* values are multiples of this */
	bool delay_linear;
	vmp_mb_unit unit;
	unsigned num_closids; /* classes of service; 0: not known (libvirt without maxAllocs) */
	int ndomains;
	int domain_ids[VMP_RDT_DOMAINS_MAX];
} vmp_rdt_mb;

typedef struct vmp_resctrl {
	bool present; /* resctrl mounted (or found under the fsroot) */
	vmp_rdt_cache l3, l2;
	vmp_rdt_mb mb;
	unsigned groups_used; /* CLOSIDs already taken, the default group included */
	/* A planning policy, never saved (suggest --resctrl-default keep): the default group
	 * keeps its ways, so the planner gives out none of them. */
	bool keep_default;
} vmp_resctrl;

/* A PCI device and its locality. */
typedef struct vmp_device {
	char name[64]; /* the OS name (eth0, nvme0n1) or the PCI address */
	char pci[16];  /* PCI address, dddd:bb:dd.f */
	char kind[16]; /* "net", "nvme", "gpu", "storage", "other" */
	int node;      /* index into vmp_host.nodes of the nearest node, or -1 */
} vmp_device;

/* A VM that already runs (or is defined) on the host, from libvirt. */
typedef struct vmp_existing_vm {
	char name[VMP_NAME_MAX];
	vmp_cpuset cpus; /* PUs its vCPUs (and emulator, iothreads) are pinned to */
	uint64_t memory_bytes;
	vmp_cpuset nodes; /* OS ids of the nodes its memory is bound to; empty if unbound */
	int guest_cells;  /* its guest NUMA cells (<cpu><numa>; 1 without any); 0 where unknown */
} vmp_existing_vm;

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
	vmp_cpuset isolated; /* the kernel's isolcpus= set (/sys/devices/system/cpu/isolated) */
	vmp_cpuset nohz_full;
	vmp_cpuset used; /* PUs pinned by existing VMs; no dedicated vCPU goes there */

	vmp_resctrl resctrl;

	int ndevices;
	vmp_device *devices;
	int nexisting;
	vmp_existing_vm *existing;

	/* Measured (probe --measure), nnodes * nnodes, threads on row node, memory on
	 * column node; NULL where not measured. */
	double *read_gbs;
	double *triad_gbs;
	double *latency_ns;
	/* Core-to-core latency, npus * npus by PU index; NaN for pairs not measured;
	 * NULL where not measured. */
	double *c2c_ns;
	char cpu_model[96]; /* the processor's model name ("" where unknown) */
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

/* Dedicated pCPUs per vCPU, or a share of a common pool. */
typedef enum vmp_cpu_policy { VMP_CPU_DEDICATED = 0, VMP_CPU_SHARED } vmp_cpu_policy;

/* numatune memory mode. */
typedef enum vmp_mem_mode {
	VMP_MEM_STRICT = 0,
	VMP_MEM_INTERLEAVE,
	VMP_MEM_PREFERRED,
	VMP_MEM_RESTRICTIVE
} vmp_mem_mode;

/* Where I/O threads run. */
typedef enum vmp_iothread_policy {
	VMP_IOTHREADS_HOUSEKEEPING = 0, /* on the reserved PUs */
	VMP_IOTHREADS_NEAR_DEVICE       /* on free PUs of the node nearest the VM's device */
} vmp_iothread_policy;

/* Real-time and batch schedulers for vCPUs (libvirt vcpusched). */
typedef enum vmp_sched {
	VMP_SCHED_NONE = 0,
	VMP_SCHED_FIFO,
	VMP_SCHED_RR,
	VMP_SCHED_BATCH,
	VMP_SCHED_IDLE
} vmp_sched;

/* <cpu><cache mode>; NONE writes no element. */
typedef enum vmp_cache_mode {
	VMP_CACHE_NONE = 0,
	VMP_CACHE_PASSTHROUGH,
	VMP_CACHE_EMULATE,
	VMP_CACHE_DISABLE
} vmp_cache_mode;

/* <memoryBacking><access mode> and the cells' memAccess; DEFAULT writes nothing. */
typedef enum vmp_mem_access {
	VMP_ACCESS_DEFAULT = 0,
	VMP_ACCESS_SHARED,
	VMP_ACCESS_PRIVATE
} vmp_mem_access;

/* <memoryBacking><source type>; DEFAULT writes nothing. */
typedef enum vmp_mem_source {
	VMP_SOURCE_MEM_DEFAULT = 0,
	VMP_SOURCE_MEM_ANONYMOUS,
	VMP_SOURCE_MEM_FILE,
	VMP_SOURCE_MEM_MEMFD
} vmp_mem_source;

/* <memoryBacking><allocation mode>; DEFAULT writes nothing. */
typedef enum vmp_mem_allocation {
	VMP_ALLOC_DEFAULT = 0,
	VMP_ALLOC_IMMEDIATE,
	VMP_ALLOC_ONDEMAND
} vmp_mem_allocation;

/* One VM as the user asks for it (from --vm, a mix file and its profile). */
typedef struct vmp_vm_request {
	char name[VMP_NAME_MAX];
	char profile[64]; /* the profile it came from, or "" */
	unsigned vcpus;
	uint64_t memory_bytes;
	vmp_cpu_policy cpu;
	vmp_thread_policy threads;
	vmp_emulator_policy emulator;
	unsigned numa_cells; /* guest cells wanted; 0 lets the planner choose */
	vmp_mem_mode mem_mode;
	uint64_t hugepage_bytes; /* back memory with pages of this size; 0 for none */
	bool mem_locked;         /* <memoryBacking><locked/> */
	bool nosharepages;       /* <memoryBacking><nosharepages/> (no KSM) */
	uint64_t hard_limit_bytes, soft_limit_bytes, swap_hard_limit_bytes, min_guarantee_bytes;
	unsigned iothreads;
	vmp_iothread_policy iothread_policy;
	char device[64];        /* a device the VM uses (PCI address or name), or "" */
	uint64_t cache_bytes;   /* L3 to allocate in each L3 domain the VM uses; 0 for none */
	unsigned membw_percent; /* memory bandwidth cap in percent; 0 for none */
	uint64_t membw_mbps;    /* or an absolute cap in MB/s; 0 for none */
	vmp_sched vcpu_sched;
	int vcpu_priority;  /* for fifo/rr, 1-99 */
	unsigned shares;    /* cputune shares for shared VMs; 0 for libvirt's default */
	uint64_t period_us; /* cputune period; 0 for none */
	int64_t quota_us;   /* cputune quota; 0 for none, -1 unlimited */
	int priority;       /* placement weight: higher is placed first (default 0) */
	bool efi;           /* UEFI firmware */
	bool secure_boot;
	char loader[256]; /* an explicit firmware image (pflash), or "" */
	char nvram[256];  /* its variable store, or "" */
	vmp_cache_mode cpu_cache;
	vmp_mem_access mem_access;
	vmp_mem_source mem_source;
	vmp_mem_allocation mem_allocation;
	bool mem_discard;         /* discard freed guest memory (memoryBacking and cells) */
	vmp_sched emulator_sched; /* scheduler of the emulator thread (priority: vcpu_priority) */
	vmp_sched iothread_sched; /* scheduler of the I/O threads (priority: vcpu_priority) */
	uint64_t global_period_us, emulator_period_us, iothread_period_us; /* 0 for none */
	int64_t global_quota_us, emulator_quota_us, iothread_quota_us; /* 0 none, -1 unlimited */
	unsigned bench_workloads; /* the bench's workloads: bit i for the key bench_workloads'
				   * i-th value name (request.h); 0 for the default */
	char host_label[64];      /* fleets: only hosts with this label (fleet.yaml); "" for any */
	char group[64];    /* fleets: anti-affinity group, members on different hosts; "" none */
	char together[64]; /* fleets: keep-together group, members on one host; "" none */
} vmp_vm_request;

/* One guest NUMA cell and the host node that backs it. */
typedef struct vmp_plan_cell {
	int host_node;         /* OS id of the host node */
	vmp_cpuset vcpus;      /* guest vCPU numbers of the cell */
	uint64_t memory_bytes; /* guest memory of the cell */
	/* Distances to every cell of the VM (the host's between their nodes), so the guest
	 * sees the real NUMA layout; all 0 when the host's distances are unknown or the VM
	 * has one cell. */
	uint8_t distances[VMP_MAX_CELLS];
} vmp_plan_cell;

#define VMP_MAX_IOTHREADS 16
#define VMP_MAX_CACHETUNE 64

/* L3 (or L2) ways given to one VM in one cache domain. */
typedef struct vmp_plan_cachetune {
	int level;          /* 3 or 2 */
	int cache_id;       /* resctrl domain id */
	char type[8];       /* "both", or "code"/"data" under CDP */
	uint64_t ways_mask; /* contiguous ways */
	uint64_t size_bytes;
} vmp_plan_cachetune;

/* A memory-bandwidth limit in one MB domain. */
typedef struct vmp_plan_memorytune {
	int node_id;        /* resctrl MB domain id (libvirt's <node id>) */
	unsigned bandwidth; /* in the resource's unit (percent, 1/8 GB/s or MB/s) */
} vmp_plan_memorytune;

/* What refused a VM: the first resource that binds (vmp_plan_vm.bind). */
typedef enum vmp_bind {
	VMP_BIND_NONE = 0,     /* nothing: placed (for capacity: stopped at the limit) */
	VMP_BIND_CORES,        /* free dedicated CPUs (cores) */
	VMP_BIND_MEMORY,       /* memory per node */
	VMP_BIND_HUGEPAGES,    /* the hugepage pools */
	VMP_BIND_NODE_FIT,     /* CPUs and memory are free, but not together on one node */
	VMP_BIND_NUMA,         /* guest cells: not enough nodes with room for a share */
	VMP_BIND_CACHE,        /* L3 cache ways */
	VMP_BIND_CLOSIDS,      /* resctrl classes of service */
	VMP_BIND_MEMBW,        /* memory bandwidth allocation */
	VMP_BIND_HOUSEKEEPING, /* emulator=isolate and no housekeeping CPUs reserved */
	VMP_BIND_SHARED_POOL,  /* cpu=shared and no CPU left for the shared pool */
	VMP_BIND_SHAPE,        /* the shape can never fit this host (numa, whole cores) */
	VMP_BIND_OTHER         /* anything else (out of memory) */
} vmp_bind;

/* The decision for one VM. */
typedef struct vmp_plan_vm {
	vmp_vm_request req;
	bool placed;
	char reason[VMP_REASON_MAX]; /* why not placed; "" when placed */
	vmp_bind bind;               /* what refused it; VMP_BIND_NONE when placed */
	int *vcpupin;                /* req.vcpus host PU numbers, vCPU i on vcpupin[i];
				      * -1 for every vCPU of a cpu=shared VM */
	vmp_cpuset pcpus;            /* the union of vcpupin; for cpu=shared the pool the
				      * vCPUs float on */
	vmp_cpuset emulatorpin;
	/* The arrays below are owned and allocated as needed (vmp_plan_vm_reserve()), so that a
	 * VM that is not placed takes no room for them: NULL where none was needed. */
	int niothreads;
	vmp_cpuset *iothreadpin; /* niothreads, at most VMP_MAX_IOTHREADS */
	int ncachetune;
	vmp_plan_cachetune *cachetune; /* ncachetune, at most VMP_MAX_CACHETUNE */
	int nmemorytune;
	vmp_plan_memorytune *memorytune; /* nmemorytune, at most VMP_RDT_DOMAINS_MAX */
	int ncells;
	vmp_plan_cell *cells; /* ncells, at most VMP_MAX_CELLS */
	/* Room in each array: iothreadpin, cachetune, memorytune, cells. */
	int room_iothreads, room_cachetune, room_memorytune, room_cells;
	/* Guest CPU topology; sockets * dies * cores * threads == vcpus. */
	unsigned sockets, dies, cores, threads;
	double score;  /* higher is better; see the planner's objective */
	char *explain; /* why it went where it went (with --explain); NULL otherwise; owned */
} vmp_plan_vm;

#define VMP_IDENTITY_NODES_MAX 64 /* NUMA nodes a host identity records */

/* One NUMA node in a host identity (identity.h): what does not move, then what is free. */
typedef struct vmp_identity_node {
	int id;                /* OS node number */
	vmp_cpuset cpus;       /* its PUs */
	uint64_t memory_bytes; /* total memory */
	/* Free resources when the plan was made (they move; compared only for messages). */
	uint64_t free_bytes;
	int nhugepages;
	vmp_hugepages hugepages[VMP_PAGESIZES_MAX];
} vmp_identity_node;

/*
 * What makes a host the same machine (vmplan/identity.h): its shape, node memory, CPU
 * model and resctrl capabilities; and, apart, the free resources seen at plan time.
 */
typedef struct vmp_host_identity {
	bool present;         /* false for a plan.json written before identities */
	char fingerprint[17]; /* FNV-1a of the fields that do not move, 16 hex digits */
	char cpu_model[96];   /* "" where unknown */
	int npackages, ncores, nl3;
	uint64_t l3_bytes;    /* size of the first L3 domain; 0 where unknown */
	vmp_cpuset pus;       /* every PU of the host */
	bool resctrl;         /* resctrl mounted */
	uint64_t l3_cbm_mask; /* L3 ways; 0 without L3 allocation */
	unsigned l3_closids;
	bool mb;              /* memory-bandwidth allocation present */
	unsigned groups_used; /* free resource: resctrl groups taken at plan time */
	int nnodes;
	vmp_identity_node nodes[VMP_IDENTITY_NODES_MAX];
} vmp_host_identity;

/* A plan for a set of VMs on one host. Owned arrays; vmp_plan_free(). */
/* What the exact solver proved about a batch plan (planner/milp.c). */
typedef enum vmp_solver_status {
	VMP_SOLVER_NONE = 0,  /* not run: --order given, or a plan read from an older plan.json */
	VMP_SOLVER_OPTIMAL,   /* no plan places more VMs (priority-weighted): placed == bound */
	VMP_SOLVER_FEASIBLE,  /* the solver's bound is above what the plan places: the gap */
	VMP_SOLVER_HEURISTIC, /* no bound: the time budget ran out first, or the model is too big */
} vmp_solver_status;

typedef struct vmp_plan_solver {
	vmp_solver_status status;
	double placed;  /* priority-weighted VMs placed: 1 + priority each */
	double bound;   /* the most any plan could place (VMP_SOLVER_OPTIMAL, _FEASIBLE) */
	double seconds; /* time spent on the batch, heuristic and solver (not in plan.json) */
	char note[96];  /* why there is no bound (VMP_SOLVER_HEURISTIC) */
} vmp_plan_solver;

typedef struct vmp_plan {
	int schema;    /* VMP_PLAN_SCHEMA */
	char host[17]; /* vmp_host_fingerprint() of the host planned on */
	char hostname[VMP_NAME_MAX];
	int nvms;
	vmp_plan_vm *vms;
	vmp_host_identity identity; /* the host planned on (identity.h) */
	vmp_plan_solver solver;     /* batch plans: what the exact solver proved */
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
/** Distance between node indexes a and b: the table's value, or 10/20 (local/remote) when unknown.
 */
uint32_t vmp_host_distance(const vmp_host *host, int a, int b);
/**
 * How many resctrl groups the host can have, the default group included: like the kernel,
 * the fewest classes of service of any resource present (L3, L2, MB) whose count is known;
 * UINT32_MAX when none is known.
 */
unsigned vmp_resctrl_closids(const vmp_resctrl *rc);
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

/**
 * Make room in a plan entry's arrays for at least this many I/O threads, cachetune entries,
 * memorytune entries and cells (each capped at its VMP_MAX_*); what they hold is kept, new
 * room is zeroed. vmp_plan_free() frees them; an entry outside a plan is released with
 * vmp_plan_vm_release().
 *
 * @return VMP_OK, or VMP_ENOMEM with a message (the entry unchanged)
 */
int vmp_plan_vm_reserve(vmp_plan_vm *vm, int niothreads, int ncachetune, int nmemorytune,
			int ncells);

/** Free what a plan entry owns (pins, arrays, explanation) and zero them; NULL is fine. */
void vmp_plan_vm_release(vmp_plan_vm *vm);

/**
 * Find the first repeated name among n records in O(n log n): record k's name is the string
 * at names + k * stride. The first repeat is the smallest index whose name an earlier record
 * has, what a check of each record against all earlier ones stops at.
 *
 * @param out_first  that index
 * @param out_earlier the first record with the same name
 * @return 1 with both set, 0 when every name differs, VMP_ENOMEM with a message
 */
int vmp_names_first_repeat(size_t *out_first, size_t *out_earlier, const char *names, size_t n,
			   size_t stride);

#endif
