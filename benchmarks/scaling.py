"""Thread scaling of cyconv against the machine's FMA peak, at each thread count.

For each thread count it measures the float32 and float64 FMA peak through a
large matrix product (numpy's BLAS, limited with threadpoolctl), then times
cyconv on the chosen standard workloads (median of repeats) and checks that
the direct (or Winograd) result is bitwise the same as at the first
thread count.

    python benchmarks/scaling.py --threads 1,2,4,8,16 W4 W8 --json scaling.json

Columns: ms, GFLOP/s, speed-up over one thread, parallel efficiency
(speed-up / threads), and the share of the same-dtype FMA peak at that
thread count.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

import cyconv
from cyconv._bench import WORKLOADS, _calibrate, _out_shape


def median_seconds(fn, repeats, min_time=0.05):
    """Median seconds per call over ``repeats`` samples of at least ``min_time``."""
    number, first = _calibrate(fn, min_time)
    samples = [first]
    for _ in range(repeats - 1):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)


def fma_peak(dtype, threads, repeats=5):
    """GFLOP/s of a large square matrix product in numpy's BLAS at ``threads`` threads."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return float("nan")
    n = 2048 if threads <= 2 else 4096  # big enough to run at the peak, short at 1 thread
    a = np.random.default_rng(1).standard_normal((n, n)).astype(dtype)
    with threadpool_limits(limits=threads, user_api="blas"):
        s = median_seconds(lambda: a @ a, repeats)
    return 2 * n**3 / s / 1e9


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workloads", nargs="*", default=["W4", "W8"])
    p.add_argument("--threads", default=f"1,2,{os.cpu_count()}")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--no-peak", action="store_true", help="skip the matrix-product peak")
    p.add_argument("--json")
    args = p.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]
    rng = np.random.default_rng(0)
    data = {}
    for wid in args.workloads:
        desc, xs, ks, dtype, mode = WORKLOADS[wid]
        x = rng.standard_normal(xs).astype(dtype)
        k = rng.standard_normal(ks).astype(dtype)
        gflop = 2 * float(np.prod(_out_shape(xs, ks, mode))) * float(np.prod(ks)) / 1e9
        data[wid] = (x, k, mode, gflop)
    rows, base, ref = [], {}, {}
    print(f"cyconv {cyconv.__version__}, {os.cpu_count()} CPUs, median of {args.repeats}")
    print(f"{'id':4s} {'thr':>3s} {'method':>8s} {'ms':>9s} {'GFLOP/s':>8s} {'speed-up':>8s} "
          f"{'eff.':>5s} {'peak':>7s} {'of peak':>7s} bitwise")
    for n in threads:
        peak = {} if args.no_peak else {np.float32: fma_peak(np.float32, n),
                                        np.float64: fma_peak(np.float64, n)}
        for wid, (x, k, mode, gflop) in data.items():
            method = cyconv.choose_conv_method(x, k, mode)
            s = median_seconds(lambda: cyconv.correlate(x, k, mode, workers=n), args.repeats)
            # direct and winograd promise the same bits at any thread count; the FFT does not
            exact = method if method in ("direct", "winograd") else "direct"
            got = cyconv.correlate(x, k, mode, method=exact, workers=n)
            same = True
            if wid in ref:
                same = bool(np.array_equal(got.view(np.uint8), ref[wid].view(np.uint8)))
            else:
                ref[wid] = got
            base.setdefault(wid, s)
            gf = gflop / s
            pk = peak.get(x.dtype.type, float("nan"))
            row = {"id": wid, "threads": n, "method": method, "ms": s * 1e3, "gflops": gf,
                   "speedup": base[wid] / s, "efficiency": base[wid] / s / n,
                   "peak_gflops": pk, "of_peak": gf / pk, "bitwise_same_as_1t": same}
            rows.append(row)
            print(f"{wid:4s} {n:3d} {method:>8s} {s * 1e3:9.3f} {gf:8.1f} {row['speedup']:7.2f}x "
                  f"{row['efficiency']:5.2f} {pk:7.1f} {row['of_peak']:7.0%} "
                  f"{'yes' if same else 'NO'}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0 if all(r["bitwise_same_as_1t"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
