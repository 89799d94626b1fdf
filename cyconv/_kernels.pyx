"""Direct N-d correlation kernels: nogil, OpenMP-parallel, one fused family.

Layout of the work
------------------
An N-d array is seen as a stack of 2-D planes: the last two axes are the
plane (rows x columns), the leading N-2 axes index planes.  1-D data is one
plane of one row.  The output is cut into *tiles*: one output row of one
output plane, cut again into column blocks of at most ``COL_BLOCK`` elements
so that a block stays in L1 cache and thin shapes (a long 1-D signal, a
2-row image) still give every thread work.  ``prange`` runs over tiles; one
thread owns each tile, so no locks and no atomics are needed, and each output
element sums its taps in the same order whatever the thread count.

Interior columns of real data go through the register-blocked micro-kernel
in ``_simd.h`` (outputs held in SIMD registers across every tap).  Borders,
complex and integer data use row updates ``out[j] += w * x[j + s]``
over the contiguous column axis (which the compiler vectorises), for every
kernel tap ``w`` that touches the tile.  The loops live in ``_correlate.pxi``
so that the same source also builds the AVX2 and AVX-512 variants
(``_kernels_avx2``, ``_kernels_avx512``).  Zero padding ('full'/'same' modes)
is never materialised: the tap ranges are clipped to the input, per plane,
per row and per column block.

The same modules hold the Winograd F(3x3, 3x3) method for 2-D float64 data
(``winograd_correlate``, from ``_winograd.pxi``, included by ``_correlate.pxi``),
whose component correlations run on these kernels.
"""

import threading

import numpy as np

from cpython.exc cimport PyErr_CheckSignals
from cpython.pythread cimport PyThread_get_thread_ident
from cython.parallel cimport prange, threadid
from libc.string cimport memcpy, memset

cimport numpy as cnp

from cyconv._openmp cimport CYCONV_HAVE_OPENMP

cnp.import_array()

cdef extern from *:
    """
    #if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    static int cyconv_cpu_has_avx2_fma(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    /* libgcc's check also asks the OS (XCR0) whether it saves the 512-bit state */
    static int cyconv_cpu_has_avx512(void) {
        __builtin_cpu_init();
        return cyconv_cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f")
            && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
    }
    #else
    static int cyconv_cpu_has_avx2_fma(void) { return 0; }
    static int cyconv_cpu_has_avx512(void) { return 0; }
    #endif
    """
    int cyconv_cpu_has_avx2_fma() noexcept nogil
    int cyconv_cpu_has_avx512() noexcept nogil


def cpu_has_avx2_fma():
    """True when this CPU (and OS) can run the AVX2 + FMA kernel variant."""
    return bool(cyconv_cpu_has_avx2_fma())


def cpu_has_avx512():
    """True when this CPU (and OS) can run the AVX-512 kernel variant (F, CD, BW, DQ, VL)."""
    return bool(cyconv_cpu_has_avx512())


include "_correlate.pxi"
