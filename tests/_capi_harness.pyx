"""A downstream extension that cimports cyconv's C-level API (built by test_capi.py).

Each ``def`` takes NumPy arrays, takes their pointers, shapes and strides
(in elements), releases the GIL and calls one ``cyconv.capi`` function; the
tests compare the results with :func:`cyconv.correlate`.
"""

from cyconv.capi cimport (CYCONV_CAPI_VERSION, CYCONV_EINVAL, CYCONV_ENOMEM,
                          CYCONV_MAX_NDIM, CYCONV_OK, complex64_t, complex128_t,
                          correlate_1d_c64, correlate_1d_c128, correlate_1d_f32,
                          correlate_1d_f64, correlate_2d_c64, correlate_2d_c128,
                          correlate_2d_f32, correlate_2d_f64, correlate_3d_c64,
                          correlate_3d_c128, correlate_3d_f32, correlate_3d_f64,
                          correlate_nd_c64, correlate_nd_c128, correlate_nd_f32,
                          correlate_nd_f64)

ctypedef fused T:
    float
    double
    complex64_t
    complex128_t

STATUS = {"OK": CYCONV_OK, "EINVAL": CYCONV_EINVAL, "ENOMEM": CYCONV_ENOMEM,
          "MAX_NDIM": CYCONV_MAX_NDIM, "CAPI_VERSION": CYCONV_CAPI_VERSION}


cdef inline int _c1(const T* x, Py_ssize_t nx, const T* k, Py_ssize_t nk, T* out,
                    Py_ssize_t no, Py_ssize_t pad, int nt) noexcept nogil:
    if T is float:
        return correlate_1d_f32(x, nx, k, nk, out, no, pad, nt)
    elif T is double:
        return correlate_1d_f64(x, nx, k, nk, out, no, pad, nt)
    elif T is complex64_t:
        return correlate_1d_c64(x, nx, k, nk, out, no, pad, nt)
    else:
        return correlate_1d_c128(x, nx, k, nk, out, no, pad, nt)


cdef inline int _c2(const T* x, Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t ldx,
                    const T* k, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ldk,
                    T* o, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t ldo,
                    Py_ssize_t ph, Py_ssize_t pw, int nt) noexcept nogil:
    if T is float:
        return correlate_2d_f32(x, xh, xw, ldx, k, kh, kw, ldk, o, oh, ow, ldo, ph, pw, nt)
    elif T is double:
        return correlate_2d_f64(x, xh, xw, ldx, k, kh, kw, ldk, o, oh, ow, ldo, ph, pw, nt)
    elif T is complex64_t:
        return correlate_2d_c64(x, xh, xw, ldx, k, kh, kw, ldk, o, oh, ow, ldo, ph, pw, nt)
    else:
        return correlate_2d_c128(x, xh, xw, ldx, k, kh, kw, ldk, o, oh, ow, ldo, ph, pw, nt)


cdef inline int _cn(const T* x, const Py_ssize_t* xn, const Py_ssize_t* xs,
                    const T* k, const Py_ssize_t* kn, const Py_ssize_t* ks,
                    T* o, const Py_ssize_t* on, const Py_ssize_t* os,
                    const Py_ssize_t* p, int nd, int nt) noexcept nogil:
    if T is float:
        return correlate_nd_f32(x, xn, xs, k, kn, ks, o, on, os, p, nd, nt)
    elif T is double:
        return correlate_nd_f64(x, xn, xs, k, kn, ks, o, on, os, p, nd, nt)
    elif T is complex64_t:
        return correlate_nd_c64(x, xn, xs, k, kn, ks, o, on, os, p, nd, nt)
    else:
        return correlate_nd_c128(x, xn, xs, k, kn, ks, o, on, os, p, nd, nt)


cdef Py_ssize_t _ld(Py_ssize_t stride_bytes, Py_ssize_t inner_bytes, size_t itemsize) except -1:
    if inner_bytes != <Py_ssize_t>itemsize:
        raise ValueError("the last axis must be contiguous for the 2-D/3-D API")
    return stride_bytes // <Py_ssize_t>itemsize


def corr1d(const T[::1] x, const T[::1] k, T[::1] out, Py_ssize_t pad, int n_threads):
    cdef int st
    with nogil:
        st = _c1(&x[0], x.shape[0], &k[0], k.shape[0], &out[0], out.shape[0], pad, n_threads)
    return st


def corr2d(const T[:, :] x, const T[:, :] k, T[:, :] out,
           Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads):
    """2-D API with each array's row stride as its leading dimension."""
    cdef Py_ssize_t ldx = _ld(x.strides[0], x.strides[1], sizeof(T))
    cdef Py_ssize_t ldk = _ld(k.strides[0], k.strides[1], sizeof(T))
    cdef Py_ssize_t ldo = _ld(out.strides[0], out.strides[1], sizeof(T))
    cdef int st
    with nogil:
        st = _c2(&x[0, 0], x.shape[0], x.shape[1], ldx, &k[0, 0], k.shape[0], k.shape[1], ldk,
                 &out[0, 0], out.shape[0], out.shape[1], ldo, pad_h, pad_w, n_threads)
    return st


def corr3d(const T[:, :, :] x, const T[:, :, :] k, T[:, :, :] out,
           Py_ssize_t pad_d, Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads):
    """3-D API with each array's plane and row strides."""
    cdef size_t it = sizeof(T)
    cdef Py_ssize_t xr = _ld(x.strides[1], x.strides[2], it), xp = _ld(x.strides[0], it, it)
    cdef Py_ssize_t kr = _ld(k.strides[1], k.strides[2], it), kp = _ld(k.strides[0], it, it)
    cdef Py_ssize_t orr = _ld(out.strides[1], out.strides[2], it), op = _ld(out.strides[0], it, it)
    cdef int st
    with nogil:
        if T is float:
            st = correlate_3d_f32(&x[0, 0, 0], x.shape[0], x.shape[1], x.shape[2], xp, xr,
                                  &k[0, 0, 0], k.shape[0], k.shape[1], k.shape[2], kp, kr,
                                  &out[0, 0, 0], out.shape[0], out.shape[1], out.shape[2], op, orr,
                                  pad_d, pad_h, pad_w, n_threads)
        elif T is double:
            st = correlate_3d_f64(&x[0, 0, 0], x.shape[0], x.shape[1], x.shape[2], xp, xr,
                                  &k[0, 0, 0], k.shape[0], k.shape[1], k.shape[2], kp, kr,
                                  &out[0, 0, 0], out.shape[0], out.shape[1], out.shape[2], op, orr,
                                  pad_d, pad_h, pad_w, n_threads)
        elif T is complex64_t:
            st = correlate_3d_c64(&x[0, 0, 0], x.shape[0], x.shape[1], x.shape[2], xp, xr,
                                  &k[0, 0, 0], k.shape[0], k.shape[1], k.shape[2], kp, kr,
                                  &out[0, 0, 0], out.shape[0], out.shape[1], out.shape[2], op, orr,
                                  pad_d, pad_h, pad_w, n_threads)
        else:
            st = correlate_3d_c128(&x[0, 0, 0], x.shape[0], x.shape[1], x.shape[2], xp, xr,
                                   &k[0, 0, 0], k.shape[0], k.shape[1], k.shape[2], kp, kr,
                                   &out[0, 0, 0], out.shape[0], out.shape[1], out.shape[2], op, orr,
                                   pad_d, pad_h, pad_w, n_threads)
    return st


cdef int _fill(a, Py_ssize_t* shape, Py_ssize_t* strides) except -1:
    cdef int d
    for d in range(a.ndim):
        shape[d] = a.shape[d]
        if a.strides[d] % a.itemsize:
            raise ValueError("strides must be whole elements")
        strides[d] = a.strides[d] // a.itemsize
    return 0


cdef int _nd_typed(T* tag, size_t xa, size_t ka, size_t oa, Py_ssize_t* xn, Py_ssize_t* xs,
                   Py_ssize_t* kn, Py_ssize_t* ks, Py_ssize_t* on, Py_ssize_t* os,
                   Py_ssize_t* p, int nd, int nt, bint use_strides) noexcept nogil:
    if not use_strides:
        return _cn(<const T*>xa, xn, NULL, <const T*>ka, kn, NULL, <T*>oa, on, NULL, p, nd, nt)
    return _cn(<const T*>xa, xn, xs, <const T*>ka, kn, ks, <T*>oa, on, os, p, nd, nt)


def corrnd(x, k, out, pad, int n_threads, bint use_strides=True):
    """N-d API on NumPy arrays of any strides (pointer to element [0, ..., 0])."""
    cdef Py_ssize_t xn[32]
    cdef Py_ssize_t xs[32]
    cdef Py_ssize_t kn[32]
    cdef Py_ssize_t ks[32]
    cdef Py_ssize_t on[32]
    cdef Py_ssize_t os[32]
    cdef Py_ssize_t p[32]
    cdef int nd = x.ndim, d, st
    cdef size_t xa = x.__array_interface__["data"][0]
    cdef size_t ka = k.__array_interface__["data"][0]
    cdef size_t oa = out.__array_interface__["data"][0]
    cdef char code = ord(x.dtype.char)
    if not (0 < nd <= 32 and k.ndim == nd and out.ndim == nd and len(pad) == nd):
        raise ValueError("bad ndim")
    if not (x.dtype == k.dtype == out.dtype) or x.dtype.char not in "fdFD":
        raise TypeError("x, k, out must share one of float32/64, complex64/128")
    _fill(x, xn, xs)
    _fill(k, kn, ks)
    _fill(out, on, os)
    for d in range(nd):
        p[d] = pad[d]
    with nogil:
        if code == b"f":
            st = _nd_typed(<float*>NULL, xa, ka, oa, xn, xs, kn, ks, on, os, p, nd, n_threads,
                           use_strides)
        elif code == b"d":
            st = _nd_typed(<double*>NULL, xa, ka, oa, xn, xs, kn, ks, on, os, p, nd, n_threads,
                           use_strides)
        elif code == b"F":
            st = _nd_typed(<complex64_t*>NULL, xa, ka, oa, xn, xs, kn, ks, on, os, p, nd,
                           n_threads, use_strides)
        else:
            st = _nd_typed(<complex128_t*>NULL, xa, ka, oa, xn, xs, kn, ks, on, os, p, nd,
                           n_threads, use_strides)
    return st


def batch2d(const T[:, :, ::1] xs, const T[:, ::1] k, T[:, :, ::1] outs,
            Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads):
    """Correlate each xs[i] with k into outs[i] in ONE nogil loop; first bad status or OK."""
    cdef Py_ssize_t i
    cdef int st = CYCONV_OK, s
    with nogil:
        for i in range(xs.shape[0]):
            s = _c2(&xs[i, 0, 0], xs.shape[1], xs.shape[2], xs.shape[2],
                    &k[0, 0], k.shape[0], k.shape[1], k.shape[1],
                    &outs[i, 0, 0], outs.shape[1], outs.shape[2], outs.shape[2],
                    pad_h, pad_w, n_threads)
            if s != CYCONV_OK and st == CYCONV_OK:
                st = s
    return st


def bad_calls():
    """Statuses of calls with invalid arguments, and whether ``out`` stayed untouched."""
    cdef double x[16]
    cdef double k[4]
    cdef double out[16]
    cdef Py_ssize_t shp[32]
    cdef Py_ssize_t shp0[2]
    cdef Py_ssize_t zero[2]
    cdef Py_ssize_t pad[32]
    cdef int d
    for d in range(16):
        x[d] = d
        out[d] = -7.0
    for d in range(4):
        k[d] = 1.0
    for d in range(32):
        shp[d] = 1
        pad[d] = 0
    shp0[0] = 4
    shp0[1] = 0
    zero[0] = 0
    zero[1] = 0
    res = {
        "null x": correlate_1d_f64(NULL, 4, k, 2, out, 3, 0, 1),
        "null k": correlate_1d_f64(x, 4, NULL, 2, out, 3, 0, 1),
        "null out": correlate_1d_f64(x, 4, k, 2, NULL, 3, 0, 1),
        "empty x": correlate_1d_f64(x, 0, k, 2, out, 3, 0, 1),
        "empty k": correlate_1d_f64(x, 4, k, 0, out, 3, 0, 1),
        "empty out": correlate_1d_f64(x, 4, k, 2, out, 0, 0, 1),
        "negative pad": correlate_1d_f64(x, 4, k, 2, out, 3, -1, 1),
        "negative n_threads": correlate_1d_f64(x, 4, k, 2, out, 3, 0, -1),
        "ldx < xw": correlate_2d_f64(x, 4, 4, 3, k, 2, 2, 2, out, 3, 3, 3, 0, 0, 1),
        "ldk < kw": correlate_2d_f64(x, 4, 4, 4, k, 2, 2, 1, out, 3, 3, 3, 0, 0, 1),
        "ldo < ow": correlate_2d_f64(x, 4, 4, 4, k, 2, 2, 2, out, 3, 3, 2, 0, 0, 1),
        "x_ps < xh * x_rs": correlate_3d_f64(x, 2, 2, 2, 3, 2, k, 1, 2, 2, 4, 2,
                                             out, 2, 1, 1, 1, 1, 0, 0, 0, 1),
        "ndim 0": correlate_nd_f64(x, shp, NULL, k, shp, NULL, out, shp, NULL, pad, 0, 1),
        "ndim > MAX_NDIM": correlate_nd_f64(x, shp, NULL, k, shp, NULL, out, shp, NULL, pad,
                                            CYCONV_MAX_NDIM + 1, 1),
        "null shape": correlate_nd_f64(x, NULL, NULL, k, shp, NULL, out, shp, NULL, pad, 2, 1),
        "null pad": correlate_nd_f64(x, shp, NULL, k, shp, NULL, out, shp, NULL, NULL, 2, 1),
        "zero-size axis": correlate_nd_f64(x, shp0, NULL, k, shp, NULL, out, shp, NULL, pad, 2, 1),
    }
    untouched = all(out[d] == -7.0 for d in range(16))
    # x of 2**31 x 2**31 elements, both strides 0: cannot be read in place, and
    # its packed copy cannot be allocated -> ENOMEM before anything is read.
    shp0[0] = shp0[1] = (<Py_ssize_t>1) << 31
    res["ENOMEM"] = correlate_nd_f64(x, shp0, zero, k, shp, NULL, out, shp, NULL, pad, 2, 1)
    untouched = untouched and all(out[d] == -7.0 for d in range(16))
    return res, untouched
