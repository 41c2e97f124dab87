/* Host preparation: what a plan assumes of its host, as files to review and runtime writes. */
#ifndef VMPLAN_HOSTPREP_H
#define VMPLAN_HOSTPREP_H

#include <stdbool.h>
#include <stddef.h>

#include "vmplan/model.h"

#define VMP_HOSTPREP_FILES_MAX 16

/* One file an operator reviews (and Salt installs). */
typedef struct vmp_hostprep_file {
	char name[64];  /* relative to the output folder: "kernel-cmdline.txt" */
	char *content;  /* owned */
	char dest[160]; /* where it belongs on the host ("" for notes and the Salt state) */
} vmp_hostprep_file;

/* One runtime change: a value written into a kernel file. */
typedef struct vmp_hostprep_write {
	char path[512];  /* under the root given to vmp_hostprep_make() */
	char value[256]; /* what to write */
	char old[256];   /* what is there now (vmp_hostprep_read_old()); "" when unread */
	char what[96];   /* "hugepages node 0 2048kB", "irq 24 (0000:00:03.0)" */
} vmp_hostprep_write;

/* What a plan needs of its host. Free with vmp_hostprep_free(). */
typedef struct vmp_hostprep {
	vmp_cpuset dedicated;    /* CPUs of dedicated vCPUs: isolated from the kernel's work */
	vmp_cpuset housekeeping; /* online CPUs no VM uses: services, IRQs, RCU callbacks */
	int nfiles;
	vmp_hostprep_file files[VMP_HOSTPREP_FILES_MAX];
	int nwrites;
	vmp_hostprep_write *writes; /* owned */
	int nmissing;               /* writes vmp_hostprep_read_old() dropped: no such file */
	char reboot[8400];          /* what takes effect only after a reboot, never done */
} vmp_hostprep;

/**
 * Work out the host preparation a plan assumes: the kernel command line (isolcpus,
 * nohz_full, rcu_nocbs, irqaffinity, per-node hugepages), the tuned cpu-partitioning
 * variables, irqbalance's banned CPUs, systemd AllowedCPUs drop-ins for the system, user
 * and machine slices, a Salt state installing them; and the runtime writes: per-node
 * hugepage pools the plan lacks (sysfs), the slices' cgroup cpuset.cpus, the IRQs of the
 * host's PCI devices to housekeeping CPUs on the device's node (/proc/irq), and the resctrl
 * default group shrunk to the L3 ways no VM is given.
 * @param out  the preparation; the caller frees it with vmp_hostprep_free()
 * @param plan the plan (placed VMs only count)
 * @param host the host it is for
 * @param root where the host's /sys and /proc are: "/" for the live host, or a fake tree
 * @return VMP_OK, VMP_EINFEASIBLE when the plan leaves no housekeeping CPU or no way for
 *         the default group (the message says which), VMP_ENOMEM
 */
int vmp_hostprep_make(vmp_hostprep **out, const vmp_plan *plan, const vmp_host *host,
		      const char *root);

/** Free a preparation; NULL is fine. */
void vmp_hostprep_free(vmp_hostprep *hp);

/**
 * Read the current value of every runtime write into its `old` (the L3 line of a schemata
 * file, the first line of any other); a write whose file does not exist is dropped.
 * @return VMP_OK, or VMP_ESYS naming a file that exists but cannot be read
 */
int vmp_hostprep_read_old(vmp_hostprep *hp);

/**
 * Read what a write would replace: the L3 line of a schemata file, the first line of any
 * other.
 * @return VMP_OK, VMP_ENOTFOUND when there is no such file, VMP_ESYS when it cannot be read
 */
int vmp_hostprep_read_value(char *out, size_t size, const char *path);

/**
 * Write value (a runtime change, or an old value when undoing) into path.
 * @return VMP_OK, or VMP_ESYS naming the path and the kernel's refusal
 */
int vmp_hostprep_write_value(const char *path, const char *value);

#endif
