"""Sorting: ``sort``, ``argsort``, ``topk`` with MXNet's attrs, shapes and dtypes.

Order is stable in both directions (MXNet 1.9.1, measured): equal values keep their original order,
ascending or descending, so ``topk(x, k)`` is ``argsort(x, is_ascend=False)[..., :k]``. ``axis=None``
works on the flattened array. Indices come back as float32 unless ``dtype`` says otherwise (legacy nd).
NaN (which MXNet orders arbitrarily) sorts as the largest value: last ascending, first descending.

Gradients route the output gradient back to the source positions with two private permutation ops,
``_scatter_along_axis`` and ``_gather_along_axis`` (each the other's gradient); index outputs
(``argsort``, ``topk`` indices / mask) get zero gradients, as in MXNet.
"""
import numpy as np

from . import api as F
from ..errors import AttrError, ShapeError
from .check import norm_axis, op_error
from .opdef import Attr, Axis, Bool, Choice, DType, Int, Pattern
from .registry import defop
from .spec import TensorSpec

__all__ = ["sort_axis", "topk_k", "INDEX_DTYPES"]

# MXNet's accepted index dtypes for argsort / topk.
INDEX_DTYPES = ("float16", "float32", "float64", "int32", "int64", "uint8")


def sort_axis(op, x, axis):
    """Normalised axis; ``None`` means "the flattened array" (returns None)."""
    if axis is None:
        return None
    if len(x.shape) == 0:
        raise op_error(op, (x,), ShapeError, f"{op.name} needs an array of rank >= 1, got a 0-d array",
                       "reshape it to (1,) or pass axis=None")
    return norm_axis(op, (x,), axis, len(x.shape))


def _lane_shape(x, axis):
    """(shape of the array being sorted, axis in it): flattened for axis=None."""
    if axis is None:
        return (int(np.prod(x.shape, dtype=np.int64)),), 0
    return tuple(x.shape), axis


def topk_k(op, x, axis, k):
    """The effective k (k < 1 means the whole axis, as in MXNet)."""
    shape, ax = _lane_shape(x, axis)
    n = shape[ax]
    if k < 1:
        return n
    if k > n:
        raise op_error(op, (x,), ShapeError, f"k must be smaller than or equal to the size of the axis ({n}), "
                       f"got k = {k}", f"pass k <= {n} (or k=0 for the whole axis)")
    return k


def _check_index_dtype(op, x, dtype):
    if np.dtype(dtype).name not in INDEX_DTYPES:
        raise op_error(op, (x,), AttrError, f"dtype={np.dtype(dtype).name} is not a valid index dtype",
                       f"use one of {', '.join(INDEX_DTYPES)}")


def _int_index_dtype(n):
    return "int32" if n < 2 ** 31 else "int64"


# ---- sort / argsort -------------------------------------------------------------------------------

def _sort_infer(x, axis=-1, is_ascend=True):
    a = sort_axis(_sort, x, axis)
    shape, _ = _lane_shape(x, a)
    return TensorSpec(shape, x.dtype, x.device)


def _flat_axis(ctx):
    """(axis, flatten?) for a grad rule: axis=None works on the flattened input."""
    a = ctx.attrs["axis"]
    if a is None:
        return 0, True
    return a % len(ctx.in_specs[0].shape), False


def _sort_grad(ctx, g):
    x = ctx.inputs[0]
    ax, flat = _flat_axis(ctx)
    xs = ctx.in_specs[0].shape
    xl = F.Reshape(x, shape=(-1,)) if flat else x
    n = xl.shape[ax]
    idx = F.argsort(xl, axis=ax, is_ascend=ctx.attrs["is_ascend"], dtype=_int_index_dtype(n))
    gx = F._scatter_along_axis(g, idx, axis=ax, size=n)
    return (F.Reshape(gx, shape=xs) if flat else gx),


_SORT_ATTRS = (Attr("axis", Axis(), -1, "axis to sort along; None sorts the flattened array"),
               Attr("is_ascend", Bool(), True, "ascending (True) or descending order"))

_sort = defop(
    "sort", ("data",), _sort_infer, Pattern.OPAQUE, attrs=_SORT_ATTRS,
    grad=_sort_grad, saves=("inputs",),
    doc="Sort along an axis (stable; NaN sorts as the largest value).\n\n"
        ">>> nd.sort(nd.array([[1, 4], [3, 1]])).asnumpy().tolist()\n[[1.0, 4.0], [1.0, 3.0]]")


def _argsort_infer(x, axis=-1, is_ascend=True, dtype="float32"):
    a = sort_axis(_argsort, x, axis)
    _check_index_dtype(_argsort, x, dtype)
    shape, _ = _lane_shape(x, a)
    return TensorSpec(shape, dtype, x.device)


_argsort = defop(
    "argsort", ("data",), _argsort_infer, Pattern.OPAQUE,
    attrs=_SORT_ATTRS + (Attr("dtype", DType(), np.dtype("float32"), "dtype of the indices"),),
    grad=lambda ctx, g: (F.zeros_like(ctx.inputs[0]),), saves=("inputs",), dtype_check=None,
    doc="Indices that sort an array along an axis (stable: ties keep their order, in both "
        "directions). Indices are float32 by default.\n\n"
        ">>> nd.argsort(nd.array([3, 1, 2])).asnumpy().tolist()\n[1.0, 2.0, 0.0]")


# ---- topk -----------------------------------------------------------------------------------------

def _topk_n_out(attrs, n_inputs):
    return 2 if attrs.get("ret_typ") == "both" else 1


def _topk_infer(x, axis=-1, k=1, ret_typ="indices", is_ascend=False, dtype="float32"):
    op = _topk
    a = sort_axis(op, x, axis)
    _check_index_dtype(op, x, dtype)
    kk = topk_k(op, x, a, k)
    if ret_typ == "mask":
        return TensorSpec(x.shape, x.dtype, x.device)
    shape, ax = _lane_shape(x, a)
    out = shape[:ax] + (kk,) + shape[ax + 1:]
    vals = TensorSpec(out, x.dtype, x.device)
    idx = TensorSpec(out, dtype, x.device)
    if ret_typ == "value":
        return vals
    if ret_typ == "indices":
        return idx
    return vals, idx


def _topk_grad(ctx, g, *rest):
    x = ctx.inputs[0]
    a = ctx.attrs
    if a["ret_typ"] in ("indices", "mask"):
        return F.zeros_like(x),
    ax, flat = _flat_axis(ctx)
    xs = ctx.in_specs[0].shape
    xl = F.Reshape(x, shape=(-1,)) if flat else x
    n = xl.shape[ax]
    idx = F.topk(xl, axis=ax, k=a["k"], ret_typ="indices", is_ascend=a["is_ascend"], dtype=_int_index_dtype(n))
    gx = F._scatter_along_axis(g, idx, axis=ax, size=n)
    return (F.Reshape(gx, shape=xs) if flat else gx),


_topk = defop(
    "topk", ("data",), _topk_infer, Pattern.OPAQUE,
    attrs=(Attr("axis", Axis(), -1, "axis to select along; None uses the flattened array"),
           Attr("k", Int(), 1, "number of elements to select; k < 1 selects the whole axis"),
           Attr("ret_typ", Choice("indices", "value", "both", "mask"), "indices",
                "'indices', 'value', 'both' ([values, indices]) or 'mask' (1 at the selected positions)"),
           Attr("is_ascend", Bool(), False, "select the smallest (True) or the largest (False) elements"),
           Attr("dtype", DType(), np.dtype("float32"), "dtype of the indices")),
    grad=_topk_grad, saves=("inputs",), num_outputs=_topk_n_out,
    dtype_check=None,
    doc="The k largest (or smallest) elements along an axis, best first; ties keep their original "
        "order. ret_typ='both' returns [values, indices].\n\n"
        ">>> nd.topk(nd.array([1, 5, 3]), k=2).asnumpy().tolist()\n[1.0, 2.0]\n"
        ">>> [o.asnumpy().tolist() for o in nd.topk(nd.array([1, 5, 3]), k=2, ret_typ='both')]\n"
        "[[5.0, 3.0], [1.0, 2.0]]")


# ---- private permutation scatter / gather (the gradients above) ------------------------------------

def _scatter_infer(data, index, axis=0, size=0):
    op = _scatter
    ax = norm_axis(op, (data, index), axis, len(data.shape)) if data.shape else 0
    if tuple(index.shape) != tuple(data.shape):
        raise op_error(op, (data, index), ShapeError, "data and index must have the same shape",
                       "pass the index array the values came with")
    if size < 0:
        raise op_error(op, (data, index), ShapeError, f"size={size} must be >= 0", "pass the output axis length")
    out = tuple(data.shape)
    return TensorSpec(out[:ax] + (size,) + out[ax + 1:], data.dtype, data.device)


_scatter = defop(
    "_scatter_along_axis", ("data", "index"), _scatter_infer, Pattern.OPAQUE,
    attrs=(Attr("axis", Int(), 0, "axis the indices address"),
           Attr("size", Int(), 0, "length of the output along axis")),
    grad=lambda ctx, g: (F._gather_along_axis(g, ctx.inputs[1], axis=ctx.attrs["axis"]), None),
    saves=("inputs",), nondiff=(1,), dtype_check=None, public=False,
    doc="out = zeros with out.shape[axis] = size, then out[..., index[..., j], ...] = data[..., j, ...] "
        "along axis. The indices of one lane must be distinct (a permutation or a selection), as sort "
        "and topk produce; the gradient is _gather_along_axis.\n\n"
        ">>> F._scatter_along_axis(nd.array([5, 6]), nd.array([2, 0]), axis=0, size=3).asnumpy().tolist()\n"
        "[6.0, 0.0, 5.0]")


def _gather_infer(data, index, axis=0):
    op = _gather
    if not data.shape or len(index.shape) != len(data.shape):
        raise op_error(op, (data, index), ShapeError, "data and index must have the same rank >= 1",
                       "pass an index array of the data's rank")
    ax = norm_axis(op, (data, index), axis, len(data.shape))
    if any(i != d for j, (i, d) in enumerate(zip(index.shape, data.shape)) if j != ax):
        raise op_error(op, (data, index), ShapeError, "index and data shapes may differ only along axis",
                       "pass an index array with the data's shape except along axis")
    return TensorSpec(index.shape, data.dtype, data.device)


_gather = defop(
    "_gather_along_axis", ("data", "index"), _gather_infer, Pattern.OPAQUE,
    attrs=(Attr("axis", Int(), 0, "axis the indices address"),),
    grad=lambda ctx, g: (F._scatter_along_axis(g, ctx.inputs[1], axis=ctx.attrs["axis"],
                                               size=ctx.in_specs[0].shape[ctx.attrs["axis"]]), None),
    saves=("inputs",), nondiff=(1,), dtype_check=None, public=False,
    doc="out[..., j, ...] = data[..., index[..., j, ...], ...] along axis (NumPy take_along_axis). The "
        "gradient is _scatter_along_axis, so a lane's indices must be distinct.\n\n"
        ">>> F._gather_along_axis(nd.array([5, 6, 7]), nd.array([2, 0]), axis=0).asnumpy().tolist()\n"
        "[7.0, 5.0]")
