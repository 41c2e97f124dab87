/* Fuzz profile YAML: the input is fuzz.yaml in a directory VMPLAN_PROFILE_DIR names. */
#include "fuzz.h"
#include "vmplan/error.h"
#include "vmplan/profile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("VMPLAN_PROFILE_DIR", fuzz_dir(), 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vmp_vm_request req;

	memset(&req, 0, sizeof(req));
	fuzz_write("fuzz.yaml", data, size);
	if (vmp_profile_apply(&req, "fuzz") != VMP_OK && !vmp_error_last()[0])
		abort();
	return 0;
}
