/* Memory sizes with units ("16G", "512", "1GiB", "2048k") to bytes and back. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmplan/error.h"
#include "vmplan/size.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define TIB (UINT64_C(1) << 40)

static const struct {
	const char *name;
	uint64_t bytes;
} units[] = {
    {"", MIB}, /* a bare number is MiB, as Salt has it */
    {"b", 1},
    {"k", KIB},
    {"kib", KIB},
    {"kb", UINT64_C(1000)},
    {"m", MIB},
    {"mib", MIB},
    {"mb", UINT64_C(1000000)},
    {"g", GIB},
    {"gib", GIB},
    {"gb", UINT64_C(1000000000)},
    {"t", TIB},
    {"tib", TIB},
    {"tb", UINT64_C(1000000000000)},
};

int vmp_size_parse(uint64_t *out, const char *text)
{
	const char *p = text;
	const char *unit, *end;
	unsigned long long n;
	uint64_t bytes;
	char *endptr;
	int unit_len;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0') {
		vmp_error_set("cannot parse size '%s': the size is empty", text);
		return VMP_EINVAL;
	}
	if (*p == '-') {
		vmp_error_set("cannot parse size '%s': negative sizes are not allowed", text);
		return VMP_EINVAL;
	}
	/* strtoull() would take a sign, spaces and "0x"; only plain digits are a size. */
	if (!isdigit((unsigned char)*p)) {
		vmp_error_set("cannot parse size '%s': it does not start with a number", text);
		return VMP_EINVAL;
	}
	errno = 0;
	n = strtoull(p, &endptr, 10);
	if (errno == ERANGE) {
		vmp_error_set("cannot parse size '%s': too large", text);
		return VMP_EINVAL;
	}
	p = endptr;
	if ((*p == '.' || *p == ',') && isdigit((unsigned char)p[1])) {
		vmp_error_set("cannot parse size '%s': fractional sizes are not allowed, "
			      "use a smaller unit",
			      text);
		return VMP_EINVAL;
	}
	while (isspace((unsigned char)*p))
		p++;
	unit = p;
	end = unit + strlen(unit);
	while (end > unit && isspace((unsigned char)end[-1]))
		end--;
	unit_len = (int)(end - unit);

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if ((int)strlen(units[i].name) != unit_len ||
		    strncasecmp(units[i].name, unit, (size_t)unit_len) != 0)
			continue;
		if (__builtin_mul_overflow((uint64_t)n, units[i].bytes, &bytes)) {
			vmp_error_set("cannot parse size '%s': too large", text);
			return VMP_EINVAL;
		}
		*out = bytes;
		return VMP_OK;
	}
	vmp_error_set("cannot parse size '%s': unknown unit '%.*s' (units: K, M, G, T or KiB, "
		      "MiB, GiB, TiB, powers of 1024; KB, MB, GB, TB, powers of 1000; B; none: "
		      "MiB)",
		      text, unit_len, unit);
	return VMP_EINVAL;
}

size_t vmp_size_format(char *buf, size_t len, uint64_t bytes)
{
	static const char *const names[] = {"TiB", "GiB", "MiB", "KiB"};
	static const uint64_t sizes[] = {TIB, GIB, MIB, KIB};
	int n = -1;

	for (int i = 0; i < 4 && bytes; i++) {
		if (bytes % sizes[i] == 0) {
			n = snprintf(buf, len, "%" PRIu64 "%s", bytes / sizes[i], names[i]);
			break;
		}
	}
	if (n < 0)
		n = snprintf(buf, len, "%" PRIu64 "B", bytes);
	return n > 0 ? (size_t)n : 0;
}

size_t vmp_size_human(char *buf, size_t len, uint64_t bytes)
{
	static const char *const names[] = {"TiB", "GiB", "MiB", "KiB"};
	static const uint64_t sizes[] = {TIB, GIB, MIB, KIB};
	int n;

	for (int i = 0; i < 4; i++) {
		if (bytes < sizes[i])
			continue;
		if (bytes % sizes[i] == 0)
			break;
		/* Tenths rounded down: a free amount is never overstated. */
		n = snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%s", bytes / sizes[i],
			     bytes % sizes[i] * 10 / sizes[i], names[i]);
		return n > 0 ? (size_t)n : 0;
	}
	return vmp_size_format(buf, len, bytes);
}

uint64_t vmp_size_round_down(uint64_t bytes)
{
	uint64_t unit = bytes >= 10 * GIB ? GIB : bytes >= MIB ? MIB : 1;

	return bytes - bytes % unit;
}
