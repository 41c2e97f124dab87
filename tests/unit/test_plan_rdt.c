/* The planner's cache ways: resctrl's min_cbm_bits rounds a small request up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmplan/error.h"
#include "vmplan/plan.h"
#include "vmplan/probe.h"
#include "vmplan/spec.h"

/* One L3 of 11 ways of 1 MiB each, resctrl allocating it with min_cbm_bits as given. */
static vmp_host *host_with_l3(unsigned min_cbm_bits)
{
	vmp_host *h = NULL;

	assert_int_equal(vmp_probe_synthetic(&h, "node:1 l3:1 core:4 pu:2"), VMP_OK);
	h->l3s[0].size_bytes = 11 << 20;
	h->resctrl.present = h->resctrl.l3.present = true;
	h->resctrl.l3.cbm_mask = 0x7ff;
	h->resctrl.l3.min_cbm_bits = min_cbm_bits;
	h->resctrl.l3.num_closids = 4;
	h->resctrl.l3.ndomains = 1;
	h->resctrl.l3.domains[0].id = h->l3s[0].id;
	h->resctrl.groups_used = 1;
	assert_int_equal(vmp_host_check(h), VMP_OK);
	return h;
}

static vmp_plan *solve_one(const vmp_host *h, const char *spec)
{
	vmp_vm_request r;
	vmp_plan *plan = NULL;

	memset(&r, 0, sizeof(r));
	assert_int_equal(vmp_spec_parse(&r, spec), VMP_OK);
	assert_int_equal(vmp_plan_solve(&plan, h, &r, 1, NULL), VMP_OK);
	return plan;
}

/* 1 MiB is one way; with min_cbm_bits 4 the mask is the 4 highest ways, and says so. */
static void test_min_cbm_bits_rounds_up(void **st)
{
	vmp_host *h = host_with_l3(4);
	vmp_plan *p = solve_one(h, "name=a,vcpus=2,memory=128M,cache=1M");
	const vmp_plan_vm *vm = &p->vms[0];

	(void)st;
	assert_true(vm->placed);
	assert_int_equal(vm->ncachetune, 1);
	assert_int_equal(vm->cachetune[0].ways_mask, 0x780);
	assert_int_equal(vm->cachetune[0].size_bytes, 4 << 20);
	vmp_plan_free(p);

	/* Two ways asked: still four. */
	p = solve_one(h, "name=a,vcpus=2,memory=128M,cache=2M");
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].cachetune[0].ways_mask, 0x780);
	vmp_plan_free(p);

	/* Where the rule allows one way, one way is what the VM gets. */
	h->resctrl.l3.min_cbm_bits = 1;
	p = solve_one(h, "name=a,vcpus=2,memory=128M,cache=1M");
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].cachetune[0].ways_mask, 0x400);
	assert_int_equal(p->vms[0].cachetune[0].size_bytes, 1 << 20);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* With CDP, code and data both get the rounded-up mask. */
static void test_min_cbm_bits_cdp(void **st)
{
	vmp_host *h = host_with_l3(3);
	vmp_plan *p;

	(void)st;
	h->resctrl.l3.cdp = true;
	p = solve_one(h, "name=a,vcpus=2,memory=128M,cache=1M");
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].ncachetune, 2);
	assert_string_equal(p->vms[0].cachetune[0].type, "code");
	assert_string_equal(p->vms[0].cachetune[1].type, "data");
	assert_int_equal(p->vms[0].cachetune[0].ways_mask, 0x700);
	assert_int_equal(p->vms[0].cachetune[1].ways_mask, 0x700);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* Three contiguous ways free where the rule asks four: refused, naming the four. */
static void test_min_cbm_bits_refuses_too_few(void **st)
{
	vmp_host *h = host_with_l3(4);
	vmp_plan *p;

	(void)st;
	h->resctrl.l3.domains[0].used_mask = 0x0ff; /* an existing group holds ways 0-7 */
	p = solve_one(h, "name=a,vcpus=2,memory=128M,cache=1M");
	assert_false(p->vms[0].placed);
	assert_int_equal(p->vms[0].bind, VMP_BIND_CACHE);
	assert_non_null(strstr(p->vms[0].reason, "(4 contiguous ways of 1MiB)"));
	assert_non_null(strstr(p->vms[0].reason, "only ways 0x700 (3) are free"));
	vmp_plan_free(p);

	h->resctrl.l3.min_cbm_bits = 3; /* the same three ways now do */
	p = solve_one(h, "name=a,vcpus=2,memory=128M,cache=1M");
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].cachetune[0].ways_mask, 0x700);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* libvirt refuses a cachetune of the whole cache: so does the planner, saying why. */
static void test_whole_cache_refused(void **st)
{
	vmp_host *h = host_with_l3(1);
	vmp_plan *p;

	(void)st;
	p = solve_one(h, "name=a,vcpus=2,memory=128M,cache=11M");
	assert_false(p->vms[0].placed);
	assert_int_equal(p->vms[0].bind, VMP_BIND_CACHE);
	assert_non_null(strstr(p->vms[0].reason, "libvirt refuses a cachetune of the whole cache"));
	vmp_plan_free(p);
	p = solve_one(h, "name=a,vcpus=2,memory=128M,cache=10M");
	assert_true(p->vms[0].placed);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* Two VMs of two ways each in one L3 of 11: the planner takes the top four ways, hostprep
 * leaves the default group ways 0-6, and libvirt, starting the VMs in plan order, gives the
 * first the lowest two of the free run (no exact fit), the second the two left (exact). */
static void test_masks_as_libvirt_picks(void **st)
{
	vmp_host *h = host_with_l3(1);
	vmp_vm_request r[2];
	vmp_plan *p = NULL;
	vmp_plan_options o = {.order = VMP_ORDER_GIVEN};

	(void)st;
	memset(r, 0, sizeof(r));
	assert_int_equal(vmp_spec_parse(&r[0], "name=a,vcpus=2,memory=128M,cache=2M"), VMP_OK);
	assert_int_equal(vmp_spec_parse(&r[1], "name=b,vcpus=2,memory=128M,cache=2M"), VMP_OK);
	assert_int_equal(vmp_plan_solve(&p, h, r, 2, &o), VMP_OK);
	assert_true(p->vms[0].placed && p->vms[1].placed);
	assert_int_equal(p->vms[0].cachetune[0].ways_mask, 0x180);
	assert_int_equal(p->vms[1].cachetune[0].ways_mask, 0x600);
	vmp_plan_free(p);
	/* An existing group holding way 8 splits the ways no VM has (0x13f) in two runs;
	 * hostprep leaves the default group the longer (0x03f), so libvirt finds 0x6c0 free
	 * and gives a, started first, the run that fits exactly: 0x0c0. */
	h->resctrl.l3.domains[0].used_mask = 0x100;
	h->resctrl.groups_used = 2;
	assert_int_equal(vmp_plan_solve(&p, h, r, 2, &o), VMP_OK);
	assert_int_equal(p->vms[0].cachetune[0].ways_mask, 0x0c0);
	assert_int_equal(p->vms[1].cachetune[0].ways_mask, 0x600);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* The explanation (or host needs) of a plan contains want. */
static void assert_contains(const char *text, const char *want)
{
	if (!text || !strstr(text, want))
		fail_msg("'%s' not in:\n%s", want, text ? text : "(null)");
}

/*
 * The default group holds every way (a fresh mount): libvirt takes none of them, so the
 * plan takes them only where hostprep releases them, and says which; with keep, refused.
 */
static void test_default_group_released(void **st)
{
	vmp_host *h = host_with_l3(1);
	vmp_vm_request r[2];
	vmp_plan *p = NULL;
	vmp_plan_options o = {.order = VMP_ORDER_GIVEN, .explain = true};
	char *needs = NULL;

	(void)st;
	h->resctrl.l3.domains[0].default_mask = 0x7ff;
	memset(r, 0, sizeof(r));
	assert_int_equal(vmp_spec_parse(&r[0], "name=a,vcpus=2,memory=128M,cache=2M"), VMP_OK);
	assert_int_equal(vmp_spec_parse(&r[1], "name=b,vcpus=2,memory=128M,cache=3M"), VMP_OK);
	assert_int_equal(vmp_plan_solve(&p, h, r, 2, &o), VMP_OK);
	assert_true(p->vms[0].placed && p->vms[1].placed);
	/* hostprep leaves the default group 0x03f; libvirt then finds 0x7c0 free: a, started
	 * first, gets the lowest two ways of that run, b the three that are left. */
	assert_int_equal(p->vms[0].cachetune[0].ways_mask, 0x0c0);
	assert_int_equal(p->vms[1].cachetune[0].ways_mask, 0x700);
	assert_int_equal(vmp_plan_default_release(p, h, h->l3s[0].id), 0x7c0);
	assert_contains(p->vms[0].explain, "cache 0: needs `vmplan hostprep --apply` to release "
					   "ways 0xc0 from the default group");
	assert_int_equal(vmp_plan_host_needs(&needs, h, p), VMP_OK);
	assert_contains(needs, "cache 0: needs `vmplan hostprep --apply` to release ways 0x7c0 "
			       "from the default group");
	free(needs);
	/* --explain (the deciding facts) says it per VM too. */
	assert_int_equal(vmp_plan_explain_brief(&needs, h, p, 1), VMP_OK);
	assert_contains(needs, "cache 0: needs `vmplan hostprep --apply` to release ways 0x700 "
			       "from the default group");
	free(needs);
	vmp_plan_free(p);

	/* --resctrl-default keep: no way is free of every group. */
	h->resctrl.keep_default = true;
	assert_int_equal(vmp_plan_solve(&p, h, r, 2, &o), VMP_OK);
	assert_false(p->vms[0].placed);
	assert_contains(p->vms[0].reason, "but only ways 0x0 (0) are free there: the default "
					  "resctrl group holds ways 0x7ff and libvirt takes none "
					  "of them");
	assert_int_equal(vmp_plan_default_release(p, h, h->l3s[0].id), 0);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* A default group hostprep shrank before: the ways outside it are free, nothing to release,
 * in either mode; beyond them, keep refuses and shrink takes the default group's. */
static void test_default_group_shrunk(void **st)
{
	vmp_host *h = host_with_l3(1);
	vmp_plan *p;
	char *needs = (char *)1;

	(void)st;
	h->resctrl.l3.domains[0].default_mask = 0x00f;
	for (int keep = 0; keep < 2; keep++) {
		h->resctrl.keep_default = keep;
		p = solve_one(h, "name=a,vcpus=2,memory=128M,cache=7M");
		assert_true(p->vms[0].placed);
		assert_int_equal(p->vms[0].cachetune[0].ways_mask, 0x7f0);
		assert_int_equal(vmp_plan_host_needs(&needs, h, p), VMP_OK);
		assert_null(needs);
		vmp_plan_free(p);
	}
	p = solve_one(h, "name=a,vcpus=2,memory=128M,cache=8M");
	assert_false(p->vms[0].placed);
	assert_contains(p->vms[0].reason, "the default resctrl group holds ways 0xf");
	vmp_plan_free(p);
	h->resctrl.keep_default = false;
	p = solve_one(h, "name=a,vcpus=2,memory=128M,cache=8M");
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].cachetune[0].ways_mask, 0x7f8);
	assert_int_equal(vmp_plan_default_release(p, h, h->l3s[0].id), 0x8);
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* The default group keeps min_cbm_bits ways: 11 ways, min 2, a takes 5, b's 5 would leave
 * one. */
static void test_default_group_keeps_min(void **st)
{
	vmp_host *h = host_with_l3(2);
	vmp_vm_request r[2];
	vmp_plan *p = NULL;
	vmp_plan_options o = {.order = VMP_ORDER_GIVEN};

	(void)st;
	h->resctrl.l3.domains[0].default_mask = 0x7ff;
	memset(r, 0, sizeof(r));
	assert_int_equal(vmp_spec_parse(&r[0], "name=a,vcpus=2,memory=128M,cache=5M"), VMP_OK);
	assert_int_equal(vmp_spec_parse(&r[1], "name=b,vcpus=2,memory=128M,cache=5M"), VMP_OK);
	assert_int_equal(vmp_plan_solve(&p, h, r, 2, &o), VMP_OK);
	assert_true(p->vms[0].placed);
	assert_false(p->vms[1].placed);
	assert_contains(p->vms[1].reason, "the default resctrl group keeps at least 2 of them");
	vmp_plan_free(p);
	vmp_host_free(h);
}

/* libvirt takes at most 100 in a <memorytune>, whatever the host's unit: on AMD (1/8 GB/s)
 * 2000MBps is 16, set; 20000MBps is 160, not set, and the explanation says why. */
static void test_memorytune_libvirt_max(void **st)
{
	vmp_host *h = host_with_l3(1);
	vmp_plan *p;
	vmp_vm_request r;
	vmp_plan_options o = {.explain = true};

	(void)st;
	h->resctrl.mb.present = true;
	h->resctrl.mb.unit = VMP_MB_AMD_GBS8;
	h->resctrl.mb.bandwidth_gran = 1;
	h->resctrl.mb.ndomains = 1;
	h->resctrl.mb.domain_ids[0] = h->l3s[0].id;
	p = solve_one(h, "name=a,vcpus=2,memory=128M,membw=2000MBps");
	assert_int_equal(p->vms[0].nmemorytune, 1);
	assert_int_equal(p->vms[0].memorytune[0].bandwidth, 16);
	vmp_plan_free(p);
	memset(&r, 0, sizeof(r));
	assert_int_equal(vmp_spec_parse(&r, "name=a,vcpus=2,memory=128M,membw=20000MBps"), VMP_OK);
	assert_int_equal(vmp_plan_solve(&p, h, &r, 1, &o), VMP_OK);
	assert_true(p->vms[0].placed);
	assert_int_equal(p->vms[0].nmemorytune, 0);
	assert_contains(p->vms[0].explain,
			"membw: the limit is 160 in this host's unit (1/8 GB/s), "
			"but libvirt's <memorytune> takes at most 100");
	vmp_plan_free(p);
	vmp_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_min_cbm_bits_rounds_up),
	    cmocka_unit_test(test_min_cbm_bits_cdp),
	    cmocka_unit_test(test_min_cbm_bits_refuses_too_few),
	    cmocka_unit_test(test_whole_cache_refused),
	    cmocka_unit_test(test_masks_as_libvirt_picks),
	    cmocka_unit_test(test_default_group_released),
	    cmocka_unit_test(test_default_group_shrunk),
	    cmocka_unit_test(test_default_group_keeps_min),
	    cmocka_unit_test(test_memorytune_libvirt_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
