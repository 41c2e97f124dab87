/* Spreading one VM over nodes: whenever some set of nodes holds it, the planner places it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit/plancheck.h"
#include "vmplan/error.h"
#include "vmplan/plan.h"
#include "vmplan/probe.h"
#include "vmplan/spec.h"

#define MAXN 6

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

/* Even shares, the larger first, the remainder on the last (written apart from the planner). */
static void shares(uint64_t *out, int k, uint64_t total, uint64_t unit)
{
	uint64_t units = total / unit;

	for (int i = 0; i < k; i++)
		out[i] = (units / k + ((uint64_t)i < units % k ? 1 : 0)) * unit;
	out[k - 1] += total - units * unit;
}

/* Can shares j.. of vc/vm go to distinct nodes not in used? Every assignment is tried. */
static bool assign(const int *cpu, const uint64_t *mem, int nnodes, const uint64_t *vc,
		   const uint64_t *vm, int k, int j, unsigned used)
{
	if (j == k)
		return true;
	for (int n = 0; n < nnodes; n++)
		if (!(used & (1u << n)) && cpu[n] >= (int)vc[j] && mem[n] >= vm[j] &&
		    assign(cpu, mem, nnodes, vc, vm, k, j + 1, used | (1u << n)))
			return true;
	return false;
}

/* Brute force: some k distinct nodes take the VM's k even shares. */
static bool brute_fits(const int *cpu, const uint64_t *mem, int nnodes, int vcpus, uint64_t bytes)
{
	for (int k = 1; k <= nnodes && k <= vcpus; k++) {
		uint64_t vc[MAXN], vm[MAXN];
		shares(vc, k, (uint64_t)vcpus, 1);
		shares(vm, k, bytes, 1 << 20);
		if (assign(cpu, mem, nnodes, vc, vm, k, 0, 0))
			return true;
	}
	return false;
}

/*
 * Random hosts of 2 to 6 nodes, each with its own free CPUs (others held by existing VMs)
 * and free memory, and one VM: placed exactly when a brute force finds nodes for it.
 */
static void test_single_vm_property(void **st)
{
	int fits = 0, spread = 0, trials = 3000;
	vmp_plan_options heuristic = {.time_limit_s = -1};

	(void)st;
	rng_state = 1313;
	for (int t = 0; t < trials; t++) {
		int nnodes = 2 + (int)rnd(MAXN - 1), cores = 1 + (int)rnd(6), cpu[MAXN], vcpus;
		uint64_t mem[MAXN], bytes;
		char desc[128], spec[128];
		vmp_host *h = NULL;
		vmp_vm_request req;
		vmp_plan *plan = NULL;

		snprintf(desc, sizeof(desc), "numa:%d(memory=32GiB) core:%d pu:1", nnodes, cores);
		assert_int_equal(vmp_probe_synthetic(&h, desc), VMP_OK);
		for (int n = 0; n < nnodes; n++) {
			int p0 = n * cores, held = (int)rnd((uint32_t)cores + 1);
			for (int p = 0; p < held; p++)
				vmp_cpuset_set(&h->used, h->pus[p0 + p].os_index);
			cpu[n] = cores - held;
			h->nodes[n].free_bytes = mem[n] = (uint64_t)(1 + rnd(16)) << 30;
		}
		vcpus = 1 + (int)rnd((uint32_t)(nnodes * cores));
		bytes = (uint64_t)(1 + rnd(48)) << 30;
		snprintf(spec, sizeof(spec), "name=a,vcpus=%d,memory=%lluG", vcpus,
			 (unsigned long long)(bytes >> 30));
		assert_int_equal(vmp_spec_parse(&req, spec), VMP_OK);
		bool want = brute_fits(cpu, mem, nnodes, vcpus, bytes);
		/* The heuristic's spread search alone: the exact solver would hide a miss. */
		assert_int_equal(vmp_plan_solve(&plan, h, &req, 1, &heuristic), VMP_OK);
		assert_null(plan_violation(h, plan));
		if (plan->vms[0].placed != want)
			fail_msg("%s, free cpus/GiB %d/%llu %d/%llu ...: vm %d vCPUs %lluG: brute "
				 "force %s, planner %s (%s)",
				 desc, cpu[0], (unsigned long long)(mem[0] >> 30), cpu[1],
				 (unsigned long long)(mem[1] >> 30), vcpus,
				 (unsigned long long)(bytes >> 30), want ? "fits" : "no",
				 plan->vms[0].placed ? "placed" : "refused", plan->vms[0].reason);
		fits += want;
		spread += want && plan->vms[0].ncells > 1;
		vmp_plan_free(plan);
		vmp_host_free(h);
	}
	printf("single VM on %d random hosts: %d fit by brute force (%d spread), all placed\n",
	       trials, fits, spread);
	/* The property means something only when both outcomes and spreading occur. */
	assert_true(fits > trials / 10 && fits < trials);
	assert_true(spread > trials / 20);
}

/* The fixture miss: nodes 1, 3, 5 and 7 (16 GiB, 1 PU each) hold 4 vCPUs and 64 GiB exactly. */
static void test_fixture_hetero_distances(void **st)
{
	char path[1024];
	vmp_host *h = NULL;
	vmp_vm_request req;
	vmp_plan *plan = NULL;
	vmp_plan_options heuristic = {.time_limit_s = -1};

	(void)st;
	snprintf(path, sizeof(path), "%s/hwloc-xml/fakeheterodistances.xml", VMPLAN_FIXTURES);
	if (access(path, R_OK) != 0)
		skip();
	assert_int_equal(vmp_probe_xml(&h, path), VMP_OK);
	assert_int_equal(vmp_plan_reserve(h, "none"), VMP_OK);
	assert_int_equal(vmp_spec_parse(&req, "name=a,vcpus=4,memory=64G"), VMP_OK);
	assert_int_equal(vmp_plan_solve(&plan, h, &req, 1, &heuristic), VMP_OK);
	assert_null(plan_violation(h, plan));
	assert_true(plan->vms[0].placed);
	assert_int_equal(plan->vms[0].ncells, 4);
	for (int c = 0; c < 4; c++)
		assert_int_equal(plan->vms[0].cells[c].host_node % 2, 1);
	vmp_plan_free(plan);
	vmp_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_vm_property),
	    cmocka_unit_test(test_fixture_hetero_distances),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
