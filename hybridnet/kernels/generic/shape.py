"""Shape-op kernels over the array API (NumPy on the CPU, CuPy on the GPU).

Destination passing: without ``out`` a kernel returns a new array; with ``out`` it writes into it
(the graph executor's buffers) and returns it. Pure re-indexings of contiguous data (Reshape,
reshape_like, expand_dims, squeeze, Flatten) may return views when ``out`` is None; every op that
moves data (transpose, slices, broadcasts, ...) returns a fresh C-contiguous array, never a view of
its input (MXNet copies there, and NumPy's broadcast/diagonal views are read-only).
Shapes and validation come from the helpers in ``ops/shape.py``.
"""
from ...ops import shape as S
from ...ops.check import norm_axis
from ...ops.registry import get_op
from ...ops.spec import TensorSpec
from ..backend import xp_of
from . import both

_OP = {n: get_op(n) for n in ("Reshape", "reshape_like", "transpose", "SwapAxis", "squeeze", "reverse",
                              "Concat", "stack", "SliceChannel", "slice", "_slice_backward", "slice_axis",
                              "slice_like", "tile", "repeat", "Pad", "broadcast_like", "broadcast_axis", "diag",
                              "_diag_backward", "depth_to_space", "space_to_depth", "expand_dims")}


def _emit(r, out):
    """``r`` may be a view of an input (reshape-like ops)."""
    if out is None:
        return r
    out[...] = r
    return out


def _copy(v, out):
    """A fresh C-contiguous copy of the view ``v`` (or ``v`` written into ``out``)."""
    if out is None:
        return xp_of(v).array(v, copy=True, order="C")
    out[...] = v
    return out


@both("Reshape")
def reshape(x, out=None, shape=(), reverse=False):
    return _emit(x.reshape(S.reshape_shape(_OP["Reshape"], x, shape, reverse)), out)


@both("broadcast_to")
def broadcast_to(x, out=None, shape=()):
    tgt = tuple(d if d != 0 else x.shape[i] for i, d in enumerate(shape)) if len(shape) == x.ndim else shape
    return _copy(xp_of(x).broadcast_to(x, tgt), out)


@both("reshape_like")
def reshape_like(lhs, rhs, out=None, lhs_begin=None, lhs_end=None, rhs_begin=None, rhs_end=None):
    shape = S.reshape_like_shape(_OP["reshape_like"], lhs, rhs, lhs_begin, lhs_end, rhs_begin, rhs_end)
    return _emit(lhs.reshape(shape), out)


@both("transpose")
def transpose(x, out=None, axes=()):
    return _copy(x.transpose(S.transpose_axes(_OP["transpose"], x, axes)), out)


@both("SwapAxis")
def swapaxis(x, out=None, dim1=0, dim2=0):
    a, b = S.swap_dims(_OP["SwapAxis"], x, dim1, dim2)
    return _copy(xp_of(x).swapaxes(x, a, b), out)


@both("expand_dims")
def expand_dims(x, out=None, axis=0):
    return _emit(xp_of(x).expand_dims(x, norm_axis(_OP["expand_dims"], (x,), axis, x.ndim, allow_end=True)), out)


@both("squeeze")
def squeeze(x, out=None, axis=None):
    return _emit(x.reshape(S.squeeze_shape(_OP["squeeze"], x, axis)), out)


@both("Flatten")
def flatten(x, out=None):
    return _emit(x.reshape(S.flatten_shape(x)), out)


@both("reverse")
def reverse(x, out=None, axis=()):
    axes = S.reverse_axes(_OP["reverse"], x, axis)
    key = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))
    return _copy(x[key], out)


@both("Concat")
def concat(*arrays, out=None, dim=1, num_args=None):
    ax = S.concat_axis(_OP["Concat"], arrays, dim)
    return xp_of(arrays[0]).concatenate(arrays, axis=ax, out=out)


@both("stack")
def stack(*arrays, out=None, axis=0, num_args=None):
    ax = norm_axis(_OP["stack"], arrays, axis, arrays[0].ndim, allow_end=True)
    return xp_of(arrays[0]).stack(arrays, axis=ax, out=out)


@both("SliceChannel")
def split(x, out=None, num_outputs=1, axis=1, squeeze_axis=False):
    ax, piece = S.split_shape(_OP["SliceChannel"], x, num_outputs, axis, squeeze_axis)
    step = x.shape[ax] // num_outputs
    pre = (slice(None),) * ax
    outs = out if isinstance(out, (list, tuple)) else ((out,) if out is not None else (None,) * num_outputs)
    res = tuple(_copy(x[pre + (slice(i * step, (i + 1) * step),)].reshape(piece), o)
                for i, o in zip(range(num_outputs), outs))
    return res if num_outputs > 1 else res[0]


@both("slice")
def slice_(x, out=None, begin=(), end=(), step=()):
    return _copy(x[S.slices_of(S.slice_spec(_OP["slice"], x, begin, end, step))], out)


@both("_slice_backward")
def slice_backward(g, out=None, shape=(), begin=(), end=(), step=()):
    xp = xp_of(g)
    if out is None:
        out = xp.zeros(shape, g.dtype)
    else:
        out[...] = 0
    out[S.slices_of(S.slice_spec(_OP["_slice_backward"], out, begin, end, step))] = g
    return out


@both("slice_axis")
def slice_axis(x, out=None, axis=0, begin=0, end=None):
    ax, b, e = S.slice_axis_range(_OP["slice_axis"], x, axis, begin, end)
    return _copy(x[(slice(None),) * ax + (slice(b, e),)], out)


@both("slice_like")
def slice_like(x, like, out=None, axes=()):
    ends = S.slice_like_ends(_OP["slice_like"], x, like, axes)
    return _copy(x[tuple(slice(0, e) for e in ends)], out)


@both("tile")
def tile(x, out=None, reps=()):
    S.tile_shapes(_OP["tile"], x, reps)
    return _emit(xp_of(x).tile(x, reps), out)


@both("repeat")
def repeat(x, out=None, repeats=1, axis=None):
    ax = S.repeat_axis(_OP["repeat"], x, repeats, axis)
    return _emit(xp_of(x).repeat(x.reshape(-1) if ax is None else x, repeats, axis=0 if ax is None else ax), out)


@both("Pad")
def pad(x, out=None, mode="constant", pad_width=(), constant_value=0.0):
    xp = xp_of(x)
    pairs = S.pad_pairs(_OP["Pad"], x, mode, pad_width)
    if mode != "constant":
        return _emit(xp.pad(x, pairs, mode=mode), out)
    if out is None:
        out = xp.empty(tuple(d + a + b for d, (a, b) in zip(x.shape, pairs)), x.dtype)
    out[...] = constant_value
    out[tuple(slice(a, a + d) for d, (a, _) in zip(x.shape, pairs))] = x
    return out


@both("broadcast_like")
def broadcast_like(lhs, rhs, out=None, lhs_axes=None, rhs_axes=None):
    shape = S.broadcast_like_shape(_OP["broadcast_like"], lhs, rhs, lhs_axes, rhs_axes)
    return _copy(xp_of(lhs).broadcast_to(lhs, shape), out)


@both("broadcast_axis")
def broadcast_axis(x, out=None, axis=(), size=()):
    shape = S.broadcast_axis_shape(_OP["broadcast_axis"], x, axis, size)
    return _copy(xp_of(x).broadcast_to(x, shape), out)


@both("diag")
def diag(x, out=None, k=0, axis1=0, axis2=1):
    xp = xp_of(x)
    geo = S.diag_geometry(_OP["diag"], x, k, axis1, axis2)
    if geo is None:
        n = x.shape[0] + abs(k)
        if out is None:
            out = xp.zeros((n, n), x.dtype)
        else:
            out[...] = 0
        r = xp.arange(x.shape[0])
        out[r + max(-k, 0), r + max(k, 0)] = x
        return out
    a1, a2, _ = geo
    return _copy(xp.diagonal(x, k, a1, a2), out)


@both("_diag_backward")
def diag_backward(g, out=None, shape=(), k=0, axis1=0, axis2=1):
    xp = xp_of(g)
    a1, a2, n = S.diag_geometry(_OP["_diag_backward"], TensorSpec(shape, g.dtype, None), k, axis1, axis2)
    if out is None:
        out = xp.zeros(shape, g.dtype)
    else:
        out[...] = 0
    r = xp.arange(n)
    xp.moveaxis(out, (a1, a2), (-2, -1))[..., r + max(-k, 0), r + max(k, 0)] = g
    return out


@both("shape_array")
def shape_array(x, out=None):
    return _emit(xp_of(x).asarray(x.shape, dtype="int64").reshape(x.ndim), out)


@both("size_array")
def size_array(x, out=None):
    return _emit(xp_of(x).asarray([x.size], dtype="int64"), out)


@both("depth_to_space")
def depth_to_space(x, out=None, block_size=1):
    n, c, h, w = S.depth_to_space_shape(_OP["depth_to_space"], x, block_size)
    b = block_size
    t = x.reshape(n, b, b, c, x.shape[2], x.shape[3]).transpose(0, 3, 4, 1, 5, 2)
    return _emit(xp_of(x).array(t, copy=True, order="C").reshape(n, c, h, w), out)


@both("space_to_depth")
def space_to_depth(x, out=None, block_size=1):
    n, c, h, w = S.space_to_depth_shape(_OP["space_to_depth"], x, block_size)
    b = block_size
    t = x.reshape(n, x.shape[1], h, b, w, b).transpose(0, 3, 5, 1, 2, 4)
    return _emit(xp_of(x).array(t, copy=True, order="C").reshape(n, c, h, w), out)
