"""GPU sorting kernels: CuPy's sort / argsort (stable radix/merge sorts from Thrust/CUB) with the
same ordering rules as ``kernels/cpu/sort.py``: stable in both directions (descending = the stable
ascending order of the reversed lane, reversed back) and NaN as the largest value (CuPy places NaN
last, as NumPy does). ``topk`` is a full stable argsort and a slice: one library sort beats a
selection kernel on a GPU for the lane lengths MXNet models use. Under the simulator the same code
runs on NumPy. The private permutation ops of the sort gradients (``_scatter_along_axis``,
``_gather_along_axis``) are ``take_along_axis`` / a scatter through advanced indexing.
"""
import numpy as np

from ...ops.registry import register_kernel
from ..backend import xp_of
from . import launch as L


def _emit(xp, r, out):
    if out is None:
        return xp.ascontiguousarray(r)
    out[...] = r
    return out


def _lanes(x, axis):
    if axis is None:
        return x.reshape(-1), 0
    return x, axis % x.ndim


def _argsort(xp, x, axis):
    if xp is np:
        return np.argsort(x, axis=axis, kind="stable")
    return xp.argsort(x, axis=axis)          # CuPy's argsort is stable


def _sort(xp, x, axis):
    if xp is np:
        return np.sort(x, axis=axis, kind="stable")
    return xp.sort(x, axis=axis)


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


@register_kernel("sort", "gpu")
def sort(x, out=None, axis=-1, is_ascend=True):
    xp = xp_of(x)
    with L.on_device_of(x):
        x, ax = _lanes(x, axis)
        r = _sort(xp, x, ax)
        if not is_ascend:
            r = xp.flip(r, ax)
        return _emit(xp, r, out)


@register_kernel("argsort", "gpu")
def argsort(x, out=None, axis=-1, is_ascend=True, dtype="float32"):
    xp = xp_of(x)
    with L.on_device_of(x):
        x, ax = _lanes(x, axis)
        idx = stable_argsort(xp, x, ax, is_ascend)
        if out is None:
            return xp.ascontiguousarray(idx.astype(dtype))
        out[...] = idx
        return out


@register_kernel("topk", "gpu")
def topk(x, out=None, axis=-1, k=1, ret_typ="indices", is_ascend=False, dtype="float32"):
    xp = xp_of(x)
    with L.on_device_of(x):
        xl, ax = _lanes(x, axis)
        n = xl.shape[ax]
        kk = n if k < 1 else k
        idx = stable_argsort(xp, xl, ax, is_ascend)
        idx = idx[(slice(None),) * ax + (slice(0, kk),)]
        if ret_typ == "mask":
            mask = xp.zeros(xl.shape, x.dtype)
            put_along_axis(xp, mask, idx, xp.asarray(1, x.dtype), ax)
            return _emit(xp, mask.reshape(x.shape), out)
        vals = xp.take_along_axis(xl, idx, axis=ax)
        if ret_typ == "value":
            return _emit(xp, vals, out)
        if ret_typ == "indices":
            if out is None:
                return xp.ascontiguousarray(idx.astype(dtype))
            out[...] = idx
            return out
        if out is None:
            return xp.ascontiguousarray(vals), xp.ascontiguousarray(idx.astype(dtype))
        out[0][...] = vals
        out[1][...] = idx
        return out


@register_kernel("_scatter_along_axis", "gpu")
def scatter_along_axis(g, index, out=None, axis=0, size=0):
    xp = xp_of(g)
    with L.on_device_of(g):
        ax = axis % g.ndim if g.ndim else 0
        shape = g.shape[:ax] + (size,) + g.shape[ax + 1:]
        r = xp.zeros(shape, g.dtype) if out is None else out
        if out is not None:
            r[...] = 0
        if g.size:
            put_along_axis(xp, r, index.astype(np.int64, copy=False), g, ax)
        return r


@register_kernel("_gather_along_axis", "gpu")
def gather_along_axis(x, index, out=None, axis=0):
    xp = xp_of(x)
    with L.on_device_of(x):
        ax = axis % x.ndim
        r = xp.take_along_axis(x, index.astype(np.int64, copy=False), axis=ax)
        return _emit(xp, r, out)
