/* Unit tests of the sysfs readers and --fsroot: hand-written trees and the hwloc snapshots. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmplan/error.h"
#include "vmplan/probe.h"

#define FSTREE_PREFIX "/tmp/vmp-sysfs"
#include "unit/fstree.h"

static vmp_host *synthetic(const char *desc)
{
	vmp_host *h = NULL;

	assert_int_equal(vmp_probe_synthetic(&h, desc), VMP_OK);
	return h;
}

static void expect_error(vmp_host *h, int code, const char *rel, const char *what)
{
	char want[1024];

	assert_int_equal(vmp_probe_sysfs(h, root), code);
	snprintf(want, sizeof(want), "cannot read sysfs '%s/%s': %s", root, rel, what);
	assert_string_equal(vmp_error_last(), want);
}

static void test_tree(void **state)
{
	vmp_host *h = synthetic("pack:2 [numa(memory=1GB)] l3:1 core:2 pu:1");
	vmp_cpuset want;

	(void)state;
	reset();
	put("sys/devices/system/node/node0/meminfo",
	    "Node 0 MemTotal:     4194304 kB\nNode 0 MemFree:       524288 kB\n"
	    "Node 0 HugePages_Total:     0\n");
	put("sys/devices/system/node/node1/meminfo", "Node 1 MemTotal:        4096 kB\n");
	/* Listed out of order; the model keeps pools by size. */
	put("sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages", "2\n");
	put("sys/devices/system/node/node0/hugepages/hugepages-1048576kB/free_hugepages", "1\n");
	put("sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "512\n");
	put("sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "500\n");
	put("sys/devices/system/cpu/isolated", "1-3\n");
	put("sys/devices/system/cpu/nohz_full", "(null)\n");
	/* The kernel numbers package 1's L3 before package 0's. */
	put("sys/devices/system/cpu/cpu0/cache/index0/level", "1\n");
	put("sys/devices/system/cpu/cpu0/cache/index3/level", "3\n");
	put("sys/devices/system/cpu/cpu0/cache/index3/id", "7\n");
	put("sys/devices/system/cpu/cpu2/cache/index3/level", "3\n");
	put("sys/devices/system/cpu/cpu2/cache/index3/id", "3\n");

	assert_int_equal(vmp_probe_sysfs(h, root), VMP_OK);
	assert_true(h->nodes[0].memory_bytes == UINT64_C(4194304) * 1024);
	assert_true(h->nodes[0].free_bytes == UINT64_C(524288) * 1024);
	/* Without MemFree, everything counts as free. */
	assert_int_equal(h->nodes[1].memory_bytes, 4096 * 1024);
	assert_int_equal(h->nodes[1].free_bytes, 4096 * 1024);
	assert_int_equal(h->nodes[0].nhugepages, 2);
	assert_int_equal(h->nodes[0].hugepages[0].size_kib, 2048);
	assert_int_equal(h->nodes[0].hugepages[0].total, 512);
	assert_int_equal(h->nodes[0].hugepages[0].free, 500);
	assert_int_equal(h->nodes[0].hugepages[1].size_kib, 1048576);
	assert_int_equal(h->nodes[0].hugepages[1].free, 1);
	assert_int_equal(h->nodes[1].nhugepages, 0);
	vmp_cpuset_parse(&want, "1-3");
	assert_true(vmp_cpuset_equal(&h->isolated, &want));
	assert_true(vmp_cpuset_empty(&h->nohz_full));
	/* L3 ids are the kernel's, sorted, and the PUs follow their cache. */
	assert_int_equal(h->nl3, 2);
	assert_int_equal(h->l3s[0].id, 3);
	assert_int_equal(vmp_cpuset_first(&h->l3s[0].cpus), 2);
	assert_int_equal(h->l3s[1].id, 7);
	assert_int_equal(h->pus[0].l3, 1);
	assert_int_equal(h->pus[2].l3, 0);
	assert_int_equal(h->cores[0].l3, 1);
	assert_int_equal(vmp_host_check(h), VMP_OK);
	vmp_host_free(h);
}

static void test_missing_is_skipped(void **state)
{
	vmp_host *h = synthetic("pack:2 [numa(memory=1GB)] l3:1 core:2 pu:1");

	(void)state;
	reset();
	/* One L3 without an id file: hwloc's numbering stays. */
	put("sys/devices/system/cpu/cpu0/cache/index3/level", "3\n");
	put("sys/devices/system/cpu/cpu0/cache/index3/id", "9\n");
	put("sys/devices/system/cpu/isolated", "\n");
	assert_int_equal(vmp_probe_sysfs(h, root), VMP_OK);
	assert_int_equal(h->nodes[0].memory_bytes, 1000000000); /* hwloc: 1GB */
	assert_int_equal(h->nodes[0].free_bytes, 1000000000);
	assert_true(vmp_cpuset_empty(&h->isolated));
	assert_int_equal(h->l3s[0].id, 0);
	assert_int_equal(h->l3s[1].id, 1);
	vmp_host_free(h);
}

/* A kernel without NUMA: no node directories; memory in /proc/meminfo, pools in /sys/kernel/mm. */
static void test_no_numa(void **state)
{
	vmp_host *h = synthetic("pack:1 [numa(memory=1GB)] core:2 pu:1");

	(void)state;
	reset();
	put("proc/meminfo", "MemTotal:        8388608 kB\n"
			    "MemFree:         2097152 kB\n"
			    "MemAvailable:    4194304 kB\n"
			    "Active(anon):       1696 kB\n"
			    "HugePages_Total:       4\n"
			    "Hugepagesize:       2048 kB\n");
	put("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "4\n");
	put("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "3\n");
	assert_int_equal(vmp_probe_sysfs(h, root), VMP_OK);
	assert_true(h->nodes[0].memory_bytes == UINT64_C(8388608) * 1024);
	assert_true(h->nodes[0].free_bytes == UINT64_C(2097152) * 1024);
	assert_int_equal(h->nodes[0].nhugepages, 1);
	assert_int_equal(h->nodes[0].hugepages[0].free, 3);

	/* Without MemFree, everything counts as free, as in a node's meminfo. */
	put("proc/meminfo", "MemTotal:        8388608 kB\n");
	assert_int_equal(vmp_probe_sysfs(h, root), VMP_OK);
	assert_true(h->nodes[0].free_bytes == UINT64_C(8388608) * 1024);

	put("proc/meminfo", "MemTotal:        8388608 kB\nMemFree: lots kB\n");
	expect_error(h, VMP_EINVAL, "proc/meminfo", "'MemFree: lots kB' is not 'MemFree: N kB'");
	put("proc/meminfo", "MemTotal:        8388608 MB\n");
	expect_error(h, VMP_EINVAL, "proc/meminfo",
		     "'MemTotal:        8388608 MB' is not 'MemTotal: N kB'");
	put("proc/meminfo", "MemFree:         2097152 kB\n");
	expect_error(h, VMP_EINVAL, "proc/meminfo", "no 'MemTotal: N kB' line");
	vmp_host_free(h);
}

static void test_garbage(void **state)
{
	vmp_host *h = synthetic("node:1 core:2 pu:1");

	(void)state;
	reset();
	put("sys/devices/system/node/node0/meminfo", "hello\n");
	expect_error(h, VMP_EINVAL, "sys/devices/system/node/node0/meminfo",
		     "no 'Node 0 MemTotal: N kB' line");
	put("sys/devices/system/node/node0/meminfo", "Node 0 MemTotal: lots kB\n");
	expect_error(h, VMP_EINVAL, "sys/devices/system/node/node0/meminfo",
		     "'Node 0 MemTotal: lots kB' is not 'Node 0 MemTotal: N kB'");
	put("sys/devices/system/node/node0/meminfo",
	    "Node 0 MemTotal: 10240 kB\nNode 0 MemFree: 10241 kB\n");
	expect_error(h, VMP_EINVAL, "sys/devices/system/node/node0/meminfo",
		     "MemFree 10241 kB is more than MemTotal 10240 kB");
	put("sys/devices/system/node/node0/meminfo", "Node 0 MemTotal: 10240 kB\n");
	/* 6 pages of 2 MiB are 12 MiB: more than the node has. */
	put("sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "6\n");
	expect_error(h, VMP_EINVAL, "sys/devices/system/node/node0/hugepages",
		     "hugepage pools larger than node 0's 10485760 bytes of memory");
	put("sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "many\n");
	expect_error(h, VMP_EINVAL,
		     "sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages",
		     "'many' is not a number");
	put("sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "4\n");
	put("sys/devices/system/cpu/isolated", "2-x\n");
	expect_error(h, VMP_EINVAL, "sys/devices/system/cpu/isolated", "'2-x' is not a cpuset");
	vmp_host_free(h);
}

static int unpack(char *out, size_t size, const char *name)
{
	char cmd[2048];

	snprintf(out, size, "%s/%s", root, name);
	snprintf(cmd, sizeof(cmd), "tar xjf '%s/hwloc-linux/%s.tar.bz2' -C '%s'", VMPLAN_FIXTURES,
		 name, root);
	return system(cmd);
}

static bool have_fixtures(void)
{
	return access(VMPLAN_FIXTURES "/hwloc-linux", R_OK) == 0;
}

#define skip_no_fixtures()                                                                         \
	do {                                                                                       \
		print_message("skipped: %s/hwloc-linux is missing\n", VMPLAN_FIXTURES);            \
		skip();                                                                            \
	} while (0)

static void test_fsroot_numa(void **state)
{
	char dir[512];
	vmp_host *h = NULL;

	(void)state;
	if (!have_fixtures())
		skip_no_fixtures();
	reset();
	assert_int_equal(unpack(dir, sizeof(dir), "64amd64-4s2n4ca2co"), 0);
	setenv("HWLOC_FSROOT", "/nowhere", 1);
	assert_int_equal(vmp_probe_fsroot(&h, dir), VMP_OK);
	/* The variable hwloc needed is put back as it was. */
	assert_string_equal(getenv("HWLOC_FSROOT"), "/nowhere");
	unsetenv("HWLOC_FSROOT");
	assert_int_equal(h->source, VMP_SOURCE_FSROOT);
	assert_string_equal(h->hostname, "64amd64-4s2n4ca2co");
	assert_int_equal(h->nnodes, 8);
	assert_int_equal(h->npus, 64);
	/* node0/meminfo: MemTotal 16769836 kB, MemFree 16087204 kB. */
	assert_int_equal(h->nodes[0].memory_bytes, UINT64_C(16769836) * 1024);
	assert_int_equal(h->nodes[0].free_bytes, UINT64_C(16087204) * 1024);
	for (int i = 0; i < h->nnodes; i++) {
		assert_int_equal(h->nodes[i].nhugepages, 1);
		assert_int_equal(h->nodes[i].hugepages[0].size_kib, 2048);
	}
	assert_non_null(h->distances);
	assert_false(h->resctrl.present);
	vmp_host_free(h);
}

static void test_fsroot_global_hugepages(void **state)
{
	char dir[512];
	vmp_host *h = NULL;

	(void)state;
	if (!have_fixtures())
		skip_no_fixtures();
	reset();
	assert_int_equal(unpack(dir, sizeof(dir), "2i386-2t-hugepagesizecount"), 0);
	assert_int_equal(vmp_probe_fsroot(&h, dir), VMP_OK);
	/* No NUMA in that kernel: the pools of /sys/kernel/mm/hugepages, with their free counts
	 * (hwloc alone reports every page free). */
	assert_int_equal(h->nnodes, 1);
	assert_int_equal(h->nodes[0].nhugepages, 2);
	assert_int_equal(h->nodes[0].hugepages[0].size_kib, 2048);
	assert_int_equal(h->nodes[0].hugepages[0].total, 1);
	assert_int_equal(h->nodes[0].hugepages[0].free, 0);
	assert_int_equal(h->nodes[0].hugepages[1].size_kib, 16777216);
	assert_int_equal(h->nodes[0].hugepages[1].free, 0);
	/* Memory from /proc/meminfo: MemTotal 400016779264 kB, MemFree 105040 kB. */
	assert_true(h->nodes[0].memory_bytes == UINT64_C(400016779264) * 1024);
	assert_true(h->nodes[0].free_bytes == UINT64_C(105040) * 1024);
	/* Its sysfs lists no level-3 cache: none, whatever the CPU running the test has (hwloc's
	 * x86 backend used to add this machine's L3 through CPUID). */
	assert_int_equal(h->nl3, 0);
	vmp_host_free(h);
}

static void test_fsroot_cache_ids_and_offline(void **state)
{
	char dir[512];
	vmp_host *h = NULL;

	(void)state;
	if (!have_fixtures())
		skip_no_fixtures();
	reset();
	assert_int_equal(unpack(dir, sizeof(dir), "offline-cpu0-node0"), 0);
	assert_int_equal(vmp_probe_fsroot(&h, dir), VMP_OK);
	assert_false(vmp_cpuset_isset(&h->online, 0));
	assert_int_equal(vmp_host_pu_index(h, 0), -1);
	/* Both packages' L3s carry the kernel's ids (cpuN/cache/index3/id). */
	for (int i = 0; i < h->nl3; i++) {
		char p[1024], buf[32] = "";
		FILE *f;

		snprintf(p, sizeof(p), "%s/sys/devices/system/cpu/cpu%d/cache/index3/id", dir,
			 vmp_cpuset_first(&h->l3s[i].cpus));
		assert_non_null(f = fopen(p, "r"));
		assert_non_null(fgets(buf, sizeof(buf), f));
		fclose(f);
		assert_int_equal(h->l3s[i].id, atoi(buf));
	}
	vmp_host_free(h);
}

static void test_fsroot_errors(void **state)
{
	char want[1024], dir[600];
	vmp_host *h = (vmp_host *)1;

	(void)state;
	reset();
	snprintf(dir, sizeof(dir), "%s/none", root);
	assert_int_equal(vmp_probe_fsroot(&h, dir), VMP_ENOTFOUND);
	assert_null(h);
	snprintf(want, sizeof(want), "cannot read fsroot '%s': No such file or directory", dir);
	assert_string_equal(vmp_error_last(), want);

	put("empty/etc/hostname", "x\n");
	snprintf(dir, sizeof(dir), "%s/empty", root);
	assert_int_equal(vmp_probe_fsroot(&h, dir), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "no sys/devices/system/cpu in it"));

	/* Garbage in a snapshot's sysfs file fails the whole probe. */
	if (!have_fixtures())
		return;
	assert_int_equal(unpack(dir, sizeof(dir), "64amd64-4s2n4ca2co"), 0);
	put("64amd64-4s2n4ca2co/sys/devices/system/cpu/isolated", "zap\n");
	assert_int_equal(vmp_probe_fsroot(&h, dir), VMP_EINVAL);
	assert_null(h);
	snprintf(want, sizeof(want),
		 "cannot read sysfs '%s/sys/devices/system/cpu/isolated': "
		 "'zap' is not a cpuset",
		 dir);
	assert_string_equal(vmp_error_last(), want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree),
	    cmocka_unit_test(test_missing_is_skipped),
	    cmocka_unit_test(test_no_numa),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_fsroot_numa),
	    cmocka_unit_test(test_fsroot_global_hugepages),
	    cmocka_unit_test(test_fsroot_cache_ids_and_offline),
	    cmocka_unit_test(test_fsroot_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
