/* TEMPORARY STUB: being implemented in this session; must not be committed as done. */
#include "vmplan/error.h"
#include "vmplan/host_json.h"
#include "vmplan/probe.h"

#include <string.h>
int vmp_probe_resctrl(vmp_resctrl *out, const char *root)
{
	(void)root;
	memset(out, 0, sizeof(*out));
	return VMP_OK;
}
