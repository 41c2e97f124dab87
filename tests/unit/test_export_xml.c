/* Every tuning element in libvirt XML: plan.json round trip, golden files, the test driver. */
#include "unit/exportcheck.h"

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
		/* The arrays hold what the counts say; their room may differ. */
		assert_int_equal(x.ncells, y.ncells);
		assert_int_equal(x.niothreads, y.niothreads);
		assert_int_equal(x.ncachetune, y.ncachetune);
		assert_int_equal(x.nmemorytune, y.nmemorytune);
		if (x.ncells)
			assert_memory_equal(x.cells, y.cells, (size_t)x.ncells * sizeof(*x.cells));
		if (x.niothreads)
			assert_memory_equal(x.iothreadpin, y.iothreadpin,
					    (size_t)x.niothreads * sizeof(*x.iothreadpin));
		if (x.ncachetune)
			assert_memory_equal(x.cachetune, y.cachetune,
					    (size_t)x.ncachetune * sizeof(*x.cachetune));
		if (x.nmemorytune)
			assert_memory_equal(x.memorytune, y.memorytune,
					    (size_t)x.nmemorytune * sizeof(*x.memorytune));
		x.vcpupin = y.vcpupin = NULL;
		x.explain = y.explain = NULL;
		x.cells = y.cells = NULL;
		x.iothreadpin = y.iothreadpin = NULL;
		x.cachetune = y.cachetune = NULL;
		x.memorytune = y.memorytune = NULL;
		x.room_cells = y.room_cells = x.room_iothreads = y.room_iothreads = 0;
		x.room_cachetune = y.room_cachetune = x.room_memorytune = y.room_memorytune = 0;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_roundtrip),
	    cmocka_unit_test(test_json_errors),
	    cmocka_unit_test(test_golden_groups),
	    cmocka_unit_test(test_libvirt_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
