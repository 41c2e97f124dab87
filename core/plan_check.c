/* A loaded plan against the host it is used on: no pin on a CPU, no cell on a node it lacks. */
#include <stdio.h>

#include "vmplan/cpuset.h"
#include "vmplan/error.h"
#include "vmplan/plan_json.h"

/* The first CPU of set that the host does not have online, or -1. */
static int missing_cpu(const vmp_cpuset *set, const vmp_host *host)
{
	vmp_cpuset extra;

	vmp_cpuset_andnot(&extra, set, &host->online);
	return vmp_cpuset_empty(&extra) ? -1 : vmp_cpuset_first(&extra);
}

int vmp_plan_check_host(const vmp_plan *plan, const char *name, const vmp_host *host)
{
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];
		int cpu = -1;

		if (!vm->placed)
			continue;
		if ((cpu = missing_cpu(&vm->pcpus, host)) < 0 &&
		    (cpu = missing_cpu(&vm->emulatorpin, host)) < 0)
			for (int t = 0; t < vm->niothreads && cpu < 0; t++)
				cpu = missing_cpu(&vm->iothreadpin[t], host);
		for (unsigned v = 0; cpu < 0 && vm->vcpupin && v < vm->req.vcpus; v++)
			if (vm->vcpupin[v] >= 0 && !vmp_cpuset_isset(&host->online, vm->vcpupin[v]))
				cpu = vm->vcpupin[v];
		if (cpu >= 0) {
			vmp_error_set("plan '%s' pins VM '%s' on CPU %d, which host '%s' does not "
				      "have; plan for this host",
				      name, vm->req.name, cpu, host->hostname);
			return VMP_EINVAL;
		}
		for (int c = 0; c < vm->ncells; c++)
			if (vmp_host_node_index(host, vm->cells[c].host_node) < 0) {
				vmp_error_set("plan '%s' puts VM '%s' on NUMA node %d, which host "
					      "'%s' does not have; plan for this host",
					      name, vm->req.name, vm->cells[c].host_node,
					      host->hostname);
				return VMP_EINVAL;
			}
	}
	return VMP_OK;
}
