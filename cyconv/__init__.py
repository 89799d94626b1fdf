"""cyconv: fast N-dimensional correlation and convolution on all cores.

Drop-in replacements for ``scipy.signal.correlate``, ``convolve``,
``correlate2d``, ``convolve2d``, ``fftconvolve``, ``oaconvolve``,
``correlation_lags`` and ``choose_conv_method``, computed by nogil Cython
kernels parallelised with OpenMP.  The submodules (``cyconv.nn``, and
``cyconv.ndimage`` / ``cyconv.dask`` where installed with this version) are
attributes of the package, imported on first use.

Examples
--------
>>> import numpy as np, cyconv
>>> cyconv.correlate(np.arange(9).reshape(3, 3), [[0, 1], [2, 3]], mode="valid")
array([[19, 25],
       [37, 43]])
"""

import os as _os

from cyconv import _source_tree

_here = _os.path.dirname(_os.path.abspath(__file__))
if not _source_tree.is_built(_here):
    # An unbuilt source checkout shadows the installed package (see
    # _source_tree): Python gets the installed one, and the imports below
    # then resolve in it too.
    _source_tree.installed_instead(_here)
del _here

from cyconv._config import show_config  # noqa: E402
from cyconv._signal import (  # noqa: E402
    choose_conv_method,
    convolve,
    convolve2d,
    correlate,
    correlate2d,
    correlation_lags,
    fftconvolve,
    oaconvolve,
)
from cyconv._version import __version__  # noqa: E402

__all__ = ["correlate", "convolve", "correlate2d", "convolve2d", "fftconvolve", "oaconvolve",
           "correlation_lags", "choose_conv_method", "show_config", "get_include", "__version__"]

# Submodules reached as attributes (``cyconv.nn.Conv2d``) but imported only on
# first use (PEP 562): ``import cyconv`` stays as fast as before and never
# pulls in what they need (dask, for cyconv.dask).
_LAZY_SUBMODULES = ("nn", "ndimage", "dask")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        import importlib.util

        # find_spec first: a submodule this version lacks is an AttributeError
        # (as for any missing attribute), while an ImportError raised *inside*
        # an existing submodule (a missing dependency) propagates unchanged.
        if importlib.util.find_spec(f"{__name__}.{name}") is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r} "
                                 f"(cyconv.{name} is not part of this installation)")
        return importlib.import_module(f"{__name__}.{name}")  # also sets it as an attribute
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    import importlib.util

    present = [n for n in _LAZY_SUBMODULES
               if n in globals() or importlib.util.find_spec(f"{__name__}.{n}") is not None]
    return sorted(set(globals()) | set(present))


def get_include():
    """Directory to add to Cython's include path to ``cimport cyconv.capi``.

    It is the directory that holds the installed ``cyconv`` package (with its
    ``capi.pxd``); pass it as ``cythonize(..., include_path=[cyconv.get_include()])``.
    The C-level API is reached through Cython's cimport mechanism (capsules in
    ``cyconv.capi.__pyx_capi__``), so there are no C headers or libraries to link.
    """
    import os

    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
