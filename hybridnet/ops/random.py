"""Random sampling ops with MXNet 1.9.1's names and attributes (``src/operator/random/``).

- ``_random_<dist>`` (``random_uniform``, ``uniform``, ``random_normal``, ...): scalar parameters, no
  array input; the output lives on the ``ctx`` attribute's device (default: the current device),
  shape ``shape`` (required), dtype ``dtype`` (``None`` -> float32; randint: int32).
- ``_random_<dist>_like``: the shape, dtype and device of ``data``.
- ``_sample_<dist>`` (``sample_uniform``, ...): one distribution per element of the parameter arrays;
  output shape ``param.shape + shape``, dtype ``dtype`` (``None`` -> float32, whatever the inputs).
- ``_sample_multinomial`` (categorical draws along the last axis, optional log-probabilities, with
  MXNet's REINFORCE gradient) and ``_shuffle`` (permutes the first axis).

Every op here has ``effects=True`` (never folded or deduplicated). Draws come from the per-device
generator that ``mx.random.seed`` reseeds (``hybridnet/kernels/rng.py``). Gradients: MXNet gives zero
gradients to the parameters of ``_sample_*`` and to ``data`` of the ``*_like`` ops, and so do these
(the rules return ``None``); ``_shuffle`` is not differentiable (as in MXNet).
"""
import numpy as np

from .. import dtypes
from ..device import resolve
from ..errors import AttrError, DTypeError, ShapeError
from . import api as F
from .check import op_error
from .opdef import REQUIRED, Attr, Bool, DeviceAttr, DType, Float, Int, Pattern, Shape
from .registry import defop
from .spec import TensorSpec

__all__ = ["DTypeIn"]


class DTypeIn(DType):
    """A dtype restricted to ``allowed`` names (``None`` allowed when ``none_ok``)."""

    def __init__(self, *allowed, none_ok=True):
        self.allowed = tuple(np.dtype(a) for a in allowed)
        self.none_ok = none_ok
        names = (["'None'"] if none_ok else []) + [f"'{np.dtype(a).name}'" for a in allowed]
        self.name = "dtype, one of " + ", ".join(names)

    def coerce(self, v):
        d = super().coerce(v)
        if d is None:
            if self.none_ok:
                return None
            raise TypeError
        if d not in self.allowed:
            raise TypeError
        return d


FLOATS = ("float16", "float32", "float64")
_CTX_DOC = "device of the output (default: the current device); MXNet's format 'cpu(0)' is accepted"


def _check_shape(op, shape, args=()):
    if not shape:
        raise op_error(op, args, ShapeError, "no output shape was given (shape=())",
                       "pass shape=(d1, d2, ...), e.g. shape=(2, 3)")
    if any(d < 0 for d in shape):
        raise op_error(op, args, ShapeError, f"shape {tuple(shape)} has a negative dimension",
                       "use non-negative sizes")


def _attr_error(op, args, msg, fix):
    return op_error(op, args, AttrError, msg, fix)


# --- scalar-parameter distributions ---------------------------------------------------------------

def _check_uniform(op, args, low, high, **_):
    if not high >= low:
        raise _attr_error(op, args, f"low={low} is greater than high={high}",
                          "pass low <= high (samples lie in [low, high))")


def _check_normal(op, args, loc, scale, **_):
    if not scale > 0:
        raise _attr_error(op, args, f"scale={scale} must be positive (it is the standard deviation)",
                          "pass scale > 0")


def _check_exponential(op, args, lam, **_):
    if not lam > 0:
        raise _attr_error(op, args, f"lam={lam} must be positive (it is the rate)", "pass lam > 0")


def _check_gamma(op, args, alpha, beta, **_):
    if not alpha > 0:
        raise _attr_error(op, args, f"alpha={alpha} must be positive (it is the shape)", "pass alpha > 0")
    if not beta > 0:
        raise _attr_error(op, args, f"beta={beta} must be positive (it is the scale)", "pass beta > 0")


def _check_poisson(op, args, lam, **_):
    if not lam >= 0:
        raise _attr_error(op, args, f"lam={lam} must be non-negative (it is the rate)", "pass lam >= 0")


# (dist, aliases, params as (name, default, doc), check, doc)
_DISTS = [
    ("uniform", ("uniform", "random_uniform"),
     (("low", 0.0, "lower bound (inclusive)"), ("high", 1.0, "upper bound (exclusive)")), _check_uniform,
     "Samples from the uniform distribution on [low, high)."),
    ("normal", ("normal", "random_normal"),
     (("loc", 0.0, "mean"), ("scale", 1.0, "standard deviation")), _check_normal,
     "Samples from the normal distribution with mean ``loc`` and standard deviation ``scale``."),
    ("exponential", ("random_exponential",),
     (("lam", 1.0, "rate (the mean is 1/lam)"),), _check_exponential,
     "Samples from the exponential distribution with rate ``lam``."),
    ("gamma", ("random_gamma",),
     (("alpha", 1.0, "shape"), ("beta", 1.0, "scale")), _check_gamma,
     "Samples from the gamma distribution with shape ``alpha`` and scale ``beta`` (mean alpha*beta)."),
    ("poisson", ("random_poisson",),
     (("lam", 1.0, "rate (the mean)"),), _check_poisson,
     "Samples from the Poisson distribution with rate ``lam``, returned as floats (as MXNet)."),
]

_EXAMPLE = {
    "uniform": ("nd.random_uniform(low=2, high=3, shape=(2, 3))", "(a >= 2).all() and (a < 3).all()"),
    "normal": ("nd.random_normal(loc=0, scale=1, shape=(2, 3))", "np.isfinite(a).all()"),
    "exponential": ("nd.random_exponential(lam=4, shape=(2, 3))", "(a >= 0).all()"),
    "gamma": ("nd.random_gamma(alpha=9, beta=0.5, shape=(2, 3))", "(a > 0).all()"),
    "poisson": ("nd.random_poisson(lam=4, shape=(2, 3))", "(a == np.round(a)).all()"),
}


def _random_infer(op, check):
    def rule(*args, shape=(), ctx=None, dtype=None, **params):
        _check_shape(op, shape)
        check(op, (), **params)
        return TensorSpec(shape, dtype or dtypes.DEFAULT, resolve(ctx))
    return rule


def _like_infer(op, check):
    def rule(data, **params):
        if data.dtype.kind != "f":
            raise op_error(op, (data,), DTypeError, f"data is {np.dtype(data.dtype).name}; this op only "
                           "supports floating point types", "cast data with .astype('float32') first")
        check(op, (data,), **params)
        return TensorSpec(data.shape, data.dtype, data.device)
    return rule


def _no_grad(ctx, *gs):
    """MXNet gives these inputs zero gradients: nothing flows back."""
    return (None,) * len(ctx.in_specs)


for _dist, _aliases, _params, _check, _doc in _DISTS:
    _pattrs = tuple(Attr(n, Float(), d, doc) for n, d, doc in _params)
    _call, _cond = _EXAMPLE[_dist]
    _op = defop(
        f"_random_{_dist}", (), None, Pattern.OPAQUE, aliases=_aliases, effects=True,
        attrs=_pattrs + (
            Attr("shape", Shape(), (), "shape of the output (required)"),
            Attr("ctx", DeviceAttr(), None, _CTX_DOC),
            Attr("dtype", DTypeIn(*FLOATS), None, "output dtype; None means float32")),
        doc=f"{_doc}\n\n>>> x = {_call}\n>>> a = x.asnumpy()\n>>> x.shape, x.dtype.name, bool({_cond})\n"
            f"((2, 3), 'float32', True)")
    _op.infer = _random_infer(_op, _check)
    _like = defop(
        f"_random_{_dist}_like", ("data",), None, Pattern.OPAQUE, effects=True, attrs=_pattrs,
        grad=_no_grad, nondiff=(0,),
        doc=f"{_doc} The output has the shape, dtype and device of ``data``.\n\n"
            f">>> x = nd.random.{_dist}_like(nd.zeros((2, 3), dtype='float64'))\n"
            f">>> x.shape, x.dtype.name\n((2, 3), 'float64')")
    _like.infer = _like_infer(_like, _check)


def _randint_infer(*args, low=None, high=None, shape=(), ctx=None, dtype=None):
    op = _randint
    _check_shape(op, shape)
    dt = dtype or np.dtype(np.int32)
    if not high > low:
        raise _attr_error(op, (), f"the range [low, high) = [{low}, {high}) is empty",
                          "pass high > low (samples lie in [low, high))")
    info = np.iinfo(dt)
    if low < info.min or high - 1 > info.max:
        raise _attr_error(op, (), f"[{low}, {high}) does not fit {dt.name}",
                          "pass dtype='int64' or a smaller range")
    return TensorSpec(shape, dt, resolve(ctx))


_randint = defop(
    "_random_randint", (), _randint_infer, Pattern.OPAQUE, aliases=("random_randint",), effects=True,
    attrs=(Attr("low", Int(), REQUIRED, "lower bound (inclusive)"),
           Attr("high", Int(), REQUIRED, "upper bound (exclusive)"),
           Attr("shape", Shape(), (), "shape of the output (required)"),
           Attr("ctx", DeviceAttr(), None, _CTX_DOC),
           Attr("dtype", DTypeIn("int32", "int64"), None, "output dtype; None means int32")),
    doc="Integers drawn uniformly from [low, high).\n\n"
        ">>> x = nd.random_randint(low=0, high=5, shape=(2, 3))\n>>> a = x.asnumpy()\n"
        ">>> x.shape, x.dtype.name, bool((a >= 0).all() and (a < 5).all())\n((2, 3), 'int32', True)")


# --- per-element parameters: _sample_<dist> --------------------------------------------------------

def _sample_infer(op):
    def rule(*params, shape=(), dtype=None):
        p0 = params[0]
        for p in params[1:]:
            if tuple(p.shape) != tuple(p0.shape):
                raise op_error(op, params, ShapeError, "the parameter arrays have different shapes",
                               "pass parameter arrays of one shape (one distribution per element)")
            if p.dtype != p0.dtype:
                raise op_error(op, params, DTypeError, "the parameter arrays have different dtypes",
                               "cast them to one dtype with .astype(...)")
        if any(d < 0 for d in shape):
            raise op_error(op, params, ShapeError, f"shape {tuple(shape)} has a negative dimension",
                           "use non-negative sizes")
        return TensorSpec(tuple(p0.shape) + tuple(shape), dtype or dtypes.DEFAULT, p0.device)
    return rule


_SAMPLERS = [
    ("uniform", ("low", "high"), "uniform distributions on [low, high)",
     "nd.sample_uniform(nd.array([0, 2.5]), nd.array([1, 3.7]), shape=(3,))",
     "(a[0] >= 0).all() and (a[0] < 1).all() and (a[1] >= 2.5).all() and (a[1] < 3.7).all()"),
    ("normal", ("mu", "sigma"), "normal distributions with means ``mu`` and standard deviations ``sigma``",
     "nd.sample_normal(nd.array([0, 2.5]), nd.array([1, 3.7]), shape=(3,))", "np.isfinite(a).all()"),
    ("exponential", ("lam",), "exponential distributions with rates ``lam``",
     "nd.sample_exponential(nd.array([1, 8.5]), shape=(3,))", "(a >= 0).all()"),
    ("gamma", ("alpha", "beta"), "gamma distributions with shapes ``alpha`` and scales ``beta``",
     "nd.sample_gamma(nd.array([1, 2.5]), nd.array([1, 0.7]), shape=(3,))", "(a >= 0).all()"),
    ("poisson", ("lam",), "Poisson distributions with rates ``lam`` (returned as floats)",
     "nd.sample_poisson(nd.array([1, 8.5]), shape=(3,))", "(a == np.round(a)).all()"),
]

for _dist, _inputs, _what, _call, _cond in _SAMPLERS:
    _op = defop(
        f"_sample_{_dist}", _inputs, None, Pattern.OPAQUE, aliases=(f"sample_{_dist}",), effects=True,
        attrs=(Attr("shape", Shape(), (), "samples drawn per distribution (default: one)"),
               Attr("dtype", DTypeIn(*FLOATS), None, "output dtype; None means float32")),
        grad=_no_grad, nondiff=tuple(range(len(_inputs))), dtype_check=None,
        doc=f"Draws from {_what}, one distribution per element of the parameter arrays: the output "
            f"shape is the parameters' shape followed by ``shape``.\n\n>>> x = {_call}\n>>> a = x.asnumpy()\n"
            f">>> x.shape, x.dtype.name, bool({_cond})\n((2, 3), 'float32', True)")
    _op.infer = _sample_infer(_op)


# --- categorical draws and shuffling ----------------------------------------------------------------

def _multinomial_infer(data, shape=(), get_prob=False, dtype=np.dtype(np.int32)):
    op = _multinomial
    if data.dtype.kind != "f":
        raise op_error(op, (data,), DTypeError, f"data is {np.dtype(data.dtype).name}; the probabilities "
                       "must be floating point", "cast data with .astype('float32') first")
    if len(data.shape) == 0:
        raise op_error(op, (data,), ShapeError, "data is a scalar; it must hold probabilities along its "
                       "last axis", "pass an array of shape (k,) or (..., k)")
    if data.shape[-1] == 0:
        raise op_error(op, (data,), ShapeError, "the last axis (the categories) is empty",
                       "give every distribution at least one category")
    if any(d < 0 for d in shape):
        raise op_error(op, (data,), ShapeError, f"shape {tuple(shape)} has a negative dimension",
                       "use non-negative sizes")
    if len(data.shape) == 1:
        oshape = tuple(shape) or (1,)
    else:
        oshape = tuple(data.shape[:-1]) + tuple(shape)
    s = TensorSpec(oshape, dtype, data.device)
    if get_prob:
        return s, TensorSpec(oshape, data.dtype, data.device)
    return s


def _multinomial_grad(ctx, g_sample, g_prob=None):
    if not ctx.attrs["get_prob"] or g_prob is None:
        return (None,)
    return (F._backward_sample_multinomial(g_prob, ctx.inputs[0], ctx.outputs[0]),)


_multinomial = defop(
    "_sample_multinomial", ("data",), _multinomial_infer, Pattern.OPAQUE, aliases=("sample_multinomial",),
    effects=True, num_outputs=lambda attrs, n: 2 if attrs.get("get_prob") else 1,
    attrs=(Attr("shape", Shape(), (), "samples drawn per distribution (default: one)"),
           Attr("get_prob", Bool(), False, "also return the log-probability of each sample"),
           Attr("dtype", DTypeIn("uint8", "int32", "float16", "float32", "float64", none_ok=False),
                np.dtype(np.int32), "dtype of the sampled indices")),
    grad=_multinomial_grad, saves=("inputs", "outputs"),
    doc="Category indices drawn from the distributions along the last axis of ``data`` (probabilities "
        "that sum to 1). Output shape: ``data.shape[:-1] + shape`` (``shape`` or ``(1,)`` for 1-D "
        "``data``). With ``get_prob=True`` also returns ``log(p)`` of each sample, whose gradient is "
        "MXNet's REINFORCE estimator.\n\n"
        ">>> nd.sample_multinomial(nd.array([[0, 1, 0], [0, 0, 1]])).asnumpy().tolist()\n[1, 2]")


def _multinomial_backward_infer(ograd, data, sample):
    op = _multinomial_backward
    if tuple(ograd.shape) != tuple(sample.shape):
        raise op_error(op, (ograd, data, sample), ShapeError, "ograd and sample shapes differ",
                       "pass the gradient of the log-probability output and the sampled indices")
    return TensorSpec(data.shape, data.dtype, data.device)


_multinomial_backward = defop(
    "_backward_sample_multinomial", ("ograd", "data", "sample"), _multinomial_backward_infer,
    Pattern.OPAQUE, nondiff=(0, 1, 2), public=False, dtype_check=None,
    doc="Gradient of ``_sample_multinomial``'s log-probability output w.r.t. the probabilities: "
        "``ograd / p`` added at each sampled category.\n\n"
        ">>> g = mx.ops.api._backward_sample_multinomial(nd.ones((1, 2)), nd.array([[0.5, 0.25]]),\n"
        "...                                              nd.array([[1, 1]], dtype='int32'))\n"
        ">>> g.asnumpy().tolist()\n[[0.0, 8.0]]")


def _shuffle_infer(data):
    if len(data.shape) == 0:
        raise op_error(_shuffle, (data,), ShapeError, "data is a scalar; shuffle permutes the first axis",
                       "pass an array with at least one axis")
    return TensorSpec(data.shape, data.dtype, data.device)


_shuffle = defop(
    "_shuffle", ("data",), _shuffle_infer, Pattern.OPAQUE, aliases=("shuffle",), effects=True,
    nondiff=(0,), dtype_check=None,
    doc="A copy of ``data`` with its first axis randomly permuted (rows move; each row is unchanged). "
        "Not differentiable, as in MXNet.\n\n"
        ">>> sorted(nd.shuffle(nd.arange(5)).asnumpy().tolist())\n[0.0, 1.0, 2.0, 3.0, 4.0]")
