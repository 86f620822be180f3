"""Records for ops/reduce.py."""
import numpy as np

from ...errors import AttrError, ShapeError
from . import ErrorCase, OpCase, Sample

_NAN, _INF = float("nan"), float("inf")


def reduce_ref(f):
    """NumPy reference with MXNet's axis/keepdims/exclude and the (1,) full-reduction shape."""
    def ref(x, axis=None, keepdims=False, exclude=False):
        if axis is None:
            axes = tuple(range(x.ndim))
        else:
            axes = tuple(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
        if exclude:
            axes = tuple(i for i in range(x.ndim) if i not in axes)
        r = np.asarray(f(x, axis=axes, keepdims=keepdims))
        if r.ndim == 0:
            r = r.reshape(1)
        return r.astype(x.dtype) if r.dtype != x.dtype and r.dtype.kind == x.dtype.kind else r
    return ref


REDUCE_SAMPLES = [Sample(((3, 4),)), Sample(((3, 4),), {"axis": 1}), Sample(((2, 3, 4),), {"axis": (0, 2)}),
                  Sample(((2, 3, 4),), {"axis": -1, "keepdims": True}),
                  Sample(((2, 3, 4),), {"axis": 1, "exclude": True})]
REDUCE_ERRORS = [ErrorCase(((2, 3),), {"axis": 2}, ShapeError, "axis 2 is out of range"),
                 ErrorCase(((2, 3),), {"axes": 1}, AttrError, "Did you mean 'axis'")]

def _mean(x, axis, keepdims):
    """MXNet's mean: floats as np.mean; integers: the sum in the input dtype (wrapping) divided by the
    count, truncated towards zero."""
    if x.dtype.kind == "f":
        return np.mean(x, axis=axis, keepdims=keepdims)
    n = int(np.prod([x.shape[a] for a in axis], dtype=np.int64))
    s = np.sum(x, axis=axis, dtype=x.dtype, keepdims=keepdims).astype(np.int64)
    return (np.sign(s) * (np.abs(s) // max(n, 1))).astype(x.dtype)


def _prod(x, axis, keepdims):
    return np.prod(x, axis=axis, keepdims=keepdims, dtype=np.float64 if x.dtype.kind == "f" else np.int64)


def _big(shape, lo=-2.0, hi=2.0, seed=7):
    """A fixed array large enough for the Numba (and parallel) kernel paths."""
    return np.random.default_rng(seed).uniform(lo, hi, shape)


# large inputs exercise each kernel layout: rows (last axes), (outer, n, inner) (a middle block),
# a transposed copy (non-adjacent axes) and a full reduction split into chunks
_BIG = [Sample((_big((128, 1030)),), {"axis": 1}, grad=False, note="rows, parallel"),
        Sample((_big((40, 300)),), {"axis": 0}, grad=False, note="(outer, n, inner), serial"),
        Sample((_big((6, 200, 130)),), {"axis": 1, "keepdims": True}, grad=False, note="middle axis, parallel"),
        Sample((_big((20, 30, 40)),), {"axis": (0, 2)}, grad=False, note="non-adjacent axes"),
        Sample((_big((300, 512)),), {}, grad=False, note="full reduction, chunked")]
_BIG_PROD = [Sample((_big(s.inputs[0].shape, 0.97, 1.03),), s.attrs, grad=False, note=s.note) for s in _BIG]
_EMPTY_AXIS = ErrorCase(((0, 3),), {"axis": 0}, ShapeError, "over an empty axis")

_NAN_ROWS = np.array([[1.0, _NAN, 3.0, 2.0], [_NAN, _NAN, 1.0, 0.5], [2.0, 2.0, -1.0, 4.0]])
_TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]])


def _arg_ref(f):
    def ref(x, axis=None, keepdims=False):
        if axis is None:
            i = f(x)
            return np.full((1,) * x.ndim if keepdims and x.ndim else (1,), i, x.dtype)
        r = f(x, axis=axis)
        if keepdims:
            r = np.expand_dims(r, axis)
        return np.asarray(r).astype(x.dtype)
    return ref


_ARG_SAMPLES = [Sample(((3, 4),), {"axis": 1}), Sample(((2, 3, 4),), {"axis": 0, "keepdims": True}),
                Sample(((2, 3, 4),)), Sample(((2, 3, 4),), {"keepdims": True}), Sample(((2, 3, 4),), {"axis": -1}),
                Sample((_TIES,), {"axis": 1}, note="ties: first index"),
                Sample((_TIES,), {"axis": 0}, note="ties over axis 0"),
                Sample((_NAN_ROWS,), {"axis": 1}, note="NaN wins"),
                Sample((_NAN_ROWS,), {"axis": 0}, note="NaN wins, axis 0"),
                Sample((np.array([[-_INF, -_INF, -_INF]]),), {"axis": 1}, note="-inf row"),
                Sample(((0, 3),), {"axis": 1}, note="0-size, reduced axis non-empty"),
                Sample((_big((64, 300)),), {"axis": 0}, note="Numba (outer, n, inner) kernel"),
                Sample((_big((4, 200, 300)),), {"axis": 1}, note="middle axis, parallel"),
                Sample((_big((200, 300)),), {"axis": 1}, note="NumPy rows")]
_ARG_ERRORS = [ErrorCase(((2, 3),), {"axis": 2}, ShapeError, "axis 2 is out of range"),
               ErrorCase(((2, 3),), {"axis": (0, 1)}, AttrError, "is not a valid axis"),
               ErrorCase(((2, 3),), {"axes": 1}, AttrError, "Did you mean 'axis'"),
               _EMPTY_AXIS]


def _norm_ref(x, ord=2, axis=None, out_dtype=None, keepdims=False):
    """Exact in extended precision (no overflow for 1e200), shape (1,) for a full norm."""
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        axes = tuple(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    xl = x.astype(np.longdouble)
    r = np.sum(np.abs(xl), axis=axes, keepdims=keepdims) if ord == 1 else \
        np.sqrt(np.sum(xl * xl, axis=axes, keepdims=keepdims))
    r = np.asarray(r).astype(np.float64)
    if r.ndim == 0:
        r = r.reshape(1)
    return r.astype(out_dtype or x.dtype)


_NORM_SAMPLES = [Sample(((3, 4),)), Sample(((3, 4),), {"axis": 1}),
                 Sample(((2, 3, 4),), {"ord": 1, "axis": (0, 2)}),
                 Sample(((2, 3, 4),), {"axis": -1, "keepdims": True}),
                 Sample(((2, 3),), {"keepdims": True}, note="full norm with keepdims: (1, 1)"),
                 Sample(((2, 3, 4),), {"ord": 1}),
                 Sample(((3, 4),), {"axis": 0, "out_dtype": "float64"}, grad=False, note="out_dtype casts"),
                 Sample((np.array([[1e30, 1e30], [3.0, 4.0]]),), {"axis": 1}, grad=False,
                        note="no overflow in float32"),
                 Sample((np.array([[1e200, -1e200, 0.0], [1e-200, 1e-200, 0.0], [0.0, 0.0, 0.0]]),), {"axis": 1},
                        grad=False, note="scaled: no float64 overflow/underflow"),
                 Sample((np.array([[_INF, 1.0], [_NAN, 1.0], [-_INF, _NAN]]),), {"axis": 1}, grad=False,
                        note="inf and NaN"),
                 Sample(((0, 3),), {"axis": 0}, note="0-size: 0")] + _BIG + \
                [Sample((_big((128, 1030)),), {"ord": 1, "axis": 1}, grad=False, note="ord 1 rows")]

CASES = [
    OpCase("sum", reduce_ref(np.sum), REDUCE_SAMPLES + [Sample(((0, 3),), {"axis": 0}, note="0-size")],
           int_dtypes=("int32",), grad2=True, errors=REDUCE_ERRORS),
    OpCase("mean", reduce_ref(_mean), REDUCE_SAMPLES + [Sample(((0, 3),), {"axis": 0}, note="0-size: NaN"),
                                                        Sample((np.array([[-7, 0, 0], [7, 1, 1]]),), {"axis": 1},
                                                               note="integers truncate")] + _BIG,
           int_dtypes=("int32", "uint8"), grad2=True, errors=REDUCE_ERRORS),
    OpCase("prod", reduce_ref(_prod), REDUCE_SAMPLES + [Sample(((0, 3),), {"axis": 0}, note="0-size: 1")] + _BIG_PROD,
           domain=(0.5, 1.5), int_dtypes=("int32",), grad2=True, errors=REDUCE_ERRORS),
    OpCase("max", reduce_ref(np.max), REDUCE_SAMPLES + [
        Sample((_NAN_ROWS,), {"axis": 1}, grad=False, note="NaN propagates"),
        Sample((_NAN_ROWS,), {"axis": 0}, grad=False, note="NaN propagates, axis 0"),
        Sample((_TIES,), {"axis": 1}, grad=False, note="ties")] + _BIG,
        int_dtypes=("int32", "uint8"), grad2=True, errors=REDUCE_ERRORS + [_EMPTY_AXIS]),
    OpCase("min", reduce_ref(np.min), REDUCE_SAMPLES + [
        Sample((_NAN_ROWS,), {"axis": 1}, grad=False, note="NaN propagates"),
        Sample((_NAN_ROWS,), {}, grad=False, note="NaN propagates, full")] + _BIG,
        int_dtypes=("int32",), grad2=True, errors=REDUCE_ERRORS + [_EMPTY_AXIS]),
    OpCase("nansum", reduce_ref(lambda x, axis, keepdims: np.nansum(x.astype(np.float64) if x.dtype.kind == "f"
                                                                    else x, axis=axis, keepdims=keepdims)),
           REDUCE_SAMPLES + [Sample((_NAN_ROWS,), {"axis": 1}, grad=False, note="NaN as 0"),
                             Sample((_NAN_ROWS,), {"axis": 0}, grad=False, note="NaN as 0, axis 0"),
                             Sample(((0, 3),), {"axis": 0}, note="0-size")] + _BIG,
           int_dtypes=("int32",), grad2=True, errors=REDUCE_ERRORS),
    OpCase("nanprod", reduce_ref(lambda x, axis, keepdims: np.nanprod(x.astype(np.float64) if x.dtype.kind == "f"
                                                                      else x, axis=axis, keepdims=keepdims)),
           REDUCE_SAMPLES + [Sample((_NAN_ROWS,), {"axis": 1}, grad=False, note="NaN as 1"),
                             Sample((_NAN_ROWS,), {}, grad=False, note="NaN as 1, full")] + _BIG_PROD,
           domain=(0.5, 1.5), int_dtypes=("int32",), grad2=True, errors=REDUCE_ERRORS),
    OpCase("argmax", _arg_ref(np.argmax), _ARG_SAMPLES, grad=False, int_dtypes=("int32",), errors=_ARG_ERRORS),
    OpCase("argmin", _arg_ref(np.argmin), _ARG_SAMPLES, grad=False, int_dtypes=("int32",), errors=_ARG_ERRORS),
    OpCase("argmax_channel", lambda x: np.argmax(x, axis=1).astype(x.dtype),
           [Sample(((3, 4),)), Sample(((2, 3, 4),)), Sample((_TIES,), note="ties"),
            Sample((_big((64, 300, 4)),), note="Numba kernel")], grad=False,
           errors=[ErrorCase(((4,),), {}, ShapeError, "argmax_channel reduces axis 1")]),
    OpCase("norm", _norm_ref, _NORM_SAMPLES, int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3),), {"ord": 3}, AttrError, "norm only supports ord=1 and ord=2"),
                   ErrorCase(((2, 3),), {"axis": 2}, ShapeError, "axis 2 is out of range"),
                   ErrorCase(((2, 3),), {"keepdim": True}, AttrError, "Did you mean 'keepdims'"),
                   ErrorCase(((2, 3),), {"exclude": True}, AttrError, "unknown attribute 'exclude'")]),
]
