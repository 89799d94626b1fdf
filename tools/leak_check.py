"""Resident memory stays flat over many mixed cyconv calls (leak check).

Cycles through a fixed list of ~250 mixed calls: every public function,
sizes from 1 element to a few thousand, every supported dtype, all modes,
methods direct/fft/auto, the 2-D boundaries, ``workers`` 1/2/None, strided
and byte-swapped inputs, and calls that raise (bad mode, bad dtype, bad
workers, empty inputs, too many axes).  After a warm-up it samples the
resident set size (``/proc/self/statm``) and reports the growth.

    python tools/leak_check.py                 # 100,000 calls (about 1-2 min)
    python tools/leak_check.py --calls 8000    # what tests/test_leaks.py runs

Prints one line ``calls=N warmup_rss_kib=A final_rss_kib=B growth_kib=C
max_step_kib=D`` and exits 1 if the growth exceeds ``--limit-kib``.
"""

import argparse
import os
import sys

import numpy as np

import cyconv


def rss_kib():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:  # not Linux: peak RSS is the best cheap proxy
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak


def cases():
    rng = np.random.default_rng(1234)
    out = []
    dtypes = [np.float32, np.float64, np.complex64, np.complex128, np.int8, np.int32,
              np.int64, np.uint16, np.bool_, np.float16]
    nd_funcs = [cyconv.correlate, cyconv.convolve]
    two_d = [cyconv.correlate2d, cyconv.convolve2d]

    def arr(shape, dt):
        a = rng.standard_normal(shape) * 4
        if np.dtype(dt).kind == "c":
            a = a + 1j * rng.standard_normal(shape)
        return a.astype(dt)

    for i, dt in enumerate(dtypes):
        for shape1, shape2 in [((1,), (1,)), ((37,), (5,)), ((3000,), (17,)), ((9, 11), (3, 2)),
                               ((64, 48), (5, 5)), ((6, 7, 8), (2, 3, 2))]:
            a, b = arr(shape1, dt), arr(shape2, dt)
            for mode in ("full", "valid", "same"):
                method = ("direct", "fft", "auto")[(i + len(shape1)) % 3]
                func = nd_funcs[(i + len(out)) % 2]
                workers = (1, 2, None)[len(out) % 3]
                out.append((func, (a, b), dict(mode=mode, method=method, workers=workers)))
        a, b = arr((40, 33), dt), arr((4, 3), dt)
        for boundary in ("fill", "wrap", "symm"):
            for mode in ("full", "valid", "same"):
                out.append((two_d[i % 2], (a, b), dict(mode=mode, boundary=boundary,
                                                        fillvalue=1.5 if dt != np.bool_ else 1)))
    # strided, negative-stride, byte-swapped, broadcast inputs
    base = rng.standard_normal((80, 90))
    out.append((cyconv.correlate, (base[::3, ::-2], base[:4, :5].T), dict(method="direct")))
    out.append((cyconv.convolve, (base.astype(">f8"), base[:3, :3].astype(">f4")), {}))
    out.append((cyconv.correlate, (np.broadcast_to(base[0], (30, 90)), base[:2, :2]), {}))
    out.append((cyconv.choose_conv_method, (base, base[:9, :9]), {}))
    out.append((cyconv.choose_conv_method, (base.astype(np.int32), base[:9, :9].astype(np.int32)),
                dict(mode="valid")))
    # fftconvolve / oaconvolve, axes= (one kernel call, a loop, batched FFT), out=
    sig = rng.standard_normal((6, 700))
    for func in (cyconv.fftconvolve, cyconv.oaconvolve):
        out.append((func, (base, base[:7, :5]), dict(mode="same")))
        out.append((func, (sig, sig[:1, :31]), dict(axes=-1, workers=2)))
        out.append((func, (sig.astype(np.float32), sig[:, :9]), dict(mode="valid", axes=1)))
    for method in ("direct", "fft", "auto"):
        out.append((cyconv.convolve, (sig, sig[:1, :15]), dict(mode="same", axes=1,
                                                              method=method)))
        out.append((cyconv.correlate, (sig, sig[:, :15]), dict(axes=-1, method=method,
                                                              workers=2)))
    res = np.empty((80, 90))
    out.append((cyconv.correlate, (base, base[:3, :3]), dict(mode="same", out=res)))
    scratch = base.copy()  # out= one of the inputs (a box filter keeps it bounded)
    out.append((cyconv.convolve2d, (scratch, np.full((3, 3), 1 / 9)), dict(mode="same",
                                                                            out=scratch)))
    out.append((cyconv.fftconvolve, (base, base[:3, :3]), dict(mode="same", out=res)))
    out.append((cyconv.correlation_lags, (1000, 77), dict(mode="same")))
    # calls that raise
    bad = [
        (cyconv.correlate, (base, base[:2, :2]), dict(mode="bogus")),
        (cyconv.convolve, (base, base[:2, :2]), dict(method=3)),
        (cyconv.correlate, (base, base[:2, :2]), dict(workers=0)),
        (cyconv.correlate, (base, base[0]), {}),
        (cyconv.correlate, (np.array(["a", "b"]), np.array(["c"])), {}),
        (cyconv.correlate, (np.array([1, 2], object), np.array([1], object)), {}),
        (cyconv.correlate, (np.zeros((0, 3)), np.ones((2, 2))), dict(mode="full")),
        (cyconv.correlate2d, (base, base[:2, :2]), dict(boundary="bogus")),
        (cyconv.fftconvolve, (base, base[:2, :2]), dict(axes=[0, 0])),
        (cyconv.convolve, (sig, sig[:2, :5]), dict(axes=1)),
        (cyconv.correlate, (base, base[:2, :2]), dict(out=np.empty((3, 3)))),
        (cyconv.oaconvolve, (base, base[:2, :2]), dict(out=np.empty((81, 91), np.float32))),
        (cyconv.correlate2d, (base, base[:2, :2]), dict(fillvalue="x")),
        (cyconv.convolve2d, (base[0], base[0]), {}),
        (cyconv.correlate, (np.ones((1,) * 40), np.ones((1,) * 40)), dict(method="direct")),
        (cyconv.correlate, (np.broadcast_to(np.ones(1), (2**59,)), np.ones(4)), {}),
        (cyconv.correlate, (np.broadcast_to(np.ones(1), (2**29, 2**29)), np.ones((2, 2))),
         dict(method="direct")),
    ]
    out.extend(bad)
    return out


def run(calls, warmup_frac=0.2, samples=20):
    todo = cases()
    warm = max(len(todo) * 2, int(calls * warmup_frac))
    done = 0
    errors = 0

    def step():
        nonlocal done, errors
        func, args, kw = todo[done % len(todo)]
        try:
            func(*args, **kw)
        except (ValueError, TypeError, MemoryError):
            errors += 1
        done += 1

    while done < warm:
        step()
    start = rss_kib()
    trace = [start]
    per = max(1, (calls - warm) // samples)
    while done < calls:
        for _ in range(min(per, calls - done)):
            step()
        trace.append(rss_kib())
    steps = [b - a for a, b in zip(trace, trace[1:])] or [0]
    return dict(calls=done, distinct=len(todo), raised=errors, warmup_rss_kib=start,
                final_rss_kib=trace[-1], growth_kib=trace[-1] - start, max_step_kib=max(steps))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=100_000)
    p.add_argument("--limit-kib", type=int, default=2048,
                   help="largest allowed RSS growth after warm-up (default 2048 KiB)")
    args = p.parse_args(argv)
    import warnings
    warnings.simplefilter("ignore")
    res = run(args.calls)
    print(" ".join(f"{k}={v}" for k, v in res.items()), flush=True)
    return 0 if res["growth_kib"] <= args.limit_kib else 1


if __name__ == "__main__":
    sys.exit(main())
