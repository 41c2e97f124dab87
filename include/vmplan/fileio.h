/* Reading and writing whole files safely. */
#ifndef VMPLAN_FILEIO_H
#define VMPLAN_FILEIO_H

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

#endif
