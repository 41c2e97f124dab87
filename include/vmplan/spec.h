/* VM requests from the command line's --vm SPEC. */
#ifndef VMPLAN_SPEC_H
#define VMPLAN_SPEC_H

#include "vmplan/model.h"

/**
 * Parse a --vm SPEC, "name=db,vcpus=8,memory=16G[,key=value...]", into a
 * request. The keys are those of vmp_request_keys(); a profile=NAME item is
 * applied first, wherever it stands, and the other items override it. name,
 * vcpus and memory are required (from the spec or the profile).
 *
 * @param out  the request; fields the spec does not set keep their defaults
 * @param spec the text
 * @return VMP_OK, or VMP_EINVAL with a message that quotes the spec and
 *         names the bad key or value
 */
int vmp_spec_parse(vmp_vm_request *out, const char *spec);

/**
 * Check that a VM name is one vmplan can use as a libvirt name and a file
 * name: 1 to VMP_NAME_MAX-1 bytes of letters, digits, '.', '-', '_', not
 * starting with '.' or '-'.
 * @return VMP_OK or VMP_EINVAL with a message quoting the name
 */
int vmp_spec_check_name(const char *name);

/**
 * Check that text from any input (a --vm value, a mix, a profile, a plan, a snapshot's host
 * name) is something vmplan can write back and print: valid UTF-8 without control
 * characters (so no newline, and no terminal escape).
 * @param what  what the text is, for the message ("loader", "host name")
 * @return VMP_OK or VMP_EINVAL with a message naming what
 */
int vmp_spec_check_text(const char *what, const char *text);

#endif
