/* Fuzz plan.json: load it from a string, then write what loads in every export format. */
#include "fuzz.h"
#include "vmplan/error.h"
#include "vmplan/export.h"

static const char *const formats[] = {"libvirt", "salt", "json"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	vmp_export_opts opts = {0};
	vmp_plan *plan = NULL;

	if (vmp_plan_from_json(&plan, text, "fuzz.json") != VMP_OK) {
		if (!vmp_error_last()[0])
			abort();
		free(text);
		return 0;
	}
	/* A loaded plan is trusted by the exporters; they may refuse it but not crash. */
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		const vmp_exporter *e = vmp_exporter_find(formats[f]);
		for (int i = e->per_vm ? 0 : -1; i < (e->per_vm ? plan->nvms : 0); i++) {
			char *doc = NULL;
			if (i >= 0 && !plan->vms[i].placed)
				continue;
			e->fn(&doc, NULL, plan, i, &opts);
			free(doc);
		}
	}
	vmp_plan_free(plan);
	free(text);
	return 0;
}
