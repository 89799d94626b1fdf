"""The compiled variants of cyconv's kernels this CPU can run (shared by the tests).

The API runs the best one; the others still ship (wheels run on any CPU),
so tests exercise each directly.
"""
import importlib

from cyconv import _kernels

VARIANTS = [_kernels]
for _name, _supported in (("_avx2.kernels", _kernels.cpu_has_avx2_fma),
                          ("_avx512.kernels", _kernels.cpu_has_avx512)):
    try:
        _module = importlib.import_module(f"cyconv.{_name}")
    except ImportError:  # non-x86 build, or a CPU without the instructions
        continue
    assert _supported()
    VARIANTS.append(_module)


def variant_id(module):
    """'baseline', 'avx2' or 'avx512', for test ids."""
    return {"cyconv._kernels": "baseline"}.get(module.__name__, module.__name__.split(".")[1][1:])
