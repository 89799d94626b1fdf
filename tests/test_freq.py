"""fftconvolve, oaconvolve, correlation_lags, and axes= / out= on every function.

Differential tests on random data: ranks 1-4, ``axes`` of every length and
order (negative too), batch axes broadcasting from length 1, every mode,
dtype and memory layout.  The oracles are scipy.signal (dtypes, errors and
values) and a numpy-only loop over batch elements (float64/complex128, or
int64 wrapping as the kernels do), which also covers the one deliberate
difference from scipy ('same' keeps a broadcast batch axis, scipy#21876).
"""

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.signal as ss

import cyconv
from cyconv import _signal

sys.path.insert(0, os.path.dirname(__file__))
from freq_oracle import conv_oracle, rc_axes  # noqa: E402

DTYPES = ["float64", "float32", "complex128", "complex64", "int64", "int16", "uint8", "bool",
          "float16"]
MODES = ["full", "same", "valid"]


def _low_eps(got, a, b):
    """eps of the least precise of the result and the inputs (scipy.fft transforms a
    float32/complex64 input in its own precision, even for a float64 result)."""
    if got.dtype.kind not in "fc":
        return None
    kinds = [np.asarray(v).dtype for v in (a, b)]
    low = any(d.kind in "fc" and d.itemsize <= (8 if d.kind == "c" else 4) for d in kinds)
    return max(np.finfo(got.dtype).eps, np.finfo(np.float32).eps if low else 0)


def assert_close(got, exp, a, b, eps=None):
    assert got.shape == exp.shape, (got.shape, exp.shape)
    assert got.dtype == exp.dtype, (got.dtype, exp.dtype)
    if got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, exp)
        return
    fa = np.abs(np.asarray(a, dtype=np.complex128)).max(initial=0)
    fb = np.abs(np.asarray(b, dtype=np.complex128)).max(initial=0)
    m = min(np.size(a), np.size(b))
    eps = np.finfo(got.dtype).eps if eps is None else eps
    tol = 64 * eps * (fa * fb * max(1, m) + 1e-300)
    err = np.abs(got.astype(np.complex128) - exp.astype(np.complex128))
    assert (err <= tol).all(), f"worst error / tol {np.max(err / tol):.3g}"


# --------------------------------------------------------------------------
# comparisons and random problems
# --------------------------------------------------------------------------

def _values(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind in "iu":
        return rng.integers(0 if dtype.kind == "u" else -5, 6, shape).astype(dtype)
    v = rng.standard_normal(shape)
    if dtype.kind == "c":
        v = v + 1j * rng.standard_normal(shape)
    return v.astype(dtype)


def _layout(rng, a):
    """The same values in another memory layout."""
    kind = rng.integers(4)
    if kind == 1:
        return np.asfortranarray(a)
    if kind == 2 and a.ndim:
        return np.ascontiguousarray(a[::-1])[::-1]  # negative strides
    if kind == 3:
        big = np.zeros([2 * s for s in a.shape], a.dtype)
        view = big[(slice(None, None, 2),) * a.ndim]
        view[...] = a
        return view  # strided, not contiguous
    return a


def random_problem(seed, max_rank=4):
    """(in1, in2, axes): random shapes with length-1 axes, batch broadcasting, axes."""
    rng = np.random.default_rng(seed)
    nd = int(rng.integers(1, max_rank + 1))
    naxes = int(rng.integers(1, nd + 1))
    conv = [int(d) for d in rng.permutation(nd)[:naxes]]
    s1, s2 = [], []
    for d in range(nd):
        if d in conv:
            s1.append(int(rng.choice([1, 2, 3, 5, 8, 13])))
            s2.append(int(rng.choice([1, 2, 3, 4, 7])))
        else:
            n = int(rng.integers(1, 4))
            s1.append(int(rng.choice([1, n])))
            s2.append(int(rng.choice([1, n])))
    dt1, dt2 = rng.choice(DTYPES, 2) if rng.integers(3) == 0 else [rng.choice(DTYPES)] * 2
    a = _layout(rng, _values(rng, s1, dt1))
    b = _layout(rng, _values(rng, s2, dt2))
    how = rng.integers(4)
    if how == 0 and naxes == nd:
        axes = None
    elif how == 1 and naxes == 1:
        axes = conv[0] - nd * int(rng.integers(2))  # an int, maybe negative
    else:
        axes = [d - nd * int(rng.integers(2)) for d in conv]  # any order, some negative
    return a, b, axes


def _deviates(a, b, mode, axes):
    """True where scipy's 'same' cuts a broadcast batch axis (scipy#21876)."""
    if mode != "same" or axes is None:
        return False
    conv = {d % a.ndim for d in np.atleast_1d(axes)}
    return any(a.shape[d] < b.shape[d] for d in range(a.ndim) if d not in conv)


def _valid_possible(a, b, axes):
    nd = a.ndim
    conv = range(nd) if axes is None else [d % nd for d in np.atleast_1d(axes)]
    fft = [d for d in conv if a.shape[d] != 1 and b.shape[d] != 1]
    return all(a.shape[d] >= b.shape[d] for d in fft) or all(a.shape[d] <= b.shape[d] for d in fft)


# --------------------------------------------------------------------------
# fftconvolve / oaconvolve
# --------------------------------------------------------------------------

@pytest.mark.parametrize("func", ["fftconvolve", "oaconvolve"])
@pytest.mark.parametrize("seed", range(120))
def test_freq_matches_scipy_and_oracle(func, seed):
    a, b, axes = random_problem(seed)
    ours, theirs = getattr(cyconv, func), getattr(ss, func)
    for mode in MODES:
        try:
            ref = theirs(a, b, mode, axes=axes)
        except ValueError:
            with pytest.raises(ValueError):
                ours(a, b, mode, axes=axes)
            continue
        got = ours(a, b, mode, axes=axes)
        assert got.dtype == ref.dtype, (got.dtype, ref.dtype)
        assert got.flags.c_contiguous
        if not _deviates(a, b, mode, axes):
            assert got.shape == ref.shape
            assert_close(got, ref.astype(got.dtype), a, b, _low_eps(got, a, b))
        if got.dtype.kind in "fc":
            # the oracle in float64 / complex128, then in the result's precision
            assert_close(got, conv_oracle(a, b, mode, axes, got.dtype), a, b)


def test_same_keeps_the_broadcast_batch_axis():
    """The deliberate difference from scipy 1.17 (scipy#21876): its middle element agrees."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 100))
    k = rng.standard_normal((7, 10))
    for func in (cyconv.fftconvolve, cyconv.oaconvolve):
        got = func(x, k, mode="same", axes=1)
        assert got.shape == (7, 100)
        for i in range(7):
            np.testing.assert_allclose(got[i], ss.fftconvolve(x[0], k[i], mode="same"),
                                       atol=1e-12)
        np.testing.assert_allclose(got[3:4], ss.fftconvolve(x, k, mode="same", axes=1),
                                   atol=1e-12)


@pytest.mark.parametrize("dt1,dt2", list(itertools.combinations_with_replacement(DTYPES, 2)))
def test_freq_dtypes_as_scipy(dt1, dt2):
    rng = np.random.default_rng(2)
    a, b = _values(rng, (30,), dt1), _values(rng, (5,), dt2)
    for func in ("fftconvolve", "oaconvolve"):
        got = getattr(cyconv, func)(a, b)
        ref = getattr(ss, func)(a, b)
        assert got.dtype == ref.dtype
        assert_close(got, ref, a, b, _low_eps(got, a, b))
        # no transform needed (length-1 input): scipy multiplies in the inputs' dtypes
        got1 = getattr(cyconv, func)(a, b[:1])
        ref1 = getattr(ss, func)(a, b[:1])
        assert got1.dtype == ref1.dtype and got1.shape == ref1.shape
        np.testing.assert_array_equal(got1, ref1)


@pytest.mark.parametrize("func", ["fftconvolve", "oaconvolve"])
def test_freq_empty_and_zero_rank(func):
    ours, theirs = getattr(cyconv, func), getattr(ss, func)
    for a, b in [([], []), ([5, 6], []), ([], [7]), (np.zeros((0, 3)), np.ones((2, 2)))]:
        for mode in MODES:
            got = ours(np.asarray(a), np.asarray(b), mode)
            ref = theirs(np.asarray(a), np.asarray(b), mode)
            assert got.shape == ref.shape == (0,) and got.dtype == ref.dtype
    got = ours(np.asarray(3), np.asarray(4))
    assert got == 12 and np.asarray(got).dtype == np.asarray(theirs(3, 4)).dtype


@pytest.mark.parametrize("func", ["fftconvolve", "oaconvolve"])
def test_freq_errors_as_scipy(func):
    ours = getattr(cyconv, func)
    with pytest.raises(ValueError, match="same dimensionality"):
        ours([1.0], [[2.0]])
    with pytest.raises(ValueError, match="acceptable mode flags"):
        ours([1.0], [2.0], mode="chips")
    with pytest.raises(ValueError, match="acceptable mode flags"):
        ours([1.0], [2.0], mode=None)
    for axes, msg in [([], "cannot be empty"), ([[1, 2]], "iterable of integers"),
                      ([1.5], "iterable of integers"), ("x", "iterable of integers"),
                      ([1], "exceeds dimensionality"), (-2, "exceeds dimensionality"),
                      ([0, 0], "unique"), ([0, -1], "unique")]:
        with pytest.raises(ValueError, match=msg):
            ours([1.0], [2.0], axes=axes)
    with pytest.raises(ValueError, match="incompatible shapes"):
        ours(np.zeros((5, 6, 2, 1)), np.zeros((5, 6, 3, 1)), axes=[0, 1])
    with pytest.raises(ValueError, match="one must be at least as large"):
        ours(np.ones((2, 3)), np.ones((3, 2)), mode="valid")
    with pytest.raises(TypeError, match="in1"):
        ours(np.array(["a"]), [1.0])
    with pytest.raises(ValueError, match="workers"):
        ours([1.0], [2.0], workers=0)


def test_freq_workers_and_large_planned_problems():
    """The planner's tiled paths (W11/W13-like, smaller) agree with scipy on any workers."""
    rng = np.random.default_rng(3)
    img = rng.standard_normal((300, 280)).astype(np.float32)
    ker = rng.standard_normal((21, 17)).astype(np.float32)
    sig = rng.standard_normal(200_000)
    taps = rng.standard_normal(1023)
    for w in (1, 2, 3):
        got = cyconv.fftconvolve(img, ker, "same", workers=w)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, ss.fftconvolve(img, ker, "same"), atol=2e-4)
        for mode in MODES:
            np.testing.assert_allclose(cyconv.oaconvolve(sig, taps, mode, workers=w),
                                       ss.oaconvolve(sig, taps, mode), atol=1e-9)
    batch = rng.standard_normal((16, 3000))
    np.testing.assert_allclose(cyconv.fftconvolve(batch, taps[None, :300], "same", axes=-1,
                                                  workers=2),
                               ss.fftconvolve(batch, taps[None, :300], "same", axes=-1),
                               atol=1e-9)


# --------------------------------------------------------------------------
# correlate / convolve with axes
# --------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
@pytest.mark.parametrize("seed", range(80))
def test_axes_matches_oracle(method, seed):
    a, b, axes = random_problem(1000 + seed)
    if axes is None:
        axes = list(range(a.ndim))
    result = np.result_type(a, b)
    for mode in MODES:
        if mode == "valid" and not _valid_possible(a, b, axes):
            with pytest.raises(ValueError, match="at least as large"):
                cyconv.convolve(a, b, mode, method=method, axes=axes)
            continue
        for convolve in (True, False):
            func = cyconv.convolve if convolve else cyconv.correlate
            got = func(a, b, mode, method=method, axes=axes)
            exp = conv_oracle(a, b if convolve else rc_axes(b, axes), mode, axes, result)
            assert got.flags.c_contiguous
            if method == "fft" and result.kind in "biu":
                # an explicit FFT rounds back to the exact integers (small values here)
                assert got.dtype == result
            assert_close(got, exp, a, b)


@pytest.mark.parametrize("seed", range(40))
def test_axes_agree_with_scipy_fftconvolve(seed):
    """On float data, convolve(axes=) == scipy.signal.fftconvolve(axes=)."""
    a, b, axes = random_problem(5000 + seed)
    a, b = np.real(a).astype(np.float64), np.real(b).astype(np.float64)
    for mode in MODES:
        if _deviates(a, b, mode, axes) or (mode == "valid" and not _valid_possible(a, b, axes)):
            continue
        ref = ss.fftconvolve(a, b, mode, axes=axes)
        got = cyconv.convolve(a, b, mode, axes=axes if axes is not None else list(range(a.ndim)))
        assert_close(got, ref, a, b)


def test_axes_without_batch_equals_no_axes():
    """axes naming every axis (no length-1 axis involved) is the plain function."""
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((9, 7, 5)), rng.standard_normal((3, 4, 2))
    for mode, method in itertools.product(MODES, ["direct", "fft"]):
        for func in (cyconv.correlate, cyconv.convolve):
            plain = func(a, b, mode, method=method)
            for axes in ([0, 1, 2], [2, 0, 1], (-1, -2, -3)):
                got = func(a, b, mode, method=method, axes=axes)
                np.testing.assert_allclose(got, plain, atol=1e-12)
                if method == "direct":
                    np.testing.assert_array_equal(got, plain)


@pytest.mark.parametrize("case", ["kernel-batch-1", "both-batched", "x-broadcast", "middle-axis"])
def test_direct_axes_bitwise_across_workers(case):
    rng = np.random.default_rng(5)
    if case == "kernel-batch-1":   # one kernel call for the whole batch
        a, b, axes = rng.standard_normal((64, 2000)), rng.standard_normal((1, 33)), -1
    elif case == "both-batched":   # a loop over the batch, threads over elements
        a, b, axes = rng.standard_normal((37, 900)), rng.standard_normal((37, 31)), 1
    elif case == "x-broadcast":
        a, b, axes = rng.standard_normal((1, 5, 400)), rng.standard_normal((6, 5, 9)), [1, 2]
    else:                          # batch axis in the middle: a transposed buffer
        a, b, axes = rng.standard_normal((40, 7, 60)), rng.standard_normal((9, 7, 5)), [0, 2]
    a, b = a.astype(np.float32), b.astype(np.float32)
    for mode in MODES:
        for func in (cyconv.correlate, cyconv.convolve):
            outs = [func(a, b, mode, method="direct", axes=axes, workers=w) for w in (1, 2, 3, 4)]
            for o in outs[1:]:
                assert o.tobytes() == outs[0].tobytes()
            exp = conv_oracle(a, b if func is cyconv.convolve else rc_axes(b, axes), mode, axes,
                              np.dtype(np.float32))
            assert_close(outs[0], exp, a, b)


def test_axes_kernel_length_one_batch_is_one_call(monkeypatch):
    """A batch axis where in2 has length 1 is a kernel axis of length 1: one kernel call."""
    calls = []
    real = _signal._kernels

    class Spy:
        def __getattr__(self, name):
            fn = getattr(real, name)

            def spy(*args):
                calls.append(name)
                return fn(*args)
            return spy

    monkeypatch.setattr(_signal, "_kernels", Spy())
    x = np.random.default_rng(6).standard_normal((512, 300)).astype(np.float32)
    k = np.ones((1, 27), np.float32)
    cyconv.convolve(x, k, "same", method="direct", axes=-1)
    assert calls == ["correlate_new"]
    calls.clear()
    cyconv.convolve(x, np.ones((512, 27), np.float32), "same", method="direct", axes=-1)
    assert calls == ["correlate"] * 512


@pytest.mark.parametrize("s1,s2,axes", [
    ((6, 300), (1, 17), [1]),            # the kernel shared by a leading batch
    ((1, 300), (6, 17), [1]),            # in1 shared, in2 batched
    ((40, 5, 30), (9, 1, 4), [0, 2]),    # batch axis in the middle
    ((3, 20, 2, 25), (1, 6, 1, 5), [1, 3]),
    ((4, 3, 50), (4, 3, 7), [2]),        # no shared input: whole transforms only
])
@pytest.mark.parametrize("mode", MODES)
def test_batched_fft_stacked_and_whole_agree(monkeypatch, s1, s2, axes, mode):
    """Both ways fft_convolve_batched computes a batch match the oracle."""
    from cyconv import _fft
    rng = np.random.default_rng(13)
    a, b = rng.standard_normal(s1), rng.standard_normal(s2)
    exp = conv_oracle(a, b, mode, axes, np.dtype(np.float64))
    fft_axes, _, _ = _signal._axes_geometry(s1, s2, mode, axes)
    kept = _signal._axes_range(s1, s2, mode, axes, fft_axes)
    stack = _fft._stacking(s1, s2, fft_axes)
    if stack is not None:
        got = _fft._stacked(a, b, fft_axes, kept, np.dtype(np.float64), 2, stack)
        assert_close(got, exp, a, b)
    monkeypatch.setattr(_fft, "_stacking", lambda *args: None)
    assert_close(_fft.fft_convolve_batched(a, b, fft_axes, kept, np.dtype(np.float64), 2),
                 exp, a, b)


def test_axes_errors():
    a = np.ones((4, 5))
    with pytest.raises(ValueError, match="exceeds dimensionality"):
        cyconv.correlate(a, a, axes=2)
    with pytest.raises(ValueError, match="unique"):
        cyconv.convolve(a, a, axes=[1, -1])
    with pytest.raises(ValueError, match="cannot be empty"):
        cyconv.convolve(a, a, axes=[])
    with pytest.raises(ValueError, match="iterable of integers"):
        cyconv.convolve(a, a, axes=[0.5])
    with pytest.raises(ValueError, match="incompatible shapes"):
        cyconv.correlate(np.ones((3, 5)), np.ones((2, 5)), axes=1)
    with pytest.raises(ValueError, match="winograd"):
        cyconv.correlate(np.ones((3, 20, 20)), np.ones((1, 3, 3)), method="winograd", axes=[1, 2])
    with pytest.raises(ValueError, match="same number of dimensions"):
        cyconv.correlate(np.ones((3, 5)), np.ones(5), axes=1)
    # winograd with axes naming both axes of 2-D data is the plain call
    x, k = np.random.default_rng(7).standard_normal((20, 20)), np.ones((3, 3))
    np.testing.assert_allclose(cyconv.correlate(x, k, "valid", method="winograd", axes=(0, 1)),
                               cyconv.correlate(x, k, "valid"), atol=1e-12)


def test_axes_integers_exact_and_wrapping():
    rng = np.random.default_rng(8)
    a = rng.integers(-2**62, 2**62, (6, 50), dtype=np.int64)
    b = rng.integers(-2**62, 2**62, (6, 7), dtype=np.int64)
    for mode in MODES:
        got = cyconv.convolve(a, b, mode, axes=-1)
        assert_close(got, conv_oracle(a, b, mode, -1, np.dtype(np.int64)), a, b)
        assert cyconv.choose_conv_method(a[0], b[0], mode) == "direct"


# --------------------------------------------------------------------------
# out=
# --------------------------------------------------------------------------

def _calls():
    """(name, call(out=...), expected result) for every function taking out=."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((40, 30)).astype(np.float32)
    k = rng.standard_normal((5, 3)).astype(np.float32)
    xi = rng.integers(-9, 9, (40, 30)).astype(np.int16)
    rows = rng.standard_normal((8, 300))
    cases = [
        ("correlate", lambda **kw: cyconv.correlate(x, k, "valid", **kw)),
        ("correlate-full-swapped", lambda **kw: cyconv.correlate(k, x, "full", **kw)),
        ("correlate-fft", lambda **kw: cyconv.correlate(x, k, "same", method="fft", **kw)),
        ("convolve", lambda **kw: cyconv.convolve(x, k, "same", **kw)),
        ("convolve-int", lambda **kw: cyconv.convolve(xi, xi[:3, :3], "full", **kw)),
        ("convolve-axes", lambda **kw: cyconv.convolve(rows, rows[:1, :9], "same", axes=1, **kw)),
        ("correlate-axes-loop", lambda **kw: cyconv.correlate(rows, rows[:, :9], "valid", axes=-1,
                                                              **kw)),
        ("correlate2d", lambda **kw: cyconv.correlate2d(x, k, "same", **kw)),
        ("correlate2d-wrap", lambda **kw: cyconv.correlate2d(x, k, "same", "wrap", **kw)),
        ("convolve2d", lambda **kw: cyconv.convolve2d(x, k, "full", fillvalue=1.5, **kw)),
        ("convolve2d-valid-swapped", lambda **kw: cyconv.correlate2d(k, x, "valid", **kw)),
        ("fftconvolve", lambda **kw: cyconv.fftconvolve(x, k, "same", **kw)),
        ("fftconvolve-axes", lambda **kw: cyconv.fftconvolve(rows, rows[:, :9], axes=1, **kw)),
        ("oaconvolve", lambda **kw: cyconv.oaconvolve(rows[0], rows[1, :20], "full", **kw)),
    ]
    return cases


@pytest.mark.parametrize("name,call", _calls(), ids=[c[0] for c in _calls()])
def test_out_is_filled_and_returned(name, call):
    expected = call()
    for layout in ("c", "f", "strided"):
        if layout == "c":
            out = np.full(expected.shape, 7, expected.dtype)
        elif layout == "f":
            out = np.asfortranarray(np.full(expected.shape, 7, expected.dtype))
        else:
            out = np.full([2 * s for s in expected.shape], 7, expected.dtype)[
                (slice(None, None, 2),) * expected.ndim]
        got = call(out=out)
        assert got is out
        np.testing.assert_array_equal(out, expected)
    # reused: a second call into the same array gives the same answer
    assert call(out=out) is out
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("name,call", _calls(), ids=[c[0] for c in _calls()])
def test_out_wrong_shape_dtype_type(name, call):
    expected = call()
    with pytest.raises(ValueError, match="out has shape"):
        call(out=np.empty(expected.shape + (1,), expected.dtype))
    with pytest.raises(ValueError, match="out has shape"):
        call(out=np.empty(expected.size - 1, expected.dtype))
    other = np.complex128 if expected.dtype != np.complex128 else np.float64
    with pytest.raises(TypeError, match="out has dtype"):
        call(out=np.empty(expected.shape, other))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        call(out=expected.tolist())
    ro = np.empty(expected.shape, expected.dtype)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        call(out=ro)


@pytest.mark.parametrize("func", [cyconv.correlate, cyconv.convolve, cyconv.correlate2d,
                                  cyconv.convolve2d, cyconv.fftconvolve, cyconv.oaconvolve])
def test_out_overlapping_an_input(func):
    """out= in1 itself (or a view of it): computed aside, then copied; the right answer."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((50, 40))
    k = rng.standard_normal((5, 5))
    expected = func(x, k, "same")
    got = func(x, k, "same", out=x)
    assert got is x
    np.testing.assert_allclose(x, expected, atol=1e-12)
    x = rng.standard_normal((50, 40))
    kk = x[10:15, 10:15]  # in2 is a view into out
    expected = func(x.copy(), kk.copy(), "same")
    assert func(x, kk, "same", out=x) is x
    np.testing.assert_allclose(x, expected, atol=1e-12)


def test_out_kernel_writes_straight_into_it(monkeypatch):
    """A C-contiguous out of the compute dtype is the kernel's own output (W3's reuse)."""
    seen = []
    real = _signal._kernels

    class Spy:
        def __getattr__(self, name):
            fn = getattr(real, name)

            def spy(*args):
                seen.append((name, args[2] if name == "correlate" else None))
                return fn(*args)
            return spy

    monkeypatch.setattr(_signal, "_kernels", Spy())
    x = np.random.default_rng(11).standard_normal((64, 64)).astype(np.float32)
    k = np.ones((3, 3), np.float32)
    out = np.empty((62, 62), np.float32)
    cyconv.correlate(x, k, "valid", method="direct", out=out)
    assert seen == [("correlate", out)]
    seen.clear()
    cyconv.correlate2d(x, k, "same", out=np.empty((64, 64), np.float32))
    assert seen[0][0] == "correlate" and seen[0][1].shape == (64, 64)
    seen.clear()
    cyconv.correlate(x, k, "valid", method="direct", out=np.empty((62, 62), np.float32).T)
    assert [name for name, _ in seen] == ["correlate_new"]  # not contiguous: a copy


def test_out_on_empty_and_zero_rank():
    out = np.empty((3,))
    assert cyconv.correlate(np.ones(3), np.ones(0), "same", out=out) is out
    np.testing.assert_array_equal(out, 0)
    out0 = np.empty((), np.int64)
    assert cyconv.convolve(np.asarray(3), np.asarray(4), out=out0) is out0 and out0 == 12
    e = np.empty(0)
    assert cyconv.fftconvolve([], [1.0], out=e) is e


# --------------------------------------------------------------------------
# correlation_lags
# --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_correlation_lags_as_scipy(mode):
    for n1, n2 in itertools.product([0, 1, 2, 3, 4, 7, 10, 33], repeat=2):
        got = cyconv.correlation_lags(n1, n2, mode)
        ref = ss.correlation_lags(n1, n2, mode)
        assert got.dtype == ref.dtype
        np.testing.assert_array_equal(got, ref)
        if n1 and n2 and (mode != "valid" or n1 >= n2 or n1 <= n2):
            assert got.shape == cyconv.correlate(np.ones(n1), np.ones(n2), mode).shape
    with pytest.raises(ValueError, match="Mode bogus is invalid"):
        cyconv.correlation_lags(3, 3, "bogus")


def test_correlation_lags_find_the_delay():
    rng = np.random.default_rng(12)
    x = rng.standard_normal(500)
    y = np.concatenate([rng.standard_normal(37), x])
    for mode in MODES:
        lags = cyconv.correlation_lags(x.size, y.size, mode)
        assert lags[np.argmax(cyconv.correlate(x, y, mode))] == -37


# --------------------------------------------------------------------------
# lazy submodules
# --------------------------------------------------------------------------

def test_submodules_are_lazy_attributes():
    code = """
import sys, importlib.util
import cyconv
assert 'cyconv.nn' not in sys.modules and 'torch' not in sys.modules
assert 'dask' not in sys.modules
assert 'nn' in dir(cyconv)
layer = cyconv.nn.Conv2d(1, 2, 3)
assert sys.modules['cyconv.nn'] is cyconv.nn
for name in ('ndimage', 'dask'):
    present = importlib.util.find_spec('cyconv.' + name) is not None
    assert (name in dir(cyconv)) == present
    assert hasattr(cyconv, name) == present
try:
    cyconv.no_such_thing
except AttributeError as exc:
    assert 'no_such_thing' in str(exc)
else:
    raise SystemExit('no AttributeError')
assert 'torch' not in sys.modules
print('ok')
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


def test_public_names():
    for name in ("fftconvolve", "oaconvolve", "correlation_lags"):
        assert name in cyconv.__all__ and callable(getattr(cyconv, name))
