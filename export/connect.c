/* Connecting to libvirt for define, verify and export --domain, with libvirt's stderr quiet. */
#include <stdlib.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "internal.h"
#include "vmplan/error.h"

/* libvirt prints every error on stderr by default; vmplan reports them itself. */
static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

const char *vmp_libvirt_last_error(void)
{
	virErrorPtr e = virGetLastError();

	return e && e->message ? e->message : "unknown libvirt error";
}

int vmp_libvirt_open(virConnectPtr *out, const char *uri, vmp_conn_mode mode)
{
	virSetErrorFunc(NULL, quiet);
	*out = NULL;
	if (mode != VMP_CONN_WRITE)
		*out = virConnectOpenReadOnly(uri);
	if (!*out && mode != VMP_CONN_READ)
		*out = virConnectOpen(uri);
	if (!*out) {
		vmp_error_set("cannot connect to '%s': %s", uri, vmp_libvirt_last_error());
		return VMP_ESYS;
	}
	return VMP_OK;
}

int vmp_export_domain_xml(char **out, const char *uri, const char *domain)
{
	virConnectPtr conn;
	virDomainPtr dom;
	int err = VMP_OK;

	*out = NULL;
	if ((err = vmp_libvirt_open(&conn, uri, VMP_CONN_READ)) < 0)
		return err;
	if (!(dom = virDomainLookupByName(conn, domain))) {
		vmp_error_set("no domain '%s' on '%s'", domain, uri);
		err = VMP_ENOTFOUND;
		goto out;
	}
	*out = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
	virDomainFree(dom);
	if (!*out) {
		vmp_error_set("cannot read domain '%s': %s", domain, vmp_libvirt_last_error());
		err = VMP_ESYS;
	}
out:
	virConnectClose(conn);
	return err;
}
