/* Host-side checks of the plan variant: where its threads ran and where its memory is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/host_internal.h"
#include "vmplan/error.h"

static int add_check(vmp_bench_run *run, const char *vm, vmp_bench_check_kind kind, int index,
		     const vmp_cpuset *planned, const vmp_cpuset *observed)
{
	vmp_bench_check *grown = realloc(run->checks, sizeof(*grown) * (size_t)(run->nchecks + 1));
	vmp_bench_check *c;

	if (!grown) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	run->checks = grown;
	c = &run->checks[run->nchecks++];
	memset(c, 0, sizeof(*c));
	snprintf(c->vm, sizeof(c->vm), "%s", vm);
	c->kind = kind;
	c->index = index;
	c->planned = *planned;
	c->observed = *observed;
	c->ok = !vmp_cpuset_empty(observed) && vmp_cpuset_subset(observed, planned);
	return VMP_OK;
}

/* The node of the pages the vCPUs touched in a region, as a vmplan error on failure. */
static int region_node(int *out, const struct region *r)
{
	int err = engine_page_node(out, r->p, r->used);

	if (err == 0)
		return VMP_OK;
	vmp_error_set("%s", engine_error());
	return err == -EINVAL || err == -ENOENT ? VMP_EINVAL : VMP_ESYS;
}

int host_record_checks(struct emulation *e, vmp_bench_run *run)
{
	int err;

	for (int k = 0; k < e->nthreads; k++) {
		struct gthread *t = &e->t[k];
		vmp_cpuset planned = t->pin ? t->cpus : e->host->online;
		vmp_bench_check_kind kind = t->kind == T_VCPU       ? VMP_CHECK_VCPU
					    : t->kind == T_EMULATOR ? VMP_CHECK_EMULATOR
								    : VMP_CHECK_IOTHREAD;

		if (t->kind == T_ANTAGONIST)
			continue;
		if ((err = add_check(run, e->vms[t->vm].vm->req.name, kind, t->index, &planned,
				     &t->seen)) < 0)
			return err;
	}
	for (int i = 0; i < e->nvms; i++)
		for (int c = 0; c < e->vms[i].ncells; c++) {
			const struct region *r = &e->vms[i].cells[c];
			vmp_cpuset planned = {0}, observed = {0};
			int node = -1;

			if (!r->raw || r->used == 0)
				continue;
			vmp_cpuset_set(&planned, e->vms[i].vm->cells[c].host_node);
			/* Only what the vCPUs touched has pages to locate. */
			if ((err = region_node(&node, r)) < 0)
				return err;
			if (node >= 0)
				vmp_cpuset_set(&observed, node);
			if ((err = add_check(run, e->vms[i].vm->req.name, VMP_CHECK_MEMORY, c,
					     &planned, &observed)) < 0)
				return err;
		}
	return VMP_OK;
}
