/* Unit tests of fleets: fleet.yaml, assignment (labels, anti-affinity, pack, spread), hosts down.
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

#include "vmplan/error.h"
#include "vmplan/fleet.h"
#include "vmplan/fleet_plan.h"
#include "vmplan/migrate.h"
#include "vmplan/probe.h"
#include "vmplan/probe_fleet.h"
#include "vmplan/spec.h"

#define SMALL "pack:1 [numa(memory=16GB)] core:4 pu:2"

/* A fleet of n synthetic hosts h0..h(n-1) of desc, labels per host (or NULL). */
static vmp_fleet *make_fleet(int n, const char *desc, const char *const *labels)
{
	vmp_host *hosts[16];
	char names[16][16];
	const char *np[16];
	vmp_fleet *f;

	assert_true(n <= 16);
	for (int i = 0; i < n; i++) {
		assert_int_equal(vmp_probe_synthetic(&hosts[i], desc), VMP_OK);
		snprintf(names[i], sizeof(names[i]), "h%d", i);
		np[i] = names[i];
	}
	assert_int_equal(vmp_fleet_from_hosts(&f, hosts, np, labels, n), VMP_OK);
	return f;
}

static vmp_vm_request req(const char *spec)
{
	vmp_vm_request r;

	if (vmp_spec_parse(&r, spec) != VMP_OK)
		fail_msg("'%s': %s", spec, vmp_error_last());
	return r;
}

static vmp_fleet_plan *solve_order(vmp_fleet *f, const vmp_vm_request *r, size_t n,
				   vmp_fleet_policy policy, vmp_plan_order order)
{
	vmp_fleet_options o = {.order = order, .policy = policy, .reserve = "none"};
	vmp_fleet_plan *fp;

	if (vmp_fleet_solve(&fp, f, r, n, &o) != VMP_OK)
		fail_msg("solve: %s", vmp_error_last());
	return fp;
}

static vmp_fleet_plan *solve(vmp_fleet *f, const vmp_vm_request *r, size_t n,
			     vmp_fleet_policy policy)
{
	return solve_order(f, r, n, policy, VMP_ORDER_BATCH);
}

/* The host a VM went to in the plan, or NULL when not placed. */
static const char *host_of(const vmp_fleet_plan *fp, const char *vm)
{
	for (int h = 0; h < fp->nhosts; h++)
		for (int i = 0; i < fp->hosts[h].plan->nvms; i++)
			if (!strcmp(fp->hosts[h].plan->vms[i].req.name, vm) &&
			    fp->hosts[h].plan->vms[i].placed)
				return fp->hosts[h].name;
	return NULL;
}

__attribute__((noinline)) static const vmp_plan_vm *unplaced(const vmp_fleet_plan *fp,
							     const char *vm)
{
	for (int i = 0; i < fp->unplaced->nvms; i++)
		if (!strcmp(fp->unplaced->vms[i].req.name, vm))
			return &fp->unplaced->vms[i];
	return NULL;
}

/* --time-limit is the fleet's: hosts share it; a share under 20 ms is the heuristic alone. */
static void test_fleet_time_budget(void **st)
{
	vmp_vm_request r[12];
	vmp_fleet *f = make_fleet(4, SMALL, NULL);
	vmp_fleet_options o = {
	    .order = VMP_ORDER_BATCH, .policy = VMP_FLEET_SPREAD, .reserve = "none"};
	vmp_fleet_plan *fp;

	(void)st;
	for (int i = 0; i < 12; i++) {
		char spec[64];
		snprintf(spec, sizeof(spec), "name=w%d,vcpus=3,memory=1G", i);
		r[i] = req(spec);
	}
	/* Three VMs of 3 vCPUs a host and 8 CPUs each: every host refuses one, so only the solver
	 * proves a host's plan. The default budget: every host's plan is proven. */
	assert_int_equal(vmp_fleet_solve(&fp, f, r, 12, &o), VMP_OK);
	assert_int_equal(fp->nhosts, 4);
	for (int h = 0; h < fp->nhosts; h++)
		assert_int_equal(fp->hosts[h].plan->solver.status, VMP_SOLVER_OPTIMAL);
	vmp_fleet_plan_free(fp);
	/* 10 ms in all: every share under 20 ms, the heuristic alone everywhere. */
	o.time_limit_s = 0.01;
	assert_int_equal(vmp_fleet_solve(&fp, f, r, 12, &o), VMP_OK);
	for (int h = 0; h < fp->nhosts; h++) {
		assert_int_equal(fp->hosts[h].plan->solver.status, VMP_SOLVER_HEURISTIC);
	}
	vmp_fleet_plan_free(fp);
	/* Given order never runs the solver. */
	o.order = VMP_ORDER_GIVEN;
	o.time_limit_s = 0;
	assert_int_equal(vmp_fleet_solve(&fp, f, r, 12, &o), VMP_OK);
	for (int h = 0; h < fp->nhosts; h++)
		assert_int_equal(fp->hosts[h].plan->solver.status, VMP_SOLVER_NONE);
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(f);
}

static void test_labels(void **st)
{
	static const char *const labels[] = {NULL, "ssd,rack1", NULL};
	vmp_fleet *f = make_fleet(3, SMALL, labels);
	vmp_vm_request r[] = {req("name=a,vcpus=2,memory=1G,host=ssd"),
			      req("name=b,vcpus=2,memory=1G,host=rack1"),
			      req("name=c,vcpus=6,memory=1G,host=ssd")};
	/* In the order given: a and b first. */
	vmp_fleet_plan *fp = solve_order(f, r, 3, VMP_FLEET_SPREAD, VMP_ORDER_GIVEN);

	(void)st;
	assert_string_equal(host_of(fp, "a"), "h1");
	assert_string_equal(host_of(fp, "b"), "h1");
	/* c fits h0 and h2, but only h1 has the label, and a and b hold 4 of its 8 CPUs. */
	assert_null(host_of(fp, "c"));
	assert_non_null(unplaced(fp, "c"));
	assert_non_null(strstr(unplaced(fp, "c")->reason, "2 label"));
	assert_non_null(strstr(unplaced(fp, "c")->reason, "1 CPUs"));
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(f);
}

static void test_anti_affinity(void **st)
{
	vmp_fleet *f = make_fleet(2, SMALL, NULL);
	vmp_vm_request r[] = {
	    req("name=r1,vcpus=1,memory=1G,group=db"), req("name=r2,vcpus=1,memory=1G,group=db"),
	    req("name=r3,vcpus=1,memory=1G,group=db"), req("name=x,vcpus=1,memory=1G")};
	vmp_fleet_plan *fp = solve(f, r, 4, VMP_FLEET_PACK);

	(void)st;
	/* pack would put all on one host; the group spreads two of them, the third has none. */
	assert_non_null(host_of(fp, "r1"));
	assert_non_null(host_of(fp, "r2"));
	assert_string_not_equal(host_of(fp, "r1"), host_of(fp, "r2"));
	assert_null(host_of(fp, "r3"));
	assert_non_null(strstr(unplaced(fp, "r3")->reason, "2 group"));
	assert_non_null(host_of(fp, "x"));
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(f);
}

static void test_pack_vs_spread(void **st)
{
	vmp_vm_request r[] = {req("name=a,vcpus=2,memory=1G"), req("name=b,vcpus=2,memory=1G"),
			      req("name=c,vcpus=2,memory=1G"), req("name=d,vcpus=2,memory=1G")};
	vmp_fleet *f = make_fleet(4, SMALL, NULL);
	vmp_fleet_plan *fp = solve(f, r, 4, VMP_FLEET_PACK);
	int total;

	(void)st;
	/* pack: all four on one host (8 CPUs), three whole hosts left free. */
	assert_int_equal(fp->nhosts, 1);
	assert_int_equal(vmp_fleet_plan_placed_count(fp, &total), 4);
	assert_int_equal(total, 4);
	assert_string_equal(fp->policy, "pack");
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(f);

	f = make_fleet(4, SMALL, NULL);
	fp = solve(f, r, 4, VMP_FLEET_SPREAD);
	/* spread: one per host. */
	assert_int_equal(fp->nhosts, 4);
	for (int h = 0; h < 4; h++)
		assert_int_equal(fp->hosts[h].plan->nvms, 1);
	assert_int_equal(vmp_fleet_plan_placed_count(fp, NULL), 4);
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(f);
}

/* batch pack empties a host that largest-first left lightly used. */
static void test_pack_improves(void **st)
{
	vmp_fleet *f = make_fleet(2, SMALL, NULL);
	/* Largest first: a (6) on h0, b (4) does not fit h0's 2 left: h1; c, d (2 each)... */
	vmp_vm_request r[] = {req("name=a,vcpus=6,memory=1G"), req("name=b,vcpus=4,memory=1G"),
			      req("name=c,vcpus=2,memory=1G")};
	vmp_fleet_plan *fp = solve(f, r, 3, VMP_FLEET_PACK);

	(void)st;
	assert_int_equal(vmp_fleet_plan_placed_count(fp, NULL), 3);
	assert_int_equal(fp->nhosts, 2);
	/* c goes beside a (tightest), not beside b. */
	assert_string_equal(host_of(fp, "c"), host_of(fp, "a"));
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(f);
}

/* A VM the model lets in but every host's own planner refuses (3 vCPUs in whole cores of 2). */
static void test_planner_refusal(void **st)
{
	/* More hosts than rounds: the last round's refusal is taken out of that host's plan. */
	vmp_fleet *f = make_fleet(6, SMALL, NULL);
	vmp_vm_request r[] = {req("name=a,vcpus=3,memory=1G,threads=require"),
			      req("name=b,vcpus=2,memory=1G")};
	vmp_fleet_options o = {.policy = VMP_FLEET_PACK, .reserve = "none", .explain = true};
	vmp_fleet_plan *fp;
	const vmp_plan_vm *u;

	(void)st;
	assert_int_equal(vmp_fleet_solve(&fp, f, r, 2, &o), VMP_OK);
	assert_null(host_of(fp, "a"));
	if (!(u = unplaced(fp, "a")))
		fail_msg("a is not among the unplaced");
	assert_non_null(strstr(u->reason, "host h"));
	assert_non_null(strstr(u->reason, "whole cores"));
	assert_non_null(u->explain);
	assert_non_null(strstr(u->explain, "planner refused"));
	assert_non_null(host_of(fp, "b"));
	/* No host plan holds a VM that is not placed. */
	for (int h = 0; h < fp->nhosts; h++)
		for (int i = 0; i < fp->hosts[h].plan->nvms; i++)
			assert_true(fp->hosts[h].plan->vms[i].placed);
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(f);
}

/* Keep-together: w1 and w2 on one host, in both orders and both policies, where without the
 * group each policy splits them (f beside w1, w2 to another host); d2 shuns w1 (group=db). */
static void test_together(void **st)
{
	static const vmp_fleet_policy pol[] = {VMP_FLEET_PACK, VMP_FLEET_SPREAD};
	static const vmp_plan_order ord[] = {VMP_ORDER_GIVEN, VMP_ORDER_BATCH};
	vmp_vm_request r[] = {req("name=w1,vcpus=2,memory=1G,together=web,group=db"),
			      req("name=f,vcpus=6,memory=1G"),
			      req("name=w2,vcpus=2,memory=1G,together=web"),
			      req("name=d2,vcpus=1,memory=1G,group=db")};

	(void)st;
	assert_string_equal(r[0].together, "web");
	for (int p = 0; p < 2; p++)
		for (int o = 0; o < 2; o++) {
			vmp_fleet *f = make_fleet(3, SMALL, NULL);
			vmp_fleet_plan *fp = solve_order(f, r, 4, pol[p], ord[o]);
			if (vmp_fleet_plan_placed_count(fp, NULL) != 4)
				fail_msg("policy %d order %d: not all placed", p, o);
			if (strcmp(host_of(fp, "w1"), host_of(fp, "w2")))
				fail_msg("policy %d order %d: w1 on %s, w2 on %s", p, o,
					 host_of(fp, "w1"), host_of(fp, "w2"));
			assert_string_not_equal(host_of(fp, "d2"), host_of(fp, "w1"));
			vmp_fleet_plan_free(fp);
			vmp_fleet_free(f);
		}
}

/* A group no host takes whole is refused whole, though each member alone fits. */
static void test_together_refused(void **st)
{
	static const vmp_fleet_policy pol[] = {VMP_FLEET_PACK, VMP_FLEET_SPREAD};
	static const vmp_plan_order ord[] = {VMP_ORDER_GIVEN, VMP_ORDER_BATCH};
	vmp_vm_request r[] = {req("name=b1,vcpus=4,memory=1G,together=big"),
			      req("name=b2,vcpus=4,memory=1G,together=big"),
			      req("name=b3,vcpus=4,memory=1G,together=big"),
			      req("name=x,vcpus=2,memory=1G")};

	(void)st;
	for (int p = 0; p < 2; p++)
		for (int o = 0; o < 2; o++) {
			vmp_fleet *f = make_fleet(3, SMALL, NULL);
			vmp_fleet_options opt = {
			    .order = ord[o], .policy = pol[p], .reserve = "none", .explain = true};
			vmp_fleet_plan *fp;
			assert_int_equal(vmp_fleet_solve(&fp, f, r, 4, &opt), VMP_OK);
			assert_int_equal(vmp_fleet_plan_placed_count(fp, NULL), 1);
			assert_non_null(host_of(fp, "x"));
			for (int i = 0; i < 3; i++) {
				const vmp_plan_vm *u = unplaced(fp, r[i].name);
				const char *why = u ? u->reason : "";
				if (!u)
					fail_msg("%s placed without its group", r[i].name);
				assert_non_null(strstr(why, "keep-together group 'big' (3 VMs)"));
				assert_non_null(strstr(why, "3 CPUs"));
			}
			vmp_fleet_plan_free(fp);
			vmp_fleet_free(f);
		}
}

/* A member every host's planner refuses takes its group with it: none placed, all say why. */
static void test_together_planner_refusal(void **st)
{
	vmp_fleet *f = make_fleet(6, SMALL, NULL);
	vmp_vm_request r[] = {req("name=a,vcpus=3,memory=1G,threads=require,together=t"),
			      req("name=b,vcpus=1,memory=1G,together=t"),
			      req("name=c,vcpus=2,memory=1G")};
	vmp_fleet_plan *fp = solve(f, r, 3, VMP_FLEET_PACK);
	const vmp_plan_vm *u;

	(void)st;
	assert_null(host_of(fp, "a"));
	assert_null(host_of(fp, "b"));
	assert_non_null(host_of(fp, "c"));
	if (!(u = unplaced(fp, "b")))
		fail_msg("b is not among the unplaced");
	assert_non_null(strstr(u->reason, "member a refused"));
	for (int h = 0; h < fp->nhosts; h++)
		for (int i = 0; i < fp->hosts[h].plan->nvms; i++)
			assert_true(fp->hosts[h].plan->vms[i].placed);
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(f);
}

/* suggest --migrate: a domain's shape becomes a request through the key table. */
static void test_migrate_request(void **st)
{
	static const char xml[] =
	    "<domain type='kvm'><name>rt</name><memory unit='GiB'>4</memory><vcpu>4</vcpu>"
	    "<iothreads>2</iothreads>"
	    "<memoryBacking><hugepages/><locked/><nosharepages/></memoryBacking>"
	    "<memtune><hard_limit unit='GiB'>6</hard_limit></memtune>"
	    "<cputune><vcpupin vcpu='0' cpuset='2'/><period>100000</period><quota>50000</quota>"
	    "<vcpusched vcpus='0-3' scheduler='fifo' priority='10'/>"
	    "<cachetune vcpus='0-3'><cache id='0' level='3' type='both' size='3' "
	    "unit='MiB'/></cachetune>"
	    "<memorytune vcpus='0-3'><node id='0' bandwidth='40'/></memorytune></cputune>"
	    "<numatune><memory mode='interleave' nodeset='0-1'/></numatune>"
	    "<cpu><topology sockets='1' dies='1' cores='2' threads='2'/><numa>"
	    "<cell id='0' cpus='0-1' memory='2' unit='GiB'/>"
	    "<cell id='1' cpus='2-3' memory='2' unit='GiB'/></numa></cpu></domain>";
	char spec[1024];
	vmp_vm_request r;

	(void)st;
	if (vmp_migrate_domain_request(&r, spec, sizeof(spec), xml, "domain 'rt'") != VMP_OK)
		fail_msg("%s", vmp_error_last());
	assert_string_equal(r.name, "rt");
	assert_int_equal(r.vcpus, 4);
	assert_int_equal(r.memory_bytes, 4ULL << 30);
	assert_int_equal(r.cpu, VMP_CPU_DEDICATED);
	assert_int_equal(r.threads, VMP_THREADS_REQUIRE);
	assert_int_equal(r.numa_cells, 2);
	assert_int_equal(r.mem_mode, VMP_MEM_INTERLEAVE);
	assert_int_equal(r.iothreads, 2);
	assert_int_equal(r.hugepage_bytes, 2ULL << 20);
	assert_true(r.mem_locked);
	assert_true(r.nosharepages);
	assert_int_equal(r.hard_limit_bytes, 6ULL << 30);
	assert_int_equal(r.cache_bytes, 3ULL << 20);
	assert_int_equal(r.membw_percent, 40);
	assert_int_equal(r.vcpu_sched, VMP_SCHED_FIFO);
	assert_int_equal(r.vcpu_priority, 10);
	assert_int_equal(r.period_us, 100000);
	assert_int_equal(r.quota_us, 50000);
	assert_non_null(strstr(spec, "name=rt,vcpus=4,memory=4GiB,cpu=dedicated,threads=require"));

	/* Unpinned: shared; a value vmplan cannot take is named. */
	assert_int_equal(vmp_migrate_domain_request(&r, spec, sizeof(spec),
						    "<domain><name>u</name><memory>1048576</memory>"
						    "<vcpu>1</vcpu></domain>",
						    "domain 'u'"),
			 VMP_OK);
	assert_int_equal(r.cpu, VMP_CPU_SHARED);
	assert_int_equal(r.memory_bytes, 1ULL << 30);
	assert_int_equal(vmp_migrate_domain_request(&r, spec, sizeof(spec),
						    "<domain><name>b</name><memory>1</memory>"
						    "<vcpu>1</vcpu><cputune><shares>x</shares>"
						    "</cputune></domain>",
						    "domain 'b'"),
			 VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "domain 'b'"));
	assert_non_null(strstr(vmp_error_last(), "shares"));
}

static char tmpdir[] = "/tmp/test_fleet.XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

static int load(vmp_fleet **f, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return vmp_fleet_load(f, path);
}

static void test_fleet_file(void **st)
{
	vmp_fleet *f;

	(void)st;
	write_file("ok.yaml", "hosts:\n"
			      "  - uri: qemu+ssh://root@kvm1.example/system\n"
			      "    labels: [ssd, rack1]\n"
			      "  - host: saved/kvm2.json\n"
			      "    name: kvm2\n"
			      "    labels: gpu\n"
			      "  - test:///default\n");
	assert_int_equal(load(&f, "ok.yaml"), VMP_OK);
	assert_int_equal(f->nhosts, 3);
	assert_string_equal(f->hosts[0].name, "kvm1.example");
	assert_string_equal(f->hosts[0].uri, "qemu+ssh://root@kvm1.example/system");
	assert_int_equal(f->hosts[0].nlabels, 2);
	assert_true(vmp_fleet_host_has_label(&f->hosts[0], "rack1"));
	assert_false(vmp_fleet_host_has_label(&f->hosts[0], "gpu"));
	/* Relative to the fleet file. */
	assert_non_null(strstr(f->hosts[1].path, "/saved/kvm2.json"));
	assert_int_equal(strncmp(f->hosts[1].path, tmpdir, strlen(tmpdir)), 0);
	assert_string_equal(f->hosts[1].name, "kvm2");
	assert_true(vmp_fleet_host_has_label(&f->hosts[1], "gpu"));
	assert_string_equal(f->hosts[2].uri, "test:///default");
	vmp_fleet_free(f);

	write_file("bad1.yaml", "hosts:\n  - uri: test:///default\n    colour: red\n");
	assert_int_equal(load(&f, "bad1.yaml"), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "hosts[0] (line 2): unknown key 'colour'"));
	write_file("bad2.yaml", "hosts:\n  - name: x\n");
	assert_int_equal(load(&f, "bad2.yaml"), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "give 'uri'"));
	write_file("bad3.yaml", "hosts:\n  - uri: test:///a\n    name: x\n  - host: b.json\n"
				"    name: x\n");
	assert_int_equal(load(&f, "bad3.yaml"), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "two hosts are called 'x'"));
	write_file("bad4.yaml", "vms: []\n");
	assert_int_equal(load(&f, "bad4.yaml"), VMP_EINVAL);
	write_file("bad5.yaml", "hosts:\n  - uri: test:///a\n    labels: ['no spaces']\n");
	assert_int_equal(load(&f, "bad5.yaml"), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "bad label"));
	assert_int_equal(load(&f, "missing.yaml"), VMP_ENOTFOUND);
}

/* A host that does not answer is down, named with why; the others take the VMs. */
static void test_host_down(void **st)
{
	vmp_fleet *f;
	vmp_fleet_plan *fp;
	vmp_vm_request r[] = {req("name=a,vcpus=2,memory=256M")};
	vmp_fleet_options o = {.policy = VMP_FLEET_PACK, .reserve = "none", .explain = true};

	(void)st;
	write_file("down.yaml", "hosts:\n"
				"  - uri: test:///nonexistent/node.xml\n    name: gone\n"
				"  - uri: test:///default\n    name: up\n"
				"  - host: missing.json\n");
	assert_int_equal(load(&f, "down.yaml"), VMP_OK);
	assert_int_equal(vmp_fleet_probe(f, 4, NULL, NULL), VMP_OK);
	assert_true(f->hosts[0].down);
	assert_null(f->hosts[0].host);
	assert_non_null(strstr(f->hosts[0].error, "test:///nonexistent/node.xml"));
	assert_false(f->hosts[1].down);
	assert_non_null(f->hosts[1].host);
	assert_true(f->hosts[2].down);
	assert_non_null(strstr(f->hosts[2].error, "missing.json"));
	assert_int_equal(vmp_fleet_up_count(f), 1);
	assert_int_equal(vmp_fleet_solve(&fp, f, r, 1, &o), VMP_OK);
	assert_string_equal(host_of(fp, "a"), "up");
	assert_string_equal(fp->hosts[0].uri, "test:///default");
	assert_non_null(strstr(fp->hosts[0].plan->vms[0].explain, "host gone refused: down"));
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(f);
}

static void test_plan_json_round_trip(void **st)
{
	static const char *const labels[] = {"a", "b"};
	vmp_fleet *f = make_fleet(2, SMALL, labels);
	vmp_vm_request r[] = {req("name=x,vcpus=2,memory=1G,host=b,group=g"),
			      req("name=y,vcpus=2,memory=1G,host=a"),
			      req("name=z,vcpus=64,memory=1G")};
	vmp_fleet_plan *fp = solve(f, r, 3, VMP_FLEET_PACK), *back;
	char *json, *again;

	(void)st;
	assert_int_equal(vmp_fleet_plan_to_json(&json, fp), VMP_OK);
	assert_true(vmp_fleet_plan_is_fleet(json));
	assert_non_null(strstr(json, "\"host_label\": \"b\""));
	assert_non_null(strstr(json, "\"group\": \"g\""));
	if (vmp_fleet_plan_from_json(&back, json, "t.json") != VMP_OK)
		fail_msg("%s", vmp_error_last());
	assert_int_equal(back->nhosts, 2);
	assert_string_equal(back->hosts[0].name, fp->hosts[0].name);
	assert_string_equal(back->hosts[1].plan->vms[0].req.host_label,
			    fp->hosts[1].plan->vms[0].req.host_label);
	assert_int_equal(back->unplaced->nvms, 1);
	assert_string_equal(back->unplaced->vms[0].req.name, "z");
	assert_int_equal(vmp_fleet_plan_to_json(&again, back), VMP_OK);
	assert_string_equal(json, again);
	vmp_fleet_plan_free(back);
	/* One host's plan.json is no fleet plan, and a fleet plan is refused as such. */
	assert_int_equal(vmp_fleet_plan_from_json(&back, "{\"schema\": 1, \"vms\": []}", "p"),
			 VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "\"kind\": \"fleet\""));
	free(json);
	free(again);
	vmp_fleet_plan_free(fp);
	vmp_fleet_free(f);
}

static int setup(void **st)
{
	(void)st;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
	char cmd[128];

	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_anti_affinity),
	    cmocka_unit_test(test_pack_vs_spread),
	    cmocka_unit_test(test_pack_improves),
	    cmocka_unit_test(test_planner_refusal),
	    cmocka_unit_test(test_fleet_file),
	    cmocka_unit_test(test_host_down),
	    cmocka_unit_test(test_plan_json_round_trip),
	    cmocka_unit_test(test_together),
	    cmocka_unit_test(test_together_refused),
	    cmocka_unit_test(test_together_planner_refusal),
	    cmocka_unit_test(test_migrate_request),
	    cmocka_unit_test(test_fleet_time_budget),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
