/* The measurement engine's kernels: bandwidth per ISA, the pointer chase, the compute op. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ENGINE_X86 1
#endif

#include "probes/engine.h"

/*
 * The kernels. n is a multiple of ENGINE_UNIT_DOUBLES and the arrays are aligned
 * to 2 MiB. The read kernels keep eight independent sums so that the adds
 * never wait on each other; the loads are what is measured.
 */
static double read_generic(const double *p, size_t n)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;

	for (size_t i = 0; i < n; i += 4) {
		s0 += p[i];
		s1 += p[i + 1];
		s2 += p[i + 2];
		s3 += p[i + 3];
	}
	return s0 + s1 + s2 + s3;
}

static void triad_generic(double *a, const double *b, const double *c, double s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] = b[i] + s * c[i];
}

#ifdef ENGINE_X86
static double read_sse2(const double *p, size_t n)
{
	__m128d s0 = _mm_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0,
		s7 = s0;
	double out[2];

	for (size_t i = 0; i < n; i += 16) {
		s0 = _mm_add_pd(s0, _mm_load_pd(p + i));
		s1 = _mm_add_pd(s1, _mm_load_pd(p + i + 2));
		s2 = _mm_add_pd(s2, _mm_load_pd(p + i + 4));
		s3 = _mm_add_pd(s3, _mm_load_pd(p + i + 6));
		s4 = _mm_add_pd(s4, _mm_load_pd(p + i + 8));
		s5 = _mm_add_pd(s5, _mm_load_pd(p + i + 10));
		s6 = _mm_add_pd(s6, _mm_load_pd(p + i + 12));
		s7 = _mm_add_pd(s7, _mm_load_pd(p + i + 14));
	}
	s0 = _mm_add_pd(_mm_add_pd(_mm_add_pd(s0, s1), _mm_add_pd(s2, s3)),
			_mm_add_pd(_mm_add_pd(s4, s5), _mm_add_pd(s6, s7)));
	_mm_storeu_pd(out, s0);
	return out[0] + out[1];
}

static void triad_sse2(double *a, const double *b, const double *c, double s, size_t n)
{
	__m128d vs = _mm_set1_pd(s);

	for (size_t i = 0; i < n; i += 8) {
		_mm_stream_pd(a + i,
			      _mm_add_pd(_mm_load_pd(b + i), _mm_mul_pd(vs, _mm_load_pd(c + i))));
		_mm_stream_pd(a + i + 2, _mm_add_pd(_mm_load_pd(b + i + 2),
						    _mm_mul_pd(vs, _mm_load_pd(c + i + 2))));
		_mm_stream_pd(a + i + 4, _mm_add_pd(_mm_load_pd(b + i + 4),
						    _mm_mul_pd(vs, _mm_load_pd(c + i + 4))));
		_mm_stream_pd(a + i + 6, _mm_add_pd(_mm_load_pd(b + i + 6),
						    _mm_mul_pd(vs, _mm_load_pd(c + i + 6))));
	}
	/* Non-temporal stores are weakly ordered: drain them before the clock stops. */
	_mm_sfence();
}

__attribute__((target("avx"))) static double read_avx(const double *p, size_t n)
{
	__m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0,
		s7 = s0;
	double out[4];

	for (size_t i = 0; i < n; i += 32) {
		s0 = _mm256_add_pd(s0, _mm256_load_pd(p + i));
		s1 = _mm256_add_pd(s1, _mm256_load_pd(p + i + 4));
		s2 = _mm256_add_pd(s2, _mm256_load_pd(p + i + 8));
		s3 = _mm256_add_pd(s3, _mm256_load_pd(p + i + 12));
		s4 = _mm256_add_pd(s4, _mm256_load_pd(p + i + 16));
		s5 = _mm256_add_pd(s5, _mm256_load_pd(p + i + 20));
		s6 = _mm256_add_pd(s6, _mm256_load_pd(p + i + 24));
		s7 = _mm256_add_pd(s7, _mm256_load_pd(p + i + 28));
	}
	s0 = _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)),
			   _mm256_add_pd(_mm256_add_pd(s4, s5), _mm256_add_pd(s6, s7)));
	_mm256_storeu_pd(out, s0);
	return out[0] + out[1] + out[2] + out[3];
}

__attribute__((target("avx"))) static void triad_avx(double *a, const double *b, const double *c,
						     double s, size_t n)
{
	__m256d vs = _mm256_set1_pd(s);

	for (size_t i = 0; i < n; i += 16) {
		_mm256_stream_pd(a + i, _mm256_add_pd(_mm256_load_pd(b + i),
						      _mm256_mul_pd(vs, _mm256_load_pd(c + i))));
		_mm256_stream_pd(a + i + 4,
				 _mm256_add_pd(_mm256_load_pd(b + i + 4),
					       _mm256_mul_pd(vs, _mm256_load_pd(c + i + 4))));
		_mm256_stream_pd(a + i + 8,
				 _mm256_add_pd(_mm256_load_pd(b + i + 8),
					       _mm256_mul_pd(vs, _mm256_load_pd(c + i + 8))));
		_mm256_stream_pd(a + i + 12,
				 _mm256_add_pd(_mm256_load_pd(b + i + 12),
					       _mm256_mul_pd(vs, _mm256_load_pd(c + i + 12))));
	}
	_mm_sfence();
}

__attribute__((target("avx512f"))) static double read_avx512(const double *p, size_t n)
{
	__m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0,
		s7 = s0;

	for (size_t i = 0; i < n; i += 64) {
		s0 = _mm512_add_pd(s0, _mm512_load_pd(p + i));
		s1 = _mm512_add_pd(s1, _mm512_load_pd(p + i + 8));
		s2 = _mm512_add_pd(s2, _mm512_load_pd(p + i + 16));
		s3 = _mm512_add_pd(s3, _mm512_load_pd(p + i + 24));
		s4 = _mm512_add_pd(s4, _mm512_load_pd(p + i + 32));
		s5 = _mm512_add_pd(s5, _mm512_load_pd(p + i + 40));
		s6 = _mm512_add_pd(s6, _mm512_load_pd(p + i + 48));
		s7 = _mm512_add_pd(s7, _mm512_load_pd(p + i + 56));
	}
	s0 = _mm512_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)),
			   _mm512_add_pd(_mm512_add_pd(s4, s5), _mm512_add_pd(s6, s7)));
	return _mm512_reduce_add_pd(s0);
}

__attribute__((target("avx512f"))) static void triad_avx512(double *a, const double *b,
							    const double *c, double s, size_t n)
{
	__m512d vs = _mm512_set1_pd(s);

	for (size_t i = 0; i < n; i += 32) {
		_mm512_stream_pd(a + i, _mm512_add_pd(_mm512_load_pd(b + i),
						      _mm512_mul_pd(vs, _mm512_load_pd(c + i))));
		_mm512_stream_pd(a + i + 8,
				 _mm512_add_pd(_mm512_load_pd(b + i + 8),
					       _mm512_mul_pd(vs, _mm512_load_pd(c + i + 8))));
		_mm512_stream_pd(a + i + 16,
				 _mm512_add_pd(_mm512_load_pd(b + i + 16),
					       _mm512_mul_pd(vs, _mm512_load_pd(c + i + 16))));
		_mm512_stream_pd(a + i + 24,
				 _mm512_add_pd(_mm512_load_pd(b + i + 24),
					       _mm512_mul_pd(vs, _mm512_load_pd(c + i + 24))));
	}
	_mm_sfence();
}
#endif

const char *engine_isa_name(engine_isa isa)
{
	switch (isa) {
	case ENGINE_ISA_AUTO:
		return "auto";
	case ENGINE_ISA_SSE2:
		return "sse2";
	case ENGINE_ISA_AVX:
		return "avx";
	case ENGINE_ISA_AVX512:
		return "avx512";
	case ENGINE_ISA_GENERIC:
		return "generic";
	}
	return "unknown";
}

static bool isa_supported(engine_isa isa)
{
#ifdef ENGINE_X86
	__builtin_cpu_init();
	switch (isa) {
	case ENGINE_ISA_AVX512:
		return __builtin_cpu_supports("avx512f");
	case ENGINE_ISA_AVX:
		return __builtin_cpu_supports("avx");
	case ENGINE_ISA_SSE2:
		return __builtin_cpu_supports("sse2");
	default:
		return isa == ENGINE_ISA_GENERIC;
	}
#else
	return isa == ENGINE_ISA_GENERIC;
#endif
}

int engine_kernels(engine_isa *isa, engine_read_fn *rd, engine_triad_fn *tr)
{
	if (*isa == ENGINE_ISA_AUTO) {
		static const engine_isa order[] = {ENGINE_ISA_AVX512, ENGINE_ISA_AVX,
						   ENGINE_ISA_SSE2};

		*isa = ENGINE_ISA_GENERIC;
		for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
			if (isa_supported(order[k])) {
				*isa = order[k];
				break;
			}
	} else if (!isa_supported(*isa)) {
		engine_fail("cannot measure with '%s' kernels: this CPU does not have them",
			    engine_isa_name(*isa));
		return -ENOTSUP;
	}
	*rd = read_generic;
	*tr = triad_generic;
#ifdef ENGINE_X86
	switch (*isa) {
	case ENGINE_ISA_AVX512:
		*rd = read_avx512;
		*tr = triad_avx512;
		break;
	case ENGINE_ISA_AVX:
		*rd = read_avx;
		*tr = triad_avx;
		break;
	case ENGINE_ISA_SSE2:
		*rd = read_sse2;
		*tr = triad_sse2;
		break;
	default:
		break;
	}
#endif
	return 0;
}

/* Follow the chase for steps loads, each waiting on the one before. */
__attribute__((noinline)) void *engine_chase(void *start, size_t steps)
{
	void **p = start;

	for (size_t k = 0; k < steps; k += 8) {
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
		p = (void **)*p;
	}
	return p;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A number in [0, n); the bias of the multiply-shift is below 2^-32 for the sizes used here. */
static size_t below(uint64_t *state, size_t n)
{
#ifdef __SIZEOF_INT128__
	return (size_t)(((unsigned __int128)splitmix64(state) * n) >> 64);
#else
	return (size_t)(splitmix64(state) % n);
#endif
}

void engine_chase_init(void *buf, size_t nlines, uint64_t seed)
{
	char *base = buf;
	uint64_t state = seed;

	if (nlines == 0)
		return;
	for (size_t i = 0; i < nlines; i++)
		*(void **)(base + i * ENGINE_LINE_BYTES) = base + i * ENGINE_LINE_BYTES;
	/* Sattolo: j < i strictly, so the permutation is one cycle, not any permutation. */
	for (size_t i = nlines - 1; i > 0; i--) {
		void **x = (void **)(base + i * ENGINE_LINE_BYTES);
		void **y = (void **)(base + below(&state, i) * ENGINE_LINE_BYTES);
		void *t = *x;

		*x = *y;
		*y = t;
	}
}

uint64_t engine_compute(uint64_t x, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		x *= UINT64_C(0x2545f4914f6cdd1d);
	}
	return x;
}
