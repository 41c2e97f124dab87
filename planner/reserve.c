/* Housekeeping CPUs: the --reserve policies, and the CPUs that --reserve auto picks. */
#include <stdio.h>
#include <string.h>

#include "vmplan/error.h"
#include "vmplan/plan.h"

void vmp_plan_reserve_auto(vmp_cpuset *out, const vmp_host *h)
{
	vmp_cpuset_zero(out);
	if (!vmp_cpuset_empty(&h->isolated)) {
		vmp_cpuset_andnot(out, &h->online, &h->isolated);
		return;
	}
	for (int n = 0; n < h->nnodes; n++) {
		int first = -1, count = 0;
		for (int c = 0; c < h->ncores; c++) {
			if (h->cores[c].node != n)
				continue;
			if (first < 0)
				first = c;
			count++;
		}
		if (count >= 2)
			vmp_cpuset_or(out, out, &h->cores[first].pus);
	}
	vmp_cpuset_and(out, out, &h->online);
}

int vmp_plan_reserve(vmp_host *h, const char *policy)
{
	vmp_cpuset set;
	char buf[8192];

	if (!strcmp(policy, "auto")) {
		vmp_plan_reserve_auto(&h->reserved, h);
		return VMP_OK;
	}
	if (!strcmp(policy, "none")) {
		vmp_cpuset_zero(&h->reserved);
		return VMP_OK;
	}
	if (vmp_cpuset_parse(&set, policy) < 0) {
		snprintf(buf, sizeof(buf), "%s", vmp_error_last());
		vmp_error_set("bad --reserve: %s", buf);
		return VMP_EINVAL;
	}
	if (!vmp_cpuset_subset(&set, &h->online)) {
		vmp_cpuset_andnot(&set, &set, &h->online);
		vmp_cpuset_format(buf, sizeof(buf), &set);
		vmp_error_set("bad --reserve '%s': CPUs %s are not online on host '%s'", policy,
			      buf, h->hostname);
		return VMP_EINVAL;
	}
	h->reserved = set;
	return VMP_OK;
}
