/* Progress lines on a terminal: one line that rewrites itself and fits the width. */
#ifndef VMPLAN_PROGRESS_H
#define VMPLAN_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

/**
 * Lay out one progress line, "PREFIX  42% WHAT", to be rewritten in place (after a '\r') on
 * a terminal width columns wide. A line that fits in width - 1 columns is padded with spaces
 * to width - 1, so that it covers a longer line before it; one that does not fit is left
 * whole, never cut inside a word, for the caller to print on a line of its own.
 *
 * @param out      the line, without '\r' or newline (truncated to size - 1 bytes only when
 *                 size is too small for it)
 * @param width    the terminal's columns (a width under 2 fits nothing)
 * @param fraction done so far, 0 to 1
 * @return true when the line fits and may rewrite the current one, false when it goes on a
 *         line of its own
 */
bool vmp_progress_line(char *out, size_t size, const char *prefix, const char *what,
		       double fraction, int width);

/**
 * The columns of the terminal on file descriptor fd: its window size, else $COLUMNS, else 80.
 */
int vmp_progress_width(int fd);

#endif
