/* Verifying a plan against what libvirt and /proc report for running domains. */
#include "unit/exportcheck.h"

static const vmp_mismatch *find_mismatch(const vmp_verify_report *r, const char *what)
{
	for (int i = 0; i < r->nmismatches; i++)
		if (!strcmp(r->mismatches[i].what, what))
			return &r->mismatches[i];
	return NULL;
}

static void write_file(const char *path, const char *text)
{
	assert_int_equal(vmp_file_write_atomic(path, text, strlen(text)), VMP_OK);
}

/* A /proc of one QEMU process: main thread 100, vCPU threads 101-104, I/O threads 105-106. */
static void fake_proc(const char *root, const char *cpu3_allowed)
{
	static const struct {
		int tid;
		const char *comm, *allowed;
	} t[] = {{100, "qemu-system-x86", "0-1"}, {101, "CPU 0/KVM", "2"},
		 {102, "CPU 1/KVM", "4"},         {103, "CPU 2/KVM", "10"},
		 {104, "CPU 3/KVM", NULL},        {105, "IO iothread1", "0"},
		 {106, "IO iothread2", "1,8"},    {107, "call_rcu", "0-1"}};
	char path[512], text[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(path, sizeof(path), "%s/proc/100/task/%d", root, t[i].tid);
		assert_int_equal(vmp_mkdir_p(path), VMP_OK);
		snprintf(path, sizeof(path), "%s/proc/100/task/%d/comm", root, t[i].tid);
		snprintf(text, sizeof(text), "%s\n", t[i].comm);
		write_file(path, text);
		snprintf(path, sizeof(path), "%s/proc/100/task/%d/status", root, t[i].tid);
		snprintf(text, sizeof(text),
			 "Name:\t%s\nCpus_allowed:\tffff\nCpus_allowed_list:\t%s\n", t[i].comm,
			 t[i].allowed ? t[i].allowed : cpu3_allowed);
		write_file(path, text);
	}
	snprintf(path, sizeof(path), "%s/run", root);
	assert_int_equal(vmp_mkdir_p(path), VMP_OK);
	snprintf(path, sizeof(path), "%s/run/rt.pid", root);
	write_file(path, "100");
}

/* Set or (value NULL) unset an environment variable for a test. */
static void set_env(const char *name, const char *value)
{
	assert_int_equal(value ? setenv(name, value, 1) : unsetenv(name), 0);
}

/* Where libvirt keeps a domain's pid file: the system daemon's directory, or a session
 * daemon's runtime directory, which falls back to its cache directory. */
static void test_verify_pid_path(void **st)
{
	static const char *const vars[] = {"XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "HOME"};
	char *saved[3], path[4096], small[24];

	(void)st;
	for (int i = 0; i < 3; i++)
		saved[i] = getenv(vars[i]) ? strdup(getenv(vars[i])) : NULL;
	set_env("XDG_RUNTIME_DIR", "/fake/run/user/1000");
	set_env("XDG_CACHE_HOME", "/fake/cache");
	set_env("HOME", "/fake/home");

	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///system", "db", 1000),
			 VMP_OK);
	assert_string_equal(path, "/run/libvirt/qemu/db.pid");
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu+unix:///system", "db", 0),
			 VMP_OK);
	assert_string_equal(path, "/run/libvirt/qemu/db.pid");
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///session", "db", 1000),
			 VMP_OK);
	assert_string_equal(path, "/fake/run/user/1000/libvirt/qemu/run/db.pid");
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path),
					     "qemu+unix:///session?socket=/x/sock", "db", 1000),
			 VMP_OK);
	assert_string_equal(path, "/fake/run/user/1000/libvirt/qemu/run/db.pid");
	/* As root, libvirt serves qemu:///session from the system daemon. */
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///session", "db", 0),
			 VMP_OK);
	assert_string_equal(path, "/run/libvirt/qemu/db.pid");
	set_env("XDG_RUNTIME_DIR", "");
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///session", "db", 1000),
			 VMP_OK);
	assert_string_equal(path, "/fake/cache/libvirt/qemu/run/db.pid");
	set_env("XDG_RUNTIME_DIR", NULL);
	set_env("XDG_CACHE_HOME", NULL);
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///session", "db", 1000),
			 VMP_OK);
	assert_string_equal(path, "/fake/home/.cache/libvirt/qemu/run/db.pid");

	/* Not a local QEMU daemon: no pid file here. */
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "test:///default", "db", 0),
			 VMP_ENOTFOUND);
	assert_non_null(strstr(vmp_error_last(), "'test:///default' is not a local QEMU URI"));
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu+ssh://host/system", "db", 0),
			 VMP_ENOTFOUND);
	assert_int_equal(
	    vmp_verify_pid_path(path, sizeof(path), "qemu://localhost/system", "db", 0),
	    VMP_ENOTFOUND);
	assert_int_equal(vmp_verify_pid_path(path, sizeof(path), "qemu:///systemd", "db", 0),
			 VMP_ENOTFOUND);
	assert_int_equal(vmp_verify_pid_path(small, sizeof(small), "qemu:///system", "db", 0),
			 VMP_EINVAL);

	for (int i = 0; i < 3; i++) {
		set_env(vars[i], saved[i]);
		free(saved[i]);
	}
}

/* Against libvirt alone: nothing defined, then the plan defined and running, then one
 * vCPU moved. */
static void verify_libvirt(virConnectPtr conn, vmp_plan *p)
{
	vmp_verify_report *rep = NULL;
	vmp_verify_opts opts = {.proc = 0};
	const vmp_mismatch *m;
	virDomainPtr dom;
	unsigned char map = 0;
	char *xml;

	/* Not defined yet: every placed VM is a mismatch. */
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	for (int i = 0; i < rep->nmismatches; i++)
		fprintf(stderr, "mismatch: %s %s planned %s found %s\n", rep->mismatches[i].vm,
			rep->mismatches[i].what, rep->mismatches[i].expected,
			rep->mismatches[i].actual);
	assert_int_equal(rep->nmismatches, 2);
	assert_non_null(find_mismatch(rep, "domain"));
	vmp_verify_report_free(rep);

	for (int i = 0; i < 2; i++) {
		vmp_export_opts eo = {.type = "test"};
		assert_int_equal(vmp_export_libvirt_xml_opts(&xml, NULL, &p->vms[i], &eo), VMP_OK);
		dom = virDomainDefineXMLFlags(conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
		assert_non_null(dom);
		assert_int_equal(virDomainCreate(dom), 0);
		virDomainFree(dom);
		free(xml);
	}
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	for (int i = 0; i < rep->nmismatches; i++)
		fprintf(stderr, "unexpected: %s %s planned %s found %s\n", rep->mismatches[i].vm,
			rep->mismatches[i].what, rep->mismatches[i].expected,
			rep->mismatches[i].actual);
	assert_int_equal(rep->nmismatches, 0);
	/* rt: 2 (domain) + 4 vCPUs + emulator + 2 iothreads + mode, nodeset. */
	assert_true(rep->nchecked >= 2 + 4 + 1 + 2 + 2 + 2 + 1 + 2);
	vmp_verify_report_free(rep);

	/* Planted: vCPU 1 moved to CPU 7. */
	dom = virDomainLookupByName(conn, "rt");
	map = 1 << 7;
	assert_int_equal(virDomainPinVcpu(dom, 1, &map, 1), 0);
	virDomainFree(dom);
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 1);
	m = find_mismatch(rep, "vcpu 1");
	assert_non_null(m);
	assert_string_equal(m->vm, "rt");
	assert_string_equal(m->expected, "4");
	assert_string_equal(m->actual, "7");
	vmp_verify_report_free(rep);
}

/* Against the QEMU threads in a fake /proc under root, as opts (proc on) points to it. */
static void verify_proc(virConnectPtr conn, vmp_plan *p, const char *root, vmp_verify_opts *opts)
{
	vmp_verify_report *rep = NULL;
	const vmp_mismatch *m;
	virDomainPtr dom;
	unsigned char map = 0;

	/* The QEMU threads in /proc: right, then one vCPU thread may run anywhere. */
	fake_proc(root, "12");
	dom = virDomainLookupByName(conn, "rt");
	map = 1 << 4;
	assert_int_equal(virDomainPinVcpu(dom, 1, &map, 1), 0);
	virDomainFree(dom);
	p->vms[1].placed = false; /* only rt has a pid file */
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", opts), VMP_OK);
	assert_int_equal(rep->nproc_vms, 1);
	assert_int_equal(rep->nmismatches, 0);
	vmp_verify_report_free(rep);
	fake_proc(root, "0-15");
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 1);
	m = find_mismatch(rep, "vcpu 3 thread 104");
	assert_non_null(m);
	assert_string_equal(m->source, "/proc");
	assert_string_equal(m->expected, "12");
	assert_string_equal(m->actual, "0-15");
	vmp_verify_report_free(rep);

	/* More vCPUs run than planned (4, the plan says 3): libvirt's count and the thread
	 * 'CPU 3/KVM' are both mismatches, not cut down to the plan's vCPUs. */
	fake_proc(root, "12");
	p->vms[0].req.vcpus = 3;
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 2);
	m = find_mismatch(rep, "vcpus");
	assert_non_null(m);
	assert_string_equal(m->source, "libvirt");
	assert_string_equal(m->expected, "3");
	assert_string_equal(m->actual, "4");
	m = find_mismatch(rep, "vcpu 3 thread 104");
	assert_non_null(m);
	assert_string_equal(m->source, "/proc");
	assert_string_equal(m->expected, "vcpus=3");
	assert_string_equal(m->actual, "thread 'CPU 3/KVM'");
	vmp_verify_report_free(rep);
	p->vms[0].req.vcpus = 4;
}

/* rt's pid file under pid_dir removed: left out with auto, a mismatch with yes. */
static void verify_pid_file(vmp_plan *p, const char *pid_dir, vmp_verify_opts *opts)
{
	vmp_verify_report *rep = NULL;
	char cmd[400];

	/* auto: a pid file that cannot be read leaves the VM out of /proc, with the reason. */
	snprintf(cmd, sizeof(cmd), "%s/rt.pid", pid_dir);
	assert_int_equal(unlink(cmd), 0);
	opts->proc = -1;
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 0);
	assert_int_equal(rep->nproc_vms, 0);
	assert_int_equal(rep->nproc_skipped, 1);
	assert_non_null(strstr(rep->proc_skipped_why, "/rt.pid': No such file or directory"));
	vmp_verify_report_free(rep);
	/* The same with yes is a mismatch. */
	opts->proc = 1;
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 1);
	assert_string_equal(rep->mismatches[0].what, "pid file");
	assert_string_equal(rep->mismatches[0].expected, "a pid file");
	assert_non_null(strstr(rep->mismatches[0].actual, "missing: /tmp/vmplan-proc-"));
	assert_non_null(strstr(rep->mismatches[0].actual, "/run/rt.pid"));
	vmp_verify_report_free(rep);
}

static void test_verify(void **st)
{
	virConnectPtr conn = test_conn();
	vmp_plan *p = full_plan();
	vmp_verify_report *rep = NULL;
	vmp_verify_opts opts;
	char root[] = "/tmp/vmplan-proc-XXXXXX", pid_dir[300], proc_root[300], cmd[400];

	(void)st;
	verify_libvirt(conn, p);

	assert_non_null(mkdtemp(root));
	snprintf(pid_dir, sizeof(pid_dir), "%s/run", root);
	snprintf(proc_root, sizeof(proc_root), "%s/proc", root);
	opts = (vmp_verify_opts){.proc = 1, .pid_dir = pid_dir, .proc_root = proc_root};
	verify_proc(conn, p, root, &opts);
	verify_pid_file(p, pid_dir, &opts);
	/* Without a pid_dir the test driver's processes are not on this host: auto notes it,
	 * yes refuses it. */
	opts = (vmp_verify_opts){.proc = -1, .proc_root = proc_root};
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_OK);
	assert_int_equal(rep->nmismatches, 0);
	assert_int_equal(rep->nproc_skipped, 1);
	assert_non_null(strstr(rep->proc_skipped_why, "not a local QEMU URI"));
	vmp_verify_report_free(rep);
	opts.proc = 1;
	assert_int_equal(vmp_verify_plan(&rep, p, "test:///default", &opts), VMP_EINVAL);
	assert_null(rep);
	assert_non_null(strstr(vmp_error_last(), "not a local QEMU URI"));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);

	assert_int_equal(vmp_verify_plan(&rep, p, "bogus+x:///nothing", &opts), VMP_ESYS);
	assert_null(rep);
	virConnectClose(conn);
	vmp_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_verify_pid_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
