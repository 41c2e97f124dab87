/* Editing a domain's libxml2 tree the way libvirt writes it: elements in libvirt's order. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "internal.h"
#include "libvirt_internal.h"

/* The order libvirt writes a domain's top-level elements in; new elements go where
 * libvirt would put them, so a merged domain reads like one libvirt wrote. */
const char *const vmp_domain_order[] = {"name",
					"uuid",
					"genid",
					"title",
					"description",
					"metadata",
					"maxMemory",
					"memory",
					"currentMemory",
					"blkiotune",
					"memtune",
					"memoryBacking",
					"vcpu",
					"vcpus",
					"iothreads",
					"iothreadids",
					"defaultiothread",
					"cputune",
					"numatune",
					"resource",
					"sysinfo",
					"bootloader",
					"bootloader_args",
					"os",
					"idmap",
					"features",
					"cpu",
					"clock",
					"on_poweroff",
					"on_reboot",
					"on_crash",
					"on_lockfailure",
					"pm",
					"perf",
					"devices",
					"seclabel",
					"keywrap",
					"launchSecurity",
					NULL};

bool vmp_dom_is_elem(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, BAD_CAST name);
}

xmlNodePtr vmp_dom_find(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (vmp_dom_is_elem(n, name))
			return n;
	return NULL;
}

static int rank(const char *const *order, const xmlChar *name)
{
	for (int i = 0; order[i]; i++)
		if (!xmlStrcmp(name, BAD_CAST order[i]))
			return i;
	return INT_MAX;
}

/* Add node under parent before the first element child libvirt writes after it. */
xmlNodePtr vmp_dom_insert(xmlNodePtr parent, xmlNodePtr node, const char *const *order)
{
	int r = order ? rank(order, node->name) : INT_MAX;

	if (r != INT_MAX)
		for (xmlNodePtr n = parent->children; n; n = n->next)
			if (n->type == XML_ELEMENT_NODE && rank(order, n->name) != INT_MAX &&
			    rank(order, n->name) > r)
				return xmlAddPrevSibling(n, node);
	return xmlAddChild(parent, node);
}

xmlNodePtr vmp_dom_new_elem(const char *name, const char *text)
{
	xmlNodePtr n = xmlNewNode(NULL, BAD_CAST name);

	if (text)
		xmlNodeAddContent(n, BAD_CAST text);
	return n;
}

/* The element name under parent: the existing one, or a new one put in libvirt's order. */
xmlNodePtr vmp_dom_ensure(xmlNodePtr parent, const char *name, const char *const *order)
{
	xmlNodePtr n = vmp_dom_find(parent, name);

	return n ? n : vmp_dom_insert(parent, vmp_dom_new_elem(name, NULL), order);
}

/* Put node where old is (keeping its place among the siblings), or in libvirt's order. */
xmlNodePtr vmp_dom_replace(xmlNodePtr parent, xmlNodePtr old, xmlNodePtr node,
			   const char *const *order)
{
	if (old) {
		xmlReplaceNode(old, node);
		xmlFreeNode(old);
		return node;
	}
	return vmp_dom_insert(parent, node, order);
}

void vmp_dom_drop(xmlNodePtr n)
{
	if (n) {
		xmlUnlinkNode(n);
		xmlFreeNode(n);
	}
}

void vmp_dom_drop_children(xmlNodePtr parent, const char *const *names)
{
	xmlNodePtr n, next;

	for (n = parent ? parent->children : NULL; n; n = next) {
		next = n->next;
		for (int i = 0; names[i]; i++)
			if (vmp_dom_is_elem(n, names[i])) {
				vmp_dom_drop(n);
				break;
			}
	}
}

/* Remove an element that has nothing left in it (no element child, no attribute). */
void vmp_dom_drop_if_empty(xmlNodePtr n)
{
	if (!n || n->properties)
		return;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return;
	vmp_dom_drop(n);
}

xmlNodePtr vmp_dom_child(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlAddChild(parent, vmp_dom_new_elem(name, text));
}

void vmp_dom_attr(xmlNodePtr node, const char *name, const char *value)
{
	xmlSetProp(node, BAD_CAST name, BAD_CAST value);
}

void vmp_dom_attr_u64(xmlNodePtr node, const char *name, uint64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	vmp_dom_attr(node, name, buf);
}

void vmp_dom_attr_set(xmlNodePtr node, const char *name, const vmp_cpuset *set)
{
	char buf[8192];

	vmp_cpuset_format(buf, sizeof(buf), set);
	vmp_dom_attr(node, name, buf);
}

void vmp_dom_set_text_u64(xmlNodePtr node, uint64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	xmlNodeSetContent(node, BAD_CAST buf);
}

xmlNodePtr vmp_dom_child_kib(xmlNodePtr parent, const char *name, uint64_t bytes)
{
	xmlNodePtr n = vmp_dom_child(parent, name, NULL);

	vmp_dom_set_text_u64(n, bytes / 1024);
	vmp_dom_attr(n, "unit", "KiB");
	return n;
}
