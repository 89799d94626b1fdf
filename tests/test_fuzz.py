"""Hypothesis fuzz of every public function: an answer matching the oracle, or
ValueError/TypeError/MemoryError -- never a crash, a hang or garbage.

Inputs: shapes 0-D to 5-D (0-size and size-1 axes included), every dtype
numpy has (float16, complex, integers, bool, object, str, bytes, datetime,
timedelta, structured, longdouble), byte-swapped, negative-stride,
broadcast (zero-stride), Fortran-ordered and unaligned read-only views into
a bytes buffer; modes, methods, boundaries and fill values right and wrong
(NaN/inf, complex, huge and negative ints, strings); workers right and wrong.

The oracle is a float64/complex128 (int64 for integer results, wrapping as
the kernels do) sliding-window sum written with numpy only.

CI runs a fixed budget (``CYCONV_FUZZ_EXAMPLES``, default 150 per test);
a longer run: ``CYCONV_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py``.
"""

import os
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import cyconv

sys.path.insert(0, os.path.dirname(__file__))
from freq_oracle import conv_oracle, rc_axes  # noqa: E402

EXAMPLES = int(os.environ.get("CYCONV_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="CYCONV_FUZZ_SEED" not in os.environ,
                suppress_health_check=list(HealthCheck), database=None)
ALLOWED = (ValueError, TypeError, MemoryError)

NUMERIC = ["float16", "float32", "float64", "complex64", "complex128", "int8", "int16", "int32",
           "int64", "uint8", "uint16", "uint32", "uint64", "bool"]
OTHER = ["object", "U3", "S2", "datetime64[s]", "timedelta64[ms]", [("a", "f8"), ("b", "i4")],
         "longdouble", "clongdouble"]


@st.composite
def arrays(draw, ndim=None, numeric_only=False, max_side=4):
    if ndim is None:
        ndim = draw(st.integers(0, 5))
    shape = tuple(draw(st.lists(st.integers(0 if draw(st.booleans()) else 1, max_side),
                                min_size=ndim, max_size=ndim)))
    dtype = np.dtype(draw(st.sampled_from(NUMERIC if numeric_only or draw(st.integers(0, 9)) else OTHER)))
    n = int(np.prod(shape))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if dtype.kind == "b":
        base = rng.integers(0, 2, n).astype(bool)
    elif dtype.kind in "iu":
        lo, hi = (0, 4) if dtype.kind == "u" else (-3, 4)
        if draw(st.integers(0, 7)) == 0:  # extreme values: wrap-around territory
            info = np.iinfo(dtype)
            base = rng.choice(np.array([info.min, info.max, 0, 1], dtype=dtype), n)
        else:
            base = rng.integers(lo, hi, n).astype(dtype)
    elif dtype.kind in "fc":
        base = rng.standard_normal(n) * 10 ** draw(st.integers(-3, 3))
        if dtype.kind == "c":
            base = base + 1j * rng.standard_normal(n)
        if n and draw(st.integers(0, 5)) == 0:
            base[rng.integers(n)] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        base = base.astype(dtype)
    elif dtype.kind == "O":
        base = np.array([1.5] * n, dtype=object)
    elif dtype.kind in "US":
        base = np.array(["ab"] * n, dtype=dtype)
    elif dtype.kind in "mM":
        base = np.arange(n).astype(dtype)
    else:
        base = np.zeros(n, dtype=dtype)
    a = base.reshape(shape)
    layout = draw(st.sampled_from(["c", "swap", "neg", "bcast", "fortran", "unaligned", "list"]))
    if layout == "swap" and dtype.kind in "biufcmM":
        a = a.astype(dtype.newbyteorder("S"))
    elif layout == "neg" and ndim:
        a = np.ascontiguousarray(a[::-1])[::-1]
    elif layout == "bcast" and ndim and shape[0] > 1:
        a = np.broadcast_to(a[:1], shape)
    elif layout == "fortran":
        a = np.asfortranarray(a)
    elif layout == "unaligned" and dtype.kind != "O" and dtype.itemsize > 1:
        buf = bytes(1) + np.ascontiguousarray(a).tobytes()
        a = np.frombuffer(buf, dtype=dtype, offset=1).reshape(shape)
        assert not a.flags.aligned or dtype.alignment == 1 or n <= 1
    elif layout == "list" and dtype.kind in "biufc" and n <= 64:
        return a.tolist()
    return a


def _result_dtype(a, b):
    return np.result_type(a, b)


def _work(a, result):
    if result.kind in "biu":
        return np.asarray(a).astype(np.int64)
    return np.asarray(a).astype(np.complex128 if result.kind == "c" else np.float64)


def _corr_full(x, k, fill=0, boundary="fill"):
    """out[o] = sum_t x[o + t - (K - 1)] * k[t] over the extended x (no conj)."""
    pads = [(s - 1, s - 1) for s in k.shape]
    if boundary == "fill":
        xe = np.pad(x, pads, mode="constant", constant_values=fill)
    else:
        xe = np.pad(x, pads, mode="wrap" if boundary == "wrap" else "symmetric")
    win = np.lib.stride_tricks.sliding_window_view(xe, k.shape)
    with np.errstate(all="ignore"):
        return np.tensordot(win, k, axes=k.ndim)


def oracle(in1, in2, mode, convolve, two_d=False, boundary="fill", fill=0):
    a, b = np.asarray(in1), np.asarray(in2)
    result = _result_dtype(a, b)
    if a.ndim == 0:
        with np.errstate(all="ignore"):
            return (a * b if convolve else a * np.conj(b)).astype(result)
    x, k = _work(a, result), _work(b, result)
    k = k[(slice(None, None, -1),) * k.ndim] if convolve else np.conj(k)
    if mode == "same" and (x.size == 0 or k.size == 0):
        return np.zeros(a.shape, result)
    if mode == "valid":  # no 'valid' output depends on the boundary (even swapped)
        fill, boundary = 0, "fill"
    full = _corr_full(x, k, fill, boundary)
    if mode == "full":
        out = full
    elif mode == "valid":
        sl = tuple(slice(min(n, m) - 1, max(n, m)) for n, m in zip(a.shape, b.shape))
        out = full[sl]
    else:
        start = [(m // 2 if (two_d and not convolve) else (m - 1) // 2) for m in b.shape]
        out = full[tuple(slice(s, s + n) for s, n in zip(start, a.shape))]
    if result.kind == "b":
        return out != 0
    with np.errstate(all="ignore"):
        return out.astype(result)


def check_close(got, exp, a, b):
    if np.ndim(a) == 0 and isinstance(got, np.generic):  # 0-d: a scalar, as scipy
        got = np.asarray(got)
    assert isinstance(got, np.ndarray), type(got)
    assert got.shape == exp.shape, (got.shape, exp.shape)
    assert got.dtype == exp.dtype, (got.dtype, exp.dtype)
    if got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, exp)
        return
    a = np.asarray(a).astype(np.complex128)
    b = np.asarray(b).astype(np.complex128)
    fa, fb = np.abs(a[np.isfinite(a)]), np.abs(b[np.isfinite(b)])
    scale = (fa.max(initial=0) * fb.max(initial=0)) * max(1, min(a.size, b.size)) + 1e-300
    eps = np.finfo(got.dtype).eps
    g, e = got.astype(np.complex128), exp.astype(np.complex128)
    finite = np.isfinite(e)
    if np.isfinite(a).all() and np.isfinite(b).all():
        assert np.isfinite(g).all() or not np.isfinite(e).all()
        err = np.abs(g - e)[finite]
        assert (err <= 64 * eps * scale + np.abs(e[finite]) * 8 * eps).all(), err.max()
    else:
        # non-finite input: the finite outputs still match (FFT spreads NaN: skip)
        both = finite & np.isfinite(g)
        err = np.abs(g[both] - e[both])
        assert (err <= 64 * eps * scale).all()


def _call(func, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return func(*args, **kw), None
        except ALLOWED as exc:
            return None, exc


MODES = st.sampled_from(["full", "valid", "same", "bogus", None, 3, b"full"])
METHODS = st.sampled_from(["auto", "direct", "fft", "direct", "winograd", "bogus", None])
WORKERS = st.sampled_from([None, 1, 2, -1, 0, -2**70, 2**70, 2**31, 1.5, "2", True])


def _valid_ok(a, b):
    sa, sb = np.shape(a), np.shape(b)
    return all(x >= y for x, y in zip(sa, sb)) or all(x <= y for x, y in zip(sa, sb))


@FUZZ
@given(data=st.data(), convolve=st.booleans(), mode=MODES, method=METHODS, workers=WORKERS)
def test_fuzz_nd(data, convolve, mode, method, workers):
    a = data.draw(arrays())
    same_ndim = data.draw(st.integers(0, 4)) > 0
    b = data.draw(arrays(ndim=np.ndim(a) if same_ndim else None))
    func = cyconv.convolve if convolve else cyconv.correlate
    got, exc = _call(func, a, b, mode=mode, method=method, workers=workers)
    if exc is not None:
        return
    # an answer: every argument must have been valid
    assert mode in ("full", "valid", "same") and method in ("auto", "direct", "fft", "winograd")
    assert np.asarray(a).dtype.kind in "biufc" and np.asarray(b).dtype.kind in "biufc"
    assert np.ndim(a) == np.ndim(b)
    if method == "winograd" and np.ndim(a) and np.size(a) and np.size(b):
        # 2-D real floating data only (0-d and empty inputs never reach a method)
        assert np.ndim(a) == 2 and np.result_type(np.asarray(a), np.asarray(b)).kind == "f"
    if mode == "valid":
        assert _valid_ok(a, b)
    exp = oracle(a, b, mode, convolve)
    if method == "fft" and exp.dtype.kind in "biu" and not _fft_exact_ints(a, b):
        # an explicit FFT of huge integers is inexact by nature (scipy's too);
        # 'auto' never makes that trade (it goes direct)
        assert got.shape == exp.shape and got.dtype == exp.dtype
        return
    check_close(got, exp, a, b)
    event(f"{func}: compared with the oracle")


def _fft_exact_ints(a, b):
    """Integers small enough that a float64 FFT rounds back to the exact result."""
    a, b = np.asarray(a).astype(object), np.asarray(b).astype(object)
    m = max((abs(v) for v in a.flat), default=0) * max((abs(v) for v in b.flat), default=0)
    return m * (a.size * b.size) ** 0.5 * 64 < 2 ** 49


# mostly valid arguments (each is also wrong at times): most draws reach the oracle
MOSTLY_MODES = st.sampled_from(["full", "valid", "same"] * 4 + ["bogus", None])
MOSTLY_METHODS = st.sampled_from(["auto", "direct", "fft"] * 4 + ["winograd", "bogus"])
MOSTLY_WORKERS = st.sampled_from([None, 1, 2, -1] * 3 + [0, 2**70, 1.5])
BAD_AXES = st.sampled_from([[], [0.5], "0", [[0]], 7, [0, 0], -9, (True,)])


@st.composite
def axes_for(draw, ndim):
    """None, an int or a sequence of distinct axes in any order (some negative); or junk."""
    kind = draw(st.integers(0, 9))
    if kind == 0 or ndim == 0:
        return draw(BAD_AXES)
    if kind == 1:
        return None
    axes = draw(st.permutations(range(ndim)))[: draw(st.integers(1, ndim))]
    axes = [d - ndim * draw(st.integers(0, 1)) for d in axes]
    if kind == 2:
        return np.int64(axes[0]) if draw(st.booleans()) else axes[0]
    return tuple(axes) if draw(st.booleans()) else axes


def _axes_list(axes, ndim):
    """The axes as the functions read them (all when None; [] for junk)."""
    if axes is None:
        return list(range(ndim))
    try:
        return [int(d) % ndim for d in np.atleast_1d(axes)]
    except (TypeError, ValueError):
        return []


@FUZZ
@given(data=st.data(), func=st.sampled_from(["fftconvolve", "oaconvolve", "correlate",
                                              "convolve"]),
       mode=MOSTLY_MODES, method=MOSTLY_METHODS, workers=MOSTLY_WORKERS, use_out=st.booleans())
def test_fuzz_axes_and_freq(data, func, mode, method, workers, use_out):
    """fftconvolve / oaconvolve, and correlate / convolve with axes=: the oracle or an error."""
    ndim = data.draw(st.sampled_from([1, 2, 3, 4, 0, 5]))
    numeric = data.draw(st.integers(0, 9)) > 0
    a = data.draw(arrays(ndim=ndim, numeric_only=numeric, max_side=5))
    b = data.draw(arrays(ndim=ndim if data.draw(st.integers(0, 9)) else None,
                         numeric_only=numeric, max_side=5))
    axes = data.draw(axes_for(ndim))
    if np.ndim(a) == np.ndim(b) == ndim and ndim and data.draw(st.integers(0, 3)):
        # mostly compatible batch axes: b cut to length 1 where it would not broadcast
        conv = _axes_list(axes, ndim)
        sa, sb = np.shape(a), np.shape(b)
        cut = tuple(slice(0, 1) if d not in conv and sb[d] not in (1, sa[d]) else slice(None)
                    for d in range(ndim))
        b = np.asarray(b)[cut]
    freq = func in ("fftconvolve", "oaconvolve")
    kw = {"mode": mode, "axes": axes, "workers": workers}
    if not freq:
        kw["method"] = method
    got, exc = _call(getattr(cyconv, func), a, b, **kw)
    if exc is not None:
        return
    assert mode in ("full", "valid", "same")
    assert np.asarray(a).dtype.kind in "biufc" and np.asarray(b).dtype.kind in "biufc"
    assert np.ndim(a) == np.ndim(b)
    if not freq:
        assert method in ("auto", "direct", "fft", "winograd")
    a, b = np.asarray(a), np.asarray(b)
    if use_out and isinstance(got, np.ndarray):
        out = np.empty_like(got)
        again, exc = _call(getattr(cyconv, func), a, b, out=out, **kw)
        assert exc is None and again is out
        np.testing.assert_array_equal(np.isnan(out), np.isnan(got))
    if a.ndim == 0 or a.size == 0 or b.size == 0:
        if freq and a.ndim:
            assert got.shape == (0,) and got.dtype == np.float64  # scipy's empty answer
        return
    ax = _axes_list(axes, a.ndim)
    conv_b = b if func != "correlate" else rc_axes(b, ax)
    exp = conv_oracle(a, conv_b, mode, ax, got.dtype)
    if not freq and axes is None:
        return  # the plain functions: test_fuzz_nd
    if method == "fft" and got.dtype.kind in "biu" and not _fft_exact_ints(a, b):
        assert got.shape == exp.shape and got.dtype == exp.dtype
        return
    check_close(got, exp, a, b)
    event(f"{func}: compared with the oracle")


FILLS = st.sampled_from([0, 1, -2, 2.5, np.nan, np.inf, -np.inf, 1 + 2j, 2**70, -2**70,
                         np.int64(-7), "x", None, [1, 2], np.float32(0.5), True])


@FUZZ
@given(data=st.data(), convolve=st.booleans(), mode=MODES,
       boundary=st.sampled_from(["fill", "wrap", "symm", "pad", "circular", "symmetric",
                                 "bogus", None]),
       fill=FILLS, workers=WORKERS)
def test_fuzz_2d(data, convolve, mode, boundary, fill, workers):
    nd = data.draw(st.sampled_from([2, 2, 2, 1, 3]))
    a = data.draw(arrays(ndim=nd))
    b = data.draw(arrays(ndim=nd if data.draw(st.booleans()) else 2))
    func = cyconv.convolve2d if convolve else cyconv.correlate2d
    got, exc = _call(func, a, b, mode=mode, boundary=boundary, fillvalue=fill, workers=workers)
    if exc is not None:
        return
    assert np.ndim(a) == 2 and np.ndim(b) == 2
    assert mode in ("full", "valid", "same")
    result = np.result_type(np.asarray(a), np.asarray(b))
    assert result.kind in "biufc"
    bnd = {"pad": "fill", "circular": "wrap", "symmetric": "symm"}.get(boundary, boundary)
    if mode == "valid":
        assert _valid_ok(a, b)
    # the fill value as the result dtype (cyconv raised where it does not fit)
    f = np.asarray(fill).reshape(()).item() if bnd == "fill" else 0
    if result.kind in "biu" and bnd == "fill":
        f = int(f.real) if isinstance(f, complex) else int(f)
    elif result.kind == "f":
        f = complex(f).real
    exp = oracle(a, b, mode, convolve, two_d=True, boundary=bnd, fill=f)
    check_close(got, exp, a, b)


@FUZZ
@given(a=arrays(), b=arrays(), mode=MODES)
def test_fuzz_choose_conv_method(a, b, mode):
    got, exc = _call(cyconv.choose_conv_method, a, b, mode=mode)
    if exc is None:
        assert got in ("direct", "fft")
        assert mode in ("full", "valid", "same")


@pytest.mark.parametrize("func", [cyconv.correlate, cyconv.convolve, cyconv.correlate2d,
                                  cyconv.convolve2d, cyconv.choose_conv_method])
def test_unconvertible_arguments(func):
    for bad in ([[1, 2], [3]], object(), "abc", None, {1: 2}):
        got, exc = _call(func, bad, [[1.0]])
        assert exc is not None, f"{func.__name__}({bad!r}) returned {got!r}"


@pytest.mark.parametrize("workers", [2**31, 2**63, 2**70, -2**70])
def test_huge_workers_raise_value_error(workers):
    # found by the long fuzz run: 2**70 raised OverflowError from the C conversion
    for func in (cyconv.correlate, cyconv.convolve, cyconv.correlate2d, cyconv.convolve2d):
        with pytest.raises(ValueError, match="workers"):
            func(np.ones((40, 40)), np.ones((3, 3)), workers=workers)


# cyconv.ndimage: every dtype, layout and 0-5-D shape of the strategy above,
# with right and wrong modes, origins, cvals and outputs; an answer must match
# a float64 loop over the input extended by the mode (np.pad), else an
# argument error.
ND_MODES = st.sampled_from(["reflect", "constant", "nearest", "mirror", "wrap", "grid-wrap",
                            "valid", "bogus", None, 3])
_NP_PAD = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap",
           "grid-wrap": "wrap"}


def _nd_oracle(x, w, mode, cval, origin):
    """float64/complex128 correlation of x extended by ``mode`` (scipy.ndimage's rules)."""
    x = np.asarray(x)
    x = x.astype(np.complex128 if x.dtype.kind == "c" or w.dtype.kind == "c" else np.float64)
    w = np.asarray(w, dtype=x.dtype)
    if x.ndim == 0:
        return x * w
    if mode == "valid":
        widths = [(0, 0)] * x.ndim
        out_shape = [n - k + 1 for n, k in zip(x.shape, w.shape)]
    else:
        widths = [(k // 2 + origin, k - 1 - k // 2 - origin) for k in w.shape]
        out_shape = list(x.shape)
    if mode == "constant":
        xp = np.pad(x, widths, mode="constant", constant_values=cval)
    elif mode != "valid":
        xp = np.pad(x, widths, mode=_NP_PAD[mode])
    else:
        xp = x
    out = np.zeros(out_shape, dtype=x.dtype)
    for t in np.ndindex(*w.shape):
        out += w[t] * xp[tuple(slice(i, i + n) for i, n in zip(t, out_shape))]
    return out


@FUZZ
@given(data=st.data(), mode=ND_MODES, workers=WORKERS,
       cval=st.sampled_from([0, 1.5, -2, 1j, "x", np.nan]), origin=st.sampled_from([0, 1, -1, 5]))
def test_fuzz_ndimage_correlate(data, mode, workers, cval, origin):
    from cyconv import ndimage

    a = data.draw(arrays(max_side=5))
    w = data.draw(arrays(ndim=np.ndim(a) if data.draw(st.integers(0, 4)) else None, max_side=3))
    got, exc = _call(ndimage.correlate, a, w, mode=mode, cval=cval, origin=origin, workers=workers)
    if exc is not None:
        return
    a, w = np.asarray(a), np.asarray(w)
    assert mode in _NP_PAD or mode in ("constant", "valid")
    assert a.dtype.kind in "biufc" and w.dtype.kind in "biufc" and a.ndim == w.ndim
    assert got.shape == (a.shape if mode != "valid" else tuple(n - k + 1 for n, k in
                                                              zip(a.shape, w.shape)))
    if a.size == 0 or got.dtype.kind in "biu" or not np.isfinite(np.asarray(cval)).all():
        return  # integer outputs are truncated casts of the same sums; NaN cval spreads
    with np.errstate(all="ignore"):
        want = _nd_oracle(a, w.conj(), mode, complex(cval) if a.dtype.kind == "c" else
                          np.real(cval), origin if mode != "valid" else 0)
        finite = np.isfinite(want)
        scale = float(np.abs(np.where(finite, want, 0)).max(initial=0)) + \
            float(np.abs(w.astype(complex)).sum()) \
            * float(np.abs(np.where(np.isfinite(a), a, 0).astype(complex)).max(initial=0))
    eps = np.finfo(got.dtype).eps if got.dtype.kind in "fc" else 0
    g = got.astype(want.dtype)
    assert (np.abs(g[finite] - want[finite]) <= 64 * eps * scale + 1e-300).all()
