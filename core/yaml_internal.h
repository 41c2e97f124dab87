/* libyaml helpers shared by the YAML loaders of core (profiles, mixes, fleets). */
#ifndef VMPLAN_YAML_INTERNAL_H
#define VMPLAN_YAML_INTERNAL_H

#include <yaml.h>

/* Parse a whole YAML file into doc (freed with yaml_document_delete()); the message names
 * what and path. VMP_OK, VMP_ENOTFOUND (cannot read), VMP_EINVAL (bad or empty YAML). */
int vmp_yaml_load_file(yaml_document_t *doc, const char *path, const char *what);

/* The text of a scalar node, or NULL for another node or NULL. */
const char *vmp_yaml_scalar(yaml_node_t *n);

#endif
