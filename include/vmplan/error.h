/* Error codes and the one-message-per-thread error API of vmplan. */
#ifndef VMPLAN_ERROR_H
#define VMPLAN_ERROR_H

/*
 * Every fallible function returns VMP_OK (0) or one of the negative codes
 * below. The code that finds the problem sets a message with vmp_error_set();
 * callers read it with vmp_error_last() and never overwrite it on the way up.
 */
enum {
	VMP_OK = 0,
	VMP_EINVAL = -1,      /* bad input: a value, a file's content, a spec */
	VMP_ENOTFOUND = -2,   /* a named thing (file, node, VM) does not exist */
	VMP_EINFEASIBLE = -3, /* a request cannot be satisfied on this host */
	VMP_ESYS = -4,        /* a system call or library failed at run time */
	VMP_ENOMEM = -5,      /* allocation failed */
	VMP_EUNSUPPORTED = -6 /* valid, but not supported by this build or host */
};

/**
 * Set the calling thread's last error message, printf-style.
 *
 * Messages follow git's rules: lowercase, no full stop, the problem first,
 * the subject quoted. The message is truncated at 1023 bytes.
 */
void vmp_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * The calling thread's last error message, or "" when none was set.
 * The string is borrowed and valid until the next vmp_error_set() call.
 */
const char *vmp_error_last(void);

/** Forget the last error message. */
void vmp_error_clear(void);

#endif
