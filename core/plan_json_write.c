/* plan.json written: the plan as data for other tools, one VM dumped at a time. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "identity_json.h"
#include "json.h"
#include "plan_json_internal.h"
#include "plan_json_solver.h"
#include "vmplan/error.h"
#include "vmplan/plan_json.h"
#include "vmplan/request.h"

/* ---- writing ---------------------------------------------------------------------------- */

static json_t *u64_json(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* One field of the request as plan.json holds it; NULL for an empty set (left out). */
static json_t *field_json(const vmp_request_key *k, const vmp_request_field *f,
			  const vmp_vm_request *r)
{
	const void *p = vmp_request_field_cptr(r, f);
	json_t *a;

	switch (f->type) {
	case VMP_FIELD_TEXT:
		/* The fleet keys are absent when unset, so one-host plan.json stays as it was. */
		if (!*(const char *)p && (!strcmp(k->name, "host") || !strcmp(k->name, "group") ||
					  !strcmp(k->name, "together")))
			return NULL;
		return json_string(p);
	case VMP_FIELD_UINT:
		return json_integer(*(const unsigned *)p);
	case VMP_FIELD_INT:
		return json_integer(*(const int *)p);
	case VMP_FIELD_U64:
		return u64_json(*(const uint64_t *)p);
	case VMP_FIELD_I64:
		return json_integer(*(const int64_t *)p);
	case VMP_FIELD_BOOL:
		return json_boolean(*(const bool *)p);
	case VMP_FIELD_ENUM:
		return json_string(vmp_request_enum_name(k->name, *(const int *)p));
	case VMP_FIELD_SET:
		if (!*(const unsigned *)p)
			return NULL;
		a = json_array();
		for (int i = 0; k->names[i]; i++)
			if (*(const unsigned *)p & (1u << i))
				json_array_append_new(a, json_string(k->names[i]));
		return a;
	case VMP_FIELD_NONE:
		break;
	}
	return NULL;
}

/* order: the n request keys in plan.json's order (vmp_plan_json_keys_in_order(), once per plan). */
static json_t *request_json(const vmp_vm_request *r, const vmp_request_key *const *order, size_t n)
{
	json_t *o = json_object();

	for (size_t k = 0; k < n; k++)
		for (size_t f = 0; f < VMP_KEY_FIELDS_MAX && order[k]->fields[f].type; f++) {
			json_t *v = field_json(order[k], &order[k]->fields[f], r);
			if (v)
				json_object_set_new(o, order[k]->fields[f].json, v);
		}
	return o;
}

/* The guest cells of a placed VM, each with the host CPUs its vCPUs are pinned to. */
static json_t *cells_json(const vmp_plan_vm *vm)
{
	json_t *a = json_array();

	for (int i = 0; i < vm->ncells; i++) {
		const vmp_plan_cell *c = &vm->cells[i];
		vmp_cpuset host_cpus = {0};
		json_t *dist = json_array();
		int v;

		VMP_CPUSET_FOREACH (v, &c->vcpus) {
			if ((unsigned)v < vm->req.vcpus && vm->vcpupin[v] >= 0)
				vmp_cpuset_set(&host_cpus, vm->vcpupin[v]);
		}
		for (int j = 0; c->distances[i] && j < vm->ncells; j++)
			json_array_append_new(dist, json_integer(c->distances[j]));
		json_array_append_new(a, json_pack("{s:i, s:i, s:o, s:o, s:I, s:o}", "id", i,
						   "host_node", c->host_node, "vcpus",
						   vmp_json_cpuset_new(&c->vcpus), "cpus",
						   vmp_json_cpuset_new(&host_cpus), "memory_bytes",
						   (json_int_t)c->memory_bytes, "distances", dist));
	}
	return a;
}

static json_t *resctrl_json(json_t *o, const vmp_plan_vm *vm)
{
	json_t *a = json_array();
	char mask[32];

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
	return o;
}

/* What only a placed VM has: its pins, cells, topology, hugepages and resctrl. */
static void placed_json(json_t *o, const vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;
	json_t *a = json_array();

	for (unsigned i = 0; i < r->vcpus; i++)
		json_array_append_new(a, json_integer(vm->vcpupin[i]));
	json_object_set_new(o, "vcpupin", a);
	json_object_set_new(o, "pcpus", vmp_json_cpuset_new(&vm->pcpus));
	json_object_set_new(o, "emulatorpin", vmp_json_cpuset_new(&vm->emulatorpin));
	a = json_array();
	for (int i = 0; i < vm->niothreads; i++)
		json_array_append_new(a, json_pack("{s:i, s:o}", "id", i + 1, "cpuset",
						   vmp_json_cpuset_new(&vm->iothreadpin[i])));
	json_object_set_new(o, "iothreadpin", a);
	json_object_set_new(o, "cells", cells_json(vm));
	json_object_set_new(o, "topology",
			    json_pack("{s:i, s:i, s:i, s:i}", "sockets", vm->sockets, "dies",
				      vm->dies, "cores", vm->cores, "threads", vm->threads));
	json_object_set_new(o, "hugepages",
			    r->hugepage_bytes
				? json_pack("{s:I}", "page_bytes", (json_int_t)r->hugepage_bytes)
				: json_null());
	resctrl_json(o, vm);
}

static json_t *vm_json(const vmp_plan_vm *vm, const vmp_request_key *const *order, size_t nkeys)
{
	const vmp_vm_request *r = &vm->req;
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "placed", json_boolean(vm->placed));
	json_object_set_new(o, "reason", vm->placed ? json_null() : json_string(vm->reason));
	json_object_set_new(o, "refused_by",
			    vm->placed ? json_null() : json_string(vmp_plan_bind_keys[vm->bind]));
	/* Copies of the request's main fields, for readers of the file. */
	json_object_set_new(o, "vcpus", json_integer(r->vcpus));
	json_object_set_new(o, "memory_bytes", u64_json(r->memory_bytes));
	json_object_set_new(o, "threads",
			    json_string(vmp_request_enum_name("threads", r->threads)));
	json_object_set_new(o, "emulator",
			    json_string(vmp_request_enum_name("emulator", r->emulator)));
	json_object_set_new(o, "cpu", json_string(vmp_request_enum_name("cpu", r->cpu)));
	json_object_set_new(o, "request", request_json(r, order, nkeys));
	json_object_set_new(o, "explain", vm->explain ? json_string(vm->explain) : json_null());
	if (vm->placed)
		placed_json(o, vm);
	json_object_set_new(o, "score", json_real(vm->score));
	return o;
}

#define PLAN_DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))

/* Write text to f with each line after the first indented by four more spaces: a VM dumped
 * alone, as it reads inside the plan's "vms" array. */
static void put_indented(FILE *f, const char *text)
{
	const char *nl;

	while ((nl = strchr(text, '\n'))) {
		fwrite(text, 1, (size_t)(nl - text), f);
		fputs("\n    ", f);
		text = nl + 1;
	}
	fputs(text, f);
}

/* The plan's "vms" array as json_dumps() lays it out at depth 1, one VM built and dumped at a
 * time: a plan of 40,000 VMs never holds all their objects at once. */
static int vms_dump(FILE *f, const vmp_plan *plan)
{
	const vmp_request_key *order[VMP_PLAN_JSON_MAX_KEYS];
	size_t nkeys = vmp_plan_json_keys_in_order(order);

	fputs("[\n    ", f);
	for (int i = 0; i < plan->nvms; i++) {
		json_t *o = vm_json(&plan->vms[i], order, nkeys);
		char *text = o ? json_dumps(o, PLAN_DUMP_FLAGS) : NULL;
		json_decref(o);
		if (!text)
			return VMP_ENOMEM;
		put_indented(f, text);
		free(text);
		fputs(i + 1 < plan->nvms ? ",\n    " : "\n  ]", f);
	}
	return VMP_OK;
}

/* The plan without its VMs ("vms": [] where they go), as json_dumps() writes it. */
static char *frame_dump(const vmp_plan *plan)
{
	json_t *root = json_object();
	char *text;

	json_object_set_new(root, "schema", json_integer(plan->schema));
	json_object_set_new(root, "host", json_string(plan->host));
	json_object_set_new(root, "hostname", json_string(plan->hostname));
	json_object_set_new(root, "vms", json_array());
	vmp_identity_json_add(root, &plan->identity);
	if (plan->solver.status != VMP_SOLVER_NONE)
		json_object_set_new(root, "solver", vmp_plan_solver_json(&plan->solver));
	text = json_dumps(root, PLAN_DUMP_FLAGS);
	json_decref(root);
	return text;
}

int vmp_plan_to_json(char **out, const vmp_plan *plan)
{
	/* A string holds no raw newline, so this is the top-level key and nothing else. */
	static const char vms_key[] = "\n  \"vms\": ";
	char *frame = frame_dump(plan), *at = frame ? strstr(frame, vms_key) : NULL, *buf = NULL;
	size_t len = 0;
	FILE *f = at ? open_memstream(&buf, &len) : NULL;
	int err = f ? VMP_OK : VMP_ENOMEM;

	*out = NULL;
	if (f) {
		at += sizeof(vms_key) - 1; /* at the frame's "[]" */
		fwrite(frame, 1, (size_t)(at - frame), f);
		if (plan->nvms)
			err = vms_dump(f, plan);
		else
			fputs("[]", f);
		fputs(at + 2, f);
		if (fclose(f) != 0 && err == VMP_OK)
			err = VMP_ENOMEM;
	}
	free(frame);
	if (err < 0) {
		free(buf);
		vmp_error_set("cannot serialise plan: out of memory");
		return VMP_ENOMEM;
	}
	*out = buf;
	return VMP_OK;
}
