/* What plan.json's reader (plan_json.c) and writer (plan_json_write.c) share. */
#ifndef VMPLAN_CORE_PLAN_JSON_INTERNAL_H
#define VMPLAN_CORE_PLAN_JSON_INTERNAL_H

#include <stddef.h>

#include "vmplan/model.h"
#include "vmplan/request.h"

/* vmp_bind, as plan.json's refused_by names it; NULL-terminated. */
extern const char *const vmp_plan_bind_keys[];

#define VMP_PLAN_JSON_MAX_KEYS 64

/* The request keys in the order their fields appear in plan.json; returns their number. */
size_t vmp_plan_json_keys_in_order(const vmp_request_key *order[VMP_PLAN_JSON_MAX_KEYS]);

#endif
