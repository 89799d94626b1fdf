"""Convolution of batched, multi-channel arrays with torch's semantics: conv1d, conv2d, conv3d
and the transposed convolutions conv_transpose1d, conv_transpose2d, conv_transpose3d.

``y[n, o] = bias[o] + sum_c sum_t weight[o, c, t] * x[n, g*C_in/groups + c, s*i + d*t - p]``
(a cross-correlation: the kernel is not flipped), computed by cyconv's nogil
OpenMP kernels.  Layout ``(N, C, *spatial)``; an unbatched ``(C, *spatial)``
input gives an unbatched output.

``conv_transposeNd`` is the adjoint of ``convNd`` in its input (what
``nn.grad.convNd_input`` computes), with torch's weight layout
``(C_in, C_out / groups, *kernel)`` and output size
``(L - 1) s - 2 p + d (k - 1) + output_padding + 1``.
"""

from cyconv.nn import _core

_COMMON = """
    Parameters
    ----------
    input : array_like
        ``(N, C_in, {axes})`` or unbatched ``(C_in, {axes})``; float32 or float64.
    weight : array_like
        ``(C_out, C_in / groups, {kaxes})``, the dtype of ``input``.
    bias : array_like, optional
        ``(C_out,)``, added to every output position of its channel.
    stride : int or tuple of {nd} ints, optional
        Step between output positions, per axis (>= 1).
    padding : int, tuple of {nd} ints, 'valid' or 'same', optional
        Zeros added on both sides of every spatial axis.  ``'valid'`` is 0;
        ``'same'`` keeps the input size (stride 1 only), putting the extra
        zero of an even kernel extent on the right, as torch does.
    dilation : int or tuple of {nd} ints, optional
        Spacing between kernel taps (>= 1).
    groups : int, optional
        Split the channels into this many independent groups (divides
        ``C_in`` and ``C_out``).
    workers : int, optional
        Threads, as in :func:`cyconv.correlate` (None = OpenMP's default).

    Returns
    -------
    ndarray
        ``(N, C_out, {oaxes})`` (unbatched: without N), the dtype of ``input``;
        each output size is ``(L + 2 p - d (k - 1) - 1) // s + 1``.

    Raises
    ------
    TypeError
        A non-float array, mismatched dtypes, or a non-integer hyper-parameter.
    ValueError
        Shapes that do not fit together, non-positive stride/dilation/groups,
        negative padding, or an input smaller than the dilated kernel.
"""


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, workers=None):
    return _core.forward(1, input, weight, bias, stride, padding, dilation, groups, workers,
                         "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, workers=None):
    return _core.forward(2, input, weight, bias, stride, padding, dilation, groups, workers,
                         "conv2d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, workers=None):
    return _core.forward(3, input, weight, bias, stride, padding, dilation, groups, workers,
                         "conv3d")


conv1d.__doc__ = """1-D convolution layer forward pass (``torch.nn.functional.conv1d``).
""" + _COMMON.format(axes="L", kaxes="k", oaxes="L_out", nd=1) + """
    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import nn
    >>> x = np.array([[[1.0, 2.0, 3.0, 4.0]]])          # (N=1, C_in=1, L=4)
    >>> w = np.array([[[1.0, -1.0]]])                   # (C_out=1, C_in=1, k=2)
    >>> nn.functional.conv1d(x, w)
    array([[[-1., -1., -1.]]])
    >>> nn.functional.conv1d(x, w, padding="same").shape
    (1, 1, 4)
"""

conv2d.__doc__ = """2-D convolution layer forward pass (``torch.nn.functional.conv2d``).
""" + _COMMON.format(axes="H, W", kaxes="kH, kW", oaxes="H_out, W_out", nd=2) + """
    Examples
    --------
    Two input channels summed by one kernel each, three output channels:

    >>> import numpy as np
    >>> from cyconv import nn
    >>> X0 = np.arange(9.0).reshape(3, 3)
    >>> x = np.stack([X0, X0 + 1])[None]                # (1, 2, 3, 3)
    >>> K0 = np.array([[0.0, 1.0], [2.0, 3.0]])
    >>> K = np.stack([K0, K0 + 1])                      # (2, 2, 2)
    >>> w = np.stack([K, K + 1, K + 2])                 # (3, 2, 2, 2)
    >>> nn.functional.conv2d(x, w)[0]
    array([[[ 56.,  72.],
            [104., 120.]],
    <BLANKLINE>
           [[ 76., 100.],
            [148., 172.]],
    <BLANKLINE>
           [[ 96., 128.],
            [192., 224.]]])
"""

conv3d.__doc__ = """3-D convolution layer forward pass (``torch.nn.functional.conv3d``).
""" + _COMMON.format(axes="D, H, W", kaxes="kD, kH, kW", oaxes="D_out, H_out, W_out", nd=3) + """
    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import nn
    >>> x = np.ones((2, 3, 4, 4, 4), dtype=np.float32)  # (N, C_in, D, H, W)
    >>> w = np.ones((5, 3, 3, 3, 3), dtype=np.float32)  # (C_out, C_in, kD, kH, kW)
    >>> y = nn.functional.conv3d(x, w, stride=2, padding=1)
    >>> y.shape, y.dtype
    ((2, 5, 2, 2, 2), dtype('float32'))
    >>> float(y[0, 0, 0, 0, 0]), float(y[0, 0, 1, 1, 1])  # corner: 3 x 2 x 2 x 2 taps inside
    (24.0, 81.0)
"""

_TRANSPOSE = """
    Parameters
    ----------
    input : array_like
        ``(N, C_in, {axes})`` or unbatched ``(C_in, {axes})``; float32 or float64.
    weight : array_like
        ``(C_in, C_out / groups, {kaxes})``, the dtype of ``input`` (torch's
        layout for transposed convolutions: the weight of the convolution
        this one transposes).
    bias : array_like, optional
        ``(C_out,)``, added to every output position of its channel.
    stride : int or tuple of {nd} ints, optional
        Step between the output positions an input position feeds (>= 1).
    padding : int or tuple of {nd} ints, optional
        ``dilation * (k - 1) - padding`` zeros are added on both sides of
        the input; i.e. ``padding`` outputs are cropped from each end.
    output_padding : int or tuple of {nd} ints, optional
        Extra outputs on the far end of every axis (each smaller than the
        stride or the dilation of its axis), to pick one of the input sizes
        a strided convolution maps to the same output size.
    groups : int, optional
        Split the channels into this many independent groups (divides
        ``C_in``).
    dilation : int or tuple of {nd} ints, optional
        Spacing between kernel taps (>= 1).
    workers : int, optional
        Threads, as in :func:`cyconv.correlate` (None = OpenMP's default).

    Returns
    -------
    ndarray
        ``(N, C_out, {oaxes})`` (unbatched: without N), the dtype of ``input``;
        each output size is ``(L - 1) s - 2 p + d (k - 1) + output_padding + 1``.

    Raises
    ------
    TypeError
        A non-float array, mismatched dtypes, or a non-integer hyper-parameter.
    ValueError
        Shapes that do not fit together, non-positive stride/dilation/groups,
        negative padding, a too large output_padding, or an empty output.
"""


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, *, workers=None):
    return _core.conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups,
                                dilation, workers, "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, *, workers=None):
    return _core.conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups,
                                dilation, workers, "conv_transpose2d")


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, *, workers=None):
    return _core.conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups,
                                dilation, workers, "conv_transpose3d")


conv_transpose1d.__doc__ = """1-D transposed convolution (``torch.nn.functional.conv_transpose1d``).
""" + _TRANSPOSE.format(axes="L", kaxes="k", oaxes="L_out", nd=1) + """
    Examples
    --------
    Each input value stamps the kernel into the output, ``stride`` apart:

    >>> import numpy as np
    >>> from cyconv import nn
    >>> x = np.array([[[1.0, 2.0, 3.0]]])               # (N=1, C_in=1, L=3)
    >>> w = np.array([[[1.0, 10.0]]])                   # (C_in=1, C_out=1, k=2)
    >>> nn.functional.conv_transpose1d(x, w)
    array([[[ 1., 12., 23., 30.]]])
    >>> nn.functional.conv_transpose1d(x, w, stride=2)
    array([[[ 1., 10.,  2., 20.,  3., 30.]]])
    >>> nn.functional.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1)
    array([[[10.,  2., 20.,  3., 30.]]])
"""

conv_transpose2d.__doc__ = """2-D transposed convolution (``torch.nn.functional.conv_transpose2d``).
""" + _TRANSPOSE.format(axes="H, W", kaxes="kH, kW", oaxes="H_out, W_out", nd=2) + """
    Examples
    --------
    Upsampling by 2 with a 4x4 kernel, the decoder step of a U-Net:

    >>> import numpy as np
    >>> from cyconv import nn
    >>> x = np.ones((8, 32, 16, 16), dtype=np.float32)
    >>> w = np.ones((32, 16, 4, 4), dtype=np.float32)  # (C_in, C_out, kH, kW)
    >>> y = nn.functional.conv_transpose2d(x, w, stride=2, padding=1)
    >>> y.shape, y.dtype
    ((8, 16, 32, 32), dtype('float32'))
    >>> float(y[0, 0, 0, 0]), float(y[0, 0, 5, 5])  # 32 channels x 1 tap (corner) or 2 x 2
    (32.0, 128.0)
"""

conv_transpose3d.__doc__ = """3-D transposed convolution (``torch.nn.functional.conv_transpose3d``).
""" + _TRANSPOSE.format(axes="D, H, W", kaxes="kD, kH, kW", oaxes="D_out, H_out, W_out",
                        nd=3) + """
    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import nn
    >>> x = np.ones((2, 4, 3, 3, 3))
    >>> w = np.ones((4, 3, 2, 2, 2))                    # groups=2: 3 outputs per group
    >>> nn.functional.conv_transpose3d(x, w, stride=2, groups=2).shape
    (2, 6, 6, 6, 6)
"""

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]
