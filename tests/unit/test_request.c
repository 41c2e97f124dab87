/* The request key table: every key through --vm, the request and plan.json and back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmplan/error.h"
#include "vmplan/plan_json.h"
#include "vmplan/request.h"
#include "vmplan/spec.h"

/* A value for every documented key that differs from what a zeroed request holds. */
static const struct {
	const char *key, *value;
} samples[] = {
    {"name", "web-1"},
    {"profile", "general"},
    {"vcpus", "4"},
    {"memory", "2G"},
    {"cpu", "shared"},
    {"threads", "isolate"},
    {"numa", "2"},
    {"memory_mode", "interleave"},
    {"emulator", "isolate"},
    {"iothreads", "3"},
    {"iothread_placement", "near-device"},
    {"device", "nvme0n1"},
    {"hugepages", "2M"},
    {"locked", "true"},
    {"nosharepages", "true"},
    {"hard_limit", "8G"},
    {"soft_limit", "4G"},
    {"swap_hard_limit", "9G"},
    {"cache", "4M"},
    {"membw", "50%"},
    {"sched", "fifo"},
    {"sched_priority", "10"},
    {"shares", "2048"},
    {"period", "100000"},
    {"quota", "50000"},
    {"priority", "7"},
    {"firmware", "efi-secure"},
    {"loader", "/usr/share/OVMF/OVMF_CODE.fd"},
    {"nvram", "/var/lib/libvirt/nvram/web-1.fd"},
    {"cpu_cache", "passthrough"},
    {"mem_access", "shared"},
    {"mem_source", "memfd"},
    {"mem_allocation", "immediate"},
    {"discard", "true"},
    {"emulator_sched", "rr"},
    {"iothread_sched", "batch"},
    {"global_period", "200000"},
    {"global_quota", "-1"},
    {"emulator_period", "300000"},
    {"emulator_quota", "20000"},
    {"iothread_period", "400000"},
    {"iothread_quota", "30000"},
    {"bench_workloads", "stream+noisy"},
    {"host", "ssd"},
    {"group", "db-replicas"},
    {"together", "web-tier"},
};

#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static const char *sample(const char *key)
{
	for (size_t i = 0; i < NSAMPLES; i++)
		if (!strcmp(samples[i].key, key))
			return samples[i].value;
	return NULL;
}

static size_t field_align(const vmp_request_field *f)
{
	return f->type == VMP_FIELD_TEXT ? 1 : f->size;
}

/*
 * Every byte of vmp_vm_request belongs to a field of the table, or is padding the compiler
 * put before an aligned field: a field added to the struct but not to the table leaves a
 * hole that no alignment explains.
 */
static void test_table_covers_request(void **st)
{
	size_t n, nf = 0, end = 0, maxalign = 1;
	const vmp_request_key *keys = vmp_request_keys_all(&n);
	const vmp_request_field *fields[128];

	(void)st;
	for (size_t k = 0; k < n; k++)
		for (size_t f = 0; f < VMP_KEY_FIELDS_MAX && keys[k].fields[f].type; f++) {
			assert_true(nf < 128);
			fields[nf++] = &keys[k].fields[f];
		}
	/* By offset. */
	for (size_t i = 1; i < nf; i++)
		for (size_t j = i; j > 0 && fields[j - 1]->offset > fields[j]->offset; j--) {
			const vmp_request_field *t = fields[j];
			fields[j] = fields[j - 1];
			fields[j - 1] = t;
		}
	for (size_t i = 0; i < nf; i++) {
		size_t a = field_align(fields[i]), want = (end + a - 1) / a * a;

		if (fields[i]->offset != want)
			fail_msg("vmp_vm_request has bytes %zu-%zu before '%s' that no key of the "
				 "table sets",
				 end, fields[i]->offset - 1, fields[i]->json);
		if (fields[i]->type == VMP_FIELD_ENUM)
			assert_int_equal(fields[i]->size, sizeof(int));
		end = fields[i]->offset + fields[i]->size;
		maxalign = a > maxalign ? a : maxalign;
	}
	if (sizeof(vmp_vm_request) != (end + maxalign - 1) / maxalign * maxalign)
		fail_msg("vmp_vm_request has bytes after '%s' that no key of the table sets",
			 fields[nf - 1]->json);
}

/* The plan.json ranks are a permutation: each key's fields have one place. */
static void test_json_ranks(void **st)
{
	size_t n;
	const vmp_request_key *keys = vmp_request_keys_all(&n);

	(void)st;
	for (size_t r = 0; r < n; r++) {
		int seen = 0;
		for (size_t k = 0; k < n; k++)
			seen += keys[k].json_rank == (int)r;
		if (seen != 1)
			fail_msg("%d keys have plan.json rank %zu", seen, r);
	}
}

/* One string "k=v,k=v,..." of every documented key. */
static void full_spec(char *buf, size_t size)
{
	size_t n, pos = 0;
	const vmp_request_key *keys = vmp_request_keys(&n);

	for (size_t k = 0; k < n; k++) {
		const char *v = sample(keys[k].name);
		if (!v)
			fail_msg("no sample value for key '%s': add one to this test",
				 keys[k].name);
		pos += (size_t)snprintf(buf + pos, size - pos, "%s%s=%s", k ? "," : "",
					keys[k].name, v);
		assert_true(pos < size);
	}
}

/* Each key, alone, changes a request: its setter writes where the table says. */
static void test_each_key_sets(void **st)
{
	size_t n;
	const vmp_request_key *keys = vmp_request_keys(&n);
	vmp_vm_request base, r;

	(void)st;
	assert_int_equal(vmp_spec_parse(&base, "name=x,vcpus=1,memory=1G"), VMP_OK);
	for (size_t k = 0; k < n; k++) {
		const char *v = sample(keys[k].name);

		assert_non_null(v);
		r = base;
		if (vmp_request_set(&r, keys[k].name, v) != VMP_OK)
			fail_msg("%s=%s refused: %s", keys[k].name, v, vmp_error_last());
		if (!memcmp(&r, &base, sizeof(r)))
			fail_msg("%s=%s changed nothing", keys[k].name, v);
	}
	/* Refused keys keep their message. */
	r = base;
	assert_int_equal(vmp_request_set(&r, "min_guarantee", "1G"), VMP_EINVAL);
	assert_string_equal(vmp_error_last(),
			    "min_guarantee is for VMware guests only: libvirt's QEMU/KVM driver "
			    "refuses it; use soft_limit");
	assert_int_equal(vmp_request_set(&r, "nope", "1"), VMP_ENOTFOUND);
	assert_string_equal(vmp_error_last(), "unknown key 'nope'");
}

/* --vm string -> request -> plan.json -> request: the same bytes, every field named. */
static void test_roundtrip_plan_json(void **st)
{
	char spec[4096], *json = NULL;
	vmp_plan plan = {.schema = VMP_PLAN_SCHEMA, .host = "0123456789abcdef", .nvms = 1};
	vmp_plan_vm vm;
	vmp_plan *back = NULL;
	size_t n;
	const vmp_request_key *keys = vmp_request_keys_all(&n);

	(void)st;
	memset(&vm, 0, sizeof(vm));
	full_spec(spec, sizeof(spec));
	if (vmp_spec_parse(&vm.req, spec) != VMP_OK)
		fail_msg("'%s' refused: %s", spec, vmp_error_last());
	snprintf(vm.reason, sizeof(vm.reason), "not placed: a test");
	vm.bind = VMP_BIND_OTHER;
	plan.vms = &vm;
	assert_int_equal(vmp_plan_to_json(&json, &plan), VMP_OK);
	for (size_t k = 0; k < n; k++)
		for (size_t f = 0; f < VMP_KEY_FIELDS_MAX && keys[k].fields[f].type; f++) {
			char quoted[96];
			snprintf(quoted, sizeof(quoted), "\"%s\":", keys[k].fields[f].json);
			if (!strstr(json, quoted))
				fail_msg("plan.json lacks %s (key '%s')", quoted, keys[k].name);
		}
	if (vmp_plan_from_json(&back, json, "plan.json") != VMP_OK)
		fail_msg("plan.json refused: %s", vmp_error_last());
	assert_int_equal(back->nvms, 1);
	assert_memory_equal(&back->vms[0].req, &vm.req, sizeof(vm.req));
	assert_int_equal(back->vms[0].req.bench_workloads, 1u << 0 | 1u << 4);
	vmp_plan_free(back);
	free(json);
}

/* A plan.json from before bench_workloads loads, the key unset. */
static void test_old_plan_without_set(void **st)
{
	char *json = NULL, *p;
	vmp_plan plan = {.schema = VMP_PLAN_SCHEMA, .nvms = 1};
	vmp_plan_vm vm;
	vmp_plan *back = NULL;

	(void)st;
	memset(&vm, 0, sizeof(vm));
	assert_int_equal(vmp_spec_parse(&vm.req, "name=a,vcpus=1,memory=1G"), VMP_OK);
	snprintf(vm.reason, sizeof(vm.reason), "no");
	vm.bind = VMP_BIND_CORES;
	plan.vms = &vm;
	assert_int_equal(vmp_plan_to_json(&json, &plan), VMP_OK);
	assert_null(strstr(json, "bench_workloads"));
	assert_int_equal(vmp_plan_from_json(&back, json, "old.json"), VMP_OK);
	assert_int_equal(back->vms[0].req.bench_workloads, 0);
	vmp_plan_free(back);
	/* And a bad one is named. */
	p = strstr(json, "\"iothread_quota_us\": 0");
	assert_non_null(p);
	{
		char *bad = NULL;
		size_t pre = (size_t)(p - json);
		assert_true(asprintf(&bad, "%.*s\"bench_workloads\": [\"disk\"], %s", (int)pre,
				     json, p) > 0);
		assert_int_equal(vmp_plan_from_json(&back, bad, "bad.json"), VMP_EINVAL);
		assert_non_null(strstr(vmp_error_last(), "vms[0].request.bench_workloads"));
		free(bad);
	}
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_covers_request), cmocka_unit_test(test_json_ranks),
	    cmocka_unit_test(test_each_key_sets),        cmocka_unit_test(test_roundtrip_plan_json),
	    cmocka_unit_test(test_old_plan_without_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
