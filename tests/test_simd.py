"""Every compiled variant of the kernels this CPU runs (baseline, AVX2+FMA,
AVX-512) is right and deterministic.

The API runs the best variant the CPU supports; the others still ship
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
    # rows of 1-2 AVX-512 blocks plus a remainder (128 f32 / 64 f64 per block)
    ((9, 300), (3, 5), (1, 2)), ((8, 520), (4, 3), (0, 0)),
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


def test_dispatch_picks_the_best_variant_the_cpu_runs():
    assert _dispatch.kernels in VARIANTS
    assert _dispatch.variant in ("baseline", "avx2+fma", "avx512")
    if os.environ.get("CYCONV_SIMD", "auto") == "auto":
        assert _dispatch.kernels is VARIANTS[-1]   # VARIANTS lists the best last


@pytest.mark.parametrize("cap, allowed", [("baseline", {"baseline"}),
                                          ("avx2", {"baseline", "avx2+fma"}),
                                          ("avx512", {"baseline", "avx2+fma", "avx512"})])
def test_cyconv_simd_caps_the_variant(cap, allowed):
    import subprocess
    code = "from cyconv import _dispatch; print(_dispatch.variant)"
    env = {**os.environ, "CYCONV_SIMD": cap}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=os.path.dirname(os.path.abspath(os.sep)), timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() in allowed


def test_an_unknown_cyconv_simd_value_warns_and_is_ignored():
    import subprocess
    code = "from cyconv import _dispatch; print(_dispatch.variant)"
    run = [sys.executable, "-c", code]
    cwd = os.path.dirname(os.path.abspath(os.sep))
    bad = subprocess.run(run, capture_output=True, text=True, cwd=cwd, timeout=60,
                         env={**os.environ, "CYCONV_SIMD": "avx2x"})
    auto = subprocess.run(run, capture_output=True, text=True, cwd=cwd, timeout=60,
                          env={**os.environ, "CYCONV_SIMD": "auto"})
    assert bad.returncode == 0 and "CYCONV_SIMD='avx2x'" in bad.stderr, bad.stderr
    assert bad.stdout == auto.stdout


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


@pytest.mark.parametrize("package, supported", [("_avx2", _kernels.cpu_has_avx2_fma),
                                                ("_avx512", _kernels.cpu_has_avx512)])
def test_importing_a_variant_the_cpu_lacks_raises_instead_of_crashing(package, supported):
    """The variant's init code uses its instructions (SIGILL on other CPUs);
    its package checks the CPU first and raises ImportError."""
    import subprocess
    code = f"import cyconv.{package}.kernels"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.abspath(os.sep)), timeout=60)
    if supported() or "ModuleNotFoundError" in res.stderr:   # non-x86 builds lack both
        assert res.returncode == 0 or "ModuleNotFoundError" in res.stderr, res.stderr
    else:
        assert res.returncode == 1, (res.returncode, res.stderr)   # not -SIGILL
        assert "ImportError" in res.stderr and package in res.stderr
