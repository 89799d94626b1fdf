# cython: boundscheck=True, wraparound=True, cdivision=False, initializedcheck=True, infer_types=False
# (Compiled by Cython for speed but must keep plain Python semantics.)
"""scipy.signal-compatible front end: validation, modes, dtypes, kernel flips.

Every public function reduces to one primitive, the direct correlation of an
input ``x`` with a kernel ``k`` at a per-axis offset ``pad``
(:func:`cyconv._kernels.correlate`)::

    out[o] = sum_t k[t] * x[o + t - pad]        (x zero outside its shape)

* correlation conjugates ``in2``; convolution flips it on every axis;
* ``full``: pad = k - 1; ``valid``: pad = 0; ``same``: pad = k // 2
  (``correlate2d``: (k - 1) // 2, which is scipy's one-off centring);
* in ``valid`` mode (and ``full`` mode when ``in2`` is the bigger array) the
  inputs are swapped as scipy does; for correlation the result is then
  reversed and conjugated.

All validation happens here, before any C code runs.
"""

import numpy as np

from cyconv import _fft, _threads
from cyconv._dispatch import kernels as _kernels

_MODES = ("full", "valid", "same")
_METHODS = ("auto", "direct", "fft", "winograd")
_BOUNDARIES = {"fill": "fill", "pad": "fill", "wrap": "wrap", "circular": "wrap",
               "symm": "symm", "symmetric": "symm"}
_BOUNDARY_NAMES = tuple(_BOUNDARIES)
# the kernels' border codes (_kernels.pxd): scipy.signal's 'symm' is ndimage's 'reflect'
_BORDER_FILL = 1
_BORDER_CODES = {"fill": _BORDER_FILL, "symm": 2, "wrap": 5}

# dtype the kernels compute in, by the result dtype's kind/size.
_COMPUTE = {
    np.dtype(np.float16): np.dtype(np.float32),
    np.dtype(np.float32): np.dtype(np.float32),
    np.dtype(np.float64): np.dtype(np.float64),
    np.dtype(np.complex64): np.dtype(np.complex64),
    np.dtype(np.complex128): np.dtype(np.complex128),
}
_UINT64 = np.dtype(np.uint64)
_INTP_MAX = np.iinfo(np.intp).max
# Most axes the kernels take (MAX_NDIM - 1 in _kernels.pxd); numpy allows 64.
_KERNEL_MAX_NDIM = 31


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------

def _as_input(a, name):
    """np.asarray with a dtype check that names the argument."""
    try:
        a = np.asarray(a)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None
    dt = a.dtype
    kind = dt.kind
    # byte order does not matter: the inputs are converted before computing
    # (the common native case is tested first: newbyteorder costs ~0.5 us)
    if kind in "biu" or (dt.isnative and dt.char in "efdFD") \
            or dt.newbyteorder("=") in _COMPUTE:
        return a
    if kind in "fc":
        raise TypeError(f"{name} has dtype {a.dtype}, which cyconv does not compute in "
                        "(supported: bool, integers, float16/32/64, complex64/128)")
    raise TypeError(f"{name} has dtype {a.dtype}; cyconv needs numeric input "
                    "(bool, integer, float or complex)")


def _check_choice(value, name, choices):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {choices}, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def _check_same_ndim(in1, in2, func):
    if in1.ndim != in2.ndim:
        raise ValueError(f"{func}: in1 and in2 must have the same number of dimensions, "
                         f"got {in1.ndim} and {in2.ndim}")


def _valid_swap_needed(shape1, shape2):
    """True when in2 is at least as large as in1 on every axis and larger on one.

    Raises when neither input contains the other (no 'valid' output exists).
    """
    ok1 = ok2 = True
    for a, b in zip(shape1, shape2):
        if a < b:
            ok1 = False
        elif a > b:
            ok2 = False
    if not (ok1 or ok2):
        raise ValueError("mode='valid' needs one input at least as large as the other on "
                         f"every axis; got in1.shape={shape1} and in2.shape={shape2}")
    return not ok1


def _result_dtype(in1, in2):
    if in1.dtype is in2.dtype:
        return in1.dtype
    return np.result_type(in1, in2)


def _compute_dtype(result):
    if result.kind in "biu":
        return _UINT64
    return _COMPUTE[result]


def _checked_size(shape, itemsize, what):
    """Product of ``shape`` as a Python int; ValueError if the bytes overflow intp."""
    n = 1
    for s in shape:
        n *= int(s)
    if n * itemsize > _INTP_MAX:
        raise ValueError(f"{what} of shape {tuple(shape)} has more bytes than this platform "
                         "can address")
    return n


def _check_sizes(in1, in2, mode, result):
    """Raise before any work if the output or a compute copy of an input cannot exist.

    Runs before the method is chosen: the chooser scans integer inputs (the
    FFT exactness rule), which on a huge broadcast array would take hours
    before the allocation failed.
    """
    item = _compute_dtype(result).itemsize
    _checked_size(in1.shape, item, "in1 (converted for computing)")
    _checked_size(in2.shape, item, "in2 (converted for computing)")
    if mode == "full":
        out_shape = [a + b - 1 for a, b in zip(in1.shape, in2.shape)]
    elif mode == "valid":
        out_shape = [abs(a - b) + 1 for a, b in zip(in1.shape, in2.shape)]
    else:
        out_shape = in1.shape
    _checked_size(out_shape, item, "the output")


def _fill_array(fill, cdt):
    """``fill`` (already of the result dtype) as the kernels' one-element constant."""
    value = np.asarray(fill)
    if cdt == _UINT64:
        return np.array([int(value)], dtype=np.int64).view(np.uint64) if value.dtype.kind != "u" \
            else np.array([int(value)], dtype=np.uint64)
    return np.array([value], dtype=cdt)


def _from_compute(out, result):
    """Cast the kernels' output to the result dtype (wrap-around for integers)."""
    if out.dtype == result:
        return out
    if result.kind == "b":
        return out != 0
    if result.kind in "iu":
        return out.view(np.int64).astype(result, copy=False) if result.kind == "i" \
            else out.astype(result, copy=False)
    return out.astype(result)


# --------------------------------------------------------------------------
# the direct path
# --------------------------------------------------------------------------

def _direct(x, k, pad, out_shape, result, workers, border=0, fill=0):
    """Run the kernel: out[o] = sum_t k[t] x[o + t - pad]; returns result dtype.

    ``border`` is how x is extended outside its shape (a BORDER_* code of
    _kernels.pxd: 0 zeros, 1 the constant ``fill``, 2 symmetric, 5 circular);
    the kernels read the border bands through it, no padded copy is made.
    """
    cdt = _compute_dtype(result)
    n_out = _checked_size(out_shape, cdt.itemsize, "the output")
    final_shape = out_shape
    if x.ndim > _KERNEL_MAX_NDIM:
        # Axes where x, k and out all have size 1 (so pad is 0) change nothing.
        keep = [d for d in range(x.ndim) if (x.shape[d], k.shape[d], out_shape[d]) != (1, 1, 1)]
        if len(keep) > _KERNEL_MAX_NDIM:
            raise ValueError(f"in1 and in2 have {len(keep)} axes that are not size 1 in both; "
                             f"the direct method handles at most {_KERNEL_MAX_NDIM} "
                             "(use method='fft')")
        keep = keep or [x.ndim - 1]
        x = x.reshape([x.shape[d] for d in keep])
        k = k.reshape([k.shape[d] for d in keep])
        pad = tuple(pad[d] for d in keep)
        out_shape = tuple(out_shape[d] for d in keep)
    # Work = multiply-adds, bounded by both (output x kernel) and (x x kernel).
    work = min(min(n_out, x.size) * k.size, 1 << 62)
    # the kernel's tiles: two output rows by up to 1024 columns (fewer for big kernels)
    rows = n_out // out_shape[-1]
    n = _threads.acquire(workers, work, (rows + 1) // 2 * -(-out_shape[-1] // 1024))
    try:
        out = _kernels.correlate_new(x, k, pad, tuple(out_shape), cdt, n, border,
                                     _fill_array(fill, cdt) if border == _BORDER_FILL else None)
    finally:
        _threads.release(n)
    if out.ndim != len(final_shape):
        out = out.reshape(final_shape)
    return _from_compute(out, result)


def _winograd(x, k, pad, out_shape, result, workers):
    """The Winograd F(3x3, 3x3) method (2-D, computed in float64)."""
    if x.ndim != 2 or result.kind != "f":
        raise ValueError("method='winograd' needs 2-D real floating-point inputs, got "
                         f"{x.ndim}-D {result}")
    _checked_size(out_shape, 8, "the output")
    kp, kq = -(-k.shape[0] // 3), -(-k.shape[1] // 3)
    work = min(25 * kp * kq * -(-out_shape[0] // 3) * -(-out_shape[1] // 3), 1 << 62)
    n = _threads.acquire(workers, work, _kernels.winograd_units(*out_shape))
    try:
        out = np.empty(out_shape, dtype=np.float64)
        _kernels.winograd_correlate(np.ascontiguousarray(x, dtype=np.float64),
                                    np.ascontiguousarray(k, dtype=np.float64), out, pad, n)
    finally:
        _threads.release(n)
    return _from_compute(out, result)


def _half_up(n):
    return n // 2


def _half_down(n):
    return (n - 1) // 2


def _pad_and_shape(xs, ks, mode, same_pad):
    """Per-axis pad and output shape of the kernel call for a mode."""
    # list comprehensions: a generator per call costs more than the kernel (W10)
    if mode == "valid":
        return (0,) * len(xs), tuple([x - k + 1 for x, k in zip(xs, ks)])
    if mode == "full":
        return tuple([k - 1 for k in ks]), tuple([x + k - 1 for x, k in zip(xs, ks)])
    return tuple([same_pad(k) for k in ks]), tuple(xs)


def _reverse_conj(a):
    a = a[(slice(None, None, -1),) * a.ndim]
    return a.conj() if a.dtype.kind == "c" else a


def _flip(a):
    return a[(slice(None, None, -1),) * a.ndim]


def _prepare(in1, in2, mode, func):
    """Shared checks of the N-d and 2-D functions (after dtype checks)."""
    _check_choice(mode, "mode", _MODES)
    if in1.ndim != in2.ndim:
        _check_same_ndim(in1, in2, func)
    if mode != "same" and (in1.size == 0 or in2.size == 0):
        for name, a in (("in1", in1), ("in2", in2)):
            if a.size == 0:
                raise ValueError(f"{func}: {name} is empty; mode={mode!r} has no defined "
                                 "output for an empty input (mode='same' does)")


def _empty_same(in1, result):
    """'same' mode with an empty input: in1's shape, all zeros (an empty sum)."""
    return np.zeros(in1.shape, dtype=result)


def _nd(in1, in2, mode, method, workers, convolve):
    """correlate / convolve for any ndim (the kernel is conj(in2) or flip(in2))."""
    func = "convolve" if convolve else "correlate"
    in1 = _as_input(in1, "in1")
    in2 = _as_input(in2, "in2")
    _check_choice(mode, "mode", _MODES)
    _check_choice(method, "method", _METHODS)
    _threads.resolve_workers(workers)
    if in1.ndim == 0 and in2.ndim == 0:
        return in1 * in2 if convolve else in1 * in2.conj()
    _prepare(in1, in2, mode, func)
    result = _result_dtype(in1, in2)
    if in1.size == 0 or in2.size == 0:
        return _empty_same(in1, result)

    _check_sizes(in1, in2, mode, result)
    auto = method == "auto"
    if auto:
        method = _fft.choose_method(in1, in2, mode)
    # conv(a, b) = corr(a, rc(b)): FFT works on the convolution form.
    if method == "fft":
        b = in2 if convolve else _reverse_conj(in2)
        # auto picks the FFT only for finite float data or exact integers
        return _fft.fft_convolve(in1, b, mode, result, workers, checked=auto)

    swap = False
    if mode == "valid":
        swap = _valid_swap_needed(in1.shape, in2.shape)
    elif mode == "full":
        swap = in2.size > in1.size
    x, b = (in2, in1) if swap else (in1, in2)
    if convolve:
        k = _flip(b)
    else:
        k = b.conj() if b.dtype.kind == "c" else b
    pad, out_shape = _pad_and_shape(x.shape, k.shape, mode, same_pad=_half_up)
    if method == "winograd":
        out = _winograd(x, k, pad, out_shape, result, workers)
    else:
        out = _direct(x, k, pad, out_shape, result, workers)
    if swap and not convolve:
        out = np.ascontiguousarray(_reverse_conj(out))
    return out


# --------------------------------------------------------------------------
# public N-d API
# --------------------------------------------------------------------------

def correlate(in1, in2, mode="full", method="auto", *, workers=None):
    """Cross-correlate two N-dimensional arrays (drop-in for ``scipy.signal.correlate``).

    ``z[k] = sum_l in1[l] * conj(in2[l - k + N - 1])``: the kernel ``in2`` slides
    over ``in1`` without being flipped.

    Parameters
    ----------
    in1, in2 : array_like
        Inputs of the same number of dimensions (any: 1-D signals, 2-D images,
        3-D volumes, ...).  bool, integer, float16/32/64 and complex64/128.
    mode : {'full', 'valid', 'same'}, optional
        Output size, exactly as in scipy: ``full`` (``n1 + n2 - 1`` per axis),
        ``valid`` (``|n1 - n2| + 1``; one input must contain the other) or
        ``same`` (the shape of ``in1``, centred on the ``full`` output).
    method : {'auto', 'direct', 'fft', 'winograd'}, optional
        ``direct`` runs cyconv's parallel Cython kernels, ``fft`` uses
        ``numpy.fft``; ``winograd`` (cyconv's own, 2-D real data, computed in
        float64) cuts the multiply-adds of mid-size kernels about 3x and is
        what ``auto`` takes for float64 kernels of about 13x13 to 30x30;
        ``auto`` picks with :func:`choose_conv_method`.
    workers : int, optional
        Threads: None = OpenMP's default now (``OMP_NUM_THREADS``,
        threadpoolctl), n > 0 = n threads, -1 = every CPU, -2 = all but one...

    Returns
    -------
    ndarray
        ``np.result_type(in1, in2)``.  Integer results wrap around on
        overflow exactly as scipy's direct method does.

    Examples
    --------
    >>> import numpy as np, cyconv
    >>> X = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    >>> K = np.array([[0, 1], [2, 3]])
    >>> cyconv.correlate(X, K, mode="valid")
    array([[19, 25],
           [37, 43]])
    """
    return _nd(in1, in2, mode, method, workers, convolve=False)


def convolve(in1, in2, mode="full", method="auto", *, workers=None):
    """Convolve two N-dimensional arrays (drop-in for ``scipy.signal.convolve``).

    Convolution is correlation with ``in2`` flipped on every axis; the same
    kernels compute both.

    Parameters
    ----------
    in1, in2 : array_like
        Inputs of the same number of dimensions.
    mode : {'full', 'valid', 'same'}, optional
        Output size (see :func:`correlate`).
    method : {'auto', 'direct', 'fft', 'winograd'}, optional
        Computation method (see :func:`correlate`).
    workers : int, optional
        Threads (see :func:`correlate`).

    Returns
    -------
    ndarray
        ``np.result_type(in1, in2)``.

    Examples
    --------
    >>> import cyconv
    >>> cyconv.convolve([1, 2, 3], [0, 1, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    return _nd(in1, in2, mode, method, workers, convolve=True)


# --------------------------------------------------------------------------
# 2-D API with boundary conditions
# --------------------------------------------------------------------------

def _fill_scalar(fillvalue, result):
    """Convert ``fillvalue`` to the result dtype as scipy does, or raise."""
    if type(fillvalue) is int and fillvalue == 0:  # the default, fast
        return 0
    if isinstance(fillvalue, int):
        # any size: np.asarray would make an object array of an int >= 2**64
        value = real = int(fillvalue)
    else:
        arr = np.asarray(fillvalue)
        if arr.size != 1:
            raise ValueError("fillvalue must be a scalar or an array with one element")
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"fillvalue must be a number, got {type(fillvalue).__name__}")
        if arr.dtype.kind in "biu":
            # exact: a detour through complex would round integers above 2**53
            value = real = int(arr.reshape(()).item())
        else:
            value = complex(arr.reshape(()).item())
            real = value.real
    if result.kind != "c" and value.imag != 0:
        raise ValueError(f"fillvalue {fillvalue!r} is complex but the output dtype is {result}")
    if result.kind in "biu":
        if isinstance(real, float) and not np.isfinite(real):
            raise ValueError(f"fillvalue {fillvalue!r} cannot be cast to the integer output {result}")
        if result.kind == "b":
            return np.bool_(real != 0)
        info = np.iinfo(result)
        ival = int(real)
        if not info.min <= ival <= info.max:
            raise ValueError(f"fillvalue {fillvalue!r} does not fit the output dtype {result}")
        return result.type(ival)
    return result.type(value if result.kind == "c" else value.real)


def _2d(in1, in2, mode, boundary, fillvalue, workers, convolve):
    func = "convolve2d" if convolve else "correlate2d"
    in1 = _as_input(in1, "in1")
    in2 = _as_input(in2, "in2")
    if in1.ndim != 2 or in2.ndim != 2:
        raise ValueError(f"{func}: in1 and in2 must both be 2-D arrays, got ndim "
                         f"{in1.ndim} and {in2.ndim}")
    bkind = _BOUNDARIES[_check_choice(boundary, "boundary", _BOUNDARY_NAMES)]
    _threads.resolve_workers(workers)
    result = _result_dtype(in1, in2)
    fill = _fill_scalar(fillvalue, result)
    _prepare(in1, in2, mode, func)
    if in1.size == 0 or in2.size == 0:
        return _empty_same(in1, result)

    if mode == "valid":
        # boundary never matters: no output reads outside the bigger input
        swap = _valid_swap_needed(in1.shape, in2.shape)
        x, b = (in2, in1) if swap else (in1, in2)
        k = _flip(b) if convolve else (b.conj() if b.dtype.kind == "c" else b)
        pad, out_shape = _pad_and_shape(x.shape, k.shape, "valid", None)
        out = _direct(x, k, pad, out_shape, result, workers)
        if swap and not convolve:
            # mathematically right answer (= scipy.signal.correlate); scipy's
            # correlate2d forgets the conjugation here for complex input.
            out = np.ascontiguousarray(_reverse_conj(out))
        return out

    k = _flip(in2) if convolve else (in2.conj() if in2.dtype.kind == "c" else in2)
    pad, out_shape = _pad_and_shape(in1.shape, k.shape, mode,
                                    same_pad=_half_up if convolve else _half_down)
    if bkind == "fill" and fill == 0:
        return _direct(in1, k, pad, out_shape, result, workers)
    return _direct(in1, k, pad, out_shape, result, workers, _BORDER_CODES[bkind], fill)


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, *, workers=None):
    """Cross-correlate two 2-D arrays (drop-in for ``scipy.signal.correlate2d``).

    Parameters
    ----------
    in1, in2 : array_like
        2-D inputs.
    mode : {'full', 'valid', 'same'}, optional
        Output size.  ``same`` is centred as scipy's ``correlate2d`` centres
        it, which for even kernel sizes is one sample off ``correlate``'s.
    boundary : {'fill', 'wrap', 'symm'}, optional
        How ``in1`` is extended: ``fillvalue``, circularly, or mirrored
        (edge repeated).  scipy's aliases 'pad', 'circular', 'symmetric' work.
    fillvalue : scalar, optional
        Value outside ``in1`` for ``boundary='fill'``.
    workers : int, optional
        Threads (see :func:`correlate`).

    Returns
    -------
    ndarray
        ``np.result_type(in1, in2)``.

    Examples
    --------
    >>> import numpy as np, cyconv
    >>> X = np.ones((6, 8)); X[:, 2:6] = 0
    >>> cyconv.correlate2d(X, [[1, -1]], mode="valid")[0]
    array([ 0.,  1.,  0.,  0.,  0., -1.,  0.])
    """
    return _2d(in1, in2, mode, boundary, fillvalue, workers, convolve=False)


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, *, workers=None):
    """Convolve two 2-D arrays (drop-in for ``scipy.signal.convolve2d``).

    Parameters
    ----------
    in1, in2 : array_like
        2-D inputs.
    mode : {'full', 'valid', 'same'}, optional
        Output size.
    boundary : {'fill', 'wrap', 'symm'}, optional
        How ``in1`` is extended (see :func:`correlate2d`).
    fillvalue : scalar, optional
        Value outside ``in1`` for ``boundary='fill'``.
    workers : int, optional
        Threads (see :func:`correlate`).

    Returns
    -------
    ndarray
        ``np.result_type(in1, in2)``.

    Examples
    --------
    >>> import cyconv
    >>> cyconv.convolve2d([[1, 2], [3, 4]], [[1, 1]])
    array([[1, 3, 2],
           [3, 7, 4]])
    """
    return _2d(in1, in2, mode, boundary, fillvalue, workers, convolve=True)


def choose_conv_method(in1, in2, mode="full", measure=False):
    """Return the method :func:`correlate`/:func:`convolve` would use.

    'direct' or 'fft' as in scipy, or 'winograd' (2-D float64 data only),
    which scipy does not have: pass ``method='auto'`` to scipy, not this.

    Parameters
    ----------
    in1, in2 : array_like
        The inputs a call would get.
    mode : {'full', 'valid', 'same'}, optional
        The mode a call would get.
    measure : bool, optional
        If True, time the methods on these inputs and return
        ``(fastest, {'direct': seconds, 'fft': seconds})`` as scipy does
        (with a 'winograd' entry too for 2-D real floating data).

    Returns
    -------
    str or (str, dict)

    Notes
    -----
    The choice follows a cost model calibrated against cyconv's own direct
    kernels (see :mod:`cyconv._fft`).  Integer and bool inputs never go to the
    FFT unless every result is exactly representable in float64.  Float
    inputs never go to the FFT or to Winograd (whose rounding also mixes
    neighbouring inputs, within 5x5 windows) when they hold NaN/inf, or when
    their dynamic range would drown small outputs in that rounding error:
    ``eps * R(in1) * R(in2) > 2**-10``, where ``R(a)`` is ``max|a|`` over the
    10th percentile of the nonzero ``|a|`` and ``eps`` that of the FFT's dtype.

    Examples
    --------
    >>> import numpy as np, cyconv
    >>> cyconv.choose_conv_method(np.ones(1000), np.ones(5))
    'direct'
    """
    in1 = _as_input(in1, "in1")
    in2 = _as_input(in2, "in2")
    _check_choice(mode, "mode", _MODES)
    if in1.ndim != in2.ndim:  # as correlate/convolve: only both 0-d is allowed
        _check_same_ndim(in1, in2, "choose_conv_method")
    if measure:
        import timeit
        times = {}
        methods = ["fft", "direct"]
        if in1.ndim == 2 and in1.size and in2.size and _result_dtype(in1, in2).kind == "f":
            methods.append("winograd")
        for m in methods:
            timer = timeit.Timer(lambda: convolve(in1, in2, mode=mode, method=m))
            number, _ = timer.autorange()
            times[m] = min(timer.repeat(3, number)) / number
        return min(times, key=times.get), times
    if in1.ndim == 0 or in1.size == 0 or in2.size == 0:
        return "direct"
    _check_sizes(in1, in2, mode, _result_dtype(in1, in2))
    return _fft.choose_method(in1, in2, mode)


__all__ = ["correlate", "convolve", "correlate2d", "convolve2d", "choose_conv_method"]
