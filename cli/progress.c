/* Progress of long measurements on stderr, fitted to the terminal. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "vmplan/progress.h"

void cli_progress(const char *prefix, const char *what, double fraction)
{
	int width = vmp_progress_width(STDERR_FILENO);
	char line[1024];

	if (vmp_progress_line(line, sizeof(line), prefix, what, fraction, width)) {
		fprintf(stderr, "\r%s", line);
		if (fraction >= 1)
			fputc('\n', stderr);
	} else {
		/* Too wide to rewrite in place: blank the current line, then a line of its own. */
		fprintf(stderr, "\r%*s\r%s\n", width > 1 ? width - 1 : 0, "", line);
	}
	fflush(stderr);
}
