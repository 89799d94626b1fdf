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
 *   CYC_LANES CYC_VB / sizeof(CYC_T), as a literal for the preprocessor
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
 *   cyc_a: lanes along OUTPUT columns.  6 output channels x 2 (or 1) vectors
 *          of consecutive output columns are held in registers while the
 *          kernel walks a list of taps (input offsets + 6 packed weights).
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
#if CYC_LANES == 8
#define CYC_EVEN_IDX 0, 2, 4, 6, 9, 11, 13, 15
#elif CYC_LANES == 4
#define CYC_EVEN_IDX 0, 2, 5, 7
#else
#define CYC_EVEN_IDX 0, 3
#endif
static inline CYC_ATTR V CYC_N(cyc_lds)(const CYC_T* p, Py_ssize_t s)
{
    V v;
    Py_ssize_t i;
    if (s == 2) {
        /* a = p[0 .. L-1], b = p[L-1 .. 2L-2]: exactly the span needed (a
         * load of p[L .. 2L-1] would read one element past it); even
         * elements of a, odd elements of b. */
        V a = *(const V*)p, b = *(const V*)(p + CYC_L - 1);
#if defined(__clang__) || __GNUC__ >= 12
        return __builtin_shufflevector(a, b, CYC_EVEN_IDX);
#else
        return __builtin_shuffle(a, b, (IV){CYC_EVEN_IDX});
#endif
    }
    for (i = 0; i < CYC_L; i++)
        v[i] = p[i * s];
    return v;
}
#undef CYC_EVEN_IDX

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

/* A: out[c * ocs + j * ostep] = binit[c] + sum_t kp[cw t + c] * x[base + xoff[t] + j * xstep]
 * for c < nc (<= cw, 6 or 4) and j < nv * L (nv = 2, or 1 for a narrow block).
 * 6 channels x 2 vectors = 12 accumulators + 2 x + 1 broadcast: 15 of the 16
 * vector registers (4 x 3 spilled with AVX2; 4 x 2 leaves the FMA latency
 * exposed: 8 chains of 4-cycle FMAs at 2 per cycle). */
#define CYC_A_TAPS1(LOADX0, CW)                                              \
    for (t = 0; t < ntaps; t++) {                                            \
        const CYC_T* xp = xb + xoff[t];                                      \
        const CYC_T* w = kp + CW * t;                                        \
        V x0 = LOADX0;                                                       \
        a00 += w[0] * x0; a10 += w[1] * x0; a20 += w[2] * x0;                \
        a30 += w[3] * x0;                                                    \
        if (CW > 4) { a40 += w[4] * x0; a50 += w[5] * x0; }                  \
    }
/* each broadcast weight feeds both vectors at once, so only one is live */
#define CYC_A_TAPS2(LOADX0, LOADX1, CW)                                      \
    for (t = 0; t < ntaps; t++) {                                            \
        const CYC_T* xp = xb + xoff[t];                                      \
        const CYC_T* w = kp + CW * t;                                        \
        V x0 = LOADX0, x1 = LOADX1;                                          \
        a00 += w[0] * x0; a01 += w[0] * x1;                                  \
        a10 += w[1] * x0; a11 += w[1] * x1;                                  \
        a20 += w[2] * x0; a21 += w[2] * x1;                                  \
        a30 += w[3] * x0; a31 += w[3] * x1;                                  \
        if (CW > 4) {                                                        \
            a40 += w[4] * x0; a41 += w[4] * x1;                              \
            a50 += w[5] * x0; a51 += w[5] * x1;                              \
        }                                                                    \
    }

#define CYC_A_STORE(O, A0, A1, A2, A3, A4, A5)                               \
    CYC_N(cyc_stv)((O), ostep, A0);                                          \
    if (nc > 1) CYC_N(cyc_stv)((O) + ocs, ostep, A1);                        \
    if (nc > 2) CYC_N(cyc_stv)((O) + 2 * ocs, ostep, A2);                    \
    if (nc > 3) CYC_N(cyc_stv)((O) + 3 * ocs, ostep, A3);                    \
    if (nc > 4) CYC_N(cyc_stv)((O) + 4 * ocs, ostep, A4);                    \
    if (nc > 5) CYC_N(cyc_stv)((O) + 5 * ocs, ostep, A5);

/* One function per variant (noinline): sharing one body made GCC spill
 * accumulators of the hot wide loop. */
#define CYC_A_VARIANT(NAME, WIDE, TAPS)                                      \
static CYC_ATTR __attribute__((noinline)) void CYC_N(NAME)(                  \
    const CYC_T* xb, Py_ssize_t xstep, const Py_ssize_t* xoff,               \
    const CYC_T* kp, Py_ssize_t ntaps, const CYC_T* binit, CYC_T* out,       \
    Py_ssize_t ocs, Py_ssize_t ostep, int nc)                                \
{                                                                            \
    const V zero = {0};                                                      \
    V a00 = binit[0] + zero, a10 = binit[1] + zero, a20 = binit[2] + zero;   \
    V a30 = binit[3] + zero, a40 = binit[4] + zero, a50 = binit[5] + zero;   \
    V a01 = a00, a11 = a10, a21 = a20, a31 = a30, a41 = a40, a51 = a50;      \
    Py_ssize_t t;                                                            \
    (void)xstep;                                                             \
    TAPS                                                                     \
    CYC_A_STORE(out, a00, a10, a20, a30, a40, a50)                           \
    if (WIDE) {                                                              \
        CYC_A_STORE(out + CYC_L * ostep, a01, a11, a21, a31, a41, a51)       \
    }                                                                        \
}
#define CYC_LDC0 *(const V*)xp
#define CYC_LDC1 *(const V*)(xp + CYC_L)
#define CYC_LDS0 CYC_N(cyc_lds)(xp, xstep)
#define CYC_LDS1 CYC_N(cyc_lds)(xp + CYC_L * xstep, xstep)
/* name: w(ide, 2 vectors) / n(arrow, 1 vector); c(ontiguous) / s(trided) x; 6 or 4 channels */
CYC_A_VARIANT(cyc_a_wc6, 1, CYC_A_TAPS2(CYC_LDC0, CYC_LDC1, 6))
CYC_A_VARIANT(cyc_a_ws6, 1, CYC_A_TAPS2(CYC_LDS0, CYC_LDS1, 6))
CYC_A_VARIANT(cyc_a_nc6, 0, CYC_A_TAPS1(CYC_LDC0, 6))
CYC_A_VARIANT(cyc_a_ns6, 0, CYC_A_TAPS1(CYC_LDS0, 6))
CYC_A_VARIANT(cyc_a_wc4, 1, CYC_A_TAPS2(CYC_LDC0, CYC_LDC1, 4))
CYC_A_VARIANT(cyc_a_ws4, 1, CYC_A_TAPS2(CYC_LDS0, CYC_LDS1, 4))
CYC_A_VARIANT(cyc_a_nc4, 0, CYC_A_TAPS1(CYC_LDC0, 4))
CYC_A_VARIANT(cyc_a_ns4, 0, CYC_A_TAPS1(CYC_LDS0, 4))
#undef CYC_LDC0
#undef CYC_LDC1
#undef CYC_LDS0
#undef CYC_LDS1

/* cw: channels packed per tap in kp (6 or 4); binit has 6 entries */
static CYC_ATTR void CYC_N(cyc_a)(const CYC_T* x, Py_ssize_t base, Py_ssize_t xstep,
                                  const Py_ssize_t* xoff, const CYC_T* kp, Py_ssize_t ntaps,
                                  const CYC_T* binit, CYC_T* out, Py_ssize_t ocs,
                                  Py_ssize_t ostep, int nc, int nv, int cw)
{
    const CYC_T* xb = x + base;  /* base + xoff[t] >= 0 for every tap: the caller clips */
#define CYC_A_CALL(F) CYC_N(F)(xb, xstep, xoff, kp, ntaps, binit, out, ocs, ostep, nc)
    if (cw == 6) {
        if (nv == 1) {
            if (xstep == 1) CYC_A_CALL(cyc_a_nc6); else CYC_A_CALL(cyc_a_ns6);
        } else {
            if (xstep == 1) CYC_A_CALL(cyc_a_wc6); else CYC_A_CALL(cyc_a_ws6);
        }
    } else {
        if (nv == 1) {
            if (xstep == 1) CYC_A_CALL(cyc_a_nc4); else CYC_A_CALL(cyc_a_ns4);
        } else {
            if (xstep == 1) CYC_A_CALL(cyc_a_wc4); else CYC_A_CALL(cyc_a_ws4);
        }
    }
#undef CYC_A_CALL
}
#undef CYC_A_TAPS1
#undef CYC_A_TAPS2
#undef CYC_A_STORE
#undef CYC_A_VARIANT


/* C: one border column, lanes along the cw (<= 6) packed channels:
 * out[c * ocs] = binit[c] + sum_{m < nrun} sum_{lo <= tx < hi} kp[cw i + c] * x[base + xoff[i]],
 * i = m kw + tx, for c < nc.  Runs m are summed in 4 interleaved chains
 * (m mod 4, named registers) to hide the FMA latency.  Reads up to 8
 * elements from kp + cw i and from binit: the caller pads both. */
#define CYC_C_TAP(A0, A1, A2, I)                                             \
    {                                                                        \
        const CYC_T xv = x[base + xoff[I]];                                  \
        const CYC_T* w = kp + cw * (I);                                      \
        A0 += xv * *(const V*)w;                                             \
        if (NVC > 1) A1 += xv * *(const V*)(w + CYC_L);                      \
        if (NVC > 2) A2 += xv * *(const V*)(w + 2 * CYC_L);                  \
    }
static CYC_ATTR void CYC_N(cyc_c)(const CYC_T* x, Py_ssize_t base, const Py_ssize_t* xoff,
                                  const CYC_T* kp, Py_ssize_t nrun, Py_ssize_t kw, Py_ssize_t lo,
                                  Py_ssize_t hi, int cw, const CYC_T* binit, CYC_T* out,
                                  Py_ssize_t ocs, int nc)
{
    enum { NVC = (6 + CYC_L - 1) / CYC_L };   /* vectors spanning 6 channels (1 to 3) */
    const V zero = {0};
    V a0 = *(const V*)binit, a1 = zero, a2 = zero, b0 = zero, b1 = zero, b2 = zero;
    V c0 = zero, c1 = zero, c2 = zero, d0 = zero, d1 = zero, d2 = zero;
    CYC_T res[3 * CYC_L] = {0};   /* NVC * L >= 6 >= nc lanes are stored below */
    Py_ssize_t m, tx, i;
    int c;
    if (NVC > 1) a1 = *(const V*)(binit + CYC_L);
    if (NVC > 2) a2 = *(const V*)(binit + 2 * CYC_L);
    for (m = 0; m + 4 <= nrun; m += 4) {
        for (tx = lo; tx < hi; tx++) {
            i = m * kw + tx;
            CYC_C_TAP(a0, a1, a2, i)
            CYC_C_TAP(b0, b1, b2, i + kw)
            CYC_C_TAP(c0, c1, c2, i + 2 * kw)
            CYC_C_TAP(d0, d1, d2, i + 3 * kw)
        }
    }
    for (; m < nrun; m++)
        for (tx = lo; tx < hi; tx++)
            CYC_C_TAP(a0, a1, a2, m * kw + tx)
    *(V*)res = (a0 + b0) + (c0 + d0);
    if (NVC > 1) *(V*)(res + CYC_L) = (a1 + b1) + (c1 + d1);
    if (NVC > 2) *(V*)(res + 2 * CYC_L) = (a2 + b2) + (c2 + d2);
    for (c = 0; c < nc; c++)
        out[c * ocs] = res[c];
}
#undef CYC_C_TAP

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
