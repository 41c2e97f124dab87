/* Test helpers: a scratch directory tree (a fake /sys) built file by file. Include after cmocka.h.
 */
#ifndef VMPLAN_TEST_FSTREE_H
#define VMPLAN_TEST_FSTREE_H

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The tree's root; FSTREE_PREFIX names it, e.g. "/tmp/vmp-sysfs". */
static char root[256];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "%s-XXXXXX", FSTREE_PREFIX);
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Empty root for the next test. */
static void reset(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	assert_int_equal(mkdir(root, 0755), 0);
}

/* Write root/rel with text, making the directories on the way. */
static void put(const char *rel, const char *text)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

#endif
