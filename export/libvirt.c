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

/* The order libvirt writes a domain's top-level elements in; new elements go where
 * libvirt would put them, so a merged domain reads like one libvirt wrote. */
static const char *const domain_order[] = {"name",
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

/* Inside <cpu>: libvirt's order of the children vmplan writes. */
static const char *const cpu_order[] = {"model",       "vendor",  "topology", "cache",
					"maxphysaddr", "feature", "numa",     NULL};
static const char *const os_order[] = {"type",	 "firmware", "loader", "nvram", "kernel",
				       "initrd", "cmdline",  "boot",   NULL};

static bool is_elem(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, BAD_CAST name);
}

static xmlNodePtr find(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (is_elem(n, name))
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
static xmlNodePtr insert(xmlNodePtr parent, xmlNodePtr node, const char *const *order)
{
	int r = order ? rank(order, node->name) : INT_MAX;

	if (r != INT_MAX)
		for (xmlNodePtr n = parent->children; n; n = n->next)
			if (n->type == XML_ELEMENT_NODE && rank(order, n->name) != INT_MAX &&
			    rank(order, n->name) > r)
				return xmlAddPrevSibling(n, node);
	return xmlAddChild(parent, node);
}

static xmlNodePtr new_elem(const char *name, const char *text)
{
	xmlNodePtr n = xmlNewNode(NULL, BAD_CAST name);

	if (text)
		xmlNodeAddContent(n, BAD_CAST text);
	return n;
}

/* The element name under parent: the existing one, or a new one put in libvirt's order. */
static xmlNodePtr ensure(xmlNodePtr parent, const char *name, const char *const *order)
{
	xmlNodePtr n = find(parent, name);

	return n ? n : insert(parent, new_elem(name, NULL), order);
}

/* Put node where old is (keeping its place among the siblings), or in libvirt's order. */
static xmlNodePtr replace(xmlNodePtr parent, xmlNodePtr old, xmlNodePtr node,
			  const char *const *order)
{
	if (old) {
		xmlReplaceNode(old, node);
		xmlFreeNode(old);
		return node;
	}
	return insert(parent, node, order);
}

static void drop(xmlNodePtr n)
{
	if (n) {
		xmlUnlinkNode(n);
		xmlFreeNode(n);
	}
}

static void drop_children(xmlNodePtr parent, const char *const *names)
{
	xmlNodePtr n, next;

	for (n = parent ? parent->children : NULL; n; n = next) {
		next = n->next;
		for (int i = 0; names[i]; i++)
			if (is_elem(n, names[i])) {
				drop(n);
				break;
			}
	}
}

/* Remove an element that has nothing left in it (no element child, no attribute). */
static void drop_if_empty(xmlNodePtr n)
{
	if (!n || n->properties)
		return;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return;
	drop(n);
}

static xmlNodePtr child(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlAddChild(parent, new_elem(name, text));
}

static void attr(xmlNodePtr node, const char *name, const char *value)
{
	xmlSetProp(node, BAD_CAST name, BAD_CAST value);
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

static void set_text_u64(xmlNodePtr node, uint64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	xmlNodeSetContent(node, BAD_CAST buf);
}

static xmlNodePtr child_kib(xmlNodePtr parent, const char *name, uint64_t bytes)
{
	xmlNodePtr n = child(parent, name, NULL);

	set_text_u64(n, bytes / 1024);
	attr(n, "unit", "KiB");
	return n;
}

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

static unsigned iothread_count(const vmp_plan_vm *vm)
{
	return vm->niothreads > 0 ? (unsigned)vm->niothreads : vm->req.iothreads;
}

static void all_vcpus(vmp_cpuset *out, const vmp_plan_vm *vm)
{
	vmp_cpuset_zero(out);
	vmp_cpuset_set_range(out, 0, (int)vm->req.vcpus - 1);
}

static void apply_memory(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	uint64_t kib = vmp_vm_memory_bytes(vm) / 1024;
	xmlNodePtr n = ensure(dom, "memory", domain_order);

	set_text_u64(n, kib);
	attr(n, "unit", "KiB");
	if ((n = find(dom, "currentMemory"))) {
		set_text_u64(n, kib);
		attr(n, "unit", "KiB");
	}
}

static void apply_vcpu(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	xmlNodePtr n = ensure(dom, "vcpu", domain_order), vcpus;
	xmlChar *cur;

	set_text_u64(n, vm->req.vcpus);
	attr(n, "placement", "static");
	if (!vmp_cpuset_empty(&vm->pcpus))
		attr_set(n, "cpuset", &vm->pcpus);
	else
		xmlUnsetProp(n, BAD_CAST "cpuset");
	if ((cur = xmlGetProp(n, BAD_CAST "current"))) {
		if (strtoul((const char *)cur, NULL, 10) > vm->req.vcpus)
			xmlUnsetProp(n, BAD_CAST "current");
		xmlFree(cur);
	}
	/* Per-vCPU hotplug settings must list every vCPU; a changed count makes them stale. */
	if ((vcpus = find(dom, "vcpus"))) {
		unsigned count = 0;
		for (xmlNodePtr c = vcpus->children; c; c = c->next)
			count += is_elem(c, "vcpu");
		if (count != vm->req.vcpus)
			drop(vcpus);
	}
}

/* <iothreads>, <iothreadids> and the devices' <driver iothread>. */
static void apply_iothreads(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	unsigned n = iothread_count(vm), k = 0;
	xmlNodePtr ids, devices;

	if (!n)
		return; /* the plan does not decide them; disks may use the ones there */
	set_text_u64(ensure(dom, "iothreads", domain_order), n);
	ids = new_elem("iothreadids", NULL);
	for (unsigned i = 1; i <= n; i++)
		attr_u64(child(ids, "iothread", NULL), "id", i);
	replace(dom, find(dom, "iothreadids"), ids, domain_order);

	if (!(devices = find(dom, "devices")))
		return;
	for (xmlNodePtr d = devices->children; d; d = d->next) {
		xmlNodePtr drv, target;
		xmlChar *v;
		if (d->type != XML_ELEMENT_NODE)
			continue;
		drv = find(d, "driver");
		if (is_elem(d, "disk") && (target = find(d, "target"))) {
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
								new_elem("driver", NULL));
				else if (!drv)
					drv = child(d, "driver", NULL);
				v = xmlGetProp(drv, BAD_CAST "name");
				if (!v)
					attr(drv, "name", "qemu");
				xmlFree(v);
				attr_u64(drv, "iothread", k++ % n + 1);
				continue;
			}
		}
		if (drv && (v = xmlGetProp(drv, BAD_CAST "iothread"))) {
			unsigned long id = strtoul((const char *)v, NULL, 10);
			if (id > n)
				attr_u64(drv, "iothread", (id - 1) % n + 1);
			xmlFree(v);
		}
	}
}

/* scheduler='...' and, for the real-time ones, priority='...' (1 when unset). */
static void sched_attrs(xmlNodePtr n, vmp_sched sched, int priority)
{
	attr(n, "scheduler", vmp_sched_name(sched));
	if (sched == VMP_SCHED_FIFO || sched == VMP_SCHED_RR)
		attr_u64(n, "priority", (uint64_t)(priority > 0 ? priority : 1));
}

static void apply_cputune(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	static const char *const owned[] = {
		"vcpupin",	   "emulatorpin",     "iothreadpin",	 "shares",
		"period",	   "quota",	      "global_period",	 "global_quota",
		"emulator_period", "emulator_quota",  "iothread_period", "iothread_quota",
		"vcpusched",	   "iothreadsched",   "emulatorsched",	 "cachetune",
		"memorytune",	   NULL};
	const vmp_vm_request *r = &vm->req;
	xmlNodePtr tune = ensure(dom, "cputune", domain_order), n;
	vmp_cpuset vcpus;
	char buf[32];

	drop_children(tune, owned);
	all_vcpus(&vcpus, vm);
	if (r->shares)
		set_text_u64(child(tune, "shares", NULL), r->shares);
	if (r->period_us)
		set_text_u64(child(tune, "period", NULL), r->period_us);
	if (r->quota_us) {
		snprintf(buf, sizeof(buf), "%" PRId64, r->quota_us);
		child(tune, "quota", buf);
	}
	{
		/* The other CFS bandwidth knobs, in libvirt's order. */
		const struct {
			const char *period, *quota;
			uint64_t p;
			int64_t q;
		} bw[] = {
			{"global_period", "global_quota", r->global_period_us, r->global_quota_us},
			{"emulator_period", "emulator_quota", r->emulator_period_us,
			 r->emulator_quota_us},
			{"iothread_period", "iothread_quota", r->iothread_period_us,
			 r->iothread_quota_us},
		};
		for (size_t i = 0; i < sizeof(bw) / sizeof(bw[0]); i++) {
			if (bw[i].p)
				set_text_u64(child(tune, bw[i].period, NULL), bw[i].p);
			if (bw[i].q) {
				snprintf(buf, sizeof(buf), "%" PRId64, bw[i].q);
				child(tune, bw[i].quota, buf);
			}
		}
	}
	for (unsigned i = 0; i < r->vcpus; i++) {
		vmp_cpuset one = {0};
		if (vm->vcpupin[i] < 0)
			continue; /* a shared vCPU floats on <vcpu cpuset> */
		vmp_cpuset_set(&one, vm->vcpupin[i]);
		n = child(tune, "vcpupin", NULL);
		attr_u64(n, "vcpu", i);
		attr_set(n, "cpuset", &one);
	}
	if (!vmp_cpuset_empty(&vm->emulatorpin))
		attr_set(child(tune, "emulatorpin", NULL), "cpuset", &vm->emulatorpin);
	for (int i = 0; i < vm->niothreads; i++) {
		n = child(tune, "iothreadpin", NULL);
		attr_u64(n, "iothread", (uint64_t)i + 1);
		attr_set(n, "cpuset", &vm->iothreadpin[i]);
	}
	/* As libvirt writes them back (emulatorsched first, then one vcpusched per vCPU and
	 * one iothreadsched per I/O thread): a define of the merged XML then reads as
	 * unchanged. */
	if (r->emulator_sched != VMP_SCHED_NONE)
		sched_attrs(child(tune, "emulatorsched", NULL), r->emulator_sched,
			    r->vcpu_priority);
	for (unsigned i = 0; r->vcpu_sched != VMP_SCHED_NONE && i < r->vcpus; i++) {
		vmp_cpuset one = {0};
		vmp_cpuset_set(&one, (int)i);
		n = child(tune, "vcpusched", NULL);
		attr_set(n, "vcpus", &one);
		sched_attrs(n, r->vcpu_sched, r->vcpu_priority);
	}
	for (unsigned i = 1; r->iothread_sched != VMP_SCHED_NONE && i <= iothread_count(vm); i++) {
		vmp_cpuset one = {0};
		vmp_cpuset_set(&one, (int)i);
		n = child(tune, "iothreadsched", NULL);
		attr_set(n, "iothreads", &one);
		sched_attrs(n, r->iothread_sched, r->vcpu_priority);
	}
	if (vm->ncachetune) {
		xmlNodePtr ct = child(tune, "cachetune", NULL);
		attr_set(ct, "vcpus", &vcpus);
		for (int i = 0; i < vm->ncachetune; i++) {
			const vmp_plan_cachetune *c = &vm->cachetune[i];
			n = child(ct, "cache", NULL);
			attr_u64(n, "id", (uint64_t)c->cache_id);
			attr_u64(n, "level", (uint64_t)c->level);
			attr(n, "type", *c->type ? c->type : "both");
			/* The unit is always written: without it libvirt reads bytes. The largest
			 * exact one, as libvirt itself writes it. */
			if (c->size_bytes % (1ULL << 20) == 0) {
				attr_u64(n, "size", c->size_bytes >> 20);
				attr(n, "unit", "MiB");
			} else if (c->size_bytes % 1024 == 0) {
				attr_u64(n, "size", c->size_bytes >> 10);
				attr(n, "unit", "KiB");
			} else {
				attr_u64(n, "size", c->size_bytes);
				attr(n, "unit", "B");
			}
		}
	}
	if (vm->nmemorytune) {
		xmlNodePtr mt = child(tune, "memorytune", NULL);
		attr_set(mt, "vcpus", &vcpus);
		for (int i = 0; i < vm->nmemorytune; i++) {
			n = child(mt, "node", NULL);
			attr_u64(n, "id", (uint64_t)vm->memorytune[i].node_id);
			attr_u64(n, "bandwidth", vm->memorytune[i].bandwidth);
		}
	}
	drop_if_empty(tune);
}

static void apply_numatune(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	const char *mode = vmp_mem_mode_name(vm->req.mem_mode);
	xmlNodePtr old = find(dom, "numatune"), tune, mem;
	vmp_cpuset nodes;

	if (!vm->ncells) {
		drop(old);
		return;
	}
	vmp_vm_nodes(&nodes, vm);
	tune = new_elem("numatune", NULL);
	mem = child(tune, "memory", NULL);
	attr(mem, "mode", mode);
	attr_set(mem, "nodeset", &nodes);
	for (int i = 0; i < vm->ncells; i++) {
		xmlNodePtr node = child(tune, "memnode", NULL);
		vmp_cpuset one = {0};
		vmp_cpuset_set(&one, vm->cells[i].host_node);
		attr_u64(node, "cellid", (uint64_t)i);
		attr(node, "mode", mode);
		attr_set(node, "nodeset", &one);
	}
	replace(dom, old, tune, domain_order);
}

static void apply_cpu(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	static const char *const custom_only[] = {"model", "vendor", NULL};
	xmlNodePtr cpu = ensure(dom, "cpu", domain_order), topo, numa;
	xmlChar *type = xmlGetProp(dom, BAD_CAST "type");

	/* Software emulation (TCG) cannot pass the host CPU through; 'maximum' gives a
	 * qemu domain every feature it can emulate. */
	attr(cpu, "mode",
	     type && !xmlStrcmp(type, BAD_CAST "qemu") ? "maximum" : "host-passthrough");
	xmlFree(type);
	if (!xmlHasProp(cpu, BAD_CAST "check"))
		attr(cpu, "check", "none");
	xmlUnsetProp(cpu, BAD_CAST "match"); /* only for mode='custom' */
	drop_children(cpu, custom_only);

	topo = new_elem("topology", NULL);
	attr_u64(topo, "sockets", vm->sockets ? vm->sockets : 1);
	attr_u64(topo, "dies", vm->dies ? vm->dies : 1);
	attr_u64(topo, "cores", vm->cores ? vm->cores : vm->req.vcpus);
	attr_u64(topo, "threads", vm->threads ? vm->threads : 1);
	replace(cpu, find(cpu, "topology"), topo, cpu_order);
	if (vm->req.cpu_cache != VMP_CACHE_NONE) {
		static const char *const modes[] = {"", "passthrough", "emulate", "disable"};
		xmlNodePtr cache = new_elem("cache", NULL);
		/* QEMU emulates only the L3 cache: libvirt wants the level said. */
		if (vm->req.cpu_cache == VMP_CACHE_EMULATE)
			attr(cache, "level", "3");
		attr(cache, "mode", modes[vm->req.cpu_cache]);
		replace(cpu, find(cpu, "cache"), cache, cpu_order);
	}

	if (!vm->ncells) {
		drop(find(cpu, "numa"));
		return;
	}
	/* Where the request leaves them, the cells keep the memory access and discard the
	 * domain had: vhost-user devices need shared memory in every cell. */
	const char *access = vm->req.mem_access == VMP_ACCESS_SHARED	? "shared"
			     : vm->req.mem_access == VMP_ACCESS_PRIVATE ? "private"
									: NULL;
	bool discard = vm->req.mem_discard;
	for (xmlNodePtr c = (numa = find(cpu, "numa")) ? numa->children : NULL; c; c = c->next) {
		xmlChar *v;
		if (!is_elem(c, "cell"))
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
	numa = new_elem("numa", NULL);
	for (int i = 0; i < vm->ncells; i++) {
		xmlNodePtr cell = child(numa, "cell", NULL);
		attr_u64(cell, "id", (uint64_t)i);
		attr_set(cell, "cpus", &vm->cells[i].vcpus);
		attr_u64(cell, "memory", vm->cells[i].memory_bytes / 1024);
		attr(cell, "unit", "KiB");
		if (access)
			attr(cell, "memAccess", access);
		if (discard)
			attr(cell, "discard", "yes");
		if (vm->cells[i].distances[i]) {
			xmlNodePtr d = child(cell, "distances", NULL);
			for (int j = 0; j < vm->ncells; j++) {
				xmlNodePtr sib = child(d, "sibling", NULL);
				attr_u64(sib, "id", (uint64_t)j);
				attr_u64(sib, "value", vm->cells[i].distances[j]);
			}
		}
	}
	replace(cpu, find(cpu, "numa"), numa, cpu_order);
}

static void apply_memory_backing(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	static const char *const owned[] = {"hugepages", "nosharepages", "locked", NULL};
	static const char *const mb_order[] = {"hugepages", "nosharepages", "locked", "source",
					       "access",    "allocation",   "discard", NULL};
	static const char *const sources[] = {"", "anonymous", "file", "memfd"};
	static const char *const accesses[] = {"", "shared", "private"};
	static const char *const allocations[] = {"", "immediate", "ondemand"};
	const vmp_vm_request *r = &vm->req;
	xmlNodePtr mb = find(dom, "memoryBacking"), pages = NULL;
	bool others = r->mem_source || r->mem_access || r->mem_allocation || r->mem_discard;

	if (!mb && !r->hugepage_bytes && !r->nosharepages && !r->mem_locked && !others)
		return;
	if (!mb)
		mb = ensure(dom, "memoryBacking", domain_order);
	drop_children(mb, owned);
	/* libvirt's order: hugepages, nosharepages, locked, then source, access, ... */
	if (r->hugepage_bytes) {
		xmlNodePtr page;
		vmp_cpuset cells = {0};
		pages = new_elem("hugepages", NULL);
		page = child(pages, "page", NULL);
		attr_u64(page, "size", r->hugepage_bytes / 1024);
		attr(page, "unit", "KiB");
		if (vm->ncells) {
			vmp_cpuset_set_range(&cells, 0, vm->ncells - 1);
			attr_set(page, "nodeset", &cells);
		}
	}
	{
		xmlNodePtr first = mb->children;
		xmlNodePtr add[3] = {pages, r->nosharepages ? new_elem("nosharepages", NULL) : NULL,
				     r->mem_locked ? new_elem("locked", NULL) : NULL};
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
		xmlNodePtr n = new_elem("source", NULL);
		attr(n, "type", sources[r->mem_source]);
		replace(mb, find(mb, "source"), n, mb_order);
	}
	if (r->mem_access) {
		xmlNodePtr n = new_elem("access", NULL);
		attr(n, "mode", accesses[r->mem_access]);
		replace(mb, find(mb, "access"), n, mb_order);
	}
	if (r->mem_allocation) {
		xmlNodePtr n = new_elem("allocation", NULL);
		attr(n, "mode", allocations[r->mem_allocation]);
		replace(mb, find(mb, "allocation"), n, mb_order);
	}
	if (r->mem_discard && !find(mb, "discard"))
		insert(mb, new_elem("discard", NULL), mb_order);
	drop_if_empty(mb);
}

static void apply_memtune(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	/* min_guarantee too: libvirt's QEMU/KVM driver refuses it (VMware only). */
	static const char *const owned[] = {"hard_limit", "soft_limit", "swap_hard_limit",
					    "min_guarantee", NULL};
	const vmp_vm_request *r = &vm->req;
	xmlNodePtr mt = find(dom, "memtune");

	if (!mt && !r->hard_limit_bytes && !r->soft_limit_bytes && !r->swap_hard_limit_bytes)
		return;
	if (!mt)
		mt = ensure(dom, "memtune", domain_order);
	drop_children(mt, owned);
	if (r->hard_limit_bytes)
		child_kib(mt, "hard_limit", r->hard_limit_bytes);
	if (r->soft_limit_bytes)
		child_kib(mt, "soft_limit", r->soft_limit_bytes);
	if (r->swap_hard_limit_bytes)
		child_kib(mt, "swap_hard_limit", r->swap_hard_limit_bytes);
	drop_if_empty(mt);
}

/* The first of libvirt's <features> in its order; anything else goes after them. */
static const char *const features_order[] = {"acpi", "apic", "pae", "hap", "viridian",
					     "privnet", "hyperv", "kvm", "xen", "pvspinlock",
					     "pmu", "vmport", "gic", "smm", NULL};

/* Whether the domain's guest is x86: its <os><type arch>, else the host's. */
static bool is_x86(xmlNodePtr dom)
{
	xmlNodePtr os = find(dom, "os"), type = os ? find(os, "type") : NULL;
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
	os = ensure(dom, "os", domain_order);
	fw = find(os, "firmware");
	if (r->loader[0]) {
		xmlNodePtr loader = new_elem("loader", r->loader);
		xmlUnsetProp(os, BAD_CAST "firmware");
		drop(fw);
		attr(loader, "readonly", "yes");
		attr(loader, "type", "pflash");
		if (r->secure_boot)
			attr(loader, "secure", "yes");
		replace(os, find(os, "loader"), loader, os_order);
		if (r->nvram[0])
			replace(os, find(os, "nvram"), new_elem("nvram", r->nvram), os_order);
	} else {
		xmlNodePtr loader = find(os, "loader"), nvram = find(os, "nvram");
		attr(os, "firmware", "efi");
		/* Autoselection picks the loader and the varstore template itself: libvirt refuses
		 * a loader path, readonly, type or secure, and an nvram template, beside it. */
		/* <firmware> says whether secure boot is on, from the plan, not the old loader. */
		drop(loader);
		if (nvram) {
			xmlUnsetProp(nvram, BAD_CAST "template");
			if (!nvram->children && !nvram->properties)
				drop(nvram);
		}
		if (!r->secure_boot) {
			drop(fw);
		} else {
			fw = replace(os, fw, new_elem("firmware", NULL), os_order);
			attr(fw = child(fw, "feature", NULL), "enabled", "yes");
			attr(fw, "name", "enrolled-keys");
			attr(fw = xmlAddNextSibling(fw, new_elem("feature", NULL)), "enabled", "yes");
			attr(fw, "name", "secure-boot");
		}
	}
	/* x86 UEFI needs ACPI (libvirt refuses it otherwise). */
	if (is_x86(dom)) {
		xmlNodePtr features = ensure(dom, "features", domain_order);
		if (!find(features, "acpi"))
			insert(features, new_elem("acpi", NULL), features_order);
	}
	if (r->secure_boot) {
		xmlNodePtr smm = ensure(ensure(dom, "features", domain_order), "smm",
					features_order);
		attr(smm, "state", "on");
	}
}

void vmp_libvirt_apply(xmlNodePtr dom, const vmp_plan_vm *vm)
{
	apply_memory(dom, vm);
	apply_memtune(dom, vm);
	apply_memory_backing(dom, vm);
	apply_vcpu(dom, vm);
	apply_iothreads(dom, vm);
	apply_cputune(dom, vm);
	apply_numatune(dom, vm);
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
	attr(dom, "type", opts && opts->type ? opts->type : "kvm");
	child(dom, "name", vm->req.name);
	os = child(dom, "os", NULL);
	type = child(os, "type", "hvm");
	attr(type, "arch", opts && opts->arch ? opts->arch : GUEST_ARCH);
	if (opts && opts->machine)
		attr(type, "machine", opts->machine);
	/* What virt-install gives a PC guest: without ACPI, QEMU runs -no-acpi and the guest
	 * sees none of its NUMA cells (SRAT, SLIT) nor the power button. */
	if (is_x86(dom)) {
		xmlNodePtr features = child(dom, "features", NULL);
		child(features, "acpi", NULL);
		child(features, "apic", NULL);
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
			drop(n);
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
	static const char *const owned[] = {"vcpu", "memory", "currentMemory", "iothreads",
					    "iothreadids", "cputune", "numatune", "cpu",
					    "memoryBacking", "memtune", "os", NULL};

	strip_indentation(dom);
	for (xmlNodePtr n = dom->children; n; n = n->next)
		for (int i = 0; owned[i]; i++)
			if (is_elem(n, owned[i]))
				strip_blank_text(n, true);
}

int vmp_export_libvirt_merge(char **out, size_t *len, const char *in_xml, const char *what,
			     const vmp_plan_vm *vm)
{
	xmlDocPtr doc;
	xmlNodePtr dom;
	char why[256];
	int err;

	*out = NULL;
	if ((err = check_placed(vm)) < 0)
		return err;
	/* The indentation goes (strip_owned_blank_text()) so that libxml2 can indent anew. */
	if (!(doc = vmp_xml_parse(in_xml, strlen(in_xml), what, 0, why, sizeof(why)))) {
		vmp_error_set("cannot merge into %s: %s", what, why);
		return VMP_EINVAL;
	}
	dom = xmlDocGetRootElement(doc);
	if (!is_elem(dom, "domain")) {
		vmp_error_set("cannot merge into %s: the root element is <%s>, not <domain>", what,
			      dom ? (const char *)dom->name : "");
		xmlFreeDoc(doc);
		return VMP_EINVAL;
	}
	strip_owned_blank_text(dom);
	vmp_libvirt_apply(dom, vm);
	/* Once more: an element that held white space alone may now hold elements too. */
	strip_indentation(dom);
	err = vmp_xml_dump(out, len, doc);
	xmlFreeDoc(doc);
	return err;
}

int vmp_export_libvirt_dir(const vmp_plan *plan, const char *dir, const char *type)
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
		err = vmp_file_write_atomic(path, xml[i], len[i]);
	}
out:
	for (int i = 0; xml && i < plan->nvms; i++)
		free(xml[i]);
	free(xml);
	free(len);
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
