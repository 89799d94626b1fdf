"""The one place that turns a ``workers`` argument into a thread count.

Policy
------
* ``workers=None``: the OpenMP default *at call time*
  (``omp_get_max_threads()``), so ``OMP_NUM_THREADS`` and
  ``threadpoolctl.threadpool_limits`` take effect.  We never call
  ``omp_set_num_threads`` (it would change global state for everyone).
* ``workers=n > 0``: ``n`` threads; ``workers=-k``: ``cpu_count + 1 - k``
  threads as in ``scipy.fft`` (``-1`` = every CPU).  ``0``, bools,
  non-integers and counts above ``2**31 - 1`` are errors.
* Small problems run on one thread: a thread team costs microseconds.
* Concurrent calls share one process-wide budget of ``cpu_count`` threads:
  a ``workers=None`` call made while other cyconv calls are running gets
  only the threads still free (at least one).  So calling cyconv from a
  ``ThreadPoolExecutor`` or a dask worker never starts more OpenMP threads
  than the machine has.  Explicit ``workers`` counts are honoured as asked
  (the caller chose them) but still count against the budget.  A call that
  runs on one thread runs on its caller's thread and takes nothing.
"""

import operator
import os
import threading

from cython.parallel cimport parallel

from cyconv._openmp cimport (CYCONV_HAVE_OPENMP, CYCONV_OPENMP_VERSION,
                             omp_get_max_threads, omp_get_num_threads)

# Work (multiply-adds) below which a call stays on one thread, and the
# least work worth handing to each extra thread.
MIN_PARALLEL_WORK = 1 << 17
MIN_WORK_PER_THREAD = 1 << 15


def openmp_enabled():
    """True when this build was compiled with OpenMP."""
    return bool(CYCONV_HAVE_OPENMP)


def openmp_version():
    """The ``_OPENMP`` date macro of the build (e.g. 201511), 0 without OpenMP."""
    return CYCONV_OPENMP_VERSION


def max_threads():
    """``omp_get_max_threads()`` now, in the calling thread (1 without OpenMP)."""
    return omp_get_max_threads()


def cpu_count():
    """CPUs this process may run on (affinity-aware where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def team_size(int n):
    """Start a parallel region of ``n`` threads and return how many really ran.

    Used by the tests to prove that a build meant to be parallel is parallel.
    """
    cdef int team[1]
    team[0] = 1
    with nogil, parallel(num_threads=n):
        team[0] = omp_get_num_threads()
    return team[0]


_MAX_WORKERS = 2**31 - 1


def resolve_workers(workers):
    """Validate ``workers`` and return the thread count it asks for (>= 1)."""
    if workers is None:
        return max(1, omp_get_max_threads())
    if isinstance(workers, bool):
        raise TypeError("workers must be None or an int, not bool")
    try:
        n = operator.index(workers)
    except TypeError:
        raise TypeError(f"workers must be None or an int, got {type(workers).__name__}") from None
    if n > 0:
        if n > _MAX_WORKERS:  # OpenMP counts threads in a C int
            raise ValueError(f"workers={workers} is larger than {_MAX_WORKERS}")
        return n
    if n == 0:
        raise ValueError("workers must not be 0 (use None, a positive count, or -1 for all CPUs)")
    total = cpu_count()
    n = total + 1 + n
    if n < 1:
        raise ValueError(f"workers={workers} asks for fewer than one thread on {total} CPUs")
    return n


cdef object _lock = threading.Lock()
cdef Py_ssize_t _cpus = cpu_count()
cdef Py_ssize_t _in_use = 0


def acquire(workers, Py_ssize_t work, Py_ssize_t max_parallel):
    """Decide the thread count for one kernel call and reserve it.

    ``work`` is the number of multiply-adds, ``max_parallel`` the number of
    independent tiles the kernel can spread.  Returns the count, which the
    caller must hand back with :func:`release`.
    """
    global _in_use
    cdef Py_ssize_t want = resolve_workers(workers)
    if want > 1:
        want = min(want, max(1, max_parallel))
        if work < MIN_PARALLEL_WORK:
            want = 1
        else:
            want = min(want, max(1, work // MIN_WORK_PER_THREAD))
    if want == 1:
        return 1  # runs on the calling thread: starts no OpenMP thread
    with _lock:
        if workers is None:
            want = max(1, min(want, _cpus - _in_use))
        if want > 1:  # release() hands back only counts > 1
            _in_use += want
    return want


def release(Py_ssize_t n):
    """Hand back threads reserved by :func:`acquire`."""
    global _in_use
    if n > 1:
        with _lock:
            _in_use -= n


def in_use():
    """Threads currently reserved by running cyconv calls (for tests)."""
    with _lock:  # a plain read would race with acquire() on free-threaded CPython
        return _in_use
