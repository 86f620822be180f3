"""mx.init against MXNet 1.9.1 goldens (tests/golden/init_metric/make_goldens.py) and distribution checks."""
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import initializer as I
from hybridnet.errors import HybridNetError, ShapeError

GOLD = json.loads((Path(__file__).parent / "golden" / "init_metric" / "initializer.json").read_text())


def test_public_names():
    assert mx.init is mx.initializer is I
    for name in ["InitDesc", "Initializer", "register", "alias", "create", "Load", "Mixed", "Zero", "One", "Constant",
                 "Uniform", "Normal", "Orthogonal", "Xavier", "MSRAPrelu", "Bilinear", "LSTMBias", "FusedRNN"]:
        assert hasattr(mx.init, name), name


@pytest.mark.parametrize("expr", sorted(GOLD["dumps"]))
def test_dumps_text_matches_mxnet(expr):
    init = eval(expr, {"np": np, **{k: getattr(I, k) for k in I.__all__}})  # noqa: S307 (our own golden keys)
    assert init.dumps() == GOLD["dumps"][expr]


def test_dumps_spec_example():
    assert mx.init.Xavier().dumps() == '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'
    assert mx.init.Constant(mx.nd.array([1, 2])).dumps() == '["constant", {"value": [1.0, 2.0]}]'


def test_create_names_and_json():
    for name, (cls, dumps) in GOLD["create"].items():
        init = mx.init.create(name)
        assert type(init).__name__ == cls and init.dumps() == dumps, name
    for text, dumps in GOLD["create_json"].items():
        assert mx.init.create(text).dumps() == dumps
    assert mx.init.create("normal", sigma=0.3).dumps() == GOLD["create_kwargs"]["normal sigma=0.3"]
    assert mx.init.create("constant", value=4).dumps() == GOLD["create_kwargs"]["constant value=4"]
    assert sorted(mx.registry.get_registry(I.Initializer)) == sorted(
        set(GOLD["registry"]) | set(mx.registry.get_registry(I.Initializer)))
    for name in GOLD["registry"]:
        assert name in mx.registry.get_registry(I.Initializer)
    x = mx.init.Xavier()
    assert mx.init.create(x) is x
    assert mx.init.create({"initializer": "normal", "sigma": 2.0}).sigma == 2.0
    mixed = mx.init.Mixed([".*"], [mx.init.Zero()])
    assert mx.init.create(mixed) is mixed


def test_create_errors():
    with pytest.raises(mx.registry.RegistryError, match="xavir is not registered.*Did you mean 'xavier'"):
        mx.init.create("xavir")
    with pytest.raises(ValueError, match="already an instance"):
        mx.init.create(mx.init.Zero(), 3)
    with pytest.raises(HybridNetError, match="must be of string type"):
        mx.init.create(None)


def _rebuild_attr(rec):
    if "init_attr" not in rec:
        return None
    v = rec["init_attr"]
    return {"__init__": mx.init.create(v) if rec["init_attr_instance"] else v}


@pytest.mark.parametrize("idx", range(len(GOLD["deterministic"])))
def test_deterministic_values_match_mxnet(idx):
    rec = GOLD["deterministic"][idx]
    init = mx.init.create(rec["global_init"])
    arr = mx.nd.full(tuple(rec["shape"]), -9.0, dtype=rec["dtype"])
    name = rec["name"]

    def call():
        if rec["legacy"]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                init(name, arr)
        else:
            init(mx.init.InitDesc(name, _rebuild_attr(rec)), arr)

    if "error" in rec:
        with pytest.raises(ValueError) as ei:
            call()
        assert isinstance(ei.value, HybridNetError)
        if rec["message"].startswith("Xavier"):
            assert str(ei.value) == rec["message"]
        else:  # MXNet's text, plus a hint about Parameter init=
            assert str(ei.value).startswith(rec["message"].split(" Default")[0])
            assert "Default initialization is now limited to" in str(ei.value)
        return
    call()
    expected = np.array(rec["value"], dtype=rec["dtype"]).reshape(rec["shape"])
    got = arr.asnumpy()
    assert got.dtype == np.dtype(rec["dtype"])
    np.testing.assert_array_equal(got, expected)


def test_xavier_vector_error_text():
    p = mx.nd.zeros((3,))
    with pytest.raises(ValueError) as ei:
        mx.init.create("uniform")(mx.init.InitDesc("p1_scale", {"__init__": mx.init.Xavier()}), p)
    assert str(ei.value) == "Xavier initializer cannot be applied to vector p1_scale. It requires at least 2D."


def _capture_sampler(monkeypatch):
    calls = []
    real_u, real_n = I.random.uniform, I.random.normal

    def fake_u(low, high, shape, out=None, **kw):
        calls.append(("uniform", float(low), float(high), list(shape)))
        return real_u(low, high, shape, out=out, **kw)

    def fake_n(loc, scale, shape, out=None, **kw):
        calls.append(("normal", float(loc), float(scale), list(shape)))
        return real_n(loc, scale, shape, out=out, **kw)

    monkeypatch.setattr(I.random, "uniform", fake_u)
    monkeypatch.setattr(I.random, "normal", fake_n)
    return calls


@pytest.mark.parametrize("idx", range(len(GOLD["samplers"])))
def test_sampler_parameters_match_mxnet(idx, monkeypatch):
    """Xavier/MSRAPrelu fan computation and Uniform/Normal ranges: the exact sampler arguments MXNet used."""
    rec = GOLD["samplers"][idx]
    calls = _capture_sampler(monkeypatch)
    init = eval(rec["init"], {k: getattr(I, k) for k in I.__all__})  # noqa: S307
    a = mx.nd.zeros(tuple(rec["shape"]))
    init(mx.init.InitDesc("w_weight"), a)
    kind, p0, p1, shape = calls[0]
    assert kind == rec["sampler"] and shape == rec["shape"]
    assert p0 == pytest.approx(rec["p0"], rel=1e-12, abs=1e-15)
    assert p1 == pytest.approx(rec["p1"], rel=1e-12)
    # the array was really filled by that distribution
    v = a.asnumpy()
    if kind == "uniform":
        assert v.min() >= p0 and v.max() <= p1 and v.std() > 0
    else:
        assert v.std() > 0


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_uniform_and_normal_distributions(dtype):
    mx.random.seed(7)
    a = mx.nd.zeros((200, 300), dtype=dtype)
    mx.init.Uniform(0.1)(mx.init.InitDesc("x_weight"), a)
    v = a.asnumpy().astype(np.float64)
    assert a.dtype == np.dtype(dtype)
    assert v.min() >= -0.1 and v.max() <= 0.1
    assert abs(v.mean()) < 3e-3 and abs(v.std() - 0.1 / np.sqrt(3)) < 2e-3
    mx.init.Normal(0.5)(mx.init.InitDesc("x_weight"), a)
    v = a.asnumpy().astype(np.float64)
    assert abs(v.mean()) < 0.01 and abs(v.std() - 0.5) < 0.01


def test_xavier_gaussian_std_and_msra():
    mx.random.seed(3)
    a = mx.nd.zeros((256, 128, 3, 3))
    mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2)(mx.init.InitDesc("c_weight"), a)
    assert abs(a.asnumpy().std() - np.sqrt(2 / (128 * 9))) < 1e-3
    mx.init.MSRAPrelu(slope=0)(mx.init.InitDesc("c_weight"), a)
    assert abs(a.asnumpy().std() - np.sqrt(2 / ((128 * 9 + 256 * 9) / 2))) < 1e-3


def test_seed_reproducible():
    def draw(init):
        a = mx.nd.zeros((4, 5))
        init(mx.init.InitDesc("w_weight"), a)
        return a.asnumpy()

    for init in [mx.init.Uniform(), mx.init.Normal(), mx.init.Xavier(), mx.init.MSRAPrelu(), mx.init.Orthogonal()]:
        mx.random.seed(11)
        x = draw(init)
        mx.random.seed(11)
        y = draw(init)
        z = draw(init)
        np.testing.assert_array_equal(x, y)
        assert not np.array_equal(y, z)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (6, 6)])
@pytest.mark.parametrize("rand_type", ["uniform", "normal"])
def test_orthogonal(shape, rand_type):
    a = mx.nd.zeros(shape)
    mx.init.Orthogonal(scale=2.0, rand_type=rand_type)(mx.init.InitDesc("w_weight"), a)
    m = a.asnumpy().reshape(shape[0], -1) / 2.0
    if m.shape[0] <= m.shape[1]:
        np.testing.assert_allclose(m @ m.T, np.eye(m.shape[0]), atol=1e-5)
    else:
        np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-5)


def test_gluon_precedence_contract():
    """Parameter._finish_deferred_init: create(default_init)(InitDesc(name, {'__init__': init}), data)."""
    glob = mx.init.Constant(3)
    w, b, g = mx.nd.zeros((2, 2)), mx.nd.ones((2,)), mx.nd.zeros((2,))
    mx.init.create(glob)(mx.init.InitDesc("dense0_weight", {"__init__": glob}), w)
    mx.init.create(glob)(mx.init.InitDesc("dense0_bias", {"__init__": "zeros"}), b)
    mx.init.create(glob)(mx.init.InitDesc("bn_gamma", {"__init__": "ones"}), g)
    assert w.asnumpy().tolist() == [[3, 3], [3, 3]] and b.asnumpy().tolist() == [0, 0]
    assert g.asnumpy().tolist() == [1, 1]
    # the global initializer's _init_weight whatever the name
    s = mx.nd.zeros((3,))
    mx.init.create("constant", value=4)(mx.init.InitDesc("scale", {"__init__": mx.init.Constant(4)}), s)
    assert s.asnumpy().tolist() == [4, 4, 4]
    d = mx.init.InitDesc("x_weight")
    mx.init.Zero()(d, w)
    assert isinstance(d.global_init, mx.init.Zero)


def test_initdesc():
    d = mx.init.InitDesc("a_weight", {"k": "v"}, global_init=mx.init.One())
    assert d == "a_weight" and isinstance(d, str) and d.attrs == {"k": "v"}
    assert isinstance(d.global_init, mx.init.One)
    assert mx.init.InitDesc("x").attrs == {} and mx.init.InitDesc("x").global_init is None


def test_mixed():
    init = mx.init.Mixed([".*bias", ".*"], [mx.init.Constant(5), mx.init.Constant(2)])
    b, w = mx.nd.zeros((3,)), mx.nd.zeros((2, 2))
    # legacy / Module path: the matched initializer is called, with its suffix dispatch
    init(mx.init.InitDesc("fc_bias"), b)
    init(mx.init.InitDesc("fc_weight"), w)
    assert b.asnumpy().tolist() == [0, 0, 0] and w.asnumpy().tolist() == [[2, 2], [2, 2]]
    # Gluon path (MXNet 1.9.1 raised here): the matched initializer's _init_weight, own init still wins
    mx.init.create(init)(mx.init.InitDesc("fc_bias", {"__init__": init}), b)
    assert b.asnumpy().tolist() == [5, 5, 5]
    mx.init.create(init)(mx.init.InitDesc("fc_bias", {"__init__": "zeros"}), b)
    assert b.asnumpy().tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="Parameter name other did not match any pattern"):
        mx.init.Mixed(["a.*"], [mx.init.Zero()])("other", b)
    with pytest.raises(HybridNetError, match="2 patterns but 1 initializers"):
        mx.init.Mixed(["a", "b"], [mx.init.Zero()])


def test_load(tmp_path):
    src = {"arg:fc_weight": mx.nd.array([[1, 2], [3, 4]]), "aux:bn_moving_var": mx.nd.array([5, 6, 7])}
    fname = str(tmp_path / "p.params")
    mx.nd.save(fname, src)
    for param in (src, fname):
        init = mx.init.Load(param, default_init=mx.init.Constant(9))
        w, v, other = mx.nd.zeros((2, 2)), mx.nd.zeros((3,)), mx.nd.zeros((2,))
        init("fc_weight", w)
        init("bn_moving_var", v)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            init("other_weight", other)
        assert w.asnumpy().tolist() == [[1, 2], [3, 4]] and v.asnumpy().tolist() == [5, 6, 7]
        assert other.asnumpy().tolist() == [9, 9]
    # Gluon path
    u = mx.nd.zeros((2,))
    init = mx.init.Load(src, default_init=mx.init.Constant(9))
    mx.init.create(init)(mx.init.InitDesc("unknown_bias", {"__init__": init}), u)
    assert u.asnumpy().tolist() == [9, 9]
    with pytest.raises(ShapeError, match="Shape mismatch, target \\(3,\\) vs loaded \\(2, 2\\)"):
        mx.init.Load(src)("fc_weight", mx.nd.zeros((3,)))
    with pytest.raises(HybridNetError, match="Not found in loaded param and no default Initializer"):
        mx.init.Load(src)("nope", mx.nd.zeros((3,)))
    with pytest.raises(HybridNetError, match="needs a dict"):
        mx.init.Load([1, 2])


def test_register_alias_and_custom_initializer():
    @mx.init.register
    @mx.init.alias("halfinit")
    class HalfInit(mx.init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 0.5

        def _init_bias(self, _, arr):
            arr[:] = -1

    for name in ("halfinit", "HalfInit"):
        w, b = mx.nd.zeros((2,)), mx.nd.zeros((2,))
        init = mx.init.create(name)
        init(mx.init.InitDesc("x_weight"), w)
        init(mx.init.InitDesc("x_bias"), b)
        assert w.asnumpy().tolist() == [0.5, 0.5] and b.asnumpy().tolist() == [-1, -1]
    with pytest.warns(UserWarning, match="overriding existing initializer"):
        @mx.init.register
        class halfinit(mx.init.Initializer):  # noqa: N801
            pass
    with pytest.raises(HybridNetError, match="Can only register subclass of Initializer"):
        mx.init.register(dict)

    class NoWeight(mx.init.Initializer):
        pass

    with pytest.raises(NotImplementedError, match="must override _init_weight"):
        NoWeight()(mx.init.InitDesc("x_weight"), mx.nd.zeros((1,)))


def test_legacy_path_warns_and_checks_types():
    with pytest.warns(DeprecationWarning, match="deprecated"):
        mx.init.One()("x_weight", mx.nd.zeros((1,)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(HybridNetError, match="arr must be NDArray"):
            mx.init.One()("x_weight", np.zeros(1))
        with pytest.raises(HybridNetError, match="name must be string"):
            mx.init.One()(3, mx.nd.zeros((1,)))


def test_set_verbosity_logs(caplog):
    init = mx.init.Constant(2).set_verbosity(True)
    with caplog.at_level(logging.INFO):
        init(mx.init.InitDesc("fc_weight"), mx.nd.zeros((4,)))
    assert "Initialized fc_weight as weight: 2.0" in caplog.text


def test_equality_and_hash():
    assert mx.init.Xavier() == mx.init.Xavier(rnd_type="uniform")
    assert mx.init.Xavier() != mx.init.Xavier(magnitude=2)
    assert mx.init.Zero() != mx.init.One()
    with pytest.raises(TypeError):
        hash(mx.init.Zero())  # as MXNet 1.9.1 (equality by arguments)


def test_bad_shapes_raise_clear_errors():
    with pytest.raises(ShapeError, match="Bilinear initializer needs a 4-D"):
        mx.init.Bilinear()(mx.init.InitDesc("up_weight"), mx.nd.zeros((2, 2)))
    with pytest.raises(ShapeError, match="not a valid fused lstm parameter vector"):
        mx.init.FusedRNN(mx.init.Zero(), 4, 1, "lstm")(mx.init.InitDesc("rnn_weight"), mx.nd.zeros((17,)))
    with pytest.raises(HybridNetError, match="unknown mode"):
        mx.init.FusedRNN(mx.init.Zero(), 4, 1, "lstn")(mx.init.InitDesc("rnn_weight"), mx.nd.zeros((17,)))
    with pytest.raises(ShapeError, match="cannot fill fc_weight of shape \\(2, 3\\)"):
        mx.init.Constant(np.ones((3, 2)))(mx.init.InitDesc("fc_weight"), mx.nd.zeros((2, 3)))
    with pytest.raises(HybridNetError, match="Incorrect factor type"):
        mx.init.Xavier(factor_type="bad")(mx.init.InitDesc("fc_weight"), mx.nd.zeros((2, 3)))
    with pytest.raises(HybridNetError, match="Unknown random type"):
        mx.init.Xavier(rnd_type="bad")(mx.init.InitDesc("fc_weight"), mx.nd.zeros((2, 3)))
    with pytest.raises(ShapeError, match="its fan is 0"):
        mx.init.Xavier(factor_type="out")(mx.init.InitDesc("fc_weight"), mx.nd.zeros((0, 3)))


def test_fused_rnn_init_from_string_and_quantized():
    init = mx.init.FusedRNN('["constant", {"value": 0.7}]', 2, 1, "rnn_relu")
    a = mx.nd.zeros((2 * (3 + 2 + 2),))
    init(mx.init.InitDesc("rnn_weight"), a)  # suffix 'weight' -> FusedRNN._init_weight
    np.testing.assert_array_equal(a.asnumpy(), np.array([0.7] * 10 + [0] * 4, np.float32))
    q = mx.nd.zeros((50,), dtype="int8")
    mx.init.Zero()(mx.init.InitDesc("fc_weight_quantize"), q)
    v = q.asnumpy()
    assert v.dtype == np.int8 and v.min() >= -127 and v.max() < 127 and len(set(v.tolist())) > 1


def test_docstring_examples_run():
    import doctest

    from hybridnet import registry
    for mod in (I, registry):
        res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert res.failed == 0 and res.attempted > 0, mod.__name__
