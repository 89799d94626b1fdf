"""scipy.ndimage's linear filters on cyconv's nogil OpenMP kernels.

A drop-in for ``scipy.ndimage``'s correlation-based filters: ``from cyconv
import ndimage`` instead of ``from scipy import ndimage`` gives the same
signatures and answers, computed on every core.  Every function also takes
``workers=`` (the thread policy of :func:`cyconv.correlate`).

Every filter reduces to the kernel family of :mod:`cyconv._signal`, the
direct correlation ``out[o] = sum_t k[t] * x_ext[o + t - pad]`` with
``pad = k // 2 + origin``, where ``x_ext`` is the input extended by the
boundary mode.  The kernels read the border bands through the mode's index
map (``_correlate.pxi``); the interior runs the branch-free SIMD loops.  No
padded copy of the input is made.  Separable filters run as 1-D passes, each
one kernel call on all cores, along any axis without transposing.

Where cyconv differs from scipy.ndimage (all documented in the README):

* integer input with integer weights (``sobel``, ``prewitt``, ``laplace``,
  ``uniform_filter``, integer ``weights``) is accumulated exactly (scipy goes
  through float64, and its running sums drift); results that overflow the
  output type wrap around;
* no weight is dropped (scipy ignores weights below DBL_EPSILON);
* float32 (and float16) data with a float32 output is computed in float32;
* ``mode='valid'`` (an extension) returns only the outputs whose window lies
  inside the input, of shape ``n - k + 1`` per filtered axis;
* float16 input is accepted (computed in float32);
* large kernels of float data go to the FFT (or Winograd) method where
  ``cyconv.correlate``'s ``auto`` would take it (never integers, whose
  direct sums are exact);
* argument errors are ``ValueError``/``TypeError`` naming the argument; where
  scipy raises ``RuntimeError`` the exception is also a ``RuntimeError``, so
  code that caught scipy's keeps working.

Examples
--------
>>> import numpy as np
>>> from cyconv import ndimage
>>> a = np.arange(25).reshape(5, 5)
>>> ndimage.correlate(a, [[0, 1, 0], [1, 1, 1], [0, 1, 0]])[2, 2]
np.int64(60)
>>> ndimage.gaussian_filter(np.arange(50, step=2).reshape(5, 5), sigma=1)[0]
array([ 4,  6,  8,  9, 11])
"""

import numbers
import operator
import threading
import warnings

import numpy as np

from cyconv import _fft, _signal, _threads
from cyconv._dispatch import kernels as _kernels

__all__ = ["correlate", "convolve", "correlate1d", "convolve1d", "uniform_filter1d",
           "uniform_filter", "gaussian_filter1d", "gaussian_filter", "sobel", "prewitt",
           "laplace", "gaussian_laplace", "gaussian_gradient_magnitude", "generic_laplace",
           "generic_gradient_magnitude"]


class NdimageArgumentError(ValueError, RuntimeError):
    """A bad argument where scipy.ndimage raises RuntimeError (both classes)."""


# scipy.ndimage's mode names -> the kernels' border codes (_kernels.pxd)
_BORDERS = {"reflect": 2, "grid-mirror": 2, "constant": 1, "grid-constant": 1,
            "nearest": 4, "mirror": 3, "wrap": 5, "grid-wrap": 5}
_BORDER_ZERO = 0
_MODE_NAMES = tuple(_BORDERS) + ("valid",)
# dtypes the kernels compute in
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_C64, _C128 = np.dtype(np.complex64), np.dtype(np.complex128)
_U64 = np.dtype(np.uint64)
_KERNEL_MAX_NDIM = 31


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------

def _as_array(a, name):
    """The signal front's dtype rules, less long double (scipy.ndimage has none)."""
    a = _signal._as_input(a, name)
    if a.dtype.kind in "fc" and a.dtype.itemsize > (8 if a.dtype.kind == "f" else 16):
        raise TypeError(f"{name} has dtype {a.dtype}; cyconv.ndimage computes bool, integer, "
                        "float16/32/64 and complex64/128 data")
    return a


def _check_mode(mode, name="mode"):
    try:
        return _signal._check_choice(mode, name, _MODE_NAMES)
    except ValueError as exc:  # scipy raises RuntimeError for an unknown mode
        raise NdimageArgumentError(str(exc)) from None


def _sequence(value, n, name):
    """scipy's _normalize_sequence: a scalar repeated, or a sequence of length n."""
    if not isinstance(value, str) and np.iterable(value):
        value = list(value)
        if len(value) != n:
            raise NdimageArgumentError(f"{name}: sequence argument must have length equal to input "
                                       f"rank ({n} filtered axes), got {len(value)}")
        return value
    return [value] * n


def _axis(axis, ndim, name="axis"):
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name}: {type(axis).__name__!r} object cannot be interpreted as an "
                        "integer") from None
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(f"{name} {axis} is out of range for a {ndim}-D input")
    return axis % ndim


def _axes(axes, ndim):
    """scipy's _check_axes: None = every axis; unique, in range."""
    if axes is None:
        return tuple(range(ndim))
    if np.isscalar(axes):
        axes = (axes,)
    try:
        axes = tuple(axes)
    except TypeError:
        raise TypeError("axes must be an int, a sequence of ints or None") from None
    axes = tuple(_axis(ax, ndim, "axes entry") for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axes must be unique, got {axes}")
    return axes


def _origin(origin, size, name="origin"):
    try:
        origin = operator.index(origin)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(origin).__name__}") from None
    if not -(size // 2) <= origin <= (size - 1) // 2:
        raise ValueError(f"Invalid {name} {origin}: a filter of size {size} needs "
                         f"{-(size // 2)} <= {name} <= {(size - 1) // 2}")
    return origin


def _output(output, input, shape, complex_output):
    """The output array, as scipy's _get_output makes it (an array is checked, not copied)."""
    if output is None:
        dt = input.dtype.newbyteorder("=")  # native order, as scipy's dtype.name
        dt = np.promote_types(dt, np.complex64) if complex_output else dt
        return np.empty(shape, dtype=dt)  # every filter writes every element
    if isinstance(output, (type, np.dtype, str)):
        try:
            dt = np.dtype(output)
        except TypeError:
            raise TypeError(f"output must be an array or a dtype, got {output!r}") from None
        if dt.kind not in "biufc":
            raise TypeError(f"output dtype must be numeric, got {dt}")
        if complex_output and dt.kind != "c":
            if isinstance(output, str):
                raise NdimageArgumentError(f"output must have a complex dtype, got {dt}")
            warnings.warn("promoting specified output dtype to complex", stacklevel=4)
            dt = np.promote_types(dt, np.complex64)
        return np.empty(shape, dtype=dt)  # every filter writes every element
    if not isinstance(output, np.ndarray):
        raise TypeError(f"output must be None, a dtype or a numpy array, got {type(output).__name__}")
    if output.shape != tuple(shape):
        raise NdimageArgumentError(f"output has shape {output.shape}; this filter's output has "
                                   f"shape {tuple(shape)}")
    if complex_output and output.dtype.kind != "c":
        raise NdimageArgumentError(f"output must have a complex dtype, got {output.dtype}")
    if output.dtype.kind not in "biufc":
        raise TypeError(f"output dtype must be numeric, got {output.dtype}")
    if not output.flags.writeable:
        raise ValueError("output array is read-only")
    return output


def _cval(cval, complex_data):
    arr = np.asarray(cval)
    if arr.size != 1 or arr.dtype.kind not in "biufc":
        raise TypeError(f"cval must be a number, got {cval!r}")
    value = arr.reshape(()).item()
    if isinstance(value, complex) and not complex_data:
        if value.imag != 0:
            raise ValueError("Cannot provide a complex-valued cval when the input is real.")
        value = value.real
    return value


# --------------------------------------------------------------------------
# the compute dtype and the kernel call
# --------------------------------------------------------------------------

def _integral(a):
    return a.dtype.kind in "biu" or bool(np.all(np.isfinite(a)) and np.all(a == np.round(a)))


def _compute_dtype(src, weights, cval, out_dtype, border):
    """The dtype the kernel computes in, and whether its result is exact integers.

    Integer data with integer weights (and cval) is computed exactly: in
    float32 or float64 while ``max|x| * sum|w|`` stays below 2**24 / 2**53
    (every partial sum is then exact, and SIMD-fast), else, for an integer
    output, in 64-bit integers that wrap as the output does (a float output
    gets float64, as in scipy).  Real float32/float16 data into a float32/float16
    output stays float32; everything else computes in float64 (complex128).
    """
    complex_data = src.dtype.kind == "c" or weights.dtype.kind == "c" or out_dtype.kind == "c"
    if complex_data:
        single = src.dtype in (_C64, _F32, np.dtype(np.float16)) and out_dtype == _C64 \
            and weights.dtype.kind != "c" or (src.dtype == _C64 and out_dtype == _C64)
        return (_C64 if single else _C128), False
    if src.dtype.kind in "biu" and _integral(weights) and \
            (border != 1 or float(cval) == round(float(cval))):
        if src.dtype.itemsize <= 2:
            info = np.iinfo(src.dtype) if src.dtype.kind != "b" else np.iinfo(np.uint8)
            top = max(-int(info.min), int(info.max))
        else:  # wide integers: the data's own range decides
            top = max(-int(src.min()), int(src.max())) if src.size else 0
        if border == 1:
            top = max(top, abs(int(cval)))
        bound = top * int(np.abs(weights.astype(np.float64)).sum())
        if bound < 2**24:
            return _F32, True
        if bound < 2**53:
            return _F64, True
        if out_dtype.kind in "biu":  # wraps like the integer output it lands in
            return _U64, True
    if src.dtype.kind == "f" and src.dtype.itemsize <= 4 and out_dtype.kind == "f" \
            and out_dtype.itemsize <= 4:
        return _F32, False
    return _F64, False


def _kernel_dtype_array(a, cdt):
    """``a`` as a C-contiguous array of the compute dtype (integers wrap into uint64)."""
    if cdt == _U64 and a.dtype.kind != "u":
        a = np.asarray(a, dtype=np.int64) if a.dtype.kind in "bi" else np.round(a).astype(np.int64)
        return np.ascontiguousarray(a.view(np.uint64) if a.dtype == np.int64 else a, dtype=_U64)
    a = np.ascontiguousarray(a, dtype=cdt)
    return a if a.flags.aligned else a.copy()  # e.g. unpickled from a byte stream


def _kernel_weights(w, cdt):
    """The weights in the compute dtype.  Rounded to float32, a kernel's sum moves
    by up to ~1e-7 relative, a bias every output inherits (a Gaussian then
    no longer preserves the mean): the largest weight takes up the difference."""
    k = _kernel_dtype_array(w, cdt)
    if cdt == _F32 and k.size > 1:
        k = k.copy()
        flat = k.reshape(-1)
        big = int(np.argmax(np.abs(flat)))
        want = float(np.sum(w, dtype=np.float64))
        flat[big] = np.float32(float(flat[big]) + want - float(np.sum(flat, dtype=np.float64)))
    return k


def _store(buf, output):
    """Cast the kernel's result into ``output`` as scipy's C code does (truncation
    toward zero for integer outputs; integers wrap around)."""
    if output.dtype.kind == "b":
        np.not_equal(buf, 0, out=output)
    elif output.dtype.kind in "iu" and buf.dtype == _U64:
        np.copyto(output, buf.view(np.int64), casting="unsafe")
    elif output.dtype.kind in "iu" and buf.dtype.kind == "f" and not _fits(buf, output.dtype):
        # out of the output's range: through int64, where the cast is defined and wraps
        np.copyto(output, buf.astype(np.int64), casting="unsafe")
    else:
        np.copyto(output, buf, casting="unsafe")


def _fits(buf, dtype):
    """True when every value of the float array ``buf`` lies in the integer ``dtype``'s range."""
    info = np.iinfo(dtype)
    return buf.size == 0 or bool(info.min <= buf.min() and buf.max() <= info.max)


def _direct_into(output, buf):
    """True when the kernel may write its result straight into ``output``."""
    return (output.dtype == buf and output.flags.c_contiguous and output.flags.aligned
            and output.dtype.isnative)


def _kernel_call(x, k, pad, out, border, cval, workers):
    """out = correlation of x (extended by ``border``) with k; all prepared arrays."""
    if x.ndim > _KERNEL_MAX_NDIM:
        # axes where x, k and out all have size 1 change nothing
        keep = [d for d in range(x.ndim) if (x.shape[d], k.shape[d], out.shape[d]) != (1, 1, 1)]
        if len(keep) > _KERNEL_MAX_NDIM:
            raise ValueError(f"input has {len(keep)} axes of size > 1; cyconv.ndimage filters "
                             f"at most {_KERNEL_MAX_NDIM}")
        keep = keep or [x.ndim - 1]
        x, k = x.reshape([x.shape[d] for d in keep]), k.reshape([k.shape[d] for d in keep])
        pad = tuple(pad[d] for d in keep)
        out = out.reshape([out.shape[d] for d in keep])
    work = min(out.size * k.size, 1 << 62)
    tiles = (out.size // out.shape[-1] + 1) // 2 * -(-out.shape[-1] // 1024)
    cv = None
    if border == 1:
        cv = _kernel_dtype_array(np.asarray([cval]), x.dtype)
        if not np.any(cv):
            border, cv = _BORDER_ZERO, None  # a zero constant is the clipped zero extension
    n = _threads.acquire(workers, work, tiles)
    try:
        _kernels.correlate(x, k, out, pad, n, border, cv)
    finally:
        _threads.release(n)


def _filter(src, weights, pad, out_shape, mode, cval, output, workers):
    """One kernel call: ``output = src ⋆ weights`` (same ndim), extended by ``mode``.

    ``pad`` is the per-axis offset (``k // 2 + origin``; 0 in 'valid' mode).
    Writes straight into ``output`` when its layout and dtype allow and it
    does not overlap ``src``; otherwise through one result-sized buffer.
    """
    border = _BORDER_ZERO if mode == "valid" else _BORDERS[mode]
    cdt, exact = _compute_dtype(src, weights, cval, output.dtype, border)
    if src.size == 0 or output.size == 0:
        return output
    x = _kernel_dtype_array(src, cdt)
    k = _kernel_weights(weights, cdt)
    if src.ndim == 0:  # a 0-d input: one product, no axis to extend
        _store(np.asarray(x * k, dtype=cdt).reshape(()), output)
        return output
    if not exact:
        method = _fft.choose_method(x, k, "valid" if mode == "valid" else "same")
        if method != "direct":
            _store(_transformed(x, k, pad, mode, cval, method, workers), output)
            return output
    if _direct_into(output, cdt) and not np.may_share_memory(output, src) \
            and not np.may_share_memory(output, x):
        buf = output
    else:
        buf = np.empty(out_shape, dtype=cdt)
    _kernel_call(x, k, pad, buf, border, cval, workers)
    if buf is not output:
        _store(buf, output)
    return output


_NP_PAD = {"reflect": "symmetric", "grid-mirror": "symmetric", "mirror": "reflect",
           "nearest": "edge", "wrap": "wrap", "grid-wrap": "wrap"}


def _transformed(x, k, pad, mode, cval, method, workers):
    """Large kernels: the FFT (or Winograd) method that ``auto`` picks for the
    same problem in scipy.signal's terms, on x extended by the mode (those
    methods read every input anyway, so the extension is one copy of x).
    Never for exactly computed integers: their rounding is not exact."""
    if mode != "valid":
        widths = [(p, s - 1 - p) for p, s in zip(pad, k.shape)]
        if _BORDERS[mode] == 1:
            x = np.pad(x, widths, mode="constant", constant_values=cval)
        else:
            x = np.pad(x, widths, mode=_NP_PAD[mode])
    # scipy.signal's correlate conjugates its kernel: hand it the conjugate of ours
    return _signal.correlate(x, k.conj() if k.dtype.kind == "c" else k, "valid", method=method,
                             workers=workers)


def _valid_shape(shape, kshape, what):
    out = tuple(n - k + 1 for n, k in zip(shape, kshape))
    if any(o < 1 for o in out):
        raise ValueError(f"mode='valid' needs the input at least as large as {what} on every "
                         f"axis; got input shape {tuple(shape)} and {what} shape {tuple(kshape)}")
    return out


def _weights_1d(weights):
    w = _as_array(weights, "weights")
    if w.ndim != 1 or w.shape[0] < 1:
        raise NdimageArgumentError(f"weights must be a non-empty 1-D sequence, got shape {w.shape}")
    return w


def _correlate1d_into(src, w, axis, output, mode, cval, origin, workers):
    """The 1-D pass: ``output`` = ``src`` correlated with ``w`` along ``axis``."""
    n = src.shape[axis]
    size = w.shape[0]
    if mode == "valid":
        pad = 0
    else:
        pad = size // 2 + origin
    before = int(np.prod(src.shape[:axis], dtype=np.int64))
    after = int(np.prod(src.shape[axis + 1:], dtype=np.int64))
    # (before, n, after) lines, with size-1 ends dropped: the kernels then
    # see a 1-D/2-D/3-D problem whatever the rank, and along a middle axis
    # every load is still a contiguous run of `after` values.
    dims = ([before] if before > 1 else []) + [n] + ([after] if after > 1 else [])
    fax = 1 if before > 1 else 0
    out_n = output.shape[axis]
    kshape = [1] * len(dims)
    kshape[fax] = size
    pads = [0] * len(dims)
    pads[fax] = pad
    out_dims = list(dims)
    out_dims[fax] = out_n
    cdt, exact = _compute_dtype(src, w, cval, output.dtype,
                                _BORDER_ZERO if mode == "valid" else _BORDERS[mode])
    if src.size == 0 or output.size == 0:
        return output
    x = _kernel_dtype_array(src, cdt).reshape(dims)
    k = _kernel_weights(w, cdt).reshape(kshape)
    if _direct_into(output, cdt) and not np.may_share_memory(output, src) \
            and not np.may_share_memory(output, x):
        buf = output.reshape(out_dims)
    else:
        buf = np.empty(out_dims, dtype=cdt)
    _kernel_call(x, k, tuple(pads), buf, _BORDER_ZERO if mode == "valid" else _BORDERS[mode],
                 cval, workers)
    if not np.shares_memory(buf, output):
        _store(buf.reshape(output.shape), output)
    return output


# --------------------------------------------------------------------------
# public API: correlation and convolution
# --------------------------------------------------------------------------

def _complex_output(input, weights):
    return input.dtype.kind == "c" or weights.dtype.kind == "c"


def correlate1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
                workers=None):
    """1-D correlation along ``axis`` (drop-in for ``scipy.ndimage.correlate1d``).

    Parameters
    ----------
    input : array_like
        The input array.
    weights : array_like
        1-D sequence of weights (conjugated when complex, as scipy does).
    axis : int, optional
        The axis of ``input`` along which to correlate (default: the last).
    output : array or dtype, optional
        Where to write the result, or its dtype (default: the input's dtype;
        complex data gives a complex output).
    mode : {'reflect', 'constant', 'nearest', 'mirror', 'wrap', 'grid-mirror', \
'grid-constant', 'grid-wrap', 'valid'}, optional
        How the input is extended beyond its edges, as in scipy.ndimage;
        ``'valid'`` (cyconv's extension) keeps only the outputs whose window
        lies inside the input.
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    origin : int, optional
        Shift of the filter: ``-(len(weights) // 2) <= origin <= (len(weights) - 1) // 2``.
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.

    Returns
    -------
    ndarray
        The correlation, of ``input``'s shape (``'valid'``: shorter along ``axis``).

    Examples
    --------
    >>> from cyconv import ndimage
    >>> ndimage.correlate1d([2, 8, 0, 4, 1, 9, 9, 0], weights=[1, 3])
    array([ 8, 26,  8, 12,  7, 28, 36,  9])
    """
    input = _as_array(input, "input")
    w = _weights_1d(weights)
    if w.dtype.kind == "c":
        w = w.conj()
    axis = _axis(axis, input.ndim)
    _check_mode(mode)
    origin = _origin(origin, w.shape[0])
    _threads.resolve_workers(workers)
    cval = _cval(cval, input.dtype.kind == "c")
    shape = list(input.shape)
    if mode == "valid":
        shape[axis] = _valid_shape(input.shape[axis:axis + 1], w.shape, "weights")[0]
    output = _output(output, input, tuple(shape), _complex_output(input, w))
    return _correlate1d_into(input, w, axis, output, mode, cval, origin, workers)


def convolve1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
               workers=None):
    """1-D convolution along ``axis`` (drop-in for ``scipy.ndimage.convolve1d``).

    ``convolve1d(w, origin=o)`` is ``correlate1d(w[::-1], origin=-o)``, shifted
    one more to the left for even lengths, as in scipy.

    Parameters
    ----------
    input : array_like
        The input array.
    weights : array_like
        1-D sequence of weights.
    axis : int, optional
        The axis along which to convolve.
    output : array or dtype, optional
        Where to write the result, or its dtype.
    mode : str, optional
        Boundary mode (see :func:`correlate1d`).
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    origin : int, optional
        Shift of the filter.
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> from cyconv import ndimage
    >>> ndimage.convolve1d([2, 8, 0, 4, 1, 9, 9, 0], weights=[1, 3])
    array([14, 24,  4, 13, 12, 36, 27,  0])
    """
    w = _weights_1d(weights)[::-1]
    origin = -_origin(origin, w.shape[0])
    if not w.shape[0] & 1:
        origin -= 1
    if w.dtype.kind == "c":
        w = w.conj()  # undone by correlate1d's conjugation
    return correlate1d(input, w, axis, output, mode, cval, origin, workers=workers)


def _correlate_nd(input, weights, output, mode, cval, origin, axes, convolution, workers):
    input = _as_array(input, "input")
    w = _as_array(weights, "weights")
    if not isinstance(mode, str) and np.iterable(mode):
        raise NdimageArgumentError("A sequence of modes is not supported by correlate/convolve "
                                   "(the separable filters take one mode per axis)")
    _check_mode(mode)
    _threads.resolve_workers(workers)
    axes = _axes(axes, input.ndim)
    if w.dtype.kind == "c" and not convolution:
        w = w.conj()  # as np.correlate: conjugate the weights, not the input
    complex_out = _complex_output(input, w)
    cval = _cval(cval, input.dtype.kind == "c")
    if len(axes) < input.ndim:
        if w.ndim != len(axes):
            raise NdimageArgumentError(f"weights.ndim ({w.ndim}) must match len(axes) ({len(axes)})")
        w = np.expand_dims(w, tuple(ax for ax in range(input.ndim) if ax not in axes))
        origins = [0] * input.ndim
        for o, ax in zip(_sequence(origin, len(axes), "origin"), axes):
            origins[ax] = o
    else:
        origins = _sequence(origin, input.ndim, "origin")
    if w.ndim != input.ndim:
        raise NdimageArgumentError(f"weights.ndim ({w.ndim}) must match len(axes) ({len(axes)})")
    if w.size == 0:
        raise NdimageArgumentError("weights must not be empty (no filter weights given)")
    if convolution:
        w = w[(slice(None, None, -1),) * w.ndim]
        origins = [-operator.index(o) - (0 if s & 1 else 1) if isinstance(o, numbers.Integral)
                   else o for o, s in zip(origins, w.shape)]
    origins = [_origin(o, s) for o, s in zip(origins, w.shape)]
    if mode == "valid":
        shape = _valid_shape(input.shape, w.shape, "weights")
        pad = (0,) * input.ndim
    else:
        shape = input.shape
        pad = tuple(s // 2 + o for s, o in zip(w.shape, origins))
    output = _output(output, input, shape, complex_out)
    return _filter(input, w, pad, shape, mode, cval, output, workers)


def correlate(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None,
              workers=None):
    """N-d correlation (drop-in for ``scipy.ndimage.correlate``).

    ``output[i] = sum_j weights[j] * input_ext[i + j - (weights.shape // 2 + origin)]``,
    where ``input_ext`` is ``input`` extended by ``mode``.

    Parameters
    ----------
    input : array_like
        The input array.
    weights : array_like
        Weights, with ``input.ndim`` dimensions (or ``len(axes)``).
    output : array or dtype, optional
        Where to write the result, or its dtype (default: ``input``'s).
    mode : str, optional
        Boundary mode (see :func:`correlate1d`), one for every axis.
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    origin : int or sequence of int, optional
        Shift of the filter per axis.
    axes : tuple of int, optional
        The axes to filter (default: all); ``weights`` then has ``len(axes)``
        dimensions.
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import ndimage
    >>> ndimage.correlate(np.arange(9.0).reshape(3, 3), [[1, 1], [1, 1]], mode="constant")
    array([[ 0.,  1.,  3.],
           [ 3.,  8., 12.],
           [ 9., 20., 24.]])
    """
    return _correlate_nd(input, weights, output, mode, cval, origin, axes, False, workers)


def convolve(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None,
             workers=None):
    """N-d convolution (drop-in for ``scipy.ndimage.convolve``).

    The weights are flipped on every axis and the origins mirrored (one more
    for even sizes) as scipy does.

    Parameters
    ----------
    input : array_like
        The input array.
    weights : array_like
        Weights, with ``input.ndim`` dimensions (or ``len(axes)``).
    output : array or dtype, optional
        Where to write the result, or its dtype.
    mode : str, optional
        Boundary mode (see :func:`correlate1d`).
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    origin : int or sequence of int, optional
        Shift of the filter per axis.
    axes : tuple of int, optional
        The axes to filter (default: all).
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import ndimage
    >>> a = np.array([[1, 2, 0, 0], [5, 3, 0, 4], [0, 0, 0, 7], [9, 3, 0, 0]])
    >>> ndimage.convolve(a, [[1, 1, 1], [1, 1, 0], [1, 0, 0]], mode="constant")
    array([[11, 10,  7,  4],
           [10,  3, 11, 11],
           [15, 12, 14,  7],
           [12,  3,  7,  0]])
    """
    return _correlate_nd(input, weights, output, mode, cval, origin, axes, True, workers)


# --------------------------------------------------------------------------
# separable filters
# --------------------------------------------------------------------------

def _passes(input, output, steps, cval, workers):
    """Run 1-D passes ``(axis, weights, mode, origin)`` in order, each reading the
    previous one's result, stored in ``output``'s dtype as scipy stores it.

    Consecutive passes alternate between ``output`` and one scratch array so
    that no pass reads what it writes and the last lands in ``output``.
    """
    src = input
    n = len(steps)
    scratch = None
    for idx, (axis, w, mode, origin) in enumerate(steps):
        shape = list(src.shape)
        if mode == "valid":
            shape[axis] = _valid_shape(src.shape[axis:axis + 1], w.shape, "the filter")[0]
        shape = tuple(shape)
        last = idx == n - 1
        if last:
            dst = output
        elif mode != "valid" and (n - 1 - idx) % 2 == 0 and not np.may_share_memory(output, src):
            dst = output
        else:
            if scratch is None:
                scratch = _reused_buffer(shape, output.dtype)
            elif scratch.shape != shape or np.may_share_memory(scratch, src):
                scratch = np.empty(shape, dtype=output.dtype)  # never the reused one twice
            dst = scratch
        if np.may_share_memory(dst, src):
            tmp = np.empty(shape, dtype=output.dtype)
            _correlate1d_into(src, w, axis, tmp, mode, cval, origin, workers)
            dst[...] = tmp
        else:
            _correlate1d_into(src, w, axis, dst, mode, cval, origin, workers)
        src = dst
    return output


_BUFFERS = threading.local()


def _reused_buffer(shape, dtype):
    """An intermediate array of ``shape``, reused by this thread's next filter
    call of the same size: a fresh one costs a page fault per 4 KiB on first
    write (16 MB: ~2 ms, a tenth of a 2048^2 Gaussian).  At most one is held
    per thread; it never leaves this module, and a filter asks for it at most
    once per call (a second call would hand out the same memory)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    held = getattr(_BUFFERS, "buf", None)
    if held is None or held.nbytes != nbytes:
        held = _BUFFERS.buf = np.empty(nbytes, dtype=np.uint8)
    return held.view(dtype).reshape(shape)


def _separable(input, output, steps, cval, workers):
    """Output shape, allocation and the passes of a separable filter."""
    shape = list(input.shape)
    for axis, w, mode, _ in steps:
        if mode == "valid":
            shape[axis] = _valid_shape(shape[axis:axis + 1], w.shape, "the filter")[0]
    output = _output(output, input, tuple(shape), input.dtype.kind == "c")
    if not steps:
        output[...] = input
        return output
    return _passes(input, output, steps, cval, workers)


def uniform_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *,
                     workers=None):
    """1-D mean over ``size`` neighbours (drop-in for ``scipy.ndimage.uniform_filter1d``).

    Integer data is summed exactly, then divided and truncated toward zero
    (scipy's running float64 sums can land one below an exact mean).

    Parameters
    ----------
    input : array_like
        The input array.
    size : int
        Length of the filter.
    axis : int, optional
        The axis to filter.
    output : array or dtype, optional
        Where to write the result, or its dtype.
    mode : str, optional
        Boundary mode (see :func:`correlate1d`).
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    origin : int, optional
        Shift of the filter.
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> from cyconv import ndimage
    >>> ndimage.uniform_filter1d([2, 8, 0, 4, 1, 9, 9, 0], size=3)
    array([4, 3, 4, 1, 4, 6, 6, 3])
    """
    input = _as_array(input, "input")
    axis = _axis(axis, input.ndim)
    size = _size(size)
    _check_mode(mode)
    _threads.resolve_workers(workers)
    if not 0 <= size // 2 + operator.index(origin) < size:
        raise ValueError(f"invalid origin {origin} for size {size}")
    cval = _cval(cval, input.dtype.kind == "c")
    shape = list(input.shape)
    if mode == "valid":
        shape[axis] = _valid_shape(input.shape[axis:axis + 1], (size,), "the filter")[0]
    output = _output(output, input, tuple(shape), input.dtype.kind == "c")
    return _uniform_pass(input, size, axis, output, mode, cval, origin, workers)


def _size(size, name="size"):
    try:
        size = operator.index(size) if not isinstance(size, float) else int(size)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(size).__name__}") from None
    if size < 1:
        raise NdimageArgumentError(f"{name} must be >= 1, got {size}")
    return size


def _uniform_pass(src, size, axis, output, mode, cval, origin, workers):
    """Sum of ``size`` ones (exact for integers), then the mean, into ``output``."""
    if output.dtype.kind in "biu" or src.dtype.kind in "biu":
        ones = np.ones(size, dtype=np.int64)
        cdt, exact = _compute_dtype(src, ones, cval, output.dtype,
                                    _BORDER_ZERO if mode == "valid" else _BORDERS[mode])
        if exact:
            sums = np.empty(output.shape, dtype=cdt)
            _correlate1d_into(src, ones, axis, sums, mode, cval, origin, workers)
            if cdt == _U64:
                s = sums.view(np.int64)
                mean = np.sign(s) * (np.abs(s) // size)  # truncation toward zero
            else:
                mean = np.divide(sums, size, out=sums)
            _store(mean, output)
            return output
    w = np.full(size, 1.0 / size)
    return _correlate1d_into(src, w, axis, output, mode, cval, origin, workers)


def uniform_filter(input, size=3, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None,
                   workers=None):
    """N-d mean filter as 1-D passes (drop-in for ``scipy.ndimage.uniform_filter``).

    Parameters
    ----------
    input : array_like
        The input array.
    size : int or sequence of int, optional
        Filter length per filtered axis.
    output : array or dtype, optional
        Where to write the result, or its dtype; intermediate passes are
        stored in this dtype, as in scipy.
    mode : str or sequence of str, optional
        Boundary mode, or one per filtered axis.
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    origin : int or sequence of int, optional
        Shift of the filter per axis.
    axes : tuple of int, optional
        The axes to filter (default: all).
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import ndimage
    >>> ndimage.uniform_filter(np.arange(16.0).reshape(4, 4), size=3, mode="nearest")[0]
    array([1.66666667, 2.33333333, 3.33333333, 4.        ])
    """
    input = _as_array(input, "input")
    axes = _axes(axes, input.ndim)
    sizes = [int(s) for s in _sequence(size, len(axes), "size")]  # <= 1: axis skipped, as scipy
    origins = _sequence(origin, len(axes), "origin")
    modes = [_check_mode(m) for m in _sequence(mode, len(axes), "mode")]
    _threads.resolve_workers(workers)
    cval = _cval(cval, input.dtype.kind == "c")
    for s, o in zip(sizes, origins):
        if s > 1 and not 0 <= s // 2 + operator.index(o) < s:
            raise ValueError(f"invalid origin {o} for size {s}")
    todo = [(ax, s, m, o) for ax, s, m, o in zip(axes, sizes, modes, origins) if s > 1]
    shape = list(input.shape)
    for ax, s, m, _ in todo:
        if m == "valid":
            shape[ax] = _valid_shape(shape[ax:ax + 1], (s,), "the filter")[0]
    output = _output(output, input, tuple(shape), input.dtype.kind == "c")
    if not todo:
        output[...] = input
        return output
    if _integer_means(input, output, todo, cval, workers):
        return output
    src = input
    for idx, (ax, s, m, o) in enumerate(todo):
        pshape = list(src.shape)
        if m == "valid":
            pshape[ax] -= s - 1
        dst = output if idx == len(todo) - 1 else np.empty(pshape, dtype=output.dtype)
        if np.may_share_memory(dst, src):
            tmp = np.empty(pshape, dtype=output.dtype)
            _uniform_pass(src, s, ax, tmp, m, cval, o, workers)
            dst[...] = tmp
        else:
            _uniform_pass(src, s, ax, dst, m, cval, o, workers)
        src = dst
    return output


def _int_range(dtype):
    info = np.iinfo(np.uint8 if dtype.kind == "b" else dtype)
    return (0, 1) if dtype.kind == "b" else (int(info.min), int(info.max))


def _integer_means(src, output, todo, cval, workers):
    """uniform_filter of integers into an integer output wide enough for them:
    the passes' truncated means held as exact integers in one float buffer
    chain (float32 while ``max|x| * size < 2**24``), cast to ``output`` once.
    Each pass sums exactly, divides and truncates toward zero, exactly as
    storing every pass in ``output``'s dtype would; the per-pass integer
    conversions were most of the time.  Returns False where it does not apply."""
    if src.dtype.kind not in "biu" or output.dtype.kind not in "iu":
        return False
    lo, hi = _int_range(src.dtype)
    olo, ohi = _int_range(output.dtype)
    constant = any(_BORDERS.get(m) == 1 for _, _, m, _ in todo)
    if not olo <= lo <= hi <= ohi or (constant and not (float(cval).is_integer()
                                                        and lo <= cval <= hi)):
        return False
    top = max(-lo, hi) * max(s for _, s, _, _ in todo)
    if top >= 2**53:
        return False
    cdt = _F32 if top < 2**24 else _F64
    cur = np.ascontiguousarray(src, dtype=cdt)  # a copy: src is integer
    spare = None
    for ax, size, mode, origin in todo:
        shape = list(cur.shape)
        if mode == "valid":
            shape[ax] -= size - 1
        # ping-pong between the converted input and one reused buffer
        if spare is not None and spare.shape == tuple(shape):
            sums = spare
        else:
            sums = _reused_buffer(shape, cdt) if spare is None else np.empty(shape, dtype=cdt)
        spare = cur
        _correlate1d_into(cur, np.ones(size), ax, sums, mode, cval, origin, workers)
        np.trunc(np.divide(sums, size, out=sums), out=sums)
        cur = sums
    np.copyto(output, cur, casting="unsafe")
    return True


def _gaussian_kernel1d(sigma, order, radius):
    """Samples of the Gaussian (or its ``order``-th derivative) at -radius..radius,
    the Gaussian normalised to sum 1 (as scipy's)."""
    if order < 0:
        raise ValueError(f"order must be non-negative, got {order}")
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    s2 = float(sigma) ** 2
    phi = np.exp(-0.5 / s2 * x * x)
    phi /= phi.sum()
    if order == 0:
        return phi
    # d^n/dx^n phi = q_n(x) phi, with q_0 = 1 and q_{n+1} = q_n' - x q_n / sigma^2;
    # q is kept as polynomial coefficients (lowest power first).
    q = np.zeros(order + 1)
    q[0] = 1.0
    powers = np.arange(order + 1)
    for _ in range(order):
        dq = np.zeros_like(q)
        dq[:-1] = q[1:] * powers[1:]
        xq = np.zeros_like(q)
        xq[1:] = q[:-1] / s2
        q = dq - xq
    return (x[:, None] ** powers) @ q * phi


def _gaussian_weights(sigma, order, truncate, radius):
    sd = float(sigma)
    lw = int(float(truncate) * sd + 0.5) if radius is None else radius
    if not isinstance(lw, numbers.Integral) or lw < 0:
        raise ValueError(f"radius must be a non-negative integer, got {lw!r}")
    try:
        order = operator.index(order)
    except TypeError:
        raise TypeError(f"order must be an int, got {type(order).__name__}") from None
    # correlate1d, not convolve: reverse the kernel (odd derivatives are odd)
    return _gaussian_kernel1d(sd, order, int(lw))[::-1].copy()


def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0,
                      truncate=4.0, *, radius=None, workers=None):
    """1-D Gaussian filter (drop-in for ``scipy.ndimage.gaussian_filter1d``).

    Parameters
    ----------
    input : array_like
        The input array.
    sigma : float
        Standard deviation of the Gaussian.
    axis : int, optional
        The axis to filter.
    order : int, optional
        0 smooths; n > 0 convolves with the n-th derivative of the Gaussian.
    output : array or dtype, optional
        Where to write the result, or its dtype.
    mode : str, optional
        Boundary mode (see :func:`correlate1d`).
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    truncate : float, optional
        The kernel's radius in standard deviations, ``int(truncate * sigma + 0.5)``.
    radius : int, optional
        The kernel's radius (overrides ``truncate``).
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> from cyconv import ndimage
    >>> ndimage.gaussian_filter1d([1.0, 2.0, 3.0, 4.0, 5.0], 1)
    array([1.42704095, 2.06782203, 3.        , 3.93217797, 4.57295905])
    """
    w = _gaussian_weights(sigma, order, truncate, radius)
    return correlate1d(input, w, axis, output, mode, cval, 0, workers=workers)


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0,
                    *, radius=None, axes=None, workers=None):
    """N-d Gaussian filter as 1-D passes (drop-in for ``scipy.ndimage.gaussian_filter``).

    Parameters
    ----------
    input : array_like
        The input array.
    sigma : float or sequence of float
        Standard deviation per filtered axis; axes with ``sigma <= 1e-15`` are skipped.
    order : int or sequence of int, optional
        Derivative order per axis (0 smooths).
    output : array or dtype, optional
        Where to write the result, or its dtype; intermediate passes are
        stored in this dtype, as in scipy.
    mode : str or sequence of str, optional
        Boundary mode, or one per filtered axis.
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    truncate : float, optional
        Kernel radius in standard deviations.
    radius : int or sequence of int, optional
        Kernel radius per axis (overrides ``truncate``).
    axes : tuple of int, optional
        The axes to filter (default: all).
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import ndimage
    >>> ndimage.gaussian_filter(np.arange(50, step=2).reshape(5, 5), sigma=1)
    array([[ 4,  6,  8,  9, 11],
           [10, 12, 14, 15, 17],
           [20, 22, 24, 25, 27],
           [29, 31, 33, 34, 36],
           [35, 37, 39, 40, 42]])
    """
    input = _as_array(input, "input")
    axes = _axes(axes, input.ndim)
    n = len(axes)
    orders = _sequence(order, n, "order")
    sigmas = _sequence(sigma, n, "sigma")
    modes = [_check_mode(m) for m in _sequence(mode, n, "mode")]
    radii = _sequence(radius, n, "radius")
    _threads.resolve_workers(workers)
    cval = _cval(cval, input.dtype.kind == "c")
    steps = []
    for ax, s, o, m, r in zip(axes, sigmas, orders, modes, radii):
        if float(s) > 1e-15:
            w = _gaussian_weights(s, o, truncate, r)
            steps.append((ax, w, m, 0))
    return _separable(input, output, steps, cval, workers)


# A small integer kernel that is the sum or product of 1-D passes runs as one
# N-d kernel call when it has at most this many taps: one pass over memory
# instead of one per axis (sobel 2048^2 f32: 3 memory-bound passes -> 1).
_COMBINED_TAPS = 27


def _one_pass(input, output, weights, modes, cval, workers):
    """``weights`` (the N-d kernel equal to a filter's 1-D passes) in one kernel call,
    or None when that would not give the passes' answer.

    It does when the passes are linear maps of exactly computed values: the
    same index-map mode on every axis (a nonzero constant is added once per
    pass, not once per tap), and no float-to-integer truncation between
    passes (integer data with integer weights is exact, and the wrap-around
    of an integer output commutes with the sums).
    """
    codes = {_BORDERS.get(m, m) for m in modes}
    if len(codes) != 1 or weights.size > _COMBINED_TAPS:
        return None
    mode = modes[0]
    if mode == "valid" and any(n < k for n, k in zip(input.shape, weights.shape)):
        return None
    if _BORDERS.get(mode) == 1 and cval != 0:
        return None
    shape = input.shape if mode != "valid" else _valid_shape(input.shape, weights.shape, "weights")
    output = _output(output, input, shape, input.dtype.kind == "c")
    if input.dtype.kind in "fc" and output.dtype.kind in "biu":
        return None  # scipy truncates each pass's result
    pad = tuple(0 if mode == "valid" else k // 2 for k in weights.shape)
    return _filter(input, weights, pad, shape, mode, cval, output, workers)


def _derivative_filter(input, axis, output, mode, cval, derivative, smooth, workers):
    """prewitt/sobel: ``derivative`` along ``axis``, ``smooth`` along the others."""
    input = _as_array(input, "input")
    axis = _axis(axis, input.ndim)
    modes = [_check_mode(m) for m in _sequence(mode, input.ndim, "mode")]
    _threads.resolve_workers(workers)
    cval = _cval(cval, input.dtype.kind == "c")
    weights = np.ones((1,) * input.ndim, dtype=np.int64)
    for ax in range(input.ndim):
        w = derivative if ax == axis else smooth
        weights = weights * w.reshape([-1 if d == ax else 1 for d in range(input.ndim)])
    if not isinstance(output, np.ndarray) or not np.may_share_memory(output, input):
        done = _one_pass(input, output, weights, modes, cval, workers)
        if done is not None:
            return done
    steps = [(axis, derivative, modes[axis], 0)]
    steps += [(ax, smooth, modes[ax], 0) for ax in range(input.ndim) if ax != axis]
    return _separable(input, output, steps, cval, workers)


def prewitt(input, axis=-1, output=None, mode="reflect", cval=0.0, *, workers=None):
    """Prewitt filter (drop-in for ``scipy.ndimage.prewitt``).

    ``[-1, 0, 1]`` along ``axis``, ``[1, 1, 1]`` along every other axis.

    Parameters
    ----------
    input : array_like
        The input array.
    axis : int, optional
        The axis of the derivative.
    output : array or dtype, optional
        Where to write the result, or its dtype.
    mode : str or sequence of str, optional
        Boundary mode, or one per axis.
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import ndimage
    >>> ndimage.prewitt(np.array([[0, 0, 1, 1]] * 3), axis=1)
    array([[0, 3, 3, 0],
           [0, 3, 3, 0],
           [0, 3, 3, 0]])
    """
    return _derivative_filter(input, axis, output, mode, cval, np.array([-1, 0, 1]),
                              np.array([1, 1, 1]), workers)


def sobel(input, axis=-1, output=None, mode="reflect", cval=0.0, *, workers=None):
    """Sobel filter (drop-in for ``scipy.ndimage.sobel``).

    ``[-1, 0, 1]`` along ``axis``, ``[1, 2, 1]`` along every other axis.

    Parameters
    ----------
    input : array_like
        The input array.
    axis : int, optional
        The axis of the derivative.
    output : array or dtype, optional
        Where to write the result, or its dtype.
    mode : str or sequence of str, optional
        Boundary mode, or one per axis.
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import ndimage
    >>> ndimage.sobel(np.array([[0, 0, 1, 1]] * 3), axis=1)
    array([[0, 4, 4, 0],
           [0, 4, 4, 0],
           [0, 4, 4, 0]])
    """
    return _derivative_filter(input, axis, output, mode, cval, np.array([-1, 0, 1]),
                              np.array([1, 2, 1]), workers)


def generic_laplace(input, derivative2, output=None, mode="reflect", cval=0.0,
                    extra_arguments=(), extra_keywords=None, *, axes=None):
    """Sum of second derivatives along the axes (``scipy.ndimage.generic_laplace``).

    Parameters
    ----------
    input : array_like
        The input array.
    derivative2 : callable
        ``derivative2(input, axis, output, mode, cval, *extra_arguments,
        **extra_keywords)`` returning the second derivative along ``axis``.
    output : array or dtype, optional
        Where to write the result, or its dtype.
    mode : str or sequence of str, optional
        Boundary mode, or one per filtered axis.
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    extra_arguments : sequence, optional
        Extra positional arguments for ``derivative2``.
    extra_keywords : dict, optional
        Extra keyword arguments for ``derivative2``.
    axes : tuple of int, optional
        The axes to filter (default: all).

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import ndimage
    >>> d2 = lambda a, axis, out, mode, cval: ndimage.correlate1d(a, [1, -2, 1], axis, out, mode, cval)
    >>> ndimage.generic_laplace(np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]), d2)
    array([[ 0,  1,  0],
           [ 1, -4,  1],
           [ 0,  1,  0]])
    """
    extra_keywords = {} if extra_keywords is None else extra_keywords
    input = _as_array(input, "input")
    axes = _axes(axes, input.ndim)
    if not axes:
        output = _output(output, input, input.shape, False)
        output[...] = input
        return output
    modes = _sequence(mode, len(axes), "mode")
    first = derivative2(input, axes[0], output if output is not None else None, modes[0], cval,
                        *extra_arguments, **extra_keywords)
    result = first if not isinstance(output, np.ndarray) else output
    for ax, m in zip(axes[1:], modes[1:]):
        term = derivative2(input, ax, result.dtype, m, cval, *extra_arguments, **extra_keywords)
        result = _add_terms(result, term)
    return result


def _add_terms(total, term):
    """``total += term``; in 'valid' mode the terms differ in shape, and both are
    cut to the region they share (each term's cut is centred on its axes)."""
    if total.shape == term.shape:
        total += term
        return total
    shape = tuple(min(a, b) for a, b in zip(total.shape, term.shape))
    cut = lambda a: a[tuple(slice((n - s) // 2, (n - s) // 2 + s) for n, s in zip(a.shape, shape))]  # noqa: E731
    out = cut(total).copy()
    out += cut(term)
    return out


def laplace(input, output=None, mode="reflect", cval=0.0, *, axes=None, workers=None):
    """Laplace filter from ``[1, -2, 1]`` second differences (``scipy.ndimage.laplace``).

    Parameters
    ----------
    input : array_like
        The input array.
    output : array or dtype, optional
        Where to write the result, or its dtype.
    mode : str or sequence of str, optional
        Boundary mode, or one per filtered axis.
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    axes : tuple of int, optional
        The axes to filter (default: all).
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import ndimage
    >>> ndimage.laplace(np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]]))
    array([[ 0,  1,  0],
           [ 1, -4,  1],
           [ 0,  1,  0]])
    """
    def derivative2(input, axis, output, mode, cval):
        return correlate1d(input, [1, -2, 1], axis, output, mode, cval, 0, workers=workers)
    a = _as_array(input, "input")
    ax = _axes(axes, a.ndim)
    if ax and (not isinstance(output, np.ndarray) or not np.may_share_memory(output, a)):
        # the sum of the second differences is one cross-shaped kernel
        modes = [_check_mode(m) for m in _sequence(mode, len(ax), "mode")]
        weights = np.zeros([3 if d in ax else 1 for d in range(a.ndim)], dtype=np.int64)
        centre = tuple(1 if d in ax else 0 for d in range(a.ndim))
        for d in ax:
            for off in (0, 2):
                weights[centre[:d] + (off,) + centre[d + 1:]] += 1
        weights[centre] = -2 * len(ax)
        _threads.resolve_workers(workers)
        cv = _cval(cval, a.dtype.kind == "c")
        done = _one_pass(a, output, weights, modes + modes[:1] * (a.ndim - len(ax)), cv, workers) \
            if a.ndim == len(ax) or len(set(modes)) == 1 else None
        if done is not None:
            return done
    return generic_laplace(input, derivative2, output, mode, cval, axes=axes)


def gaussian_laplace(input, sigma, output=None, mode="reflect", cval=0.0, *, axes=None,
                     workers=None, **kwargs):
    """Laplace filter from Gaussian second derivatives (``scipy.ndimage.gaussian_laplace``).

    Parameters
    ----------
    input : array_like
        The input array.
    sigma : float or sequence of float
        Standard deviation per filtered axis.
    output : array or dtype, optional
        Where to write the result, or its dtype.
    mode : str or sequence of str, optional
        Boundary mode, or one per filtered axis.
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    axes : tuple of int, optional
        The axes to filter (default: all).
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.
    **kwargs
        ``truncate`` or ``radius``, passed to :func:`gaussian_filter`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import ndimage
    >>> a = np.zeros((5, 5)); a[2, 2] = 1
    >>> float(ndimage.gaussian_laplace(a, sigma=1)[2, 2]) < 0
    True
    """
    input = _as_array(input, "input")
    axes = _axes(axes, input.ndim)
    sigmas = _sequence(sigma, len(axes), "sigma")
    if len(axes) < input.ndim:
        full = [0] * input.ndim
        for s, ax in zip(sigmas, axes):
            full[ax] = s
        sigmas = full

    def derivative2(input, axis, output, mode, cval, sigma, **kwargs):
        order = [0] * input.ndim
        order[axis] = 2
        return gaussian_filter(input, sigma, order, output, mode, cval, workers=workers, **kwargs)
    return generic_laplace(input, derivative2, output, mode, cval, extra_arguments=(sigmas,),
                           extra_keywords=kwargs, axes=axes)


def generic_gradient_magnitude(input, derivative, output=None, mode="reflect", cval=0.0,
                               extra_arguments=(), extra_keywords=None, *, axes=None):
    """Root of the summed squared derivatives (``scipy.ndimage.generic_gradient_magnitude``).

    Parameters
    ----------
    input : array_like
        The input array.
    derivative : callable
        ``derivative(input, axis, output, mode, cval, *extra_arguments,
        **extra_keywords)`` returning the first derivative along ``axis``.
    output : array or dtype, optional
        Where to write the result, or its dtype.
    mode : str or sequence of str, optional
        Boundary mode, or one per filtered axis.
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    extra_arguments : sequence, optional
        Extra positional arguments for ``derivative``.
    extra_keywords : dict, optional
        Extra keyword arguments for ``derivative``.
    axes : tuple of int, optional
        The axes to filter (default: all).

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import ndimage
    >>> a = np.array([[0.0, 0, 3, 3]] * 3)
    >>> ndimage.generic_gradient_magnitude(a, ndimage.sobel)[0]
    array([ 0., 12., 12.,  0.])
    """
    extra_keywords = {} if extra_keywords is None else extra_keywords
    input = _as_array(input, "input")
    axes = _axes(axes, input.ndim)
    if not axes:
        output = _output(output, input, input.shape, False)
        output[...] = input
        return output
    modes = _sequence(mode, len(axes), "mode")
    result = derivative(input, axes[0], output, modes[0], cval, *extra_arguments, **extra_keywords)
    if isinstance(output, np.ndarray):
        result = output
    np.multiply(result, result, result)
    for ax, m in zip(axes[1:], modes[1:]):
        term = derivative(input, ax, result.dtype, m, cval, *extra_arguments, **extra_keywords)
        np.multiply(term, term, term)
        result = _add_terms(result, term)
    np.sqrt(result, result, casting="unsafe")
    return result


def gaussian_gradient_magnitude(input, sigma, output=None, mode="reflect", cval=0.0, *,
                                axes=None, workers=None, **kwargs):
    """Gradient magnitude from Gaussian derivatives (``scipy.ndimage.gaussian_gradient_magnitude``).

    Parameters
    ----------
    input : array_like
        The input array.
    sigma : float or sequence of float
        Standard deviation per axis.
    output : array or dtype, optional
        Where to write the result, or its dtype.
    mode : str or sequence of str, optional
        Boundary mode, or one per filtered axis.
    cval : scalar, optional
        The value outside the edges for ``mode='constant'``.
    axes : tuple of int, optional
        The axes to filter (default: all).
    workers : int, optional
        Threads, as for :func:`cyconv.correlate`.
    **kwargs
        ``truncate`` or ``radius``, passed to :func:`gaussian_filter`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from cyconv import ndimage
    >>> a = np.zeros((5, 5)); a[:, 3:] = 1
    >>> bool(ndimage.gaussian_gradient_magnitude(a, sigma=1)[2, 2] > 0)
    True
    """
    input = _as_array(input, "input")

    def derivative(input, axis, output, mode, cval, sigma, **kwargs):
        order = [0] * input.ndim
        order[axis] = 1
        return gaussian_filter(input, sigma, order, output, mode, cval, workers=workers, **kwargs)
    return generic_gradient_magnitude(input, derivative, output, mode, cval,
                                      extra_arguments=(sigma,), extra_keywords=kwargs, axes=axes)
