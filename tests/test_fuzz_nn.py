"""Hypothesis fuzz of cyconv.nn: an answer matching the numpy oracle, or ValueError/TypeError.

Arguments are drawn right and wrong on purpose: shapes (unbatched, 0-size,
mismatched channels), dtypes (float16/32/64, integers, object), stride,
padding (ints, tuples, 'same', 'valid', negative, strings), dilation and
groups (zero, negative, non-dividing), bias of wrong length, layouts
(non-contiguous, negative strides).  Every call must either match the
oracle of tests/nn_oracle.py or raise a clear ValueError/TypeError -- never
crash, hang or return garbage.  Budget: ``CYCONV_FUZZ_EXAMPLES`` (default 150).
"""

import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyconv import nn

sys.path.insert(0, os.path.dirname(__file__))
import nn_oracle as oracle  # noqa: E402

EXAMPLES = int(os.environ.get("CYCONV_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize="CYCONV_FUZZ_SEED" not in os.environ,
                suppress_health_check=list(HealthCheck))
FUNCS = {1: nn.functional.conv1d, 2: nn.functional.conv2d, 3: nn.functional.conv3d}


def _expand(v, nd):
    return (v,) * nd if isinstance(v, int) else tuple(v)


def _arg(draw, nd, lo):
    """Mostly a valid int or tuple; sometimes a wrong length or garbage."""
    if draw(st.integers(0, 9)) < 8:
        return draw(st.one_of(st.integers(lo, 3), st.tuples(*[st.integers(lo, 3)] * nd)))
    return draw(st.one_of(st.tuples(*[st.integers(lo, 3)] * (nd + 1)),
                          st.sampled_from([0, -1, 1.5, "1", None, 2**70])))


def _mostly(draw, good, bad):
    """A draw from ``good`` 80 % of the time, else from ``bad``."""
    return draw(st.sampled_from(good)) if draw(st.integers(0, 9)) < 8 else draw(st.sampled_from(bad))


@st.composite
def problems(draw):
    nd = draw(st.integers(1, 3))
    groups = _mostly(draw, [1, 1, 2], [3, 0, -1, 1.0])
    g = groups if isinstance(groups, int) and groups > 0 else 1
    cin = g * draw(st.integers(1, 2)) if draw(st.integers(0, 9)) < 8 else draw(st.integers(0, 4))
    cout = g * draw(st.integers(1, 2)) if draw(st.integers(0, 9)) < 8 else draw(st.integers(0, 4))
    spatial = tuple(draw(st.lists(st.integers(0, 9), min_size=nd, max_size=nd)))
    ks = tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    batch = draw(st.sampled_from([None, 1, 2]))
    dtype = _mostly(draw, ["float32", "float64"], ["float16", "int32", "object"])
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    xshape = ((batch,) if batch else ()) + (cin,) + spatial
    x = rng.standard_normal(xshape).astype(dtype)
    wdtype = _mostly(draw, [dtype], ["float64", "float32"])
    w = rng.standard_normal((cout, max(cin // g, 0)) + ks).astype(wdtype)
    if draw(st.booleans()) and x.ndim and x.shape[-1] > 1:
        x = x[..., ::-1]  # negative stride
    if draw(st.booleans()) and x.ndim:
        x = np.repeat(x, 2, axis=-1)[..., ::2]  # non-contiguous
    bias = _mostly(draw, [None, "ok"], ["short"])
    b = None if bias is None else rng.standard_normal(cout + (bias == "short")).astype(w.dtype)
    padding = draw(st.one_of(st.sampled_from(["same", "valid", "full", -1]), st.just(0),
                             st.integers(0, 2), st.tuples(*[st.integers(0, 2)] * nd)))
    stride = _arg(draw, nd, 1)
    dilation = _arg(draw, nd, 1)
    return nd, x, w, b, stride, padding, dilation, groups


def _oracle(nd, x, w, b, stride, padding, dilation, groups):
    s, d = _expand(stride, nd), _expand(dilation, nd)
    left, right = oracle.padding_pairs(padding, w.shape[2:], d)
    unbatched = x.ndim == nd + 1
    xb = x[None] if unbatched else x
    y = oracle.forward(xb.astype(np.float64), w.astype(np.float64),
                       None if b is None else b.astype(np.float64), s, left, right, d, groups)
    return y[0] if unbatched else y


def _forward(p):
    """The forward call of a drawn problem, or None where it (rightly) raised."""
    nd, x, w, b, stride, padding, dilation, groups = p
    try:
        return FUNCS[nd](x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    except (ValueError, TypeError, MemoryError):
        return None


@FUZZ
@given(problems())
def test_fuzz_conv_forward(p):
    nd, x, w, b, stride, padding, dilation, groups = p
    got = _forward(p)
    if got is None:
        return
    exp = _oracle(nd, x, w, b, stride, padding, dilation, groups)
    assert got.shape == exp.shape and got.dtype == x.dtype
    tol = 1e-4 if got.dtype == np.float32 else 1e-10
    scale = 1 + np.abs(exp).max(initial=0)
    np.testing.assert_allclose(got, exp, rtol=tol, atol=tol * scale)


@FUZZ
@given(problems())
def test_fuzz_grads_and_layer(p):
    nd, x, w, b, stride, padding, dilation, groups = p
    y = _forward(p)
    if y is None:
        return
    gy = np.ones_like(y)
    grad_in = getattr(nn.grad, f"conv{nd}d_input")
    grad_w = getattr(nn.grad, f"conv{nd}d_weight")
    gx = grad_in(x.shape, w, gy, stride=stride, padding=padding, dilation=dilation, groups=groups)
    gw = grad_w(x, w.shape, gy, stride=stride, padding=padding, dilation=dilation, groups=groups)
    assert gx.shape == x.shape and gw.shape == w.shape
    assert np.isfinite(gx).all() and np.isfinite(gw).all()
    # the wrong grad_output shape is an error, not a silent answer
    with pytest.raises((ValueError, TypeError)):
        grad_in(x.shape, w, np.ones(gy.shape + (1,), gy.dtype), stride=stride, padding=padding,
                dilation=dilation, groups=groups)


@pytest.mark.parametrize("args", [
    (0, 1, 3), (1, 0, 3), (2, 2, 0), (2, 3, 3), (-1, 2, 3), (2, 2, (3, 3, 3)), (1.5, 2, 3),
])
def test_layer_constructor_rejects_bad_arguments(args):
    cin, cout, k = args
    with pytest.raises((ValueError, TypeError)):
        nn.Conv2d(cin, cout, k, groups=2 if cin == 2 and cout == 3 else 1)


TRANSPOSE = {1: nn.functional.conv_transpose1d, 2: nn.functional.conv_transpose2d,
             3: nn.functional.conv_transpose3d}


@st.composite
def transpose_problems(draw):
    nd = draw(st.integers(1, 3))
    groups = _mostly(draw, [1, 1, 2], [3, 0, -1, 1.0])
    g = groups if isinstance(groups, int) and groups > 0 else 1
    cin = g * draw(st.integers(1, 2)) if draw(st.integers(0, 9)) < 8 else draw(st.integers(0, 4))
    cout_g = draw(st.integers(1, 2)) if draw(st.integers(0, 9)) < 8 else draw(st.integers(0, 2))
    spatial = tuple(draw(st.lists(st.integers(0, 6), min_size=nd, max_size=nd)))
    ks = tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    batch = draw(st.sampled_from([None, 1, 2]))
    dtype = _mostly(draw, ["float32", "float64"], ["float16", "int32", "object"])
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal(((batch,) if batch else ()) + (cin,) + spatial).astype(dtype)
    wdtype = _mostly(draw, [dtype], ["float64", "float32"])
    w = rng.standard_normal((_mostly(draw, [cin], [cin + 1, 0]), cout_g) + ks).astype(wdtype)
    if draw(st.booleans()) and x.ndim and x.shape[-1] > 1:
        x = x[..., ::-1]
    bias = _mostly(draw, [None, "ok"], ["short"])
    b = (None if bias is None else
         rng.standard_normal(cout_g * g + (bias == "short")).astype(w.dtype))
    return (nd, x, w, b, _arg(draw, nd, 1), _arg(draw, nd, 0), _arg(draw, nd, 0), groups,
            _arg(draw, nd, 1))


@FUZZ
@given(transpose_problems())
def test_fuzz_conv_transpose(p):
    nd, x, w, b, stride, padding, output_padding, groups, dilation = p
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
              dilation=dilation)
    try:
        got = TRANSPOSE[nd](x, w, b, **kw)
    except (ValueError, TypeError, MemoryError):
        return
    unbatched = x.ndim == nd + 1
    exp = oracle.conv_transpose(x[None] if unbatched else x, w, b,
                                *(_expand(kw[k], nd) for k in ("stride", "padding",
                                                               "output_padding", "dilation")),
                                groups)
    exp = exp[0] if unbatched else exp
    assert got.shape == exp.shape and got.dtype == x.dtype
    tol = 1e-4 if got.dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, exp, rtol=tol, atol=tol * (1 + np.abs(exp).max(initial=0)))
