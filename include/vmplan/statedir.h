/* The state directory: where a host's accepted plan, its host model, history and reports live. */
#ifndef VMPLAN_STATEDIR_H
#define VMPLAN_STATEDIR_H

#include <stddef.h>

#include "vmplan/model.h"

/* The default state directory, and the variable that overrides it. */
#define VMP_STATE_DEFAULT_DIR "/var/lib/vmplan"
#define VMP_STATE_ENV         "VMPLAN_STATE_DIR"
/* Where vmp_statedir_keep() writes the nightly unit's CPUAffinity= drop-in: the systemd unit
 * directory named by this variable, else /etc/systemd/system (only when it exists). */
#define VMP_STATE_SYSTEMD_ENV "VMPLAN_SYSTEMD_DIR"
#define VMP_STATE_SYSTEMD_DIR "/etc/systemd/system"
#define VMP_STATE_DROPIN      "vmplan-nightly.service.d/50-vmplan-cpuaffinity.conf"

/* The files of a state directory. */
#define VMP_STATE_PLAN    "plan.json"  /* the accepted plan, as given */
#define VMP_STATE_HOST    "host.json"  /* the host model the plan was accepted on */
#define VMP_STATE_HISTORY "history.db" /* the bench history (vmplan/history.h) */
#define VMP_STATE_REPORTS "reports"    /* reports/bench and reports/host */

/**
 * The state directory to use: dir when it is set, else $VMPLAN_STATE_DIR when set and not
 * empty, else VMP_STATE_DEFAULT_DIR.
 * @return a pointer to one of those strings (borrowed)
 */
const char *vmp_statedir_dir(const char *dir);

/**
 * The path of a file of the state directory: dir/name into out.
 * @return VMP_OK, or VMP_EINVAL when it does not fit in size (the message names it)
 */
int vmp_statedir_path(char *out, size_t size, const char *dir, const char *name);

/**
 * The housekeeping CPUs of a plan: the host's online CPUs that no placed VM's pinned vCPU
 * uses (where the nightly run may go without disturbing pinned guests).
 */
void vmp_statedir_housekeeping(vmp_cpuset *out, const vmp_host *host, const vmp_plan *plan);

/**
 * Keep a plan as the host's accepted plan: dir (created when missing) gets host.json (the
 * host model) and plan.json (plan_text, the plan's file as given), each written atomically,
 * host.json first; where a systemd unit directory exists (VMP_STATE_SYSTEMD_ENV, else
 * VMP_STATE_SYSTEMD_DIR), the nightly unit's drop-in VMP_STATE_DROPIN with CPUAffinity= set
 * to vmp_statedir_housekeeping() (removed when that is empty).
 *
 * @param dropin the drop-in's path when one was written, else ""; may be NULL
 * @return VMP_OK; VMP_EINVAL when the plan was made for another host (the message names
 *         both fingerprints); VMP_ESYS when a file cannot be written (an earlier plan.json
 *         is then left as it was); VMP_ENOMEM
 */
int vmp_statedir_keep(char *dropin, size_t size, const char *dir, const char *plan_text,
		      const vmp_plan *plan, const vmp_host *host);

#endif
