/* What the hwloc probes share: a new topology, and its copy into the model. */
#ifndef VMPLAN_PROBES_TOPOLOGY_INTERNAL_H
#define VMPLAN_PROBES_TOPOLOGY_INTERNAL_H

#include <hwloc.h>

#include "vmplan/model.h"

/* A topology that will be loaded with the PCI devices that matter (NICs, disks, GPUs). */
int probe_topology_new(hwloc_topology_t *out);

/* The loaded topology as a host model (*out, the caller's); VMP_EINVAL for what the model
 * cannot hold. */
int probe_topology_copy(vmp_host **out, hwloc_topology_t topo, vmp_host_source source,
			const char *hostname);

#endif
