/* The VMs of a command line: --vm SPEC and --vms mix.yaml, collected into one array. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vmplan/error.h"
#include "vmplan/profile.h"
#include "vmplan/spec.h"

/* No guest boots in less: below this a size is most likely a bare number meant as GiB. */
#define IMPLAUSIBLE_MEMORY_BYTES (UINT64_C(64) << 20)

/* Warn (and go on) where a VM's memory is too small to be meant: "memory=4" is 4 MiB. */
static void warn_memory(const vmp_vm_request *r)
{
	uint64_t mib = r->memory_bytes >> 20;

	if (!r->memory_bytes || r->memory_bytes >= IMPLAUSIBLE_MEMORY_BYTES)
		return;
	fprintf(stderr,
		"vmplan: warning: VM '%s' gets %" PRIu64 " MiB of memory, too little to boot a "
		"guest; a bare number is MiB (did you mean memory=%" PRIu64 "G?)\n",
		r->name, mib, mib ? mib : 1);
}

int cli_vms_add_spec(vmp_vm_request **reqs, size_t *nreqs, const char *spec)
{
	vmp_vm_request *n = realloc(*reqs, (*nreqs + 1) * sizeof(*n));

	if (!n) {
		cli_error("out of memory");
		return EXIT_RUNTIME;
	}
	*reqs = n;
	memset(&n[*nreqs], 0, sizeof(*n));
	if (vmp_spec_parse(&n[*nreqs], spec) < 0) {
		cli_error("%s", vmp_error_last());
		return EXIT_USAGE;
	}
	warn_memory(&n[*nreqs]);
	(*nreqs)++;
	return 0;
}

int cli_vms_add_mix(vmp_vm_request **reqs, size_t *nreqs, const char *path)
{
	vmp_vm_request *more = NULL, *all;
	size_t nmore = 0;
	int err;

	if ((err = vmp_mix_load(&more, &nmore, path)) < 0) {
		cli_error("%s", vmp_error_last());
		return cli_status(err);
	}
	/* + 1: never realloc() to 0 bytes, which may free and return NULL. */
	if (!(all = realloc(*reqs, (*nreqs + nmore + 1) * sizeof(*all)))) {
		free(more);
		cli_error("out of memory");
		return EXIT_RUNTIME;
	}
	*reqs = all;
	memcpy(all + *nreqs, more, nmore * sizeof(*all));
	for (size_t i = 0; i < nmore; i++)
		warn_memory(&more[i]);
	*nreqs += nmore;
	free(more);
	return 0;
}
