# The body of every SIMD build of the kernels (_avx2/kernels.pyx,
# _avx512/kernels.pyx): the names _correlate.pxi needs, taken from the
# baseline module, then the kernels themselves.  One list for all builds.
import threading

import numpy as np

from cpython.exc cimport PyErr_CheckSignals
from cpython.pythread cimport PyThread_get_thread_ident
from cython.parallel cimport prange, threadid
from libc.string cimport memcpy, memset

cimport numpy as cnp

from cyconv._openmp cimport CYCONV_HAVE_OPENMP

cnp.import_array()

from libc.stdint cimport uint64_t

from cyconv._kernels cimport (BORDER_CONSTANT, BORDER_MIRROR, BORDER_NEAREST, BORDER_REFLECT,
                              BORDER_WRAP, BORDER_ZERO, CYCONV_BLOCK_BYTES, CYCONV_NARROW_BYTES,
                              CYCONV_TWO_ROWS_BYTES, MAX_NDIM, correlate_two_rows, _max, _min, axpy,
                              cyconv_prefetch_rows,
                              Border, clongdouble_t, complex64_t, complex128_t, correlate_block,
                              longdouble_t, real_t,
                              scalar_t)

include "_correlate.pxi"
