"""Convolution layers with a learnable weight and bias: Conv1d/2d/3d, ConvTranspose1d/2d/3d.

A layer is called on an input (the forward pass), keeps what the backward
pass needs, and ``backward(grad_output)`` returns ``dL/dinput`` and adds
``dL/dweight`` and ``dL/dbias`` to ``grad_weight`` and ``grad_bias``, as
torch accumulates ``.grad`` (``zero_grad()`` clears them).  Conventions are
torch's (``torch.nn.Conv2d``, ``torch.nn.ConvTranspose2d``), on numpy arrays;
an optimiser step is plain numpy::

    layer.zero_grad()
    y = layer(x)
    gx = layer.backward(dL_dy)
    layer.weight -= lr * layer.grad_weight

Inputs (and grad_output) of another floating dtype are cast to the dtype of
the layer's weight, as torch's ``x.to(weight.dtype)`` would: the output has
the layer's dtype and ``backward`` returns ``dL/dinput`` in the input's own
dtype.  Non-floating inputs raise TypeError.
"""

import math

import numpy as np

from cyconv.nn import _core

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _Layer:
    """What every convolution layer shares: hyper-parameters, parameters, gradients."""

    _nd = 0
    _transposed = False

    def _setup(self, in_channels, out_channels, kernel_size, stride, dilation, groups, bias,
               dtype, rng, workers):
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
        _core._threads.resolve_workers(workers)
        self.workers = workers

        # torch's default initialisation: kaiming_uniform_(a=sqrt(5)) for the
        # weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias; both
        # bounds are 1/sqrt(fan_in), fan_in = weight.shape[1] * prod(kernel).
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        bound = 1.0 / math.sqrt(shape[1] * math.prod(self.kernel_size))
        self.weight = rng.uniform(-bound, bound, size=shape).astype(self.dtype)
        self.bias = (rng.uniform(-bound, bound, size=self.out_channels).astype(self.dtype)
                     if bias else None)
        self.grad_weight = None
        self.grad_bias = None
        self._saved = None

    def _cast(self, a, what, func):
        """``a`` as an array of the weight's dtype (any floating dtype is accepted)."""
        if not isinstance(a, np.ndarray):
            try:
                a = np.asarray(a)
            except Exception as exc:  # ragged lists and the like
                raise ValueError(f"{func}: {what} could not be converted to an array: "
                                 f"{exc}") from None
        if a.dtype.kind != "f":
            raise TypeError(f"{func}: {what} must be a floating-point array, got dtype {a.dtype}")
        return a, a.astype(self.weight.dtype, copy=False)

    def _grad_output(self, grad_output):
        name = f"{type(self).__name__}.backward"
        if self._saved is None:
            raise RuntimeError(f"{name}: call the layer on an input before backward()")
        _, gy = self._cast(grad_output, "grad_output", name)
        y_shape = self._saved[-1]
        if gy.shape != y_shape:
            raise ValueError(f"{name}: grad_output must have the shape of the last output "
                             f"{y_shape}, got {gy.shape}")
        return gy

    def _accumulate(self, gw, gb):
        """Add the gradients of one backward pass to grad_weight / grad_bias, as torch does."""
        for attr, g in (("grad_weight", gw), ("grad_bias", gb)):
            old = getattr(self, attr)
            if g is None:
                continue
            if (isinstance(old, np.ndarray) and old.shape == g.shape and old.dtype == g.dtype
                    and old.flags.writeable):
                old += g                         # in place, like torch's .grad
            else:
                setattr(self, attr, g if old is None else old + g)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients (``torch.nn.Module.zero_grad``): to None, or to zeros in place.

        Parameters
        ----------
        set_to_none : bool, optional
            True (torch's default): ``grad_weight`` and ``grad_bias`` become
            None.  False: existing gradient arrays are filled with zeros.
        """
        for attr in ("grad_weight", "grad_bias"):
            if set_to_none or getattr(self, attr) is None:
                setattr(self, attr, None)
            else:
                getattr(self, attr)[...] = 0

    def _repr_tail(self):
        s = ""
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.dtype != np.float32:
            s += f", dtype={self.dtype}"
        return s + ")"


class _ConvNd(_Layer):

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", dtype=np.float32, rng=None, *,
                 workers=None):
        name = type(self).__name__
        nd = self._nd
        self._setup(in_channels, out_channels, kernel_size, stride, dilation, groups, bias,
                    dtype, rng, workers)
        # checks padding (and 'same' with a stride) now rather than at the first call
        self._pads = _core._padding(padding, nd, self.kernel_size, self.dilation, self.stride,
                                    name)
        self.padding = padding if isinstance(padding, str) else \
            _core._int_tuple(padding, nd, "padding", name, 0)
        if not isinstance(padding_mode, str) or padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {', '.join(PADDING_MODES)}, "
                             f"got {padding_mode!r}")
        self.padding_mode = padding_mode

    def _hyper(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation,
                    groups=self.groups, workers=self.workers)

    def _mode_padding(self):
        """(left, right) padding applied by padding_mode, or None for zeros (in the kernel)."""
        left, right = self._pads
        if self.padding_mode == "zeros" or not any(left + right):
            return None
        return left, right

    def forward(self, input):
        """The layer's output for ``input``; keeps ``input`` and the weight for :meth:`backward`.

        Parameters
        ----------
        input : array_like
            ``(N, C_in, *spatial)`` or unbatched ``(C_in, *spatial)``, of any
            floating dtype (cast to the layer's).

        Returns
        -------
        ndarray
            ``(N, C_out, *spatial_out)`` (unbatched: without N), the layer's dtype.
        """
        name = type(self).__name__
        x0, x = self._cast(input, "input", name)
        pads = self._mode_padding()
        if pads is None:
            padding = self.padding
        else:
            x = _core.pad(x, *pads, self.padding_mode, self._nd, name)
            padding = 0
        y = _core.forward(self._nd, x, self.weight, self.bias, self.stride, padding,
                          self.dilation, self.groups, self.workers, name)
        # The arrays are kept by reference (no copy): modifying them in place
        # before backward() changes the gradients, as it would in torch
        # without its version check.
        self._saved = (x, x0.dtype, self.weight, padding, y.shape)
        return y

    __call__ = forward

    def backward(self, grad_output):
        """Back-propagate ``grad_output = dL/dy`` through the last forward pass.

        Adds ``dL/dweight`` to ``grad_weight`` and ``dL/dbias`` to
        ``grad_bias`` (None without a bias) -- each is set by the first call
        after :meth:`zero_grad` -- and returns ``dL/dinput``.

        Parameters
        ----------
        grad_output : array_like
            The shape of the last output; any floating dtype.

        Returns
        -------
        ndarray
            ``dL/dinput``, the shape and dtype of the last input.

        Raises
        ------
        RuntimeError
            If the layer has not been called yet.
        ValueError, TypeError
            If ``grad_output`` does not have the last output's shape or is not
            a floating-point array.
        """
        name = f"{type(self).__name__}.backward"
        gy = self._grad_output(grad_output)
        x, x_dtype, w, padding, _ = self._saved
        h = (self.stride, padding, self.dilation, self.groups, self.workers)
        gx = _core.grad_input(self._nd, x.shape, w, gy, *h, name)
        pads = self._mode_padding()
        if pads is not None and padding == 0:
            gx = _core.fold_padding(gx, *pads, self.padding_mode, self._nd)
        gw = _core.grad_weight(self._nd, x, w.shape, gy, *h, name)
        gb = _core.grad_bias(gy, self._nd, name) if self.bias is not None else None
        self._accumulate(gw, gb)
        return gx.astype(x_dtype, copy=False)

    def __repr__(self):
        s = (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
             f"kernel_size={self.kernel_size}, stride={self.stride}")
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding!r}"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        return s + self._repr_tail()


class _ConvTransposeNd(_Layer):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 dtype=np.float32, rng=None, *, workers=None):
        name = type(self).__name__
        nd = self._nd
        self._setup(in_channels, out_channels, kernel_size, stride, dilation, groups, bias,
                    dtype, rng, workers)
        self.padding = _core._int_tuple(padding, nd, "padding", name, 0)
        self.output_padding = _core._transpose_hyper(
            nd, self.kernel_size, self.stride, self.padding, output_padding, self.dilation,
            self.groups, name)[2]
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported for transposed "
                             f"convolutions, got {padding_mode!r}")
        self.padding_mode = padding_mode

    def _output_padding(self, x, output_size, name):
        """output_padding for a requested output size (torch's ConvTranspose rule)."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        size = _core._size(output_size, "output_size", name, (nd, x.ndim - 1, x.ndim))
        size = size[len(size) - nd:]
        op = []
        for ax in range(nd):
            n = x.shape[x.ndim - nd + ax]
            lo = ((n - 1) * self.stride[ax] - 2 * self.padding[ax]
                  + self.dilation[ax] * (self.kernel_size[ax] - 1) + 1)
            hi = lo + self.stride[ax] - 1
            if not lo <= size[ax] <= hi:
                raise ValueError(f"{name}: requested an output size of {size}, but valid sizes "
                                 f"on spatial axis {ax} range from {lo} to {hi} (for an input "
                                 f"of {x.shape[x.ndim - nd:]})")
            op.append(size[ax] - lo)
        return tuple(op)

    def forward(self, input, output_size=None):
        """The layer's output for ``input``; keeps ``input`` and the weight for :meth:`backward`.

        Parameters
        ----------
        input : array_like
            ``(N, C_in, *spatial)`` or unbatched ``(C_in, *spatial)``, of any
            floating dtype (cast to the layer's).
        output_size : sequence of ints, optional
            The wanted output shape (the spatial sizes, optionally preceded
            by N and C_out): picks the output_padding of this call, which
            must lie in ``[0, stride)``, instead of the layer's.

        Returns
        -------
        ndarray
            ``(N, C_out, *spatial_out)`` (unbatched: without N), the layer's dtype.
        """
        name = type(self).__name__
        x0, x = self._cast(input, "input", name)
        if output_size is not None and x.ndim not in (self._nd + 1, self._nd + 2):
            raise ValueError(f"{name}: input must be {self._nd + 2}-D or {self._nd + 1}-D "
                             f"unbatched, got shape {x.shape}")
        op = self._output_padding(x, output_size, name)
        y = _core.conv_transpose(self._nd, x, self.weight, self.bias, self.stride, self.padding,
                                 op, self.groups, self.dilation, self.workers, name)
        self._saved = (x, x0.dtype, self.weight, y.shape)
        return y

    __call__ = forward

    def backward(self, grad_output):
        """Back-propagate ``grad_output = dL/dy`` through the last forward pass.

        Adds ``dL/dweight`` to ``grad_weight`` and ``dL/dbias`` to
        ``grad_bias`` (None without a bias) -- each is set by the first call
        after :meth:`zero_grad` -- and returns ``dL/dinput``.

        Parameters
        ----------
        grad_output : array_like
            The shape of the last output; any floating dtype.

        Returns
        -------
        ndarray
            ``dL/dinput``, the shape and dtype of the last input.

        Raises
        ------
        RuntimeError
            If the layer has not been called yet.
        ValueError, TypeError
            If ``grad_output`` does not have the last output's shape or is not
            a floating-point array.
        """
        gy = self._grad_output(grad_output)
        x, x_dtype, w, _ = self._saved
        gx, gw = _core.conv_transpose_grads(self._nd, x, w, gy, self.stride, self.padding,
                                            self.dilation, self.groups, self.workers)
        name = f"{type(self).__name__}.backward"
        gb = _core.grad_bias(gy, self._nd, name) if self.bias is not None else None
        self._accumulate(gw, gb)
        return gx.astype(x_dtype, copy=False)

    def __repr__(self):
        s = (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
             f"kernel_size={self.kernel_size}, stride={self.stride}")
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding}"
        if self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        return s + self._repr_tail()


_DOC = """{nd}-D convolution layer (``torch.nn.Conv{nd}d``) on numpy arrays.

    ``y = conv{nd}d(x, weight, bias, stride, padding, dilation, groups)``
    (:func:`cyconv.nn.functional.conv{nd}d`); :meth:`backward` gives the
    gradients (:mod:`cyconv.nn.grad`) and adds them up over calls.

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
    padding_mode : {{'zeros', 'reflect', 'replicate', 'circular'}}, optional
        What the padding holds: zeros, the input mirrored at its edge (the
        edge itself not repeated; padding < input size), the edge value
        repeated, or the input wrapped around (padding <= input size);
        torch's rules.
    dtype : {{numpy.float32, numpy.float64}}, optional
        dtype of the parameters and of the output; inputs of another
        floating dtype are cast to it.
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
        Sums of the gradients of every :meth:`backward` since
        :meth:`zero_grad` (None before the first).

    Examples
    --------
{example}
"""

_TDOC = """{nd}-D transposed convolution layer (``torch.nn.ConvTranspose{nd}d``) on numpy arrays.

    ``y = conv_transpose{nd}d(x, weight, bias, stride, padding, output_padding, groups,
    dilation)`` (:func:`cyconv.nn.functional.conv_transpose{nd}d`), the
    adjoint of a ``Conv{nd}d`` from ``out_channels`` to ``in_channels``;
    :meth:`backward` gives the gradients and adds them up over calls.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and of the output.
    kernel_size : int or tuple of {nd} ints
        Size of the kernel.
    stride, padding, output_padding, groups, dilation
        As in :func:`cyconv.nn.functional.conv_transpose{nd}d`.
    bias : bool, optional
        Learn an additive bias per output channel.
    padding_mode : {{'zeros'}}, optional
        Only zeros, as in torch.
    dtype : {{numpy.float32, numpy.float64}}, optional
        dtype of the parameters and of the output; inputs of another
        floating dtype are cast to it.
    rng : numpy.random.Generator or int, optional
        Source of the initial parameters, drawn from
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with
        ``fan_in = out_channels / groups * prod(kernel_size)`` (torch's
        default initialisation, which counts ``weight.shape[1]``).
    workers : int, optional
        Threads of every pass (None = OpenMP's default).

    Attributes
    ----------
    weight : ndarray
        ``(in_channels, out_channels / groups, *kernel_size)``.
    bias : ndarray or None
        ``(out_channels,)``.
    grad_weight, grad_bias : ndarray or None
        Sums of the gradients of every :meth:`backward` since
        :meth:`zero_grad` (None before the first).

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
    >>> circ = nn.Conv1d(1, 1, kernel_size=3, padding=1, padding_mode="circular", bias=False)
    >>> circ.weight[...] = 1
    >>> circ(np.array([[1.0, 2.0, 3.0, 4.0]]))         # the ends see each other
    array([[7., 6., 9., 8.]], dtype=float32)
""",
    2: """    Learn a vertical-edge detector by gradient descent:

    >>> import numpy as np, cyconv
    >>> from cyconv import nn
    >>> X = np.ones((6, 8)); X[:, 2:6] = 0
    >>> Y = cyconv.correlate(X, [[1, -1]], "valid")
    >>> X, Y = X.reshape(1, 1, 6, 8), Y.reshape(1, 1, 6, 7)
    >>> layer = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False, dtype=np.float64, rng=0)
    >>> for epoch in range(10):
    ...     layer.zero_grad()                            # backward() adds to grad_weight
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

_TEXAMPLES = {
    1: """    >>> import numpy as np
    >>> from cyconv import nn
    >>> up = nn.ConvTranspose1d(4, 2, kernel_size=4, stride=2, padding=1, rng=0)
    >>> y = up(np.ones((3, 4, 10), dtype=np.float32))
    >>> y.shape, up.weight.shape
    ((3, 2, 20), (4, 2, 4))
    >>> up(np.ones((3, 4, 10)), output_size=(21,)).shape   # float64 input: cast
    (3, 2, 21)
""",
    2: """    A decoder step that doubles the resolution, then its backward pass:

    >>> import numpy as np
    >>> from cyconv import nn
    >>> up = nn.ConvTranspose2d(32, 16, kernel_size=4, stride=2, padding=1, rng=0)
    >>> x = np.ones((8, 32, 16, 16), dtype=np.float32)
    >>> y = up(x)
    >>> y.shape
    (8, 16, 32, 32)
    >>> gx = up.backward(np.ones_like(y))
    >>> gx.shape, up.grad_weight.shape, up.grad_bias.shape
    ((8, 32, 16, 16), (32, 16, 4, 4), (16,))
    >>> up
    ConvTranspose2d(32, 16, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))
""",
    3: """    >>> import numpy as np
    >>> from cyconv import nn
    >>> up = nn.ConvTranspose3d(2, 2, kernel_size=3, stride=2, output_padding=1, groups=2, rng=0)
    >>> up(np.zeros((2, 4, 4, 4), dtype=np.float32)).shape      # unbatched
    (2, 10, 10, 10)
""",
}


class Conv1d(_ConvNd):
    _nd = 1


class Conv2d(_ConvNd):
    _nd = 2


class Conv3d(_ConvNd):
    _nd = 3


class ConvTranspose1d(_ConvTransposeNd):
    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    _nd = 3


for _cls in (Conv1d, Conv2d, Conv3d):
    _cls.__doc__ = _DOC.format(nd=_cls._nd, example=_EXAMPLES[_cls._nd])
for _tcls in (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d):
    _tcls.__doc__ = _TDOC.format(nd=_tcls._nd, example=_TEXAMPLES[_tcls._nd])
del _cls, _tcls

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
           "PADDING_MODES"]
