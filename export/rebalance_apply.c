/* Applying rebalance steps through libvirt: live re-pins and migrations, in order. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "internal.h"
#include "libvirt_internal.h"
#include "vmplan/cpuset.h"
#include "vmplan/error.h"
#include "vmplan/rebalance_apply.h"

#define SET_TEXT_MAX                                                                               \
	16384 /* a cpuset of VMP_CPUSET_MAX CPUs in libvirt's syntax, every other one */

/* What one libvirt call of a re-pin does. */
typedef enum call_kind { CALL_VCPU, CALL_EMULATOR, CALL_IOTHREAD, CALL_NUMA } call_kind;

typedef struct call {
	call_kind kind;
	unsigned id;     /* the vCPU or I/O thread */
	vmp_cpuset cpus; /* the CPUs, or (CALL_NUMA) the nodes */
} call;

/* A step being applied: where, what, and how to tell. */
typedef struct applier {
	int step;
	const vmp_apply_step *st;
	bool dry;
	vmp_apply_say say;
	void *arg;
} applier;

static void tell(const applier *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tell(const applier *a, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!a->say)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	a->say(a->arg, a->step, line);
}

static const char *call_name(call_kind k)
{
	static const char *const names[] = {"virDomainPinVcpuFlags", "virDomainPinEmulator",
					    "virDomainPinIOThread", "virDomainSetNumaParameters"};
	return names[k];
}

/* One call with flags; 0 or -1 (libvirt's error set). */
static int call_flags(virDomainPtr dom, const call *c, unsigned flags)
{
	unsigned char map[VMP_CPUSET_MAX / 8];
	int cpu, last = -1, maplen, rc;

	if (c->kind == CALL_NUMA) {
		virTypedParameterPtr params = NULL;
		int nparams = 0, maxparams = 0;
		char nodes[SET_TEXT_MAX];

		vmp_cpuset_format(nodes, sizeof(nodes), &c->cpus);
		if (virTypedParamsAddString(&params, &nparams, &maxparams, VIR_DOMAIN_NUMA_NODESET,
					    nodes) < 0)
			return -1;
		rc = virDomainSetNumaParameters(dom, params, nparams, flags);
		virTypedParamsFree(params, nparams);
		return rc;
	}
	memset(map, 0, sizeof(map));
	VMP_CPUSET_FOREACH (cpu, &c->cpus) {
		VIR_USE_CPU(map, cpu);
		last = cpu;
	}
	maplen = VIR_CPU_MAPLEN(last + 1);
	if (c->kind == CALL_VCPU)
		return virDomainPinVcpuFlags(dom, c->id, map, maplen, flags);
	if (c->kind == CALL_EMULATOR)
		return virDomainPinEmulator(dom, map, maplen, flags);
	return virDomainPinIOThread(dom, c->id, map, maplen, flags);
}

static bool refused_flags(void)
{
	return virGetLastErrorCode() == VIR_ERR_INVALID_ARG;
}

/* The call with LIVE|CONFIG (running) or CONFIG; one at a time where the driver takes them only
 * so; the current state where it takes neither. *how says which. 0 or -1. */
static int call_affect(virDomainPtr dom, const call *c, bool active, const char **how)
{
	unsigned both = VIR_DOMAIN_AFFECT_CONFIG | (active ? VIR_DOMAIN_AFFECT_LIVE : 0);

	*how = active ? "LIVE|CONFIG" : "CONFIG";
	if (call_flags(dom, c, both) == 0)
		return 0;
	if (!refused_flags())
		return -1;
	if (active) {
		*how = "LIVE, then CONFIG";
		if (call_flags(dom, c, VIR_DOMAIN_AFFECT_LIVE) == 0 &&
		    call_flags(dom, c, VIR_DOMAIN_AFFECT_CONFIG) == 0)
			return 0;
		if (!refused_flags())
			return -1;
	}
	*how = "CURRENT (the driver takes neither LIVE nor CONFIG)";
	return call_flags(dom, c, VIR_DOMAIN_AFFECT_CURRENT);
}

/* The domain's I/O thread ids (none where the driver cannot list them); n gets the count. */
static unsigned *iothread_ids(virDomainPtr dom, bool active, int *n)
{
	virDomainIOThreadInfoPtr *info = NULL;
	int count = virDomainGetIOThreadInfo(
	    dom, &info, active ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG);
	unsigned *ids = count > 0 ? calloc((size_t)count, sizeof(*ids)) : NULL;

	*n = ids ? count : 0;
	for (int i = 0; i < count; i++) {
		if (ids)
			ids[i] = info[i]->iothread_id;
		virDomainIOThreadInfoFree(info[i]);
	}
	free(info);
	return ids;
}

/* The calls of a re-pin for a domain of nvcpus vCPUs and the I/O threads ios; *n their count. */
static call *repin_calls(int *n, const vmp_plan_vm *vm, unsigned nvcpus, const unsigned *ios,
			 int nio)
{
	call *calls = calloc((size_t)nvcpus + (size_t)nio + 2, sizeof(*calls));
	vmp_cpuset emu;
	int k = 0;

	*n = 0;
	if (!calls)
		return NULL;
	/* The memory first: the call libvirt refuses most (a running domain's nodeset changes
	 * only in restrictive mode), and when it does, the step has changed nothing. */
	if (vm->ncells) {
		calls[k] = (call){.kind = CALL_NUMA};
		vmp_vm_nodes(&calls[k++].cpus, vm);
	}
	for (unsigned i = 0; i < nvcpus; i++) {
		calls[k] = (call){.kind = CALL_VCPU, .id = i};
		vmp_libvirt_host_vcpu_pin(&calls[k++].cpus, vm, i);
	}
	vmp_libvirt_host_emulator_pin(&emu, vm, nvcpus);
	if (!vmp_cpuset_empty(&emu))
		calls[k++] = (call){.kind = CALL_EMULATOR, .cpus = emu};
	for (int i = 0; i < nio; i++) {
		const vmp_cpuset *cpus = i < vm->niothreads ? &vm->iothreadpin[i] : &emu;
		if (!vmp_cpuset_empty(cpus))
			calls[k++] = (call){.kind = CALL_IOTHREAD, .id = ios[i], .cpus = *cpus};
	}
	*n = k;
	return calls;
}

/* Whether the domain's memory nodeset (live where it runs) is already nodes. */
static bool nodeset_is(virDomainPtr dom, bool active, const vmp_cpuset *nodes)
{
	virTypedParameterPtr params = NULL;
	int nparams = 0;
	const char *text = NULL;
	unsigned flags = active ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG;
	vmp_cpuset cur;
	bool same = false;

	if (virDomainGetNumaParameters(dom, NULL, &nparams, flags) < 0 || nparams <= 0 ||
	    !(params = calloc((size_t)nparams, sizeof(*params))))
		return false;
	if (virDomainGetNumaParameters(dom, params, &nparams, flags) == 0 &&
	    virTypedParamsGetString(params, nparams, VIR_DOMAIN_NUMA_NODESET, &text) == 1 && text &&
	    *text && vmp_cpuset_parse(&cur, text) == VMP_OK)
		same = vmp_cpuset_equal(&cur, nodes);
	virTypedParamsFree(params, nparams);
	return same;
}

/* One call said and (not dry) made; VMP_OK or VMP_ESYS. */
static int run_call(const applier *a, virDomainPtr dom, const call *c, bool active)
{
	char set[SET_TEXT_MAX], target[64] = "";
	const char *how = active ? "LIVE|CONFIG" : "CONFIG";

	vmp_cpuset_format(set, sizeof(set), &c->cpus);
	if (c->kind == CALL_NUMA && nodeset_is(dom, active, &c->cpus)) {
		tell(a, "memory nodeset of %s already %s: no call", a->st->domain, set);
		return VMP_OK;
	}
	if (c->kind == CALL_VCPU)
		snprintf(target, sizeof(target), "vcpu %u, ", c->id);
	else if (c->kind == CALL_IOTHREAD)
		snprintf(target, sizeof(target), "iothread %u, ", c->id);
	if (!a->dry && call_affect(dom, c, active, &how) < 0) {
		vmp_error_set("%s(%s, %s%s%s) failed: %s", call_name(c->kind), a->st->domain,
			      target, c->kind == CALL_NUMA ? "nodeset " : "cpus ", set,
			      vmp_libvirt_last_error());
		return VMP_ESYS;
	}
	tell(a, "%s%s(%s, %s%s%s, %s)", a->dry ? "would call " : "", call_name(c->kind),
	     a->st->domain, target, c->kind == CALL_NUMA ? "nodeset " : "cpus ", set, how);
	return VMP_OK;
}

/* The step's domain on conn; VMP_ENOTFOUND (message set) where it is not there. */
static int lookup(virDomainPtr *out, virConnectPtr conn, const char *name, const char *uri)
{
	if (!(*out = virDomainLookupByName(conn, name))) {
		vmp_error_set("no domain '%s' on '%s': %s", name, uri, vmp_libvirt_last_error());
		return VMP_ENOTFOUND;
	}
	return VMP_OK;
}

/* A guest of several cells: libvirt has no call for the per-cell memory nodes (memnode), so
 * the persistent definition gets them through the migration XML's merge, redefined. */
static int redefine_cells(const applier *a, virConnectPtr conn, virDomainPtr dom)
{
	char *xml = NULL, *merged = NULL, what[VMP_NAME_MAX + 16];
	virDomainPtr defined;
	int err;

	if (a->st->vm->ncells < 2 || virDomainIsPersistent(dom) != 1)
		return VMP_OK;
	if (a->dry) {
		tell(a,
		     "would call virDomainDefineXML(%s, its definition with a memnode per guest "
		     "cell)",
		     a->st->domain);
		return VMP_OK;
	}
	snprintf(what, sizeof(what), "domain '%s'", a->st->domain);
	if (!(xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE))) {
		vmp_error_set("cannot read the definition of %s: %s", what,
			      vmp_libvirt_last_error());
		return VMP_ESYS;
	}
	if ((err = vmp_export_libvirt_merge_tuning(&merged, NULL, xml, what, a->st->vm)) < 0)
		goto out;
	if (!(defined = virDomainDefineXML(conn, merged))) {
		vmp_error_set("virDomainDefineXML(%s) failed: %s", a->st->domain,
			      vmp_libvirt_last_error());
		err = VMP_ESYS;
		goto out;
	}
	virDomainFree(defined);
	tell(a, "virDomainDefineXML(%s, its definition with a memnode per guest cell)",
	     a->st->domain);
out:
	free(xml);
	free(merged);
	return err;
}

static int apply_repin(const applier *a)
{
	const vmp_apply_step *st = a->st;
	virConnectPtr conn = NULL;
	virDomainPtr dom = NULL;
	unsigned *ios = NULL;
	call *calls = NULL;
	int err, nvcpus, nio = 0, ncalls = 0, active;

	if ((err = vmp_libvirt_open(&conn, st->uri,
				    a->dry ? VMP_CONN_READ_FIRST : VMP_CONN_WRITE)) < 0 ||
	    (err = lookup(&dom, conn, st->domain, st->uri)) < 0)
		goto out;
	err = VMP_ESYS;
	if ((active = virDomainIsActive(dom)) < 0 ||
	    (nvcpus = virDomainGetVcpusFlags(
		 dom, VIR_DOMAIN_VCPU_MAXIMUM |
			  (active ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG))) <= 0) {
		vmp_error_set("cannot read the state of domain '%s' on '%s': %s", st->domain,
			      st->uri, vmp_libvirt_last_error());
		goto out;
	}
	ios = iothread_ids(dom, active, &nio);
	if (!(calls = repin_calls(&ncalls, st->vm, (unsigned)nvcpus, ios, nio))) {
		vmp_error_set("cannot re-pin domain '%s': out of memory", st->domain);
		err = VMP_ENOMEM;
		goto out;
	}
	err = VMP_OK;
	for (int i = 0; i < ncalls && err == VMP_OK; i++)
		err = run_call(a, dom, &calls[i], active);
	/* Last: where a call above is refused, the definition stays as it was. */
	if (err == VMP_OK)
		err = redefine_cells(a, conn, dom);
out:
	free(calls);
	free(ios);
	if (dom)
		virDomainFree(dom);
	if (conn)
		virConnectClose(conn);
	return err;
}

static int apply_migrate(const applier *a)
{
	const vmp_apply_step *st = a->st;
	virConnectPtr conn = NULL, dconn = NULL;
	virDomainPtr dom = NULL, moved = NULL;
	virTypedParameterPtr params = NULL;
	int nparams = 0, maxparams = 0, err, active;
	unsigned flags = VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE;

	if ((err = vmp_libvirt_open(&conn, st->uri,
				    a->dry ? VMP_CONN_READ_FIRST : VMP_CONN_WRITE)) < 0 ||
	    (err = lookup(&dom, conn, st->domain, st->uri)) < 0)
		goto out;
	err = VMP_ESYS;
	if ((active = virDomainIsActive(dom)) < 0) {
		vmp_error_set("cannot read the state of domain '%s' on '%s': %s", st->domain,
			      st->uri, vmp_libvirt_last_error());
		goto out;
	}
	flags |= active ? VIR_MIGRATE_LIVE : VIR_MIGRATE_OFFLINE;
	if (a->dry) {
		/* The destination must answer too. */
		if ((err = vmp_libvirt_open(&dconn, st->dest_uri, VMP_CONN_READ_FIRST)) < 0)
			goto out;
		tell(a, "would call virDomainMigrate3(%s, to %s, DEST_XML (%zu bytes), %s)",
		     st->domain, st->dest_uri, strlen(st->dest_xml),
		     active ? "LIVE|PERSIST_DEST|UNDEFINE_SOURCE"
			    : "OFFLINE|PERSIST_DEST|UNDEFINE_SOURCE");
		err = VMP_OK;
		goto out;
	}
	if ((err = vmp_libvirt_open(&dconn, st->dest_uri, VMP_CONN_WRITE)) < 0)
		goto out;
	err = VMP_ESYS;
	if (virTypedParamsAddString(&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_DEST_XML,
				    st->dest_xml) < 0 ||
	    !(moved = virDomainMigrate3(dom, dconn, params, (unsigned)nparams, flags))) {
		vmp_error_set("virDomainMigrate3(%s, from %s to %s) failed: %s", st->domain,
			      st->uri, st->dest_uri, vmp_libvirt_last_error());
		goto out;
	}
	tell(a, "virDomainMigrate3(%s, to %s, DEST_XML, %s)", st->domain, st->dest_uri,
	     active ? "LIVE|PERSIST_DEST|UNDEFINE_SOURCE" : "OFFLINE|PERSIST_DEST|UNDEFINE_SOURCE");
	err = VMP_OK;
out:
	virTypedParamsFree(params, nparams);
	if (moved)
		virDomainFree(moved);
	if (dom)
		virDomainFree(dom);
	if (dconn)
		virConnectClose(dconn);
	if (conn)
		virConnectClose(conn);
	return err;
}

/* The earlier step that brings the domain of step i to its host, or -1. */
static int arrives_by(const vmp_apply_step *steps, int i)
{
	for (int k = i - 1; k >= 0; k--)
		if (steps[k].kind == VMP_APPLY_MIGRATE && !strcmp(steps[k].domain, steps[i].domain))
			return k;
	return -1;
}

/* A step's fields; VMP_EINVAL (message set) where one is missing. */
static int check_step(const vmp_apply_step *st, int i)
{
	if (!st->domain || !st->uri || !*st->uri || !st->vm || !st->vm->placed ||
	    !st->vm->req.vcpus ||
	    (st->kind == VMP_APPLY_MIGRATE && (!st->dest_uri || !*st->dest_uri || !st->dest_xml))) {
		vmp_error_set("step %d cannot be applied: it names no domain, libvirt URI, placed "
			      "plan or (a migration) destination URI and XML",
			      i + 1);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* Run (or, dry, tell) steps in order; *applied counts those done. */
static int run_steps(int *failed, int *applied, const vmp_apply_step *steps, int n, bool dry,
		     vmp_apply_say say, void *arg)
{
	for (int i = 0; i < n; i++) {
		applier a = {.step = i, .st = &steps[i], .dry = dry, .say = say, .arg = arg};
		int k = arrives_by(steps, i), err;

		if (dry && k >= 0) {
			/* Not there yet: the domain's state is what step k leaves. */
			tell(&a, "would re-read domain '%s' on %s after step %d and %s it",
			     steps[i].domain, steps[i].uri, k + 1,
			     steps[i].kind == VMP_APPLY_MIGRATE ? "migrate" : "re-pin");
			continue;
		}
		err = steps[i].kind == VMP_APPLY_MIGRATE ? apply_migrate(&a) : apply_repin(&a);
		if (err < 0) {
			*failed = i;
			return err;
		}
		*applied += !dry;
	}
	return VMP_OK;
}

int vmp_rebalance_apply(int *failed, int *applied, const vmp_apply_step *steps, int n, bool dry,
			vmp_apply_say say, void *arg)
{
	int err;

	*failed = -1;
	*applied = 0;
	for (int i = 0; i < n; i++)
		if ((err = check_step(&steps[i], i)) < 0) {
			*failed = i;
			return err;
		}
	/* A dry run first, told to no one: every host answers and every domain is where the step
	 * needs it before anything changes. */
	if (!dry && (err = run_steps(failed, applied, steps, n, true, NULL, NULL)) < 0)
		return err;
	return run_steps(failed, applied, steps, n, dry, say, arg);
}
