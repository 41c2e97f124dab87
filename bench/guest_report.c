/* The guest engine's gate and the engine's fields of results.json. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vmplan/bench.h"
#include "vmplan/error.h"

const char *vmp_bench_engine_name(vmp_bench_engine e)
{
	return e == VMP_BENCH_ENGINE_GUEST ? "guest" : "host";
}

bool vmp_bench_engine_gate(const vmp_bench_run *run)
{
	bool pass = true;

	if (run->engine == VMP_BENCH_ENGINE_HOST)
		return vmp_bench_gate(NULL, NULL, run);
	for (int k = 0; k < run->nguest_checks; k++)
		pass &= run->guest_checks[k].ok;
	/* A guest run with no check made proved nothing. */
	pass &= run->nguest_checks > 0;
	if (run->perf_judged)
		pass &= vmp_bench_gate(NULL, NULL, run);
	return pass;
}

int vmp_bench_report_json(char **out, const vmp_bench_run *run,
			  const struct vmp_bench_regression *regs, int nregs)
{
	bool guest = run->engine == VMP_BENCH_ENGINE_GUEST;
	bool judged = !guest || run->perf_judged;
	char *base = NULL;
	json_t *root = NULL, *checks;
	int err;

	*out = NULL;
	if ((err = vmp_bench_to_json(&base, run, regs, nregs)) < 0)
		return err;
	err = VMP_ENOMEM;
	if (!(root = json_loads(base, 0, NULL)) || !json_is_object(root))
		goto out;
	json_object_set_new(root, "engine", json_string(vmp_bench_engine_name(run->engine)));
	json_object_set_new(root, "accel", guest ? json_string(run->accel) : json_null());
	json_object_set_new(root, "performance_judged", json_boolean(judged));
	json_object_set_new(root, "decided_by",
			    json_string(judged ? guest ? "placement and topology checks and "
							 "performance"
						       : "placement checks and performance"
					       : "placement and topology checks"));
	json_object_set_new(root, "gate_pass", json_boolean(vmp_bench_engine_gate(run)));
	if (guest) {
		json_t *gate = json_object_get(root, "gate"), *items, *it;
		size_t i;

		/* The gate object speaks for the whole gate: the checks and, where judged, the
		 * performance; under TCG its items keep their figures but give no verdict. */
		if (json_is_object(gate)) {
			json_object_set_new(gate, "performance_pass",
					    judged ? json_boolean(vmp_bench_gate(NULL, NULL, run))
						   : json_null());
			json_object_set_new(gate, "pass", json_boolean(vmp_bench_engine_gate(run)));
			json_object_set_new(gate, "decided_by",
					    json_string(judged ? "checks and performance"
							       : "placement and topology checks"));
			items = json_object_get(gate, "items");
			json_array_foreach(items, i, it) if (!judged)
			    json_object_set_new(it, "verdict", json_string("not judged"));
		}
		if (!(checks = json_array()))
			goto out;
		json_object_set_new(root, "guest_checks", checks);
		for (int k = 0; k < run->nguest_checks; k++) {
			const vmp_bench_guest_check *c = &run->guest_checks[k];

			json_array_append_new(checks,
					      json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "vm",
							c->vm, "what", c->what, "source", c->source,
							"expected", c->expected, "found", c->found,
							"ok", c->ok, "skipped", c->skipped));
		}
	}
	if ((*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
		err = VMP_OK;
out:
	if (err < 0)
		vmp_error_set("cannot write the bench results: out of memory");
	json_decref(root);
	free(base);
	return err;
}
