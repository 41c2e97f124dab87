/* Writing plans out: libvirt domain XML (new or merged), Salt states, plan.json; define, verify. */
#ifndef VMPLAN_EXPORT_H
#define VMPLAN_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "vmplan/fileio.h"
#include "vmplan/model.h"
#include "vmplan/plan_json.h" /* plan.json is core's; --format json writes it */

/* Options shared by the output formats. Zero-initialised means the defaults. */
typedef struct vmp_export_opts {
	const char *type;    /* <domain type>: "kvm" (default), "qemu", "test" */
	const char *arch;    /* <os><type arch>; default: the build's architecture */
	const char *machine; /* <os><type machine>, or NULL to let libvirt choose */
	bool salt_running;   /* Salt: virt.running instead of virt.defined */
} vmp_export_opts;

/*
 * One output format (lstopo-style: one export/<format>.c each).
 *
 * @param out  a NUL-terminated document; the caller frees it with free()
 * @param len  its length in bytes, or NULL
 * @param plan the plan
 * @param vm   the index of the VM to write for per-VM formats (.per_vm), or -1 for
 *             formats that write the whole plan in one document
 * @param opts options, never NULL
 * @return VMP_OK, VMP_EINVAL (an unplaced VM, a plan the format cannot express), VMP_ENOMEM
 */
typedef int (*vmp_export_fn)(char **out, size_t *len, const vmp_plan *plan, int vm,
			     const vmp_export_opts *opts);

typedef struct vmp_exporter {
	const char *name; /* as --format names it: "libvirt", "salt", "json" */
	const char *ext;  /* the file name extension with the dot: ".xml" */
	bool per_vm;      /* one document per placed VM (DIR/<name><ext>), else one per plan */
	const char *file; /* for whole-plan formats: the file name under --out-dir */
	vmp_export_fn fn;
} vmp_exporter;

/** The exporter called name, or NULL (borrowed, static). */
const vmp_exporter *vmp_exporter_find(const char *name);

/**
 * Build the libvirt domain XML of one placed VM with libxml2's tree API: a
 * minimal domain (name, memory, os) carrying every tuning element the plan and
 * the request set: <vcpu>, <iothreads>/<iothreadids>, <cputune> (vcpupin,
 * emulatorpin, iothreadpin, shares, period, quota, vcpusched, cachetune,
 * memorytune), <numatune> (memory, memnode), <cpu mode='host-passthrough'> with
 * <topology> and <numa>, <memoryBacking>, <memtune> and UEFI firmware.
 *
 * @param out  a NUL-terminated UTF-8 document; the caller frees it with free()
 * @param len  its length in bytes, or NULL
 * @param vm   a placed VM of a plan
 * @param type the domain type attribute, e.g. "kvm"
 * @return VMP_OK, VMP_EINVAL when vm is not placed, VMP_ENOMEM
 */
int vmp_export_libvirt_xml(char **out, size_t *len, const vmp_plan_vm *vm, const char *type);

/** As vmp_export_libvirt_xml() with every option (type, arch, machine). */
int vmp_export_libvirt_xml_opts(char **out, size_t *len, const vmp_plan_vm *vm,
				const vmp_export_opts *opts);

/**
 * Write DIR/<name>.xml for every placed VM of the plan; DIR is created
 * when missing. All files are written to temporaries, then renamed together:
 * all of them are in place, or none (see vmplan/fileio.h).
 * @return VMP_OK, or VMP_ESYS naming the file that could not be written
 */
int vmp_export_libvirt_dir(const vmp_plan *plan, const char *dir, const char *type);

/**
 * As vmp_export_libvirt_dir(), but the files join set, to be committed with the
 * caller's other outputs by vmp_fileset_commit().
 */
int vmp_export_libvirt_dir_add(vmp_fileset *set, const vmp_plan *plan, const char *dir,
			       const char *type);

/**
 * Merge a VM's tuning into an existing domain XML.
 *
 * Only the elements vmplan owns are rewritten: <vcpu>, <memory>/<currentMemory>,
 * <iothreads>, <iothreadids>, the disks' <driver iothread>, the <cputune>
 * children vcpupin, emulatorpin, iothreadpin, shares, period, quota, vcpusched,
 * cachetune and memorytune, <numatune>, <cpu> mode/topology/numa, the
 * <memoryBacking> children hugepages, nosharepages and locked, the <memtune>
 * limits, and (when the request asks for UEFI) <os firmware> with its
 * <firmware> features. Everything else, comments included, is kept. Tuning the
 * plan no longer sets is removed. Merging the result again gives the same XML.
 *
 * @param out    the merged document; the caller frees it with free()
 * @param len    its length, or NULL
 * @param in_xml the existing domain XML
 * @param what   a name for in_xml in messages (a file name, "domain 'db'")
 * @param vm     a placed VM of a plan
 * @return VMP_OK, VMP_EINVAL when in_xml does not parse or is not a <domain>, or
 *         vm is not placed; VMP_ENOMEM
 */
int vmp_export_libvirt_merge(char **out, size_t *len, const char *in_xml, const char *what,
			     const vmp_plan_vm *vm);

/**
 * Merge only a VM's host-side tuning into an existing domain XML: what a live migration's
 * destination XML (VIR_MIGRATE_PARAM_DEST_XML, `virsh migrate --xml`) or a live re-pin may
 * change without touching the guest's ABI. In <cputune>: vcpupin for each of the domain's
 * vCPUs (vCPU i takes the plan's pin of vCPU i modulo the plan's count; a shared vCPU its
 * pool), emulatorpin (the plan's, with the pins of planned vCPUs beyond the domain's count),
 * iothreadpin for each of the domain's I/O threads (the plan's, else the emulator's CPUs), and
 * cachetune/memorytune where the plan has them (else the domain's stay). In <numatune>: the
 * memory nodeset (the domain's mode kept) and one memnode per guest cell. Everything else --
 * <vcpu>, <memory>, <cpu> and its cells, <memoryBacking>, the other <cputune> children -- stays
 * as the domain has it.
 *
 * @param out    the merged document; the caller frees it with free()
 * @param len    its length, or NULL
 * @param in_xml the existing domain XML
 * @param what   a name for in_xml in messages
 * @param vm     a placed VM of a plan, planned with the domain's guest cell count
 * @return VMP_OK; VMP_EINVAL when in_xml does not parse, is not a <domain>, has no <vcpu>,
 *         vm is not placed, or vm's guest cells are not as many as the domain's; VMP_ENOMEM
 */
int vmp_export_libvirt_merge_tuning(char **out, size_t *len, const char *in_xml, const char *what,
				    const vmp_plan_vm *vm);

/**
 * Merge a VM's tuning into a domain XML file (vmp_export_libvirt_merge()). The
 * previous content of in_path is first saved as a new backup generation beside out_path
 * (<out_path>.bak, .bak.1, ...: vmp_file_backup()), then the merged XML is written to
 * out_path atomically.
 *
 * @param changed  set to whether the merged XML differs from in_path's
 * @param in_path  the existing domain XML
 * @param out_path where the merged XML goes; NULL rewrites in_path
 * @param vm       a placed VM
 * @return VMP_OK, VMP_ENOTFOUND (in_path unreadable), VMP_EINVAL, VMP_ESYS, VMP_ENOMEM
 */
int vmp_export_merge_file(bool *changed, const char *in_path, const char *out_path,
			  const vmp_plan_vm *vm);

/**
 * As vmp_export_merge_file(), and bak (bak_size bytes) names the backup written, or is
 * "" when none was (nothing changed in place).
 */
int vmp_export_merge_file_backup(bool *changed, char *bak, size_t bak_size, const char *in_path,
				 const char *out_path, const vmp_plan_vm *vm);

/**
 * The inactive definition of a domain, read through a read-only libvirt connection.
 * @param out    the domain XML; the caller frees it with free()
 * @param uri    the libvirt URI
 * @param domain the domain's name
 * @return VMP_OK; VMP_ENOTFOUND when uri has no such domain ("no domain 'D' on 'URI'");
 *         VMP_ESYS when the connection or the read fails (the message has libvirt's)
 */
int vmp_export_domain_xml(char **out, const char *uri, const char *domain);

/**
 * The <name> of a domain XML document.
 * @return VMP_OK, or VMP_EINVAL when xml does not parse or has no name (no message set)
 */
int vmp_domain_xml_name(char *out, size_t size, const char *xml);

/**
 * The line-by-line difference between two documents, unified-diff style
 * ("--- old", "+++ new", then " ", "-" and "+" lines); XML is canonicalised
 * (indented by libxml2) first when both parse.
 * @param out the diff, "" when equal; the caller frees it with free()
 * @return VMP_OK or VMP_ENOMEM
 */
int vmp_export_diff(char **out, const char *old_doc, const char *new_doc, const char *old_name,
		    const char *new_name);

/* What vmp_define_plan() did with one VM. */
typedef enum vmp_define_action {
	VMP_DEFINE_SKIPPED = 0, /* not placed, or nothing done: an earlier VM failed, or (live)
				 * its running domain cannot take the pins */
	VMP_DEFINE_CREATED,     /* a new domain */
	VMP_DEFINE_UPDATED,     /* merged into the existing definition */
	VMP_DEFINE_UNCHANGED    /* the existing definition already matched */
} vmp_define_action;

/* What a live pin moves. */
typedef enum vmp_define_pin_kind {
	VMP_PIN_EMULATOR = 0, /* the emulator threads (virDomainPinEmulator) */
	VMP_PIN_IOTHREAD,     /* I/O thread id (virDomainPinIOThread) */
	VMP_PIN_VCPU          /* vCPU id (virDomainPinVcpuFlags) */
} vmp_define_pin_kind;

/* One pin vmp_define_plan() applies to a running domain (vmp_define_opts.live). */
typedef struct vmp_define_pin {
	vmp_define_pin_kind kind;
	unsigned id;      /* the I/O thread id (from 1) or vCPU number; 0 for the emulator */
	char what[32];    /* "emulator", "iothread 1", "vcpu 0", as vmp_mismatch.what names them */
	char cpuset[256]; /* the host CPUs the plan gives it, in libvirt's syntax */
	bool applied;     /* libvirt accepted it; false in a dry run and from a failed pin on */
} vmp_define_pin;

typedef struct vmp_define_result {
	char name[VMP_NAME_MAX];
	vmp_define_action action;
	char backup[4096];    /* where the previous XML was saved, or "" */
	char *diff;           /* dry run: the difference (owned; "" when none) */
	bool running;         /* the domain runs: an update takes effect at its next start */
	bool live;            /* every pin below was applied to the running domain */
	int npins;            /* with opts.live, for a running domain: how many pins */
	vmp_define_pin *pins; /* in the order they are (or would be) applied; owned */
} vmp_define_result;

typedef struct vmp_define_opts {
	bool dry_run;           /* change nothing; fill each result's diff (and pins with live) */
	const char *backup_dir; /* where <name>.xml.bak goes before an update (default ".") */
	const char *type;       /* force the domain type of new domains; NULL asks libvirt */
	/* Also pin the vCPUs, emulator and I/O threads of a running domain as the plan says,
	 * with VIR_DOMAIN_AFFECT_LIVE, after its definition is written. Nothing else changes
	 * live: memory placement (numatune, hugepages, memtune), cachetune, memorytune and
	 * the rest of the definition take effect at the domain's next start. */
	bool live;
} vmp_define_opts;

/**
 * Define every placed VM of the plan through libvirt with VIR_DOMAIN_DEFINE_VALIDATE.
 * A new domain gets the domain type and machine the connection offers (domain
 * capabilities: kvm, else qemu; else the capabilities' guest domain types). An
 * existing one gets its current (inactive) XML merged (vmp_export_libvirt_merge()),
 * after the old XML is saved as a new backup generation, backup_dir/<name>.xml.bak, then
 * .bak.1, ... (vmp_file_backup(): never overwritten). A failure leaves that
 * VM's previous definition as it was; VMs before it stay defined.
 *
 * With opts->live, a domain that runs is then pinned live: the emulator, the I/O
 * threads, then each vCPU (a vCPU of a cpu=shared VM on its pool), so that the CPUs
 * the emulator and I/O threads leave are free before vCPUs land on them. A domain
 * that runs another number of vCPUs or I/O threads than the plan is refused before
 * anything of it changes. A pin libvirt refuses stops there: the VM's definition is
 * written, the pins before it stay applied, and the VMs after it are not touched.
 *
 * @param out  an array of plan->nvms results, set on failure too (what was done up
 *             to the failure); the caller frees it with vmp_define_results_free()
 * @param plan the plan
 * @param uri  the libvirt connection URI
 * @param opts options, or NULL
 * @return VMP_OK, VMP_ESYS (libvirt refused, or a running domain cannot take the pins
 *         live; the message names the VM, the pin and says why), VMP_ENOMEM
 */
int vmp_define_plan(vmp_define_result **out, const vmp_plan *plan, const char *uri,
		    const vmp_define_opts *opts);

void vmp_define_results_free(vmp_define_result *results, int n);

/* One difference between the plan and what runs. */
typedef struct vmp_mismatch {
	char vm[VMP_NAME_MAX];
	/* "vcpus", "vcpu 3", "emulator", "iothread 1", "numa nodeset", "vcpu 3 thread 1234",
	 * "pid file" */
	char what[64];
	char source[32];    /* "libvirt" or "/proc" */
	char expected[256]; /* cpuset or value the plan says */
	char actual[256];   /* what was found */
} vmp_mismatch;

typedef struct vmp_verify_report {
	int nchecked; /* checks made, mismatches included */
	int nmismatches;
	vmp_mismatch *mismatches;
	int nproc_vms; /* VMs whose QEMU threads were also read from /proc */
	/* Running VMs whose threads were not read from /proc with proc -1 (auto), and why
	 * for the first of them ("" when none). */
	int nproc_skipped;
	char proc_skipped_why[512];
} vmp_verify_report;

typedef struct vmp_verify_opts {
	/* Look at the QEMU threads in /proc: 1 always (an unreadable pid file is a
	 * mismatch, a URI that is not local an error), 0 never, -1 (default) when the
	 * URI is local (qemu:///system or qemu:///session) or pid_dir is set, and the
	 * pid file can be read; the report counts the running VMs left out. */
	int proc;
	/* Where NAME.pid lives; default: where libvirt keeps it for the URI, see
	 * vmp_verify_pid_path(). When set, any URI may be checked in /proc. */
	const char *pid_dir;
	const char *proc_root; /* default "/proc" */
} vmp_verify_opts;

/**
 * Where libvirt's QEMU driver writes the pid file of a domain for a local URI:
 * qemu:///system (or qemu+unix:///system): /run/libvirt/qemu/NAME.pid;
 * qemu:///session: the session daemon's $XDG_RUNTIME_DIR/libvirt/qemu/run/NAME.pid,
 * or, without XDG_RUNTIME_DIR, $XDG_CACHE_HOME/libvirt/qemu/run/NAME.pid, or
 * ~/.cache/libvirt/qemu/run/NAME.pid. A session daemon is started with the
 * environment of the client that starts it, and the client finds its socket by the
 * same variables: this process's environment stands for the daemon's. As root,
 * libvirt serves qemu:///session from the system daemon: the path is the system one.
 *
 * @param out  the path
 * @param size the size of out in bytes
 * @param uri  the connection URI; a query ("?socket=...") is ignored
 * @param name the domain name
 * @param euid the effective user ID of the client, geteuid()
 * @return VMP_OK; VMP_ENOTFOUND when uri is not a local QEMU URI (a remote host,
 *         another driver: there is no pid file to read here); VMP_EINVAL when the
 *         path does not fit in out or no home directory is known. The message says
 *         which.
 */
int vmp_verify_pid_path(char *out, size_t size, const char *uri, const char *name, unsigned euid);

/**
 * Whether uri names this host's own QEMU daemon (qemu:///system, qemu:///session, their
 * qemu+unix forms, any query): the host a live probe sees. A host name, even localhost,
 * or another driver (test:///default) is not.
 */
bool vmp_uri_is_local_qemu(const char *uri);

/**
 * Compare every placed VM of the plan with the running domain: libvirt's live
 * vCPU, emulator and I/O thread pinning (virDomainGetVcpuPinInfo,
 * virDomainGetEmulatorPinInfo, virDomainGetIOThreadInfo), its NUMA memory mode
 * and nodeset (virDomainGetNumaParameters), and, on the local host, the
 * Cpus_allowed_list of the QEMU threads (/proc/PID/task/TID/status: "CPU n/KVM"
 * or "CPU n/TCG" for vCPUs, "IO iothreadN" for I/O threads, the main thread for
 * the emulator). A VM that is not defined or not running is a mismatch too, and so
 * is one with another number of vCPUs than the plan's (virDomainGetVcpusFlags), or
 * a thread "CPU n/..." with n at or beyond the plan's vCPUs.
 *
 * @param out  the report; the caller frees it with vmp_verify_report_free()
 * @param opts options, or NULL for the defaults
 * @return VMP_OK (mismatches or not), VMP_ESYS when the connection fails, VMP_EINVAL
 *         when opts->proc is 1 without opts->pid_dir and the URI is not a local QEMU
 *         one (its threads are not in this host's /proc), VMP_ENOMEM
 */
int vmp_verify_plan(vmp_verify_report **out, const vmp_plan *plan, const char *uri,
		    const vmp_verify_opts *opts);

void vmp_verify_report_free(vmp_verify_report *report);

/* What a QEMU thread is, by its name (/proc/PID/task/TID/comm). */
typedef enum vmp_qemu_thread_kind {
	VMP_QEMU_VCPU = 0, /* "CPU n/KVM" or "CPU n/TCG"; index n */
	VMP_QEMU_IOTHREAD, /* "IO iothreadN"; index N (from 1) */
	VMP_QEMU_EMULATOR, /* the main thread (TID == PID) */
	VMP_QEMU_OTHER     /* any other thread of QEMU */
} vmp_qemu_thread_kind;

typedef struct vmp_qemu_thread {
	long tid;
	vmp_qemu_thread_kind kind;
	unsigned index;
	char comm[64];
	vmp_cpuset allowed; /* Cpus_allowed_list */
	bool readable;      /* allowed was read */
} vmp_qemu_thread;

/**
 * The threads of a QEMU process and where each may run, read from
 * proc_root/PID/task/TID/{comm,status} (what vmp_verify_plan() compares).
 * @param out  the threads; the caller frees it with free()
 * @param n    how many
 * @param pid  the QEMU process
 * @param proc_root "/proc", or a test's tree
 * @return VMP_OK; VMP_ENOTFOUND when there is no such process (message set); VMP_ENOMEM
 */
int vmp_qemu_threads(vmp_qemu_thread **out, int *n, long pid, const char *proc_root);

#endif
