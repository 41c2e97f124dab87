/* The write layer: sets of files, backups, temporaries removed on signals. */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmplan/error.h"
#include "vmplan/fileio.h"

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void slurp(char *buf, size_t size, const char *path)
{
	assert_int_equal(vmp_file_read_text(buf, size, path, "test", false), VMP_OK);
}

/* Nothing of a set is in place before its commit; every file of it after. */
static void test_set_commits_together(void **state)
{
	char dir[] = "/tmp/vmp-fileio-XXXXXX", a[PATH_MAX], b[PATH_MAX], buf[64];
	vmp_fileset *set;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	assert_int_equal(vmp_file_write_atomic(a, "old a", 5), VMP_OK);
	assert_int_equal(vmp_fileset_new(&set), VMP_OK);
	assert_int_equal(vmp_fileset_add(set, a, "new a", 5), VMP_OK);
	assert_int_equal(vmp_fileset_add(set, b, "new b", 5), VMP_OK);
	assert_int_equal(vmp_fileset_add(set, a, "again", 5), VMP_EINVAL);
	slurp(buf, sizeof(buf), a);
	assert_string_equal(buf, "old a");
	assert_int_equal(access(b, F_OK), -1);
	assert_int_equal(vmp_fileset_commit(set), VMP_OK);
	vmp_fileset_free(set);
	slurp(buf, sizeof(buf), a);
	assert_string_equal(buf, "new a");
	slurp(buf, sizeof(buf), b);
	assert_string_equal(buf, "new b");
	assert_int_equal(entries(dir), 2);

	/* A set given up: its temporaries go, the files stay as they were. */
	assert_int_equal(vmp_fileset_new(&set), VMP_OK);
	assert_int_equal(vmp_fileset_add(set, a, "lost", 4), VMP_OK);
	assert_int_equal(entries(dir), 3);
	vmp_fileset_free(set);
	assert_int_equal(entries(dir), 2);
	slurp(buf, sizeof(buf), a);
	assert_string_equal(buf, "new a");
	unlink(a);
	unlink(b);
	rmdir(dir);
}

/* Backups: .bak, .bak.1, ...; never overwritten, never through a link, never shortened. */
static void test_backup_generations(void **state)
{
	char dir[] = "/tmp/vmp-fileio-XXXXXX", path[PATH_MAX], bak[PATH_MAX], buf[64];
	char target[PATH_MAX], link[PATH_MAX], longname[PATH_MAX];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d.xml", dir);
	assert_int_equal(vmp_file_backup(bak, sizeof(bak), path, "one", 3), VMP_OK);
	assert_true(strlen(bak) > 4 && !strcmp(bak + strlen(bak) - 4, ".bak"));
	assert_int_equal(vmp_file_backup(bak, sizeof(bak), path, "two", 3), VMP_OK);
	assert_true(!strcmp(bak + strlen(bak) - 6, ".bak.1"));
	slurp(buf, sizeof(buf), bak);
	assert_string_equal(buf, "two");
	snprintf(bak, sizeof(bak), "%s/d.xml.bak", dir);
	slurp(buf, sizeof(buf), bak);
	assert_string_equal(buf, "one");

	/* A link planted as the next generation is skipped, its target untouched. */
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(link, sizeof(link), "%s/d.xml.bak.2", dir);
	assert_int_equal(vmp_file_write_atomic(target, "victim", 6), VMP_OK);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(vmp_file_backup(bak, sizeof(bak), path, "three", 5), VMP_OK);
	assert_true(!strcmp(bak + strlen(bak) - 6, ".bak.3"));
	slurp(buf, sizeof(buf), target);
	assert_string_equal(buf, "victim");

	/* A name too long for its backup is refused, not cut to collide with another file. */
	char name[251];
	memset(name, 'n', 250);
	name[250] = '\0';
	snprintf(longname, sizeof(longname), "%s/%s", dir, name);
	assert_int_equal(vmp_file_backup(bak, sizeof(bak), longname, "x", 1), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "too long"));
	assert_int_equal(entries(dir), 5);
	snprintf(longname, sizeof(longname), "rm -r %s", dir);
	assert_int_equal(system(longname), 0);
}

/* A signal between writing a temporary and renaming it leaves no temporary behind. */
static void test_signal_removes_temporaries(void **state)
{
	char dir[] = "/tmp/vmp-fileio-XXXXXX", path[PATH_MAX];
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/plan.json", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vmp_fileset *set;
		vmp_file_guard_signals();
		if (vmp_fileset_new(&set) < 0 || vmp_fileset_add(set, path, "{}", 2) < 0)
			_exit(3);
		raise(SIGTERM);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(entries(dir), 0);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_commits_together),
	    cmocka_unit_test(test_backup_generations),
	    cmocka_unit_test(test_signal_removes_temporaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
