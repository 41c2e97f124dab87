/* The guest image (bench/guest_image.c): read back with libarchive; the kernel and program found.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "vmplan/error.h"
#include "vmplan/guest.h"

#define FSTREE_PREFIX "/tmp/vmp-guestimg"
#include "unit/fstree.h"

static void path_of(char *out, size_t size, const char *rel)
{
	snprintf(out, size, "%s/%s", root, rel);
}

static void test_image(void **state)
{
	static const char *const want[] = {"dev", "proc", "sys", "tmp", "dev/console", "init"};
	char initrd[512];
	struct dirent *de;
	DIR *d;
	bool seen[6] = {false};
	struct archive_entry *e;
	struct archive *a;
	struct stat st, prog;
	FILE *f;

	(void)state;
	reset();
	path_of(initrd, sizeof(initrd), "initrd.img");
	put("initrd.img", "an old image, replaced");
	assert_int_equal(vmp_guest_image_write(initrd, VMPLAN_GUEST_PROGRAM), VMP_OK);
	assert_int_equal(stat(initrd, &st), 0);
	assert_true((st.st_mode & 0777) == 0644);
	assert_int_equal(stat(VMPLAN_GUEST_PROGRAM, &prog), 0);

	assert_non_null(a = archive_read_new());
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	assert_int_equal(archive_read_open_filename(a, initrd, 65536), ARCHIVE_OK);
	/* The kernel takes gzip and newc ("SVR4 no CRC"). */
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		int k;

		assert_int_equal(archive_filter_code(a, 0), ARCHIVE_FILTER_GZIP);
		assert_int_equal(archive_format(a), ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);
		for (k = 0; k < 6 && strcmp(name, want[k]); k++)
			;
		if (k == 6) {
			fail_msg("unexpected entry '%s'", name);
			break;
		}
		assert_false(seen[k]);
		seen[k] = true;
		assert_int_equal(archive_entry_uid(e), 0);
		if (k < 4) {
			assert_int_equal(archive_entry_filetype(e), AE_IFDIR);
			assert_int_equal(archive_entry_perm(e), 0755);
		} else if (k == 4) {
			assert_int_equal(archive_entry_filetype(e), AE_IFCHR);
			assert_int_equal(archive_entry_rdevmajor(e), 5);
			assert_int_equal(archive_entry_rdevminor(e), 1);
		} else {
			char *data = malloc((size_t)prog.st_size),
			     *orig = malloc((size_t)prog.st_size);

			assert_int_equal(archive_entry_filetype(e), AE_IFREG);
			assert_int_equal(archive_entry_perm(e), 0755);
			assert_true(archive_entry_size(e) == prog.st_size);
			assert_true(archive_read_data(a, data, (size_t)prog.st_size) ==
				    prog.st_size);
			assert_non_null(f = fopen(VMPLAN_GUEST_PROGRAM, "rb"));
			assert_true(fread(orig, 1, (size_t)prog.st_size, f) ==
				    (size_t)prog.st_size);
			fclose(f);
			assert_memory_equal(data, orig, (size_t)prog.st_size);
			free(data);
			free(orig);
		}
	}
	archive_read_free(a);
	for (int k = 0; k < 6; k++)
		if (!seen[k])
			fail_msg("no entry '%s'", want[k]);

	/* Written atomically: nothing but the image in the directory. */
	assert_non_null(d = opendir(root));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "initrd.img"))
			fail_msg("left behind: %s", de->d_name);
	closedir(d);
}

static void test_image_missing_program(void **state)
{
	char initrd[512], missing[512], dir[512];

	(void)state;
	reset();
	path_of(initrd, sizeof(initrd), "initrd.img");
	path_of(missing, sizeof(missing), "no-such-guest");
	assert_int_equal(vmp_guest_image_write(initrd, missing), VMP_ENOTFOUND);
	assert_non_null(strstr(vmp_error_last(), "no-such-guest"));
	assert_int_not_equal(access(initrd, F_OK), 0);
	/* A directory is no program either. */
	path_of(dir, sizeof(dir), "d");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(vmp_guest_image_write(initrd, dir), VMP_ENOTFOUND);
	/* An image where no file can be written: an error, nothing left behind. */
	path_of(initrd, sizeof(initrd), "no-dir/initrd.img");
	assert_int_equal(vmp_guest_image_write(initrd, VMPLAN_GUEST_PROGRAM), VMP_ESYS);
}

static void test_kernel_find(void **state)
{
	char out[512], boot[512], k[512];

	(void)state;
	reset();
	path_of(boot, sizeof(boot), "boot");
	assert_int_equal(mkdir(boot, 0755), 0);
	assert_int_equal(vmp_guest_kernel_find_in(out, sizeof(out), NULL, boot), VMP_ENOTFOUND);
	assert_non_null(strstr(vmp_error_last(), "linux-image-cloud-amd64"));
	put("boot/vmlinuz-6.1.0-9-cloud-amd64", "k");
	put("boot/vmlinuz-6.1.0-10-cloud-amd64", "k");
	put("boot/vmlinuz-6.1.0-11-amd64", "not the cloud flavour");
	assert_int_equal(vmp_guest_kernel_find_in(out, sizeof(out), NULL, boot), VMP_OK);
	path_of(k, sizeof(k), "boot/vmlinuz-6.1.0-10-cloud-amd64");
	assert_string_equal(out, k);
	/* Too small a buffer is an error, not a cut path. */
	assert_int_equal(vmp_guest_kernel_find_in(out, 8, NULL, boot), VMP_EINVAL);
	/* An override is taken as it is, and must exist. */
	path_of(k, sizeof(k), "boot/vmlinuz-6.1.0-11-amd64");
	assert_int_equal(vmp_guest_kernel_find_in(out, sizeof(out), k, boot), VMP_OK);
	assert_string_equal(out, k);
	path_of(k, sizeof(k), "boot/nope");
	assert_int_equal(vmp_guest_kernel_find(out, sizeof(out), k), VMP_ENOTFOUND);
	assert_non_null(strstr(vmp_error_last(), "boot/nope"));
}

static void test_program_find(void **state)
{
	char out[512], argv0[512], want[512];

	(void)state;
	reset();
	/* Beside argv0 when the running program's own directory has none. */
	put("bin/vmplan", "");
	path_of(argv0, sizeof(argv0), "bin/vmplan");
	put("bin/vmplan-guest", "");
	path_of(want, sizeof(want), "bin/vmplan-guest");
	/* Not executable: not taken. */
	assert_int_equal(chmod(want, 0644), 0);
	if (vmp_guest_program_find(out, sizeof(out), argv0) == VMP_OK)
		assert_string_not_equal(out, want);
	else
		assert_non_null(strstr(vmp_error_last(), "vmplan-guest"));
	assert_int_equal(chmod(want, 0755), 0);
	assert_int_equal(vmp_guest_program_find(out, sizeof(out), argv0), VMP_OK);
	assert_string_equal(out, want);
	assert_int_equal(vmp_guest_program_find(out, 8, argv0), VMP_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_image),
	    cmocka_unit_test(test_image_missing_program),
	    cmocka_unit_test(test_kernel_find),
	    cmocka_unit_test(test_program_find),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
