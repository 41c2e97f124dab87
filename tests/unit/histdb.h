/* Test helpers: a history database, path, in a scratch folder of its own. Include after cmocka.h.
 */
#ifndef VMPLAN_TEST_HISTDB_H
#define VMPLAN_TEST_HISTDB_H

#include <stdio.h>
#include <unistd.h>

/* The scratch folder, /tmp/vmplan-NAME-XXXXXX (histdb_start()), and the database in it. */
static char dir[64];
static char path[256];

/* A cmocka setup: every test starts without the database. */
static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "%s/h.db", dir);
	unlink(path);
	return 0;
}

/* Make the scratch folder /tmp/vmplan-NAME-XXXXXX; 0, or -1 where it cannot be made. */
static int histdb_start(const char *name)
{
	snprintf(dir, sizeof(dir), "/tmp/vmplan-%s-XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

/* Remove the database and the scratch folder. */
static void histdb_end(void)
{
	unlink(path);
	rmdir(dir);
}

#endif
