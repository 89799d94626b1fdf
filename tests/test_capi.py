"""The public C-level API (``cyconv/capi.pxd``), used the way downstream code uses it.

A tiny extension (``_capi_harness.pyx``) is compiled at test time against the
*installed* cyconv -- ``cimport cyconv.capi`` with ``cyconv.get_include()`` on
the include path -- and its results are checked against ``cyconv.correlate``.
Building needs Cython, setuptools (both in the ``test`` extra) and a C
compiler; without a compiler the build tests are skipped (the wheel is also
tested on machines without one), unless ``CYCONV_REQUIRE_CAPI_TEST=1`` makes
that a failure.
"""

import concurrent.futures
import os
import pathlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cyconv
import cyconv.capi
from cyconv import _cbuild

HERE = pathlib.Path(__file__).resolve().parent
DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
DIMS = ("1d", "2d", "3d", "nd")
KINDS = ("f32", "f64", "c64", "c128")
EXPORTED = sorted(f"correlate_{d}_{t}" for d in DIMS for t in KINDS)


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    work = tmp_path_factory.mktemp("capi_harness")
    ok, why = _cbuild.have_c_compiler(str(work))
    if not ok:
        if os.environ.get("CYCONV_REQUIRE_CAPI_TEST"):
            pytest.fail(f"no working C compiler, and CYCONV_REQUIRE_CAPI_TEST is set:\n{why}")
        pytest.skip("no working C compiler here: cannot build a module that cimports cyconv.capi")
    return _cbuild.build(str(HERE / "_capi_harness.pyx"), str(work))


def rand(rng, shape, dtype):
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def reference(x, k, out_shape, pad):
    """out[o] = sum_t k[t] x[o + t - pad] (no conjugation), from cyconv's full correlation."""
    kk = np.conj(k) if k.dtype.kind == "c" else k
    full = cyconv.correlate(x, kk, mode="full", method="direct")
    res = np.zeros(out_shape, dtype=full.dtype)
    dst, src = [], []
    for n_o, n_k, n_f, p in zip(out_shape, k.shape, full.shape, pad):
        shift = n_k - 1 - p                 # out[o] = full[o + shift]
        lo, hi = max(0, -shift), min(n_o, n_f - shift)
        if lo >= hi:
            return res
        dst.append(slice(lo, hi))
        src.append(slice(lo + shift, hi + shift))
    res[tuple(dst)] = full[tuple(src)]
    return res


def assert_close(got, want):
    single = got.dtype in (np.float32, np.complex64)
    np.testing.assert_allclose(got, want, rtol=3e-5 if single else 1e-12,
                               atol=3e-5 if single else 1e-12)


def modes(x_shape, k_shape):
    """(name, out_shape, pad) for scipy's full/valid/same."""
    return [
        ("full", tuple(a + b - 1 for a, b in zip(x_shape, k_shape)), tuple(b - 1 for b in k_shape)),
        ("valid", tuple(a - b + 1 for a, b in zip(x_shape, k_shape)), (0,) * len(x_shape)),
        ("same", tuple(x_shape), tuple(b // 2 for b in k_shape)),
    ]


# ---- without a compiler: what the wheel ships ----------------------------------

def test_pxd_files_ship_with_the_package():
    inc = pathlib.Path(cyconv.get_include())
    for name in ("capi.pxd", "capi.pyx", "_kernels.pxd", "_openmp.pxd"):
        assert (inc / "cyconv" / name).is_file(), name
    assert (inc / "cyconv" / "__init__.py").is_file()


def test_capi_exports_every_kernel():
    assert sorted(cyconv.capi.__pyx_capi__) == EXPORTED
    assert (cyconv.capi.OK, cyconv.capi.EINVAL, cyconv.capi.ENOMEM) == (0, -1, -2)
    assert cyconv.capi.MAX_NDIM == 31 and cyconv.capi.API_VERSION == 1


# ---- through a compiled downstream module ---------------------------------------

def test_harness_sees_the_same_constants(harness):
    assert harness.STATUS == {"OK": 0, "EINVAL": -1, "ENOMEM": -2, "MAX_NDIM": 31,
                              "CAPI_VERSION": cyconv.capi.API_VERSION}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_modes_match_python_api(harness, dtype, rank):
    rng = np.random.default_rng(rank)
    x_shape = {1: (37,), 2: (13, 17), 3: (6, 7, 9)}[rank]
    k_shape = {1: (4,), 2: (3, 4), 3: (2, 3, 4)}[rank]
    x, k = rand(rng, x_shape, dtype), rand(rng, k_shape, dtype)
    kk = np.conj(k) if x.dtype.kind == "c" else k
    for mode, out_shape, pad in modes(x_shape, k_shape):
        out = np.full(out_shape, np.nan, dtype=dtype)
        if rank == 1:
            st_ = harness.corr1d(x, k, out, pad[0], 2)
        elif rank == 2:
            st_ = harness.corr2d(x, k, out, *pad, 2)
        else:
            st_ = harness.corr3d(x, k, out, *pad, 2)
        assert st_ == cyconv.capi.OK
        assert_close(out, cyconv.correlate(x, kk, mode=mode, method="direct"))
        out_nd = np.full(out_shape, np.nan, dtype=dtype)
        assert harness.corrnd(x, k, out_nd, pad, 1, use_strides=False) == cyconv.capi.OK
        np.testing.assert_array_equal(out_nd, out)


@pytest.mark.parametrize("dtype", DTYPES)
def test_row_strided_window_is_correlated_in_place(harness, dtype):
    """x, k and out are windows of bigger arrays, addressed by leading dimensions."""
    rng = np.random.default_rng(1)
    big = rand(rng, (40, 50), dtype)
    x = big[3:33, 5:41]                       # ldx = 50 > xw = 36
    kbig = rand(rng, (6, 9), dtype)
    k = kbig[1:6, 2:7]                        # ldk = 9 > kw = 5
    for mode, out_shape, pad in modes(x.shape, k.shape):
        obig = np.full((out_shape[0] + 4, out_shape[1] + 7), -1, dtype=dtype)
        out = obig[2:2 + out_shape[0], 3:3 + out_shape[1]]
        assert harness.corr2d(x, k, out, *pad, 2) == cyconv.capi.OK
        assert_close(out, reference(x, k, out_shape, pad))
        # the rest of the bigger output array is untouched
        mask = np.ones(obig.shape, bool)
        mask[2:2 + out_shape[0], 3:3 + out_shape[1]] = False
        assert np.all(obig[mask] == -1), mode


def test_gaps_are_never_read(harness):
    """NaN in the gaps between rows of x never reaches the output, in any mode."""
    big = np.full((30, 40), np.nan)
    x = big[2:27, 3:30]
    x[...] = np.random.default_rng(7).standard_normal(x.shape)
    k = np.ones((3, 5))
    for mode, out_shape, pad in modes(x.shape, k.shape):
        want_in_place = mode == "valid"
        assert cyconv.capi.x_read_in_place(x.shape, (40, 1), k.shape, out_shape, pad) \
            is want_in_place, mode
        out = np.empty(out_shape)
        assert harness.corr2d(x, k, out, *pad, 2) == cyconv.capi.OK
        assert np.isfinite(out).all(), mode
        assert_close(out, reference(x, k, out_shape, pad))


def test_x_read_in_place_rules():
    f = cyconv.capi.x_read_in_place
    assert f((10,), (1,), (3,), (8,), (0,))
    assert not f((10,), (2,), (3,), (8,), (0,))           # strided columns: packed
    assert f((4, 6), (6, 1), (2, 2), (5, 7), (1, 1))      # contiguous: always in place
    assert f((4, 6), (9, 1), (2, 2), (3, 5), (0, 0))      # row gap, valid: in place
    assert not f((4, 6), (9, 1), (2, 2), (5, 7), (1, 1))  # row gap, full: packed
    assert f((4, 6), (9, 1), (2, 2), (5, 5), (1, 0))      # gap only after columns matters
    assert not f((4, 6), (-6, 1), (2, 2), (3, 5), (0, 0))  # negative stride: packed
    assert f((1, 6), (0, 1), (1, 2), (1, 5), (0, 0))      # size-1 axis: any stride
    assert f((2, 3, 4), (40, 8, 1), (1, 2, 2), (2, 2, 3), (0, 0, 0))
    assert not f((2, 3, 4), (41, 8, 1), (1, 2, 2), (2, 2, 3), (0, 0, 0))  # 41 % 8 != 0
    with pytest.raises(ValueError):
        f((4, 6), (6, 1), (2,), (3, 5), (0, 0))


@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
def test_3d_plane_and_row_strides(harness, dtype):
    rng = np.random.default_rng(2)
    big = rand(rng, (9, 12, 14), dtype)
    x = big[1:8, 2:11, 1:12]
    k = rand(rng, (5, 4, 6), dtype)[1:4, :, 1:5]
    for _, out_shape, pad in modes(x.shape, k.shape):
        out = np.zeros((out_shape[0], out_shape[1] + 1, out_shape[2] + 3), dtype)[:, 1:, 2:-1]
        assert harness.corr3d(x, k, out, *pad, 2) == cyconv.capi.OK
        assert_close(out, reference(x, k, out_shape, pad))


def test_convolution_through_negative_strides(harness):
    """A kernel flipped by negative strides turns the correlation into a convolution."""
    rng = np.random.default_rng(3)
    x, k = rng.standard_normal((20, 31)), rng.standard_normal((4, 5))
    for mode, out_shape, pad in modes(x.shape, k.shape):
        out = np.empty(out_shape)
        assert harness.corrnd(x, k[::-1, ::-1], out, pad, 2) == cyconv.capi.OK
        assert_close(out, cyconv.convolve(x, k, mode=mode, method="direct"))


def test_4d_and_arbitrary_pads(harness):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4, 5, 6))[:, ::-1, 1:, ::2]
    k = rng.standard_normal((2, 2, 3, 2))
    for out_shape, pad in [((3, 4, 4, 3), (0, 1, 2, 0)), ((5, 2, 9, 1), (2, 0, 4, 1)),
                           ((1, 1, 1, 1), (0, 0, 0, 0)), ((2, 3, 4, 5), (9, 9, 9, 9))]:
        out = np.full(out_shape, np.nan)
        assert harness.corrnd(x, k, out, pad, 2) == cyconv.capi.OK
        assert_close(out, reference(x, k, out_shape, pad))


@given(data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_layout_matches_reference(harness, data):
    rank = data.draw(st.integers(1, 3), label="rank")
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    x_shape = data.draw(st.tuples(*[st.integers(1, 7)] * rank), label="x_shape")
    k_shape = data.draw(st.tuples(*[st.integers(1, 4)] * rank), label="k_shape")
    pad = data.draw(st.tuples(*[st.integers(0, 5)] * rank), label="pad")
    out_shape = data.draw(st.tuples(*[st.integers(1, 10)] * rank), label="out_shape")
    steps = st.sampled_from([1, 1, 2, -1])

    def view(shape, label):
        """A (possibly strided, reversed) window of a bigger array filled with 5s."""
        step = data.draw(st.tuples(*[steps] * rank), label=label + "_step")
        lead = data.draw(st.tuples(*[st.integers(0, 2)] * rank), label=label + "_offset")
        base = np.full(tuple(o + abs(s) * n + 2 for o, s, n in zip(lead, step, shape)), 5,
                       dtype=dtype)
        idx = tuple(slice(o, o + s * n, s) if s > 0 else slice(o + n - 1, o - 1 if o else None, s)
                    for o, s, n in zip(lead, step, shape))
        window = np.zeros(base.shape, bool)
        window[idx] = True
        return base, base[idx], window

    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    _, x, _ = view(x_shape, "x")
    x[...] = rand(rng, x_shape, dtype)
    _, k, _ = view(k_shape, "k")
    k[...] = rand(rng, k_shape, dtype)
    obase, out, window = view(out_shape, "out")
    assert x.shape == x_shape and k.shape == k_shape and out.shape == out_shape
    n_threads = data.draw(st.sampled_from([0, 1, 3]), label="n_threads")
    assert harness.corrnd(x, k, out, pad, n_threads) == cyconv.capi.OK
    assert_close(out, reference(x, k, out_shape, pad))
    assert np.all(obase[~window] == 5)          # nothing outside the window was written


@pytest.mark.parametrize("dtype", DTYPES)
def test_nogil_batch_loop_and_thread_safety(harness, dtype):
    """One nogil loop over a batch, and four Python threads running it at once."""
    rng = np.random.default_rng(5)
    xs = rand(rng, (16, 24, 20), dtype)
    k = rand(rng, (3, 3), dtype)
    want = np.stack([reference(x, k, (22, 18), (0, 0)) for x in xs])
    out = np.empty((16, 22, 18), dtype)
    assert harness.batch2d(xs, k, out, 0, 0, 1) == cyconv.capi.OK
    assert_close(out, want)
    outs = [np.empty_like(out) for _ in range(4)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda o: harness.batch2d(xs, k, o, 0, 0, 2), outs))
    assert statuses == [cyconv.capi.OK] * 4
    for o in outs:
        np.testing.assert_array_equal(o, out)   # bitwise: any thread count, any caller


def test_results_do_not_depend_on_n_threads(harness):
    """Big enough for several threads; contiguous, and windows that force copies."""
    rng = np.random.default_rng(6)
    big = rng.standard_normal((310, 270))
    k = rng.standard_normal((5, 5))
    for x, (_mode, out_shape, pad) in [(big[:300, :257].copy(), modes((300, 257), (5, 5))[2]),
                                       (big[3:303, 7:264], modes((300, 257), (5, 5))[0])]:
        outs = []
        for n in (1, 2, 4, 0):
            obig = np.zeros((out_shape[0], out_shape[1] + 5))
            out = obig[:, 2:2 + out_shape[1]]
            assert harness.corr2d(x, k, out, *pad, n) == cyconv.capi.OK
            outs.append(out)
        assert_close(outs[0], reference(x, k, out_shape, pad))
        for o in outs[1:]:
            np.testing.assert_array_equal(o, outs[0])   # bitwise, whatever the thread count


def test_concurrent_calls_that_copy(harness):
    """Python threads calling at once, each through the pack/unpack path."""
    rng = np.random.default_rng(8)
    big = rng.standard_normal((140, 150))
    x, k = big[5:133, 9:140], rng.standard_normal((4, 6))
    _, out_shape, pad = modes(x.shape, k.shape)[0]
    want = reference(x, k, out_shape, pad)

    def work(_):
        for _ in range(10):
            out = np.zeros((out_shape[0], out_shape[1] + 3))[:, 1:-2]
            assert harness.corr2d(x, k, out, *pad, 2) == cyconv.capi.OK
            np.testing.assert_array_equal(out, outs0)

    outs0 = np.zeros(out_shape)
    assert harness.corr2d(x, k, outs0, *pad, 1) == cyconv.capi.OK
    assert_close(outs0, want)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))


def test_invalid_arguments_return_status_and_write_nothing(harness):
    statuses, untouched = harness.bad_calls()
    enomem = statuses.pop("ENOMEM")
    assert statuses == {name: cyconv.capi.EINVAL for name in statuses}
    assert enomem == cyconv.capi.ENOMEM
    assert untouched
