"""The AVX-512 build of cyconv's kernels (x86-64): see ``kernels.pyx``.

The compiled module's own initialisation code is compiled with AVX-512 and
does use it, so importing it on a CPU without AVX-512 would kill the process
(SIGILL) rather than raise.  Python imports this package first, and it turns
such a CPU away with an ImportError.
"""
from cyconv._kernels import cpu_has_avx512

if not cpu_has_avx512():
    raise ImportError("cyconv._avx512 needs a CPU (and OS) with AVX-512 F, CD, BW, DQ and VL")
