/* Every tuning element in the Salt states: keys, names, qemu domains, boot settings. */
#include <yaml.h>

#include "unit/exportcheck.h"

/* Salt: libyaml reads it back, and the shapes are the ones Salt's virt module documents. */
static yaml_node_t *get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	assert_int_equal(map->type, YAML_MAPPING_NODE);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	fail_msg("no key '%s'", key);
	return NULL;
}

/* Whether map has key: nosharepages, locked and discard are left out rather than null
 * (a null makes saltext-virt's update fail on a domain that has the element; see salt.c). */
static bool has_key(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	assert_int_equal(map->type, YAML_MAPPING_NODE);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return true;
	}
	return false;
}

static const char *sval(yaml_node_t *n)
{
	assert_int_equal(n->type, YAML_SCALAR_NODE);
	return (const char *)n->data.scalar.value;
}

static bool is_null(yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       !strcmp(sval(n), "null");
}

/* A size with its unit: digits then B, KiB, MiB, GiB or TiB. */
static void assert_size(yaml_node_t *n)
{
	const char *s = sval(n), *u = s;
	while (*u >= '0' && *u <= '9')
		u++;
	if (u == s || (strcmp(u, "B") && strcmp(u, "KiB") && strcmp(u, "MiB") && strcmp(u, "GiB") &&
		       strcmp(u, "TiB")))
		fail_msg("size '%s' has no unit", s);
}

/* The argument called name of a state: its list holds one-key mappings. */
static yaml_node_t *arg(yaml_document_t *d, yaml_node_t *list, const char *name)
{
	assert_int_equal(list->type, YAML_SEQUENCE_NODE);
	for (yaml_node_item_t *i = list->data.sequence.items.start;
	     i < list->data.sequence.items.top; i++) {
		yaml_node_t *m = yaml_document_get_node(d, *i);
		yaml_node_t *k;
		assert_int_equal(m->type, YAML_MAPPING_NODE);
		assert_int_equal(m->data.mapping.pairs.top - m->data.mapping.pairs.start, 1);
		k = yaml_document_get_node(d, m->data.mapping.pairs.start->key);
		if (!strcmp(sval(k), name))
			return yaml_document_get_node(d, m->data.mapping.pairs.start->value);
	}
	return NULL;
}

/*
 * A vcpusched or iothreadsched list: one item per thread, the n-th naming thread first + n,
 * in the form libvirt keeps (one <vcpusched vcpus='N'> per vCPU, in order). saltext-virt's
 * update() (modules/virt.py, through salt.utils.xmlutil's change_xml()) pairs the n-th item
 * with the n-th element, so a single item for vcpus "0-3" would differ from libvirt's
 * vcpus='0' on every apply.
 */
static void assert_sched_items(yaml_document_t *d, yaml_node_t *list, const char *key, int first,
			       int n, const char *scheduler, const char *priority)
{
	assert_int_equal(list->type, YAML_SEQUENCE_NODE);
	assert_int_equal(list->data.sequence.items.top - list->data.sequence.items.start, n);
	for (int i = 0; i < n; i++) {
		yaml_node_t *item = yaml_document_get_node(d, list->data.sequence.items.start[i]);
		char id[16];
		snprintf(id, sizeof(id), "%d", first + i);
		assert_string_equal(sval(get(d, item, key)), id);
		assert_int_equal(get(d, item, key)->data.scalar.style,
				 YAML_DOUBLE_QUOTED_SCALAR_STYLE);
		assert_string_equal(sval(get(d, item, "scheduler")), scheduler);
		if (priority)
			assert_string_equal(sval(get(d, item, "priority")), priority);
		else
			assert_int_equal(item->data.mapping.pairs.top -
					     item->data.mapping.pairs.start,
					 2); /* batch and idle have no priority */
	}
}

/* rt's cpu argument: topology, cells, pins, schedulers, cache and bandwidth. */
static void assert_salt_rt_cpu(yaml_document_t *d, yaml_node_t *list)
{
	yaml_node_t *cpu, *tuning, *n;

	cpu = arg(d, list, "cpu");
	assert_non_null(cpu);
	assert_string_equal(sval(get(d, cpu, "maximum")), "4");
	assert_string_equal(sval(get(d, cpu, "mode")), "host-passthrough");
	assert_string_equal(sval(get(d, get(d, cpu, "topology"), "sockets")), "2");
	n = get(d, get(d, cpu, "numa"), "1");
	assert_string_equal(sval(get(d, n, "cpus")), "2-3");
	assert_size(get(d, n, "memory"));
	tuning = get(d, cpu, "tuning");
	assert_string_equal(sval(get(d, get(d, tuning, "vcpupin"), "2")), "10");
	assert_int_equal(get(d, get(d, tuning, "vcpupin"), "3")->data.scalar.style,
			 YAML_DOUBLE_QUOTED_SCALAR_STYLE); /* a cpuset, not the number 12 */
	assert_string_equal(sval(get(d, get(d, tuning, "iothreadpin"), "2")), "1,8");
	assert_string_equal(sval(get(d, tuning, "emulatorpin")), "0-1");
	assert_sched_items(d, get(d, tuning, "vcpusched"), "vcpus", 0, 4, "fifo", "10");
	assert_true(is_null(get(d, tuning, "emulatorsched")));
	assert_true(is_null(get(d, tuning, "iothreadsched")));
	n = get(d, get(d, get(d, tuning, "cachetune"), "0-3"), "1");
	assert_string_equal(sval(get(d, n, "level")), "3");
	/* 4 MiB as libvirt prints it back (size='4' unit='MiB'): Salt's update compares the
	 * bare number, so 4096 KiB would become 4096 MiB on the next apply. */
	assert_string_equal(sval(get(d, n, "size")), "4");
	assert_string_equal(sval(get(d, n, "unit")), "MiB");
	assert_string_equal(sval(get(d, get(d, get(d, tuning, "memorytune"), "0-3"), "1")), "50");
	assert_string_equal(sval(get(d, tuning, "shares")), "2048");
	assert_string_equal(sval(get(d, cpu, "iothreads")), "2");
}

/* rt's mem, numatune, boot and vm_type arguments. */
static void assert_salt_rt_mem(yaml_document_t *d, yaml_node_t *list)
{
	yaml_node_t *n, *mem;

	mem = arg(d, list, "mem");
	assert_non_null(mem);
	assert_size(get(d, mem, "boot"));
	assert_size(get(d, mem, "hard_limit"));
	assert_size(get(d, mem, "soft_limit"));
	assert_size(get(d, mem, "swap_hard_limit"));
	assert_true(is_null(get(d, mem, "min_guarantee"))); /* QEMU refuses it: removed */
	assert_string_equal(sval(get(d, mem, "hard_limit")), "6GiB");
	n = get(d, mem, "hugepages");
	assert_int_equal(n->type, YAML_SEQUENCE_NODE);
	n = yaml_document_get_node(d, *n->data.sequence.items.start);
	assert_string_equal(sval(get(d, n, "size")), "2MiB");
	assert_string_equal(sval(get(d, n, "nodeset")), "0-1");
	assert_string_equal(sval(get(d, mem, "locked")), "true");
	n = arg(d, list, "numatune");
	assert_string_equal(sval(get(d, get(d, n, "memory"), "nodeset")), "0-1");
	assert_string_equal(sval(get(d, get(d, get(d, n, "memnodes"), "1"), "nodeset")), "1");
	assert_string_equal(sval(get(d, arg(d, list, "boot"), "efi")), "true");
	assert_string_equal(sval(arg(d, list, "vm_type")), "kvm");
}

static void test_salt(void **st)
{
	vmp_plan *p = full_plan();
	const vmp_exporter *ex = vmp_exporter_find("salt");
	vmp_export_opts opts = {.type = "kvm"};
	yaml_parser_t parser;
	yaml_document_t d;
	yaml_node_t *root, *list, *tuning;
	char *sls;
	size_t len;

	(void)st;
	assert_non_null(ex);
	/* Salt's virt module has no secure boot: rt's efi-secure is refused, not made plain efi. */
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);
	assert_null(sls);
	assert_non_null(strstr(vmp_error_last(), "VM 'rt'"));
	assert_non_null(strstr(vmp_error_last(), "efi-secure"));
	p->vms[0].req.secure_boot = false;
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_OK);
	assert_int_equal(strlen(sls), len);
	golden_text("full", "vmplan.sls", sls, false);
	/* rt has nosharepages and locked: the file says Salt adds them to an existing domain
	 * only with another change (see salt.c's bare_note). */
	assert_int_equal(strncmp(sls, "# nosharepages and locked: ", 27), 0);
	/* State IDs are strings whatever the name: quoted, as a YAML 1.1 reader keeps them. */
	assert_non_null(strstr(sls, "\n\"rt\":\n"));
	assert_non_null(strstr(sls, "\n\"pool\":\n"));
	assert_null(strstr(sls, "None"));

	assert_true(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (unsigned char *)sls, len);
	assert_true(yaml_parser_load(&parser, &d));
	root = yaml_document_get_root_node(&d);
	assert_non_null(root);
	assert_int_equal(root->data.mapping.pairs.top - root->data.mapping.pairs.start, 2);

	list = get(&d, get(&d, root, "rt"), "virt.defined");
	assert_salt_rt_cpu(&d, list);
	assert_salt_rt_mem(&d, list);

	/* The shared VM: removals are YAML nulls. */
	list = get(&d, get(&d, root, "pool"), "virt.defined");
	tuning = get(&d, arg(&d, list, "cpu"), "tuning");
	assert_true(is_null(get(&d, tuning, "vcpupin")));
	assert_true(is_null(get(&d, tuning, "cachetune")));
	assert_true(is_null(get(&d, arg(&d, list, "mem"), "hard_limit")));
	/* Bare elements are left out, never null (a null stops Salt's update, see salt.c). */
	assert_false(has_key(&d, arg(&d, list, "mem"), "nosharepages"));
	assert_false(has_key(&d, arg(&d, list, "mem"), "locked"));
	assert_false(has_key(&d, arg(&d, list, "mem"), "discard"));
	assert_null(arg(&d, list, "boot"));
	yaml_document_delete(&d);
	yaml_parser_delete(&parser);
	free(sls);

	opts.salt_running = true;
	assert_int_equal(ex->fn(&sls, &len, p, 1, &opts), VMP_OK);
	assert_non_null(strstr(sls, "virt.running"));
	assert_null(strstr(sls, "rt\":"));
	assert_null(strstr(sls, "# nosharepages")); /* pool has neither */
	free(sls);
	vmp_plan_free(p);
}

/* The Salt state of plan p, read back with libyaml into d; returns the text. */
static char *salt_load(yaml_document_t *d, const vmp_plan *p, const vmp_export_opts *opts)
{
	const vmp_exporter *ex = vmp_exporter_find("salt");
	yaml_parser_t parser;
	char *sls;
	size_t len;

	assert_non_null(ex);
	assert_int_equal(ex->fn(&sls, &len, p, -1, opts), VMP_OK);
	assert_true(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (unsigned char *)sls, len);
	assert_true(yaml_parser_load(&parser, d));
	yaml_parser_delete(&parser);
	return sls;
}

/* A plan of placed one-vCPU VMs with these names and nothing else. */
static vmp_plan *named_plan(const char *const *names, int n)
{
	vmp_plan *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->schema = VMP_PLAN_SCHEMA;
	p->nvms = n;
	p->vms = calloc((size_t)n, sizeof(*p->vms));
	assert_non_null(p->vms);
	for (int i = 0; i < n; i++) {
		vmp_plan_vm *vm = &p->vms[i];
		assert_int_equal(vmp_plan_vm_reserve(vm, VMP_MAX_IOTHREADS, VMP_MAX_CACHETUNE,
						     VMP_RDT_DOMAINS_MAX, VMP_MAX_CELLS),
				 VMP_OK);
		snprintf(vm->req.name, sizeof(vm->req.name), "%s", names[i]);
		vm->req.vcpus = 1;
		vm->req.memory_bytes = 128ULL << 20;
		vm->placed = true;
		vm->vcpupin = malloc(sizeof(int));
		assert_non_null(vm->vcpupin);
		vm->vcpupin[0] = i;
		set(&vm->pcpus, "0-1");
		vm->sockets = vm->cores = vm->threads = 1;
	}
	return p;
}

/* Names vmplan takes that YAML 1.1 (PyYAML, so Salt) reads plain as an int, a bool, None, a
 * float or a date: every one stays a distinct string state ID. */
static void test_salt_names(void **st)
{
	static const char *const names[] = {"01",    "true", "null",       "on",   "1.5",
					    "1_000", "No",   "2001-12-14", "0x1f", "1e3"};
	const int n = (int)(sizeof(names) / sizeof(names[0]));
	vmp_plan *p = named_plan(names, n);
	vmp_export_opts opts = {0};
	yaml_document_t d;
	yaml_node_t *root, *list, *type;
	char *sls, want[64];
	int i = 0;

	(void)st;
	sls = salt_load(&d, p, &opts);
	root = yaml_document_get_root_node(&d);
	assert_int_equal(root->type, YAML_MAPPING_NODE);
	assert_int_equal(root->data.mapping.pairs.top - root->data.mapping.pairs.start, n);
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++, i++) {
		yaml_node_t *k = yaml_document_get_node(&d, pair->key);
		assert_string_equal(sval(k), names[i]);
		assert_int_equal(k->data.scalar.style, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
		snprintf(want, sizeof(want), "\"%s\":\n", names[i]);
		assert_non_null(strstr(sls, want));
	}
	/* vm_type is text too; numbers stay numbers. */
	list = get(&d, get(&d, root, "01"), "virt.defined");
	type = arg(&d, list, "vm_type");
	assert_string_equal(sval(type), "kvm");
	assert_int_equal(type->data.scalar.style, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	assert_int_equal(get(&d, arg(&d, list, "cpu"), "maximum")->data.scalar.style,
			 YAML_PLAIN_SCALAR_STYLE);
	yaml_document_delete(&d);
	free(sls);
	vmp_plan_free(p);
}

/* --type qemu is TCG: no host CPU to pass through, so the CPU is 'maximum' as in the XML. */
static void test_salt_qemu(void **st)
{
	static const char *const names[] = {"tcg"};
	vmp_plan *p = named_plan(names, 1);
	vmp_export_opts opts = {.type = "qemu"};
	yaml_document_t d;
	yaml_node_t *list;
	char *sls;

	(void)st;
	sls = salt_load(&d, p, &opts);
	list = get(&d, get(&d, yaml_document_get_root_node(&d), "tcg"), "virt.defined");
	assert_string_equal(sval(get(&d, arg(&d, list, "cpu"), "mode")), "maximum");
	assert_string_equal(sval(arg(&d, list, "vm_type")), "qemu");
	assert_null(strstr(sls, "host-passthrough"));
	yaml_document_delete(&d);
	free(sls);
	vmp_plan_free(p);
}

/* Salt's boot takes a loader only with an nvram, which it writes as a template (not the
 * store the plan names): both are refused; efi is what Salt says; secure boot it cannot. */
static void test_salt_boot(void **st)
{
	static const char *const names[] = {"fw", "other"};
	const vmp_exporter *ex = vmp_exporter_find("salt");
	vmp_plan *p = named_plan(names, 2);
	vmp_vm_request *r = &p->vms[0].req;
	vmp_export_opts opts = {0};
	yaml_document_t d;
	yaml_node_t *boot;
	char *sls = (char *)1;
	size_t len;

	(void)st;
	snprintf(r->loader, sizeof(r->loader), "/usr/share/OVMF/OVMF_CODE.fd");
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);
	assert_null(sls);
	assert_non_null(strstr(vmp_error_last(), "VM 'fw'"));
	assert_non_null(strstr(vmp_error_last(), "use firmware=efi"));

	snprintf(r->nvram, sizeof(r->nvram), "/var/lib/libvirt/qemu/nvram/on.fd");
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "VM 'fw'"));
	assert_non_null(strstr(vmp_error_last(), "as a template"));
	r->loader[0] = '\0';
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);

	/* firmware=efi: boot is efi alone. */
	r->nvram[0] = '\0';
	r->efi = true;
	sls = salt_load(&d, p, &opts);
	boot = arg(&d, get(&d, get(&d, yaml_document_get_root_node(&d), "fw"), "virt.defined"),
		   "boot");
	assert_non_null(boot);
	assert_int_equal(boot->data.mapping.pairs.top - boot->data.mapping.pairs.start, 1);
	assert_string_equal(sval(get(&d, boot, "efi")), "true");
	yaml_document_delete(&d);
	free(sls);

	/* Secure boot is refused with an explicit loader too: Salt's loader is never secure. */
	r->secure_boot = true;
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "VM 'fw'"));
	assert_non_null(strstr(vmp_error_last(), "secure boot"));
	/* Only the VMs written are checked: an unplaced one does not stop the others. */
	p->vms[0].placed = false;
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_OK);
	assert_null(strstr(sls, "\"fw\""));
	free(sls);
	vmp_plan_free(p);
}

/* What Salt's template or update would lose or rewrite: refused, or written in the form that
 * round-trips (discard on the cells, not memoryBacking's <discard/>). */
static void test_salt_memory_backing(void **st)
{
	static const char *const names[] = {"db"};
	const vmp_exporter *ex = vmp_exporter_find("salt");
	vmp_plan *p = named_plan(names, 1);
	vmp_plan_vm *vm = &p->vms[0];
	vmp_export_opts opts = {0};
	yaml_document_t d;
	yaml_node_t *list, *cell;
	char *sls = (char *)1;
	size_t len;

	(void)st;
	vm->req.nosharepages = true;
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);
	assert_null(sls);
	assert_non_null(strstr(vmp_error_last(), "only together with hugepages"));
	vm->req.nosharepages = false;
	vm->req.mem_source = VMP_SOURCE_MEM_MEMFD;
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);
	vm->req.hugepage_bytes = 2 << 20;
	vm->req.nosharepages = true;
	sls = salt_load(&d, p, &opts);
	list = get(&d, get(&d, yaml_document_get_root_node(&d), "db"), "virt.defined");
	assert_string_equal(sval(get(&d, arg(&d, list, "mem"), "nosharepages")), "true");
	assert_string_equal(sval(get(&d, arg(&d, list, "mem"), "source")), "memfd");
	yaml_document_delete(&d);
	free(sls);

	/* discard: refused without cells; with them, on each cell and not in mem. */
	vm->req.mem_discard = true;
	assert_int_equal(ex->fn(&sls, &len, p, -1, &opts), VMP_EINVAL);
	assert_non_null(strstr(vmp_error_last(), "<discard/>"));
	vm->ncells = 1;
	vm->cells[0].host_node = 0;
	vm->cells[0].memory_bytes = vm->req.memory_bytes;
	set(&vm->cells[0].vcpus, "0");
	sls = salt_load(&d, p, &opts);
	list = get(&d, get(&d, yaml_document_get_root_node(&d), "db"), "virt.defined");
	assert_false(has_key(&d, arg(&d, list, "mem"), "discard"));
	cell = get(&d, get(&d, arg(&d, list, "cpu"), "numa"), "0");
	assert_non_null(cell);
	assert_string_equal(sval(get(&d, cell, "discard")), "true");
	yaml_document_delete(&d);
	free(sls);
	vmp_plan_free(p);
}

/* Schedulers in the form libvirt keeps them: one item per vCPU and per I/O thread, in id
 * order, priority only for the real-time ones (see assert_sched_items). */
static void test_salt_sched(void **st)
{
	static const char *const names[] = {"rt"};
	vmp_plan *p = named_plan(names, 1);
	vmp_plan_vm *vm = &p->vms[0];
	vmp_export_opts opts = {0};
	yaml_document_t d;
	yaml_node_t *tuning;
	char *sls;

	(void)st;
	vm->req.vcpus = 3;
	free(vm->vcpupin);
	vm->vcpupin = malloc(3 * sizeof(int));
	assert_non_null(vm->vcpupin);
	vm->vcpupin[0] = vm->vcpupin[1] = vm->vcpupin[2] = -1;
	vm->req.vcpu_sched = VMP_SCHED_RR;
	vm->req.vcpu_priority = 5;
	vm->req.iothreads = 2;
	vm->req.iothread_sched = VMP_SCHED_BATCH;
	vm->req.emulator_sched = VMP_SCHED_FIFO;
	sls = salt_load(&d, p, &opts);
	tuning = get(
	    &d,
	    arg(&d, get(&d, get(&d, yaml_document_get_root_node(&d), "rt"), "virt.defined"), "cpu"),
	    "tuning");
	assert_sched_items(&d, get(&d, tuning, "vcpusched"), "vcpus", 0, 3, "rr", "5");
	assert_sched_items(&d, get(&d, tuning, "iothreadsched"), "iothreads", 1, 2, "batch", NULL);
	/* emulatorsched is one element in libvirt too: one mapping. */
	assert_string_equal(sval(get(&d, get(&d, tuning, "emulatorsched"), "scheduler")), "fifo");
	assert_string_equal(sval(get(&d, get(&d, tuning, "emulatorsched"), "priority")), "5");
	yaml_document_delete(&d);
	free(sls);
	vmp_plan_free(p);
}

/* item i of a vcpusched or iothreadsched list against libvirt's i-th element. */
static void assert_item_kept(yaml_document_t *d, yaml_node_t *item, xmlDocPtr kept,
			     const char *elem, const char *key, int i)
{
	static const char *const attrs[] = {"scheduler", "priority"};
	char expr[128];

	snprintf(expr, sizeof(expr), "/domain/cputune/%s[%d]/@%s", elem, i + 1, key);
	assert_xpath(kept, expr, sval(get(d, item, key)));
	for (int a = 0; a < 2; a++) {
		char *v;
		snprintf(expr, sizeof(expr), "/domain/cputune/%s[%d]/@%s", elem, i + 1, attrs[a]);
		v = xstr(kept, expr);
		if (*v)
			assert_string_equal(sval(get(d, item, attrs[a])), v);
		free(v);
	}
}

/* The i-th Salt item is libvirt's i-th element, attribute by attribute: what Salt's update
 * compares (see assert_sched_items). libvirt's test driver keeps the domain vmplan writes
 * for the same plan. */
static void test_salt_sched_libvirt(void **st)
{
	vmp_plan *p = full_plan();
	virConnectPtr conn = test_conn();
	vmp_export_opts opts = {.type = "kvm"};
	static const char *const elems[][2] = {{"vcpusched", "vcpus"},
					       {"iothreadsched", "iothreads"}};
	yaml_document_t d;
	yaml_node_t *tuning;
	xmlDocPtr kept;
	char *xml, *back, *sls;

	(void)st;
	p->vms[0].req.secure_boot = false;
	p->vms[0].req.iothread_sched = VMP_SCHED_BATCH;
	assert_int_equal(vmp_export_libvirt_xml(&xml, NULL, &p->vms[0], "kvm"), VMP_OK);
	back = libvirt_roundtrip(conn, xml);
	kept = parse(back);
	sls = salt_load(&d, p, &opts);
	tuning = get(
	    &d,
	    arg(&d, get(&d, get(&d, yaml_document_get_root_node(&d), "rt"), "virt.defined"), "cpu"),
	    "tuning");
	for (int e = 0; e < 2; e++) {
		yaml_node_t *list = get(&d, tuning, elems[e][0]);
		char expr[64];
		int n = (int)(list->data.sequence.items.top - list->data.sequence.items.start);
		assert_int_equal(list->type, YAML_SEQUENCE_NODE);
		snprintf(expr, sizeof(expr), "/domain/cputune/%s", elems[e][0]);
		assert_true(n > 1);
		assert_int_equal(count(kept, expr), n);
		for (int i = 0; i < n; i++)
			assert_item_kept(
			    &d, yaml_document_get_node(&d, list->data.sequence.items.start[i]),
			    kept, elems[e][0], elems[e][1], i);
	}
	yaml_document_delete(&d);
	xmlFreeDoc(kept);
	free(sls);
	free(back);
	free(xml);
	virConnectClose(conn);
	vmp_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_salt),
	    cmocka_unit_test(test_salt_names),
	    cmocka_unit_test(test_salt_qemu),
	    cmocka_unit_test(test_salt_boot),
	    cmocka_unit_test(test_salt_memory_backing),
	    cmocka_unit_test(test_salt_sched),
	    cmocka_unit_test(test_salt_sched_libvirt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
