/* Migration targets: a running domain's migratable XML, and the request its shape makes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "libvirt_internal.h"
#include "vmplan/error.h"
#include "vmplan/migrate.h"
#include "vmplan/profile.h"
#include "vmplan/size.h"

#define MIGRATE_KEYS 24 /* keys a domain can give */

/* libvirt prints every error on stderr by default; vmplan reports them itself. */
static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

int vmp_migrate_domain_xml(char **out, bool *running, const char *uri, const char *domain)
{
	const char *shown = uri ? uri : "the default URI";
	virConnectPtr conn;
	virDomainPtr dom = NULL;
	char *xml = NULL;
	int err = VMP_ESYS, active;
	unsigned flags = VIR_DOMAIN_XML_MIGRATABLE;

	*out = NULL;
	*running = false;
	virSetErrorFunc(NULL, quiet);
	/* The migratable XML needs a read-write connection (libvirt counts it as secure);
	 * read-only, the live XML is the nearest. */
	if (!(conn = virConnectOpen(uri)) && (conn = virConnectOpenReadOnly(uri)))
		flags = 0;
	if (!conn) {
		vmp_error_set("cannot connect to libvirt at '%s': %s", shown,
			      virGetLastErrorMessage());
		return VMP_ESYS;
	}
	if (!(dom = virDomainLookupByName(conn, domain))) {
		if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) {
			vmp_error_set("no domain '%s' on '%s'", domain, shown);
			err = VMP_ENOTFOUND;
		} else {
			vmp_error_set("cannot look up domain '%s' on '%s': %s", domain, shown,
				      virGetLastErrorMessage());
		}
		goto out;
	}
	if ((active = virDomainIsActive(dom)) < 0 || !(xml = virDomainGetXMLDesc(dom, flags))) {
		vmp_error_set("cannot read domain '%s' on '%s': %s", domain, shown,
			      virGetLastErrorMessage());
		goto out;
	}
	if (!(*out = strdup(xml))) {
		err = vmp_lvx_no_memory();
		goto out;
	}
	*running = active == 1;
	err = VMP_OK;
out:
	free(xml);
	if (dom)
		virDomainFree(dom);
	virConnectClose(conn);
	return err;
}

/* The pairs read so far; values are owned. */
typedef struct pairs {
	int n;
	const char *keys[MIGRATE_KEYS];
	char *values[MIGRATE_KEYS];
} pairs;

static int add(pairs *p, const char *key, char *value)
{
	if (!value)
		return vmp_lvx_no_memory();
	p->keys[p->n] = key;
	p->values[p->n++] = value;
	return VMP_OK;
}

/* key = the text of expr, when there is one. */
static int add_text(pairs *p, struct xdoc *x, const char *key, const char *expr)
{
	char *v = vmp_lvx_string(x, NULL, expr);

	return v ? add(p, key, v) : VMP_OK;
}

/* key = the size the first node of expr gives (vattr, or its text), exactly. */
static int add_size(pairs *p, struct xdoc *x, const char *key, const char *expr, const char *vattr,
		    const char *deflt)
{
	xmlXPathObjectPtr o = vmp_lvx_eval(x, NULL, expr);
	char buf[64];
	uint64_t bytes;
	int err = VMP_OK;

	if (vmp_lvx_len(o) > 0 &&
	    (err = vmp_lvx_elem_size(x, vmp_lvx_at(o, 0), vattr, deflt, &bytes)) == VMP_OK) {
		vmp_size_format(buf, sizeof(buf), bytes);
		err = add(p, key, strdup(buf));
	}
	xmlXPathFreeObject(o);
	return err;
}

/* How many nodes expr selects. */
static int count(struct xdoc *x, const char *expr)
{
	xmlXPathObjectPtr o = vmp_lvx_eval(x, NULL, expr);
	int n = vmp_lvx_len(o);

	xmlXPathFreeObject(o);
	return n;
}

/* key = n as text. */
static int add_int(pairs *p, const char *key, long long n)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", n);
	return add(p, key, strdup(buf));
}

/* The hugepages key: the page size, or 2M (libvirt's default on x86) without one. */
static int add_hugepages(pairs *p, struct xdoc *x)
{
	if (count(x, "/domain/memoryBacking/hugepages/page") > 0)
		return add_size(p, x, "hugepages", "/domain/memoryBacking/hugepages/page", "size",
				"KiB");
	if (count(x, "/domain/memoryBacking/hugepages") > 0)
		return add(p, "hugepages", strdup("2M"));
	return VMP_OK;
}

/* The CPU keys: cpu, threads, numa. */
static int read_cpu(pairs *p, struct xdoc *x)
{
	char *threads = vmp_lvx_string(x, NULL, "/domain/cpu/topology/@threads");
	int cells = count(x, "/domain/cpu/numa/cell"), err;

	err = add(p, "cpu", strdup(count(x, "/domain/cputune/vcpupin") ? "dedicated" : "shared"));
	if (err == VMP_OK && threads && strcmp(threads, "1"))
		err = add(p, "threads", strdup("require"));
	if (err == VMP_OK && cells)
		err = add_int(p, "numa", cells);
	free(threads);
	return err;
}

/* The memory tuning keys. */
static int read_memory(pairs *p, struct xdoc *x)
{
	int err;

	if ((err = add_text(p, x, "memory_mode", "/domain/numatune/memory/@mode")) < 0 ||
	    (err = add_text(p, x, "iothreads", "/domain/iothreads")) < 0 ||
	    (err = add_hugepages(p, x)) < 0)
		return err;
	if (count(x, "/domain/memoryBacking/locked") &&
	    (err = add(p, "locked", strdup("true"))) < 0)
		return err;
	if (count(x, "/domain/memoryBacking/nosharepages") &&
	    (err = add(p, "nosharepages", strdup("true"))) < 0)
		return err;
	if ((err = add_size(p, x, "hard_limit", "/domain/memtune/hard_limit", NULL, "KiB")) < 0 ||
	    (err = add_size(p, x, "soft_limit", "/domain/memtune/soft_limit", NULL, "KiB")) < 0)
		return err;
	return add_size(p, x, "swap_hard_limit", "/domain/memtune/swap_hard_limit", NULL, "KiB");
}

/* The cputune keys: cache, membw, sched, shares, period, quota. */
static int read_cputune(pairs *p, struct xdoc *x)
{
	char *bw = vmp_lvx_string(x, NULL, "/domain/cputune/memorytune[1]/node[1]/@bandwidth");
	int err;

	if ((err = add_size(p, x, "cache", "/domain/cputune/cachetune[1]/cache[1]", "size", "b")) <
	    0)
		goto out;
	if (bw) {
		char buf[80];
		snprintf(buf, sizeof(buf), "%.60s%%", bw);
		if ((err = add(p, "membw", strdup(buf))) < 0)
			goto out;
	}
	if ((err = add_text(p, x, "sched", "/domain/cputune/vcpusched[1]/@scheduler")) < 0 ||
	    (err = add_text(p, x, "sched_priority", "/domain/cputune/vcpusched[1]/@priority")) <
		0 ||
	    (err = add_text(p, x, "shares", "/domain/cputune/shares")) < 0 ||
	    (err = add_text(p, x, "period", "/domain/cputune/period")) < 0)
		goto out;
	err = add_text(p, x, "quota", "/domain/cputune/quota");
out:
	free(bw);
	return err;
}

/* The pairs as a --vm SPEC. */
static void write_spec(char *spec, size_t size, const pairs *p)
{
	size_t n = 0;

	spec[0] = '\0';
	for (int i = 0; i < p->n && n < size; i++) {
		int w =
		    snprintf(spec + n, size - n, "%s%s=%s", i ? "," : "", p->keys[i], p->values[i]);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

int vmp_migrate_domain_request(vmp_vm_request *out, char *spec, size_t size, const char *xml,
			       const char *what)
{
	struct xdoc x;
	pairs p = {0};
	int err;

	if (size)
		spec[0] = '\0';
	if ((err = vmp_lvx_open(&x, xml, what)) < 0)
		return err;
	if ((err = add_text(&p, &x, "name", "/domain/name")) < 0 ||
	    (err = add_text(&p, &x, "vcpus", "/domain/vcpu")) < 0 ||
	    (err = add_size(&p, &x, "memory", "/domain/memory", NULL, "KiB")) < 0 ||
	    (err = read_cpu(&p, &x)) < 0 || (err = read_memory(&p, &x)) < 0 ||
	    (err = read_cputune(&p, &x)) < 0)
		goto out;
	if (size)
		write_spec(spec, size, &p);
	if ((err = vmp_request_build(out, p.keys, (const char *const *)p.values, (size_t)p.n)) <
	    0) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", vmp_error_last());
		vmp_error_set("cannot take the shape of %s: %s", what, msg);
	}
out:
	for (int i = 0; i < p.n; i++)
		free(p.values[i]);
	vmp_lvx_close(&x);
	return err;
}
