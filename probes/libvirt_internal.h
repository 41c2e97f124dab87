/* Helpers shared by the probes/libvirt*.c files; not a public header. */
#ifndef VMPLAN_PROBES_LIBVIRT_INTERNAL_H
#define VMPLAN_PROBES_LIBVIRT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "vmplan/cpuset.h"
#include "vmplan/model.h"

/* An XML document, an XPath context over it, and what to call it in messages. */
struct xdoc {
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	const char *what;
};

/* Set "out of memory" and return VMP_ENOMEM. */
int vmp_lvx_no_memory(void);

/* Parse text into x; what names the document in messages (borrowed, kept in x). */
int vmp_lvx_open(struct xdoc *x, const char *text, const char *what);

/* Release what vmp_lvx_open() built; safe after a failed open. */
void vmp_lvx_close(struct xdoc *x);

/* Evaluate expr relative to at (the document when NULL); NULL on allocation failure. */
xmlXPathObjectPtr vmp_lvx_eval(struct xdoc *x, xmlNodePtr at, const char *expr);

/* The number of nodes in a node-set result; 0 for NULL or another type. */
static inline int vmp_lvx_len(const xmlXPathObject *o)
{
	return o && o->type == XPATH_NODESET && o->nodesetval ? o->nodesetval->nodeNr : 0;
}

/* Node i of a node-set result, i below vmp_lvx_len(). */
static inline xmlNodePtr vmp_lvx_at(const xmlXPathObject *o, int i)
{
	return o->nodesetval->nodeTab[i];
}

/* The string value of expr below at, or NULL when it is empty; free() it. */
char *vmp_lvx_string(struct xdoc *x, xmlNodePtr at, const char *expr);

/* Text as a whole non-negative decimal number. */
bool vmp_lvx_to_u64(uint64_t *out, const char *text);

/*
 * An attribute of n as a number. Absent: VMP_EINVAL when found is NULL
 * (it is required), else *found = false and out is left alone.
 */
int vmp_lvx_attr_u64(const struct xdoc *x, xmlNodePtr n, const char *name, uint64_t *out,
		     bool *found);

/* As vmp_lvx_attr_u64, for ids and counts that must fit an int. */
int vmp_lvx_attr_int(const struct xdoc *x, xmlNodePtr n, const char *name, int *out, bool *found);

/* value in libvirt's unit (KiB, MiB, bytes, KB, ...; deflt when unit is NULL) as bytes. */
int vmp_lvx_scaled(const struct xdoc *x, const char *value, const char *unit, const char *deflt,
		   uint64_t *out);

/* The size an element gives: its attribute vattr (its text when NULL) in its 'unit'. */
int vmp_lvx_elem_size(const struct xdoc *x, xmlNodePtr n, const char *vattr, const char *deflt,
		      uint64_t *out);

/* A cpuset in libvirt's syntax; VMP_EINVAL quoting the document when it is not. */
int vmp_lvx_parse_cpuset(const struct xdoc *x, vmp_cpuset *out, const char *text);

/* A required cpuset attribute of n. */
int vmp_lvx_attr_cpuset(const struct xdoc *x, xmlNodePtr n, const char *name, vmp_cpuset *out);

/*
 * Fill h from a capabilities document (libvirt_caps.c); what names it in
 * messages. When it lists no cell and conn is given, the shape comes from
 * virNodeGetInfo; without conn that is an error.
 */
int vmp_libvirt_caps_fill(vmp_host *h, const char *text, const char *what, virConnectPtr conn);

/* Memory in a node's hugepage pools, in bytes (libvirt_caps.c). */
uint64_t vmp_libvirt_pool_bytes(const vmp_node *node);

#endif
