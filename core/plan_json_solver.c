/* plan.json's "solver" object: status, VMs placed and the bound, the gap, why no bound. */
#include <stdbool.h>

#include "plan_json_solver.h"
#include "vmplan/error.h"

/* By vmp_solver_status; "none" is never written. */
static const char *const status_names[] = {"none", "optimal", "feasible", "heuristic", NULL};

json_t *vmp_plan_solver_json(const vmp_plan_solver *sv)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "status", json_string(status_names[sv->status]));
	json_object_set_new(o, "placed", json_real(sv->placed));
	if (sv->status != VMP_SOLVER_HEURISTIC) {
		json_object_set_new(o, "bound", json_real(sv->bound));
		json_object_set_new(o, "gap", json_real(sv->bound - sv->placed));
	}
	if (sv->note[0])
		json_object_set_new(o, "note", json_string(sv->note));
	return o;
}

static int load_number(double *out, const vmp_json_ctx *c, json_t *o, const char *key,
		       bool required)
{
	json_t *v;
	int err;

	if ((err = vmp_json_field(&v, c, o, "solver", key, required)) < 0 || !v)
		return err;
	if (!json_is_number(v) || json_number_value(v) < 0)
		return vmp_json_bad(c, "solver", key, "expected a number of 0 or more");
	*out = json_number_value(v);
	return VMP_OK;
}

int vmp_plan_solver_load(vmp_plan_solver *out, const vmp_json_ctx *c, json_t *root)
{
	json_t *o;
	int err, status;

	if ((err = vmp_json_object(&o, c, root, "", "solver", false, false)) < 0 || !o)
		return err;
	if ((err = vmp_json_enum(&status, c, o, "solver", "status", true, status_names)) < 0 ||
	    (err = load_number(&out->placed, c, o, "placed", true)) < 0 ||
	    (err = load_number(&out->bound, c, o, "bound", status != VMP_SOLVER_HEURISTIC)) < 0 ||
	    (err = vmp_json_str(out->note, sizeof(out->note), c, o, "solver", "note", false)) < 0)
		return err;
	out->status = (vmp_solver_status)status;
	return VMP_OK;
}
