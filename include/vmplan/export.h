/* Writing plans out: libvirt domain XML and plan.json. */
#ifndef VMPLAN_EXPORT_H
#define VMPLAN_EXPORT_H

#include <stddef.h>

#include "vmplan/model.h"

/**
 * Build the libvirt domain XML of one placed VM with libxml2's tree API:
 * <vcpu>, <cputune> (vcpupin, emulatorpin), <numatune> (memory, memnode;
 * strict), <cpu mode='host-passthrough'> with <topology> and <numa>.
 *
 * @param out  a NUL-terminated UTF-8 document; the caller frees it with free()
 * @param len  its length in bytes, or NULL
 * @param vm   a placed VM of a plan
 * @param type the domain type attribute, e.g. "kvm"
 * @return VMP_OK, VMP_EINVAL when vm is not placed, VMP_ENOMEM
 */
int vmp_export_libvirt_xml(char **out, size_t *len, const vmp_plan_vm *vm, const char *type);

/**
 * Write DIR/<name>.xml for every placed VM of the plan; DIR is created
 * when missing. Each file is written to a temporary name and renamed.
 * @return VMP_OK, or VMP_ESYS naming the file that could not be written
 */
int vmp_export_libvirt_dir(const vmp_plan *plan, const char *dir, const char *type);

/**
 * Serialise a plan as plan.json (see DESIGN.md).
 * @param out a NUL-terminated string; the caller frees it with free()
 */
int vmp_plan_to_json(char **out, const vmp_plan *plan);

#endif
