from cython.parallel cimport threadid
from libc.string cimport memcpy

# Winograd F(3x3, 3x3) correlation for float64 2-D data with mid-size kernels
# (about 6x6 to 30x30), where the direct kernels already run near the FMA
# peak and an FFT does not yet pay.  Included by _correlate.pxi, so that it
# is compiled into both kernel variants.
#
# The kernel (zero-padded to 3P x 3Q) is cut into P x Q sub-kernels of 3x3;
# the output into tiles of 3x3.  Winograd's minimal filtering computes one
# 3x3 sub-kernel on one 5x5 input window with 25 multiplies instead of 81:
#
#     Y = AT [ (G w G^T) * (BT d BT^T) ] AT^T          (* elementwise)
#
# Sub-kernel (p, q) of output tile (t, s) reads the window of tile
# (t + p, s + q), so summing over sub-kernels in the transformed domain is,
# for each of the 25 components, a P x Q correlation over the grid of tile
# windows -- which the direct kernels above do.  Multiply-adds per output:
# 25 P Q / 9 instead of 9 P Q (W5, 15x15: 3.2x fewer), plus the transforms.
#
# Points 0, 1, -1, 2 and infinity; BT holds small integers (its fractions are
# moved into G), so the input transform is cheap and well conditioned.  The
# measured error stays within ~30 eps of each output's sum |k| |x| (up to ~200
# at the edges of 'full', where few taps meet larger neighbours in a window;
# tests/test_winograd.py).
#
# Work is cut into units of WINO_STRIP rows by a panel of output tiles; a unit
# transforms its input windows, runs the 25 component correlations and
# transforms back, in per-thread buffers (2 MB for W5).  Every value is
# computed the same way whichever thread runs its unit, so results are
# bitwise identical for any thread count.
cdef enum:
    # A unit of work: WINO_STRIP rows of output tiles by a panel of at most
    # WINO_PANEL (rows cut into equal panels).  Long rows and tall strips
    # beat units that fit L2: fewer, longer loops, less overlap between
    # units (1024^2 by 15^2: 8 x 128 tiles 11.7 ms, 12 x 342 10.5 ms).
    WINO_STRIP = 12
    WINO_PANEL = 768


cdef extern from "_winograd.h" nogil:
    void cyconv_wino_bt(const double* f0, const double* f1, const double* f2,
                        const double* f3, const double* f4, double* v0, double* v1,
                        double* v2, double* v3, double* v4, Py_ssize_t n)
    void cyconv_wino_at(const double* m0, const double* m1, const double* m2,
                        const double* m3, const double* m4, double* y0, double* y1,
                        double* y2, Py_ssize_t n)
    void cyconv_wino_bt_row(const double* x, double* h0, double* h1, double* h2, double* h3,
                            double* h4, Py_ssize_t n)
    void cyconv_wino_at_row(const double* m0, const double* m1, const double* m2,
                            const double* m3, const double* m4, double* out, Py_ssize_t n)


cdef void _wino_x_windows(const double* xrow, Py_ssize_t xw, Py_ssize_t x0, Py_ssize_t s0,
                          Py_ssize_t s1, Py_ssize_t ns, double* xe, double* h) noexcept nogil:
    """Windows s0 <= sigma < s1 of _wino_x_row, through a zero-extended copy in ``xe``."""
    cdef Py_ssize_t n = 3 * (s1 - s0) + 2, c0 = x0 + 3 * s0  # x column of xe[0]
    cdef Py_ssize_t c_lo = _max(0, -c0), c_hi = _min(n, xw - c0)
    if s0 >= s1:
        return
    memset(xe, 0, n * sizeof(double))
    if c_lo < c_hi:
        memcpy(xe + c_lo, xrow + c0 + c_lo, (c_hi - c_lo) * sizeof(double))
    cyconv_wino_bt_row(xe, h + s0, h + ns + s0, h + 2 * ns + s0, h + 3 * ns + s0,
                       h + 4 * ns + s0, s1 - s0)


cdef void _wino_x_row(const double* xrow, Py_ssize_t xw, Py_ssize_t x0, Py_ssize_t ns,
                      double* xe, double* h) noexcept nogil:
    """Horizontal input transform of one zero-extended x row (NULL: a row of zeros).

    h[b * ns + sigma] = sum_i BT[b, i] xe[3 sigma + i] with xe[c] = xrow[x0 + c]
    (zero outside 0..xw-1).  Windows inside x read the row in place; those
    reaching past its ends go through a zero-extended copy in ``xe``
    (3 ns + 2 values).
    """
    cdef Py_ssize_t s_lo, s_hi
    if xrow == NULL:
        memset(h, 0, 5 * ns * sizeof(double))
        return
    # windows sigma in [s_lo, s_hi) read columns x0 + 3 sigma .. + 4, all in x
    s_lo = _min(ns, (-x0 + 2) // 3) if x0 < 0 else 0
    s_hi = _max(s_lo, _min(ns, (xw - 5 - x0) // 3 + 1)) if xw - 5 - x0 >= 0 else s_lo
    _wino_x_windows(xrow, xw, x0, 0, s_lo, ns, xe, h)
    if s_lo < s_hi:
        cyconv_wino_bt_row(xrow + x0 + 3 * s_lo, h + s_lo, h + ns + s_lo, h + 2 * ns + s_lo,
                           h + 3 * ns + s_lo, h + 4 * ns + s_lo, s_hi - s_lo)
    _wino_x_windows(xrow, xw, x0, s_hi, ns, ns, xe, h)


cdef void _wino_output_row(const double* m, Py_ssize_t comp_stride, Py_ssize_t n_tiles,
                           double* mu, double* out, Py_ssize_t ow, Py_ssize_t rows,
                           Py_ssize_t cols) noexcept nogil:
    """Output rows 0..rows-1 (at most 3), columns 0..cols-1 (rows ``ow`` apart)
    of one row of tiles from the 25 components.

    ``mu`` holds 15 rows of n_tiles values: AT applied vertically.
    """
    cdef Py_ssize_t u, b
    for b in range(5):
        cyconv_wino_at(m + b * comp_stride, m + (5 + b) * comp_stride,
                       m + (10 + b) * comp_stride, m + (15 + b) * comp_stride,
                       m + (20 + b) * comp_stride, mu + b * n_tiles, mu + (5 + b) * n_tiles,
                       mu + (10 + b) * n_tiles, n_tiles)
    for u in range(rows):
        cyconv_wino_at_row(mu + 5 * u * n_tiles, mu + (5 * u + 1) * n_tiles,
                           mu + (5 * u + 2) * n_tiles, mu + (5 * u + 3) * n_tiles,
                           mu + (5 * u + 4) * n_tiles, out + u * ow, cols)


cdef inline Py_ssize_t _wino_panel(Py_ssize_t ow) noexcept nogil:
    """Output tiles per panel: rows of tiles cut into equal panels of <= WINO_PANEL."""
    cdef Py_ssize_t tiles = (ow + 2) // 3
    cdef Py_ssize_t n_panels = (tiles + WINO_PANEL - 1) // WINO_PANEL
    return (tiles + n_panels - 1) // n_panels


cdef inline Py_ssize_t _wino_n_panels(Py_ssize_t ow, Py_ssize_t panel) noexcept nogil:
    return ((ow + 2) // 3 + panel - 1) // panel


cdef inline double* _ring_row(double* h, Py_ssize_t row, Py_ssize_t ns) noexcept nogil:
    """The slot of x row ``row`` (any sign) in the ring of five transformed rows."""
    return h + (row % 5 + 5) % 5 * 5 * ns


cdef void _wino_unit(const double* x, Py_ssize_t xh, Py_ssize_t xw, const double* u,
                     Py_ssize_t kp, Py_ssize_t kq, double* out, Py_ssize_t oh,
                     Py_ssize_t ow, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t unit,
                     double* ws) noexcept nogil:
    """One unit of work: WINO_STRIP rows by one panel of output tiles.

    ``u``: the 25 transformed kernels, kp x kq each (see winograd_correlate);
    ``ws``: this thread's buffers (winograd_workspace values).
    """
    cdef Py_ssize_t nt = (oh + 2) // 3, panel = _wino_panel(ow)
    cdef Py_ssize_t n_panels = _wino_n_panels(ow, panel)
    cdef Py_ssize_t t0 = unit // n_panels * WINO_STRIP, s0 = unit % n_panels * panel
    cdef Py_ssize_t rs = _min(WINO_STRIP, nt - t0), ss = _min(panel, (ow + 2) // 3 - s0)
    cdef Py_ssize_t nv = rs + kp - 1, ns = ss + kq - 1, c, tl, r, j, b
    cdef Py_ssize_t v_stride = (WINO_STRIP + kp - 1) * (panel + kq - 1)
    cdef Py_ssize_t m_stride = WINO_STRIP * panel
    cdef Py_ssize_t v_shape[2]
    cdef Py_ssize_t k_shape[2]
    cdef Py_ssize_t m_shape[2]
    cdef Py_ssize_t zero_pad[2]
    # buffers: xe (3 ns + 2), h (5 rows of 5 ns: a ring indexed by x row
    # modulo 5), v (25 v_stride), m (25 m_stride), mu (15 ss)
    cdef double* xe = ws
    cdef double* h = xe + 3 * (panel + kq)
    cdef double* v = h + 25 * (panel + kq - 1)
    cdef double* m = v + 25 * v_stride
    cdef double* mu = m + 25 * m_stride
    cdef double* hr[5]
    # input transform: the 5 x 5 windows of tile rows t0 .. t0 + nv - 1
    for tl in range(nv):
        # window rows r .. r + 4; the first two are the previous window's last
        r = 3 * (t0 + tl) - ph
        for j in range(0 if tl == 0 else 2, 5):
            _wino_x_row(x + (r + j) * xw if 0 <= r + j < xh else NULL, xw, 3 * s0 - pw, ns,
                        xe, _ring_row(h, r + j, ns))
        for j in range(5):
            hr[j] = _ring_row(h, r + j, ns)
        for b in range(5):
            cyconv_wino_bt(hr[0] + b * ns, hr[1] + b * ns, hr[2] + b * ns, hr[3] + b * ns,
                           hr[4] + b * ns, v + b * v_stride + tl * ns,
                           v + (5 + b) * v_stride + tl * ns,
                           v + (10 + b) * v_stride + tl * ns,
                           v + (15 + b) * v_stride + tl * ns,
                           v + (20 + b) * v_stride + tl * ns, ns)
    # the 25 component correlations (direct kernels, this thread only)
    v_shape[0] = nv
    v_shape[1] = ns
    k_shape[0] = kp
    k_shape[1] = kq
    m_shape[0] = rs
    m_shape[1] = ss
    zero_pad[0] = zero_pad[1] = 0
    for c in range(25):
        correlate_nd(<const double*>(v + c * v_stride), v_shape, u + c * kp * kq, k_shape,
                     m + c * m_stride, m_shape, zero_pad, 2, 1)
    # output transform, tile row by tile row
    for tl in range(rs):
        _wino_output_row(m + tl * ss, m_stride, ss, mu, out + 3 * (t0 + tl) * ow + 3 * s0, ow,
                         _min(3, oh - 3 * (t0 + tl)), _min(3 * ss, ow - 3 * s0))


cdef Py_ssize_t winograd_workspace(Py_ssize_t kp, Py_ssize_t kq, Py_ssize_t ow) noexcept nogil:
    """float64 values of one thread's buffers for _wino_unit."""
    cdef Py_ssize_t panel = _wino_panel(ow)
    return (3 * (panel + kq) + 25 * (panel + kq - 1)
            + 25 * (WINO_STRIP + kp - 1) * (panel + kq - 1)
            + 25 * WINO_STRIP * panel + 15 * panel)


def winograd_units(Py_ssize_t oh, Py_ssize_t ow):
    """Independent units of work (the most threads can share) for an oh x ow output."""
    return ((oh + 2) // 3 + WINO_STRIP - 1) // WINO_STRIP * _wino_n_panels(ow, _wino_panel(ow))


def winograd_correlate(cnp.ndarray x not None, cnp.ndarray k not None,
                       cnp.ndarray out not None, pad, int n_threads):
    """Fill ``out`` (oh x ow) with ``sum_ab k[a,b] x[i+a-pad0, j+b-pad1]`` (x zero outside).

    The Winograd F(3x3, 3x3) method (see _winograd.pxi); float64, 2-D,
    C-contiguous arrays; ``0 <= pad[d] < k.shape[d] + x.shape[d]``.  Rounding
    differs from the direct kernels (like an FFT's), but the result does not
    depend on ``n_threads``.
    """
    cdef Py_ssize_t xh, xw, kh, kw, oh, ow, ph, pw, kp, kq, n_units, ws_len, j0, j1
    cdef Py_ssize_t batch, s
    cdef int nth
    for name, a in (("x", x), ("k", k), ("out", out)):
        if a.ndim != 2 or cnp.PyArray_TYPE(a) != cnp.NPY_DOUBLE:
            raise TypeError(f"{name} must be a 2-D float64 array")
        if not (cnp.PyArray_IS_C_CONTIGUOUS(a) and cnp.PyArray_ISNOTSWAPPED(a)
                and cnp.PyArray_ISALIGNED(a)):
            raise ValueError(f"{name} must be C-contiguous, aligned, native byte order")
    if not cnp.PyArray_ISWRITEABLE(out):
        raise ValueError("out must be writeable")
    if n_threads < 1:
        raise ValueError("n_threads must be >= 1")
    xh, xw = x.shape[0], x.shape[1]
    kh, kw = k.shape[0], k.shape[1]
    oh, ow = out.shape[0], out.shape[1]
    if min(xh, xw, kh, kw, oh, ow) < 1:
        raise ValueError("arrays must not be empty")
    if len(pad) != 2:
        raise ValueError("pad must have two entries")
    ph, pw = pad[0], pad[1]
    if not (0 <= ph < kh + xh and 0 <= pw < kw + xw):
        raise ValueError("pad out of range")
    kp, kq = (kh + 2) // 3, (kw + 2) // 3
    # the transformed kernels U[a*5+b][p][q] = (G W_pq G^T)[a][b]; G's rows
    # carry the fractions taken out of BT
    g = np.array([[1, 0, 0], [1, 1, 1], [1, -1, 1], [1, 2, 4], [0, 0, 1]], dtype=np.float64)
    g /= np.array([2.0, 2.0, 6.0, 6.0, 1.0])[:, None]
    kpad = np.zeros((3 * kp, 3 * kq))
    kpad[:kh, :kw] = k
    sub = kpad.reshape(kp, 3, kq, 3).transpose(0, 2, 1, 3)
    cdef cnp.ndarray u = np.ascontiguousarray(
        np.einsum("ai,pqij,bj->abpq", g, sub, g).reshape(25, kp, kq))
    n_units = winograd_units(oh, ow)
    nth = <int>_min(n_threads, n_units)
    ws_len = winograd_workspace(kp, kq, ow)
    cdef cnp.ndarray ws = np.empty(nth * ws_len, dtype=np.float64)
    cdef const double* xp = <const double*>cnp.PyArray_DATA(x)
    cdef const double* up = <const double*>cnp.PyArray_DATA(u)
    cdef double* op = <double*>cnp.PyArray_DATA(out)
    cdef double* wp = <double*>cnp.PyArray_DATA(ws)
    cdef bint check = PyThread_get_thread_ident() == _MAIN_THREAD_IDENT
    # batches of units of about BATCH_WORK float64 multiply-adds per thread,
    # with a signal check between batches (see _checked)
    batch = _max(1, BATCH_WORK // (2 * 25 * kp * kq * WINO_STRIP * _wino_panel(ow)))
    batch *= nth
    if not check:
        batch = n_units
    j0 = 0
    while j0 < n_units:
        j1 = _min(n_units, j0 + batch)
        with nogil:
            if nth == 1:
                for s in range(j0, j1):
                    _wino_unit(xp, xh, xw, up, kp, kq, op, oh, ow, ph, pw, s, wp)
            else:
                for s in prange(j0, j1, num_threads=nth, schedule="dynamic"):
                    _wino_unit(xp, xh, xw, up, kp, kq, op, oh, ow, ph, pw, s,
                               wp + threadid() * ws_len)
        j0 = j1
        if j0 < n_units:
            PyErr_CheckSignals()
    return out
