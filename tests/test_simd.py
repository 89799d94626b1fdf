"""Both compiled variants of the kernels (baseline and AVX2+FMA) are right and deterministic.

The API runs the best variant the CPU supports; the other one still ships
(wheels run on any CPU), so each is tested directly here.
"""
import os
import sys

import numpy as np
import pytest
import scipy.signal as ss

from cyconv import _dispatch, _kernels

sys.path.insert(0, os.path.dirname(__file__))
from kernel_variants import VARIANTS, variant_id  # noqa: E402

CASES = [  # (x shape, k shape, pad): valid, full and same-like offsets, 1-D/2-D/3-D
    ((5000,), (31,), (0,)), ((777,), (64,), (63,)), ((301,), (5,), (2,)),
    ((70, 133), (7, 7), (0, 0)), ((45, 90), (15, 3), (14, 2)), ((33, 40), (4, 4), (2, 2)),
    ((30, 30), (3, 3), (0, 0)), ((17, 19, 150), (3, 3, 3), (1, 1, 1)), ((12, 20, 70), (5, 2, 9), (0, 0, 0)),
]


def _reference(x, k, pad):
    """Wide-precision oracle of out[o] = sum_t k[t] x[o + t - pad] (no conjugation)."""
    wide = np.complex128 if np.iscomplexobj(x) else np.float64
    # scipy conjugates its second input: hand it conj(k) to get plain sum k * x
    full = ss.correlate(x.astype(wide), np.conj(k.astype(wide)), "full", method="direct")
    out_shape = tuple(n + 2 * p - kk + 1 for n, kk, p in zip(x.shape, k.shape, pad))
    # full index f = o + (k - 1) - pad
    sl = tuple(slice(kk - 1 - p, kk - 1 - p + o) for kk, p, o in zip(k.shape, pad, out_shape))
    return full[sl], out_shape


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128, np.uint64])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}*{c[1]}")
def test_variant_matches_oracle_and_is_deterministic(variant, dtype, case):
    xs, ks, pad = case
    rng = np.random.default_rng(abs(hash((xs, ks))) % 2**32)
    if np.dtype(dtype).kind == "u":
        x = rng.integers(0, 1000, xs).astype(dtype)
        k = rng.integers(0, 1000, ks).astype(dtype)
    else:
        x = rng.standard_normal(xs).astype(dtype)
        k = rng.standard_normal(ks).astype(dtype)
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.standard_normal(xs).astype(dtype)
            k = k + 1j * rng.standard_normal(ks).astype(dtype)
    ref, out_shape = _reference(x, k, pad)
    outs = []
    for n in (1, 2, 3):
        out = np.empty(out_shape, dtype)
        variant.correlate(x, k, out, pad, n)
        outs.append(out)
    if np.dtype(dtype).kind == "u":
        np.testing.assert_array_equal(outs[0], ref.astype(np.uint64))
    else:
        eps = np.finfo(dtype).eps
        scale = _reference(np.abs(x), np.abs(k), pad)[0]
        assert np.all(np.abs(outs[0] - ref) <= 4 * np.prod(ks) * eps * (scale + 1e-30))
    for out in outs[1:]:
        assert out.tobytes() == outs[0].tobytes()


def test_dispatch_picks_a_variant_the_cpu_runs():
    assert _dispatch.kernels in VARIANTS
    assert _dispatch.variant in ("baseline", "avx2+fma")
    if _kernels.cpu_has_avx2_fma() and len(VARIANTS) == 2:
        assert _dispatch.variant == "avx2+fma"


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_correlate_new_converts_and_allocates(variant):
    """correlate_new: copies inputs that are not C-contiguous arrays of ``dtype``,
    returns a fresh array equal to correlate's, and checks what it is given."""
    rng = np.random.default_rng(11)
    base = rng.standard_normal((40, 60))
    x = base[::-2, 1::2]                                  # strided, negative stride
    k = np.asfortranarray(rng.standard_normal((4, 3)).astype(np.float32))  # other dtype
    f64 = np.dtype(np.float64)
    for pad in ((0, 0), (3, 2), (1, 1)):
        out_shape = tuple(n + 2 * p - kk + 1 for n, kk, p in zip(x.shape, k.shape, pad))
        got = variant.correlate_new(x, k, pad, out_shape, f64, 2)
        assert got.dtype == f64 and got.flags.c_contiguous and got.shape == out_shape
        ref = np.empty(out_shape)
        variant.correlate(np.ascontiguousarray(x), k.astype(np.float64, order="C"), ref, pad, 1)
        assert got.tobytes() == ref.tobytes()
        np.testing.assert_allclose(got, _reference(x, k.astype(np.float64), pad)[0], atol=1e-12)
    with pytest.raises(ValueError, match="pad out of range"):
        variant.correlate_new(x, k, (0, 99), (17, 28), f64, 1)
    with pytest.raises(ValueError, match="out_shape"):
        variant.correlate_new(x, k, (0, 0), (), f64, 1)
    with pytest.raises(TypeError):
        variant.correlate_new(x, k, (0, 0), [17, 28], f64, 1)


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
@pytest.mark.parametrize("ks, pad", [((3, 3), (0, 0)), ((5, 5), (2, 2)), ((2, 4), (1, 3)),
                                     ((5, 1), (4, 0))], ids=str)
def test_large_float32_planes(variant, ks, pad):
    """Planes of >= 4 MB with small kernels take the prefetching interior:
    same values as the oracle, bitwise the same for 1-3 threads."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1030, 1031)).astype(np.float32)
    k = rng.standard_normal(ks).astype(np.float32)
    ref, out_shape = _reference(x, k, pad)
    scale = _reference(np.abs(x), np.abs(k), pad)[0]
    outs = []
    for n in (1, 2, 3):
        out = np.empty(out_shape, np.float32)
        variant.correlate(x, k, out, pad, n)
        outs.append(out)
    eps = np.finfo(np.float32).eps
    assert np.all(np.abs(outs[0] - ref) <= 4 * np.prod(ks) * eps * (scale + 1e-30))
    for out in outs[1:]:
        assert out.tobytes() == outs[0].tobytes()
