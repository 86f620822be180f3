"""gluon.nn Conv1D/2D/3D and Conv*DTranspose: MXNet 1.9.1 goldens (tests/golden/conv: repr, Parameter names and
shapes before/after deferred init, outputs and gradients of data/weight/bias with fixed weights, eager and
hybridized), check_hybrid_consistency for every layer class, channels-last layers, export, bad input."""
import json
import os

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, gluon, nd
from hybridnet.errors import HybridNetError, ShapeError
from hybridnet.gluon import nn
from hybridnet.testing.gluon import check_hybrid_consistency

GOLD_DIR = os.path.join(os.path.dirname(__file__), "..", "golden", "conv")
with open(os.path.join(GOLD_DIR, "conv_goldens.json")) as f:
    GOLD = json.load(f)
ARR = np.load(os.path.join(GOLD_DIR, "conv_goldens.npz"))
LAYERS = sorted(GOLD["layers"])


def _build(code):
    with mx.name.NameManager():
        return eval(code)


def _fix_transpose_repr(layer, text, after):
    """hybridnet prints a transposed conv as ``in_channels -> channels`` and its output_padding (MXNet 1.9.1:
    ``channels / groups -> in_channels``, output_padding never shown); map MXNet's text to hybridnet's."""
    if "Transpose" not in type(layer).__name__:
        return text
    w = layer.weight.shape
    mx_mapping = f"{w[1]} -> {w[0]}"
    ours = f"{w[0] if w[0] else None} -> {layer._channels}"
    text = text.replace(mx_mapping, ours, 1)
    n = len(layer._kwargs["kernel"])
    if tuple(layer._kwargs["adj"]) != (0,) * n:
        if ", groups=" in text:
            text = text.replace(", groups=", f", output_padding={layer._kwargs['adj']}, groups=", 1)
        elif ", bias=False" in text:
            text = text.replace(", bias=False", f", output_padding={layer._kwargs['adj']}, bias=False", 1)
        else:
            text = text[:-1] + f", output_padding={layer._kwargs['adj']})"
    return text


@pytest.mark.parametrize("name", LAYERS)
def test_names_shapes_and_repr(name):
    rec = GOLD["layers"][name]
    layer = _build(rec["code"])
    assert layer.prefix == rec["prefix"] == "conv0_"
    assert {k: list(p.shape) for k, p in layer.collect_params().items()} == rec["params_before"]
    assert repr(layer) == _fix_transpose_repr(layer, rec["repr_before"], False)
    layer.initialize()
    layer(nd.array(ARR[f"{name}/x"]))
    assert {k: list(p.shape) for k, p in layer.collect_params().items()} == rec["params_after"]
    assert repr(layer) == _fix_transpose_repr(layer, rec["repr_after"], True)


def test_transpose_repr_deliberate_fix():
    with mx.name.NameManager():
        t = nn.Conv2DTranspose(8, 3, strides=2, output_padding=1)
    assert repr(t) == "Conv2DTranspose(None -> 8, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"
    t.initialize()
    t(nd.ones((1, 5, 4, 4)))
    assert repr(t) == "Conv2DTranspose(5 -> 8, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"


def _load(name):
    rec = GOLD["layers"][name]
    layer = _build(rec["code"])
    layer.initialize()
    x = nd.array(ARR[f"{name}/x"])
    layer(x)
    for k, p in layer.collect_params().items():
        p.set_data(nd.array(ARR[f"{name}/{k[len(layer.prefix):]}"]))
    return layer, x


@pytest.mark.parametrize("hybridize", [False, True], ids=["eager", "hybridized"])
@pytest.mark.parametrize("name", LAYERS)
def test_outputs_and_grads_match_mxnet(name, hybridize):
    layer, x = _load(name)
    if hybridize:
        layer.hybridize()
    x.attach_grad()
    with autograd.record():
        y = layer(x)
        loss = (y * nd.array(ARR[f"{name}/head"])).sum()
    loss.backward()
    np.testing.assert_allclose(y.asnumpy(), ARR[f"{name}/y"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad.asnumpy(), ARR[f"{name}/grad_x"], rtol=1e-5, atol=1e-5)
    for k, p in layer.collect_params().items():
        np.testing.assert_allclose(p.grad().asnumpy(), ARR[f"{name}/grad_{k[len(layer.prefix):]}"], rtol=1e-4,
                                   atol=1e-5, err_msg=k)


def _x(shape, seed=0):
    return nd.array(np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32))


@pytest.mark.parametrize("make,shape", [
    (lambda: nn.Conv1D(4, 3, strides=2, padding=1, activation="tanh"), (2, 3, 9)),
    (lambda: nn.Conv2D(6, (3, 2), strides=(2, 1), padding=1, dilation=(1, 2), groups=3), (2, 3, 8, 7)),
    (lambda: nn.Conv2D(4, 3, groups=4, padding=1, use_bias=False), (2, 4, 6, 6)),
    (lambda: nn.Conv2D(5, 3, layout="NHWC", padding=1, activation="relu"), (2, 6, 5, 3)),
    (lambda: nn.Conv3D(3, 2, padding=(1, 0, 1)), (1, 2, 3, 4, 3)),
    (lambda: nn.Conv3D(3, 2, layout="NDHWC"), (1, 3, 4, 3, 2)),
    (lambda: nn.Conv1DTranspose(2, 4, strides=3, padding=1, output_padding=2), (2, 3, 4)),
    (lambda: nn.Conv2DTranspose(4, 3, strides=2, padding=1, output_padding=1, groups=2), (2, 4, 3, 4)),
    (lambda: nn.Conv2DTranspose(3, 3, strides=2, layout="NHWC", use_bias=False), (2, 3, 4, 5)),
    (lambda: nn.Conv3DTranspose(2, 2, strides=2, activation="sigmoid"), (1, 3, 2, 2, 2)),
    (lambda: nn.Conv3DTranspose(2, 2, strides=(1, 2, 1), layout="NDHWC"), (1, 2, 2, 3, 3)),
])
def test_hybrid_consistency(make, shape):
    check_hybrid_consistency(make(), _x(shape), rtol=1e-5, atol=1e-5)


def test_sequential_deferred_init_and_shapes():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(8, 3, padding=1, activation="relu"), nn.Conv2D(4, 3, strides=2, groups=2),
            nn.Conv2DTranspose(3, 4, strides=2, padding=1))
    net.initialize()
    x = _x((2, 5, 8, 8))
    y = net(x)
    assert y.shape == (2, 3, 6, 6)
    assert net[0].weight.shape == (8, 5, 3, 3) and net[1].weight.shape == (4, 4, 3, 3)
    assert net[2].weight.shape == (4, 3, 4, 4)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), y.asnumpy(), rtol=1e-5, atol=1e-6)


def test_export_and_symbolblock_roundtrip(tmp_path):
    name = "conv2d_transpose"
    layer, x = _load(name)
    layer.hybridize()
    want = layer(x).asnumpy()
    sym_file, params_file = layer.export(str(tmp_path / "m"))
    data = json.load(open(sym_file))
    node = [n for n in data["nodes"] if n["op"] == "Deconvolution"][0]
    gold = GOLD["layers"][name]["export_nodes"][0]
    assert node["name"] == gold["name"]
    # hybridnet's export writes the attributes that differ from the op's defaults (gluon/export.py); MXNet
    # writes every attribute the layer passed. Same values, and the ones left out are the defaults.
    assert all(gold["attrs"][k] == v for k, v in node["attrs"].items())
    assert {k: v for k, v in gold["attrs"].items() if k not in node["attrs"]} == {"num_group": "1"}
    sb = gluon.SymbolBlock.imports(sym_file, ["data"], params_file)
    np.testing.assert_allclose(sb(x).asnumpy(), want, rtol=1e-6, atol=1e-6)


def test_layer_keeps_list_arguments_as_mxnet():
    with mx.name.NameManager():
        c = nn.Conv2D(2, [3, 3], strides=[2, 1])
    assert repr(c) == "Conv2D(None -> 2, kernel_size=[3, 3], stride=[2, 1])"


def test_bad_input_errors_name_shapes_and_fix():
    c = nn.Conv2D(4, 3, in_channels=3)
    c.initialize()
    with pytest.raises(ShapeError, match=r"Input data should be 4D in batch-num_filter-y-x(.|\n)*fix: pass 4-D data"):
        c(nd.ones((3, 8, 8)))
    with pytest.raises(ShapeError, match=r"weight has shape \(4, 3, 3, 3\) but data with 5 channels(.|\n)*fix:"):
        c(nd.ones((1, 5, 8, 8)))
    with pytest.raises(ShapeError, match=r"kernel size exceed input(.|\n)*fix: pass larger inputs"):
        c(nd.ones((1, 3, 2, 8)))
    c.hybridize()
    with pytest.raises(HybridNetError, match="Input data should be 4D"):
        c(nd.ones((3, 8, 8)))
    with pytest.raises(AssertionError, match="Only supports 'NCHW' and 'NHWC' layout"):
        nn.Conv2D(4, 3, layout="NCW")
    with pytest.raises(AssertionError, match="Only supports 'NCW' layout"):
        nn.Conv1D(4, 3, layout="NWC")
    with pytest.raises(AssertionError, match="kernel_size must be a number or a list of 2 ints"):
        nn.Conv2D(4, (3, 3, 3))
    with pytest.raises(ShapeError, match="in_channels=3 is not divisible by groups=2"):
        nn.Conv2D(4, 3, groups=2, in_channels=3)
    d = nn.Conv2D(4, 3, groups=2)
    d.initialize()
    with pytest.raises(ValueError, match="Conv2D 'conv(.|\n)*data has 3 channels, not divisible by num_group=2"):
        d(nd.ones((1, 3, 5, 5)))          # deferred init: DeferredInferenceError naming the layer


def test_float64_and_cast():
    c = nn.Conv2D(3, 2, in_channels=2)
    c.initialize()
    c.cast("float64")
    y = c(nd.ones((1, 2, 3, 3), dtype="float64"))
    assert y.dtype == np.float64
