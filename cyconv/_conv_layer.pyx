"""Kernels of the convolution layers (cyconv.nn): forward, grad_input, grad_weight.

One primitive, per spatial axis
-------------------------------
Every kernel call computes, for the index roles p (outer), g (group), q
(output channel-like) and r (reduced channel-like),

    out[p, g, q, o] = bias[g, q] + sum_r sum_t k[p, g, q, r, t] * x[p, g, r, o*os + t*ts - pad]

over up to three spatial axes (1-D and 2-D data are 3-D data with leading
extents of 1), x zero outside its shape.  Element strides for each role are
given by a *plan* (a dict built by cyconv.nn._core and re-checked here), so
one engine serves all three passes of a layer:

* forward:      p = batch, q = C_out, r = C_in;  os = stride, ts = dilation.
* grad_input:   the full correlation of grad_output with the flipped,
  channel-transposed weight: p = batch, q = C_in, r = C_out, os = 1.  A
  stride s > 1 is handled without dilating grad_output: the input positions
  are split into s residue classes per axis; class r only meets the taps
  whose parity matches, which form a sub-sampled kernel, and its outputs are
  written with an output stride of s (``ostr``/``o_off`` in the plan).
* grad_weight:  out = the weight gradient, p = C_in, q = C_out, r = batch;
  the "taps" run over grad_output: os = dilation, ts = stride.

Work layout
-----------
The output is cut into tiles: one output row (all columns) of up to 6
q-channels at one (p, g, z, y) (strategy A), or blocks of rows of up to 4
q-channels for a block of p (strategy B).  ``prange`` runs over tiles; one thread owns
each output element, taps are clipped to the input (zero padding is never
materialised), and each element sums its terms in one fixed order, so the
result is bitwise identical for any thread count.  Two inner loop orders:

* strategy A (lanes along output columns: forward, grad_input).  The taps
  (r, tz, ty, tx) valid for the tile's row are listed once (input offsets +
  weights packed 6 channels wide, a per-thread scratch of weight size,
  re-used by consecutive rows), then a register-blocked micro-kernel holds
  6 channels x 2 vectors of columns in registers over all taps.  Border columns (where
  some taps fall outside the input) are summed one by one.
* strategy B (lanes along tap columns: grad_weight, and any output rows
  shorter than a vector): 12 dot products (4 channels x 3 slots) per pass
  over a pair of kernel/input rows, accumulated into the output.  The slots
  are one output column of 3 consecutive p (an aligned group), so that
  short rows fill every slot and the slots share one tap range.
* strategy N (narrow output rows, at most one wide block, with border
  columns or a partial block): strategy A's micro-kernel on a per-thread
  zero-padded copy of the input rows one output row reads, one tile per
  output row and every q-block in it, weights packed once per group.

The micro-kernels are C with GCC/clang vector extensions
(_conv_layer_micro.h), compiled for the baseline and for AVX2+FMA and picked
at import (_conv_layer_simd.h).  No scratch is larger than the weight (A's
tap list; the planner falls back to B where it would not be).
"""

from cython.parallel cimport parallel, prange
from libc.stdlib cimport calloc, free, malloc

cimport numpy as cnp

from cyconv._kernels cimport _max, _min, axpy, real_t
from cyconv._openmp cimport CYCONV_HAVE_OPENMP

import numpy as np

cnp.import_array()

cdef extern from "_conv_layer_simd.h":
    int cyc_isa_supported(int level) noexcept nogil
    int cyc_select_isa(int level) noexcept nogil
    const char* cyc_isa_name() noexcept nogil
    Py_ssize_t cyc_lanes(int is_f64) noexcept nogil
    int cyc_nv() noexcept nogil
    void cyc_a_f32(const float* x, Py_ssize_t base, Py_ssize_t xstep, const Py_ssize_t* xoff,
                   const float* kp, Py_ssize_t ntaps, const float* binit, float* out,
                   Py_ssize_t ocs, Py_ssize_t ostep, int nc, int nv, int cw) noexcept nogil
    void cyc_a_f64(const double* x, Py_ssize_t base, Py_ssize_t xstep, const Py_ssize_t* xoff,
                   const double* kp, Py_ssize_t ntaps, const double* binit, double* out,
                   Py_ssize_t ocs, Py_ssize_t ostep, int nc, int nv, int cw) noexcept nogil
    void cyc_c_f32(const float* x, Py_ssize_t base, const Py_ssize_t* xoff, const float* kp,
                   Py_ssize_t nrun, Py_ssize_t kw, Py_ssize_t lo, Py_ssize_t hi, int cw,
                   const float* binit, float* out, Py_ssize_t ocs, int nc) noexcept nogil
    void cyc_c_f64(const double* x, Py_ssize_t base, const Py_ssize_t* xoff, const double* kp,
                   Py_ssize_t nrun, Py_ssize_t kw, Py_ssize_t lo, Py_ssize_t hi, int cw,
                   const double* binit, double* out, Py_ssize_t ocs, int nc) noexcept nogil
    void cyc_b_f32(const float* k, const Py_ssize_t* koff, const Py_ssize_t* kc,
                   const float* x, const Py_ssize_t* xoff, const Py_ssize_t* xc,
                   Py_ssize_t nrows, Py_ssize_t n, Py_ssize_t xstep, float* res) noexcept nogil
    void cyc_b_f64(const double* k, const Py_ssize_t* koff, const Py_ssize_t* kc,
                   const double* x, const Py_ssize_t* xoff, const Py_ssize_t* xc,
                   Py_ssize_t nrows, Py_ssize_t n, Py_ssize_t xstep, double* res) noexcept nogil

cdef enum:
    # CBA: q-channels per strategy-A tile (the micro-kernel's register block;
    # a few tiles of 4 cover the rest: 32 = 4 x 6 + 2 x 4)
    CBA = 6
    CB = 4          # q-channels per strategy-B tile
    NT = 3          # output columns per strategy-B pass
    KEY = 8         # per-thread cache key of the packed tap list
    ROWS = 64       # row pairs per strategy-B chunk (one horizontal sum per chunk)


# --------------------------------------------------------------------------
# instruction set
# --------------------------------------------------------------------------

_ISA_LEVELS = {"baseline": 0, "avx2": 1}

cdef int _best = 1 if cyc_isa_supported(1) else 0
cyc_select_isa(_best)


def isa():
    """Name of the instruction set the micro-kernels use now."""
    return cyc_isa_name().decode()


def available_isas():
    """Instruction sets this CPU and build can run, best last."""
    return [name for name, lvl in _ISA_LEVELS.items() if cyc_isa_supported(lvl)]


def set_isa(name):
    """Switch the micro-kernels ('baseline', 'avx2', or None = the best); for tests.

    Not thread-safe with respect to running kernels: call it while none runs.
    """
    level = _best if name is None else _ISA_LEVELS.get(name, -1)
    if level < 0 or cyc_select_isa(level) != 0:
        raise ValueError(f"instruction set {name!r} is not available here "
                         f"(available: {available_isas()})")


def lanes(dtype):
    """SIMD lanes of one vector for ``dtype`` (float32/float64) with the current ISA."""
    return int(cyc_lanes(np.dtype(dtype) == np.float64))


def wide_block(dtype):
    """Output columns of one wide strategy-A block."""
    return int(cyc_lanes(np.dtype(dtype) == np.float64) * cyc_nv())


def openmp_enabled():
    """True when this module was compiled with OpenMP."""
    return bool(CYCONV_HAVE_OPENMP)


# --------------------------------------------------------------------------
# the plan
# --------------------------------------------------------------------------

cdef struct Plan:
    Py_ssize_t nP, G, nQ, nR, nQB
    Py_ssize_t n6         # strategy A: q-blocks of 6 channels (then blocks of 4)
    Py_ssize_t x_sp, x_sg, x_sr
    Py_ssize_t k_sp, k_sg, k_sq, k_sr
    Py_ssize_t o_sp, o_sg, o_sq, o_off
    Py_ssize_t xs[3]      # input extents
    Py_ssize_t ks[3]      # taps per axis
    Py_ssize_t osz[3]     # outputs computed per axis
    Py_ssize_t ostr[3]    # output element stride per output index
    Py_ssize_t ostep[3]   # input step per output index ("os")
    Py_ssize_t tstep[3]   # input step per tap ("ts")
    Py_ssize_t pad[3]     # input offset of output 0, tap 0 (may be negative)
    Py_ssize_t ntaps      # nR * ks[0] * ks[1] * ks[2]
    Py_ssize_t yb         # output rows per strategy-B tile
    Py_ssize_t pb         # p values per strategy-B tile
    Py_ssize_t lanes      # SIMD lanes (strategy A narrow block)
    Py_ssize_t vw         # columns of a wide strategy-A block
    int nv


cdef inline Py_ssize_t _fdiv(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """floor(a / b) for b > 0 (C division truncates towards zero)."""
    cdef Py_ssize_t q = a // b
    if a % b != 0 and a < 0:
        q -= 1
    return q


cdef inline Py_ssize_t _cdiv(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """ceil(a / b) for b > 0."""
    return -_fdiv(-a, b)


cdef inline void _clip(const Plan* P, int d, Py_ssize_t o, Py_ssize_t* lo, Py_ssize_t* hi) noexcept nogil:
    """Taps t of axis d with 0 <= o*os + t*ts - pad < xs: the range [lo, hi) (may be empty)."""
    cdef Py_ssize_t base = o * P.ostep[d] - P.pad[d]
    lo[0] = _max(0, _cdiv(-base, P.tstep[d]))
    hi[0] = _min(P.ks[d], _fdiv(P.xs[d] - 1 - base, P.tstep[d]) + 1)


def q_blocks(Py_ssize_t nq, int strategy):
    """(number of q-blocks, how many of them are 6 wide) for nq q-channels.

    Strategy B uses blocks of 4.  Strategy A uses blocks of 6 (the faster
    micro-kernel) and at most two of 4, wasting as few channels as it can:
    6k -> 6s; 6k+4 -> 6s and one 4; 6k+2 -> 6s and two 4s; 6k+1 and 6k+3 ->
    a 4 with 3 channels; 6k+5 -> a 6 with 5.
    """
    cdef Py_ssize_t k = nq // 6, r = nq % 6, n6
    if strategy == 1:
        return (nq + CB - 1) // CB, 0
    if r == 0 or r == 5:
        n6 = k + (r == 5)
    elif r == 2 or r == 1:
        n6 = k - 1 if k > 0 else 0
    else:
        n6 = k
    return n6 + (nq - 6 * n6 + 3) // 4, n6


cdef inline void _decode(const Plan* P, Py_ssize_t tile, Py_ssize_t* p, Py_ssize_t* g,
                         Py_ssize_t* q0, int* cw, Py_ssize_t* z, Py_ssize_t* y) noexcept nogil:
    # (strategy A)
    cdef Py_ssize_t qb
    # tile = (((p * G + g) * nQB + qb) * osz0 + z) * osz1 + y: rows fastest, so
    # consecutive tiles share their packed taps.
    cdef Py_ssize_t rest = tile // P.osz[1]
    y[0] = tile % P.osz[1]
    z[0] = rest % P.osz[0]
    rest = rest // P.osz[0]
    qb = rest % P.nQB
    if qb < P.n6:
        q0[0] = 6 * qb
        cw[0] = 6
    else:
        q0[0] = 6 * P.n6 + 4 * (qb - P.n6)
        cw[0] = 4
    rest = rest // P.nQB
    g[0] = rest % P.G
    p[0] = rest // P.G


# --------------------------------------------------------------------------
# strategy A: lanes along output columns
# --------------------------------------------------------------------------

cdef inline void _micro_a(const real_t* x, Py_ssize_t base, Py_ssize_t xstep, const Py_ssize_t* xoff,
                          const real_t* kp, Py_ssize_t ntaps, const real_t* binit, real_t* out,
                          Py_ssize_t ocs, Py_ssize_t ostep, int nc, int nv, int cw) noexcept nogil:
    if real_t is float:
        cyc_a_f32(x, base, xstep, xoff, kp, ntaps, binit, out, ocs, ostep, nc, nv, cw)
    else:
        cyc_a_f64(x, base, xstep, xoff, kp, ntaps, binit, out, ocs, ostep, nc, nv, cw)


cdef inline void _column_a(const Plan* P, const real_t* x, Py_ssize_t xb, const Py_ssize_t* xoff,
                           const real_t* kp, Py_ssize_t nrun, const real_t* binit, real_t* orow,
                           Py_ssize_t col, Py_ssize_t nc, int cw) noexcept nogil:
    """One output column whose taps are clipped at the left or right border
    (SIMD lanes along the cw packed channels)."""
    cdef Py_ssize_t lo, hi
    _clip(P, 2, col, &lo, &hi)
    if real_t is float:
        cyc_c_f32(x, xb + col * P.ostep[2], xoff, kp, nrun, P.ks[2], lo, hi, cw, binit,
                  orow + col * P.ostr[2], P.o_sq, <int>nc)
    else:
        cyc_c_f64(x, xb + col * P.ostep[2], xoff, kp, nrun, P.ks[2], lo, hi, cw, binit,
                  orow + col * P.ostr[2], P.o_sq, <int>nc)


cdef void _tile_a(const Plan* P, const real_t* x, const real_t* k, const real_t* bias,
                  real_t* out, Py_ssize_t tile, Py_ssize_t* key, Py_ssize_t* xoff,
                  real_t* kp) noexcept nogil:
    cdef Py_ssize_t p, g, q0, z, y, nc, c, col, r, tz, ty, tx, i, ntaps, nrun
    cdef Py_ssize_t tz_lo, tz_hi, ty_lo, ty_hi, kbase, koff, xrt, xb, xa, xe, step, blk
    cdef Py_ssize_t xw = P.xs[2], plane = P.xs[1] * P.xs[2]
    cdef Py_ssize_t kh = P.ks[1], kw = P.ks[2], ow = P.osz[2]
    cdef real_t binit[CBA + 2]     # read 8 wide by the border kernel
    cdef real_t* orow
    cdef int nv, cw

    _decode(P, tile, &p, &g, &q0, &cw, &z, &y)
    nc = _min(cw, P.nQ - q0)
    orow = out + (P.o_off + p * P.o_sp + g * P.o_sg + q0 * P.o_sq
                  + z * P.ostr[0] + y * P.ostr[1])
    for c in range(CBA + 2):
        binit[c] = bias[g * P.nQ + q0 + c] if (bias != NULL and c < nc) else 0
    _clip(P, 0, z, &tz_lo, &tz_hi)
    _clip(P, 1, y, &ty_lo, &ty_hi)
    if tz_lo >= tz_hi or ty_lo >= ty_hi:
        for c in range(nc):
            for col in range(ow):
                orow[c * P.o_sq + col * P.ostr[2]] = binit[c]
        return

    # The tile's taps (r, tz, ty, tx), tx fastest: input offsets relative to
    # the row base and the weights of 6 channels.  Cached per thread.
    kbase = p * P.k_sp + g * P.k_sg + q0 * P.k_sq
    if not (key[0] == kbase and key[1] == tz_lo and key[2] == tz_hi
            and key[3] == ty_lo and key[4] == ty_hi and key[5] == nc and key[7] == cw):
        i = 0
        for r in range(P.nR):
            for tz in range(tz_lo, tz_hi):
                for ty in range(ty_lo, ty_hi):
                    koff = kbase + r * P.k_sr + (tz * kh + ty) * kw
                    xrt = r * P.x_sr + tz * P.tstep[0] * plane + ty * P.tstep[1] * xw
                    for tx in range(kw):
                        xoff[i] = xrt + tx * P.tstep[2]
                        for c in range(cw):
                            kp[cw * i + c] = k[koff + c * P.k_sq + tx] if c < nc else 0
                        i += 1
        key[0] = kbase
        key[1] = tz_lo
        key[2] = tz_hi
        key[3] = ty_lo
        key[4] = ty_hi
        key[5] = nc
        key[6] = i
        key[7] = cw
    ntaps = key[6]
    nrun = ntaps // kw
    # input offset of (column 0, tap 0): may be negative; base + xoff[t] is not
    xb = (p * P.x_sp + g * P.x_sg + (z * P.ostep[0] - P.pad[0]) * plane
          + (y * P.ostep[1] - P.pad[1]) * xw - P.pad[2])

    # interior columns [xa, xe): every tx inside the input
    xa = _min(ow, _max(0, _cdiv(P.pad[2], P.ostep[2])))
    xe = _max(xa, _min(ow, _fdiv(xw - 1 + P.pad[2] - (kw - 1) * P.tstep[2], P.ostep[2]) + 1))
    if xe - xa >= P.vw:
        step = P.vw
        nv = P.nv
    elif xe - xa >= P.lanes:
        step = P.lanes
        nv = 1
    else:
        step = 0
    if step:
        # whole blocks; the last one is shifted left to end at xe (its
        # overlap is recomputed with the same result)
        blk = xa
        while blk < xe:
            if blk + step > xe:
                blk = xe - step
            _micro_a(x, xb + blk * P.ostep[2], P.ostep[2], xoff, kp, ntaps, binit,
                     orow + blk * P.ostr[2], P.o_sq, P.ostr[2], <int>nc, nv, cw)
            blk += step
    elif xe > xa and P.ostep[2] == 1 and P.ostr[2] == 1:
        # a row shorter than one vector: the foundation's row updates
        for c in range(nc):
            for col in range(xa, xe):
                orow[c * P.o_sq + col] = binit[c]
            for i in range(ntaps):
                axpy(orow + c * P.o_sq + xa, x + (xb + xa + xoff[i]), kp[cw * i + c], xe - xa)
    else:
        xe = xa
    for col in range(xa):
        _column_a(P, x, xb, xoff, kp, nrun, binit, orow, col, nc, cw)
    for col in range(xe, ow):
        _column_a(P, x, xb, xoff, kp, nrun, binit, orow, col, nc, cw)


# --------------------------------------------------------------------------
# strategy B: lanes along tap columns
# --------------------------------------------------------------------------

cdef inline void _edge_b(const real_t* k, const Py_ssize_t* koff, const Py_ssize_t* kc,
                         const real_t* x, const Py_ssize_t* xoff, Py_ssize_t m, Py_ssize_t xcol,
                         Py_ssize_t ts, Py_ssize_t t0, Py_ssize_t t1, real_t* e0, real_t* e1,
                         real_t* e2, real_t* e3) noexcept nogil:
    """Add sum over rows rho < m and taps t0 <= t < t1 of k[koff + kc[c] + t] * x[xoff + xcol + t*ts]."""
    cdef Py_ssize_t t, rho
    cdef real_t a0 = e0[0], a1 = e1[0], a2 = e2[0], a3 = e3[0], v
    cdef const real_t* kr
    for t in range(t0, t1):
        for rho in range(m):
            v = x[xoff[rho] + xcol + t * ts]
            kr = k + koff[rho] + t
            a0 = a0 + kr[kc[0]] * v
            a1 = a1 + kr[kc[1]] * v
            a2 = a2 + kr[kc[2]] * v
            a3 = a3 + kr[kc[3]] * v
    e0[0] = a0
    e1[0] = a1
    e2[0] = a2
    e3[0] = a3


cdef void _tile_b(const Plan* P, const real_t* x, const real_t* k, const real_t* bias,
                  real_t* out, Py_ssize_t tile, Py_ssize_t* scratch) noexcept nogil:
    """Rows [y0, y0 + yb) of 4 q-channels for p in [p0, p0 + pb), at (g, z).

    The row pairs (r, tz, ty) are taken in chunks of ROWS; for each chunk, p
    and output row, 12 dot products (4 channels x 3 output columns) over the
    tap columns valid for all 3 columns, plus the clipped edges one by one,
    are added to the output.  A chunk of k rows is re-used from cache for
    every p and y of the tile; the order of the sums does not depend on pb
    or yb.
    """
    cdef Py_ssize_t p, p0, p1, g, q0, z, y0, y1, y, nc, c, j, nj, col, col0, rho, rho0, rho1, nrho, m
    cdef Py_ssize_t r, tz, ty, rest, tz_lo, tz_hi, ty_lo, ty_hi, lo, hi, ntz, xcol
    cdef real_t e0, e1, e2, e3
    cdef Py_ssize_t ty_min, ty_max, ybase, kbase
    cdef Py_ssize_t* kof = scratch
    cdef Py_ssize_t* xof = scratch + ROWS
    cdef Py_ssize_t* tyv = scratch + 2 * ROWS
    cdef Py_ssize_t* kof2 = scratch + 3 * ROWS
    cdef Py_ssize_t* xof2 = scratch + 4 * ROWS
    cdef Py_ssize_t* koff
    cdef Py_ssize_t* xoff
    cdef Py_ssize_t xw = P.xs[2], plane = P.xs[1] * P.xs[2]
    cdef Py_ssize_t kh = P.ks[1], kw = P.ks[2], ow = P.osz[2]
    cdef Py_ssize_t n_yb = (P.osz[1] + P.yb - 1) // P.yb
    cdef Py_ssize_t lo_j[NT]
    cdef Py_ssize_t hi_j[NT]
    cdef Py_ssize_t pj[NT]
    cdef Py_ssize_t cj[NT]
    cdef Py_ssize_t npj, slot
    cdef bint pgroup = P.k_sp == 0
    cdef real_t* oj
    cdef Py_ssize_t kc[CB]
    cdef Py_ssize_t xc[NT]
    cdef real_t res[CB * NT]
    cdef real_t binit
    cdef real_t* orow
    cdef real_t* obase

    # tile = (((pblock * G + g) * nQB + qb) * osz0 + z) * n_yb + yblock
    rest = tile // n_yb
    y0 = (tile % n_yb) * P.yb
    y1 = _min(P.osz[1], y0 + P.yb)
    z = rest % P.osz[0]
    rest = rest // P.osz[0]
    q0 = (rest % P.nQB) * CB
    rest = rest // P.nQB
    g = rest % P.G
    p0 = (rest // P.G) * P.pb
    p1 = _min(P.nP, p0 + P.pb)
    nc = _min(CB, P.nQ - q0)
    for p in range(p0, p1):
        obase = out + P.o_off + p * P.o_sp + g * P.o_sg + q0 * P.o_sq + z * P.ostr[0]
        for c in range(nc):
            binit = bias[g * P.nQ + q0 + c] if bias != NULL else 0
            for y in range(y0, y1):
                for col in range(ow):
                    obase[c * P.o_sq + y * P.ostr[1] + col * P.ostr[2]] = binit
    _clip(P, 0, z, &tz_lo, &tz_hi)
    ntz = tz_hi - tz_lo
    nrho = P.nR * _max(0, ntz) * kh

    rho0 = 0
    while rho0 < nrho:
        # the chunk's row pairs (r, tz, ty), ty fastest: offsets without the
        # output row y, which only shifts x by y * os * width
        rho1 = _min(nrho, rho0 + ROWS)
        ty = rho0 % kh
        tz = tz_lo + (rho0 // kh) % ntz
        r = rho0 // (kh * ntz)
        ty_min = kh
        ty_max = -1
        for m in range(rho1 - rho0):
            kof[m] = g * P.k_sg + q0 * P.k_sq + r * P.k_sr + (tz * kh + ty) * kw
            xof[m] = (g * P.x_sg + r * P.x_sr
                      + (z * P.ostep[0] + tz * P.tstep[0] - P.pad[0]) * plane
                      + (ty * P.tstep[1] - P.pad[1]) * xw - P.pad[2])
            tyv[m] = ty
            ty_min = _min(ty_min, ty)
            ty_max = _max(ty_max, ty)
            ty += 1
            if ty == kh:
                ty = 0
                tz += 1
                if tz == tz_hi:
                    tz = tz_lo
                    r += 1
        p = p0
        while p < p1:
            # slots: the (p, column) pairs of NT consecutive p (a group
            # aligned to multiples of NT, as pb is), column by column, NT per
            # pass: rows of 1, 2, 4, ... columns waste no slot (the weight
            # gradient of a 1x1 or 4x4 kernel), and the slots of a pass share
            # one column, so its taps need no clipped edge.  The grouping
            # depends on the plan only, so the sums do not depend on pb or
            # the thread count.
            npj = _min(NT, p1 - p) if pgroup else 1
            kbase = p * P.k_sp
            for c in range(CB):
                # missing channels repeat channel 0; their sums are dropped
                kc[c] = kbase + (c if c < nc else 0) * P.k_sq
            for y in range(y0, y1):
                _clip(P, 1, y, &ty_lo, &ty_hi)
                if ty_lo <= ty_min and ty_max < ty_hi:
                    m = rho1 - rho0
                    koff = kof
                    xoff = xof
                else:
                    # rows clipped away at this y: compact the valid ones
                    m = 0
                    for rho in range(rho1 - rho0):
                        if ty_lo <= tyv[rho] < ty_hi:
                            kof2[m] = kof[rho]
                            xof2[m] = xof[rho]
                            m += 1
                    koff = kof2
                    xoff = xof2
                if m == 0:
                    continue
                ybase = y * P.ostep[1] * xw
                orow = out + P.o_off + g * P.o_sg + q0 * P.o_sq + z * P.ostr[0] + y * P.ostr[1]
                col0 = 0
                while col0 < npj * ow:
                    nj = _min(NT, npj * ow - col0)
                    lo = 0
                    hi = kw
                    for j in range(NT):
                        # slots past nj repeat slot 0; their sums are dropped
                        slot = col0 + (j if j < nj else 0)
                        pj[j] = p + slot % npj
                        cj[j] = slot // npj
                        _clip(P, 2, cj[j], &lo_j[j], &hi_j[j])
                        if j < nj:
                            lo = _max(lo, lo_j[j])
                            hi = _min(hi, hi_j[j])
                    if hi > lo:
                        for j in range(NT):
                            xc[j] = pj[j] * P.x_sp + ybase + cj[j] * P.ostep[2] + lo * P.tstep[2]
                        for c in range(CB):
                            kc[c] += lo
                        if real_t is float:
                            cyc_b_f32(k, koff, kc, x, xoff, xc, m, hi - lo, P.tstep[2], res)
                        else:
                            cyc_b_f64(k, koff, kc, x, xoff, xc, m, hi - lo, P.tstep[2], res)
                        for c in range(CB):
                            kc[c] -= lo
                    for j in range(nj):
                        # taps of slot j outside [lo, hi): per tap, one pass
                        # over the rows with the 4 channels side by side
                        xcol = pj[j] * P.x_sp + ybase + cj[j] * P.ostep[2]
                        e0 = e1 = e2 = e3 = 0
                        if hi > lo:
                            _edge_b(k, koff, kc, x, xoff, m, xcol, P.tstep[2], lo_j[j], lo,
                                    &e0, &e1, &e2, &e3)
                            _edge_b(k, koff, kc, x, xoff, m, xcol, P.tstep[2], hi, hi_j[j],
                                    &e0, &e1, &e2, &e3)
                        else:
                            _edge_b(k, koff, kc, x, xoff, m, xcol, P.tstep[2], lo_j[j], hi_j[j],
                                    &e0, &e1, &e2, &e3)
                        oj = orow + pj[j] * P.o_sp + cj[j] * P.ostr[2]
                        if hi > lo:
                            oj[0] += res[j] + e0
                            if nc > 1:
                                oj[P.o_sq] += res[NT + j] + e1
                            if nc > 2:
                                oj[2 * P.o_sq] += res[2 * NT + j] + e2
                            if nc > 3:
                                oj[3 * P.o_sq] += res[3 * NT + j] + e3
                        else:
                            oj[0] += e0
                            if nc > 1:
                                oj[P.o_sq] += e1
                            if nc > 2:
                                oj[2 * P.o_sq] += e2
                            if nc > 3:
                                oj[3 * P.o_sq] += e3
                    col0 += NT
            p += npj
        rho0 = rho1


# --------------------------------------------------------------------------
# strategy N: narrow output rows (at most one wide block), strategy A's
# micro-kernel on a zero-padded copy of the tile's input rows
# --------------------------------------------------------------------------

cdef inline Py_ssize_t _n_width(const Plan* P) noexcept nogil:
    """Columns of the one block that covers a narrow output row (L or 2L)."""
    return P.lanes if P.osz[2] <= P.lanes else P.vw


cdef inline Py_ssize_t _n_row(const Plan* P) noexcept nogil:
    """Elements of one padded input row: every column the block reads."""
    return (_n_width(P) - 1) * P.ostep[2] + (P.ks[2] - 1) * P.tstep[2] + 1


cdef void _pack_n(const Plan* P, const real_t* k, Py_ssize_t g, Py_ssize_t* xoff,
                  real_t* kp) noexcept nogil:
    """Every tap (r, tz, ty, tx) of group g for every q-block, 6 (or 4) channels
    packed side by side, and the taps' offsets in the padded rows."""
    cdef Py_ssize_t qb, q0, nc, c, i, rho, tx, kidx, off = 0
    cdef Py_ssize_t kw = P.ks[2], nrows = P.nR * P.ks[0] * P.ks[1], wrow = _n_row(P)
    cdef Py_ssize_t sk = P.ks[0] * P.ks[1] * P.ks[2]
    cdef int cw
    for rho in range(nrows):
        for tx in range(kw):
            xoff[rho * kw + tx] = rho * wrow + tx * P.tstep[2]
    for qb in range(P.nQB):
        q0 = 6 * qb if qb < P.n6 else 6 * P.n6 + 4 * (qb - P.n6)
        cw = 6 if qb < P.n6 else 4
        nc = _min(cw, P.nQ - q0)
        for i in range(P.ntaps):
            # tap i = (r, tz, ty, tx) in C order
            kidx = g * P.k_sg + (i // sk) * P.k_sr + i % sk
            for c in range(cw):
                kp[off + cw * i + c] = k[kidx + (q0 + c) * P.k_sq] if c < nc else 0
        off += cw * P.ntaps


cdef void _tile_n(const Plan* P, const real_t* x, const real_t* k, const real_t* bias,
                  real_t* out, Py_ssize_t tile, Py_ssize_t* key, Py_ssize_t* xoff,
                  real_t* kp, real_t* rows, real_t* tmp) noexcept nogil:
    """Output row (p, g, z, y), every q-block: the input rows its taps read are
    copied into ``rows``, zero outside the input (padding), so that one block
    of L or 2L columns covers the row with no border column; then the
    micro-kernel runs once per q-block on packed weights cached per group.
    Every output sums all kw * kh * kd * nR taps in the weight's order (taps
    in the padding add exact zeros), whatever the tile order or thread."""
    cdef Py_ssize_t rest, p, g, z, y, r, tz, ty, iz, iy, c, col, qb, q0, nc, rho, src, off
    cdef Py_ssize_t bw = _n_width(P), wrow = _n_row(P), ow = P.osz[2]
    cdef Py_ssize_t xw = P.xs[2], plane = P.xs[1] * P.xs[2], c_lo, c_hi
    cdef real_t binit[CBA + 2]
    cdef real_t* dst
    cdef real_t* orow
    cdef int cw

    y = tile % P.osz[1]
    rest = tile // P.osz[1]
    z = rest % P.osz[0]
    rest = rest // P.osz[0]
    g = rest % P.G
    p = rest // P.G
    if key[0] != g:
        _pack_n(P, k, g, xoff, kp)
        key[0] = g

    # padded row of input columns [-pad, -pad + wrow): column j of the row
    # is input column j - pad; valid ones are [c_lo, c_hi)
    c_lo = _min(wrow, _max(0, P.pad[2]))
    c_hi = _max(c_lo, _min(wrow, xw + P.pad[2]))
    rho = 0
    for r in range(P.nR):
        for tz in range(P.ks[0]):
            iz = z * P.ostep[0] + tz * P.tstep[0] - P.pad[0]
            for ty in range(P.ks[1]):
                iy = y * P.ostep[1] + ty * P.tstep[1] - P.pad[1]
                dst = rows + rho * wrow
                if 0 <= iz < P.xs[0] and 0 <= iy < P.xs[1]:
                    src = p * P.x_sp + g * P.x_sg + r * P.x_sr + iz * plane + iy * xw - P.pad[2]
                    for col in range(c_lo):
                        dst[col] = 0
                    for col in range(c_lo, c_hi):
                        dst[col] = x[src + col]
                    for col in range(c_hi, wrow):
                        dst[col] = 0
                else:
                    for col in range(wrow):
                        dst[col] = 0
                rho += 1

    off = 0
    for qb in range(P.nQB):
        q0 = 6 * qb if qb < P.n6 else 6 * P.n6 + 4 * (qb - P.n6)
        cw = 6 if qb < P.n6 else 4
        nc = _min(cw, P.nQ - q0)
        for c in range(CBA + 2):
            binit[c] = bias[g * P.nQ + q0 + c] if (bias != NULL and c < nc) else 0
        _micro_a(rows, 0, P.ostep[2], xoff, kp + off, P.ntaps, binit, tmp, bw, 1, <int>nc,
                 1 if bw == P.lanes else P.nv, cw)
        orow = out + (P.o_off + p * P.o_sp + g * P.o_sg + q0 * P.o_sq
                      + z * P.ostr[0] + y * P.ostr[1])
        for c in range(nc):
            for col in range(ow):
                orow[c * P.o_sq + col * P.ostr[2]] = tmp[c * bw + col]
        off += cw * P.ntaps


# --------------------------------------------------------------------------
# drivers
# --------------------------------------------------------------------------

cdef inline void _reset_key(Py_ssize_t* key) noexcept nogil:
    """Mark a per-thread tap-list cache as empty (no kbase is negative)."""
    cdef int i
    for i in range(KEY):
        key[i] = -1


cdef int _run_n(const Plan* P, const real_t* x, const real_t* k, const real_t* bias, real_t* out,
                int n_threads, Py_ssize_t chunk) noexcept nogil:
    """Strategy N: one tile per output row; per-thread scratch = the group's packed
    weights + tap offsets + the padded input rows of one tile + one block."""
    cdef Py_ssize_t n_tiles = P.nP * P.G * P.osz[0] * P.osz[1], t
    cdef Py_ssize_t nkp = (6 * P.n6 + 4 * (P.nQB - P.n6)) * P.ntaps + 8
    cdef Py_ssize_t nrows = (P.ntaps // P.ks[2]) * _n_row(P) + 8
    cdef Py_ssize_t nbytes = ((KEY + P.ntaps) * sizeof(Py_ssize_t)
                              + (nkp + nrows + (CBA + 2) * 2 * P.vw) * sizeof(real_t))
    cdef int fail[1]
    cdef Py_ssize_t* scratch = NULL
    fail[0] = 0
    if n_threads <= 1:
        scratch = <Py_ssize_t*>calloc(1, nbytes)
        if scratch == NULL:
            return 1
        _reset_key(scratch)
        for t in range(n_tiles):
            _tile_n(P, x, k, bias, out, t, scratch, scratch + KEY,
                    <real_t*>(scratch + KEY + P.ntaps),
                    <real_t*>(scratch + KEY + P.ntaps) + nkp,
                    <real_t*>(scratch + KEY + P.ntaps) + nkp + nrows)
        free(scratch)
        return 0
    with parallel(num_threads=n_threads):
        scratch = <Py_ssize_t*>calloc(1, nbytes)
        if scratch == NULL:
            fail[0] = 1
        else:
            _reset_key(scratch)
        for t in prange(n_tiles, schedule="dynamic", chunksize=chunk):
            if scratch != NULL:
                _tile_n(P, x, k, bias, out, t, scratch, scratch + KEY,
                        <real_t*>(scratch + KEY + P.ntaps),
                        <real_t*>(scratch + KEY + P.ntaps) + nkp,
                        <real_t*>(scratch + KEY + P.ntaps) + nkp + nrows)
        free(scratch)
    return fail[0]


cdef int _run(const Plan* P, const real_t* x, const real_t* k, const real_t* bias, real_t* out,
              int strategy, int n_threads, Py_ssize_t chunk) noexcept nogil:
    """Run every tile; returns 1 if a per-thread scratch could not be allocated."""
    cdef Py_ssize_t n_tiles = P.nP * P.G * P.nQB * P.osz[0] * P.osz[1]
    cdef Py_ssize_t t
    # per-thread scratch of strategy A: cache key, tap offsets, packed weights
    # (+ 8 so the border kernel may read 8 weights from the last tap)
    cdef Py_ssize_t nbytes = (KEY * sizeof(Py_ssize_t)
                              + P.ntaps * (sizeof(Py_ssize_t) + CBA * sizeof(real_t))
                              + 8 * sizeof(real_t))
    cdef int fail[1]
    cdef Py_ssize_t* scratch = NULL
    fail[0] = 0

    if strategy == 2:
        return _run_n(P, x, k, bias, out, n_threads, chunk)
    if strategy == 1:
        n_tiles = ((P.nP + P.pb - 1) // P.pb) * P.G * P.nQB * P.osz[0] * ((P.osz[1] + P.yb - 1) // P.yb)
        nbytes = 5 * ROWS * sizeof(Py_ssize_t)
        if n_threads <= 1:
            scratch = <Py_ssize_t*>malloc(nbytes)
            if scratch == NULL:
                return 1
            for t in range(n_tiles):
                _tile_b(P, x, k, bias, out, t, scratch)
            free(scratch)
            return 0
        with parallel(num_threads=n_threads):
            scratch = <Py_ssize_t*>malloc(nbytes)
            if scratch == NULL:
                fail[0] = 1
            for t in prange(n_tiles, schedule="dynamic", chunksize=chunk):
                if scratch != NULL:
                    _tile_b(P, x, k, bias, out, t, scratch)
            free(scratch)
        return fail[0]

    if n_threads <= 1:
        scratch = <Py_ssize_t*>calloc(1, nbytes)
        if scratch == NULL:
            return 1
        _reset_key(scratch)
        for t in range(n_tiles):
            _tile_a(P, x, k, bias, out, t, scratch, scratch + KEY,
                    <real_t*>(scratch + KEY + P.ntaps))
        free(scratch)
        return 0

    with parallel(num_threads=n_threads):
        scratch = <Py_ssize_t*>calloc(1, nbytes)
        if scratch == NULL:
            fail[0] = 1
        else:
            _reset_key(scratch)
        for t in prange(n_tiles, schedule="dynamic", chunksize=chunk):
            if scratch != NULL:
                _tile_a(P, x, k, bias, out, t, scratch, scratch + KEY,
                        <real_t*>(scratch + KEY + P.ntaps))
        free(scratch)
    return fail[0]


_INT_KEYS = ("nP", "G", "nQ", "nR", "x_sp", "x_sg", "x_sr", "k_sp", "k_sg", "k_sq", "k_sr",
             "o_sp", "o_sg", "o_sq", "o_off")
_AXIS_KEYS = ("xs", "ks", "osz", "ostr", "ostep", "tstep", "pad")
_LIMIT = 1 << 62


cdef int _check_array(cnp.ndarray a, str name, int typenum, bint write) except -1:
    if cnp.PyArray_TYPE(a) != typenum:
        raise TypeError(f"{name} must have the dtype of x")
    if not cnp.PyArray_IS_C_CONTIGUOUS(a) or not cnp.PyArray_ISALIGNED(a) or not a.dtype.isnative:
        raise ValueError(f"{name} must be C-contiguous, aligned, native byte order")
    if write and not a.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    return 0


def _injective(pairs):
    """True if offsets sum(i_k * stride_k), 0 <= i_k < extent_k, never collide."""
    span = 0
    for stride, extent in sorted((s, e) for s, e in pairs if e > 1):
        if stride <= span:
            return False
        span += (extent - 1) * stride
    return True


def run(cnp.ndarray x not None, cnp.ndarray k not None, cnp.ndarray out not None, bias,
        dict plan not None, int strategy, int n_threads, Py_ssize_t chunk=1, Py_ssize_t yb=1,
        Py_ssize_t pb=1):
    """Fill ``out`` as the plan says (see the module docstring).

    Low-level entry used by :mod:`cyconv.nn._core`.  It re-checks every
    invariant the nogil code relies on -- dtypes, contiguity, every index the
    plan can reach lies inside its array, no two tiles write one element --
    so no plan can make the kernels read or write out of bounds.
    """
    cdef Plan P
    cdef int typenum = cnp.PyArray_TYPE(x), d, failed
    cdef cnp.ndarray b = None
    cdef const void* bp = NULL
    cdef const void* xp
    cdef const void* kp
    cdef void* op

    if typenum not in (cnp.NPY_FLOAT, cnp.NPY_DOUBLE):
        raise TypeError(f"x must be float32 or float64, got {x.dtype}")
    _check_array(x, "x", typenum, False)
    _check_array(k, "k", typenum, False)
    _check_array(out, "out", typenum, True)
    if bias is not None:
        if not isinstance(bias, np.ndarray) or (<cnp.ndarray>bias).ndim != 1:
            raise TypeError("bias must be None or a 1-D ndarray")
        b = <cnp.ndarray>bias
        _check_array(b, "bias", typenum, False)
    if strategy not in (0, 1, 2):
        raise ValueError("strategy must be 0 (A), 1 (B) or 2 (N)")
    if strategy == 2 and int(plan["osz"][2]) > cyc_lanes(typenum == cnp.NPY_DOUBLE) * cyc_nv():
        raise ValueError("strategy 2 (N) needs output rows of at most one wide block")
    if n_threads < 1 or chunk < 1 or yb < 1 or pb < 1:
        raise ValueError("n_threads, chunk, yb and pb must be >= 1")

    vals = {}
    for key in _INT_KEYS:
        vals[key] = int(plan[key])
    for key in _AXIS_KEYS:
        v = tuple(int(e) for e in plan[key])
        if len(v) != 3:
            raise ValueError(f"plan[{key!r}] must have 3 entries")
        vals[key] = v
    for key in ("nP", "G", "nQ", "nR"):
        if not 1 <= vals[key] < _LIMIT:
            raise ValueError(f"plan[{key!r}] must be >= 1")
    for key in ("xs", "ks", "osz", "ostep", "tstep"):
        if not all(1 <= e < _LIMIT for e in vals[key]):
            raise ValueError(f"plan[{key!r}] entries must be >= 1")
    for key in _INT_KEYS[4:] + ("ostr",):
        v = vals[key] if isinstance(vals[key], tuple) else (vals[key],)
        if not all(0 <= e < _LIMIT for e in v):
            raise ValueError(f"plan[{key!r}] must be >= 0")
    if not all(abs(e) < _LIMIT for e in vals["pad"]):
        raise ValueError("plan['pad'] out of range")

    xs, ks, osz, ostr = vals["xs"], vals["ks"], vals["osz"], vals["ostr"]
    ostep, tstep, pad = vals["ostep"], vals["tstep"], vals["pad"]
    nP, G, nQ, nR = vals["nP"], vals["G"], vals["nQ"], vals["nR"]
    sx = xs[0] * xs[1] * xs[2]
    sk = ks[0] * ks[1] * ks[2]
    # every element the tiles can touch lies inside its array
    if (nP - 1) * vals["x_sp"] + (G - 1) * vals["x_sg"] + (nR - 1) * vals["x_sr"] + sx > x.size:
        raise ValueError("plan reads past the end of x")
    if ((nP - 1) * vals["k_sp"] + (G - 1) * vals["k_sg"] + (nQ - 1) * vals["k_sq"]
            + (nR - 1) * vals["k_sr"] + sk > k.size):
        raise ValueError("plan reads past the end of k")
    if (vals["o_off"] + (nP - 1) * vals["o_sp"] + (G - 1) * vals["o_sg"] + (nQ - 1) * vals["o_sq"]
            + sum((osz[d] - 1) * ostr[d] for d in range(3)) + 1 > out.size):
        raise ValueError("plan writes past the end of out")
    if b is not None and b.size < G * nQ:
        raise ValueError("bias is shorter than groups * q-channels")
    if not _injective([(vals["o_sp"], nP), (vals["o_sg"], G), (vals["o_sq"], nQ)]
                      + [(ostr[d], osz[d]) for d in range(3)]):
        raise ValueError("plan maps two outputs to one element of out")
    # intermediate offsets (before clipping) stay far from overflow
    inner = (xs[1] * xs[2], xs[2], 1)
    reach = sum((osz[d] * ostep[d] + ks[d] * tstep[d] + abs(pad[d]) + xs[d]) * inner[d]
                for d in range(3))
    reach += nP * (vals["x_sp"] + vals["k_sp"]) + G * (vals["x_sg"] + vals["k_sg"])
    reach += nR * (vals["x_sr"] + vals["k_sr"]) + nQ * vals["k_sq"] + k.size + out.size
    if reach >= _LIMIT or nR * sk * (CBA + 1) * 8 + 64 >= _LIMIT:
        raise ValueError("sizes too large for this platform")
    for arr in (x, k) + ((b,) if b is not None else ()):
        if np.may_share_memory(out, arr):
            raise ValueError("out must not overlap the inputs")

    P.nP, P.G, P.nQ, P.nR = nP, G, nQ, nR
    P.nQB, P.n6 = q_blocks(nQ, strategy)
    P.x_sp, P.x_sg, P.x_sr = vals["x_sp"], vals["x_sg"], vals["x_sr"]
    P.k_sp, P.k_sg, P.k_sq, P.k_sr = vals["k_sp"], vals["k_sg"], vals["k_sq"], vals["k_sr"]
    P.o_sp, P.o_sg, P.o_sq, P.o_off = vals["o_sp"], vals["o_sg"], vals["o_sq"], vals["o_off"]
    for d in range(3):
        P.xs[d], P.ks[d], P.osz[d], P.ostr[d] = xs[d], ks[d], osz[d], ostr[d]
        P.ostep[d], P.tstep[d], P.pad[d] = ostep[d], tstep[d], pad[d]
    P.ntaps = nR * sk
    P.yb = min(yb, osz[1])
    P.pb = min((pb + NT - 1) // NT * NT, nP)   # whole slot groups of NT p (see _tile_b)
    P.lanes = cyc_lanes(typenum == cnp.NPY_DOUBLE)
    P.nv = cyc_nv()
    P.vw = P.lanes * P.nv

    xp = cnp.PyArray_DATA(x)
    kp = cnp.PyArray_DATA(k)
    op = cnp.PyArray_DATA(out)
    if b is not None:
        bp = cnp.PyArray_DATA(b)
    with nogil:
        if typenum == cnp.NPY_FLOAT:
            failed = _run(&P, <const float*>xp, <const float*>kp, <const float*>bp, <float*>op,
                          strategy, n_threads, chunk)
        else:
            failed = _run(&P, <const double*>xp, <const double*>kp, <const double*>bp, <double*>op,
                          strategy, n_threads, chunk)
    if failed:
        raise MemoryError("could not allocate the per-thread tap list")
    return out
