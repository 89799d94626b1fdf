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

/* Prefetch n bytes of two input rows (x, x + x_row) for reading and of two
   output rows (out, out + out_row) for writing, with strides in bytes.  Not
   inlined: inside the caller's loop it changed GCC's inlining of the
   micro-kernels and cost 2-20 % where no prefetch was asked for. */
__attribute__((noinline, unused)) static void cyconv_prefetch_rows(
    const void *x, void *out, ptrdiff_t x_row, ptrdiff_t out_row, ptrdiff_t n)
{
    for (ptrdiff_t i = 0; i < n; i += 64) {
        __builtin_prefetch((const char *)x + i, 0, 3);
        __builtin_prefetch((const char *)x + x_row + i, 0, 3);
        __builtin_prefetch((char *)out + i, 1, 3);
        __builtin_prefetch((char *)out + out_row + i, 1, 3);
    }
    __asm__ volatile("" ::: "memory");  /* else GCC finds no effect and drops the call */
}

/* One accumulator = one register: 64 bytes where AVX-512 is on (the AVX-512
   build), 32 where AVX is (the AVX2 build), 16 on the baseline build (SSE2 /
   NEON), so that the eight accumulators never spill. */
#if defined(__AVX512F__)
#define CYCONV_VEC_BYTES 64
#elif defined(__AVX__)
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

/* An empty asm that makes the compiler hold a loaded vector in a register;
   without it GCC folds the load into both multiply-adds and loads it twice,
   which is exactly the load traffic the two-row block exists to halve. */
#if defined(__x86_64__) || defined(__i386__)
#define CYCONV_IN_REGISTER(v) __asm__("" : "+x"(v))
#elif defined(__aarch64__)
#define CYCONV_IN_REGISTER(v) __asm__("" : "+w"(v))
#else
#define CYCONV_IN_REGISTER(v) ((void)0)
#endif

/* Two output rows at once (rows i and i+1 of one plane, every kernel row
   inside x), four registers each: every input row loaded serves both output
   rows, so a tap costs 0.75 loads per multiply-add instead of 1.1.  Each
   output still sums its taps in (c, a, b) order. */
#define CYCONV_DEFINE_TWO_ROWS(NAME, T, V, L)                                         \
static inline void NAME(T *out0, T *out1, const T *x, ptrdiff_t x_row,                \
                        ptrdiff_t x_plane, const T *k, ptrdiff_t k_row,               \
                        ptrdiff_t k_plane, ptrdiff_t nc, ptrdiff_t kh, ptrdiff_t kw)  \
{                                                                                     \
    V p0 = {0}, p1 = {0}, p2 = {0}, p3 = {0}, q0 = {0}, q1 = {0}, q2 = {0}, q3 = {0}; \
    for (ptrdiff_t c = 0; c < nc; c++) {                                              \
        const T *xc = x + c * x_plane, *kc = k + c * k_plane;                         \
        for (ptrdiff_t r = 0; r <= kh; r++) {                                         \
            const T *xr = xc + r * x_row;                                             \
            const T *k0 = kc + r * k_row, *k1 = kc + (r - 1) * k_row;                 \
            if (r == 0) {             /* only row i uses input row 0 */               \
                for (ptrdiff_t b = 0; b < kw; b++) {                                  \
                    const T w0 = k0[b], *p = xr + b;                                  \
                    p0 += w0 * *(const V *)(p);     p1 += w0 * *(const V *)(p + L);   \
                    p2 += w0 * *(const V *)(p + 2 * L); p3 += w0 * *(const V *)(p + 3 * L); \
                }                                                                     \
            } else if (r == kh) {     /* only row i+1 uses input row kh */            \
                for (ptrdiff_t b = 0; b < kw; b++) {                                  \
                    const T w1 = k1[b], *p = xr + b;                                  \
                    q0 += w1 * *(const V *)(p);     q1 += w1 * *(const V *)(p + L);   \
                    q2 += w1 * *(const V *)(p + 2 * L); q3 += w1 * *(const V *)(p + 3 * L); \
                }                                                                     \
            } else {                                                                  \
                for (ptrdiff_t b = 0; b < kw; b++) {                                  \
                    const T w0 = k0[b], w1 = k1[b], *p = xr + b;                      \
                    V v0 = *(const V *)(p), v1 = *(const V *)(p + L);                 \
                    V v2 = *(const V *)(p + 2 * L), v3 = *(const V *)(p + 3 * L);     \
                    CYCONV_IN_REGISTER(v0); CYCONV_IN_REGISTER(v1);                   \
                    CYCONV_IN_REGISTER(v2); CYCONV_IN_REGISTER(v3);                   \
                    p0 += w0 * v0; p1 += w0 * v1; p2 += w0 * v2; p3 += w0 * v3;       \
                    q0 += w1 * v0; q1 += w1 * v1; q2 += w1 * v2; q3 += w1 * v3;       \
                }                                                                     \
            }                                                                         \
        }                                                                             \
    }                                                                                 \
    *(V *)(out0) = p0; *(V *)(out0 + L) = p1; *(V *)(out0 + 2 * L) = p2; *(V *)(out0 + 3 * L) = p3; \
    *(V *)(out1) = q0; *(V *)(out1 + L) = q1; *(V *)(out1 + 2 * L) = q2; *(V *)(out1 + 3 * L) = q3; \
}

CYCONV_DEFINE_BLOCK(cyconv_block_f32, float, cyconv_vf32, (CYCONV_VEC_BYTES / 4))
CYCONV_DEFINE_BLOCK(cyconv_block_f64, double, cyconv_vf64, (CYCONV_VEC_BYTES / 8))
CYCONV_DEFINE_TWO_ROWS(cyconv_two_rows_f32, float, cyconv_vf32, (CYCONV_VEC_BYTES / 4))
CYCONV_DEFINE_TWO_ROWS(cyconv_two_rows_f64, double, cyconv_vf64, (CYCONV_VEC_BYTES / 8))
#define CYCONV_TWO_ROWS_BYTES (4 * CYCONV_VEC_BYTES)
CYCONV_DEFINE_NARROW(cyconv_narrow_f32, float, cyconv_vf32, (CYCONV_VEC_BYTES / 4))
CYCONV_DEFINE_NARROW(cyconv_narrow_f64, double, cyconv_vf64, (CYCONV_VEC_BYTES / 8))
#define CYCONV_NARROW_BYTES (2 * CYCONV_VEC_BYTES)

#else

#define CYCONV_BLOCK_BYTES 256
  /* portable fallback (e.g. MSVC): plain loops the compiler may vectorise */

static void cyconv_prefetch_rows(const void *x, void *out, ptrdiff_t x_row,
                                 ptrdiff_t out_row, ptrdiff_t n)
{
    (void)x; (void)out; (void)x_row; (void)out_row; (void)n;
}

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
#define CYCONV_TWO_ROWS_BYTES 128
#define CYCONV_DEFINE_TWO_ROWS(NAME, T)                                               \
static inline void NAME(T *out0, T *out1, const T *x, ptrdiff_t x_row,                \
                        ptrdiff_t x_plane, const T *k, ptrdiff_t k_row,               \
                        ptrdiff_t k_plane, ptrdiff_t nc, ptrdiff_t kh, ptrdiff_t kw)  \
{                                                                                     \
    NAME##_one(out0, x, x_row, x_plane, k, k_row, k_plane, nc, kh, kw);               \
    NAME##_one(out1, x + x_row, x_row, x_plane, k, k_row, k_plane, nc, kh, kw);       \
}
CYCONV_DEFINE_BLOCK(cyconv_two_rows_f32_one, float, CYCONV_TWO_ROWS_BYTES)
CYCONV_DEFINE_BLOCK(cyconv_two_rows_f64_one, double, CYCONV_TWO_ROWS_BYTES)
CYCONV_DEFINE_TWO_ROWS(cyconv_two_rows_f32, float)
CYCONV_DEFINE_TWO_ROWS(cyconv_two_rows_f64, double)
CYCONV_DEFINE_BLOCK(cyconv_block_f32, float, CYCONV_BLOCK_BYTES)
CYCONV_DEFINE_BLOCK(cyconv_block_f64, double, CYCONV_BLOCK_BYTES)
CYCONV_DEFINE_BLOCK(cyconv_narrow_f32, float, CYCONV_NARROW_BYTES)
CYCONV_DEFINE_BLOCK(cyconv_narrow_f64, double, CYCONV_NARROW_BYTES)

#endif
#endif  /* CYCONV_SIMD_H */
