/* The state directory: the accepted plan and its host model, kept for the nightly run. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmplan/cpuset.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/host_json.h"
#include "vmplan/identity.h"
#include "vmplan/statedir.h"

const char *vmp_statedir_dir(const char *dir)
{
	const char *env = getenv(VMP_STATE_ENV);

	if (dir)
		return dir;
	return env && *env ? env : VMP_STATE_DEFAULT_DIR;
}

int vmp_statedir_path(char *out, size_t size, const char *dir, const char *name)
{
	if (snprintf(out, size, "%s/%s", dir, name) >= (int)size) {
		vmp_error_set("state directory path '%s/%s' is too long", dir, name);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

void vmp_statedir_housekeeping(vmp_cpuset *out, const vmp_host *host, const vmp_plan *plan)
{
	*out = host->online;
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];

		if (!vm->placed || !vm->vcpupin)
			continue;
		/* cpu=shared VMs float (-1): only pinned vCPUs take a CPU away. */
		for (unsigned v = 0; v < vm->req.vcpus; v++)
			if (vm->vcpupin[v] >= 0)
				vmp_cpuset_clr(out, vm->vcpupin[v]);
	}
}

/* The nightly unit's CPUAffinity= drop-in, where this host has a systemd unit directory. */
static int write_dropin(char *dropin, size_t size, const vmp_host *host, const vmp_plan *plan)
{
	const char *env = getenv(VMP_STATE_SYSTEMD_ENV);
	const char *units = env && *env ? env : VMP_STATE_SYSTEMD_DIR;
	char path[PATH_MAX], dir[PATH_MAX], cpus[1024], text[1200];
	struct stat st;
	vmp_cpuset hk;
	int err;

	if (stat(units, &st) < 0 || !S_ISDIR(st.st_mode))
		return VMP_OK; /* no systemd here: nothing to tune */
	if ((err = vmp_statedir_path(path, sizeof(path), units, VMP_STATE_DROPIN)) < 0)
		return err;
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	vmp_statedir_housekeeping(&hk, host, plan);
	if (vmp_cpuset_empty(&hk)) {
		/* Every CPU is pinned: an affinity left from an earlier plan would be wrong. */
		if (unlink(path) < 0 && errno != ENOENT) {
			vmp_error_set("cannot remove '%s': %s", path, strerror(errno));
			return VMP_ESYS;
		}
		return VMP_OK;
	}
	vmp_cpuset_format(cpus, sizeof(cpus), &hk);
	snprintf(text, sizeof(text),
		 "# Written by vmplan (accept, export --define): the CPUs no planned vCPU is\n"
		 "# pinned to, so that the nightly run does not disturb pinned guests.\n"
		 "[Service]\nCPUAffinity=%s\n",
		 cpus);
	if ((err = vmp_mkdir_p(dir)) < 0 ||
	    (err = vmp_file_write_atomic(path, text, strlen(text))) < 0)
		return err;
	if (dropin)
		snprintf(dropin, size, "%s", path);
	return VMP_OK;
}

int vmp_statedir_keep(char *dropin, size_t size, const char *dir, const char *plan_text,
		      const vmp_plan *plan, const vmp_host *host)
{
	char differs[1024], path[PATH_MAX];
	char *host_text = NULL;
	int err;

	if (dropin && size)
		*dropin = '\0';
	if (!vmp_plan_same_host(differs, sizeof(differs), plan, host)) {
		vmp_error_set("plan is for host '%s', not host '%s' (%s); accept it on the host it "
			      "was made for",
			      plan->hostname, host->hostname, differs);
		return VMP_EINVAL;
	}
	if ((err = vmp_host_to_json(&host_text, host)) < 0)
		return err;
	/* host.json before plan.json: a kept plan always has the model it was made on. */
	if ((err = vmp_mkdir_p(dir)) < 0 ||
	    (err = vmp_statedir_path(path, sizeof(path), dir, VMP_STATE_HOST)) < 0 ||
	    (err = vmp_file_write_atomic(path, host_text, strlen(host_text))) < 0 ||
	    (err = vmp_statedir_path(path, sizeof(path), dir, VMP_STATE_PLAN)) < 0 ||
	    (err = vmp_file_write_atomic(path, plan_text, strlen(plan_text))) < 0)
		goto out;
	err = write_dropin(dropin, size, host, plan);
out:
	free(host_text);
	return err;
}
