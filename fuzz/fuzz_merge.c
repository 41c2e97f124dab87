/* Fuzz merging a plan into an existing domain XML: no crash, and merging twice changes nothing. */
#include "fuzz.h"
#include "vmplan/error.h"
#include "vmplan/export.h"

static vmp_plan *plan;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The golden plan sets every tuning element: pins, cells, hugepages, cache, membw. */
	if (vmp_plan_load_json(&plan, VMPLAN_SOURCE_DIR "/tests/golden/full/plan.json") < 0) {
		fprintf(stderr, "fuzz_merge: %s\n", vmp_error_last());
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *xml = fuzz_text(data, size), *once = NULL, *twice = NULL;
	/* The first byte picks the placed VM so that both shapes of plan are merged. */
	const vmp_plan_vm *vm = &plan->vms[size && (data[0] & 1) ? 1 : 0];

	if (vmp_export_libvirt_merge(&once, NULL, xml, "fuzz.xml", vm) == VMP_OK) {
		if (vmp_export_libvirt_merge(&twice, NULL, once, "merged", vm) != VMP_OK) {
			fprintf(stderr, "merged XML does not merge: %s\n", vmp_error_last());
			abort();
		}
		if (strcmp(once, twice)) {
			fprintf(stderr, "merging twice changed:\n%s\n---\n%s\n", once, twice);
			abort();
		}
	} else if (!vmp_error_last()[0]) {
		abort();
	}
	free(twice);
	free(once);
	free(xml);
	return 0;
}
