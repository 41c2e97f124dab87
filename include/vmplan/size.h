/* Memory sizes as libvirt and Salt users write them. */
#ifndef VMPLAN_SIZE_H
#define VMPLAN_SIZE_H

#include <stddef.h>
#include <stdint.h>

/**
 * Parse a size into bytes.
 *
 * A bare number is MiB (Salt's rule). Units, case-insensitive:
 * "b" bytes; "k", "m", "g", "t" and "KiB", "MiB", "GiB", "TiB" are powers
 * of 1024; "kb", "mb", "gb", "tb" are powers of 1000. Only non-negative
 * whole numbers are accepted; spaces between number and unit are allowed.
 *
 * @param out  the size in bytes; untouched on failure
 * @param text the string to parse, e.g. "16G", "512", "1GiB", "2048k"
 * @return VMP_OK, or VMP_EINVAL for a negative, overflowing, empty or
 *         malformed size or an unknown unit, with a message that quotes text
 */
int vmp_size_parse(uint64_t *out, const char *text);

/**
 * Format bytes for people: the largest binary unit that divides exactly
 * ("16GiB", "1536MiB", "100B").
 *
 * @return as snprintf
 */
size_t vmp_size_format(char *buf, size_t len, uint64_t bytes);

/**
 * Format bytes for reading at a glance: the largest binary unit of which there is at least
 * one, with tenths rounded down where it does not divide exactly ("7.4GiB", "16GiB", "512B").
 * Not for values to be given back as input: vmp_size_format() is exact.
 *
 * @return as snprintf
 */
size_t vmp_size_human(char *buf, size_t len, uint64_t bytes);

/**
 * Round a size down to a value a person would type: whole GiB from 10 GiB, whole MiB from
 * 1 MiB, else bytes. For suggestions such as "lower memory to ...": never more than bytes.
 */
uint64_t vmp_size_round_down(uint64_t bytes);

#endif
