/* host.json: saving and loading the host model (see DESIGN.md for the contract). */
#ifndef VMPLAN_HOST_JSON_H
#define VMPLAN_HOST_JSON_H

#include "vmplan/model.h"

/**
 * Serialise a host as host.json (schema VMP_HOST_SCHEMA).
 * @param out a NUL-terminated string; the caller frees it with free()
 * @return VMP_OK or VMP_ENOMEM
 */
int vmp_host_to_json(char **out, const vmp_host *host);

/**
 * Load a host.json file.
 * @param out  the new host, with the source the file records (where the model
 *             was first built; VMP_SOURCE_JSON when it records none), so that
 *             saving it again gives the same file; the caller frees it
 * @param path the file
 * @return VMP_OK, VMP_ENOTFOUND when it cannot be read, VMP_EINVAL when it
 *         is not a host.json this version understands (the message names
 *         the file and the field)
 */
int vmp_host_load_json(vmp_host **out, const char *path);

#endif
