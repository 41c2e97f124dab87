/* Reading and writing whole files safely. */
#ifndef VMPLAN_FILEIO_H
#define VMPLAN_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

/**
 * Write a file atomically: to a temporary name beside path, flushed, then
 * renamed into place. On failure nothing is left behind and an existing
 * file at path is untouched.
 * @return VMP_OK, or VMP_ESYS with a message naming path and the reason
 */
int vmp_file_write_atomic(const char *path, const void *data, size_t len);

/**
 * Create a directory and its missing parents (mode 0755).
 * @return VMP_OK (also when it exists), or VMP_ESYS naming the path
 */
int vmp_mkdir_p(const char *path);

/**
 * Read a whole file into a NUL-terminated buffer.
 * @param out  the content; the caller frees it with free()
 * @param len  its length, or NULL
 * @param what what the file is, for messages ("plan", "domain XML")
 * @return VMP_OK, VMP_ENOTFOUND when it cannot be read (the message names what and
 *         path), VMP_ENOMEM
 */
int vmp_file_read(char **out, size_t *len, const char *path, const char *what);

/**
 * Read a small text file (a sysfs or resctrl attribute) into buf, NUL-terminated.
 *
 * @param what  what the file is, for messages ("sysfs", "resctrl")
 * @param unreadable_is_missing  treat a file this process may not read (EACCES,
 *              EPERM, a directory) as missing
 * @return VMP_OK; VMP_ENOTFOUND, without a message, when the file is missing;
 *         VMP_EINVAL when it is size - 1 bytes or longer; VMP_ESYS otherwise,
 *         with a message naming what and path
 */
int vmp_file_read_text(char *buf, size_t size, const char *path, const char *what,
		       bool unreadable_is_missing);

/** text without its surrounding white space, in place; returns the new start. */
char *vmp_str_trim(char *text);

#endif
