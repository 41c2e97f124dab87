/* Hints for input hwloc refuses (probes/topology_hints.c); static strings, "" for none. */
#ifndef VMPLAN_PROBES_TOPOLOGY_HINTS_H
#define VMPLAN_PROBES_TOPOLOGY_HINTS_H

/* " (it is an archive: ... --fsroot)" where path starts like gzip, bzip2, xz, zstd or tar. */
const char *topology_archive_hint(const char *path);
/* " (hwloc wants sizes with a B ...)" where desc has a size such as 64G. */
const char *topology_synthetic_hint(const char *desc);

#endif
