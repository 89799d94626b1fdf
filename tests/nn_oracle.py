"""A slow, obviously-right numpy twin of cyconv.nn: the test oracle.

Zero padding is applied with np.pad, and each kernel tap is one strided
slice of the padded input, so nothing here shares code or index arithmetic
with the kernels under test.  Computes in float64.
"""

import numpy as np


def out_size(n, k, s, d, pl, pr):
    return (n + pl + pr - d * (k - 1) - 1) // s + 1


def _tap_slices(t, stride, dilation, out_sp):
    return tuple(slice(t[i] * dilation[i], t[i] * dilation[i] + stride[i] * (out_sp[i] - 1) + 1,
                       stride[i]) for i in range(len(t)))


def _geometry(x_shape, w_shape, stride, left, right, dilation):
    nd = len(w_shape) - 2
    ks = w_shape[2:]
    out_sp = tuple(out_size(x_shape[2 + i], ks[i], stride[i], dilation[i], left[i], right[i])
                   for i in range(nd))
    pads = [(0, 0), (0, 0)] + list(zip(left, right))
    return nd, ks, out_sp, pads


def forward(x, w, b, stride, left, right, dilation, groups):
    """y[n, o, i] = b[o] + sum_c sum_t w[o, c, t] x_padded[n, g*Cg + c, i*s + t*d]."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    nd, ks, out_sp, pads = _geometry(x.shape, w.shape, stride, left, right, dilation)
    xp = np.pad(x, pads)
    n, c_out, c_in_g = x.shape[0], w.shape[0], w.shape[1]
    c_out_g = c_out // groups
    out = np.zeros((n, c_out) + out_sp)
    for g in range(groups):
        xg = xp[:, g * c_in_g:(g + 1) * c_in_g]
        wg = w[g * c_out_g:(g + 1) * c_out_g]
        for t in np.ndindex(*ks):
            patch = xg[(slice(None), slice(None)) + _tap_slices(t, stride, dilation, out_sp)]
            out[:, g * c_out_g:(g + 1) * c_out_g] += np.einsum(
                "nc...,oc->no...", patch, wg[(slice(None), slice(None)) + t])
    if b is not None:
        out += np.asarray(b, np.float64).reshape((1, -1) + (1,) * nd)
    return out


def grad_input(x_shape, w, gy, stride, left, right, dilation, groups):
    """The adjoint of forward in x: scatter every tap's contribution back."""
    w = np.asarray(w, np.float64)
    gy = np.asarray(gy, np.float64)
    nd, ks, out_sp, pads = _geometry(x_shape, w.shape, stride, left, right, dilation)
    gxp = np.zeros(tuple(s + p0 + p1 for s, (p0, p1) in zip(x_shape, pads)))
    c_out, c_in_g = w.shape[:2]
    c_out_g = c_out // groups
    for g in range(groups):
        gyg = gy[:, g * c_out_g:(g + 1) * c_out_g]
        wg = w[g * c_out_g:(g + 1) * c_out_g]
        for t in np.ndindex(*ks):
            idx = (slice(None), slice(g * c_in_g, (g + 1) * c_in_g)) + _tap_slices(
                t, stride, dilation, out_sp)
            gxp[idx] += np.einsum("no...,oc->nc...", gyg, wg[(slice(None), slice(None)) + t])
    crop = tuple(slice(p0, p0 + s) for s, (p0, _) in zip(x_shape, pads))
    return gxp[crop]


def grad_weight(x, w_shape, gy, stride, left, right, dilation, groups):
    """gw[o, c, t] = sum_n sum_i gy[n, o, i] x_padded[n, g*Cg + c, i*s + t*d]."""
    x = np.asarray(x, np.float64)
    gy = np.asarray(gy, np.float64)
    nd, ks, out_sp, pads = _geometry(x.shape, w_shape, stride, left, right, dilation)
    xp = np.pad(x, pads)
    c_out, c_in_g = w_shape[:2]
    c_out_g = c_out // groups
    gw = np.zeros(w_shape)
    for g in range(groups):
        xg = xp[:, g * c_in_g:(g + 1) * c_in_g]
        gyg = gy[:, g * c_out_g:(g + 1) * c_out_g]
        for t in np.ndindex(*ks):
            patch = xg[(slice(None), slice(None)) + _tap_slices(t, stride, dilation, out_sp)]
            gw[(slice(g * c_out_g, (g + 1) * c_out_g), slice(None)) + t] = np.einsum(
                "nos,ncs->oc", gyg.reshape(gyg.shape[:2] + (-1,)),
                patch.reshape(patch.shape[:2] + (-1,)))
    return gw


def padding_pairs(padding, ks, dilation):
    """(left, right) per axis for an int/tuple/'valid'/'same' padding, as torch splits it."""
    nd = len(ks)
    if padding == "valid":
        return (0,) * nd, (0,) * nd
    if padding == "same":
        total = [d * (k - 1) for d, k in zip(dilation, ks)]
        left = tuple(t // 2 for t in total)
        return left, tuple(t - lo for t, lo in zip(total, left))
    p = (padding,) * nd if isinstance(padding, int) else tuple(padding)
    return p, p


def conv_transpose(x, w, b, stride, padding, output_padding, dilation, groups):
    """y[n, g*Cog + o, i*s + t*d - p] += x[n, g*Cig + c, i] w[g*Cig + c, o, t]: a scatter of
    every input value times the kernel into an uncropped output, then the crop."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    nd = w.ndim - 2
    ks = w.shape[2:]
    n, sp = x.shape[0], x.shape[2:]
    c_in_g, c_out_g = w.shape[0] // groups, w.shape[1]
    full = tuple((sp[i] - 1) * stride[i] + dilation[i] * (ks[i] - 1) + 1 + output_padding[i]
                 for i in range(nd))
    out = np.zeros((n, c_out_g * groups) + full)
    for g in range(groups):
        xg = x[:, g * c_in_g:(g + 1) * c_in_g]
        wg = w[g * c_in_g:(g + 1) * c_in_g]
        for t in np.ndindex(*ks):
            idx = (slice(None), slice(g * c_out_g, (g + 1) * c_out_g)) + _tap_slices(
                t, stride, dilation, sp)
            out[idx] += np.einsum("nc...,co->no...", xg, wg[(slice(None), slice(None)) + t])
    size = tuple(full[i] - 2 * padding[i] for i in range(nd))
    out = out[(slice(None), slice(None)) + tuple(slice(padding[i], padding[i] + size[i])
                                                 for i in range(nd))]
    if b is not None:
        out = out + np.asarray(b, np.float64).reshape((1, -1) + (1,) * nd)
    return out


def pad_mode(x, left, right, mode):
    """torch's F.pad for 'zeros', 'reflect', 'replicate', 'circular' (last len(left) axes),
    written out with explicit index maps rather than np.pad's modes."""
    nd = len(left)
    for ax in range(nd):
        axis = x.ndim - nd + ax
        n = x.shape[axis]
        j = np.arange(-left[ax], n + right[ax])
        if mode == "zeros":
            inside = (j >= 0) & (j < n)
            src = np.where(inside, j, 0)
        elif mode == "reflect":
            period = 2 * (n - 1) if n > 1 else 1
            m = np.mod(j, period)
            src = np.where(m < n, m, period - m)
        elif mode == "replicate":
            src = np.clip(j, 0, n - 1)
        else:
            src = np.mod(j, n)
        x = np.take(x, src, axis=axis)
        if mode == "zeros":
            shape = [1] * x.ndim
            shape[axis] = -1
            x = x * inside.reshape(shape)
    return x
