"""cyconv.nn without torch: oracle, gradients, layers, learning, threads, errors."""

import doctest
import os
import sys

import numpy as np
import pytest

import cyconv
from cyconv import _conv_layer, nn
from cyconv.nn import _core

sys.path.insert(0, os.path.dirname(__file__))
import nn_oracle as oracle  # noqa: E402

FUNCS = {1: nn.functional.conv1d, 2: nn.functional.conv2d, 3: nn.functional.conv3d}
GRAD_IN = {1: nn.grad.conv1d_input, 2: nn.grad.conv2d_input, 3: nn.grad.conv3d_input}
GRAD_W = {1: nn.grad.conv1d_weight, 2: nn.grad.conv2d_weight, 3: nn.grad.conv3d_weight}
LAYERS = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}


@pytest.fixture(params=[None, 0, 1, 2], ids=["auto", "strategyA", "strategyB", "strategyN"])
def strategy(request, monkeypatch):
    """Run a test with the planner's choice, then with each loop order forced."""
    monkeypatch.setattr(_core, "_FORCE_STRATEGY", request.param)
    return request.param


@pytest.fixture(params=_conv_layer.available_isas())
def isa(request):
    """Run a test on every instruction set this CPU has (baseline, avx2)."""
    _conv_layer.set_isa(request.param)
    yield request.param
    _conv_layer.set_isa(None)


def random_case(rng, nd, dtype=np.float64, batched=True):
    """Random small shapes and hyper-parameters (always a valid combination)."""
    groups = int(rng.choice([1, 1, 2, 3]))
    c_in_g, c_out_g = int(rng.integers(1, 4)), int(rng.integers(1, 8))
    ks = tuple(int(v) for v in rng.integers(1, 4, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    r = rng.random()
    if r < 0.2:
        padding, stride = "same", (1,) * nd
    else:
        stride = tuple(int(v) for v in rng.integers(1, 4, nd))
        if r < 0.35:
            padding = "valid"
        elif r < 0.6:
            padding = int(rng.integers(0, 4))
        else:
            padding = tuple(int(v) for v in rng.integers(0, 4, nd))
    left, right = oracle.padding_pairs(padding, ks, dilation)
    lo = [max(1, d * (k - 1) + 1 - pl - pr) for d, k, pl, pr in zip(dilation, ks, left, right)]
    hi = 30 if nd == 1 else (14 if nd == 2 else 7)
    spatial = tuple(int(rng.integers(a, a + hi)) for a in lo)
    n = int(rng.integers(1, 4))
    x = rng.standard_normal((n, groups * c_in_g) + spatial).astype(dtype)
    w = rng.standard_normal((groups * c_out_g, c_in_g) + ks).astype(dtype)
    b = rng.standard_normal(groups * c_out_g).astype(dtype) if rng.random() < 0.7 else None
    if not batched:
        x = x[0]
    return dict(x=x, w=w, b=b, stride=stride, padding=padding, dilation=dilation, groups=groups,
                left=left, right=right)


def tol(dtype, terms):
    """Absolute tolerance for sums of ~terms products of standard normals."""
    eps = np.finfo(dtype).eps
    return 8 * eps * max(1.0, np.sqrt(terms)) * 4 + (1e-12 if dtype == np.float64 else 1e-6)


def run_case(c, nd, workers=1):
    kw = dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"],
              groups=c["groups"], workers=workers)
    x = c["x"]
    y = FUNCS[nd](x, c["w"], c["b"], **kw)
    gy = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
    gx = GRAD_IN[nd](x.shape, c["w"], gy, **kw)
    gw = GRAD_W[nd](x, c["w"].shape, gy, **kw)
    return y, gy, gx, gw


def check_against_oracle(c, nd, y, gy, gx, gw):
    x, w = c["x"], c["w"]
    batched = x.ndim == nd + 2
    xb = x if batched else x[None]
    gyb = gy if batched else gy[None]
    geo = (c["stride"], c["left"], c["right"], c["dilation"], c["groups"])
    y_ref = oracle.forward(xb, w, c["b"], *geo)
    gx_ref = oracle.grad_input(xb.shape, w, gyb, *geo)
    gw_ref = oracle.grad_weight(xb, w.shape, gyb, *geo)
    if not batched:
        y_ref, gx_ref = y_ref[0], gx_ref[0]
    assert y.shape == y_ref.shape and y.dtype == x.dtype
    assert gx.shape == x.shape and gx.dtype == x.dtype
    assert gw.shape == w.shape and gw.dtype == x.dtype
    taps = w[0].size
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=tol(x.dtype, taps))
    np.testing.assert_allclose(gx, gx_ref, rtol=0, atol=tol(x.dtype, w.shape[0] * taps))
    np.testing.assert_allclose(gw, gw_ref, rtol=0, atol=tol(x.dtype, gyb[:, 0].size))


# --------------------------------------------------------------------------
# against the oracle
# --------------------------------------------------------------------------

@pytest.mark.parametrize("nd", [1, 2, 3])
def test_random_against_oracle(nd, strategy, isa):
    rng = np.random.default_rng(100 * nd + 7)
    for i in range(12):
        c = random_case(rng, nd, dtype=np.float64 if i % 3 else np.float32, batched=i % 4 != 1)
        check_against_oracle(c, nd, *run_case(c, nd))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_wider_shapes_against_oracle(nd, strategy):
    """Rows long enough for the wide micro-kernel blocks, many channels, stride 2."""
    rng = np.random.default_rng(nd)
    sp = {1: (70,), 2: (9, 41), 3: (4, 5, 37)}[nd]
    k = {1: (5,), 2: (3, 3), 3: (2, 3, 3)}[nd]
    for stride, padding in [(1, 0), (1, "same"), (2, 1), (3, 2)]:
        x = rng.standard_normal((2, 7) + sp)
        w = rng.standard_normal((13, 7) + k)
        b = rng.standard_normal(13)
        st = (stride,) * nd
        left, right = oracle.padding_pairs(padding, k, (1,) * nd)
        c = dict(x=x, w=w, b=b, stride=st, padding=padding, dilation=(1,) * nd, groups=1,
                 left=left, right=right)
        check_against_oracle(c, nd, *run_case(c, nd, workers=2))


def test_multichannel_worked_example():
    X0 = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]], dtype=np.float64)
    K0 = np.array([[0, 1], [2, 3]], dtype=np.float64)
    x = np.stack([X0, X0 + 1])
    K = np.stack([K0, K0 + 1])
    # one output channel: the sum over the two input channels
    np.testing.assert_array_equal(nn.functional.conv2d(x, K[None]),
                                  [[[56, 72], [104, 120]]])
    y = nn.functional.conv2d(x[None], np.stack([K, K + 1, K + 2]))
    np.testing.assert_array_equal(y[0], [[[56, 72], [104, 120]],
                                         [[76, 100], [148, 172]],
                                         [[96, 128], [192, 224]]])


def test_same_padding_even_kernel_is_asymmetric():
    """torch puts the extra zero of an even kernel extent on the right."""
    x = np.arange(6.0)[None, None]
    w = np.array([[[1.0, 10.0]]])
    y = nn.functional.conv1d(x, w, padding="same")
    # y[i] = x[i] + 10 x[i + 1]; the last position sees the padding
    np.testing.assert_array_equal(y[0, 0], [10, 21, 32, 43, 54, 5])
    y = nn.functional.conv1d(x, np.ones((1, 1, 4)), padding="same", dilation=1)
    np.testing.assert_array_equal(y[0, 0], [3, 6, 10, 14, 12, 9])


def test_float32_stays_float32_and_layouts():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4, 11, 13)).astype(np.float32)
    w = rng.standard_normal((5, 4, 3, 3)).astype(np.float32)
    ref = nn.functional.conv2d(x, w, padding=1)
    assert ref.dtype == np.float32
    # non-contiguous, Fortran-ordered, read-only, negative-stride views
    xf = np.asfortranarray(x)
    np.testing.assert_array_equal(nn.functional.conv2d(xf, w, padding=1), ref)
    xr = x.copy()
    xr.flags.writeable = False
    np.testing.assert_array_equal(nn.functional.conv2d(xr, w, padding=1), ref)
    xn = x[:, :, ::-1][:, :, ::-1]
    np.testing.assert_array_equal(nn.functional.conv2d(xn, w, padding=1), ref)
    big = np.zeros((3, 8, 11, 26), np.float32)
    big[:, ::2, :, ::2] = x
    np.testing.assert_array_equal(nn.functional.conv2d(big[:, ::2, :, ::2], w, padding=1), ref)


def test_empty_batch_and_channels():
    w = np.ones((4, 2, 3))
    y = nn.functional.conv1d(np.ones((0, 2, 10)), w)
    assert y.shape == (0, 4, 8)
    gx = nn.grad.conv1d_input((0, 2, 10), w, np.ones((0, 4, 8)))
    assert gx.shape == (0, 2, 10)
    gw = nn.grad.conv1d_weight(np.ones((0, 2, 10)), (4, 2, 3), np.ones((0, 4, 8)))
    np.testing.assert_array_equal(gw, np.zeros((4, 2, 3)))


# --------------------------------------------------------------------------
# gradients without any oracle
# --------------------------------------------------------------------------

@pytest.mark.parametrize("nd", [1, 2, 3])
def test_finite_differences(nd, strategy):
    """Central differences of L = sum(y * gy) in float64, entry by entry."""
    rng = np.random.default_rng(50 + nd)
    for _ in range(3):
        c = random_case(rng, nd)
        x, w, b = c["x"], c["w"], c["b"]
        kw = dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"],
                  groups=c["groups"])
        f = FUNCS[nd]
        gy = rng.standard_normal(f(x, w, b, **kw).shape)

        def loss(x_, w_, b_):
            return float(np.sum(f(x_, w_, b_, **kw) * gy))

        gx = GRAD_IN[nd](x.shape, w, gy, **kw)
        gw = GRAD_W[nd](x, w.shape, gy, **kw)
        h = 1e-3
        for arr, grad, which in ((x, gx, 0), (w, gw, 1)):
            for idx in map(tuple, rng.integers(0, arr.shape, size=(6, arr.ndim))):
                plus, minus = arr.copy(), arr.copy()
                plus[idx] += h
                minus[idx] -= h
                args_p = [x, w, b]
                args_m = [x, w, b]
                args_p[which], args_m[which] = plus, minus
                fd = (loss(*args_p) - loss(*args_m)) / (2 * h)
                assert abs(fd - grad[idx]) <= 1e-7 * max(1.0, abs(fd)), (which, idx)
        if b is not None:
            gb = gy.sum(axis=(0,) + tuple(range(2, gy.ndim)))
            j = int(rng.integers(0, b.size))
            bp, bm = b.copy(), b.copy()
            bp[j] += h
            bm[j] -= h
            fd = (loss(x, w, bp) - loss(x, w, bm)) / (2 * h)
            assert abs(fd - gb[j]) <= 1e-7 * max(1.0, abs(fd))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_adjoint_identity(nd):
    """<conv(x, w), gy> == <x, grad_input(gy)> == <w, grad_weight(x, gy)> (no bias)."""
    rng = np.random.default_rng(70 + nd)
    for _ in range(8):
        c = random_case(rng, nd)
        x, w = c["x"], c["w"]
        kw = dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"],
                  groups=c["groups"])
        y = FUNCS[nd](x, w, **kw)
        gy = rng.standard_normal(y.shape)
        lhs = np.vdot(y, gy)
        assert np.isclose(np.vdot(x, GRAD_IN[nd](x.shape, w, gy, **kw)), lhs, rtol=1e-10, atol=1e-9)
        assert np.isclose(np.vdot(w, GRAD_W[nd](x, w.shape, gy, **kw)), lhs, rtol=1e-10, atol=1e-9)


# --------------------------------------------------------------------------
# layers
# --------------------------------------------------------------------------

@pytest.mark.parametrize("nd", [1, 2, 3])
def test_layer_backward_matches_grad_functions(nd):
    rng = np.random.default_rng(nd)
    for dtype in (np.float32, np.float64):
        c = random_case(rng, nd, dtype)
        c_out, c_in_g = c["w"].shape[:2]
        layer = LAYERS[nd](c_in_g * c["groups"], c_out, c["w"].shape[2:], stride=c["stride"],
                           padding=c["padding"], dilation=c["dilation"], groups=c["groups"],
                           bias=c["b"] is not None, dtype=dtype, rng=rng)
        x = c["x"]
        y = layer(x)
        kw = dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"],
                  groups=c["groups"])
        np.testing.assert_array_equal(y, FUNCS[nd](x, layer.weight, layer.bias, **kw))
        gy = rng.standard_normal(y.shape).astype(dtype)
        gx = layer.backward(gy)
        np.testing.assert_array_equal(gx, GRAD_IN[nd](x.shape, layer.weight, gy, **kw))
        np.testing.assert_array_equal(layer.grad_weight,
                                      GRAD_W[nd](x, layer.weight.shape, gy, **kw))
        if layer.bias is None:
            assert layer.grad_bias is None
        else:
            np.testing.assert_allclose(layer.grad_bias, gy.sum(axis=(0,) + tuple(range(2, gy.ndim))),
                                       rtol=1e-5)
            assert layer.grad_bias.dtype == dtype


def test_layer_unbatched_and_init():
    layer = nn.Conv2d(3, 6, kernel_size=(2, 3), groups=3, rng=np.random.default_rng(0))
    fan_in = 1 * 2 * 3
    assert layer.weight.shape == (6, 1, 2, 3) and layer.weight.dtype == np.float32
    assert np.all(np.abs(layer.weight) <= 1 / np.sqrt(fan_in))
    assert np.all(np.abs(layer.bias) <= 1 / np.sqrt(fan_in))
    again = nn.Conv2d(3, 6, kernel_size=(2, 3), groups=3, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(layer.weight, again.weight)
    np.testing.assert_array_equal(layer.bias, again.bias)
    # the bound is torch's: a large layer spreads over (almost) all of it
    big = nn.Conv1d(4, 64, 5, rng=1)
    assert np.abs(big.weight).max() > 0.95 / np.sqrt(20)
    x = np.random.default_rng(1).standard_normal((3, 7, 9)).astype(np.float32)
    y = layer(x)
    assert y.shape == (6, 6, 7)
    np.testing.assert_array_equal(y, layer(x[None])[0])
    layer(x)
    gx = layer.backward(np.ones_like(y))
    assert gx.shape == x.shape
    assert repr(nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)) == \
        "Conv2d(1, 1, kernel_size=(1, 2), stride=(1, 1), bias=False)"


def train_edge_detector(seed, epochs=10, lr=3e-2):
    X = np.ones((6, 8), dtype=np.float32)
    X[:, 2:6] = 0
    Y = cyconv.correlate(X, np.array([[1, -1]], dtype=np.float32), "valid")
    X, Y = X.reshape(1, 1, 6, 8), Y.reshape(1, 1, 6, 7)
    layer = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False, rng=np.random.default_rng(seed))
    losses = []
    for _ in range(epochs):
        layer.zero_grad()
        err = layer(X) - Y
        losses.append(float(np.sum(err ** 2)))
        layer.backward(2 * err)
        layer.weight -= lr * layer.grad_weight
    return layer.weight.reshape(2), losses


def test_learning_the_edge_kernel_over_many_seeds():
    for seed in range(300):
        k, losses = train_edge_detector(seed)
        assert np.all(np.abs(k - [1, -1]) < 0.1), (seed, k)
        assert all(b < a for a, b in zip(losses, losses[1:])), (seed, losses)


def test_demo_learn(capsys):
    from cyconv.__main__ import main
    assert main(["demo", "learn"]) == 0
    out = capsys.readouterr().out
    for epoch in (2, 4, 6, 8, 10):
        assert f"epoch {epoch}, loss" in out
    assert "learned kernel" in out


def test_docstring_examples_run():
    from cyconv.nn import functional, grad, modules
    for mod in (nn, functional, grad, modules):
        result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, mod.__name__


# --------------------------------------------------------------------------
# threads
# --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bitwise_identical_for_any_thread_count(dtype, strategy):
    rng = np.random.default_rng(11)
    cases = [
        (rng.standard_normal((4, 6, 40, 37)), rng.standard_normal((14, 6, 3, 3)), dict(padding=1)),
        (rng.standard_normal((3, 4, 33, 30)), rng.standard_normal((8, 2, 4, 2)),
         dict(stride=2, dilation=(1, 2), groups=2, padding=(1, 3))),
        (rng.standard_normal((2, 3, 200)), rng.standard_normal((9, 3, 7)), dict(padding="same")),
    ]
    for x, w, kw in cases:
        x, w = x.astype(dtype), w.astype(dtype)
        nd = x.ndim - 2
        res = {}
        for workers in (1, 2, 3):
            y = FUNCS[nd](x, w, workers=workers, **kw)
            gy = np.cos(np.arange(y.size, dtype=dtype)).reshape(y.shape)
            res[workers] = (y, GRAD_IN[nd](x.shape, w, gy, workers=workers, **kw),
                            GRAD_W[nd](x, w.shape, gy, workers=workers, **kw))
        for workers in (2, 3):
            for a, b in zip(res[1], res[workers]):
                assert a.tobytes() == b.tobytes()


def test_openmp_and_isa_reported():
    assert _conv_layer.openmp_enabled() == cyconv._threads.openmp_enabled()
    assert "baseline" in _conv_layer.available_isas()
    assert isinstance(_conv_layer.isa(), str)
    with pytest.raises(ValueError, match="instruction set"):
        _conv_layer.set_isa("sse9")


# --------------------------------------------------------------------------
# bad arguments
# --------------------------------------------------------------------------

X2 = np.ones((2, 4, 8, 8))
W2 = np.ones((6, 2, 3, 3))


@pytest.mark.parametrize("call, exc, match", [
    (lambda: nn.functional.conv2d(X2.astype(int), W2), TypeError, "input"),
    (lambda: nn.functional.conv2d(X2, W2.astype(np.float32), groups=2), TypeError, "same dtype"),
    (lambda: nn.functional.conv2d(X2, W2, np.ones(6, np.float32), groups=2), TypeError, "bias"),
    (lambda: nn.functional.conv2d(X2.astype(np.float16), W2), TypeError, "input"),
    (lambda: nn.functional.conv2d(X2.astype(complex), W2), TypeError, "input"),
    (lambda: nn.functional.conv2d(np.ones((8, 8)), W2), ValueError, "input must be"),
    (lambda: nn.functional.conv2d(X2, np.ones((6, 2, 3))), ValueError, "weight must be"),
    (lambda: nn.functional.conv2d(X2, W2), ValueError, "channels"),
    (lambda: nn.functional.conv2d(X2, np.ones((5, 2, 3, 3)), groups=2), ValueError, "groups"),
    (lambda: nn.functional.conv2d(X2, W2, np.ones(5), groups=2), ValueError, "bias"),
    (lambda: nn.functional.conv2d(X2, W2, groups=0), ValueError, "groups"),
    (lambda: nn.functional.conv2d(X2, W2, groups=2.0), TypeError, "groups"),
    (lambda: nn.functional.conv2d(X2, W2, groups=True), TypeError, "groups"),
    (lambda: nn.functional.conv2d(X2, W2, stride=0, groups=2), ValueError, "stride"),
    (lambda: nn.functional.conv2d(X2, W2, stride=(1, 1, 1), groups=2), ValueError, "stride"),
    (lambda: nn.functional.conv2d(X2, W2, stride="2", groups=2), TypeError, "stride"),
    (lambda: nn.functional.conv2d(X2, W2, stride=1.5, groups=2), TypeError, "stride"),
    (lambda: nn.functional.conv2d(X2, W2, dilation=(1, 0), groups=2), ValueError, "dilation"),
    (lambda: nn.functional.conv2d(X2, W2, padding=-1, groups=2), ValueError, "padding"),
    (lambda: nn.functional.conv2d(X2, W2, padding="full", groups=2), ValueError, "padding"),
    (lambda: nn.functional.conv2d(X2, W2, padding=None, groups=2), TypeError, "padding"),
    (lambda: nn.functional.conv2d(X2, W2, padding="same", stride=2, groups=2), ValueError, "same"),
    (lambda: nn.functional.conv2d(X2, W2, dilation=4, groups=2), ValueError, "too small"),
    (lambda: nn.functional.conv2d(X2, np.ones((6, 2, 0, 3)), groups=2), ValueError, "empty"),
    (lambda: nn.functional.conv2d(np.ones((2, 4, 0, 8)), W2, groups=2), ValueError, "empty"),
    (lambda: nn.functional.conv2d(X2, W2, groups=2, workers=0), ValueError, "workers"),
    (lambda: nn.functional.conv2d([[1, 2], [3]], W2), ValueError, "input"),
    (lambda: nn.functional.conv1d(X2, W2), ValueError, "input must be"),
    (lambda: nn.grad.conv2d_input((2, 4, 8, 8), W2, np.ones((2, 6, 5, 5)), groups=2),
     ValueError, "grad_output has spatial shape"),
    (lambda: nn.grad.conv2d_input((2, 4, 8), W2, np.ones((2, 6, 6, 6)), groups=2),
     ValueError, "input_size"),
    (lambda: nn.grad.conv2d_input("2x4x8x8", W2, np.ones((2, 6, 6, 6)), groups=2),
     TypeError, "input_size"),
    (lambda: nn.grad.conv2d_input((2, 4, 8, 8), W2, np.ones((2, 5, 6, 6)), groups=2),
     ValueError, "grad_output"),
    (lambda: nn.grad.conv2d_input((2, 4, 8, 8), W2, np.ones((2, 6, 6, 6), np.float32),
                                  groups=2), TypeError, "same dtype"),
    (lambda: nn.grad.conv2d_weight(X2, (6, 2, 3), np.ones((2, 6, 6, 6)), groups=2),
     ValueError, "weight_size"),
    (lambda: nn.grad.conv2d_weight(X2, (6, 2, 3, 3), np.ones((2, 6, 7, 6)), groups=2),
     ValueError, "grad_output has spatial shape"),
    (lambda: nn.grad.conv2d_weight(X2, (6, 2, 3, 3), np.ones((6, 6, 6)), groups=2),
     ValueError, "grad_output"),
    (lambda: nn.Conv2d(0, 4, 3), ValueError, "in_channels"),
    (lambda: nn.Conv2d(4, 4, (3, 3, 3)), ValueError, "kernel_size"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError, "out_channels"),
    (lambda: nn.Conv2d(3, 6, 3, groups=2), ValueError, "in_channels"),
    (lambda: nn.Conv2d(4, 4, 3, stride=2, padding="same"), ValueError, "same"),
    (lambda: nn.Conv2d(4, 4, 3, dtype=np.int32), TypeError, "dtype"),
    (lambda: nn.Conv2d(4, 4, 3, dtype="complex64"), TypeError, "dtype"),
    (lambda: nn.Conv2d(4, 4, 3, bias=1), TypeError, "bias"),
    (lambda: nn.Conv2d(4, 4, 3, rng=np.random.RandomState(0)), TypeError, "rng"),
    (lambda: nn.Conv2d(4, 4, 3, workers="all"), TypeError, "workers"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_layer_misuse():
    layer = nn.Conv2d(2, 3, 3, rng=0)
    with pytest.raises(RuntimeError, match="before backward"):
        layer.backward(np.ones((1, 3, 2, 2), np.float32))
    y = layer(np.ones((1, 2, 5, 5), np.float32))
    with pytest.raises(ValueError, match="shape of the last output"):
        layer.backward(np.ones((1, 3, 2, 2), np.float32))
    with pytest.raises(TypeError, match="grad_output must be a floating"):
        layer.backward(np.ones(y.shape, dtype=int))
    with pytest.raises(TypeError, match="input must be a floating"):
        layer(np.ones((1, 2, 5, 5), dtype=np.int64))
    with pytest.raises(TypeError, match="input must be a floating"):
        layer(np.ones((1, 2, 5, 5), dtype=complex))


def test_kernel_entry_rejects_bad_plans():
    """The Cython entry re-checks what the nogil code relies on."""
    x = np.zeros((1, 1, 1, 8))
    k = np.zeros((1, 1, 1, 3))
    out = np.zeros((1, 1, 1, 6))
    plan = dict(nP=1, G=1, nQ=1, nR=1, x_sp=8, x_sg=8, x_sr=8, k_sp=0, k_sg=3, k_sq=3, k_sr=3,
                o_sp=6, o_sg=6, o_sq=6, o_off=0, xs=(1, 1, 8), ks=(1, 1, 3), osz=(1, 1, 6),
                ostr=(6, 6, 1), ostep=(1, 1, 1), tstep=(1, 1, 1), pad=(0, 0, 0))
    _conv_layer.run(x, k, out, None, plan, 0, 1)
    for key, value, match in [("osz", (1, 1, 7), "past the end of out"),
                              ("xs", (1, 1, 9), "past the end of x"),
                              ("ks", (1, 1, 4), "past the end of k"),
                              ("nR", 2, "past the end"),
                              ("ostr", (6, 6, 0), "two outputs"),
                              ("ostep", (1, 1, 0), "ostep"),
                              ("nQ", 0, "nQ"),
                              ("pad", (0, 0, 1 << 62), "pad")]:
        bad = dict(plan, **{key: value})
        with pytest.raises(ValueError, match=match):
            _conv_layer.run(x, k, out, None, bad, 0, 1)
    np.testing.assert_array_equal(_conv_layer.run(x, k, np.zeros_like(out), None, plan, 2, 1),
                                  _conv_layer.run(x, k, out, None, plan, 0, 1))
    wide = dict(plan, x_sp=80, x_sg=80, x_sr=80, o_sp=78, o_sg=78, o_sq=78, xs=(1, 1, 80),
                osz=(1, 1, 78))
    with pytest.raises(ValueError, match="strategy 2"):
        _conv_layer.run(np.zeros((1, 1, 1, 80)), k, np.zeros((1, 1, 1, 78)), None, wide, 2, 1)
    with pytest.raises(ValueError, match="strategy must be"):
        _conv_layer.run(x, k, out, None, plan, 3, 1)
    with pytest.raises(TypeError):
        _conv_layer.run(x.astype(np.float32), k, out, None, plan, 0, 1)
    with pytest.raises(ValueError, match="overlap"):
        _conv_layer.run(x, k, x[..., :6], None, plan, 0, 1)
    with pytest.raises(ValueError, match="C-contiguous"):
        _conv_layer.run(x[..., ::2].copy()[..., :], k, out[..., ::-1], None, plan, 0, 1)
