/* The guest program's parts: command line, its own topology from a fake sysfs, the result line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "guest/guest.h"

#define FSTREE_PREFIX "/tmp/vmp-guest"
#include "unit/fstree.h"

static void test_params(void **state)
{
	struct guest_params p;
	char err[GUEST_ERR_BYTES];

	(void)state;
	assert_int_equal(guest_params_parse(&p,
					    "console=ttyS0 quiet panic=-1 vmplan.vm=db-1.a_b "
					    "vmplan.workloads=c2c,noisy vmplan.seconds=0.2 "
					    "vmplan.reps=5 foo.bar=1\n",
					    err),
			 0);
	assert_string_equal(p.vm, "db-1.a_b");
	assert_false(p.workloads[GUEST_STREAM]);
	assert_false(p.workloads[GUEST_LATENCY]);
	assert_true(p.workloads[GUEST_C2C]);
	assert_true(p.workloads[GUEST_NOISY]);
	assert_false(p.workloads[GUEST_COMPUTE]);
	assert_true(p.seconds > 0.19 && p.seconds < 0.21);
	assert_int_equal(p.reps, 5);

	/* Defaults: stream and latency, 1 s, 3 repetitions. */
	assert_int_equal(guest_params_parse(&p, "vmplan.vm=x", err), 0);
	assert_true(p.workloads[GUEST_STREAM] && p.workloads[GUEST_LATENCY]);
	assert_int_equal(p.reps, 3);

	/* Names with anything but letters, digits and ._- are refused (they reach JSON). */
	assert_int_equal(guest_params_parse(&p, "vmplan.vm=a\"b", err), -1);
	assert_non_null(strstr(err, "bad vmplan.vm"));
	assert_int_equal(guest_params_parse(&p, "vmplan.vm=a/b", err), -1);
	assert_int_equal(guest_params_parse(&p, "vmplan.vm=", err), -1);
	assert_int_equal(guest_params_parse(&p, "vmplan.vm=x vmplan.workloads=stream,disk", err),
			 -1);
	assert_non_null(strstr(err, "unknown workload 'disk'"));
	assert_int_equal(guest_params_parse(&p, "vmplan.vm=x vmplan.seconds=0", err), -1);
	assert_int_equal(guest_params_parse(&p, "vmplan.vm=x vmplan.seconds=1s", err), -1);
	assert_int_equal(guest_params_parse(&p, "vmplan.vm=x vmplan.reps=0", err), -1);
	assert_int_equal(guest_params_parse(&p, "vmplan.vm=x vmplan.colour=red", err), -1);
	assert_int_equal(guest_params_parse(&p, "console=ttyS0", err), -1);
	assert_non_null(strstr(err, "no vmplan.vm="));
}

static void test_params_read(void **state)
{
	struct guest_params p;
	char err[GUEST_ERR_BYTES];

	(void)state;
	reset();
	assert_int_equal(guest_params_read(&p, root, err), -1);
	assert_non_null(strstr(err, "proc/cmdline"));
	put("proc/cmdline", "BOOT_IMAGE=/vmlinuz vmplan.vm=web vmplan.reps=2\n");
	assert_int_equal(guest_params_read(&p, root, err), 0);
	assert_string_equal(p.vm, "web");
	assert_int_equal(p.reps, 2);
}

/* CPU c: package pkg, die 0, core core. */
static void put_cpu(int c, int pkg, int core)
{
	char rel[128], v[16];

	snprintf(v, sizeof(v), "%d\n", pkg);
	snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/physical_package_id", c);
	put(rel, v);
	snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/die_id", c);
	put(rel, "0\n");
	snprintf(v, sizeof(v), "%d\n", core);
	snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/core_id", c);
	put(rel, v);
}

/* Two sockets of two cores of two threads; node 0 holds socket 0, node 2 socket 1. */
static void put_two_nodes(void)
{
	reset();
	put("sys/devices/system/cpu/online", "0-7\n");
	for (int c = 0; c < 8; c++)
		put_cpu(c, c / 4, c % 2); /* threads of a core: 0 and 2, 1 and 3, ... */
	put("sys/devices/system/node/node0/cpulist", "0-3\n");
	put("sys/devices/system/node/node0/meminfo",
	    "Node 0 MemTotal:       1048576 kB\nNode 0 MemFree:         1000 kB\n");
	put("sys/devices/system/node/node0/distance", "10 21\n");
	put("sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "64\n");
	put("sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages", "1\n");
	put("sys/devices/system/node/node2/cpulist", "4-7\n");
	put("sys/devices/system/node/node2/meminfo", "Node 2 MemTotal:       2097152 kB\n");
	put("sys/devices/system/node/node2/distance", "21 10\n");
	put("sys/devices/system/node/node2/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
	put("sys/devices/system/node/possible", "0,2\n"); /* not a node directory */
}

static void test_topology(void **state)
{
	static struct guest_topology t;
	char err[GUEST_ERR_BYTES];

	(void)state;
	put_two_nodes();
	assert_int_equal(guest_topology_read(&t, root, err), 0);
	assert_int_equal(t.nnodes, 2);
	assert_int_equal(t.nodes[0].id, 0);
	assert_int_equal(t.nodes[1].id, 2);
	assert_string_equal(t.nodes[0].cpulist, "0-3");
	assert_string_equal(t.nodes[1].cpulist, "4-7");
	assert_true(t.nodes[0].memory_bytes == 1ull << 30);
	assert_true(t.nodes[1].memory_bytes == 2ull << 30);
	assert_int_equal(t.nodes[0].nhuge, 2);
	assert_int_equal(t.nodes[0].huge[0].size_kib, 2048);
	assert_int_equal(t.nodes[0].huge[0].total, 64);
	assert_int_equal(t.nodes[0].huge[1].size_kib, 1048576);
	assert_int_equal(t.nodes[0].huge[1].total, 1);
	assert_int_equal(t.nodes[1].nhuge, 1);
	assert_int_equal(t.distances[0][1], 21);
	assert_int_equal(t.distances[1][1], 10);
	assert_int_equal(t.ncpus, 8);
	assert_int_equal(t.cpu_node[3], 0);
	assert_int_equal(t.cpu_node[4], 2);
	assert_int_equal(t.sockets, 2);
	assert_int_equal(t.dies, 1);
	assert_int_equal(t.cores, 2);
	assert_int_equal(t.threads, 2);

	/* An offline CPU is not counted. */
	put("sys/devices/system/cpu/online", "0-6\n");
	assert_int_equal(guest_topology_read(&t, root, err), 0);
	assert_int_equal(t.ncpus, 7);

	/* A malformed cpulist is an error, named. */
	put("sys/devices/system/node/node2/cpulist", "4-x\n");
	assert_int_equal(guest_topology_read(&t, root, err), -1);
	assert_non_null(strstr(err, "node2/cpulist"));
}

static void test_topology_no_numa(void **state)
{
	static struct guest_topology t;
	char err[GUEST_ERR_BYTES];

	(void)state;
	reset();
	assert_int_equal(guest_topology_read(&t, root, err), -1);
	assert_non_null(strstr(err, "cpu/online"));
	put("sys/devices/system/cpu/online", "0-1\n");
	put_cpu(0, 0, 0);
	put_cpu(1, 0, 1);
	put("proc/meminfo", "MemTotal:         262144 kB\nMemFree: 1 kB\n");
	assert_int_equal(guest_topology_read(&t, root, err), 0);
	assert_int_equal(t.nnodes, 1);
	assert_string_equal(t.nodes[0].cpulist, "0-1");
	assert_true(t.nodes[0].memory_bytes == 256ull << 20);
	assert_int_equal(t.distances[0][0], 10);
	assert_int_equal(t.sockets, 1);
	assert_int_equal(t.cores, 2);
	assert_int_equal(t.threads, 1);
}

/* The line guest_result_write() writes, parsed back; checks it is one line with the prefix. */
static json_t *result_json(const char *vm, const struct guest_topology *t,
			   const struct guest_results *r, const char *error)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_error_t jerr;
	json_t *j;

	assert_non_null(f);
	guest_result_write(f, vm, t, r, error);
	assert_int_equal(fclose(f), 0);
	assert_true(len > 15);
	assert_memory_equal(buf, "VMPLAN-RESULT {", 15);
	assert_ptr_equal(strchr(buf, '\n'), buf + len - 1); /* one line */
	j = json_loads(buf + 14, 0, &jerr);
	if (!j)
		fail_msg("not JSON: %s: %s", jerr.text, buf);
	free(buf);
	return j;
}

static void test_result(void **state)
{
	static struct guest_topology t;
	static struct guest_results r;
	char err[GUEST_ERR_BYTES];
	json_t *j, *w, *n;

	(void)state;
	put_two_nodes();
	assert_int_equal(guest_topology_read(&t, root, err), 0);
	memset(&r, 0, sizeof(r));
	r.m[GUEST_STREAM] = (struct guest_metric){.ran = true, .nsamples = 2, .samples = {1.5, 2}};
	r.m[GUEST_C2C] = (struct guest_metric){.ran = true, .nsamples = 1, .samples = {NAN}};
	j = result_json("db", &t, &r, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "schema")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "vm")), "db");
	assert_true(json_is_null(json_object_get(j, "error")));
	n = json_object_get(json_object_get(j, "topology"), "nodes");
	assert_int_equal(json_array_size(n), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(n, 1), "id")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(n, 1), "cpus")),
			    "4-7");
	assert_true(json_integer_value(json_object_get(json_array_get(n, 1), "memory_bytes")) ==
		    2ll << 30);
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_array_get(json_object_get(json_array_get(n, 0), "hugepages"), 1), "size_kib")),
	    1048576);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "topology"), "threads")), 2);
	assert_int_equal(
	    json_integer_value(json_array_get(
		json_array_get(json_object_get(json_object_get(j, "topology"), "distances"), 1),
		0)),
	    21);
	w = json_object_get(j, "workloads");
	assert_int_equal(json_object_size(w), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(w, "stream"), "unit")), "GB/s");
	assert_true(
	    json_is_true(json_object_get(json_object_get(w, "stream"), "higher_is_better")));
	assert_true(json_real_value(json_array_get(
			json_object_get(json_object_get(w, "stream"), "samples"), 0)) == 1.5);
	assert_true(json_is_false(json_object_get(json_object_get(w, "c2c"), "higher_is_better")));
	/* NaN is no JSON number. */
	assert_true(
	    json_is_null(json_array_get(json_object_get(json_object_get(w, "c2c"), "samples"), 0)));
	json_decref(j);

	/* A failure: still one line, the message escaped. */
	j = result_json("", NULL, NULL, "cannot \"read\"\n\\ \x01 it");
	assert_string_equal(json_string_value(json_object_get(j, "error")),
			    "cannot \"read\"\n\\ \x01 it");
	assert_true(json_is_null(json_object_get(j, "topology")));
	assert_int_equal(json_object_size(json_object_get(j, "workloads")), 0);
	json_decref(j);
}

/* The workloads on this machine's own CPUs and nodes, briefly: every one gives its samples. */
static void test_workloads(void **state)
{
	static struct guest_topology t;
	static struct guest_results r;
	struct guest_params p;
	char err[GUEST_ERR_BYTES];

	(void)state;
	assert_int_equal(guest_params_parse(&p,
					    "vmplan.vm=host vmplan.workloads=stream,latency,c2c,"
					    "compute,noisy vmplan.seconds=0.02 vmplan.reps=2",
					    err),
			 0);
	if (guest_topology_read(&t, "", err) < 0)
		skip();
	if (guest_workloads_run(&r, &p, &t, err) < 0)
		fail_msg("%s", err);
	for (int w = 0; w < GUEST_NWORKLOADS; w++) {
		assert_true(r.m[w].ran);
		assert_int_equal(r.m[w].nsamples, 2);
		for (int s = 0; s < 2; s++)
			if (!(r.m[w].samples[s] > 0))
				fail_msg("%s sample %d is %g", guest_workload_name(w), s,
					 r.m[w].samples[s]);
	}
	/* A chase over megabytes is no faster than a nanosecond a load. */
	assert_true(r.m[GUEST_LATENCY].samples[0] > 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_params),   cmocka_unit_test(test_params_read),
	    cmocka_unit_test(test_topology), cmocka_unit_test(test_topology_no_numa),
	    cmocka_unit_test(test_result),   cmocka_unit_test(test_workloads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
