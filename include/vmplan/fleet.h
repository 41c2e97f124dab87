/* A fleet of hosts (fleet.yaml) and a fleet plan: one plan per host (fleet plan.json). */
#ifndef VMPLAN_FLEET_H
#define VMPLAN_FLEET_H

#include <stdbool.h>

#include "vmplan/model.h"

#define VMP_FLEET_LABELS_MAX 16    /* labels of one host */
#define VMP_FLEET_HOSTS_MAX  65536 /* hosts of one fleet file */
#define VMP_FLEET_SCHEMA     1

/* One host of a fleet: where it comes from, its labels, and its model once loaded. */
typedef struct vmp_fleet_host {
	char name[VMP_NAME_MAX]; /* what output calls it: name:, else the URI's host or the file */
	char uri[1024];          /* a libvirt URI, or "" for a saved host.json */
	char path[1024];         /* a saved host.json, or "" for a URI */
	int nlabels;
	char labels[VMP_FLEET_LABELS_MAX][64];
	vmp_host *host; /* the model (owned); NULL until loaded, and for a host that is down */
	bool down;      /* could not be loaded or probed; error says why */
	char error[512];
} vmp_fleet_host;

/* A fleet: hosts in the order of the file. Owned; vmp_fleet_free(). */
typedef struct vmp_fleet {
	int nhosts;
	vmp_fleet_host *hosts;
} vmp_fleet;

/**
 * Load a fleet file (YAML, through libyaml): a mapping with a "hosts" list,
 * each entry a mapping of "uri: URI" or "host: host.json" (one of them),
 * optional "name: NAME" and "labels: [L, ...]" (or one label as a scalar).
 * A relative host.json path is taken from the fleet file's directory. The
 * hosts are not loaded (see vmp_fleet_load_host() and probes' vmp_fleet_probe()).
 *
 * @param out  the fleet; the caller frees it with vmp_fleet_free()
 * @param path the file
 * @return VMP_OK; VMP_ENOTFOUND when it cannot be read; VMP_EINVAL with a
 *         message naming the file, the entry and its line
 */
int vmp_fleet_load(vmp_fleet **out, const char *path);

/**
 * Build a fleet in memory (tests, benchmarks): n hosts named by names, each
 * taking ownership of hosts[i]; labels[i] is a comma-separated list or NULL.
 * @return VMP_OK or VMP_ENOMEM; on failure the hosts are freed
 */
int vmp_fleet_from_hosts(vmp_fleet **out, vmp_host **hosts, const char *const *names,
			 const char *const *labels, int n);

/**
 * Load a host.json host of the fleet into fh->host; a failure marks it down
 * with the message in fh->error and returns the code.
 */
int vmp_fleet_load_host(vmp_fleet_host *fh);

/** Whether the host carries label. */
bool vmp_fleet_host_has_label(const vmp_fleet_host *fh, const char *label);

/** How many hosts are up (loaded). */
int vmp_fleet_up_count(const vmp_fleet *fleet);

/** Free a fleet, its hosts' models included; NULL is fine. */
void vmp_fleet_free(vmp_fleet *fleet);

/* One host's part of a fleet plan. */
typedef struct vmp_fleet_plan_host {
	char name[VMP_NAME_MAX];
	char uri[1024]; /* the host's libvirt URI (for define), or "" */
	vmp_plan *plan; /* the VMs assigned to it, planned there; owned, never NULL */
} vmp_fleet_plan_host;

/* A fleet plan: the hosts that got VMs, each with its plan, and the VMs no host took. */
typedef struct vmp_fleet_plan {
	int schema;      /* VMP_FLEET_SCHEMA */
	char policy[16]; /* "pack" or "spread" */
	int nhosts;
	vmp_fleet_plan_host *hosts;
	vmp_plan *unplaced; /* placed == false with a reason each; owned, never NULL */
} vmp_fleet_plan;

/** Free a fleet plan; NULL is fine. */
void vmp_fleet_plan_free(vmp_fleet_plan *fp);

/** How many VMs of the fleet plan were placed, and (total) how many there are. */
int vmp_fleet_plan_placed_count(const vmp_fleet_plan *fp, int *total);

/**
 * Serialise a fleet plan: {"schema", "kind": "fleet", "policy", "hosts": [{"name",
 * "uri", "plan": <a plan.json>}], "unplaced": <a plan.json of the VMs not placed>}.
 * @param out the text; the caller frees it with free()
 * @return VMP_OK or VMP_ENOMEM
 */
int vmp_fleet_plan_to_json(char **out, const vmp_fleet_plan *fp);

/**
 * Read a fleet plan.json back (each host's plan as vmp_plan_from_json() reads one).
 * @param out  the plan; the caller frees it with vmp_fleet_plan_free()
 * @param text the document
 * @param name what messages call it (the file name)
 * @return VMP_OK; VMP_EINVAL with a message naming the field
 */
int vmp_fleet_plan_from_json(vmp_fleet_plan **out, const char *text, const char *name);

/** Whether a JSON document is a fleet plan ("kind": "fleet") rather than one host's plan. */
bool vmp_fleet_plan_is_fleet(const char *text);

#endif
