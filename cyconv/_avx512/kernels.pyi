"""Type stubs for cyconv._avx512.kernels, the AVX-512 build of _kernels (same source)."""

from collections.abc import Sequence

import numpy as np

def openmp_enabled() -> bool: ...
def correlate(
    x: np.ndarray, k: np.ndarray, out: np.ndarray, pad: Sequence[int], n_threads: int
) -> np.ndarray: ...
def correlate_new(
    x: np.ndarray, k: np.ndarray, pad: Sequence[int], out_shape: tuple[int, ...],
    dtype: np.dtype, n_threads: int
) -> np.ndarray: ...
def winograd_units(oh: int, ow: int) -> int: ...
def winograd_correlate(
    x: np.ndarray, k: np.ndarray, out: np.ndarray, pad: Sequence[int], n_threads: int
) -> np.ndarray: ...

# Capsules of the fused kernel's specialisations, read by cyconv.capi.
__pyx_capi__: dict[str, object]
