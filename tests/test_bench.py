"""``python -m cyconv bench``: peers checked before they are timed, rows complete."""

import importlib.util
import json
import subprocess
import sys
import time

import numpy as np
import pytest

from cyconv import _bench


def test_run_rows_and_peer_answers_checked(monkeypatch):
    def peers(wid, x, k, mode, threads, quick=False):
        from scipy import signal
        yield "right", lambda: signal.correlate(x, k, mode, method="direct")
        yield "wrong", lambda: signal.correlate(x, k, mode, method="direct") + 1.0
        yield "raises", lambda: 1 / 0

    monkeypatch.setattr(_bench, "_peers", peers)
    rows = _bench.run(["W10"], threads=(1, 2), repeats=3, progress=lambda *a, **k: None)
    assert [r["threads"] for r in rows] == [1, 2]
    for row in rows:
        assert row["cyconv_ms"] > 0 and row["cyconv_method"] == "direct"
        assert row["peers"]["right"]["ms"] > 0
        assert row["peers"]["wrong"] == {"error": "answer differs from cyconv's"}
        assert row["peers"]["raises"]["error"].startswith("ZeroDivisionError")
        assert row["best_peer"] == "right"
        assert np.isclose(row["ratio"], row["best_peer_ms"] / row["cyconv_ms"])
    table = _bench.format_table(rows)
    assert "W10" in table and "right" in table


def test_quick_does_not_time_slow_peers(monkeypatch):
    import time

    def peers(wid, x, k, mode, threads, quick=False):
        from scipy import signal
        yield "fast", lambda: signal.correlate(x, k, mode, method="direct")
        yield "slow", lambda: (time.sleep(0.05), signal.correlate(x, k, mode, method="direct"))[1]

    monkeypatch.setattr(_bench, "_peers", peers)
    monkeypatch.setattr(_bench, "QUICK_SLOW_S", 0.02)
    quick = _bench.run(["W10"], threads=(1,), quick=True, progress=lambda *a, **k: None)[0]
    assert quick["peers"]["slow"]["skipped"].startswith("not timed in --quick")
    assert quick["best_peer"] == "fast" and quick["peers"]["fast"]["ms"] > 0
    full = _bench.run(["W10"], threads=(1,), repeats=2, progress=lambda *a, **k: None)[0]
    assert full["peers"]["slow"]["ms"] >= 50


def test_time_interleaved_measures_each_function():
    calls = {"a": 0, "b": 0}

    def a():
        calls["a"] += 1

    def b():
        calls["b"] += 1
        sum(range(2000))

    times = _bench._time_interleaved({"a": a, "b": b}, repeats=4)
    assert set(times) == {"a", "b"} and times["b"] > times["a"] > 0
    assert calls["a"] > 4 and calls["b"] > 4


def test_cli_quick_json(tmp_path):
    out = tmp_path / "r.json"
    run = subprocess.run([sys.executable, "-m", "cyconv", "bench", "--quick", "--threads", "1",
                          "--json", str(out), "W10"], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    rows = json.loads(out.read_text())
    assert rows[0]["id"] == "W10" and rows[0]["cyconv_ms"] > 0
    assert "speed-up" in run.stdout


def test_scaling_script_times_checks_bits_and_reads_the_peak(tmp_path):
    """benchmarks/scaling.py: one row per workload and thread count, speed-ups
    relative to the first count, the bitwise check, and the FMA peak."""
    import pathlib

    script = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "scaling.py"
    out = tmp_path / "scaling.json"
    run = subprocess.run([sys.executable, str(script), "W10", "W7", "--threads", "1,2",
                          "--repeats", "2", "--json", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = json.loads(out.read_text())
    assert [(r["id"], r["threads"]) for r in rows] == [("W10", 1), ("W7", 1), ("W10", 2), ("W7", 2)]
    for r in rows:
        assert r["ms"] > 0 and r["gflops"] > 0 and r["bitwise_same_as_1t"] is True
        assert r["method"] == "direct"
        assert r["peak_gflops"] > 0 and 0 < r["of_peak"]   # threadpoolctl is a test extra
    assert rows[0]["speedup"] == 1.0 and rows[1]["speedup"] == 1.0
    assert "W7" in run.stdout and "bitwise" in run.stdout


def test_quick_takes_a_median_for_fast_calls(monkeypatch):
    """A fast call slowed only at first (another library's thread pool winding
    down) must not be reported at its stalled speed in --quick."""
    def peers(wid, x, k, mode, threads, quick=False):
        from scipy import signal
        calls = [0]

        def stalled_at_first():
            # the answer check and the calibration's 1 + 4 calls are slowed
            calls[0] += 1
            if calls[0] <= 6:
                time.sleep(0.005)
            return signal.correlate(x, k, mode, method="direct")

        yield "stalled", stalled_at_first

    monkeypatch.setattr(_bench, "_peers", peers)
    row = _bench.run(["W10"], threads=(1,), quick=True, progress=lambda *a, **k: None)[0]
    # its first sample is 5 ms a call; later ones are a plain 32x32 correlate
    assert row["peers"]["stalled"]["ms"] < 1.0


def test_time_interleaved_cheap_repeats():
    calls = {"fast": 0, "slow": 0}

    def fast():
        calls["fast"] += 1

    def slow():
        calls["slow"] += 1
        time.sleep(0.12)

    _bench._time_interleaved({"fast": fast, "slow": slow}, repeats=1, cheap_repeats=3)
    # slow: one warm-up call and one sample (over QUICK_CHEAP_S); fast: three samples
    assert calls["slow"] == 2
    assert calls["fast"] > 3


def test_ndimage_workloads_check_and_time_their_peers():
    """N-workloads (cyconv.ndimage): every installed peer's answer is checked
    against cyconv's before it is timed, and a ratio is reported."""
    pytest.importorskip("scipy")
    row = _bench.run(["F5"], threads=(1,), quick=True, progress=lambda *a, **k: None)[0]
    assert row["id"] == "F5" and row["cyconv_ms"] > 0
    assert "ms" in row["peers"]["scipy.ndimage"], row["peers"]
    assert row["ratio_scipy"] > 0 and row["best_peer"] in row["peers"]


def test_convolution_workloads_and_out_reuse(monkeypatch):
    """W11-W13 (shrunk) run cyconv's functions; every installed peer agrees with it
    (the torch conv1d and row-loop peers included); W3 reports the out= reuse."""
    small = {"W11": ((64, 60), (7, 5), np.float32, "same"),
             "W12": ((6, 300), (1, 15), np.float32, "same"),
             "W13": ((5000,), (129,), np.float64, "full"),
             "W3": ((64, 64), (3, 3), np.float32, "valid")}
    for wid, spec in small.items():
        monkeypatch.setitem(_bench.WORKLOADS, wid, (_bench.WORKLOADS[wid][0],) + spec)
    rows = _bench.run(list(small), threads=(1, 2), repeats=1, progress=lambda *a, **k: None)
    assert [(r["id"], r["threads"]) for r in rows] == [(w, n) for w in small for n in (1, 2)]
    for row in rows:
        assert row["cyconv_ms"] > 0
        errors = {p: v for p, v in row["peers"].items() if "error" in v}
        assert not errors, errors
        if row["id"] in ("W11", "W13"):
            assert {"scipy.signal fftconvolve", "scipy.signal oaconvolve"} <= set(row["peers"])
            assert row["cyconv_method"] == "fft"
        if row["id"] == "W12":
            assert "scipy.signal convolve row loop" in row["peers"]
            assert "numpy.convolve row loop" in row["peers"]
            if importlib.util.find_spec("torch") is not None:
                assert "torch conv1d" in row["peers"]
        if row["threads"] == 2 and row["id"] != "W3":
            assert "scipy.signal fftconvolve set_workers" in row["peers"]
    w3 = [r for r in rows if r["id"] == "W3"]
    assert all(r["cyconv_out_ms"] > 0 and r["out_reuse_speedup"] > 0 for r in w3)
    assert "out= reuse" in _bench.format_table(rows)


def test_nn_rows_forward_and_backward_against_torch(monkeypatch):
    """Every layer workload gives a forward and a forward+backward row per thread count
    (small shapes here, the real ones in the bench)."""
    small = {wid: (desc, (2,) + xs[1:2] + (9, 9), ws, kw)
             for wid, (desc, xs, ws, kw) in _bench.NN_WORKLOADS.items()}
    monkeypatch.setattr(_bench, "NN_WORKLOADS", small)
    rows = _bench.run_nn(threads=(1, 2), repeats=2, progress=lambda *a, **k: None)
    assert [(r["id"], r["threads"], r["pass"]) for r in rows] == [
        (wid, n, p) for wid in small for n in (1, 2) for p in _bench.NN_PASSES]
    try:
        import torch  # noqa: F401
        has_torch = True
    except ImportError:
        has_torch = False
    for r in rows:
        assert r["cyconv_ms"] > 0 and r["gflop"] > 0
        assert ("ratio" in r) == has_torch
    assert "N4T" in _bench.format_nn_table(rows)
