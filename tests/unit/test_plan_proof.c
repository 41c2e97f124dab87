/* Proof of the planner: hard constraints on random hosts and mixes, optimality, batch vs first fit.
 */
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

/* A small deterministic PRNG, so that every run checks the same instances. */
static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

/* A random request: any policy the planner knows. */
static void random_request(vmp_vm_request *r, int i, bool rich)
{
	static const char *const pages[] = {"none", "2M", "1G"};
	char spec[256];

	snprintf(spec, sizeof(spec),
		 "name=vm%d,vcpus=%u,memory=%uG,threads=%s%s%s,hugepages=%s,emulator=%s,"
		 "iothreads=%u,cache=%uM,membw=%u%%",
		 i, 1 + rnd(8), 1 + rnd(6),
		 rnd(3) == 0   ? "isolate"
		 : rnd(4) == 0 ? "require"
			       : "prefer",
		 rich && rnd(6) == 0 ? ",cpu=shared" : "", rnd(5) == 0 ? ",numa=2" : "",
		 rich ? pages[rnd(3)] : "none", rich && rnd(3) == 0 ? "isolate" : "share",
		 rich ? rnd(3) : 0, rich ? rnd(5) * 2 : 0, rich ? 10 * rnd(4) : 0);
	/* "cache=0M" and "membw=0%" are refused; drop them. */
	char *z;
	if ((z = strstr(spec, ",cache=0M")))
		memmove(z, z + 9, strlen(z + 9) + 1);
	if ((z = strstr(spec, ",membw=0%")))
		memmove(z, z + 9, strlen(z + 9) + 1);
	if (vmp_spec_parse(r, spec) != VMP_OK)
		fail_msg("spec '%s': %s", spec, vmp_error_last());
	if (r->threads == VMP_THREADS_REQUIRE && r->vcpus % 2)
		r->vcpus++;
	if (r->numa_cells > r->vcpus)
		r->vcpus = r->numa_cells;
}

/* Give a host resctrl, hugepage pools and an existing VM, as a probe would find them. */
static void decorate(vmp_host *h)
{
	h->resctrl.present = true;
	h->resctrl.l3.present = true;
	h->resctrl.l3.cbm_mask = 0x7ff;
	h->resctrl.l3.min_cbm_bits = 2;
	h->resctrl.l3.num_closids = 4 + rnd(8);
	h->resctrl.l3.cdp = rnd(4) == 0;
	h->resctrl.groups_used = 1;
	h->resctrl.l3.ndomains = h->nl3;
	for (int l = 0; l < h->nl3 && l < VMP_RDT_DOMAINS_MAX; l++) {
		h->resctrl.l3.domains[l].id = h->l3s[l].id;
		h->resctrl.l3.domains[l].used_mask = rnd(2) ? 0x3 : 0x0;
		if (!h->l3s[l].size_bytes)
			h->l3s[l].size_bytes = 22ULL << 20;
	}
	h->resctrl.mb.present = true;
	h->resctrl.mb.min_bandwidth = 10;
	h->resctrl.mb.bandwidth_gran = 10;
	h->resctrl.mb.ndomains = h->nl3;
	for (int l = 0; l < h->nl3 && l < VMP_RDT_DOMAINS_MAX; l++)
		h->resctrl.mb.domain_ids[l] = h->l3s[l].id;
	for (int n = 0; n < h->nnodes; n++)
		if (rnd(2)) {
			h->nodes[n].nhugepages = 1;
			h->nodes[n].hugepages[0] = (vmp_hugepages){1048576, 8, 2 + rnd(6)};
		}
	/* An existing VM holds one PU; the probe reduces free memory too. */
	vmp_cpuset_set(&h->used, h->pus[rnd((uint32_t)h->npus)].os_index);
	h->nodes[0].free_bytes -= h->nodes[0].free_bytes / 8;
}

static int check_instances(vmp_host *h, int rounds, bool rich)
{
	int plans = 0;

	for (int round = 0; round < rounds; round++) {
		vmp_vm_request reqs[16];
		int n = 3 + (int)rnd(12);
		for (int i = 0; i < n; i++)
			random_request(&reqs[i], i, rich);
		for (int order = 0; order < 2; order++) {
			vmp_plan_options opts = {.order =
						     order ? VMP_ORDER_GIVEN : VMP_ORDER_BATCH};
			vmp_plan *plan = NULL;
			const char *why;
			assert_int_equal(vmp_plan_solve(&plan, h, reqs, (size_t)n, &opts), VMP_OK);
			if ((why = plan_violation(h, plan)))
				fail_msg("constraint broken (round %d, %s order): %s", round,
					 order ? "given" : "batch", why);
			for (int i = 0; i < plan->nvms; i++)
				if (!plan->vms[i].placed)
					assert_true(plan->vms[i].reason[0] != '\0');
			vmp_plan_free(plan);
			plans++;
		}
	}
	return plans;
}

/* Many random synthetic hosts, with resctrl, pools, reservations and existing VMs. */
static void test_random_synthetic(void **st)
{
	int plans = 0;

	(void)st;
	rng_state = 42;
	for (int t = 0; t < 60; t++) {
		char desc[256];
		vmp_host *h = NULL;
		snprintf(desc, sizeof(desc), "pack:%u [numa(memory=%uGiB)] l3:%u core:%u pu:%u",
			 1 + rnd(2), 8 + 8 * rnd(4), 1 + rnd(2), 2 + rnd(5), 1 + rnd(2));
		/* Some hosts have several nodes per package. */
		if (rnd(3) == 0)
			snprintf(desc, sizeof(desc),
				 "pack:2 numa:%u(memory=%uGiB) l3:1 core:%u pu:2", 1 + rnd(3),
				 8 + 8 * rnd(3), 2 + rnd(4));
		assert_int_equal(vmp_probe_synthetic(&h, desc), VMP_OK);
		decorate(h);
		if (rnd(2))
			vmp_plan_reserve_auto(&h->reserved, h);
		plans += check_instances(h, 5, true);
		vmp_host_free(h);
	}
	printf("checked %d plans on 60 random synthetic hosts\n", plans);
}

/* Real machines from ../shared/fixtures, where that tier is present. */
static void test_random_fixtures(void **st)
{
	static const char *const files[] = {
	    "16em64t-4s2c2t.xml",
	    "16em64t-4s2c2t-offlines.xml",
	    "192em64t-24n8c2t.xml",
	    "24em64t-2n6c2t-pci.xml",
	    "64intel64-fakeKNL-SNC4-hybrid.xml",
	    "16amd64-8n2c-cpusets.xml",
	    "96em64t-4n4d3ca2co-pci.xml",
	};
	int plans = 0, hosts = 0;

	(void)st;
	rng_state = 7;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[1024];
		vmp_host *h = NULL;
		snprintf(path, sizeof(path), "%s/hwloc-xml/%s", VMPLAN_FIXTURES, files[i]);
		if (access(path, R_OK) != 0)
			continue;
		assert_int_equal(vmp_probe_xml(&h, path), VMP_OK);
		decorate(h);
		vmp_plan_reserve_auto(&h->reserved, h);
		plans += check_instances(h, 10, true);
		vmp_host_free(h);
		hosts++;
	}
	if (hosts == 0)
		skip();
	printf("checked %d plans on %d fixture hosts\n", plans, hosts);
}

/*
 * Exhaustive search on small instances: every VM unplaced, or split evenly
 * over any ordered tuple of distinct nodes, dedicated vCPUs with
 * threads=prefer on single-thread cores. The optimum places the most VMs,
 * then the most vCPUs, then uses the fewest nodes in all (the solver's order):
 * "nodes" below is nodes - 1000 * vCPUs, the smaller the better.
 */
typedef struct small {
	int nnodes, cpus[3];
	uint64_t mem[3];
	int nvms, vcpus[6];
	uint64_t vmem[6];
} small;

/* Even shares, the larger first (as many real NUMA fitters split). */
static void shares(uint64_t *out, int k, uint64_t total, uint64_t unit)
{
	uint64_t units = total / unit;

	for (int i = 0; i < k; i++)
		out[i] = (units / k + ((uint64_t)i < units % k ? 1 : 0)) * unit;
	out[k - 1] += total - units * unit;
}

static void best_rec(const small *s, int i, int *cpu, uint64_t *mem, int placed, int nodes,
		     int *best_placed, int *best_nodes)
{
	if (i == s->nvms) {
		if (placed > *best_placed || (placed == *best_placed && nodes < *best_nodes)) {
			*best_placed = placed;
			*best_nodes = nodes;
		}
		return;
	}
	best_rec(s, i + 1, cpu, mem, placed, nodes, best_placed, best_nodes);
	/* Every ordered tuple of k distinct nodes takes the k shares in order. */
	for (int k = 1; k <= s->nnodes && k <= s->vcpus[i]; k++) {
		uint64_t vc[3], vm[3];
		int tuple[3];
		shares(vc, k, (uint64_t)s->vcpus[i], 1);
		shares(vm, k, s->vmem[i], 1 << 20);
		for (int code = 0; code < 27; code++) {
			bool ok = true;
			for (int j = 0, c = code; j < 3; j++, c /= 3)
				tuple[j] = c % 3;
			if (code >= (k == 1 ? 3 : k == 2 ? 9 : 27))
				break;
			for (int j = 0; j < k && ok; j++) {
				ok = tuple[j] < s->nnodes && cpu[tuple[j]] >= (int)vc[j] &&
				     mem[tuple[j]] >= vm[j];
				for (int m = 0; m < j; m++)
					ok = ok && tuple[m] != tuple[j];
			}
			if (!ok)
				continue;
			for (int j = 0; j < k; j++) {
				cpu[tuple[j]] -= (int)vc[j];
				mem[tuple[j]] -= vm[j];
			}
			best_rec(s, i + 1, cpu, mem, placed + 1, nodes + k - 1000 * s->vcpus[i],
				 best_placed, best_nodes);
			for (int j = 0; j < k; j++) {
				cpu[tuple[j]] += (int)vc[j];
				mem[tuple[j]] += vm[j];
			}
		}
	}
}

static void test_exhaustive_optimum(void **st)
{
	int instances = 400, optimal = 0;

	(void)st;
	rng_state = 2024;
	for (int t = 0; t < instances; t++) {
		small s = {.nnodes = 2 + (int)rnd(2), .nvms = 2 + (int)rnd(5)};
		char desc[128];
		vmp_host *h = NULL;
		vmp_vm_request reqs[6];
		vmp_plan *plan = NULL;
		int cores = 2 + (int)rnd(5), cpu[3], best_placed = -1, best_nodes = 0;
		int placed = 0, nodes = 0;
		uint64_t mem[3];

		snprintf(desc, sizeof(desc), "numa:%d(memory=%dGiB) core:%d pu:1", s.nnodes,
			 4 + 4 * (int)rnd(3), cores);
		assert_int_equal(vmp_probe_synthetic(&h, desc), VMP_OK);
		for (int n = 0; n < s.nnodes; n++) {
			cpu[n] = s.cpus[n] = cores;
			mem[n] = s.mem[n] = h->nodes[n].free_bytes;
		}
		for (int i = 0; i < s.nvms; i++) {
			char spec[128];
			s.vcpus[i] = 1 + (int)rnd((uint32_t)cores + 2);
			s.vmem[i] = (uint64_t)(1 + rnd(6)) << 30;
			snprintf(spec, sizeof(spec), "name=v%d,vcpus=%d,memory=%lluG", i,
				 s.vcpus[i], (unsigned long long)(s.vmem[i] >> 30));
			assert_int_equal(vmp_spec_parse(&reqs[i], spec), VMP_OK);
		}
		best_rec(&s, 0, cpu, mem, 0, 0, &best_placed, &best_nodes);
		assert_int_equal(vmp_plan_solve(&plan, h, reqs, (size_t)s.nvms, NULL), VMP_OK);
		assert_null(plan_violation(h, plan));
		for (int i = 0; i < plan->nvms; i++)
			if (plan->vms[i].placed) {
				placed++;
				nodes += plan->vms[i].ncells - 1000 * (int)plan->vms[i].req.vcpus;
			}
		/* Never better than the optimum: that would mean a broken search or checker. */
		assert_true(placed < best_placed || (placed == best_placed && nodes >= best_nodes));
		if (placed == best_placed && nodes == best_nodes)
			optimal++;
		else if (getenv("VMPLAN_DEBUG_PROOF")) {
			printf("%s:", desc);
			for (int i = 0; i < s.nvms; i++)
				printf(" %d/%lluG", s.vcpus[i],
				       (unsigned long long)(s.vmem[i] >> 30));
			printf(" -> solver %d placed on %d nodes, optimum %d on %d\n", placed,
			       nodes, best_placed, best_nodes);
		}
		vmp_plan_free(plan);
		vmp_host_free(h);
	}
	printf("solver optimal on %d of %d small instances (%.1f%%)\n", optimal, instances,
	       100.0 * optimal / instances);
	assert_true(optimal * 100 >= 95 * instances);
}

/* What Nova and the Kubernetes managers do: one VM at a time, the first node with room. */
static int first_fit(const vmp_host *h, const vmp_vm_request *reqs, int n)
{
	int *cpu = calloc((size_t)h->nnodes, sizeof(*cpu)), placed = 0;
	uint64_t *mem = calloc((size_t)h->nnodes, sizeof(*mem));

	assert_non_null(cpu);
	assert_non_null(mem);
	for (int i = 0; i < h->nnodes; i++) {
		cpu[i] = vmp_cpuset_count(&h->nodes[i].cpus);
		mem[i] = h->nodes[i].free_bytes;
	}
	for (int v = 0; v < n; v++)
		for (int i = 0; i < h->nnodes; i++)
			if (cpu[i] >= (int)reqs[v].vcpus && mem[i] >= reqs[v].memory_bytes) {
				cpu[i] -= (int)reqs[v].vcpus;
				mem[i] -= reqs[v].memory_bytes;
				placed++;
				break;
			}
	free(cpu);
	free(mem);
	return placed;
}

/*
 * Mixes that fragment a host: VM pairs that together fill a node exactly,
 * the small halves listed first. First fit packs the small ones together and
 * strands the big ones; a perfect packing exists.
 */
static void test_batch_beats_first_fit(void **st)
{
	int total_batch = 0, total_ff = 0, total_given = 0, total_one = 0, total = 0;

	(void)st;
	rng_state = 99;
	for (int t = 0; t < 100; t++) {
		vmp_host *h = NULL;
		vmp_vm_request reqs[16];
		vmp_plan *batch = NULL, *given = NULL;
		vmp_plan_options g = {.order = VMP_ORDER_GIVEN};
		int n = 0, cores = 4 + 2 * (int)rnd(3), small_vcpus[4];
		char desc[128];

		snprintf(desc, sizeof(desc), "numa:%d(memory=64GiB) core:%d pu:1", 2 + (int)rnd(3),
			 cores);
		assert_int_equal(vmp_probe_synthetic(&h, desc), VMP_OK);
		for (int i = 0; i < h->nnodes; i++) {
			char spec[96];
			small_vcpus[i] = 1 + (int)rnd((uint32_t)cores / 2 - 1);
			snprintf(spec, sizeof(spec), "name=s%d,vcpus=%d,memory=4G", n,
				 small_vcpus[i]);
			assert_int_equal(vmp_spec_parse(&reqs[n++], spec), VMP_OK);
		}
		for (int i = 0; i < h->nnodes; i++) {
			char spec[96];
			snprintf(spec, sizeof(spec), "name=b%d,vcpus=%d,memory=8G", n,
				 cores - small_vcpus[i]);
			assert_int_equal(vmp_spec_parse(&reqs[n++], spec), VMP_OK);
		}
		assert_int_equal(vmp_plan_solve(&batch, h, reqs, (size_t)n, NULL), VMP_OK);
		assert_int_equal(vmp_plan_solve(&given, h, reqs, (size_t)n, &g), VMP_OK);
		assert_null(plan_violation(h, batch));
		assert_null(plan_violation(h, given));
		int ff = first_fit(h, reqs, n), b = vmp_plan_placed_count(batch);
		assert_true(b >= ff);
		for (int i = 0; i < batch->nvms; i++)
			total_one += batch->vms[i].placed && batch->vms[i].ncells == 1;
		total_batch += b;
		total_ff += ff;
		total_given += vmp_plan_placed_count(given);
		total += n;
		vmp_plan_free(batch);
		vmp_plan_free(given);
		vmp_host_free(h);
	}
	printf("fragmenting mixes: %d VMs; batch placed %d (%d in one node each), given order "
	       "%d, first fit %d\n",
	       total, total_batch, total_one, total_given, total_ff);
	assert_true(total_batch > total_ff);
}

/* A medium dedicated VM: SMT policies, numa=2 and hugepages now and then. */
static void medium_request(vmp_vm_request *r, int i, int T)
{
	static const char *const threads[] = {"prefer", "prefer", "isolate", "require"};
	char spec[160];
	int pol = (int)rnd(4), vcpus = 1 + (int)rnd(12);

	if (pol == 3 && vcpus % T)
		vcpus += T - vcpus % T;
	snprintf(spec, sizeof(spec), "name=m%d,vcpus=%d,memory=%uG,threads=%s%s%s", i, vcpus,
		 1 + rnd(24), threads[pol], rnd(4) == 0 ? ",hugepages=2M" : "",
		 rnd(6) == 0 && vcpus >= 2 * T ? ",numa=2" : "");
	assert_int_equal(vmp_spec_parse(r, spec), VMP_OK);
}

/*
 * Medium instances (2 to 8 nodes, up to 128 PUs, 10 to 40 VMs asking 1.1 to 1.5 times the
 * host's PUs): no plan, batch or the heuristic alone, ever places more than the solver's
 * bound, batch never fewer than the heuristic alone, and batch reaches the bound (optimal)
 * in most of them. The budget is wall-clock, so the test gives the solver 5 s, not the
 * default 1.5: CI runs it under sanitizers and beside other steps. The figures are printed;
 * the floor asserted (85 %) is below what was measured on a loaded 2-CPU machine: 58-59 of
 * 60 at the default budget, 59 at 5 s, 58 at 5 s under ASan. To measure:
 * VMPLAN_PROOF_N (instances, 60), VMPLAN_PROOF_BUDGET (seconds; 0 the default budget),
 * VMPLAN_DEBUG_PROOF (a line per instance).
 */
/* VMPLAN_PROOF_ONLY=",3,14," runs those instances alone (to study them). */
static bool skip_instance(int t)
{
	char key[16];

	snprintf(key, sizeof(key), ",%d,", t);
	return getenv("VMPLAN_PROOF_ONLY") && !strstr(getenv("VMPLAN_PROOF_ONLY"), key);
}

static void test_medium_optimum(void **st)
{
	int instances = getenv("VMPLAN_PROOF_N") ? atoi(getenv("VMPLAN_PROOF_N")) : 60;
	int optimal = 0, heur_optimal = 0, feasible = 0, ran = 0;
	double placed = 0, heur = 0, bound = 0, seconds = 0, worst = 1;
	double budget = getenv("VMPLAN_PROOF_BUDGET") ? atof(getenv("VMPLAN_PROOF_BUDGET")) : 5;

	(void)st;
	rng_state = 4242;
	for (int t = 0; t < instances; t++) {
		int nodes = 2 + (int)rnd(7), T = 1 + (int)rnd(2), cores = 2 + (int)rnd(8);
		char desc[128];
		vmp_host *h = NULL;
		vmp_vm_request reqs[40];
		vmp_plan *batch = NULL, *alone = NULL;
		vmp_plan_options heuristic = {.time_limit_s = -1}, exact = {.time_limit_s = budget};
		int n = 0, want;

		snprintf(desc, sizeof(desc), "numa:%d(memory=%dGiB) core:%d pu:%d", nodes,
			 16 * (1 + (int)rnd(4)), cores, T);
		assert_int_equal(vmp_probe_synthetic(&h, desc), VMP_OK);
		want = h->npus * (11 + (int)rnd(5)) / 10;
		for (int asked = 0; n < 40 && (asked < want || n < 10); n++) {
			medium_request(&reqs[n], n, T);
			asked += (int)reqs[n].vcpus;
		}
		if (skip_instance(t)) {
			vmp_host_free(h);
			continue;
		}
		ran++;
		assert_int_equal(vmp_plan_solve(&batch, h, reqs, (size_t)n, &exact), VMP_OK);
		assert_int_equal(vmp_plan_solve(&alone, h, reqs, (size_t)n, &heuristic), VMP_OK);
		assert_null(plan_violation(h, batch));
		const vmp_plan_solver *sv = &batch->solver;
		assert_true(sv->status == VMP_SOLVER_OPTIMAL || sv->status == VMP_SOLVER_FEASIBLE);
		/* Never above the bound: that would mean a model row no plan needs. */
		assert_true(sv->placed <= sv->bound + 1e-9);
		assert_true(vmp_plan_placed_count(alone) <= sv->bound + 1e-9);
		assert_true(vmp_plan_placed_count(batch) >= vmp_plan_placed_count(alone));
		optimal += sv->status == VMP_SOLVER_OPTIMAL;
		if (getenv("VMPLAN_DEBUG_PROOF"))
			printf("%2d %s n=%d: %s placed %g bound %g %.2f s\n", t, desc, n,
			       sv->status == VMP_SOLVER_OPTIMAL ? "optimal" : "feasible",
			       sv->placed, sv->bound, sv->seconds);
		feasible += sv->status == VMP_SOLVER_FEASIBLE;
		heur_optimal += vmp_plan_placed_count(alone) >= sv->bound - 1e-9;
		placed += sv->placed;
		heur += vmp_plan_placed_count(alone);
		bound += sv->bound;
		seconds += sv->seconds;
		if (sv->bound > 0 && vmp_plan_placed_count(alone) / sv->bound < worst)
			worst = vmp_plan_placed_count(alone) / sv->bound;
		vmp_plan_free(batch);
		vmp_plan_free(alone);
		vmp_host_free(h);
	}
	printf("medium instances: batch optimal on %d of %d (%d with a gap), placed %.0f of "
	       "bound %.0f, %.2f s on average; the heuristic alone optimal on %d, placed %.0f "
	       "(%.1f%% of the bound, worst %.0f%%)\n",
	       optimal, ran, feasible, placed, bound, seconds / ran, heur_optimal, heur,
	       100.0 * heur / bound, 100.0 * worst);
	assert_true(optimal * 100 >= 85 * ran);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_synthetic),   cmocka_unit_test(test_random_fixtures),
	    cmocka_unit_test(test_exhaustive_optimum), cmocka_unit_test(test_batch_beats_first_fit),
	    cmocka_unit_test(test_medium_optimum),
	};
	if (getenv("VMPLAN_TEST_FILTER"))
		cmocka_set_test_filter(getenv("VMPLAN_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
