/* Build the host model from a libvirt connection: capabilities, free memory and pages, domains. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>

#include "vmplan/error.h"
#include "vmplan/probe.h"
#include "vmplan/probe_libvirt.h"

#include "libvirt_internal.h"

/* libvirt prints every error on stderr by default; vmplan reports them itself. */
static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

/* The same for libxml2's generic errors, which a driver's own XML parsing may raise. */
static void quiet_xml(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/*
 * Free memory and pages per node where the driver tells, kept no larger than
 * what the capabilities say is there.
 */
static void read_free(vmp_host *h, virConnectPtr conn)
{
	const char *type = virConnectGetType(conn);
	/*
	 * The test driver returns its cells' size in KiB where
	 * virNodeGetCellsFreeMemory promises bytes (test_driver.c); its figure
	 * would say 1/1024 of the memory is free. Treat it as unknown.
	 */
	bool cells_free = !(type && !strcmp(type, "TEST"));

	for (int i = 0; i < h->nnodes; i++) {
		vmp_node *node = &h->nodes[i];
		unsigned long long f;

		if (cells_free && virNodeGetCellsFreeMemory(conn, &f, node->id, 1) == 1 &&
		    f <= node->free_bytes)
			node->free_bytes = f;
		for (int k = 0; k < node->nhugepages; k++) {
			unsigned int size = (unsigned int)node->hugepages[k].size_kib;
			unsigned long long count = ULLONG_MAX;

			/* The test driver fills counts yet returns 0; the sentinel tells. */
			if (virNodeGetFreePages(conn, 1, &size, node->id, 1, &count, 0) >= 0 &&
			    count != ULLONG_MAX && count < node->hugepages[k].free)
				node->hugepages[k].free = count;
		}
	}
}

static bool named_in(const char *name, const char *const *names, int n)
{
	for (int i = 0; name && i < n; i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* Every domain's XML but those being planned again, into the host as used resources. */
static int read_domains(vmp_host *h, virConnectPtr conn, const char *uri,
			const char *const *replanned, int nreplanned)
{
	virDomainPtr *doms = NULL;
	char **xmls = NULL;
	int n, nx = 0, err = VMP_OK;

	n = virConnectListAllDomains(conn, &doms, 0);
	if (n < 0) {
		vmp_error_set("cannot list the domains at '%s': %s", uri, virGetLastErrorMessage());
		return VMP_ESYS;
	}
	xmls = calloc(n ? n : 1, sizeof(*xmls));
	if (!xmls) {
		err = vmp_lvx_no_memory();
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (named_in(virDomainGetName(doms[i]), replanned, nreplanned))
			continue;
		char *xml = virDomainGetXMLDesc(doms[i], 0);

		if (xml) {
			xmls[nx++] = xml;
			continue;
		}
		/* Undefined since it was listed: nothing of it left to count. */
		if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
			continue;
		vmp_error_set("cannot read domain '%s' at '%s': %s", virDomainGetName(doms[i]), uri,
			      virGetLastErrorMessage());
		err = VMP_ESYS;
		goto out;
	}
	err = vmp_libvirt_domains_apply(h, (const char *const *)xmls, nx);
out:
	for (int i = 0; i < nx; i++)
		free(xmls[i]);
	free(xmls);
	for (int i = 0; i < n; i++)
		virDomainFree(doms[i]);
	free(doms);
	return err;
}

/* Read-only first (all a probe needs); a read-write connection where read-only is refused. */
static virConnectPtr connect_to(const char *uri, const char *shown)
{
	char why[512];
	virConnectPtr conn;
	xmlGenericErrorFunc old_generic = xmlGenericError;
	void *old_generic_ctx = xmlGenericErrorContext;

	/* The test driver's libxml2 complains about a missing file on stderr; keep it quiet. */
	xmlSetGenericErrorFunc(NULL, quiet_xml);
	conn = virConnectOpenReadOnly(uri);
	if (!conn) {
		snprintf(why, sizeof(why), "%s", virGetLastErrorMessage());
		conn = virConnectOpen(uri);
	}
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
	if (!conn)
		vmp_error_set("cannot connect to libvirt at '%s': %s", shown, why);
	return conn;
}

int vmp_probe_libvirt(vmp_host **out, const char *uri)
{
	return vmp_probe_libvirt_replan(out, uri, NULL, 0);
}

int vmp_probe_libvirt_replan(vmp_host **out, const char *uri, const char *const *replanned,
			     int nreplanned)
{
	const char *shown = uri ? uri : "the default URI";
	char what[1024];
	virConnectPtr conn = NULL;
	char *caps = NULL, *hostname = NULL;
	vmp_host *h = NULL;
	int err;

	*out = NULL;
	/*
	 * Process-wide, and libvirt has no call that returns the handler it
	 * replaces; vmplan never wants libvirt's default (printing on stderr).
	 */
	virSetErrorFunc(NULL, quiet);
	if (!(conn = connect_to(uri, shown))) {
		err = VMP_ESYS;
		goto out;
	}
	if (!(caps = virConnectGetCapabilities(conn))) {
		vmp_error_set("cannot read the capabilities of '%s': %s", shown,
			      virGetLastErrorMessage());
		err = VMP_ESYS;
		goto out;
	}
	if ((err = vmp_host_new(&h)) < 0)
		goto out;
	snprintf(what, sizeof(what), "the capabilities of '%s'", shown);
	if ((err = vmp_libvirt_caps_fill(h, caps, what, conn)) < 0)
		goto out;
	read_free(h, conn);
	hostname = virConnectGetHostname(conn);
	snprintf(h->hostname, sizeof(h->hostname), "%s", hostname ? hostname : shown);
	if ((err = read_domains(h, conn, shown, replanned, nreplanned)) < 0 ||
	    (err = vmp_host_check(h)) < 0)
		goto out;
	*out = h;
	h = NULL;
out:
	vmp_host_free(h);
	free(hostname);
	free(caps);
	if (conn)
		virConnectClose(conn);
	return err;
}
