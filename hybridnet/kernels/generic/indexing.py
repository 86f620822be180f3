"""Indexing-op kernels over the array API (NumPy on the CPU, CuPy on the GPU): gathers are one
``take`` / ``take_along_axis`` after normalising the indices; scatter-adds use ``add.at``.
``kernels/cpu/gather.py`` holds the CPU ``take`` and the Numba scatter-adds, so ``take``,
``_backward_take`` and ``_backward_gather_nd`` are registered here for the GPU only.

Indices may be float: they are truncated towards zero (``astype(int64)``), as MXNet's C++ cast does.
Data-dependent range checks (``take(mode='raise')``, ``gather_nd``, ``scatter_nd``) read the index
minimum and maximum back from the device.
"""
import numpy as np

from ...ops.indexing import IndexOutOfRangeError
from ...ops.check import op_error
from ...ops.registry import get_op, register_kernel
from ..backend import xp_of
from . import both

# take and the scatter-adds have faster CPU kernels in kernels/cpu/gather.py: here they are GPU only.
_gpu = lambda name: register_kernel(name, "gpu")  # noqa: E731

__all__ = ["int_index", "clip_or_wrap", "nd_linear_index", "scatter_add_rows"]


def _emit(r, out):
    if out is None:
        return r
    out[...] = r
    return out


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def int_index(xp, idx):
    """Indices as int64 (float indices truncated towards zero)."""
    if idx.dtype == np.int64:
        return idx
    return idx.astype(np.int64)


def clip_or_wrap(xp, idx, n, mode):
    if mode == "wrap":
        return xp.mod(idx, n)
    return xp.clip(idx, 0, n - 1)


def _norm_axis(axis, ndim):
    return axis + ndim if axis < 0 else axis


def out_of_range(op, idx, lo, hi, axis, what, fix=None):
    """Raise naming the first offending index when any ``idx`` lies outside ``[lo, hi)`` (``hi`` is
    the axis size). Returns whether any index is negative."""
    if not idx.size:
        return False
    mn, mx = int(idx.min()), int(idx.max())   # two reductions, no temporaries on the good path
    if mn < lo or mx >= hi:
        first = int(idx[(idx < lo) | (idx >= hi)].reshape(-1)[0])
        raise op_error(op, (), IndexOutOfRangeError,
                       f"index {first} is out of bounds for axis {axis} with size {hi} ({what})",
                       fix or f"indices along axis {axis} must lie in [{lo}, {hi})")
    return mn < 0


# ---- take ---------------------------------------------------------------------------------------

_TAKE = get_op("take")
_BTAKE = get_op("_backward_take")


def take_indices(xp, a_shape, indices, axis, mode, op=_TAKE, normalize=True):
    """(axis, int64 indices): checked for mode='raise', else clipped/wrapped when ``normalize``."""
    ax = _norm_axis(axis, len(a_shape))
    n = a_shape[ax]
    idx = int_index(xp, indices)
    if mode == "raise":
        out_of_range(op, idx, 0, n, ax, f"data shape {tuple(a_shape)}, indices shape {tuple(indices.shape)}",
                     f"with mode='raise' indices must lie in [0, {n}) (no negative indices, as in MXNet); "
                     "use mode='wrap' for Python-style negative indices")
        return ax, idx
    return ax, clip_or_wrap(xp, idx, n, mode) if n and normalize else idx


@_gpu("take")
def take(a, indices, out=None, axis=0, mode="clip"):
    xp = xp_of(a)
    ax, idx = take_indices(xp, a.shape, indices, axis, mode)
    return _emit(xp.take(a, idx, axis=ax), out)


def scatter_add_rows(xp, out3, idx, g3):
    """out3[p, idx[k], q] += g3[p, k, q] (repeated indices accumulate)."""
    at = getattr(xp.add, "at", None)    # NumPy; CuPy >= 13 (cupyx.scatter_add before)
    if at is not None:
        at(out3, (slice(None), idx), g3)
    else:
        import cupyx
        cupyx.scatter_add(out3, (slice(None), idx), g3)
    return out3


@_gpu("_backward_take")
def backward_take(ograd, indices, out=None, shape=(), axis=0, mode="clip"):
    xp = xp_of(ograd)
    ax, idx = take_indices(xp, shape, indices, axis, mode, _BTAKE)
    pre, n, post = _size(shape[:ax]), shape[ax], _size(shape[ax + 1:])
    res = xp.zeros((pre, n, post), ograd.dtype)
    g3 = ograd.reshape(pre, idx.size, post)
    scatter_add_rows(xp, res, idx.reshape(-1), g3)
    return _emit(res.reshape(shape), out)


# ---- pick ---------------------------------------------------------------------------------------

def _pick_index(xp, dshape, index, axis, mode):
    ax = _norm_axis(axis, len(dshape))
    kshape = tuple(1 if i == ax else d for i, d in enumerate(dshape))
    idx = int_index(xp, index).reshape(kshape)
    return ax, kshape, clip_or_wrap(xp, idx, dshape[ax], mode) if dshape[ax] else idx


def _pick_oshape(dshape, ax, keepdims):
    if keepdims:
        return tuple(1 if i == ax else d for i, d in enumerate(dshape))
    return tuple(d for i, d in enumerate(dshape) if i != ax) or (1,)


@both("pick")
def pick(data, index, out=None, axis=-1, keepdims=False, mode="clip"):
    xp = xp_of(data)
    ax, _, idx = _pick_index(xp, data.shape, index, axis, mode)
    r = xp.take_along_axis(data, idx, axis=ax)
    return _emit(r.reshape(_pick_oshape(data.shape, ax, keepdims)), out)


@both("_backward_pick")
def backward_pick(ograd, index, out=None, shape=(), axis=-1, keepdims=False, mode="clip"):
    xp = xp_of(ograd)
    ax, kshape, idx = _pick_index(xp, shape, index, axis, mode)
    pos = xp.arange(shape[ax]).reshape(tuple(-1 if i == ax else 1 for i in range(len(shape))))
    res = xp.where(pos == idx, ograd.reshape(kshape), xp.zeros((), ograd.dtype))
    return _emit(res.astype(ograd.dtype, copy=False), out)


# ---- gather_nd / scatter_nd ---------------------------------------------------------------------

_GATHER_ND = get_op("gather_nd")


def nd_linear_index(xp, dshape, indices, op=_GATHER_ND):
    """Flat row numbers into ``data.reshape((prod(dshape[:M]), -1))`` for indices of shape (M, N...);
    negative coordinates count from the end; anything else out of range raises."""
    m = indices.shape[0]
    idx = int_index(xp, indices).reshape(m, -1)
    lin = None
    for i in range(m):
        n = dshape[i]
        row = idx[i]
        if out_of_range(op, row, -n, n, i, f"data shape {tuple(dshape)}, indices shape {tuple(indices.shape)}"):
            row = xp.where(row < 0, row + n, row)
        lin = row if lin is None else lin * n + row
    return lin


@both("gather_nd")
def gather_nd(data, indices, out=None):
    xp = xp_of(data)
    m = indices.shape[0]
    lin = nd_linear_index(xp, data.shape, indices)
    flat = data.reshape((_size(data.shape[:m]),) + tuple(data.shape[m:]))
    r = xp.take(flat, lin, axis=0)
    return _emit(r.reshape(tuple(indices.shape[1:]) + tuple(data.shape[m:])), out)


_SCATTER_ND = get_op("scatter_nd")
_BGATHER_ND = get_op("_backward_gather_nd")


def _scatter_parts(xp, data, indices, shape, op):
    m = indices.shape[0]
    lin = nd_linear_index(xp, shape, indices, op)
    rows, rest = _size(shape[:m]), _size(shape[m:])
    return lin, rows, rest, data.reshape(lin.size, rest)


@both("scatter_nd")
def scatter_nd(data, indices, out=None, shape=()):
    xp = xp_of(data)
    lin, rows, rest, vals = _scatter_parts(xp, data, indices, shape, _SCATTER_ND)
    res = xp.zeros((rows, rest), data.dtype)
    res[lin] = vals
    return _emit(res.reshape(shape), out)


@_gpu("_backward_gather_nd")
def backward_gather_nd(data, indices, out=None, shape=()):
    xp = xp_of(data)
    lin, rows, rest, vals = _scatter_parts(xp, data, indices, shape, _BGATHER_ND)
    res = xp.zeros((1, rows, rest), data.dtype)
    scatter_add_rows(xp, res, lin, vals.reshape(1, lin.size, rest))
    return _emit(res.reshape(shape), out)


# ---- one_hot / where ----------------------------------------------------------------------------

@both("one_hot")
def one_hot(indices, out=None, depth=0, on_value=1.0, off_value=0.0, dtype="float32"):
    xp = xp_of(indices)
    dt = np.dtype(dtype)
    idx = int_index(xp, indices)
    hit = idx[..., None] == xp.arange(depth)
    on = xp.asarray(np.asarray(on_value).astype(dt))
    off = xp.asarray(np.asarray(off_value).astype(dt))
    return _emit(xp.where(hit, on, off).astype(dt, copy=False), out)


@both("where")
def where(condition, x, y, out=None):
    xp = xp_of(x)
    c = condition != 0
    if c.shape != x.shape:
        c = c.reshape((-1,) + (1,) * (x.ndim - 1))
    return _emit(xp.where(c, x, y), out)
