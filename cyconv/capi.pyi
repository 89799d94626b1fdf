"""Type stubs for the Python-visible part of cyconv.capi.

The C-level API itself (``correlate_{1d,2d,3d,nd}_{f32,f64,c64,c128}``) is
declared in ``capi.pxd`` for Cython's ``cimport``; from Python it is only
reachable as capsules in ``__pyx_capi__``.
"""

from collections.abc import Sequence
from typing import Any

OK: int
EINVAL: int
ENOMEM: int
MAX_NDIM: int
API_VERSION: int
# One capsule per C-level function, read by Cython when another module cimports us.
__pyx_capi__: dict[str, Any]

def x_read_in_place(
    x_shape: Sequence[int],
    x_strides: Sequence[int],
    k_shape: Sequence[int],
    out_shape: Sequence[int],
    pad: Sequence[int],
) -> bool: ...

def kernel_variant() -> str: ...
