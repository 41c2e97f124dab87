/* Workload profiles (profiles/NAME.yaml) and VM mixes (mix.yaml). */
#ifndef VMPLAN_PROFILE_H
#define VMPLAN_PROFILE_H

#include <stddef.h>

#include "vmplan/model.h"

/**
 * The directories searched for profiles, in order: each entry of the
 * colon-separated VMPLAN_PROFILE_DIR, then the source tree's profiles/ (when
 * running from a build tree), then the installed share/vmplan/profiles.
 * Returns a static NULL-terminated array, valid until the next call.
 */
const char *const *vmp_profile_dirs(void);

/**
 * The names of the profiles (NAME of NAME.yaml) in the directories of vmp_profile_dirs(),
 * the first of a name only, sorted.
 * @param out the names; free them with vmp_profile_list_free()
 * @param n   how many
 * @return VMP_OK, VMP_ENOMEM
 */
int vmp_profile_list(char ***out, size_t *n);
void vmp_profile_list_free(char **names, size_t n);

/**
 * Apply the profile called name (NAME.yaml in the first directory of
 * vmp_profile_dirs() that has it) to req: each key of the YAML mapping is set
 * with vmp_request_set(). A profile may not set name or profile.
 *
 * @return VMP_OK; VMP_ENOTFOUND when no directory has it (the message lists
 *         the directories searched); VMP_EINVAL when the file is not a
 *         mapping of keys to scalars, or a key or value is bad (the message
 *         names the file, the line and the key)
 */
int vmp_profile_apply(vmp_vm_request *req, const char *name);

/**
 * Build a request from key/value pairs, as a --vm spec or one entry of a mix
 * gives them: the profile (if a "profile" key is among them) first, then
 * every other pair, whatever their order. Keys may not repeat; name, vcpus
 * and memory must be set in the end (by the pairs or the profile).
 *
 * @param out the request; untouched on failure
 * @return VMP_OK or a negative code with a message the caller prefixes with
 *         where the pairs came from
 */
int vmp_request_build(vmp_vm_request *out, const char *const *keys, const char *const *values,
		      size_t n);

/**
 * Load a mix file: a mapping with a "vms" sequence, each entry a mapping of
 * request keys (see vmp_request_build()).
 *
 * @param out  an array of requests; the caller frees it with free()
 * @param n    its length
 * @param path the file
 * @return VMP_OK, VMP_ENOTFOUND when the file cannot be read, VMP_EINVAL
 *         with a message naming the file, the entry and the key
 */
int vmp_mix_load(vmp_vm_request **out, size_t *n, const char *path);

#endif
