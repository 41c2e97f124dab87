/* Fuzz host.json: load it, and save what loads and load that again (it must load). */
#include "fuzz.h"
#include "vmplan/error.h"
#include "vmplan/host_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vmp_host *h = NULL, *back = NULL;
	char *json = NULL;

	fuzz_write("host.json", data, size);
	if (vmp_host_load_json(&h, fuzz_path("host.json")) != VMP_OK) {
		if (!vmp_error_last()[0])
			abort();
		return 0;
	}
	if (vmp_host_to_json(&json, h) != VMP_OK)
		abort();
	fuzz_write("back.json", json, strlen(json));
	if (vmp_host_load_json(&back, fuzz_path("back.json")) != VMP_OK) {
		fprintf(stderr, "saved host.json does not load: %s\n", vmp_error_last());
		abort();
	}
	free(json);
	vmp_host_free(back);
	vmp_host_free(h);
	return 0;
}
