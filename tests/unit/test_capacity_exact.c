/* Capacity counts with the exact solver: more than the heuristic where it can, and proven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmplan/error.h"
#include "vmplan/plan.h"
#include "vmplan/probe.h"
#include "vmplan/spec.h"

/* Each exact count's budget: far more than these small models take. */
#define BUDGET_S 5.0

static vmp_host *synth(const char *desc, const char *reserve)
{
	vmp_host *h = NULL;

	assert_int_equal(vmp_probe_synthetic(&h, desc), VMP_OK);
	assert_int_equal(vmp_plan_reserve(h, reserve), VMP_OK);
	return h;
}

/* How many of k copies of q a plan places (time_limit_s as vmp_plan_options). */
static int placed(const vmp_host *h, const vmp_vm_request *q, int k, double time_limit_s)
{
	vmp_vm_request *reqs = calloc((size_t)k + 1, sizeof(*reqs));
	vmp_plan_options o = {.order = VMP_ORDER_BATCH, .time_limit_s = time_limit_s};
	vmp_plan *plan = NULL;
	int n;

	assert_non_null(reqs);
	for (int c = 0; c < k; c++) {
		reqs[c] = *q;
		snprintf(reqs[c].name, sizeof(reqs[c].name), "c%d", c);
	}
	assert_int_equal(vmp_plan_solve(&plan, h, reqs, (size_t)k, &o), VMP_OK);
	n = vmp_plan_placed_count(plan);
	vmp_plan_free(plan);
	free(reqs);
	return n;
}

/* Copies of 3 vCPUs in 2 cells on 2 nodes of 6 PUs: the heuristic fits 3, but 4 fit (12 PUs),
 * and the count is proven. */
static void test_exact_beats_heuristic(void **state)
{
	vmp_host *h = synth("numa:2(memory=8GiB) core:6 pu:1", "none");
	vmp_vm_request q;
	vmp_capacity_count c;
	(void)state;

	assert_int_equal(vmp_spec_parse(&q, "name=a,vcpus=3,memory=3G,numa=2"), VMP_OK);
	assert_int_equal(vmp_capacity_count_copies(&c, h, &q, 1, VMP_CAPACITY_LIMIT), VMP_OK);
	assert_int_equal(c.count, 3);
	/* The heuristic's undercount is real: it places 3 of 4, the exact solver 4. */
	assert_int_equal(placed(h, &q, 4, -1), 3);
	assert_int_equal(placed(h, &q, 4, BUDGET_S), 4);

	assert_int_equal(vmp_capacity_count_exact(&c, h, &q, 1, VMP_CAPACITY_LIMIT, BUDGET_S),
			 VMP_OK);
	assert_int_equal(c.count, 4);
	assert_int_equal(c.heuristic, 3);
	assert_int_equal(c.proof, VMP_CAPACITY_OPTIMAL);
	assert_int_equal(c.bound, 4);
	assert_false(c.capped);
	/* What stays free is that of the 4 copies: no PU. */
	assert_int_equal(c.free_pus, 0);

	/* Without solver time: the heuristic's count, a bound from the PUs, nothing proven. */
	assert_int_equal(vmp_capacity_count_exact(&c, h, &q, 1, VMP_CAPACITY_LIMIT, -1), VMP_OK);
	assert_int_equal(c.count, 3);
	assert_int_equal(c.proof, VMP_CAPACITY_HEURISTIC);
	assert_int_equal(c.bound, 4);
	vmp_host_free(h);
}

/* One cell of 2 vCPUs per node of 3 PUs: 6 PUs would hold 3, only the solver proves 2. */
static void test_exact_proves_below_resources(void **state)
{
	vmp_host *h = synth("numa:2(memory=8GiB) core:3 pu:1", "none");
	vmp_vm_request q;
	vmp_capacity_count c;
	(void)state;

	assert_int_equal(vmp_spec_parse(&q, "name=a,vcpus=2,memory=1G,numa=1"), VMP_OK);
	assert_int_equal(vmp_capacity_count_exact(&c, h, &q, 1, VMP_CAPACITY_LIMIT, BUDGET_S),
			 VMP_OK);
	assert_int_equal(c.count, 2);
	assert_int_equal(c.proof, VMP_CAPACITY_OPTIMAL);
	assert_int_equal(c.bound, 2);
	assert_int_equal(vmp_capacity_count_exact(&c, h, &q, 1, VMP_CAPACITY_LIMIT, -1), VMP_OK);
	assert_int_equal(c.proof, VMP_CAPACITY_HEURISTIC);
	assert_int_equal(c.bound, 3);
	vmp_host_free(h);
}

/* A whole mix: one solve asks for one mix more than the heuristic placed. */
static void test_exact_mix(void **state)
{
	vmp_host *h = synth("numa:2(memory=8GiB) core:6 pu:1", "none");
	vmp_vm_request q[2];
	vmp_capacity_count c;
	(void)state;

	assert_int_equal(vmp_spec_parse(&q[0], "name=a,vcpus=3,memory=3G,numa=2"), VMP_OK);
	assert_int_equal(vmp_spec_parse(&q[1], "name=b,vcpus=3,memory=3G,numa=2"), VMP_OK);
	assert_int_equal(vmp_capacity_count_exact(&c, h, q, 2, VMP_CAPACITY_LIMIT, BUDGET_S),
			 VMP_OK);
	/* Two mixes are the 4 copies above; 12 PUs hold no third. */
	assert_int_equal(c.count, 2);
	assert_int_equal(c.proof, VMP_CAPACITY_OPTIMAL);
	assert_int_equal(c.bound, 2);
	vmp_host_free(h);
}

/* Random small hosts and shapes: the count is at least the heuristic's, the bound never below
 * the count, and a proof or a bound says what it claims. */
static void test_bound_never_below_count(void **state)
{
	static const char *const threads[] = {"prefer", "isolate", "require"};
	unsigned seed = 13;
	int better = 0, proven = 0, counted = 0;
	(void)state;

	for (int it = 0; it < 24; it++) {
		char desc[128], spec[160];
		vmp_host *h;
		vmp_vm_request q;
		vmp_capacity_count c, heur;
		int err;
		snprintf(desc, sizeof(desc), "numa:%d(memory=%dGiB) core:%d pu:%d",
			 2 + rand_r(&seed) % 3, 6 + rand_r(&seed) % 3 * 4, 2 + rand_r(&seed) % 5,
			 1 + rand_r(&seed) % 2);
		snprintf(spec, sizeof(spec), "name=a,vcpus=%d,memory=%dG,threads=%s,numa=%s",
			 1 + rand_r(&seed) % 6, 1 + rand_r(&seed) % 6, threads[rand_r(&seed) % 3],
			 rand_r(&seed) % 3 ? "auto" : "2");
		h = synth(desc, "none");
		assert_int_equal(vmp_spec_parse(&q, spec), VMP_OK);
		err = vmp_capacity_count_copies(&heur, h, &q, 1, VMP_CAPACITY_LIMIT);
		/* A request the planner refuses (numa=2 of 1 vCPU) is refused by both. */
		assert_int_equal(vmp_capacity_count_exact(&c, h, &q, 1, VMP_CAPACITY_LIMIT, 1.0),
				 err);
		if (err < 0) {
			vmp_host_free(h);
			continue;
		}
		counted++;
		assert_int_equal(c.heuristic, heur.count);
		assert_true(c.count >= heur.count);
		assert_true(c.bound >= c.count);
		if (c.proof == VMP_CAPACITY_OPTIMAL)
			assert_int_equal(c.bound, c.count);
		if (c.proof == VMP_CAPACITY_BOUNDED)
			assert_true(c.bound > c.count);
		/* The count is a plan's: that many copies are placed. */
		if (c.count > heur.count)
			assert_int_equal(placed(h, &q, c.count, BUDGET_S), c.count);
		better += c.count > heur.count;
		proven += c.proof == VMP_CAPACITY_OPTIMAL;
		vmp_host_free(h);
	}
	print_message("%d random counts: %d above the heuristic's, %d proven optimal\n", counted,
		      better, proven);
	assert_true(counted >= 12);
	assert_true(proven >= counted / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_beats_heuristic),
	    cmocka_unit_test(test_exact_proves_below_resources),
	    cmocka_unit_test(test_exact_mix),
	    cmocka_unit_test(test_bound_never_below_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
