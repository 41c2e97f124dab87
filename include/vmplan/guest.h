/* The guest bench's image: the guest program, its initramfs, and the guest kernel. */
#ifndef VMPLAN_GUEST_H
#define VMPLAN_GUEST_H

/*
 * The guest engine boots each VM's kernel directly with an initramfs whose /init is
 * vmplan-guest (guest/main.c). That program reads vmplan.vm=NAME, vmplan.workloads=LIST,
 * vmplan.seconds=S and vmplan.reps=N from the kernel command line, measures, writes one line
 * "VMPLAN-RESULT {json}" to /dev/console and powers off. bench/guest_image.c owns the files.
 */

#include <stddef.h>

/**
 * Write the guest's initramfs: a gzip-compressed newc cpio archive holding the directories
 * /dev, /proc, /sys and /tmp, the character device /dev/console (5, 1) and guest_program as
 * /init (mode 0755). The file appears whole or not at all (a temporary file beside it,
 * renamed into place).
 *
 * @param initrd_path   the file to write (replaced if it exists)
 * @param guest_program the static guest program (vmp_guest_program_find())
 * @return VMP_OK; VMP_ENOTFOUND when guest_program is missing or not a regular file;
 *         VMP_ESYS when writing fails (nothing is left at initrd_path's temporary name)
 */
int vmp_guest_image_write(const char *initrd_path, const char *guest_program);

/**
 * Find the guest kernel: override when given, else the newest /boot/vmlinuz-*-cloud-amd64
 * (Debian's linux-image-cloud-amd64).
 *
 * @param out      the kernel's path
 * @param size     bytes of out
 * @param override a kernel file (--guest-kernel), or NULL
 * @return VMP_OK; VMP_ENOTFOUND when override is missing or no kernel is installed (the
 *         message names the package); VMP_EINVAL when the path does not fit out
 */
int vmp_guest_kernel_find(char *out, size_t size, const char *override);

/** vmp_guest_kernel_find() with another directory than /boot to look in (tests). */
int vmp_guest_kernel_find_in(char *out, size_t size, const char *override, const char *boot_dir);

/**
 * Find the guest program, vmplan-guest: beside the running executable (/proc/self/exe),
 * beside argv0 when it names a path, then in the install's libexec/vmplan and bin
 * directories.
 *
 * @param out   the program's path
 * @param size  bytes of out
 * @param argv0 the running program's argv[0], or NULL
 * @return VMP_OK; VMP_ENOTFOUND (the message lists where it looked); VMP_EINVAL when the
 *         path does not fit out
 */
int vmp_guest_program_find(char *out, size_t size, const char *argv0);

#endif
