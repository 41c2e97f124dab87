/* rebalance --apply's libvirt calls against libvirt's test driver: re-pins read back, a failing
 * migration stops the list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vmplan/cpuset.h"
#include "vmplan/error.h"
#include "vmplan/rebalance_apply.h"

/* test:///default is one state per process: what the apply changes, this connection sees. */
#define URI "test:///default"

static void quiet(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

/* A placed VM (vmp_plan_vm_release() it; its pins stay the caller's) of 2 vCPUs pinned to pins[0],
 * pins[1], the emulator on emu, memory on node. */
static vmp_plan_vm planned(int *pins, const char *emu, int node)
{
	vmp_plan_vm vm;

	memset(&vm, 0, sizeof(vm));
	assert_int_equal(vmp_plan_vm_reserve(&vm, VMP_MAX_IOTHREADS, VMP_MAX_CACHETUNE,
					     VMP_RDT_DOMAINS_MAX, VMP_MAX_CELLS),
			 VMP_OK);
	snprintf(vm.req.name, sizeof(vm.req.name), "test");
	vm.req.vcpus = 2;
	vm.placed = true;
	vm.vcpupin = pins;
	vmp_cpuset_set(&vm.pcpus, pins[0]);
	vmp_cpuset_set(&vm.pcpus, pins[1]);
	assert_int_equal(vmp_cpuset_parse(&vm.emulatorpin, emu), VMP_OK);
	vm.ncells = 1;
	vm.cells[0].host_node = node;
	return vm;
}

/* The CPUs vCPU vcpu of dom may run on, as libvirt reports them. */
static void vcpu_pin(vmp_cpuset *out, virDomainPtr dom, int vcpu)
{
	unsigned char maps[2 * 4];
	int n = virDomainGetVcpuPinInfo(dom, 2, maps, 4, VIR_DOMAIN_AFFECT_CURRENT);

	assert_int_equal(n, 2);
	vmp_cpuset_zero(out);
	for (int cpu = 0; cpu < 32; cpu++)
		if (VIR_CPU_USABLE(maps, 4, vcpu, cpu))
			vmp_cpuset_set(out, cpu);
}

static void assert_set(const vmp_cpuset *s, const char *expected)
{
	char buf[256];

	vmp_cpuset_format(buf, sizeof(buf), s);
	assert_string_equal(buf, expected);
}

static int lines;

static void count_lines(void *arg, int step, const char *line)
{
	(void)arg;
	(void)step;
	assert_non_null(strstr(line, "test"));
	lines++;
}

static void test_repin_applied(void **st)
{
	virConnectPtr conn;
	virDomainPtr dom;
	int pins[2] = {3, 5}, failed, applied;
	vmp_plan_vm vm = planned(pins, "9-10", 1);
	vmp_apply_step step = {.kind = VMP_APPLY_REPIN, .domain = "test", .uri = URI, .vm = &vm};
	unsigned char emu[4];
	vmp_cpuset got;
	virTypedParameterPtr params = NULL;
	int nparams = 0;
	const char *nodeset = NULL;

	(void)st;
	virSetErrorFunc(NULL, quiet);
	conn = virConnectOpen(URI);
	assert_non_null(conn);
	dom = virDomainLookupByName(conn, "test");
	assert_non_null(dom);
	assert_int_equal(virDomainIsActive(dom), 1);

	/* Dry: told, nothing changed. */
	lines = 0;
	assert_int_equal(vmp_rebalance_apply(&failed, &applied, &step, 1, true, count_lines, NULL),
			 VMP_OK);
	assert_int_equal(lines, 4); /* 2 vCPUs, the emulator, the nodeset */
	vcpu_pin(&got, dom, 0);
	assert_int_not_equal(vmp_cpuset_count(&got), 1);

	lines = 0;
	assert_int_equal(vmp_rebalance_apply(&failed, &applied, &step, 1, false, count_lines, NULL),
			 VMP_OK);
	assert_int_equal(failed, -1);
	assert_int_equal(applied, 1);
	assert_int_equal(lines, 4);
	vcpu_pin(&got, dom, 0);
	assert_set(&got, "3");
	vcpu_pin(&got, dom, 1);
	assert_set(&got, "5");
	assert_int_equal(virDomainGetEmulatorPinInfo(dom, emu, 4, VIR_DOMAIN_AFFECT_LIVE), 1);
	vmp_cpuset_zero(&got);
	for (int cpu = 0; cpu < 32; cpu++)
		if (VIR_CPU_USED(emu, cpu))
			vmp_cpuset_set(&got, cpu);
	assert_set(&got, "9-10");
	assert_int_equal(virDomainGetNumaParameters(dom, NULL, &nparams, 0), 0);
	params = calloc((size_t)nparams, sizeof(*params));
	assert_non_null(params);
	assert_int_equal(virDomainGetNumaParameters(dom, params, &nparams, 0), 0);
	assert_int_equal(
	    virTypedParamsGetString(params, nparams, VIR_DOMAIN_NUMA_NODESET, &nodeset), 1);
	assert_string_equal(nodeset, "1");
	virTypedParamsFree(params, nparams);
	virDomainFree(dom);
	virConnectClose(conn);
	vm.vcpupin = NULL;
	vmp_plan_vm_release(&vm);
}

/* Re-pin, migrate (the test driver has no migration), re-pin: the second step fails, named,
 * and the third is never run. */
static void test_migration_stops(void **st)
{
	virConnectPtr conn;
	virDomainPtr dom;
	int first[2] = {1, 2}, last[2] = {7, 8}, failed, applied;
	vmp_plan_vm a = planned(first, "0", 0), b = planned(last, "0", 0);
	vmp_apply_step steps[3] = {
	    {.kind = VMP_APPLY_REPIN, .domain = "test", .uri = URI, .vm = &a},
	    {.kind = VMP_APPLY_MIGRATE,
	     .domain = "test",
	     .uri = URI,
	     .dest_uri = "test:///default",
	     .dest_xml = "<domain/>",
	     .vm = &a},
	    {.kind = VMP_APPLY_REPIN, .domain = "test", .uri = URI, .vm = &b},
	};
	vmp_cpuset got;

	(void)st;
	virSetErrorFunc(NULL, quiet);
	conn = virConnectOpen(URI);
	assert_non_null(conn);
	assert_int_equal(vmp_rebalance_apply(&failed, &applied, steps, 3, false, NULL, NULL),
			 VMP_ESYS);
	assert_int_equal(failed, 1);
	assert_int_equal(applied, 1);
	assert_non_null(strstr(vmp_error_last(), "virDomainMigrate3(test"));
	dom = virDomainLookupByName(conn, "test");
	assert_non_null(dom);
	vcpu_pin(&got, dom, 0);
	assert_set(&got, "1"); /* step 1's, not step 3's */
	vcpu_pin(&got, dom, 1);
	assert_set(&got, "2");

	/* A domain that is not there in step 3: the dry check before anything stops the list,
	 * step 1 not run (its pins would be 7 and 8). */
	steps[0].vm = &b;
	steps[1] =
	    (vmp_apply_step){.kind = VMP_APPLY_REPIN, .domain = "test", .uri = URI, .vm = &a};
	steps[2].domain = "nosuch";
	assert_int_equal(vmp_rebalance_apply(&failed, &applied, steps, 3, false, NULL, NULL),
			 VMP_ENOTFOUND);
	assert_int_equal(failed, 2);
	assert_int_equal(applied, 0);
	assert_non_null(strstr(vmp_error_last(), "no domain 'nosuch'"));
	vcpu_pin(&got, dom, 0);
	assert_set(&got, "1");
	virDomainFree(dom);
	steps[1] = (vmp_apply_step){.kind = VMP_APPLY_MIGRATE,
				    .domain = "test",
				    .uri = URI,
				    .dest_uri = URI,
				    .dest_xml = "<domain/>",
				    .vm = &a};
	steps[2].domain = "test";

	/* A step without what it needs: nothing at all is run. */
	steps[1].dest_xml = NULL;
	steps[0].vm = &b;
	assert_int_equal(vmp_rebalance_apply(&failed, &applied, steps, 3, false, NULL, NULL),
			 VMP_EINVAL);
	assert_int_equal(failed, 1);
	dom = virDomainLookupByName(conn, "test");
	vcpu_pin(&got, dom, 0);
	assert_set(&got, "1");
	virDomainFree(dom);
	virConnectClose(conn);
	a.vcpupin = b.vcpupin = NULL;
	vmp_plan_vm_release(&a);
	vmp_plan_vm_release(&b);
}

/* A running guest of two cells: the pins live, and a memnode per cell in its definition. */
static void test_repin_cells(void **st)
{
	static const char xml[] =
	    "<domain type='test'><name>cells</name><memory unit='MiB'>512</memory>"
	    "<vcpu placement='static'>2</vcpu><os><type>hvm</type></os>"
	    "<cputune><vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='8'/></cputune>"
	    "<numatune><memory mode='strict' nodeset='0-1'/>"
	    "<memnode cellid='0' mode='strict' nodeset='0'/>"
	    "<memnode cellid='1' mode='strict' nodeset='1'/></numatune>"
	    "<cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'/>"
	    "<cell id='1' cpus='1' memory='256' unit='MiB'/></numa></cpu></domain>";
	virConnectPtr conn;
	virDomainPtr dom;
	int pins[2] = {9, 1}, failed, applied;
	vmp_plan_vm vm = planned(pins, "2", 1);
	vmp_apply_step step = {.kind = VMP_APPLY_REPIN, .domain = "cells", .uri = URI, .vm = &vm};
	vmp_cpuset got;
	char *def;

	(void)st;
	vm.ncells = 2; /* swapped: cell 0 on node 1, cell 1 on node 0 */
	vm.cells[1].host_node = 0;
	virSetErrorFunc(NULL, quiet);
	conn = virConnectOpen(URI);
	assert_non_null(conn);
	dom = virDomainDefineXML(conn, xml);
	assert_non_null(dom);
	assert_int_equal(virDomainCreate(dom), 0);
	lines = 0;
	step.domain = "cells";
	assert_int_equal(vmp_rebalance_apply(&failed, &applied, &step, 1, false, NULL, NULL),
			 VMP_OK);
	virDomainFree(dom);
	dom = virDomainLookupByName(conn, "cells");
	vcpu_pin(&got, dom, 0);
	assert_set(&got, "9");
	def = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	assert_non_null(def);
	assert_non_null(strstr(def, "<memnode cellid='0' mode='strict' nodeset='1'/>"));
	assert_non_null(strstr(def, "<memnode cellid='1' mode='strict' nodeset='0'/>"));
	assert_non_null(strstr(def, "<cell id='0' cpus='0' memory='262144' unit='KiB'/>"));
	free(def);
	virDomainDestroy(dom);
	virDomainUndefine(dom);
	virDomainFree(dom);
	virConnectClose(conn);
	vm.vcpupin = NULL;
	vmp_plan_vm_release(&vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_repin_applied),
	    cmocka_unit_test(test_migration_stops),
	    cmocka_unit_test(test_repin_cells),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
