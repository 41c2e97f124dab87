/* Unit tests of vmp_size_parse and vmp_size_format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vmplan/error.h"
#include "vmplan/size.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define TIB (UINT64_C(1) << 40)

static void expect_size(const char *text, uint64_t want)
{
	uint64_t got = 12345;

	if (vmp_size_parse(&got, text) != VMP_OK)
		fail_msg("'%s' refused: %s", text, vmp_error_last());
	if (got != want)
		fail_msg("'%s' is %llu bytes, want %llu", text, (unsigned long long)got,
			 (unsigned long long)want);
}

/* text must be refused, out left alone, and the message quote text and contain want. */
static void expect_bad(const char *text, const char *want)
{
	uint64_t got = 12345;
	char quoted[256];

	vmp_error_clear();
	assert_int_equal(vmp_size_parse(&got, text), VMP_EINVAL);
	assert_int_equal(got, 12345);
	snprintf(quoted, sizeof(quoted), "cannot parse size '%s': ", text);
	if (strstr(vmp_error_last(), quoted) != vmp_error_last())
		fail_msg("message for '%s' does not start with \"%s\": \"%s\"", text, quoted,
			 vmp_error_last());
	if (!strstr(vmp_error_last(), want))
		fail_msg("message for '%s' lacks \"%s\": \"%s\"", text, want, vmp_error_last());
}

static void test_bare_number_is_mib(void **state)
{
	(void)state;
	expect_size("512", 512 * MIB);
	expect_size("0", 0);
	expect_size("1", MIB);
	expect_size("0016", 16 * MIB);
}

static void test_units(void **state)
{
	(void)state;
	expect_size("100b", 100);
	expect_size("100B", 100);

	expect_size("2048k", 2048 * KIB);
	expect_size("2048K", 2048 * KIB);
	expect_size("3KiB", 3 * KIB);
	expect_size("3kib", 3 * KIB);
	expect_size("3KIB", 3 * KIB);
	expect_size("3kb", 3000);
	expect_size("3KB", 3000);
	expect_size("3kB", 3000);

	expect_size("512M", 512 * MIB);
	expect_size("512m", 512 * MIB);
	expect_size("5MiB", 5 * MIB);
	expect_size("5mib", 5 * MIB);
	expect_size("5MB", 5000000);
	expect_size("5mb", 5000000);

	expect_size("16G", 16 * GIB);
	expect_size("16g", 16 * GIB);
	expect_size("1GiB", GIB);
	expect_size("1gib", GIB);
	expect_size("1GB", 1000000000);
	expect_size("1gb", 1000000000);

	expect_size("2T", 2 * TIB);
	expect_size("2t", 2 * TIB);
	expect_size("2TiB", 2 * TIB);
	expect_size("2tib", 2 * TIB);
	expect_size("2TB", UINT64_C(2000000000000));
	expect_size("2tb", UINT64_C(2000000000000));
}

static void test_spaces(void **state)
{
	(void)state;
	expect_size("16 G", 16 * GIB);
	expect_size("16\tGiB", 16 * GIB);
	expect_size("16  kb", 16000);
	/* Around the whole size, as a YAML or sysfs value may carry. */
	expect_size(" 16G", 16 * GIB);
	expect_size("16G \n", 16 * GIB);
	expect_size("512 ", 512 * MIB);
}

/*
 * The largest accepted number of each unit is floor((2^64 - 1) / unit); one
 * more overflows uint64_t bytes.
 */
static void test_overflow_boundaries(void **state)
{
	(void)state;
	expect_size("18446744073709551615b", UINT64_MAX);
	expect_bad("18446744073709551616b", "too large");

	/* (2^64 - 1) / 2^40 = 2^24 - 1 = 16777215 */
	expect_size("16777215T", UINT64_C(16777215) * TIB);
	expect_bad("16777216T", "too large");
	expect_size("16777215TiB", UINT64_C(16777215) * TIB);
	expect_bad("16777216TiB", "too large");

	/* (2^64 - 1) / 2^30 = 2^34 - 1 */
	expect_size("17179869183G", UINT64_C(17179869183) * GIB);
	expect_bad("17179869184G", "too large");

	/* a bare number is MiB: (2^64 - 1) / 2^20 = 2^44 - 1 */
	expect_size("17592186044415", UINT64_C(17592186044415) * MIB);
	expect_bad("17592186044416", "too large");
	expect_size("17592186044415M", UINT64_C(17592186044415) * MIB);
	expect_bad("17592186044416M", "too large");

	/* (2^64 - 1) / 2^10 = 2^54 - 1 */
	expect_size("18014398509481983k", UINT64_C(18014398509481983) * KIB);
	expect_bad("18014398509481984k", "too large");

	/* 18446744073709551615 / 10^12 = 18446744, 10^9: 18446744073, 10^6, 10^3 */
	expect_size("18446744TB", UINT64_C(18446744) * 1000000000000);
	expect_bad("18446745TB", "too large");
	expect_size("18446744073GB", UINT64_C(18446744073) * 1000000000);
	expect_bad("18446744074GB", "too large");
	expect_size("18446744073709MB", UINT64_C(18446744073709) * 1000000);
	expect_bad("18446744073710MB", "too large");
	expect_size("18446744073709551kb", UINT64_C(18446744073709551) * 1000);
	expect_bad("18446744073709552kb", "too large");

	/* past what strtoull can hold at all */
	expect_bad("99999999999T", "too large");
	expect_bad("99999999999999999999999", "too large");
}

static void test_bad(void **state)
{
	(void)state;
	expect_bad("", "empty");
	expect_bad("  ", "empty");
	expect_bad("12Q", "unknown unit 'Q'");
	expect_bad("12 Q", "unknown unit 'Q'");
	expect_bad("12Gx", "unknown unit 'Gx'");
	expect_bad("12KI", "unknown unit 'KI'");
	expect_bad("12P", "unknown unit 'P'");
	expect_bad("12 G B", "unknown unit 'G B'");
	expect_bad("12.G", "unknown unit '.G'");
	expect_bad("-5G", "negative sizes are not allowed");
	expect_bad(" -5", "negative sizes are not allowed");
	expect_bad("-0", "negative sizes are not allowed");
	expect_bad("1.5G", "fractional sizes are not allowed");
	expect_bad("0.5", "fractional sizes are not allowed");
	expect_bad("G", "does not start with a number");
	expect_bad("+5G", "does not start with a number");
	expect_bad(".5G", "does not start with a number");
	expect_bad("abc", "does not start with a number");
	expect_bad("0x10", "unknown unit 'x10'");
	expect_bad("1e3", "unknown unit 'e3'");
}

static void expect_format(uint64_t bytes, const char *want)
{
	char buf[64];

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(vmp_size_format(buf, sizeof(buf), bytes), strlen(want));
	assert_string_equal(buf, want);
}

/* At a glance: the largest unit, tenths rounded down; and sizes a person would type. */
static void test_human(void **state)
{
	char buf[32];

	(void)state;
	vmp_size_human(buf, sizeof(buf), 7812500 * KIB);
	assert_string_equal(buf, "7.4GiB"); /* 7.45 GiB: never rounded up */
	vmp_size_human(buf, sizeof(buf), 16 * GIB);
	assert_string_equal(buf, "16GiB");
	vmp_size_human(buf, sizeof(buf), 1536 * KIB);
	assert_string_equal(buf, "1.5MiB");
	vmp_size_human(buf, sizeof(buf), 512);
	assert_string_equal(buf, "512B");
	vmp_size_human(buf, sizeof(buf), 3 * TIB + TIB / 2);
	assert_string_equal(buf, "3.5TiB");
	assert_int_equal(vmp_size_round_down(7812500 * KIB), 7629 * MIB);
	assert_int_equal(vmp_size_round_down(779733764 * KIB), 743 * GIB);
	assert_int_equal(vmp_size_round_down(1000), 1000);
}

static void test_format(void **state)
{
	char small[4];

	(void)state;
	expect_format(0, "0B");
	expect_format(1, "1B");
	expect_format(100, "100B");
	expect_format(1000, "1000B");
	expect_format(1024, "1KiB");
	expect_format(1536, "1536B");
	expect_format(3 * KIB, "3KiB");
	expect_format(MIB, "1MiB");
	expect_format(1536 * MIB, "1536MiB");
	expect_format(16 * GIB, "16GiB");
	expect_format(GIB + KIB, "1048577KiB");
	expect_format(TIB, "1TiB");
	expect_format(1024 * TIB, "1024TiB");
	expect_format(UINT64_C(16777215) * TIB, "16777215TiB");
	expect_format(UINT64_MAX, "18446744073709551615B");
	expect_format(1000000000, "1000000000B");

	/* As snprintf: the full length back and a NUL-terminated prefix. */
	memset(small, 'x', sizeof(small));
	assert_int_equal(vmp_size_format(small, sizeof(small), 16 * GIB), 5);
	assert_string_equal(small, "16G");
	assert_int_equal(vmp_size_format(NULL, 0, 16 * GIB), 5);
}

/* What vmp_size_format writes, vmp_size_parse reads back to the same bytes. */
static void test_roundtrip(void **state)
{
	const uint64_t cases[] = {
	    0, 1, 100, 1024, 1536 * MIB, 16 * GIB, GIB + KIB, TIB, UINT64_MAX, 4096 + 1,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		uint64_t back = 0;

		vmp_size_format(buf, sizeof(buf), cases[i]);
		assert_int_equal(vmp_size_parse(&back, buf), VMP_OK);
		assert_int_equal(back, cases[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bare_number_is_mib),
	    cmocka_unit_test(test_units),
	    cmocka_unit_test(test_human),
	    cmocka_unit_test(test_spaces),
	    cmocka_unit_test(test_overflow_boundaries),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
