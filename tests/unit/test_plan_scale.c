/* What keeps big mixes fast: repeated names found in one sort, refusals reused, plan.json
 * written a VM at a time in jansson's own layout, plan entries without fixed arrays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "unit/plancheck.h"
#include "vmplan/error.h"
#include "vmplan/plan.h"
#include "vmplan/plan_json.h"
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
	vmp_vm_request *reqs = calloc(n, sizeof(*reqs));
	vmp_plan_options opts = {.order = order, .time_limit_s = -1};
	vmp_plan *plan = NULL;

	assert_non_null(reqs);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(vmp_spec_parse(&reqs[i], specs[i]), VMP_OK);
	assert_int_equal(vmp_plan_solve(&plan, h, reqs, n, &opts), VMP_OK);
	assert_null(plan_violation(h, plan));
	free(reqs);
	return plan;
}

/* The first repeat is the smallest index whose name came before, as a pairwise check finds. */
static void test_first_repeat(void **st)
{
	static const char names[][8] = {"a", "b", "c", "b", "a", "c"};
	/* The run that sorts first ("y") is not the answer: "z" repeats sooner. */
	static const char later[][8] = {"z", "y", "z", "y", "y"};
	static const char once[][8] = {"x", "y", "z"};
	size_t first = 99, earlier = 99;

	(void)st;
	assert_int_equal(vmp_names_first_repeat(&first, &earlier, names[0], 6, sizeof(names[0])),
			 1);
	assert_int_equal(first, 3);
	assert_int_equal(earlier, 1);
	assert_int_equal(vmp_names_first_repeat(&first, &earlier, later[0], 5, sizeof(later[0])),
			 1);
	assert_int_equal(first, 2);
	assert_int_equal(earlier, 0);
	assert_int_equal(vmp_names_first_repeat(&first, &earlier, once[0], 3, sizeof(once[0])), 0);
	assert_int_equal(vmp_names_first_repeat(&first, &earlier, once[0], 1, sizeof(once[0])), 0);
}

/* The planner names the first repeated VM name, among thousands. */
static void test_repeat_in_big_mix(void **st)
{
	enum { N = 5000 };
	vmp_vm_request *reqs = calloc(N, sizeof(*reqs));
	vmp_host *h = synth("numa:2(memory=8GiB) core:4 pu:1");
	vmp_plan *plan = NULL;

	(void)st;
	assert_non_null(reqs);
	for (int i = 0; i < N; i++) {
		char spec[64];
		snprintf(spec, sizeof(spec), "name=vm%d,vcpus=1,memory=64M", i);
		assert_int_equal(vmp_spec_parse(&reqs[i], spec), VMP_OK);
	}
	snprintf(reqs[4000].name, sizeof(reqs[4000].name), "vm17");
	snprintf(reqs[3000].name, sizeof(reqs[3000].name), "vm4999");
	assert_int_equal(vmp_plan_solve(&plan, h, reqs, N, NULL), VMP_EINVAL);
	assert_string_equal(vmp_error_last(), "VM name 'vm17' is used twice");
	free(reqs);
	vmp_host_free(h);
}

/*
 * A refusal is reused only for a request alike but for its name, on an unchanged state: one
 * CPU and 4 GiB left after a; b (2 GiB more than is free) is refused, c (the same but its
 * memory) fits, d and e (b again) are refused as b was, f (b but one vCPU more) names CPUs.
 */
static void test_refusal_reused_only_when_alike(void **st)
{
	static const char *const specs[] = {"name=a,vcpus=3,memory=4G",  "name=b,vcpus=1,memory=6G",
					    "name=c,vcpus=1,memory=1G",  "name=d,vcpus=1,memory=6G",
					    "name=e,vcpus=1,memory=6G",  "name=f,vcpus=2,memory=6G",
					    "name=g,vcpus=1,memory=512M"};
	vmp_host *h = synth("numa:1(memory=8GiB) core:5 pu:1");
	vmp_plan *p = solve(h, VMP_ORDER_GIVEN, specs, 7);

	(void)st;
	assert_true(p->vms[0].placed);
	assert_false(p->vms[1].placed);
	assert_int_equal(p->vms[1].bind, VMP_BIND_MEMORY);
	assert_true(p->vms[2].placed);
	assert_false(p->vms[3].placed);
	assert_false(p->vms[4].placed);
	assert_string_equal(p->vms[3].reason, p->vms[4].reason);
	assert_int_equal(p->vms[4].bind, VMP_BIND_MEMORY);
	assert_false(p->vms[5].placed);
	assert_int_equal(p->vms[5].bind, VMP_BIND_CORES);
	assert_true(p->vms[6].placed);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* plan.json is what json_dumps() writes for the whole plan: load it and dump it again. */
static void assert_jansson_layout(const char *text)
{
	json_error_t err;
	json_t *root = json_loads(text, 0, &err);
	char *again;

	assert_non_null(root);
	again = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	assert_non_null(again);
	assert_string_equal(again, text);
	free(again);
	json_decref(root);
}

static void test_plan_json_layout(void **st)
{
	static const char *const specs[] = {
	    "name=a,vcpus=4,memory=1G,numa=2,iothreads=2", "name=b,vcpus=64,memory=1G",
	    "name=c,vcpus=2,memory=512M,cpu=shared", "name=d,vcpus=1,memory=256M"};
	vmp_host *h = synth("numa:2(memory=4GiB) core:4 pu:2");
	vmp_plan *p = solve(h, VMP_ORDER_GIVEN, specs, 4), *q = NULL;
	char *text = NULL, *again = NULL;

	(void)st;
	assert_false(p->vms[1].placed);
	assert_int_equal(vmp_plan_to_json(&text, p), VMP_OK);
	assert_jansson_layout(text);
	assert_int_equal(vmp_plan_from_json(&q, text, "plan.json"), VMP_OK);
	assert_int_equal(vmp_plan_to_json(&again, q), VMP_OK);
	assert_string_equal(text, again);
	free(text);
	free(again);
	vmp_plan_free(q);
	/* No VM at all: "vms": []. */
	p->nvms = 0;
	assert_int_equal(vmp_plan_to_json(&text, p), VMP_OK);
	assert_non_null(strstr(text, "\n  \"vms\": [],\n"));
	assert_jansson_layout(text);
	free(text);
	p->nvms = 4;
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* A refused VM holds no arrays; a placed one holds room for what it uses. */
static void test_entries_compact(void **st)
{
	static const char *const specs[] = {"name=a,vcpus=2,memory=1G",
					    "name=b,vcpus=64,memory=1G"};
	vmp_host *h = synth("numa:2(memory=4GiB) core:4 pu:1");
	vmp_plan *p = solve(h, VMP_ORDER_GIVEN, specs, 2);

	(void)st;
	assert_true(p->vms[0].placed);
	assert_true(p->vms[0].room_cells >= p->vms[0].ncells);
	assert_true(p->vms[0].room_cells <= 2);
	assert_null(p->vms[0].cachetune);
	assert_false(p->vms[1].placed);
	assert_true(sizeof(vmp_plan_vm) < 4096);
	vmp_plan_free(p);
	vmp_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_repeat),
	    cmocka_unit_test(test_repeat_in_big_mix),
	    cmocka_unit_test(test_refusal_reused_only_when_alike),
	    cmocka_unit_test(test_plan_json_layout),
	    cmocka_unit_test(test_entries_compact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
