/* Host report: bandwidth and latency heatmaps, core-to-core latency and a pin map of every PU. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/internal.h"
#include "vmplan/error.h"
#include "vmplan/size.h"

#define CELL_PX 40 /* pixels per PU column or row in the pin map */

void vmp_host_report_free(vmp_host_report *r)
{
	if (!r)
		return;
	free(r->holder);
	free(r->idle_of);
	free(r);
}

/* The free PUs that cpu=shared VMs float on: the VM's own where one alone uses them. */
static void shared_pools(vmp_host_report *r, const vmp_host *host, const vmp_plan *plan)
{
	for (int v = 0; plan && v < plan->nvms; v++) {
		const vmp_plan_vm *vm = &plan->vms[v];
		int cpu;
		if (!vm->placed || vm->req.cpu != VMP_CPU_SHARED)
			continue;
		VMP_CPUSET_FOREACH (cpu, &vm->pcpus) {
			int p = vmp_host_pu_index(host, cpu);
			if (p < 0)
				continue;
			if (r->holder[p] == VMP_PIN_FREE)
				r->holder[p] = v;
			else if (r->holder[p] >= 0)
				r->holder[p] = VMP_PIN_SHARED;
		}
	}
}

int vmp_host_report_new(vmp_host_report **out, const vmp_host *host, const vmp_plan *plan)
{
	vmp_host_report *r;
	char fp[17];

	*out = NULL;
	if (plan) {
		vmp_host_fingerprint(fp, host);
		if (strcmp(fp, plan->host)) {
			vmp_error_set("the plan was made for host %s ('%s'), not for this host %s "
				      "('%s')",
				      plan->host, plan->hostname, fp, host->hostname);
			return VMP_EINVAL;
		}
	}
	if (!(r = calloc(1, sizeof(*r))) ||
	    !(r->holder = calloc((size_t)host->npus + 1, sizeof(int))) ||
	    !(r->idle_of = calloc((size_t)host->npus + 1, sizeof(int)))) {
		vmp_host_report_free(r);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	r->host = host;
	r->plan = plan;
	for (int p = 0; p < host->npus; p++) {
		int cpu = host->pus[p].os_index;
		r->idle_of[p] = -1;
		if (!vmp_cpuset_isset(&host->online, cpu))
			r->holder[p] = VMP_PIN_OFFLINE;
		else if (vmp_cpuset_isset(&host->reserved, cpu))
			r->holder[p] = VMP_PIN_RESERVED;
		else if (vmp_cpuset_isset(&host->used, cpu))
			r->holder[p] = VMP_PIN_EXISTING;
		else
			r->holder[p] = VMP_PIN_FREE;
	}
	shared_pools(r, host, plan);
	for (int v = 0; plan && v < plan->nvms; v++) {
		const vmp_plan_vm *vm = &plan->vms[v];
		int cpu;
		if (!vm->placed || vm->req.cpu == VMP_CPU_SHARED)
			continue;
		VMP_CPUSET_FOREACH (cpu, &vm->pcpus) {
			int p = vmp_host_pu_index(host, cpu);
			if (p < 0)
				continue;
			r->holder[p] = v;
			if (vm->req.threads != VMP_THREADS_ISOLATE)
				continue;
			int sib;
			VMP_CPUSET_FOREACH (sib, &host->cores[host->pus[p].core].pus) {
				int q = vmp_host_pu_index(host, sib);
				if (q >= 0 && r->holder[q] == VMP_PIN_FREE) {
					r->holder[q] = VMP_PIN_IDLE;
					r->idle_of[q] = v;
				}
			}
		}
	}
	*out = r;
	return VMP_OK;
}

/* Colours: VMs cycle through a qualitative palette; the rest are greys. */
static const unsigned palette[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b,
				   0xe377c2, 0xbcbd22, 0x17becf, 0xaec7e8, 0xffbb78, 0x98df8a,
				   0xff9896, 0xc5b0d5, 0xc49c94, 0xf7b6d2};

/* Past the palette: hues a golden angle apart, so neighbours in the plan never look alike. */
static unsigned spread_colour(int h)
{
	double hue = fmod(h * 137.508, 360.0) / 60.0, s = 0.6, v = 0.8 + 0.15 * (h % 2);
	double c = v * s, x = c * (1 - fabs(fmod(hue, 2.0) - 1)), m = v - c, rgb[3] = {0};
	int sector = (int)hue % 6;
	static const int order[6][3] = {{0, 1, 2}, {1, 0, 2}, {1, 2, 0},
					{2, 1, 0}, {2, 0, 1}, {0, 2, 1}};

	/* order[sector] says which channel gets c, x and 0. */
	rgb[order[sector][0]] = c;
	rgb[order[sector][1]] = x;
	rgb[order[sector][2]] = 0;
	return ((unsigned)((rgb[0] + m) * 255) << 16) | ((unsigned)((rgb[1] + m) * 255) << 8) |
	       (unsigned)((rgb[2] + m) * 255);
}

static unsigned holder_colour(int h)
{
	switch (h) {
	case VMP_PIN_FREE:
		return 0xffffff;
	case VMP_PIN_RESERVED:
		return 0x808080;
	case VMP_PIN_EXISTING:
		return 0x404040;
	case VMP_PIN_OFFLINE:
		return 0xe0e0e0;
	case VMP_PIN_IDLE:
		return 0xc8c8c8;
	case VMP_PIN_SHARED:
		return 0xfff2a8;
	default:
		if (h < (int)(sizeof(palette) / sizeof(palette[0])))
			return palette[h];
		return spread_colour(h);
	}
}

static const char *holder_name(const vmp_host_report *r, int h)
{
	switch (h) {
	case VMP_PIN_FREE:
		return "free";
	case VMP_PIN_RESERVED:
		return "reserved (housekeeping)";
	case VMP_PIN_EXISTING:
		return "existing domains";
	case VMP_PIN_OFFLINE:
		return "offline";
	case VMP_PIN_IDLE:
		return "idle sibling (threads=isolate)";
	case VMP_PIN_SHARED:
		return "pool of several cpu=shared VMs";
	default:
		return r->plan->vms[h].req.name;
	}
}

/*
 * The package (index) of node n, from its CPUs; -1 for a node without CPUs (KNL's MCDRAM,
 * CXL memory): the model keeps no package for those, and a guess could be wrong.
 */
static int node_package(const vmp_host *h, int n)
{
	int cpu = vmp_cpuset_first(&h->nodes[n].cpus), p;

	return cpu >= 0 && (p = vmp_host_pu_index(h, cpu)) >= 0 ? h->pus[p].package : -1;
}

/* Whether node a comes before node b in the pin map: by package, memory-only nodes last. */
static bool node_before(const vmp_host *h, int a, int b)
{
	int pa = node_package(h, a), pb = node_package(h, b);

	if (pa != pb)
		return pb < 0 || (pa >= 0 && pa < pb);
	return h->nodes[a].id < h->nodes[b].id;
}

/* The pin map being laid out: its three data files and where the next node goes. */
typedef struct pinlayout {
	rbuf pus, frames, labels;
	double y;         /* the top of the next node; goes down from 0 */
	double x0;        /* the left of the current column of packages */
	double col_w;     /* a column's width, labels included; 0: one column */
	double wrap;      /* start a new column once a package ends below -wrap */
	double ymin;      /* the lowest y reached */
	int ncols;        /* columns used */
	int smt;          /* the most PUs of one core: each node's height */
	int maxcols;      /* the widest node, in PU columns */
	bool memory_only; /* a node without CPUs was drawn */
} pinlayout;

/* The node indexes in pin-map order (node_before). */
static void node_order(int *order, const vmp_host *h)
{
	for (int n = 0; n < h->nnodes; n++)
		order[n] = n;
	for (int i = 1; i < h->nnodes; i++)
		for (int j = i; j > 0 && node_before(h, order[j], order[j - 1]); j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

/* The frame around a package whose nodes run from pkg_top down to L->y. */
static void package_frame(pinlayout *L, double pkg_top)
{
	rbuf_add(&L->frames, "%g %g %g %g 3\n", L->x0 + (L->maxcols + 0.4) / 2 - 0.2,
		 (pkg_top + L->y) / 2, (L->maxcols + 0.4) / 2 + 0.1, (pkg_top - L->y) / 2);
}

/* Node n (with CPUs) at L->y: a column per core, grouped by L3 domain, a gap between domains. */
static void draw_node(pinlayout *L, const vmp_host_report *r, int n)
{
	const vmp_host *h = r->host;
	double top = L->y;
	int col = 0;

	for (int l = -1; l < h->nl3; l++) {
		int first = -1;
		for (int k = 0; k < h->ncores; k++) {
			const vmp_core *co = &h->cores[k];
			int cpu, sib = 0;
			if (co->node != n || co->l3 != l)
				continue;
			if (first < 0)
				first = col;
			VMP_CPUSET_FOREACH (cpu, &co->pus) {
				int p = vmp_host_pu_index(h, cpu);
				if (p < 0)
					continue;
				rbuf_add(&L->pus, "%g %g 0.42 0.42 %u %d\n", L->x0 + col + 0.5,
					 top - sib - 0.5, holder_colour(r->holder[p]), cpu);
				sib++;
			}
			rbuf_add(&L->frames, "%g %g 0.47 %g 0\n", L->x0 + col + 0.5,
				 top - L->smt / 2.0, L->smt / 2.0 - 0.03);
			col++;
		}
		if (first >= 0 && l >= 0) {
			rbuf_add(&L->frames, "%g %g %g %g 1\n", L->x0 + (first + col) / 2.0,
				 top - L->smt / 2.0, (col - first) / 2.0 + 0.01,
				 L->smt / 2.0 + 0.03);
			col++; /* gap */
		}
	}
	if (col > L->maxcols)
		L->maxcols = col;
	rbuf_add(&L->frames, "%g %g %g %g 2\n", L->x0 + (col > 0 ? col : 1) / 2.0,
		 top - L->smt / 2.0, (col > 0 ? col : 1) / 2.0 + 0.08, L->smt / 2.0 + 0.1);
	rbuf_add(&L->labels, "%g %g 0 %d\n", L->x0 - 0.15, top - L->smt / 2.0, h->nodes[n].id);
	L->y = top - L->smt - 0.4;
}

/* Every node in order, each package framed with its label; memory-only nodes last. */
static void layout_nodes(pinlayout *L, const vmp_host_report *r, const int *order)
{
	const vmp_host *h = r->host;
	int prev_pkg = -2;
	double pkg_top = 0;

	for (int i = 0; i < h->nnodes; i++) {
		int n = order[i], pkg = node_package(h, n);
		if (pkg != prev_pkg) {
			if (prev_pkg >= 0) {
				package_frame(L, pkg_top);
				L->y -= 0.4;
				if (L->y < L->ymin)
					L->ymin = L->y;
				/* A tall host goes on in a new column, so the map fits a screen. */
				if (L->col_w > 0 && pkg >= 0 && L->y < -L->wrap) {
					L->x0 += L->col_w;
					L->y = 0;
					L->ncols++;
				}
			}
			if (pkg >= 0) {
				pkg_top = L->y;
				L->y -= 0.9; /* room for the package's label */
				rbuf_add(&L->labels, "%g %g 1 %d\n", L->x0 - 0.1, L->y + 0.45,
					 h->packages[pkg].id);
			}
			prev_pkg = pkg;
		}
		if (pkg < 0) {
			/* Sorted last, apart from the packages: a short empty frame each. */
			L->memory_only = true;
			rbuf_add(&L->frames, "%g %g 0.58 0.6 2\n", L->x0 + 0.5, L->y - 0.6);
			rbuf_add(&L->labels, "%g %g 2 %d\n", L->x0 - 0.15, L->y - 0.6,
				 h->nodes[n].id);
			L->y -= 1.6;
			continue;
		}
		draw_node(L, r, n);
	}
	if (prev_pkg >= 0)
		package_frame(L, pkg_top);
	if (L->y < L->ymin)
		L->ymin = L->y;
}

/* Write pinmap.dat, pinmap-frames.dat and pinmap-labels.dat. */
static int pinmap_files(pinlayout *L, const vmp_report_opts *opts)
{
	char *s1 = NULL, *s2 = NULL, *s3 = NULL;
	int err;

	if (!(s1 = rbuf_take(&L->pus)) || !(s2 = rbuf_take(&L->frames)) ||
	    !(s3 = rbuf_take(&L->labels))) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	if ((err = report_write_file(opts->out_dir, "pinmap.dat", s1, strlen(s1))) < 0 ||
	    (err = report_write_file(opts->out_dir, "pinmap-frames.dat", s2, strlen(s2))) < 0 ||
	    (err = report_write_file(opts->out_dir, "pinmap-labels.dat", s3, strlen(s3))) < 0)
		goto out;
	err = VMP_OK;
out:
	free(s1);
	free(s2);
	free(s3);
	return err;
}

/* The pin map's plot, w x hgt pixels, with a key entry per holder that occurs. */
static void pinmap_script(rbuf *gp, rchart *c, const vmp_host_report *r, const pinlayout *L, int w,
			  int hgt, bool svg)
{
	const vmp_host *h = r->host;
	char title[VMP_NAME_MAX + 64];
	int ncolours = r->plan ? r->plan->nvms : 0;

	gp_begin(gp, c, "pinmap", w, hgt);
	rbuf_add(gp,
		 "unset border\nunset xtics\nunset ytics\nset key outside right top "
		 "box\nset size ratio -1\nset xrange [%d:%d]\nset yrange [%g:0.3]\nset title ",
		 L->memory_only ? -5 : -3, (int)L->x0 + L->maxcols + 1, L->ymin - 0.5);
	snprintf(title, sizeof(title), "Pin map of %s", h->hostname);
	rbuf_gp_str(gp, title);
	rbuf_add(gp,
		 "\nplot 'pinmap-frames.dat' using 1:2:3:4:($5 == 3 ? 0x000000 : $5 == 2 ? "
		 "0x1f4e79 : $5 == 1 ? 0x2e8b57 : 0xa0a0a0) with boxxyerror fs empty lc rgb "
		 "variable lw 1 notitle, 'pinmap.dat' using 1:2:3:4:5 with boxxyerror fs "
		 "solid 1.0 border lc rgb '#606060' lc rgb variable notitle, 'pinmap.dat' "
		 "using 1:2:(sprintf('%%d', $6)) with labels font 'sans,7' notitle, "
		 "'pinmap-labels.dat' using 1:2:($3 == 0 ? sprintf('node %%d', $4) : $3 == 2 ? "
		 "sprintf('memory-only node %%d', $4) : sprintf('package %%d', $4)) with labels "
		 "right font 'sans,9' notitle");
	for (int k = VMP_PIN_SHARED; k < ncolours; k++) {
		bool seen = false;
		for (int p = 0; p < h->npus && !seen; p++)
			seen = r->holder[p] == k;
		if (!seen)
			continue;
		rbuf_add(gp,
			 ", NaN with boxes fs solid 1.0 border lc rgb '#606060' lc rgb '#%06x' "
			 "title ",
			 holder_colour(k));
		rbuf_gp_str(gp, holder_name(r, k));
	}
	rbuf_add(gp, "\n");
	gp_end(gp, c, svg);
}

/*
 * Lay the map out once to measure it, then choose how many columns of packages make it
 * about as wide as a screen is (16:10, the key on the right included).
 */
static void pinmap_columns(pinlayout *L, const vmp_host_report *r, const int *order)
{
	pinlayout D = *L;
	double height, width;
	int ncols;

	layout_nodes(&D, r, order);
	free(D.pus.s);
	free(D.frames.s);
	free(D.labels.s);
	height = -D.ymin;
	width = D.maxcols + (D.memory_only ? 6 : 4);
	ncols = (int)lround(sqrt(1.6 * height / width));
	L->maxcols = D.maxcols;
	L->ncols = 1;
	if (ncols > 1) {
		L->col_w = width;
		L->wrap = height / ncols;
	}
}

/* Write the pin map's data and plot; c gets its size. */
static int pinmap(rbuf *gp, rchart *c, const vmp_host_report *r, const vmp_report_opts *opts)
{
	const vmp_host *h = r->host;
	int *order = calloc((size_t)(h->nnodes > 0 ? h->nnodes : 1), sizeof(*order));
	pinlayout L = {.smt = 1, .maxcols = 1};
	int w, hgt, err;

	if (!order) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (int k = 0; k < h->ncores; k++) {
		int n = vmp_cpuset_count(&h->cores[k].pus);
		L.smt = n > L.smt ? n : L.smt;
	}
	node_order(order, h);
	pinmap_columns(&L, r, order);
	rbuf_add(&L.pus, "# x y half_w half_h rgb cpu\n");
	rbuf_add(&L.frames, "# x y half_w half_h level (0 core, 1 L3, 2 node, 3 package)\n");
	rbuf_add(&L.labels, "# x y kind (0 node, 1 package, 2 memory-only node) id\n");
	layout_nodes(&L, r, order);

	/* Two more columns on the left for "memory-only node N". */
	w = (int)((L.x0 + L.maxcols + (L.memory_only ? 7 : 5)) * CELL_PX) + 420;
	hgt = (int)((-L.ymin + 2) * CELL_PX) + 100;
	w = w < 640 ? 640 : w > 8000 ? 8000 : w;
	hgt = hgt < 320 ? 320 : hgt > 8000 ? 8000 : hgt;
	if ((err = pinmap_files(&L, opts)) < 0)
		goto out;
	pinmap_script(gp, c, r, &L, w, hgt, opts->svg);
	err = VMP_OK;
out:
	free(order);
	free(L.pus.s);
	free(L.frames.s);
	free(L.labels.s);
	return err;
}

/* The colour range: gnuplot's own collapses where every value is the same (a 1x1 matrix is
 * drawn white), so give it one around the values; NaN (not measured) is left out. */
static void heat_cbrange(rbuf *gp, const double *m, int n)
{
	double lo = NAN, hi = NAN;

	for (size_t i = 0; i < (size_t)n * (size_t)n; i++) {
		if (isnan(m[i]))
			continue;
		if (isnan(lo) || m[i] < lo)
			lo = m[i];
		if (isnan(hi) || m[i] > hi)
			hi = m[i];
	}
	if (isnan(lo))
		return;
	if (hi - lo < 1e-9 * (fabs(hi) + 1))
		rbuf_add(gp, "set cbrange [%.6g:%.6g]\n", lo > 0 ? 0 : lo - 1,
			 hi > 0 ? hi * 1.25 : 1);
	else
		rbuf_add(gp, "set cbrange [%.6g:%.6g]\n", lo, hi);
}

/* A matrix heatmap: its data file, its plot and a table of its numbers. */
static int heatmap(rbuf *gp, rchart *c, rdoc *d, const char *name, const char *title,
		   const char *unit, const double *m, int n, const int *ids, const char *what,
		   const vmp_report_opts *opts)
{
	rbuf dat = {0};
	char *s, file[80];
	int err;

	for (int i = 0; i < n; i++) {
		for (int j = 0; j < n; j++) {
			double v = m[(size_t)i * (size_t)n + (size_t)j];
			if (isnan(v))
				rbuf_add(&dat, "%sNaN", j ? " " : "");
			else
				rbuf_add(&dat, "%s%.6g", j ? " " : "", v);
		}
		rbuf_add(&dat, "\n");
	}
	snprintf(file, sizeof(file), "%s.dat", name);
	if (!(s = rbuf_take(&dat))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	err = report_write_file(opts->out_dir, file, s, strlen(s));
	free(s);
	if (err < 0)
		return err;
	gp_begin(gp, c, name, VMP_REPORT_HEATMAP_W, VMP_REPORT_HEATMAP_H);
	rbuf_add(gp, "set title ");
	rbuf_gp_str(gp, title);
	rbuf_add(gp, "\nset xlabel '%s'\nset ylabel '%s'\nset cblabel '%s'\n", what, "threads on",
		 unit);
	rbuf_add(gp,
		 "set xrange [-0.5:%d.5]\nset yrange [%d.5:-0.5]\nset palette rgbformulae "
		 "33,13,10\nset size square\nset tics nomirror\n",
		 n - 1, n - 1);
	heat_cbrange(gp, m, n);
	if (n <= 32) {
		rbuf_add(gp, "set xtics (");
		for (int i = 0; i < n; i++)
			rbuf_add(gp, "%s'%d' %d", i ? ", " : "", ids[i], i);
		rbuf_add(gp, ")\nset ytics (");
		for (int i = 0; i < n; i++)
			rbuf_add(gp, "%s'%d' %d", i ? ", " : "", ids[i], i);
		rbuf_add(gp, ")\n");
	}
	/* Boxes for small matrices: 'with image' cannot size the pixel of a 1x1 matrix. */
	if (n <= 12)
		rbuf_add(gp,
			 "plot '%s' matrix using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 "
			 "noborder lc palette notitle",
			 file);
	else
		rbuf_add(gp, "plot '%s' matrix with image notitle", file);
	if (n <= 12)
		rbuf_add(gp,
			 ", '%s' matrix using 1:2:($3 == $3 ? sprintf('%%.3g', $3) : '') with "
			 "labels font 'sans,9' notitle",
			 file);
	rbuf_add(gp, "\n");
	gp_end(gp, c, opts->svg);

	rdoc_h2(d, "%s", title);
	snprintf(file, sizeof(file), "%s.png", name);
	rdoc_img(d, file, c->w, c->h, title);
	if (n <= 64) {
		rdoc_table(d, n + 1);
		rdoc_cell(d, "%s \\ %s (%s)", "threads on", what, unit);
		for (int j = 0; j < n; j++)
			rdoc_cell(d, "%d", ids[j]);
		for (int i = 0; i < n; i++) {
			rdoc_cell(d, "%d", ids[i]);
			for (int j = 0; j < n; j++) {
				double v = m[(size_t)i * (size_t)n + (size_t)j];
				if (isnan(v))
					rdoc_cell(d, "-");
				else
					rdoc_cell(d, "%.1f", v);
			}
		}
	}
	return VMP_OK;
}

static char *host_json(const vmp_host_report *r, const rchart *charts, int ncharts)
{
	const vmp_host *h = r->host;
	json_t *root = json_object(), *a = json_array();
	char fp[17], buf[8192], *s;

	vmp_host_fingerprint(fp, h);
	json_object_set_new(root, "report", json_string("host"));
	json_object_set_new(root, "hostname", json_string(h->hostname));
	json_object_set_new(root, "fingerprint", json_string(fp));
	json_object_set_new(root, "plan", r->plan ? json_true() : json_false());
	for (int p = 0; p < h->npus; p++) {
		const vmp_pu *pu = &h->pus[p];
		json_array_append_new(a, json_pack("{s:i, s:i, s:i, s:i, s:i, s:s}", "os_index",
						   pu->os_index, "core", pu->core, "l3", pu->l3,
						   "node", h->nodes[pu->node].id, "package",
						   h->packages[pu->package].id, "holder",
						   holder_name(r, r->holder[p])));
	}
	json_object_set_new(root, "pus", a);
	a = json_array();
	for (int v = 0; r->plan && v < r->plan->nvms; v++) {
		const vmp_plan_vm *vm = &r->plan->vms[v];
		vmp_cpuset_format(buf, sizeof(buf), &vm->pcpus);
		json_array_append_new(a, json_pack("{s:s, s:b, s:b, s:s}", "name", vm->req.name,
						   "placed", vm->placed, "shared",
						   vm->req.cpu == VMP_CPU_SHARED, "cpus", buf));
	}
	json_object_set_new(root, "vms", a);
	json_object_set_new(root, "measured",
			    json_pack("{s:b, s:b, s:b, s:b}", "read_gbs", h->read_gbs != NULL,
				      "triad_gbs", h->triad_gbs != NULL, "latency_ns",
				      h->latency_ns != NULL, "c2c_ns", h->c2c_ns != NULL));
	json_object_set_new(root, "charts", report_charts_json(charts, ncharts));
	s = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	return s;
}

/* The host in one paragraph. */
static void doc_summary(rdoc *d, const vmp_host *h)
{
	char fp[17], mem[32];
	uint64_t total = 0;

	vmp_host_fingerprint(fp, h);
	for (int n = 0; n < h->nnodes; n++)
		total += h->nodes[n].memory_bytes;
	vmp_size_format(mem, sizeof(mem), total);
	rdoc_p(d,
	       "Host %s (fingerprint %s): %d package%s, %d NUMA node%s, %d L3 domain%s, %d "
	       "cores, %d PUs, %s of memory.",
	       h->hostname, fp, h->npackages, h->npackages == 1 ? "" : "s", h->nnodes,
	       h->nnodes == 1 ? "" : "s", h->nl3, h->nl3 == 1 ? "" : "s", h->ncores, h->npus, mem);
}

/* The pin map's section: the chart, what holds which CPUs, and the memory-only nodes. */
static void doc_pinmap(rdoc *d, const vmp_host_report *r, const rchart *c)
{
	const vmp_host *h = r->host;
	vmp_cpuset memory_only = {0};
	char buf[8192];

	rdoc_h2(d, "Pin map");
	rdoc_img(d, "pinmap.png", c->w, c->h,
		 "Every PU in its core, L3 domain, node and package, coloured by what holds it");
	rdoc_table(d, 3);
	rdoc_cell(d, "held by");
	rdoc_cell(d, "CPUs");
	rdoc_cell(d, "count");
	for (int k = VMP_PIN_SHARED; k < (r->plan ? r->plan->nvms : 0); k++) {
		vmp_cpuset set = {0};
		for (int p = 0; p < h->npus; p++)
			if (r->holder[p] == k)
				vmp_cpuset_set(&set, h->pus[p].os_index);
		if (vmp_cpuset_empty(&set))
			continue;
		vmp_cpuset_format(buf, sizeof(buf), &set);
		rdoc_cell(d, "%s", holder_name(r, k));
		rdoc_cell(d, "%s", buf);
		rdoc_cell(d, "%d", vmp_cpuset_count(&set));
	}
	for (int v = 0; r->plan && v < r->plan->nvms; v++) {
		const vmp_plan_vm *vm = &r->plan->vms[v];
		if (!vm->placed || vm->req.cpu != VMP_CPU_SHARED)
			continue;
		vmp_cpuset_format(buf, sizeof(buf), &vm->pcpus);
		rdoc_cell(d, "%s (shared, floats)", vm->req.name);
		rdoc_cell(d, "%s", buf);
		rdoc_cell(d, "%d", vmp_cpuset_count(&vm->pcpus));
	}

	for (int n = 0; n < h->nnodes; n++)
		if (vmp_cpuset_empty(&h->nodes[n].cpus))
			vmp_cpuset_set(&memory_only, h->nodes[n].id);
	if (!vmp_cpuset_empty(&memory_only)) {
		vmp_cpuset_format(buf, sizeof(buf), &memory_only);
		rdoc_p(d,
		       "Memory-only NUMA node%s %s (no CPUs) %s drawn apart, below the "
		       "packages: the model does not say which package holds %s.",
		       vmp_cpuset_count(&memory_only) == 1 ? "" : "s", buf,
		       vmp_cpuset_count(&memory_only) == 1 ? "is" : "are",
		       vmp_cpuset_count(&memory_only) == 1 ? "it" : "them");
	}
}

/* Whether two n x n matrices hold the same numbers (NaN equal to NaN). */
static bool same_matrix(const double *a, const double *b, int n)
{
	if (!a || !b)
		return false;
	for (size_t i = 0; i < (size_t)n * (size_t)n; i++)
		if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i]))))
			return false;
	return true;
}

/* A heatmap per measured matrix of the model (bandwidth, latency, core to core). */
static int heatmaps(rbuf *gp, rchart *charts, int *ncharts, rdoc *d, const vmp_host *h,
		    const vmp_report_opts *opts)
{
	struct {
		const double *m;
		const char *name, *title, *unit;
	} mats[] = {
	    {h->read_gbs, "read", "Memory read bandwidth", "GB/s"},
	    {h->triad_gbs, "triad", "STREAM triad bandwidth", "GB/s"},
	    {h->latency_ns, "latency", "Idle memory latency", "ns"},
	};
	bool measured = false;
	int *ids, err = VMP_OK;

	if (!(ids = calloc((size_t)(h->npus > h->nnodes ? h->npus : h->nnodes) + 1, sizeof(int)))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (int n = 0; n < h->nnodes; n++)
		ids[n] = h->nodes[n].id;
	/* hwloc's firmware memory attributes (HMAT) give one bandwidth, copied into both
	 * matrices: it is no STREAM measurement, so one heatmap says where it comes from. */
	if (same_matrix(h->read_gbs, h->triad_gbs, h->nnodes)) {
		mats[0].title = "Memory bandwidth (firmware attribute, not measured)";
		mats[1].m = NULL;
	}
	for (size_t k = 0; k < sizeof(mats) / sizeof(mats[0]); k++) {
		if (!mats[k].m)
			continue;
		if ((err = heatmap(gp, &charts[(*ncharts)++], d, mats[k].name, mats[k].title,
				   mats[k].unit, mats[k].m, h->nnodes, ids, "memory on node",
				   opts)) < 0)
			goto out;
	}
	for (size_t i = 0; h->c2c_ns && i < (size_t)h->npus * (size_t)h->npus && !measured; i++)
		measured = !isnan(h->c2c_ns[i]);
	if (measured) {
		for (int p = 0; p < h->npus; p++)
			ids[p] = h->pus[p].os_index;
		if ((err = heatmap(gp, &charts[(*ncharts)++], d, "c2c", "Core-to-core latency",
				   "ns", h->c2c_ns, h->npus, ids, "CPU", opts)) < 0)
			goto out;
	}
	if (!h->read_gbs && !h->triad_gbs && !h->latency_ns && !measured)
		rdoc_p(d, "Memory bandwidth, latency and core-to-core latency are not measured in "
			  "this model; 'vmplan probe --measure quick -o host.json' adds them.");
out:
	free(ids);
	return err;
}

int vmp_host_report_write(char **text, char **json, const vmp_host_report *r,
			  const vmp_report_opts *opts)
{
	char prog[4096];
	rbuf gp = {0};
	rchart charts[5];
	int ncharts = 0, err;
	char *script = NULL, *js = NULL;
	rdoc d;

	rdoc_init(&d, "vmplan host report");
	if ((err = report_prepare(prog, sizeof(prog), opts)) < 0)
		goto out;
	doc_summary(&d, r->host);
	if ((err = pinmap(&gp, &charts[ncharts++], r, opts)) < 0)
		goto out;
	doc_pinmap(&d, r, &charts[0]);
	if ((err = heatmaps(&gp, charts, &ncharts, &d, r->host, opts)) < 0)
		goto out;
	if (!(script = rbuf_take(&gp))) {
		err = VMP_ENOMEM;
		vmp_error_set("out of memory");
		goto out;
	}
	if ((err = report_run_gnuplot(opts->out_dir, script, opts)) < 0)
		goto out;
	if (!(js = host_json(r, charts, ncharts))) {
		err = VMP_ENOMEM;
		vmp_error_set("out of memory");
		goto out;
	}
	err = report_finish(text, json, &d, js, opts);
out:
	report_end(); /* nothing of a report that failed */
	free(js);
	free(script);
	free(gp.s);
	rdoc_free(&d);
	return err;
}
