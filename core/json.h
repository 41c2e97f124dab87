/* core's typed JSON getters: every one checks its field and names it in the message. */
#ifndef VMPLAN_CORE_JSON_H
#define VMPLAN_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vmplan/cpuset.h"

/*
 * The two documents read through these getters word their messages as their users'
 * scripts and tests know them: host.json says "numa_nodes[0].id must be an integer from 0
 * to 4096", plan.json "vms[0].request.vcpus: 0 is out of range [1, 1024]".
 */
typedef enum vmp_json_dialect {
	VMP_JSON_HOST = 0, /* "WHERE.KEY must be ...", "is missing" */
	VMP_JSON_PLAN      /* "WHERE.KEY: expected ...", "missing" */
} vmp_json_dialect;

/* What is being read, for messages: "cannot load KIND 'FILE': ...". */
typedef struct vmp_json_ctx {
	const char *kind; /* "host", "plan" */
	const char *file;
	vmp_json_dialect dialect;
} vmp_json_ctx;

/**
 * Fail with "cannot load KIND 'FILE': WHERE.KEY what" (host) or "...: WHERE.KEY: what"
 * (plan); where may be "" and key NULL or "" (a problem with the whole document).
 * @return VMP_EINVAL
 */
int vmp_json_bad(const vmp_json_ctx *c, const char *where, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** "cannot load KIND 'FILE': out of memory" (host: "cannot load host: out of memory"). */
int vmp_json_no_memory(const vmp_json_ctx *c);

/*
 * The getters: obj[key], checked. Absent and required is an error; absent and optional
 * leaves *out as it is (and *v NULL) and returns VMP_OK. where is the path of obj
 * ("vms[1].request"), "" at the top.
 */
int vmp_json_field(json_t **v, const vmp_json_ctx *c, json_t *obj, const char *where,
		   const char *key, bool required);
/** An integer in [min, max]. */
int vmp_json_int64(int64_t *out, const vmp_json_ctx *c, json_t *obj, const char *where,
		   const char *key, bool required, int64_t min, int64_t max);
int vmp_json_int(int *out, const vmp_json_ctx *c, json_t *obj, const char *where, const char *key,
		 bool required, int min, int max);
/** An integer in [0, INT32_MAX]. */
int vmp_json_uint(unsigned *out, const vmp_json_ctx *c, json_t *obj, const char *where,
		  const char *key, bool required);
/** A non-negative integer. */
int vmp_json_u64(uint64_t *out, const vmp_json_ctx *c, json_t *obj, const char *where,
		 const char *key, bool required);
int vmp_json_bool(bool *out, const vmp_json_ctx *c, json_t *obj, const char *where, const char *key,
		  bool required);
/** A string that fits in size bytes with its NUL (and holds no NUL). */
int vmp_json_str(char *out, size_t size, const vmp_json_ctx *c, json_t *obj, const char *where,
		 const char *key, bool required);
/** One of names (NULL-terminated); its index. */
int vmp_json_enum(int *out, const vmp_json_ctx *c, json_t *obj, const char *where, const char *key,
		  bool required, const char *const *names);
/** A cpuset string; "" is the empty set where may_be_empty. */
int vmp_json_cpuset(vmp_cpuset *out, const vmp_json_ctx *c, json_t *obj, const char *where,
		    const char *key, bool required, bool may_be_empty);
/** An array (with nullable, null gives *v NULL). */
int vmp_json_array(json_t **v, const vmp_json_ctx *c, json_t *obj, const char *where,
		   const char *key, bool required, bool nullable);
/** An object (with nullable, null gives *v NULL). */
int vmp_json_object(json_t **v, const vmp_json_ctx *c, json_t *obj, const char *where,
		    const char *key, bool required, bool nullable);

/** A cpuset as a JSON string (NULL when out of memory). */
json_t *vmp_json_cpuset_new(const vmp_cpuset *set);

#endif
