"""Which compiled variant of the direct kernels this CPU runs.

The kernels are built from one source (``_correlate.pxi``) for the
architecture's baseline (``_kernels``, runs on every CPU of the architecture,
as wheels must) and, on x86-64, for AVX2 + FMA (``_avx2.kernels``) and for
AVX-512 (``_avx512.kernels``).  The best variant the CPU supports is picked
once, at import.  ``CYCONV_SIMD`` caps the choice: ``baseline``, ``avx2`` or
``avx512`` (the default, ``auto``, is no cap), for tests and for measuring
what dispatch gains.
"""

import importlib
import os
import warnings

from cyconv import _kernels

# best first: (module, name reported by `python -m cyconv info`, CPU check);
# each package's __init__ repeats its check, for imports from elsewhere
_VARIANTS = [
    ("_avx512.kernels", "avx512", _kernels.cpu_has_avx512),
    ("_avx2.kernels", "avx2+fma", _kernels.cpu_has_avx2_fma),
]
_CAPS = {"auto": 0, "avx512": 0, "avx2": 1, "baseline": len(_VARIANTS)}


def _select():
    cap = os.environ.get("CYCONV_SIMD", "auto").lower()
    if cap not in _CAPS:
        warnings.warn(f"CYCONV_SIMD={cap!r} is not one of {', '.join(_CAPS)}: ignored",
                      RuntimeWarning, stacklevel=2)
    for module, name, supported in _VARIANTS[_CAPS.get(cap, 0):]:
        if supported():
            try:
                return importlib.import_module(f"cyconv.{module}"), name
            except ImportError:  # built without the variant (non-x86 or old compiler)
                pass
    return _kernels, "baseline"


kernels, variant = _select()
