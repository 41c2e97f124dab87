/* The table of VM request keys, and setting a request from text by key. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmplan/error.h"
#include "vmplan/request.h"
#include "vmplan/size.h"
#include "vmplan/spec.h"

static const char *const cpu_names[] = {"dedicated", "shared", NULL};
static const char *const thread_names[] = {"prefer", "isolate", "require", NULL};
static const char *const mem_mode_names[] = {"strict", "interleave", "preferred", "restrictive",
					     NULL};
static const char *const emulator_names[] = {"share", "isolate", NULL};
static const char *const iothread_names[] = {"housekeeping", "near-device", NULL};
static const char *const sched_names[] = {"none", "fifo", "rr", "batch", "idle", NULL};
static const char *const firmware_names[] = {"bios", "efi", "efi-secure", NULL};
static const char *const cache_names[] = {"none", "passthrough", "emulate", "disable", NULL};
static const char *const access_names[] = {"default", "shared", "private", NULL};
static const char *const source_names[] = {"default", "anonymous", "file", "memfd", NULL};
static const char *const allocation_names[] = {"default", "immediate", "ondemand", NULL};
/* The bench's workloads (bench/result.c maps them by name). */
static const char *const workload_names[] = {"stream", "latency", "c2c", "compute", "noisy", NULL};

static int set_name(vmp_vm_request *req, const vmp_request_key *key, const char *value);
static int set_profile(vmp_vm_request *req, const vmp_request_key *key, const char *value);
static int set_device(vmp_vm_request *req, const vmp_request_key *key, const char *value);
static int set_numa(vmp_vm_request *req, const vmp_request_key *key, const char *value);
static int set_membw(vmp_vm_request *req, const vmp_request_key *key, const char *value);
static int set_firmware(vmp_vm_request *req, const vmp_request_key *key, const char *value);
static int refuse_min_guarantee(vmp_vm_request *req, const vmp_request_key *key, const char *value);
static int set_fleet_label(vmp_vm_request *req, const vmp_request_key *key, const char *value);
static int check_name(const vmp_vm_request *req, size_t *field);
static int check_firmware(const vmp_vm_request *req, size_t *field);
static int check_min_guarantee(const vmp_vm_request *req, size_t *field);
static int set_hugepages(vmp_vm_request *req, const vmp_request_key *key, const char *value);
static int check_hugepages(const vmp_vm_request *req, size_t *field);

#define QUOTA_MAX INT64_C(17592186044415)

/* A field of vmp_vm_request: its plan.json name, its type, and what plan.json may hold. */
#define FIELD(json, type, member, lo, hi)                                                          \
	{                                                                                          \
		json, VMP_FIELD_##type, offsetof(vmp_vm_request, member),                          \
		    sizeof(((vmp_vm_request *)0)->member), lo, hi                                  \
	}
#define FIELD_ENUM(json, member) FIELD(json, ENUM, member, 0, 0)

/* clang-format off */
static const vmp_request_key keys[] = {
	{"name", "NAME", "the libvirt domain name (letters, digits, '.', '-', '_')",
	 .set = set_name, .check = check_name, .json_rank = 0,
	 .fields = {FIELD("name", TEXT, name, 0, 0)}},
	{"profile", "PROFILE", "a workload profile whose settings this VM starts from",
	 .set = set_profile, .json_rank = 1, .fields = {FIELD("profile", TEXT, profile, 0, 0)}},
	{"vcpus", "N", "number of vCPUs, 1-1024",
	 VMP_PARSE_RANGE, .min = 1, .max = VMP_MAX_VCPUS, .json_rank = 2,
	 .fields = {FIELD("vcpus", UINT, vcpus, 1, VMP_MAX_VCPUS)}},
	{"memory", "SIZE", "guest memory",
	 VMP_PARSE_KIB, .min = 1, .json_rank = 3,
	 .fields = {FIELD("memory_bytes", U64, memory_bytes, 1, INT64_MAX)}},
	{"cpu", "dedicated|shared", "a host CPU per vCPU, or a share of the common pool",
	 VMP_PARSE_ENUM, cpu_names, .json_rank = 4, .fields = {FIELD_ENUM("cpu", cpu)}},
	{"threads", "prefer|isolate|require", "SMT use: sibling pairs, one vCPU per core, whole cores only",
	 VMP_PARSE_ENUM, thread_names, .json_rank = 5, .fields = {FIELD_ENUM("threads", threads)}},
	{"numa", "N|auto", "guest NUMA cells, each on its own host node (auto, the default: fewest that fit)",
	 .set = set_numa, .json_rank = 7,
	 .fields = {FIELD("numa_cells", UINT, numa_cells, 0, VMP_MAX_CELLS)}},
	{"memory_mode", "strict|interleave|preferred|restrictive", "numatune memory mode",
	 VMP_PARSE_ENUM, mem_mode_names, .json_rank = 8,
	 .fields = {FIELD_ENUM("mem_mode", mem_mode)}},
	{"emulator", "share|isolate", "emulator thread on the VM's CPUs, or on housekeeping CPUs",
	 VMP_PARSE_ENUM, emulator_names, .json_rank = 6,
	 .fields = {FIELD_ENUM("emulator", emulator)}},
	{"iothreads", "N", "I/O threads, 0-16",
	 VMP_PARSE_RANGE, .min = 0, .max = VMP_MAX_IOTHREADS, .json_rank = 16,
	 .fields = {FIELD("iothreads", UINT, iothreads, 0, VMP_MAX_IOTHREADS)}},
	{"iothread_placement", "housekeeping|near-device", "where I/O threads run",
	 VMP_PARSE_ENUM, iothread_names, .json_rank = 17,
	 .fields = {FIELD_ENUM("iothread_policy", iothread_policy)}},
	{"device", "NAME|PCI", "a host device the VM uses; vCPUs and I/O threads go near it",
	 .set = set_device, .json_rank = 18, .fields = {FIELD("device", TEXT, device, 0, 0)}},
	{"hugepages", "SIZE|none", "back memory with hugepages of this size (2M, 1G)",
	 VMP_PARSE_SIZE, .min = 0, .set = set_hugepages, .check = check_hugepages, .json_rank = 9,
	 .fields = {FIELD("hugepage_bytes", U64, hugepage_bytes, 0, INT64_MAX)}},
	{"locked", "true|false", "lock guest memory in host RAM",
	 VMP_PARSE_BOOL, .json_rank = 10, .fields = {FIELD("mem_locked", BOOL, mem_locked, 0, 0)}},
	{"nosharepages", "true|false", "keep KSM from merging guest pages",
	 VMP_PARSE_BOOL, .json_rank = 11,
	 .fields = {FIELD("nosharepages", BOOL, nosharepages, 0, 0)}},
	{"hard_limit", "SIZE|none", "memtune hard_limit",
	 VMP_PARSE_KIB, .min = 0, .json_rank = 12,
	 .fields = {FIELD("hard_limit_bytes", U64, hard_limit_bytes, 0, INT64_MAX)}},
	{"soft_limit", "SIZE|none", "memtune soft_limit",
	 VMP_PARSE_KIB, .min = 0, .json_rank = 13,
	 .fields = {FIELD("soft_limit_bytes", U64, soft_limit_bytes, 0, INT64_MAX)}},
	{"swap_hard_limit", "SIZE|none", "memtune swap_hard_limit",
	 VMP_PARSE_KIB, .min = 0, .json_rank = 14,
	 .fields = {FIELD("swap_hard_limit_bytes", U64, swap_hard_limit_bytes, 0, INT64_MAX)}},
	{"cache", "SIZE|none", "L3 to reserve in each L3 domain the VM uses (resctrl)",
	 VMP_PARSE_SIZE, .min = 0, .json_rank = 19,
	 .fields = {FIELD("cache_bytes", U64, cache_bytes, 0, INT64_MAX)}},
	{"membw", "PERCENT%|NMBps|NGBps|none", "memory bandwidth cap (resctrl MB)",
	 .set = set_membw, .json_rank = 20,
	 .fields = {FIELD("membw_percent", UINT, membw_percent, 0, 100),
		    FIELD("membw_mbps", U64, membw_mbps, 0, INT64_MAX)}},
	{"sched", "none|fifo|rr|batch|idle", "vCPU scheduler",
	 VMP_PARSE_ENUM, sched_names, .json_rank = 21,
	 .fields = {FIELD_ENUM("vcpu_sched", vcpu_sched)}},
	{"sched_priority", "N", "real-time priority for fifo/rr, 1-99",
	 VMP_PARSE_RANGE, .min = 1, .max = 99, .json_rank = 22,
	 .fields = {FIELD("vcpu_priority", INT, vcpu_priority, 0, 99)}},
	{"shares", "N", "cputune shares (shared VMs)",
	 VMP_PARSE_RANGE, .min = 2, .max = 262144, .json_rank = 23,
	 .fields = {FIELD("shares", UINT, shares, 0, 262144)}},
	{"period", "USEC", "cputune period, 1000-1000000",
	 VMP_PARSE_RANGE, .min = 1000, .max = 1000000, .json_rank = 24,
	 .fields = {FIELD("period_us", U64, period_us, 0, 1000000)}},
	{"quota", "USEC|-1", "cputune quota, 1000-17592186044415, or -1 for none",
	 VMP_PARSE_QUOTA, .min = 1000, .max = QUOTA_MAX, .json_rank = 25,
	 .fields = {FIELD("quota_us", I64, quota_us, -1, QUOTA_MAX)}},
	{"priority", "N", "placement weight, 0-1000: higher is placed first",
	 VMP_PARSE_RANGE, .min = 0, .max = 1000, .json_rank = 26,
	 .fields = {FIELD("priority", INT, priority, INT32_MIN, INT32_MAX)}},
	{"firmware", "bios|efi|efi-secure", "boot firmware; efi-secure enables secure boot",
	 VMP_PARSE_ENUM, firmware_names, .set = set_firmware, .check = check_firmware,
	 .json_rank = 27,
	 .fields = {FIELD("efi", BOOL, efi, 0, 0), FIELD("secure_boot", BOOL, secure_boot, 0, 0)}},
	{"loader", "PATH", "an explicit firmware image (pflash, read-only)",
	 VMP_PARSE_PATH, .json_rank = 28, .fields = {FIELD("loader", TEXT, loader, 0, 0)}},
	{"nvram", "PATH", "the firmware's variable store",
	 VMP_PARSE_PATH, .json_rank = 29, .fields = {FIELD("nvram", TEXT, nvram, 0, 0)}},
	{"cpu_cache", "none|passthrough|emulate|disable", "guest CPU cache information",
	 VMP_PARSE_ENUM, cache_names, .json_rank = 30,
	 .fields = {FIELD_ENUM("cpu_cache", cpu_cache)}},
	{"mem_access", "default|shared|private", "memory access mode (shared for vhost-user)",
	 VMP_PARSE_ENUM, access_names, .json_rank = 31,
	 .fields = {FIELD_ENUM("mem_access", mem_access)}},
	{"mem_source", "default|anonymous|file|memfd", "memory backing source",
	 VMP_PARSE_ENUM, source_names, .json_rank = 32,
	 .fields = {FIELD_ENUM("mem_source", mem_source)}},
	{"mem_allocation", "default|immediate|ondemand", "allocate guest memory at start or on use",
	 VMP_PARSE_ENUM, allocation_names, .json_rank = 33,
	 .fields = {FIELD_ENUM("mem_allocation", mem_allocation)}},
	{"discard", "true|false", "discard freed guest memory",
	 VMP_PARSE_BOOL, .json_rank = 34, .fields = {FIELD("mem_discard", BOOL, mem_discard, 0, 0)}},
	{"emulator_sched", "none|fifo|rr|batch|idle", "emulator thread scheduler",
	 VMP_PARSE_ENUM, sched_names, .json_rank = 35,
	 .fields = {FIELD_ENUM("emulator_sched", emulator_sched)}},
	{"iothread_sched", "none|fifo|rr|batch|idle", "I/O thread scheduler",
	 VMP_PARSE_ENUM, sched_names, .json_rank = 36,
	 .fields = {FIELD_ENUM("iothread_sched", iothread_sched)}},
	{"global_period", "USEC", "cputune global_period, 1000-1000000",
	 VMP_PARSE_RANGE, .min = 1000, .max = 1000000, .json_rank = 37,
	 .fields = {FIELD("global_period_us", U64, global_period_us, 0, 1000000)}},
	{"global_quota", "USEC|-1", "cputune global_quota",
	 VMP_PARSE_QUOTA, .min = 1000, .max = QUOTA_MAX, .json_rank = 38,
	 .fields = {FIELD("global_quota_us", I64, global_quota_us, -1, QUOTA_MAX)}},
	{"emulator_period", "USEC", "cputune emulator_period, 1000-1000000",
	 VMP_PARSE_RANGE, .min = 1000, .max = 1000000, .json_rank = 39,
	 .fields = {FIELD("emulator_period_us", U64, emulator_period_us, 0, 1000000)}},
	{"emulator_quota", "USEC|-1", "cputune emulator_quota",
	 VMP_PARSE_QUOTA, .min = 1000, .max = QUOTA_MAX, .json_rank = 40,
	 .fields = {FIELD("emulator_quota_us", I64, emulator_quota_us, -1, QUOTA_MAX)}},
	{"iothread_period", "USEC", "cputune iothread_period, 1000-1000000",
	 VMP_PARSE_RANGE, .min = 1000, .max = 1000000, .json_rank = 41,
	 .fields = {FIELD("iothread_period_us", U64, iothread_period_us, 0, 1000000)}},
	{"iothread_quota", "USEC|-1", "cputune iothread_quota",
	 VMP_PARSE_QUOTA, .min = 1000, .max = QUOTA_MAX, .json_rank = 42,
	 .fields = {FIELD("iothread_quota_us", I64, iothread_quota_us, -1, QUOTA_MAX)}},
	{"bench_workloads", "W[+W...]", "what bench measures: stream, latency, c2c, compute, noisy",
	 VMP_PARSE_SET, workload_names, .json_rank = 43,
	 .fields = {FIELD("bench_workloads", SET, bench_workloads, 0, 0)}},
	{"host", "LABEL", "fleets: only a host of fleet.yaml with this label",
	 .set = set_fleet_label, .json_rank = 44, .fields = {FIELD("host_label", TEXT, host_label, 0, 0)}},
	{"group", "NAME", "fleets: anti-affinity group; its members go to different hosts",
	 .set = set_fleet_label, .json_rank = 45, .fields = {FIELD("group", TEXT, group, 0, 0)}},
	{"together", "NAME", "fleets: keep-together group; its members go to one host",
	 .set = set_fleet_label, .json_rank = 46,
	 .fields = {FIELD("together", TEXT, together, 0, 0)}},
	/* Refused, not documented: it reads as a QEMU/KVM setting but is VMware's. */
	{"min_guarantee", "SIZE", "", .set = refuse_min_guarantee, .check = check_min_guarantee,
	 .json_rank = 15,
	 .fields = {FIELD("min_guarantee_bytes", U64, min_guarantee_bytes, 0, INT64_MAX)}},
};
/* clang-format on */

#define NKEYS_ALL (sizeof(keys) / sizeof(keys[0]))
#define NKEYS     (NKEYS_ALL - 1) /* without the refused min_guarantee */

const vmp_request_key *vmp_request_keys(size_t *count)
{
	*count = NKEYS;
	return keys;
}

const vmp_request_key *vmp_request_keys_all(size_t *count)
{
	*count = NKEYS_ALL;
	return keys;
}

const vmp_request_key *vmp_request_key_find(const char *name)
{
	for (size_t k = 0; k < NKEYS_ALL; k++)
		if (!strcmp(keys[k].name, name))
			return &keys[k];
	return NULL;
}

const char *vmp_request_enum_name(const char *key, int value)
{
	const vmp_request_key *k = vmp_request_key_find(key);
	int n = 0;

	if (!k || !k->names)
		return "";
	while (k->names[n])
		n++;
	return value >= 0 && value < n ? k->names[value] : k->names[0];
}

const char *vmp_mem_mode_name(vmp_mem_mode mode)
{
	return vmp_request_enum_name("memory_mode", (int)mode);
}

const char *vmp_sched_name(vmp_sched sched)
{
	return vmp_request_enum_name("sched", (int)sched);
}

void vmp_request_key_list(char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < NKEYS && pos < len; k++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", k ? ", " : "", keys[k].name);
}

/* A whole decimal number in [min, max], nothing else. */
static bool parse_u64(uint64_t *out, const char *value, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)value[0]))
		return false;
	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno == ERANGE || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int bad_range(const char *key, const char *value, uint64_t min, uint64_t max)
{
	vmp_error_set("%s must be between %" PRIu64 " and %" PRIu64 ", not '%s'", key, min, max,
		      value);
	return VMP_EINVAL;
}

/* Store v into an integer field of whatever width the table says it has. */
static void store_int(vmp_vm_request *req, const vmp_request_field *f, int64_t v)
{
	void *p = vmp_request_field_ptr(req, f);

	switch (f->type) {
	case VMP_FIELD_UINT:
	case VMP_FIELD_SET:
		*(unsigned *)p = (unsigned)v;
		break;
	case VMP_FIELD_INT:
	case VMP_FIELD_ENUM:
		*(int *)p = (int)v;
		break;
	case VMP_FIELD_U64:
		*(uint64_t *)p = (uint64_t)v;
		break;
	case VMP_FIELD_I64:
		*(int64_t *)p = v;
		break;
	case VMP_FIELD_BOOL:
		*(bool *)p = v != 0;
		break;
	default:
		break;
	}
}

static int set_range(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	uint64_t v;

	if (key->parse == VMP_PARSE_QUOTA && !strcmp(value, "-1")) {
		store_int(req, &key->fields[0], -1);
		return VMP_OK;
	}
	if (!parse_u64(&v, value, (uint64_t)key->min, (uint64_t)key->max))
		return bad_range(key->name, value, (uint64_t)key->min, (uint64_t)key->max);
	store_int(req, &key->fields[0], (int64_t)v);
	return VMP_OK;
}

/* "a, b or c" from a NULL-terminated list of names. */
static void choices(char *buf, size_t len, const char *const *names)
{
	size_t pos = 0, n = 0;

	while (names[n])
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && pos < len; i++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s",
					!i           ? ""
					: i + 1 == n ? " or "
						     : ", ",
					names[i]);
}

/* One of key->names; its index into *out. */
static int parse_enum(int *out, const vmp_request_key *key, const char *value)
{
	char list[256];

	for (int i = 0; key->names[i]; i++)
		if (!strcmp(value, key->names[i])) {
			*out = i;
			return VMP_OK;
		}
	choices(list, sizeof(list), key->names);
	vmp_error_set("%s must be %s, not '%s'", key->name, list, value);
	return VMP_EINVAL;
}

/* Names of key->names joined by '+', each at most once: a bit mask. */
static int set_set(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	const char *p = value;
	unsigned mask = 0;
	char list[256];

	while (*p) {
		size_t len = strcspn(p, "+");
		int i;

		for (i = 0; key->names[i]; i++)
			if (strlen(key->names[i]) == len && !strncmp(p, key->names[i], len))
				break;
		if (!key->names[i] || (mask & (1u << i)))
			goto bad;
		mask |= 1u << i;
		p += len;
		if (*p == '+' && !*++p)
			goto bad;
	}
	if (!mask)
		goto bad;
	store_int(req, &key->fields[0], mask);
	return VMP_OK;
bad:
	choices(list, sizeof(list), key->names);
	vmp_error_set("%s must name one or more of %s, each once and joined by '+', not '%s'",
		      key->name, list, value);
	return VMP_EINVAL;
}

/* A size, "none" (0) when none_ok; the size parser's message, with the key added. */
static int parse_size(uint64_t *out, const char *key, const char *value, bool none_ok)
{
	static const char prefix[] = "cannot parse size '";
	char msg[1024];

	if (none_ok && !strcmp(value, "none")) {
		*out = 0;
		return VMP_OK;
	}
	if (vmp_size_parse(out, value) < 0) {
		const char *why = strstr(vmp_error_last(), "': ");
		snprintf(msg, sizeof(msg), "%s",
			 why && !strncmp(vmp_error_last(), prefix, sizeof(prefix) - 1)
			     ? why + 3
			     : vmp_error_last());
		vmp_error_set("cannot parse size '%s' for %s: %s", value, key, msg);
		return VMP_EINVAL;
	}
	if (*out == 0) {
		vmp_error_set("%s must be more than 0, not '%s'", key, value);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/*
 * A size; one that libvirt keeps in KiB (memory, memtune) is rounded up to a whole KiB, as
 * libvirt rounds a size given in a decimal unit (memory=1gb is 976563 KiB).
 */
static int set_size(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	uint64_t v;
	int err;

	if ((err = parse_size(&v, key->name, value, key->min == 0)) < 0)
		return err;
	if (key->parse == VMP_PARSE_KIB) {
		if (v > UINT64_MAX - 1023) {
			vmp_error_set("%s '%s' is too large", key->name, value);
			return VMP_EINVAL;
		}
		v = (v + 1023) / 1024 * 1024;
	}
	store_int(req, &key->fields[0], (int64_t)v);
	return VMP_OK;
}

static int set_bool(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "on") ||
	    !strcmp(value, "1")) {
		store_int(req, &key->fields[0], 1);
		return VMP_OK;
	}
	if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "off") ||
	    !strcmp(value, "0")) {
		store_int(req, &key->fields[0], 0);
		return VMP_OK;
	}
	vmp_error_set("%s must be true or false, not '%s'", key->name, value);
	return VMP_EINVAL;
}

/* An absolute path of UTF-8 text, without control characters or '..', for loader and nvram. */
static int set_path(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	size_t size = key->fields[0].size;

	int err;

	if ((err = vmp_spec_check_text(key->name, value)) < 0)
		return err;
	if (value[0] != '/' || strlen(value) >= size) {
		vmp_error_set("%s must be an absolute path shorter than %zu bytes, not '%s'",
			      key->name, size, value);
		return VMP_EINVAL;
	}
	/* The path the firmware is read from is the path written: no '..' to climb out. */
	for (const char *p = value; (p = strstr(p, "/..")); p += 3)
		if (p[3] == '/' || p[3] == '\0') {
			vmp_error_set("%s must not contain '..', not '%s'", key->name, value);
			return VMP_EINVAL;
		}
	snprintf(vmp_request_field_ptr(req, &key->fields[0]), size, "%s", value);
	return VMP_OK;
}

static int set_name(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	int err;

	(void)key;
	if ((err = vmp_spec_check_name(value)) < 0)
		return err;
	snprintf(req->name, sizeof(req->name), "%s", value);
	return VMP_OK;
}

static int set_profile(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	(void)key;
	if (!*value || strlen(value) >= sizeof(req->profile) || strchr(value, '/')) {
		vmp_error_set("profile must be a profile name, not '%s'", value);
		return VMP_EINVAL;
	}
	snprintf(req->profile, sizeof(req->profile), "%s", value);
	return VMP_OK;
}

static int set_device(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	int err;

	if ((err = vmp_spec_check_text(key->name, value)) < 0)
		return err;
	if (!*value || strlen(value) >= sizeof(req->device)) {
		vmp_error_set("device must be a device name or PCI address, not '%s'", value);
		return VMP_EINVAL;
	}
	snprintf(req->device, sizeof(req->device), "%s", value);
	return VMP_OK;
}

static int set_numa(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	uint64_t v;

	(void)key;
	/* auto undoes a profile's fixed count: the planner picks the fewest that fit. */
	if (!strcmp(value, "auto")) {
		req->numa_cells = 0;
		return VMP_OK;
	}
	if (!parse_u64(&v, value, 1, VMP_MAX_CELLS)) {
		vmp_error_set("numa must be auto or between 1 and %d, not '%s'", VMP_MAX_CELLS,
			      value);
		return VMP_EINVAL;
	}
	req->numa_cells = (unsigned)v;
	return VMP_OK;
}

/* "50%" or "50" (percent), "5000MBps", "5GBps" (absolute). */
static int set_membw(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	char *end;
	unsigned long long v;

	(void)key;
	req->membw_percent = 0;
	req->membw_mbps = 0;
	if (!strcmp(value, "none"))
		return VMP_OK;
	errno = 0;
	v = isdigit((unsigned char)value[0]) ? strtoull(value, &end, 10) : 0;
	if (!isdigit((unsigned char)value[0]) || errno == ERANGE || v == 0)
		goto bad;
	if ((!*end || !strcmp(end, "%")) && v <= 100) {
		req->membw_percent = (unsigned)v;
		return VMP_OK;
	}
	if (!strcasecmp(end, "MBps") && v <= UINT64_C(1) << 40) {
		req->membw_mbps = v;
		return VMP_OK;
	}
	if (!strcasecmp(end, "GBps") && v <= UINT64_C(1) << 30) {
		req->membw_mbps = v * 1000;
		return VMP_OK;
	}
bad:
	vmp_error_set("membw must be a percentage (1-100, e.g. 50%%), an absolute rate "
		      "(5000MBps, 5GBps) or none, not '%s'",
		      value);
	return VMP_EINVAL;
}

static int set_firmware(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	int e, err;

	if ((err = parse_enum(&e, key, value)) < 0)
		return err;
	req->efi = e > 0;
	req->secure_boot = e == 2;
	return VMP_OK;
}

static int refuse_min_guarantee(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	(void)req;
	(void)key;
	(void)value;
	vmp_error_set("min_guarantee is for VMware guests only: libvirt's QEMU/KVM driver "
		      "refuses it; use soft_limit");
	return VMP_EINVAL;
}

/* The name becomes a file name (--out-dir, --xml-dir, backups) and a libvirt name. */
static int check_name(const vmp_vm_request *req, size_t *field)
{
	*field = 0;
	if (!*req->name) {
		vmp_error_set("the name is empty");
		return VMP_EINVAL;
	}
	return vmp_spec_check_name(req->name);
}

static int check_firmware(const vmp_vm_request *req, size_t *field)
{
	*field = 1;
	if (req->secure_boot && !req->efi) {
		vmp_error_set("secure boot needs efi");
		return VMP_EINVAL;
	}
	return VMP_OK;
}

/* A page size is a power of two of at least 4 KiB (2M, 1G), from any input alike. */
static int check_hugepages(const vmp_vm_request *req, size_t *field)
{
	uint64_t b = req->hugepage_bytes;

	*field = 0;
	if (b && (b < 4096 || (b & (b - 1)))) {
		vmp_error_set("hugepages must be a page size (a power of two of at least 4KiB, "
			      "like 2M or 1G), not %" PRIu64 " bytes",
			      b);
		return VMP_EINVAL;
	}
	return VMP_OK;
}

static int set_hugepages(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	vmp_vm_request r = *req;
	size_t field;
	int err;

	if ((err = set_size(&r, key, value)) < 0 || (err = check_hugepages(&r, &field)) < 0)
		return err;
	req->hugepage_bytes = r.hugepage_bytes;
	return VMP_OK;
}

static int check_min_guarantee(const vmp_vm_request *req, size_t *field)
{
	*field = 0;
	if (req->min_guarantee_bytes) {
		vmp_error_set("must be 0: libvirt's QEMU/KVM driver refuses min_guarantee");
		return VMP_EINVAL;
	}
	return VMP_OK;
}

int vmp_request_set(vmp_vm_request *req, const char *key, const char *value)
{
	const vmp_request_key *k = vmp_request_key_find(key);
	int e, err;

	if (!k) {
		vmp_error_set("unknown key '%s'", key);
		return VMP_ENOTFOUND;
	}
	if (k->set)
		return k->set(req, k, value);
	switch (k->parse) {
	case VMP_PARSE_RANGE:
	case VMP_PARSE_QUOTA:
		return set_range(req, k, value);
	case VMP_PARSE_SIZE:
	case VMP_PARSE_KIB:
		return set_size(req, k, value);
	case VMP_PARSE_BOOL:
		return set_bool(req, k, value);
	case VMP_PARSE_ENUM:
		if ((err = parse_enum(&e, k, value)) == 0)
			store_int(req, &k->fields[0], e);
		return err;
	case VMP_PARSE_SET:
		return set_set(req, k, value);
	case VMP_PARSE_PATH:
		return set_path(req, k, value);
	case VMP_PARSE_HOOK:
		break;
	}
	vmp_error_set("key '%s' has no parser", key);
	return VMP_EINVAL;
}

/* ---- did you mean: the nearest of a set of names, for messages ---- */

/* Levenshtein distance of a and b, counting a swap of neighbours as one edit. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev2[64], prev[64], cur[64];

	if (la >= 64 || lb >= 64)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	prev2[0] = 0;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
						    tolower((unsigned char)b[j - 1]));
			size_t best = prev[j] + 1 < cur[j - 1] + 1 ? prev[j] + 1 : cur[j - 1] + 1;
			best = sub < best ? sub : best;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		memcpy(prev2, prev, sizeof(prev));
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

const char *vmp_nearest_name(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, len = strlen(word);

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, names[i]);
		/* A prefix ("mem" for "memory") is as good as one edit. */
		if (len >= 3 && !strncasecmp(names[i], word, len))
			d = d < 1 ? d : 1;
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	/* Far-off guesses mislead more than they help. */
	return best && best_d <= (len <= 4 ? 1 : len <= 8 ? 2 : 3) ? best : NULL;
}

const char *vmp_request_key_suggest(const char *key)
{
	const char *names[128];
	size_t count, n = 0;
	const vmp_request_key *all = vmp_request_keys(&count);

	for (size_t k = 0; k < count && n < 128; k++)
		names[n++] = all[k].name;
	return vmp_nearest_name(key, names, n);
}

/* host=, group= and together=: a fleet label or group name, letters, digits, '.', '-', '_'. */
static int set_fleet_label(vmp_vm_request *req, const vmp_request_key *key, const char *value)
{
	char *dst = !strcmp(key->name, "host")       ? req->host_label
		    : !strcmp(key->name, "together") ? req->together
						     : req->group;
	size_t n = strlen(value);

	if (n == 0 || n >= sizeof(req->group) ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n) {
		vmp_error_set(
		    "%s must be a label of letters, digits, '.', '-', '_' (at most 63), not "
		    "'%s'",
		    key->name, value);
		return VMP_EINVAL;
	}
	memcpy(dst, value, n + 1);
	return VMP_OK;
}
