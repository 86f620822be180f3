"""Record how MXNet 1.9.1 names ops and writes their attributes in ``-symbol.json`` (never a hybridnet
dependency).

Run:  /work/mx-oracle/bin/python tests/golden/make_attr_goldens.py

Writes ``mxnet_attr_encoding.json`` with
- ``cases``: one per op call made with ``mx.sym`` the way users write it (an ``mx.sym.<name>(...)``
  call, an ``mx.sym.random.<name>(...)`` wrapper, or a Python expression such as ``data + 1``). Each
  case holds the kwargs as given (JSON, see ``_enc``), and the ``op`` and ``attrs`` of the node MXNet
  wrote in ``tojson()`` -- exactly, as strings;
- ``registry``: for every operator name MXNet registers (canonical names and aliases) the canonical
  name ``tojson()`` writes, and for every canonical legacy op its attribute names, their
  type/default strings as ``MXSymbolGetAtomicSymbolInfo`` reports them, and ``key_var_num_args``;
- ``facts``: what the cases show about MXNet's encoding, checked here by assertion.

Kwargs encoding (``_enc``): JSON scalars and lists are themselves; a tuple is ``{"tuple": [...]}``; a
NumPy type object (``np.float16``) is ``{"np_type": "float16"}``; a NumPy scalar is
``{"np_scalar": "float32", "repr": "1.5"}``; a context is ``{"device": "cpu(0)"}``.
"""
import ctypes
import json
import os

import numpy as np
import mxnet as mx
from mxnet.base import _LIB, c_str, check_call, mx_uint, py_str

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "mxnet_attr_encoding.json")

T = tuple   # readability in the case table: T((0, 1)) is the tuple (0, 1)


def _enc(v):
    if isinstance(v, tuple):
        return {"tuple": [_enc(x) for x in v]}
    if isinstance(v, list):
        return [_enc(x) for x in v]
    if isinstance(v, dict):
        return {k: _enc(x) for k, x in v.items()}
    if isinstance(v, type) and issubclass(v, np.generic):
        return {"np_type": np.dtype(v).name}
    if isinstance(v, np.generic):
        return {"np_scalar": np.dtype(type(v)).name, "repr": str(v)}
    if isinstance(v, mx.Context):
        return {"device": str(v)}
    assert v is None or isinstance(v, (bool, int, float, str)), v
    return v


# ---- the cases --------------------------------------------------------------------------------
# (fn, n_inputs, kwargs): fn is a dotted path under mx.sym ("sum", "_mod", "random.uniform");
# n_inputs Symbols named data, data1, ... are passed positionally.

UNARY = ["negative", "abs", "sign", "round", "rint", "ceil", "floor", "trunc", "fix", "identity", "_copy",
         "BlockGrad", "stop_gradient", "zeros_like", "ones_like", "square", "sqrt", "rsqrt", "cbrt", "rcbrt",
         "reciprocal", "exp", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin",
         "arccos", "arctan", "degrees", "radians", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
         "relu", "sigmoid", "softsign", "erf", "erfinv", "gamma", "gammaln", "Flatten",
         "flatten", "argmax_channel", "shape_array", "size_array", "_shuffle"]

BINARY = ["broadcast_add", "broadcast_plus", "broadcast_sub", "broadcast_minus", "broadcast_mul",
          "broadcast_div", "broadcast_mod", "broadcast_power", "broadcast_maximum", "broadcast_minimum",
          "broadcast_hypot", "broadcast_equal", "broadcast_not_equal", "broadcast_greater",
          "broadcast_greater_equal", "broadcast_lesser", "broadcast_lesser_equal", "broadcast_logical_and",
          "broadcast_logical_or", "broadcast_logical_xor", "elemwise_add", "elemwise_sub", "elemwise_mul",
          "elemwise_div", "_add", "_plus", "_Plus", "_sub",
          "_minus", "_Minus", "_mul", "_Mul", "_div",
          "_Div", "_mod", "_Mod", "_power", "_Power",
          "_maximum", "_Maximum", "_minimum", "_Minimum",
          "_hypot", "_equal", "_not_equal", "_greater",
          "_greater_equal", "_lesser", "_lesser_equal",
          "_logical_and", "_logical_or", "_logical_xor", "dot", "batch_dot",
          "reshape_like", "slice_like", "broadcast_like", "take", "pick", "gather_nd"]

SCALAR_OPS = ["_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
              "_rdiv_scalar", "_mod_scalar", "_rmod_scalar", "_power_scalar", "_rpower_scalar",
              "_maximum_scalar", "_minimum_scalar", "_hypot_scalar", "_equal_scalar", "_not_equal_scalar",
              "_greater_scalar", "_greater_equal_scalar", "_lesser_scalar", "_lesser_equal_scalar",
              "_logical_and_scalar", "_logical_or_scalar", "_logical_xor_scalar"]

REDUCE = ["sum", "sum_axis", "mean", "prod", "max", "max_axis", "min", "min_axis", "nansum", "nanprod"]

CALLS = (
    [(u, 1, {}) for u in UNARY]
    + [(b, 2, {}) for b in BINARY]
    + [(s, 1, {"scalar": v}) for s in SCALAR_OPS for v in (1, 1.5)]
    + [("_plus_scalar", 1, {"scalar": -2}), ("_mul_scalar", 1, {"scalar": 0.1}),
       ("_mul_scalar", 1, {"scalar": 1e-20}), ("_mul_scalar", 1, {"scalar": 1e20}),
       ("_div_scalar", 1, {"scalar": 3.0}), ("_plus_scalar", 1, {"scalar": "2"}),
       ("_plus_scalar", 1, {"scalar": np.float32(1.5)}),
       ("_mul_scalar", 1, {"scalar": np.int64(3)})]
    + [(r, 1, kw) for r in REDUCE for kw in (
        {}, {"axis": 1}, {"axis": -1}, {"axis": T((0, 1))}, {"axis": [0, 2]}, {"axis": T((1,))},
        {"axis": None}, {"axis": 1, "keepdims": True}, {"axis": 0, "exclude": True},
        {"axis": T((0, 1)), "keepdims": False, "exclude": False}, {"keepdims": 1})]
    + [("argmax", 1, {}), ("argmax", 1, {"axis": 1}), ("argmax", 1, {"axis": None}),
       ("argmax", 1, {"axis": -1, "keepdims": True}), ("argmin", 1, {"axis": 0, "keepdims": False}),
       ("norm", 1, {}), ("norm", 1, {"ord": 1}), ("norm", 1, {"axis": 1}), ("norm", 1, {"axis": T((0, 1))}),
       ("norm", 1, {"ord": 2, "axis": -1, "keepdims": True}), ("norm", 1, {"out_dtype": "float64"})]
    + [(s, 1, kw) for s in ("softmax", "log_softmax", "softmin") for kw in (
        {}, {"axis": 1}, {"axis": -1, "temperature": 2}, {"temperature": 0.5}, {"temperature": None},
        {"dtype": "float64"}, {"dtype": np.float16}, {"axis": 0, "temperature": 1.0, "dtype": "float32"})]
    + [("softmax", 2, {"use_length": True, "axis": -1}), ("softmax", 1, {"dtype": None}),
       ("argsort", 1, {"dtype": None}), ("norm", 1, {"out_dtype": None})]
    + [("Reshape", 1, {"shape": T((2, -1))}), ("Reshape", 1, {"shape": [0, -1]}),
       ("Reshape", 1, {"shape": T((-2,))}), ("Reshape", 1, {"shape": T((-3, -1))}),
       ("Reshape", 1, {"shape": T((2, -4, -1, 3))}), ("Reshape", 1, {"shape": T((-1, 0)), "reverse": True}),
       ("Reshape", 1, {"shape": T((6,)), "reverse": False}), ("reshape", 1, {"shape": T((0, 0, -1))}),
       ("Reshape", 1, {"shape": 6}),
       ("broadcast_to", 1, {"shape": T((2, 3))}), ("broadcast_to", 1, {"shape": [0, 4]}),
       ("reshape_like", 2, {"lhs_begin": 1, "lhs_end": None, "rhs_begin": 0, "rhs_end": 2}),
       ("reshape_like", 2, {"lhs_begin": -2}),
       ("transpose", 1, {}), ("transpose", 1, {"axes": T((1, 0))}), ("transpose", 1, {"axes": [2, 0, 1]}),
       ("SwapAxis", 1, {"dim1": 0, "dim2": 1}), ("swapaxes", 1, {"dim1": 1, "dim2": 2}), ("swapaxes", 1, {}),
       ("expand_dims", 1, {"axis": 0}), ("expand_dims", 1, {"axis": -1}),
       ("squeeze", 1, {}), ("squeeze", 1, {"axis": 1}), ("squeeze", 1, {"axis": T((0, 2))}),
       ("squeeze", 1, {"axis": None}),
       ("reverse", 1, {"axis": 0}), ("reverse", 1, {"axis": T((0, 1))}), ("flip", 1, {"axis": [1]}),
       ("Concat", 2, {}), ("Concat", 3, {"dim": 0}), ("concat", 2, {"dim": -1}),
       ("Concat", 2, {"dim": 1, "num_args": 2}), ("stack", 2, {}), ("stack", 3, {"axis": 1}),
       ("stack", 2, {"axis": -1, "num_args": 2}),
       ("SliceChannel", 1, {"num_outputs": 2}), ("split", 1, {"num_outputs": 3, "axis": 0}),
       ("split", 1, {"num_outputs": 2, "axis": -1, "squeeze_axis": True}),
       ("split", 1, {"num_outputs": 2, "squeeze_axis": 0}),
       ("slice", 1, {"begin": T((0, 1)), "end": T((2, 3))}),
       ("slice", 1, {"begin": T((0, None)), "end": T((None, 3))}),
       ("slice", 1, {"begin": [1, None], "end": [None, -1], "step": [1, 2]}),
       ("slice", 1, {"begin": T((None,)), "end": T((None,)), "step": T((-1,))}),
       ("slice", 1, {"begin": T((0,)), "end": T((2,)), "step": T(())}),
       ("crop", 1, {"begin": T((0, 0)), "end": T((1, 1))}),
       ("slice_axis", 1, {"axis": 0, "begin": 1, "end": 3}),
       ("slice_axis", 1, {"axis": -1, "begin": 0, "end": None}),
       ("slice_axis", 1, {"axis": 1, "begin": -2, "end": -1}),
       ("slice_like", 2, {"axes": T((0,))}), ("slice_like", 2, {"axes": [0, 1]}),
       ("tile", 1, {"reps": T((2, 3))}), ("tile", 1, {"reps": [2]}), ("tile", 1, {"reps": 2}),
       ("repeat", 1, {"repeats": 2}), ("repeat", 1, {"repeats": 3, "axis": 1}),
       ("repeat", 1, {"repeats": 2, "axis": None}),
       ("Pad", 1, {"mode": "constant", "pad_width": T((0, 0, 0, 0, 1, 1, 2, 2))}),
       ("pad", 1, {"mode": "edge", "pad_width": T((0, 0, 0, 0, 1, 1, 1, 1))}),
       ("Pad", 1, {"mode": "constant", "pad_width": [0, 0, 0, 0, 1, 1, 1, 1], "constant_value": 1.5}),
       ("Pad", 1, {"mode": "reflect", "pad_width": T((0, 0, 0, 0, 1, 1, 1, 1)), "constant_value": 0}),
       ("broadcast_like", 2, {"lhs_axes": T((0,)), "rhs_axes": T((1,))}),
       ("broadcast_like", 2, {"lhs_axes": None}),
       ("broadcast_axis", 1, {"axis": 0, "size": 3}),
       ("broadcast_axes", 1, {"axis": T((0, 2)), "size": T((2, 4))}),
       ("diag", 1, {}), ("diag", 1, {"k": 1}), ("diag", 1, {"k": -1, "axis1": 1, "axis2": 2}),
       ("depth_to_space", 1, {"block_size": 2}), ("space_to_depth", 1, {"block_size": 2})]
    + [("take", 2, {"axis": 1}), ("take", 2, {"mode": "wrap"}), ("take", 2, {"axis": -1, "mode": "raise"}),
       ("take", 2, {"axis": 0, "mode": "clip"}),
       ("pick", 2, {"axis": 1}), ("pick", 2, {"axis": -1, "keepdims": True, "mode": "wrap"}),
       ("pick", 2, {"axis": None}),
       ("scatter_nd", 2, {"shape": T((3, 4))}), ("scatter_nd", 2, {"shape": 5}),
       ("one_hot", 1, {"depth": 3}), ("one_hot", 1, {"depth": 4, "on_value": 2, "off_value": -1.5}),
       ("one_hot", 1, {"depth": 4, "dtype": "int32"}), ("one_hot", 1, {"depth": 2, "dtype": np.float64}),
       ("where", 3, {})]
    + [("dot", 2, {"transpose_a": True}), ("dot", 2, {"transpose_b": True, "transpose_a": False}),
       ("dot", 2, {"transpose_a": 1, "transpose_b": 0}), ("dot", 2, {"forward_stype": "default"}),
       ("batch_dot", 2, {"transpose_b": True}),
       ("FullyConnected", 3, {"num_hidden": 4}), ("FullyConnected", 2, {"num_hidden": 4, "no_bias": True}),
       ("FullyConnected", 3, {"num_hidden": 8, "flatten": False, "no_bias": False})]
    + [("sort", 1, {}), ("sort", 1, {"axis": 0}), ("sort", 1, {"axis": None, "is_ascend": False}),
       ("argsort", 1, {"axis": -1, "is_ascend": True, "dtype": "int32"}), ("argsort", 1, {"dtype": np.float64}),
       ("topk", 1, {}), ("topk", 1, {"k": 2, "ret_typ": "value"}),
       ("topk", 1, {"axis": 0, "k": 3, "ret_typ": "both", "is_ascend": True}),
       ("topk", 1, {"ret_typ": "mask", "dtype": "int64"}), ("topk", 1, {"axis": None, "k": 2})]
    + [("Cast", 1, {"dtype": "float16"}), ("cast", 1, {"dtype": np.int32}), ("Cast", 1, {"dtype": "uint8"}),
       ("amp_cast", 1, {"dtype": "float16"}),
       ("hard_sigmoid", 1, {}), ("hard_sigmoid", 1, {"alpha": 0.1, "beta": 0.6}),
       ("clip", 1, {"a_min": 0, "a_max": 1}), ("clip", 1, {"a_min": -1.5, "a_max": 2.5}),
       ("clip", 1, {"a_min": 0.0, "a_max": 6})]
    + [("Activation", 1, {"act_type": "relu"}), ("Activation", 1, {"act_type": "softrelu"}),
       ("LeakyReLU", 1, {}), ("LeakyReLU", 1, {"act_type": "elu", "slope": 1.0}),
       ("LeakyReLU", 1, {"act_type": "gelu"}), ("LeakyReLU", 2, {"act_type": "prelu"}),
       ("LeakyReLU", 1, {"act_type": "rrelu", "lower_bound": 0.1, "upper_bound": 0.3}),
       ("Dropout", 1, {"p": 0.5, "axes": T(()), "cudnn_off": False}), ("Dropout", 1, {"p": 0.3, "axes": 1}),
       ("Dropout", 1, {"mode": "always", "axes": [0, 2]}),
       ("Embedding", 2, {"input_dim": 10, "output_dim": 4}),
       ("Embedding", 2, {"input_dim": 5, "output_dim": 2, "dtype": "float16", "sparse_grad": True}),
       ("SoftmaxActivation", 1, {}), ("SoftmaxActivation", 1, {"mode": "channel"}),
       ("smooth_l1", 1, {"scalar": 1}), ("smooth_l1", 1, {"scalar": 2.5})]
    + [("_random_uniform", 0, {"low": 0, "high": 2, "shape": T((2, 3))}),
       ("random_uniform", 0, {"shape": T((2,)), "dtype": "float64", "ctx": mx.cpu(0)}),
       ("uniform", 0, {"low": -1.5, "high": 1.5, "shape": 3}),
       ("_random_uniform", 0, {"shape": [4], "ctx": "cpu(0)"}),
       ("random_normal", 0, {"loc": 1, "scale": 2.5, "shape": T((2, 2)), "dtype": "float16"}),
       ("normal", 0, {"shape": T((3,))}),
       ("random_exponential", 0, {"lam": 2, "shape": T((2,))}),
       ("random_gamma", 0, {"alpha": 2, "beta": 0.5, "shape": T((2,))}),
       ("random_poisson", 0, {"lam": 3.0, "shape": T((4,)), "dtype": "float64"}),
       ("random_randint", 0, {"low": 0, "high": 5, "shape": T((3,)), "dtype": "int64"}),
       ("_random_uniform_like", 1, {"low": 0, "high": 2}),
       ("_random_normal_like", 1, {"loc": 0.5, "scale": 1}),
       ("_random_exponential_like", 1, {"lam": 2}),
       ("_random_gamma_like", 1, {"alpha": 1, "beta": 2}),
       ("_random_poisson_like", 1, {"lam": 4.0}),
       ("sample_uniform", 2, {"shape": T((2,))}), ("sample_normal", 2, {"shape": T((2, 3)), "dtype": "float64"}),
       ("sample_exponential", 1, {"shape": 2}), ("sample_gamma", 2, {}),
       ("sample_poisson", 1, {"dtype": "float16"}),
       ("sample_multinomial", 1, {"shape": 2, "get_prob": True}),
       ("sample_multinomial", 1, {"dtype": "int32"}), ("shuffle", 1, {})]
)

# MXNet's Python wrappers (mx.sym.random.*): the op gets the kwargs in the third column (the wrapper
# always passes the distribution parameters, defaults included); checked here against a direct op call.
WRAPPERS = [
    ("random.uniform", {"shape": T((2, 3))}, {"low": 0, "high": 1, "shape": T((2, 3))}),
    ("random.uniform", {"low": 0, "high": 2, "shape": T((2, 3)), "ctx": mx.cpu(0), "dtype": "float64"},
     {"low": 0, "high": 2, "shape": T((2, 3)), "ctx": mx.cpu(0), "dtype": "float64"}),
    ("random.normal", {"shape": 4}, {"loc": 0, "scale": 1, "shape": 4}),
    ("random.normal", {"loc": 1.5, "scale": 2, "shape": T((2,)), "dtype": np.float16},
     {"loc": 1.5, "scale": 2, "shape": T((2,)), "dtype": np.float16}),
    ("random.exponential", {"scale": 2, "shape": T((2,))}, {"lam": 0.5, "shape": T((2,))}),
    ("random.gamma", {"shape": T((2,))}, {"alpha": 1, "beta": 1, "shape": T((2,))}),
    ("random.poisson", {"lam": 3, "shape": T((2,))}, {"lam": 3, "shape": T((2,))}),
    ("random.randint", {"low": 0, "high": 5, "shape": T((2,))}, {"low": 0, "high": 5, "shape": T((2,))}),
    ("random.multinomial", {"shape": 2, "get_prob": False}, {"shape": 2, "get_prob": False, "dtype": "int32"}),
]
_WRAPPER_OP = {"random.uniform": "_random_uniform", "random.normal": "_random_normal",
               "random.exponential": "_random_exponential", "random.gamma": "_random_gamma",
               "random.poisson": "_random_poisson", "random.randint": "_random_randint",
               "random.multinomial": "_sample_multinomial"}
_WRAPPER_INPUTS = {"random.multinomial": 1}

# Python operators on a Symbol and a scalar (Symbol op Symbol is elemwise_* on MXNet's Symbol but
# broadcast_* in hybridnet by design, so it is not recorded). `data` is the Symbol.
EXPRS = ["data + 1", "data + 1.5", "1 + data", "data + 0.1", "data + True", "data - 2", "data - 2.5",
         "1 - data", "1.5 - data", "data * 3", "data * 0.5", "2 * data", "data / 4", "data / 0.5",
         "1 / data", "data % 3", "5 % data", "data ** 2", "data ** 0.5", "2 ** data", "data == 1",
         "data != 1", "data > 0.5", "data >= 0", "data < 1", "data <= 2", "data + (-3)", "data * 1e20",
         "mx.sym.maximum(data, 2)", "mx.sym.maximum(2, data)", "mx.sym.minimum(data, 0.5)",
         "mx.sym.power(data, 2)", "mx.sym.power(2, data)", "mx.sym.hypot(data, 3)", "-data"]


def _resolve(path):
    """The mx.sym function for a dotted path or an operator name (``_mod`` lives in ``mx.sym._internal``,
    ``_random_uniform_like`` is ``mx.sym.random.uniform_like``)."""
    if "." not in path and not hasattr(mx.sym, path):
        if hasattr(mx.sym._internal, path):
            path = "_internal." + path
        elif path.startswith("_random_"):
            path = "random." + path[len("_random_"):]
    obj = mx.sym
    for p in path.split("."):
        obj = getattr(obj, p)
    return obj


def _node(sym):
    nodes = json.loads(sym.tojson())["nodes"]
    n = nodes[-1]
    return n["op"], n.get("attrs", {})


def _inputs(n):
    return [mx.sym.var("data" if i == 0 else f"data{i}") for i in range(n)]


def _call(fn, n, kwargs):
    s = _resolve(fn)(*_inputs(n), **dict(kwargs))
    return s[0] if isinstance(s, list) else s


def make_cases():
    cases = []
    for fn, n, kw in CALLS:
        try:
            op, attrs = _node(_call(fn, n, kw))
        except mx.base.MXNetError as e:
            cases.append({"fn": fn, "n_inputs": n, "kwargs": _enc(kw), "error": str(e).splitlines()[0]})
            continue
        cases.append({"fn": fn, "n_inputs": n, "kwargs": _enc(kw), "op": op, "attrs": attrs})
    for fn, user_kw, op_kw in WRAPPERS:
        n = _WRAPPER_INPUTS.get(fn, 0)
        op, attrs = _node(_call(fn, n, user_kw))
        assert (op, attrs) == _node(_call(_WRAPPER_OP[fn], n, op_kw)), (fn, user_kw)
        cases.append({"fn": _WRAPPER_OP[fn], "wrapper": "mx.sym." + fn, "wrapper_kwargs": _enc(user_kw),
                      "n_inputs": n, "kwargs": _enc(op_kw), "op": op, "attrs": attrs})
    for e in EXPRS:
        try:
            op, attrs = _node(eval(e, {"mx": mx, "data": mx.sym.var("data")}))
        except mx.base.MXNetError as err:
            cases.append({"expr": e, "error": str(err).splitlines()[0]})
            continue
        cases.append({"expr": e, "op": op, "attrs": attrs})
    return cases


# ---- the registry: canonical names, attribute names, types and defaults -------------------------

def _op_names():
    size, plist = ctypes.c_uint(), ctypes.POINTER(ctypes.c_char_p)()
    check_call(_LIB.MXListAllOpNames(ctypes.byref(size), ctypes.byref(plist)))
    return sorted(py_str(plist[i]) for i in range(size.value))


def _op_info(name):
    hdl = ctypes.c_void_p()
    check_call(_LIB.NNGetOpHandle(c_str(name), ctypes.byref(hdl)))
    real, desc, num = ctypes.c_char_p(), ctypes.c_char_p(), mx_uint()
    an, at, ad = (ctypes.POINTER(ctypes.c_char_p)() for _ in range(3))
    kv, rt = ctypes.c_char_p(), ctypes.c_char_p()
    check_call(_LIB.MXSymbolGetAtomicSymbolInfo(hdl, ctypes.byref(real), ctypes.byref(desc), ctypes.byref(num),
                                                ctypes.byref(an), ctypes.byref(at), ctypes.byref(ad),
                                                ctypes.byref(kv), ctypes.byref(rt)))
    args = [[py_str(an[i]), py_str(at[i])] for i in range(num.value)]
    return py_str(real.value), args, py_str(kv.value)


_SKIP_SCHEMA = ("_npi_", "_np_", "_npx_", "_contrib_", "_image_", "_sg_", "_backward_np", "_split_v2")


def make_registry():
    canonical, schema = {}, {}
    for n in _op_names():
        real, args, kv = _op_info(n)
        canonical[n] = real
        if n == real and not n.startswith(_SKIP_SCHEMA):
            schema[n] = {"args": args, "key_var_num_args": kv}
    return {"canonical": canonical, "schema": schema}


def check_facts(cases):
    """What the cases show about MXNet's encoding; asserted so a change of oracle is noticed."""
    by = {(c.get("fn"), json.dumps(c.get("kwargs"), sort_keys=True)) if "fn" in c else c["expr"]: c
          for c in cases}

    def get(fn, kw):
        return by[(fn, json.dumps(_enc(kw), sort_keys=True))]
    facts = {
        "only the attrs given are written, defaults included when given; no others":
            get("sum", {})["attrs"] == {} and get("sum", {"axis": T((0, 1)), "keepdims": False, "exclude": False})[
                "attrs"] == {"axis": "(0, 1)", "keepdims": "False", "exclude": "False"},
        "a value is written as Python's str(value)":
            get("sum", {"axis": [0, 2]})["attrs"] == {"axis": "[0, 2]"}
            and get("Reshape", {"shape": 6})["attrs"] == {"shape": "6"}
            and get("sum", {"keepdims": 1})["attrs"] == {"keepdims": "1"}
            and get("sum", {"axis": None})["attrs"] == {"axis": "None"}
            and by["data * 1e20"]["attrs"] == {"scalar": "1e+20"},
        "x + 1 writes '1' and x + 1.5 writes '1.5'":
            by["data + 1"]["attrs"] == {"scalar": "1"} and by["data + 1.5"]["attrs"] == {"scalar": "1.5"},
        "None is written 'None'":
            get("softmax", {"temperature": None})["attrs"] == {"temperature": "None"}
            and get("norm", {"out_dtype": None})["attrs"] == {"out_dtype": "None"},
        "an attr named dtype is written as np.dtype(value).name (legacy front end), so dtype=None is "
        "'float64' (and MXNet then computes in float64)":
            get("softmax", {"dtype": np.float16})["attrs"] == {"dtype": "float16"}
            and get("softmax", {"dtype": None})["attrs"] == {"dtype": "float64"}
            and get("argsort", {"dtype": None})["attrs"] == {"dtype": "float64"},
        "variadic ops add num_args = the number of inputs when it is not given":
            get("Concat", {})["attrs"] == {"num_args": "2"},
        "mx.sym.maximum/minimum/power/hypot(x, 2) write the scalar as given, like x + 2":
            by["mx.sym.maximum(data, 2)"]["attrs"] == {"scalar": "2"}
            and by["mx.sym.power(2, data)"] == {"expr": "mx.sym.power(2, data)", "op": "_rpower_scalar",
                                                 "attrs": {"scalar": "2"}},
        "a bool scalar is an error (x + True)": "error" in by["data + True"],
        "-x is _mul_scalar with scalar '-1.0' on MXNet's Symbol": by["-data"]["op"] == "_mul_scalar",
    }
    bad = [k for k, v in facts.items() if not v]
    assert not bad, bad
    return list(facts)


def main():
    cases = make_cases()
    data = {"mxnet_version": mx.__version__, "facts": check_facts(cases), "cases": cases,
            "registry": make_registry()}
    with open(OUT, "w") as f:
        f.write("{\n")
        items = list(data.items())
        for i, (k, v) in enumerate(items):
            f.write(f"{json.dumps(k)}: ")
            if k == "cases":
                f.write("[\n" + ",\n".join(json.dumps(c, sort_keys=True) for c in v) + "\n]")
            elif k == "registry":
                f.write("{\n" + ",\n".join(f"{json.dumps(rk)}: " + json.dumps(rv, sort_keys=True)
                                           for rk, rv in v.items()) + "\n}")
            else:
                f.write(json.dumps(v, indent=1))
            f.write(",\n" if i < len(items) - 1 else "\n")
        f.write("}\n")
    print(f"wrote {OUT}: {len(cases)} cases, {len(data['registry']['canonical'])} op names")


if __name__ == "__main__":
    main()
