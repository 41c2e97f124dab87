/* Host and plan lifetimes, lookups, consistency checks and fingerprints. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/error.h"
#include "vmplan/model.h"

int vmp_host_new(vmp_host **out)
{
	vmp_host *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	*out = h;
	return VMP_OK;
}

void vmp_host_free(vmp_host *host)
{
	if (!host)
		return;
	free(host->packages);
	free(host->nodes);
	free(host->l3s);
	free(host->cores);
	free(host->pus);
	free(host->distances);
	free(host->devices);
	free(host->existing);
	free(host->read_gbs);
	free(host->triad_gbs);
	free(host->latency_ns);
	free(host->c2c_ns);
	free(host);
}

int vmp_host_node_index(const vmp_host *host, int id)
{
	for (int i = 0; i < host->nnodes; i++)
		if (host->nodes[i].id == id)
			return i;
	return -1;
}

int vmp_host_pu_index(const vmp_host *host, int os_index)
{
	/* PUs are sorted by os_index. */
	int lo = 0, hi = host->npus - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (host->pus[mid].os_index == os_index)
			return mid;
		if (host->pus[mid].os_index < os_index)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

uint32_t vmp_host_distance(const vmp_host *host, int a, int b)
{
	if (host->distances)
		return host->distances[(size_t)a * host->nnodes + b];
	return a == b ? 10 : 20;
}

unsigned vmp_resctrl_closids(const vmp_resctrl *rc)
{
	unsigned n = UINT32_MAX;

	if (rc->l3.present && rc->l3.num_closids && rc->l3.num_closids < n)
		n = rc->l3.num_closids;
	if (rc->l2.present && rc->l2.num_closids && rc->l2.num_closids < n)
		n = rc->l2.num_closids;
	if (rc->mb.present && rc->mb.num_closids && rc->mb.num_closids < n)
		n = rc->mb.num_closids;
	return n;
}

/*
 * A node's memory adds up: no more free than it has, each page size once,
 * no pool with more free pages than pages, and pools that fit in the node.
 * A node without a memory size (hwloc XML that gives none, a libvirt cell
 * without <memory>) has pools that nothing can be checked against.
 */
static int check_node_memory(const vmp_node *n)
{
	uint64_t pools = 0;

	if (n->free_bytes > n->memory_bytes) {
		vmp_error_set("host model has NUMA node %d with %" PRIu64
			      " bytes free, more than its %" PRIu64 " bytes of memory",
			      n->id, n->free_bytes, n->memory_bytes);
		return VMP_EINVAL;
	}
	for (int k = 0; k < n->nhugepages; k++) {
		const vmp_hugepages *p = &n->hugepages[k];
		uint64_t bytes;

		if (p->size_kib == 0) {
			vmp_error_set("host model has NUMA node %d with a hugepage pool of 0 KiB "
				      "pages",
				      n->id);
			return VMP_EINVAL;
		}
		for (int j = 0; j < k; j++)
			if (n->hugepages[j].size_kib == p->size_kib) {
				vmp_error_set("host model has NUMA node %d with pages of %" PRIu64
					      " KiB listed twice",
					      n->id, p->size_kib);
				return VMP_EINVAL;
			}
		if (p->free > p->total) {
			vmp_error_set("host model has NUMA node %d with %" PRIu64
				      " free pages of %" PRIu64 " KiB, more than the %" PRIu64
				      " in the pool",
				      n->id, p->free, p->size_kib, p->total);
			return VMP_EINVAL;
		}
		if (!n->memory_bytes)
			continue;
		/* A sum that overflows is as much too large as one above memory_bytes. */
		if (p->size_kib > UINT64_MAX / 1024 ||
		    __builtin_mul_overflow(p->size_kib * 1024, p->total, &bytes) ||
		    __builtin_add_overflow(pools, bytes, &pools) || pools > n->memory_bytes) {
			vmp_error_set("host model has NUMA node %d with hugepage pools larger than "
				      "its %" PRIu64 " bytes of memory",
				      n->id, n->memory_bytes);
			return VMP_EINVAL;
		}
	}
	return VMP_OK;
}

/* Every CPU in range, in order, and in the core, node, package and L3 it names. */
static int check_pus(const vmp_host *h)
{
	for (int i = 0; i < h->npus; i++) {
		const vmp_pu *p = &h->pus[i];
		if (p->os_index < 0 || p->os_index >= VMP_CPUSET_MAX) {
			vmp_error_set("host model has CPU %d outside 0-%d", p->os_index,
				      VMP_CPUSET_MAX - 1);
			return VMP_EINVAL;
		}
		if (i > 0 && h->pus[i - 1].os_index >= p->os_index) {
			vmp_error_set("host model lists CPU %d out of order or twice", p->os_index);
			return VMP_EINVAL;
		}
		if (p->core < 0 || p->core >= h->ncores || p->node < 0 || p->node >= h->nnodes ||
		    p->package < 0 || p->package >= h->npackages || p->l3 < -1 || p->l3 >= h->nl3) {
			vmp_error_set("host model has CPU %d with a core, node, package or L3 "
				      "that does not exist",
				      p->os_index);
			return VMP_EINVAL;
		}
		if (!vmp_cpuset_isset(&h->cores[p->core].pus, p->os_index) ||
		    !vmp_cpuset_isset(&h->nodes[p->node].cpus, p->os_index)) {
			vmp_error_set("host model has CPU %d missing from its core or node",
				      p->os_index);
			return VMP_EINVAL;
		}
		if (h->cores[p->core].node != p->node) {
			vmp_error_set("host model has core %d spanning NUMA nodes",
				      h->cores[p->core].id);
			return VMP_EINVAL;
		}
	}
	return VMP_OK;
}

/* Cores and L3 domains hold exactly the PUs that point at them. */
static int check_groups(const vmp_host *h)
{
	for (int c = 0; c < h->ncores; c++) {
		vmp_cpuset mine = {0};
		for (int i = 0; i < h->npus; i++)
			if (h->pus[i].core == c) {
				vmp_cpuset_set(&mine, h->pus[i].os_index);
				if (h->pus[i].l3 != h->cores[c].l3) {
					vmp_error_set("host model has CPU %d in another L3 domain "
						      "than its core %d",
						      h->pus[i].os_index, h->cores[c].id);
					return VMP_EINVAL;
				}
			}
		if (!vmp_cpuset_equal(&mine, &h->cores[c].pus)) {
			vmp_error_set("host model has core %d listing CPUs that are not its own",
				      h->cores[c].id);
			return VMP_EINVAL;
		}
	}
	for (int l = 0; l < h->nl3; l++) {
		vmp_cpuset mine = {0};
		for (int i = 0; i < h->npus; i++)
			if (h->pus[i].l3 == l)
				vmp_cpuset_set(&mine, h->pus[i].os_index);
		if (!vmp_cpuset_equal(&mine, &h->l3s[l].cpus)) {
			vmp_error_set(
			    "host model has L3 domain %d listing CPUs that are not its own",
			    h->l3s[l].id);
			return VMP_EINVAL;
		}
	}
	return VMP_OK;
}

/* Nodes, packages and the online set name only CPUs the model has. */
static int check_sets(const vmp_host *h)
{
	vmp_cpuset all = {0}, extra;

	for (int i = 0; i < h->npus; i++)
		vmp_cpuset_set(&all, h->pus[i].os_index);
	for (int n = 0; n < h->nnodes; n++) {
		vmp_cpuset_andnot(&extra, &h->nodes[n].cpus, &all);
		if (!vmp_cpuset_empty(&extra)) {
			vmp_error_set("host model has NUMA node %d listing CPUs it does not have",
				      h->nodes[n].id);
			return VMP_EINVAL;
		}
	}
	for (int k = 0; k < h->npackages; k++) {
		vmp_cpuset_andnot(&extra, &h->packages[k].cpus, &all);
		if (!vmp_cpuset_empty(&extra)) {
			vmp_error_set("host model has package %d listing CPUs it does not have",
				      h->packages[k].id);
			return VMP_EINVAL;
		}
	}
	vmp_cpuset_andnot(&extra, &h->online, &all);
	if (!vmp_cpuset_empty(&extra)) {
		vmp_error_set("host model has online CPUs that it does not have");
		return VMP_EINVAL;
	}
	return VMP_OK;
}

int vmp_host_check(const vmp_host *h)
{
	if (h->npus <= 0 || h->ncores <= 0 || h->nnodes <= 0 || h->npackages <= 0) {
		vmp_error_set("host model has no %s", h->npus <= 0     ? "CPUs"
						      : h->ncores <= 0 ? "cores"
						      : h->nnodes <= 0 ? "NUMA nodes"
								       : "packages");
		return VMP_EINVAL;
	}
	if (check_pus(h) < 0 || check_groups(h) < 0 || check_sets(h) < 0)
		return VMP_EINVAL;
	if (h->resctrl.l3.present &&
	    (h->resctrl.l3.cbm_mask == 0 || h->resctrl.l3.min_cbm_bits < 1 ||
	     h->resctrl.l3.min_cbm_bits > (unsigned)__builtin_popcountll(h->resctrl.l3.cbm_mask) ||
	     h->resctrl.l3.num_closids < 1)) {
		vmp_error_set("host model has an L3 resctrl resource with an empty mask, "
			      "min_cbm_bits outside 1..ways, or no class of service");
		return VMP_EINVAL;
	}
	for (int i = 0; i < h->nnodes; i++)
		for (int j = i + 1; j < h->nnodes; j++)
			if (h->nodes[i].id == h->nodes[j].id) {
				vmp_error_set("host model has NUMA node %d twice", h->nodes[i].id);
				return VMP_EINVAL;
			}
	for (int i = 0; i < h->nnodes; i++)
		if (check_node_memory(&h->nodes[i]) < 0)
			return VMP_EINVAL;
	return VMP_OK;
}

/* FNV-1a, 64 bits: a fingerprint, not a defence against forgery. */
static void fnv(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= UINT64_C(1099511628211);
	}
}

static void fnv_cpuset(uint64_t *h, const vmp_cpuset *set)
{
	char buf[8192];
	size_t n = vmp_cpuset_format(buf, sizeof(buf), set);

	fnv(h, buf, n < sizeof(buf) ? n : sizeof(buf) - 1);
	fnv(h, ";", 1);
}

static void fnv_u64(uint64_t *h, uint64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64 ";", v);

	fnv(h, buf, (size_t)n);
}

void vmp_host_fingerprint(char out[17], const vmp_host *host)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (int i = 0; i < host->npackages; i++)
		fnv_cpuset(&h, &host->packages[i].cpus);
	for (int i = 0; i < host->nnodes; i++) {
		fnv_u64(&h, (uint64_t)host->nodes[i].id);
		fnv_cpuset(&h, &host->nodes[i].cpus);
		fnv_u64(&h, host->nodes[i].memory_bytes);
		for (int k = 0; k < host->nodes[i].nhugepages; k++)
			fnv_u64(&h, host->nodes[i].hugepages[k].size_kib);
	}
	for (int i = 0; i < host->nl3; i++) {
		fnv_cpuset(&h, &host->l3s[i].cpus);
		fnv_u64(&h, host->l3s[i].size_bytes);
	}
	for (int i = 0; i < host->ncores; i++)
		fnv_cpuset(&h, &host->cores[i].pus);
	snprintf(out, 17, "%016" PRIx64, h);
}

/* Record indices ordered by name, then by index (qsort_r's context: the names). */
typedef struct names_ctx {
	const char *names;
	size_t stride;
} names_ctx;

static int by_name_then_index(const void *a, const void *b, void *arg)
{
	const names_ctx *c = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int d = strcmp(c->names + i * c->stride, c->names + j * c->stride);

	return d ? d : (i > j) - (i < j);
}

int vmp_names_first_repeat(size_t *out_first, size_t *out_earlier, const char *names, size_t n,
			   size_t stride)
{
	names_ctx c = {.names = names, .stride = stride};
	size_t *idx = n > 1 ? malloc(n * sizeof(*idx)) : NULL;
	int found = 0;

	if (n < 2)
		return 0;
	if (!idx) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (size_t k = 0; k < n; k++)
		idx[k] = k;
	qsort_r(idx, n, sizeof(*idx), by_name_then_index, &c);
	/* In each run of one name the first entry is its earliest record and the second the
	 * first repeat; the answer is the run whose second entry comes first. */
	for (size_t k = 1; k < n; k++) {
		if (strcmp(names + idx[k] * stride, names + idx[k - 1] * stride) ||
		    (k >= 2 && !strcmp(names + idx[k - 1] * stride, names + idx[k - 2] * stride)))
			continue;
		if (!found || idx[k] < *out_first) {
			*out_first = idx[k];
			*out_earlier = idx[k - 1];
		}
		found = 1;
	}
	free(idx);
	return found;
}

/* Grow *arr (of *room elements of size each) to want elements, at most max, zeroing the rest. */
static int grow(void **arr, int *room, int want, int max, size_t size)
{
	void *p;

	if (want > max)
		want = max;
	if (want <= *room)
		return VMP_OK;
	if (!(p = realloc(*arr, (size_t)want * size))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	memset((char *)p + (size_t)*room * size, 0, (size_t)(want - *room) * size);
	*arr = p;
	*room = want;
	return VMP_OK;
}

int vmp_plan_vm_reserve(vmp_plan_vm *vm, int niothreads, int ncachetune, int nmemorytune,
			int ncells)
{
	int err;

	if ((err = grow((void **)&vm->iothreadpin, &vm->room_iothreads, niothreads,
			VMP_MAX_IOTHREADS, sizeof(*vm->iothreadpin))) < 0 ||
	    (err = grow((void **)&vm->cachetune, &vm->room_cachetune, ncachetune, VMP_MAX_CACHETUNE,
			sizeof(*vm->cachetune))) < 0 ||
	    (err = grow((void **)&vm->memorytune, &vm->room_memorytune, nmemorytune,
			VMP_RDT_DOMAINS_MAX, sizeof(*vm->memorytune))) < 0 ||
	    (err = grow((void **)&vm->cells, &vm->room_cells, ncells, VMP_MAX_CELLS,
			sizeof(*vm->cells))) < 0)
		return err;
	return VMP_OK;
}

void vmp_plan_vm_release(vmp_plan_vm *vm)
{
	if (!vm)
		return;
	free(vm->vcpupin);
	free(vm->explain);
	free(vm->iothreadpin);
	free(vm->cachetune);
	free(vm->memorytune);
	free(vm->cells);
	vm->vcpupin = NULL;
	vm->explain = NULL;
	vm->iothreadpin = NULL;
	vm->cachetune = NULL;
	vm->memorytune = NULL;
	vm->cells = NULL;
	vm->niothreads = vm->ncachetune = vm->nmemorytune = vm->ncells = 0;
	vm->room_iothreads = vm->room_cachetune = vm->room_memorytune = vm->room_cells = 0;
}

void vmp_plan_free(vmp_plan *plan)
{
	if (!plan)
		return;
	for (int i = 0; i < plan->nvms; i++)
		vmp_plan_vm_release(&plan->vms[i]);
	free(plan->vms);
	free(plan);
}
