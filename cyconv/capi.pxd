# cyconv's public C-level API: direct correlation kernels for other Cython code.
#
#     from cyconv.capi cimport correlate_2d_f64, CYCONV_OK
#
# Every function computes, without the GIL and without touching Python,
#
#     out[o] = sum_t k[t] * x[o + t - pad]        (x is zero outside its shape)
#
# for every output index tuple o and kernel tap t.  The kernel is NOT
# conjugated and NOT flipped:
#   * 'valid' correlation: pad = 0,           out = x - k + 1 on each axis
#   * 'full'  correlation: pad = k - 1,       out = x + k - 1
#   * 'same'  correlation: pad = k // 2,      out = x     (scipy.signal.correlate)
#     ((k - 1) // 2 reproduces scipy.signal.correlate2d's centring)
#   * complex correlation as scipy defines it: pass conj(k).
#   * convolution: pass the kernel flipped on every axis (for example a
#     pointer to its last element with negative strides in correlate_nd_*);
#     the pads above then give scipy.signal.convolve's full/valid/same.
# Any out shape >= 1 and any pad >= 0 are valid: outputs whose window misses
# x entirely are 0.
#
# Layout.  Sizes, strides and leading dimensions are counted in ELEMENTS.
#   correlate_1d_*: x, k and out contiguous.
#   correlate_2d_*: row-major with a leading dimension (row stride) each,
#                   ld >= width; the columns are contiguous.
#   correlate_3d_*: plane stride ps and row stride rs each; columns contiguous.
#   correlate_nd_*: any strides (NULL = C-contiguous), negative ones included.
# x is read in place (no copy) when its columns are contiguous, every stride
# is a multiple of the next one, and the output never reaches past x's
# extent on an axis that has gaps after it -- the common "window of a bigger
# image, valid mode" case.  Otherwise x is packed into a temporary buffer;
# k and out are packed/unpacked the same way when they are not C-contiguous.
# out must not overlap x or k.
#
# Threads.  n_threads >= 1 caps the OpenMP team; 0 means
# omp_get_max_threads() at call time (follows OMP_NUM_THREADS and
# threadpoolctl).  As in cyconv.correlate, small problems run on the calling
# thread (below 2**17 multiply-adds, outputs x taps) and larger ones get at
# most one thread per 2**15 multiply-adds.  A call from inside a parallel
# region runs on the calling thread unless nested parallelism is enabled.
# The C-level API does not take part in cyconv's process-wide thread budget:
# pass n_threads=1 when you parallelise yourself.  Results are bitwise
# identical for any n_threads; every function is thread-safe.
#
# Errors.  The functions never raise and never print; they return
# CYCONV_OK (0), CYCONV_EINVAL (-1: a NULL pointer, a size < 1, a negative
# pad, ld < width, ndim outside 1..CYCONV_MAX_NDIM, n_threads < 0; nothing
# is written) or CYCONV_ENOMEM (-2: a temporary buffer could not be
# allocated; nothing is written).

ctypedef float complex complex64_t
ctypedef double complex complex128_t

cdef enum:
    CYCONV_OK = 0
    CYCONV_EINVAL = -1
    CYCONV_ENOMEM = -2
    CYCONV_MAX_NDIM = 31
    # Bumped when a signature changes; checked by `cyconv.capi.API_VERSION`.
    CYCONV_CAPI_VERSION = 1


# ---- 1-D: contiguous vectors ------------------------------------------------

cdef int correlate_1d_f32(const float* x, Py_ssize_t nx,
                          const float* k, Py_ssize_t nk,
                          float* out, Py_ssize_t nout,
                          Py_ssize_t pad, int n_threads) noexcept nogil
cdef int correlate_1d_f64(const double* x, Py_ssize_t nx,
                          const double* k, Py_ssize_t nk,
                          double* out, Py_ssize_t nout,
                          Py_ssize_t pad, int n_threads) noexcept nogil
cdef int correlate_1d_c64(const complex64_t* x, Py_ssize_t nx,
                          const complex64_t* k, Py_ssize_t nk,
                          complex64_t* out, Py_ssize_t nout,
                          Py_ssize_t pad, int n_threads) noexcept nogil
cdef int correlate_1d_c128(const complex128_t* x, Py_ssize_t nx,
                           const complex128_t* k, Py_ssize_t nk,
                           complex128_t* out, Py_ssize_t nout,
                           Py_ssize_t pad, int n_threads) noexcept nogil

# ---- 2-D: (h, w) row-major, leading dimension ld per array ------------------

cdef int correlate_2d_f32(const float* x, Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t ldx,
                          const float* k, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ldk,
                          float* out, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t ldo,
                          Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads) noexcept nogil
cdef int correlate_2d_f64(const double* x, Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t ldx,
                          const double* k, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ldk,
                          double* out, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t ldo,
                          Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads) noexcept nogil
cdef int correlate_2d_c64(const complex64_t* x, Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t ldx,
                          const complex64_t* k, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ldk,
                          complex64_t* out, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t ldo,
                          Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads) noexcept nogil
cdef int correlate_2d_c128(const complex128_t* x, Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t ldx,
                           const complex128_t* k, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ldk,
                           complex128_t* out, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t ldo,
                           Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads) noexcept nogil

# ---- 3-D: (d, h, w), plane stride ps and row stride rs per array ------------

cdef int correlate_3d_f32(const float* x, Py_ssize_t xd, Py_ssize_t xh, Py_ssize_t xw,
                          Py_ssize_t x_ps, Py_ssize_t x_rs,
                          const float* k, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
                          Py_ssize_t k_ps, Py_ssize_t k_rs,
                          float* out, Py_ssize_t od, Py_ssize_t oh, Py_ssize_t ow,
                          Py_ssize_t o_ps, Py_ssize_t o_rs,
                          Py_ssize_t pad_d, Py_ssize_t pad_h, Py_ssize_t pad_w,
                          int n_threads) noexcept nogil
cdef int correlate_3d_f64(const double* x, Py_ssize_t xd, Py_ssize_t xh, Py_ssize_t xw,
                          Py_ssize_t x_ps, Py_ssize_t x_rs,
                          const double* k, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
                          Py_ssize_t k_ps, Py_ssize_t k_rs,
                          double* out, Py_ssize_t od, Py_ssize_t oh, Py_ssize_t ow,
                          Py_ssize_t o_ps, Py_ssize_t o_rs,
                          Py_ssize_t pad_d, Py_ssize_t pad_h, Py_ssize_t pad_w,
                          int n_threads) noexcept nogil
cdef int correlate_3d_c64(const complex64_t* x, Py_ssize_t xd, Py_ssize_t xh, Py_ssize_t xw,
                          Py_ssize_t x_ps, Py_ssize_t x_rs,
                          const complex64_t* k, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
                          Py_ssize_t k_ps, Py_ssize_t k_rs,
                          complex64_t* out, Py_ssize_t od, Py_ssize_t oh, Py_ssize_t ow,
                          Py_ssize_t o_ps, Py_ssize_t o_rs,
                          Py_ssize_t pad_d, Py_ssize_t pad_h, Py_ssize_t pad_w,
                          int n_threads) noexcept nogil
cdef int correlate_3d_c128(const complex128_t* x, Py_ssize_t xd, Py_ssize_t xh, Py_ssize_t xw,
                           Py_ssize_t x_ps, Py_ssize_t x_rs,
                           const complex128_t* k, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
                           Py_ssize_t k_ps, Py_ssize_t k_rs,
                           complex128_t* out, Py_ssize_t od, Py_ssize_t oh, Py_ssize_t ow,
                           Py_ssize_t o_ps, Py_ssize_t o_rs,
                           Py_ssize_t pad_d, Py_ssize_t pad_h, Py_ssize_t pad_w,
                           int n_threads) noexcept nogil

# ---- N-d (1 <= ndim <= CYCONV_MAX_NDIM): shape/stride arrays of ndim entries --
# *_strides may be NULL (C-contiguous); pad has ndim entries.

cdef int correlate_nd_f32(const float* x, const Py_ssize_t* x_shape, const Py_ssize_t* x_strides,
                          const float* k, const Py_ssize_t* k_shape, const Py_ssize_t* k_strides,
                          float* out, const Py_ssize_t* out_shape, const Py_ssize_t* out_strides,
                          const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil
cdef int correlate_nd_f64(const double* x, const Py_ssize_t* x_shape, const Py_ssize_t* x_strides,
                          const double* k, const Py_ssize_t* k_shape, const Py_ssize_t* k_strides,
                          double* out, const Py_ssize_t* out_shape, const Py_ssize_t* out_strides,
                          const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil
cdef int correlate_nd_c64(const complex64_t* x, const Py_ssize_t* x_shape,
                          const Py_ssize_t* x_strides,
                          const complex64_t* k, const Py_ssize_t* k_shape,
                          const Py_ssize_t* k_strides,
                          complex64_t* out, const Py_ssize_t* out_shape,
                          const Py_ssize_t* out_strides,
                          const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil
cdef int correlate_nd_c128(const complex128_t* x, const Py_ssize_t* x_shape,
                           const Py_ssize_t* x_strides,
                           const complex128_t* k, const Py_ssize_t* k_shape,
                           const Py_ssize_t* k_strides,
                           complex128_t* out, const Py_ssize_t* out_shape,
                           const Py_ssize_t* out_strides,
                           const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil
