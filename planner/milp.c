/* The exact batch model: which nodes each VM's cells go to, solved by COIN-OR CBC. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coin/Cbc_C_Interface.h>

#include "planner/internal.h"
#include "vmplan/error.h"

/*
 * The model, at node level (README, "The exact solver"):
 *
 *   y[v,k]      VM v placed with k cells (binary; at most one k per VM)
 *   x[v,k,t,n]  a share of type t of that placement on node n (binary)
 *
 * A VM with k cells takes planner_split()'s k even shares of its vCPUs and memory; equal
 * consecutive shares form a type t with count[t] shares. Rows:
 *
 *   sum_n x[v,k,t,n] = count[t] * y[v,k]      every share of a chosen k has a node
 *   sum_{k,t} x[v,k,t,n] <= 1                  a VM's cells are on distinct nodes
 *   sum_k y[v,k] <= 1
 *   per node, over its shares:                 (free = not reserved, not used by a domain)
 *     prefer + require + smin * isolate <= free PUs        (isolate holds whole cores)
 *     isolate + require / T <= free whole cores           (T: the most threads of a core)
 *     require / T <= free whole cores of T threads
 *     memory of each pool <= what the node can back from it
 *
 * Every row holds for any plan vmp_plan_solve() can make, so the solver's bound is a bound on
 * any plan. Objective (maximised): per placed VM (1 + priority) * M + vCPUs * M2 - (k - 1),
 * with M2 above the largest node penalty and M above all vCPUs' worth, so VMs count first,
 * then vCPUs, then the fewest nodes. Cache ways, classes of service, bandwidth, cpu=shared
 * VMs and I/O threads on their own CPUs are left to the realisation (search.c), which may
 * refuse what the model placed: the plan then states the gap to the bound.
 */

/* Past this many share columns the model is not built: CBC's root LP alone would outrun a
 * budget of seconds (200 VMs on 24 nodes, 80,000 columns, took 5 s; 100 VMs, 2.7 s). */
#define MILP_MAX_COLS 10000

typedef struct col_meta {
	int vm, k, share0, count, node; /* node -1: the y column of (vm, k) */
	uint64_t vc, mem;
} col_meta;

typedef struct model {
	const vmp_host *h;
	const vmp_plan *plan;
	planner_state st;
	col_meta *cols;
	int ncols, cap;
	int *row_idx;
	double *row_val;
	double M, M2;
	int T;
} model;

static int add_col(model *m, col_meta c)
{
	if (m->ncols == m->cap) {
		int cap = m->cap ? 2 * m->cap : 1024;
		col_meta *n = realloc(m->cols, (size_t)cap * sizeof(*n));
		if (!n)
			return -1;
		m->cols = n;
		m->cap = cap;
	}
	m->cols[m->ncols] = c;
	return m->ncols++;
}

/* Whether the model covers a request at all: dedicated, and placeable on this host. */
static bool modelled(const vmp_host *h, const vmp_vm_request *r)
{
	if (r->cpu == VMP_CPU_SHARED)
		return false;
	if (r->emulator == VMP_EMULATOR_ISOLATE && vmp_cpuset_empty(&h->reserved))
		return false;
	return r->numa_cells <= (unsigned)h->nnodes;
}

static bool share_fits_empty(const model *m, const vmp_vm_request *r, uint64_t vc, uint64_t mem,
			     int n)
{
	return planner_capacity(&m->st, n, ANY_L3, r->threads) >= (int)vc &&
	       planner_mem_room(&m->st, n, r->hugepage_bytes) >= mem;
}

/* The columns of VM v with k cells: one y, then x per share type and node. */
static int add_vm_k(model *m, int v, int k)
{
	const vmp_vm_request *r = &m->plan->vms[v].req;
	int unit = r->threads == VMP_THREADS_REQUIRE ? m->T : 1;
	uint64_t vc[VMP_MAX_CELLS], mem[VMP_MAX_CELLS];

	if ((int)r->vcpus < k || (int)r->vcpus % unit)
		return 0;
	planner_split(vc, k, r->vcpus, (uint64_t)unit);
	planner_split(mem, k, r->memory_bytes, r->hugepage_bytes ? r->hugepage_bytes : 1024 * 1024);
	for (int i = 0; i < k; i++)
		if (!vc[i] || !mem[i])
			return 0;
	/* Each share needs a node of its own that could hold it on the empty host. */
	for (int i = 0; i < k; i++) {
		int nodes = 0;
		for (int n = 0; n < m->h->nnodes && nodes <= i; n++)
			nodes += share_fits_empty(m, r, vc[i], mem[i], n);
		if (nodes <= i)
			return 0;
	}
	if (add_col(m, (col_meta){v, k, 0, k, -1, r->vcpus, r->memory_bytes}) < 0)
		return -1;
	for (int i = 0; i < k;) {
		int j = i;
		while (j < k && vc[j] == vc[i] && mem[j] == mem[i])
			j++;
		for (int n = 0; n < m->h->nnodes; n++)
			if (share_fits_empty(m, r, vc[i], mem[i], n) &&
			    add_col(m, (col_meta){v, k, i, j - i, n, vc[i], mem[i]}) < 0)
				return -1;
		i = j;
	}
	return 0;
}

static int build_cols(model *m)
{
	for (int v = 0; v < m->plan->nvms; v++) {
		const vmp_vm_request *r = &m->plan->vms[v].req;
		int first, last;
		if (!modelled(m->h, r))
			continue;
		planner_cell_range(m->h, r, VMP_MAX_CELLS, &first, &last);
		for (int k = first; k <= last; k++) {
			if (add_vm_k(m, v, k) < 0)
				return -1;
			if (m->ncols > MILP_MAX_COLS)
				return 1;
		}
	}
	return 0;
}

static void objective(model *m, Cbc_Model *cbc)
{
	double vcpus = 0, pen = 0;

	for (int c = 0; c < m->ncols; c++)
		if (m->cols[c].node < 0) {
			vcpus += (double)m->cols[c].vc;
			pen += m->cols[c].k - 1;
		}
	m->M2 = pen + 1;
	m->M = (vcpus + 1) * m->M2;
	for (int c = 0; c < m->ncols; c++) {
		const col_meta *cm = &m->cols[c];
		double obj = 0;
		if (cm->node < 0)
			obj = (1 + m->plan->vms[cm->vm].req.priority) * m->M +
			      (double)cm->vc * m->M2 - (cm->k - 1);
		char name[24];
		/* CBC's MIP start looks columns up by name. */
		snprintf(name, sizeof(name), "c%d", c);
		Cbc_addCol(cbc, name, 0.0, 1.0, obj, 1, 0, NULL, NULL);
	}
}

/* The rows of one VM: shares to nodes, distinct nodes, one k. */
static void vm_rows(model *m, Cbc_Model *cbc, int lo, int hi)
{
	int nz = 0;

	for (int c = lo; c < hi; c++)
		if (m->cols[c].node < 0) {
			m->row_idx[nz] = c;
			m->row_val[nz++] = 1;
		}
	Cbc_addRow(cbc, "", nz, m->row_idx, m->row_val, 'L', 1.0);
	for (int c = lo; c < hi;) {
		int y = c++;
		while (c < hi && m->cols[c].node >= 0) {
			int t0 = c;
			nz = 0;
			m->row_idx[nz] = y;
			m->row_val[nz++] = -(double)m->cols[t0].count;
			while (c < hi && m->cols[c].node >= 0 &&
			       m->cols[c].share0 == m->cols[t0].share0) {
				m->row_idx[nz] = c++;
				m->row_val[nz++] = 1;
			}
			Cbc_addRow(cbc, "", nz, m->row_idx, m->row_val, 'E', 0.0);
		}
	}
	for (int n = 0; n < m->h->nnodes; n++) {
		nz = 0;
		for (int c = lo; c < hi; c++)
			if (m->cols[c].node == n) {
				m->row_idx[nz] = c;
				m->row_val[nz++] = 1;
			}
		if (nz > 1)
			Cbc_addRow(cbc, "", nz, m->row_idx, m->row_val, 'L', 1.0);
	}
}

/* Free whole cores of a node (of T threads only, when only_T), and the fewest threads of one. */
static int whole_cores(const planner_state *st, int n, bool only_T, int *smin)
{
	int count = 0;

	*smin = st->max_core;
	for (int i = st->node_core_start[n]; i < st->node_core_start[n + 1]; i++) {
		int c = st->node_core[i];
		if (st->core_nfree[c] != st->core_size[c] || st->core_size[c] == 0)
			continue;
		if (only_T && st->core_size[c] != st->max_core)
			continue;
		count++;
		if (st->core_size[c] < *smin)
			*smin = st->core_size[c];
	}
	return count;
}

/* One node row over its share columns; coef(policy) weighs each share's vCPUs. */
static void cpu_row(model *m, Cbc_Model *cbc, int n, const double coef[3], double rhs)
{
	int nz = 0;

	for (int c = 0; c < m->ncols; c++) {
		const col_meta *cm = &m->cols[c];
		double w;
		if (cm->node != n)
			continue;
		w = coef[m->plan->vms[cm->vm].req.threads] * (double)cm->vc;
		if (w != 0) {
			m->row_idx[nz] = c;
			m->row_val[nz++] = w;
		}
	}
	if (nz)
		Cbc_addRow(cbc, "", nz, m->row_idx, m->row_val, 'L', rhs);
}

static void mem_row(model *m, Cbc_Model *cbc, int n, uint64_t page)
{
	int nz = 0;

	for (int c = 0; c < m->ncols; c++) {
		const col_meta *cm = &m->cols[c];
		uint64_t p = m->plan->vms[cm->vm].req.hugepage_bytes;
		if (cm->node != n || (planner_pool_configured(m->h, p) ? p : 0) != page)
			continue;
		m->row_idx[nz] = c;
		m->row_val[nz++] = (double)cm->mem / 1048576.0;
	}
	if (nz)
		Cbc_addRow(cbc, "", nz, m->row_idx, m->row_val, 'L',
			   (double)planner_mem_room(&m->st, n, page) / 1048576.0);
}

static void node_rows(model *m, Cbc_Model *cbc)
{
	for (int n = 0; n < m->h->nnodes; n++) {
		int smin, whole = whole_cores(&m->st, n, false, &smin), whole_T, s2;
		double pus = planner_capacity(&m->st, n, ANY_L3, VMP_THREADS_PREFER);
		/* By vmp_thread_policy: prefer, isolate, require. */
		double all[3] = {1, smin, 1}, cores[3] = {0, 1, 1.0 / m->T}, req[3] = {0, 0, 1};

		whole_T = whole_cores(&m->st, n, true, &s2);
		cpu_row(m, cbc, n, all, pus);
		cpu_row(m, cbc, n, cores, whole);
		if (whole_T < whole)
			cpu_row(m, cbc, n, req, (double)whole_T * m->T);
		mem_row(m, cbc, n, 0);
		for (int p = 0; p < m->plan->nvms; p++) {
			uint64_t page = m->plan->vms[p].req.hugepage_bytes;
			bool seen = false;
			if (!page || !planner_pool_configured(m->h, page))
				continue;
			for (int q = 0; q < p && !seen; q++)
				seen = m->plan->vms[q].req.hugepage_bytes == page;
			if (!seen)
				mem_row(m, cbc, n, page);
		}
	}
}

/* The heuristic's plan as the solver's first solution (the columns at 1, by name). */
static void mip_start(model *m, Cbc_Model *cbc)
{
	double *val = calloc((size_t)m->ncols + 1, sizeof(*val));
	char **names = calloc((size_t)m->ncols + 1, sizeof(*names));
	char *buf = calloc((size_t)m->ncols + 1, 16);
	int count = 0;

	if (!val || !names || !buf)
		goto out;
	for (int c = 0; c < m->ncols; c++) {
		const col_meta *cm = &m->cols[c];
		const vmp_plan_vm *vm = &m->plan->vms[cm->vm];
		bool one = cm->node < 0;
		if (!vm->placed || vm->ncells != cm->k)
			continue;
		for (int i = cm->share0; i < cm->share0 + cm->count && !one; i++)
			one = vmp_host_node_index(m->h, vm->cells[i].host_node) == cm->node;
		if (!one)
			continue;
		names[count] = buf + (size_t)count * 16;
		snprintf(names[count], 16, "c%d", c);
		val[count++] = 1;
	}
	if (count)
		Cbc_setMIPStart(cbc, count, (const char **)names, val);
out:
	free(val);
	free(names);
	free(buf);
}

/* The solution into out: per VM its k and nodes in share order. */
static void read_solution(model *m, Cbc_Model *cbc, planner_assignment *out)
{
	const double *x = Cbc_getColSolution(cbc);
	int fill[VMP_MAX_CELLS];

	for (int c = 0; c < m->ncols; c++) {
		const col_meta *cm = &m->cols[c];
		int *nodes = out->nodes + (size_t)cm->vm * VMP_MAX_CELLS;
		if (x[c] < 0.5)
			continue;
		if (cm->node < 0) {
			out->ncells[cm->vm] = cm->k;
			memset(fill, 0, sizeof(fill));
			continue;
		}
		/* Columns of one (vm, k) follow its y column, so fill is for this VM. */
		if (fill[cm->share0] < cm->count)
			nodes[cm->share0 + fill[cm->share0]++] = cm->node;
	}
}

static void solve(model *m, Cbc_Model *cbc, planner_assignment *out, double seconds)
{
	Cbc_setObjSense(cbc, -1);
	Cbc_setLogLevel(cbc, 0);
	/* CBC 2.10's preprocessing breaks the MIP start ("Illegal index in
	 * ClpModel::getColumnName", no solve); these models are small enough without it. */
	Cbc_setParameter(cbc, "preprocess", "off");
	Cbc_setParameter(cbc, "timeMode", "elapsed"); /* the budget is wall-clock time */
	Cbc_setMaximumSeconds(cbc, seconds);
	/* Stop once what is left could not be worth one vCPU: VMs and vCPUs are then proven. */
	Cbc_setAllowableGap(cbc, m->M2 - 0.5);
	mip_start(m, cbc);
	Cbc_solve(cbc);
	out->proven = Cbc_isProvenOptimal(cbc) != 0;
	/* The bound on the objective, turned into priority-weighted VMs (see objective()). */
	double best = Cbc_getBestPossibleObjValue(cbc);
	if (isfinite(best) && fabs(best) < 1e300) {
		/* Stopped before its root LP (a slow machine), CBC's "best possible" can be
		 * above any plan: never claim more than every modelled VM. */
		double all = 0;
		for (int c = 0, last = -1; c < m->ncols; c++)
			if (m->cols[c].node < 0 && m->cols[c].vm != last) {
				last = m->cols[c].vm;
				all += 1 + m->plan->vms[last].req.priority;
			}
		out->bound = fmin(floor((best + m->M2) / m->M + 1e-9), all);
		/* Below its own solution it is no bound either. */
		out->has_bound = !Cbc_bestSolution(cbc) || best >= Cbc_getObjValue(cbc) - 0.5;
	}
	if (Cbc_getNumCols(cbc) > 0 && Cbc_bestSolution(cbc))
		read_solution(m, cbc, out);
	out->has_solution = Cbc_bestSolution(cbc) != NULL;
}

static int build_and_solve(model *m, planner_assignment *out, double seconds)
{
	Cbc_Model *cbc;
	int err;

	if ((err = build_cols(m)) != 0) {
		if (err > 0)
			snprintf(out->note, sizeof(out->note),
				 "the exact model is too large (over %d columns)", MILP_MAX_COLS);
		return err < 0 ? VMP_ENOMEM : VMP_OK;
	}
	m->row_idx = malloc(((size_t)m->ncols + 1) * sizeof(*m->row_idx));
	m->row_val = malloc(((size_t)m->ncols + 1) * sizeof(*m->row_val));
	if (!m->row_idx || !m->row_val)
		return VMP_ENOMEM;
	if (!(cbc = Cbc_newModel()))
		return VMP_ENOMEM;
	objective(m, cbc);
	for (int lo = 0; lo < m->ncols;) {
		int hi = lo + 1;
		while (hi < m->ncols && m->cols[hi].vm == m->cols[lo].vm)
			hi++;
		vm_rows(m, cbc, lo, hi);
		lo = hi;
	}
	node_rows(m, cbc);
	if (m->ncols == 0) {
		/* Nothing the model covers: its bound is 0 VMs. */
		out->proven = out->has_bound = out->has_solution = true;
		out->bound = 0;
	} else {
		solve(m, cbc, out, seconds);
	}
	Cbc_deleteModel(cbc);
	return VMP_OK;
}

int planner_milp_solve(planner_assignment *out, const vmp_host *h, const vmp_plan *start,
		       double seconds)
{
	model m = {.h = h, .plan = start};
	int err;

	memset(out, 0, sizeof(*out));
	out->nvms = start->nvms;
	out->ncells = calloc((size_t)start->nvms + 1, sizeof(*out->ncells));
	out->nodes = calloc(((size_t)start->nvms + 1) * VMP_MAX_CELLS, sizeof(*out->nodes));
	if (!out->ncells || !out->nodes) {
		planner_assignment_free(out);
		vmp_error_set("out of memory");
		return VMP_ENOMEM;
	}
	if ((err = planner_state_init(&m.st, h)) < 0) {
		planner_assignment_free(out);
		return err;
	}
	m.T = m.st.max_core;
	err = build_and_solve(&m, out, seconds);
	planner_state_free(&m.st);
	free(m.cols);
	free(m.row_idx);
	free(m.row_val);
	if (err < 0) {
		planner_assignment_free(out);
		vmp_error_set("out of memory");
	}
	return err;
}

void planner_assignment_free(planner_assignment *a)
{
	free(a->ncells);
	free(a->nodes);
	a->ncells = a->nodes = NULL;
}
