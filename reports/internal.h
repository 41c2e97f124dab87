/* Helpers shared by the reports: growing strings, documents in three formats, gnuplot. */
#ifndef VMPLAN_REPORTS_INTERNAL_H
#define VMPLAN_REPORTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmplan/report.h"

/* A growing string; oom is set once an allocation failed (and later appends do nothing). */
typedef struct rbuf {
	char *s;
	size_t len, cap;
	bool oom;
} rbuf;

void rbuf_add(rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rbuf_addn(rbuf *b, const char *s, size_t n);
/* Append text as a gnuplot single-quoted literal (see report.h for the rule). */
void rbuf_gp_str(rbuf *b, const char *text);
/* Take the string (never NULL unless oom); the buffer is reset. */
char *rbuf_take(rbuf *b);

/* One block of a report document. */
typedef struct rblock {
	int kind; /* RB_H2, RB_P, RB_TABLE, RB_IMG */
	char *text;
	int ncols, nrows; /* a table: nrows rows of ncols cells, the first the header */
	char **cells;
	int w, h; /* an image: its size; text is its file name, alt the caption */
	char *alt;
} rblock;

enum { RB_H2 = 1, RB_P, RB_TABLE, RB_IMG };

/* A document that is written as HTML (libxml2's tree), Markdown and terminal text. */
typedef struct rdoc {
	char *title;
	int n, cap;
	rblock *b;
	bool oom;
	/* the table being built */
	int cur;
} rdoc;

void rdoc_init(rdoc *d, const char *title);
void rdoc_free(rdoc *d);
void rdoc_h2(rdoc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rdoc_p(rdoc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rdoc_img(rdoc *d, const char *file, int w, int h, const char *alt);
/* Start a table with ncols columns; the header cells follow as cells. */
void rdoc_table(rdoc *d, int ncols);
void rdoc_cell(rdoc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int rdoc_html(char **out, size_t *len, const rdoc *d);
int rdoc_markdown(char **out, const rdoc *d);
/* Terminal text: headings, paragraphs and aligned tables; images are left out. */
int rdoc_text(char **out, const rdoc *d);

/* A chart the script draws: base name (no extension) and size. */
typedef struct rchart {
	char name[64];
	int w, h;
} rchart;

/* Begin a chart in the script: the terminal, its output and the common settings. */
void gp_begin(rbuf *gp, rchart *c, const char *name, int w, int h);
/* After the plot command(s): the same chart as SVG when asked. */
void gp_end(rbuf *gp, const rchart *c, bool svg);
/* report.json's "charts": [{file, width, height}] of the PNGs drawn. */
struct json_t *report_charts_json(const rchart *charts, int n);

/* Write DIR/name: into the report's set, committed by report_finish_docs() (and a copy for
 * gnuplot in its work folder); outside a report, atomically on its own. */
int report_write_file(const char *dir, const char *name, const char *data, size_t len);
/* Write the gnuplot script and every data file, then run gnuplot in dir. */
int report_run_gnuplot(const char *dir, const char *script, const vmp_report_opts *opts);
/* Make the folder, check gnuplot, start the report's set and work folder; before anything
 * else is written. */
int report_prepare(char *gnuplot, size_t size, const vmp_report_opts *opts);
/* Drop what the report has not committed: its set's temporaries and the work folder. */
void report_end(void);
/* Write index.html, summary.md and report.json; hand back the text and the JSON. */
int report_finish(char **text, char **json_out, const rdoc *d, const char *json,
		  const vmp_report_opts *opts);

/* Write the HTML, Markdown and JSON of d, and hand back term as terminal text. */
int report_finish_docs(char **text, char **json_out, const rdoc *d, const rdoc *term,
		       const char *json, const vmp_report_opts *opts);
/* A size for people: "7.6 GiB", "32 GiB", "512 B" (powers of 1024). */
void report_bytes(char *buf, size_t size, uint64_t bytes);

#endif
