"""Build and runtime configuration, as ``cyconv.show_config()`` prints it."""

import platform
import sys

import numpy as np

from cyconv import _dispatch, _kernels, _threads
from cyconv._version import __version__

try:
    from cyconv import _build_info
except ImportError:  # built by something other than our setup.py
    _build_info = None  # type: ignore[assignment]


def config():
    """Return the configuration as a dict (see :func:`show_config`)."""
    info = {
        "version": __version__,
        "openmp": _threads.openmp_enabled() and _kernels.openmp_enabled(),
        "simd_kernels": _dispatch.variant,
        "openmp_version": _threads.openmp_version(),
        "threads_default": _threads.max_threads(),
        "cpu_count": _threads.cpu_count(),
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    if _build_info is not None:
        info.update({
            "openmp_requested": _build_info.openmp_requested,
            "compiler": _build_info.compiler,
            "extra_compile_args": " ".join(_build_info.extra_compile_args),
            "extra_link_args": " ".join(_build_info.extra_link_args),
            "cython_debug": _build_info.cython_debug,
            "numpy_build_version": _build_info.numpy_build_version,
        })
    return info


def show_config():
    """Print version, OpenMP status, threads, compiler flags and numpy version.

    Examples
    --------
    >>> import cyconv
    >>> cyconv.show_config()  # doctest: +SKIP
    cyconv 0.1.0
      openmp             : True
      ...
    """
    info = config()
    print(f"cyconv {info.pop('version')}")
    for key, value in info.items():
        print(f"  {key:<20}: {value}")
