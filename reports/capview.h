/* The capacity report's view of a capacity count: shapes grouped, the fleet's figures. */
#ifndef VMPLAN_REPORTS_CAPVIEW_H
#define VMPLAN_REPORTS_CAPVIEW_H

#include "reports/internal.h"
#include "vmplan/capacity.h"

/* VMs of the mix that ask for the same thing, names aside: one shape. */
typedef struct cgroup {
	int first;         /* the shape index of its first VM */
	int n;             /* VMs of the mix with this shape */
	char name[128];    /* named by what it asks: "database, 8 vCPUs, 32 GiB" */
	char members[192]; /* the VMs' names, "db1, db2, ..." (cut with "...") */
} cgroup;

typedef struct capview {
	const vmp_capacity_report *r;
	int ngroups;
	cgroup *g;
} capview;

int capview_init(capview *v, const vmp_capacity_report *r);
void capview_free(capview *v);
/* The first host where the whole mix fits under policy p, or -1. */
int capview_mix_host(const capview *v, int p);
/* The whole mix's copies summed over the fleet under p; capped when a host hit the limit. */
long capview_mix_total(const capview *v, int p, bool *capped);
/* Copies of group k that fit the empty fleet under p. */
long capview_alone(const capview *v, int p, int k, bool *capped);
/* Copies of group k that still fit once one whole mix is on its host: that host's count
 * beside the mix plus the other hosts' counts alone; -1 when the mix fits no host. */
long capview_more(const capview *v, int p, int k, bool *capped);
/* What stops the next copy of group k beside the mix (on the mix's host), or "". */
const char *capview_more_binds(const capview *v, int p, int k);
/* What is proven of a figure summed over hosts: optimal where every count is, the bounds'
 * sum where every count has a bound (else -1), heuristic where a count has none. */
typedef struct capproof {
	vmp_capacity_proof proof;
	long bound;
} capproof;
void capview_alone_proof(capproof *out, const capview *v, int p, int k);
void capview_more_proof(capproof *out, const capview *v, int p, int k);
void capview_mix_proof(capproof *out, const capview *v, int p);
/* A count and its mark: "7 (optimal)", ">= 7 (bound 9)", ">= 7 (heuristic)", "1024+". */
void capview_count_text(char *buf, size_t size, long n, bool capped, const capproof *pf);

/* Why a count of 0 is 0, in words, when the cause is a policy (housekeeping), or NULL. */
const char *capview_zero_why(const capview *v, int p, const vmp_capacity_count *c, int k);
/* Per host: the nodes' headroom summed (false when the mix does not fit the host). */
bool capview_host_headroom(vmp_capacity_node *out, const vmp_capacity_host *h);

/* capacity_chart.c: draw the charts; charts has room for 2 + nhosts. */
int capacity_charts(rchart *charts, int *ncharts, const capview *v, const vmp_report_opts *opts);
/* capacity_doc.c: the summary (term) and the whole document (full). */
void capacity_docs(rdoc *term, rdoc *full, const capview *v, const rchart *charts, int ncharts,
		   bool detail);

#endif
