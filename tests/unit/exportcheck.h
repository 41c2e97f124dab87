/* The export tests' shared plan and checks: a hand-filled plan, golden files, XPath. */
#ifndef VMPLAN_TEST_EXPORTCHECK_H
#define VMPLAN_TEST_EXPORTCHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/xmlerror.h>

#include "unit/xmlcheck.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"

#define DATA_DIR VMPLAN_SOURCE_DIR "/tests/data"

static inline bool updating(void)
{
	const char *u = getenv("VMPLAN_UPDATE_GOLDEN");
	return u && *u && strcmp(u, "0");
}

static inline void set(vmp_cpuset *s, const char *text)
{
	assert_int_equal(vmp_cpuset_parse(s, text), VMP_OK);
}

/*
 * A plan filled by hand (not by the planner): "rt" sets every knob, "pool" floats on
 * a shared pool, "big" was not placed. Host CPUs stay below 16 so that libvirt's test
 * driver (16 CPUs) reports the pins back unclipped.
 */
static inline vmp_plan *full_plan(void)
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
	assert_int_equal(vmp_plan_vm_reserve(vm, VMP_MAX_IOTHREADS, VMP_MAX_CACHETUNE,
					     VMP_RDT_DOMAINS_MAX, VMP_MAX_CELLS),
			 VMP_OK);
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
	assert_int_equal(vmp_plan_vm_reserve(vm, VMP_MAX_IOTHREADS, VMP_MAX_CACHETUNE,
					     VMP_RDT_DOMAINS_MAX, VMP_MAX_CELLS),
			 VMP_OK);
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
	assert_int_equal(vmp_plan_vm_reserve(vm, VMP_MAX_IOTHREADS, VMP_MAX_CACHETUNE,
					     VMP_RDT_DOMAINS_MAX, VMP_MAX_CELLS),
			 VMP_OK);
	r = &vm->req;
	snprintf(r->name, sizeof(r->name), "big");
	r->vcpus = 64;
	r->memory_bytes = 512ULL << 30;
	vm->placed = false;
	snprintf(vm->reason, sizeof(vm->reason), "asked for 64 dedicated vCPUs; 10 were free");
	vm->bind = VMP_BIND_CORES;
	return p;
}

static inline void golden_text(const char *dir, const char *file, const char *actual, bool xml)
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

static inline xmlDocPtr parse(const char *xml)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, XML_PARSE_NOBLANKS);
	assert_non_null(doc);
	return doc;
}

static inline int count(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	int n = r && r->nodesetval ? r->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return n;
}

/* The string value of an XPath expression ("" when nothing); caller frees. */
static inline char *xstr(xmlDocPtr doc, const char *expr)
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

static inline void assert_xpath(xmlDocPtr doc, const char *expr, const char *expected)
{
	char *s = xstr(doc, expr);
	if (strcmp(s, expected))
		fail_msg("%s is '%s', expected '%s'", expr, s, expected);
	free(s);
}

/* The serialisation of the elements an XPath selects, wrapped in <group>. */
static inline char *group_xml(xmlDocPtr doc, const char *expr)
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
static inline char *libvirt_roundtrip(virConnectPtr conn, const char *xml)
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
static inline void assert_tuning(const char *xml, const vmp_plan_vm *vm)
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

static inline virConnectPtr test_conn(void)
{
	virConnectPtr conn;

	virSetErrorFunc(NULL, quiet_libvirt);
	conn = virConnectOpen("test:///default");
	if (!conn)
		skip();
	return conn;
}

#endif
