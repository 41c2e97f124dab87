/* The first planner: whole cores, thread policies, NUMA fit, reservations, order, reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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
	vmp_vm_request reqs[16];
	vmp_plan_options opts = {.order = order};
	vmp_plan *plan = NULL;

	for (size_t i = 0; i < n; i++) {
		memset(&reqs[i], 0, sizeof(reqs[i]));
		assert_int_equal(vmp_spec_parse(&reqs[i], specs[i]), VMP_OK);
	}
	assert_int_equal(vmp_plan_solve(&plan, h, reqs, n, &opts), VMP_OK);
	return plan;
}

static int core_of(const vmp_host *h, int cpu)
{
	return h->pus[vmp_host_pu_index(h, cpu)].core;
}

static int node_of(const vmp_host *h, int cpu)
{
	return h->nodes[h->pus[vmp_host_pu_index(h, cpu)].node].id;
}

/* No PU is pinned twice across the whole plan, and none is reserved. */
static void assert_disjoint(const vmp_host *h, const vmp_plan *plan)
{
	vmp_cpuset all = {0};

	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		if (!vm->placed)
			continue;
		for (unsigned v = 0; v < vm->req.vcpus; v++) {
			assert_false(vmp_cpuset_isset(&all, vm->vcpupin[v]));
			assert_false(vmp_cpuset_isset(&h->reserved, vm->vcpupin[v]));
			vmp_cpuset_set(&all, vm->vcpupin[v]);
		}
	}
}

static void test_whole_cores_first(void **st)
{
	static const char *const specs[] = {"name=a,vcpus=4,memory=128M"};
	vmp_host *h = synth("node:1 core:4 pu:2");
	vmp_plan *p = solve(h, VMP_ORDER_BATCH, specs, 1);
	const vmp_plan_vm *vm = &p->vms[0];

	(void)st;
	assert_true(vm->placed);
	/* vCPU pairs share a core, and two cores are used, not four. */
	assert_int_equal(core_of(h, vm->vcpupin[0]), core_of(h, vm->vcpupin[1]));
	assert_int_equal(core_of(h, vm->vcpupin[2]), core_of(h, vm->vcpupin[3]));
	assert_int_not_equal(core_of(h, vm->vcpupin[0]), core_of(h, vm->vcpupin[2]));
	assert_int_equal(vm->threads, 2);
	assert_int_equal(vm->sockets * vm->dies * vm->cores * vm->threads, 4);
	vmp_plan_free(p);
	vmp_host_free(h);
}

static void test_odd_vcpu_fills_hole(void **st)
{
	static const char *const specs[] = {
	    "name=a,vcpus=3,memory=128M",
	    "name=b,vcpus=1,memory=128M",
	};
	vmp_host *h = synth("node:1 core:4 pu:2");
	vmp_plan *p = solve(h, VMP_ORDER_GIVEN, specs, 2);

	(void)st;
	assert_int_equal(vmp_plan_placed_count(p), 2);
	/* b takes the lone sibling a left, so two whole cores stay free. */
	assert_int_equal(core_of(h, p->vms[1].vcpupin[0]), core_of(h, p->vms[0].vcpupin[2]));
	/* Three vCPUs cannot form guest thread pairs. */
	assert_int_equal(p->vms[0].threads, 1);
	assert_disjoint(h, p);
	vmp_plan_free(p);
	vmp_host_free(h);
}

static void test_isolate_leaves_siblings_idle(void **st)
{
	static const char *const specs[] = {
	    "name=iso,vcpus=2,memory=128M,threads=isolate",
	    "name=fill,vcpus=4,memory=128M",
	    "name=more,vcpus=1,memory=128M",
	};
	vmp_host *h = synth("node:1 core:4 pu:2");
	vmp_plan *p = solve(h, VMP_ORDER_GIVEN, specs, 3);
	const vmp_plan_vm *iso = &p->vms[0];

	(void)st;
	assert_true(iso->placed);
	assert_int_not_equal(core_of(h, iso->vcpupin[0]), core_of(h, iso->vcpupin[1]));
	assert_int_equal(iso->threads, 1);
	/* Two isolated cores hold 4 PUs; the other two cores hold fill; none is left. */
	assert_true(p->vms[1].placed);
	for (unsigned v = 0; v < 4; v++) {
		int c = core_of(h, p->vms[1].vcpupin[v]);
		assert_int_not_equal(c, core_of(h, iso->vcpupin[0]));
		assert_int_not_equal(c, core_of(h, iso->vcpupin[1]));
	}
	assert_false(p->vms[2].placed);
	assert_disjoint(h, p);
	vmp_plan_free(p);
	vmp_host_free(h);
}

static void test_require_whole_cores(void **st)
{
	static const char *const specs[] = {
	    "name=odd,vcpus=3,memory=1G,threads=require",
	    "name=even,vcpus=4,memory=1G,threads=require",
	};
	vmp_host *h = synth("node:1 core:4 pu:2");
	vmp_plan *p = solve(h, VMP_ORDER_GIVEN, specs, 2);

	(void)st;
	assert_false(p->vms[0].placed);
	assert_non_null(strstr(p->vms[0].reason, "threads=require"));
	assert_int_equal(p->vms[0].bind, VMP_BIND_SHAPE);
	assert_int_equal(p->vms[1].bind, VMP_BIND_NONE);
	assert_true(p->vms[1].placed);
	assert_int_equal(p->vms[1].threads, 2);
	vmp_plan_free(p);
	vmp_host_free(h);
}

static void test_one_node_when_it_fits(void **st)
{
	static const char *const specs[] = {
	    "name=a,vcpus=6,memory=20G",
	    "name=b,vcpus=6,memory=20G",
	};
	vmp_host *h = synth("pack:2 [numa(memory=32GB)] l3:2 core:4 pu:2");
	vmp_plan *p = solve(h, VMP_ORDER_BATCH, specs, 2);

	(void)st;
	for (int i = 0; i < 2; i++) {
		const vmp_plan_vm *vm = &p->vms[i];
		assert_true(vm->placed);
		assert_int_equal(vm->ncells, 1);
		for (unsigned v = 0; v < vm->req.vcpus; v++)
			assert_int_equal(node_of(h, vm->vcpupin[v]), vm->cells[0].host_node);
		assert_int_equal(vm->cells[0].memory_bytes, 20ULL << 30);
	}
	/* Memory alone keeps them apart: 20G + 20G do not fit in one 32G node. */
	assert_int_not_equal(p->vms[0].cells[0].host_node, p->vms[1].cells[0].host_node);
	assert_disjoint(h, p);
	vmp_plan_free(p);
	vmp_host_free(h);
}

static void test_fewest_l3_domains(void **st)
{
	static const char *const specs[] = {"name=a,vcpus=4,memory=128M"};
	vmp_host *h = synth("pack:1 [numa(memory=32GB)] l3:2 core:4 pu:2");
	vmp_plan *p = solve(h, VMP_ORDER_BATCH, specs, 1);
	const vmp_plan_vm *vm = &p->vms[0];

	(void)st;
	assert_true(vm->placed);
	int l3 = h->pus[vmp_host_pu_index(h, vm->vcpupin[0])].l3;
	for (unsigned v = 1; v < 4; v++)
		assert_int_equal(h->pus[vmp_host_pu_index(h, vm->vcpupin[v])].l3, l3);
	vmp_plan_free(p);
	vmp_host_free(h);
}

static void test_spread_when_too_big(void **st)
{
	static const char *const specs[] = {"name=wide,vcpus=12,memory=8G"};
	vmp_host *h = synth("pack:2 [numa(memory=32GB)] core:4 pu:2");
	vmp_plan *p = solve(h, VMP_ORDER_BATCH, specs, 1);
	const vmp_plan_vm *vm = &p->vms[0];

	(void)st;
	assert_true(vm->placed);
	assert_int_equal(vm->ncells, 2);
	assert_int_not_equal(vm->cells[0].host_node, vm->cells[1].host_node);
	assert_int_equal(vm->cells[0].memory_bytes + vm->cells[1].memory_bytes, 8ULL << 30);
	/* Each cell's vCPUs sit on that cell's host node. */
	for (int c = 0; c < 2; c++) {
		int v;
		VMP_CPUSET_FOREACH (v, &vm->cells[c].vcpus)
			assert_int_equal(node_of(h, vm->vcpupin[v]), vm->cells[c].host_node);
	}
	assert_int_equal(vm->sockets, 2);
	vmp_plan_free(p);
	vmp_host_free(h);
}

static void test_reserved_and_emulator(void **st)
{
	static const char *const specs[] = {
	    "name=a,vcpus=6,memory=1G,emulator=isolate",
	    "name=b,vcpus=1,memory=128M",
	};
	vmp_host *h = synth("node:1 core:4 pu:2");
	vmp_plan *p;

	(void)st;
	/* Without a reservation an isolated emulator has nowhere to go. */
	p = solve(h, VMP_ORDER_GIVEN, specs, 1);
	assert_false(p->vms[0].placed);
	assert_non_null(strstr(p->vms[0].reason, "--reserve"));
	assert_int_equal(p->vms[0].bind, VMP_BIND_HOUSEKEEPING);
	vmp_plan_free(p);

	assert_int_equal(vmp_cpuset_parse(&h->reserved, "0-1"), VMP_OK);
	p = solve(h, VMP_ORDER_GIVEN, specs, 2);
	assert_true(p->vms[0].placed);
	assert_true(vmp_cpuset_equal(&p->vms[0].emulatorpin, &h->reserved));
	/* The reservation holds: 6 + 2 PUs, and b finds nothing. */
	assert_false(p->vms[1].placed);
	assert_non_null(strstr(p->vms[1].reason, "the host has 0 free in all (node 0: 0)"));
	assert_int_equal(p->vms[1].bind, VMP_BIND_CORES);
	assert_disjoint(h, p);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/*
 * Given order never revisits, and it keeps each node's room in the shape VMs ask for: b goes
 * to the empty node rather than fill a's, so c and d (each a node's worth) find no node and
 * are not spread over the two halves. Batch places a and b together and c whole.
 */
static void test_batch_beats_given(void **st)
{
	static const char *const specs[] = {
	    "name=a,vcpus=2,memory=128M",
	    "name=b,vcpus=2,memory=128M",
	    "name=c,vcpus=4,memory=128M",
	    "name=d,vcpus=4,memory=128M",
	};
	vmp_host *h = synth("pack:2 [numa(memory=16GB)] core:4 pu:1");
	vmp_plan *given = solve(h, VMP_ORDER_GIVEN, specs, 4);
	vmp_plan *batch = solve(h, VMP_ORDER_BATCH, specs, 4);

	(void)st;
	assert_int_equal(vmp_plan_placed_count(given), 2);
	assert_int_not_equal(given->vms[0].cells[0].host_node, given->vms[1].cells[0].host_node);
	assert_false(given->vms[2].placed);
	assert_int_equal(given->vms[2].bind, VMP_BIND_NODE_FIT);
	assert_non_null(strstr(given->vms[2].reason, "no node has both now: the most CPUs free "
						     "are 2 (node 0)"));
	assert_non_null(strstr(given->vms[2].reason, "given order does not spread a VM"));
	assert_int_equal(vmp_plan_placed_count(batch), 3);
	for (int i = 0; i < 4; i++)
		assert_true(!batch->vms[i].placed || batch->vms[i].ncells == 1);
	/* The plan lists VMs in the order given, whatever order they were placed in. */
	assert_string_equal(batch->vms[0].req.name, "a");
	vmp_plan_free(given);
	vmp_plan_free(batch);
	vmp_host_free(h);
}

static void test_deterministic(void **st)
{
	static const char *const specs[] = {
	    "name=a,vcpus=5,memory=3G",
	    "name=b,vcpus=2,memory=128M",
	    "name=c,vcpus=7,memory=9G",
	};
	vmp_host *h = synth("pack:2 [numa(memory=16GB)] l3:2 core:4 pu:2");
	vmp_plan *p1 = solve(h, VMP_ORDER_BATCH, specs, 3);
	vmp_plan *p2 = solve(h, VMP_ORDER_BATCH, specs, 3);

	(void)st;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(p1->vms[i].placed, p2->vms[i].placed);
		assert_memory_equal(p1->vms[i].vcpupin, p2->vms[i].vcpupin,
				    p1->vms[i].req.vcpus * sizeof(int));
	}
	assert_disjoint(h, p1);
	vmp_plan_free(p1);
	vmp_plan_free(p2);
	vmp_host_free(h);
}

static void test_hugepages(void **st)
{
	static const char *const specs[] = {
	    "name=a,vcpus=2,memory=4G,hugepages=1G",
	    "name=b,vcpus=2,memory=4G,hugepages=2M",
	    "name=c,vcpus=1,memory=2G,hugepages=1G",
	};
	vmp_host *h = synth("pack:2 [numa(memory=16GB)] core:4 pu:1");
	vmp_plan *p;

	(void)st;
	/* Only node 1 has a 1G pool, with room for four pages. */
	h->nodes[1].nhugepages = 1;
	h->nodes[1].hugepages[0] = (vmp_hugepages){.size_kib = 1048576, .total = 6, .free = 4};
	p = solve(h, VMP_ORDER_GIVEN, specs, 3);
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].cells[0].host_node, 1);
	/* No node has a 2M pool: planned out of free memory, to be reserved. */
	assert_true(p->vms[1].placed);
	/* The 1G pool is used up, and node 0 has none: c does not fit. */
	assert_false(p->vms[2].placed);
	assert_non_null(strstr(p->vms[2].reason, "hugepages"));
	assert_non_null(strstr(p->vms[2].reason, "grow the hugepage pools"));
	assert_int_equal(p->vms[2].bind, VMP_BIND_HUGEPAGES);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* A refusal repeated for the same shape is rewritten once something was taken between. */
static void test_reason_follows_what_is_free(void **st)
{
	static const char *const specs[] = {
	    "name=a,vcpus=50,memory=1G,numa=1", "name=a2,vcpus=50,memory=1G,numa=1",
	    "name=b,vcpus=4,memory=1G,numa=1", "name=c,vcpus=50,memory=1G,numa=1"};
	vmp_host *h = synth("pack:2 [numa(memory=16GiB)] core:12 pu:2");
	vmp_plan *p;

	(void)st;
	p = solve(h, VMP_ORDER_GIVEN, specs, 4);
	assert_true(p->vms[2].placed);
	assert_non_null(strstr(p->vms[0].reason, "the host has 48 free in all"));
	assert_string_equal(p->vms[1].reason, p->vms[0].reason);
	assert_non_null(strstr(p->vms[3].reason, "the host has 44 free in all"));
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* The refusal names the binding constraint with numbers, and what would fit. */
static void test_reason_names_binding_constraint(void **st)
{
	static const char *const cpus[] = {"name=db,vcpus=16,memory=8G,threads=isolate,numa=1"};
	static const char *const mem[] = {"name=db,vcpus=4,memory=20G,numa=1"};
	vmp_host *h = synth("pack:2 [numa(memory=16GiB)] core:12 pu:2");
	vmp_plan *p;

	(void)st;
	p = solve(h, VMP_ORDER_GIVEN, cpus, 1);
	assert_false(p->vms[0].placed);
	assert_string_equal(p->vms[0].reason,
			    "needs 16 whole cores on one node with threads=isolate; the most any "
			    "node has free is 12 (node 0); lower vcpus to 12, or allow numa=auto");
	assert_int_equal(p->vms[0].bind, VMP_BIND_NODE_FIT);
	vmp_plan_free(p);
	p = solve(h, VMP_ORDER_GIVEN, mem, 1);
	assert_false(p->vms[0].placed);
	assert_string_equal(p->vms[0].reason,
			    "needs 20GiB of memory on one node with 4 free dedicated vCPUs; the "
			    "most such a node has is 16GiB (node 0); lower memory to 16GiB, or "
			    "allow numa=auto");
	assert_int_equal(p->vms[0].bind, VMP_BIND_NODE_FIT);
	vmp_plan_free(p);
	vmp_host_free(h);

	/* numa=1: what would fit is what one node has, not what the host has in all. */
	static const char *const one_mem[] = {"name=a,vcpus=2,memory=40G,numa=1"};
	static const char *const one_cpu[] = {"name=a,vcpus=50,memory=1G,numa=1"};
	h = synth("pack:2 [numa(memory=16GiB)] core:12 pu:2");
	p = solve(h, VMP_ORDER_GIVEN, one_mem, 1);
	assert_non_null(strstr(p->vms[0].reason, "lower memory to 16GiB"));
	assert_int_equal(p->vms[0].bind, VMP_BIND_MEMORY); /* short in all: memory binds */
	vmp_plan_free(p);
	p = solve(h, VMP_ORDER_GIVEN, one_cpu, 1);
	assert_non_null(strstr(p->vms[0].reason, "lower vcpus to 24"));
	assert_int_equal(p->vms[0].bind, VMP_BIND_CORES);
	vmp_plan_free(p);
	vmp_host_free(h);
	/* Nothing smaller would fit either: the hint says what binds, never "lower vcpus to 0". */
	static const char *const isolate[] = {"name=a,vcpus=2,memory=1G,threads=isolate"};
	static const char *const one[] = {"name=a,vcpus=1,memory=1G"};
	static const char *const two_cells[] = {"name=a,vcpus=4,memory=1G,numa=2"};
	h = synth("pack:2 [numa(memory=16GiB)] core:1 pu:2");
	vmp_cpuset_parse(&h->reserved, "0,2"); /* one thread of each core */
	p = solve(h, VMP_ORDER_GIVEN, isolate, 1);
	assert_null(strstr(p->vms[0].reason, "lower vcpus to 0"));
	assert_non_null(strstr(p->vms[0].reason, "no whole core is free (2 CPUs are, as single "
						 "threads); use threads=prefer"));
	vmp_plan_free(p);
	vmp_cpuset_parse(&h->reserved, "0-3");
	p = solve(h, VMP_ORDER_GIVEN, one, 1);
	assert_null(strstr(p->vms[0].reason, "lower vcpus to 0"));
	assert_non_null(strstr(p->vms[0].reason, "no CPU is free (all reserved or taken)"));
	vmp_plan_free(p);
	vmp_cpuset_parse(&h->reserved, "0-1");
	p = solve(h, VMP_ORDER_GIVEN, two_cells, 1);
	assert_null(strstr(p->vms[0].reason, "lower vcpus to 0"));
	assert_non_null(strstr(p->vms[0].reason, "fewer than 2 nodes have free dedicated vCPUs"));
	vmp_plan_free(p);
	vmp_host_free(h);
	/* Free CPUs of 3 and 8: 11 in all, but even shares place at most 8; the hint must fit. */
	static const char *const twelve[] = {"name=a,vcpus=12,memory=4G"};
	static const char *const eight[] = {"name=a,vcpus=8,memory=4G"};
	h = synth("pack:2 [numa(memory=16GiB)] l3:1 core:4 pu:2");
	vmp_cpuset_parse(&h->reserved, "0-4");
	p = solve(h, VMP_ORDER_GIVEN, twelve, 1);
	assert_non_null(strstr(p->vms[0].reason, "the host has 11 free in all"));
	assert_non_null(strstr(p->vms[0].reason, "lower vcpus to 8"));
	vmp_plan_free(p);
	p = solve(h, VMP_ORDER_GIVEN, eight, 1);
	assert_true(p->vms[0].placed);
	vmp_plan_free(p);
	vmp_host_free(h);
	/* One node: no numa=auto to offer. */
	static const char *const one_node[] = {"name=a,vcpus=16,memory=1G,numa=1"};
	h = synth("node:1 core:4 pu:2");
	p = solve(h, VMP_ORDER_GIVEN, one_node, 1);
	assert_false(p->vms[0].placed);
	assert_null(strstr(p->vms[0].reason, "numa="));
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* Resctrl edges: an absurd cache size is refused, not wrapped; a cache smaller than its
 * ways is refused; a model with min_cbm_bits 0 does not pass the host check. */
static void test_cache_edges(void **st)
{
	static const char *const huge[] = {"name=a,vcpus=2,memory=128M,cache=6550688416351697b"};
	static const char *const one[] = {"name=a,vcpus=2,memory=128M,cache=1M"};
	vmp_host *h = synth("node:1 l3:1 core:4 pu:2");
	vmp_plan *p;

	(void)st;
	h->l3s[0].size_bytes = 16 << 20;
	h->resctrl.present = h->resctrl.l3.present = true;
	h->resctrl.l3.cbm_mask = 0x7ff;
	h->resctrl.l3.min_cbm_bits = 1;
	h->resctrl.l3.num_closids = 4;
	h->resctrl.l3.ndomains = 1;
	h->resctrl.l3.domains[0].id = h->l3s[0].id;
	assert_int_equal(vmp_host_check(h), VMP_OK);
	p = solve(h, VMP_ORDER_GIVEN, huge, 1);
	assert_false(p->vms[0].placed);
	assert_non_null(strstr(p->vms[0].reason, "contiguous ways"));
	assert_int_equal(p->vms[0].bind, VMP_BIND_CACHE);
	vmp_plan_free(p);
	p = solve(h, VMP_ORDER_GIVEN, one, 1);
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].ncachetune, 1);
	vmp_plan_free(p);
	h->l3s[0].size_bytes = 8; /* fewer bytes than ways */
	p = solve(h, VMP_ORDER_GIVEN, one, 1);
	assert_false(p->vms[0].placed);
	assert_non_null(strstr(p->vms[0].reason, "smaller than its 11 ways"));
	assert_int_equal(p->vms[0].bind, VMP_BIND_CACHE);
	vmp_plan_free(p);
	h->resctrl.l3.min_cbm_bits = 0;
	assert_int_equal(vmp_host_check(h), VMP_EINVAL);
	vmp_host_free(h);
}

/* A host with memory-bandwidth allocation and no cache allocation: its classes of service
 * still bound the groups (it had no limit at all before). */
static void test_mb_closids(void **st)
{
	static const char *const specs[] = {
	    "name=a,vcpus=1,memory=128M,membw=50%", "name=b,vcpus=1,memory=128M,membw=50%",
	    "name=c,vcpus=1,memory=128M,membw=50%", "name=d,vcpus=1,memory=128M"};
	vmp_host *h = synth("node:1 l3:1 core:4 pu:2");
	vmp_plan *p;

	(void)st;
	h->resctrl.present = h->resctrl.mb.present = true;
	h->resctrl.mb.unit = VMP_MB_PERCENT;
	h->resctrl.mb.min_bandwidth = h->resctrl.mb.bandwidth_gran = 10;
	h->resctrl.mb.ndomains = 1;
	h->resctrl.mb.domain_ids[0] = h->l3s[0].id;
	h->resctrl.mb.num_closids = 3;
	h->resctrl.groups_used = 1; /* the default group */
	assert_int_equal(vmp_resctrl_closids(&h->resctrl), 3);
	p = solve(h, VMP_ORDER_GIVEN, specs, 4);
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].nmemorytune, 1);
	assert_true(p->vms[1].placed);
	assert_false(p->vms[2].placed);
	assert_int_equal(p->vms[2].bind, VMP_BIND_CLOSIDS);
	assert_non_null(strstr(p->vms[2].reason, "all 3 are taken"));
	assert_true(p->vms[3].placed); /* no group needed */
	vmp_plan_free(p);
	/* Unknown (0) is no limit; with L3 too, the smaller count binds. */
	h->resctrl.mb.num_closids = 0;
	assert_int_equal(vmp_resctrl_closids(&h->resctrl), UINT32_MAX);
	h->resctrl.l3.present = true;
	h->resctrl.l3.num_closids = 16;
	h->resctrl.mb.num_closids = 8;
	assert_int_equal(vmp_resctrl_closids(&h->resctrl), 8);
	vmp_host_free(h);
}

/* A VM that will get no group (its bandwidth cannot be said in the host's unit without a
 * measurement) is not refused for want of one; a huge cap is the largest the unit says,
 * not, wrapped through a float cast, the smallest. */
static void test_mb_no_group_and_huge_cap(void **st)
{
	static const char *const specs[] = {"name=db,vcpus=2,memory=128M,cache=2M",
					    "name=bk,vcpus=1,memory=128M,membw=10%"};
	static const char *const huge[] = {"name=h,vcpus=1,memory=128M,membw=1073741824GBps"};
	vmp_host *h = synth("node:1 l3:1 core:4 pu:2");
	vmp_plan *p;

	(void)st;
	h->l3s[0].size_bytes = 16 << 20;
	h->resctrl.present = h->resctrl.l3.present = h->resctrl.mb.present = true;
	h->resctrl.l3.cbm_mask = 0xff;
	h->resctrl.l3.min_cbm_bits = 1;
	h->resctrl.l3.num_closids = 2; /* the default group and one more */
	h->resctrl.l3.ndomains = 1;
	h->resctrl.l3.domains[0].id = h->l3s[0].id;
	h->resctrl.mb.unit = VMP_MB_AMD_GBS8;
	h->resctrl.mb.bandwidth_gran = 1;
	h->resctrl.mb.ndomains = 1;
	h->resctrl.mb.domain_ids[0] = h->l3s[0].id;
	h->resctrl.groups_used = 1;
	p = solve(h, VMP_ORDER_GIVEN, specs, 2);
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].ncachetune, 1);
	assert_true(p->vms[1].placed); /* no measured bandwidth: no limit, no group */
	assert_int_equal(p->vms[1].nmemorytune, 0);
	vmp_plan_free(p);

	h->resctrl.mb.unit = VMP_MB_MBPS;
	p = solve(h, VMP_ORDER_GIVEN, huge, 1);
	assert_true(p->vms[0].placed);
	/* The largest the unit says, above the 100 libvirt accepts: no limit (test_plan_rdt). */
	assert_int_equal(p->vms[0].nmemorytune, 0);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* The node that costs least has no free ways: the VM goes where the ways are, and says so. */
static void test_cache_other_node(void **st)
{
	static const char *const one[] = {"name=a,vcpus=4,memory=1G,cache=4M"};
	static const char *const two[] = {"name=a,vcpus=4,memory=1G,cache=4M",
					  "name=b,vcpus=4,memory=1G,cache=4M"};
	vmp_host *h = synth("pack:2 [numa(memory=16GiB)] l3:1 core:8 pu:2");
	vmp_plan *p;

	(void)st;
	h->resctrl.present = h->resctrl.l3.present = true;
	h->resctrl.l3.cbm_mask = 0x7ff;
	h->resctrl.l3.min_cbm_bits = 2;
	h->resctrl.l3.num_closids = 16;
	h->resctrl.l3.ndomains = 2;
	h->resctrl.groups_used = 1;
	for (int i = 0; i < 2; i++) {
		h->l3s[i].size_bytes = 11 << 20;
		h->resctrl.l3.domains[i].id = h->l3s[i].id;
	}
	h->resctrl.l3.domains[0].used_mask = 0x7fc; /* two ways left in node 0's L3 */
	assert_int_equal(vmp_host_check(h), VMP_OK);
	p = solve(h, VMP_ORDER_GIVEN, one, 1);
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].cells[0].host_node, h->nodes[1].id);
	assert_int_equal(p->vms[0].cachetune[0].cache_id, h->l3s[1].id);
	vmp_plan_free(p);
	/* Once node 1's ways are gone too, the refusal is about the ways, not the nodes. */
	h->resctrl.l3.domains[1].used_mask = 0x7f0; /* four ways: one VM's */
	p = solve(h, VMP_ORDER_GIVEN, two, 2);
	assert_true(p->vms[0].placed);
	assert_false(p->vms[1].placed);
	assert_int_equal(p->vms[1].bind, VMP_BIND_CACHE);
	assert_non_null(strstr(p->vms[1].reason, "contiguous ways"));
	vmp_plan_free(p);
	vmp_host_free(h);

	/* Two cells, one of them on the node without ways: only that node is ruled out. */
	static const char *const two_cells[] = {"name=a,vcpus=4,memory=1G,cache=2M,numa=2"};
	h = synth("pack:3 [numa(memory=16GiB)] l3:1 core:4 pu:2");
	h->resctrl.present = h->resctrl.l3.present = true;
	h->resctrl.l3.cbm_mask = 0x7ff;
	h->resctrl.l3.min_cbm_bits = 1;
	h->resctrl.l3.num_closids = 16;
	h->resctrl.l3.ndomains = 3;
	h->resctrl.groups_used = 1;
	for (int i = 0; i < 3; i++) {
		h->l3s[i].size_bytes = 11 << 20;
		h->resctrl.l3.domains[i].id = h->l3s[i].id;
	}
	h->resctrl.l3.domains[0].used_mask = 0x7ff;
	p = solve(h, VMP_ORDER_GIVEN, two_cells, 1);
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].ncells, 2);
	for (int i = 0; i < 2; i++)
		assert_int_not_equal(p->vms[0].cells[i].host_node, h->nodes[0].id);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* cpu=shared: memory where there is room for it, spread when no node holds it, and a
 * refusal about memory (shared vCPUs need no dedicated cores). */
static void test_shared_memory(void **st)
{
	static const char *const low0[] = {"name=s,vcpus=2,memory=12G,cpu=shared"};
	static const char *const spread[] = {"name=s,vcpus=4,memory=20G,cpu=shared"};
	static const char *const fixed[] = {"name=s,vcpus=4,memory=20G,cpu=shared,numa=1"};
	static const char *const huge[] = {"name=s,vcpus=64,memory=40G,cpu=shared"};
	vmp_host *h = synth("pack:2 [numa(memory=16GiB)] l3:1 core:8 pu:2");
	vmp_plan *p;

	(void)st;
	h->nodes[0].free_bytes = 8ULL << 30; /* node 0 has more CPUs free but too little memory */
	vmp_cpuset_parse(&h->reserved, "16-19");
	p = solve(h, VMP_ORDER_GIVEN, low0, 1);
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].ncells, 1);
	assert_int_equal(p->vms[0].cells[0].host_node, h->nodes[1].id);
	vmp_plan_free(p);
	h->nodes[0].free_bytes = h->nodes[0].memory_bytes;
	vmp_cpuset_zero(&h->reserved);

	p = solve(h, VMP_ORDER_GIVEN, spread, 1);
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].ncells, 2);
	assert_int_equal(p->vms[0].cells[0].memory_bytes + p->vms[0].cells[1].memory_bytes,
			 20ULL << 30);
	assert_int_not_equal(p->vms[0].cells[0].host_node, p->vms[0].cells[1].host_node);
	vmp_plan_free(p);

	p = solve(h, VMP_ORDER_GIVEN, fixed, 1);
	assert_false(p->vms[0].placed);
	assert_int_equal(p->vms[0].bind, VMP_BIND_NUMA);
	assert_non_null(strstr(p->vms[0].reason, "cpu=shared needs 20GiB of memory in 1 guest"));
	vmp_plan_free(p);

	static const char *const unsplittable[] = {
	    "name=s,vcpus=4,memory=1G,numa=2,hugepages=1G,cpu=shared"};
	p = solve(h, VMP_ORDER_GIVEN, unsplittable, 1);
	assert_false(p->vms[0].placed);
	assert_int_equal(p->vms[0].bind, VMP_BIND_SHAPE); /* lowering memory would not help */
	assert_non_null(strstr(p->vms[0].reason, "cannot split 1GiB of memory into 2 guest cells"));
	vmp_plan_free(p);

	p = solve(h, VMP_ORDER_GIVEN, huge, 1);
	assert_false(p->vms[0].placed);
	assert_int_equal(p->vms[0].bind, VMP_BIND_MEMORY);
	assert_non_null(strstr(p->vms[0].reason, "the host has 32GiB free in all"));
	assert_null(strstr(p->vms[0].reason, "dedicated"));
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* A hybrid host: single-thread cores beside two-thread ones. threads=require takes only
 * whole two-thread cores, and a request that cannot fit ends (it used to spin forever). */
static void test_require_on_hybrid(void **st)
{
	static const char *const big[] = {"name=a,vcpus=8,memory=1G,threads=require"};
	static const char *const fits[] = {"name=a,vcpus=4,memory=1G,threads=require"};
	vmp_host *h = synth("node:1 core:7 pu:2");
	vmp_plan *p;

	(void)st;
	/* Cores 0-4 lose their second thread: 5 single-thread cores and 2 SMT cores. */
	for (int c = 0; c < 5; c++) {
		int second = vmp_cpuset_next(&h->cores[c].pus, vmp_cpuset_first(&h->cores[c].pus));
		vmp_cpuset_clr(&h->cores[c].pus, second);
		vmp_cpuset_clr(&h->online, second);
		vmp_cpuset_clr(&h->nodes[0].cpus, second);
		vmp_cpuset_clr(&h->packages[0].cpus, second);
		for (int i = vmp_host_pu_index(h, second); i + 1 < h->npus; i++)
			h->pus[i] = h->pus[i + 1];
		h->npus--;
	}
	assert_int_equal(vmp_host_check(h), VMP_OK);
	p = solve(h, VMP_ORDER_GIVEN, big, 1);
	assert_false(p->vms[0].placed);
	assert_non_null(strstr(p->vms[0].reason, "the host has 4 free in all"));
	vmp_plan_free(p);
	p = solve(h, VMP_ORDER_GIVEN, fits, 1);
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].threads, 2);
	for (unsigned v = 0; v < 4; v++)
		assert_true(core_of(h, p->vms[0].vcpupin[v]) >= 5);
	vmp_plan_free(p);
	vmp_host_free(h);
}

static void test_bad_requests(void **st)
{
	vmp_host *h = synth("node:1 core:2 pu:1");
	vmp_vm_request r[2];
	vmp_plan *p = NULL;

	(void)st;
	memset(r, 0, sizeof(r));
	assert_int_equal(vmp_spec_parse(&r[0], "name=x,vcpus=1,memory=128M"), VMP_OK);
	r[1] = r[0];
	assert_int_equal(vmp_plan_solve(&p, h, r, 2, NULL), VMP_EINVAL);
	assert_null(p);
	assert_non_null(strstr(vmp_error_last(), "'x'"));
	r[0].vcpus = 0;
	assert_int_equal(vmp_plan_solve(&p, h, r, 1, NULL), VMP_EINVAL);
	assert_int_equal(vmp_spec_parse(&r[0], "name=y,vcpus=2,memory=3M,hugepages=2M"), VMP_OK);
	assert_int_equal(vmp_plan_solve(&p, h, r, 1, NULL), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "multiple of the page size"));
	vmp_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whole_cores_first),
	    cmocka_unit_test(test_odd_vcpu_fills_hole),
	    cmocka_unit_test(test_isolate_leaves_siblings_idle),
	    cmocka_unit_test(test_require_whole_cores),
	    cmocka_unit_test(test_one_node_when_it_fits),
	    cmocka_unit_test(test_fewest_l3_domains),
	    cmocka_unit_test(test_spread_when_too_big),
	    cmocka_unit_test(test_reserved_and_emulator),
	    cmocka_unit_test(test_batch_beats_given),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_hugepages),
	    cmocka_unit_test(test_reason_names_binding_constraint),
	    cmocka_unit_test(test_reason_follows_what_is_free),
	    cmocka_unit_test(test_mb_closids),
	    cmocka_unit_test(test_mb_no_group_and_huge_cap),
	    cmocka_unit_test(test_cache_other_node),
	    cmocka_unit_test(test_shared_memory),
	    cmocka_unit_test(test_cache_edges),
	    cmocka_unit_test(test_require_on_hybrid),
	    cmocka_unit_test(test_bad_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
