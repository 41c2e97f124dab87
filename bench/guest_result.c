/* The guest's result line (VMPLAN-RESULT {json}) from a serial log, read with jansson. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench/guest_internal.h"
#include "vmplan/error.h"

void guest_report_clear(guest_report *r)
{
	for (int w = 0; w < VMP_BENCH_NWORKLOADS; w++)
		free(r->samples[w]);
	memset(r, 0, sizeof(*r));
}

static int bad(const char *what, const char *fmt, const char *detail)
{
	char text[256];

	snprintf(text, sizeof(text), fmt, detail);
	vmp_error_set("cannot read the guest's result in '%s': %s", what, text);
	return VMP_EINVAL;
}

static unsigned get_uint(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (unsigned)json_integer_value(v)
							       : 0;
}

static int parse_topology(guest_report *out, json_t *topo, const char *what)
{
	json_t *nodes = json_object_get(topo, "nodes"), *node;
	size_t i;

	if (!json_is_array(nodes) || json_array_size(nodes) == 0)
		return bad(what, "%s", "topology has no \"nodes\" list");
	if (json_array_size(nodes) > GUEST_MAX_NODES)
		return bad(what, "%s", "topology has too many nodes");
	json_array_foreach(nodes, i, node)
	{
		struct guest_node *n = &out->nodes[i];
		json_t *id = json_object_get(node, "id"), *cpus = json_object_get(node, "cpus");
		json_t *mem = json_object_get(node, "memory_bytes");

		if (!json_is_integer(id) || !json_is_string(cpus) || !json_is_integer(mem))
			return bad(what, "%s",
				   "a topology node lacks \"id\", \"cpus\" or \"memory_bytes\"");
		n->id = (int)json_integer_value(id);
		if (vmp_cpuset_parse(&n->cpus, json_string_value(cpus)) < 0)
			return bad(what, "bad cpus '%s' of a topology node",
				   json_string_value(cpus));
		n->memory_bytes = (uint64_t)json_integer_value(mem);
	}
	out->nnodes = (int)json_array_size(nodes);
	out->sockets = get_uint(topo, "sockets");
	out->dies = get_uint(topo, "dies");
	out->cores = get_uint(topo, "cores");
	out->threads = get_uint(topo, "threads");
	return VMP_OK;
}

static int parse_workloads(guest_report *out, json_t *wls, const char *what)
{
	const char *key;
	json_t *wl;

	json_object_foreach(wls, key, wl)
	{
		vmp_bench_workload w;
		json_t *samples = json_object_get(wl, "samples"), *s;
		size_t i;

		if (vmp_bench_workload_parse(&w, key) < 0)
			return bad(what, "unknown workload '%s'", key);
		if (!json_is_array(samples))
			return bad(what, "workload '%s' has no \"samples\" list", key);
		free(out->samples[w]);
		out->nsamples[w] = 0;
		if (!(out->samples[w] = calloc(json_array_size(samples) + 1, sizeof(double)))) {
			vmp_error_set("out of memory");
			return VMP_ENOMEM;
		}
		json_array_foreach(samples, i, s)
		{
			if (!json_is_number(s))
				return bad(what, "a sample of workload '%s' is not a number", key);
			out->samples[w][out->nsamples[w]++] = json_number_value(s);
		}
	}
	return VMP_OK;
}

int guest_result_parse(guest_report *out, const char *json, const char *what)
{
	json_error_t jerr;
	json_t *root, *v;
	int err;

	memset(out, 0, sizeof(*out));
	if (!(root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr)))
		return bad(what, "not JSON: %s", jerr.text);
	err = VMP_EINVAL;
	if (!json_is_object(root)) {
		bad(what, "%s", "the result is not a JSON object");
		goto out;
	}
	v = json_object_get(root, "schema");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		bad(what, "%s", "\"schema\" is not 1");
		goto out;
	}
	v = json_object_get(root, "vm");
	if (!json_is_string(v)) {
		bad(what, "%s", "no \"vm\" name");
		goto out;
	}
	snprintf(out->vm, sizeof(out->vm), "%s", json_string_value(v));
	v = json_object_get(root, "error");
	if (json_is_string(v))
		snprintf(out->error, sizeof(out->error), "%s", json_string_value(v));
	else if (v && !json_is_null(v)) {
		bad(what, "%s", "\"error\" is neither null nor a string");
		goto out;
	}
	v = json_object_get(root, "topology");
	if (json_is_object(v)) {
		if ((err = parse_topology(out, v, what)) < 0)
			goto out;
	} else if (!out->error[0]) {
		err = bad(what, "%s", "no \"topology\" object");
		goto out;
	}
	v = json_object_get(root, "workloads");
	if (json_is_object(v)) {
		if ((err = parse_workloads(out, v, what)) < 0)
			goto out;
	} else if (!out->error[0]) {
		err = bad(what, "%s", "no \"workloads\" object");
		goto out;
	}
	err = VMP_OK;
out:
	json_decref(root);
	if (err < 0)
		guest_report_clear(out);
	return err;
}

int guest_result_read_log(guest_report *out, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *found = NULL, last[160] = "";
	size_t cap = 0;
	ssize_t len;
	bool ended = false;
	int err;

	memset(out, 0, sizeof(*out));
	if (!f) {
		vmp_error_set("cannot read the serial log '%s': %s", path, strerror(errno));
		return VMP_ESYS;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *m = strstr(line, GUEST_RESULT_MARKER);

		/* A line still being written (the serial port is slow under emulation) has no end.
		 */
		bool whole = len > 0 && line[len - 1] == '\n';

		line[strcspn(line, "\r\n")] = '\0';
		if (m) {
			free(found);
			found = strdup(m + strlen(GUEST_RESULT_MARKER));
			ended = whole;
		} else if (*line) {
			snprintf(last, sizeof(last), "%s", line);
		}
	}
	free(line);
	fclose(f);
	if (!found) {
		vmp_error_set("no result line (%s) in the serial log '%s'; its last line: '%s'",
			      "VMPLAN-RESULT", path, *last ? last : "(the log is empty)");
		return VMP_ENOTFOUND;
	}
	if (!ended) {
		vmp_error_set(
		    "the result line (%s) in the serial log '%s' is not complete: the guest "
		    "stopped, or is still writing it",
		    "VMPLAN-RESULT", path);
		free(found);
		return VMP_ENOTFOUND;
	}
	err = guest_result_parse(out, found, path);
	free(found);
	return err;
}
