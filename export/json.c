/* plan.json: the plan as data for other tools, written and read back losslessly. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/spec.h"

static const char *const thread_names[] = {"prefer", "isolate", "require", NULL};
static const char *const emulator_names[] = {"share", "isolate", NULL};
static const char *const cpu_names[] = {"dedicated", "shared", NULL};
static const char *const mem_mode_names[] = {"strict", "interleave", "preferred", "restrictive",
					     NULL};
/* vmp_bind, as plan.json's refused_by names it. */
static const char *const bind_keys[] = {
    [VMP_BIND_NONE] = "none",
    [VMP_BIND_CORES] = "cores",
    [VMP_BIND_MEMORY] = "memory",
    [VMP_BIND_HUGEPAGES] = "hugepages",
    [VMP_BIND_NODE_FIT] = "node_fit",
    [VMP_BIND_NUMA] = "numa",
    [VMP_BIND_CACHE] = "cache",
    [VMP_BIND_CLOSIDS] = "closids",
    [VMP_BIND_MEMBW] = "membw",
    [VMP_BIND_HOUSEKEEPING] = "housekeeping",
    [VMP_BIND_SHARED_POOL] = "shared_pool",
    [VMP_BIND_SHAPE] = "shape",
    [VMP_BIND_OTHER] = "other",
    NULL,
};
static const char *const iothread_names[] = {"housekeeping", "near-device", NULL};
static const char *const sched_names[] = {"none", "fifo", "rr", "batch", "idle", NULL};
static const char *const cache_names[] = {"none", "passthrough", "emulate", "disable", NULL};
static const char *const access_names[] = {"default", "shared", "private", NULL};
static const char *const source_names[] = {"default", "anonymous", "file", "memfd", NULL};
static const char *const allocation_names[] = {"default", "immediate", "ondemand", NULL};

const char *vmp_mem_mode_name(vmp_mem_mode mode)
{
	return (unsigned)mode < 4 ? mem_mode_names[mode] : "strict";
}

const char *vmp_sched_name(vmp_sched sched)
{
	return (unsigned)sched < 5 ? sched_names[sched] : "none";
}

static json_t *cpuset_json(const vmp_cpuset *set)
{
	char buf[8192];

	vmp_cpuset_format(buf, sizeof(buf), set);
	return json_string(buf);
}

static json_t *u64_json(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *request_json(const vmp_vm_request *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "profile", json_string(r->profile));
	json_object_set_new(o, "vcpus", json_integer(r->vcpus));
	json_object_set_new(o, "memory_bytes", u64_json(r->memory_bytes));
	json_object_set_new(o, "cpu", json_string(cpu_names[r->cpu]));
	json_object_set_new(o, "threads", json_string(thread_names[r->threads]));
	json_object_set_new(o, "emulator", json_string(emulator_names[r->emulator]));
	json_object_set_new(o, "numa_cells", json_integer(r->numa_cells));
	json_object_set_new(o, "mem_mode", json_string(mem_mode_names[r->mem_mode]));
	json_object_set_new(o, "hugepage_bytes", u64_json(r->hugepage_bytes));
	json_object_set_new(o, "mem_locked", json_boolean(r->mem_locked));
	json_object_set_new(o, "nosharepages", json_boolean(r->nosharepages));
	json_object_set_new(o, "hard_limit_bytes", u64_json(r->hard_limit_bytes));
	json_object_set_new(o, "soft_limit_bytes", u64_json(r->soft_limit_bytes));
	json_object_set_new(o, "swap_hard_limit_bytes", u64_json(r->swap_hard_limit_bytes));
	json_object_set_new(o, "min_guarantee_bytes", u64_json(r->min_guarantee_bytes));
	json_object_set_new(o, "iothreads", json_integer(r->iothreads));
	json_object_set_new(o, "iothread_policy", json_string(iothread_names[r->iothread_policy]));
	json_object_set_new(o, "device", json_string(r->device));
	json_object_set_new(o, "cache_bytes", u64_json(r->cache_bytes));
	json_object_set_new(o, "membw_percent", json_integer(r->membw_percent));
	json_object_set_new(o, "membw_mbps", u64_json(r->membw_mbps));
	json_object_set_new(o, "vcpu_sched", json_string(sched_names[r->vcpu_sched]));
	json_object_set_new(o, "vcpu_priority", json_integer(r->vcpu_priority));
	json_object_set_new(o, "shares", json_integer(r->shares));
	json_object_set_new(o, "period_us", u64_json(r->period_us));
	json_object_set_new(o, "quota_us", json_integer(r->quota_us));
	json_object_set_new(o, "priority", json_integer(r->priority));
	json_object_set_new(o, "efi", json_boolean(r->efi));
	json_object_set_new(o, "secure_boot", json_boolean(r->secure_boot));
	json_object_set_new(o, "loader", json_string(r->loader));
	json_object_set_new(o, "nvram", json_string(r->nvram));
	json_object_set_new(o, "cpu_cache", json_string(cache_names[r->cpu_cache]));
	json_object_set_new(o, "mem_access", json_string(access_names[r->mem_access]));
	json_object_set_new(o, "mem_source", json_string(source_names[r->mem_source]));
	json_object_set_new(o, "mem_allocation", json_string(allocation_names[r->mem_allocation]));
	json_object_set_new(o, "mem_discard", json_boolean(r->mem_discard));
	json_object_set_new(o, "emulator_sched", json_string(sched_names[r->emulator_sched]));
	json_object_set_new(o, "iothread_sched", json_string(sched_names[r->iothread_sched]));
	json_object_set_new(o, "global_period_us", u64_json(r->global_period_us));
	json_object_set_new(o, "global_quota_us", json_integer(r->global_quota_us));
	json_object_set_new(o, "emulator_period_us", u64_json(r->emulator_period_us));
	json_object_set_new(o, "emulator_quota_us", json_integer(r->emulator_quota_us));
	json_object_set_new(o, "iothread_period_us", u64_json(r->iothread_period_us));
	json_object_set_new(o, "iothread_quota_us", json_integer(r->iothread_quota_us));
	return o;
}

static json_t *vm_json(const vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;
	json_t *o = json_object(), *a;
	char mask[32];

	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "placed", json_boolean(vm->placed));
	json_object_set_new(o, "reason", vm->placed ? json_null() : json_string(vm->reason));
	json_object_set_new(o, "refused_by", vm->placed ? json_null()
							: json_string(bind_keys[vm->bind]));
	json_object_set_new(o, "vcpus", json_integer(r->vcpus));
	json_object_set_new(o, "memory_bytes", u64_json(r->memory_bytes));
	json_object_set_new(o, "threads", json_string(thread_names[r->threads]));
	json_object_set_new(o, "emulator", json_string(emulator_names[r->emulator]));
	json_object_set_new(o, "cpu", json_string(cpu_names[r->cpu]));
	json_object_set_new(o, "request", request_json(r));
	json_object_set_new(o, "explain", vm->explain ? json_string(vm->explain) : json_null());
	if (!vm->placed) {
		json_object_set_new(o, "score", json_real(vm->score));
		return o;
	}

	a = json_array();
	for (unsigned i = 0; i < r->vcpus; i++)
		json_array_append_new(a, json_integer(vm->vcpupin[i]));
	json_object_set_new(o, "vcpupin", a);
	json_object_set_new(o, "pcpus", cpuset_json(&vm->pcpus));
	json_object_set_new(o, "emulatorpin", cpuset_json(&vm->emulatorpin));
	a = json_array();
	for (int i = 0; i < vm->niothreads; i++)
		json_array_append_new(a, json_pack("{s:i, s:o}", "id", i + 1, "cpuset",
						   cpuset_json(&vm->iothreadpin[i])));
	json_object_set_new(o, "iothreadpin", a);

	a = json_array();
	for (int i = 0; i < vm->ncells; i++) {
		const vmp_plan_cell *c = &vm->cells[i];
		vmp_cpuset host_cpus = {0};
		int v;
		VMP_CPUSET_FOREACH (v, &c->vcpus) {
			if ((unsigned)v < r->vcpus && vm->vcpupin[v] >= 0)
				vmp_cpuset_set(&host_cpus, vm->vcpupin[v]);
		}
		json_t *dist = json_array();
		for (int j = 0; c->distances[i] && j < vm->ncells; j++)
			json_array_append_new(dist, json_integer(c->distances[j]));
		json_array_append_new(
		    a, json_pack("{s:i, s:i, s:o, s:o, s:I, s:o}", "id", i, "host_node", c->host_node,
				 "vcpus", cpuset_json(&c->vcpus), "cpus", cpuset_json(&host_cpus),
				 "memory_bytes", (json_int_t)c->memory_bytes, "distances", dist));
	}
	json_object_set_new(o, "cells", a);
	json_object_set_new(o, "topology",
			    json_pack("{s:i, s:i, s:i, s:i}", "sockets", vm->sockets, "dies",
				      vm->dies, "cores", vm->cores, "threads", vm->threads));
	json_object_set_new(o, "hugepages",
			    r->hugepage_bytes
				? json_pack("{s:I}", "page_bytes", (json_int_t)r->hugepage_bytes)
				: json_null());
	a = json_array();
	for (int i = 0; i < vm->ncachetune; i++) {
		const vmp_plan_cachetune *c = &vm->cachetune[i];
		snprintf(mask, sizeof(mask), "0x%" PRIx64, c->ways_mask);
		json_array_append_new(a, json_pack("{s:i, s:i, s:s, s:s, s:I}", "level", c->level,
						   "cache_id", c->cache_id, "type", c->type,
						   "ways_mask", mask, "size_bytes",
						   (json_int_t)c->size_bytes));
	}
	json_object_set_new(o, "cachetune", a);
	a = json_array();
	for (int i = 0; i < vm->nmemorytune; i++)
		json_array_append_new(a, json_pack("{s:i, s:I}", "node_id",
						   vm->memorytune[i].node_id, "bandwidth",
						   (json_int_t)vm->memorytune[i].bandwidth));
	json_object_set_new(o, "memorytune", a);
	json_object_set_new(o, "score", json_real(vm->score));
	return o;
}

int vmp_plan_to_json(char **out, const vmp_plan *plan)
{
	json_t *root = json_object(), *vms = json_array();

	*out = NULL;
	json_object_set_new(root, "schema", json_integer(plan->schema));
	json_object_set_new(root, "host", json_string(plan->host));
	json_object_set_new(root, "hostname", json_string(plan->hostname));
	for (int i = 0; i < plan->nvms; i++)
		json_array_append_new(vms, vm_json(&plan->vms[i]));
	json_object_set_new(root, "vms", vms);
	*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	json_decref(root);
	if (!*out) {
		vmp_error_set("cannot serialise plan: out of memory");
		return VMP_ENOMEM;
	}
	return VMP_OK;
}

static int export_json(char **out, size_t *len, const vmp_plan *plan, int vm,
		       const vmp_export_opts *opts)
{
	int err;

	(void)vm;
	(void)opts;
	if ((err = vmp_plan_to_json(out, plan)) < 0)
		return err;
	if (len)
		*len = strlen(*out);
	return VMP_OK;
}

const vmp_exporter vmp_exporter_json = {
    .name = "json",
    .ext = ".json",
    .per_vm = false,
    .file = "plan.json",
    .fn = export_json,
};

/* Loading. Every error names the file and the field, e.g. "vms[1].vcpupin[3]". */

typedef struct loader {
	const char *file;
	char where[192]; /* the object being read: "vms[1]", "vms[1].request" */
} loader;

/* dst reads the object at l's, then the suffix ("%s.cells[%zu]" without the "%s"). */
__attribute__((format(printf, 3, 4))) static void at(loader *dst, const loader *l, const char *fmt,
						     ...)
{
	char sfx[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sfx, sizeof(sfx), fmt, ap);
	va_end(ap);
	dst->file = l->file;
	snprintf(dst->where, sizeof(dst->where), "%.120s%s", l->where, sfx);
}

__attribute__((format(printf, 3, 4))) static int bad(const loader *l, const char *field,
						     const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* A problem with the whole document names no field: no empty "where: ". */
	vmp_error_set("cannot load plan '%s': %s%s%s%s%s", l->file, l->where,
		      *l->where && *field ? "." : "", field, *l->where || *field ? ": " : "", why);
	return VMP_EINVAL;
}

static json_t *need(const loader *l, json_t *obj, const char *key, int *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		*err = bad(l, key, "missing");
	return v;
}

static int get_int(const loader *l, json_t *obj, const char *key, int64_t min, int64_t max,
		   int64_t *out)
{
	int err = 0;
	json_t *v = need(l, obj, key, &err);

	if (!v)
		return err;
	if (!json_is_integer(v))
		return bad(l, key, "expected an integer");
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return bad(l, key,
			   "%" JSON_INTEGER_FORMAT " is out of range [%" PRId64 ", %" PRId64 "]",
			   json_integer_value(v), min, max);
	*out = json_integer_value(v);
	return VMP_OK;
}

#define GET_INT(l, obj, key, min, max, dst)                                                        \
	do {                                                                                       \
		int64_t v_;                                                                        \
		if ((err = get_int(l, obj, key, min, max, &v_)) < 0)                               \
			return err;                                                                \
		dst = v_;                                                                          \
	} while (0)

static int get_bool(const loader *l, json_t *obj, const char *key, bool *out)
{
	int err = 0;
	json_t *v = need(l, obj, key, &err);

	if (!v)
		return err;
	if (!json_is_boolean(v))
		return bad(l, key, "expected true or false");
	*out = json_is_true(v);
	return VMP_OK;
}

static int get_str(const loader *l, json_t *obj, const char *key, char *buf, size_t size)
{
	int err = 0;
	json_t *v = need(l, obj, key, &err);

	if (!v)
		return err;
	if (!json_is_string(v))
		return bad(l, key, "expected a string");
	if (json_string_length(v) >= size)
		return bad(l, key, "longer than %zu bytes", size - 1);
	snprintf(buf, size, "%s", json_string_value(v));
	return VMP_OK;
}

static int get_enum(const loader *l, json_t *obj, const char *key, const char *const *names,
		    int *out)
{
	char buf[64], list[256] = "";
	int err;

	if ((err = get_str(l, obj, key, buf, sizeof(buf))) < 0)
		return err;
	for (int i = 0; names[i]; i++) {
		if (!strcmp(buf, names[i])) {
			*out = i;
			return VMP_OK;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 names[i]);
	}
	return bad(l, key, "unknown value '%s' (expected one of %s)", buf, list);
}

#define GET_ENUM(l, obj, key, names, dst)                                                          \
	do {                                                                                       \
		int e_;                                                                            \
		if ((err = get_enum(l, obj, key, names, &e_)) < 0)                                 \
			return err;                                                                \
		dst = e_;                                                                          \
	} while (0)

static int get_cpuset(const loader *l, json_t *obj, const char *key, vmp_cpuset *out,
		      bool may_be_empty)
{
	char buf[8192];
	int err;

	if ((err = get_str(l, obj, key, buf, sizeof(buf))) < 0)
		return err;
	if (!*buf && may_be_empty) {
		vmp_cpuset_zero(out);
		return VMP_OK;
	}
	if (vmp_cpuset_parse(out, buf) < 0)
		return bad(l, key, "%s", vmp_error_last());
	return VMP_OK;
}

static int load_request(const loader *outer, json_t *o, vmp_vm_request *r)
{
	loader l = *outer;
	int err;

	at(&l, outer, ".request");
	if (!json_is_object(o))
		return bad(outer, "request", "expected an object");
	if ((err = get_str(&l, o, "name", r->name, sizeof(r->name))) < 0 ||
	    (err = get_str(&l, o, "profile", r->profile, sizeof(r->profile))) < 0 ||
	    (err = get_str(&l, o, "device", r->device, sizeof(r->device))) < 0)
		return err;
	if (!*r->name)
		return bad(&l, "name", "the name is empty");
	/* The name becomes a file name (--out-dir, --xml-dir, backups) and a libvirt name. */
	if (vmp_spec_check_name(r->name) < 0) {
		char why[VMP_NAME_MAX + 128];
		snprintf(why, sizeof(why), "%s", vmp_error_last());
		return bad(&l, "name", "%s", why);
	}
	GET_INT(&l, o, "vcpus", 1, VMP_MAX_VCPUS, r->vcpus);
	GET_INT(&l, o, "memory_bytes", 1, INT64_MAX, r->memory_bytes);
	GET_ENUM(&l, o, "cpu", cpu_names, r->cpu);
	GET_ENUM(&l, o, "threads", thread_names, r->threads);
	GET_ENUM(&l, o, "emulator", emulator_names, r->emulator);
	GET_INT(&l, o, "numa_cells", 0, VMP_MAX_CELLS, r->numa_cells);
	GET_ENUM(&l, o, "mem_mode", mem_mode_names, r->mem_mode);
	GET_INT(&l, o, "hugepage_bytes", 0, INT64_MAX, r->hugepage_bytes);
	if ((err = get_bool(&l, o, "mem_locked", &r->mem_locked)) < 0 ||
	    (err = get_bool(&l, o, "nosharepages", &r->nosharepages)) < 0 ||
	    (err = get_bool(&l, o, "efi", &r->efi)) < 0 ||
	    (err = get_bool(&l, o, "secure_boot", &r->secure_boot)) < 0)
		return err;
	GET_INT(&l, o, "hard_limit_bytes", 0, INT64_MAX, r->hard_limit_bytes);
	GET_INT(&l, o, "soft_limit_bytes", 0, INT64_MAX, r->soft_limit_bytes);
	GET_INT(&l, o, "swap_hard_limit_bytes", 0, INT64_MAX, r->swap_hard_limit_bytes);
	GET_INT(&l, o, "min_guarantee_bytes", 0, INT64_MAX, r->min_guarantee_bytes);
	if (r->min_guarantee_bytes)
		return bad(&l, "min_guarantee_bytes",
			   "must be 0: libvirt's QEMU/KVM driver refuses min_guarantee");
	GET_INT(&l, o, "iothreads", 0, VMP_MAX_IOTHREADS, r->iothreads);
	GET_ENUM(&l, o, "iothread_policy", iothread_names, r->iothread_policy);
	GET_INT(&l, o, "cache_bytes", 0, INT64_MAX, r->cache_bytes);
	GET_INT(&l, o, "membw_percent", 0, 100, r->membw_percent);
	GET_INT(&l, o, "membw_mbps", 0, INT64_MAX, r->membw_mbps);
	GET_ENUM(&l, o, "vcpu_sched", sched_names, r->vcpu_sched);
	GET_INT(&l, o, "vcpu_priority", 0, 99, r->vcpu_priority);
	GET_INT(&l, o, "shares", 0, 262144, r->shares);
	GET_INT(&l, o, "period_us", 0, 1000000, r->period_us);
	GET_INT(&l, o, "quota_us", -1, 17592186044415LL, r->quota_us);
	GET_INT(&l, o, "priority", INT32_MIN, INT32_MAX, r->priority);
	if ((err = get_str(&l, o, "loader", r->loader, sizeof(r->loader))) < 0 ||
	    (err = get_str(&l, o, "nvram", r->nvram, sizeof(r->nvram))) < 0 ||
	    (err = get_bool(&l, o, "mem_discard", &r->mem_discard)) < 0)
		return err;
	GET_ENUM(&l, o, "cpu_cache", cache_names, r->cpu_cache);
	GET_ENUM(&l, o, "mem_access", access_names, r->mem_access);
	GET_ENUM(&l, o, "mem_source", source_names, r->mem_source);
	GET_ENUM(&l, o, "mem_allocation", allocation_names, r->mem_allocation);
	GET_ENUM(&l, o, "emulator_sched", sched_names, r->emulator_sched);
	GET_ENUM(&l, o, "iothread_sched", sched_names, r->iothread_sched);
	GET_INT(&l, o, "global_period_us", 0, 1000000, r->global_period_us);
	GET_INT(&l, o, "global_quota_us", -1, 17592186044415LL, r->global_quota_us);
	GET_INT(&l, o, "emulator_period_us", 0, 1000000, r->emulator_period_us);
	GET_INT(&l, o, "emulator_quota_us", -1, 17592186044415LL, r->emulator_quota_us);
	GET_INT(&l, o, "iothread_period_us", 0, 1000000, r->iothread_period_us);
	GET_INT(&l, o, "iothread_quota_us", -1, 17592186044415LL, r->iothread_quota_us);
	if (r->secure_boot && !r->efi)
		return bad(&l, "secure_boot", "secure boot needs efi");
	return VMP_OK;
}

static int load_placed(const loader *l, json_t *o, vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;
	json_t *a, *e;
	size_t i;
	int err = 0;
	loader el = *l;

	if (!(a = need(l, o, "vcpupin", &err)))
		return err;
	if (!json_is_array(a) || json_array_size(a) != r->vcpus)
		return bad(l, "vcpupin", "expected an array of %u host CPU numbers", r->vcpus);
	if (!(vm->vcpupin = calloc(r->vcpus, sizeof(int)))) {
		vmp_error_set("cannot load plan '%s': out of memory", l->file);
		return VMP_ENOMEM;
	}
	json_array_foreach(a, i, e)
	{
		if (!json_is_integer(e) || json_integer_value(e) < -1 ||
		    json_integer_value(e) >= VMP_CPUSET_MAX) {
			char f[32];
			snprintf(f, sizeof(f), "vcpupin[%zu]", i);
			return bad(l, f, "expected a host CPU number between -1 and %d",
				   VMP_CPUSET_MAX - 1);
		}
		vm->vcpupin[i] = (int)json_integer_value(e);
	}
	if ((err = get_cpuset(l, o, "pcpus", &vm->pcpus, true)) < 0 ||
	    (err = get_cpuset(l, o, "emulatorpin", &vm->emulatorpin, true)) < 0)
		return err;

	if (!(a = need(l, o, "iothreadpin", &err)))
		return err;
	if (!json_is_array(a) || json_array_size(a) > VMP_MAX_IOTHREADS)
		return bad(l, "iothreadpin", "expected an array of at most %d entries",
			   VMP_MAX_IOTHREADS);
	json_array_foreach(a, i, e)
	{
		int64_t id;
		at(&el, l, ".iothreadpin[%zu]", i);
		if (!json_is_object(e))
			return bad(&el, "", "expected an object");
		if ((err = get_int(&el, e, "id", (int64_t)i + 1, (int64_t)i + 1, &id)) < 0 ||
		    (err = get_cpuset(&el, e, "cpuset", &vm->iothreadpin[i], false)) < 0)
			return err;
	}
	vm->niothreads = (int)json_array_size(a);

	if (!(a = need(l, o, "cells", &err)))
		return err;
	if (!json_is_array(a) || json_array_size(a) > VMP_MAX_CELLS)
		return bad(l, "cells", "expected an array of at most %d cells", VMP_MAX_CELLS);
	json_array_foreach(a, i, e)
	{
		vmp_plan_cell *c = &vm->cells[i];
		int64_t id;
		at(&el, l, ".cells[%zu]", i);
		if (!json_is_object(e))
			return bad(&el, "", "expected an object");
		if ((err = get_int(&el, e, "id", (int64_t)i, (int64_t)i, &id)) < 0 ||
		    (err = get_cpuset(&el, e, "vcpus", &c->vcpus, false)) < 0)
			return err;
		GET_INT(&el, e, "host_node", 0, VMP_CPUSET_MAX - 1, c->host_node);
		GET_INT(&el, e, "memory_bytes", 1, INT64_MAX, c->memory_bytes);
		{
			json_t *d = need(&el, e, "distances", &err), *v;
			size_t j;
			if (!d)
				return err;
			if (!json_is_array(d) ||
			    (json_array_size(d) && json_array_size(d) != json_array_size(a)))
				return bad(&el, "distances",
					   "expected no distances or one to every cell");
			json_array_foreach(d, j, v)
			{
				if (!json_is_integer(v) || json_integer_value(v) < 10 ||
				    json_integer_value(v) > 255)
					return bad(&el, "distances",
						   "expected distances between 10 and 255");
				c->distances[j] = (uint8_t)json_integer_value(v);
			}
		}
		if (vmp_cpuset_next(&c->vcpus, (int)r->vcpus - 1) >= 0)
			return bad(&el, "vcpus", "names a vCPU beyond the VM's %u", r->vcpus);
	}
	vm->ncells = (int)json_array_size(a);

	if (!(e = need(l, o, "topology", &err)))
		return err;
	at(&el, l, ".topology");
	if (!json_is_object(e))
		return bad(l, "topology", "expected an object");
	GET_INT(&el, e, "sockets", 1, VMP_MAX_VCPUS, vm->sockets);
	GET_INT(&el, e, "dies", 1, VMP_MAX_VCPUS, vm->dies);
	GET_INT(&el, e, "cores", 1, VMP_MAX_VCPUS, vm->cores);
	GET_INT(&el, e, "threads", 1, VMP_MAX_VCPUS, vm->threads);
	/* A placed VM must be exportable: libvirt refuses what does not add up. */
	if ((uint64_t)vm->sockets * vm->dies * vm->cores * vm->threads != r->vcpus)
		return bad(l, "topology", "sockets x dies x cores x threads is not %u vCPUs",
			   r->vcpus);
	if (vm->ncells < 1)
		return bad(l, "cells", "a placed VM has at least one cell");
	{
		vmp_cpuset all = {0}, want = {0};
		uint64_t sum = 0;
		for (int c = 0; c < vm->ncells; c++) {
			if (vmp_cpuset_intersects(&all, &vm->cells[c].vcpus))
				return bad(l, "cells", "a vCPU is in two cells");
			vmp_cpuset_or(&all, &all, &vm->cells[c].vcpus);
			if (vm->cells[c].memory_bytes % 1024)
				return bad(l, "cells", "cell %d's memory is not a whole KiB", c);
			sum += vm->cells[c].memory_bytes;
		}
		vmp_cpuset_set_range(&want, 0, (int)r->vcpus - 1);
		if (!vmp_cpuset_equal(&all, &want))
			return bad(l, "cells", "the cells do not hold every vCPU exactly once");
		if (sum != r->memory_bytes)
			return bad(l, "cells", "the cells' memory does not add up to the VM's");
	}
	for (unsigned i = 0; r->cpu == VMP_CPU_DEDICATED && i < r->vcpus; i++)
		if (vm->vcpupin[i] < 0)
			return bad(l, "vcpupin", "a dedicated vCPU (%u) has no host CPU", i);

	if (!(e = need(l, o, "hugepages", &err)))
		return err;
	if (!json_is_null(e)) {
		uint64_t page;
		at(&el, l, ".hugepages");
		if (!json_is_object(e))
			return bad(l, "hugepages", "expected null or an object");
		GET_INT(&el, e, "page_bytes", 4096, INT64_MAX, page);
		if (page != r->hugepage_bytes)
			return bad(&el, "page_bytes", "differs from request.hugepage_bytes");
	} else if (r->hugepage_bytes) {
		return bad(l, "hugepages", "null, but request.hugepage_bytes is set");
	}

	a = json_object_get(o, "cachetune");
	if (a && !json_is_null(a)) {
		if (!json_is_array(a) || json_array_size(a) > VMP_MAX_CACHETUNE)
			return bad(l, "cachetune", "expected an array of at most %d entries",
				   VMP_MAX_CACHETUNE);
		json_array_foreach(a, i, e)
		{
			vmp_plan_cachetune *c = &vm->cachetune[i];
			char mask[32], *end;
			at(&el, l, ".cachetune[%zu]", i);
			if (!json_is_object(e))
				return bad(&el, "", "expected an object");
			GET_INT(&el, e, "level", 2, 3, c->level);
			GET_INT(&el, e, "cache_id", 0, INT32_MAX, c->cache_id);
			GET_INT(&el, e, "size_bytes", 1, INT64_MAX, c->size_bytes);
			if ((err = get_str(&el, e, "type", c->type, sizeof(c->type))) < 0 ||
			    (err = get_str(&el, e, "ways_mask", mask, sizeof(mask))) < 0)
				return err;
			if (strcmp(c->type, "both") && strcmp(c->type, "code") &&
			    strcmp(c->type, "data"))
				return bad(&el, "type",
					   "unknown value '%s' (expected both, code "
					   "or data)",
					   c->type);
			errno = 0;
			c->ways_mask = strtoull(mask, &end, 16);
			if (errno || *end || strncmp(mask, "0x", 2) || !c->ways_mask)
				return bad(&el, "ways_mask",
					   "'%s' is not a hexadecimal way mask "
					   "such as 0x3f",
					   mask);
		}
		vm->ncachetune = (int)json_array_size(a);
	}
	a = json_object_get(o, "memorytune");
	if (a && !json_is_null(a)) {
		if (!json_is_array(a) || json_array_size(a) > VMP_RDT_DOMAINS_MAX)
			return bad(l, "memorytune", "expected an array of at most %d entries",
				   VMP_RDT_DOMAINS_MAX);
		json_array_foreach(a, i, e)
		{
			at(&el, l, ".memorytune[%zu]", i);
			if (!json_is_object(e))
				return bad(&el, "", "expected an object");
			GET_INT(&el, e, "node_id", 0, INT32_MAX, vm->memorytune[i].node_id);
			GET_INT(&el, e, "bandwidth", 1, UINT32_MAX, vm->memorytune[i].bandwidth);
		}
		vm->nmemorytune = (int)json_array_size(a);
	}
	return VMP_OK;
}

/* An optional copy of request.KEY beside the request: absent, or the same name. */
static int same_name(const loader *l, json_t *o, const char *key, const char *name)
{
	json_t *v = json_object_get(o, key);

	if (v && (!json_is_string(v) || strcmp(json_string_value(v), name)))
		return bad(l, key, "differs from request.%s '%s'", key, name);
	return VMP_OK;
}

static int load_vm(const loader *outer, json_t *o, vmp_plan_vm *vm, size_t index)
{
	loader l = *outer;
	json_t *v;
	int err = 0;

	snprintf(l.where, sizeof(l.where), "vms[%zu]", index);
	if (!json_is_object(o))
		return bad(&l, "", "expected an object");
	if (!(v = need(&l, o, "request", &err)))
		return err;
	if ((err = load_request(&l, v, &vm->req)) < 0)
		return err;
	if ((err = get_bool(&l, o, "placed", &vm->placed)) < 0)
		return err;
	if (!(v = need(&l, o, "score", &err)))
		return err;
	if (!json_is_number(v))
		return bad(&l, "score", "expected a number");
	vm->score = json_number_value(v);
	v = json_object_get(o, "explain");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v))
			return bad(&l, "explain", "expected null or a string");
		if (!(vm->explain = strdup(json_string_value(v)))) {
			vmp_error_set("cannot load plan '%s': out of memory", l.file);
			return VMP_ENOMEM;
		}
	}
	v = json_object_get(o, "name");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), vm->req.name)))
		return bad(&l, "name", "differs from request.name '%s'", vm->req.name);
	/* The copies of the request beside it are for readers; one edited alone is refused. */
	v = json_object_get(o, "vcpus");
	if (v && (!json_is_integer(v) || json_integer_value(v) != (json_int_t)vm->req.vcpus))
		return bad(&l, "vcpus", "differs from request.vcpus %u", vm->req.vcpus);
	v = json_object_get(o, "memory_bytes");
	if (v && (!json_is_integer(v) || (uint64_t)json_integer_value(v) != vm->req.memory_bytes))
		return bad(&l, "memory_bytes", "differs from request.memory_bytes %" PRIu64,
			   vm->req.memory_bytes);
	if ((err = same_name(&l, o, "threads", thread_names[vm->req.threads])) < 0 ||
	    (err = same_name(&l, o, "emulator", emulator_names[vm->req.emulator])) < 0 ||
	    (err = same_name(&l, o, "cpu", cpu_names[vm->req.cpu])) < 0)
		return err;
	v = json_object_get(o, "refused_by");
	if (vm->placed && v && !json_is_null(v))
		return bad(&l, "refused_by", "set for a placed VM");
	if (!vm->placed) {
		if ((err = get_str(&l, o, "reason", vm->reason, sizeof(vm->reason))) < 0)
			return err;
		/* What binds, for programs; plans written before it existed say "other". */
		vm->bind = VMP_BIND_OTHER;
		v = json_object_get(o, "refused_by");
		if (v && !json_is_null(v)) {
			GET_ENUM(&l, o, "refused_by", bind_keys, vm->bind);
			if (vm->bind == VMP_BIND_NONE)
				return bad(&l, "refused_by", "'none' for a VM that is not placed");
		}
		return VMP_OK;
	}
	return load_placed(&l, o, vm);
}

int vmp_plan_from_json(vmp_plan **out, const char *text, const char *name)
{
	loader l = {.file = name};
	json_error_t jerr;
	json_t *root, *vms, *v;
	vmp_plan *plan = NULL;
	size_t i;
	int err = 0;

	*out = NULL;
	if (!(root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr))) {
		vmp_error_set("cannot load plan '%s': line %d: %s", name, jerr.line, jerr.text);
		return VMP_EINVAL;
	}
	if (!json_is_object(root)) {
		err = bad(&l, "", "the top level is not an object");
		goto out;
	}
	if (!(plan = calloc(1, sizeof(*plan)))) {
		err = VMP_ENOMEM;
		vmp_error_set("cannot load plan '%s': out of memory", name);
		goto out;
	}
	{
		int64_t schema;
		if ((err = get_int(&l, root, "schema", 1, INT32_MAX, &schema)) < 0)
			goto out;
		if (schema != VMP_PLAN_SCHEMA) {
			err = bad(&l, "schema",
				  "version %" PRId64 " is not %d, the one this "
				  "vmplan reads",
				  schema, VMP_PLAN_SCHEMA);
			goto out;
		}
		plan->schema = (int)schema;
	}
	if ((err = get_str(&l, root, "host", plan->host, sizeof(plan->host))) < 0 ||
	    (err = get_str(&l, root, "hostname", plan->hostname, sizeof(plan->hostname))) < 0)
		goto out;
	if (!(vms = need(&l, root, "vms", &err)))
		goto out;
	if (!json_is_array(vms)) {
		err = bad(&l, "vms", "expected an array");
		goto out;
	}
	if (json_array_size(vms) &&
	    !(plan->vms = calloc(json_array_size(vms), sizeof(*plan->vms)))) {
		err = VMP_ENOMEM;
		vmp_error_set("cannot load plan '%s': out of memory", name);
		goto out;
	}
	json_array_foreach(vms, i, v)
	{
		plan->nvms = (int)i + 1;
		if ((err = load_vm(&l, v, &plan->vms[i], i)) < 0)
			goto out;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(plan->vms[j].req.name, plan->vms[i].req.name)) {
				snprintf(l.where, sizeof(l.where), "vms[%zu]", i);
				err = bad(&l, "name", "'%s' is already the name of vms[%zu]",
					  plan->vms[i].req.name, j);
				goto out;
			}
	}
	*out = plan;
	plan = NULL;
out:
	json_decref(root);
	vmp_plan_free(plan);
	return err;
}

int vmp_plan_load_json(vmp_plan **out, const char *path)
{
	char *text;
	int err;

	*out = NULL;
	if ((err = vmp_export_read_file(&text, NULL, path, "plan")) < 0)
		return err;
	err = vmp_plan_from_json(out, text, path);
	free(text);
	return err;
}
