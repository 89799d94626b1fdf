"""How far a pure-Python thread gets while a call runs (shared by the GIL tests).

With the GIL held for the whole call, a counting thread could only move in the
few milliseconds of Python around it; released, it runs at its free speed.
"""
import threading
import time


def python_progress_during(call):
    """(counts during ``call``, free-running counts per second, seconds, result)."""
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1

    thread = threading.Thread(target=count, daemon=True)
    thread.start()
    try:
        c0 = counter[0]
        time.sleep(0.3)  # the counter's free-running speed while this thread sleeps
        rate = (counter[0] - c0) / 0.3
        c0, t0 = counter[0], time.perf_counter()
        result = call()
        elapsed, during = time.perf_counter() - t0, counter[0] - c0
    finally:
        stop.set()
        thread.join()
    return during, rate, elapsed, result
