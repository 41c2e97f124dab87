/* Read resctrl (Intel RDT / AMD PQoS): cache and bandwidth allocation and what groups hold. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/probe.h"

/*
 * What counts as used. A new resctrl group (what libvirt makes for a VM's
 * cachetune) gets ways that no other group holds: libvirt subtracts every
 * group's ways, the default group's (the root directory) included. The
 * default group holds every way on a fresh mount and only vmplan hostprep
 * (or an operator) shrinks it, so its ways are kept apart, in default_mask,
 * for the planner to hand out only where hostprep will release them. A
 * domain's used_mask is the union of the masks that the other groups
 * (libvirt's per-domain groups too) hold in it, code and data together
 * under CDP.
 *
 * The MB unit. On AMD the values are multiples of 1/8 GB/s, on Intel a
 * percentage, and MB/s when resctrl is mounted with mba_MBps. The vendor
 * comes from ROOT/proc/cpuinfo (AuthenticAMD or HygonGenuine is AMD); where
 * that file says nothing, a resource with min_bandwidth 0, bandwidth_gran 1
 * and delay_linear 0 is AMD: Intel's minimum is never 0 (it is 100 less
 * the largest delay), AMD's always is; so is one whose groups hold an MB
 * value above 100, which no percentage can be (AMD's default is 2048).
 * U32_MAX is what mba_MBps shows for a group not yet given a value: no
 * limit, no bandwidth taken. Nothing else shows it, so where ROOT/proc/mounts
 * is missing (a snapshot without it) it says MB/s before the vendor does.
 */

#define RESCTRL  "/sys/fs/resctrl"
#define TEXT_MAX 8192
/* The MB value of a group that mba_MBps leaves unthrottled (the kernel's U32_MAX). */
#define MB_UNLIMITED UINT32_MAX

/* A schemata line's resource name and where its values go. */
enum res_kind { RES_CACHE, RES_MB, RES_OTHER };

/* root joined with a path that starts with '/'; "/" as root gives the path itself. */
static int join(char *out, size_t size, const char *root, const char *a, const char *b,
		const char *c)
{
	size_t len = strlen(root);
	int n;

	while (len > 0 && root[len - 1] == '/')
		len--;
	n = snprintf(out, size, "%.*s%s%s%s", (int)len, root, a, b ? b : "", c ? c : "");
	if (n < 0 || (size_t)n >= size) {
		vmp_error_set("cannot read resctrl under '%s': path too long", root);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* Read a small file; VMP_ENOTFOUND without a message when it is missing. */
static int read_text(char *buf, size_t size, const char *path)
{
	return vmp_file_read_text(buf, size, path, "resctrl", false);
}

/* text as a hex mask of 1 to 16 digits (no "0x", as resctrl writes them). */
static bool parse_hex(uint64_t *out, const char *text)
{
	size_t len = strlen(text);

	if (len == 0 || len > 16 || strspn(text, "0123456789abcdefABCDEF") != len)
		return false;
	*out = strtoull(text, NULL, 16);
	return true;
}

/* text as an unsigned decimal number of at most max. */
static bool parse_upto(unsigned long long *out, const char *text, unsigned long long max)
{
	char *end;

	if (!isdigit((unsigned char)*text))
		return false;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return !errno && !*end && *out <= max;
}

/* text as an unsigned decimal number that fits in an int. */
static bool parse_dec(unsigned *out, const char *text)
{
	unsigned long long v;

	if (!parse_upto(&v, text, INT_MAX))
		return false;
	*out = (unsigned)v;
	return true;
}

/*
 * text as an MB value: unsigned 32-bit, as the kernel keeps it. Under
 * mba_MBps a group shows U32_MAX until it is given a value.
 */
static bool parse_mb(uint32_t *out, const char *text)
{
	unsigned long long v;

	if (!parse_upto(&v, text, UINT32_MAX))
		return false;
	*out = (uint32_t)v;
	return true;
}

/*
 * One value file of an info directory: a hex mask (hex) or a number.
 * Missing is VMP_ENOTFOUND (no message) unless required.
 */
static int read_value(uint64_t *mask, unsigned *num, const char *path, bool required)
{
	char buf[256], *s;
	int err;

	if ((err = read_text(buf, sizeof(buf), path)) < 0) {
		if (err == VMP_ENOTFOUND && required)
			vmp_error_set("cannot read resctrl '%s': the file is missing", path);
		return err == VMP_ENOTFOUND && required ? VMP_EINVAL : err;
	}
	s = vmp_str_trim(buf);
	if (mask && !parse_hex(mask, s)) {
		vmp_error_set("cannot read resctrl '%s': '%.40s' is not a hex mask", path, s);
		return VMP_EINVAL;
	}
	if (num && !parse_dec(num, s)) {
		vmp_error_set("cannot read resctrl '%s': '%.40s' is not a number", path, s);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* info/<name>/ of a cache resource; VMP_ENOTFOUND when the directory is missing. */
static int read_cache_info(vmp_rdt_cache *c, const char *root, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	unsigned bits = 1;
	int err;

	if ((err = join(dir, sizeof(dir), root, RESCTRL "/info/", name, NULL)) < 0)
		return err;
	if (!is_dir(dir))
		return VMP_ENOTFOUND;
	snprintf(path, sizeof(path), "%s/cbm_mask", dir);
	if ((err = read_value(&c->cbm_mask, NULL, path, true)) < 0)
		return err;
	if (c->cbm_mask == 0) {
		vmp_error_set("cannot read resctrl '%s': a mask without ways", path);
		return VMP_EINVAL;
	}
	snprintf(path, sizeof(path), "%s/num_closids", dir);
	if ((err = read_value(NULL, &c->num_closids, path, true)) < 0)
		return err;
	snprintf(path, sizeof(path), "%s/min_cbm_bits", dir);
	if ((err = read_value(NULL, &bits, path, false)) < 0 && err != VMP_ENOTFOUND)
		return err;
	c->min_cbm_bits = bits;
	/* Kernels before 4.19 have no shareable_bits: nothing is shared then. */
	snprintf(path, sizeof(path), "%s/shareable_bits", dir);
	c->shareable_bits = 0;
	if ((err = read_value(&c->shareable_bits, NULL, path, false)) < 0 && err != VMP_ENOTFOUND)
		return err;
	c->present = true;
	return VMP_OK;
}

/* L3 or L2 (level "L3"), plain or split into CODE and DATA. */
static int read_cache(vmp_rdt_cache *c, const char *root, const char *level)
{
	char code[16];
	int err;

	memset(c, 0, sizeof(*c));
	if ((err = read_cache_info(c, root, level)) != VMP_ENOTFOUND)
		return err;
	/* With CDP on, CODE and DATA share the limits; the masks differ per group. */
	snprintf(code, sizeof(code), "%sCODE", level);
	if ((err = read_cache_info(c, root, code)) < 0)
		return err == VMP_ENOTFOUND ? VMP_OK : err;
	c->cdp = true;
	return VMP_OK;
}

static int read_mb_info(vmp_rdt_mb *mb, const char *root)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	unsigned linear = 0;
	int err;

	memset(mb, 0, sizeof(*mb));
	if ((err = join(dir, sizeof(dir), root, RESCTRL "/info/MB", NULL, NULL)) < 0)
		return err;
	if (!is_dir(dir))
		return VMP_OK;
	snprintf(path, sizeof(path), "%s/min_bandwidth", dir);
	if ((err = read_value(NULL, &mb->min_bandwidth, path, true)) < 0)
		return err;
	snprintf(path, sizeof(path), "%s/bandwidth_gran", dir);
	if ((err = read_value(NULL, &mb->bandwidth_gran, path, true)) < 0)
		return err;
	snprintf(path, sizeof(path), "%s/delay_linear", dir);
	if ((err = read_value(NULL, &linear, path, false)) < 0 && err != VMP_ENOTFOUND)
		return err;
	if (linear > 1) {
		vmp_error_set("cannot read resctrl '%s': '%u' is not 0 or 1", path, linear);
		return VMP_EINVAL;
	}
	mb->delay_linear = linear;
	snprintf(path, sizeof(path), "%s/num_closids", dir);
	if ((err = read_value(NULL, &mb->num_closids, path, false)) < 0 && err != VMP_ENOTFOUND)
		return err;
	mb->present = true;
	return VMP_OK;
}

/* The cache resource a schemata name belongs to: L3, L3CODE, L3DATA and likewise L2. */
static enum res_kind resource(vmp_resctrl *r, const char *name, vmp_rdt_cache **cache)
{
	*cache = NULL;
	if (!strcmp(name, "MB"))
		return RES_MB;
	if (!strncmp(name, "L3", 2))
		*cache = &r->l3;
	else if (!strncmp(name, "L2", 2))
		*cache = &r->l2;
	else
		return RES_OTHER;
	if (strcmp(name + 2, "") && strcmp(name + 2, "CODE") && strcmp(name + 2, "DATA"))
		return RES_OTHER;
	return RES_CACHE;
}

static vmp_rdt_domain *cache_domain(vmp_rdt_cache *c, int id, bool add)
{
	for (int i = 0; i < c->ndomains; i++)
		if (c->domains[i].id == id)
			return &c->domains[i];
	if (!add || c->ndomains == VMP_RDT_DOMAINS_MAX)
		return NULL;
	c->domains[c->ndomains].id = id;
	c->domains[c->ndomains].used_mask = 0;
	c->domains[c->ndomains].default_mask = 0;
	return &c->domains[c->ndomains++];
}

static bool mb_domain_add(vmp_rdt_mb *mb, int id)
{
	for (int i = 0; i < mb->ndomains; i++)
		if (mb->domain_ids[i] == id)
			return true;
	if (mb->ndomains == VMP_RDT_DOMAINS_MAX)
		return false;
	mb->domain_ids[mb->ndomains++] = id;
	return true;
}

/*
 * One "NAME:ID=VALUE;ID=VALUE" line (the kernel pads NAME on the left).
 * The default group's lines give the domains; another group's masks are
 * added to the used ways. *mb_max gets the largest MB value seen
 * (MB_UNLIMITED where a group is not throttled under mba_MBps).
 */
static int parse_line(vmp_resctrl *r, char *line, const char *path, bool deflt, uint32_t *mb_max)
{
	char *name = vmp_str_trim(line), *colon = strchr(name, ':'), *item, *save = NULL;
	vmp_rdt_cache *c;
	enum res_kind kind;

	if (!*name)
		return VMP_OK;
	if (!colon) {
		vmp_error_set("cannot read resctrl '%s': '%.60s' is not 'RESOURCE:ID=VALUE;...'",
			      path, name);
		return VMP_EINVAL;
	}
	*colon = '\0';
	kind = resource(r, vmp_str_trim(name), &c);
	if (kind == RES_OTHER || (kind == RES_CACHE && !c->present) ||
	    (kind == RES_MB && !r->mb.present))
		return VMP_OK; /* a resource vmplan does not plan (SMBA, ...) */
	for (item = strtok_r(colon + 1, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(item, '='), *value;
		unsigned id;
		uint32_t bw;
		uint64_t mask;

		item = vmp_str_trim(item);
		if (!*item)
			continue;
		if (eq)
			*eq = '\0';
		if (!eq || !parse_dec(&id, vmp_str_trim(item))) {
			vmp_error_set("cannot read resctrl '%s': '%.40s' in the %s line is not "
				      "'ID=VALUE'",
				      path, item, name);
			return VMP_EINVAL;
		}
		value = vmp_str_trim(eq + 1);
		if (kind == RES_MB) {
			if (!parse_mb(&bw, value)) {
				vmp_error_set(
				    "cannot read resctrl '%s': '%.40s' for MB domain %u is "
				    "not a number",
				    path, value, id);
				return VMP_EINVAL;
			}
			if (bw > *mb_max)
				*mb_max = bw;
			if (deflt && !mb_domain_add(&r->mb, (int)id))
				goto too_many;
			continue;
		}
		if (!parse_hex(&mask, value)) {
			vmp_error_set("cannot read resctrl '%s': '%.40s' is not a hex mask", path,
				      value);
			return VMP_EINVAL;
		}
		if (mask & ~c->cbm_mask) {
			vmp_error_set(
			    "cannot read resctrl '%s': mask '%s' of %s domain %u has ways "
			    "outside cbm_mask '%" PRIx64 "'",
			    path, value, name, id, c->cbm_mask);
			return VMP_EINVAL;
		}
		if (deflt) {
			vmp_rdt_domain *d = cache_domain(c, (int)id, true);
			if (!d)
				goto too_many;
			/* Code and data together under CDP: libvirt subtracts both. */
			d->default_mask |= mask;
		} else {
			vmp_rdt_domain *d = cache_domain(c, (int)id, false);
			if (!d) {
				vmp_error_set(
				    "cannot read resctrl '%s': %s domain %u is not in the "
				    "default group's schemata",
				    path, name, id);
				return VMP_EINVAL;
			}
			d->used_mask |= mask;
		}
	}
	return VMP_OK;
too_many:
	vmp_error_set("cannot read resctrl '%s': more than %d %s domains", path,
		      VMP_RDT_DOMAINS_MAX, name);
	return VMP_EINVAL;
}

static int read_schemata(vmp_resctrl *r, const char *path, bool deflt, uint32_t *mb_max)
{
	char *buf = malloc(TEXT_MAX), *line, *save = NULL;
	int err;

	if (!buf) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	if ((err = read_text(buf, TEXT_MAX, path)) < 0) {
		if (err == VMP_ENOTFOUND) {
			vmp_error_set("cannot read resctrl '%s': the file is missing", path);
			err = VMP_EINVAL;
		}
		goto out;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if ((err = parse_line(r, line, path, deflt, mb_max)) < 0)
			goto out;
out:
	free(buf);
	return err;
}

/* The groups other than the default: directories with a schemata file, not info/ or mon_*. */
static int read_groups(vmp_resctrl *r, const char *root, uint32_t *mb_max)
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *de;
	int err = VMP_OK;
	DIR *d;

	if ((err = join(dir, sizeof(dir), root, RESCTRL, NULL, NULL)) < 0)
		return err;
	if (!(d = opendir(dir))) {
		vmp_error_set("cannot read resctrl '%s': %s", dir, strerror(errno));
		return VMP_ESYS;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "info") ||
		    !strncmp(de->d_name, "mon_", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!is_dir(path))
			continue;
		snprintf(path, sizeof(path), "%s/%s/schemata", dir, de->d_name);
		if (access(path, F_OK) < 0)
			continue;
		if ((err = read_schemata(r, path, false, mb_max)) < 0)
			break;
		r->groups_used++;
	}
	closedir(d);
	return err;
}

static int cmp_domain(const void *a, const void *b)
{
	const vmp_rdt_domain *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * A word of the first line of file that starts with key (up to ':' or
 * white space), e.g. vendor_id from /proc/cpuinfo; "" when none.
 */
static void file_field(char *out, size_t size, const char *file, const char *key, int word)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;

	out[0] = '\0';
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char w[4][256];
		int n;

		if (strncmp(line, key, strlen(key)))
			continue;
		n = sscanf(line, "%255s %255s %255s %255s", w[0], w[1], w[2], w[3]);
		if (n > word) {
			if (strlen(w[word]) < size)
				memcpy(out, w[word], strlen(w[word]) + 1);
			break;
		}
	}
	free(line);
	fclose(f);
}

/* mba_MBps in the resctrl line of ROOT/proc/mounts. */
static bool mounted_mbps(const char *root)
{
	char path[PATH_MAX];
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (join(path, sizeof(path), root, "/proc/mounts", NULL, NULL) < 0 ||
	    !(f = fopen(path, "r")))
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char type[64], opts[1024];

		if (sscanf(line, "%*s %*s %63s %1023s", type, opts) == 2 &&
		    !strcmp(type, "resctrl"))
			found = strstr(opts, "mba_MBps") != NULL;
	}
	free(line);
	fclose(f);
	return found;
}

static vmp_mb_unit mb_unit(const vmp_rdt_mb *mb, const char *root, uint32_t mb_max)
{
	char path[PATH_MAX], vendor[64];

	if (mounted_mbps(root) || mb_max == MB_UNLIMITED)
		return VMP_MB_MBPS;
	if (join(path, sizeof(path), root, "/proc/cpuinfo", NULL, NULL) == VMP_OK) {
		file_field(vendor, sizeof(vendor), path, "vendor_id", 2);
		if (!strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine"))
			return VMP_MB_AMD_GBS8;
		if (*vendor)
			return VMP_MB_PERCENT;
	}
	if ((mb->min_bandwidth == 0 && mb->bandwidth_gran == 1 && !mb->delay_linear) ||
	    mb_max > 100)
		return VMP_MB_AMD_GBS8;
	return VMP_MB_PERCENT;
}

int vmp_probe_resctrl(vmp_resctrl *out, const char *root)
{
	vmp_resctrl r;
	char path[PATH_MAX];
	uint32_t mb_max = 0;
	int err;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	/* Not mounted: /sys/fs/resctrl is an empty directory, or missing. */
	if ((err = join(path, sizeof(path), root, RESCTRL "/info", NULL, NULL)) < 0)
		return err;
	if (!is_dir(path))
		return VMP_OK;
	if ((err = read_cache(&r.l3, root, "L3")) < 0 ||
	    (err = read_cache(&r.l2, root, "L2")) < 0 || (err = read_mb_info(&r.mb, root)) < 0)
		return err;
	if ((err = join(path, sizeof(path), root, RESCTRL "/schemata", NULL, NULL)) < 0 ||
	    (err = read_schemata(&r, path, true, &mb_max)) < 0)
		return err;
	r.groups_used = 1;
	if ((err = read_groups(&r, root, &mb_max)) < 0)
		return err;
	qsort(r.l3.domains, (size_t)r.l3.ndomains, sizeof(r.l3.domains[0]), cmp_domain);
	qsort(r.l2.domains, (size_t)r.l2.ndomains, sizeof(r.l2.domains[0]), cmp_domain);
	qsort(r.mb.domain_ids, (size_t)r.mb.ndomains, sizeof(r.mb.domain_ids[0]), cmp_int);
	if (r.mb.present)
		r.mb.unit = mb_unit(&r.mb, root, mb_max);
	r.present = true;
	*out = r;
	return VMP_OK;
}
