# C-level API of cyconv's direct-correlation kernels.
#
# Every kernel computes, for C-contiguous arrays of one dtype,
#
#     out[o] = sum_t k[t] * x[o + t - pad]        (x is zero outside its shape)
#
# over all kernel taps t, where o, t and pad are index tuples.  'valid'
# correlation is pad = 0, 'full' is pad = k_shape - 1, 'same' is pad = k_shape // 2
# (or (k_shape - 1) // 2 for correlate2d).  Convolution is the same call with a
# flipped (for correlation of complex data: conjugated) kernel, prepared by
# the caller.  All functions are nogil and never raise: the caller checks
# that every size is >= 1, pad >= 0, and 1 <= ndim <= MAX_NDIM.
#
# Each output element is computed by one thread, in one fixed order of
# taps, so results are bitwise identical for any n_threads.

from libc.stdint cimport uint64_t

ctypedef float complex complex64_t
ctypedef double complex complex128_t
ctypedef long double longdouble_t
ctypedef long double complex clongdouble_t

# The dtypes the kernels compute in.  Integer and bool inputs are computed
# in uint64_t (wrap-around arithmetic, well defined in C) and cast to the
# result dtype afterwards, which gives the same values as accumulating in the
# input type with wrap-around.
ctypedef fused scalar_t:
    float
    double
    complex64_t
    complex128_t
    uint64_t
    longdouble_t     # longdouble / clongdouble: plain loops, no SIMD (scipy's
    clongdouble_t    # choose_conv_method never takes the FFT for them either)

cdef enum:
    MAX_NDIM = 32


# How x is extended outside its shape.  BORDER_ZERO clips the taps to x (the
# zero extension of scipy.signal, computed without reading outside x); the
# others read every tap through an index map (border_index in _correlate.pxi),
# with scipy.ndimage's names: CONSTANT ('constant': the value *cval),
# REFLECT ('reflect': d c b a | a b c d | d c b a, scipy.signal's 'symm'),
# MIRROR ('mirror': d c b | a b c d | c b a), NEAREST ('nearest': a a | a b c d | d d)
# and WRAP ('wrap': periodic, scipy.signal's 'wrap').
cdef enum:
    BORDER_ZERO = 0
    BORDER_CONSTANT = 1
    BORDER_REFLECT = 2
    BORDER_MIRROR = 3
    BORDER_NEAREST = 4
    BORDER_WRAP = 5


cdef struct Border:
    int mode                   # a BORDER_* code
    const void* cval           # BORDER_CONSTANT's value, of the kernel's dtype
    char* scratch              # per-thread window buffers (n_threads * scratch_bytes)
    Py_ssize_t scratch_bytes


# ---- the shared inner loops (inline, so any cimporting module inlines them) ----

ctypedef fused real_t:
    float
    double


cdef inline Py_ssize_t _min(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    return a if a < b else b


cdef inline Py_ssize_t _max(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    return a if a > b else b


cdef inline void axpy_complex(real_t* out, const real_t* x, real_t wr, real_t wi,
                              Py_ssize_t n) noexcept nogil:
    # Complex multiply-add written out on interleaved (re, im) pairs: C's
    # complex '*' would call __muldc3 for every element.
    cdef Py_ssize_t j
    cdef real_t xr, xi
    for j in range(n):
        xr = x[2 * j]
        xi = x[2 * j + 1]
        out[2 * j] += wr * xr - wi * xi
        out[2 * j + 1] += wr * xi + wi * xr


cdef inline void axpy(scalar_t* out, const scalar_t* x, scalar_t w,
                      Py_ssize_t n) noexcept nogil:
    """out[j] += w * x[j] for j < n: the one hot loop."""
    cdef Py_ssize_t j
    if scalar_t is complex64_t:
        axpy_complex(<float*>out, <const float*>x, w.real, w.imag, n)
    elif scalar_t is complex128_t:
        axpy_complex(<double*>out, <const double*>x, w.real, w.imag, n)
    else:
        for j in range(n):
            out[j] += w * x[j]


cdef extern from "_simd.h" nogil:
    # The register-blocked interior (C: it needs SIMD vector types).
    const int CYCONV_BLOCK_BYTES
    const int CYCONV_NARROW_BYTES
    const int CYCONV_TWO_ROWS_BYTES
    void cyconv_prefetch_rows(const void* x, void* out, Py_ssize_t x_row, Py_ssize_t out_row,
                              Py_ssize_t n) noexcept
    void cyconv_two_rows_f32(float* out0, float* out1, const float* x, Py_ssize_t x_row,
                             Py_ssize_t x_plane, const float* k, Py_ssize_t k_row,
                             Py_ssize_t k_plane, Py_ssize_t nc, Py_ssize_t kh,
                             Py_ssize_t kw) noexcept
    void cyconv_two_rows_f64(double* out0, double* out1, const double* x, Py_ssize_t x_row,
                             Py_ssize_t x_plane, const double* k, Py_ssize_t k_row,
                             Py_ssize_t k_plane, Py_ssize_t nc, Py_ssize_t kh,
                             Py_ssize_t kw) noexcept
    void cyconv_block_f32(float* out, const float* x, Py_ssize_t x_row, Py_ssize_t x_plane,
                          const float* k, Py_ssize_t k_row, Py_ssize_t k_plane,
                          Py_ssize_t nc, Py_ssize_t na, Py_ssize_t kw) noexcept
    void cyconv_block_f64(double* out, const double* x, Py_ssize_t x_row, Py_ssize_t x_plane,
                          const double* k, Py_ssize_t k_row, Py_ssize_t k_plane,
                          Py_ssize_t nc, Py_ssize_t na, Py_ssize_t kw) noexcept
    void cyconv_narrow_f32(float* out, const float* x, Py_ssize_t x_row, Py_ssize_t x_plane,
                           const float* k, Py_ssize_t k_row, Py_ssize_t k_plane,
                           Py_ssize_t nc, Py_ssize_t na, Py_ssize_t kw) noexcept
    void cyconv_narrow_f64(double* out, const double* x, Py_ssize_t x_row, Py_ssize_t x_plane,
                           const double* k, Py_ssize_t k_row, Py_ssize_t k_plane,
                           Py_ssize_t nc, Py_ssize_t na, Py_ssize_t kw) noexcept


cdef inline void correlate_block(real_t* out, const real_t* x, Py_ssize_t x_row,
                                 Py_ssize_t x_plane, const real_t* k, Py_ssize_t k_row,
                                 Py_ssize_t k_plane, Py_ssize_t nc, Py_ssize_t na,
                                 Py_ssize_t kw, bint narrow) noexcept nogil:
    """out[v] = sum_{c<nc, a<na, b<kw} k[c, a, b] * x[c, a, b + v], v < block width.

    The block is CYCONV_BLOCK_BYTES wide, or CYCONV_NARROW_BYTES if ``narrow``.
    """
    if real_t is float:
        if narrow:
            cyconv_narrow_f32(out, x, x_row, x_plane, k, k_row, k_plane, nc, na, kw)
        else:
            cyconv_block_f32(out, x, x_row, x_plane, k, k_row, k_plane, nc, na, kw)
    else:
        if narrow:
            cyconv_narrow_f64(out, x, x_row, x_plane, k, k_row, k_plane, nc, na, kw)
        else:
            cyconv_block_f64(out, x, x_row, x_plane, k, k_row, k_plane, nc, na, kw)


cdef inline void correlate_two_rows(real_t* out0, real_t* out1, const real_t* x,
                                    Py_ssize_t x_row, Py_ssize_t x_plane, const real_t* k,
                                    Py_ssize_t k_row, Py_ssize_t k_plane, Py_ssize_t nc,
                                    Py_ssize_t kh, Py_ssize_t kw) noexcept nogil:
    """Two output rows (x row 0 starts row 0's window), CYCONV_TWO_ROWS_BYTES wide."""
    if real_t is float:
        cyconv_two_rows_f32(out0, out1, x, x_row, x_plane, k, k_row, k_plane, nc, kh, kw)
    else:
        cyconv_two_rows_f64(out0, out1, x, x_row, x_plane, k, k_row, k_plane, nc, kh, kw)


cdef void correlate_nd(const scalar_t* x, const Py_ssize_t* x_shape,
                       const scalar_t* k, const Py_ssize_t* k_shape,
                       scalar_t* out, const Py_ssize_t* out_shape,
                       const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil
