"""The Winograd F(3x3, 3x3) method: right, deterministic, chosen where it pays, guarded.

It rounds differently from the direct kernels (like an FFT), so results are
checked against a float64 oracle within a bound relative to
``sum |k| |x|`` of each output, and against each other bitwise across
thread counts and both compiled variants.
"""
import os
import sys

import numpy as np
import pytest
import scipy.signal as ss

import cyconv
from cyconv import _fft, _kernels

sys.path.insert(0, os.path.dirname(__file__))
from kernel_variants import VARIANTS, variant_id  # noqa: E402

EPS = np.finfo(np.float64).eps

# (x shape, k shape): kernels of 1..6 sub-kernels per axis, sizes that are not
# multiples of 3, outputs narrower and wider than one unit of work (24 x 384),
# thin images and kernels of one row or column
SHAPES = [
    ((64, 70), (15, 15)), ((101, 97), (7, 8)), ((50, 40), (3, 3)), ((130, 400), (16, 13)),
    ((5, 7), (5, 7)), ((1, 50), (1, 4)), ((40, 3), (9, 2)), ((31, 800), (4, 11)),
    ((120, 9), (2, 9)), ((77, 390), (18, 1)), ((40, 2600), (7, 5)),  # two panels
]


def _local_bound(x, k, mode):
    """Per output: sum |k| |x| over its window (the scale of its rounding error)."""
    return ss.correlate(np.abs(x), np.abs(k), mode, method="direct")


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: f"{s[0]}*{s[1]}")
def test_matches_float64_oracle(shapes, mode):
    xs, ks = shapes
    rng = np.random.default_rng(abs(hash((xs, ks))) % 2**32)
    x = rng.standard_normal(xs)
    k = rng.standard_normal(ks)
    for func, oracle in ((cyconv.correlate, ss.correlate), (cyconv.convolve, ss.convolve)):
        got = func(x, k, mode, method="winograd")
        ref = oracle(x, k, mode, method="direct")
        assert got.shape == ref.shape and got.dtype == np.float64
        bound = _local_bound(x, k if func is cyconv.correlate else k[::-1, ::-1], mode)
        err = np.abs(got - ref)
        # like an FFT's, the error is small against the largest output scale
        assert err.max() <= 64 * EPS * bound.max()
        # and each output's against its own, except at the edge of 'full',
        # where outputs of a few taps round in 5x5 windows with larger
        # neighbours (measured: <= 30 eps inside, ~200 eps at those edges)
        if mode != "full":
            assert np.all(err <= 256 * EPS * bound)


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
@pytest.mark.parametrize("xs", [(200, 900), (90, 2500)], ids=["one-panel", "two-panels"])
def test_bitwise_identical_for_any_thread_count(variant, xs):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(xs)
    k = rng.standard_normal((13, 10))
    outs = []
    for n in (1, 2, 3, 5):
        out = np.empty(xs)
        variant.winograd_correlate(x, k, out, (6, 4), n)
        outs.append(out)
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])
    # full index = out index + k - 1 - pad
    ref = ss.correlate(x, k, "full")[6:6 + xs[0], 5:5 + xs[1]]
    np.testing.assert_allclose(outs[0], ref, rtol=0, atol=1e-12 * np.abs(ref).max())


def test_variants_agree_bitwise_or_closely():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((100, 130))
    k = rng.standard_normal((9, 9))
    outs = []
    for variant in VARIANTS:
        out = np.empty((92, 122))
        outs.append(variant.winograd_correlate(x, k, out, (0, 0), 2))
    # the AVX2 build contracts a * b + c into FMA: the variants round differently
    for out in outs[1:]:
        np.testing.assert_allclose(out, outs[0], rtol=0, atol=1e-12 * np.abs(outs[0]).max())


@pytest.mark.parametrize("layout", ["C", "F", "strided", "float32", "int"])
def test_any_layout_and_real_dtype(layout):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((90, 110))
    k = rng.standard_normal((12, 11))
    if layout == "F":
        x, k = np.asfortranarray(x), np.asfortranarray(k)
    elif layout == "strided":
        x = rng.standard_normal((180, 330))[::2, ::3]
        k = rng.standard_normal((24, 11))[::2]
    elif layout == "float32":
        x, k = x.astype(np.float32), k.astype(np.float32)
    elif layout == "int":
        x = rng.integers(-50, 50, x.shape).astype(np.float64)
    got = cyconv.correlate(x, k, "valid", method="winograd")
    ref = ss.correlate(x.astype(np.float64), k.astype(np.float64), "valid", method="direct")
    assert got.dtype == np.result_type(x, k)
    tol = 1e-5 if got.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, ref, rtol=0, atol=tol * np.abs(ref).max())


def test_auto_picks_winograd_for_mid_size_float64_kernels():
    x = np.random.default_rng(1).standard_normal((1024, 1024))
    assert cyconv.choose_conv_method(x, np.ones((15, 15)), "valid") == "winograd"
    assert cyconv.choose_conv_method(x, np.ones((21, 21)), "same") == "winograd"
    # small kernels stay direct, large ones go to the FFT, other dtypes never
    assert cyconv.choose_conv_method(x, np.ones((7, 7)), "valid") == "direct"
    assert cyconv.choose_conv_method(x, np.ones((45, 45)), "valid") == "fft"
    assert cyconv.choose_conv_method(x.astype(np.float32), np.ones((15, 15), np.float32),
                                     "valid") != "winograd"
    assert cyconv.choose_conv_method(x[:, :1].copy(), np.ones((15, 1)), "valid") == "direct"
    assert cyconv.choose_conv_method(x[:64, :64], np.ones((15, 15)), "valid") == "direct"
    # W5 goes through it, and gets the right answer
    rng = np.random.default_rng(2)
    xs, ks = rng.standard_normal((1024, 1024)), rng.standard_normal((15, 15))
    got = cyconv.correlate(xs, ks, "valid")
    ref = cyconv.correlate(xs, ks, "valid", method="direct")
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    assert not np.array_equal(got, ref)  # really the other method


@pytest.mark.parametrize("spoil", ["nan", "inf", "range"])
def test_auto_keeps_direct_where_winograd_would_lose_accuracy(spoil):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1024, 1024))
    k = rng.standard_normal((15, 15))
    if spoil == "nan":
        x[500, 500] = np.nan
    elif spoil == "inf":
        x[10, 10] = np.inf
    else:
        x[::2] *= 1e-12  # small outputs beside large ones
    assert cyconv.choose_conv_method(x, k, "valid") == "direct"
    got = cyconv.correlate(x, k, "valid")
    np.testing.assert_array_equal(got, cyconv.correlate(x, k, "valid", method="direct"))


@pytest.mark.parametrize("in1, in2", [
    (np.ones(50), np.ones(5)), (np.ones((5, 6, 7)), np.ones((2, 2, 2))),
    (np.ones((20, 20), complex), np.ones((3, 3))), (np.ones((20, 20), int), np.ones((3, 3), int)),
])
def test_explicit_winograd_refuses_what_it_cannot_do(in1, in2):
    with pytest.raises(ValueError, match="winograd"):
        cyconv.correlate(in1, in2, "valid", method="winograd")


def test_low_level_entry_checks_its_arguments():
    x, k, out = np.ones((10, 10)), np.ones((3, 3)), np.empty((8, 8))
    with pytest.raises(TypeError, match="x"):
        _kernels.winograd_correlate(x.astype(np.float32), k, out, (0, 0), 1)
    with pytest.raises(TypeError, match="out"):
        _kernels.winograd_correlate(x, k, np.empty(8), (0, 0), 1)
    with pytest.raises(ValueError, match="C-contiguous"):
        _kernels.winograd_correlate(np.asfortranarray(np.ones((10, 11))), k, out, (0, 0), 1)
    with pytest.raises(ValueError, match="pad"):
        _kernels.winograd_correlate(x, k, out, (0, 13), 1)
    with pytest.raises(ValueError, match="pad"):
        _kernels.winograd_correlate(x, k, out, (-1, 0), 1)
    with pytest.raises(ValueError, match="n_threads"):
        _kernels.winograd_correlate(x, k, out, (0, 0), 0)
    with pytest.raises(ValueError, match="writeable"):
        ro = np.empty((8, 8))
        ro.flags.writeable = False
        _kernels.winograd_correlate(x, k, ro, (0, 0), 1)
    # any output shape is defined (zero-extended input): larger than 'full' is fine
    big = np.empty((20, 20))
    _kernels.winograd_correlate(x, k, big, (2, 2), 1)
    ref = np.zeros((20, 20))
    full = ss.correlate(x, k, "full")
    ref[:12, :12] = full
    np.testing.assert_allclose(big, ref, atol=1e-12)


def test_measure_times_winograd_too_for_2d_real_data():
    rng = np.random.default_rng(4)
    x, k = rng.standard_normal((120, 130)), rng.standard_normal((15, 15))
    best, times = cyconv.choose_conv_method(x, k, "valid", measure=True)
    assert set(times) == {"direct", "fft", "winograd"} and best == min(times, key=times.get)
    _, times = cyconv.choose_conv_method(x.astype(complex), k, "valid", measure=True)
    assert set(times) == {"direct", "fft"}


def test_cost_model_orders_the_methods():
    # per output, Winograd's cost grows with the sub-kernel count, the direct
    # method's with the taps: the crossover lies between 11^2 and 15^2
    out = (1010, 1010)
    assert _fft.winograd_cost((15, 15), out) < 0.078 * 225 * 1010 * 1010
    assert _fft.winograd_cost((7, 7), out) > 0.078 * 49 * 1010 * 1010
