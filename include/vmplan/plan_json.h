/* plan.json: the plan as data for other tools, written and read back losslessly. */
#ifndef VMPLAN_PLAN_JSON_H
#define VMPLAN_PLAN_JSON_H

#include "vmplan/model.h"

/**
 * Serialise a plan as plan.json (see DESIGN.md): every plan field and, under
 * "request", every field of each VM's request (the fields of the request key
 * table, include/vmplan/request.h).
 * @param out a NUL-terminated string; the caller frees it with free()
 * @return VMP_OK or VMP_ENOMEM
 */
int vmp_plan_to_json(char **out, const vmp_plan *plan);

/**
 * Load a plan.json as vmp_plan_to_json() writes it; plan -> JSON -> plan is lossless.
 * Types and ranges are checked; a message names the file and the field.
 * @param out  the plan; the caller frees it with vmp_plan_free()
 * @param path the file
 * @return VMP_OK, VMP_ENOTFOUND when it cannot be read, VMP_EINVAL for content that is
 *         not a plan this version understands, VMP_ENOMEM
 */
int vmp_plan_load_json(vmp_plan **out, const char *path);

/** As vmp_plan_load_json() from a string; name is used in messages. */
int vmp_plan_from_json(vmp_plan **out, const char *text, const char *name);

#endif
