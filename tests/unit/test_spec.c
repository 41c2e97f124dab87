/* Unit tests of the --vm SPEC parser and VM name checks. */
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
#include "vmplan/profile.h"
#include "vmplan/spec.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

static vmp_vm_request parse_ok(const char *spec)
{
	vmp_vm_request req;

	memset(&req, 0xa5, sizeof(req)); /* every field must be written */
	if (vmp_spec_parse(&req, spec) != VMP_OK)
		fail_msg("'%s' refused: %s", spec, vmp_error_last());
	return req;
}

/*
 * spec must be refused, the request left alone, and the message quote the
 * whole spec and contain want.
 */
static void expect_bad(const char *spec, const char *want)
{
	vmp_vm_request req, before;
	char quoted[1024];

	memset(&req, 0x5a, sizeof(req));
	before = req;
	vmp_error_clear();
	assert_int_equal(vmp_spec_parse(&req, spec), VMP_EINVAL);
	assert_memory_equal(&req, &before, sizeof(req));
	snprintf(quoted, sizeof(quoted), "bad --vm '%s': ", spec);
	if (strstr(vmp_error_last(), quoted) != vmp_error_last())
		fail_msg("message for '%s' does not start with \"%s\": \"%s\"", spec, quoted,
			 vmp_error_last());
	if (!strstr(vmp_error_last(), want))
		fail_msg("message for '%s' lacks \"%s\": \"%s\"", spec, want, vmp_error_last());
}

static void test_minimal_defaults(void **state)
{
	vmp_vm_request req = parse_ok("name=db,vcpus=8,memory=16G");

	(void)state;
	assert_string_equal(req.name, "db");
	assert_int_equal(req.vcpus, 8);
	assert_int_equal(req.memory_bytes, 16 * GIB);
	/* The rest as in a zeroed request. */
	assert_int_equal(req.threads, VMP_THREADS_PREFER);
	assert_int_equal(req.emulator, VMP_EMULATOR_SHARE);
	assert_int_equal(req.numa_cells, 0);
	assert_int_equal(req.hugepage_bytes, 0);
	for (size_t i = strlen(req.name); i < sizeof(req.name); i++)
		assert_int_equal(req.name[i], 0);
}

static void test_all_keys(void **state)
{
	vmp_vm_request req = parse_ok("memory=4096,hugepages=1G,emulator=isolate,numa=2,"
				      "threads=require,vcpus=1024,name=web-01.example_x");

	(void)state;
	assert_string_equal(req.name, "web-01.example_x");
	assert_int_equal(req.vcpus, 1024);
	assert_int_equal(req.memory_bytes, 4096 * MIB);
	assert_int_equal(req.threads, VMP_THREADS_REQUIRE);
	assert_int_equal(req.emulator, VMP_EMULATOR_ISOLATE);
	assert_int_equal(req.numa_cells, 2);
	assert_int_equal(req.hugepage_bytes, GIB);
}

static void test_values(void **state)
{
	vmp_vm_request req;

	(void)state;
	req = parse_ok("name=a,vcpus=1,memory=1,threads=prefer,emulator=share,numa=1");
	assert_int_equal(req.vcpus, 1);
	assert_int_equal(req.memory_bytes, MIB);
	assert_int_equal(req.threads, VMP_THREADS_PREFER);
	assert_int_equal(req.emulator, VMP_EMULATOR_SHARE);
	assert_int_equal(req.numa_cells, 1);

	req = parse_ok("name=a,vcpus=2,memory=1GiB,threads=isolate,numa=64");
	assert_int_equal(req.threads, VMP_THREADS_ISOLATE);
	assert_int_equal(req.numa_cells, 64);
	assert_int_equal(req.memory_bytes, GIB);

	/* Memory and memtune sizes in decimal units round up to a whole KiB, as libvirt's do. */
	req = parse_ok("name=a,vcpus=2,memory=1gb,hard_limit=5gb,soft_limit=1kb");
	assert_true(req.memory_bytes == UINT64_C(976563) * 1024);
	assert_true(req.hard_limit_bytes == UINT64_C(4882813) * 1024);
	assert_true(req.soft_limit_bytes == 1024);

	/* hugepages: "2M" and "1G" as libvirt users write them; a bare number is MiB. */
	req = parse_ok("name=a,vcpus=2,memory=8G,hugepages=2M");
	assert_int_equal(req.hugepage_bytes, 2 * MIB);
	req = parse_ok("name=a,vcpus=2,memory=8G,hugepages=2");
	assert_int_equal(req.hugepage_bytes, 2 * MIB);
	req = parse_ok("name=a,vcpus=2,memory=8G,hugepages=1g");
	assert_int_equal(req.hugepage_bytes, GIB);
	req = parse_ok("name=a,vcpus=2,memory=8G,hugepages=2048k");
	assert_int_equal(req.hugepage_bytes, 2 * MIB);

	/* Spaces around items, keys and values. */
	req = parse_ok(" name = db , vcpus= 4,memory =2 G ");
	assert_string_equal(req.name, "db");
	assert_int_equal(req.vcpus, 4);
	assert_int_equal(req.memory_bytes, 2 * GIB);
}

static void test_missing_required(void **state)
{
	(void)state;
	expect_bad("vcpus=8,memory=16G", "missing key 'name'");
	expect_bad("name=db,memory=16G", "missing key 'vcpus'");
	expect_bad("name=db,vcpus=8", "missing key 'memory'");
	expect_bad("numa=2", "missing key 'name'");
	expect_bad("", "the spec is empty");
	expect_bad("  ", "the spec is empty");
}

static void test_vcpus_bad(void **state)
{
	(void)state;
	expect_bad("name=a,vcpus=0,memory=1G", "vcpus must be between 1 and 1024, not '0'");
	expect_bad("name=a,vcpus=1025,memory=1G", "vcpus must be between 1 and 1024, not '1025'");
	expect_bad("name=a,vcpus=-1,memory=1G", "vcpus must be between 1 and 1024, not '-1'");
	expect_bad("name=a,vcpus=+1,memory=1G", "vcpus must be between 1 and 1024, not '+1'");
	expect_bad("name=a,vcpus=4x,memory=1G", "vcpus must be between 1 and 1024, not '4x'");
	expect_bad("name=a,vcpus=,memory=1G", "vcpus must be between 1 and 1024, not ''");
	expect_bad("name=a,vcpus=99999999999999999999999,memory=1G",
		   "vcpus must be between 1 and 1024, not '99999999999999999999999'");
	expect_bad("name=a,vcpus=4294967297,memory=1G",
		   "vcpus must be between 1 and 1024, not '4294967297'");
	expect_bad("name=a,vcpus=1.5,memory=1G", "vcpus must be between 1 and 1024, not '1.5'");
}

static void test_numa_bad(void **state)
{
	(void)state;
	expect_bad("name=a,vcpus=2,memory=1G,numa=0",
		   "numa must be auto or between 1 and 64, not '0'");
	expect_bad("name=a,vcpus=2,memory=1G,numa=65",
		   "numa must be auto or between 1 and 64, not '65'");
	expect_bad("name=a,vcpus=2,memory=1G,numa=two",
		   "numa must be auto or between 1 and 64, not 'two'");
}

/* numa=auto undoes a profile's fixed count (latency-critical says numa: 1). */
static void test_numa_auto(void **state)
{
	vmp_vm_request fixed, free;

	(void)state;
	fixed = parse_ok("name=a,vcpus=2,memory=1G,profile=latency-critical");
	assert_int_equal(fixed.numa_cells, 1);
	free = parse_ok("name=a,vcpus=2,memory=1G,profile=latency-critical,numa=auto");
	assert_int_equal(free.numa_cells, 0);
	assert_int_equal(free.threads, fixed.threads); /* the rest of the profile stays */
}

static void test_memory_bad(void **state)
{
	(void)state;
	expect_bad("name=a,vcpus=2,memory=12Q",
		   "cannot parse size '12Q' for memory: unknown unit 'Q'");
	expect_bad("name=a,vcpus=2,memory=-5G",
		   "cannot parse size '-5G' for memory: negative sizes are not allowed");
	expect_bad("name=a,vcpus=2,memory=1.5G",
		   "cannot parse size '1.5G' for memory: fractional sizes are not allowed");
	expect_bad("name=a,vcpus=2,memory=99999999999T",
		   "cannot parse size '99999999999T' for memory: too large");
	expect_bad("name=a,vcpus=2,memory=", "cannot parse size '' for memory: ");
	expect_bad("name=a,vcpus=2,memory=0", "memory must be more than 0, not '0'");
	expect_bad("name=a,vcpus=2,memory=0G", "memory must be more than 0, not '0G'");
}

static void test_hugepages_bad(void **state)
{
	(void)state;
	expect_bad("name=a,vcpus=2,memory=1G,hugepages=2Q",
		   "cannot parse size '2Q' for hugepages: unknown unit 'Q'");
	expect_bad("name=a,vcpus=2,memory=1G,hugepages=0",
		   "hugepages must be more than 0, not '0'");
}

static void test_enums_bad(void **state)
{
	(void)state;
	expect_bad("name=a,vcpus=2,memory=1G,threads=maybe",
		   "threads must be prefer, isolate or require, not 'maybe'");
	expect_bad("name=a,vcpus=2,memory=1G,threads=Prefer",
		   "threads must be prefer, isolate or require, not 'Prefer'");
	expect_bad("name=a,vcpus=2,memory=1G,threads=",
		   "threads must be prefer, isolate or require");
	expect_bad("name=a,vcpus=2,memory=1G,emulator=pinned",
		   "emulator must be share or isolate, not 'pinned'");
}

static void test_syntax_bad(void **state)
{
	(void)state;
	expect_bad("name=a,vcpus=2,memory=1G,foo=1",
		   "unknown key 'foo' (valid keys: name, profile, vcpus, memory, cpu, threads, "
		   "numa, memory_mode, emulator, iothreads, iothread_placement, device, "
		   "hugepages, locked, nosharepages, hard_limit, soft_limit, swap_hard_limit, "
		   "cache, membw, sched, sched_priority, shares, period, quota, "
		   "priority, firmware, loader, nvram, cpu_cache, mem_access, mem_source, "
		   "mem_allocation, discard, emulator_sched, iothread_sched, global_period, "
		   "global_quota, emulator_period, emulator_quota, iothread_period, "
		   "iothread_quota, bench_workloads, host, group)");
	expect_bad("name=a,vcpus=2,memory=1G,Name=b", "unknown key 'Name'");
	expect_bad("name=a,vcpus=2,memory=1G,min_guarantee=1G",
		   "min_guarantee is for VMware guests only");
	expect_bad("name=a,vcpus=2,memory=1G,=1", "unknown key ''");
	expect_bad("name=a,vcpus=2,vcpus=4,memory=1G", "key 'vcpus' is given twice");
	expect_bad("name=a,vcpus=2,memory=1G,memory=2G", "key 'memory' is given twice");
	expect_bad("name=a,vcpus=2,memory=1G,numa=1,numa=1", "key 'numa' is given twice");
	expect_bad("name=a,vcpus=2,memory=1G,novalue", "'novalue' is not key=value");
	expect_bad("name=a,,vcpus=2,memory=1G", "empty item");
	expect_bad("name=a,vcpus=2,memory=1G,", "empty item");
	expect_bad(",name=a,vcpus=2,memory=1G", "empty item");
	/* The first problem is the one reported. */
	expect_bad("foo=1,vcpus=0", "unknown key 'foo'");
}

static void test_name_bad(void **state)
{
	char spec[512], name[VMP_NAME_MAX + 1];

	(void)state;
	expect_bad("name=a b,vcpus=2,memory=1G", "invalid VM name 'a b'");
	expect_bad("name=a/b,vcpus=2,memory=1G", "invalid VM name 'a/b'");
	expect_bad("name=-a,vcpus=2,memory=1G", "invalid VM name '-a'");
	expect_bad("name=.a,vcpus=2,memory=1G", "invalid VM name '.a'");
	expect_bad("name=,vcpus=2,memory=1G", "invalid VM name ''");

	/* VMP_NAME_MAX - 1 bytes fit; one more does not. */
	memset(name, 'n', VMP_NAME_MAX - 1);
	name[VMP_NAME_MAX - 1] = '\0';
	snprintf(spec, sizeof(spec), "name=%s,vcpus=2,memory=1G", name);
	assert_string_equal(parse_ok(spec).name, name);
	memset(name, 'n', VMP_NAME_MAX);
	name[VMP_NAME_MAX] = '\0';
	snprintf(spec, sizeof(spec), "name=%s,vcpus=2,memory=1G", name);
	expect_bad(spec, "longer than 127 bytes");
}

static void test_check_name(void **state)
{
	static const char *const good[] = {"a", "db", "web-01", "x.y_z", "A9", "0vm", "a-", "a."};
	static const char *const bad[] = {
	    "", "-a", ".a", "a b", "a/b", "a:b", "a,b", "\xc3\xa9", "a\n", "a'b",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (vmp_spec_check_name(good[i]) != VMP_OK)
			fail_msg("'%s' refused: %s", good[i], vmp_error_last());
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char quoted[64];

		vmp_error_clear();
		assert_int_equal(vmp_spec_check_name(bad[i]), VMP_EINVAL);
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		if (!strstr(vmp_error_last(), quoted))
			fail_msg("message for '%s' does not quote it: %s", bad[i],
				 vmp_error_last());
	}
}

/* A directory as the mix file: libyaml only said "input error at line 1". */
static void test_mix_directory(void **state)
{
	char dir[] = "/tmp/vmplan-test-mix-XXXXXX", want[256];
	vmp_vm_request *reqs = NULL;
	size_t n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(vmp_mix_load(&reqs, &n, dir), VMP_ENOTFOUND);
	snprintf(want, sizeof(want), "cannot read mix '%s': Is a directory", dir);
	assert_string_equal(vmp_error_last(), want);
	assert_null(reqs);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minimal_defaults), cmocka_unit_test(test_all_keys),
	    cmocka_unit_test(test_values),           cmocka_unit_test(test_missing_required),
	    cmocka_unit_test(test_vcpus_bad),        cmocka_unit_test(test_numa_bad),
	    cmocka_unit_test(test_memory_bad),       cmocka_unit_test(test_hugepages_bad),
	    cmocka_unit_test(test_enums_bad),        cmocka_unit_test(test_syntax_bad),
	    cmocka_unit_test(test_name_bad),         cmocka_unit_test(test_check_name),
	    cmocka_unit_test(test_mix_directory),    cmocka_unit_test(test_numa_auto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
