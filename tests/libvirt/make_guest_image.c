/* Test helper: make_guest_image INITRD [PROGRAM] writes the guest image as the bench does. */
#include <stdio.h>

#include "vmplan/error.h"
#include "vmplan/guest.h"

int main(int argc, char **argv)
{
	char program[4096], kernel[4096];

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: make_guest_image INITRD [PROGRAM]\n");
		return 2;
	}
	if (argc == 3)
		snprintf(program, sizeof(program), "%s", argv[2]);
	else if (vmp_guest_program_find(program, sizeof(program), argv[0]) < 0)
		goto fail;
	if (vmp_guest_image_write(argv[1], program) < 0)
		goto fail;
	/* The kernel the bench would boot, for the script (empty line when there is none). */
	if (vmp_guest_kernel_find(kernel, sizeof(kernel), NULL) < 0)
		kernel[0] = '\0';
	printf("%s\n", kernel);
	return 0;
fail:
	fprintf(stderr, "make_guest_image: %s\n", vmp_error_last());
	return 1;
}
