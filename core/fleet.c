/* The fleet model: fleet.yaml loading, host.json hosts, and the fleet plan and its JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/error.h"
#include "vmplan/fleet.h"
#include "vmplan/host_json.h"
#include "vmplan/spec.h"
#include "yaml_internal.h"

void vmp_fleet_free(vmp_fleet *fleet)
{
	if (!fleet)
		return;
	for (int i = 0; i < fleet->nhosts; i++)
		vmp_host_free(fleet->hosts[i].host);
	free(fleet->hosts);
	free(fleet);
}

bool vmp_fleet_host_has_label(const vmp_fleet_host *fh, const char *label)
{
	for (int i = 0; i < fh->nlabels; i++)
		if (!strcmp(fh->labels[i], label))
			return true;
	return false;
}

int vmp_fleet_up_count(const vmp_fleet *fleet)
{
	int n = 0;

	for (int i = 0; i < fleet->nhosts; i++)
		n += fleet->hosts[i].host != NULL;
	return n;
}

/* Add one label; the message names where it came from. */
static int add_label(vmp_fleet_host *fh, const char *label, const char *where)
{
	size_t n = strlen(label);

	if (n == 0 || n >= sizeof(fh->labels[0]) ||
	    strspn(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		n) {
		vmp_error_set("%s: bad label '%s': use letters, digits, '.', '-', '_' (at most 63)",
			      where, label);
		return VMP_EINVAL;
	}
	if (fh->nlabels == VMP_FLEET_LABELS_MAX) {
		vmp_error_set("%s: more than %d labels", where, VMP_FLEET_LABELS_MAX);
		return VMP_EINVAL;
	}
	memcpy(fh->labels[fh->nlabels++], label, n + 1);
	return VMP_OK;
}

/* The name a URI host gets without name:: the URI's server, else the URI itself. */
static void name_from_uri(char *out, size_t size, const char *uri)
{
	const char *s = strstr(uri, "://");
	size_t n;

	s = s ? s + 3 : uri;
	if (strchr(s, '@') && strchr(s, '@') < s + strcspn(s, "/"))
		s = strchr(s, '@') + 1;
	n = strcspn(s, "/:?");
	if (n == 0) {
		/* A local URI (qemu:///system, test:///path): the path's last part, or the URI. */
		const char *slash = strrchr(uri, '/');
		snprintf(out, size, "%s", slash && slash[1] ? slash + 1 : uri);
		return;
	}
	snprintf(out, size, "%.*s", (int)n, s);
}

/* A relative host.json path is taken from the fleet file's directory; false if too long. */
static bool resolve_path(char *out, size_t size, const char *fleet_path, const char *p)
{
	const char *slash = strrchr(fleet_path, '/');
	int n;

	if (p[0] == '/' || !slash)
		n = snprintf(out, size, "%s", p);
	else
		n = snprintf(out, size, "%.*s/%s", (int)(slash - fleet_path), fleet_path, p);
	return n >= 0 && (size_t)n < size;
}

/* One value of a host entry's key; the message says where. */
static int host_key(vmp_fleet_host *fh, yaml_document_t *doc, const char *k, yaml_node_t *v,
		    const char *fleet_path, const char *where)
{
	const char *s = vmp_yaml_scalar(v);

	if (!strcmp(k, "labels") && v && v->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = v->data.sequence.items.start;
		     i < v->data.sequence.items.top; i++) {
			const char *l = vmp_yaml_scalar(yaml_document_get_node(doc, *i));
			int err;
			if (!l) {
				vmp_error_set("%s: 'labels' must be a list of words", where);
				return VMP_EINVAL;
			}
			if ((err = add_label(fh, l, where)) < 0)
				return err;
		}
		return VMP_OK;
	}
	if (!s) {
		vmp_error_set("%s: '%s' must be a single value", where, k);
		return VMP_EINVAL;
	}
	if (!strcmp(k, "labels"))
		return add_label(fh, s, where);
	if (!strcmp(k, "name")) {
		if (vmp_spec_check_name(s) < 0) {
			vmp_error_set("%s: bad name '%s'", where, s);
			return VMP_EINVAL;
		}
		snprintf(fh->name, sizeof(fh->name), "%s", s);
		return VMP_OK;
	}
	if (!strcmp(k, "uri") || !strcmp(k, "host")) {
		if (fh->uri[0] || fh->path[0] || !*s || strlen(s) >= sizeof(fh->uri) - 1) {
			vmp_error_set("%s: give one 'uri' or one 'host' (a host.json)", where);
			return VMP_EINVAL;
		}
		if (!strcmp(k, "uri"))
			snprintf(fh->uri, sizeof(fh->uri), "%s", s);
		else if (!resolve_path(fh->path, sizeof(fh->path), fleet_path, s)) {
			vmp_error_set("%s: the path of '%s' is too long", where, s);
			return VMP_EINVAL;
		}
		return VMP_OK;
	}
	vmp_error_set("%s: unknown key '%s' (expected uri, host, name, labels)", where, k);
	return VMP_EINVAL;
}

/* One entry of hosts: a mapping, or a URI as a plain scalar. */
static int load_entry(vmp_fleet_host *fh, yaml_document_t *doc, yaml_node_t *e,
		      const char *fleet_path, size_t i)
{
	char where[1200];
	const char *s = vmp_yaml_scalar(e);
	int err;

	snprintf(where, sizeof(where), "cannot load fleet '%s': hosts[%zu] (line %zu)", fleet_path,
		 i, e->start_mark.line + 1);
	if (s) {
		if ((err = host_key(fh, doc, "uri", e, fleet_path, where)) < 0)
			return err;
	} else if (e->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
		     p < e->data.mapping.pairs.top; p++) {
			const char *k = vmp_yaml_scalar(yaml_document_get_node(doc, p->key));
			if ((err = host_key(fh, doc, k ? k : "?",
					    yaml_document_get_node(doc, p->value), fleet_path,
					    where)) < 0)
				return err;
		}
	} else {
		vmp_error_set("%s: expected a mapping (uri: or host:, name:, labels:)", where);
		return VMP_EINVAL;
	}
	if (!fh->uri[0] && !fh->path[0]) {
		vmp_error_set("%s: give 'uri' (a libvirt URI) or 'host' (a host.json)", where);
		return VMP_EINVAL;
	}
	if (!fh->name[0]) {
		if (fh->uri[0])
			name_from_uri(fh->name, sizeof(fh->name), fh->uri);
		else
			name_from_uri(fh->name, sizeof(fh->name), fh->path);
	}
	return VMP_OK;
}

/* The "hosts" list of the document's root, or NULL with the message set. */
static yaml_node_t *hosts_list(yaml_document_t *doc, const char *path)
{
	yaml_node_t *root = yaml_document_get_root_node(doc), *hosts = NULL;

	if (root->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top; p++) {
			const char *k = vmp_yaml_scalar(yaml_document_get_node(doc, p->key));
			if (!k || strcmp(k, "hosts")) {
				vmp_error_set("cannot load fleet '%s': unknown top-level key '%s' "
					      "(expected 'hosts')",
					      path, k ? k : "?");
				return NULL;
			}
			hosts = yaml_document_get_node(doc, p->value);
		}
	if (!hosts || hosts->type != YAML_SEQUENCE_NODE ||
	    hosts->data.sequence.items.top == hosts->data.sequence.items.start) {
		vmp_error_set(
		    "cannot load fleet '%s': expected a non-empty 'hosts:' list at the top", path);
		return NULL;
	}
	return hosts;
}

/* Two hosts of one name would write into one XML directory. */
static int check_names(const vmp_fleet *f, const char *path)
{
	for (int i = 0; i < f->nhosts; i++)
		for (int j = 0; j < i; j++)
			if (!strcmp(f->hosts[i].name, f->hosts[j].name)) {
				vmp_error_set("cannot load fleet '%s': two hosts are called '%s'; "
					      "give one a name:",
					      path, f->hosts[i].name);
				return VMP_EINVAL;
			}
	return VMP_OK;
}

int vmp_fleet_load(vmp_fleet **out, const char *path)
{
	yaml_document_t doc;
	yaml_node_t *hosts;
	vmp_fleet *f = NULL;
	size_t count;
	int err;

	*out = NULL;
	if ((err = vmp_yaml_load_file(&doc, path, "fleet")) < 0)
		return err;
	err = VMP_EINVAL;
	if (!(hosts = hosts_list(&doc, path)))
		goto out;
	count = (size_t)(hosts->data.sequence.items.top - hosts->data.sequence.items.start);
	if (count > VMP_FLEET_HOSTS_MAX) {
		vmp_error_set("cannot load fleet '%s': more than %d hosts", path,
			      VMP_FLEET_HOSTS_MAX);
		goto out;
	}
	err = VMP_ENOMEM;
	if (!(f = calloc(1, sizeof(*f))) || !(f->hosts = calloc(count, sizeof(*f->hosts)))) {
		vmp_error_set("out of memory");
		goto out;
	}
	f->nhosts = (int)count;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *e = yaml_document_get_node(&doc, hosts->data.sequence.items.start[i]);
		if ((err = load_entry(&f->hosts[i], &doc, e, path, i)) < 0)
			goto out;
	}
	if ((err = check_names(f, path)) < 0)
		goto out;
	*out = f;
	f = NULL;
out:
	vmp_fleet_free(f);
	yaml_document_delete(&doc);
	return err;
}

int vmp_fleet_from_hosts(vmp_fleet **out, vmp_host **hosts, const char *const *names,
			 const char *const *labels, int n)
{
	vmp_fleet *f;

	*out = NULL;
	if (!(f = calloc(1, sizeof(*f))) || !(f->hosts = calloc((size_t)n, sizeof(*f->hosts)))) {
		free(f);
		for (int i = 0; i < n; i++)
			vmp_host_free(hosts[i]);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	f->nhosts = n;
	for (int i = 0; i < n; i++) {
		vmp_fleet_host *fh = &f->hosts[i];
		snprintf(fh->name, sizeof(fh->name), "%s", names[i]);
		fh->host = hosts[i];
		if (labels && labels[i]) {
			char buf[1024];
			snprintf(buf, sizeof(buf), "%s", labels[i]);
			for (char *save = NULL, *l = strtok_r(buf, ",", &save); l;
			     l = strtok_r(NULL, ",", &save))
				if (fh->nlabels < VMP_FLEET_LABELS_MAX)
					snprintf(fh->labels[fh->nlabels++], sizeof(fh->labels[0]),
						 "%s", l);
		}
	}
	*out = f;
	return VMP_OK;
}

int vmp_fleet_load_host(vmp_fleet_host *fh)
{
	int err = vmp_host_load_json(&fh->host, fh->path);

	if (err < 0) {
		fh->host = NULL;
		fh->down = true;
		snprintf(fh->error, sizeof(fh->error), "%s", vmp_error_last());
		return err;
	}
	if (!fh->host->hostname[0])
		snprintf(fh->host->hostname, sizeof(fh->host->hostname), "%s", fh->name);
	return VMP_OK;
}
