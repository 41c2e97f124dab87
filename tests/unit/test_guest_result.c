/* Unit tests of the guest engine's result parser and its guest-side topology checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../bench/guest_internal.h"
#include "vmplan/error.h"

#define GOOD                                                                                       \
	"{\"schema\":1,\"vm\":\"db\",\"topology\":{\"nodes\":[{\"id\":0,\"cpus\":\"0-1\","         \
	"\"memory_bytes\":262144000,\"hugepages\":[{\"size_kib\":2048,\"total\":0}]},"             \
	"{\"id\":1,\"cpus\":\"2-3\",\"memory_bytes\":260000000,\"hugepages\":[]}],"                \
	"\"sockets\":2,\"dies\":1,\"cores\":2,\"threads\":1,\"distances\":[[10,20],[20,10]]},"     \
	"\"workloads\":{\"stream\":{\"unit\":\"GB/s\",\"higher_is_better\":true,"                  \
	"\"samples\":[1.5,1.25,2]},\"latency\":{\"unit\":\"ns\",\"higher_is_better\":false,"       \
	"\"samples\":[90,95]}},\"error\":null}"

/* A serial log with the given text; its path in out. */
static void write_log(char *out, size_t size, const char *text)
{
	FILE *f;

	snprintf(out, size, "/tmp/vmplan-test-guest-result-%ld.log", (long)getpid());
	f = fopen(out, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_good_line(void **state)
{
	guest_report r;
	char path[256];

	(void)state;
	write_log(path, sizeof(path),
		  "[    0.000000] Linux version 6.1.0\r\nsome noise\r\n" GUEST_RESULT_MARKER GOOD
		  "\r\n[    5.1] reboot: Power down\r\n");
	assert_int_equal(guest_result_read_log(&r, path), VMP_OK);
	unlink(path);
	assert_string_equal(r.vm, "db");
	assert_int_equal(r.nnodes, 2);
	assert_int_equal(vmp_cpuset_count(&r.nodes[1].cpus), 2);
	assert_true(vmp_cpuset_isset(&r.nodes[1].cpus, 3));
	assert_int_equal(r.nodes[0].memory_bytes, 262144000);
	assert_int_equal(r.sockets, 2);
	assert_int_equal(r.cores, 2);
	assert_int_equal(r.threads, 1);
	assert_int_equal(r.nsamples[VMP_BENCH_STREAM], 3);
	assert_true(r.samples[VMP_BENCH_STREAM][2] == 2.0);
	assert_int_equal(r.nsamples[VMP_BENCH_LATENCY], 2);
	assert_true(r.samples[VMP_BENCH_LATENCY][0] == 90.0);
	assert_int_equal(r.nsamples[VMP_BENCH_C2C], 0);
	assert_string_equal(r.error, "");
	guest_report_clear(&r);
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
	    "{not json",
	    "[1,2]",
	    "{\"schema\":2,\"vm\":\"db\",\"error\":null}",
	    "{\"schema\":1,\"error\":null}",
	    "{\"schema\":1,\"vm\":\"db\",\"error\":null,\"workloads\":{}}",
	    "{\"schema\":1,\"vm\":\"db\",\"error\":null,\"topology\":{\"nodes\":[]},"
	    "\"workloads\":{}}",
	    "{\"schema\":1,\"vm\":\"db\",\"error\":null,\"topology\":{\"nodes\":[{\"id\":0,"
	    "\"cpus\":\"0\",\"memory_bytes\":1}]},\"workloads\":{\"disk\":{\"samples\":[]}}}",
	    "{\"schema\":1,\"vm\":\"db\",\"error\":null,\"topology\":{\"nodes\":[{\"id\":0,"
	    "\"cpus\":\"0\",\"memory_bytes\":1}]},\"workloads\":{\"stream\":{\"samples\":[\"x\"]}}"
	    "}",
	};
	guest_report r;
	char path[256], text[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "boot\n" GUEST_RESULT_MARKER "%s\n", bad[i]);
		write_log(path, sizeof(path), text);
		if (guest_result_read_log(&r, path) != VMP_EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(vmp_error_last(), path));
		assert_null(r.samples[VMP_BENCH_STREAM]);
	}
	unlink(path);
}

static void test_error_field(void **state)
{
	guest_report r;

	(void)state;
	assert_int_equal(
	    guest_result_parse(&r,
			       "{\"schema\":1,\"vm\":\"db\",\"topology\":null,"
			       "\"workloads\":null,\"error\":\"cannot allocate 256 MiB\"}",
			       "test"),
	    VMP_OK);
	assert_string_equal(r.error, "cannot allocate 256 MiB");
	assert_int_equal(r.nnodes, 0);
	guest_report_clear(&r);
	assert_int_equal(guest_result_parse(&r, "{\"schema\":1,\"vm\":\"db\",\"error\":7}", "test"),
			 VMP_EINVAL);
}

static void test_no_line(void **state)
{
	guest_report r;
	char path[256];

	(void)state;
	/* A guest that never reports (the runner's timeout): the log and its last line named. */
	write_log(path, sizeof(path), "[    0.0] Linux version 6.1.0\n[    1.2] Kernel panic\n");
	assert_int_equal(guest_result_read_log(&r, path), VMP_ENOTFOUND);
	assert_non_null(strstr(vmp_error_last(), path));
	assert_non_null(strstr(vmp_error_last(), "Kernel panic"));
	write_log(path, sizeof(path), "");
	assert_int_equal(guest_result_read_log(&r, path), VMP_ENOTFOUND);
	assert_non_null(strstr(vmp_error_last(), "empty"));
	/* A result line still being written (slow serial under load) is not read as bad JSON. */
	write_log(path, sizeof(path), "boot\nVMPLAN-RESULT {\"schema\":1,\"vm\":\"db\",\"topo");
	assert_int_equal(guest_result_read_log(&r, path), VMP_ENOTFOUND);
	assert_non_null(strstr(vmp_error_last(), "not complete"));
	unlink(path);
	assert_int_equal(guest_result_read_log(&r, path), VMP_ESYS);
	assert_non_null(strstr(vmp_error_last(), path));
}

/* A plan VM of 4 vCPUs in 2 cells of 256 MiB, 2 sockets of 2 cores. */
static vmp_plan_vm plan_vm(void)
{
	static vmp_plan_cell cells[3]; /* the test reads a third cell */
	vmp_plan_vm vm;

	memset(&vm, 0, sizeof(vm));
	memset(cells, 0, sizeof(cells));
	vm.cells = cells;
	vm.room_cells = 3;
	snprintf(vm.req.name, sizeof(vm.req.name), "db");
	vm.req.vcpus = 4;
	vm.placed = true;
	vm.ncells = 2;
	vmp_cpuset_set_range(&vm.cells[0].vcpus, 0, 1);
	vmp_cpuset_set_range(&vm.cells[1].vcpus, 2, 3);
	vm.cells[0].memory_bytes = vm.cells[1].memory_bytes = (uint64_t)1 << 30;
	vm.sockets = 2;
	vm.dies = 1;
	vm.cores = 2;
	vm.threads = 1;
	return vm;
}

static int failed(const guest_checks *c, const char *what)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->items[i].what, what))
			return !c->items[i].ok;
	fail_msg("no check '%s'", what);
	return -1;
}

static void test_topology_checks(void **state)
{
	vmp_plan_vm vm = plan_vm();
	guest_checks c = {0};
	guest_report r;

	(void)state;
	assert_int_equal(guest_result_parse(&r, GOOD, "test"), VMP_OK);
	/* Scaled to 256 MiB a cell: 250 and 248 MiB are within 10 %. */
	guest_check_topology(&c, &vm, &r, (uint64_t)256 << 20);
	for (int i = 0; i < c.n; i++)
		if (!c.items[i].ok)
			fail_msg("%s: expected %s, found %s", c.items[i].what, c.items[i].expected,
				 c.items[i].found);
	assert_int_equal(c.n, 6);
	guest_checks_free(&c);

	/* One cell in the guest, other CPUs, too little memory, another topology. */
	memset(&c, 0, sizeof(c));
	vm.cells[1].vcpus = vm.cells[0].vcpus;
	vm.cores = 1;
	vm.threads = 2;
	guest_check_topology(&c, &vm, &r, (uint64_t)512 << 20);
	assert_int_equal(failed(&c, "guest node 1 cpus"), 1);
	assert_int_equal(failed(&c, "guest node 0 memory"), 1);
	assert_int_equal(failed(&c, "guest CPU topology"), 1);
	assert_int_equal(failed(&c, "guest NUMA nodes"), 0);
	guest_checks_free(&c);

	memset(&c, 0, sizeof(c));
	vm.ncells = 3;
	guest_check_topology(&c, &vm, &r, 0);
	assert_int_equal(failed(&c, "guest NUMA nodes"), 1);
	guest_checks_free(&c);
	guest_report_clear(&r);
}

static void test_check_stays_failed(void **state)
{
	guest_checks c = {0};

	(void)state;
	guest_check_add(&c, "a", "vcpu 0 affinity", "/proc", "1", "1", true, false);
	guest_check_add(&c, "a", "vcpu 0 affinity", "/proc", "1", "0-1", false, false);
	guest_check_add(&c, "a", "vcpu 0 affinity", "/proc", "1", "1", true, false);
	assert_int_equal(c.n, 1);
	assert_false(c.items[0].ok);
	assert_string_equal(c.items[0].found, "0-1");
	guest_checks_free(&c);

	/* A race (no thread yet, no mapping any more) is replaced by a real finding, and
	 * never replaces one. */
	guest_check_add_soft(&c, "a", "cell 0 memory", "numa_maps", "node 0", "no mapping");
	assert_false(c.items[0].ok);
	guest_check_add(&c, "a", "cell 0 memory", "numa_maps", "node 0", "N0=10", true, false);
	assert_true(c.items[0].ok);
	guest_check_add_soft(&c, "a", "cell 0 memory", "numa_maps", "node 0", "no mapping");
	assert_true(c.items[0].ok);
	assert_string_equal(c.items[0].found, "N0=10");
	guest_checks_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_line),       cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_error_field),     cmocka_unit_test(test_no_line),
	    cmocka_unit_test(test_topology_checks), cmocka_unit_test(test_check_stays_failed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
