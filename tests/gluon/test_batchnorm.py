"""gluon.nn.BatchNorm / BatchNormReLU / contrib.nn.SyncBatchNorm: MXNet 1.9.1's constructor, Parameters and
repr; eager == hybridized in predict and train mode; running statistics updated in every train-mode
forward call (hybridnet's documented timing, gluon-semantics.md 2.6) eagerly and hybridized alike, without
re-tracing; export as aux: states; the MXNet golden nets ``batchnorm`` and ``prefix_model``."""
import json
import os
import warnings

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, gluon, nd
from hybridnet.gluon import nn
from hybridnet.gluon.contrib import nn as cnn
from hybridnet.testing.gluon import check_hybrid_consistency
from hybridnet.testing.op_cases.norm import bn_reference

GOLD_DIR = os.path.join(os.path.dirname(__file__), "..", "golden", "gluon")
with open(os.path.join(GOLD_DIR, "gluon_goldens.json")) as f:
    GOLD = json.load(f)


def _x(shape, seed=0):
    return nd.array(np.random.RandomState(seed).uniform(-2, 3, shape).astype(np.float32))


def test_constructor_params_and_repr():
    with mx.name.NameManager():
        bn = nn.BatchNorm()
        assert repr(bn) == ("BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, "
                            "in_channels=None)")
        assert bn.prefix == "batchnorm0_"
        assert list(bn.collect_params()) == ["batchnorm0_gamma", "batchnorm0_beta", "batchnorm0_running_mean",
                                             "batchnorm0_running_var"]
        assert [p.grad_req for p in bn.collect_params().values()] == ["write", "write", "null", "null"]
        assert [p.shape for p in bn.collect_params().values()] == [(0,)] * 4
        bn.initialize()
        bn(_x((2, 4, 3)))
        assert repr(bn) == ("BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, "
                            "in_channels=4)")
        np.testing.assert_array_equal(bn.gamma.data().asnumpy(), np.ones(4))
        np.testing.assert_array_equal(bn.running_var.data().asnumpy(), np.ones(4))
        np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), np.zeros(4))
        b2 = nn.BatchNorm(axis=-1, momentum=0.8, epsilon=1e-3, center=False, scale=False, use_global_stats=True,
                          in_channels=5)
        assert repr(b2) == ("BatchNorm(axis=-1, eps=0.001, momentum=0.8, fix_gamma=True, use_global_stats=True, "
                            "in_channels=5)")
        assert b2.gamma.grad_req == "null" and b2.beta.grad_req == "null"
        assert b2.gamma.shape == (5,)
        r = nn.BatchNormReLU(in_channels=3)
        assert r.prefix == "batchnormrelu0_"
        assert repr(r) == ("BatchNormReLU(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, "
                           "use_global_stats=False, in_channels=3)")
        s = cnn.SyncBatchNorm(num_devices=1)
        assert repr(s) == ("SyncBatchNorm(eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, "
                           "ndev=1, key='syncbatchnorm0_', in_channels=None)")
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            cnn.SyncBatchNorm()
        assert "please mannually set num_devices" in str(w[0].message)


def test_cast_float16_keeps_float32_statistics():
    bn = nn.BatchNorm(in_channels=3)
    bn.initialize()
    bn.cast("float16")
    assert all(np.dtype(p.dtype) == np.float32 and p.data().dtype == np.float32 for p in bn.collect_params().values())
    x = _x((4, 3)).astype("float16")
    y = bn(x)
    assert y.dtype == np.float16
    want = bn_reference(x.asnumpy(), *[p.data().asnumpy() for p in bn.collect_params().values()],
                        eps=1e-5, fix_gamma=False)
    np.testing.assert_allclose(y.asnumpy().astype(np.float32), want.astype(np.float32), rtol=2e-3, atol=2e-3)
    bn.cast("float64")
    assert all(p.data().dtype == np.float64 for p in bn.collect_params().values())


@pytest.mark.parametrize("make", [lambda: nn.BatchNorm(), lambda: nn.BatchNorm(axis=-1, scale=False),
                                  lambda: nn.BatchNormReLU(), lambda: cnn.SyncBatchNorm(num_devices=1),
                                  lambda: nn.BatchNorm(use_global_stats=True, center=False)],
                         ids=["default", "axis-1_noscale", "relu", "sync", "global_stats"])
@pytest.mark.parametrize("train", [False, True], ids=["predict", "train"])
def test_hybrid_consistency(make, train):
    bn = make()
    bn.initialize()
    x = _x((3, 4, 2, 2))
    if not train:   # non-trivial running statistics
        bn(x)
        bn.running_mean.set_data(nd.array(np.linspace(-1, 1, bn.running_mean.shape[0])))
        bn.running_var.set_data(nd.array(np.linspace(0.5, 2, bn.running_var.shape[0])))
    check_hybrid_consistency(bn, x, train_mode=train, rtol=1e-5, atol=1e-5)


def _np_params(bn):
    return [p.data().asnumpy().copy() for p in (bn.gamma, bn.beta, bn.running_mean, bn.running_var)]


@pytest.mark.parametrize("how", ["train_mode", "record_backward"])
def test_running_stats_after_n_calls_eager_equals_hybridized(how):
    """N train-mode calls: running statistics = NumPy's in-forward update (biased variance), eagerly and
    hybridized; the hybridized block traces once."""
    xs = [_x((4, 3, 5), seed=k) for k in range(4)]
    res = {}
    for hybrid in (False, True):
        bn = nn.BatchNorm(momentum=0.7)
        bn.initialize()
        if hybrid:
            bn.hybridize()
        outs = []
        for x in xs:
            if how == "train_mode":
                with autograd.train_mode():
                    outs.append(bn(x).asnumpy())
            else:
                x.attach_grad()
                with autograd.record():
                    y = bn(x)
                    loss = (y * y * nd.arange(60).reshape((4, 3, 5))).sum()
                loss.backward()
                outs.append((y.asnumpy(), x.grad.asnumpy().copy(), bn.gamma.grad().asnumpy().copy()))
        res[hybrid] = (_np_params(bn), outs, getattr(bn, "_trace_count", None))
    mm, mv = np.zeros(3), np.ones(3)
    for x in xs:
        z = x.asnumpy().astype(np.float64)
        mm = 0.7 * mm + 0.3 * z.mean(axis=(0, 2))
        mv = 0.7 * mv + 0.3 * z.var(axis=(0, 2))
    for hybrid in (False, True):
        np.testing.assert_allclose(res[hybrid][0][2], mm, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(res[hybrid][0][3], mv, rtol=1e-5, atol=1e-6)
    for a, b in zip(res[False][1], res[True][1]):
        for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
            np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-5)
    assert res[True][2] == 1


def test_predict_mode_leaves_running_stats_and_uses_them():
    bn = nn.BatchNorm(in_channels=3)
    bn.initialize()
    bn.running_mean.set_data(nd.array([1.0, -1.0, 0.5]))
    bn.running_var.set_data(nd.array([4.0, 0.25, 1.0]))
    x = _x((2, 3, 4))
    for hybrid in (False, True):
        if hybrid:
            bn.hybridize()
        y = bn(x)
        with autograd.record(train_mode=False):
            y2 = bn(x)
        want = bn_reference(x.asnumpy(), *_np_params(bn), eps=1e-5, fix_gamma=False)
        np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(y2.asnumpy(), want, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), np.float32([1.0, -1.0, 0.5]))
        np.testing.assert_array_equal(bn.running_var.data().asnumpy(), np.float32([4.0, 0.25, 1.0]))


def test_use_global_stats_never_updates():
    bn = nn.BatchNorm(use_global_stats=True, in_channels=3)
    bn.initialize()
    bn.hybridize()
    with autograd.record():
        y = bn(_x((2, 3)))
    y.backward()
    np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.data().asnumpy(), np.ones(3))


def test_predict_mode_gradients_use_running_stats():
    """record(train_mode=False): the gradient of the predict-mode forward (gamma/sqrt(var+eps))."""
    bn = nn.BatchNorm(in_channels=2)
    bn.initialize()
    bn.running_var.set_data(nd.array([3.0, 0.5]))
    x = _x((3, 2))
    x.attach_grad()
    with autograd.record(train_mode=False):
        y = bn(x)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), np.broadcast_to(1 / np.sqrt(np.float32([3.0, 0.5]) + 1e-5),
                                                                 (3, 2)), rtol=1e-6)


def test_deferred_init_axis_last_and_train_output():
    bn = nn.BatchNorm(axis=-1)
    bn.initialize()
    x = _x((2, 3, 5))
    with autograd.train_mode():
        y = bn(x)
    assert bn.gamma.shape == (5,) and bn.running_var.shape == (5,)
    want = bn_reference(x.asnumpy(), *[np.ones(5), np.zeros(5), np.zeros(5), np.ones(5)], eps=1e-5, axis=-1,
                        fix_gamma=False, train=True)
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-5, atol=1e-5)


def test_hybridized_deferred_init_and_export_aux_keys(tmp_path):
    with mx.name.NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(4), nn.BatchNorm(), nn.BatchNormReLU())
    net.initialize()
    net.hybridize()
    x = _x((3, 6))
    with autograd.train_mode():
        net(x)
    assert net[1].gamma.shape == (4,)
    sym_file, params_file = net.export(str(tmp_path / "bn"))
    keys = list(nd.load(params_file).keys())
    pre = "hybridsequential0_"
    assert keys == [f"arg:{pre}dense0_weight", f"arg:{pre}dense0_bias", f"arg:{pre}batchnorm0_gamma",
                    f"arg:{pre}batchnorm0_beta", f"aux:{pre}batchnorm0_running_mean",
                    f"aux:{pre}batchnorm0_running_var", f"arg:{pre}batchnormrelu0_gamma",
                    f"arg:{pre}batchnormrelu0_beta", f"aux:{pre}batchnormrelu0_running_mean",
                    f"aux:{pre}batchnormrelu0_running_var"]
    saved = nd.load(params_file)
    np.testing.assert_array_equal(saved[f"aux:{pre}batchnorm0_running_mean"].asnumpy(),
                                  net[1].running_mean.data().asnumpy())
    data = json.loads(open(sym_file).read())
    assert [n["op"] for n in data["nodes"] if n["op"] != "null"] == ["FullyConnected", "BatchNorm",
                                                                     "_contrib_BatchNormWithReLU"]
    assert len(data["heads"]) == 1
    sym = mx.sym.load(sym_file)
    assert sym.list_auxiliary_states() == [f"{pre}batchnorm0_running_mean", f"{pre}batchnorm0_running_var",
                                           f"{pre}batchnormrelu0_running_mean",
                                           f"{pre}batchnormrelu0_running_var"]
    sb = gluon.SymbolBlock.imports(sym_file, ["data"], params_file)
    np.testing.assert_allclose(sb(x).asnumpy(), net(x).asnumpy(), rtol=1e-6, atol=1e-6)


# ---- the MXNet golden nets (tests/golden/gluon/make_gluon_goldens.py) ------------------------------------

def _build(name):
    with mx.name.NameManager():
        if name == "batchnorm":
            net = nn.HybridSequential()
            net.add(nn.Dense(2, in_units=3))
            net.add(nn.BatchNorm(in_channels=2))
        else:
            net = nn.HybridSequential(prefix="model_")
            with net.name_scope():
                net.add(nn.Dense(4, in_units=3))
                net.add(nn.BatchNorm(in_channels=4))
                net.add(nn.Dense(2))
    return net


def _loaded(name, hybrid):
    rec = GOLD["nets"][name]
    net = _build(name)
    net.initialize()
    xs = [nd.array(np.array(x, dtype=np.float32)) for x in rec["inputs"]]
    net(*xs)
    net.load_parameters(os.path.join(GOLD_DIR, rec["params_file"]))
    if hybrid:
        net.hybridize()
    return net, xs, rec


@pytest.mark.parametrize("hybrid", [False, True], ids=["eager", "hybridized"])
@pytest.mark.parametrize("name", ["batchnorm", "prefix_model"])
def test_golden_nets(name, hybrid):
    net, xs, rec = _loaded(name, hybrid)
    f32 = lambda v: np.array(v, dtype=np.float32)   # noqa: E731
    assert repr(net) == rec["repr_after"]
    assert list(net.collect_params()) == rec["collect_params_keys"]
    for k, v in rec["param_values"].items():
        np.testing.assert_array_equal(net.collect_params()[k].data().asnumpy(), f32(v))
    np.testing.assert_allclose(net(*xs).asnumpy(), f32(rec["out_predict"]), rtol=1e-5, atol=1e-6)
    bn = net[1]
    before = _np_params(bn)
    h = net[0](*xs).asnumpy()                      # the BatchNorm's input
    with autograd.record():
        out = net(*xs)
        loss = (out ** 2).sum()
    loss.backward()
    np.testing.assert_allclose(out.asnumpy(), f32(rec["out_record"]), rtol=1e-5, atol=1e-6)
    for k, g in rec["grads"].items():
        np.testing.assert_allclose(net.collect_params()[k].grad().asnumpy(), f32(g), rtol=1e-4, atol=1e-5,
                                   err_msg=k)
    # MXNet CPU updates the running statistics in backward; hybridnet in the forward call. Both give
    # m * running + (1 - m) * batch with the biased batch variance: the values are the same here.
    z = h.astype(np.float64)
    want_mm = 0.9 * before[2] + 0.1 * z.mean(axis=0)
    want_mv = 0.9 * before[3] + 0.1 * z.var(axis=0)
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), want_mm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), want_mv, rtol=1e-5, atol=1e-6)
    aux = rec["aux_after_record"]
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), f32(aux[bn.running_mean.name]), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), f32(aux[bn.running_var.name]), rtol=1e-5,
                               atol=1e-6)


def test_golden_train_mode_forward_only_updates_here_not_in_mxnet():
    """The documented difference: a train-mode forward without backward moves hybridnet's statistics."""
    net, xs, rec = _loaded("batchnorm", hybrid=False)
    before = _np_params(net[1])
    with autograd.train_mode():
        net(*xs)
    assert not np.allclose(net[1].running_mean.data().asnumpy(), before[2])


def test_golden_mxnet_export_imports():
    rec = GOLD["nets"]["batchnorm"]
    ex = rec["export"]
    sb = gluon.SymbolBlock.imports(os.path.join(GOLD_DIR, ex["symbol_file"]), ["data"],
                                   os.path.join(GOLD_DIR, ex["params_file"]))
    assert list(sb.collect_params().keys()) == ex["symbolblock_params_keys"]
    xs = [nd.array(np.array(x, dtype=np.float32)) for x in rec["inputs"]]
    for hybrid in (False, True):
        if hybrid:
            sb.hybridize()
        np.testing.assert_allclose(sb(*xs).asnumpy(), np.float32(ex["symbolblock_out"]), rtol=1e-5, atol=1e-6)
    sym = mx.sym.load(os.path.join(GOLD_DIR, ex["symbol_file"]))
    assert sym.list_auxiliary_states() == ["batchnorm0_running_mean", "batchnorm0_running_var"]
    assert sym.list_outputs() == ["batchnorm0_fwd_output"]
