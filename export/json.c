/* The json export format: plan.json as core writes it (core/plan_json.c). */
#include <string.h>

#include "internal.h"
#include "vmplan/error.h"
#include "vmplan/plan_json.h"

static int export_json(char **out, size_t *len, const vmp_plan *plan, int vm,
		       const vmp_export_opts *opts)
{
	int err;

	(void)vm;
	(void)opts;
	if ((err = vmp_plan_to_json(out, plan)) < 0)
		return err;
	if (len)
		*len = strlen(*out);
	return VMP_OK;
}

const vmp_exporter vmp_exporter_json = {
    .name = "json",
    .ext = ".json",
    .per_vm = false,
    .file = "plan.json",
    .fn = export_json,
};
