"""cyconv: fast N-dimensional correlation and convolution on all cores.

Drop-in replacements for ``scipy.signal.correlate``, ``convolve``,
``correlate2d``, ``convolve2d`` and ``choose_conv_method``, computed by
nogil Cython kernels parallelised with OpenMP.

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
from cyconv._signal import choose_conv_method, convolve, convolve2d, correlate, correlate2d  # noqa: E402
from cyconv._version import __version__  # noqa: E402

__all__ = ["correlate", "convolve", "correlate2d", "convolve2d", "choose_conv_method",
           "show_config", "get_include", "__version__"]


def get_include():
    """Directory to add to Cython's include path to ``cimport cyconv.capi``.

    It is the directory that holds the installed ``cyconv`` package (with its
    ``capi.pxd``); pass it as ``cythonize(..., include_path=[cyconv.get_include()])``.
    The C-level API is reached through Cython's cimport mechanism (capsules in
    ``cyconv.capi.__pyx_capi__``), so there are no C headers or libraries to link.
    """
    import os

    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
