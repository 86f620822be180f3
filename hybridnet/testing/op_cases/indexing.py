"""Records for ops/indexing.py. References are written index by index (Python loops over NumPy), not
with the kernels' vectorised formulas. Index inputs are explicit arrays (cast to the case dtype, so
float32/float64 indices as MXNet users pass them, incl. fractional ones that truncate); expected values
for clip/wrap/negative indices were checked against MXNet 1.9.1."""
import numpy as np

from ...errors import AttrError, DTypeError, ShapeError
from ...ops.indexing import IndexOutOfRangeError
from . import ErrorCase, OpCase, Sample


def _ints(idx):
    """MXNet's index cast: truncate towards zero."""
    return np.trunc(np.asarray(idx, dtype=np.float64)).astype(np.int64)


def _fix(i, n, mode):
    if mode == "wrap":
        return i % n
    return min(max(i, 0), n - 1)


def take_ref(a, indices, axis=0, mode="clip"):
    ax = axis % a.ndim
    n = a.shape[ax]
    idx = _ints(indices)
    moved = np.moveaxis(a, ax, 0)
    rows = [moved[_fix(int(i), n, mode)] for i in idx.reshape(-1)]
    r = np.stack(rows) if rows else np.zeros((0,) + moved.shape[1:], a.dtype)
    r = r.reshape(idx.shape + moved.shape[1:])
    # the indices' axes sit where `axis` was
    return np.moveaxis(r, list(range(idx.ndim)), list(range(ax, ax + idx.ndim))) if idx.ndim else r


def backward_take_ref(g, indices, shape=(), axis=0, mode="clip"):
    ax = axis % len(shape)
    n = shape[ax]
    idx = _ints(indices).reshape(-1)
    out = np.zeros(shape, g.dtype)
    om = np.moveaxis(out, ax, 0)
    gm = np.moveaxis(g.reshape(shape[:ax] + (idx.size,) + tuple(shape[ax + 1:])), ax, 0)
    for k, i in enumerate(idx):
        om[_fix(int(i), n, mode)] += gm[k]
    return out


def pick_ref(data, index, axis=-1, keepdims=False, mode="clip"):
    ax = axis % data.ndim
    n = data.shape[ax]
    rshape = tuple(d for i, d in enumerate(data.shape) if i != ax)
    idx = _ints(index).reshape(rshape)
    out = np.zeros(rshape, data.dtype)
    for pos in np.ndindex(*rshape):
        full = pos[:ax] + (_fix(int(idx[pos]), n, mode),) + pos[ax:]
        out[pos] = data[full]
    if keepdims:
        return out.reshape(tuple(1 if i == ax else d for i, d in enumerate(data.shape)))
    return out if out.ndim else out.reshape(1)


def backward_pick_ref(g, index, shape=(), axis=-1, keepdims=False, mode="clip"):
    ax = axis % len(shape)
    n = shape[ax]
    rshape = tuple(d for i, d in enumerate(shape) if i != ax)
    idx = _ints(index).reshape(rshape)
    gr = g.reshape(rshape)
    out = np.zeros(shape, g.dtype)
    for pos in np.ndindex(*rshape):
        out[pos[:ax] + (_fix(int(idx[pos]), n, mode),) + pos[ax:]] = gr[pos]
    return out


def _coords(indices, shape):
    """Per index tuple: the coordinates (negative counted from the end), as a list of tuples."""
    idx = _ints(indices)
    m = idx.shape[0]
    cols = idx.reshape(m, -1).T
    return [tuple(int(c) + (shape[j] if c < 0 else 0) for j, c in enumerate(col)) for col in cols], idx.shape[1:]


def gather_nd_ref(data, indices):
    coords, lead = _coords(indices, data.shape)
    m = len(indices)
    rest = data.shape[m:]
    out = np.zeros((len(coords),) + rest, data.dtype)
    for k, c in enumerate(coords):
        out[k] = data[c]
    return out.reshape(tuple(lead) + rest)


def scatter_ref(accumulate):
    def ref(data, indices, shape=()):
        coords, _ = _coords(indices, shape)
        m = len(indices)
        out = np.zeros(shape, data.dtype)
        vals = data.reshape((len(coords),) + tuple(shape[m:]))
        for k, c in enumerate(coords):
            if accumulate:
                out[c] += vals[k]
            else:
                out[c] = vals[k]
        return out
    return ref


def one_hot_ref(indices, depth=0, on_value=1.0, off_value=0.0, dtype="float32"):
    idx = _ints(indices)
    dt = np.dtype(dtype)
    out = np.full(idx.shape + (depth,), np.asarray(off_value).astype(dt), dt)
    for pos in np.ndindex(*idx.shape):
        if 0 <= idx[pos] < depth:
            out[pos + (int(idx[pos]),)] = np.asarray(on_value).astype(dt)
    return out


def where_ref(cond, x, y):
    c = cond != 0
    if c.shape != x.shape:
        c = c.reshape((-1,) + (1,) * (x.ndim - 1))
    return np.where(c, x, y)


A = np.array
_G = (0,)   # gradient w.r.t. the data input only (indices are nondiff)

CASES = [
    OpCase("take", take_ref, [
        Sample(((3, 4), A([0, 2, 1, 2]))),
        Sample(((3, 4), A([[0, 5], [-1, 1.7]])), note="clip; -1 -> 0, 1.7 -> 1 (MXNet 1.9.1)"),
        Sample(((3, 4), A([0, 5, -1, 1.7, -4])), {"axis": 1, "mode": "wrap"}, note="wrap: -1 -> 3, -4 -> 0"),
        Sample(((2, 3, 4), A([[3, 0], [1, 1]])), {"axis": -1}),
        Sample(((2, 3, 4), A([2, 0, 1])), {"axis": 1, "mode": "raise"}),
        Sample(((3, 4), A([0.5, -0.5, -1.5, 2.5])), note="fractional indices truncate towards zero"),
        Sample(((3, 4), np.zeros((0,))), note="0-size indices"),
        Sample(((2, 0), A([1, 0])), note="0-size rows"),
    ], int_dtypes=("int32",), grad_inputs=_G, grad2=True, errors=[
        ErrorCase(((3, 4), A([0, 5])), {"mode": "raise"}, IndexOutOfRangeError,
                  r"index 5 is out of bounds for axis 0 with size 3"),
        ErrorCase(((3, 4), A([0, -1])), {"mode": "raise"}, IndexOutOfRangeError,
                  r"(?s)index -1 is out of bounds.*no negative"),
        ErrorCase(((3, 4), A([0])), {"axis": 2}, ShapeError, "axis 2 is out of range"),
        ErrorCase(((3, 4), A([0])), {"mode": "nearest"}, AttrError, "mode='nearest' is not a valid"),
        ErrorCase(((0, 4), A([0])), {}, IndexOutOfRangeError, "axis 0 of size 0"),
    ]),
    OpCase("take", take_ref, [Sample(((5, 3), A([4, 0, -2, 7])), {"mode": "wrap"}),
                              Sample(((5, 3), A([[4, 0], [9, 1]])))],
           input_dtypes=(None, "int32"), grad_inputs=_G, name="take_int_indices"),
    OpCase("_backward_take", backward_take_ref, [
        Sample(((4, 2), A([0, 0, 2, 1])), {"shape": (3, 2)}, note="repeated index accumulates"),
        Sample(((2, 2, 2), A([[0, 9], [-1, 2]])), {"shape": (2, 3), "axis": 1, "mode": "wrap"}),
        Sample(((3, 2, 2), A([1, 1])), {"shape": (3, 4, 2), "axis": -2}),
        Sample(((0, 2), np.zeros((0,))), {"shape": (3, 2)}, note="0-size"),
    ], int_dtypes=("int32",), grad_inputs=_G, grad2=True, errors=[
        ErrorCase(((4, 3), A([0, 1])), {"shape": (3, 2)}, ShapeError, "does not match take's output shape"),
    ]),
    OpCase("pick", pick_ref, [
        Sample(((3, 4), A([0, 3, 1]))),
        Sample(((3, 4), A([0, 5, -1])), note="clip: 5 -> 3, -1 -> 0 (MXNet 1.9.1)"),
        Sample(((3, 4), A([0, 5, -1])), {"mode": "wrap"}, note="wrap: 5 -> 1, -1 -> 3"),
        Sample(((3, 4), A([0, 2, 1, 2])), {"axis": 0, "keepdims": True}),
        Sample(((3, 4), A([[0], [1.7], [2]])), {"axis": 1}, note="index with the kept axis; 1.7 -> 1"),
        Sample(((2, 3, 4), A([[0, 1, 2, 3], [1, 1, 1, 1]])), {"axis": 1}),
        Sample(((4,), A([2])), {"axis": 0}, note="1-D data gives shape (1,)"),
        Sample(((0, 4), np.zeros((0,))), note="0-size"),
    ], int_dtypes=("int32",), grad_inputs=_G, grad2=True, errors=[
        ErrorCase(((3, 4), A([[0, 1, 2]])), {"axis": 1}, ShapeError, r"index shape \(1, 3\) does not match"),
        ErrorCase(((3, 4), A([0, 1, 2])), {"axis": None}, ShapeError, "axis=None is not supported"),
        ErrorCase(((3, 4), A([0, 1, 2])), {"mode": "raise"}, AttrError, "mode='raise' is not a valid"),
        ErrorCase(((3, 4), A([0, 1, 2])), {"axis": 2}, ShapeError, "axis 2 is out of range"),
    ]),
    OpCase("_backward_pick", backward_pick_ref, [
        Sample(((3,), A([0, 5, -1])), {"shape": (3, 4)}),
        Sample(((3,), A([0, 5, -1])), {"shape": (3, 4), "mode": "wrap"}),
        Sample(((1, 4), A([[2, 0, 1, 2]])), {"shape": (3, 4), "axis": 0, "keepdims": True}),
        Sample(((2, 4), A([[0, 1, 2, 3], [1, 1, 1, 1]])), {"shape": (2, 3, 4), "axis": 1}),
    ], int_dtypes=("int32",), grad_inputs=_G, grad2=True, errors=[
        ErrorCase(((2,), A([0, 1])), {"shape": (3, 4)}, ShapeError, "does not match"),
    ]),
    OpCase("gather_nd", gather_nd_ref, [
        Sample(((3, 4), A([[0, 2], [1, 3]]))),
        Sample(((3, 4), A([[0, -1, -3]])), note="rows; negative coordinates count from the end"),
        Sample(((2, 3, 4), A([[[0, 1], [1, 1]], [[2, 0], [1, -2]]]))),
        Sample(((3, 4), A([[1.7, 0.2]])), note="fractional coordinates truncate"),
        Sample(((2, 3), A([[1], [2]])), note="all axes indexed"),
        Sample(((3, 4), np.zeros((2, 0))), note="0-size indices"),
    ], int_dtypes=("int32",), grad_inputs=_G, grad2=True, errors=[
        ErrorCase(((3, 4), A([[0, 3]])), {}, IndexOutOfRangeError, "index 3 is out of bounds for axis 0 with size 3"),
        ErrorCase(((3, 4), A([[0], [-5]])), {}, IndexOutOfRangeError, "index -5 is out of bounds for axis 1"),
        ErrorCase(((3, 4), A([0, 2])), {}, ShapeError, "indices must have at least 2 dims"),
        ErrorCase(((3, 4), A([[0], [1], [2]])), {}, ShapeError, r"indices.shape\[0\]=3 must be between 1 and"),
    ]),
    OpCase("gather_nd", gather_nd_ref, [Sample(((4, 3), A([[3, 0, -1]])))], input_dtypes=(None, "int64"),
           grad_inputs=_G, name="gather_nd_int64_indices"),
    OpCase("scatter_nd", scatter_ref(False), [
        Sample(((2,), A([[0, 2], [1, 3]])), {"shape": (3, 4)}),
        Sample(((2, 4), A([[0, 2]])), {"shape": (3, 4)}, note="whole rows"),
        Sample(((2,), A([[0, 1], [1, -1]])), {"shape": (3, 4)}, note="negative coordinate counts from the end"),
        Sample(((2, 2), A([[[0, 1], [1, 0]]])), {"shape": (2,)}, note="2-D index grid"),
        Sample(((0,), np.zeros((2, 0))), {"shape": (3, 4)}, note="0-size"),
    ], int_dtypes=("int32",), grad_inputs=_G, grad2=True, errors=[
        ErrorCase(((3,), A([[0, 2], [1, 3]])), {"shape": (3, 4)}, ShapeError,
                  r"data shape \(3,\) does not fit"),
        ErrorCase(((2,), A([[0, 3], [1, 1]])), {"shape": (3, 4)}, IndexOutOfRangeError,
                  "index 3 is out of bounds for axis 0 with size 3"),
    ]),
    OpCase("scatter_nd", scatter_ref(False), [Sample(((3,), A([[0, 2, 0], [1, 3, 1]])), {"shape": (3, 4)},
                                                     grad=False, note="repeated coordinate: last write wins")],
           grad=False, gpu=False, name="scatter_nd_duplicates"),
    OpCase("_backward_gather_nd", scatter_ref(True), [
        Sample(((3,), A([[0, 0, 2], [1, 1, 3]])), {"shape": (3, 4)}, note="repeated coordinates add up"),
        Sample(((3, 4), A([[0, 2, -3]])), {"shape": (3, 4)}),
        Sample(((0,), np.zeros((2, 0))), {"shape": (3, 4)}, note="0-size"),
    ], int_dtypes=("int32",), grad_inputs=_G, grad2=True, errors=[
        ErrorCase(((2,), A([[0, 3], [1, 1]])), {"shape": (3, 4)}, IndexOutOfRangeError, "index 3 is out of bounds"),
    ]),
    OpCase("one_hot", one_hot_ref, [
        Sample((A([0, 2, 1]),), {"depth": 3}),
        Sample((A([0, 2, -1, 5, 1.7]),), {"depth": 3}, note="out of range -> all off; 1.7 -> 1 (MXNet 1.9.1)"),
        Sample((A([[0, 2], [1, 1]]),), {"depth": 3, "on_value": 5, "off_value": -1, "dtype": "int32"}),
        Sample((A([0, 2]),), {"depth": 3, "on_value": 2.5, "dtype": "float64"}),
        Sample((A([0, 2]),), {"depth": 0}, note="depth 0 gives an empty last axis, as MXNet"),
        Sample((np.zeros((0,)),), {"depth": 4}, note="0-size"),
    ], int_dtypes=("int32",), grad=False, errors=[
        ErrorCase((A([0, 1]),), {"depth": -1}, ShapeError, "depth=-1 must be a non-negative integer"),
        ErrorCase((A([0, 1]),), {}, AttrError, "requires the attribute 'depth'"),
    ]),
    OpCase("where", where_ref, [
        Sample((A([[1, 0, 2], [0, 0.5, 0]]), (2, 3), (2, 3))),
        Sample((A([1, 0]), (2, 3), (2, 3)), note="1-D condition selects rows"),
        Sample((A([0, 1, 1]), (3,), (3,))),
        Sample((A([[np.nan, 0]]), (1, 2), (1, 2)), note="NaN is non-zero: x"),
        Sample((np.zeros((0, 3)), (0, 3), (0, 3)), note="0-size"),
    ], int_dtypes=("int32",), grad_inputs=(1, 2), grad2=True, errors=[
        ErrorCase(((3,), (2, 3), (2, 3)), {}, ShapeError, r"condition shape \(3,\) must equal x's shape"),
        ErrorCase(((2, 3), (2, 3), (1, 3)), {}, ShapeError, "x and y must have the same shape"),
        ErrorCase(((2, 3), (2, 3), (2, 3)), {}, DTypeError, "x and y dtypes differ",
                  dtypes=("float32", "float32", "int32")),
    ]),
    OpCase("where", where_ref, [Sample((A([1, 0]), (2, 3), (2, 3))), Sample((A([[3, 0]]), (1, 2), (1, 2)))],
           input_dtypes=("int32", None, None), grad_inputs=(1, 2), name="where_int_condition"),
]
