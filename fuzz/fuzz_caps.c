/* Fuzz libvirt capabilities XML (vmp_libvirt_caps_parse) and domain XML applied to the result. */
#include "fuzz.h"
#include "vmplan/error.h"
#include "vmplan/host_json.h"
#include "vmplan/probe_libvirt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_piece p[2];
	int n = fuzz_split(p, 2, data, size);
	char *caps = fuzz_text(p[0].data, p[0].len), *dom = NULL, *json = NULL;
	vmp_host *h = NULL;

	/* An optional second part, after a "--" line, is a domain XML to take as used. */
	if (vmp_libvirt_caps_parse(&h, caps) == VMP_OK) {
		if (n > 1) {
			const char *doms[1];
			dom = fuzz_text(p[1].data, p[1].len);
			doms[0] = dom;
			vmp_libvirt_domains_apply(h, doms, 1);
		}
		/* What parses must be a model the rest of vmplan can use. */
		if (vmp_host_to_json(&json, h) != VMP_OK)
			abort();
	} else if (!vmp_error_last()[0]) {
		abort();
	}
	free(json);
	free(dom);
	vmp_host_free(h);
	free(caps);
	return 0;
}
