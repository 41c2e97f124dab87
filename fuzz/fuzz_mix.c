/* Fuzz mix YAML: the input is a mix file given to vmp_mix_load. */
#include "fuzz.h"
#include "vmplan/error.h"
#include "vmplan/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vmp_vm_request *reqs = NULL;
	size_t n = 0;

	fuzz_write("mix.yaml", data, size);
	if (vmp_mix_load(&reqs, &n, fuzz_path("mix.yaml")) == VMP_OK) {
		for (size_t i = 0; i < n; i++)
			if (!reqs[i].name[0] || reqs[i].vcpus == 0)
				abort();
	} else if (!vmp_error_last()[0]) {
		abort();
	}
	free(reqs);
	return 0;
}
