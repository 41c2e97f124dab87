/* Capacity reports' data: the binding resources' names, a count's place, freeing. */
#include <stdlib.h>
#include <string.h>

#include "vmplan/capacity.h"

static const char *const bind_names[] = {
    [VMP_BIND_NONE] = "none (limit reached)",
    [VMP_BIND_CORES] = "dedicated cores",
    [VMP_BIND_MEMORY] = "memory per node",
    [VMP_BIND_HUGEPAGES] = "hugepages",
    [VMP_BIND_NODE_FIT] = "cores and memory on one node",
    [VMP_BIND_NUMA] = "nodes for the guest cells",
    [VMP_BIND_CACHE] = "cache ways",
    [VMP_BIND_CLOSIDS] = "resctrl classes of service",
    [VMP_BIND_MEMBW] = "memory bandwidth",
    [VMP_BIND_HOUSEKEEPING] = "housekeeping CPUs",
    [VMP_BIND_SHARED_POOL] = "shared CPU pool",
    [VMP_BIND_SHAPE] = "shape never fits",
    [VMP_BIND_OTHER] = "other",
};

const char *vmp_bind_name(vmp_bind bind)
{
	if ((unsigned)bind >= sizeof(bind_names) / sizeof(bind_names[0]))
		return "other";
	return bind_names[bind];
}

const char *vmp_capacity_proof_name(vmp_capacity_proof proof)
{
	switch (proof) {
	case VMP_CAPACITY_OPTIMAL:
		return "optimal";
	case VMP_CAPACITY_BOUNDED:
		return "bounded";
	default:
		return "heuristic";
	}
}

const vmp_capacity_count *vmp_capacity_at(const vmp_capacity_report *r, int policy, int host,
					  int unit)
{
	return &r->counts[((size_t)policy * (size_t)r->nhosts + (size_t)host) *
			      (size_t)(r->nshapes + 1) +
			  (size_t)unit];
}

const vmp_capacity_count *vmp_capacity_beside_at(const vmp_capacity_report *r, int policy, int host,
						 int shape)
{
	return &r->beside[((size_t)policy * (size_t)r->nhosts + (size_t)host) * (size_t)r->nshapes +
			  (size_t)shape];
}

bool vmp_capacity_same_shape(const vmp_vm_request *a, const vmp_vm_request *b)
{
	vmp_vm_request x, y;

	/* Whole copies, padding included: requests are built zeroed, so equal asks compare
	 * equal byte for byte once the names are blanked. */
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	memset(x.name, 0, sizeof(x.name));
	memset(y.name, 0, sizeof(y.name));
	return !memcmp(&x, &y, sizeof(x));
}

void vmp_capacity_report_free(vmp_capacity_report *r)
{
	if (!r)
		return;
	for (int i = 0; r->hosts && i < r->nhosts; i++)
		free(r->hosts[i].headroom);
	free(r->beside);
	free(r->hosts);
	free(r->shapes);
	free(r->counts);
	free(r);
}
