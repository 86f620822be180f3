"""hybridnet.sym against MXNet 1.9.1: golden -symbol.json files, shapes, outputs, gradients, and the
Symbol semantics (naming, operators, composition, inference, binding).

Golden files: tests/golden/make_symbol_goldens.py (run with the MXNet oracle). When the oracle is
installed (/work/mx-oracle/bin/python) JSON written by hybridnet is also loaded and run by MXNet in a
subprocess; without it (CI) the same property is checked by byte equality with MXNet's own files.
"""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import nd, sym
from hybridnet.errors import FormatError, HybridNetError, ShapeError

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "golden", "symbol")
ORACLE = "/work/mx-oracle/bin/python"
sys.path.insert(0, HERE)
from symbol_models import MODELS, build  # noqa: E402

MODEL_NAMES = sorted(MODELS)


def _golden(name, kind):
    return os.path.join(GOLDEN, f"{name}-{kind}")


def _meta(name):
    with open(_golden(name, "meta.json")) as f:
        return json.load(f)


def _text(path):
    with open(path) as f:
        return f.read()


def _io(name):
    d = nd.load(_golden(name, "io.params"))
    args = {k[4:]: v for k, v in d.items() if k.startswith("arg:")}
    outs = [d[f"out:{i}"] for i in range(sum(k.startswith("out:") for k in d))]
    grads = {k[5:]: v for k, v in d.items() if k.startswith("grad:")}
    return args, outs, grads


# ---- MXNet's JSON in hybridnet ---------------------------------------------------------------------

@pytest.mark.parametrize("name", MODEL_NAMES)
def test_mxnet_json_loads_with_same_structure(name):
    s = sym.load(_golden(name, "symbol.json"))
    m = _meta(name)
    assert s.list_arguments() == m["list_arguments"]
    assert s.list_outputs() == m["list_outputs"]
    assert s.list_auxiliary_states() == m["list_auxiliary_states"]
    assert s.list_inputs() == m["list_inputs"]
    assert s.get_internals().list_outputs() == m["internals"]
    assert s.attr_dict() == m["attr_dict"]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_mxnet_json_infer_shape_and_type(name):
    s = sym.load(_golden(name, "symbol.json"))
    m = _meta(name)
    shapes = {k: tuple(v) for k, v in m["input_shapes"].items()}
    arg, out, aux = s.infer_shape(**shapes)
    assert [list(a) for a in arg] == m["arg_shapes"]
    assert [list(o) for o in out] == m["out_shapes"]
    assert [list(a) for a in aux] == m["aux_shapes"]
    at, ot, _ = s.infer_type(**{k: "float32" for k in shapes})
    assert [np.dtype(t).name for t in at] == m["arg_types"]
    assert [np.dtype(t).name for t in ot] == m["out_types"]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_mxnet_json_forward_backward_match(name):
    s = sym.load(_golden(name, "symbol.json"))
    args, outs, grads = _io(name)
    if grads:
        ex = s.bind(mx.cpu(), args, args_grad={k: nd.zeros(v.shape) for k, v in args.items()})
        got = ex.forward(is_train=True)
        ex.backward([nd.ones(o.shape) for o in got])
        for k, g in grads.items():
            np.testing.assert_allclose(ex.grad_dict[k].asnumpy(), g.asnumpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"grad of {k}")
    else:
        got = s.eval(mx.cpu(), **args)
    assert len(got) == len(outs)
    for i, (g, w) in enumerate(zip(got, outs)):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-5, atol=1e-6, err_msg=f"output {i}")


# ---- hybridnet's JSON is MXNet's JSON ----------------------------------------------------------------

@pytest.mark.parametrize("name", MODEL_NAMES)
def test_built_symbol_tojson_is_mxnet_json(name):
    s, _ = build(mx)[name]
    want = _text(_golden(name, "symbol.json"))
    got = s.tojson()
    assert json.loads(got) == json.loads(want)
    assert got == want          # byte for byte (key order and layout too)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_roundtrip_is_identity(name, tmp_path):
    want = _text(_golden(name, "symbol.json"))
    s = sym.load_json(want)
    s.save(str(tmp_path / "x-symbol.json"))
    assert _text(tmp_path / "x-symbol.json") == want


def test_legacy_json_upgrades_like_mxnet():
    s = sym.load(os.path.join(GOLDEN, "legacy-symbol.json"))
    assert s.tojson() == _text(os.path.join(GOLDEN, "legacy-upgraded.json"))
    assert s.list_arguments() == ["data", "fc_weight", "fc_bias"]
    assert s.infer_shape(data=(2, 3))[1] == [(2, 4)]


_MX_CHECK = r"""
import json, sys
import numpy as np
import mxnet as mx
path, io_path = sys.argv[1], sys.argv[2]
s = mx.sym.load(path)
d = mx.nd.load(io_path)
args = {k[4:]: v for k, v in d.items() if k.startswith('arg:')}
outs = s.bind(mx.cpu(), args, grad_req='null').forward()
print(json.dumps({'args': s.list_arguments(), 'outputs': s.list_outputs(),
                  'values': [o.asnumpy().tolist() for o in outs]}))
"""


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_hybridnet_json_loads_in_mxnet(name, tmp_path):
    s, _ = build(mx)[name]
    path = str(tmp_path / f"{name}-symbol.json")
    s.save(path)
    if not os.path.exists(ORACLE):
        # CI: MXNet 1.9.1 loads its own file; ours is byte-identical to it.
        assert _text(path) == _text(_golden(name, "symbol.json"))
        return
    r = subprocess.run([ORACLE, "-c", _MX_CHECK, path, _golden(name, "io.params")], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["args"] == s.list_arguments()
    assert res["outputs"] == s.list_outputs()
    _, outs, _ = _io(name)
    for v, w in zip(res["values"], outs):
        np.testing.assert_allclose(np.array(v, dtype=w.dtype), w.asnumpy(), rtol=1e-6)


# ---- bad JSON ---------------------------------------------------------------------------------------

def _mlp_dict():
    return json.loads(_text(_golden("mlp", "symbol.json")))


@pytest.mark.parametrize("mutate, words", [
    (lambda d: d["nodes"][3].__setitem__("op", "NoSuchOp"), ["node 3", "NoSuchOp", "unknown operator"]),
    (lambda d: d["nodes"][3]["inputs"].__setitem__(0, [7, 0, 0]), ["node 3", "refers to node 7"]),
    (lambda d: d["nodes"][3]["inputs"].__setitem__(0, [0, 2, 0]), ["node 3", "output 2"]),
    (lambda d: d["nodes"][3]["attrs"].__setitem__("num_hidden", "many"), ["node 3", "num_hidden", "int"]),
    (lambda d: d["nodes"][3]["attrs"].__setitem__("bogus", "1"), ["node 3", "bogus", "FullyConnected"]),
    (lambda d: d["nodes"][3]["attrs"].pop("num_hidden"), ["node 3", "num_hidden"]),
    (lambda d: d["nodes"][3]["inputs"].pop(0) and d["nodes"][3]["inputs"].pop(0),
     ["node 3", "1 inputs", "FullyConnected"]),
    (lambda d: d.pop("heads"), ["'nodes' and 'heads'"]),
    (lambda d: d["heads"].__setitem__(0, "x"), ["heads"]),
    (lambda d: d["nodes"].__setitem__(1, [1, 2]), ["node 1"]),
])
def test_bad_json_raises_format_error(mutate, words):
    d = _mlp_dict()
    mutate(d)
    with pytest.raises(FormatError) as e:
        sym.load_json(json.dumps(d))
    for w in words:
        assert w in str(e.value), str(e.value)


def test_not_json_and_foreign_json(tmp_path):
    with pytest.raises(FormatError, match="not JSON"):
        sym.load_json("{nodes: ")
    with pytest.raises(FormatError, match="'nodes' and 'heads'"):
        sym.load_json('{"format": "onnx"}')
    p = tmp_path / "bad-symbol.json"
    p.write_text("[1, 2]")
    with pytest.raises(FormatError, match="bad-symbol.json"):
        sym.load(str(p))


# ---- Symbol semantics (expectations measured on MXNet 1.9.1) -----------------------------------------

def test_auto_variables_names_and_attrs():
    with mx.name.NameManager():
        d = sym.var("data")
        fc = sym.FullyConnected(d, num_hidden=8, name="fc1")
        r = sym.relu(fc)
        assert (r.name, r.list_arguments(), r.list_outputs()) == ("relu0", ["data", "fc1_weight", "fc1_bias"],
                                                                   ["relu0_output"])
        a = sym.FullyConnected(d, num_hidden=8, no_bias=True)
        assert a.name == "fullyconnected0" and a.list_arguments() == ["data", "fullyconnected0_weight"]
        assert a.attr_dict() == {"fullyconnected0_weight": {"no_bias": "True", "num_hidden": "8"},
                                 "fullyconnected0": {"no_bias": "True", "num_hidden": "8"}}
        assert sym.FullyConnected(num_hidden=3).list_arguments() == [
            "fullyconnected1_data", "fullyconnected1_weight", "fullyconnected1_bias"]
        assert sym.softmax(d).list_arguments() == ["data"]
        assert sym.softmax(d, use_length=True).list_arguments() == ["data", "softmax1_length"]
        s = sym.SliceChannel(d, num_outputs=3)
        assert s.list_outputs() == ["slicechannel0_output0", "slicechannel0_output1", "slicechannel0_output2"]
        assert len(s) == 3 and s[1].name == "slicechannel0" and s[1].list_outputs() == ["slicechannel0_output1"]
        assert sym.topk(d, ret_typ="both").list_outputs() == ["topk0_output0", "topk0_output1"]
        with mx.name.Prefix("net_"):
            assert sym.relu(d).name == "net_relu0" and sym.relu(d, name="x").name == "net_x"
        assert sym.relu(d).name == "relu1"


def test_var_attributes():
    v = sym.var("w", shape=(3, 4), dtype="float16", lr_mult=2, wd_mult=0.5, init="zeros", stype="default",
                attr={"foo": "bar"}, __x__=3)
    want = {"__dtype__": "2", "__init__": "zeros", "__lr_mult__": "2", "__shape__": "(3, 4)",
            "__storage_type__": "0", "__wd_mult__": "0.5", "__x__": "3", "foo": "bar"}
    assert json.loads(v.tojson())["nodes"][0]["attrs"] == want
    assert v.list_attr() == {**want, "lr_mult": "2", "wd_mult": "0.5"}
    assert v.attr("__shape__") == "(3, 4)" and v.attr("nope") is None
    assert sym.Variable is sym.var
    with pytest.raises(ValueError, match="double underscores"):
        sym.var("a", foo=1)
    with pytest.raises(TypeError):
        sym.var(3)


_OPERATOR_CASES = [   # (expression, op, node name, attrs) from MXNet 1.9.1's tojson()
    (lambda d, e: d + e, "elemwise_add", "_plus0", None),
    (lambda d, e: d + 2, "_plus_scalar", "_plusscalar0", {"scalar": "2"}),
    (lambda d, e: 2 + d, "_plus_scalar", "_plusscalar0", {"scalar": "2"}),
    (lambda d, e: d - e, "elemwise_sub", "_minus0", None),
    (lambda d, e: 2 - d, "_rminus_scalar", "_rminusscalar0", {"scalar": "2"}),
    (lambda d, e: d * e, "elemwise_mul", "_mul0", None),
    (lambda d, e: d / e, "elemwise_div", "_div0", None),
    (lambda d, e: 2 / d, "_rdiv_scalar", "_rdivscalar0", {"scalar": "2"}),
    (lambda d, e: d % e, "_mod", "_mod0", None),
    (lambda d, e: 2 % d, "_rmod_scalar", "_rmodscalar0", {"scalar": "2"}),
    (lambda d, e: d ** e, "_power", "_power0", None),
    (lambda d, e: d ** 2, "_power_scalar", "_powerscalar0", {"scalar": "2"}),
    (lambda d, e: 2 ** d, "_rpower_scalar", "_rpower_scalar0", {"scalar": "2"}),
    (lambda d, e: d == e, "_equal", "_equal0", None),
    (lambda d, e: d != 2, "_not_equal_scalar", "_not_equal_scalar0", {"scalar": "2"}),
    (lambda d, e: d > 2, "_greater_scalar", "_greater_scalar0", {"scalar": "2"}),
    (lambda d, e: 2 > d, "_lesser_scalar", "_lesser_scalar0", {"scalar": "2"}),
    (lambda d, e: d >= e, "_greater_equal", "_greater_equal0", None),
    (lambda d, e: d < e, "_lesser", "_lesser0", None),
    (lambda d, e: d <= 2, "_lesser_equal_scalar", "_lesser_equal_scalar0", {"scalar": "2"}),
    (lambda d, e: -d, "_mul_scalar", "_mulscalar0", {"scalar": "-1.0"}),
    (lambda d, e: abs(d), "abs", "abs0", None),
    (lambda d, e: d + 2.5, "_plus_scalar", "_plusscalar0", {"scalar": "2.5"}),
]


@pytest.mark.parametrize("case", range(len(_OPERATOR_CASES)))
def test_operators_are_mxnet_symbol_ops(case):
    fn, op, name, attrs = _OPERATOR_CASES[case]
    with mx.name.NameManager():
        node = json.loads(fn(sym.var("d"), sym.var("e")).tojson())["nodes"][-1]
    assert (node["op"], node["name"], node.get("attrs")) == (op, name, attrs)


def test_operators_do_not_broadcast():
    s = sym.var("a") + sym.var("b")
    with pytest.raises(ShapeError, match="_plus"):
        s.infer_shape(a=(2, 3), b=(1, 3))


def test_group_index_children_internals_compose():
    d, e = sym.var("data"), sym.var("e")
    fc = sym.FullyConnected(d, num_hidden=8, name="fc1")
    r = sym.relu(fc, name="relu1")
    g = sym.Group([fc, r])
    assert g.name is None and g.list_outputs() == ["fc1_output", "relu1_output"] and len(g) == 2
    assert g["relu1_output"].name == "relu1" and g[-1].name == "relu1" and len(g[0:1]) == 1
    with pytest.raises(ValueError, match="no output named"):
        g["nope"]
    with pytest.raises(IndexError):
        g[2]
    assert r.get_children().list_outputs() == ["fc1_output"]
    assert d.get_children() is None
    internals = r.get_internals()
    assert internals.list_outputs() == ["data", "fc1_weight", "fc1_bias", "fc1_output", "relu1_output"]
    feat = internals["fc1_output"]
    assert feat.list_arguments() == ["data", "fc1_weight", "fc1_bias"]
    c = r(data=e)
    assert c.list_arguments() == ["e", "fc1_weight", "fc1_bias"]
    assert r.list_arguments() == ["data", "fc1_weight", "fc1_bias"]     # the original is unchanged
    assert r(e).list_arguments() == ["e", "fc1_weight", "fc1_bias"]
    with pytest.raises(HybridNetError, match="not arguments"):
        r(nope=e)
    assert sym.Concat(d, e, dim=0).list_arguments() == ["data", "e"]
    assert json.loads(sym.Concat(d, e).tojson())["nodes"][-1]["attrs"] == {"num_args": "2"}
    assert repr(r) == "<Symbol relu1>"
    with pytest.raises(TypeError, match="Symbol"):
        sym.relu(3)


def test_infer_shape_unknown_partial_and_types():
    r = sym.relu(sym.FullyConnected(sym.var("data"), num_hidden=8, name="fc1"), name="relu0")
    with pytest.warns(UserWarning, match="Cannot decide shape") as w:
        assert r.infer_shape() == (None, None, None)
    assert "fc1_weight: ()" in str(w[0].message)
    assert r.infer_shape_partial() == ([(), (), ()], [()], [])
    assert r.infer_shape((2, 5)) == ([(2, 5), (8, 5), (8,)], [(2, 8)], [])
    assert r.infer_type(data="float16") == ([np.float16] * 3, [np.float16], [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert r.infer_type() == (None, None, None)
    with pytest.raises(ShapeError, match="fc1"):
        r.infer_shape(data=(2, 5), fc1_weight=(8, 4))
    with pytest.raises(ShapeError, match="not an input"):
        r.infer_shape(bogus=(1,))
    # __shape__ on a variable counts as given; elemwise ops fill a partner's shape
    a, b = sym.var("a", shape=(2, 3)), sym.var("b")
    assert (a * b).infer_shape() == ([(2, 3), (2, 3)], [(2, 3)], [])


def test_bind_eval_simple_bind_reshape_copy_params():
    x, w = sym.var("x"), sym.var("w")
    y = sym.broadcast_mul(x, w) + x
    xa, wa = nd.array([[1.0, 2.0], [3.0, 4.0]]), nd.array([[10.0, 20.0]])
    np.testing.assert_allclose(y.eval(mx.cpu(), x=xa, w=wa)[0].asnumpy(), [[11, 42], [33, 84]])
    with pytest.raises(HybridNetError, match=r"missing \['w'\]"):
        y.bind(mx.cpu(), {"x": xa})
    ex = y.simple_bind(mx.cpu(), x=(2, 2), w=(1, 2))
    assert sorted(ex.arg_dict) == ["w", "x"] and ex.grad_dict["w"].shape == (1, 2)
    ex.copy_params_from({"w": wa})
    with pytest.raises(ValueError):
        ex.copy_params_from({"zz": wa})
    ex.copy_params_from({"zz": wa}, allow_extra_params=True)
    out = ex.forward(is_train=True, x=xa)
    assert list(ex.output_dict) == y.list_outputs()
    np.testing.assert_allclose(out[0].asnumpy(), [[11, 42], [33, 84]])
    ex.backward()
    np.testing.assert_allclose(ex.grad_dict["w"].asnumpy(), [[4, 6]])
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), [[11, 21], [11, 21]])
    ex2 = ex.reshape(x=(3, 2))
    assert ex2.arg_dict["w"] is ex.arg_dict["w"] and ex2.arg_dict["x"].shape == (3, 2)
    assert ex2.forward(x=nd.ones((3, 2)))[0].shape == (3, 2)
    # grad_req='add' accumulates
    exa = y.bind(mx.cpu(), {"x": xa, "w": wa}, args_grad={"w": nd.zeros((1, 2))}, grad_req="add")
    for _ in range(2):
        exa.forward(is_train=True)
        exa.backward([nd.ones((2, 2))])
    np.testing.assert_allclose(exa.grad_dict["w"].asnumpy(), [[8, 12]])
    assert "x" not in exa.grad_dict
    with pytest.raises(HybridNetError, match="forward\\(is_train=True\\)"):
        y.bind(mx.cpu(), {"x": xa, "w": wa}).backward()
    with pytest.raises(ShapeError, match="reshape"):
        ex.forward(x=nd.ones((5, 2)))


def test_pickle_and_copy():
    import copy
    import pickle
    r = sym.relu(sym.FullyConnected(sym.var("data"), num_hidden=8, name="fc1"), name="r")
    assert pickle.loads(pickle.dumps(r)).tojson() == r.tojson()
    c = copy.copy(r)
    c._set_attr(__mark__="1")
    assert r.attr("__mark__") is None and c.attr("__mark__") == "1"


# ---- mx.model checkpoints ---------------------------------------------------------------------------

def test_load_mxnet_checkpoint_and_write_identical_files(tmp_path):
    prefix = os.path.join(GOLDEN, "ckpt")
    s, args, aux = mx.model.load_checkpoint(prefix, 3)
    mlp, shapes = build(mx)["mlp"]
    assert s.list_arguments() == mlp.list_arguments() and aux == {}
    assert list(args) == [n for n in s.list_arguments() if n != "data"]
    arg_shapes, _, _ = s.infer_shape(**shapes)
    for n, sh in zip(s.list_arguments(), arg_shapes):
        if n != "data":
            assert args[n].shape == sh and args[n].dtype == np.float32
    # the loaded parameters run: softmax rows sum to 1
    out = s.eval(mx.cpu(), data=nd.ones(shapes["data"]), **args)[0].asnumpy()
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
    # writing it back gives MXNet's bytes
    mine = str(tmp_path / "ckpt")
    mx.model.save_checkpoint(mine, 3, s, args, aux)
    for suffix in ("-symbol.json", "-0003.params"):
        with open(prefix + suffix, "rb") as f, open(mine + suffix, "rb") as g:
            assert f.read() == g.read(), suffix


def test_checkpoint_roundtrip_and_errors(tmp_path):
    prefix = str(tmp_path / "net")
    net = sym.FullyConnected(sym.var("data"), num_hidden=2, name="fc")
    w, b, m = nd.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), nd.array([0.5, -0.5]), nd.array([7.0])
    mx.model.save_checkpoint(prefix, 12, net, {"fc_weight": w, "fc_bias": b}, {"fc_mean": m})
    assert os.path.exists(prefix + "-0012.params")
    s, args, aux = mx.model.load_checkpoint(prefix, 12)
    assert s.tojson() == net.tojson()
    np.testing.assert_array_equal(args["fc_weight"].asnumpy(), w.asnumpy())
    np.testing.assert_array_equal(aux["fc_mean"].asnumpy(), m.asnumpy())
    nd.save(str(tmp_path / "bad-0001.params"), {"weight": w})
    with pytest.raises(FormatError, match="arg:<name>"):
        mx.model.load_params(str(tmp_path / "bad"), 1)
