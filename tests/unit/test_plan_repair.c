/* The batch planner's repair step: what it brings in, and what it may give up for it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "unit/plancheck.h"
#include "vmplan/error.h"
#include "vmplan/plan.h"
#include "vmplan/probe.h"
#include "vmplan/spec.h"

static vmp_host *synth(const char *desc)
{
	vmp_host *h = NULL;

	assert_int_equal(vmp_probe_synthetic(&h, desc), VMP_OK);
	return h;
}

static vmp_plan *solve(const vmp_host *h, vmp_plan_order order, const char *const *specs, size_t n)
{
	vmp_vm_request reqs[8];
	vmp_plan_options opts = {.order = order};
	vmp_plan *plan = NULL;

	assert_true(n <= sizeof(reqs) / sizeof(reqs[0]));
	for (size_t i = 0; i < n; i++) {
		memset(&reqs[i], 0, sizeof(reqs[i]));
		assert_int_equal(vmp_spec_parse(&reqs[i], specs[i]), VMP_OK);
	}
	assert_int_equal(vmp_plan_solve(&plan, h, reqs, n, &opts), VMP_OK);
	assert_null(plan_violation(h, plan));
	return plan;
}

/*
 * Two nodes of 2 CPUs and 4 GiB. Every order the batch planner tries places one VM: the
 * hardest first spreads a (3 vCPUs, 6 GiB) and strands the rest; the smallest first puts b
 * whole on one node, and c (5 GiB, more than a node) finds no CPU there. Two fit only when
 * c goes first and both spread evenly: the repair moves c, left out, to the front.
 */
static void test_repair_brings_in_left_out_vm(void **st)
{
	static const char *const specs[] = {"name=a,vcpus=3,memory=6G", "name=b,vcpus=2,memory=1G",
					    "name=c,vcpus=2,memory=5G"};
	vmp_host *h = synth("numa:2(memory=4GiB) core:2 pu:1");
	vmp_plan *p = solve(h, VMP_ORDER_BATCH, specs, 3);

	(void)st;
	assert_false(p->vms[0].placed);
	assert_true(p->vms[1].placed);
	assert_true(p->vms[2].placed);
	assert_int_equal(p->vms[1].ncells, 2);
	assert_int_equal(p->vms[2].ncells, 2);
	assert_int_equal(vmp_plan_placed_count(p), 2);
	vmp_plan_free(p);
	/* In the order given (no repair) one VM is all there is room for. */
	p = solve(h, VMP_ORDER_GIVEN, specs, 3);
	assert_int_equal(vmp_plan_placed_count(p), 1);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/*
 * One node of 2 CPUs and 4 GiB: either b (priority 10, all the memory) or a and c together.
 * Moving c, left out, to the front places two VMs, but they weigh 2 against b's 11: the
 * repair keeps b. Without the priority the two win.
 */
static void test_repair_keeps_higher_priority(void **st)
{
	static const char *const specs[] = {"name=a,vcpus=1,memory=1G",
					    "name=b,vcpus=1,memory=4G,priority=10",
					    "name=c,vcpus=1,memory=3G"};
	static const char *const equal[] = {"name=a,vcpus=1,memory=1G", "name=b,vcpus=1,memory=4G",
					    "name=c,vcpus=1,memory=3G"};
	vmp_host *h = synth("numa:1(memory=4GiB) core:2 pu:1");
	vmp_plan *p = solve(h, VMP_ORDER_BATCH, specs, 3);

	(void)st;
	assert_false(p->vms[0].placed);
	assert_true(p->vms[1].placed);
	assert_false(p->vms[2].placed);
	vmp_plan_free(p);
	p = solve(h, VMP_ORDER_BATCH, equal, 3);
	assert_true(p->vms[0].placed);
	assert_false(p->vms[1].placed);
	assert_true(p->vms[2].placed);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/*
 * The repair weighs VMs by 1 + priority, not by the priority of the VM it moves: one node of
 * 6 CPUs and 4 GiB, a (dedicated, priority 10) holds all the memory, so the shared VMs b and
 * c (priority 10) get none. Moving b (priority 0) to the front gives up a for b and c,
 * 12 against 11.
 */
static void test_repair_weighs_priorities(void **st)
{
	static const char *const specs[] = {"name=a,vcpus=2,memory=4G,priority=10",
					    "name=b,vcpus=3,memory=3G,cpu=shared",
					    "name=c,vcpus=7,memory=1G,priority=10,cpu=shared"};
	vmp_host *h = synth("numa:1(memory=4GiB) core:3 pu:2");
	vmp_plan *p = solve(h, VMP_ORDER_BATCH, specs, 3);

	(void)st;
	assert_false(p->vms[0].placed);
	assert_true(p->vms[1].placed);
	assert_true(p->vms[2].placed);
	vmp_plan_free(p);
	/* The order given (no repair) places a, the first of the highest priority. */
	p = solve(h, VMP_ORDER_GIVEN, specs, 3);
	assert_true(p->vms[0].placed);
	assert_int_equal(vmp_plan_placed_count(p), 1);
	vmp_plan_free(p);
	vmp_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_repair_brings_in_left_out_vm),
	    cmocka_unit_test(test_repair_keeps_higher_priority),
	    cmocka_unit_test(test_repair_weighs_priorities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
