"""Records for ops/softmax.py."""
import numpy as np

from ...errors import AttrError, DTypeError, ShapeError
from . import ErrorCase, OpCase, Sample

_NAN, _INF = float("nan"), float("inf")


def _ref(mode, negate=False):
    """The naive float64 formula (MXNet's own kernel): exp(z - max z) / sum, z = x / temperature."""
    def ref(x, length=None, axis=-1, temperature=None, dtype=None, use_length=False):
        z = x.astype(np.float64) / (1.0 if temperature is None else temperature)
        if negate:
            z = -z
        ax = axis % x.ndim
        valid = np.ones(z.shape, bool)
        if use_length and length is not None:
            pos = np.arange(z.shape[ax]).reshape([-1 if i == ax else 1 for i in range(z.ndim)])
            valid = pos < np.clip(np.expand_dims(length.astype(np.int64), ax), 0, z.shape[ax])
        m = np.max(np.where(valid, z, -np.inf), axis=ax, keepdims=True) if z.size else z
        e = np.where(valid, np.exp(z - m), 0.0)
        s = np.sum(e, axis=ax, keepdims=True)
        r = z - m - np.log(s) if mode == "log_softmax" else np.where(valid, e / s, 0.0)
        return r.astype(dtype or x.dtype)
    return ref


def _big(shape, seed=3):
    return np.random.default_rng(seed).uniform(-4.0, 4.0, shape)


_EDGE = np.array([[-_INF, -_INF, -_INF], [_NAN, 0.0, 1.0], [_INF, 0.0, 1.0], [-_INF, 0.0, 1.0],
                  [1000.0, 0.0, 1.0], [-1000.0, -1000.0, -999.0]])
_SAMPLES = [Sample(((3, 4),)), Sample(((2, 3, 5),), {"axis": 1, "temperature": 2.0}),
            Sample(((2, 3, 5),), {"axis": 0}),
            Sample(((4, 7),), {"temperature": 0.5}),
            Sample(((4, 7),), {"temperature": -1.5}, note="negative temperature"),
            Sample(((5,),), note="1-D"),
            Sample(((0, 3),), note="0-size"),
            Sample(((3, 0),), {"axis": 1}, note="empty axis"),
            Sample((_EDGE,), grad=False, note="-inf rows, NaN/inf rows are NaN, large values"),
            Sample((_EDGE,), {"axis": 0}, grad=False, note="edge values over axis 0"),
            Sample(((3, 4),), {"dtype": "float64"}, note="dtype sets the output dtype"),
            Sample(((3, 4),), {"dtype": "float16"}, grad=False, note="float16 output"),
            Sample((_big((160, 1030)),), grad=False, note="rows, parallel kernel"),
            Sample((_big((3, 777)),), {"axis": 0}, grad=False, note="(outer, n, inner), serial"),
            Sample((_big((4, 40, 900)),), {"axis": 1}, grad=False, note="(outer, n, inner), parallel")]

_ERRORS = [ErrorCase(((2, 3),), {"axis": 2}, ShapeError, "axis 2 is out of range"),
           ErrorCase(((2, 3),), {"temprature": 2.0}, AttrError, "Did you mean 'temperature'"),
           ErrorCase(((2, 3),), {"axis": None}, AttrError, "is not a valid int"),
           ErrorCase(((2, 3),), {}, DTypeError, "only supports floating point inputs", dtypes=("int32",)),
           ErrorCase(((2, 3),), {"dtype": "int32"}, AttrError, "dtype=int32 is not a floating point type")]
_NO_LENGTH = ErrorCase(((2, 3),), {"use_length": True}, AttrError, "use_length is not supported")

_LEN_SAMPLES = [Sample(((3, 5), np.array([2, 5, 1])), {"use_length": True}),
                Sample(((4, 3), np.array([1, 4, 2])), {"axis": 0, "use_length": True, "temperature": 2.0}),
                Sample(((2, 4, 3), np.array([[1, 0, 4], [7, -1, 2]])), {"axis": 1, "use_length": True},
                       grad=False, note="length 0, negative and past the axis (clipped)"),
                Sample(((3, 5), np.array([0, 0, 0])), {"use_length": True}, grad=False, note="all masked"),
                Sample((_big((300, 500)), np.arange(300) % 511), {"use_length": True}, grad=False,
                       note="parallel kernel with lengths")]
_LEN_ERRORS = [
    ErrorCase(((2, 3), (2,)), {"use_length": True}, DTypeError, "length must be an integer array",
              dtypes=("float32", "float32")),
    ErrorCase(((2, 3), (3,)), {"use_length": True}, ShapeError, "length has shape",
              dtypes=("float32", "int32")),
    ErrorCase(((2, 3),), {"use_length": True}, ShapeError, "needs the `length` input"),
    ErrorCase(((2, 3), (2,)), {}, AttrError, "use_length is False", dtypes=("float32", "int32")),
]

_DT = ("float32", "float64", "float16")

CASES = [
    OpCase("softmax", _ref("softmax"), _SAMPLES, dtypes=_DT, grad2=True, errors=_ERRORS),
    OpCase("softmax", _ref("softmax"), _LEN_SAMPLES, dtypes=_DT, grad2=True, input_dtypes=(None, "int32"),
           errors=_LEN_ERRORS, name="softmax_length"),
    OpCase("log_softmax", _ref("log_softmax"), _SAMPLES, dtypes=_DT, grad2=True, errors=_ERRORS + [_NO_LENGTH]),
    OpCase("softmin", _ref("softmax", negate=True), _SAMPLES, dtypes=_DT, grad2=True,
           errors=_ERRORS + [_NO_LENGTH]),
]
