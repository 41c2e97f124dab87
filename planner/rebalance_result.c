/* Rebalance: run the search, then replay the best path into steps and fit the requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebalance_internal.h"
#include "vmplan/error.h"

/* The OS ids of the nodes a placement has memory on. */
static void mem_nodes(vmp_cpuset *out, const rb_host *rh, const uint64_t *mem)
{
	vmp_cpuset_zero(out);
	for (int n = 0; n < rh->base.nnodes; n++)
		if (mem[n])
			vmp_cpuset_set(out, rh->nodes[n].id);
}

/* Replay the best path on the state: each step's plan, then leave the state where it ends. */
static int replay(vmp_rebalance *rb, rb_search *s)
{
	if (s->nbest && !(rb->steps = calloc((size_t)s->nbest, sizeof(*rb->steps)))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (int i = 0; i < s->nbest; i++) {
		const rb_move *m = &s->best[i];
		vmp_rebalance_step *st = &rb->steps[rb->nsteps];
		rb_vm *x = &s->vms[m->vm];
		vmp_cpuset cpus;
		uint64_t mem[RB_NODES_MAX];
		int placed = rb_plan(s, m->vm, m->to, m->target, &cpus, mem, &st->plan);

		if (placed < 0)
			return placed;
		rb->nsteps++;
		if (!placed) {
			/* The planner is deterministic: the search saw this move placed. */
			vmp_error_set("rebalance: step %d ('%s') no longer places", i + 1,
				      x->req.name);
			return VMP_EINVAL;
		}
		st->kind = m->to == x->host ? VMP_STEP_REPIN : VMP_STEP_MIGRATE;
		snprintf(st->vm, sizeof(st->vm), "%s", x->req.name);
		st->memory_bytes = x->req.memory_bytes;
		st->from = x->host;
		st->to = m->to;
		st->from_cpus = x->cpus;
		mem_nodes(&st->from_nodes, &s->hosts[x->host], x->mem);
		st->after = -1;
		x->host = m->to;
		x->cpus = cpus;
		memcpy(x->mem, mem, sizeof(mem));
	}
	return VMP_OK;
}

/* Which earlier step frees what a step takes on its host; which steps are hops. */
static void annotate(vmp_rebalance *rb)
{
	for (int j = 0; j < rb->nsteps; j++) {
		vmp_rebalance_step *b = &rb->steps[j];
		const vmp_plan_vm *pv = &b->plan->vms[0];
		vmp_cpuset nodes;

		vmp_cpuset_zero(&nodes);
		for (int c = 0; c < pv->ncells; c++)
			vmp_cpuset_set(&nodes, pv->cells[c].host_node);
		for (int i = j - 1; i >= 0 && b->after < 0; i--) {
			const vmp_rebalance_step *a = &rb->steps[i];

			if (a->from == b->to && (vmp_cpuset_intersects(&a->from_cpus, &pv->pcpus) ||
						 vmp_cpuset_intersects(&a->from_nodes, &nodes)))
				b->after = i;
		}
		for (int k = j + 1; k < rb->nsteps; k++)
			b->temporary = b->temporary || !strcmp(rb->steps[k].vm, b->vm);
	}
}

/* What binds: each request no host takes, refused host by host on the state as it is. */
static int explain_refusals(vmp_rebalance *rb, rb_search *s, const vmp_fleet *fleet)
{
	size_t len = 0;

	for (int r = 0; r < rb->nfits; r++) {
		int v = s->nmov + r;

		if (rb->fits[r].host >= 0)
			continue;
		for (int h = 0; h < s->nhosts; h++) {
			vmp_cpuset cpus;
			uint64_t mem[RB_NODES_MAX];
			vmp_plan *p = NULL;
			int got;

			if (!s->hosts[h].usable)
				continue;
			if (!rb_host_allows(s, v, h)) {
				if (len < sizeof(rb->why))
					len += (size_t)snprintf(
					    rb->why + len, sizeof(rb->why) - len,
					    "%s'%s' on host %s: no label '%s'", len ? "; " : "",
					    s->vms[v].req.name, fleet->hosts[h].name,
					    s->vms[v].req.host_label);
				continue;
			}
			if ((got = rb_plan(s, v, h, -1, &cpus, mem, &p)) < 0)
				return got;
			if (!got && len < sizeof(rb->why))
				len += (size_t)snprintf(rb->why + len, sizeof(rb->why) - len,
							"%s'%s' on host %s: %s", len ? "; " : "",
							s->vms[v].req.name, fleet->hosts[h].name,
							p->vms[0].reason);
			vmp_plan_free(p);
		}
	}
	return VMP_OK;
}

static int fit_requests(vmp_rebalance *rb, rb_search *s, const vmp_fleet *fleet, size_t nreqs)
{
	vmp_plan **plans = calloc(nreqs + 1, sizeof(*plans));
	int *hosts = calloc(nreqs + 1, sizeof(*hosts));
	int fit = VMP_ENOMEM;

	rb->fits = calloc(nreqs + 1, sizeof(*rb->fits));
	if (!plans || !hosts || !rb->fits) {
		vmp_error_set("out of memory");
		goto out;
	}
	rb->nfits = (int)nreqs;
	if ((fit = rb_fit(s, plans, hosts)) < 0)
		goto out;
	for (size_t r = 0; r < nreqs; r++) {
		rb->fits[r].host = hosts[r];
		rb->fits[r].plan = plans[r];
		plans[r] = NULL;
	}
	rb->done = fit == 1;
	/* The refusals are read with the requests out of the way. */
	rb_unfit(s);
	if (!rb->done)
		fit = explain_refusals(rb, s, fleet);
out:
	for (size_t r = 0; plans && r < nreqs; r++)
		vmp_plan_free(plans[r]);
	free(plans);
	free(hosts);
	return fit < 0 ? fit : VMP_OK;
}

int vmp_rebalance_solve(vmp_rebalance **out, vmp_fleet *fleet, const vmp_vm_request *reqs,
			size_t nreqs, const vmp_rebalance_options *opts)
{
	vmp_rebalance_options o = {.max_moves = VMP_REBALANCE_MOVES_DEFAULT};
	vmp_rebalance *rb = calloc(1, sizeof(*rb));
	rb_search *s = calloc(1, sizeof(*s));
	int err = VMP_ENOMEM;

	*out = NULL;
	if (opts)
		o = *opts;
	if (!rb || !s) {
		vmp_error_set("out of memory");
		goto out;
	}
	if (o.max_moves < 0 || o.max_moves > VMP_REBALANCE_MOVES_MAX) {
		vmp_error_set("--max-moves %d is out of range: 0 to %d", o.max_moves,
			      VMP_REBALANCE_MOVES_MAX);
		err = VMP_EINVAL;
		goto out;
	}
	s->make_room = rb->make_room = nreqs > 0;
	s->max_moves = o.max_moves;
	s->budget = o.budget > 0 ? o.budget : VMP_REBALANCE_BUDGET;
	s->popts.order = VMP_ORDER_GIVEN;
	s->popts.time_limit_s = -1;
	if ((err = rb_state_init(s, fleet, reqs, nreqs, o.reserve)) < 0)
		goto out;
	rb_count_free(s, &rb->free_nodes_before, &rb->free_hosts_before);
	if ((err = rb_search_run(s)) < 0 || (err = replay(rb, s)) < 0)
		goto out;
	annotate(rb);
	rb_count_free(s, &rb->free_nodes_after, &rb->free_hosts_after);
	rb->moved_vms = s->nmov;
	rb->candidates = s->candidates;
	rb->budget_out = s->budget_out;
	if (nreqs > 0)
		err = fit_requests(rb, s, fleet, nreqs);
	else
		rb->done = s->found;
out:
	if (s)
		rb_state_fini(s);
	free(s);
	if (err < 0) {
		vmp_rebalance_free(rb);
		return err;
	}
	*out = rb;
	return VMP_OK;
}

void vmp_rebalance_free(vmp_rebalance *rb)
{
	if (!rb)
		return;
	for (int i = 0; i < rb->nsteps; i++)
		vmp_plan_free(rb->steps[i].plan);
	for (int i = 0; i < rb->nfits; i++)
		vmp_plan_free(rb->fits[i].plan);
	free(rb->steps);
	free(rb->fits);
	free(rb);
}
