"""Benchmark harness built at run time by bench_capi.py: C-level calls in one nogil loop."""

from cyconv.capi cimport CYCONV_OK, correlate_2d_f32, correlate_2d_f64

ctypedef fused real:
    float
    double


def loop2d(const real[:, ::1] x, const real[:, ::1] k, real[:, ::1] out,
           Py_ssize_t pad_h, Py_ssize_t pad_w, int n_threads, Py_ssize_t repeat):
    """Call the 2-D kernel ``repeat`` times back to back, GIL released; return the first bad status."""
    cdef Py_ssize_t _r
    cdef int st = CYCONV_OK, s
    with nogil:
        for _r in range(repeat):
            if real is float:
                s = correlate_2d_f32(&x[0, 0], x.shape[0], x.shape[1], x.shape[1],
                                     &k[0, 0], k.shape[0], k.shape[1], k.shape[1],
                                     &out[0, 0], out.shape[0], out.shape[1], out.shape[1],
                                     pad_h, pad_w, n_threads)
            else:
                s = correlate_2d_f64(&x[0, 0], x.shape[0], x.shape[1], x.shape[1],
                                     &k[0, 0], k.shape[0], k.shape[1], k.shape[1],
                                     &out[0, 0], out.shape[0], out.shape[1], out.shape[1],
                                     pad_h, pad_w, n_threads)
            if s != CYCONV_OK and st == CYCONV_OK:
                st = s
    return st
