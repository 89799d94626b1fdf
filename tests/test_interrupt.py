"""Ctrl-C stops a long direct (or Winograd) correlation within about a second.

The kernel runs without the GIL; between batches of tiles (~10-50 ms of
work) it takes the GIL and calls PyErr_CheckSignals (see _correlate.pxi).
A subprocess starts a call that would run for many seconds (a minute on a
slow machine), the test sends it SIGINT and checks that KeyboardInterrupt
arrived promptly, that the thread budget was handed back, and that the
process is still usable afterwards.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="sends SIGINT with os.kill")

CHILD = textwrap.dedent(
    """
    import signal, sys, time
    import numpy as np
    import cyconv
    from cyconv import _threads

    # Python keeps SIGINT ignored if it started ignored (as in a job run in
    # the background by a non-interactive shell): install its handler
    signal.signal(signal.SIGINT, signal.default_int_handler)

    dtype, workers, method = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    x = np.ones((4096, 4096), dtype)
    k = np.ones((255, 255), dtype)   # ~1e12 multiply-adds: far more than the test waits
    print("start", time.time(), flush=True)
    try:
        cyconv.correlate(x, k, mode="valid", method=method, workers=workers)
        print("finished", time.time(), flush=True)
    except KeyboardInterrupt:
        caught = time.time()
        # still usable, and the thread budget was handed back
        ok = cyconv.correlate([1, 2, 3], [1, 1], method="direct").tolist() == [1, 3, 5, 3]
        print("caught", caught, _threads.in_use(), ok, flush=True)
    """
)


def _interrupt(dtype, workers, cwd, delay=1.5, method="direct"):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, dtype, str(workers), method],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=cwd, env=env)
    try:
        line = proc.stdout.readline().split()
        assert line and line[0] == "start", proc.stderr.read()
        time.sleep(delay)
        sent = time.time()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    words = out.split()
    assert words and words[0] == "caught", f"no KeyboardInterrupt: {out!r} {err!r}"
    latency = float(words[1]) - sent
    assert words[2] == "0", "thread budget not handed back after KeyboardInterrupt"
    assert words[3] == "True"
    return latency


@pytest.mark.parametrize("dtype, workers", [("float32", 2), ("complex128", 1), ("int64", 2)])
def test_ctrl_c_stops_long_direct_call(dtype, workers, tmp_path):
    latency = _interrupt(dtype, workers, tmp_path)
    print(f"{dtype} workers={workers}: KeyboardInterrupt {latency * 1e3:.0f} ms after SIGINT")
    assert latency < 1.5, f"KeyboardInterrupt took {latency:.2f} s after SIGINT"


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_long_winograd_call(workers, tmp_path):
    # 4096^2 by 255^2 float64: ~3e11 multiply-adds of its component correlations
    latency = _interrupt("float64", workers, tmp_path, method="winograd")
    print(f"winograd workers={workers}: KeyboardInterrupt {latency * 1e3:.0f} ms after SIGINT")
    assert latency < 1.5, f"KeyboardInterrupt took {latency:.2f} s after SIGINT"
