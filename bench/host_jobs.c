/* What the host bench's emulated threads do: the workloads, the light load, touching memory. */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench/host_internal.h"

#define SPIN_YIELD    2000   /* ping-pong spins before yielding (two threads on one CPU) */
#define LIGHT_BUSY_S  50e-6  /* emulator and I/O threads: busy this long ... */
#define LIGHT_SLEEP_S 950e-6 /* ... then asleep this long: 5% of a CPU */

static void sample_cpu(struct gthread *t)
{
	int cpu = sched_getcpu();

	if (cpu >= 0)
		vmp_cpuset_set(&t->seen, cpu);
}

/* The thread's affinity as the kernel has it: /proc/self/task/TID/status, Cpus_allowed_list. */
static void read_allowed(struct gthread *t)
{
	char path[64], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/status", (long)syscall(SYS_gettid));
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Cpus_allowed_list:", 18)) {
			char *v = line + 18;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			t->allowed_read = vmp_cpuset_parse(&t->allowed, v) == 0;
			break;
		}
	fclose(f);
}

static void run_c2c(struct gthread *t)
{
	struct emulation *e = t->e;
	uint64_t k = 0;
	double t0;

	if (t->pp_role == 2) {
		engine_pp_answer(t->pp, ENGINE_PP_FOREVER, SPIN_YIELD);
		sample_cpu(t);
		return;
	}
	t0 = engine_now_s();
	for (;;) {
		engine_pp_ping(t->pp, &k, 64, SPIN_YIELD);
		sample_cpu(t);
		if (engine_now_s() >= e->deadline)
			break;
	}
	/* One way is half a round trip. */
	t->value = (engine_now_s() - t0) * 1e9 / (double)k / 2;
	t->has_value = true;
	engine_pp_quit(t->pp);
}

static void run_stream(struct gthread *t)
{
	double bytes = 0, t0 = engine_now_s(), t1;

	do {
		t->e->triad(t->a, t->b, t->c, 3.0, t->elems);
		bytes += 24.0 * (double)t->elems; /* STREAM's count: 2 read, 1 written */
		sample_cpu(t);
	} while ((t1 = engine_now_s()) < t->e->deadline);
	t->value = bytes / (t1 - t0) / 1e9;
	t->has_value = true;
}

static void run_latency(struct gthread *t)
{
	size_t steps = 0;
	double t0 = engine_now_s(), t1;

	do {
		t->chase_at = t->e->chase(t->chase_at, 4096);
		steps += 4096;
		sample_cpu(t);
	} while ((t1 = engine_now_s()) < t->e->deadline);
	t->value = (t1 - t0) * 1e9 / (double)steps;
	t->has_value = true;
}

static void run_compute(struct gthread *t)
{
	uint64_t x = (uint64_t)t->index * 2654435761u + 1, ops = 0;
	double t0 = engine_now_s(), t1;

	do {
		x = engine_compute(x, 1u << 14);
		ops += 1u << 14;
		sample_cpu(t);
	} while ((t1 = engine_now_s()) < t->e->deadline);
	t->sink += (double)(x & 1);
	t->value = (double)ops / (t1 - t0);
	t->has_value = true;
}

/* Emulator and I/O threads: a light load of their own while the guests work. */
static void run_light(struct gthread *t)
{
	struct timespec nap = {0, (long)(LIGHT_SLEEP_S * 1e9)};
	uint64_t x = 1;

	do {
		double until = engine_now_s() + LIGHT_BUSY_S;

		while (engine_now_s() < until)
			x = engine_compute(x, 64);
		sample_cpu(t);
		nanosleep(&nap, NULL);
	} while (engine_now_s() < t->e->deadline);
	t->sink += (double)(x & 1);
}

static void touch(struct gthread *t)
{
	read_allowed(t);
	if (t->a)
		memset(t->a, 0, t->share_bytes);
	sample_cpu(t);
}

static void prepare(struct gthread *t)
{
	struct emulation *e = t->e;
	bool chase = e->workload == VMP_BENCH_LATENCY || e->workload == VMP_BENCH_NOISY;

	sample_cpu(t);
	if (!t->a)
		return;
	if (t->kind == T_ANTAGONIST || (t->kind == T_VCPU && e->workload == VMP_BENCH_STREAM)) {
		for (size_t i = 0; i < t->elems; i++) {
			t->b[i] = 1.0;
			t->c[i] = 2.0;
		}
	} else if (t->kind == T_VCPU && chase) {
		size_t lines = t->share_bytes / ENGINE_LINE_BYTES;

		engine_chase_init(t->a, lines,
				  UINT64_C(0x766d706c616e) ^ ((uint64_t)t->vm << 20) ^
				      (uint64_t)t->index);
		t->chase_at = t->a;
		/* Warm the page tables as a long-running guest has them. */
		t->chase_at = e->chase(t->chase_at, lines < 8 ? 8 : lines / 8 * 8);
	}
}

static void run_workload(struct gthread *t)
{
	struct emulation *e = t->e;

	t->has_value = false;
	if (t->kind == T_EMULATOR || t->kind == T_IOTHREAD) {
		run_light(t);
		return;
	}
	if (t->kind == T_ANTAGONIST) {
		if (e->workload == VMP_BENCH_NOISY)
			run_stream(t);
		return;
	}
	switch (e->workload) {
	case VMP_BENCH_STREAM:
		run_stream(t);
		break;
	case VMP_BENCH_LATENCY:
	case VMP_BENCH_NOISY:
		run_latency(t);
		break;
	case VMP_BENCH_C2C:
		if (t->pp_role)
			run_c2c(t);
		break;
	case VMP_BENCH_COMPUTE:
		run_compute(t);
		break;
	default:
		break;
	}
}

void host_thread_job(engine_worker *w, int job)
{
	struct gthread *t = w->self;

	switch (job) {
	case JOB_TOUCH:
		touch(t);
		break;
	case JOB_PREPARE:
		prepare(t);
		break;
	case JOB_RUN:
		run_workload(t);
		break;
	default:
		sample_cpu(t);
		break;
	}
}
