/* Register-blocked correlation micro-kernels for cyconv's direct kernels.
 *
 * out[v] = sum_{c<nc, a<na, b<kw} k[c,a,b] * x[c,a,b+v]   for v < CYCONV_BLOCK_BYTES/sizeof(T)
 *
 * Eight SIMD accumulators (64 floats or 32 doubles with AVX) stay in registers for
 * all taps: each tap costs 8 loads, 1 broadcast and 8 multiply-adds, and the
 * output is written once.  Eight independent chains hide the multiply-add
 * latency.  This is the one piece of cyconv written in C rather than Cython:
 * it needs SIMD vector types (GCC/Clang vector extensions) that Cython cannot
 * express.  Taps are summed in (c, a, b) order, as in the Cython border code,
 * so every output element sees the same operations whichever path computes
 * it and whatever the thread count.
 */
#ifndef CYCONV_SIMD_H
#define CYCONV_SIMD_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)

/* One accumulator = one register: 32 bytes where AVX is on (the AVX2 build),
   16 bytes on the baseline build (SSE2 / NEON), so that the eight
   accumulators never spill. */
#if defined(__AVX__)
#define CYCONV_VEC_BYTES 32
#else
#define CYCONV_VEC_BYTES 16
#endif
#define CYCONV_BLOCK_BYTES (8 * CYCONV_VEC_BYTES)

/* aligned(sizeof element): loads and stores may be unaligned */
typedef float cyconv_vf32 __attribute__((vector_size(CYCONV_VEC_BYTES), aligned(4)));
typedef double cyconv_vf64 __attribute__((vector_size(CYCONV_VEC_BYTES), aligned(8)));

#define CYCONV_DEFINE_BLOCK(NAME, T, V, L)                                            \
static inline void NAME(T *out, const T *x, ptrdiff_t x_row, ptrdiff_t x_plane,       \
                        const T *k, ptrdiff_t k_row, ptrdiff_t k_plane,               \
                        ptrdiff_t nc, ptrdiff_t na, ptrdiff_t kw)                     \
{                                                                                     \
    V a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0}; \
    for (ptrdiff_t c = 0; c < nc; c++) {                                              \
        for (ptrdiff_t a = 0; a < na; a++) {                                          \
            const T *xr = x + c * x_plane + a * x_row;                                \
            const T *kr = k + c * k_plane + a * k_row;                                \
            for (ptrdiff_t b = 0; b < kw; b++) {                                      \
                const T w = kr[b];                                                    \
                const T *p = xr + b;                                                  \
                a0 += w * *(const V *)(p + 0 * L);                                    \
                a1 += w * *(const V *)(p + 1 * L);                                    \
                a2 += w * *(const V *)(p + 2 * L);                                    \
                a3 += w * *(const V *)(p + 3 * L);                                    \
                a4 += w * *(const V *)(p + 4 * L);                                    \
                a5 += w * *(const V *)(p + 5 * L);                                    \
                a6 += w * *(const V *)(p + 6 * L);                                    \
                a7 += w * *(const V *)(p + 7 * L);                                    \
            }                                                                         \
        }                                                                             \
    }                                                                                 \
    *(V *)(out + 0 * L) = a0; *(V *)(out + 1 * L) = a1;                               \
    *(V *)(out + 2 * L) = a2; *(V *)(out + 3 * L) = a3;                               \
    *(V *)(out + 4 * L) = a4; *(V *)(out + 5 * L) = a5;                               \
    *(V *)(out + 6 * L) = a6; *(V *)(out + 7 * L) = a7;                               \
}

/* Narrow block (two registers) for rows too short for the wide one. */
#define CYCONV_DEFINE_NARROW(NAME, T, V, L)                                           \
static inline void NAME(T *out, const T *x, ptrdiff_t x_row, ptrdiff_t x_plane,       \
                        const T *k, ptrdiff_t k_row, ptrdiff_t k_plane,               \
                        ptrdiff_t nc, ptrdiff_t na, ptrdiff_t kw)                     \
{                                                                                     \
    V a0 = {0}, a1 = {0};                                                             \
    for (ptrdiff_t c = 0; c < nc; c++) {                                              \
        for (ptrdiff_t a = 0; a < na; a++) {                                          \
            const T *xr = x + c * x_plane + a * x_row;                                \
            const T *kr = k + c * k_plane + a * k_row;                                \
            for (ptrdiff_t b = 0; b < kw; b++) {                                      \
                const T w = kr[b];                                                    \
                a0 += w * *(const V *)(xr + b);                                       \
                a1 += w * *(const V *)(xr + b + L);                                   \
            }                                                                         \
        }                                                                             \
    }                                                                                 \
    *(V *)(out) = a0; *(V *)(out + L) = a1;                                           \
}

CYCONV_DEFINE_BLOCK(cyconv_block_f32, float, cyconv_vf32, (CYCONV_VEC_BYTES / 4))
CYCONV_DEFINE_BLOCK(cyconv_block_f64, double, cyconv_vf64, (CYCONV_VEC_BYTES / 8))
CYCONV_DEFINE_NARROW(cyconv_narrow_f32, float, cyconv_vf32, (CYCONV_VEC_BYTES / 4))
CYCONV_DEFINE_NARROW(cyconv_narrow_f64, double, cyconv_vf64, (CYCONV_VEC_BYTES / 8))
#define CYCONV_NARROW_BYTES (2 * CYCONV_VEC_BYTES)

#else

#define CYCONV_BLOCK_BYTES 256
  /* portable fallback (e.g. MSVC): plain loops the compiler may vectorise */

#define CYCONV_DEFINE_BLOCK(NAME, T, BYTES)                                           \
static inline void NAME(T *out, const T *x, ptrdiff_t x_row, ptrdiff_t x_plane,       \
                        const T *k, ptrdiff_t k_row, ptrdiff_t k_plane,               \
                        ptrdiff_t nc, ptrdiff_t na, ptrdiff_t kw)                     \
{                                                                                     \
    enum { N = BYTES / sizeof(T) };                                                   \
    T acc[BYTES / sizeof(T)] = {0};                                                   \
    for (ptrdiff_t c = 0; c < nc; c++)                                                \
        for (ptrdiff_t a = 0; a < na; a++)                                            \
            for (ptrdiff_t b = 0; b < kw; b++) {                                      \
                const T w = k[c * k_plane + a * k_row + b];                           \
                const T *p = x + c * x_plane + a * x_row + b;                         \
                for (int v = 0; v < N; v++) acc[v] += w * p[v];                       \
            }                                                                         \
    for (int v = 0; v < N; v++) out[v] = acc[v];                                      \
}

#define CYCONV_NARROW_BYTES 32
CYCONV_DEFINE_BLOCK(cyconv_block_f32, float, CYCONV_BLOCK_BYTES)
CYCONV_DEFINE_BLOCK(cyconv_block_f64, double, CYCONV_BLOCK_BYTES)
CYCONV_DEFINE_BLOCK(cyconv_narrow_f32, float, CYCONV_NARROW_BYTES)
CYCONV_DEFINE_BLOCK(cyconv_narrow_f64, double, CYCONV_NARROW_BYTES)

#endif
#endif  /* CYCONV_SIMD_H */
