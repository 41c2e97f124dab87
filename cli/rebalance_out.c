/* rebalance's output: the numbered steps on a terminal, and the steps document (JSON). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_rebalance.h"
#include "vmplan/size.h"

#define CPUS_TEXT 4096

/* The host nodes (OS ids) of a placed VM's cells. */
static void cell_nodes(vmp_cpuset *out, const vmp_plan_vm *pv)
{
	vmp_cpuset_zero(out);
	for (int c = 0; c < pv->ncells; c++)
		vmp_cpuset_set(out, pv->cells[c].host_node);
}

/* "pins 8-11 on node 1" of a placed VM. */
static void print_place(const vmp_plan_vm *pv)
{
	char cpus[CPUS_TEXT], nodes[256];
	vmp_cpuset set;

	cell_nodes(&set, pv);
	vmp_cpuset_format(cpus, sizeof(cpus), &pv->pcpus);
	vmp_cpuset_format(nodes, sizeof(nodes), &set);
	printf("pins %s on node%s %s", cpus, vmp_cpuset_count(&set) == 1 ? "" : "s", nodes);
}

static void print_step(const vmp_rebalance *rb, int i, const vmp_fleet *fleet)
{
	const vmp_rebalance_step *st = &rb->steps[i];
	char mem[32], old[CPUS_TEXT];

	vmp_size_human(mem, sizeof(mem), st->memory_bytes);
	vmp_cpuset_format(old, sizeof(old), &st->from_cpus);
	if (st->kind == VMP_STEP_MIGRATE)
		printf("%d. migrate %s (%s) %s -> %s, ", i + 1, st->vm, mem,
		       fleet->hosts[st->from].name, fleet->hosts[st->to].name);
	else
		printf("%d. re-pin %s (%s) on %s from pins %s to ", i + 1, st->vm, mem,
		       fleet->hosts[st->to].name, old);
	print_place(&st->plan->vms[0]);
	if (st->after >= 0)
		printf(" (after step %d frees the room)", st->after + 1);
	if (st->temporary) {
		int k = i + 1;

		while (k < rb->nsteps && strcmp(rb->steps[k].vm, st->vm))
			k++;
		printf(" (temporary hop: it moves again in step %d)", k + 1);
	}
	printf("\n");
}

static uint64_t moved_bytes(const vmp_rebalance *rb)
{
	uint64_t total = 0;

	for (int i = 0; i < rb->nsteps; i++)
		total += rb->steps[i].memory_bytes;
	return total;
}

static void print_fits(const vmp_rebalance *rb, const vmp_fleet *fleet)
{
	char mem[32];

	vmp_size_human(mem, sizeof(mem), moved_bytes(rb));
	if (rb->nsteps)
		printf("after %d step%s (%s moved):\n", rb->nsteps, rb->nsteps == 1 ? "" : "s",
		       mem);
	else
		printf("no move needed:\n");
	for (int r = 0; r < rb->nfits; r++) {
		const vmp_plan_vm *pv = &rb->fits[r].plan->vms[0];

		if (rb->fits[r].host < 0) {
			printf("  %s does not fit\n", pv->req.name);
			continue;
		}
		printf("  %s fits on %s, ", pv->req.name, fleet->hosts[rb->fits[r].host].name);
		print_place(pv);
		printf("\n");
	}
}

void cli_rebalance_print(const vmp_rebalance *rb, const vmp_fleet *fleet, int max_moves)
{
	printf("fleet: %d host%s, %d up; %d running VM%s can move\n", fleet->nhosts,
	       fleet->nhosts == 1 ? "" : "s", vmp_fleet_up_count(fleet), rb->moved_vms,
	       rb->moved_vms == 1 ? "" : "s");
	if (rb->make_room && !rb->done) {
		cli_error("no room within %d move%s: %s", max_moves, max_moves == 1 ? "" : "s",
			  rb->why);
		if (rb->budget_out)
			cli_error("the search stopped after %ld candidate moves; lower --max-moves",
				  rb->candidates);
		return;
	}
	for (int i = 0; i < rb->nsteps; i++)
		print_step(rb, i, fleet);
	if (rb->make_room) {
		print_fits(rb, fleet);
		return;
	}
	if (!rb->done)
		printf("nothing to free within %d move%s\n", max_moves, max_moves == 1 ? "" : "s");
	if (rb->budget_out)
		printf("the search stopped after %ld candidate moves: the best found by then\n",
		       rb->candidates);
	printf("free hosts: %d -> %d, free NUMA nodes: %d -> %d\n", rb->free_hosts_before,
	       rb->free_hosts_after, rb->free_nodes_before, rb->free_nodes_after);
}

static json_t *cpus_json(const vmp_cpuset *set)
{
	char text[CPUS_TEXT];

	vmp_cpuset_format(text, sizeof(text), set);
	return json_string(text);
}

static json_t *place_json(const vmp_fleet *fleet, int host, const vmp_plan_vm *pv)
{
	json_t *pins = json_array(), *cells = json_array();
	vmp_cpuset nodes;

	cell_nodes(&nodes, pv);
	for (unsigned v = 0; pins && v < pv->req.vcpus; v++)
		json_array_append_new(pins, json_integer(pv->vcpupin[v]));
	for (int c = 0; cells && c < pv->ncells; c++)
		json_array_append_new(cells, json_pack("{s:i,s:I}", "node", pv->cells[c].host_node,
						       "memory_bytes",
						       (json_int_t)pv->cells[c].memory_bytes));
	return json_pack("{s:s,s:s,s:o,s:o,s:o*,s:o,s:o*}", "host", fleet->hosts[host].name, "uri",
			 fleet->hosts[host].uri, "cpus", cpus_json(&pv->pcpus), "nodes",
			 cpus_json(&nodes), "vcpupin", pins, "emulatorpin",
			 cpus_json(&pv->emulatorpin), "cells", cells);
}

static json_t *step_json(const vmp_rebalance *rb, int i, const vmp_fleet *fleet, const char *xml)
{
	const vmp_rebalance_step *st = &rb->steps[i];
	json_t *from = json_pack("{s:s,s:s,s:o,s:o}", "host", fleet->hosts[st->from].name, "uri",
				 fleet->hosts[st->from].uri, "cpus", cpus_json(&st->from_cpus),
				 "nodes", cpus_json(&st->from_nodes));

	return json_pack("{s:i,s:s,s:s,s:I,s:o*,s:o*,s:o,s:b,s:o}", "step", i + 1, "action",
			 st->kind == VMP_STEP_MIGRATE ? "migrate" : "repin", "vm", st->vm,
			 "memory_bytes", (json_int_t)st->memory_bytes, "from", from, "to",
			 place_json(fleet, st->to, &st->plan->vms[0]), "after",
			 st->after >= 0 ? json_integer(st->after + 1) : json_null(), "temporary",
			 st->temporary, "xml", xml ? json_string(xml) : json_null());
}

static json_t *fit_json(const vmp_rebalance_fit *fit, const vmp_fleet *fleet)
{
	const vmp_plan_vm *pv = &fit->plan->vms[0];

	if (fit->host < 0)
		return json_pack("{s:s,s:b,s:s}", "vm", pv->req.name, "placed", 0, "reason",
				 pv->reason);
	return json_pack("{s:s,s:b,s:o*}", "vm", pv->req.name, "placed", 1, "to",
			 place_json(fleet, fit->host, pv));
}

int cli_rebalance_json(char **out, const vmp_rebalance *rb, const vmp_fleet *fleet, int max_moves,
		       char *const *xmls)
{
	json_t *steps = json_array(), *fits = json_array(), *root;

	for (int i = 0; steps && i < rb->nsteps; i++)
		json_array_append_new(steps, step_json(rb, i, fleet, xmls ? xmls[i] : NULL));
	for (int r = 0; fits && r < rb->nfits; r++)
		json_array_append_new(fits, fit_json(&rb->fits[r], fleet));
	root = json_pack("{s:i,s:s,s:b,s:i,s:I,s:o*,s:o*,s:{s:i,s:i},s:{s:i,s:i},s:s}", "schema", 1,
			 "kind", "rebalance", "done", rb->done, "max_moves", max_moves,
			 "memory_moved_bytes", (json_int_t)moved_bytes(rb), "steps", steps, "fits",
			 fits, "free_hosts", "before", rb->free_hosts_before, "after",
			 rb->free_hosts_after, "free_nodes", "before", rb->free_nodes_before,
			 "after", rb->free_nodes_after, "why", rb->why);
	*out = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	json_decref(root);
	if (!*out) {
		cli_error("out of memory");
		return EXIT_RUNTIME;
	}
	return 0;
}
