/* Capacity: how many copies of a shape (or of a mix) fit each host, counted by planning. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/internal.h"
#include "vmplan/error.h"
#include "vmplan/plan.h"

/* Plan the base requests (a whole mix, or none) and k copies of the unit together. */
static int solve_copies(vmp_plan **out, const vmp_host *host, const vmp_vm_request *base,
			size_t nbase, const vmp_vm_request *unit, size_t n, int k,
			double time_limit_s)
{
	/* Negative: the heuristic alone (the counting search plans dozens of times); the exact
	 * solver gets one solve per count (exact_count()). */
	vmp_plan_options opts = {.order = VMP_ORDER_BATCH, .time_limit_s = time_limit_s};
	vmp_vm_request *reqs = malloc(sizeof(*reqs) * (nbase + n * (size_t)k + 1));
	int err;

	if (!reqs) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (size_t i = 0; i < nbase; i++)
		reqs[i] = base[i];
	for (int c = 0; c < k; c++)
		for (size_t i = 0; i < n; i++) {
			vmp_vm_request *r = &reqs[nbase + (size_t)c * n + i];
			*r = unit[i];
			snprintf(r->name, sizeof(r->name), "%s%d-%.*s", nbase ? "more" : "", c + 1,
				 VMP_NAME_MAX - 16, unit[i].name);
		}
	err = vmp_plan_solve(out, host, reqs, nbase + n * (size_t)k, &opts);
	free(reqs);
	return err;
}

static bool pool_configured(const vmp_host *h, uint64_t page_bytes)
{
	for (int n = 0; n < h->nnodes; n++)
		for (int k = 0; k < h->nodes[n].nhugepages; k++)
			if (h->nodes[n].hugepages[k].size_kib * 1024 == page_bytes &&
			    h->nodes[n].hugepages[k].total > 0)
				return true;
	return false;
}

/* The CPUs no VM of the plan (NULL: none) can get: reserved, used, pinned, idle siblings. */
static void held_cpus(vmp_cpuset *out, const vmp_host *h, const vmp_plan *plan)
{
	vmp_cpuset_or(out, &h->reserved, &h->used);
	for (int i = 0; plan && i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		int cpu;
		if (!vm->placed || vm->req.cpu == VMP_CPU_SHARED)
			continue;
		vmp_cpuset_or(out, out, &vm->pcpus);
		/* threads=isolate keeps each core's siblings idle. */
		if (vm->req.threads == VMP_THREADS_ISOLATE)
			VMP_CPUSET_FOREACH (cpu, &vm->pcpus) {
				int p = vmp_host_pu_index(h, cpu);
				if (p >= 0)
					vmp_cpuset_or(out, out, &h->cores[h->pus[p].core].pus);
			}
		/* I/O threads near a device may get a CPU of their own. */
		for (int t = 0; t < vm->niothreads; t++)
			if (!vmp_cpuset_subset(&vm->iothreadpin[t], &h->reserved))
				vmp_cpuset_or(out, out, &vm->iothreadpin[t]);
	}
}

/* Per node, the free memory (mem) and free hugepage bytes per page size (huge) after a plan. */
static void memory_left(uint64_t *mem, uint64_t (*huge)[VMP_PAGESIZES_MAX], const vmp_host *h,
			const vmp_plan *plan)
{
	for (int nd = 0; nd < h->nnodes; nd++) {
		mem[nd] = h->nodes[nd].free_bytes;
		for (int k = 0; k < VMP_PAGESIZES_MAX; k++)
			huge[nd][k] = k < h->nodes[nd].nhugepages
					  ? h->nodes[nd].hugepages[k].free *
						h->nodes[nd].hugepages[k].size_kib * 1024
					  : 0;
	}
	for (int i = 0; plan && i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		uint64_t page = vm->req.hugepage_bytes;
		bool pooled = page && pool_configured(h, page);
		if (!vm->placed)
			continue;
		for (int c = 0; c < vm->ncells; c++) {
			int nd = vmp_host_node_index(h, vm->cells[c].host_node);
			uint64_t m = vm->cells[c].memory_bytes;
			int k = -1;
			if (nd < 0)
				continue;
			for (int j = 0; pooled && j < h->nodes[nd].nhugepages; j++)
				if (h->nodes[nd].hugepages[j].size_kib * 1024 == page)
					k = j;
			if (k >= 0)
				huge[nd][k] -= m < huge[nd][k] ? m : huge[nd][k];
			else
				mem[nd] -= m < mem[nd] ? m : mem[nd];
		}
	}
}

/* What stays free after a plan (NULL: nothing placed), and what of it is stranded. */
static int leftovers(vmp_capacity_count *out, const vmp_host *h, const vmp_plan *plan,
		     const vmp_vm_request *unit, size_t n)
{
	size_t nn = (size_t)(h->nnodes > 0 ? h->nnodes : 1);
	vmp_cpuset held, free_cpus;
	uint64_t *mem = calloc(nn, sizeof(*mem));
	uint64_t(*huge)[VMP_PAGESIZES_MAX] = calloc(nn, sizeof(*huge));
	double per_vcpu = 0;

	if (!mem || !huge) {
		free(mem);
		free(huge);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	held_cpus(&held, h, plan);
	vmp_cpuset_andnot(&free_cpus, &h->online, &held);
	memory_left(mem, huge, h, plan);
	for (size_t i = 0; i < n; i++) {
		double v =
		    (double)unit[i].memory_bytes / (double)(unit[i].vcpus ? unit[i].vcpus : 1);
		if (i == 0 || v < per_vcpu)
			per_vcpu = v;
	}

	out->free_pus = vmp_cpuset_count(&free_cpus);
	out->free_cores = 0;
	out->stranded_siblings = 0;
	for (int c = 0; c < h->ncores; c++) {
		vmp_cpuset f;
		int nf;
		vmp_cpuset_and(&f, &h->cores[c].pus, &free_cpus);
		nf = vmp_cpuset_count(&f);
		if (nf && nf == vmp_cpuset_count(&h->cores[c].pus))
			out->free_cores++;
		else
			out->stranded_siblings += nf;
	}
	out->free_memory_bytes = out->free_hugepage_bytes = 0;
	out->stranded_cpus = 0;
	out->stranded_memory_bytes = 0;
	for (int nd = 0; nd < h->nnodes; nd++) {
		vmp_cpuset f;
		uint64_t all = mem[nd];
		int nf;
		for (int k = 0; k < VMP_PAGESIZES_MAX; k++) {
			out->free_hugepage_bytes += huge[nd][k];
			all += huge[nd][k];
		}
		out->free_memory_bytes += mem[nd];
		vmp_cpuset_and(&f, &h->nodes[nd].cpus, &free_cpus);
		nf = vmp_cpuset_count(&f);
		if (nf == 0)
			out->stranded_memory_bytes += mem[nd];
		if ((double)all < per_vcpu)
			out->stranded_cpus += nf;
	}
	free(mem);
	free(huge);
	return VMP_OK;
}

static bool all_placed(const vmp_plan *p)
{
	return vmp_plan_placed_count(p) == p->nvms;
}

/* Double until a count fails (or the limit fits), then bisect: *lo copies fit (*fit, NULL for
 * 0), *hi do not (*fail; -1 and NULL when the limit fits). The heuristic alone. */
static int search_copies(int *lo, int *hi, vmp_plan **fit, vmp_plan **fail, const vmp_host *host,
			 const vmp_vm_request *base, size_t nbase, const vmp_vm_request *unit,
			 size_t n, int limit)
{
	vmp_plan *p = NULL;
	int k = 1, err;

	*lo = 0;
	*hi = -1;
	for (;;) {
		if (k > limit)
			k = limit;
		if ((err = solve_copies(&p, host, base, nbase, unit, n, k, -1)) < 0)
			return err;
		if (!all_placed(p)) {
			*fail = p;
			*hi = k;
			break;
		}
		vmp_plan_free(*fit);
		*fit = p;
		*lo = k;
		if (k == limit)
			return VMP_OK;
		k *= 2;
	}
	while (*hi > *lo + 1) {
		int mid = *lo + (*hi - *lo) / 2;
		if ((err = solve_copies(&p, host, base, nbase, unit, n, mid, -1)) < 0)
			return err;
		if (all_placed(p)) {
			vmp_plan_free(*fit);
			*fit = p;
			*lo = mid;
		} else {
			vmp_plan_free(*fail);
			*fail = p;
			*hi = mid;
		}
	}
	return VMP_OK;
}

/* Why the next copy is refused, from a plan that leaves a VM out (NULL: none does). */
static void refusal(vmp_capacity_count *out, const vmp_host *host, const vmp_plan *fail,
		    const vmp_vm_request *base, size_t nbase)
{
	out->bind = VMP_BIND_NONE;
	/* The refusal of a copy tells more than that of a base VM it displaced. */
	for (int j = 0; fail && j < fail->nvms; j++) {
		int i = (j + (int)nbase) % fail->nvms;
		const vmp_plan_vm *vm = &fail->vms[i];
		if (vm->placed)
			continue;
		if (i < (int)nbase) /* a VM of the base made way for a copy */
			snprintf(out->reason, sizeof(out->reason),
				 "one more leaves '%.64s' of the mix unplaced: %.400s",
				 base[i].name, vm->reason);
		else
			snprintf(out->reason, sizeof(out->reason), "%s", vm->reason);
		out->bind = vm->bind;
		if (out->bind == VMP_BIND_HUGEPAGES &&
		    !pool_configured(host, vm->req.hugepage_bytes))
			out->bind = VMP_BIND_MEMORY;
		return;
	}
}

/* What one copy of reqs takes of what the resource bound counts: PUs, whole cores, memory. */
static void demand(long *pus, long *cores, uint64_t *mem, const vmp_vm_request *reqs, size_t n)
{
	*pus = *cores = 0;
	*mem = 0;
	for (size_t i = 0; i < n; i++) {
		*mem += reqs[i].memory_bytes;
		if (reqs[i].cpu == VMP_CPU_SHARED)
			continue;
		*pus += reqs[i].vcpus;
		if (reqs[i].threads == VMP_THREADS_ISOLATE)
			*cores += reqs[i].vcpus;
	}
}

/*
 * The most copies of a unit that can fit beside the base by the host's totals alone: every
 * dedicated vCPU takes a free PU, each vCPU of threads=isolate a whole free core, and all
 * memory comes from free memory or a hugepage pool; -1 when the unit takes none of these.
 */
static int resource_bound(const vmp_host *h, const vmp_vm_request *base, size_t nbase,
			  const vmp_vm_request *unit, size_t n)
{
	vmp_cpuset held, free_cpus;
	long pus, cores = 0, bpus, bcores, upus, ucores, best = -1;
	uint64_t mem = 0, bmem, umem;

	vmp_cpuset_or(&held, &h->reserved, &h->used);
	vmp_cpuset_andnot(&free_cpus, &h->online, &held);
	pus = vmp_cpuset_count(&free_cpus);
	for (int c = 0; c < h->ncores; c++)
		cores += vmp_cpuset_subset(&h->cores[c].pus, &free_cpus);
	for (int nd = 0; nd < h->nnodes; nd++) {
		mem += h->nodes[nd].free_bytes;
		for (int k = 0; k < h->nodes[nd].nhugepages; k++)
			mem += h->nodes[nd].hugepages[k].free * h->nodes[nd].hugepages[k].size_kib *
			       1024;
	}
	demand(&bpus, &bcores, &bmem, base, nbase);
	demand(&upus, &ucores, &umem, unit, n);
	if (bpus > pus || bcores > cores || bmem > mem)
		return 0;
	pus -= bpus;
	cores -= bcores;
	mem -= bmem;
	if (upus > 0)
		best = pus / upus;
	if (ucores > 0 && (best < 0 || cores / ucores < best))
		best = cores / ucores;
	if (umem > 0 && (best < 0 || (long)(mem / umem) < best))
		best = mem / umem > (uint64_t)INT_MAX ? INT_MAX : (long)(mem / umem);
	return best > INT_MAX ? INT_MAX : (int)best;
}

/*
 * Whole copies of the unit a plan places beside all of its base (-1 where a VM of the base is
 * out). VMs of one shape are interchangeable: per shape of the unit, its VMs placed over its
 * VMs in one copy.
 */
static int complete_copies(const vmp_plan *p, size_t nbase, const vmp_vm_request *unit, size_t n)
{
	int best = INT_MAX;

	for (size_t i = 0; i < nbase; i++)
		if (!p->vms[i].placed)
			return -1;
	for (size_t i = 0; i < n; i++) {
		int per = 0, placed = 0;
		for (size_t j = 0; j < n; j++)
			per += vmp_capacity_same_shape(&unit[i], &unit[j]);
		for (size_t v = nbase; v < (size_t)p->nvms; v++)
			placed += p->vms[v].placed &&
				  vmp_capacity_same_shape(&unit[i], &unit[(v - nbase) % n]);
		if (placed / per < best)
			best = placed / per;
	}
	return best == INT_MAX ? 0 : best;
}

/* The copies of the unit that the exact solver's bound (priority-weighted VMs) allows. */
static int solver_bound(const vmp_plan *p, const vmp_vm_request *base, size_t nbase,
			const vmp_vm_request *unit, size_t n)
{
	double wbase = 0, w = 0, c;

	for (size_t i = 0; i < nbase; i++)
		wbase += 1 + base[i].priority;
	for (size_t i = 0; i < n; i++)
		w += 1 + unit[i].priority;
	if (w <= 0)
		return INT_MAX;
	/* Any plan with the base and c copies weighs wbase + c * w at least. */
	c = floor((p->solver.bound - wbase) / w + 1e-9);
	return c < 0 ? 0 : c > INT_MAX ? INT_MAX : (int)c;
}

/* The exact solver's time for the counts of one report, shared by the counts still to make. */
typedef struct cap_budget {
	double left_s; /* <= 0: the heuristic alone */
	double max_s;  /* the most one count takes */
	int counts;    /* counts still to make */
} cap_budget;

static double budget_share(const cap_budget *b)
{
	double s;

	if (b->left_s <= 0 || b->counts < 1)
		return -1;
	s = b->left_s / b->counts;
	return s < b->max_s ? s : b->max_s;
}

/*
 * One exact solve for a count the heuristic made (out->count, out->bound from resources):
 * a shape asks for one copy more than the resources hold (the solver maximises VMs placed,
 * and identical copies are one group in its model), a mix one more than the heuristic
 * placed. *exact: that plan where it places more than the heuristic (else NULL).
 */
static int exact_count(vmp_capacity_count *out, vmp_plan **exact, const vmp_host *host,
		       const vmp_vm_request *base, size_t nbase, const vmp_vm_request *unit,
		       size_t n, int limit, double seconds)
{
	vmp_plan *p = NULL;
	int ask, got, err;

	*exact = NULL;
	out->proof = VMP_CAPACITY_HEURISTIC;
	if (out->bound >= 0 && out->count >= out->bound)
		goto proven;
	if (out->capped || seconds <= 0)
		return VMP_OK;
	ask = n > 1 ? out->count + 1
		    : (out->bound >= 0 && out->bound < limit ? out->bound : limit) + 1;
	if ((err = solve_copies(&p, host, base, nbase, unit, n, ask, seconds)) < 0)
		return err;
	if (p->solver.status == VMP_SOLVER_OPTIMAL || p->solver.status == VMP_SOLVER_FEASIBLE) {
		int sb = solver_bound(p, base, nbase, unit, n);
		/* A bound of ask or more says nothing: no more than ask were asked for. */
		if (sb < ask && (out->bound < 0 || sb < out->bound))
			out->bound = sb;
		out->proof = VMP_CAPACITY_BOUNDED;
	}
	got = complete_copies(p, nbase, unit, n);
	if (got > out->count) {
		out->count = got < limit ? got : limit;
		out->capped = got >= limit;
		*exact = p;
		p = NULL;
	}
	vmp_plan_free(p);
	if (out->bound < 0 || out->count < out->bound)
		return VMP_OK;
proven:
	out->proof = VMP_CAPACITY_OPTIMAL;
	out->capped = false;
	return VMP_OK;
}

/* Count the copies of a unit that fit beside the base requests (see count_copies); with the
 * exact solver where b gives it time (NULL: none). */
static int count_beside(vmp_capacity_count *out, const vmp_host *host, const vmp_vm_request *base,
			size_t nbase, const vmp_vm_request *unit, size_t n, int limit,
			cap_budget *b)
{
	vmp_plan *fit = NULL, *fail = NULL, *exact = NULL;
	int lo, hi, err;
	double t0;

	memset(out, 0, sizeof(*out));
	if (limit > VMP_CAPACITY_LIMIT || limit < 1)
		limit = VMP_CAPACITY_LIMIT;
	if ((err = search_copies(&lo, &hi, &fit, &fail, host, base, nbase, unit, n, limit)) < 0)
		goto out;
	out->count = out->heuristic = lo;
	out->capped = hi < 0;
	out->bound = resource_bound(host, base, nbase, unit, n);
	t0 = planner_now_s();
	if ((err = exact_count(out, &exact, host, base, nbase, unit, n, limit,
			       b ? budget_share(b) : -1)) < 0)
		goto out;
	if (b) {
		b->counts--;
		b->left_s -= planner_now_s() - t0;
	}
	if (exact) { /* the exact plan is both: what fits, and what is refused next */
		vmp_plan_free(fit);
		vmp_plan_free(fail);
		fit = exact;
		fail = NULL;
		exact = NULL;
		refusal(out, host, fit, base, nbase);
		if (out->bind == VMP_BIND_NONE && !out->capped)
			snprintf(out->reason, sizeof(out->reason),
				 "the exact solver placed all %d copies asked for (more were not "
				 "asked)",
				 out->count);
	} else {
		refusal(out, host, fail, base, nbase);
	}
	/* Beside a base, no copy fitting still leaves the base's plan to measure. */
	if (!fit && nbase && (err = solve_copies(&fit, host, base, nbase, unit, n, 0, -1)) < 0)
		goto out;
	err = leftovers(out, host, fit, unit, n);
out:
	vmp_plan_free(fit);
	vmp_plan_free(fail);
	vmp_plan_free(exact);
	return err;
}

int vmp_capacity_count_copies(vmp_capacity_count *out, const vmp_host *host,
			      const vmp_vm_request *unit, size_t n, int limit)
{
	return count_beside(out, host, NULL, 0, unit, n, limit, NULL);
}

int vmp_capacity_count_exact(vmp_capacity_count *out, const vmp_host *host,
			     const vmp_vm_request *unit, size_t n, int limit, double time_limit_s)
{
	cap_budget b = {.left_s = time_limit_s, .max_s = time_limit_s, .counts = 1};

	return count_beside(out, host, NULL, 0, unit, n, limit, &b);
}

static int popcount64(uint64_t v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* L3 ways of resctrl per node: all, and those no group or VM of the plan holds. */
static void node_ways(vmp_capacity_node *out, const vmp_host *h, const vmp_plan *plan)
{
	const vmp_rdt_cache *l3 = &h->resctrl.l3;

	for (int d = 0; h->resctrl.present && l3->present && d < l3->ndomains; d++) {
		uint64_t held = l3->domains[d].used_mask;
		int nd = -1;
		for (int c = 0; c < h->ncores && nd < 0; c++)
			if (h->cores[c].l3 >= 0 && h->l3s[h->cores[c].l3].id == l3->domains[d].id)
				nd = h->cores[c].node;
		if (nd < 0)
			continue;
		for (int i = 0; plan && i < plan->nvms; i++)
			for (int t = 0; plan->vms[i].placed && t < plan->vms[i].ncachetune; t++) {
				const vmp_plan_cachetune *ct = &plan->vms[i].cachetune[t];
				if (ct->level == 3 && ct->cache_id == l3->domains[d].id)
					held |= ct->ways_mask;
			}
		out[nd].cache_ways += popcount64(l3->cbm_mask);
		out[nd].free_cache_ways += popcount64(l3->cbm_mask & ~held);
	}
}

/* Per node of h, its size and what the plan leaves free (out: h->nnodes entries). */
static int node_headroom(vmp_capacity_node *out, const vmp_host *h, const vmp_plan *plan)
{
	size_t nn = (size_t)(h->nnodes > 0 ? h->nnodes : 1);
	uint64_t *mem = calloc(nn, sizeof(*mem));
	uint64_t(*huge)[VMP_PAGESIZES_MAX] = calloc(nn, sizeof(*huge));
	vmp_cpuset held, free_cpus;

	if (!mem || !huge) {
		free(mem);
		free(huge);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	held_cpus(&held, h, plan);
	vmp_cpuset_andnot(&free_cpus, &h->online, &held);
	memory_left(mem, huge, h, plan);
	for (int nd = 0; nd < h->nnodes; nd++) {
		const vmp_node *n = &h->nodes[nd];
		vmp_capacity_node *o = &out[nd];
		vmp_cpuset f;
		memset(o, 0, sizeof(*o));
		o->node = n->id;
		o->pus = vmp_cpuset_count(&n->cpus);
		vmp_cpuset_and(&f, &n->cpus, &free_cpus);
		o->free_pus = vmp_cpuset_count(&f);
		o->free_memory_bytes = mem[nd];
		for (int k = 0; k < n->nhugepages; k++) {
			o->hugepage_bytes +=
			    n->hugepages[k].total * n->hugepages[k].size_kib * 1024;
			o->free_hugepage_bytes += huge[nd][k];
		}
		o->memory_bytes =
		    n->memory_bytes > o->hugepage_bytes ? n->memory_bytes - o->hugepage_bytes : 0;
	}
	node_ways(out, h, plan);
	free(mem);
	free(huge);
	return VMP_OK;
}

/* Under one policy, every count of host i; for policy 0 also its headroom after the mix. */
static int count_host(vmp_capacity_report *r, int pol, int i, const vmp_host *h, cap_budget *b)
{
	const vmp_capacity_count *mix = vmp_capacity_at(r, pol, i, r->nshapes);
	size_t ns = (size_t)r->nshapes;
	vmp_plan *plan = NULL;
	int err;

	for (int u = 0; u <= r->nshapes; u++) {
		vmp_capacity_count *c = (vmp_capacity_count *)vmp_capacity_at(r, pol, i, u);
		const vmp_vm_request *unit = u < r->nshapes ? &r->shapes[u] : r->shapes;
		int same = -1;
		/* A shape asked again counts the same: the planner is deterministic. */
		for (int v = 0; v < u && u < r->nshapes && same < 0; v++)
			if (vmp_capacity_same_shape(&r->shapes[v], unit))
				same = v;
		if (same >= 0)
			*c = *vmp_capacity_at(r, pol, i, same);
		else if ((err = count_beside(c, h, NULL, 0, unit, u < r->nshapes ? 1 : ns,
					     VMP_CAPACITY_LIMIT, b)) < 0)
			return err;
	}
	for (int u = 0; u < r->nshapes; u++) {
		vmp_capacity_count *c = (vmp_capacity_count *)vmp_capacity_beside_at(r, pol, i, u);
		int same = -1;
		for (int v = 0; v < u && same < 0; v++)
			if (vmp_capacity_same_shape(&r->shapes[v], &r->shapes[u]))
				same = v;
		if (same >= 0) {
			*c = *vmp_capacity_beside_at(r, pol, i, same);
		} else if (mix->count < 1) {
			memset(c, 0, sizeof(*c));
			c->bind = mix->bind;
			snprintf(c->reason, sizeof(c->reason), "%s", mix->reason);
			/* None beside a mix that does not fit: as proven as that 0. */
			c->proof = mix->proof == VMP_CAPACITY_OPTIMAL ? VMP_CAPACITY_OPTIMAL
								      : VMP_CAPACITY_HEURISTIC;
			c->bound = c->proof == VMP_CAPACITY_OPTIMAL ? 0 : -1;
		} else if ((err = count_beside(c, h, r->shapes, ns, &r->shapes[u], 1,
					       VMP_CAPACITY_LIMIT, b)) < 0) {
			return err;
		}
	}
	if (pol != 0)
		return VMP_OK;
	r->hosts[i].mix_fits = mix->count >= 1;
	if (!r->hosts[i].mix_fits)
		return VMP_OK;
	if (!(r->hosts[i].headroom =
		  calloc((size_t)(h->nnodes > 0 ? h->nnodes : 1), sizeof(*r->hosts[i].headroom)))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	if ((err = solve_copies(&plan, h, NULL, 0, r->shapes, ns, 1, -1)) < 0)
		return err;
	err = node_headroom(r->hosts[i].headroom, h, plan);
	vmp_plan_free(plan);
	return err;
}

/* The exact solves of a report: per policy and host, each shape once, the mix, and each shape
 * beside it. */
static cap_budget report_budget(const vmp_vm_request *shapes, size_t nshapes, int npolicies,
				int nhosts, double time_limit_s)
{
	cap_budget b = {.left_s = time_limit_s, .max_s = time_limit_s};
	int distinct = 0;

	if (time_limit_s == 0) {
		b.left_s = VMP_CAPACITY_TIME_LIMIT_DEFAULT;
		b.max_s = VMP_CAPACITY_COUNT_LIMIT_DEFAULT;
	}
	for (size_t u = 0; u < nshapes; u++) {
		bool seen = false;
		for (size_t v = 0; v < u && !seen; v++)
			seen = vmp_capacity_same_shape(&shapes[v], &shapes[u]);
		distinct += !seen;
	}
	b.counts = npolicies * nhosts * (2 * distinct + 1);
	return b;
}

int vmp_capacity_report_new(vmp_capacity_report **out, vmp_host *const *hosts, int nhosts,
			    const vmp_vm_request *shapes, size_t nshapes, const char *reserve)
{
	return vmp_capacity_report_new_limit(out, hosts, nhosts, shapes, nshapes, reserve, 0);
}

int vmp_capacity_report_new_limit(vmp_capacity_report **out, vmp_host *const *hosts, int nhosts,
				  const vmp_vm_request *shapes, size_t nshapes, const char *reserve,
				  double time_limit_s)
{
	vmp_capacity_report *r = NULL;
	cap_budget b;
	vmp_cpuset *saved = NULL;
	int err = VMP_ENOMEM, units = (int)nshapes + 1;

	*out = NULL;
	if (nhosts < 1 || nshapes < 1) {
		vmp_error_set("a capacity report needs at least one host and one VM shape");
		return VMP_EINVAL;
	}
	if (strlen(reserve) >= sizeof(r->policies[0])) {
		vmp_error_set("reservation '%s' is too long", reserve);
		return VMP_EINVAL;
	}
	if (!(r = calloc(1, sizeof(*r))) ||
	    !(r->hosts = calloc((size_t)nhosts, sizeof(*r->hosts))) ||
	    !(r->shapes = calloc(nshapes, sizeof(*r->shapes))) ||
	    !(r->counts = calloc((size_t)(3 * nhosts * units), sizeof(*r->counts))) ||
	    !(r->beside = calloc((size_t)(3 * nhosts) * nshapes, sizeof(*r->beside))) ||
	    !(saved = calloc((size_t)nhosts, sizeof(*saved)))) {
		vmp_error_set("out of memory");
		goto out;
	}
	r->nhosts = nhosts;
	r->nshapes = (int)nshapes;
	memcpy(r->shapes, shapes, nshapes * sizeof(*shapes));
	snprintf(r->policies[r->npolicies++], sizeof(r->policies[0]), "%s", reserve);
	if (strcmp(reserve, "auto"))
		snprintf(r->policies[r->npolicies++], sizeof(r->policies[0]), "auto");
	if (strcmp(reserve, "none"))
		snprintf(r->policies[r->npolicies++], sizeof(r->policies[0]), "none");

	for (int i = 0; i < nhosts; i++) {
		vmp_capacity_host *ch = &r->hosts[i];
		const vmp_host *h = hosts[i];
		int same = 0;
		saved[i] = h->reserved;
		for (int j = 0; j < i; j++)
			same += !strcmp(hosts[j]->hostname, h->hostname);
		if (same)
			snprintf(ch->label, sizeof(ch->label), "%.*s #%d",
				 (int)sizeof(ch->label) - 16, h->hostname[0] ? h->hostname : "host",
				 same + 1);
		else
			snprintf(ch->label, sizeof(ch->label), "%s",
				 h->hostname[0] ? h->hostname : "host");
		vmp_host_fingerprint(ch->fingerprint, h);
		ch->npackages = h->npackages;
		ch->nnodes = h->nnodes;
		ch->ncores = h->ncores;
		ch->npus = h->npus;
		for (int n = 0; n < h->nnodes; n++)
			ch->memory_bytes += h->nodes[n].memory_bytes;
	}
	b = report_budget(shapes, nshapes, r->npolicies, nhosts, time_limit_s);
	for (int pol = 0; pol < r->npolicies; pol++)
		for (int i = 0; i < nhosts; i++) {
			if ((err = vmp_plan_reserve(hosts[i], r->policies[pol])) < 0 ||
			    (err = count_host(r, pol, i, hosts[i], &b)) < 0)
				goto out;
		}
	*out = r;
	r = NULL;
	err = VMP_OK;
out:
	for (int i = 0; saved && i < nhosts; i++)
		hosts[i]->reserved = saved[i];
	free(saved);
	vmp_capacity_report_free(r);
	return err;
}
