/* Fuzz vmp_cpuset_parse: any text parses or fails cleanly, and a parsed set survives a round trip.
 */
#include "fuzz.h"
#include "vmplan/cpuset.h"
#include "vmplan/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	static char buf[VMP_CPUSET_MAX * 6];
	vmp_cpuset set, back;

	if (vmp_cpuset_parse(&set, text) == VMP_OK) {
		size_t n = vmp_cpuset_format(buf, sizeof(buf), &set);
		if (n >= sizeof(buf))
			abort();
		/* The empty set formats as "" which the parser refuses by design. */
		if (!vmp_cpuset_empty(&set) &&
		    (vmp_cpuset_parse(&back, buf) != VMP_OK || !vmp_cpuset_equal(&set, &back)))
			abort();
	} else if (!vmp_cpuset_empty(&set) || !vmp_error_last()[0]) {
		abort(); /* the header promises an empty set and a message */
	}
	free(text);
	return 0;
}
