/* Rebalance state: the fleet's movable VMs, a move planned on the state, fitting the requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebalance_internal.h"
#include "vmplan/error.h"

/* A running VM the search may move: pinned CPUs and memory bound to nodes of the host. */
static bool movable(const vmp_host *h, const vmp_existing_vm *e)
{
	vmp_cpuset on;
	int id;

	vmp_cpuset_and(&on, &e->cpus, &h->online);
	if (vmp_cpuset_empty(&on) || vmp_cpuset_empty(&e->nodes) || e->memory_bytes == 0 ||
	    vmp_cpuset_count(&on) > VMP_MAX_VCPUS || vmp_cpuset_count(&e->nodes) > VMP_MAX_CELLS ||
	    e->guest_cells > VMP_MAX_CELLS)
		return false;
	VMP_CPUSET_FOREACH (id, &e->nodes)
		if (vmp_host_node_index(h, id) < 0)
			return false;
	return true;
}

/* The request a running VM is planned as: one dedicated vCPU per pinned CPU, its own guest cell
 * count (a move may not change the guest's ABI; a cell per node where the count is unknown); its
 * memory spread evenly over its nodes, as the probe counts it. */
static void add_running(rb_search *s, int hi, const vmp_host *h, const vmp_existing_vm *e)
{
	rb_vm *v = &s->vms[s->nmov++];
	rb_host *rh = &s->hosts[hi];
	int k = vmp_cpuset_count(&e->nodes), first = -1, id;

	memset(v, 0, sizeof(*v));
	snprintf(v->req.name, sizeof(v->req.name), "%s", e->name);
	vmp_cpuset_and(&v->cpus, &e->cpus, &h->online);
	v->req.vcpus = (unsigned)vmp_cpuset_count(&v->cpus);
	v->req.memory_bytes = e->memory_bytes;
	v->req.numa_cells = (unsigned)(e->guest_cells > 0 ? e->guest_cells : k);
	v->host = hi;
	VMP_CPUSET_FOREACH (id, &e->nodes) {
		int n = vmp_host_node_index(h, id);

		v->mem[n] += e->memory_bytes / (uint64_t)k;
		if (first < 0)
			first = n;
	}
	if (first >= 0)
		v->mem[first] += e->memory_bytes % (uint64_t)k;
	for (int n = 0; n < h->nnodes; n++) {
		uint64_t back = rh->nodes[n].free_bytes + v->mem[n];

		rh->nodes[n].free_bytes =
		    back < rh->nodes[n].memory_bytes ? back : rh->nodes[n].memory_bytes;
	}
}

/* The host with its movable VMs taken out; what stays is held. */
static int host_init(rb_search *s, int hi, const vmp_host *h)
{
	rb_host *rh = &s->hosts[hi];
	vmp_cpuset moved, kept;

	rh->nodes = malloc((size_t)h->nnodes * sizeof(*rh->nodes));
	rh->scratch = malloc((size_t)h->nnodes * sizeof(*rh->scratch));
	if (!rh->nodes || !rh->scratch) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	memcpy(rh->nodes, h->nodes, (size_t)h->nnodes * sizeof(*rh->nodes));
	rh->base = *h;
	rh->base.nodes = rh->nodes;
	rh->base.existing = NULL;
	rh->base.nexisting = 0;
	vmp_cpuset_zero(&moved);
	vmp_cpuset_zero(&kept);
	for (int i = 0; i < h->nexisting; i++) {
		const vmp_existing_vm *e = &h->existing[i];
		int id;

		if (movable(h, e)) {
			vmp_cpuset_or(&moved, &moved, &e->cpus);
			add_running(s, hi, h, e);
			continue;
		}
		vmp_cpuset_or(&kept, &kept, &e->cpus);
		VMP_CPUSET_FOREACH (id, &e->nodes)
			if (vmp_host_node_index(h, id) >= 0)
				rh->held |= 1ULL << vmp_host_node_index(h, id);
	}
	vmp_cpuset_andnot(&rh->base.used, &h->used, &moved);
	vmp_cpuset_or(&rh->base.used, &rh->base.used, &kept);
	for (int n = 0; n < h->nnodes; n++)
		if (vmp_cpuset_intersects(&rh->base.used, &h->nodes[n].cpus))
			rh->held |= 1ULL << n;
	rh->usable = true;
	return VMP_OK;
}

/* Memory (the search's bound needs the cheapest moves first), host, name: the order does not
 * hang on the order libvirt lists domains in. */
static int by_memory_host_name(const void *a, const void *b)
{
	const rb_vm *x = a, *y = b;

	if (x->req.memory_bytes != y->req.memory_bytes)
		return x->req.memory_bytes < y->req.memory_bytes ? -1 : 1;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	return strcmp(x->req.name, y->req.name);
}

int rb_state_init(rb_search *s, vmp_fleet *fleet, const vmp_vm_request *reqs, size_t nreqs,
		  const char *reserve)
{
	size_t nvms = nreqs;
	int err;

	s->fleet = fleet;
	s->nhosts = fleet->nhosts;
	for (int i = 0; i < fleet->nhosts; i++)
		if (fleet->hosts[i].host)
			nvms += (size_t)fleet->hosts[i].host->nexisting;
	s->hosts = calloc((size_t)fleet->nhosts + 1, sizeof(*s->hosts));
	s->vms = calloc(nvms + 1, sizeof(*s->vms));
	if (!s->hosts || !s->vms) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (int i = 0; i < fleet->nhosts; i++) {
		vmp_fleet_host *fh = &fleet->hosts[i];

		if (!fh->host || fh->down)
			continue;
		if ((err = vmp_plan_reserve(fh->host, reserve ? reserve : "auto")) < 0) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", vmp_error_last());
			vmp_error_set("host '%s': %s", fh->name, msg);
			return err;
		}
		if (fh->host->nnodes < 1 || fh->host->nnodes > RB_NODES_MAX)
			continue;
		if ((err = host_init(s, i, fh->host)) < 0)
			return err;
	}
	qsort(s->vms, (size_t)s->nmov, sizeof(*s->vms), by_memory_host_name);
	s->nvms = s->nmov;
	for (size_t r = 0; r < nreqs; r++) {
		rb_vm *v = &s->vms[s->nvms++];

		memset(v, 0, sizeof(*v));
		v->req = reqs[r];
		v->host = -1;
	}
	return VMP_OK;
}

void rb_state_fini(rb_search *s)
{
	for (int i = 0; s->hosts && i < s->nhosts; i++) {
		free(s->hosts[i].nodes);
		free(s->hosts[i].scratch);
	}
	free(s->hosts);
	free(s->vms);
	s->hosts = NULL;
	s->vms = NULL;
}

/* Take VM o's memory out of the work nodes: hugepages from its pool, else normal memory. */
static void take_memory(vmp_node *nodes, int nnodes, const rb_vm *o)
{
	for (int n = 0; n < nnodes; n++) {
		vmp_node *nd = &nodes[n];
		bool pooled = false;

		if (!o->mem[n])
			continue;
		for (int k = 0; o->req.hugepage_bytes && k < nd->nhugepages; k++) {
			vmp_hugepages *p = &nd->hugepages[k];
			uint64_t pages;

			if (p->size_kib * 1024 != o->req.hugepage_bytes)
				continue;
			pages = o->mem[n] / o->req.hugepage_bytes;
			p->free = p->free > pages ? p->free - pages : 0;
			pooled = true;
			break;
		}
		if (!pooled)
			nd->free_bytes =
			    nd->free_bytes > o->mem[n] ? nd->free_bytes - o->mem[n] : 0;
	}
}

int rb_plan(rb_search *s, int v, int h, int target, vmp_cpuset *cpus, uint64_t *mem,
	    vmp_plan **keep)
{
	rb_host *rh = &s->hosts[h];
	vmp_host w = rh->base;
	vmp_plan *plan = NULL;
	int err, placed;

	memcpy(rh->scratch, rh->nodes, (size_t)w.nnodes * sizeof(*rh->scratch));
	w.nodes = rh->scratch;
	for (int i = 0; i < s->nvms; i++) {
		const rb_vm *o = &s->vms[i];

		if (i == v || o->host != h)
			continue;
		vmp_cpuset_or(&w.used, &w.used, &o->cpus);
		take_memory(w.nodes, w.nnodes, o);
	}
	for (int n = 0; target >= 0 && n < w.nnodes; n++) {
		if (n == target)
			continue;
		vmp_cpuset_or(&w.used, &w.used, &w.nodes[n].cpus);
		w.nodes[n].free_bytes = 0;
		for (int k = 0; k < w.nodes[n].nhugepages; k++)
			w.nodes[n].hugepages[k].free = 0;
	}
	s->candidates++;
	if ((err = vmp_plan_solve(&plan, &w, &s->vms[v].req, 1, &s->popts)) < 0)
		return err;
	placed = plan->vms[0].placed;
	if (placed) {
		*cpus = plan->vms[0].pcpus;
		memset(mem, 0, RB_NODES_MAX * sizeof(*mem));
		for (int c = 0; c < plan->vms[0].ncells; c++) {
			int n = vmp_host_node_index(&w, plan->vms[0].cells[c].host_node);

			if (n >= 0)
				mem[n] += plan->vms[0].cells[c].memory_bytes;
		}
	}
	if (keep)
		*keep = plan;
	else
		vmp_plan_free(plan);
	return placed;
}

bool rb_host_allows(const rb_search *s, int v, int h)
{
	const vmp_vm_request *r = &s->vms[v].req;

	if (!s->hosts[h].usable ||
	    (r->host_label[0] && !vmp_fleet_host_has_label(&s->fleet->hosts[h], r->host_label)))
		return false;
	for (int i = s->nmov; r->group[0] && i < s->nvms; i++)
		if (i != v && s->vms[i].host == h && !strcmp(s->vms[i].req.group, r->group))
			return false;
	return true;
}

int rb_fit(rb_search *s, vmp_plan **plans, int *hosts)
{
	int all = 1;

	for (int r = s->nmov; r < s->nvms; r++) {
		rb_vm *v = &s->vms[r];
		int got = 0;

		v->host = -1;
		for (int h = 0; h < s->nhosts && !got; h++) {
			vmp_plan *p = NULL;

			if (!rb_host_allows(s, r, h))
				continue;
			if ((got = rb_plan(s, r, h, -1, &v->cpus, v->mem, plans ? &p : NULL)) < 0)
				return got;
			if (got)
				v->host = h;
			if (plans && (got || !plans[r - s->nmov])) {
				vmp_plan_free(plans[r - s->nmov]);
				plans[r - s->nmov] = p;
			} else {
				vmp_plan_free(p);
			}
		}
		if (hosts)
			hosts[r - s->nmov] = v->host;
		if (!got) {
			all = 0;
			if (!plans)
				break;
		}
	}
	return all;
}

void rb_unfit(rb_search *s)
{
	for (int r = s->nmov; r < s->nvms; r++)
		s->vms[r].host = -1;
}

bool rb_node_free(const rb_search *s, int h, int n, int skip)
{
	const rb_host *rh = &s->hosts[h];

	if (rh->held & (1ULL << n))
		return false;
	for (int i = 0; i < s->nvms; i++) {
		const rb_vm *o = &s->vms[i];

		if (i == skip || o->host != h)
			continue;
		if (o->mem[n] || vmp_cpuset_intersects(&o->cpus, &rh->nodes[n].cpus))
			return false;
	}
	return true;
}

void rb_count_free(const rb_search *s, int *nodes, int *hosts)
{
	*nodes = *hosts = 0;
	for (int h = 0; h < s->nhosts; h++) {
		int k = 0;

		if (!s->hosts[h].usable)
			continue;
		for (int n = 0; n < s->hosts[h].base.nnodes; n++)
			k += rb_node_free(s, h, n, -1);
		*nodes += k;
		*hosts += k == s->hosts[h].base.nnodes;
	}
}
