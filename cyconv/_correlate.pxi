# The body of the direct-correlation kernels, compiled twice from this one
# source: into cyconv._kernels with the compiler's baseline instruction set
# (what any CPU of the architecture runs) and, on x86-64, into
# cyconv._kernels_avx2 with AVX2 + FMA.  cyconv._signal picks the variant the
# CPU supports at import time.  The including module provides the cimports.
cdef enum:
    # Output columns per tile at most, and the L1 budget (bytes) for the
    # input rows one tile reads: (kh + 1) rows of (columns + kw - 1) values.
    COL_BLOCK = 1024
    L1_BUDGET = 24576
    # Float32-equivalent multiply-adds per thread between two checks for
    # signals (Ctrl-C): about 10-30 ms of work, so the check (a GIL round
    # trip) costs well under 1% and an interrupt is seen within ~0.1 s.
    BATCH_WORK = 1 << 27
    # Float32-equivalent multiply-adds per chunk of tiles a thread takes at a
    # time (~20-40 us), and at least CHUNK_TILES tiles: tiles of small kernels
    # are a fraction of a microsecond, and taking them 4 at a time from the
    # shared counter made two threads slower than one (128^3 with a 1x3x3
    # kernel: 1.05 -> 1.41 ms); consecutive tiles also share input rows in
    # the thread's cache (2 threads, W4 4.8 -> 4.4 ms, W8 13.9 -> 13.0 ms).
    CHUNK_WORK = 1 << 20
    CHUNK_TILES = 8
    # Software prefetch in the two-row interior for kernels of at most
    # PREFETCH_TAPS taps per plane on planes of at least PREFETCH_BYTES.
    PREFETCH_TAPS = 25
    PREFETCH_BYTES = 1 << 22
    # Border-mode edge bands of kernels with at most EDGE_TAPS taps are
    # summed point by point (_edge_columns); larger kernels gather a window.
    EDGE_TAPS = 9


cdef inline real_t _correlate_point(const real_t* x, const real_t* k, Py_ssize_t xh,
                                    Py_ssize_t xw, Py_ssize_t kh, Py_ssize_t kw,
                                    Py_ssize_t nc, Py_ssize_t na, Py_ssize_t b_lo,
                                    Py_ssize_t b_hi) noexcept nogil:
    """One output: sum over c < nc, a < na, b_lo <= b < b_hi of k[c,a,b] * x[c,a,b]."""
    cdef real_t acc = 0
    cdef Py_ssize_t c, a, b
    for c in range(nc):
        for a in range(na):
            for b in range(b_lo, b_hi):
                acc += k[(c * kh + a) * kw + b] * x[(c * xh + a) * xw + b]
    return acc


cdef bint _blocked_tile(const real_t* x, const real_t* k, real_t* orow,
                        Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t kh, Py_ssize_t kw,
                        Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t i, Py_ssize_t j0,
                        Py_ssize_t j1, Py_ssize_t a_lo, Py_ssize_t a_hi,
                        Py_ssize_t plane0, Py_ssize_t c_lo, Py_ssize_t c_hi) noexcept nogil:
    """Row i, columns [j0, j1) of a 1-D/2-D/3-D output with real data.

    Input plane ``plane0 + c`` pairs with kernel plane ``c`` (c_lo <= c < c_hi).
    Returns False (and does nothing) when no whole register block fits in
    the interior; the caller then uses the generic path.
    """
    cdef Py_ssize_t ji0 = _max(j0, pw), ji1 = _min(j1, xw - kw + pw + 1), j
    cdef Py_ssize_t nc = c_hi - c_lo, na = a_hi - a_lo
    cdef Py_ssize_t block = CYCONV_BLOCK_BYTES // sizeof(real_t)
    cdef Py_ssize_t narrow = CYCONV_NARROW_BYTES // sizeof(real_t)
    if ji1 - ji0 < narrow:
        return False
    # x at (plane plane0 + c_lo, row i + a_lo - ph, column -pw); k at (c_lo, a_lo, 0)
    cdef const real_t* xb = x + ((plane0 + c_lo) * xh + i + a_lo - ph) * xw - pw
    cdef const real_t* kb = k + (c_lo * kh + a_lo) * kw
    # Wide blocks, then the rest: one wide block shifted left to end at ji1
    # if the interior is wide enough, else narrow blocks, the last one
    # shifted.  A shifted block recomputes a few outputs, with bitwise the
    # same values (same operations, same order), instead of a scalar tail.
    j = ji0
    while j + block <= ji1:
        correlate_block(orow + j, xb + j, xw, xh * xw, kb, kw, kh * kw, nc, na, kw, False)
        j += block
    if j < ji1 and ji1 - ji0 >= block:
        j = ji1 - block
        correlate_block(orow + j, xb + j, xw, xh * xw, kb, kw, kh * kw, nc, na, kw, False)
        j = ji1
    while j < ji1:
        j = _min(j, ji1 - narrow)
        correlate_block(orow + j, xb + j, xw, xh * xw, kb, kw, kh * kw, nc, na, kw, True)
        j += narrow
    for j in range(ji1, j1):  # right border
        orow[j] = _correlate_point(xb + j, kb, xh, xw, kh, kw, nc, na, 0,
                                   _min(kw, xw + pw - j))
    for j in range(j0, ji0):  # left border
        orow[j] = _correlate_point(xb + j, kb, xh, xw, kh, kw, nc, na, pw - j,
                                   _min(kw, xw + pw - j))
    return True


cdef void correlate_row(const scalar_t* x, const Py_ssize_t* x_shape,
                        const scalar_t* k, const Py_ssize_t* k_shape,
                        scalar_t* out, const Py_ssize_t* out_shape,
                        const Py_ssize_t* pad, int ndim, Py_ssize_t q, Py_ssize_t i,
                        Py_ssize_t j0, Py_ssize_t j1) noexcept nogil:
    """Compute columns [j0, j1) of row i of output plane q."""
    cdef int lead = ndim - 2, d
    cdef Py_ssize_t xh = x_shape[lead], xw = x_shape[lead + 1]
    cdef Py_ssize_t kh = k_shape[lead], kw = k_shape[lead + 1]
    cdef Py_ssize_t oh = out_shape[lead], ow = out_shape[lead + 1]
    cdef Py_ssize_t ph = pad[lead], pw = pad[lead + 1]
    cdef scalar_t* orow = out + (q * oh + i) * ow
    cdef Py_ssize_t o_idx[MAX_NDIM]
    cdef Py_ssize_t c_lo[MAX_NDIM]
    cdef Py_ssize_t c_hi[MAX_NDIM]
    cdef Py_ssize_t c[MAX_NDIM]
    cdef Py_ssize_t a, a_lo, a_hi, b, b_lo, b_hi, jlo, jhi, x_off, k_off, rem
    cdef const scalar_t* xrow
    cdef const scalar_t* krow
    cdef bint empty = False

    # Which kernel planes, rows and columns touch this tile (clipped to x).
    rem = q
    for d in range(lead - 1, -1, -1):
        o_idx[d] = rem % out_shape[d]
        rem = rem // out_shape[d]
    for d in range(lead):
        c_lo[d] = _max(0, pad[d] - o_idx[d])
        c_hi[d] = _min(k_shape[d], x_shape[d] + pad[d] - o_idx[d])
        if c_lo[d] >= c_hi[d]:
            empty = True
        c[d] = c_lo[d]
    a_lo = _max(0, ph - i)
    a_hi = _min(kh, xh + ph - i)
    b_lo = _max(0, pw - (j1 - 1))
    b_hi = _min(kw, xw + pw - j0)
    empty = empty or a_lo >= a_hi or b_lo >= b_hi

    if scalar_t is float or scalar_t is double:
        # Interior columns, where every column tap lies inside x, go through
        # the register-blocked kernel; it writes whole sums, so the tile is
        # finished here unless there is no interior block at all.
        if not empty and lead <= 1 and _blocked_tile(
                x, k, orow, xh, xw, kh, kw, ph, pw, i, j0, j1, a_lo, a_hi,
                (o_idx[0] - pad[0]) if lead == 1 else 0,
                c_lo[0] if lead == 1 else 0, c_hi[0] if lead == 1 else 1):
            return
    memset(orow + j0, 0, (j1 - j0) * sizeof(scalar_t))
    if empty:
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


cdef bint _two_rows_tile(const real_t* x, const real_t* k, real_t* orow0,
                         Py_ssize_t xh, Py_ssize_t xw, Py_ssize_t kh, Py_ssize_t kw,
                         Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t ow, Py_ssize_t i,
                         Py_ssize_t j0, Py_ssize_t j1, Py_ssize_t plane0, Py_ssize_t c_lo,
                         Py_ssize_t c_hi, Py_ssize_t x_planes) noexcept nogil:
    """Rows i and i+1, columns [j0, j1), when both rows see every kernel row.

    ``x_planes``: how many planes x has (its size decides the prefetch: a
    volume of small planes is as far out of cache as one large plane).

    Returns False (doing nothing) when the pair does not qualify; the caller
    then computes the rows one by one.
    """
    cdef Py_ssize_t ji0 = _max(j0, pw), ji1 = _min(j1, xw - kw + pw + 1), j, r
    cdef Py_ssize_t width = CYCONV_TWO_ROWS_BYTES // sizeof(real_t)
    cdef Py_ssize_t nc = c_hi - c_lo
    if i < ph or i + kh - ph >= xh or ji1 - ji0 < width or nc <= 0:
        return False
    cdef real_t* orow1 = orow0 + ow
    cdef const real_t* xb = x + ((plane0 + c_lo) * xh + i - ph) * xw - pw
    cdef const real_t* kb = k + c_lo * kh * kw
    # Small float32 kernels on planes larger than the caches are bound by
    # memory traffic: prefetch the two input rows and two output rows the
    # next pair of rows will touch first, a block at a time, one row pair
    # ahead of use (W3: -7..13 %).  In-cache planes would only pay for the
    # extra instructions, and in the float64 build the call in this loop made
    # GCC allocate the micro-kernel's registers worse (W5 +9..23 %, with the
    # prefetch off).
    cdef const real_t* x_next = xb + (kh + 1) * xw
    cdef real_t* o_next = orow0 + 2 * ow
    cdef bint prefetch = (i + 3 + kh - ph < xh and kh * kw <= PREFETCH_TAPS
                          and x_planes * xh * xw * <Py_ssize_t>sizeof(real_t) >= PREFETCH_BYTES)
    j = ji0
    while True:
        # the last block is shifted left to end at ji1 (see _blocked_tile)
        correlate_two_rows(orow0 + j, orow1 + j, xb + j, xw, xh * xw, kb, kw, kh * kw,
                           nc, kh, kw)
        if real_t is float and prefetch:
            cyconv_prefetch_rows(x_next + j, o_next + j, xw * sizeof(real_t),
                                 ow * sizeof(real_t), width * sizeof(real_t))
        if j + width >= ji1:
            break
        j = _min(j + width, ji1 - width)
    for r in range(2):
        for j in range(ji1, j1):  # right border
            orow0[r * ow + j] = _correlate_point(xb + r * xw + j, kb, xh, xw, kh, kw, nc, kh,
                                                 0, _min(kw, xw + pw - j))
        for j in range(j0, ji0):  # left border
            orow0[r * ow + j] = _correlate_point(xb + r * xw + j, kb, xh, xw, kh, kw, nc, kh,
                                                 pw - j, _min(kw, xw + pw - j))
    return True


cdef void _zero_rows(const scalar_t* x, const Py_ssize_t* x_shape,
                     const scalar_t* k, const Py_ssize_t* k_shape,
                     scalar_t* out, const Py_ssize_t* out_shape,
                     const Py_ssize_t* pad, int ndim, Py_ssize_t q, Py_ssize_t i,
                     Py_ssize_t j0, Py_ssize_t j1) noexcept nogil:
    """Rows i and i+1 (if it exists) of output plane q, columns [j0, j1), with x
    zero outside its shape (the taps are clipped to x)."""
    cdef int lead = ndim - 2
    cdef Py_ssize_t oh = out_shape[lead], ow = out_shape[lead + 1]
    cdef Py_ssize_t plane0 = 0, c_lo = 0, c_hi = 1
    # (a one-row kernel shares no input row between the two output rows: the
    # eight-accumulator block of correlate_row then keeps more chains in flight)
    if scalar_t is float or scalar_t is double:
        if lead <= 1 and i + 1 < oh and k_shape[lead] > 1:
            if lead == 1:
                plane0 = q - pad[0]
                c_lo = _max(0, pad[0] - q)
                c_hi = _min(k_shape[0], x_shape[0] + pad[0] - q)
            if _two_rows_tile(x, k, out + (q * oh + i) * ow, x_shape[lead], x_shape[lead + 1],
                              k_shape[lead], k_shape[lead + 1], pad[lead], pad[lead + 1], ow,
                              i, j0, j1, plane0, c_lo, c_hi, x_shape[0] if lead == 1 else 1):
                return
    correlate_row(x, x_shape, k, k_shape, out, out_shape, pad, ndim, q, i, j0, j1)
    if i + 1 < oh:
        correlate_row(x, x_shape, k, k_shape, out, out_shape, pad, ndim, q, i + 1, j0, j1)


cdef inline Py_ssize_t border_index(Py_ssize_t i, Py_ssize_t n, int mode) noexcept nogil:
    """The index in [0, n) that position i of an axis extended by ``mode`` reads,
    or -1 for the constant.  Positions any distance outside (kernels larger
    than x) repeat the pattern, as scipy.ndimage and np.pad do."""
    cdef Py_ssize_t p
    if 0 <= i < n:
        return i
    if mode == BORDER_NEAREST:
        return 0 if i < 0 else n - 1
    if mode == BORDER_WRAP:
        i = i % n
        return i + n if i < 0 else i
    if mode == BORDER_REFLECT:  # period 2n, the edge sample repeated
        p = 2 * n
    elif mode == BORDER_MIRROR:  # period 2n - 2, the edge sample not repeated
        if n == 1:
            return 0
        p = 2 * n - 2
    else:
        return -1
    i = i % p
    if i < 0:
        i += p
    if i < n:
        return i
    return p - 1 - i if mode == BORDER_REFLECT else p - i


cdef inline Py_ssize_t _plane_offset(const Py_ssize_t* x_shape, const Py_ssize_t* o_idx,
                                     const Py_ssize_t* c, const Py_ssize_t* pad, int lead,
                                     int mode) noexcept nogil:
    """Flat index of the x plane that kernel plane c of output plane o_idx reads
    through the border map, or -1 where that is the constant."""
    cdef Py_ssize_t off = 0, t
    cdef int d
    for d in range(lead):
        t = border_index(o_idx[d] + c[d] - pad[d], x_shape[d], mode)
        if t < 0:
            return -1
        off = off * x_shape[d] + t
    return off


cdef void _border_row(const scalar_t* x, const Py_ssize_t* x_shape,
                      const scalar_t* k, const Py_ssize_t* k_shape,
                      scalar_t* out, const Py_ssize_t* out_shape,
                      const Py_ssize_t* pad, int ndim, Py_ssize_t q, Py_ssize_t i,
                      Py_ssize_t j0, Py_ssize_t j1, const Border* border,
                      scalar_t* window) noexcept nogil:
    """Row i of output plane q, columns [j0, j1), reading x through the border map.

    The inputs these outputs read (kernel-sized in every axis but the
    columns) are gathered into ``window`` through :func:`border_index`, and
    the row is then the 'valid' correlation of that window: the same kernels
    as the interior, so no second copy of the loops.
    """
    cdef int lead = ndim - 2, d
    cdef Py_ssize_t xh = x_shape[lead], xw = x_shape[lead + 1]
    cdef Py_ssize_t kh = k_shape[lead], kw = k_shape[lead + 1]
    cdef Py_ssize_t w = j1 - j0, ww = j1 - j0 + kw - 1
    cdef Py_ssize_t x0 = j0 - pad[lead + 1]  # x column of the window's first column
    cdef Py_ssize_t rem, a, t, r, src, n_rows, lo, hi, plane = 0
    cdef Py_ssize_t o_idx[MAX_NDIM]
    cdef Py_ssize_t c[MAX_NDIM]
    cdef Py_ssize_t w_shape[MAX_NDIM]
    cdef Py_ssize_t o_shape[MAX_NDIM]
    cdef Py_ssize_t zero[MAX_NDIM]
    cdef scalar_t cval = 0
    cdef scalar_t* wrow
    cdef const scalar_t* xrow
    if border.mode == BORDER_CONSTANT:
        cval = (<const scalar_t*>border.cval)[0]
    rem = q
    for d in range(lead - 1, -1, -1):
        o_idx[d] = rem % out_shape[d]
        rem = rem // out_shape[d]
    n_rows = kh
    for d in range(lead):
        c[d] = 0
        n_rows *= k_shape[d]
        w_shape[d] = k_shape[d]
        o_shape[d] = 1
    for d in range(ndim):
        zero[d] = 0
    w_shape[lead] = kh
    w_shape[lead + 1] = ww
    o_shape[lead] = 1
    o_shape[lead + 1] = w
    # the columns of the window that lie inside x are copied as a block
    lo = _min(_max(0, -x0), ww)
    hi = _max(lo, _min(ww, xw - x0))
    for r in range(n_rows):
        # window row r: kernel plane (c[0], ..., c[lead-1]), kernel row a
        a = r % kh
        if a == 0:
            plane = _plane_offset(x_shape, o_idx, c, pad, lead, border.mode)
        src = border_index(i + a - pad[lead], xh, border.mode)
        wrow = window + r * ww
        if src < 0 or plane < 0:
            for t in range(ww):
                wrow[t] = cval
        else:
            xrow = x + (plane * xh + src) * xw
            for t in range(lo):
                src = border_index(x0 + t, xw, border.mode)
                wrow[t] = cval if src < 0 else xrow[src]
            memcpy(wrow + lo, xrow + x0 + lo, (hi - lo) * sizeof(scalar_t))
            for t in range(hi, ww):
                src = border_index(x0 + t, xw, border.mode)
                wrow[t] = cval if src < 0 else xrow[src]
        if a == kh - 1:  # next kernel plane (odometer over the leading axes)
            d = lead - 1
            while d >= 0:
                c[d] += 1
                if c[d] < k_shape[d]:
                    break
                c[d] = 0
                d -= 1
    correlate_row(window, w_shape, k, k_shape, out + (q * out_shape[lead] + i) * out_shape[lead + 1]
                  + j0, o_shape, zero, ndim, 0, 0, 0, w)


cdef void _edge_columns(const scalar_t* x, const Py_ssize_t* x_shape,
                        const scalar_t* k, const Py_ssize_t* k_shape,
                        scalar_t* out, const Py_ssize_t* out_shape,
                        const Py_ssize_t* pad, int ndim, Py_ssize_t q, Py_ssize_t i,
                        Py_ssize_t j0, Py_ssize_t j1, const Border* border) noexcept nogil:
    """Row i of plane q, columns [j0, j1), when every tap but the columns' lies
    inside x: each output is summed directly, its columns read through the
    border map.  For the few columns of a small kernel's edge band this is
    far cheaper than gathering a window (sobel 2048^2: -0.5 ms of 3.5)."""
    cdef int lead = ndim - 2, d
    cdef Py_ssize_t xh = x_shape[lead], xw = x_shape[lead + 1]
    cdef Py_ssize_t kh = k_shape[lead], kw = k_shape[lead + 1], pw = pad[lead + 1]
    cdef Py_ssize_t rem, j, r, a, b, col, n_rows = kh, plane = 0
    cdef Py_ssize_t o_idx[MAX_NDIM]
    cdef Py_ssize_t c[MAX_NDIM]
    cdef scalar_t cval = 0, acc
    cdef const scalar_t* xrow
    cdef const scalar_t* krow
    cdef scalar_t* orow = out + (q * out_shape[lead] + i) * out_shape[lead + 1]
    if border.mode == BORDER_CONSTANT:
        cval = (<const scalar_t*>border.cval)[0]
    rem = q
    for d in range(lead - 1, -1, -1):
        o_idx[d] = rem % out_shape[d]
        rem = rem // out_shape[d]
    for d in range(lead):
        n_rows *= k_shape[d]
    for j in range(j0, j1):
        acc = 0
        for d in range(lead):
            c[d] = 0
        for r in range(n_rows):
            a = r % kh
            if a == 0:
                plane = _plane_offset(x_shape, o_idx, c, pad, lead, border.mode)
            xrow = x + (plane * xh + i + a - pad[lead]) * xw
            krow = k + r * kw
            for b in range(kw):
                col = border_index(j + b - pw, xw, border.mode)
                acc = acc + krow[b] * (cval if col < 0 else xrow[col])
            if a == kh - 1:
                d = lead - 1
                while d >= 0:
                    c[d] += 1
                    if c[d] < k_shape[d]:
                        break
                    c[d] = 0
                    d -= 1
        orow[j] = acc


cdef void _border_rows(const scalar_t* x, const Py_ssize_t* x_shape,
                       const scalar_t* k, const Py_ssize_t* k_shape,
                       scalar_t* out, const Py_ssize_t* out_shape,
                       const Py_ssize_t* pad, int ndim, Py_ssize_t q, Py_ssize_t i,
                       Py_ssize_t j0, Py_ssize_t j1, const Border* border,
                       scalar_t* window) noexcept nogil:
    """Rows i and i+1 (if it exists) of plane q, columns [j0, j1), x extended by
    ``border``: where every tap but the columns' lies inside x, the interior
    columns run the zero-extension path (it reads only x there) and only
    the column bands at the two ends go through the border map."""
    cdef int lead = ndim - 2, d
    cdef Py_ssize_t oh = out_shape[lead], rows = 2 if i + 1 < oh else 1
    cdef Py_ssize_t ci0, ci1, rem, o, r
    cdef Py_ssize_t narrow = CYCONV_NARROW_BYTES // sizeof(scalar_t)
    cdef Py_ssize_t taps = 1
    cdef bint bands, thin
    cdef bint inner = i >= pad[lead] and i + rows - 1 - pad[lead] + k_shape[lead] <= x_shape[lead]
    for d in range(ndim):
        taps *= k_shape[d]
    rem = q
    for d in range(lead - 1, -1, -1):
        o = rem % out_shape[d]
        rem = rem // out_shape[d]
        inner = inner and o >= pad[d] and o - pad[d] + k_shape[d] <= x_shape[d]
    ci0 = _min(_max(j0, pad[lead + 1]), j1)
    ci1 = _max(ci0, _min(j1, x_shape[lead + 1] - k_shape[lead + 1] + pad[lead + 1] + 1))
    bands = j0 < ci0 or ci1 < j1
    thin = ci0 - j0 < narrow and j1 - ci1 < narrow
    if not inner or ci0 == ci1 or (bands and thin and taps > EDGE_TAPS):
        # the whole tile through the window: outside x in rows or planes, or
        # bands too narrow for the SIMD blocks with a kernel too large to sum
        # them point by point (the window's copy is one read per kernel row
        # and output, ~1/kw of the work)
        ci0 = ci1 = j1
    else:
        _zero_rows(x, x_shape, k, k_shape, out, out_shape, pad, ndim, q, i, ci0, ci1)
        if bands and thin:
            for r in range(rows):
                _edge_columns(x, x_shape, k, k_shape, out, out_shape, pad, ndim, q, i + r, j0,
                              ci0, border)
                _edge_columns(x, x_shape, k, k_shape, out, out_shape, pad, ndim, q, i + r, ci1,
                              j1, border)
            return
    for r in range(rows):
        if j0 < ci0:
            _border_row(x, x_shape, k, k_shape, out, out_shape, pad, ndim, q, i + r, j0, ci0,
                        border, window)
        if ci1 < j1:
            _border_row(x, x_shape, k, k_shape, out, out_shape, pad, ndim, q, i + r, ci1, j1,
                        border, window)


cdef void correlate_tile(const scalar_t* x, const Py_ssize_t* x_shape,
                         const scalar_t* k, const Py_ssize_t* k_shape,
                         scalar_t* out, const Py_ssize_t* out_shape,
                         const Py_ssize_t* pad, int ndim,
                         Py_ssize_t tile, Py_ssize_t n_col_blocks,
                         Py_ssize_t col_block, const Border* border,
                         scalar_t* window) noexcept nogil:
    """Compute one tile: rows 2p and 2p+1 of output plane q, column block jb."""
    cdef int lead = ndim - 2
    cdef Py_ssize_t oh = out_shape[lead], ow = out_shape[lead + 1]
    cdef Py_ssize_t jb = tile % n_col_blocks
    cdef Py_ssize_t rest = tile // n_col_blocks
    cdef Py_ssize_t pairs = (oh + 1) // 2
    cdef Py_ssize_t i = 2 * (rest % pairs), q = rest // pairs
    cdef Py_ssize_t j0 = jb * col_block, j1 = _min(ow, j0 + col_block)
    if border.mode == BORDER_ZERO:
        _zero_rows(x, x_shape, k, k_shape, out, out_shape, pad, ndim, q, i, j0, j1)
    else:
        _border_rows(x, x_shape, k, k_shape, out, out_shape, pad, ndim, q, i, j0, j1, border,
                     window)


cdef inline Py_ssize_t _col_block(const Py_ssize_t* k_shape, int ndim,
                                  Py_ssize_t itemsize) noexcept nogil:
    # Column blocks narrow enough that the input rows of a tile stay in L1
    # (large kernels), in multiples of 64; a function of the shapes only, so
    # the tiling, and thus every result, is the same for any thread count.
    cdef Py_ssize_t col_block = L1_BUDGET // ((k_shape[ndim - 2] + 1) * itemsize)
    return _max(64, _min(COL_BLOCK, col_block - k_shape[ndim - 1]) // 64 * 64)


cdef void _run_tiles(const scalar_t* x, const Py_ssize_t* x_shape,
                     const scalar_t* k, const Py_ssize_t* k_shape,
                     scalar_t* out, const Py_ssize_t* out_shape,
                     const Py_ssize_t* pad, int ndim, int n_threads,
                     Py_ssize_t t0, Py_ssize_t t1, Py_ssize_t n_col_blocks,
                     Py_ssize_t col_block, const Border* border) noexcept nogil:
    """Compute tiles [t0, t1).  Each output element lies in exactly one tile and
    is computed there in full, so how the tiles are split into calls, chunks
    and threads never changes a value.  Thread n uses window buffer n of
    ``border.scratch``."""
    cdef Py_ssize_t t, c, lo, hi, chunk, n_chunks
    if n_threads <= 1 or t1 - t0 == 1:
        for t in range(t0, t1):
            correlate_tile(x, x_shape, k, k_shape, out, out_shape, pad, ndim, t, n_col_blocks,
                           col_block, border, <scalar_t*>border.scratch)
        return
    # chunks of about CHUNK_WORK (at least CHUNK_TILES tiles), but at least 8
    # chunks per thread for balance
    chunk = CHUNK_WORK // _max(1, _tile_work(x, k_shape, out_shape, ndim, col_block))
    chunk = _max(1, _min(_max(chunk, CHUNK_TILES), (t1 - t0) // (8 * n_threads)))
    n_chunks = (t1 - t0 + chunk - 1) // chunk
    for c in prange(n_chunks, num_threads=n_threads, schedule="dynamic"):
        lo = t0 + c * chunk
        hi = _min(t1, lo + chunk)
        for t in range(lo, hi):
            correlate_tile(x, x_shape, k, k_shape, out, out_shape, pad, ndim, t, n_col_blocks,
                           col_block, border,
                           <scalar_t*>(border.scratch + threadid() * border.scratch_bytes))


cdef Py_ssize_t _tile_work(const scalar_t* x, const Py_ssize_t* k_shape,
                           const Py_ssize_t* out_shape, int ndim,
                           Py_ssize_t col_block) noexcept nogil:
    """Upper bound of the work of one tile (2 rows x one column block x every
    tap), weighted by the cost of one multiply-add of the type relative to
    float32 SIMD: scalar 64-bit integer and complex arithmetic are slower.
    (``x`` only selects the specialisation.)"""
    cdef Py_ssize_t ksize = 1, work
    cdef int d
    for d in range(ndim):
        ksize = _min(ksize * k_shape[d], <Py_ssize_t>1 << 40)
    work = 2 * _min(col_block, out_shape[ndim - 1]) * ksize
    if scalar_t is double:
        work *= 2
    elif scalar_t is complex64_t:
        work *= 4
    elif scalar_t is complex128_t or scalar_t is uint64_t or scalar_t is longdouble_t:
        work *= 8
    elif scalar_t is clongdouble_t:
        work *= 32
    return work


cdef Py_ssize_t _n_tiles(const Py_ssize_t* out_shape, int ndim,
                         Py_ssize_t n_col_blocks) noexcept nogil:
    cdef Py_ssize_t planes = 1
    cdef int d
    for d in range(ndim - 2):
        planes *= out_shape[d]
    # a tile is two rows of one plane, cut into column blocks
    return planes * ((out_shape[ndim - 2] + 1) // 2) * n_col_blocks


cdef void correlate_nd(const scalar_t* x, const Py_ssize_t* x_shape,
                       const scalar_t* k, const Py_ssize_t* k_shape,
                       scalar_t* out, const Py_ssize_t* out_shape,
                       const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil:
    """out = k correlated with zero-extended x (see _kernels.pxd); ndim >= 2."""
    cdef Py_ssize_t col_block = _col_block(k_shape, ndim, sizeof(scalar_t))
    cdef Py_ssize_t n_col_blocks = (out_shape[ndim - 1] + col_block - 1) // col_block
    cdef Border zero
    zero.mode = BORDER_ZERO
    zero.cval = NULL
    zero.scratch = NULL
    zero.scratch_bytes = 0
    _run_tiles(x, x_shape, k, k_shape, out, out_shape, pad, ndim, n_threads, 0,
               _n_tiles(out_shape, ndim, n_col_blocks), n_col_blocks, col_block, &zero)


cdef inline Py_ssize_t _window_size(const Py_ssize_t* k_shape, int ndim,
                                    Py_ssize_t itemsize) noexcept nogil:
    """Elements of the window buffer one thread needs for a border mode: every
    kernel plane and row by a column block plus the kernel's width."""
    cdef Py_ssize_t n = _col_block(k_shape, ndim, itemsize) + k_shape[ndim - 1] - 1
    cdef int d
    for d in range(ndim - 1):
        n *= k_shape[d]
    return n


cdef int _checked(const scalar_t* x, const Py_ssize_t* x_shape,
                  const scalar_t* k, const Py_ssize_t* k_shape,
                  scalar_t* out, const Py_ssize_t* out_shape,
                  const Py_ssize_t* pad, int ndim, int n_threads,
                  bint check_signals, const Border* border) except -1 nogil:
    """correlate_nd, stopping at the first pending signal whose handler raises.

    The tiles run in batches of about BATCH_WORK multiply-adds per thread
    (~10-50 ms); between batches the calling thread takes the GIL and calls
    PyErr_CheckSignals(), so Ctrl-C (KeyboardInterrupt) stops a long call
    within one batch.  ``check_signals`` is false off the main thread, where
    Python never runs signal handlers, and then no batch boundary exists.
    """
    cdef Py_ssize_t col_block = _col_block(k_shape, ndim, sizeof(scalar_t))
    cdef Py_ssize_t n_col_blocks = (out_shape[ndim - 1] + col_block - 1) // col_block
    cdef Py_ssize_t n_tiles = _n_tiles(out_shape, ndim, n_col_blocks)
    cdef Py_ssize_t tile_work = _tile_work(x, k_shape, out_shape, ndim, col_block)
    cdef Py_ssize_t batch, t0, t1
    batch = _max(1, (BATCH_WORK // _max(1, tile_work)) * _max(1, n_threads))
    if not check_signals or batch >= n_tiles:
        _run_tiles(x, x_shape, k, k_shape, out, out_shape, pad, ndim, n_threads, 0, n_tiles,
                   n_col_blocks, col_block, border)
        return 0
    t0 = 0
    while t0 < n_tiles:
        t1 = _min(n_tiles, t0 + batch)
        _run_tiles(x, x_shape, k, k_shape, out, out_shape, pad, ndim, n_threads, t0, t1,
                   n_col_blocks, col_block, border)
        t0 = t1
        if t0 < n_tiles:
            with gil:
                PyErr_CheckSignals()  # raises (returns -1) if a handler raised
    return 0


cdef unsigned long _MAIN_THREAD_IDENT = threading.main_thread().ident


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
              pad, int n_threads, int border=BORDER_ZERO, cnp.ndarray cval=None):
    """Fill ``out`` with the direct correlation of ``x`` with ``k`` (see module doc).

    Low-level entry used by :mod:`cyconv._signal` and :mod:`cyconv._ndimage`;
    it re-checks every invariant the nogil code relies on, so no call can
    read or write out of bounds.  ``x``, ``k``, ``out``: C-contiguous arrays
    of one dtype among float32, float64, complex64, complex128, uint64,
    longdouble, clongdouble, same
    ndim (1..32); ``pad``: a sequence of ndim ints with
    ``0 <= pad[d] < k.shape[d] + x.shape[d]``.  ``border``: how x is extended
    outside its shape, a BORDER_* code of _kernels.pxd (0: zeros, 1: ``cval``,
    a one-element array of the dtype, 2: reflect, 3: mirror, 4: nearest,
    5: wrap).
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
    cdef bint check
    cdef Border b
    cdef cnp.ndarray scratch = None

    if not (1 <= ndim <= MAX_NDIM - 1) or k.ndim != ndim or out.ndim != ndim:
        raise ValueError(f"x, k and out must share one ndim in 1..{MAX_NDIM - 1}")
    if cnp.PyArray_TYPE(k) != typenum or cnp.PyArray_TYPE(out) != typenum:
        raise TypeError("x, k and out must have the same dtype")
    if typenum not in (cnp.NPY_FLOAT, cnp.NPY_DOUBLE, cnp.NPY_CFLOAT, cnp.NPY_CDOUBLE, cnp.NPY_UINT64,
                       cnp.NPY_LONGDOUBLE, cnp.NPY_CLONGDOUBLE):
        raise TypeError(f"unsupported kernel dtype {x.dtype}")
    if not (cnp.PyArray_IS_C_CONTIGUOUS(x) and cnp.PyArray_IS_C_CONTIGUOUS(k)
            and cnp.PyArray_IS_C_CONTIGUOUS(out)):
        raise ValueError("x, k and out must be C-contiguous")
    # numpy's C macros, not .dtype/.flags: those build Python objects (W10)
    if not (cnp.PyArray_ISNOTSWAPPED(x) and cnp.PyArray_ISNOTSWAPPED(k)
            and cnp.PyArray_ISNOTSWAPPED(out) and cnp.PyArray_ISWRITEABLE(out)
            and cnp.PyArray_ISALIGNED(x) and cnp.PyArray_ISALIGNED(k)
            and cnp.PyArray_ISALIGNED(out)):
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

    b.mode = border
    b.cval = NULL
    b.scratch = NULL
    b.scratch_bytes = 0
    if border != BORDER_ZERO:
        if not BORDER_CONSTANT <= border <= BORDER_WRAP:
            raise ValueError(f"unknown border code {border}")
        if border == BORDER_CONSTANT:
            if cval is None or cval.size != 1 or cnp.PyArray_TYPE(cval) != typenum \
                    or not cnp.PyArray_ISBEHAVED_RO(cval):
                raise TypeError("border=BORDER_CONSTANT needs cval: one aligned element "
                                "of the kernel dtype")
            b.cval = cnp.PyArray_DATA(cval)
        # one window buffer per thread, 64-byte apart (no false sharing)
        b.scratch_bytes = (_window_size(ks, ndim, x.itemsize) * x.itemsize + 63) // 64 * 64
        scratch = np.empty(n_threads * b.scratch_bytes, dtype=np.uint8)
        b.scratch = <char*>cnp.PyArray_DATA(scratch)

    # Only the main thread runs Python signal handlers: elsewhere there is
    # nothing to check and no reason to take the GIL between batches.
    check = PyThread_get_thread_ident() == _MAIN_THREAD_IDENT
    xp = cnp.PyArray_DATA(x)
    kp = cnp.PyArray_DATA(k)
    op = cnp.PyArray_DATA(out)
    with nogil:
        if typenum == cnp.NPY_FLOAT:
            _checked(<const float*>xp, xs, <const float*>kp, ks, <float*>op, os, ps, ndim,
                     n_threads, check, &b)
        elif typenum == cnp.NPY_DOUBLE:
            _checked(<const double*>xp, xs, <const double*>kp, ks, <double*>op, os, ps, ndim,
                     n_threads, check, &b)
        elif typenum == cnp.NPY_CFLOAT:
            _checked(<const complex64_t*>xp, xs, <const complex64_t*>kp, ks, <complex64_t*>op,
                     os, ps, ndim, n_threads, check, &b)
        elif typenum == cnp.NPY_CDOUBLE:
            _checked(<const complex128_t*>xp, xs, <const complex128_t*>kp, ks,
                     <complex128_t*>op, os, ps, ndim, n_threads, check, &b)
        elif typenum == cnp.NPY_UINT64:
            _checked(<const uint64_t*>xp, xs, <const uint64_t*>kp, ks, <uint64_t*>op, os, ps,
                     ndim, n_threads, check, &b)
        elif typenum == cnp.NPY_LONGDOUBLE:
            _checked(<const longdouble_t*>xp, xs, <const longdouble_t*>kp, ks,
                     <longdouble_t*>op, os, ps, ndim, n_threads, check, &b)
        else:
            _checked(<const clongdouble_t*>xp, xs, <const clongdouble_t*>kp, ks,
                     <clongdouble_t*>op, os, ps, ndim, n_threads, check, &b)
    return out


def correlate_new(cnp.ndarray x not None, cnp.ndarray k not None, pad, tuple out_shape,
                  cnp.dtype dtype not None, int n_threads, int border=BORDER_ZERO,
                  cnp.ndarray cval=None):
    """:func:`correlate` into a new array of ``out_shape`` and ``dtype``.

    ``x`` and ``k`` are first made C-contiguous arrays of ``dtype`` (no copy
    when they already are).  The checks use numpy's C macros: for the
    smallest calls (W10: 32x32 by 3x3) the Python-level versions cost more
    than the arithmetic.
    """
    cdef cnp.npy_intp dims[MAX_NDIM]
    cdef int d, ndim = len(out_shape)
    if not 1 <= ndim <= MAX_NDIM - 1:
        raise ValueError(f"out_shape must have 1..{MAX_NDIM - 1} entries")
    for d in range(ndim):
        dims[d] = out_shape[d]
    # (an unaligned array, e.g. unpickled from a byte stream, is copied too)
    if <object>cnp.PyArray_DESCR(x) is not dtype or not cnp.PyArray_ISCARRAY_RO(x):
        x = np.array(x, dtype=dtype, order="C")
    if <object>cnp.PyArray_DESCR(k) is not dtype or not cnp.PyArray_ISCARRAY_RO(k):
        k = np.array(k, dtype=dtype, order="C")
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(ndim, dims, cnp.PyArray_TYPE(x), 0)
    return correlate(x, k, out, pad, n_threads, border, cval)


include "_winograd.pxi"
