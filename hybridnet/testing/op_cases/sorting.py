"""Records for ops/sorting.py: sort, argsort, topk and the private permutation scatter / gather.

The references order lanes with Python's stable ``sorted`` on an explicit key (NaN largest; ties keep
their original order in both directions), independent of the kernels. The tie samples are MXNet
1.9.1's measured outputs: ``argsort([3,1,2,1,3,1])`` = ``[1,3,5,2,0,4]``, descending ``[0,4,2,1,3,5]``.
"""
import math

import numpy as np

from ...errors import AttrError, ShapeError
from . import ErrorCase, OpCase, Sample


def _order(lane, is_ascend):
    def key(i):
        v = lane[i]
        nan = isinstance(v, float) and math.isnan(v)
        if is_ascend:
            return (nan, 0 if nan else v)
        return (not nan, 0 if nan else -v)
    lane = [float(v) if isinstance(v, (float, np.floating)) else int(v) for v in lane]
    return sorted(range(len(lane)), key=key)


def _lanes(x, axis):
    if axis is None:
        return x.reshape(-1), 0
    return x, axis % x.ndim


def ref_argsort_int(x, axis=-1, is_ascend=True):
    x, ax = _lanes(x, axis)
    xm = np.moveaxis(x, ax, -1)
    flat = xm.reshape(-1, xm.shape[-1]) if xm.size else np.zeros((0, xm.shape[-1]), x.dtype)
    idx = np.array([_order(list(r), is_ascend) for r in flat], dtype=np.int64).reshape(xm.shape)
    return np.moveaxis(idx, -1, ax), ax, x


def ref_sort(x, axis=-1, is_ascend=True):
    idx, ax, xl = ref_argsort_int(x, axis, is_ascend)
    return np.take_along_axis(xl, idx, axis=ax)


def ref_argsort(x, axis=-1, is_ascend=True, dtype="float32"):
    return ref_argsort_int(x, axis, is_ascend)[0].astype(dtype)


def ref_topk(x, axis=-1, k=1, ret_typ="indices", is_ascend=False, dtype="float32"):
    idx, ax, xl = ref_argsort_int(x, axis, is_ascend)
    n = xl.shape[ax]
    kk = n if k < 1 else k
    idx = idx[(slice(None),) * ax + (slice(0, kk),)]
    vals = np.take_along_axis(xl, idx, axis=ax)
    if ret_typ == "mask":
        m = np.zeros(xl.shape, x.dtype)
        np.put_along_axis(m, idx, 1, axis=ax)
        return m.reshape(x.shape)
    if ret_typ == "value":
        return vals
    if ret_typ == "indices":
        return idx.astype(dtype)
    return vals, idx.astype(dtype)


_TIES = [[3, 1, 2, 1, 3, 1], [0, 0, 0, 0, 0, 0]]
_NANS = [[np.nan, 1.0, np.inf, -np.inf, np.nan, 0.0]]

_SORT_SAMPLES = [
    Sample(((3, 5),)),
    Sample(((4, 3),), {"axis": 0, "is_ascend": False}),
    Sample(((2, 3, 4),), {"axis": 1}),
    Sample(((2, 3),), {"axis": None}, note="axis=None sorts the flattened array"),
    Sample((_TIES,), grad=False, note="ties"),
    Sample((_TIES,), {"is_ascend": False}, grad=False, note="ties descending"),
    Sample((_NANS,), grad=False, note="NaN sorts as the largest value"),
    Sample((_NANS,), {"is_ascend": False}, grad=False, note="NaN first descending"),
    Sample(((0, 3),), note="0-size"),
    Sample(((2, 0),), {"axis": 0}, note="0-size lanes"),
]

_AXIS_ERR = ErrorCase(((2, 3),), {"axis": 2}, ShapeError, "axis 2 is out of range")

_TOPK_SAMPLES = [
    Sample(((3, 6),), {"k": 2, "ret_typ": "value"}),
    Sample(((4, 5),), {"k": 3, "ret_typ": "value", "is_ascend": True, "axis": 0}),
    Sample(((3, 6),), {"k": 2, "ret_typ": "both"}),
    Sample(((2, 3, 4),), {"k": 3, "ret_typ": "value", "axis": None}),
    Sample(((3, 6),), {"k": 2}),
    Sample(((3, 6),), {"k": 2, "ret_typ": "mask"}),
    Sample(((2, 3, 5),), {"k": 2, "axis": 1, "ret_typ": "both", "is_ascend": True}),
    Sample(((3, 6),), {"k": 0, "ret_typ": "value"}, note="k < 1 selects the whole axis"),
    Sample(((3, 200),), {"k": 5, "ret_typ": "both"}, note="selection kernel path"),
    Sample(((3, 200),), {"k": 5, "ret_typ": "both", "is_ascend": True}, note="selection kernel, ascending"),
    Sample(((2, 3),), {"k": 2, "axis": None, "ret_typ": "mask"}, note="mask keeps the input shape"),
    Sample((_TIES,), {"k": 3}, grad=False, note="ties: MXNet gives [[0,4,2],[0,1,2]]"),
    Sample((_TIES,), {"k": 3, "is_ascend": True, "ret_typ": "both"}, grad=False, note="ties ascending"),
    Sample((_TIES * 20,), {"k": 2, "ret_typ": "both"}, grad=False),
    Sample(([[3, 1, 2, 1, 3, 1] * 40],), {"k": 3, "ret_typ": "both"}, grad=False,
           note="ties on the selection-kernel path"),
    Sample(([[3, 1, 2, 1, 3, 1] * 40],), {"k": 4, "ret_typ": "both", "is_ascend": True}, grad=False),
    Sample(([[np.nan, 1.0, np.inf] * 30],), {"k": 4, "ret_typ": "both"}, grad=False, note="NaN, selection"),
    Sample(([[np.nan, 1.0, np.inf] * 30],), {"k": 4, "ret_typ": "both", "is_ascend": True}, grad=False),
    Sample((_NANS,), {"k": 3, "ret_typ": "both"}, grad=False),
    Sample(((3, 6),), {"k": 2, "dtype": "int32"}, note="int32 indices"),
    Sample(((0, 4),), {"k": 2, "ret_typ": "both"}, note="0-size"),
    Sample(((2, 0),), {"k": 0, "ret_typ": "both"}, note="0-size lanes with k=0"),
]

CASES = [
    OpCase("sort", ref_sort, _SORT_SAMPLES, int_dtypes=("int32", "uint8"), grad2=True, domain=(0.0, 9.0),
           errors=[_AXIS_ERR]),
    OpCase("argsort", ref_argsort,
           _SORT_SAMPLES + [Sample(((3, 4),), {"dtype": "int32"}), Sample(((2, 5),), {"dtype": "int64",
                                                                                        "is_ascend": False})],
           int_dtypes=("int32",), domain=(0.0, 9.0),
           errors=[_AXIS_ERR, ErrorCase(((2, 3),), {"dtype": "int16"}, AttrError, "not a valid index dtype")]),
    OpCase("topk", ref_topk, _TOPK_SAMPLES, int_dtypes=("int32",), domain=(0.0, 9.0), grad2=True,
           errors=[ErrorCase(((2, 6),), {"k": 7}, ShapeError, "k must be smaller than or equal to the size of "
                                                              r"the axis \(6\), got k = 7"),
                   _AXIS_ERR,
                   ErrorCase(((2, 3),), {"ret_typ": "foo"}, AttrError, "ret_typ='foo' is not a valid"),
                   ErrorCase(((2, 3),), {"dtype": "int16"}, AttrError, "not a valid index dtype")]),
    OpCase("topk", ref_topk, [Sample(((4, 6),), {"k": 3, "ret_typ": "value", "is_ascend": True}),
                              Sample(((2, 3, 4),), {"k": 2, "ret_typ": "both", "axis": 0, "dtype": "float64"},
                                     note="float64 indices: the gradient check sums both outputs")],
           grad2=True, gpu=False, name="topk_grad_ascend_axis0"),
    OpCase("_scatter_along_axis", lambda g, i, axis=0, size=0: _scatter_ref(g, i, axis, size),
           [Sample(((2, 3), [[2, 0, 4], [1, 3, 0]]), {"axis": 1, "size": 5}),
            Sample(((3, 2), [[1, 0], [0, 2], [2, 1]]), {"axis": 0, "size": 3}),
            Sample(((0, 3), np.zeros((0, 3), np.int64)), {"axis": -1, "size": 4}, note="0-size")],
           input_dtypes=(None, "int64"), grad2=True,
           errors=[ErrorCase(((2, 3), (2, 2)), {"axis": 1, "size": 4}, ShapeError, "same shape",
                             dtypes=("float32", "int64"))]),
    OpCase("_gather_along_axis", lambda x, i, axis=0: np.take_along_axis(x, i.astype(np.intp), axis=axis),
           [Sample(((2, 5), [[4, 0, 2], [1, 3, 0]]), {"axis": 1}),
            Sample(((3, 2), [[1, 0], [2, 2]]), {"axis": 0}, grad=False, note="gather may repeat (forward only)"),
            Sample(((0, 3), np.zeros((0, 2), np.int64)), {"axis": 1}, note="0-size")],
           input_dtypes=(None, "float32"), grad2=True, grad_inputs=(0,),
           errors=[ErrorCase(((2, 3), (3, 3)), {"axis": 1}, ShapeError, "may differ only along axis",
                             dtypes=("float32", "int64"))]),
]


def _scatter_ref(g, idx, axis, size):
    ax = axis % g.ndim
    out = np.zeros(g.shape[:ax] + (size,) + g.shape[ax + 1:], g.dtype)
    idx = idx.astype(np.intp)
    if g.size == 0:
        return out
    it = np.nditer(g, flags=["multi_index"])
    for v in it:
        pos = list(it.multi_index)
        pos[ax] = idx[it.multi_index]
        out[tuple(pos)] = v
    return out
