/* plan.json's "solver": what the exact solver proved about a batch plan (planner/milp.c). */
#ifndef VMPLAN_CORE_PLAN_JSON_SOLVER_H
#define VMPLAN_CORE_PLAN_JSON_SOLVER_H

#include <jansson.h>

#include "json.h"
#include "vmplan/model.h"

/* The "solver" object of a plan whose status is not VMP_SOLVER_NONE (NULL: out of memory). */
json_t *vmp_plan_solver_json(const vmp_plan_solver *sv);

/*
 * Read root's optional "solver" into out (left zeroed, VMP_SOLVER_NONE, where absent).
 * VMP_OK, or VMP_EINVAL with a message naming the field.
 */
int vmp_plan_solver_load(vmp_plan_solver *out, const vmp_json_ctx *c, json_t *root);

#endif
