/* Fleet planning: assign each VM to a host on the per-node model, then plan every host. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_internal.h"
#include "vmplan/error.h"

#define FLEET_ROUNDS     4 /* assignment and planning rounds for VMs a host's planner refused */
#define EXPLAIN_EXAMPLES 4 /* refused hosts named one by one in --explain */

static const char *const refusal_names[FLEET_NREFUSALS] = {
    "",     "down",   "label",     "group",    "housekeeping",
    "CPUs", "memory", "hugepages", "node fit", "planner"};

/* Append to a malloc'd text; out of memory leaves it as it was. */
__attribute__((format(printf, 2, 3))) static void appendf(char **text, const char *fmt, ...)
{
	char line[1024];
	size_t old = *text ? strlen(*text) : 0, n;
	char *t;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (!(t = realloc(*text, old + n + 1)))
		return;
	memcpy(t + old, line, n + 1);
	*text = t;
}

/* Whether a member of the VM's group is on host h already. */
static bool group_clash(const fleet_ctx *c, const fleet_host *h, int vm)
{
	const char *g = c->reqs[vm].group;

	if (!g[0])
		return false;
	for (int i = 0; i < h->nassigned; i++)
		if (h->assigned[i] != vm && !strcmp(c->reqs[h->assigned[i]].group, g))
			return true;
	return false;
}

static bool planner_refused(const fleet_vm *v, int host)
{
	for (int i = 0; i < v->nrefused; i++)
		if (v->refused[i] == host)
			return true;
	return false;
}

/* Whether host h can take vm, on the model and the constraints; why as fleet_fit() says. */
static fleet_refusal check_host(fleet_take *t, const fleet_ctx *c, int h, int vm, char *why,
				size_t size)
{
	fleet_refusal r = fleet_fit(t, &c->hosts[h], &c->reqs[vm], why, size);

	if (r != FLEET_OK)
		return r;
	if (group_clash(c, &c->hosts[h], vm)) {
		if (why)
			snprintf(why, size, "holds a member of group '%s'", c->reqs[vm].group);
		return FLEET_GROUP;
	}
	if (planner_refused(&c->vms[vm], h)) {
		if (why)
			snprintf(why, size, "its planner refused it in an earlier round");
		return FLEET_PLANNER;
	}
	return FLEET_OK;
}

/* The policy's score of a host left with pus CPUs and mem bytes free: lower is better. */
static double score_of(const fleet_ctx *c, const fleet_host *h, bool busy, int pus, uint64_t mem)
{
	if (c->o.policy == VMP_FLEET_SPREAD) {
		double cp = h->total_pus ? (double)pus / h->total_pus : 0;
		double m = h->total_mem ? (double)mem / (double)h->total_mem : 0;
		return -(cp < m ? cp : m);
	}
	/* pack: a host already in use before a whole free one, then the tightest fit in CPUs
	 * and memory together (one alone strands the other). */
	return (busy ? 0 : 1e12) + (h->total_pus ? (double)pus / h->total_pus : 0) +
	       (h->total_mem ? (double)mem / (double)h->total_mem : 0);
}

/* The policy's score of putting t on h: lower is better. */
static double score(const fleet_ctx *c, const fleet_host *h, const fleet_take *t)
{
	int pus = h->free_pus;
	uint64_t mem = h->free_mem;

	for (int i = 0; i < t->nnodes; i++) {
		pus -= t->pus[i];
		mem -= t->huge < 0 ? t->mem[i] : 0;
	}
	return score_of(c, h, h->busy, pus, mem);
}

/* The reason a VM no host takes gets: how many hosts refused it, and for what. */
static void no_host_reason(fleet_vm *v, const int *counts, int nhosts)
{
	int n = snprintf(v->reason, sizeof(v->reason), "no host of %d takes it:", nhosts);
	const char *sep = " ";

	for (int r = 1; r < FLEET_NREFUSALS && n > 0 && (size_t)n < sizeof(v->reason); r++)
		if (counts[r]) {
			n += snprintf(v->reason + n, sizeof(v->reason) - (size_t)n, "%s%d %s", sep,
				      counts[r], refusal_names[r]);
			sep = ", ";
		}
	v->bind = counts[FLEET_CPUS]        ? VMP_BIND_CORES
		  : counts[FLEET_MEMORY]    ? VMP_BIND_MEMORY
		  : counts[FLEET_HUGEPAGES] ? VMP_BIND_HUGEPAGES
		  : counts[FLEET_NODE_FIT]  ? VMP_BIND_NODE_FIT
					    : VMP_BIND_OTHER;
}

/* --explain: the refusals, a few by name and the rest counted. */
static void explain_refusals(fleet_ctx *c, int vm, int chosen)
{
	fleet_vm *v = &c->vms[vm];
	char why[512];
	int shown = 0, rest[FLEET_NREFUSALS] = {0}, nrest = 0;
	fleet_take t;

	for (int h = 0; h < c->nhosts; h++) {
		fleet_refusal r;
		if (h == chosen)
			continue;
		r = check_host(&t, c, h, vm, why, sizeof(why));
		if (r == FLEET_OK)
			continue;
		if (shown++ < EXPLAIN_EXAMPLES) {
			appendf(&v->why, "host %s refused: %s\n", c->hosts[h].src->name, why);
		} else {
			rest[r]++;
			nrest++;
		}
	}
	if (nrest) {
		appendf(&v->why, "%d more hosts refused:", nrest);
		for (int r = 1; r < FLEET_NREFUSALS; r++)
			if (rest[r])
				appendf(&v->why, " %d %s", rest[r], refusal_names[r]);
		appendf(&v->why, "\n");
	}
}

/* --explain: the chosen host and why. */
static void explain_choice(fleet_ctx *c, int vm, int h, const fleet_take *t, int fitting)
{
	const fleet_host *fh = &c->hosts[h];
	int pus = fh->free_pus;
	uint64_t mem = fh->free_mem;

	for (int i = 0; i < t->nnodes; i++) {
		pus -= t->pus[i];
		mem -= t->huge < 0 ? t->mem[i] : 0;
	}
	appendf(&c->vms[vm].why,
		"host %s chosen (%s, of %d that fit): %s host, %d node%s, then %d of %d CPUs "
		"and %llu of %llu GiB free\n",
		fh->src->name,
		c->o.policy == VMP_FLEET_SPREAD ? "spread: most headroom"
						: "pack: busy hosts first, tightest",
		fitting, fh->busy ? "a busy" : "a whole free", t->nnodes, t->nnodes == 1 ? "" : "s",
		pus, fh->total_pus, (unsigned long long)(mem >> 30),
		(unsigned long long)(fh->total_mem >> 30));
}

/* ---- keep-together groups: all members on one host, or none placed ---------------------- */

typedef struct together_key {
	const char *name;
	int vm;
} together_key;

static int cmp_together(const void *a, const void *b)
{
	const together_key *x = a, *y = b;
	int d = strcmp(x->name, y->name);

	return d ? d : x->vm - y->vm;
}

/* List each keep-together group's members in c->tmembers, in request order. */
static int make_together(fleet_ctx *c)
{
	together_key *k;
	int n = 0;

	for (int i = 0; i < c->nreqs; i++)
		n += c->reqs[i].together[0] != '\0';
	if (!n)
		return VMP_OK;
	if (!(k = malloc((size_t)n * sizeof(*k))) ||
	    !(c->tmembers = malloc((size_t)n * sizeof(*c->tmembers)))) {
		free(k);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	n = 0;
	for (int i = 0; i < c->nreqs; i++)
		if (c->reqs[i].together[0])
			k[n++] = (together_key){c->reqs[i].together, i};
	qsort(k, (size_t)n, sizeof(*k), cmp_together);
	for (int i = 0, j; i < n; i = j) {
		for (j = i; j < n && !strcmp(k[j].name, k[i].name); j++)
			c->tmembers[j] = k[j].vm;
		for (int m = i; m < j; m++) {
			c->vms[k[m].vm].tg_start = i;
			c->vms[k[m].vm].tg_n = j - i;
		}
	}
	free(k);
	return VMP_OK;
}

/*
 * Whether host h takes every member of vm's group: each member is checked with the ones
 * before it applied to the model, then all are given back. takes[] filled; *s the score
 * with all of them there. The refusal of the first member that does not fit.
 */
static fleet_refusal fit_group(fleet_ctx *c, int h, int vm, fleet_take *takes, double *s, char *why,
			       size_t size, int *err)
{
	const fleet_vm *v = &c->vms[vm];
	const int *m = &c->tmembers[v->tg_start];
	fleet_host *fh = &c->hosts[h];
	bool was_busy = fh->busy;
	fleet_refusal r = FLEET_OK;
	char one[512] = "";
	int n = 0;

	*err = VMP_OK;
	for (; n < v->tg_n; n++) {
		if ((r = check_host(&takes[n], c, h, m[n], why ? one : NULL, sizeof(one))) !=
		    FLEET_OK)
			break;
		takes[n].host = h;
		if ((*err = fleet_apply(fh, &takes[n], m[n])) < 0)
			break;
	}
	if (r == FLEET_OK && *err == VMP_OK && s)
		*s = score_of(c, fh, was_busy, fh->free_pus, fh->free_mem);
	if (r != FLEET_OK && why)
		snprintf(why, size, "%.400s (%.64s of group '%.40s')", one, c->reqs[m[n]].name,
			 c->reqs[vm].together);
	while (n-- > 0)
		fleet_release(fh, &takes[n], m[n]);
	fh->busy = was_busy;
	return r;
}

/* No host takes the whole group: every member is refused, with the same reason. */
static void group_given_up(fleet_ctx *c, int vm, const int *counts)
{
	const fleet_vm *v = &c->vms[vm];
	fleet_vm all = {0};
	char last[VMP_REASON_MAX] = "";

	for (int i = 0; i < v->tg_n && !last[0]; i++)
		if (c->vms[c->tmembers[v->tg_start + i]].nrefused)
			snprintf(last, sizeof(last), "; %.190s",
				 c->vms[c->tmembers[v->tg_start + i]].reason);
	no_host_reason(&all, counts, c->nhosts);
	for (int i = 0; i < v->tg_n; i++) {
		fleet_vm *mv = &c->vms[c->tmembers[v->tg_start + i]];
		snprintf(mv->reason, sizeof(mv->reason),
			 "keep-together group '%.40s' (%d VMs): %.200s%.200s", c->reqs[vm].together,
			 v->tg_n, all.reason, last);
		mv->bind = all.bind;
	}
}

/* --explain for a group just placed on h: the choice with numbers, then the refusals. */
static void explain_group(fleet_ctx *c, int vm, int best, int fitting, bool was_busy)
{
	const fleet_vm *v = &c->vms[vm];
	const fleet_host *fh = &c->hosts[best];
	char *why = NULL, one[640];
	fleet_take *t = malloc((size_t)v->tg_n * sizeof(*t));
	int shown = 0, rest = 0, err;

	appendf(&why,
		"host %s chosen for keep-together group '%s' (%d VMs; %s, of %d that fit all): %s "
		"host, then %d of %d CPUs and %llu of %llu GiB free\n",
		fh->src->name, c->reqs[vm].together, v->tg_n,
		c->o.policy == VMP_FLEET_SPREAD ? "spread: most headroom"
						: "pack: busy hosts first, tightest",
		fitting, was_busy ? "a busy" : "a whole free", fh->free_pus, fh->total_pus,
		(unsigned long long)(fh->free_mem >> 30),
		(unsigned long long)(fh->total_mem >> 30));
	for (int h = 0; t && h < c->nhosts; h++) {
		if (h == best || fit_group(c, h, vm, t, NULL, one, sizeof(one), &err) == FLEET_OK ||
		    err < 0)
			continue;
		if (shown++ < EXPLAIN_EXAMPLES)
			appendf(&why, "host %s refused the group: %s\n", c->hosts[h].src->name,
				one);
		else
			rest++;
	}
	if (rest)
		appendf(&why, "%d more hosts refused the group\n", rest);
	free(t);
	for (int i = 0; why && i < v->tg_n; i++) {
		fleet_vm *mv = &c->vms[c->tmembers[v->tg_start + i]];
		free(mv->why);
		mv->why = strdup(why);
	}
	free(why);
}

/* assign() for a VM of a keep-together group: the whole group to the best host, or none. */
static int assign_group(fleet_ctx *c, int vm, bool only_busy, int skip, bool *placed)
{
	const fleet_vm *v = &c->vms[vm];
	const int *m = &c->tmembers[v->tg_start];
	int n = v->tg_n, best = -1, counts[FLEET_NREFUSALS] = {0}, fitting = 0, err = VMP_OK;
	fleet_take *t = malloc(2 * (size_t)n * sizeof(*t)), *bt;
	double s = 0, best_score = 0;
	bool was_busy;

	if (!t) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	bt = t + n;
	for (int h = 0; h < c->nhosts; h++) {
		fleet_refusal r;
		if (h == skip || (only_busy && !c->hosts[h].busy))
			continue;
		r = fit_group(c, h, vm, t, &s, NULL, 0, &err);
		if (err < 0)
			goto out;
		counts[r]++;
		if (r != FLEET_OK || (fitting++, best >= 0 && s >= best_score))
			continue;
		best = h;
		best_score = s;
		memcpy(bt, t, (size_t)n * sizeof(*t));
	}
	if (best < 0) {
		if (!only_busy)
			group_given_up(c, vm, counts);
		goto out;
	}
	was_busy = c->hosts[best].busy;
	for (int i = 0; i < n; i++) {
		if ((err = fleet_apply(&c->hosts[best], &bt[i], m[i])) < 0)
			goto out;
		c->vms[m[i]].take = bt[i];
	}
	if (c->o.explain && !only_busy)
		explain_group(c, vm, best, fitting, was_busy);
	c->dirty[best] = true;
	*placed = true;
out:
	free(t);
	return err;
}

/* One member refused by h's planner takes the group's other members there off h too. */
static int group_leaves(fleet_ctx *c, int *retry, int n)
{
	for (int i = 0, n0 = n; i < n0; i++) {
		const fleet_vm *v = &c->vms[retry[i]];
		int h = v->take.host;
		for (int k = 0; k < v->tg_n; k++) {
			int mvm = c->tmembers[v->tg_start + k];
			fleet_vm *mv = &c->vms[mvm];
			int *r;
			if (mv->in_retry || mv->take.host != h)
				continue;
			if (!(r = realloc(mv->refused, (size_t)(mv->nrefused + 1) * sizeof(*r)))) {
				vmp_error_set("out of memory");
				return VMP_ENOMEM;
			}
			mv->refused = r;
			mv->refused[mv->nrefused++] = h;
			snprintf(
			    mv->reason, sizeof(mv->reason),
			    "host %.64s: keep-together group '%.40s': member %.64s refused: %.250s",
			    c->hosts[h].src->name, c->reqs[mvm].together, c->reqs[retry[i]].name,
			    v->reason);
			mv->bind = v->bind;
			mv->in_retry = true;
			retry[n++] = mvm;
		}
	}
	return n;
}

/* Whether a host's planner refused a member of a keep-together group (the group split). */
static bool group_split(const fleet_ctx *c)
{
	for (int h = 0; h < c->nhosts; h++)
		for (int i = 0; c->plans[h] && i < c->plans[h]->nvms; i++)
			if (!c->plans[h]->vms[i].placed && c->vms[c->hosts[h].assigned[i]].tg_n > 1)
				return true;
	return false;
}

/*
 * Assign vm to the best host (only hosts in use when only_busy, never skip): its take
 * applied, or given up with a reason. VMP_OK or VMP_ENOMEM.
 */
static int assign(fleet_ctx *c, int vm, bool only_busy, int skip, bool *placed)
{
	fleet_vm *v = &c->vms[vm];
	int best = -1, counts[FLEET_NREFUSALS] = {0}, fitting = 0;
	double best_score = 0;
	fleet_take t, best_take = {.host = -1};

	*placed = false;
	if (v->take.host >= 0) { /* moved with its keep-together group */
		*placed = true;
		return VMP_OK;
	}
	if (v->tg_n > 1)
		return assign_group(c, vm, only_busy, skip, placed);
	for (int h = 0; h < c->nhosts; h++) {
		fleet_refusal r;
		double s;
		if (h == skip || (only_busy && !c->hosts[h].busy))
			continue;
		r = check_host(&t, c, h, vm, NULL, 0);
		counts[r]++;
		if (r != FLEET_OK)
			continue;
		fitting++;
		s = score(c, &c->hosts[h], &t);
		if (best < 0 || s < best_score) {
			best = h;
			best_score = s;
			best_take = t;
		}
	}
	if (best < 0) {
		char last[VMP_REASON_MAX];
		if (only_busy)
			return VMP_OK;
		/* A host's planner refused it before: that says more than the counts. */
		snprintf(last, sizeof(last), "%s", v->nrefused ? v->reason : "");
		no_host_reason(v, counts, c->nhosts);
		if (last[0]) {
			size_t n = strlen(v->reason);
			snprintf(v->reason + n, sizeof(v->reason) - n, "; %s", last);
		}
		return VMP_OK;
	}
	best_take.host = best;
	if (c->o.explain && !only_busy) {
		/* Before the take: the host as the choice saw it. */
		free(v->why);
		v->why = NULL;
		explain_choice(c, vm, best, &best_take, fitting);
		explain_refusals(c, vm, best);
	}
	if (fleet_apply(&c->hosts[best], &best_take, vm) < 0)
		return VMP_ENOMEM;
	v->take = best_take;
	c->dirty[best] = true;
	*placed = true;
	return VMP_OK;
}

/* Give a VM's take back to its host. */
static void unassign(fleet_ctx *c, int vm)
{
	fleet_take *t = &c->vms[vm].take;

	if (t->host < 0)
		return;
	fleet_release(&c->hosts[t->host], t, vm);
	c->dirty[t->host] = true;
	t->host = -1;
}

/*
 * pack, batch: try to empty host h (no existing domains) by moving its VMs to other hosts in
 * use; all of them move, or none. VMP_OK or VMP_ENOMEM.
 */
static int try_empty(fleet_ctx *c, int h)
{
	fleet_host *fh = &c->hosts[h];
	int n = fh->nassigned, moved = 0, err = VMP_OK;
	int *vms = malloc((size_t)n * sizeof(*vms));
	fleet_take *old = malloc((size_t)n * sizeof(*old));
	bool placed = true;

	if (!vms || !old) {
		free(vms);
		free(old);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	memcpy(vms, fh->assigned, (size_t)n * sizeof(*vms));
	for (int i = 0; i < n; i++) {
		old[i] = c->vms[vms[i]].take;
		unassign(c, vms[i]);
	}
	for (; moved < n && placed; moved++)
		if ((err = assign(c, vms[moved], true, h, &placed)) < 0)
			break;
	if (placed && err == VMP_OK && moved == n) {
		c->dirty[h] = false;
		goto out;
	}
	/* Undo: the ones that moved come back, in their old places. */
	for (int i = 0; i < n; i++) {
		unassign(c, vms[i]);
		c->vms[vms[i]].take = old[i];
		if (err == VMP_OK)
			err = fleet_apply(fh, &old[i], vms[i]);
		c->dirty[h] = true;
	}
out:
	free(vms);
	free(old);
	return err;
}

/* Hosts with VMs and no existing domains, fewest assigned vCPUs first. */
static int improve_pack(fleet_ctx *c)
{
	int err;

	for (int pass = 0; pass < c->nhosts; pass++) {
		int best = -1;
		unsigned best_vcpus = 0;
		for (int h = 0; h < c->nhosts; h++) {
			fleet_host *fh = &c->hosts[h];
			unsigned v = 0;
			if (!fh->nassigned || fh->nexisting || !fh->usable)
				continue;
			for (int i = 0; i < fh->nassigned; i++)
				v += c->reqs[fh->assigned[i]].vcpus;
			if (best < 0 || v < best_vcpus) {
				best = h;
				best_vcpus = v;
			}
		}
		if (best < 0)
			return VMP_OK;
		if ((err = try_empty(c, best)) < 0)
			return err;
		/* The host kept its VMs: no lighter host empties either, most likely. */
		if (c->hosts[best].nassigned)
			return VMP_OK;
	}
	return VMP_OK;
}

/* Plan every host whose VMs changed, with the host's own planner. */
static int plan_dirty(fleet_ctx *c, vmp_plan_options *po, vmp_vm_request *buf)
{
	int err, left = 0;

	for (int h = 0; h < c->nhosts; h++)
		left += c->dirty[h] && c->hosts[h].nassigned;
	for (int h = 0; h < c->nhosts; h++) {
		fleet_host *fh = &c->hosts[h];
		if (!c->dirty[h])
			continue;
		c->dirty[h] = false;
		vmp_plan_free(c->plans[h]);
		c->plans[h] = NULL;
		if (!fh->nassigned)
			continue;
		for (int i = 0; i < fh->nassigned; i++)
			buf[i] = c->reqs[fh->assigned[i]];
		po->time_limit_s = fleet_host_budget(c, left--);
		if ((err = vmp_plan_solve(&c->plans[h], fh->src->host, buf, (size_t)fh->nassigned,
					  po)) < 0) {
			char msg[VMP_REASON_MAX];
			snprintf(msg, sizeof(msg), "%s", vmp_error_last());
			vmp_error_set("host '%s': %s", fh->src->name, msg);
			return err;
		}
	}
	return VMP_OK;
}

/* VMs a host's planner refused leave it (for another host next round); how many. */
static int take_refused(fleet_ctx *c, int *retry)
{
	int n = 0;

	for (int h = 0; h < c->nhosts; h++) {
		vmp_plan *p = c->plans[h];
		for (int i = 0; p && i < p->nvms; i++) {
			int vm = c->hosts[h].assigned[i];
			fleet_vm *v = &c->vms[vm];
			int *r;
			if (p->vms[i].placed)
				continue;
			if (!(r = realloc(v->refused, (size_t)(v->nrefused + 1) * sizeof(*r)))) {
				vmp_error_set("out of memory");
				return VMP_ENOMEM;
			}
			v->refused = r;
			v->refused[v->nrefused++] = h;
			snprintf(v->reason, sizeof(v->reason), "host %.64s: %.400s",
				 c->hosts[h].src->name, p->vms[i].reason);
			v->bind = p->vms[i].bind;
			if (c->o.explain)
				appendf(&v->why, "host %s's planner refused it: %s\n",
					c->hosts[h].src->name, p->vms[i].reason);
			v->in_retry = true;
			retry[n++] = vm;
		}
	}
	if (c->tmembers && (n = group_leaves(c, retry, n)) < 0)
		return n;
	for (int i = 0; i < n; i++) {
		c->vms[retry[i]].in_retry = false;
		unassign(c, retry[i]);
	}
	return n;
}

/* Assign, plan, and move what a host's planner refused to another host, a few rounds. */
static int run_rounds(fleet_ctx *c, vmp_vm_request *buf, int *pending)
{
	vmp_plan_options po = {.order = c->o.order, .explain = c->o.explain};
	int npending = c->nreqs, err;

	memcpy(pending, c->order, (size_t)c->nreqs * sizeof(*pending));
	for (int round = 0; round < FLEET_ROUNDS; round++) {
		for (int i = 0; i < npending; i++) {
			bool placed;
			if ((err = assign(c, pending[i], false, -1, &placed)) < 0)
				return err;
		}
		if (round == 0 && c->o.policy == VMP_FLEET_PACK && c->o.order == VMP_ORDER_BATCH &&
		    (err = improve_pack(c)) < 0)
			return err;
		if ((err = plan_dirty(c, &po, buf)) < 0)
			return err;
		if (round == FLEET_ROUNDS - 1) {
			/* Never a group split: the refused member's group leaves its host. */
			if (c->tmembers && group_split(c)) {
				if ((err = take_refused(c, pending)) < 0)
					return err;
				return plan_dirty(c, &po, buf);
			}
			break;
		}
		if ((npending = take_refused(c, pending)) <= 0)
			return npending;
		/* The hosts those left are planned again without them. */
	}
	return VMP_OK;
}

static int set_reserve(fleet_ctx *c)
{
	for (int h = 0; h < c->fleet->nhosts; h++) {
		vmp_fleet_host *fh = &c->fleet->hosts[h];
		if (fh->host && vmp_plan_reserve(fh->host, c->o.reserve) < 0) {
			char msg[VMP_REASON_MAX];
			snprintf(msg, sizeof(msg), "%s", vmp_error_last());
			vmp_error_set("host '%s': %s", fh->name, msg);
			return VMP_EINVAL;
		}
	}
	return VMP_OK;
}

static void ctx_free(fleet_ctx *c)
{
	for (int h = 0; h < c->nhosts; h++) {
		fleet_host_fini(&c->hosts[h]);
		vmp_plan_free(c->plans[h]);
	}
	for (int i = 0; c->vms && i < c->nreqs; i++) {
		free(c->vms[i].refused);
		free(c->vms[i].why);
	}
	free(c->hosts);
	free(c->plans);
	free(c->dirty);
	free(c->vms);
	free(c->order);
	free(c->tmembers);
}

static int solve_once(vmp_fleet_plan **out, vmp_fleet *fleet, const vmp_vm_request *reqs,
		      size_t nreqs, const vmp_fleet_options *opts)
{
	fleet_ctx c = {.fleet = fleet, .reqs = reqs, .nreqs = (int)nreqs, .nhosts = fleet->nhosts};
	vmp_vm_request *buf = NULL;
	int *pending = NULL, err = VMP_ENOMEM;

	*out = NULL;
	c.o = opts ? *opts : (vmp_fleet_options){0};
	if (!c.o.reserve)
		c.o.reserve = "auto";
	if (nreqs > INT32_MAX / 2) {
		vmp_error_set("too many VMs");
		return VMP_EINVAL;
	}
	if ((err = set_reserve(&c)) < 0)
		return err;
	err = VMP_ENOMEM;
	if (!(c.hosts = calloc((size_t)c.nhosts, sizeof(*c.hosts))) ||
	    !(c.plans = calloc((size_t)c.nhosts, sizeof(*c.plans))) ||
	    !(c.dirty = calloc((size_t)c.nhosts, sizeof(*c.dirty))) ||
	    !(c.vms = calloc(nreqs ? nreqs : 1, sizeof(*c.vms))) ||
	    !(buf = malloc((nreqs ? nreqs : 1) * sizeof(*buf))) ||
	    !(pending = malloc((nreqs ? nreqs : 1) * sizeof(*pending)))) {
		vmp_error_set("out of memory");
		goto out;
	}
	for (int h = 0; h < c.nhosts; h++)
		if ((err = fleet_host_init(&c.hosts[h], &fleet->hosts[h])) < 0)
			goto out;
	for (size_t i = 0; i < nreqs; i++)
		c.vms[i].take.host = -1;
	c.t0 = planner_now_s();
	c.budget = c.o.time_limit_s > 0   ? c.o.time_limit_s
		   : c.o.time_limit_s < 0 ? -1
					  : VMP_PLAN_TIME_LIMIT_DEFAULT;
	if ((err = fleet_make_order(&c)) < 0 || (err = make_together(&c)) < 0 ||
	    (err = run_rounds(&c, buf, pending)) < 0)
		goto out;
	err = fleet_build_output(out, &c);
out:
	ctx_free(&c);
	free(buf);
	free(pending);
	return err;
}

/* What a fleet plan leaves unplaced, each VM weighted 1 + priority (lower is better). */
static long unplaced_weight(const vmp_fleet_plan *fp)
{
	long w = 0;

	for (int i = 0; i < fp->unplaced->nvms; i++)
		w += 1 + fp->unplaced->vms[i].req.priority;
	return w;
}

int vmp_fleet_solve(vmp_fleet_plan **out, vmp_fleet *fleet, const vmp_vm_request *reqs,
		    size_t nreqs, const vmp_fleet_options *opts)
{
	vmp_fleet_options given = opts ? *opts : (vmp_fleet_options){0};
	vmp_fleet_plan *alt = NULL;
	int err;

	if ((err = solve_once(out, fleet, reqs, nreqs, opts)) < 0 || given.order != VMP_ORDER_BATCH)
		return err;
	/*
	 * Batch assigns every VM before the hosts' planners see them, so a host can refuse what
	 * its totals promised; each VM in turn never can. Batch keeps the given order's plan
	 * when that places more.
	 */
	given.order = VMP_ORDER_GIVEN;
	if ((err = solve_once(&alt, fleet, reqs, nreqs, &given)) < 0)
		return VMP_OK; /* the batch plan stands */
	if (unplaced_weight(alt) < unplaced_weight(*out)) {
		vmp_fleet_plan_free(*out);
		*out = alt;
	} else {
		vmp_fleet_plan_free(alt);
	}
	return VMP_OK;
}
