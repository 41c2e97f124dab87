/* TEMPORARY STUB: being implemented in this session; must not be committed as done. */
#include "vmplan/error.h"
#include "vmplan/host_json.h"
#include "vmplan/probe.h"

int vmp_host_to_json(char **out, const vmp_host *host)
{
	(void)host;
	*out = NULL;
	vmp_error_set("host.json is not implemented yet");
	return VMP_EUNSUPPORTED;
}

int vmp_host_load_json(vmp_host **out, const char *path)
{
	(void)path;
	*out = NULL;
	vmp_error_set("host.json is not implemented yet");
	return VMP_EUNSUPPORTED;
}
