"""Which compiled variant of the direct kernels this CPU runs.

The kernels are built twice from one source (``_correlate.pxi``): the
baseline ``_kernels`` (runs on every CPU of the architecture, as wheels
must) and, on x86-64, ``_kernels_avx2`` (AVX2 + FMA).  The best variant the
CPU supports is picked once, at import.  ``CYCONV_SIMD=baseline`` forces the
baseline build (for tests and for measuring what dispatch gains).
"""

import os

from cyconv import _kernels


def _select():
    if os.environ.get("CYCONV_SIMD", "auto").lower() != "baseline" and _kernels.cpu_has_avx2_fma():
        try:
            from cyconv import _kernels_avx2
            return _kernels_avx2, "avx2+fma"
        except ImportError:  # built without the variant (non-x86 or old compiler)
            pass
    return _kernels, "baseline"


kernels, variant = _select()
