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

__all__ = ["IndexingError", "IndexOutOfRangeError", "gather_nd_shape", "parse_key", "is_advanced",
           "is_contiguous_view", "check_key_scalar", "getitem", "lower"]


class IndexingError(ShapeError, IndexError):
    """A bad indexing key (too many indices, two ellipses, a zero step). Also an ``IndexError``, as
    MXNet and NumPy raise."""


class IndexOutOfRangeError(IndexingError):
    """An index lies outside the axis it indexes."""


def _check_index_dtype(op, args, idx, name="indices"):
    if np.dtype(idx.dtype).kind not in "iufb":
        raise op_error(op, args, DTypeError, f"{name} must be an integer or float array, got {idx.dtype}",
                       f"pass {name} as int32/int64/float32 values")


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
    aliases=("choose_element_0index",),   # MXNet's old name, still registered
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


# ==== x[key] ======================================================================================
# ``parse_key`` normalises a key the way MXNet 1.9.1's ``indexing_key_expand_implicit_axes`` does
# (Ellipsis and implicit trailing axes become full slices, ints are checked and made non-negative,
# lists / NumPy arrays become int64 arrays, float index arrays truncate); ``getitem`` lowers it to
# registry ops: basic keys to ``slice`` + ``Reshape``, keys with index arrays to one ``gather_nd``
# (NumPy's advanced-indexing result layout, which MXNet follows).

_NA = object()


def _is_value(v):
    """An NDArray or a traced value (anything a trace owns)."""
    return getattr(v, "_trace", _NA) is not _NA


def _index_error(exc, msg, fix):
    text = f"NDArray indexing: {msg}"
    line = user_line()
    if line:
        text += f"\n  at: {line}"
    return exc(text + f"\n  fix: {fix}")


def _bool_key():
    return _index_error(DTypeError, "boolean masks are not supported by legacy nd indexing",
                        "select with nd.where(mask, x, y), or index with integer positions "
                        "(np.nonzero(mask)[0])")


def _slice_int(v):
    if v is None or (isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))):
        return None if v is None else int(v)
    raise _index_error(DTypeError, f"slice bounds must be integers or None, got {v!r}",
                       "use integer start/stop/step")


def parse_key(key, shape):
    """The expanded key: one entry per array axis plus ``None`` for each new axis. Entries are ints
    (in range, non-negative), slices (integer bounds, non-zero step), ``None``, int64 NumPy arrays or
    array values (NDArray / traced) of an integer or float dtype."""
    if not isinstance(key, tuple):
        key = (key,)
    parts, ell, n_new = [], None, 0
    for k in key:
        if k is Ellipsis:
            if ell is not None:
                raise _index_error(IndexingError, "an index can only have a single ellipsis ('...')",
                                   "keep one '...'")
            ell = len(parts)
        elif k is None:
            n_new += 1
            parts.append(None)
        elif isinstance(k, (bool, np.bool_)):
            raise _bool_key()
        elif isinstance(k, numbers.Integral):
            parts.append(int(k))
        elif isinstance(k, slice):
            st = _slice_int(k.step)
            if st == 0:
                raise _index_error(IndexingError, "slice step cannot be zero", "use a non-zero step")
            parts.append(slice(_slice_int(k.start), _slice_int(k.stop), st))
        elif _is_value(k):
            kind = np.dtype(k.dtype).kind
            if kind == "b":
                raise _bool_key()
            if kind not in "iuf":
                raise _index_error(DTypeError, f"an index array must hold integers or floats, got {k.dtype}",
                                   "cast it with .astype('int32')")
            parts.append(k)
        elif isinstance(k, (list, tuple, range, np.ndarray)):
            a = np.arange(k.start, k.stop, k.step) if isinstance(k, range) else np.asarray(k)
            if a.dtype.kind == "b":
                raise _bool_key()
            if a.size == 0:
                a = a.astype(np.int64)
            if a.dtype.kind not in "iuf":
                raise _index_error(DTypeError, f"an index list must hold integers, got {k!r}",
                                   "index with integers, slices, None, '...' or integer arrays")
            a = (np.trunc(a) if a.dtype.kind == "f" else a).astype(np.int64)
            parts.append(int(a) if a.ndim == 0 else a)
        else:
            raise _index_error(DTypeError, f"NDArray does not support indexing with key {k!r} of type "
                               f"{type(k).__name__}", "index with integers, slices, None, '...' or integer arrays")
    n_idx = len(parts) - n_new
    ndim = len(shape)
    if n_idx > ndim:
        raise _index_error(IndexingError, f"too many indices ({n_idx}) for an array with {ndim} dimensions "
                           f"(shape {tuple(shape)})", f"give at most {ndim} indices")
    if ell is None:
        ell = len(parts)
    parts = parts[:ell] + [slice(None)] * (ndim - n_idx) + parts[ell:]
    ax = 0
    for i, p in enumerate(parts):
        if p is None:
            continue
        if type(p) is int:
            n = shape[ax]
            if not -n <= p < n:
                raise _index_error(IndexOutOfRangeError, f"index {p} is out of bounds for axis {ax} with "
                                   f"size {n} (array shape {tuple(shape)})", f"use an index in [{-n}, {n})")
            parts[i] = p + n if p < 0 else p
        ax += 1
    return parts


def is_advanced(parts):
    return any(p is not None and type(p) is not int and type(p) is not slice for p in parts)


def _full(p, n):
    return p.indices(n) == (0, n, 1)


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def _to_final(y, final, drop=(), new=()):
    """Reshape ``y`` to ``final`` = y.shape without the axes ``drop`` and with size-1 axes at the
    positions ``new`` (Reshape, or squeeze + expand_dims when a dim is 0: Reshape's code 0 copies)."""
    if tuple(y.shape) == tuple(final):
        return y
    if 0 not in final:
        return F.Reshape(y, shape=final)
    if drop:
        y = F.squeeze(y, axis=tuple(drop))
    for a in sorted(new):
        y = F.expand_dims(y, axis=a)
    return y


def _basic(x, parts, shape):
    begin, end, step, drop, new, final = [], [], [], [], [], []
    last, ax = 0, 0
    for p in parts:
        if p is None:
            new.append(len(final))
            final.append(1)
            continue
        n = shape[ax]
        if type(p) is int:
            begin.append(p), end.append(p + 1), step.append(None)
            drop.append(ax)
            if n != 1:
                last = ax + 1
        else:
            b, e, st = p.indices(n)
            size = len(range(b, e, st))
            if size == 0:
                b, e, st = 0, 0, 1
            # concrete bounds: a negative stop only ever means "before index 0" (None in slice)
            begin.append(b), end.append(e if e >= 0 else None), step.append(None if st == 1 else st)
            final.append(size)
            if not _full(p, n):
                last = ax + 1
        ax += 1
    y = x
    if last:
        st = tuple(step[:last]) if any(s is not None for s in step[:last]) else ()
        y = F.slice(x, begin=tuple(begin[:last]), end=tuple(end[:last]), step=st)
    if not final:   # every axis indexed by an int: legacy nd gives shape (1,), never ()
        return y if tuple(y.shape) == (1,) else F.Reshape(y, shape=(1,))
    return _to_final(y, tuple(final), drop, new)


def _const(x, value):
    """``value`` (NumPy) as a constant of the trace that owns ``x`` (as ``bind`` picks it)."""
    from .trace_base import _EAGER, _current
    t = getattr(x, "_trace", None)
    if t is None:
        t = _current.get() or _EAGER[0]
    return t.constant(value, value.dtype, x.device)


def _advanced(x, parts, shape):
    p0 = parts[0]
    if type(p0) is not slice and type(p0) is not int and p0 is not None and all(
            type(p) is slice and _full(p, n) for p, n in zip(parts[1:], shape[1:])) and len(parts) == len(shape):
        # x[idx] (the common case): one gather_nd over axis 0
        if len(p0.shape) == 0:
            return _generic_advanced(x, parts, shape)
        idx = F.expand_dims(p0, axis=0) if _is_value(p0) else _const(x, p0.reshape((1,) + p0.shape))
        return F.gather_nd(x, idx)
    return _generic_advanced(x, parts, shape)


def _generic_advanced(x, parts, shape):
    key_nd = [p for p in parts if p is not None]
    adv_full = [i for i, p in enumerate(parts) if p is not None and type(p) is not slice]
    adjacent = adv_full == list(range(adv_full[0], adv_full[-1] + 1))
    adv_shapes = [() if type(p) is int else tuple(p.shape) for p in key_nd if type(p) is not slice]
    try:
        block = tuple(np.broadcast_shapes(*adv_shapes))
    except ValueError:
        raise _index_error(IndexingError, "shape mismatch: index arrays could not be broadcast together "
                           f"with shapes {' '.join(str(s) for s in adv_shapes)}",
                           "give index arrays broadcastable shapes") from None
    # final layout (NumPy's): the broadcast block replaces the index arrays where they stand when they
    # are adjacent in the key, else it comes first; None adds a size-1 axis where it stands
    lens, ax = [], 0
    for p in parts:
        if p is None:
            lens.append(("new", 1))
        elif type(p) is slice:
            lens.append(("dim", len(range(*p.indices(shape[ax])))))
        else:
            lens.append(("adv", None))
        if p is not None:
            ax += 1
    if adjacent:
        layout = lens[:adv_full[0]] + [("block", None)] + lens[adv_full[-1] + 1:]
    else:
        layout = [("block", None)] + [e for e in lens if e[0] != "adv"]
    final, new = [], []
    for kind, n in layout:
        if kind == "block":
            final.extend(block)
        else:
            if kind == "new":
                new.append(len(final))
            final.append(n)
    # gather_nd index grid over the first K axes (trailing full slices are left to gather_nd)
    k = len(key_nd)
    while k and type(key_nd[k - 1]) is slice and _full(key_nd[k - 1], shape[k - 1]):
        k -= 1
    prefix, pos = [], {}
    order = [("block", None)] if not adjacent else []
    for a, p in enumerate(key_nd[:k]):
        if type(p) is slice:
            order.append(("dim", a))
        elif adjacent and ("block", None) not in order:
            order.append(("block", None))
    for kind, a in order:
        if kind == "block":
            pos["block"] = len(prefix)
            prefix.extend(block)
        else:
            pos[a] = len(prefix)
            prefix.append(len(range(*key_nd[a].indices(shape[a]))))
    P = len(prefix)
    if _size(prefix) == 0 or not any(_is_value(p) for p in key_nd[:k]):
        rows = []
        for a, p in enumerate(key_nd[:k]):
            if type(p) is slice:
                r = np.arange(*p.indices(shape[a]), dtype=np.int64)
                r = r.reshape((1,) * pos[a] + (-1,) + (1,) * (P - pos[a] - 1))
            else:
                b = pos["block"]
                r = np.zeros(block, np.int64) if _is_value(p) else np.broadcast_to(np.asarray(p, np.int64), block)
                r = r.reshape((1,) * b + block + (1,) * (P - b - len(block)))
            rows.append(np.broadcast_to(r, tuple(prefix)))
        idx = np.stack(rows) if P else np.stack(rows).reshape(k, 1)
        y = F.gather_nd(x, _const(x, np.ascontiguousarray(idx)))
    else:
        vals = [p for p in key_nd[:k] if _is_value(p)]
        same = len({np.dtype(v.dtype) for v in vals}) == 1
        only_vals = all(_is_value(p) for p in key_nd[:k])
        idt = np.dtype(vals[0].dtype) if same and only_vals else np.dtype(np.int64)
        rows = []
        for a, p in enumerate(key_nd[:k]):
            if type(p) is slice:
                r = np.arange(*p.indices(shape[a]), dtype=idt)
                r = r.reshape((1,) * pos[a] + (-1,) + (1,) * (P - pos[a] - 1))
                rows.append(_const(x, np.ascontiguousarray(np.broadcast_to(r, (1,) + tuple(prefix)))))
                continue
            b = pos["block"]
            placed = (1,) * b + block + (1,) * (P - b - len(block))
            if not _is_value(p):
                r = np.broadcast_to(np.asarray(p, idt), block).reshape(placed)
                rows.append(_const(x, np.ascontiguousarray(np.broadcast_to(r, (1,) + tuple(prefix)))))
                continue
            v = p if np.dtype(p.dtype) == idt else F.Cast(p, dtype=idt)
            if tuple(v.shape) != block:
                v = F.broadcast_to(F.Reshape(v, shape=(1,) * (len(block) - len(v.shape)) + tuple(v.shape))
                                   if len(v.shape) < len(block) else v, shape=block)
            if placed != block:
                v = F.Reshape(v, shape=placed)
            if placed != tuple(prefix):
                v = F.broadcast_to(v, shape=tuple(prefix))
            rows.append(F.expand_dims(v, axis=0))
        if P == 0:   # 0-d index arrays only: gather_nd needs (K, N...) indices, so N = 1
            rows = [F.Reshape(r, shape=(1, 1)) for r in rows]
        idx = rows[0] if len(rows) == 1 else F.concat(*rows, dim=0)
        y = F.gather_nd(x, idx)
    if not final:
        return F.Reshape(y, shape=(1,)) if tuple(y.shape) != (1,) else y
    drop = (0,) if P == 0 else ()
    return _to_final(y, tuple(final), drop, new)


def is_contiguous_view(parts, shape):
    """Whether MXNet 1.9.1 returns a view for this basic key (``_basic_indexing_slice_is_contiguous``):
    from the last axis backwards, once an axis is a proper subset every earlier axis must select at
    most one element, and no axis may step by more than 1 (or backwards) over several elements."""
    lens, steps = [], []
    ax = 0
    for p in parts:
        if p is None:
            continue
        n = shape[ax]
        ax += 1
        if type(p) is int:
            lens.append((1, n)), steps.append(1)
        else:
            b, e, st = p.indices(n)
            lens.append((len(range(b, e, st)), n)), steps.append(st)
    if _size([m for m, _ in lens]) in (0, 1):
        return True
    subset = False
    for (m, n), st in zip(reversed(lens), reversed(steps)):
        if m == 0:
            return True
        if m > 1 and (st > 1 or st < 0):
            return False
        if subset:
            if m > 1:
                return False
        elif m < n:
            subset = True
    return True


def check_key_scalar(key):
    """Keys a 0-d array accepts: () and :."""
    if not ((type(key) is tuple and not key) or (type(key) is slice and key == slice(None))):
        raise _index_error(IndexingError, f"a 0-d array only accepts () and : as index, got {key!r}",
                           "use x[()]")


def getitem(x, key):
    """``x[key]`` with MXNet 1.9.1's legacy nd semantics, lowered to registry ops."""
    if (type(key) is tuple and not key) or (type(key) is slice and key == slice(None)):
        return x
    shape = tuple(x.shape)
    if not shape:
        check_key_scalar(key)
    return lower(x, parse_key(key, shape), shape)


def lower(x, parts, shape):
    """``x[key]`` for a key already normalised by ``parse_key``."""
    if is_advanced(parts):
        return _advanced(x, parts, shape)
    return _basic(x, parts, shape)
