/* Register-blocked micro-kernels of cyconv's convolution layers: a template.
 *
 * _conv_layer_simd.h includes this file once per (dtype, instruction set)
 * with these macros defined:
 *
 *   CYC_T     float or double
 *   CYC_IT    the integer type of the same width (int32_t or int64_t)
 *   CYC_SFX   name suffix, e.g. f32_avx2
 *   CYC_ATTR  function attributes, e.g. __attribute__((target("avx2,fma")))
 *   CYC_VB    bytes of one SIMD vector (16 or 32)
 *   CYC_NV    vectors per wide block of output columns (2 or 3)
 *
 * Everything here is written with GCC/clang vector extensions: the
 * accumulators are named variables, so the compiler keeps them in registers
 * (arrays of accumulators end up on the stack: 5-10x slower, measured).
 * Each lane sums its terms in the order of the source, so the result does
 * not depend on the thread count; only the two instruction sets differ
 * (fused multiply-add rounds once).
 *
 * The two kernels compute the same thing, out = sum_t k[t] * x[...], with the
 * SIMD lanes along different axes:
 *
 *   cyc_a: lanes along OUTPUT columns.  4 output channels x (NV or 1) vectors
 *          of consecutive output columns are held in registers while the
 *          kernel walks a list of taps (input offsets + 4 packed weights).
 *   cyc_b: lanes along TAP columns.  4 kernel rows x 3 shifted input rows:
 *          12 dot products of length n, summed over a list of row pairs,
 *          for outputs that are few and short (the weight gradient, whose
 *          "output" is the kernel).
 */

#define CYC_CAT2_(a, b) a##_##b
#define CYC_CAT2(a, b) CYC_CAT2_(a, b)
#define CYC_N(name) CYC_CAT2(name, CYC_SFX)

#define CYC_L ((Py_ssize_t)(CYC_VB / sizeof(CYC_T)))

typedef CYC_T CYC_N(cyc_v) __attribute__((vector_size(CYC_VB), aligned(sizeof(CYC_T)), may_alias));
typedef CYC_IT CYC_N(cyc_iv) __attribute__((vector_size(CYC_VB), aligned(sizeof(CYC_T)), may_alias));

#define V CYC_N(cyc_v)
#define IV CYC_N(cyc_iv)

/* one vector of x[p], x[p + s], ..., x[p + (L-1) s] */
static inline CYC_ATTR V CYC_N(cyc_lds)(const CYC_T* p, Py_ssize_t s)
{
    V v;
    Py_ssize_t i;
    for (i = 0; i < CYC_L; i++)
        v[i] = p[i * s];
    return v;
}

static inline CYC_ATTR void CYC_N(cyc_stv)(CYC_T* p, Py_ssize_t s, V v)
{
    Py_ssize_t i;
    if (s == 1) {
        *(V*)p = v;
    } else {
        for (i = 0; i < CYC_L; i++)
            p[i * s] = v[i];
    }
}

/* A: out[c * ocs + j * ostep] = binit[c] + sum_t kp[4 t + c] * x[base + xoff[t] + j * xstep]
 * for c < nc (<= 4) and j < nv * L (nv = CYC_NV, or 1 for a narrow block). */
static CYC_ATTR void CYC_N(cyc_a)(const CYC_T* x, Py_ssize_t base, Py_ssize_t xstep,
                                  const Py_ssize_t* xoff, const CYC_T* kp, Py_ssize_t ntaps,
                                  const CYC_T* binit, CYC_T* out, Py_ssize_t ocs,
                                  Py_ssize_t ostep, int nc, int nv)
{
    const CYC_T* xb = x + base;  /* base + xoff[t] >= 0 for every tap: the caller clips */
    const CYC_T b0 = binit[0], b1 = binit[1], b2 = binit[2], b3 = binit[3];
    Py_ssize_t t;
    if (nv == 1) {
        V a00 = b0 + (V){0}, a10 = b1 + (V){0}, a20 = b2 + (V){0}, a30 = b3 + (V){0};
        if (xstep == 1) {
            for (t = 0; t < ntaps; t++) {
                const CYC_T* xp = xb + xoff[t];
                const CYC_T* w = kp + 4 * t;
                V x0 = *(const V*)xp;
                a00 += w[0] * x0; a10 += w[1] * x0; a20 += w[2] * x0; a30 += w[3] * x0;
            }
        } else {
            for (t = 0; t < ntaps; t++) {
                const CYC_T* xp = xb + xoff[t];
                const CYC_T* w = kp + 4 * t;
                V x0 = CYC_N(cyc_lds)(xp, xstep);
                a00 += w[0] * x0; a10 += w[1] * x0; a20 += w[2] * x0; a30 += w[3] * x0;
            }
        }
        {
            V acc[4] = {a00, a10, a20, a30};
            int c;
            for (c = 0; c < nc; c++)
                CYC_N(cyc_stv)(out + c * ocs, ostep, acc[c]);
        }
        return;
    }
    {
        V a00 = b0 + (V){0}, a10 = b1 + (V){0}, a20 = b2 + (V){0}, a30 = b3 + (V){0};
        V a01 = a00, a11 = a10, a21 = a20, a31 = a30;
#if CYC_NV > 2
        V a02 = a00, a12 = a10, a22 = a20, a32 = a30;
#endif
        if (xstep == 1) {
            for (t = 0; t < ntaps; t++) {
                const CYC_T* xp = xb + xoff[t];
                const CYC_T* w = kp + 4 * t;
                const CYC_T w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
                V x0 = *(const V*)xp;
                V x1 = *(const V*)(xp + CYC_L);
#if CYC_NV > 2
                V x2 = *(const V*)(xp + 2 * CYC_L);
                a02 += w0 * x2; a12 += w1 * x2; a22 += w2 * x2; a32 += w3 * x2;
#endif
                a00 += w0 * x0; a10 += w1 * x0; a20 += w2 * x0; a30 += w3 * x0;
                a01 += w0 * x1; a11 += w1 * x1; a21 += w2 * x1; a31 += w3 * x1;
            }
        } else {
            for (t = 0; t < ntaps; t++) {
                const CYC_T* xp = xb + xoff[t];
                const CYC_T* w = kp + 4 * t;
                const CYC_T w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
                V x0 = CYC_N(cyc_lds)(xp, xstep);
                V x1 = CYC_N(cyc_lds)(xp + CYC_L * xstep, xstep);
#if CYC_NV > 2
                V x2 = CYC_N(cyc_lds)(xp + 2 * CYC_L * xstep, xstep);
                a02 += w0 * x2; a12 += w1 * x2; a22 += w2 * x2; a32 += w3 * x2;
#endif
                a00 += w0 * x0; a10 += w1 * x0; a20 += w2 * x0; a30 += w3 * x0;
                a01 += w0 * x1; a11 += w1 * x1; a21 += w2 * x1; a31 += w3 * x1;
            }
        }
        {
#if CYC_NV > 2
            V acc[4][3] = {{a00, a01, a02}, {a10, a11, a12}, {a20, a21, a22}, {a30, a31, a32}};
#else
            V acc[4][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}};
#endif
            int c, v;
            for (c = 0; c < nc; c++)
                for (v = 0; v < CYC_NV; v++)
                    CYC_N(cyc_stv)(out + c * ocs + v * CYC_L * ostep, ostep, acc[c][v]);
        }
    }
}

static inline CYC_ATTR CYC_T CYC_N(cyc_hsum)(V v)
{
    CYC_T s = v[0];
    Py_ssize_t i;
    for (i = 1; i < CYC_L; i++)
        s += v[i];
    return s;
}

/* B: res[3 c + j] = sum_{m < nrows} sum_{u < n} k[koff[m] + kc[c] + u] * x[xoff[m] + xc[j] + u * xstep]
 * (xc[j] includes the caller's base offset, so xoff[m] + xc[j] >= 0)
 * for c < 4, j < 3: 12 dot products summed over a list of row pairs, the
 * accumulators kept in registers across the rows. */
static CYC_ATTR void CYC_N(cyc_b)(const CYC_T* k, const Py_ssize_t* koff, const Py_ssize_t* kc,
                                  const CYC_T* x, const Py_ssize_t* xoff, const Py_ssize_t* xc,
                                  Py_ssize_t nrows, Py_ssize_t n, Py_ssize_t xstep, CYC_T* res)
{
    Py_ssize_t m, u;
    if (n < CYC_L) {
        int c, j;
        for (c = 0; c < 4; c++)
            for (j = 0; j < 3; j++) {
                CYC_T s = 0;
                for (m = 0; m < nrows; m++) {
                    const CYC_T* kr = k + koff[m] + kc[c];
                    const CYC_T* xr = x + xoff[m] + xc[j];
                    for (u = 0; u < n; u++)
                        s += kr[u] * xr[u * xstep];
                }
                res[3 * c + j] = s;
            }
        return;
    }
    {
        const V zero = {0};
        V s00 = zero, s01 = zero, s02 = zero, s10 = zero, s11 = zero, s12 = zero;
        V s20 = zero, s21 = zero, s22 = zero, s30 = zero, s31 = zero, s32 = zero;
        V kv0, kv1, kv2, kv3, xv0, xv1, xv2;
        IV lane, mask;
        Py_ssize_t i, rem = n % CYC_L, u0 = n - CYC_L;
        /* The last L terms of a row, overlapping the ones already summed:
         * lanes below L - rem are masked to +0 in BOTH factors, so an inf or
         * NaN already counted cannot turn into 0 * inf = NaN. */
        for (i = 0; i < CYC_L; i++)
            lane[i] = (CYC_IT)i;
        mask = lane >= (CYC_IT)(CYC_L - rem);
#define CYC_B_STEP                                                        \
        s00 += kv0 * xv0; s01 += kv0 * xv1; s02 += kv0 * xv2;             \
        s10 += kv1 * xv0; s11 += kv1 * xv1; s12 += kv1 * xv2;             \
        s20 += kv2 * xv0; s21 += kv2 * xv1; s22 += kv2 * xv2;             \
        s30 += kv3 * xv0; s31 += kv3 * xv1; s32 += kv3 * xv2;
#define CYC_B_LOADX(U)                                                    \
        if (xstep == 1) {                                                 \
            xv0 = *(const V*)(x0 + (U)); xv1 = *(const V*)(x1 + (U));     \
            xv2 = *(const V*)(x2 + (U));                                  \
        } else {                                                          \
            xv0 = CYC_N(cyc_lds)(x0 + (U) * xstep, xstep);                \
            xv1 = CYC_N(cyc_lds)(x1 + (U) * xstep, xstep);                \
            xv2 = CYC_N(cyc_lds)(x2 + (U) * xstep, xstep);                \
        }
        for (m = 0; m < nrows; m++) {
            const CYC_T *k0 = k + koff[m] + kc[0], *k1 = k + koff[m] + kc[1];
            const CYC_T *k2 = k + koff[m] + kc[2], *k3 = k + koff[m] + kc[3];
            const CYC_T *x0 = x + xoff[m] + xc[0], *x1 = x + xoff[m] + xc[1];
            const CYC_T *x2 = x + xoff[m] + xc[2];
            for (u = 0; u + CYC_L <= n; u += CYC_L) {
                /* x once, then one k vector at a time: 12 + 3 + 1 registers */
                CYC_B_LOADX(u)
                kv0 = *(const V*)(k0 + u);
                s00 += kv0 * xv0; s01 += kv0 * xv1; s02 += kv0 * xv2;
                kv1 = *(const V*)(k1 + u);
                s10 += kv1 * xv0; s11 += kv1 * xv1; s12 += kv1 * xv2;
                kv2 = *(const V*)(k2 + u);
                s20 += kv2 * xv0; s21 += kv2 * xv1; s22 += kv2 * xv2;
                kv3 = *(const V*)(k3 + u);
                s30 += kv3 * xv0; s31 += kv3 * xv1; s32 += kv3 * xv2;
            }
            if (rem) {
                kv0 = (V)(*(const IV*)(k0 + u0) & mask); kv1 = (V)(*(const IV*)(k1 + u0) & mask);
                kv2 = (V)(*(const IV*)(k2 + u0) & mask); kv3 = (V)(*(const IV*)(k3 + u0) & mask);
                CYC_B_LOADX(u0)
                xv0 = (V)((IV)xv0 & mask); xv1 = (V)((IV)xv1 & mask); xv2 = (V)((IV)xv2 & mask);
                CYC_B_STEP
            }
        }
#undef CYC_B_STEP
#undef CYC_B_LOADX
        res[0] = CYC_N(cyc_hsum)(s00); res[1] = CYC_N(cyc_hsum)(s01); res[2] = CYC_N(cyc_hsum)(s02);
        res[3] = CYC_N(cyc_hsum)(s10); res[4] = CYC_N(cyc_hsum)(s11); res[5] = CYC_N(cyc_hsum)(s12);
        res[6] = CYC_N(cyc_hsum)(s20); res[7] = CYC_N(cyc_hsum)(s21); res[8] = CYC_N(cyc_hsum)(s22);
        res[9] = CYC_N(cyc_hsum)(s30); res[10] = CYC_N(cyc_hsum)(s31); res[11] = CYC_N(cyc_hsum)(s32);
    }
}

#undef V
#undef IV
#undef CYC_L
#undef CYC_N
#undef CYC_CAT2
#undef CYC_CAT2_
