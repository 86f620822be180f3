"""Records for ops/nn_basic.py (Activation, LeakyReLU, Dropout, Embedding, SoftmaxActivation, smooth_l1).

The templates run outside ``autograd.record()`` (predict mode) except the gradient checks, which record
(train mode). So: ``LeakyReLU(act_type='rrelu')`` and ``Dropout(mode='training')`` are checked forward in
predict mode (deterministic), their gradients are not template-checked (train-mode draws differ from the
predict-mode numeric evaluation); ``Dropout(mode='always')`` reseeds the generator before each call so
every call draws the same mask, which makes its gradient checkable (forward: specs only). Train-mode
behaviour, fresh masks per call (also compiled) and seeding are tested in ``tests/ops/test_nn_basic.py``.
"""
import math

import numpy as np

from ...errors import AttrError, DTypeError, ShapeError
from . import ErrorCase, OpCase, Sample

A = np.array
_NAN, _INF = float("nan"), float("inf")
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _f64(x):
    return np.asarray(x, dtype=np.float64)


# ---- Activation ------------------------------------------------------------------------------------

def _act_ref(x, act_type):
    z = _f64(x)
    with np.errstate(all="ignore"):
        if act_type == "relu":
            r = np.where(np.isnan(z) | (z > 0), z, 0.0)
        elif act_type == "sigmoid":
            r = 1.0 / (1.0 + np.exp(-z))
        elif act_type == "tanh":
            r = np.tanh(z)
        elif act_type == "softrelu":
            r = np.where(z > 20.0, z, np.log1p(np.exp(np.minimum(z, 20.0))))
        else:
            r = z / (1.0 + np.abs(z))
    return r.astype(x.dtype)


_ACT_EDGE = A([_NAN, -_INF, _INF, -100.0, -30.0, -20.5, -0.0, 0.0, 19.9, 20.0, 20.5, 100.0])


def _activation(act):
    return OpCase("Activation", _act_ref,
                  [Sample(((3, 4),), {"act_type": act}), Sample(((2, 3, 5),), {"act_type": act}),
                   Sample(((0, 3),), {"act_type": act}, note="0-size"),
                   Sample((_ACT_EDGE,), {"act_type": act}, grad=False, note="NaN, inf, large, softrelu cut")],
                  grad2=act != "relu", name=f"Activation_{act}",
                  errors=[ErrorCase(((2, 3),), {"act_type": "gelu"}, AttrError, "act_type='gelu' is not a valid"),
                          ErrorCase(((2, 3),), {}, AttrError, "requires the attribute 'act_type'")])


# ---- LeakyReLU -------------------------------------------------------------------------------------

def _leaky_ref(x, gamma=None, act_type="leaky", slope=0.25, lower_bound=0.125, upper_bound=0.334):
    z = _f64(x)
    with np.errstate(all="ignore"):
        if act_type == "leaky":
            r = np.where(z > 0, z, z * slope)
        elif act_type == "prelu":
            g = _f64(gamma)
            if z.ndim >= 2:
                g = g.reshape((1, -1) + (1,) * (z.ndim - 2))
            r = np.where(z > 0, z, z * g)
        elif act_type == "elu":
            r = np.where(z > 0, z, slope * np.expm1(z))
        elif act_type == "selu":
            r = _SELU_LAMBDA * np.where(z > 0, z, _SELU_ALPHA * np.expm1(z))
        elif act_type == "gelu":
            r = 0.5 * z * (1.0 + _erf(z / math.sqrt(2.0)))
        else:   # rrelu in predict mode: the mean slope; the mask holds it
            s = (lower_bound + upper_bound) / 2.0
            r = np.where(z > 0, z, z * s)
            return r.astype(x.dtype), np.full(z.shape, s).astype(x.dtype)
    return r.astype(x.dtype)


_LEAKY_EDGE = A([_NAN, -_INF, _INF, -50.0, -1.0, -0.0, 0.0, 1.0, 50.0])
_LEAKY_ERRORS = [
    ErrorCase(((2, 3),), {"act_type": "swish"}, AttrError, "act_type='swish' is not a valid"),
    ErrorCase(((2, 3),), {}, DTypeError, "only supports floating point", dtypes=("int32",)),
    ErrorCase(((2, 3),), {"act_type": "prelu"}, ShapeError, "needs the gamma input"),
    ErrorCase(((2, 3), (4,)), {"act_type": "prelu"}, ShapeError, r"gamma has shape \(4,\); prelu needs"),
    ErrorCase(((2, 3), (3,)), {"act_type": "leaky"}, ShapeError, "takes no gamma input"),
    ErrorCase(((2, 3), (3,)), {"act_type": "prelu"}, DTypeError, "gamma is float64",
              dtypes=("float32", "float64")),
    ErrorCase(((2, 3),), {"act_type": "rrelu", "lower_bound": 0.5, "upper_bound": 0.1}, AttrError,
              "lower_bound=0.5 is greater than upper_bound=0.1"),
]


def _leaky(act, attrs=None, **kw):
    name = f"LeakyReLU_{act}" + "".join(f"_{k}{v}" for k, v in (attrs or {}).items())
    attrs = dict(attrs or {}, act_type=act)
    return OpCase("LeakyReLU", _leaky_ref,
                  [Sample(((3, 4),), attrs), Sample(((2, 3, 5),), attrs),
                   Sample(((0, 3),), attrs, note="0-size"),
                   Sample((_LEAKY_EDGE,), attrs, grad=False, note="NaN, inf, signed zeros")],
                  name=name, errors=_LEAKY_ERRORS if act == "leaky" and len(attrs) == 1 else [], **kw)


_PRELU = OpCase(
    "LeakyReLU", _leaky_ref,
    [Sample(((2, 3, 4), (3,)), {"act_type": "prelu"}, note="a slope per channel (axis 1)"),
     Sample(((2, 3), (1,)), {"act_type": "prelu"}, note="one slope"),
     Sample(((4, 3, 2, 2), (3,)), {"act_type": "prelu"}),
     Sample(((5,), (1,)), {"act_type": "prelu"}, note="1-D data"),
     Sample(((0, 3), (3,)), {"act_type": "prelu"}, note="0-size")],
    name="LeakyReLU_prelu", domain=(-2.0, 2.0))


# ---- Dropout ---------------------------------------------------------------------------------------

def _reseeded_dropout(nd, x, **attrs):
    """Dropout after reseeding: every call draws the same mask (a deterministic function of x)."""
    from ... import random
    random.seed(1234)
    return nd.Dropout(x, **attrs)


_DROPOUT_ERRORS = [
    ErrorCase(((2, 3),), {"p": 1.5}, AttrError, "p=1.5 is not a probability"),
    ErrorCase(((2, 3),), {"p": -0.1}, AttrError, "is not a probability"),
    ErrorCase(((2, 3),), {"axes": (2,)}, ShapeError, "axis 2 is out of range"),
    ErrorCase(((2, 3),), {"axes": (-1,)}, ShapeError, "out of range"),
    ErrorCase(((2, 3),), {"mode": "train"}, AttrError, "mode='train' is not a valid"),
    ErrorCase(((2, 3),), {}, DTypeError, "only supports floating point", dtypes=("int32",)),
]

_DROPOUT_PREDICT = OpCase(
    "Dropout", lambda x, **attrs: x,
    [Sample(((3, 4),)), Sample(((2, 3, 4),), {"p": 0.3, "axes": (1,)}), Sample(((0, 3),), note="0-size"),
     Sample((A([_NAN, -_INF, _INF, -0.0]),), {"p": 0.9}, note="predict mode: identity, edge values kept")],
    dtypes=("float32", "float64", "float16"), grad=False, name="Dropout_predict_mode", errors=_DROPOUT_ERRORS)

_DROPOUT_ALWAYS = OpCase(
    "Dropout", None,
    [Sample(((4, 5),), {"mode": "always"}), Sample(((2, 3, 4),), {"mode": "always", "p": 0.3, "axes": (0, 2)}),
     Sample(((3, 4),), {"mode": "always", "p": 0.0}, note="p=0: identity"),
     Sample(((0, 3),), {"mode": "always"}, note="0-size")],
    call=_reseeded_dropout, nondeterministic=True, name="Dropout_always_reseeded")


# ---- Embedding -------------------------------------------------------------------------------------

def _embedding_ref(data, weight, input_dim, output_dim, dtype=None, sparse_grad=False):
    d = _f64(data)
    with np.errstate(all="ignore"):
        ok = np.isfinite(d) & (np.abs(d) < 2.0 ** 63)
        idx = np.where(ok, np.trunc(np.where(ok, d, 0.0)), 0.0)
    idx = np.clip(idx, 0, input_dim - 1).astype(np.int64)
    return weight[idx]


_EMB = {"input_dim": 4, "output_dim": 3}
_EMB_IDX = A([[-1.5, -0.5, 0.4, 0.6], [1.5, 2.5, 3.7, 9.0]])

_EMBEDDING = OpCase(
    "Embedding", _embedding_ref,
    [Sample((_EMB_IDX, (4, 3)), _EMB, note="fractions truncated, out of range clipped, repeats accumulate"),
     Sample((A([3.0, 0.0, 3.0, 1.0, 3.0]), (4, 3)), _EMB),
     Sample((A([[[0.0, 2.0]], [[1.0, 1.0]]]), (5, 2)), {"input_dim": 5, "output_dim": 2}, note="3-D data"),
     Sample((A([_NAN, _INF, -_INF, 1e10, 1e30]), (4, 3)), _EMB, grad=False, note="NaN/inf read row 0"),
     Sample((np.zeros((0, 2)), (4, 3)), _EMB, note="0-size"),
     Sample((A([1.0, 2.0]), (4, 3)), dict(_EMB, dtype="float16", sparse_grad=True), note="attrs accepted")],
    grad_inputs=(1,), name="Embedding",
    errors=[ErrorCase(((2,), (4, 3)), {"input_dim": 5, "output_dim": 3}, ShapeError,
                      r"weight has shape \(4, 3\) but input_dim=5"),
            ErrorCase(((), (4, 3)), _EMB, ShapeError, "data is a scalar"),
            ErrorCase(((2,), (4, 3)), {"output_dim": 3}, AttrError, "requires the attribute 'input_dim'"),
            ErrorCase(((2,), (4, 3)), dict(_EMB, dtype="bool"), AttrError, "dtype"),
            ErrorCase(((2,), (0, 3)), {"input_dim": 0, "output_dim": 3}, ShapeError, "must be positive")])

_EMBEDDING_INT = OpCase(
    "Embedding", _embedding_ref,
    [Sample((A([[0, 3], [2, 7]]), (4, 3)), _EMB, note="int32 indices"), Sample((A([1, 1, 0]), (4, 3)), _EMB)],
    input_dtypes=("int32", None), grad_inputs=(1,), name="Embedding_int_indices")


# ---- SoftmaxActivation, smooth_l1 ------------------------------------------------------------------

def _softmax_act_ref(x, mode="instance"):
    z = _f64(x)
    ax = 1 if mode == "channel" else -1
    if z.size == 0:
        return z.astype(x.dtype)
    e = np.exp(z - z.max(axis=ax, keepdims=True))
    return (e / e.sum(axis=ax, keepdims=True)).astype(x.dtype)


_SOFTMAX_ACT = OpCase(
    "SoftmaxActivation", _softmax_act_ref,
    [Sample(((2, 3, 4),)), Sample(((2, 3, 4),), {"mode": "channel"}), Sample(((2, 3, 2, 2),), {"mode": "channel"}),
     Sample(((5,),), note="1-D"), Sample(((3, 4),)), Sample(((0, 3),), note="0-size")],
    grad2=True, name="SoftmaxActivation",
    errors=[ErrorCase(((2, 3),), {"mode": "channel"}, ShapeError, "at least 3 dimensions"),
            ErrorCase(((),), {}, ShapeError, "scalar"),
            ErrorCase(((2, 3),), {"mode": "batch"}, AttrError, "mode='batch' is not a valid"),
            ErrorCase(((2, 3),), {}, DTypeError, "only supports floating point", dtypes=("int32",))])


def _smooth_l1_ref(x, scalar=1.0):
    z = _f64(x)
    s2 = np.float64(x.dtype.type(scalar)) ** 2
    with np.errstate(all="ignore"):
        t = 1.0 / s2
        r = np.where(z > t, z - 0.5 / s2, np.where(z < -t, -z - 0.5 / s2, 0.5 * z * z * s2))
    return r.astype(x.dtype)


_SL1_EDGE = A([_NAN, -_INF, _INF, -1.0, -0.25, 0.0, 0.25, 1.0, 3.0])

_SMOOTH_L1 = OpCase(
    "smooth_l1", _smooth_l1_ref,
    [Sample(((3, 4),)), Sample(((2, 5),), {"scalar": 2.0}), Sample(((4,),), {"scalar": 0.5}),
     Sample((_SL1_EDGE,), grad=False, note="edges, the kinks at |x| = 1/sigma**2"),
     Sample((_SL1_EDGE,), {"scalar": 2.0}, grad=False), Sample((_SL1_EDGE,), {"scalar": 0.0}, grad=False,
                                                             note="sigma=0: 0 (inf*0 = NaN at inf)"),
     Sample(((0, 3),), note="0-size")],
    name="smooth_l1", domain=(-3.0, 3.0),
    errors=[ErrorCase(((2, 3),), {"scaler": 2.0}, AttrError, "Did you mean 'scalar'")])


CASES = ([_activation(a) for a in ("relu", "sigmoid", "tanh", "softrelu", "softsign")]
         + [_leaky("leaky"), _leaky("leaky", {"slope": 0.1}), _leaky("elu", {"slope": 0.7}), _leaky("selu"),
            _leaky("gelu"), _PRELU, _leaky("rrelu", grad=False)]
         + [_DROPOUT_PREDICT, _DROPOUT_ALWAYS, _EMBEDDING, _EMBEDDING_INT, _SOFTMAX_ACT, _SMOOTH_L1])
