/* apply_repin URI DOMAIN CPU NODE [dry]: one rebalance re-pin step through vmp_rebalance_apply()
 * (vCPU 0 and the emulator on CPU, memory on NODE), for t_rebalance_apply.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmplan/error.h"
#include "vmplan/rebalance_apply.h"

static void say(void *arg, int step, const char *line)
{
	(void)arg;
	printf("step %d: %s\n", step + 1, line);
}

int main(int argc, char **argv)
{
	vmp_plan_vm vm;
	vmp_apply_step step;
	int failed, applied, err;

	if (argc < 5) {
		fprintf(stderr, "usage: apply_repin URI DOMAIN CPU NODE [dry]\n");
		return 2;
	}
	memset(&vm, 0, sizeof(vm));
	if (vmp_plan_vm_reserve(&vm, 0, 0, 0, 1) < 0 || !(vm.vcpupin = malloc(sizeof(int)))) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	snprintf(vm.req.name, sizeof(vm.req.name), "%s", argv[2]);
	vm.req.vcpus = 1;
	vm.placed = true;
	vm.vcpupin[0] = atoi(argv[3]);
	vmp_cpuset_set(&vm.pcpus, vm.vcpupin[0]);
	vm.emulatorpin = vm.pcpus;
	vm.ncells = 1;
	vm.cells[0].host_node = atoi(argv[4]);
	step =
	    (vmp_apply_step){.kind = VMP_APPLY_REPIN, .domain = argv[2], .uri = argv[1], .vm = &vm};
	err = vmp_rebalance_apply(&failed, &applied, &step, 1, argc > 5 && !strcmp(argv[5], "dry"),
				  say, NULL);
	if (err < 0)
		fprintf(stderr, "step %d failed: %s\n", failed + 1, vmp_error_last());
	vmp_plan_vm_release(&vm);
	return err < 0 ? 1 : 0;
}
