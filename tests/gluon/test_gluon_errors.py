"""Gluon errors and warnings against MXNet 1.9.1 (the `errors` section of tests/golden/gluon/gluon_goldens.json,
made by make_gluon_goldens.py): each case is provoked the same way with fresh names (a new NameManager).

Most cases match MXNet's exception type and text exactly (`EXACT`). Where hybridnet deliberately does better
the test asserts what users rely on from MXNet's text plus the improvement (the layer / Parameter name, both
shapes, the fix); the divergences are listed in `DIVERGENT` with the reason."""
import contextlib
import io
import json
import os
import re
import warnings

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, gluon, nd
from hybridnet.errors import AutogradError, DTypeError, FormatError, HybridNetError, ShapeError
from hybridnet.gluon import nn
from hybridnet.gluon.parameter import DeferredInitializationError

GOLD_DIR = os.path.join(os.path.dirname(__file__), "..", "golden", "gluon")
with open(os.path.join(GOLD_DIR, "gluon_goldens.json")) as f:
    ERRORS = json.load(f)["errors"]


@pytest.fixture(autouse=True)
def _own_names():
    """Blocks made here never advance the process-wide name counters other test files rely on."""
    with mx.name.NameManager():
        yield


# ---- observing a case the way the generator did -----------------------------------------------------
def observe(fn):
    out = io.StringIO()
    res = {}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with contextlib.redirect_stdout(out):
            try:
                r = fn()
                res["raised"] = None
                if r is not None:
                    res["result"] = r
            except Exception as e:      # noqa: BLE001 - we record whatever is raised
                res["raised"] = e
                res["message"] = str(e)
    res["warnings"] = [{"category": x.category.__name__, "message": str(x.message)} for x in w]
    if out.getvalue():
        res["stdout"] = out.getvalue()
    return res


# MXNet exception class name -> the class hybridnet's exception must be an instance of
COMPATIBLE = {"MXNetError": HybridNetError, "AssertionError": AssertionError, "ValueError": ValueError,
              "RuntimeError": RuntimeError, "TypeError": TypeError, "KeyError": KeyError,
              "UserWarning": UserWarning, "DeferredInitializationError": DeferredInitializationError}


def mlp(n, in_units=2):
    net = nn.HybridSequential()
    for _ in range(n):
        net.add(nn.Dense(2, in_units=in_units))
    net.initialize()
    return net


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Files named in messages are relative ('f', 'g') as in the goldens."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---- the cases (each builds what it needs inside a fresh NameManager) ------------------------------
def case_load_missing():
    with mx.name.NameManager():
        mlp(2).save_parameters("f")
        big = mlp(3)
    return lambda: big.load_parameters("f")


def case_load_allow_missing_ignore_extra():
    with mx.name.NameManager():
        small, big = mlp(2), mlp(3)
    small.save_parameters("f")
    big.save_parameters("g")
    small2 = mlp(2)
    return lambda: (big.load_parameters("f", allow_missing=True), small2.load_parameters("g", ignore_extra=True),
                    "ok")[-1]


def case_load_shape_mismatch():
    with mx.name.NameManager():
        mlp(2).save_parameters("f")
    with mx.name.NameManager():
        wide = mlp(2, in_units=3)
    return lambda: wide.load_parameters("f")


def _deferred_dense():
    with mx.name.NameManager():
        d = nn.Dense(3)
    d.initialize()
    return d


def case_deferred_data():
    d = _deferred_dense()
    return lambda: d.weight.data()


def case_deferred_grad():
    d = _deferred_dense()
    return lambda: d.weight.grad()


def case_deferred_shape():
    d = _deferred_dense()
    return lambda: list(d.weight.shape)


def case_uninitialized_forward():
    with mx.name.NameManager():
        d = nn.Dense(3)
    return lambda: d(nd.ones((2, 4)))


def case_uninitialized_data():
    with mx.name.NameManager():
        d = nn.Dense(3)
    return lambda: d.weight.data()


def case_uninitialized_param_data():
    p = gluon.Parameter("q", shape=(2,))
    return lambda: p.data()


def case_invalid_shape_no_deferred():
    p = gluon.Parameter("p3", shape=(3, 0))
    return lambda: p.initialize()


def _dense22():
    with mx.name.NameManager():
        d = nn.Dense(2, in_units=2)
    d.initialize()
    return d


def case_grad_req_null():
    d = _dense22()
    d.weight.grad_req = "null"
    return lambda: d.weight.grad()


def case_grad_before_backward():
    d = _dense22()
    return lambda: d.weight.grad().asnumpy().tolist()


def case_double_initialize():
    d = _dense22()
    return lambda: d.initialize()


def case_double_initialize_collect():
    d = _dense22()
    return lambda: d.collect_params().initialize()


def case_force_reinit():
    d = _dense22()
    return lambda: d.initialize(force_reinit=True)


class WithList(nn.Block):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.layers = [nn.Dense(2), nn.Dense(2)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class WithDict(nn.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.layers = {"a": nn.Dense(2)}

    def hybrid_forward(self, F, x):
        return x


class HB(nn.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.child = nn.Sequential()

    def hybrid_forward(self, F, x):
        return x


def case_unregistered_container():
    return lambda: list(WithList().collect_params().keys())


def case_unregistered_container_dict():
    return lambda: list(WithDict().collect_params().keys())


def case_non_hybrid_child():
    return lambda: HB()


def case_non_hybrid_child_add():
    hs = nn.HybridSequential()
    return lambda: hs.add(nn.Sequential())


def case_trainer_int():
    return lambda: gluon.Trainer(1, "sgd")


def case_trainer_list_non_param():
    return lambda: gluon.Trainer([1, 2], "sgd")


def case_trainer_dict_non_param():
    return lambda: gluon.Trainer({"a": 1}, "sgd")


def _stale_setup():
    d = _dense22()
    return d, gluon.Trainer(d.collect_params(), "sgd", {"learning_rate": 0.1})


def _one_backward(d):
    with autograd.record():
        loss = d(nd.ones((1, 2))).sum()
    loss.backward()


def case_stale_grad():
    d, tr = _stale_setup()
    return lambda: tr.step(1)


def case_stale_grad_second_step():
    d, tr = _stale_setup()
    _one_backward(d)
    tr.step(1)
    return lambda: tr.step(1)


def case_stale_grad_ignore():
    d, tr = _stale_setup()
    _one_backward(d)
    tr.step(1)
    return lambda: (tr.step(1, ignore_stale_grad=True), "ok")[-1]


def _hseq_dense22(activation=None):
    with mx.name.NameManager():
        net = nn.HybridSequential()
        net.add(nn.Dense(2, in_units=2, activation=activation))
    net.initialize()
    return net


def case_export_not_hybridized():
    net = _hseq_dense22()
    return lambda: net.export("x")


def case_export_hybridized_no_forward():
    net = _hseq_dense22()
    net.hybridize()
    return lambda: net.export("x")


def case_summary_uninitialized():
    with mx.name.NameManager():
        d = nn.Dense(2)
    return lambda: d.summary(nd.ones((1, 2)))


def case_backward_outside_record():
    a = nd.ones((2,))
    a.attach_grad()
    b = a * 2
    return lambda: b.backward()


class Unused(nn.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.w = self.params.get("w", shape=(2,))

    def hybrid_forward(self, F, x, y, w):
        return x * 2


def case_hybridize_unused_warnings():
    with mx.name.NameManager():
        u = Unused()
    u.initialize()
    u.hybridize()
    return lambda: u(nd.ones((2,)), nd.ones((2,))).asnumpy().tolist()


def case_hybridize_with_hook():
    d = _dense22()
    d.register_forward_hook(lambda blk, i, o: None)
    return lambda: d.hybridize()


def case_paramdict_getitem_missing():
    d = _dense22()
    return lambda: d.collect_params()["nope"]


def case_xavier_1d():
    p = gluon.Parameter("p1_scale", shape=(4,))
    return lambda: p.initialize(mx.init.Xavier())


# Cases where hybridnet gives MXNet's exception type (or a subclass) and exactly MXNet's message and warnings.
EXACT = {name[len("case_"):]: fn for name, fn in dict(globals()).items() if name.startswith("case_")}

# Cases where hybridnet deliberately differs; each is tested below with what users rely on.
DIVERGENT = {
    "load_extra": "the message lists the network's Parameters (MXNet printed an empty list)",
    "load_export_file": "load_parameters accepts export files (MXNet P6)",
    "load_truncated": "FormatError naming the file and the damage (MXNet: a C++ check text)",
    "load_not_params": "FormatError naming the file and the magic found (MXNet: a C++ check text)",
    "set_data_shape": "the shapes are in the right order and the Parameter is named (MXNet swapped them)",
    "trainer_unknown_optimizer": "MXNet's text plus the registered names",
    "summary_hybridized": "summary works on hybridized blocks (MXNet P9)",
    "hybridize_unknown_kw": "unknown hybridize keywords raise TypeError with a suggestion (MXNet P13)",
    "hybridize_unknown_kw_forward": "the block still runs after the rejected hybridize",
    "dense_shape_mismatch_eager": "ShapeError naming the layer, both shapes and the fix (MXNet P8)",
    "dense_shape_mismatch_hybridized": "ShapeError naming the layer, both shapes and the fix (MXNet P8)",
    "deferred_infer_fail": "names the Parameter, the block and the fix; nn.Conv2D case when it exists",
    "argument_structure_mismatch": "the hybridize cache is keyed on the argument structure: it re-traces",
    "paramdict_len": "ParameterDict is a real mapping: len() works",
    "cast_then_float32_input": "DTypeError naming the layer, both dtypes and the fix (MXNet P8)",
}


def test_every_golden_case_is_covered():
    assert set(EXACT) | set(DIVERGENT) == set(ERRORS)
    assert not set(EXACT) & set(DIVERGENT)
    assert len(ERRORS) == 48


def _check_type(gold, got):
    if gold["raised"] is None:
        assert got["raised"] is None, f"hybridnet raised {got['raised']!r}; MXNet did not"
        return
    assert got["raised"] is not None, f"MXNet raised {gold['raised']}: {gold['message']}; hybridnet did not"
    assert isinstance(got["raised"], COMPATIBLE[gold["raised"]]), (type(got["raised"]), gold["raised"])


@pytest.mark.parametrize("case", sorted(EXACT))
def test_matches_mxnet(case, workdir):
    gold = ERRORS[case]
    got = observe(EXACT[case]())
    _check_type(gold, got)
    if gold["raised"] is not None:
        msg = gold["message"].replace("mxnet.gluon.", "hybridnet.gluon.")
        if gold["raised"] == "MXNetError":     # keep the text after the C++ check location
            msg = re.split(r": (?=[A-Z])", msg.split("Check failed: ")[-1], maxsplit=1)[-1]
            assert got["message"].endswith(msg), got["message"]
        else:
            assert got["message"] == msg
    if "result" in gold:
        assert got["result"] == gold["result"]
    assert got["warnings"] == gold["warnings"]
    assert "stdout" not in got


# ---- the divergent cases ------------------------------------------------------------------------------
def test_load_extra(workdir):
    gold = ERRORS["load_extra"]
    with mx.name.NameManager():
        mlp(3).save_parameters("g")
        small = mlp(2)
    got = observe(lambda: small.load_parameters("g"))
    _check_type(gold, got)
    msg = got["message"]
    assert msg.startswith("Parameter '2.weight' loaded from file 'g' is not present in ")
    assert "which contains parameters '0.weight', '0.bias', '1.weight', '1.bias'" in msg
    assert "Set ignore_extra=True to ignore." in msg


def test_load_export_file(workdir):
    """MXNet P6: an export file (`arg:dense0_weight` keys) loads through load_parameters."""
    assert ERRORS["load_export_file"]["raised"] == "AssertionError"
    with mx.name.NameManager():
        small = mlp(2)
    small.hybridize()
    small(nd.ones((1, 2)))
    small.export("exp")
    with mx.name.NameManager():
        again = mlp(2)
    got = observe(lambda: again.load_parameters("exp-0000.params"))
    assert got["raised"] is None and got["warnings"] == []
    for a, b in zip(small.collect_params().values(), again.collect_params().values()):
        np.testing.assert_array_equal(a.data().asnumpy(), b.data().asnumpy())


@pytest.mark.parametrize("case", ["load_truncated", "load_not_params"])
def test_load_damaged_file(case, workdir):
    with mx.name.NameManager():
        net = mlp(2)
    net.save_parameters("f")
    if case == "load_truncated":
        with open("f", "rb") as fin, open("trunc.params", "wb") as fout:
            fout.write(fin.read()[:40])
        fname = "trunc.params"
    else:
        with open("notparams.params", "wb") as fout:
            fout.write(b"hello world, not a params file")
        fname = "notparams.params"
    before = [p.data().asnumpy().copy() for p in net.collect_params().values()]
    got = observe(lambda: net.load_parameters(fname))
    _check_type(ERRORS[case], got)
    assert isinstance(got["raised"], FormatError)
    msg = got["message"]
    assert f"'{fname}'" in msg and "MXNet NDArray file" in msg
    if case == "load_not_params":
        assert "magic" in msg
    else:
        assert "damaged" in msg
    for b, p in zip(before, net.collect_params().values()):      # nothing was half-loaded
        np.testing.assert_array_equal(p.data().asnumpy(), b)


def test_set_data_shape():
    gold = ERRORS["set_data_shape"]
    assert gold["message"] == "Expected shape (2, 64) is incompatible with given shape (3, 3)."   # swapped
    p = gluon.Parameter("p", shape=(3, 3))
    p.initialize()
    got = observe(lambda: p.set_data(nd.ones((2, 64))))
    _check_type(gold, got)
    assert got["message"] == "Expected shape (3, 3) is incompatible with given shape (2, 64) for Parameter 'p'."
    assert p.shape == (3, 3)


def test_trainer_unknown_optimizer():
    gold = ERRORS["trainer_unknown_optimizer"]
    d = _dense22()
    got = observe(lambda: gluon.Trainer(d.collect_params(), "nosuchopt").step(1))
    _check_type(gold, got)
    assert got["message"].startswith(gold["message"])       # "Cannot find optimizer nosuchopt"
    assert "sgd" in got["message"] and "adam" in got["message"]


def test_summary_hybridized():
    """MXNet raises '"dense0_relu" must not be hybridized to print summary.'; hybridnet prints the same
    table as for the eager block (P9)."""
    assert ERRORS["summary_hybridized"]["raised"] == "AssertionError"
    eager = observe(lambda: _hseq_dense22("relu").summary(nd.ones((1, 2))))
    net = _hseq_dense22("relu")
    net.hybridize()
    got = observe(lambda: net.summary(nd.ones((1, 2))))
    assert got["raised"] is None and eager["raised"] is None
    assert got["stdout"] == eager["stdout"]
    assert "Total params: 6" in got["stdout"]
    assert net(nd.ones((1, 2))).shape == (1, 2)      # still runs hybridized afterwards


def test_hybridize_unknown_kw():
    gold, gold_fwd = ERRORS["hybridize_unknown_kw"], ERRORS["hybridize_unknown_kw_forward"]
    assert gold["raised"] is None        # MXNet accepted the typo silently
    with mx.name.NameManager():
        net = _hseq_dense22()
    got = observe(lambda: net.hybridize(statc_alloc=True))
    assert isinstance(got["raised"], TypeError)
    msg = got["message"]
    assert "unexpected keyword argument 'statc_alloc'" in msg and "Did you mean 'static_alloc'?" in msg
    fwd = observe(lambda: list(net(nd.ones((1, 2))).shape))
    assert fwd["raised"] is None and fwd["result"] == gold_fwd["result"]


@pytest.mark.parametrize("hybridize", [False, True], ids=["eager", "hybridized"])
def test_dense_shape_mismatch(hybridize):
    gold = ERRORS["dense_shape_mismatch_hybridized" if hybridize else "dense_shape_mismatch_eager"]
    with mx.name.NameManager():
        d = nn.Dense(5, in_units=3)
    d.initialize()
    if hybridize:
        d.hybridize()
    got = observe(lambda: d(nd.ones((2, 5))))
    _check_type(gold, got)
    assert isinstance(got["raised"], ShapeError) and isinstance(got["raised"], ValueError)
    msg = got["message"]
    assert "Shape inconsistent, Provided = [5,3], inferred shape=(5,5)" in gold["message"]
    assert "Shape inconsistent, Provided = [5,3], inferred shape=(5,5)" in msg        # MXNet's text
    assert "Dense 'dense0'" in msg                                                     # the layer
    assert "data=float32[2,5]" in msg and "weight=float32[5,3]" in msg                 # both shapes
    assert "fix:" in msg and "in_units" in msg
    assert __file__ in msg                                                             # the user's line


class DotW(gluon.HybridBlock):
    """A deferred weight used by an operator that cannot infer it (`dot`)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.w = self.params.get("w", shape=(3, 0), allow_deferred_init=True)

    def hybrid_forward(self, F, x, w):
        return F.dot(x, w)


@pytest.mark.parametrize("hybridize", [False, True], ids=["eager", "hybridized"])
def test_deferred_infer_fail(hybridize):
    gold = ERRORS["deferred_infer_fail"]
    assert gold["message"].startswith("Deferred initialization failed because shape cannot be inferred.")
    with mx.name.NameManager():
        b = DotW()
    b.initialize()
    if hybridize:
        b.hybridize()
    got = observe(lambda: b(nd.ones((2, 3))))
    assert isinstance(got["raised"], HybridNetError)
    msg = got["message"]
    assert "Deferred initialization failed because shape cannot be inferred" in msg
    assert "DotW 'dotw0'" in msg and "Parameter 'dotw0_w'" in msg and "(3, 0)" in msg and "dot" in msg
    assert "Fix:" in msg
    assert "stdout" not in got       # MXNet printed an operator log line first


@pytest.mark.parametrize("hybridize", [False, True], ids=["eager", "hybridized"])
def test_deferred_param_unused_is_named(hybridize):
    class Unused3(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.w = self.params.get("w", shape=(3, 0), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return x * 2

    with mx.name.NameManager():
        b = Unused3()
    b.initialize()
    if hybridize:
        b.hybridize()
    got = observe(lambda: b(nd.ones((2, 3))))
    assert isinstance(got["raised"], gluon.DeferredInferenceError) and isinstance(got["raised"], ValueError)
    msg = got["message"]
    assert "Unused3 'unused30'" in msg and "Parameter 'unused30_w'" in msg and "(3, 0)" in msg
    assert "not used by any operator" in msg and "Give it a full shape" in msg


def test_deferred_infer_fail_conv2d():
    """The golden's own case (nn.Conv2D(4, 3) on 2-D data)."""
    if not hasattr(nn, "Conv2D"):
        pytest.skip("nn.Conv2D is not in hybridnet.gluon.nn yet")
    gold = ERRORS["deferred_infer_fail"]
    with mx.name.NameManager():
        c = nn.Conv2D(4, 3)
    c.initialize()
    got = observe(lambda: c(nd.ones((2, 3))))
    assert isinstance(got["raised"], HybridNetError) or isinstance(got["raised"], COMPATIBLE[gold["raised"]])
    msg = got["message"]
    assert "Deferred initialization failed because shape cannot be inferred" in msg
    assert "conv0" in msg and "(2, 3)" in msg


def test_argument_structure_mismatch():
    """MXNet: ValueError 'The argument structure of HybridBlock does not match the cached version'; hybridnet
    keys the cache on the structure, so t(a) after t(a, b) simply re-traces and gives x."""
    assert ERRORS["argument_structure_mismatch"]["raised"] == "ValueError"

    class Two(nn.HybridBlock):
        def hybrid_forward(self, F, x, y=None):
            return x if y is None else x + y

    with mx.name.NameManager():
        t = Two()
    t.initialize()
    t.hybridize()
    a = nd.array([[1.0, 2.0]])
    assert t(a, nd.ones((1, 2))).asnumpy().tolist() == [[2.0, 3.0]]
    got = observe(lambda: t(a).asnumpy().tolist())
    assert got["raised"] is None and got["result"] == [[1.0, 2.0]]


def test_paramdict_len():
    assert ERRORS["paramdict_len"]["raised"] == "TypeError"       # MXNet's ParameterDict had no __len__
    d = _dense22()
    params = d.collect_params()
    assert len(params) == 2 == len(list(params.keys()))


def test_cast_then_float32_input():
    gold = ERRORS["cast_then_float32_input"]
    assert "expected float32, got float64" in gold["message"]
    d = _dense22()
    d.cast("float64")
    got = observe(lambda: d(nd.ones((1, 2))))
    _check_type(gold, got)
    assert isinstance(got["raised"], DTypeError)
    msg = got["message"]
    assert "Dense 'dense0'" in msg and "float32" in msg and "float64" in msg
    assert "fix:" in msg and ".astype" in msg
    assert d(nd.ones((1, 2), dtype="float64")).dtype == np.float64    # the fix works


def test_backward_outside_record_type():
    got = observe(case_backward_outside_record())
    assert isinstance(got["raised"], AutogradError) and isinstance(got["raised"], RuntimeError)


def test_hybridize_unused_warns_once_per_trace():
    with mx.name.NameManager():
        u = Unused()
    u.initialize()
    u.hybridize()
    first = observe(lambda: u(nd.ones((2,)), nd.ones((2,))))
    again = observe(lambda: u(nd.ones((2,)), nd.ones((2,))))
    assert len(first["warnings"]) == 2 and again["warnings"] == []


def test_no_unused_warnings_when_everything_is_used():
    with mx.name.NameManager():
        net = mlp(2)
    net.hybridize()
    got = observe(lambda: net(nd.ones((1, 2))))
    assert got["raised"] is None and got["warnings"] == []
