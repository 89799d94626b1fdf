"""Direct N-d correlation kernels: nogil, OpenMP-parallel, one fused family.

Layout of the work
------------------
An N-d array is seen as a stack of 2-D planes: the last two axes are the
plane (rows x columns), the leading N-2 axes index planes.  1-D data is one
plane of one row.  The output is cut into *tiles*: one output row of one
output plane, cut again into column blocks of at most ``COL_BLOCK`` elements
so that a block stays in L1 cache and thin shapes (a long 1-D signal, a
2-row image) still give every thread work.  ``prange`` runs over tiles; one
thread owns each tile, so no locks and no atomics are needed, and each output
element sums its taps in the same order whatever the thread count.

A tile is computed as a sequence of row updates ``out[j] += w * x[j + s]``
over the contiguous column axis (which the compiler vectorises), for every
kernel tap ``w`` that touches the tile.  Zero padding ('full'/'same' modes)
is never materialised: the tap ranges are clipped to the input, per plane,
per row and per column block.
"""

from cython.parallel cimport prange
from libc.string cimport memset

cimport numpy as cnp

from cyconv._openmp cimport CYCONV_HAVE_OPENMP

cnp.import_array()

cdef enum:
    # Output columns per tile: 1024 floats/doubles stay in L1.
    COL_BLOCK = 1024


cdef void correlate_tile(const scalar_t* x, const Py_ssize_t* x_shape,
                         const scalar_t* k, const Py_ssize_t* k_shape,
                         scalar_t* out, const Py_ssize_t* out_shape,
                         const Py_ssize_t* pad, int ndim,
                         Py_ssize_t tile, Py_ssize_t n_col_blocks) noexcept nogil:
    """Compute one tile (plane q, row i, column block jb) of the output."""
    cdef int lead = ndim - 2, d
    cdef Py_ssize_t xh = x_shape[lead], xw = x_shape[lead + 1]
    cdef Py_ssize_t kh = k_shape[lead], kw = k_shape[lead + 1]
    cdef Py_ssize_t oh = out_shape[lead], ow = out_shape[lead + 1]
    cdef Py_ssize_t ph = pad[lead], pw = pad[lead + 1]
    cdef Py_ssize_t jb = tile % n_col_blocks
    cdef Py_ssize_t rest = tile // n_col_blocks
    cdef Py_ssize_t i = rest % oh, q = rest // oh
    cdef Py_ssize_t j0 = jb * COL_BLOCK, j1 = _min(ow, j0 + COL_BLOCK)
    cdef scalar_t* orow = out + (q * oh + i) * ow
    cdef Py_ssize_t o_idx[MAX_NDIM]
    cdef Py_ssize_t c_lo[MAX_NDIM]
    cdef Py_ssize_t c_hi[MAX_NDIM]
    cdef Py_ssize_t c[MAX_NDIM]
    cdef Py_ssize_t a, a_lo, a_hi, b, b_lo, b_hi, jlo, jhi, x_off, k_off, rem
    cdef const scalar_t* xrow
    cdef const scalar_t* krow

    memset(orow + j0, 0, (j1 - j0) * sizeof(scalar_t))

    # Which kernel planes, rows and columns touch this tile (clipped to x).
    rem = q
    for d in range(lead - 1, -1, -1):
        o_idx[d] = rem % out_shape[d]
        rem = rem // out_shape[d]
    for d in range(lead):
        c_lo[d] = _max(0, pad[d] - o_idx[d])
        c_hi[d] = _min(k_shape[d], x_shape[d] + pad[d] - o_idx[d])
        if c_lo[d] >= c_hi[d]:
            return
        c[d] = c_lo[d]
    a_lo = _max(0, ph - i)
    a_hi = _min(kh, xh + ph - i)
    b_lo = _max(0, pw - (j1 - 1))
    b_hi = _min(kw, xw + pw - j0)
    if a_lo >= a_hi or b_lo >= b_hi:
        return

    while True:
        x_off = 0
        k_off = 0
        for d in range(lead):
            x_off = x_off * x_shape[d] + (o_idx[d] + c[d] - pad[d])
            k_off = k_off * k_shape[d] + c[d]
        for a in range(a_lo, a_hi):
            xrow = x + (x_off * xh + i + a - ph) * xw
            krow = k + (k_off * kh + a) * kw
            for b in range(b_lo, b_hi):
                # columns j of this block whose input j + b - pw lies in x
                jlo = _max(j0, pw - b)
                jhi = _min(j1, xw + pw - b)
                axpy(orow + jlo, xrow + jlo + b - pw, krow[b], jhi - jlo)
        # next kernel plane (odometer over the leading axes)
        d = lead - 1
        while d >= 0:
            c[d] += 1
            if c[d] < c_hi[d]:
                break
            c[d] = c_lo[d]
            d -= 1
        if d < 0:
            return


cdef void correlate_nd(const scalar_t* x, const Py_ssize_t* x_shape,
                       const scalar_t* k, const Py_ssize_t* k_shape,
                       scalar_t* out, const Py_ssize_t* out_shape,
                       const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil:
    """out = k correlated with zero-extended x (see _kernels.pxd); ndim >= 2."""
    cdef Py_ssize_t rows = 1, n_col_blocks, n_tiles, t
    cdef int d
    for d in range(ndim - 1):
        rows *= out_shape[d]
    n_col_blocks = (out_shape[ndim - 1] + COL_BLOCK - 1) // COL_BLOCK
    n_tiles = rows * n_col_blocks
    if n_threads <= 1 or n_tiles == 1:
        for t in range(n_tiles):
            correlate_tile(x, x_shape, k, k_shape, out, out_shape, pad, ndim, t, n_col_blocks)
    else:
        for t in prange(n_tiles, num_threads=n_threads, schedule="dynamic", chunksize=4):
            correlate_tile(x, x_shape, k, k_shape, out, out_shape, pad, ndim, t, n_col_blocks)


def openmp_enabled():
    """True when this module was compiled with OpenMP."""
    return bool(CYCONV_HAVE_OPENMP)


cdef int _read_shape(cnp.ndarray a, Py_ssize_t* shape, int offset) except -1:
    cdef int d
    for d in range(a.ndim):
        shape[d + offset] = a.shape[d]
        if shape[d + offset] < 1:
            raise ValueError("kernel arrays must not be empty")
    return 0


def correlate(cnp.ndarray x not None, cnp.ndarray k not None, cnp.ndarray out not None,
              pad, int n_threads):
    """Fill ``out`` with the direct correlation of ``x`` with ``k`` (see module doc).

    Low-level entry used by :mod:`cyconv._signal`; it re-checks every
    invariant the nogil code relies on, so no call can read or write out of
    bounds.  ``x``, ``k``, ``out``: C-contiguous arrays of one dtype among
    float32, float64, complex64, complex128, uint64, same ndim (1..32);
    ``pad``: a sequence of ndim ints with ``0 <= pad[d] < k.shape[d] + x.shape[d]``.
    """
    cdef int ndim = x.ndim, d, offset
    cdef int typenum = cnp.PyArray_TYPE(x)
    cdef Py_ssize_t xs[MAX_NDIM]
    cdef Py_ssize_t ks[MAX_NDIM]
    cdef Py_ssize_t os[MAX_NDIM]
    cdef Py_ssize_t ps[MAX_NDIM]
    cdef void* xp
    cdef void* kp
    cdef void* op

    if not (1 <= ndim <= MAX_NDIM - 1) or k.ndim != ndim or out.ndim != ndim:
        raise ValueError(f"x, k and out must share one ndim in 1..{MAX_NDIM - 1}")
    if cnp.PyArray_TYPE(k) != typenum or cnp.PyArray_TYPE(out) != typenum:
        raise TypeError("x, k and out must have the same dtype")
    if typenum not in (cnp.NPY_FLOAT, cnp.NPY_DOUBLE, cnp.NPY_CFLOAT, cnp.NPY_CDOUBLE, cnp.NPY_UINT64):
        raise TypeError(f"unsupported kernel dtype {x.dtype}")
    if not (cnp.PyArray_IS_C_CONTIGUOUS(x) and cnp.PyArray_IS_C_CONTIGUOUS(k)
            and cnp.PyArray_IS_C_CONTIGUOUS(out)):
        raise ValueError("x, k and out must be C-contiguous")
    if not x.dtype.isnative or not out.flags.writeable or not cnp.PyArray_ISALIGNED(x) \
            or not cnp.PyArray_ISALIGNED(k) or not cnp.PyArray_ISALIGNED(out):
        raise ValueError("x, k and out must be aligned, native byte order; out writeable")
    if len(pad) != ndim:
        raise ValueError("pad must have one entry per axis")
    # 1-D data is one row of one plane.
    offset = 1 if ndim == 1 else 0
    xs[0] = ks[0] = os[0] = 1
    ps[0] = 0
    _read_shape(x, xs, offset)
    _read_shape(k, ks, offset)
    _read_shape(out, os, offset)
    for d in range(ndim):
        ps[d + offset] = pad[d]
        if not 0 <= ps[d + offset] < ks[d + offset] + xs[d + offset]:
            raise ValueError("pad out of range")
    ndim += offset
    if n_threads < 1:
        raise ValueError("n_threads must be >= 1")

    xp = cnp.PyArray_DATA(x)
    kp = cnp.PyArray_DATA(k)
    op = cnp.PyArray_DATA(out)
    with nogil:
        if typenum == cnp.NPY_FLOAT:
            correlate_nd(<const float*>xp, xs, <const float*>kp, ks, <float*>op, os, ps, ndim, n_threads)
        elif typenum == cnp.NPY_DOUBLE:
            correlate_nd(<const double*>xp, xs, <const double*>kp, ks, <double*>op, os, ps, ndim, n_threads)
        elif typenum == cnp.NPY_CFLOAT:
            correlate_nd(<const complex64_t*>xp, xs, <const complex64_t*>kp, ks, <complex64_t*>op, os, ps,
                         ndim, n_threads)
        elif typenum == cnp.NPY_CDOUBLE:
            correlate_nd(<const complex128_t*>xp, xs, <const complex128_t*>kp, ks, <complex128_t*>op, os, ps,
                         ndim, n_threads)
        else:
            correlate_nd(<const uint64_t*>xp, xs, <const uint64_t*>kp, ks, <uint64_t*>op, os, ps, ndim, n_threads)
    return out
