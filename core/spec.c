/* The --vm SPEC parser: "name=db,vcpus=8,memory=16G,..." into a VM request. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/error.h"
#include "vmplan/size.h"
#include "vmplan/spec.h"

enum key {
	KEY_NAME,
	KEY_VCPUS,
	KEY_MEMORY,
	KEY_THREADS,
	KEY_NUMA,
	KEY_EMULATOR,
	KEY_HUGEPAGES,
	KEY_COUNT
};

/* One key a line; clang-format would pack the table into columns. */
/* clang-format off */
static const char *const key_names[KEY_COUNT] = {
	[KEY_NAME] = "name",
	[KEY_VCPUS] = "vcpus",
	[KEY_MEMORY] = "memory",
	[KEY_THREADS] = "threads",
	[KEY_NUMA] = "numa",
	[KEY_EMULATOR] = "emulator",
	[KEY_HUGEPAGES] = "hugepages",
};
/* clang-format on */

int vmp_spec_check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0) {
		vmp_error_set("invalid VM name '': the name is empty");
		return VMP_EINVAL;
	}
	if (len >= VMP_NAME_MAX) {
		vmp_error_set("invalid VM name '%s': longer than %d bytes", name, VMP_NAME_MAX - 1);
		return VMP_EINVAL;
	}
	if (name[0] == '.' || name[0] == '-') {
		vmp_error_set("invalid VM name '%s': it must not start with '%c'", name, name[0]);
		return VMP_EINVAL;
	}
	for (const char *p = name; *p; p++) {
		/* Not isalnum(): a locale could let in bytes no file system agrees on. */
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_')
			continue;
		vmp_error_set("invalid VM name '%s': only letters, digits, '.', '-' and '_' "
			      "are allowed",
			      name);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* A whole decimal number in [min, max], nothing else. */
static bool parse_uint(unsigned *out, const char *value, unsigned min, unsigned max)
{
	char *endptr;
	unsigned long v;

	if (!isdigit((unsigned char)value[0]))
		return false;
	errno = 0;
	v = strtoul(value, &endptr, 10);
	if (errno == ERANGE || *endptr != '\0' || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/*
 * vmp_size_parse() says "cannot parse size 'V': why"; say which key the size
 * was for, and in which spec.
 */
static int size_error(const char *spec, const char *key, const char *value)
{
	char msg[1024];
	char prefix[512];
	const char *why;
	int n;

	snprintf(msg, sizeof(msg), "%s", vmp_error_last());
	n = snprintf(prefix, sizeof(prefix), "cannot parse size '%s': ", value);
	why = msg;
	if (n > 0 && (size_t)n < sizeof(prefix) && strncmp(msg, prefix, (size_t)n) == 0)
		why = msg + n;
	vmp_error_set("bad --vm '%s': cannot parse size '%s' for %s: %s", spec, value, key, why);
	return VMP_EINVAL;
}

/* Set one key of req from value; seen has already been checked. */
static int parse_value(vmp_vm_request *req, const char *spec, enum key key, const char *value)
{
	const char *name = key_names[key];
	uint64_t bytes;

	switch (key) {
	case KEY_NAME:
		if (vmp_spec_check_name(value) < 0) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s", vmp_error_last());
			vmp_error_set("bad --vm '%s': %s", spec, msg);
			return VMP_EINVAL;
		}
		snprintf(req->name, sizeof(req->name), "%s", value);
		return VMP_OK;
	case KEY_VCPUS:
		if (!parse_uint(&req->vcpus, value, 1, VMP_MAX_VCPUS)) {
			vmp_error_set("bad --vm '%s': vcpus must be between 1 and %d, not '%s'",
				      spec, VMP_MAX_VCPUS, value);
			return VMP_EINVAL;
		}
		return VMP_OK;
	case KEY_NUMA:
		if (!parse_uint(&req->numa_cells, value, 1, VMP_MAX_CELLS)) {
			vmp_error_set("bad --vm '%s': numa must be between 1 and %d, not '%s'",
				      spec, VMP_MAX_CELLS, value);
			return VMP_EINVAL;
		}
		return VMP_OK;
	case KEY_MEMORY:
	case KEY_HUGEPAGES:
		if (vmp_size_parse(&bytes, value) < 0)
			return size_error(spec, name, value);
		if (bytes == 0) {
			vmp_error_set("bad --vm '%s': %s must be more than 0, not '%s'", spec, name,
				      value);
			return VMP_EINVAL;
		}
		if (key == KEY_MEMORY)
			req->memory_bytes = bytes;
		else
			req->hugepage_bytes = bytes;
		return VMP_OK;
	case KEY_THREADS:
		if (strcmp(value, "prefer") == 0) {
			req->threads = VMP_THREADS_PREFER;
		} else if (strcmp(value, "isolate") == 0) {
			req->threads = VMP_THREADS_ISOLATE;
		} else if (strcmp(value, "require") == 0) {
			req->threads = VMP_THREADS_REQUIRE;
		} else {
			vmp_error_set("bad --vm '%s': threads must be prefer, isolate or require, "
				      "not '%s'",
				      spec, value);
			return VMP_EINVAL;
		}
		return VMP_OK;
	case KEY_EMULATOR:
		if (strcmp(value, "share") == 0) {
			req->emulator = VMP_EMULATOR_SHARE;
		} else if (strcmp(value, "isolate") == 0) {
			req->emulator = VMP_EMULATOR_ISOLATE;
		} else {
			vmp_error_set("bad --vm '%s': emulator must be share or isolate, not '%s'",
				      spec, value);
			return VMP_EINVAL;
		}
		return VMP_OK;
	case KEY_COUNT:
		break;
	}
	return VMP_EINVAL;
}

static void unknown_key(const char *spec, const char *key)
{
	char valid[128];
	size_t pos = 0;

	valid[0] = '\0';
	for (int k = 0; k < KEY_COUNT && pos < sizeof(valid); k++)
		pos += (size_t)snprintf(valid + pos, sizeof(valid) - pos, "%s%s", k ? ", " : "",
					key_names[k]);
	vmp_error_set("bad --vm '%s': unknown key '%s' (valid keys: %s)", spec, key, valid);
}

static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int vmp_spec_parse(vmp_vm_request *out, const char *spec)
{
	vmp_vm_request req = {0};
	bool seen[KEY_COUNT] = {false};
	char *copy, *item, *save = NULL;
	int err = VMP_EINVAL;
	int rc;

	if (!(copy = strdup(spec))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	if (*trim(copy) == '\0') {
		vmp_error_set("bad --vm '%s': the spec is empty", spec);
		goto out;
	}
	/* strtok_r() would skip empty items, and "a,,b" is more likely a typo than not. */
	for (item = copy; item; item = save) {
		char *eq, *key, *value;
		int k;

		if ((save = strchr(item, ',')))
			*save++ = '\0';
		if (*(key = trim(item)) == '\0') {
			vmp_error_set("bad --vm '%s': empty item", spec);
			goto out;
		}
		if (!(eq = strchr(key, '='))) {
			vmp_error_set("bad --vm '%s': '%s' is not key=value", spec, key);
			goto out;
		}
		*eq = '\0';
		key = trim(key);
		value = trim(eq + 1);
		for (k = 0; k < KEY_COUNT; k++)
			if (strcmp(key, key_names[k]) == 0)
				break;
		if (k == KEY_COUNT) {
			unknown_key(spec, key);
			goto out;
		}
		if (seen[k]) {
			vmp_error_set("bad --vm '%s': key '%s' is given twice", spec, key);
			goto out;
		}
		seen[k] = true;
		if ((rc = parse_value(&req, spec, k, value)) < 0) {
			err = rc;
			goto out;
		}
	}
	for (int k = KEY_NAME; k <= KEY_MEMORY; k++) {
		if (!seen[k]) {
			vmp_error_set("bad --vm '%s': missing key '%s' (name, vcpus and memory are "
				      "required)",
				      spec, key_names[k]);
			goto out;
		}
	}
	*out = req;
	err = VMP_OK;
out:
	free(copy);
	return err;
}
