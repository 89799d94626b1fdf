"""AVX2 + FMA build of cyconv's direct-correlation kernels (x86-64 only).

The same source as :mod:`cyconv._kernels` (``_correlate.pxi``) compiled with
``-mavx2 -mfma -mtune=haswell -fno-wrapv`` (see setup.py); imported only on
CPUs that support it.
"""

include "../_variant.pxi"
