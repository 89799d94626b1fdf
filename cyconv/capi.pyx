"""cyconv's public C-level API (see ``capi.pxd`` for the contract).

Thin, non-fused, ``noexcept nogil`` wrappers over the one fused kernel
:func:`cyconv._kernels.correlate_nd`, for other Cython code to ``cimport``
and call in its own nogil loops without any Python per call.

What the wrappers add to the kernel
-----------------------------------
The kernel wants C-contiguous ``x``, ``k`` and ``out``, ``ndim >= 2`` and
trusted arguments.  The wrappers

* check every argument and return ``CYCONV_EINVAL`` instead of crashing

* turn 1-D into one row of one plane (as ``_kernels.correlate`` does)

* accept strides.  The kernel addresses ``x`` as a C-ordered block of shape
  ``x_shape`` and clips every read to that shape.  A strided ``x`` whose
  strides are "C-ordered with gaps" (columns contiguous, each stride a whole
  multiple of the next) *is* such a block, of a larger shape ``fake``
  the
  kernel can read it in place with ``x_shape = fake`` as long as no output
  element reaches past the real extent on an axis that has a gap, because
  there the kernel would read the gap instead of the zero padding.  That
  holds for every 'valid'-style call on a window of a bigger array, the case
  row strides exist for.  Everything else (gaps with 'full'/'same' padding,
  negative or zero strides, a non-contiguous ``k`` or ``out``) goes through
  a temporary C-contiguous copy: correct always, one extra pass over memory.
"""

from cpython.pycapsule cimport PyCapsule_GetName, PyCapsule_GetPointer
from libc.stdlib cimport free, malloc

from cyconv import _dispatch, _threads
from cyconv._kernels cimport correlate_nd
from cyconv._openmp cimport omp_get_max_threads

# The kernel variant this CPU runs (baseline, AVX2+FMA or AVX-512 build), picked once
# by cyconv._dispatch -- the same one the Python API uses.  The variants are
# separate modules, so the specialisations are taken from the chosen
# module's exported C functions (its __pyx_capi__ capsules); the baseline
# ones, cimported above, are the fallback.
ctypedef void (*kernel_f32_t)(const float*, const Py_ssize_t*, const float*, const Py_ssize_t*,
                              float*, const Py_ssize_t*, const Py_ssize_t*, int, int) noexcept nogil
ctypedef void (*kernel_f64_t)(const double*, const Py_ssize_t*, const double*, const Py_ssize_t*,
                              double*, const Py_ssize_t*, const Py_ssize_t*, int, int) noexcept nogil
ctypedef void (*kernel_c64_t)(const complex64_t*, const Py_ssize_t*, const complex64_t*,
                              const Py_ssize_t*, complex64_t*, const Py_ssize_t*,
                              const Py_ssize_t*, int, int) noexcept nogil
ctypedef void (*kernel_c128_t)(const complex128_t*, const Py_ssize_t*, const complex128_t*,
                               const Py_ssize_t*, complex128_t*, const Py_ssize_t*,
                               const Py_ssize_t*, int, int) noexcept nogil

cdef kernel_f32_t _kernel_f32 = correlate_nd[float]
cdef kernel_f64_t _kernel_f64 = correlate_nd[double]
cdef kernel_c64_t _kernel_c64 = correlate_nd[complex64_t]
cdef kernel_c128_t _kernel_c128 = correlate_nd[complex128_t]


cdef void* _exported(module, str signature) except NULL:
    cap = module.__pyx_capi__[f"correlate_nd[{signature}]"]
    return PyCapsule_GetPointer(cap, PyCapsule_GetName(cap))


if _dispatch.variant != "baseline":
    _kernel_f32 = <kernel_f32_t>_exported(_dispatch.kernels, "const float *,const float *,float *")
    _kernel_f64 = <kernel_f64_t>_exported(_dispatch.kernels, "const double *,const double *,double *")
    _kernel_c64 = <kernel_c64_t>_exported(
        _dispatch.kernels, "const float complex *,const float complex *,float complex *")
    _kernel_c128 = <kernel_c128_t>_exported(
        _dispatch.kernels, "const double complex *,const double complex *,double complex *")


def kernel_variant():
    """The kernel build the C-level API calls ('baseline', 'avx2+fma' or 'avx512')."""
    return _dispatch.variant


# The small-problem rule of cyconv.correlate (_threads.acquire), read from the
# one place it is defined: below MIN_PARALLEL_WORK multiply-adds a call stays
# on the calling thread, above it each thread gets at least
# MIN_WORK_PER_THREAD.  Starting an OpenMP team costs microseconds, and on a
# busy machine a barrier can cost milliseconds.
cdef double _MIN_PARALLEL_WORK = _threads.MIN_PARALLEL_WORK
cdef double _MIN_WORK_PER_THREAD = _threads.MIN_WORK_PER_THREAD

# Python-visible copies of the status codes and limits, for tests and for
# callers that want to print a status.
OK = CYCONV_OK
EINVAL = CYCONV_EINVAL
ENOMEM = CYCONV_ENOMEM
MAX_NDIM = CYCONV_MAX_NDIM
API_VERSION = CYCONV_CAPI_VERSION

ctypedef fused T:
    float
    double
    complex64_t
    complex128_t

cdef enum:
    # ndim after 1-D is promoted to (1, n)
    _ND = CYCONV_MAX_NDIM + 1


cdef inline void _c_strides(const Py_ssize_t* shape, int nd, Py_ssize_t* strides) noexcept nogil:
    """Element strides of a C-contiguous array of ``shape``."""
    cdef Py_ssize_t span = 1
    cdef int d
    for d in range(nd - 1, -1, -1):
        strides[d] = span
        span *= shape[d]


cdef inline bint _is_c_contiguous(const Py_ssize_t* shape, const Py_ssize_t* strides,
                                  int nd) noexcept nogil:
    """True when ``strides`` address ``shape`` exactly as C order does (size-1 axes: any)."""
    cdef Py_ssize_t span = 1
    cdef int d
    for d in range(nd - 1, -1, -1):
        if shape[d] > 1 and strides[d] != span:
            return False
        span *= shape[d]
    return True


cdef bint _x_in_place(const Py_ssize_t* n, const Py_ssize_t* s, const Py_ssize_t* o,
                      const Py_ssize_t* k, const Py_ssize_t* p, int nd,
                      Py_ssize_t* fake) noexcept nogil:
    """Can the kernel read x (shape n, strides s) in place?  If so fill ``fake``.

    ``fake`` is the C-ordered shape whose addressing equals ``s``:
    ``s[d] == prod(fake[d+1:])`` on every axis with ``n[d] > 1`` and
    ``fake[d] >= n[d]``.  An axis with ``fake[d] > n[d]`` has a gap after
    it, so the reads along it must stay below ``n[d]``:
    ``(o - 1) + (k - 1) - p <= n - 1``.
    """
    cdef Py_ssize_t eff_inner, eff
    cdef int d
    if n[nd - 1] > 1 and s[nd - 1] != 1:
        return False
    eff_inner = 1                      # stride of axis nd-1 in the fake layout
    fake[0] = n[0]
    for d in range(nd - 2, -1, -1):
        # the stride axis d has in the fake layout; a size-1 axis is never
        # stepped along, so give it the tight stride
        eff = s[d] if n[d] > 1 else eff_inner * n[d + 1]
        if eff <= 0 or eff % eff_inner != 0:
            return False
        fake[d + 1] = eff // eff_inner
        if fake[d + 1] < n[d + 1]:
            return False
        if fake[d + 1] > n[d + 1] and o[d + 1] + k[d + 1] - 1 - p[d + 1] > n[d + 1]:
            return False
        eff_inner = eff
    return True


cdef void _copy(const T* src, const Py_ssize_t* src_strides,
                T* dst, const Py_ssize_t* dst_strides,
                const Py_ssize_t* shape, int nd) noexcept nogil:
    """dst[i] = src[i] for every index i of ``shape`` (element strides)."""
    cdef Py_ssize_t idx[_ND]
    cdef Py_ssize_t si = 0, di = 0, j, n_last = shape[nd - 1]
    cdef Py_ssize_t ss = src_strides[nd - 1], ds = dst_strides[nd - 1]
    cdef int d
    for d in range(nd):
        idx[d] = 0
    while True:
        for j in range(n_last):
            dst[di + j * ds] = src[si + j * ss]
        # next row (odometer over the leading axes)
        d = nd - 2
        while d >= 0:
            idx[d] += 1
            si += src_strides[d]
            di += dst_strides[d]
            if idx[d] < shape[d]:
                break
            si -= idx[d] * src_strides[d]
            di -= idx[d] * dst_strides[d]
            idx[d] = 0
            d -= 1
        if d < 0:
            return


cdef void* _alloc(const Py_ssize_t* shape, int nd, size_t itemsize) noexcept nogil:
    """malloc a C-contiguous buffer of ``shape``; NULL on overflow or failure."""
    cdef size_t n = 1, limit = (<size_t>-1) // itemsize // 2
    cdef int d
    for d in range(nd):
        if <size_t>shape[d] > limit // n:
            return NULL
        n *= <size_t>shape[d]
    return malloc(n * itemsize)


cdef int _run(const T* x, const Py_ssize_t* x_shape, const Py_ssize_t* x_strides,
              const T* k, const Py_ssize_t* k_shape, const Py_ssize_t* k_strides,
              T* out, const Py_ssize_t* out_shape, const Py_ssize_t* out_strides,
              const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil:
    """Validate, promote 1-D, pack what must be packed, call the kernel."""
    cdef Py_ssize_t xn[_ND]
    cdef Py_ssize_t kn[_ND]
    cdef Py_ssize_t on[_ND]
    cdef Py_ssize_t pn[_ND]
    cdef Py_ssize_t xs[_ND]
    cdef Py_ssize_t ks[_ND]
    cdef Py_ssize_t os[_ND]
    cdef Py_ssize_t cs[_ND]
    cdef Py_ssize_t fake[_ND]
    cdef int d, off, nd
    cdef double work
    cdef T* xbuf = NULL
    cdef T* kbuf = NULL
    cdef T* obuf = NULL
    cdef const T* xp = x
    cdef const T* kp = k
    cdef T* op = out
    cdef int status = CYCONV_OK

    if x == NULL or k == NULL or out == NULL or x_shape == NULL or k_shape == NULL \
            or out_shape == NULL or pad == NULL:
        return CYCONV_EINVAL
    if ndim < 1 or ndim > CYCONV_MAX_NDIM or n_threads < 0:
        return CYCONV_EINVAL

    # 1-D data is one row of one plane: prepend a size-1 axis.
    off = 1 if ndim == 1 else 0
    nd = ndim + off
    xn[0] = kn[0] = on[0] = 1
    pn[0] = 0
    for d in range(ndim):
        xn[d + off] = x_shape[d]
        kn[d + off] = k_shape[d]
        on[d + off] = out_shape[d]
        pn[d + off] = pad[d]
        if x_shape[d] < 1 or k_shape[d] < 1 or out_shape[d] < 1 or pad[d] < 0:
            return CYCONV_EINVAL
    _c_strides(xn, nd, xs)
    _c_strides(kn, nd, ks)
    _c_strides(on, nd, os)
    for d in range(ndim):
        if x_strides != NULL:
            xs[d + off] = x_strides[d]
        if k_strides != NULL:
            ks[d + off] = k_strides[d]
        if out_strides != NULL:
            os[d + off] = out_strides[d]

    if n_threads == 0:
        n_threads = omp_get_max_threads()
    # Threads by work (an upper bound: outputs x taps), as cyconv.correlate does.
    work = 1.0
    for d in range(nd):
        work *= <double>on[d] * <double>kn[d]
    if work < _MIN_PARALLEL_WORK:
        n_threads = 1
    elif n_threads > work / _MIN_WORK_PER_THREAD:
        n_threads = <int>(work / _MIN_WORK_PER_THREAD)
    if n_threads < 1:
        n_threads = 1

    # x: in place when the kernel's clipped reads stay inside x, else packed.
    if not _x_in_place(xn, xs, on, kn, pn, nd, fake):
        xbuf = <T*>_alloc(xn, nd, sizeof(T))
        if xbuf == NULL:
            return CYCONV_ENOMEM
        _c_strides(xn, nd, cs)
        _copy(x, xs, xbuf, cs, xn, nd)
        xp = xbuf
        for d in range(nd):
            fake[d] = xn[d]
    if not _is_c_contiguous(kn, ks, nd):
        kbuf = <T*>_alloc(kn, nd, sizeof(T))
        if kbuf == NULL:
            status = CYCONV_ENOMEM
        else:
            _c_strides(kn, nd, cs)
            _copy(k, ks, kbuf, cs, kn, nd)
            kp = kbuf
    if status == CYCONV_OK and not _is_c_contiguous(on, os, nd):
        obuf = <T*>_alloc(on, nd, sizeof(T))
        if obuf == NULL:
            status = CYCONV_ENOMEM
        else:
            op = obuf

    if status == CYCONV_OK:
        if T is float:
            _kernel_f32(xp, fake, kp, kn, op, on, pn, nd, n_threads)
        elif T is double:
            _kernel_f64(xp, fake, kp, kn, op, on, pn, nd, n_threads)
        elif T is complex64_t:
            _kernel_c64(xp, fake, kp, kn, op, on, pn, nd, n_threads)
        else:
            _kernel_c128(xp, fake, kp, kn, op, on, pn, nd, n_threads)
        if obuf != NULL:
            _c_strides(on, nd, cs)
            _copy(<const T*>obuf, cs, out, os, on, nd)
    free(xbuf)
    free(kbuf)
    free(obuf)
    return status


def x_read_in_place(x_shape, x_strides, k_shape, out_shape, pad):
    """Whether the C-level API reads ``x`` in place (True) or packs a copy (False).

    Arguments as for ``correlate_nd_*``, as Python sequences
    strides in
    elements.  For planning and tests: the answer costs nothing to compute.
    """
    cdef Py_ssize_t n[_ND]
    cdef Py_ssize_t s[_ND]
    cdef Py_ssize_t k[_ND]
    cdef Py_ssize_t o[_ND]
    cdef Py_ssize_t p[_ND]
    cdef Py_ssize_t fake[_ND]
    cdef int ndim = len(x_shape), d, off
    if not 1 <= ndim <= CYCONV_MAX_NDIM or not (
            len(x_strides) == len(k_shape) == len(out_shape) == len(pad) == ndim):
        raise ValueError(f"every argument needs the same length, 1..{CYCONV_MAX_NDIM}")
    off = 1 if ndim == 1 else 0
    n[0] = k[0] = o[0] = s[0] = 1
    p[0] = 0
    for d in range(ndim):
        n[d + off] = x_shape[d]
        s[d + off] = x_strides[d]
        k[d + off] = k_shape[d]
        o[d + off] = out_shape[d]
        p[d + off] = pad[d]
        if n[d + off] < 1 or k[d + off] < 1 or o[d + off] < 1 or p[d + off] < 0:
            raise ValueError("sizes must be >= 1 and pads >= 0")
    return bool(_x_in_place(n, s, o, k, p, ndim + off, fake))


# ---- rank-specific front ends -------------------------------------------------

cdef inline int _run1(const T* x, Py_ssize_t nx, const T* k, Py_ssize_t nk,
                      T* out, Py_ssize_t nout, Py_ssize_t pad, int n_threads) noexcept nogil:
    return _run(x, &nx, NULL, k, &nk, NULL, out, &nout, NULL, &pad, 1, n_threads)


cdef inline int _run2(const T* x, Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t ldx,
                      const T* k, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ldk,
                      T* out, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t ldo,
                      Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads) noexcept nogil:
    cdef Py_ssize_t xn[2]
    cdef Py_ssize_t kn[2]
    cdef Py_ssize_t on[2]
    cdef Py_ssize_t xs[2]
    cdef Py_ssize_t ks[2]
    cdef Py_ssize_t os[2]
    cdef Py_ssize_t pn[2]
    if ldx < xw or ldk < kw or ldo < ow:
        return CYCONV_EINVAL
    xn[:] = [xh, xw]
    xs[:] = [ldx, 1]
    kn[:] = [kh, kw]
    ks[:] = [ldk, 1]
    on[:] = [oh, ow]
    os[:] = [ldo, 1]
    pn[:] = [pad_h, pad_w]
    return _run(x, xn, xs, k, kn, ks, out, on, os, pn, 2, n_threads)


cdef inline int _run3(const T* x, Py_ssize_t xd, Py_ssize_t xh, Py_ssize_t xw,
                      Py_ssize_t x_ps, Py_ssize_t x_rs,
                      const T* k, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
                      Py_ssize_t k_ps, Py_ssize_t k_rs,
                      T* out, Py_ssize_t od, Py_ssize_t oh, Py_ssize_t ow,
                      Py_ssize_t o_ps, Py_ssize_t o_rs,
                      Py_ssize_t pad_d, Py_ssize_t pad_h, Py_ssize_t pad_w,
                      int n_threads) noexcept nogil:
    cdef Py_ssize_t xn[3]
    cdef Py_ssize_t kn[3]
    cdef Py_ssize_t on[3]
    cdef Py_ssize_t xs[3]
    cdef Py_ssize_t ks[3]
    cdef Py_ssize_t os[3]
    cdef Py_ssize_t pn[3]
    # The same rule as ld >= width in 2-D: planes and rows must not overlap.
    if x_rs < xw or x_ps < xh * x_rs or k_rs < kw or k_ps < kh * k_rs \
            or o_rs < ow or o_ps < oh * o_rs:
        return CYCONV_EINVAL
    xn[:] = [xd, xh, xw]
    xs[:] = [x_ps, x_rs, 1]
    kn[:] = [kd, kh, kw]
    ks[:] = [k_ps, k_rs, 1]
    on[:] = [od, oh, ow]
    os[:] = [o_ps, o_rs, 1]
    pn[:] = [pad_d, pad_h, pad_w]
    return _run(x, xn, xs, k, kn, ks, out, on, os, pn, 3, n_threads)


# ---- the exported, non-fused functions (declared in capi.pxd) ---------------

cdef int correlate_1d_f32(const float* x, Py_ssize_t nx,
                          const float* k, Py_ssize_t nk,
                          float* out, Py_ssize_t nout,
                          Py_ssize_t pad, int n_threads) noexcept nogil:
    return _run1(x, nx, k, nk, out, nout, pad, n_threads)


cdef int correlate_1d_f64(const double* x, Py_ssize_t nx,
                          const double* k, Py_ssize_t nk,
                          double* out, Py_ssize_t nout,
                          Py_ssize_t pad, int n_threads) noexcept nogil:
    return _run1(x, nx, k, nk, out, nout, pad, n_threads)


cdef int correlate_1d_c64(const complex64_t* x, Py_ssize_t nx,
                          const complex64_t* k, Py_ssize_t nk,
                          complex64_t* out, Py_ssize_t nout,
                          Py_ssize_t pad, int n_threads) noexcept nogil:
    return _run1(x, nx, k, nk, out, nout, pad, n_threads)


cdef int correlate_1d_c128(const complex128_t* x, Py_ssize_t nx,
                           const complex128_t* k, Py_ssize_t nk,
                           complex128_t* out, Py_ssize_t nout,
                           Py_ssize_t pad, int n_threads) noexcept nogil:
    return _run1(x, nx, k, nk, out, nout, pad, n_threads)


cdef int correlate_2d_f32(const float* x, Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t ldx,
                          const float* k, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ldk,
                          float* out, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t ldo,
                          Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads) noexcept nogil:
    return _run2(x, xh, xw, ldx, k, kh, kw, ldk, out, oh, ow, ldo, pad_h, pad_w, n_threads)


cdef int correlate_2d_f64(const double* x, Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t ldx,
                          const double* k, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ldk,
                          double* out, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t ldo,
                          Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads) noexcept nogil:
    return _run2(x, xh, xw, ldx, k, kh, kw, ldk, out, oh, ow, ldo, pad_h, pad_w, n_threads)


cdef int correlate_2d_c64(const complex64_t* x, Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t ldx,
                          const complex64_t* k, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ldk,
                          complex64_t* out, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t ldo,
                          Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads) noexcept nogil:
    return _run2(x, xh, xw, ldx, k, kh, kw, ldk, out, oh, ow, ldo, pad_h, pad_w, n_threads)


cdef int correlate_2d_c128(const complex128_t* x, Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t ldx,
                           const complex128_t* k, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ldk,
                           complex128_t* out, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t ldo,
                           Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads) noexcept nogil:
    return _run2(x, xh, xw, ldx, k, kh, kw, ldk, out, oh, ow, ldo, pad_h, pad_w, n_threads)


cdef int correlate_3d_f32(const float* x, Py_ssize_t xd, Py_ssize_t xh, Py_ssize_t xw,
                          Py_ssize_t x_ps, Py_ssize_t x_rs,
                          const float* k, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
                          Py_ssize_t k_ps, Py_ssize_t k_rs,
                          float* out, Py_ssize_t od, Py_ssize_t oh, Py_ssize_t ow,
                          Py_ssize_t o_ps, Py_ssize_t o_rs,
                          Py_ssize_t pad_d, Py_ssize_t pad_h, Py_ssize_t pad_w,
                          int n_threads) noexcept nogil:
    return _run3(x, xd, xh, xw, x_ps, x_rs, k, kd, kh, kw, k_ps, k_rs,
                 out, od, oh, ow, o_ps, o_rs, pad_d, pad_h, pad_w, n_threads)


cdef int correlate_3d_f64(const double* x, Py_ssize_t xd, Py_ssize_t xh, Py_ssize_t xw,
                          Py_ssize_t x_ps, Py_ssize_t x_rs,
                          const double* k, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
                          Py_ssize_t k_ps, Py_ssize_t k_rs,
                          double* out, Py_ssize_t od, Py_ssize_t oh, Py_ssize_t ow,
                          Py_ssize_t o_ps, Py_ssize_t o_rs,
                          Py_ssize_t pad_d, Py_ssize_t pad_h, Py_ssize_t pad_w,
                          int n_threads) noexcept nogil:
    return _run3(x, xd, xh, xw, x_ps, x_rs, k, kd, kh, kw, k_ps, k_rs,
                 out, od, oh, ow, o_ps, o_rs, pad_d, pad_h, pad_w, n_threads)


cdef int correlate_3d_c64(const complex64_t* x, Py_ssize_t xd, Py_ssize_t xh, Py_ssize_t xw,
                          Py_ssize_t x_ps, Py_ssize_t x_rs,
                          const complex64_t* k, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
                          Py_ssize_t k_ps, Py_ssize_t k_rs,
                          complex64_t* out, Py_ssize_t od, Py_ssize_t oh, Py_ssize_t ow,
                          Py_ssize_t o_ps, Py_ssize_t o_rs,
                          Py_ssize_t pad_d, Py_ssize_t pad_h, Py_ssize_t pad_w,
                          int n_threads) noexcept nogil:
    return _run3(x, xd, xh, xw, x_ps, x_rs, k, kd, kh, kw, k_ps, k_rs,
                 out, od, oh, ow, o_ps, o_rs, pad_d, pad_h, pad_w, n_threads)


cdef int correlate_3d_c128(const complex128_t* x, Py_ssize_t xd, Py_ssize_t xh, Py_ssize_t xw,
                           Py_ssize_t x_ps, Py_ssize_t x_rs,
                           const complex128_t* k, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
                           Py_ssize_t k_ps, Py_ssize_t k_rs,
                           complex128_t* out, Py_ssize_t od, Py_ssize_t oh, Py_ssize_t ow,
                           Py_ssize_t o_ps, Py_ssize_t o_rs,
                           Py_ssize_t pad_d, Py_ssize_t pad_h, Py_ssize_t pad_w,
                           int n_threads) noexcept nogil:
    return _run3(x, xd, xh, xw, x_ps, x_rs, k, kd, kh, kw, k_ps, k_rs,
                 out, od, oh, ow, o_ps, o_rs, pad_d, pad_h, pad_w, n_threads)


cdef int correlate_nd_f32(const float* x, const Py_ssize_t* x_shape, const Py_ssize_t* x_strides,
                          const float* k, const Py_ssize_t* k_shape, const Py_ssize_t* k_strides,
                          float* out, const Py_ssize_t* out_shape, const Py_ssize_t* out_strides,
                          const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil:
    return _run(x, x_shape, x_strides, k, k_shape, k_strides, out, out_shape, out_strides,
                pad, ndim, n_threads)


cdef int correlate_nd_f64(const double* x, const Py_ssize_t* x_shape, const Py_ssize_t* x_strides,
                          const double* k, const Py_ssize_t* k_shape, const Py_ssize_t* k_strides,
                          double* out, const Py_ssize_t* out_shape, const Py_ssize_t* out_strides,
                          const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil:
    return _run(x, x_shape, x_strides, k, k_shape, k_strides, out, out_shape, out_strides,
                pad, ndim, n_threads)


cdef int correlate_nd_c64(const complex64_t* x, const Py_ssize_t* x_shape,
                          const Py_ssize_t* x_strides,
                          const complex64_t* k, const Py_ssize_t* k_shape,
                          const Py_ssize_t* k_strides,
                          complex64_t* out, const Py_ssize_t* out_shape,
                          const Py_ssize_t* out_strides,
                          const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil:
    return _run(x, x_shape, x_strides, k, k_shape, k_strides, out, out_shape, out_strides,
                pad, ndim, n_threads)


cdef int correlate_nd_c128(const complex128_t* x, const Py_ssize_t* x_shape,
                           const Py_ssize_t* x_strides,
                           const complex128_t* k, const Py_ssize_t* k_shape,
                           const Py_ssize_t* k_strides,
                           complex128_t* out, const Py_ssize_t* out_shape,
                           const Py_ssize_t* out_strides,
                           const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil:
    return _run(x, x_shape, x_strides, k, k_shape, k_strides, out, out_shape, out_strides,
                pad, ndim, n_threads)
