/* A domain's memory, vCPUs, I/O threads and their tuning: cputune, numatune, memtune. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "internal.h"
#include "libvirt_internal.h"
#include "vmplan/cpuset.h"

static unsigned iothread_count(const vmp_plan_vm *vm)
{
	return vm->niothreads > 0 ? (unsigned)vm->niothreads : vm->req.iothreads;
}

static void all_vcpus(vmp_cpuset *out, const vmp_plan_vm *vm)
{
	vmp_cpuset_zero(out);
	vmp_cpuset_set_range(out, 0, (int)vm->req.vcpus - 1);
}

void vmp_libvirt_apply_memory(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	uint64_t kib = vmp_vm_memory_bytes(vm) / 1024;
	xmlNodePtr n = vmp_dom_ensure(dom, "memory", vmp_domain_order);

	vmp_dom_set_text_u64(n, kib);
	vmp_dom_attr(n, "unit", "KiB");
	if ((n = vmp_dom_find(dom, "currentMemory"))) {
		vmp_dom_set_text_u64(n, kib);
		vmp_dom_attr(n, "unit", "KiB");
	}
}

void vmp_libvirt_apply_vcpu(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	xmlNodePtr n = vmp_dom_ensure(dom, "vcpu", vmp_domain_order), vcpus;
	xmlChar *cur;

	vmp_dom_set_text_u64(n, vm->req.vcpus);
	vmp_dom_attr(n, "placement", "static");
	if (!vmp_cpuset_empty(&vm->pcpus))
		vmp_dom_attr_set(n, "cpuset", &vm->pcpus);
	else
		xmlUnsetProp(n, BAD_CAST "cpuset");
	if ((cur = xmlGetProp(n, BAD_CAST "current"))) {
		if (strtoul((const char *)cur, NULL, 10) > vm->req.vcpus)
			xmlUnsetProp(n, BAD_CAST "current");
		xmlFree(cur);
	}
	/* Per-vCPU hotplug settings must list every vCPU; a changed count makes them stale. */
	if ((vcpus = vmp_dom_find(dom, "vcpus"))) {
		unsigned count = 0;
		for (xmlNodePtr c = vcpus->children; c; c = c->next)
			count += vmp_dom_is_elem(c, "vcpu");
		if (count != vm->req.vcpus)
			vmp_dom_drop(vcpus);
	}
}

/* <iothreads>, <iothreadids> and the devices' <driver iothread>. */
void vmp_libvirt_apply_iothreads(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	unsigned n = iothread_count(vm), k = 0;
	xmlNodePtr ids, devices;

	if (!n)
		return; /* the plan does not decide them; disks may use the ones there */
	vmp_dom_set_text_u64(vmp_dom_ensure(dom, "iothreads", vmp_domain_order), n);
	ids = vmp_dom_new_elem("iothreadids", NULL);
	for (unsigned i = 1; i <= n; i++)
		vmp_dom_attr_u64(vmp_dom_child(ids, "iothread", NULL), "id", i);
	vmp_dom_replace(dom, vmp_dom_find(dom, "iothreadids"), ids, vmp_domain_order);

	if (!(devices = vmp_dom_find(dom, "devices")))
		return;
	for (xmlNodePtr d = devices->children; d; d = d->next) {
		xmlNodePtr drv, target;
		xmlChar *v;
		if (d->type != XML_ELEMENT_NODE)
			continue;
		drv = vmp_dom_find(d, "driver");
		if (vmp_dom_is_elem(d, "disk") && (target = vmp_dom_find(d, "target"))) {
			bool virtio = false;
			if ((v = xmlGetProp(target, BAD_CAST "bus"))) {
				virtio = !xmlStrcmp(v, BAD_CAST "virtio");
				xmlFree(v);
			}
			/* A vhost-user or vDPA disk runs outside QEMU's I/O threads. */
			if ((v = xmlGetProp(d, BAD_CAST "type"))) {
				if (!xmlStrcmp(v, BAD_CAST "vhostuser") ||
				    !xmlStrcmp(v, BAD_CAST "vhostvdpa"))
					virtio = false;
				xmlFree(v);
			}
			if (virtio) {
				/* Spread virtio disks over the I/O threads, in device order. */
				if (!drv && d->children)
					drv = xmlAddPrevSibling(d->children,
								vmp_dom_new_elem("driver", NULL));
				else if (!drv)
					drv = vmp_dom_child(d, "driver", NULL);
				v = xmlGetProp(drv, BAD_CAST "name");
				if (!v)
					vmp_dom_attr(drv, "name", "qemu");
				xmlFree(v);
				vmp_dom_attr_u64(drv, "iothread", k++ % n + 1);
				continue;
			}
		}
		if (drv && (v = xmlGetProp(drv, BAD_CAST "iothread"))) {
			unsigned long id = strtoul((const char *)v, NULL, 10);
			if (id > n)
				vmp_dom_attr_u64(drv, "iothread", (id - 1) % n + 1);
			xmlFree(v);
		}
	}
}

/* scheduler='...' and, for the real-time ones, priority='...' (1 when unset). */
static void sched_attrs(xmlNodePtr n, vmp_sched sched, int priority)
{
	vmp_dom_attr(n, "scheduler", vmp_sched_name(sched));
	if (sched == VMP_SCHED_FIFO || sched == VMP_SCHED_RR)
		vmp_dom_attr_u64(n, "priority", (uint64_t)(priority > 0 ? priority : 1));
}

/* <shares> and the CFS bandwidth knobs (period, quota), in libvirt's order. */
static void cputune_bandwidth(xmlNodePtr tune, const vmp_vm_request *r)
{
	/* The other CFS bandwidth knobs, in libvirt's order. */
	const struct {
		const char *period, *quota;
		uint64_t p;
		int64_t q;
	} bw[] = {
	    {"global_period", "global_quota", r->global_period_us, r->global_quota_us},
	    {"emulator_period", "emulator_quota", r->emulator_period_us, r->emulator_quota_us},
	    {"iothread_period", "iothread_quota", r->iothread_period_us, r->iothread_quota_us},
	};
	char buf[32];

	if (r->shares)
		vmp_dom_set_text_u64(vmp_dom_child(tune, "shares", NULL), r->shares);
	if (r->period_us)
		vmp_dom_set_text_u64(vmp_dom_child(tune, "period", NULL), r->period_us);
	if (r->quota_us) {
		snprintf(buf, sizeof(buf), "%" PRId64, r->quota_us);
		vmp_dom_child(tune, "quota", buf);
	}
	for (size_t i = 0; i < sizeof(bw) / sizeof(bw[0]); i++) {
		if (bw[i].p)
			vmp_dom_set_text_u64(vmp_dom_child(tune, bw[i].period, NULL), bw[i].p);
		if (bw[i].q) {
			snprintf(buf, sizeof(buf), "%" PRId64, bw[i].q);
			vmp_dom_child(tune, bw[i].quota, buf);
		}
	}
}

/* <vcpupin> per dedicated vCPU, <emulatorpin>, <iothreadpin> per I/O thread. */
static void cputune_pins(xmlNodePtr tune, const vmp_plan_vm *vm)
{
	xmlNodePtr n;

	for (unsigned i = 0; i < vm->req.vcpus; i++) {
		vmp_cpuset one = {0};
		if (vm->vcpupin[i] < 0)
			continue; /* a shared vCPU floats on <vcpu cpuset> */
		vmp_cpuset_set(&one, vm->vcpupin[i]);
		n = vmp_dom_child(tune, "vcpupin", NULL);
		vmp_dom_attr_u64(n, "vcpu", i);
		vmp_dom_attr_set(n, "cpuset", &one);
	}
	if (!vmp_cpuset_empty(&vm->emulatorpin))
		vmp_dom_attr_set(vmp_dom_child(tune, "emulatorpin", NULL), "cpuset",
				 &vm->emulatorpin);
	for (int i = 0; i < vm->niothreads; i++) {
		n = vmp_dom_child(tune, "iothreadpin", NULL);
		vmp_dom_attr_u64(n, "iothread", (uint64_t)i + 1);
		vmp_dom_attr_set(n, "cpuset", &vm->iothreadpin[i]);
	}
}

/*
 * As libvirt writes them back (emulatorsched first, then one vcpusched per vCPU and
 * one iothreadsched per I/O thread): a define of the merged XML then reads as
 * unchanged.
 */
static void cputune_sched(xmlNodePtr tune, const vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;
	xmlNodePtr n;

	if (r->emulator_sched != VMP_SCHED_NONE)
		sched_attrs(vmp_dom_child(tune, "emulatorsched", NULL), r->emulator_sched,
			    r->vcpu_priority);
	for (unsigned i = 0; r->vcpu_sched != VMP_SCHED_NONE && i < r->vcpus; i++) {
		vmp_cpuset one = {0};
		vmp_cpuset_set(&one, (int)i);
		n = vmp_dom_child(tune, "vcpusched", NULL);
		vmp_dom_attr_set(n, "vcpus", &one);
		sched_attrs(n, r->vcpu_sched, r->vcpu_priority);
	}
	for (unsigned i = 1; r->iothread_sched != VMP_SCHED_NONE && i <= iothread_count(vm); i++) {
		vmp_cpuset one = {0};
		vmp_cpuset_set(&one, (int)i);
		n = vmp_dom_child(tune, "iothreadsched", NULL);
		vmp_dom_attr_set(n, "iothreads", &one);
		sched_attrs(n, r->iothread_sched, r->vcpu_priority);
	}
}

/* One <cachetune> and one <memorytune> for all vCPUs, where the plan allocates any. */
static void cputune_resctrl(xmlNodePtr tune, const vmp_plan_vm *vm)
{
	vmp_cpuset vcpus;
	xmlNodePtr n;

	all_vcpus(&vcpus, vm);
	if (vm->ncachetune) {
		xmlNodePtr ct = vmp_dom_child(tune, "cachetune", NULL);
		vmp_dom_attr_set(ct, "vcpus", &vcpus);
		for (int i = 0; i < vm->ncachetune; i++) {
			const vmp_plan_cachetune *c = &vm->cachetune[i];
			n = vmp_dom_child(ct, "cache", NULL);
			vmp_dom_attr_u64(n, "id", (uint64_t)c->cache_id);
			vmp_dom_attr_u64(n, "level", (uint64_t)c->level);
			vmp_dom_attr(n, "type", *c->type ? c->type : "both");
			/* The unit is always written: without it libvirt reads bytes. The largest
			 * exact one, as libvirt itself writes it. */
			if (c->size_bytes % (1ULL << 20) == 0) {
				vmp_dom_attr_u64(n, "size", c->size_bytes >> 20);
				vmp_dom_attr(n, "unit", "MiB");
			} else if (c->size_bytes % 1024 == 0) {
				vmp_dom_attr_u64(n, "size", c->size_bytes >> 10);
				vmp_dom_attr(n, "unit", "KiB");
			} else {
				vmp_dom_attr_u64(n, "size", c->size_bytes);
				vmp_dom_attr(n, "unit", "B");
			}
		}
	}
	if (vm->nmemorytune) {
		xmlNodePtr mt = vmp_dom_child(tune, "memorytune", NULL);
		vmp_dom_attr_set(mt, "vcpus", &vcpus);
		for (int i = 0; i < vm->nmemorytune; i++) {
			n = vmp_dom_child(mt, "node", NULL);
			vmp_dom_attr_u64(n, "id", (uint64_t)vm->memorytune[i].node_id);
			vmp_dom_attr_u64(n, "bandwidth", vm->memorytune[i].bandwidth);
		}
	}
}

void vmp_libvirt_apply_cputune(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	static const char *const owned[] = {"vcpupin",        "emulatorpin",     "iothreadpin",
					    "shares",         "period",          "quota",
					    "global_period",  "global_quota",    "emulator_period",
					    "emulator_quota", "iothread_period", "iothread_quota",
					    "vcpusched",      "iothreadsched",   "emulatorsched",
					    "cachetune",      "memorytune",      NULL};
	xmlNodePtr tune = vmp_dom_ensure(dom, "cputune", vmp_domain_order);

	vmp_dom_drop_children(tune, owned);
	cputune_bandwidth(tune, &vm->req);
	cputune_pins(tune, vm);
	cputune_sched(tune, vm);
	cputune_resctrl(tune, vm);
	vmp_dom_drop_if_empty(tune);
}

void vmp_libvirt_apply_numatune(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	const char *mode = vmp_mem_mode_name(vm->req.mem_mode);
	xmlNodePtr old = vmp_dom_find(dom, "numatune"), tune, mem;
	vmp_cpuset nodes;

	if (!vm->ncells) {
		vmp_dom_drop(old);
		return;
	}
	vmp_vm_nodes(&nodes, vm);
	tune = vmp_dom_new_elem("numatune", NULL);
	mem = vmp_dom_child(tune, "memory", NULL);
	vmp_dom_attr(mem, "mode", mode);
	vmp_dom_attr_set(mem, "nodeset", &nodes);
	for (int i = 0; i < vm->ncells; i++) {
		xmlNodePtr node = vmp_dom_child(tune, "memnode", NULL);
		vmp_cpuset one = {0};
		vmp_cpuset_set(&one, vm->cells[i].host_node);
		vmp_dom_attr_u64(node, "cellid", (uint64_t)i);
		vmp_dom_attr(node, "mode", mode);
		vmp_dom_attr_set(node, "nodeset", &one);
	}
	vmp_dom_replace(dom, old, tune, vmp_domain_order);
}

void vmp_libvirt_apply_memtune(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	/* min_guarantee too: libvirt's QEMU/KVM driver refuses it (VMware only). */
	static const char *const owned[] = {"hard_limit", "soft_limit", "swap_hard_limit",
					    "min_guarantee", NULL};
	const vmp_vm_request *r = &vm->req;
	xmlNodePtr mt = vmp_dom_find(dom, "memtune");

	if (!mt && !r->hard_limit_bytes && !r->soft_limit_bytes && !r->swap_hard_limit_bytes)
		return;
	if (!mt)
		mt = vmp_dom_ensure(dom, "memtune", vmp_domain_order);
	vmp_dom_drop_children(mt, owned);
	if (r->hard_limit_bytes)
		vmp_dom_child_kib(mt, "hard_limit", r->hard_limit_bytes);
	if (r->soft_limit_bytes)
		vmp_dom_child_kib(mt, "soft_limit", r->soft_limit_bytes);
	if (r->swap_hard_limit_bytes)
		vmp_dom_child_kib(mt, "swap_hard_limit", r->swap_hard_limit_bytes);
	vmp_dom_drop_if_empty(mt);
}
