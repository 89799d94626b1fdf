"""AVX-512 build of cyconv's direct-correlation kernels (x86-64 only).

The same source as :mod:`cyconv._kernels` (``_correlate.pxi``) compiled with
the x86-64-v4 set (AVX-512 F, CD, BW, DQ, VL, with AVX2 and FMA; see
setup.py), so each accumulator is a 64-byte register; imported only on CPUs
that support it.
"""

include "../_variant.pxi"
