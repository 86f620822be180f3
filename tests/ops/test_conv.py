"""Convolution / Deconvolution beyond the op-record templates: MXNet 1.9.1 goldens at op level
(tests/golden/conv, incl. target_shape), the CPU kernel paths (Numba im2col/col2im/depthwise, batch
chunks, parallel variants, non-contiguous inputs, float16) against the array-API bodies and the NumPy
references, channels-last == channels-first, gradients composing to third order, and Symbol JSON
attributes as MXNet writes them."""
import json
import os

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, nd
from hybridnet.kernels.cpu import conv as cpu_conv
from hybridnet.kernels.generic import conv as gen
from hybridnet.ops.conv import conv_geom, conv_out_size, deconv_pad_adj
from hybridnet.testing.op_cases.conv import conv_ref, conv_weight_grad_ref, deconv_ref

GOLD_DIR = os.path.join(os.path.dirname(__file__), "..", "golden", "conv")
with open(os.path.join(GOLD_DIR, "conv_goldens.json")) as f:
    GOLD = json.load(f)
ARR = np.load(os.path.join(GOLD_DIR, "conv_goldens.npz"))


@pytest.mark.parametrize("name", sorted(GOLD["ops"]))
def test_op_matches_mxnet(name):
    rec = GOLD["ops"][name]
    attrs = {k: tuple(v) if isinstance(v, list) else v for k, v in rec["attrs"].items()}
    xs = [nd.array(ARR[f"{name}/in{j}"]) for j in range(len(rec["shapes"]))]
    for a in xs:
        a.attach_grad()
    with autograd.record():
        y = getattr(nd, rec["op"])(*xs, **attrs)
        loss = (y * nd.array(ARR[f"{name}/head"])).sum()
    loss.backward()
    np.testing.assert_allclose(y.asnumpy(), ARR[f"{name}/y"], rtol=1e-5, atol=1e-5)
    for j, a in enumerate(xs):
        np.testing.assert_allclose(a.grad.asnumpy(), ARR[f"{name}/grad_in{j}"], rtol=1e-5, atol=1e-5,
                                   err_msg=f"grad of input {j}")


# ---- CPU kernel paths ------------------------------------------------------------------------------

# (data shape, weight shape, attrs): dense, strided, dilated, grouped, depthwise, 1x1, 1-D, 3-D, and sizes
# above PARALLEL_MIN_SIZE (the prange variants)
CONFIGS = [
    ((3, 4, 9, 8), (6, 4, 3, 3), dict(pad=(1, 1))),
    ((3, 4, 9, 8), (6, 2, 3, 2), dict(stride=(2, 3), dilate=(2, 1), pad=(2, 0), num_group=2)),
    ((2, 6, 7, 7), (6, 1, 3, 3), dict(pad=(1, 1), num_group=6)),
    ((2, 6, 9, 7), (6, 1, 3, 2), dict(stride=(2, 2), dilate=(1, 2), pad=(2, 1), num_group=6)),
    ((3, 5, 4, 6), (7, 5, 1, 1), dict()),
    ((3, 5, 5, 6), (4, 5, 1, 1), dict(stride=(2, 2))),
    ((3, 3, 11), (4, 3, 3), dict(stride=(2,), pad=(1,))),
    ((2, 3, 4, 6, 5), (4, 3, 2, 3, 2), dict(pad=(1, 0, 1), stride=(1, 2, 1), dilate=(1, 1, 2))),
    ((8, 16, 16, 16), (16, 16, 3, 3), dict(pad=(1, 1))),
    ((8, 32, 12, 12), (32, 1, 3, 3), dict(pad=(1, 1), num_group=32)),
]


def _geom(ws, attrs):
    return conv_geom(ws[2:], attrs.get("stride", ()), attrs.get("dilate", ()), attrs.get("pad", ()), None,
                     attrs.get("num_group", 1))


def _adj(xs, OS, geom):
    return tuple(s - (st * (o - 1) + dk - 2 * p)
                 for s, o, st, dk, p in zip(xs[2:], OS, geom.stride, geom.dilated(), geom.pad))


def _prim_sets():
    return {
        "numba": cpu_conv.PRIMS,
        "numba chunk 1 sample": dict(cpu_conv.PRIMS, chunk_bytes=1),
        "numba chunk 3 KB": dict(cpu_conv.PRIMS, chunk_bytes=3000),
        "unchunked": dict(cpu_conv.PRIMS, chunk_bytes=None),
        "numba no direct depthwise": dict(cpu_conv.PRIMS, depthwise=None, depthwise_t=None, depthwise_w=None),
        "array-api": gen.PRIMS,
        "array-api no depthwise": dict(gen.PRIMS, depthwise=None, depthwise_t=None, depthwise_w=None),
    }


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cfg", range(len(CONFIGS)))
def test_cpu_kernel_paths_match_reference(cfg, dtype):
    xs, ws, attrs = CONFIGS[cfg]
    rng = np.random.default_rng(cfg)
    x = rng.uniform(-1, 1, xs).astype(dtype)
    w = rng.uniform(-1, 1, ws).astype(dtype)
    b = rng.uniform(-1, 1, ws[0]).astype(dtype)
    geom = _geom(ws, attrs)
    OS = conv_out_size(xs[2:], geom)
    dy = rng.uniform(-1, 1, (xs[0], ws[0]) + OS).astype(dtype)
    full = dict(attrs, kernel=ws[2:], num_filter=ws[0])
    want_y = conv_ref(x, w, b, **full)
    want_dx = deconv_ref(dy, w, None, **dict(full, num_filter=xs[1], adj=_adj(xs, OS, geom)))
    want_dw = conv_weight_grad_ref(x, dy, **full)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    # non-contiguous data: every other element of a wider array
    xnc = np.zeros(xs[:-1] + (xs[-1] * 2,), dtype)
    xnc[..., ::2] = x
    xnc = xnc[..., ::2]
    for label, prims in _prim_sets().items():
        for xin in (x, xnc):
            y = gen.conv_forward(np, xin, w, b, geom, None, prims)
            np.testing.assert_allclose(y, want_y, err_msg=f"forward {label}", **tol)
            dw = gen.conv_weight_grad(np, xin, dy, geom, None, prims)
            np.testing.assert_allclose(dw, want_dw, err_msg=f"weight grad {label}", **tol)
        dx = gen.deconv_forward(np, dy, w, None, geom, geom.pad, _adj(xs, OS, geom), None, prims)
        np.testing.assert_allclose(dx, want_dx, err_msg=f"data grad {label}", **tol)
        assert y.dtype == dtype and dx.dtype == dtype and dw.dtype == dtype


def test_destination_passing_into_strided_out():
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 6, 5)).astype(np.float32)
    w = np.random.default_rng(1).uniform(-1, 1, (4, 3, 3, 3)).astype(np.float32)
    from hybridnet.kernels import kernel_for
    fn = kernel_for(mx.ops.get_op("Convolution"), mx.cpu())
    big = np.full((2, 4, 4, 6), np.nan, np.float32)
    out = big[..., ::2]
    r = fn(x, w, out=out, kernel=(3, 3), num_filter=4, no_bias=True)
    assert r is out
    np.testing.assert_allclose(out, conv_ref(x, w, kernel=(3, 3), num_filter=4, no_bias=True), rtol=1e-5, atol=1e-5)


def test_float16_computes_in_float32():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (2, 8, 6, 6)).astype(np.float16)
    w = rng.uniform(-1, 1, (4, 8, 3, 3)).astype(np.float16)
    y = nd.Convolution(nd.array(x, dtype="float16"), nd.array(w, dtype="float16"), kernel=(3, 3), num_filter=4,
                       no_bias=True)
    assert y.dtype == np.float16
    want = conv_ref(x.astype(np.float64), w.astype(np.float64), kernel=(3, 3), num_filter=4, no_bias=True)
    np.testing.assert_allclose(y.asnumpy().astype(np.float64), want, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("op,last,first,xs,ws,attrs", [
    ("Convolution", "NHWC", "NCHW", (2, 5, 6, 4), (6, 3, 2, 2), dict(kernel=(3, 2), num_filter=6, num_group=2,
                                                                      stride=(2, 1), pad=(1, 1))),
    ("Convolution", "NDHWC", "NCDHW", (2, 3, 4, 5, 2), (3, 2, 2, 2, 2), dict(kernel=(2, 2, 2), num_filter=3)),
    ("Deconvolution", "NHWC", "NCHW", (2, 3, 4, 4), (4, 3, 3, 2), dict(kernel=(3, 3), num_filter=4, num_group=2,
                                                                       stride=(2, 2), adj=(1, 0), no_bias=False)),
    ("Deconvolution", "NDHWC", "NCDHW", (1, 2, 3, 2, 3), (3, 2, 2, 2, 2), dict(kernel=(2, 2, 2), num_filter=2,
                                                                               stride=(2, 1, 1))),
])
def test_channels_last_equals_channels_first(op, last, first, xs, ws, attrs):
    """MXNet's CPU build cannot run channels-last layouts; they must equal the channels-first op on moved axes,
    values and gradients."""
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, xs).astype(np.float32)
    w = rng.uniform(-1, 1, ws).astype(np.float32)
    b = rng.uniform(-1, 1, attrs["num_filter"]).astype(np.float32)
    has_bias = not attrs.get("no_bias", op == "Deconvolution")
    res = {}
    for layout, xa, wa in ((last, x, w), (first, np.moveaxis(x, -1, 1), np.moveaxis(w, -1, 1))):
        ins = [nd.array(xa), nd.array(wa)] + ([nd.array(b)] if has_bias else [])
        for a in ins:
            a.attach_grad()
        with autograd.record():
            y = getattr(nd, op)(*ins, layout=layout, **attrs)
            yv = y if layout == first else nd.transpose(y, axes=(0, y.ndim - 1) + tuple(range(1, y.ndim - 1)))
            loss = (yv * nd.arange(yv.size).reshape(yv.shape).sin()).sum()
        loss.backward()
        g = [a.grad.asnumpy() for a in ins]
        if layout == last:
            g[0], g[1] = np.moveaxis(g[0], -1, 1), np.moveaxis(g[1], -1, 1)
        res[layout] = (yv.asnumpy(), g)
    np.testing.assert_allclose(res[last][0], res[first][0], rtol=1e-5, atol=1e-5)
    for a, b_ in zip(res[last][1], res[first][1]):
        np.testing.assert_allclose(a, b_, rtol=1e-5, atol=1e-5)


def test_third_order_gradient_composes():
    """Convolution -> Deconvolution -> Convolution/_backward_conv_weight: d3/dx3 of sum(conv(x)^3 ...) is
    finite-difference checked through autograd.grad(create_graph=True) twice."""
    rng = np.random.default_rng(0)
    x = nd.array(rng.uniform(-1, 1, (1, 2, 4, 4)), dtype="float64")
    w = nd.array(rng.uniform(-1, 1, (2, 2, 2, 2)), dtype="float64")
    v = rng.uniform(-1, 1, x.shape)

    def f(xx):
        y = nd.Convolution(xx, w, kernel=(2, 2), num_filter=2, no_bias=True, stride=(2, 1), pad=(1, 0))
        return (y ** 3).sum()

    def second_dir(xx):
        xx = xx.copy()
        xx.attach_grad()
        with autograd.record():
            (g1,) = autograd.grad(f(xx), [xx], create_graph=True)
            s = (g1 * nd.array(v, dtype="float64")).sum()
            (g2,) = autograd.grad(s, [xx], create_graph=True)
            t = (g2 * nd.array(v, dtype="float64")).sum()
        t.backward()
        return t.asscalar(), xx.grad.asnumpy()
    t0, g3 = second_dir(x)
    eps = 1e-6
    tp, _ = second_dir(x + eps * nd.array(v, dtype="float64"))
    tm, _ = second_dir(x - eps * nd.array(v, dtype="float64"))
    np.testing.assert_allclose((tp - tm) / (2 * eps), float((g3 * v).sum()), rtol=1e-5, atol=1e-7)


def test_symbol_json_matches_mxnet_for_gluon_attrs():
    """The attributes a Gluon Conv layer passes are written as MXNet writes them (golden export nodes)."""
    for name, rec in GOLD["layers"].items():
        node = rec["export_nodes"][0]
        attrs = node["attrs"]
        op = node["op"]
        x = mx.sym.var("data")
        kw = {k: eval(v) if v[:1] in "([" or v in ("True", "False") or v.isdigit() else v for k, v in attrs.items()}
        s = getattr(mx.sym, op)(x, name="conv0_fwd", **kw)
        got = [n for n in json.loads(s.tojson())["nodes"] if n["op"] == op][0]
        assert got["attrs"] == attrs, name


def test_deconv_target_shape_pad_adj():
    geom = conv_geom((3, 3), (2, 2), (), (), None, 1)
    assert deconv_pad_adj((4, 4), geom, (), (8, 9)) == ((1, 0), (1, 0))
    assert deconv_pad_adj((4, 4), geom, (1, 1), ()) == ((0, 0), (1, 1))


@pytest.mark.parametrize("op,xs,ws,attrs", [
    ("Convolution", (2, 4, 6, 5), (6, 2, 3, 3), dict(kernel=(3, 3), num_filter=6, num_group=2, stride=(2, 1),
                                                    pad=(1, 1), dilate=(1, 2))),
    ("Convolution", (2, 4, 5, 5), (4, 1, 3, 3), dict(kernel=(3, 3), num_filter=4, num_group=4, pad=(1, 1))),
    ("Convolution", (2, 5, 4, 3), (4, 3, 2, 3), dict(kernel=(3, 2), num_filter=4, layout="NHWC")),
    ("Convolution", (1, 2, 3, 4, 3), (3, 2, 2, 2, 2), dict(kernel=(2, 2, 2), num_filter=3, pad=(1, 0, 1))),
    ("Deconvolution", (2, 3, 4, 4), (3, 2, 3, 3), dict(kernel=(3, 3), num_filter=2, stride=(2, 2),
                                                      target_shape=(8, 9), no_bias=False)),
    ("Deconvolution", (2, 4, 3, 3), (4, 1, 3, 3), dict(kernel=(3, 3), num_filter=4, num_group=4, stride=(2, 2))),
    ("Deconvolution", (2, 3, 7), (3, 2, 3), dict(kernel=(3,), num_filter=2, stride=(2,), adj=(1,), pad=(1,))),
])
def test_gpu_matches_cpu_with_gradients(op, xs, ws, attrs):
    """The GPU kernels (the array-API bodies on CuPy; NumPy under the CUDA simulator in CI): forward and
    every input gradient equal the CPU's."""
    if mx.num_gpus() == 0:
        pytest.skip("no GPU (not even the simulator)")
    rng = np.random.default_rng(5)
    arrays = [rng.uniform(-1, 1, xs).astype(np.float32), rng.uniform(-1, 1, ws).astype(np.float32)]
    if not attrs.get("no_bias", op == "Deconvolution"):
        arrays.append(rng.uniform(-1, 1, attrs["num_filter"]).astype(np.float32))
    res = []
    for dev in (mx.cpu(), mx.gpu(0)):
        ins = [nd.array(a, ctx=dev) for a in arrays]
        for a in ins:
            a.attach_grad()
        with autograd.record():
            y = getattr(nd, op)(*ins, **attrs)
            loss = (y * y).sum()
        loss.backward()
        assert y.context == dev
        res.append([y.asnumpy()] + [a.grad.asnumpy() for a in ins])
    for c, g in zip(*res):
        np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-5)
