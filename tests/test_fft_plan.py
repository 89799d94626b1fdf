"""The FFT path's plans: one whole circular transform, or overlap-save tiles.

Every plan must give the linear convolution (the oracle is a float64/complex128
direct sum from scipy), whatever the tile lengths, mode, argument order,
dtype, memory layout, thread count and FFT backend; and the planner must pick
tiles for the very unequal sizes it exists for, and a single transform where
tiling cannot apply.
"""

import math

import numpy as np
import pytest
from scipy import signal

import cyconv
from cyconv import _fft


def _oracle(a, b, mode):
    wide = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(b) else np.float64
    return signal.convolve(a.astype(wide), b.astype(wide), mode=mode, method="direct")


def _tol(a, b, dtype):
    eps = np.finfo(_fft._fft_dtype(np.dtype(dtype))).eps
    n = max(a.size, b.size)
    return 20 * eps * math.log2(n + 2) * np.linalg.norm(a.ravel()) * np.linalg.norm(b.ravel())


def _random_tile(rng, a_shape, b_shape, mode):
    """Tile lengths between the smallest legal one and one tile per axis."""
    small = [min(x, y) for x, y in zip(a_shape, b_shape)]
    rng_ = _fft._out_range(a_shape, b_shape, mode)
    tile = []
    for (lo, hi), m in zip(rng_, small):
        tile.append(int(rng.integers(m, max(m + 1, hi - lo + m))))
    return tuple(tile)


def _force(monkeypatch, tile):
    def plan(shape1, shape2, mode, char):
        return _fft.FFTPlan(0.0, tile, tile)
    monkeypatch.setattr(_fft, "fft_plan", plan)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_forced_tiles_match_direct(monkeypatch, seed, dtype):
    """Random tile lengths (down to a 1-wide step), shapes, modes, orders, threads."""
    rng = np.random.default_rng(seed)
    for _ in range(6):
        nd = int(rng.integers(1, 4))
        hi = {1: 300, 2: 40, 3: 14}[nd]
        big = tuple(int(v) for v in rng.integers(1, hi, nd))
        small = tuple(int(rng.integers(1, v + 1)) for v in big)
        a = rng.standard_normal(big).astype(dtype)
        b = rng.standard_normal(small).astype(dtype)
        if np.dtype(dtype).kind == "c":
            a = a + 1j * rng.standard_normal(big).astype(dtype)
            b = b + 1j * rng.standard_normal(small).astype(dtype)
        if rng.random() < 0.5:
            a, b = b, a  # the smaller input first: the plan swaps them
        for mode in ("full", "same", "valid"):
            tile = _random_tile(rng, a.shape, b.shape, mode)
            _force(monkeypatch, tile)
            workers = int(rng.integers(1, 4))
            got = _fft.fft_convolve(a, b, mode, np.dtype(dtype), workers)
            ref = _oracle(a, b, mode)
            assert got.shape == ref.shape and got.dtype == np.dtype(dtype)
            np.testing.assert_allclose(got, ref, rtol=0, atol=_tol(a, b, dtype),
                                       err_msg=f"{a.shape} {b.shape} {mode} tile={tile}")


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_tiles_on_strided_and_negative_stride_views(monkeypatch, mode):
    rng = np.random.default_rng(7)
    base = rng.standard_normal((90, 70))
    a = base[::-2, 1::3]                       # negative and non-unit strides
    b = np.asfortranarray(rng.standard_normal((6, 5)))
    _force(monkeypatch, (16, 12))
    got = _fft.fft_convolve(a, b, mode, np.dtype(np.float64), 2)
    np.testing.assert_allclose(got, _oracle(a, b, mode), rtol=0, atol=_tol(a, b, np.float64))


def test_tiles_bitwise_identical_for_any_thread_count(monkeypatch):
    """Each tile is one fixed computation: threads only share them out."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((200, 170)).astype(np.float32)
    b = rng.standard_normal((9, 13)).astype(np.float32)
    _force(monkeypatch, (32, 40))
    outs = [_fft.fft_convolve(a, b, "same", np.dtype(np.float32), w) for w in (1, 2, 3, 5)]
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])


def test_tiles_with_numpy_fft_backend(monkeypatch):
    """Without scipy the tiled path runs on numpy.fft (no workers keyword)."""
    rng = np.random.default_rng(4)
    a = rng.standard_normal(5000)
    b = rng.standard_normal(200)
    monkeypatch.setattr(_fft, "_BACKEND", (np.fft, False))
    _force(monkeypatch, (512,))
    for mode in ("full", "same", "valid"):
        got = _fft.fft_convolve(a, b, mode, np.dtype(np.float64), 2)
        np.testing.assert_allclose(got, _oracle(a, b, mode), rtol=0,
                                   atol=_tol(a, b, np.float64))


def test_integer_inputs_stay_exact_through_tiles(monkeypatch):
    rng = np.random.default_rng(5)
    a = rng.integers(-50, 50, 3000).astype(np.int32)
    b = rng.integers(-50, 50, 100).astype(np.int32)
    _force(monkeypatch, (256,))
    for mode in ("full", "same", "valid"):
        got = _fft.fft_convolve(a, b, mode, np.dtype(np.int32), 1)
        np.testing.assert_array_equal(got, np.convolve(a.astype(np.int64), b, mode=mode))


@pytest.mark.parametrize("shape1,shape2", [
    ((1_000_000,), (1023,)), ((2048, 2048), (31, 31)), ((200_000,), (255,)),
    ((1023,), (1_000_000,))])
def test_planner_tiles_very_unequal_sizes(shape1, shape2):
    plan = _fft.fft_plan(shape1, shape2, "valid", "f")
    assert plan.tile is not None
    whole = _fft.FFTPlan(0, tuple(_fft.next_fast_len(max(a, b)) for a, b in zip(shape1, shape2)),
                         None)
    # the tiles cost less than the one whole transform the model would do
    assert plan.cost < 3 * (_fft._units(whole.size, 4, False) + _fft.CALL_UNITS)
    for t, m in zip(plan.tile, [min(a, b) for a, b in zip(shape1, shape2)]):
        assert t >= 2 * m


def test_planner_whole_where_tiles_cannot_apply():
    # neither input is the larger on every axis
    assert _fft.fft_plan((300, 20), (20, 300), "full", "d").tile is None
    # more axes than the tile search covers
    assert _fft.fft_plan((8,) * 4, (3,) * 4, "full", "d").tile is None
    # valid mode: one circular transform of the larger input's (fast) size
    plan = _fft.fft_plan((30, 40), (30, 40), "valid", "d")
    assert plan.tile is None and plan.size == (30, 40)
    plan = _fft.fft_plan((1000,), (999,), "valid", "d")
    assert plan.size == (_fft.next_fast_len(1000),)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_whole_circular_size_is_enough(monkeypatch, mode):
    """The whole plan's size max(hi, full - lo) leaves no alias in the kept slice."""
    rng = np.random.default_rng(8)
    for _ in range(20):
        s1 = tuple(int(v) for v in rng.integers(1, 30, 2))
        s2 = tuple(int(v) for v in rng.integers(1, 30, 2))
        if mode == "valid" and not (all(x >= y for x, y in zip(s1, s2))
                                    or all(x <= y for x, y in zip(s1, s2))):
            continue
        a, b = rng.standard_normal(s1), rng.standard_normal(s2)
        rng_ = _fft._out_range(s1, s2, mode)
        full = [x + y - 1 for x, y in zip(s1, s2)]
        size = tuple(max(h, f - lo) for (lo, h), f in zip(rng_, full))  # not rounded up
        monkeypatch.setattr(_fft, "fft_plan", lambda *args, size=size: _fft.FFTPlan(0, size, None))
        got = _fft.fft_convolve(a, b, mode, np.dtype(np.float64), 1)
        np.testing.assert_allclose(got, _oracle(a, b, mode), rtol=0, atol=_tol(a, b, np.float64))


def test_auto_uses_tiles_and_matches_scipy():
    """The public path: auto picks the FFT for W2-like sizes and is right."""
    rng = np.random.default_rng(9)
    a = rng.standard_normal(300_000).astype(np.float32)
    b = rng.standard_normal(1023).astype(np.float32)
    assert cyconv.choose_conv_method(a, b, mode="valid") == "fft"
    for mode in ("full", "same", "valid"):
        got = cyconv.correlate(a, b, mode=mode)
        ref = signal.correlate(a.astype(np.float64), b.astype(np.float64), mode=mode,
                               method="fft")
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, ref, rtol=0, atol=_tol(a, b, np.float32))


def test_tile_pool_is_rebuilt_after_fork(monkeypatch):
    """The FFT's thread pool outlives a call; a forked child (which has the
    pool object but not its threads) must get a new one, not hang."""
    import os
    import signal as signals
    import warnings
    if not hasattr(os, "fork"):
        pytest.skip("no os.fork on this platform")
    rng = np.random.default_rng(12)
    a = rng.standard_normal(200_000)   # 276 tiles: 5 batches, shared by 2 threads
    b = rng.standard_normal(300)
    _force(monkeypatch, (1024,))
    ref = _fft.fft_convolve(a, b, "valid", np.dtype(np.float64), 2)  # creates the pool
    assert _fft._POOL is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # child: a hang is killed by the alarm and reads as failure
        code = 1
        try:
            signals.alarm(60)
            got = _fft.fft_convolve(a, b, "valid", np.dtype(np.float64), 2)
            code = 0 if np.array_equal(got, ref) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status


def test_tiles_from_many_python_threads_at_once(monkeypatch):
    """Callers share the tile pool; each gets its own answer, bitwise the serial one."""
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(13)
    cases = [(rng.standard_normal(60_000), rng.standard_normal(200 + 10 * i)) for i in range(6)]
    _force(monkeypatch, (1024,))
    serial = [_fft.fft_convolve(a, b, "valid", np.dtype(np.float64), 1) for a, b in cases]
    with ThreadPoolExecutor(6) as callers:
        got = list(callers.map(lambda ab: _fft.fft_convolve(*ab, "valid", np.dtype(np.float64), 3),
                               cases * 3))
    for i, g in enumerate(got):
        np.testing.assert_array_equal(g, serial[i % len(cases)])
