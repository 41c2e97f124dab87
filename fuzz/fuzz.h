/* Helpers the libFuzzer targets share: NUL-terminated input and a private scratch directory. */
#ifndef VMPLAN_FUZZ_H
#define VMPLAN_FUZZ_H

#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The input as a C string; the parsers take text and stop at the first NUL anyway. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static char fuzz_root[PATH_MAX];

static int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Remove everything under the scratch directory; keep the directory itself. */
static inline void fuzz_clean(void)
{
	char path[PATH_MAX + 8];

	/* nftw with FTW_DEPTH removes children before their directory. */
	nftw(fuzz_root, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(path, sizeof(path), "%s", fuzz_root);
	if (mkdir(path, 0700) < 0)
		abort();
}

static void fuzz_cleanup_at_exit(void)
{
	nftw(fuzz_root, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A scratch directory of this process ($TMPDIR or /tmp), removed at exit. */
static inline const char *fuzz_dir(void)
{
	if (!fuzz_root[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(fuzz_root, sizeof(fuzz_root), "%s/vmplan-fuzz-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(fuzz_root))
			abort();
		atexit(fuzz_cleanup_at_exit);
	}
	return fuzz_root;
}

/* Write data to rel (a fixed path, never from the input) under the scratch directory. */
static inline void fuzz_write(const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), rel);
	for (char *s = path + strlen(fuzz_root) + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	if (!(f = fopen(path, "wb")))
		abort();
	if (len && fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
}

/* The full path of rel under the scratch directory, in a static buffer. */
static inline const char *fuzz_path(const char *rel)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), rel);
	return path;
}

/*
 * Split the input at each "\n--\n" into at most max pieces (the last takes the rest), so
 * one input can fill several files. Returns how many pieces there are.
 */
struct fuzz_piece {
	const uint8_t *data;
	size_t len;
};

static inline int fuzz_split(struct fuzz_piece *out, int max, const uint8_t *data, size_t size)
{
	int n = 0;

	while (n < max - 1) {
		const uint8_t *sep = memmem(data, size, "\n--\n", 4);
		if (!sep)
			break;
		out[n].data = data;
		out[n].len = (size_t)(sep - data) + 1; /* keep the line's newline */
		n++;
		size -= (size_t)(sep - data) + 4;
		data = sep + 4;
	}
	out[n].data = data;
	out[n].len = size;
	return n + 1;
}

#endif
