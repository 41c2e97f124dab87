/* Reading XML text with libxml2 quietly (see vmplan/xml.h). */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

#include "vmplan/xml.h"

typedef struct first_error {
	bool any;
	int line;
	char text[200];
} first_error;

#if LIBXML_VERSION >= 21200
static void keep_first(void *ctx, const xmlError *e)
#else
static void keep_first(void *ctx, xmlErrorPtr e)
#endif
{
	first_error *f = ctx;

	if (f->any || !e || e->level < XML_ERR_ERROR || !e->message)
		return;
	f->any = true;
	f->line = e->line;
	snprintf(f->text, sizeof(f->text), "%s", e->message);
	f->text[strcspn(f->text, "\n")] = '\0';
	/* libxml2 ends some messages with a space or " !"; keep the words. */
	for (size_t n = strlen(f->text); n && (f->text[n - 1] == ' ' || f->text[n - 1] == '!');)
		f->text[--n] = '\0';
}

static void say_nothing(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

xmlDocPtr vmp_xml_parse(const char *text, size_t len, const char *name, int options, char *why,
			size_t why_size)
{
	/* libxml2 keeps these handlers per thread: set for this parse, then put back. */
	xmlStructuredErrorFunc old_structured = xmlStructuredError;
	void *old_structured_ctx = xmlStructuredErrorContext;
	xmlGenericErrorFunc old_generic = xmlGenericError;
	void *old_generic_ctx = xmlGenericErrorContext;
	first_error first = {0};
	xmlDocPtr doc = NULL;

	if (why && why_size)
		*why = '\0';
	if (len > INT_MAX) {
		if (why)
			snprintf(why, why_size, "larger than 2 GiB");
		return NULL;
	}
	xmlSetStructuredErrorFunc(&first, keep_first);
	xmlSetGenericErrorFunc(NULL, say_nothing);
	doc = xmlReadMemory(text, (int)len, name, NULL,
			    options | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
	if (!doc && why) {
		const xmlError *last = xmlGetLastError();
		if (first.any && first.line > 0)
			snprintf(why, why_size, "line %d: %s", first.line, first.text);
		else if (first.any)
			snprintf(why, why_size, "%s", first.text);
		else if (last && last->message)
			snprintf(why, why_size, "line %d: %.200s", last->line, last->message);
		else
			snprintf(why, why_size, "not well-formed");
		why[strcspn(why, "\n")] = '\0';
	}
	return doc;
}
