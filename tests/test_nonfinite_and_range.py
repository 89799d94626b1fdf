"""NaN/inf propagation and the dynamic-range guard of method='auto'.

* direct: a NaN (or inf) poisons exactly the outputs whose window contains
  it, as scipy's direct method does.
* fft: warns (RuntimeWarning) when NaN/inf are present, since the FFT spreads
  them over the whole output; 'auto' never picks the FFT for such input.
* auto never trades exactness on integers (tests/test_signal.py) and never
  picks the FFT for float data spanning so many orders of magnitude that
  small outputs would drown in the rounding error of large ones.
"""

import warnings

import numpy as np
import pytest
from scipy import signal

import cyconv
from cyconv import _fft


@pytest.mark.parametrize("func", ["correlate", "convolve"])
@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_direct_nonfinite_poisons_exactly_the_windows(func, mode, dtype, bad):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((23, 31)).astype(dtype)
    b = (rng.standard_normal((4, 5)) + 0.1).astype(dtype)
    a[5, 7] = bad
    a[20, 30] = bad
    ours = getattr(cyconv, func)(a, b, mode=mode, method="direct")
    ref = getattr(signal, func)(a, b, mode=mode, method="direct")
    # the outputs that are NaN/inf are exactly scipy's ...
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(ref))
    # ... which are exactly those whose window holds a bad input
    hit = getattr(signal, func)(~np.isfinite(a), np.ones(b.shape), mode=mode,
                                method="direct") > 0.5
    np.testing.assert_array_equal(~np.isfinite(ours), hit)
    fin = np.isfinite(ref)
    np.testing.assert_allclose(ours[fin], ref[fin], rtol=1e-4 if dtype == np.float32 else 1e-10,
                               atol=1e-4 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("func", ["correlate2d", "convolve2d"])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_direct_nan_2d_boundaries(func, boundary):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((15, 12))
    a[0, 0] = np.nan
    b = rng.standard_normal((3, 4))
    ours = getattr(cyconv, func)(a, b, boundary=boundary)
    ref = getattr(signal, func)(a, b, boundary=boundary)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(ours[fin], ref[fin], rtol=1e-10, atol=1e-12)


def test_nan_fillvalue_poisons_the_border():
    a = np.ones((6, 7))
    out = cyconv.correlate2d(a, np.ones((3, 3)), mode="same", fillvalue=np.nan)
    ref = signal.correlate2d(a, np.ones((3, 3)), mode="same", fillvalue=np.nan)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    assert np.isnan(out[0]).all() and not np.isnan(out[1:-1, 1:-1]).any()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_fft_warns_on_nonfinite(bad):
    a = np.ones(64)
    a[3] = bad
    with pytest.warns(RuntimeWarning, match="NaN or inf"):
        cyconv.convolve(a, np.ones(8), method="fft")
    with pytest.warns(RuntimeWarning, match="NaN or inf"):
        cyconv.correlate(np.ones(8), a, method="fft")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cyconv.convolve(np.ones(64), np.ones(8), method="fft")  # finite: no warning


def test_auto_never_spreads_nan():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(200_000), rng.standard_normal(3000)
    assert cyconv.choose_conv_method(a, b) == "fft"   # the cost model wants the FFT
    a[1000] = np.nan
    assert cyconv.choose_conv_method(a, b) == "direct"
    b[0] = np.inf
    assert cyconv.choose_conv_method(np.ones(200_000), b) == "direct"


def _wide(rng, n):
    """Data spanning 1e-8 .. 1e8: log-uniform magnitudes, random signs."""
    return 10.0 ** rng.uniform(-8, 8, n) * rng.choice([-1.0, 1.0], n)


def _loc_scale(x, k):
    """sum |x||k| over each output's window: the size an output can have."""
    return signal.convolve(np.abs(x), np.abs(k), method="direct")


def test_auto_guards_wide_dynamic_range():
    rng = np.random.default_rng(3)
    x = _wide(rng, 60_000)
    k = _wide(rng, 2_000)
    # the cost model alone would pick the FFT for this size (same size, tame data)
    tame_x, tame_k = rng.standard_normal(60_000), rng.standard_normal(2_000)
    assert cyconv.choose_conv_method(tame_x, tame_k) == "fft"
    assert cyconv.choose_conv_method(x, k) == "direct"
    exact = signal.convolve(x, k, method="direct")
    scale = _loc_scale(x, k)
    auto = cyconv.convolve(x, k, method="auto")
    fft = cyconv.convolve(x, k, method="fft")
    rel_auto = np.abs(auto - exact) / scale
    rel_fft = np.abs(fft - exact) / scale
    # the FFT's answer is garbage on the small outputs; auto's is not
    assert rel_fft.max() > 1e-3
    assert rel_auto.max() < 1e-12


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
def test_guard_leaves_ordinary_data_on_the_fft(dtype):
    rng = np.random.default_rng(4)
    a = rng.standard_normal(100_000).astype(dtype)
    b = rng.standard_normal(3_000).astype(dtype)
    assert cyconv.choose_conv_method(a, b) == "fft"
    # images: 0..255 with a few zeros and a smooth kernel
    img = rng.integers(0, 256, (700, 700)).astype(dtype)
    ker = np.exp(-np.linspace(-2, 2, 41) ** 2)[:, None] * np.exp(-np.linspace(-2, 2, 41) ** 2)
    assert cyconv.choose_conv_method(img, ker.astype(dtype)) == "fft"


def test_guard_rule_is_tied_to_eps():
    # R = max / q10 of nonzero magnitudes; one stray tiny value does not count
    a = np.ones(1000)
    a[0] = 1e-300
    assert _fft._dynamic_range(a) == 1.0
    assert _fft._dynamic_range(np.zeros(10)) == 1.0
    assert _fft._dynamic_range(np.array([1.0, np.nan])) == np.inf
    w = np.logspace(-8, 8, 1001)
    assert _fft._dynamic_range(w) > 1e14
    f64, f32 = np.dtype(np.float64), np.dtype(np.float32)
    # float32's eps (1.2e-7) tolerates far less range than float64's (2.2e-16)
    r = np.logspace(0, 2.5, 1000)   # R ~ 250 each: 6e4 together
    assert _fft.fft_accurate(r, r, f64)
    assert not _fft.fft_accurate(r, r, f32)


def test_range_scan_never_copies_a_huge_broadcast_input():
    import tracemalloc
    big = np.broadcast_to(np.float64(1.5), (2**13, 2**13))   # 512 MiB if copied
    k = np.broadcast_to(np.float64(-0.5), (48, 48))
    tracemalloc.start()
    try:
        method = cyconv.choose_conv_method(big, k)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert method == "fft"
    assert peak < 16 << 20, f"choose_conv_method allocated {peak / 2**20:.0f} MiB"
