/* Order statistics of small samples: sorting and medians of doubles. */
#include <math.h>
#include <stdlib.h>

#include "vmplan/stats.h"

int vmp_stats_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void vmp_stats_sort(double *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), vmp_stats_cmp_double);
}

double vmp_stats_median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	vmp_stats_sort(v, n);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
