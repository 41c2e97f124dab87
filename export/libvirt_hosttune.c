/* The host-side tuning alone (pins, numatune), for a migration's destination XML or a re-pin. */
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "internal.h"
#include "libvirt_internal.h"
#include "vmplan/cpuset.h"
#include "vmplan/error.h"

/* The unsigned number in element name of dom (its text), or 0. */
static unsigned elem_count(xmlNodePtr dom, const char *name)
{
	xmlNodePtr n = vmp_dom_find(dom, name);
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	unsigned long v = t ? strtoul((const char *)t, NULL, 10) : 0;

	xmlFree(t);
	return v > 4096 ? 4096 : (unsigned)v;
}

/* The host CPUs planned vCPU i runs on: its pin, or the shared pool. */
static void vcpu_cpus(vmp_cpuset *out, const vmp_plan_vm *vm, unsigned i)
{
	vmp_cpuset_zero(out);
	if (vm->vcpupin[i] >= 0)
		vmp_cpuset_set(out, vm->vcpupin[i]);
	else
		*out = vm->pcpus;
}

/* A new pin element (vcpupin vcpu=, iothreadpin iothread=) put before the first child of tune
 * that libvirt writes after the pins, so that the pins read in libvirt's order. */
static void add_pin(xmlNodePtr tune, xmlNodePtr *after, const char *elem, const char *key,
		    unsigned id, const vmp_cpuset *cpus)
{
	xmlNodePtr n = vmp_dom_new_elem(elem, NULL);

	if (key)
		vmp_dom_attr_u64(n, key, id);
	vmp_dom_attr_set(n, "cpuset", cpus);
	if (*after)
		xmlAddNextSibling(*after, n);
	else if (tune->children)
		xmlAddPrevSibling(tune->children, n);
	else
		xmlAddChild(tune, n);
	*after = n;
}

/* The iothread ids of the domain: <iothreadids>, else 1..<iothreads>. n gets their count. */
static unsigned *iothread_ids(xmlNodePtr dom, unsigned *n)
{
	xmlNodePtr ids = vmp_dom_find(dom, "iothreadids");
	unsigned count = elem_count(dom, "iothreads"), k = 0, *out;

	*n = 0;
	for (xmlNodePtr c = ids ? ids->children : NULL; c; c = c->next)
		k += vmp_dom_is_elem(c, "iothread");
	if (k > count)
		count = k;
	if (!count || !(out = calloc(count, sizeof(*out))))
		return NULL;
	for (unsigned i = 0; i < count; i++)
		out[i] = i + 1;
	k = 0;
	for (xmlNodePtr c = ids ? ids->children : NULL; c; c = c->next) {
		xmlChar *v;
		if (!vmp_dom_is_elem(c, "iothread") || !(v = xmlGetProp(c, BAD_CAST "id")))
			continue;
		out[k++] = (unsigned)strtoul((const char *)v, NULL, 10);
		xmlFree(v);
	}
	*n = count;
	return out;
}

void vmp_libvirt_host_vcpu_pin(vmp_cpuset *out, const vmp_plan_vm *vm, unsigned vcpu)
{
	vcpu_cpus(out, vm, vcpu % vm->req.vcpus);
}

void vmp_libvirt_host_emulator_pin(vmp_cpuset *out, const vmp_plan_vm *vm, unsigned nvcpus)
{
	vmp_cpuset one;

	*out = vm->emulatorpin;
	/* Planned vCPUs the domain does not have: their CPUs go to the emulator, so that the
	 * domain still holds every CPU the plan gave it. */
	for (unsigned i = nvcpus; i < vm->req.vcpus; i++) {
		vcpu_cpus(&one, vm, i);
		vmp_cpuset_or(out, out, &one);
	}
}

/* The pins in <cputune>; VMP_OK or VMP_ENOMEM. */
static int host_pins(xmlNodePtr dom, xmlNodePtr tune, const vmp_plan_vm *vm, unsigned nvcpus)
{
	static const char *const pins[] = {"vcpupin", "emulatorpin", "iothreadpin", NULL};
	vmp_cpuset emu, one;
	xmlNodePtr after = NULL;
	unsigned nio, *ios;

	vmp_dom_drop_children(tune, pins);
	for (unsigned i = 0; i < nvcpus; i++) {
		vmp_libvirt_host_vcpu_pin(&one, vm, i);
		add_pin(tune, &after, "vcpupin", "vcpu", i, &one);
	}
	vmp_libvirt_host_emulator_pin(&emu, vm, nvcpus);
	if (!vmp_cpuset_empty(&emu))
		add_pin(tune, &after, "emulatorpin", NULL, 0, &emu);
	ios = iothread_ids(dom, &nio);
	if (nio && !ios)
		return VMP_ENOMEM;
	for (unsigned i = 0; i < nio; i++) {
		const vmp_cpuset *cpus = (int)i < vm->niothreads ? &vm->iothreadpin[i] : &emu;
		if (!vmp_cpuset_empty(cpus))
			add_pin(tune, &after, "iothreadpin", "iothread", ios[i], cpus);
	}
	free(ios);
	return VMP_OK;
}

/* cachetune and memorytune where the plan allocates them, for the domain's vCPUs: built by
 * the full merge on a scratch domain, then moved over. */
static int host_resctrl(xmlNodePtr tune, const vmp_plan_vm *vm, unsigned nvcpus)
{
	static const char *const owned[] = {"cachetune", "memorytune", NULL};
	xmlNodePtr scratch, st, next;
	vmp_cpuset all = {0};

	if (!vm->ncachetune && !vm->nmemorytune)
		return VMP_OK; /* the domain's own stay */
	if (!(scratch = vmp_dom_new_elem("domain", NULL)))
		return VMP_ENOMEM;
	vmp_libvirt_apply_cputune(scratch, vm);
	vmp_dom_drop_children(tune, owned);
	vmp_cpuset_set_range(&all, 0, (int)nvcpus - 1);
	st = vmp_dom_find(scratch, "cputune");
	for (xmlNodePtr c = st ? st->children : NULL; c; c = next) {
		next = c->next;
		if (!vmp_dom_is_elem(c, "cachetune") && !vmp_dom_is_elem(c, "memorytune"))
			continue;
		xmlUnlinkNode(c);
		vmp_dom_attr_set(c, "vcpus", &all);
		xmlAddChild(tune, c);
	}
	xmlFreeNode(scratch);
	return VMP_OK;
}

/* The domain's guest cells (<cpu><numa><cell>). */
static int guest_cells(xmlNodePtr dom)
{
	xmlNodePtr numa = vmp_dom_find(vmp_dom_find(dom, "cpu"), "numa");
	int n = 0;

	for (xmlNodePtr c = numa ? numa->children : NULL; c; c = c->next)
		n += vmp_dom_is_elem(c, "cell");
	return n;
}

/* <numatune>: the memory nodeset and a memnode per guest cell, the domain's mode kept. */
static void host_numatune(xmlNodePtr dom, const vmp_plan_vm *vm, int cells)
{
	xmlNodePtr tune = vmp_dom_ensure(dom, "numatune", vmp_domain_order), mem, next;
	xmlChar *mode;
	vmp_cpuset nodes;

	vmp_vm_nodes(&nodes, vm);
	if (!(mem = vmp_dom_find(tune, "memory")))
		mem = tune->children
			  ? xmlAddPrevSibling(tune->children, vmp_dom_new_elem("memory", NULL))
			  : vmp_dom_child(tune, "memory", NULL);
	if (!(mode = xmlGetProp(mem, BAD_CAST "mode")))
		vmp_dom_attr(mem, "mode", vmp_mem_mode_name(vm->req.mem_mode));
	xmlUnsetProp(mem, BAD_CAST "placement");
	vmp_dom_attr_set(mem, "nodeset", &nodes);
	for (xmlNodePtr c = tune->children; c; c = next) {
		next = c->next;
		if (vmp_dom_is_elem(c, "memnode"))
			vmp_dom_drop(c);
	}
	for (int i = 0; i < cells && i < vm->ncells; i++) {
		xmlNodePtr node = vmp_dom_child(tune, "memnode", NULL);
		vmp_cpuset one = {0};
		vmp_cpuset_set(&one, vm->cells[i].host_node);
		vmp_dom_attr_u64(node, "cellid", (uint64_t)i);
		vmp_dom_attr(node, "mode",
			     mode ? (const char *)mode : vmp_mem_mode_name(vm->req.mem_mode));
		vmp_dom_attr_set(node, "nodeset", &one);
	}
	xmlFree(mode);
}

int vmp_libvirt_apply_host_tuning(xmlNodePtr dom, const vmp_plan_vm *vm, const char *what)
{
	unsigned nvcpus = elem_count(dom, "vcpu");
	int cells = guest_cells(dom), err;
	xmlNodePtr tune;

	if (!nvcpus || !vm->req.vcpus) {
		vmp_error_set("cannot merge the pins into %s: it has no <vcpu> count", what);
		return VMP_EINVAL;
	}
	if (cells && cells != vm->ncells) {
		vmp_error_set("cannot merge the plan into %s: the plan has %d guest cell%s, the "
			      "domain %d (a migration cannot change them; plan it with numa=%d)",
			      what, vm->ncells, vm->ncells == 1 ? "" : "s", cells, cells);
		return VMP_EINVAL;
	}
	tune = vmp_dom_ensure(dom, "cputune", vmp_domain_order);
	if ((err = host_pins(dom, tune, vm, nvcpus)) < 0 ||
	    (err = host_resctrl(tune, vm, nvcpus)) < 0) {
		vmp_error_set("cannot merge the pins into %s: out of memory", what);
		return err;
	}
	vmp_dom_drop_if_empty(tune);
	if (vm->ncells)
		host_numatune(dom, vm, cells);
	return VMP_OK;
}
