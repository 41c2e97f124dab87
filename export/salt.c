/* A Salt state (virt.defined / virt.running) per plan, emitted with libyaml's emitter. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "internal.h"
#include "vmplan/error.h"
#include "vmplan/export.h"
#include "vmplan/size.h"

typedef struct sbuf {
	char *data;
	size_t len, cap;
	bool oom;
} sbuf;

/* virt.running starts a stopped domain as defined; one that runs only gets its definition
 * changed (saltext-virt's update), so the tuning waits for the next start. */
static const char running_note[] =
    "# virt.running: a domain that is stopped starts with this tuning; on one that already\n"
    "# runs, Salt changes only its definition, so the vCPU, emulator and I/O thread pins,\n"
    "# numatune, memory backing, memtune, cachetune and memorytune take effect at its next\n"
    "# start (vmplan export --define URI --live pins a running domain now).\n";

/* saltext-virt's update() (modules/virt.py) reads <nosharepages/> and <locked/> from the
 * element it has just created when it is missing, so adding either finds no difference:
 * on a domain that exists without them, they are saved only with some other change. */
static const char bare_note[] =
    "# nosharepages and locked: Salt's update does not count adding them as a change, so a\n"
    "# domain that already exists without them gets them only together with another change\n"
    "# (vmplan export --define URI writes them at once).\n";

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	sbuf *b = data;

	if (b->len + size + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *n;
		while (b->len + size + 1 > cap)
			cap *= 2;
		if (!(n = realloc(b->data, cap))) {
			b->oom = true;
			return 0;
		}
		b->data = n;
		b->cap = cap;
	}
	memcpy(b->data + b->len, buffer, size);
	b->len += size;
	b->data[b->len] = '\0';
	return 1;
}

/* The emitter and whether every event so far was accepted. */
typedef struct em {
	yaml_emitter_t e;
	bool ok;
} em;

static void ev(em *m, yaml_event_t *event)
{
	if (m->ok && !yaml_emitter_emit(&m->e, event))
		m->ok = false;
	else if (!m->ok)
		yaml_event_delete(event);
}

/* A scalar; quoted strings stay strings where YAML would read a number ("0" as a cpuset). */
static void scalar(em *m, const char *s, bool quoted)
{
	yaml_event_t event;

	yaml_scalar_event_initialize(
	    &event, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), !quoted, 1,
	    quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
	ev(m, &event);
}

static void str(em *m, const char *s)
{
	scalar(m, s, false);
}

static void quoted(em *m, const char *s)
{
	scalar(m, s, true);
}

/* Text that comes from the user (a VM name, a path): always a string, whatever YAML 1.1 would
 * make of it plain (01, on, null, 1.5 and 1_000 are an int, a bool, None, a float, an int). */
static void text(em *m, const char *s)
{
	quoted(m, s);
}

static void num(em *m, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	scalar(m, buf, false);
}

static void null(em *m)
{
	/* YAML's null, which Salt's virt.update reads as "remove"; never the string "None". */
	scalar(m, "null", false);
}

static void size(em *m, uint64_t bytes)
{
	char buf[32];

	vmp_size_format(buf, sizeof(buf), bytes);
	scalar(m, buf, false);
}

static void cpuset(em *m, const vmp_cpuset *set)
{
	char buf[8192];

	vmp_cpuset_format(buf, sizeof(buf), set);
	quoted(m, buf);
}

static void map_start(em *m)
{
	yaml_event_t event;

	yaml_mapping_start_event_initialize(&event, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	ev(m, &event);
}

static void map_end(em *m)
{
	yaml_event_t event;

	yaml_mapping_end_event_initialize(&event);
	ev(m, &event);
}

static void seq_start(em *m)
{
	yaml_event_t event;

	yaml_sequence_start_event_initialize(&event, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
	ev(m, &event);
}

static void seq_end(em *m)
{
	yaml_event_t event;

	yaml_sequence_end_event_initialize(&event);
	ev(m, &event);
}

static void key(em *m, const char *k)
{
	str(m, k);
}

static void key_num(em *m, int64_t k)
{
	num(m, k);
}

/* scheduler and, for the real-time ones, priority (1 when unset). */
static void sched_keys(em *m, vmp_sched sched, int priority)
{
	key(m, "scheduler");
	str(m, vmp_sched_name(sched));
	if (sched == VMP_SCHED_FIFO || sched == VMP_SCHED_RR) {
		key(m, "priority");
		num(m, priority > 0 ? priority : 1);
	}
}

/* vcpupin, emulatorpin and iothreadpin: null where the plan pins nothing. */
static void tuning_pins(em *m, const vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;
	bool pinned = false;

	for (unsigned i = 0; i < r->vcpus; i++)
		pinned |= vm->vcpupin[i] >= 0;
	key(m, "vcpupin");
	if (pinned) {
		map_start(m);
		for (unsigned i = 0; i < r->vcpus; i++) {
			vmp_cpuset one = {0};
			if (vm->vcpupin[i] < 0)
				continue;
			vmp_cpuset_set(&one, vm->vcpupin[i]);
			key_num(m, i);
			cpuset(m, &one);
		}
		map_end(m);
	} else {
		null(m);
	}
	key(m, "emulatorpin");
	if (vmp_cpuset_empty(&vm->emulatorpin))
		null(m);
	else
		cpuset(m, &vm->emulatorpin);
	key(m, "iothreadpin");
	if (vm->niothreads) {
		map_start(m);
		for (int i = 0; i < vm->niothreads; i++) {
			key_num(m, i + 1);
			cpuset(m, &vm->iothreadpin[i]);
		}
		map_end(m);
	} else {
		null(m);
	}
}

/* shares and the CFS bandwidth knobs: null where the request leaves them. */
static void tuning_bandwidth(em *m, const vmp_vm_request *r)
{
	key(m, "shares");
	r->shares ? num(m, r->shares) : null(m);
	key(m, "period");
	r->period_us ? num(m, (int64_t)r->period_us) : null(m);
	key(m, "quota");
	r->quota_us ? num(m, r->quota_us) : null(m);
	key(m, "global_period");
	r->global_period_us ? num(m, (int64_t)r->global_period_us) : null(m);
	key(m, "global_quota");
	r->global_quota_us ? num(m, r->global_quota_us) : null(m);
	key(m, "emulator_period");
	r->emulator_period_us ? num(m, (int64_t)r->emulator_period_us) : null(m);
	key(m, "emulator_quota");
	r->emulator_quota_us ? num(m, r->emulator_quota_us) : null(m);
	key(m, "iothread_period");
	r->iothread_period_us ? num(m, (int64_t)r->iothread_period_us) : null(m);
	key(m, "iothread_quota");
	r->iothread_quota_us ? num(m, r->iothread_quota_us) : null(m);
}

/*
 * One vcpusched or iothreadsched item per thread, in id order: "name" is the list key
 * (vcpus, iothreads), ids first..last, each a string (Salt's domain template skips a vcpus
 * that is a false value, as the number 0 would be). libvirt keeps <vcpusched vcpus='0-3'/>
 * as one element per vCPU in vCPU order, and saltext-virt's update() (modules/virt.py,
 * through salt.utils.xmlutil's change_xml()) compares the n-th list item with the n-th
 * <vcpusched> element: one item for the range would be rewritten, and the other elements
 * dropped, on every apply.
 */
static void sched_list(em *m, const char *name, int first, int last, vmp_sched sched, int priority)
{
	seq_start(m);
	for (int id = first; id <= last; id++) {
		char buf[16];
		map_start(m);
		sched_keys(m, sched, priority);
		key(m, name);
		snprintf(buf, sizeof(buf), "%d", id);
		quoted(m, buf);
		map_end(m);
	}
	seq_end(m);
}

/* vcpusched, iothreadsched and emulatorsched. */
static void tuning_sched(em *m, const vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;

	key(m, "vcpusched");
	/* Without its vcpus, Salt would give the scheduler to no vCPU at all. */
	if (r->vcpu_sched != VMP_SCHED_NONE)
		sched_list(m, "vcpus", 0, (int)r->vcpus - 1, r->vcpu_sched, r->vcpu_priority);
	else
		null(m);
	/* Like vcpusched, iothreadsched names its threads; emulatorsched is one mapping. */
	key(m, "iothreadsched");
	if (r->iothread_sched != VMP_SCHED_NONE && (vm->niothreads || r->iothreads))
		sched_list(m, "iothreads", 1, vm->niothreads ? vm->niothreads : (int)r->iothreads,
			   r->iothread_sched, r->vcpu_priority);
	else
		null(m);
	key(m, "emulatorsched");
	if (r->emulator_sched != VMP_SCHED_NONE) {
		map_start(m);
		sched_keys(m, r->emulator_sched, r->vcpu_priority);
		map_end(m);
	} else {
		null(m);
	}
}

/* bytes in the largest unit that divides them, as libvirt formats a cache size (B, KiB,
 * MiB, ...). */
static void pretty_size(uint64_t *size, const char **unit, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	int u = 0;

	while (u < 5 && bytes && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	*size = bytes;
	*unit = units[u];
}

/* cachetune and memorytune, each one group for all vCPUs: null where the plan has none. */
static void tuning_resctrl(em *m, const vmp_plan_vm *vm, const vmp_cpuset *vcpus)
{
	char vset[8192];

	vmp_cpuset_format(vset, sizeof(vset), vcpus);
	key(m, "cachetune");
	if (vm->ncachetune) {
		map_start(m);
		quoted(m, vset);
		map_start(m);
		for (int i = 0; i < vm->ncachetune; i++) {
			const vmp_plan_cachetune *c = &vm->cachetune[i];
			const char *unit;
			uint64_t size;
			key_num(m, c->cache_id);
			map_start(m);
			key(m, "level");
			num(m, c->level);
			key(m, "type");
			str(m, *c->type ? c->type : "both");
			/* In the unit libvirt prints it back in: saltext-virt's update compares
			 * the bare size attribute, so 4096 KiB against libvirt's 4 MiB would
			 * rewrite it as 4096 MiB on every apply. */
			pretty_size(&size, &unit, c->size_bytes);
			key(m, "size");
			num(m, (int64_t)size);
			key(m, "unit");
			str(m, unit);
			map_end(m);
		}
		map_end(m);
		map_end(m);
	} else {
		null(m);
	}
	key(m, "memorytune");
	if (vm->nmemorytune) {
		map_start(m);
		quoted(m, vset);
		map_start(m);
		for (int i = 0; i < vm->nmemorytune; i++) {
			key_num(m, vm->memorytune[i].node_id);
			num(m, vm->memorytune[i].bandwidth);
		}
		map_end(m);
		map_end(m);
	} else {
		null(m);
	}
}

static void cpu_tuning(em *m, const vmp_plan_vm *vm)
{
	vmp_cpuset vcpus = {0};

	vmp_cpuset_set_range(&vcpus, 0, (int)vm->req.vcpus - 1);
	map_start(m);
	tuning_pins(m, vm);
	tuning_bandwidth(m, &vm->req);
	tuning_sched(m, vm);
	tuning_resctrl(m, vm, &vcpus);
	map_end(m);
}

/* mode is the <cpu mode> for the domain type, as the libvirt exporter chooses it. */
static void cpu_param(em *m, const vmp_plan_vm *vm, const char *mode)
{
	map_start(m);
	key(m, "placement");
	str(m, "static");
	if (!vmp_cpuset_empty(&vm->pcpus)) {
		key(m, "cpuset");
		cpuset(m, &vm->pcpus);
	}
	key(m, "maximum");
	num(m, vm->req.vcpus);
	key(m, "mode");
	str(m, mode);
	key(m, "topology");
	map_start(m);
	key(m, "sockets");
	num(m, vm->sockets ? vm->sockets : 1);
	if (vm->dies > 1) {
		key(m, "dies");
		num(m, vm->dies);
	}
	key(m, "cores");
	num(m, vm->cores ? vm->cores : vm->req.vcpus);
	key(m, "threads");
	num(m, vm->threads ? vm->threads : 1);
	map_end(m);
	if (vm->req.cpu_cache != VMP_CACHE_NONE) {
		static const char *const modes[] = {"", "passthrough", "emulate", "disable"};
		key(m, "cache");
		map_start(m);
		key(m, "mode");
		str(m, modes[vm->req.cpu_cache]);
		map_end(m);
	}
	if (vm->ncells) {
		key(m, "numa");
		map_start(m);
		for (int i = 0; i < vm->ncells; i++) {
			key_num(m, i);
			map_start(m);
			key(m, "cpus");
			cpuset(m, &vm->cells[i].vcpus);
			key(m, "memory");
			size(m, vm->cells[i].memory_bytes);
			if (vm->req.mem_discard) {
				key(m, "discard");
				str(m, "true");
			}
			if (vm->req.mem_access != VMP_ACCESS_DEFAULT) {
				key(m, "memAccess");
				str(m,
				    vm->req.mem_access == VMP_ACCESS_SHARED ? "shared" : "private");
			}
			if (vm->cells[i].distances[i]) {
				key(m, "distances");
				map_start(m);
				for (int j = 0; j < vm->ncells; j++) {
					key_num(m, j);
					num(m, vm->cells[i].distances[j]);
				}
				map_end(m);
			}
			map_end(m);
		}
		map_end(m);
	}
	key(m, "tuning");
	cpu_tuning(m, vm);
	if (vm->niothreads || vm->req.iothreads) {
		key(m, "iothreads");
		num(m, vm->niothreads ? vm->niothreads : (int)vm->req.iothreads);
	}
	map_end(m);
}

static void limit(em *m, const char *name, uint64_t bytes)
{
	key(m, name);
	bytes ? size(m, bytes) : null(m);
}

static void mem_param(em *m, const vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;
	uint64_t bytes = vmp_vm_memory_bytes(vm);

	map_start(m);
	key(m, "boot");
	size(m, bytes);
	key(m, "current");
	size(m, bytes);
	key(m, "hugepages");
	if (r->hugepage_bytes) {
		vmp_cpuset cells = {0};
		seq_start(m);
		map_start(m);
		if (vm->ncells) {
			vmp_cpuset_set_range(&cells, 0, vm->ncells - 1);
			key(m, "nodeset");
			cpuset(m, &cells);
		}
		key(m, "size");
		size(m, r->hugepage_bytes);
		map_end(m);
		seq_end(m);
	} else {
		null(m);
	}
	/* nosharepages, locked and discard are bare elements (<locked/>), and saltext-virt's
	 * update() removes those for a null through salt.utils.xmlutil's del_text(), whose
	 * clean_node() call then fails on the element it just removed (it passes the parent
	 * element where the parent map belongs): the whole update stops with an error. So
	 * they are written only when set, never as null, and a stale one is left alone. */
	if (r->nosharepages) {
		key(m, "nosharepages");
		str(m, "true");
	}
	if (r->mem_locked) {
		key(m, "locked");
		str(m, "true");
	}
	limit(m, "hard_limit", r->hard_limit_bytes);
	limit(m, "soft_limit", r->soft_limit_bytes);
	limit(m, "swap_hard_limit", r->swap_hard_limit_bytes);
	limit(m, "min_guarantee", r->min_guarantee_bytes);
	{
		static const char *const sources[] = {"", "anonymous", "file", "memfd"};
		static const char *const accesses[] = {"", "shared", "private"};
		static const char *const allocations[] = {"", "immediate", "ondemand"};
		key(m, "source");
		r->mem_source ? str(m, sources[r->mem_source]) : null(m);
		key(m, "access");
		r->mem_access ? str(m, accesses[r->mem_access]) : null(m);
		key(m, "allocation");
		r->mem_allocation ? str(m, allocations[r->mem_allocation]) : null(m);
		/* The cells carry discard='yes' (salt_check() saw to it that there are some):
		 * Salt's update rewrites memoryBacking's <discard/> on every apply, and cannot
		 * remove it (see nosharepages above), so no discard key at all. */
	}
	map_end(m);
}

static void numatune_param(em *m, const vmp_plan_vm *vm)
{
	const char *mode = vmp_mem_mode_name(vm->req.mem_mode);
	vmp_cpuset nodes;

	vmp_vm_nodes(&nodes, vm);
	map_start(m);
	key(m, "memory");
	map_start(m);
	key(m, "mode");
	str(m, mode);
	key(m, "nodeset");
	cpuset(m, &nodes);
	map_end(m);
	key(m, "memnodes");
	map_start(m);
	for (int i = 0; i < vm->ncells; i++) {
		vmp_cpuset one = {0};
		vmp_cpuset_set(&one, vm->cells[i].host_node);
		key_num(m, i);
		map_start(m);
		key(m, "mode");
		str(m, mode);
		key(m, "nodeset");
		cpuset(m, &one);
		map_end(m);
	}
	map_end(m);
	map_end(m);
}

/* One "- key: value" item of a state's argument list. */
static void arg_start(em *m, const char *name)
{
	map_start(m);
	key(m, name);
}

/*
 * What Salt's virt module cannot say for this VM: it has no secure boot at all (its loader
 * carries no secure='yes' and it turns on no SMM); and it takes a loader only together
 * with an nvram, which it writes as <nvram template='...'> (saltext-virt's update sets the
 * template attribute): a template libvirt copies into a new variable store, not the store
 * the plan names. Writing either would give another firmware than the plan asks for.
 */
static int salt_check(const vmp_plan_vm *vm)
{
	const vmp_vm_request *r = &vm->req;

	if (r->secure_boot) {
		vmp_error_set("cannot write Salt state for VM '%s': Salt's virt module cannot "
			      "turn on secure boot (firmware=efi-secure); use firmware=efi, or "
			      "--format libvirt",
			      r->name);
		return VMP_EINVAL;
	}
	if (!r->hugepage_bytes && (r->nosharepages || r->mem_locked || r->mem_source ||
				   r->mem_access || r->mem_allocation)) {
		vmp_error_set("cannot write Salt state for VM '%s': Salt's domain template writes "
			      "nosharepages, locked and the memory source, access and allocation "
			      "only together with hugepages, so a new domain would lose them; add "
			      "hugepages=, or define it through libvirt (export --define)",
			      r->name);
		return VMP_EINVAL;
	}
	if (r->mem_discard && !vm->ncells) {
		vmp_error_set("cannot write Salt state for VM '%s': Salt's update compares "
			      "<discard/> by its text, which libvirt never keeps, so every apply "
			      "would rewrite it; give the VM NUMA cells (their discard='yes' "
			      "round-trips), or use --format libvirt",
			      r->name);
		return VMP_EINVAL;
	}
	if (r->loader[0] || r->nvram[0]) {
		vmp_error_set("cannot write Salt state for VM '%s': Salt's virt module takes a "
			      "loader only together with an nvram, and writes that nvram as a "
			      "template libvirt copies into a new variable store, not the store "
			      "nvram= names; use firmware=efi (Salt's efi: true) without loader= "
			      "and nvram=, or --format libvirt",
			      r->name);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

static void vm_state(em *m, const vmp_plan_vm *vm, const vmp_export_opts *opts)
{
	/* Software emulation (TCG) cannot pass the host CPU through: as in the XML. */
	const char *cpu_mode =
	    opts->type && !strcmp(opts->type, "qemu") ? "maximum" : "host-passthrough";

	text(m, vm->req.name);
	map_start(m);
	key(m, opts->salt_running ? "virt.running" : "virt.defined");
	seq_start(m);
	arg_start(m, "cpu");
	cpu_param(m, vm, cpu_mode);
	map_end(m);
	arg_start(m, "mem");
	mem_param(m, vm);
	map_end(m);
	if (vm->ncells) {
		arg_start(m, "numatune");
		numatune_param(m, vm);
		map_end(m);
	}
	if (vm->req.efi) {
		/* salt_check() refused loader= and nvram=: Salt's efi picks the firmware. */
		arg_start(m, "boot");
		map_start(m);
		key(m, "efi");
		str(m, "true");
		map_end(m);
		map_end(m);
	}
	arg_start(m, "vm_type");
	text(m, opts->type ? opts->type : "kvm");
	map_end(m);
	seq_end(m);
	map_end(m);
}

static int export_salt(char **out, size_t *len, const vmp_plan *plan, int vm,
		       const vmp_export_opts *opts)
{
	yaml_event_t event;
	sbuf buf = {0};
	em m = {.ok = true};
	int nplaced = 0;

	*out = NULL;
	for (int i = 0; i < plan->nvms; i++)
		nplaced += plan->vms[i].placed && (vm < 0 || vm == i);
	if (vm >= 0 && (vm >= plan->nvms || !plan->vms[vm].placed)) {
		vmp_error_set("cannot export VM '%s': it was not placed",
			      vm < plan->nvms ? plan->vms[vm].req.name : "?");
		return VMP_EINVAL;
	}
	/* Refused before anything is written: a state file is all the plan or nothing. */
	for (int i = 0; i < plan->nvms; i++) {
		int err;
		if (plan->vms[i].placed && (vm < 0 || vm == i) &&
		    (err = salt_check(&plan->vms[i])) < 0)
			return err;
	}
	if (!yaml_emitter_initialize(&m.e)) {
		vmp_error_set("cannot write Salt state: out of memory");
		return VMP_ENOMEM;
	}
	if (opts->salt_running && nplaced)
		write_handler(&buf, (unsigned char *)running_note, strlen(running_note));
	for (int i = 0; i < plan->nvms; i++)
		if (plan->vms[i].placed && (vm < 0 || vm == i) &&
		    (plan->vms[i].req.nosharepages || plan->vms[i].req.mem_locked)) {
			write_handler(&buf, (unsigned char *)bare_note, strlen(bare_note));
			break;
		}
	yaml_emitter_set_output(&m.e, write_handler, &buf);
	yaml_emitter_set_unicode(&m.e, 1);
	yaml_emitter_set_width(&m.e, 100);
	yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING);
	ev(&m, &event);
	yaml_document_start_event_initialize(&event, NULL, NULL, NULL, 1);
	ev(&m, &event);
	if (nplaced == 0) {
		/* An empty state file: an empty mapping, still valid YAML. */
		yaml_mapping_start_event_initialize(&event, NULL, NULL, 1, YAML_FLOW_MAPPING_STYLE);
		ev(&m, &event);
	} else {
		map_start(&m);
	}
	for (int i = 0; i < plan->nvms; i++)
		if (plan->vms[i].placed && (vm < 0 || vm == i))
			vm_state(&m, &plan->vms[i], opts);
	map_end(&m);
	yaml_document_end_event_initialize(&event, 1);
	ev(&m, &event);
	yaml_stream_end_event_initialize(&event);
	ev(&m, &event);
	if (m.ok && !yaml_emitter_flush(&m.e))
		m.ok = false;
	yaml_emitter_delete(&m.e);
	if (!m.ok || buf.oom || !buf.data) {
		free(buf.data);
		vmp_error_set("cannot write Salt state: %s",
			      buf.oom ? "out of memory" : "the YAML emitter refused it");
		return buf.oom ? VMP_ENOMEM : VMP_EINVAL;
	}
	*out = buf.data;
	if (len)
		*len = buf.len;
	return VMP_OK;
}

const vmp_exporter vmp_exporter_salt = {
    .name = "salt",
    .ext = ".sls",
    .per_vm = false,
    .file = "vmplan.sls",
    .fn = export_salt,
};
