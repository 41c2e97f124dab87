/* Unit tests of vmp_progress_line: progress that fits the terminal, or goes on its own line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vmplan/progress.h"

/* A line that fits is padded to width - 1 and keeps every word. */
static void test_fits(void **state)
{
	char line[256];

	(void)state;
	assert_true(
	    vmp_progress_line(line, sizeof(line), "measuring", "memory on node 3", 0.42, 40));
	assert_int_equal(strlen(line), 39);
	assert_memory_equal(line, "measuring  42% memory on node 3", 31);
	assert_string_equal(line + 31, "        ");
}

/* The line the issue saw cut ("memory on nod"): too long for the width, it is kept whole. */
static void test_too_long_kept_whole(void **state)
{
	const char *what = "triad bandwidth, threads on node 12, memory on node 13";
	char line[256], want[256];

	(void)state;
	snprintf(want, sizeof(want), "measuring  50%% %s", what);
	assert_false(vmp_progress_line(line, sizeof(line), "measuring", what, 0.5, 60));
	assert_string_equal(line, want);
	/* Exactly width - 1 columns still fits; one more does not. */
	assert_true(
	    vmp_progress_line(line, sizeof(line), "measuring", what, 0.5, (int)strlen(want) + 1));
	assert_false(
	    vmp_progress_line(line, sizeof(line), "measuring", what, 0.5, (int)strlen(want)));
}

/* Characters, not bytes, count: "µ" takes one column. */
static void test_utf8_columns(void **state)
{
	char line[256];

	(void)state;
	assert_true(vmp_progress_line(line, sizeof(line), "bench:", "4 µs", 1.0, 17));
	assert_string_equal(line, "bench: 100% 4 µs");
	assert_false(vmp_progress_line(line, sizeof(line), "bench:", "4 µs", 1.0, 16));
}

static void test_percent_clamped(void **state)
{
	char line[64];

	(void)state;
	vmp_progress_line(line, sizeof(line), "bench:", "x", 1.7, 0);
	assert_string_equal(line, "bench: 100% x");
	vmp_progress_line(line, sizeof(line), "bench:", "x", -1, 0);
	assert_string_equal(line, "bench:   0% x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fits),
	    cmocka_unit_test(test_too_long_kept_whole),
	    cmocka_unit_test(test_utf8_columns),
	    cmocka_unit_test(test_percent_clamped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
