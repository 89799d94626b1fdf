"""C-level API benchmark: kernel time vs. Python call overhead.

Builds ``_bench_capi.pyx`` against the installed cyconv (``cimport
cyconv.capi``), then times, for each case, 'valid' 2-D correlation

* C-level: ``correlate_2d_*`` called ``repeat`` times in one nogil loop from
  Cython -- no Python per call, so time/call is the kernel (plus the C
  wrapper's argument checks);
* Python-level: ``cyconv.correlate(x, k, mode="valid", method="direct",
  workers=n)`` called in a Python loop -- the same kernel plus validation,
  dtype handling, the output allocation and the thread-budget bookkeeping.

and prints ns per output element and GFLOP/s (2 flops per multiply-add) for
both, and the difference per call: the Python-level overhead.  Each number is
the best of several rounds (a shared machine adds noise, never speed).

Run:  python benchmarks/bench_capi.py [--threads 1,2] [--dtypes f32,f64] [--quick]
Needs Cython, setuptools and a C compiler (pip install "cyconv[test]").
"""

import argparse
import os
import platform
import sys
import tempfile
import time

import numpy as np

import cyconv
from cyconv import _cbuild, _threads

CASES = [  # (name, image shape, kernel shape)
    ("32x32 * 3x3", (32, 32), (3, 3)),
    ("256x256 * 5x5", (256, 256), (5, 5)),
    ("2048x2048 * 7x7", (2048, 2048), (7, 7)),
]
DTYPES = {"f32": np.float32, "f64": np.float64}


def best_time(fn, min_total=0.3, rounds=7):
    """Best seconds per call of fn(repeat) -> None, with repeat sized to ~min_total/rounds."""
    t0 = time.perf_counter()
    fn(1)
    once = max(time.perf_counter() - t0, 1e-7)
    repeat = max(1, int(min_total / rounds / once))
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn(repeat)
        best = min(best, (time.perf_counter() - t0) / repeat)
    return best


def run(harness, threads, dtypes, cases):
    rows = []
    for name, xs, ks in cases:
        for dname in dtypes:
            dt = DTYPES[dname]
            rng = np.random.default_rng(0)
            x = rng.standard_normal(xs).astype(dt)
            k = rng.standard_normal(ks).astype(dt)
            oshape = (xs[0] - ks[0] + 1, xs[1] - ks[1] + 1)
            n_out = oshape[0] * oshape[1]
            flops = 2.0 * ks[0] * ks[1] * n_out
            for n in threads:
                out = np.empty(oshape, dt)

                def c_level(repeat, out=out, x=x, k=k, n=n):
                    if harness.loop2d(x, k, out, 0, 0, n, repeat) != 0:
                        raise RuntimeError("C-level call failed")

                def py_level(repeat, x=x, k=k, n=n):
                    for _ in range(repeat):
                        cyconv.correlate(x, k, mode="valid", method="direct", workers=n)

                t_c = best_time(c_level)
                t_py = best_time(py_level)
                ref = cyconv.correlate(x, k, mode="valid", method="direct", workers=n)
                np.testing.assert_allclose(out, ref, rtol=1e-4 if dt == np.float32 else 1e-12,
                                           atol=1e-4)
                rows.append({
                    "case": name, "dtype": dname, "threads": n,
                    "c_us": t_c * 1e6, "py_us": t_py * 1e6,
                    "c_ns_el": t_c * 1e9 / n_out, "py_ns_el": t_py * 1e9 / n_out,
                    "c_gflops": flops / t_c / 1e9, "py_gflops": flops / t_py / 1e9,
                    "overhead_us": (t_py - t_c) * 1e6,
                })
    return rows


def table(rows):
    head = ("| case | dtype | threads | C-level µs/call | C ns/out | C GFLOP/s "
            "| Python µs/call | Py ns/out | Py GFLOP/s | Python overhead µs/call |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['dtype']} | {r['threads']} | {r['c_us']:.2f} | {r['c_ns_el']:.3f} "
            f"| {r['c_gflops']:.2f} | {r['py_us']:.2f} | {r['py_ns_el']:.3f} | {r['py_gflops']:.2f} "
            f"| {r['overhead_us']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", default=f"1,{_threads.cpu_count()}",
                   help="comma-separated thread counts (default: 1 and all CPUs)")
    p.add_argument("--dtypes", default="f32,f64", help="comma-separated: f32, f64")
    p.add_argument("--quick", action="store_true", help="skip the 2048x2048 case")
    args = p.parse_args(argv)
    threads = sorted({int(t) for t in args.threads.split(",")})
    dtypes = [d.strip() for d in args.dtypes.split(",")]
    cases = CASES[:-1] if args.quick else CASES

    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory(prefix="cyconv-bench-") as work:
        ok, why = _cbuild.have_c_compiler(work)
        if not ok:
            sys.exit(f"bench_capi needs a C compiler:\n{why}")
        harness = _cbuild.build(os.path.join(here, "_bench_capi.pyx"), work)
        print(f"cyconv {cyconv.__version__}, Python {platform.python_version()}, "
              f"numpy {np.__version__}, {platform.machine()}, cpu_count={_threads.cpu_count()}, "
              f"OpenMP={_threads.openmp_enabled()}\n")
        print(table(run(harness, threads, dtypes, cases)))


if __name__ == "__main__":
    main()
