"""Cost of the Ctrl-C check (GIL round trip + PyErr_CheckSignals between tile batches).

The kernel checks for signals only on the main thread (Python runs signal
handlers nowhere else), so the same call made from a helper thread runs the
exact unchecked code path: timing both in one process, interleaved, measures
the check's cost with no build-to-build noise.

    python tools/bench_signal_check.py [repeats]
"""
import functools
import sys
import threading
import time

import numpy as np

import cyconv


def timed(fn, repeats):
    best = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best.append(time.perf_counter() - t)
    return min(best)


def in_thread(fn):
    box = []
    th = threading.Thread(target=lambda: box.append(fn()))
    th.start()
    th.join()
    return box[0]


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    rng = np.random.default_rng(0)
    cases = {
        "W4 2048^2 f32 7x7 valid": (rng.random((2048, 2048), np.float32),
                                    rng.random((7, 7), np.float32)),
        "1024^2 f64 31x31 valid": (rng.random((1024, 1024)), rng.random((31, 31))),
    }
    for name, (x, k) in cases.items():
        for workers in (1, 2):
            call = functools.partial(cyconv.correlate, x, k, mode="valid", method="direct",
                                     workers=workers)
            call()
            main_ms, off_ms = [], []
            for _ in range(5):  # interleave to cancel drift
                main_ms.append(timed(call, repeats) * 1e3)
                off_ms.append(in_thread(functools.partial(timed, call, repeats)) * 1e3)
            m, o = min(main_ms), min(off_ms)
            print(f"{name:26s} workers={workers}: checked (main thread) {m:8.3f} ms   "
                  f"unchecked (helper thread) {o:8.3f} ms   cost {100 * (m - o) / o:+.2f}%")


if __name__ == "__main__":
    main()
