"""Array-API kernels of ``ops/pool.py`` (NumPy or CuPy).

- ``pooling`` / ``pooling_adjoint``: Pooling and ``_backward_Pooling_linear`` as a loop over the kernel offsets
  on a padded copy (one strided slice per offset: ``prod(kernel)`` vectorised passes), global pooling
  as one reduction. These are the GPU kernels (``kernels/cuda/pool.py``) and the cross-check of the
  Numba CPU kernels (``kernels/cpu/pool.py``) in the tests.
- ``UpSampling`` (nearest: ``repeat``), ``_contrib_BilinearResize2D``, ``_contrib_AdaptiveAvgPooling2D``
  and ``_backward_resample2d`` (separable linear maps ``A @ x @ B.T`` with the small per-axis matrices
  of ``ops.pool.resample_matrix``: two GEMMs, BLAS / cuBLAS) serve both devices.
"""
import numpy as np

from ...dtypes import compute_dtype
from ...ops.pool import adaptive_out_size, bilinear_out_size, pool_geometry, resample_matrix, upsampling_scales
from ...ops.registry import get_op
from ..backend import xp_of
from . import both, device_scope
from .nn_basic import emit_outputs

__all__ = ["pooling", "pooling_adjoint", "canonical", "restore_layout", "channels_last_index"]

_POOL = get_op("Pooling")
_BPOOL = get_op("_backward_Pooling_linear")


def _emit(r, out):
    if out is None:
        return r
    out[...] = r
    return out


def canonical(x, channels_last):
    """``x`` with channels at axis 1 (a contiguous copy for channels-last data)."""
    if not channels_last:
        return x
    xp = xp_of(x)
    return xp.ascontiguousarray(xp.moveaxis(x, -1, 1))


def restore_layout(y, channels_last):
    if not channels_last:
        return y
    xp = xp_of(y)
    return xp.ascontiguousarray(xp.moveaxis(y, 1, -1))


def channels_last_index(idx, N, C, S):
    """Flat indices into the channels-first (N, C, S) view -> flat indices into the (N, S, C) data."""
    n, rest = idx // (C * S), idx % (C * S)
    c, s = rest // S, rest % S
    out = (n * S + s) * C + c
    return out * (idx >= 0) - (idx < 0)


def _lowest(dtype):
    return np.finfo(dtype).min


def _divisor(xp, geo, dtype):
    d = None
    for k, v in enumerate(geo.div):
        shape = [1] * len(geo.div)
        shape[k] = len(v)
        a = xp.asarray(v.reshape(shape))
        d = a if d is None else d * a
    return d.astype(dtype)


def pooling(data, *, geo, pool_type, p_value):
    """Pooling forward on channels-first or channels-last data: ``y`` (and the flat argmax index for max)."""
    xp = xp_of(data)
    cl = geo.channels_last
    x = canonical(data, cl)
    cdt = compute_dtype(x.dtype)
    x = x.astype(cdt, copy=False)
    N, C = x.shape[0], x.shape[1]
    spatial = x.shape[2:]
    ns = len(spatial)
    S = int(np.prod(spatial, dtype=np.int64))
    outs = tuple(geo.out_spatial)
    if x.size == 0 or int(np.prod(outs, dtype=np.int64)) == 0:
        y = xp.zeros((N, C) + outs, cdt) if pool_type != "max" else xp.full((N, C) + outs, _lowest(data.dtype), cdt)
        idx = xp.full(y.shape, -1, np.int64)
    else:
        # pad so that every window [o*s - p, o*s - p + k) lies inside
        pads, fill = [(0, 0), (0, 0)], (-np.inf if pool_type == "max" else 0.0)
        for X, k, s, p, O in zip(spatial, geo.kernel, geo.stride, geo.pad, outs):
            pads.append((p, max(0, (O - 1) * s - p + k - X)))
        xpad = xp.pad(x, pads, mode="constant", constant_values=fill) if any(a or b for a, b in pads) else x
        best, idx, acc = None, None, None
        for off in np.ndindex(*geo.kernel):
            sl = (slice(None), slice(None)) + tuple(slice(j, j + (O - 1) * s + 1, s)
                                                    for j, O, s in zip(off, outs, geo.stride))
            v = xpad[sl]
            if pool_type == "max":
                # flat input index of this offset per output position (may be out of range in the padding)
                lin = None
                for a, (j, O, s, p, X) in enumerate(zip(off, outs, geo.stride, geo.pad, spatial)):
                    coord = np.arange(O) * s - p + j
                    shape = [1] * ns
                    shape[a] = O
                    c = coord.reshape(shape)
                    lin = c if lin is None else lin * X + c
                if best is None:
                    best = xp.full(v.shape, -np.inf, cdt)
                    idx = xp.full(v.shape, -1, np.int64)
                better = v > best
                best = xp.where(better, v, best)
                idx = xp.where(better, xp.asarray(lin, dtype=np.int64), idx)
            else:
                t = v if (pool_type != "lp" or p_value == 1) else (v * v if p_value == 2 else v * v * v)
                acc = t.astype(cdt, copy=True) if acc is None else acc + t
        if pool_type == "max":
            base = (xp.arange(N * C, dtype=np.int64) * S).reshape((N, C) + (1,) * ns)
            idx = xp.where(idx >= 0, idx + base, -1)
            y = xp.where(idx >= 0, best, _lowest(data.dtype)).astype(cdt)
        else:
            y = acc
            if pool_type == "avg":
                div = _divisor(xp, geo, cdt)
                y = xp.where(div > 0, y / xp.where(div > 0, div, 1), 0).astype(cdt)
            elif pool_type == "lp" and p_value == 2:
                y = xp.sqrt(y)
            elif pool_type == "lp" and p_value == 3:
                y = xp.cbrt(y)
            idx = None
    y = restore_layout(y.astype(data.dtype, copy=False), cl)
    if pool_type != "max":
        return y
    if cl:
        idx = channels_last_index(restore_layout(idx, True), N, C, S)
    return y, idx


def pooling_adjoint(g, *, geo, shape, pool_type):
    """``_backward_Pooling_linear``: the adjoint of sum/avg pooling (input-shaped)."""
    xp = xp_of(g)
    cl = geo.channels_last
    gc = canonical(g, cl)
    cdt = compute_dtype(g.dtype)
    gc = gc.astype(cdt, copy=False)
    N, C = gc.shape[0], gc.shape[1]
    spatial = tuple(shape[1:-1]) if cl else tuple(shape[2:])
    outs = tuple(geo.out_spatial)
    if pool_type == "avg":
        div = _divisor(xp, geo, cdt)
        gc = xp.where(div > 0, gc / xp.where(div > 0, div, 1), 0).astype(cdt)
    pads = [(0, 0), (0, 0)]
    for X, k, s, p, O in zip(spatial, geo.kernel, geo.stride, geo.pad, outs):
        pads.append((p, max(0, (O - 1) * s - p + k - X)))
    padded = tuple(X + a + b for X, (a, b) in zip(spatial, pads[2:]))
    dx = xp.zeros((N, C) + padded, cdt)
    if gc.size:
        for off in np.ndindex(*geo.kernel):
            sl = (slice(None), slice(None)) + tuple(slice(j, j + (O - 1) * s + 1, s)
                                                    for j, O, s in zip(off, outs, geo.stride))
            dx[sl] += gc
    crop = (slice(None), slice(None)) + tuple(slice(a, a + X) for (a, _), X in zip(pads[2:], spatial))
    dx = dx[crop].astype(g.dtype, copy=False)
    return restore_layout(dx, cl)


def pooling_kernel(data, out=None, **attrs):
    geo = pool_geometry(_POOL, (data,), data, **attrs)
    with device_scope(data):
        r = pooling(data, geo=geo, pool_type=attrs.get("pool_type", "max"), p_value=attrs.get("p_value"))
    if isinstance(r, tuple):
        return emit_outputs(r, out)
    return _emit(r, out)


def backward_pooling_kernel(ograd, out=None, shape=(), **attrs):
    from ...ops.spec import TensorSpec
    geo = pool_geometry(_BPOOL, (ograd,), TensorSpec(tuple(shape), ograd.dtype, None), **attrs)
    with device_scope(ograd):
        return _emit(pooling_adjoint(ograd, geo=geo, shape=tuple(shape), pool_type=attrs["pool_type"]), out)


# ---- UpSampling / BilinearResize2D / AdaptiveAvgPooling2D ---------------------------------------

@both("UpSampling")
def upsampling(*data, out=None, scale=1, num_filter=0, sample_type="nearest", multi_input_mode="concat",
               num_args=None, workspace=512):
    xp = xp_of(data[0])
    factors, oshape = upsampling_scales(get_op("UpSampling"), data, scale, multi_input_mode)
    with device_scope(data[0]):
        ups = [x if f == 1 else xp.repeat(xp.repeat(x, f, axis=2), f, axis=3) for x, f in zip(data, factors)]
        if len(ups) == 1:
            r = ups[0].copy() if ups[0] is data[0] else ups[0]
        elif multi_input_mode == "sum":
            r = ups[0] + ups[1]
            for u in ups[2:]:
                r = r + u
        else:
            r = xp.concatenate(ups, axis=1)
    return _emit(r, out)


def separable(x, A, B):
    """``A @ x[n, c] @ B.T`` for every (n, c) of an (N, C, H, W) array (A: (OH, H), B: (OW, W))."""
    xp = xp_of(x)
    cdt = compute_dtype(x.dtype)
    N, C, H, W = x.shape
    A = xp.asarray(A, dtype=cdt)
    B = xp.asarray(B, dtype=cdt)
    xc = x.astype(cdt, copy=False).reshape(N * C * H, W)
    t = xp.matmul(xc, B.T).reshape(N * C, H, B.shape[0])          # (NC, H, OW)
    y = xp.matmul(A, t)                                             # (NC, OH, OW)
    return y.reshape(N, C, A.shape[0], B.shape[0]).astype(x.dtype, copy=False)


@both("_contrib_BilinearResize2D")
def bilinear_resize(data, like=None, out=None, height=1, width=1, scale_height=None, scale_width=None, mode="size",
                    align_corners=True):
    op = get_op("_contrib_BilinearResize2D")
    oh, ow = bilinear_out_size(op, (data, like), data, like, height, width, scale_height, scale_width, mode)
    H, W = data.shape[2], data.shape[3]
    with device_scope(data):
        r = separable(data, resample_matrix("bilinear", H, oh, align_corners),
                      resample_matrix("bilinear", W, ow, align_corners))
    return _emit(r, out)


@both("_contrib_AdaptiveAvgPooling2D")
def adaptive_avg_pool(data, out=None, output_size=()):
    op = get_op("_contrib_AdaptiveAvgPooling2D")
    oh, ow = adaptive_out_size(op, (data,), data, output_size)
    H, W = data.shape[2], data.shape[3]
    with device_scope(data):
        r = separable(data, resample_matrix("adaptive", H, oh), resample_matrix("adaptive", W, ow))
    return _emit(r, out)


@both("_backward_resample2d")
def backward_resample2d(ograd, out=None, kind="bilinear", in_height=1, in_width=1, align_corners=True):
    OH, OW = ograd.shape[2], ograd.shape[3]
    A = resample_matrix(kind, in_height, OH, align_corners)
    B = resample_matrix(kind, in_width, OW, align_corners)
    with device_scope(ograd):
        r = separable(ograd, A.T, B.T)
    return _emit(r, out)
