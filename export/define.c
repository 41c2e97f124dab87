/* Defining a plan's domains through libvirt: new ones built, existing ones merged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "internal.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/fileio.h"

#if defined(__x86_64__)
#define HOST_ARCH "x86_64"
#elif defined(__aarch64__)
#define HOST_ARCH "aarch64"
#else
#define HOST_ARCH NULL
#endif

/* The text of the first node an XPath expression selects, into out; false when none. */
static bool xpath_text(char *out, size_t size, xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr r = ctx ? xmlXPathEvalExpression(BAD_CAST expr, ctx) : NULL;
	bool found = false;

	if (r && r->nodesetval && r->nodesetval->nodeNr > 0) {
		xmlChar *s = xmlNodeGetContent(r->nodesetval->nodeTab[0]);
		if (s && *s) {
			snprintf(out, size, "%s", (const char *)s);
			found = true;
		}
		xmlFree(s);
	}
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return found;
}

/* The domain type, architecture and machine the connection offers a new domain. */
typedef struct guest_kind {
	char type[32], arch[32], machine[128];
} guest_kind;

static int guest_kind_of(guest_kind *out, virConnectPtr conn)
{
	static const char *const types[] = {"kvm", "qemu"};
	char *xml;
	xmlDocPtr doc;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < 2; i++) {
		xml = virConnectGetDomainCapabilities(conn, NULL, HOST_ARCH, NULL, types[i], 0);
		if (!xml)
			continue;
		doc = xmlReadMemory(xml, (int)strlen(xml), "domcaps.xml", NULL, XML_PARSE_NONET);
		free(xml);
		if (!doc)
			continue;
		xpath_text(out->type, sizeof(out->type), doc, "/domainCapabilities/domain");
		xpath_text(out->arch, sizeof(out->arch), doc, "/domainCapabilities/arch");
		xpath_text(out->machine, sizeof(out->machine), doc, "/domainCapabilities/machine");
		xmlFreeDoc(doc);
		if (*out->type)
			return VMP_OK;
	}
	/* Drivers without domain capabilities (the test driver): the guests they list. */
	if (!(xml = virConnectGetCapabilities(conn))) {
		vmp_error_set("cannot read the capabilities of the connection: %s",
			      vmp_libvirt_last_error());
		return VMP_ESYS;
	}
	doc = xmlReadMemory(xml, (int)strlen(xml), "caps.xml", NULL, XML_PARSE_NONET);
	free(xml);
	if (doc) {
		char expr[256];
		const char *arch = HOST_ARCH ? HOST_ARCH : "";
		for (int pass = 0; pass < 2 && !*out->type; pass++) {
			const char *sel = pass == 0 ? arch : "";
			for (size_t i = 0; i < 3 && !*out->type; i++) {
				const char *t = i < 2 ? types[i] : NULL;
				snprintf(
				    expr, sizeof(expr),
				    "/capabilities/guest[os_type='hvm']/arch%s%s%s/domain%s%s%s/"
				    "@type",
				    *sel ? "[@name='" : "", sel, *sel ? "']" : "",
				    t ? "[@type='" : "", t ? t : "", t ? "']" : "");
				if (!xpath_text(out->type, sizeof(out->type), doc, expr))
					continue;
				snprintf(expr, sizeof(expr),
					 "/capabilities/guest[os_type='hvm']/arch%s%s%s/@name",
					 *sel ? "[@name='" : "", sel, *sel ? "']" : "");
				xpath_text(out->arch, sizeof(out->arch), doc, expr);
			}
		}
		xmlFreeDoc(doc);
	}
	if (!*out->type) {
		vmp_error_set("cannot define domains on this connection: it offers no hvm guest");
		return VMP_EUNSUPPORTED;
	}
	return VMP_OK;
}

static bool same_xml(const char *a, const char *b)
{
	char *diff = NULL;
	bool same = vmp_export_diff(&diff, a, b, "a", "b") == VMP_OK && diff && !*diff;

	free(diff);
	return same;
}

/* The host CPUs the plan gives one pin of vm. */
static void pin_cpus(vmp_cpuset *out, const vmp_plan_vm *vm, const vmp_define_pin *pin)
{
	switch (pin->kind) {
	case VMP_PIN_EMULATOR:
		*out = vm->emulatorpin;
		break;
	case VMP_PIN_IOTHREAD:
		*out = vm->iothreadpin[pin->id - 1];
		break;
	default:
		vmp_vm_vcpu_cpus(out, vm, pin->id);
		break;
	}
}

static void add_pin(vmp_define_result *res, const vmp_plan_vm *vm, vmp_define_pin_kind kind,
		    unsigned id, const char *what)
{
	vmp_define_pin *pin = &res->pins[res->npins];
	vmp_cpuset cpus;

	pin->kind = kind;
	pin->id = id;
	snprintf(pin->what, sizeof(pin->what), "%s", what);
	pin_cpus(&cpus, vm, pin);
	/* An empty set is no pin: libvirt refuses an empty map, and the plan leaves it free. */
	if (vmp_cpuset_empty(&cpus))
		return;
	vmp_cpuset_format(pin->cpuset, sizeof(pin->cpuset), &cpus);
	res->npins++;
}

/*
 * The pins of vm for its running domain, into res->pins. The emulator and I/O threads
 * come first: the CPUs they leave may be the ones the vCPUs are given. A domain that
 * runs another number of vCPUs or I/O threads than the plan cannot take the plan's pins
 * live (a vCPU the plan lacks would stay where it is), so it is refused here, before
 * anything of it changes.
 */
static int live_pins(vmp_define_result *res, virDomainPtr dom, const vmp_plan_vm *vm)
{
	virDomainIOThreadInfoPtr *info = NULL;
	int nvcpus, niothreads;
	char what[32];

	if ((nvcpus = virDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_LIVE)) < 0 ||
	    (niothreads = virDomainGetIOThreadInfo(dom, &info, VIR_DOMAIN_AFFECT_LIVE)) < 0) {
		vmp_error_set("cannot read the vCPUs and I/O threads of running domain '%s': %s",
			      vm->req.name, vmp_libvirt_last_error());
		return VMP_ESYS;
	}
	for (int i = 0; i < niothreads; i++)
		virDomainIOThreadInfoFree(info[i]);
	free(info);
	if ((unsigned)nvcpus != vm->req.vcpus || niothreads != vm->niothreads) {
		vmp_error_set("cannot pin running domain '%s' live: it runs %d vCPUs and %d I/O "
			      "threads, the plan has %u and %d (nothing of it was changed; define "
			      "it without live pinning and restart it)",
			      vm->req.name, nvcpus, niothreads, vm->req.vcpus, vm->niothreads);
		return VMP_ESYS;
	}
	res->pins = calloc((size_t)vm->niothreads + vm->req.vcpus + 1, sizeof(*res->pins));
	if (!res->pins) {
		vmp_error_set("cannot pin domain '%s' live: out of memory", vm->req.name);
		return VMP_ENOMEM;
	}
	add_pin(res, vm, VMP_PIN_EMULATOR, 0, "emulator");
	for (int i = 0; i < vm->niothreads; i++) {
		snprintf(what, sizeof(what), "iothread %d", i + 1);
		add_pin(res, vm, VMP_PIN_IOTHREAD, (unsigned)i + 1, what);
	}
	for (unsigned i = 0; i < vm->req.vcpus; i++) {
		snprintf(what, sizeof(what), "vcpu %u", i);
		add_pin(res, vm, VMP_PIN_VCPU, i, what);
	}
	return VMP_OK;
}

/* Apply res->pins to the running domain, in order; stop at the first libvirt refuses. */
static int pin_live(vmp_define_result *res, virDomainPtr dom, const vmp_plan_vm *vm)
{
	unsigned char *map = NULL;
	int maplen, cpu, last, rc = 0;

	for (int i = 0; i < res->npins; i++) {
		vmp_define_pin *pin = &res->pins[i];
		vmp_cpuset cpus;

		pin_cpus(&cpus, vm, pin);
		last = -1;
		VMP_CPUSET_FOREACH (cpu, &cpus)
			last = cpu;
		maplen = VIR_CPU_MAPLEN(last + 1);
		free(map);
		if (!(map = calloc(1, (size_t)maplen))) {
			vmp_error_set("cannot pin domain '%s' live: out of memory", vm->req.name);
			return VMP_ENOMEM;
		}
		VMP_CPUSET_FOREACH (cpu, &cpus)
			VIR_USE_CPU(map, cpu);
		switch (pin->kind) {
		case VMP_PIN_EMULATOR:
			rc = virDomainPinEmulator(dom, map, maplen, VIR_DOMAIN_AFFECT_LIVE);
			break;
		case VMP_PIN_IOTHREAD:
			rc =
			    virDomainPinIOThread(dom, pin->id, map, maplen, VIR_DOMAIN_AFFECT_LIVE);
			break;
		default:
			rc = virDomainPinVcpuFlags(dom, pin->id, map, maplen,
						   VIR_DOMAIN_AFFECT_LIVE);
			break;
		}
		if (rc < 0) {
			char before[64];
			if (i > 1)
				snprintf(before, sizeof(before), "the %d pins before it were", i);
			else
				snprintf(before, sizeof(before), "%s",
					 i ? "the pin before it was" : "no pin was");
			vmp_error_set("cannot pin %s of running domain '%s' to CPUs '%s' live: %s "
				      "(its persistent definition holds the plan and takes effect "
				      "at its next start; %s applied live)",
				      pin->what, vm->req.name, pin->cpuset,
				      vmp_libvirt_last_error(), before);
			free(map);
			return VMP_ESYS;
		}
		pin->applied = true;
	}
	free(map);
	res->live = true;
	return VMP_OK;
}

static int define_one(vmp_define_result *res, virConnectPtr conn, const vmp_plan_vm *vm,
		      const vmp_define_opts *opts, guest_kind *kind, bool *kind_known)
{
	virDomainPtr dom = virDomainLookupByName(conn, vm->req.name), def;
	char *old = NULL, *xml = NULL, label[VMP_NAME_MAX + 32];
	bool pinned = false;  /* pin_live() was called */
	bool settled = false; /* the definition is the plan's, or a dry run said what it would be */
	int err;

	snprintf(res->name, sizeof(res->name), "%s", vm->req.name);
	if (dom) {
		if (!(old = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE))) {
			vmp_error_set("cannot read the definition of domain '%s': %s", vm->req.name,
				      vmp_libvirt_last_error());
			err = VMP_ESYS;
			goto out;
		}
		snprintf(label, sizeof(label), "domain '%s'", vm->req.name);
		if ((err = vmp_export_libvirt_merge(&xml, NULL, old, label, vm)) < 0)
			goto out;
		res->action = same_xml(old, xml) ? VMP_DEFINE_UNCHANGED : VMP_DEFINE_UPDATED;
		res->running = virDomainIsActive(dom) == 1;
		if (opts->live && res->running && (err = live_pins(res, dom, vm)) < 0) {
			res->action = VMP_DEFINE_SKIPPED; /* nothing of it was changed */
			goto out;
		}
	} else {
		vmp_export_opts eo = {0};
		if (!*kind_known) {
			if ((err = guest_kind_of(kind, conn)) < 0)
				goto out;
			*kind_known = true;
		}
		eo.type = opts->type ? opts->type : kind->type;
		eo.arch = *kind->arch ? kind->arch : NULL;
		eo.machine = *kind->machine ? kind->machine : NULL;
		if ((err = vmp_export_libvirt_xml_opts(&xml, NULL, vm, &eo)) < 0)
			goto out;
		res->action = VMP_DEFINE_CREATED;
	}
	if (opts->dry_run) {
		char a[VMP_NAME_MAX + 32], b[VMP_NAME_MAX + 32];
		snprintf(a, sizeof(a), "%s (defined)", vm->req.name);
		snprintf(b, sizeof(b), "%s (planned)", vm->req.name);
		err = vmp_export_diff(&res->diff, old ? old : "", xml, old ? a : "/dev/null", b);
		settled = true;
		goto out;
	}
	if (res->action == VMP_DEFINE_UNCHANGED) {
		/* The definition matched, yet the running guest may still have older pins. */
		settled = true;
		pinned = res->pins != NULL;
		err = pinned ? pin_live(res, dom, vm) : VMP_OK;
		goto out;
	}
	if (old) {
		const char *dir = opts->backup_dir ? opts->backup_dir : ".";
		if ((err = vmp_mkdir_p(dir)) < 0)
			goto out;
		char xml_path[4096];
		if (snprintf(xml_path, sizeof(xml_path), "%s/%s.xml", dir, vm->req.name) >=
		    (int)sizeof(xml_path)) {
			vmp_error_set("cannot back up domain '%s' into '%s': path too long",
				      vm->req.name, dir);
			err = VMP_ESYS;
			goto out;
		}
		/* A new generation each time (<name>.xml.bak, .bak.1, ...): the definition from
		 * before vmplan is never overwritten, and no link is followed. */
		if ((err = vmp_file_backup(res->backup, sizeof(res->backup), xml_path, old,
					   strlen(old))) < 0)
			goto out;
	}
	/* libvirt replaces a definition only once the new one is accepted whole. */
	if (!(def = virDomainDefineXMLFlags(conn, xml, VIR_DOMAIN_DEFINE_VALIDATE))) {
		vmp_error_set("libvirt refuses the definition of '%s': %s", vm->req.name,
			      vmp_libvirt_last_error());
		err = VMP_ESYS;
		goto out;
	}
	virDomainFree(def);
	settled = true;
	pinned = res->pins != NULL;
	err = pinned ? pin_live(res, dom, vm) : VMP_OK;
out:
	/* A definition that failed is no "updated" or "created": nothing of the VM changed. */
	if (err < 0 && !settled)
		res->action = VMP_DEFINE_SKIPPED;
	/* A VM that failed before its pins were tried lists none: none were refused. */
	if (err < 0 && !pinned) {
		free(res->pins);
		res->pins = NULL;
		res->npins = 0;
	}
	if (dom)
		virDomainFree(dom);
	free(old);
	free(xml);
	return err;
}

int vmp_define_plan(vmp_define_result **out, const vmp_plan *plan, const char *uri,
		    const vmp_define_opts *opts)
{
	static const vmp_define_opts defaults = {0};
	vmp_define_result *res;
	virConnectPtr conn;
	guest_kind kind;
	bool kind_known = false;
	int err = VMP_OK;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!(res = calloc((size_t)(plan->nvms ? plan->nvms : 1), sizeof(*res)))) {
		vmp_error_set("cannot define the plan: out of memory");
		return VMP_ENOMEM;
	}
	if ((err = vmp_libvirt_open(&conn, uri, VMP_CONN_WRITE)) < 0) {
		free(res);
		return err;
	}
	for (int i = 0; i < plan->nvms; i++) {
		snprintf(res[i].name, sizeof(res[i].name), "%s", plan->vms[i].req.name);
		if (!plan->vms[i].placed)
			continue;
		if ((err = define_one(&res[i], conn, &plan->vms[i], opts, &kind, &kind_known)) < 0)
			break;
	}
	virConnectClose(conn);
	*out = res;
	return err;
}

void vmp_define_results_free(vmp_define_result *results, int n)
{
	if (!results)
		return;
	for (int i = 0; i < n; i++) {
		free(results[i].diff);
		free(results[i].pins);
	}
	free(results);
}
