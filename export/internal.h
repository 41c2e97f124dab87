/* Helpers shared by the export/ files; not a public header. */
#ifndef VMPLAN_EXPORT_INTERNAL_H
#define VMPLAN_EXPORT_INTERNAL_H

#include <stddef.h>

#include <libxml/tree.h>

#include "vmplan/export.h"
#include "vmplan/request.h"

extern const vmp_exporter vmp_exporter_libvirt;
extern const vmp_exporter vmp_exporter_salt;
extern const vmp_exporter vmp_exporter_json;


/* Rewrite the tuning of the <domain> element dom for vm, removing what is stale
 * (see vmp_export_libvirt_merge()). */
void vmp_libvirt_apply(xmlNodePtr dom, const vmp_plan_vm *vm);

/* Serialise doc indented, into memory the caller releases with free(). */
int vmp_xml_dump(char **out, size_t *len, xmlDocPtr doc);

/* The total guest memory of a placed VM: the sum of its cells, or the request. */
uint64_t vmp_vm_memory_bytes(const vmp_plan_vm *vm);

/* The host CPUs the vCPUs of vm may run on: its pin, or the shared pool. */
void vmp_vm_vcpu_cpus(vmp_cpuset *out, const vmp_plan_vm *vm, unsigned vcpu);

/* The host nodes that back vm's memory. */
void vmp_vm_nodes(vmp_cpuset *out, const vmp_plan_vm *vm);

#endif
