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

from cyconv._version import __version__
from cyconv._signal import (choose_conv_method, convolve, convolve2d, correlate,
                            correlate2d)
from cyconv._config import show_config

__all__ = ["correlate", "convolve", "correlate2d", "convolve2d", "choose_conv_method",
           "show_config", "__version__"]
