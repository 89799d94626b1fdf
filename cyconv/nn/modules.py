"""Convolution layers with a learnable weight and bias: Conv1d, Conv2d, Conv3d.

A layer is called on an input (the forward pass), keeps what the backward
pass needs, and ``backward(grad_output)`` returns ``dL/dinput`` and sets
``grad_weight`` and ``grad_bias``.  Conventions are torch's (``torch.nn.Conv2d``),
on numpy arrays; an optimiser step is plain numpy::

    y = layer(x)
    gx = layer.backward(dL_dy)
    layer.weight -= lr * layer.grad_weight
"""

import math

import numpy as np

from cyconv.nn import _core


class _ConvNd:
    _nd = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, dtype=np.float32, rng=None, *, workers=None):
        name = type(self).__name__
        nd = self._nd
        self.in_channels = _core._int(in_channels, "in_channels", name, 1)
        self.out_channels = _core._int(out_channels, "out_channels", name, 1)
        self.kernel_size = _core._int_tuple(kernel_size, nd, "kernel_size", name, 1)
        self.stride = _core._int_tuple(stride, nd, "stride", name, 1)
        self.dilation = _core._int_tuple(dilation, nd, "dilation", name, 1)
        self.groups = _core._int(groups, "groups", name, 1)
        if self.in_channels % self.groups:
            raise ValueError(f"{name}: in_channels ({self.in_channels}) must be divisible by "
                             f"groups ({self.groups})")
        if self.out_channels % self.groups:
            raise ValueError(f"{name}: out_channels ({self.out_channels}) must be divisible by "
                             f"groups ({self.groups})")
        # checks padding (and 'same' with a stride) now rather than at the first call
        _core._padding(padding, nd, self.kernel_size, self.dilation, self.stride, name)
        self.padding = padding if isinstance(padding, str) else \
            _core._int_tuple(padding, nd, "padding", name, 0)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"{name}: bias must be True or False, got {type(bias).__name__}")
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{name}: dtype must be float32 or float64, got {dtype!r}") from None
        if self.dtype not in _core._FLOATS:
            raise TypeError(f"{name}: dtype must be float32 or float64, got {self.dtype}")
        if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
            rng = np.random.default_rng(rng)
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f"{name}: rng must be a numpy.random.Generator, an int seed or None, "
                            f"got {type(rng).__name__}")
        threads = _core._threads
        threads.resolve_workers(workers)
        self.workers = workers

        # torch's default initialisation: kaiming_uniform_(a=sqrt(5)) for the
        # weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias; both
        # bounds are 1/sqrt(fan_in).
        fan_in = self.in_channels // self.groups * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in)
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = rng.uniform(-bound, bound, size=shape).astype(self.dtype)
        self.bias = (rng.uniform(-bound, bound, size=self.out_channels).astype(self.dtype)
                     if bias else None)
        self.grad_weight = None
        self.grad_bias = None
        self._saved = None

    def _hyper(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups, workers=self.workers)

    def forward(self, input):
        """The layer's output for ``input``; keeps ``input`` and the weight for :meth:`backward`.

        Parameters
        ----------
        input : array_like
            ``(N, C_in, *spatial)`` or unbatched ``(C_in, *spatial)``, of the
            layer's dtype.

        Returns
        -------
        ndarray
            ``(N, C_out, *spatial_out)`` (unbatched: without N).
        """
        name = type(self).__name__
        x = _core._array(input, "input", name)
        y = _core.forward(self._nd, x, self.weight, self.bias, self.stride, self.padding,
                          self.dilation, self.groups, self.workers, name)
        # The arrays are kept by reference (no copy): modifying them in place
        # before backward() changes the gradients, as it would in torch
        # without its version check.
        self._saved = (x, self.weight, y.shape)
        return y

    __call__ = forward

    def backward(self, grad_output):
        """Back-propagate ``grad_output = dL/dy`` through the last forward pass.

        Sets ``grad_weight`` (``dL/dweight``) and ``grad_bias`` (``dL/dbias``,
        None without a bias), replacing earlier values (torch would add
        them up), and returns ``dL/dinput``.

        Parameters
        ----------
        grad_output : array_like
            The shape and dtype of the last output.

        Returns
        -------
        ndarray
            ``dL/dinput``, the shape of the last input.

        Raises
        ------
        RuntimeError
            If the layer has not been called yet.
        ValueError, TypeError
            If ``grad_output`` does not have the last output's shape or dtype.
        """
        name = f"{type(self).__name__}.backward"
        if self._saved is None:
            raise RuntimeError(f"{name}: call the layer on an input before backward()")
        x, w, y_shape = self._saved
        gy = _core._array(grad_output, "grad_output", name)
        if gy.shape != y_shape:
            raise ValueError(f"{name}: grad_output must have the shape of the last output "
                             f"{y_shape}, got {gy.shape}")
        _core._same_dtype(name, input=x, grad_output=gy)
        h = (self.stride, self.padding, self.dilation, self.groups, self.workers)
        gx = _core.grad_input(self._nd, x.shape, w, gy, *h, name)
        self.grad_weight = _core.grad_weight(self._nd, x, w.shape, gy, *h, name)
        self.grad_bias = _core.grad_bias(gy, self._nd, name) if self.bias is not None else None
        return gx

    def __repr__(self):
        s = (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
             f"kernel_size={self.kernel_size}, stride={self.stride}")
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding!r}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.dtype != np.float32:
            s += f", dtype={self.dtype}"
        return s + ")"


_DOC = """{nd}-D convolution layer (``torch.nn.Conv{nd}d``) on numpy arrays.

    ``y = conv{nd}d(x, weight, bias, stride, padding, dilation, groups)``
    (:func:`cyconv.nn.functional.conv{nd}d`); :meth:`backward` gives the
    gradients (:mod:`cyconv.nn.grad`).

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    kernel_size : int or tuple of {nd} ints
        Size of the kernel.
    stride, padding, dilation, groups
        As in :func:`cyconv.nn.functional.conv{nd}d` (``padding`` may be
        ``'valid'`` or ``'same'``).
    bias : bool, optional
        Learn an additive bias per output channel.
    dtype : {{numpy.float32, numpy.float64}}, optional
        dtype of the parameters; inputs must have it too.
    rng : numpy.random.Generator or int, optional
        Source of the initial parameters (an int seeds a new Generator).
        Both are drawn from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with
        ``fan_in = in_channels / groups * prod(kernel_size)``, torch's
        default initialisation.
    workers : int, optional
        Threads of every pass (None = OpenMP's default).

    Attributes
    ----------
    weight : ndarray
        ``(out_channels, in_channels / groups, *kernel_size)``.
    bias : ndarray or None
        ``(out_channels,)``.
    grad_weight, grad_bias : ndarray or None
        Set by :meth:`backward`.

    Examples
    --------
{example}
"""

_EXAMPLES = {
    1: """    >>> import numpy as np
    >>> from cyconv import nn
    >>> layer = nn.Conv1d(2, 4, kernel_size=3, padding="same", rng=0)
    >>> x = np.ones((8, 2, 100), dtype=np.float32)
    >>> y = layer(x)
    >>> y.shape
    (8, 4, 100)
    >>> gx = layer.backward(np.ones_like(y))
    >>> gx.shape, layer.grad_weight.shape, layer.grad_bias.shape
    ((8, 2, 100), (4, 2, 3), (4,))
""",
    2: """    Learn a vertical-edge detector by gradient descent:

    >>> import numpy as np, cyconv
    >>> from cyconv import nn
    >>> X = np.ones((6, 8)); X[:, 2:6] = 0
    >>> Y = cyconv.correlate(X, [[1, -1]], "valid")
    >>> X, Y = X.reshape(1, 1, 6, 8), Y.reshape(1, 1, 6, 7)
    >>> layer = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False, dtype=np.float64, rng=0)
    >>> for epoch in range(10):
    ...     err = layer(X) - Y
    ...     _ = layer.backward(2 * err)                  # d(sum(err**2)) / dy
    ...     layer.weight -= 3e-2 * layer.grad_weight
    >>> np.round(layer.weight.reshape(2), 1)
    array([ 1., -1.])
""",
    3: """    >>> import numpy as np
    >>> from cyconv import nn
    >>> layer = nn.Conv3d(1, 2, kernel_size=3, stride=2, rng=np.random.default_rng(0))
    >>> layer(np.zeros((1, 9, 9, 9), dtype=np.float32)).shape   # unbatched
    (2, 4, 4, 4)
    >>> layer
    Conv3d(1, 2, kernel_size=(3, 3, 3), stride=(2, 2, 2))
""",
}


class Conv1d(_ConvNd):
    _nd = 1


class Conv2d(_ConvNd):
    _nd = 2


class Conv3d(_ConvNd):
    _nd = 3


for _cls in (Conv1d, Conv2d, Conv3d):
    _cls.__doc__ = _DOC.format(nd=_cls._nd, example=_EXAMPLES[_cls._nd])
del _cls

__all__ = ["Conv1d", "Conv2d", "Conv3d"]
