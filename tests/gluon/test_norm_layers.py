"""gluon.nn.LayerNorm / InstanceNorm / GroupNorm against MXNet 1.9.1 goldens (tests/golden/norm, made by
make_norm_goldens.py with the oracle): repr before/after deferred init, prefixes, Parameter names,
grad_req and shapes, initial values, outputs and gradients (input and Parameters) eager and hybridized,
export node names; check_hybrid_consistency for every config; the four ops' outputs and gradients against
MXNet; the Symbol API (hidden outputs, shapes)."""
import json
import os

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, nd
from hybridnet.gluon import nn  # noqa: F401  (the golden configs are nn.* expressions)
from hybridnet.ops.registry import get_op
from hybridnet.testing.gluon import check_hybrid_consistency

GOLD_PATH = os.path.join(os.path.dirname(__file__), "..", "golden", "norm", "norm_goldens.json")
with open(GOLD_PATH) as f:
    GOLD = json.load(f)

LAYERS = sorted(GOLD["layers"])


def _a(values, shape):
    return np.asarray(values, np.float32).reshape(shape)


def _build(rec):
    net = eval(rec["code"])
    return net


def _set_params(net, rec):
    for k, p in net.collect_params().items():
        p.set_data(nd.array(_a(rec["param_values"][k], p.shape)))


@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_mxnet(name):
    rec = GOLD["layers"][name]
    shape = tuple(rec["shape"])
    x = _a(rec["x"], shape)
    with mx.name.NameManager():
        net = _build(rec)
        assert repr(net) == rec["repr_before"]
        assert net.prefix == rec["prefix"]
        assert [[k, p.grad_req, list(p.shape)] for k, p in net.collect_params().items()] == rec["params"]
        net.initialize()
        net(nd.array(x))
        assert repr(net) == rec["repr_after"]
        for k, p in net.collect_params().items():
            np.testing.assert_array_equal(p.data().asnumpy().ravel(), rec["init_values"][k])
        _set_params(net, rec)
        for hybrid in (False, True):
            if hybrid:
                net.hybridize()
            xa = nd.array(x)
            xa.attach_grad()
            net.collect_params().zero_grad()
            with autograd.record():
                y = net(xa)
            y.backward(nd.array(_a(rec["head"], shape)))
            np.testing.assert_allclose(y.asnumpy().ravel(), rec["output"], rtol=1e-5, atol=2e-5)
            np.testing.assert_allclose(xa.grad.asnumpy().ravel(), rec["x_grad"], rtol=1e-4, atol=5e-5)
            got = {k: p.grad().asnumpy().ravel() for k, p in net.collect_params().items() if p.grad_req != "null"}
            assert sorted(got) == sorted(rec["param_grads"])
            for k, v in got.items():
                np.testing.assert_allclose(v, rec["param_grads"][k], rtol=1e-4, atol=5e-5)


@pytest.mark.parametrize("name", LAYERS)
def test_layer_export_nodes_match_mxnet(name, tmp_path):
    """Export: the same op nodes with the same names (node attributes: hybridnet's exporter writes the
    attributes that differ from the op's defaults, MXNet those the layer passed; both read back the same)."""
    rec = GOLD["layers"][name]
    with mx.name.NameManager():
        net = _build(rec)
        net.initialize()
        net.hybridize()
        net(nd.array(_a(rec["x"], tuple(rec["shape"]))))
        net.export(str(tmp_path / "net"))
    nodes = json.loads((tmp_path / "net-symbol.json").read_text())["nodes"]
    ours = [[n["op"], n["name"]] for n in nodes]
    assert ours == [n[:2] for n in rec["export_nodes"]]
    for n, m in zip(nodes, rec["export_nodes"]):
        if n["op"] != "null":
            for k, v in n.get("attrs", {}).items():
                assert m[2][k] == v, (n["name"], k)
            op = get_op(n["op"])    # the attributes MXNet wrote that hybridnet left out are the op defaults
            for k, v in m[2].items():
                if k not in n.get("attrs", {}):
                    assert op.parse_attrs({k: v})[k] == op.attr_map[k].default, (n["name"], k, v)


CONSISTENCY = [
    ("nn.LayerNorm()", (2, 3, 4)), ("nn.LayerNorm(axis=1)", (2, 3, 4)), ("nn.LayerNorm(axis=0)", (3, 5)),
    ("nn.LayerNorm(center=False, scale=False)", (4, 5)), ("nn.LayerNorm(axis=-2)", (2, 3, 4, 2)),
    ("nn.InstanceNorm()", (2, 3, 4)), ("nn.InstanceNorm(axis=2, scale=True)", (2, 3, 4, 2)),
    ("nn.InstanceNorm(axis=3, center=False, scale=True)", (2, 3, 2, 4)),
    ("nn.GroupNorm()", (2, 4, 3)), ("nn.GroupNorm(num_groups=2)", (2, 4, 3, 2)),
    ("nn.GroupNorm(num_groups=4, center=False, scale=False)", (2, 4, 2, 2, 2)),
]


@pytest.mark.parametrize("code,shape", CONSISTENCY, ids=[c for c, _ in CONSISTENCY])
@pytest.mark.parametrize("train_mode", [False, True])
def test_hybrid_consistency(code, shape, train_mode):
    net = eval(code)
    net.initialize()
    rng = np.random.RandomState(1)
    x = nd.array(rng.uniform(-2, 3, shape).astype(np.float32))
    net(x)
    for p in net.collect_params().values():      # non-trivial gamma/beta
        p.set_data(nd.array(rng.uniform(0.5, 1.5, p.shape).astype(np.float32)))
    check_hybrid_consistency(net, x, train_mode=train_mode, rtol=1e-5, atol=1e-5)


def test_new_shape_reuses_trace_and_layer_in_sequential():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(8, flatten=False), nn.LayerNorm(), nn.Dense(3, flatten=False))
    net.initialize()
    x = nd.array(np.random.RandomState(0).randn(2, 5, 4).astype(np.float32))
    y0 = net(x)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), y0.asnumpy(), rtol=1e-5, atol=1e-6)
    y3 = net(nd.array(np.random.RandomState(1).randn(3, 7, 4).astype(np.float32)))
    assert y3.shape == (3, 7, 3)
    assert net[1].gamma.shape == (8,)


def test_layernorm_float16_and_float64():
    for dt in ("float16", "float64"):
        ln = nn.LayerNorm(in_channels=4)
        ln.initialize()
        ln.cast(dt)
        x = np.random.RandomState(0).uniform(-2, 2, (3, 4)).astype(dt)
        y = ln(nd.array(x, dtype=dt))
        assert y.dtype == np.dtype(dt)
        z = x.astype(np.float64)
        want = (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + 1e-5)
        np.testing.assert_allclose(y.asnumpy().astype(np.float64), want, rtol=3e-3, atol=3e-3)


def test_wrong_input_errors_name_the_layer():
    from hybridnet.errors import HybridNetError
    gn = nn.GroupNorm(num_groups=3)
    gn.initialize()
    with pytest.raises(HybridNetError, match="cannot be split into num_groups=3"):
        gn(nd.ones((2, 4, 5)))
    inorm = nn.InstanceNorm()
    inorm.initialize()
    with pytest.raises(HybridNetError, match="rank 2"):
        inorm(nd.ones((2, 4)))
    ln = nn.LayerNorm(in_channels=3)
    ln.initialize()
    with pytest.raises(HybridNetError, match=r"gamma has shape \(3,\) but data has 4 elements"):
        ln(nd.ones((2, 4)))


@pytest.mark.parametrize("idx", range(len(GOLD["ops"])))
def test_op_matches_mxnet(idx):
    rec = GOLD["ops"][idx]
    arrs = [nd.array(_a(v, tuple(s))) for v, s in zip(rec["inputs"], rec["shapes"])]
    for a in arrs:
        a.attach_grad()
    with autograd.record():
        out = getattr(nd, rec["op"])(*arrs, **rec["attrs"])
    outs = out if isinstance(out, (list, tuple)) else [out]
    assert len(outs) == len(rec["outputs"])
    for o, (shape, vals) in zip(outs, rec["outputs"]):
        assert list(o.shape) == shape
        np.testing.assert_allclose(o.asnumpy().ravel(), vals, rtol=1e-5, atol=2e-5)
    outs[0].backward(nd.array(_a(rec["head"], tuple(rec["shapes"][0]))))
    for a, g in zip(arrs, rec["grads"]):
        np.testing.assert_allclose(a.grad.asnumpy().ravel(), g, rtol=1e-4, atol=5e-5)


def test_symbol_api_outputs_and_shapes():
    s = mx.sym.LayerNorm(mx.sym.var("x"), name="n")
    assert s.list_outputs() == ["n_output"] and s.list_arguments() == ["x", "n_gamma", "n_beta"]
    s = mx.sym.LayerNorm(mx.sym.var("x"), name="n", axis=1, output_mean_var=True)
    assert s.list_outputs() == ["n_output", "n_mean", "n_std"]
    arg, out, aux = s.infer_shape(x=(2, 4, 3, 5))
    assert arg == [(2, 4, 3, 5), (4,), (4,)] and out == [(2, 4, 3, 5), (2, 1, 3, 5), (2, 1, 3, 5)] and aux == []
    s = mx.sym.GroupNorm(mx.sym.var("x"), name="n", num_groups=2, output_mean_var=True)
    assert s.list_outputs() == ["n_output", "n_mean", "n_std"]
    arg, out, _ = s.infer_shape(x=(2, 4, 3, 5))
    assert arg[1:] == [(2,), (2,)] and out[1:] == [(2, 2), (2, 2)]
    s = mx.sym.InstanceNorm(mx.sym.var("x"), name="n")
    assert s.list_outputs() == ["n_output"]
    arg, out, _ = s.infer_shape(x=(2, 4, 3, 5))
    assert arg[1:] == [(4,), (4,)] and out == [(2, 4, 3, 5)]
    s = mx.sym.L2Normalization(mx.sym.var("x"), name="n", mode="channel", eps=1e-5)
    assert s.list_outputs() == ["n_output"] and s.list_arguments() == ["x"]
    node = [n for n in json.loads(s.tojson())["nodes"] if n["op"] != "null"][0]
    assert node["attrs"] == {"eps": "1e-05", "mode": "channel"}      # as MXNet 1.9.1 writes them
    node = [n for n in json.loads(mx.sym.LayerNorm(mx.sym.var("x"), name="n", axis=1, eps=1e-3,
                                                   output_mean_var=True).tojson())["nodes"] if n["op"] != "null"][0]
    assert node["attrs"] == {"axis": "1", "eps": "0.001", "output_mean_var": "True"}
