/* plan.json: the plan as data for other tools, read back losslessly (written in plan_json_write.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "identity_json.h"
#include "json.h"
#include "plan_json_internal.h"
#include "plan_json_solver.h"
#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/plan_json.h"
#include "vmplan/request.h"

/* vmp_bind, as plan.json's refused_by names it. */
const char *const vmp_plan_bind_keys[] = {
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

/* The request keys in the order their fields appear in plan.json; returns their number. */
size_t vmp_plan_json_keys_in_order(const vmp_request_key *order[VMP_PLAN_JSON_MAX_KEYS])
{
	size_t n, count = 0;
	const vmp_request_key *keys = vmp_request_keys_all(&n);

	for (int rank = 0; count < n && rank < VMP_PLAN_JSON_MAX_KEYS; rank++)
		for (size_t k = 0; k < n; k++)
			if (keys[k].json_rank == rank)
				order[count++] = &keys[k];
	return count;
}

/* ---- loading: every error names the file and the field, e.g. "vms[1].vcpupin[3]" -------- */

typedef struct loader {
	vmp_json_ctx c;
	char where[192]; /* the object being read: "vms[1]", "vms[1].request" */
} loader;

/* dst reads the object at l's, then the suffix (".cells[2]"). */
__attribute__((format(printf, 3, 4))) static void at(loader *dst, const loader *l, const char *fmt,
						     ...)
{
	char sfx[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sfx, sizeof(sfx), fmt, ap);
	va_end(ap);
	dst->c = l->c;
	snprintf(dst->where, sizeof(dst->where), "%.120s%s", l->where, sfx);
}

#define bad(l, field, ...) vmp_json_bad(&(l)->c, (l)->where, field, __VA_ARGS__)

static json_t *need(const loader *l, json_t *obj, const char *key, int *err)
{
	json_t *v;

	*err = vmp_json_field(&v, &l->c, obj, l->where, key, true);
	return v;
}

#define GET_INT(l, obj, key, min, max, dst)                                                        \
	do {                                                                                       \
		int64_t v_;                                                                        \
		if ((err = vmp_json_int64(&v_, &(l)->c, obj, (l)->where, key, true, min, max)) <   \
		    0)                                                                             \
			return err;                                                                \
		dst = v_;                                                                          \
	} while (0)

static int get_cpuset(const loader *l, json_t *obj, const char *key, vmp_cpuset *out,
		      bool may_be_empty)
{
	return vmp_json_cpuset(out, &l->c, obj, l->where, key, true, may_be_empty);
}

/* A set of names: an array of them, each once; absent is the empty set. */
static int load_set(const loader *l, json_t *o, const vmp_request_key *k,
		    const vmp_request_field *f, unsigned *out)
{
	json_t *a = json_object_get(o, f->json), *e;
	size_t i;

	*out = 0;
	if (!a)
		return VMP_OK;
	if (!json_is_array(a))
		return bad(l, f->json, "expected an array of names");
	json_array_foreach(a, i, e)
	{
		int n = 0;

		while (k->names[n] &&
		       !(json_is_string(e) && !strcmp(json_string_value(e), k->names[n])))
			n++;
		if (!k->names[n] || (*out & (1u << n)))
			return bad(l, f->json, "entry %zu is not a name it takes, or repeats one",
				   i);
		*out |= 1u << n;
	}
	return VMP_OK;
}

/* A plan's text value goes through the key's setter, as on the command line: a plan file is
 * trusted no more than --vm (a firmware path with '..', a device that is not UTF-8 text). */
static int recheck_text(const loader *l, const vmp_request_key *k, const vmp_request_field *f,
			vmp_vm_request *r, const char *value)
{
	char copy[4096], why[512];

	if (!*value || k->fields[1].type || strlen(value) >= sizeof(copy))
		return VMP_OK;
	memcpy(copy, value, strlen(value) + 1);
	if (vmp_request_set(r, k->name, copy) == VMP_OK)
		return VMP_OK;
	snprintf(why, sizeof(why), "%s", vmp_error_last());
	return bad(l, f->json, "%s", why);
}

/* One field of the request, as the key table says it is stored. */
static int load_field(const loader *l, json_t *o, const vmp_request_key *k,
		      const vmp_request_field *f, vmp_vm_request *r)
{
	void *p = vmp_request_field_ptr(r, f);
	int64_t v;
	int err, e;

	switch (f->type) {
	case VMP_FIELD_TEXT:
		/* The fleet keys may be absent (plan.json from before them, or unset). */
		if ((err = vmp_json_str(p, f->size, &l->c, o, l->where, f->json,
					strcmp(k->name, "host") && strcmp(k->name, "group") &&
					    strcmp(k->name, "together"))) < 0)
			return err;
		return recheck_text(l, k, f, r, p);
	case VMP_FIELD_BOOL:
		return vmp_json_bool(p, &l->c, o, l->where, f->json, true);
	case VMP_FIELD_ENUM:
		if ((err = vmp_json_enum(&e, &l->c, o, l->where, f->json, true, k->names)) < 0)
			return err;
		*(int *)p = e;
		return VMP_OK;
	case VMP_FIELD_SET:
		return load_set(l, o, k, f, p);
	case VMP_FIELD_UINT:
	case VMP_FIELD_INT:
	case VMP_FIELD_U64:
	case VMP_FIELD_I64:
		if ((err = vmp_json_int64(&v, &l->c, o, l->where, f->json, true, f->min, f->max)) <
		    0)
			return err;
		if (f->type == VMP_FIELD_UINT)
			*(unsigned *)p = (unsigned)v;
		else if (f->type == VMP_FIELD_INT)
			*(int *)p = (int)v;
		else if (f->type == VMP_FIELD_U64)
			*(uint64_t *)p = (uint64_t)v;
		else
			*(int64_t *)p = v;
		return VMP_OK;
	case VMP_FIELD_NONE:
		break;
	}
	return VMP_OK;
}

static int load_request(const loader *outer, json_t *o, vmp_vm_request *r)
{
	const vmp_request_key *order[VMP_PLAN_JSON_MAX_KEYS];
	size_t n = vmp_plan_json_keys_in_order(order), blame;
	loader l;
	int err;

	at(&l, outer, ".request");
	if (!json_is_object(o))
		return bad(outer, "request", "expected an object");
	for (size_t k = 0; k < n; k++) {
		const vmp_request_key *key = order[k];

		for (size_t f = 0; f < VMP_KEY_FIELDS_MAX && key->fields[f].type; f++)
			if ((err = load_field(&l, o, key, &key->fields[f], r)) < 0)
				return err;
		if (key->check && key->check(r, &blame) < 0) {
			char why[VMP_NAME_MAX + 128];

			snprintf(why, sizeof(why), "%s", vmp_error_last());
			return bad(&l, key->fields[blame].json, "%s", why);
		}
	}
	return VMP_OK;
}

static int load_pins(const loader *l, json_t *o, vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;
	json_t *a, *e;
	size_t i;
	int err = 0;
	loader el;

	if (!(a = need(l, o, "vcpupin", &err)))
		return err;
	if (!json_is_array(a) || json_array_size(a) != r->vcpus)
		return bad(l, "vcpupin", "expected an array of %u host CPU numbers", r->vcpus);
	if (!(vm->vcpupin = calloc(r->vcpus, sizeof(int))))
		return vmp_json_no_memory(&l->c);
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
	if (vmp_plan_vm_reserve(vm, (int)json_array_size(a), 0, 0, 0) < 0)
		return vmp_json_no_memory(&l->c);
	json_array_foreach(a, i, e)
	{
		int64_t id;
		at(&el, l, ".iothreadpin[%zu]", i);
		if (!json_is_object(e))
			return bad(&el, "", "expected an object");
		if ((err = vmp_json_int64(&id, &el.c, e, el.where, "id", true, (int64_t)i + 1,
					  (int64_t)i + 1)) < 0 ||
		    (err = get_cpuset(&el, e, "cpuset", &vm->iothreadpin[i], false)) < 0)
			return err;
	}
	vm->niothreads = (int)json_array_size(a);
	return VMP_OK;
}

/* Cell i of ncells (its distances go to every cell). */
static int load_cell(const loader *el, json_t *e, vmp_plan_cell *c, size_t i, size_t ncells,
		     unsigned vcpus)
{
	json_t *d, *v;
	int64_t id;
	size_t j;
	int err = 0;

	if (!json_is_object(e))
		return bad(el, "", "expected an object");
	if ((err = vmp_json_int64(&id, &el->c, e, el->where, "id", true, (int64_t)i, (int64_t)i)) <
		0 ||
	    (err = get_cpuset(el, e, "vcpus", &c->vcpus, false)) < 0)
		return err;
	GET_INT(el, e, "host_node", 0, VMP_CPUSET_MAX - 1, c->host_node);
	GET_INT(el, e, "memory_bytes", 1, INT64_MAX, c->memory_bytes);
	if (!(d = need(el, e, "distances", &err)))
		return err;
	if (!json_is_array(d) || (json_array_size(d) && json_array_size(d) != ncells))
		return bad(el, "distances", "expected no distances or one to every cell");
	json_array_foreach(d, j, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 10 ||
		    json_integer_value(v) > 255)
			return bad(el, "distances", "expected distances between 10 and 255");
		c->distances[j] = (uint8_t)json_integer_value(v);
	}
	if (vmp_cpuset_next(&c->vcpus, (int)vcpus - 1) >= 0)
		return bad(el, "vcpus", "names a vCPU beyond the VM's %u", vcpus);
	return VMP_OK;
}

/* The cells and the guest topology, and that they add up to the request. */
static int load_cells(const loader *l, json_t *o, vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;
	vmp_cpuset all = {0}, want = {0};
	uint64_t sum = 0;
	json_t *a, *e;
	size_t i;
	int err = 0;
	loader el;

	if (!(a = need(l, o, "cells", &err)))
		return err;
	if (!json_is_array(a) || json_array_size(a) > VMP_MAX_CELLS)
		return bad(l, "cells", "expected an array of at most %d cells", VMP_MAX_CELLS);
	if (vmp_plan_vm_reserve(vm, 0, 0, 0, (int)json_array_size(a)) < 0)
		return vmp_json_no_memory(&l->c);
	json_array_foreach(a, i, e)
	{
		at(&el, l, ".cells[%zu]", i);
		if ((err = load_cell(&el, e, &vm->cells[i], i, json_array_size(a), r->vcpus)) < 0)
			return err;
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
	for (unsigned v = 0; r->cpu == VMP_CPU_DEDICATED && v < r->vcpus; v++)
		if (vm->vcpupin[v] < 0)
			return bad(l, "vcpupin", "a dedicated vCPU (%u) has no host CPU", v);
	return VMP_OK;
}

static int load_hugepages(const loader *l, json_t *o, const vmp_plan_vm *vm)
{
	json_t *e;
	int err = 0;
	loader el;

	if (!(e = need(l, o, "hugepages", &err)))
		return err;
	if (!json_is_null(e)) {
		uint64_t page;
		at(&el, l, ".hugepages");
		if (!json_is_object(e))
			return bad(l, "hugepages", "expected null or an object");
		GET_INT(&el, e, "page_bytes", 4096, INT64_MAX, page);
		if (page != vm->req.hugepage_bytes)
			return bad(&el, "page_bytes", "differs from request.hugepage_bytes");
	} else if (vm->req.hugepage_bytes) {
		return bad(l, "hugepages", "null, but request.hugepage_bytes is set");
	}
	return VMP_OK;
}

static int load_cachetune_entry(const loader *el, json_t *e, vmp_plan_cachetune *c)
{
	char mask[32], *end;
	int err;

	if (!json_is_object(e))
		return bad(el, "", "expected an object");
	GET_INT(el, e, "level", 2, 3, c->level);
	GET_INT(el, e, "cache_id", 0, INT32_MAX, c->cache_id);
	GET_INT(el, e, "size_bytes", 1, INT64_MAX, c->size_bytes);
	if ((err = vmp_json_str(c->type, sizeof(c->type), &el->c, e, el->where, "type", true)) <
		0 ||
	    (err = vmp_json_str(mask, sizeof(mask), &el->c, e, el->where, "ways_mask", true)) < 0)
		return err;
	if (strcmp(c->type, "both") && strcmp(c->type, "code") && strcmp(c->type, "data"))
		return bad(el, "type", "unknown value '%s' (expected both, code or data)", c->type);
	errno = 0;
	c->ways_mask = strtoull(mask, &end, 16);
	if (errno || *end || strncmp(mask, "0x", 2) || !c->ways_mask)
		return bad(el, "ways_mask", "'%s' is not a hexadecimal way mask such as 0x3f",
			   mask);
	return VMP_OK;
}

/* cachetune and memorytune: optional, null or an array. */
static int load_resctrl(const loader *l, json_t *o, vmp_plan_vm *vm)
{
	json_t *a, *e;
	size_t i;
	int err;
	loader el;

	a = json_object_get(o, "cachetune");
	if (a && !json_is_null(a)) {
		if (!json_is_array(a) || json_array_size(a) > VMP_MAX_CACHETUNE)
			return bad(l, "cachetune", "expected an array of at most %d entries",
				   VMP_MAX_CACHETUNE);
		if (vmp_plan_vm_reserve(vm, 0, (int)json_array_size(a), 0, 0) < 0)
			return vmp_json_no_memory(&l->c);
		json_array_foreach(a, i, e)
		{
			at(&el, l, ".cachetune[%zu]", i);
			if ((err = load_cachetune_entry(&el, e, &vm->cachetune[i])) < 0)
				return err;
		}
		vm->ncachetune = (int)json_array_size(a);
	}
	a = json_object_get(o, "memorytune");
	if (a && !json_is_null(a)) {
		if (!json_is_array(a) || json_array_size(a) > VMP_RDT_DOMAINS_MAX)
			return bad(l, "memorytune", "expected an array of at most %d entries",
				   VMP_RDT_DOMAINS_MAX);
		if (vmp_plan_vm_reserve(vm, 0, 0, (int)json_array_size(a), 0) < 0)
			return vmp_json_no_memory(&l->c);
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

static int load_placed(const loader *l, json_t *o, vmp_plan_vm *vm)
{
	int err;

	if ((err = load_pins(l, o, vm)) < 0 || (err = load_cells(l, o, vm)) < 0 ||
	    (err = load_hugepages(l, o, vm)) < 0 || (err = load_resctrl(l, o, vm)) < 0)
		return err;
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

/* The copies of the request beside it are for readers; one edited alone is refused. */
static int check_copies(const loader *l, json_t *o, const vmp_vm_request *r)
{
	json_t *v;
	int err;

	v = json_object_get(o, "name");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), r->name)))
		return bad(l, "name", "differs from request.name '%s'", r->name);
	v = json_object_get(o, "vcpus");
	if (v && (!json_is_integer(v) || json_integer_value(v) != (json_int_t)r->vcpus))
		return bad(l, "vcpus", "differs from request.vcpus %u", r->vcpus);
	v = json_object_get(o, "memory_bytes");
	if (v && (!json_is_integer(v) || (uint64_t)json_integer_value(v) != r->memory_bytes))
		return bad(l, "memory_bytes", "differs from request.memory_bytes %" PRIu64,
			   r->memory_bytes);
	if ((err = same_name(l, o, "threads", vmp_request_enum_name("threads", r->threads))) < 0 ||
	    (err = same_name(l, o, "emulator", vmp_request_enum_name("emulator", r->emulator))) <
		0 ||
	    (err = same_name(l, o, "cpu", vmp_request_enum_name("cpu", r->cpu))) < 0)
		return err;
	return VMP_OK;
}

/* Why a VM was not placed: the reason, and what binds (plans before it say "other"). */
static int load_refused(const loader *l, json_t *o, vmp_plan_vm *vm)
{
	json_t *v;
	int err, e;

	if ((err = vmp_json_str(vm->reason, sizeof(vm->reason), &l->c, o, l->where, "reason",
				true)) < 0)
		return err;
	vm->bind = VMP_BIND_OTHER;
	v = json_object_get(o, "refused_by");
	if (v && !json_is_null(v)) {
		if ((err = vmp_json_enum(&e, &l->c, o, l->where, "refused_by", true,
					 vmp_plan_bind_keys)) < 0)
			return err;
		vm->bind = (vmp_bind)e;
		if (vm->bind == VMP_BIND_NONE)
			return bad(l, "refused_by", "'none' for a VM that is not placed");
	}
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
	if ((err = load_request(&l, v, &vm->req)) < 0 ||
	    (err = vmp_json_bool(&vm->placed, &l.c, o, l.where, "placed", true)) < 0)
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
		if (!(vm->explain = strdup(json_string_value(v))))
			return vmp_json_no_memory(&l.c);
	}
	if ((err = check_copies(&l, o, &vm->req)) < 0)
		return err;
	v = json_object_get(o, "refused_by");
	if (vm->placed && v && !json_is_null(v))
		return bad(&l, "refused_by", "set for a placed VM");
	if (!vm->placed)
		return load_refused(&l, o, vm);
	return load_placed(&l, o, vm);
}

static int load_vms(const loader *l, json_t *root, vmp_plan *plan)
{
	json_t *vms, *v;
	size_t i;
	int err = 0;

	if (!(vms = need(l, root, "vms", &err)))
		return err;
	if (!json_is_array(vms))
		return bad(l, "vms", "expected an array");
	if (json_array_size(vms) && !(plan->vms = calloc(json_array_size(vms), sizeof(*plan->vms))))
		return vmp_json_no_memory(&l->c);
	json_array_foreach(vms, i, v)
	{
		plan->nvms = (int)i + 1;
		if ((err = load_vm(l, v, &plan->vms[i], i)) < 0)
			break;
	}
	/* A repeated name among the VMs read comes before the error that stopped the reading,
	 * as a check of each VM against the earlier ones would find it. */
	size_t nread = err < 0 ? i : json_array_size(vms), first, j;
	int rep = nread ? vmp_names_first_repeat(&first, &j, plan->vms[0].req.name, nread,
						 sizeof(*plan->vms))
			: 0;
	if (rep < 0)
		return vmp_json_no_memory(&l->c);
	if (rep) {
		loader el = *l;
		snprintf(el.where, sizeof(el.where), "vms[%zu]", first);
		return bad(&el, "name", "'%s' is already the name of vms[%zu]",
			   plan->vms[first].req.name, j);
	}
	return err < 0 ? err : VMP_OK;
}

int vmp_plan_from_json(vmp_plan **out, const char *text, const char *name)
{
	loader l = {.c = {.kind = "plan", .file = name, .dialect = VMP_JSON_PLAN}};
	json_error_t jerr;
	json_t *root;
	vmp_plan *plan = NULL;
	int64_t schema;
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
		err = vmp_json_no_memory(&l.c);
		goto out;
	}
	if ((err = vmp_json_int64(&schema, &l.c, root, "", "schema", true, 1, INT32_MAX)) < 0)
		goto out;
	if (schema != VMP_PLAN_SCHEMA) {
		err = bad(&l, "schema", "version %" PRId64 " is not %d, the one this vmplan reads",
			  schema, VMP_PLAN_SCHEMA);
		goto out;
	}
	plan->schema = (int)schema;
	if ((err = vmp_json_str(plan->host, sizeof(plan->host), &l.c, root, "", "host", true)) <
		0 ||
	    (err = vmp_json_str(plan->hostname, sizeof(plan->hostname), &l.c, root, "", "hostname",
				true)) < 0 ||
	    (err = load_vms(&l, root, plan)) < 0 ||
	    (err = vmp_identity_json_load(&plan->identity, &l.c, root)) < 0 ||
	    (err = vmp_plan_solver_load(&plan->solver, &l.c, root)) < 0)
		goto out;
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
	if ((err = vmp_file_read(&text, NULL, path, "plan")) < 0)
		return err;
	err = vmp_plan_from_json(out, text, path);
	free(text);
	return err;
}
