"""The AVX2 + FMA build of cyconv's kernels (x86-64): see ``kernels.pyx``.

The compiled module's own initialisation code is compiled with AVX2 and may
use it, so importing it on a CPU without AVX2 would kill the process
(SIGILL) rather than raise.  Python imports this package first, and it turns
such a CPU away with an ImportError.
"""
from cyconv._kernels import cpu_has_avx2_fma

if not cpu_has_avx2_fma():
    raise ImportError("cyconv._avx2 needs a CPU (and OS) with AVX2 and FMA")
