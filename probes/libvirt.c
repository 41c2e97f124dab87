/* TEMPORARY STUB: being implemented in this session; must not be committed as done. */
#include "vmplan/error.h"
#include "vmplan/host_json.h"
#include "vmplan/probe.h"

int vmp_probe_libvirt(vmp_host **out, const char *uri)
{
	(void)uri;
	*out = NULL;
	vmp_error_set("--connect is not implemented yet");
	return VMP_EUNSUPPORTED;
}
