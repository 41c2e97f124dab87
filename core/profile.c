/* Loading workload profiles and VM mixes from YAML (libyaml's document API). */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "vmplan/error.h"
#include "vmplan/fileio.h"
#include "vmplan/profile.h"
#include "vmplan/request.h"
#include "yaml_internal.h"

#ifndef VMPLAN_PROFILE_DIR
#define VMPLAN_PROFILE_DIR "/usr/local/share/vmplan/profiles"
#endif

#define MAX_DIRS 16

const char *const *vmp_profile_dirs(void)
{
	static char env[4096];
	static const char *dirs[MAX_DIRS + 3];
	const char *e = getenv("VMPLAN_PROFILE_DIR");
	int n = 0;

	if (e && *e) {
		snprintf(env, sizeof(env), "%s", e);
		for (char *save = NULL, *d = strtok_r(env, ":", &save); d && n < MAX_DIRS;
		     d = strtok_r(NULL, ":", &save))
			dirs[n++] = d;
	}
#ifdef VMPLAN_SOURCE_PROFILE_DIR
	if (access(VMPLAN_SOURCE_PROFILE_DIR, R_OK) == 0)
		dirs[n++] = VMPLAN_SOURCE_PROFILE_DIR;
#endif
	dirs[n++] = VMPLAN_PROFILE_DIR;
	dirs[n] = NULL;
	return dirs;
}

/* The deepest nesting of lists and mappings, and the most events, a mix or profile may
 * have: a real one is 3 deep; limits checked while libyaml streams, before it builds. */
#define VMP_YAML_MAX_DEPTH  16
#define VMP_YAML_MAX_EVENTS 4000000

/* Stream the YAML text once, refusing what is too deep or too large to build. */
static int check_yaml_shape(const char *text, size_t len, const char *path, const char *what)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, err = VMP_OK;
	long events = 0;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (bool done = false; !done && err == VMP_OK; events++) {
		if (!yaml_parser_parse(&parser, &ev))
			break; /* the load that follows says what is wrong, with its line */
		done = ev.type == YAML_STREAM_END_EVENT;
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		if (depth > VMP_YAML_MAX_DEPTH) {
			vmp_error_set("cannot load %s '%s': nested more than %d deep at line %zu",
				      what, path, VMP_YAML_MAX_DEPTH, ev.start_mark.line + 1);
			err = VMP_EINVAL;
		} else if (events > VMP_YAML_MAX_EVENTS) {
			vmp_error_set("cannot load %s '%s': more than %d YAML nodes", what, path,
				      VMP_YAML_MAX_EVENTS);
			err = VMP_EINVAL;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return err;
}

/* Parse a whole YAML file into doc; the message names path. */
static int load_yaml(yaml_document_t *doc, const char *path, const char *what)
{
	yaml_parser_t parser;
	char *text;
	size_t len;
	int ok, err;

	/* A regular file of bounded size only (vmp_file_read): no FIFO, no /dev/zero. */
	if ((err = vmp_file_read(&text, &len, path, what)) < 0)
		return err;
	if ((err = check_yaml_shape(text, len, path, what)) < 0) {
		free(text);
		return err;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	ok = yaml_parser_load(&parser, doc);
	if (!ok)
		vmp_error_set("cannot load %s '%s': %s at line %zu", what, path,
			      parser.problem ? parser.problem : "bad YAML",
			      parser.problem_mark.line + 1);
	yaml_parser_delete(&parser);
	free(text);
	if (!ok)
		return VMP_EINVAL;
	if (!yaml_document_get_root_node(doc)) {
		yaml_document_delete(doc);
		vmp_error_set("cannot load %s '%s': the file is empty", what, path);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/*
 * Collect a mapping of scalars into keys/values (borrowed from doc); the
 * message says what is wrong and where, for the caller to prefix.
 */
/* Room for the sequences of a mapping, joined into '+' lists. */
typedef struct joined {
	char buf[2048];
	size_t used;
} joined;

/*
 * A sequence of scalars as a key of the table that takes a set ("[stream, latency]") writes
 * it: "stream+latency", kept in j; NULL when v is no such sequence or j is full.
 */
static const char *join_sequence(yaml_document_t *doc, const char *key, yaml_node_t *v, joined *j)
{
	const vmp_request_key *k = vmp_request_key_find(key);
	size_t start = j->used;

	if (!k || k->parse != VMP_PARSE_SET || v->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top;
	     i++) {
		const char *item = scalar(yaml_document_get_node(doc, *i));
		int len;

		if (!item)
			return NULL;
		len = snprintf(j->buf + j->used, sizeof(j->buf) - j->used, "%s%s",
			       j->used > start ? "+" : "", item);
		if (len < 0 || (size_t)len >= sizeof(j->buf) - j->used)
			return NULL;
		j->used += (size_t)len;
	}
	if (j->used == start || j->used + 1 >= sizeof(j->buf))
		return NULL;
	j->used++; /* past the NUL */
	return j->buf + start;
}

static int mapping_pairs(yaml_document_t *doc, yaml_node_t *map, const char **keys,
			 const char **values, size_t *n, size_t max, joined *j)
{
	*n = 0;
	j->used = 0;
	if (map->type != YAML_MAPPING_NODE) {
		vmp_error_set("line %zu: expected a mapping of keys to values",
			      map->start_mark.line + 1);
		return VMP_EINVAL;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *value = scalar(v);

		if (scalar(k) && v && !value)
			value = join_sequence(doc, scalar(k), v, j);
		if (!scalar(k) || !value) {
			vmp_error_set("line %zu: '%s' must have a single value",
				      (k ? k->start_mark.line : 0) + 1,
				      scalar(k) ? scalar(k) : "?");
			return VMP_EINVAL;
		}
		if (*n == max) {
			vmp_error_set("line %zu: too many keys", k->start_mark.line + 1);
			return VMP_EINVAL;
		}
		for (size_t i = 0; i < *n; i++)
			if (!strcmp(keys[i], scalar(k))) {
				vmp_error_set("line %zu: key '%s' is given twice",
					      k->start_mark.line + 1, scalar(k));
				return VMP_EINVAL;
			}
		keys[*n] = scalar(k);
		values[*n] = value;
		(*n)++;
	}
	return VMP_OK;
}

#define MAX_PAIRS 64

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The profiles' names in every directory of vmp_profile_dirs(), first one of a name. */
int vmp_profile_list(char ***out, size_t *n)
{
	const char *const *dirs = vmp_profile_dirs();
	char **names = NULL;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	for (int i = 0; dirs[i]; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			size_t len = strlen(e->d_name), k = 0;
			char **grown;
			if (len <= 5 || e->d_name[0] == '.' || strcmp(e->d_name + len - 5, ".yaml"))
				continue;
			while (k < count && !(strlen(names[k]) == len - 5 &&
					      !strncmp(names[k], e->d_name, len - 5)))
				k++;
			if (k < count) /* an earlier directory has it */
				continue;
			if (!(grown = realloc(names, (count + 1) * sizeof(*names))) ||
			    !(grown[count] = strndup(e->d_name, len - 5))) {
				if (grown)
					names = grown;
				closedir(d);
				vmp_profile_list_free(names, count);
				vmp_error_set("out of memory");
				return VMP_ENOMEM;
			}
			names = grown;
			count++;
		}
		if (d)
			closedir(d);
	}
	qsort(names, count, sizeof(*names), cmp_name);
	*out = names;
	*n = count;
	return VMP_OK;
}

void vmp_profile_list_free(char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

/* The message for a profile no directory has: the nearest name, or those there are. */
static void unknown_profile(const char *name, const char *searched)
{
	char **names = NULL, list[512] = "";
	size_t n = 0;
	const char *near = NULL;

	if (vmp_profile_list(&names, &n) == VMP_OK) {
		near = vmp_nearest_name(name, (const char *const *)names, n);
		for (size_t i = 0; i < n; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", names[i]);
	}
	if (near)
		vmp_error_set("unknown profile '%s'; did you mean '%s'? ('vmplan profiles' "
			      "lists them)",
			      name, near);
	else if (n)
		vmp_error_set("unknown profile '%s' (searched %s; set VMPLAN_PROFILE_DIR); there "
			      "are %s",
			      name, searched, list);
	else
		vmp_error_set("unknown profile '%s' (searched %s; set VMPLAN_PROFILE_DIR)", name,
			      searched);
	vmp_profile_list_free(names, n);
}

int vmp_profile_apply(vmp_vm_request *req, const char *name)
{
	const char *const *dirs = vmp_profile_dirs();
	const char *keys[MAX_PAIRS], *values[MAX_PAIRS];
	char path[4096], searched[2048] = "";
	joined j;
	yaml_document_t doc;
	vmp_vm_request r = *req;
	size_t n;
	int err;

	path[0] = '\0';
	for (int i = 0; dirs[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s.yaml", dirs[i], name);
		if (access(path, R_OK) == 0)
			break;
		size_t len = strlen(searched);
		snprintf(searched + len, sizeof(searched) - len, "%s%s", i ? ", " : "", dirs[i]);
		path[0] = '\0';
	}
	if (!path[0]) {
		unknown_profile(name, searched);
		return VMP_ENOTFOUND;
	}
	if ((err = load_yaml(&doc, path, "profile")) < 0)
		return err;
	err =
	    mapping_pairs(&doc, yaml_document_get_root_node(&doc), keys, values, &n, MAX_PAIRS, &j);
	for (size_t i = 0; err == 0 && i < n; i++) {
		if (!strcmp(keys[i], "name") || !strcmp(keys[i], "profile")) {
			vmp_error_set("a profile may not set '%s'", keys[i]);
			err = VMP_EINVAL;
		} else {
			err = vmp_request_set(&r, keys[i], values[i]);
		}
	}
	if (err < 0) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", vmp_error_last());
		vmp_error_set("bad profile '%s' (%s): %s", name, path, msg);
		err = err == VMP_ENOTFOUND ? VMP_EINVAL : err;
	} else {
		*req = r;
	}
	yaml_document_delete(&doc);
	return err;
}

int vmp_request_build(vmp_vm_request *out, const char *const *keys, const char *const *values,
		      size_t n)
{
	vmp_vm_request r = {0};
	int err;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(keys[i], keys[j])) {
				vmp_error_set("key '%s' is given twice", keys[i]);
				return VMP_EINVAL;
			}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(keys[i], "profile"))
			continue;
		if ((err = vmp_request_set(&r, keys[i], values[i])) < 0 ||
		    (err = vmp_profile_apply(&r, values[i])) < 0)
			return err;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(keys[i], "profile"))
			continue;
		if ((err = vmp_request_set(&r, keys[i], values[i])) < 0) {
			if (err == VMP_ENOTFOUND) {
				const char *near = vmp_request_key_suggest(keys[i]);
				size_t nkeys;
				vmp_request_keys(&nkeys);
				if (near)
					vmp_error_set("unknown key '%s'; did you mean '%s'?",
						      keys[i], near);
				else
					vmp_error_set("unknown key '%s' ('vmplan suggest --help' "
						      "lists the %zu keys)",
						      keys[i], nkeys);
				err = VMP_EINVAL;
			}
			return err;
		}
	}
	if (!r.name[0] || !r.vcpus || !r.memory_bytes) {
		vmp_error_set("missing key '%s' (name, vcpus and memory are required)",
			      !r.name[0] ? "name"
			      : !r.vcpus ? "vcpus"
					 : "memory");
		return VMP_EINVAL;
	}
	*out = r;
	return VMP_OK;
}

int vmp_mix_load(vmp_vm_request **out, size_t *n, const char *path)
{
	const char *keys[MAX_PAIRS], *values[MAX_PAIRS];
	joined j;
	yaml_document_t doc;
	yaml_node_t *root, *vms = NULL;
	vmp_vm_request *reqs = NULL;
	size_t count = 0, npairs;
	int err;

	*out = NULL;
	*n = 0;
	if ((err = load_yaml(&doc, path, "mix")) < 0)
		return err;
	root = yaml_document_get_root_node(&doc);
	if (root->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top; p++) {
			const char *k = scalar(yaml_document_get_node(&doc, p->key));
			if (k && !strcmp(k, "vms") && vms) {
				/* Two lists: the first would be dropped without a word. */
				vmp_error_set("cannot load mix '%s': 'vms' is given twice", path);
				err = VMP_EINVAL;
				goto out;
			} else if (k && !strcmp(k, "vms")) {
				vms = yaml_document_get_node(&doc, p->value);
			} else {
				vmp_error_set("cannot load mix '%s': unknown top-level key '%s' "
					      "(expected 'vms')",
					      path, k ? k : "?");
				err = VMP_EINVAL;
				goto out;
			}
		}
	}
	if (!vms || vms->type != YAML_SEQUENCE_NODE) {
		vmp_error_set("cannot load mix '%s': expected a 'vms:' list at the top", path);
		err = VMP_EINVAL;
		goto out;
	}
	count = (size_t)(vms->data.sequence.items.top - vms->data.sequence.items.start);
	if (count == 0) {
		vmp_error_set("cannot load mix '%s': the 'vms' list is empty", path);
		err = VMP_EINVAL;
		goto out;
	}
	if (!(reqs = calloc(count, sizeof(*reqs)))) {
		vmp_error_set("out of memory");
		err = VMP_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *e = yaml_document_get_node(&doc, vms->data.sequence.items.start[i]);
		if ((err = mapping_pairs(&doc, e, keys, values, &npairs, MAX_PAIRS, &j)) < 0 ||
		    (err = vmp_request_build(&reqs[i], keys, values, npairs)) < 0) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "%s", vmp_error_last());
			vmp_error_set("cannot load mix '%s': vms[%zu] (line %zu): %s", path, i,
				      e->start_mark.line + 1, msg);
			err = err == VMP_ENOTFOUND ? VMP_EINVAL : err;
			goto out;
		}
	}
	*out = reqs;
	*n = count;
	reqs = NULL;
out:
	free(reqs);
	yaml_document_delete(&doc);
	return err;
}

int vmp_yaml_load_file(yaml_document_t *doc, const char *path, const char *what)
{
	return load_yaml(doc, path, what);
}

const char *vmp_yaml_scalar(yaml_node_t *n)
{
	return scalar(n);
}
