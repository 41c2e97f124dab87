/* Helpers shared by the export/ files; not a public header. */
#ifndef VMPLAN_EXPORT_INTERNAL_H
#define VMPLAN_EXPORT_INTERNAL_H

#include <stddef.h>

#include <libvirt/libvirt.h>
#include <libxml/tree.h>

#include "vmplan/export.h"
#include "vmplan/request.h"

extern const vmp_exporter vmp_exporter_libvirt;
extern const vmp_exporter vmp_exporter_salt;
extern const vmp_exporter vmp_exporter_json;

/* How vmp_libvirt_open() connects. */
typedef enum vmp_conn_mode {
	VMP_CONN_READ = 0,  /* read-only */
	VMP_CONN_WRITE,     /* read-write */
	VMP_CONN_READ_FIRST /* read-only, else read-write */
} vmp_conn_mode;

/* Connect to uri with libvirt's own error printing off; VMP_ESYS with "cannot connect to
 * 'URI': why" on failure. The caller closes *out with virConnectClose(). */
int vmp_libvirt_open(virConnectPtr *out, const char *uri, vmp_conn_mode mode);

/* The message of libvirt's last error on this thread, or "unknown libvirt error". */
const char *vmp_libvirt_last_error(void);

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
