/* Defining planned domains through libvirt: the test driver, and pins applied live. */
#include "unit/exportcheck.h"

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

/* A dry run with live: what would be pinned, in order; nothing pinned. */
static void define_live_dry_run(virConnectPtr conn, vmp_plan *p, vmp_define_opts *opts)
{
	vmp_plan_vm *rt = &p->vms[0];
	vmp_define_result *res = NULL;

	/* A dry run says what it would pin, in order, and pins nothing. */
	opts->live = true;
	opts->dry_run = true;
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", opts), VMP_OK);
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
}

/* Live pins applied in order until libvirt refuses one. */
static void define_live_refused(virConnectPtr conn, vmp_plan *p, vmp_define_opts *opts)
{
	vmp_define_result *res = NULL;

	/* Live: the emulator and I/O threads move; the test driver then refuses the first
	 * vCPU pin, and the error names the VM, the pin and libvirt's reason. */
	opts->dry_run = false;
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", opts), VMP_ESYS);
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
}

/* A live plan whose vCPU count differs from the running guest: refused whole. */
static void define_live_vcpus(virConnectPtr conn, vmp_plan *p, vmp_define_opts *opts)
{
	vmp_plan_vm *rt = &p->vms[0];
	vmp_define_result *res = NULL;
	char *before, *after;

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
	assert_int_equal(vmp_define_plan(&res, p, "test:///default", opts), VMP_ESYS);
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
	char dir[] = "/tmp/vmplan-live-XXXXXX", bak[256];
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

	define_live_dry_run(conn, p, &opts);
	define_live_refused(conn, p, &opts);
	define_live_vcpus(conn, p, &opts);

	snprintf(bak, sizeof(bak), "%s/rt.xml.bak", dir);
	unlink(bak);
	rmdir(dir);
	virConnectClose(conn);
	vmp_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_define),
	    cmocka_unit_test(test_define_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
