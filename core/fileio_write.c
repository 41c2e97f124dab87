/* The one write layer: sets of files committed together, backups, no foreign symlinks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmplan/error.h"
#include "vmplan/fileio.h"

/* The most symbolic links followed from one output path (the kernel's own limit). */
#define MAX_LINKS 40
/* The most backup generations beside one file: name.bak, name.bak.1 ... name.bak.999. */
#define MAX_BACKUPS 1000

/* ---- temporaries a signal must not leave behind ---- */

/* A temporary file not yet renamed into place. The list is changed only with the
 * signals below blocked, so the handler always sees it whole. */
typedef struct pending {
	struct pending *next;
	bool dir; /* a work folder (vmp_file_workdir_new): removed with the files in it */
	char path[];
} pending;

static pending *volatile pending_list;
/* The program writing into a work folder, stopped before the folder is removed; 0: none. */
static volatile pid_t guarded_child;
static const int guarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(guarded_signals) / sizeof(*guarded_signals); i++)
		sigaddset(&set, guarded_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* Remove folder path and the files in it (a work folder holds no folders). Only system
 * calls, so that the signal handler may use it too. */
static void remove_flat(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	long n;

	while (fd >= 0 && (n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
		for (long off = 0; off < n;) {
			/* struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name */
			unsigned short reclen;
			const char *name = buf + off + 19;
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (strcmp(name, ".") && strcmp(name, ".."))
				unlinkat(fd, name, 0);
			off += reclen;
		}
	if (fd >= 0)
		close(fd);
	rmdir(path);
}

static pending *pending_add(const char *path, bool dir)
{
	size_t n = strlen(path) + 1;
	pending *p = malloc(sizeof(*p) + n);
	sigset_t old;

	if (!p)
		return NULL;
	memcpy(p->path, path, n);
	p->dir = dir;
	block_signals(&old);
	p->next = pending_list;
	pending_list = p;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return p;
}

/* Forget p (renamed into place, or removed); unlink it first when remove is set. */
static void pending_drop(pending *p, bool remove)
{
	sigset_t old;

	if (!p)
		return;
	block_signals(&old);
	if (remove && p->dir)
		remove_flat(p->path);
	else if (remove)
		unlink(p->path);
	for (pending *volatile *q = &pending_list; *q; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			break;
		}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(p);
}

static void on_signal(int sig)
{
	/* kill(), waitpid(), unlink() and raise() are async-signal-safe; the list is whole (see
	 * pending). The child goes first, so that it writes nothing into a folder removed. */
	if (guarded_child > 0 && kill(guarded_child, SIGTERM) == 0)
		waitpid(guarded_child, NULL, 0);
	for (pending *p = pending_list; p; p = p->next) {
		if (p->dir)
			remove_flat(p->path);
		else
			unlink(p->path);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void vmp_file_guard_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(guarded_signals) / sizeof(*guarded_signals); i++)
		sigaddset(&sa.sa_mask, guarded_signals[i]);
	for (size_t i = 0; i < sizeof(guarded_signals) / sizeof(*guarded_signals); i++) {
		struct sigaction prev;
		/* A signal the caller ignores (nohup) stays ignored. */
		if (sigaction(guarded_signals[i], NULL, &prev) == 0 && prev.sa_handler == SIG_IGN)
			continue;
		sigaction(guarded_signals[i], &sa, NULL);
	}
	/* A reader that goes away (| head -1) must not kill vmplan before its files are
	 * written: a write to the closed pipe fails with EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
}

/* ---- symbolic links ---- */

/* Whether a link owned by uid may be followed: the caller's own, or root's (/dev/stdout).
 * Root follows only root's links: the kernel's protected_symlinks, made strict. */
static bool trusted_owner(uid_t uid)
{
	return uid == geteuid() || uid == 0;
}

/* The file that path names once its last component's links are followed, into out.
 * A link owned by another user is refused, never followed. */
static int resolve_final(char *out, size_t size, const char *path)
{
	char link[PATH_MAX], next[PATH_MAX];
	struct stat st;

	if (snprintf(out, size, "%s", path) >= (int)size) {
		vmp_error_set("cannot write '%s': path too long", path);
		return VMP_EINVAL;
	}
	for (int hops = 0; lstat(out, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
		ssize_t n;
		if (!trusted_owner(st.st_uid)) {
			vmp_error_set("refusing to write '%s': '%s' is a symbolic link owned by "
				      "another user (uid %u)",
				      path, out, (unsigned)st.st_uid);
			return VMP_EINVAL;
		}
		if (hops == MAX_LINKS) {
			vmp_error_set("cannot write '%s': too many levels of symbolic links", path);
			return VMP_EINVAL;
		}
		if ((n = readlink(out, link, sizeof(link) - 1)) < 0 ||
		    n >= (ssize_t)sizeof(link) - 1) {
			vmp_error_set("cannot write '%s': cannot read link '%s'", path, out);
			return VMP_ESYS;
		}
		link[n] = '\0';
		if (link[0] == '/') {
			snprintf(next, sizeof(next), "%s", link);
		} else {
			const char *slash = strrchr(out, '/');
			int dir = slash ? (int)(slash - out) + 1 : 0;
			if (snprintf(next, sizeof(next), "%.*s%s", dir, out, link) >=
			    (int)sizeof(next)) {
				vmp_error_set("cannot write '%s': path too long", path);
				return VMP_EINVAL;
			}
		}
		/* A magic link (/dev/stdout -> /proc/self/fd/1 -> pipe:[...]) names no path:
		 * the link itself is what to write into. */
		struct stat any;
		if (lstat(next, &any) < 0 && stat(out, &any) == 0)
			break;
		snprintf(out, size, "%s", next);
	}
	return VMP_OK;
}

int vmp_file_resolve(char *out, size_t size, const char *path)
{
	return resolve_final(out, size, path);
}

/* ---- writing ---- */

/* Write all of data to fd; false with errno set when a write fails. */
static bool write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* One file of a set: a temporary beside target, or (a device, a pipe) the data to write
 * into target at commit. */
typedef struct {
	char *target;
	char *data;   /* for a device or pipe only */
	size_t len;   /* of data */
	pending *tmp; /* the temporary, NULL for a device or pipe */
} set_file;

struct vmp_fileset {
	set_file *f;
	int n, cap;
};

int vmp_fileset_new(vmp_fileset **out)
{
	if (!(*out = calloc(1, sizeof(**out)))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	return VMP_OK;
}

void vmp_fileset_free(vmp_fileset *set)
{
	if (!set)
		return;
	for (int i = 0; i < set->n; i++) {
		pending_drop(set->f[i].tmp, true);
		free(set->f[i].target);
		free(set->f[i].data);
	}
	free(set->f);
	free(set);
}

/* The data into a new temporary beside target, flushed; *out lists it for the signals. */
static int write_temporary(pending **out, const char *target, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	int fd, saved;

	*out = NULL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", target) >= (int)sizeof(tmp)) {
		vmp_error_set("cannot write '%s': path too long", target);
		return VMP_ESYS;
	}
	/* Signals blocked from creation to listing: no moment where a kill leaves it. */
	sigset_t old;
	block_signals(&old);
	fd = mkstemp(tmp);
	saved = errno;
	*out = fd >= 0 ? pending_add(tmp, false) : NULL;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd < 0) {
		vmp_error_set("cannot write '%s': %s", target, strerror(saved));
		return VMP_ESYS;
	}
	if (!*out) {
		close(fd);
		unlink(tmp);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	/* mkstemp creates 0600; output files are meant to be read by others. */
	if (!write_all(fd, data, len) || fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		saved = errno;
		goto fail;
	}
	return VMP_OK;
fail:
	pending_drop(*out, true);
	*out = NULL;
	vmp_error_set("cannot write '%s': %s", target, strerror(saved ? saved : EIO));
	return VMP_ESYS;
}

int vmp_fileset_add(vmp_fileset *set, const char *path, const void *data, size_t len)
{
	char target[PATH_MAX];
	struct stat st;
	set_file *f;
	int err;

	if ((err = resolve_final(target, sizeof(target), path)) < 0)
		return err;
	for (int i = 0; i < set->n; i++)
		if (!strcmp(set->f[i].target, target)) {
			vmp_error_set("cannot write '%s' twice in one go", path);
			return VMP_EINVAL;
		}
	if (set->n == set->cap) {
		int cap = set->cap ? set->cap * 2 : 8;
		set_file *nf = realloc(set->f, (size_t)cap * sizeof(*nf));
		if (!nf) {
			vmp_error_set("out of memory");
			return VMP_ENOMEM;
		}
		set->f = nf;
		set->cap = cap;
	}
	f = &set->f[set->n];
	memset(f, 0, sizeof(*f));
	if (!(f->target = strdup(target))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	if (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
		vmp_error_set("cannot write '%s': it is a directory", path);
		err = VMP_EINVAL;
	} else if (stat(target, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* A device or a pipe (-o /dev/null, /dev/stdout) is written into at commit,
		 * not replaced: a rename would put a regular file where /dev/null was. */
		if (!(f->data = malloc(len ? len : 1))) {
			vmp_error_set("out of memory");
			err = VMP_ENOMEM;
		} else {
			memcpy(f->data, data, len);
			f->len = len;
		}
	} else {
		err = write_temporary(&f->tmp, target, data, len);
	}
	if (err < 0) {
		free(f->target);
		free(f->data);
		return err;
	}
	set->n++;
	return VMP_OK;
}

static int write_into(const set_file *f)
{
	struct stat st;
	/* Only a link resolve_final() let stand (a magic /proc link, its owner checked) is
	 * opened through; anything else put in its place since is not followed. */
	bool link = lstat(f->target, &st) == 0 && S_ISLNK(st.st_mode);
	int fd = open(f->target, O_WRONLY | O_CLOEXEC | (link ? 0 : O_NOFOLLOW));

	if (fd < 0 || !write_all(fd, f->data, f->len)) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		vmp_error_set("cannot write '%s': %s", f->target, strerror(saved));
		return VMP_ESYS;
	}
	if (close(fd) < 0) {
		vmp_error_set("cannot write '%s': %s", f->target, strerror(errno));
		return VMP_ESYS;
	}
	return VMP_OK;
}

int vmp_fileset_commit(vmp_fileset *set)
{
	/* Every file is whole in its temporary by now; renames do not run out of space. */
	for (int i = 0; i < set->n; i++) {
		set_file *f = &set->f[i];
		if (!f->tmp)
			continue;
		if (rename(f->tmp->path, f->target) < 0) {
			vmp_error_set("cannot write '%s': %s", f->target, strerror(errno));
			return VMP_ESYS;
		}
		pending_drop(f->tmp, false);
		f->tmp = NULL;
	}
	for (int i = 0; i < set->n; i++)
		if (set->f[i].data) {
			int err = write_into(&set->f[i]);
			free(set->f[i].data);
			set->f[i].data = NULL;
			if (err < 0)
				return err;
		}
	return VMP_OK;
}

int vmp_file_write_atomic(const char *path, const void *data, size_t len)
{
	vmp_fileset *set;
	int err;

	if ((err = vmp_fileset_new(&set)) < 0)
		return err;
	if ((err = vmp_fileset_add(set, path, data, len)) == VMP_OK)
		err = vmp_fileset_commit(set);
	vmp_fileset_free(set);
	return err;
}

/* ---- backups ---- */

int vmp_file_backup(char *out, size_t size, const char *path, const void *data, size_t len)
{
	const char *base = strrchr(path, '/');
	pending *p = NULL;
	int fd = -1;

	base = base ? base + 1 : path;
	/* Never shortened: a cut name could be the very file it backs up. */
	if (strlen(base) + sizeof(".bak.999") - 1 > NAME_MAX) {
		vmp_error_set("cannot back up '%s': the name is too long for a backup beside it",
			      path);
		return VMP_EINVAL;
	}
	for (int gen = 0; gen < MAX_BACKUPS && fd < 0; gen++) {
		int n = gen ? snprintf(out, size, "%s.bak.%d", path, gen)
			    : snprintf(out, size, "%s.bak", path);
		sigset_t old;
		int saved;
		if (n >= (int)size) {
			vmp_error_set("cannot back up '%s': path too long", path);
			return VMP_EINVAL;
		}
		/* Exclusive and never through a link: an earlier backup, or anything planted
		 * under its name, stays as it is and the next generation is taken. Listed for
		 * the signals from its creation: a kill never leaves half a backup. */
		block_signals(&old);
		fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		saved = errno;
		if (fd >= 0 && !(p = pending_add(out, false))) {
			close(fd);
			unlink(out);
			sigprocmask(SIG_SETMASK, &old, NULL);
			vmp_error_set("out of memory");
			return VMP_ENOMEM;
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (fd < 0 && saved != EEXIST) {
			vmp_error_set("cannot back up '%s' to '%s': %s", path, out,
				      strerror(saved));
			return VMP_ESYS;
		}
	}
	if (fd < 0) {
		vmp_error_set("cannot back up '%s': %d backups exist already; remove old ones",
			      path, MAX_BACKUPS);
		return VMP_ESYS;
	}
	if (!write_all(fd, data, len) || fsync(fd) < 0) {
		int saved = errno;
		close(fd);
		pending_drop(p, true);
		vmp_error_set("cannot back up '%s' to '%s': %s", path, out, strerror(saved));
		return VMP_ESYS;
	}
	if (close(fd) < 0) {
		int saved = errno;
		pending_drop(p, true);
		vmp_error_set("cannot back up '%s' to '%s': %s", path, out, strerror(saved));
		return VMP_ESYS;
	}
	pending_drop(p, false);
	return VMP_OK;
}

/* ---- work folders ---- */

int vmp_file_workdir_new(char *out, size_t size, const char *dir, const char *name)
{
	sigset_t old;
	pending *p;

	if (snprintf(out, size, "%s/.%s.XXXXXX", dir, name) >= (int)size) {
		vmp_error_set("cannot write into '%s': path too long", dir);
		return VMP_ESYS;
	}
	/* Signals blocked from creation to listing, as for a temporary file. */
	block_signals(&old);
	if (!mkdtemp(out)) {
		int saved = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		vmp_error_set("cannot write into '%s': %s", dir, strerror(saved));
		return VMP_ESYS;
	}
	if (!(p = pending_add(out, true)))
		rmdir(out);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!p) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	return VMP_OK;
}

void vmp_file_workdir_remove(const char *path)
{
	pending *found = NULL;
	sigset_t old;

	block_signals(&old);
	for (pending *p = pending_list; p && !found; p = p->next)
		if (p->dir && !strcmp(p->path, path))
			found = p;
	sigprocmask(SIG_SETMASK, &old, NULL);
	pending_drop(found, true);
}

void vmp_file_guard_child(pid_t pid)
{
	guarded_child = pid;
}
