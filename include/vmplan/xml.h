/* Reading XML text with libxml2 quietly: its complaints become a message, not stderr. */
#ifndef VMPLAN_XML_H
#define VMPLAN_XML_H

#include <stddef.h>

#include <libxml/tree.h>

/**
 * Parse len bytes of XML text (name: what libxml2 calls the document, may be NULL) with
 * libxml2's options plus XML_PARSE_NONET, XML_PARSE_NOERROR and XML_PARSE_NOWARNING.
 * Nothing reaches stderr, not even the encoding errors that libxml2 reports outside the
 * parser. On failure returns NULL and writes the first error into why ("line N: text", or
 * "not well-formed" when libxml2 said nothing); why may be NULL.
 */
xmlDocPtr vmp_xml_parse(const char *text, size_t len, const char *name, int options, char *why,
			size_t why_size);

#endif
