/* Host-side checks of the plan variant: where its threads ran and where its memory is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <numaif.h>

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
	c->variant = VMP_BENCH_PLAN;
	c->ok = !vmp_cpuset_empty(observed) && vmp_cpuset_subset(observed, planned);
	return VMP_OK;
}

static vmp_bench_check_kind thread_kind(const struct gthread *t)
{
	return t->kind == T_VCPU       ? VMP_CHECK_VCPU
	       : t->kind == T_EMULATOR ? VMP_CHECK_EMULATOR
				       : VMP_CHECK_IOTHREAD;
}

/* A thread's affinity (read back from /proc) against what it should be. */
static int add_affinity(vmp_bench_run *run, const struct emulation *e, const struct gthread *t,
			const vmp_cpuset *want)
{
	vmp_cpuset none = {0};
	int err = add_check(run, e->vms[t->vm].vm->req.name, VMP_CHECK_AFFINITY, t->index, want,
			    t->allowed_read ? &t->allowed : &none);
	vmp_bench_check *c = &run->checks[run->nchecks - 1];

	if (err < 0)
		return err;
	c->variant = e->variant;
	c->thread = thread_kind(t);
	c->ok = t->allowed_read && vmp_cpuset_equal(&t->allowed, want);
	return VMP_OK;
}

/*
 * The plan's pin of a thread, from the plan itself rather than from the bench's settings:
 * vCPUs of cpu=shared VMs (or unpinned ones) on the pool; empty: not pinned.
 */
static void plan_pin(vmp_cpuset *out, const vmp_plan_vm *vm, const struct gthread *t)
{
	vmp_cpuset_zero(out);
	if (t->kind == T_VCPU) {
		if (vm->req.cpu == VMP_CPU_SHARED || vm->vcpupin[t->index] < 0)
			*out = vm->pcpus;
		else
			vmp_cpuset_set(out, vm->vcpupin[t->index]);
	} else if (t->kind == T_EMULATOR) {
		*out = vm->emulatorpin;
	} else if (t->index < vm->niothreads) {
		*out = vm->iothreadpin[t->index];
	}
}

/* Every dedicated vCPU alone on its CPU among the dedicated vCPUs of the plan as run. */
static int exclusive_checks(struct emulation *e, vmp_bench_run *run)
{
	for (int i = 0; i < e->nvms; i++) {
		const vmp_plan_vm *vm = e->vms[i].vm;

		if (vm->req.cpu == VMP_CPU_SHARED)
			continue;
		for (unsigned v = 0; v < vm->req.vcpus; v++) {
			vmp_cpuset planned = {0}, clash = {0};
			int cpu = vm->vcpupin[v], err;

			if (cpu < 0)
				continue;
			vmp_cpuset_set(&planned, cpu);
			for (int j = 0; j < e->nvms; j++) {
				const vmp_plan_vm *o = e->vms[j].vm;

				if (o->req.cpu == VMP_CPU_SHARED)
					continue;
				for (unsigned w = 0; w < o->req.vcpus; w++)
					if (o->vcpupin[w] == cpu && (j != i || w != v)) {
						vmp_cpuset_set(&clash, cpu);
						bench_add_note(
						    e->notes, e->notes_len,
						    "vm '%s' vCPU %u and vm '%s' vCPU %u "
						    "are both pinned, dedicated, to CPU %d",
						    vm->req.name, v, o->req.name, w, cpu);
					}
			}
			if ((err = add_check(run, vm->req.name, VMP_CHECK_EXCLUSIVE, (int)v,
					     &planned, &clash)) < 0)
				return err;
			run->checks[run->nchecks - 1].ok = vmp_cpuset_empty(&clash);
		}
	}
	return VMP_OK;
}

/* How a region's memory is bound: the nodes of its MPOL_BIND policy (empty: none). */
static int region_policy(vmp_cpuset *out, const struct region *r)
{
	unsigned long mask[MAX_NODE_ID / (8 * sizeof(unsigned long))] = {0};
	int mode = -1;

	vmp_cpuset_zero(out);
	if (get_mempolicy(&mode, mask, MAX_NODE_ID, r->p, MPOL_F_ADDR) < 0) {
		vmp_error_set("cannot read the memory policy of a guest cell: get_mempolicy: %s",
			      strerror(errno));
		return VMP_ESYS;
	}
	if (mode != MPOL_BIND)
		return VMP_OK;
	for (int n = 0; n < MAX_NODE_ID && n < VMP_CPUSET_MAX; n++)
		if (mask[(unsigned)n / (8 * sizeof(unsigned long))] &
		    (1UL << ((unsigned)n % (8 * sizeof(unsigned long)))))
			vmp_cpuset_set(out, n);
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

int host_record_checks(struct emulation *e, vmp_bench_run *run, const struct setup *s)
{
	int err;

	for (int k = 0; k < e->nthreads; k++) {
		struct gthread *t = &e->t[k];
		vmp_cpuset pin;

		if (t->kind == T_ANTAGONIST)
			continue;
		plan_pin(&pin, e->vms[t->vm].vm, t);
		if ((err = add_check(run, e->vms[t->vm].vm->req.name, thread_kind(t), t->index,
				     vmp_cpuset_empty(&pin) ? &e->host->online : &pin, &t->seen)) <
			0 ||
		    (err = add_affinity(run, e, t,
					vmp_cpuset_empty(&pin) ? &s->process_cpus : &pin)) < 0)
			return err;
	}
	if ((err = exclusive_checks(e, run)) < 0)
		return err;
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
			/* Where the pages are now is not how they are held there. */
			if ((err = region_policy(&observed, r)) < 0 ||
			    (err = add_check(run, e->vms[i].vm->req.name, VMP_CHECK_MEMPOLICY, c,
					     &planned, &observed)) < 0)
				return err;
			run->checks[run->nchecks - 1].ok = vmp_cpuset_equal(&observed, &planned);
		}
	return VMP_OK;
}

int host_record_baseline_checks(struct emulation *e, vmp_bench_run *run, const struct setup *s)
{
	int err, next = 0;

	for (int i = 0; i < e->nvms; i++) {
		const struct gvm *g = &e->vms[i];
		vmp_cpuset vm_cpus = {0};

		/* Naive: vCPU after vCPU, VM after VM, on the online CPUs in order. */
		for (int v = 0; v < g->nvcpus; v++)
			vmp_cpuset_set(&vm_cpus, s->online[(next + v) % s->nonline]);
		for (int k = g->first; k < e->nthreads; k++) {
			const struct gthread *t = &e->t[k];
			vmp_cpuset want = {0};

			if (t->kind == T_ANTAGONIST || t->vm != i)
				continue;
			if (e->variant == VMP_BENCH_UNPINNED)
				want = s->process_cpus;
			else if (t->kind == T_VCPU)
				vmp_cpuset_set(&want, s->online[(next + t->index) % s->nonline]);
			else
				want = vm_cpus;
			if ((err = add_affinity(run, e, t, &want)) < 0)
				return err;
		}
		next += g->nvcpus;
	}
	return VMP_OK;
}
