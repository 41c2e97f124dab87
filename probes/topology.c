/* The hwloc probes: the live host, and copying any hwloc topology into the model. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwloc.h>

#include "probes/topology_internal.h"
#include "vmplan/error.h"
#include "vmplan/probe.h"
#include "vmplan/spec.h"

/* The NUMA distances the model holds: what the firmware (SLIT) reports as latency. */
#define VMP_DISTANCE_KIND (HWLOC_DISTANCES_KIND_FROM_OS | HWLOC_DISTANCES_KIND_MEANS_LATENCY)

/*
 * While the arrays are built, the index of the object that holds each OS
 * CPU number, or -1. The first object to claim a CPU keeps it.
 */
struct owners {
	int package[VMP_CPUSET_MAX];
	int node[VMP_CPUSET_MAX];
	int l3[VMP_CPUSET_MAX];
	int core[VMP_CPUSET_MAX];
};

static int no_memory(void)
{
	vmp_error_set("out of memory");
	return VMP_ENOMEM;
}

/* out = the members of set that are in filter (every member when filter is NULL). */
static void copy_bitmap(vmp_cpuset *out, hwloc_const_bitmap_t set, const vmp_cpuset *filter)
{
	vmp_cpuset_zero(out);
	/* The bound also ends the walk over an infinite bitmap. */
	for (int i = hwloc_bitmap_first(set); i >= 0 && i < VMP_CPUSET_MAX;
	     i = hwloc_bitmap_next(set, i))
		if (!filter || vmp_cpuset_isset(filter, i))
			vmp_cpuset_set(out, i);
}

static void claim(int *owner, const vmp_cpuset *set, int index)
{
	for (int cpu = vmp_cpuset_first(set); cpu >= 0; cpu = vmp_cpuset_next(set, cpu))
		if (owner[cpu] < 0)
			owner[cpu] = index;
}

static int cmp_package(const void *a, const void *b)
{
	const vmp_package *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_node(const void *a, const void *b)
{
	const vmp_node *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_cache(const void *a, const void *b)
{
	const vmp_cache *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_core(const void *a, const void *b)
{
	int x = vmp_cpuset_first(&((const vmp_core *)a)->pus);
	int y = vmp_cpuset_first(&((const vmp_core *)b)->pus);

	return (x > y) - (x < y);
}

static int cmp_pu(const void *a, const void *b)
{
	const vmp_pu *x = a, *y = b;

	return (x->os_index > y->os_index) - (x->os_index < y->os_index);
}

/*
 * The smallest page size hwloc lists is the normal page (hwloc's Linux
 * backend puts it first); every larger size is a hugepage pool. Empty pools
 * are kept: libvirt can still be told to fill them.
 */
static void copy_hugepages(vmp_node *node, const struct hwloc_numanode_attr_s *attr)
{
	uint64_t normal = 0;

	for (unsigned i = 0; i < attr->page_types_len; i++)
		if (attr->page_types[i].size && (!normal || attr->page_types[i].size < normal))
			normal = attr->page_types[i].size;
	for (unsigned i = 0; i < attr->page_types_len; i++) {
		const struct hwloc_memory_page_type_s *t = &attr->page_types[i];
		vmp_hugepages *hp;

		if (t->size <= normal || node->nhugepages == VMP_PAGESIZES_MAX)
			continue;
		hp = &node->hugepages[node->nhugepages++];
		hp->size_kib = t->size / 1024;
		hp->total = t->count;
		hp->free = t->count;
	}
}

/*
 * NUMA nodes sorted by id. Until the PUs are known, a node's cpus hold
 * the allowed CPUs of its hwloc cpuset; copy_topology() narrows them to
 * the PUs that end up on the node.
 */
static int copy_nodes(vmp_host *h, hwloc_topology_t topo, const vmp_cpuset *allowed)
{
	int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	hwloc_obj_t obj = NULL;

	h->nodes = calloc(n > 0 ? n : 1, sizeof(*h->nodes));
	if (!h->nodes)
		return no_memory();
	if (n <= 0) {
		/* hwloc 2 always has one; a model without nodes would be useless. */
		h->nodes[0].id = 0;
		h->nodes[0].cpus = *allowed;
		h->nodes[0].memory_bytes = hwloc_get_root_obj(topo)->total_memory;
		h->nodes[0].free_bytes = h->nodes[0].memory_bytes;
		h->nnodes = 1;
		return VMP_OK;
	}
	while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, obj))) {
		vmp_node *node = &h->nodes[h->nnodes++];

		/* What a cpuset cannot name, a nodeset cannot either: refused, not written as
		 * nodeset="" (everything vmplan writes, it reads back). */
		if (obj->os_index >= VMP_CPUSET_MAX) {
			vmp_error_set("topology has NUMA node %u, beyond the %d nodes vmplan "
				      "supports",
				      obj->os_index, VMP_CPUSET_MAX);
			return VMP_EINVAL;
		}
		node->id = (int)obj->os_index;
		copy_bitmap(&node->cpus, obj->cpuset, allowed);
		node->memory_bytes = obj->attr->numanode.local_memory;
		node->free_bytes = node->memory_bytes;
		copy_hugepages(node, &obj->attr->numanode);
	}
	qsort(h->nodes, h->nnodes, sizeof(*h->nodes), cmp_node);
	return VMP_OK;
}

/*
 * The PUs that can run vCPUs: allowed, and close to a NUMA node this
 * process may use. A PU whose only local memory is disallowed (a cgroup's
 * cpuset.mems) has no node to belong to and is left out.
 */
static int copy_pus(vmp_host *h, hwloc_topology_t topo, const vmp_cpuset *allowed,
		    const int *node_of)
{
	int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	hwloc_obj_t obj = NULL;

	h->pus = calloc(n > 0 ? n : 1, sizeof(*h->pus));
	if (!h->pus)
		return no_memory();
	while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, obj))) {
		vmp_pu *pu;

		if (obj->os_index >= VMP_CPUSET_MAX) {
			vmp_error_set("topology has CPU %u, beyond the %d CPUs vmplan supports",
				      obj->os_index, VMP_CPUSET_MAX);
			return VMP_EINVAL;
		}
		if (!vmp_cpuset_isset(allowed, (int)obj->os_index) || node_of[obj->os_index] < 0)
			continue;
		pu = &h->pus[h->npus++];
		pu->os_index = (int)obj->os_index;
		pu->node = node_of[obj->os_index];
		vmp_cpuset_set(&h->online, pu->os_index);
	}
	qsort(h->pus, h->npus, sizeof(*h->pus), cmp_pu);
	return VMP_OK;
}

/* Packages sorted by id; PUs outside every package share one more. */
static int copy_packages(vmp_host *h, hwloc_topology_t topo)
{
	int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
	hwloc_obj_t obj = NULL;
	vmp_cpuset rest = h->online;
	int max_id = -1;

	h->packages = calloc(n > 0 ? n + 1 : 1, sizeof(*h->packages));
	if (!h->packages)
		return no_memory();
	while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PACKAGE, obj))) {
		vmp_package *p = &h->packages[h->npackages];

		copy_bitmap(&p->cpus, obj->cpuset, &h->online);
		if (vmp_cpuset_empty(&p->cpus))
			continue;
		/* A host.json package id is 0..INT_MAX, and one more id may follow it. */
		if (obj->os_index != HWLOC_UNKNOWN_INDEX && obj->os_index >= (unsigned)INT_MAX) {
			vmp_error_set("topology has package %u, beyond the largest index vmplan "
				      "supports (%d)",
				      obj->os_index, INT_MAX - 1);
			return VMP_EINVAL;
		}
		if (!*h->cpu_model && hwloc_obj_get_info_by_name(obj, "CPUModel"))
			snprintf(h->cpu_model, sizeof(h->cpu_model), "%s",
				 hwloc_obj_get_info_by_name(obj, "CPUModel"));
		p->id = obj->os_index != HWLOC_UNKNOWN_INDEX ? (int)obj->os_index
							     : (int)obj->logical_index;
		if (p->id > max_id)
			max_id = p->id;
		vmp_cpuset_andnot(&rest, &rest, &p->cpus);
		h->npackages++;
	}
	if (!vmp_cpuset_empty(&rest)) {
		h->packages[h->npackages].id = max_id + 1;
		h->packages[h->npackages].cpus = rest;
		h->npackages++;
	}
	qsort(h->packages, h->npackages, sizeof(*h->packages), cmp_package);
	return VMP_OK;
}

static int copy_l3s(vmp_host *h, hwloc_topology_t topo)
{
	int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_L3CACHE);
	hwloc_obj_t obj = NULL;

	if (n <= 0)
		return VMP_OK;
	h->l3s = calloc(n, sizeof(*h->l3s));
	if (!h->l3s)
		return no_memory();
	while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_L3CACHE, obj))) {
		vmp_cache *c = &h->l3s[h->nl3];

		/* hwloc 1.x called a KNL's MCDRAM cache an L3; no CPU cache, no resctrl domain. */
		if (obj->subtype && !strcmp(obj->subtype, "MemorySideCache"))
			continue;
		copy_bitmap(&c->cpus, obj->cpuset, &h->online);
		if (vmp_cpuset_empty(&c->cpus))
			continue;
		c->id = (int)obj->logical_index;
		c->size_bytes = obj->attr->cache.size;
		h->nl3++;
	}
	qsort(h->l3s, h->nl3, sizeof(*h->l3s), cmp_cache);
	return VMP_OK;
}

/* Cores sorted by first PU; a PU outside every core becomes a core of its own. */
static int copy_cores(vmp_host *h, hwloc_topology_t topo)
{
	int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	hwloc_obj_t obj = NULL;
	vmp_cpuset rest = h->online;
	int next_id = n > 0 ? n : 0;

	h->cores = calloc((n > 0 ? n : 0) + h->npus + 1, sizeof(*h->cores));
	if (!h->cores)
		return no_memory();
	while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_CORE, obj))) {
		vmp_core *c = &h->cores[h->ncores];

		copy_bitmap(&c->pus, obj->cpuset, &rest);
		if (vmp_cpuset_empty(&c->pus))
			continue;
		c->id = (int)obj->logical_index;
		vmp_cpuset_andnot(&rest, &rest, &c->pus);
		h->ncores++;
	}
	for (int cpu = vmp_cpuset_first(&rest); cpu >= 0; cpu = vmp_cpuset_next(&rest, cpu)) {
		vmp_core *c = &h->cores[h->ncores++];

		c->id = next_id++;
		vmp_cpuset_set(&c->pus, cpu);
	}
	qsort(h->cores, h->ncores, sizeof(*h->cores), cmp_core);
	return VMP_OK;
}

/* Index of each PU's CPU kind; 0 where hwloc knows one kind or none. */
static int copy_kinds(vmp_host *h, hwloc_topology_t topo)
{
	hwloc_bitmap_t one;

	if (hwloc_cpukinds_get_nr(topo, 0) <= 1)
		return VMP_OK;
	one = hwloc_bitmap_alloc();
	if (!one)
		return no_memory();
	for (int i = 0; i < h->npus; i++) {
		int kind;

		hwloc_bitmap_only(one, (unsigned)h->pus[i].os_index);
		kind = hwloc_cpukinds_get_by_cpuset(topo, one, 0);
		h->pus[i].kind = kind >= 0 ? kind : 0;
	}
	hwloc_bitmap_free(one);
	return VMP_OK;
}

/*
 * Fill out (nnodes * nnodes, row-major by the host's node index) from an
 * hwloc matrix; false when the matrix does not cover exactly the host's
 * nodes or holds a value that does not fit. map has room for 2 * nnodes.
 */
static bool convert_distances(uint32_t *out, int *map, const vmp_host *h,
			      const struct hwloc_distances_s *d)
{
	int *seen = map + h->nnodes;

	if (d->nbobjs != (unsigned)h->nnodes)
		return false;
	memset(seen, 0, sizeof(*seen) * h->nnodes);
	for (unsigned k = 0; k < d->nbobjs; k++) {
		map[k] = vmp_host_node_index(h, (int)d->objs[k]->os_index);
		if (map[k] < 0 || seen[map[k]]++)
			return false;
	}
	for (unsigned k = 0; k < d->nbobjs; k++)
		for (unsigned l = 0; l < d->nbobjs; l++) {
			hwloc_uint64_t v = d->values[k * d->nbobjs + l];

			if (v > UINT32_MAX)
				return false;
			out[(size_t)map[k] * h->nnodes + map[l]] = (uint32_t)v;
		}
	return true;
}

static int numa_distances(hwloc_topology_t topo, unsigned *nr, struct hwloc_distances_s **out)
{
	return hwloc_distances_get_by_type(topo, HWLOC_OBJ_NUMANODE, nr, out, VMP_DISTANCE_KIND, 0);
}

/* The first OS latency matrix that covers every node, or none (distances stays NULL). */
static int copy_distances(vmp_host *h, hwloc_topology_t topo)
{
	struct hwloc_distances_s **all = NULL;
	uint32_t *matrix = NULL;
	int *map = NULL;
	unsigned nr = 0, got;
	int err = VMP_OK;

	if (numa_distances(topo, &nr, NULL) < 0 || nr == 0)
		return VMP_OK;
	all = calloc(nr, sizeof(*all));
	matrix = calloc((size_t)h->nnodes * h->nnodes, sizeof(*matrix));
	map = calloc(2 * (size_t)h->nnodes, sizeof(*map));
	if (!all || !matrix || !map) {
		err = no_memory();
		goto out;
	}
	got = nr;
	if (numa_distances(topo, &got, all) < 0)
		goto out;
	/* A matrix added between the two calls is not returned; only count what was. */
	if (got > nr)
		got = nr;
	for (unsigned i = 0; i < got; i++) {
		if (!h->distances && convert_distances(matrix, map, h, all[i])) {
			h->distances = matrix;
			matrix = NULL;
		}
		hwloc_distances_release(topo, all[i]);
	}
out:
	free(map);
	free(matrix);
	free(all);
	return err;
}

/*
 * Copy topo into a new host. Every object refers to the others by array
 * index, found through the CPUs it holds; see model.h for the order of
 * the arrays.
 */
/* What a PCI class says a device is; NULL for classes the planner does not care about. */
static const char *device_kind(unsigned class_id)
{
	if (class_id == 0x0108)
		return "nvme";
	switch (class_id >> 8) {
	case 0x01:
		return "storage";
	case 0x02:
		return "net";
	case 0x03:
	case 0x12:
		return "gpu";
	default:
		return class_id == 0x0c06 ? "net" : NULL; /* InfiniBand */
	}
}

/*
 * PCI devices the planner can place VMs and I/O threads near: NICs, storage,
 * GPUs and accelerators, each with the node it is local to (-1 when its
 * locality spans several nodes or is unknown).
 */
static int copy_devices(vmp_host *h, hwloc_topology_t topo)
{
	hwloc_obj_t pci = NULL;
	int n = 0;

	while ((pci = hwloc_get_next_pcidev(topo, pci)))
		if (device_kind(pci->attr->pcidev.class_id))
			n++;
	if (n == 0)
		return VMP_OK;
	if (!(h->devices = calloc((size_t)n, sizeof(*h->devices))))
		return no_memory();
	while ((pci = hwloc_get_next_pcidev(topo, pci))) {
		const struct hwloc_pcidev_attr_s *a = &pci->attr->pcidev;
		const char *kind = device_kind(a->class_id);
		hwloc_obj_t local = hwloc_get_non_io_ancestor_obj(topo, pci);
		vmp_device *d;

		if (!kind)
			continue;
		d = &h->devices[h->ndevices++];
		snprintf(d->pci, sizeof(d->pci), "%04x:%02x:%02x.%01x", a->domain, a->bus, a->dev,
			 a->func);
		snprintf(d->kind, sizeof(d->kind), "%s", kind);
		snprintf(d->name, sizeof(d->name), "%s", d->pci);
		/* The OS name (eth0, nvme0n1) is what users write; prefer a network or block one.
		 */
		for (hwloc_obj_t os = pci->io_first_child; os; os = os->next_sibling)
			if (os->type == HWLOC_OBJ_OS_DEVICE && os->name &&
			    (os->attr->osdev.type == HWLOC_OBJ_OSDEV_NETWORK ||
			     os->attr->osdev.type == HWLOC_OBJ_OSDEV_BLOCK ||
			     os->attr->osdev.type == HWLOC_OBJ_OSDEV_GPU ||
			     os->attr->osdev.type == HWLOC_OBJ_OSDEV_COPROC)) {
				snprintf(d->name, sizeof(d->name), "%s", os->name);
				break;
			}
		d->node = -1;
		if (local && local->nodeset && hwloc_bitmap_weight(local->nodeset) == 1)
			d->node = vmp_host_node_index(h, hwloc_bitmap_first(local->nodeset));
	}
	return VMP_OK;
}

/*
 * Bandwidth and latency between nodes as the firmware reports them (ACPI
 * HMAT, through hwloc's memory attributes), where it does: the planner's
 * figures until `probe --measure` replaces them with measured ones.
 */
static int copy_memattrs(vmp_host *h, hwloc_topology_t topo)
{
	size_t nn = (size_t)h->nnodes;
	double *bw = NULL, *lat = NULL;
	hwloc_obj_t *objs = NULL;
	bool have_bw = false, have_lat = false;

	if (!(bw = calloc(nn * nn, sizeof(double))) || !(lat = calloc(nn * nn, sizeof(double))) ||
	    !(objs = calloc(nn ? nn : 1, sizeof(*objs)))) {
		free(bw);
		free(lat);
		return no_memory();
	}
	/* Each node's object, found once: a lookup by OS index walks every node, and one per
	 * pair took minutes on 4,096 nodes. */
	for (hwloc_obj_t o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, NULL); o;
	     o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, o)) {
		int i = vmp_host_node_index(h, (int)o->os_index);
		if (i >= 0 && !objs[i])
			objs[i] = o;
	}
	/* Pairs the firmware does not describe stay unknown (NaN, null in host.json). */
	for (size_t i = 0; i < nn * nn; i++)
		bw[i] = lat[i] = NAN;
	for (size_t i = 0; i < nn; i++) {
		hwloc_obj_t from = objs[i];
		/* Rows are "threads on node i": none for a node without CPUs of its own, although
		 * hwloc gives a memory-only node (KNL's MCDRAM) the cpuset of the CPUs near it. */
		if (!from || hwloc_bitmap_iszero(from->cpuset) ||
		    vmp_cpuset_empty(&h->nodes[i].cpus))
			continue;
		struct hwloc_location loc = {.type = HWLOC_LOCATION_TYPE_CPUSET,
					     .location.cpuset = from->cpuset};
		for (size_t j = 0; j < nn; j++) {
			hwloc_obj_t to = objs[j];
			hwloc_uint64_t v;
			if (!to)
				continue;
			/* Bandwidth in MiB/s, latency in ns. */
			if (hwloc_memattr_get_value(topo, HWLOC_MEMATTR_ID_BANDWIDTH, to, &loc, 0,
						    &v) == 0 &&
			    v) {
				bw[i * nn + j] = (double)v * 1048576.0 / 1e9;
				have_bw = true;
			}
			if (hwloc_memattr_get_value(topo, HWLOC_MEMATTR_ID_LATENCY, to, &loc, 0,
						    &v) == 0 &&
			    v) {
				lat[i * nn + j] = (double)v;
				have_lat = true;
			}
		}
	}
	if (have_bw) {
		double *copy = malloc(nn * nn * sizeof(double));
		if (!copy) {
			free(bw);
			free(lat);
			free(objs);
			return no_memory();
		}
		memcpy(copy, bw, nn * nn * sizeof(double));
		h->read_gbs = bw;
		h->triad_gbs = copy;
		bw = NULL;
	}
	if (have_lat) {
		h->latency_ns = lat;
		lat = NULL;
	}
	free(bw);
	free(lat);
	free(objs);
	return VMP_OK;
}

int probe_topology_copy(vmp_host **out, hwloc_topology_t topo, vmp_host_source source,
			const char *hostname)
{
	struct owners *own = NULL;
	vmp_cpuset allowed;
	vmp_host *h = NULL;
	int err;

	*out = NULL;
	/* A snapshot's or an export's host name is printed and written back: UTF-8 text
	 * without control characters (no terminal escapes), or refused, never echoed. */
	if (vmp_spec_check_text("the topology's host name", hostname) < 0)
		return VMP_EINVAL;
	if ((err = vmp_host_new(&h)) < 0)
		goto out;
	own = malloc(sizeof(*own));
	if (!own) {
		err = no_memory();
		goto out;
	}
	memset(own, 0xff, sizeof(*own)); /* every entry -1 */
	h->source = source;
	snprintf(h->hostname, sizeof(h->hostname), "%s", hostname);
	copy_bitmap(&allowed, hwloc_topology_get_allowed_cpuset(topo), NULL);

	if ((err = copy_nodes(h, topo, &allowed)) < 0)
		goto out;
	/* A CPU in several nodes' cpusets (a KNL's DDR and MCDRAM) goes to the lowest id. */
	for (int i = 0; i < h->nnodes; i++)
		claim(own->node, &h->nodes[i].cpus, i);
	if ((err = copy_pus(h, topo, &allowed, own->node)) < 0)
		goto out;
	for (int i = 0; i < h->nnodes; i++)
		vmp_cpuset_zero(&h->nodes[i].cpus);
	for (int i = 0; i < h->npus; i++)
		vmp_cpuset_set(&h->nodes[h->pus[i].node].cpus, h->pus[i].os_index);

	if ((err = copy_packages(h, topo)) < 0 || (err = copy_l3s(h, topo)) < 0 ||
	    (err = copy_cores(h, topo)) < 0)
		goto out;
	for (int i = 0; i < h->npackages; i++)
		claim(own->package, &h->packages[i].cpus, i);
	for (int i = 0; i < h->nl3; i++)
		claim(own->l3, &h->l3s[i].cpus, i);
	for (int i = 0; i < h->ncores; i++) {
		vmp_core *c = &h->cores[i];
		int first = vmp_cpuset_first(&c->pus);

		claim(own->core, &c->pus, i);
		c->package = own->package[first];
		c->node = own->node[first];
		c->l3 = own->l3[first];
	}
	for (int i = 0; i < h->npus; i++) {
		vmp_pu *pu = &h->pus[i];

		pu->core = own->core[pu->os_index];
		pu->package = own->package[pu->os_index];
		pu->l3 = own->l3[pu->os_index];
	}

	if ((err = copy_kinds(h, topo)) < 0 || (err = copy_distances(h, topo)) < 0 ||
	    (err = copy_devices(h, topo)) < 0 || (err = copy_memattrs(h, topo)) < 0 ||
	    (err = vmp_host_check(h)) < 0)
		goto out;
	*out = h;
	h = NULL;
out:
	free(own);
	vmp_host_free(h);
	return err;
}

/* A topology that will be loaded with the PCI devices that matter (NICs, disks, GPUs). */
int probe_topology_new(hwloc_topology_t *out)
{
	if (hwloc_topology_init(out) < 0) {
		int e = errno;

		*out = NULL;
		vmp_error_set("cannot start hwloc: %s", strerror(e));
		return e == ENOMEM ? VMP_ENOMEM : VMP_ESYS;
	}
	hwloc_topology_set_io_types_filter(*out, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
	/* The Linux backend reads PCI devices from sysfs itself; the libpciaccess-based
	 * component would only add a dependency that leaks at exit. */
	hwloc_topology_set_components(*out, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "pci");
	return VMP_OK;
}

int vmp_probe_live(vmp_host **out)
{
	hwloc_topology_t topo = NULL;
	char hostname[VMP_NAME_MAX];
	int err;

	*out = NULL;
	if (gethostname(hostname, sizeof(hostname)) < 0) {
		vmp_error_set("cannot read the host name: %s", strerror(errno));
		err = VMP_ESYS;
		goto out;
	}
	hostname[sizeof(hostname) - 1] = '\0';
	if ((err = probe_topology_new(&topo)) < 0)
		goto out;
	if (hwloc_topology_load(topo) < 0) {
		vmp_error_set("cannot probe the topology of this host: %s", strerror(errno));
		err = VMP_ESYS;
		goto out;
	}
	if ((err = probe_topology_copy(out, topo, VMP_SOURCE_LIVE, hostname)) < 0)
		goto out;
	/* Free memory, hugepage pools, isolated CPUs and resctrl come from sysfs itself. */
	if ((err = vmp_probe_sysfs(*out, "/")) < 0 ||
	    (err = vmp_probe_resctrl(&(*out)->resctrl, "/")) < 0) {
		vmp_host_free(*out);
		*out = NULL;
	}
out:
	if (topo)
		hwloc_topology_destroy(topo);
	return err;
}
