"""AVX-512 build of cyconv's direct-correlation kernels (x86-64 only).

The same source as :mod:`cyconv._kernels` (``_correlate.pxi``) compiled with
the x86-64-v4 set (AVX-512 F, CD, BW, DQ, VL, with AVX2 and FMA; see
setup.py), so each accumulator is a 64-byte register; imported only on CPUs
that support it.
"""

import threading

import numpy as np

from cpython.exc cimport PyErr_CheckSignals
from cpython.pythread cimport PyThread_get_thread_ident
from cython.parallel cimport prange
from libc.string cimport memset

cimport numpy as cnp

from cyconv._openmp cimport CYCONV_HAVE_OPENMP

cnp.import_array()

from libc.stdint cimport uint64_t

from cyconv._kernels cimport (CYCONV_BLOCK_BYTES, CYCONV_NARROW_BYTES,
                              CYCONV_TWO_ROWS_BYTES, MAX_NDIM, correlate_two_rows, _max, _min, axpy,
                              cyconv_prefetch_rows,
                              complex64_t, complex128_t, correlate_block, real_t,
                              scalar_t)

include "../_correlate.pxi"
