"""Many Python threads at once: same answers as serial, no oversubscription.

* 8 Python threads x 200 mixed calls (sizes, dtypes, modes, methods, 2-D
  boundaries, ``workers`` None/1/2/-1) return bitwise what the same calls
  return made one after another.
* From a ThreadPoolExecutor with ``workers=None`` the calls never reserve
  more than ``cpu_count()`` OpenMP threads in total (the budget in
  ``_threads``).
* Under ``threadpoolctl.threadpool_limits(1)`` every ``workers=None`` kernel
  runs on one thread.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import cyconv
from cyconv import _threads

CPUS = _threads.cpu_count()


def _mixed_calls(seed, n):
    rng = np.random.default_rng(seed)
    shapes = [((300,), (7,)), ((5000,), (33,)), ((40, 50), (3, 4)), ((120, 90), (7, 7)),
              ((200, 160), (5, 3)), ((12, 14, 10), (3, 2, 3))]
    dtypes = [np.float32, np.float64, np.complex64, np.int16, np.complex128]
    calls = []
    for i in range(n):
        s1, s2 = shapes[rng.integers(len(shapes))]
        dt = dtypes[rng.integers(len(dtypes))]
        a = (rng.standard_normal(s1) * 8).astype(dt)
        b = (rng.standard_normal(s2) * 8).astype(dt)
        workers = (None, 1, 2, -1)[i % 4]
        mode = ("full", "valid", "same")[rng.integers(3)]
        if len(s1) == 2 and i % 3 == 0:
            boundary = ("fill", "wrap", "symm")[rng.integers(3)]
            func = cyconv.correlate2d if i % 2 else cyconv.convolve2d
            calls.append((func, a, b, dict(mode=mode, boundary=boundary, fillvalue=2,
                                           workers=workers)))
        else:
            func = cyconv.correlate if i % 2 else cyconv.convolve
            method = ("direct", "direct", "auto", "fft")[rng.integers(4)]
            calls.append((func, a, b, dict(mode=mode, method=method, workers=workers)))
    return calls


def test_eight_threads_match_serial():
    per_thread = [_mixed_calls(seed, 200) for seed in range(8)]
    expected = [[f(a, b, **kw) for f, a, b, kw in calls] for calls in per_thread]
    got = [None] * 8
    errors = []
    start = threading.Barrier(8)

    def worker(t):
        try:
            start.wait()
            got[t] = [f(a, b, **kw) for f, a, b, kw in per_thread[t]]
        except BaseException as exc:  # report in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    for t in range(8):
        for i, (g, e) in enumerate(zip(got[t], expected[t])):
            assert g.dtype == e.dtype and g.shape == e.shape
            assert g.tobytes() == e.tobytes(), f"thread {t} call {i} differs from serial"
    assert _threads.in_use() == 0


def test_thread_pool_never_reserves_more_than_cpu_count(monkeypatch):
    peak = [0]
    granted = []
    lock = threading.Lock()
    real = _threads.acquire

    def acquire(workers, work, max_parallel):
        n = real(workers, work, max_parallel)
        with lock:
            granted.append(n)
            peak[0] = max(peak[0], _threads.in_use())
        return n

    monkeypatch.setattr(_threads, "acquire", acquire)
    rng = np.random.default_rng(5)
    problems = [(rng.standard_normal((300, 260)), rng.standard_normal((7, 7)))
                for _ in range(6)]
    problems += [(rng.standard_normal((100_000,)), rng.standard_normal((41,)))
                 for _ in range(6)]
    # workers=None inside a pool of 2 * CPUs Python threads, 4 rounds
    with ThreadPoolExecutor(2 * CPUS + 2) as pool:
        list(pool.map(lambda p: cyconv.correlate(*p, method="direct"), problems * 4))
        list(pool.map(lambda p: cyconv.convolve2d(p[0].reshape(-1, 500)[:200],
                                                  p[1].reshape(1, -1)[:, :7], boundary="wrap"),
                      problems * 2))
    assert granted and peak[0] <= CPUS, f"reserved {peak[0]} threads on {CPUS} CPUs"
    assert _threads.in_use() == 0


def test_threadpool_limits_one_makes_every_kernel_serial(recorded_threads):
    granted = recorded_threads
    calls = [c for c in _mixed_calls(11, 80) if c[3]["workers"] is None]
    calls.append((cyconv.correlate, np.ones((600, 600)), np.ones((9, 9)),
                  dict(method="direct", workers=None)))
    assert len(calls) >= 20
    with threadpool_limits(limits=1):
        for f, a, b, kw in calls:
            f(a, b, **kw)
        assert _threads.max_threads() == 1
    assert granted and set(granted) == {1}, granted


@pytest.mark.skipif(not _threads.openmp_enabled() or CPUS < 2, reason="needs OpenMP and 2 CPUs")
def test_team_size_follows_threadpool_limits():
    with threadpool_limits(limits=1):
        assert _threads.team_size(_threads.resolve_workers(None)) == 1
    with threadpool_limits(limits=2):
        assert _threads.team_size(_threads.resolve_workers(None)) == 2
