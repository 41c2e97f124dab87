/* Fuzz vmp_spec_parse, the --vm SPEC parser (profiles come from the source tree's profiles/). */
#include "fuzz.h"
#include "vmplan/error.h"
#include "vmplan/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	vmp_vm_request req;

	memset(&req, 0, sizeof(req));
	if (vmp_spec_parse(&req, text) == VMP_OK) {
		/* A parsed request has what the header promises. */
		if (vmp_spec_check_name(req.name) != VMP_OK || req.vcpus == 0 ||
		    req.memory_bytes == 0)
			abort();
	} else if (!vmp_error_last()[0]) {
		abort();
	}
	free(text);
	return 0;
}
