"""The op registry speaks MXNet's ``-symbol.json``: canonical op names, attribute names and defaults, and
attribute strings exactly as MXNet 1.9.1 writes them, so JSON export is a serialisation.

Golden data: ``tests/golden/mxnet_attr_encoding.json`` (made by ``make_attr_goldens.py`` with MXNet):
for each op call written with ``mx.sym`` the kwargs as given and the node's ``op`` and ``attrs`` in
``tojson()``; and MXNet's registry (every op name -> canonical name; attribute names/types/defaults).
"""
import json
import pathlib
import re
import types

import numpy as np
import pytest

import hybridnet as hn
from hybridnet.device import resolve
from hybridnet.ops import REQUIRED, builtin_ops, get_op, public_ops
from hybridnet.ops.bind import normalize_attrs
from hybridnet.ops.methods import ArrayMethods
from hybridnet.ops.trace_base import Trace

GOLD = json.loads((pathlib.Path(__file__).parent.parent / "golden" / "mxnet_attr_encoding.json").read_text())
CANONICAL = GOLD["registry"]["canonical"]
SCHEMA = GOLD["registry"]["schema"]


def _dec(v):
    """Inverse of make_attr_goldens._enc, giving hybridnet values."""
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if isinstance(v, dict):
        if "tuple" in v:
            return tuple(_dec(x) for x in v["tuple"])
        if "np_type" in v:
            return np.dtype(v["np_type"]).type
        if "np_scalar" in v:
            return np.dtype(v["np_scalar"]).type(v["repr"])
        if "device" in v:
            return resolve(v["device"])
        return {k: _dec(x) for k, x in v.items()}
    return v


def _id(c):
    if "expr" in c:
        return c["expr"]
    kw = ", ".join(f"{k}={_dec(v)!r}" for k, v in sorted(c["kwargs"].items()))
    return f"{c['fn']}({kw})"


CALLS = [c for c in GOLD["cases"] if "fn" in c and "error" not in c]
EXPRS = [c for c in GOLD["cases"] if "expr" in c and "error" not in c]

# Where hybridnet deliberately writes something else: case id -> (hybridnet op, hybridnet attrs, why).
# The tests check that these still differ exactly so; fix the op and drop the entry together.
DIVERGES = {
    "softmax(dtype=None)": ("softmax", {"dtype": "None"},
                            "MXNet's legacy front end turns dtype=None into np.dtype(None) = float64 and "
                            "computes in float64; hybridnet reads None as 'the input dtype' (the default)"),
    "argsort(dtype=None)": ("argsort", {"dtype": "None"}, "as softmax(dtype=None)"),
    "-data": ("negative", {}, "MXNet's Symbol.__neg__ is x * -1.0 (_mul_scalar); hybridnet uses `negative`, "
                              "the op MXNet's NDArray.__neg__ and autograd use (same values, also for -0.0)"),
}


# --- (a) canonical names and (b) attribute strings, per golden call --------------------------------

@pytest.mark.parametrize("case", CALLS, ids=_id)
def test_call_encodes_as_mxnet(case):
    op = get_op(case["fn"])
    kwargs = _dec(case["kwargs"])
    attrs = normalize_attrs(op, kwargs)
    enc = op.encode_attrs(attrs, given=kwargs, num_inputs=case["n_inputs"])
    if _id(case) in DIVERGES:
        name, hn_attrs, _ = DIVERGES[_id(case)]
        assert (op.name, enc) == (name, hn_attrs) and (case["op"], case["attrs"]) != (name, hn_attrs)
        return
    assert op.name == case["op"], f"{case['fn']!r} is {op.name!r} in hybridnet, MXNet writes {case['op']!r}"
    assert enc == case["attrs"]


class _Recorder(Trace):
    def __init__(self):
        self.calls = []

    def apply(self, op, args, attrs, name=None):
        self.calls.append((op, dict(attrs)))
        return _Traced(self)

    def constant(self, value, dtype, device):
        return _Traced(self)


class _Traced(ArrayMethods):
    def __init__(self, trace):
        self._trace, self.shape, self.dtype, self.device = trace, (2, 3), np.dtype(np.float32), hn.cpu(0)


@pytest.mark.parametrize("case", EXPRS, ids=_id)
def test_expression_encodes_as_mxnet(case):
    """``x + 1``, ``1 - x``, ``nd.maximum(x, 2)``... on a traced value: the op and attrs that reach the
    trace encode as MXNet writes ``data + 1`` etc. on a Symbol."""
    t = _Recorder()
    eval(case["expr"], {"mx": types.SimpleNamespace(sym=hn.nd), "data": _Traced(t)})
    (op, given), = t.calls
    enc = op.encode_attrs(normalize_attrs(op, given), given=given)
    if case["expr"] in DIVERGES:
        name, hn_attrs, _ = DIVERGES[case["expr"]]
        assert (op.name, enc) == (name, hn_attrs) and (case["op"], case["attrs"]) != (name, hn_attrs)
        return
    assert (op.name, enc) == (case["op"], case["attrs"])


def test_scalar_strings():
    """x + 1 writes '1', x + 1.5 writes '1.5', 1 - x is _rminus_scalar (the issue's examples)."""
    by = {c["expr"]: c for c in EXPRS}
    assert by["data + 1"]["attrs"] == {"scalar": "1"} and by["data + 1.5"]["attrs"] == {"scalar": "1.5"}
    assert by["1 - data"]["op"] == "_rminus_scalar"
    op = get_op("_plus_scalar")
    assert op.encode_attrs({"scalar": 1}, given={"scalar": 1}) == {"scalar": "1"}
    assert op.encode_attrs({"scalar": 1.5}, given={"scalar": 1.5}) == {"scalar": "1.5"}
    assert op.encode_attrs({"scalar": 1e20}, given=("scalar",)) == {"scalar": "1e+20"}


# --- parse_attrs inverts the encoding --------------------------------------------------------------

def _expected(op, kwargs, n_inputs):
    want = normalize_attrs(op, kwargs)
    if op.variadic and want.get("num_args") is None and "num_args" in op.attr_map:
        want["num_args"] = n_inputs           # MXNet writes the count of inputs
    return want


def _same(a, b):
    return a.keys() == b.keys() and all((a[k] is b[k]) if a[k] is None or b[k] is None else a[k] == b[k]
                                        for k in a)


@pytest.mark.parametrize("case", CALLS, ids=_id)
def test_parse_inverts(case):
    op = get_op(case["fn"])
    back = normalize_attrs(op, op.parse_attrs(case["attrs"]))
    if _id(case) in DIVERGES:   # MXNet's string means what MXNet computed (float64), not the kwargs' None
        assert back["dtype"] == np.float64 and normalize_attrs(op, _dec(case["kwargs"]))["dtype"] is None
        return
    assert _same(back, _expected(op, _dec(case["kwargs"]), case["n_inputs"]))
    # an imported graph re-exports to MXNet's strings: the strings are the values "as given"
    assert op.encode_attrs(back, given=case["attrs"], num_inputs=case["n_inputs"]) == case["attrs"]
    # canonical forms (given names only) read back to the same values too
    names_only = op.encode_attrs(back, given=list(case["attrs"]), num_inputs=case["n_inputs"])
    assert names_only.keys() == case["attrs"].keys()
    assert _same(normalize_attrs(op, op.parse_attrs(names_only)), back)


def test_default_mode_and_round_trip_of_non_default_attrs():
    """given=None (an op hybridnet created itself): only non-default attrs, canonical strings."""
    op = get_op("sum")
    attrs = normalize_attrs(op, {"axis": [0, 2], "keepdims": False})
    assert op.encode_attrs(attrs) == {"axis": "(0, 2)"}
    assert op.encode_attrs(attrs, given=("axis", "keepdims")) == {"axis": "(0, 2)", "keepdims": "False"}
    assert op.encode_attrs(attrs, given={"axis": [0, 2], "keepdims": False}) == {"axis": "[0, 2]",
                                                                                 "keepdims": "False"}
    sm = get_op("softmax")
    assert sm.parse_attrs({"temperature": "None", "axis": "-1"}) == {"temperature": None, "axis": -1}
    assert get_op("_plus_scalar").parse_attrs({"scalar": "1"}) == {"scalar": 1}
    assert get_op("_plus_scalar").parse_attrs({"scalar": "1.5"}) == {"scalar": 1.5}
    c = get_op("Concat")
    assert c.encode_attrs(normalize_attrs(c, {}), given={}, num_inputs=3) == {"num_args": "3"}
    assert c.encode_attrs(normalize_attrs(c, {"num_args": 2}), given={"num_args": 2}, num_inputs=2) == {
        "num_args": "2"}


def test_unreadable_given_value_falls_back_to_canonical():
    """A value hybridnet accepts but whose str() MXNet could not read is written canonically."""
    op = get_op("norm")
    attrs = normalize_attrs(op, {"out_dtype": np.float64})      # str(np.float64) is "<class ...>"
    assert op.encode_attrs(attrs, given={"out_dtype": np.float64}) == {"out_dtype": "float64"}
    r = get_op("_random_uniform")
    given = {"ctx": None, "shape": 3}
    assert r.encode_attrs(normalize_attrs(r, given), given=given) == {"ctx": "None", "shape": "3"}


# --- the registry: every hybridnet name is MXNet's, with MXNet's attribute names and defaults ------

# hybridnet op names MXNet 1.9.1 does not register, and why they exist.
NOT_MXNET = {
    "pooling": "lower-case alias of Pooling kept for convenience; MXNet 1.9.1 registers only 'Pooling'",
    "AdaptiveAvgPooling2D": "short alias of _contrib_AdaptiveAvgPooling2D (MXNet exposes it as nd.contrib.*)",
    "BilinearResize2D": "short alias of _contrib_BilinearResize2D (MXNet exposes it as nd.contrib.*)",
    "_backward_Pooling_linear": "internal: avg/sum/lp pooling gradient (MXNet's _backward_Pooling has another signature)",
    "_backward_conv_weight": "internal: Convolution's weight gradient as its own op (composes for higher order)",
    "_backward_resample2d": "internal: gradient of BilinearResize2D / AdaptiveAvgPooling2D / UpSampling",
    "_internal._rnn_param_concat": "MXNet's Python path for _rnn_param_concat (F._internal._rnn_param_concat)",
    "softrelu": "MXNet has it only as Activation(act_type='softrelu') (defined too, in ops/nn_basic.py)",
    "digamma": "not in MXNet 1.9.1's legacy ops; gradient of gammaln",
    "_trigamma": "internal: gradient of digamma",
    "_slice_backward": "internal gradient op of slice (MXNet's _backward_slice has another signature)",
    "_diag_backward": "internal gradient op of diag (MXNet's _backward_diag has another signature)",
    "_scatter_along_axis": "internal gradient op of sort/topk",
    "_gather_along_axis": "internal: sort/topk gather",
    "_softmax_ce_sparse": "internal: gluon.loss.SoftmaxCrossEntropyLoss's fused -pick(log_softmax(x), label)",
    "_backward_softmax_ce_sparse": "internal gradient op of _softmax_ce_sparse and softmax_cross_entropy",
}
# hybridnet ops under an MXNet name whose MXNet op is a graph-internal backward node with no declared
# inputs/attrs; never exported in a forward graph.
BACKWARD_SIGNATURE = {"_backward_take", "_backward_pick", "_backward_sample_multinomial", "_backward_ctc_loss",
                      "_backward_RNN", "_backward_LayerNorm", "_backward_BatchNorm"}
# MXNet attributes hybridnet does not define: (op, attr) -> why.
MISSING_ATTRS = {
    **{(s, "is_int"): "MXNet 1.9.1's legacy Python front end never writes it (the numpy front end's "
                      "_npi_ ops do); is_int=False gives an int array numpy promotion to float64"
       for s in ["_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
                 "_rdiv_scalar", "_mod_scalar", "_rmod_scalar", "_power_scalar", "_rpower_scalar",
                 "_maximum_scalar", "_minimum_scalar", "_hypot_scalar", "_equal_scalar", "_not_equal_scalar",
                 "_greater_scalar", "_greater_equal_scalar", "_lesser_scalar", "_lesser_equal_scalar",
                 "_logical_and_scalar", "_logical_or_scalar", "_logical_xor_scalar"]},
    ("Reshape", "target_shape"): "deprecated in MXNet (use shape)",
    ("Reshape", "keep_highest"): "deprecated in MXNet (use shape)",
}
# (op, attr) whose required-ness or default differs on purpose -> why.
DEFAULT_DIFFS = {
    **{(c, "num_args"): "MXNet's Python front end fills it from the call; so does hybridnet's (None)"
       for c in ("Concat", "stack", "_rnn_param_concat", "UpSampling")},
    **{(r, "shape"): "MXNet's None is 'not given' (shape unknown); hybridnet's () is the same 'not given'"
       for r in ("_random_uniform", "_random_normal", "_random_exponential", "_random_gamma",
                 "_random_poisson", "_random_randint")},
    ("smooth_l1", "scalar"): "MXNet's registry gives no default (type 'float'); its kernel uses 1.0, as hybridnet",
}


def _names():
    for op in builtin_ops():   # user ops defined by other tests (defop) are not MXNet's
        for n in (op.name,) + op.aliases:
            yield n, op


def test_every_name_is_mxnets_with_its_canonical_name():
    wrong = {n: (op.name, CANONICAL[n]) for n, op in _names() if n in CANONICAL and CANONICAL[n] != op.name}
    assert not wrong, f"name -> (hybridnet canonical, MXNet canonical): {wrong}"
    unknown = sorted(n for n, _ in _names() if n not in CANONICAL and n not in NOT_MXNET)
    assert not unknown, f"not MXNet operator names (rename, or add to NOT_MXNET with why): {unknown}"
    assert all(n not in CANONICAL for n in NOT_MXNET)


def test_mxnet_aliases_of_hybridnet_ops_resolve():
    """Every legacy MXNet alias of an op hybridnet defines finds the same op in hybridnet (get_op).
    MXNet's sparse (``_sparse_``) and NumPy front-end (``_npi_``, ``_npx_``, ``_np_``) aliases are left
    out: hybridnet has neither front end, and ``tojson()`` writes the canonical name anyway."""
    ours = {op.name for op in public_ops()}
    missing = sorted(a for a, c in CANONICAL.items() if c in ours and a not in hn.ops.REGISTRY
                     and not a.startswith(("_sparse_", "_npi_", "_npx_", "_np_")))
    assert not missing, f"MXNet aliases unknown to hybridnet.ops.get_op: {missing}"


def _mx_default(type_str):
    m = re.search(r"default=(.*)$", type_str)
    return None if m is None else m.group(1).strip().strip("'")


def _default_equal(a, mx_s):
    if mx_s == "None" and a.default is None:
        return True
    v = a.coerce(a.kind.parse(mx_s), "?")
    if isinstance(a.default, float) or isinstance(v, float):
        return np.float32(v) == np.float32(a.default)     # MXNet prints float defaults as float32
    return v == a.default and (v is None) == (a.default is None)


@pytest.mark.parametrize("op", [op for op in public_ops() if op.name in SCHEMA], ids=lambda op: op.name)
def test_inputs_attrs_and_defaults_are_mxnets(op):
    args = SCHEMA[op.name]["args"]
    mx_inputs = [n for n, t in args if t.startswith("NDArray")]
    mx_attrs = {n: t for n, t in args if not t.startswith("NDArray")}
    if op.name in BACKWARD_SIGNATURE:
        assert not mx_inputs and not mx_attrs
        return
    assert [i.rstrip("?").lstrip("*") for i in op.inputs] == mx_inputs
    ours = {a.name: a for a in op.attrs}
    assert not set(ours) - set(mx_attrs), f"attributes MXNet does not have: {set(ours) - set(mx_attrs)}"
    missing = {n for n in mx_attrs if n not in ours and (op.name, n) not in MISSING_ATTRS}
    assert not missing, f"MXNet attributes hybridnet lacks: {missing}"
    for n, t in mx_attrs.items():
        if n not in ours or (op.name, n) in DEFAULT_DIFFS:
            continue
        a = ours[n]
        assert ("required" in t) == (a.default is REQUIRED), (n, t)
        if a.default is not REQUIRED:
            assert _default_equal(a, _mx_default(t)), f"{n}: MXNet default {_mx_default(t)!r}, ours {a.default!r}"


def test_allowlists_are_current():
    """Each allowlist entry still describes a real difference (drop it when the op changes)."""
    ours = {op.name: op for op in public_ops()}
    names = set(ours) | {a for op in ours.values() for a in op.aliases}
    assert all(n in names for n in NOT_MXNET) and all(n in ours for n in BACKWARD_SIGNATURE)
    for (name, attr) in MISSING_ATTRS:
        assert name in ours and attr not in ours[name].attr_map and attr in dict(SCHEMA[name]["args"])
    for (name, attr) in DEFAULT_DIFFS:
        assert name in ours and attr in ours[name].attr_map
