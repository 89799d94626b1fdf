"""cyconv.nn layers against torch, in one process on the same data (W9 and N1-N4T).

    python benchmarks/bench_nn.py [--threads 1 2] [--repeat 21] [--json FILE] [ID ...]

Workloads (float32, no bias; ``cyconv._bench.NN_WORKLOADS``):

* W9:  conv2d, x (32, 16, 64, 64), w (32, 16, 3, 3), stride 1, no padding
* N1:  depthwise conv2d, x (32, 64, 56, 56), w (64, 1, 3, 3), groups 64, padding 1
* N2:  narrow output rows, x (64, 32, 14, 14), w (64, 32, 3, 3), padding 1
* N3:  1x1 conv2d, x (32, 64, 28, 28), w (128, 64, 1, 1)
* N4T: conv_transpose2d, x (16, 32, 32, 32), w (32, 16, 4, 4), stride 2, padding 1

Two passes each:

* forward:           ``cyconv.nn.functional.conv2d`` (``conv_transpose2d``) vs
  torch's under ``torch.no_grad()``
* forward+backward:  cyconv ``layer.zero_grad(); y = layer(x); layer.backward(gy)``
  (grad_input and grad_weight) vs torch ``conv2d(x, w).backward(gy)`` with x
  and w requiring gradients.

GFLOP = 2 * output elements * C_in / groups * kernel elements / 1e9 for the
forward pass, 3x that for forward+backward.  The calls of both libraries
alternate in rounds so that load from other processes hits both alike; the
median of ``--repeat`` rounds is reported.  ``torch.set_num_threads`` is set
to the same count as cyconv's ``workers``.  ``python -m cyconv bench W9 N1``
runs the same rows.
"""

import argparse
import json
import platform
import sys

from cyconv import _bench, _conv_layer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ids", nargs="*", help=f"subset of {', '.join(_bench.NN_WORKLOADS)}")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    for wid in args.ids:
        if wid not in _bench.NN_WORKLOADS:
            parser.error(f"unknown workload {wid!r}")
    try:
        import torch
        print(f"torch {torch.__version__} (mkldnn: {torch.backends.mkldnn.is_available()})")
    except ImportError:
        print("torch is not installed: cyconv only", file=sys.stderr)
    print(f"micro-kernels: {_conv_layer.isa()}, OpenMP: {_conv_layer.openmp_enabled()}; "
          f"{platform.processor() or platform.machine()}, python {platform.python_version()}; "
          f"median of {args.repeat}\n")
    results = _bench.run_nn(args.ids or None, tuple(args.threads), args.repeat,
                            progress=lambda *a, **kw: print(*a, **kw, file=sys.stderr))
    print(_bench.format_nn_table(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(isa=_conv_layer.isa(), results=results), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
