/* vmplan-guest: PID 1 of the bench's initramfs; measures, prints one result line, powers off. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/guest.h"

/* Static: a PID 1 with a small stack should not hold these on it. */
static struct guest_params params;
static struct guest_topology topo;
static struct guest_results results;

static void mount_one(const char *type, const char *dir)
{
	mkdir(dir, 0755);
	/* EBUSY: the kernel mounted it already (devtmpfs.mount=1). */
	if (mount(type, dir, type, MS_NOSUID | MS_NOEXEC, NULL) < 0 && errno != EBUSY)
		fprintf(stderr, "vmplan-guest: cannot mount %s on %s: %s\n", type, dir,
			strerror(errno));
}

/* The whole line in one write(2), so that nothing the kernel prints lands inside it. */
static void emit(const char *vm, const struct guest_topology *t, const struct guest_results *r,
		 const char *error, int fd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	fputc('\n', f); /* begin on a line of its own, whatever the console printed before */
	guest_result_write(f, vm, t, r, error);
	if (fclose(f) == 0) {
		for (size_t off = 0; off < len;) {
			ssize_t n = write(fd, buf + off, len - off);

			if (n <= 0 && errno != EINTR)
				break;
			off += n > 0 ? (size_t)n : 0;
		}
	}
	free(buf);
}

int main(void)
{
	char err[GUEST_ERR_BYTES] = "";
	bool pid1 = getpid() == 1;
	const char *error = NULL;
	bool have_topo = false;
	int fd = STDOUT_FILENO;

	if (pid1) {
		mount_one("proc", "/proc");
		mount_one("sysfs", "/sys");
		mount_one("devtmpfs", "/dev");
		if ((fd = open("/dev/console", O_WRONLY | O_NOCTTY)) < 0)
			fd = STDOUT_FILENO;
	}
	/* The topology first: a result line with an error still says what the guest saw. */
	if (guest_topology_read(&topo, "", err) < 0)
		error = err;
	else
		have_topo = true;
	if (!error && guest_params_read(&params, "", err) < 0)
		error = err;
	if (!error && guest_workloads_run(&results, &params, &topo, err) < 0)
		error = err;
	emit(params.vm, have_topo ? &topo : NULL, &results, error, fd);
	if (!pid1)
		return error ? 1 : 0;
	fsync(fd);
	sync();
	reboot(RB_POWER_OFF);
	/* PID 1 must not return; a panic (panic=-1) reboots, and libvirt ends the domain. */
	for (;;)
		pause();
}
