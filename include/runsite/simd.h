/* simd.h — the AVX-512 paths of the passes over every point (M4, the
 * decimated copy), taken where the CPU has AVX-512 F and DQ: asked at run
 * time, so the binary still runs on any x86-64. */
#ifndef RUNSITE_SIMD_H
#define RUNSITE_SIMD_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_M4_AVX512 1
#define AVX512_M4 __attribute__((target("avx512f,avx512dq")))
#endif

#ifdef HAVE_M4_AVX512
/* Lanes where v is below *lo (above *hi) take v and its index from idx:
 * strict comparisons, so each lane keeps its first least and greatest. */
AVX512_M4 static inline __attribute__((always_inline)) void
lanes_take(__m512d v, __m512i idx, __m512d *lo, __m512i *loi, __m512d *hi, __m512i *hii)
{
	__mmask8 m = _mm512_cmp_pd_mask(v, *lo, _CMP_LT_OQ);
	*lo = _mm512_mask_mov_pd(*lo, m, v);
	*loi = _mm512_mask_mov_epi64(*loi, m, idx);
	m = _mm512_cmp_pd_mask(v, *hi, _CMP_GT_OQ);
	*hi = _mm512_mask_mov_pd(*hi, m, v);
	*hii = _mm512_mask_mov_epi64(*hii, m, idx);
}

/* The indices j to j + 7, one a lane. */
AVX512_M4 static inline __attribute__((always_inline)) __m512i lanes_index(size_t j)
{
	return _mm512_add_epi64(_mm512_set1_epi64((long long)j), _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The 8 lanes' least and greatest values and their indices, to fold. */
struct lanes8 {
	double lo[8], hi[8];
	unsigned long long loi[8], hii[8];
};
AVX512_M4 static inline void lanes_store(struct lanes8 *l, __m512d lo, __m512i loi, __m512d hi,
                                         __m512i hii)
{
	_mm512_storeu_pd(l->lo, lo);
	_mm512_storeu_pd(l->hi, hi);
	_mm512_storeu_si512(l->loi, loi);
	_mm512_storeu_si512(l->hii, hii);
}
#endif

/* The points a column (or bucket) must go on for before the AVX512_M4
 * paths take it: they pay a setup and a fold of their lanes a column, more
 * than a short column's points cost one by one (a chart of 10k points at
 * 700 px has ~15 a column). */
#define M4_VECTOR_RUN_MIN 64

/* Sets *level to want, or to best when want is -1 or more than best (the
 * widest path this CPU has, from m4_simd_best), and returns it. */
static inline int m4_simd_pick(_Atomic int *level, int want, int best)
{
	*level = want < 0 || want > best ? best : want;
	return *level;
}

/* Whether the CPU has what the AVX512_M4 paths use. */
static inline int m4_simd_cpu(void)
{
#ifdef HAVE_M4_AVX512
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
#else
	return 0;
#endif
}

#endif
