/* Unit tests of the live measurements: refusal, placement, the chase's cycle, and a quick run. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <numa.h>

/* The engine is internal to the project: its header is not under include/. */
#include "../../probes/engine.h"
#include "vmplan/error.h"
#include "vmplan/measure.h"
#include "vmplan/probe.h"

struct progress_log {
	int calls;
	double last;
	bool monotonic;
	bool in_range;
};

static void record_progress(void *opaque, const char *what, double fraction)
{
	struct progress_log *log = opaque;

	assert_non_null(what);
	if (fraction < log->last)
		log->monotonic = false;
	if (fraction < 0 || fraction > 1)
		log->in_range = false;
	log->last = fraction;
	log->calls++;
}

static void test_refuses_synthetic(void **state)
{
	vmp_host *host;

	(void)state;
	assert_int_equal(vmp_probe_synthetic(&host, "pack:2 core:2 pu:2"), VMP_OK);
	assert_int_equal(vmp_probe_measure(host, VMP_MEASURE_QUICK, NULL, NULL), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "live host"));
	assert_non_null(strstr(vmp_error_last(), "synthetic"));
	assert_null(host->read_gbs);
	assert_null(host->c2c_ns);
	vmp_host_free(host);
}

static void test_refuses_bad_options(void **state)
{
	vmp_measure_options o = {.level = VMP_MEASURE_QUICK, .repetitions = 2};
	vmp_host *host;

	(void)state;
	assert_int_equal(vmp_probe_live(&host), VMP_OK);
	assert_int_equal(vmp_measure_run(NULL, host, &o, NULL, NULL), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "repetitions"));
	o.repetitions = 0;
	o.parts = 0x100;
	assert_int_equal(vmp_measure_run(NULL, host, &o, NULL, NULL), VMP_EINVAL);
	assert_null(host->read_gbs);
	vmp_host_free(host);
}

static void test_none_measures_nothing(void **state)
{
	vmp_host *host;

	(void)state;
	assert_int_equal(vmp_probe_live(&host), VMP_OK);
	assert_int_equal(vmp_probe_measure(host, VMP_MEASURE_NONE, NULL, NULL), VMP_OK);
	assert_null(host->read_gbs);
	assert_null(host->latency_ns);
	vmp_host_free(host);
}

static void test_chase_is_one_cycle(void **state)
{
	static const size_t sizes[] = {1, 2, 3, 64, 1000, 4099};

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s], steps = 0;
		char *buf = aligned_alloc(64, n * ENGINE_LINE_BYTES);
		unsigned char *seen = calloc(n, 1);
		void *p;

		assert_non_null(buf);
		assert_non_null(seen);
		engine_chase_init(buf, n, 42);
		p = buf;
		do {
			size_t line = (size_t)((char *)p - buf) / ENGINE_LINE_BYTES;

			assert_true((char *)p >= buf && line < n);
			assert_int_equal(((char *)p - buf) % ENGINE_LINE_BYTES, 0);
			assert_int_equal(seen[line], 0);
			seen[line] = 1;
			p = *(void **)p;
			steps++;
		} while (p != buf && steps <= n);
		/* Back at the start after exactly n steps: every line once, one cycle. */
		assert_int_equal(steps, n);
		if (n > 2) {
			/* A random order, not the identity shifted by one. */
			size_t sequential = 0;

			for (size_t k = 0; k < n; k++)
				if (*(void **)(buf + k * ENGINE_LINE_BYTES) ==
				    buf + ((k + 1) % n) * ENGINE_LINE_BYTES)
					sequential++;
			assert_true(sequential < n / 2 + 1);
		}
		free(seen);
		free(buf);
	}
}

static void test_chase_is_reproducible(void **state)
{
	size_t n = 512;
	char *a = aligned_alloc(64, n * ENGINE_LINE_BYTES);
	char *b = aligned_alloc(64, n * ENGINE_LINE_BYTES);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	engine_chase_init(a, n, 7);
	engine_chase_init(b, n, 7);
	for (size_t k = 0; k < n; k++) {
		size_t next_a = (size_t)(*(char **)(a + k * 64) - a);
		size_t next_b = (size_t)(*(char **)(b + k * 64) - b);

		assert_int_equal(next_a, next_b);
	}
	free(a);
	free(b);
}

static void test_placement(void **state)
{
	size_t len = 8 << 20;
	int node, found;
	char *p;

	(void)state;
	if (numa_available() < 0)
		skip();
	node = numa_max_node();
	p = numa_alloc_onnode(len, node);
	assert_non_null(p);
	/* Never touched: not in memory, no node. */
	assert_int_equal(engine_page_node(&found, p, len), -ENOENT);
	assert_non_null(strstr(engine_error(), "never touched"));
	memset(p, 1, len);
	assert_int_equal(engine_page_node(&found, p, len), 0);
	assert_int_equal(found, node);
	assert_int_equal(engine_check_node(p, len, node), 0);
	assert_int_equal(engine_check_node(p + 4096, 100, node), 0);
	/* A node the memory is not on is reported, naming where it is. */
	assert_int_equal(engine_check_node(p, len, node + 1), -EFAULT);
	assert_non_null(strstr(engine_error(), "is on node"));
	assert_int_equal(engine_page_node(&found, p, 0), -EINVAL);
	numa_free(p, len);
}

static void test_quick_on_live_host(void **state)
{
	struct progress_log log = {0, 0, true, true};
	vmp_measure_report *rep = NULL;
	vmp_measure_options o = {.level = VMP_MEASURE_QUICK};
	vmp_host *host;
	int measured = 0, n;

	(void)state;
	assert_int_equal(vmp_probe_live(&host), VMP_OK);
	assert_int_equal(vmp_measure_run(&rep, host, &o, record_progress, &log), VMP_OK);
	n = host->nnodes;
	assert_non_null(host->read_gbs);
	assert_non_null(host->triad_gbs);
	assert_non_null(host->latency_ns);
	assert_non_null(host->c2c_ns);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			double rd = host->read_gbs[i * n + j], tr = host->triad_gbs[i * n + j];
			double lat = host->latency_ns[i * n + j];

			if (vmp_cpuset_empty(&host->nodes[i].cpus) ||
			    host->nodes[j].memory_bytes == 0)
				continue;
			assert_true(isfinite(rd) && rd > 0.1);
			assert_true(isfinite(tr) && tr > 0.1);
			assert_true(isfinite(lat) && lat >= 5 && lat <= 2000);
			/* The host gets the best repetition; the median cannot beat it. */
			assert_true(rep->read_median_gbs[i * n + j] <= rd);
			assert_true(rep->triad_median_gbs[i * n + j] <= tr);
			assert_true(rep->hugepage_fraction[i * n + j] >= 0);
			measured++;
		}
	assert_true(measured >= 1);
	assert_true(rep->repetitions >= 10);
	assert_true(rep->array_bytes >= (size_t)64 << 20);
	assert_int_not_equal(rep->isa, VMP_ISA_AUTO);
	assert_non_null(rep->notes);
	if (host->npus >= 2) {
		int pairs = 0;

		for (int a = 0; a < host->npus; a++)
			for (int b = 0; b < host->npus; b++) {
				double ns = host->c2c_ns[a * host->npus + b];

				assert_true(a != b || isnan(ns));
				if (isnan(ns))
					continue;
				assert_true(ns > 0 && ns < 100000);
				assert_true(ns == host->c2c_ns[b * host->npus + a]);
				pairs++;
			}
		assert_true(pairs >= 2);
		assert_true(rep->c2c_pairs >= 1);
		/* The summary note names the pair's relation. */
		assert_non_null(strstr(rep->notes, "core-to-core latency"));
	}
	assert_true(log.calls > 10);
	assert_true(log.monotonic);
	assert_true(log.in_range);
	vmp_measure_report_free(rep);
	vmp_host_free(host);
}

static void test_parts_and_small_arrays(void **state)
{
	vmp_measure_report *rep = NULL;
	vmp_measure_options o = {.level = VMP_MEASURE_QUICK,
				 .isa = VMP_ISA_SSE2,
				 .array_bytes = 16 << 20,
				 .repetitions = 3,
				 .parts = VMP_MEASURE_BANDWIDTH};
	vmp_host *host;

	(void)state;
	assert_int_equal(vmp_probe_live(&host), VMP_OK);
	assert_int_equal(vmp_measure_run(&rep, host, &o, NULL, NULL), VMP_OK);
	assert_non_null(host->read_gbs);
	assert_true(host->read_gbs[0] > 0.1);
	assert_null(host->latency_ns);
	assert_null(host->c2c_ns);
	assert_int_equal(rep->isa, VMP_ISA_SSE2);
	assert_int_equal(rep->array_bytes, 16 << 20);
	assert_true(isnan(rep->latency_ns[0]));
	/* 16 MiB is less than 4x any server's LLC: the report says figures may be cached. */
	if (strstr(rep->notes, "less than 4x"))
		assert_non_null(strstr(rep->notes, "inflate"));
	vmp_measure_report_free(rep);
	vmp_host_free(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refuses_synthetic),
	    cmocka_unit_test(test_refuses_bad_options),
	    cmocka_unit_test(test_none_measures_nothing),
	    cmocka_unit_test(test_chase_is_one_cycle),
	    cmocka_unit_test(test_chase_is_reproducible),
	    cmocka_unit_test(test_placement),
	    cmocka_unit_test(test_parts_and_small_arrays),
	    cmocka_unit_test(test_quick_on_live_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
