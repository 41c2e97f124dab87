/* The gate's statistics: a distribution-free confidence interval of the plan/baseline ratio. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/bench.h"
#include "vmplan/error.h"
#include "vmplan/stats.h"

#define EXACT_PAIRS 2500     /* past this many pairs, the normal approximation of U */
#define Z_95        1.959964 /* the two-sided 95% quantile of the normal distribution */

static const char *const verdict_names[] = {"same", "better", "worse", "inconclusive"};

const char *vmp_bench_verdict_name(vmp_bench_verdict v)
{
	return (unsigned)v <= VMP_VERDICT_INCONCLUSIVE ? verdict_names[v] : "unknown";
}

void vmp_bench_run_perf_not_judged(vmp_bench_run *run, const char *reason)
{
	snprintf(run->perf_not_judged, sizeof(run->perf_not_judged), "%s",
		 reason && *reason ? reason : "not judged");
}

/* The logarithms of the usable samples (finite, positive): how many. */
static int logs(double *out, const double *v, int n)
{
	int k = 0;

	for (int i = 0; v && i < n; i++)
		if (isfinite(v[i]) && v[i] > 0)
			out[k++] = log(v[i]);
	return k;
}

/*
 * The null distribution of the Mann-Whitney U for samples of n and m without ties: out[u]
 * is the number of orderings with U = u, for u = 0 .. n * m. Built by adding only
 * (c(i, j, u) = c(i - 1, j, u - j) + c(i, j - 1, u)), so that its small tails stay exact
 * where a product formula would lose them in cancellation. NULL when out of memory.
 */
static double *u_counts(int n, int m)
{
	size_t width = (size_t)n * (size_t)m + 1, row = (size_t)(m + 1) * width;
	double *prev = calloc(row, sizeof(double)), *cur = calloc(row, sizeof(double)), *out;

	if (!prev || !cur) {
		free(prev);
		free(cur);
		return NULL;
	}
	/* i = 0: one ordering, U = 0, whatever j. */
	for (int j = 0; j <= m; j++)
		prev[(size_t)j * width] = 1;
	for (int i = 1; i <= n; i++) {
		memset(cur, 0, row * sizeof(double));
		cur[0] = 1; /* j = 0 */
		for (int j = 1; j <= m; j++)
			for (size_t u = 0; u <= (size_t)i * (size_t)j; u++) {
				double a =
				    u >= (size_t)j ? prev[(size_t)j * width + u - (size_t)j] : 0;

				cur[(size_t)j * width + u] = a + cur[(size_t)(j - 1) * width + u];
			}
		double *t = prev;

		prev = cur;
		cur = t;
	}
	out = malloc(width * sizeof(double));
	if (out)
		memcpy(out, prev + (size_t)m * width, width * sizeof(double));
	free(prev);
	free(cur);
	return out;
}

/*
 * The rank k (from 1) of the pairwise difference that bounds the interval below (and
 * N + 1 - k above) at coverage >= VMP_BENCH_CONFIDENCE, with that coverage in *coverage;
 * 0 when no k reaches it; -1 when out of memory.
 */
static long bound_rank(double *coverage, int n, int m)
{
	long pairs = (long)n * m, k = 0;
	double alpha = 1 - VMP_BENCH_CONFIDENCE;

	*coverage = 0;
	if (pairs > EXACT_PAIRS) {
		double sd = sqrt((double)pairs * (n + m + 1) / 12.0);

		k = (long)floor((double)pairs / 2 - Z_95 * sd);
		if (k >= 1)
			*coverage = VMP_BENCH_CONFIDENCE;
		return k < 1 ? 0 : k;
	}
	/* U's distribution is the same with the samples swapped: the smaller one in rows. */
	double *c = n >= m ? u_counts(n, m) : u_counts(m, n), total = 0, tail = 0;

	if (!c)
		return -1;
	for (long u = 0; u <= pairs; u++)
		total += c[u];
	/* CI [d(k), d(N + 1 - k)] misses with probability 2 P(U <= k - 1). */
	for (long u = 0; u < pairs / 2; u++) {
		tail += c[u];
		if (2 * tail / total > alpha + 1e-12)
			break;
		k = u + 1;
		*coverage = 1 - 2 * tail / total;
	}
	free(c);
	return k;
}

static double median_of(const double *v, int n)
{
	double *s = malloc(sizeof(double) * (size_t)(n ? n : 1)), m;

	if (!s)
		return NAN;
	memcpy(s, v, sizeof(double) * (size_t)n);
	m = vmp_stats_median(s, (size_t)n);
	free(s);
	return m;
}

int vmp_bench_judge(vmp_bench_judgement *out, const double *plan, int nplan, const double *base,
		    int nbase, bool higher_is_better, double threshold_pct)
{
	double *lp = NULL, *lb = NULL, *d = NULL, t = threshold_pct / 100, lo, hi, mp, mb;
	long k, pairs;
	int n, m, err = VMP_OK;

	memset(out, 0, sizeof(*out));
	out->verdict = VMP_VERDICT_INCONCLUSIVE;
	out->ratio = out->ci_lo = out->ci_hi = NAN;
	if (nplan < 0 || nbase < 0 || !(threshold_pct >= 0 && threshold_pct < 100)) {
		vmp_error_set("cannot judge %d samples against %d at a threshold of %g%%", nplan,
			      nbase, threshold_pct);
		return VMP_EINVAL;
	}
	lp = malloc(sizeof(double) * (size_t)(nplan + 1));
	lb = malloc(sizeof(double) * (size_t)(nbase + 1));
	if (!lp || !lb)
		goto nomem;
	n = out->nplan = logs(lp, plan, nplan);
	m = out->nbase = logs(lb, base, nbase);
	if (n == 0 || m == 0)
		goto out;
	/* The point estimate is the ratio of the medians, as the table shows it. */
	mp = exp(median_of(lp, n));
	mb = exp(median_of(lb, m));
	out->ratio = higher_is_better ? mp / mb : mb / mp;
	if ((k = bound_rank(&out->confidence, n, m)) < 0)
		goto nomem;
	if (k == 0)
		goto out; /* too few samples for an interval at that confidence */
	pairs = (long)n * m;
	if (!(d = malloc(sizeof(double) * (size_t)pairs)))
		goto nomem;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < m; j++)
			d[(size_t)i * (size_t)m + (size_t)j] = lp[i] - lb[j];
	vmp_stats_sort(d, (size_t)pairs);
	/* log(plan / base): turned round where less is better. */
	lo = higher_is_better ? d[k - 1] : -d[pairs - k];
	hi = higher_is_better ? d[pairs - k] : -d[k - 1];
	out->ci_lo = exp(lo);
	out->ci_hi = exp(hi);
	if (out->ci_lo > 1)
		out->verdict = VMP_VERDICT_BETTER;
	else if (out->ci_lo >= 1 - t)
		out->verdict = VMP_VERDICT_SAME;
	else if (out->ci_hi < 1)
		out->verdict = VMP_VERDICT_WORSE;
	else
		out->verdict = VMP_VERDICT_INCONCLUSIVE;
	goto out;
nomem:
	vmp_error_set("out of memory");
	err = VMP_ENOMEM;
out:
	free(lp);
	free(lb);
	free(d);
	return err;
}

vmp_bench_verdict vmp_bench_compare(vmp_bench_judgement *out, const vmp_bench_result *plan,
				    const vmp_bench_result *base, double threshold_pct)
{
	vmp_bench_judgement j;

	if (vmp_bench_judge(&j, plan->samples, plan->samples ? plan->reps : 0, base->samples,
			    base->samples ? base->reps : 0, plan->higher_is_better,
			    threshold_pct > 0 ? threshold_pct : VMP_BENCH_GATE_THRESHOLD) < 0) {
		vmp_error_clear();
		j.verdict = VMP_VERDICT_INCONCLUSIVE;
	}
	if (out)
		*out = j;
	return j.verdict;
}
