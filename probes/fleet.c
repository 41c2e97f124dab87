/* Probing a fleet's hosts in parallel: each thread opens its own libvirt connection. */
#include <libvirt/libvirt.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "vmplan/error.h"
#include "vmplan/probe.h"
#include "vmplan/probe_fleet.h"

#define PROBE_THREADS_MAX 64

typedef struct probe_team {
	vmp_fleet *fleet;
	pthread_mutex_t lock;
	int next, done;
	vmp_fleet_progress_fn progress;
	void *arg;
} probe_team;

/* Load one host; a failure marks it down with the message. */
static void probe_one(vmp_fleet_host *fh)
{
	int err;

	if (fh->path[0]) {
		vmp_fleet_load_host(fh);
		return;
	}
	if ((err = vmp_probe_libvirt(&fh->host, fh->uri)) < 0) {
		fh->host = NULL;
		fh->down = true;
		snprintf(fh->error, sizeof(fh->error), "%s", vmp_error_last());
	}
}

static void *probe_worker(void *p)
{
	probe_team *t = p;

	for (;;) {
		int i;
		pthread_mutex_lock(&t->lock);
		i = t->next < t->fleet->nhosts ? t->next++ : -1;
		pthread_mutex_unlock(&t->lock);
		if (i < 0)
			return NULL;
		probe_one(&t->fleet->hosts[i]);
		pthread_mutex_lock(&t->lock);
		t->done++;
		if (t->progress)
			t->progress(t->arg, t->done, t->fleet->nhosts, &t->fleet->hosts[i]);
		pthread_mutex_unlock(&t->lock);
	}
}

int vmp_fleet_probe(vmp_fleet *fleet, int threads, vmp_fleet_progress_fn progress, void *arg)
{
	probe_team t = {.fleet = fleet, .progress = progress, .arg = arg};
	pthread_t tids[PROBE_THREADS_MAX];
	int started = 0;

	/* libvirt's and libxml2's global state are set up once, before threads use them (two
	 * threads initialising libxml2 at once each made its global mutex: one leaked). */
	if (virInitialize() < 0) {
		vmp_error_set("cannot initialise libvirt");
		return VMP_ESYS;
	}
	xmlInitParser();
	if (threads < 1)
		threads = 1;
	if (threads > PROBE_THREADS_MAX)
		threads = PROBE_THREADS_MAX;
	if (threads > fleet->nhosts)
		threads = fleet->nhosts;
	pthread_mutex_init(&t.lock, NULL);
	for (; started < threads; started++)
		if (pthread_create(&tids[started], NULL, probe_worker, &t) != 0)
			break;
	if (started == 0)
		probe_worker(&t); /* no thread: probe here, in turn */
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&t.lock);
	return VMP_OK;
}
