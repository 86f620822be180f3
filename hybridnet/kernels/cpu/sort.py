"""CPU sorting kernels: stable NumPy sorts for sort / argsort, a Numba partial selection for topk.

Order (MXNet 1.9.1, measured): stable in both directions - equal values keep their original order, so
descending order is computed as the stable ascending order of the reversed lane, reversed back. NaN is
the largest value (last ascending, first descending), as NumPy's sort places it.

topk: for k <= 64 (and k <= n / 2) a Numba kernel keeps the k best (value, index) pairs of each lane
in a sorted buffer (one pass; O(n) for typical data, O(n k) for adversarial order); otherwise a full
stable argsort and a slice. ``np.argpartition`` is no option: it does not break ties by index, and is
slower anyway. Measured on this 2-core machine (float32, descending, ms per call):

====================  =========  ===============  ============================
shape, k              selection  stable argsort   argpartition (no tie fix)
====================  =========  ===============  ============================
(128, 1000), k=5      0.13       7.5              1.6
(32, 100000), k=10    2.7        440              36
(4096, 50), k=1       0.39       4.5              1.1
(128, 1000), k=50     1.0        6.4              1.3
(64, 30000), k=64     3.0        200              37
(128, 100), k=64      0.30       0.24             -
(128, 1000), k=200    8.1        6.3              -
====================  =========  ===============  ============================

Worst case for the selection ((128, 1000) ascending input, k=64, descending): 5.7 ms, about the
argsort's time.
"""
import numpy as np

from ...ops.registry import register_kernel

_SELECT_MAX_K = 64      # above this (or k > n / 2) topk uses a full stable argsort


def _emit(r, out):
    if out is None:
        return np.ascontiguousarray(r)
    out[...] = r
    return out


def _lanes(x, axis):
    """(array, axis) with axis=None meaning the flattened array."""
    if axis is None:
        return x.reshape(-1), 0
    return x, axis % x.ndim


def stable_argsort(x, axis, is_ascend):
    """int64 indices; stable in both directions."""
    if is_ascend:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    idx = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (n - 1) - np.flip(idx, axis)


@register_kernel("sort", "cpu")
def sort(x, out=None, axis=-1, is_ascend=True):
    x, ax = _lanes(x, axis)
    r = np.sort(x, axis=ax, kind="stable")
    if not is_ascend:
        r = np.flip(r, ax)
    return _emit(r, out)


@register_kernel("argsort", "cpu")
def argsort(x, out=None, axis=-1, is_ascend=True, dtype="float32"):
    x, ax = _lanes(x, axis)
    idx = stable_argsort(x, ax, is_ascend)
    if out is None:
        return idx.astype(dtype)
    out[...] = idx
    return out


# ---- topk -----------------------------------------------------------------------------------------

_JIT = {}


def _select_kernel():
    """Numba kernel: rows of a 2-D C-contiguous array -> (k best values, their int64 indices)."""
    k_ = _JIT.get("select")
    if k_ is not None:
        return k_
    from numba import njit

    @njit(cache=True, nogil=True)
    def select(x, k, descending, vals, idx):
        rows, n = x.shape
        for r in range(rows):
            row = x[r]
            bv = vals[r]
            bi = idx[r]
            filled = 0
            for j in range(n):
                v = row[j]
                vnan = v != v
                # position p: the first buffer slot the new value beats (strictly: ties keep order)
                if filled == k:
                    w = bv[k - 1]
                    wnan = w != w
                    if descending:
                        better = (vnan and not wnan) or v > w
                    else:
                        better = (wnan and not vnan) or v < w
                    if not better:
                        continue
                    p = k - 1
                else:
                    p = filled
                    filled += 1
                while p > 0:
                    w = bv[p - 1]
                    wnan = w != w
                    if descending:
                        better = (vnan and not wnan) or v > w
                    else:
                        better = (wnan and not vnan) or v < w
                    if not better:
                        break
                    bv[p] = w
                    bi[p] = bi[p - 1]
                    p -= 1
                bv[p] = v
                bi[p] = j

    _JIT["select"] = select
    return select


def topk_indices(x, ax, k, is_ascend):
    """int64 indices of the k best elements along ``ax`` (best first, stable ties), and their values."""
    n = x.shape[ax]
    if k == 0 or x.size == 0 or k > _SELECT_MAX_K or 2 * k > n or x.dtype == np.float16:
        idx = stable_argsort(x, ax, is_ascend)
        idx = idx[(slice(None),) * ax + (slice(0, k),)]
        return idx, np.take_along_axis(x, idx, axis=ax)
    xm = np.moveaxis(x, ax, -1)
    lead = xm.shape[:-1]
    x2 = np.ascontiguousarray(xm).reshape(-1, n)
    vals = np.empty((x2.shape[0], k), x.dtype)
    idx = np.empty((x2.shape[0], k), np.int64)
    _select_kernel()(x2, k, not is_ascend, vals, idx)
    vals = np.moveaxis(vals.reshape(lead + (k,)), -1, ax)
    idx = np.moveaxis(idx.reshape(lead + (k,)), -1, ax)
    return idx, vals


@register_kernel("topk", "cpu")
def topk(x, out=None, axis=-1, k=1, ret_typ="indices", is_ascend=False, dtype="float32"):
    xl, ax = _lanes(x, axis)
    n = xl.shape[ax]
    kk = n if k < 1 else k
    idx, vals = topk_indices(xl, ax, kk, is_ascend)
    if ret_typ == "mask":
        mask = np.zeros(xl.shape, x.dtype)
        np.put_along_axis(mask, idx, 1, axis=ax)
        return _emit(mask.reshape(x.shape), out)
    if ret_typ == "value":
        return _emit(vals, out)
    if ret_typ == "indices":
        if out is None:
            return np.ascontiguousarray(idx.astype(dtype))
        out[...] = idx
        return out
    if out is None:
        return np.ascontiguousarray(vals), np.ascontiguousarray(idx.astype(dtype))
    out[0][...] = vals
    out[1][...] = idx
    return out


# ---- private permutation scatter / gather ----------------------------------------------------------

@register_kernel("_scatter_along_axis", "cpu")
def scatter_along_axis(g, index, out=None, axis=0, size=0):
    ax = axis % g.ndim if g.ndim else 0
    shape = g.shape[:ax] + (size,) + g.shape[ax + 1:]
    r = np.zeros(shape, g.dtype) if out is None else out
    if out is not None:
        r[...] = 0
    if g.size:
        np.put_along_axis(r, index.astype(np.intp, copy=False), g, axis=ax)
    return r


@register_kernel("_gather_along_axis", "cpu")
def gather_along_axis(x, index, out=None, axis=0):
    ax = axis % x.ndim
    r = np.take_along_axis(x, index.astype(np.intp, copy=False), axis=ax)
    return _emit(r, out)
