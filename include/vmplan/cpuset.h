/* Sets of CPU (or NUMA node) numbers with libvirt's cpuset syntax. */
#ifndef VMPLAN_CPUSET_H
#define VMPLAN_CPUSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest CPU number plus one that a set can hold. */
#define VMP_CPUSET_MAX 4096

/*
 * A plain value type: copy it with '=', no allocation, no free. Zero
 * initialisation ({0} or memset) gives the empty set.
 */
typedef struct vmp_cpuset {
	uint64_t bits[VMP_CPUSET_MAX / 64];
} vmp_cpuset;

/**
 * Parse libvirt's cpuset syntax into out.
 *
 * A comma-separated list of numbers ("8"), ranges ("0-3") and exclusions
 * ("^2"); exclusions remove from what the earlier items added, so
 * "0-3,8,^2" is {0,1,3,8}. Spaces around items are allowed. The empty
 * string is refused: a cpuset names at least one CPU.
 *
 * @param out  the parsed set; left empty on failure
 * @param text the string to parse
 * @return VMP_OK, or VMP_EINVAL with a message that quotes text
 */
int vmp_cpuset_parse(vmp_cpuset *out, const char *text);

/**
 * Format a set into buf in libvirt's syntax with ranges ("0-3,8").
 *
 * @return the length the full string needs (as snprintf), so a return
 *         value >= len means buf was too small and holds a truncated string
 */
size_t vmp_cpuset_format(char *buf, size_t len, const vmp_cpuset *set);

void vmp_cpuset_zero(vmp_cpuset *set);
/** Add cpu; numbers outside [0, VMP_CPUSET_MAX) are ignored. */
void vmp_cpuset_set(vmp_cpuset *set, int cpu);
void vmp_cpuset_clr(vmp_cpuset *set, int cpu);
bool vmp_cpuset_isset(const vmp_cpuset *set, int cpu);
/** Add the range [first, last]. */
void vmp_cpuset_set_range(vmp_cpuset *set, int first, int last);
int vmp_cpuset_count(const vmp_cpuset *set);
bool vmp_cpuset_empty(const vmp_cpuset *set);
bool vmp_cpuset_equal(const vmp_cpuset *a, const vmp_cpuset *b);
/** True when every member of sub is in set. */
bool vmp_cpuset_subset(const vmp_cpuset *sub, const vmp_cpuset *set);
bool vmp_cpuset_intersects(const vmp_cpuset *a, const vmp_cpuset *b);
/** out = a | b; out may alias a or b. */
void vmp_cpuset_or(vmp_cpuset *out, const vmp_cpuset *a, const vmp_cpuset *b);
/** out = a & b; out may alias a or b. */
void vmp_cpuset_and(vmp_cpuset *out, const vmp_cpuset *a, const vmp_cpuset *b);
/** out = a & ~b; out may alias a or b. */
void vmp_cpuset_andnot(vmp_cpuset *out, const vmp_cpuset *a, const vmp_cpuset *b);
/** The smallest member, or -1 when the set is empty. */
int vmp_cpuset_first(const vmp_cpuset *set);
/** The smallest member greater than prev, or -1. Start with prev = -1. */
int vmp_cpuset_next(const vmp_cpuset *set, int prev);

#define VMP_CPUSET_FOREACH(cpu, set)                                                               \
	for ((cpu) = vmp_cpuset_first(set); (cpu) >= 0; (cpu) = vmp_cpuset_next((set), (cpu)))

#endif
