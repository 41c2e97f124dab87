/* Hints for input hwloc refuses: an archive where XML was expected, sizes without a B. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "probes/topology_hints.h"

/* For a file hwloc cannot read: where it is an archive (a sysfs snapshot), say what to do. */
const char *topology_archive_hint(const char *path)
{
	unsigned char b[262] = {0};
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(b, 1, sizeof(b), f) : 0;

	if (f)
		fclose(f);
	/* gzip, bzip2, xz, zstd magic numbers, or a tar header's "ustar". */
	if ((n >= 2 && b[0] == 0x1f && b[1] == 0x8b) || (n >= 3 && !memcmp(b, "BZh", 3)) ||
	    (n >= 6 && !memcmp(b,
			       "\xfd"
			       "7zXZ",
			       5)) ||
	    (n >= 4 && !memcmp(b, "\x28\xb5\x2f\xfd", 4)) ||
	    (n >= 262 && !memcmp(b + 257, "ustar", 5)))
		return " (it is an archive: for a sysfs snapshot, unpack it and give the folder to "
		       "--fsroot)";
	return "";
}

/* For a synthetic description hwloc refuses: sizes hwloc reads are 64GB or 64GiB. */
const char *topology_synthetic_hint(const char *desc)
{
	for (const char *p = desc; (p = strpbrk(p, "0123456789"));) {
		while (isdigit((unsigned char)*p))
			p++;
		if (*p && strchr("kKmMgGtT", *p) && p[1] != 'B' && p[1] != 'i')
			return " (hwloc wants sizes with a B, such as 64GB or 64GiB)";
	}
	return "";
}
