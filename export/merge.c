/* Merging a plan into domain XML files, and the line diff that --dry-run shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "internal.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"
#include "vmplan/xml.h"

int vmp_domain_xml_name(char *out, size_t size, const char *xml)
{
	xmlDocPtr doc = vmp_xml_parse(xml, strlen(xml), "domain.xml", 0, NULL, 0);
	xmlNodePtr root, n;
	int err = VMP_EINVAL;

	*out = '\0';
	if (!doc)
		return VMP_EINVAL;
	root = xmlDocGetRootElement(doc);
	for (n = root ? root->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, BAD_CAST "name")) {
			xmlChar *s = xmlNodeGetContent(n);
			snprintf(out, size, "%s", s ? (const char *)s : "");
			xmlFree(s);
			err = *out ? VMP_OK : VMP_EINVAL;
			break;
		}
	xmlFreeDoc(doc);
	return err;
}

int vmp_export_merge_file(bool *changed, const char *in_path, const char *out_path,
			  const vmp_plan_vm *vm)
{
	char bak[4096];

	return vmp_export_merge_file_backup(changed, bak, sizeof(bak), in_path, out_path, vm);
}

int vmp_export_merge_file_backup(bool *changed, char *bak, size_t bak_size, const char *in_path,
				 const char *out_path, const vmp_plan_vm *vm)
{
	char *old = NULL, *merged = NULL;
	size_t old_len, len;
	int err;

	*changed = false;
	if (bak_size)
		bak[0] = '\0';
	if (!out_path)
		out_path = in_path;
	if ((err = vmp_file_read(&old, &old_len, in_path, "domain XML")) < 0)
		return err;
	if ((err = vmp_export_libvirt_merge(&merged, &len, old, in_path, vm)) < 0)
		goto out;
	*changed = strcmp(old, merged) != 0;
	/* Nothing to change: the file stays as it is, and so does the backup of the original
	 * (a second merge used to overwrite it with the merged XML). */
	if (!*changed && !strcmp(out_path, in_path))
		goto out;
	/* The backup first: a failure after it leaves the old XML in both places. A new
	 * generation each time (.bak, .bak.1, ...), created exclusively, never through a link. */
	if ((err = vmp_file_backup(bak, bak_size, out_path, old, old_len)) < 0 ||
	    (err = vmp_file_write_atomic(out_path, merged, len)) < 0)
		goto out;
out:
	free(old);
	free(merged);
	return err;
}

/* Canonical text for the diff: XML re-indented by libxml2; anything else as it is. */
static char *canonical(const char *doc_text)
{
	xmlDocPtr doc;
	char *out = NULL;

	if (!*doc_text)
		return strdup("");
	doc = vmp_xml_parse(doc_text, strlen(doc_text), "doc.xml", XML_PARSE_NOBLANKS, NULL, 0);
	if (doc) {
		if (vmp_xml_dump(&out, NULL, doc) < 0)
			out = NULL;
		xmlFreeDoc(doc);
		if (out)
			return out;
	}
	return strdup(doc_text);
}

/* Split text into lines in place (the newlines become NULs). */
static char **split(char *text, int *n)
{
	int cap = 64, count = 0;
	char **lines = malloc((size_t)cap * sizeof(*lines));

	for (char *p = text; lines && *p;) {
		char *nl = strchr(p, '\n');
		if (count == cap) {
			char **nw = realloc(lines, (size_t)(cap *= 2) * sizeof(*lines));
			if (!nw) {
				free(lines);
				return NULL;
			}
			lines = nw;
		}
		lines[count++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	*n = count;
	return lines;
}

typedef struct out_buf {
	char *s;
	size_t len, cap;
	bool oom;
} out_buf;

static void put(out_buf *b, char prefix, const char *line)
{
	size_t need = strlen(line) + 3;

	if (b->oom)
		return;
	if (b->len + need > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *n;
		while (b->len + need > cap)
			cap *= 2;
		if (!(n = realloc(b->s, cap))) {
			b->oom = true;
			return;
		}
		b->s = n;
		b->cap = cap;
	}
	b->len += (size_t)sprintf(b->s + b->len, "%c%s\n", prefix, line);
}

#define CONTEXT 3

/* An edit script: ops[k] is ' ', '-' or '+', at line ai[k] of a and bi[k] of b. */
typedef struct script {
	char *ops;
	int *ai, *bi;
	int n;
} script;

/* The edit script from a to b along their longest common subsequence (lcs: scratch). */
static void script_build(script *s, int *lcs, char *const *a, int na, char *const *b, int nb)
{
#define L(i, j) lcs[(size_t)(i) * (size_t)(nb + 1) + (size_t)(j)]
	for (int i = na - 1; i >= 0; i--)
		for (int j = nb - 1; j >= 0; j--)
			L(i, j) = !strcmp(a[i], b[j])
				      ? L(i + 1, j + 1) + 1
				      : (L(i + 1, j) > L(i, j + 1) ? L(i + 1, j) : L(i, j + 1));
	s->n = 0;
	for (int i = 0, j = 0; i < na || j < nb;) {
		s->ai[s->n] = i;
		s->bi[s->n] = j;
		if (i < na && j < nb && !strcmp(a[i], b[j])) {
			s->ops[s->n++] = ' ';
			i++, j++;
		} else if (i < na && (j == nb || L(i + 1, j) >= L(i, j + 1))) {
			s->ops[s->n++] = '-';
			i++;
		} else {
			s->ops[s->n++] = '+';
			j++;
		}
	}
#undef L
}

/* Write the hunks of s into o, each with CONTEXT unchanged lines around its changes. */
static void script_hunks(out_buf *o, const script *s, char *const *a, char *const *b)
{
	const char *ops = s->ops;
	int nops = s->n;

	for (int k = 0; k < nops;) {
		int start, end, acount = 0, bcount = 0;
		char head[64];
		if (ops[k] == ' ') {
			k++;
			continue;
		}
		/* A hunk: the changes from k on, joined while less than 2*CONTEXT lines apart. */
		start = k - CONTEXT < 0 ? 0 : k - CONTEXT;
		while (start < k && ops[start] != ' ')
			start++;
		end = k;
		for (;;) {
			while (end < nops && ops[end] != ' ')
				end++;
			int gap = end;
			while (gap < nops && ops[gap] == ' ' && gap - end < 2 * CONTEXT)
				gap++;
			if (gap < nops && ops[gap] != ' ') {
				end = gap;
				continue;
			}
			end = end + CONTEXT < nops ? end + CONTEXT : nops;
			break;
		}
		for (int x = start; x < end; x++) {
			acount += ops[x] != '+';
			bcount += ops[x] != '-';
		}
		snprintf(head, sizeof(head), "@ -%d,%d +%d,%d @@", s->ai[start] + 1, acount,
			 s->bi[start] + 1, bcount);
		put(o, '@', head);
		for (int x = start; x < end; x++)
			put(o, ops[x], ops[x] == '+' ? b[s->bi[x]] : a[s->ai[x]]);
		k = end;
	}
}

int vmp_export_diff(char **out, const char *old_doc, const char *new_doc, const char *old_name,
		    const char *new_name)
{
	char *a_text = canonical(old_doc), *b_text = canonical(new_doc), **a = NULL, **b = NULL;
	int na = 0, nb = 0, *lcs = NULL, err = VMP_ENOMEM;
	script s = {0};
	out_buf o = {0};

	*out = NULL;
	if (!a_text || !b_text || !(a = split(a_text, &na)) || !(b = split(b_text, &nb)))
		goto out;
	if (!(lcs = calloc((size_t)(na + 1) * (size_t)(nb + 1), sizeof(int))) ||
	    !(s.ops = malloc((size_t)(na + nb + 1))) ||
	    !(s.ai = malloc(sizeof(int) * (na + nb + 1))) ||
	    !(s.bi = malloc(sizeof(int) * (na + nb + 1))))
		goto out;
	script_build(&s, lcs, a, na, b, nb);
	{
		bool any = false;
		for (int k = 0; k < s.n; k++)
			any |= s.ops[k] != ' ';
		if (!any) {
			*out = strdup("");
			err = *out ? VMP_OK : VMP_ENOMEM;
			goto out;
		}
	}
	{
		char head[600];
		snprintf(head, sizeof(head), "-- %s", old_name);
		put(&o, '-', head);
		snprintf(head, sizeof(head), "++ %s", new_name);
		put(&o, '+', head);
	}
	script_hunks(&o, &s, a, b);
	if (o.oom || !o.s) {
		free(o.s);
		goto out;
	}
	*out = o.s;
	err = VMP_OK;
out:
	if (err == VMP_ENOMEM)
		vmp_error_set("cannot compute the difference: out of memory");
	free(a_text);
	free(b_text);
	free(a);
	free(b);
	free(lcs);
	free(s.ops);
	free(s.ai);
	free(s.bi);
	return err;
}
