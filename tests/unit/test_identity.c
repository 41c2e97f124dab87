/* Host identity: the same machine after memory moved, another one named, a plan's free needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmplan/error.h"
#include "vmplan/identity.h"
#include "vmplan/plan.h"
#include "vmplan/plan_json.h"
#include "vmplan/probe.h"
#include "vmplan/spec.h"

#define TWO_NODES "pack:2 [numa(memory=32GB)] l3:1 core:4 pu:2"

static vmp_host *synthetic(const char *desc)
{
	vmp_host *h = NULL;

	if (vmp_probe_synthetic(&h, desc) != VMP_OK)
		fail_msg("synthetic '%s': %s", desc, vmp_error_last());
	return h;
}

static vmp_plan *plan_for(const vmp_host *h, const char *spec)
{
	vmp_vm_request req;
	vmp_plan *plan = NULL;

	if (vmp_spec_parse(&req, spec) != VMP_OK)
		fail_msg("spec '%s': %s", spec, vmp_error_last());
	assert_int_equal(vmp_plan_solve(&plan, h, &req, 1, NULL), VMP_OK);
	assert_true(plan->vms[0].placed);
	return plan;
}

static void test_same_machine_after_memory_moved(void **state)
{
	vmp_host *a = synthetic(TWO_NODES), *b = synthetic(TWO_NODES);
	vmp_host_identity ia, ib;
	char why[512];

	(void)state;
	vmp_host_identity_get(&ia, a);
	/* Free memory and hugepage pools move; total memory a little (firmware, kernel). */
	b->nodes[0].free_bytes /= 3;
	b->nodes[1].memory_bytes -= (uint64_t)64 << 20;
	b->nodes[1].nhugepages = 1;
	b->nodes[1].hugepages[0] = (vmp_hugepages){.size_kib = 2048, .total = 512, .free = 7};
	vmp_host_identity_get(&ib, b);
	assert_true(vmp_host_identity_compare(why, sizeof(why), &ia, &ib));
	assert_string_equal(why, "");
	assert_string_equal(ia.fingerprint, ib.fingerprint);
	/* A larger move (hwloc leaves hugepage pools out of a node's memory) changes the
	 * label, not the verdict: the comparison allows 1/16. */
	b->nodes[1].memory_bytes = a->nodes[1].memory_bytes - a->nodes[1].memory_bytes / 20;
	vmp_host_identity_get(&ib, b);
	assert_true(vmp_host_identity_compare(why, sizeof(why), &ia, &ib));
	vmp_host_free(a);
	vmp_host_free(b);
}

static void test_another_machine_named(void **state)
{
	vmp_host *a = synthetic(TWO_NODES), *b = synthetic("pack:1 [numa(memory=8GB)] core:1 pu:2");
	vmp_host_identity ia, ib;
	char why[1024];

	(void)state;
	vmp_host_identity_get(&ia, a);
	vmp_host_identity_get(&ib, b);
	assert_false(vmp_host_identity_compare(why, sizeof(why), &ia, &ib));
	assert_non_null(strstr(why, "CPUs 0-15 planned, 0-1 here"));
	assert_non_null(strstr(why, "2 NUMA nodes planned, 1 here"));
	assert_non_null(strstr(why, "8 cores planned, 1 here"));
	assert_string_not_equal(ia.fingerprint, ib.fingerprint);
	/* Memory that really differs is named with both sizes. */
	vmp_host_identity_get(&ib, a);
	ib.nodes[1].memory_bytes /= 2;
	strcpy(ib.cpu_model, "Other CPU");
	strcpy(ia.cpu_model, "Some CPU");
	assert_false(vmp_host_identity_compare(why, sizeof(why), &ia, &ib));
	assert_non_null(strstr(why, "node 1 memory 29.8 GiB planned, 14.9 GiB here"));
	assert_non_null(strstr(why, "CPU model 'Some CPU' planned, 'Other CPU' here"));
	vmp_host_free(a);
	vmp_host_free(b);
}

/* The identity goes through plan.json; a plan without one loads and is checked by its
 * fingerprint alone. */
static void test_plan_json_identity(void **state)
{
	vmp_host *h = synthetic(TWO_NODES);
	vmp_plan *plan = plan_for(h, "name=a,vcpus=2,memory=1G"), *back = NULL;
	vmp_plan_host_result r;
	char *text = NULL, *cut;

	(void)state;
	assert_int_equal(vmp_plan_to_json(&text, plan), VMP_OK);
	assert_int_equal(vmp_plan_from_json(&back, text, "plan.json"), VMP_OK);
	assert_true(back->identity.present);
	assert_memory_equal(&back->identity, &plan->identity, sizeof(plan->identity));
	vmp_plan_host_check(&r, back, h, true);
	assert_true(r.same_host);
	assert_false(r.legacy);
	assert_int_equal(r.nshortfalls, 0);
	vmp_plan_free(back);
	/* An older plan.json: the identity keys are not there. */
	cut = strstr(text, ",\n  \"identity\"");
	assert_non_null(cut);
	strcpy(cut, "\n}");
	assert_int_equal(vmp_plan_from_json(&back, text, "old.json"), VMP_OK);
	assert_false(back->identity.present);
	vmp_plan_host_check(&r, back, h, true);
	assert_true(r.legacy);
	assert_true(r.same_host);
	snprintf(back->host, sizeof(back->host), "0123456789abcdef");
	vmp_plan_host_check(&r, back, h, true);
	assert_false(r.same_host);
	assert_non_null(strstr(r.differs, "fingerprint 0123456789abcdef planned"));
	free(text);
	vmp_plan_free(back);
	vmp_plan_free(plan);
	vmp_host_free(h);
}

/* A VM in hugepages on a host without the pages: the pages to reserve per node, and the
 * file; enough free pages: nothing to say. */
static void test_hugepage_shortfall(void **state)
{
	vmp_host *h = synthetic(TWO_NODES);
	vmp_plan *plan = plan_for(h, "name=db,vcpus=2,memory=1G,hugepages=2M");
	int node = plan->vms[0].cells[0].host_node, n = vmp_host_node_index(h, node);
	vmp_plan_host_result r;
	char lines[1024], want[256];

	(void)state;
	assert_int_equal(vmp_plan_hugepage_shortfalls(lines, sizeof(lines), plan, h), 1);
	snprintf(want, sizeof(want),
		 "node %d: 512 pages of 2048 kB needed (vm 'db'), 0 free: reserve 512 more: echo "
		 "512 > /sys/devices/system/node/node%d/hugepages/hugepages-2048kB/nr_hugepages\n",
		 node, node);
	assert_string_equal(lines, want);
	vmp_plan_host_check(&r, plan, h, true);
	assert_int_equal(r.nshortfalls, 1);
	assert_string_equal(r.shortfalls, want);
	/* A pool with 100 in use: the total to write counts them. */
	h->nodes[n].nhugepages = 1;
	h->nodes[n].hugepages[0] = (vmp_hugepages){.size_kib = 2048, .total = 200, .free = 100};
	assert_int_equal(vmp_plan_hugepage_shortfalls(lines, sizeof(lines), plan, h), 1);
	assert_non_null(strstr(lines, "100 free: reserve 412 more: echo 612 >"));
	h->nodes[n].hugepages[0].free = 512;
	assert_int_equal(vmp_plan_hugepage_shortfalls(lines, sizeof(lines), plan, h), 0);
	assert_string_equal(lines, "");
	/* Without the free_too part, only the identity and the CPUs are checked. */
	h->nodes[n].hugepages[0].free = 0;
	vmp_plan_host_check(&r, plan, h, false);
	assert_int_equal(r.nshortfalls, 0);
	vmp_plan_free(plan);
	vmp_host_free(h);
}

static void test_free_resources_rechecked(void **state)
{
	vmp_host *h = synthetic(TWO_NODES);
	vmp_plan *plan = plan_for(h, "name=web,vcpus=2,memory=4G");
	int node = plan->vms[0].cells[0].host_node, n = vmp_host_node_index(h, node);
	vmp_plan_host_result r;
	char want[128];

	(void)state;
	/* Free memory on the VM's node fell below its need. */
	h->nodes[n].free_bytes = (uint64_t)1 << 30;
	vmp_plan_host_check(&r, plan, h, true);
	assert_true(r.same_host);
	assert_int_equal(r.nshortfalls, 1);
	snprintf(want, sizeof(want), "node %d: 4.0 GiB of memory needed, 1.0 GiB free", node);
	assert_non_null(strstr(r.shortfalls, want));
	assert_false(r.missing_cpus);
	/* A CPU it pins went offline. */
	vmp_cpuset_clr(&h->online, plan->vms[0].vcpupin[0]);
	vmp_plan_host_check(&r, plan, h, false);
	assert_true(r.missing_cpus);
	assert_non_null(strstr(r.shortfalls, "which this host does not have online"));
	vmp_plan_free(plan);
	vmp_host_free(h);
}

/* Cache ways another group holds now, and resctrl no longer mounted. */
static void test_cache_rechecked(void **state)
{
	vmp_host *h = synthetic(TWO_NODES);
	vmp_plan *plan = plan_for(h, "name=web,vcpus=2,memory=1G");
	vmp_plan_vm *vm = &plan->vms[0];
	vmp_plan_host_result r;

	(void)state;
	h->resctrl.present = true;
	h->resctrl.groups_used = 1;
	h->resctrl.l3 = (vmp_rdt_cache){.present = true,
					.cbm_mask = 0xff,
					.min_cbm_bits = 1,
					.num_closids = 4,
					.ndomains = 1,
					.domains = {{.id = 0, .used_mask = 0x0f}}};
	assert_int_equal(vmp_plan_vm_reserve(vm, 0, 1, 0, 0), VMP_OK);
	vm->ncachetune = 1;
	vm->cachetune[0] = (vmp_plan_cachetune){.level = 3, .cache_id = 0, .ways_mask = 0x30};
	vmp_plan_host_check(&r, plan, h, true);
	assert_int_equal(r.nshortfalls, 0);
	vm->cachetune[0].ways_mask = 0x18;
	vmp_plan_host_check(&r, plan, h, true);
	assert_int_equal(r.nshortfalls, 1);
	assert_non_null(strstr(r.shortfalls, "L3 ways 0x18 of cache 0 are held by other resctrl"));
	h->resctrl.groups_used = 4;
	vm->cachetune[0].ways_mask = 0x30;
	vmp_plan_host_check(&r, plan, h, true);
	assert_non_null(strstr(r.shortfalls, "needs 1 classes of service, 0 of 4 are free"));
	h->resctrl.present = false;
	vmp_plan_host_check(&r, plan, h, true);
	assert_non_null(strstr(r.shortfalls, "resctrl is not mounted here"));
	vmp_plan_free(plan);
	vmp_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_machine_after_memory_moved),
	    cmocka_unit_test(test_another_machine_named),
	    cmocka_unit_test(test_plan_json_identity),
	    cmocka_unit_test(test_hugepage_shortfall),
	    cmocka_unit_test(test_free_resources_rechecked),
	    cmocka_unit_test(test_cache_rechecked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
