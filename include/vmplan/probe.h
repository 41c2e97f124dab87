/* Building the host model from the live host or from files. */
#ifndef VMPLAN_PROBE_H
#define VMPLAN_PROBE_H

#include "vmplan/model.h"

/**
 * Probe the running host's topology with hwloc.
 *
 * @param out the new host (source VMP_SOURCE_LIVE); the caller frees it
 * @return VMP_OK, or VMP_ESYS when hwloc cannot read the host
 */
int vmp_probe_live(vmp_host **out);

/**
 * Load a host's topology from an hwloc XML export (lstopo file.xml).
 *
 * @param out  the new host (source VMP_SOURCE_XML); the caller frees it
 * @param path the XML file
 * @return VMP_OK, VMP_ENOTFOUND when path cannot be read, VMP_EINVAL when
 *         hwloc refuses its content
 */
int vmp_probe_xml(vmp_host **out, const char *path);

/**
 * Build a host from an hwloc synthetic description such as
 * "pack:2 [numa(memory=64GB)] l3:2 core:4 pu:2".
 *
 * @param out  the new host (source VMP_SOURCE_SYNTHETIC); the caller frees it
 * @param desc the description, in hwloc's synthetic syntax
 * @return VMP_OK, or VMP_EINVAL with a message quoting desc
 */
int vmp_probe_synthetic(vmp_host **out, const char *desc);

/**
 * Build a host from a snapshot of /sys and /proc under root (such as the
 * hwloc test tarballs, unpacked): topology through hwloc (HWLOC_FSROOT), then
 * vmp_probe_sysfs() and vmp_probe_resctrl() under the same root.
 *
 * @param out  the new host (source VMP_SOURCE_FSROOT); the caller frees it
 * @param root the snapshot's root directory
 * @return VMP_OK, VMP_ENOTFOUND when root is missing, VMP_EINVAL when its
 *         content is unusable (the message names the file)
 */
int vmp_probe_fsroot(vmp_host **out, const char *root);

/**
 * Complete a host from sysfs under root ("/" for the live host): memory per
 * node (total, free from nodeN/meminfo; on a kernel without NUMA, from
 * proc/meminfo), hugepage pools per node and size (nr_hugepages,
 * free_hugepages), the isolated and nohz_full CPU sets, and the L3 cache ids.
 * A file that is missing is skipped; one with garbage in it is an error, and so
 * is memory that does not add up (more free than total, pools larger than the
 * node).
 * @return VMP_OK, or VMP_EINVAL naming the file with bad content
 */
int vmp_probe_sysfs(vmp_host *host, const char *root);

/**
 * Read resctrl (root/sys/fs/resctrl) into out: L3/L2 allocation (with CDP),
 * MB, and the ways the default and existing groups hold. Not mounted is not
 * an error: out->present is false.
 * @return VMP_OK, or VMP_EINVAL naming the file with bad content
 */
int vmp_probe_resctrl(vmp_resctrl *out, const char *root);

/**
 * Build a host from a libvirt connection's capabilities XML (NUMA cells,
 * CPUs, pages, distances, caches, memory bandwidth) and its domains, whose
 * pins and memory become used resources.
 * @param out the new host (source VMP_SOURCE_LIBVIRT); the caller frees it
 * @param uri a libvirt URI, e.g. "qemu:///system", "test:///default"
 * @return VMP_OK, VMP_ESYS when the connection fails (naming the URI),
 *         VMP_EINVAL when the capabilities cannot be used
 */
int vmp_probe_libvirt(vmp_host **out, const char *uri);

/**
 * As vmp_probe_libvirt(), but the domains named in replanned (n names) are left out: they
 * are being planned again, so their current pins, memory and cache ways are free for their
 * new plan, not taken.
 */
int vmp_probe_libvirt_replan(vmp_host **out, const char *uri, const char *const *replanned, int n);

/* How much to measure. */
typedef enum vmp_measure_level {
	VMP_MEASURE_NONE = 0,
	VMP_MEASURE_QUICK, /* a few seconds: small arrays, few repetitions */
	VMP_MEASURE_FULL   /* the figures to trust */
} vmp_measure_level;

/* Progress callback: what is being measured, and how far along (0..1). */
typedef void (*vmp_progress_fn)(void *opaque, const char *what, double fraction);

/**
 * Measure the live host and fill host->read_gbs, triad_gbs, latency_ns and
 * c2c_ns. Only meaningful for a host probed live.
 * @return VMP_OK, VMP_EINVAL for a host that is not live, VMP_ESYS
 */
int vmp_probe_measure(vmp_host *host, vmp_measure_level level, vmp_progress_fn progress,
		      void *opaque);

#endif
