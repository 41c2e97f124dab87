/* The guest engine's variants: the exported domain XML, booted directly, tuned per variant. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "bench/guest_internal.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/xml.h"

uint64_t guest_cell_bytes(const vmp_plan_vm *vm, int cell, uint64_t cell_bytes)
{
	uint64_t planned = vm->ncells ? vm->cells[cell].memory_bytes : vm->req.memory_bytes;

	return cell_bytes && planned > cell_bytes ? cell_bytes : planned;
}

static bool is_elem(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, BAD_CAST name);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

/* Remove every child of parent called one of names (NULL-terminated). */
static void drop_children(xmlNodePtr parent, const char *const *names)
{
	xmlNodePtr n, next;

	for (n = parent ? parent->children : NULL; n; n = next) {
		next = n->next;
		for (int i = 0; names[i]; i++)
			if (is_elem(n, names[i])) {
				xmlUnlinkNode(n);
				xmlFreeNode(n);
				break;
			}
	}
}

/* Remove parent when it has no element left. */
static void drop_if_empty(xmlNodePtr parent)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return;
	if (parent) {
		xmlUnlinkNode(parent);
		xmlFreeNode(parent);
	}
}

static xmlNodePtr add(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
}

static void set_u64(xmlNodePtr n, const char *attr, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	xmlSetProp(n, BAD_CAST attr, BAD_CAST buf);
}

/* <os>: the type kept, the rest replaced by direct kernel boot. */
static void direct_boot(xmlNodePtr dom, const vmp_plan_vm *vm, const guest_boot *b)
{
	static const char *const boot_only[] = {"firmware", "loader",  "nvram", "kernel",
						"initrd",   "cmdline", "boot",  "bootmenu",
						"dtb",      "smbios",  NULL};
	xmlNodePtr os = child(dom, "os");
	char cmdline[1024];

	if (!os)
		os = add(dom, "os", NULL);
	xmlUnsetProp(os, BAD_CAST "firmware");
	drop_children(os, boot_only);
	add(os, "kernel", b->kernel);
	add(os, "initrd", b->initrd);
	snprintf(cmdline, sizeof(cmdline),
		 "console=ttyS0 quiet panic=-1 vmplan.vm=%s vmplan.workloads=%s "
		 "vmplan.seconds=%g vmplan.reps=%d",
		 vm->req.name, b->workloads, b->seconds, b->reps);
	add(os, "cmdline", cmdline);
}

/* No disks, interfaces or anything else: a serial log and its console, no balloon. */
static void devices(xmlNodePtr dom, const guest_boot *b)
{
	static const char *const gone[] = {"devices", "on_poweroff", "on_reboot", "on_crash", NULL};
	xmlNodePtr dev, n;

	drop_children(dom, gone);
	/* panic=-1 reboots on a guest panic: that ends the run too. */
	add(dom, "on_poweroff", "destroy");
	add(dom, "on_reboot", "destroy");
	add(dom, "on_crash", "destroy");
	dev = add(dom, "devices", NULL);
	n = add(dev, "serial", NULL);
	xmlSetProp(n, BAD_CAST "type", BAD_CAST "file");
	xmlSetProp(add(n, "source", NULL), BAD_CAST "path", BAD_CAST b->serial_log);
	xmlSetProp(add(n, "target", NULL), BAD_CAST "port", BAD_CAST "0");
	n = add(dev, "console", NULL);
	xmlSetProp(n, BAD_CAST "type", BAD_CAST "file");
	xmlSetProp(add(n, "source", NULL), BAD_CAST "path", BAD_CAST b->serial_log);
	n = add(n, "target", NULL);
	xmlSetProp(n, BAD_CAST "type", BAD_CAST "serial");
	xmlSetProp(n, BAD_CAST "port", BAD_CAST "0");
	xmlSetProp(add(dev, "memballoon", NULL), BAD_CAST "model", BAD_CAST "none");
}

/* Memory per cell at most b->cell_bytes; <memory> the sum; no hard_limit; hugepages. */
static void memory(xmlNodePtr dom, const vmp_plan_vm *vm, const guest_boot *b)
{
	static const char *const limits[] = {"hard_limit", "swap_hard_limit", NULL};
	xmlNodePtr cpu = child(dom, "cpu"), numa = child(cpu, "numa"), n;
	uint64_t total = 0;
	int cell = 0;

	for (n = numa ? numa->children : NULL; n; n = n->next) {
		uint64_t bytes;

		if (!is_elem(n, "cell"))
			continue;
		bytes = guest_cell_bytes(vm, cell < vm->ncells ? cell : 0, b->cell_bytes);
		set_u64(n, "memory", bytes / 1024);
		xmlSetProp(n, BAD_CAST "unit", BAD_CAST "KiB");
		total += bytes;
		cell++;
	}
	if (!cell)
		total = guest_cell_bytes(vm, 0, b->cell_bytes);
	for (n = dom->children; n; n = n->next)
		if (is_elem(n, "memory") || is_elem(n, "currentMemory")) {
			char buf[32];

			snprintf(buf, sizeof(buf), "%" PRIu64, total / 1024);
			xmlNodeSetContent(n, BAD_CAST buf);
			xmlSetProp(n, BAD_CAST "unit", BAD_CAST "KiB");
		}
	/* This sandbox (and any host without CAP_SYS_RESOURCE for QEMU) refuses hard_limit. */
	n = child(dom, "memtune");
	drop_children(n, limits);
	drop_if_empty(n);
	if (b->drop_hugepages) {
		static const char *const pages[] = {"hugepages", NULL};

		n = child(dom, "memoryBacking");
		drop_children(n, pages);
		drop_if_empty(n);
	}
}

/* The tuning the baselines do without; the guest cells stay. */
static void untune(xmlNodePtr dom)
{
	static const char *const pins[] = {"vcpupin",   "emulatorpin",   "iothreadpin",
					   "vcpusched", "emulatorsched", "iothreadsched",
					   "cachetune", "memorytune",    NULL};
	static const char *const numatune[] = {"numatune", NULL};
	xmlNodePtr cputune = child(dom, "cputune"), vcpu = child(dom, "vcpu");

	drop_children(cputune, pins);
	drop_if_empty(cputune);
	drop_children(dom, numatune);
	if (vcpu) {
		xmlUnsetProp(vcpu, BAD_CAST "cpuset");
		xmlUnsetProp(vcpu, BAD_CAST "placement");
	}
}

static void drop_resctrl(xmlNodePtr dom)
{
	static const char *const rdt[] = {"cachetune", "memorytune", NULL};
	xmlNodePtr cputune = child(dom, "cputune");

	drop_children(cputune, rdt);
	drop_if_empty(cputune);
}

/* The first vCPU of vm in the naive order: the vCPUs of the placed VMs before it. */
static unsigned naive_offset(const vmp_plan *plan, int vm)
{
	unsigned off = 0;

	for (int i = 0; i < vm; i++)
		if (plan->vms[i].placed)
			off += plan->vms[i].req.vcpus;
	return off;
}

/* vCPUs in CPU order from the first online CPU, one each, wrapping; helpers on their CPUs. */
static int naive_pins(xmlNodePtr dom, const vmp_plan *plan, int vm, const vmp_cpuset *online)
{
	const vmp_plan_vm *v = &plan->vms[vm];
	int ncpus = vmp_cpuset_count(online), *cpus, cpu, k = 0;
	unsigned off = naive_offset(plan, vm);
	xmlNodePtr cputune = child(dom, "cputune"), n, first;
	vmp_cpuset used;
	char buf[4096];

	if (ncpus <= 0) {
		vmp_error_set("cannot pin the naive variant of VM '%s': no CPU is online",
			      v->req.name);
		return VMP_EINVAL;
	}
	if (!(cpus = malloc(sizeof(*cpus) * (size_t)ncpus))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	VMP_CPUSET_FOREACH (cpu, online)
		cpus[k++] = cpu;
	if (!cputune)
		cputune = add(dom, "cputune", NULL);
	first = cputune->children;
	vmp_cpuset_zero(&used);
	for (unsigned i = 0; i < v->req.vcpus; i++) {
		int c = cpus[(off + i) % (unsigned)ncpus];

		vmp_cpuset_set(&used, c);
		n = xmlNewNode(NULL, BAD_CAST "vcpupin");
		set_u64(n, "vcpu", i);
		set_u64(n, "cpuset", (uint64_t)c);
		if (first)
			xmlAddPrevSibling(first, n);
		else
			xmlAddChild(cputune, n);
	}
	vmp_cpuset_format(buf, sizeof(buf), &used);
	n = xmlNewNode(NULL, BAD_CAST "emulatorpin");
	xmlSetProp(n, BAD_CAST "cpuset", BAD_CAST buf);
	if (first)
		xmlAddPrevSibling(first, n);
	else
		xmlAddChild(cputune, n);
	for (int t = 0; t < v->niothreads; t++) {
		n = xmlNewNode(NULL, BAD_CAST "iothreadpin");
		set_u64(n, "iothread", (uint64_t)t + 1);
		xmlSetProp(n, BAD_CAST "cpuset", BAD_CAST buf);
		if (first)
			xmlAddPrevSibling(first, n);
		else
			xmlAddChild(cputune, n);
	}
	free(cpus);
	return VMP_OK;
}

int guest_variant_xml(char **out, const vmp_plan *plan, int vm, vmp_bench_variant variant,
		      const guest_boot *b)
{
	vmp_export_opts opts = {.type = b->domain_type};
	xmlDocPtr doc = NULL;
	xmlNodePtr dom, name;
	xmlChar *mem = NULL;
	char *xml = NULL, why[256];
	int size = 0, err;

	*out = NULL;
	if (vm < 0 || vm >= plan->nvms) {
		vmp_error_set("cannot bench VM %d of a plan of %d", vm, plan->nvms);
		return VMP_EINVAL;
	}
	/* Exactly what `vmplan export` writes, then edited. */
	if ((err = vmp_export_libvirt_xml_opts(&xml, NULL, &plan->vms[vm], &opts)) < 0)
		return err;
	if (!(doc = vmp_xml_parse(xml, strlen(xml), "exported domain XML", XML_PARSE_NOBLANKS, why,
				  sizeof(why)))) {
		vmp_error_set("cannot read the exported XML of VM '%s': %s", plan->vms[vm].req.name,
			      why);
		err = VMP_EINVAL;
		goto out;
	}
	dom = xmlDocGetRootElement(doc);
	xmlSetProp(dom, BAD_CAST "type", BAD_CAST b->domain_type);
	if ((name = child(dom, "name")))
		xmlNodeSetContent(name, BAD_CAST b->name);
	direct_boot(dom, &plan->vms[vm], b);
	devices(dom, b);
	memory(dom, &plan->vms[vm], b);
	if (b->drop_resctrl)
		drop_resctrl(dom);
	if (variant != VMP_BENCH_PLAN)
		untune(dom);
	if (variant == VMP_BENCH_NAIVE && (err = naive_pins(dom, plan, vm, b->online)) < 0)
		goto out;
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	if (!mem || !(*out = malloc((size_t)size + 1))) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	memcpy(*out, mem, (size_t)size);
	(*out)[size] = '\0';
	err = VMP_OK;
out:
	xmlFree(mem);
	xmlFreeDoc(doc);
	free(xml);
	return err;
}
