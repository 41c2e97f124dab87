/* Building the host model from libvirt's XML: host capabilities and existing domains. */
#ifndef VMPLAN_PROBE_LIBVIRT_H
#define VMPLAN_PROBE_LIBVIRT_H

#include "vmplan/model.h"

/*
 * vmp_probe_libvirt() (probe.h) reads these documents from a connection;
 * the two functions below take them as strings, so that a saved
 * capabilities XML or domain XML can be used without a connection, and
 * so that tests can feed what no test driver reports (cache banks,
 * distances, hugepage pools).
 */

/**
 * Build a host from a libvirt capabilities XML document (virsh capabilities):
 * NUMA cells with their memory, pages and distances; CPUs with socket, die
 * and core ids; L3 cache banks; and the cache and memory-bandwidth
 * controls, which become host->resctrl.
 *
 * Free memory is unknown in the document: a node's free_bytes is its memory
 * less its hugepage pools, and every pool is free. CPUs listed with only an
 * id (libvirt's way of listing offline CPUs) are left out, unless no CPU has
 * topology ids, in which case each is a core of its own in its cell's
 * package. Cache ways: a bank's size divided by its control's granularity;
 * the smallest allocation is min / granularity ways (one without min).
 *
 * @param out  the new host (source VMP_SOURCE_LIBVIRT, hostname "");
 *             the caller frees it
 * @param xml  the capabilities document
 * @return VMP_OK; VMP_EINVAL when the document is not XML, lists no NUMA
 *         cell, or holds a value that cannot be used (the message says which)
 */
int vmp_libvirt_caps_parse(vmp_host **out, const char *xml);

/**
 * Add existing domains (their libvirt domain XML) to a host as used
 * resources, as vmp_probe_libvirt() does for every domain, running or not:
 *
 * - CPUs: the union of <vcpu cpuset>, vcpupin, emulatorpin and iothreadpin
 *   goes into the domain's vmp_existing_vm.cpus and into host->used. A
 *   domain that pins nothing floats over all CPUs and takes none.
 * - Memory: <memory> is split evenly over the nodes its <numatune> binds it
 *   to (per guest cell where <memnode> says so). A node's free_bytes becomes
 *   at most its memory less its hugepage pools less what bound domains hold
 *   (a running domain's memory may already be missing from what libvirt
 *   reports as free, so it is not taken twice). Unbound memory is only
 *   recorded in memory_bytes.
 * - Hugepage-backed memory is taken from the pools of the bound nodes
 *   instead (the page size <page> names, else the node's smallest pool).
 * - <cachetune>: libvirt picks the ways when the domain starts and the XML
 *   gives only a size, so that many contiguous L3 ways (size divided by the
 *   way size) are marked used in the domain's resctrl cache domain, lowest
 *   free ways first. Every cachetune, and every memorytune with vCPUs of its
 *   own, counts as one resctrl group in host->resctrl.groups_used.
 *
 * @param host the host to update (nodes, pools and resctrl as built)
 * @param xmls n domain XML documents
 * @param n    how many
 * @return VMP_OK, VMP_ENOMEM, or VMP_EINVAL naming the domain whose XML
 *         cannot be used; on failure the host may hold some of the domains
 */
int vmp_libvirt_domains_apply(vmp_host *host, const char *const *xmls, int n);

#endif
