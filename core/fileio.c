/* Reading whole files and directory creation (writing is in fileio_write.c). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmplan/error.h"
#include "vmplan/fileio.h"

int vmp_mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		vmp_error_set("cannot create directory '%s': bad path", path);
		return VMP_ESYS;
	}
	memcpy(buf, path, len + 1);
	for (char *s = buf + 1;; s++) {
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

int vmp_file_read_text(char *buf, size_t size, const char *path, const char *what,
		       bool unreadable_is_missing)
{
	size_t len = 0;
	ssize_t n;
	int fd, err = VMP_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR ||
		    (unreadable_is_missing && (errno == EACCES || errno == EPERM)))
			return VMP_ENOTFOUND;
		vmp_error_set("cannot read %s '%s': %s", what, path, strerror(errno));
		return VMP_ESYS;
	}
	while ((n = read(fd, buf + len, size - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* A directory, or an attribute that refuses reading. */
			if (unreadable_is_missing &&
			    (errno == EISDIR || errno == EACCES || errno == EPERM)) {
				err = VMP_ENOTFOUND;
			} else {
				vmp_error_set("cannot read %s '%s': %s", what, path,
					      strerror(errno));
				err = VMP_ESYS;
			}
			goto out;
		}
		len += (size_t)n;
		if (len == size - 1) {
			vmp_error_set("cannot read %s '%s': longer than %zu bytes", what, path,
				      size - 1);
			err = VMP_EINVAL;
			goto out;
		}
	}
	buf[len] = '\0';
out:
	close(fd);
	return err;
}

char *vmp_str_trim(char *text)
{
	char *end = text + strlen(text);

	while (isspace((unsigned char)*text))
		text++;
	while (end > text && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return text;
}

int vmp_file_read(char **out, size_t *len, const char *path, const char *what)
{
	/* Non-blocking open: a FIFO must not hang vmplan before it is found to be one. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), err = VMP_OK;
	char *buf = NULL;
	size_t size = 0;
	struct stat st;
	ssize_t n;

	*out = NULL;
	if (fd < 0) {
		vmp_error_set("cannot read %s '%s': %s", what, path, strerror(errno));
		return VMP_ENOTFOUND;
	}
	if (fstat(fd, &st) < 0) {
		vmp_error_set("cannot read %s '%s': %s", what, path, strerror(errno));
		err = VMP_ENOTFOUND;
	} else if (S_ISDIR(st.st_mode)) {
		vmp_error_set("cannot read %s '%s': %s", what, path, strerror(EISDIR));
		err = VMP_ENOTFOUND;
	} else if (!S_ISREG(st.st_mode)) {
		vmp_error_set("cannot read %s '%s': not a regular file (a device, a pipe or a "
			      "socket)",
			      what, path);
		err = VMP_EINVAL;
	} else if (st.st_size > VMP_FILE_MAX_BYTES) {
		vmp_error_set("cannot read %s '%s': larger than %d MiB", what, path,
			      VMP_FILE_MAX_BYTES >> 20);
		err = VMP_EINVAL;
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		vmp_error_set("cannot read %s '%s': out of memory", what, path);
		err = VMP_ENOMEM;
	}
	/* A file that grows while read is cut at the size it had: never past the cap. */
	while (err == VMP_OK && size < (size_t)st.st_size &&
	       (n = read(fd, buf + size, (size_t)st.st_size - size)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			vmp_error_set("cannot read %s '%s': %s", what, path, strerror(errno));
			err = VMP_ENOTFOUND;
			break;
		}
		size += (size_t)n;
	}
	close(fd);
	if (err < 0) {
		free(buf);
		return err;
	}
	buf[size] = '\0';
	*out = buf;
	if (len)
		*len = size;
	return VMP_OK;
}
