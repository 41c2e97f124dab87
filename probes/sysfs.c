/* TEMPORARY STUB: being implemented in this session; must not be committed as done. */
#include "vmplan/error.h"
#include "vmplan/host_json.h"
#include "vmplan/probe.h"

int vmp_probe_fsroot(vmp_host **out, const char *root)
{
	(void)root;
	*out = NULL;
	vmp_error_set("--fsroot is not implemented yet");
	return VMP_EUNSUPPORTED;
}

int vmp_probe_sysfs(vmp_host *host, const char *root)
{
	(void)host;
	(void)root;
	return VMP_OK;
}
