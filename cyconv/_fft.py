"""FFT convolution (scipy.fft when installed, else numpy.fft) and the one
place that chooses the method.

Cost model (``choose_method``)
------------------------------
direct: ``macs * DIRECT_NS[dtype] / threads``, where ``macs`` is the exact
number of multiply-adds the direct kernel performs for the mode;
fft: ``FFT_NS[dtype] * fft_plan(...).cost / speed-up(threads)``, the model
cost of the cheapest FFT plan (one whole transform, or overlap-save tiles;
see :func:`fft_plan`).  The constants were calibrated on the development
machine (2-core AMD EPYC Zen 4, AVX2 + FMA kernel variant) by
``benchmarks/calibrate_method.py``: it times cyconv's direct kernel and its
FFT path on one thread over six 1-D/2-D/3-D problems (kernels from 5^3 to
31^2 taps) per dtype and prints the median ns per unit, which were copied
here (2026-11-27, after the tiled FFT).

Exactness rules come before speed: integer and bool inputs go to the FFT
only if every partial sum is exactly representable in float64 (the bound
``max|in1| * max|in2| * min(in1.size, in2.size) < 2**52``, scipy's rule)
*and* the FFT's rounding error stays below 0.5, so that rounding gives the
exact integer.  That error is bounded norm-wise by about
``eps * log2(N) * ||in1||_2 * ||in2||_2`` (N the padded FFT size); we ask
``max|in1| * max|in2| * sqrt(in1.size * in2.size) * log2(N) < 2**49``, a
margin of 4 over that estimate.  scipy's rule alone is not enough: constant
inputs just under it come out of the FFT off by up to 5.

Floating-point inputs have a dynamic-range guard.  The FFT's error on every
output is about ``eps * max|in1| * max|in2|`` (times slowly growing factors),
whatever that output's own size; where the data span many orders of
magnitude (1e-8 .. 1e8), the small outputs are swamped by the rounding error
of the large ones, while the direct method keeps each output's relative
accuracy.  With ``R(a) = max|a| / q10(a)``, ``q10`` the 10th percentile of
the nonzero ``|a|`` (a robust "small value": one stray tiny sample does not
count; on large arrays it is taken on an evenly strided sample of 16,384), the
FFT is chosen only if ``eps * R(in1) * R(in2) <= 2**-10`` (``eps`` of the
FFT's dtype: float32 for float16/float32/complex64 results, else float64),
i.e. typical small outputs keep about three correct digits.  Inputs with
NaN or inf always go direct (the FFT would spread them over every output).
The scan runs only when the cost model has already picked the FFT.
"""

import concurrent.futures
import importlib
import itertools
import math
import os
import threading
import warnings

import numpy as np

from cyconv import _threads

# ns per multiply-add of the direct kernel on one thread, by compute dtype
DIRECT_NS = {"f4": 0.039, "f8": 0.078, "c8": 0.50, "c16": 0.59, "u8": 0.41}
# ns per kernel call of a batched direct correlation (one call per batch
# element where each has its own kernel: Python-level slicing and checks;
# 1.5 us measured on 400,000 elements of 6 by 3, 2026-12-06)
DIRECT_CALL_NS = 1500
# ns per model unit of FFTPlan.cost (see fft_plan), by FFT dtype
FFT_NS = {"f4": 0.62, "f8": 1.3, "c8": 0.55, "c16": 0.98}
# The Winograd method (2-D float64 only, see _winograd.pxi) on one thread: ns
# per multiply-add of its 25 component correlations, per output for its two
# transforms (least squares by benchmarks/calibrate_method.py, best of 3 as
# for DIRECT_NS, 2026-11-27), and per call; direct and Winograd cross near
# 11^2..13^2 kernels, Winograd and the FFT near 31^2..45^2.
WINOGRAD_NS_MAC = 0.067
WINOGRAD_NS_OUT = 7.7
WINOGRAD_NS_CALL = 100_000


def next_fast_len(n):
    """Smallest 2**a * 3**b * 5**c >= n (sizes pocketfft transforms fastest)."""
    if n <= 6:
        return max(1, n)
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            # smallest power of two that lifts p35 to >= n
            q = -(-n // p35)
            p2 = 1 << (q - 1).bit_length()
            cand = p2 * p35
            if cand < best:
                best = cand
            p35 *= 3
        p5 *= 5
    return best


def _pair_count(n, m, pad, out):
    """Multiply-adds along one axis: pairs (o < out, t < m) with 0 <= o + t - pad < n."""
    # tap t reaches the outputs o in [max(0, pad - t), min(out, n + pad - t))
    t = np.arange(m, dtype=np.int64)
    lens = np.minimum(out, n + pad - t) - np.maximum(0, pad - t)
    return int(np.clip(lens, 0, None).sum())


def direct_macs(shape1, shape2, mode):
    """Exact multiply-add count of the direct kernel for correlate/convolve."""
    total = 1
    for n1, n2 in zip(shape1, shape2):
        if mode == "full":
            total *= n1 * n2
        elif mode == "valid":
            total *= (abs(n1 - n2) + 1) * min(n1, n2)
        else:
            total *= _pair_count(n1, n2, n2 // 2, n1)
    return total


def _int_fft_exact(in1, in2, n_fft):
    """True when an FFT of these integers rounds back to the exact result.

    scipy's rule (every partial sum fits float64's mantissa) plus a bound on
    the FFT's own rounding error (see the module docstring).
    """
    def maxabs(a):
        return max(abs(int(a.max())), abs(int(a.min())))
    m = maxabs(in1) * maxabs(in2)
    if m * min(in1.size, in2.size) >= 2 ** 52:
        return False
    return m * math.sqrt(in1.size * in2.size) * math.log2(max(n_fft, 2)) < 2 ** 49


# The FFT is chosen for float inputs only while eps * R(in1) * R(in2) stays
# at or below this (see the module docstring).
DYNAMIC_RANGE_TOL = 2.0 ** -10
_RANGE_SAMPLE = 1 << 14


def _dynamic_range(a):
    """max|a| / (10th percentile of nonzero |a|); inf for NaN/inf; 1 for all zeros.

    Never copies ``a`` (it may be a huge broadcast view): NaN/inf show in
    max/min, and the percentile is taken on at most _RANGE_SAMPLE elements.
    """
    a = np.asarray(a)
    for part in ((a.real, a.imag) if a.dtype.kind == "c" else (a,)):
        if not (math.isfinite(part.max()) and math.isfinite(part.min())):
            return math.inf
    if a.size > _RANGE_SAMPLE:
        if a.flags.c_contiguous:
            a = a.reshape(-1)[:: a.size // _RANGE_SAMPLE]
        else:
            idx = np.linspace(0, a.size - 1, _RANGE_SAMPLE).astype(np.intp)
            a = a[np.unravel_index(idx, a.shape)]
    mag = np.abs(a.reshape(-1))
    nz = mag[mag > 0]
    if nz.size == 0:
        return 1.0
    k = nz.size // 10
    return float(nz.max()) / float(np.partition(nz, k)[k])


def fft_accurate(in1, in2, result):
    """False when float inputs span too wide a range for the FFT (or hold NaN/inf)."""
    eps = float(np.finfo(_fft_dtype(result)).eps)
    r1 = _dynamic_range(in1)
    if eps * r1 > DYNAMIC_RANGE_TOL:
        return False
    return eps * r1 * _dynamic_range(in2) <= DYNAMIC_RANGE_TOL


def _dtype_key(dt):
    if dt.kind in "biu":
        return "u8"
    if dt.kind == "f":
        return "f4" if dt.itemsize <= 4 else "f8"
    return "c8" if dt.itemsize <= 8 else "c16"


def winograd_cost(kernel_shape, out_shape):
    """Model ns of the Winograd method on one thread (2-D)."""
    kp, kq = -(-kernel_shape[0] // 3), -(-kernel_shape[1] // 3)
    tiles = -(-out_shape[0] // 3) * -(-out_shape[1] // 3)
    return (WINOGRAD_NS_MAC * 25 * kp * kq * tiles
            + WINOGRAD_NS_OUT * out_shape[0] * out_shape[1] + WINOGRAD_NS_CALL)


def _kernel_and_out(shape1, shape2, mode):
    """The kernel's shape (as the direct path swaps) and the output's, per mode."""
    if mode == "valid":
        kernel = shape2 if _covers(shape1, shape2) else shape1
        return kernel, tuple(abs(a - b) + 1 for a, b in zip(shape1, shape2))
    if mode == "full":
        kernel = shape1 if math.prod(shape2) > math.prod(shape1) else shape2
        return kernel, tuple(a + b - 1 for a, b in zip(shape1, shape2))
    return shape2, tuple(shape1)


def choose_method(in1, in2, mode, batched=None):
    """'direct', 'fft' or 'winograd' for non-empty inputs of equal ndim.

    ``batched``: for a call with ``axes`` (correlate/convolve), the tuple
    ``(axes, rng, batch, calls)``: the convolved axes, the kept range per
    axis, the number of broadcast batch elements and of direct kernel calls;
    the model then counts the work on those axes times the batch plus
    DIRECT_CALL_NS per call (direct) or the batched transforms (FFT).
    """
    result = np.result_type(in1, in2)
    if result.kind in "fc" and result.itemsize > (8 if result.kind == "f" else 16):
        return "direct"  # long double: an FFT (in float64) would lose its precision
    shape1, shape2 = in1.shape, in2.shape
    calls = 1
    if batched is not None:
        axes, rng, batch, calls = batched
        shape1 = tuple(shape1[d] for d in axes)
        shape2 = tuple(shape2[d] for d in axes)
    macs = direct_macs(shape1, shape2, mode) * (1 if batched is None else batch)
    if calls * DIRECT_CALL_NS < 1e5 and (macs < 1 << 16
                                          or min(math.prod(shape1), math.prod(shape2)) <= 16):
        return "direct"
    key = _dtype_key(result)
    threads = max(1, min(_threads.max_threads(), _threads.cpu_count()))
    t_direct = (macs * DIRECT_NS[key] + calls * DIRECT_CALL_NS) / threads
    cdt = _fft_dtype(result)
    if batched is None:
        plan = fft_plan(shape1, shape2, mode, cdt.char)
        cost = plan.cost
        n_fft = math.prod(plan.size)
    else:
        cost = batched_fft_cost(in1.shape, in2.shape, axes, rng, cdt.char, batch)
        n_fft = math.prod(_batched_size(in1.shape, in2.shape, axes, rng))
    t_fft = FFT_NS["f8" if key == "u8" else key] * cost / (1 + 0.8 * (threads - 1))
    t_winograd = math.inf
    if batched is None and in1.ndim == 2 and result == np.float64:
        t_winograd = winograd_cost(*_kernel_and_out(in1.shape, in2.shape, mode)) / threads
    if min(t_fft, t_winograd) >= t_direct:
        return "direct"
    if result.kind in "biu":
        if not _int_fft_exact(in1, in2, n_fft):
            return "direct"
    # Winograd's rounding, like the FFT's, mixes neighbouring inputs (within
    # a 5x5 window): the same guard against wide dynamic range and NaN/inf.
    elif not fft_accurate(in1, in2, result):
        return "direct"
    return "fft" if t_fft <= t_winograd else "winograd"


def _fft_dtype(result):
    if result.kind in "biu":
        return np.dtype(np.float64)
    if result.kind == "f":
        return np.dtype(np.float32 if result.itemsize <= 4 else np.float64)
    return np.dtype(np.complex64 if result.itemsize <= 8 else np.complex128)


def _covers(shape1, shape2):
    """True when shape1 is at least shape2 on every axis."""
    return all(a >= b for a, b in zip(shape1, shape2))


def _out_range(shape1, shape2, mode):
    """Per axis, the [lo, hi) slice of the full convolution that ``mode`` keeps."""
    if mode == "full":
        return tuple((0, a + b - 1) for a, b in zip(shape1, shape2))
    if mode == "same":
        return tuple(((b - 1) // 2, (b - 1) // 2 + a) for a, b in zip(shape1, shape2))
    return tuple((min(a, b) - 1, max(a, b)) for a, b in zip(shape1, shape2))


# Model of one transform (``_units``): N log2 N (real transforms count
# half), times (1 + SMALL_TILE / shortest axis) for the fixed cost per
# transform that small tiles pay, times OUT_OF_CACHE for a 1-D transform of
# more than CACHE_BYTES_1D (pocketfft's long 1-D transforms leave the L1/L2
# caches and run at half speed per N log2 N; its passes over N-D arrays stay
# efficient).  CACHE_BYTES_1D was 64 KiB; overlap-save tiles of 1-D float64
# (2026-12-06, same machine) run at full speed per N log2 N up to 128-256
# KiB (16384 points with a 4095 tap kernel: 54 ms against 86 ms for the
# 8192 the old bound chose; 1.7x slower per unit only at 512 KiB).  Each
# FFT call from Python costs CALL_UNITS more.  Fitted on 34 timings of
# 1-D/2-D/3-D float32 problems, whole and tiled, plus 1-D batches of
# 2**11 .. 2**15 (2026-11-27, 2-core Zen 4): the model is within about 30 %
# of every timing.  1-D tiles are powers of two (3 * 2**k and
# 5 * 2**k lengths run 15-25 % slower per unit there).
CACHE_BYTES_1D = 1 << 17
OUT_OF_CACHE = 2.0
SMALL_TILE = 16
CALL_UNITS = 40_000
# Tiles go to the FFT in batches of about BATCH_ELEMS elements (more would
# spill the L2 cache), so that short 1-D blocks do not each pay a Python
# call.  pocketfft vectorises across the transforms of a batch, and a 1-D
# batch of fewer than MIN_1D_BATCH transforms runs scalar: one 8192-point
# float32 transform alone takes 78 us, in a batch of 8 18 us each.  (N-D
# tiles are vectorised across their own rows.)
BATCH_ELEMS = 1 << 16
MIN_1D_BATCH = 8
# Tiles are sought on at most this many axes (the search is a product).
MAX_TILED_NDIM = 3


def _per_batch(tile, tiles_last_axis):
    """Tiles per FFT call: a batch along the last axis of the tile grid."""
    want = BATCH_ELEMS // math.prod(tile)
    if len(tile) == 1:
        want = max(MIN_1D_BATCH, want)
    return max(1, min(want, tiles_last_axis))


class FFTPlan:
    """How ``fft_convolve`` computes one problem.

    ``tile`` is None for one circular transform of ``size`` over the whole
    problem; else the overlap-save tile lengths (``size == tile``).  ``cost``
    is the model cost in N log2 N units (see ``_units``).
    """

    __slots__ = ("cost", "size", "tile")

    def __init__(self, cost, size, tile):
        self.cost, self.size, self.tile = cost, size, tile

    def __repr__(self):
        return f"FFTPlan(cost={self.cost:.3g}, size={self.size}, tile={self.tile})"


def _units(size, itemsize, complex_):
    """Model cost of one transform of ``size`` (the model is described above)."""
    n = math.prod(size)
    c = n * math.log2(max(n, 2)) * (1.0 if complex_ else 0.5) * (1 + SMALL_TILE / min(size))
    if len(size) == 1 and n * itemsize > CACHE_BYTES_1D:
        c *= OUT_OF_CACHE
    return c


def _tile_lengths(lo, hi, factors=(1, 3, 5)):
    """Candidate tile lengths 2**a * f (f in ``factors``) in [lo, hi]."""
    out = set()
    for f in factors:
        t = f
        while t <= hi:
            if t >= lo:
                out.add(t)
            t *= 2
    return sorted(out)


_PLANS: dict = {}


def fft_plan(shape1, shape2, mode, dtype_char):
    """The cheapest :class:`FFTPlan` for these shapes, mode and FFT dtype (memoised)."""
    key = (tuple(shape1), tuple(shape2), mode, dtype_char)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= 512:
            _PLANS.clear()
        plan = _PLANS[key] = _search_plan(*key)
    return plan


def _search_plan(shape1, shape2, mode, dtype_char):
    """Search the plans for :func:`fft_plan`.

    Whole: one circular transform of length ``max(hi, full - lo)`` per axis
    (rounded up to a fast length) suffices for the kept slice ``[lo, hi)``:
    every alias of a kept output lies outside the full convolution.  For
    'valid' this is the larger input's size, not ``n + m - 1``.

    Tiled (overlap-save): where one input is at least the other's size on
    every axis, the output is cut into tiles of ``tile - m + 1`` that are
    each one small transform; this keeps every transform in cache and gives
    the thread pool independent work.
    """
    dt = np.dtype(dtype_char)
    complex_ = dt.kind == "c"
    full = [a + b - 1 for a, b in zip(shape1, shape2)]
    rng = _out_range(shape1, shape2, mode)
    whole = tuple(next_fast_len(max(h, f - lo)) for (lo, h), f in zip(rng, full))
    best = FFTPlan(3 * (_units(whole, dt.itemsize, complex_) + CALL_UNITS), whole, None)
    small = [min(a, b) for a, b in zip(shape1, shape2)]
    if not (_covers(shape1, shape2) or _covers(shape2, shape1)):
        return best
    if len(full) > MAX_TILED_NDIM or math.prod(small) <= 1:
        return best
    # per axis: lengths from 2 m up to one tile covering the whole axis
    factors = (1,) if len(full) == 1 else (1, 3, 5)
    cands = []
    for (lo, h), m in zip(rng, small):
        one = next_fast_len(h - lo + m - 1)
        cands.append([t for t in _tile_lengths(2 * m, one, factors) if t < one] + [one])
    for tile in itertools.product(*cands):
        grid = [-(-(h - lo) // (t - m + 1)) for (lo, h), t, m in zip(rng, tile, small)]
        tiles = math.prod(grid)
        if tiles == 1:
            continue  # one tile is the whole plan
        per_batch = _per_batch(tile, grid[-1])
        batches = tiles // grid[-1] * -(-grid[-1] // per_batch)
        cost = ((2 * tiles + 1) * _units(tile, dt.itemsize, complex_)
                + 2 * batches * CALL_UNITS)
        if cost < best.cost:
            best = FFTPlan(cost, tile, tile)
    return best


_BACKEND = None


def _backend():
    """(fft module, takes_workers): scipy.fft when installed (multithreaded), else numpy.fft."""
    global _BACKEND
    if _BACKEND is None:
        try:
            # optional; imported dynamically so type checkers do not chase scipy
            sfft = importlib.import_module("scipy.fft")
            _BACKEND = (sfft, True)
        except ImportError:
            _BACKEND = (np.fft, False)
    return _BACKEND


def _whole(a, b, rng, size, fft, kw, axes=None):
    """The kept slice of the full convolution from one circular transform.

    ``axes``: the transformed axes (default all; ``size`` has one entry per
    axis transformed); the others broadcast, as numpy broadcasts a product.
    """
    if axes is None:
        axes = list(range(a.ndim))
    if a.dtype.kind == "c":
        z = fft.ifftn(fft.fftn(a, size, axes, **kw) * fft.fftn(b, size, axes, **kw),
                      size, axes, **kw)
    else:
        z = fft.irfftn(fft.rfftn(a, size, axes, **kw) * fft.rfftn(b, size, axes, **kw),
                       size, axes, **kw)
    return z[tuple(slice(lo, h) for lo, h in rng)]


def _tiled(a, b, rng, tile, fft, kw, inverse_kw, threads):
    """The kept slice of the full convolution by overlap-save over tiles.

    ``a`` is at least ``b``'s size on every axis.  The tile whose outputs
    start at full-convolution index ``o`` reads ``a[o - m + 1 : o - m + 1 +
    tile]``; its circular convolution with ``b`` equals the linear one on the
    last ``step = tile - m + 1`` positions.  Tiles along the last axis go to
    the FFT in batches (one strided view of ``a``; only batches that overhang
    its edges are copied, zero-padded); batches write disjoint parts of the
    output, so they run on a pool of threads.
    """
    d = a.ndim
    m = b.shape
    step = [t - k + 1 for t, k in zip(tile, m)]
    grid = [-(-(h - lo) // s) for (lo, h), s in zip(rng, step)]
    base = [lo - k + 1 for (lo, _), k in zip(rng, m)]
    out = np.empty([h - lo for lo, h in rng], dtype=a.dtype)
    axes = list(range(1, d + 1))
    if a.dtype.kind == "c":
        spec = fft.fftn(b, tile, list(range(d)), **kw)
        forward, inverse = fft.fftn, fft.ifftn
    else:
        spec = fft.rfftn(b, tile, list(range(d)), **kw)
        forward, inverse = fft.rfftn, fft.irfftn
    per_batch = _per_batch(tile, grid[-1])
    batches = [(idx, j, min(per_batch, grid[-1] - j))
               for idx in itertools.product(*[range(g) for g in grid[:-1]])
               for j in range(0, grid[-1], per_batch)]

    def windows(corner, g):
        """The g tiles from ``corner`` on: a strided view of ``a``, or of a
        zero-padded copy of the part of ``a`` they cover where they overhang."""
        start = [b0 + c for b0, c in zip(base, corner)]
        span = list(tile[:-1]) + [(g - 1) * step[-1] + tile[-1]]
        if all(0 <= s0 and s0 + sp <= n for s0, sp, n in zip(start, span, a.shape)):
            src = a[tuple(slice(s0, None) for s0 in start)]
        else:
            src = np.zeros(span, dtype=a.dtype)
            src[tuple(slice(max(0, -s0), min(sp, n - s0))
                      for s0, sp, n in zip(start, span, a.shape))] = \
                a[tuple(slice(max(0, s0), min(n, s0 + sp))
                        for s0, sp, n in zip(start, span, a.shape))]
        return np.lib.stride_tricks.as_strided(
            src, shape=(g,) + tuple(tile), strides=(step[-1] * src.strides[-1],) + src.strides,
            writeable=False)

    def run(share):
        for idx, j, g in share:
            corner = tuple(i * s for i, s in zip(idx, step)) + (j * step[-1],)
            view = windows(corner, g)
            spectra = forward(view, tile, axes, **kw)
            spectra *= spec
            y = inverse(spectra, tile, axes, **inverse_kw)
            # the valid part of each tile, as (s0, .., g, s_last): no copy yet
            y = np.moveaxis(y[(slice(None),) + tuple(slice(k - 1, None) for k in m)], 0, -2)
            dst = out[tuple(slice(c, c + s) for c, s in zip(corner[:-1], step[:-1]))
                      + (slice(corner[-1], corner[-1] + g * step[-1]),)]
            y = y[tuple(slice(0, r) for r in dst.shape[:-1])]
            whole, rest = divmod(dst.shape[-1], step[-1])
            # the tiles that fit whole, side by side: one copy into out
            np.lib.stride_tricks.as_strided(
                dst, shape=dst.shape[:-1] + (whole, step[-1]),
                strides=dst.strides[:-1] + (step[-1] * dst.strides[-1], dst.strides[-1]),
            )[...] = y[..., :whole, :]
            if rest:
                dst[..., whole * step[-1]:] = y[..., whole, :rest]

    threads = min(threads, len(batches))
    if threads <= 1:
        run(batches)
    else:
        pool = _pool(threads - 1)
        futures = [pool.submit(run, batches[i::threads]) for i in range(1, threads)]
        try:
            run(batches[0::threads])
        finally:
            for f in futures:
                f.result()
    return out


_POOL = None
_POOL_LOCK = threading.Lock()


def _pool(n):
    """A process-wide pool with at least ``n`` threads, kept between calls
    (starting threads per call cost ~0.2 ms, 2-3 % of W2); a new one after a
    fork, whose child has the pool object but not its threads.  Concurrent
    calls may share it: the thread budget (``_threads.acquire``) already
    bounds how many tiles run at once."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid() or _POOL[1] < n:
            if _POOL is not None and _POOL[0] == os.getpid():
                _POOL[2].shutdown(wait=False)  # queued work still runs; idle threads exit
            size = max(n, _threads.cpu_count() - 1)
            _POOL = (os.getpid(), size,
                     concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix="cyconv-fft"))
        return _POOL[2]


def warn_if_not_finite(a, b, stacklevel):
    """Warn (RuntimeWarning) when an input to method='fft' holds NaN or inf."""
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        warnings.warn("method='fft' with NaN or inf in the input spreads NaN/inf over the "
                      "whole output; use method='direct' to keep them where they belong",
                      RuntimeWarning, stacklevel=stacklevel)


def fft_convolve(a, b, mode, result, workers=None, checked=False):
    """Linear convolution of ``a`` and ``b`` (same ndim, non-empty) by FFT.

    ``mode`` slices the full result as scipy.signal.fftconvolve does; the
    answer is cast to ``result`` (rounded first for integers; bool is
    ``round(value) != 0``, the right answer where scipy returns garbage).
    Uses scipy.fft when scipy is installed, else numpy.fft, on ``workers``
    threads; :func:`fft_plan` picks one whole transform or overlap-save tiles.
    ``checked``: the caller (``method='auto'``) has already ruled out NaN/inf.
    """
    if mode == "valid" and not (_covers(a.shape, b.shape) or _covers(b.shape, a.shape)):
        raise ValueError("mode='valid' needs one input at least as large as the other "
                             f"on every axis; got in1.shape={a.shape} and in2.shape={b.shape}")
    cdt = _fft_dtype(result)
    a = np.asarray(a, dtype=cdt)
    b = np.asarray(b, dtype=cdt)
    if not checked:
        warn_if_not_finite(a, b, stacklevel=5)
    plan = fft_plan(a.shape, b.shape, mode, cdt.char)
    rng = _out_range(a.shape, b.shape, mode)
    fft, takes_workers = _backend()
    # the tiled path threads through its own pool (both backends release the
    # GIL); the whole-array path only through scipy.fft's workers
    n = _threads.acquire(workers, 1 << 40, 1 << 20) if (takes_workers or plan.tile) else 1
    try:
        # Non-finite input was warned about above, in our words: silence
        # numpy's own "invalid value" warnings from products of inf spectra.
        with np.errstate(invalid="ignore", over="ignore"):
            if plan.tile is None:
                z = _whole(a, b, rng, plan.size, fft, {"workers": n} if takes_workers else {})
            else:
                big, small = (a, b) if _covers(a.shape, b.shape) else (b, a)
                kw = {"workers": 1} if takes_workers else {}
                inverse_kw = dict(kw, overwrite_x=True) if takes_workers else {}
                z = _tiled(big, small, rng, plan.tile, fft, kw, inverse_kw, n)
    finally:
        _threads.release(n)
    return _to_result(z, result)


def _to_result(z, result):
    """The FFT's answer as a C-contiguous array of ``result`` (integers rounded)."""
    if result.kind in "biu":
        z = np.rint(z)
        if result.kind == "b":
            return np.ascontiguousarray(z != 0)
        z = z.astype(np.int64)  # then wrap to narrower types like the direct path
    return np.ascontiguousarray(z.astype(result, copy=False))


def _batched_size(shape1, shape2, axes, rng):
    """Per transformed axis, the circular length that keeps ``rng`` alias-free
    (as the whole plan of :func:`_search_plan`)."""
    return tuple(next_fast_len(max(rng[d][1], shape1[d] + shape2[d] - 1 - rng[d][0]))
                 for d in axes)


def _stacking(shape1, shape2, axes):
    """(signal, kernel, stacked shape, kernel shape) where one input has length 1
    on every batch axis (a kernel shared by the batch), else None.

    The batch elements of the other input, each followed by ``m - 1`` zeros
    on the first of ``axes`` (m: the kernel's length there), laid end to end
    along that axis make one array whose full convolution with the kernel
    holds every element's full convolution, side by side and apart: one
    problem for the planner (overlap-save tiles), however small the elements.
    """
    batch = [d for d in range(len(shape1)) if d not in axes]
    for sig, ker, s, k in ((0, 1, shape1, shape2), (1, 0, shape2, shape1)):
        if all(k[d] == 1 for d in batch):
            elements = math.prod(s[d] for d in batch)
            first = axes[0]
            stacked = ((elements * (s[first] + k[first] - 1),)
                       + tuple(s[d] for d in axes[1:]))
            return sig, ker, stacked, tuple(k[d] for d in axes)
    return None


def _stacked(a, b, axes, rng, result, workers, stack):
    """The batched convolution by stacking (see :func:`_stacking`); ``axes`` sorted."""
    sig, _, stacked_shape, kernel_shape = stack
    x, k = (a, b) if sig == 0 else (b, a)
    batch = [d for d in range(x.ndim) if d not in axes]
    nb = len(batch)
    xt = np.moveaxis(x, batch, range(nb))  # batch axes first, the convolved ones after
    conv = list(xt.shape[nb:])
    elements = math.prod(xt.shape[:nb])
    n0, m0 = conv[0], kernel_shape[0]
    buf = np.zeros([elements, n0 + m0 - 1] + conv[1:], dtype=_fft_dtype(result))
    buf[:, :n0] = xt.reshape([elements] + conv)
    z = fft_convolve(buf.reshape(stacked_shape), k.reshape(kernel_shape), "full", result,
                     workers, checked=True)
    # each element's full convolution, then the batch axes back in their places
    z = z[: stacked_shape[0]].reshape(list(xt.shape[:nb]) + [n0 + m0 - 1] + list(z.shape[1:]))
    z = np.moveaxis(z, range(nb), batch)
    return np.ascontiguousarray(z[tuple(slice(lo, hi) for lo, hi in rng)])


def fft_convolve_batched(a, b, axes, rng, result, workers=None):
    """Linear convolution of ``a`` and ``b`` along ``axes``, broadcasting the rest.

    ``a`` and ``b`` have one ndim; on ``axes`` both are longer than 1, on
    every other axis their sizes are equal or one of them is 1 (a batch
    axis, broadcast as numpy broadcasts the product of the spectra).
    ``rng``: per axis, the [lo, hi) part of the result kept (of the full
    convolution on ``axes``, of the broadcast size elsewhere).  Where one
    input is the same for the whole batch, the batch is stacked into one
    planned problem (see :func:`_stacking`) when the model finds that
    cheaper; else one circular transform per batch element, all in one
    scipy.fft call on ``workers`` threads.  The answer is cast to ``result``
    as :func:`fft_convolve` does.
    """
    cdt = _fft_dtype(result)
    a = np.asarray(a, dtype=cdt)
    b = np.asarray(b, dtype=cdt)
    axes = sorted(axes)
    stack = _stacking(a.shape, b.shape, axes)
    if stack is not None:
        batch = math.prod(max(p, q) for d, (p, q) in enumerate(zip(a.shape, b.shape))
                          if d not in axes)
        whole = _whole_batched_cost(a.shape, b.shape, axes, rng, cdt, batch)
        if fft_plan(stack[2], stack[3], "full", cdt.char).cost < whole:
            return _stacked(a, b, axes, rng, result, workers, stack)
    size = _batched_size(a.shape, b.shape, axes, rng)
    fft, takes_workers = _backend()
    n = _threads.acquire(workers, 1 << 40, 1 << 20) if takes_workers else 1
    try:
        with np.errstate(invalid="ignore", over="ignore"):
            z = _whole(a, b, rng, size, fft, {"workers": n} if takes_workers else {}, axes)
    finally:
        _threads.release(n)
    return _to_result(z, result)


def _whole_batched_cost(shape1, shape2, axes, rng, dt, batch):
    size = _batched_size(shape1, shape2, axes, rng)
    return 3 * (batch * _units(size, dt.itemsize, dt.kind == "c") + CALL_UNITS)


def batched_fft_cost(shape1, shape2, axes, rng, dtype_char, batch):
    """Model cost (``FFTPlan.cost`` units) of :func:`fft_convolve_batched`."""
    dt = np.dtype(dtype_char)
    axes = sorted(axes)
    cost = _whole_batched_cost(shape1, shape2, axes, rng, dt, batch)
    stack = _stacking(shape1, shape2, axes)
    if stack is not None:
        cost = min(cost, fft_plan(stack[2], stack[3], "full", dt.char).cost)
    return cost
