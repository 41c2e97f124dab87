/* Every tuning element: plan.json round trip, XML golden files, merge, Salt, define, verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/xmlerror.h>
#include <jansson.h>
#include <yaml.h>

#include "unit/xmlcheck.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"

#define DATA_DIR VMPLAN_SOURCE_DIR "/tests/data"

static bool updating(void)
{
	const char *u = getenv("VMPLAN_UPDATE_GOLDEN");
	return u && *u && strcmp(u, "0");
}

static void set(vmp_cpuset *s, const char *text)
{
	assert_int_equal(vmp_cpuset_parse(s, text), VMP_OK);
}

/*
 * A plan filled by hand (not by the planner): "rt" sets every knob, "pool" floats on
 * a shared pool, "big" was not placed. Host CPUs stay below 16 so that libvirt's test
 * driver (16 CPUs) reports the pins back unclipped.
 */
static vmp_plan *full_plan(void)
{
	vmp_plan *p = calloc(1, sizeof(*p));
	vmp_plan_vm *vm;
	vmp_vm_request *r;

	assert_non_null(p);
	p->schema = VMP_PLAN_SCHEMA;
	snprintf(p->host, sizeof(p->host), "0123456789abcdef");
	snprintf(p->hostname, sizeof(p->hostname), "lab1");
	p->nvms = 3;
	p->vms = calloc(3, sizeof(*p->vms));
	assert_non_null(p->vms);

	vm = &p->vms[0];
	r = &vm->req;
	snprintf(r->name, sizeof(r->name), "rt");
	snprintf(r->profile, sizeof(r->profile), "realtime");
	snprintf(r->device, sizeof(r->device), "0000:3b:00.0");
	r->vcpus = 4;
	r->memory_bytes = 4ULL << 30;
	r->threads = VMP_THREADS_ISOLATE;
	r->emulator = VMP_EMULATOR_ISOLATE;
	r->numa_cells = 2;
	r->mem_mode = VMP_MEM_STRICT;
	r->hugepage_bytes = 2ULL << 20;
	r->mem_locked = true;
	r->nosharepages = true;
	r->hard_limit_bytes = 6ULL << 30;
	r->soft_limit_bytes = 5ULL << 30;
	r->swap_hard_limit_bytes = 7ULL << 30;
	r->iothreads = 2;
	r->iothread_policy = VMP_IOTHREADS_NEAR_DEVICE;
	r->cache_bytes = 4ULL << 20;
	r->membw_percent = 50;
	r->vcpu_sched = VMP_SCHED_FIFO;
	r->vcpu_priority = 10;
	r->shares = 2048;
	r->period_us = 100000;
	r->quota_us = 50000;
	r->priority = 5;
	r->efi = true;
	r->secure_boot = true;
	vm->placed = true;
	vm->vcpupin = malloc(4 * sizeof(int));
	vm->vcpupin[0] = 2, vm->vcpupin[1] = 4, vm->vcpupin[2] = 10, vm->vcpupin[3] = 12;
	set(&vm->pcpus, "2,4,10,12");
	set(&vm->emulatorpin, "0-1");
	vm->niothreads = 2;
	set(&vm->iothreadpin[0], "0");
	set(&vm->iothreadpin[1], "1,8");
	vm->ncachetune = 2;
	vm->cachetune[0] = (vmp_plan_cachetune){3, 0, "both", 0x30, 4ULL << 20};
	vm->cachetune[1] = (vmp_plan_cachetune){3, 1, "both", 0x300, 4ULL << 20};
	vm->nmemorytune = 2;
	vm->memorytune[0] = (vmp_plan_memorytune){0, 50};
	vm->memorytune[1] = (vmp_plan_memorytune){1, 50};
	vm->ncells = 2;
	vm->cells[0].host_node = 0;
	set(&vm->cells[0].vcpus, "0-1");
	vm->cells[0].memory_bytes = 2ULL << 30;
	vm->cells[1].host_node = 1;
	set(&vm->cells[1].vcpus, "2-3");
	vm->cells[1].memory_bytes = 2ULL << 30;
	vm->sockets = 2, vm->dies = 1, vm->cores = 2, vm->threads = 1;
	vm->score = 87.25;
	vm->explain = strdup("node 0 and 1: the device is on node 0\nisolated cores");

	vm = &p->vms[1];
	r = &vm->req;
	snprintf(r->name, sizeof(r->name), "pool");
	r->vcpus = 2;
	r->memory_bytes = 1ULL << 30;
	r->cpu = VMP_CPU_SHARED;
	r->mem_mode = VMP_MEM_PREFERRED;
	r->shares = 512;
	r->quota_us = -1;
	vm->placed = true;
	vm->vcpupin = malloc(2 * sizeof(int));
	vm->vcpupin[0] = vm->vcpupin[1] = -1;
	set(&vm->pcpus, "5-7");
	set(&vm->emulatorpin, "5-7");
	vm->ncells = 1;
	vm->cells[0].host_node = 0;
	set(&vm->cells[0].vcpus, "0-1");
	vm->cells[0].memory_bytes = 1ULL << 30;
	vm->sockets = 1, vm->dies = 1, vm->cores = 2, vm->threads = 1;
	vm->score = 40;

	vm = &p->vms[2];
	r = &vm->req;
	snprintf(r->name, sizeof(r->name), "big");
	r->vcpus = 64;
	r->memory_bytes = 512ULL << 30;
	vm->placed = false;
	snprintf(vm->reason, sizeof(vm->reason), "asked for 64 dedicated vCPUs; 10 were free");
	vm->bind = VMP_BIND_CORES;
	return p;
}

static void golden_text(const char *dir, const char *file, const char *actual, bool xml)
{
	char path[1024];
	char *expected;

	snprintf(path, sizeof(path), "%s/%s/%s", VMPLAN_GOLDEN_DIR, dir, file);
	if (updating()) {
		char d[1024];
		snprintf(d, sizeof(d), "%s/%s", VMPLAN_GOLDEN_DIR, dir);
		assert_int_equal(vmp_mkdir_p(d), VMP_OK);
		assert_int_equal(vmp_file_write_atomic(path, actual, strlen(actual)), VMP_OK);
		return;
	}
	if (!(expected = slurp(path)))
		fail_msg("golden file %s is missing; regenerate with VMPLAN_UPDATE_GOLDEN=1", path);
	if (xml) {
		char *ca = xml_canonical(actual), *ce = xml_canonical(expected);
		assert_non_null(ca);
		assert_non_null(ce);
		if (strcmp(ca, ce))
			fail_msg("%s differs from the golden file\nexpected: %s\nactual:   %s",
				 path, ce, ca);
		free(ca);
		free(ce);
	} else if (strcmp(actual, expected)) {
		fail_msg("%s differs from the golden file:\n%s", path, actual);
	}
	free(expected);
}

static xmlDocPtr parse(const char *xml)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NOBLANKS);
	assert_non_null(doc);
	return doc;
}

static int count(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	int n = r && r->nodesetval ? r->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return n;
}

/* The string value of an XPath expression ("" when nothing); caller frees. */
static char *xstr(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	char buf[512];
	xmlXPathObjectPtr r;
	char *s;

	snprintf(buf, sizeof(buf), "string(%s)", expr);
	r = xmlXPathEvalExpression(BAD_CAST buf, ctx);
	s = strdup(r && r->stringval ? (const char *)r->stringval : "");
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return s;
}

static void assert_xpath(xmlDocPtr doc, const char *expr, const char *expected)
{
	char *s = xstr(doc, expr);
	if (strcmp(s, expected))
		fail_msg("%s is '%s', expected '%s'", expr, s, expected);
	free(s);
}

/* The serialisation of the elements an XPath selects, wrapped in <group>. */
static char *group_xml(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	xmlBufferPtr buf = xmlBufferCreate();
	char *s;

	xmlBufferCat(buf, BAD_CAST "<group>\n");
	for (int i = 0; r && r->nodesetval && i < r->nodesetval->nodeNr; i++) {
		xmlNodeDump(buf, doc, r->nodesetval->nodeTab[i], 1, 1);
		xmlBufferCat(buf, BAD_CAST "\n");
	}
	xmlBufferCat(buf, BAD_CAST "</group>\n");
	s = strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return s;
}

/* Schema, then the test driver: define with VALIDATE and read back what it kept. */
static char *libvirt_roundtrip(virConnectPtr conn, const char *xml)
{
	virDomainPtr dom;
	char *back;

	if (xml_validate_rng(xml) == 1) {
		fprintf(stderr, "schema refuses:\n%s\n", xml);
		fail();
	}
	dom = virDomainDefineXMLFlags(conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
	if (!dom) {
		virErrorPtr e = virGetLastError();
		fail_msg("libvirt refuses: %s\n%s", e ? e->message : "?", xml);
	}
	back = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	assert_non_null(back);
	virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_NVRAM);
	virDomainFree(dom);
	return back;
}

/* The tuning of vm as libvirt re-read it. */
static void assert_tuning(const char *xml, const vmp_plan_vm *vm)
{
	xmlDocPtr doc = parse(xml);
	char expr[256], buf[256];
	int npins = 0;

	for (unsigned i = 0; i < vm->req.vcpus; i++) {
		if (vm->vcpupin[i] < 0)
			continue;
		npins++;
		snprintf(expr, sizeof(expr), "/domain/cputune/vcpupin[@vcpu='%u']/@cpuset", i);
		snprintf(buf, sizeof(buf), "%d", vm->vcpupin[i]);
		assert_xpath(doc, expr, buf);
	}
	assert_int_equal(count(doc, "/domain/cputune/vcpupin"), npins);
	vmp_cpuset_format(buf, sizeof(buf), &vm->emulatorpin);
	assert_xpath(doc, "/domain/cputune/emulatorpin/@cpuset", buf);
	vmp_cpuset_format(buf, sizeof(buf), &vm->pcpus);
	assert_xpath(doc, "/domain/vcpu/@cpuset", buf);
	assert_int_equal(count(doc, "/domain/cputune/iothreadpin"), vm->niothreads);
	for (int i = 0; i < vm->niothreads; i++) {
		snprintf(expr, sizeof(expr), "/domain/cputune/iothreadpin[@iothread='%d']/@cpuset",
			 i + 1);
		vmp_cpuset_format(buf, sizeof(buf), &vm->iothreadpin[i]);
		assert_xpath(doc, expr, buf);
	}
	assert_int_equal(count(doc, "/domain/cpu/numa/cell"), vm->ncells);
	assert_int_equal(count(doc, "/domain/numatune/memnode"), vm->ncells);
	for (int i = 0; i < vm->ncells; i++) {
		snprintf(expr, sizeof(expr), "/domain/cpu/numa/cell[@id='%d']/@cpus", i);
		vmp_cpuset_format(buf, sizeof(buf), &vm->cells[i].vcpus);
		assert_xpath(doc, expr, buf);
		snprintf(expr, sizeof(expr), "/domain/numatune/memnode[@cellid='%d']/@nodeset", i);
		snprintf(buf, sizeof(buf), "%d", vm->cells[i].host_node);
		assert_xpath(doc, expr, buf);
	}
	assert_int_equal(count(doc, "/domain/cputune/cachetune/cache"), vm->ncachetune);
	for (int i = 0; i < vm->ncachetune; i++) {
		uint64_t kib;
		char *size, *unit;
		snprintf(expr, sizeof(expr), "/domain/cputune/cachetune/cache[@id='%d']/@size",
			 vm->cachetune[i].cache_id);
		size = xstr(doc, expr);
		snprintf(expr, sizeof(expr), "/domain/cputune/cachetune/cache[@id='%d']/@unit",
			 vm->cachetune[i].cache_id);
		unit = xstr(doc, expr);
		/* libvirt may rescale (4096 KiB -> 4 MiB); the bytes must stay. */
		kib = strtoull(size, NULL, 10) * (!strcmp(unit, "MiB") ? 1024 : 1);
		assert_true(!strcmp(unit, "KiB") || !strcmp(unit, "MiB"));
		assert_int_equal(kib * 1024, vm->cachetune[i].size_bytes);
		free(size);
		free(unit);
	}
	assert_int_equal(count(doc, "/domain/cputune/memorytune/node"), vm->nmemorytune);
	xmlFreeDoc(doc);
}

static void test_json_roundtrip(void **st)
{
	vmp_plan *p = full_plan(), *q = NULL;
	char *a, *b, path[] = "/tmp/vmplan-plan-XXXXXX";
	int fd;

	(void)st;
	assert_int_equal(vmp_plan_to_json(&a, p), VMP_OK);
	assert_int_equal(vmp_plan_from_json(&q, a, "plan.json"), VMP_OK);
	assert_int_equal(q->nvms, p->nvms);
	for (int i = 0; i < p->nvms; i++) {
		vmp_plan_vm x = p->vms[i], y = q->vms[i];
		if (x.placed)
			assert_memory_equal(x.vcpupin, y.vcpupin, x.req.vcpus * sizeof(int));
		assert_true((x.explain == NULL) == (y.explain == NULL));
		if (x.explain)
			assert_string_equal(x.explain, y.explain);
		x.vcpupin = y.vcpupin = NULL;
		x.explain = y.explain = NULL;
		/* Both were zeroed before being filled, so every byte must match. */
		assert_memory_equal(&x, &y, sizeof(x));
	}
	assert_memory_equal(p->host, q->host, sizeof(p->host));
	assert_string_equal(p->hostname, q->hostname);
	assert_int_equal(vmp_plan_to_json(&b, q), VMP_OK);
	assert_string_equal(a, b);
	golden_text("full", "plan.json", a, false);

	/* And through a file. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vmp_file_write_atomic(path, a, strlen(a)), VMP_OK);
	vmp_plan_free(q);
	assert_int_equal(vmp_plan_load_json(&q, path), VMP_OK);
	assert_int_equal(q->vms[0].vcpupin[2], 10);
	unlink(path);
	free(a);
	free(b);
	vmp_plan_free(p);
	vmp_plan_free(q);
}

/* Break one field of a good plan.json and expect the file and that field in the error. */
static void expect_refused(const char *good, const char *from, const char *to, const char *field)
{
	char *bad = malloc(strlen(good) + strlen(to) + 1), *at = strstr(good, from);
	vmp_plan *q = (vmp_plan *)1;

	assert_non_null(at);
	memcpy(bad, good, (size_t)(at - good));
	strcpy(bad + (at - good), to);
	strcat(bad, at + strlen(from));
	assert_int_equal(vmp_plan_from_json(&q, bad, "broken.json"), VMP_EINVAL);
	assert_null(q);
	if (!strstr(vmp_error_last(), "'broken.json'") || !strstr(vmp_error_last(), field))
		fail_msg("message '%s' does not name the file and '%s'", vmp_error_last(), field);
	free(bad);
}

/* Rename VM 'pool' (the VM and its request) to name: the plan must be refused. */
static void expect_bad_name(const char *good, const char *name)
{
	const char *from = "\"name\": \"pool\"";
	char to[64], want[96], *bad = malloc(strlen(good) * 2 + 1), *d = bad;
	vmp_plan *q = (vmp_plan *)1;

	snprintf(to, sizeof(to), "\"name\": \"%s\"", name);
	for (const char *s = good, *at; *s; s = at + strlen(from)) {
		if (!(at = strstr(s, from))) {
			strcpy(d, s);
			break;
		}
		memcpy(d, s, (size_t)(at - s));
		d += at - s;
		d += sprintf(d, "%s", to);
	}
	assert_int_equal(vmp_plan_from_json(&q, bad, "broken.json"), VMP_EINVAL);
	assert_null(q);
	snprintf(want, sizeof(want), "invalid VM name '%s'", name);
	if (!strstr(vmp_error_last(), want))
		fail_msg("message '%s' does not say %s", vmp_error_last(), want);
	free(bad);
}

static void test_json_errors(void **st)
{
	vmp_plan *p = full_plan(), *q = NULL;
	char *good;

	(void)st;
	assert_int_equal(vmp_plan_to_json(&good, p), VMP_OK);
	expect_refused(good, "\"schema\": 1", "\"schema\": 7", "schema");
	expect_refused(good, "\"mem_mode\": \"strict\"", "\"mem_mode\": \"loose\"",
		       "vms[0].request.mem_mode");
	expect_refused(good, "\"numa_cells\": 2", "\"numa_cells\": \"2\"",
		       "vms[0].request.numa_cells");
	expect_refused(good, "\"emulatorpin\": \"0-1\"", "\"emulatorpin\": \"0-x\"",
		       "vms[0].emulatorpin");
	expect_refused(good, "\"vcpupin\": [\n        2,", "\"vcpupin\": [\n        99999,",
		       "vms[0].vcpupin[0]");
	expect_refused(good, "\"ways_mask\": \"0x30\"", "\"ways_mask\": \"48\"",
		       "vms[0].cachetune[0].ways_mask");
	expect_refused(good, "\"host_node\": 1", "\"host_node\": -1", "vms[0].cells[1].host_node");
	expect_refused(good, "\"secure_boot\": true", "\"secure_boot\": 1",
		       "vms[0].request.secure_boot");
	expect_refused(good, "\"name\": \"pool\"", "\"name\": \"rt\"", "vms[1]");
	/* The summary beside the request is a copy: edited alone, it is refused, not ignored. */
	expect_refused(good, "\"refused_by\": \"cores\"", "\"refused_by\": \"disk\"",
		       "vms[2].refused_by");
	expect_refused(good, "\"refused_by\": \"cores\"", "\"refused_by\": \"none\"",
		       "vms[2].refused_by");
	expect_refused(good, "\"refused_by\": null", "\"refused_by\": \"cores\"",
		       "vms[0].refused_by");
	expect_refused(good, "\"refused_by\": null,\n      \"vcpus\": 4",
		       "\"refused_by\": null,\n      \"vcpus\": 8", "vms[0].vcpus");
	expect_refused(good, "\"memory_bytes\": 4294967296,\n      \"threads\"",
		       "\"memory_bytes\": 1,\n      \"threads\"", "vms[0].memory_bytes");
	expect_refused(good, "\"threads\": \"isolate\",\n      \"emulator\"",
		       "\"threads\": \"prefer\",\n      \"emulator\"", "vms[0].threads");
	expect_refused(good, "\"cpu\": \"dedicated\",\n      \"request\"",
		       "\"cpu\": \"shared\",\n      \"request\"", "vms[0].cpu");
	/* Names become file names under --out-dir: "../x" wrote outside it before. */
	expect_bad_name(good, "../pool");
	expect_bad_name(good, "<x>");
	expect_bad_name(good, "$(id)");
	/* A problem with the whole document: no empty field name ("'a.json': : the top"). */
	assert_int_equal(vmp_plan_from_json(&q, "[]", "a.json"), VMP_EINVAL);
	assert_string_equal(vmp_error_last(),
			    "cannot load plan 'a.json': the top level is not an object");
	assert_int_equal(vmp_plan_from_json(&q, "{\"schema\": 1,", "cut.json"), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "'cut.json'"));
	assert_int_equal(vmp_plan_load_json(&q, "/nonexistent/plan.json"), VMP_ENOTFOUND);
	assert_non_null(strstr(vmp_error_last(), "/nonexistent/plan.json"));
	free(good);
	vmp_plan_free(p);
}

/* One golden file per element group of the VM that sets every knob. */
static void test_golden_groups(void **st)
{
	static const struct {
		const char *file, *expr;
	} groups[] = {
	    {"rt.vcpu.xml", "/domain/vcpu | /domain/iothreads | /domain/iothreadids"},
	    {"rt.memory.xml", "/domain/memory | /domain/memtune | /domain/memoryBacking"},
	    {"rt.cputune.xml", "/domain/cputune"},
	    {"rt.numatune.xml", "/domain/numatune"},
	    {"rt.cpu.xml", "/domain/cpu"},
	    {"rt.os.xml", "/domain/os"},
	};
	vmp_plan *p = full_plan();
	char *xml;
	xmlDocPtr doc;

	(void)st;
	assert_int_equal(vmp_export_libvirt_xml(&xml, NULL, &p->vms[0], "kvm"), VMP_OK);
	doc = parse(xml);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		char *g = group_xml(doc, groups[i].expr);
		golden_text("full", groups[i].file, g, true);
		free(g);
	}
	/* What only the request decides. */
	assert_int_equal(count(doc, "/domain/cputune/vcpusched[@scheduler='fifo' and "
				    "@priority='10']"),
			 4);
	assert_xpath(doc, "/domain/cputune/vcpusched[4]/@vcpus", "3");
	assert_xpath(doc, "/domain/cputune/cachetune/cache[@id='1']/@unit", "MiB");
	assert_xpath(doc, "/domain/cputune/cachetune/cache[@id='1']/@size", "4");
	assert_xpath(doc, "/domain/memtune/hard_limit", "6291456");
	assert_xpath(doc, "/domain/memtune/hard_limit/@unit", "KiB");
	assert_xpath(doc, "/domain/memoryBacking/hugepages/page/@nodeset", "0-1");
	assert_int_equal(count(doc, "/domain/memoryBacking/locked"), 1);
	assert_xpath(doc, "/domain/os/@firmware", "efi");
	assert_int_equal(count(doc, "/domain/os/firmware/feature[@enabled='yes']"), 2);
	xmlFreeDoc(doc);
	free(xml);

	/* The shared VM: no vcpupin, the pool on <vcpu cpuset>, no element it did not ask for. */
	assert_int_equal(vmp_export_libvirt_xml(&xml, NULL, &p->vms[1], "kvm"), VMP_OK);
	golden_text("full", "pool.xml", xml, true);
	doc = parse(xml);
	assert_int_equal(count(doc, "/domain/cputune/vcpupin"), 0);
	assert_xpath(doc, "/domain/vcpu/@cpuset", "5-7");
	assert_xpath(doc, "/domain/numatune/memory/@mode", "preferred");
	assert_xpath(doc, "/domain/cputune/quota", "-1");
	assert_int_equal(count(doc, "/domain/memtune | /domain/memoryBacking | "
				    "/domain/iothreads | /domain/os/@firmware"),
			 0);
	xmlFreeDoc(doc);
	free(xml);
	assert_int_equal(vmp_export_libvirt_xml(&xml, NULL, &p->vms[2], "kvm"), VMP_EINVAL);
	vmp_plan_free(p);
}

static virConnectPtr test_conn(void)
{
	virConnectPtr conn;

	virSetErrorFunc(NULL, quiet_libvirt);
	conn = virConnectOpen("test:///default");
	if (!conn)
		skip();
	return conn;
}

static void test_libvirt_roundtrip(void **st)
{
	vmp_plan *p = full_plan();
	virConnectPtr conn = test_conn();

	(void)st;
	for (int i = 0; i < 2; i++) {
		char *xml, *back;
		assert_int_equal(vmp_export_libvirt_xml(&xml, NULL, &p->vms[i], "kvm"), VMP_OK);
		back = libvirt_roundtrip(conn, xml);
		assert_tuning(back, &p->vms[i]);
		free(back);
		free(xml);
	}
	virConnectClose(conn);
	vmp_plan_free(p);
}

/* Everything outside the tuning, as canonical XML, for before/after comparison. */
static char *untouched_parts(const char *xml)
{
	xmlDocPtr doc = parse(xml);
	char *s;

	s = group_xml(doc,
		      "/domain/name | /domain/uuid | /domain/title | /domain/metadata | "
		      "/domain/features | /domain/clock | /domain/on_poweroff | "
		      "/domain/devices/interface | /domain/devices/controller | "
		      "/domain/devices/hostdev | /domain/devices/graphics | "
		      "/domain/devices/video | /domain/devices/input | /domain/devices/serial | "
		      "/domain/devices/disk/source | /domain/devices/disk/target | "
		      "/domain/memoryBacking/source | /domain/memoryBacking/access | "
		      "/domain/os/type | /domain/os/boot | /domain/os/bootmenu | //comment()");
	xmlFreeDoc(doc);
	return s;
}

static void test_merge(void **st)
{
	vmp_plan *p = full_plan();
	virConnectPtr conn = test_conn();
	char *in = slurp(DATA_DIR "/domains/webshop.xml"), *once, *twice, *back, *a, *b;
	xmlDocPtr doc;

	(void)st;
	assert_non_null(in);
	assert_int_equal(vmp_export_libvirt_merge(&once, NULL, in, "webshop.xml", &p->vms[0]),
			 VMP_OK);
	assert_int_equal(vmp_export_libvirt_merge(&twice, NULL, once, "once", &p->vms[0]), VMP_OK);
	assert_string_equal(once, twice); /* idempotent */
	golden_text("merge", "webshop.xml", once, true);

	a = untouched_parts(in);
	b = untouched_parts(once);
	assert_string_equal(a, b);
	free(a);
	free(b);

	doc = parse(once);
	/* Stale: 8 pins for a VM that now has 4; the old 6 MiB cachetune on cache 1 only. */
	assert_int_equal(count(doc, "/domain/cputune/vcpupin"), 4);
	assert_int_equal(count(doc, "/domain/cputune/cachetune"), 1);
	assert_int_equal(count(doc, "/domain/cputune/cachetune/cache"), 2);
	assert_int_equal(count(doc, "/domain/cputune/cachetune/cache[@size='6']"), 0);
	/* The plan owns every cputune bandwidth knob: a hand-set one it does not set goes. */
	assert_int_equal(count(doc, "/domain/cputune/emulator_period"), 0);
	assert_xpath(doc, "/domain/vcpu", "4");
	assert_xpath(doc, "/domain/numatune/memory/@mode", "strict");
	assert_xpath(doc, "/domain/cpu/@mode", "host-passthrough");
	assert_int_equal(count(doc, "/domain/cpu/model | /domain/cpu/@match"), 0);
	assert_int_equal(count(doc, "/domain/cpu/feature[@name='pcid']"), 1);
	assert_xpath(doc, "/domain/memory", "4194304");
	assert_xpath(doc, "/domain/currentMemory", "4194304");
	assert_xpath(doc, "/domain/memoryBacking/hugepages/page/@size", "2048");
	assert_xpath(doc, "/domain/iothreads", "2");
	/* Virtio disks spread over the two I/O threads; the SATA disk has none. */
	assert_xpath(doc, "/domain/devices/disk[target/@dev='vda']/driver/@iothread", "1");
	assert_xpath(doc, "/domain/devices/disk[target/@dev='vda']/driver/@cache", "none");
	assert_xpath(doc, "/domain/devices/disk[target/@dev='vdb']/driver/@iothread", "2");
	assert_int_equal(count(doc, "/domain/devices/disk[target/@dev='sda']/driver/@iothread"), 0);
	/* The tuning is under <cputune> and the firmware under <os>, where libvirt reads it. */
	assert_int_equal(count(doc, "/domain/vcpupin | /domain/firmware"), 0);
	assert_xpath(doc, "/domain/os/@firmware", "efi");
	assert_int_equal(count(doc, "/domain/comment()"), 0);
	assert_int_equal(count(doc, "//comment()"), 3);
	xmlFreeDoc(doc);

	back = libvirt_roundtrip(conn, once);
	assert_tuning(back, &p->vms[0]);
	free(back);

	/* A plan without cache allocation takes the old one away entirely. */
	p->vms[0].ncachetune = 0;
	p->vms[0].nmemorytune = 0;
	free(twice);
	assert_int_equal(vmp_export_libvirt_merge(&twice, NULL, once, "once", &p->vms[0]), VMP_OK);
	doc = parse(twice);
	assert_int_equal(count(doc, "/domain/cputune/cachetune | /domain/cputune/memorytune"), 0);
	xmlFreeDoc(doc);

	free(twice);
	assert_int_equal(vmp_export_libvirt_merge(&twice, NULL, "<network/>", "n.xml", &p->vms[0]),
			 VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "n.xml"));
	assert_int_equal(vmp_export_libvirt_merge(&twice, NULL, "<domain>", "cut.xml", &p->vms[0]),
			 VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "cut.xml"));
	free(once);
	free(in);
	virConnectClose(conn);
	vmp_plan_free(p);
}

/*
 * Found by fuzz/fuzz_merge: blank text that libxml2 keeps (an owned element holding only
 * white space, or text mixed in with the tuning or with a disk that gains a <driver>, or a
 * <domain> of white space alone) was dropped by the next merge, so merging twice changed the
 * document.
 */
static void test_merge_blank_text(void **st)
{
	static const char *const inputs[] = {
		"<domain><name>rt</name><cputune> </cputune><numatune>\n</numatune></domain>",
		("<domain><name>rt</name><cputune>x\n  <vcpupin vcpu='0' cpuset='1'/>\n  \n"
		 "  <shares>1</shares>\n</cputune><memtune> <hard_limit>1</hard_limit> </memtune>"
		 "</domain>"),
		"<domain>text<name>rt</name>\n  <vcpu>8</vcpu>\n  <cpu> </cpu>\n</domain>",
		"<domain>\n  </domain>",
		("<domain><name>rt</name><devices><disk type='file' device='disk'>0\n  <target "
		 "dev='vda' bus='virtio'/>\n</disk><disk type='file'>\n</disk></devices></domain>"),
	};
	vmp_plan *p = full_plan();

	(void)st;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]) * 2; i++) {
		const vmp_plan_vm *vm = &p->vms[i % 2]; /* with iothreads on disks, and without */
		const char *in = inputs[i / 2];
		char *once, *twice;
		assert_int_equal(vmp_export_libvirt_merge(&once, NULL, in, "in", vm), VMP_OK);
		assert_int_equal(vmp_export_libvirt_merge(&twice, NULL, once, "once", vm), VMP_OK);
		assert_string_equal(once, twice);
		free(once);
		free(twice);
	}
	vmp_plan_free(p);
}

/*
 * An input whose declared encoding cannot decode it: libxml2 reported that outside the parser,
 * on stderr, and the message said only "Premature end of data". Now stderr stays empty and the
 * refusal names the encoding problem; libxml2's own handlers are put back.
 */
static void test_merge_encoding_error(void **st)
{
	static const char in[] = "<?xml version=\"1.0\" encoding=\"UTF-7\"?>\n"
				 "<domain><name>rt</name>\x0e\x0e\x0e\x0e\xff\xfe</domain>\n";
	vmp_plan *p = full_plan();
	char path[] = "/tmp/vmplan-stderr-XXXXXX", *out = NULL;
	xmlStructuredErrorFunc before = xmlStructuredError;
	int fd = mkstemp(path), saved = dup(2);
	struct stat sb;

	(void)st;
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	int err = vmp_export_libvirt_merge(&out, NULL, in, "utf7.xml", &p->vms[0]);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(err, VMP_EINVAL);
	assert_null(out);
	assert_non_null(strstr(vmp_error_last(), "utf7.xml"));
	assert_non_null(strstr(vmp_error_last(), "input conversion failed"));
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, 0); /* nothing on stderr */
	assert_true(xmlStructuredError == before);
	close(fd);
	unlink(path);
	vmp_plan_free(p);
}

/*
 * What libvirt's QEMU driver refuses although its schema allows it (found by defining the
 * output on a real libvirtd): UEFI without ACPI, an explicit loader or an nvram template
 * beside firmware autoselection, cache emulation without a level, shared memory lost from
 * the cells of a vhost-user domain, and an I/O thread on a vhost-user disk. And the order
 * libvirt writes schedulers back in, so that a second define reads as unchanged.
 */
static void test_merge_libvirt_rules(void **st)
{
	static const char in[] =
	    "<domain type='kvm'><name>rt</name><vcpu>4</vcpu>"
	    "<os><type arch='x86_64' machine='q35'>hvm</type>"
	    "<loader readonly='yes' secure='no' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
	    "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/nvram/rt.fd</nvram></os>"
	    "<cpu mode='host-passthrough'><numa><cell id='0' cpus='0-3' memory='4194304' "
	    "unit='KiB' memAccess='shared'/></numa></cpu>"
	    "<devices><disk type='vhostuser' device='disk'><source type='unix' path='/s'/>"
	    "<target dev='vda' bus='virtio'/></disk>"
	    "<disk type='file' device='disk'><target dev='vdb' bus='virtio'/></disk></devices>"
	    "</domain>";
	vmp_plan *p = full_plan();
	vmp_plan_vm *rt = &p->vms[0];
	char *out, *fresh;
	xmlDocPtr doc;

	(void)st;
	rt->req.emulator_sched = VMP_SCHED_FIFO;
	rt->req.iothread_sched = VMP_SCHED_BATCH;
	rt->req.cpu_cache = VMP_CACHE_EMULATE;
	assert_int_equal(vmp_export_libvirt_merge(&out, NULL, in, "rt.xml", rt), VMP_OK);
	doc = parse(out);
	assert_xpath(doc, "/domain/os/@firmware", "efi");
	assert_int_equal(count(doc, "/domain/os/loader"), 0); /* not even secure='no' */
	assert_int_equal(count(doc, "/domain/os/nvram/@template"), 0);
	assert_xpath(doc, "/domain/os/nvram", "/var/lib/nvram/rt.fd");
	assert_int_equal(count(doc, "/domain/features/acpi"), 1);
	assert_int_equal(count(doc, "/domain/features/*[1][self::acpi]"), 1);
	assert_xpath(doc, "/domain/cpu/cache/@level", "3");
	assert_int_equal(count(doc, "/domain/cpu/numa/cell"), 2);
	assert_int_equal(count(doc, "/domain/cpu/numa/cell[@memAccess='shared']"), 2);
	assert_int_equal(count(doc, "/domain/devices/disk[@type='vhostuser']/driver"), 0);
	assert_xpath(doc, "/domain/devices/disk[@type='file']/driver/@iothread", "1");
	assert_int_equal(count(doc, "/domain/cputune/iothreadsched"), 2);
	assert_xpath(doc, "/domain/cputune/iothreadsched[2]/@iothreads", "2");
	assert_int_equal(count(doc, "/domain/cputune/emulatorsched/following-sibling::vcpusched"),
			 4);
	xmlFreeDoc(doc);
	free(out);

	/* A new domain for a PC guest has ACPI and the APIC, like one virt-install makes. */
	assert_int_equal(vmp_export_libvirt_xml(&fresh, NULL, &p->vms[1], "kvm"), VMP_OK);
	doc = parse(fresh);
	assert_int_equal(count(doc, "/domain/features/acpi"), 1);
	assert_int_equal(count(doc, "/domain/features/apic"), 1);
	xmlFreeDoc(doc);
	free(fresh);
	vmp_plan_free(p);
}

static void test_merge_file(void **st)
{
	vmp_plan *p = full_plan();
	char dir[] = "/tmp/vmplan-merge-XXXXXX", in[256], bak[256], *orig, *now, *saved;
	bool changed;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/rt.xml", dir);
	snprintf(bak, sizeof(bak), "%s/rt.xml.bak", dir);
	orig = slurp(DATA_DIR "/domains/webshop.xml");
	assert_int_equal(vmp_file_write_atomic(in, orig, strlen(orig)), VMP_OK);
	assert_int_equal(vmp_export_merge_file(&changed, in, NULL, &p->vms[0]), VMP_OK);
	assert_true(changed);
	saved = slurp(bak);
	assert_string_equal(saved, orig); /* byte for byte */
	free(saved);
	now = slurp(in);
	assert_non_null(strstr(now, "host-passthrough"));
	free(now);
	assert_int_equal(vmp_export_merge_file(&changed, in, NULL, &p->vms[0]), VMP_OK);
	assert_false(changed);
	/* Nothing to change: the backup still holds the original, not the merged XML. */
	saved = slurp(bak);
	assert_string_equal(saved, orig);
	free(saved);
	unlink(in);
	unlink(bak);
	rmdir(dir);
	free(orig);
	vmp_plan_free(p);
}

/* Salt: libyaml reads it back, and the shapes are the ones Salt's virt module documents. */
static yaml_node_t *get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	assert_int_equal(map->type, YAML_MAPPING_NODE);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	fail_msg("no key '%s'", key);
	return NULL;
}

static const char *sval(yaml_node_t *n)
{
	assert_int_equal(n->type, YAML_SCALAR_NODE);
	return (const char *)n->data.scalar.value;
}

static bool is_null(yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       !strcmp(sval(n), "null");
}

/* A size with its unit: digits then B, KiB, MiB, GiB or TiB. */
static void assert_size(yaml_node_t *n)
{
	const char *s = sval(n), *u = s;
	while (*u >= '0' && *u <= '9')
		u++;
	if (u == s || (strcmp(u, "B") && strcmp(u, "KiB") && strcmp(u, "MiB") && strcmp(u, "GiB") &&
		       strcmp(u, "TiB")))
		fail_msg("size '%s' has no unit", s);
}

/* The argument called name of a state: its list holds one-key mappings. */
static yaml_node_t *arg(yaml_document_t *d, yaml_node_t *list, const char *name)
{
	assert_int_equal(list->type, YAML_SEQUENCE_NODE);
	for (yaml_node_item_t *i = list->data.sequence.items.start;
	     i < list->data.sequence.items.top; i++) {
		yaml_node_t *m = yaml_document_get_node(d, *i);
		yaml_node_t *k;
		assert_int_equal(m->type, YAML_MAPPING_NODE);
		assert_int_equal(m->data.mapping.pairs.top - m->data.mapping.pairs.start, 1);
		k = yaml_document_get_node(d, m->data.mapping.pairs.start->key);
		if (!strcmp(sval(k), name))
			return yaml_document_get_node(d, m->data.mapping.pairs.start->value);
	}
	return NULL;
}

static void test_salt(void **st)
{
	vmp_plan *p = full_plan();
	const vmp_exporter *ex = vmp_exporter_find("salt");
	vmp_export_opts opts = {.type = "kvm"};
	yaml_parser_t parser;
	yaml_document_t d;
	yaml_node_t *root, *list, *cpu, *tuning, *n, *mem;
	char *sls;
	size_t len;

	(void)st;
	assert_non_null(ex);
	/* Salt's virt module has no secure boot: rt's efi-secure is refused, not made plain efi. */
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);
	assert_null(sls);
	assert_non_null(strstr(vmp_error_last(), "VM 'rt'"));
	assert_non_null(strstr(vmp_error_last(), "efi-secure"));
	p->vms[0].req.secure_boot = false;
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_OK);
	assert_int_equal(strlen(sls), len);
	golden_text("full", "vmplan.sls", sls, false);
	/* State IDs are strings whatever the name: quoted, as a YAML 1.1 reader keeps them. */
	assert_int_equal(strncmp(sls, "\"rt\":\n", 6), 0);
	assert_non_null(strstr(sls, "\n\"pool\":\n"));
	assert_null(strstr(sls, "None"));

	assert_true(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (unsigned char *)sls, len);
	assert_true(yaml_parser_load(&parser, &d));
	root = yaml_document_get_root_node(&d);
	assert_non_null(root);
	assert_int_equal(root->data.mapping.pairs.top - root->data.mapping.pairs.start, 2);

	list = get(&d, get(&d, root, "rt"), "virt.defined");
	cpu = arg(&d, list, "cpu");
	assert_non_null(cpu);
	assert_string_equal(sval(get(&d, cpu, "maximum")), "4");
	assert_string_equal(sval(get(&d, cpu, "mode")), "host-passthrough");
	assert_string_equal(sval(get(&d, get(&d, cpu, "topology"), "sockets")), "2");
	n = get(&d, get(&d, cpu, "numa"), "1");
	assert_string_equal(sval(get(&d, n, "cpus")), "2-3");
	assert_size(get(&d, n, "memory"));
	tuning = get(&d, cpu, "tuning");
	assert_string_equal(sval(get(&d, get(&d, tuning, "vcpupin"), "2")), "10");
	assert_int_equal(get(&d, get(&d, tuning, "vcpupin"), "3")->data.scalar.style,
			 YAML_DOUBLE_QUOTED_SCALAR_STYLE); /* a cpuset, not the number 12 */
	assert_string_equal(sval(get(&d, get(&d, tuning, "iothreadpin"), "2")), "1,8");
	assert_string_equal(sval(get(&d, tuning, "emulatorpin")), "0-1");
	n = get(&d, tuning, "vcpusched");
	assert_int_equal(n->type, YAML_SEQUENCE_NODE);
	n = yaml_document_get_node(&d, *n->data.sequence.items.start);
	assert_string_equal(sval(get(&d, n, "vcpus")), "0-3");
	assert_string_equal(sval(get(&d, n, "scheduler")), "fifo");
	assert_string_equal(sval(get(&d, n, "priority")), "10");
	assert_true(is_null(get(&d, tuning, "emulatorsched")));
	assert_true(is_null(get(&d, tuning, "iothreadsched")));
	n = get(&d, get(&d, get(&d, tuning, "cachetune"), "0-3"), "1");
	assert_string_equal(sval(get(&d, n, "level")), "3");
	assert_string_equal(sval(get(&d, n, "size")), "4096");
	assert_string_equal(sval(get(&d, n, "unit")), "KiB");
	assert_string_equal(sval(get(&d, get(&d, get(&d, tuning, "memorytune"), "0-3"), "1")),
			    "50");
	assert_string_equal(sval(get(&d, tuning, "shares")), "2048");
	assert_string_equal(sval(get(&d, cpu, "iothreads")), "2");

	mem = arg(&d, list, "mem");
	assert_non_null(mem);
	assert_size(get(&d, mem, "boot"));
	assert_size(get(&d, mem, "hard_limit"));
	assert_size(get(&d, mem, "soft_limit"));
	assert_size(get(&d, mem, "swap_hard_limit"));
	assert_true(is_null(get(&d, mem, "min_guarantee"))); /* QEMU refuses it: removed */
	assert_string_equal(sval(get(&d, mem, "hard_limit")), "6GiB");
	n = get(&d, mem, "hugepages");
	assert_int_equal(n->type, YAML_SEQUENCE_NODE);
	n = yaml_document_get_node(&d, *n->data.sequence.items.start);
	assert_string_equal(sval(get(&d, n, "size")), "2MiB");
	assert_string_equal(sval(get(&d, n, "nodeset")), "0-1");
	assert_string_equal(sval(get(&d, mem, "locked")), "true");
	n = arg(&d, list, "numatune");
	assert_string_equal(sval(get(&d, get(&d, n, "memory"), "nodeset")), "0-1");
	assert_string_equal(sval(get(&d, get(&d, get(&d, n, "memnodes"), "1"), "nodeset")), "1");
	assert_string_equal(sval(get(&d, arg(&d, list, "boot"), "efi")), "true");
	assert_string_equal(sval(arg(&d, list, "vm_type")), "kvm");

	/* The shared VM: removals are YAML nulls. */
	list = get(&d, get(&d, root, "pool"), "virt.defined");
	tuning = get(&d, arg(&d, list, "cpu"), "tuning");
	assert_true(is_null(get(&d, tuning, "vcpupin")));
	assert_true(is_null(get(&d, tuning, "cachetune")));
	assert_true(is_null(get(&d, arg(&d, list, "mem"), "hard_limit")));
	assert_null(arg(&d, list, "boot"));
	yaml_document_delete(&d);
	yaml_parser_delete(&parser);
	free(sls);

	opts.salt_running = true;
	assert_int_equal(ex->fn(&sls, &len, p, 1, &opts), VMP_OK);
	assert_non_null(strstr(sls, "virt.running"));
	assert_null(strstr(sls, "rt\":"));
	free(sls);
	vmp_plan_free(p);
}

/* The Salt state of plan p, read back with libyaml into d; returns the text. */
static char *salt_load(yaml_document_t *d, const vmp_plan *p, const vmp_export_opts *opts)
{
	const vmp_exporter *ex = vmp_exporter_find("salt");
	yaml_parser_t parser;
	char *sls;
	size_t len;

	assert_non_null(ex);
	assert_int_equal(ex->fn(&sls, &len, p, -1, opts), VMP_OK);
	assert_true(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (unsigned char *)sls, len);
	assert_true(yaml_parser_load(&parser, d));
	yaml_parser_delete(&parser);
	return sls;
}

/* A plan of placed one-vCPU VMs with these names and nothing else. */
static vmp_plan *named_plan(const char *const *names, int n)
{
	vmp_plan *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->schema = VMP_PLAN_SCHEMA;
	p->nvms = n;
	p->vms = calloc((size_t)n, sizeof(*p->vms));
	assert_non_null(p->vms);
	for (int i = 0; i < n; i++) {
		vmp_plan_vm *vm = &p->vms[i];
		snprintf(vm->req.name, sizeof(vm->req.name), "%s", names[i]);
		vm->req.vcpus = 1;
		vm->req.memory_bytes = 128ULL << 20;
		vm->placed = true;
		vm->vcpupin = malloc(sizeof(int));
		assert_non_null(vm->vcpupin);
		vm->vcpupin[0] = i;
		set(&vm->pcpus, "0-1");
		vm->sockets = vm->cores = vm->threads = 1;
	}
	return p;
}

/* Names vmplan takes that YAML 1.1 (PyYAML, so Salt) reads plain as an int, a bool, None, a
 * float or a date: every one stays a distinct string state ID. */
static void test_salt_names(void **st)
{
	static const char *const names[] = {"01",    "true", "null",	   "on",   "1.5",
					    "1_000", "No",   "2001-12-14", "0x1f", "1e3"};
	const int n = (int)(sizeof(names) / sizeof(names[0]));
	vmp_plan *p = named_plan(names, n);
	vmp_export_opts opts = {0};
	yaml_document_t d;
	yaml_node_t *root, *list, *type;
	char *sls, want[64];
	int i = 0;

	(void)st;
	sls = salt_load(&d, p, &opts);
	root = yaml_document_get_root_node(&d);
	assert_int_equal(root->type, YAML_MAPPING_NODE);
	assert_int_equal(root->data.mapping.pairs.top - root->data.mapping.pairs.start, n);
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++, i++) {
		yaml_node_t *k = yaml_document_get_node(&d, pair->key);
		assert_string_equal(sval(k), names[i]);
		assert_int_equal(k->data.scalar.style, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
		snprintf(want, sizeof(want), "\"%s\":\n", names[i]);
		assert_non_null(strstr(sls, want));
	}
	/* vm_type is text too; numbers stay numbers. */
	list = get(&d, get(&d, root, "01"), "virt.defined");
	type = arg(&d, list, "vm_type");
	assert_string_equal(sval(type), "kvm");
	assert_int_equal(type->data.scalar.style, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	assert_int_equal(get(&d, arg(&d, list, "cpu"), "maximum")->data.scalar.style,
			 YAML_PLAIN_SCALAR_STYLE);
	yaml_document_delete(&d);
	free(sls);
	vmp_plan_free(p);
}

/* --type qemu is TCG: no host CPU to pass through, so the CPU is 'maximum' as in the XML. */
static void test_salt_qemu(void **st)
{
	static const char *const names[] = {"tcg"};
	vmp_plan *p = named_plan(names, 1);
	vmp_export_opts opts = {.type = "qemu"};
	yaml_document_t d;
	yaml_node_t *list;
	char *sls;

	(void)st;
	sls = salt_load(&d, p, &opts);
	list = get(&d, get(&d, yaml_document_get_root_node(&d), "tcg"), "virt.defined");
	assert_string_equal(sval(get(&d, arg(&d, list, "cpu"), "mode")), "maximum");
	assert_string_equal(sval(arg(&d, list, "vm_type")), "qemu");
	assert_null(strstr(sls, "host-passthrough"));
	yaml_document_delete(&d);
	free(sls);
	vmp_plan_free(p);
}

/* Salt's boot takes loader and nvram together, or efi; secure boot it cannot say at all. */
static void test_salt_boot(void **st)
{
	static const char *const names[] = {"fw", "other"};
	const vmp_exporter *ex = vmp_exporter_find("salt");
	vmp_plan *p = named_plan(names, 2);
	vmp_vm_request *r = &p->vms[0].req;
	vmp_export_opts opts = {0};
	yaml_document_t d;
	yaml_node_t *boot;
	char *sls = (char *)1;
	size_t len;

	(void)st;
	snprintf(r->loader, sizeof(r->loader), "/usr/share/OVMF/OVMF_CODE.fd");
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);
	assert_null(sls);
	assert_non_null(strstr(vmp_error_last(), "VM 'fw'"));
	assert_non_null(strstr(vmp_error_last(), "add nvram="));

	snprintf(r->nvram, sizeof(r->nvram), "/var/lib/libvirt/qemu/nvram/on.fd");
	r->loader[0] = '\0';
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "VM 'fw'"));
	assert_non_null(strstr(vmp_error_last(), "add loader="));

	/* Both: the paths are text, and efi stays out (Salt takes loader+nvram or efi). */
	snprintf(r->loader, sizeof(r->loader), "/usr/share/OVMF/OVMF_CODE.fd");
	r->efi = true;
	sls = salt_load(&d, p, &opts);
	boot = arg(&d, get(&d, get(&d, yaml_document_get_root_node(&d), "fw"), "virt.defined"),
		   "boot");
	assert_non_null(boot);
	assert_int_equal(boot->data.mapping.pairs.top - boot->data.mapping.pairs.start, 2);
	assert_string_equal(sval(get(&d, boot, "loader")), "/usr/share/OVMF/OVMF_CODE.fd");
	assert_int_equal(get(&d, boot, "loader")->data.scalar.style,
			 YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	assert_string_equal(sval(get(&d, boot, "nvram")), "/var/lib/libvirt/qemu/nvram/on.fd");
	assert_int_equal(get(&d, boot, "nvram")->data.scalar.style,
			 YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	yaml_document_delete(&d);
	free(sls);

	/* Secure boot is refused with an explicit loader too: Salt's loader is never secure. */
	r->secure_boot = true;
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "VM 'fw'"));
	assert_non_null(strstr(vmp_error_last(), "secure boot"));
	/* Only the VMs written are checked: an unplaced one does not stop the others. */
	p->vms[0].placed = false;
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_OK);
	assert_null(strstr(sls, "\"fw\""));
	free(sls);
	vmp_plan_free(p);
}

static void test_diff(void **st)
{
	char *d;

	(void)st;
	assert_int_equal(
	    vmp_export_diff(&d, "<a><b/><c/></a>", "<a>\n <b/>\n <c/>\n</a>", "x", "y"), VMP_OK);
	assert_string_equal(d, "");
	free(d);
	assert_int_equal(
	    vmp_export_diff(&d, "<a><b/><c/><e/></a>", "<a><b/><d/><e/></a>", "x", "y"), VMP_OK);
	assert_non_null(strstr(d, "--- x\n+++ y\n"));
	assert_non_null(strstr(d, "\n-  <c/>\n+  <d/>\n"));
	assert_non_null(strstr(d, "\n   <b/>\n"));
	free(d);
}

static char *domain_xml(virConnectPtr conn, const char *name)
{
	virDomainPtr dom = virDomainLookupByName(conn, name);
	char *xml;

	assert_non_null(dom);
	xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	virDomainFree(dom);
	return xml;
}

static void test_define(void **st)
{
	/* The test driver keeps its domains while a connection to it stays open. */
	virConnectPtr conn = test_conn();
	vmp_plan *p = full_plan();
	vmp_define_result *res = NULL;
	vmp_define_opts opts = {0};
	char dir[] = "/tmp/vmplan-define-XXXXXX", bak[256], *before, *after, *saved;
	xmlDocPtr doc;

	(void)st;
	assert_non_null(mkdtemp(dir));
	opts.backup_dir = dir;
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(res[0].action, VMP_DEFINE_CREATED);
	assert_int_equal(res[1].action, VMP_DEFINE_CREATED);
	assert_int_equal(res[2].action, VMP_DEFINE_SKIPPED);
	vmp_define_results_free(res, p->nvms);
	before = domain_xml(conn, "rt");
	assert_tuning(before, &p->vms[0]);
	/* The test driver has no domain capabilities: the type comes from its guests. */
	doc = parse(before);
	assert_xpath(doc, "/domain/@type", "test");
	xmlFreeDoc(doc);

	assert_int_equal(vmp_define_plan(&res, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(res[0].action, VMP_DEFINE_UNCHANGED);
	vmp_define_results_free(res, p->nvms);

	/* A smaller VM: merged, the old definition backed up first. */
	p->vms[0].req.vcpus = 2;
	p->vms[0].cells[1].vcpus = (vmp_cpuset){0};
	vmp_cpuset_set(&p->vms[0].cells[1].vcpus, 1);
	vmp_cpuset_clr(&p->vms[0].cells[0].vcpus, 1);
	p->vms[0].sockets = 2, p->vms[0].cores = 1;
	set(&p->vms[0].pcpus, "2,4");

	opts.dry_run = true;
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(res[0].action, VMP_DEFINE_UPDATED);
	assert_non_null(res[0].diff);
	assert_non_null(strstr(res[0].diff, "-    <vcpupin vcpu=\"3\" cpuset=\"12\"/>"));
	assert_string_equal(res[1].diff, "");
	vmp_define_results_free(res, p->nvms);
	after = domain_xml(conn, "rt");
	assert_string_equal(before, after); /* a dry run changes nothing */
	free(after);

	opts.dry_run = false;
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(res[0].action, VMP_DEFINE_UPDATED);
	snprintf(bak, sizeof(bak), "%s/rt.xml.bak", dir);
	assert_string_equal(res[0].backup, bak);
	vmp_define_results_free(res, p->nvms);
	saved = slurp(bak);
	assert_string_equal(saved, before);
	free(saved);
	free(before);
	before = domain_xml(conn, "rt");
	assert_tuning(before, &p->vms[0]);

	/* A definition libvirt refuses (a cell naming a vCPU the VM lacks) changes nothing. */
	vmp_cpuset_set(&p->vms[0].cells[1].vcpus, 7);
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", &opts), VMP_ESYS);
	assert_non_null(strstr(vmp_error_last(), "'rt'"));
	assert_int_equal(res[0].action, VMP_DEFINE_SKIPPED); /* not reported as updated */
	vmp_define_results_free(res, p->nvms);
	after = domain_xml(conn, "rt");
	assert_string_equal(before, after);
	free(after);
	free(before);
	unlink(bak);
	rmdir(dir);
	virConnectClose(conn);
	vmp_plan_free(p);
}

/* What the running domain name has live for one pin ("emulator", "iothread 1", "vcpu 0"),
 * as libvirt's cpuset text; "" when libvirt has no such pin. */
static void live_pin(char *out, size_t size, virConnectPtr conn, const char *name, const char *what)
{
	virDomainPtr dom = virDomainLookupByName(conn, name);
	unsigned char maps[64 * 2] = {0}; /* the test driver's 16 CPUs fit 2 bytes a map */
	const int maplen = 2;
	virDomainIOThreadInfoPtr *info = NULL;
	vmp_cpuset set = {0};
	const unsigned char *map = NULL;
	unsigned id;
	int n = -1;

	assert_non_null(dom);
	*out = '\0';
	if (!strcmp(what, "emulator")) {
		if (virDomainGetEmulatorPinInfo(dom, maps, maplen, VIR_DOMAIN_AFFECT_LIVE) >= 0)
			map = maps;
	} else if (sscanf(what, "vcpu %u", &id) == 1) {
		n = virDomainGetVcpuPinInfo(dom, 64, maps, maplen, VIR_DOMAIN_AFFECT_LIVE);
		if ((int)id < n)
			map = VIR_GET_CPUMAP(maps, maplen, id);
	} else if (sscanf(what, "iothread %u", &id) == 1) {
		n = virDomainGetIOThreadInfo(dom, &info, VIR_DOMAIN_AFFECT_LIVE);
		for (int i = 0; i < n; i++)
			if (info[i]->iothread_id == id) {
				for (int cpu = 0; cpu < info[i]->cpumaplen * 8; cpu++)
					if (VIR_CPU_USABLE(info[i]->cpumap, info[i]->cpumaplen, 0,
							   cpu))
						vmp_cpuset_set(&set, cpu);
				vmp_cpuset_format(out, size, &set);
			}
		for (int i = 0; i < n; i++)
			virDomainIOThreadInfoFree(info[i]);
		free(info);
	} else {
		fail_msg("no such pin '%s'", what);
	}
	for (int cpu = 0; map && cpu < maplen * 8; cpu++)
		if (VIR_CPU_USABLE(map, maplen, 0, cpu))
			vmp_cpuset_set(&set, cpu);
	if (map)
		vmp_cpuset_format(out, size, &set);
	virDomainFree(dom);
}

static void assert_live_pin(virConnectPtr conn, const char *name, const char *what,
			    const char *expected)
{
	char got[256];

	live_pin(got, sizeof(got), conn, name, what);
	if (strcmp(got, expected))
		fail_msg("%s of running domain '%s': live pin '%s', expected '%s'", what, name, got,
			 expected);
}

/*
 * --live through the test driver. It pins a running domain's emulator and I/O threads
 * with VIR_DOMAIN_AFFECT_LIVE but refuses that flag for vCPUs (virDomainPinVcpuFlags
 * takes no flags there), so the vCPU pins are seen failing here and succeeding only in
 * tests/libvirt/t_qemu.sh.
 */
static void test_define_live(void **st)
{
	virConnectPtr conn = test_conn();
	vmp_plan *p = full_plan();
	vmp_plan_vm *rt = &p->vms[0];
	vmp_define_result *res = NULL;
	vmp_define_opts opts = {0};
	char dir[] = "/tmp/vmplan-live-XXXXXX", bak[256], *before, *after;
	virDomainPtr dom;

	(void)st;
	assert_non_null(mkdtemp(dir));
	opts.backup_dir = dir;
	opts.live = true;
	/* New domains do not run: nothing to pin. */
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(res[0].action, VMP_DEFINE_CREATED);
	assert_false(res[0].running);
	assert_false(res[0].live);
	assert_int_equal(res[0].npins, 0);
	vmp_define_results_free(res, p->nvms);
	dom = virDomainLookupByName(conn, "rt");
	assert_non_null(dom);
	assert_int_equal(virDomainCreate(dom), 0);
	virDomainFree(dom);
	assert_live_pin(conn, "rt", "emulator", "0-1");
	assert_live_pin(conn, "rt", "iothread 1", "0");
	assert_live_pin(conn, "rt", "iothread 2", "1,8");
	assert_live_pin(conn, "rt", "vcpu 1", "4");

	/* New pins, the same numbers of vCPUs and I/O threads. */
	rt->vcpupin[0] = 3, rt->vcpupin[1] = 5, rt->vcpupin[2] = 11, rt->vcpupin[3] = 13;
	set(&rt->pcpus, "3,5,11,13");
	set(&rt->emulatorpin, "14-15");
	set(&rt->iothreadpin[0], "6");
	set(&rt->iothreadpin[1], "7,9");

	/* Without live: the definition changes, the running guest keeps its pins. */
	opts.live = false;
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(res[0].action, VMP_DEFINE_UPDATED);
	assert_true(res[0].running);
	assert_false(res[0].live);
	assert_int_equal(res[0].npins, 0);
	assert_null(res[0].pins);
	vmp_define_results_free(res, p->nvms);
	assert_live_pin(conn, "rt", "emulator", "0-1");
	assert_live_pin(conn, "rt", "iothread 1", "0");
	assert_live_pin(conn, "rt", "iothread 2", "1,8");

	/* A dry run says what it would pin, in order, and pins nothing. */
	opts.live = true;
	opts.dry_run = true;
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(res[0].action, VMP_DEFINE_UNCHANGED);
	assert_false(res[0].live);
	assert_int_equal(res[0].npins, 1 + 2 + 4);
	assert_string_equal(res[0].pins[0].what, "emulator");
	assert_string_equal(res[0].pins[0].cpuset, "14-15");
	assert_string_equal(res[0].pins[1].what, "iothread 1");
	assert_string_equal(res[0].pins[1].cpuset, "6");
	assert_string_equal(res[0].pins[2].what, "iothread 2");
	assert_string_equal(res[0].pins[2].cpuset, "7,9");
	for (int i = 0; i < 4; i++) {
		char what[32], cpu[8];
		snprintf(what, sizeof(what), "vcpu %d", i);
		snprintf(cpu, sizeof(cpu), "%d", rt->vcpupin[i]);
		assert_int_equal(res[0].pins[3 + i].kind, VMP_PIN_VCPU);
		assert_string_equal(res[0].pins[3 + i].what, what);
		assert_string_equal(res[0].pins[3 + i].cpuset, cpu);
	}
	for (int i = 0; i < res[0].npins; i++)
		assert_false(res[0].pins[i].applied);
	assert_false(res[1].running); /* pool is defined, not started */
	assert_int_equal(res[1].npins, 0);
	vmp_define_results_free(res, p->nvms);
	assert_live_pin(conn, "rt", "emulator", "0-1");
	assert_live_pin(conn, "rt", "iothread 1", "0");

	/* Live: the emulator and I/O threads move; the test driver then refuses the first
	 * vCPU pin, and the error names the VM, the pin and libvirt's reason. */
	opts.dry_run = false;
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", &opts), VMP_ESYS);
	assert_non_null(strstr(vmp_error_last(), "vcpu 0 of running domain 'rt'"));
	assert_non_null(strstr(vmp_error_last(), "unsupported flags"));
	assert_non_null(strstr(vmp_error_last(), "persistent definition holds the plan"));
	assert_non_null(strstr(vmp_error_last(), "the 3 pins before it were applied live"));
	assert_int_equal(res[0].action, VMP_DEFINE_UNCHANGED);
	assert_false(res[0].live);
	for (int i = 0; i < res[0].npins; i++)
		assert_int_equal(res[0].pins[i].applied, i < 3);
	for (int i = 0; i < 3; i++)
		assert_live_pin(conn, "rt", res[0].pins[i].what, res[0].pins[i].cpuset);
	/* Refused: still where it was. */
	assert_live_pin(conn, "rt", "vcpu 0", "2");
	assert_int_equal(res[1].action, VMP_DEFINE_SKIPPED); /* not reached */
	vmp_define_results_free(res, p->nvms);

	/* A running guest with 4 vCPUs cannot take a 2-vCPU plan's pins live: refused before
	 * its definition or any pin changes. */
	before = domain_xml(conn, "rt");
	rt->req.vcpus = 2;
	rt->cells[1].vcpus = (vmp_cpuset){0};
	vmp_cpuset_set(&rt->cells[1].vcpus, 1);
	vmp_cpuset_clr(&rt->cells[0].vcpus, 1);
	rt->sockets = 2, rt->cores = 1;
	set(&rt->pcpus, "3,5");
	set(&rt->emulatorpin, "12");
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", &opts), VMP_ESYS);
	assert_non_null(strstr(vmp_error_last(), "'rt'"));
	assert_non_null(strstr(vmp_error_last(), "runs 4 vCPUs"));
	assert_int_equal(res[0].action, VMP_DEFINE_SKIPPED);
	assert_int_equal(res[0].npins, 0);
	vmp_define_results_free(res, p->nvms);
	after = domain_xml(conn, "rt");
	assert_string_equal(before, after);
	free(after);
	free(before);
	assert_live_pin(conn, "rt", "emulator", "14-15");

	snprintf(bak, sizeof(bak), "%s/rt.xml.bak", dir);
	unlink(bak);
	rmdir(dir);
	virConnectClose(conn);
	vmp_plan_free(p);
}

static const vmp_mismatch *find_mismatch(const vmp_verify_report *r, const char *what)
{
	for (int i = 0; i < r->nmismatches; i++)
		if (!strcmp(r->mismatches[i].what, what))
			return &r->mismatches[i];
	return NULL;
}

static void write_file(const char *path, const char *text)
{
	assert_int_equal(vmp_file_write_atomic(path, text, strlen(text)), VMP_OK);
}

/* A /proc of one QEMU process: main thread 100, vCPU threads 101-104, I/O threads 105-106. */
static void fake_proc(const char *root, const char *cpu3_allowed)
{
	static const struct {
		int tid;
		const char *comm, *allowed;
	} t[] = {{100, "qemu-system-x86", "0-1"}, {101, "CPU 0/KVM", "2"},
		 {102, "CPU 1/KVM", "4"},	  {103, "CPU 2/KVM", "10"},
		 {104, "CPU 3/KVM", NULL},	  {105, "IO iothread1", "0"},
		 {106, "IO iothread2", "1,8"},	  {107, "call_rcu", "0-1"}};
	char path[512], text[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(path, sizeof(path), "%s/proc/100/task/%d", root, t[i].tid);
		assert_int_equal(vmp_mkdir_p(path), VMP_OK);
		snprintf(path, sizeof(path), "%s/proc/100/task/%d/comm", root, t[i].tid);
		snprintf(text, sizeof(text), "%s\n", t[i].comm);
		write_file(path, text);
		snprintf(path, sizeof(path), "%s/proc/100/task/%d/status", root, t[i].tid);
		snprintf(text, sizeof(text),
			 "Name:\t%s\nCpus_allowed:\tffff\nCpus_allowed_list:\t%s\n", t[i].comm,
			 t[i].allowed ? t[i].allowed : cpu3_allowed);
		write_file(path, text);
	}
	snprintf(path, sizeof(path), "%s/run", root);
	assert_int_equal(vmp_mkdir_p(path), VMP_OK);
	snprintf(path, sizeof(path), "%s/run/rt.pid", root);
	write_file(path, "100");
}

/* Set or (value NULL) unset an environment variable for a test. */
static void set_env(const char *name, const char *value)
{
	assert_int_equal(value ? setenv(name, value, 1) : unsetenv(name), 0);
}

/* Where libvirt keeps a domain's pid file: the system daemon's directory, or a session
 * daemon's runtime directory, which falls back to its cache directory. */
static void test_verify_pid_path(void **st)
{
	static const char *const vars[] = {"XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "HOME"};
	char *saved[3], path[4096], small[24];

	(void)st;
	for (int i = 0; i < 3; i++)
		saved[i] = getenv(vars[i]) ? strdup(getenv(vars[i])) : NULL;
	set_env("XDG_RUNTIME_DIR", "/fake/run/user/1000");
	set_env("XDG_CACHE_HOME", "/fake/cache");
	set_env("HOME", "/fake/home");

	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///system", "db", 1000),
			 VMP_OK);
	assert_string_equal(path, "/run/libvirt/qemu/db.pid");
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu+unix:///system", "db", 0),
			 VMP_OK);
	assert_string_equal(path, "/run/libvirt/qemu/db.pid");
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///session", "db", 1000),
			 VMP_OK);
	assert_string_equal(path, "/fake/run/user/1000/libvirt/qemu/run/db.pid");
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path),
					     "qemu+unix:///session?socket=/x/sock", "db", 1000),
			 VMP_OK);
	assert_string_equal(path, "/fake/run/user/1000/libvirt/qemu/run/db.pid");
	/* As root, libvirt serves qemu:///session from the system daemon. */
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///session", "db", 0),
			 VMP_OK);
	assert_string_equal(path, "/run/libvirt/qemu/db.pid");
	set_env("XDG_RUNTIME_DIR", "");
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///session", "db", 1000),
			 VMP_OK);
	assert_string_equal(path, "/fake/cache/libvirt/qemu/run/db.pid");
	set_env("XDG_RUNTIME_DIR", NULL);
	set_env("XDG_CACHE_HOME", NULL);
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///session", "db", 1000),
			 VMP_OK);
	assert_string_equal(path, "/fake/home/.cache/libvirt/qemu/run/db.pid");

	/* Not a local QEMU daemon: no pid file here. */
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "test:///default", "db", 0),
			 VMP_ENOTFOUND);
	assert_non_null(strstr(vmp_error_last(), "'test:///default' is not a local QEMU URI"));
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu+ssh://host/system", "db", 0),
			 VMP_ENOTFOUND);
	assert_int_equal(
	    vmp_verify_pid_path(path, sizeof(path), "qemu://localhost/system", "db", 0),
	    VMP_ENOTFOUND);
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///systemd", "db", 0),
			 VMP_ENOTFOUND);
	assert_int_equal(vmp_verify_pid_path(small, sizeof(small), "qemu:///system", "db", 0),
			 VMP_EINVAL);

	for (int i = 0; i < 3; i++) {
		set_env(vars[i], saved[i]);
		free(saved[i]);
	}
}

static void test_verify(void **st)
{
	virConnectPtr conn = test_conn();
	vmp_plan *p = full_plan();
	vmp_verify_report *rep = NULL;
	vmp_verify_opts opts = {.proc = 0};
	const vmp_mismatch *m;
	char *xml, root[] = "/tmp/vmplan-proc-XXXXXX", pid_dir[300], proc_root[300], cmd[400];
	virDomainPtr dom;
	unsigned char map = 0;

	(void)st;
	/* Not defined yet: every placed VM is a mismatch. */
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	for (int i = 0; i < rep->nmismatches; i++)
		fprintf(stderr, "mismatch: %s %s planned %s found %s\n", rep->mismatches[i].vm,
			rep->mismatches[i].what, rep->mismatches[i].expected,
			rep->mismatches[i].actual);
	assert_int_equal(rep->nmismatches, 2);
	assert_non_null(find_mismatch(rep, "domain"));
	vmp_verify_report_free(rep);

	for (int i = 0; i < 2; i++) {
		vmp_export_opts eo = {.type = "test"};
		assert_int_equal(vmp_export_libvirt_xml_opts(&xml, NULL, &p->vms[i], &eo), VMP_OK);
		dom = virDomainDefineXMLFlags(conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
		assert_non_null(dom);
		assert_int_equal(virDomainCreate(dom), 0);
		virDomainFree(dom);
		free(xml);
	}
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	for (int i = 0; i < rep->nmismatches; i++)
		fprintf(stderr, "unexpected: %s %s planned %s found %s\n", rep->mismatches[i].vm,
			rep->mismatches[i].what, rep->mismatches[i].expected,
			rep->mismatches[i].actual);
	assert_int_equal(rep->nmismatches, 0);
	/* rt: 2 (domain) + 4 vCPUs + emulator + 2 iothreads + mode, nodeset. */
	assert_true(rep->nchecked >= 2 + 4 + 1 + 2 + 2 + 2 + 1 + 2);
	vmp_verify_report_free(rep);

	/* Planted: vCPU 1 moved to CPU 7. */
	dom = virDomainLookupByName(conn, "rt");
	map = 1 << 7;
	assert_int_equal(virDomainPinVcpu(dom, 1, &map, 1), 0);
	virDomainFree(dom);
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 1);
	m = find_mismatch(rep, "vcpu 1");
	assert_non_null(m);
	assert_string_equal(m->vm, "rt");
	assert_string_equal(m->expected, "4");
	assert_string_equal(m->actual, "7");
	vmp_verify_report_free(rep);

	/* The QEMU threads in /proc: right, then one vCPU thread may run anywhere. */
	assert_non_null(mkdtemp(root));
	snprintf(pid_dir, sizeof(pid_dir), "%s/run", root);
	snprintf(proc_root, sizeof(proc_root), "%s/proc", root);
	fake_proc(root, "12");
	dom = virDomainLookupByName(conn, "rt");
	map = 1 << 4;
	assert_int_equal(virDomainPinVcpu(dom, 1, &map, 1), 0);
	virDomainFree(dom);
	p->vms[1].placed = false; /* only rt has a pid file */
	opts = (vmp_verify_opts){.proc = 1, .pid_dir = pid_dir, .proc_root = proc_root};
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(rep->nproc_vms, 1);
	assert_int_equal(rep->nmismatches, 0);
	vmp_verify_report_free(rep);
	fake_proc(root, "0-15");
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 1);
	m = find_mismatch(rep, "vcpu 3 thread 104");
	assert_non_null(m);
	assert_string_equal(m->source, "/proc");
	assert_string_equal(m->expected, "12");
	assert_string_equal(m->actual, "0-15");
	vmp_verify_report_free(rep);

	/* More vCPUs run than planned (4, the plan says 3): libvirt's count and the thread
	 * 'CPU 3/KVM' are both mismatches, not cut down to the plan's vCPUs. */
	fake_proc(root, "12");
	p->vms[0].req.vcpus = 3;
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 2);
	m = find_mismatch(rep, "vcpus");
	assert_non_null(m);
	assert_string_equal(m->source, "libvirt");
	assert_string_equal(m->expected, "3");
	assert_string_equal(m->actual, "4");
	m = find_mismatch(rep, "vcpu 3 thread 104");
	assert_non_null(m);
	assert_string_equal(m->source, "/proc");
	assert_string_equal(m->expected, "vcpus=3");
	assert_string_equal(m->actual, "thread 'CPU 3/KVM'");
	vmp_verify_report_free(rep);
	p->vms[0].req.vcpus = 4;

	/* auto: a pid file that cannot be read leaves the VM out of /proc, with the reason. */
	snprintf(cmd, sizeof(cmd), "%s/rt.pid", pid_dir);
	assert_int_equal(unlink(cmd), 0);
	opts.proc = -1;
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 0);
	assert_int_equal(rep->nproc_vms, 0);
	assert_int_equal(rep->nproc_skipped, 1);
	assert_non_null(strstr(rep->proc_skipped_why, "/rt.pid': No such file or directory"));
	vmp_verify_report_free(rep);
	/* The same with yes is a mismatch. */
	opts.proc = 1;
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 1);
	assert_string_equal(rep->mismatches[0].what, "pid file");
	assert_string_equal(rep->mismatches[0].expected, "a pid file");
	assert_non_null(strstr(rep->mismatches[0].actual, "missing: /tmp/vmplan-proc-"));
	assert_non_null(strstr(rep->mismatches[0].actual, "/run/rt.pid"));
	vmp_verify_report_free(rep);
	/* Without a pid_dir the test driver's processes are not on this host: auto notes it,
	 * yes refuses it. */
	opts = (vmp_verify_opts){.proc = -1, .proc_root = proc_root};
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 0);
	assert_int_equal(rep->nproc_skipped, 1);
	assert_non_null(strstr(rep->proc_skipped_why, "not a local QEMU URI"));
	vmp_verify_report_free(rep);
	opts.proc = 1;
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_EINVAL);
	assert_null(rep);
	assert_non_null(strstr(vmp_error_last(), "not a local QEMU URI"));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);

	assert_int_equal(vmp_verify_plan(&rep, p, "bogus+x:///nothing", &opts), VMP_ESYS);
	assert_null(rep);
	virConnectClose(conn);
	vmp_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_roundtrip), cmocka_unit_test(test_json_errors),
	    cmocka_unit_test(test_golden_groups),  cmocka_unit_test(test_libvirt_roundtrip),
	    cmocka_unit_test(test_merge),	   cmocka_unit_test(test_merge_file),
	    cmocka_unit_test(test_merge_blank_text), cmocka_unit_test(test_merge_encoding_error),
	    cmocka_unit_test(test_merge_libvirt_rules),
	    cmocka_unit_test(test_salt),	   cmocka_unit_test(test_salt_names),
	    cmocka_unit_test(test_salt_qemu),	   cmocka_unit_test(test_salt_boot),
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_define),	   cmocka_unit_test(test_define_live),
	    cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_verify_pid_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
