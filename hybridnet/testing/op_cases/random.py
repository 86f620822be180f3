"""Records for ops/random.py. Draws are random, so the forward template checks only that each call
runs and that the inferred spec equals the kernel's output (``nondeterministic=True``); the
statistics (moments, ranges, frequencies, permutations, seeding) are checked in
``tests/nd/test_random.py``. The ops without array inputs get their GPU check there too (``ctx=``)."""
import numpy as np

from ...errors import AttrError, DTypeError, ShapeError
from . import ErrorCase, OpCase, Sample

A = np.array


def _shape_errors():
    return [ErrorCase((), {}, ShapeError, "no output shape"),
            ErrorCase((), {"shape": (2, -1)}, ShapeError, "negative dimension"),
            ErrorCase((), {"shape": (2,), "dtype": "int32"}, AttrError, "dtype"),
            ErrorCase((), {"shape": (2,), "ctx": 5}, AttrError, "ctx")]


def _random(name, params, bad_params, extra_errors=()):
    """``_random_<dist>``: no inputs; samples vary shape, dtype, device attr and parameters."""
    samples = [Sample((), {"shape": (2, 3)}),
               Sample((), dict(params, shape=(4,), dtype="float64")),
               Sample((), dict(params, shape=(3, 1, 2), dtype="float16", ctx="cpu(0)")),
               Sample((), {"shape": (0, 3)}, note="0-size")]
    errors = _shape_errors() + [ErrorCase((), dict(bp, shape=(2,)), AttrError, m) for bp, m in bad_params]
    errors += list(extra_errors)
    return OpCase(name, None, samples, dtypes=("float32",), grad=False, gpu=False, nondeterministic=True,
                  errors=errors)


def _like(name, params, bad_params):
    return OpCase(name, None, [Sample(((2, 3),)), Sample(((4,),), params), Sample(((0, 2),), note="0-size")],
                  dtypes=("float32", "float64", "float16"), grad=False, nondeterministic=True,
                  errors=[ErrorCase(((2, 3),), exc=DTypeError, match="floating point", dtypes=("int32",))]
                  + [ErrorCase(((2, 3),), bp, AttrError, m) for bp, m in bad_params])


def _sample(name, n_in, domain):
    shapes = [(2,)] * n_in
    return OpCase(name, None,
                  [Sample(tuple(shapes), {"shape": (3,)}), Sample(tuple([(2, 3)] * n_in)),
                   Sample(tuple([(2,)] * n_in), {"shape": (2, 2), "dtype": "float64"}),
                   Sample(tuple([(0,)] * n_in), {"shape": (2,)}, note="0-size")],
                  dtypes=("float32", "float64"), domain=domain, grad=False, nondeterministic=True,
                  errors=([ErrorCase(((2,), (3,)), exc=ShapeError, match="different shapes"),
                           ErrorCase(((2,), (2,)), exc=DTypeError, match="different dtypes",
                                     dtypes=("float32", "float64"))] if n_in == 2 else [])
                  + [ErrorCase(tuple(shapes), {"shape": (-1,)}, ShapeError, "negative dimension"),
                     ErrorCase(tuple(shapes), {"dtype": "int32"}, AttrError, "dtype")])


_UNI = ({"low": -1.0, "high": 2.0}, [({"low": 2, "high": 1}, "low=2 is greater than high=1")])
_NORM = ({"loc": 1.0, "scale": 2.0}, [({"scale": 0}, "scale=0 must be positive"),
                                      ({"scale": -1}, "must be positive")])
_EXP = ({"lam": 4.0}, [({"lam": 0}, "lam=0 must be positive")])
_GAM = ({"alpha": 9.0, "beta": 0.5}, [({"alpha": 0}, "alpha=0 must be positive"),
                                      ({"beta": -1}, "beta=-1 must be positive")])
_POI = ({"lam": 4.0}, [({"lam": -3}, "lam=-3 must be non-negative")])


def _backward_multinomial_ref(ograd, data, sample):
    k = data.shape[-1]
    d = data.reshape(-1, k)
    m = int(np.prod(sample.shape[data.ndim - 1:]))
    s = sample.reshape(d.shape[0], m).astype(np.int64)
    g = np.zeros_like(d)
    for i in range(d.shape[0]):
        for j in range(s.shape[1]):
            g[i, s[i, j]] += ograd.reshape(d.shape[0], m)[i, j] / d[i, s[i, j]]
    return g.reshape(data.shape)


_PROBS = A([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])

CASES = [
    _random("_random_uniform", *_UNI, extra_errors=[ErrorCase((), {"shape": (2,), "lo": 1}, AttrError,
                                                              "Did you mean 'low'")]),
    _random("_random_normal", *_NORM),
    _random("_random_exponential", *_EXP),
    _random("_random_gamma", *_GAM),
    _random("_random_poisson", *_POI),
    OpCase("_random_randint", None,
           [Sample((), {"low": 0, "high": 5, "shape": (2, 3)}),
            Sample((), {"low": -3, "high": 2 ** 40, "shape": (4,), "dtype": "int64"}),
            Sample((), {"low": 0, "high": 1, "shape": (0, 2)}, note="0-size")],
           dtypes=("float32",), grad=False, gpu=False, nondeterministic=True,
           errors=[ErrorCase((), {"low": 5, "high": 1, "shape": (2,)}, AttrError, r"\[5, 1\) is empty"),
                   ErrorCase((), {"low": 5, "high": 5, "shape": (2,)}, AttrError, "is empty"),
                   ErrorCase((), {"low": 0.5, "high": 5, "shape": (2,)}, AttrError, "low=0.5"),
                   ErrorCase((), {"low": 0, "shape": (2,)}, AttrError, "requires the attribute 'high'"),
                   ErrorCase((), {"low": 0, "high": 2 ** 40, "shape": (2,)}, AttrError, "does not fit int32"),
                   ErrorCase((), {"low": 0, "high": 5, "shape": (2,), "dtype": "float32"}, AttrError, "dtype"),
                   ErrorCase((), {"low": 0, "high": 5}, ShapeError, "no output shape")]),
    _like("_random_uniform_like", *_UNI),
    _like("_random_normal_like", *_NORM),
    _like("_random_exponential_like", *_EXP),
    _like("_random_gamma_like", *_GAM),
    _like("_random_poisson_like", *_POI),
    _sample("_sample_uniform", 2, (-2.0, 2.0)),
    _sample("_sample_normal", 2, (0.5, 2.0)),
    _sample("_sample_exponential", 1, (0.5, 3.0)),
    _sample("_sample_gamma", 2, (0.5, 3.0)),
    _sample("_sample_poisson", 1, (0.5, 3.0)),
    OpCase("_sample_multinomial", None,
           [Sample((_PROBS,)), Sample((_PROBS,), {"shape": (2, 2), "get_prob": True}),
            Sample((A([0.25, 0.25, 0.5]),), {"shape": (5,), "dtype": "float32"}),
            Sample((A([0.25, 0.75]),), {"get_prob": True, "dtype": "uint8"}),
            Sample((np.zeros((0, 3)),), {"shape": (2,)}, note="0-size batch")],
           dtypes=("float32", "float64"), grad=False, nondeterministic=True,
           errors=[ErrorCase(((2, 3),), exc=DTypeError, match="floating point", dtypes=("int32",)),
                   ErrorCase(((),), exc=ShapeError, match="scalar"),
                   ErrorCase(((2, 0),), exc=ShapeError, match="categories"),
                   ErrorCase(((2, 3),), {"dtype": "int64"}, AttrError, "dtype"),
                   ErrorCase(((2, 3),), {"shape": (-2,)}, ShapeError, "negative dimension")]),
    OpCase("_backward_sample_multinomial", _backward_multinomial_ref,
           [Sample((A([[1.0, -2.0, 0.5], [3.0, 1.0, 2.0]]), A([[0.5, 0.25, 0.25, 1.0], [0.1, 0.2, 0.3, 0.4]]),
                    A([[1, 1, 3], [0, 2, 2]]))),
            Sample((A([2.0, 1.0]), A([0.5, 0.5]), A([1, 0])), note="1-D data"),
            Sample((np.zeros((0, 2)), np.zeros((0, 3)), np.zeros((0, 2))), note="0-size")],
           input_dtypes=(None, None, "int32"), grad=False,
           errors=[ErrorCase(((2, 3), (2, 4), (2, 2)), exc=ShapeError, match="shapes differ",
                             dtypes=("float32", "float32", "int32"))]),
    OpCase("_shuffle", None,
           [Sample(((5, 3),)), Sample(((4,),)), Sample(((0, 2),), note="0-size"), Sample(((1, 2, 3),))],
           int_dtypes=("int32",), grad=False, nondeterministic=True,
           errors=[ErrorCase(((),), exc=ShapeError, match="scalar")]),
]
