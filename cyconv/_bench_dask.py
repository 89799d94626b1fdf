"""``python -m cyconv bench --dask``: cyconv.dask against dask_image.ndfilters.

gaussian_filter (sigma 2) and correlate with a 7x7x7 kernel on a float32
dask array (default 512x512x256 in 128^3 chunks), both libraries on dask's
threaded scheduler with the same number of dask workers.  The input is
persisted in memory first, so only the filtering is timed; rounds alternate
the two libraries and medians are reported.  Results are checked equal
(to float32 rounding) before timing.
"""

import argparse
import importlib
import statistics
import time

import numpy as np


def run(shape=(512, 512, 256), chunk=128, workers=(1, 2), rounds=3, out=print):
    """Time both libraries; returns a list of result dicts."""
    import dask
    import dask.array as da
    dif = importlib.import_module("dask_image.ndfilters")  # untyped: keep mypy out of it

    from cyconv import dask as cd

    x = da.random.default_rng(0).standard_normal(shape, chunks=chunk, dtype=np.float32).persist()
    k = np.random.default_rng(1).standard_normal((7, 7, 7)).astype(np.float32)
    cases = {"gaussian_filter sigma 2": (lambda m: m.gaussian_filter(x, 2.0)),
             "correlate 7^3": (lambda m: m.correlate(x, k))}
    results = []
    for n in workers:
        with dask.config.set(scheduler="threads", num_workers=n):
            for name, make in cases.items():
                times = {"cyconv.dask": [], "dask-image": []}
                a, b = make(cd).compute(), make(dif).compute()
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * float(np.abs(b).max()))
                del a, b
                for _ in range(rounds):
                    for lib, mod in (("cyconv.dask", cd), ("dask-image", dif)):
                        t = time.perf_counter()
                        make(mod).compute()
                        times[lib].append(time.perf_counter() - t)
                med = {lib: statistics.median(v) for lib, v in times.items()}
                r = {"case": name, "workers": n, "cyconv_s": med["cyconv.dask"],
                     "dask_image_s": med["dask-image"], "ratio": med["dask-image"] / med["cyconv.dask"]}
                results.append(r)
                out(f"{name:26s} {n} workers: cyconv.dask {r['cyconv_s']:7.2f} s  dask-image "
                    f"{r['dask_image_s']:7.2f} s  -> {r['ratio']:5.1f}x")
    return results


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m cyconv bench --dask", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", default="512,512,256")
    p.add_argument("--chunk", type=int, default=128)
    p.add_argument("--workers", default="1,2", help="dask worker threads (default 1,2)")
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args(argv)
    run(tuple(int(s) for s in a.shape.split(",")), a.chunk,
        tuple(int(w) for w in a.workers.split(",")), a.rounds)
    return 0
