/* Setting a VM request's fields by key, shared by --vm specs, profiles and mix files. */
#ifndef VMPLAN_REQUEST_H
#define VMPLAN_REQUEST_H

#include <stddef.h>

#include "vmplan/model.h"

/* One settable key, its accepted values, and what it does. */
typedef struct vmp_request_key {
	const char *name;
	const char *values; /* e.g. "prefer|isolate|require", "SIZE" */
	const char *help;
} vmp_request_key;

/**
 * The keys a request understands, in documentation order; *count gets their
 * number. The array is static.
 */
const vmp_request_key *vmp_request_keys(size_t *count);

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

/** A comma-separated list of the key names, for messages. */
void vmp_request_key_list(char *buf, size_t len);

#endif
