/* Atomic file writes and directory creation. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmplan/error.h"
#include "vmplan/fileio.h"

int vmp_file_write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	const char *p = data;
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp)) {
		vmp_error_set("cannot write '%s': path too long", path);
		return VMP_ESYS;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		vmp_error_set("cannot write '%s': %s", path, strerror(errno));
		return VMP_ESYS;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	/* mkstemp creates 0600; output files are meant to be read by others. */
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	vmp_error_set("cannot write '%s': %s", path, strerror(saved ? saved : EIO));
	return VMP_ESYS;
}

int vmp_mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		vmp_error_set("cannot create directory '%s': bad path", path);
		return VMP_ESYS;
	}
	memcpy(buf, path, len + 1);
	for (char *s = buf + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
			vmp_error_set("cannot create directory '%s': %s", buf, strerror(errno));
			return VMP_ESYS;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0) {
		vmp_error_set("cannot create directory '%s': %s", path, strerror(errno));
		return VMP_ESYS;
	}
	if (!S_ISDIR(st.st_mode)) {
		vmp_error_set("cannot create directory '%s': a file of that name exists", path);
		return VMP_ESYS;
	}
	return 0;
}
