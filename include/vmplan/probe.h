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

#endif
