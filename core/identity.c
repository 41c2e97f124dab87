/* Host identity: the same machine or another, and the free resources a plan still needs. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/cpuset.h"
#include "vmplan/identity.h"

#define GIB (UINT64_C(1) << 30)

/* FNV-1a, 64 bits: an identifier, not a defence against forgery. */
static void hash(uint64_t *h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		*h ^= p[i];
		*h *= UINT64_C(1099511628211);
	}
}

static void hash_fmt(uint64_t *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hash_fmt(uint64_t *h, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hash(h, buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void hash_cpuset(uint64_t *h, const vmp_cpuset *set)
{
	char buf[8192];
	size_t n = vmp_cpuset_format(buf, sizeof(buf), set);

	hash(h, buf, n < sizeof(buf) ? n : sizeof(buf) - 1);
	hash(h, ";", 1);
}

/* Memory in whole GiB, rounded up: MemTotal sits a few hundred MiB under the installed
 * memory, so the fingerprint stays when the kernel reserves a few MiB more or less. */
static uint64_t round_gib(uint64_t bytes)
{
	return (bytes + GIB - 1) / GIB;
}

static void fingerprint(vmp_host_identity *id, const vmp_host *host)
{
	uint64_t h = UINT64_C(14695981039346656037);

	hash_fmt(&h, "p%d c%d l%d %" PRIu64 ";", id->npackages, id->ncores, id->nl3, id->l3_bytes);
	hash_cpuset(&h, &id->pus);
	for (int i = 0; i < host->nnodes; i++) {
		hash_fmt(&h, "n%d %" PRIu64 ";", host->nodes[i].id,
			 round_gib(host->nodes[i].memory_bytes));
		hash_cpuset(&h, &host->nodes[i].cpus);
	}
	for (int i = 0; i < host->ncores; i++)
		hash_cpuset(&h, &host->cores[i].pus);
	hash_fmt(&h, "%s;%d %" PRIx64 " %u %d", id->cpu_model, id->resctrl, id->l3_cbm_mask,
		 id->l3_closids, id->mb);
	snprintf(id->fingerprint, sizeof(id->fingerprint), "%016" PRIx64, h);
}

void vmp_host_identity_get(vmp_host_identity *out, const vmp_host *host)
{
	memset(out, 0, sizeof(*out));
	out->present = true;
	snprintf(out->cpu_model, sizeof(out->cpu_model), "%s", host->cpu_model);
	out->npackages = host->npackages;
	out->ncores = host->ncores;
	out->nl3 = host->nl3;
	out->l3_bytes = host->nl3 ? host->l3s[0].size_bytes : 0;
	for (int i = 0; i < host->npus; i++)
		vmp_cpuset_set(&out->pus, host->pus[i].os_index);
	out->resctrl = host->resctrl.present;
	if (host->resctrl.l3.present) {
		out->l3_cbm_mask = host->resctrl.l3.cbm_mask;
		out->l3_closids = host->resctrl.l3.num_closids;
	}
	out->mb = host->resctrl.mb.present;
	out->groups_used = host->resctrl.groups_used;
	for (int i = 0; i < host->nnodes && i < VMP_IDENTITY_NODES_MAX; i++) {
		const vmp_node *n = &host->nodes[i];
		vmp_identity_node *o = &out->nodes[out->nnodes++];

		o->id = n->id;
		o->cpus = n->cpus;
		o->memory_bytes = n->memory_bytes;
		o->free_bytes = n->free_bytes;
		o->nhugepages = n->nhugepages;
		memcpy(o->hugepages, n->hugepages, sizeof(o->hugepages));
	}
	fingerprint(out, host);
}

/* An appender of "; "- or "\n"-separated findings into a fixed buffer. */
typedef struct sink {
	char *buf;
	size_t size, len;
	int n;
} sink;

static void add(sink *s, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add(sink *s, const char *sep, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (s->n++ && *sep && s->len < s->size) {
		w = snprintf(s->buf + s->len, s->size - s->len, "%s", sep);
		s->len += w > 0 ? (size_t)w : 0;
	}
	if (s->len >= s->size)
		return;
	va_start(ap, fmt);
	w = vsnprintf(s->buf + s->len, s->size - s->len, fmt, ap);
	va_end(ap);
	s->len += w > 0 ? (size_t)w : 0;
	if (s->len >= s->size)
		s->len = s->size - 1;
}

static void fmt_set(char *out, size_t size, const vmp_cpuset *set)
{
	if (vmp_cpuset_empty(set))
		snprintf(out, size, "none");
	else
		vmp_cpuset_format(out, size, set);
}

static bool memory_differs(uint64_t a, uint64_t b)
{
	uint64_t hi = a > b ? a : b, lo = a > b ? b : a;

	return hi - lo > hi / 16;
}

static const vmp_identity_node *find_node(const vmp_host_identity *id, int node)
{
	for (int i = 0; i < id->nnodes; i++)
		if (id->nodes[i].id == node)
			return &id->nodes[i];
	return NULL;
}

static void compare_nodes(sink *s, const vmp_host_identity *p, const vmp_host_identity *a)
{
	char x[256], y[256];

	if (p->nnodes != a->nnodes)
		add(s, "; ", "%d NUMA node%s planned, %d here", p->nnodes,
		    p->nnodes == 1 ? "" : "s", a->nnodes);
	for (int i = 0; i < p->nnodes; i++) {
		const vmp_identity_node *pn = &p->nodes[i], *an = find_node(a, pn->id);

		if (!an) {
			add(s, "; ", "node %d planned, not here", pn->id);
			continue;
		}
		if (!vmp_cpuset_equal(&pn->cpus, &an->cpus)) {
			fmt_set(x, sizeof(x), &pn->cpus);
			fmt_set(y, sizeof(y), &an->cpus);
			add(s, "; ", "node %d CPUs %s planned, %s here", pn->id, x, y);
		}
		if (memory_differs(pn->memory_bytes, an->memory_bytes))
			add(s, "; ", "node %d memory %.1f GiB planned, %.1f GiB here", pn->id,
			    (double)pn->memory_bytes / (double)GIB,
			    (double)an->memory_bytes / (double)GIB);
	}
}

bool vmp_host_identity_compare(char *out, size_t size, const vmp_host_identity *planned,
			       const vmp_host_identity *actual)
{
	sink s = {out, size, 0, 0};
	char x[256], y[256];

	if (size)
		*out = '\0';
	if (!vmp_cpuset_equal(&planned->pus, &actual->pus)) {
		fmt_set(x, sizeof(x), &planned->pus);
		fmt_set(y, sizeof(y), &actual->pus);
		add(&s, "; ", "CPUs %s planned, %s here", x, y);
	}
	if (planned->npackages != actual->npackages)
		add(&s, "; ", "%d package%s planned, %d here", planned->npackages,
		    planned->npackages == 1 ? "" : "s", actual->npackages);
	if (planned->ncores != actual->ncores)
		add(&s, "; ", "%d core%s planned, %d here", planned->ncores,
		    planned->ncores == 1 ? "" : "s", actual->ncores);
	compare_nodes(&s, planned, actual);
	if (planned->nl3 && actual->nl3 &&
	    (planned->nl3 != actual->nl3 || planned->l3_bytes != actual->l3_bytes))
		add(&s, "; ", "%d L3 of %" PRIu64 " KiB planned, %d of %" PRIu64 " KiB here",
		    planned->nl3, planned->l3_bytes / 1024, actual->nl3, actual->l3_bytes / 1024);
	if (*planned->cpu_model && *actual->cpu_model &&
	    strcmp(planned->cpu_model, actual->cpu_model))
		add(&s, "; ", "CPU model '%s' planned, '%s' here", planned->cpu_model,
		    actual->cpu_model);
	if (planned->resctrl && actual->resctrl &&
	    (planned->l3_cbm_mask != actual->l3_cbm_mask ||
	     planned->l3_closids != actual->l3_closids))
		add(&s, "; ",
		    "L3 allocation %#" PRIx64 " with %u classes planned, %#" PRIx64 " with %u here",
		    planned->l3_cbm_mask, planned->l3_closids, actual->l3_cbm_mask,
		    actual->l3_closids);
	return s.n == 0;
}

/* ---- the plan against the host it is applied to ----------------------------------------- */

static void fmt_gib(char *out, size_t size, uint64_t bytes)
{
	snprintf(out, size, "%.1f GiB", (double)bytes / (double)GIB);
}

static void check_identity(vmp_plan_host_result *out, const vmp_plan *plan, const vmp_host *host)
{
	vmp_host_identity here;
	char fp[17];

	if (plan->identity.present) {
		vmp_host_identity_get(&here, host);
		out->same_host = vmp_host_identity_compare(out->differs, sizeof(out->differs),
							   &plan->identity, &here);
		return;
	}
	out->legacy = true;
	vmp_host_fingerprint(fp, host);
	out->same_host = !strcmp(fp, plan->host);
	if (!out->same_host)
		snprintf(out->differs, sizeof(out->differs),
			 "fingerprint %s planned, %s here (the plan has no host identity: an older "
			 "vmplan wrote it, and its fingerprint changes when node memory does)",
			 plan->host, fp);
}

static void check_cpus(vmp_plan_host_result *out, sink *s, const vmp_plan_vm *vm,
		       const vmp_host *host)
{
	vmp_cpuset all = vm->pcpus, missing;
	char buf[256];

	vmp_cpuset_or(&all, &all, &vm->emulatorpin);
	for (int i = 0; i < vm->niothreads && i < VMP_MAX_IOTHREADS; i++)
		vmp_cpuset_or(&all, &all, &vm->iothreadpin[i]);
	for (unsigned i = 0; vm->vcpupin && i < vm->req.vcpus; i++)
		if (vm->vcpupin[i] >= 0)
			vmp_cpuset_set(&all, vm->vcpupin[i]);
	vmp_cpuset_andnot(&missing, &all, &host->online);
	if (vmp_cpuset_empty(&missing))
		return;
	out->missing_cpus = true;
	fmt_set(buf, sizeof(buf), &missing);
	add(s, "",
	    "vm '%s' is pinned to CPUs %s, which this host does not have online: re-plan it on "
	    "this host (vmplan suggest)\n",
	    vm->req.name, buf);
}

/* The pool of page size kib on node index n, or NULL. */
static const vmp_hugepages *pool(const vmp_host *host, int n, uint64_t kib)
{
	for (int k = 0; k < host->nodes[n].nhugepages; k++)
		if (host->nodes[n].hugepages[k].size_kib == kib)
			return &host->nodes[n].hugepages[k];
	return NULL;
}

/* Pages of size page_bytes that the plan's placed VMs need on node id; names in who. */
static uint64_t pages_needed(char *who, size_t size, const vmp_plan *plan, int node,
			     uint64_t page_bytes)
{
	sink names = {who, size, 0, 0};
	uint64_t pages = 0;

	if (size)
		*who = '\0';
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		uint64_t mine = 0;

		if (!vm->placed || vm->req.hugepage_bytes != page_bytes)
			continue;
		for (int c = 0; c < vm->ncells; c++)
			if (vm->cells[c].host_node == node)
				mine += (vm->cells[c].memory_bytes + page_bytes - 1) / page_bytes;
		if (mine) {
			add(&names, ", ", "'%s'", vm->req.name);
			pages += mine;
		}
	}
	return pages;
}

static int hugepage_lines(sink *s, const vmp_plan *plan, const vmp_host *host)
{
	uint64_t sizes[16];
	int nsizes = 0, nshort = 0;

	for (int i = 0; i < plan->nvms; i++) {
		uint64_t b = plan->vms[i].req.hugepage_bytes;
		bool seen = false;

		for (int k = 0; k < nsizes; k++)
			seen = seen || sizes[k] == b;
		if (plan->vms[i].placed && b && !seen && nsizes < 16)
			sizes[nsizes++] = b;
	}
	for (int k = 0; k < nsizes; k++)
		for (int n = 0; n < host->nnodes; n++) {
			uint64_t kib = sizes[k] / 1024, need, have, total;
			const vmp_hugepages *p = pool(host, n, kib);
			char who[256];

			need = pages_needed(who, sizeof(who), plan, host->nodes[n].id, sizes[k]);
			have = p ? p->free : 0;
			total = p ? p->total : 0;
			if (need <= have)
				continue;
			nshort++;
			add(s, "",
			    "node %d: %" PRIu64 " pages of %" PRIu64 " kB needed (vm %s), %" PRIu64
			    " free: reserve %" PRIu64 " more: echo %" PRIu64
			    " > /sys/devices/system/node/node%d/hugepages/hugepages-%" PRIu64
			    "kB/nr_hugepages%s\n",
			    host->nodes[n].id, need, kib, who, have, need - have,
			    total + need - have, host->nodes[n].id, kib,
			    kib >= 1024 * 1024
				? " (1 GiB pages are surest reserved at boot, on the "
				  "kernel command line)"
				: "");
		}
	return nshort;
}

int vmp_plan_hugepage_shortfalls(char *out, size_t size, const vmp_plan *plan, const vmp_host *host)
{
	sink s = {out, size, 0, 0};

	if (size)
		*out = '\0';
	return hugepage_lines(&s, plan, host);
}

static int memory_lines(sink *s, const vmp_plan *plan, const vmp_host *host)
{
	int nshort = 0;

	for (int n = 0; n < host->nnodes; n++) {
		uint64_t need = 0;
		char a[32], b[32];

		for (int i = 0; i < plan->nvms; i++) {
			const vmp_plan_vm *vm = &plan->vms[i];

			if (!vm->placed || vm->req.hugepage_bytes)
				continue;
			for (int c = 0; c < vm->ncells; c++)
				if (vm->cells[c].host_node == host->nodes[n].id)
					need += vm->cells[c].memory_bytes;
		}
		if (need <= host->nodes[n].free_bytes)
			continue;
		nshort++;
		fmt_gib(a, sizeof(a), need);
		fmt_gib(b, sizeof(b), host->nodes[n].free_bytes);
		add(s, "",
		    "node %d: %s of memory needed, %s free: free memory on node %d (stop or move "
		    "what uses it) or re-plan on this host\n",
		    host->nodes[n].id, a, b, host->nodes[n].id);
	}
	return nshort;
}

static const vmp_rdt_domain *l3_domain(const vmp_host *host, int id)
{
	for (int d = 0; d < host->resctrl.l3.ndomains; d++)
		if (host->resctrl.l3.domains[d].id == id)
			return &host->resctrl.l3.domains[d];
	return NULL;
}

static int cache_lines(sink *s, const vmp_plan *plan, const vmp_host *host)
{
	const vmp_resctrl *rc = &host->resctrl;
	unsigned groups = 0, limit = vmp_resctrl_closids(rc);
	int nshort = 0;

	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];

		if (!vm->placed || (!vm->ncachetune && !vm->nmemorytune))
			continue;
		groups++;
		if (!rc->present) {
			add(s, "",
			    "vm '%s' has cachetune or memorytune and resctrl is not mounted here: "
			    "mount -t resctrl resctrl /sys/fs/resctrl\n",
			    vm->req.name);
			return nshort + 1;
		}
		for (int k = 0; k < vm->ncachetune; k++) {
			const vmp_plan_cachetune *ct = &vm->cachetune[k];
			const vmp_rdt_domain *d =
			    ct->level == 3 ? l3_domain(host, ct->cache_id) : NULL;

			if (ct->level != 3)
				continue;
			if (!d || (ct->ways_mask & d->used_mask)) {
				nshort++;
				add(s, "",
				    "vm '%s': L3 ways %#" PRIx64 " of cache %d are %s: remove the "
				    "resctrl groups that hold them or re-plan on this host\n",
				    vm->req.name, ct->ways_mask, ct->cache_id,
				    d ? "held by other resctrl groups" : "not a cache domain here");
			}
		}
	}
	if (groups && rc->present && rc->groups_used + groups > limit) {
		nshort++;
		add(s, "",
		    "resctrl: the plan needs %u classes of service, %u of %u are free: remove "
		    "unused groups under /sys/fs/resctrl or re-plan on this host\n",
		    groups, limit - (rc->groups_used < limit ? rc->groups_used : limit), limit);
	}
	return nshort;
}

void vmp_plan_host_check(vmp_plan_host_result *out, const vmp_plan *plan, const vmp_host *host,
			 bool free_too)
{
	sink s;

	memset(out, 0, sizeof(*out));
	s = (sink){out->shortfalls, sizeof(out->shortfalls), 0, 0};
	check_identity(out, plan, host);
	for (int i = 0; i < plan->nvms; i++)
		if (plan->vms[i].placed)
			check_cpus(out, &s, &plan->vms[i], host);
	if (free_too) {
		memory_lines(&s, plan, host);
		hugepage_lines(&s, plan, host);
		cache_lines(&s, plan, host);
	}
	out->nshortfalls = s.n;
}

bool vmp_plan_same_host(char *differs, size_t size, const vmp_plan *plan, const vmp_host *host)
{
	vmp_plan_host_result *r = calloc(1, sizeof(*r));
	bool same;

	if (!r) {
		snprintf(differs, size, "out of memory to compare them");
		return false;
	}
	vmp_plan_host_check(r, plan, host, false);
	same = r->same_host && !r->missing_cpus;
	snprintf(differs, size, "%s",
		 same          ? ""
		 : *r->differs ? r->differs
			       : "a CPU the plan pins is not online on this host");
	free(r);
	return same;
}
