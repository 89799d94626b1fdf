/* Micro-kernels of cyconv's convolution layers, with run-time CPU dispatch.
 *
 * Wheels are built for the baseline instruction set (SSE2 on x86-64), which
 * has no fused multiply-add and 4 float lanes; a register-blocked direct
 * convolution runs 2-3x faster with AVX2 + FMA (measured on the layer
 * benchmark).  So on x86 with GCC or clang the kernels are compiled twice,
 * once for the baseline and once with __attribute__((target("avx2,fma"))),
 * and cyc_select_isa() picks one when the module is imported (the CPU and OS
 * both have to support AVX2 and FMA).  Nothing else in the module is compiled
 * for AVX2, so importing never executes an instruction the CPU lacks.
 *
 * Compilers without GCC vector extensions (MSVC) get a portable scalar
 * version of the same functions (define CYCONV_NO_SIMD to test it).
 *
 * Interface (T = float or double, suffix f32 / f64):
 *   cyc_a_f32(x, base, xstep, xoff, kp, ntaps, binit, out, ocs, ostep, nc, nv, cw)
 *   cyc_b_f32(k, koff, kc, x, xoff, xc, nrows, n, xstep, res)
 *   cyc_c_f32(x, base, xoff, kp, nrun, kw, lo, hi, cw, binit, out, ocs, nc)
 *   cyc_lanes(is_f64): lanes of one vector; cyc_nv(): vectors per wide block
 * (see _conv_layer_micro.h for what they compute).
 */
#ifndef CYCONV_CONV_LAYER_SIMD_H
#define CYCONV_CONV_LAYER_SIMD_H

#include <stdint.h>

#if (defined(__GNUC__) || defined(__clang__)) && !defined(CYCONV_NO_SIMD)
#define CYC_VEXT 1
#else
#define CYC_VEXT 0
#endif

#if CYC_VEXT && (defined(__x86_64__) || defined(__i386__)) && !defined(CYCONV_NO_AVX2) \
    && (defined(__clang__) || __GNUC__ >= 6)
#define CYC_X86_DISPATCH 1
#else
#define CYC_X86_DISPATCH 0
#endif

#if CYC_VEXT

/* ---- baseline: 16-byte vectors (SSE2, NEON, ...), or 32 if the whole
 *      build already targets AVX (CYCONV_NATIVE=1) ---- */
#if defined(__AVX__)
#define CYC_BASE_VB 32
#else
#define CYC_BASE_VB 16
#endif

#define CYC_T float
#define CYC_IT int32_t
#define CYC_SFX f32_base
#define CYC_ATTR
#define CYC_VB CYC_BASE_VB
#define CYC_LANES (CYC_BASE_VB / 4)
#include "_conv_layer_micro.h"
#undef CYC_LANES
#undef CYC_T
#undef CYC_IT
#undef CYC_SFX
#define CYC_T double
#define CYC_IT int64_t
#define CYC_SFX f64_base
#define CYC_LANES (CYC_BASE_VB / 8)
#include "_conv_layer_micro.h"
#undef CYC_LANES
#undef CYC_T
#undef CYC_IT
#undef CYC_SFX
#undef CYC_ATTR
#undef CYC_VB

#if CYC_X86_DISPATCH
#define CYC_ATTR __attribute__((target("avx2,fma")))
#define CYC_VB 32
#define CYC_T float
#define CYC_IT int32_t
#define CYC_SFX f32_avx2
#define CYC_LANES 8
#include "_conv_layer_micro.h"
#undef CYC_LANES
#undef CYC_T
#undef CYC_IT
#undef CYC_SFX
#define CYC_T double
#define CYC_IT int64_t
#define CYC_SFX f64_avx2
#define CYC_LANES 4
#include "_conv_layer_micro.h"
#undef CYC_LANES
#undef CYC_T
#undef CYC_IT
#undef CYC_SFX
#undef CYC_ATTR
#undef CYC_VB
#endif

#else  /* !CYC_VEXT: portable scalar code with the same interface */

#define CYC_BASE_VB 16

#define CYC_SCALAR_IMPL(T, SFX)                                                          \
static void cyc_a_##SFX(const T* x, Py_ssize_t base, Py_ssize_t xstep,                   \
                        const Py_ssize_t* xoff, const T* kp, Py_ssize_t ntaps,           \
                        const T* binit, T* out, Py_ssize_t ocs, Py_ssize_t ostep,        \
                        int nc, int nv, int cw)                                          \
{                                                                                        \
    const Py_ssize_t L = (Py_ssize_t)(CYC_BASE_VB / sizeof(T));                          \
    const Py_ssize_t w = nv * L;                                                         \
    T acc[6][2 * CYC_BASE_VB / sizeof(T)];                                               \
    Py_ssize_t t, j;                                                                     \
    int c;                                                                               \
    for (c = 0; c < 6; c++)                                                              \
        for (j = 0; j < w; j++)                                                          \
            acc[c][j] = binit[c];                                                        \
    for (t = 0; t < ntaps; t++) {                                                        \
        const T* xp = x + base + xoff[t];                                                \
        for (c = 0; c < 6; c++) {                                                        \
            const T wc = c < cw ? kp[cw * t + c] : 0;                                    \
            for (j = 0; j < w; j++)                                                      \
                acc[c][j] += wc * xp[j * xstep];                                         \
        }                                                                                \
    }                                                                                    \
    for (c = 0; c < nc; c++)                                                             \
        for (j = 0; j < w; j++)                                                          \
            out[c * ocs + j * ostep] = acc[c][j];                                        \
}                                                                                        \
static void cyc_c_##SFX(const T* x, Py_ssize_t base, const Py_ssize_t* xoff, const T* kp,      \
                        Py_ssize_t nrun, Py_ssize_t kw, Py_ssize_t lo, Py_ssize_t hi, int cw,    \
                        const T* binit, T* out, Py_ssize_t ocs, int nc)                          \
{                                                                                        \
    Py_ssize_t m, tx;                                                                    \
    int c;                                                                               \
    for (c = 0; c < nc; c++) {                                                           \
        T s = binit[c];                                                                  \
        for (m = 0; m < nrun; m++)                                                       \
            for (tx = lo; tx < hi; tx++)                                                 \
                s += kp[cw * (m * kw + tx) + c] * x[base + xoff[m * kw + tx]];           \
        out[c * ocs] = s;                                                                \
    }                                                                                    \
}                                                                                        \
static void cyc_b_##SFX(const T* k, const Py_ssize_t* koff, const Py_ssize_t* kc,            \
                        const T* x, const Py_ssize_t* xoff, const Py_ssize_t* xc,            \
                        Py_ssize_t nrows, Py_ssize_t n, Py_ssize_t xstep, T* res)            \
{                                                                                        \
    Py_ssize_t m, u;                                                                     \
    int c, j;                                                                            \
    for (c = 0; c < 4; c++)                                                              \
        for (j = 0; j < 3; j++) {                                                        \
            T s = 0;                                                                     \
            for (m = 0; m < nrows; m++)                                                  \
                for (u = 0; u < n; u++)                                                  \
                    s += k[koff[m] + kc[c] + u] * x[xoff[m] + xc[j] + u * xstep];        \
            res[3 * c + j] = s;                                                          \
        }                                                                                \
}

CYC_SCALAR_IMPL(float, f32_base)
CYC_SCALAR_IMPL(double, f64_base)

#endif  /* CYC_VEXT */

/* ---- dispatch ---- */

/* 0: baseline, 1: AVX2 + FMA */
static int cyc_isa_level = 0;

static int cyc_isa_supported(int level)
{
    if (level == 0)
        return 1;
#if CYC_X86_DISPATCH
    if (level == 1) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
#endif
    return 0;
}

static int cyc_select_isa(int level)
{
    if (!cyc_isa_supported(level))
        return -1;
    cyc_isa_level = level;
    return 0;
}

static const char* cyc_isa_name(void)
{
#if !CYC_VEXT
    return "portable-scalar";
#else
    if (cyc_isa_level == 1)
        return "avx2+fma";
#if defined(__AVX__)
    return "baseline (build flags, 32-byte vectors)";
#else
    return "baseline (16-byte vectors)";
#endif
#endif
}

static Py_ssize_t cyc_lanes(int is_f64)
{
    int vb = cyc_isa_level == 1 ? 32 : CYC_BASE_VB;
    return vb / (is_f64 ? 8 : 4);
}

static int cyc_nv(void)
{
    return 2;
}

static void cyc_a_f32(const float* x, Py_ssize_t base, Py_ssize_t xstep, const Py_ssize_t* xoff,
                      const float* kp, Py_ssize_t ntaps, const float* binit, float* out,
                      Py_ssize_t ocs, Py_ssize_t ostep, int nc, int nv, int cw)
{
#if CYC_X86_DISPATCH
    if (cyc_isa_level == 1) {
        cyc_a_f32_avx2(x, base, xstep, xoff, kp, ntaps, binit, out, ocs, ostep, nc, nv, cw);
        return;
    }
#endif
    cyc_a_f32_base(x, base, xstep, xoff, kp, ntaps, binit, out, ocs, ostep, nc, nv, cw);
}

static void cyc_a_f64(const double* x, Py_ssize_t base, Py_ssize_t xstep, const Py_ssize_t* xoff,
                      const double* kp, Py_ssize_t ntaps, const double* binit, double* out,
                      Py_ssize_t ocs, Py_ssize_t ostep, int nc, int nv, int cw)
{
#if CYC_X86_DISPATCH
    if (cyc_isa_level == 1) {
        cyc_a_f64_avx2(x, base, xstep, xoff, kp, ntaps, binit, out, ocs, ostep, nc, nv, cw);
        return;
    }
#endif
    cyc_a_f64_base(x, base, xstep, xoff, kp, ntaps, binit, out, ocs, ostep, nc, nv, cw);
}

static void cyc_b_f32(const float* k, const Py_ssize_t* koff, const Py_ssize_t* kc, const float* x,
                      const Py_ssize_t* xoff, const Py_ssize_t* xc, Py_ssize_t nrows, Py_ssize_t n,
                      Py_ssize_t xstep, float* res)
{
#if CYC_X86_DISPATCH
    if (cyc_isa_level == 1) {
        cyc_b_f32_avx2(k, koff, kc, x, xoff, xc, nrows, n, xstep, res);
        return;
    }
#endif
    cyc_b_f32_base(k, koff, kc, x, xoff, xc, nrows, n, xstep, res);
}

static void cyc_b_f64(const double* k, const Py_ssize_t* koff, const Py_ssize_t* kc, const double* x,
                      const Py_ssize_t* xoff, const Py_ssize_t* xc, Py_ssize_t nrows, Py_ssize_t n,
                      Py_ssize_t xstep, double* res)
{
#if CYC_X86_DISPATCH
    if (cyc_isa_level == 1) {
        cyc_b_f64_avx2(k, koff, kc, x, xoff, xc, nrows, n, xstep, res);
        return;
    }
#endif
    cyc_b_f64_base(k, koff, kc, x, xoff, xc, nrows, n, xstep, res);
}

static void cyc_c_f32(const float* x, Py_ssize_t base, const Py_ssize_t* xoff, const float* kp,
                      Py_ssize_t nrun, Py_ssize_t kw, Py_ssize_t lo, Py_ssize_t hi, int cw,
                      const float* binit, float* out, Py_ssize_t ocs, int nc)
{
#if CYC_X86_DISPATCH
    if (cyc_isa_level == 1) {
        cyc_c_f32_avx2(x, base, xoff, kp, nrun, kw, lo, hi, cw, binit, out, ocs, nc);
        return;
    }
#endif
    cyc_c_f32_base(x, base, xoff, kp, nrun, kw, lo, hi, cw, binit, out, ocs, nc);
}

static void cyc_c_f64(const double* x, Py_ssize_t base, const Py_ssize_t* xoff, const double* kp,
                      Py_ssize_t nrun, Py_ssize_t kw, Py_ssize_t lo, Py_ssize_t hi, int cw,
                      const double* binit, double* out, Py_ssize_t ocs, int nc)
{
#if CYC_X86_DISPATCH
    if (cyc_isa_level == 1) {
        cyc_c_f64_avx2(x, base, xoff, kp, nrun, kw, lo, hi, cw, binit, out, ocs, nc);
        return;
    }
#endif
    cyc_c_f64_base(x, base, xoff, kp, nrun, kw, lo, hi, cw, binit, out, ocs, nc);
}

#endif  /* CYCONV_CONV_LAYER_SIMD_H */
