/* The last error message of each thread. */
#include <stdarg.h>
#include <stdio.h>

#include "vmplan/error.h"

static _Thread_local char last_error[1024];

void vmp_error_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

const char *vmp_error_last(void)
{
	return last_error;
}

void vmp_error_clear(void)
{
	last_error[0] = '\0';
}
