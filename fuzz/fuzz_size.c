/* Fuzz vmp_size_parse: no crash, and what parses formats back to the same number of bytes. */
#include "fuzz.h"
#include "vmplan/error.h"
#include "vmplan/size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	uint64_t bytes = 12345, back = 0;
	char buf[64];

	if (vmp_size_parse(&bytes, text) == VMP_OK) {
		if (vmp_size_format(buf, sizeof(buf), bytes) >= sizeof(buf))
			abort();
		if (vmp_size_parse(&back, buf) != VMP_OK || back != bytes)
			abort();
	} else if (bytes != 12345 || !vmp_error_last()[0]) {
		abort(); /* untouched on failure, with a message */
	}
	free(text);
	return 0;
}
