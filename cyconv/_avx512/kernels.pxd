# The AVX-512 build of the kernels exports the same C function as
# _kernels.pxd (so that cyconv.capi can call the variant the CPU runs).
from cyconv._kernels cimport scalar_t


cdef void correlate_nd(const scalar_t* x, const Py_ssize_t* x_shape,
                       const scalar_t* k, const Py_ssize_t* k_shape,
                       scalar_t* out, const Py_ssize_t* out_shape,
                       const Py_ssize_t* pad, int ndim, int n_threads) noexcept nogil
