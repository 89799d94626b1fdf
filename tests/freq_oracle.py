"""Oracle of convolutions along some axes with broadcast batch axes (numpy only).

Used by test_freq.py and test_fuzz.py: float64/complex128 sums (int64 for
integer results, wrapping as the kernels do) over every batch element,
sliced per mode as scipy.signal.fftconvolve slices -- except that 'same'
keeps a broadcast batch axis (cyconv's deliberate difference, scipy#21876).
"""

import numpy as np


def _full_nd(x, k):
    """Full N-d convolution of two small arrays, by sliding windows (exact for int64)."""
    pads = [(m - 1, m - 1) for m in k.shape]
    win = np.lib.stride_tricks.sliding_window_view(np.pad(x, pads), k.shape)
    with np.errstate(all="ignore"):
        return np.tensordot(win, k[(slice(None, None, -1),) * k.ndim], axes=k.ndim)


def conv_oracle(a, b, mode, axes, result):
    """Convolution of a and b along ``axes`` (all if None), batch axes broadcast.

    On ``axes``: full = n + m - 1, same = in1's length centred as scipy
    (start (m - 1) // 2), valid = |n - m| + 1; on the other axes the
    broadcast length.
    """
    a, b = np.asarray(a), np.asarray(b)
    nd = a.ndim
    axes = list(range(nd)) if axes is None else sorted({d % nd for d in np.atleast_1d(axes)})
    batch = [d for d in range(nd) if d not in axes]
    work = np.int64 if result.kind in "biu" else (
        np.complex128 if result.kind == "c" else np.float64)
    bshape = [max(a.shape[d], b.shape[d]) for d in batch]

    def stack(v):
        """v's batch elements, broadcast, as one leading axis."""
        conv = [v.shape[d] for d in axes]
        v = np.moveaxis(v.astype(work), batch, range(len(batch)))
        return np.broadcast_to(v, bshape + conv).reshape([-1] + conv)

    A, B = stack(a), stack(b)
    full = np.stack([_full_nd(x, k) for x, k in zip(A, B)])
    sl = [slice(None)]
    for d in axes:
        n, m = a.shape[d], b.shape[d]
        if mode == "same":
            sl.append(slice((m - 1) // 2, (m - 1) // 2 + n))
        elif mode == "valid":
            sl.append(slice(min(n, m) - 1, max(n, m)))
        else:
            sl.append(slice(None))
    kept = full[tuple(sl)]
    out = kept.reshape(bshape + list(kept.shape[1:]))
    out = np.moveaxis(out, range(len(batch)), batch)
    if result.kind == "b":
        return out != 0
    with np.errstate(all="ignore"):
        return out.astype(result)


def rc_axes(b, axes):
    """in2 reversed on ``axes`` and conjugated: correlate(a, b) = convolve(a, rc(b))."""
    b = np.asarray(b)
    axes = range(b.ndim) if axes is None else {d % b.ndim for d in np.atleast_1d(axes)}
    b = b[tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(b.ndim))]
    return np.conj(b) if b.dtype.kind == "c" else b
