/* The tuning-only merge (a migration's destination XML): only <cputune> and <numatune> change. */
#include "unit/exportcheck.h"

/* A running guest as libvirt gives it for a migration: 4 vCPUs in 2 guest cells, hugepages,
 * 2 I/O threads, pinned on its old host. */
static const char guest_xml[] = "<domain type='kvm'>\n"
				"  <name>mover</name>\n"
				"  <uuid>5a1b3f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b</uuid>\n"
				"  <memory unit='KiB'>4194304</memory>\n"
				"  <currentMemory unit='KiB'>4194304</currentMemory>\n"
				"  <memoryBacking>\n"
				"    <hugepages>\n"
				"      <page size='2048' unit='KiB'/>\n"
				"    </hugepages>\n"
				"  </memoryBacking>\n"
				"  <vcpu placement='static'>4</vcpu>\n"
				"  <iothreads>2</iothreads>\n"
				"  <cputune>\n"
				"    <vcpupin vcpu='0' cpuset='8'/>\n"
				"    <vcpupin vcpu='1' cpuset='9'/>\n"
				"    <vcpupin vcpu='2' cpuset='10'/>\n"
				"    <vcpupin vcpu='3' cpuset='11'/>\n"
				"    <emulatorpin cpuset='7'/>\n"
				"    <iothreadpin iothread='1' cpuset='7'/>\n"
				"    <shares>3000</shares>\n"
				"  </cputune>\n"
				"  <numatune>\n"
				"    <memory mode='preferred' nodeset='1'/>\n"
				"    <memnode cellid='0' mode='preferred' nodeset='1'/>\n"
				"    <memnode cellid='1' mode='preferred' nodeset='1'/>\n"
				"  </numatune>\n"
				"  <os>\n"
				"    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
				"    <boot dev='hd'/>\n"
				"  </os>\n"
				"  <cpu mode='host-passthrough' check='none'>\n"
				"    <topology sockets='2' dies='1' cores='2' threads='1'/>\n"
				"    <numa>\n"
				"      <cell id='0' cpus='0-1' memory='2097152' unit='KiB'/>\n"
				"      <cell id='1' cpus='2-3' memory='2097152' unit='KiB'/>\n"
				"    </numa>\n"
				"  </cpu>\n"
				"  <on_poweroff>destroy</on_poweroff>\n"
				"  <devices>\n"
				"    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
				"    <disk type='file' device='disk'>\n"
				"      <driver name='qemu' type='qcow2' iothread='2'/>\n"
				"      <source file='/var/lib/libvirt/images/mover.qcow2'/>\n"
				"      <target dev='vda' bus='virtio'/>\n"
				"    </disk>\n"
				"  </devices>\n"
				"</domain>\n";

/* The document with <cputune> and <numatune> taken out, canonical (C14N). */
static char *outside_tuning(const char *xml)
{
	xmlDocPtr doc = parse(xml);
	xmlNodePtr root = xmlDocGetRootElement(doc), next;
	xmlChar *c14n = NULL;
	char *s;

	for (xmlNodePtr n = root->children; n; n = next) {
		next = n->next;
		if (n->type == XML_ELEMENT_NODE && (!xmlStrcmp(n->name, BAD_CAST "cputune") ||
						    !xmlStrcmp(n->name, BAD_CAST "numatune"))) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
	}
	assert_true(xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 0, &c14n) >= 0);
	s = strdup((const char *)c14n);
	xmlFree(c14n);
	xmlFreeDoc(doc);
	return s;
}

static void test_tuning_only(void **st)
{
	vmp_plan *p = full_plan();
	vmp_plan_vm *vm = &p->vms[0]; /* 4 vCPUs on 2,4,10,12; cells on nodes 0 and 1 */
	virConnectPtr conn = test_conn();
	char *out, *twice, *a, *b;
	xmlDocPtr doc;
	virDomainPtr dom;

	(void)st;
	assert_int_equal(vmp_export_libvirt_merge_tuning(&out, NULL, guest_xml, "mover", vm),
			 VMP_OK);
	/* Nothing but the host-side tuning differs from the domain. */
	a = outside_tuning(guest_xml);
	b = outside_tuning(out);
	assert_string_equal(a, b);
	free(a);
	free(b);

	doc = parse(out);
	assert_xpath(doc, "/domain/cputune/vcpupin[@vcpu='0']/@cpuset", "2");
	assert_xpath(doc, "/domain/cputune/vcpupin[@vcpu='3']/@cpuset", "12");
	assert_int_equal(count(doc, "/domain/cputune/vcpupin"), 4);
	assert_xpath(doc, "/domain/cputune/emulatorpin/@cpuset", "0-1");
	assert_xpath(doc, "/domain/cputune/iothreadpin[@iothread='1']/@cpuset", "0");
	assert_xpath(doc, "/domain/cputune/iothreadpin[@iothread='2']/@cpuset", "1,8");
	assert_xpath(doc, "/domain/cputune/shares", "3000"); /* not the plan's 2048 */
	assert_int_equal(count(doc, "/domain/cputune/vcpusched | /domain/cputune/period"), 0);
	assert_int_equal(count(doc, "/domain/cputune/cachetune/cache"), 2);
	assert_xpath(doc, "/domain/cputune/cachetune/@vcpus", "0-3");
	assert_xpath(doc, "/domain/numatune/memory/@mode", "preferred"); /* the domain's */
	assert_xpath(doc, "/domain/numatune/memory/@nodeset", "0-1");
	assert_xpath(doc, "/domain/numatune/memnode[@cellid='0']/@nodeset", "0");
	assert_xpath(doc, "/domain/numatune/memnode[@cellid='1']/@nodeset", "1");
	assert_int_equal(count(doc, "/domain/numatune/memnode"), 2);
	xmlFreeDoc(doc);

	/* Merging again changes nothing. */
	assert_int_equal(vmp_export_libvirt_merge_tuning(&twice, NULL, out, "out", vm), VMP_OK);
	assert_string_equal(out, twice);
	free(twice);

	/* libvirt's parser takes it. */
	dom = virDomainDefineXMLFlags(conn, out, VIR_DOMAIN_DEFINE_VALIDATE);
	if (!dom) {
		virErrorPtr e = virGetLastError();
		fail_msg("libvirt refuses: %s\n%s", e ? e->message : "?", out);
	}
	virDomainUndefine(dom);
	virDomainFree(dom);
	free(out);
	virConnectClose(conn);
	vmp_plan_free(p);
}

/* A domain with more vCPUs than the plan, no guest cells: every vCPU gets a pin, the numatune
 * no memnode; a plan whose cells are not the domain's is refused. */
static void test_tuning_shapes(void **st)
{
	vmp_plan *p = full_plan();
	vmp_plan_vm *vm = &p->vms[0];
	char *in = slurp(DATA_DIR "/domains/webshop.xml"), *out = NULL;
	xmlDocPtr doc;

	(void)st;
	assert_non_null(in);
	assert_int_equal(vmp_export_libvirt_merge_tuning(&out, NULL, in, "webshop.xml", vm),
			 VMP_OK);
	doc = parse(out);
	assert_int_equal(count(doc, "/domain/cputune/vcpupin"), 8);
	assert_xpath(doc, "/domain/cputune/vcpupin[@vcpu='4']/@cpuset", "2");
	assert_xpath(doc, "/domain/cputune/vcpupin[@vcpu='7']/@cpuset", "12");
	assert_xpath(doc, "/domain/cputune/emulator_period", "1000000"); /* kept */
	assert_xpath(doc, "/domain/vcpu", "8");
	assert_xpath(doc, "/domain/memoryBacking/hugepages/page/@size", "1");
	/* 4 I/O threads, the plan has 2: the others go with the emulator. */
	assert_xpath(doc, "/domain/cputune/iothreadpin[@iothread='4']/@cpuset", "0-1");
	assert_int_equal(count(doc, "/domain/numatune/memnode"), 0);
	assert_xpath(doc, "/domain/numatune/memory/@mode", "interleave");
	xmlFreeDoc(doc);
	free(out);

	/* Planned with 1 cell, the domain has 2: refused, saying so. */
	vm->ncells = 1;
	assert_int_equal(vmp_export_libvirt_merge_tuning(&out, NULL, guest_xml, "mover", vm),
			 VMP_EINVAL);
	assert_null(out);
	assert_non_null(strstr(vmp_error_last(), "numa=2"));
	free(in);
	vmp_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tuning_only),
	    cmocka_unit_test(test_tuning_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
