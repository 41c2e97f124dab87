/* Domain XML and plan.json: golden files, libvirt's schema and its test driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "unit/xmlcheck.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"
#include "vmplan/plan.h"
#include "vmplan/probe.h"
#include "vmplan/spec.h"

/*
 * Golden files live in tests/golden/<case>/. Regenerate them with
 *   VMPLAN_UPDATE_GOLDEN=1 ctest -R unit.test_export
 * and review the diff.
 */
static bool updating(void)
{
	const char *u = getenv("VMPLAN_UPDATE_GOLDEN");
	return u && *u && strcmp(u, "0");
}

static vmp_plan *plan_for(const char *synthetic, const char *topology, const char *reserve,
			  const char *const *specs, size_t n)
{
	vmp_host *host = NULL;
	vmp_plan *plan = NULL;
	vmp_vm_request reqs[16];

	assert_true(n <= 16);
	if (topology)
		assert_int_equal(vmp_probe_xml(&host, topology), VMP_OK);
	else
		assert_int_equal(vmp_probe_synthetic(&host, synthetic), VMP_OK);
	if (reserve)
		assert_int_equal(vmp_cpuset_parse(&host->reserved, reserve), VMP_OK);
	for (size_t i = 0; i < n; i++) {
		memset(&reqs[i], 0, sizeof(reqs[i]));
		assert_int_equal(vmp_spec_parse(&reqs[i], specs[i]), VMP_OK);
	}
	assert_int_equal(vmp_plan_solve(&plan, host, reqs, n, NULL), VMP_OK);
	vmp_host_free(host);
	return plan;
}

/* Every placed VM's XML is valid for libvirt's schema and its test driver. */
static void assert_libvirt_accepts(const vmp_plan *plan)
{
	for (int i = 0; i < plan->nvms; i++) {
		char *xml;
		int rc;
		if (!plan->vms[i].placed)
			continue;
		assert_int_equal(vmp_export_libvirt_xml(&xml, NULL, &plan->vms[i], "kvm"), VMP_OK);
		rc = xml_validate_rng(xml);
		if (rc < 0) {
			free(xml);
			skip();
		}
		if (rc != 0)
			fprintf(stderr, "schema refuses:\n%s\n", xml);
		assert_int_equal(rc, 0);
		assert_int_equal(xml_define_test_driver(xml), 0);
		free(xml);
	}
}

static void golden_compare(const char *dir, const char *file, const char *actual)
{
	char path[1024];
	char *expected, *ca, *ce;

	snprintf(path, sizeof(path), "%s/%s/%s", VMPLAN_GOLDEN_DIR, dir, file);
	if (updating()) {
		char d[1024];
		snprintf(d, sizeof(d), "%s/%s", VMPLAN_GOLDEN_DIR, dir);
		assert_int_equal(vmp_mkdir_p(d), VMP_OK);
		assert_int_equal(vmp_file_write_atomic(path, actual, strlen(actual)), VMP_OK);
		return;
	}
	expected = slurp(path);
	if (!expected)
		fail_msg("golden file %s is missing; regenerate with VMPLAN_UPDATE_GOLDEN=1", path);
	if (strstr(file, ".xml")) {
		ca = xml_canonical(actual);
		ce = xml_canonical(expected);
		assert_non_null(ca);
		assert_non_null(ce);
		if (strcmp(ca, ce))
			fail_msg("%s differs from the golden file\nexpected: %s\nactual:   %s",
				 path, ce, ca);
		free(ca);
		free(ce);
	} else {
		json_t *a = json_loads(actual, 0, NULL), *e = json_loads(expected, 0, NULL);
		assert_non_null(a);
		assert_non_null(e);
		if (!json_equal(a, e))
			fail_msg("%s differs from the golden file:\n%s", path, actual);
		json_decref(a);
		json_decref(e);
	}
	free(expected);
}

static void test_golden_two_node(void **st)
{
	static const char *const specs[] = {
	    "name=web,vcpus=4,memory=8G",
	    "name=db,vcpus=6,memory=16G",
	};
	vmp_plan *plan =
	    plan_for("pack:2 [numa(memory=32GB)] l3:1 core:4 pu:2", NULL, NULL, specs, 2);
	char *s;

	(void)st;
	assert_int_equal(vmp_plan_placed_count(plan), 2);
	for (int i = 0; i < plan->nvms; i++) {
		char file[160];
		assert_int_equal(vmp_export_libvirt_xml(&s, NULL, &plan->vms[i], "kvm"), VMP_OK);
		snprintf(file, sizeof(file), "%s.xml", plan->vms[i].req.name);
		golden_compare("two-node", file, s);
		free(s);
	}
	assert_int_equal(vmp_plan_to_json(&s, plan), VMP_OK);
	golden_compare("two-node", "plan.json", s);
	free(s);
	assert_libvirt_accepts(plan);
	vmp_plan_free(plan);
}

/* The example of the README: four vCPUs on four PUs of one node, numatune naming it. */
static void test_xml_shape(void **st)
{
	static const char *const specs[] = {"name=a,vcpus=4,memory=8G"};
	vmp_plan *plan =
	    plan_for("pack:2 [numa(memory=64GB)] l3:2 core:4 pu:2", NULL, NULL, specs, 1);
	char *xml;
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr pins;
	vmp_cpuset seen = {0};

	(void)st;
	assert_true(plan->vms[0].placed);
	assert_int_equal(vmp_export_libvirt_xml(&xml, NULL, &plan->vms[0], "kvm"), VMP_OK);
	doc = xmlReadMemory(xml, (int)strlen(xml), "a.xml", NULL, 0);
	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	pins = xmlXPathEvalExpression(BAD_CAST "/domain/cputune/vcpupin/@cpuset", ctx);
	assert_int_equal(pins->nodesetval->nodeNr, 4);
	for (int i = 0; i < 4; i++) {
		xmlChar *v = xmlNodeGetContent(pins->nodesetval->nodeTab[i]);
		vmp_cpuset one;
		assert_int_equal(vmp_cpuset_parse(&one, (const char *)v), VMP_OK);
		assert_int_equal(vmp_cpuset_count(&one), 1);
		assert_false(vmp_cpuset_intersects(&one, &seen));
		vmp_cpuset_or(&seen, &seen, &one);
		xmlFree(v);
	}
	xmlXPathFreeObject(pins);
	/* Node 0 of the synthetic host holds CPUs 0-7. */
	vmp_cpuset node0;
	vmp_cpuset_parse(&node0, "0-7");
	assert_true(vmp_cpuset_subset(&seen, &node0));
	xmlXPathObjectPtr mem = xmlXPathEvalExpression(BAD_CAST "/domain/numatune/memory", ctx);
	assert_int_equal(mem->nodesetval->nodeNr, 1);
	xmlChar *nodeset = xmlGetProp(mem->nodesetval->nodeTab[0], BAD_CAST "nodeset");
	assert_string_equal((char *)nodeset, "0");
	xmlFree(nodeset);
	xmlXPathFreeObject(mem);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	free(xml);
	assert_libvirt_accepts(plan);
	vmp_plan_free(plan);
}

/* Shapes beyond the golden case: spread over nodes, explicit cells, thread policies,
 * an isolated emulator, and a big real machine. */
static void test_libvirt_accepts_shapes(void **st)
{
	static const char *const spread[] = {
	    "name=wide,vcpus=12,memory=40G",
	    "name=cells,vcpus=4,memory=4G,numa=2",
	};
	static const char *const policies[] = {
	    "name=iso,vcpus=3,memory=2G,threads=isolate",
	    "name=req,vcpus=4,memory=2G,threads=require,emulator=isolate",
	    "name=odd,vcpus=3,memory=1G",
	};
	vmp_plan *plan;

	(void)st;
	plan = plan_for("pack:2 [numa(memory=32GB)] l3:1 core:4 pu:2", NULL, NULL, spread, 2);
	assert_int_equal(vmp_plan_placed_count(plan), 2);
	assert_int_equal(plan->vms[0].ncells, 2);
	assert_int_equal(plan->vms[1].ncells, 2);
	assert_libvirt_accepts(plan);
	vmp_plan_free(plan);

	plan = plan_for("pack:1 [numa(memory=32GB)] l3:2 core:4 pu:2", NULL, "0-1", policies, 3);
	assert_int_equal(vmp_plan_placed_count(plan), 3);
	assert_libvirt_accepts(plan);
	vmp_plan_free(plan);
}

static void test_libvirt_accepts_fixture(void **st)
{
	static const char *const specs[] = {
	    "name=big,vcpus=32,memory=8G",
	    "name=small,vcpus=2,memory=1G",
	};
	const char *path = VMPLAN_FIXTURES "/hwloc-xml/192em64t-24n8c2t.xml";
	vmp_plan *plan;

	(void)st;
	if (access(path, R_OK) != 0) {
		print_message("skipped: fixture %s is missing\n", path);
		skip();
	}
	plan = plan_for(NULL, path, NULL, specs, 2);
	assert_int_equal(vmp_plan_placed_count(plan), 2);
	assert_libvirt_accepts(plan);
	vmp_plan_free(plan);
}

/* The XPath expression's number of matches in xml. */
static int xcount(const char *xml, const char *expr)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "x.xml", NULL, 0);
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	int n = o && o->nodesetval ? o->nodesetval->nodeNr : 0;

	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return n;
}

/* Every remaining knob of issue 5 reaches the XML, libvirt's schema and its test driver. */
static void test_every_knob(void **st)
{
	static const char *const specs[] = {
	    "name=rt,vcpus=4,memory=4G,numa=2,cpu_cache=passthrough,mem_access=shared,"
	    "mem_source=memfd,mem_allocation=immediate,discard=true,emulator_sched=fifo,"
	    "iothreads=2,iothread_sched=rr,sched_priority=10,global_period=100000,"
	    "global_quota=50000,emulator_period=100000,emulator_quota=-1,"
	    "iothread_period=100000,iothread_quota=20000,firmware=efi-secure,"
	    "loader=/usr/share/OVMF/OVMF_CODE.secboot.fd,nvram=/var/lib/libvirt/qemu/nvram/rt.fd",
	};
	vmp_host *host = NULL;
	vmp_plan *plan = NULL;
	vmp_vm_request req;
	char *xml;

	(void)st;
	assert_int_equal(vmp_probe_synthetic(&host, "pack:2 [numa(memory=32GiB)] core:4 pu:2"),
			 VMP_OK);
	/* The synthetic host has no distance table; give it a real-looking one. */
	host->distances = calloc(4, sizeof(uint32_t));
	host->distances[0] = host->distances[3] = 10;
	host->distances[1] = host->distances[2] = 21;
	assert_int_equal(vmp_spec_parse(&req, specs[0]), VMP_OK);
	assert_int_equal(vmp_plan_solve(&plan, host, &req, 1, NULL), VMP_OK);
	assert_true(plan->vms[0].placed);
	assert_int_equal(vmp_export_libvirt_xml(&xml, NULL, &plan->vms[0], "kvm"), VMP_OK);
	assert_int_equal(xcount(xml, "/domain/cpu/cache[@mode='passthrough']"), 1);
	assert_int_equal(xcount(xml, "/domain/cpu/numa/cell[@memAccess='shared'][@discard='yes']"),
			 2);
	assert_int_equal(xcount(xml, "/domain/cpu/numa/cell[@id='0']/distances/"
				     "sibling[@id='1'][@value='21']"),
			 1);
	assert_int_equal(xcount(xml, "/domain/cpu/numa/cell[@id='1']/distances/"
				     "sibling[@id='1'][@value='10']"),
			 1);
	assert_int_equal(xcount(xml, "/domain/memoryBacking/source[@type='memfd']"), 1);
	assert_int_equal(xcount(xml, "/domain/memoryBacking/access[@mode='shared']"), 1);
	assert_int_equal(xcount(xml, "/domain/memoryBacking/allocation[@mode='immediate']"), 1);
	assert_int_equal(xcount(xml, "/domain/memoryBacking/discard"), 1);
	assert_int_equal(xcount(xml, "/domain/cputune/emulatorsched[@scheduler='fifo']"
				     "[@priority='10']"),
			 1);
	/* One per I/O thread, after the emulator's, as libvirt writes them back. */
	assert_int_equal(xcount(xml, "/domain/cputune/iothreadsched[@iothreads='1']"
				     "[@scheduler='rr']"),
			 1);
	assert_int_equal(xcount(xml, "/domain/cputune/iothreadsched[@iothreads='2']"
				     "[@scheduler='rr']"),
			 1);
	assert_int_equal(xcount(xml, "/domain/cputune/emulatorsched/preceding-sibling::vcpusched"),
			 0);
	assert_int_equal(xcount(xml, "/domain/cputune/global_quota[.='50000']"), 1);
	assert_int_equal(xcount(xml, "/domain/cputune/emulator_quota[.='-1']"), 1);
	assert_int_equal(xcount(xml, "/domain/cputune/iothread_period[.='100000']"), 1);
	assert_int_equal(xcount(xml, "/domain/os/loader[@readonly='yes'][@type='pflash']"
				     "[@secure='yes']"),
			 1);
	assert_int_equal(xcount(xml, "/domain/os/nvram"), 1);
	assert_int_equal(xcount(xml, "/domain/features/smm[@state='on']"), 1);
	free(xml);
	assert_libvirt_accepts(plan);

	/* And the plan carries all of it through plan.json. */
	char *json, path[] = "/tmp/vmplan-knobs-XXXXXX";
	vmp_plan *back = NULL;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vmp_plan_to_json(&json, plan), VMP_OK);
	assert_int_equal(vmp_file_write_atomic(path, json, strlen(json)), VMP_OK);
	assert_int_equal(vmp_plan_load_json(&back, path), VMP_OK);
	assert_memory_equal(&back->vms[0].req, &plan->vms[0].req, sizeof(vmp_vm_request));
	assert_memory_equal(back->vms[0].cells[0].distances, plan->vms[0].cells[0].distances,
			    VMP_MAX_CELLS);
	unlink(path);
	free(json);
	vmp_plan_free(back);
	vmp_plan_free(plan);
	vmp_host_free(host);
}

/* plan.json that would export XML libvirt refuses is refused on load, naming the field. */
static void test_plan_load_consistency(void **st)
{
	static const struct {
		const char *from, *to, *why;
	} cases[] = {
	    {"\"threads\": 2\n      }", "\"threads\": 1\n      }", "topology"},
	    {"\"vcpus\": \"0-3\"", "\"vcpus\": \"0-2\"", "every vCPU exactly once"},
	    {"\"memory_bytes\": 8589934592,\n          \"distances\"",
	     "\"memory_bytes\": 8589934593,\n          \"distances\"", "whole KiB"},
	};
	char path[1024], tmp[] = "/tmp/vmplan-plan-XXXXXX";
	char *good;
	vmp_plan *p = NULL;
	int fd = mkstemp(tmp);

	(void)st;
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/two-node/plan.json", VMPLAN_GOLDEN_DIR);
	assert_non_null(good = slurp(path));
	assert_int_equal(vmp_plan_load_json(&p, path), VMP_OK);
	vmp_plan_free(p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *at = strstr(good, cases[i].from), *bad;
		assert_non_null(at);
		bad = malloc(strlen(good) + strlen(cases[i].to) + 1);
		memcpy(bad, good, (size_t)(at - good));
		strcpy(bad + (at - good), cases[i].to);
		strcat(bad, at + strlen(cases[i].from));
		assert_int_equal(vmp_file_write_atomic(tmp, bad, strlen(bad)), VMP_OK);
		p = NULL;
		assert_int_equal(vmp_plan_load_json(&p, tmp), VMP_EINVAL);
		assert_null(p);
		if (!strstr(vmp_error_last(), cases[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, vmp_error_last(), cases[i].why);
		free(bad);
	}
	unlink(tmp);
	free(good);
}

static void test_unplaced_refused(void **st)
{
	static const char *const specs[] = {"name=huge,vcpus=64,memory=1G"};
	vmp_plan *plan = plan_for("node:2 core:2 pu:2", NULL, NULL, specs, 1);
	char *xml = (char *)"untouched";

	(void)st;
	assert_false(plan->vms[0].placed);
	assert_int_equal(vmp_export_libvirt_xml(&xml, NULL, &plan->vms[0], "kvm"), VMP_EINVAL);
	assert_null(xml);
	assert_non_null(strstr(vmp_error_last(), "'huge'"));
	vmp_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden_two_node),
	    cmocka_unit_test(test_xml_shape),
	    cmocka_unit_test(test_libvirt_accepts_shapes),
	    cmocka_unit_test(test_libvirt_accepts_fixture),
	    cmocka_unit_test(test_every_knob),
	    cmocka_unit_test(test_plan_load_consistency),
	    cmocka_unit_test(test_unplaced_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
