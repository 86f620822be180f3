"""Indexing ops: ``take``, ``pick``, ``gather_nd``, ``scatter_nd``, ``one_hot``, ``where`` and the
scatter-add ops their gradients use (``_backward_take``, ``_backward_pick``, ``_backward_gather_nd``).

Index inputs may be integer or float arrays (MXNet's default dtype is float32): a float index is
truncated towards zero, as MXNet's C++ cast does. Index inputs never get a gradient (``nondiff``).
Out-of-range indices follow MXNet 1.9.1: ``take``/``pick`` clip or wrap (``take(mode='raise')`` raises),
``gather_nd`` accepts ``[-size, size)`` and raises otherwise, ``one_hot`` writes an all-``off_value`` row.

Also here: the key normalisation behind ``x[key]`` (``ArrayMethods.__getitem__``) and
``NDArray.__setitem__``, lowered to registry ops (``slice``, ``Reshape``, ``gather_nd``) so that an
indexed expression means the same eagerly and traced.
"""
import numbers

import numpy as np

from . import api as F
from ..errors import DTypeError, ShapeError, user_line
from .check import norm_axis, op_error
from .opdef import REQUIRED, Attr, Axis, Bool, Choice, DType, Float, Int, Pattern, Shape
from .registry import defop
from .spec import TensorSpec

__all__ = ["IndexOutOfRangeError", "gather_nd_shape", "expand_key", "index_error", "getitem"]


class IndexOutOfRangeError(ShapeError, IndexError):
    """An index lies outside the axis it indexes. Also an ``IndexError``, as MXNet and NumPy raise."""


def _check_index_dtype(op, args, idx, name="indices"):
    if np.dtype(idx.dtype).kind not in "iufb":
        raise op_error(op, args, DTypeError, f"{name} must be an integer or float array, got {idx.dtype}",
                       f"pass {name} as int32/int64/float32 values")


def _int(v):
    return int(v) if not isinstance(v, tuple) else tuple(int(x) for x in v)


# ---- take ---------------------------------------------------------------------------------------

def _take_infer(a, indices, axis=0, mode="clip"):
    args = (a, indices)
    _check_index_dtype(_take, args, indices)
    if len(a.shape) == 0:
        raise op_error(_take, args, ShapeError, "cannot take from a 0-d array", "reshape it to (1,) first")
    ax = norm_axis(_take, args, axis, len(a.shape))
    if a.shape[ax] == 0 and int(np.prod(indices.shape, dtype=np.int64)) > 0:
        raise op_error(_take, args, IndexOutOfRangeError,
                       f"cannot take indices from axis {axis} of size 0", "take from a non-empty axis")
    shape = tuple(a.shape[:ax]) + tuple(indices.shape) + tuple(a.shape[ax + 1:])
    return TensorSpec(shape, a.dtype, a.device)


def _take_grad(ctx, g):
    a = ctx.in_specs[0]
    return (F._backward_take(g, ctx.inputs[1], shape=a.shape, axis=ctx.attrs["axis"],
                             mode=ctx.attrs["mode"]), None)


_take = defop(
    "take", ("a", "indices"), _take_infer, Pattern.INJECTIVE,
    attrs=(Attr("axis", Int(), 0, "the axis of `a` to take along"),
           Attr("mode", Choice("clip", "wrap", "raise"), "clip",
                "out-of-range indices: 'clip' to [0, n-1], 'wrap' modulo n, 'raise' an error "
                "(negative indices are out of range)")),
    grad=_take_grad, saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="Take elements of `a` along `axis` at `indices` (float indices are truncated). The output "
        "shape is a.shape[:axis] + indices.shape + a.shape[axis+1:].\n\n"
        ">>> nd.take(nd.array([[1, 2], [3, 4], [5, 6]]), nd.array([0, 2])).asnumpy().tolist()\n"
        "[[1.0, 2.0], [5.0, 6.0]]")


def _btake_infer(ograd, indices, shape=(), axis=0, mode="clip"):
    args = (ograd, indices)
    _check_index_dtype(_btake, args, indices)
    if len(shape) == 0:
        raise op_error(_btake, args, ShapeError, "shape must have at least one dim", "pass the data shape")
    ax = norm_axis(_btake, args, axis, len(shape))
    want = tuple(shape[:ax]) + tuple(indices.shape) + tuple(shape[ax + 1:])
    if tuple(ograd.shape) != want:
        raise op_error(_btake, args, ShapeError,
                       f"ograd shape {tuple(ograd.shape)} does not match take's output shape {want}",
                       "ograd must have shape shape[:axis] + indices.shape + shape[axis+1:]")
    if shape[ax] == 0 and int(np.prod(indices.shape, dtype=np.int64)) > 0:
        raise op_error(_btake, args, IndexOutOfRangeError, f"axis {axis} has size 0",
                       "use a non-empty axis")
    return TensorSpec(shape, ograd.dtype, ograd.device)


_btake = defop(
    "_backward_take", ("ograd", "indices"), _btake_infer, Pattern.OPAQUE,
    attrs=(Attr("shape", Shape(), REQUIRED, "shape of take's data input"),
           Attr("axis", Int(), 0, "the axis take gathered along"),
           Attr("mode", Choice("clip", "wrap", "raise"), "clip", "take's mode")),
    grad=lambda ctx, g: (F.take(g, ctx.inputs[1], axis=ctx.attrs["axis"], mode=ctx.attrs["mode"]), None),
    saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="Gradient of take: scatter-add `ograd` into zeros of `shape` at `indices` along `axis` "
        "(repeated indices accumulate).\n\n"
        ">>> nd._backward_take(nd.ones((3,)), nd.array([0, 0, 2]), shape=(4,)).asnumpy().tolist()\n"
        "[2.0, 0.0, 1.0, 0.0]")


# ---- pick ---------------------------------------------------------------------------------------

def _pick_shapes(op, args, dshape, ishape, axis, keepdims):
    if axis is None:
        raise op_error(op, args, ShapeError, "axis=None is not supported by pick", "pass an int axis")
    ax = norm_axis(op, args, axis, len(dshape))
    kshape = tuple(1 if i == ax else d for i, d in enumerate(dshape))
    rshape = tuple(d for i, d in enumerate(dshape) if i != ax)
    if tuple(ishape) not in (kshape, rshape):
        raise op_error(op, args, ShapeError,
                       f"index shape {tuple(ishape)} does not match the data shape {tuple(dshape)} with axis "
                       f"{axis} removed ({rshape} or {kshape})", "give one index per position of the other axes")
    if dshape[ax] == 0 and int(np.prod(ishape, dtype=np.int64)) > 0:
        raise op_error(op, args, IndexOutOfRangeError, f"cannot pick from axis {axis} of size 0",
                       "pick from a non-empty axis")
    return ax, (kshape if keepdims else rshape) or (1,)


def _pick_infer(data, index, axis=-1, keepdims=False, mode="clip"):
    args = (data, index)
    _check_index_dtype(_pick, args, index, "index")
    _, oshape = _pick_shapes(_pick, args, data.shape, index.shape, axis, keepdims)
    return TensorSpec(oshape, data.dtype, data.device)


_PICK_ATTRS = (Attr("axis", Axis(), -1, "the axis to pick along"),
               Attr("keepdims", Bool(), False, "keep the picked axis as size 1"),
               Attr("mode", Choice("clip", "wrap"), "clip", "out-of-range indices: 'clip' or 'wrap'"))

_pick = defop(
    "pick", ("data", "index"), _pick_infer, Pattern.INJECTIVE, attrs=_PICK_ATTRS,
    grad=lambda ctx, g: (F._backward_pick(g, ctx.inputs[1], shape=ctx.in_specs[0].shape, **ctx.attrs), None),
    saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="Pick one element along `axis` per position of the other axes: out[i] = data[i, index[i]] for "
        "axis=-1 on 2-D data.\n\n"
        ">>> nd.pick(nd.array([[1, 2], [3, 4]]), nd.array([1, 0])).asnumpy().tolist()\n[2.0, 3.0]")


def _bpick_infer(ograd, index, shape=(), axis=-1, keepdims=False, mode="clip"):
    args = (ograd, index)
    _check_index_dtype(_bpick, args, index, "index")
    _, oshape = _pick_shapes(_bpick, args, tuple(shape), index.shape, axis, keepdims)
    if int(np.prod(ograd.shape, dtype=np.int64)) != int(np.prod(oshape, dtype=np.int64)):
        raise op_error(_bpick, args, ShapeError, f"ograd shape {tuple(ograd.shape)} does not match pick's "
                       f"output shape {oshape}", "pass the gradient of pick's output")
    return TensorSpec(shape, ograd.dtype, ograd.device)


_bpick = defop(
    "_backward_pick", ("ograd", "index"), _bpick_infer, Pattern.OPAQUE,
    attrs=(Attr("shape", Shape(), REQUIRED, "shape of pick's data input"),) + _PICK_ATTRS,
    grad=lambda ctx, g: (F.pick(g, ctx.inputs[1], **{k: v for k, v in ctx.attrs.items() if k != "shape"}),
                         None),
    saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="Gradient of pick: zeros of `shape` with `ograd` written at the picked positions.\n\n"
        ">>> nd._backward_pick(nd.array([5, 7]), nd.array([1, 0]), shape=(2, 2)).asnumpy().tolist()\n"
        "[[0.0, 5.0], [7.0, 0.0]]")


# ---- gather_nd / scatter_nd ---------------------------------------------------------------------

def gather_nd_shape(dshape, ishape):
    """Output shape of gather_nd: indices.shape[1:] + data.shape[indices.shape[0]:]."""
    return tuple(ishape[1:]) + tuple(dshape[ishape[0]:])


def _check_nd_indices(op, args, dshape, ishape, what="data"):
    if len(ishape) < 2:
        raise op_error(op, args, ShapeError,
                       f"indices must have at least 2 dims (M, ...), got shape {tuple(ishape)}",
                       "stack one row of coordinates per indexed axis: indices.shape = (M, N...); "
                       "for a single coordinate list use indices.reshape((1, -1))")
    if not 1 <= ishape[0] <= len(dshape):
        raise op_error(op, args, ShapeError,
                       f"indices.shape[0]={ishape[0]} must be between 1 and the rank of {what} "
                       f"({len(dshape)})", f"use at most {len(dshape)} index rows")


def _gather_nd_infer(data, indices):
    args = (data, indices)
    _check_index_dtype(_gather_nd, args, indices)
    _check_nd_indices(_gather_nd, args, data.shape, indices.shape)
    return TensorSpec(gather_nd_shape(data.shape, indices.shape), data.dtype, data.device)


_gather_nd = defop(
    "gather_nd", ("data", "indices"), _gather_nd_infer, Pattern.INJECTIVE,
    grad=lambda ctx, g: (F._backward_gather_nd(g, ctx.inputs[1], shape=ctx.in_specs[0].shape), None),
    saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="Gather slices of `data` at the coordinates in `indices` (shape (M, N...): row m holds the "
        "coordinates along axis m; negative coordinates count from the end). The output shape is "
        "indices.shape[1:] + data.shape[M:].\n\n"
        ">>> nd.gather_nd(nd.array([[1, 2], [3, 4]]), nd.array([[1, 0], [0, 1]])).asnumpy().tolist()\n"
        "[3.0, 2.0]")


def _scatter_infer(op):
    def rule(data, indices, shape=()):
        args = (data, indices)
        _check_index_dtype(op, args, indices)
        _check_nd_indices(op, args, shape, indices.shape, "the output shape")
        want = gather_nd_shape(shape, indices.shape)
        if tuple(data.shape) != want:
            raise op_error(op, args, ShapeError,
                           f"data shape {tuple(data.shape)} does not fit indices {tuple(indices.shape)} and "
                           f"output shape {tuple(shape)}: expected {want}",
                           "data.shape must be indices.shape[1:] + shape[indices.shape[0]:]")
        return TensorSpec(shape, data.dtype, data.device)
    return rule


_scatter_nd = defop(
    "scatter_nd", ("data", "indices"), None, Pattern.OPAQUE,
    attrs=(Attr("shape", Shape(), REQUIRED, "shape of the output"),),
    grad=lambda ctx, g: (F.gather_nd(g, ctx.inputs[1]), None),
    saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="Scatter `data` into zeros of `shape` at the coordinates in `indices` (the inverse layout of "
        "gather_nd). With repeated coordinates the last write wins on the CPU (unspecified on the GPU, "
        "as in MXNet); the gradient is gather_nd of the output gradient.\n\n"
        ">>> nd.scatter_nd(nd.array([2, 3]), nd.array([[1, 0], [0, 1]]), shape=(2, 2)).asnumpy().tolist()\n"
        "[[0.0, 3.0], [2.0, 0.0]]")
_scatter_nd.infer = _scatter_infer(_scatter_nd)

_bgather_nd = defop(
    "_backward_gather_nd", ("data", "indices"), None, Pattern.OPAQUE,
    attrs=(Attr("shape", Shape(), REQUIRED, "shape of the output"),),
    grad=lambda ctx, g: (F.gather_nd(g, ctx.inputs[1]), None),
    saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="scatter_nd that accumulates: repeated coordinates add up (the gradient of gather_nd).\n\n"
        ">>> nd._backward_gather_nd(nd.array([2, 3]), nd.array([[1, 1], [0, 0]]), shape=(2, 2)).asnumpy().tolist()\n"
        "[[0.0, 0.0], [5.0, 0.0]]")
_bgather_nd.infer = _scatter_infer(_bgather_nd)


# ---- one_hot ------------------------------------------------------------------------------------

def _one_hot_infer(indices, depth=REQUIRED, on_value=1.0, off_value=0.0, dtype="float32"):
    _check_index_dtype(_one_hot, (indices,), indices)
    if depth < 0:
        raise op_error(_one_hot, (indices,), ShapeError, f"depth={depth} must be a non-negative integer",
                       "pass depth=<number of classes>")
    return TensorSpec(tuple(indices.shape) + (depth,), dtype, indices.device)


_one_hot = defop(
    "one_hot", ("indices",), _one_hot_infer, Pattern.INJECTIVE,
    attrs=(Attr("depth", Int(), REQUIRED, "number of classes (size of the new last axis)"),
           Attr("on_value", Float(), 1.0, "value where index == class"),
           Attr("off_value", Float(), 0.0, "value elsewhere"),
           Attr("dtype", DType(), np.dtype(np.float32), "output dtype")),
    nondiff=(0,), dtype_check=None,
    doc="One-hot encoding along a new last axis; indices outside [0, depth) give a row of off_value "
        "(float indices are truncated).\n\n"
        ">>> nd.one_hot(nd.array([1, 0]), 3).asnumpy().tolist()\n[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]")


# ---- where --------------------------------------------------------------------------------------

def _where_infer(condition, x, y):
    args = (condition, x, y)
    if tuple(x.shape) != tuple(y.shape):
        raise op_error(_where, args, ShapeError, f"x and y must have the same shape, got {tuple(x.shape)} "
                       f"and {tuple(y.shape)}", "broadcast them first (broadcast_to / broadcast_like)")
    if np.dtype(x.dtype) != np.dtype(y.dtype):
        raise op_error(_where, args, DTypeError, f"x and y dtypes differ ({x.dtype} vs {y.dtype})",
                       "cast one with .astype(...) so both match")
    cs = tuple(condition.shape)
    if cs != tuple(x.shape) and not (len(cs) == 1 and len(x.shape) >= 1 and cs[0] == x.shape[0]):
        raise op_error(_where, args, ShapeError,
                       f"condition shape {cs} must equal x's shape {tuple(x.shape)} or be 1-D of length "
                       f"x.shape[0]", "broadcast the condition to x's shape (broadcast_like)")
    return TensorSpec(x.shape, x.dtype, x.device)


def _where_grad(ctx, g):
    c = ctx.inputs[0]
    z = F.zeros_like(g)
    return (None, F.where(c, g, z), F.where(c, z, g))


_where = defop(
    "where", ("condition", "x", "y"), _where_infer, Pattern.INJECTIVE,
    grad=_where_grad, saves=("inputs",), nondiff=(0,), dtype_check=None,
    doc="Elementwise x where condition is non-zero, else y. condition has x's shape, or is 1-D of "
        "length x.shape[0] and selects whole rows (MXNet's legacy where; no broadcasting otherwise).\n\n"
        ">>> nd.where(nd.array([1, 0]), nd.array([1, 2]), nd.array([3, 4])).asnumpy().tolist()\n[1.0, 4.0]")
