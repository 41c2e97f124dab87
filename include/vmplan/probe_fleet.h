/* Loading every host of a fleet: host.json files and libvirt URIs, probed in parallel. */
#ifndef VMPLAN_PROBE_FLEET_H
#define VMPLAN_PROBE_FLEET_H

#include "vmplan/fleet.h"

/* Called as each host is done (from the probing threads, one call at a time). */
typedef void (*vmp_fleet_progress_fn)(void *arg, int done, int total, const vmp_fleet_host *fh);

/**
 * Load every host of the fleet: a host.json with vmp_fleet_load_host(), a URI
 * with vmp_probe_libvirt() (capabilities, and its domains as used resources),
 * each on a thread of its own connection, at most threads at once. A host
 * that cannot be loaded or does not answer is marked down (fh->down, with the
 * message in fh->error) and left out of planning; the others go on.
 *
 * @param fleet    the fleet from vmp_fleet_load()
 * @param threads  the most hosts probed at once (1 or more; at most 64 are used)
 * @param progress called as each host is done, or NULL
 * @param arg      passed to progress
 * @return VMP_OK (some hosts may be down), VMP_ENOMEM, VMP_ESYS when no thread starts
 */
int vmp_fleet_probe(vmp_fleet *fleet, int threads, vmp_fleet_progress_fn progress, void *arg);

#endif
