/* Unit tests of the guest engine's host-side checks on /proc trees written by the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../bench/guest_internal.h"
#include "vmplan/error.h"

static char root[128];
static int pins[2][1] = {{0}, {1}};

static void put(const char *rel, const char *text)
{
	char path[512], dir[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = dir + strlen(root) + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* A QEMU process: main thread pid, vCPU 0 thread pid + 1, one 256 MiB guest RAM mapping. */
static void qemu(long pid, const char *vcpu_cpus, const char *emu_cpus, const char *pages)
{
	char rel[128], text[256];

	snprintf(rel, sizeof(rel), "%ld/task/%ld/comm", pid, pid);
	put(rel, "qemu-system-x86\n");
	snprintf(rel, sizeof(rel), "%ld/task/%ld/status", pid, pid);
	snprintf(text, sizeof(text), "Name:\tqemu\nCpus_allowed_list:\t%s\n", emu_cpus);
	put(rel, text);
	snprintf(rel, sizeof(rel), "%ld/task/%ld/comm", pid, pid + 1);
	put(rel, "CPU 0/TCG\n");
	snprintf(rel, sizeof(rel), "%ld/task/%ld/status", pid, pid + 1);
	snprintf(text, sizeof(text), "Name:\tCPU 0/TCG\nCpus_allowed_list:\t%s\n", vcpu_cpus);
	put(rel, text);
	snprintf(rel, sizeof(rel), "%ld/numa_maps", pid);
	snprintf(text, sizeof(text),
		 "55d000000000 default file=/usr/bin/qemu mapped=10 N0=10 kernelpagesize_kB=4\n"
		 "7f0000000000 bind:0 anon=100 dirty=100 %s\n",
		 pages);
	put(rel, text);
	snprintf(rel, sizeof(rel), "%ld/maps", pid);
	put(rel, "55d000000000-55d000100000 r-xp 00000000 08:01 1 /usr/bin/qemu\n"
		 "7f0000000000-7f0010000000 rw-p 00000000 00:00 0\n");
}

/* VM i of two: 1 vCPU pinned to CPU i, emulator there too, one cell of 256 MiB on node 0. */
static vmp_plan_vm vm_on(int i)
{
	static vmp_plan_cell cells[2];
	vmp_plan_vm vm;

	memset(&vm, 0, sizeof(vm));
	memset(&cells[i], 0, sizeof(cells[i]));
	vm.cells = &cells[i];
	vm.room_cells = 1;
	snprintf(vm.req.name, sizeof(vm.req.name), "%s", i ? "b" : "a");
	vm.placed = true;
	vm.req.vcpus = 1;
	vm.req.cpu = VMP_CPU_DEDICATED;
	vm.vcpupin = pins[i];
	vmp_cpuset_set(&vm.pcpus, pins[i][0]);
	vmp_cpuset_set(&vm.emulatorpin, pins[i][0]);
	vm.ncells = 1;
	vm.cells[0].host_node = 0;
	vm.cells[0].memory_bytes = (uint64_t)256 << 20;
	vmp_cpuset_set(&vm.cells[0].vcpus, 0);
	return vm;
}

static const vmp_bench_guest_check *find(const guest_checks *c, const char *vm, const char *what)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->items[i].vm, vm) && !strcmp(c->items[i].what, what))
			return &c->items[i];
	fail_msg("no check '%s' of vm %s", what, vm);
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/vmplan-test-guest-checks-%ld", (long)getpid());
	return mkdir(root, 0755);
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_good(void **state)
{
	vmp_plan_vm a = vm_on(0);
	guest_checks c = {0};

	(void)state;
	qemu(100, "0", "0", "N0=100 kernelpagesize_kB=4");
	guest_check_host(&c, &a, 100, 0, 0, root, "/nonexistent/resctrl");
	assert_true(find(&c, "a", "vcpu 0 affinity")->ok);
	assert_true(find(&c, "a", "emulator affinity")->ok);
	assert_true(find(&c, "a", "cell 0 memory")->ok);
	assert_non_null(strstr(find(&c, "a", "cell 0 memory")->found, "N0=100"));
	assert_true(find(&c, "a", "resctrl group")->skipped);
	for (int i = 0; i < c.n; i++)
		assert_true(c.items[i].ok);
	guest_checks_free(&c);
}

static void test_memory_on_wrong_node(void **state)
{
	vmp_plan_vm a = vm_on(0);
	guest_checks c = {0};

	(void)state;
	qemu(100, "0", "0", "N0=40 N1=60 kernelpagesize_kB=4");
	guest_check_host(&c, &a, 100, 0, 0, root, "/nonexistent/resctrl");
	assert_false(find(&c, "a", "cell 0 memory")->ok);
	assert_non_null(strstr(find(&c, "a", "cell 0 memory")->found, "N1=60"));
	guest_checks_free(&c);

	/* Hugepages planned, 4 KiB pages found. */
	qemu(100, "0", "0", "N0=100 kernelpagesize_kB=4");
	guest_check_host(&c, &a, 100, 0, 2048, root, "/nonexistent/resctrl");
	assert_false(find(&c, "a", "cell 0 memory")->ok);
	guest_checks_free(&c);
}

static void test_repinned(void **state)
{
	vmp_plan_vm a = vm_on(0);
	guest_checks c = {0};

	(void)state;
	/* Pinned as planned in the first sample, moved (virsh vcpupin) in the second. */
	qemu(100, "0", "0", "N0=100 kernelpagesize_kB=4");
	guest_check_host(&c, &a, 100, 0, 0, root, "/nonexistent/resctrl");
	assert_true(find(&c, "a", "vcpu 0 affinity")->ok);
	qemu(100, "0-1", "0", "N0=100 kernelpagesize_kB=4");
	guest_check_host(&c, &a, 100, 0, 0, root, "/nonexistent/resctrl");
	qemu(100, "0", "0", "N0=100 kernelpagesize_kB=4");
	guest_check_host(&c, &a, 100, 0, 0, root, "/nonexistent/resctrl");
	assert_false(find(&c, "a", "vcpu 0 affinity")->ok);
	assert_string_equal(find(&c, "a", "vcpu 0 affinity")->found, "0-1");
	guest_checks_free(&c);
}

static void test_two_vms_one_cpu(void **state)
{
	vmp_plan_vm vms[2] = {vm_on(0), vm_on(1)};
	vmp_plan plan = {.nvms = 2, .vms = vms};
	long pids[2] = {100, 200};
	guest_checks c = {0};

	(void)state;
	qemu(100, "0", "0", "N0=100 kernelpagesize_kB=4");
	qemu(200, "1", "1", "N0=100 kernelpagesize_kB=4");
	guest_check_exclusive(&c, &plan, pids, root);
	assert_true(find(&c, "a", "vcpu 0 dedicated")->ok);
	assert_true(find(&c, "b", "vcpu 0 dedicated")->ok);
	guest_checks_free(&c);

	/* The plan edited so that b's vCPU is on CPU 0 too: each is pinned as planned, but the
	 * CPU is not theirs alone. */
	qemu(200, "0", "0", "N0=100 kernelpagesize_kB=4");
	guest_check_exclusive(&c, &plan, pids, root);
	assert_false(find(&c, "a", "vcpu 0 dedicated")->ok);
	assert_non_null(strstr(find(&c, "a", "vcpu 0 dedicated")->found, "vm b vcpu 0"));
	assert_false(find(&c, "b", "vcpu 0 dedicated")->ok);
	guest_checks_free(&c);
}

static void test_process_gone(void **state)
{
	vmp_plan_vm a = vm_on(0);
	guest_checks c = {0};

	(void)state;
	/* A guest that powered off between two samples adds nothing. */
	guest_check_host(&c, &a, 999, 0, 0, root, "/nonexistent/resctrl");
	assert_int_equal(c.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),         cmocka_unit_test(test_memory_on_wrong_node),
	    cmocka_unit_test(test_repinned),     cmocka_unit_test(test_two_vms_one_cpu),
	    cmocka_unit_test(test_process_gone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
