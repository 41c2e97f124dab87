/* The bench's workloads per VM come from the bench_workloads key of its request or profile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmplan/bench.h"
#include "vmplan/error.h"
#include "vmplan/profile.h"
#include "vmplan/spec.h"

static char dir[] = "/tmp/vmplan-bwl-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static int setup(void **st)
{
	(void)st;
	if (!mkdtemp(dir))
		return -1;
	/* No shipped profile benches noisy first, so these values come from the file. */
	write_file("quiet.yaml", "cpu: dedicated\nbench_workloads: [noisy, stream]\n");
	write_file("plain.yaml", "cpu: dedicated\n");
	write_file("bad.yaml", "bench_workloads: [stream, disk]\n");
	write_file("mix.yaml", "vms:\n  - name: a\n    vcpus: 2\n    memory: 1G\n"
			       "    bench_workloads: [latency]\n"
			       "  - name: b\n    vcpus: 2\n    memory: 1G\n    profile: quiet\n");
	return setenv("VMPLAN_PROFILE_DIR", dir, 1);
}

static int teardown(void **st)
{
	const char *names[] = {"quiet.yaml", "plain.yaml", "bad.yaml", "mix.yaml"};
	char path[256];

	(void)st;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}

static void test_profile_key(void **st)
{
	vmp_bench_workload wl[VMP_BENCH_NWORKLOADS];
	vmp_vm_request req = {0};

	(void)st;
	assert_int_equal(vmp_profile_apply(&req, "quiet"), VMP_OK);
	assert_int_equal(req.bench_workloads, 1u << VMP_BENCH_STREAM | 1u << VMP_BENCH_NOISY);
	/* By the profile's name alone (a plan written before the key): the file decides. */
	assert_int_equal(vmp_bench_profile_workloads(wl, "quiet"), 2);
	assert_int_equal(wl[0], VMP_BENCH_STREAM);
	assert_int_equal(wl[1], VMP_BENCH_NOISY);
	/* A profile without the key, none, or an unknown one: stream and latency. */
	assert_int_equal(vmp_bench_profile_workloads(wl, "plain"), 2);
	assert_int_equal(wl[0], VMP_BENCH_STREAM);
	assert_int_equal(wl[1], VMP_BENCH_LATENCY);
	assert_int_equal(vmp_bench_profile_workloads(wl, ""), 2);
	assert_int_equal(wl[0], VMP_BENCH_STREAM);
	assert_int_equal(vmp_bench_profile_workloads(wl, "no-such-profile"), 2);
	assert_int_equal(wl[1], VMP_BENCH_LATENCY);
	/* A bad value names the key. */
	assert_int_equal(vmp_profile_apply(&req, "bad"), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "bench_workloads must name one or more of"));
}

static void test_request_key(void **st)
{
	vmp_bench_workload wl[VMP_BENCH_NWORKLOADS];
	vmp_vm_request req;

	(void)st;
	/* The request's own value wins over its profile's. */
	assert_int_equal(vmp_spec_parse(&req, "name=a,vcpus=2,memory=1G,profile=quiet,"
					      "bench_workloads=c2c+latency"),
			 VMP_OK);
	assert_int_equal(vmp_bench_request_workloads(wl, &req), 2);
	assert_int_equal(wl[0], VMP_BENCH_LATENCY);
	assert_int_equal(wl[1], VMP_BENCH_C2C);
	/* From the profile, through the request. */
	assert_int_equal(vmp_spec_parse(&req, "name=a,vcpus=2,memory=1G,profile=quiet"), VMP_OK);
	assert_int_equal(vmp_bench_request_workloads(wl, &req), 2);
	assert_int_equal(wl[1], VMP_BENCH_NOISY);
	/* Repeated or empty names are refused. */
	assert_int_equal(vmp_spec_parse(&req, "name=a,vcpus=2,memory=1G,bench_workloads=c2c+c2c"),
			 VMP_EINVAL);
	assert_int_equal(vmp_spec_parse(&req, "name=a,vcpus=2,memory=1G,bench_workloads=c2c+"),
			 VMP_EINVAL);
}

static void test_mix_key(void **st)
{
	vmp_bench_workload wl[VMP_BENCH_NWORKLOADS];
	vmp_vm_request *reqs = NULL;
	char path[256];
	size_t n;

	(void)st;
	snprintf(path, sizeof(path), "%s/mix.yaml", dir);
	if (vmp_mix_load(&reqs, &n, path) != VMP_OK)
		fail_msg("mix refused: %s", vmp_error_last());
	assert_int_equal(n, 2);
	assert_int_equal(vmp_bench_request_workloads(wl, &reqs[0]), 1);
	assert_int_equal(wl[0], VMP_BENCH_LATENCY);
	assert_int_equal(vmp_bench_request_workloads(wl, &reqs[1]), 2);
	assert_int_equal(wl[0], VMP_BENCH_STREAM);
	free(reqs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_profile_key),
	    cmocka_unit_test(test_request_key),
	    cmocka_unit_test(test_mix_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
