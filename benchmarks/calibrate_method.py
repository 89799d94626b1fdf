"""Calibrate the constants of cyconv's method chooser (cyconv/_fft.py).

Times cyconv's direct kernel (one thread) and its FFT path over 1-D, 2-D and
3-D problems and prints the median ns per multiply-add (direct) and per
model unit of ``cyconv._fft.fft_plan`` (fft), by dtype.  Paste the medians into
DIRECT_NS / FFT_NS in cyconv/_fft.py.  Then fits the Winograd method's two
constants (ns per multiply-add of its component correlations, ns per output
for its transforms) by least squares over 2-D float64 problems: paste them
into WINOGRAD_NS_MAC / WINOGRAD_NS_OUT.

Run:  python benchmarks/calibrate_method.py
"""
import statistics
import time

import numpy as np

import cyconv
from cyconv import _fft

CASES = [((1_000_000,), (31,)), ((200_000,), (255,)), ((1024, 1024), (7, 7)),
         ((512, 512), (15, 15)), ((96, 96, 96), (5, 5, 5)), ((256, 256), (31, 31))]


def best(fn, n=3):
    fn()
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts)


def main():
    rng = np.random.default_rng(0)
    for dt in (np.float32, np.float64, np.complex128, np.int64):
        d_ns, f_ns = [], []
        for xs, ks in CASES:
            x = rng.standard_normal(xs).astype(dt)
            k = rng.standard_normal(ks).astype(dt)
            macs = _fft.direct_macs(xs, ks, "valid")
            td = best(lambda x=x, k=k: cyconv.correlate(x, k, "valid", method="direct", workers=1))
            d_ns.append(td / macs * 1e9)
            if dt != np.int64:
                plan = _fft.fft_plan(xs, ks, "valid", np.dtype(dt).char)
                tf = best(lambda x=x, k=k: cyconv.correlate(x, k, "valid", method="fft",
                                                            workers=1))
                f_ns.append(tf / plan.cost * 1e9)
        print(f"{np.dtype(dt).name:10s} direct ns/MAC median {statistics.median(d_ns):.4f} "
              f"({', '.join(f'{v:.3f}' for v in d_ns)})")
        if f_ns:
            print(f"{'':10s} fft ns/unit  median {statistics.median(f_ns):.3f} "
                  f"({', '.join(f'{v:.3f}' for v in f_ns)})")


WINOGRAD_CASES = [((1024, 1024), (9, 9)), ((1024, 1024), (15, 15)), ((1024, 1024), (21, 21)),
                  ((2048, 1024), (31, 31)), ((600, 600), (45, 45)), ((400, 1500), (12, 12))]


def winograd():
    rng = np.random.default_rng(1)
    rows, times = [], []
    for xs, ks in WINOGRAD_CASES:
        x, k = rng.standard_normal(xs), rng.standard_normal(ks)
        out = tuple(a - b + 1 for a, b in zip(xs, ks))
        kp, kq = -(-ks[0] // 3), -(-ks[1] // 3)
        macs = 25 * kp * kq * -(-out[0] // 3) * -(-out[1] // 3)
        t = best(lambda x=x, k=k: cyconv.correlate(x, k, "valid", method="winograd", workers=1))
        rows.append([macs, out[0] * out[1]])
        times.append(t * 1e9 - _fft.WINOGRAD_NS_CALL)
    (ns_mac, ns_out), *_ = np.linalg.lstsq(np.array(rows, float), np.array(times), rcond=None)
    print(f"winograd   ns/MAC {ns_mac:.4f}  ns/output {ns_out:.2f}")


if __name__ == "__main__":
    main()
    winograd()
