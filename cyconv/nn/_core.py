"""Argument checking and planning of the layer kernels (forward, grad_input, grad_weight).

Every public function of :mod:`cyconv.nn` reduces to one or more calls of
:func:`cyconv._conv_layer.run` with a *plan*: the extents and element strides
of ``out[p, g, q, o] = bias[g, q] + sum_r sum_t k[p, g, q, r, t] * x[p, g, r, o*os + t*ts - pad]``
(see that module's docstring).  All validation happens here, before any C
code runs; the C entry re-checks the invariants it relies on.

Spatial axes are handled as three: 1-D and 2-D data get leading extents of 1.
"""

import math
import operator

import numpy as np

from cyconv import _conv_layer, _threads

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_INTP_MAX = np.iinfo(np.intp).max
_AXES = {1: "(L,)", 2: "(H, W)", 3: "(D, H, W)"}

# Tests set this to 0 (strategy A), 1 (strategy B) or 2 (strategy N, where the
# rows are narrow enough) to exercise every loop order on every pass; None
# lets the planner choose.
_FORCE_STRATEGY = None


# --------------------------------------------------------------------------
# argument checking
# --------------------------------------------------------------------------

def _array(a, name, func):
    """A float32/float64 ndarray (no copy where possible), or TypeError naming ``name``."""
    if not isinstance(a, np.ndarray):
        try:
            a = np.asarray(a)
        except Exception as exc:  # ragged lists and the like
            raise ValueError(f"{func}: {name} could not be converted to an array: {exc}") from None
    if a.dtype not in _FLOATS:
        raise TypeError(f"{func}: {name} must be a float32 or float64 array, got dtype {a.dtype}")
    return a


def _same_dtype(func, **arrays):
    names = list(arrays)
    dtypes = [arrays[n].dtype for n in names]
    if any(dt != dtypes[0] for dt in dtypes):
        desc = ", ".join(f"{n} is {dt}" for n, dt in zip(names, dtypes))
        raise TypeError(f"{func}: {' and '.join(names)} must have the same dtype ({desc})")


def _int(value, name, func, minimum):
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{func}: {name} must be an int, not bool")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{func}: {name} must be an int, got {type(value).__name__}") from None
    if v < minimum:
        raise ValueError(f"{func}: {name} must be >= {minimum}, got {v}")
    return v


def _int_tuple(value, nd, name, func, minimum):
    """An int or a sequence of ``nd`` ints, each >= minimum, as a tuple."""
    if isinstance(value, (tuple, list)):
        if len(value) != nd:
            raise ValueError(f"{func}: {name} must be an int or a tuple of {nd} ints, got {value!r}")
        return tuple(_int(v, name, func, minimum) for v in value)
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return _int_tuple(value.tolist(), nd, name, func, minimum)
    if isinstance(value, str) or not hasattr(value, "__index__"):
        raise TypeError(f"{func}: {name} must be an int or a tuple of {nd} ints, "
                        f"got {type(value).__name__}")
    return (_int(value, name, func, minimum),) * nd


def _size(value, name, func, lengths):
    """A shape given by the user (input_size, weight_size): a sequence of ints >= 0."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{func}: {name} must be a sequence of ints (a shape), "
                        f"got {type(value).__name__}")
    shape = tuple(_int(v, name, func, 0) for v in value)
    if len(shape) not in lengths:
        want = " or ".join(str(n) for n in lengths)
        raise ValueError(f"{func}: {name} must have {want} entries, got {shape}")
    return shape


def _padding(padding, nd, ks, dilation, stride, func):
    """(left, right) padding per axis; torch's rules, including 'same' for even kernels."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * nd, (0,) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{func}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride}); give the padding explicitly")
            total = [d * (k - 1) for d, k in zip(dilation, ks)]
            left = tuple(t // 2 for t in total)
            return left, tuple(t - lo for t, lo in zip(total, left))
        raise ValueError(f"{func}: padding must be an int, a tuple of {nd} ints, 'valid' or "
                         f"'same', got {padding!r}")
    p = _int_tuple(padding, nd, "padding", func, 0)
    return p, p


def _out_size(spatial, ks, stride, dilation, left, right, func):
    out = []
    for ax, (n, k, s, d, pl, pr) in enumerate(zip(spatial, ks, stride, dilation, left, right)):
        span = n + pl + pr - d * (k - 1) - 1
        if span < 0:
            raise ValueError(f"{func}: the input is too small for the kernel on spatial axis {ax}: "
                             f"size {n} + padding {pl + pr} < dilated kernel size {d * (k - 1) + 1}")
        out.append(span // s + 1)
    return tuple(out)


def _groups(groups, func):
    return _int(groups, "groups", func, 1)


def _check_bytes(shape, itemsize, what, func):
    n = math.prod(shape)
    if n * itemsize > _INTP_MAX // 2:
        raise ValueError(f"{func}: {what} of shape {tuple(shape)} has more bytes than this "
                         "platform can address")
    return n


def _check_channels(func, c_in, c_out, c_in_g, groups):
    if c_in_g < 1:
        raise ValueError(f"{func}: weight.shape[1] (input channels per group) must be >= 1")
    if c_in != c_in_g * groups:
        raise ValueError(f"{func}: input has {c_in} channels but weight expects "
                         f"weight.shape[1] * groups = {c_in_g} * {groups} = {c_in_g * groups}")
    if c_out % groups:
        raise ValueError(f"{func}: weight.shape[0] (out channels, {c_out}) must be divisible "
                         f"by groups ({groups})")


def _hyper(nd, ks, stride, padding, dilation, groups, func):
    stride = _int_tuple(stride, nd, "stride", func, 1)
    dilation = _int_tuple(dilation, nd, "dilation", func, 1)
    groups = _groups(groups, func)
    left, right = _padding(padding, nd, ks, dilation, stride, func)
    return stride, dilation, groups, left, right


# --------------------------------------------------------------------------
# plans and execution
# --------------------------------------------------------------------------

def _3(t, fill):
    return (fill,) * (3 - len(t)) + tuple(int(v) for v in t)


def _narrow(x, out, plan, lanes):
    """Strategy N pays: a row of one block at most (and over ``lanes / 2`` columns), with
    border columns or a partial block, and a per-thread scratch no larger than strategy
    A's limit."""
    ow, kw, xw = plan["osz"][2], plan["ks"][2], plan["xs"][2]
    s, ts, pad = plan["ostep"][2], plan["tstep"][2], plan["pad"][2]
    vl = _conv_layer.lanes(x.dtype)
    vw = _conv_layer.wide_block(x.dtype)
    if not lanes // 2 < ow <= vw:
        return False
    xa = min(ow, max(0, -(-pad // s)))
    xe = max(xa, min(ow, (xw - 1 + pad - (kw - 1) * ts) // s + 1))
    if ow == vw and xa == 0 and xe == ow:
        return False          # one full wide block already
    bw = vl if ow <= vl else vw
    taps = plan["nR"] * math.prod(plan["ks"])
    scratch = (taps * (8 + (plan["nQ"] + 8) * x.itemsize)
               + taps // kw * ((bw - 1) * s + (kw - 1) * ts + 1) * x.itemsize)
    return scratch <= max(out.nbytes, 1 << 20)


def _execute(x, k, out, bias, plan, workers):
    """Pick the loop order, reserve threads and run one plan."""
    ks, osz = plan["ks"], plan["osz"]

    work = (plan["nP"] * plan["G"] * plan["nQ"] * plan["nR"] * math.prod(osz) * math.prod(ks))
    if _FORCE_STRATEGY is not None:
        strategy = _FORCE_STRATEGY
    else:
        lanes = _conv_layer.lanes(x.dtype)
        scratch = plan["nR"] * math.prod(ks) * (8 + 6 * x.itemsize)
        if scratch > max(out.nbytes, 1 << 20):
            strategy = 1      # A's tap list would outgrow the output
        elif osz[2] < lanes and ks[2] > osz[2]:
            strategy = 1      # short output rows, long tap rows (the weight gradient)
        else:
            strategy = 0
    if _FORCE_STRATEGY is None and strategy == 0 and _narrow(x, out, plan, lanes):
        strategy = 2          # a narrow row: one block on zero-padded input rows
    elif strategy == 2 and not _narrow(x, out, plan, 1):
        strategy = 0          # (forced, but the rows are too wide)
    n_tiles = plan["nP"] * plan["G"] * osz[0] * osz[1]
    if strategy != 2:
        n_tiles *= _conv_layer.q_blocks(plan["nQ"], strategy)[0]
    n = _threads.acquire(workers, min(work, _INTP_MAX), n_tiles)
    try:
        yb = pb = 1
        if strategy == 1:
            # B tiles cover blocks of p and of output rows, as large as still
            # gives each thread about 4 tiles (large blocks re-use k from
            # cache; results do not depend on the blocks, only speed does)
            base = n_tiles // (plan["nP"] * osz[1])
            pb, yb = plan["nP"], osz[1]
            while pb > 1 and base * -(-plan["nP"] // pb) < 4 * n:
                pb = -(-pb // 2)
            if base * -(-plan["nP"] // pb) < 4 * n:
                yb = 1
            n_tiles = base * -(-plan["nP"] // pb) * -(-osz[1] // yb)
        chunk = max(1, min(32, n_tiles // (8 * n)))
        _conv_layer.run(x, k, out, bias, plan, strategy, n, chunk, yb, pb)
    finally:
        _threads.release(n)
    return out


def forward(nd, input, weight, bias, stride, padding, dilation, groups, workers, func):
    """out = cross-correlation of input with weight (+ bias), torch semantics."""
    x = _array(input, "input", func)
    w = _array(weight, "weight", func)
    _same_dtype(func, input=x, weight=w)
    if bias is not None:
        b = _array(bias, "bias", func)
        _same_dtype(func, input=x, bias=b)
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{func}: input must be {nd + 2}-D (N, C_in, *{_AXES[nd]}) or "
                         f"{nd + 1}-D unbatched (C_in, *{_AXES[nd]}), got shape {x.shape}")
    if w.ndim != nd + 2:
        raise ValueError(f"{func}: weight must be {nd + 2}-D (C_out, C_in / groups, "
                         f"*kernel_size), got shape {w.shape}")
    ks = w.shape[2:]
    if min(ks) < 1:
        raise ValueError(f"{func}: weight has an empty kernel, shape {w.shape}")
    stride, dilation, groups, left, right = _hyper(nd, ks, stride, padding, dilation, groups, func)
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x[None]
    n_batch, c_in = x.shape[:2]
    c_out, c_in_g = w.shape[:2]
    _check_channels(func, c_in, c_out, c_in_g, groups)
    if bias is not None and b.shape != (c_out,):
        raise ValueError(f"{func}: bias must have shape ({c_out},) (one per output channel), "
                         f"got {b.shape}")
    spatial = x.shape[2:]
    if min(spatial) < 1:
        raise ValueError(f"{func}: input has an empty spatial axis, shape {x.shape}")
    out_sp = _out_size(spatial, ks, stride, dilation, left, right, func)
    shape = (n_batch, c_out) + out_sp
    _check_bytes(shape, x.itemsize, "the output", func)
    _check_bytes(x.shape, x.itemsize, "the input", func)
    out = _run_forward(x, w, None if bias is None else b, stride, dilation, groups, left, out_sp,
                       workers)
    return out[0] if unbatched else out


def _pointwise(spatial, ks, stride, left, out_sp):
    """A 1x1 kernel, stride 1, no padding, every output: the spatial axes can be one."""
    return (len(ks) > 1 and all(k == 1 for k in ks) and all(s == 1 for s in stride)
            and not any(left) and tuple(out_sp) == tuple(spatial))


def _run_forward(x, w, b, stride, dilation, groups, left, out_sp, workers):
    """The forward pass on checked, batched arrays; ``out_sp`` may be below the natural size
    (the first outputs only: the input gradient of a transposed convolution)."""
    n_batch, c_in = x.shape[:2]
    c_out, c_in_g = w.shape[:2]
    shape = (n_batch, c_out) + tuple(out_sp)
    if n_batch == 0 or c_out == 0:
        return np.zeros(shape, dtype=x.dtype)
    x = np.ascontiguousarray(x)
    w = np.ascontiguousarray(w)
    if _pointwise(x.shape[2:], w.shape[2:], stride, left, out_sp):
        flat = _run_forward(x.reshape(x.shape[:2] + (-1,)), w.reshape(w.shape[:2] + (1,)), b,
                            (1,), (1,), groups, (0,), (math.prod(out_sp),), workers)
        return flat.reshape(shape)
    out = np.empty(shape, dtype=x.dtype)
    spatial, ks = x.shape[2:], w.shape[2:]
    c_out_g = c_out // groups
    sx, sk, so = math.prod(spatial), math.prod(ks), math.prod(out_sp)
    o3 = _3(out_sp, 1)
    plan = dict(
        nP=n_batch, G=groups, nQ=c_out_g, nR=c_in_g,
        x_sp=c_in * sx, x_sg=c_in_g * sx, x_sr=sx,
        k_sp=0, k_sg=c_out_g * c_in_g * sk, k_sq=c_in_g * sk, k_sr=sk,
        o_sp=c_out * so, o_sg=c_out_g * so, o_sq=so, o_off=0,
        xs=_3(spatial, 1), ks=_3(ks, 1), osz=o3, ostr=(o3[1] * o3[2], o3[2], 1),
        ostep=_3(stride, 1), tstep=_3(dilation, 1), pad=_3(left, 0),
    )
    b_c = None if b is None else np.ascontiguousarray(b)
    return _execute(x, w, out, b_c, plan, workers)


def _residue_classes(n, k, s, d, pad):
    """grad_input along one axis, split by the residue of the input index mod s.

    Input position i = r + s*m receives grad_output[o] * w[t] for i = o*s + t*d - pad,
    i.e. only the taps with (r + pad - t*d) % s == 0.  They are t = t0 + u*T
    (T = s / gcd(s, d)); with the sub-kernel flipped, class r is the plain
    correlation grad_input[r + s*m] = sum_u w[t0 + (U-1-u) T] * grad_output[m + u*D - p_r]
    with D = d / gcd(s, d): stride 1, dilation D, padding p_r.
    Returns [(r, count of m, tap indices in kernel order, D, p_r)], taps [] when
    the class meets no tap.
    """
    g = math.gcd(s, d)
    big_t, big_d = s // g, d // g
    classes = []
    for r in range(min(s, n)):
        count = (n - r + s - 1) // s
        t0 = next((t for t in range(min(k, big_t)) if (r + pad - t * d) % s == 0), None)
        if t0 is None:
            classes.append((r, count, [], big_d, 0))
            continue
        taps = list(range(t0, k, big_t))
        c0 = (r + pad - t0 * d) // s
        classes.append((r, count, taps[::-1], big_d, (len(taps) - 1) * big_d - c0))
    return classes


def grad_input(nd, input_size, weight, grad_output, stride, padding, dilation, groups, workers,
               func):
    """dL/dinput: the full correlation of grad_output with the flipped, channel-transposed weight."""
    w = _array(weight, "weight", func)
    gy = _array(grad_output, "grad_output", func)
    _same_dtype(func, weight=w, grad_output=gy)
    if w.ndim != nd + 2:
        raise ValueError(f"{func}: weight must be {nd + 2}-D (C_out, C_in / groups, "
                         f"*kernel_size), got shape {w.shape}")
    if gy.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{func}: grad_output must be {nd + 2}-D (N, C_out, *{_AXES[nd]}) or "
                         f"{nd + 1}-D unbatched, got shape {gy.shape}")
    size = _size(input_size, "input_size", func, (gy.ndim,))
    ks = w.shape[2:]
    if min(ks) < 1:
        raise ValueError(f"{func}: weight has an empty kernel, shape {w.shape}")
    stride, dilation, groups, left, right = _hyper(nd, ks, stride, padding, dilation, groups, func)
    unbatched = gy.ndim == nd + 1
    if unbatched:
        gy = gy[None]
        size = (1,) + size
    n_batch, c_in = size[:2]
    spatial = size[2:]
    c_out, c_in_g = w.shape[:2]
    _check_channels(func, c_in, c_out, c_in_g, groups)
    if gy.shape[:2] != (n_batch, c_out):
        raise ValueError(f"{func}: grad_output has shape {gy.shape[:2]} in (N, C_out) but "
                         f"input_size and weight give {(n_batch, c_out)}")
    if min(spatial) < 1:
        raise ValueError(f"{func}: input_size has an empty spatial axis: {size}")
    out_sp = _out_size(spatial, ks, stride, dilation, left, right, func)
    if gy.shape[2:] != out_sp:
        raise ValueError(f"{func}: grad_output has spatial shape {gy.shape[2:]} but an input of "
                         f"size {spatial} gives an output of spatial shape {out_sp}")
    _check_bytes(size, w.itemsize, "input_size", func)
    gx = _run_grad_input(size, w, gy, None, stride, dilation, groups, left, workers)
    return gx[0] if unbatched else gx


def _run_grad_input(size, w, gy, bias, stride, dilation, groups, left, workers):
    """grad_input on checked, batched arrays (+ bias per input channel, for the transposed
    convolution); ``gy`` may be shorter than the forward output of ``size`` (the transposed
    convolution's output_padding): the missing positions count as zeros."""
    n_batch, c_in = size[:2]
    spatial = size[2:]
    c_out, c_in_g = w.shape[:2]
    ks = w.shape[2:]
    nd = len(ks)
    if n_batch == 0 or c_out == 0:
        gx = np.zeros(size, dtype=w.dtype)
        if bias is not None:
            gx += bias.reshape((-1,) + (1,) * nd)
        return gx
    gy = np.ascontiguousarray(gy)
    if _pointwise(spatial, ks, stride, left, gy.shape[2:]):
        flat = _run_grad_input(tuple(size[:2]) + (math.prod(spatial),),
                               np.ascontiguousarray(w).reshape(w.shape[:2] + (1,)),
                               gy.reshape(gy.shape[:2] + (-1,)), bias, (1,), (1,), groups, (0,),
                               workers)
        return flat.reshape(size)
    b_c = None if bias is None else np.ascontiguousarray(bias)
    c_out_g = c_out // groups
    # (G, C_in/g, C_out/g, *k): channel-transposed weight
    wt = w.reshape((groups, c_out_g, c_in_g) + ks).swapaxes(1, 2)
    per_axis = [_residue_classes(n, k, s, d, p) for n, k, s, d, p in
                zip(_3(spatial, 1), _3(ks, 1), _3(stride, 1), _3(dilation, 1), _3(left, 0))]
    any_empty = any(not taps for classes in per_axis for (_, _, taps, _, _) in classes)
    gx = (np.zeros if any_empty else np.empty)(size, dtype=w.dtype)
    if any_empty and bias is not None:
        gx += bias.reshape((-1,) + (1,) * nd)
    xs3, sp3, st3 = _3(gy.shape[2:], 1), _3(spatial, 1), _3(stride, 1)
    sin, so = math.prod(spatial), math.prod(gy.shape[2:])
    for cz in per_axis[0]:
        for cy in per_axis[1]:
            for cx in per_axis[2]:
                cls = (cz, cy, cx)
                if any(not taps for (_, _, taps, _, _) in cls):
                    continue          # these positions get no tap: zero (or the bias)
                index = tuple(np.asarray(taps) for (_, _, taps, _, _) in cls)
                sub = wt.reshape((groups, c_in_g, c_out_g) + _3(ks, 1))
                sub = np.ascontiguousarray(sub[(Ellipsis,) + np.ix_(*index)])
                sk = sub.shape[3:]
                osz = tuple(count for (_, count, _, _, _) in cls)
                r = [rr for (rr, _, _, _, _) in cls]
                plan = dict(
                    nP=n_batch, G=groups, nQ=c_in_g, nR=c_out_g,
                    x_sp=c_out * so, x_sg=c_out_g * so, x_sr=so,
                    k_sp=0, k_sg=c_in_g * c_out_g * math.prod(sk), k_sq=c_out_g * math.prod(sk),
                    k_sr=math.prod(sk),
                    o_sp=c_in * sin, o_sg=c_in_g * sin, o_sq=sin,
                    o_off=(r[0] * sp3[1] + r[1]) * sp3[2] + r[2],
                    xs=xs3, ks=sk, osz=osz,
                    ostr=(st3[0] * sp3[1] * sp3[2], st3[1] * sp3[2], st3[2]),
                    ostep=(1, 1, 1), tstep=tuple(D for (_, _, _, D, _) in cls),
                    pad=tuple(p for (_, _, _, _, p) in cls),
                )
                _execute(gy, sub, gx, b_c, plan, workers)
    return gx


def grad_weight(nd, input, weight_size, grad_output, stride, padding, dilation, groups, workers,
                func):
    """dL/dweight: the correlation of the input with grad_output, summed over the batch."""
    x = _array(input, "input", func)
    gy = _array(grad_output, "grad_output", func)
    _same_dtype(func, input=x, grad_output=gy)
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{func}: input must be {nd + 2}-D (N, C_in, *{_AXES[nd]}) or "
                         f"{nd + 1}-D unbatched, got shape {x.shape}")
    if gy.ndim != x.ndim:
        raise ValueError(f"{func}: grad_output must have the ndim of input ({x.ndim}), "
                         f"got shape {gy.shape}")
    size = _size(weight_size, "weight_size", func, (nd + 2,))
    ks = size[2:]
    if min(ks) < 1:
        raise ValueError(f"{func}: weight_size has an empty kernel: {size}")
    stride, dilation, groups, left, right = _hyper(nd, ks, stride, padding, dilation, groups, func)
    if x.ndim == nd + 1:
        x, gy = x[None], gy[None]
    n_batch, c_in = x.shape[:2]
    c_out, c_in_g = size[:2]
    _check_channels(func, c_in, c_out, c_in_g, groups)
    if gy.shape[:2] != (n_batch, c_out):
        raise ValueError(f"{func}: grad_output has shape {gy.shape[:2]} in (N, C_out) but "
                         f"input and weight_size give {(n_batch, c_out)}")
    spatial = x.shape[2:]
    if min(spatial) < 1:
        raise ValueError(f"{func}: input has an empty spatial axis, shape {x.shape}")
    out_sp = _out_size(spatial, ks, stride, dilation, left, right, func)
    if gy.shape[2:] != out_sp:
        raise ValueError(f"{func}: grad_output has spatial shape {gy.shape[2:]} but the input "
                         f"and weight_size give an output of spatial shape {out_sp}")
    _check_bytes(size, x.itemsize, "weight_size", func)
    return _run_grad_weight(x, size, gy, stride, dilation, groups, left, workers)


def _run_grad_weight(x, size, gy, stride, dilation, groups, left, workers):
    """grad_weight on checked, batched arrays; ``gy`` may be shorter than the forward output
    (only its positions are summed: the weight gradient of a transposed convolution)."""
    n_batch, c_in = x.shape[:2]
    c_out, c_in_g = size[:2]
    ks = size[2:]
    spatial, out_sp = x.shape[2:], gy.shape[2:]
    if n_batch == 0 or c_out == 0:
        return np.zeros(size, dtype=x.dtype)
    x = np.ascontiguousarray(x)
    gy = np.ascontiguousarray(gy)
    if _pointwise(spatial, ks, stride, left, out_sp):
        flat = _run_grad_weight(x.reshape(x.shape[:2] + (-1,)), tuple(size[:2]) + (1,),
                                gy.reshape(gy.shape[:2] + (-1,)), (1,), (1,), groups, (0,),
                                workers)
        return flat.reshape(size)
    gw = np.empty(size, dtype=x.dtype)
    c_out_g = c_out // groups
    sx, sk, so = math.prod(spatial), math.prod(ks), math.prod(out_sp)
    k3 = _3(ks, 1)
    plan = dict(
        nP=c_in_g, G=groups, nQ=c_out_g, nR=n_batch,
        x_sp=sx, x_sg=c_in_g * sx, x_sr=c_in * sx,
        k_sp=0, k_sg=c_out_g * so, k_sq=so, k_sr=c_out * so,
        o_sp=sk, o_sg=c_out_g * c_in_g * sk, o_sq=c_in_g * sk, o_off=0,
        xs=_3(spatial, 1), ks=_3(out_sp, 1), osz=k3, ostr=(k3[1] * k3[2], k3[2], 1),
        ostep=_3(dilation, 1), tstep=_3(stride, 1), pad=_3(left, 0),
    )
    chunks = _batch_chunks(n_batch, groups, c_in_g, c_out_g, ks)
    if chunks == 1:
        return _execute(x, gy, gw, None, plan, workers)
    # Few tiles (few channels, small kernel): the batch sum is split into
    # `chunks` fixed parts that run as "groups" of one kernel call, each into
    # its own copy of the weight, then added in chunk order.  The split
    # depends on the shapes only, so the result does not depend on threads.
    bc = n_batch // chunks
    plan.update(G=chunks, nR=bc, x_sg=bc * c_in * sx, k_sg=bc * c_out * so, o_sg=gw.size)
    part = _execute(x, gy, np.empty((chunks,) + tuple(size), dtype=x.dtype), None, plan,
                    workers)
    for i in range(1, chunks):
        part[0] += part[i]
    return part[0]


# grad_weight splits the batch when it has fewer tiles than this
_SPLIT_TILES = 64
_SPLIT_MAX = 8


def _batch_chunks(n_batch, groups, c_in_g, c_out_g, ks):
    """How many parts grad_weight's batch sum is cut into (1: none): enough for
    _SPLIT_TILES tiles, at most _SPLIT_MAX, a divisor of the batch; groups == 1 only
    (the split takes the kernel's group axis)."""
    k3 = _3(ks, 1)
    tiles = c_in_g * -(-c_out_g // 4) * k3[0] * k3[1]
    if groups != 1 or tiles >= _SPLIT_TILES:
        return 1
    want = min(_SPLIT_MAX, n_batch, -(-_SPLIT_TILES // tiles))
    return max(d for d in range(1, want + 1) if n_batch % d == 0)


def _transpose_hyper(nd, ks, stride, padding, output_padding, dilation, groups, func):
    """stride, padding, output_padding, dilation, groups of a transposed convolution, checked."""
    stride = _int_tuple(stride, nd, "stride", func, 1)
    dilation = _int_tuple(dilation, nd, "dilation", func, 1)
    groups = _groups(groups, func)
    padding = _int_tuple(padding, nd, "padding", func, 0)
    output_padding = _int_tuple(output_padding, nd, "output_padding", func, 0)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(f"{func}: output_padding must be smaller than either stride or "
                             f"dilation on every axis, got output_padding={output_padding}, "
                             f"stride={stride}, dilation={dilation}")
    return stride, padding, output_padding, dilation, groups


def transpose_size(spatial, ks, stride, padding, output_padding, dilation, func):
    """Output size ``(L - 1) s - 2 p + d (k - 1) + output_padding + 1`` per axis (>= 1)."""
    out = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, k, s, p, op, d in
                zip(spatial, ks, stride, padding, output_padding, dilation))
    if min(out) < 1:
        raise ValueError(f"{func}: the output would be empty: an input of spatial size "
                         f"{tuple(spatial)} with kernel {tuple(ks)}, stride {stride}, padding "
                         f"{padding}, output_padding {output_padding} and dilation {dilation} "
                         f"gives {out}")
    return out


def _transpose_args(nd, input, weight, bias, func, name_x="input"):
    """input, weight, bias of a transposed convolution: arrays, dtypes and ranks checked."""
    x = _array(input, name_x, func)
    w = _array(weight, "weight", func)
    _same_dtype(func, **{name_x: x, "weight": w})
    b = None
    if bias is not None:
        b = _array(bias, "bias", func)
        _same_dtype(func, **{name_x: x, "bias": b})
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{func}: {name_x} must be {nd + 2}-D (N, C_in, *{_AXES[nd]}) or "
                         f"{nd + 1}-D unbatched (C_in, *{_AXES[nd]}), got shape {x.shape}")
    if w.ndim != nd + 2:
        raise ValueError(f"{func}: weight must be {nd + 2}-D (C_in, C_out / groups, "
                         f"*kernel_size), got shape {w.shape}")
    if min(w.shape[2:]) < 1:
        raise ValueError(f"{func}: weight has an empty kernel, shape {w.shape}")
    return x, w, b


def _transpose_channels(func, c_in, w_shape, groups, bias_shape):
    if w_shape[0] != c_in:
        raise ValueError(f"{func}: input has {c_in} channels but weight.shape[0] (input "
                         f"channels) is {w_shape[0]}")
    if c_in < 1 or w_shape[1] < 1:
        raise ValueError(f"{func}: weight must have at least one input and one output "
                         f"channel, got shape {tuple(w_shape)}")
    if c_in % groups:
        raise ValueError(f"{func}: input channels ({c_in}) must be divisible by groups "
                         f"({groups})")
    c_out = w_shape[1] * groups
    if bias_shape is not None and bias_shape != (c_out,):
        raise ValueError(f"{func}: bias must have shape ({c_out},) (one per output channel), "
                         f"got {bias_shape}")
    return c_out


def conv_transpose(nd, input, weight, bias, stride, padding, output_padding, groups, dilation,
                   workers, func):
    """The transposed convolution (torch's conv_transposeNd): the input gradient of the
    convolution whose weight is ``weight``, applied to ``input``."""
    x, w, b = _transpose_args(nd, input, weight, bias, func)
    ks = w.shape[2:]
    stride, padding, output_padding, dilation, groups = _transpose_hyper(
        nd, ks, stride, padding, output_padding, dilation, groups, func)
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x[None]
    n_batch, c_in = x.shape[:2]
    c_out = _transpose_channels(func, c_in, w.shape, groups, None if b is None else b.shape)
    if min(x.shape[2:]) < 1:
        raise ValueError(f"{func}: input has an empty spatial axis, shape {x.shape}")
    out_sp = transpose_size(x.shape[2:], ks, stride, padding, output_padding, dilation, func)
    size = (n_batch, c_out) + out_sp
    _check_bytes(size, x.itemsize, "the output", func)
    y = _run_grad_input(size, w, x, b, stride, dilation, groups, padding, workers)
    return y[0] if unbatched else y


def conv_transpose_grads(nd, x, w, gy, stride, padding, dilation, groups, workers):
    """(dL/dinput, dL/dweight) of a transposed convolution, on the arrays the layer checked."""
    unbatched = x.ndim == nd + 1
    if unbatched:
        x, gy = x[None], gy[None]
    gx = _run_forward(gy, w, None, stride, dilation, groups, padding, x.shape[2:], workers)
    gw = _run_grad_weight(gy, w.shape, x, stride, dilation, groups, padding, workers)
    return (gx[0] if unbatched else gx), gw


def grad_bias(grad_output, nd, func):
    """dL/dbias: grad_output summed over the batch and every spatial axis."""
    gy = _array(grad_output, "grad_output", func)
    if gy.ndim == nd + 1:
        return gy.sum(axis=tuple(range(1, gy.ndim)))
    return gy.sum(axis=(0,) + tuple(range(2, gy.ndim)))


# --------------------------------------------------------------------------
# padding modes of the layers (torch's F.pad rules)
# --------------------------------------------------------------------------

_NP_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(x, left, right, mode, nd, func):
    """``x`` padded on its last ``nd`` axes by ``mode`` ('reflect', 'replicate', 'circular')."""
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{func}: input must be {nd + 2}-D (N, C_in, *{_AXES[nd]}) or "
                         f"{nd + 1}-D unbatched (C_in, *{_AXES[nd]}), got shape {x.shape}")
    spatial = x.shape[x.ndim - nd:]
    for ax, (n, pl, pr) in enumerate(zip(spatial, left, right)):
        if n < 1:
            raise ValueError(f"{func}: input has an empty spatial axis, shape {x.shape}")
        if mode == "reflect" and max(pl, pr) >= n:
            raise ValueError(f"{func}: padding_mode='reflect' needs padding ({pl}, {pr}) smaller "
                             f"than the input size {n} on spatial axis {ax}")
        if mode == "circular" and max(pl, pr) > n:
            raise ValueError(f"{func}: padding_mode='circular' needs padding ({pl}, {pr}) at most "
                             f"the input size {n} on spatial axis {ax} (it would wrap around "
                             f"more than once)")
    _check_bytes(x.shape[:x.ndim - nd] + tuple(n + pl + pr for n, pl, pr in
                                               zip(spatial, left, right)),
                 x.itemsize, "the padded input", func)
    widths = [(0, 0)] * (x.ndim - nd) + list(zip(left, right))
    return np.pad(x, widths, mode=_NP_MODES[mode])


def fold_padding(g, left, right, mode, nd):
    """The adjoint of :func:`pad`: the gradient of the padded input folded onto the input.

    Every padded position adds its gradient to the input position it copies,
    one axis after the other, in a fixed order (deterministic).
    """
    for ax, (pl, pr) in enumerate(zip(left, right)):
        axis = g.ndim - nd + ax
        if not pl and not pr:
            continue
        n = g.shape[axis] - pl - pr
        src = np.pad(np.arange(n), (pl, pr), mode=_NP_MODES[mode])
        head = (slice(None),) * axis
        out = g[head + (slice(pl, pl + n),)].copy()
        for j in [*range(pl), *range(pl + n, pl + n + pr)]:
            out[head + (src[j],)] += g[head + (j,)]
        g = out
    return g
