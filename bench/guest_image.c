/* The guest's initramfs (a newc cpio, written with libarchive), its program and its kernel. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "vmplan/error.h"
#include "vmplan/guest.h"

#define GUEST_PROGRAM "vmplan-guest"
#define KERNEL_GLOB   "vmlinuz-*-cloud-amd64"

/* One header (and the data of a regular file) into the archive. */
static int add_entry(struct archive *a, const char *name, mode_t type, mode_t perm, dev_t rdev,
		     const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	int ok;

	if (!e) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_nlink(e, type == AE_IFDIR ? 2 : 1);
	archive_entry_set_mtime(e, 0, 0); /* the same program gives the same image */
	if (type == AE_IFCHR)
		archive_entry_set_rdev(e, rdev);
	archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
	ok = archive_write_header(a, e) == ARCHIVE_OK &&
	     (type != AE_IFREG || archive_write_data(a, data, len) == (la_ssize_t)len);
	archive_entry_free(e);
	if (!ok) {
		vmp_error_set("cannot write '%s' into the guest image: %s", name,
			      archive_error_string(a));
		return VMP_ESYS;
	}
	return VMP_OK;
}

/* The whole program, read into memory (a static program of a few MiB). */
static int read_program(void **out, size_t *len, const char *path)
{
	struct stat st;
	FILE *f;
	void *buf;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		vmp_error_set("guest program '%s' is missing: build the vmplan-guest target (it "
			      "is installed beside vmplan)",
			      path);
		return VMP_ENOTFOUND;
	}
	if (!(buf = malloc(st.st_size ? (size_t)st.st_size : 1))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	if (!(f = fopen(path, "rb")) ||
	    fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		vmp_error_set("cannot read guest program '%s': %s", path, strerror(errno));
		if (f)
			fclose(f);
		free(buf);
		return VMP_ESYS;
	}
	fclose(f);
	*out = buf;
	*len = (size_t)st.st_size;
	return VMP_OK;
}

int vmp_guest_image_write(const char *initrd_path, const char *guest_program)
{
	static const char *const dirs[] = {"dev", "proc", "sys", "tmp"};
	struct archive *a = NULL;
	char tmp[PATH_MAX];
	void *prog = NULL;
	size_t prog_len = 0;
	int fd = -1, err;
	bool made = false; /* tmp exists and is ours to remove */

	if ((err = read_program(&prog, &prog_len, guest_program)) < 0)
		return err;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", initrd_path) >= (int)sizeof(tmp)) {
		vmp_error_set("guest image path '%s' is too long", initrd_path);
		err = VMP_EINVAL;
		goto out;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		vmp_error_set("cannot write guest image '%s': %s", initrd_path, strerror(errno));
		err = VMP_ESYS;
		goto out;
	}
	made = true;
	if (!(a = archive_write_new()) || archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		vmp_error_set("cannot start guest image '%s': %s", initrd_path,
			      a ? archive_error_string(a) : "out of memory");
		err = VMP_ESYS;
		goto out;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if ((err = add_entry(a, dirs[i], AE_IFDIR, 0755, 0, NULL, 0)) < 0)
			goto out;
	/* The console the kernel opens for PID 1 before any devtmpfs is mounted. */
	if ((err = add_entry(a, "dev/console", AE_IFCHR, 0600, makedev(5, 1), NULL, 0)) < 0 ||
	    (err = add_entry(a, "init", AE_IFREG, 0755, 0, prog, prog_len)) < 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		vmp_error_set("cannot finish guest image '%s': %s", initrd_path,
			      archive_error_string(a));
		err = VMP_ESYS;
		goto out;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		vmp_error_set("cannot write guest image '%s': %s", initrd_path, strerror(errno));
		err = VMP_ESYS;
		goto out;
	}
	fd = -1;
	/* mkstemp made it 0600; QEMU, perhaps another user, reads it. */
	if (chmod(tmp, 0644) < 0 || rename(tmp, initrd_path) < 0) {
		vmp_error_set("cannot write guest image '%s': %s", initrd_path, strerror(errno));
		err = VMP_ESYS;
		goto out;
	}
	made = false;
	err = VMP_OK;
out:
	if (a)
		archive_write_free(a);
	if (fd >= 0)
		close(fd);
	if (made)
		unlink(tmp);
	free(prog);
	return err;
}

/* ---- the kernel ---- */

static int copy_path(char *out, size_t size, const char *path)
{
	if (snprintf(out, size, "%s", path) >= (int)size) {
		vmp_error_set("path '%s' is too long", path);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

static int regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int vmp_guest_kernel_find_in(char *out, size_t size, const char *override, const char *boot_dir)
{
	char pattern[PATH_MAX];
	const char *best = NULL;
	glob_t g;
	int err;

	if (override) {
		if (!regular_file(override)) {
			vmp_error_set("guest kernel '%s' is missing or not a file", override);
			return VMP_ENOTFOUND;
		}
		return copy_path(out, size, override);
	}
	snprintf(pattern, sizeof(pattern), "%s/%s", boot_dir, KERNEL_GLOB);
	if (glob(pattern, 0, NULL, &g) != 0) {
		vmp_error_set("no guest kernel: %s matches nothing; install Debian's "
			      "linux-image-cloud-amd64 or give --guest-kernel FILE",
			      pattern);
		return VMP_ENOTFOUND;
	}
	/* The newest version: 6.1.0-10 after 6.1.0-9. */
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (regular_file(g.gl_pathv[i]) && (!best || strverscmp(g.gl_pathv[i], best) > 0))
			best = g.gl_pathv[i];
	if (!best) {
		vmp_error_set("no guest kernel: no file matches %s; install Debian's "
			      "linux-image-cloud-amd64 or give --guest-kernel FILE",
			      pattern);
		globfree(&g);
		return VMP_ENOTFOUND;
	}
	err = copy_path(out, size, best);
	globfree(&g);
	return err;
}

int vmp_guest_kernel_find(char *out, size_t size, const char *override)
{
	return vmp_guest_kernel_find_in(out, size, override, "/boot");
}

/* ---- the guest program ---- */

/* dir/vmplan-guest into out when it is an executable file; 1 when found. */
static int try_dir(char *out, size_t size, const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, GUEST_PROGRAM) >= (int)sizeof(path))
		return 0;
	if (!regular_file(path) || access(path, X_OK) != 0)
		return 0;
	return copy_path(out, size, path) == VMP_OK ? 1 : VMP_EINVAL;
}

/* The directory part of path ("." when none) into dir. */
static void dir_of(char *dir, size_t size, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, size, ".");
	else if (slash == path)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

int vmp_guest_program_find(char *out, size_t size, const char *argv0)
{
	char exe[PATH_MAX], dirs[4][PATH_MAX];
	int n = 0, found;
	ssize_t len;

	if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[len] = '\0';
		dir_of(dirs[n++], sizeof(dirs[0]), exe);
	}
	if (argv0 && strchr(argv0, '/'))
		dir_of(dirs[n++], sizeof(dirs[0]), argv0);
#ifdef VMPLAN_GUEST_LIBEXECDIR
	snprintf(dirs[n++], sizeof(dirs[0]), "%s", VMPLAN_GUEST_LIBEXECDIR);
#endif
#ifdef VMPLAN_GUEST_BINDIR
	snprintf(dirs[n++], sizeof(dirs[0]), "%s", VMPLAN_GUEST_BINDIR);
#endif
	for (int i = 0; i < n; i++)
		if ((found = try_dir(out, size, dirs[i])) != 0)
			return found > 0 ? VMP_OK : found;
	vmp_error_set("guest program '%s' not found beside %s%s%s, nor in the install's "
		      "libexec/vmplan or bin directory: build or install the vmplan-guest target",
		      GUEST_PROGRAM, n > 0 ? dirs[0] : "the running program",
		      argv0 && strchr(argv0, '/') ? " or " : "",
		      argv0 && strchr(argv0, '/') ? argv0 : "");
	return VMP_ENOTFOUND;
}
