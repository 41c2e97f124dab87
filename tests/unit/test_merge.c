/* Merging a plan into existing domain XML, merged files and their backups, the --dry-run diff. */
#include "unit/exportcheck.h"

/* Everything outside the tuning, as canonical XML, for before/after comparison. */
static char *untouched_parts(const char *xml)
{
	xmlDocPtr doc = parse(xml);
	char *s;

	s = group_xml(doc,
		      "/domain/name | /domain/uuid | /domain/title | /domain/metadata | "
		      "/domain/features | /domain/clock | /domain/on_poweroff | "
		      "/domain/devices/interface | /domain/devices/controller | "
		      "/domain/devices/hostdev | /domain/devices/graphics | "
		      "/domain/devices/video | /domain/devices/input | /domain/devices/serial | "
		      "/domain/devices/disk/source | /domain/devices/disk/target | "
		      "/domain/memoryBacking/source | /domain/memoryBacking/access | "
		      "/domain/os/type | /domain/os/boot | /domain/os/bootmenu | //comment()");
	xmlFreeDoc(doc);
	return s;
}

static void test_merge(void **st)
{
	vmp_plan *p = full_plan();
	virConnectPtr conn = test_conn();
	char *in = slurp(DATA_DIR "/domains/webshop.xml"), *once, *twice, *back, *a, *b;
	xmlDocPtr doc;

	(void)st;
	assert_non_null(in);
	assert_int_equal(vmp_export_libvirt_merge(&once, NULL, in, "webshop.xml", &p->vms[0]),
			 VMP_OK);
	assert_int_equal(vmp_export_libvirt_merge(&twice, NULL, once, "once", &p->vms[0]), VMP_OK);
	assert_string_equal(once, twice); /* idempotent */
	golden_text("merge", "webshop.xml", once, true);

	a = untouched_parts(in);
	b = untouched_parts(once);
	assert_string_equal(a, b);
	free(a);
	free(b);

	doc = parse(once);
	/* Stale: 8 pins for a VM that now has 4; the old 6 MiB cachetune on cache 1 only. */
	assert_int_equal(count(doc, "/domain/cputune/vcpupin"), 4);
	assert_int_equal(count(doc, "/domain/cputune/cachetune"), 1);
	assert_int_equal(count(doc, "/domain/cputune/cachetune/cache"), 2);
	assert_int_equal(count(doc, "/domain/cputune/cachetune/cache[@size='6']"), 0);
	/* The plan owns every cputune bandwidth knob: a hand-set one it does not set goes. */
	assert_int_equal(count(doc, "/domain/cputune/emulator_period"), 0);
	assert_xpath(doc, "/domain/vcpu", "4");
	assert_xpath(doc, "/domain/numatune/memory/@mode", "strict");
	assert_xpath(doc, "/domain/cpu/@mode", "host-passthrough");
	assert_int_equal(count(doc, "/domain/cpu/model | /domain/cpu/@match"), 0);
	assert_int_equal(count(doc, "/domain/cpu/feature[@name='pcid']"), 1);
	assert_xpath(doc, "/domain/memory", "4194304");
	assert_xpath(doc, "/domain/currentMemory", "4194304");
	assert_xpath(doc, "/domain/memoryBacking/hugepages/page/@size", "2048");
	assert_xpath(doc, "/domain/iothreads", "2");
	/* Virtio disks spread over the two I/O threads; the SATA disk has none. */
	assert_xpath(doc, "/domain/devices/disk[target/@dev='vda']/driver/@iothread", "1");
	assert_xpath(doc, "/domain/devices/disk[target/@dev='vda']/driver/@cache", "none");
	assert_xpath(doc, "/domain/devices/disk[target/@dev='vdb']/driver/@iothread", "2");
	assert_int_equal(count(doc, "/domain/devices/disk[target/@dev='sda']/driver/@iothread"), 0);
	/* The tuning is under <cputune> and the firmware under <os>, where libvirt reads it. */
	assert_int_equal(count(doc, "/domain/vcpupin | /domain/firmware"), 0);
	assert_xpath(doc, "/domain/os/@firmware", "efi");
	assert_int_equal(count(doc, "/domain/comment()"), 0);
	assert_int_equal(count(doc, "//comment()"), 3);
	xmlFreeDoc(doc);

	back = libvirt_roundtrip(conn, once);
	assert_tuning(back, &p->vms[0]);
	free(back);

	/* A plan without cache allocation takes the old one away entirely. */
	p->vms[0].ncachetune = 0;
	p->vms[0].nmemorytune = 0;
	free(twice);
	assert_int_equal(vmp_export_libvirt_merge(&twice, NULL, once, "once", &p->vms[0]), VMP_OK);
	doc = parse(twice);
	assert_int_equal(count(doc, "/domain/cputune/cachetune | /domain/cputune/memorytune"), 0);
	xmlFreeDoc(doc);

	free(twice);
	assert_int_equal(vmp_export_libvirt_merge(&twice, NULL, "<network/>", "n.xml", &p->vms[0]),
			 VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "n.xml"));
	assert_int_equal(vmp_export_libvirt_merge(&twice, NULL, "<domain>", "cut.xml", &p->vms[0]),
			 VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "cut.xml"));
	free(once);
	free(in);
	virConnectClose(conn);
	vmp_plan_free(p);
}

/*
 * Found by fuzz/fuzz_merge: blank text that libxml2 keeps (an owned element holding only
 * white space, or text mixed in with the tuning or with a disk that gains a <driver>, or a
 * <domain> of white space alone) was dropped by the next merge, so merging twice changed the
 * document.
 */
static void test_merge_blank_text(void **st)
{
	static const char *const inputs[] = {
	    "<domain><name>rt</name><cputune> </cputune><numatune>\n</numatune></domain>",
	    ("<domain><name>rt</name><cputune>x\n  <vcpupin vcpu='0' cpuset='1'/>\n  \n"
	     "  <shares>1</shares>\n</cputune><memtune> <hard_limit>1</hard_limit> </memtune>"
	     "</domain>"),
	    "<domain>text<name>rt</name>\n  <vcpu>8</vcpu>\n  <cpu> </cpu>\n</domain>",
	    "<domain>\n  </domain>",
	    ("<domain><name>rt</name><devices><disk type='file' device='disk'>0\n  <target "
	     "dev='vda' bus='virtio'/>\n</disk><disk type='file'>\n</disk></devices></domain>"),
	};
	vmp_plan *p = full_plan();

	(void)st;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]) * 2; i++) {
		const vmp_plan_vm *vm = &p->vms[i % 2]; /* with iothreads on disks, and without */
		const char *in = inputs[i / 2];
		char *once, *twice;
		assert_int_equal(vmp_export_libvirt_merge(&once, NULL, in, "in", vm), VMP_OK);
		assert_int_equal(vmp_export_libvirt_merge(&twice, NULL, once, "once", vm), VMP_OK);
		assert_string_equal(once, twice);
		free(once);
		free(twice);
	}
	vmp_plan_free(p);
}

/*
 * An input whose declared encoding cannot decode it: libxml2 reported that outside the parser,
 * on stderr, and the message said only "Premature end of data". Now stderr stays empty and the
 * refusal names the encoding problem; libxml2's own handlers are put back.
 */
static void test_merge_encoding_error(void **st)
{
	static const char in[] = "<?xml version=\"1.0\" encoding=\"UTF-7\"?>\n"
				 "<domain><name>rt</name>\x0e\x0e\x0e\x0e\xff\xfe</domain>\n";
	vmp_plan *p = full_plan();
	char path[] = "/tmp/vmplan-stderr-XXXXXX", *out = NULL;
	xmlStructuredErrorFunc before = xmlStructuredError;
	int fd = mkstemp(path), saved = dup(2);
	struct stat sb;

	(void)st;
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	int err = vmp_export_libvirt_merge(&out, NULL, in, "utf7.xml", &p->vms[0]);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(err, VMP_EINVAL);
	assert_null(out);
	assert_non_null(strstr(vmp_error_last(), "utf7.xml"));
	assert_non_null(strstr(vmp_error_last(), "input conversion failed"));
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, 0); /* nothing on stderr */
	assert_true(xmlStructuredError == before);
	close(fd);
	unlink(path);
	vmp_plan_free(p);
}

/*
 * What libvirt's QEMU driver refuses although its schema allows it (found by defining the
 * output on a real libvirtd): UEFI without ACPI, an explicit loader or an nvram template
 * beside firmware autoselection, cache emulation without a level, shared memory lost from
 * the cells of a vhost-user domain, and an I/O thread on a vhost-user disk. And the order
 * libvirt writes schedulers back in, so that a second define reads as unchanged.
 */
static void test_merge_libvirt_rules(void **st)
{
	static const char in[] =
	    "<domain type='kvm'><name>rt</name><vcpu>4</vcpu>"
	    "<os><type arch='x86_64' machine='q35'>hvm</type>"
	    "<loader readonly='yes' secure='no' "
	    "type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
	    "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/nvram/rt.fd</nvram></os>"
	    "<cpu mode='host-passthrough'><numa><cell id='0' cpus='0-3' memory='4194304' "
	    "unit='KiB' memAccess='shared'/></numa></cpu>"
	    "<devices><disk type='vhostuser' device='disk'><source type='unix' path='/s'/>"
	    "<target dev='vda' bus='virtio'/></disk>"
	    "<disk type='file' device='disk'><target dev='vdb' bus='virtio'/></disk></devices>"
	    "</domain>";
	vmp_plan *p = full_plan();
	vmp_plan_vm *rt = &p->vms[0];
	char *out, *fresh;
	xmlDocPtr doc;

	(void)st;
	rt->req.emulator_sched = VMP_SCHED_FIFO;
	rt->req.iothread_sched = VMP_SCHED_BATCH;
	rt->req.cpu_cache = VMP_CACHE_EMULATE;
	assert_int_equal(vmp_export_libvirt_merge(&out, NULL, in, "rt.xml", rt), VMP_OK);
	doc = parse(out);
	assert_xpath(doc, "/domain/os/@firmware", "efi");
	assert_int_equal(count(doc, "/domain/os/loader"), 0); /* not even secure='no' */
	assert_int_equal(count(doc, "/domain/os/nvram/@template"), 0);
	assert_xpath(doc, "/domain/os/nvram", "/var/lib/nvram/rt.fd");
	assert_int_equal(count(doc, "/domain/features/acpi"), 1);
	assert_int_equal(count(doc, "/domain/features/*[1][self::acpi]"), 1);
	assert_xpath(doc, "/domain/cpu/cache/@level", "3");
	assert_int_equal(count(doc, "/domain/cpu/numa/cell"), 2);
	assert_int_equal(count(doc, "/domain/cpu/numa/cell[@memAccess='shared']"), 2);
	assert_int_equal(count(doc, "/domain/devices/disk[@type='vhostuser']/driver"), 0);
	assert_xpath(doc, "/domain/devices/disk[@type='file']/driver/@iothread", "1");
	assert_int_equal(count(doc, "/domain/cputune/iothreadsched"), 2);
	assert_xpath(doc, "/domain/cputune/iothreadsched[2]/@iothreads", "2");
	assert_int_equal(count(doc, "/domain/cputune/emulatorsched/following-sibling::vcpusched"),
			 4);
	xmlFreeDoc(doc);
	free(out);

	/* A new domain for a PC guest has ACPI and the APIC, like one virt-install makes. */
	assert_int_equal(vmp_export_libvirt_xml(&fresh, NULL, &p->vms[1], "kvm"), VMP_OK);
	doc = parse(fresh);
	assert_int_equal(count(doc, "/domain/features/acpi"), 1);
	assert_int_equal(count(doc, "/domain/features/apic"), 1);
	xmlFreeDoc(doc);
	free(fresh);
	vmp_plan_free(p);
}

static void test_merge_file(void **st)
{
	vmp_plan *p = full_plan();
	char dir[] = "/tmp/vmplan-merge-XXXXXX", in[256], bak[256], *orig, *now, *saved;
	bool changed;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/rt.xml", dir);
	snprintf(bak, sizeof(bak), "%s/rt.xml.bak", dir);
	orig = slurp(DATA_DIR "/domains/webshop.xml");
	assert_int_equal(vmp_file_write_atomic(in, orig, strlen(orig)), VMP_OK);
	assert_int_equal(vmp_export_merge_file(&changed, in, NULL, &p->vms[0]), VMP_OK);
	assert_true(changed);
	saved = slurp(bak);
	assert_string_equal(saved, orig); /* byte for byte */
	free(saved);
	now = slurp(in);
	assert_non_null(strstr(now, "host-passthrough"));
	free(now);
	assert_int_equal(vmp_export_merge_file(&changed, in, NULL, &p->vms[0]), VMP_OK);
	assert_false(changed);
	/* Nothing to change: the backup still holds the original, not the merged XML. */
	saved = slurp(bak);
	assert_string_equal(saved, orig);
	free(saved);
	unlink(in);
	unlink(bak);
	rmdir(dir);
	free(orig);
	vmp_plan_free(p);
}

static void test_diff(void **st)
{
	char *d;

	(void)st;
	assert_int_equal(
	    vmp_export_diff(&d, "<a><b/><c/></a>", "<a>\n <b/>\n <c/>\n</a>", "x", "y"), VMP_OK);
	assert_string_equal(d, "");
	free(d);
	assert_int_equal(
	    vmp_export_diff(&d, "<a><b/><c/><e/></a>", "<a><b/><d/><e/></a>", "x", "y"), VMP_OK);
	assert_non_null(strstr(d, "--- x\n+++ y\n"));
	assert_non_null(strstr(d, "\n-  <c/>\n+  <d/>\n"));
	assert_non_null(strstr(d, "\n   <b/>\n"));
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_merge_file),
	    cmocka_unit_test(test_merge_blank_text),
	    cmocka_unit_test(test_merge_encoding_error),
	    cmocka_unit_test(test_merge_libvirt_rules),
	    cmocka_unit_test(test_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
