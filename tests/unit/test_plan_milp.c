/* The exact solver's model: every assignment it allows is realised; plan.json keeps its word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "planner/internal.h"
#include "planner/milp_model.h"
#include "unit/plancheck.h"
#include "vmplan/error.h"
#include "vmplan/plan.h"
#include "vmplan/plan_json.h"
#include "vmplan/probe.h"
#include "vmplan/spec.h"

#define MAXN 6
#define MAXV 24
#define GIB  (1ULL << 30)

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

/* What the model's node rows count, per node (milp.c's comment), kept apart from it. */
typedef struct rows {
	int pus[MAXN], whole[MAXN], T;  /* free PUs, free whole cores, threads per core */
	uint64_t mem[MAXN], pool[MAXN]; /* free bytes: memory, the 1 GiB pool */
	int pref[MAXN], iso[MAXN], req[MAXN];
	uint64_t used_mem[MAXN], used_pool[MAXN];
} rows;

static void split(uint64_t *out, int k, uint64_t total, uint64_t unit)
{
	uint64_t units = total / unit;

	for (int i = 0; i < k; i++)
		out[i] = (units / k + ((uint64_t)i < units % k ? 1 : 0)) * unit;
	out[k - 1] += total - units * unit;
}

/* Whether the rows allow r on nodes (share order); when they do, count it in. */
static bool rows_take(rows *w, const vmp_vm_request *r, const int *nodes, int k)
{
	uint64_t vc[MAXN], mem[MAXN];
	rows t = *w;

	split(vc, k, r->vcpus, r->threads == VMP_THREADS_REQUIRE ? (uint64_t)w->T : 1);
	split(mem, k, r->memory_bytes, r->hugepage_bytes ? r->hugepage_bytes : 1 << 20);
	for (int i = 0; i < k; i++) {
		int n = nodes[i];
		if (!vc[i] || !mem[i])
			return false;
		if (r->threads == VMP_THREADS_PREFER)
			t.pref[n] += (int)vc[i];
		else if (r->threads == VMP_THREADS_ISOLATE)
			t.iso[n] += (int)vc[i];
		else
			t.req[n] += (int)vc[i];
		if (r->hugepage_bytes)
			t.used_pool[n] += mem[i];
		else
			t.used_mem[n] += mem[i];
		if (t.pref[n] + t.req[n] + w->T * t.iso[n] > w->pus[n] ||
		    t.iso[n] * w->T + t.req[n] > w->whole[n] * w->T || t.used_mem[n] > w->mem[n] ||
		    t.used_pool[n] > w->pool[n])
			return false;
	}
	*w = t;
	return true;
}

static void random_host_rows(rows *w, const vmp_host *h);

/* A host with some PUs held by existing VMs, its own free memory per node, a 1 GiB pool. */
static vmp_host *random_host(rows *w)
{
	char desc[128];
	vmp_host *h = NULL;
	int nnodes = 2 + (int)rnd(MAXN - 1), cores = 2 + (int)rnd(7), T = 1 + (int)rnd(2);

	snprintf(desc, sizeof(desc), "numa:%d(memory=64GiB) core:%d pu:%d", nnodes, cores, T);
	assert_int_equal(vmp_probe_synthetic(&h, desc), VMP_OK);
	memset(w, 0, sizeof(*w));
	w->T = T;
	for (int p = 0; p < h->npus; p++)
		if (rnd(6) == 0)
			vmp_cpuset_set(&h->used, h->pus[p].os_index);
	for (int n = 0; n < nnodes; n++) {
		h->nodes[n].free_bytes = (4 + rnd(29)) * GIB;
		h->nodes[n].nhugepages = 1;
		h->nodes[n].hugepages[0] = (vmp_hugepages){1048576, 16, rnd(12)};
	}
	random_host_rows(w, h);
	return h;
}

/* The rows' free amounts of a host (its used PUs, memory and pool). */
static void random_host_rows(rows *w, const vmp_host *h)
{
	int T = w->T;

	memset(w, 0, sizeof(*w));
	w->T = T;
	for (int c = 0; c < h->ncores; c++) {
		int n = -1, nfree = 0, size = 0;
		for (int p = 0; p < h->npus; p++)
			if (h->pus[p].core == c) {
				n = vmp_host_node_index(h, h->pus[p].node);
				size++;
				nfree += !vmp_cpuset_isset(&h->used, h->pus[p].os_index);
			}
		assert_true(n >= 0 && n < MAXN);
		if (n < 0)
			return;
		w->pus[n] += nfree;
		w->whole[n] += nfree == size;
	}
	for (int n = 0; n < h->nnodes; n++) {
		w->mem[n] = h->nodes[n].free_bytes;
		w->pool[n] = h->nodes[n].hugepages[0].free * GIB;
	}
}

static void random_request(vmp_vm_request *r, int i, int T)
{
	static const char *const threads[] = {"prefer", "isolate", "require"};
	char spec[160];
	int pol = (int)rnd(3), vcpus = 1 + (int)rnd(8);

	if (pol == 2 && vcpus % T)
		vcpus += T - vcpus % T;
	snprintf(spec, sizeof(spec), "name=v%d,vcpus=%d,memory=%uG,threads=%s%s%s", i, vcpus,
		 1 + rnd(8), threads[pol], rnd(3) == 0 ? ",hugepages=1G" : "",
		 rnd(5) == 0 && vcpus >= 2 * T ? ",numa=2" : "");
	assert_int_equal(vmp_spec_parse(r, spec), VMP_OK);
}

/* k distinct random nodes (numa= fixes k), the shares in order; false when the rows refuse. */
static bool random_nodes(rows *w, const vmp_host *h, const vmp_vm_request *r, int *nodes, int *k)
{
	int perm[MAXN];

	*k = r->numa_cells ? (int)r->numa_cells : 1 + (int)rnd(h->nnodes < 3 ? h->nnodes : 3);
	if (*k > h->nnodes || *k > (int)r->vcpus)
		return false;
	for (int n = 0; n < h->nnodes; n++)
		perm[n] = n;
	for (int n = h->nnodes - 1; n > 0; n--) {
		int j = (int)rnd((uint32_t)n + 1), t = perm[n];
		perm[n] = perm[j];
		perm[j] = t;
	}
	memcpy(nodes, perm, sizeof(int) * (size_t)*k);
	return rows_take(w, r, nodes, *k);
}

/*
 * PU-level pinning never fails for what the model allows: random hosts (SMT or not, PUs
 * held by existing VMs, pools), random VMs of every thread policy, each given random nodes
 * that the model's rows accept; realised with vmplan's own placement, every one is placed
 * and the plan breaks no constraint.
 */
static void test_realise_any_assignment(void **st)
{
	int instances = 400, assigned = 0;

	(void)st;
	rng_state = 77;
	for (int t = 0; t < instances; t++) {
		rows w;
		vmp_host *h = random_host(&w);
		vmp_vm_request reqs[MAXV];
		int n = 4 + (int)rnd(MAXV - 4), ncells[MAXV] = {0}, nodes[MAXV * VMP_MAX_CELLS];
		size_t order[MAXV];
		vmp_plan *plan = NULL;
		vmp_plan_options given = {.order = VMP_ORDER_GIVEN};
		planner_assignment a = {.nvms = n, .ncells = ncells, .nodes = nodes};
		planner_state ps;

		for (int i = 0; i < n; i++) {
			random_request(&reqs[i], i, w.T);
			order[i] = (size_t)i;
			for (int tries = 0; tries < 4 && !ncells[i]; tries++)
				if (!random_nodes(&w, h, &reqs[i], nodes + i * VMP_MAX_CELLS,
						  &ncells[i]))
					ncells[i] = 0;
		}
		/* A plan's buffers for these requests; realised afresh below. */
		assert_int_equal(vmp_plan_solve(&plan, h, reqs, (size_t)n, &given), VMP_OK);
		for (int i = 0; i < n; i++)
			plan->vms[i].placed = false;
		assert_int_equal(planner_state_init(&ps, h), VMP_OK);
		planner_realise(&ps, plan, &a, order);
		planner_state_free(&ps);
		for (int i = 0; i < n; i++) {
			if (!ncells[i])
				continue;
			assigned++;
			if (!plan->vms[i].placed)
				fail_msg(
				    "instance %d: %s (%u vCPUs threads=%d, %d cells) allowed by "
				    "the model but not realised: %s",
				    t, reqs[i].name, reqs[i].vcpus, reqs[i].threads, ncells[i],
				    plan->vms[i].reason);
			for (int c = 0; c < ncells[i]; c++)
				assert_int_equal(plan->vms[i].cells[c].host_node,
						 h->nodes[nodes[i * VMP_MAX_CELLS + c]].id);
		}
		const char *why = plan_violation(h, plan);
		if (why)
			fail_msg("instance %d: %s", t, why);
		vmp_plan_free(plan);
		vmp_host_free(h);
	}
	printf("realised %d assigned VMs on %d random hosts, every one placed\n", assigned,
	       instances);
	assert_true(assigned > instances * 3);
}

/*
 * Counts of identical VMs come apart into single VMs: random VMs, each on k distinct random
 * nodes, summed into counts per share and node; milp_decompose() gives y VMs back, each on
 * distinct nodes, with the same counts. Counts that put more than y shares on a node refuse.
 */
static void test_decompose_counts(void **st)
{
	int cases = 300;

	(void)st;
	rng_state = 13;
	for (int t = 0; t < cases; t++) {
		int nn = 2 + (int)rnd(11), k = 1 + (int)rnd(nn < 6 ? (uint32_t)nn : 6);
		int y = 1 + (int)rnd(40), cnt[6 * 12] = {0}, back[6 * 12] = {0}, perm[12];
		int *nodes = malloc(sizeof(int) * (size_t)(y * k));
		assert_non_null(nodes);
		for (int r = 0; r < y; r++) {
			for (int n = 0; n < nn; n++)
				perm[n] = n;
			for (int s = 0; s < k; s++) {
				int j = s + (int)rnd((uint32_t)(nn - s)), x = perm[s];
				perm[s] = perm[j];
				perm[j] = x;
				cnt[s * nn + perm[s]]++;
			}
		}
		assert_true(milp_decompose(nodes, cnt, y, k, nn));
		for (int r = 0; r < y; r++)
			for (int s = 0; s < k; s++) {
				for (int u = 0; u < s; u++)
					assert_int_not_equal(nodes[r * k + s], nodes[r * k + u]);
				back[s * nn + nodes[r * k + s]]++;
			}
		assert_memory_equal(cnt, back, sizeof(cnt));
		if (k >= 2) {
			/* One node with more than y shares: no such VMs exist. */
			for (int s = 0; s < k; s++)
				for (int n = 0; n < nn; n++)
					cnt[s * nn + n] = n == 0 ? y : 0;
			assert_false(milp_decompose(nodes, cnt, y, k, nn));
		}
		free(nodes);
	}
}

/*
 * The solver's own assignments, on hosts of identical nodes (classes) and of nodes each its
 * own, with VMs of few shapes (groups): each assigned VM's nodes are distinct and pass the
 * rows above (kept apart from the model), and realised, every one of them is placed.
 */
static void test_solver_assignments_realise(void **st)
{
	int instances = 60, assigned = 0;

	(void)st;
	rng_state = 31;
	for (int t = 0; t < instances; t++) {
		rows w;
		vmp_host *h = random_host(&w);
		vmp_vm_request reqs[MAXV], shapes[4];
		int n = 8 + (int)rnd(MAXV - 8);
		size_t order[MAXV];
		vmp_plan *plan = NULL;
		vmp_plan_options given = {.order = VMP_ORDER_GIVEN};
		planner_assignment a;
		planner_state ps;

		if (t % 2 == 0) {
			/* Identical nodes: nothing held, the same memory and pool. */
			vmp_cpuset_zero(&h->used);
			for (int i = 0; i < h->nnodes; i++) {
				h->nodes[i].free_bytes = h->nodes[0].free_bytes;
				h->nodes[i].hugepages[0] = h->nodes[0].hugepages[0];
			}
			random_host_rows(&w, h);
		}
		for (int i = 0; i < 4; i++)
			random_request(&shapes[i], i, w.T);
		for (int i = 0; i < n; i++) {
			reqs[i] = shapes[rnd(4)];
			snprintf(reqs[i].name, sizeof(reqs[i].name), "v%d", i);
			order[i] = (size_t)i;
		}
		assert_int_equal(vmp_plan_solve(&plan, h, reqs, (size_t)n, &given), VMP_OK);
		assert_int_equal(planner_milp_solve(&a, h, plan, 0.5), VMP_OK);
		/* Small models: the heuristic's plan at least, decomposed into single VMs. */
		if (!a.has_solution)
			fail_msg("instance %d: no solution (%s)", t, a.note);
		for (int i = 0; i < n; i++) {
			plan->vms[i].placed = false;
			if (a.ncells[i] &&
			    !rows_take(&w, &reqs[i], a.nodes + i * VMP_MAX_CELLS, a.ncells[i]))
				fail_msg("instance %d: %s on nodes the rows refuse", t,
					 reqs[i].name);
			for (int c = 0; c < a.ncells[i]; c++)
				for (int d = 0; d < c; d++)
					assert_int_not_equal(a.nodes[i * VMP_MAX_CELLS + c],
							     a.nodes[i * VMP_MAX_CELLS + d]);
		}
		assert_int_equal(planner_state_init(&ps, h), VMP_OK);
		planner_realise(&ps, plan, &a, order);
		planner_state_free(&ps);
		for (int i = 0; i < n; i++) {
			if (!a.ncells[i])
				continue;
			assigned++;
			if (!plan->vms[i].placed)
				fail_msg("instance %d: %s assigned by the solver, not realised: %s",
					 t, reqs[i].name, plan->vms[i].reason);
		}
		assert_null(plan_violation(h, plan));
		planner_assignment_free(&a);
		vmp_plan_free(plan);
		vmp_host_free(h);
	}
	printf("realised %d VMs the solver assigned on %d random hosts\n", assigned, instances);
	assert_true(assigned > instances * 4);
}

/*
 * The heuristic's plan is the solver's first solution: CBC takes it whole, before any search,
 * so even with no time to search the solver's assignment places as many VMs as the plan. (A
 * start of the non-zero columns alone, completed by CBC with an LP, came out fractional and
 * was dropped on most of these.)
 */
static void test_warm_start_kept(void **st)
{
	int kept = 0, instances = 20;

	(void)st;
	rng_state = 77;
	for (int t = 0; t < instances; t++) {
		vmp_host *h = NULL;
		vmp_vm_request reqs[40];
		vmp_plan *plan = NULL;
		vmp_plan_options given = {.order = VMP_ORDER_GIVEN};
		planner_assignment a;
		char desc[96];
		int n = 20 + (int)rnd(20), T = 1 + (int)rnd(2), placed = 0, assigned = 0;

		/* Medium hosts, VMs asking more than they hold (test_plan_proof's kind). */
		snprintf(desc, sizeof(desc), "numa:%d(memory=%dGiB) core:%d pu:%d", 4 + (int)rnd(5),
			 16 + 16 * (int)rnd(2), 4 + (int)rnd(4), T);
		assert_int_equal(vmp_probe_synthetic(&h, desc), VMP_OK);
		for (int i = 0; i < n; i++) {
			char spec[128];
			int vcpus = 1 + (int)rnd(12);
			snprintf(spec, sizeof(spec), "name=w%d,vcpus=%d,memory=%uG,threads=%s", i,
				 vcpus, 1 + rnd(24), rnd(3) ? "prefer" : "isolate");
			assert_int_equal(vmp_spec_parse(&reqs[i], spec), VMP_OK);
		}
		assert_int_equal(vmp_plan_solve(&plan, h, reqs, (size_t)n, &given), VMP_OK);
		/* A millisecond: CBC stops at its first time check, after the start. */
		assert_int_equal(planner_milp_solve(&a, h, plan, 0.001), VMP_OK);
		for (int i = 0; i < n; i++) {
			placed += plan->vms[i].placed;
			assigned += a.has_solution && a.ncells[i] > 0;
		}
		if (assigned < placed)
			fail_msg("instance %d (%s): the solver's %d VMs, the start placed %d", t,
				 desc, assigned, placed);
		kept++;
		planner_assignment_free(&a);
		vmp_plan_free(plan);
		vmp_host_free(h);
	}
	assert_int_equal(kept, instances);
}

/* plan.json carries the solver's word and reads it back; a plan without it reads as before. */
static void test_plan_json_solver(void **st)
{
	vmp_host *h = NULL;
	vmp_vm_request reqs[2];
	vmp_plan *plan = NULL, *back = NULL;
	char *text = NULL;

	(void)st;
	assert_int_equal(vmp_probe_synthetic(&h, "numa:3(memory=8GiB) core:5 pu:1"), VMP_OK);
	assert_int_equal(vmp_plan_reserve(h, "none"), VMP_OK);
	/* Each fits only spread over all three nodes: the solver proves two. */
	assert_int_equal(vmp_spec_parse(&reqs[0], "name=a,vcpus=7,memory=2G"), VMP_OK);
	assert_int_equal(vmp_spec_parse(&reqs[1], "name=b,vcpus=7,memory=4G"), VMP_OK);
	assert_int_equal(vmp_plan_solve(&plan, h, reqs, 2, NULL), VMP_OK);
	assert_int_equal(vmp_plan_placed_count(plan), 2);
	assert_int_equal(plan->solver.status, VMP_SOLVER_OPTIMAL);
	assert_true(plan->solver.bound == 2 && plan->solver.placed == 2);
	assert_int_equal(vmp_plan_to_json(&text, plan), VMP_OK);
	assert_non_null(strstr(text, "\"solver\""));
	assert_int_equal(vmp_plan_from_json(&back, text, "t.json"), VMP_OK);
	assert_int_equal(back->solver.status, VMP_SOLVER_OPTIMAL);
	assert_true(back->solver.bound == 2);
	vmp_plan_free(back);
	free(text);
	/* --order given: no statement, no key. */
	vmp_plan_options given = {.order = VMP_ORDER_GIVEN};
	vmp_plan_free(plan);
	assert_int_equal(vmp_plan_solve(&plan, h, reqs, 2, &given), VMP_OK);
	assert_int_equal(plan->solver.status, VMP_SOLVER_NONE);
	assert_int_equal(vmp_plan_to_json(&text, plan), VMP_OK);
	assert_null(strstr(text, "\"solver\""));
	assert_int_equal(vmp_plan_from_json(&back, text, "t.json"), VMP_OK);
	assert_int_equal(back->solver.status, VMP_SOLVER_NONE);
	vmp_plan_free(back);
	free(text);
	vmp_plan_free(plan);
	vmp_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_realise_any_assignment),
	    cmocka_unit_test(test_decompose_counts),
	    cmocka_unit_test(test_solver_assignments_realise),
	    cmocka_unit_test(test_plan_json_solver),
	    cmocka_unit_test(test_warm_start_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
