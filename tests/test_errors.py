"""Every bad input raises ValueError/TypeError whose message names the argument."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cyconv
from cyconv import _threads

A1, B1 = np.arange(6.0), np.array([1.0, -2.0])
A2, B2 = np.arange(12.0).reshape(3, 4), np.array([[1.0, 2.0], [3.0, -4.0]])

ND = [("correlate", cyconv.correlate), ("convolve", cyconv.convolve)]
TWO_D = [("correlate2d", cyconv.correlate2d), ("convolve2d", cyconv.convolve2d)]
ALL = ND + TWO_D


def _call(func, a, b, **kw):
    return func(a, b, **kw)


def _ids(pairs):
    return [name for name, _ in pairs]


# --------------------------------------------------------------------------
# mode / method / boundary
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name,func", ALL, ids=_ids(ALL))
def test_bad_mode(name, func):
    a, b = (A2, B2) if name.endswith("2d") else (A1, B1)
    for mode in ("bogus", "FULL", "", "full "):
        with pytest.raises(ValueError, match="mode"):
            func(a, b, mode=mode)
    for mode in (None, 1, b"full", ["full"]):
        with pytest.raises(TypeError, match="mode"):
            func(a, b, mode=mode)
    with pytest.raises(ValueError, match="mode"):
        cyconv.choose_conv_method(a, b, mode="bogus")
    with pytest.raises(TypeError, match="mode"):
        cyconv.choose_conv_method(a, b, mode=0)


def test_bad_mode_for_zero_dim_inputs():
    for func in (cyconv.correlate, cyconv.convolve):
        with pytest.raises(ValueError, match="mode"):
            func(np.float64(2), np.float64(3), mode="bogus")
        with pytest.raises(TypeError, match="mode"):
            func(np.float64(2), np.float64(3), mode=None)
        with pytest.raises(ValueError, match="method"):
            func(np.float64(2), np.float64(3), method="bogus")
        with pytest.raises(ValueError, match="workers"):
            func(np.float64(2), np.float64(3), workers=0)


@pytest.mark.parametrize("name,func", ND, ids=_ids(ND))
def test_bad_method(name, func):
    for method in ("bogus", "Direct", "overlap-add"):
        with pytest.raises(ValueError, match="method"):
            func(A1, B1, method=method)
    for method in (None, 1, True):
        with pytest.raises(TypeError, match="method"):
            func(A1, B1, method=method)


@pytest.mark.parametrize("name,func", TWO_D, ids=_ids(TWO_D))
def test_bad_boundary(name, func):
    for boundary in ("bogus", "reflect", "constant", "FILL"):
        with pytest.raises(ValueError, match="boundary"):
            func(A2, B2, boundary=boundary)
    for boundary in (None, 0, b"fill"):
        with pytest.raises(TypeError, match="boundary"):
            func(A2, B2, boundary=boundary)
    # scipy's aliases are accepted
    for alias, canon in (("pad", "fill"), ("circular", "wrap"), ("symmetric", "symm")):
        np.testing.assert_array_equal(func(A2, B2, boundary=alias), func(A2, B2, boundary=canon))


# --------------------------------------------------------------------------
# shapes
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name,func", ND, ids=_ids(ND))
def test_ndim_mismatch(name, func):
    for a, b in ((A1, B2), (A2, B1), (np.float64(1), B1), (A1, np.float64(2)),
                 (np.ones((2, 2, 2)), B2)):
        for method in ("auto", "direct", "fft"):
            with pytest.raises(ValueError, match="dimensions"):
                func(a, b, method=method)
    with pytest.raises(ValueError, match="dimensions"):
        cyconv.choose_conv_method(A1, B2)


@pytest.mark.parametrize("name,func", ALL, ids=_ids(ALL))
def test_valid_mode_needs_one_input_containing_the_other(name, func):
    a, b = np.ones((3, 5)), np.ones((5, 3))
    kws = [{}] if name.endswith("2d") else [{"method": m} for m in ("auto", "direct", "fft")]
    for kw in kws:
        with pytest.raises(ValueError, match="valid"):
            func(a, b, mode="valid", **kw)
        with pytest.raises(ValueError, match="valid"):
            func(b, a, mode="valid", **kw)
    if not name.endswith("2d"):
        with pytest.raises(ValueError, match="valid"):
            func(np.ones((2, 6, 3)), np.ones((3, 2, 3)), mode="valid")


@pytest.mark.parametrize("name,func", TWO_D, ids=_ids(TWO_D))
def test_two_d_functions_need_two_d_inputs(name, func):
    for a, b in ((A1, B1), (A2, B1), (A1, B2), (np.ones((2, 2, 2)), np.ones((2, 2, 2))),
                 (np.float64(1), np.float64(2)), (A2, np.ones((1, 1, 1)))):
        with pytest.raises(ValueError, match="2-D"):
            func(a, b)


@pytest.mark.parametrize("name,func", ALL, ids=_ids(ALL))
def test_empty_inputs_full_and_valid_name_the_argument(name, func):
    shape = (3, 4) if name.endswith("2d") else (5,)
    empty = np.zeros((0,) + shape[1:])
    full = np.ones(shape)
    for mode in ("full", "valid"):
        with pytest.raises(ValueError, match="in1"):
            func(empty, full, mode=mode)
        with pytest.raises(ValueError, match="in2"):
            func(full, empty, mode=mode)


# --------------------------------------------------------------------------
# dtypes and array conversion
# --------------------------------------------------------------------------

def _unsupported():
    cases = [
        np.array([1, 2, 3], dtype=object),
        np.array(["a", "b", "c"]),
        np.array([b"a", b"b", b"c"]),
        np.array(["2020-01-01", "2020-01-02", "2020-01-03"], dtype="datetime64[D]"),
        np.array([1, 2, 3], dtype="timedelta64[s]"),
        np.zeros(3, dtype=[("x", "f8"), ("y", "i4")]),
    ]
    return cases


@pytest.mark.parametrize("name,func", ALL + [("choose_conv_method", cyconv.choose_conv_method)],
                         ids=_ids(ALL) + ["choose_conv_method"])
def test_unsupported_dtypes_name_the_argument(name, func):
    good = np.ones(3)
    for bad in _unsupported():
        a, g = (bad[None, :], good[None, :]) if name.endswith("2d") else (bad, good)
        with pytest.raises(TypeError, match="in1"):
            func(a, g)
        with pytest.raises(TypeError, match="in2"):
            func(g, a)


@pytest.mark.parametrize("dtype", [np.longdouble, np.clongdouble])
def test_longdouble_is_computed_in_long_double(dtype):
    """scipy takes long double (its direct method): so does cyconv, exactly in it."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((9, 11)).astype(dtype) / 3
    k = rng.standard_normal((3, 4)).astype(dtype) / 7
    if np.dtype(dtype).kind == "c":
        x = x + 1j * x[::-1] / 5
    want = np.zeros((7, 8), dtype=dtype)
    kc = k.conj()
    for a in range(3):
        for b in range(4):
            want += kc[a, b] * x[a:a + 7, b:b + 8]
    for workers in (1, 2):
        got = cyconv.correlate(x, k, "valid", workers=workers)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=8 * np.finfo(dtype).eps)
    assert cyconv.choose_conv_method(x, k) == "direct"
    assert cyconv.correlate2d(x, k, boundary="symm").dtype == dtype
    # the FFT runs in float64: a float64-accurate long double answer
    np.testing.assert_allclose(cyconv.fftconvolve(x, k), cyconv.convolve(x, k, method="direct"),
                               rtol=1e-12)


@pytest.mark.parametrize("name,func", ALL, ids=_ids(ALL))
def test_ragged_and_non_numeric_inputs(name, func):
    ragged = [[1.0, 2.0], [3.0]]
    good = [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError, match="in1"):
        func(ragged, good)
    with pytest.raises(ValueError, match="in2"):
        func(good, ragged)
    for junk in ("abc", None, {"a": 1}):
        with pytest.raises(TypeError, match="in1"):
            func(junk, good)
        with pytest.raises(TypeError, match="in2"):
            func(good, junk)


# --------------------------------------------------------------------------
# workers and fillvalue
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name,func", ALL, ids=_ids(ALL))
def test_bad_workers(name, func):
    a, b = (A2, B2) if name.endswith("2d") else (A1, B1)
    for workers in (0, -(_threads.cpu_count() + 1), -10 ** 6):
        with pytest.raises(ValueError, match="workers"):
            func(a, b, workers=workers)
    for workers in (1.5, "2", True, np.bool_(False), 2.0, [1], object()):
        with pytest.raises(TypeError, match="workers"):
            func(a, b, workers=workers)
    # workers is keyword-only, as in scipy.fft
    with pytest.raises(TypeError):
        func(a, b, "full", "direct" if not name.endswith("2d") else "fill", 0, 2)


@pytest.mark.parametrize("name,func", TWO_D, ids=_ids(TWO_D))
def test_bad_fillvalue(name, func):
    f64, i16 = A2, A2.astype(np.int16)
    u8, c = A2.astype(np.uint8), A2.astype(np.complex128)
    # complex fill with a real output
    for a in (f64, i16, f64.astype(np.float32)):
        with pytest.raises(ValueError, match="fillvalue"):
            func(a, B2.astype(a.dtype), fillvalue=1 + 2j)
    # non-numeric
    for fill in ("a", None, object(), np.datetime64("2020-01-01"), b"1"):
        with pytest.raises(TypeError, match="fillvalue"):
            func(f64, B2, fillvalue=fill)
    # not a scalar
    for fill in ([1, 2], np.ones((2, 2)), []):
        with pytest.raises(ValueError, match="fillvalue"):
            func(f64, B2, fillvalue=fill)
    # integer output with a fill that does not fit
    for a, fill in ((u8, -1), (u8, 256), (i16, 40000), (i16, -2 ** 40), (u8, 2 ** 64),
                    (i16, np.nan), (i16, np.inf), (u8, -np.inf), (i16, 1e300)):
        with pytest.raises(ValueError, match="fillvalue"):
            func(a, B2.astype(a.dtype), fillvalue=fill)
    # the same fills are fine where they fit
    func(c, B2, fillvalue=1 + 2j)
    func(u8, B2.astype(np.uint8), fillvalue=255)
    func(i16, B2.astype(np.int16), fillvalue=-32768)


# --------------------------------------------------------------------------
# sizes that cannot exist: raise at once, never crash or hang
# --------------------------------------------------------------------------

_HUGE_SCRIPT = textwrap.dedent("""
    import numpy as np, cyconv
    from cyconv import _threads
    results = []
    def attempt(label, f, *args, **kw):
        try:
            f(*args, **kw)
        except (ValueError, MemoryError) as exc:
            results.append(f"ok {label} {type(exc).__name__}")
        except Exception as exc:
            results.append(f"WRONG {label} {type(exc).__name__}: {exc}")
        else:
            results.append(f"WRONG {label} returned")
    for dt, shape in ((np.uint8, (2**31, 2**31)), (np.float64, (2**30, 2**29)),
                      (np.int16, (2**31, 2**30)), (np.bool_, (2**31, 2**31)),
                      (np.complex128, (2**29, 2**29))):
        big = np.broadcast_to(dt(1), shape)
        k = np.ones((3, 3), dt)
        for method in ("auto", "direct", "fft"):
            for a, b, mode in ((big, k, "full"), (k, big, "full"), (big, big, "full"),
                               (big, k, "same"), (big, big, "valid")):
                for f in (cyconv.correlate, cyconv.convolve):
                    attempt(f"{f.__name__} {dt.__name__} {mode} {method}", f, a, b, mode=mode,
                            method=method)
        for f in (cyconv.correlate2d, cyconv.convolve2d):
            for boundary in ("fill", "wrap", "symm"):
                for mode in ("full", "same"):
                    attempt(f"{f.__name__} {dt.__name__} {boundary} {mode}", f, big, k,
                            mode=mode, boundary=boundary, fillvalue=1)
        attempt(f"choose {dt.__name__}", cyconv.choose_conv_method, big, big)
    assert _threads.in_use() == 0
    print("\\n".join(results))
""")


def test_impossible_sizes_raise_quickly():
    """Broadcast inputs whose output (or compute copy) cannot be addressed or allocated."""
    res = subprocess.run([sys.executable, "-c", _HUGE_SCRIPT], capture_output=True, text=True,
                         timeout=300, cwd=os.path.abspath(os.sep))
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    lines = res.stdout.splitlines()
    assert len(lines) == 5 * (3 * 5 * 2 + 2 * 3 * 2 + 1)
    wrong = [line for line in lines if not line.startswith("ok ")]
    assert not wrong, wrong


def test_overflowing_shapes_raise_value_error():
    big = np.broadcast_to(np.uint8(1), (2 ** 31, 2 ** 31))
    for method in ("auto", "direct", "fft"):
        with pytest.raises(ValueError):
            cyconv.correlate(big, big, mode="full", method=method)
    with pytest.raises(ValueError, match="more bytes than this platform can address"):
        cyconv.choose_conv_method(big, big)
    assert _threads.in_use() == 0
