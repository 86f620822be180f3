"""``nd.random``: MXNet's random sampling functions (``python/mxnet/ndarray/random.py``).

Scalar parameters draw ``shape`` samples from one distribution (``_random_<dist>``, on ``ctx``,
default the current device); NDArray parameters draw ``shape`` samples per element
(``_sample_<dist>``, output shape ``param.shape + shape``, on the parameters' device). ``shape``
defaults to ``(1,)`` (or ``out``'s shape). Draws come from the per-device generator that
``mx.random.seed`` reseeds.

>>> import hybridnet as mx
>>> mx.random.seed(42)
>>> a = mx.nd.random.uniform(shape=(2,)).asnumpy()
>>> mx.random.seed(42)
>>> bool((mx.nd.random.uniform(shape=(2,)).asnumpy() == a).all())
True
"""
import numbers

from ..errors import AttrError
from ..ops.bind import bind, normalize_attrs
from ..ops.frontend import make_function
from ..ops.registry import get_op
from .ndarray import NDArray

__all__ = ["uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson", "multinomial",
           "shuffle", "uniform_like", "normal_like", "exponential_like", "gamma_like", "poisson_like"]


class _NullType:
    """MXNet's ``_Null``: an argument that was not given."""

    def __repr__(self):
        return "_Null"

    def __bool__(self):
        return False


_Null = _NullType()


def _write(out, res):
    """Write a result into ``out`` (MXNet's ``out=``): same shape; dtype and device follow ``out``."""
    if res.dtype != out.dtype:
        res = res.astype(out.dtype)
    if res.context != out.context:
        res = res.as_in_context(out.context)
    return out._inplace(res)


def _call(opname, args, attrs, out):
    op = get_op(opname)
    res = bind(op, args, normalize_attrs(op, attrs))
    if out is None:
        return res
    return _write(out, res)


def _random_helper(fname, random, sampler, params, shape, dtype, ctx, out, kwargs):
    """MXNet's ``_random_helper``: NDArray parameters -> ``sampler`` (per element), numbers ->
    ``random`` (one distribution, on ``ctx``)."""
    if isinstance(params[0], NDArray):
        for p in params[1:]:
            if not isinstance(p, NDArray):
                raise AttrError(f"nd.random.{fname}: distribution parameters must all have the same type, "
                                f"but got both NDArray and {type(p).__name__}. Pass all NDArrays or all "
                                "numbers.")
        if sampler is None:
            raise AttrError(f"nd.random.{fname} takes numbers as its bounds, not NDArrays.")
        attrs = dict(kwargs)
        if shape is not _Null:
            attrs["shape"] = shape
        if dtype is not _Null:
            attrs["dtype"] = dtype
        elif out is not None:
            attrs["dtype"] = out.dtype
        return _call(sampler, tuple(params), attrs, out)
    if isinstance(params[0], numbers.Number) and not isinstance(params[0], bool):
        for p in params[1:]:
            if not isinstance(p, numbers.Number):
                raise AttrError(f"nd.random.{fname}: distribution parameters must all have the same type, "
                                f"but got both {type(params[0]).__name__} and {type(p).__name__}. Pass all "
                                "NDArrays or all numbers.")
        if ctx is None:
            ctx = out.context if out is not None else None
        if shape is _Null:
            shape = out.shape if out is not None else 1
        attrs = dict(kwargs)
        attrs.update(zip(_PARAMS[random], params))
        attrs["shape"] = shape
        if ctx is not None:
            attrs["ctx"] = ctx
        if dtype is not _Null:
            attrs["dtype"] = dtype
        elif out is not None:
            attrs["dtype"] = out.dtype
        return _call(random, (), attrs, out)
    raise AttrError(f"nd.random.{fname}: distribution parameters must be NDArrays or numbers, "
                    f"got {type(params[0]).__name__}.")


_PARAMS = {"_random_uniform": ("low", "high"), "_random_normal": ("loc", "scale"),
           "_random_randint": ("low", "high"), "_random_exponential": ("lam",),
           "_random_gamma": ("alpha", "beta"), "_random_poisson": ("lam",)}


def uniform(low=0, high=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the uniform distribution on [low, high).

    ``low``/``high`` numbers: ``shape`` samples (default ``(1,)``) on ``ctx``. NDArrays: ``shape``
    samples per pair, output shape ``low.shape + shape``. ``dtype`` float16/32/64 (default float32).

    >>> x = nd.random.uniform(-1, 1, shape=(2, 3))
    >>> x.shape, bool((x.asnumpy() >= -1).all() and (x.asnumpy() < 1).all())
    ((2, 3), True)
    """
    return _random_helper("uniform", "_random_uniform", "_sample_uniform", [low, high], shape, dtype, ctx,
                          out, kwargs)


def normal(loc=0, scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the normal distribution with mean ``loc`` and standard deviation ``scale``.

    >>> nd.random.normal(0, 1, shape=(2, 2)).shape
    (2, 2)
    """
    return _random_helper("normal", "_random_normal", "_sample_normal", [loc, scale], shape, dtype, ctx,
                          out, kwargs)


def randn(*shape, **kwargs):
    """Standard normal samples of shape ``shape``; keywords ``loc``, ``scale``, ``dtype``, ``ctx``, ``out``.

    >>> nd.random.randn(2, 3).shape
    (2, 3)
    """
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    dtype = kwargs.pop("dtype", _Null)
    ctx = kwargs.pop("ctx", None)
    out = kwargs.pop("out", None)
    return _random_helper("randn", "_random_normal", "_sample_normal", [loc, scale], shape, dtype, ctx, out,
                          kwargs)


def randint(low, high, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Integers drawn uniformly from [low, high); ``dtype`` int32 (default) or int64.

    >>> x = nd.random.randint(0, 5, shape=(4,))
    >>> x.dtype.name, bool((x.asnumpy() >= 0).all() and (x.asnumpy() < 5).all())
    ('int32', True)
    """
    return _random_helper("randint", "_random_randint", None, [low, high], shape, dtype, ctx, out, kwargs)


def exponential(scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the exponential distribution with scale ``scale`` (rate ``1/scale``; mean ``scale``).

    >>> nd.random.exponential(2, shape=(3,)).shape
    (3,)
    """
    return _random_helper("exponential", "_random_exponential", "_sample_exponential", [1.0 / scale], shape,
                          dtype, ctx, out, kwargs)


def gamma(alpha=1, beta=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the gamma distribution with shape ``alpha`` and scale ``beta``.

    >>> nd.random.gamma(9, 0.5, shape=(3,)).shape
    (3,)
    """
    return _random_helper("gamma", "_random_gamma", "_sample_gamma", [alpha, beta], shape, dtype, ctx, out,
                          kwargs)


def poisson(lam=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the Poisson distribution with rate ``lam``, as floats (default float32).

    >>> nd.random.poisson(4, shape=(3,)).dtype.name
    'float32'
    """
    return _random_helper("poisson", "_random_poisson", "_sample_poisson", [lam], shape, dtype, ctx, out,
                          kwargs)


def multinomial(data, shape=_Null, get_prob=False, out=None, dtype="int32", **kwargs):
    """Category indices drawn from the distributions along ``data``'s last axis.

    Output shape ``data.shape[:-1] + shape`` (``shape`` or ``(1,)`` for 1-D ``data``). With
    ``get_prob=True`` returns ``[samples, log_probabilities]``.

    >>> nd.random.multinomial(nd.array([[0, 0, 1], [1, 0, 0]])).asnumpy().tolist()
    [2, 0]
    """
    attrs = dict(kwargs)
    if shape is not _Null:
        attrs["shape"] = shape
    attrs["get_prob"] = get_prob
    attrs["dtype"] = dtype
    op = get_op("_sample_multinomial")
    res = bind(op, (data,), normalize_attrs(op, attrs))
    if isinstance(res, tuple):
        res = list(res)
    if out is None:
        return res
    if isinstance(res, list):
        for o, r in zip(out, res):
            _write(o, r)
        return out
    return _write(out, res)


def shuffle(data, **kwargs):
    """A copy of ``data`` with its first axis randomly permuted.

    >>> sorted(nd.random.shuffle(nd.array([1, 2, 3])).asnumpy().tolist())
    [1.0, 2.0, 3.0]
    """
    out = kwargs.pop("out", None)
    return _call("_shuffle", (data,), kwargs, out)


def _like(dist):
    fn = make_function(get_op(f"_random_{dist}_like"), fn_name=f"{dist}_like")
    fn.__module__ = __name__
    return fn


uniform_like = _like("uniform")
normal_like = _like("normal")
exponential_like = _like("exponential")
gamma_like = _like("gamma")
poisson_like = _like("poisson")
