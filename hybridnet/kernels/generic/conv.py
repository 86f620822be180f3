"""Convolution kernels written once for NumPy and CuPy: im2col + one GEMM per group (NumPy's BLAS /
cuBLAS), col2im for the transposed convolution. ``kernels/cpu/conv.py`` runs the same bodies with Numba
im2col/col2im loops (and a direct depthwise loop) plugged in; the GPU runs them as they are (CuPy
strided copies and cuBLAS; NumPy under the CUDA simulator).

Internally everything is channels-first: channels-last data (NHWC, NDHWC) and its weight are viewed
with the channel axis moved to position 1, and the result is written back through the same view.
The column matrix is ``col[c, *k, n, *p] = padded_x[n, c, p * stride + k * dilate]`` (shape
``(C, *K, N, *OS)``), so a group's rows ``(C / g) * prod(K)`` match the weight's flattened
``(C / g, *K)`` and one GEMM per group computes every sample at once:
``y[g] (O / g, N * OS) = w[g] (O / g, C / g * K) @ col[g] (C / g * K, N * OS)``.
float16 is computed in float32 and rounded once at the end.
"""
import itertools
import math

import numpy as np

from ...ops.conv import conv_geom, conv_out_size, deconv_out_size, deconv_pad_adj
from ..backend import xp_of
from ..cpu.threading import BLAS_SINGLE_MAX, blas_threads_for
from . import both, device_scope

__all__ = ["conv_forward", "deconv_forward", "conv_weight_grad", "PRIMS"]


# ---- primitives (array API); kernels/cpu/conv.py swaps in Numba versions -------------------------

def _taps(K):
    return itertools.product(*[range(k) for k in K])


def _tap_slices(tap, dilate, stride, size):
    return tuple(slice(t * d, t * d + s * (o - 1) + 1, s) for t, d, s, o in zip(tap, dilate, stride, size))


def im2col(xp, x, kernel, stride, dilate, pad, OS):
    """``x (N, C, *S)`` -> ``col (C, *K, N, *OS)`` (zero padding applied)."""
    N, C = x.shape[:2]
    S = x.shape[2:]
    nsp = len(S)
    xt = xp.moveaxis(x, 0, 1)                                   # (C, N, *S) view
    if any(pad):
        xpad = xp.zeros((C, N) + tuple(s + 2 * p for s, p in zip(S, pad)), x.dtype)
        xpad[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pad, S))] = xt
    else:
        xpad = xt
    col = xp.empty((C,) + tuple(kernel) + (N,) + tuple(OS), x.dtype)
    if col.size == 0:
        return col
    lead = (slice(None),)
    for tap in _taps(kernel):
        col[lead + tap] = xpad[lead * 2 + _tap_slices(tap, dilate, stride, OS)]
    return col


def col2im(xp, col, stride, dilate, padded):
    """``col (F, *K, N, *S)`` -> ``(F, N, *padded)``: each tap's rows added at its strided positions."""
    F_ = col.shape[0]
    nsp = len(padded)
    K = col.shape[1:1 + nsp]
    N = col.shape[1 + nsp]
    S = col.shape[2 + nsp:]
    y = xp.zeros((F_, N) + tuple(padded), col.dtype)
    if col.size == 0:
        return y
    lead = (slice(None),)
    for tap in _taps(K):
        y[lead * 2 + _tap_slices(tap, dilate, stride, S)] += col[lead + tap]
    return y


def depthwise(xp, x, w, stride, dilate, pad, OS):
    """Depthwise convolution (one input and one output channel per group): ``x (N, C, *S)``,
    ``w (C, 1, *K)`` -> ``(C, N, *OS)``, as a sum over taps (no column matrix)."""
    N, C = x.shape[:2]
    S = x.shape[2:]
    nsp = len(S)
    K = w.shape[2:]
    xt = xp.moveaxis(x, 0, 1)
    if any(pad):
        xpad = xp.zeros((C, N) + tuple(s + 2 * p for s, p in zip(S, pad)), x.dtype)
        xpad[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pad, S))] = xt
    else:
        xpad = xt
    y = xp.zeros((C, N) + tuple(OS), x.dtype)
    if y.size == 0:
        return y
    lead = (slice(None),)
    wb = (slice(None), 0)
    for tap in _taps(K):
        y += w[wb + tap].reshape((C,) + (1,) * (nsp + 1)) * xpad[lead * 2 + _tap_slices(tap, dilate, stride, OS)]
    return y


PRIMS = {"im2col": im2col, "col2im": col2im, "depthwise": depthwise}


# ---- shared bodies ---------------------------------------------------------------------------------

def _mm(xp, a, b, out=None):
    """``a @ b`` (batched over a leading group axis when 3-D) into ``out`` when given."""
    if xp is np and BLAS_SINGLE_MAX:
        blas_threads_for(math.prod(a.shape) * b.shape[-1])
    if a.shape[-1] == 0:
        r = xp.zeros(a.shape[:-1] + b.shape[-1:], a.dtype)
        if out is None:
            return r
        out[...] = r
        return out
    return xp.matmul(a, b, out=out) if out is not None else xp.matmul(a, b)


def _cf(xp, a, last):
    """Channels-first view of a channels-last array (data or weight: axis -1 -> 1)."""
    return xp.moveaxis(a, -1, 1) if last else a


def _compute_dtype(dt):
    return np.dtype(np.float32) if np.dtype(dt) == np.float16 else np.dtype(dt)


def _finish(xp, y_cf_nfirst, bias, out, last, out_dtype):
    """``y`` is ``(F, N, *OS)``; write ``(N, F, *OS)`` (or channels-last) + bias into ``out``."""
    res = xp.moveaxis(y_cf_nfirst, 0, 1)
    if last:
        res = xp.moveaxis(res, 1, -1)
    if out is None:
        out = xp.empty(res.shape, out_dtype)
    if bias is not None:
        nd = res.ndim
        bshape = (1,) * (nd - 1) + (-1,) if last else (1, -1) + (1,) * (nd - 2)
        if out.dtype == res.dtype:
            xp.add(res, bias.astype(res.dtype, copy=False).reshape(bshape), out=out)
        else:
            out[...] = res + bias.astype(res.dtype, copy=False).reshape(bshape)
    else:
        out[...] = res
    return out


def conv_forward(xp, x, w, bias, geom, out=None, prims=PRIMS):
    """Convolution of data ``x`` and weight ``w`` in ``geom``'s layout (see the module docstring)."""
    dt = x.dtype
    cdt = _compute_dtype(dt)
    x = _cf(xp, x, geom.last).astype(cdt, copy=False)
    w = _cf(xp, w, geom.last).astype(cdt, copy=False)
    N, C = x.shape[:2]
    O = w.shape[0]
    g = geom.groups
    S = x.shape[2:]
    OS = conv_out_size(S, geom)
    K = geom.kernel
    Kp = math.prod(K)
    L = N * math.prod(OS)
    if g == C and g == O and Kp > 1 and prims.get("depthwise") is not None:
        y = prims["depthwise"](xp, x, w, geom.stride, geom.dilate, geom.pad, OS)
        return _finish(xp, y, bias, out, geom.last, dt)
    if Kp == 1 and not any(geom.pad) and all(s == 1 for s in geom.stride):
        col = xp.moveaxis(x, 0, 1)                      # 1x1 convolution: the data is the column matrix
        col = col.reshape(C, L) if col.flags.c_contiguous else xp.ascontiguousarray(col).reshape(C, L)
    else:
        col = prims["im2col"](xp, x, K, geom.stride, geom.dilate, geom.pad, OS)
    Cg, Og = C // g, O // g
    if g == 1:
        y = _mm(xp, w.reshape(O, Cg * Kp), col.reshape(Cg * Kp, L))
    else:
        y = _mm(xp, w.reshape(g, Og, Cg * Kp), col.reshape(g, Cg * Kp, L))
    return _finish(xp, y.reshape((O, N) + tuple(OS)), bias, out, geom.last, dt)


def deconv_forward(xp, x, w, bias, geom, pads, adjs, out=None, prims=PRIMS):
    """Transposed convolution of ``x (N, C, *S)`` with ``w (C, F / g, *K)`` (effective pads/adjs)."""
    dt = x.dtype
    cdt = _compute_dtype(dt)
    x = _cf(xp, x, geom.last).astype(cdt, copy=False)
    w = _cf(xp, w, geom.last).astype(cdt, copy=False)
    N, C = x.shape[:2]
    g = geom.groups
    Fg = w.shape[1]
    F_ = Fg * g
    S = x.shape[2:]
    K = geom.kernel
    Kp = math.prod(K)
    L = N * math.prod(S)
    OS = deconv_out_size(S, geom, pads, adjs)
    Cg = C // g
    xt = xp.ascontiguousarray(xp.moveaxis(x, 0, 1)).reshape(g, Cg, L)
    wt = w.reshape(g, Cg, Fg * Kp).transpose(0, 2, 1)
    col = _mm(xp, wt[0], xt[0]) if g == 1 else _mm(xp, wt, xt)          # (g, Fg * Kp, L)
    col = col.reshape((F_,) + tuple(K) + (N,) + tuple(S))
    padded = tuple(o + 2 * p for o, p in zip(OS, pads))
    ypad = prims["col2im"](xp, col, geom.stride, geom.dilate, padded)
    y = ypad[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(pads, OS))]
    return _finish(xp, y, bias, out, geom.last, dt)


def conv_weight_grad(xp, x, dy, geom, out=None, prims=PRIMS):
    """``dW`` of ``Convolution(x, W)`` for the output gradient ``dy``, in the weight layout."""
    dt = x.dtype
    cdt = _compute_dtype(dt)
    x = _cf(xp, x, geom.last).astype(cdt, copy=False)
    dy = _cf(xp, dy, geom.last).astype(cdt, copy=False)
    N, C = x.shape[:2]
    O = dy.shape[1]
    g = geom.groups
    S = x.shape[2:]
    OS = dy.shape[2:]
    K = geom.kernel
    Kp = math.prod(K)
    L = N * math.prod(OS)
    Cg, Og = C // g, O // g
    if Kp == 1 and not any(geom.pad) and all(s == 1 for s in geom.stride):
        col = xp.ascontiguousarray(xp.moveaxis(x, 0, 1)).reshape(C, L)
    else:
        col = prims["im2col"](xp, x, K, geom.stride, geom.dilate, geom.pad, OS)
    col = col.reshape(g, Cg * Kp, L).transpose(0, 2, 1)
    dyt = xp.ascontiguousarray(xp.moveaxis(dy, 0, 1)).reshape(g, Og, L)
    dw = _mm(xp, dyt[0], col[0]) if g == 1 else _mm(xp, dyt, col)
    dw = dw.reshape((O, Cg) + tuple(K))
    if geom.last:
        dw = xp.moveaxis(dw, 1, -1)
    if out is None:
        return dw.astype(dt, copy=True) if dw.dtype != dt or not dw.flags.c_contiguous else dw
    out[...] = dw
    return out


# ---- registered kernels ------------------------------------------------------------------------------

def _geom(attrs):
    return conv_geom(attrs["kernel"], attrs.get("stride", ()), attrs.get("dilate", ()), attrs.get("pad", ()),
                     attrs.get("layout"), attrs.get("num_group", 1))


def make_kernels(prims, register):
    """Register Convolution / Deconvolution / _backward_conv_weight kernels with ``register(name)``
    (a decorator), running the bodies above with the primitives ``prims``."""
    @register("Convolution")
    def convolution(data, weight, bias=None, out=None, **attrs):
        with device_scope(data):
            b = None if attrs.get("no_bias", False) else bias
            return conv_forward(xp_of(data), data, weight, b, _geom(attrs), out, prims)

    @register("Deconvolution")
    def deconvolution(data, weight, bias=None, out=None, **attrs):
        with device_scope(data):
            geom = _geom(attrs)
            S = geom.spatial(data.shape)
            pads, adjs = deconv_pad_adj(S, geom, attrs.get("adj", ()), attrs.get("target_shape", ()))
            b = None if attrs.get("no_bias", True) else bias
            return deconv_forward(xp_of(data), data, weight, b, geom, pads, adjs, out, prims)

    @register("_backward_conv_weight")
    def backward_conv_weight(data, ograd, out=None, **attrs):
        with device_scope(data):
            return conv_weight_grad(xp_of(data), data, ograd, _geom(attrs), out, prims)

    return convolution, deconvolution, backward_conv_weight


make_kernels(PRIMS, both)
