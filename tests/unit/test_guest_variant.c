/* Unit tests of the guest engine's variants: plan, unpinned and naive domain XML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "../../bench/guest_internal.h"
#include "vmplan/error.h"
#include "vmplan/plan.h"
#include "vmplan/probe.h"

struct fixture {
	vmp_host *host;
	vmp_plan *plan;
};

/* A synthetic 2-node host (4 CPUs a node); VM a: 4 vCPUs in 2 cells, fifo, 2 GiB, a hard
 * limit and 2 MiB hugepages; VM b: 2 vCPUs, 512 MiB. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	vmp_vm_request reqs[2];

	memset(reqs, 0, sizeof(reqs));
	snprintf(reqs[0].name, sizeof(reqs[0].name), "a");
	reqs[0].vcpus = 4;
	reqs[0].memory_bytes = (uint64_t)2 << 30;
	reqs[0].numa_cells = 2;
	reqs[0].vcpu_sched = VMP_SCHED_FIFO;
	reqs[0].vcpu_priority = 10;
	reqs[0].hard_limit_bytes = (uint64_t)3 << 30;
	reqs[0].hugepage_bytes = (uint64_t)2 << 20;
	reqs[0].iothreads = 1;
	snprintf(reqs[1].name, sizeof(reqs[1].name), "b");
	reqs[1].vcpus = 2;
	reqs[1].memory_bytes = (uint64_t)512 << 20;
	assert_int_equal(
	    vmp_probe_synthetic(&f->host, "pack:2 [numa(memory=8GB)] l3:1 core:4 pu:1"), VMP_OK);
	assert_int_equal(vmp_plan_solve(&f->plan, f->host, reqs, 2, NULL), VMP_OK);
	assert_true(f->plan->vms[0].placed);
	assert_true(f->plan->vms[1].placed);
	assert_int_equal(f->plan->vms[0].ncells, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vmp_plan_free(f->plan);
	vmp_host_free(f->host);
	free(f);
	return 0;
}

static guest_boot boot(const struct fixture *f, const char *name)
{
	guest_boot b = {
	    .domain_type = "qemu",
	    .name = name,
	    .kernel = "/boot/vmlinuz-test",
	    .initrd = "/tmp/initrd.cpio",
	    .serial_log = "/tmp/serial.log",
	    .workloads = "stream,latency",
	    .seconds = 0.5,
	    .reps = 3,
	    .cell_bytes = (uint64_t)256 << 20,
	    .online = &f->host->online,
	};
	return b;
}

static xmlDocPtr variant(const struct fixture *f, int vm, vmp_bench_variant v, const guest_boot *b)
{
	char *xml = NULL;
	xmlDocPtr doc;

	assert_int_equal(guest_variant_xml(&xml, f->plan, vm, v, b), VMP_OK);
	doc = xmlReadMemory(xml, (int)strlen(xml), "variant.xml", NULL, XML_PARSE_NONET);
	free(xml);
	assert_non_null(doc);
	return doc;
}

/* How many nodes match expr. */
static int count(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	int n = res && res->nodesetval ? res->nodesetval->nodeNr : 0;

	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	return n;
}

/* The string value of expr ("" when none); the caller frees it with free(). */
static char *value(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr res = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	xmlChar *s = xmlXPathCastToString(res);
	char *out = strdup((const char *)s);

	xmlFree(s);
	xmlXPathFreeObject(res);
	xmlXPathFreeContext(ctx);
	return out;
}

static void assert_value(xmlDocPtr doc, const char *expr, const char *want)
{
	char *got = value(doc, expr);

	if (strcmp(got, want))
		fail_msg("%s: '%s', expected '%s'", expr, got, want);
	free(got);
}

/* What every variant has: direct boot, a serial log, no disks, destroy on power-off. */
static void assert_direct_boot(xmlDocPtr doc, const char *name, const char *vm)
{
	char *cmdline = value(doc, "/domain/os/cmdline"), want[64];

	assert_value(doc, "/domain/@type", "qemu");
	assert_value(doc, "/domain/name", name);
	assert_value(doc, "/domain/os/kernel", "/boot/vmlinuz-test");
	assert_value(doc, "/domain/os/initrd", "/tmp/initrd.cpio");
	assert_int_equal(count(doc, "/domain/os/loader | /domain/os/nvram | /domain/os/@firmware"),
			 0);
	assert_non_null(strstr(cmdline, "console=ttyS0"));
	assert_non_null(strstr(cmdline, "panic=-1"));
	snprintf(want, sizeof(want), "vmplan.vm=%s ", vm);
	assert_non_null(strstr(cmdline, want));
	assert_non_null(strstr(cmdline, "vmplan.workloads=stream,latency"));
	assert_non_null(strstr(cmdline, "vmplan.seconds=0.5"));
	assert_non_null(strstr(cmdline, "vmplan.reps=3"));
	free(cmdline);
	assert_value(doc, "/domain/devices/serial/@type", "file");
	assert_value(doc, "/domain/devices/serial/source/@path", "/tmp/serial.log");
	assert_int_equal(count(doc, "/domain/devices/console"), 1);
	assert_int_equal(count(doc, "/domain/devices/disk | /domain/devices/interface"), 0);
	assert_value(doc, "/domain/on_poweroff", "destroy");
	assert_int_equal(count(doc, "//memtune/hard_limit"), 0);
}

static void test_plan_variant(void **state)
{
	const struct fixture *f = *state;
	const vmp_plan_vm *a = &f->plan->vms[0];
	guest_boot b = boot(f, "vmplan-bench-plan-a");
	xmlDocPtr doc = variant(f, 0, VMP_BENCH_PLAN, &b);
	char expr[128], want[32];

	assert_direct_boot(doc, "vmplan-bench-plan-a", "a");
	/* The plan's own pins, numatune and scheduler, as export writes them. */
	assert_int_equal(count(doc, "/domain/cputune/vcpupin"), 4);
	for (unsigned v = 0; v < 4; v++) {
		snprintf(expr, sizeof(expr), "/domain/cputune/vcpupin[@vcpu='%u']/@cpuset", v);
		snprintf(want, sizeof(want), "%d", a->vcpupin[v]);
		assert_value(doc, expr, want);
	}
	assert_int_equal(count(doc, "/domain/numatune/memnode"), 2);
	assert_true(count(doc, "/domain/cputune/vcpusched[@scheduler='fifo']") >= 1);
	assert_int_equal(count(doc, "/domain/cputune/iothreadpin"), 1);
	/* Memory scaled to 256 MiB a cell: 1 GiB was planned for each. */
	assert_int_equal(count(doc, "/domain/cpu/numa/cell"), 2);
	assert_value(doc, "/domain/cpu/numa/cell[@id='0']/@memory", "262144");
	assert_value(doc, "/domain/cpu/numa/cell[@id='1']/@memory", "262144");
	assert_value(doc, "/domain/memory", "524288");
	assert_value(doc, "/domain/memory/@unit", "KiB");
	/* The host has hugepages in the plan: they stay unless the host has none free. */
	assert_int_equal(count(doc, "/domain/memoryBacking/hugepages"), 1);
	xmlFreeDoc(doc);

	b.drop_hugepages = true;
	doc = variant(f, 0, VMP_BENCH_PLAN, &b);
	assert_int_equal(count(doc, "//hugepages"), 0);
	xmlFreeDoc(doc);

	/* Without a cap the planned memory boots. */
	b.cell_bytes = 0;
	doc = variant(f, 0, VMP_BENCH_PLAN, &b);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)(a->cells[0].memory_bytes / 1024));
	assert_value(doc, "/domain/cpu/numa/cell[@id='0']/@memory", want);
	xmlFreeDoc(doc);
	assert_int_equal(guest_cell_bytes(a, 0, (uint64_t)256 << 20), (uint64_t)256 << 20);
	assert_int_equal(guest_cell_bytes(a, 0, (uint64_t)4 << 30), a->cells[0].memory_bytes);
}

static void test_unpinned_variant(void **state)
{
	const struct fixture *f = *state;
	guest_boot b = boot(f, "vmplan-bench-unpinned-a");
	xmlDocPtr doc = variant(f, 0, VMP_BENCH_UNPINNED, &b);

	assert_direct_boot(doc, "vmplan-bench-unpinned-a", "a");
	assert_int_equal(count(doc, "//vcpupin | //emulatorpin | //iothreadpin"), 0);
	assert_int_equal(count(doc, "//numatune | //vcpusched | //cachetune | //memorytune"), 0);
	assert_int_equal(count(doc, "/domain/vcpu/@cpuset"), 0);
	/* The guest still sees the planned cells. */
	assert_int_equal(count(doc, "/domain/cpu/numa/cell"), 2);
	assert_int_equal(count(doc, "/domain/cpu/topology"), 1);
	xmlFreeDoc(doc);
}

static void test_naive_variant(void **state)
{
	const struct fixture *f = *state;
	guest_boot b = boot(f, "vmplan-bench-naive-a");
	xmlDocPtr doc = variant(f, 0, VMP_BENCH_NAIVE, &b);
	char expr[128], want[32];

	assert_direct_boot(doc, "vmplan-bench-naive-a", "a");
	/* vCPU i on CPU i, VM a first. */
	assert_int_equal(count(doc, "/domain/cputune/vcpupin"), 4);
	for (unsigned v = 0; v < 4; v++) {
		snprintf(expr, sizeof(expr), "/domain/cputune/vcpupin[@vcpu='%u']/@cpuset", v);
		snprintf(want, sizeof(want), "%u", v);
		assert_value(doc, expr, want);
	}
	assert_value(doc, "/domain/cputune/emulatorpin/@cpuset", "0-3");
	assert_value(doc, "/domain/cputune/iothreadpin/@cpuset", "0-3");
	assert_int_equal(count(doc, "//numatune | //vcpusched"), 0);
	xmlFreeDoc(doc);

	/* VM b follows VM a's four vCPUs. */
	b.name = "vmplan-bench-naive-b";
	doc = variant(f, 1, VMP_BENCH_NAIVE, &b);
	assert_value(doc, "/domain/cputune/vcpupin[@vcpu='0']/@cpuset", "4");
	assert_value(doc, "/domain/cputune/vcpupin[@vcpu='1']/@cpuset", "5");
	assert_direct_boot(doc, "vmplan-bench-naive-b", "b");
	xmlFreeDoc(doc);
}

static void test_naive_wraps(void **state)
{
	const struct fixture *f = *state;
	guest_boot b = boot(f, "vmplan-bench-naive-b");
	vmp_cpuset three;
	xmlDocPtr doc;

	/* Three CPUs online: VM b's vCPUs 4 and 5 wrap to CPUs 1 and 2. */
	vmp_cpuset_zero(&three);
	vmp_cpuset_set_range(&three, 0, 2);
	b.online = &three;
	doc = variant(f, 1, VMP_BENCH_NAIVE, &b);
	assert_value(doc, "/domain/cputune/vcpupin[@vcpu='0']/@cpuset", "1");
	assert_value(doc, "/domain/cputune/vcpupin[@vcpu='1']/@cpuset", "2");
	xmlFreeDoc(doc);
}

static void test_bad_index(void **state)
{
	const struct fixture *f = *state;
	guest_boot b = boot(f, "x");
	char *xml = NULL;

	assert_int_equal(guest_variant_xml(&xml, f->plan, 7, VMP_BENCH_PLAN, &b), VMP_EINVAL);
	assert_null(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_variant),  cmocka_unit_test(test_unpinned_variant),
	    cmocka_unit_test(test_naive_variant), cmocka_unit_test(test_naive_wraps),
	    cmocka_unit_test(test_bad_index),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
