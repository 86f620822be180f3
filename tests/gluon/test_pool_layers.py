"""Pooling / ReflectionPad2D / PixelShuffle layers vs MXNet 1.9.1 (tests/golden/pool/pool_goldens.json
"layers"): repr, prefix, outputs and input gradients eager and hybridized; check_hybrid_consistency;
constructor asserts and call-time errors."""
import json
import os

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, gluon, nd
from hybridnet.gluon import nn
from hybridnet.gluon.contrib import nn as cnn
from hybridnet.testing.gluon import check_hybrid_consistency

GOLD = json.load(open(os.path.join(os.path.dirname(__file__), "..", "golden", "pool", "pool_goldens.json")))
LAYERS = GOLD["layers"]


def _build(code):
    with mx.name.NameManager():
        return eval(code, {"nn": nn, "cnn": cnn})


def _f32(v):
    return np.array(v, dtype=np.float32)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_mxnet(name):
    rec = LAYERS[name]
    blk = _build(rec["code"])
    assert repr(blk) == rec["repr"]
    assert blk.prefix == rec["prefix"]
    for mode in ("eager", "hybrid"):
        if mode == "hybrid":
            blk.hybridize()
        x = nd.array(_f32(rec["input"]))
        x.attach_grad()
        with autograd.record():
            y = blk(x)
        y.backward(nd.array(_f32(rec[mode]["head"])))
        np.testing.assert_allclose(y.asnumpy(), _f32(rec[mode]["out"]), rtol=1e-5, atol=1e-6, err_msg=mode)
        np.testing.assert_allclose(x.grad.asnumpy(), _f32(rec[mode]["grad"]), rtol=1e-5, atol=1e-6, err_msg=mode)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_hybrid_consistency(name):
    rec = LAYERS[name]
    blk = _build(rec["code"])
    x = nd.array(np.random.RandomState(3).permutation(np.prod(np.array(rec["input"]).shape)).reshape(
        np.array(rec["input"]).shape).astype(np.float32))
    check_hybrid_consistency(blk, x)


def test_exposed_in_nn_and_contrib():
    for n in ("PixelShuffle1D", "PixelShuffle2D", "PixelShuffle3D"):
        assert getattr(nn, n) is getattr(cnn, n)
    for n in ("MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D",
              "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
              "ReflectionPad2D"):
        assert issubclass(getattr(nn, n), gluon.HybridBlock)


def test_reprs_as_mxnet_print():
    assert repr(nn.MaxPool2D()) == ("MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, "
                                    "global_pool=False, pool_type=max, layout=NCHW)")
    assert repr(nn.GlobalAvgPool2D()) == ("GlobalAvgPool2D(size=(1, 1), stride=(1, 1), padding=(0, 0), "
                                          "ceil_mode=True, global_pool=True, pool_type=avg, layout=NCHW)")


def test_constructor_asserts_as_mxnet():
    with pytest.raises(AssertionError, match="Only NCHW and NHWC layouts are valid for 2D Pooling"):
        nn.MaxPool2D(layout="NCW")
    with pytest.raises(AssertionError, match="pool_size must be a number or a list of 2 ints"):
        nn.AvgPool2D(pool_size=(2, 2, 2))
    with pytest.raises(AssertionError, match="wrong length 3"):
        nn.PixelShuffle2D((1, 2, 3))


def test_wrong_rank_names_layer_shape_and_fix():
    from hybridnet.errors import ShapeError
    for hyb in (False, True):
        blk = nn.MaxPool2D()
        if hyb:
            blk.hybridize()
        with pytest.raises(ShapeError, match=r"(?s)MaxPool2D.*Pooling.*layout 'NCHW' is for 4-D data.*3-D.*fix: pass 4-D data"):
            blk(nd.ones((1, 3, 8)))


def test_deferred_free_layers_in_a_net_train():
    """A LeNet-style stack trains a step eagerly and hybridized with identical gradients."""
    net = nn.HybridSequential()
    net.add(nn.Dense(16, in_units=16), nn.HybridLambda(lambda F, x: F.reshape(x, (0, 1, 4, 4))),
            nn.MaxPool2D(), nn.AvgPool2D(pool_size=1), nn.GlobalAvgPool2D(), nn.Flatten())
    net.initialize()
    check_hybrid_consistency(net, nd.array(np.random.RandomState(0).uniform(-1, 1, (3, 16))))
