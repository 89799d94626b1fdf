"""Threads: bitwise determinism, workers validation, the GIL, OpenMP controls, the budget."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import cyconv
from cyconv import _signal, _threads

sys.path.insert(0, os.path.dirname(__file__))
from gil_probe import python_progress_during  # noqa: E402

OPENMP = _threads.openmp_enabled()
CPUS = _threads.cpu_count()


def _data(rng, shape, dtype):
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        return rng.integers(-1000, 1000, shape).astype(dt)
    if dt.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)
    return rng.standard_normal(shape).astype(dt)


PROBLEMS = [
    pytest.param((600, 600), (7, 7), id="2d-600x600-7x7"),
    pytest.param((200_000,), (63,), id="1d-200k-63"),
    pytest.param((40, 40, 40), (5, 5, 5), id="3d-40^3-5^3"),
    pytest.param((3, 20_000), (1, 31), id="thin-3x20000"),
]


@pytest.mark.parametrize("s1,s2", PROBLEMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128, np.int32],
                         ids=lambda d: np.dtype(d).name)
def test_direct_is_bitwise_identical_for_any_workers(s1, s2, dtype, recorded_threads):
    rng = np.random.default_rng([len(s1), s1[-1], np.dtype(dtype).num])
    a, b = _data(rng, s1, dtype), _data(rng, s2, dtype)
    modes = ["full", "valid", "same"] if np.dtype(dtype).itemsize <= 8 else ["same"]
    for func in (cyconv.correlate, cyconv.convolve):
        for mode in modes:
            recorded_threads.clear()
            ref = func(a, b, mode=mode, method="direct", workers=1)
            assert recorded_threads == [1]
            assert np.any(ref != 0)
            for workers in (2, 3, -1):
                recorded_threads.clear()
                out = func(a, b, mode=mode, method="direct", workers=workers)
                assert out.dtype == ref.dtype and out.shape == ref.shape
                assert out.tobytes() == ref.tobytes(), f"{func.__name__} {mode} workers={workers}"
                # the problem really ran on a thread team (capped only by its size)
                asked = workers if workers > 0 else CPUS + 1 + workers
                [n] = recorded_threads
                assert (1 < n <= asked) if asked > 1 else n == 1
    if len(s1) == 2 and s1[0] > 10:
        for func in (cyconv.correlate2d, cyconv.convolve2d):
            for boundary in ("fill", "wrap", "symm"):
                ref = func(a, b, mode="same", boundary=boundary, fillvalue=1, workers=1)
                for workers in (2, 3, -1):
                    out = func(a, b, mode="same", boundary=boundary, fillvalue=1, workers=workers)
                    assert out.tobytes() == ref.tobytes()


def test_team_really_starts_threads():
    """The parallel region runs with the team it was asked for (OpenMP builds)."""
    assert _threads.team_size(1) == 1
    assert _threads.team_size(2) == (2 if OPENMP else 1)
    assert _threads.team_size(3) == (3 if OPENMP else 1)


def test_small_problems_stay_on_one_thread(recorded_threads):
    cyconv.correlate(np.ones(50), np.ones(3), workers=-1)
    cyconv.correlate2d(np.ones((8, 8)), np.ones((3, 3)), workers=2)
    assert recorded_threads == [1, 1]


# --------------------------------------------------------------------------
# workers validation
# --------------------------------------------------------------------------

CALLS = [
    lambda **kw: cyconv.correlate(np.ones(5), np.ones(2), **kw),
    lambda **kw: cyconv.convolve(np.ones(5), np.ones(2), method="direct", **kw),
    lambda **kw: cyconv.correlate2d(np.ones((3, 3)), np.ones((2, 2)), **kw),
    lambda **kw: cyconv.convolve2d(np.ones((3, 3)), np.ones((2, 2)), boundary="wrap", **kw),
]


@pytest.mark.parametrize("call", CALLS, ids=["correlate", "convolve", "correlate2d", "convolve2d"])
def test_workers_validation(call):
    expected = call()
    for ok in (None, 1, 2, 3, -1, np.int64(2), np.int32(-1), CPUS, -CPUS, 64):
        np.testing.assert_array_equal(call(workers=ok), expected)
    with pytest.raises(ValueError, match="workers"):
        call(workers=0)
    with pytest.raises(ValueError, match="workers"):
        call(workers=-(CPUS + 1))
    with pytest.raises(ValueError, match="workers"):
        call(workers=-(CPUS + 50))
    for bad in (1.5, "2", True, False, np.True_, 2.0, [2], np.float64(2)):
        with pytest.raises(TypeError, match="workers"):
            call(workers=bad)
    assert _threads.in_use() == 0


def test_resolve_workers_policy():
    assert _threads.resolve_workers(None) == max(1, _threads.max_threads())
    assert _threads.resolve_workers(5) == 5
    assert _threads.resolve_workers(-1) == CPUS
    assert _threads.resolve_workers(-CPUS) == 1
    if CPUS >= 2:
        assert _threads.resolve_workers(-2) == CPUS - 1


# --------------------------------------------------------------------------
# the GIL is released for the whole kernel
# --------------------------------------------------------------------------

def test_gil_is_released_during_the_kernel():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1_000_000)
    # size the kernel so that the call takes about 1.5 s on one thread here
    probe = rng.standard_normal(200)
    t0 = time.perf_counter()
    cyconv.correlate(x, probe, mode="valid", method="direct", workers=1)
    per_tap = (time.perf_counter() - t0) / probe.size
    taps = int(min(20_000, max(500, 1.5 / max(per_tap, 1e-9))))
    k = rng.standard_normal(taps)

    during, rate, elapsed, out = python_progress_during(
        lambda: cyconv.correlate(x, k, mode="valid", method="direct", workers=1))
    assert out.shape == (x.size - k.size + 1,)
    np.testing.assert_allclose(out[:3], [np.dot(x[i:i + taps], k) for i in range(3)],
                               rtol=1e-9, atol=1e-9)
    assert elapsed > 0.2, "the kernel was too short to tell anything"
    # With the GIL held the counter could only move during the few
    # milliseconds of Python around the kernel.
    assert during > 0.2 * rate * elapsed, (during, rate, elapsed)


# --------------------------------------------------------------------------
# OpenMP controls: threadpoolctl and OMP_NUM_THREADS
# --------------------------------------------------------------------------

def test_threadpoolctl_limits_are_respected(recorded_threads):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((400, 300)), rng.standard_normal((7, 7))
    ref = cyconv.correlate(a, b, method="direct", workers=1)
    if OPENMP:
        assert any(i["internal_api"] == "openmp" for i in threadpool_info())
    recorded_threads.clear()
    with threadpool_limits(limits=1):
        assert _threads.max_threads() == 1
        assert _threads.resolve_workers(None) == 1
        out = cyconv.correlate(a, b, method="direct")
        assert out.tobytes() == ref.tobytes()
        assert recorded_threads == [1]
    if OPENMP and CPUS >= 2:
        with threadpool_limits(limits=2):
            assert _threads.max_threads() == 2
            recorded_threads.clear()
            out = cyconv.correlate(a, b, method="direct")
            assert out.tobytes() == ref.tobytes()
            assert recorded_threads == [2]


def _run_python(code, **env):
    full_env = dict(os.environ)
    full_env.update(env)
    # run outside the repository so that the installed package is imported
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=full_env, timeout=120, cwd=os.path.dirname(os.path.abspath(os.sep)))
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


def test_omp_num_threads_is_respected():
    code = ("import numpy as np, cyconv\n"
            "from cyconv import _threads\n"
            "print(_threads.max_threads(), _threads.resolve_workers(None))\n"
            "a = np.random.default_rng(0).standard_normal((300, 300))\n"
            "print(float(cyconv.correlate(a, a[:5, :5], method='direct').sum()))\n")
    one = _run_python(code, OMP_NUM_THREADS="1")
    assert one[:2] == ["1", "1"]
    two = _run_python(code, OMP_NUM_THREADS="2")
    assert two[:2] == (["2", "2"] if OPENMP else ["1", "1"])
    assert one[2] == two[2]   # bitwise-identical sums


# --------------------------------------------------------------------------
# the process-wide budget
# --------------------------------------------------------------------------

def test_budget_returns_to_zero_after_calls():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((300, 300)), rng.standard_normal((5, 5))
    assert _threads.in_use() == 0
    for workers in (None, 1, 2, -1):
        cyconv.correlate(a, b, method="direct", workers=workers)
        cyconv.convolve2d(a, b, boundary="symm", workers=workers)
        assert _threads.in_use() == 0
    # calls that raise, before and inside the kernel
    with pytest.raises(ValueError):
        cyconv.correlate(a, b, mode="bogus", workers=2)
    with pytest.raises(ValueError):
        cyconv.correlate(a, b, workers=0)
    assert _threads.in_use() == 0


def boom_module(fn):
    class Fake:
        correlate_new = staticmethod(fn)
    return Fake


def test_budget_released_when_the_kernel_raises(monkeypatch):
    def boom(x, k, pad, out_shape, dtype, n, border=0, cval=None):
        # a parallel call holds its threads; a serial one runs on the caller's
        assert _threads.in_use() >= (n if n > 1 else 0)
        raise RuntimeError("kernel failed")

    # the kernel module the API dispatches to (baseline or AVX2 build)
    monkeypatch.setattr(_signal, "_kernels", boom_module(boom))
    a = np.ones((300, 300))
    for workers in (None, 1, 2, -1):
        with pytest.raises(RuntimeError, match="kernel failed"):
            cyconv.correlate(a, np.ones((5, 5)), method="direct", workers=workers)
        with pytest.raises(RuntimeError, match="kernel failed"):
            cyconv.correlate2d(a, np.ones((5, 5)), boundary="wrap", workers=workers)
        assert _threads.in_use() == 0


def test_budget_shares_cpus_between_concurrent_calls(recorded_threads):
    """A workers=None call gets only the threads other calls left free."""
    a, b = np.ones((400, 400)), np.ones((7, 7))
    held = _threads.acquire(CPUS, 1 << 30, 1 << 20)     # as if another call ran on every CPU
    try:
        assert held == CPUS and _threads.in_use() == CPUS
        recorded_threads.clear()
        cyconv.correlate(a, b, method="direct")
        assert recorded_threads == [1]
        # explicit counts are honoured (the caller chose them)
        recorded_threads.clear()
        cyconv.correlate(a, b, method="direct", workers=2)
        assert recorded_threads == [2]
    finally:
        _threads.release(held)
    assert _threads.in_use() == 0
    recorded_threads.clear()
    cyconv.correlate(a, b, method="direct")
    free = min(_threads.max_threads(), CPUS)
    [n] = recorded_threads
    assert (1 < n <= free) if free > 1 else n == 1


def test_concurrent_calls_from_a_thread_pool():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(3)
    problems = [(rng.standard_normal((200, 150)), rng.standard_normal((5, 4))) for _ in range(8)]
    expected = [cyconv.correlate(a, b, method="direct", workers=1) for a, b in problems]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda p: cyconv.correlate(*p, method="direct"), problems))
    for got, exp in zip(results, expected):
        assert got.tobytes() == exp.tobytes()
    assert _threads.in_use() == 0
