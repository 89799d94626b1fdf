"""Command line: ``python -m cyconv demo | info | bench``."""

import argparse
import sys

import numpy as np


def _show(title, got, expected):
    ok = np.array_equal(np.asarray(got), np.asarray(expected))
    print(f"{title}\n  got:\n{_indent(got)}\n  expected:\n{_indent(expected)}\n"
          f"  -> {'OK' if ok else 'MISMATCH'}\n")
    return ok


def _indent(a):
    return "\n".join("    " + line for line in np.array2string(np.asarray(a)).splitlines())


def demo():
    """Run the worked examples and compare them with the expected values."""
    import cyconv

    ok = True
    X = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    K = np.array([[0, 1], [2, 3]])
    ok &= _show("1. Y = X * K (2-D cross-correlation, 'valid')",
                cyconv.correlate(X, K, mode="valid"), [[19, 25], [37, 43]])

    edge = np.ones((6, 8))
    edge[:, 2:6] = 0
    k_edge = np.array([[1.0, -1.0]])
    expected = np.zeros((6, 7))
    expected[:, 1] = 1
    expected[:, 5] = -1
    ok &= _show("2. vertical edges of X = ones((6, 8)); X[:, 2:6] = 0 with K = [[1, -1]]",
                cyconv.correlate(edge, k_edge, mode="valid"), expected)
    ok &= _show("3. the transposed image has no vertical edge",
                cyconv.correlate(edge.T, k_edge, mode="valid"), np.zeros((8, 5)))
    ok &= _show("4. true convolution flips the kernel: convolve(X, K) == correlate(X, K[::-1, ::-1])",
                cyconv.convolve(X, K, mode="valid"), cyconv.correlate(X, K[::-1, ::-1], mode="valid"))
    print("all examples match" if ok else "SOME EXAMPLES DO NOT MATCH")
    return 0 if ok else 1


def info():
    import cyconv

    cyconv.show_config()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cyconv", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("demo", help="run the worked examples")
    sub.add_parser("info", help="print the build and runtime configuration")
    sub.add_parser("bench", help="compare with scipy/OpenCV/torch (bench --help)", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "bench":
        from cyconv._bench import main as bench_main
        return bench_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "info":
        return info()
    if args.command in ("demo", None):
        return demo()
    return 2


if __name__ == "__main__":
    sys.exit(main())
