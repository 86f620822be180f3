"""Sorting kernels for both devices (NumPy on the CPU, CuPy on the GPU) and the helpers the
per-device ``topk`` kernels share.

Ordering rules (MXNet 1.9.1, measured): stable in both directions (descending = the stable ascending
order of the reversed lane, reversed back) and NaN as the largest value (NumPy and CuPy place NaN
last). The private permutation ops of the sort gradients (``_scatter_along_axis``,
``_gather_along_axis``) are ``put_along_axis`` / ``take_along_axis``.
"""
import numpy as np

from ..backend import xp_of
from . import both, device_scope

__all__ = ["lanes", "emit", "stable_argsort", "put_along_axis", "pack_topk"]


def lanes(x, axis):
    """(array, axis) with axis=None meaning the flattened array."""
    if axis is None:
        return x.reshape(-1), 0
    return x, axis % x.ndim


def emit(xp, r, out):
    if out is None:
        return xp.ascontiguousarray(r)
    out[...] = r
    return out


def _argsort(xp, x, axis):
    if xp is np:
        return np.argsort(x, axis=axis, kind="stable")
    return xp.argsort(x, axis=axis)          # CuPy's argsort is stable


def stable_argsort(xp, x, axis, is_ascend):
    """int64 indices; stable in both directions."""
    if is_ascend:
        return _argsort(xp, x, axis)
    n = x.shape[axis]
    idx = _argsort(xp, xp.flip(x, axis), axis)
    return (n - 1) - xp.flip(idx, axis)


def put_along_axis(xp, arr, indices, values, axis):
    """``arr[..., indices[..., j, ...], ...] = values`` along ``axis`` (NumPy's put_along_axis)."""
    if hasattr(xp, "put_along_axis"):
        xp.put_along_axis(arr, indices, values, axis=axis)
        return arr
    fancy = list(xp.ix_(*[xp.arange(n) for n in indices.shape]))
    fancy[axis] = indices
    arr[tuple(fancy)] = values
    return arr


def pack_topk(xp, x, xl, ax, idx, vals, ret_typ, dtype, out):
    """topk's result for ``ret_typ`` from the best-k ``idx``/``vals`` along ``ax`` of the lanes ``xl``."""
    if ret_typ == "mask":
        mask = xp.zeros(xl.shape, x.dtype)
        put_along_axis(xp, mask, idx, xp.asarray(1, x.dtype), ax)
        return emit(xp, mask.reshape(x.shape), out)
    if ret_typ == "value":
        return emit(xp, vals, out)
    if ret_typ == "indices":
        return emit(xp, idx.astype(dtype), out)
    if out is None:
        return xp.ascontiguousarray(vals), xp.ascontiguousarray(idx.astype(dtype))
    out[0][...] = vals
    out[1][...] = idx
    return out


@both("sort")
def sort(x, out=None, axis=-1, is_ascend=True):
    xp = xp_of(x)
    with device_scope(x):
        x, ax = lanes(x, axis)
        r = np.sort(x, axis=ax, kind="stable") if xp is np else xp.sort(x, axis=ax)
        if not is_ascend:
            r = xp.flip(r, ax)
        return emit(xp, r, out)


@both("argsort")
def argsort(x, out=None, axis=-1, is_ascend=True, dtype="float32"):
    xp = xp_of(x)
    with device_scope(x):
        x, ax = lanes(x, axis)
        return emit(xp, stable_argsort(xp, x, ax, is_ascend).astype(dtype), out)


@both("_scatter_along_axis")
def scatter_along_axis(g, index, out=None, axis=0, size=0):
    xp = xp_of(g)
    with device_scope(g):
        ax = axis % g.ndim if g.ndim else 0
        shape = g.shape[:ax] + (size,) + g.shape[ax + 1:]
        r = xp.zeros(shape, g.dtype) if out is None else out
        if out is not None:
            r[...] = 0
        if g.size:
            put_along_axis(xp, r, index.astype(np.int64, copy=False), g, ax)
        return r


@both("_gather_along_axis")
def gather_along_axis(x, index, out=None, axis=0):
    xp = xp_of(x)
    with device_scope(x):
        r = xp.take_along_axis(x, index.astype(np.int64, copy=False), axis=axis % x.ndim)
        return emit(xp, r, out)
