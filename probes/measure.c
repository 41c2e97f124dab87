/* TEMPORARY STUB: being implemented in this session; must not be committed as done. */
#include "vmplan/error.h"
#include "vmplan/host_json.h"
#include "vmplan/probe.h"

int vmp_probe_measure(vmp_host *host, vmp_measure_level level, vmp_progress_fn progress,
		      void *opaque)
{
	(void)host;
	(void)level;
	(void)progress;
	(void)opaque;
	vmp_error_set("--measure is not implemented yet");
	return VMP_EUNSUPPORTED;
}
