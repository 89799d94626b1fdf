"""airspeed-velocity (asv) benchmark classes for cyconv.

asv discovers the ``time_*`` and ``peakmem_*`` methods and runs them over the
cartesian product of ``params``; ``setup`` builds the data outside the timing.
Run them with asv (``asv run``) or, without asv, with
``python benchmarks/benchmarks.py``, which times every combination once and
prints a table.  The side-by-side comparison with scipy, OpenCV and torch is
``python -m cyconv bench``.
"""

import itertools
import time

import numpy as np

import cyconv


class Correlate:
    """cyconv.correlate by rank, size, kernel size, dtype and thread count ('valid' mode)."""

    params = (
        [1, 2, 3],
        ["small", "large"],
        [3, 7, 15],
        ["float32", "float64", "complex128", "int32"],
        [1, 2],
    )
    param_names = ["ndim", "size", "kernel", "dtype", "workers"]
    timeout = 120
    _SIZES = {1: {"small": (4096,), "large": (1_000_000,)},
              2: {"small": (64, 64), "large": (1024, 1024)},
              3: {"small": (16, 16, 16), "large": (96, 96, 96)}}

    def setup(self, ndim, size, kernel, dtype, workers):
        rng = np.random.default_rng(0)
        shape = self._SIZES[ndim][size]
        if ndim == 3 and kernel == 15 and size == "small":
            raise NotImplementedError  # kernel larger than the volume: not a 'valid' case
        self.x = (rng.standard_normal(shape) * 10).astype(dtype)
        self.k = (rng.standard_normal((kernel,) * ndim) * 10).astype(dtype)

    def time_direct(self, ndim, size, kernel, dtype, workers):
        cyconv.correlate(self.x, self.k, "valid", method="direct", workers=workers)

    def time_auto(self, ndim, size, kernel, dtype, workers):
        cyconv.correlate(self.x, self.k, "valid", method="auto", workers=workers)

    def peakmem_full(self, ndim, size, kernel, dtype, workers):
        cyconv.correlate(self.x, self.k, "full", method="direct", workers=workers)


class CorrelateWinograd:
    """2-D float64 mid-size kernels: the Winograd method against the direct one."""

    params = ([(1024, 1024), (300, 300)], [9, 15, 21], [1, 2])
    param_names = ["shape", "kernel", "workers"]

    def setup(self, shape, kernel, workers):
        rng = np.random.default_rng(2)
        self.x = rng.standard_normal(shape)
        self.k = rng.standard_normal((kernel, kernel))

    def time_winograd(self, shape, kernel, workers):
        cyconv.correlate(self.x, self.k, "valid", method="winograd", workers=workers)

    def time_direct(self, shape, kernel, workers):
        cyconv.correlate(self.x, self.k, "valid", method="direct", workers=workers)


class Correlate2dBoundary:
    """cyconv.correlate2d 'same' mode with each boundary rule."""

    params = (["fill", "wrap", "symm"], [3, 9])
    param_names = ["boundary", "kernel"]

    def setup(self, boundary, kernel):
        rng = np.random.default_rng(1)
        self.x = rng.standard_normal((1024, 1024))
        self.k = rng.standard_normal((kernel, kernel))

    def time_correlate2d(self, boundary, kernel):
        cyconv.correlate2d(self.x, self.k, "same", boundary=boundary)

    def peakmem_correlate2d(self, boundary, kernel):
        cyconv.correlate2d(self.x, self.k, "same", boundary=boundary)


class CallOverhead:
    """One small call: validation and dispatch dominate (W10)."""

    def setup(self):
        self.x = np.random.default_rng(2).random((32, 32))
        self.k = np.random.default_rng(3).random((3, 3))

    def time_correlate2d_32x32_3x3(self):
        cyconv.correlate2d(self.x, self.k, "valid")

    def time_correlate_32x32_3x3(self):
        cyconv.correlate(self.x, self.k, "valid")


class NdimageFilters:
    """cyconv.ndimage: the issue's workloads (F1-F5 of ``python -m cyconv bench``),
    per boundary mode and thread count."""

    params = (["gaussian_2d", "gaussian_3d", "uniform_u16_3d", "correlate_5x5", "sobel"],
              ["reflect", "constant", "wrap"], [1, 2])
    param_names = ["filter", "mode", "workers"]
    timeout = 120

    def setup(self, filter, mode, workers):
        from cyconv import ndimage
        rng = np.random.default_rng(4)
        img = rng.standard_normal((2048, 2048)).astype(np.float32)
        k = rng.standard_normal((5, 5)).astype(np.float32)
        calls = {
            "gaussian_2d": lambda: ndimage.gaussian_filter(img, 2.0, mode=mode, workers=workers),
            "correlate_5x5": lambda: ndimage.correlate(img, k, mode=mode, workers=workers),
            "sobel": lambda: ndimage.sobel(img, mode=mode, workers=workers),
        }
        if filter == "gaussian_3d":
            vol = rng.standard_normal((256, 256, 256)).astype(np.float32)
            calls[filter] = lambda: ndimage.gaussian_filter(vol, 2.0, mode=mode, workers=workers)
        elif filter == "uniform_u16_3d":
            vol = rng.integers(0, 65536, (256, 256, 256)).astype(np.uint16)
            calls[filter] = lambda: ndimage.uniform_filter(vol, 5, mode=mode, workers=workers)
        self.call = calls[filter]

    def time_filter(self, filter, mode, workers):
        self.call()

    def peakmem_filter(self, filter, mode, workers):
        self.call()


def _main():
    """Run every benchmark once per parameter combination (no asv needed)."""
    for cls in (Correlate, CorrelateWinograd, Correlate2dBoundary, CallOverhead, NdimageFilters):
        combos = list(itertools.product(*getattr(cls, "params", ()))) or [()]
        for combo in combos:
            bench = cls()
            try:
                bench.setup(*combo)
            except NotImplementedError:
                continue
            for name in dir(bench):
                if name.startswith("time_"):
                    fn = getattr(bench, name)
                    fn(*combo)
                    t0 = time.perf_counter()
                    fn(*combo)
                    dt = time.perf_counter() - t0
                    print(f"{cls.__name__}.{name}{combo}: {dt * 1e3:.3f} ms")


if __name__ == "__main__":
    _main()
