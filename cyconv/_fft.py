"""FFT convolution (scipy.fft when installed, else numpy.fft) and the one
place that chooses the method.

Cost model (``choose_method``)
------------------------------
direct: ``macs * DIRECT_NS[dtype] / threads``, where ``macs`` is the exact
number of multiply-adds the direct kernel performs for the mode;
fft: ``FFT_NS[kind] * N * log2(N) * 3`` for the three transforms of the padded
size N (real transforms count half).  The constants were calibrated on the
development machine (2-core AMD EPYC Zen 4, AVX2 + FMA kernel variant) by
``benchmarks/calibrate_method.py``: it times cyconv's direct kernel on one
thread and this module's FFT path over six 1-D/2-D/3-D problems (kernels
from 5^3 to 31^2 taps) per dtype and prints the median ns per unit, which
were copied here (2026-11-27).

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
count; on large arrays it is taken on an evenly strided sample of 65,536), the
FFT is chosen only if ``eps * R(in1) * R(in2) <= 2**-10`` (``eps`` of the
FFT's dtype: float32 for float16/float32/complex64 results, else float64),
i.e. typical small outputs keep about three correct digits.  Inputs with
NaN or inf always go direct (the FFT would spread them over every output).
The scan runs only when the cost model has already picked the FFT.
"""

import importlib
import math
import warnings

import numpy as np

from cyconv import _threads

# ns per multiply-add of the direct kernel on one thread, by compute dtype
DIRECT_NS = {"f4": 0.044, "f8": 0.10, "c8": 0.50, "c16": 0.72, "u8": 0.34}
# ns per N log2 N of one numpy.fft transform, by kind (real transforms: half)
FFT_NS = {"f4": 1.3, "f8": 1.5, "c8": 1.2, "c16": 1.27}


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
_RANGE_SAMPLE = 1 << 16


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


def _fft_cost(shape1, shape2, complex_):
    """Model seconds*1e9/FFT_NS of the cheapest FFT route (full or overlap-add)."""
    n = 1
    for a, b in zip(shape1, shape2):
        n *= next_fast_len(a + b - 1)
    half = 1.0 if complex_ else 0.5
    cost = 3 * n * math.log2(max(n, 2)) * half
    plan = _oa_plan(shape1, shape2)
    if plan is not None:
        nblocks, block = plan
        cost = min(cost, (2 * nblocks + 1) * block * math.log2(block) * half * 1.15)
    return cost


def choose_method(in1, in2, mode):
    """'direct' or 'fft' for non-empty inputs of equal ndim."""
    result = np.result_type(in1, in2)
    macs = direct_macs(in1.shape, in2.shape, mode)
    if macs < 1 << 16 or min(in1.size, in2.size) <= 16:
        return "direct"
    key = _dtype_key(result)
    threads = max(1, min(_threads.max_threads(), _threads.cpu_count()))
    t_direct = macs * DIRECT_NS[key] / threads
    fft_key = "f8" if key == "u8" else key
    # the FFT runs on `threads` threads only through scipy.fft, if installed
    fft_threads = threads if _backend()[1] else 1
    t_fft = FFT_NS[fft_key] * _fft_cost(in1.shape, in2.shape, result.kind == "c") / (
        1 + 0.8 * (fft_threads - 1))
    if t_fft >= t_direct:
        return "direct"
    if result.kind in "biu":
        n = 1
        for a, b in zip(in1.shape, in2.shape):
            n *= next_fast_len(a + b - 1)
        if not _int_fft_exact(in1, in2, n):
            return "direct"
    elif not fft_accurate(in1, in2, result):
        return "direct"
    return "fft"


def _fft_dtype(result):
    if result.kind in "biu":
        return np.dtype(np.float64)
    if result.kind == "f":
        return np.dtype(np.float32 if result.itemsize <= 4 else np.float64)
    return np.dtype(np.complex64 if result.itemsize <= 8 else np.complex128)


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


def _oa_plan(shape1, shape2):
    """(blocks, block length) for 1-D overlap-add, or None where it does not pay."""
    if len(shape1) != 1:
        return None
    n, m = max(shape1[0], shape2[0]), min(shape1[0], shape2[0])
    if m < 32 or n < 8 * m:
        return None
    best = None
    length = 1 << max(10, (2 * m - 1).bit_length())
    while length <= max(1 << 20, 2 * m):
        step = length - m + 1
        blocks = -(-n // step)
        cost = blocks * length * math.log2(length)
        if best is None or cost < best[0]:
            best = (cost, blocks, length)
        length *= 2
    return best[1], best[2]


def _oa_convolve_1d(a, b, plan, fft, kw):
    """Full linear convolution of 1-D a and b by overlap-add (len(a) >= len(b))."""
    blocks, length = plan
    m = b.shape[0]
    step = length - m + 1
    segs = np.zeros(blocks * step, dtype=a.dtype)
    segs[: a.shape[0]] = a
    spec = fft.rfft(segs.reshape(blocks, step), length, axis=-1, **kw)
    spec *= fft.rfft(b, length, **kw)
    y = fft.irfft(spec, length, axis=-1, **kw)
    out = np.zeros((blocks + 1) * step, dtype=y.dtype)
    out[: blocks * step].reshape(blocks, step)[:] = y[:, :step]
    out[step:].reshape(blocks, step)[:, : m - 1] += y[:, step:]
    return out[: a.shape[0] + m - 1]


def _full_convolution(a, b, full, fft, kw):
    """The full linear convolution (possibly with padding beyond ``full``)."""
    plan = _oa_plan(a.shape, b.shape)
    if plan is not None and a.dtype.kind != "c":
        big, small = (a, b) if a.shape[0] >= b.shape[0] else (b, a)
        return _oa_convolve_1d(big, small, plan, fft, kw)
    fshape = [next_fast_len(s) for s in full]
    axes = list(range(a.ndim))
    if a.dtype.kind == "c":
        return fft.ifftn(fft.fftn(a, fshape, axes, **kw) * fft.fftn(b, fshape, axes, **kw),
                         fshape, axes, **kw)
    return fft.irfftn(fft.rfftn(a, fshape, axes, **kw) * fft.rfftn(b, fshape, axes, **kw),
                      fshape, axes, **kw)


def fft_convolve(a, b, mode, result, workers=None):
    """Linear convolution of ``a`` and ``b`` (same ndim, non-empty) by FFT.

    ``mode`` slices the full result as scipy.signal.fftconvolve does; the
    answer is cast to ``result`` (rounded first for integers; bool is
    ``round(value) != 0``, the right answer where scipy returns garbage).
    Uses scipy.fft with ``workers`` threads when scipy is installed, else
    numpy.fft; 1-D inputs of very unequal length go through overlap-add.
    """
    if mode == "valid":
        ok1 = all(x >= y for x, y in zip(a.shape, b.shape))
        ok2 = all(x <= y for x, y in zip(a.shape, b.shape))
        if not (ok1 or ok2):
            raise ValueError("mode='valid' needs one input at least as large as the other "
                             f"on every axis; got in1.shape={a.shape} and in2.shape={b.shape}")
    cdt = _fft_dtype(result)
    a = np.asarray(a, dtype=cdt)
    b = np.asarray(b, dtype=cdt)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        warnings.warn("method='fft' with NaN or inf in the input spreads NaN/inf over the "
                      "whole output; use method='direct' to keep them where they belong",
                      RuntimeWarning, stacklevel=4)
    fft, takes_workers = _backend()
    n = _threads.acquire(workers, 1 << 40, 1 << 20) if takes_workers else 1
    full = [x + y - 1 for x, y in zip(a.shape, b.shape)]
    try:
        # Non-finite input was warned about above, in our words: silence
        # numpy's own "invalid value" warnings from products of inf spectra.
        with np.errstate(invalid="ignore", over="ignore"):
            z = _full_convolution(a, b, full, fft, {"workers": n} if takes_workers else {})
    finally:
        _threads.release(n)
    if mode == "full":
        sl = tuple(slice(0, s) for s in full)
    elif mode == "same":
        sl = tuple(slice((y - 1) // 2, (y - 1) // 2 + x) for x, y in zip(a.shape, b.shape))
    else:
        sl = tuple(slice(min(x, y) - 1, max(x, y)) for x, y in zip(a.shape, b.shape))
    z = z[sl]
    if result.kind in "biu":
        z = np.rint(z)
        if result.kind == "b":
            return np.ascontiguousarray(z != 0)
        z = z.astype(np.int64)  # then wrap to narrower types like the direct path
    return np.ascontiguousarray(z.astype(result, copy=False))
