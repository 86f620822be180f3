"""Records for ops/unary.py."""
import math

import numpy as np

from ...errors import AttrError
from . import ErrorCase, OpCase, Sample

_S = [Sample(((3, 4),)), Sample(((2, 3, 5),)), Sample(((0, 3),), note="0-size"), Sample(((),), note="0-d")]


def _vec(f):
    return lambda x: np.vectorize(f, otypes=[x.dtype])(x) if x.size else x.copy()


def _u(op, ref, domain=(-2.0, 2.0), grad2=False, grad=True, edge=None, int_dtypes=(), **kw):
    samples = list(_S)
    if edge is not None:
        samples.append(Sample((np.array(edge),), grad=False, note="edge values"))
    return OpCase(op, ref, samples, domain=domain, grad2=grad2, grad=grad, int_dtypes=int_dtypes, **kw)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


CASES = [
    _u("negative", np.negative, grad2=True, int_dtypes=("int32",)),
    _u("abs", np.abs, int_dtypes=("int32",), edge=[0.0, -0.0, np.inf, -np.inf]),
    _u("sign", np.sign, int_dtypes=("int32",), edge=[0.0, -3.0, 2.0]),
    _u("round", _round_half_away, edge=[0.5, -0.5, 1.5, 2.5, -2.5]),
    _u("rint", np.rint, edge=[0.5, 1.5, 2.5, -0.5]),
    _u("ceil", np.ceil), _u("floor", np.floor), _u("trunc", np.trunc), _u("fix", np.fix),
    _u("_copy", lambda x: x.copy()),
    _u("BlockGrad", lambda x: x.copy(), grad=False),
    _u("zeros_like", np.zeros_like, edge=[np.nan, np.inf]),
    _u("ones_like", np.ones_like),
    _u("square", np.square, grad2=True, int_dtypes=("int32", "int64")),
    _u("sqrt", np.sqrt, domain=(0.5, 3.0), grad2=True, edge=[0.0, 1.0, np.inf]),
    _u("rsqrt", lambda x: 1 / np.sqrt(x), domain=(0.5, 3.0), grad2=True),
    _u("cbrt", np.cbrt, domain=(0.5, 3.0), grad2=True, edge=[-8.0, 0.0, 27.0]),
    _u("rcbrt", lambda x: 1 / np.cbrt(x), domain=(0.5, 3.0)),
    _u("reciprocal", np.reciprocal, domain=(0.5, 3.0), grad2=True),
    _u("exp", np.exp, grad2=True, edge=[-np.inf, 0.0, 100.0]),
    _u("expm1", np.expm1, grad2=True),
    _u("log", np.log, domain=(0.5, 3.0), grad2=True, edge=[0.0, -1.0, np.inf]),
    _u("log2", np.log2, domain=(0.5, 3.0)),
    _u("log10", np.log10, domain=(0.5, 3.0)),
    _u("log1p", np.log1p, domain=(-0.5, 3.0)),
    _u("sin", np.sin, grad2=True), _u("cos", np.cos, grad2=True), _u("tan", np.tan, domain=(-1.0, 1.0), grad2=True),
    _u("arcsin", np.arcsin, domain=(-0.9, 0.9), grad2=True),
    _u("arccos", np.arccos, domain=(-0.9, 0.9)),
    _u("arctan", np.arctan, grad2=True),
    _u("degrees", np.degrees), _u("radians", np.radians),
    _u("sinh", np.sinh, grad2=True), _u("cosh", np.cosh), _u("tanh", np.tanh, grad2=True),
    _u("arcsinh", np.arcsinh), _u("arccosh", np.arccosh, domain=(1.2, 3.0)),
    _u("arctanh", np.arctanh, domain=(-0.9, 0.9)),
    _u("relu", lambda x: np.maximum(x, 0).astype(x.dtype), int_dtypes=("int32",), edge=[0.0, -1.0, np.nan]),
    _u("sigmoid", _sigmoid, grad2=True, edge=[-100.0, 0.0, 100.0]),
    OpCase("hard_sigmoid", lambda x, alpha=0.2, beta=0.5: np.clip(alpha * x + beta, 0, 1),
           [Sample(((3, 4),)), Sample(((5,),), {"alpha": 0.5, "beta": 0.1})], domain=(-1.5, 1.5)),
    _u("softsign", lambda x: x / (1 + np.abs(x)), grad2=True),
    _u("softrelu", lambda x: np.logaddexp(0, x), grad2=True, edge=[-100.0, 0.0, 100.0]),
    _u("erf", _vec(math.erf), grad2=True),
    _u("erfinv", _vec(lambda v: _erfinv_ref(v)), domain=(-0.9, 0.9), edge=[-1.0, 0.0, 1.0]),
    _u("digamma", _vec(lambda v: _digamma_ref(v)), domain=(0.5, 4.0), edge=[-0.5, 1.0, 10.0], rtol=1e-7, atol=1e-9),
    _u("gamma", _vec(math.gamma), domain=(0.5, 4.0)),
    _u("_trigamma", _vec(lambda v: (_digamma_ref(v + 1e-4) - _digamma_ref(v - 1e-4)) / 2e-4), domain=(0.5, 4.0),
       grad=False, rtol=1e-5),
    _u("gammaln", _vec(math.lgamma), domain=(0.5, 4.0), grad2=True),
    OpCase("clip", lambda x, a_min, a_max: np.clip(x, a_min, a_max).astype(x.dtype),
           [Sample(((3, 4),), {"a_min": -0.5, "a_max": 0.7}), Sample(((0,),), {"a_min": 0, "a_max": 1}),
            Sample((np.array([-1.0, 0.3, 2.0]),), {"a_min": 0, "a_max": 1})],
           int_dtypes=("int32",),
           errors=[ErrorCase(((2,),), {"a_min": 0}, AttrError, "requires the attribute 'a_max'"),
                   ErrorCase(((2,),), {"a_min": 0, "a_max": 1, "a_mx": 2}, AttrError, "Did you mean 'a_max'")]),
]


def _erfinv_ref(y):
    if abs(y) >= 1:
        return math.copysign(math.inf, y) if abs(y) == 1 else math.nan
    lo, hi = -10.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if math.erf(mid) < y:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _digamma_ref(x, h=1e-5):
    if x <= 0 and x == math.floor(x):
        return math.nan
    if x < 0.5:
        return _digamma_ref(1 - x) - math.pi / math.tan(math.pi * x)
    # derivative of lgamma by Richardson-extrapolated central differences
    d1 = (math.lgamma(x + h) - math.lgamma(x - h)) / (2 * h)
    d2 = (math.lgamma(x + 2 * h) - math.lgamma(x - 2 * h)) / (4 * h)
    return (4 * d1 - d2) / 3
