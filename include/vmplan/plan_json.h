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

/**
 * Check a loaded plan against the host it is used with: every pin (vCPUs, emulator, I/O
 * threads) on a CPU the host has online, every cell on a node it has.
 * @param name  the plan's file, for the message
 * @return VMP_OK, or VMP_EINVAL naming the VM and the CPU or node the host lacks
 */
int vmp_plan_check_host(const vmp_plan *plan, const char *name, const vmp_host *host);

#endif
