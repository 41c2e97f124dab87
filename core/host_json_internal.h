/* What host.json's writer and reader share: the names of its enumerations. */
#ifndef VMPLAN_CORE_HOST_JSON_INTERNAL_H
#define VMPLAN_CORE_HOST_JSON_INTERNAL_H

#include <stddef.h>

#include "vmplan/model.h"

extern const char *const vmp_host_source_names[];
#define NSOURCES ((size_t)VMP_SOURCE_JSON + 1)
extern const char *const vmp_host_mb_unit_names[];
#define NMB_UNITS ((size_t)VMP_MB_MBPS + 1)

#endif
