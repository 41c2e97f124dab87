/* Rebalance benchmark: a fragmented synthetic fleet, room for a whole-node VM, by move limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "vmplan/error.h"
#include "vmplan/fleet.h"
#include "vmplan/probe.h"
#include "vmplan/rebalance.h"
#include "vmplan/spec.h"

#define GIB (1024ULL * 1024 * 1024)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_rebalance: %s: %s\n", what, vmp_error_last());
	exit(1);
}

/* Each node of 8 CPUs gets VMs of 2 and 3 CPUs (1 GiB per CPU) on CPUs 0-1 and 4-6 of the
 * node, so every node has 3 CPUs free and no node takes an 8-vCPU VM. */
static void fragment(vmp_host *h, int *vms)
{
	h->existing = calloc((size_t)h->nnodes * 2, sizeof(*h->existing));
	if (!h->existing)
		die("out of memory");
	for (int n = 0; n < h->nnodes; n++) {
		int base = vmp_cpuset_first(&h->nodes[n].cpus);

		for (int k = 0; k < 2; k++) {
			vmp_existing_vm *e = &h->existing[h->nexisting++];
			int first = base + (k ? 4 : 0), count = k ? 3 : 2;

			snprintf(e->name, sizeof(e->name), "vm%d", (*vms)++);
			vmp_cpuset_set_range(&e->cpus, first, first + count - 1);
			vmp_cpuset_or(&h->used, &h->used, &e->cpus);
			e->memory_bytes = (uint64_t)count * GIB;
			vmp_cpuset_set(&e->nodes, h->nodes[n].id);
			h->nodes[n].free_bytes -= e->memory_bytes;
		}
	}
}

int main(int argc, char **argv)
{
	int nhosts = argc > 1 ? atoi(argv[1]) : 8, vms = 0;
	const char *desc = "pack:2 [numa(memory=32GB)] core:8 pu:1";
	vmp_host **hosts = calloc((size_t)nhosts, sizeof(*hosts));
	char **names = calloc((size_t)nhosts, sizeof(*names));
	vmp_vm_request r;
	vmp_fleet *f;
	struct rusage ru;

	if (nhosts < 1 || !hosts || !names)
		die("usage: bench_rebalance [HOSTS]");
	for (int i = 0; i < nhosts; i++) {
		if (vmp_probe_synthetic(&hosts[i], desc) < 0)
			die("synthetic host");
		fragment(hosts[i], &vms);
		names[i] = malloc(16);
		snprintf(names[i], 16, "h%d", i);
	}
	if (vmp_fleet_from_hosts(&f, hosts, (const char *const *)names, NULL, nhosts) < 0)
		die("fleet");
	if (vmp_spec_parse(&r, "name=big,vcpus=8,memory=8G,numa=1") < 0)
		die("spec");
	printf("fleet: %d hosts of 2 nodes x 8 CPUs, %d running VMs; make room for 8 vCPUs on one "
	       "node\n",
	       nhosts, vms);
	for (int moves = 1; moves <= 3; moves++) {
		vmp_rebalance_options o = {.max_moves = moves, .reserve = "none"};
		vmp_rebalance *rb;
		double t0 = now_s(), t;

		if (vmp_rebalance_solve(&rb, f, &r, 1, &o) < 0)
			die("rebalance");
		t = now_s() - t0;
		printf(
		    "max-moves %d: %s, %d steps, %ld candidate moves planned, %.3f s (%.1f us per "
		    "candidate)%s\n",
		    moves, rb->done ? "room made" : "no room", rb->nsteps, rb->candidates, t,
		    rb->candidates ? t * 1e6 / (double)rb->candidates : 0.0,
		    rb->budget_out ? ", stopped at the budget" : "");
		vmp_rebalance_free(rb);
	}
	for (int moves = 1; moves <= 2; moves++) {
		vmp_rebalance_options o = {.max_moves = moves, .reserve = "none"};
		vmp_rebalance *rb;
		double t0 = now_s(), t;

		if (vmp_rebalance_solve(&rb, f, NULL, 0, &o) < 0)
			die("rebalance");
		t = now_s() - t0;
		printf(
		    "no request, max-moves %d: free hosts %d -> %d, nodes %d -> %d, %d steps, %ld "
		    "candidates, %.3f s%s\n",
		    moves, rb->free_hosts_before, rb->free_hosts_after, rb->free_nodes_before,
		    rb->free_nodes_after, rb->nsteps, rb->candidates, t,
		    rb->budget_out ? ", stopped at the budget" : "");
		vmp_rebalance_free(rb);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS: %.1f MiB\n", ru.ru_maxrss / 1024.0);
	vmp_fleet_free(f);
	for (int i = 0; i < nhosts; i++)
		free(names[i]);
	free(names);
	free(hosts);
	return 0;
}
