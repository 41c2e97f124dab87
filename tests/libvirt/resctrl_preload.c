/* Test helper: mkdir() under /sys/fs/resctrl fills the new group as the kernel would. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

int mkdir(const char *path, mode_t mode)
{
	int (*real)(const char *, mode_t) =
	    (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "mkdir");
	int rc = real(path, mode);
	static const char *const files[] = {"schemata", "tasks", "cpus"};

	if (rc == 0 && !strncmp(path, "/sys/fs/resctrl/", 16))
		for (int i = 0; i < 3; i++) {
			char p[4096];
			FILE *f;
			snprintf(p, sizeof(p), "%s/%s", path, files[i]);
			if ((f = fopen(p, "w")))
				fclose(f);
		}
	return rc;
}
