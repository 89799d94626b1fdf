# The one place that touches omp.h. Every kernel cimports from here, so the
# package compiles (serially) with or without OpenMP: without it the
# functions below answer as a one-thread runtime would.
cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define CYCONV_HAVE_OPENMP 1
    #define CYCONV_OPENMP_VERSION _OPENMP
    #else
    #define CYCONV_HAVE_OPENMP 0
    #define CYCONV_OPENMP_VERSION 0
    static int omp_get_max_threads(void) { return 1; }
    static int omp_get_num_threads(void) { return 1; }
    static int omp_get_thread_num(void) { return 0; }
    static int omp_in_parallel(void) { return 0; }
    #endif
    """
    const int CYCONV_HAVE_OPENMP
    const int CYCONV_OPENMP_VERSION
    int omp_get_max_threads() noexcept nogil
    int omp_get_num_threads() noexcept nogil
    int omp_get_thread_num() noexcept nogil
    int omp_in_parallel() noexcept nogil
