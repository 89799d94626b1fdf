"""cyconv.nn transposed convolutions, padding modes, accumulating grads and dtype casts (no torch).

The oracle is tests/nn_oracle.py: a scatter for the transposed convolution
and explicit index maps for the padding modes, sharing no code with the
kernels.  Gradients are checked by finite differences in float64.
"""

import os
import sys

import numpy as np
import pytest

from cyconv import _conv_layer, nn
from cyconv.nn import _core

sys.path.insert(0, os.path.dirname(__file__))
import nn_oracle as oracle  # noqa: E402

TRANSPOSE = {1: nn.functional.conv_transpose1d, 2: nn.functional.conv_transpose2d,
             3: nn.functional.conv_transpose3d}
FUNCS = {1: nn.functional.conv1d, 2: nn.functional.conv2d, 3: nn.functional.conv3d}
LAYERS = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
TLAYERS = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
MODES = ["zeros", "reflect", "replicate", "circular"]


@pytest.fixture(params=[None, 0, 1, 2], ids=["auto", "strategyA", "strategyB", "strategyN"])
def strategy(request, monkeypatch):
    monkeypatch.setattr(_core, "_FORCE_STRATEGY", request.param)
    return request.param


@pytest.fixture(params=_conv_layer.available_isas())
def isa(request):
    _conv_layer.set_isa(request.param)
    yield request.param
    _conv_layer.set_isa(None)


def transpose_case(rng, nd, dtype=np.float64, batched=True, big=False):
    """Random valid arguments of conv_transposeNd (every output size >= 1)."""
    groups = int(rng.choice([1, 1, 2, 3]))
    c_in_g, c_out_g = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    ks = tuple(int(v) for v in rng.integers(1, 5, nd))
    stride = tuple(int(v) for v in rng.integers(1, 4, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    hi = {1: 12, 2: 6, 3: 4}[nd] * (3 if big else 1)
    spatial = tuple(int(v) for v in rng.integers(1, hi, nd))
    padding = []
    for n, k, s, d, op in zip(spatial, ks, stride, dilation, output_padding):
        full = (n - 1) * s + d * (k - 1) + op + 1
        padding.append(int(rng.integers(0, (full - 1) // 2 + 1)))
    n = int(rng.integers(1, 4))
    x = rng.standard_normal((n, groups * c_in_g) + spatial).astype(dtype)
    w = rng.standard_normal((groups * c_in_g, c_out_g) + ks).astype(dtype)
    b = rng.standard_normal(groups * c_out_g).astype(dtype) if rng.random() < 0.7 else None
    if not batched:
        x = x[0]
    kw = dict(stride=stride, padding=tuple(padding), output_padding=output_padding,
              groups=groups, dilation=dilation)
    return x, w, b, kw


def tol(dtype, terms):
    eps = np.finfo(dtype).eps
    return 32 * eps * max(1.0, np.sqrt(terms)) + (1e-12 if dtype == np.float64 else 1e-6)


def transpose_ref(x, w, b, kw):
    xb = x if x.ndim == w.ndim else x[None]
    y = oracle.conv_transpose(xb, w, b, kw["stride"], kw["padding"], kw["output_padding"],
                              kw["dilation"], kw["groups"])
    return y if x.ndim == w.ndim else y[0]


def layer_for(x, w, b, kw, workers=None):
    nd = w.ndim - 2
    groups = kw["groups"]
    layer = TLAYERS[nd](w.shape[0], w.shape[1] * groups, w.shape[2:], bias=b is not None,
                        dtype=w.dtype, workers=workers, **kw)
    layer.weight = w
    if b is not None:
        layer.bias = b
    return layer


# --------------------------------------------------------------------------
# transposed convolutions
# --------------------------------------------------------------------------

@pytest.mark.parametrize("nd", [1, 2, 3])
def test_transpose_against_oracle(nd, strategy, isa):
    rng = np.random.default_rng(300 + nd)
    for i in range(10):
        dtype = np.float64 if i % 3 else np.float32
        x, w, b, kw = transpose_case(rng, nd, dtype, batched=i % 4 != 1)
        y = TRANSPOSE[nd](x, w, b, **kw)
        ref = transpose_ref(x, w, b, kw)
        assert y.shape == ref.shape and y.dtype == dtype
        np.testing.assert_allclose(y, ref, rtol=0, atol=tol(dtype, w.shape[0] * w[0, 0].size))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_transpose_wide_rows_against_oracle(nd):
    """Rows long enough for the wide micro-kernel blocks, at 2 threads."""
    rng = np.random.default_rng(20 + nd)
    for _ in range(3):
        x, w, b, kw = transpose_case(rng, nd, big=True)
        np.testing.assert_allclose(TRANSPOSE[nd](x, w, b, workers=2, **kw),
                                   transpose_ref(x, w, b, kw), rtol=0, atol=1e-10)


def test_transpose_worked_example():
    x = np.array([[[1.0, 2.0, 3.0]]])
    w = np.array([[[1.0, 10.0]]])
    np.testing.assert_array_equal(nn.functional.conv_transpose1d(x, w), [[[1, 12, 23, 30]]])
    np.testing.assert_array_equal(nn.functional.conv_transpose1d(x, w, stride=2),
                                  [[[1, 10, 2, 20, 3, 30]]])
    # output_padding adds a last position no input reaches: the bias alone
    np.testing.assert_array_equal(
        nn.functional.conv_transpose1d(x, w, np.array([0.5]), stride=2, output_padding=1),
        [[[1.5, 10.5, 2.5, 20.5, 3.5, 30.5, 0.5]]])
    # output_padding >= stride is allowed below the dilation
    y = nn.functional.conv_transpose1d(x, w, stride=1, dilation=3, output_padding=2)
    np.testing.assert_array_equal(y, [[[1, 2, 3, 10, 20, 30, 0, 0]]])


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_transpose_is_the_input_gradient_of_conv(nd):
    """<conv_transpose(x, w), y> == <x, conv(y, w)>: the transposed convolution is the adjoint."""
    rng = np.random.default_rng(40 + nd)
    for _ in range(6):
        x, w, _, kw = transpose_case(rng, nd)
        y = TRANSPOSE[nd](x, w, **kw)
        gy = rng.standard_normal(y.shape)
        conv = FUNCS[nd](gy, w, stride=kw["stride"], padding=kw["padding"],
                         dilation=kw["dilation"], groups=kw["groups"])
        conv = conv[(Ellipsis,) + tuple(slice(0, n) for n in x.shape[2:])]
        assert np.isclose(np.vdot(y, gy), np.vdot(x, conv), rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_transpose_layer_finite_differences(nd):
    """Central differences of L = sum(y * gy) in float64 for input, weight and bias."""
    rng = np.random.default_rng(60 + nd)
    for _ in range(3):
        x, w, b, kw = transpose_case(rng, nd)
        if b is None:
            b = rng.standard_normal(w.shape[1] * kw["groups"])
        layer = layer_for(x, w, b, kw)
        gy = rng.standard_normal(layer(x).shape)
        gx = layer.backward(gy)
        grads = (gx, layer.grad_weight, layer.grad_bias)

        def loss(args):
            return float(np.sum(TRANSPOSE[nd](*args, **kw) * gy))

        h = 1e-3
        for which, grad in enumerate(grads):
            arr = (x, w, b)[which]
            for idx in map(tuple, rng.integers(0, arr.shape, size=(5, arr.ndim))):
                plus, minus = [x, w, b], [x, w, b]
                plus[which], minus[which] = arr.copy(), arr.copy()
                plus[which][idx] += h
                minus[which][idx] -= h
                fd = (loss(plus) - loss(minus)) / (2 * h)
                assert abs(fd - grad[idx]) <= 1e-7 * max(1.0, abs(fd)), (which, idx)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_transpose_layer_equals_functional(nd):
    rng = np.random.default_rng(80 + nd)
    for dtype in (np.float32, np.float64):
        x, w, b, kw = transpose_case(rng, nd, dtype)
        layer = layer_for(x, w, b, kw)
        y = layer(x)
        np.testing.assert_array_equal(y, TRANSPOSE[nd](x, w, b, **kw))
        gy = rng.standard_normal(y.shape).astype(dtype)
        gx = layer.backward(gy)
        assert gx.shape == x.shape and gx.dtype == dtype
        assert layer.grad_weight.shape == w.shape and layer.grad_weight.dtype == dtype
        # dL/dx is the forward convolution of gy by the same weight, cropped to x
        conv = FUNCS[nd](gy, w, stride=kw["stride"], padding=kw["padding"],
                         dilation=kw["dilation"], groups=kw["groups"])
        np.testing.assert_array_equal(gx, conv[(Ellipsis,) + tuple(slice(0, n)
                                                                   for n in x.shape[-nd:])])
        # output_size picks the output_padding of one call
        spatial = y.shape[-nd:]
        op = kw["output_padding"]
        lo = tuple(s - p for s, p in zip(spatial, op))
        kw0 = dict(kw, output_padding=(0,) * nd)
        np.testing.assert_array_equal(layer(x, output_size=lo), TRANSPOSE[nd](x, w, b, **kw0))
        np.testing.assert_array_equal(layer(x, output_size=y.shape), y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transpose_bitwise_identical_for_any_thread_count(dtype, strategy):
    rng = np.random.default_rng(5)
    cases = [
        (rng.standard_normal((4, 12, 17, 19)), rng.standard_normal((12, 7, 4, 4)),
         dict(stride=2, padding=1)),
        (rng.standard_normal((3, 4, 13, 11)), rng.standard_normal((4, 3, 3, 2)),
         dict(stride=(3, 2), dilation=(1, 2), groups=2, padding=(1, 0), output_padding=(2, 1))),
        (rng.standard_normal((2, 3, 90)), rng.standard_normal((3, 9, 5)), dict(stride=3)),
    ]
    for x, w, kw in cases:
        x, w = x.astype(dtype), w.astype(dtype)
        nd = x.ndim - 2
        res = {}
        for workers in (1, 2, 3):
            layer = TLAYERS[nd](w.shape[0], w.shape[1] * kw.get("groups", 1), w.shape[2:],
                                dtype=dtype, workers=workers, rng=0, **kw)
            layer.weight = w
            y = layer(x)
            gy = np.cos(np.arange(y.size, dtype=dtype)).reshape(y.shape)
            res[workers] = (y, layer.backward(gy), layer.grad_weight)
        for workers in (2, 3):
            for a, b in zip(res[1], res[workers]):
                assert a.tobytes() == b.tobytes()


def test_transpose_layer_init_and_repr():
    layer = nn.ConvTranspose2d(6, 4, (2, 3), groups=2, rng=0)
    fan_in = 2 * 2 * 3                 # weight.shape[1] * prod(kernel), as torch counts
    assert layer.weight.shape == (6, 2, 2, 3) and layer.weight.dtype == np.float32
    assert np.all(np.abs(layer.weight) <= 1 / np.sqrt(fan_in))
    assert np.all(np.abs(layer.bias) <= 1 / np.sqrt(fan_in))
    assert layer.bias.shape == (4,)
    assert repr(nn.ConvTranspose1d(2, 3, 4, stride=2, padding=1, output_padding=1,
                                   bias=False)) == \
        "ConvTranspose1d(2, 3, kernel_size=(4,), stride=(2,), padding=(1,), " \
        "output_padding=(1,), bias=False)"


# --------------------------------------------------------------------------
# padding modes
# --------------------------------------------------------------------------

def mode_case(rng, nd, mode):
    groups = int(rng.choice([1, 2]))
    ks = tuple(int(v) for v in rng.integers(1, 4, nd))
    spatial = tuple(int(rng.integers(max(2, k), k + {1: 10, 2: 5, 3: 3}[nd])) for k in ks)
    r = rng.random()
    if r < 0.25:
        padding, stride = "same", 1
    else:
        stride = tuple(int(v) for v in rng.integers(1, 3, nd))
        limit = min(spatial) - 1 if mode == "reflect" else min(spatial)
        padding = tuple(int(v) for v in rng.integers(0, limit + 1, nd))
    x = rng.standard_normal((2, 2 * groups) + spatial)
    w = rng.standard_normal((3 * groups, 2) + ks)
    b = rng.standard_normal(3 * groups)
    return x, w, b, dict(stride=stride, padding=padding, groups=groups)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_padding_modes_against_oracle_and_finite_differences(nd, mode):
    rng = np.random.default_rng(10 * nd + MODES.index(mode))
    for _ in range(4):
        x, w, b, kw = mode_case(rng, nd, mode)
        layer = LAYERS[nd](x.shape[1], w.shape[0], w.shape[2:], padding_mode=mode,
                           dtype=np.float64, **kw)
        layer.weight, layer.bias = w, b
        y = layer(x)
        left, right = oracle.padding_pairs(kw["padding"], w.shape[2:], (1,) * nd)
        xp = oracle.pad_mode(x, left, right, mode)
        st = (kw["stride"],) * nd if isinstance(kw["stride"], int) else kw["stride"]
        ref = oracle.forward(xp, w, b, st, (0,) * nd, (0,) * nd, (1,) * nd, kw["groups"])
        np.testing.assert_allclose(y, ref, rtol=0, atol=1e-11)
        gy = rng.standard_normal(y.shape)
        gx = layer.backward(gy)
        gw = layer.grad_weight
        h = 1e-3
        for which, (arr, grad) in enumerate(((x, gx), (w, gw))):
            for idx in map(tuple, rng.integers(0, arr.shape, size=(6, arr.ndim))):
                vals = []
                for sign in (1, -1):
                    a = arr.copy()
                    a[idx] += sign * h
                    xx, ww = (a, w) if which == 0 else (x, a)
                    lay = LAYERS[nd](x.shape[1], w.shape[0], w.shape[2:], padding_mode=mode,
                                     dtype=np.float64, **kw)
                    lay.weight, lay.bias = ww, b
                    vals.append(float(np.sum(lay(xx) * gy)))
                fd = (vals[0] - vals[1]) / (2 * h)
                assert abs(fd - grad[idx]) <= 1e-7 * max(1.0, abs(fd)), (which, idx)


def test_padding_mode_worked_examples():
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    expect = {"zeros": [3, 6, 9, 7], "reflect": [5, 6, 9, 10], "replicate": [4, 6, 9, 11],
              "circular": [7, 6, 9, 8]}
    for mode, want in expect.items():
        layer = nn.Conv1d(1, 1, 3, padding=1, padding_mode=mode, bias=False, dtype=np.float64)
        layer.weight[...] = 1
        np.testing.assert_array_equal(layer(x), [want])
        # each input position's gradient counts how many outputs read it
        gx = layer.backward(np.ones((1, 4)))
        reads = {"zeros": [2, 3, 3, 2], "reflect": [2, 4, 4, 2], "replicate": [3, 3, 3, 3],
                 "circular": [3, 3, 3, 3]}[mode]
        np.testing.assert_array_equal(gx, [reads])


def test_padding_mode_rules():
    x = np.ones((1, 1, 3, 3), np.float32)
    with pytest.raises(ValueError, match="reflect"):
        nn.Conv2d(1, 1, 3, padding=3, padding_mode="reflect")(x)
    nn.Conv2d(1, 1, 3, padding=2, padding_mode="reflect")(x)
    with pytest.raises(ValueError, match="circular"):
        nn.Conv2d(1, 1, 3, padding=4, padding_mode="circular")(x)
    nn.Conv2d(1, 1, 3, padding=3, padding_mode="circular")(x)
    assert nn.Conv2d(1, 1, 3, padding=9, padding_mode="replicate")(x).shape == (1, 1, 19, 19)
    # 'valid' or zero padding: every mode is the plain convolution
    layer = nn.Conv2d(1, 2, 2, padding="valid", padding_mode="reflect", rng=0)
    np.testing.assert_array_equal(layer(x), nn.functional.conv2d(x, layer.weight, layer.bias))
    assert "padding_mode='circular'" in repr(nn.Conv1d(1, 1, 3, padding=1,
                                                       padding_mode="circular"))


# --------------------------------------------------------------------------
# accumulating gradients, zero_grad, dtype casts
# --------------------------------------------------------------------------

@pytest.mark.parametrize("transposed", [False, True])
def test_backward_accumulates_until_zero_grad(transposed):
    rng = np.random.default_rng(9)
    cls = nn.ConvTranspose2d if transposed else nn.Conv2d
    layer = cls(4, 6, 3, stride=2, padding=1, groups=2, dtype=np.float64, rng=0)
    x1, x2 = rng.standard_normal((2, 2, 4, 9, 8))
    y1 = layer(x1)
    gy1, gy2 = rng.standard_normal((2,) + y1.shape)
    layer.backward(gy1)
    g1 = (layer.grad_weight.copy(), layer.grad_bias.copy())
    layer(x2)
    layer.backward(gy2)
    g2 = (layer.grad_weight, layer.grad_bias)
    fresh = cls(4, 6, 3, stride=2, padding=1, groups=2, dtype=np.float64, rng=0)
    fresh(x2)
    fresh.backward(gy2)
    np.testing.assert_allclose(g2[0], g1[0] + fresh.grad_weight, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(g2[1], g1[1] + fresh.grad_bias, rtol=1e-13, atol=1e-13)
    held = layer.grad_weight
    layer.zero_grad(set_to_none=False)
    assert held is layer.grad_weight and not held.any() and not layer.grad_bias.any()
    layer.zero_grad()
    assert layer.grad_weight is None and layer.grad_bias is None
    layer(x2)
    layer.backward(gy2)
    np.testing.assert_array_equal(layer.grad_weight, fresh.grad_weight)


@pytest.mark.parametrize("transposed", [False, True])
def test_inputs_of_another_float_dtype_are_cast(transposed):
    rng = np.random.default_rng(2)
    cls = nn.ConvTranspose1d if transposed else nn.Conv1d
    layer = cls(3, 2, 3, padding=1, rng=0)                 # float32 parameters
    x64 = rng.standard_normal((2, 3, 10))
    for x in (x64, x64.astype(np.float16), x64.tolist()):
        y = layer(x)
        assert y.dtype == np.float32
        np.testing.assert_array_equal(y, layer(np.asarray(x).astype(np.float32)))
    y = layer(x64)
    gy = rng.standard_normal(y.shape)                      # float64 grad_output: cast too
    gx = layer.backward(gy)
    assert gx.dtype == np.float64                          # the input's own dtype
    gw = layer.grad_weight
    assert gw.dtype == np.float32
    layer.zero_grad()
    layer(x64.astype(np.float32))
    gx32 = layer.backward(gy.astype(np.float32))
    np.testing.assert_array_equal(gx, gx32.astype(np.float64))
    np.testing.assert_array_equal(gw, layer.grad_weight)
    layer(x64.astype(np.float16))
    assert layer.backward(gy).dtype == np.float16


# --------------------------------------------------------------------------
# bad arguments
# --------------------------------------------------------------------------

X = np.ones((2, 4, 8, 8))
W = np.ones((4, 3, 3, 3))


@pytest.mark.parametrize("call, exc, match", [
    (lambda: nn.functional.conv_transpose2d(X.astype(int), W), TypeError, "input"),
    (lambda: nn.functional.conv_transpose2d(X, W.astype(np.float32)), TypeError, "same dtype"),
    (lambda: nn.functional.conv_transpose2d(X, W, np.ones(3, np.float32)), TypeError, "bias"),
    (lambda: nn.functional.conv_transpose2d(X, W, np.ones(4)), ValueError, "bias"),
    (lambda: nn.functional.conv_transpose2d(np.ones((8, 8)), W), ValueError, "input must be"),
    (lambda: nn.functional.conv_transpose2d(X, np.ones((4, 3, 3))), ValueError, "weight must"),
    (lambda: nn.functional.conv_transpose2d(X, np.ones((5, 3, 3, 3))), ValueError, "channels"),
    (lambda: nn.functional.conv_transpose2d(X, np.ones((4, 3, 0, 3))), ValueError, "empty"),
    (lambda: nn.functional.conv_transpose2d(X, W, groups=3), ValueError, "groups"),
    (lambda: nn.functional.conv_transpose2d(X, W, groups=0), ValueError, "groups"),
    (lambda: nn.functional.conv_transpose2d(X, W, stride=0), ValueError, "stride"),
    (lambda: nn.functional.conv_transpose2d(X, W, stride=1.5), TypeError, "stride"),
    (lambda: nn.functional.conv_transpose2d(X, W, padding="same"), TypeError, "padding"),
    (lambda: nn.functional.conv_transpose2d(X, W, padding=-1), ValueError, "padding"),
    (lambda: nn.functional.conv_transpose2d(X, W, output_padding=1), ValueError,
     "output_padding"),
    (lambda: nn.functional.conv_transpose2d(X, W, stride=2, output_padding=(1, 2)), ValueError,
     "output_padding"),
    (lambda: nn.functional.conv_transpose2d(X, W, output_padding=-1), ValueError,
     "output_padding"),
    (lambda: nn.functional.conv_transpose2d(X, W, padding=6), ValueError, "empty"),
    (lambda: nn.functional.conv_transpose2d(X, W, dilation=(1, 0)), ValueError, "dilation"),
    (lambda: nn.functional.conv_transpose2d(np.ones((2, 4, 0, 8)), W), ValueError, "empty"),
    (lambda: nn.functional.conv_transpose2d(X, W, workers=0), ValueError, "workers"),
    (lambda: nn.functional.conv_transpose1d(X, W), ValueError, "input must be"),
    (lambda: nn.ConvTranspose2d(4, 6, 3, groups=4), ValueError, "out_channels"),
    (lambda: nn.ConvTranspose2d(3, 6, 3, groups=2), ValueError, "in_channels"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, output_padding=1), ValueError, "output_padding"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), ValueError, "padding_mode"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, padding="same"), TypeError, "padding"),
    (lambda: nn.ConvTranspose2d(4, 3, 3, stride=2)(X, output_size=(19, 17)), ValueError,
     "output size"),
    (lambda: nn.ConvTranspose2d(4, 3, 3, stride=2)(X, output_size=(16,)), ValueError,
     "output_size"),
    (lambda: nn.ConvTranspose2d(4, 3, 3, stride=2)(X, output_size="17"), TypeError,
     "output_size"),
    (lambda: nn.Conv2d(4, 4, 3, padding_mode="mirror"), ValueError, "padding_mode"),
    (lambda: nn.Conv2d(4, 4, 3, padding_mode=None), ValueError, "padding_mode"),
    (lambda: nn.Conv2d(4, 4, 3, padding=1)(X.astype(np.int32)), TypeError, "input"),
    (lambda: nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect")(np.ones((2, 4, 0, 3))),
     ValueError, "empty"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_transpose_layer_misuse():
    layer = nn.ConvTranspose2d(2, 3, 3, rng=0)
    with pytest.raises(RuntimeError, match="before backward"):
        layer.backward(np.ones((1, 3, 7, 7), np.float32))
    y = layer(np.ones((1, 2, 5, 5), np.float32))
    with pytest.raises(ValueError, match="shape of the last output"):
        layer.backward(np.ones((1, 3, 6, 6), np.float32))
    with pytest.raises(TypeError, match="grad_output must be a floating"):
        layer.backward(np.ones(y.shape, dtype=bool))


# --------------------------------------------------------------------------
# the shapes with fast paths: 1x1, depthwise, narrow rows
# --------------------------------------------------------------------------

FAST_CASES = {
    "1x1": ((3, 7, 12, 10), (5, 7, 1, 1), {}),
    "1x1 strided": ((2, 13, 9, 11), (4, 13, 1, 1), dict(stride=2)),
    "depthwise": ((2, 9, 13, 17), (9, 1, 3, 3), dict(groups=9, padding=1)),
    "depthwise x2": ((2, 4, 11, 30), (8, 1, 5, 3), dict(groups=4, padding=(2, 1), stride=(1, 2))),
    "narrow": ((3, 5, 7, 7), (11, 5, 3, 3), dict(padding=1)),
    "narrow 1-D": ((2, 3, 5), (7, 3, 2), dict(padding=1)),
}


@pytest.mark.parametrize("name", list(FAST_CASES))
def test_fast_path_shapes_against_oracle_and_bitwise(name, strategy):
    xs, ws, kw = FAST_CASES[name]
    rng = np.random.default_rng(len(name))
    nd = len(xs) - 2
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(xs).astype(dtype)
        w = rng.standard_normal(ws).astype(dtype)
        res = {}
        for workers in (1, 2, 3):
            y = FUNCS[nd](x, w, workers=workers, **kw)
            gy = np.cos(np.arange(y.size, dtype=dtype)).reshape(y.shape)
            gx = getattr(nn.grad, f"conv{nd}d_input")(x.shape, w, gy, workers=workers, **kw)
            gw = getattr(nn.grad, f"conv{nd}d_weight")(x, w.shape, gy, workers=workers, **kw)
            res[workers] = (y, gx, gw)
        for workers in (2, 3):
            for a, b in zip(res[1], res[workers]):
                assert a.tobytes() == b.tobytes()
        y, gx, gw = res[1]
        st = kw.get("stride", 1)
        st = (st,) * nd if isinstance(st, int) else st
        pad = kw.get("padding", 0)
        pad = (pad,) * nd if isinstance(pad, int) else pad
        geo = (st, pad, pad, (1,) * nd, kw.get("groups", 1))
        terms = w[0].size * max(1, w.shape[0]) * y.shape[0] * y[0, 0].size
        np.testing.assert_allclose(y, oracle.forward(x, w, None, *geo), rtol=0,
                                   atol=tol(dtype, terms))
        np.testing.assert_allclose(gx, oracle.grad_input(x.shape, w, gy, *geo), rtol=0,
                                   atol=tol(dtype, terms))
        np.testing.assert_allclose(gw, oracle.grad_weight(x, w.shape, gy, *geo), rtol=0,
                                   atol=tol(dtype, terms))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_weight_batch_split_is_exact_and_bitwise(dtype, strategy):
    """Few channels: grad_weight cuts the batch sum into fixed parts (the split
    depends on the shapes only), still bitwise equal for any thread count."""
    rng = np.random.default_rng(4)
    for xs, ws, kw in [((12, 3, 20, 21), (4, 3, 3, 3), dict(padding=1)),
                       ((6, 2, 40), (2, 2, 5), dict(stride=2)),
                       ((8, 1, 6, 7, 8), (2, 1, 2, 2, 2), {})]:
        nd = len(xs) - 2
        assert _core._batch_chunks(xs[0], 1, ws[1], ws[0], ws[2:]) > 1
        x = rng.standard_normal(xs).astype(dtype)
        y = FUNCS[nd](x, np.ones(ws, dtype), **kw)
        gy = rng.standard_normal(y.shape).astype(dtype)
        f = getattr(nn.grad, f"conv{nd}d_weight")
        res = [f(x, ws, gy, workers=n, **kw) for n in (1, 2, 3)]
        assert res[0].tobytes() == res[1].tobytes() == res[2].tobytes()
        st = kw.get("stride", 1)
        pad = kw.get("padding", 0)
        ref = oracle.grad_weight(x, ws, gy, (st,) * nd, (pad,) * nd, (pad,) * nd, (1,) * nd, 1)
        np.testing.assert_allclose(res[0], ref, rtol=0, atol=tol(dtype, gy[:, 0].size))
