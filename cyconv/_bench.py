"""Side-by-side benchmark of cyconv against its peers (``python -m cyconv bench``).

Runs the standard workloads W1-W13 (and F1-F5, cyconv.ndimage: see
_bench_ndimage) for cyconv and every peer that is
installed (numpy, scipy.signal direct/fft/oaconvolve, scipy.ndimage, OpenCV,
torch), in this process, on the same random data, at each requested thread
count.  W1-W10 are correlations (``cyconv.correlate``); W11 is
``fftconvolve``, W12 a batch of 1-D convolutions (``convolve`` with
``axes=-1``), W13 ``oaconvolve``.  W3 is also timed with ``out=`` reusing
one output array (the ``out= reuse`` lines).  Every peer's answer is
checked against cyconv's before it is timed.
Then the cyconv.nn layer workloads W9 and N1-N4T (depthwise, narrow, 1x1,
transposed; forward and forward+backward) run against torch.
Reported times are medians of repeats, taken in rounds that time every
candidate once each (fair on a noisy machine); GFLOP = 2 * output elements * kernel
elements / 1e9 (the same nominal count for FFT methods).
"""

import importlib
import json
import statistics
import sys
import time

import numpy as np

import cyconv
from cyconv import _bench_ndimage

# id: (description, ndim, input shape, kernel shape, dtype, mode)
WORKLOADS = {
    "W1": ("1-D f64 n=1e6 k=31", (1_000_000,), (31,), np.float64, "valid"),
    "W1f": ("1-D f64 n=1e6 k=31 full", (1_000_000,), (31,), np.float64, "full"),
    "W2": ("1-D f32 n=1e6 k=1023", (1_000_000,), (1023,), np.float32, "valid"),
    "W3": ("2-D f32 2048^2 3x3", (2048, 2048), (3, 3), np.float32, "valid"),
    "W4": ("2-D f32 2048^2 7x7", (2048, 2048), (7, 7), np.float32, "valid"),
    "W4f": ("2-D f32 2048^2 7x7 full", (2048, 2048), (7, 7), np.float32, "full"),
    "W5": ("2-D f64 1024^2 15x15", (1024, 1024), (15, 15), np.float64, "valid"),
    "W6": ("2-D f32 2048^2 31x31", (2048, 2048), (31, 31), np.float32, "valid"),
    "W7": ("3-D f32 128^3 3^3", (128, 128, 128), (3, 3, 3), np.float32, "valid"),
    "W8": ("3-D f32 128^3 7^3", (128, 128, 128), (7, 7, 7), np.float32, "valid"),
    "W10": ("2-D f64 32^2 3x3 (call overhead)", (32, 32), (3, 3), np.float64, "valid"),
    "W11": ("fftconvolve 2-D f32 2048^2 63x63 same", (2048, 2048), (63, 63), np.float32, "same"),
    "W12": ("batched 1-D f32 (512,8192) k=(1,127) same", (512, 8192), (1, 127), np.float32,
            "same"),
    "W13": ("oaconvolve 1-D f64 n=4e6 k=4095 full", (4_000_000,), (4095,), np.float64, "full"),
}
# The workloads that are not correlate(x, k, mode): cyconv's function for each
# (they are convolutions: the peers get the kernel unflipped).
CALLS = {
    "W11": lambda x, k, mode, n, **kw: cyconv.fftconvolve(x, k, mode, workers=n, **kw),
    "W12": lambda x, k, mode, n, **kw: cyconv.convolve(x, k, mode, axes=-1, workers=n, **kw),
    "W13": lambda x, k, mode, n, **kw: cyconv.oaconvolve(x, k, mode, workers=n, **kw),
}
# Workloads also timed with out= (the same preallocated output every call).
OUT_REUSE = ("W3",)


# cyconv.nn layers against torch (the only peer): id: (description, input shape,
# weight shape, keyword arguments).  "T" in an id: a transposed convolution,
# whose weight is (C_in, C_out / groups, *k).
NN_WORKLOADS = {
    "W9": ("conv2d x (32,16,64,64) w (32,16,3,3)", (32, 16, 64, 64), (32, 16, 3, 3), {}),
    "N1": ("depthwise x (32,64,56,56) w (64,1,3,3) g64 p1", (32, 64, 56, 56), (64, 1, 3, 3),
           dict(groups=64, padding=1)),
    "N2": ("narrow x (64,32,14,14) w (64,32,3,3) p1", (64, 32, 14, 14), (64, 32, 3, 3),
           dict(padding=1)),
    "N3": ("1x1 x (32,64,28,28) w (128,64,1,1)", (32, 64, 28, 28), (128, 64, 1, 1), {}),
    "N4T": ("conv_transpose2d x (16,32,32,32) w (32,16,4,4) s2 p1", (16, 32, 32, 32),
            (32, 16, 4, 4), dict(stride=2, padding=1)),
}
NN_PASSES = ("forward", "forward+backward")


def _nn_gflop(wid, y_shape):
    """Nominal GFLOP of the forward pass: 2 * output elements * taps per output / 1e9."""
    _, xs, ws, kw = NN_WORKLOADS[wid]
    if wid.endswith("T"):   # each input element meets every weight of its group
        return 2 * float(np.prod(xs)) * float(np.prod(ws[1:])) / 1e9
    return 2 * float(np.prod(y_shape)) * float(np.prod(ws[1:])) / 1e9


def _nn_calls(wid, threads, rng):
    """{(pass, library): callable} for one workload, torch's where it is installed."""
    from cyconv import nn

    _, xs, ws, kw = NN_WORKLOADS[wid]
    transposed = wid.endswith("T")
    x = rng.standard_normal(xs, dtype=np.float32)
    w = rng.standard_normal(ws, dtype=np.float32) * np.float32(0.1)
    f = nn.functional.conv_transpose2d if transposed else nn.functional.conv2d
    y = f(x, w, workers=threads, **kw)
    gy = rng.standard_normal(y.shape, dtype=np.float32)
    c_in, c_out = (ws[0], ws[1] * kw.get("groups", 1)) if transposed else (xs[1], ws[0])
    cls = nn.ConvTranspose2d if transposed else nn.Conv2d
    layer = cls(c_in, c_out, ws[2:], bias=False, workers=threads, rng=0, **kw)
    layer.weight = w

    def train():
        layer.zero_grad()
        layer(x)
        layer.backward(gy)

    calls = {("forward", "cyconv"): lambda: f(x, w, workers=threads, **kw),
             ("forward+backward", "cyconv"): train}
    try:
        torch = _optional("torch")
    except ImportError:
        return calls, y
    torch.set_num_threads(threads)
    tf = torch.nn.functional.conv_transpose2d if transposed else torch.nn.functional.conv2d
    xt, wt, gyt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(gy)
    xr, wr = xt.clone().requires_grad_(), wt.clone().requires_grad_()

    def torch_forward():
        with torch.no_grad():
            return tf(xt, wt, **kw)

    def torch_train():
        xr.grad = wr.grad = None
        tf(xr, wr, **kw).backward(gyt)

    ref = torch_forward().numpy()
    if ref.shape != y.shape or np.abs(ref - y).max() > 1e-3 * (1 + np.abs(ref).max()):
        raise AssertionError(f"{wid}: torch's answer differs from cyconv's")
    calls[("forward", "torch")] = torch_forward
    calls[("forward+backward", "torch")] = torch_train
    return calls, y


def run_nn(workloads=None, threads=(1, 2), repeats=5, quick=False, progress=print):
    """Time the cyconv.nn workloads against torch; a list of result dicts (one per pass)."""
    rng = np.random.default_rng(0)
    results = []
    for wid in workloads or list(NN_WORKLOADS):
        desc = NN_WORKLOADS[wid][0]
        for n in threads:
            progress(f"  {wid:4s} {desc:52s} threads={n} ...", end="", flush=True)
            calls, y = _nn_calls(wid, n, rng)
            names = {f"{p} {lib}": fn for (p, lib), fn in calls.items()}
            times = _time_interleaved(names, 1 if quick else repeats,
                                      cheap_repeats=QUICK_CHEAP_REPEATS if quick else 1)
            gflop = _nn_gflop(wid, y.shape)
            for p in NN_PASSES:
                row = {"id": wid, "workload": desc, "threads": n, "pass": p,
                       "gflop": gflop * (1 if p == "forward" else 3),
                       "cyconv_ms": times[f"{p} cyconv"] * 1e3, "peers": {}}
                if f"{p} torch" in times:
                    row["peers"]["torch"] = {"ms": times[f"{p} torch"] * 1e3}
                    row["best_peer"], row["best_peer_ms"] = "torch", times[f"{p} torch"] * 1e3
                    row["ratio"] = row["best_peer_ms"] / row["cyconv_ms"]
                results.append(row)
            progress(f" {times['forward cyconv'] * 1e3:.3f} ms")
    return results


def format_nn_table(results):
    lines = [f"{'id':4s} {'thr':>3s} {'pass':17s} {'cyconv ms':>10s} {'GFLOP/s':>8s} "
             f"{'torch ms':>9s} {'speed-up':>8s}"]
    for r in results:
        gf = r["gflop"] / (r["cyconv_ms"] / 1e3)
        peer = (f"{r['best_peer_ms']:9.3f} {r['ratio']:7.2f}x" if "ratio" in r
                else "(torch not installed)")
        lines.append(f"{r['id']:4s} {r['threads']:3d} {r['pass']:17s} {r['cyconv_ms']:10.3f} "
                     f"{gf:8.1f} {peer}")
    return "\n".join(lines)


def _optional(name):
    """Import an optional peer; dynamic so that type checkers do not chase it."""
    return importlib.import_module(name)


def _out_shape(xs, ks, mode):
    if mode == "valid":
        return tuple(a - b + 1 for a, b in zip(xs, ks))
    if mode == "same":
        return tuple(xs)
    return tuple(a + b - 1 for a, b in zip(xs, ks))


def _interior(a, ks):
    """'valid' part of a same-size ('centred') filter output."""
    return a[tuple(slice((k - 1) // 2, s - (k - 1 - (k - 1) // 2)) for s, k in zip(a.shape, ks))]


# In --quick, a peer whose checked call took longer than this is not timed:
# torch's float64 and 'full' convolutions take 1-8 s a call here (half of the
# --quick run), far slower than the fastest peer of any workload.
QUICK_SLOW_S = 1.0


def _convolution_peers(wid, x, k, mode, threads):
    """Peers of the convolution workloads W11-W13 (see CALLS)."""
    try:
        ss = _optional("scipy.signal")
        sfft = _optional("scipy.fft")
    except ImportError:
        ss = sfft = None
    axes = -1 if wid == "W12" else None
    if ss is not None:
        for name in ("fftconvolve", "oaconvolve"):
            fn = getattr(ss, name)
            yield f"scipy.signal {name}", lambda fn=fn: fn(x, k, mode, axes=axes)
            if threads > 1:
                # scipy's FFTs take threads from scipy.fft's context, not an argument
                def threaded(fn=fn):
                    with sfft.set_workers(threads):
                        return fn(x, k, mode, axes=axes)
                yield f"scipy.signal {name} set_workers", threaded
        if wid == "W12":
            yield "scipy.signal convolve row loop", lambda: np.stack(
                [ss.convolve(row, k[0], mode) for row in x])
    if wid == "W12":
        yield "numpy.convolve row loop", lambda: np.stack([np.convolve(row, k[0], mode)
                                                           for row in x])
        try:
            torch = _optional("torch")
            torch.set_num_threads(threads)
            tx = torch.from_numpy(x)[:, None, :]
            # conv1d correlates: the kernel reversed convolves; 'same' pads (m - 1) // 2
            # on the left, as scipy centres it (m is odd here)
            tk = torch.from_numpy(np.ascontiguousarray(k[0, ::-1]))[None, None]
            pad = (k.shape[1] - 1) // 2 if mode == "same" else (
                0 if mode == "valid" else k.shape[1] - 1)
            yield "torch conv1d", lambda: torch.nn.functional.conv1d(tx, tk, padding=pad)[
                :, 0].numpy()
        except ImportError:
            pass


def _peers(wid, x, k, mode, threads, quick=False):
    """Yield (name, callable) for every installed peer that does this workload."""
    if wid in CALLS:
        yield from _convolution_peers(wid, x, k, mode, threads)
        return
    ndim = x.ndim
    try:
        ss = _optional("scipy.signal")
        nd = _optional("scipy.ndimage")
    except ImportError:
        ss = nd = None
    if ndim == 1:
        yield "numpy.correlate", lambda: np.correlate(x, k, mode)
    if ss is not None:
        # scipy's direct paths take seconds to minutes on the big workloads
        big = x.size * k.size > (2e7 if quick else 5e8)
        if not big or ndim == 1:
            yield "scipy.signal direct", lambda: ss.correlate(x, k, mode, method="direct")
        yield "scipy.signal fft", lambda: ss.correlate(x, k, mode, method="fft")
        if ndim == 1 or k.size > 100:
            flipped = k[(slice(None, None, -1),) * ndim]
            yield "scipy.signal oaconvolve", lambda: ss.oaconvolve(x, flipped, mode)
        if ndim == 2 and not big:
            yield "scipy.signal correlate2d", lambda: ss.correlate2d(x, k, mode)
        if mode == "valid" and not big:
            yield "scipy.ndimage", lambda: _interior(nd.correlate(x, k, mode="constant"), k.shape)
    try:
        cv2 = _optional("cv2")
        cv2.setNumThreads(threads)
        if ndim <= 2 and mode == "valid":
            x2 = x.reshape(1, -1) if ndim == 1 else x
            k2 = k.reshape(1, -1) if ndim == 1 else k
            anchor = (0, 0)

            def run_cv():
                y = cv2.filter2D(x2, -1, k2, anchor=anchor, borderType=cv2.BORDER_CONSTANT)
                return y[: x2.shape[0] - k2.shape[0] + 1, : x2.shape[1] - k2.shape[1] + 1].reshape(
                    _out_shape(x.shape, k.shape, mode))
            yield "OpenCV filter2D", run_cv
    except ImportError:
        pass
    try:
        torch = _optional("torch")
        torch.set_num_threads(threads)
        conv = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d,
                3: torch.nn.functional.conv3d}[ndim]
        tx = torch.from_numpy(x)[None, None]
        tk = torch.from_numpy(np.ascontiguousarray(k))[None, None]
        pad = 0 if mode == "valid" else tuple(s - 1 for s in k.shape)
        yield "torch conv", lambda: conv(tx, tk, padding=pad)[0, 0].numpy()
    except ImportError:
        pass


def _calibrate(fn, min_time=0.02, warm=False):
    """(calls per sample, first sample in s/call): enough calls for ``min_time``.

    ``warm``: ``fn`` has already run once (the peers' answer check), which is
    the warm-up (thread pools, caches, FFT plans); otherwise it runs once
    untimed first.  One untimed call less per peer keeps ``--quick`` under a
    minute with scipy's slow paths among the peers.
    """
    if not warm:
        fn()
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time or number >= 1 << 16:
            return number, dt / number
        number *= 4


def _sample(fn, number, min_time=0.02):
    """Seconds per call over batches of ``number`` calls lasting ``min_time`` in all.

    The calibration's ``number`` is too small when the calibration itself was
    slowed; the time floor keeps every sample long enough to mean something.
    """
    calls, t0 = 0, time.perf_counter()
    while True:
        for _ in range(number):
            fn()
        calls += number
        dt = time.perf_counter() - t0
        if dt >= min_time or calls >= 1 << 16:
            return dt / calls


# In --quick, a function whose sample costs less than this still gets
# QUICK_CHEAP_REPEATS samples.  With 16 threads, another library's thread
# pool can slow the calls that follow its own for a while (OpenCV's first
# 2-D call there left cyconv's next calls at 8-16 ms instead of 0.2 ms for
# ~0.3 s), and a single sample reported that stall as the result (W3 once
# 0.06x, W4 0.17x).  A median of three, taken in rounds, does not.
QUICK_CHEAP_S = 0.1
QUICK_CHEAP_REPEATS = 3


def _time_interleaved(fns, repeats, warm=(), cheap_repeats=1):
    """Median seconds per call of each of ``fns`` (name -> callable).

    The samples are taken in rounds, one of each function per round, so that
    a burst of load on a shared machine falls on all of them alike rather
    than on whichever happened to be running.  ``warm``: names that have
    already run once.  ``cheap_repeats``: at least this many samples for a
    function whose first sample took under QUICK_CHEAP_S.
    """
    numbers, samples, wanted = {}, {}, {}
    for name, fn in fns.items():
        numbers[name], first = _calibrate(fn, warm=name in warm)
        samples[name] = [first]
        cheap = first * numbers[name] < QUICK_CHEAP_S
        wanted[name] = max(repeats, cheap_repeats if cheap else 1)
    for r in range(1, max(wanted.values())):
        for name, fn in fns.items():
            if r < wanted[name]:
                samples[name].append(_sample(fn, numbers[name]))
    return {name: statistics.median(v) for name, v in samples.items()}


def run(workloads=None, threads=(1, 2), repeats=5, quick=False, progress=print):
    """Run the comparison; return a list of result dicts."""
    rng = np.random.default_rng(0)
    results = []
    ids = workloads or list(WORKLOADS) + list(_bench_ndimage.WORKLOADS)
    for wid in ids:
        if wid in _bench_ndimage.WORKLOADS:
            for n in threads:
                results.append(_run_filter(wid, rng, n, repeats, quick, progress))
            continue
        desc, xs, ks, dtype, mode = WORKLOADS[wid]
        x = rng.standard_normal(xs).astype(dtype)
        k = rng.standard_normal(ks).astype(dtype)
        out = _out_shape(xs, ks, mode)
        gflop = 2 * float(np.prod(out)) * float(np.prod(ks)) / 1e9
        for n in threads:
            call = CALLS.get(wid)
            if call is None:
                ref = cyconv.correlate(x, k, mode, method="direct", workers=n)
            else:
                ref = call(x, k, mode, n)
            tol = 1e-3 if dtype == np.float32 else 1e-9
            scale = np.abs(x).max() * np.abs(k).sum()
            row = {"id": wid, "workload": desc, "threads": n, "gflop": gflop, "peers": {}}
            progress(f"  {wid:4s} {desc:34s} threads={n} ...", end="", flush=True)
            if call is None:
                ours = {"cyconv": lambda x=x, k=k, mode=mode, n=n: cyconv.correlate(x, k, mode,
                                                                                     workers=n)}
            else:
                ours = {"cyconv": lambda x=x, k=k, mode=mode, n=n, call=call: call(x, k, mode, n)}
            if wid == "W10":  # the call-overhead workload is correlate2d's, as scipy users call it
                ours["cyconv correlate2d"] = (
                    lambda x=x, k=k, m=mode, n=n: cyconv.correlate2d(x, k, m, workers=n))
            extra = {}
            if wid in OUT_REUSE:
                buf = np.empty(ref.shape, ref.dtype)
                extra["cyconv out="] = (lambda x=x, k=k, mode=mode, n=n, buf=buf:
                                        cyconv.correlate(x, k, mode, workers=n, out=buf))
            peers = {}
            for name, fn in _peers(wid, x, k, mode, n, quick):
                try:
                    t0 = time.perf_counter()
                    got = np.asarray(fn())
                    took = time.perf_counter() - t0
                except Exception as exc:  # a peer that cannot do it is skipped, not fatal
                    row["peers"][name] = {"error": f"{type(exc).__name__}: {exc}"[:80]}
                    continue
                if got.shape != ref.shape or np.abs(got - ref).max() > tol * scale:
                    row["peers"][name] = {"error": "answer differs from cyconv's"}
                    continue
                if quick and took > QUICK_SLOW_S:
                    row["peers"][name] = {"skipped": f"not timed in --quick: a call took "
                                                     f"{took:.1f} s"}
                    continue
                peers[name] = fn
            times = _time_interleaved({**ours, **extra, **peers}, 1 if quick else repeats,
                                      warm=peers,
                                      cheap_repeats=QUICK_CHEAP_REPEATS if quick else 1)
            row["cyconv_ms"] = min(times[name] for name in ours) * 1e3
            if call is None or wid == "W12":
                row["cyconv_method"] = cyconv.choose_conv_method(x, k, mode)
            else:
                row["cyconv_method"] = "fft"
            if extra:
                # the same call writing into one reused output, against a new one each time
                row["cyconv_out_ms"] = times["cyconv out="] * 1e3
                row["out_reuse_speedup"] = times["cyconv"] / times["cyconv out="]
            for name in peers:
                row["peers"][name] = {"ms": times[name] * 1e3}
            timed = {p: v["ms"] for p, v in row["peers"].items() if "ms" in v}
            if timed:
                best = min(timed, key=timed.get)
                row["best_peer"], row["best_peer_ms"] = best, timed[best]
                row["ratio"] = timed[best] / row["cyconv_ms"]
            progress(f" {row['cyconv_ms']:.3f} ms")
            results.append(row)
    return results


def _run_filter(wid, rng, n, repeats, quick, progress):
    """One cyconv.ndimage workload (see :mod:`cyconv._bench_ndimage`) at n threads."""
    desc, shape, _, taps = _bench_ndimage.WORKLOADS[wid]
    ours, peer_fns, x, tol = _bench_ndimage.make(wid, rng, n)
    row = {"id": wid, "workload": desc, "threads": n, "peers": {},
           "gflop": 2 * float(np.prod(shape)) * taps / 1e9, "cyconv_method": "direct"}
    progress(f"  {wid:4s} {desc:34s} threads={n} ...", end="", flush=True)
    ref = np.asarray(ours(), dtype=np.float64)
    peers = {}
    for name, fn in peer_fns.items():
        try:
            got = np.asarray(fn(), dtype=np.float64)
        except Exception as exc:  # a peer that cannot do it is skipped, not fatal
            row["peers"][name] = {"error": f"{type(exc).__name__}: {exc}"[:80]}
            continue
        # integers: scipy's running float64 means may land one below the exact one
        bad = got.shape != ref.shape or (np.abs(got - ref).max() > 1 if tol == 0
                                         else np.abs(got - ref).max() > tol * np.abs(ref).max())
        if bad:
            row["peers"][name] = {"error": "answer differs from cyconv's"}
            continue
        peers[name] = fn
    times = _time_interleaved({"cyconv": ours, **peers}, 1 if quick else repeats,
                              warm={"cyconv", *peers},
                              cheap_repeats=QUICK_CHEAP_REPEATS if quick else 1)
    row["cyconv_ms"] = times["cyconv"] * 1e3
    for name in peers:
        row["peers"][name] = {"ms": times[name] * 1e3}
    if peers:
        best = min(peers, key=lambda p: times[p])
        row["best_peer"], row["best_peer_ms"] = best, times[best] * 1e3
        row["ratio"] = times[best] / times["cyconv"]
        if "scipy.ndimage" in peers:
            row["ratio_scipy"] = times["scipy.ndimage"] / times["cyconv"]
    progress(f" {row['cyconv_ms']:.3f} ms")
    return row


def format_table(results):
    lines = [f"{'id':4s} {'thr':>3s} {'cyconv ms':>10s} {'GFLOP/s':>8s} {'method':>8s}  "
             f"{'best peer':36s} {'peer ms':>9s} {'GFLOP/s':>8s} {'speed-up':>8s}"]
    for r in results:
        gf = r["gflop"] / (r["cyconv_ms"] / 1e3)
        if "best_peer" in r:
            pg = r["gflop"] / (r["best_peer_ms"] / 1e3)
            peer = f"{r['best_peer']:36s} {r['best_peer_ms']:9.3f} {pg:8.1f} {r['ratio']:7.2f}x"
        else:
            peer = "(no peer installed)"
        lines.append(f"{r['id']:4s} {r['threads']:3d} {r['cyconv_ms']:10.3f} {gf:8.1f} "
                     f"{r['cyconv_method']:>8s}  {peer}")
    for r in results:
        if "cyconv_out_ms" in r:
            lines.append(f"{r['id']} thr {r['threads']}: out= reuse {r['cyconv_out_ms']:.3f} ms "
                         f"vs a new output {r['cyconv_ms']:.3f} ms: "
                         f"{r['out_reuse_speedup']:.2f}x")
    return "\n".join(lines)


def main(argv=None):
    import argparse

    if argv and "--dask" in argv:  # cyconv.dask vs dask-image (cyconv/_bench_dask.py)
        from cyconv._bench_dask import main as dask_main
        return dask_main([a for a in argv if a != "--dask"])

    p = argparse.ArgumentParser(prog="python -m cyconv bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workloads", nargs="*",
                   help=f"subset of {', '.join([*WORKLOADS, *_bench_ndimage.WORKLOADS])} and of "
                        f"the layer workloads {', '.join(NN_WORKLOADS)}")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--quick", action="store_true",
                   help="one timed repeat each, three for fast calls (< 1 minute)")
    p.add_argument("--json", help="write the results to this JSON file")
    p.add_argument("--plot", help="write a PNG bar chart (needs matplotlib)")
    args = p.parse_args(argv)
    for w in args.workloads:
        if w not in WORKLOADS and w not in _bench_ndimage.WORKLOADS and w not in NN_WORKLOADS:
            p.error(f"unknown workload {w!r}")
    ids = [w for w in args.workloads if w in WORKLOADS or w in _bench_ndimage.WORKLOADS]
    nn_ids = [w for w in args.workloads if w in NN_WORKLOADS]
    if not args.workloads:
        ids, nn_ids = list(WORKLOADS) + list(_bench_ndimage.WORKLOADS), list(NN_WORKLOADS)
    threads = tuple(int(t) for t in args.threads.split(","))
    repeats = (f"1 (fast calls: {QUICK_CHEAP_REPEATS})" if args.quick else args.repeats)
    print(f"cyconv {cyconv.__version__} bench: threads {threads}, median of {repeats}")
    progress = lambda *a, **kw: print(*a, **kw, file=sys.stderr)  # noqa: E731
    res = run(ids, threads, args.repeats, args.quick, progress=progress) if ids else []
    nn_res = run_nn(nn_ids, threads, args.repeats, args.quick, progress) if nn_ids else []
    if res:
        print(format_table(res))
    if nn_res:
        print("\ncyconv.nn layers (float32) against torch; forward+backward = the layer's "
              "forward, grad_input and grad_weight:")
        print(format_nn_table(nn_res))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res + nn_res, f, indent=1)
    if args.plot:
        try:
            matplotlib = _optional("matplotlib")
            matplotlib.use("Agg")
            plt = _optional("matplotlib.pyplot")
        except ImportError:
            print("matplotlib is not installed: no plot written", file=sys.stderr)
            return 0
        res = res + nn_res
        labels = [f"{r['id']}/{r['threads']}t" + ("" if "pass" not in r else
                                                  " fwd" if r["pass"] == "forward" else " f+b")
                  for r in res]
        fig, ax = plt.subplots(figsize=(max(6, len(res) * 0.6), 4))
        ax.bar(labels, [r.get("ratio", 0) for r in res])
        ax.axhline(1, color="k", lw=0.8)
        ax.set_ylabel("speed-up over the fastest peer")
        ax.tick_params(axis="x", rotation=60)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
    return 0
