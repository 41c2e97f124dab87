/* The fleet plan: one plan per host and the VMs no host took; fleet plan.json both ways. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/error.h"
#include "vmplan/fleet.h"
#include "vmplan/plan_json.h"

void vmp_fleet_plan_free(vmp_fleet_plan *fp)
{
	if (!fp)
		return;
	for (int i = 0; i < fp->nhosts; i++)
		vmp_plan_free(fp->hosts[i].plan);
	free(fp->hosts);
	vmp_plan_free(fp->unplaced);
	free(fp);
}

int vmp_fleet_plan_placed_count(const vmp_fleet_plan *fp, int *total)
{
	int placed = 0, all = fp->unplaced ? fp->unplaced->nvms : 0;

	for (int i = 0; i < fp->nhosts; i++) {
		for (int v = 0; v < fp->hosts[i].plan->nvms; v++)
			placed += fp->hosts[i].plan->vms[v].placed;
		all += fp->hosts[i].plan->nvms;
	}
	if (total)
		*total = all;
	return placed;
}

/* A plan as a JSON value (through its own serialiser), or NULL. */
static json_t *plan_value(const vmp_plan *plan)
{
	char *text = NULL;
	json_t *v;

	if (vmp_plan_to_json(&text, plan) < 0)
		return NULL;
	v = json_loads(text, 0, NULL);
	free(text);
	return v;
}

int vmp_fleet_plan_to_json(char **out, const vmp_fleet_plan *fp)
{
	json_t *root = json_object(), *hosts = json_array(), *u;
	int err = VMP_ENOMEM;

	*out = NULL;
	json_object_set_new(root, "schema", json_integer(fp->schema));
	json_object_set_new(root, "kind", json_string("fleet"));
	json_object_set_new(root, "policy", json_string(fp->policy));
	json_object_set_new(root, "hosts", hosts);
	for (int i = 0; i < fp->nhosts; i++) {
		json_t *h = json_object(), *p = plan_value(fp->hosts[i].plan);
		if (!p) {
			json_decref(h);
			goto out;
		}
		json_object_set_new(h, "name", json_string(fp->hosts[i].name));
		json_object_set_new(h, "uri", json_string(fp->hosts[i].uri));
		json_object_set_new(h, "plan", p);
		json_array_append_new(hosts, h);
	}
	if (!(u = plan_value(fp->unplaced)))
		goto out;
	json_object_set_new(root, "unplaced", u);
	if ((*out =
		 json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))))
		err = VMP_OK;
out:
	json_decref(root);
	if (err < 0)
		vmp_error_set("cannot serialise the fleet plan: out of memory");
	return err;
}

bool vmp_fleet_plan_is_fleet(const char *text)
{
	json_t *root = json_loads(text, 0, NULL);
	json_t *kind = json_is_object(root) ? json_object_get(root, "kind") : NULL;
	bool fleet = json_is_string(kind) && !strcmp(json_string_value(kind), "fleet");

	json_decref(root);
	return fleet;
}

/* A plan held in the document at where; the message names it. */
static int load_plan(vmp_plan **out, json_t *v, const char *name, const char *where)
{
	char *text, label[1400];
	int err;

	if (!json_is_object(v)) {
		vmp_error_set("cannot load fleet plan '%s': %s: expected a plan object", name,
			      where);
		return VMP_EINVAL;
	}
	if (!(text = json_dumps(v, 0))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	snprintf(label, sizeof(label), "%s (%s)", name, where);
	err = vmp_plan_from_json(out, text, label);
	free(text);
	return err;
}

/* A string member of at most size - 1 bytes. */
static int get_str(char *out, size_t size, json_t *o, const char *key, const char *name,
		   const char *where)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || strlen(json_string_value(v)) >= size) {
		vmp_error_set("cannot load fleet plan '%s': %s.%s: expected a string (at most %zu "
			      "bytes)",
			      name, where, key, size - 1);
		return VMP_EINVAL;
	}
	snprintf(out, size, "%s", json_string_value(v));
	return VMP_OK;
}

static int load_hosts(vmp_fleet_plan *fp, json_t *hosts, const char *name)
{
	size_t n = json_array_size(hosts);
	int err;

	if (!json_is_array(hosts)) {
		vmp_error_set("cannot load fleet plan '%s': hosts: expected an array", name);
		return VMP_EINVAL;
	}
	if (n && !(fp->hosts = calloc(n, sizeof(*fp->hosts)))) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *h = json_array_get(hosts, i);
		char where[64];
		snprintf(where, sizeof(where), "hosts[%zu]", i);
		if ((err = get_str(fp->hosts[i].name, sizeof(fp->hosts[i].name), h, "name", name,
				   where)) < 0 ||
		    (err = get_str(fp->hosts[i].uri, sizeof(fp->hosts[i].uri), h, "uri", name,
				   where)) < 0)
			return err;
		snprintf(where, sizeof(where), "hosts[%zu].plan", i);
		if ((err = load_plan(&fp->hosts[i].plan, json_object_get(h, "plan"), name, where)) <
		    0)
			return err;
		fp->nhosts++;
	}
	return VMP_OK;
}

int vmp_fleet_plan_from_json(vmp_fleet_plan **out, const char *text, const char *name)
{
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr), *schema;
	vmp_fleet_plan *fp = NULL;
	int err = VMP_EINVAL;

	*out = NULL;
	if (!root) {
		vmp_error_set("cannot load fleet plan '%s': %s at line %d", name, jerr.text,
			      jerr.line);
		return VMP_EINVAL;
	}
	schema = json_object_get(root, "schema");
	if (!vmp_fleet_plan_is_fleet(text) || !json_is_integer(schema) ||
	    json_integer_value(schema) != VMP_FLEET_SCHEMA) {
		vmp_error_set("cannot load fleet plan '%s': expected \"kind\": \"fleet\" and "
			      "\"schema\": %d",
			      name, VMP_FLEET_SCHEMA);
		goto out;
	}
	if (!(fp = calloc(1, sizeof(*fp)))) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	fp->schema = VMP_FLEET_SCHEMA;
	if ((err = get_str(fp->policy, sizeof(fp->policy), root, "policy", name, "")) < 0 ||
	    (err = load_hosts(fp, json_object_get(root, "hosts"), name)) < 0 ||
	    (err = load_plan(&fp->unplaced, json_object_get(root, "unplaced"), name, "unplaced")) <
		0)
		goto out;
	*out = fp;
	fp = NULL;
out:
	vmp_fleet_plan_free(fp);
	json_decref(root);
	return err;
}
