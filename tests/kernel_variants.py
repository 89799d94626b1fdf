"""The compiled variants of cyconv's kernels this CPU can run (shared by the tests).

The API runs the best one; the others still ship (wheels run on any CPU),
so tests exercise each directly.
"""
from cyconv import _kernels

VARIANTS = [_kernels]
try:
    from cyconv import _kernels_avx2
    if _kernels.cpu_has_avx2_fma():
        VARIANTS.append(_kernels_avx2)
except ImportError:  # non-x86 build: only the baseline exists
    pass


def variant_id(module):
    """'_kernels' or '_kernels_avx2', for test ids."""
    return module.__name__.rsplit(".", 1)[-1]
