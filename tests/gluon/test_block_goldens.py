"""Blocks against MXNet 1.9.1 goldens (tests/golden/gluon, made by make_gluon_goldens.py): names,
print(net), summary, ParameterDict, save_parameters keys, loading MXNet-written .params, outputs and
gradients eager and hybridized, export files of MXNet loading through SymbolBlock.imports.

The BatchNorm nets' running statistics are tested in test_batchnorm.py; Conv layer outputs and gradients
against MXNet in test_conv_layers.py (conv_summary / conv_print here check names, repr and summary)."""
import contextlib
import io
import json
import os

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, gluon, nd
from hybridnet.gluon import nn
from hybridnet.gluon.contrib import nn as cnn

GOLD_DIR = os.path.join(os.path.dirname(__file__), "..", "golden", "gluon")
with open(os.path.join(GOLD_DIR, "gluon_goldens.json")) as f:
    GOLD = json.load(f)


class CustomParams(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.w = self.params.get("w", shape=(3, 0), allow_deferred_init=True)
            self.c = self.params.get_constant("c", [[1.0, 2.0, 3.0]])
            self.dense = nn.Dense(2)

    def hybrid_forward(self, F, x, w, c):
        h = F.FullyConnected(x, w, num_hidden=3, no_bias=True)
        h = F.broadcast_add(h, c)
        return self.dense(F.tanh(h))


class Tied(nn.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.a = nn.Dense(4, in_units=4)
            self.b = nn.Dense(4, in_units=4, params=self.a.params)

    def forward(self, x):
        return self.b(nd.relu(self.a(x)))


class Nested(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                self.features.add(nn.Dense(8, activation="relu"))
                self.features.add(nn.Dense(6, activation="relu"))
            self.output = nn.Dense(3)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def build_d2l_mlp():
    net = nn.Sequential()
    net.add(nn.Dense(32, activation="relu"))
    net.add(nn.Dense(10))
    return net


def build_hseq_scope():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(6, activation="tanh", in_units=5))
        net.add(nn.Dense(3))
    return net


def build_prefix_empty():
    net = nn.HybridSequential(prefix="")
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3, activation="sigmoid"))
        net.add(nn.Dense(2))
    return net


def build_layers_misc():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Flatten())
        net.add(nn.Dense(6, activation="softrelu"))
        net.add(nn.LeakyReLU(0.1))
        net.add(nn.PReLU())
        net.add(nn.ELU())
        net.add(nn.SELU())
        net.add(nn.Swish())
        net.add(nn.GELU())
        net.add(cnn.Identity())
        net.add(nn.Dropout(0.3))
        net.add(nn.HybridLambda(lambda F, x: F.tanh(x) * 2))
        net.add(nn.HybridLambda("tanh"))
        net.add(nn.Activation("relu"))
        net.add(nn.Dense(3, use_bias=False))
    return net


def build_embedding():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Embedding(10, 4))
        net.add(nn.Dense(2))
    return net


def build_concurrent():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3))
        conc = cnn.HybridConcurrent(axis=1)
        with conc.name_scope():
            conc.add(nn.Dense(2))
            conc.add(nn.Dense(3, activation="relu"))
            conc.add(cnn.Identity())
        net.add(conc)
    return net


def build_concurrent_eager():
    net = nn.Sequential()
    net.add(nn.Dense(4, in_units=3))
    conc = cnn.Concurrent(axis=-1)
    conc.add(nn.Lambda("tanh"))
    conc.add(nn.Lambda(lambda x: x * 3))
    conc.add(nn.Dense(2, in_units=4))
    net.add(conc)
    return net


def build_prefix_model():
    net = nn.HybridSequential(prefix="model_")
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3))
        net.add(nn.BatchNorm(in_channels=4))
        net.add(nn.Dense(2))
    return net


def build_batchnorm():
    net = nn.HybridSequential()
    net.add(nn.Dense(2, in_units=3))
    net.add(nn.BatchNorm(in_channels=2))
    return net


def build_conv_summary():
    net = nn.Sequential()
    net.add(nn.Conv2D(8, 3), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(4))
    return net


def build_conv_print():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(16, 3, strides=2, padding=1, activation="relu", in_channels=3))
        net.add(nn.Conv2D(8, (3, 5), use_bias=False))
        net.add(nn.Conv2D(8, 3, dilation=2, groups=2, padding=(2, 2)))
        net.add(nn.BatchNorm(momentum=0.8, epsilon=1e-3))
        net.add(nn.AvgPool2D(pool_size=3, strides=1, padding=1))
        net.add(nn.MaxPool2D(pool_size=(2, 2)))
        net.add(nn.GlobalAvgPool2D())
        net.add(nn.Flatten())
        net.add(nn.Dropout(0.3))
        net.add(nn.Dense(5, flatten=True))
    return net


BUILDERS = {
    "d2l_mlp": build_d2l_mlp, "hseq_scope": build_hseq_scope, "custom_params": CustomParams,
    "prefix_empty": build_prefix_empty, "tied": Tied, "nested": Nested, "layers_misc": build_layers_misc,
    "embedding": build_embedding, "concurrent": build_concurrent, "concurrent_eager": build_concurrent_eager,
    "prefix_model": build_prefix_model, "batchnorm": build_batchnorm,
    "conv_summary": build_conv_summary, "conv_print": build_conv_print,
}
NETS = sorted(BUILDERS)


def _build(name):
    with mx.name.NameManager():
        return BUILDERS[name]()


def _inputs(rec):
    if "inputs" not in rec:       # nets recorded without values: regenerate (README "Inputs")
        assert rec["input_kind"] == "uniform"
        return [nd.array(np.random.RandomState(rec["input_seed"] + i).uniform(-1, 1, s).astype(np.float32))
                for i, s in enumerate(rec["input_shapes"])]
    return [nd.array(np.array(x, dtype=np.float32)) for x in rec["inputs"]]


def _f32(v):
    return np.array(v, dtype=np.float32)


def _loaded(name):
    """Net built, one forward (deferred init), MXNet's parameter file loaded."""
    rec = GOLD["nets"][name]
    net = _build(name)
    net.initialize()
    xs = _inputs(rec)
    net(*xs)
    net.load_parameters(os.path.join(GOLD_DIR, rec["params_file"]))
    return net, xs, rec


@pytest.mark.parametrize("name", NETS)
def test_names_and_repr(name):
    rec = GOLD["nets"][name]
    net = _build(name)
    assert repr(net) == rec["repr_before"]
    assert net.prefix == rec["prefix"] and net.name == rec["name"]
    assert list(net.collect_params().keys()) == rec["collect_params_keys"]
    assert list(net.collect_params(".*weight").keys()) == rec["collect_params_weight_keys"]
    assert list(net.collect_params("(.*bias|.*gamma)").keys()) == rec["collect_params_select_bias_or_gamma"]
    assert list(net.params.keys()) == rec["own_params_keys"]
    assert list(net._collect_params_with_prefix().keys()) == rec["structural_keys"]
    assert repr(net.collect_params()) == rec["paramdict_repr_before"]
    net.initialize()
    net(*_inputs(rec))
    assert repr(net) == rec["repr_after"]
    assert repr(net.collect_params()) == rec["paramdict_repr_after"]
    params = net.collect_params()
    for key, want in rec["params_after"].items():
        p = params[key]
        assert (p.name, list(p.shape), p.grad_req, p.lr_mult, p.wd_mult) == \
            (want["name"], want["shape"], want["grad_req"], want["lr_mult"], want["wd_mult"]), key
        assert np.dtype(p.dtype).name == want["dtype"]
        assert repr(p) == want["repr"]
        assert type(p).__name__ == want["class"]


@pytest.mark.parametrize("name", NETS)
def test_structural_lookup_accepts_either_name(name):
    net = _build(name)
    params = net.collect_params()
    for skey, p in net._collect_params_with_prefix().items():
        assert params[skey] is p
        assert skey in params


@pytest.mark.parametrize("name", [n for n in NETS if "summary" in GOLD["nets"][n]])
def test_summary_text(name):
    rec = GOLD["nets"][name]
    net = _build(name)
    net.initialize()
    xs = _inputs(rec)
    net(*xs)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        net.summary(*xs)
    assert buf.getvalue() == rec["summary"]["stdout"]


@pytest.mark.parametrize("name", [n for n in NETS if "summary" in GOLD["nets"][n]])
def test_summary_on_hybridized_block(name):
    """MXNet refused (P9); hybridnet prints the same table and keeps the block hybridized."""
    rec = GOLD["nets"][name]
    net = _build(name)
    net.initialize()
    xs = _inputs(rec)
    net(*xs)
    net.hybridize()
    net(*xs)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        net.summary(*xs)
    assert buf.getvalue() == rec["summary"]["stdout"]
    if isinstance(net, gluon.HybridBlock):
        assert net._active


@pytest.mark.parametrize("name", [n for n in NETS if GOLD["nets"][n].get("params_file")])
def test_outputs_and_grads_from_mxnet_params(name):
    net, xs, rec = _loaded(name)
    np.testing.assert_allclose(net(*xs).asnumpy(), _f32(rec["out_predict"]), rtol=1e-5, atol=1e-6)
    if rec.get("grad_mode"):
        _check_grads(net, xs, rec)


def _check_grads(net, xs, rec, prefix=""):
    with autograd.record(train_mode=rec["grad_mode"] == "train"):
        out = net(*xs)
        loss = (out ** 2).sum()
    loss.backward()
    np.testing.assert_allclose(out.asnumpy(), _f32(rec["out_record"]), rtol=1e-5, atol=1e-6)
    params = net.collect_params()
    for key, g in rec["grads"].items():
        np.testing.assert_allclose(params[key].grad().asnumpy(), _f32(g), rtol=1e-4, atol=1e-5,
                                   err_msg=prefix + key)


@pytest.mark.parametrize("name", [n for n in NETS if GOLD["nets"][n].get("params_file")
                                  and isinstance(BUILDERS[n], type) and issubclass(BUILDERS[n], gluon.HybridBlock)
                                  or n in ("hseq_scope", "layers_misc", "embedding", "concurrent", "prefix_empty")])
def test_hybridized_matches_mxnet(name):
    net, xs, rec = _loaded(name)
    net.hybridize()
    np.testing.assert_allclose(net(*xs).asnumpy(), _f32(rec["out_predict"]), rtol=1e-5, atol=1e-6)
    if rec.get("grad_mode"):
        _check_grads(net, xs, rec, "hybridized ")


@pytest.mark.parametrize("name", [n for n in NETS if GOLD["nets"][n].get("params_file")])
def test_save_parameters_keys_and_roundtrip(name, tmp_path):
    net, xs, rec = _loaded(name)
    f = str(tmp_path / "p.params")
    net.save_parameters(f)
    assert list(nd.load(f).keys()) == rec["save_parameters_keys"]
    # the file we write loads into a fresh net (and gives the same outputs)
    net2 = _build(name)
    net2.initialize()
    net2(*xs)
    net2.load_parameters(f)
    np.testing.assert_array_equal(net2(*xs).asnumpy(), net(*xs).asnumpy())


def test_save_parameters_deduplicate():
    net, xs, rec = _loaded("tied")
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "t.params")
        net.save_parameters(f, deduplicate=True)
        assert list(nd.load(f).keys()) == rec["save_parameters_dedup_keys"]
        net2 = _build("tied")
        net2.initialize()
        net2.load_parameters(f)       # shared Parameters are stored once and still load
        np.testing.assert_array_equal(net2(*xs).asnumpy(), net(*xs).asnumpy())


@pytest.mark.parametrize("name", [n for n in NETS if GOLD["nets"][n].get("export")])
def test_mxnet_export_imports(name):
    rec = GOLD["nets"][name]
    ex = rec["export"]
    sb = gluon.SymbolBlock.imports(os.path.join(GOLD_DIR, ex["symbol_file"]), ["data"],
                                   os.path.join(GOLD_DIR, ex["params_file"]))
    assert repr(sb) == ex["symbolblock_repr"]
    assert list(sb.collect_params().keys()) == ex["symbolblock_params_keys"]
    xs = _inputs(rec)
    np.testing.assert_allclose(sb(*xs).asnumpy(), _f32(ex["symbolblock_out"]), rtol=1e-5, atol=1e-6)
    sb.hybridize()
    np.testing.assert_allclose(sb(*xs).asnumpy(), _f32(ex["symbolblock_out"]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in NETS if GOLD["nets"][n].get("export")])
def test_export_roundtrip_and_keys(name, tmp_path):
    net, xs, rec = _loaded(name)
    net.hybridize()
    want = net(*xs).asnumpy()
    sym_file, params_file = net.export(str(tmp_path / "m"))
    assert list(nd.load(params_file).keys()) == rec["export"]["params_keys"]
    data = json.loads(open(sym_file).read())
    assert data["attrs"]["mxnet_version"] == ["int", 10901]
    assert json.loads(data["attrs"]["hybridnet_input_names"][1]) == ["data"]
    sb = gluon.SymbolBlock.imports(sym_file, ["data"], params_file)
    np.testing.assert_allclose(sb(*xs).asnumpy(), want, rtol=1e-6, atol=1e-6)
    # P6 fixed: load_parameters accepts the export file
    net2 = _build(name)
    net2.initialize()
    net2(*xs)
    net2.load_parameters(params_file)
    np.testing.assert_allclose(net2(*xs).asnumpy(), want, rtol=1e-6, atol=1e-6)


def test_counter_growth():
    """Without name_scope, names come from process-wide counters (why save_parameters is structural)."""
    cg = GOLD["counter_growth"]
    with mx.name.NameManager():
        n1 = build_d2l_mlp()
        n2 = build_d2l_mlp()
        d = nn.Dense(3)
        s = nn.HybridSequential()
        with s.name_scope():
            s.add(nn.Dense(2))
        s2 = nn.HybridSequential()
        with s2.name_scope():
            s2.add(nn.Dense(2))
    assert list(n1.collect_params()) == cg["n1_keys"] and list(n2.collect_params()) == cg["n2_keys"]
    assert (n1.prefix, n2.prefix, d.prefix) == (cg["n1_prefix"], cg["n2_prefix"], cg["dense_prefix"])
    assert list(s.collect_params()) == cg["s_keys"] and list(s2.collect_params()) == cg["s2_keys"]
    assert list(n2._collect_params_with_prefix()) == cg["n2_structural_keys"]
