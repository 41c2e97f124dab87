/* libvirt domain XML for a placed VM, new or merged, built with libxml2's tree API. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "internal.h"
#include "libvirt_internal.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"
#include "vmplan/xml.h"

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

/* Inside <cpu>: libvirt's order of the children vmplan writes. */
static const char *const cpu_order[] = {"model",       "vendor",  "topology", "cache",
					"maxphysaddr", "feature", "numa",     NULL};
static const char *const os_order[] = {"type",   "firmware", "loader", "nvram", "kernel",
				       "initrd", "cmdline",  "boot",   NULL};

uint64_t vmp_vm_memory_bytes(const vmp_plan_vm *vm)
{
	uint64_t sum = 0;

	for (int i = 0; i < vm->ncells; i++)
		sum += vm->cells[i].memory_bytes;
	return sum ? sum : vm->req.memory_bytes;
}

void vmp_vm_vcpu_cpus(vmp_cpuset *out, const vmp_plan_vm *vm, unsigned vcpu)
{
	vmp_cpuset_zero(out);
	if (vcpu < vm->req.vcpus && vm->vcpupin && vm->vcpupin[vcpu] >= 0)
		vmp_cpuset_set(out, vm->vcpupin[vcpu]);
	else
		*out = vm->pcpus;
}

void vmp_vm_nodes(vmp_cpuset *out, const vmp_plan_vm *vm)
{
	vmp_cpuset_zero(out);
	for (int i = 0; i < vm->ncells; i++)
		vmp_cpuset_set(out, vm->cells[i].host_node);
}

static void apply_cpu(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	static const char *const custom_only[] = {"model", "vendor", NULL};
	xmlNodePtr cpu = vmp_dom_ensure(dom, "cpu", vmp_domain_order), topo, numa;
	xmlChar *type = xmlGetProp(dom, BAD_CAST "type");

	/* Software emulation (TCG) cannot pass the host CPU through; 'maximum' gives a
	 * qemu domain every feature it can emulate. */
	vmp_dom_attr(cpu, "mode",
		     type && !xmlStrcmp(type, BAD_CAST "qemu") ? "maximum" : "host-passthrough");
	xmlFree(type);
	if (!xmlHasProp(cpu, BAD_CAST "check"))
		vmp_dom_attr(cpu, "check", "none");
	xmlUnsetProp(cpu, BAD_CAST "match"); /* only for mode='custom' */
	vmp_dom_drop_children(cpu, custom_only);

	topo = vmp_dom_new_elem("topology", NULL);
	vmp_dom_attr_u64(topo, "sockets", vm->sockets ? vm->sockets : 1);
	vmp_dom_attr_u64(topo, "dies", vm->dies ? vm->dies : 1);
	vmp_dom_attr_u64(topo, "cores", vm->cores ? vm->cores : vm->req.vcpus);
	vmp_dom_attr_u64(topo, "threads", vm->threads ? vm->threads : 1);
	vmp_dom_replace(cpu, vmp_dom_find(cpu, "topology"), topo, cpu_order);
	if (vm->req.cpu_cache != VMP_CACHE_NONE) {
		static const char *const modes[] = {"", "passthrough", "emulate", "disable"};
		xmlNodePtr cache = vmp_dom_new_elem("cache", NULL);
		/* QEMU emulates only the L3 cache: libvirt wants the level said. */
		if (vm->req.cpu_cache == VMP_CACHE_EMULATE)
			vmp_dom_attr(cache, "level", "3");
		vmp_dom_attr(cache, "mode", modes[vm->req.cpu_cache]);
		vmp_dom_replace(cpu, vmp_dom_find(cpu, "cache"), cache, cpu_order);
	}

	if (!vm->ncells) {
		vmp_dom_drop(vmp_dom_find(cpu, "numa"));
		return;
	}
	/* Where the request leaves them, the cells keep the memory access and discard the
	 * domain had: vhost-user devices need shared memory in every cell. */
	const char *access = vm->req.mem_access == VMP_ACCESS_SHARED    ? "shared"
			     : vm->req.mem_access == VMP_ACCESS_PRIVATE ? "private"
									: NULL;
	bool discard = vm->req.mem_discard;
	for (xmlNodePtr c = (numa = vmp_dom_find(cpu, "numa")) ? numa->children : NULL; c;
	     c = c->next) {
		xmlChar *v;
		if (!vmp_dom_is_elem(c, "cell"))
			continue;
		if (!vm->req.mem_access && (v = xmlGetProp(c, BAD_CAST "memAccess"))) {
			if (!xmlStrcmp(v, BAD_CAST "shared"))
				access = "shared";
			else if (!xmlStrcmp(v, BAD_CAST "private") && !access)
				access = "private";
			xmlFree(v);
		}
		if ((v = xmlGetProp(c, BAD_CAST "discard"))) {
			discard |= !xmlStrcmp(v, BAD_CAST "yes");
			xmlFree(v);
		}
	}
	numa = vmp_dom_new_elem("numa", NULL);
	for (int i = 0; i < vm->ncells; i++) {
		xmlNodePtr cell = vmp_dom_child(numa, "cell", NULL);
		vmp_dom_attr_u64(cell, "id", (uint64_t)i);
		vmp_dom_attr_set(cell, "cpus", &vm->cells[i].vcpus);
		vmp_dom_attr_u64(cell, "memory", vm->cells[i].memory_bytes / 1024);
		vmp_dom_attr(cell, "unit", "KiB");
		if (access)
			vmp_dom_attr(cell, "memAccess", access);
		if (discard)
			vmp_dom_attr(cell, "discard", "yes");
		if (vm->cells[i].distances[i]) {
			xmlNodePtr d = vmp_dom_child(cell, "distances", NULL);
			for (int j = 0; j < vm->ncells; j++) {
				xmlNodePtr sib = vmp_dom_child(d, "sibling", NULL);
				vmp_dom_attr_u64(sib, "id", (uint64_t)j);
				vmp_dom_attr_u64(sib, "value", vm->cells[i].distances[j]);
			}
		}
	}
	vmp_dom_replace(cpu, vmp_dom_find(cpu, "numa"), numa, cpu_order);
}

static void apply_memory_backing(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	static const char *const owned[] = {"hugepages", "nosharepages", "locked", NULL};
	static const char *const mb_order[] = {"hugepages", "nosharepages", "locked",  "source",
					       "access",    "allocation",   "discard", NULL};
	static const char *const sources[] = {"", "anonymous", "file", "memfd"};
	static const char *const accesses[] = {"", "shared", "private"};
	static const char *const allocations[] = {"", "immediate", "ondemand"};
	const vmp_vm_request *r = &vm->req;
	xmlNodePtr mb = vmp_dom_find(dom, "memoryBacking"), pages = NULL;
	bool others = r->mem_source || r->mem_access || r->mem_allocation || r->mem_discard;

	if (!mb && !r->hugepage_bytes && !r->nosharepages && !r->mem_locked && !others)
		return;
	if (!mb)
		mb = vmp_dom_ensure(dom, "memoryBacking", vmp_domain_order);
	vmp_dom_drop_children(mb, owned);
	/* libvirt's order: hugepages, nosharepages, locked, then source, access, ... */
	if (r->hugepage_bytes) {
		xmlNodePtr page;
		vmp_cpuset cells = {0};
		pages = vmp_dom_new_elem("hugepages", NULL);
		page = vmp_dom_child(pages, "page", NULL);
		vmp_dom_attr_u64(page, "size", r->hugepage_bytes / 1024);
		vmp_dom_attr(page, "unit", "KiB");
		if (vm->ncells) {
			vmp_cpuset_set_range(&cells, 0, vm->ncells - 1);
			vmp_dom_attr_set(page, "nodeset", &cells);
		}
	}
	{
		xmlNodePtr first = mb->children;
		xmlNodePtr add[3] = {
		    pages, r->nosharepages ? vmp_dom_new_elem("nosharepages", NULL) : NULL,
		    r->mem_locked ? vmp_dom_new_elem("locked", NULL) : NULL};
		for (int i = 0; i < 3; i++) {
			if (!add[i])
				continue;
			if (first)
				xmlAddPrevSibling(first, add[i]);
			else
				xmlAddChild(mb, add[i]);
		}
	}
	/* Source, access, allocation and discard: replaced where the request sets them,
	 * a domain's own kept otherwise. */
	if (r->mem_source) {
		xmlNodePtr n = vmp_dom_new_elem("source", NULL);
		vmp_dom_attr(n, "type", sources[r->mem_source]);
		vmp_dom_replace(mb, vmp_dom_find(mb, "source"), n, mb_order);
	}
	if (r->mem_access) {
		xmlNodePtr n = vmp_dom_new_elem("access", NULL);
		vmp_dom_attr(n, "mode", accesses[r->mem_access]);
		vmp_dom_replace(mb, vmp_dom_find(mb, "access"), n, mb_order);
	}
	if (r->mem_allocation) {
		xmlNodePtr n = vmp_dom_new_elem("allocation", NULL);
		vmp_dom_attr(n, "mode", allocations[r->mem_allocation]);
		vmp_dom_replace(mb, vmp_dom_find(mb, "allocation"), n, mb_order);
	}
	if (r->mem_discard && !vmp_dom_find(mb, "discard"))
		vmp_dom_insert(mb, vmp_dom_new_elem("discard", NULL), mb_order);
	vmp_dom_drop_if_empty(mb);
}

/* The first of libvirt's <features> in its order; anything else goes after them. */
static const char *const features_order[] = {"acpi",    "apic",   "pae", "hap", "viridian",
					     "privnet", "hyperv", "kvm", "xen", "pvspinlock",
					     "pmu",     "vmport", "gic", "smm", NULL};

/* Whether the domain's guest is x86: its <os><type arch>, else the host's. */
static bool is_x86(xmlNodePtr dom)
{
	xmlNodePtr os = vmp_dom_find(dom, "os"), type = os ? vmp_dom_find(os, "type") : NULL;
	xmlChar *arch = type ? xmlGetProp(type, BAD_CAST "arch") : NULL;
	bool x86 = arch ? !xmlStrcmp(arch, BAD_CAST "x86_64") || !xmlStrcmp(arch, BAD_CAST "i686")
			: !strcmp(GUEST_ARCH, "x86_64");

	xmlFree(arch);
	return x86;
}

/*
 * UEFI: only when the request asks for it; a domain's own firmware is left
 * alone otherwise. An explicit loader (and nvram) replaces firmware
 * autoselection; secure boot also turns on SMM, which q35 guests need for it.
 */
static void apply_firmware(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;
	xmlNodePtr os, fw;

	if (!r->efi && !r->loader[0])
		return;
	os = vmp_dom_ensure(dom, "os", vmp_domain_order);
	fw = vmp_dom_find(os, "firmware");
	if (r->loader[0]) {
		xmlNodePtr loader = vmp_dom_new_elem("loader", r->loader);
		xmlUnsetProp(os, BAD_CAST "firmware");
		vmp_dom_drop(fw);
		vmp_dom_attr(loader, "readonly", "yes");
		vmp_dom_attr(loader, "type", "pflash");
		if (r->secure_boot)
			vmp_dom_attr(loader, "secure", "yes");
		vmp_dom_replace(os, vmp_dom_find(os, "loader"), loader, os_order);
		if (r->nvram[0])
			vmp_dom_replace(os, vmp_dom_find(os, "nvram"),
					vmp_dom_new_elem("nvram", r->nvram), os_order);
	} else {
		xmlNodePtr loader = vmp_dom_find(os, "loader"), nvram = vmp_dom_find(os, "nvram");
		vmp_dom_attr(os, "firmware", "efi");
		/* Autoselection picks the loader and the varstore template itself: libvirt refuses
		 * a loader path, readonly, type or secure, and an nvram template, beside it. */
		/* <firmware> says whether secure boot is on, from the plan, not the old loader. */
		vmp_dom_drop(loader);
		if (nvram) {
			xmlUnsetProp(nvram, BAD_CAST "template");
			if (!nvram->children && !nvram->properties)
				vmp_dom_drop(nvram);
		}
		if (!r->secure_boot) {
			vmp_dom_drop(fw);
		} else {
			fw = vmp_dom_replace(os, fw, vmp_dom_new_elem("firmware", NULL), os_order);
			vmp_dom_attr(fw = vmp_dom_child(fw, "feature", NULL), "enabled", "yes");
			vmp_dom_attr(fw, "name", "enrolled-keys");
			vmp_dom_attr(fw = xmlAddNextSibling(fw, vmp_dom_new_elem("feature", NULL)),
				     "enabled", "yes");
			vmp_dom_attr(fw, "name", "secure-boot");
		}
	}
	/* x86 UEFI needs ACPI (libvirt refuses it otherwise). */
	if (is_x86(dom)) {
		xmlNodePtr features = vmp_dom_ensure(dom, "features", vmp_domain_order);
		if (!vmp_dom_find(features, "acpi"))
			vmp_dom_insert(features, vmp_dom_new_elem("acpi", NULL), features_order);
	}
	if (r->secure_boot) {
		xmlNodePtr smm = vmp_dom_ensure(vmp_dom_ensure(dom, "features", vmp_domain_order),
						"smm", features_order);
		vmp_dom_attr(smm, "state", "on");
	}
}

void vmp_libvirt_apply(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	vmp_libvirt_apply_memory(dom, vm);
	vmp_libvirt_apply_memtune(dom, vm);
	apply_memory_backing(dom, vm);
	vmp_libvirt_apply_vcpu(dom, vm);
	vmp_libvirt_apply_iothreads(dom, vm);
	vmp_libvirt_apply_cputune(dom, vm);
	vmp_libvirt_apply_numatune(dom, vm);
	apply_firmware(dom, vm);
	apply_cpu(dom, vm);
}

int vmp_xml_dump(char **out, size_t *len, xmlDocPtr doc)
{
	xmlChar *mem = NULL;
	int size = 0;

	*out = NULL;
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	if (mem && (*out = malloc((size_t)size + 1))) {
		/* Hand out memory the caller can release with free(), not xmlFree(). */
		memcpy(*out, mem, (size_t)size);
		(*out)[size] = '\0';
		if (len)
			*len = (size_t)size;
	}
	xmlFree(mem);
	if (!*out) {
		vmp_error_set("cannot write domain XML: out of memory");
		return VMP_ENOMEM;
	}
	return VMP_OK;
}

static int check_placed(const vmp_plan_vm *vm)
{
	if (!vm->placed) {
		vmp_error_set("cannot export VM '%s': it was not placed", vm->req.name);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

int vmp_export_libvirt_xml_opts(char **out, size_t *len, const vmp_plan_vm *vm,
				const vmp_export_opts *opts)
{
	xmlDocPtr doc;
	xmlNodePtr dom, os, type;
	int err;

	*out = NULL;
	if ((err = check_placed(vm)) < 0)
		return err;
	doc = xmlNewDoc(BAD_CAST "1.0");
	dom = xmlNewNode(NULL, BAD_CAST "domain");
	xmlDocSetRootElement(doc, dom);
	vmp_dom_attr(dom, "type", opts && opts->type ? opts->type : "kvm");
	vmp_dom_child(dom, "name", vm->req.name);
	os = vmp_dom_child(dom, "os", NULL);
	type = vmp_dom_child(os, "type", "hvm");
	vmp_dom_attr(type, "arch", opts && opts->arch ? opts->arch : GUEST_ARCH);
	if (opts && opts->machine)
		vmp_dom_attr(type, "machine", opts->machine);
	/* What virt-install gives a PC guest: without ACPI, QEMU runs -no-acpi and the guest
	 * sees none of its NUMA cells (SRAT, SLIT) nor the power button. */
	if (is_x86(dom)) {
		xmlNodePtr features = vmp_dom_child(dom, "features", NULL);
		vmp_dom_child(features, "acpi", NULL);
		vmp_dom_child(features, "apic", NULL);
	}
	vmp_libvirt_apply(dom, vm);
	err = vmp_xml_dump(out, len, doc);
	xmlFreeDoc(doc);
	return err;
}

int vmp_export_libvirt_xml(char **out, size_t *len, const vmp_plan_vm *vm, const char *type)
{
	vmp_export_opts opts = {.type = type};

	return vmp_export_libvirt_xml_opts(out, len, vm, &opts);
}

/*
 * Remove the white-space-only text under parent (deep: the whole subtree), which was only
 * indentation: libxml2 re-indents the elements it writes.
 */
static void strip_blank_text(xmlNodePtr parent, bool deep)
{
	xmlNodePtr n, next;

	for (n = parent->children; n; n = next) {
		next = n->next;
		if (n->type == XML_TEXT_NODE && xmlIsBlankNode(n))
			vmp_dom_drop(n);
		else if (deep && n->type == XML_ELEMENT_NODE)
			strip_blank_text(n, true);
	}
}

/*
 * Drop the indentation of the whole tree by one rule that depends only on content: an element
 * whose children are elements and white space loses the white space; an element that holds
 * other text (mixed content), or text alone, keeps all of it, and libxml2 then writes it as it
 * came. XML_PARSE_NOBLANKS decides by position instead (it keeps blanks next to the first or
 * last child when that is text), so after vmplan had added an element in front of such text the
 * next parse dropped blanks the first had kept, and merging twice did not give one document.
 */
static void strip_indentation(xmlNodePtr parent)
{
	bool elements = false, text = false;

	for (xmlNodePtr n = parent->children; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			elements = true;
		else if ((n->type == XML_TEXT_NODE && !xmlIsBlankNode(n)) ||
			 n->type == XML_CDATA_SECTION_NODE || n->type == XML_ENTITY_REF_NODE)
			text = true;
	}
	if (elements && !text)
		strip_blank_text(parent, false);
	for (xmlNodePtr n = parent->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			strip_indentation(n);
}

/* The elements whose content the merge rewrites (see vmp_export_libvirt_merge()). */
static void strip_owned_blank_text(xmlNodePtr dom)
{
	static const char *const owned[] = {
	    "vcpu",     "memory", "currentMemory", "iothreads", "iothreadids", "cputune",
	    "numatune", "cpu",    "memoryBacking", "memtune",   "os",          NULL};

	strip_indentation(dom);
	for (xmlNodePtr n = dom->children; n; n = n->next)
		for (int i = 0; owned[i]; i++)
			if (vmp_dom_is_elem(n, owned[i]))
				strip_blank_text(n, true);
}

/* Parse in_xml, let apply rewrite the <domain> (strip: the elements it owns lose their
 * indentation, so that libxml2 can indent anew), and write the result. */
static int merge_with(char **out, size_t *len, const char *in_xml, const char *what,
		      const vmp_plan_vm *vm, bool tuning_only)
{
	xmlDocPtr doc;
	xmlNodePtr dom;
	char why[256];
	int err;

	*out = NULL;
	if ((err = check_placed(vm)) < 0)
		return err;
	if (!(doc = vmp_xml_parse(in_xml, strlen(in_xml), what, 0, why, sizeof(why)))) {
		vmp_error_set("cannot merge into %s: %s", what, why);
		return VMP_EINVAL;
	}
	dom = xmlDocGetRootElement(doc);
	if (!vmp_dom_is_elem(dom, "domain")) {
		vmp_error_set("cannot merge into %s: the root element is <%s>, not <domain>", what,
			      dom ? (const char *)dom->name : "");
		xmlFreeDoc(doc);
		return VMP_EINVAL;
	}
	if (tuning_only) {
		strip_indentation(dom);
		err = vmp_libvirt_apply_host_tuning(dom, vm, what);
	} else {
		strip_owned_blank_text(dom);
		vmp_libvirt_apply(dom, vm);
	}
	/* Once more: an element that held white space alone may now hold elements too. */
	strip_indentation(dom);
	if (err == VMP_OK)
		err = vmp_xml_dump(out, len, doc);
	xmlFreeDoc(doc);
	return err;
}

int vmp_export_libvirt_merge(char **out, size_t *len, const char *in_xml, const char *what,
			     const vmp_plan_vm *vm)
{
	return merge_with(out, len, in_xml, what, vm, false);
}

int vmp_export_libvirt_merge_tuning(char **out, size_t *len, const char *in_xml, const char *what,
				    const vmp_plan_vm *vm)
{
	return merge_with(out, len, in_xml, what, vm, true);
}

int vmp_export_libvirt_dir_add(vmp_fileset *set, const vmp_plan *plan, const char *dir,
			       const char *type)
{
	char **xml = calloc((size_t)plan->nvms + 1, sizeof(*xml));
	size_t *len = calloc((size_t)plan->nvms + 1, sizeof(*len));
	char path[PATH_MAX];
	int err = VMP_OK;

	if (!xml || !len) {
		vmp_error_set("cannot export the plan's XML: out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	/* Every document and path first, so that a VM that cannot be written stops all of them. */
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];

		if (!vm->placed)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s.xml", dir, vm->req.name) >=
		    (int)sizeof(path)) {
			vmp_error_set("cannot write XML of VM '%s' into '%s': path too long",
				      vm->req.name, dir);
			err = VMP_ESYS;
			goto out;
		}
		if ((err = vmp_export_libvirt_xml(&xml[i], &len[i], vm, type)) < 0)
			goto out;
	}
	if ((err = vmp_mkdir_p(dir)) < 0)
		goto out;
	for (int i = 0; i < plan->nvms && err == VMP_OK; i++) {
		if (!xml[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s.xml", dir, plan->vms[i].req.name);
		err = vmp_fileset_add(set, path, xml[i], len[i]);
	}
out:
	for (int i = 0; xml && i < plan->nvms; i++)
		free(xml[i]);
	free(xml);
	free(len);
	return err;
}

int vmp_export_libvirt_dir(const vmp_plan *plan, const char *dir, const char *type)
{
	vmp_fileset *set;
	int err;

	if ((err = vmp_fileset_new(&set)) < 0)
		return err;
	if ((err = vmp_export_libvirt_dir_add(set, plan, dir, type)) == VMP_OK)
		err = vmp_fileset_commit(set);
	vmp_fileset_free(set);
	return err;
}

static int export_libvirt(char **out, size_t *len, const vmp_plan *plan, int vm,
			  const vmp_export_opts *opts)
{
	if (vm < 0 || vm >= plan->nvms) {
		vmp_error_set("cannot export VM %d of a plan of %d", vm, plan->nvms);
		return VMP_EINVAL;
	}
	return vmp_export_libvirt_xml_opts(out, len, &plan->vms[vm], opts);
}

const vmp_exporter vmp_exporter_libvirt = {
    .name = "libvirt",
    .ext = ".xml",
    .per_vm = true,
    .file = NULL,
    .fn = export_libvirt,
};

const vmp_exporter *vmp_exporter_find(const char *name)
{
	static const vmp_exporter *const all[] = {&vmp_exporter_libvirt, &vmp_exporter_salt,
						  &vmp_exporter_json};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}
