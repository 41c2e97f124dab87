/* vmp_plan_solve(): the search over placement orders, the repair step, and the final run. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/internal.h"
#include "vmplan/error.h"
#include "vmplan/identity.h"
#include "vmplan/plan.h"
#include "vmplan/size.h"

static int check_request(const vmp_vm_request *r)
{
	if (r->name[0] == '\0') {
		vmp_error_set("a VM request has no name");
		return VMP_EINVAL;
	}
	if (r->vcpus == 0 || r->vcpus > VMP_MAX_VCPUS) {
		vmp_error_set("VM '%s' asks for %u vCPUs; 1 to %d are possible", r->name, r->vcpus,
			      VMP_MAX_VCPUS);
		return VMP_EINVAL;
	}
	if (r->memory_bytes == 0 || r->memory_bytes % 1024) {
		vmp_error_set("VM '%s' asks for %" PRIu64 " bytes of memory; a positive multiple "
			      "of 1KiB is needed",
			      r->name, r->memory_bytes);
		return VMP_EINVAL;
	}
	if (r->hugepage_bytes && r->memory_bytes % r->hugepage_bytes) {
		char m[32], p[32];
		vmp_size_format(m, sizeof(m), r->memory_bytes);
		vmp_size_format(p, sizeof(p), r->hugepage_bytes);
		vmp_error_set("VM '%s' asks for %s of memory in %s hugepages; the memory must be "
			      "a multiple of the page size",
			      r->name, m, p);
		return VMP_EINVAL;
	}
	if (r->numa_cells > r->vcpus) {
		vmp_error_set("VM '%s' asks for %u guest NUMA cells but has only %u vCPUs", r->name,
			      r->numa_cells, r->vcpus);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

static int check_requests(const vmp_vm_request *reqs, size_t nreqs)
{
	size_t repeat = nreqs, earlier;
	int err;

	/* The first repeated name, found once (a 40,000-VM mix compared pairwise took seconds). */
	if (nreqs && (err = vmp_names_first_repeat(&repeat, &earlier, reqs[0].name, nreqs,
						   sizeof(*reqs))) < 0)
		return err;
	for (size_t i = 0; i < nreqs; i++) {
		if ((err = check_request(&reqs[i])) < 0)
			return err;
		if (i == repeat) {
			vmp_error_set("VM name '%s' is used twice", reqs[i].name);
			return VMP_EINVAL;
		}
	}
	return VMP_OK;
}

/* ---- orders ---- */

typedef struct order_ctx {
	const vmp_vm_request *reqs;
	int key;        /* 0: CPU demand first, 1: memory demand first */
	bool ascending; /* smallest first (most VMs), else hardest first */
	int max_core;
} order_ctx;

/* PUs a request takes off the market: isolate holds whole cores. */
static double pu_demand(const order_ctx *o, const vmp_vm_request *r)
{
	if (r->cpu == VMP_CPU_SHARED)
		return 0;
	return r->threads == VMP_THREADS_ISOLATE ? (double)r->vcpus * o->max_core
						 : (double)r->vcpus;
}

static int by_difficulty(const void *a, const void *b, void *arg)
{
	const order_ctx *o = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const vmp_vm_request *x = &o->reqs[ia], *y = &o->reqs[ib];
	double cx = pu_demand(o, x), cy = pu_demand(o, y);
	double mx = (double)x->memory_bytes, my = (double)y->memory_bytes;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu == VMP_CPU_DEDICATED ? -1 : 1;
	int sign = o->ascending ? -1 : 1;
	if (o->key == 0 && cx != cy)
		return cx > cy ? -sign : sign;
	if (mx != my)
		return mx > my ? -sign : sign;
	if (cx != cy)
		return cx > cy ? -sign : sign;
	return ia < ib ? -1 : ia > ib;
}

/* ---- one run ---- */

static void vm_reset(vmp_plan_vm *vm)
{
	vm->placed = false;
	vm->reason[0] = '\0';
	vm->bind = VMP_BIND_NONE;
	vmp_cpuset_zero(&vm->pcpus);
	vm->ncells = vm->niothreads = 0;
	vm->ncachetune = vm->nmemorytune = 0;
	free(vm->explain);
	vm->explain = NULL;
}

/*
 * Run the placement in one order on a fresh state and set the plan's value.
 * With two_phase, VMs are first placed only where one node holds them, and
 * the rest spread over nodes afterwards, so that a big VM spreading early
 * does not crowd out smaller ones that fit whole.
 */
static int run_order(vmp_plan *plan, const vmp_host *h, const size_t *order, bool two_phase,
		     bool final, bool explain, bool given, double *value)
{
	planner_state st;
	int err;

	if ((err = planner_state_init(&st, h)) < 0)
		return err;
	st.given = given;
	st.explain = explain && final;
	st.reasons = final;
	for (int i = 0; i < plan->nvms; i++)
		vm_reset(&plan->vms[i]);
	for (int phase = two_phase ? 0 : 1; phase < 2; phase++)
		for (int i = 0; i < plan->nvms; i++) {
			vmp_plan_vm *vm = &plan->vms[order[i]];
			if (vm->placed)
				continue;
			free(vm->explain);
			vm->explain = NULL;
			planner_place_vm(&st, vm, phase == 0 ? 1 : VMP_MAX_CELLS);
		}
	planner_finish_shared(&st, plan);
	*value = 0;
	for (int i = 0; i < plan->nvms; i++)
		if (plan->vms[i].placed)
			*value +=
			    VALUE_PER_VM * (1 + plan->vms[i].req.priority) + plan->vms[i].score;
	planner_state_free(&st);
	return VMP_OK;
}

static int plan_new(vmp_plan **out, const vmp_host *host, const vmp_vm_request *reqs, size_t nreqs)
{
	vmp_plan *plan = calloc(1, sizeof(*plan));

	*out = NULL;
	if (!plan || !(plan->vms = calloc(nreqs ? nreqs : 1, sizeof(*plan->vms)))) {
		free(plan);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	plan->schema = VMP_PLAN_SCHEMA;
	vmp_host_fingerprint(plan->host, host);
	vmp_host_identity_get(&plan->identity, host);
	snprintf(plan->hostname, sizeof(plan->hostname), "%s", host->hostname);
	plan->nvms = (int)nreqs;
	for (size_t i = 0; i < nreqs; i++) {
		plan->vms[i].req = reqs[i];
		if (!(plan->vms[i].vcpupin = calloc(reqs[i].vcpus, sizeof(int)))) {
			vmp_plan_free(plan);
			vmp_error_set("out of memory");
			return VMP_ENOMEM;
		}
	}
	*out = plan;
	return VMP_OK;
}

/* ---- search ---- */

/* The best plan found so far, and how it was made. */
typedef struct search {
	const vmp_host *h;
	const vmp_vm_request *reqs;
	size_t n;
	vmp_plan *best, *trial; /* the trial's buffers are reused run after run */
	double best_value;
	size_t *best_order;
	bool best_two_phase;
	size_t *order; /* the order being tried */
	bool given;    /* --order given */
} search;

/* Run one order; keep the plan when it beats the best so far. */
static int try_order(search *s, const size_t *order, bool two_phase)
{
	double value;
	int err;

	if (!s->trial && (err = plan_new(&s->trial, s->h, s->reqs, s->n)) < 0)
		return err;
	if ((err = run_order(s->trial, s->h, order, two_phase, false, false, s->given, &value)) < 0)
		return err;
	if (!s->best || value > s->best_value + 1e-9) {
		vmp_plan *t = s->best;
		s->best = s->trial;
		s->trial = t;
		s->best_value = value;
		memcpy(s->best_order, order, s->n * sizeof(*order));
		s->best_two_phase = two_phase;
	}
	return VMP_OK;
}

/* Hardest first (by CPUs, by memory), in one phase and in two, and smallest first: each a
 * different guess at what packs best. */
static int try_strategies(search *s)
{
	static const struct {
		int key;
		bool ascending, two_phase;
	} strategies[] = {
	    {0, false, false}, {0, false, true}, {1, false, true}, {1, false, false},
	    {0, true, true},   {1, true, true},  {0, true, false},
	};
	int err;

	for (size_t k = 0; k < sizeof(strategies) / sizeof(strategies[0]); k++) {
		order_ctx o = {.reqs = s->reqs,
			       .key = strategies[k].key,
			       .ascending = strategies[k].ascending,
			       .max_core = planner_max_core(s->h)};
		for (size_t i = 0; i < s->n; i++)
			s->order[i] = i;
		qsort_r(s->order, s->n, sizeof(*s->order), by_difficulty, &o);
		if ((err = try_order(s, s->order, strategies[k].two_phase)) < 0)
			return err;
	}
	return VMP_OK;
}

/* How many moves the repair step makes, at most. */
#define REPAIR_TRIES 8

/*
 * Repair: a VM the orders above leave out may fit when it goes first. Take the last VM of
 * the best order that the best plan leaves out (the orders put higher priorities first, so
 * usually one of the lowest priority left out), move it to the front, and run that order in
 * one phase and in two. A run replaces the best plan only when it is better by the
 * objective (internal.h): it may leave out VMs the best plan placed, of any priority, but
 * only when the VMs placed weigh more in all (1 + priority each; then the score). A VM of
 * priority 10 is given up for VMs that weigh more than 11 together, never for two of
 * priority 0. Repeat from the new best order while a move improves the plan, at most
 * REPAIR_TRIES times; stop at the first move that does not, or when the VM to move is
 * already first. (tests/unit/test_plan_repair.c)
 */
static int repair(search *s)
{
	size_t n = s->n, *order = s->order;
	int err;

	for (int tries = 0; tries < REPAIR_TRIES; tries++) {
		size_t pick = n;
		for (size_t i = 0; i < n && pick == n; i++) {
			size_t v = s->best_order[n - 1 - i];
			if (!s->best->vms[v].placed)
				pick = n - 1 - i;
		}
		if (pick == n || pick == 0)
			break;
		double before = s->best_value;
		size_t v = s->best_order[pick];
		memcpy(order, s->best_order, n * sizeof(*order));
		memmove(order + 1, order, pick * sizeof(*order));
		order[0] = v;
		for (int phase = 0; phase < 2; phase++)
			if ((err = try_order(s, order, phase == 1)) < 0)
				return err;
		if (s->best_value <= before + 1e-9)
			break;
	}
	return VMP_OK;
}

/* ---- the exact solver ---- */

void planner_realise(planner_state *st, vmp_plan *plan, const planner_assignment *a,
		     const size_t *order)
{
	static const vmp_thread_policy passes[] = {VMP_THREADS_REQUIRE, VMP_THREADS_ISOLATE,
						   VMP_THREADS_PREFER};

	for (size_t p = 0; p < sizeof(passes) / sizeof(passes[0]); p++)
		for (int i = 0; i < plan->nvms; i++) {
			vmp_plan_vm *vm = &plan->vms[order[i]];
			if (!a->ncells[order[i]] || vm->req.threads != passes[p])
				continue;
			st->force_nodes = a->nodes + order[i] * VMP_MAX_CELLS;
			st->force_k = a->ncells[order[i]];
			planner_place_vm(st, vm, VMP_MAX_CELLS);
		}
	st->force_k = 0;
}

/* The solver's assignment realised (planner_realise()), then every VM still out by the
 * heuristic in the best order, and the shared VMs' pool; the value as run_order() sets it. */
static int run_assigned(vmp_plan *plan, const vmp_host *h, const planner_assignment *a,
			const size_t *order, bool final, bool explain, double *value)
{
	planner_state st;
	int err;

	if ((err = planner_state_init(&st, h)) < 0)
		return err;
	st.explain = explain && final;
	st.reasons = final;
	for (int i = 0; i < plan->nvms; i++)
		vm_reset(&plan->vms[i]);
	planner_realise(&st, plan, a, order);
	for (int i = 0; i < plan->nvms; i++) {
		vmp_plan_vm *vm = &plan->vms[order[i]];
		if (vm->placed)
			continue;
		free(vm->explain);
		vm->explain = NULL;
		planner_place_vm(&st, vm, VMP_MAX_CELLS);
	}
	planner_finish_shared(&st, plan);
	*value = 0;
	for (int i = 0; i < plan->nvms; i++)
		if (plan->vms[i].placed)
			*value +=
			    VALUE_PER_VM * (1 + plan->vms[i].req.priority) + plan->vms[i].score;
	planner_state_free(&st);
	return VMP_OK;
}

/* Priority-weighted VMs, then vCPUs, then the score (the value) of a plan. */
static void plan_key(const vmp_plan *plan, double value, double key[3])
{
	key[0] = key[1] = 0;
	key[2] = value;
	for (int i = 0; i < plan->nvms; i++)
		if (plan->vms[i].placed) {
			key[0] += 1 + plan->vms[i].req.priority;
			key[1] += plan->vms[i].req.vcpus;
		}
	key[2] -= VALUE_PER_VM * key[0];
}

static bool key_better(const double a[3], const double b[3])
{
	for (int i = 0; i < 3; i++)
		if (fabs(a[i] - b[i]) > 1e-9)
			return a[i] > b[i];
	return false;
}

/* The weight of the shared VMs, which the model leaves to the realisation (a bound on them). */
static double shared_weight(const vmp_plan *plan)
{
	double w = 0;

	for (int i = 0; i < plan->nvms; i++)
		if (plan->vms[i].req.cpu == VMP_CPU_SHARED && plan->vms[i].req.priority > -1)
			w += 1 + plan->vms[i].req.priority;
	return w;
}

/*
 * Give the solver what is left of the budget, warm-started from the heuristic's best plan;
 * keep its plan when it is better. *use_solver says whether the final run realises a.
 */
static int exact_step(search *s, planner_assignment *a, double seconds, bool *use_solver)
{
	double value, key_best[3], key_new[3];
	int err;

	*use_solver = false;
	if (seconds < 0.01) {
		memset(a, 0, sizeof(*a));
		snprintf(a->note, sizeof(a->note), "no solver time left");
		return VMP_OK;
	}
	if ((err = planner_milp_solve(a, s->h, s->best, seconds)) < 0)
		return err;
	if (!a->has_solution)
		return VMP_OK;
	if ((err = run_assigned(s->trial, s->h, a, s->best_order, false, false, &value)) < 0)
		return err;
	plan_key(s->best, s->best_value, key_best);
	plan_key(s->trial, value, key_new);
	if (key_better(key_new, key_best)) {
		vmp_plan *t = s->best;
		s->best = s->trial;
		s->trial = t;
		s->best_value = value;
		*use_solver = true;
	}
	return VMP_OK;
}

/* What the solver proved, into the final plan. */
static void solver_summary(vmp_plan *plan, const planner_assignment *a, double seconds)
{
	vmp_plan_solver *sv = &plan->solver;
	double key[3];

	plan_key(plan, 0, key);
	sv->placed = key[0];
	sv->seconds = seconds;
	if (!a->has_bound) {
		sv->status = VMP_SOLVER_HEURISTIC;
		snprintf(sv->note, sizeof(sv->note), "%s",
			 a->note[0] ? a->note : "no solver time left");
		return;
	}
	sv->bound = a->bound + shared_weight(plan);
	if (sv->placed > sv->bound + 1e-9) {
		/* A plan above the bound: the bound is wrong, and nothing is claimed. */
		sv->status = VMP_SOLVER_HEURISTIC;
		snprintf(sv->note, sizeof(sv->note), "the solver's bound did not hold");
		return;
	}
	sv->status = sv->placed >= sv->bound - 1e-9 ? VMP_SOLVER_OPTIMAL : VMP_SOLVER_FEASIBLE;
}

int vmp_plan_solve(vmp_plan **out, const vmp_host *host, const vmp_vm_request *reqs, size_t nreqs,
		   const vmp_plan_options *opts)
{
	vmp_plan_options defaults = {0};
	search s = {.h = host, .reqs = reqs, .n = nreqs};
	planner_assignment a = {0};
	bool use_solver = false, exact = false;
	double t0 = planner_now_s(), limit;
	int err;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if ((err = check_requests(reqs, nreqs)) < 0)
		return err;
	s.order = calloc(nreqs ? nreqs : 1, sizeof(*s.order));
	s.best_order = calloc(nreqs ? nreqs : 1, sizeof(*s.best_order));
	if (!s.order || !s.best_order) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	if (opts->order == VMP_ORDER_GIVEN) {
		s.given = true;
		for (size_t i = 0; i < nreqs; i++)
			s.order[i] = i;
		err = try_order(&s, s.order, false);
	} else if ((err = try_strategies(&s)) == VMP_OK && (err = repair(&s)) == VMP_OK) {
		limit = opts->time_limit_s == 0 ? VMP_PLAN_TIME_LIMIT_DEFAULT : opts->time_limit_s;
		exact = true; /* a negative limit: the heuristic alone, "no solver time left" */
		if (s.trial || (err = plan_new(&s.trial, host, reqs, nreqs)) == VMP_OK)
			err = exact_step(&s, &a, limit - (planner_now_s() - t0), &use_solver);
	}
	if (err < 0)
		goto out;
	/* The winning plan once more, with the reasons (and explanations) kept. */
	if (use_solver)
		err = run_assigned(s.best, host, &a, s.best_order, true, opts->explain,
				   &s.best_value);
	else
		err = run_order(s.best, host, s.best_order, s.best_two_phase, true, opts->explain,
				s.given, &s.best_value);
	if (err < 0)
		goto out;
	planner_rdt_as_libvirt(s.best, host);
	if (exact)
		solver_summary(s.best, &a, planner_now_s() - t0);
	*out = s.best;
	s.best = NULL;
	err = VMP_OK;
out:
	vmp_plan_free(s.best);
	vmp_plan_free(s.trial);
	planner_assignment_free(&a);
	free(s.best_order);
	free(s.order);
	return err;
}

int vmp_plan_placed_count(const vmp_plan *plan)
{
	int n = 0;

	for (int i = 0; i < plan->nvms; i++)
		n += plan->vms[i].placed;
	return n;
}

void vmp_plan_solver_describe(char *out, size_t size, const vmp_plan *plan)
{
	const vmp_plan_solver *sv = &plan->solver;

	switch (sv->status) {
	case VMP_SOLVER_OPTIMAL:
		snprintf(out, size, "optimal: placed %g of %g possible (%.2f s)", sv->placed,
			 sv->bound, sv->seconds);
		break;
	case VMP_SOLVER_FEASIBLE:
		snprintf(out, size, "feasible, gap %g: placed %g of %g possible (bound; %.2f s)",
			 sv->bound - sv->placed, sv->placed, sv->bound, sv->seconds);
		break;
	case VMP_SOLVER_HEURISTIC:
		snprintf(out, size, "heuristic (%s)",
			 sv->note[0] ? sv->note : "no solver time left");
		break;
	default:
		snprintf(out, size, "%s", "");
	}
}
