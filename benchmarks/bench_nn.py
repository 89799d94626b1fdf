"""W9: a convolution layer, cyconv.nn against torch, in one process on the same data.

    python benchmarks/bench_nn.py [--threads 1 2] [--repeat 21] [--json FILE]

Workload (issue 3, W9; issue 4): x (32, 16, 64, 64), w (32, 16, 3, 3), float32,
stride 1, no padding, no bias.

* forward:           ``cyconv.nn.functional.conv2d`` vs ``torch.nn.functional.conv2d``
* forward+backward:  cyconv ``y = layer(x); layer.backward(gy)`` (grad_input and
  grad_weight) vs torch ``conv2d(x, w)`` + ``y.backward(gy)`` with x and w
  requiring gradients.

GFLOP = 2 * output elements * C_in / groups * kernel elements / 1e9 for the
forward pass, 3x that for forward+backward (grad_input and grad_weight each
cost one forward).  Runs of the two libraries alternate so that load from
other processes hits both alike; the median of ``--repeat`` runs is reported
(the minimum too, as the least disturbed run).  ``torch.set_num_threads`` is
set to the same count as cyconv's ``workers``.
"""

import argparse
import json
import platform
import statistics
import sys
import time

import numpy as np

import cyconv
from cyconv import _conv_layer, nn

SHAPE_X = (32, 16, 64, 64)
SHAPE_W = (32, 16, 3, 3)


def gflop(x_shape, w_shape):
    n, c_in, h, w = x_shape
    c_out, c_in_g, kh, kw = w_shape
    out = n * c_out * (h - kh + 1) * (w - kw + 1)
    return 2 * out * c_in_g * kh * kw / 1e9


def alternate(fns, repeat):
    """Run each function once, then ``repeat`` rounds of all in turn; seconds per run."""
    times = {name: [] for name in fns}
    for f in fns.values():
        f()
    for _ in range(repeat):
        for name, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed: cyconv only", file=sys.stderr)

    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE_X, dtype=np.float32)
    w = rng.standard_normal(SHAPE_W, dtype=np.float32)
    y_shape = (SHAPE_X[0], SHAPE_W[0], SHAPE_X[2] - 2, SHAPE_X[3] - 2)
    gy = rng.standard_normal(y_shape, dtype=np.float32)
    flop = gflop(SHAPE_X, SHAPE_W)

    print(f"cyconv {cyconv.__version__}, micro-kernels: {_conv_layer.isa()}, "
          f"OpenMP: {_conv_layer.openmp_enabled()}")
    if torch is not None:
        print(f"torch {torch.__version__} (mkldnn: {torch.backends.mkldnn.is_available()})")
    print(f"{platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"W9: x {SHAPE_X}, w {SHAPE_W} float32; {flop:.3f} GFLOP forward, "
          f"{3 * flop:.3f} forward+backward; median of {args.repeat} (min in brackets)\n")

    results = []
    header = f"{'threads':>7}  {'pass':<17}{'library':<8}{'median ms':>10}{'GFLOP/s':>9}" \
             f"{'(min ms)':>10}{'speed-up':>10}"
    print(header)
    print("-" * len(header))
    for n in args.threads:
        layer = nn.Conv2d(16, 32, 3, bias=False, workers=n, rng=0)
        layer.weight = w
        fns = {
            ("forward", "cyconv"): lambda: nn.functional.conv2d(x, w, workers=n),
            ("forward+backward", "cyconv"): lambda: (layer(x), layer.backward(gy)),
        }
        if torch is not None:
            torch.set_num_threads(n)
            xt, wt, gyt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(gy)
            xr, wr = xt.clone().requires_grad_(), wt.clone().requires_grad_()

            def torch_fb():
                xr.grad = wr.grad = None
                torch.nn.functional.conv2d(xr, wr).backward(gyt)

            fns[("forward", "torch")] = lambda: torch.nn.functional.conv2d(xt, wt)
            fns[("forward+backward", "torch")] = torch_fb
            # the same answer (float32 rounding apart)
            ours, ref = nn.functional.conv2d(x, w), torch.nn.functional.conv2d(xt, wt).numpy()
            np.testing.assert_allclose(ours, ref, rtol=1e-3, atol=1e-3)
        times = alternate(fns, args.repeat)
        for pas in ("forward", "forward+backward"):
            work = flop if pas == "forward" else 3 * flop
            med = {lib: statistics.median(times[(pas, lib)]) for lib in ("cyconv", "torch")
                   if (pas, lib) in times}
            for lib, t in med.items():
                ratio = med["torch"] / t if "torch" in med and lib == "cyconv" else None
                row = dict(threads=n, passes=pas, library=lib, median_ms=1e3 * t,
                           min_ms=1e3 * min(times[(pas, lib)]), gflops=work / t,
                           speedup_vs_torch=ratio)
                results.append(row)
                print(f"{n:>7}  {pas:<17}{lib:<8}{row['median_ms']:>10.2f}{row['gflops']:>9.1f}"
                      f"{'(' + format(row['min_ms'], '.2f') + ')':>10}"
                      f"{(format(ratio, '.2f') + 'x') if ratio else '':>10}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(workload="W9", isa=_conv_layer.isa(), results=results), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
