/* Helpers shared by the export/libvirt*.c files (the libvirt exporter); not a public header. */
#ifndef VMPLAN_EXPORT_LIBVIRT_INTERNAL_H
#define VMPLAN_EXPORT_LIBVIRT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "vmplan/cpuset.h"
#include "vmplan/model.h"

/*
 * Tree editing (libvirt_tree.c). An order is a NULL-terminated list of
 * element names in the order libvirt writes them; elements not in it go last.
 */

/* The order libvirt writes a domain's top-level elements in. */
extern const char *const vmp_domain_order[];

/* Whether n is an element named name. */
bool vmp_dom_is_elem(xmlNodePtr n, const char *name);

/* The first child element of parent (NULL allowed) named name, or NULL. */
xmlNodePtr vmp_dom_find(xmlNodePtr parent, const char *name);

/* Add node under parent before the first element child libvirt writes after it. */
xmlNodePtr vmp_dom_insert(xmlNodePtr parent, xmlNodePtr node, const char *const *order);

/* A new, unlinked element with text content (none when text is NULL). */
xmlNodePtr vmp_dom_new_elem(const char *name, const char *text);

/* The element name under parent: the existing one, or a new one put in libvirt's order. */
xmlNodePtr vmp_dom_ensure(xmlNodePtr parent, const char *name, const char *const *order);

/* Put node where old is (keeping its place among the siblings), or in libvirt's order. */
xmlNodePtr vmp_dom_replace(xmlNodePtr parent, xmlNodePtr old, xmlNodePtr node,
			   const char *const *order);

/* Unlink and free n (NULL allowed). */
void vmp_dom_drop(xmlNodePtr n);

/* Drop every child element of parent named in the NULL-terminated names. */
void vmp_dom_drop_children(xmlNodePtr parent, const char *const *names);

/* Remove an element that has nothing left in it (no element child, no attribute). */
void vmp_dom_drop_if_empty(xmlNodePtr n);

/* Append a new element with text content (none when NULL) as parent's last child. */
xmlNodePtr vmp_dom_child(xmlNodePtr parent, const char *name, const char *text);

/* Set an attribute: a string, a decimal number, a cpuset in libvirt's syntax. */
void vmp_dom_attr(xmlNodePtr node, const char *name, const char *value);
void vmp_dom_attr_u64(xmlNodePtr node, const char *name, uint64_t value);
void vmp_dom_attr_set(xmlNodePtr node, const char *name, const vmp_cpuset *set);

/* Replace node's content with a decimal number. */
void vmp_dom_set_text_u64(xmlNodePtr node, uint64_t value);

/* Append <name unit='KiB'>bytes / 1024</name> under parent. */
xmlNodePtr vmp_dom_child_kib(xmlNodePtr parent, const char *name, uint64_t bytes);

/*
 * The tuning sections of the <domain> element dom for vm (libvirt_tune.c),
 * each replacing what the plan decides and keeping the rest; called by
 * vmp_libvirt_apply() in this order.
 */
void vmp_libvirt_apply_memory(xmlNodePtr dom, const vmp_plan_vm *vm);
void vmp_libvirt_apply_memtune(xmlNodePtr dom, const vmp_plan_vm *vm);
void vmp_libvirt_apply_vcpu(xmlNodePtr dom, const vmp_plan_vm *vm);
void vmp_libvirt_apply_iothreads(xmlNodePtr dom, const vmp_plan_vm *vm);
void vmp_libvirt_apply_cputune(xmlNodePtr dom, const vmp_plan_vm *vm);
void vmp_libvirt_apply_numatune(xmlNodePtr dom, const vmp_plan_vm *vm);

/*
 * The host-side tuning alone (libvirt_hosttune.c, vmp_export_libvirt_merge_tuning()): the
 * <cputune> pins (and cachetune/memorytune where vm has them) and <numatune>, fitted to the
 * domain's own vCPUs, I/O threads and guest cells. VMP_OK, or VMP_EINVAL (message set, what
 * naming the domain) when vm's guest cells are not the domain's.
 */
int vmp_libvirt_apply_host_tuning(xmlNodePtr dom, const vmp_plan_vm *vm, const char *what);

/* The host-side pins of a domain of nvcpus vCPUs (the same in the XML and in a live re-pin):
 * vCPU vcpu takes the plan's pin of vCPU vcpu modulo the plan's count (a shared vCPU its pool);
 * the emulator the plan's pin with the CPUs of planned vCPUs beyond nvcpus. */
void vmp_libvirt_host_vcpu_pin(vmp_cpuset *out, const vmp_plan_vm *vm, unsigned vcpu);
void vmp_libvirt_host_emulator_pin(vmp_cpuset *out, const vmp_plan_vm *vm, unsigned nvcpus);

#endif
