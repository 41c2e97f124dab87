/* Typed JSON getters for host.json and plan.json, with messages that name the field. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "vmplan/error.h"

/* Room for the longest cpuset: every other CPU of VMP_CPUSET_MAX, 5 bytes each. */
#define CPUSET_TEXT_MAX (VMP_CPUSET_MAX / 2 * 5 + 16)

#define PLAN(c) ((c)->dialect == VMP_JSON_PLAN)

int vmp_json_bad(const vmp_json_ctx *c, const char *where, const char *key, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!key)
		key = "";
	if (!*where && !*key)
		vmp_error_set("cannot load %s '%s': %s", c->kind, c->file, what);
	else
		vmp_error_set("cannot load %s '%s': %s%s%s%s%s", c->kind, c->file, where,
			      *where && *key ? "." : "", key, PLAN(c) ? ": " : " ", what);
	return VMP_EINVAL;
}

int vmp_json_no_memory(const vmp_json_ctx *c)
{
	if (PLAN(c))
		vmp_error_set("cannot load %s '%s': out of memory", c->kind, c->file);
	else
		vmp_error_set("cannot load %s: out of memory", c->kind);
	return VMP_ENOMEM;
}

int vmp_json_field(json_t **v, const vmp_json_ctx *c, json_t *obj, const char *where,
		   const char *key, bool required)
{
	*v = json_object_get(obj, key);
	if (!*v && required)
		return vmp_json_bad(c, where, key, PLAN(c) ? "missing" : "is missing");
	return VMP_OK;
}

int vmp_json_int64(int64_t *out, const vmp_json_ctx *c, json_t *obj, const char *where,
		   const char *key, bool required, int64_t min, int64_t max)
{
	json_t *v;
	int err;

	if ((err = vmp_json_field(&v, c, obj, where, key, required)) < 0 || !v)
		return err;
	if (PLAN(c)) {
		if (!json_is_integer(v))
			return vmp_json_bad(c, where, key, "expected an integer");
		if (json_integer_value(v) < min || json_integer_value(v) > max)
			return vmp_json_bad(c, where, key,
					    "%" JSON_INTEGER_FORMAT " is out of range [%" PRId64
					    ", %" PRId64 "]",
					    json_integer_value(v), min, max);
	} else if (!json_is_integer(v) || json_integer_value(v) < min ||
		   json_integer_value(v) > max) {
		if (min == 0 && (!json_is_integer(v) || json_integer_value(v) < 0))
			return vmp_json_bad(c, where, key, "must be a non-negative integer");
		return vmp_json_bad(c, where, key,
				    "must be an integer from %" PRId64 " to %" PRId64, min, max);
	}
	*out = json_integer_value(v);
	return VMP_OK;
}

int vmp_json_int(int *out, const vmp_json_ctx *c, json_t *obj, const char *where, const char *key,
		 bool required, int min, int max)
{
	int64_t v = *out;
	int err;

	if ((err = vmp_json_int64(&v, c, obj, where, key, required, min, max)) < 0)
		return err;
	*out = (int)v;
	return VMP_OK;
}

int vmp_json_uint(unsigned *out, const vmp_json_ctx *c, json_t *obj, const char *where,
		  const char *key, bool required)
{
	int64_t v = *out;
	int err;

	if ((err = vmp_json_int64(&v, c, obj, where, key, required, 0, INT32_MAX)) < 0)
		return err;
	*out = (unsigned)v;
	return VMP_OK;
}

int vmp_json_u64(uint64_t *out, const vmp_json_ctx *c, json_t *obj, const char *where,
		 const char *key, bool required)
{
	int64_t v = (int64_t)*out;
	int err;

	if ((err = vmp_json_int64(&v, c, obj, where, key, required, 0, INT64_MAX)) < 0)
		return err;
	*out = (uint64_t)v;
	return VMP_OK;
}

int vmp_json_bool(bool *out, const vmp_json_ctx *c, json_t *obj, const char *where, const char *key,
		  bool required)
{
	json_t *v;
	int err;

	if ((err = vmp_json_field(&v, c, obj, where, key, required)) < 0 || !v)
		return err;
	if (!json_is_boolean(v))
		return vmp_json_bad(c, where, key,
				    PLAN(c) ? "expected true or false" : "must be true or false");
	*out = json_is_true(v);
	return VMP_OK;
}

int vmp_json_str(char *out, size_t size, const vmp_json_ctx *c, json_t *obj, const char *where,
		 const char *key, bool required)
{
	json_t *v;
	int err;

	if ((err = vmp_json_field(&v, c, obj, where, key, required)) < 0 || !v)
		return err;
	if (!json_is_string(v))
		return vmp_json_bad(c, where, key,
				    PLAN(c) ? "expected a string" : "must be a string");
	if (json_string_length(v) >= size || strlen(json_string_value(v)) != json_string_length(v))
		return vmp_json_bad(c, where, key,
				    PLAN(c) ? "longer than %zu bytes"
					    : "must be a string of at most %zu bytes",
				    size - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return VMP_OK;
}

int vmp_json_enum(int *out, const vmp_json_ctx *c, json_t *obj, const char *where, const char *key,
		  bool required, const char *const *names)
{
	char buf[64] = "", list[256] = "";
	int err;

	if ((err = vmp_json_str(buf, sizeof(buf), c, obj, where, key, required)) < 0)
		return err;
	if (!json_object_get(obj, key))
		return VMP_OK;
	for (int i = 0; names[i]; i++) {
		if (!strcmp(buf, names[i])) {
			*out = i;
			return VMP_OK;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 names[i]);
	}
	if (PLAN(c))
		return vmp_json_bad(c, where, key, "unknown value '%s' (expected one of %s)", buf,
				    list);
	return vmp_json_bad(c, where, key, "must be one of %s", list);
}

int vmp_json_cpuset(vmp_cpuset *out, const vmp_json_ctx *c, json_t *obj, const char *where,
		    const char *key, bool required, bool may_be_empty)
{
	json_t *v;
	int err;

	if ((err = vmp_json_field(&v, c, obj, where, key, required)) < 0 || !v)
		return err;
	if (PLAN(c)) {
		char buf[8192];

		if ((err = vmp_json_str(buf, sizeof(buf), c, obj, where, key, required)) < 0)
			return err;
	} else if (!json_is_string(v)) {
		return vmp_json_bad(c, where, key, "must be a cpuset string such as \"0-3,8\"");
	}
	if (!*json_string_value(v) && may_be_empty) {
		vmp_cpuset_zero(out);
		return VMP_OK;
	}
	if (vmp_cpuset_parse(out, json_string_value(v)) < 0) {
		if (PLAN(c)) {
			char why[512];

			snprintf(why, sizeof(why), "%s", vmp_error_last());
			return vmp_json_bad(c, where, key, "%s", why);
		}
		return vmp_json_bad(c, where, key,
				    "must be a cpuset string such as \"0-3,8\", not '%s'",
				    json_string_value(v));
	}
	return VMP_OK;
}

/* A field that must be an array or an object (what: "array" or "object"), or null where
 * nullable. plan.json and host.json word the complaint each their own way. */
static int json_container(json_t **v, const vmp_json_ctx *c, json_t *obj, const char *where,
			  const char *key, bool required, bool nullable, const char *what)
{
	bool array = !strcmp(what, "array");
	int err;

	if ((err = vmp_json_field(v, c, obj, where, key, required)) < 0 || !*v)
		return err;
	if (nullable && json_is_null(*v)) {
		*v = NULL;
		return VMP_OK;
	}
	if (array ? json_is_array(*v) : json_is_object(*v))
		return VMP_OK;
	if (PLAN(c))
		return vmp_json_bad(c, where, key, "expected %san %s", nullable ? "null or " : "",
				    what);
	return vmp_json_bad(c, where, key, "must be an %s%s", what, nullable ? " or null" : "");
}

int vmp_json_array(json_t **v, const vmp_json_ctx *c, json_t *obj, const char *where,
		   const char *key, bool required, bool nullable)
{
	return json_container(v, c, obj, where, key, required, nullable, "array");
}

int vmp_json_object(json_t **v, const vmp_json_ctx *c, json_t *obj, const char *where,
		    const char *key, bool required, bool nullable)
{
	return json_container(v, c, obj, where, key, required, nullable, "object");
}

json_t *vmp_json_cpuset_new(const vmp_cpuset *set)
{
	char *buf = malloc(CPUSET_TEXT_MAX);
	json_t *s;

	if (!buf)
		return NULL;
	vmp_cpuset_format(buf, CPUSET_TEXT_MAX, set);
	s = json_string(buf);
	free(buf);
	return s;
}
