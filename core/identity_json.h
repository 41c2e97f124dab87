/* plan.json's "identity" and "host_free" objects (core-internal). */
#ifndef VMPLAN_CORE_IDENTITY_JSON_H
#define VMPLAN_CORE_IDENTITY_JSON_H

#include "json.h"
#include "vmplan/model.h"

/* Add "identity" and "host_free" to root when id->present; nothing otherwise. */
void vmp_identity_json_add(json_t *root, const vmp_host_identity *id);

/*
 * Read root's "identity" (and "host_free") into out. Absent (a plan written before
 * identities) leaves out->present false and is not an error.
 * @return VMP_OK or VMP_EINVAL naming the field
 */
int vmp_identity_json_load(vmp_host_identity *out, const vmp_json_ctx *c, json_t *root);

#endif
