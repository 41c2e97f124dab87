/* The --vm SPEC parser: "name=db,vcpus=8,memory=16G,..." into a VM request. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlstring.h>

#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/profile.h"
#include "vmplan/spec.h"

int vmp_spec_check_text(const char *what, const char *text)
{
	/* libxml2 checks the encoding: what is written into domain XML must be UTF-8. */
	if (!xmlCheckUTF8((const xmlChar *)text)) {
		vmp_error_set("%s is not valid UTF-8 text", what);
		return VMP_EINVAL;
	}
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			vmp_error_set("%s must not contain control characters", what);
			return VMP_EINVAL;
		}
	return VMP_OK;
}

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

#define MAX_ITEMS 64

int vmp_spec_parse(vmp_vm_request *out, const char *spec)
{
	const char *keys[MAX_ITEMS], *values[MAX_ITEMS];
	char *copy, *item, *save = NULL;
	size_t n = 0;
	int err = VMP_EINVAL;

	if (!(copy = strdup(spec))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	if (*vmp_str_trim(copy) == '\0') {
		vmp_error_set("bad --vm '%s': the spec is empty", spec);
		goto out;
	}
	/* strtok_r() would skip empty items, and "a,,b" is more likely a typo than not. */
	for (item = copy; item; item = save) {
		char *eq, *key;

		if ((save = strchr(item, ',')))
			*save++ = '\0';
		if (*(key = vmp_str_trim(item)) == '\0') {
			vmp_error_set("bad --vm '%s': empty item", spec);
			goto out;
		}
		if (!(eq = strchr(key, '='))) {
			vmp_error_set("bad --vm '%s': '%s' is not key=value", spec, key);
			goto out;
		}
		if (n == MAX_ITEMS) {
			vmp_error_set("bad --vm '%s': more than %d items", spec, MAX_ITEMS);
			goto out;
		}
		*eq = '\0';
		keys[n] = vmp_str_trim(key);
		values[n++] = vmp_str_trim(eq + 1);
	}
	if ((err = vmp_request_build(out, keys, values, n)) < 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", vmp_error_last());
		vmp_error_set("bad --vm '%s': %s", spec, msg);
		err = VMP_EINVAL;
	}
out:
	free(copy);
	return err;
}
