/* Fixed-size CPU sets: libvirt's cpuset syntax in and out, and set algebra. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/cpuset.h"
#include "vmplan/error.h"

#define WORDS (VMP_CPUSET_MAX / 64)

static bool in_range(int cpu)
{
	return cpu >= 0 && cpu < VMP_CPUSET_MAX;
}

void vmp_cpuset_zero(vmp_cpuset *set)
{
	memset(set, 0, sizeof(*set));
}

void vmp_cpuset_set(vmp_cpuset *set, int cpu)
{
	if (in_range(cpu))
		set->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

void vmp_cpuset_clr(vmp_cpuset *set, int cpu)
{
	if (in_range(cpu))
		set->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}

bool vmp_cpuset_isset(const vmp_cpuset *set, int cpu)
{
	return in_range(cpu) && (set->bits[cpu / 64] >> (cpu % 64)) & 1;
}

void vmp_cpuset_set_range(vmp_cpuset *set, int first, int last)
{
	if (first < 0)
		first = 0;
	if (last >= VMP_CPUSET_MAX)
		last = VMP_CPUSET_MAX - 1;
	for (int cpu = first; cpu <= last; cpu++)
		set->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

int vmp_cpuset_count(const vmp_cpuset *set)
{
	int n = 0;

	for (int i = 0; i < WORDS; i++)
		n += __builtin_popcountll(set->bits[i]);
	return n;
}

bool vmp_cpuset_empty(const vmp_cpuset *set)
{
	for (int i = 0; i < WORDS; i++)
		if (set->bits[i])
			return false;
	return true;
}

bool vmp_cpuset_equal(const vmp_cpuset *a, const vmp_cpuset *b)
{
	return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

bool vmp_cpuset_subset(const vmp_cpuset *sub, const vmp_cpuset *set)
{
	for (int i = 0; i < WORDS; i++)
		if (sub->bits[i] & ~set->bits[i])
			return false;
	return true;
}

bool vmp_cpuset_intersects(const vmp_cpuset *a, const vmp_cpuset *b)
{
	for (int i = 0; i < WORDS; i++)
		if (a->bits[i] & b->bits[i])
			return true;
	return false;
}

/* Word by word, so out may alias a or b. */
void vmp_cpuset_or(vmp_cpuset *out, const vmp_cpuset *a, const vmp_cpuset *b)
{
	for (int i = 0; i < WORDS; i++)
		out->bits[i] = a->bits[i] | b->bits[i];
}

void vmp_cpuset_and(vmp_cpuset *out, const vmp_cpuset *a, const vmp_cpuset *b)
{
	for (int i = 0; i < WORDS; i++)
		out->bits[i] = a->bits[i] & b->bits[i];
}

void vmp_cpuset_andnot(vmp_cpuset *out, const vmp_cpuset *a, const vmp_cpuset *b)
{
	for (int i = 0; i < WORDS; i++)
		out->bits[i] = a->bits[i] & ~b->bits[i];
}

int vmp_cpuset_next(const vmp_cpuset *set, int prev)
{
	int cpu, i;
	uint64_t word;

	/* Compared before adding one, so that prev = INT_MAX cannot overflow. */
	if (prev >= VMP_CPUSET_MAX - 1)
		return -1;
	cpu = prev < 0 ? 0 : prev + 1;
	i = cpu / 64;
	/* Mask off the bits below cpu in its own word, then scan whole words. */
	word = set->bits[i] & (~UINT64_C(0) << (cpu % 64));

	while (!word) {
		if (++i == WORDS)
			return -1;
		word = set->bits[i];
	}
	return i * 64 + __builtin_ctzll(word);
}

int vmp_cpuset_first(const vmp_cpuset *set)
{
	return vmp_cpuset_next(set, -1);
}

/* Append "first" or "first-last" at pos, which may already be past the end of buf. */
static size_t append_range(char *buf, size_t len, size_t pos, int first, int last)
{
	char item[32];
	const char *sep = pos ? "," : "";
	int n;

	if (first == last)
		n = snprintf(item, sizeof(item), "%s%d", sep, first);
	else
		n = snprintf(item, sizeof(item), "%s%d-%d", sep, first, last);
	if (pos < len)
		snprintf(buf + pos, len - pos, "%s", item);
	return pos + (size_t)n;
}

size_t vmp_cpuset_format(char *buf, size_t len, const vmp_cpuset *set)
{
	size_t pos = 0;
	int cpu = vmp_cpuset_first(set);

	if (len > 0)
		buf[0] = '\0';
	while (cpu >= 0) {
		int last = cpu;
		int next;

		while ((next = vmp_cpuset_next(set, last)) == last + 1)
			last = next;
		pos = append_range(buf, len, pos, cpu, last);
		cpu = next;
	}
	return pos;
}

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/*
 * Read a CPU number at *p (which must be a digit; strtol would also take
 * spaces and signs) and move *p past it.
 */
static int parse_cpu(int *out, const char **p, const char *end)
{
	char *endptr;
	long v;

	if (*p >= end || !isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	v = strtol(*p, &endptr, 10);
	/* Digits never run past an item: ',' and NUL are not digits. */
	*p = endptr;
	if (errno == ERANGE || v >= VMP_CPUSET_MAX)
		return -2;
	*out = (int)v;
	return 0;
}

/*
 * Parse one comma-separated item [start, end), spaces already trimmed, and
 * apply it to set. Exclusions apply in order, as libvirt's
 * virBitmapParseInternal() does: "0-3,^2" is {0,1,3} and "^2,0-3" is {0-3}.
 */
static int parse_item(vmp_cpuset *set, const char *text, const char *start, const char *end)
{
	const char *p = start;
	int len = (int)(end - start);
	bool exclude = false;
	int first, last, rc;

	if (*p == '^') {
		exclude = true;
		p++;
	}
	if ((rc = parse_cpu(&first, &p, end)) == -1) {
		vmp_error_set("cannot parse cpuset '%s': '%.*s' is not a CPU number", text, len,
			      start);
		return VMP_EINVAL;
	}
	if (rc == -2)
		goto too_large;
	p = skip_spaces(p, end);
	if (p == end) {
		if (exclude)
			vmp_cpuset_clr(set, first);
		else
			vmp_cpuset_set(set, first);
		return VMP_OK;
	}
	if (*p != '-') {
		vmp_error_set("cannot parse cpuset '%s': '%.*s' is not a CPU number", text, len,
			      start);
		return VMP_EINVAL;
	}
	if (exclude) {
		vmp_error_set("cannot parse cpuset '%s': exclusion '%.*s' must name a single CPU",
			      text, len, start);
		return VMP_EINVAL;
	}
	p = skip_spaces(p + 1, end);
	if ((rc = parse_cpu(&last, &p, end)) == -2)
		goto too_large;
	if (rc < 0 || skip_spaces(p, end) != end) {
		vmp_error_set("cannot parse cpuset '%s': '%.*s' is not a CPU range", text, len,
			      start);
		return VMP_EINVAL;
	}
	if (last < first) {
		vmp_error_set("cannot parse cpuset '%s': range '%.*s' is reversed", text, len,
			      start);
		return VMP_EINVAL;
	}
	vmp_cpuset_set_range(set, first, last);
	return VMP_OK;

too_large:
	vmp_error_set("cannot parse cpuset '%s': '%.*s' is past the largest CPU number %d", text,
		      len, start, VMP_CPUSET_MAX - 1);
	return VMP_EINVAL;
}

int vmp_cpuset_parse(vmp_cpuset *out, const char *text)
{
	vmp_cpuset set = {0};
	const char *p = text;
	const char *text_end = text + strlen(text);
	int err;

	vmp_cpuset_zero(out);
	if (skip_spaces(text, text_end) == text_end) {
		vmp_error_set("cannot parse cpuset '%s': a cpuset names at least one CPU", text);
		return VMP_EINVAL;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : text_end;
		const char *start = skip_spaces(p, end);

		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		if (start == end) {
			vmp_error_set("cannot parse cpuset '%s': empty item", text);
			return VMP_EINVAL;
		}
		if ((err = parse_item(&set, text, start, end)) < 0)
			return err;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (vmp_cpuset_empty(&set)) {
		vmp_error_set("cannot parse cpuset '%s': the exclusions leave no CPU", text);
		return VMP_EINVAL;
	}
	*out = set;
	return VMP_OK;
}
