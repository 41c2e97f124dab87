/* Progress lines on a terminal: one line that rewrites itself and fits the width. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmplan/progress.h"

/* Columns the UTF-8 text s takes: one per character (no wide characters in these lines). */
static int columns(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

bool vmp_progress_line(char *out, size_t size, const char *prefix, const char *what,
		       double fraction, int width)
{
	int pct = (int)(fraction * 100 + 0.5), len;

	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	snprintf(out, size, "%s %3d%% %s", prefix, pct, what);
	len = columns(out);
	if (width < 2 || len > width - 1)
		return false;
	/* Spaces to width - 1 cover what a longer line before it left on the screen. */
	for (size_t at = strlen(out); len < width - 1 && at + 1 < size; len++, at++) {
		out[at] = ' ';
		out[at + 1] = '\0';
	}
	return true;
}

int vmp_progress_width(int fd)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	long n;
	char *end;

	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env && *env) {
		n = strtol(env, &end, 10);
		if (!*end && n > 0 && n < 10000)
			return (int)n;
	}
	return 80;
}
