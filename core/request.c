/* Setting VM request fields by key, with the messages every input format shares. */
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

/* clang-format off */
static const vmp_request_key keys[] = {
	{"name", "NAME", "the libvirt domain name (letters, digits, '.', '-', '_')"},
	{"profile", "PROFILE", "a workload profile whose settings this VM starts from"},
	{"vcpus", "N", "number of vCPUs, 1-1024"},
	{"memory", "SIZE", "guest memory"},
	{"cpu", "dedicated|shared", "a host CPU per vCPU, or a share of the common pool"},
	{"threads", "prefer|isolate|require", "SMT use: sibling pairs, one vCPU per core, whole cores only"},
	{"numa", "N|auto", "guest NUMA cells, each on its own host node (auto, the default: fewest that fit)"},
	{"memory_mode", "strict|interleave|preferred|restrictive", "numatune memory mode"},
	{"emulator", "share|isolate", "emulator thread on the VM's CPUs, or on housekeeping CPUs"},
	{"iothreads", "N", "I/O threads, 0-16"},
	{"iothread_placement", "housekeeping|near-device", "where I/O threads run"},
	{"device", "NAME|PCI", "a host device the VM uses; vCPUs and I/O threads go near it"},
	{"hugepages", "SIZE|none", "back memory with hugepages of this size (2M, 1G)"},
	{"locked", "true|false", "lock guest memory in host RAM"},
	{"nosharepages", "true|false", "keep KSM from merging guest pages"},
	{"hard_limit", "SIZE|none", "memtune hard_limit"},
	{"soft_limit", "SIZE|none", "memtune soft_limit"},
	{"swap_hard_limit", "SIZE|none", "memtune swap_hard_limit"},
	{"cache", "SIZE|none", "L3 to reserve in each L3 domain the VM uses (resctrl)"},
	{"membw", "PERCENT%|NMBps|NGBps|none", "memory bandwidth cap (resctrl MB)"},
	{"sched", "none|fifo|rr|batch|idle", "vCPU scheduler"},
	{"sched_priority", "N", "real-time priority for fifo/rr, 1-99"},
	{"shares", "N", "cputune shares (shared VMs)"},
	{"period", "USEC", "cputune period, 1000-1000000"},
	{"quota", "USEC|-1", "cputune quota, 1000-17592186044415, or -1 for none"},
	{"priority", "N", "placement weight, 0-1000: higher is placed first"},
	{"firmware", "bios|efi|efi-secure", "boot firmware; efi-secure enables secure boot"},
	{"loader", "PATH", "an explicit firmware image (pflash, read-only)"},
	{"nvram", "PATH", "the firmware's variable store"},
	{"cpu_cache", "none|passthrough|emulate|disable", "guest CPU cache information"},
	{"mem_access", "default|shared|private", "memory access mode (shared for vhost-user)"},
	{"mem_source", "default|anonymous|file|memfd", "memory backing source"},
	{"mem_allocation", "default|immediate|ondemand", "allocate guest memory at start or on use"},
	{"discard", "true|false", "discard freed guest memory"},
	{"emulator_sched", "none|fifo|rr|batch|idle", "emulator thread scheduler"},
	{"iothread_sched", "none|fifo|rr|batch|idle", "I/O thread scheduler"},
	{"global_period", "USEC", "cputune global_period, 1000-1000000"},
	{"global_quota", "USEC|-1", "cputune global_quota"},
	{"emulator_period", "USEC", "cputune emulator_period, 1000-1000000"},
	{"emulator_quota", "USEC|-1", "cputune emulator_quota"},
	{"iothread_period", "USEC", "cputune iothread_period, 1000-1000000"},
	{"iothread_quota", "USEC|-1", "cputune iothread_quota"},
};
/* clang-format on */

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const vmp_request_key *vmp_request_keys(size_t *count)
{
	*count = NKEYS;
	return keys;
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

static int set_uint(unsigned *out, const char *key, const char *value, unsigned min,
		    unsigned max)
{
	uint64_t v;

	if (!parse_u64(&v, value, min, max))
		return bad_range(key, value, min, max);
	*out = (unsigned)v;
	return VMP_OK;
}

/* One of names[] (NULL-terminated); its index into *out. */
static int set_enum(int *out, const char *key, const char *value, const char *const *names,
		    const char *choices)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(value, names[i])) {
			*out = i;
			return VMP_OK;
		}
	vmp_error_set("%s must be %s, not '%s'", key, choices, value);
	return VMP_EINVAL;
}

/* A size, "none" (0) when none_ok; the size parser's message, with the key added. */
static int set_size(uint64_t *out, const char *key, const char *value, bool none_ok)
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
 * A size that libvirt keeps in KiB (memory, memtune): rounded up to a whole KiB, as libvirt
 * rounds a size given in a decimal unit (memory=1gb is 976563 KiB).
 */
static int set_kib(uint64_t *out, const char *key, const char *value, bool none_ok)
{
	uint64_t v;
	int err;

	if ((err = set_size(&v, key, value, none_ok)) < 0)
		return err;
	if (v > UINT64_MAX - 1023) {
		vmp_error_set("%s '%s' is too large", key, value);
		return VMP_EINVAL;
	}
	*out = (v + 1023) / 1024 * 1024;
	return VMP_OK;
}

static int set_bool(bool *out, const char *key, const char *value)
{
	if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "on") ||
	    !strcmp(value, "1")) {
		*out = true;
		return VMP_OK;
	}
	if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "off") ||
	    !strcmp(value, "0")) {
		*out = false;
		return VMP_OK;
	}
	vmp_error_set("%s must be true or false, not '%s'", key, value);
	return VMP_EINVAL;
}

/* "50%" or "50" (percent), "5000MBps", "5GBps" (absolute). */
static int set_membw(vmp_vm_request *req, const char *value)
{
	char *end;
	unsigned long long v;

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

static int set_period(uint64_t *out, const char *key, const char *value)
{
	uint64_t u;

	if (!parse_u64(&u, value, 1000, 1000000))
		return bad_range(key, value, 1000, 1000000);
	*out = u;
	return VMP_OK;
}

static int set_quota(int64_t *out, const char *key, const char *value)
{
	uint64_t u;

	if (!strcmp(value, "-1")) {
		*out = -1;
		return VMP_OK;
	}
	if (!parse_u64(&u, value, 1000, UINT64_C(17592186044415)))
		return bad_range(key, value, 1000, UINT64_C(17592186044415));
	*out = (int64_t)u;
	return VMP_OK;
}

/* An absolute path without control characters, for loader and nvram. */
static int set_path(char *out, size_t size, const char *key, const char *value)
{
	if (value[0] != '/' || strlen(value) >= size) {
		vmp_error_set("%s must be an absolute path shorter than %zu bytes, not '%s'", key,
			      size, value);
		return VMP_EINVAL;
	}
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			vmp_error_set("%s must not contain control characters", key);
			return VMP_EINVAL;
		}
	snprintf(out, size, "%s", value);
	return VMP_OK;
}

int vmp_request_set(vmp_vm_request *req, const char *key, const char *value)
{
	static const char *const cpu[] = {"dedicated", "shared", NULL};
	static const char *const threads[] = {"prefer", "isolate", "require", NULL};
	static const char *const mem_mode[] = {"strict", "interleave", "preferred", "restrictive",
					       NULL};
	static const char *const emulator[] = {"share", "isolate", NULL};
	static const char *const iot[] = {"housekeeping", "near-device", NULL};
	static const char *const sched[] = {"none", "fifo", "rr", "batch", "idle", NULL};
	static const char *const firmware[] = {"bios", "efi", "efi-secure", NULL};
	uint64_t u;
	int e, err;

	if (!strcmp(key, "name")) {
		if ((err = vmp_spec_check_name(value)) < 0)
			return err;
		snprintf(req->name, sizeof(req->name), "%s", value);
		return VMP_OK;
	}
	if (!strcmp(key, "profile")) {
		if (!*value || strlen(value) >= sizeof(req->profile) || strchr(value, '/')) {
			vmp_error_set("profile must be a profile name, not '%s'", value);
			return VMP_EINVAL;
		}
		snprintf(req->profile, sizeof(req->profile), "%s", value);
		return VMP_OK;
	}
	if (!strcmp(key, "vcpus"))
		return set_uint(&req->vcpus, key, value, 1, VMP_MAX_VCPUS);
	if (!strcmp(key, "memory"))
		return set_kib(&req->memory_bytes, key, value, false);
	if (!strcmp(key, "cpu")) {
		if ((err = set_enum(&e, key, value, cpu, "dedicated or shared")) == 0)
			req->cpu = (vmp_cpu_policy)e;
		return err;
	}
	if (!strcmp(key, "threads")) {
		if ((err = set_enum(&e, key, value, threads, "prefer, isolate or require")) == 0)
			req->threads = (vmp_thread_policy)e;
		return err;
	}
	if (!strcmp(key, "numa")) {
		/* auto undoes a profile's fixed count: the planner picks the fewest that fit. */
		uint64_t v;
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
	if (!strcmp(key, "memory_mode")) {
		if ((err = set_enum(&e, key, value, mem_mode,
				    "strict, interleave, preferred or restrictive")) == 0)
			req->mem_mode = (vmp_mem_mode)e;
		return err;
	}
	if (!strcmp(key, "emulator")) {
		if ((err = set_enum(&e, key, value, emulator, "share or isolate")) == 0)
			req->emulator = (vmp_emulator_policy)e;
		return err;
	}
	if (!strcmp(key, "iothreads"))
		return set_uint(&req->iothreads, key, value, 0, VMP_MAX_IOTHREADS);
	if (!strcmp(key, "iothread_placement")) {
		if ((err = set_enum(&e, key, value, iot, "housekeeping or near-device")) == 0)
			req->iothread_policy = (vmp_iothread_policy)e;
		return err;
	}
	if (!strcmp(key, "device")) {
		if (!*value || strlen(value) >= sizeof(req->device)) {
			vmp_error_set("device must be a device name or PCI address, not '%s'", value);
			return VMP_EINVAL;
		}
		snprintf(req->device, sizeof(req->device), "%s", value);
		return VMP_OK;
	}
	if (!strcmp(key, "hugepages"))
		return set_size(&req->hugepage_bytes, key, value, true);
	if (!strcmp(key, "locked"))
		return set_bool(&req->mem_locked, key, value);
	if (!strcmp(key, "nosharepages"))
		return set_bool(&req->nosharepages, key, value);
	if (!strcmp(key, "hard_limit"))
		return set_kib(&req->hard_limit_bytes, key, value, true);
	if (!strcmp(key, "soft_limit"))
		return set_kib(&req->soft_limit_bytes, key, value, true);
	if (!strcmp(key, "swap_hard_limit"))
		return set_kib(&req->swap_hard_limit_bytes, key, value, true);
	if (!strcmp(key, "min_guarantee")) {
		vmp_error_set("min_guarantee is for VMware guests only: libvirt's QEMU/KVM driver "
			      "refuses it; use soft_limit");
		return VMP_EINVAL;
	}
	if (!strcmp(key, "cache"))
		return set_size(&req->cache_bytes, key, value, true);
	if (!strcmp(key, "membw"))
		return set_membw(req, value);
	if (!strcmp(key, "sched")) {
		if ((err = set_enum(&e, key, value, sched, "none, fifo, rr, batch or idle")) == 0)
			req->vcpu_sched = (vmp_sched)e;
		return err;
	}
	if (!strcmp(key, "sched_priority")) {
		if (!parse_u64(&u, value, 1, 99))
			return bad_range(key, value, 1, 99);
		req->vcpu_priority = (int)u;
		return VMP_OK;
	}
	if (!strcmp(key, "shares"))
		return set_uint(&req->shares, key, value, 2, 262144);
	if (!strcmp(key, "period"))
		return set_period(&req->period_us, key, value);
	if (!strcmp(key, "quota"))
		return set_quota(&req->quota_us, key, value);
	if (!strcmp(key, "global_period"))
		return set_period(&req->global_period_us, key, value);
	if (!strcmp(key, "global_quota"))
		return set_quota(&req->global_quota_us, key, value);
	if (!strcmp(key, "emulator_period"))
		return set_period(&req->emulator_period_us, key, value);
	if (!strcmp(key, "emulator_quota"))
		return set_quota(&req->emulator_quota_us, key, value);
	if (!strcmp(key, "iothread_period"))
		return set_period(&req->iothread_period_us, key, value);
	if (!strcmp(key, "iothread_quota"))
		return set_quota(&req->iothread_quota_us, key, value);
	if (!strcmp(key, "loader"))
		return set_path(req->loader, sizeof(req->loader), key, value);
	if (!strcmp(key, "nvram"))
		return set_path(req->nvram, sizeof(req->nvram), key, value);
	if (!strcmp(key, "discard"))
		return set_bool(&req->mem_discard, key, value);
	if (!strcmp(key, "cpu_cache")) {
		static const char *const names[] = {"none", "passthrough", "emulate", "disable",
						    NULL};
		if ((err = set_enum(&e, key, value, names,
				    "none, passthrough, emulate or disable")) == 0)
			req->cpu_cache = (vmp_cache_mode)e;
		return err;
	}
	if (!strcmp(key, "mem_access")) {
		static const char *const names[] = {"default", "shared", "private", NULL};
		if ((err = set_enum(&e, key, value, names, "default, shared or private")) == 0)
			req->mem_access = (vmp_mem_access)e;
		return err;
	}
	if (!strcmp(key, "mem_source")) {
		static const char *const names[] = {"default", "anonymous", "file", "memfd", NULL};
		if ((err = set_enum(&e, key, value, names,
				    "default, anonymous, file or memfd")) == 0)
			req->mem_source = (vmp_mem_source)e;
		return err;
	}
	if (!strcmp(key, "mem_allocation")) {
		static const char *const names[] = {"default", "immediate", "ondemand", NULL};
		if ((err = set_enum(&e, key, value, names, "default, immediate or ondemand")) == 0)
			req->mem_allocation = (vmp_mem_allocation)e;
		return err;
	}
	if (!strcmp(key, "emulator_sched") || !strcmp(key, "iothread_sched")) {
		if ((err = set_enum(&e, key, value, sched, "none, fifo, rr, batch or idle")) == 0)
			*(key[0] == 'e' ? &req->emulator_sched : &req->iothread_sched) =
				(vmp_sched)e;
		return err;
	}
	if (!strcmp(key, "priority")) {
		if (!parse_u64(&u, value, 0, 1000))
			return bad_range(key, value, 0, 1000);
		req->priority = (int)u;
		return VMP_OK;
	}
	if (!strcmp(key, "firmware")) {
		if ((err = set_enum(&e, key, value, firmware, "bios, efi or efi-secure")) == 0) {
			req->efi = e > 0;
			req->secure_boot = e == 2;
		}
		return err;
	}
	vmp_error_set("unknown key '%s'", key);
	return VMP_ENOTFOUND;
}
