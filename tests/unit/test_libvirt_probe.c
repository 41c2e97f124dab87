/* Unit tests of the libvirt probe: the test driver, a node file, capabilities and domain XML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "vmplan/cpuset.h"
#include "vmplan/error.h"
#include "vmplan/probe.h"
#include "vmplan/probe_libvirt.h"

#define KIB UINT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

static void assert_cpus(const vmp_cpuset *set, const char *want)
{
	char buf[1024];

	vmp_cpuset_format(buf, sizeof(buf), set);
	assert_string_equal(buf, want);
}

static const vmp_existing_vm *find_vm(const vmp_host *h, const char *name)
{
	for (int i = 0; i < h->nexisting; i++)
		if (!strcmp(h->existing[i].name, name))
			return &h->existing[i];
	fail_msg("no existing VM '%s'", name);
	return NULL;
}

static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

/*
 * What `virsh -c test:///default capabilities` and `list --all` show with
 * libvirt 9.0: cells 0 (CPUs 0-7, 2 GiB, 4 KiB pages) and 1 (CPUs 8-15,
 * 4 GiB, 8 KiB pages), both with empty 2 MiB and 1 GiB pools, socket_id
 * equal to the cell, one thread per core, no distances, no cache banks;
 * one running domain 'test' of 8 GiB, pinned nowhere.
 */
static void test_default(void **state)
{
	vmp_host *h = NULL;
	char hostname[256];
	(void)state;

	assert_int_equal(vmp_probe_libvirt(&h, "test:///default"), VMP_OK);
	assert_non_null(h);
	assert_int_equal(h->source, VMP_SOURCE_LIBVIRT);
	assert_int_equal(gethostname(hostname, sizeof(hostname)), 0);
	assert_string_equal(h->hostname, hostname);

	assert_int_equal(h->nnodes, 2);
	assert_int_equal(h->nodes[0].id, 0);
	assert_int_equal(h->nodes[1].id, 1);
	assert_cpus(&h->nodes[0].cpus, "0-7");
	assert_cpus(&h->nodes[1].cpus, "8-15");
	assert_true(h->nodes[0].memory_bytes == 2 * GIB);
	assert_true(h->nodes[1].memory_bytes == 4 * GIB);
	/* Free memory unknown from the test driver: all of it, the one domain is unbound. */
	assert_true(h->nodes[0].free_bytes == 2 * GIB);
	assert_true(h->nodes[1].free_bytes == 4 * GIB);
	for (int i = 0; i < 2; i++) {
		/* The smallest page (4 KiB on cell 0, 8 KiB on cell 1) is not a pool. */
		assert_int_equal(h->nodes[i].nhugepages, 2);
		assert_int_equal(h->nodes[i].hugepages[0].size_kib, 2048);
		assert_int_equal(h->nodes[i].hugepages[1].size_kib, 1048576);
		/* The driver claims free pages it does not have; they are capped at 0. */
		assert_int_equal(h->nodes[i].hugepages[0].total, 0);
		assert_int_equal(h->nodes[i].hugepages[0].free, 0);
	}
	assert_null(h->distances);

	assert_int_equal(h->npus, 16);
	assert_int_equal(h->ncores, 16);
	assert_int_equal(h->npackages, 2);
	assert_int_equal(h->packages[0].id, 0);
	assert_int_equal(h->packages[1].id, 1);
	assert_cpus(&h->packages[1].cpus, "8-15");
	assert_cpus(&h->online, "0-15");
	for (int i = 0; i < h->npus; i++) {
		assert_int_equal(h->pus[i].os_index, i);
		assert_int_equal(h->pus[i].node, i / 8);
		assert_int_equal(h->pus[i].package, i / 8);
		assert_int_equal(h->pus[i].l3, -1);
		assert_true(vmp_cpuset_isset(&h->cores[h->pus[i].core].pus, i));
	}
	assert_int_equal(h->nl3, 0);
	assert_false(h->resctrl.present);

	assert_int_equal(h->nexisting, 1);
	assert_string_equal(h->existing[0].name, "test");
	assert_true(h->existing[0].memory_bytes == 8 * GIB);
	assert_true(vmp_cpuset_empty(&h->existing[0].cpus));
	assert_true(vmp_cpuset_empty(&h->existing[0].nodes));
	assert_true(vmp_cpuset_empty(&h->used));
	assert_int_equal(vmp_host_check(h), VMP_OK);
	vmp_host_free(h);
}

/*
 * test:///default is one driver state shared by every connection of the
 * process while one stays open: a domain defined (not started) through
 * one is seen by the probe, as an inactive domain.
 */
static void test_default_inactive_domain(void **state)
{
	static const char xml[] =
	    "<domain type='test'><name>defined</name><memory unit='GiB'>1</memory>"
	    "<vcpu placement='static'>2</vcpu>"
	    "<cputune><vcpupin vcpu='0' cpuset='9'/><vcpupin vcpu='1' cpuset='10'/>"
	    "<iothreadpin iothread='1' cpuset='11'/></cputune>"
	    "<iothreads>1</iothreads>"
	    "<numatune><memory mode='strict' nodeset='1'/></numatune>"
	    "<os><type>hvm</type></os></domain>";
	virConnectPtr conn;
	virDomainPtr dom;
	vmp_host *h = NULL;
	const vmp_existing_vm *vm;
	(void)state;

	virSetErrorFunc(NULL, quiet);
	conn = virConnectOpen("test:///default");
	assert_non_null(conn);
	dom = virDomainDefineXML(conn, xml);
	assert_non_null(dom);
	assert_int_equal(virDomainIsActive(dom), 0);

	assert_int_equal(vmp_probe_libvirt(&h, "test:///default"), VMP_OK);
	assert_int_equal(h->nexisting, 2);
	vm = find_vm(h, "defined");
	assert_cpus(&vm->cpus, "9-11");
	assert_cpus(&vm->nodes, "1");
	assert_true(vm->memory_bytes == GIB);
	assert_cpus(&h->used, "9-11");
	assert_true(h->nodes[1].free_bytes == 3 * GIB);
	assert_true(h->nodes[0].free_bytes == 2 * GIB);
	vmp_host_free(h);

	assert_int_equal(virDomainUndefine(dom), 0);
	virDomainFree(dom);
	virConnectClose(conn);
}

/*
 * A node file for the test driver: 2 nodes of 2 sockets, 2 cores, 2 threads
 * (CPUs numbered in that order), 8 GiB; a domain pinned to CPUs 4-6 with its
 * 1 GiB bound to node 1, and one that floats.
 */
static const char node_xml[] =
    "<node>\n"
    "  <cpu><mhz>2000</mhz><model>x86_64</model>\n"
    "    <nodes>2</nodes><sockets>2</sockets><cores>2</cores><threads>2</threads></cpu>\n"
    "  <memory>8388608</memory>\n"
    "  <domain type='test'>\n"
    "    <name>pinned</name><memory unit='MiB'>1024</memory>\n"
    "    <vcpu placement='static' cpuset='4-5'>2</vcpu>\n"
    "    <cputune><vcpupin vcpu='0' cpuset='4'/><vcpupin vcpu='1' cpuset='5'/>\n"
    "      <emulatorpin cpuset='6'/></cputune>\n"
    "    <numatune><memory mode='strict' nodeset='1'/></numatune>\n"
    "    <os><type>hvm</type></os>\n"
    "  </domain>\n"
    "  <domain type='test'>\n"
    "    <name>floating</name><memory unit='MiB'>512</memory><vcpu>4</vcpu>\n"
    "    <os><type>hvm</type></os>\n"
    "  </domain>\n"
    "</node>\n";

static void test_node_file(void **state)
{
	char dir[] = "/tmp/vmplan-libvirt-XXXXXX", path[256], uri[300];
	vmp_host *h = NULL;
	const vmp_existing_vm *vm;
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/node.xml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(node_xml, f);
	fclose(f);
	snprintf(uri, sizeof(uri), "test://%s", path);

	assert_int_equal(vmp_probe_libvirt(&h, uri), VMP_OK);
	unlink(path);
	rmdir(dir);
	assert_int_equal(h->nnodes, 2);
	assert_cpus(&h->nodes[0].cpus, "0-7");
	assert_cpus(&h->nodes[1].cpus, "8-15");
	assert_int_equal(h->npus, 16);
	assert_int_equal(h->ncores, 8);
	assert_int_equal(h->npackages, 4);
	assert_cpus(&h->packages[1].cpus, "4-7");
	assert_cpus(&h->cores[2].pus, "4-5");
	assert_int_equal(h->pus[5].core, 2);
	assert_int_equal(h->pus[9].node, 1);
	assert_true(h->nodes[0].memory_bytes == 4 * GIB);
	assert_true(h->nodes[1].memory_bytes == 4 * GIB);

	assert_int_equal(h->nexisting, 2);
	vm = find_vm(h, "pinned");
	assert_cpus(&vm->cpus, "4-6");
	assert_cpus(&vm->nodes, "1");
	assert_true(vm->memory_bytes == GIB);
	vm = find_vm(h, "floating");
	assert_true(vmp_cpuset_empty(&vm->cpus));
	assert_true(vmp_cpuset_empty(&vm->nodes));
	assert_true(vm->memory_bytes == 512 * MIB);
	assert_cpus(&h->used, "4-6");
	/* Only the bound domain takes memory, and only from its node. */
	assert_true(h->nodes[1].free_bytes == 3 * GIB);
	assert_true(h->nodes[0].free_bytes == 4 * GIB);
	vmp_host_free(h);
}

static void test_unreachable(void **state)
{
	static const char *const uris[] = {"test:///nonexistent/file.xml", "bogus://x"};
	(void)state;

	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		vmp_host *h = (vmp_host *)&h;
		char want[128];

		assert_int_equal(vmp_probe_libvirt(&h, uris[i]), VMP_ESYS);
		assert_null(h);
		snprintf(want, sizeof(want), "cannot connect to libvirt at '%s': ", uris[i]);
		assert_memory_equal(vmp_error_last(), want, strlen(want));
		/* libvirt's own reason follows. */
		assert_true(strlen(vmp_error_last()) > strlen(want));
	}
}

/*
 * Capabilities of a small two-socket host as a real qemu driver lists them:
 * SMT siblings numbered apart (0/2, 1/3, 4/6, 5/7), CPU 7 offline (id only),
 * a 2 MiB and a 1 GiB pool, distances, two L3 banks of 15 MiB with CDP
 * (ways of 768 KiB), and memory bandwidth control.
 */
/* clang-format off */
#define CELL(id, mem, cpus, dist)                                                          \
	"<cell id='" id "'><memory unit='KiB'>" mem "</memory>"                            \
	"<pages unit='KiB' size='4'>1000</pages>"                                          \
	"<pages unit='KiB' size='2048'>512</pages>"                                        \
	"<pages unit='KiB' size='1048576'>2</pages>"                                       \
	"<distances>" dist "</distances><cpus num='4'>" cpus "</cpus></cell>"

static const char caps_xml[] =
	"<capabilities><host><uuid>x</uuid><cpu><arch>x86_64</arch></cpu>"
	"<topology><cells num='2'>"
	CELL("1", "8388608",
	     "<cpu id='4' socket_id='1' die_id='0' core_id='0' siblings='4,6'/>"
	     "<cpu id='5' socket_id='1' die_id='0' core_id='1' siblings='5'/>"
	     "<cpu id='6' socket_id='1' die_id='0' core_id='0' siblings='4,6'/>"
	     "<cpu id='7'/>",
	     "<sibling id='0' value='21'/><sibling id='1' value='10'/>")
	CELL("0", "4194304",
	     "<cpu id='0' socket_id='0' die_id='0' core_id='0' siblings='0,2'/>"
	     "<cpu id='1' socket_id='0' die_id='0' core_id='1' siblings='1,3'/>"
	     "<cpu id='2' socket_id='0' die_id='0' core_id='0' siblings='0,2'/>"
	     "<cpu id='3' socket_id='0' die_id='0' core_id='1' siblings='1,3'/>",
	     "<sibling id='0' value='10'/><sibling id='1' value='21'/>")
	"</cells></topology>"
	"<cache>"
	"<bank id='1' level='3' type='both' size='15' unit='MiB' cpus='4-7'>"
	"<control granularity='768' min='1536' unit='KiB' type='code' maxAllocs='8'/>"
	"<control granularity='768' min='1536' unit='KiB' type='data' maxAllocs='8'/></bank>"
	"<bank id='0' level='3' type='both' size='15' unit='MiB' cpus='0-3'>"
	"<control granularity='768' min='1536' unit='KiB' type='code' maxAllocs='8'/>"
	"<control granularity='768' min='1536' unit='KiB' type='data' maxAllocs='8'/></bank>"
	"<bank id='0' level='2' type='both' size='1' unit='MiB' cpus='0,2'/>"
	"</cache>"
	"<memory_bandwidth>"
	"<node id='0' cpus='0-3'><control granularity='10' min='10' maxAllocs='8'/></node>"
	"<node id='1' cpus='4-7'><control granularity='10' min='20' maxAllocs='6'/></node>"
	"</memory_bandwidth>"
	"</host></capabilities>";
/* clang-format on */

/* A page size under 4 KiB, or listed twice, would turn the normal page into a "pool". */
static void test_caps_bad_pages(void **state)
{
	static const char *const bad[] = {"<pages unit='B' size='512'>2</pages>",
					  "<pages unit='KiB' size='2048'>1</pages>"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *at = strstr(caps_xml, "<pages unit='KiB' size='1048576'>2</pages>");
		size_t pre = (size_t)(at - caps_xml), old = strlen("<pages unit='KiB' "
								   "size='1048576'>2</pages>");
		char *xml = malloc(strlen(caps_xml) + strlen(bad[i]) + 1);
		vmp_host *h = NULL;

		memcpy(xml, caps_xml, pre);
		strcpy(xml + pre, bad[i]);
		strcat(xml, at + old);
		assert_int_equal(vmp_libvirt_caps_parse(&h, xml), VMP_EINVAL);
		assert_null(h);
		assert_true(strstr(vmp_error_last(), "<pages> of 512 bytes") ||
			    strstr(vmp_error_last(), "pages of 2048 KiB twice"));
		free(xml);
	}
}

static void test_caps(void **state)
{
	vmp_host *h = NULL;
	(void)state;

	assert_int_equal(vmp_libvirt_caps_parse(&h, caps_xml), VMP_OK);
	assert_int_equal(h->source, VMP_SOURCE_LIBVIRT);
	assert_int_equal(h->nnodes, 2);
	assert_int_equal(h->nodes[0].id, 0); /* sorted, though listed second */
	assert_true(h->nodes[0].memory_bytes == 4 * GIB);
	assert_true(h->nodes[1].memory_bytes == 8 * GIB);
	assert_int_equal(h->nodes[1].nhugepages, 2);
	assert_int_equal(h->nodes[1].hugepages[0].size_kib, 2048);
	assert_int_equal(h->nodes[1].hugepages[0].total, 512);
	assert_int_equal(h->nodes[1].hugepages[0].free, 512);
	assert_int_equal(h->nodes[1].hugepages[1].size_kib, 1048576);
	assert_int_equal(h->nodes[1].hugepages[1].total, 2);
	/* Pool memory (1 GiB + 2 GiB) is not free for normal allocations. */
	assert_true(h->nodes[1].free_bytes == 5 * GIB);
	assert_non_null(h->distances);
	assert_int_equal(vmp_host_distance(h, 0, 0), 10);
	assert_int_equal(vmp_host_distance(h, 0, 1), 21);
	assert_int_equal(vmp_host_distance(h, 1, 0), 21);

	/* CPU 7 is offline. */
	assert_int_equal(h->npus, 7);
	assert_cpus(&h->online, "0-6");
	assert_cpus(&h->nodes[1].cpus, "4-6");
	assert_int_equal(h->npackages, 2);
	assert_int_equal(h->ncores, 4);
	assert_cpus(&h->cores[0].pus, "0,2");
	assert_cpus(&h->cores[1].pus, "1,3");
	assert_cpus(&h->cores[2].pus, "4,6");
	assert_cpus(&h->cores[3].pus, "5");
	assert_int_equal(h->cores[2].node, 1);
	assert_int_equal(h->cores[2].package, 1);
	assert_int_equal(h->pus[vmp_host_pu_index(h, 6)].core, 2);

	assert_int_equal(h->nl3, 2);
	assert_int_equal(h->l3s[0].id, 0);
	assert_true(h->l3s[0].size_bytes == 15 * MIB);
	assert_cpus(&h->l3s[1].cpus, "4-6");
	assert_int_equal(h->pus[vmp_host_pu_index(h, 5)].l3, 1);
	assert_int_equal(h->cores[0].l3, 0);

	assert_true(h->resctrl.present);
	assert_true(h->resctrl.l3.present);
	assert_true(h->resctrl.l3.cdp);
	assert_true(h->resctrl.l3.cbm_mask == 0xfffff); /* 15 MiB / 768 KiB = 20 ways */
	assert_int_equal(h->resctrl.l3.min_cbm_bits, 2);
	assert_int_equal(h->resctrl.l3.num_closids, 8);
	assert_int_equal(h->resctrl.l3.ndomains, 2);
	assert_int_equal(h->resctrl.l3.domains[0].id, 1);
	assert_int_equal(h->resctrl.l3.domains[1].id, 0);
	assert_false(h->resctrl.l2.present); /* the L2 bank has no control */
	assert_true(h->resctrl.mb.present);
	assert_int_equal(h->resctrl.mb.bandwidth_gran, 10);
	assert_int_equal(h->resctrl.mb.min_bandwidth, 20); /* the larger of the two */
	assert_int_equal(h->resctrl.mb.num_closids, 6);    /* the smaller of the two */
	assert_int_equal(h->resctrl.mb.ndomains, 2);
	assert_int_equal(h->resctrl.mb.domain_ids[1], 1);
	assert_int_equal(h->resctrl.groups_used, 1);
	vmp_host_free(h);
}

static void test_domains(void **state)
{
	static const char *const xmls[] = {
	    /* 1 GiB of 2 MiB pages on node 1, 3 MiB of L3 in bank 1, pinned 4-5. */
	    "<domain type='kvm'><name>huge</name><memory unit='KiB'>1048576</memory>"
	    "<vcpu placement='static' cpuset='4-5'>2</vcpu>"
	    "<cputune><cachetune vcpus='0-1'>"
	    "<cache id='1' level='3' type='code' size='3' unit='MiB'/></cachetune>"
	    "<memorytune vcpus='0-1'><node id='1' bandwidth='50'/></memorytune>"
	    "</cputune>"
	    "<numatune><memory mode='strict' nodeset='1'/></numatune>"
	    "<memoryBacking><hugepages><page size='2' unit='MiB'/></hugepages></memoryBacking>"
	    "</domain>",
	    /* Two guest cells bound by <memnode>; a memorytune group of its own. */
	    "<domain type='kvm'><name>cells</name><memory unit='GiB'>3</memory>"
	    "<vcpu>2</vcpu>"
	    "<cputune><emulatorpin cpuset='0'/><cachetune vcpus='0'>"
	    "<cache id='1' level='3' type='both' size='1' unit='MiB'/></cachetune>"
	    "<memorytune vcpus='1'><node id='0' bandwidth='20'/></memorytune></cputune>"
	    "<cpu><numa><cell id='0' cpus='0' memory='1' unit='GiB'/>"
	    "<cell id='1' cpus='1' memory='2' unit='GiB'/></numa></cpu>"
	    "<numatune><memory mode='strict' nodeset='0-1'/>"
	    "<memnode cellid='0' mode='strict' nodeset='0'/>"
	    "<memnode cellid='1' mode='strict' nodeset='1'/></numatune>"
	    "</domain>",
	};
	vmp_host *h = NULL;
	const vmp_existing_vm *vm;
	(void)state;

	assert_int_equal(vmp_libvirt_caps_parse(&h, caps_xml), VMP_OK);
	assert_int_equal(vmp_libvirt_domains_apply(h, xmls, 2), VMP_OK);
	assert_int_equal(h->nexisting, 2);
	vm = find_vm(h, "huge");
	assert_cpus(&vm->cpus, "4-5");
	assert_cpus(&vm->nodes, "1");
	assert_true(vm->memory_bytes == GIB);
	assert_int_equal(vm->guest_cells, 1); /* no <cpu><numa>: one cell */
	vm = find_vm(h, "cells");
	assert_cpus(&vm->cpus, "0");
	assert_cpus(&vm->nodes, "0-1");
	assert_int_equal(vm->guest_cells, 2);
	assert_cpus(&h->used, "0,4-5");

	/* 512 pages of 2 MiB held by 'huge'; its memory is not taken from normal memory. */
	assert_int_equal(h->nodes[1].hugepages[0].free, 0);
	assert_int_equal(h->nodes[1].hugepages[1].free, 2);
	assert_int_equal(h->nodes[0].hugepages[0].free, 512);
	/* 'cells': 1 GiB on node 0, 2 GiB on node 1. */
	assert_true(h->nodes[0].free_bytes == 4 * GIB - 1 * GIB - 2 * GIB - 1 * GIB);
	assert_true(h->nodes[1].free_bytes == 5 * GIB - 2 * GIB);

	/* 3 MiB = 4 ways, then 1 MiB = 2 ways above them, both in bank 1. */
	assert_int_equal(h->resctrl.l3.domains[0].id, 1);
	assert_true(h->resctrl.l3.domains[0].used_mask == 0x3f);
	assert_true(h->resctrl.l3.domains[1].used_mask == 0);
	/* Default group, two cachetunes, and the memorytune of 'cells' with vCPUs of its own. */
	assert_int_equal(h->resctrl.groups_used, 4);
	vmp_host_free(h);
}

/* Under CDP a group's code and data entries share one run of ways: the larger counts. */
static void test_domains_cdp(void **state)
{
	static const char *const xmls[] = {
	    /* 3 MiB code and 3 MiB data in bank 0: 4 ways, not 8. */
	    "<domain type='kvm'><name>a</name><memory unit='GiB'>1</memory><vcpu>2</vcpu>"
	    "<cputune><cachetune vcpus='0-1'>"
	    "<cache id='0' level='3' type='code' size='3' unit='MiB'/>"
	    "<cache id='0' level='3' type='data' size='3' unit='MiB'/></cachetune></cputune>"
	    "</domain>",
	    /* 1 MiB code, 2 MiB data in bank 0 (3 ways); 1 MiB data in bank 1 (2 ways). */
	    "<domain type='kvm'><name>b</name><memory unit='GiB'>1</memory><vcpu>2</vcpu>"
	    "<cputune><cachetune vcpus='0'>"
	    "<cache id='0' level='3' type='code' size='1' unit='MiB'/>"
	    "<cache id='0' level='3' type='data' size='2' unit='MiB'/>"
	    "<cache id='1' level='3' type='data' size='1' unit='MiB'/></cachetune>"
	    /* A second group of the same domain takes ways of its own. */
	    "<cachetune vcpus='1'>"
	    "<cache id='1' level='3' type='code' size='768' unit='KiB'/>"
	    "<cache id='1' level='3' type='data' size='768' unit='KiB'/></cachetune></cputune>"
	    "</domain>",
	};
	vmp_host *h = NULL;
	(void)state;

	assert_int_equal(vmp_libvirt_caps_parse(&h, caps_xml), VMP_OK);
	assert_int_equal(vmp_libvirt_domains_apply(h, xmls, 2), VMP_OK);
	assert_int_equal(h->resctrl.l3.domains[1].id, 0);
	assert_true(h->resctrl.l3.domains[1].used_mask == 0x7f);
	assert_int_equal(h->resctrl.l3.domains[0].id, 1);
	assert_true(h->resctrl.l3.domains[0].used_mask == 0x7);
	assert_int_equal(h->resctrl.groups_used, 4);
	vmp_host_free(h);
}

static void test_bad_input(void **state)
{
	vmp_host *h = NULL;
	const char *bad_domain = "<domain><name>broken</name><memory>1</memory>"
				 "<cputune><vcpupin vcpu='0' cpuset='3-x'/></cputune></domain>";
	(void)state;

	assert_int_equal(vmp_libvirt_caps_parse(&h, "<capabilities><host>"), VMP_EINVAL);
	assert_null(h);
	assert_non_null(strstr(vmp_error_last(), "cannot parse capabilities XML"));

	assert_int_equal(vmp_libvirt_caps_parse(&h, "<capabilities><host/></capabilities>"),
			 VMP_EINVAL);
	assert_string_equal(vmp_error_last(), "cannot use capabilities XML: it lists no NUMA cell");

	assert_int_equal(vmp_libvirt_caps_parse(&h, "<capabilities><host><topology><cells>"
						    "<cell id='0'><cpus><cpu id='0' socket_id='a'/>"
						    "</cpus></cell></cells></topology></host>"
						    "</capabilities>"),
			 VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "socket_id='a'"));

	/* Found by fuzz/fuzz_caps: cells without a CPU passed NULL to qsort (UBSan). */
	vmp_error_clear();
	if (vmp_libvirt_caps_parse(&h, "<capabilities><host><topology><cells num='1'>"
				       "<cell id='0'><memory unit='KiB'>1024</memory></cell>"
				       "</cells></topology></host></capabilities>") == VMP_OK) {
		assert_int_equal(h->npus, 0);
		vmp_host_free(h);
		h = NULL;
	} else {
		assert_string_not_equal(vmp_error_last(), "");
	}

	assert_int_equal(vmp_libvirt_caps_parse(&h, caps_xml), VMP_OK);
	assert_int_equal(vmp_libvirt_domains_apply(h, &bad_domain, 1), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "domain 'broken'"));
	assert_non_null(strstr(vmp_error_last(), "3-x"));
	vmp_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default),   cmocka_unit_test(test_default_inactive_domain),
	    cmocka_unit_test(test_node_file), cmocka_unit_test(test_unreachable),
	    cmocka_unit_test(test_caps),      cmocka_unit_test(test_caps_bad_pages),
	    cmocka_unit_test(test_domains),   cmocka_unit_test(test_domains_cdp),
	    cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
