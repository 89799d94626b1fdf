"""Differential tests of cyconv against scipy.signal and a brute-force oracle.

Two oracles are used for every result:

* ``scipy.signal`` itself, wherever scipy computes the right answer for the
  dtype (not float16/bool in its N-d direct path, not bool with FFT, not the
  complex ``correlate2d(..., 'valid')`` swap, which cyconv documents as
  deliberate differences);
* a brute-force loop over kernel taps in float64 / complex128 / uint64
  (uint64 arithmetic wraps modulo 2**64, so casting to the result type gives
  exactly the wrap-around a direct sum in the narrower type gives).

Integer results must be exactly equal.  Float results must lie within a
rigorous bound of the float64 answer: ``(taps + 2) * eps(result) *
(|in1| correlated with |in2|)`` elementwise for the direct method, plus a
norm-wise FFT bound for the FFT.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cyconv

INTS = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]
FLOATS = [np.float16, np.float32, np.float64]
COMPLEXES = [np.complex64, np.complex128]
ALL_DTYPES = [np.bool_] + INTS + FLOATS + COMPLEXES
MODES = ["full", "valid", "same"]
METHODS = ["direct", "fft", "auto"]
BOUNDARIES = ["fill", "pad", "wrap", "circular", "symm", "symmetric"]
_CANON = {"fill": "fill", "pad": "fill", "wrap": "wrap", "circular": "wrap",
          "symm": "symm", "symmetric": "symm"}

# in1 / in2 shapes per ndim: odd and even kernel sizes on every rank.
SHAPES = {
    1: [((11,), (4,)), ((9,), (3,))],
    2: [((7, 6), (3, 4)), ((6, 5), (2, 3))],
    3: [((5, 4, 6), (2, 3, 3)), ((4, 5, 3), (3, 2, 2))],
    4: [((4, 3, 5, 3), (2, 2, 3, 2))],
}


def _seed(*parts):
    """A stable seed from test parameters (hash() of str is salted per run)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(repr(parts))) % (2 ** 32)


def rand(rng, shape, dtype, big=False):
    """Random, never-all-zero data; ``big`` spans the whole integer range."""
    dt = np.dtype(dtype)
    if len(shape) > 32:   # numpy's generators stop at 32 axes
        return rand(rng, (math.prod(shape),), dtype, big).reshape(shape)
    if dt.kind == "b":
        a = rng.random(shape) < 0.5
        a.flat[0] = True
        return a
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo, hi = (info.min, info.max) if big else (max(info.min, -60), min(info.max, 60))
        a = rng.integers(lo, hi, size=shape, dtype=dt, endpoint=True)
        a.flat[0] = hi
        return a
    if dt.kind == "f":
        return rng.uniform(-1, 1, shape).astype(dt)
    return (rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape)).astype(dt)


# --------------------------------------------------------------------------
# brute-force oracle
# --------------------------------------------------------------------------

def wide_dtype(result):
    if result.kind in "biu":
        return np.dtype(np.uint64)
    return np.dtype(np.complex128 if result.kind == "c" else np.float64)


def brute_full(x, k, wide):
    """z[o] = sum_t x[o + t - (n2 - 1)] * k[t] over the full output (no conj)."""
    x = np.asarray(x).astype(wide)
    k = np.asarray(k).astype(wide)
    full = tuple(a + b - 1 for a, b in zip(x.shape, k.shape))
    xp = np.zeros(tuple(a + 2 * (b - 1) for a, b in zip(x.shape, k.shape)), wide)
    xp[tuple(slice(b - 1, b - 1 + a) for a, b in zip(x.shape, k.shape))] = x
    out = np.zeros(full, wide)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in np.ndindex(*k.shape):
            out += k[t] * xp[tuple(slice(td, td + f) for td, f in zip(t, full))]
    return out


def mode_slice(full, n1, n2, mode, same_start):
    if mode == "full":
        return full
    if mode == "valid":
        return full[tuple(slice(min(a, b) - 1, max(a, b)) for a, b in zip(n1, n2))]
    return full[tuple(slice(same_start(b), same_start(b) + a) for a, b in zip(n1, n2))]


def _corr_start(n2):       # scipy.signal.correlate / convolve / convolve2d 'same'
    return (n2 - 1) // 2


def _corr2d_start(n2):     # scipy.signal.correlate2d 'same' (one off for even n2)
    return n2 // 2


def kernel_of(in2, conv):
    """conv(a, b) = corr(a, conj(flip(b))); the brute force never conjugates."""
    in2 = np.asarray(in2)
    if conv:
        return np.flip(in2)
    return np.conj(in2) if in2.dtype.kind == "c" else in2


def oracle(in1, in2, mode, conv=False, corr2d=False, absolute=False):
    """The mathematically right answer, in the wide dtype (uint64 for integers)."""
    in1, in2 = np.asarray(in1), np.asarray(in2)
    wide = wide_dtype(np.result_type(in1, in2))
    x, k = in1.astype(wide), kernel_of(in2, conv).astype(wide)
    if absolute:
        x, k = np.abs(x), np.abs(k)
    full = brute_full(x, k, wide)
    start = _corr2d_start if corr2d and not conv else _corr_start
    return mode_slice(full, in1.shape, in2.shape, mode, start)


def oracle2d(in1, in2, mode, boundary, fillvalue, conv, absolute=False):
    """correlate2d / convolve2d: extend in1 by the boundary rule, then correlate."""
    in1, in2 = np.asarray(in1), np.asarray(in2)
    result = np.result_type(in1, in2)
    wide = wide_dtype(result)
    b = _CANON[boundary]
    if mode == "valid" or (b == "fill" and fillvalue == 0):
        return oracle(in1, in2, mode, conv=conv, corr2d=True, absolute=absolute)
    x, k = in1.astype(wide), kernel_of(in2, conv).astype(wide)
    fill = np.asarray(fillvalue).astype(result).astype(wide)
    if absolute:
        x, k, fill = np.abs(x), np.abs(k), np.abs(fill)
    p = [(m - 1, m - 1) for m in in2.shape]
    if b == "fill":
        xe = np.pad(x, p, mode="constant", constant_values=fill)
    else:
        xe = np.pad(x, p, mode="wrap" if b == "wrap" else "symmetric")
    full = brute_full(xe, k, wide)
    full = full[tuple(slice(m - 1, m - 1 + n + m - 1) for n, m in zip(in1.shape, in2.shape))]
    start = _corr_start if conv else _corr2d_start
    return mode_slice(full, in1.shape, in2.shape, mode, start)


def to_result(z, result):
    """Cast an oracle value to the result dtype (integers wrap as in C)."""
    if result.kind == "b":
        return z != 0
    if result.kind == "i":
        return z.view(np.int64).astype(result)
    if result.kind == "u":
        return z.astype(result)
    return z


def _fft_eps(result):
    return np.finfo(np.float32).eps if result.itemsize <= (4 if result.kind == "f" else 8) \
        else np.finfo(np.float64).eps


def assert_matches(got, expected, result, *, ref_abs=None, taps=1, fft_norm=None, what=""):
    """Exact for integers/bool; for floats within the rigorous error bound."""
    got = np.asarray(got)
    assert got.dtype == result, f"{what}: dtype {got.dtype} != {result}"
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    if result.kind in "biu":
        exp = to_result(expected, result)
        bad = np.flatnonzero(got != exp)
        assert bad.size == 0, (f"{what}: {bad.size} of {got.size} integer results differ, "
                               f"first at flat {bad[0]}: {got.flat[bad[0]]} != {exp.flat[bad[0]]}")
        return
    eps = np.finfo(result).eps
    tol = (taps + 2) * eps * ref_abs + 4 * np.finfo(result).tiny
    if fft_norm is not None:
        tol = tol + fft_norm
    err = np.abs(got.astype(expected.dtype) - expected)
    bad = np.flatnonzero(~(err <= tol))
    assert bad.size == 0, (f"{what}: {bad.size} of {got.size} float results off, worst "
                           f"err/tol {np.max(err / np.maximum(tol, 1e-300)):.3g}")


def fft_bound(in1, in2, result, eps=None):
    """Norm-wise FFT error bound: c * eps * log2(N) * ||in1||_2 * ||in2||_2."""
    a = np.asarray(in1).astype(wide_dtype(result))
    b = np.asarray(in2).astype(wide_dtype(result))
    n = math.prod(x + y - 1 for x, y in zip(a.shape, b.shape))
    return 8 * (eps or _fft_eps(result)) * (math.log2(n + 1) + 1) * np.linalg.norm(a.ravel()) \
        * np.linalg.norm(b.ravel())


def check_nd(got, in1, in2, mode, conv, method, what=""):
    """Compare a correlate/convolve result with the oracle (and its bound)."""
    result = np.result_type(np.asarray(in1), np.asarray(in2))
    if method == "auto":    # hold auto to the bound of the method it really used
        method = cyconv.choose_conv_method(in1, in2, mode=mode)
    exp = oracle(in1, in2, mode, conv=conv)
    ref_abs = None
    if result.kind not in "biu":
        ref_abs = oracle(in1, in2, mode, conv=conv, absolute=True).real
    fft = fft_bound(in1, in2, result) if method in ("fft", "auto") and result.kind not in "biu" \
        else None
    taps = min(np.asarray(in1).size, np.asarray(in2).size)
    assert_matches(got, exp, result, ref_abs=ref_abs, taps=taps, fft_norm=fft, what=what)
    return exp, ref_abs, fft


def scipy_supports_nd(result, method, ndim):
    """Where scipy.signal's N-d answer is right (see the module docstring)."""
    if result.kind == "b":
        return False    # N-d direct raises, FFT is wrong: the oracle checks bool
    if result == np.float16 and method == "direct":
        return ndim == 1
    return True


def compare_scipy(got, in1, in2, mode, conv, method, ref_abs, fft, taps):
    """The same bound must hold between cyconv and scipy (twice: both may err)."""
    result = got.dtype
    func = ss.convolve if conv else ss.correlate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sp = func(in1, in2, mode=mode, method=method)
    assert sp.dtype == got.dtype
    assert sp.shape == got.shape
    if result.kind in "biu":
        np.testing.assert_array_equal(got, sp)
        return
    # scipy's direct method computes mixed pairs in the narrower input type
    # (int64 with float32 gives float64 computed in float32): allow for that.
    eps = max(np.finfo(d).eps for d in (result, np.asarray(in1).dtype, np.asarray(in2).dtype)
              if d.kind in "fc")
    tol = 2 * ((taps + 2) * eps * ref_abs + 4 * np.finfo(result).tiny)
    if fft is not None or method != "direct":
        tol = tol + 2 * fft_bound(in1, in2, result, max(eps, _fft_eps(result)))
    err = np.abs(got.astype(np.complex128) - sp.astype(np.complex128))
    assert np.all(err <= tol), f"vs scipy: worst err/tol {np.max(err / tol):.3g}"


# --------------------------------------------------------------------------
# N-d correlate / convolve: every dtype, method, mode, ndim 1-4
# --------------------------------------------------------------------------

def _nd_cases():
    for nd, pairs in SHAPES.items():
        for s1, s2 in pairs:
            yield pytest.param((s1, s2), id=f"{nd}d-{'x'.join(map(str, s1))}-{'x'.join(map(str, s2))}")


@pytest.mark.parametrize("shapes", list(_nd_cases()))
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("conv", [False, True], ids=["correlate", "convolve"])
def test_nd_every_dtype_mode_method(shapes, dtype, conv):
    s1, s2 = shapes
    rng = np.random.default_rng(_seed(s1, s2, np.dtype(dtype).name, conv))
    in1, in2 = rand(rng, s1, dtype), rand(rng, s2, dtype)
    func = cyconv.convolve if conv else cyconv.correlate
    for method in METHODS:
        for mode in MODES:
            what = f"{func.__name__}({s1}, {s2}, {mode}, {method}) {np.dtype(dtype).name}"
            got = func(in1, in2, mode=mode, method=method)
            exp, ref_abs, fft = check_nd(got, in1, in2, mode, conv, method, what)
            sm = "direct" if method == "auto" else method
            if scipy_supports_nd(got.dtype, sm, len(s1)) and not (
                    got.dtype.kind in "iu" and sm != "direct"):
                compare_scipy(got, in1, in2, mode, conv, sm, ref_abs, fft, min(in1.size, in2.size))


@pytest.mark.parametrize("dtype", INTS + [np.bool_], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_integer_wraparound_is_exact(dtype, ndim):
    """Full-range integers overflow: the result wraps exactly as scipy's direct sum."""
    rng = np.random.default_rng(_seed("wrap", np.dtype(dtype).name, ndim))
    s1, s2 = {1: ((40,), (9,)), 2: ((9, 8), (4, 5)), 3: ((6, 5, 4), (3, 2, 3))}[ndim]
    in1, in2 = rand(rng, s1, dtype, big=True), rand(rng, s2, dtype, big=True)
    result = np.result_type(in1, in2)
    for conv, func, sfunc in ((False, cyconv.correlate, ss.correlate),
                              (True, cyconv.convolve, ss.convolve)):
        for mode in MODES:
            exp = to_result(oracle(in1, in2, mode, conv=conv), result)
            got = func(in1, in2, mode=mode, method="direct")
            assert got.dtype == result
            np.testing.assert_array_equal(got, exp)
            # auto must stay exact (never an inexact FFT for big integers)
            np.testing.assert_array_equal(func(in1, in2, mode=mode), exp)
            if result.kind != "b":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sp = sfunc(in1, in2, mode=mode, method="direct")
                np.testing.assert_array_equal(got, sp)
    # the overflow really happened (the test is not vacuous)
    if result.kind != "b":
        exact = np.asarray(brute_full(in1.astype(np.float64), in2.astype(np.float64), np.float64))
        info = np.iinfo(result)
        assert np.any((exact > info.max) | (exact < info.min))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.uint32],
                         ids=lambda d: np.dtype(d).name)
def test_integer_fft_wraps_like_direct(dtype):
    """method='fft' on small-enough integers is exact, wrap-around included."""
    rng = np.random.default_rng(_seed("fftwrap", np.dtype(dtype).name))
    in1, in2 = rand(rng, (8, 9), dtype, big=True), rand(rng, (3, 4), dtype, big=True)
    if np.dtype(dtype).itemsize == 4:   # keep every sum exactly representable in float64
        in1 = (in1 >> 12).astype(dtype)
        in2 = (in2 >> 12).astype(dtype)
    for conv, func in ((False, cyconv.correlate), (True, cyconv.convolve)):
        for mode in MODES:
            direct = func(in1, in2, mode=mode, method="direct")
            fft = func(in1, in2, mode=mode, method="fft")
            assert fft.dtype == direct.dtype == np.result_type(in1, in2)
            np.testing.assert_array_equal(fft, direct)
            np.testing.assert_array_equal(direct, to_result(oracle(in1, in2, mode, conv=conv),
                                                            direct.dtype))


@pytest.mark.parametrize("dtype", [np.int64, np.uint64], ids=lambda d: np.dtype(d).name)
def test_64bit_wraparound(dtype):
    rng = np.random.default_rng(_seed("w64", np.dtype(dtype).name))
    in1, in2 = rand(rng, (7, 6), dtype, big=True), rand(rng, (3, 2), dtype, big=True)
    for mode in MODES:
        for conv, func in ((False, cyconv.correlate), (True, cyconv.convolve)):
            exp = to_result(oracle(in1, in2, mode, conv=conv), np.dtype(dtype))
            np.testing.assert_array_equal(func(in1, in2, mode, method="direct"), exp)
            np.testing.assert_array_equal(func(in1, in2, mode), exp)


MIXED = [(np.int8, np.float32), (np.uint8, np.int8), (np.bool_, np.int16), (np.float16, np.float32),
         (np.float16, np.int8), (np.complex64, np.float64), (np.uint64, np.int64),
         (np.float32, np.complex64), (np.bool_, np.float16), (np.uint32, np.int32),
         (np.bool_, np.complex128), (np.int16, np.float64), (np.uint16, np.complex64),
         (np.int64, np.float32), (np.bool_, np.uint8)]


@pytest.mark.parametrize("d1,d2", MIXED + [(b, a) for a, b in MIXED],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("ndim", [1, 2])
def test_mixed_dtype_pairs(d1, d2, ndim):
    rng = np.random.default_rng(_seed("mixed", np.dtype(d1).name, np.dtype(d2).name, ndim))
    s1, s2 = {1: ((13,), (4,)), 2: ((6, 7), (3, 2))}[ndim]
    in1, in2 = rand(rng, s1, d1), rand(rng, s2, d2)
    result = np.result_type(in1, in2)
    for conv, func in ((False, cyconv.correlate), (True, cyconv.convolve)):
        for method in METHODS:
            for mode in MODES:
                got = func(in1, in2, mode=mode, method=method)
                assert got.dtype == result
                exp, ref_abs, fft = check_nd(got, in1, in2, mode, conv, method,
                                             f"{d1}/{d2} {mode} {method}")
                if scipy_supports_nd(result, method, ndim) and method != "auto" and not (
                        result.kind in "iu" and method == "fft"):
                    compare_scipy(got, in1, in2, mode, conv, method, ref_abs, fft,
                                  min(in1.size, in2.size))
    if ndim == 2:
        for func in (cyconv.correlate2d, cyconv.convolve2d):
            assert func(in1, in2).dtype == result


@pytest.mark.parametrize("dtype", [np.float32, np.complex64, np.float16])
def test_single_precision_is_not_upcast(dtype):
    rng = np.random.default_rng(_seed("f32", np.dtype(dtype).name))
    a, b = rand(rng, (40, 30), dtype), rand(rng, (5, 5), dtype)
    for func in (cyconv.correlate, cyconv.convolve):
        for method in METHODS:
            assert func(a, b, method=method).dtype == dtype
    for func in (cyconv.correlate2d, cyconv.convolve2d):
        for boundary in ("fill", "wrap", "symm"):
            assert func(a, b, boundary=boundary).dtype == dtype


# --------------------------------------------------------------------------
# shapes: kernel bigger than the input, size-1 axes, 0-d, empty
# --------------------------------------------------------------------------

BIG_KERNEL_CASES = [
    ((3,), (8,)), ((1,), (5,)), ((4,), (4,)),
    ((3, 4), (5, 6)), ((2, 7), (5, 7)), ((1, 1), (3, 2)), ((3, 3), (3, 3)),
    ((2, 3, 2), (4, 3, 5)), ((1, 2, 1, 2), (3, 2, 2, 4)),
]


@pytest.mark.parametrize("s1,s2", BIG_KERNEL_CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32, np.int16, np.bool_],
                         ids=lambda d: np.dtype(d).name)
def test_kernel_larger_than_input(s1, s2, dtype):
    rng = np.random.default_rng(_seed("bigk", s1, s2, np.dtype(dtype).name))
    in1, in2 = rand(rng, s1, dtype), rand(rng, s2, dtype)
    for conv, func in ((False, cyconv.correlate), (True, cyconv.convolve)):
        for method in ("direct", "fft"):
            for mode in MODES:
                got = func(in1, in2, mode=mode, method=method)
                exp, ref_abs, fft = check_nd(got, in1, in2, mode, conv, method,
                                             f"{func.__name__} {s1} {s2} {mode} {method}")
                if scipy_supports_nd(got.dtype, method, len(s1)):
                    compare_scipy(got, in1, in2, mode, conv, method, ref_abs, fft,
                                  min(in1.size, in2.size))
    if len(s1) == 2:
        for conv, func in ((False, cyconv.correlate2d), (True, cyconv.convolve2d)):
            for boundary in ("fill", "wrap", "symm"):
                for mode in MODES:
                    check_2d(func, in1, in2, mode, boundary, 0, conv)


SIZE1_CASES = [
    ((1,), (1,)), ((7,), (1,)), ((1, 9), (1, 3)), ((9, 1), (3, 1)), ((1, 1), (1, 1)),
    ((6, 1), (2, 1)), ((1, 5, 1), (1, 2, 1)), ((4, 1, 3), (2, 1, 2)),
    ((1, 1, 1, 6), (1, 1, 1, 2)), ((3, 1, 2, 1), (1, 1, 2, 1)),
]


@pytest.mark.parametrize("s1,s2", SIZE1_CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.complex64, np.int32],
                         ids=lambda d: np.dtype(d).name)
def test_size_one_axes(s1, s2, dtype):
    rng = np.random.default_rng(_seed("s1", s1, s2, np.dtype(dtype).name))
    in1, in2 = rand(rng, s1, dtype), rand(rng, s2, dtype)
    for conv, func in ((False, cyconv.correlate), (True, cyconv.convolve)):
        for method in METHODS:
            for mode in MODES:
                got = func(in1, in2, mode=mode, method=method)
                exp, ref_abs, fft = check_nd(got, in1, in2, mode, conv, method, f"{s1} {s2}")
                compare_scipy(got, in1, in2, mode, conv, "direct" if method == "auto" else method,
                              ref_abs, fft, min(in1.size, in2.size))


@pytest.mark.parametrize("a,b", [(3, 4), (2.5, -1.5), (1 + 2j, 3 - 4j), (np.int8(100), np.int8(3)),
                                 (np.float32(1.5), np.float32(2)), (True, True), (7, 2.5)],
                         ids=str)
def test_zero_dim_inputs(a, b):
    for func, sfunc in ((cyconv.correlate, ss.correlate), (cyconv.convolve, ss.convolve)):
        for method in METHODS:
            for mode in MODES:
                got = func(np.asarray(a), np.asarray(b), mode=mode, method=method)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exp = sfunc(np.asarray(a), np.asarray(b), mode=mode, method=method)
                assert np.asarray(got).dtype == np.asarray(exp).dtype
                assert np.asarray(got).shape == np.asarray(exp).shape == ()
                assert got == exp
    # correlation conjugates in2, convolution does not
    assert cyconv.correlate(np.asarray(1 + 2j), np.asarray(3 - 4j)) == (1 + 2j) * (3 + 4j)
    assert cyconv.convolve(np.asarray(1 + 2j), np.asarray(3 - 4j)) == (1 + 2j) * (3 - 4j)


@pytest.mark.parametrize("ndim", [5, 8, 31, 32, 40, 64])
def test_many_dimensions(ndim):
    """Any ndim numpy allows; extra axes of size 1 in both inputs are free."""
    rng = np.random.default_rng(ndim)
    s1 = (3, 4, 2) + (1,) * (ndim - 3)
    s2 = (2, 1, 2) + (1,) * (ndim - 4) + (1,)
    if ndim <= 8:     # a few real extra axes too
        s1, s2 = s1[:-2] + (2, 3), s2[:-2] + (2, 2)
    for dtype in (np.float64, np.int16):
        a, b = rand(rng, s1, dtype), rand(rng, s2, dtype)
        for conv, func in ((False, cyconv.correlate), (True, cyconv.convolve)):
            for method in METHODS:
                for mode in MODES:
                    got = func(a, b, mode=mode, method=method)
                    assert got.ndim == ndim
                    check_nd(got, a, b, mode, conv, method, f"ndim={ndim} {mode} {method}")


EMPTY_CASES = [((0,), (3,)), ((4,), (0,)), ((0,), (0,)), ((3, 0), (2, 2)), ((3, 4), (0, 2)),
               ((0, 5), (0, 0))]


@pytest.mark.parametrize("s1,s2", EMPTY_CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.int16, np.complex128],
                         ids=lambda d: np.dtype(d).name)
def test_empty_inputs(s1, s2, dtype):
    """Deliberate difference: 'same' gives zeros of in1's shape; full/valid raise."""
    rng = np.random.default_rng(0)
    in1 = rand(rng, s1, dtype) if 0 not in s1 else np.zeros(s1, dtype)
    in2 = rand(rng, s2, dtype) if 0 not in s2 else np.zeros(s2, dtype)
    empty_name = "in1" if 0 in s1 else "in2"
    calls = [(f, {"method": m}) for f in (cyconv.correlate, cyconv.convolve) for m in METHODS]
    if len(s1) == 2:
        calls += [(f, {"boundary": b, "fillvalue": 3}) for f in (cyconv.correlate2d, cyconv.convolve2d)
                  for b in ("fill", "wrap", "symm")]
    for func, kw in calls:
        if True:
            out = func(in1, in2, mode="same", **kw)
            assert out.shape == in1.shape and out.dtype == np.dtype(dtype)
            assert not np.any(out)
            for mode in ("full", "valid"):
                with pytest.raises(ValueError, match=empty_name):
                    func(in1, in2, mode=mode, **kw)


# --------------------------------------------------------------------------
# 2-D functions with boundaries and fillvalue
# --------------------------------------------------------------------------

def _scipy_2d_ok(result):
    return result.kind != "b" and result != np.float16


def check_2d(func, in1, in2, mode, boundary, fillvalue, conv):
    """cyconv 2-D result vs oracle (always) and scipy (where scipy is right)."""
    got = func(in1, in2, mode=mode, boundary=boundary, fillvalue=fillvalue)
    result = np.result_type(in1, in2)
    what = f"{func.__name__}({in1.shape}, {in2.shape}, {mode}, {boundary}, fill={fillvalue!r})"
    exp = oracle2d(in1, in2, mode, boundary, fillvalue, conv)
    ref_abs = None
    if result.kind not in "biu":
        ref_abs = oracle2d(in1, in2, mode, boundary, fillvalue, conv, absolute=True).real
    taps = in2.size if mode != "valid" else min(in1.size, in2.size)
    assert_matches(got, exp, result, ref_abs=ref_abs, taps=taps, what=what)
    if _scipy_2d_ok(result):
        sfunc = ss.convolve2d if conv else ss.correlate2d
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sp = sfunc(in1, in2, mode=mode, boundary=boundary, fillvalue=fillvalue)
        swapped = mode == "valid" and any(a < b for a, b in zip(in1.shape, in2.shape))
        if swapped and not conv and result.kind == "c":
            sp = np.conj(sp)  # documented: scipy's correlate2d forgets this conjugation
        assert sp.shape == got.shape and sp.dtype == got.dtype, what
        if result.kind in "biu":
            np.testing.assert_array_equal(got, sp, err_msg=what)
        else:
            tol = 2 * ((taps + 2) * np.finfo(result).eps * ref_abs + 4 * np.finfo(result).tiny)
            err = np.abs(got.astype(np.complex128) - sp.astype(np.complex128))
            assert np.all(err <= tol), f"{what} vs scipy: worst err/tol {np.max(err / tol):.3g}"
    return got


SHAPES_2D = [((7, 8), (3, 3)), ((6, 9), (2, 4)), ((5, 5), (4, 1)), ((3, 4), (5, 6)),
             ((4, 3), (4, 7)), ((1, 6), (1, 3)), ((8, 2), (3, 2)),
             # kernels several times the input (wrap/symm repeat), and a plane large
             # enough for the SIMD interior between the kernels' border bands
             ((2, 3), (7, 11)), ((37, 70), (5, 9))]
FILLS = {"float": [0, 2.5, -1], "complex": [0, 1.5 - 2j], "int": [0, 7, -3], "uint": [0, 200],
         "bool": [0, True]}


def _fills(dtype):
    k = np.dtype(dtype).kind
    return FILLS[{"f": "float", "c": "complex", "i": "int", "u": "uint", "b": "bool"}[k]]


@pytest.mark.parametrize("s1,s2", SHAPES_2D, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex64, np.complex128, np.int16,
                                   np.uint8, np.bool_, np.float16], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("conv", [False, True], ids=["correlate2d", "convolve2d"])
def test_2d_boundaries_and_fill(s1, s2, dtype, conv):
    rng = np.random.default_rng(_seed("2d", s1, s2, np.dtype(dtype).name, conv))
    in1, in2 = rand(rng, s1, dtype), rand(rng, s2, dtype)
    func = cyconv.convolve2d if conv else cyconv.correlate2d
    for mode in MODES:
        for boundary in BOUNDARIES:
            fills = _fills(dtype) if _CANON[boundary] == "fill" else [0]
            for fillvalue in fills:
                check_2d(func, in1, in2, mode, boundary, fillvalue, conv)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32],
                         ids=lambda d: np.dtype(d).name)
def test_2d_integer_wraparound(dtype):
    rng = np.random.default_rng(_seed("2dwrap", np.dtype(dtype).name))
    in1, in2 = rand(rng, (9, 8), dtype, big=True), rand(rng, (3, 4), dtype, big=True)
    for conv, func in ((False, cyconv.correlate2d), (True, cyconv.convolve2d)):
        for mode in MODES:
            for boundary in ("fill", "wrap", "symm"):
                check_2d(func, in1, in2, mode, boundary, 5 if boundary == "fill" else 0, conv)


def test_correlate2d_same_centring_differs_from_correlate():
    """scipy's 'same' differs by one between correlate and correlate2d for even kernels."""
    rng = np.random.default_rng(5)
    a, k = rng.standard_normal((8, 9)), rng.standard_normal((4, 2))
    c_nd = cyconv.correlate(a, k, mode="same", method="direct")
    c_2d = cyconv.correlate2d(a, k, mode="same")
    np.testing.assert_allclose(c_nd, ss.correlate(a, k, mode="same", method="direct"),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c_2d, ss.correlate2d(a, k, mode="same"), rtol=1e-12, atol=1e-12)
    full = cyconv.correlate(a, k, mode="full", method="direct")
    np.testing.assert_array_equal(c_nd, full[1:9, 0:9])     # (n - 1) // 2
    np.testing.assert_allclose(c_2d, full[2:10, 1:10], rtol=1e-12, atol=1e-12)      # n // 2
    assert not np.allclose(c_nd, c_2d)
    # odd kernels: the two agree
    k3 = rng.standard_normal((3, 5))
    np.testing.assert_allclose(cyconv.correlate(a, k3, "same"), cyconv.correlate2d(a, k3, "same"),
                               rtol=1e-12, atol=1e-12)
    # convolution: convolve and convolve2d agree with each other and with scipy
    np.testing.assert_allclose(cyconv.convolve(a, k, "same"), cyconv.convolve2d(a, k, "same"),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cyconv.convolve2d(a, k, "same"), ss.convolve2d(a, k, "same"),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_correlate2d_valid_complex_swap(dtype):
    """Deliberate difference: correlate2d == correlate (scipy's correlate2d conjugates)."""
    rng = np.random.default_rng(11)
    small, big = rand(rng, (3, 2), dtype), rand(rng, (6, 5), dtype)
    got = cyconv.correlate2d(small, big, mode="valid")
    ref = ss.correlate(small, big, mode="valid", method="direct")
    tol = 50 * np.finfo(dtype).eps
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(got, np.conj(ss.correlate2d(small, big, mode="valid")),
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(got, cyconv.correlate(small, big, mode="valid"), rtol=tol, atol=tol)
    assert np.abs(got.imag).max() > 0.1   # the conjugation is observable
    # without the swap, all three agree with scipy's correlate2d
    np.testing.assert_allclose(cyconv.correlate2d(big, small, "valid"),
                               ss.correlate2d(big, small, "valid"), rtol=tol, atol=tol)


def test_fillvalue_conversion():
    """fillvalue is cast to the output dtype as scipy casts it (floats truncate)."""
    rng = np.random.default_rng(3)
    a = rng.integers(-9, 9, (5, 6)).astype(np.int32)
    k = rng.integers(-3, 3, (3, 3)).astype(np.int32)
    k[0, 0] = 2
    for fill, as_int in ((2.9, 2), (-2.9, -2), (np.float32(4.5), 4), (np.int64(-7), -7),
                         (np.array(3), 3), (np.array([5]), 5), (True, 1), (np.uint8(200), 200)):
        got = cyconv.correlate2d(a, k, boundary="fill", fillvalue=fill)
        np.testing.assert_array_equal(
            got, to_result(oracle2d(a, k, "full", "fill", as_int, False), np.dtype(np.int32)))
        if np.ndim(fill) == 0 and not isinstance(fill, np.ndarray):
            np.testing.assert_array_equal(got, ss.correlate2d(a, k, boundary="fill",
                                                              fillvalue=fill))
    f = rng.standard_normal((5, 6))
    for fill in (1 + 0j, np.complex64(2), np.nan, np.inf, -0.5):
        got = cyconv.correlate2d(f, k, mode="same", fillvalue=fill)
        exp = oracle2d(f, k, "same", "fill", np.real(fill), False)
        np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-12)
        assert np.isfinite(got[1:-1, 1:-1]).all()   # non-finite fills stay at the border
    c = f + 1j * rng.standard_normal((5, 6))
    got = cyconv.convolve2d(c, k, fillvalue=2 - 3j)
    np.testing.assert_allclose(got, ss.convolve2d(c, k, fillvalue=2 - 3j), rtol=1e-12, atol=1e-12)
    # integer fills beyond 2**53 are exact (no detour through float/complex)
    ones = np.ones((2, 2), np.int64)
    x = np.arange(6, dtype=np.int64).reshape(2, 3)
    for fill in (2 ** 62 + 1, 2 ** 63 - 1, -2 ** 63, np.int64(2 ** 62 + 3)):
        exp = to_result(oracle2d(x, ones, "same", "fill", fill, False), np.dtype(np.int64))
        got = cyconv.correlate2d(x, ones, mode="same", fillvalue=fill)
        np.testing.assert_array_equal(got, exp)
        np.testing.assert_array_equal(got, ss.correlate2d(x, ones, mode="same", fillvalue=fill))
    u = np.arange(6, dtype=np.uint64).reshape(2, 3)
    got = cyconv.correlate2d(u, ones.astype(np.uint64), fillvalue=2 ** 64 - 1)
    exp = to_result(oracle2d(u, ones.astype(np.uint64), "full", "fill", 2 ** 64 - 1, False),
                    np.dtype(np.uint64))
    np.testing.assert_array_equal(got, exp)
    assert got[0, 0] == 2 ** 64 - 3   # three fills, wrapped
    # Python ints of any size are numbers, not objects, for float/complex outputs
    for fill in (2 ** 64, 10 ** 30):
        for dt in (np.float64, np.complex128):
            got = cyconv.correlate2d(f.astype(dt), k, fillvalue=fill)
            exp = oracle2d(f.astype(dt), k, "full", "fill", float(fill), False)
            np.testing.assert_allclose(got, exp, rtol=1e-12)
            np.testing.assert_allclose(got, ss.correlate2d(f.astype(dt), k, fillvalue=fill),
                                       rtol=1e-12)


# --------------------------------------------------------------------------
# identities
# --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.complex64, np.int32, np.bool_],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("s1,s2", [((20,), (5,)), ((4,), (9,)), ((7, 8), (3, 2)), ((3, 4), (5, 6)),
                                   ((5, 4, 3), (2, 3, 2))], ids=str)
def test_convolve_is_correlate_with_flipped_conjugated_kernel(dtype, s1, s2):
    rng = np.random.default_rng(_seed("ident", s1, s2, np.dtype(dtype).name))
    a, b = rand(rng, s1, dtype), rand(rng, s2, dtype)
    rb = np.conj(np.flip(b)) if np.dtype(dtype).kind == "c" else np.flip(b)
    for mode in MODES:
        for method in ("direct", "fft"):
            conv = cyconv.convolve(a, b, mode=mode, method=method)
            corr = cyconv.correlate(a, rb, mode=mode, method=method)
            assert conv.dtype == corr.dtype == np.result_type(a, b)
            if conv.dtype.kind in "biu":
                np.testing.assert_array_equal(conv, corr)
            else:
                tol = 8 * min(a.size, b.size) * np.finfo(conv.dtype).eps
                np.testing.assert_allclose(conv, corr, rtol=tol, atol=tol)
            if len(s1) == 2:
                conv2 = cyconv.convolve2d(a, b, mode=mode)
                corr2 = cyconv.correlate2d(a, rb, mode=mode)
                if mode == "same" and any(m % 2 == 0 for m in s2):
                    continue  # correlate2d's centring is scipy's, one off (tested above)
                if conv2.dtype.kind in "biu":
                    np.testing.assert_array_equal(conv2, corr2)
                else:
                    np.testing.assert_allclose(conv2, corr2, rtol=tol, atol=tol)


# --------------------------------------------------------------------------
# memory layouts
# --------------------------------------------------------------------------

def _layout(a, kind):
    """A view/copy of ``a`` with the same values and an unusual layout."""
    if kind == "contiguous":
        return a
    if kind == "strided":          # every other element of a bigger array
        big = np.zeros(tuple(2 * s for s in a.shape), a.dtype)
        big[tuple(slice(None, None, 2) for _ in a.shape)] = a
        return big[tuple(slice(None, None, 2) for _ in a.shape)]
    if kind == "negative":
        r = np.ascontiguousarray(np.flip(a))
        return np.flip(r)
    if kind == "transposed":
        t = np.ascontiguousarray(a.T)
        return t.T
    if kind == "fortran":
        return np.asfortranarray(a)
    if kind == "byteswapped":
        if a.dtype.itemsize == 1 or a.dtype.kind == "b":
            return a
        return a.astype(a.dtype.newbyteorder("S"))
    if kind == "readonly":
        r = a.copy()
        r.flags.writeable = False
        return r
    if kind == "broadcast":        # a size-1 axis broadcast up (values repeat)
        return np.broadcast_to(a[(slice(0, 1),) + (Ellipsis,)], a.shape)
    raise AssertionError(kind)


LAYOUTS = ["strided", "negative", "transposed", "fortran", "byteswapped", "readonly", "broadcast"]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex64, np.int16, np.uint32,
                                   np.float16, np.bool_], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("which", ["in1", "in2", "both"])
def test_memory_layouts(layout, dtype, which):
    rng = np.random.default_rng(_seed("layout", layout, np.dtype(dtype).name, which))
    for s1, s2 in (((9, 7), (3, 4)), ((6, 5, 4), (3, 2, 2)), ((33,), (5,))):
        a, b = rand(rng, s1, dtype), rand(rng, s2, dtype)
        la = _layout(a, layout) if which in ("in1", "both") else a
        lb = _layout(b, layout) if which in ("in2", "both") else b
        if layout == "broadcast":   # the values changed: compare with the dense copy
            a, b = np.array(la), np.array(lb)
        if layout == "byteswapped" and a.dtype.itemsize > 1:
            assert not (la.dtype.isnative and lb.dtype.isnative)
        for conv, func in ((False, cyconv.correlate), (True, cyconv.convolve)):
            for method in ("direct", "fft"):
                for mode in MODES:
                    got = func(la, lb, mode=mode, method=method)
                    ref = func(a, b, mode=mode, method=method)
                    assert got.dtype == ref.dtype == np.result_type(a, b)
                    if method == "direct":   # the same kernel on the same values
                        np.testing.assert_array_equal(got, ref)
                    check_nd(got, a, b, mode, conv, method, f"{layout} {s1} {method}")
        if len(s1) == 2:
            for func in (cyconv.correlate2d, cyconv.convolve2d):
                for boundary in ("fill", "wrap", "symm"):
                    for mode in MODES:
                        np.testing.assert_array_equal(
                            func(la, lb, mode=mode, boundary=boundary, fillvalue=1),
                            func(a, b, mode=mode, boundary=boundary, fillvalue=1))
    # the inputs were not modified (read-only views would have raised on write)
    if layout != "broadcast":
        np.testing.assert_array_equal(la, a)


def test_byteswapped_float_types_accepted():
    """Non-native byte order for every float/complex type (e.g. data read from a file)."""
    rng = np.random.default_rng(7)
    for dt in ("f2", "f4", "f8", "c8", "c16", "i2", "u4", "i8"):
        a, b = rand(rng, (10, 9), dt), rand(rng, (3, 3), dt)
        for order in (">", "<"):
            sa, sb = a.astype(order + dt), b.astype(order + dt)
            for func in (cyconv.correlate, cyconv.convolve):
                for method in METHODS:
                    np.testing.assert_array_equal(func(sa, sb, method=method),
                                                  func(a, b, method=method))
            for func in (cyconv.correlate2d, cyconv.convolve2d):
                for boundary in ("fill", "wrap"):
                    np.testing.assert_array_equal(func(sa, sb, boundary=boundary, fillvalue=2),
                                                  func(a, b, boundary=boundary, fillvalue=2))


# --------------------------------------------------------------------------
# choose_conv_method, auto and FFT on bigger problems
# --------------------------------------------------------------------------

def test_choose_conv_method_answers():
    rng = np.random.default_rng(9)
    small, k = rng.standard_normal(1000), rng.standard_normal(5)
    assert cyconv.choose_conv_method(small, k) == "direct"
    assert cyconv.choose_conv_method(np.ones(1000), np.ones(5)) == "direct"
    big, bigk = rng.standard_normal((300, 300)), rng.standard_normal((60, 60))
    for mode in MODES:
        assert cyconv.choose_conv_method(big, bigk, mode=mode) == "fft"
    for dt in ALL_DTYPES:
        m = cyconv.choose_conv_method(rand(rng, (50, 40), dt), rand(rng, (9, 9), dt))
        assert m in ("direct", "fft")
    # integers whose sums are not exact in float64 never go to the FFT
    ib = np.full((300, 300), 2 ** 30, np.int64)
    assert cyconv.choose_conv_method(ib, np.full((60, 60), 2 ** 30, np.int64)) == "direct"
    ismall = rng.integers(0, 4, (300, 300))
    assert cyconv.choose_conv_method(ismall, rng.integers(0, 4, (60, 60))) == "fft"
    # scipy agrees on the exactness rule
    assert ss.choose_conv_method(ib, np.full((60, 60), 2 ** 30, np.int64)) == "direct"
    # 0-d / empty inputs
    assert cyconv.choose_conv_method(np.float64(2), np.float64(3)) == "direct"
    assert cyconv.choose_conv_method(np.zeros(0), np.ones(3)) == "direct"
    # measure=True returns scipy's (method, times) pair
    best, times = cyconv.choose_conv_method(small[:100], k, measure=True)
    assert best in ("direct", "fft") and set(times) == {"direct", "fft"}
    assert best == min(times, key=times.get) and all(t > 0 for t in times.values())


@pytest.mark.parametrize("s1,s2", [((20000,), (2000,)), ((200, 200), (30, 30))], ids=str)
def test_auto_never_loses_integer_exactness(s1, s2):
    """Constant integers just under scipy's 2**52 rule: the FFT would be off by a few."""
    m = min(math.prod(s1), math.prod(s2))
    big = int((2 ** 52 / m) ** 0.5) - 1
    for sign in (1, -1):
        a, b = np.full(s1, big, np.int64), np.full(s2, sign * big, np.int64)
        # exact answer: big**2 times the number of overlapping samples
        count = np.ones(())
        for n1, n2 in zip(s1, s2):
            o = np.arange(n1 + n2 - 1)
            count = np.multiply.outer(count, np.minimum(o, n1 - 1) - np.maximum(0, o - n2 + 1) + 1)
        exact = sign * big * big * count.astype(np.int64)
        assert cyconv.choose_conv_method(a, b) == "direct"
        for func in (cyconv.correlate, cyconv.convolve):
            got = func(a, b)
            np.testing.assert_array_equal(got, exact)
    # the same shapes with small integers do go to the (then exact) FFT
    small_a, small_b = np.full(s1, 3, np.int64), np.full(s2, -2, np.int64)
    assert cyconv.choose_conv_method(small_a, small_b) == "fft"
    np.testing.assert_array_equal(cyconv.correlate(small_a, small_b),
                                  cyconv.correlate(small_a, small_b, method="direct"))


def test_auto_follows_choose_conv_method():
    rng = np.random.default_rng(10)
    for s1, s2, dt in (((4000,), (700,), np.float64), ((120, 130), (40, 30), np.float32),
                       ((150, 160), (50, 40), np.complex128), ((200,), (7,), np.float64),
                       ((160, 150), (40, 40), np.int16)):
        a, b = rand(rng, s1, dt), rand(rng, s2, dt)
        for conv, func in ((False, cyconv.correlate), (True, cyconv.convolve)):
            for mode in MODES:
                m = cyconv.choose_conv_method(a, b, mode=mode)
                got = func(a, b, mode=mode)
                np.testing.assert_array_equal(got, func(a, b, mode=mode, method=m))
                if a.ndim == 1:
                    check_nd(got, a, b, mode, conv, "auto", f"auto {s1} {s2}")


def test_fft_large_problem_matches_scipy():
    rng = np.random.default_rng(12)
    for dt in (np.float32, np.float64, np.complex64, np.complex128, np.float16):
        a, b = rand(rng, (90, 80), dt), rand(rng, (21, 30), dt)
        for _conv, func, sfunc in ((False, cyconv.correlate, ss.correlate),
                                  (True, cyconv.convolve, ss.convolve)):
            for mode in MODES:
                got = func(a, b, mode=mode, method="fft")
                ref = sfunc(a.astype(wide_dtype(got.dtype)), b.astype(wide_dtype(got.dtype)),
                            mode=mode, method="direct")
                assert got.dtype == np.dtype(dt) and got.shape == ref.shape
                tol = fft_bound(a, b, got.dtype) + np.finfo(dt).eps * np.abs(ref)
                assert np.all(np.abs(got - ref) <= tol)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_bool_is_logical_or_of_ands(ndim):
    """Deliberate difference: scipy raises (N-d direct) or is wrong (fft); we compute it."""
    rng = np.random.default_rng(_seed("bool", ndim))
    s1, s2 = {1: ((30,), (5,)), 2: ((9, 8), (3, 4)), 3: ((5, 6, 4), (2, 3, 2))}[ndim]
    a = rng.random(s1) < 0.15
    b = rng.random(s2) < 0.3
    a.flat[0] = b.flat[0] = True
    for _conv, func, sfunc in ((False, cyconv.correlate, ss.correlate),
                              (True, cyconv.convolve, ss.convolve)):
        for mode in MODES:
            expected = sfunc(a.astype(np.int64), b.astype(np.int64), mode=mode,
                             method="direct") != 0
            assert expected.any() and not expected.all()
            for method in METHODS:
                got = func(a, b, mode=mode, method=method)
                assert got.dtype == np.bool_
                np.testing.assert_array_equal(got, expected)
    if ndim == 2:
        for _conv, func, sfunc in ((False, cyconv.correlate2d, ss.correlate2d),
                                  (True, cyconv.convolve2d, ss.convolve2d)):
            for mode in MODES:
                for boundary in ("fill", "wrap", "symm"):
                    exp = sfunc(a.astype(np.int64), b.astype(np.int64), mode=mode,
                                boundary=boundary) != 0
                    np.testing.assert_array_equal(func(a, b, mode=mode, boundary=boundary), exp)


def test_nan_and_inf_stay_local_in_direct():
    a = np.arange(20, dtype=np.float64)
    a[10] = np.nan
    a[3] = np.inf
    out = cyconv.correlate(a, np.ones(3), mode="same", method="direct")
    ref = ss.correlate(a, np.ones(3), mode="same", method="direct")
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(out), np.isinf(ref))
    finite = np.isfinite(ref)
    assert finite.sum() >= 12
    np.testing.assert_allclose(out[finite], ref[finite], rtol=1e-14)


# --------------------------------------------------------------------------
# hypothesis: random shapes, dtypes, layouts, modes, methods
# --------------------------------------------------------------------------

@st.composite
def problems(draw):
    ndim = draw(st.integers(1, 3))
    s1 = tuple(draw(st.lists(st.integers(1, 7), min_size=ndim, max_size=ndim)))
    s2 = tuple(draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim)))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.complex128, np.complex64, np.int8,
                                  np.uint16, np.int64, np.bool_, np.float16]))
    dtype2 = draw(st.sampled_from([dtype, np.float64, np.int32, np.complex64]))
    layouts = draw(st.tuples(st.sampled_from(["contiguous"] + LAYOUTS),
                             st.sampled_from(["contiguous"] + LAYOUTS)))
    mode = draw(st.sampled_from(MODES))
    method = draw(st.sampled_from(METHODS))
    conv = draw(st.booleans())
    seed = draw(st.integers(0, 2 ** 32 - 1))
    return s1, s2, dtype, dtype2, layouts, mode, method, conv, seed


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_hypothesis_shapes_layouts(problem):
    s1, s2, dtype, dtype2, (l1, l2), mode, method, conv, seed = problem
    rng = np.random.default_rng(seed)
    in1 = _layout(rand(rng, s1, dtype, big=True), l1)
    in2 = _layout(rand(rng, s2, dtype2), l2)
    func = cyconv.convolve if conv else cyconv.correlate
    valid_ok = all(a >= b for a, b in zip(s1, s2)) or all(a <= b for a, b in zip(s1, s2))
    if mode == "valid" and not valid_ok:
        with pytest.raises(ValueError, match="valid"):
            func(in1, in2, mode=mode, method=method)
        return
    result = np.result_type(in1, in2)
    if result.kind in "iu" and method != "direct":
        method = "direct" if np.abs(np.asarray(in1, float)).max() > 2 ** 20 else method
    got = func(in1, in2, mode=mode, method=method)
    a, b = np.array(in1), np.array(in2)
    check_nd(got, a, b, mode, conv, method, f"{problem}")
    if len(s1) == 2:
        func2 = cyconv.convolve2d if conv else cyconv.correlate2d
        boundary = ["fill", "wrap", "symm"][seed % 3]
        if mode != "valid" or valid_ok:
            check_2d(func2, a, b, mode, boundary, seed % 2, conv)
        np.testing.assert_array_equal(func2(in1, in2, mode, boundary, seed % 2),
                                      func2(a, b, mode, boundary, seed % 2))
