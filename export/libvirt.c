/* libvirt domain XML for a placed VM, built with libxml2's tree API. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"

#if defined(__x86_64__)
#define GUEST_ARCH "x86_64"
#elif defined(__aarch64__)
#define GUEST_ARCH "aarch64"
#elif defined(__powerpc64__)
#define GUEST_ARCH "ppc64le"
#elif defined(__s390x__)
#define GUEST_ARCH "s390x"
#else
#define GUEST_ARCH "x86_64"
#endif

static xmlNodePtr child(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
}

static void attr(xmlNodePtr node, const char *name, const char *value)
{
	xmlNewProp(node, BAD_CAST name, BAD_CAST value);
}

static void attr_u64(xmlNodePtr node, const char *name, uint64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	attr(node, name, buf);
}

static void attr_set(xmlNodePtr node, const char *name, const vmp_cpuset *set)
{
	char buf[8192];

	vmp_cpuset_format(buf, sizeof(buf), set);
	attr(node, name, buf);
}

static void add_cputune(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	xmlNodePtr tune = child(dom, "cputune", NULL);

	for (unsigned i = 0; i < vm->req.vcpus; i++) {
		xmlNodePtr pin = child(tune, "vcpupin", NULL);
		vmp_cpuset one = {0};
		vmp_cpuset_set(&one, vm->vcpupin[i]);
		attr_u64(pin, "vcpu", i);
		attr_set(pin, "cpuset", &one);
	}
	attr_set(child(tune, "emulatorpin", NULL), "cpuset", &vm->emulatorpin);
}

static void add_numatune(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	xmlNodePtr tune = child(dom, "numatune", NULL), mem;
	vmp_cpuset all = {0};

	for (int i = 0; i < vm->ncells; i++)
		vmp_cpuset_set(&all, vm->cells[i].host_node);
	mem = child(tune, "memory", NULL);
	attr(mem, "mode", "strict");
	attr_set(mem, "nodeset", &all);
	for (int i = 0; i < vm->ncells; i++) {
		xmlNodePtr node = child(tune, "memnode", NULL);
		vmp_cpuset one = {0};
		vmp_cpuset_set(&one, vm->cells[i].host_node);
		attr_u64(node, "cellid", (uint64_t)i);
		attr(node, "mode", "strict");
		attr_set(node, "nodeset", &one);
	}
}

static void add_hugepages(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	xmlNodePtr pages, page;
	vmp_cpuset cells = {0};

	if (!vm->req.hugepage_bytes)
		return;
	pages = child(child(dom, "memoryBacking", NULL), "hugepages", NULL);
	page = child(pages, "page", NULL);
	vmp_cpuset_set_range(&cells, 0, vm->ncells - 1);
	attr_u64(page, "size", vm->req.hugepage_bytes / 1024);
	attr(page, "unit", "KiB");
	attr_set(page, "nodeset", &cells);
}

static void add_cpu(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	xmlNodePtr cpu = child(dom, "cpu", NULL), topo, numa;

	attr(cpu, "mode", "host-passthrough");
	attr(cpu, "check", "none");
	topo = child(cpu, "topology", NULL);
	attr_u64(topo, "sockets", vm->sockets);
	attr_u64(topo, "dies", vm->dies);
	attr_u64(topo, "cores", vm->cores);
	attr_u64(topo, "threads", vm->threads);
	numa = child(cpu, "numa", NULL);
	for (int i = 0; i < vm->ncells; i++) {
		xmlNodePtr cell = child(numa, "cell", NULL);
		attr_u64(cell, "id", (uint64_t)i);
		attr_set(cell, "cpus", &vm->cells[i].vcpus);
		attr_u64(cell, "memory", vm->cells[i].memory_bytes / 1024);
		attr(cell, "unit", "KiB");
	}
}

static xmlDocPtr build(const vmp_plan_vm *vm, const char *type)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr dom, n;
	uint64_t kib = 0;
	char buf[32];

	dom = xmlNewNode(NULL, BAD_CAST "domain");
	xmlDocSetRootElement(doc, dom);
	attr(dom, "type", type);
	child(dom, "name", vm->req.name);
	for (int i = 0; i < vm->ncells; i++)
		kib += vm->cells[i].memory_bytes / 1024;
	snprintf(buf, sizeof(buf), "%" PRIu64, kib);
	attr(child(dom, "memory", buf), "unit", "KiB");
	snprintf(buf, sizeof(buf), "%u", vm->req.vcpus);
	attr(child(dom, "vcpu", buf), "placement", "static");
	add_cputune(dom, vm);
	add_numatune(dom, vm);
	add_hugepages(dom, vm);
	n = child(child(dom, "os", NULL), "type", "hvm");
	attr(n, "arch", GUEST_ARCH);
	add_cpu(dom, vm);
	return doc;
}

int vmp_export_libvirt_xml(char **out, size_t *len, const vmp_plan_vm *vm, const char *type)
{
	xmlDocPtr doc;
	xmlChar *mem = NULL;
	int size = 0;

	*out = NULL;
	if (!vm->placed) {
		vmp_error_set("cannot export VM '%s': it was not placed", vm->req.name);
		return VMP_EINVAL;
	}
	if (!(doc = build(vm, type))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (!mem) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	/* Hand out memory the caller can release with free(), not xmlFree(). */
	*out = malloc((size_t)size + 1);
	if (*out) {
		memcpy(*out, mem, (size_t)size);
		(*out)[size] = '\0';
		if (len)
			*len = (size_t)size;
	}
	xmlFree(mem);
	if (!*out) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	return VMP_OK;
}

int vmp_export_libvirt_dir(const vmp_plan *plan, const char *dir, const char *type)
{
	int err;

	if ((err = vmp_mkdir_p(dir)) < 0)
		return err;
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		char path[PATH_MAX], *xml;
		size_t len;

		if (!vm->placed)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s.xml", dir, vm->req.name) >=
		    (int)sizeof(path)) {
			vmp_error_set("cannot write XML of VM '%s' into '%s': path too long",
				      vm->req.name, dir);
			return VMP_ESYS;
		}
		if ((err = vmp_export_libvirt_xml(&xml, &len, vm, type)) < 0)
			return err;
		err = vmp_file_write_atomic(path, xml, len);
		free(xml);
		if (err < 0)
			return err;
	}
	return VMP_OK;
}
