/* Test helpers: canonical XML comparison, libvirt RelaxNG and test-driver validation. */
#ifndef VMPLAN_TEST_XMLCHECK_H
#define VMPLAN_TEST_XMLCHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xpath.h>

#define LIBVIRT_DOMAIN_RNG "/usr/share/libvirt/schemas/domain.rng"

/* Canonical form (C14N, blanks dropped) of an XML document; NULL if it does not parse. */
static inline char *xml_canonical(const char *xml)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "mem.xml", NULL,
				      XML_PARSE_NOBLANKS | XML_PARSE_NONET);
	xmlChar *out = NULL;
	char *copy;

	if (!doc)
		return NULL;
	if (xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 0, &out) < 0)
		out = NULL;
	xmlFreeDoc(doc);
	if (!out)
		return NULL;
	copy = strdup((const char *)out);
	xmlFree(out);
	return copy;
}

static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

/* 0 when xml validates against libvirt's domain schema, 1 when it does not, -1 when the
 * schema is missing (the caller skips). */
static inline int xml_validate_rng(const char *xml)
{
	static xmlRelaxNGPtr schema;
	xmlRelaxNGValidCtxtPtr v;
	xmlDocPtr doc;
	int rc;

	if (access(LIBVIRT_DOMAIN_RNG, R_OK) != 0)
		return -1;
	if (!schema) {
		xmlRelaxNGParserCtxtPtr p = xmlRelaxNGNewParserCtxt(LIBVIRT_DOMAIN_RNG);
		schema = xmlRelaxNGParse(p);
		xmlRelaxNGFreeParserCtxt(p);
		if (!schema)
			return -1;
	}
	if (!(doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, XML_PARSE_NONET)))
		return 1;
	v = xmlRelaxNGNewValidCtxt(schema);
	rc = xmlRelaxNGValidateDoc(v, doc);
	xmlRelaxNGFreeValidCtxt(v);
	xmlFreeDoc(doc);
	return rc == 0 ? 0 : 1;
}

static void quiet_libvirt(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

/* 0 when libvirt's test driver defines the domain with VIR_DOMAIN_DEFINE_VALIDATE (and it is
 * undefined again); 1 with the message printed when it refuses; -1 when no connection. */
static inline int xml_define_test_driver(const char *xml)
{
	virConnectPtr conn;
	virDomainPtr dom;

	virSetErrorFunc(NULL, quiet_libvirt);
	if (!(conn = virConnectOpen("test:///default")))
		return -1;
	dom = virDomainDefineXMLFlags(conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
	if (!dom) {
		virErrorPtr e = virGetLastError();
		fprintf(stderr, "libvirt refuses the XML: %s\n%s\n", e ? e->message : "?", xml);
		virConnectClose(conn);
		return 1;
	}
	virDomainUndefine(dom);
	virDomainFree(dom);
	virConnectClose(conn);
	return 0;
}

#endif
