/* plan.json: the plan as data for other tools (see DESIGN.md). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vmplan/error.h"
#include "vmplan/export.h"

static const char *const thread_names[] = {"prefer", "isolate", "require"};
static const char *const emulator_names[] = {"share", "isolate"};

static json_t *cpuset_json(const vmp_cpuset *set)
{
	char buf[8192];

	vmp_cpuset_format(buf, sizeof(buf), set);
	return json_string(buf);
}

static json_t *vm_json(const vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "placed", json_boolean(vm->placed));
	json_object_set_new(o, "reason", vm->placed ? json_null() : json_string(vm->reason));
	json_object_set_new(o, "vcpus", json_integer(r->vcpus));
	json_object_set_new(o, "memory_bytes", json_integer((json_int_t)r->memory_bytes));
	json_object_set_new(o, "threads", json_string(thread_names[r->threads]));
	json_object_set_new(o, "emulator", json_string(emulator_names[r->emulator]));
	if (!vm->placed)
		return o;

	json_t *pins = json_array();
	for (unsigned i = 0; i < r->vcpus; i++)
		json_array_append_new(pins, json_integer(vm->vcpupin[i]));
	json_object_set_new(o, "vcpupin", pins);
	json_object_set_new(o, "emulatorpin", cpuset_json(&vm->emulatorpin));
	json_object_set_new(o, "iothreadpin", json_array());

	json_t *cells = json_array();
	for (int i = 0; i < vm->ncells; i++) {
		const vmp_plan_cell *c = &vm->cells[i];
		vmp_cpuset host_cpus = {0};
		int v;
		VMP_CPUSET_FOREACH(v, &c->vcpus)
		vmp_cpuset_set(&host_cpus, vm->vcpupin[v]);
		json_array_append_new(cells,
				      json_pack("{s:i, s:i, s:o, s:o, s:I}", "id", i, "host_node",
						c->host_node, "vcpus", cpuset_json(&c->vcpus),
						"cpus", cpuset_json(&host_cpus), "memory_bytes",
						(json_int_t)c->memory_bytes));
	}
	json_object_set_new(o, "cells", cells);
	json_object_set_new(o, "topology",
			    json_pack("{s:i, s:i, s:i, s:i}", "sockets", vm->sockets, "dies",
				      vm->dies, "cores", vm->cores, "threads", vm->threads));
	json_object_set_new(o, "hugepages",
			    r->hugepage_bytes ? json_pack("{s:I}", "page_bytes",
							  (json_int_t)r->hugepage_bytes)
					      : json_null());
	json_object_set_new(o, "cachetune", json_null());
	json_object_set_new(o, "memorytune", json_null());
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
	*out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!*out) {
		vmp_error_set("cannot serialise plan: out of memory");
		return VMP_ENOMEM;
	}
	return VMP_OK;
}
