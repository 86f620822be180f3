"""Records for ops/shape.py. References are written with NumPy directly (not with the op's own shape
helpers) so that they check the rules, except for Reshape whose codes have no NumPy equivalent."""
import numpy as np

from ...errors import AttrError, DTypeError, ShapeError
from . import ErrorCase, OpCase, Sample


def _mx_reshape(x, shape=(), reverse=False):
    from ...ops.shape import reshape_shape
    from ...ops.registry import get_op
    return x.reshape(reshape_shape(get_op("Reshape"), x, shape, reverse))


def _norm(a, n):
    return a + n if a < 0 else a


# ---- references ---------------------------------------------------------------------------------

def _reshape_like(lhs, rhs, lhs_begin=None, lhs_end=None, rhs_begin=None, rhs_end=None):
    lb, le = _norm(lhs_begin or 0, lhs.ndim), lhs.ndim if lhs_end is None else _norm(lhs_end, lhs.ndim)
    rb, re = _norm(rhs_begin or 0, rhs.ndim), rhs.ndim if rhs_end is None else _norm(rhs_end, rhs.ndim)
    return lhs.reshape(lhs.shape[:lb] + rhs.shape[rb:re] + lhs.shape[le:])


def _squeeze(x, axis=None):
    r = np.squeeze(x, axis=axis)
    return r.reshape(1) if r.ndim == 0 else r


def _flatten(x):
    return x.reshape(x.shape[0], -1) if x.shape[0] else x.reshape(0, int(np.prod(x.shape[1:])))


def _reverse(x, axis):
    axis = (axis,) if isinstance(axis, int) else axis
    for a in axis:      # MXNet flips once per entry: a repeated axis flips back
        x = np.flip(x, a)
    return x.copy()


def _split(x, num_outputs, axis=1, squeeze_axis=False):
    parts = np.split(x, num_outputs, axis=axis)
    if squeeze_axis:
        parts = [np.squeeze(p, axis=axis) if p.ndim > 1 else p.reshape(1) for p in parts]
    return parts if num_outputs > 1 else parts[0]


def _slice(x, begin, end, step=()):
    key = tuple(slice(b, e, (step[i] if step and step[i] is not None else None))
                for i, (b, e) in enumerate(zip(begin, end)))
    return x[key].copy()


def _slice_backward(g, shape, begin, end, step=()):
    z = np.zeros(shape, g.dtype)
    z[tuple(slice(b, e, (step[i] if step else None)) for i, (b, e) in enumerate(zip(begin, end)))] = g
    return z


def _slice_axis(x, axis, begin, end):
    key = [slice(None)] * x.ndim
    key[axis] = slice(begin, end)
    return x[tuple(key)].copy()


def _slice_like(x, like, axes=()):
    axes = [a % x.ndim for a in axes] if axes else range(x.ndim)
    key = [slice(None)] * x.ndim
    for a in axes:
        key[a] = slice(0, like.shape[a])
    return x[tuple(key)].copy()


def _repeat(x, repeats, axis=None):
    return np.repeat(x, repeats, axis=axis)


def _pad(x, mode, pad_width, constant_value=0.0):
    pairs = [(pad_width[2 * i], pad_width[2 * i + 1]) for i in range(x.ndim)]
    if mode == "constant":
        return np.pad(x, pairs, mode="constant", constant_values=np.asarray(constant_value).astype(x.dtype))
    return np.pad(x, pairs, mode=mode)


def _broadcast_like(lhs, rhs, lhs_axes=None, rhs_axes=None):
    if lhs_axes is None or rhs_axes is None:
        shape = rhs.shape
    else:
        la = (lhs_axes,) if isinstance(lhs_axes, int) else lhs_axes
        ra = (rhs_axes,) if isinstance(rhs_axes, int) else rhs_axes
        shape = list(lhs.shape)
        for a, b in zip(la, ra):
            shape[a] = rhs.shape[b]
    return np.broadcast_to(lhs, shape).copy()


def _broadcast_axis(x, axis=(), size=()):
    axis = (axis,) if isinstance(axis, int) else axis
    size = (size,) if isinstance(size, int) else size
    shape = list(x.shape)
    for a, n in zip(axis, size):
        shape[a] = n
    return np.broadcast_to(x, shape).copy()


def _diag(x, k=0, axis1=0, axis2=1):
    if x.ndim == 1:
        return np.diag(x, k)
    return np.diagonal(x, k, axis1, axis2).copy()


def _diag_backward(g, shape, k=0, axis1=0, axis2=1):
    z = np.zeros(shape, g.dtype)
    v = np.moveaxis(z, (axis1, axis2), (-2, -1))
    for i in range(g.shape[-1]):
        r, c = (i, i + k) if k >= 0 else (i - k, i)
        v[..., r, c] = g[..., i]
    return z


def _depth_to_space(x, block_size):
    n, c, h, w = x.shape
    b = block_size
    return x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, c // (b * b), h * b, w * b)


def _space_to_depth(x, block_size):
    n, c, h, w = x.shape
    b = block_size
    return x.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4).reshape(n, c * b * b, h // b, w // b)


_PAD_ERRORS = [
    ErrorCase(((2, 3, 4),), {"mode": "constant", "pad_width": (0, 0, 1, 1, 1, 1)}, ShapeError, "only 4-D and 5-D"),
    ErrorCase(((1, 2, 3, 3),), {"mode": "constant", "pad_width": (0, 0, 1, 0, 1, 1, 1, 1)}, ShapeError,
              "pads the N or C axis"),
    ErrorCase(((1, 2, 3, 3),), {"mode": "edge", "pad_width": (0, 0, 0, 0, 1, 1)}, ShapeError,
              "pad_width has 6 entries; a rank-4 input needs 8"),
    ErrorCase(((1, 2, 3, 3),), {"mode": "reflect", "pad_width": (0, 0, 0, 0, 3, 0, 0, 0)}, ShapeError,
              "reflect padding of 3 on axis 2 of size 3"),
    ErrorCase(((1, 2, 3, 3),), {"mode": "wrap", "pad_width": (0, 0, 0, 0, 1, 1, 1, 1)}, AttrError, "mode='wrap'"),
    ErrorCase(((1, 2, 3, 3),), {"pad_width": (0, 0, 0, 0, 1, 1, 1, 1)}, AttrError, "requires the attribute 'mode'"),
]

CASES = [
    OpCase("Reshape", _mx_reshape,
           [Sample(((2, 3, 4),), {"shape": (0, -1)}), Sample(((2, 3, 4),), {"shape": (-3, 0)}),
            Sample(((2, 6),), {"shape": (0, -4, 2, -1)}), Sample(((2, 3, 4),), {"shape": (-2,)}),
            Sample(((2, 3, 4),), {"shape": (-1, 0), "reverse": True}), Sample(((0, 3),), {"shape": (0, 1, 3)})],
           int_dtypes=("int32",),
           errors=[ErrorCase(((2, 3),), {"shape": (4, 2)}, ShapeError, r"cannot reshape \(2, 3\) to \(4, 2\)"),
                   ErrorCase(((2, 3),), {"shape": (-1, -1)}, ShapeError, "more than one -1")]),
    OpCase("broadcast_to", lambda x, shape: np.broadcast_to(x, shape).copy(),
           [Sample(((1, 3),), {"shape": (4, 3)}), Sample(((2, 1, 1),), {"shape": (2, 3, 4)})],
           grad2=True,
           errors=[ErrorCase(((2, 3),), {"shape": (4, 3)}, ShapeError, "cannot broadcast")]),

    OpCase("reshape_like", _reshape_like,
           [Sample(((2, 3, 4), (6, 4))), Sample(((2, 3, 4), (6,)), {"lhs_begin": 0, "lhs_end": 2}),
            Sample(((2, 3, 4), (5, 6, 2)), {"lhs_begin": -2, "rhs_begin": 1}),
            Sample(((2, 3, 4), (1, 2, 1)), {"lhs_begin": 0, "lhs_end": 1, "rhs_begin": 0}),
            Sample(((2, 3, 4), (6, 5)), {"lhs_begin": -3, "lhs_end": -1, "rhs_end": -1}),
            Sample(((0, 3), (3, 0)), note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3, 4), (5, 7)), {}, ShapeError, r"cannot reshape lhs \(2, 3, 4\) to \(5, 7\)"),
                   ErrorCase(((2, 3, 4), (6,)), {"lhs_begin": 3, "lhs_end": 3}, ShapeError,
                             "invalid lhs_begin=3, lhs_end=3"),
                   ErrorCase(((2, 3, 4), (6,)), {"lhs_begin": 0, "lhs_end": 4}, ShapeError, "lhs_end=4")]),
    OpCase("reshape_like", _reshape_like, [Sample(((2, 3, 4), (4, 6)))], input_dtypes=(None, "int32"),
           name="reshape_like_int_rhs"),
    OpCase("transpose", lambda x, axes=(): np.transpose(x, axes or None).copy(),
           [Sample(((2, 3, 4),)), Sample(((2, 3, 4, 5),), {"axes": (3, 1, 0, 2)}),
            Sample(((2, 3, 4),), {"axes": (-1, 0, 1)}), Sample(((3,),)), Sample(((0, 3),), note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3, 4),), {"axes": (0, 0, 1)}, ShapeError, "not a permutation"),
                   ErrorCase(((2, 3, 4),), {"axes": (1, 0)}, ShapeError, "has 2 entries for an input of rank 3"),
                   ErrorCase(((2, 3),), {"axes": (0, 2)}, ShapeError, "axis 2 is out of range")]),
    OpCase("SwapAxis", lambda x, dim1=0, dim2=0: np.swapaxes(x, dim1, dim2).copy(),
           [Sample(((2, 3, 4),), {"dim1": 0, "dim2": 2}), Sample(((2, 3, 4),), {"dim1": -1, "dim2": 1}),
            Sample(((2, 3),)), Sample(((0, 2),), {"dim1": 0, "dim2": 1}, note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3, 4),), {"dim1": 3, "dim2": 0}, ShapeError, "axis 3 is out of range")]),
    OpCase("expand_dims", lambda x, axis: np.expand_dims(x, axis),
           [Sample(((2, 3),), {"axis": 1}), Sample(((2, 3),), {"axis": -1}), Sample(((2, 3),), {"axis": -3}),
            Sample(((),), {"axis": 0}, note="0-d"), Sample(((0, 3),), {"axis": 2}, note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3),), {"axis": 3}, ShapeError, "axis 3 is out of range"),
                   ErrorCase(((2, 3),), {}, AttrError, "requires the attribute 'axis'")]),
    OpCase("squeeze", _squeeze,
           [Sample(((1, 3, 1),)), Sample(((1, 3, 1),), {"axis": 0}), Sample(((1, 3, 1),), {"axis": (0, -1)}),
            Sample(((1, 1),), note="all squeezed -> (1,)"), Sample(((0, 1),), {"axis": 1}, note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((1, 3, 1),), {"axis": 1}, ShapeError, "cannot squeeze axis 1 of size 3"),
                   ErrorCase(((1, 3, 1),), {"axis": (0, 0)}, ShapeError, "repeats an axis")]),
    OpCase("Flatten", _flatten,
           [Sample(((2, 3, 4),)), Sample(((2, 1, 3, 2),)), Sample(((5,),)), Sample(((0, 3, 4),), note="0-size")],
           int_dtypes=("int32",), grad2=True),
    OpCase("reverse", _reverse,
           [Sample(((2, 3, 4),), {"axis": 1}), Sample(((2, 3, 4),), {"axis": (0, 2)}),
            Sample(((2, 3, 4),), {"axis": -1}), Sample(((2, 3),), {"axis": (0, 0)}, note="flips back"),
            Sample(((0, 3),), {"axis": 1}, note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3),), {"axis": 2}, ShapeError, "axis 2 is out of range"),
                   ErrorCase(((2, 3),), {}, AttrError, "requires the attribute 'axis'")]),
    OpCase("Concat", lambda *xs, dim=1, num_args=None: np.concatenate(xs, axis=dim),
           [Sample(((2, 3), (2, 2))), Sample(((2, 3), (3, 3)), {"dim": 0}),
            Sample(((2, 3), (2, 2), (2, 1)), {"dim": -1, "num_args": 3}), Sample(((2, 3),)),
            Sample(((3,), (2,)), {"dim": 0}), Sample(((2, 0), (2, 3)), note="0-size piece")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3), (3, 3)), {}, ShapeError, r"input 1 has shape \(3, 3\) but input 0 has \(2, 3\)"),
                   ErrorCase(((2, 3), (2, 3)), {}, DTypeError, "dtypes differ", dtypes=("float32", "float64")),
                   ErrorCase(((2, 3), (2, 3)), {"dim": 2}, ShapeError, "axis 2 is out of range"),
                   ErrorCase(((2, 3), (2, 3)), {"num_args": 3}, ShapeError, "num_args=3 but 2 arrays"),
                   ErrorCase(((2, 3), (2, 3, 1)), {}, ShapeError, "input 1 has shape")]),
    OpCase("stack", lambda *xs, axis=0, num_args=None: np.stack(xs, axis=axis),
           [Sample(((2, 3), (2, 3))), Sample(((2, 3), (2, 3), (2, 3)), {"axis": -1}),
            Sample(((2, 3), (2, 3)), {"axis": 1}), Sample(((4,),)), Sample(((0, 3), (0, 3)), {"axis": 1})],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3), (3, 2)), {}, ShapeError, r"input 1 has shape \(3, 2\)"),
                   ErrorCase(((2, 3), (2, 3)), {"axis": 3}, ShapeError, "axis 3 is out of range"),
                   ErrorCase(((2, 3), (2, 3)), {}, DTypeError, "dtypes differ", dtypes=("float32", "int32"))]),
    OpCase("SliceChannel", _split,
           [Sample(((2, 6, 4),), {"num_outputs": 3}),
            Sample(((2, 3, 4),), {"num_outputs": 4, "axis": -1, "squeeze_axis": True}),
            Sample(((2, 3, 4),), {"num_outputs": 2, "axis": 0, "squeeze_axis": True}),
            Sample(((2, 3, 4),), {"num_outputs": 1, "axis": 1}, note="one output: an array"),
            Sample(((3,),), {"num_outputs": 3, "axis": 0, "squeeze_axis": True}, note="(1,) pieces"),
            Sample(((0, 4),), {"num_outputs": 2, "axis": 1}, note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3, 4),), {"num_outputs": 2, "axis": 1}, ShapeError,
                             "axis 1 of size 3 cannot be split into 2"),
                   ErrorCase(((2, 3, 4),), {"num_outputs": 2, "axis": 2, "squeeze_axis": True}, ShapeError,
                             "squeeze_axis=True needs"),
                   ErrorCase(((2, 3, 4),), {"num_outputs": 0}, ShapeError, "must be at least 1"),
                   ErrorCase(((2, 3, 4),), {"num_outputs": 2, "axis": 3}, ShapeError, "axis 3 is out of range")]),
    OpCase("slice", _slice,
           [Sample(((3, 4, 5),), {"begin": (0, 1), "end": (2, 3)}),
            Sample(((3, 4, 5),), {"begin": (1, -1), "end": (None, -5), "step": (None, -1)}),
            Sample(((3, 4, 5),), {"begin": (None, None, None), "end": (None, None, None), "step": (-1, 2, -2)}),
            Sample(((3, 4),), {"begin": (0, -10), "end": (2, 10)}, note="clamped"),
            Sample(((3, 4),), {"begin": (0, 5), "end": (2, 7)}, note="empty result"),
            Sample(((2,),), {"begin": (-3,), "end": (None,), "step": (-2,)}, note="empty negative step"),
            Sample(((3, 4),), {"begin": (), "end": ()}), Sample(((0, 4),), {"begin": (0,), "end": (1,)})],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((3, 4),), {"begin": (0,), "end": (1,), "step": (0,)}, ShapeError, r"step\[0\] is 0"),
                   ErrorCase(((3, 4),), {"begin": (0,), "end": (1, 2)}, ShapeError, "differ in length"),
                   ErrorCase(((3, 4),), {"begin": (0, 0, 0), "end": (1, 1, 1)}, ShapeError, "3 entries for an input of rank 2"),
                   ErrorCase(((3, 4),), {"end": (1,)}, AttrError, "requires the attribute 'begin'")]),
    OpCase("_slice_backward", _slice_backward,
           [Sample(((1, 2),), {"shape": (2, 3), "begin": (1, 1), "end": (2, 3)}),
            Sample(((2, 2),), {"shape": (4, 3), "begin": (None, 2), "end": (None, 0), "step": (-2, -1)}),
            Sample(((0, 3),), {"shape": (4, 3), "begin": (1,), "end": (1,)}, note="empty slice")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 2),), {"shape": (2, 3), "begin": (1, 1), "end": (2, 3)}, ShapeError,
                             r"gradient has shape \(2, 2\) but slicing \(2, 3\) gives \(1, 2\)")]),
    OpCase("slice_axis", _slice_axis,
           [Sample(((3, 4),), {"axis": 1, "begin": 1, "end": None}),
            Sample(((2, 3, 4),), {"axis": -1, "begin": -3, "end": -1}),
            Sample(((2, 3, 4),), {"axis": 0, "begin": 0, "end": 1}),
            Sample(((0, 4),), {"axis": 1, "begin": 1, "end": 3}, note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3),), {"axis": 1, "begin": 2, "end": 1}, ShapeError, "not a non-empty range"),
                   ErrorCase(((2, 3),), {"axis": 1, "begin": 0, "end": 5}, ShapeError, "not a non-empty range"),
                   ErrorCase(((2, 3),), {"axis": 2, "begin": 0, "end": 1}, ShapeError, "axis 2 is out of range"),
                   ErrorCase(((2, 3),), {"axis": 1, "begin": 0}, AttrError, "requires the attribute 'end'")]),
    OpCase("slice_like", _slice_like,
           [Sample(((3, 4, 5), (2, 3, 4))), Sample(((3, 4, 5), (1, 2, 3)), {"axes": (0, 2)}),
            Sample(((3, 4, 5), (2, 9, 2)), {"axes": (-1,)}), Sample(((3, 4), (0, 4)), note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((3, 4), (1, 5)), {}, ShapeError, "shape_like size 5 exceeds data size 4"),
                   ErrorCase(((3, 4), (1, 2, 3)), {}, ShapeError, "needs inputs of one rank"),
                   ErrorCase(((3, 4), (1,)), {"axes": (1,)}, ShapeError, "axis 1 is out of range for shape_like")]),
    OpCase("tile", lambda x, reps: np.tile(x, reps),
           [Sample(((2, 3),), {"reps": (2,)}), Sample(((2, 3),), {"reps": (2, 1, 3)}),
            Sample(((2, 3, 4),), {"reps": (2, 1)}), Sample(((3,),), {"reps": ()}),
            Sample(((2, 3),), {"reps": (0, 2)}, note="0-size result"), Sample(((0, 2),), {"reps": (2, 2)})],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3),), {"reps": (-1,)}, ShapeError, "negative entry")]),
    OpCase("repeat", _repeat,
           [Sample(((2, 3),), {"repeats": 2}), Sample(((2, 3),), {"repeats": 3, "axis": 0}),
            Sample(((2, 3),), {"repeats": 2, "axis": -1}), Sample(((2, 3),), {"repeats": 0, "axis": 1}),
            Sample(((0, 3),), {"repeats": 2, "axis": 1}, note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((2, 3),), {"repeats": -1}, ShapeError, "repeats=-1 is negative"),
                   ErrorCase(((2, 3),), {"repeats": 2, "axis": 2}, ShapeError, "axis 2 is out of range")]),
    OpCase("Pad", _pad,
           [Sample(((1, 2, 3, 3),), {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 2, 2, 1), "constant_value": 1.5}),
            Sample(((1, 1, 2, 2, 3),), {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 0, 0, 1, 2, 2)}),
            Sample(((2, 1, 2, 2),), {"mode": "constant", "pad_width": (0,) * 8}),
            Sample(((0, 1, 2, 2),), {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 1, 1, 1)}, note="0-size")],
           int_dtypes=("int32",), grad2=True, errors=_PAD_ERRORS, name="Pad_constant"),
    OpCase("Pad", _pad,
           [Sample(((1, 2, 3, 3),), {"mode": "edge", "pad_width": (0, 0, 0, 0, 1, 2, 5, 1)}),
            Sample(((1, 1, 1, 2, 3),), {"mode": "edge", "pad_width": (0, 0, 0, 0, 2, 1, 0, 1, 2, 0)}),
            Sample(((2, 1, 1, 1),), {"mode": "edge", "pad_width": (0, 0, 0, 0, 1, 1, 2, 0)})],
           int_dtypes=("int32",), grad2=True, name="Pad_edge"),
    OpCase("Pad", _pad,
           [Sample(((1, 2, 3, 4),), {"mode": "reflect", "pad_width": (0, 0, 0, 0, 2, 1, 1, 3)}),
            Sample(((1, 1, 3, 2, 4),), {"mode": "reflect", "pad_width": (0, 0, 0, 0, 1, 2, 0, 1, 3, 0)}),
            Sample(((1, 1, 1, 3),), {"mode": "reflect", "pad_width": (0, 0, 0, 0, 0, 0, 2, 2)})],
           int_dtypes=("int32",), grad2=True, name="Pad_reflect"),
    OpCase("broadcast_like", _broadcast_like,
           [Sample(((1, 3), (4, 3))), Sample(((1, 3), (5, 6)), {"lhs_axes": (0,), "rhs_axes": (1,)}),
            Sample(((1, 3, 1), (2, 3, 4))), Sample(((1, 3), (5, 6)), {"lhs_axes": -2, "rhs_axes": -1}),
            Sample(((1, 3), (4, 3)), {"lhs_axes": (0,)}, note="one of the axes attrs: full broadcast"),
            Sample(((1, 3), (0, 3)), note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((1, 3), (4, 5)), {}, ShapeError, r"cannot broadcast \(1, 3\) to \(4, 5\)"),
                   ErrorCase(((1, 3), (5, 6)), {"lhs_axes": (0, 1), "rhs_axes": (1,)}, ShapeError, "of one length"),
                   ErrorCase(((2, 3), (5, 6)), {"lhs_axes": (0,), "rhs_axes": (1,)}, ShapeError,
                             "lhs axis 0 has size 2, not 1")]),
    OpCase("broadcast_like", _broadcast_like, [Sample(((1, 3), (4, 3)))], input_dtypes=(None, "int32"),
           name="broadcast_like_int_rhs"),
    OpCase("broadcast_axis", _broadcast_axis,
           [Sample(((1, 3, 1),), {"axis": (0, 2), "size": (2, 4)}), Sample(((1, 3, 1),), {"axis": 0, "size": 2}),
            Sample(((1, 3, 1),), {"axis": -1, "size": 3}), Sample(((1, 3, 1),)),
            Sample(((1, 3, 1),), {"axis": 0, "size": 0}, note="0-size result")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((1, 3, 1),), {"axis": 1, "size": 3}, ShapeError, "axis 1 has size 3"),
                   ErrorCase(((1, 3, 1),), {"axis": (0, 2), "size": (2,)}, ShapeError, "differ in length"),
                   ErrorCase(((1, 3, 1),), {"axis": 3, "size": 2}, ShapeError, "axis 3 is out of range")]),
    OpCase("diag", _diag,
           [Sample(((3, 4),), {"k": 1}), Sample(((2, 3, 4),), {"k": 1, "axis1": 2, "axis2": 0}),
            Sample(((3, 4),)), Sample(((3, 4),), {"k": -2}), Sample(((3, 4),), {"k": 4}, note="empty diagonal"),
            Sample(((2, 3, 4),), {"axis1": -1, "axis2": -2}), Sample(((0, 3),), note="0-size")],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((3, 4),), {"k": 5}, ShapeError, "diagonal k=5 does not exist"),
                   ErrorCase(((3, 4),), {"k": -4}, ShapeError, "diagonal k=-4 does not exist"),
                   ErrorCase(((2, 3, 4),), {"axis1": 1, "axis2": 1}, ShapeError, "both refer to axis 1"),
                   ErrorCase(((),), {}, ShapeError, "rank >= 1")]),
    OpCase("diag", _diag,
           [Sample(((3,),)), Sample(((3,),), {"k": 1}), Sample(((3,),), {"k": -2}), Sample(((0,),))],
           int_dtypes=("int32",), grad2=True, name="diag_1d"),
    OpCase("_diag_backward", _diag_backward,
           [Sample(((2,),), {"shape": (2, 3), "k": 1}),
            Sample(((3, 2),), {"shape": (2, 3, 4), "axis1": 2, "axis2": 0}),
            Sample(((1,),), {"shape": (3, 4), "k": -2}), Sample(((0,),), {"shape": (3, 4), "k": 4})],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((3,),), {"shape": (2, 3)}, ShapeError, r"gradient has shape \(3,\)")]),
    OpCase("shape_array", lambda x: np.array(x.shape, np.int64),
           [Sample(((2, 3, 4),)), Sample(((5,),)), Sample(((0, 3),)), Sample(((),), note="0-d: empty")],
           int_dtypes=("int32",), grad=False),
    OpCase("size_array", lambda x: np.array([x.size], np.int64),
           [Sample(((2, 3, 4),)), Sample(((5,),)), Sample(((0, 3),)), Sample(((),))],
           int_dtypes=("int32",), grad=False),
    OpCase("depth_to_space", _depth_to_space,
           [Sample(((1, 4, 2, 3),), {"block_size": 2}), Sample(((2, 9, 1, 2),), {"block_size": 3}),
            Sample(((1, 2, 2, 2),), {"block_size": 1}), Sample(((0, 4, 2, 2),), {"block_size": 2})],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((4, 2, 2),), {"block_size": 2}, ShapeError, "needs a 4-D"),
                   ErrorCase(((1, 4, 2, 2),), {"block_size": 3}, ShapeError, "not a multiple of block_size"),
                   ErrorCase(((1, 4, 2, 2),), {"block_size": 0}, ShapeError, "must be positive")]),
    OpCase("space_to_depth", _space_to_depth,
           [Sample(((1, 1, 4, 6),), {"block_size": 2}), Sample(((2, 2, 3, 6),), {"block_size": 3}),
            Sample(((0, 1, 2, 2),), {"block_size": 2})],
           int_dtypes=("int32",), grad2=True,
           errors=[ErrorCase(((1, 2, 3, 3),), {"block_size": 2}, ShapeError, "multiples of block_size=2")]),
]
