/* Reading libvirt's XML documents: numbers, sizes and cpusets out of attributes and XPath. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/error.h"
#include "vmplan/size.h"
#include "vmplan/xml.h"

#include "libvirt_internal.h"

int vmp_lvx_no_memory(void)
{
	vmp_error_set("out of memory");
	return VMP_ENOMEM;
}

int vmp_lvx_open(struct xdoc *x, const char *text, const char *what)
{
	size_t len = strlen(text);
	char why[256];

	x->what = what;
	x->ctx = NULL;
	x->doc = NULL;
	if (!(x->doc = vmp_xml_parse(text, len, NULL, 0, why, sizeof(why)))) {
		vmp_error_set("cannot parse %s: %s", what, why);
		return VMP_EINVAL;
	}
	x->ctx = xmlXPathNewContext(x->doc);
	return x->ctx ? VMP_OK : vmp_lvx_no_memory();
}

void vmp_lvx_close(struct xdoc *x)
{
	if (x->ctx)
		xmlXPathFreeContext(x->ctx);
	if (x->doc)
		xmlFreeDoc(x->doc);
}

/* Evaluate expr relative to at (the document when NULL); NULL on allocation failure. */
xmlXPathObjectPtr vmp_lvx_eval(struct xdoc *x, xmlNodePtr at, const char *expr)
{
	if (at)
		return xmlXPathNodeEval(at, BAD_CAST expr, x->ctx);
	return xmlXPathEvalExpression(BAD_CAST expr, x->ctx);
}

/*
 * The string value of expr (an XPath string() of it) below at, or NULL
 * when it is empty; free() it.
 */
char *vmp_lvx_string(struct xdoc *x, xmlNodePtr at, const char *expr)
{
	char buf[256];
	xmlXPathObjectPtr o;
	char *s = NULL;

	snprintf(buf, sizeof(buf), "string(%s)", expr);
	o = vmp_lvx_eval(x, at, buf);
	if (o && o->type == XPATH_STRING && o->stringval && o->stringval[0])
		s = strdup((const char *)o->stringval);
	xmlXPathFreeObject(o);
	return s;
}

/* Text as a whole non-negative decimal number. */
bool vmp_lvx_to_u64(uint64_t *out, const char *text)
{
	unsigned long long v;
	char *end;

	while (*text == ' ' || *text == '\t' || *text == '\n')
		text++;
	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/*
 * An attribute of n as a number. Absent: VMP_EINVAL when found is NULL
 * (it is required), else *found = false and out is left alone.
 */
int vmp_lvx_attr_u64(const struct xdoc *x, xmlNodePtr n, const char *name, uint64_t *out,
		     bool *found)
{
	char *v = (char *)xmlGetProp(n, BAD_CAST name);
	int err = VMP_OK;

	if (found)
		*found = v != NULL;
	if (!v) {
		if (found)
			return VMP_OK;
		vmp_error_set("cannot use %s: <%s> has no '%s'", x->what, (const char *)n->name,
			      name);
		return VMP_EINVAL;
	}
	if (!vmp_lvx_to_u64(out, v)) {
		vmp_error_set("cannot use %s: <%s %s='%s'> is not a whole number", x->what,
			      (const char *)n->name, name, v);
		err = VMP_EINVAL;
	}
	xmlFree(v);
	return err;
}

/* As vmp_lvx_attr_u64, for ids and counts that must fit an int. */
int vmp_lvx_attr_int(const struct xdoc *x, xmlNodePtr n, const char *name, int *out, bool *found)
{
	uint64_t v;
	bool here = true;
	int err = vmp_lvx_attr_u64(x, n, name, &v, found ? &here : NULL);

	if (found)
		*found = here;
	if (err < 0 || !here)
		return err;
	if (v > INT_MAX) {
		vmp_error_set("cannot use %s: <%s %s='%" PRIu64 "'> is too large", x->what,
			      (const char *)n->name, name, v);
		return VMP_EINVAL;
	}
	*out = (int)v;
	return VMP_OK;
}

/* value in libvirt's unit (KiB, MiB, bytes, KB, ...; deflt when unit is NULL) as bytes. */
int vmp_lvx_scaled(const struct xdoc *x, const char *value, const char *unit, const char *deflt,
		   uint64_t *out)
{
	char buf[128];
	uint64_t n;

	if (!unit)
		unit = deflt;
	if (!strcmp(unit, "bytes") || !strcmp(unit, "B"))
		unit = "b";
	snprintf(buf, sizeof(buf), "%s%s", value, unit);
	if (!vmp_lvx_to_u64(&n, value) || vmp_size_parse(out, buf) < 0) {
		vmp_error_set("cannot use %s: size '%s' with unit '%s'", x->what, value, unit);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* The size an element gives: its attribute vattr (its text when NULL) in its 'unit'. */
int vmp_lvx_elem_size(const struct xdoc *x, xmlNodePtr n, const char *vattr, const char *deflt,
		      uint64_t *out)
{
	char *v = vattr ? (char *)xmlGetProp(n, BAD_CAST vattr) : (char *)xmlNodeGetContent(n);
	char *unit = (char *)xmlGetProp(n, BAD_CAST "unit");
	int err;

	if (!v) {
		vmp_error_set("cannot use %s: <%s> has no '%s'", x->what, (const char *)n->name,
			      vattr ? vattr : "value");
		err = VMP_EINVAL;
	} else {
		err = vmp_lvx_scaled(x, v, unit, deflt, out);
	}
	xmlFree(v);
	xmlFree(unit);
	return err;
}

/* A cpuset attribute; VMP_EINVAL quoting the document when it is not libvirt's syntax. */
int vmp_lvx_parse_cpuset(const struct xdoc *x, vmp_cpuset *out, const char *text)
{
	char why[512];

	if (vmp_cpuset_parse(out, text) == VMP_OK)
		return VMP_OK;
	snprintf(why, sizeof(why), "%s", vmp_error_last());
	vmp_error_set("cannot use %s: %s", x->what, why);
	return VMP_EINVAL;
}

int vmp_lvx_attr_cpuset(const struct xdoc *x, xmlNodePtr n, const char *name, vmp_cpuset *out)
{
	char *v = (char *)xmlGetProp(n, BAD_CAST name);
	int err;

	if (!v) {
		vmp_error_set("cannot use %s: <%s> has no '%s'", x->what, (const char *)n->name,
			      name);
		return VMP_EINVAL;
	}
	err = vmp_lvx_parse_cpuset(x, out, v);
	xmlFree(v);
	return err;
}
