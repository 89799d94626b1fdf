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

import math
import numbers
import operator

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
    # long double: the direct kernels' plain loops (auto never takes the FFT for it)
    np.dtype(np.longdouble): np.dtype(np.longdouble),
    np.dtype(np.clongdouble): np.dtype(np.clongdouble),
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
    if kind in "biu" or (dt.isnative and dt.char in "efdgFDG") \
            or dt.newbyteorder("=") in _COMPUTE:
        return a
    if kind in "fc":
        raise TypeError(f"{name} has dtype {a.dtype}, which cyconv does not compute in "
                        "(supported: bool, integers, float16/32/64, longdouble, complex64/128, "
                        "clongdouble)")
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


def _mode_shape(shape1, shape2, mode):
    """The output shape of correlate/convolve (no axes) for a mode."""
    if mode == "full":
        return tuple([a + b - 1 for a, b in zip(shape1, shape2)])
    if mode == "valid":
        return tuple([abs(a - b) + 1 for a, b in zip(shape1, shape2)])
    return tuple(shape1)


def _check_sizes(in1, in2, mode, result):
    """Raise before any work if the output or a compute copy of an input cannot exist.

    Runs before the method is chosen: the chooser scans integer inputs (the
    FFT exactness rule), which on a huge broadcast array would take hours
    before the allocation failed.
    """
    item = _compute_dtype(result).itemsize
    _checked_size(in1.shape, item, "in1 (converted for computing)")
    _checked_size(in2.shape, item, "in2 (converted for computing)")
    _checked_size(_mode_shape(in1.shape, in2.shape, mode), item, "the output")


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

def _direct(x, k, pad, out_shape, result, workers, target=None, border=0, fill=0):
    """Run the kernel: out[o] = sum_t k[t] x[o + t - pad]; returns result dtype.

    ``target``: a C-contiguous array of the compute dtype and ``out_shape``
    (see :func:`_kernel_target`) that the kernel fills in place of a new one.
    ``border`` is how x is extended outside its shape (a BORDER_* code of
    _kernels.pxd: 0 zeros, 1 the constant ``fill``, 2 symmetric, 5 circular);
    the kernels read the border bands through it, no padded copy is made.
    """
    cdt = _compute_dtype(result)
    n_out = _checked_size(out_shape, cdt.itemsize, "the output")
    final_shape = out_shape
    buf = target
    if x.ndim > _KERNEL_MAX_NDIM:
        x, k, pad, out_shape = _squeeze_for_kernel(x, k, pad, out_shape)
        if buf is not None:
            buf = buf.reshape(out_shape)
    n = _threads.acquire(workers, _direct_work(x, k, n_out), _direct_units(n_out, out_shape))
    try:
        cval = _fill_array(fill, cdt) if border == _BORDER_FILL else None
        if buf is None:
            out = _kernels.correlate_new(x, k, pad, tuple(out_shape), cdt, n, border, cval)
        else:
            out = _kernels.correlate(np.ascontiguousarray(x, dtype=cdt),
                                     np.ascontiguousarray(k, dtype=cdt), buf, pad, n, border, cval)
    finally:
        _threads.release(n)
    if target is not None:
        return target
    if out.ndim != len(final_shape):
        out = out.reshape(final_shape)
    return _from_compute(out, result)


def _squeeze_for_kernel(x, k, pad, out_shape):
    """Drop the axes where x, k and out all have length 1 (so pad is 0: they
    change nothing), for the kernel's _KERNEL_MAX_NDIM axes at most."""
    keep = [d for d in range(x.ndim) if (x.shape[d], k.shape[d], out_shape[d]) != (1, 1, 1)]
    if len(keep) > _KERNEL_MAX_NDIM:
        raise ValueError(f"in1 and in2 have {len(keep)} axes that are not size 1 in both; "
                         f"the direct method handles at most {_KERNEL_MAX_NDIM} "
                         "(use method='fft')")
    keep = keep or [x.ndim - 1]
    return (x.reshape([x.shape[d] for d in keep]), k.reshape([k.shape[d] for d in keep]),
            tuple(pad[d] for d in keep), tuple(out_shape[d] for d in keep))


def _direct_work(x, k, n_out):
    """Multiply-adds, bounded by both (output x kernel) and (x x kernel)."""
    return min(min(n_out, x.size) * k.size, 1 << 62)


def _direct_units(n_out, out_shape):
    """The kernel's tiles: two output rows by up to 1024 columns (fewer for big kernels)."""
    rows = n_out // out_shape[-1]
    return (rows + 1) // 2 * -(-out_shape[-1] // 1024)


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


# --------------------------------------------------------------------------
# out=: a preallocated result
# --------------------------------------------------------------------------

def _check_out(out, shape, dtype, func):
    """Raise unless ``out`` can hold the result (exact shape, dtype; writeable)."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{func}: out must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"{func}: out has shape {out.shape} but the result has shape "
                         f"{tuple(shape)}")
    # byte order aside (the result is copied into a swapped out), the dtype must be exact
    if out.dtype != dtype and out.dtype.newbyteorder("=") != dtype:
        raise TypeError(f"{func}: out has dtype {out.dtype} but the result has dtype {dtype}")
    if not out.flags.writeable:
        raise ValueError(f"{func}: out is read-only")


def _kernel_target(out, cdt, in1, in2):
    """``out`` itself where the kernel can write into it, else None.

    That is, when ``out`` is C-contiguous, aligned, native and of the
    compute dtype, and shares no memory with an input (the kernel reads the
    inputs while it writes: an overlap is computed into a new array and
    copied, see :func:`_deliver`).
    """
    if out is None or out.dtype != cdt:
        return None
    flags = out.flags
    if not (flags.c_contiguous and flags.aligned and out.dtype.isnative):
        return None
    if np.may_share_memory(out, in1) or np.may_share_memory(out, in2):
        return None
    return out


def _deliver(res, out):
    """The result in ``out`` (when given; the same object is returned)."""
    if out is None or res is out:
        return res
    # copyto buffers where res and out overlap, so a view of out is safe too
    np.copyto(out, res, casting="unsafe")
    return out


# --------------------------------------------------------------------------
# axes=: scipy.signal.fftconvolve's rules
# --------------------------------------------------------------------------

_MODE_FLAGS_ERROR = "acceptable mode flags are 'valid', 'same', or 'full'"


def _normalize_axes(axes, ndim):
    """``axes`` as a list of non-negative ints, with scipy.fft's checks and errors."""
    if isinstance(axes, numbers.Number):
        axes = (axes,)
    try:
        axes = [operator.index(a) for a in axes]
    except TypeError:
        raise ValueError("axes must be a scalar or iterable of integers") from None
    axes = [a + ndim if a < 0 else a for a in axes]
    if any(a >= ndim or a < 0 for a in axes):
        raise ValueError(f"axes exceeds dimensionality of input (ndim {ndim})")
    if len(set(axes)) != len(axes):
        raise ValueError("all axes must be unique")
    if not axes:
        raise ValueError("when provided, axes cannot be empty")
    return axes


def _axes_geometry(s1, s2, mode, axes):
    """(fft_axes, swap, out_shape) of a convolution of shapes s1, s2 along ``axes``.

    As scipy.signal.fftconvolve: axes where an input has length 1 need no
    transform (``fft_axes`` are the others); every other axis is a batch
    axis whose lengths must be equal or 1 (broadcast); 'valid' compares the
    inputs on ``fft_axes`` only and swaps them where in2 is the larger.  The
    output has, on ``axes``, the mode's length (``same``: in1's), on batch
    axes the broadcast length -- scipy 1.17 cuts a batch axis back to in1's
    length in 'same' mode (scipy#21876), which we do not.
    """
    # sorted: the convolution does not depend on the order axes are given in
    fft_axes = sorted(a for a in axes if s1[a] != 1 and s2[a] != 1)
    for d in range(len(s1)):
        if d not in fft_axes and s1[d] != s2[d] and s1[d] != 1 and s2[d] != 1:
            raise ValueError(f"incompatible shapes for in1 and in2: {tuple(s1)} and "
                             f"{tuple(s2)} (axes {axes}: the other axes must have equal "
                             "lengths or length 1)")
    swap = False
    if mode == "valid":
        ok1 = all(s1[a] >= s2[a] for a in fft_axes)
        ok2 = all(s2[a] >= s1[a] for a in fft_axes)
        if not (ok1 or ok2):
            raise ValueError("For 'valid' mode, one must be at least as large as the other "
                             f"in every dimension (of axes {axes}); got in1.shape={tuple(s1)} "
                             f"and in2.shape={tuple(s2)}")
        swap = not ok1
    out_shape = []
    for d, (a, b) in enumerate(zip(s1, s2)):
        if d not in axes:
            out_shape.append(max(a, b))
        elif mode == "full":
            out_shape.append(a + b - 1)
        elif mode == "same":
            out_shape.append(a)
        else:
            out_shape.append(abs(a - b) + 1)
    return fft_axes, swap, tuple(out_shape)


def _axes_range(s1, s2, mode, axes, fft_axes):
    """Per axis, the [lo, hi) part of the full (broadcast) convolution that is kept."""
    rng = []
    for d, (a, b) in enumerate(zip(s1, s2)):
        n = a + b - 1 if d in fft_axes else max(a, b)
        if d not in axes or mode == "full":
            rng.append((0, n))
        elif mode == "same":
            lo = (n - a) // 2
            rng.append((lo, lo + a))
        else:
            lo = (n - abs(a - b) - 1) // 2
            rng.append((lo, lo + abs(a - b) + 1))
    return tuple(rng)


def _fft_axes_convolve(in1, in2, mode, axes, fft_axes, result, workers, checked):
    """Convolution along ``axes`` by FFT (the kept part, cast to ``result``).

    No batch axis longer than 1: the squeezed problem goes to the planner
    (one transform or overlap-save tiles); otherwise batched transforms.
    """
    s1, s2 = in1.shape, in2.shape
    out_shape = _axes_geometry(s1, s2, mode, axes)[2]
    if not fft_axes:
        # no transform at all: a broadcast product, sliced in 'same' mode
        rng = _axes_range(s1, s2, mode, axes, fft_axes)
        z = np.multiply(in1, in2, dtype=np.result_type(in1, in2))
        return _from_compute(np.ascontiguousarray(z[tuple(slice(*r) for r in rng)]), result)
    if all(s1[d] == 1 and s2[d] == 1 for d in range(in1.ndim) if d not in fft_axes):
        a = in1.reshape([s1[d] for d in fft_axes])
        b = in2.reshape([s2[d] for d in fft_axes])
        z = _fft.fft_convolve(a, b, mode, result, workers, checked=checked)
        return z.reshape(out_shape)
    if not checked:
        _fft.warn_if_not_finite(in1, in2, stacklevel=6)
    rng = _axes_range(s1, s2, mode, axes, fft_axes)
    return _fft.fft_convolve_batched(in1, in2, fft_axes, rng, result, workers)


def _flip_axes(a, axes):
    return a[tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(a.ndim))]


def _reverse_conj_axes(a, axes):
    a = _flip_axes(a, axes)
    return a.conj() if a.dtype.kind == "c" else a


def _direct_swap(s1, s2, mode, axes, swap):
    """Whether the direct path takes in1 as the kernel ('valid' as geometry says;
    'full' when in2 is the larger on ``axes``: the smaller kernel is faster)."""
    if mode == "full" and not swap:
        return math.prod(s2[d] for d in axes) > math.prod(s1[d] for d in axes)
    return swap


def _direct_calls(s1, s2, mode, axes, swap, out_shape):
    """Kernel calls of the direct path: one per element of the batch axes where
    the kernel is longer than 1 (see :func:`_direct_axes`)."""
    kernel = s1 if _direct_swap(s1, s2, mode, axes, swap) else s2
    return math.prod(out_shape[d] for d in range(len(s1)) if d not in axes and kernel[d] > 1)


def _direct_axes(in1, in2, mode, axes, fft_axes, swap, out_shape, result, workers, out,
                 convolve):
    """correlate / convolve along ``axes`` by the direct kernels, batch axes broadcast.

    A batch axis where the kernel has length 1 is a kernel axis of length 1
    (pad 0): the same kernel call computes every batch element.  A batch
    axis where the kernel is longer than 1 has a different kernel per
    element: those axes are looped over (moved to the front of a C-contiguous
    buffer, so that each element is one contiguous kernel call), the elements
    shared out over threads when each is too small to occupy them all.
    """
    swap = _direct_swap(in1.shape, in2.shape, mode, axes, swap)
    x, b = (in2, in1) if swap else (in1, in2)
    if convolve:
        k = _flip_axes(b, axes)
    else:
        k = b.conj() if b.dtype.kind == "c" else b
    cdt = _compute_dtype(result)
    ndim = x.ndim
    pad, call_out, loop = [0] * ndim, list(out_shape), []
    for d in range(ndim):
        nx, nk = x.shape[d], k.shape[d]
        if d not in axes:
            if nk > 1:
                loop.append(d)
                call_out[d] = 1
        elif mode == "full":
            pad[d] = nk - 1
        elif mode == "same":
            pad[d] = nk // 2
        elif nx < nk:  # 'valid' on an axis where x has length 1: every shift is valid
            pad[d] = nk - 1
    _checked_size(out_shape, cdt.itemsize, "the output")
    reverse = swap and not convolve
    perm = loop + [d for d in range(ndim) if d not in loop]
    identity = perm == list(range(ndim))
    target = _kernel_target(out, cdt, in1, in2) if identity and not reverse else None
    if not loop:
        res = _direct(x, k, tuple(pad), tuple(out_shape), result, workers, target)
    else:
        buf = target if target is not None else np.empty([out_shape[d] for d in perm], cdt)
        _direct_loop(x, k, pad, call_out, loop, perm, buf, cdt, workers)
        if buf is not target:
            buf = _from_compute(buf.transpose(np.argsort(perm)), result)
        res = buf
    if reverse:
        res = _reverse_conj_axes(res, axes)
    if res is target:
        return res
    return np.ascontiguousarray(res)


def _direct_loop(x, k, pad, call_out, loop, perm, buf, cdt, workers):
    """Fill ``buf`` (the output, axes in ``perm`` order) one loop element at a time."""
    xs = np.ascontiguousarray(x.transpose(perm), dtype=cdt)
    ks = np.ascontiguousarray(k.transpose(perm), dtype=cdt)
    nl = len(loop)
    lens = buf.shape[:nl]
    rest = tuple(pad[d] for d in perm[nl:])
    call_shape = [call_out[d] for d in perm[nl:]]
    n_call = _checked_size(call_shape, cdt.itemsize, "the output")
    units = _direct_units(n_call, call_shape)
    # the loop axes flattened: element e reads x element x_of[e] (x may have
    # length 1 on a loop axis: broadcast), its own kernel and output
    elements = math.prod(lens)
    ks = ks.reshape((elements,) + ks.shape[nl:])
    out = buf.reshape((elements,) + buf.shape[nl:])
    x_idx = np.unravel_index(np.arange(elements), lens)
    x_of = np.ravel_multi_index([i if m > 1 else 0 * i for i, m in zip(x_idx, xs.shape[:nl])],
                                xs.shape[:nl]).tolist()
    xs = xs.reshape((-1,) + xs.shape[nl:])
    work = min(_direct_work(xs[0], ks[0], n_call) * elements, 1 << 62)
    n = _threads.acquire(workers, work, units * elements)

    stop = []  # set when this thread fails (Ctrl-C): the others stop at their next element

    def run(share, threads):
        for e in share:
            if stop:
                return
            _kernel(xs[x_of[e]], ks[e], out[e], rest, threads)

    try:
        if n == 1 or units >= 2 * n:
            run(range(elements), n)  # each element keeps every thread busy
        else:
            pool = _fft._pool(n - 1)
            futures = [pool.submit(run, range(i, elements, n), 1) for i in range(1, n)]
            try:
                run(range(0, elements, n), 1)
            except BaseException:
                stop.append(True)
                raise
            finally:
                for f in futures:
                    f.result()
    finally:
        _threads.release(n)


def _kernel(x, k, out, pad, n):
    """One kernel call on contiguous arrays of the compute dtype."""
    if x.ndim > _KERNEL_MAX_NDIM:
        x, k, pad, shape = _squeeze_for_kernel(x, k, pad, out.shape)
        out = out.reshape(shape)
    _kernels.correlate(x, k, out, pad, n)


def _nd_axes(in1, in2, mode, method, workers, convolve, axes, out, func):
    """correlate / convolve with ``axes`` (inputs checked, same ndim >= 1, non-empty)."""
    axes = _normalize_axes(axes, in1.ndim)
    fft_axes, swap, out_shape = _axes_geometry(in1.shape, in2.shape, mode, axes)
    result = _result_dtype(in1, in2)
    if out is not None:
        _check_out(out, out_shape, result, func)
    item = _compute_dtype(result).itemsize
    _checked_size(in1.shape, item, "in1 (converted for computing)")
    _checked_size(in2.shape, item, "in2 (converted for computing)")
    _checked_size(out_shape, item, "the output")
    if method == "winograd":
        if in1.ndim != 2 or len(fft_axes) != 2:
            raise ValueError("method='winograd' computes 2-D convolutions over both axes; "
                             f"it cannot batch along the other axes (axes={axes})")
        return _nd(in1, in2, mode, method, workers, convolve, None, out)
    auto = method == "auto"
    if auto:
        batch = _checked_size([out_shape[d] for d in range(in1.ndim) if d not in axes], 1,
                              "the batch")
        rng = _axes_range(in1.shape, in2.shape, mode, axes, axes)
        calls = _direct_calls(in1.shape, in2.shape, mode, axes, swap, out_shape)
        method = _fft.choose_method(in1, in2, mode, batched=(axes, rng, batch, calls))
        if method == "winograd":
            method = "direct"
    if method == "fft":
        b = in2 if convolve else _reverse_conj_axes(in2, axes)
        res = _fft_axes_convolve(in1, b, mode, axes, fft_axes, result, workers, checked=auto)
    else:
        res = _direct_axes(in1, in2, mode, axes, fft_axes, swap, out_shape, result, workers,
                           out, convolve)
    return _deliver(res, out)


def _nd(in1, in2, mode, method, workers, convolve, axes=None, out=None):
    """correlate / convolve for any ndim (the kernel is conj(in2) or flip(in2))."""
    func = "convolve" if convolve else "correlate"
    in1 = _as_input(in1, "in1")
    in2 = _as_input(in2, "in2")
    _check_choice(mode, "mode", _MODES)
    _check_choice(method, "method", _METHODS)
    _threads.resolve_workers(workers)
    if in1.ndim == 0 and in2.ndim == 0:
        res = in1 * in2 if convolve else in1 * in2.conj()
        if out is not None:
            _check_out(out, (), np.result_type(res), func)
        return _deliver(res, out)
    _prepare(in1, in2, mode, func)
    result = _result_dtype(in1, in2)
    if in1.size == 0 or in2.size == 0:
        if out is not None:
            _check_out(out, in1.shape, result, func)
        return _deliver(_empty_same(in1, result), out)
    if axes is not None:
        return _nd_axes(in1, in2, mode, method, workers, convolve, axes, out, func)

    _check_sizes(in1, in2, mode, result)
    if out is not None:
        _check_out(out, _mode_shape(in1.shape, in2.shape, mode), result, func)
    auto = method == "auto"
    if auto:
        method = _fft.choose_method(in1, in2, mode)
    # conv(a, b) = corr(a, rc(b)): FFT works on the convolution form.
    if method == "fft":
        b = in2 if convolve else _reverse_conj(in2)
        # auto picks the FFT only for finite float data or exact integers
        return _deliver(_fft.fft_convolve(in1, b, mode, result, workers, checked=auto), out)

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
        res = _winograd(x, k, pad, out_shape, result, workers)
    else:
        target = None
        if out is not None and not (swap and not convolve):
            target = _kernel_target(out, _compute_dtype(result), in1, in2)
        res = _direct(x, k, pad, out_shape, result, workers, target)
    if swap and not convolve:
        res = np.ascontiguousarray(_reverse_conj(res))
    return _deliver(res, out)


# --------------------------------------------------------------------------
# public N-d API
# --------------------------------------------------------------------------

def correlate(in1, in2, mode="full", method="auto", *, axes=None, workers=None, out=None):
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
    axes : int or sequence of ints, optional
        cyconv's extension: correlate along these axes only (default: all).
        The other axes are batch axes, broadcast as in :func:`fftconvolve`
        (lengths equal, or 1 in one input); the output has the mode's length
        on ``axes`` and the broadcast length on the others.  Every method
        takes it (``winograd`` only for both axes of 2-D data); the direct
        kernels compute a whole batch in one call where ``in2`` has length 1
        on the batch axes.
    workers : int, optional
        Threads: None = OpenMP's default now (``OMP_NUM_THREADS``,
        threadpoolctl), n > 0 = n threads, -1 = every CPU, -2 = all but one...
    out : ndarray, optional
        Where to put the result: exactly the result's shape and dtype
        (else ValueError/TypeError).  The kernels write straight into a
        C-contiguous ``out`` of their compute dtype (float32/64, complex);
        an ``out`` that overlaps an input gets a copy of the result.

    Returns
    -------
    ndarray
        ``np.result_type(in1, in2)``.  Integer results wrap around on
        overflow exactly as scipy's direct method does.  ``out`` when given.

    Examples
    --------
    >>> import numpy as np, cyconv
    >>> X = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    >>> K = np.array([[0, 1], [2, 3]])
    >>> cyconv.correlate(X, K, mode="valid")
    array([[19, 25],
           [37, 43]])

    A batch of 1-D correlations, along the last axis, into an existing array:

    >>> rows = np.arange(12.0).reshape(3, 4)
    >>> res = np.empty((3, 3))
    >>> cyconv.correlate(rows, [[1.0, -1.0]], mode="valid", axes=-1, out=res) is res
    True
    >>> res
    array([[-1., -1., -1.],
           [-1., -1., -1.],
           [-1., -1., -1.]])
    """
    return _nd(in1, in2, mode, method, workers, False, axes, out)


def convolve(in1, in2, mode="full", method="auto", *, axes=None, workers=None, out=None):
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
    axes : int or sequence of ints, optional
        Convolve along these axes only, broadcasting the others (see
        :func:`correlate`).
    workers : int, optional
        Threads (see :func:`correlate`).
    out : ndarray, optional
        Where to put the result (see :func:`correlate`).

    Returns
    -------
    ndarray
        ``np.result_type(in1, in2)`` (``out`` when given).

    Examples
    --------
    >>> import numpy as np, cyconv
    >>> cyconv.convolve([1, 2, 3], [0, 1, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])

    Each row with its own kernel:

    >>> cyconv.convolve(np.ones((2, 4)), [[1, 1], [1, -1]], axes=1)
    array([[ 1.,  2.,  2.,  2.,  1.],
           [ 1.,  0.,  0.,  0., -1.]])
    """
    return _nd(in1, in2, mode, method, workers, True, axes, out)


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


def _2d(in1, in2, mode, boundary, fillvalue, workers, convolve, out=None):
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
        if out is not None:
            _check_out(out, in1.shape, result, func)
        return _deliver(_empty_same(in1, result), out)
    target = None
    if out is not None:
        _check_out(out, _mode_shape(in1.shape, in2.shape, mode), result, func)
        target = _kernel_target(out, _compute_dtype(result), in1, in2)

    if mode == "valid":
        # boundary never matters: no output reads outside the bigger input
        swap = _valid_swap_needed(in1.shape, in2.shape)
        x, b = (in2, in1) if swap else (in1, in2)
        k = _flip(b) if convolve else (b.conj() if b.dtype.kind == "c" else b)
        pad, out_shape = _pad_and_shape(x.shape, k.shape, "valid", None)
        reverse = swap and not convolve
        res = _direct(x, k, pad, out_shape, result, workers, None if reverse else target)
        if reverse:
            # mathematically right answer (= scipy.signal.correlate); scipy's
            # correlate2d forgets the conjugation here for complex input.
            res = np.ascontiguousarray(_reverse_conj(res))
        return _deliver(res, out)

    k = _flip(in2) if convolve else (in2.conj() if in2.dtype.kind == "c" else in2)
    pad, out_shape = _pad_and_shape(in1.shape, k.shape, mode,
                                    same_pad=_half_up if convolve else _half_down)
    if bkind == "fill" and fill == 0:
        return _deliver(_direct(in1, k, pad, out_shape, result, workers, target), out)
    return _deliver(_direct(in1, k, pad, out_shape, result, workers, target,
                            _BORDER_CODES[bkind], fill), out)


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, *, workers=None,
                out=None):
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
    out : ndarray, optional
        Where to put the result (see :func:`correlate`).

    Returns
    -------
    ndarray
        ``np.result_type(in1, in2)`` (``out`` when given).

    Examples
    --------
    >>> import numpy as np, cyconv
    >>> X = np.ones((6, 8)); X[:, 2:6] = 0
    >>> cyconv.correlate2d(X, [[1, -1]], mode="valid")[0]
    array([ 0.,  1.,  0.,  0.,  0., -1.,  0.])
    """
    return _2d(in1, in2, mode, boundary, fillvalue, workers, False, out)


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, *, workers=None,
               out=None):
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
    out : ndarray, optional
        Where to put the result (see :func:`correlate`).

    Returns
    -------
    ndarray
        ``np.result_type(in1, in2)`` (``out`` when given).

    Examples
    --------
    >>> import cyconv
    >>> cyconv.convolve2d([[1, 2], [3, 4]], [[1, 1]])
    array([[1, 3, 2],
           [3, 7, 4]])
    """
    return _2d(in1, in2, mode, boundary, fillvalue, workers, True, out)


# --------------------------------------------------------------------------
# FFT convolution and lags (scipy.signal.fftconvolve, oaconvolve, correlation_lags)
# --------------------------------------------------------------------------

def _fft_input_dtype(dt):
    """The dtype scipy.fft transforms an input of dtype ``dt`` in."""
    if dt.kind in "biu":
        return np.dtype(np.float64)
    if dt.kind == "f" and dt.itemsize < 4:
        return np.dtype(np.float32)
    return dt.newbyteorder("=")


def _freq(in1, in2, mode, axes, workers, out, func):
    """fftconvolve / oaconvolve: scipy 1.17's semantics, cyconv's FFT planner."""
    in1 = _as_input(in1, "in1")
    in2 = _as_input(in2, "in2")
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"{func}: {_MODE_FLAGS_ERROR}, got mode={mode!r}")
    _threads.resolve_workers(workers)
    if in1.ndim == 0 and in2.ndim == 0:
        res = in1 * in2
        if out is not None:
            _check_out(out, (), np.result_type(res), func)
        return _deliver(res, out)
    if in1.ndim != in2.ndim:
        raise ValueError(f"{func}: in1 and in2 should have the same dimensionality, got "
                         f"{in1.ndim} and {in2.ndim}")
    if in1.size == 0 or in2.size == 0:
        # scipy's answer whatever the shapes and mode: a 1-D empty float64 array
        res = np.asarray([])
        if out is not None:
            _check_out(out, res.shape, res.dtype, func)
        return _deliver(res, out)
    axes = list(range(in1.ndim)) if axes is None else _normalize_axes(axes, in1.ndim)
    fft_axes, swap, out_shape = _axes_geometry(in1.shape, in2.shape, mode, axes)
    if fft_axes:
        result = np.result_type(_fft_input_dtype(in1.dtype), _fft_input_dtype(in2.dtype))
    else:  # no transform: scipy multiplies in the inputs' own dtypes
        result = np.result_type(in1, in2)
    if out is not None:
        _check_out(out, out_shape, result, func)
    item = max(result.itemsize, 8)
    _checked_size(in1.shape, item, "in1 (converted for computing)")
    _checked_size(in2.shape, item, "in2 (converted for computing)")
    _checked_size(out_shape, item, "the output")
    if swap:
        in1, in2 = in2, in1
    # checked=True: as scipy, no warning about NaN/inf (they spread, as in scipy)
    res = _fft_axes_convolve(in1, in2, mode, axes, fft_axes, result, workers, checked=True)
    return _deliver(res, out)


def fftconvolve(in1, in2, mode="full", axes=None, *, workers=None, out=None):
    """Convolve two N-dimensional arrays by FFT (drop-in for ``scipy.signal.fftconvolve``).

    scipy 1.17's semantics (dtypes, ``axes`` rules and errors, empty inputs),
    computed by cyconv's FFT planner: one transform of a 5-smooth size, or
    overlap-save tiles that stay in cache, on ``workers`` threads.

    Parameters
    ----------
    in1, in2 : array_like
        Inputs of the same number of dimensions.
    mode : {'full', 'valid', 'same'}, optional
        Output size on ``axes`` (see :func:`correlate`; in ``valid`` mode
        one input must be at least the other's size on every axis of
        ``axes`` where neither has length 1).
    axes : int or sequence of ints, optional
        Axes to convolve along (default: all).  On the others the inputs
        broadcast: lengths must be equal or 1 in one of them.
    workers : int, optional
        Threads (see :func:`correlate`).
    out : ndarray, optional
        Where to put the result: exactly its shape and dtype (see
        :func:`correlate`).

    Returns
    -------
    ndarray
        float64 for integer or bool inputs, float32 for float16/float32,
        complex when either input is (as scipy.fft computes); where no axis
        needs a transform (lengths 1), the inputs' ``np.result_type``.  An
        empty input gives an empty 1-D float64 array, as in scipy.

    Notes
    -----
    One deliberate difference: in ``same`` mode scipy 1.17 cuts a broadcast
    batch axis (not in ``axes``) back to ``in1``'s length (scipy#21876);
    cyconv keeps the broadcast length, as in the other modes.

    Examples
    --------
    >>> import numpy as np, cyconv
    >>> y = cyconv.fftconvolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    >>> np.allclose(y, [0.0, 1.0, 2.5, 4.0, 1.5])
    True
    >>> cyconv.fftconvolve(np.ones((2, 4)), [[1.0, 1.0]], mode="same", axes=1).round(12)
    array([[1., 2., 2., 2.],
           [1., 2., 2., 2.]])
    """
    return _freq(in1, in2, mode, axes, workers, out, "fftconvolve")


def oaconvolve(in1, in2, mode="full", axes=None, *, workers=None, out=None):
    """Convolve by overlapping blocks (drop-in for ``scipy.signal.oaconvolve``).

    The same answers (to rounding), dtypes and rules as :func:`fftconvolve`.
    cyconv's planner cuts the output into overlap-save blocks (the
    counterpart of scipy's overlap-add: each block is one small transform)
    wherever that is cheaper than one whole transform, which is when one
    input is much larger than the other -- oaconvolve's use -- and else
    takes the whole transform, as scipy's oaconvolve falls back to
    ``fftconvolve``.

    Parameters
    ----------
    in1, in2 : array_like
        Inputs of the same number of dimensions.
    mode : {'full', 'valid', 'same'}, optional
        Output size (see :func:`fftconvolve`).
    axes : int or sequence of ints, optional
        Axes to convolve along (see :func:`fftconvolve`).
    workers : int, optional
        Threads (see :func:`correlate`).
    out : ndarray, optional
        Where to put the result (see :func:`correlate`).

    Returns
    -------
    ndarray
        As :func:`fftconvolve`.

    Examples
    --------
    >>> import numpy as np, cyconv
    >>> sig = np.zeros(10_000); sig[5000] = 1.0
    >>> y = cyconv.oaconvolve(sig, np.hanning(64), mode="same")
    >>> y.shape, int(np.argmax(y))
    ((10000,), 5000)
    """
    return _freq(in1, in2, mode, axes, workers, out, "oaconvolve")


def correlation_lags(in1_len, in2_len, mode="full"):
    """Lag indices of a 1-D cross-correlation (drop-in for ``scipy.signal.correlation_lags``).

    ``correlate(in1, in2, mode)[i]`` is the correlation at lag
    ``correlation_lags(in1.size, in2.size, mode)[i]``: how far ``in2`` must be
    shifted to line up with ``in1``.

    Parameters
    ----------
    in1_len, in2_len : int
        Sizes of the two inputs.
    mode : {'full', 'valid', 'same'}, optional
        The mode given to :func:`correlate`.

    Returns
    -------
    ndarray
        The lags, as integers (``numpy.arange``'s dtype for the sizes).

    Examples
    --------
    >>> import numpy as np, cyconv
    >>> x = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    >>> y = np.array([1.0, 0.0, 0.0])
    >>> lags = cyconv.correlation_lags(x.size, y.size)
    >>> int(lags[np.argmax(cyconv.correlate(x, y))])
    2
    """
    if mode == "full":
        return np.arange(-in2_len + 1, in1_len)
    if mode == "same":
        # in1_len lags centred on the middle of the full range (for an even
        # in1_len the one past the middle is dropped, as in scipy)
        full = np.arange(-in2_len + 1, in1_len)
        start = full.size // 2 - in1_len // 2
        return full[start:start + in1_len]
    if mode == "valid":
        bound = in1_len - in2_len
        return np.arange(bound + 1) if bound >= 0 else np.arange(bound, 1)
    raise ValueError(f"Mode {mode} is invalid: acceptable modes are 'full', 'valid' and 'same'")


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


__all__ = ["correlate", "convolve", "correlate2d", "convolve2d", "fftconvolve", "oaconvolve",
           "correlation_lags", "choose_conv_method"]
