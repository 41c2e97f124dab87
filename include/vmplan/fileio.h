/* Reading and writing whole files safely. */
#ifndef VMPLAN_FILEIO_H
#define VMPLAN_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The write layer. Every output of vmplan goes through it, with these promises:
 * - a symbolic link as the last component of an output path is followed only when it
 *   belongs to the caller or to root (root follows root's links only); any other is
 *   refused with VMP_EINVAL, and nothing is written;
 * - a file is written to a temporary beside it, flushed, then renamed into place; a set
 *   of files is renamed only once every one of them is whole in its temporary;
 * - temporaries and work folders are removed on failure and, after
 *   vmp_file_guard_signals(), on SIGINT, SIGTERM, SIGHUP and SIGQUIT;
 * - a device or a pipe (/dev/null, /dev/stdout) is written into, not replaced.
 */

/** A set of files written together (vmp_fileset_new); opaque. */
typedef struct vmp_fileset vmp_fileset;

/**
 * Start an empty set of files.
 * @return VMP_OK, or VMP_ENOMEM
 */
int vmp_fileset_new(vmp_fileset **out);

/**
 * Write data to a temporary beside path (see the promises above); the file at path is
 * untouched until vmp_fileset_commit().
 * @return VMP_OK; VMP_EINVAL for a foreign symbolic link, a directory, or a path named
 *         twice; VMP_ESYS with a message naming path and the reason; VMP_ENOMEM
 */
int vmp_fileset_add(vmp_fileset *set, const char *path, const void *data, size_t len);

/**
 * Rename every temporary of the set into place, then write devices and pipes.
 * @return VMP_OK, or VMP_ESYS naming the file that could not be put in place
 */
int vmp_fileset_commit(vmp_fileset *set);

/** Remove the temporaries not committed, and free the set; accepts NULL. */
void vmp_fileset_free(vmp_fileset *set);

/**
 * Write one file atomically: a set of one file, committed.
 * @return as vmp_fileset_add() and vmp_fileset_commit(); on failure an existing file at
 *         path is untouched and nothing is left behind
 */
int vmp_file_write_atomic(const char *path, const void *data, size_t len);

/**
 * Save data as a backup of path, created exclusively and never through a link: the first
 * free one of path.bak, path.bak.1, ... path.bak.999. Earlier backups are never
 * overwritten, and a name is never shortened.
 * @param out  the backup's path (size bytes)
 * @return VMP_OK; VMP_EINVAL when the name would be too long; VMP_ESYS otherwise
 */
int vmp_file_backup(char *out, size_t size, const char *path, const void *data, size_t len);

/**
 * The file an output path names, its last component's symbolic links followed as the
 * promises above allow, for outputs that another library writes (SQLite's history).
 * @param out  the path to open without following links (size bytes)
 * @return VMP_OK; VMP_EINVAL for a foreign link or too many links; VMP_ESYS
 */
int vmp_file_resolve(char *out, size_t size, const char *path);

/**
 * Remove temporaries on SIGINT, SIGTERM, SIGHUP and SIGQUIT (then die of the signal), and
 * ignore SIGPIPE so that a closed standard output does not stop files being written.
 * Signals the caller ignores stay ignored. For programs, once, at start.
 */
void vmp_file_guard_signals(void);

/**
 * Make a work folder DIR/.NAME.XXXXXX (mode 0700) for files another program writes
 * (gnuplot's charts). Until vmp_file_workdir_remove(), a guarded signal (above) removes it
 * with the files in it; it is meant to hold files only.
 * @param out the folder's path (size bytes)
 * @return VMP_OK; VMP_ESYS naming dir; VMP_ENOMEM
 */
int vmp_file_workdir_new(char *out, size_t size, const char *dir, const char *name);

/** Remove a work folder of vmp_file_workdir_new() with the files in it. */
void vmp_file_workdir_remove(const char *path);

/**
 * The child process writing into a work folder (0: none): a guarded signal stops it
 * (SIGTERM) and waits for it before removing the folder, so that it leaves nothing.
 */
void vmp_file_guard_child(pid_t pid);

/**
 * Create a directory and its missing parents (mode 0755).
 * @return VMP_OK (also when it exists), or VMP_ESYS naming the path
 */
int vmp_mkdir_p(const char *path);

/** The largest input file vmplan reads whole (plans, mixes, profiles, XML, host.json). */
#define VMP_FILE_MAX_BYTES (64 << 20)

/**
 * Read a whole regular file (at most VMP_FILE_MAX_BYTES) into a NUL-terminated buffer.
 * A FIFO, a device or a socket is refused without being read or waited for.
 * @param out  the content; the caller frees it with free()
 * @param len  its length, or NULL
 * @param what what the file is, for messages ("plan", "domain XML")
 * @return VMP_OK, VMP_ENOTFOUND when it cannot be read (the message names what and
 *         path), VMP_EINVAL for a file that is not regular or is too large, VMP_ENOMEM
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
