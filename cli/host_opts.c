/* The host options every command shares: --host, --topology, --synthetic, --fsroot, --connect. */
#include <stddef.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/host_json.h"
#include "vmplan/probe.h"

int cli_host_option(cli_host_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_HOST:
		o->host_json = arg;
		return 1;
	case OPT_TOPOLOGY:
		o->topology = arg;
		return 1;
	case OPT_SYNTHETIC:
		o->synthetic = arg;
		return 1;
	case OPT_FSROOT:
		o->fsroot = arg;
		return 1;
	case OPT_CONNECT:
		o->connect = arg;
		return 1;
	default:
		return 0;
	}
}

int cli_load_host(vmp_host **out, const cli_host_opts *o)
{
	int n = !!o->host_json + !!o->topology + !!o->synthetic + !!o->fsroot + !!o->connect;

	*out = NULL;
	if (n > 1) {
		vmp_error_set("--host, --topology, --synthetic, --fsroot and --connect each name a "
			      "host; give one");
		return VMP_EINVAL;
	}
	if (o->host_json)
		return vmp_host_load_json(out, o->host_json);
	if (o->topology)
		return vmp_probe_xml(out, o->topology);
	if (o->synthetic)
		return vmp_probe_synthetic(out, o->synthetic);
	if (o->fsroot)
		return vmp_probe_fsroot(out, o->fsroot);
	if (o->connect)
		return vmp_probe_libvirt(out, o->connect);
	return vmp_probe_live(out);
}
