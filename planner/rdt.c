/* Cache ways (cachetune) and memory-bandwidth limits (memorytune) within resctrl's rules. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "planner/internal.h"
#include "vmplan/size.h"

static int domain_index(const vmp_rdt_cache *c, int id)
{
	for (int d = 0; d < c->ndomains; d++)
		if (c->domains[d].id == id)
			return d;
	return -1;
}

/* The highest run of n contiguous set bits inside free, or 0 when there is none. */
static uint64_t highest_run(uint64_t free, int n)
{
	if (n <= 0 || n > 64)
		return 0;
	uint64_t run = n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;

	for (int shift = 64 - n; shift >= 0; shift--)
		if (((run << shift) & free) == (run << shift))
			return run << shift;
	return 0;
}

/* The L3 domain indexes (into h->l3s) the VM's pinned CPUs use; their count. */
static int vm_l3s(const vmp_host *h, const vmp_plan_vm *vm, int *out)
{
	int n = 0, cpu;

	VMP_CPUSET_FOREACH (cpu, &vm->pcpus) {
		int p = vmp_host_pu_index(h, cpu), l, i;
		if (p < 0 || (l = h->pus[p].l3) < 0)
			continue;
		for (i = 0; i < n && out[i] != l; i++)
			;
		if (i == n && n < VMP_MAX_CACHETUNE)
			out[n++] = l;
	}
	return n;
}

/* The node index of the VM's first pinned PU in L3 domain l3 (the VM uses it, so one exists). */
static int l3_node(const vmp_host *h, const vmp_plan_vm *vm, int l3)
{
	int cpu;

	VMP_CPUSET_FOREACH (cpu, &vm->pcpus) {
		int p = vmp_host_pu_index(h, cpu);
		if (p >= 0 && h->pus[p].l3 == l3)
			return h->pus[p].node;
	}
	return -1;
}

/* The largest bandwidth libvirt accepts in a <memorytune> node, whatever the unit. */
#define VMP_LIBVIRT_MB_MAX 100

static const char *mb_unit_name(vmp_mb_unit unit)
{
	return unit == VMP_MB_AMD_GBS8 ? "1/8 GB/s" : unit == VMP_MB_MBPS ? "MB/s" : "percent";
}

/* The bandwidth value for one MB domain near host node index node, or 0 when unknown. */
static unsigned mb_value(const vmp_host *h, const vmp_vm_request *r, int node)
{
	const vmp_rdt_mb *mb = &h->resctrl.mb;
	double triad =
	    h->triad_gbs && node >= 0 ? h->triad_gbs[(size_t)node * h->nnodes + node] : 0.0;
	double v = 0;
	unsigned gran = mb->bandwidth_gran ? mb->bandwidth_gran : 1, out;

	switch (mb->unit) {
	case VMP_MB_PERCENT:
		if (r->membw_percent)
			v = r->membw_percent;
		else if (triad > 0)
			v = (double)r->membw_mbps / (triad * 1000.0) * 100.0;
		break;
	case VMP_MB_AMD_GBS8:
		if (r->membw_mbps)
			v = (double)r->membw_mbps / 125.0;
		else if (triad > 0)
			v = triad * 8.0 * r->membw_percent / 100.0;
		break;
	case VMP_MB_MBPS:
		if (r->membw_mbps)
			v = (double)r->membw_mbps;
		else if (triad > 0)
			v = triad * 1000.0 * r->membw_percent / 100.0;
		break;
	}
	if (v <= 0)
		return 0;
	/* In range before the cast: a huge cap stays the largest the unit can say. */
	double q = ceil(v / gran), most = floor((double)UINT32_MAX / gran);
	out = (unsigned)(q < most ? q : most) * gran;
	if (out < mb->min_bandwidth)
		out = mb->min_bandwidth;
	if (mb->unit == VMP_MB_PERCENT && out > 100)
		out = 100;
	return out;
}

/* Which of cache ways and bandwidth limits vm gets on this host; notes in the explanation. */
static void rdt_wanted(const planner_state *st, vmp_plan_vm *vm, bool *want_cache, bool *want_mb)
{
	const vmp_resctrl *rc = &st->h->resctrl;
	const vmp_vm_request *r = &vm->req;

	*want_cache = r->cache_bytes > 0;
	*want_mb = r->membw_percent || r->membw_mbps;
	if (*want_cache && !rc->l3.present) {
		if (st->explain)
			planner_append(&vm->explain,
				       "cache: the host has no resctrl L3 allocation; "
				       "no ways reserved\n");
		*want_cache = false;
	}
	if (*want_mb && !rc->mb.present) {
		if (st->explain)
			planner_append(&vm->explain,
				       "membw: the host has no resctrl memory-bandwidth "
				       "allocation; no limit set\n");
		*want_mb = false;
	}
	if (*want_cache && r->cpu == VMP_CPU_SHARED) {
		if (st->explain)
			planner_append(&vm->explain, "cache: a shared VM gets no dedicated ways\n");
		*want_cache = false;
	}
}

/* The VM's memorytune: one limit per MB domain it uses, or none when one cannot be said. */
static void rdt_memorytune(const planner_state *st, vmp_plan_vm *vm)
{
	const vmp_host *h = st->h;
	const vmp_resctrl *rc = &h->resctrl;
	int ids[VMP_RDT_DOMAINS_MAX], nodes[VMP_RDT_DOMAINS_MAX], n = 0;
	int l3s[VMP_MAX_CACHETUNE], nl3 = vm_l3s(h, vm, l3s);

	/* MB domains are named like the L3 domains where resctrl lists them so (Intel), else
	 * like the NUMA nodes. */
	for (int i = 0; i < nl3 && n < VMP_RDT_DOMAINS_MAX; i++)
		for (int d = 0; d < rc->mb.ndomains; d++)
			if (rc->mb.domain_ids[d] == h->l3s[l3s[i]].id) {
				ids[n] = rc->mb.domain_ids[d];
				nodes[n++] = l3_node(h, vm, l3s[i]);
			}
	if (n == 0)
		for (int c = 0; c < vm->ncells && n < VMP_RDT_DOMAINS_MAX; c++)
			for (int d = 0; d < rc->mb.ndomains; d++)
				if (rc->mb.domain_ids[d] == vm->cells[c].host_node) {
					ids[n] = vm->cells[c].host_node;
					nodes[n] = vmp_host_node_index(h, ids[n]);
					n++;
				}
	for (int i = 0; i < n; i++) {
		unsigned v = mb_value(h, &vm->req, nodes[i]);
		if (!v) {
			if (st->explain)
				planner_append(
				    &vm->explain,
				    "membw: cannot express the limit in this host's unit "
				    "without a measured bandwidth (probe --measure); no "
				    "limit set\n");
			vm->nmemorytune = 0;
			break;
		}
		if (v > VMP_LIBVIRT_MB_MAX) {
			/* libvirt refuses the domain XML (virResctrlAllocSetMemoryBandwidth). */
			if (st->explain)
				planner_append(
				    &vm->explain,
				    "membw: the limit is %u in this host's unit (%s), but "
				    "libvirt's <memorytune> takes at most %d; no limit "
				    "set\n",
				    v, mb_unit_name(rc->mb.unit), VMP_LIBVIRT_MB_MAX);
			vm->nmemorytune = 0;
			break;
		}
		vm->memorytune[vm->nmemorytune].node_id = ids[i];
		vm->memorytune[vm->nmemorytune++].bandwidth = v;
	}
}

/*
 * How many ways of way bytes the request's cache takes: rounded up to whole ways, and to
 * resctrl's min_cbm_bits; nbits + 1 (too many) for a request larger than the cache.
 */
static int ways_needed(const vmp_resctrl *rc, uint64_t cache_bytes, uint64_t way, int nbits)
{
	/* In 64 bits and without overflow: a huge request must stay huge. */
	uint64_t q = cache_bytes / way + (cache_bytes % way != 0);
	int ways = q > (uint64_t)nbits ? nbits + 1 : (int)q;

	if (ways < (int)rc->l3.min_cbm_bits)
		ways = (int)rc->l3.min_cbm_bits;
	return ways;
}

/* The longest run of set bits in mask (the earliest of equal ones), or 0 for none. */
static uint64_t longest_run(uint64_t mask)
{
	uint64_t best = 0;

	while (mask) {
		int lo = __builtin_ctzll(mask);
		int len = ~(mask >> lo) ? __builtin_ctzll(~(mask >> lo)) : 64 - lo;
		uint64_t run = (len >= 64 ? UINT64_MAX : (UINT64_C(1) << len) - 1) << lo;

		if (__builtin_popcountll(run) > __builtin_popcountll(best))
			best = run;
		mask &= ~run;
	}
	return best;
}

/*
 * The ways the default group holds when the plan's domains start, given all the ways the
 * plan gives out in the domain: what it holds now where the plan needs none of them, else
 * the longest run of the rest, to which vmplan hostprep --apply shrinks it.
 */
static uint64_t default_after(const vmp_rdt_cache *l3, const vmp_rdt_domain *dom, uint64_t all)
{
	if (dom->default_mask && !(dom->default_mask & all))
		return dom->default_mask;
	return longest_run(l3->cbm_mask & ~all);
}

/*
 * The highest run of n ways inside free that the default group may give up: after it, the
 * rest of the ways (taken: what the plan gave out before) still holds a run of min_cbm_bits
 * for the default group. 0 when there is none.
 */
static uint64_t run_from_default(const vmp_rdt_cache *l3, uint64_t free, uint64_t taken, int n)
{
	uint64_t run = n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
	int keep = l3->min_cbm_bits ? (int)l3->min_cbm_bits : 1;

	for (int shift = 64 - n; shift >= 0; shift--)
		if (((run << shift) & free) == (run << shift) &&
		    __builtin_popcountll(longest_run(l3->cbm_mask & ~(taken | run << shift))) >=
			keep)
			return run << shift;
	return 0;
}

/* The refusal of rdt_find_ways() where no free run of ways fits. */
static void refuse_ways(vmp_plan_vm *vm, const vmp_resctrl *rc, const vmp_rdt_domain *dom,
			uint64_t free_ways, uint64_t way, int ways, int id)
{
	char a[32], b[32];
	uint64_t held = dom->default_mask & free_ways;

	vmp_size_format(a, sizeof(a), vm->req.cache_bytes);
	vmp_size_format(b, sizeof(b), way);
	free_ways &= ~dom->default_mask;
	if (held && rc->keep_default)
		planner_refuse(vm, VMP_BIND_CACHE,
			       "needs %s of L3 (%d contiguous ways of %s) in cache %d, but only "
			       "ways 0x%" PRIx64 " (%d) are free there: the default resctrl group "
			       "holds ways 0x%" PRIx64 " and libvirt takes none of them; let "
			       "vmplan hostprep --apply release them (--resctrl-default shrink) "
			       "or lower cache",
			       a, ways, b, id, free_ways, __builtin_popcountll(free_ways), held);
	else if (held)
		planner_refuse(vm, VMP_BIND_CACHE,
			       "needs %s of L3 (%d contiguous ways of %s) in cache %d, but only "
			       "ways 0x%" PRIx64 " (%d) are free there and the default resctrl "
			       "group keeps at least %u of them; lower cache",
			       a, ways, b, id, free_ways | held,
			       __builtin_popcountll(free_ways | held),
			       rc->l3.min_cbm_bits ? rc->l3.min_cbm_bits : 1);
	else
		planner_refuse(vm, VMP_BIND_CACHE,
			       "needs %s of L3 (%d contiguous ways of %s) in cache %d, but only "
			       "ways 0x%" PRIx64 " (%d) are free there; lower cache",
			       a, ways, b, id, free_ways, __builtin_popcountll(free_ways));
}

/*
 * Find contiguous free ways for vm in each of its L3 domains l3s[0..nl3): their masks and
 * resctrl domain indexes. Ways no group holds come first; the default group's only where
 * vmplan hostprep may shrink it (not rc->keep_default). False with the refusal set and
 * st->failed_l3 naming the domain.
 */
static bool rdt_find_ways(planner_state *st, vmp_plan_vm *vm, const int *l3s, int nl3,
			  uint64_t *masks, int *doms)
{
	const vmp_host *h = st->h;
	const vmp_resctrl *rc = &h->resctrl;
	const vmp_vm_request *r = &vm->req;
	int nbits = __builtin_popcountll(rc->l3.cbm_mask);

	for (int i = 0; i < nl3; i++) {
		uint64_t size = h->l3s[l3s[i]].size_bytes, way, free_ways;
		int ways, id = h->l3s[l3s[i]].id;
		const vmp_rdt_domain *dom;
		char a[32];

		way = nbits ? size / (uint64_t)nbits : 0;
		st->failed_l3 = l3s[i]; /* the domain a refusal below lacked */
		if (way == 0) {
			planner_refuse(
			    vm, VMP_BIND_CACHE,
			    "needs L3 ways but the size of cache %d is unknown or smaller "
			    "than its %d ways",
			    id, nbits);
			return false;
		}
		ways = ways_needed(rc, r->cache_bytes, way, nbits);
		if ((doms[i] = domain_index(&rc->l3, id)) < 0) {
			planner_refuse(vm, VMP_BIND_CACHE,
				       "needs L3 ways in cache %d, which resctrl does not list",
				       id);
			return false;
		}
		if (ways == nbits) {
			/* libvirt checks this before it looks for free ways (virresctrl.c). */
			vmp_size_format(a, sizeof(a), r->cache_bytes);
			planner_refuse(vm, VMP_BIND_CACHE,
				       "needs %s of L3, all %d ways of cache %d: libvirt refuses a "
				       "cachetune of the whole cache; lower cache",
				       a, nbits, id);
			return false;
		}
		dom = &rc->l3.domains[doms[i]];
		free_ways = rc->l3.cbm_mask & ~dom->used_mask & ~st->l3_taken[doms[i]];
		masks[i] = ways > nbits ? 0 : highest_run(free_ways & ~dom->default_mask, ways);
		if (!masks[i] && ways <= nbits && !rc->keep_default)
			masks[i] =
			    run_from_default(&rc->l3, free_ways, st->l3_taken[doms[i]], ways);
		if (!masks[i]) {
			refuse_ways(vm, rc, dom, free_ways, way, ways, id);
			return false;
		}
	}
	st->failed_l3 = -1;
	return true;
}

/* Take the ways found and write the VM's cachetune (code and data apart under CDP). */
static void rdt_take_ways(planner_state *st, vmp_plan_vm *vm, const int *l3s, int nl3,
			  const uint64_t *masks, const int *doms)
{
	const vmp_host *h = st->h;
	const vmp_resctrl *rc = &h->resctrl;

	for (int i = 0; i < nl3; i++) {
		const char *types[2] = {"both", NULL};
		uint64_t way =
		    h->l3s[l3s[i]].size_bytes / (uint64_t)__builtin_popcountll(rc->l3.cbm_mask);
		if (rc->l3.cdp) {
			types[0] = "code";
			types[1] = "data";
		}
		st->l3_taken[doms[i]] |= masks[i];
		for (int t = 0; t < 2 && types[t] && vm->ncachetune < VMP_MAX_CACHETUNE; t++) {
			vmp_plan_cachetune *ct = &vm->cachetune[vm->ncachetune++];
			ct->level = 3;
			ct->cache_id = h->l3s[l3s[i]].id;
			snprintf(ct->type, sizeof(ct->type), "%s", types[t]);
			ct->ways_mask = masks[i];
			ct->size_bytes = way * (uint64_t)__builtin_popcountll(masks[i]);
		}
		if (st->explain)
			planner_append(
			    &vm->explain,
			    "cache %d: %d ways (libvirt takes the size and picks the ways "
			    "at start, among those no resctrl group holds, the default "
			    "group included; ways_mask is its pick when the VMs start in "
			    "plan order)\n",
			    h->l3s[l3s[i]].id, __builtin_popcountll(masks[i]));
	}
}

bool planner_rdt_allocate(planner_state *st, vmp_plan_vm *vm)
{
	const vmp_resctrl *rc = &st->h->resctrl;
	bool want_cache, want_mb;

	vm->ncachetune = vm->nmemorytune = 0;
	rdt_wanted(st, vm, &want_cache, &want_mb);
	if (!want_cache && !want_mb)
		return true;
	if (want_mb)
		rdt_memorytune(st, vm);
	/* One resctrl group per VM holds both its cachetune and its memorytune; a VM whose
	 * bandwidth limit cannot be expressed, and that wants no ways, needs none. */
	if (!want_cache && !vm->nmemorytune)
		return true;
	unsigned limit = vmp_resctrl_closids(rc);
	if (rc->groups_used + st->closids + 1 > limit) {
		vm->nmemorytune = 0;
		planner_refuse(
		    vm, VMP_BIND_CLOSIDS,
		    "needs a resctrl class of service for its cache or bandwidth, but all "
		    "%u are taken (%u by existing groups, %u by this plan); drop "
		    "cache/membw or place fewer such VMs",
		    limit, rc->groups_used, st->closids);
		return false;
	}
	if (want_cache) {
		int l3s[VMP_MAX_CACHETUNE], doms[VMP_MAX_CACHETUNE];
		int nl3 = vm_l3s(st->h, vm, l3s);
		uint64_t masks[VMP_MAX_CACHETUNE];

		if (!rdt_find_ways(st, vm, l3s, nl3, masks, doms))
			return false;
		rdt_take_ways(st, vm, l3s, nl3, masks, doms);
	}
	if (vm->ncachetune || vm->nmemorytune)
		st->closids++;
	return true;
}

/*
 * libvirt's own choice of ways (src/util/virresctrl.c, read to learn it): when a domain
 * starts it takes the ways no resctrl group holds, the default group included, and gives
 * the domain the lowest `need` ways of the first free run that fits exactly, else of the
 * smallest free run that is larger (the earliest of equal ones).
 */
static uint64_t libvirt_pick(uint64_t free_ways, int need, int nbits)
{
	int best_pos = -1, best_len = 0;

	for (int pos = 0; pos < nbits;) {
		int len = 0;

		if (!(free_ways >> pos & 1)) {
			pos++;
			continue;
		}
		while (pos + len < nbits && (free_ways >> (pos + len) & 1))
			len++;
		if (len == need)
			return ((UINT64_C(1) << need) - 1) << pos;
		if (len > need && (best_pos < 0 || len < best_len)) {
			best_pos = pos;
			best_len = len;
		}
		pos += len;
	}
	return best_pos < 0 ? 0 : ((UINT64_C(1) << need) - 1) << best_pos;
}

/*
 * Re-pick one L3 domain's masks as libvirt will (see planner_rdt_as_libvirt()); say in the
 * explanation which of them the default group holds now.
 */
static void as_libvirt_domain(vmp_plan *plan, const vmp_rdt_cache *l3, const vmp_rdt_domain *dom)
{
	int nbits = 64 - __builtin_clzll(l3->cbm_mask);
	uint64_t all = 0, free_ways;

	for (int i = 0; i < plan->nvms; i++)
		for (int k = 0; plan->vms[i].placed && k < plan->vms[i].ncachetune; k++)
			if (plan->vms[i].cachetune[k].level == 3 &&
			    plan->vms[i].cachetune[k].cache_id == dom->id)
				all |= plan->vms[i].cachetune[k].ways_mask;
	if (!all)
		return;
	/* What libvirt finds free when the first domain starts: every group subtracted. */
	free_ways = l3->cbm_mask & ~dom->used_mask & ~default_after(l3, dom, all);
	for (int i = 0; i < plan->nvms; i++) {
		vmp_plan_vm *vm = &plan->vms[i];
		uint64_t pick = 0, mask = 0;

		for (int k = 0; vm->placed && k < vm->ncachetune; k++) {
			vmp_plan_cachetune *ct = &vm->cachetune[k];

			if (ct->level != 3 || ct->cache_id != dom->id)
				continue;
			/* Code and data (CDP) are picked alike from alike free ways. */
			if (!pick)
				pick = libvirt_pick(free_ways, __builtin_popcountll(ct->ways_mask),
						    nbits);
			if (pick)
				ct->ways_mask = pick;
			mask = ct->ways_mask;
		}
		free_ways &= ~pick;
		if (vm->explain && (mask & dom->default_mask))
			planner_append(&vm->explain,
				       "cache %d: needs `vmplan hostprep --apply` to release ways "
				       "0x%" PRIx64 " from the default group\n",
				       dom->id, mask & dom->default_mask);
	}
}

void planner_rdt_as_libvirt(vmp_plan *plan, const vmp_host *host)
{
	const vmp_rdt_cache *l3 = &host->resctrl.l3;

	if (!host->resctrl.present || !l3->present)
		return;
	for (int d = 0; d < l3->ndomains; d++)
		as_libvirt_domain(plan, l3, &l3->domains[d]);
}

uint64_t vmp_plan_default_release(const vmp_plan *plan, const vmp_host *host, int cache_id)
{
	const vmp_rdt_cache *l3 = &host->resctrl.l3;
	uint64_t all = 0;
	int d;

	if (!host->resctrl.present || !l3->present || (d = domain_index(l3, cache_id)) < 0)
		return 0;
	for (int i = 0; i < plan->nvms; i++)
		for (int k = 0; plan->vms[i].placed && k < plan->vms[i].ncachetune; k++)
			if (plan->vms[i].cachetune[k].level == 3 &&
			    plan->vms[i].cachetune[k].cache_id == cache_id)
				all |= plan->vms[i].cachetune[k].ways_mask;
	return all & l3->domains[d].default_mask;
}
