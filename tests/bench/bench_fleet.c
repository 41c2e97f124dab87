/* Fleet benchmark: 1,000 hosts of 2-8 NUMA nodes (host.json files) and 20,000 VMs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/fleet.h"
#include "vmplan/fleet_plan.h"
#include "vmplan/host_json.h"
#include "vmplan/probe.h"
#include "vmplan/probe_fleet.h"
#include "vmplan/spec.h"

static uint64_t rng = 1;
static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng >> 33) % n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_fleet: %s: %s\n", what, vmp_error_last());
	exit(1);
}

/* DIR/nN.json for N = 2..8 nodes (2 packages from 4 nodes up), and DIR/fleet.yaml. */
static void write_files(const char *dir, int nhosts)
{
	char path[512], desc[128], *json;
	FILE *f;
	vmp_host *h;

	for (int n = 2; n <= 8; n++) {
		if (n >= 4 && n % 2 == 0)
			snprintf(desc, sizeof(desc), "pack:2 l3:%d [numa(memory=64GB)] core:8 pu:2",
				 n / 2);
		else
			snprintf(desc, sizeof(desc), "pack:1 l3:%d [numa(memory=64GB)] core:8 pu:2",
				 n);
		if (vmp_probe_synthetic(&h, desc) < 0)
			die(desc);
		if (vmp_host_to_json(&json, h) < 0)
			die("host.json");
		snprintf(path, sizeof(path), "%s/n%d.json", dir, n);
		if (vmp_file_write_atomic(path, json, strlen(json)) < 0)
			die(path);
		free(json);
		vmp_host_free(h);
	}
	snprintf(path, sizeof(path), "%s/fleet.yaml", dir);
	if (!(f = fopen(path, "w")))
		die(path);
	fprintf(f, "hosts:\n");
	for (int i = 0; i < nhosts; i++)
		fprintf(f, "  - host: n%d.json\n    name: h%d\n%s", 2 + i % 7, i,
			i % 3 == 0 ? "    labels: [ssd]\n" : "");
	fclose(f);
}

/* n VMs: 1-8 vCPUs, 1-16 GiB; every 10th wants ssd, every 4th is in one of n/8 groups. */
static vmp_vm_request *mix(int n)
{
	static const unsigned vcpus[] = {1, 2, 2, 4, 4, 8};
	vmp_vm_request *reqs = calloc((size_t)n, sizeof(*reqs));

	for (int i = 0; reqs && i < n; i++) {
		char spec[160];
		int len = snprintf(spec, sizeof(spec), "name=vm%d,vcpus=%u,memory=%uG", i,
				   vcpus[rnd(6)], 1 + rnd(16));
		if (i % 10 == 0)
			len += snprintf(spec + len, sizeof(spec) - (size_t)len, ",host=ssd");
		if (i % 4 == 0)
			snprintf(spec + len, sizeof(spec) - (size_t)len, ",group=g%u",
				 rnd((unsigned)n / 8));
		if (vmp_spec_parse(&reqs[i], spec) < 0)
			die(spec);
	}
	return reqs;
}

static void run(const char *dir, int nvms, vmp_fleet_policy policy, vmp_plan_order order)
{
	char path[512];
	vmp_fleet *fleet;
	vmp_fleet_plan *fp;
	vmp_vm_request *reqs = mix(nvms);
	vmp_fleet_options o = {.order = order, .policy = policy};
	double t0 = now_s(), t1, t2;
	int total, placed;
	unsigned long vcpus = 0;

	snprintf(path, sizeof(path), "%s/fleet.yaml", dir);
	if (vmp_fleet_load(&fleet, path) < 0 || vmp_fleet_probe(fleet, 8, NULL, NULL) < 0)
		die(path);
	t1 = now_s();
	if (vmp_fleet_solve(&fp, fleet, reqs, (size_t)nvms, &o) < 0)
		die("solve");
	t2 = now_s();
	placed = vmp_fleet_plan_placed_count(fp, &total);
	for (int h = 0; h < fp->nhosts; h++)
		for (int i = 0; i < fp->hosts[h].plan->nvms; i++)
			vcpus += fp->hosts[h].plan->vms[i].req.vcpus;
	printf("%-6s %-5s %5d hosts (%d up) %6d VMs: load %.2f s, assign+plan %.2f s, "
	       "%d placed (%lu vCPUs) on %d hosts\n",
	       policy == VMP_FLEET_PACK ? "pack" : "spread",
	       order == VMP_ORDER_BATCH ? "batch" : "given", fleet->nhosts,
	       vmp_fleet_up_count(fleet), total, t1 - t0, t2 - t1, placed, vcpus, fp->nhosts);
	if (getenv("BENCH_FLEET_REASONS"))
		for (int i = 0; i < fp->unplaced->nvms; i++)
			printf("  not placed: %s: %s\n", fp->unplaced->vms[i].req.name,
			       fp->unplaced->vms[i].reason);
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(fleet);
	free(reqs);
}

int main(int argc, char **argv)
{
	int nhosts = argc > 1 ? atoi(argv[1]) : 1000, nvms = argc > 2 ? atoi(argv[2]) : 20000;
	const char *only = argc > 3 ? argv[3] : NULL;
	char dir[] = "/tmp/bench_fleet.XXXXXX", cmd[64];
	struct rusage ru;

	if (nhosts < 1 || nvms < 8) {
		fprintf(stderr,
			"usage: bench_fleet [HOSTS [VMS [pack-batch|spread-batch|pack-given]]]\n");
		return 2;
	}
	if (!mkdtemp(dir))
		return 1;
	write_files(dir, nhosts);
	/* A third argument runs one of them: pack-batch, spread-batch or pack-given. */
	if (!only || !strcmp(only, "pack-batch"))
		run(dir, nvms, VMP_FLEET_PACK, VMP_ORDER_BATCH);
	if (!only || !strcmp(only, "spread-batch"))
		run(dir, nvms, VMP_FLEET_SPREAD, VMP_ORDER_BATCH);
	if (!only || !strcmp(only, "pack-given"))
		run(dir, nvms, VMP_FLEET_PACK, VMP_ORDER_GIVEN);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak memory (max RSS): %.1f MiB\n", ru.ru_maxrss / 1024.0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
