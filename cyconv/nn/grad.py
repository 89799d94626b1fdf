"""Gradients of the convolution layer (``torch.nn.grad``): conv{1,2,3}d_input and _weight.

For ``y = convNd(x, w, stride, padding, dilation, groups)`` and an upstream
gradient ``grad_output = dL/dy``:

* ``convNd_input(x.shape, w, grad_output, ...)`` is ``dL/dx``, the full
  correlation of grad_output with the flipped, channel-transposed weight
  (a stride is handled per residue class, never by dilating grad_output);
* ``convNd_weight(x, w.shape, grad_output, ...)`` is ``dL/dw``, the
  correlation of x with grad_output, summed over the batch;
* ``dL/dbias`` is ``grad_output.sum(axis=(0, 2, ...))``.

All three run on the same nogil OpenMP kernels as the forward pass.
"""

from cyconv.nn import _core

_INPUT = """Gradient of ``conv{nd}d`` with respect to its input (``torch.nn.grad.conv{nd}d_input``).

    Parameters
    ----------
    input_size : sequence of ints
        Shape of the input, ``(N, C_in, {axes})``, or ``(C_in, {axes})`` with an
        unbatched ``grad_output``.  Needed because several input sizes give
        the same output size when the stride is above 1.
    weight : array_like
        ``(C_out, C_in / groups, {kaxes})``, float32 or float64.
    grad_output : array_like
        ``dL/dy``, the shape of the forward output; the dtype of ``weight``.
    stride, padding, dilation, groups
        As given to the forward pass (see :func:`cyconv.nn.functional.conv{nd}d`).
    workers : int, optional
        Threads (None = OpenMP's default).

    Returns
    -------
    ndarray
        ``dL/dx``, of shape ``input_size``.

    Raises
    ------
    TypeError, ValueError
        As the forward pass, and when ``grad_output`` does not have the
        shape the forward pass would give.
"""

_WEIGHT = """Gradient of ``conv{nd}d`` with respect to its weight (``torch.nn.grad.conv{nd}d_weight``).

    Parameters
    ----------
    input : array_like
        The forward input, ``(N, C_in, {axes})`` or unbatched; float32 or float64.
    weight_size : sequence of ints
        Shape of the weight, ``(C_out, C_in / groups, {kaxes})``.
    grad_output : array_like
        ``dL/dy``, the shape of the forward output; the dtype of ``input``.
    stride, padding, dilation, groups
        As given to the forward pass (see :func:`cyconv.nn.functional.conv{nd}d`).
    workers : int, optional
        Threads (None = OpenMP's default).

    Returns
    -------
    ndarray
        ``dL/dw``, of shape ``weight_size``, summed over the batch.

    Raises
    ------
    TypeError, ValueError
        As the forward pass, and when ``grad_output`` does not have the
        shape the forward pass would give.
"""


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1, *,
                 workers=None):
    return _core.grad_input(1, input_size, weight, grad_output, stride, padding, dilation, groups,
                            workers, "conv1d_input")


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1, *,
                 workers=None):
    return _core.grad_input(2, input_size, weight, grad_output, stride, padding, dilation, groups,
                            workers, "conv2d_input")


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1, *,
                 workers=None):
    return _core.grad_input(3, input_size, weight, grad_output, stride, padding, dilation, groups,
                            workers, "conv3d_input")


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1, *,
                  workers=None):
    return _core.grad_weight(1, input, weight_size, grad_output, stride, padding, dilation, groups,
                             workers, "conv1d_weight")


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1, *,
                  workers=None):
    return _core.grad_weight(2, input, weight_size, grad_output, stride, padding, dilation, groups,
                             workers, "conv2d_weight")


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1, *,
                  workers=None):
    return _core.grad_weight(3, input, weight_size, grad_output, stride, padding, dilation, groups,
                             workers, "conv3d_weight")


_AX = {1: ("L", "k"), 2: ("H, W", "kH, kW"), 3: ("D, H, W", "kD, kH, kW")}

_EXAMPLES_INPUT = {
    1: """
    Examples
    --------
    The gradient of ``sum(conv1d(x, w))`` spreads every weight over the
    positions it touched:

    >>> import numpy as np
    >>> from cyconv import nn
    >>> w = np.array([[[1.0, 2.0]]])
    >>> nn.grad.conv1d_input((1, 1, 4), w, np.ones((1, 1, 3)))
    array([[[1., 3., 3., 2.]]])
""",
    2: """
    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import nn
    >>> w = np.ones((1, 1, 2, 2))
    >>> nn.grad.conv2d_input((1, 1, 3, 3), w, np.ones((1, 1, 2, 2)))[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> nn.grad.conv2d_input((1, 1, 4, 4), w, np.ones((1, 1, 2, 2)), stride=2)[0, 0]
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.]])
""",
    3: """
    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import nn
    >>> w = np.ones((1, 1, 2, 2, 2), dtype=np.float32)
    >>> gx = nn.grad.conv3d_input((1, 1, 3, 3, 3), w, np.ones((1, 1, 2, 2, 2), np.float32))
    >>> float(gx[0, 0, 1, 1, 1]), float(gx[0, 0, 0, 0, 0])
    (8.0, 1.0)
""",
}

_EXAMPLES_WEIGHT = {
    1: """
    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import nn
    >>> x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    >>> nn.grad.conv1d_weight(x, (1, 1, 2), np.ones((1, 1, 3)))
    array([[[6., 9.]]])
""",
    2: """
    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import nn
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> nn.grad.conv2d_weight(x, (1, 1, 2, 2), np.ones((1, 1, 2, 2)))
    array([[[[ 8., 12.],
             [20., 24.]]]])
""",
    3: """
    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import nn
    >>> x = np.ones((2, 1, 3, 3, 3))
    >>> nn.grad.conv3d_weight(x, (1, 1, 2, 2, 2), np.ones((2, 1, 2, 2, 2)))[0, 0, 0]
    array([[16., 16.],
           [16., 16.]])
""",
}

for _nd in (1, 2, 3):
    _axes, _kaxes = _AX[_nd]
    globals()[f"conv{_nd}d_input"].__doc__ = (
        _INPUT.format(nd=_nd, axes=_axes, kaxes=_kaxes) + _EXAMPLES_INPUT[_nd])
    globals()[f"conv{_nd}d_weight"].__doc__ = (
        _WEIGHT.format(nd=_nd, axes=_axes, kaxes=_kaxes) + _EXAMPLES_WEIGHT[_nd])
del _nd, _axes, _kaxes

__all__ = ["conv1d_input", "conv2d_input", "conv3d_input",
           "conv1d_weight", "conv2d_weight", "conv3d_weight"]
