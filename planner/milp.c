/* The exact batch model: which nodes each VM's cells go to, solved by COIN-OR CBC. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner/internal.h"
#include "planner/milp_model.h"
#include "vmplan/error.h"

/*
 * The model, at node level (README, "The exact solver"):
 *
 *   y[g,k]      VMs of group g placed with k cells (integer; a group is the VMs the model
 *               cannot tell apart, milp_map.c; most groups hold one VM)
 *   x[g,k,t,n]  their shares of type t on node n (integer)
 *
 * A VM with k cells takes planner_split()'s k even shares of its vCPUs and memory; equal
 * consecutive shares form a type t with count[t] shares. Rows:
 *
 *   sum_n x[g,k,t,n] = count[t] * y[g,k]      every share of a chosen k has a node
 *   sum_t x[g,k,t,n] <= y[g,k]                 a VM's cells are on distinct nodes
 *   sum_k y[g,k] <= |g|
 *   per node, over its shares:                 (free = not reserved, not used by a domain)
 *     prefer + require + smin * isolate <= free PUs        (isolate holds whole cores)
 *     isolate + require / T <= free whole cores           (T: the most threads of a core)
 *     require / T <= free whole cores of T threads
 *     memory of each pool <= what the node can back from it
 *
 * Every row holds for any plan vmp_plan_solve() can make, so the solver's bound is a bound on
 * any plan. Objective (maximised): per placed VM (1 + priority) + e1 * vCPUs - e2 * (k - 1),
 * with e1 and e2 so small that together they stay within +-0.004, so VMs count first: a
 * solution must place one more (weighted) VM to count as better (CBC's cutoff increment),
 * which prunes the search far more than a lexicographic objective could. Once that first
 * pass proves the VM count, a second pass (second_pass()) holds it and maximises vCPUs, then
 * the fewest nodes, in the time left. Identical nodes: milp_class_fix(). Aggregate rows (each node
 * row summed over the host, in y alone) give CBC's knapsack covers something to cut. Cache ways,
 * classes of service, bandwidth, cpu=shared VMs and I/O threads on their own CPUs are left to the
 * realisation (search.c), which may refuse what the model placed: the plan then states the gap to
 * the bound.
 */

/* Past this many columns the model is not solved: CBC's time limit does not interrupt its root
 * stage, which alone would outrun a budget of seconds (80,000 columns took 5 s). Gathered and
 * loaded at once (load()), the 24-node fixture's 200 VMs of bench_plan (11,539 columns) are
 * proven optimal in 1.6-1.7 s, 1,000 VMs of few shapes on 64 nodes (7,516) in 1.6 s; built
 * a row and a column at a time, as before, they took 7 s and 2.5 s. Past MILP_COUNT_COLS not
 * even counted. */
#define MILP_MAX_COLS   15000
#define MILP_COUNT_COLS 1000000

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

bool milp_modelled(const vmp_host *h, const vmp_vm_request *r)
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

/* The columns of group g with k cells: one y, then x per share type and node. */
static int add_vm_k(model *m, int g, int k)
{
	const vmp_vm_request *r = milp_group_req(m, g);
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
	if (add_col(m, (col_meta){g, k, 0, k, -1, r->vcpus, r->memory_bytes}) < 0)
		return -1;
	for (int i = 0; i < k;) {
		int j = i;
		while (j < k && vc[j] == vc[i] && mem[j] == mem[i])
			j++;
		for (int n = 0; n < m->h->nnodes; n++)
			if (share_fits_empty(m, r, vc[i], mem[i], n) &&
			    add_col(m, (col_meta){g, k, i, j - i, n, vc[i], mem[i]}) < 0)
				return -1;
		i = j;
	}
	return 0;
}

static int build_cols(model *m)
{
	for (int g = 0; g < m->ngroups; g++) {
		const vmp_vm_request *r = milp_group_req(m, g);
		int first, last;
		planner_cell_range(m->h, r, VMP_MAX_CELLS, &first, &last);
		for (int k = first; k <= last; k++) {
			if (add_vm_k(m, g, k) < 0)
				return -1;
			if (m->ncols > MILP_COUNT_COLS)
				return 1;
		}
	}
	return 0;
}

static void objective(model *m)
{
	double vcpus = 0, pen = 0;

	for (int c = 0; c < m->ncols; c++)
		if (m->cols[c].node < 0) {
			double size = milp_group_size(m, m->cols[c].g);
			vcpus += (double)m->cols[c].vc * size;
			pen += (m->cols[c].k - 1) * size;
		}
	m->eps_vcpu = 0.004 / (vcpus + 1);
	m->eps_node = 0.004 / (pen + 1);
	/* The second pass: the VMs are held by a row; vCPUs count before any node penalty. */
	if (m->pass == 2) {
		m->eps_vcpu = pen + 1;
		m->eps_node = 1;
	}
	for (int c = 0; c < m->ncols; c++) {
		const col_meta *cm = &m->cols[c];
		double obj = 0;
		if (cm->node < 0)
			obj = (m->pass == 2 ? 0 : 1 + milp_group_req(m, cm->g)->priority) +
			      (double)cm->vc * m->eps_vcpu - (cm->k - 1) * m->eps_node;
		m->obj[c] = obj;
		m->colub[c] = milp_group_size(m, cm->g);
	}
}

/* Row r of the model: nz entries of m->row_idx/m->row_val, sense 'L', 'G' or 'E'. Gathered,
 * the rows go to CBC at once (load()): CBC's own addRow copies its matrix each time. */
static void add_row(model *m, int nz, char sense, double rhs)
{
	if (m->nnz + (size_t)nz > m->nzcap || m->nrows + 1 >= m->rowcap) {
		size_t nzcap = 2 * (m->nzcap + (size_t)nz) + 1024;
		int rowcap = 2 * m->rowcap + 256;
		int *ri = realloc(m->rrow, nzcap * sizeof(*ri)), *rc;
		double *rv, *rlo, *rup;
		if (ri)
			m->rrow = ri;
		rc = realloc(m->rcol, nzcap * sizeof(*rc));
		if (rc)
			m->rcol = rc;
		rv = realloc(m->rval, nzcap * sizeof(*rv));
		if (rv)
			m->rval = rv;
		rlo = realloc(m->rowlb, (size_t)rowcap * sizeof(*rlo));
		if (rlo)
			m->rowlb = rlo;
		rup = realloc(m->rowub, (size_t)rowcap * sizeof(*rup));
		if (rup)
			m->rowub = rup;
		if (!ri || !rc || !rv || !rlo || !rup) {
			m->oom = true;
			return;
		}
		m->nzcap = nzcap;
		m->rowcap = rowcap;
	}
	for (int i = 0; i < nz; i++) {
		m->rrow[m->nnz] = m->nrows;
		m->rcol[m->nnz] = m->row_idx[i];
		m->rval[m->nnz++] = m->row_val[i];
	}
	m->rowlb[m->nrows] = sense == 'L' ? -DBL_MAX : rhs;
	m->rowub[m->nrows] = sense == 'G' ? DBL_MAX : rhs;
	m->nrows++;
}

/* The gathered columns and rows into cbc, column by column; false when out of memory. */
static bool load(model *m, Cbc_Model *cbc)
{
	CoinBigIndex *start = calloc((size_t)m->ncols + 2, sizeof(*start));
	int *index = malloc((m->nnz + 1) * sizeof(*index));
	double *value = malloc((m->nnz + 1) * sizeof(*value));
	double *collb = calloc((size_t)m->ncols + 1, sizeof(*collb));
	bool ok = start && index && value && collb && !m->oom;

	if (ok) {
		for (size_t i = 0; i < m->nnz; i++)
			start[m->rcol[i] + 2]++;
		for (int c = 0; c < m->ncols; c++)
			start[c + 2] += start[c + 1];
		/* start[c + 1] is where column c's next entry goes; after, where c + 1 starts. */
		for (size_t i = 0; i < m->nnz; i++) {
			CoinBigIndex at = start[m->rcol[i] + 1]++;
			index[at] = m->rrow[i];
			value[at] = m->rval[i];
		}
		Cbc_loadProblem(cbc, m->ncols, m->nrows, start, index, value, collb, m->colub,
				m->obj, m->rowlb, m->rowub);
		for (int c = 0; c < m->ncols; c++)
			Cbc_setInteger(cbc, c);
	}
	free(start);
	free(index);
	free(value);
	free(collb);
	return ok;
}

/* Per node, the shares of (g, k) (columns y..end) at most y: each VM on distinct nodes. */
static void distinct_rows(model *m, int y, int end)
{
	for (int n = 0; n < m->h->nnodes; n++) {
		int nz = 0;
		for (int c = y + 1; c < end; c++)
			if (m->cols[c].node == n) {
				m->row_idx[nz] = c;
				m->row_val[nz++] = 1;
			}
		/* One share column and a group of one: its bound 1 and the = row suffice. */
		if (nz > 1 || (nz == 1 && milp_group_size(m, m->cols[y].g) > 1)) {
			m->row_idx[nz] = y;
			m->row_val[nz++] = -1;
			add_row(m, nz, 'L', 0.0);
		}
	}
}

/* The rows of one group: shares to nodes, distinct nodes, one k per VM. */
static void vm_rows(model *m, int lo, int hi)
{
	int nz = 0;

	for (int c = lo; c < hi; c++)
		if (m->cols[c].node < 0) {
			m->row_idx[nz] = c;
			m->row_val[nz++] = 1;
		}
	add_row(m, nz, 'L', milp_group_size(m, m->cols[lo].g));
	for (int c = lo; c < hi;) {
		int y = c++, end = c;
		while (end < hi && m->cols[end].node >= 0)
			end++;
		while (c < end) {
			int t0 = c;
			nz = 0;
			m->row_idx[nz] = y;
			m->row_val[nz++] = -(double)m->cols[t0].count;
			while (c < end && m->cols[c].share0 == m->cols[t0].share0) {
				m->row_idx[nz] = c++;
				m->row_val[nz++] = 1;
			}
			add_row(m, nz, 'E', 0.0);
		}
		distinct_rows(m, y, end);
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
static void cpu_row(model *m, int n, const double coef[3], double rhs)
{
	int nz = 0;

	for (int c = 0; c < m->ncols; c++) {
		const col_meta *cm = &m->cols[c];
		double w;
		if (cm->node != n)
			continue;
		w = coef[milp_group_req(m, cm->g)->threads] * (double)cm->vc;
		if (w != 0) {
			m->row_idx[nz] = c;
			m->row_val[nz++] = w;
		}
	}
	if (nz)
		add_row(m, nz, 'L', rhs);
}

static void mem_row(model *m, int n, uint64_t page)
{
	int nz = 0;

	for (int c = 0; c < m->ncols; c++) {
		const col_meta *cm = &m->cols[c];
		uint64_t p = milp_group_req(m, cm->g)->hugepage_bytes;
		if (cm->node != n || (planner_pool_configured(m->h, p) ? p : 0) != page)
			continue;
		m->row_idx[nz] = c;
		m->row_val[nz++] = (double)cm->mem / 1048576.0;
	}
	if (nz)
		add_row(m, nz, 'L', (double)planner_mem_room(&m->st, n, page) / 1048576.0);
}

/* A host row in the y columns alone: coef weighs vCPUs by policy; mem > 0: memory of pool
 * page (0: normal) instead. Each is a sum of node rows, there for CBC's knapsack covers. */
static void host_row(model *m, const double coef[3], bool mem, uint64_t page, double rhs)
{
	int nz = 0;

	for (int c = 0; c < m->ncols; c++) {
		const col_meta *cm = &m->cols[c];
		const vmp_vm_request *r = milp_group_req(m, cm->g);
		uint64_t p =
		    planner_pool_configured(m->h, r->hugepage_bytes) ? r->hugepage_bytes : 0;
		double w = mem ? (p == page ? (double)cm->mem / 1048576.0 : 0)
			       : coef[r->threads] * (double)cm->vc;
		if (cm->node < 0 && w != 0) {
			m->row_idx[nz] = c;
			m->row_val[nz++] = w;
		}
	}
	if (nz)
		add_row(m, nz, 'L', rhs);
}

static void host_rows(model *m)
{
	double pus = 0, whole = 0, smin_all = m->T;
	uint64_t pages[VMP_MAX_CELLS + 1] = {0};
	int npages = 1;

	for (int n = 0; n < m->h->nnodes; n++) {
		int smin;
		whole += whole_cores(&m->st, n, false, &smin);
		pus += planner_capacity(&m->st, n, ANY_L3, VMP_THREADS_PREFER);
		smin_all = smin < smin_all ? smin : smin_all;
	}
	double all[3] = {1, smin_all, 1}, cores[3] = {0, 1, 1.0 / m->T};
	host_row(m, all, false, 0, pus);
	host_row(m, cores, false, 0, whole);
	for (int g = 0; g < m->ngroups && npages <= VMP_MAX_CELLS; g++) {
		uint64_t page = milp_group_req(m, g)->hugepage_bytes;
		bool seen = !page || !planner_pool_configured(m->h, page);
		for (int i = 0; i < npages && !seen; i++)
			seen = pages[i] == page;
		if (!seen)
			pages[npages++] = page;
	}
	for (int i = 0; i < npages; i++) {
		double room = 0;
		for (int n = 0; n < m->h->nnodes; n++)
			room += (double)planner_mem_room(&m->st, n, pages[i]) / 1048576.0;
		host_row(m, NULL, true, pages[i], room);
	}
}

static void node_rows(model *m)
{
	host_rows(m);
	for (int n = 0; n < m->h->nnodes; n++) {
		int smin, whole = whole_cores(&m->st, n, false, &smin), whole_T, s2;
		double pus = planner_capacity(&m->st, n, ANY_L3, VMP_THREADS_PREFER);
		/* By vmp_thread_policy: prefer, isolate, require. */
		double all[3] = {1, smin, 1}, cores[3] = {0, 1, 1.0 / m->T}, req[3] = {0, 0, 1};

		whole_T = whole_cores(&m->st, n, true, &s2);
		cpu_row(m, n, all, pus);
		cpu_row(m, n, cores, whole);
		if (whole_T < whole)
			cpu_row(m, n, req, (double)whole_T * m->T);
		mem_row(m, n, 0);
		for (int p = 0; p < m->ngroups; p++) {
			uint64_t page = milp_group_req(m, p)->hugepage_bytes;
			bool seen = false;
			if (!page || !planner_pool_configured(m->h, page))
				continue;
			for (int q = 0; q < p && !seen; q++)
				seen = milp_group_req(m, q)->hugepage_bytes == page;
			if (!seen)
				mem_row(m, n, page);
		}
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
	/* Only one more weighted VM counts (the tie-breaks are worth under 0.004 either way);
	 * stop once no more could be: the VM count is then proven. */
	Cbc_setParameter(cbc, "increment", "0.99");
	Cbc_setAllowableGap(cbc, 0.99);
	/* One round of root cuts, no strong branching: on test_plan_proof's medium instances the
	 * optimum is found in the tree sooner than through the root's cut loop (27 rounds took
	 * 1.3 s of the 1.5 under load), and a round of cuts with the tree's own suffices for the
	 * bound (README "The exact solver": 58-59 of 60 proven optimal at the default budget,
	 * 54 with CBC's defaults). */
	Cbc_setParameter(cbc, "passCuts", "1");
	Cbc_setParameter(cbc, "strong", "0");
	milp_start(m, cbc);
	Cbc_solve(cbc);
	out->proven = Cbc_isProvenOptimal(cbc) != 0;
	/* The bound on the objective, turned into priority-weighted VMs (see objective()). */
	double best = Cbc_getBestPossibleObjValue(cbc);
	if (isfinite(best) && fabs(best) < 1e300) {
		/* Stopped before its root LP (a slow machine), CBC's "best possible" can be
		 * above any plan: never claim more than every modelled VM. */
		double all = 0;
		for (int c = 0, last = -1; c < m->ncols; c++)
			if (m->cols[c].node < 0 && m->cols[c].g != last) {
				last = m->cols[c].g;
				all += (1 + milp_group_req(m, last)->priority) *
				       milp_group_size(m, last);
			}
		out->bound = fmin(floor(best + 0.0045), all);
		/* Below its own solution it is no bound either. */
		out->has_bound = !Cbc_bestSolution(cbc) || best >= Cbc_getObjValue(cbc) - 0.5;
	}
	out->has_solution = Cbc_getNumCols(cbc) > 0 && Cbc_bestSolution(cbc) &&
			    milp_read_solution(m, Cbc_getColSolution(cbc), out);
}

/* The second pass's row: the weighted VMs at least vms_min. */
static void vms_row(model *m)
{
	int nz = 0;

	for (int c = 0; c < m->ncols; c++)
		if (m->cols[c].node < 0) {
			m->row_idx[nz] = c;
			m->row_val[nz++] = 1 + milp_group_req(m, m->cols[c].g)->priority;
		}
	add_row(m, nz, 'G', m->vms_min - 1e-6);
}

/* The model's columns, objective and rows into a new CBC model; NULL when out of memory. */
static Cbc_Model *new_cbc(model *m)
{
	Cbc_Model *cbc = Cbc_newModel();

	if (!cbc)
		return NULL;
	m->nrows = 0;
	m->nnz = 0;
	objective(m);
	for (int lo = 0; lo < m->ncols;) {
		int hi = lo + 1;
		while (hi < m->ncols && m->cols[hi].g == m->cols[lo].g)
			hi++;
		vm_rows(m, lo, hi);
		lo = hi;
	}
	node_rows(m);
	if (m->pass == 2)
		vms_row(m);
	if (!load(m, cbc) || milp_class_fix(m, cbc) < 0) {
		Cbc_deleteModel(cbc);
		return NULL;
	}
	return cbc;
}

/*
 * The second pass, once the first proved the VM count and time is left: the same VMs, the
 * most vCPUs, then the fewest nodes, from the first pass's assignment; out takes its
 * solution when it has one.
 */
static int second_pass(model *m, planner_assignment *out, double seconds)
{
	planner_assignment more = *out;
	Cbc_Model *cbc;

	m->pass = 2;
	m->vms_min = out->bound;
	m->from = out;
	if (!(cbc = new_cbc(m)))
		return VMP_ENOMEM;
	more.ncells = calloc((size_t)out->nvms + 1, sizeof(*more.ncells));
	more.nodes = calloc(((size_t)out->nvms + 1) * VMP_MAX_CELLS, sizeof(*more.nodes));
	if (!more.ncells || !more.nodes) {
		planner_assignment_free(&more);
		Cbc_deleteModel(cbc);
		return VMP_ENOMEM;
	}
	Cbc_setObjSense(cbc, -1);
	Cbc_setLogLevel(cbc, 0);
	Cbc_setParameter(cbc, "preprocess", "off");
	Cbc_setParameter(cbc, "timeMode", "elapsed");
	Cbc_setMaximumSeconds(cbc, seconds);
	/* Stop once what is left could not be worth one vCPU. */
	Cbc_setAllowableGap(cbc, m->eps_vcpu - 0.5);
	milp_start(m, cbc);
	Cbc_solve(cbc);
	if (Cbc_bestSolution(cbc) && milp_read_solution(m, Cbc_getColSolution(cbc), &more)) {
		memcpy(out->ncells, more.ncells, sizeof(int) * (size_t)out->nvms);
		memcpy(out->nodes, more.nodes, sizeof(int) * (size_t)out->nvms * VMP_MAX_CELLS);
	}
	planner_assignment_free(&more);
	Cbc_deleteModel(cbc);
	m->from = NULL;
	return VMP_OK;
}

static int build_and_solve(model *m, planner_assignment *out, double seconds)
{
	Cbc_Model *cbc;
	double t0 = planner_now_s(), left;
	int err;

	if ((err = milp_groups(m)) < 0 || (err = milp_classes(m)) < 0)
		return err;
	if ((err = build_cols(m)) != 0 || m->ncols > MILP_MAX_COLS) {
		if (err >= 0)
			snprintf(out->note, sizeof(out->note),
				 "the exact model is too large (%s%d columns, at most %d)",
				 err > 0 ? "over " : "", m->ncols, MILP_MAX_COLS);
		return err < 0 ? VMP_ENOMEM : VMP_OK;
	}
	m->row_idx = malloc(((size_t)m->ncols + 1) * sizeof(*m->row_idx));
	m->row_val = malloc(((size_t)m->ncols + 1) * sizeof(*m->row_val));
	m->obj = malloc(((size_t)m->ncols + 1) * sizeof(*m->obj));
	m->colub = malloc(((size_t)m->ncols + 1) * sizeof(*m->colub));
	if (!m->row_idx || !m->row_val || !m->obj || !m->colub)
		return VMP_ENOMEM;
	if (m->ncols == 0) {
		/* Nothing the model covers: its bound is 0 VMs. */
		out->proven = out->has_bound = out->has_solution = true;
		out->bound = 0;
		return VMP_OK;
	}
	if (!(cbc = new_cbc(m)))
		return VMP_ENOMEM;
	solve(m, cbc, out, seconds);
	Cbc_deleteModel(cbc);
	left = seconds - (planner_now_s() - t0);
	if (out->proven && out->has_solution && out->has_bound && left > 0.02)
		return second_pass(m, out, left);
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
	free(m.group_of);
	free(m.gstart);
	free(m.gmember);
	free(m.cls_prev);
	free(m.row_idx);
	free(m.row_val);
	free(m.obj);
	free(m.colub);
	free(m.rrow);
	free(m.rcol);
	free(m.rval);
	free(m.rowlb);
	free(m.rowub);
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
