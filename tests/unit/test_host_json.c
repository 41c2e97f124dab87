/* Unit tests of host.json: lossless round trips and the loader's checks and messages. */
#include <math.h>
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
#include <jansson.h>

#include "vmplan/error.h"
#include "vmplan/host_json.h"
#include "vmplan/probe.h"

static char tmpdir[] = "/tmp/vmp-host-json-XXXXXX";
static char path[512];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/host.json", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

static void write_text(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static double *matrix(int n, double base)
{
	double *m = calloc((size_t)n * n, sizeof(*m));

	assert_non_null(m);
	for (int i = 0; i < n * n; i++)
		m[i] = base + i * 0.125 + 1.0 / 3.0;
	return m;
}

/* Fill everything the topology probes leave empty, with values a loader could mix up. */
static void fill_extras(vmp_host *h)
{
	vmp_resctrl *r = &h->resctrl;

	h->nodes[0].nhugepages = 2;
	h->nodes[0].hugepages[0] = (vmp_hugepages){2048, 512, 100};
	h->nodes[0].hugepages[1] = (vmp_hugepages){1048576, 4, 3};
	h->nodes[h->nnodes - 1].free_bytes = h->nodes[h->nnodes - 1].memory_bytes / 3;
	vmp_cpuset_parse(&h->reserved, "0-1");
	vmp_cpuset_parse(&h->isolated, "2-3");
	vmp_cpuset_parse(&h->nohz_full, "3");
	vmp_cpuset_parse(&h->used, "4");
	r->present = true;
	r->groups_used = 3;
	r->l3 = (vmp_rdt_cache){.present = true,
				.cdp = true,
				.cbm_mask = 0x7ff,
				.min_cbm_bits = 2,
				.num_closids = 8,
				.shareable_bits = 0x600,
				.ndomains = 2};
	r->l3.domains[0] = (vmp_rdt_domain){0, 0x3, 0x7fc};
	r->l3.domains[1] = (vmp_rdt_domain){5, 0x7f0, 0x00f};
	r->mb = (vmp_rdt_mb){.present = true,
			     .min_bandwidth = 0,
			     .bandwidth_gran = 1,
			     .unit = VMP_MB_AMD_GBS8,
			     .num_closids = 12,
			     .ndomains = 2,
			     .domain_ids = {0, 5}};
	free(h->devices); /* hosts from hwloc XML may come with devices already */
	h->devices = calloc(1, sizeof(*h->devices));
	assert_non_null(h->devices);
	h->ndevices = 1;
	snprintf(h->devices[0].name, sizeof(h->devices[0].name), "eth0");
	snprintf(h->devices[0].pci, sizeof(h->devices[0].pci), "0000:3b:00.0");
	snprintf(h->devices[0].kind, sizeof(h->devices[0].kind), "net");
	h->devices[0].node = h->nnodes - 1;
	h->existing = calloc(1, sizeof(*h->existing));
	assert_non_null(h->existing);
	h->nexisting = 1;
	snprintf(h->existing[0].name, sizeof(h->existing[0].name), "old");
	vmp_cpuset_parse(&h->existing[0].cpus, "4");
	vmp_cpuset_set(&h->existing[0].nodes, h->nodes[0].id);
	h->existing[0].memory_bytes = UINT64_C(1) << 32;
	h->read_gbs = matrix(h->nnodes, 10);
	h->triad_gbs = matrix(h->nnodes, 20);
	h->latency_ns = matrix(h->nnodes, 80);
	h->latency_ns[h->nnodes * h->nnodes - 1] = NAN; /* a pair not measured */
	h->c2c_ns = matrix(h->npus, 30);
	h->c2c_ns[h->npus * h->npus - 1] = NAN;
}

/* to_json(h) == to_json(load(to_json(h))); returns the loaded host. */
static vmp_host *round_trip(const vmp_host *h)
{
	char *a = NULL, *b = NULL;
	vmp_host *back = NULL;
	int err;

	assert_int_equal(vmp_host_to_json(&a, h), VMP_OK);
	write_text(a);
	err = vmp_host_load_json(&back, path);
	if (err != VMP_OK)
		fail_msg("load (%d): %s", err, vmp_error_last());
	assert_int_equal(vmp_host_to_json(&b, back), VMP_OK);
	assert_string_equal(a, b);
	free(a);
	free(b);
	return back;
}

static void test_round_trip_synthetic(void **state)
{
	vmp_host *h = NULL, *back;
	char fa[17], fb[17];

	(void)state;
	assert_int_equal(vmp_probe_synthetic(&h, "pack:2 [numa(memory=8GB)] l3:2 core:2 pu:2"),
			 VMP_OK);
	fill_extras(h);
	back = round_trip(h);

	/* The text matching is not the whole story: the model must come back too. */
	assert_int_equal(back->source, VMP_SOURCE_SYNTHETIC);
	assert_string_equal(back->hostname, h->hostname);
	assert_int_equal(back->npus, h->npus);
	for (int i = 0; i < h->npus; i++) {
		assert_int_equal(back->pus[i].os_index, h->pus[i].os_index);
		assert_int_equal(back->pus[i].core, h->pus[i].core);
		assert_int_equal(back->pus[i].node, h->pus[i].node);
		assert_int_equal(back->pus[i].l3, h->pus[i].l3);
		assert_int_equal(back->pus[i].package, h->pus[i].package);
	}
	assert_int_equal(back->nodes[0].nhugepages, 2);
	assert_int_equal(back->nodes[0].hugepages[1].size_kib, 1048576);
	assert_int_equal(back->nodes[0].hugepages[0].free, 100);
	assert_int_equal(back->nodes[1].free_bytes, h->nodes[1].free_bytes);
	assert_true(back->resctrl.present);
	assert_true(back->resctrl.l3.cdp);
	assert_false(back->resctrl.l2.present);
	assert_int_equal(back->resctrl.l3.domains[1].id, 5);
	assert_int_equal(back->resctrl.l3.domains[1].used_mask, 0x7f0);
	assert_int_equal(back->resctrl.l3.domains[0].default_mask, 0x7fc);
	assert_int_equal(back->resctrl.l3.domains[1].default_mask, 0x00f);
	assert_int_equal(back->resctrl.l3.shareable_bits, 0x600);
	assert_int_equal(back->resctrl.mb.unit, VMP_MB_AMD_GBS8);
	assert_int_equal(back->resctrl.mb.num_closids, 12);
	assert_int_equal(back->resctrl.groups_used, 3);
	assert_int_equal(back->devices[0].node, h->nnodes - 1);
	assert_string_equal(back->devices[0].pci, "0000:3b:00.0");
	assert_true(vmp_cpuset_equal(&back->isolated, &h->isolated));
	assert_true(vmp_cpuset_equal(&back->used, &h->used));
	assert_int_equal(back->existing[0].memory_bytes, UINT64_C(1) << 32);
	/* Doubles survive exactly; NaN comes back as NaN. */
	assert_true(back->read_gbs[3] == h->read_gbs[3]);
	assert_true(back->triad_gbs[0] == h->triad_gbs[0]);
	assert_true(isnan(back->latency_ns[3]));
	assert_true(isnan(back->c2c_ns[h->npus * h->npus - 1]));
	assert_true(back->c2c_ns[3] == h->c2c_ns[3]);
	vmp_host_fingerprint(fa, h);
	vmp_host_fingerprint(fb, back);
	assert_string_equal(fa, fb);
	vmp_host_free(back);
	vmp_host_free(h);
}

/* Real machines: an XML with distances and I/O-less cores, and a sysfs snapshot. */
static void test_round_trip_fixtures(void **state)
{
	static const char *const xmls[] = {"16amd64-4distances.xml", "192em64t-24n8c2t.xml",
					   "fakecpukinds.xml"};
	char file[1024];
	int done = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(xmls) / sizeof(xmls[0]); i++) {
		vmp_host *h = NULL, *back;

		snprintf(file, sizeof(file), "%s/hwloc-xml/%s", VMPLAN_FIXTURES, xmls[i]);
		if (access(file, R_OK) < 0)
			continue;
		assert_int_equal(vmp_probe_xml(&h, file), VMP_OK);
		fill_extras(h);
		back = round_trip(h);
		assert_int_equal(back->nnodes, h->nnodes);
		if (h->distances)
			assert_memory_equal(back->distances, h->distances,
					    sizeof(uint32_t) * h->nnodes * h->nnodes);
		else
			assert_null(back->distances);
		vmp_host_free(back);
		vmp_host_free(h);
		done++;
	}
	if (!done) {
		print_message("skipped: no fixture under %s/hwloc-xml\n", VMPLAN_FIXTURES);
		skip();
	}
}

static void test_minimal_file(void **state)
{
	vmp_host *h = NULL;

	(void)state;
	/* Only what is required: the optional fields take their defaults. */
	write_text("{\"schema\": 1, \"packages\": [{\"id\": 0, \"cpus\": \"0-1\"}],"
		   " \"numa_nodes\": [{\"id\": 3, \"cpus\": \"0-1\", \"memory_bytes\": 1024}],"
		   " \"cores\": [{\"id\": 9, \"pus\": \"0-1\", \"package\": 0, \"node\": 3,"
		   " \"l3\": null}],"
		   " \"pus\": [{\"os_index\": 0, \"core\": 9, \"l3\": null, \"node\": 3,"
		   " \"package\": 0}, {\"os_index\": 1, \"core\": 9, \"l3\": null, \"node\": 3,"
		   " \"package\": 0}]}");
	assert_int_equal(vmp_host_load_json(&h, path), VMP_OK);
	assert_int_equal(h->source, VMP_SOURCE_JSON);
	assert_int_equal(h->nodes[0].free_bytes, 1024);
	assert_int_equal(h->pus[1].node, 0); /* node id 3 became index 0 */
	assert_int_equal(h->pus[1].core, 0);
	assert_int_equal(h->pus[0].l3, -1);
	assert_int_equal(vmp_cpuset_count(&h->online), 2);
	assert_null(h->distances);
	assert_false(h->resctrl.present);
	vmp_host_free(h);
}

/* Write the synthetic host's JSON with one change made by edit, load it, expect msg. */
static void expect_refused(void (*edit)(json_t *root), const char *msg)
{
	char want[1024], *text = NULL;
	vmp_host *h = NULL, *back = (vmp_host *)1;
	json_error_t jerr;
	json_t *root;

	assert_int_equal(vmp_probe_synthetic(&h, "node:2 core:2 pu:1"), VMP_OK);
	assert_int_equal(vmp_host_to_json(&text, h), VMP_OK);
	root = json_loads(text, 0, &jerr);
	assert_non_null(root);
	edit(root);
	assert_int_equal(json_dump_file(root, path, 0), 0);
	if (vmp_host_load_json(&back, path) != VMP_EINVAL)
		fail_msg("loaded, though it should fail with: %s", msg);
	assert_null(back);
	snprintf(want, sizeof(want), "cannot load host '%s': %s", path, msg);
	assert_string_equal(vmp_error_last(), want);
	json_decref(root);
	free(text);
	vmp_host_free(h);
}

static json_t *at(json_t *root, const char *key, size_t i)
{
	return json_array_get(json_object_get(root, key), i);
}

/* A host.json written before default_mask loads with the default group holding every way
 * (a fresh mount); a mask outside cbm_mask is refused. */
static void test_default_mask_old_file(void **state)
{
	char *text = NULL;
	vmp_host *h = NULL, *back = NULL;
	json_t *root, *doms;

	(void)state;
	assert_int_equal(vmp_probe_synthetic(&h, "pack:2 [numa(memory=8GB)] l3:2 core:2 pu:2"),
			 VMP_OK);
	fill_extras(h);
	assert_int_equal(vmp_host_to_json(&text, h), VMP_OK);
	root = json_loads(text, 0, NULL);
	assert_non_null(root);
	doms = json_object_get(json_object_get(json_object_get(root, "resctrl"), "l3"), "domains");
	assert_int_equal(json_object_del(json_array_get(doms, 0), "default_mask"), 0);
	assert_int_equal(json_dump_file(root, path, 0), 0);
	assert_int_equal(vmp_host_load_json(&back, path), VMP_OK);
	assert_int_equal(back->resctrl.l3.domains[0].default_mask, 0x7ff);
	assert_int_equal(back->resctrl.l3.domains[1].default_mask, 0x00f);
	vmp_host_free(back);
	back = NULL;
	json_object_set_new(json_array_get(doms, 0), "default_mask", json_string("fff"));
	assert_int_equal(json_dump_file(root, path, 0), 0);
	assert_int_equal(vmp_host_load_json(&back, path), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "default_mask has ways outside cbm_mask"));
	json_decref(root);
	free(text);
	vmp_host_free(h);
}

static void edit_memory(json_t *r)
{
	json_object_set_new(at(r, "numa_nodes", 1), "memory_bytes", json_string("lots"));
}
static void edit_negative(json_t *r)
{
	json_object_set_new(at(r, "numa_nodes", 1), "memory_bytes", json_integer(-1));
}
static void edit_schema(json_t *r)
{
	json_object_set_new(r, "schema", json_integer(VMP_HOST_SCHEMA + 1));
}
static void edit_no_pus(json_t *r)
{
	json_object_del(r, "pus");
}
static void edit_node_ref(json_t *r)
{
	json_object_set_new(at(r, "pus", 1), "node", json_integer(7));
}
static void edit_node_cpus(json_t *r)
{
	json_object_set_new(at(r, "numa_nodes", 1), "cpus", json_string("2-3,9"));
}
static void edit_online(json_t *r)
{
	json_object_set_new(r, "online", json_string("0-9"));
}
static void edit_cpuset(json_t *r)
{
	json_object_set_new(r, "isolated", json_string("1-x"));
}
static void edit_hex(json_t *r)
{
	json_object_set_new(r, "resctrl",
			    json_pack("{s:{s:s,s:i,s:i}}", "l3", "cbm_mask", "xyz", "num_closids",
				      16, "min_cbm_bits", 1));
}
static void edit_matrix(json_t *r)
{
	json_object_set_new(r, "latency_ns", json_loads("[[1.0, 2.0], [3.0]]", 0, NULL));
}
static void edit_c2c(json_t *r)
{
	json_object_set_new(
	    r, "c2c_ns",
	    json_loads("[[1, \"x\", 1, 1], [null, 2, 2, 2], [3, 3, 3, 3], [4, 4, 4, 4]]", 0, NULL));
}
static void edit_source(json_t *r)
{
	json_object_set_new(r, "source", json_string("guess"));
}
static void edit_order(json_t *r)
{
	/* Two PUs in the wrong order: the model's arrays are sorted. */
	json_t *pus = json_object_get(r, "pus"), *first = json_incref(json_array_get(pus, 0));

	json_array_remove(pus, 0);
	json_array_append_new(pus, first);
}
static void edit_check(json_t *r)
{
	/* PUs on node 1 whose core is on node 0: vmp_host_check() finds it. */
	json_object_set_new(at(r, "cores", 2), "node", json_integer(0));
}

/* Node 1 of the synthetic host has 1 GiB. */
static void edit_free_big(json_t *r)
{
	json_object_set_new(at(r, "numa_nodes", 1), "free_bytes", json_integer(INT64_C(40) << 30));
}
static void edit_pages_twice(json_t *r)
{
	json_object_set_new(at(r, "numa_nodes", 1), "hugepages",
			    json_loads("[{\"size_kib\": 2048, \"total\": 8, \"free\": 8},"
				       " {\"size_kib\": 2048, \"total\": 8, \"free\": 8}]",
				       0, NULL));
}
static void edit_pools_big(json_t *r)
{
	/* 512 MiB of 2 MiB pages and 1 GiB of 1 GiB pages: more than the node's 1 GiB. */
	json_object_set_new(at(r, "numa_nodes", 1), "hugepages",
			    json_loads("[{\"size_kib\": 2048, \"total\": 256, \"free\": 0},"
				       " {\"size_kib\": 1048576, \"total\": 1, \"free\": 1}]",
				       0, NULL));
}
static void edit_pools_overflow(json_t *r)
{
	/* 2^30 pages of 2^30 KiB: 2^70 bytes, which wraps in 64 bits. */
	json_object_set_new(at(r, "numa_nodes", 1), "hugepages",
			    json_loads("[{\"size_kib\": 1073741824, \"total\": 1073741824,"
				       " \"free\": 0}]",
				       0, NULL));
}

static void test_refused(void **state)
{
	(void)state;
	expect_refused(edit_memory, "numa_nodes[1].memory_bytes must be a non-negative integer");
	expect_refused(edit_negative, "numa_nodes[1].memory_bytes must be a non-negative integer");
	expect_refused(edit_schema, "schema 2 is newer than this vmplan understands (1); "
				    "upgrade vmplan");
	expect_refused(edit_no_pus, "pus is missing");
	expect_refused(edit_node_ref, "pus[1].node 7 names no entry of numa_nodes");
	expect_refused(edit_cpuset, "isolated must be a cpuset string such as \"0-3,8\", not "
				    "'1-x'");
	expect_refused(edit_hex, "resctrl.l3.cbm_mask must be a hex mask string such as \"7ff\"");
	expect_refused(edit_matrix, "latency_ns[1] must be an array of 2 numbers");
	expect_refused(edit_c2c, "c2c_ns[0][1] must be a non-negative number or null");
	expect_refused(edit_source, "source must be one of live, xml, synthetic, fsroot, libvirt, "
				    "json");
	expect_refused(edit_order, "pus[3].os_index 0 must be greater than the os_index before "
				   "it (3)");
	expect_refused(edit_check, "host model has core 2 spanning NUMA nodes");
	expect_refused(edit_node_cpus, "host model has NUMA node 1 listing CPUs it does not have");
	expect_refused(edit_online, "host model has online CPUs that it does not have");
	expect_refused(edit_free_big, "host model has NUMA node 1 with 42949672960 bytes free, "
				      "more than its 1073741824 bytes of memory");
	expect_refused(edit_pages_twice,
		       "host model has NUMA node 1 with pages of 2048 KiB listed twice");
	expect_refused(edit_pools_big, "host model has NUMA node 1 with hugepage pools larger "
				       "than its 1073741824 bytes of memory");
	expect_refused(edit_pools_overflow, "host model has NUMA node 1 with hugepage pools "
					    "larger than its 1073741824 bytes of memory");
}

/* vmp_host_check() on node memory, whichever loader made the host. */
static void test_check_node_memory(void **state)
{
	vmp_host *h = NULL;
	vmp_node *n;

	(void)state;
	assert_int_equal(vmp_probe_synthetic(&h, "node:2 core:2 pu:1"), VMP_OK);
	n = &h->nodes[1];
	/* Pools that fill the node exactly are fine. */
	n->nhugepages = 1;
	n->hugepages[0] = (vmp_hugepages){.size_kib = 2048, .total = 512, .free = 512};
	n->free_bytes = 0;
	assert_int_equal(vmp_host_check(h), VMP_OK);
	n->hugepages[0].free = 513;
	assert_int_equal(vmp_host_check(h), VMP_EINVAL);
	assert_string_equal(vmp_error_last(), "host model has NUMA node 1 with 513 free pages "
					      "of 2048 KiB, more than the 512 in the pool");
	n->hugepages[0].free = 0;
	n->hugepages[0].size_kib = 0;
	assert_int_equal(vmp_host_check(h), VMP_EINVAL);
	assert_string_equal(vmp_error_last(),
			    "host model has NUMA node 1 with a hugepage pool of 0 KiB pages");
	/* Memory not known (hwloc XML without local_memory): nothing to hold the pools to. */
	n->hugepages[0].size_kib = 16777216;
	n->memory_bytes = 0;
	assert_int_equal(vmp_host_check(h), VMP_OK);
	n->free_bytes = 1;
	assert_int_equal(vmp_host_check(h), VMP_EINVAL);
	vmp_host_free(h);
}

static void test_bad_files(void **state)
{
	char want[1024];
	vmp_host *h = (vmp_host *)1;

	(void)state;
	unlink(path);
	assert_int_equal(vmp_host_load_json(&h, path), VMP_ENOTFOUND);
	assert_null(h);
	snprintf(want, sizeof(want), "cannot read host '%s': No such file or directory", path);
	assert_string_equal(vmp_error_last(), want);

	write_text("{\"schema\": 1,\n \"numa_nodes\": [");
	assert_int_equal(vmp_host_load_json(&h, path), VMP_EINVAL);
	snprintf(want, sizeof(want), "cannot load host '%s': not valid JSON at line 2", path);
	assert_non_null(strstr(vmp_error_last(), want));

	write_text("[1, 2]");
	assert_int_equal(vmp_host_load_json(&h, path), VMP_EINVAL);
	snprintf(want, sizeof(want), "cannot load host '%s': not a JSON object", path);
	assert_string_equal(vmp_error_last(), want);

	write_text("{\"schema\": 1, \"schema\": 1}");
	assert_int_equal(vmp_host_load_json(&h, path), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "duplicate"));

	/* A directory opens but does not read: it said "not valid JSON ... '[' or '{' expected". */
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(vmp_host_load_json(&h, path), VMP_ENOTFOUND);
	snprintf(want, sizeof(want), "cannot read host '%s': Is a directory", path);
	assert_string_equal(vmp_error_last(), want);
	rmdir(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_synthetic),
	    cmocka_unit_test(test_round_trip_fixtures),
	    cmocka_unit_test(test_minimal_file),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_default_mask_old_file),
	    cmocka_unit_test(test_check_node_memory),
	    cmocka_unit_test(test_bad_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
