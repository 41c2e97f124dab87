/* --order given keeps room for the next VM: given order against Nova's first fit and batch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "unit/given_mix.h"
#include "unit/plancheck.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Plan reqs in one order; the VMs placed, the plan kept in *out. */
static vmp_plan *plan_order(const vmp_host *h, const vmp_vm_request *reqs, int n,
			    vmp_plan_order order, double budget, double *ms)
{
	vmp_plan_options opts = {.order = order, .time_limit_s = budget};
	vmp_plan *plan = NULL;
	double t0 = now_ms();

	assert_int_equal(vmp_plan_solve(&plan, h, reqs, (size_t)n, &opts), VMP_OK);
	*ms = now_ms() - t0;
	assert_null(plan_violation(h, plan));
	return plan;
}

/*
 * Every scenario (given_mix.h): given order, Nova's first fit and batch with the exact
 * solver's bound, and (printed) first fit with Nova's pack and spread cell orders ("+": not
 * proven within the budget, VMPLAN_GIVEN_BUDGET seconds, default
 * 3; "-": no bound, and the solver's note). No plan places more than the bound. Given order
 * must place more VMs than first fit in all (2 % more at least; 258 against 248 measured)
 * and no fewer on all scenarios but one in seven (two of the fourteen lose by one and two
 * VMs: no rule that sees one VM at a time wins every sequence; see the README).
 * VMPLAN_GIVEN_SEEDS=N runs N sequences per host.
 */
static void test_given_vs_first_fit(void **st)
{
	double budget = getenv("VMPLAN_GIVEN_BUDGET") ? atof(getenv("VMPLAN_GIVEN_BUDGET")) : 3;
	int ran = 0, worse = 0, tg = 0, tf = 0, tp = 0, ts = 0, tb = 0, tn = 0;
	double tbound = 0;
	vmp_vm_request *reqs = calloc(GM_MAX_VMS, sizeof(*reqs));

	(void)st;
	assert_non_null(reqs);
	printf("%-28s %4s %6s %6s %6s %6s %6s %6s\n", "scenario", "VMs", "given", "first", "pack",
	       "spread", "batch", "bound");
	int seeds = getenv("VMPLAN_GIVEN_SEEDS") ? atoi(getenv("VMPLAN_GIVEN_SEEDS")) : 1;
	for (int s = 0; s < GM_NSCENARIOS * seeds; s++) {
		vmp_host *h = NULL;
		gm_scenario sc = gm_scenarios[s % GM_NSCENARIOS];
		sc.seed += 1000 * (uint64_t)(s / GM_NSCENARIOS);
		int rc = gm_host(&h, &sc, VMPLAN_FIXTURES), n;
		double ms;
		if (rc == 1)
			continue;
		if (rc < 0)
			fail_msg("%s: %s", sc.label, vmp_error_last());
		assert_true((n = gm_mix(reqs, h, &sc, false)) > 0);
		vmp_plan *given = plan_order(h, reqs, n, VMP_ORDER_GIVEN, -1, &ms);
		vmp_plan *batch = plan_order(h, reqs, n, VMP_ORDER_BATCH, budget, &ms);
		int g = vmp_plan_placed_count(given), b = vmp_plan_placed_count(batch);
		int ff = gm_first_fit(h, reqs, n), fp = gm_first_fit_mode(h, reqs, n, GM_PACK);
		int fs = gm_first_fit_mode(h, reqs, n, GM_SPREAD);
		const vmp_plan_solver *sv = &batch->solver;
		bool bound = sv->status == VMP_SOLVER_OPTIMAL || sv->status == VMP_SOLVER_FEASIBLE;
		char bs[32] = "-";
		if (bound)
			snprintf(bs, sizeof(bs), "%g%s", sv->bound,
				 sv->status == VMP_SOLVER_OPTIMAL ? "" : "+");
		char nb[128] = "";
		if (!bound)
			snprintf(nb, sizeof(nb), "  (no bound: %s)", sv->note);
		printf("%-28s %4d %6d %6d %6d %6d %6d %6s%s%s\n", sc.label, n, g, ff, fp, fs, b, bs,
		       g < ff ? "  <- given below first fit" : "", nb);
		assert_true(ff >= 0);
		if (bound) {
			assert_true(g <= sv->bound + 1e-9);
			assert_true(ff <= sv->bound + 1e-9);
			tbound += sv->bound;
		}
		worse += g < ff;
		tg += g;
		tf += ff;
		tp += fp;
		ts += fs;
		tb += b;
		tn += n;
		ran++;
		vmp_plan_free(given);
		vmp_plan_free(batch);
		vmp_host_free(h);
	}
	free(reqs);
	printf("%d scenarios, %d VMs: given %d, first fit %d (Nova's pack %d, spread %d), batch "
	       "%d, bound %g; given below first fit on %d\n",
	       ran, tn, tg, tf, tp, ts, tb, tbound, worse);
	assert_true(ran >= 9); /* the synthetic hosts always run */
	assert_true(tg * 100 >= tf * 102);
	assert_true(worse * 7 <= ran);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_given_vs_first_fit),
	};
	if (getenv("VMPLAN_TEST_FILTER"))
		cmocka_set_test_filter(getenv("VMPLAN_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
