/* Report helpers: strings, one document written as HTML, Markdown and text, and gnuplot. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <jansson.h>
#include <unistd.h>

#include <libxml/HTMLtree.h>
#include <libxml/tree.h>

#include "reports/internal.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"

extern char **environ;

/* ---- strings ---- */

void rbuf_addn(rbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->s, cap))) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void rbuf_add(rbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	rbuf_addn(b, s, (size_t)n);
	free(s);
}

void rbuf_gp_str(rbuf *b, const char *text)
{
	rbuf_addn(b, "'", 1);
	for (const char *p = text; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\'')
			rbuf_addn(b, "''", 2);
		else if (c < 0x20 || c == 0x7f)
			rbuf_addn(b, " ", 1);
		else
			rbuf_addn(b, p, 1);
	}
	rbuf_addn(b, "'", 1);
}

char *rbuf_take(rbuf *b)
{
	char *s;

	if (b->oom) {
		free(b->s);
		memset(b, 0, sizeof(*b));
		return NULL;
	}
	s = b->s ? b->s : strdup("");
	memset(b, 0, sizeof(*b));
	return s;
}

/* ---- documents ---- */

void rdoc_init(rdoc *d, const char *title)
{
	memset(d, 0, sizeof(*d));
	d->cur = -1;
	if (!(d->title = strdup(title)))
		d->oom = true;
}

void rdoc_free(rdoc *d)
{
	for (int i = 0; i < d->n; i++) {
		free(d->b[i].text);
		free(d->b[i].alt);
		for (int c = 0; c < d->b[i].ncols * d->b[i].nrows; c++)
			free(d->b[i].cells[c]);
		free(d->b[i].cells);
	}
	free(d->b);
	free(d->title);
	memset(d, 0, sizeof(*d));
}

static rblock *add_block(rdoc *d, int kind)
{
	if (d->oom)
		return NULL;
	if (d->n == d->cap) {
		int cap = d->cap ? d->cap * 2 : 16;
		rblock *b = realloc(d->b, sizeof(*b) * (size_t)cap);
		if (!b) {
			d->oom = true;
			return NULL;
		}
		d->b = b;
		d->cap = cap;
	}
	memset(&d->b[d->n], 0, sizeof(d->b[d->n]));
	d->b[d->n].kind = kind;
	d->cur = -1;
	return &d->b[d->n++];
}

static void add_text(rdoc *d, int kind, const char *fmt, va_list ap)
{
	rblock *b = add_block(d, kind);

	if (b && vasprintf(&b->text, fmt, ap) < 0) {
		b->text = NULL;
		d->oom = true;
		d->n--;
	}
}

void rdoc_h2(rdoc *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_text(d, RB_H2, fmt, ap);
	va_end(ap);
}

void rdoc_p(rdoc *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_text(d, RB_P, fmt, ap);
	va_end(ap);
}

void rdoc_img(rdoc *d, const char *file, int w, int h, const char *alt)
{
	rblock *b = add_block(d, RB_IMG);

	if (!b)
		return;
	b->w = w;
	b->h = h;
	b->text = strdup(file);
	b->alt = strdup(alt);
	if (!b->text || !b->alt)
		d->oom = true;
}

void rdoc_table(rdoc *d, int ncols)
{
	rblock *b = add_block(d, RB_TABLE);

	if (!b)
		return;
	b->ncols = ncols;
	d->cur = d->n - 1;
}

void rdoc_cell(rdoc *d, const char *fmt, ...)
{
	rblock *b;
	va_list ap;
	char *s = NULL;
	int ncells;

	if (d->oom || d->cur < 0)
		return;
	b = &d->b[d->cur];
	ncells = b->nrows * b->ncols;
	/* Cells fill rows; a new row is counted when its first cell comes. */
	int filled = 0;
	for (int i = ncells - 1; i >= 0 && !b->cells[i]; i--)
		filled++;
	if (filled == 0) {
		char **c = realloc(b->cells, sizeof(*c) * (size_t)(ncells + b->ncols));
		if (!c) {
			d->oom = true;
			return;
		}
		memset(c + ncells, 0, sizeof(*c) * (size_t)b->ncols);
		b->cells = c;
		b->nrows++;
		ncells += b->ncols;
		filled = b->ncols;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		d->oom = true;
		va_end(ap);
		return;
	}
	va_end(ap);
	b->cells[ncells - filled] = s;
}

static const char *cell(const rblock *b, int r, int c)
{
	const char *s = b->cells[r * b->ncols + c];
	return s ? s : "";
}

static const char style[] = "body{font-family:sans-serif;margin:2em;max-width:72em}"
			    "table{border-collapse:collapse;margin:1em 0}"
			    "th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left}"
			    "th{background:#eee}img{max-width:100%;border:1px solid #ddd}";

int rdoc_html(char **out, size_t *len, const rdoc *d)
{
	htmlDocPtr doc = NULL;
	xmlNodePtr html, head, body, n;
	xmlChar *mem = NULL;
	int size = 0, err = VMP_ENOMEM;

	*out = NULL;
	if (d->oom || !(doc = htmlNewDocNoDtD(NULL, NULL)))
		goto out;
	xmlCreateIntSubset(doc, BAD_CAST "html", NULL, NULL);
	html = xmlNewNode(NULL, BAD_CAST "html");
	xmlDocSetRootElement(doc, html);
	xmlNewProp(html, BAD_CAST "lang", BAD_CAST "en");
	head = xmlNewChild(html, NULL, BAD_CAST "head", NULL);
	n = xmlNewChild(head, NULL, BAD_CAST "meta", NULL);
	xmlNewProp(n, BAD_CAST "charset", BAD_CAST "utf-8");
	xmlNewTextChild(head, NULL, BAD_CAST "title", BAD_CAST d->title);
	xmlNewTextChild(head, NULL, BAD_CAST "style", BAD_CAST style);
	body = xmlNewChild(html, NULL, BAD_CAST "body", NULL);
	xmlNewTextChild(body, NULL, BAD_CAST "h1", BAD_CAST d->title);
	for (int i = 0; i < d->n; i++) {
		const rblock *b = &d->b[i];
		char num[16];
		switch (b->kind) {
		case RB_H2:
			xmlNewTextChild(body, NULL, BAD_CAST "h2", BAD_CAST b->text);
			break;
		case RB_P:
			xmlNewTextChild(body, NULL, BAD_CAST "p", BAD_CAST b->text);
			break;
		case RB_IMG: {
			xmlNodePtr fig = xmlNewChild(body, NULL, BAD_CAST "figure", NULL);
			xmlNodePtr a = xmlNewChild(fig, NULL, BAD_CAST "a", NULL);
			xmlNewProp(a, BAD_CAST "href", BAD_CAST b->text);
			n = xmlNewChild(a, NULL, BAD_CAST "img", NULL);
			xmlNewProp(n, BAD_CAST "src", BAD_CAST b->text);
			xmlNewProp(n, BAD_CAST "alt", BAD_CAST b->alt);
			snprintf(num, sizeof(num), "%d", b->w);
			xmlNewProp(n, BAD_CAST "width", BAD_CAST num);
			snprintf(num, sizeof(num), "%d", b->h);
			xmlNewProp(n, BAD_CAST "height", BAD_CAST num);
			xmlNewTextChild(fig, NULL, BAD_CAST "figcaption", BAD_CAST b->alt);
			break;
		}
		case RB_TABLE: {
			xmlNodePtr t = xmlNewChild(body, NULL, BAD_CAST "table", NULL);
			for (int r = 0; r < b->nrows; r++) {
				xmlNodePtr tr = xmlNewChild(t, NULL, BAD_CAST "tr", NULL);
				for (int c = 0; c < b->ncols; c++)
					xmlNewTextChild(tr, NULL, BAD_CAST(r ? "td" : "th"),
							BAD_CAST cell(b, r, c));
			}
			break;
		}
		}
	}
	htmlDocDumpMemoryFormat(doc, &mem, &size, 1);
	if (!mem)
		goto out;
	if (!(*out = malloc((size_t)size + 1)))
		goto out;
	memcpy(*out, mem, (size_t)size);
	(*out)[size] = '\0';
	if (len)
		*len = (size_t)size;
	err = VMP_OK;
out:
	xmlFree(mem);
	xmlFreeDoc(doc);
	if (err < 0)
		vmp_error_set("out of memory");
	return err;
}

/* Escape only what Markdown would read as markup: emphasis, code, links, HTML, table
 * cells, and a heading, list or quote where the text starts. */
static void md_text(rbuf *b, const char *s)
{
	size_t digits = strspn(s, "0123456789");

	if (*s && strchr("#+-=", *s))
		rbuf_addn(b, "\\", 1);
	for (const char *p0 = s; *s; s++) {
		if (strchr("\\`*_[]<>|~", *s) ||
		    (digits && s == p0 + digits && (*s == '.' || *s == ')')))
			rbuf_addn(b, "\\", 1);
		if ((unsigned char)*s < 0x20)
			rbuf_addn(b, " ", 1);
		else
			rbuf_addn(b, s, 1);
	}
}

int rdoc_markdown(char **out, const rdoc *d)
{
	rbuf b = {0};

	rbuf_add(&b, "# ");
	md_text(&b, d->title);
	rbuf_add(&b, "\n");
	for (int i = 0; i < d->n; i++) {
		const rblock *k = &d->b[i];
		switch (k->kind) {
		case RB_H2:
			rbuf_add(&b, "\n## ");
			md_text(&b, k->text);
			rbuf_add(&b, "\n");
			break;
		case RB_P:
			rbuf_add(&b, "\n");
			md_text(&b, k->text);
			rbuf_add(&b, "\n");
			break;
		case RB_IMG:
			rbuf_add(&b, "\n![");
			md_text(&b, k->alt);
			rbuf_add(&b, "](%s)\n", k->text);
			break;
		case RB_TABLE:
			rbuf_add(&b, "\n");
			for (int r = 0; r < k->nrows; r++) {
				for (int c = 0; c < k->ncols; c++) {
					rbuf_add(&b, "| ");
					md_text(&b, cell(k, r, c));
					rbuf_add(&b, " ");
				}
				rbuf_add(&b, "|\n");
				if (r == 0) {
					for (int c = 0; c < k->ncols; c++)
						rbuf_add(&b, "|---");
					rbuf_add(&b, "|\n");
				}
			}
			break;
		}
	}
	if (!(*out = rbuf_take(&b))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	return VMP_OK;
}

/* A table as aligned columns; every column but the last padded to its widest cell. */
static void text_table(rbuf *b, const rblock *k)
{
	int *width = calloc((size_t)(k->ncols > 0 ? k->ncols : 1), sizeof(*width));

	if (!width) {
		b->oom = true;
		return;
	}
	for (int c = 0; c < k->ncols; c++)
		for (int r = 0; r < k->nrows; r++)
			if ((int)strlen(cell(k, r, c)) > width[c])
				width[c] = (int)strlen(cell(k, r, c));
	for (int r = 0; r < k->nrows; r++) {
		rbuf_add(b, " ");
		for (int c = 0; c < k->ncols; c++)
			rbuf_add(b, " %-*s", c == k->ncols - 1 ? 0 : width[c], cell(k, r, c));
		rbuf_add(b, "\n");
	}
	free(width);
}

/* A paragraph wrapped at spaces to fit a terminal of 80 columns. */
static void text_wrap(rbuf *b, const char *s)
{
	const size_t width = 79;

	while (strlen(s) > width) {
		size_t cut = width;
		while (cut > 0 && s[cut] != ' ')
			cut--;
		if (cut == 0) /* one long word: let it run over */
			cut = strcspn(s, " ");
		rbuf_addn(b, s, cut);
		rbuf_add(b, "\n");
		s += cut;
		while (*s == ' ')
			s++;
	}
	rbuf_add(b, "%s\n", s);
}

int rdoc_text(char **out, const rdoc *d)
{
	rbuf b = {0};

	rbuf_add(&b, "%s\n", d->title);
	for (int i = 0; i < d->n; i++) {
		const rblock *k = &d->b[i];
		switch (k->kind) {
		case RB_H2:
			rbuf_add(&b, "\n%s\n", k->text);
			break;
		case RB_P:
			text_wrap(&b, k->text);
			break;
		case RB_TABLE:
			text_table(&b, k);
			break;
		}
	}
	if (d->oom || !(*out = rbuf_take(&b))) {
		free(b.s);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	return VMP_OK;
}

/* ---- files and gnuplot ---- */

/*
 * The report being written (one at a time): every file of it goes into one set, committed
 * together by report_finish_docs() or not at all; gnuplot reads its script and data and
 * draws its charts in a work folder that a signal removes too.
 */
static vmp_fileset *report_set;
static char report_render[PATH_MAX];

void report_end(void)
{
	vmp_fileset_free(report_set);
	report_set = NULL;
	if (report_render[0])
		vmp_file_workdir_remove(report_render);
	report_render[0] = '\0';
}

int report_write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[PATH_MAX], copy[PATH_MAX];
	int err;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    snprintf(copy, sizeof(copy), "%s/%s", report_render, name) >= (int)sizeof(copy)) {
		vmp_error_set("cannot write into '%s': path too long", dir);
		return VMP_ESYS;
	}
	if (!report_set)
		return vmp_file_write_atomic(path, data, len);
	/* gnuplot reads its copy in the work folder; the file itself waits in the set. */
	if ((err = vmp_fileset_add(report_set, path, data, len)) < 0 ||
	    (err = vmp_file_write_atomic(copy, data, len)) < 0)
		return err;
	return VMP_OK;
}

int vmp_report_find_gnuplot(char *out, size_t size, const vmp_report_opts *opts)
{
	const char *prog = opts && opts->gnuplot ? opts->gnuplot : "gnuplot";
	const char *path = getenv("PATH");

	if (strchr(prog, '/')) {
		if (access(prog, X_OK) == 0 && snprintf(out, size, "%s", prog) < (int)size)
			return VMP_OK;
		vmp_error_set("cannot draw charts: '%s' is not an executable program", prog);
		return VMP_ESYS;
	}
	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		struct stat st;
		/* An empty entry means the current directory; never look there. */
		if (n && snprintf(out, size, "%.*s/%s", (int)n, path, prog) < (int)size &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return VMP_OK;
		path = end ? end + 1 : "";
	}
	vmp_error_set("cannot draw charts: '%s' is not on PATH; install it (Debian: apt-get "
		      "install gnuplot-nox)",
		      prog);
	return VMP_ESYS;
}

int report_prepare(char *gnuplot, size_t size, const vmp_report_opts *opts)
{
	int err;

	if (!opts || !opts->out_dir || !opts->out_dir[0]) {
		vmp_error_set("a report needs an output folder");
		return VMP_EINVAL;
	}
	if ((err = vmp_report_find_gnuplot(gnuplot, size, opts)) < 0 ||
	    (err = vmp_mkdir_p(opts->out_dir)) < 0)
		return err;
	report_end();
	if ((err = vmp_fileset_new(&report_set)) < 0 ||
	    (err = vmp_file_workdir_new(report_render, sizeof(report_render), opts->out_dir,
					"render")) < 0) {
		report_render[0] = '\0';
		report_end();
		return err;
	}
	return VMP_OK;
}

void gp_begin(rbuf *gp, rchart *c, const char *name, int w, int h)
{
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->w = w;
	c->h = h;
	rbuf_add(gp, "\nreset\nset terminal pngcairo size %d,%d noenhanced font 'sans,10'\n", w, h);
	rbuf_add(gp, "set output '%s.png'\nset encoding utf8\nset key noenhanced\n", name);
}

json_t *report_charts_json(const rchart *charts, int n)
{
	json_t *a = json_array();

	for (int c = 0; c < n; c++) {
		char file[sizeof(charts[c].name) + 8];
		snprintf(file, sizeof(file), "%.*s.png", (int)sizeof(charts[c].name) - 1,
			 charts[c].name);
		json_array_append_new(a, json_pack("{s:s, s:i, s:i}", "file", file, "width",
						   charts[c].w, "height", charts[c].h));
	}
	return a;
}

void gp_end(rbuf *gp, const rchart *c, bool svg)
{
	char id[sizeof(c->name)];

	/* The SVG's <title>: gnuplot takes letters, digits and '_' only. */
	for (size_t i = 0; i < sizeof(id); i++)
		id[i] = c->name[i] && !isalnum((unsigned char)c->name[i]) ? '_' : c->name[i];
	id[sizeof(id) - 1] = '\0';
	rbuf_add(gp, "set output\n");
	if (svg)
		rbuf_add(gp,
			 "set terminal svg size %d,%d noenhanced font 'sans,10' "
			 "background '#ffffff' name 'vmplan_%s'\n"
			 "set output '%s.svg'\nreplot\nset output\n",
			 c->w, c->h, id, c->name);
}

/* The first line of gnuplot's log, for the message. */
static void first_line(char *out, size_t size, const char *path)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(out, (int)size, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* Add each chart gnuplot drew in the work folder (PNG, SVG) to the report's set. */
static int add_charts(const char *dir)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(report_render);
	int err = VMP_OK;

	if (!d) {
		vmp_error_set("cannot read '%s': %s", report_render, strerror(errno));
		return VMP_ESYS;
	}
	while (err == VMP_OK && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char *data = NULL;
		size_t len = 0;
		if (n < 5 ||
		    (strcmp(e->d_name + n - 4, ".png") && strcmp(e->d_name + n - 4, ".svg")))
			continue;
		if (snprintf(from, sizeof(from), "%s/%s", report_render, e->d_name) >=
			(int)sizeof(from) ||
		    snprintf(to, sizeof(to), "%s/%s", dir, e->d_name) >= (int)sizeof(to)) {
			vmp_error_set("cannot write into '%s': path too long", dir);
			err = VMP_ESYS;
		} else if ((err = vmp_file_read(&data, &len, from, "chart")) == VMP_OK) {
			err = vmp_fileset_add(report_set, to, data, len);
		}
		free(data);
	}
	closedir(d);
	return err;
}

static int spawn_gnuplot(const char *prog, const char *tmp, const char *log)
{
	/* In the work folder, with its own copies of the script and the data: nothing it
	 * draws reaches dir but through the report's set. */
	char *argv[] = {"gnuplot", "report.gp", NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	/* No shell: the program, a fixed script name, and a folder as the working directory. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
					 0644);
	posix_spawn_file_actions_addchdir_np(&fa, tmp);
	rc = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		vmp_error_set("cannot run '%s': %s", prog, strerror(rc));
		return -1;
	}
	/* A signal now stops gnuplot before the work folder goes. */
	vmp_file_guard_child(pid);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			vmp_file_guard_child(0);
			vmp_error_set("cannot wait for gnuplot: %s", strerror(errno));
			return -1;
		}
	}
	vmp_file_guard_child(0);
	return status;
}

int report_run_gnuplot(const char *dir, const char *script, const vmp_report_opts *opts)
{
	char prog[PATH_MAX], log[PATH_MAX], line[256];
	int err, status;

	if (!report_set) {
		vmp_error_set("cannot draw charts: no report is being written");
		return VMP_EINVAL;
	}
	if ((err = report_write_file(dir, "report.gp", script, strlen(script))) < 0)
		return err;
	if ((err = vmp_report_find_gnuplot(prog, sizeof(prog), opts)) < 0)
		return err;
	if (snprintf(log, sizeof(log), "%s/gnuplot.log", dir) >= (int)sizeof(log)) {
		vmp_error_set("cannot write into '%s': path too long", dir);
		return VMP_ESYS;
	}
	if ((status = spawn_gnuplot(prog, report_render, log)) < 0)
		return VMP_ESYS;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		first_line(line, sizeof(line), log);
		vmp_error_set("gnuplot failed on '%s/report.gp'%s%s (see '%s')", dir,
			      line[0] ? ": " : "", line, log);
		return VMP_ESYS;
	}
	return add_charts(dir);
}

void report_bytes(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0 || v >= 100 || v == (double)(uint64_t)v)
		snprintf(buf, size, "%.0f %s", v, units[u]);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

int report_finish(char **text, char **json_out, const rdoc *d, const char *json,
		  const vmp_report_opts *opts)
{
	return report_finish_docs(text, json_out, d, d, json, opts);
}

int report_finish_docs(char **text, char **json_out, const rdoc *d, const rdoc *term,
		       const char *json, const vmp_report_opts *opts)
{
	char *html = NULL, *md = NULL;
	size_t len = 0;
	int err;

	if (text)
		*text = NULL;
	if (json_out)
		*json_out = NULL;
	if ((err = rdoc_html(&html, &len, d)) < 0 ||
	    (err = report_write_file(opts->out_dir, "index.html", html, len)) < 0 ||
	    (err = rdoc_markdown(&md, d)) < 0 ||
	    (err = report_write_file(opts->out_dir, "summary.md", md, strlen(md))) < 0 ||
	    (err = report_write_file(opts->out_dir, "report.json", json, strlen(json))) < 0)
		goto out;
	/* The report's files, charts included, all at once. */
	if (report_set && (err = vmp_fileset_commit(report_set)) < 0)
		goto out;
	report_end();
	if (text && (err = rdoc_text(text, term)) < 0)
		goto out;
	if (json_out && !(*json_out = strdup(json))) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	err = VMP_OK;
out:
	if (err < 0 && text) {
		free(*text);
		*text = NULL;
	}
	free(html);
	free(md);
	return err;
}
