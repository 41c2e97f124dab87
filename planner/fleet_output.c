/* Fleet planning's output: the hosts' plans and the VMs no host took, in one fleet plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_internal.h"
#include "vmplan/error.h"

/* Prefix the fleet's explanation to the planner's; out of memory keeps the planner's. */
static void merge_explain(vmp_plan_vm *pv, fleet_vm *v)
{
	char *t;

	if (!v->why)
		return;
	if (pv->explain) {
		if ((t = malloc(strlen(v->why) + strlen(pv->explain) + 1))) {
			strcpy(t, v->why);
			strcat(t, pv->explain);
			free(pv->explain);
			pv->explain = t;
		}
		return;
	}
	pv->explain = v->why;
	v->why = NULL;
}

/* Add a VM no host took to the unplaced plan (its array has room for every VM). */
static void add_unplaced(vmp_plan *u, const vmp_plan_vm *from, const vmp_vm_request *req,
			 fleet_vm *v)
{
	vmp_plan_vm *pv = &u->vms[u->nvms++];

	if (from)
		*pv = *from; /* takes its pointers */
	else
		memset(pv, 0, sizeof(*pv));
	pv->req = *req;
	pv->placed = false;
	snprintf(pv->reason, sizeof(pv->reason), "%s", v->reason);
	pv->bind = v->bind ? v->bind : VMP_BIND_OTHER;
	merge_explain(pv, v);
}

/* Move host h's plan into the fleet plan: placed VMs stay, refused ones go to unplaced. */
static void collect_host(fleet_ctx *c, vmp_fleet_plan *fp, int h)
{
	vmp_plan *p = c->plans[h];
	vmp_fleet_plan_host *out = &fp->hosts[fp->nhosts++];
	int kept = 0;

	snprintf(out->name, sizeof(out->name), "%s", c->hosts[h].src->name);
	snprintf(out->uri, sizeof(out->uri), "%s", c->hosts[h].src->uri);
	for (int i = 0; i < p->nvms; i++) {
		fleet_vm *v = &c->vms[c->hosts[h].assigned[i]];
		if (!p->vms[i].placed) {
			snprintf(v->reason, sizeof(v->reason), "host %.64s: %.400s", out->name,
				 p->vms[i].reason);
			v->bind = p->vms[i].bind;
			add_unplaced(fp->unplaced, &p->vms[i], &p->vms[i].req, v);
			continue;
		}
		merge_explain(&p->vms[i], v);
		p->vms[kept++] = p->vms[i];
	}
	p->nvms = kept;
	out->plan = p;
	c->plans[h] = NULL;
}

int fleet_build_output(vmp_fleet_plan **out, fleet_ctx *c)
{
	vmp_fleet_plan *fp = calloc(1, sizeof(*fp));

	if (!fp || !(fp->hosts = calloc((size_t)c->nhosts, sizeof(*fp->hosts))) ||
	    !(fp->unplaced = calloc(1, sizeof(*fp->unplaced))) ||
	    !(fp->unplaced->vms = calloc((size_t)c->nreqs, sizeof(*fp->unplaced->vms)))) {
		vmp_fleet_plan_free(fp);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	fp->schema = VMP_FLEET_SCHEMA;
	snprintf(fp->policy, sizeof(fp->policy), "%s",
		 c->o.policy == VMP_FLEET_SPREAD ? "spread" : "pack");
	fp->unplaced->schema = VMP_PLAN_SCHEMA;
	for (int h = 0; h < c->nhosts; h++)
		if (c->plans[h])
			collect_host(c, fp, h);
	for (int i = 0; i < c->nreqs; i++)
		if (c->vms[i].take.host < 0)
			add_unplaced(fp->unplaced, NULL, &c->reqs[i], &c->vms[i]);
	*out = fp;
	return VMP_OK;
}

/*
 * Batch order: the exact solver's share of the fleet's budget for the next host, of `left`
 * hosts still to plan; the heuristic alone (-1) once a share would be under 20 ms.
 */
double fleet_host_budget(fleet_ctx *c, int left)
{
	double spent = planner_now_s() - c->t0, share;

	if (c->o.order != VMP_ORDER_BATCH || c->budget < 0 || left <= 0)
		return -1;
	share = (c->budget - spent) / left;
	return share >= 0.02 ? share : -1;
}
