/* The hwloc probes from files: an hwloc XML export, a synthetic topology, a sysfs snapshot,
 * each checked before hwloc reads it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwloc.h>

#include "probes/topology_internal.h"
#include "vmplan/error.h"
#include "vmplan/probe.h"

/* 0 when path is a file this process can read, else the errno that says why not. */
static int file_error(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;

	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0)
		e = errno;
	else if (S_ISDIR(st.st_mode))
		e = EISDIR;
	close(fd);
	return e;
}

int vmp_probe_xml(vmp_host **out, const char *path)
{
	hwloc_topology_t topo = NULL;
	const char *name, *slash;
	int err, e;

	*out = NULL;
	/* hwloc says only "invalid argument" for a missing file; find out first. */
	if ((e = file_error(path)) != 0) {
		vmp_error_set("cannot read topology '%s': %s", path, strerror(e));
		return VMP_ENOTFOUND;
	}

	if ((err = probe_topology_new(&topo)) < 0)
		goto out;
	if (hwloc_topology_set_xml(topo, path) < 0 || hwloc_topology_load(topo) < 0) {
		vmp_error_set("cannot load topology '%s': not a valid hwloc XML file", path);
		err = VMP_EINVAL;
		goto out;
	}
	name = hwloc_obj_get_info_by_name(hwloc_get_root_obj(topo), "HostName");
	if (!name || !*name) {
		slash = strrchr(path, '/');
		name = slash ? slash + 1 : path;
	}
	err = probe_topology_copy(out, topo, VMP_SOURCE_XML, name);
out:
	if (topo)
		hwloc_topology_destroy(topo);
	return err;
}

int vmp_probe_synthetic(vmp_host **out, const char *desc)
{
	hwloc_topology_t topo = NULL;
	int err;

	*out = NULL;
	if ((err = probe_topology_new(&topo)) < 0)
		goto out;
	if (hwloc_topology_set_synthetic(topo, desc) < 0 || hwloc_topology_load(topo) < 0) {
		vmp_error_set("cannot use synthetic topology '%s': hwloc refuses it", desc);
		err = VMP_EINVAL;
		goto out;
	}
	err = probe_topology_copy(out, topo, VMP_SOURCE_SYNTHETIC, "synthetic");
out:
	if (topo)
		hwloc_topology_destroy(topo);
	return err;
}

/*
 * Load the topology of a sysfs/procfs snapshot. hwloc 2 has no call for
 * another root; its Linux backend reads HWLOC_FSROOT while the topology
 * loads (and then treats the topology as another system's), so the
 * variable is set around the load and put back as it was.
 */
static int load_fsroot(hwloc_topology_t topo, const char *root)
{
	const char *old = getenv("HWLOC_FSROOT");
	char *saved = old ? strdup(old) : NULL;
	int rc, e;

	if (old && !saved) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	if (setenv("HWLOC_FSROOT", root, 1) < 0) {
		e = errno;
		free(saved);
		vmp_error_set("cannot set HWLOC_FSROOT: %s", strerror(e));
		return VMP_ESYS;
	}
	/* The x86 backend asks the CPU running vmplan (CPUID), not the snapshot: it gave a
	 * snapshot without an L3 this machine's L3, and its fingerprint with it. */
	hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "x86");
	rc = hwloc_topology_load(topo);
	e = errno;
	if (saved)
		setenv("HWLOC_FSROOT", saved, 1);
	else
		unsetenv("HWLOC_FSROOT");
	free(saved);
	if (rc < 0) {
		vmp_error_set("cannot load fsroot '%s': hwloc cannot read its topology: %s", root,
			      strerror(e));
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* The snapshot's host name (proc/sys/kernel/hostname), else the root directory's name. */
static void fsroot_hostname(char *out, size_t size, const char *root)
{
	char path[PATH_MAX], *nl;
	size_t len = strlen(root);
	const char *base;
	FILE *f;

	out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/proc/sys/kernel/hostname", root) < (int)sizeof(path) &&
	    (f = fopen(path, "r"))) {
		if (!fgets(out, (int)size, f))
			out[0] = '\0';
		fclose(f);
		if ((nl = strchr(out, '\n')))
			*nl = '\0';
	}
	if (out[0])
		return;
	while (len > 1 && root[len - 1] == '/')
		len--;
	base = memrchr(root, '/', len);
	base = base && len > 1 ? base + 1 : root;
	snprintf(out, size, "%.*s", (int)(len - (size_t)(base - root)), base);
}

int vmp_probe_fsroot(vmp_host **out, const char *root)
{
	hwloc_topology_t topo = NULL;
	char hostname[VMP_NAME_MAX], path[PATH_MAX];
	struct stat st;
	vmp_host *h = NULL;
	int err;

	*out = NULL;
	if (stat(root, &st) < 0) {
		vmp_error_set("cannot read fsroot '%s': %s", root, strerror(errno));
		return VMP_ENOTFOUND;
	}
	if (!S_ISDIR(st.st_mode)) {
		vmp_error_set("cannot read fsroot '%s': not a directory", root);
		return VMP_ENOTFOUND;
	}
	/* Without CPUs in it hwloc would make up a one-CPU machine; refuse instead. */
	if (snprintf(path, sizeof(path), "%s/sys/devices/system/cpu", root) >= (int)sizeof(path) ||
	    stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		vmp_error_set("cannot load fsroot '%s': no sys/devices/system/cpu in it; is it a "
			      "snapshot of / with sys and proc?",
			      root);
		return VMP_EINVAL;
	}
	fsroot_hostname(hostname, sizeof(hostname), root);
	if ((err = probe_topology_new(&topo)) < 0 || (err = load_fsroot(topo, root)) < 0 ||
	    (err = probe_topology_copy(&h, topo, VMP_SOURCE_FSROOT, hostname)) < 0 ||
	    (err = vmp_probe_sysfs(h, root)) < 0 ||
	    (err = vmp_probe_resctrl(&h->resctrl, root)) < 0)
		goto out;
	*out = h;
	h = NULL;
out:
	vmp_host_free(h);
	if (topo)
		hwloc_topology_destroy(topo);
	return err;
}
