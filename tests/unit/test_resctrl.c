/* Unit tests of the resctrl reader on trees in the kernel's format: Intel, CDP, AMD, broken. */
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

#define FSTREE_PREFIX "/tmp/vmp-resctrl"
#include "unit/fstree.h"

#define R "sys/fs/resctrl/"

/* An Intel host with two L3 domains, MBA, and what a running system has beside the groups. */
static void intel_tree(void)
{
	reset();
	put(R "info/L3/cbm_mask", "7ff\n");
	put(R "info/L3/min_cbm_bits", "1\n");
	put(R "info/L3/num_closids", "16\n");
	put(R "info/L3/shareable_bits", "600\n");
	put(R "info/L3/bit_usage", "0=SSSSSSSSSSS;1=SSSSSSSSSSS\n");
	put(R "info/MB/min_bandwidth", "10\n");
	put(R "info/MB/bandwidth_gran", "10\n");
	put(R "info/MB/delay_linear", "1\n");
	put(R "info/MB/num_closids", "8\n");
	put(R "info/L3_MON/num_rmids", "176\n");
	/* The kernel pads the resource names to one width. */
	put(R "schemata", "    L3:0=7ff;1=7ff\n    MB:0=100;1=100\n");
	put(R "tasks", "1\n");
	put(R "mon_groups/m1/tasks", "");
	put(R "mon_data/mon_L3_00/llc_occupancy", "0\n");
	put("proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n");
}

static void test_intel(void **state)
{
	vmp_resctrl r;

	(void)state;
	intel_tree();
	put(R "vm1/schemata", "    L3:0=003;1=7f0\n    MB:0=50;1=100\n");
	put(R "vm2/schemata", "    L3:0=00c;1=001\n    MB:0=100;1=30\n");
	put(R "vm2/mon_groups/x/tasks", "");
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_OK);
	assert_true(r.present);
	assert_int_equal(r.groups_used, 3);
	assert_true(r.l3.present);
	assert_false(r.l3.cdp);
	assert_int_equal(r.l3.cbm_mask, 0x7ff);
	assert_int_equal(r.l3.min_cbm_bits, 1);
	assert_int_equal(r.l3.num_closids, 16);
	assert_int_equal(r.l3.shareable_bits, 0x600);
	assert_int_equal(r.l3.ndomains, 2);
	assert_int_equal(r.l3.domains[0].id, 0);
	assert_int_equal(r.l3.domains[0].used_mask, 0x00f);
	assert_int_equal(r.l3.domains[1].id, 1);
	assert_int_equal(r.l3.domains[1].used_mask, 0x7f1);
	/* The default group's ways, apart: libvirt takes none of them for a new group. */
	assert_int_equal(r.l3.domains[0].default_mask, 0x7ff);
	assert_int_equal(r.l3.domains[1].default_mask, 0x7ff);
	put(R "schemata", "    L3:0=7f0;1=00f\n    MB:0=100;1=100\n");
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_OK);
	assert_int_equal(r.l3.domains[0].default_mask, 0x7f0);
	assert_int_equal(r.l3.domains[1].default_mask, 0x00f);
	assert_int_equal(r.l3.domains[0].used_mask, 0x00f);
	assert_false(r.l2.present);
	assert_true(r.mb.present);
	assert_int_equal(r.mb.min_bandwidth, 10);
	assert_int_equal(r.mb.bandwidth_gran, 10);
	assert_true(r.mb.delay_linear);
	assert_int_equal(r.mb.unit, VMP_MB_PERCENT);
	assert_int_equal(r.mb.num_closids, 8);
	assert_int_equal(r.mb.ndomains, 2);
	assert_int_equal(r.mb.domain_ids[1], 1);
}

static void test_intel_no_groups(void **state)
{
	vmp_resctrl r;

	(void)state;
	intel_tree();
	/* The default group holds every way, yet nothing is used: libvirt shrinks it. */
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_OK);
	assert_int_equal(r.groups_used, 1);
	assert_int_equal(r.l3.domains[0].used_mask, 0);
	assert_int_equal(r.l3.domains[1].used_mask, 0);
}

static void test_intel_mbps(void **state)
{
	vmp_resctrl r;

	(void)state;
	intel_tree();
	put("proc/mounts", "sysfs /sys sysfs rw 0 0\n"
			   "resctrl /sys/fs/resctrl resctrl rw,relatime,mba_MBps 0 0\n");
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_OK);
	assert_int_equal(r.mb.unit, VMP_MB_MBPS);
}

/* Under mba_MBps a group not yet given a value shows U32_MAX: no limit, not a broken file. */
static void test_intel_mbps_unlimited(void **state)
{
	vmp_resctrl r;

	(void)state;
	intel_tree();
	put("proc/mounts", "resctrl /sys/fs/resctrl resctrl rw,relatime,mba_MBps 0 0\n");
	put(R "schemata", "    L3:0=7ff;1=7ff\n    MB:0=4294967295;1=4294967295\n");
	put(R "vm1/schemata", "    L3:0=003;1=7f0\n    MB:0=4294967295;1=5000\n");
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_OK);
	assert_true(r.mb.present);
	assert_int_equal(r.mb.unit, VMP_MB_MBPS);
	assert_int_equal(r.mb.ndomains, 2);
	assert_int_equal(r.groups_used, 2);
	assert_int_equal(r.l3.domains[0].used_mask, 0x003);

	/* Only mba_MBps shows U32_MAX: a snapshot without /proc/mounts is still MB/s. */
	unlink(strcat(strcpy((char[512]){0}, root), "/proc/mounts"));
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_OK);
	assert_int_equal(r.mb.unit, VMP_MB_MBPS);

	/* One past U32_MAX is no value the kernel holds. */
	put(R "vm1/schemata", "    MB:0=4294967296;1=5000\n");
	r.present = true;
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_EINVAL);
	assert_false(r.present);
	assert_non_null(strstr(vmp_error_last(), "'4294967296' for MB domain 0 is not a number"));
}

static void test_intel_cdp(void **state)
{
	vmp_resctrl r;

	(void)state;
	reset();
	put(R "info/L3CODE/cbm_mask", "fffff\n");
	put(R "info/L3CODE/min_cbm_bits", "2\n");
	put(R "info/L3CODE/num_closids", "8\n");
	put(R "info/L3DATA/cbm_mask", "fffff\n");
	put(R "info/L3DATA/min_cbm_bits", "2\n");
	put(R "info/L3DATA/num_closids", "8\n");
	put(R "info/L2/cbm_mask", "ff\n");
	put(R "info/L2/num_closids", "8\n");
	put(R "schemata", "L3CODE:0=fffff;1=fffff\nL3DATA:0=fffff;1=fffff\n"
			  "    L2:0=ff;1=ff;2=ff;3=ff\n");
	put(R "db/schemata", "L3CODE:0=00003;1=fffff\nL3DATA:0=0000c;1=fffff\n"
			     "    L2:0=0f;1=ff;2=ff;3=ff\n");
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_OK);
	assert_true(r.l3.present);
	assert_true(r.l3.cdp);
	assert_int_equal(r.l3.cbm_mask, 0xfffff);
	assert_int_equal(r.l3.min_cbm_bits, 2);
	assert_int_equal(r.l3.num_closids, 8);
	assert_int_equal(r.l3.shareable_bits, 0); /* no file: nothing shared */
	assert_int_equal(r.l3.ndomains, 2);
	assert_int_equal(r.l3.domains[0].used_mask, 0xf); /* code and data together */
	assert_int_equal(r.l3.domains[0].default_mask, 0xfffff);
	assert_int_equal(r.l3.domains[1].used_mask, 0xfffff);
	assert_true(r.l2.present);
	assert_false(r.l2.cdp);
	assert_int_equal(r.l2.ndomains, 4);
	assert_int_equal(r.l2.domains[0].used_mask, 0x0f);
	assert_int_equal(r.l2.domains[3].id, 3);
	assert_false(r.mb.present);
	assert_int_equal(r.groups_used, 2);
}

static void amd_tree(void)
{
	reset();
	put(R "info/L3/cbm_mask", "ffff\n");
	put(R "info/L3/min_cbm_bits", "1\n");
	put(R "info/L3/num_closids", "16\n");
	put(R "info/L3/shareable_bits", "0\n");
	put(R "info/MB/min_bandwidth", "0\n");
	put(R "info/MB/bandwidth_gran", "1\n");
	put(R "info/MB/delay_linear", "0\n");
	put(R "info/MB/num_closids", "16\n");
	put(R "schemata", "L3:0=ffff;1=ffff;2=ffff;3=ffff\nMB:0=2048;1=2048;2=2048;3=2048\n");
}

static void test_amd(void **state)
{
	vmp_resctrl r;

	(void)state;
	/* Without /proc/cpuinfo: told apart by min 0, granularity 1, no linear delay. */
	amd_tree();
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_OK);
	assert_true(r.mb.present);
	assert_int_equal(r.mb.unit, VMP_MB_AMD_GBS8);
	assert_int_equal(r.mb.min_bandwidth, 0);
	assert_int_equal(r.mb.bandwidth_gran, 1);
	assert_false(r.mb.delay_linear);
	assert_int_equal(r.mb.ndomains, 4);
	assert_int_equal(r.l3.ndomains, 4);

	/* The vendor decides where cpuinfo names one. */
	put("proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\n");
	put(R "info/MB/min_bandwidth", "10\n");
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_OK);
	assert_int_equal(r.mb.unit, VMP_MB_AMD_GBS8);
	put("proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n");
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_OK);
	assert_int_equal(r.mb.unit, VMP_MB_PERCENT);
}

static void test_not_mounted(void **state)
{
	vmp_resctrl r;

	(void)state;
	reset();
	put(R ".keep", ""); /* /sys/fs/resctrl exists, empty, when not mounted */
	memset(&r, 0xff, sizeof(r));
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_OK);
	assert_false(r.present);
	assert_false(r.l3.present);
	assert_int_equal(r.groups_used, 0);
}

static void expect_broken(const char *rel, const char *what)
{
	char want[1024];
	vmp_resctrl r;

	r.present = true;
	assert_int_equal(vmp_probe_resctrl(&r, root), VMP_EINVAL);
	assert_false(r.present);
	snprintf(want, sizeof(want), "cannot read resctrl '%s/%s': %s", root, rel, what);
	assert_string_equal(vmp_error_last(), want);
}

static void test_broken(void **state)
{
	(void)state;
	intel_tree();
	put(R "info/L3/cbm_mask", "xyz\n");
	expect_broken(R "info/L3/cbm_mask", "'xyz' is not a hex mask");

	intel_tree();
	put(R "info/MB/bandwidth_gran", "ten\n");
	expect_broken(R "info/MB/bandwidth_gran", "'ten' is not a number");

	intel_tree();
	put(R "vm1/schemata", "L3:0=7fg;1=1\n");
	expect_broken(R "vm1/schemata", "'7fg' is not a hex mask");

	intel_tree();
	put(R "vm1/schemata", "L3:0=fff;1=1\n");
	expect_broken(R "vm1/schemata",
		      "mask 'fff' of L3 domain 0 has ways outside cbm_mask '7ff'");

	intel_tree();
	put(R "vm1/schemata", "L3:0=1;4=1\n");
	expect_broken(R "vm1/schemata", "L3 domain 4 is not in the default group's schemata");

	intel_tree();
	put(R "schemata", "L3 0=7ff\n");
	expect_broken(R "schemata", "'L3 0=7ff' is not 'RESOURCE:ID=VALUE;...'");

	intel_tree();
	put(R "schemata", "L3:x=7ff\n");
	expect_broken(R "schemata", "'x' in the L3 line is not 'ID=VALUE'");

	intel_tree();
	unlink(strcat(strcpy((char[512]){0}, root), "/" R "info/L3/num_closids"));
	expect_broken(R "info/L3/num_closids", "the file is missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intel),       cmocka_unit_test(test_intel_no_groups),
	    cmocka_unit_test(test_intel_mbps),  cmocka_unit_test(test_intel_mbps_unlimited),
	    cmocka_unit_test(test_intel_cdp),   cmocka_unit_test(test_amd),
	    cmocka_unit_test(test_not_mounted), cmocka_unit_test(test_broken),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
