/* The hwloc probes from files: an hwloc XML export, a synthetic topology, a sysfs snapshot,
 * each checked before hwloc reads it. */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwloc.h>

#include "probes/topology_hints.h"
#include "probes/topology_internal.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/probe.h"
#include "vmplan/xml.h"

/*
 * The hwloc XML read once, whole, and parsed with libxml2 before hwloc sees it: hwloc's
 * reader crashes on a DOCTYPE without a SYSTEM id, and an internal subset can declare
 * entities. Only an XML document whose root is <topology> reaches hwloc, from this buffer.
 */
static int read_hwloc_xml(char **out, size_t *len, const char *path)
{
	char why[256];
	xmlDocPtr doc;
	xmlNodePtr root;
	int err;

	if ((err = vmp_file_read(out, len, path, "topology")) < 0)
		return err;
	if (!(doc = vmp_xml_parse(*out, *len, path, 0, why, sizeof(why)))) {
		vmp_error_set("cannot load topology '%s': not well-formed XML: %s%s", path, why,
			      topology_archive_hint(path));
		err = VMP_EINVAL;
	} else if (doc->intSubset && (!doc->intSubset->SystemID || doc->intSubset->children)) {
		vmp_error_set("cannot load topology '%s': its DOCTYPE %s; an hwloc export has "
			      "<!DOCTYPE topology SYSTEM \"hwloc2.dtd\">",
			      path,
			      doc->intSubset->children ? "declares entities or elements"
						       : "has no SYSTEM id");
		err = VMP_EINVAL;
	} else if (!(root = xmlDocGetRootElement(doc)) ||
		   xmlStrcmp(root->name, (const xmlChar *)"topology")) {
		vmp_error_set("cannot load topology '%s': its root element is not <topology>",
			      path);
		err = VMP_EINVAL;
	}
	if (doc)
		xmlFreeDoc(doc);
	if (err < 0) {
		free(*out);
		*out = NULL;
	}
	return err;
}

int vmp_probe_xml(vmp_host **out, const char *path)
{
	hwloc_topology_t topo = NULL;
	const char *name, *slash;
	char *text = NULL;
	size_t len;
	int err;

	*out = NULL;
	if ((err = read_hwloc_xml(&text, &len, path)) < 0)
		return err;
	if ((err = probe_topology_new(&topo)) < 0)
		goto out;
	if (len >= INT_MAX || hwloc_topology_set_xmlbuffer(topo, text, (int)len + 1) < 0 ||
	    hwloc_topology_load(topo) < 0) {
		vmp_error_set("cannot load topology '%s': not a valid hwloc XML file%s", path,
			      topology_archive_hint(path));
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
	free(text);
	return err;
}

/*
 * The CPUs a synthetic description makes: the product of its levels' arities ("pack:64
 * core:64 pu:64" is 262,144). hwloc builds every object before vmplan could count them,
 * which takes seconds and gigabytes; so the arities are multiplied first. hwloc remains
 * the parser: this only reads each level's count, and a description it
 * cannot read here goes on to hwloc, which refuses it.
 */
static int check_synthetic_size(const char *desc)
{
	unsigned long long cpus = 1;
	const char *p = desc;

	while (*p) {
		size_t n;
		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		/* Attached memory ("[numa]") adds no CPU; "type:count(attributes)" does. */
		const char *colon = memchr(p, ':', n), *num = colon ? colon + 1 : p;
		/* "type:count", or a bare count ("2 4 2"). */
		if (*p != '[' && *num >= '0' && *num <= '9') {
			unsigned long long arity = strtoull(num, NULL, 10);
			if (arity > VMP_CPUSET_MAX ||
			    (cpus *= arity ? arity : 1) > VMP_CPUSET_MAX) {
				vmp_error_set(
				    "cannot use synthetic topology '%s': it has more than "
				    "the %d CPUs vmplan supports",
				    desc, VMP_CPUSET_MAX);
				return VMP_EINVAL;
			}
		}
		p += n;
	}
	return VMP_OK;
}

int vmp_probe_synthetic(vmp_host **out, const char *desc)
{
	hwloc_topology_t topo = NULL;
	int err;

	*out = NULL;
	if ((err = check_synthetic_size(desc)) < 0)
		return err;
	if ((err = probe_topology_new(&topo)) < 0)
		goto out;
	if (hwloc_topology_set_synthetic(topo, desc) < 0 || hwloc_topology_load(topo) < 0) {
		vmp_error_set("cannot use synthetic topology '%s': hwloc refuses it%s", desc,
			      topology_synthetic_hint(desc));
		err = VMP_EINVAL;
		goto out;
	}
	err = probe_topology_copy(out, topo, VMP_SOURCE_SYNTHETIC, "synthetic");
out:
	if (topo)
		hwloc_topology_destroy(topo);
	return err;
}

/* The most entries a snapshot may hold: a real one of sys and proc has some 100,000. */
#define VMP_SNAPSHOT_MAX_ENTRIES 2000000

/* Whether a snapshot entry, following its link if it is one, is something to read safely. */
static bool snapshot_entry_ok(const FTSENT *e, const char **why)
{
	struct stat st;

	if (e->fts_info == FTS_SL || e->fts_info == FTS_SLNONE) {
		/* hwloc follows links: one to a FIFO or /dev/zero is as bad as the thing. */
		if (stat(e->fts_accpath, &st) < 0)
			return true; /* dangling: reads as missing */
	} else if (e->fts_info == FTS_DEFAULT) {
		st = *e->fts_statp;
	} else if (e->fts_info == FTS_F) {
		st = *e->fts_statp;
	} else {
		return true;
	}
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
		*why = "is a FIFO or a socket";
		return false;
	}
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		*why = "is a device";
		return false;
	}
	if (S_ISREG(st.st_mode) && st.st_size > VMP_FILE_MAX_BYTES) {
		*why = "is larger than 64 MiB";
		return false;
	}
	return true;
}

/*
 * Every file of a snapshot checked before hwloc or vmplan reads one: a FIFO would block the
 * probe forever, a device (a link to /dev/zero) would never end.
 */
static int check_snapshot(const char *root)
{
	char *paths[] = {(char *)root, NULL};
	FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	const char *why = NULL;
	long entries = 0;
	FTSENT *e;
	int err = VMP_OK;

	if (!fts) {
		vmp_error_set("cannot read fsroot '%s': %s", root, strerror(errno));
		return VMP_ENOTFOUND;
	}
	while (err == VMP_OK && (e = fts_read(fts))) {
		if (++entries > VMP_SNAPSHOT_MAX_ENTRIES) {
			vmp_error_set("cannot load fsroot '%s': more than %d entries; is it a "
				      "snapshot of sys and proc?",
				      root, VMP_SNAPSHOT_MAX_ENTRIES);
			err = VMP_EINVAL;
		} else if (!snapshot_entry_ok(e, &why)) {
			vmp_error_set("cannot load fsroot '%s': '%s' %s", root, e->fts_path, why);
			err = VMP_EINVAL;
		}
	}
	fts_close(fts);
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
	if ((err = check_snapshot(root)) < 0)
		return err;
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
