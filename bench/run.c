/* The host bench: a plan's guests emulated on the live host under each variant, figures kept. */
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/guest_internal.h"
#include "bench/host_internal.h"
#include "vmplan/error.h"
#include "vmplan/identity.h"
#include "vmplan/stats.h"
#include "vmplan/version.h"

void bench_add_note(char **notes, size_t *len, const char *fmt, ...)
{
	char text[600];
	size_t n;
	char *grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = strlen(text);
	/* Say a thing once: the same note comes from every repetition and variant. */
	if (*notes && strstr(*notes, text))
		return;
	grown = realloc(*notes, *len + n + 2);
	if (!grown)
		return; /* a lost note is not worth failing the bench */
	memcpy(grown + *len, text, n);
	grown[*len + n] = '\n';
	grown[*len + n + 1] = '\0';
	*notes = grown;
	*len += n + 1;
}

/* ---- results ---- */

struct acc {
	vmp_bench_run *run;
	int cap;
};

int bench_add_result(vmp_bench_run *run, int *cap, const char *vm, vmp_bench_workload w,
		     vmp_bench_variant variant, const double *samples, int reps)
{
	vmp_bench_result *r;
	double *sorted;

	/* More repetitions of a result there is: its samples grow, its figures follow. */
	for (int k = 0; k < run->nresults; k++) {
		double *grown;

		r = &run->results[k];
		if (r->workload != w || r->variant != variant || strcmp(r->vm, vm))
			continue;
		grown = realloc(r->samples, sizeof(double) * (size_t)(r->reps + reps));
		sorted = malloc(sizeof(double) * (size_t)(r->reps + reps));
		if (!grown || !sorted) {
			if (grown)
				r->samples = grown;
			free(sorted);
			goto nomem;
		}
		r->samples = grown;
		memcpy(r->samples + r->reps, samples, sizeof(double) * (size_t)reps);
		r->reps += reps;
		memcpy(sorted, r->samples, sizeof(double) * (size_t)r->reps);
		r->median = vmp_stats_median(sorted, (size_t)r->reps);
		r->min = sorted[0];
		r->max = sorted[r->reps - 1];
		free(sorted);
		return VMP_OK;
	}
	if (run->nresults == *cap) {
		int more = *cap ? 2 * *cap : 16;
		vmp_bench_result *grown = realloc(run->results, sizeof(*grown) * (size_t)more);

		if (!grown)
			goto nomem;
		run->results = grown;
		*cap = more;
	}
	r = &run->results[run->nresults];
	memset(r, 0, sizeof(*r));
	snprintf(r->vm, sizeof(r->vm), "%s", vm);
	r->workload = w;
	r->variant = variant;
	r->higher_is_better = vmp_bench_higher_is_better(w);
	r->reps = reps;
	r->samples = malloc(sizeof(double) * (size_t)reps);
	sorted = malloc(sizeof(double) * (size_t)reps);
	if (!r->samples || !sorted) {
		free(r->samples);
		free(sorted);
		goto nomem;
	}
	memcpy(r->samples, samples, sizeof(double) * (size_t)reps);
	memcpy(sorted, samples, sizeof(double) * (size_t)reps);
	r->median = vmp_stats_median(sorted, (size_t)reps);
	r->min = sorted[0];
	r->max = sorted[reps - 1];
	free(sorted);
	run->nresults++;
	return VMP_OK;
nomem:
	vmp_error_set("out of memory");
	return VMP_ENOMEM;
}

static void progress(const vmp_bench_options *o, double fraction, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void progress(const vmp_bench_options *o, double fraction, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (!o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	o->progress(o->opaque, what, fraction);
}

/* What one pass of the variants runs: which workloads, how many times, whether to check. */
struct pass {
	const vmp_bench_workload *workloads;
	int nworkloads;
	int reps;
	bool checks;
	int *done, total;
};

/* Run workload wl reps times; one sample a VM a repetition, samples[vm * reps + rep]. */
static void run_reps(struct emulation *e, vmp_bench_workload wl, const vmp_bench_options *o,
		     double *samples, const struct pass *p)
{
	e->workload = wl;
	emulation_job(e, JOB_PREPARE, 0);
	for (int r = 0; r < p->reps; r++) {
		progress(o, (double)(*p->done)++ / p->total, "%s: %s, repetition %d of %d",
			 vmp_bench_variant_name(e->variant), vmp_bench_workload_name(wl), r + 1,
			 p->reps);
		emulation_job(e, JOB_RUN, o->seconds);
		for (int i = 0; i < e->nvms; i++) {
			struct gvm *g = &e->vms[i];
			double sum = 0;
			int n = 0;

			for (int v = 0; v < g->nvcpus; v++) {
				struct gthread *t = &e->t[g->first + v];

				if (t->has_value) {
					sum += t->value;
					n++;
				}
			}
			/* Stream: the VM's bandwidth; the others: the mean per vCPU. */
			samples[(size_t)i * (size_t)p->reps + (size_t)r] = n == 0 ? NAN
									   : wl == VMP_BENCH_STREAM
									       ? sum
									       : sum / n;
		}
	}
}

/* One variant: build, touch, check, then every workload reps times. */
static int run_variant(struct acc *acc, const vmp_plan *plan, const vmp_host *host,
		       vmp_bench_variant variant, const struct setup *s, const struct pass *p,
		       char **notes, size_t *notes_len)
{
	const vmp_bench_options *o = s->o;
	struct emulation *e = NULL;
	double *samples = NULL;
	int err;

	if ((err = emulation_new(&e, plan, host, variant, s, notes, notes_len)) < 0)
		return err;
	progress(o, (double)*p->done / p->total, "%s: touching guest memory",
		 vmp_bench_variant_name(variant));
	emulation_job(e, JOB_TOUCH, 0);
	samples = calloc((size_t)e->nvms * (size_t)p->reps, sizeof(*samples));
	if (!samples) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	for (int w = 0; w < p->nworkloads; w++) {
		vmp_bench_workload wl = p->workloads[w];

		run_reps(e, wl, o, samples, p);
		for (int i = 0; i < e->nvms; i++) {
			const double *v = samples + (size_t)i * (size_t)p->reps;

			if (isnan(v[0])) {
				bench_add_note(
				    notes, notes_len,
				    "vm '%s': no %s figure (c2c needs two vCPUs or more)",
				    e->vms[i].vm->req.name, vmp_bench_workload_name(wl));
				continue;
			}
			if ((err = bench_add_result(acc->run, &acc->cap, e->vms[i].vm->req.name, wl,
						    variant, v, p->reps)) < 0)
				goto out;
		}
	}
	if (p->checks &&
	    (err = variant == VMP_BENCH_PLAN ? host_record_checks(e, acc->run, s)
					     : host_record_baseline_checks(e, acc->run, s)) < 0)
		goto out;
	err = VMP_OK;
out:
	free(samples);
	emulation_free(e);
	return err;
}

/* Another machine's plan is refused unless forced (*other_host says it was); see identity.h. */
static int check_identity(bool *other_host, const vmp_plan *plan, const vmp_host *host, bool force)
{
	vmp_plan_host_result r;

	vmp_plan_host_check(&r, plan, host, false);
	*other_host = !r.same_host;
	if (!r.same_host && !force) {
		vmp_error_set(
		    "plan is for host '%s', not this host '%s': %s; bench it on that host",
		    plan->hostname, host->hostname, r.differs);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

static int check_plan(bool *other_host, const vmp_plan *plan, const vmp_host *host, bool force)
{
	int placed = 0, err;

	if ((err = check_identity(other_host, plan, host, force)) < 0)
		return err;
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		vmp_cpuset all = vm->pcpus;
		char buf[256];

		if (!vm->placed)
			continue;
		placed++;
		if (vm->req.vcpus == 0 || vm->req.vcpus > VMP_MAX_VCPUS) {
			vmp_error_set("vm '%s' has %u vCPUs; nothing to bench", vm->req.name,
				      vm->req.vcpus);
			return VMP_EINVAL;
		}
		for (unsigned v = 0; v < vm->req.vcpus; v++)
			if (vm->vcpupin[v] >= 0)
				vmp_cpuset_set(&all, vm->vcpupin[v]);
		vmp_cpuset_or(&all, &all, &vm->emulatorpin);
		for (int t = 0; t < vm->niothreads; t++)
			vmp_cpuset_or(&all, &all, &vm->iothreadpin[t]);
		if (!vmp_cpuset_subset(&all, &host->online)) {
			vmp_cpuset_andnot(&all, &all, &host->online);
			vmp_cpuset_format(buf, sizeof(buf), &all);
			vmp_error_set("vm '%s' is pinned to CPUs %s, which this host does not have "
				      "online",
				      vm->req.name, buf);
			return VMP_EINVAL;
		}
		for (int c = 0; c < vm->ncells; c++)
			if (vmp_host_node_index(host, vm->cells[c].host_node) < 0 ||
			    vm->cells[c].host_node >= MAX_NODE_ID) {
				vmp_error_set(
				    "vm '%s' cell %d is bound to node %d, which this host "
				    "does not have",
				    vm->req.name, c, vm->cells[c].host_node);
				return VMP_EINVAL;
			}
	}
	if (placed == 0) {
		vmp_error_set("plan places no VM; nothing to bench");
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* The default workloads: those of every VM's profile, in order of first appearance. */
static void default_workloads(vmp_bench_options *o, const vmp_plan *plan)
{
	for (int i = 0; i < plan->nvms; i++) {
		vmp_bench_workload wl[VMP_BENCH_NWORKLOADS];
		int n;

		if (!plan->vms[i].placed)
			continue;
		n = vmp_bench_request_workloads(wl, &plan->vms[i].req);
		for (int k = 0; k < n; k++) {
			bool have = false;

			for (int j = 0; j < o->nworkloads; j++)
				have |= o->workloads[j] == wl[k];
			if (!have)
				o->workloads[o->nworkloads++] = wl[k];
		}
	}
}

/* Each VM's primary metric: the first workload of the list (or of its profile's) it has. */
static void mark_primary(vmp_bench_run *run, const vmp_plan *plan, const vmp_bench_options *o)
{
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		vmp_bench_workload wl[VMP_BENCH_NWORKLOADS];
		int n = 0, pick = -1;

		if (!vm->placed)
			continue;
		if (o) {
			n = o->nworkloads;
			memcpy(wl, o->workloads, sizeof(wl[0]) * (size_t)n);
		} else {
			n = vmp_bench_request_workloads(wl, &vm->req);
		}
		for (int k = 0; k < n && pick < 0; k++)
			if (vmp_bench_find(run, vm->req.name, wl[k], VMP_BENCH_PLAN))
				pick = (int)wl[k];
		for (int k = 0; k < run->nresults && pick < 0; k++)
			if (!strcmp(run->results[k].vm, vm->req.name))
				pick = (int)run->results[k].workload;
		for (int k = 0; k < run->nresults; k++)
			if (!strcmp(run->results[k].vm, vm->req.name) &&
			    (int)run->results[k].workload == pick)
				run->results[k].primary = true;
	}
}

/* The primary workloads with a verdict still inconclusive against some baseline: how many. */
static int unclear(vmp_bench_workload out[VMP_BENCH_NWORKLOADS], const vmp_bench_run *run)
{
	int n = 0;

	for (int k = 0; k < run->nresults; k++) {
		const vmp_bench_result *r = &run->results[k];
		bool have = false;

		if (r->variant != VMP_BENCH_PLAN || !r->primary)
			continue;
		for (int j = 0; j < n; j++)
			have |= out[j] == r->workload;
		for (int v = VMP_BENCH_UNPINNED; v < VMP_BENCH_NVARIANTS && !have; v++) {
			const vmp_bench_result *b =
			    vmp_bench_find(run, r->vm, r->workload, (vmp_bench_variant)v);

			if (b && vmp_bench_compare(NULL, r, b, run->threshold_pct) ==
				     VMP_VERDICT_INCONCLUSIVE) {
				out[n++] = r->workload;
				have = true;
			}
		}
	}
	return n;
}

/*
 * The repetition budget: while a VM's primary verdict is inconclusive, every variant runs
 * that workload (for every VM at once, so that contention stays real) another reps times,
 * until no verdict is inconclusive or the run has max_reps repetitions.
 */
static int repeat_until_clear(struct acc *acc, const vmp_plan *plan, const vmp_host *host,
			      const struct setup *s, int nvariants, char **notes, size_t *notes_len)
{
	vmp_bench_run *run = acc->run;
	const vmp_bench_options *o = s->o;
	vmp_bench_workload wl[VMP_BENCH_NWORKLOADS];
	int have = o->reps, nwl, done = 0, err;

	while (have < o->max_reps && (nwl = unclear(wl, run)) > 0) {
		int add = o->max_reps - have < o->reps ? o->max_reps - have : o->reps;
		struct pass more = {wl, nwl, add, false, &done, nvariants * nwl * add};

		done = 0;
		for (int v = 0; v < VMP_BENCH_NVARIANTS; v++)
			if ((run->variants & (1u << v)) &&
			    (err = run_variant(acc, plan, host, (vmp_bench_variant)v, s, &more,
					       notes, notes_len)) < 0)
				return err;
		have += add;
		bench_add_note(notes, notes_len,
			       "gate: a verdict was inconclusive; repetitions %d-%d of %s run "
			       "(budget %d)",
			       have - add + 1, have, vmp_bench_workload_name(wl[0]), o->max_reps);
	}
	if (have > o->reps && unclear(wl, run) > 0)
		bench_add_note(notes, notes_len,
			       "gate: still inconclusive after %d repetitions, the budget (--reps "
			       "x %d)",
			       have, VMP_BENCH_REPS_BUDGET);
	return VMP_OK;
}

void vmp_bench_run_free(vmp_bench_run *run)
{
	if (!run)
		return;
	for (int k = 0; k < run->nresults; k++)
		free(run->results[k].samples);
	free(run->results);
	free(run->checks);
	free(run->guest_checks);
	free(run->notes);
	free(run);
}

/* The options with their defaults filled in, checked. */
static int check_options(vmp_bench_options *o, const vmp_host *host)
{
	if (o->reps == 0)
		o->reps = VMP_BENCH_DEFAULT_REPS;
	if (o->seconds == 0)
		o->seconds = VMP_BENCH_DEFAULT_SECONDS;
	if (o->cell_bytes == 0)
		o->cell_bytes = VMP_BENCH_DEFAULT_CELL_BYTES;
	if (o->baselines == 0)
		o->baselines = VMP_BENCH_BASE_UNPINNED | VMP_BENCH_BASE_NAIVE;
	if (o->threshold_pct == 0)
		o->threshold_pct = VMP_BENCH_GATE_THRESHOLD;
	if (o->max_reps == 0 && o->reps >= 1 && o->reps <= 1000)
		o->max_reps = VMP_BENCH_REPS_BUDGET * o->reps;
	if (!(o->threshold_pct > 0 && o->threshold_pct < 100)) {
		vmp_error_set("cannot gate at a threshold of %g%%: use more than 0, below 100",
			      o->threshold_pct);
		return VMP_EINVAL;
	}
	if (o->reps < 1 || o->reps > 1000) {
		vmp_error_set("cannot bench with %d repetitions: use 1 to 1000", o->reps);
		return VMP_EINVAL;
	}
	if (o->max_reps < o->reps || o->max_reps > 3000) {
		vmp_error_set("cannot bench with a budget of %d repetitions: use %d to 3000",
			      o->max_reps, o->reps);
		return VMP_EINVAL;
	}
	if (!(o->seconds > 0 && o->seconds <= 3600)) {
		vmp_error_set("cannot bench for %g seconds a repetition: use more than 0, up to "
			      "3600",
			      o->seconds);
		return VMP_EINVAL;
	}
	if (o->baselines & ~(VMP_BENCH_BASE_UNPINNED | VMP_BENCH_BASE_NAIVE)) {
		vmp_error_set("cannot bench against baselines 0x%x: unknown bits", o->baselines);
		return VMP_EINVAL;
	}
	if (o->nworkloads < 0 || o->nworkloads > VMP_BENCH_NWORKLOADS) {
		vmp_error_set("cannot bench %d workloads", o->nworkloads);
		return VMP_EINVAL;
	}
	if (host->source != VMP_SOURCE_LIVE) {
		vmp_error_set("cannot bench on host '%s': the bench needs the live host",
			      host->hostname);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* A new run's header: when, where, what plan, which workloads and variants. */
static vmp_bench_run *new_run(const vmp_plan *plan, const vmp_host *host,
			      const vmp_bench_options *o)
{
	vmp_bench_run *run = calloc(1, sizeof(*run));
	time_t now = time(NULL);
	struct tm tm;

	if (!run) {
		vmp_error_set("out of memory");
		return NULL;
	}
	gmtime_r(&now, &tm);
	strftime(run->started_at, sizeof(run->started_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	vmp_host_fingerprint(run->host, host);
	snprintf(run->hostname, sizeof(run->hostname), "%s", host->hostname);
	snprintf(run->version, sizeof(run->version), "%s", VMPLAN_VERSION);
	vmp_bench_plan_hash(run->plan_hash, plan);
	for (int w = 0; w < o->nworkloads; w++) {
		size_t len = strlen(run->workloads);

		snprintf(run->workloads + len, sizeof(run->workloads) - len, "%s%s", w ? "," : "",
			 vmp_bench_workload_name(o->workloads[w]));
	}
	run->reps = o->reps;
	run->max_reps = o->max_reps;
	run->threshold_pct = o->threshold_pct;
	run->seconds = o->seconds;
	run->variants = 1u << VMP_BENCH_PLAN | o->baselines;
	return run;
}

/* What every variant shares: the options, whether an antagonist runs, the online CPUs. */
static int make_setup(struct setup *s, const vmp_bench_options *o, const vmp_host *host)
{
	cpu_set_t mask;
	int cpu;

	s->o = o;
	for (int w = 0; w < o->nworkloads; w++)
		s->antagonist |= o->workloads[w] == VMP_BENCH_NOISY;
	s->online = malloc(sizeof(int) * (size_t)(vmp_cpuset_count(&host->online) + 1));
	if (!s->online) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	VMP_CPUSET_FOREACH (cpu, &host->online)
		s->online[s->nonline++] = cpu;
	/* What a thread without affinity of its own may run on: this process's CPUs. */
	if (sched_getaffinity(0, sizeof(mask), &mask) == 0) {
		for (cpu = 0; cpu < CPU_SETSIZE && cpu < VMP_CPUSET_MAX; cpu++)
			if (CPU_ISSET(cpu, &mask))
				vmp_cpuset_set(&s->process_cpus, cpu);
	} else {
		s->process_cpus = host->online;
	}
	if (s->nonline == 0) {
		vmp_error_set("cannot bench on host '%s': no CPU is online", host->hostname);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

int vmp_bench_run_plan(vmp_bench_run **out, const vmp_plan *plan, const vmp_host *host,
		       const vmp_bench_options *opts)
{
	vmp_bench_options o = {0};
	struct setup s = {0};
	struct acc acc = {0};
	vmp_bench_run *run = NULL;
	char *notes = NULL;
	size_t notes_len = 0;
	double start = engine_now_s();
	int err, done = 0, total, nvariants = 0;
	bool other_host = false;
	struct pass first;
	bool user_list;

	*out = NULL;
	if (opts)
		o = *opts;
	if ((err = check_options(&o, host)) < 0)
		return err;
	if ((err = check_plan(&other_host, plan, host, o.force)) < 0)
		return err;
	user_list = o.nworkloads > 0;
	if (!user_list)
		default_workloads(&o, plan);
	if (!(run = new_run(plan, host, &o)))
		return VMP_ENOMEM;
	acc.run = run;
	if (other_host)
		bench_add_note(&notes, &notes_len,
			       "forced: the plan is for host %s (%s), this host is %s; pins and "
			       "nodes were checked to exist",
			       plan->hostname, plan->host, run->host);
	/* The guest engine boots the variants through libvirt (bench/guest_run.c). */
	if (o.engine == VMP_BENCH_ENGINE_GUEST &&
	    (err = guest_run_variants(run, plan, host, &o, &notes, &notes_len)) < 0)
		goto out;
	if (o.engine == VMP_BENCH_ENGINE_HOST && (err = make_setup(&s, &o, host)) < 0)
		goto out;
	for (int v = 0; v < VMP_BENCH_NVARIANTS; v++)
		nvariants += !!(run->variants & (1u << v));
	total = nvariants * o.nworkloads * o.reps;
	first = (struct pass){o.workloads, o.nworkloads, o.reps, true, &done, total};
	for (int v = 0; v < VMP_BENCH_NVARIANTS && o.engine == VMP_BENCH_ENGINE_HOST; v++)
		if ((run->variants & (1u << v)) &&
		    (err = run_variant(&acc, plan, host, (vmp_bench_variant)v, &s, &first, &notes,
				       &notes_len)) < 0)
			goto out;
	mark_primary(run, plan, user_list ? &o : NULL);
	if (o.engine == VMP_BENCH_ENGINE_HOST &&
	    (err = repeat_until_clear(&acc, plan, host, &s, nvariants, &notes, &notes_len)) < 0)
		goto out;
	progress(&o, 1.0, "done");
	run->notes = notes ? notes : strdup("");
	notes = NULL;
	if (!run->notes) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	run->wall_s = engine_now_s() - start;
	*out = run;
	run = NULL;
	err = VMP_OK;
out:
	free(s.online);
	free(notes);
	vmp_bench_run_free(run);
	return err;
}
