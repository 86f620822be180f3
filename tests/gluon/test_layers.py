"""Every basic layer: check_hybrid_consistency (eager == hybridized, with and without autograd,
outputs and gradients) plus its forward maths against NumPy and its container behaviour.
MXNet golden outputs for these layers are checked in test_block_goldens.py (layers_misc, embedding,
concurrent nets)."""
import math

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, gluon, init, nd
from hybridnet.gluon import nn
from hybridnet.gluon.contrib import nn as cnn
from hybridnet.testing.gluon import check_hybrid_consistency


def _x(*shape, seed=0):
    return nd.array(np.random.RandomState(seed).uniform(-2, 2, shape).astype(np.float32))


def _erf(v):
    return np.vectorize(math.erf)(v)


CASES = [
    ("dense", lambda: nn.Dense(4), (3, 5), None),
    ("dense_act", lambda: nn.Dense(4, activation="tanh", in_units=5), (3, 5), None),
    ("dense_nobias", lambda: nn.Dense(4, use_bias=False), (3, 5), None),
    ("dense_flatten", lambda: nn.Dense(4), (3, 2, 5), None),
    ("dense_no_flatten", lambda: nn.Dense(4, flatten=False), (3, 2, 5), None),
    ("relu", lambda: nn.Activation("relu"), (3, 4), lambda x: np.maximum(x, 0)),
    ("sigmoid", lambda: nn.Activation("sigmoid"), (3, 4), lambda x: 1 / (1 + np.exp(-x))),
    ("tanh", lambda: nn.Activation("tanh"), (3, 4), np.tanh),
    ("softrelu", lambda: nn.Activation("softrelu"), (3, 4), lambda x: np.log1p(np.exp(x))),
    ("softsign", lambda: nn.Activation("softsign"), (3, 4), lambda x: x / (1 + np.abs(x))),
    ("leaky", lambda: nn.LeakyReLU(0.1), (3, 4), lambda x: np.where(x > 0, x, 0.1 * x)),
    ("prelu", lambda: nn.PReLU(), (3, 4), lambda x: np.where(x > 0, x, 0.25 * x)),
    ("elu", lambda: nn.ELU(0.5), (3, 4), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    ("selu", lambda: nn.SELU(), (3, 4),
     lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    ("gelu", lambda: nn.GELU(), (3, 4), lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    ("swish", lambda: nn.Swish(2.0), (3, 4), lambda x: x / (1 + np.exp(-2 * x))),
    ("silu", lambda: nn.SiLU(), (3, 4), lambda x: x / (1 + np.exp(-x))),
    ("flatten", lambda: nn.Flatten(), (2, 3, 4), lambda x: x.reshape(2, -1)),
    ("identity", lambda: nn.Identity(), (2, 3), lambda x: x),
    ("identity_contrib", lambda: cnn.Identity(), (2, 3), lambda x: x),
    ("hlambda", lambda: nn.HybridLambda(lambda F, x: F.tanh(x) * 2), (2, 3), lambda x: np.tanh(x) * 2),
    ("hlambda_str", lambda: nn.HybridLambda("exp"), (2, 3), np.exp),
    ("dropout_predict", lambda: nn.Dropout(0.5), (4, 6), lambda x: x),
]


@pytest.mark.parametrize("name,make,shape,ref", CASES, ids=[c[0] for c in CASES])
def test_layer_hybrid_consistency(name, make, shape, ref):
    layer = make()
    x = _x(*shape)
    outs = check_hybrid_consistency(layer, x, rtol=1e-5, atol=1e-6)
    if ref is not None:
        np.testing.assert_allclose(outs[0], ref(x.asnumpy().astype(np.float64)), rtol=2e-5, atol=2e-6)


def test_dense_math():
    d = nn.Dense(3, in_units=4)
    d.initialize(init.Normal(1.0))
    x = _x(5, 4)
    w, b = d.weight.data().asnumpy(), d.bias.data().asnumpy()
    np.testing.assert_allclose(d(x).asnumpy(), x.asnumpy() @ w.T + b, rtol=1e-5, atol=1e-5)
    d2 = nn.Dense(3, flatten=False)
    d2.initialize()
    assert d2(_x(2, 7, 4)).shape == (2, 7, 3)
    assert d2.weight.shape == (3, 4)


def test_embedding_consistency_and_grad_scatter():
    e = nn.Embedding(6, 3)
    idx = nd.array([[0, 2, 2], [5, 0, 1]])
    outs = check_hybrid_consistency(e, idx)
    w = e.weight.data().asnumpy()
    np.testing.assert_allclose(outs[0], w[idx.asnumpy().astype(int)])
    with autograd.record():
        y = e(idx).sum()
    y.backward()
    counts = np.bincount(idx.asnumpy().astype(int).ravel(), minlength=6)
    np.testing.assert_allclose(e.weight.grad().asnumpy(), np.repeat(counts[:, None], 3, axis=1))


@pytest.mark.parametrize("hybrid", [False, True])
def test_dropout_modes(hybrid):
    d = nn.Dropout(0.5)
    if hybrid:
        d.hybridize()
    x = nd.ones((50, 40))
    assert set(np.unique(d(x).asnumpy())) == {1.0}                 # predict: identity
    with autograd.record():
        a = d(x).asnumpy()
        b = d(x).asnumpy()
    assert set(np.unique(a)) == {0.0, 2.0}                        # train: kept units scaled by 2
    assert 0.35 < (a == 0).mean() < 0.65
    assert not np.array_equal(a, b)                               # fresh mask every call
    with autograd.train_mode():
        assert set(np.unique(d(x).asnumpy())) == {0.0, 2.0}
    with autograd.record(train_mode=False):
        assert set(np.unique(d(x).asnumpy())) == {1.0}


def test_dropout_axes_share_mask():
    d = nn.Dropout(0.5, axes=(1,))
    d.hybridize()
    with autograd.train_mode():
        y = d(nd.ones((30, 8))).asnumpy()
    assert all(len(set(row)) == 1 for row in y)        # the mask is shared along axis 1


def test_dropout_gradient_uses_mask():
    d = nn.Dropout(0.3)
    d.hybridize()
    x = nd.ones((20, 10))
    x.attach_grad()
    with autograd.record():
        y = d(x)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), y.asnumpy())


def test_sequential_containers():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3), nn.Activation("relu"), nn.Dense(2, in_units=4))
    assert len(net) == 3
    assert isinstance(net[1], nn.Activation)
    sub = net[1:]
    assert isinstance(sub, nn.HybridSequential) and len(sub) == 2
    net.initialize()
    x = _x(5, 3)
    check_hybrid_consistency(net, x)
    np.testing.assert_allclose(sub(net[0](x)).asnumpy(), net(x).asnumpy(), rtol=1e-6)
    assert [type(b).__name__ for b in net] == ["Dense", "Activation", "Dense"]


def test_sequential_rejects_nothing_but_hybrid_rejects_plain_block():
    seq = nn.Sequential()
    seq.add(nn.Lambda(lambda x: x * 2))
    assert seq(nd.ones((2,))).asnumpy().tolist() == [2.0, 2.0]
    h = nn.HybridSequential()
    with pytest.raises(ValueError, match="Children of HybridBlock must also be HybridBlock"):
        h.add(nn.Lambda(lambda x: x))


@pytest.mark.parametrize("cls", [nn.HybridConcatenate, cnn.HybridConcurrent])
def test_hybrid_concat(cls):
    c = cls(axis=1)
    c.add(nn.Dense(2, in_units=3), nn.Identity(), nn.Activation("tanh"))
    x = _x(4, 3)
    outs = check_hybrid_consistency(c, x)
    assert outs[0].shape == (4, 8)
    np.testing.assert_allclose(outs[0][:, 5:], np.tanh(x.asnumpy()), rtol=1e-6)


@pytest.mark.parametrize("cls", [nn.Concatenate, cnn.Concurrent])
def test_concat_eager(cls):
    c = cls(axis=-1)
    c.add(nn.Lambda("tanh"), nn.Lambda(lambda x: x * 3))
    x = _x(2, 3)
    np.testing.assert_allclose(c(x).asnumpy(), np.concatenate([np.tanh(x.asnumpy()), x.asnumpy() * 3], -1),
                               rtol=1e-6)


def test_lambda_errors():
    with pytest.raises(AssertionError, match="not found"):
        nn.Lambda("no_such_function")
    with pytest.raises(ValueError, match="Unrecognized function"):
        nn.HybridLambda(3)


def test_leaky_relu_negative_alpha():
    with pytest.raises(AssertionError, match="no less than 0"):
        nn.LeakyReLU(-1)


def test_prelu_per_channel():
    p = nn.PReLU(in_channels=3, alpha_initializer=init.Constant(0.5))
    x = _x(2, 3, 4)
    check_hybrid_consistency(p, x)
    p.alpha.set_data(nd.array([0.1, 0.2, 0.3]))
    xn = x.asnumpy()
    want = np.where(xn > 0, xn, xn * np.array([0.1, 0.2, 0.3])[None, :, None])
    np.testing.assert_allclose(p(x).asnumpy(), want, rtol=1e-6)
