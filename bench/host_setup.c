/* The host bench's setup: each variant's threads, where they run, and the guests' memory. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/mman.h>
#include <numa.h>
#include <numaif.h>

#include "bench/host_internal.h"
#include "vmplan/error.h"

#define MIN_SHARE ((size_t)64 << 10) /* the least memory a vCPU works on */

static int log2_u64(uint64_t v)
{
	int n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

/* Whether node (an OS id) has bytes of free hugepages of huge_bytes in the live host's pools. */
static bool pool_has(const vmp_host *host, int node, uint64_t huge_bytes, size_t bytes)
{
	int i = vmp_host_node_index(host, node);

	if (i < 0)
		return false;
	for (int k = 0; k < host->nodes[i].nhugepages; k++)
		if (host->nodes[i].hugepages[k].size_kib * 1024 == huge_bytes)
			return host->nodes[i].hugepages[k].free * huge_bytes >= bytes;
	return false;
}

/*
 * Memory for one cell: on hugepages of huge_bytes where asked and the pool has them, else
 * on 4 KiB pages with THP asked; bound strictly to node when node >= 0.
 */
static int region_alloc(struct emulation *e, struct region *r, size_t bytes, int node,
			uint64_t huge_bytes, const char *vm, int cell)
{
	size_t align = huge_bytes ? (size_t)huge_bytes : HUGE_2M, want = bytes;

	memset(r, 0, sizeof(*r));
	bytes = (bytes + align - 1) / align * align;
	if (huge_bytes && node >= 0 && !pool_has(e->host, node, huge_bytes, bytes)) {
		bench_add_note(
		    e->notes, e->notes_len,
		    "vm '%s' cell %d: node %d has fewer than %zu free %llu KiB hugepages; "
		    "ran on 4 KiB pages with transparent hugepages asked",
		    vm, cell, node, bytes / (size_t)huge_bytes,
		    (unsigned long long)(huge_bytes >> 10));
		huge_bytes = 0;
	}
	if (huge_bytes) {
		int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			    (log2_u64(huge_bytes) << MAP_HUGE_SHIFT);
		void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);

		if (p != MAP_FAILED) {
			r->raw = r->p = p;
			r->raw_bytes = r->bytes = bytes;
			r->huge = true;
		} else {
			bench_add_note(
			    e->notes, e->notes_len,
			    "vm '%s' cell %d: no %llu KiB hugepages to be had for %zu MiB "
			    "(%s); ran on 4 KiB pages with transparent hugepages asked",
			    vm, cell, (unsigned long long)(huge_bytes >> 10), bytes / MIB,
			    strerror(errno));
		}
	}
	if (!r->raw) {
		uintptr_t aligned;

		bytes = (want + HUGE_2M - 1) / HUGE_2M * HUGE_2M;
		r->raw_bytes = bytes + HUGE_2M;
		r->raw = mmap(NULL, r->raw_bytes, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (r->raw == MAP_FAILED) {
			r->raw = NULL;
			vmp_error_set("cannot allocate %zu MiB for vm '%s' cell %d: %s",
				      bytes / MIB, vm, cell, strerror(errno));
			return VMP_ENOMEM;
		}
		aligned = ((uintptr_t)r->raw + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1);
		r->p = (char *)aligned;
		r->bytes = bytes;
		madvise(r->p, bytes, MADV_HUGEPAGE);
	}
	if (node >= 0) {
		unsigned long mask[MAX_NODE_ID / (8 * sizeof(unsigned long))] = {0};

		mask[(unsigned)node / (8 * sizeof(unsigned long))] |=
		    1UL << ((unsigned)node % (8 * sizeof(unsigned long)));
		if (mbind(r->p, r->bytes, MPOL_BIND, mask, MAX_NODE_ID + 1, MPOL_MF_STRICT) < 0) {
			vmp_error_set("cannot bind %zu MiB of vm '%s' cell %d to node %d: "
				      "mbind: %s",
				      r->bytes / MIB, vm, cell, node, strerror(errno));
			return VMP_ESYS;
		}
	}
	return VMP_OK;
}

static void region_free(struct region *r)
{
	if (r->raw)
		munmap(r->raw, r->raw_bytes);
	r->raw = NULL;
}

/* Where the variant puts a VM's threads: its vCPU v, emulator (v = -1), I/O thread. */
static void variant_cpus(struct emulation *e, int vmi, enum tkind kind, int index, int *naive_next,
			 const int *online, int nonline, bool *pin, vmp_cpuset *cpus)
{
	const vmp_plan_vm *vm = e->vms[vmi].vm;

	vmp_cpuset_zero(cpus);
	*pin = false;
	if (e->variant == VMP_BENCH_UNPINNED)
		return;
	if (e->variant == VMP_BENCH_NAIVE) {
		if (kind == T_VCPU) {
			vmp_cpuset_set(cpus, online[(*naive_next)++ % nonline]);
		} else {
			/* Emulator and I/O threads on the VM's CPUs, libvirt's default. */
			int first = e->vms[vmi].first;

			for (int v = 0; v < e->vms[vmi].nvcpus; v++)
				vmp_cpuset_or(cpus, cpus, &e->t[first + v].cpus);
		}
		*pin = !vmp_cpuset_empty(cpus);
		return;
	}
	if (kind == T_VCPU) {
		if (vm->req.cpu == VMP_CPU_SHARED || vm->vcpupin[index] < 0)
			*cpus = vm->pcpus;
		else
			vmp_cpuset_set(cpus, vm->vcpupin[index]);
	} else if (kind == T_EMULATOR) {
		*cpus = vm->emulatorpin;
	} else {
		*cpus = vm->iothreadpin[index];
	}
	*pin = !vmp_cpuset_empty(cpus);
}

/* The CPUs no VM of the plan uses, for the antagonist. */
static void free_cpus(vmp_cpuset *out, const vmp_host *host, const vmp_plan *plan)
{
	*out = host->online;
	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];

		if (!vm->placed)
			continue;
		vmp_cpuset_andnot(out, out, &vm->pcpus);
		vmp_cpuset_andnot(out, out, &vm->emulatorpin);
		for (int t = 0; t < vm->niothreads; t++)
			vmp_cpuset_andnot(out, out, &vm->iothreadpin[t]);
	}
}

static uint64_t largest_l3(const vmp_host *host)
{
	uint64_t best = 0;

	for (int i = 0; i < host->nl3; i++)
		if (host->l3s[i].size_bytes > best)
			best = host->l3s[i].size_bytes;
	return best;
}

/* Split a region between threads: each share three arrays of whole units, 4 KiB aligned. */
static void give_share(struct gthread *t, void *base, size_t share)
{
	size_t unit = ENGINE_UNIT_DOUBLES * sizeof(double);

	t->share_bytes = share;
	t->elems = share / 3 / unit * ENGINE_UNIT_DOUBLES;
	t->a = base; /* from mmap(), page-aligned: doubles from the first byte */
	t->b = t->a + t->elems;
	t->c = t->b + t->elems;
}

void emulation_free(struct emulation *e)
{
	if (!e)
		return;
	engine_team_free(e->team); /* the threads first: they use the memory */
	for (int k = 0; k < e->nvms; k++) {
		for (int c = 0; c < e->vms[k].ncells; c++)
			region_free(&e->vms[k].cells[c]);
		free(e->vms[k].pairs);
	}
	for (int k = 0; k < e->nantagonists; k++)
		region_free(&e->antagonist_mem[k]);
	free(e->antagonist_mem);
	free(e->vms);
	free(e->t);
	free(e);
}

/* The threads of every placed VM (and the antagonists), and the arrays that hold them. */
static int alloc_threads(struct emulation *e, const struct setup *s, const vmp_cpuset *spare)
{
	const vmp_plan *plan = e->plan;
	int nthreads = 0;

	for (int i = 0; i < plan->nvms; i++) {
		const vmp_plan_vm *vm = &plan->vms[i];

		if (vm->placed)
			nthreads += (int)vm->req.vcpus + 1 + vm->niothreads;
	}
	if (s->antagonist) {
		e->nantagonists = vmp_cpuset_count(spare);
		if (e->nantagonists > 16)
			e->nantagonists = 16;
		if (e->nantagonists == 0)
			e->nantagonists = 1;
		nthreads += e->nantagonists;
	}
	e->vms = calloc((size_t)plan->nvms, sizeof(*e->vms));
	e->t = calloc((size_t)nthreads, sizeof(*e->t));
	e->antagonist_mem = calloc((size_t)e->nantagonists + 1, sizeof(*e->antagonist_mem));
	if (!e->vms || !e->t || !e->antagonist_mem) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	e->nthreads = nthreads;
	return VMP_OK;
}

/* The vCPU, emulator and I/O threads of VM g from thread *k on, and its c2c pairs. */
static int build_vm_threads(struct emulation *e, const struct setup *s, struct gvm *g, int *k,
			    int *naive_next)
{
	const vmp_plan_vm *vm = g->vm;
	int vmi = (int)(g - e->vms);

	g->first = *k;
	g->nvcpus = (int)vm->req.vcpus;
	for (int v = 0; v < g->nvcpus; v++, (*k)++) {
		struct gthread *t = &e->t[*k];

		t->e = e;
		t->kind = T_VCPU;
		t->vm = vmi;
		t->index = v;
		variant_cpus(e, t->vm, T_VCPU, v, naive_next, s->online, s->nonline, &t->pin,
			     &t->cpus);
	}
	for (int x = -1; x < vm->niothreads; x++, (*k)++) {
		struct gthread *t = &e->t[*k];

		t->e = e;
		t->kind = x < 0 ? T_EMULATOR : T_IOTHREAD;
		t->vm = vmi;
		t->index = x < 0 ? 0 : x;
		variant_cpus(e, t->vm, t->kind, t->index, naive_next, s->online, s->nonline,
			     &t->pin, &t->cpus);
	}
	/* c2c pairs: vCPU v with v + n/2, across the VM's halves. */
	g->npairs = g->nvcpus / 2;
	if (!g->npairs)
		return VMP_OK;
	g->pairs = aligned_alloc(128, sizeof(*g->pairs) * (size_t)g->npairs);
	if (!g->pairs) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	memset(g->pairs, 0, sizeof(*g->pairs) * (size_t)g->npairs);
	for (int p = 0; p < g->npairs; p++) {
		e->t[g->first + p].pp = &g->pairs[p];
		e->t[g->first + p].pp_role = 1;
		e->t[g->first + p + g->npairs].pp = &g->pairs[p];
		e->t[g->first + p + g->npairs].pp_role = 2;
	}
	return VMP_OK;
}

/* Memory of VM g's cell c, shared out between the cell's vCPUs. */
static int build_cell(struct emulation *e, const struct setup *s, struct gvm *g, int c)
{
	const vmp_plan_vm *vm = g->vm;
	const vmp_plan_cell *cell = &vm->cells[c];
	int nv = 0, v, j = 0, err;
	uint64_t want =
	    cell->memory_bytes < s->o->cell_bytes ? cell->memory_bytes : s->o->cell_bytes;
	long long free_bytes = 0;
	size_t share;
	bool plan_variant = e->variant == VMP_BENCH_PLAN;

	/* Only the vCPUs the VM has get a share; no part is left to nobody. */
	VMP_CPUSET_FOREACH (v, &cell->vcpus)
		nv += v < g->nvcpus;
	if (nv == 0)
		return VMP_OK;
	if (numa_available() >= 0 && numa_node_size64(cell->host_node, &free_bytes) >= 0 &&
	    free_bytes > 0 && want > (uint64_t)((double)free_bytes * 0.8)) {
		uint64_t fit = (uint64_t)((double)free_bytes * 0.8);

		bench_add_note(e->notes, e->notes_len,
			       "vm '%s' cell %d: working set shrunk to %llu MiB (%llu wanted) to "
			       "fit node %d's free memory",
			       vm->req.name, c, (unsigned long long)(fit >> 20),
			       (unsigned long long)(want >> 20), cell->host_node);
		want = fit;
	}
	if (want < (uint64_t)nv * MIN_SHARE)
		want = (uint64_t)nv * MIN_SHARE;
	if ((err = region_alloc(e, &g->cells[c], (size_t)want, plan_variant ? cell->host_node : -1,
				plan_variant ? vm->req.hugepage_bytes : 0, vm->req.name, c)) < 0)
		return err;
	/*
	 * Shares of whole 4 KiB pages, the remainder to the last vCPU: every
	 * page is first touched by a vCPU, so none is left unfaulted for the
	 * placement check (without THP, a tail nobody touched has no node).
	 */
	share = g->cells[c].bytes / (size_t)nv / 4096 * 4096;
	VMP_CPUSET_FOREACH (v, &cell->vcpus) {
		size_t at = share * (size_t)j, mine;

		if (v >= g->nvcpus)
			continue;
		mine = ++j < nv ? share : g->cells[c].bytes - at;
		give_share(&e->t[g->first + v], g->cells[c].p + at, mine);
		g->cells[c].used = at + mine;
	}
	return VMP_OK;
}

/* The antagonists from thread k on, on the CPUs no VM uses (spare), with memory there. */
static int build_antagonists(struct emulation *e, const vmp_cpuset *spare, int k)
{
	/* Past the caches: four times the largest L3, shared out, 48-256 MiB each. */
	size_t each = (size_t)(4 * largest_l3(e->host)) / (size_t)e->nantagonists;
	int cpu = -1, err;

	each = each < 48 * MIB ? 48 * MIB : each > 256 * MIB ? 256 * MIB : each;
	if (vmp_cpuset_empty(spare))
		bench_add_note(e->notes, e->notes_len,
			       "noisy: no CPU is free of VMs; the antagonist floats on all CPUs "
			       "and competes for CPU time as well as memory bandwidth");
	for (int a = 0; a < e->nantagonists; a++, k++) {
		struct gthread *t = &e->t[k];
		int node = -1;

		t->e = e;
		t->kind = T_ANTAGONIST;
		t->vm = -1;
		t->index = a;
		if (!vmp_cpuset_empty(spare)) {
			int pu;

			cpu = vmp_cpuset_next(spare, cpu);
			vmp_cpuset_set(&t->cpus, cpu);
			t->pin = true;
			pu = vmp_host_pu_index(e->host, cpu);
			if (pu >= 0)
				node = e->host->nodes[e->host->pus[pu].node].id;
		}
		if ((err = region_alloc(e, &e->antagonist_mem[a], each, node, 0, "antagonist", a)) <
		    0)
			return err;
		give_share(t, e->antagonist_mem[a].p, e->antagonist_mem[a].bytes);
	}
	return VMP_OK;
}

/* The threads and memory of every placed VM (and the antagonist) under one variant. */
static int build(struct emulation *e, const struct setup *s)
{
	const vmp_plan *plan = e->plan;
	int naive_next = 0, k = 0, err;
	vmp_cpuset spare;

	free_cpus(&spare, e->host, plan);
	if ((err = alloc_threads(e, s, &spare)) < 0)
		return err;
	for (int i = 0; i < plan->nvms; i++) {
		struct gvm *g = &e->vms[e->nvms];

		if (!plan->vms[i].placed)
			continue;
		g->vm = &plan->vms[i];
		e->nvms++;
		if ((err = build_vm_threads(e, s, g, &k, &naive_next)) < 0)
			return err;
		g->ncells = g->vm->ncells;
		for (int c = 0; c < g->vm->ncells; c++)
			if ((err = build_cell(e, s, g, c)) < 0)
				return err;
	}
	if (s->antagonist)
		return build_antagonists(e, &spare, k);
	return VMP_OK;
}

/* One worker per thread, pinned where the variant puts it. */
static int start(struct emulation *e)
{
	int err, failed = -1, cpu;

	if ((err = engine_team_new(&e->team, e->nthreads, host_thread_job, e)) < 0)
		goto fail;
	for (int k = 0; k < e->nthreads; k++) {
		engine_team_set_self(e->team, k, &e->t[k]);
		if (e->t[k].pin)
			VMP_CPUSET_FOREACH (cpu, &e->t[k].cpus)
				if ((err = engine_team_pin(e->team, k, cpu)) < 0)
					goto fail;
	}
	if ((err = engine_team_start(e->team, &failed)) < 0) {
		if (failed >= 0) {
			char buf[256];

			vmp_cpuset_format(buf, sizeof(buf), &e->t[failed].cpus);
			vmp_error_set("cannot bind a guest thread to CPUs %s: %s", buf,
				      strerror(-err));
		} else {
			vmp_error_set("cannot start a guest thread: %s", strerror(-err));
		}
		engine_team_free(e->team);
		e->team = NULL;
		return VMP_ESYS;
	}
	return VMP_OK;
fail:
	vmp_error_set("%s", engine_error());
	engine_team_free(e->team);
	e->team = NULL;
	return err == -ENOMEM ? VMP_ENOMEM : VMP_ESYS;
}

void emulation_job(struct emulation *e, enum job job, double seconds)
{
	if (job == JOB_RUN) {
		for (int k = 0; k < e->nvms; k++)
			for (int p = 0; p < e->vms[k].npairs; p++)
				engine_pp_reset(&e->vms[k].pairs[p]);
		e->deadline = engine_now_s() + seconds;
	}
	engine_team_run(e->team, (int)job);
}

int emulation_new(struct emulation **out, const vmp_plan *plan, const vmp_host *host,
		  vmp_bench_variant variant, const struct setup *s, char **notes, size_t *notes_len)
{
	struct emulation *e = calloc(1, sizeof(*e));
	engine_isa isa = ENGINE_ISA_AUTO;
	engine_read_fn rd;
	int err;

	*out = NULL;
	if (!e) {
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	e->host = host;
	e->plan = plan;
	e->variant = variant;
	e->notes = notes;
	e->notes_len = notes_len;
	/* The widest kernels there are: AUTO always finds some. */
	engine_kernels(&isa, &rd, &e->triad);
	e->chase = engine_chase;
	if (s->o->kernels && s->o->kernels->triad)
		e->triad = s->o->kernels->triad;
	if (s->o->kernels && s->o->kernels->chase)
		e->chase = s->o->kernels->chase;
	if ((err = build(e, s)) < 0 || (err = start(e)) < 0) {
		emulation_free(e);
		return err;
	}
	*out = e;
	return VMP_OK;
}
