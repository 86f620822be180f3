"""Shape ops: reshape (MXNet codes 0/-1/-2/-3/-4), broadcasting, transposes, slicing, joining, padding.

The shape helpers here (``reshape_shape``, ``slice_spec``, ``split_shape``, ...) are the one source of
truth: inference rules, gradients and the kernels in ``kernels/generic/shape.py`` all call them.
Gradients are written with registry ops; the two scatters that cannot be composed (``slice`` and
``diag`` of rank >= 2) use the private ops ``_slice_backward`` and ``_diag_backward``.
"""
import math
import numbers

import numpy as np

from . import api as F
from ..errors import ShapeError
from .check import norm_axes, norm_axis, op_error
from .infer import dtype_same
from .opdef import REQUIRED, AnyValue, Attr, Axes, Bool, Choice, Float, Int, Pattern, Shape
from .registry import defop
from .spec import TensorSpec

__all__ = ["reshape_shape", "reshape_like_shape", "transpose_axes", "swap_dims", "squeeze_shape", "flatten_shape",
           "reverse_axes", "concat_axis", "split_shape", "slice_spec", "slices_of", "slice_axis_range",
           "slice_like_ends", "tile_shapes", "repeat_axis", "pad_pairs", "broadcast_like_shape",
           "broadcast_axis_shape", "diag_geometry", "depth_to_space_shape", "space_to_depth_shape",
           "OptInt", "SliceTuple"]


def reshape_shape(op, x, shape, reverse=False):
    """MXNet's reshape codes: 0 copy a dim, -1 infer, -2 copy the rest, -3 merge two, -4 split one."""
    src = list(x.shape)
    tgt = list(shape)
    if reverse:
        src, tgt = src[::-1], tgt[::-1]
        # -4 takes two following numbers; reversing must keep them in order after the code
        out = _reshape_codes(op, x, src, tgt, reverse=True)
        return tuple(out[::-1])
    return tuple(_reshape_codes(op, x, src, tgt))


def _reshape_codes(op, x, src, tgt, reverse=False):
    out, i, j, infer_at = [], 0, 0, -1

    def bad(msg):
        return op_error(op, (x,), ShapeError, f"cannot reshape {tuple(x.shape)} to {tuple(tgt)}: {msg}",
                        "check the target size; codes: 0 copy, -1 infer, -2 copy rest, -3 merge, -4 split")
    while j < len(tgt):
        c = tgt[j]
        if c > 0:
            out.append(c); i += 1
        elif c == 0:
            if i >= len(src):
                raise bad("code 0 has no input dim to copy")
            out.append(src[i]); i += 1
        elif c == -1:
            if infer_at >= 0:
                raise bad("more than one -1")
            infer_at = len(out); out.append(1); i += 1
        elif c == -2:
            out.extend(src[i:]); i = len(src)
        elif c == -3:
            if i + 1 >= len(src):
                raise bad("code -3 needs two input dims")
            out.append(src[i] * src[i + 1]); i += 2
        elif c == -4:
            if j + 2 >= len(tgt) + (0 if not reverse else 0) or i >= len(src):
                raise bad("code -4 needs two following numbers and an input dim")
            d1, d2 = (tgt[j + 1], tgt[j + 2]) if not reverse else (tgt[j + 2], tgt[j + 1])
            d = src[i]
            if d1 == -1:
                d1 = d // d2 if d2 else 0
            if d2 == -1:
                d2 = d // d1 if d1 else 0
            if d1 * d2 != d:
                raise bad(f"code -4 splits {d} into {d1}x{d2}")
            out.extend([d1, d2] if not reverse else [d2, d1]); i += 1; j += 2
        else:
            raise bad(f"invalid code {c}")
        j += 1
    total = int(math.prod(x.shape))
    if infer_at >= 0:
        rest = int(math.prod(out))
        if rest == 0 or total % rest:
            raise bad("the -1 dim cannot be inferred")
        out[infer_at] = total // rest
    if int(math.prod(out)) != total:
        raise bad(f"sizes differ ({total} vs {int(math.prod(out))})")
    return out


def _reshape_infer(x, shape=(), reverse=False):
    return TensorSpec(reshape_shape(_reshape, x, shape, reverse), x.dtype, x.device)


_reshape = defop(
    "Reshape", ("data",), _reshape_infer, Pattern.INJECTIVE, aliases=("reshape",),
    attrs=(Attr("shape", Shape(), (), "target shape with MXNet codes 0/-1/-2/-3/-4"),
           Attr("reverse", Bool(), False, "apply the codes right to left")),
    grad=lambda ctx, g: (F.Reshape(g, shape=ctx.in_specs[0].shape),), inplace=((0, 0),),
    doc="Reshape with MXNet's special codes.\n\n>>> nd.ones((2, 3, 4)).reshape((0, -1)).shape\n(2, 12)")


def _broadcast_to_infer(x, shape=()):
    tgt = tuple(d if d != 0 else x.shape[i] for i, d in enumerate(shape)) if len(shape) == len(x.shape) else shape
    try:
        out = np.broadcast_shapes(tuple(x.shape), tuple(tgt))
    except ValueError:
        out = None
    if out is None or tuple(out) != tuple(tgt):
        raise op_error(_broadcast_to, (x,), ShapeError, f"cannot broadcast {tuple(x.shape)} to {tuple(shape)}",
                       "each input dim must equal the target dim or be 1")
    return TensorSpec(tgt, x.dtype, x.device)


_broadcast_to = defop(
    "broadcast_to", ("data",), _broadcast_to_infer, Pattern.BROADCAST,
    attrs=(Attr("shape", Shape(), (), "target shape; 0 keeps the input dim"),),
    grad=lambda ctx, g: (g,),  # the tape sums g back to the input's shape
    doc="Broadcast to a shape.\n\n>>> nd.broadcast_to(nd.ones((1, 3)), shape=(2, 3)).shape\n(2, 3)")


# ==== helpers shared by the inference rules, the gradients and the kernels ========================

class OptInt(AnyValue):
    """``None`` or an int (MXNet's ``dmlc::optional<int>``)."""
    name = "int or None"

    def coerce(self, v):
        if v is None or v == "None":
            return None
        return Int().coerce(v)


class SliceTuple(AnyValue):
    """A tuple whose entries are ints or ``None`` (MXNet's ``Tuple<optional<int>>``: slice begin/end/step)."""
    name = "tuple of int or None"

    def coerce(self, v):
        if v is None:
            return ()
        if isinstance(v, str):
            s = v.strip().strip("()[]")
            return tuple(None if p.strip() == "None" else int(p) for p in s.split(",") if p.strip())
        if isinstance(v, numbers.Integral):
            return (int(v),)
        return tuple(None if d is None else Int().coerce(d) for d in v)


def _shape(x):
    return tuple(int(d) for d in x.shape)


def _size(shape):
    return int(math.prod(shape))


def _reshape_to(g, shape):
    """Reshape ``g`` to the literal ``shape`` with registry ops. ``Reshape`` reads 0 as "copy a dim",
    so a shape with a 0 dim (a 0-size array) is built by tiling a (1,...,1) array instead."""
    shape = tuple(shape)
    if 0 not in shape:
        return F.Reshape(g, shape=shape) if tuple(g.shape) != shape else g
    one = F.Reshape(F.sum(g), shape=(1,) * len(shape))
    return F.tile(one, reps=shape)


# ==== reshape_like ===============================================================================

def _like_range(op, args, begin, end, ndim, side):
    b = 0 if begin is None else begin
    e = ndim if end is None else end
    b = b + ndim if b < 0 else b
    e = e + ndim if e < 0 else e
    if not (0 <= b < e <= ndim):
        raise op_error(op, args, ShapeError,
                       f"invalid {side}_begin={begin}, {side}_end={end} for an input of rank {ndim}",
                       f"pick {side}_begin < {side}_end within [-{ndim}, {ndim}] (None means 0 / the rank)")
    return b, e


def reshape_like_shape(op, lhs, rhs, lhs_begin, lhs_end, rhs_begin, rhs_end):
    ls, rs = _shape(lhs), _shape(rhs)
    lb, le = _like_range(op, (lhs, rhs), lhs_begin, lhs_end, len(ls), "lhs")
    rb, re = _like_range(op, (lhs, rhs), rhs_begin, rhs_end, len(rs), "rhs")
    out = ls[:lb] + rs[rb:re] + ls[le:]
    if _size(out) != _size(ls):
        raise op_error(op, (lhs, rhs), ShapeError,
                       f"cannot reshape lhs {ls} to {out}: sizes differ ({_size(ls)} vs {_size(out)})",
                       "choose lhs_begin/lhs_end/rhs_begin/rhs_end so the replaced dims hold the same "
                       "number of elements")
    return out


def _reshape_like_infer(lhs, rhs, lhs_begin=None, lhs_end=None, rhs_begin=None, rhs_end=None):
    return TensorSpec(reshape_like_shape(_reshape_like, lhs, rhs, lhs_begin, lhs_end, rhs_begin, rhs_end),
                      lhs.dtype, lhs.device)


_reshape_like = defop(
    "reshape_like", ("lhs", "rhs"), _reshape_like_infer, Pattern.INJECTIVE,
    attrs=(Attr("lhs_begin", OptInt(), None, "first lhs dim to replace (None: 0; negative counts from the end)"),
           Attr("lhs_end", OptInt(), None, "end of the lhs dims to replace (None: the rank)"),
           Attr("rhs_begin", OptInt(), None, "first rhs dim to copy (None: 0)"),
           Attr("rhs_end", OptInt(), None, "end of the rhs dims to copy (None: the rank)")),
    grad=lambda ctx, g: (_reshape_to(g, ctx.in_specs[0].shape), None), nondiff=(1,), dtype_check=None,
    inplace=((0, 0),),
    doc="Reshape `lhs` to the shape of `rhs` (or replace lhs dims [lhs_begin, lhs_end) by rhs dims "
        "[rhs_begin, rhs_end)). Only the shape of `rhs` is read; it gets no gradient.\n\n"
        ">>> nd.reshape_like(nd.ones((2, 3, 4)), nd.ones((6, 4))).shape\n(6, 4)\n"
        ">>> nd.reshape_like(nd.ones((2, 3, 4)), nd.ones((6,)), lhs_begin=0, lhs_end=2).shape\n(6, 4)")


# ==== transpose / SwapAxis =======================================================================

def transpose_axes(op, x, axes):
    nd_ = len(x.shape)
    if not axes:
        return tuple(range(nd_ - 1, -1, -1))
    if len(axes) != nd_:
        raise op_error(op, (x,), ShapeError, f"axes {tuple(axes)} has {len(axes)} entries for an input of rank {nd_}",
                       f"give a permutation of all {nd_} axes, or no axes to reverse them")
    out = tuple(norm_axis(op, (x,), a, nd_) for a in axes)
    if len(set(out)) != nd_:
        raise op_error(op, (x,), ShapeError, f"axes {tuple(axes)} is not a permutation",
                       f"list each of the {nd_} axes exactly once")
    return out


def _transpose_infer(x, axes=()):
    p = transpose_axes(_transpose, x, axes)
    return TensorSpec(tuple(x.shape[i] for i in p), x.dtype, x.device)


def _transpose_grad(ctx, g):
    p = transpose_axes(_transpose, ctx.in_specs[0], ctx.attrs["axes"])
    return (F.transpose(g, axes=tuple(int(i) for i in np.argsort(p))),)


_transpose = defop(
    "transpose", ("data",), _transpose_infer, Pattern.INJECTIVE,
    attrs=(Attr("axes", Shape(), (), "the new order of the axes; empty reverses them"),),
    grad=_transpose_grad,
    doc="Permute the axes (reverse them by default). Also `x.T`, `x.transpose((1, 0, 2))`, "
        "`x.transpose(1, 0, 2)`.\n\n"
        ">>> nd.transpose(nd.ones((2, 3, 4)), axes=(1, 0, 2)).shape\n(3, 2, 4)\n"
        ">>> nd.ones((2, 3, 4)).T.shape\n(4, 3, 2)")


def swap_dims(op, x, dim1, dim2):
    nd_ = len(x.shape)
    return norm_axis(op, (x,), dim1, nd_), norm_axis(op, (x,), dim2, nd_)


def _swapaxis_infer(x, dim1=0, dim2=0):
    a, b = swap_dims(_swapaxis, x, dim1, dim2)
    s = list(x.shape)
    s[a], s[b] = s[b], s[a]
    return TensorSpec(s, x.dtype, x.device)


_swapaxis = defop(
    "SwapAxis", ("data",), _swapaxis_infer, Pattern.INJECTIVE, aliases=("swapaxes",),
    attrs=(Attr("dim1", Int(), 0, "the first axis to swap"), Attr("dim2", Int(), 0, "the second axis to swap")),
    grad=lambda ctx, g: (F.SwapAxis(g, dim1=ctx.attrs["dim1"], dim2=ctx.attrs["dim2"]),),
    doc="Swap two axes.\n\n>>> nd.swapaxes(nd.ones((2, 3, 4)), 0, 2).shape\n(4, 3, 2)")


# ==== expand_dims / squeeze / Flatten ============================================================

def _expand_dims_infer(x, axis=0):
    a = norm_axis(_expand_dims, (x,), axis, len(x.shape), allow_end=True)
    s = list(x.shape)
    s.insert(a, 1)
    return TensorSpec(s, x.dtype, x.device)


_expand_dims = defop(
    "expand_dims", ("data",), _expand_dims_infer, Pattern.INJECTIVE,
    attrs=(Attr("axis", Int(), REQUIRED, "where the new axis goes, in [-ndim-1, ndim]"),),
    grad=lambda ctx, g: (_reshape_to(g, ctx.in_specs[0].shape),), inplace=((0, 0),),
    doc="Insert a size-1 axis.\n\n>>> nd.expand_dims(nd.ones((2, 3)), axis=1).shape\n(2, 1, 3)")


def squeeze_shape(op, x, axis):
    s = _shape(x)
    if axis is None:
        out = tuple(d for d in s if d != 1)
    else:
        axes = norm_axes(op, (x,), axis, len(s))
        for a in axes:
            if s[a] != 1:
                raise op_error(op, (x,), ShapeError, f"cannot squeeze axis {a} of size {s[a]}",
                               "only size-1 axes can be squeezed; leave it out of `axis`")
        out = tuple(d for i, d in enumerate(s) if i not in axes)
    return out if out else (1,)


def _squeeze_infer(x, axis=None):
    return TensorSpec(squeeze_shape(_squeeze, x, axis), x.dtype, x.device)


_squeeze = defop(
    "squeeze", ("data",), _squeeze_infer, Pattern.INJECTIVE,
    attrs=(Attr("axis", Axes(), None, "size-1 axes to remove; None removes all of them"),),
    grad=lambda ctx, g: (_reshape_to(g, ctx.in_specs[0].shape),), inplace=((0, 0),),
    doc="Remove size-1 axes; a result with no axes left has shape (1,) (legacy nd).\n\n"
        ">>> nd.squeeze(nd.ones((1, 3, 1))).shape\n(3,)\n"
        ">>> nd.squeeze(nd.ones((1, 3, 1)), axis=0).shape\n(3, 1)")


def flatten_shape(x):
    s = _shape(x)
    if not s:
        return (1, 1)
    return (s[0], _size(s[1:]))


_flatten = defop(
    "Flatten", ("data",), lambda x: TensorSpec(flatten_shape(x), x.dtype, x.device), Pattern.INJECTIVE,
    aliases=("flatten",),
    grad=lambda ctx, g: (_reshape_to(g, ctx.in_specs[0].shape),), inplace=((0, 0),),
    doc="Collapse all axes but the first: (N, d1, d2, ...) -> (N, d1*d2*...).\n\n"
        ">>> nd.flatten(nd.ones((2, 3, 4))).shape\n(2, 12)")


# ==== reverse ====================================================================================

def reverse_axes(op, x, axis):
    """Axes to flip; an axis listed twice is flipped twice (MXNet flips once per entry)."""
    nd_ = len(x.shape)
    flips = {}
    for a in axis:
        a = norm_axis(op, (x,), a, nd_)
        flips[a] = not flips.get(a, False)
    return tuple(sorted(a for a, f in flips.items() if f))


def _reverse_infer(x, axis=()):
    reverse_axes(_reverse, x, axis)
    return TensorSpec(x.shape, x.dtype, x.device)


_reverse = defop(
    "reverse", ("data",), _reverse_infer, Pattern.INJECTIVE, aliases=("flip",),
    attrs=(Attr("axis", Shape(), REQUIRED, "the axis or axes to reverse"),),
    grad=lambda ctx, g: (F.reverse(g, axis=ctx.attrs["axis"]),),
    doc="Reverse the order of elements along the given axes.\n\n"
        ">>> nd.flip(nd.array([[1, 2], [3, 4]]), axis=1).asnumpy().tolist()\n[[2.0, 1.0], [4.0, 3.0]]")


# ==== Concat / stack / SliceChannel ==============================================================

def _check_num_args(op, specs, num_args):
    if not specs:
        raise op_error(op, specs, ShapeError, "needs at least one input array", f"pass arrays: nd.{op.name}(a, b, ...)")
    if num_args is not None and num_args != len(specs):
        raise op_error(op, specs, ShapeError, f"num_args={num_args} but {len(specs)} arrays were given",
                       "leave num_args out (it is the number of arrays) or make it match")


def concat_axis(op, specs, dim):
    return norm_axis(op, specs, dim, len(specs[0].shape))


def _concat_infer(*specs, dim=1, num_args=None):
    _check_num_args(_concat, specs, num_args)
    dt = dtype_same(_concat, specs)
    first = _shape(specs[0])
    if not first:
        raise op_error(_concat, specs, ShapeError, "cannot concatenate 0-d arrays", "reshape them to (1,) first")
    ax = concat_axis(_concat, specs, dim)
    total = 0
    for i, s in enumerate(specs):
        sh = _shape(s)
        if len(sh) != len(first) or any(a != b for k, (a, b) in enumerate(zip(sh, first)) if k != ax):
            raise op_error(_concat, specs, ShapeError,
                           f"input {i} has shape {sh} but input 0 has {first}; all dims except dim={dim} "
                           "must be equal", "reshape or slice the inputs so only the concatenated dim differs "
                           "(note nd.concat defaults to dim=1)")
        total += sh[ax]
    out = list(first)
    out[ax] = total
    return TensorSpec(out, dt, specs[0].device)


def _concat_grad(ctx, g):
    ax = concat_axis(_concat, ctx.in_specs, ctx.attrs["dim"])
    outs, off = [], 0
    for s in ctx.in_specs:
        w = s.shape[ax]
        if w:
            outs.append(F.slice_axis(g, axis=ax, begin=off, end=off + w))
        else:
            outs.append(F.slice(g, begin=(None,) * ax + (off,), end=(None,) * ax + (off,)))
        off += w
    return tuple(outs)


_concat = defop(
    "Concat", ("data",), _concat_infer, Pattern.INJECTIVE, aliases=("concat",), variadic=True,
    attrs=(Attr("dim", Int(), 1, "the axis to join along (legacy nd default 1)"),
           Attr("num_args", OptInt(), None, "the number of arrays (filled in from the call when left out)")),
    grad=_concat_grad, dtype_check=None,
    doc="Join arrays along an existing axis (default dim=1).\n\n"
        ">>> nd.concat(nd.ones((2, 3)), nd.zeros((2, 2))).shape\n(2, 5)\n"
        ">>> nd.concat(nd.ones((2, 3)), nd.zeros((1, 3)), dim=0).shape\n(3, 3)")


def _stack_infer(*specs, axis=0, num_args=None):
    _check_num_args(_stack, specs, num_args)
    dt = dtype_same(_stack, specs)
    first = _shape(specs[0])
    for i, s in enumerate(specs):
        if _shape(s) != first:
            raise op_error(_stack, specs, ShapeError, f"input {i} has shape {_shape(s)} but input 0 has {first}",
                           "stack needs arrays of one shape; use concat to join along an existing axis")
    ax = norm_axis(_stack, specs, axis, len(first), allow_end=True)
    out = list(first)
    out.insert(ax, len(specs))
    return TensorSpec(out, dt, specs[0].device)


def _stack_grad(ctx, g):
    n = len(ctx.in_specs)
    ax = norm_axis(_stack, ctx.in_specs, ctx.attrs["axis"], len(ctx.in_specs[0].shape), allow_end=True)
    r = F.split(g, num_outputs=n, axis=ax, squeeze_axis=True)
    r = tuple(r) if isinstance(r, (list, tuple)) else (r,)
    if len(ctx.in_specs[0].shape) == 0:   # split leaves (1,) where the inputs were 0-d
        r = tuple(_reshape_to(p, ()) for p in r)
    return r


_stack = defop(
    "stack", ("data",), _stack_infer, Pattern.INJECTIVE, variadic=True,
    attrs=(Attr("axis", Int(), 0, "the new axis in the result"),
           Attr("num_args", OptInt(), None, "the number of arrays (filled in from the call when left out)")),
    grad=_stack_grad, dtype_check=None,
    doc="Join arrays of one shape along a new axis.\n\n"
        ">>> nd.stack(nd.ones((2, 3)), nd.zeros((2, 3)), axis=1).shape\n(2, 2, 3)")


def split_shape(op, x, num_outputs, axis, squeeze_axis):
    s = _shape(x)
    if num_outputs < 1:
        raise op_error(op, (x,), ShapeError, f"num_outputs={num_outputs} must be at least 1", "pass num_outputs >= 1")
    if not s:
        raise op_error(op, (x,), ShapeError, "cannot split a 0-d array", "reshape it to (1,) first")
    ax = norm_axis(op, (x,), axis, len(s))
    if s[ax] % num_outputs:
        raise op_error(op, (x,), ShapeError,
                       f"axis {axis} of size {s[ax]} cannot be split into {num_outputs} equal parts",
                       f"choose num_outputs dividing {s[ax]}, or use slice_axis for unequal parts")
    if squeeze_axis and s[ax] != num_outputs:
        raise op_error(op, (x,), ShapeError,
                       f"squeeze_axis=True needs axis {axis} of size num_outputs={num_outputs}, got {s[ax]}",
                       "set squeeze_axis=False, or num_outputs to the axis size")
    out = list(s)
    if squeeze_axis:
        del out[ax]
        out = out or [1]
    else:
        out[ax] = s[ax] // num_outputs
    return ax, tuple(out)


def _split_infer(x, num_outputs=1, axis=1, squeeze_axis=False):
    _, out = split_shape(_split, x, num_outputs, axis, squeeze_axis)
    specs = tuple(TensorSpec(out, x.dtype, x.device) for _ in range(num_outputs))
    return specs if num_outputs > 1 else specs[0]


def _split_grad(ctx, *gs):
    a = ctx.attrs
    x = ctx.in_specs[0]
    ax, _ = split_shape(_split, x, a["num_outputs"], a["axis"], a["squeeze_axis"])
    if a["squeeze_axis"]:
        piece = list(x.shape)
        piece[ax] = 1
        gs = [_reshape_to(g, piece) for g in gs]
    return (F.Concat(*gs, dim=ax) if len(gs) > 1 else gs[0],)


_split = defop(
    "SliceChannel", ("data",), _split_infer, Pattern.INJECTIVE, aliases=("split",),
    attrs=(Attr("num_outputs", Int(), REQUIRED, "the number of equal parts"),
           Attr("axis", Int(), 1, "the axis to split"),
           Attr("squeeze_axis", Bool(), False, "drop the split axis (its size must equal num_outputs)")),
    num_outputs=lambda attrs, n_in: attrs["num_outputs"],
    grad=_split_grad,
    doc="Split into `num_outputs` equal parts along `axis` (nd returns a list; one part is returned "
        "as an array).\n\n"
        ">>> [p.shape for p in nd.split(nd.ones((2, 6)), num_outputs=3)]\n[(2, 2), (2, 2), (2, 2)]\n"
        ">>> [p.shape for p in nd.split(nd.ones((2, 3)), 2, axis=0, squeeze_axis=True)]\n[(3,), (3,)]")


# ==== slice / slice_axis / slice_like ============================================================

def slice_spec(op, x, begin, end, step):
    """Per-axis ``(start, stop, step)`` with Python's slice semantics (MXNet's ``slice``)."""
    s = _shape(x)
    if len(begin) != len(end):
        raise op_error(op, (x,), ShapeError, f"begin {tuple(begin)} and end {tuple(end)} differ in length",
                       "give begin and end one entry per sliced axis (None for the full range)")
    if step and len(step) != len(begin):
        raise op_error(op, (x,), ShapeError, f"step {tuple(step)} and begin {tuple(begin)} differ in length",
                       "give step one entry per sliced axis, or leave it out")
    if len(begin) > len(s):
        raise op_error(op, (x,), ShapeError, f"begin/end have {len(begin)} entries for an input of rank {len(s)}",
                       "slice at most one entry per axis")
    out = []
    for i, d in enumerate(s):
        if i >= len(begin):
            out.append((0, d, 1))
            continue
        st = step[i] if step and step[i] is not None else 1
        if st == 0:
            raise op_error(op, (x,), ShapeError, f"step[{i}] is 0", "use a non-zero step")
        out.append(slice(begin[i], end[i], st).indices(d))
    return out


def slices_of(spec):
    # an empty range must stay empty: a start of -1 would otherwise mean "the last element"
    return tuple(slice(0, 0, 1) if len(range(b, e, st)) == 0 else slice(b, e if e >= 0 else None, st)
                 for b, e, st in spec)


def _sliced_shape(spec):
    return tuple(len(range(b, e, st)) for b, e, st in spec)


def _slice_infer(x, begin=(), end=(), step=()):
    return TensorSpec(_sliced_shape(slice_spec(_slice, x, begin, end, step)), x.dtype, x.device)


_SLICE_ATTRS = (Attr("begin", SliceTuple(), REQUIRED, "start per axis (None: from the edge; negative counts from the end)"),
                Attr("end", SliceTuple(), REQUIRED, "stop per axis, exclusive (None: to the edge)"),
                Attr("step", SliceTuple(), (), "step per axis (None or left out: 1; negative walks backwards)"))

_slice = defop(
    "slice", ("data",), _slice_infer, Pattern.INJECTIVE, aliases=("crop",), attrs=_SLICE_ATTRS,
    grad=lambda ctx, g: (F._slice_backward(g, shape=ctx.in_specs[0].shape, **ctx.attrs),),
    doc="Slice with Python semantics per axis (`begin`, `end`, `step` may hold None; axes past "
        "len(begin) are kept whole).\n\n"
        ">>> nd.slice(nd.arange(12).reshape((3, 4)), begin=(1, None), end=(3, None), step=(1, -2)).asnumpy().tolist()\n"
        "[[7.0, 5.0], [11.0, 9.0]]")


def _slice_backward_infer(g, shape=(), begin=(), end=(), step=()):
    tgt = TensorSpec(shape, g.dtype, g.device)
    want = _sliced_shape(slice_spec(_slice_backward, tgt, begin, end, step))
    if want != _shape(g):
        raise op_error(_slice_backward, (g,), ShapeError,
                       f"the gradient has shape {_shape(g)} but slicing {tuple(shape)} gives {want}",
                       "pass the forward input's shape and the forward slice attributes")
    return tgt


_slice_backward = defop(
    "_slice_backward", ("ograd",), _slice_backward_infer, Pattern.INJECTIVE,
    attrs=(Attr("shape", Shape(), REQUIRED, "the shape of the sliced input"),) + _SLICE_ATTRS,
    grad=lambda ctx, g: (F.slice(g, **{k: v for k, v in ctx.attrs.items() if k != "shape"}),),
    public=False,
    doc="Gradient of `slice`: zeros of `shape` with `ograd` written into the sliced region.\n\n"
        ">>> F._slice_backward(nd.ones((1, 2)), shape=(2, 3), begin=(1, 1), end=(2, 3)).asnumpy().tolist()\n"
        "[[0.0, 0.0, 0.0], [0.0, 1.0, 1.0]]")


def slice_axis_range(op, x, axis, begin, end):
    s = _shape(x)
    ax = norm_axis(op, (x,), axis, len(s))
    d = s[ax]
    b = begin + d if begin < 0 else begin
    e = d if end is None else (end + d if end < 0 else end)
    if not (0 <= b < e <= d):
        raise op_error(op, (x,), ShapeError,
                       f"begin={begin}, end={end} is not a non-empty range of axis {axis} (size {d})",
                       f"use -{d} <= begin < end <= {d} (end=None means the axis end)")
    return ax, b, e


def _slice_axis_infer(x, axis=0, begin=0, end=None):
    ax, b, e = slice_axis_range(_slice_axis, x, axis, begin, end)
    s = list(x.shape)
    s[ax] = e - b
    return TensorSpec(s, x.dtype, x.device)


def _slice_axis_grad(ctx, g):
    x = ctx.in_specs[0]
    a = ctx.attrs
    ax, b, e = slice_axis_range(_slice_axis, x, a["axis"], a["begin"], a["end"])
    pre = (None,) * ax
    return (F._slice_backward(g, shape=x.shape, begin=pre + (b,), end=pre + (e,)),)


_slice_axis = defop(
    "slice_axis", ("data",), _slice_axis_infer, Pattern.INJECTIVE,
    attrs=(Attr("axis", Int(), REQUIRED, "the axis to slice (negative counts from the end)"),
           Attr("begin", Int(), REQUIRED, "start index (negative counts from the end)"),
           Attr("end", OptInt(), REQUIRED, "stop index, exclusive (None: the axis end)")),
    grad=_slice_axis_grad,
    doc="Slice one axis: `x[..., begin:end, ...]`; the range must be non-empty (MXNet).\n\n"
        ">>> nd.slice_axis(nd.arange(12).reshape((3, 4)), axis=1, begin=1, end=None).shape\n(3, 3)")


def slice_like_ends(op, x, like, axes):
    xs, ls = _shape(x), _shape(like)
    if not axes:
        if len(xs) != len(ls):
            raise op_error(op, (x, like), ShapeError,
                           f"slicing all axes needs inputs of one rank, got {xs} and {ls}",
                           "pass axes=(...) to slice only some axes")
        axes_n = range(len(xs))
    else:
        axes_n = []
        for a in axes:
            an = norm_axis(op, (x, like), a, len(xs))
            if an >= len(ls):
                raise op_error(op, (x, like), ShapeError, f"axis {a} is out of range for shape_like {ls}",
                               f"use axes below {len(ls)}")
            axes_n.append(an)
    out = list(xs)
    for a in axes_n:
        if ls[a] > xs[a]:
            raise op_error(op, (x, like), ShapeError, f"axis {a}: shape_like size {ls[a]} exceeds data size {xs[a]}",
                           "slice_like can only shrink an axis")
        out[a] = ls[a]
    return tuple(out)


def _slice_like_infer(x, like, axes=()):
    return TensorSpec(slice_like_ends(_slice_like, x, like, axes), x.dtype, x.device)


def _slice_like_grad(ctx, g):
    x, like = ctx.in_specs
    ends = slice_like_ends(_slice_like, x, like, ctx.attrs["axes"])
    return (F._slice_backward(g, shape=x.shape, begin=(0,) * len(ends), end=ends), None)


_slice_like = defop(
    "slice_like", ("data", "shape_like"), _slice_like_infer, Pattern.INJECTIVE,
    attrs=(Attr("axes", Shape(), (), "axes to slice to shape_like's size (empty: all axes)"),),
    grad=_slice_like_grad, nondiff=(1,), dtype_check=None,
    doc="Slice `data` from the start to the shape of `shape_like` (only its shape is read).\n\n"
        ">>> nd.slice_like(nd.ones((4, 5)), nd.ones((2, 3))).shape\n(2, 3)\n"
        ">>> nd.slice_like(nd.ones((4, 5)), nd.ones((2, 3)), axes=(-1,)).shape\n(4, 3)")


# ==== tile / repeat ==============================================================================

def tile_shapes(op, x, reps):
    """``(x shape promoted, reps promoted)`` to a common rank (NumPy's rule)."""
    s = _shape(x)
    for r in reps:
        if r < 0:
            raise op_error(op, (x,), ShapeError, f"reps {tuple(reps)} has a negative entry",
                           "use non-negative repetition counts")
    n = max(len(s), len(reps))
    return (1,) * (n - len(s)) + s, (1,) * (n - len(reps)) + tuple(reps)


def _tile_infer(x, reps=()):
    s, r = tile_shapes(_tile, x, reps)
    return TensorSpec(tuple(a * b for a, b in zip(s, r)), x.dtype, x.device)


def _tile_grad(ctx, g):
    x = ctx.in_specs[0]
    s, r = tile_shapes(_tile, x, ctx.attrs["reps"])
    if all(k == 1 for k in r):
        return (_reshape_to(g, x.shape),)
    inter = tuple(d for pair in zip(r, s) for d in pair)
    summed = F.sum(_reshape_to(g, inter), axis=tuple(range(0, 2 * len(s), 2)))
    return (_reshape_to(summed, x.shape),)


_tile = defop(
    "tile", ("data",), _tile_infer, Pattern.INJECTIVE,
    attrs=(Attr("reps", Shape(), REQUIRED, "repetitions per axis (NumPy's tile rule for unequal ranks)"),),
    grad=_tile_grad,
    doc="Repeat the whole array `reps` times per axis.\n\n"
        ">>> nd.tile(nd.array([[1, 2]]), reps=(2, 2)).asnumpy().tolist()\n"
        "[[1.0, 2.0, 1.0, 2.0], [1.0, 2.0, 1.0, 2.0]]")


def repeat_axis(op, x, repeats, axis):
    if repeats < 0:
        raise op_error(op, (x,), ShapeError, f"repeats={repeats} is negative", "use repeats >= 0")
    if axis is None:
        return None
    return norm_axis(op, (x,), axis, len(x.shape))


def _repeat_infer(x, repeats=1, axis=None):
    ax = repeat_axis(_repeat, x, repeats, axis)
    if ax is None:
        return TensorSpec((_size(_shape(x)) * repeats,), x.dtype, x.device)
    s = list(x.shape)
    s[ax] *= repeats
    return TensorSpec(s, x.dtype, x.device)


def _repeat_grad(ctx, g):
    x = ctx.in_specs[0]
    r = ctx.attrs["repeats"]
    ax = repeat_axis(_repeat, x, r, ctx.attrs["axis"])
    s = _shape(x)
    if ax is None:
        inter, red = (_size(s), r), 1
    else:
        inter, red = s[:ax] + (s[ax], r) + s[ax + 1:], ax + 1
    return (_reshape_to(F.sum(_reshape_to(g, inter), axis=red), s),)


_repeat = defop(
    "repeat", ("data",), _repeat_infer, Pattern.INJECTIVE,
    attrs=(Attr("repeats", Int(), REQUIRED, "how often each element is repeated"),
           Attr("axis", OptInt(), None, "the axis to repeat along; None flattens first")),
    grad=_repeat_grad,
    doc="Repeat each element `repeats` times.\n\n"
        ">>> nd.repeat(nd.array([[1, 2], [3, 4]]), repeats=2, axis=1).asnumpy().tolist()\n"
        "[[1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0]]")


# ==== Pad ========================================================================================

def pad_pairs(op, x, mode, pad_width):
    s = _shape(x)
    if len(s) not in (4, 5):
        raise op_error(op, (x,), ShapeError, f"only 4-D and 5-D inputs can be padded (MXNet), got rank {len(s)}",
                       "reshape to (N, C, H, W) or (N, C, D, H, W) first")
    if len(pad_width) != 2 * len(s):
        raise op_error(op, (x,), ShapeError,
                       f"pad_width has {len(pad_width)} entries; a rank-{len(s)} input needs {2 * len(s)}",
                       "pass (before_1, after_1, ..., before_N, after_N)")
    if any(pad_width[:4]):
        raise op_error(op, (x,), ShapeError, f"pad_width {tuple(pad_width)} pads the N or C axis",
                       "the first four entries (N and C axes) must be 0 (MXNet)")
    if any(p < 0 for p in pad_width):
        raise op_error(op, (x,), ShapeError, f"pad_width {tuple(pad_width)} has a negative entry",
                       "use non-negative widths (slice to crop)")
    pairs = tuple((int(pad_width[2 * i]), int(pad_width[2 * i + 1])) for i in range(len(s)))
    if mode == "reflect":
        for i, (a, b) in enumerate(pairs):
            if max(a, b) >= s[i] and max(a, b) > 0:
                raise op_error(op, (x,), ShapeError,
                               f"reflect padding of {max(a, b)} on axis {i} of size {s[i]}",
                               "reflect padding must be smaller than the axis size; use mode='edge' or pad less")
    if mode == "edge":
        for i, (a, b) in enumerate(pairs):
            if s[i] == 0 and (a or b):
                raise op_error(op, (x,), ShapeError, f"edge padding of the empty axis {i}",
                               "edge padding needs at least one element on the padded axis")
    return pairs


def _pad_infer(x, mode="constant", pad_width=(), constant_value=0.0):
    pairs = pad_pairs(_pad, x, mode, pad_width)
    return TensorSpec(tuple(d + a + b for d, (a, b) in zip(x.shape, pairs)), x.dtype, x.device)


def _add_at(c, axis, n, lo, hi, v):
    """``c`` with ``c[lo:hi] += v`` along ``axis`` (length ``n``), written with registry ops."""
    pieces = []
    if lo > 0:
        pieces.append(F.slice_axis(c, axis=axis, begin=0, end=lo))
    pieces.append(F.slice_axis(c, axis=axis, begin=lo, end=hi) + v)
    if hi < n:
        pieces.append(F.slice_axis(c, axis=axis, begin=hi, end=n))
    return F.Concat(*pieces, dim=axis) if len(pieces) > 1 else pieces[0]


def _pad_grad(ctx, g):
    x = ctx.in_specs[0]
    mode = ctx.attrs["mode"]
    pairs = pad_pairs(_pad, x, mode, ctx.attrs["pad_width"])
    s = _shape(x)
    if mode == "constant" or 0 in s:
        return (F.slice(g, begin=tuple(a for a, _ in pairs), end=tuple(a + d for (a, _), d in zip(pairs, s))),)
    for ax, ((a, b), n) in enumerate(zip(pairs, s)):
        if not (a or b):
            continue
        c = F.slice_axis(g, axis=ax, begin=a, end=a + n)
        if mode == "edge":
            if a:
                c = _add_at(c, ax, n, 0, 1, F.sum(F.slice_axis(g, axis=ax, begin=0, end=a), axis=ax, keepdims=True))
            if b:
                c = _add_at(c, ax, n, n - 1, n,
                            F.sum(F.slice_axis(g, axis=ax, begin=a + n, end=None), axis=ax, keepdims=True))
        else:  # reflect: padded[a-1-i] = x[1+i], padded[a+n+j] = x[n-2-j]
            if a:
                c = _add_at(c, ax, n, 1, a + 1, F.reverse(F.slice_axis(g, axis=ax, begin=0, end=a), axis=ax))
            if b:
                c = _add_at(c, ax, n, n - 1 - b, n - 1,
                            F.reverse(F.slice_axis(g, axis=ax, begin=a + n, end=None), axis=ax))
        g = c
    return (g,)


_pad = defop(
    "Pad", ("data",), _pad_infer, Pattern.INJECTIVE, aliases=("pad",),
    attrs=(Attr("mode", Choice("constant", "edge", "reflect"), REQUIRED,
                "'constant' (constant_value), 'edge' (repeat the edge) or 'reflect' (mirror, edge excluded)"),
           Attr("pad_width", Shape(), REQUIRED,
                "(before_1, after_1, ..., before_N, after_N); the N and C entries must be 0"),
           Attr("constant_value", Float(), 0.0, "the fill value for mode='constant'")),
    grad=_pad_grad,
    doc="Pad the spatial axes of a 4-D or 5-D array (MXNet supports no padding of N and C).\n\n"
        ">>> nd.pad(nd.ones((1, 1, 2, 2)), mode='constant', pad_width=(0, 0, 0, 0, 1, 1, 0, 2)).shape\n"
        "(1, 1, 4, 4)")


# ==== broadcast_like / broadcast_axis ============================================================

def broadcast_like_shape(op, lhs, rhs, lhs_axes, rhs_axes):
    ls, rs = _shape(lhs), _shape(rhs)
    args = (lhs, rhs)
    if lhs_axes is None or rhs_axes is None:
        if len(ls) != len(rs) or any(a != b and a != 1 for a, b in zip(ls, rs)):
            raise op_error(op, args, ShapeError, f"cannot broadcast {ls} to {rs}",
                           "give both inputs one rank, with lhs dims equal to rhs dims or 1 (or pass "
                           "lhs_axes and rhs_axes)")
        return rs
    la = (lhs_axes,) if isinstance(lhs_axes, int) else tuple(lhs_axes)
    ra = (rhs_axes,) if isinstance(rhs_axes, int) else tuple(rhs_axes)
    if len(la) != len(ra) or not la:
        raise op_error(op, args, ShapeError, f"lhs_axes {la} and rhs_axes {ra} must be non-empty and of one length",
                       "pair each lhs axis with the rhs axis whose size it takes")
    out = list(ls)
    for a, b in zip(la, ra):
        an = norm_axis(op, args, a, len(ls))
        bn = norm_axis(op, args, b, len(rs))
        if ls[an] != 1:
            raise op_error(op, args, ShapeError, f"lhs axis {a} has size {ls[an]}, not 1, so it cannot be broadcast "
                           f"to {rs[bn]}", "only size-1 lhs axes can be broadcast")
        out[an] = rs[bn]
    return tuple(out)


def _broadcast_like_infer(lhs, rhs, lhs_axes=None, rhs_axes=None):
    return TensorSpec(broadcast_like_shape(_broadcast_like, lhs, rhs, lhs_axes, rhs_axes), lhs.dtype, lhs.device)


_broadcast_like = defop(
    "broadcast_like", ("lhs", "rhs"), _broadcast_like_infer, Pattern.BROADCAST,
    attrs=(Attr("lhs_axes", Axes(), None, "lhs axes to broadcast (with rhs_axes)"),
           Attr("rhs_axes", Axes(), None, "rhs axes whose sizes they take")),
    grad=lambda ctx, g: (g, None),  # the tape sums g back to lhs's shape
    nondiff=(1,), dtype_check=None,
    doc="Broadcast `lhs` to the shape of `rhs` (only its shape is read).\n\n"
        ">>> nd.broadcast_like(nd.ones((1, 3)), nd.zeros((4, 3))).shape\n(4, 3)\n"
        ">>> nd.broadcast_like(nd.ones((1, 3)), nd.zeros((5, 6)), lhs_axes=(0,), rhs_axes=(1,)).shape\n(6, 3)")


def broadcast_axis_shape(op, x, axis, size):
    s = list(_shape(x))
    if len(axis) != len(size):
        raise op_error(op, (x,), ShapeError, f"axis {tuple(axis)} and size {tuple(size)} differ in length",
                       "give one target size per axis")
    for a, n in zip(axis, size):
        an = norm_axis(op, (x,), a, len(s))
        if s[an] != 1:
            raise op_error(op, (x,), ShapeError, f"axis {a} has size {s[an]}; only size-1 axes can be broadcast",
                           "reshape or expand_dims so the axis has size 1")
        if n < 0:
            raise op_error(op, (x,), ShapeError, f"size {n} is negative", "use sizes >= 0")
        s[an] = n
    return tuple(s)


_broadcast_axis = defop(
    "broadcast_axis", ("data",),
    lambda x, axis=(), size=(): TensorSpec(broadcast_axis_shape(_broadcast_axis, x, axis, size), x.dtype, x.device),
    Pattern.BROADCAST, aliases=("broadcast_axes",),
    attrs=(Attr("axis", Shape(), (), "the size-1 axes to broadcast"),
           Attr("size", Shape(), (), "their target sizes")),
    grad=lambda ctx, g: (g,),  # the tape sums g back to the input's shape
    doc="Broadcast size-1 axes to the given sizes.\n\n"
        ">>> nd.broadcast_axis(nd.ones((1, 3, 1)), axis=(0, 2), size=(2, 4)).shape\n(2, 3, 4)")


# ==== diag =======================================================================================

def diag_geometry(op, x, k, axis1, axis2):
    """``(a1, a2, length)`` of the diagonal for inputs of rank >= 2; ``None`` for 1-D."""
    s = _shape(x)
    if not s:
        raise op_error(op, (x,), ShapeError, "diag needs an input of rank >= 1", "reshape it to (1,) first")
    if len(s) == 1:
        return None
    a1 = norm_axis(op, (x,), axis1, len(s))
    a2 = norm_axis(op, (x,), axis2, len(s))
    if a1 == a2:
        raise op_error(op, (x,), ShapeError, f"axis1 and axis2 both refer to axis {a1}", "pick two different axes")
    h, w = s[a1], s[a2]
    if k > 0:
        w -= k
    elif k < 0:
        h += k
    n = min(h, w)
    if n < 0:
        raise op_error(op, (x,), ShapeError, f"diagonal k={k} does not exist for axes of sizes {s[a1]} and {s[a2]}",
                       f"use k in [-{s[a1]}, {s[a2]}]")
    return a1, a2, n


def _diag_infer(x, k=0, axis1=0, axis2=1):
    geo = diag_geometry(_diag, x, k, axis1, axis2)
    if geo is None:
        n = x.shape[0] + abs(k)
        return TensorSpec((n, n), x.dtype, x.device)
    a1, a2, n = geo
    return TensorSpec(tuple(d for i, d in enumerate(x.shape) if i not in (a1, a2)) + (n,), x.dtype, x.device)


def _diag_grad(ctx, g):
    x = ctx.in_specs[0]
    a = ctx.attrs
    if len(x.shape) == 1:
        return (F.diag(g, k=a["k"]),)
    return (F._diag_backward(g, shape=x.shape, k=a["k"], axis1=a["axis1"], axis2=a["axis2"]),)


_DIAG_ATTRS = (Attr("k", Int(), 0, "the diagonal: 0 main, > 0 above, < 0 below"),
               Attr("axis1", Int(), 0, "first axis of the 2-D sub-arrays (rank >= 2)"),
               Attr("axis2", Int(), 1, "second axis of the 2-D sub-arrays (rank >= 2)"))

_diag = defop(
    "diag", ("data",), _diag_infer, Pattern.INJECTIVE, attrs=_DIAG_ATTRS, grad=_diag_grad,
    doc="A 1-D input becomes a square matrix with it on diagonal `k`; from a rank >= 2 input the "
        "diagonal `k` of the (axis1, axis2) planes is taken and appended as the last axis.\n\n"
        ">>> nd.diag(nd.array([1, 2])).asnumpy().tolist()\n[[1.0, 0.0], [0.0, 2.0]]\n"
        ">>> nd.diag(nd.arange(6).reshape((2, 3)), k=1).asnumpy().tolist()\n[1.0, 5.0]")


def _diag_backward_infer(g, shape=(), k=0, axis1=0, axis2=1):
    tgt = TensorSpec(shape, g.dtype, g.device)
    geo = diag_geometry(_diag_backward, tgt, k, axis1, axis2)
    if geo is None:
        raise op_error(_diag_backward, (g,), ShapeError, "shape must have rank >= 2", "pass the forward input's shape")
    a1, a2, n = geo
    want = tuple(d for i, d in enumerate(shape) if i not in (a1, a2)) + (n,)
    if want != _shape(g):
        raise op_error(_diag_backward, (g,), ShapeError,
                       f"the gradient has shape {_shape(g)} but the diagonal of {tuple(shape)} has {want}",
                       "pass the forward input's shape and the forward diag attributes")
    return tgt


_diag_backward = defop(
    "_diag_backward", ("ograd",), _diag_backward_infer, Pattern.INJECTIVE,
    attrs=(Attr("shape", Shape(), REQUIRED, "the shape of diag's input (rank >= 2)"),) + _DIAG_ATTRS,
    grad=lambda ctx, g: (F.diag(g, k=ctx.attrs["k"], axis1=ctx.attrs["axis1"], axis2=ctx.attrs["axis2"]),),
    public=False,
    doc="Gradient of `diag` for inputs of rank >= 2: zeros of `shape` with `ograd` on the diagonal.\n\n"
        ">>> F._diag_backward(nd.array([1, 2]), shape=(2, 3), k=1).asnumpy().tolist()\n"
        "[[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]")


# ==== shape_array / size_array ===================================================================

_shape_array = defop(
    "shape_array", ("data",), lambda x: TensorSpec((len(x.shape),), np.int64, x.device), Pattern.OPAQUE,
    nondiff=(0,),
    doc="The shape as a 1-D int64 array.\n\n>>> nd.shape_array(nd.ones((2, 3))).asnumpy().tolist()\n[2, 3]")

_size_array = defop(
    "size_array", ("data",), lambda x: TensorSpec((1,), np.int64, x.device), Pattern.OPAQUE,
    nondiff=(0,),
    doc="The number of elements as a (1,) int64 array.\n\n>>> nd.size_array(nd.ones((2, 3))).asnumpy().tolist()\n[6]")


# ==== depth_to_space / space_to_depth ============================================================

def _block_check(op, x, block_size):
    s = _shape(x)
    if len(s) != 4:
        raise op_error(op, (x,), ShapeError, f"needs a 4-D (N, C, H, W) input, got rank {len(s)}",
                       "reshape to (N, C, H, W) first")
    if block_size < 1:
        raise op_error(op, (x,), ShapeError, f"block_size={block_size} must be positive", "pass block_size >= 1")
    return s


def depth_to_space_shape(op, x, block_size):
    n, c, h, w = _block_check(op, x, block_size)
    b = block_size
    if c % (b * b):
        raise op_error(op, (x,), ShapeError, f"channels {c} are not a multiple of block_size**2 = {b * b}",
                       "pick a block_size whose square divides the channel count")
    return (n, c // (b * b), h * b, w * b)


def space_to_depth_shape(op, x, block_size):
    n, c, h, w = _block_check(op, x, block_size)
    b = block_size
    if h % b or w % b:
        raise op_error(op, (x,), ShapeError, f"height {h} and width {w} must be multiples of block_size={b}",
                       "pick a block_size dividing both spatial dims")
    return (n, c * b * b, h // b, w // b)


_depth_to_space = defop(
    "depth_to_space", ("data",),
    lambda x, block_size=1: TensorSpec(depth_to_space_shape(_depth_to_space, x, block_size), x.dtype, x.device),
    Pattern.INJECTIVE,
    attrs=(Attr("block_size", Int(), REQUIRED, "the side of the moved blocks"),),
    grad=lambda ctx, g: (F.space_to_depth(g, block_size=ctx.attrs["block_size"]),),
    doc="Move channel blocks into space: (N, C, H, W) -> (N, C/b^2, H*b, W*b) (DCR order).\n\n"
        ">>> nd.depth_to_space(nd.ones((1, 4, 2, 3)), 2).shape\n(1, 1, 4, 6)")

_space_to_depth = defop(
    "space_to_depth", ("data",),
    lambda x, block_size=1: TensorSpec(space_to_depth_shape(_space_to_depth, x, block_size), x.dtype, x.device),
    Pattern.INJECTIVE,
    attrs=(Attr("block_size", Int(), REQUIRED, "the side of the moved blocks"),),
    grad=lambda ctx, g: (F.depth_to_space(g, block_size=ctx.attrs["block_size"]),),
    doc="Move spatial blocks into channels: (N, C, H, W) -> (N, C*b^2, H/b, W/b).\n\n"
        ">>> nd.space_to_depth(nd.ones((1, 1, 4, 6)), 2).shape\n(1, 4, 2, 3)")
