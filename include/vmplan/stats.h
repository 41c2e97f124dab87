/* Order statistics of small samples: sorting and medians of doubles. */
#ifndef VMPLAN_STATS_H
#define VMPLAN_STATS_H

#include <stddef.h>

/**
 * Compare two doubles for qsort(), ascending.
 *
 * @param a, b pointers to the doubles
 * @return -1, 0 or 1; NaN compares equal to everything (sort samples without NaN)
 */
int vmp_stats_cmp_double(const void *a, const void *b);

/** Sort n doubles in place, ascending. */
void vmp_stats_sort(double *v, size_t n);

/**
 * The median of n doubles: the middle one, or the mean of the two middle ones.
 *
 * @param v the samples; sorted in place
 * @param n how many, 0 allowed
 * @return the median, NaN when n is 0
 */
double vmp_stats_median(double *v, size_t n);

#endif
