"""cyconv.nn: convolution layers with learnable weight and bias, on numpy arrays.

The conventions are PyTorch's (``torch.nn.functional.conv2d``,
``torch.nn.grad``, ``torch.nn.Conv2d``): layout ``(N, C, *spatial)``,
cross-correlation, weight ``(C_out, C_in / groups, *kernel)``, the same
padding/stride/dilation/groups rules and output sizes, float32 and float64.
Forward and both gradients run on nogil OpenMP kernels.

* :mod:`cyconv.nn.functional` -- ``conv1d``, ``conv2d``, ``conv3d``,
  ``conv_transpose1d``, ``conv_transpose2d``, ``conv_transpose3d``
* :mod:`cyconv.nn.grad` -- ``conv{1,2,3}d_input``, ``conv{1,2,3}d_weight``
* ``Conv1d``, ``Conv2d``, ``Conv3d`` (``padding_mode`` zeros, reflect,
  replicate, circular) and ``ConvTranspose1d``, ``ConvTranspose2d``,
  ``ConvTranspose3d`` -- layers with ``backward()`` (gradients add up over
  calls, as in torch; ``zero_grad()`` resets them)

Examples
--------
>>> import numpy as np
>>> from cyconv import nn
>>> layer = nn.Conv2d(3, 8, kernel_size=3, padding=1, rng=0)
>>> x = np.ones((4, 3, 32, 32), dtype=np.float32)
>>> y = layer(x)
>>> y.shape
(4, 8, 32, 32)
>>> gx = layer.backward(np.ones_like(y))
>>> gx.shape, layer.grad_weight.shape
((4, 3, 32, 32), (8, 3, 3, 3))
"""

from cyconv.nn import functional, grad
from cyconv.nn.modules import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

__all__ = ["functional", "grad", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
           "ConvTranspose2d", "ConvTranspose3d"]
