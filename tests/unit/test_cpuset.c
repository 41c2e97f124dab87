/* Unit tests of vmp_cpuset: parsing libvirt's syntax, formatting and set algebra. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vmplan/cpuset.h"
#include "vmplan/error.h"

/* Parse text, which must succeed, and return the set formatted back. */
static const char *roundtrip(const char *text)
{
	static char buf[8192];
	vmp_cpuset set;

	assert_int_equal(vmp_cpuset_parse(&set, text), VMP_OK);
	assert_true(vmp_cpuset_format(buf, sizeof(buf), &set) < sizeof(buf));
	return buf;
}

/* Parse text, which must fail, leave the set empty and quote text and want in the message. */
static void expect_bad(const char *text, const char *want)
{
	vmp_cpuset set = {0};
	char quoted[256];

	vmp_cpuset_set(&set, 7); /* must be emptied on failure */
	vmp_error_clear();
	assert_int_equal(vmp_cpuset_parse(&set, text), VMP_EINVAL);
	assert_true(vmp_cpuset_empty(&set));
	snprintf(quoted, sizeof(quoted), "cannot parse cpuset '%s': ", text);
	if (strstr(vmp_error_last(), quoted) != vmp_error_last())
		fail_msg("message for '%s' does not start with \"%s\": \"%s\"", text, quoted,
			 vmp_error_last());
	if (!strstr(vmp_error_last(), want))
		fail_msg("message for '%s' lacks \"%s\": \"%s\"", text, want, vmp_error_last());
}

static void test_parse_good(void **state)
{
	(void)state;
	assert_string_equal(roundtrip("0"), "0");
	assert_string_equal(roundtrip("0-3"), "0-3");
	assert_string_equal(roundtrip("0-3,8"), "0-3,8");
	assert_string_equal(roundtrip("0-3,8,^2"), "0-1,3,8");
	assert_string_equal(roundtrip("8,0-3"), "0-3,8");
	assert_string_equal(roundtrip("1,2,3,5,6,9"), "1-3,5-6,9");
	assert_string_equal(roundtrip("3-3"), "3");
	assert_string_equal(roundtrip("0-3,2-5"), "0-5");
	assert_string_equal(roundtrip("4095"), "4095");
	assert_string_equal(roundtrip("0-4095"), "0-4095");
	assert_string_equal(roundtrip("63-64,127-128"), "63-64,127-128");
	assert_string_equal(roundtrip("007"), "7");
	/* Spaces around items and around '-', and a sysfs file's newline. */
	assert_string_equal(roundtrip(" 0 - 3 , 8 ,^2 "), "0-1,3,8");
	assert_string_equal(roundtrip("0-3\n"), "0-3");
	assert_string_equal(roundtrip("0-7,^1,^3,^5"), "0,2,4,6-7");
}

/*
 * Exclusions apply in order, as libvirt's virBitmapParseInternal() does:
 * they remove what earlier items added and a later item can add it back.
 */
static void test_parse_exclusion_order(void **state)
{
	(void)state;
	assert_string_equal(roundtrip("0-3,^2"), "0-1,3");
	assert_string_equal(roundtrip("^2,0-3"), "0-3");
	assert_string_equal(roundtrip("0-3,^2,2"), "0-3");
	assert_string_equal(roundtrip("^9,0-3"), "0-3");
	assert_string_equal(roundtrip("0-3,^9"), "0-3");
}

static void test_parse_bad(void **state)
{
	(void)state;
	expect_bad("", "at least one CPU");
	expect_bad("   ", "at least one CPU");
	expect_bad("0-3,x", "'x' is not a CPU number");
	expect_bad("x", "'x' is not a CPU number");
	expect_bad("1,,2", "empty item");
	expect_bad("1, ,2", "empty item");
	expect_bad(",1", "empty item");
	expect_bad("1,", "empty item");
	expect_bad(",", "empty item");
	expect_bad("3-1", "range '3-1' is reversed");
	expect_bad("4096", "'4096' is past the largest CPU number 4095");
	expect_bad("0-4096", "'0-4096' is past the largest CPU number 4095");
	expect_bad("99999999999999999999", "past the largest CPU number");
	expect_bad("1-99999999999999999999", "past the largest CPU number");
	expect_bad("1x", "'1x' is not a CPU number");
	expect_bad("1-3x", "'1-3x' is not a CPU range");
	expect_bad("1-", "'1-' is not a CPU range");
	expect_bad("1-3-5", "'1-3-5' is not a CPU range");
	expect_bad("1 2", "'1 2' is not a CPU number");
	expect_bad("+1", "'+1' is not a CPU number");
	expect_bad("-1", "'-1' is not a CPU number");
	expect_bad("1-+3", "'1-+3' is not a CPU range");
	expect_bad("1--3", "'1--3' is not a CPU range");
	expect_bad("0x10", "'0x10' is not a CPU number");
	expect_bad("^", "'^' is not a CPU number");
	expect_bad("^ 1", "'^ 1' is not a CPU number");
	expect_bad("^-1", "'^-1' is not a CPU number");
	expect_bad("0-7,^2-3", "exclusion '^2-3' must name a single CPU");
	expect_bad("^1", "the exclusions leave no CPU");
	expect_bad("1,^1", "the exclusions leave no CPU");
	expect_bad("0-1,^0,^1", "the exclusions leave no CPU");
}

static void test_bits(void **state)
{
	vmp_cpuset s = {0};

	(void)state;
	assert_true(vmp_cpuset_empty(&s));
	assert_int_equal(vmp_cpuset_count(&s), 0);
	vmp_cpuset_set(&s, 0);
	vmp_cpuset_set(&s, 63);
	vmp_cpuset_set(&s, 64);
	vmp_cpuset_set(&s, VMP_CPUSET_MAX - 1);
	/* Out of range: ignored, not written past the array (ASan would say). */
	vmp_cpuset_set(&s, -1);
	vmp_cpuset_set(&s, VMP_CPUSET_MAX);
	vmp_cpuset_clr(&s, -1);
	vmp_cpuset_clr(&s, VMP_CPUSET_MAX);
	assert_int_equal(vmp_cpuset_count(&s), 4);
	assert_true(vmp_cpuset_isset(&s, 0));
	assert_true(vmp_cpuset_isset(&s, 63));
	assert_true(vmp_cpuset_isset(&s, 64));
	assert_true(vmp_cpuset_isset(&s, VMP_CPUSET_MAX - 1));
	assert_false(vmp_cpuset_isset(&s, 1));
	assert_false(vmp_cpuset_isset(&s, -1));
	assert_false(vmp_cpuset_isset(&s, VMP_CPUSET_MAX));
	assert_false(vmp_cpuset_empty(&s));

	vmp_cpuset_clr(&s, 63);
	assert_false(vmp_cpuset_isset(&s, 63));
	assert_true(vmp_cpuset_isset(&s, 64));
	assert_int_equal(vmp_cpuset_count(&s), 3);

	vmp_cpuset_zero(&s);
	assert_true(vmp_cpuset_empty(&s));

	vmp_cpuset_set_range(&s, 60, 70);
	assert_int_equal(vmp_cpuset_count(&s), 11);
	assert_false(vmp_cpuset_isset(&s, 59));
	assert_true(vmp_cpuset_isset(&s, 60));
	assert_true(vmp_cpuset_isset(&s, 70));
	assert_false(vmp_cpuset_isset(&s, 71));

	/* A range reaching out of [0, MAX) is clipped; an empty range adds nothing. */
	vmp_cpuset_zero(&s);
	vmp_cpuset_set_range(&s, -5, 2);
	vmp_cpuset_set_range(&s, VMP_CPUSET_MAX - 2, VMP_CPUSET_MAX + 10);
	vmp_cpuset_set_range(&s, 10, 9);
	assert_int_equal(vmp_cpuset_count(&s), 5);

	vmp_cpuset_zero(&s);
	vmp_cpuset_set_range(&s, 0, VMP_CPUSET_MAX - 1);
	assert_int_equal(vmp_cpuset_count(&s), VMP_CPUSET_MAX);
}

/* Parse text, which must succeed, into a set. */
static vmp_cpuset set_of(const char *text)
{
	vmp_cpuset set;

	assert_int_equal(vmp_cpuset_parse(&set, text), VMP_OK);
	return set;
}

static void test_algebra(void **state)
{
	vmp_cpuset a = set_of("0-3,100"), b = set_of("2-5,4000"), c = set_of("8-9");
	vmp_cpuset r, want, empty = {0};

	(void)state;
	vmp_cpuset_or(&r, &a, &b);
	want = set_of("0-5,100,4000");
	assert_true(vmp_cpuset_equal(&r, &want));
	vmp_cpuset_and(&r, &a, &b);
	want = set_of("2-3");
	assert_true(vmp_cpuset_equal(&r, &want));
	vmp_cpuset_andnot(&r, &a, &b);
	want = set_of("0-1,100");
	assert_true(vmp_cpuset_equal(&r, &want));
	vmp_cpuset_andnot(&r, &b, &a);
	want = set_of("4-5,4000");
	assert_true(vmp_cpuset_equal(&r, &want));
	vmp_cpuset_and(&r, &a, &c);
	assert_true(vmp_cpuset_empty(&r));
	vmp_cpuset_or(&r, &empty, &c);
	assert_true(vmp_cpuset_equal(&r, &c));

	assert_true(vmp_cpuset_intersects(&a, &b));
	assert_true(vmp_cpuset_intersects(&b, &a));
	assert_false(vmp_cpuset_intersects(&a, &c));
	assert_false(vmp_cpuset_intersects(&a, &empty));
	/* Overlap only in a high word. */
	want = set_of("4000");
	assert_true(vmp_cpuset_intersects(&b, &want));

	vmp_cpuset_and(&r, &a, &b);
	assert_true(vmp_cpuset_subset(&r, &a));
	assert_true(vmp_cpuset_subset(&r, &b));
	assert_false(vmp_cpuset_subset(&a, &r));
	assert_true(vmp_cpuset_subset(&a, &a));
	assert_true(vmp_cpuset_subset(&empty, &a));
	assert_false(vmp_cpuset_subset(&a, &empty));
	assert_false(vmp_cpuset_subset(&c, &a));
	/* Differs from b only in a high word. */
	want = set_of("2-5");
	assert_true(vmp_cpuset_subset(&want, &b));
	assert_false(vmp_cpuset_subset(&b, &want));

	assert_true(vmp_cpuset_equal(&a, &a));
	assert_false(vmp_cpuset_equal(&a, &b));
	assert_false(vmp_cpuset_equal(&b, &want));
	assert_int_equal(vmp_cpuset_count(&a), 5);
	assert_int_equal(vmp_cpuset_count(&b), 5);
}

/* out may alias a or b. */
static void test_algebra_aliasing(void **state)
{
	vmp_cpuset a, b, want;

	(void)state;
	assert_int_equal(vmp_cpuset_parse(&a, "0-3"), VMP_OK);
	assert_int_equal(vmp_cpuset_parse(&b, "2-5"), VMP_OK);
	vmp_cpuset_or(&a, &a, &b);
	assert_int_equal(vmp_cpuset_parse(&want, "0-5"), VMP_OK);
	assert_true(vmp_cpuset_equal(&a, &want));

	assert_int_equal(vmp_cpuset_parse(&a, "0-3"), VMP_OK);
	vmp_cpuset_and(&b, &a, &b);
	assert_int_equal(vmp_cpuset_parse(&want, "2-3"), VMP_OK);
	assert_true(vmp_cpuset_equal(&b, &want));

	assert_int_equal(vmp_cpuset_parse(&b, "2-5"), VMP_OK);
	vmp_cpuset_andnot(&a, &a, &b);
	assert_int_equal(vmp_cpuset_parse(&want, "0-1"), VMP_OK);
	assert_true(vmp_cpuset_equal(&a, &want));

	assert_int_equal(vmp_cpuset_parse(&a, "0-3"), VMP_OK);
	vmp_cpuset_andnot(&b, &a, &b);
	assert_true(vmp_cpuset_equal(&b, &want));

	vmp_cpuset_andnot(&a, &a, &a);
	assert_true(vmp_cpuset_empty(&a));
}

static void test_first_next_foreach(void **state)
{
	vmp_cpuset s = {0};
	int seen[8], n = 0, cpu;
	const int want[] = {0, 5, 63, 64, 65, 128, 4095};

	(void)state;
	assert_int_equal(vmp_cpuset_first(&s), -1);
	assert_int_equal(vmp_cpuset_next(&s, -1), -1);
	cpu = 0;
	VMP_CPUSET_FOREACH (cpu, &s) {
		n++;
	}
	assert_int_equal(n, 0);

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		vmp_cpuset_set(&s, want[i]);
	assert_int_equal(vmp_cpuset_first(&s), 0);
	assert_int_equal(vmp_cpuset_next(&s, 0), 5);
	assert_int_equal(vmp_cpuset_next(&s, 4), 5);
	assert_int_equal(vmp_cpuset_next(&s, 62), 63);
	assert_int_equal(vmp_cpuset_next(&s, 63), 64);
	assert_int_equal(vmp_cpuset_next(&s, 65), 128);
	assert_int_equal(vmp_cpuset_next(&s, 128), 4095);
	assert_int_equal(vmp_cpuset_next(&s, 4095), -1);
	assert_int_equal(vmp_cpuset_next(&s, VMP_CPUSET_MAX + 3), -1);
	assert_int_equal(vmp_cpuset_next(&s, INT_MAX), -1);
	assert_int_equal(vmp_cpuset_next(&s, INT_MIN), 0);
	assert_int_equal(vmp_cpuset_next(&s, -7), 0);

	VMP_CPUSET_FOREACH (cpu, &s) {
		assert_true(n < 8);
		seen[n++] = cpu;
	}
	assert_int_equal(n, 7);
	for (int i = 0; i < n; i++)
		assert_int_equal(seen[i], want[i]);

	vmp_cpuset_zero(&s);
	vmp_cpuset_set(&s, 200);
	assert_int_equal(vmp_cpuset_first(&s), 200);
}

static void test_format(void **state)
{
	vmp_cpuset s = {0};
	char buf[64];
	char small[5];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(vmp_cpuset_format(buf, sizeof(buf), &s), 0);
	assert_string_equal(buf, "");
	assert_int_equal(vmp_cpuset_format(NULL, 0, &s), 0);

	vmp_cpuset_set_range(&s, 0, 3);
	vmp_cpuset_set(&s, 8);
	vmp_cpuset_set_range(&s, 10, 11);
	assert_int_equal(vmp_cpuset_format(buf, sizeof(buf), &s), strlen("0-3,8,10-11"));
	assert_string_equal(buf, "0-3,8,10-11");

	/* As snprintf: the full length back, a NUL-terminated prefix in buf. */
	assert_int_equal(vmp_cpuset_format(NULL, 0, &s), 11);
	memset(small, 'x', sizeof(small));
	assert_int_equal(vmp_cpuset_format(small, sizeof(small), &s), 11);
	assert_string_equal(small, "0-3,");
	for (size_t len = 1; len <= 12; len++) {
		char tiny[12];

		memset(tiny, 'x', sizeof(tiny));
		assert_int_equal(vmp_cpuset_format(tiny, len, &s), 11);
		assert_int_equal(strlen(tiny), len - 1);
		assert_memory_equal(tiny, "0-3,8,10-11", len - 1);
	}
}

/* Every formatted set parses back to itself. */
static void test_format_roundtrip(void **state)
{
	static const char *const cases[] = {
	    "0", "4095", "0-4095", "1,3,5,7", "0-62,64-127", "63", "64", "0-1,4094-4095",
	};
	char buf[8192];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vmp_cpuset a, b;

		assert_int_equal(vmp_cpuset_parse(&a, cases[i]), VMP_OK);
		assert_true(vmp_cpuset_format(buf, sizeof(buf), &a) < sizeof(buf));
		assert_string_equal(buf, cases[i]);
		assert_int_equal(vmp_cpuset_parse(&b, buf), VMP_OK);
		assert_true(vmp_cpuset_equal(&a, &b));
	}

	/* A pseudo-random set, through the string and back. */
	{
		vmp_cpuset a = {0}, b;
		uint32_t x = 12345;

		for (int cpu = 0; cpu < VMP_CPUSET_MAX; cpu++) {
			x = x * 1103515245u + 12345u;
			if ((x >> 16) & 1)
				vmp_cpuset_set(&a, cpu);
		}
		assert_true(vmp_cpuset_format(buf, sizeof(buf), &a) < sizeof(buf));
		assert_int_equal(vmp_cpuset_parse(&b, buf), VMP_OK);
		assert_true(vmp_cpuset_equal(&a, &b));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_exclusion_order),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_bits),
	    cmocka_unit_test(test_algebra),
	    cmocka_unit_test(test_algebra_aliasing),
	    cmocka_unit_test(test_first_next_foreach),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_format_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
