/* Measure memory bandwidth and latency per node pair and core-to-core latency on the live host. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>
#include <numa.h>

#include "probes/measure_internal.h"
#include "vmplan/error.h"

/* The engine knows nothing of vmplan; its ISAs are vmplan's by value. */
_Static_assert((int)ENGINE_ISA_AUTO == (int)VMP_ISA_AUTO &&
		   (int)ENGINE_ISA_SSE2 == (int)VMP_ISA_SSE2 &&
		   (int)ENGINE_ISA_AVX == (int)VMP_ISA_AVX &&
		   (int)ENGINE_ISA_AVX512 == (int)VMP_ISA_AVX512 &&
		   (int)ENGINE_ISA_GENERIC == (int)VMP_ISA_GENERIC,
	       "engine_isa and vmp_measure_isa differ");

static const struct level_params quick_params = {64 * MIB, 3, 10, (size_t)1 << 17, 5, 2000};
static const struct level_params full_params = {256 * MIB, 1, 20, (size_t)1 << 19, 11, 20000};

static size_t round_huge(size_t bytes)
{
	return (bytes + HUGE_BYTES - 1) / HUGE_BYTES * HUGE_BYTES;
}

const char *vmp_measure_isa_name(vmp_measure_isa isa)
{
	return engine_isa_name((engine_isa)isa);
}

int measure_engine_error(int err)
{
	vmp_error_set("%s", engine_error());
	if (err == -ENOMEM)
		return VMP_ENOMEM;
	if (err == -EINVAL || err == -ENOENT || err == -ENOTSUP)
		return VMP_EINVAL;
	return VMP_ESYS;
}

int measure_team_error(int err)
{
	vmp_error_set("%s", engine_error());
	return err == -ENOMEM ? VMP_ENOMEM : VMP_ESYS;
}

static void tell(struct measure_run *r, const char *what)
{
	if (r->progress)
		r->progress(r->opaque, what, r->total > 0 ? fmin(1.0, r->done / r->total) : 0);
}

void measure_step(struct measure_run *r, double units, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	r->done += units;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tell(r, what);
}

void measure_note(struct measure_run *r, const char *fmt, ...)
{
	char text[512], what[520];
	size_t len;
	char *grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(what, sizeof(what), "note: %s", text);
	tell(r, what);
	len = strlen(text);
	grown = realloc(r->notes, r->notes_len + len + 2);
	if (!grown)
		return; /* a lost note is not worth failing the measurement */
	memcpy(grown + r->notes_len, text, len);
	grown[r->notes_len + len] = '\n';
	grown[r->notes_len + len + 1] = '\0';
	r->notes = grown;
	r->notes_len += len + 1;
}

/*
 * The sum of the last-level caches: every cache of the topmost level the
 * topology has (L3 on most servers, L2 on some small CPUs).
 */
static uint64_t llc_bytes(hwloc_topology_t topo)
{
	static const hwloc_obj_type_t levels[] = {HWLOC_OBJ_L5CACHE, HWLOC_OBJ_L4CACHE,
						  HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L2CACHE,
						  HWLOC_OBJ_L1CACHE};

	for (size_t k = 0; k < sizeof(levels) / sizeof(levels[0]); k++) {
		hwloc_obj_t obj = NULL;
		uint64_t sum = 0;

		while ((obj = hwloc_get_next_obj_by_type(topo, levels[k], obj)))
			sum += obj->attr->cache.size;
		if (sum)
			return sum;
	}
	return 0;
}

void vmp_measure_report_free(vmp_measure_report *report)
{
	if (!report)
		return;
	free(report->read_best_gbs);
	free(report->read_median_gbs);
	free(report->triad_best_gbs);
	free(report->triad_median_gbs);
	free(report->latency_ns);
	free(report->hugepage_fraction);
	free(report->threads);
	free(report->notes);
	free(report);
}

double *measure_nan_matrix(size_t n)
{
	double *m = malloc(sizeof(*m) * (n ? n : 1));

	if (m)
		for (size_t k = 0; k < n; k++)
			m[k] = NAN;
	return m;
}

static int report_new(vmp_measure_report **out, int nnodes)
{
	vmp_measure_report *rep = calloc(1, sizeof(*rep));
	size_t n = (size_t)nnodes * (size_t)nnodes;

	*out = NULL;
	if (!rep)
		goto fail;
	rep->nnodes = nnodes;
	rep->read_best_gbs = measure_nan_matrix(n);
	rep->read_median_gbs = measure_nan_matrix(n);
	rep->triad_best_gbs = measure_nan_matrix(n);
	rep->triad_median_gbs = measure_nan_matrix(n);
	rep->latency_ns = measure_nan_matrix(n);
	rep->hugepage_fraction = measure_nan_matrix(n);
	rep->threads = calloc((size_t)(nnodes > 0 ? nnodes : 1), sizeof(*rep->threads));
	if (!rep->read_best_gbs || !rep->read_median_gbs || !rep->triad_best_gbs ||
	    !rep->triad_median_gbs || !rep->latency_ns || !rep->hugepage_fraction || !rep->threads)
		goto fail;
	*out = rep;
	return VMP_OK;
fail:
	vmp_measure_report_free(rep);
	vmp_error_set("out of memory");
	return VMP_ENOMEM;
}

/* A copy of an nnodes * nnodes matrix of the report, for the host. */
static double *dup_matrix(const double *m, int nnodes)
{
	size_t n = (size_t)nnodes * (size_t)nnodes;
	double *copy = malloc(sizeof(*copy) * (n ? n : 1));

	if (copy)
		memcpy(copy, m, sizeof(*copy) * n);
	return copy;
}

static const char *source_name(vmp_host_source s)
{
	static const char *const names[] = {"live",   "xml",     "synthetic",
					    "fsroot", "libvirt", "json"};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static int check_options(vmp_measure_options *o, const vmp_host *host)
{
	if (!host) {
		vmp_error_set("cannot measure: no host");
		return VMP_EINVAL;
	}
	if (host->source != VMP_SOURCE_LIVE) {
		vmp_error_set("cannot measure host '%s' from a %s source: measurements need the "
			      "live host",
			      host->hostname, source_name(host->source));
		return VMP_EINVAL;
	}
	if (o->level != VMP_MEASURE_NONE && o->level != VMP_MEASURE_QUICK &&
	    o->level != VMP_MEASURE_FULL) {
		vmp_error_set("cannot measure at level %d: not none, quick or full", (int)o->level);
		return VMP_EINVAL;
	}
	if (o->repetitions != 0 && o->repetitions < 3) {
		vmp_error_set("cannot measure with %d repetitions: at least 3 are needed",
			      o->repetitions);
		return VMP_EINVAL;
	}
	if (o->parts == 0)
		o->parts = VMP_MEASURE_ALL;
	if (o->parts & ~VMP_MEASURE_ALL) {
		vmp_error_set("cannot measure parts 0x%x: unknown bits", o->parts);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* Replace the host's figures with those measured; nothing changes when memory runs out. */
static int fill_host(vmp_host *h, struct measure_run *r)
{
	double *fresh[3] = {NULL, NULL, NULL};
	double **slots[3] = {&h->read_gbs, &h->triad_gbs, &h->latency_ns};

	if (r->parts & VMP_MEASURE_BANDWIDTH) {
		fresh[0] = dup_matrix(r->rep->read_best_gbs, h->nnodes);
		fresh[1] = dup_matrix(r->rep->triad_best_gbs, h->nnodes);
		if (!fresh[0] || !fresh[1])
			goto nomem;
	}
	if ((r->parts & VMP_MEASURE_LATENCY) &&
	    !(fresh[2] = dup_matrix(r->rep->latency_ns, h->nnodes)))
		goto nomem;
	for (int k = 0; k < 3; k++)
		if (fresh[k]) {
			free(*slots[k]);
			*slots[k] = fresh[k];
		}
	if (r->parts & VMP_MEASURE_C2C) {
		free(h->c2c_ns);
		h->c2c_ns = r->c2c;
		r->c2c = NULL;
	}
	return VMP_OK;
nomem:
	for (int k = 0; k < 3; k++)
		free(fresh[k]);
	vmp_error_set("out of memory");
	return VMP_ENOMEM;
}

/* The sum of the last-level caches of the live host, from hwloc. */
static int live_llc_bytes(uint64_t *out)
{
	hwloc_topology_t topo;
	int err = VMP_OK;

	*out = 0;
	if (hwloc_topology_init(&topo) < 0) {
		vmp_error_set("cannot start hwloc: %s", strerror(errno));
		return VMP_ESYS;
	}
	hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	/* As in topology.c: the libpciaccess component only leaks; nothing here needs it. */
	hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "pci");
	if (hwloc_topology_load(topo) < 0) {
		vmp_error_set("cannot probe the topology of this host: %s", strerror(errno));
		err = VMP_ESYS;
	} else {
		*out = llc_bytes(topo);
	}
	hwloc_topology_destroy(topo);
	return err;
}

/*
 * Full: each array at least 4x the last-level caches, STREAM's rule. Quick:
 * the three arrays together, which is what each kernel streams through
 * (the read kernel reads all three), for a third of the memory to touch.
 */
static void size_arrays(struct measure_run *r, size_t array_bytes, uint64_t llc)
{
	r->array_bytes = array_bytes;
	if (!r->array_bytes) {
		r->array_bytes = (4 * (size_t)llc + r->lp.llc_share - 1) / r->lp.llc_share;
		if (r->array_bytes < r->lp.min_array_bytes)
			r->array_bytes = r->lp.min_array_bytes;
	}
	r->array_bytes = round_huge(r->array_bytes);
	r->chase_bytes = round_huge(
	    4 * (size_t)llc > r->lp.min_array_bytes ? 4 * (size_t)llc : r->lp.min_array_bytes);
	if ((r->parts & VMP_MEASURE_BANDWIDTH) && 3 * r->array_bytes < 4 * llc)
		measure_note(
		    r,
		    "arrays of 3 x %zu MiB are less than 4x the last-level caches (%" PRIu64
		    " MiB): caches may inflate the figures",
		    r->array_bytes / MIB, llc / MIB);
}

/* Progress units: one per bandwidth repetition, six per latency pair, one per c2c pair. */
static void count_work(struct measure_run *r)
{
	const vmp_host *host = r->host;

	for (int i = 0; i < host->nnodes; i++)
		for (int j = 0; j < host->nnodes; j++)
			if (!vmp_cpuset_empty(&host->nodes[i].cpus) &&
			    measure_node_has_memory(r, j))
				r->total +=
				    (r->parts & VMP_MEASURE_BANDWIDTH ? 2.0 * r->lp.repetitions
								      : 0) +
				    (r->parts & VMP_MEASURE_LATENCY ? LATENCY_TRIALS : 0);
	r->total += r->pairs.n;
}

/* Set up a run: options, kernels, report, NUMA support, sizes and the work to do. */
static int prepare(struct measure_run *r, vmp_host *host, vmp_measure_options *o)
{
	engine_isa isa = (engine_isa)o->isa;
	uint64_t llc;
	int err;

	r->host = host;
	r->parts = o->parts;
	r->threads = o->threads;
	r->lp = o->level == VMP_MEASURE_FULL ? full_params : quick_params;
	if (o->repetitions)
		r->lp.repetitions = o->repetitions;
	if ((err = engine_kernels(&isa, &r->read, &r->triad)) < 0)
		return measure_engine_error(err);
	o->isa = (vmp_measure_isa)isa;
	if ((err = report_new(&r->rep, host->nnodes)) < 0)
		return err;
	r->rep->isa = o->isa;
	r->rep->repetitions = r->lp.repetitions;
	if ((err = live_llc_bytes(&llc)) < 0)
		return err;
	r->numa = numa_available() >= 0;
	if (!r->numa && host->nnodes > 1) {
		vmp_error_set("cannot measure %d NUMA nodes: the kernel has no NUMA policy support",
			      host->nnodes);
		return VMP_EUNSUPPORTED;
	}
	size_arrays(r, o->array_bytes, llc);
	if ((r->parts & VMP_MEASURE_C2C) && (err = measure_c2c_plan(r)) < 0)
		return err;
	count_work(r);
	return VMP_OK;
}

int vmp_measure_run(vmp_measure_report **out, vmp_host *host, const vmp_measure_options *opts,
		    vmp_progress_fn progress, void *opaque)
{
	vmp_measure_options o = {.level = VMP_MEASURE_QUICK};
	struct measure_run r = {.progress = progress, .opaque = opaque};
	double start = engine_now_s();
	int err;

	if (out)
		*out = NULL;
	if (opts)
		o = *opts;
	if ((err = check_options(&o, host)) < 0)
		return err;
	if (o.level == VMP_MEASURE_NONE)
		return VMP_OK;
	if ((err = prepare(&r, host, &o)) < 0)
		goto out;
	if ((r.parts & (VMP_MEASURE_BANDWIDTH | VMP_MEASURE_LATENCY)) &&
	    (err = measure_memory(&r)) < 0)
		goto out;
	if ((r.parts & VMP_MEASURE_C2C) && (err = measure_c2c(&r)) < 0)
		goto out;

	r.rep->seconds = engine_now_s() - start;
	r.rep->notes = r.notes ? r.notes : strdup("");
	r.notes = NULL;
	if (!r.rep->notes) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	if ((err = fill_host(host, &r)) < 0)
		goto out;
	r.done = r.total;
	measure_step(&r, 0, "measured in %.1f s", r.rep->seconds);
	if (out) {
		*out = r.rep;
		r.rep = NULL;
	}
	err = VMP_OK;
out:
	free(r.pairs.p);
	free(r.c2c);
	free(r.notes);
	vmp_measure_report_free(r.rep);
	return err;
}

int vmp_probe_measure(vmp_host *host, vmp_measure_level level, vmp_progress_fn progress,
		      void *opaque)
{
	vmp_measure_options o = {.level = level};

	return vmp_measure_run(NULL, host, &o, progress, opaque);
}
