/* The one table of VM request keys: --vm specs, profiles, mix files, plan.json, help. */
#ifndef VMPLAN_REQUEST_H
#define VMPLAN_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmplan/model.h"

/* How a key's text ("8", "16G", "isolate") is parsed before it is stored. */
typedef enum vmp_key_parse {
	VMP_PARSE_HOOK = 0, /* only by the key's own set hook */
	VMP_PARSE_RANGE,    /* a decimal number in [min, max] */
	VMP_PARSE_QUOTA,    /* as RANGE, or -1 (unlimited) */
	VMP_PARSE_SIZE,     /* a size in bytes; "none" (0) where min is 0 */
	VMP_PARSE_KIB,      /* as SIZE, rounded up to a whole KiB as libvirt keeps it */
	VMP_PARSE_BOOL,     /* true/yes/on/1 or false/no/off/0 */
	VMP_PARSE_ENUM,     /* one of names[]; stored as its index */
	VMP_PARSE_SET,      /* names joined by '+' ("stream+latency"); stored as a bit mask */
	VMP_PARSE_PATH      /* an absolute path without control characters */
} vmp_key_parse;

/* How a field of vmp_vm_request is stored, which says how plan.json holds it. */
typedef enum vmp_field_type {
	VMP_FIELD_NONE = 0, /* no field (the end of a key's fields) */
	VMP_FIELD_TEXT,     /* char[size]: a JSON string */
	VMP_FIELD_UINT,     /* unsigned: a JSON integer */
	VMP_FIELD_INT,      /* int: a JSON integer */
	VMP_FIELD_U64,      /* uint64_t: a JSON integer */
	VMP_FIELD_I64,      /* int64_t: a JSON integer */
	VMP_FIELD_BOOL,     /* bool: true or false */
	VMP_FIELD_ENUM,     /* an enum (int-sized): the JSON string names[value] */
	VMP_FIELD_SET       /* unsigned bit mask: a JSON array of names; absent when 0 */
} vmp_field_type;

/* One field of vmp_vm_request that a key sets, as plan.json names and bounds it. */
typedef struct vmp_request_field {
	const char *json; /* its name in plan.json's request object */
	vmp_field_type type;
	size_t offset;    /* offsetof(vmp_vm_request, ...) */
	size_t size;      /* sizeof the field (the buffer, for TEXT) */
	int64_t min, max; /* what plan.json may hold (integers) */
} vmp_request_field;

#define VMP_KEY_FIELDS_MAX 2

/* One settable key, its accepted values, what it does, and where it is kept. */
typedef struct vmp_request_key {
	const char *name;
	const char *values; /* for help: e.g. "prefer|isolate|require", "SIZE" */
	const char *help;
	vmp_key_parse parse;
	const char *const *names; /* ENUM and SET: the values, NULL-terminated */
	int64_t min, max;         /* RANGE and QUOTA: the bounds; SIZE, KIB: min 0 allows none */
	/* Set the request from text instead of the parser above (e.g. "numa=auto"); the
	 * message names the key and quotes the value. NULL: parse as above into fields[0]. */
	int (*set)(vmp_vm_request *req, const struct vmp_request_key *key, const char *value);
	/* Check the fields together once plan.json has set them; on failure *field is the
	 * index into fields of the one to blame, with the message set. NULL: none. */
	int (*check)(const vmp_vm_request *req, size_t *field);
	int json_rank; /* the position of its fields in plan.json's request object */
	vmp_request_field fields[VMP_KEY_FIELDS_MAX]; /* what plan.json holds; ends at NONE */
} vmp_request_key;

/**
 * The keys a request understands, in documentation order; *count gets their
 * number. The array is static. Keys that are only refused (min_guarantee)
 * follow the documented ones and are counted only by vmp_request_keys_all().
 */
const vmp_request_key *vmp_request_keys(size_t *count);

/** Every key of the table, the refused ones included; *count gets their number. */
const vmp_request_key *vmp_request_keys_all(size_t *count);

/** The key called name, or NULL. */
const vmp_request_key *vmp_request_key_find(const char *name);

/**
 * Set one field of a request from its textual value, as a --vm spec, a
 * profile or a mix file writes it ("vcpus", "8"; "hugepages", "1G";
 * "locked", "true"). "name" is checked with vmp_spec_check_name(); "profile"
 * is only recorded (loading it is the caller's business).
 *
 * @return VMP_OK; VMP_ENOTFOUND for an unknown key (message: "unknown key
 *         'K'"); VMP_EINVAL for a bad value, with a message that names the
 *         key and quotes the value and that the caller prefixes with where
 *         it came from
 */
int vmp_request_set(vmp_vm_request *req, const char *key, const char *value);

/**
 * The name of value of the enumeration that key takes ("threads", 1: "isolate"); the
 * key's first value when value is out of range, "" when key takes no enumeration.
 */
const char *vmp_request_enum_name(const char *key, int value);

/* libvirt's names of a memory mode and a scheduler ("strict", "fifo"). */
const char *vmp_mem_mode_name(vmp_mem_mode mode);
const char *vmp_sched_name(vmp_sched sched);

/** A comma-separated list of the key names, for messages. */
void vmp_request_key_list(char *buf, size_t len);

/**
 * The name of names nearest to word (case aside; a swap of neighbours is one edit, a
 * prefix of three letters or more as good as one), for "did you mean"; NULL when none
 * is near enough to be a likely slip (1 edit for up to 4 letters, 2 up to 8, else 3).
 * Borrowed from names.
 */
const char *vmp_nearest_name(const char *word, const char *const *names, size_t n);

/** The request key nearest to key (vmp_nearest_name over the documented keys), or NULL. */
const char *vmp_request_key_suggest(const char *key);

/* Field access for the readers and writers of the table (plan.json, tests). */
static inline void *vmp_request_field_ptr(vmp_vm_request *req, const vmp_request_field *f)
{
	return (char *)req + f->offset;
}

static inline const void *vmp_request_field_cptr(const vmp_vm_request *req,
						 const vmp_request_field *f)
{
	return (const char *)req + f->offset;
}

#endif
