"""cyconv.ndimage against scipy.ndimage (and exact integer loops where scipy rounds).

Random data of ranks 1-4, every boundary mode (per-axis lists too), even and
odd kernels, origins at both ends of their range, kernels larger than the
input, size-1 axes, every dtype, output arrays and dtypes, memory layouts;
then the extensions (exact integers, 'valid'), bitwise equality across
workers, the GIL, bad arguments, and a hypothesis fuzz.
"""

import itertools
import os
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyconv import ndimage as cy

sys.path.insert(0, os.path.dirname(__file__))
from gil_probe import python_progress_during  # noqa: E402
from kernel_variants import VARIANTS  # noqa: E402

sp = pytest.importorskip("scipy.ndimage")

MODES = ["reflect", "constant", "nearest", "mirror", "wrap", "grid-mirror", "grid-constant",
         "grid-wrap"]
FLOATS = [np.float32, np.float64]
DTYPES = FLOATS + [np.complex64, np.complex128, np.uint8, np.int16, np.int32, np.int64]


def _data(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 10).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -100), min(info.max, 100), shape, endpoint=True).astype(dtype)


def _tol(*dtypes):
    single = any(np.dtype(d) in (np.float32, np.complex64) for d in dtypes)
    return 2e-5 if single else 1e-10


def assert_matches(got, want, *dtypes, truncated=False):
    """Equal (integers) or close (floats).  ``truncated``: integers truncated from
    non-integer float sums, which may land one apart when the sum rounds
    across an integer differently in scipy's summation order."""
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape,
                                                                 got.dtype, want.dtype)
    if got.dtype.kind in "biu" and truncated:
        diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
        assert diff.max(initial=0) <= 1 and diff.sum() <= max(2, 0.02 * diff.size)
    elif got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    else:
        tol = _tol(got.dtype, *dtypes)
        scale = np.abs(want).max() if want.size else 1.0
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * (scale + 1))


def _shapes(rng, ndim):
    """Input and kernel shapes: a kernel larger than the input, size-1 axes, even and odd."""
    xs = tuple(int(s) for s in rng.integers(1, 10, ndim))
    ks = tuple(int(s) for s in rng.integers(1, 7, ndim))
    return xs, ks


# --------------------------------------------------------------------------
# correlate / convolve
# --------------------------------------------------------------------------

@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("func", ["correlate", "convolve"])
def test_correlate_convolve_every_mode(func, dtype, ndim):
    rng = np.random.default_rng(ndim * 100 + DTYPES.index(dtype))
    for trial, mode in enumerate(MODES * 2):
        xs, ks = _shapes(rng, ndim)
        x = _data(rng, xs, dtype)
        # integer weights keep integer data exact in scipy too (float64 sums)
        w = rng.integers(-3, 4, ks).astype(float) if np.dtype(dtype).kind in "iu" \
            else rng.standard_normal(ks)
        ends = [(-(k // 2), (k - 1) // 2) for k in ks]
        origin = [e[trial % 2] for e in ends]
        kw = dict(mode=mode, cval=1.5 if np.dtype(dtype).kind != "c" else 0.5, origin=origin)
        got = getattr(cy, func)(x, w, **kw)
        assert_matches(got, getattr(sp, func)(x, w, **kw), dtype)


@pytest.mark.parametrize("func", ["correlate", "convolve"])
def test_complex_weights_are_conjugated_as_scipy(func):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 6))
    w = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    for mode in MODES:
        assert_matches(getattr(cy, func)(x, w, mode=mode), getattr(sp, func)(x, w, mode=mode))
    xc = x + 1j * rng.standard_normal(x.shape)
    kw = dict(mode="constant", cval=2 - 1j)
    assert_matches(getattr(cy, func)(xc, w, **kw), getattr(sp, func)(xc, w, **kw))


def test_axes_and_per_axis_origins():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 6, 7))
    w = rng.standard_normal((3, 4))
    for axes, origin in [((0, 2), (1, -2)), ((2, 1), (-1, 1)), ((-1, 0), 0)]:
        for func in ("correlate", "convolve"):
            kw = dict(axes=axes, origin=origin, mode="nearest")
            assert_matches(getattr(cy, func)(x, w, **kw), getattr(sp, func)(x, w, **kw))


def test_kernel_much_larger_than_input_repeats_the_pattern():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3))
    w = rng.standard_normal((9, 11))
    for mode in MODES:
        assert_matches(cy.correlate(x, w, mode=mode), sp.correlate(x, w, mode=mode))
        assert_matches(cy.correlate1d(x, w[0], axis=1, mode=mode),
                       sp.correlate1d(x, w[0], axis=1, mode=mode))


@pytest.mark.parametrize("layout", ["fortran", "strided", "reversed", "byteswapped", "readonly"])
def test_memory_layouts(layout):
    rng = np.random.default_rng(6)
    base = rng.standard_normal((24, 30))
    x = {"fortran": np.asfortranarray(base), "strided": base[::2, ::3],
         "reversed": base[::-1, ::-1], "byteswapped": base.astype(base.dtype.newbyteorder()),
         "readonly": base.copy()}[layout]
    x.flags.writeable = layout != "readonly"
    w = rng.standard_normal((3, 4))
    assert_matches(cy.correlate(x, w), sp.correlate(x, w))
    assert_matches(cy.gaussian_filter(x, 1.5), sp.gaussian_filter(x, 1.5))
    assert_matches(cy.correlate1d(x, w[0], axis=0, mode="wrap"),
                   sp.correlate1d(x, w[0], axis=0, mode="wrap"))


# --------------------------------------------------------------------------
# 1-D and separable filters
# --------------------------------------------------------------------------

@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", DTYPES)
def test_1d_filters_along_every_axis(dtype, ndim):
    rng = np.random.default_rng(10 * ndim + DTYPES.index(dtype))
    xs, _ = _shapes(rng, ndim)
    x = _data(rng, xs, dtype)
    integer = np.dtype(dtype).kind in "iu"
    for axis, mode in itertools.product(range(-ndim, ndim), MODES[:5]):
        size = int(rng.integers(1, 8))
        w = rng.integers(-2, 3, size).astype(float) if integer else rng.standard_normal(size)
        origin = int(rng.integers(-(size // 2), (size - 1) // 2 + 1))
        kw = dict(axis=axis, mode=mode, cval=-2.0, origin=origin)
        for func in ("correlate1d", "convolve1d"):
            assert_matches(getattr(cy, func)(x, w, **kw), getattr(sp, func)(x, w, **kw), dtype)
        if not integer:  # scipy's running float64 mean is not exact for integers
            assert_matches(cy.uniform_filter1d(x, size, **kw), sp.uniform_filter1d(x, size, **kw))
            kw.pop("origin")
            assert_matches(cy.gaussian_filter1d(x, 0.8, order=size % 3, **kw),
                           sp.gaussian_filter1d(x, 0.8, order=size % 3, **kw))


@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128, np.uint8, np.int32])
def test_separable_filters(dtype, ndim):
    rng = np.random.default_rng(ndim)
    x = _data(rng, tuple(int(s) for s in rng.integers(2, 9, ndim)), dtype)
    real = np.dtype(dtype).kind != "c"
    for mode in MODES:
        modes = [MODES[(MODES.index(mode) + d) % len(MODES)] for d in range(ndim)]
        for m in (mode, modes):
            assert_matches(cy.gaussian_filter(x, 1.2, mode=m), sp.gaussian_filter(x, 1.2, mode=m),
                           truncated=True)
            assert_matches(cy.uniform_filter(x, 3, mode=m), sp.uniform_filter(x, 3, mode=m),
                           truncated=True)
            if real:
                for f in ("sobel", "prewitt"):
                    assert_matches(getattr(cy, f)(x, -1, mode=m), getattr(sp, f)(x, -1, mode=m))
                assert_matches(cy.laplace(x, mode=m), sp.laplace(x, mode=m))
            if np.dtype(dtype).kind == "f":
                for f in ("gaussian_laplace", "gaussian_gradient_magnitude"):
                    assert_matches(getattr(cy, f)(x, 1.0, mode=m), getattr(sp, f)(x, 1.0, mode=m))


def test_gaussian_orders_truncate_radius_and_axes():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((12, 10, 9))
    cases = [dict(sigma=(1.0, 2.0, 0.5), order=(0, 1, 2)), dict(sigma=2, truncate=1.5),
             dict(sigma=1.5, radius=(1, 4, 0)), dict(sigma=(1, 3), axes=(2, 0), order=(1, 0)),
             dict(sigma=(0, 1.0, 0)), dict(sigma=0.0)]
    for kw in cases:
        assert_matches(cy.gaussian_filter(x, **kw), sp.gaussian_filter(x, **kw))
    assert_matches(cy.uniform_filter(x, (3, 1, 4), origin=(1, 0, -2), axes=None),
                   sp.uniform_filter(x, (3, 1, 4), origin=(1, 0, -2)))
    assert_matches(cy.uniform_filter(x, (2, 5), axes=(1, 2), mode=("wrap", "mirror")),
                   sp.uniform_filter(x, (2, 5), axes=(1, 2), mode=("wrap", "mirror")))


def test_generic_filters_take_the_derivative_callables():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((8, 9))

    def d2(a, axis, output, mode, cval, scale):
        return sp.correlate1d(a, [scale, -2 * scale, scale], axis, output, mode, cval)

    assert_matches(cy.generic_laplace(x, d2, extra_arguments=(2.0,)),
                   sp.generic_laplace(x, d2, extra_arguments=(2.0,)))
    assert_matches(cy.generic_gradient_magnitude(x, cy.sobel), sp.generic_gradient_magnitude(x, sp.sobel))
    assert_matches(cy.generic_laplace(x, d2, extra_keywords={"scale": 1.0}, axes=(1,)),
                   sp.generic_laplace(x, d2, extra_keywords={"scale": 1.0}, axes=(1,)))


# --------------------------------------------------------------------------
# output= arrays and dtypes
# --------------------------------------------------------------------------

@pytest.mark.parametrize("out_dtype", [np.float32, np.float64, np.int16, np.uint8, np.complex128])
def test_output_array_is_written_and_returned(out_dtype):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((16, 12)) * 20
    w = rng.standard_normal((3, 3))
    for func, args in [("correlate", (w,)), ("gaussian_filter", (1.0,)), ("sobel", ()),
                       ("uniform_filter", (4,)), ("correlate1d", (w[0],))]:
        out = np.zeros(x.shape, dtype=out_dtype)
        got = getattr(cy, func)(x, *args, output=out)
        assert got is out
        if np.dtype(out_dtype).kind == "c":  # scipy: "array type not supported" for some
            want = getattr(sp, func)(x, *args).astype(out_dtype)
        else:
            want = getattr(sp, func)(x, *args, output=np.dtype(out_dtype))
        assert_matches(out, want)
        assert_matches(getattr(cy, func)(x, *args, output=out_dtype), want)


def test_output_overlapping_the_input_is_handled():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((20, 20))
    want = sp.gaussian_filter(x, 2.0)
    a = x.copy()
    assert cy.gaussian_filter(a, 2.0, output=a) is a
    assert_matches(a, want)
    a = x.copy()
    cy.correlate(a, np.ones((3, 3)), output=a)
    assert_matches(a, sp.correlate(x, np.ones((3, 3))))
    a = x.copy()
    cy.correlate1d(a[:, ::-1], [1, 2, 3], output=a)  # the same memory, reversed
    assert_matches(a, sp.correlate1d(x[:, ::-1], [1, 2, 3]))


def test_output_in_a_strided_view():
    rng = np.random.default_rng(15)
    x = rng.standard_normal((10, 10)).astype(np.float32)
    big = np.zeros((20, 20), np.float32)
    cy.gaussian_filter(x, 1.0, output=big[::2, ::2])
    assert_matches(big[::2, ::2], sp.gaussian_filter(x, 1.0))
    assert not big[1::2].any()


# --------------------------------------------------------------------------
# where cyconv goes beyond scipy
# --------------------------------------------------------------------------

def _int_correlate1d(x, w, axis, mode):
    """Exact int64 oracle of correlate1d (odd w, origin 0) through np.pad."""
    r = len(w) // 2
    pads = [(0, 0)] * x.ndim
    pads[axis] = (r, r)
    np_mode = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap"}[mode]
    xp = np.pad(x.astype(np.int64), pads, mode=np_mode)
    out = np.zeros(x.shape, np.int64)
    for t, wt in enumerate(w):
        sl = [slice(None)] * x.ndim
        sl[axis] = slice(t, t + x.shape[axis])
        out += int(wt) * xp[tuple(sl)]
    return out


@pytest.mark.parametrize("mode", ["reflect", "mirror", "nearest", "wrap"])
def test_int64_is_exact_where_scipy_rounds(mode):
    rng = np.random.default_rng(16)
    x = rng.integers(-2**61, 2**61, (9, 11), dtype=np.int64)
    w = np.array([3, -1, 7])
    got = cy.correlate1d(x, w, axis=0, mode=mode)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(got, _int_correlate1d(x, w, 0, mode))
    # scipy goes through float64: wrong in the low bits
    assert not np.array_equal(sp.correlate1d(x, w, axis=0, mode=mode), got)
    big = rng.integers(-2**40, 2**40, (9, 11), dtype=np.int64)
    sob = cy.sobel(big, axis=1, mode=mode)
    want = _int_correlate1d(_int_correlate1d(big, [-1, 0, 1], 1, mode), [1, 2, 1], 0, mode)
    np.testing.assert_array_equal(sob, want)


def test_uniform_filter_integers_is_the_exact_truncated_mean():
    rng = np.random.default_rng(17)
    x = rng.integers(0, 65536, (7, 8, 9), dtype=np.uint16)
    got = cy.uniform_filter(x, 5)
    # oracle: each pass the exact integer sum, truncated mean, stored as uint16
    want = x.astype(np.int64)
    for axis in range(3):
        want = (_int_correlate1d(want, np.ones(5, int), axis, "reflect") // 5)
    np.testing.assert_array_equal(got, want.astype(np.uint16))
    assert np.abs(got.astype(int) - sp.uniform_filter(x, 5).astype(int)).max() <= 1


def test_small_weights_are_not_dropped():
    x = np.full(5, 1e20)
    w = np.array([1e-17, 0.0, 0.0])
    np.testing.assert_allclose(cy.correlate1d(x, w), np.full(5, 1e3))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_single_precision_stays_single(dtype):
    x = np.random.default_rng(18).standard_normal((40, 30)).astype(dtype)
    for got in (cy.gaussian_filter(x, 2.0), cy.correlate(x, np.ones((3, 3))), cy.sobel(x)):
        assert got.dtype == dtype
    np.testing.assert_allclose(cy.gaussian_filter(x, 2.0), sp.gaussian_filter(x.astype(np.float32), 2.0),
                               rtol=2e-3 if dtype == np.float16 else 2e-5, atol=1e-2)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_valid_mode_is_the_interior_of_same(ndim):
    rng = np.random.default_rng(19)
    x = rng.standard_normal((12, 11, 10)[:ndim])
    w = rng.standard_normal((3, 4, 5)[:ndim])
    same = sp.correlate(x, w, mode="constant", cval=np.nan)
    keep = ~np.isnan(same)
    got = cy.correlate(x, w, mode="valid")
    assert got.shape == tuple(n - k + 1 for n, k in zip(x.shape, w.shape))
    np.testing.assert_allclose(got.ravel(), same[keep], rtol=1e-12)
    g = cy.gaussian_filter(x, 1.0, mode="valid")
    inner = tuple(slice(4, -4) for _ in range(ndim))
    np.testing.assert_allclose(g, sp.gaussian_filter(x, 1.0)[inner], rtol=1e-12)
    assert cy.laplace(x, mode="valid").shape == tuple(n - 2 for n in x.shape)
    np.testing.assert_allclose(cy.laplace(x, mode="valid"),
                               sp.laplace(x)[tuple(slice(1, -1) for _ in range(ndim))], rtol=1e-12)
    with pytest.raises(ValueError, match="valid"):
        cy.correlate(x, np.ones((13,) * ndim), mode="valid")


# --------------------------------------------------------------------------
# threads and the GIL
# --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_bitwise_identical_for_any_workers(mode):
    rng = np.random.default_rng(20)
    x = rng.standard_normal((131, 257)).astype(np.float32)
    v = rng.standard_normal((20, 33, 41))
    w = rng.standard_normal((5, 4)).astype(np.float32)
    for f in (lambda n: cy.correlate(x, w, mode=mode, cval=0.5, workers=n),
              lambda n: cy.gaussian_filter(v, 1.5, mode=mode, workers=n),
              lambda n: cy.uniform_filter(v, (3, 4, 5), mode=mode, workers=n)):
        ref = f(1)
        for n in (2, 3, 4):
            assert np.array_equal(f(n), ref, equal_nan=True)


def test_gil_is_released_during_the_filter():
    x = np.random.default_rng(21).standard_normal((512, 512))
    t0 = time.perf_counter()
    cy.correlate(x, np.ones((25, 25)), workers=1)
    one = time.perf_counter() - t0
    reps = max(1, int(1.0 / max(one, 1e-3)))
    during, rate, elapsed, _ = python_progress_during(
        lambda: [cy.correlate(x, np.ones((25, 25)), workers=1) for _ in range(reps)])
    assert during > 0.2 * rate * elapsed, (during, rate, elapsed)


# --------------------------------------------------------------------------
# bad arguments: ValueError/TypeError naming the argument (RuntimeError too
# where scipy raises RuntimeError)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("call, exc, match", [
    (lambda: cy.correlate(np.ones(5), np.ones(3), mode="bogus"), ValueError, "mode"),
    (lambda: cy.correlate(np.ones(5), np.ones(3), mode=3), TypeError, "mode"),
    (lambda: cy.correlate(np.ones((5, 5)), np.ones(3)), RuntimeError, "weights.ndim"),
    (lambda: cy.correlate(np.ones((5, 5)), np.ones((3, 3)), mode=["wrap", "wrap"]), ValueError,
     "sequence of modes"),
    (lambda: cy.correlate(np.ones(5), np.ones(3), origin=2), ValueError, "origin"),
    (lambda: cy.correlate(np.ones(5), np.ones(0)), ValueError, "weights"),
    (lambda: cy.correlate1d(np.ones(5), np.ones((2, 2))), ValueError, "weights"),
    (lambda: cy.correlate1d(np.ones(5), [1, 2], axis=1), ValueError, "axis"),
    (lambda: cy.correlate1d(np.ones(5), [1, 2], axis=0.5), TypeError, "axis"),
    (lambda: cy.correlate1d(np.ones(5), [1, 2], output=np.ones(4)), ValueError, "output"),
    (lambda: cy.correlate1d(np.ones(5), [1, 2], output=object), TypeError, "output"),
    (lambda: cy.correlate(np.ones(5, complex), [1, 2], output=np.ones(5)), RuntimeError, "complex"),
    (lambda: cy.correlate(np.ones(5), [1, 2], mode="constant", cval=1j), ValueError, "cval"),
    (lambda: cy.correlate(np.ones(5), [1, 2], cval="x"), TypeError, "cval"),
    (lambda: cy.correlate(np.array(["a"]), [1]), TypeError, "input"),
    (lambda: cy.correlate(np.ones(3, np.longdouble), [1]), TypeError, "input"),
    (lambda: cy.correlate(np.ones(3), np.array([None])), TypeError, "weights"),
    (lambda: cy.gaussian_filter(np.ones((3, 3)), (1, 1, 1)), RuntimeError, "sigma"),
    (lambda: cy.gaussian_filter(np.ones(3), 1, radius=-1), ValueError, "radius"),
    (lambda: cy.gaussian_filter(np.ones(3), 1, order=-1), ValueError, "order"),
    (lambda: cy.uniform_filter1d(np.ones(3), 0), ValueError, "size"),
    (lambda: cy.uniform_filter(np.ones((3, 3)), 3, axes=(0, 0)), ValueError, "unique"),
    (lambda: cy.uniform_filter(np.ones((3, 3)), 3, axes=(2,)), ValueError, "out of range"),
    (lambda: cy.sobel(np.ones((3, 3)), workers=0), ValueError, "workers"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_read_only_output_is_refused():
    out = np.zeros(5)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        cy.correlate1d(np.ones(5), [1, 2], output=out)


def test_empty_input_gives_an_empty_output():
    for func, args in [("correlate", (np.ones((2, 2)),)), ("gaussian_filter", (1.0,)),
                       ("uniform_filter", (3,))]:
        x = np.ones((0, 4))
        got = getattr(cy, func)(x, *args)
        assert got.shape == (0, 4) and got.dtype == sp.correlate(x, np.ones((2, 2))).dtype


# --------------------------------------------------------------------------
# fuzz
# --------------------------------------------------------------------------

_FUNCS = ["correlate", "convolve", "correlate1d", "convolve1d", "uniform_filter",
          "gaussian_filter", "sobel", "prewitt", "laplace"]


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data(), func=st.sampled_from(_FUNCS), mode=st.sampled_from(MODES),
       dtype=st.sampled_from(["float32", "float64", "int16", "uint8", "complex128", "bool"]),
       ndim=st.integers(1, 4), workers=st.sampled_from([None, 1, 2, -1]))
def test_fuzz_against_scipy(data, func, mode, dtype, ndim, workers):
    shape = data.draw(st.lists(st.integers(0, 7), min_size=ndim, max_size=ndim))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = _data(rng, shape, dtype) if dtype != "bool" else rng.random(shape) < 0.5
    if data.draw(st.booleans()):
        x = np.asfortranarray(x)
    kshape = data.draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim))
    w = rng.integers(-2, 3, kshape).astype(float)
    args = {"correlate": (w,), "convolve": (w,), "correlate1d": (w.reshape(-1)[:kshape[0]],),
            "convolve1d": (w.reshape(-1)[:kshape[0]],), "uniform_filter": (kshape,),
            "gaussian_filter": (data.draw(st.floats(0, 2)),)}.get(func, ())
    if dtype in ("uint8", "int16", "bool") and func in ("uniform_filter", "gaussian_filter"):
        return  # scipy's float64 rounding/truncation of non-integer means is not an oracle
    try:
        want = getattr(sp, func)(x, *args, mode=mode)
    except (RuntimeError, ValueError, TypeError):
        with pytest.raises((ValueError, TypeError)):
            getattr(cy, func)(x, *args, mode=mode, workers=workers)
        return
    got = getattr(cy, func)(x, *args, mode=mode, workers=workers)
    if got.dtype == bool:
        np.testing.assert_array_equal(got, want.astype(bool))
    else:
        assert_matches(got, want)


@pytest.mark.parametrize("mode", MODES + ["valid"])
def test_large_kernels_take_the_fft_and_match(mode, recorded_methods):
    rng = np.random.default_rng(22)
    x = rng.standard_normal((300, 260))
    w = rng.standard_normal((41, 37))
    got = cy.correlate(x, w, mode=mode, cval=0.5)
    assert recorded_methods and set(recorded_methods) != {"direct"}
    if mode == "valid":
        want = sp.correlate(x, w, mode="constant", cval=np.nan)
        want = want[~np.isnan(want)].reshape(got.shape)
    else:
        want = sp.correlate(x, w, mode=mode, cval=0.5)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * np.abs(want).max())
    recorded_methods.clear()
    xi = rng.integers(-1000, 1000, (300, 260))
    wi = rng.integers(-5, 6, (41, 37))
    if mode != "valid":
        np.testing.assert_array_equal(cy.correlate(xi, wi, mode=mode), sp.correlate(xi, wi, mode=mode))
    assert not recorded_methods  # exact integers never leave the direct kernels


@pytest.fixture
def recorded_methods(monkeypatch):
    """The methods cyconv.ndimage's transformed path was asked for."""
    import cyconv.ndimage as mod
    seen = []
    real = mod._transformed

    def spy(x, k, pad, mode, cval, method, workers):
        seen.append(method)
        return real(x, k, pad, mode, cval, method, workers)

    monkeypatch.setattr(mod, "_transformed", spy)
    return seen


# --------------------------------------------------------------------------
# the kernels' border modes directly, on every compiled variant
# --------------------------------------------------------------------------

_NP_PAD = {2: "symmetric", 3: "reflect", 4: "edge", 5: "wrap"}
# shapes that reach every path: rows/planes outside x (windows), thin column
# bands of small kernels (summed point by point) and of large ones (the whole
# tile through a window), bands wide enough for the SIMD blocks, kernels
# larger than x, 1-D to 4-D
_BORDER_CASES = [((300,), (17,)), ((5, 300), (1, 17)), ((40, 70), (5, 9)), ((64, 64), (3, 3)),
                 ((3, 2100), (3, 41)), ((2, 33, 65), (3, 3, 17)), ((9, 1), (4, 1)),
                 ((2, 3), (7, 11)), ((3, 4, 5, 6), (2, 3, 2, 3)), ((70, 40), (17, 1))]


@pytest.mark.parametrize("xs, ks", _BORDER_CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128, np.uint64])
def test_kernel_border_modes_match_np_pad_on_every_variant(xs, ks, dtype):
    rng = np.random.default_rng(len(xs) * 1000 + sum(xs) + sum(ks))
    x = (rng.integers(0, 50, xs) if dtype == np.uint64 else rng.standard_normal(xs) * 5).astype(dtype)
    k = (rng.integers(0, 5, ks) if dtype == np.uint64 else rng.standard_normal(ks)).astype(dtype)
    for border in (1, 2, 3, 4, 5):
        pad = tuple(int(rng.integers(0, kk)) for kk in ks)
        out_shape = xs  # 'same'-sized, at any offset
        widths = [(p, kk - 1 - p) for p, kk in zip(pad, ks)]
        cval = np.array([3], dtype=dtype)
        if border == 1:
            xp = np.pad(x, widths, mode="constant", constant_values=cval[0])
        else:
            xp = np.pad(x, widths, mode=_NP_PAD[border])
        want = np.zeros(out_shape, dtype=np.complex128 if dtype == np.complex128 else np.float64)
        for t in np.ndindex(*ks):
            want += k[t] * xp[tuple(slice(i, i + n) for i, n in zip(t, out_shape))]
        for variant in VARIANTS:
            ref = None
            for n in (1, 2, 3):
                out = np.empty(out_shape, dtype=dtype)
                variant.correlate(x, k, out, pad, n, border, cval)
                tol = 1e-4 if dtype == np.float32 else 1e-12
                np.testing.assert_allclose(out, want, rtol=tol, atol=tol * np.abs(want).max())
                if ref is None:
                    ref = out
                assert np.array_equal(out, ref)  # bitwise for any thread count


def test_valid_mode_passes_with_unit_filters_do_not_alias():
    """Separable passes in 'valid' mode that keep the shape (radius 0) must not
    read and write one reused buffer."""
    rng = np.random.default_rng(23)
    x = rng.standard_normal((9, 8, 7))
    got = cy.gaussian_filter(x, (1.0, 1.0, 1.0), radius=(0, 0, 2), mode="valid")
    np.testing.assert_allclose(got, sp.gaussian_filter(x, 1.0, radius=(0, 0, 2))[:, :, 2:-2],
                               rtol=1e-12)
    u = rng.integers(0, 1000, (9, 8, 7)).astype(np.uint16)
    want = cy.uniform_filter(u, (3, 2, 4), mode="nearest")
    for _ in range(2):  # the reused buffer is fine across calls too
        np.testing.assert_array_equal(cy.uniform_filter(u, (3, 2, 4), mode="nearest"), want)
