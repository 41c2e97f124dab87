/* Unit tests of the hwloc probes: synthetic descriptions, XML files, fixtures and the live host. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmplan/cpuset.h"
#include "vmplan/error.h"
#include "vmplan/probe.h"

#define GIB (UINT64_C(1) << 30)

/*
 * A small hand-written hwloc XML: node 1 (CPUs 0-1, one core, 2M and 1G
 * pools), node 0 (CPU 2, outside any core), memory-only node 2 attached to
 * the machine, no package and no L3, two CPU kinds. The distance matrix
 * goes between XML_HEAD and XML_TAIL.
 */
#define XML_HEAD                                                                                   \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                             \
	"<!DOCTYPE topology SYSTEM \"hwloc2.dtd\">\n"                                              \
	"<topology version=\"2.0\">\n"                                                             \
	"<object type=\"Machine\" os_index=\"0\" cpuset=\"0x7\" complete_cpuset=\"0x7\" "          \
	"allowed_cpuset=\"0x7\" nodeset=\"0x7\" complete_nodeset=\"0x7\" allowed_nodeset=\"0x7\" " \
	"gp_index=\"1\">\n"                                                                        \
	" <info name=\"HostName\" value=\"tiny\"/>\n"                                              \
	" <object type=\"NUMANode\" os_index=\"2\" cpuset=\"0x7\" complete_cpuset=\"0x7\" "        \
	"nodeset=\"0x4\" complete_nodeset=\"0x4\" gp_index=\"10\" local_memory=\"1073741824\"/>\n" \
	" <object type=\"Group\" cpuset=\"0x3\" complete_cpuset=\"0x3\" nodeset=\"0x2\" "          \
	"complete_nodeset=\"0x2\" gp_index=\"2\">\n"                                               \
	"  <object type=\"NUMANode\" os_index=\"1\" cpuset=\"0x3\" complete_cpuset=\"0x3\" "       \
	"nodeset=\"0x2\" complete_nodeset=\"0x2\" gp_index=\"3\" local_memory=\"4294967296\">\n"   \
	"   <page_type size=\"4096\" count=\"524288\"/>\n"                                         \
	"   <page_type size=\"2097152\" count=\"512\"/>\n"                                         \
	"   <page_type size=\"1073741824\" count=\"2\"/>\n"                                        \
	"  </object>\n"                                                                            \
	"  <object type=\"Core\" os_index=\"0\" cpuset=\"0x3\" complete_cpuset=\"0x3\" "           \
	"nodeset=\"0x2\" complete_nodeset=\"0x2\" gp_index=\"4\">\n"                               \
	"   <object type=\"PU\" os_index=\"0\" cpuset=\"0x1\" complete_cpuset=\"0x1\" "            \
	"nodeset=\"0x2\" complete_nodeset=\"0x2\" gp_index=\"5\"/>\n"                              \
	"   <object type=\"PU\" os_index=\"1\" cpuset=\"0x2\" complete_cpuset=\"0x2\" "            \
	"nodeset=\"0x2\" complete_nodeset=\"0x2\" gp_index=\"6\"/>\n"                              \
	"  </object>\n"                                                                            \
	" </object>\n"                                                                             \
	" <object type=\"Group\" cpuset=\"0x4\" complete_cpuset=\"0x4\" nodeset=\"0x1\" "          \
	"complete_nodeset=\"0x1\" gp_index=\"7\">\n"                                               \
	"  <object type=\"NUMANode\" os_index=\"0\" cpuset=\"0x4\" complete_cpuset=\"0x4\" "       \
	"nodeset=\"0x1\" complete_nodeset=\"0x1\" gp_index=\"8\" local_memory=\"2147483648\">\n"   \
	"   <page_type size=\"4096\" count=\"524288\"/>\n"                                         \
	"  </object>\n"                                                                            \
	"  <object type=\"PU\" os_index=\"2\" cpuset=\"0x4\" complete_cpuset=\"0x4\" "             \
	"nodeset=\"0x1\" complete_nodeset=\"0x1\" gp_index=\"9\"/>\n"                              \
	" </object>\n"                                                                             \
	"</object>\n"
#define XML_TAIL                                                                                   \
	"<cpukind cpuset=\"0x3\" forced_efficiency=\"0\"/>\n"                                      \
	"<cpukind cpuset=\"0x4\" forced_efficiency=\"1\"/>\n"                                      \
	"</topology>\n"

/* OS latencies listed in the order 1 0 2, asymmetric so that a transposition shows. */
#define XML_DISTANCES_PERMUTED                                                                     \
	"<distances2 type=\"NUMANode\" nbobjs=\"3\" kind=\"5\" name=\"NUMALatency\" "              \
	"indexing=\"os\">\n"                                                                       \
	" <indexes length=\"6\">1 0 2 </indexes>\n"                                                \
	" <u64values length=\"27\">10 21 31 12 10 32 41 42 10 </u64values>\n"                      \
	"</distances2>\n"
/* The same values, but set by a user (kind FROM_USER|MEANS_LATENCY), not the OS. */
#define XML_DISTANCES_USER                                                                         \
	"<distances2 type=\"NUMANode\" nbobjs=\"3\" kind=\"6\" indexing=\"os\">\n"                 \
	" <indexes length=\"6\">1 0 2 </indexes>\n"                                                \
	" <u64values length=\"27\">10 21 31 12 10 32 41 42 10 </u64values>\n"                      \
	"</distances2>\n"
/* Only nodes 0 and 1: the matrix misses node 2. */
#define XML_DISTANCES_PARTIAL                                                                      \
	"<distances2 type=\"NUMANode\" nbobjs=\"2\" kind=\"5\" indexing=\"os\">\n"                 \
	" <indexes length=\"4\">1 0 </indexes>\n"                                                  \
	" <u64values length=\"12\">10 21 12 10 </u64values>\n"                                     \
	"</distances2>\n"

/* Write text to a new temporary file; its path goes to path (at least 64 bytes). */
static void write_temp(char *path, const char *text)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/vmplan-test-probe-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static vmp_host *synthetic(const char *desc)
{
	vmp_host *h = NULL;
	int err = vmp_probe_synthetic(&h, desc);

	if (err != VMP_OK)
		fail_msg("synthetic '%s' refused (%d): %s", desc, err, vmp_error_last());
	assert_non_null(h);
	return h;
}

static vmp_host *xml(const char *path)
{
	vmp_host *h = NULL;
	int err = vmp_probe_xml(&h, path);

	if (err != VMP_OK)
		fail_msg("topology '%s' refused (%d): %s", path, err, vmp_error_last());
	assert_non_null(h);
	return h;
}

/* Load a hand-written XML topology from text. */
static vmp_host *xml_text(const char *text)
{
	char path[64];
	vmp_host *h;

	write_temp(path, text);
	h = xml(path);
	unlink(path);
	return h;
}

/* Load hwloc-xml/name from the shared fixtures, or skip the test where they are missing. */
static vmp_host *fixture(const char *name)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/hwloc-xml/%s", VMPLAN_FIXTURES, name);
	if (access(path, R_OK) != 0) {
		print_message("skipped: fixture %s is missing\n", path);
		skip();
	}
	return xml(path);
}

static void assert_cpus(const vmp_cpuset *set, const char *want)
{
	char buf[8192];

	vmp_cpuset_format(buf, sizeof(buf), set);
	assert_string_equal(buf, want);
}

/*
 * Check what model.h promises beyond vmp_host_check(): sorted arrays, every
 * online PU in exactly one core and one node, and cross references that agree.
 */
static void assert_consistent(const vmp_host *h)
{
	vmp_cpuset all_cores = {0}, all_nodes = {0};

	if (vmp_host_check(h) != VMP_OK)
		fail_msg("vmp_host_check: %s", vmp_error_last());
	assert_int_equal(vmp_cpuset_count(&h->online), h->npus);
	assert_true(vmp_cpuset_empty(&h->reserved));
	for (int i = 1; i < h->npackages; i++)
		assert_true(h->packages[i - 1].id < h->packages[i].id);
	for (int i = 1; i < h->nnodes; i++)
		assert_true(h->nodes[i - 1].id < h->nodes[i].id);
	for (int i = 1; i < h->nl3; i++)
		assert_true(h->l3s[i - 1].id < h->l3s[i].id);
	for (int i = 0; i < h->ncores; i++) {
		const vmp_core *c = &h->cores[i];

		assert_false(vmp_cpuset_empty(&c->pus));
		assert_false(vmp_cpuset_intersects(&all_cores, &c->pus));
		vmp_cpuset_or(&all_cores, &all_cores, &c->pus);
		if (i > 0)
			assert_true(vmp_cpuset_first(&h->cores[i - 1].pus) <
				    vmp_cpuset_first(&c->pus));
		assert_true(vmp_cpuset_subset(&c->pus, &h->packages[c->package].cpus));
		assert_true(vmp_cpuset_subset(&c->pus, &h->nodes[c->node].cpus));
		if (c->l3 >= 0)
			assert_true(vmp_cpuset_subset(&c->pus, &h->l3s[c->l3].cpus));
	}
	for (int i = 0; i < h->nnodes; i++) {
		assert_false(vmp_cpuset_intersects(&all_nodes, &h->nodes[i].cpus));
		vmp_cpuset_or(&all_nodes, &all_nodes, &h->nodes[i].cpus);
		/* hwloc does not know free memory; sysfs (live, fsroot) does. */
		if (h->source == VMP_SOURCE_LIVE || h->source == VMP_SOURCE_FSROOT)
			assert_true(h->nodes[i].free_bytes <= h->nodes[i].memory_bytes);
		else
			assert_true(h->nodes[i].free_bytes == h->nodes[i].memory_bytes);
	}
	assert_true(vmp_cpuset_equal(&all_cores, &h->online));
	assert_true(vmp_cpuset_equal(&all_nodes, &h->online));
	for (int i = 0; i < h->npus; i++) {
		const vmp_pu *p = &h->pus[i];
		const vmp_core *c = &h->cores[p->core];

		assert_true(vmp_cpuset_isset(&h->online, p->os_index));
		assert_int_equal(p->package, c->package);
		assert_int_equal(p->node, c->node);
		assert_int_equal(p->l3, c->l3);
		assert_true(p->kind >= 0);
		assert_true(vmp_cpuset_isset(&h->packages[p->package].cpus, p->os_index));
		if (p->l3 >= 0)
			assert_true(vmp_cpuset_isset(&h->l3s[p->l3].cpus, p->os_index));
	}
	if (h->distances)
		for (int i = 0; i < h->nnodes; i++)
			for (int j = 0; j < h->nnodes; j++)
				assert_true(vmp_host_distance(h, i, i) <=
					    vmp_host_distance(h, i, j));
}

static void test_synthetic_packages_l3_smt(void **state)
{
	/* 2 packages x 2 L3 x 4 cores x 2 threads: 16 cores, 32 CPUs. */
	vmp_host *h = synthetic("pack:2 [numa(memory=64GB)] l3:2 core:4 pu:2");

	(void)state;
	assert_consistent(h);
	assert_int_equal(h->source, VMP_SOURCE_SYNTHETIC);
	assert_string_equal(h->hostname, "synthetic");
	assert_int_equal(h->npackages, 2);
	assert_int_equal(h->nnodes, 2);
	assert_int_equal(h->nl3, 4);
	assert_int_equal(h->ncores, 16);
	assert_int_equal(h->npus, 32);
	assert_cpus(&h->online, "0-31");

	assert_int_equal(h->packages[0].id, 0);
	assert_int_equal(h->packages[1].id, 1);
	assert_cpus(&h->packages[0].cpus, "0-15");
	assert_cpus(&h->packages[1].cpus, "16-31");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(h->nodes[i].id, i);
		/* hwloc's synthetic GB is decimal: 64 * 10^9, not 64 GiB. */
		assert_true(h->nodes[i].memory_bytes == UINT64_C(64000000000));
		assert_true(h->nodes[i].free_bytes == UINT64_C(64000000000));
		/* Synthetic nodes list only 4 KiB pages: no hugepage pool. */
		assert_int_equal(h->nodes[i].nhugepages, 0);
	}
	assert_cpus(&h->nodes[0].cpus, "0-15");
	assert_cpus(&h->nodes[1].cpus, "16-31");
	assert_null(h->distances);

	for (int i = 0; i < 4; i++) {
		char want[16];

		assert_int_equal(h->l3s[i].id, i);
		assert_true(h->l3s[i].size_bytes > 0);
		snprintf(want, sizeof(want), "%d-%d", 8 * i, 8 * i + 7);
		assert_cpus(&h->l3s[i].cpus, want);
	}
	for (int i = 0; i < 16; i++) {
		vmp_cpuset want = {0};

		vmp_cpuset_set(&want, 2 * i);
		vmp_cpuset_set(&want, 2 * i + 1);
		assert_int_equal(h->cores[i].id, i);
		assert_true(vmp_cpuset_equal(&h->cores[i].pus, &want));
		assert_int_equal(h->cores[i].package, i / 8);
		assert_int_equal(h->cores[i].node, i / 8);
		assert_int_equal(h->cores[i].l3, i / 4);
	}
	for (int i = 0; i < 32; i++) {
		assert_int_equal(h->pus[i].os_index, i);
		assert_int_equal(h->pus[i].core, i / 2);
		assert_int_equal(h->pus[i].l3, i / 8);
		assert_int_equal(h->pus[i].node, i / 16);
		assert_int_equal(h->pus[i].package, i / 16);
		assert_int_equal(h->pus[i].kind, 0);
	}
	vmp_host_free(h);
}

static void test_synthetic_cache_size(void **state)
{
	/* hwloc reads the attribute after the count; "l3(size=...):1" would be ignored. */
	vmp_host *h = synthetic("pack:1 [numa(memory=1GiB)] l3:1(size=32MiB) core:2 pu:1");

	(void)state;
	assert_consistent(h);
	assert_int_equal(h->nl3, 1);
	assert_true(h->l3s[0].size_bytes == 32 * (UINT64_C(1) << 20));
	assert_true(h->nodes[0].memory_bytes == GIB);
	vmp_host_free(h);
}

static void test_synthetic_no_l3_no_package(void **state)
{
	vmp_host *h = synthetic("node:2 core:2 pu:1");

	(void)state;
	assert_consistent(h);
	assert_int_equal(h->nl3, 0);
	assert_null(h->l3s);
	assert_int_equal(h->nnodes, 2);
	assert_int_equal(h->ncores, 4);
	assert_int_equal(h->npus, 4);
	for (int i = 0; i < h->npus; i++)
		assert_int_equal(h->pus[i].l3, -1);
	for (int i = 0; i < h->ncores; i++)
		assert_int_equal(h->cores[i].l3, -1);
	assert_cpus(&h->nodes[0].cpus, "0-1");
	assert_cpus(&h->nodes[1].cpus, "2-3");
	/* No package object: one package holds every CPU. */
	assert_int_equal(h->npackages, 1);
	assert_int_equal(h->packages[0].id, 0);
	assert_cpus(&h->packages[0].cpus, "0-3");
	vmp_host_free(h);
}

static void test_synthetic_refused(void **state)
{
	vmp_host dummy, *h = &dummy; /* must come back NULL */

	(void)state;
	vmp_error_clear();
	assert_int_equal(vmp_probe_synthetic(&h, "xyz"), VMP_EINVAL);
	assert_null(h);
	assert_string_equal(vmp_error_last(),
			    "cannot use synthetic topology 'xyz': hwloc refuses it");

	vmp_error_clear();
	assert_int_equal(vmp_probe_synthetic(&h, "pack:2 core:0"), VMP_EINVAL);
	assert_null(h);
	assert_non_null(strstr(vmp_error_last(), "'pack:2 core:0'"));
}

static void test_synthetic_too_many_cpus(void **state)
{
	vmp_host *h = NULL;

	(void)state;
	vmp_error_clear();
	assert_int_equal(vmp_probe_synthetic(&h, "pack:2 core:2048 pu:2"), VMP_EINVAL);
	assert_null(h);
	/* Counted before hwloc builds it. */
	assert_non_null(strstr(vmp_error_last(), "more than the 4096 CPUs vmplan supports"));
}

static void test_xml_missing(void **state)
{
	vmp_host *h = NULL;

	(void)state;
	vmp_error_clear();
	assert_int_equal(vmp_probe_xml(&h, "/nonexistent/vmplan-topology.xml"), VMP_ENOTFOUND);
	assert_null(h);
	assert_string_equal(vmp_error_last(), "cannot read topology "
					      "'/nonexistent/vmplan-topology.xml': No such file "
					      "or directory");

	vmp_error_clear();
	assert_int_equal(vmp_probe_xml(&h, "/tmp"), VMP_ENOTFOUND);
	assert_null(h);
	assert_string_equal(vmp_error_last(), "cannot read topology '/tmp': Is a directory");
}

static void expect_not_hwloc(const char *text)
{
	char path[64], want[256];
	vmp_host *h = NULL;

	write_temp(path, text);
	vmp_error_clear();
	assert_int_equal(vmp_probe_xml(&h, path), VMP_EINVAL);
	assert_null(h);
	snprintf(want, sizeof(want), "cannot load topology '%s': ", path);
	assert_non_null(strstr(vmp_error_last(), want));
	unlink(path);
}

static void test_xml_not_hwloc(void **state)
{
	(void)state;
	expect_not_hwloc("this is not XML at all\n\x01\x02\n");
	expect_not_hwloc("");
	expect_not_hwloc("<?xml version=\"1.0\"?>\n<domain type=\"kvm\"><name>x</name></domain>\n");
	/* Cut in the middle of an object. */
	expect_not_hwloc(XML_HEAD "<object type=\"PU\" os_index=\"");
	/* hwloc's own reader crashed on these: libxml2 sees them first. */
	expect_not_hwloc(
	    "<?xml version=\"1.0\"?>\n<!DOCTYPE topology>\n<topology version=\"2.0\"/>\n");
	expect_not_hwloc("<?xml version=\"1.0\"?>\n<!DOCTYPE topology [<!ENTITY a \"b\">]>\n"
			 "<topology version=\"2.0\"/>\n");
}

static void test_xml_handwritten(void **state)
{
	static const uint32_t want_distances[9] = {10, 12, 32, 21, 10, 31, 42, 41, 10};
	vmp_host *h = xml_text(XML_HEAD XML_DISTANCES_PERMUTED XML_TAIL);
	const vmp_node *n1;

	(void)state;
	assert_consistent(h);
	assert_int_equal(h->source, VMP_SOURCE_XML);
	assert_string_equal(h->hostname, "tiny");
	assert_int_equal(h->npus, 3);
	assert_cpus(&h->online, "0-2");

	/* Nodes sorted by id, whatever the XML's order; the memory-only node has no CPUs. */
	assert_int_equal(h->nnodes, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(h->nodes[i].id, i);
	assert_cpus(&h->nodes[0].cpus, "2");
	assert_cpus(&h->nodes[1].cpus, "0-1");
	assert_true(vmp_cpuset_empty(&h->nodes[2].cpus));
	assert_true(h->nodes[0].memory_bytes == 2 * GIB);
	assert_true(h->nodes[1].memory_bytes == 4 * GIB);
	assert_true(h->nodes[2].memory_bytes == GIB);

	/* Only the pools bigger than the 4 KiB normal page. */
	assert_int_equal(h->nodes[0].nhugepages, 0);
	n1 = &h->nodes[1];
	assert_int_equal(n1->nhugepages, 2);
	assert_true(n1->hugepages[0].size_kib == 2048);
	assert_true(n1->hugepages[0].total == 512);
	assert_true(n1->hugepages[0].free == 512);
	assert_true(n1->hugepages[1].size_kib == 1048576);
	assert_true(n1->hugepages[1].total == 2);
	assert_true(n1->hugepages[1].free == 2);

	/* No package object and no L3. */
	assert_int_equal(h->npackages, 1);
	assert_cpus(&h->packages[0].cpus, "0-2");
	assert_int_equal(h->nl3, 0);

	/* CPU 2 sits outside any core and gets one of its own. */
	assert_int_equal(h->ncores, 2);
	assert_cpus(&h->cores[0].pus, "0-1");
	assert_cpus(&h->cores[1].pus, "2");
	assert_int_equal(h->cores[0].node, 1);
	assert_int_equal(h->cores[1].node, 0);
	assert_true(h->cores[0].id != h->cores[1].id);
	assert_int_equal(h->pus[0].node, 1);
	assert_int_equal(h->pus[1].node, 1);
	assert_int_equal(h->pus[2].node, 0);
	assert_int_equal(h->pus[2].core, 1);

	assert_int_equal(h->pus[0].kind, 0);
	assert_int_equal(h->pus[1].kind, 0);
	assert_int_equal(h->pus[2].kind, 1);

	/* The matrix listed nodes as 1 0 2; the model indexes them 0 1 2. */
	assert_non_null(h->distances);
	assert_memory_equal(h->distances, want_distances, sizeof(want_distances));
	assert_int_equal(vmp_host_distance(h, 0, 1), 12);
	assert_int_equal(vmp_host_distance(h, 1, 0), 21);
	vmp_host_free(h);
}

static void test_xml_distances_unusable(void **state)
{
	vmp_host *h;

	(void)state;
	h = xml_text(XML_HEAD XML_DISTANCES_USER XML_TAIL);
	assert_consistent(h);
	assert_null(h->distances);
	vmp_host_free(h);

	h = xml_text(XML_HEAD XML_DISTANCES_PARTIAL XML_TAIL);
	assert_consistent(h);
	assert_null(h->distances);
	vmp_host_free(h);

	h = xml_text(XML_HEAD XML_TAIL);
	assert_null(h->distances);
	vmp_host_free(h);
}

static void test_fixture_4s2c2t(void **state)
{
	vmp_host *h = fixture("16em64t-4s2c2t.xml");

	(void)state;
	assert_consistent(h);
	assert_string_equal(h->hostname, "16em64t-4s2c2t.xml");
	assert_int_equal(h->npackages, 4);
	assert_int_equal(h->ncores, 8);
	assert_int_equal(h->npus, 16);
	assert_int_equal(h->nnodes, 1);
	assert_int_equal(h->nl3, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(h->packages[i].id, i);
	for (int i = 0; i < h->ncores; i++)
		assert_int_equal(vmp_cpuset_count(&h->cores[i].pus), 2);
	/* Siblings are far apart in this machine's numbering: core 0 is CPUs 0 and 8. */
	assert_cpus(&h->cores[0].pus, "0,8");
	assert_cpus(&h->packages[0].cpus, "0,4,8,12");
	vmp_host_free(h);
}

static void test_fixture_24_nodes(void **state)
{
	vmp_host *h = fixture("192em64t-24n8c2t.xml");

	(void)state;
	assert_consistent(h);
	assert_string_equal(h->hostname, "uv2000");
	/* 192 cores, 2 threads each: 384 CPUs. */
	assert_int_equal(h->nnodes, 24);
	assert_int_equal(h->npackages, 24);
	assert_int_equal(h->nl3, 24);
	assert_int_equal(h->ncores, 192);
	assert_int_equal(h->npus, 384);
	assert_cpus(&h->nodes[0].cpus, "0-7,192-199");
	assert_true(h->nodes[0].memory_bytes == UINT64_C(33255329792));
	assert_non_null(h->distances);
	for (int i = 0; i < 24; i++) {
		assert_int_equal(h->distances[i * 24 + i], 10);
		for (int j = 0; j < 24; j++)
			if (j != i)
				assert_true(h->distances[i * 24 + j] > 10);
	}
	assert_int_equal(vmp_host_distance(h, 0, 1), 50);
	assert_int_equal(vmp_host_distance(h, 0, 2), 65);
	vmp_host_free(h);
}

static void test_fixture_groups_no_package(void **state)
{
	vmp_host *h = fixture("16-2gr2gr2n2c+misc.xml");

	(void)state;
	assert_consistent(h);
	assert_string_equal(h->hostname, "16-2gr2gr2n2c+misc.xml");
	assert_int_equal(h->nnodes, 8);
	assert_int_equal(h->ncores, 16);
	assert_int_equal(h->npus, 16);
	assert_int_equal(h->nl3, 0);
	assert_int_equal(h->npackages, 1);
	assert_cpus(&h->packages[0].cpus, "0-15");
	for (int i = 0; i < 8; i++) {
		vmp_cpuset want = {0};

		vmp_cpuset_set_range(&want, 2 * i, 2 * i + 1);
		assert_int_equal(h->nodes[i].id, i);
		assert_true(vmp_cpuset_equal(&h->nodes[i].cpus, &want));
		assert_true(h->nodes[i].memory_bytes == GIB);
	}
	for (int i = 0; i < h->npus; i++)
		assert_int_equal(h->pus[i].l3, -1);
	assert_null(h->distances);
	vmp_host_free(h);
}

static void test_fixture_cpukinds(void **state)
{
	vmp_host *h = fixture("fakecpukinds.xml");

	(void)state;
	assert_consistent(h);
	assert_int_equal(h->npus, 4);
	/* Kinds by efficiency: CPUs 0-1 small, 2 big, 3 biggest. */
	assert_int_equal(h->pus[0].kind, 0);
	assert_int_equal(h->pus[1].kind, 0);
	assert_int_equal(h->pus[2].kind, 1);
	assert_int_equal(h->pus[3].kind, 2);
	vmp_host_free(h);
}

static void test_fixture_offline(void **state)
{
	vmp_host *h = fixture("16em64t-4s2c2t-offlines.xml");

	(void)state;
	assert_consistent(h);
	assert_int_equal(h->npus, 7);
	assert_cpus(&h->online, "0-1,3-4,6,12,15");
	assert_int_equal(vmp_host_pu_index(h, 2), -1);
	assert_int_equal(h->ncores, 6);
	assert_int_equal(h->npackages, 4);
	/* Cores sort by first CPU: 0, 1, 3, then the one with 4 and 12. */
	assert_cpus(&h->cores[3].pus, "4,12");
	assert_int_equal(h->pus[vmp_host_pu_index(h, 12)].core, 3);
	vmp_host_free(h);
}

static void test_fixture_disallowed_nodes(void **state)
{
	/* Nodes 0, 6 and 7 are disallowed; CPUs 0-1 and 12-15 have no usable local memory. */
	vmp_host *h = fixture("16amd64-8n2c-cpusets.xml");

	(void)state;
	assert_consistent(h);
	assert_int_equal(h->nnodes, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(h->nodes[i].id, i + 1);
	assert_cpus(&h->online, "2-3,5-6");
	assert_cpus(&h->nodes[0].cpus, "2-3");
	assert_true(vmp_cpuset_empty(&h->nodes[3].cpus));
	assert_true(vmp_cpuset_empty(&h->nodes[4].cpus));
	assert_int_equal(h->npackages, 3);
	assert_non_null(h->distances);
	vmp_host_free(h);
}

static void test_fixture_knl(void **state)
{
	/* SNC4 with MCDRAM as nodes 4-7 that share their DDR node's CPUs. */
	vmp_host *h = fixture("64intel64-fakeKNL-SNC4-hybrid.xml");

	(void)state;
	assert_consistent(h);
	assert_int_equal(h->npus, 64);
	assert_int_equal(h->nnodes, 8);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(vmp_cpuset_count(&h->nodes[i].cpus), 16);
		assert_true(vmp_cpuset_empty(&h->nodes[i + 4].cpus));
	}
	/* Its L3 objects are the MCDRAM memory-side cache, not a CPU cache. */
	assert_int_equal(h->nl3, 0);
	/* HMAT: DDR and MCDRAM seen from each DDR node's CPUs; no row for the MCDRAM nodes,
	 * which have no CPUs to run threads on (hwloc gives them their neighbours' cpuset). */
	assert_non_null(h->read_gbs);
	assert_true(h->read_gbs[0 * 8 + 0] > 0);
	for (int i = 4; i < 8; i++)
		for (int j = 0; j < 8; j++)
			assert_true(isnan(h->read_gbs[i * 8 + j]));
	vmp_host_free(h);
}

static void test_live(void **state)
{
	char hostname[VMP_NAME_MAX] = "";
	vmp_host *h = NULL;
	int err;

	(void)state;
	err = vmp_probe_live(&h);
	if (err != VMP_OK)
		fail_msg("vmp_probe_live (%d): %s", err, vmp_error_last());
	assert_consistent(h);
	assert_int_equal(h->source, VMP_SOURCE_LIVE);
	assert_int_equal(h->npus, (int)sysconf(_SC_NPROCESSORS_ONLN));
	assert_true(h->nnodes >= 1);
	assert_true(h->nodes[0].memory_bytes > 0);
	assert_int_equal(gethostname(hostname, sizeof(hostname) - 1), 0);
	assert_string_equal(h->hostname, hostname);
	vmp_host_free(h);
}

static void test_fingerprint(void **state)
{
	vmp_host *a = synthetic("pack:2 [numa(memory=64GB)] l3:2 core:4 pu:2");
	vmp_host *b = synthetic("pack:2 [numa(memory=64GB)] l3:2 core:4 pu:2");
	vmp_host *c = synthetic("pack:2 [numa(memory=64GB)] l3:2 core:8 pu:1");
	vmp_host *d = synthetic("pack:2 [numa(memory=32GB)] l3:2 core:4 pu:2");
	char fa[17], fb[17], fc[17], fd[17];

	(void)state;
	vmp_host_fingerprint(fa, a);
	vmp_host_fingerprint(fb, b);
	vmp_host_fingerprint(fc, c);
	vmp_host_fingerprint(fd, d);
	assert_string_equal(fa, fb);
	assert_string_not_equal(fa, fc);
	assert_string_not_equal(fa, fd);
	vmp_host_free(a);
	vmp_host_free(b);
	vmp_host_free(c);
	vmp_host_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_synthetic_packages_l3_smt),
	    cmocka_unit_test(test_synthetic_cache_size),
	    cmocka_unit_test(test_synthetic_no_l3_no_package),
	    cmocka_unit_test(test_synthetic_refused),
	    cmocka_unit_test(test_synthetic_too_many_cpus),
	    cmocka_unit_test(test_xml_missing),
	    cmocka_unit_test(test_xml_not_hwloc),
	    cmocka_unit_test(test_xml_handwritten),
	    cmocka_unit_test(test_xml_distances_unusable),
	    cmocka_unit_test(test_fixture_4s2c2t),
	    cmocka_unit_test(test_fixture_24_nodes),
	    cmocka_unit_test(test_fixture_groups_no_package),
	    cmocka_unit_test(test_fixture_cpukinds),
	    cmocka_unit_test(test_fixture_offline),
	    cmocka_unit_test(test_fixture_disallowed_nodes),
	    cmocka_unit_test(test_fixture_knl),
	    cmocka_unit_test(test_live),
	    cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
