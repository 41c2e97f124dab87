/* Applying rebalance steps through libvirt: live re-pins and migrations (export/rebalance_apply.c).
 */
#ifndef VMPLAN_REBALANCE_APPLY_H
#define VMPLAN_REBALANCE_APPLY_H

#include <stdbool.h>

#include "vmplan/model.h"

/* What a step does. */
typedef enum vmp_apply_kind {
	VMP_APPLY_REPIN = 0, /* new vCPU, emulator and I/O thread pins and memory nodes in place */
	VMP_APPLY_MIGRATE    /* a live migration with the destination XML */
} vmp_apply_kind;

/* One step to apply; every pointer is borrowed. */
typedef struct vmp_apply_step {
	vmp_apply_kind kind;
	const char *domain;    /* the domain's name */
	const char *uri;       /* the libvirt URI of the host it runs on before the step */
	const char *dest_uri;  /* a migration's destination URI (NULL for a re-pin) */
	const char *dest_xml;  /* a migration's destination XML (VIR_MIGRATE_PARAM_DEST_XML) */
	const vmp_plan_vm *vm; /* the VM as planned on the host it ends on (placed) */
} vmp_apply_step;

/* Told each call made (or, dry, that would be made): step (0-based) and one line. */
typedef void (*vmp_apply_say)(void *arg, int step, const char *line);

/**
 * Apply steps in order through libvirt, stopping at the first that fails.
 *
 * A re-pin first sets the memory nodeset (virDomainSetNumaParameters; no call where it is
 * already the plan's), then pins each of the domain's vCPUs (virDomainPinVcpuFlags; vCPU i
 * takes the plan's pin of vCPU i modulo the plan's count), the emulator (virDomainPinEmulator: the
 * plan's emulator pin and the pins of planned vCPUs beyond the domain's count), each I/O thread
 * (virDomainPinIOThread: the plan's, else the emulator's CPUs), with
 * VIR_DOMAIN_AFFECT_LIVE|CONFIG for a running domain and
 * CONFIG for one that is not; where the driver refuses the two together it gets them one at a
 * time, and where it takes neither (libvirt's test driver for vCPU pins), the current state
 * (say() tells). A persistent guest of several cells then gets its definition redefined
 * (virDomainDefineXML of vmp_export_libvirt_merge_tuning()): libvirt has no call for the
 * per-cell memory nodes (memnode). A migration calls virDomainMigrate3() to dest_uri with dest_xml
 * as VIR_MIGRATE_PARAM_DEST_XML and VIR_MIGRATE_LIVE|PERSIST_DEST|UNDEFINE_SOURCE (OFFLINE in place
 * of LIVE for a domain that does not run).
 *
 * Before anything changes, the whole list is run dry (quietly): a host that does not answer or
 * a domain that is not where its step needs it stops the list with nothing applied.
 *
 * @param failed  set to the index of the step that failed, or -1
 * @param applied set to how many steps were applied (those before *failed; 0 when dry or when
 *                the dry check failed)
 * @param steps   the steps, n of them
 * @param dry     only say what would be called: connect read-only (where the domain is there
 *                before the step) and change nothing
 * @param say     told every call, or NULL
 * @param arg     say's argument
 * @return VMP_OK; VMP_EINVAL for a step without what it needs (nothing applied); VMP_ESYS
 *         when libvirt refuses a step (the message names the call and has libvirt's reason;
 *         the steps before it stay applied, nothing after it is run); VMP_ENOMEM
 */
int vmp_rebalance_apply(int *failed, int *applied, const vmp_apply_step *steps, int n, bool dry,
			vmp_apply_say say, void *arg);

#endif
