/* Planner benchmark: plan time for big hosts and mixes, and how it grows with NUMA nodes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vmplan/error.h"
#include "vmplan/host_json.h"
#include "vmplan/plan.h"
#include "vmplan/plan_json.h"
#include "vmplan/probe.h"
#include "vmplan/spec.h"

#include "../unit/given_mix.h"

static uint64_t rng = 1;
static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng >> 33) % n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static vmp_vm_request *mix(int n, unsigned max_vcpus)
{
	static const char *const threads[] = {"prefer", "prefer", "isolate", "require"};
	vmp_vm_request *reqs = calloc((size_t)n, sizeof(*reqs));

	for (int i = 0; reqs && i < n; i++) {
		char spec[128];
		unsigned v = 1 + rnd(max_vcpus);
		const char *t = threads[rnd(4)];
		if (!strcmp(t, "require"))
			v += v % 2;
		snprintf(spec, sizeof(spec), "name=vm%d,vcpus=%u,memory=%uG,threads=%s", i, v,
			 1 + rnd(4), t);
		if (vmp_spec_parse(&reqs[i], spec) < 0) {
			fprintf(stderr, "%s\n", vmp_error_last());
			exit(1);
		}
	}
	return reqs;
}

/* Plan n VMs on host `repeat` times; print the median time and the VMs placed. */
static void run(const char *label, vmp_host *h, int n, unsigned max_vcpus, vmp_plan_order order)
{
	enum { REPEAT = 5 };
	double ms[REPEAT];
	int placed = 0;
	char solver[160] = "";
	vmp_vm_request *reqs = mix(n, max_vcpus);
	vmp_plan_options opts = {.order = order};

	vmp_plan_reserve_auto(&h->reserved, h);
	for (int r = 0; r < REPEAT; r++) {
		vmp_plan *plan = NULL;
		double t0 = now_ms();
		if (vmp_plan_solve(&plan, h, reqs, (size_t)n, &opts) < 0) {
			fprintf(stderr, "%s\n", vmp_error_last());
			exit(1);
		}
		ms[r] = now_ms() - t0;
		placed = vmp_plan_placed_count(plan);
		vmp_plan_solver_describe(solver, sizeof(solver), plan);
		vmp_plan_free(plan);
	}
	for (int i = 1; i < REPEAT; i++)
		for (int j = i; j > 0 && ms[j] < ms[j - 1]; j--) {
			double t = ms[j];
			ms[j] = ms[j - 1];
			ms[j - 1] = t;
		}
	printf("%-44s %5d VMs %3d nodes %5d PUs  %-5s %9.2f ms (median of %d)  placed %d\n", label,
	       n, h->nnodes, h->npus, order == VMP_ORDER_BATCH ? "batch" : "given", ms[REPEAT / 2],
	       REPEAT, placed);
	if (solver[0]) /* the last run's statement (the budget: VMP_PLAN_TIME_LIMIT_DEFAULT) */
		printf("%44s solver: %s\n", "", solver);
	free(reqs);
}

static vmp_host *synth(const char *desc);

/* Plan n copies of one spec (named vm0, vm1, ...) once; print the time and the VMs placed. */
static void run_one(const char *label, vmp_host *h, int n, const char *spec, vmp_plan_order order)
{
	vmp_vm_request *reqs = calloc((size_t)n, sizeof(*reqs));
	vmp_plan_options opts = {.order = order};
	vmp_plan *plan = NULL;
	double t0;

	for (int i = 0; reqs && i < n; i++) {
		char full[160];
		snprintf(full, sizeof(full), "name=vm%d,%s", i, spec);
		if (vmp_spec_parse(&reqs[i], full) < 0) {
			fprintf(stderr, "%s\n", vmp_error_last());
			exit(1);
		}
	}
	vmp_plan_reserve_auto(&h->reserved, h);
	t0 = now_ms();
	if (!reqs || vmp_plan_solve(&plan, h, reqs, (size_t)n, &opts) < 0) {
		fprintf(stderr, "%s\n", reqs ? vmp_error_last() : "out of memory");
		exit(1);
	}
	printf("%-44s %5d VMs %4d nodes %5d PUs  %-5s %9.2f ms (one run)  placed %d\n", label, n,
	       h->nnodes, h->npus, order == VMP_ORDER_BATCH ? "batch" : "given", now_ms() - t0,
	       vmp_plan_placed_count(plan));
	vmp_plan_free(plan);
	free(reqs);
}

/* Scale: one VM of 64 vCPUs over many one-CPU nodes, and a mix of 40,000 VMs. */
static void scale(const char *host_json)
{
	vmp_host *h = NULL;

	printf("\nscale (one run each):\n");
	h = synth("pack:128 numa:8 core:1 pu:1");
	run_one("synthetic 1,024 nodes, one 64-vCPU VM", h, 1, "vcpus=64,memory=1G",
		VMP_ORDER_GIVEN);
	run_one("synthetic 1,024 nodes, one 64-vCPU VM", h, 1, "vcpus=64,memory=1G",
		VMP_ORDER_BATCH);
	vmp_host_free(h);
	if (host_json && vmp_host_load_json(&h, host_json) == 0) {
		run_one("host.json, one 64-vCPU VM", h, 1, "vcpus=64,memory=1G", VMP_ORDER_GIVEN);
		run_one("host.json, one 64-vCPU VM", h, 1, "vcpus=64,memory=1G", VMP_ORDER_BATCH);
		vmp_host_free(h);
	} else if (host_json) {
		fprintf(stderr, "bench_plan: cannot read host.json '%s': %s\n", host_json,
			vmp_error_last());
		exit(2);
	}
	h = synth("pack:8 numa:8(memory=64GiB) l3:1 core:8 pu:2");
	run_one("synthetic 64 nodes, 40,000 VMs of 2 vCPUs", h, 40000, "vcpus=2,memory=1G",
		VMP_ORDER_GIVEN);
	run_one("synthetic 64 nodes, 40,000 VMs of 2 vCPUs", h, 40000, "vcpus=2,memory=1G",
		VMP_ORDER_BATCH);
	vmp_host_free(h);
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Plan the n requests once and write plan.json (to memory); print both times, wall and CPU. */
static void run_json(const char *label, vmp_host *h, vmp_vm_request *reqs, int n,
		     vmp_plan_order order)
{
	vmp_plan_options opts = {.order = order};
	vmp_plan *plan = NULL;
	char *json = NULL;
	double t0 = now_ms(), c0 = cpu_ms(), t1, c1;

	if (vmp_plan_solve(&plan, h, reqs, (size_t)n, &opts) < 0) {
		fprintf(stderr, "%s\n", vmp_error_last());
		exit(1);
	}
	t1 = now_ms(), c1 = cpu_ms();
	if (vmp_plan_to_json(&json, plan) < 0) {
		fprintf(stderr, "%s\n", vmp_error_last());
		exit(1);
	}
	printf("%-36s %5d VMs %-5s plan %8.1f ms (CPU %8.1f)  plan.json %7.1f ms (CPU %7.1f, "
	       "%zu bytes)  placed %d\n",
	       label, n, order == VMP_ORDER_BATCH ? "batch" : "given", t1 - t0, c1 - c0,
	       now_ms() - t1, cpu_ms() - c1, strlen(json), vmp_plan_placed_count(plan));
	free(json);
	vmp_plan_free(plan);
}

/* `bench_plan --scale`: these cases alone, so that the peak memory printed is theirs. */
static void scale_json(void)
{
	vmp_host *h = synth("pack:8 numa:8(memory=64GiB) l3:1 core:8 pu:2");
	vmp_vm_request *reqs = mix(4000, 4);
	struct rusage ru;

	printf("plan and plan.json (one run each):\n");
	vmp_plan_reserve_auto(&h->reserved, h);
	run_json("64 nodes, a mix of 4,000", h, reqs, 4000, VMP_ORDER_GIVEN);
	run_json("64 nodes, a mix of 4,000", h, reqs, 4000, VMP_ORDER_BATCH);
	free(reqs);
	reqs = calloc(40000, sizeof(*reqs));
	for (int i = 0; reqs && i < 40000; i++) {
		char spec[64];
		snprintf(spec, sizeof(spec), "name=vm%d,vcpus=2,memory=1G", i);
		if (vmp_spec_parse(&reqs[i], spec) < 0)
			exit(1);
	}
	if (!reqs)
		exit(1);
	run_json("64 nodes, 40,000 VMs of 2 vCPUs", h, reqs, 40000, VMP_ORDER_GIVEN);
	run_json("64 nodes, 40,000 VMs of 2 vCPUs", h, reqs, 40000, VMP_ORDER_BATCH);
	free(reqs);
	vmp_host_free(h);
	h = synth("pack:128 numa:8(memory=4GiB) core:1 pu:1");
	vmp_plan_reserve_auto(&h->reserved, h);
	reqs = mix(300, 64);
	run_json("1,024 nodes, a mix of 300", h, reqs, 300, VMP_ORDER_GIVEN);
	run_json("1,024 nodes, a mix of 300", h, reqs, 300, VMP_ORDER_BATCH);
	free(reqs);
	vmp_host_free(h);
	/* The host model of 4,096 one-CPU nodes, from hwloc's synthetic topology. */
	double t0 = now_ms(), c0 = cpu_ms();
	h = synth("pack:64 numa:64 core:1 pu:1");
	printf("%-36s %5d nodes        %8.1f ms (CPU %8.1f)\n", "probe --synthetic, 4,096 nodes",
	       h->nnodes, now_ms() - t0, cpu_ms() - c0);
	vmp_host_free(h);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak memory (the process): %ld KiB\n", ru.ru_maxrss);
}

static vmp_host *synth(const char *desc)
{
	vmp_host *h = NULL;

	if (vmp_probe_synthetic(&h, desc) < 0) {
		fprintf(stderr, "%s\n", vmp_error_last());
		exit(1);
	}
	return h;
}

/* The exact solver's large models alone (argv[3] "solver"): batch, as in main(). */
static int solver_only(vmp_host *fixture)
{
	vmp_host *h;

	printf("vmplan planner benchmark: the exact solver's large models\n");
	if (fixture) {
		run("fixture 192em64t-24n8c2t", fixture, 200, 8, VMP_ORDER_BATCH);
		vmp_host_free(fixture);
	}
	h = synth("pack:8 numa:8(memory=64GiB) l3:1 core:8 pu:2");
	run("synthetic 64 nodes x 8 cores x 2 threads", h, 1000, 4, VMP_ORDER_BATCH);
	vmp_host_free(h);
	return 0;
}

/* One plan of a given-order scenario: the VMs placed, the time into *ms. */
static vmp_plan *given_plan(const vmp_host *h, const vmp_vm_request *reqs, int n,
			    vmp_plan_order order, double *ms)
{
	vmp_plan_options opts = {.order = order};
	vmp_plan *plan = NULL;
	double t0 = now_ms();

	if (vmp_plan_solve(&plan, h, reqs, (size_t)n, &opts) < 0) {
		fprintf(stderr, "%s\n", vmp_error_last());
		exit(1);
	}
	*ms = now_ms() - t0;
	return plan;
}

/* Given order against Nova's first fit (host cells in order; pack and spread: sorted as
 * Nova does since Xena) and batch (argv[1] "given"), on test_plan_given's
 * scenarios: with every VM cut to fit one node, then as drawn (oversize: VMs no node holds,
 * which Nova refuses and vmplan spreads). */
static int given_table(const char *fixtures)
{
	vmp_vm_request *reqs = calloc(GM_MAX_VMS, sizeof(*reqs));

	if (!reqs)
		return 1;
	printf("vmplan planner benchmark: given order vs Nova's first fit (fixtures: %s)\n",
	       fixtures);
	for (int oversize = 0; oversize < 2; oversize++) {
		int tg = 0, tf = 0, tp = 0, ts = 0, tb = 0, below = 0;
		printf("\n%s\n%-28s %4s %6s %9s %6s %9s %6s %6s %6s %9s %s\n",
		       oversize ? "as drawn (VMs larger than any node included):"
				: "each VM fits one node of the empty host:",
		       "scenario", "VMs", "given", "ms", "first", "ms", "pack", "spread", "batch",
		       "ms", "solver");
		for (int s = 0; s < GM_NSCENARIOS; s++) {
			vmp_host *h = NULL;
			double gms, fms, bms, t0;
			char solver[160];
			int rc = gm_host(&h, &gm_scenarios[s], fixtures), n, ff;
			if (rc == 1)
				continue;
			if (rc < 0 || (n = gm_mix(reqs, h, &gm_scenarios[s], oversize)) < 0) {
				fprintf(stderr, "%s\n", vmp_error_last());
				return 1;
			}
			vmp_plan *given = given_plan(h, reqs, n, VMP_ORDER_GIVEN, &gms);
			vmp_plan *batch = given_plan(h, reqs, n, VMP_ORDER_BATCH, &bms);
			t0 = now_ms();
			ff = gm_first_fit(h, reqs, n);
			fms = now_ms() - t0;
			vmp_plan_solver_describe(solver, sizeof(solver), batch);
			int g = vmp_plan_placed_count(given), b = vmp_plan_placed_count(batch);
			int fp = gm_first_fit_mode(h, reqs, n, GM_PACK);
			int fs = gm_first_fit_mode(h, reqs, n, GM_SPREAD);
			printf("%-28s %4d %6d %9.2f %6d %9.2f %6d %6d %6d %9.2f %s\n",
			       gm_scenarios[s].label, n, g, gms, ff, fms, fp, fs, b, bms, solver);
			tp += fp;
			ts += fs;
			tg += g;
			tf += ff;
			tb += b;
			below += g < ff;
			vmp_plan_free(given);
			vmp_plan_free(batch);
			vmp_host_free(h);
		}
		printf("total: given %d, first fit %d (Nova's pack %d, spread %d), batch %d; given "
		       "below first fit on %d\n",
		       tg, tf, tp, ts, tb, below);
	}
	free(reqs);
	return 0;
}

int main(int argc, char **argv)
{
	/* argv[1]: an hwloc XML fixture ("" for none); argv[2]: a host.json for the scale cases
	 * ("" for none); argv[3]: "solver" for solver_only() */
	const char *fixture = argc > 1 && argv[1][0] ? argv[1] : NULL;
	vmp_host *h = NULL;

	if (fixture && !strcmp(fixture, "given"))
		return given_table(argc > 2 && argv[2][0] ? argv[2] : "../shared/fixtures");
	if (fixture && !strcmp(fixture, "--scale")) {
		scale_json();
		return 0;
	}

	if (fixture && (access(fixture, R_OK) != 0 || vmp_probe_xml(&h, fixture) != 0)) {
		/* A fixture asked for and not read: no figures that look like its. */
		fprintf(stderr, "bench_plan: cannot read hwloc XML '%s': %s\n", fixture,
			access(fixture, R_OK) ? strerror(errno) : vmp_error_last());
		return 2;
	}
	if (argc > 3 && !strcmp(argv[3], "solver"))
		return solver_only(h);
	printf("vmplan planner benchmark\n");
	if (h) {
		run("fixture 192em64t-24n8c2t", h, 200, 8, VMP_ORDER_BATCH);
		run("fixture 192em64t-24n8c2t", h, 200, 8, VMP_ORDER_GIVEN);
		vmp_host_free(h);
	}
	h = synth("pack:4 numa:6(memory=64GiB) l3:1 core:8 pu:2");
	run("synthetic 24 nodes x 8 cores x 2 threads", h, 200, 8, VMP_ORDER_BATCH);
	run("synthetic 24 nodes x 8 cores x 2 threads", h, 200, 8, VMP_ORDER_GIVEN);
	vmp_host_free(h);
	h = synth("pack:8 numa:8(memory=64GiB) l3:1 core:8 pu:2");
	run("synthetic 64 nodes x 8 cores x 2 threads", h, 1000, 4, VMP_ORDER_BATCH);
	run("synthetic 64 nodes x 8 cores x 2 threads", h, 1000, 4, VMP_ORDER_GIVEN);
	vmp_host_free(h);
	printf("\ngrowth with NUMA nodes (10 VMs per node, batch):\n");
	for (int nodes = 8; nodes <= 256; nodes *= 2) {
		char desc[128], label[64];
		snprintf(desc, sizeof(desc), "pack:%d numa:8(memory=64GiB) l3:1 core:4 pu:2",
			 nodes / 8);
		snprintf(label, sizeof(label), "synthetic %d nodes", nodes);
		h = synth(desc);
		run(label, h, 10 * nodes, 2, VMP_ORDER_BATCH);
		vmp_host_free(h);
	}
	/* VMs of up to 128 vCPUs on nodes of 4: each one spread over up to 64 nodes. */
	printf("\nVMs larger than a node (spread), 256 nodes of 4 cores:\n");
	h = synth("pack:32 numa:8(memory=64GiB) l3:1 core:4 pu:1");
	run("synthetic 256 nodes, up to 128 vCPUs each", h, 20, 128, VMP_ORDER_BATCH);
	run("synthetic 256 nodes, up to 128 vCPUs each", h, 20, 128, VMP_ORDER_GIVEN);
	vmp_host_free(h);
	scale(argc > 2 && argv[2][0] ? argv[2] : NULL);
	return 0;
}
