"""cyconv.nn against PyTorch (skipped where torch is not installed)."""

import numpy as np
import pytest

try:
    import torch
except ImportError as exc:   # not installed, or an install that cannot load
    pytest.skip(f"torch is not importable: {exc}", allow_module_level=True)

from cyconv import nn  # noqa: E402

FUNCS = {1: nn.functional.conv1d, 2: nn.functional.conv2d, 3: nn.functional.conv3d}
GRAD_IN = {1: nn.grad.conv1d_input, 2: nn.grad.conv2d_input, 3: nn.grad.conv3d_input}
GRAD_W = {1: nn.grad.conv1d_weight, 2: nn.grad.conv2d_weight, 3: nn.grad.conv3d_weight}
LAYERS = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
TORCH_F = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d,
           3: torch.nn.functional.conv3d}


def case(seed):
    rng = np.random.default_rng(seed)
    nd = 1 + seed % 3
    dtype = np.float32 if seed % 2 else np.float64
    batched = seed % 5 != 0
    groups = int(rng.choice([1, 1, 2, 3, 4]))
    c_in_g, c_out_g = int(rng.integers(1, 5)), int(rng.integers(1, 9))
    ks = tuple(int(v) for v in rng.integers(1, 5, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    r = rng.random()
    if r < 0.2:
        padding, stride = "same", 1
    else:
        stride = tuple(int(v) for v in rng.integers(1, 4, nd))
        padding = ("valid" if r < 0.35 else int(rng.integers(0, 4)) if r < 0.6
                   else tuple(int(v) for v in rng.integers(0, 4, nd)))
    extent = [d * (k - 1) + 1 for d, k in zip(dilation, ks)]
    hi = {1: 40, 2: 16, 3: 7}[nd]
    spatial = tuple(int(rng.integers(e, e + hi)) for e in extent)
    n = int(rng.integers(1, 4))
    x = rng.standard_normal((n, groups * c_in_g) + spatial).astype(dtype)
    w = rng.standard_normal((groups * c_out_g, c_in_g) + ks).astype(dtype)
    b = rng.standard_normal(groups * c_out_g).astype(dtype) if rng.random() < 0.7 else None
    if not batched:
        x = x[0]
    return nd, x, w, b, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def assert_close(ours, ref, dtype, terms):
    ref = ref.detach().numpy()
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    if dtype == np.float64:
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10 * max(1, terms))
    else:
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=2e-5 * max(1.0, np.sqrt(terms)) * 4)


@pytest.mark.parametrize("seed", range(120))
def test_against_torch(seed):
    nd, x, w, b, kw = case(seed)
    torch.set_num_threads(1)
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    bt = None if b is None else torch.from_numpy(b).requires_grad_()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")    # torch warns about 'same' with even kernels
        yt = TORCH_F[nd](xt, wt, bt, **kw)
    y = FUNCS[nd](x, w, b, **kw)
    assert_close(y, yt, x.dtype, w[0].size)
    gy = np.random.default_rng(seed + 1000).standard_normal(y.shape).astype(x.dtype)
    yt.backward(torch.from_numpy(gy))
    gx = GRAD_IN[nd](x.shape, w, gy, **kw)
    gw = GRAD_W[nd](x, w.shape, gy, **kw)
    assert_close(gx, xt.grad, x.dtype, w.shape[0] * w[0].size)
    assert_close(gw, wt.grad, x.dtype, gy[..., 0].size if gy.ndim == nd + 1 else gy[:, 0].size)
    if b is not None:
        layer = LAYERS[nd](x.shape[-nd - 1], w.shape[0], w.shape[2:], bias=True, dtype=x.dtype,
                           rng=0, **kw)
        layer.weight, layer.bias = w, b
        np.testing.assert_array_equal(layer(x), y)
        layer.backward(gy)
        assert_close(layer.grad_bias, bt.grad, x.dtype, gy[0].size * 4)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_torch_grad_module(nd):
    """nn.grad matches torch.nn.grad, including input sizes a stride makes ambiguous."""
    rng = np.random.default_rng(nd)
    ks = (3,) * nd
    x_shape = (2, 4) + (11,) * nd          # (11 + 2 - 3) // 2 + 1 = 6, as for 10
    w = rng.standard_normal((6, 2) + ks)
    y_shape = (2, 6) + (6,) * nd
    gy = rng.standard_normal(y_shape)
    kw = dict(stride=2, padding=1, dilation=1, groups=2)
    ref = getattr(torch.nn.grad, f"conv{nd}d_input")(x_shape, torch.from_numpy(w),
                                                     torch.from_numpy(gy), **kw)
    assert_close(GRAD_IN[nd](x_shape, w, gy, **kw), ref, np.float64, 50)
    x = rng.standard_normal(x_shape)
    ref = getattr(torch.nn.grad, f"conv{nd}d_weight")(torch.from_numpy(x), w.shape,
                                                      torch.from_numpy(gy), **kw)
    assert_close(GRAD_W[nd](x, w.shape, gy, **kw), ref, np.float64, 50)


def test_layer_init_bounds_match_torch():
    """Same bound as torch's default init: max |w| and |b| <= 1/sqrt(fan_in), nearly reached."""
    torch.manual_seed(0)
    ref = torch.nn.Conv2d(6, 64, (3, 5), groups=2)
    ours = nn.Conv2d(6, 64, (3, 5), groups=2, rng=0)
    for a, b in ((ours.weight, ref.weight), (ours.bias, ref.bias)):
        bound = float(b.detach().abs().max())
        assert abs(np.abs(a).max() - bound) < 0.02 * bound
        assert a.shape == tuple(b.shape)


# --------------------------------------------------------------------------
# transposed convolutions, padding modes, accumulation
# --------------------------------------------------------------------------

TRANSPOSE = {1: nn.functional.conv_transpose1d, 2: nn.functional.conv_transpose2d,
             3: nn.functional.conv_transpose3d}
TORCH_T = {1: torch.nn.functional.conv_transpose1d, 2: torch.nn.functional.conv_transpose2d,
           3: torch.nn.functional.conv_transpose3d}
TLAYERS = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


def transpose_case(seed):
    rng = np.random.default_rng(seed)
    nd = 1 + seed % 3
    dtype = np.float32 if seed % 2 else np.float64
    groups = int(rng.choice([1, 1, 2, 3, 4]))
    c_in_g, c_out_g = int(rng.integers(1, 5)), int(rng.integers(1, 7))
    ks = tuple(int(v) for v in rng.integers(1, 5, nd))
    stride = tuple(int(v) for v in rng.integers(1, 4, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    hi = {1: 30, 2: 10, 3: 5}[nd]
    spatial = tuple(int(v) for v in rng.integers(1, hi, nd))
    padding = tuple(int(rng.integers(0, ((n - 1) * s + d * (k - 1) + op) // 2 + 1))
                    for n, k, s, d, op in zip(spatial, ks, stride, dilation, output_padding))
    n = int(rng.integers(1, 4))
    x = rng.standard_normal((n, groups * c_in_g) + spatial).astype(dtype)
    w = rng.standard_normal((groups * c_in_g, c_out_g) + ks).astype(dtype)
    b = rng.standard_normal(groups * c_out_g).astype(dtype) if rng.random() < 0.7 else None
    if seed % 5 == 0:
        x = x[0]
    return nd, x, w, b, dict(stride=stride, padding=padding, output_padding=output_padding,
                             groups=groups, dilation=dilation)


@pytest.mark.parametrize("seed", range(90))
def test_transpose_against_torch(seed):
    """conv_transposeNd forward and the ConvTransposeNd layer's three gradients."""
    nd, x, w, b, kw = transpose_case(seed)
    torch.set_num_threads(1)
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()
    bt = None if b is None else torch.from_numpy(b).requires_grad_()
    yt = TORCH_T[nd](xt, wt, bt, **kw)
    y = TRANSPOSE[nd](x, w, b, **kw)
    assert_close(y, yt, x.dtype, w.shape[0] * w[0, 0].size)
    gy = np.random.default_rng(seed + 1000).standard_normal(y.shape).astype(x.dtype)
    yt.backward(torch.from_numpy(gy))
    layer = TLAYERS[nd](w.shape[0], w.shape[1] * kw["groups"], w.shape[2:], bias=b is not None,
                        dtype=x.dtype, rng=0, **kw)
    layer.weight = w
    if b is not None:
        layer.bias = b
    np.testing.assert_array_equal(layer(x), y)
    gx = layer.backward(gy)
    assert_close(gx, xt.grad, x.dtype, w.shape[1] * w[0, 0].size)
    assert_close(layer.grad_weight, wt.grad, x.dtype, gy[..., 0].size)
    if b is not None:
        assert_close(layer.grad_bias, bt.grad, x.dtype, gy.size)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_transpose_output_size_and_init_match_torch(nd):
    torch.manual_seed(0)
    ref = getattr(torch.nn, f"ConvTranspose{nd}d")(4, 6, 3, stride=3, padding=1, groups=2)
    ours = TLAYERS[nd](4, 6, 3, stride=3, padding=1, groups=2, rng=0)
    assert ours.weight.shape == tuple(ref.weight.shape)
    bound = float(ref.weight.detach().abs().max())
    assert abs(np.abs(ours.weight).max() - bound) < 0.1 * bound
    ours.weight = ref.weight.detach().numpy().copy()
    ours.bias = ref.bias.detach().numpy().copy()
    x = np.random.default_rng(nd).standard_normal((2, 4) + (5,) * nd).astype(np.float32)
    for extra in range(3):
        size = (13 + extra,) * nd
        want = ref(torch.from_numpy(x), output_size=list(size)).detach()
        assert_close(ours(x, output_size=size), want, np.float32, 20)
    with pytest.raises(ValueError):
        ref(torch.from_numpy(x), output_size=[16] * nd)
    with pytest.raises(ValueError, match="output size"):
        ours(x, output_size=(16,) * nd)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_padding_modes_against_torch(nd, mode):
    rng = np.random.default_rng(nd)
    torch.set_num_threads(1)
    for padding, stride, dtype in [((1,) * nd, 1, np.float64), ("same", 1, np.float32),
                                   (tuple(range(1, nd + 1)), 2, np.float64)]:
        ref = getattr(torch.nn, f"Conv{nd}d")(4, 6, 3 if padding != "same" else 4, stride=stride,
                                             padding=padding, groups=2, padding_mode=mode,
                                             dtype=torch.float64 if dtype == np.float64
                                             else torch.float32)
        ours = LAYERS[nd](4, 6, ref.kernel_size, stride=stride, padding=padding, groups=2,
                          padding_mode=mode, dtype=dtype)
        ours.weight = ref.weight.detach().numpy().copy()
        ours.bias = ref.bias.detach().numpy().copy()
        x = rng.standard_normal((2, 4) + (6,) * nd).astype(dtype)
        xt = torch.from_numpy(x).requires_grad_()
        yt = ref(xt)
        y = ours(x)
        assert_close(y, yt, dtype, 50)
        gy = rng.standard_normal(y.shape).astype(dtype)
        yt.backward(torch.from_numpy(gy))
        assert_close(ours.backward(gy), xt.grad, dtype, 50)
        assert_close(ours.grad_weight, ref.weight.grad, dtype, gy[:, 0].size)
        assert_close(ours.grad_bias, ref.bias.grad, dtype, gy[:, 0].size)


@pytest.mark.parametrize("transposed", [False, True])
def test_grads_accumulate_over_two_backward_calls_like_torch(transposed):
    rng = np.random.default_rng(3)
    name = "ConvTranspose2d" if transposed else "Conv2d"
    ref = getattr(torch.nn, name)(4, 6, 3, stride=2, padding=1, groups=2, dtype=torch.float64)
    ours = getattr(nn, name)(4, 6, 3, stride=2, padding=1, groups=2, dtype=np.float64)
    ours.weight = ref.weight.detach().numpy().copy()
    ours.bias = ref.bias.detach().numpy().copy()
    for _ in range(2):
        x = rng.standard_normal((2, 4, 7, 9))
        y = ours(x)
        gy = rng.standard_normal(y.shape)
        ref(torch.from_numpy(x)).backward(torch.from_numpy(gy))
        ours.backward(gy)
        assert_close(ours.grad_weight, ref.weight.grad, np.float64, 200)
        assert_close(ours.grad_bias, ref.bias.grad, np.float64, 200)
    ref.zero_grad()
    ours.zero_grad()
    assert ref.weight.grad is None and ours.grad_weight is None
