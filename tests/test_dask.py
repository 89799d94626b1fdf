"""cyconv.dask on the real dask engine: a 2-process LocalCluster, threads, sync.

Every function's lazy result is computed on each scheduler and compared with
the in-memory call on the same array (bit for bit for the direct methods),
and the ndimage-style ones with dask_image.ndfilters.
"""
import inspect
import logging
import sys
import threading

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import cyconv  # noqa: E402
from cyconv import _threads  # noqa: E402
from cyconv import dask as cd  # noqa: E402

# The workers of the processes scheduler and of the cluster cannot import this
# test module (pytest's importlib mode): ship its functions by value.
TIMEOUT = 120  # seconds a cluster computation may take

pytest.importorskip("cloudpickle").register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def client():
    """Two worker processes with one thread each, on loopback, stopped after the module."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR, death_timeout=60) as cluster, \
            distributed.Client(cluster, timeout=60) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


@pytest.fixture(autouse=True)
def _local_scheduler_by_default(request):
    """Tests that do not ask for the cluster compute on the synchronous scheduler
    (a live Client would otherwise become everyone's default)."""
    import dask

    with dask.config.set(scheduler="sync"):
        yield


def _compute_all(lazy, scheduler, client):
    """Compute a list of dask arrays together on one scheduler."""
    if scheduler == "distributed":
        futures = client.compute(lazy)
        distributed.wait(futures, timeout=TIMEOUT)  # bounded: a hung cluster fails the test
        return client.gather(futures)
    if scheduler == "threads":
        return list(da.compute(*lazy, scheduler="threads", num_workers=2))
    return list(da.compute(*lazy, scheduler="sync"))


@pytest.fixture(params=["distributed", "threads", "sync"])
def scheduler(request):
    return request.param


def _data(shape=(23, 17, 11), chunks=(6, 5, 4), dtype=np.float64, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return a, da.from_array(a, chunks=chunks)


# --------------------------------------------------------------------------
# signal style
# --------------------------------------------------------------------------
SIGNAL_CASES = [(mode, method, conv, dtype)
                for mode in ("full", "same", "valid")
                for method in ("direct", "fft")
                for conv in (False, True)
                for dtype in (np.float32, np.float64)]


def test_signal_functions_equal_in_memory_on_every_scheduler(scheduler, request):
    client = request.getfixturevalue("client") if scheduler == "distributed" else None
    a, x = _data(dtype=np.float32)
    b = a.astype(np.float64)
    xb = da.from_array(b, chunks=(4, 9, 5))
    k = np.random.default_rng(1).standard_normal((4, 3, 5))
    lazy, expected, exact = [], [], []
    cases = SIGNAL_CASES
    if scheduler == "distributed":  # each mode x method x function once (time)
        cases = [c for i, c in enumerate(SIGNAL_CASES) if (c[3] == np.float64) == bool(i % 4 // 2)]
    for mode, method, conv, dtype in cases:
        arr, xx = (a, x) if dtype == np.float32 else (b, xb)
        kk = k.astype(dtype)
        f, g = (cd.convolve_signal, cyconv.convolve) if conv else (cd.correlate_signal, cyconv.correlate)
        lazy.append(f(xx, kk, mode=mode, method=method))
        expected.append(g(arr, kk, mode=mode, method=method))
        exact.append(method == "direct")
    lazy.append(cd.fftconvolve(x, k, mode="same"))
    expected.append(cyconv.convolve(a, k, mode="same", method="fft"))
    exact.append(False)
    for got, want, bitwise, r in zip(_compute_all(lazy, scheduler, client), expected, exact, lazy):
        assert got.shape == want.shape == r.shape and got.dtype == want.dtype == r.dtype
        if bitwise:
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_signal_matches_scipy_and_documents_its_chunks():
    signal = pytest.importorskip("scipy.signal")
    a, x = _data(shape=(40, 31), chunks=(9, 8))
    k = np.random.default_rng(2).standard_normal((5, 4))
    for mode in ("full", "same", "valid"):
        r = cd.correlate_signal(x, k, mode=mode, method="direct")
        np.testing.assert_allclose(r.compute(), signal.correlate(a, k, mode=mode, method="direct"),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cd.fftconvolve(x, k, mode=mode).compute(),
                                   signal.fftconvolve(a, k, mode=mode), rtol=1e-10, atol=1e-10)
    assert cd.correlate_signal(x, k, mode="same").chunks == x.chunks
    assert cd.correlate_signal(x, k, mode="full").chunks == ((9, 9, 9, 9, 8), (8, 8, 8, 10))
    assert cd.correlate_signal(x, k, mode="valid").chunks == ((9, 9, 9, 9), (8, 8, 8, 4))


@pytest.mark.parametrize("chunks", [1, 2, 3, (1, 1, 7, 2, 1)])
def test_signal_thin_chunks_are_merged(chunks):
    a = np.random.default_rng(3).standard_normal((12, 6))
    x = da.from_array(a, chunks=(chunks, 6))
    k = np.random.default_rng(4).standard_normal((4, 2))
    for mode in ("full", "same", "valid"):
        r = cd.correlate_signal(x, k, mode=mode, method="direct")
        assert all(c >= 3 for c in r.chunks[0][1:-1])
        np.testing.assert_array_equal(r.compute(), cyconv.correlate(a, k, mode, method="direct"))
    # 1-D: cyconv's 1-D direct kernel rounds an output a last bit differently
    # depending on its position in the row, so a chunk can differ by 1 ulp.
    np.testing.assert_allclose(cd.correlate_signal(x[:, 0], k[:, 0], method="direct").compute(),
                               cyconv.correlate(a[:, 0], k[:, 0], method="direct"), rtol=1e-14,
                               atol=1e-15)


def test_signal_complex_and_integer():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((20, 9)) + 1j * rng.standard_normal((20, 9))
    k = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    x = da.from_array(a, chunks=(7, 4))
    np.testing.assert_array_equal(cd.correlate_signal(x, k, "same", method="direct").compute(),
                                  cyconv.correlate(a, k, "same", method="direct"))
    ai = rng.integers(-50, 50, (30,), dtype=np.int64)
    ki = np.array([1, -2, 3], dtype=np.int64)
    r = cd.convolve_signal(da.from_array(ai, chunks=8), ki)
    assert r.dtype == np.int64
    np.testing.assert_array_equal(r.compute(), cyconv.convolve(ai, ki))


def test_signal_errors():
    a, x = _data(shape=(10, 10), chunks=5)
    with pytest.raises(TypeError, match="in1"):
        cd.correlate_signal(a, np.ones((2, 2)))
    with pytest.raises(ValueError, match="mode"):
        cd.correlate_signal(x, np.ones((2, 2)), mode="nope")
    with pytest.raises(ValueError, match="dimensionality"):
        cd.convolve_signal(x, np.ones(3))
    with pytest.raises(ValueError, match="in2.*larger"):
        cd.correlate_signal(x, np.ones((11, 2)), mode="valid")
    with pytest.raises(ValueError, match="method"):
        cd.correlate_signal(x, np.ones((2, 2)), method="nope")
    with pytest.raises(ValueError, match="workers"):
        cd.fftconvolve(x, np.ones((2, 2)), workers=0)
    unknown = x[x[:, 0] > 0]  # NaN chunk sizes
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        cd.correlate_signal(unknown, np.ones((2, 2)))


def test_importing_cyconv_does_not_import_dask():
    import subprocess
    import sys

    code = "import sys, cyconv; assert 'dask' not in sys.modules, 'dask imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --------------------------------------------------------------------------
# thread policy
# --------------------------------------------------------------------------
def _threads_of_a_task():
    w = cd.task_workers()
    return w, _threads.resolve_workers(w)


def test_thread_policy_never_oversubscribes(client):
    cpus = _threads.cpu_count()
    import dask

    task = dask.delayed(_threads_of_a_task, pure=False)
    # synchronous: one task at a time, it gets the whole process
    w, n = task().compute(scheduler="sync")
    assert w is None and n == _threads.resolve_workers(None)
    # a thread pool: one thread per task, so the pool's tasks fit the cores
    results = dask.compute(*[task() for _ in range(4)], scheduler="threads", num_workers=cpus)
    assert all(r == (1, 1) for r in results)
    # processes scheduler with dask's default pool (a process per core): one thread each
    results = dask.compute(*[task() for _ in range(2)], scheduler="processes")
    assert all(n * cpus <= cpus for _, n in results)
    # the cluster: one-thread workers honour the nanny's OMP_NUM_THREADS; all
    # workers' threads together fit the machine
    info = client.scheduler_info()["workers"]
    per_worker = client.run(lambda: _threads.resolve_workers(cd.task_workers()))
    got = client.gather(client.map(lambda _: _threads_of_a_task(), range(4), pure=False))
    assert all(w is None for w, _ in got)  # one thread per worker: the process's cores
    total = sum(per_worker[addr] * w["nthreads"] for addr, w in info.items())
    assert total <= cpus


def test_threaded_compute_keeps_within_the_thread_budget():
    """Under the threaded scheduler no chunk call reserves more than the machine."""
    a, x = _data(shape=(96, 96, 48), chunks=(32, 32, 24))
    lazy = cd.correlate_signal(x, np.ones((5, 5, 5)), mode="same", method="direct")
    peak, stop = [0], threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _threads.in_use())

    t = threading.Thread(target=sample)
    t.start()
    try:
        got = lazy.compute(scheduler="threads", num_workers=2)
    finally:
        stop.set()
        t.join()
    assert peak[0] <= _threads.cpu_count()
    np.testing.assert_array_equal(got, cyconv.correlate(a, np.ones((5, 5, 5)), "same", method="direct"))


def test_task_workers_outside_dask_is_the_default():
    assert cd.task_workers() is None
    box = []
    t = threading.Thread(target=lambda: box.append(cd.task_workers()))
    t.start()
    t.join()
    assert box == [1]


def test_signature_mentions_workers():
    for name in cd.__all__:
        if name != "task_workers":
            p = inspect.signature(getattr(cd, name)).parameters["workers"]
            assert p.kind is p.KEYWORD_ONLY and p.default is None


# --------------------------------------------------------------------------
# ndimage style (dask_image.ndfilters' signatures, cyconv.ndimage per chunk)
# --------------------------------------------------------------------------
MODES = ("reflect", "constant", "nearest", "mirror", "wrap")


def _cases(w):
    """(function name, positional arguments, keywords): every ndimage-style function."""
    return [("correlate", (w,), {"origin": (1, -1, 0)}), ("convolve", (w,), {}),
            ("correlate1d", (w[:, 0, 0],), {"axis": 0, "origin": 1}),
            ("convolve1d", (w[0, 0],), {"axis": 2}), ("gaussian_filter", (1.5,), {}),
            ("gaussian_filter", ((1.0, 0.7, 2.0),), {"order": (0, 1, 2)}),
            ("uniform_filter", ((3, 4, 5),), {}), ("sobel", (), {"axis": 1}),
            ("prewitt", (), {"axis": 0}), ("laplace", (), {}), ("gaussian_laplace", (1.2,), {}),
            ("gaussian_gradient_magnitude", (1.0,), {})]


def _check_equal(got, want, mode):
    assert got.shape == want.shape and got.dtype == want.dtype
    if mode == "constant":
        # cyconv.ndimage's constant-mode border band along the last axis rounds
        # a last bit differently with the row's length (a chunk's row is
        # shorter than the array's): equal to 2 ulp, not bit for bit.
        np.testing.assert_allclose(got, want, rtol=4 * np.finfo(want.dtype).eps,
                                   atol=4 * np.finfo(want.dtype).eps * np.abs(want).max())
    else:
        np.testing.assert_array_equal(got, want)


def test_ndimage_functions_equal_in_memory_on_every_scheduler(scheduler, request):
    from cyconv import ndimage

    client = request.getfixturevalue("client") if scheduler == "distributed" else None
    # chunks of at least 16 along the last axis (see _check_equal), 2 per axis
    a, x = _data(shape=(24, 19, 40), chunks=(12, 10, 20), dtype=np.float32)
    w = np.random.default_rng(6).standard_normal((5, 3, 4)).astype(np.float32)
    cases = [(mode, case) for mode in MODES for case in _cases(w)]
    if scheduler != "threads":  # every function once, the modes in turn (time)
        cases = [(MODES[i % len(MODES)], case) for i, case in enumerate(_cases(w))]
    lazy, expected = [], []
    for mode, (name, args, kw) in cases:
        lazy.append(getattr(cd, name)(x, *args, mode=mode, **kw))
        expected.append((mode, getattr(ndimage, name)(a, *args, mode=mode, **kw)))
    for got, (mode, want), r in zip(_compute_all(lazy, scheduler, client), expected, lazy):
        assert r.chunks == x.chunks
        _check_equal(got, want, mode)


@pytest.mark.parametrize("mode", MODES)
def test_ndimage_float64_and_per_axis_modes(mode):
    from cyconv import ndimage

    a, x = _data(shape=(22, 15, 33), chunks=(11, 8, 17))
    w = np.random.default_rng(7).standard_normal((3, 4, 5))
    for name, args, kw in _cases(w):
        _check_equal(getattr(cd, name)(x, *args, mode=mode, **kw).compute(),
                     getattr(ndimage, name)(a, *args, mode=mode, **kw), mode)
    per_axis = (mode, "nearest", "wrap")
    for name in ("gaussian_filter", "uniform_filter"):
        arg = 1.3 if name == "gaussian_filter" else 3
        _check_equal(getattr(cd, name)(x, arg, mode=per_axis).compute(),
                     getattr(ndimage, name)(a, arg, mode=per_axis), mode)


def test_ndimage_matches_dask_image():
    """Differential test against dask_image.ndfilters (scipy.ndimage per chunk)."""
    ndfilters = pytest.importorskip("dask_image.ndfilters")
    scipy_ndimage = pytest.importorskip("scipy.ndimage")
    a, x = _data(shape=(26, 23, 34), chunks=(9, 12, 17), seed=8)
    w = np.random.default_rng(9).standard_normal((3, 5, 4))
    tol = {"rtol": 1e-12, "atol": 1e-12 * np.abs(a).max() * np.abs(w).sum()}
    for mode in MODES:
        for name, args, kw in _cases(w):
            if name.endswith("1d"):  # not in dask-image: scipy.ndimage is the oracle
                want = getattr(scipy_ndimage, name)(a, *args, mode=mode, **kw)
            elif mode == "wrap" and name not in ("correlate", "convolve"):
                # dask-image fixed 'wrap' (its #242) only for correlate/convolve
                want = getattr(scipy_ndimage, name)(a, *args, mode=mode, **kw)
            else:
                want = getattr(ndfilters, name)(x, *args, mode=mode, **kw).compute()
            np.testing.assert_allclose(getattr(cd, name)(x, *args, mode=mode, **kw).compute(),
                                       want, **tol, err_msg=f"{name} {mode}")


def test_ndimage_signatures_are_dask_images_plus_workers():
    ndfilters = pytest.importorskip("dask_image.ndfilters")
    for name in ("correlate", "convolve", "gaussian_filter", "uniform_filter", "sobel", "prewitt",
                 "laplace", "gaussian_laplace", "gaussian_gradient_magnitude"):
        theirs = list(inspect.signature(getattr(ndfilters, name)).parameters.values())
        ours = list(inspect.signature(getattr(cd, name)).parameters.values())
        assert [(p.name, p.default) for p in theirs if p.kind is not p.VAR_KEYWORD] == \
            [(p.name, p.default) for p in ours if p.kind is p.POSITIONAL_OR_KEYWORD], name


@pytest.mark.parametrize("chunks", [(2, 3, 40), (1, 40, 5), (40, 40, 40)])
def test_ndimage_thin_and_single_chunks(chunks):
    """Chunks thinner than the filter's reach are merged with a neighbour first."""
    from cyconv import ndimage

    a, x = _data(shape=(20, 18, 24), chunks=chunks)
    for mode in ("reflect", "wrap"):
        r = cd.gaussian_filter(x, 2.0, mode=mode)
        assert all(min(c[:-1] or c) >= 8 or len(c) == 1 for c in r.chunks)
        np.testing.assert_array_equal(r.compute(), ndimage.gaussian_filter(a, 2.0, mode=mode))


def test_ndimage_integer_and_complex():
    from cyconv import ndimage

    rng = np.random.default_rng(10)
    a = rng.integers(0, 255, (40, 37), dtype=np.uint8)
    x = da.from_array(a, chunks=16)
    for name in ("sobel", "prewitt", "laplace"):
        r = getattr(cd, name)(x)
        assert r.dtype == np.uint8
        np.testing.assert_array_equal(r.compute(), getattr(ndimage, name)(a))
    c = rng.standard_normal((30, 20)) + 1j * rng.standard_normal((30, 20))
    w = rng.standard_normal((3, 3))
    np.testing.assert_array_equal(cd.correlate(da.from_array(c, chunks=16), w).compute(),
                                  ndimage.correlate(c, w))


def test_ndimage_errors():
    a, x = _data(shape=(10, 12), chunks=5)
    with pytest.raises(TypeError, match="image"):
        cd.gaussian_filter(a, 1.0)
    with pytest.raises(ValueError, match="valid"):
        cd.uniform_filter(x, 3, mode="valid")
    with pytest.raises(ValueError, match="weights"):
        cd.correlate(x, np.ones(3))
    with pytest.raises(ValueError, match="origin"):
        cd.convolve(x, np.ones((3, 3)), origin=2)
    with pytest.raises(ValueError, match="sigma"):
        cd.gaussian_filter(x, (1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="axis"):
        cd.sobel(x, axis=2)
    with pytest.raises(ValueError, match="mode"):
        cd.gaussian_laplace(x, 1.0, mode=("wrap", "reflect"))
    with pytest.raises(ValueError, match="mode"):
        cd.laplace(x, mode="nope")
    with pytest.raises(ValueError, match="workers"):
        cd.laplace(x, workers=0)
    with pytest.raises(ValueError, match="longer|length"):
        cd.gaussian_filter(da.from_array(np.ones((4, 30)), chunks=(4, 10)), 2.0, mode="wrap")
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        cd.sobel(x[x[:, 0] > 0])


# --------------------------------------------------------------------------
# map_store and the larger-than-memory demo
# --------------------------------------------------------------------------
def test_map_store_equals_in_memory(tmp_path):
    from cyconv import _dask_demo, ndimage

    zarr = pytest.importorskip("zarr")
    a = np.random.default_rng(11).standard_normal((40, 33, 21)).astype(np.float32)
    z = zarr.create_array(str(tmp_path / "a.zarr"), shape=a.shape, chunks=(16, 16, 16), dtype=a.dtype)
    z[...] = a
    npy = _dask_demo.NpyFile(str(tmp_path / "a.npy"), a.shape, a.dtype)
    npy[...] = a
    want = ndimage.gaussian_filter(a, 1.5)
    for source in (z, npy, a):
        got = cd.map_store(ndimage.gaussian_filter, source, 6, (16, 20, 21), sigma=1.5)
        assert got.chunks == ((16, 16, 8), (20, 13), (21,))
        np.testing.assert_array_equal(got.compute(scheduler="threads", num_workers=2), want)


def _demo_in_a_subprocess(shape, store):
    import json
    import subprocess

    code = ("import json, cyconv._dask_demo as d; "
            f"print(json.dumps(d.run({shape!r}, 64, store={store!r}, out=lambda s: None)))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("store", ["zarr", "npy"])
def test_demo_memory_does_not_grow_with_the_volume(store):
    """Peak RSS while filtering a 4x larger volume grows by far less than the volume."""
    if store == "zarr":
        pytest.importorskip("zarr")
    small = _demo_in_a_subprocess((256, 128, 128), store)   # 16 MiB, 16 chunks of 1 MiB
    large = _demo_in_a_subprocess((1024, 128, 128), store)  # 64 MiB
    assert small["ok"] and large["ok"]
    extra_volume = large["volume_bytes"] - small["volume_bytes"]
    assert large["growth"] - small["growth"] < extra_volume / 4, (small, large)
    assert large["growth"] < large["volume_bytes"] * 0.75, large


def test_docstring_examples_run():
    import doctest

    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    tests = [t for t in doctest.DocTestFinder().find(cd) if t.examples]
    assert {t.name.split(".")[-1] for t in tests} >= set(cd.__all__)
    for t in tests:
        runner.run(t)
    assert runner.failures == 0
