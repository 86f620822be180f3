"""Convolution kernels written once for NumPy and CuPy: im2col + one GEMM per group (NumPy's BLAS /
cuBLAS), col2im for the transposed convolution, tap sums for depthwise convolutions. The GPU runs these
bodies as they are (CuPy strided copies and cuBLAS; NumPy under the CUDA simulator);
``kernels/cpu/conv.py`` runs them on the CPU with the batch in chunks (``PRIMS["chunk_bytes"]``) and
its own Numba loops for depthwise convolutions (the kernel choice is measured and written down there).

Internally everything is channels-first: channels-last data (NHWC, NDHWC) and its weight are viewed
with the channel axis moved to position 1, and the result is written back through the same view.
The column matrix is ``col[c, *k, n, *p] = padded_x[n, c, p * stride + k * dilate]`` (shape
``(C, *K, N, *OS)``), built with one strided copy per kernel tap, so a group's rows
``(C / g) * prod(K)`` match the weight's flattened ``(C / g, *K)`` and one GEMM per group computes a
whole chunk of samples: ``y[g] (O / g, n * OS) = w[g] (O / g, C / g * K) @ col[g] (C / g * K, n * OS)``.
float16 is computed in float32 and rounded once at the end.
"""
import itertools
import math

import numpy as np

from ...dtypes import compute_dtype
from ...ops.conv import conv_geom, conv_out_size, deconv_out_size, deconv_pad_adj
from ..backend import xp_of
from . import both, device_scope

__all__ = ["conv_forward", "deconv_forward", "conv_weight_grad", "PRIMS"]


# ---- primitives (array API); kernels/cpu/conv.py swaps in Numba versions -------------------------

def _taps(K):
    return itertools.product(*[range(k) for k in K])


def _tap_slices(tap, dilate, stride, size, off=None):
    off = off or (0,) * len(tap)
    return tuple(slice(o_ + t * d, o_ + t * d + s * (o - 1) + 1, s)
                 for t, d, s, o, o_ in zip(tap, dilate, stride, size, off))


def _padded(xp, x, pad):
    """``x (N, C, *S)`` -> ``(C, N, *(S + 2 * pad))`` (a transposed view when there is no padding)."""
    N, C = x.shape[:2]
    S = x.shape[2:]
    xt = xp.moveaxis(x, 0, 1)
    if not any(pad):
        return xt
    xpad = xp.zeros((C, N) + tuple(s + 2 * p for s, p in zip(S, pad)), x.dtype)
    xpad[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pad, S))] = xt
    return xpad


def im2col(xp, x, kernel, stride, dilate, pad, OS, out=None):
    """``x (N, C, *S)`` -> ``col (C, *K, N, *OS)`` (zero padding applied), into ``out`` if given."""
    N, C = x.shape[:2]
    col = xp.empty((C,) + tuple(kernel) + (N,) + tuple(OS), x.dtype) if out is None else out
    if col.size == 0:
        return col
    xpad = _padded(xp, x, pad)
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


def _padded_nc(xp, x, pad):
    """``x (N, C, *S)`` zero-padded (``x`` itself without padding)."""
    if not any(pad):
        return x
    S = x.shape[2:]
    xpad = xp.zeros(x.shape[:2] + tuple(s + 2 * p for s, p in zip(S, pad)), x.dtype)
    xpad[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pad, S))] = x
    return xpad


def _bcast_w(w, tap, nd):
    return w[(slice(None), 0) + tap].reshape((1, -1) + (1,) * (nd - 2))


def depthwise(xp, x, w, stride, dilate, pad, OS):
    """Depthwise convolution (one input and one output channel per group): ``x (N, C, *S)``,
    ``w (C, 1, *K)`` -> ``(N, C, *OS)``, as a sum over taps (no column matrix)."""
    N, C = x.shape[:2]
    y = xp.zeros((N, C) + tuple(OS), x.dtype)
    if y.size == 0:
        return y
    xpad = _padded_nc(xp, x, pad)
    lead = (slice(None),) * 2
    for tap in _taps(w.shape[2:]):
        y += _bcast_w(w, tap, y.ndim) * xpad[lead + _tap_slices(tap, dilate, stride, OS)]
    return y


def depthwise_t(xp, x, w, stride, dilate, padded):
    """Transposed depthwise convolution: ``x (N, C, *S)``, ``w (C, 1, *K)`` -> ``(N, C, *padded)``."""
    N, C = x.shape[:2]
    S = x.shape[2:]
    y = xp.zeros((N, C) + tuple(padded), x.dtype)
    if x.size == 0:
        return y
    lead = (slice(None),) * 2
    for tap in _taps(w.shape[2:]):
        y[lead + _tap_slices(tap, dilate, stride, S)] += _bcast_w(w, tap, y.ndim) * x
    return y


def depthwise_w(xp, x, dy, kernel, stride, dilate, pad):
    """Weight gradient of a depthwise convolution: ``(C, 1, *K)``."""
    C = x.shape[1]
    OS = dy.shape[2:]
    dw = xp.zeros((C, 1) + tuple(kernel), x.dtype)
    if x.size == 0 or dy.size == 0:
        return dw
    xpad = _padded_nc(xp, x, pad)
    red = (0,) + tuple(range(2, dy.ndim))
    lead = (slice(None),) * 2
    for tap in _taps(kernel):
        dw[(slice(None), 0) + tap] = (dy * xpad[lead + _tap_slices(tap, dilate, stride, OS)]).sum(axis=red)
    return dw


PRIMS = {"im2col": im2col, "col2im": col2im, "depthwise": depthwise, "depthwise_t": depthwise_t,
         "depthwise_w": depthwise_w, "chunk_bytes": None}


# ---- shared bodies ---------------------------------------------------------------------------------

_BLAS = []


def _mm(xp, a, b, out=None):
    """``a @ b`` (batched over a leading group axis when 3-D) into ``out`` when given; on the CPU the
    BLAS thread count is chosen from the multiply-adds as for every GEMM (``blas_threads_for``)."""
    if xp is np:
        if not _BLAS:       # imported here: kernels/cpu imports this module while it loads
            from ..cpu.threading import BLAS_SINGLE_MAX, blas_threads_for
            _BLAS.append(blas_threads_for if BLAS_SINGLE_MAX else None)
        if _BLAS[0] is not None:
            _BLAS[0](math.prod(a.shape) * b.shape[-1])
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


def _chunk(prims, N, per_sample_bytes):
    cb = prims.get("chunk_bytes")
    if cb is None or per_sample_bytes <= 0:
        return max(N, 1)
    return max(1, min(N, cb // per_sample_bytes))


def _result(xp, out, shape_cf, last, cdt):
    """The channels-first array the body writes: ``out`` itself when it is a C-contiguous channels-first
    array of the compute dtype, else a new one (copied into ``out`` by ``_finish``)."""
    if out is not None and not last and out.dtype == cdt and out.flags.c_contiguous:
        return out
    return xp.empty(shape_cf, cdt)


def _finish(xp, res, bias, out, last, out_dtype):
    """``res (N, F, *OS)`` + bias, written to ``out`` in the data layout."""
    if bias is not None and res.size:
        res += bias.astype(res.dtype, copy=False).reshape((1, -1) + (1,) * (res.ndim - 2))
    if last:
        res = xp.moveaxis(res, 1, -1)
    if out is None:
        return xp.ascontiguousarray(res, dtype=out_dtype) if res.dtype != out_dtype or last else res
    if res is not out:
        out[...] = res
    return out


def _depthwise(g, C, O, Kp, prims, key):
    return g == C and g == O and Kp > 1 and prims.get(key) is not None


def conv_forward(xp, x, w, bias, geom, out=None, prims=PRIMS):
    """Convolution of data ``x`` and weight ``w`` in ``geom``'s layout (see the module docstring)."""
    dt = x.dtype
    cdt = compute_dtype(dt)
    x = _cf(xp, x, geom.last).astype(cdt, copy=False)
    w = _cf(xp, w, geom.last).astype(cdt, copy=False)
    N, C = x.shape[:2]
    O = w.shape[0]
    g = geom.groups
    OS = conv_out_size(x.shape[2:], geom)
    K = geom.kernel
    Kp = math.prod(K)
    Lp = math.prod(OS)
    if _depthwise(g, C, O, Kp, prims, "depthwise"):
        y = prims["depthwise"](xp, x, w, geom.stride, geom.dilate, geom.pad, OS)      # (N, C, *OS)
        res = _result(xp, out, (N, O) + tuple(OS), geom.last, cdt)
        if res is not out:
            res = y
        else:
            res[...] = y
        return _finish(xp, res, bias, out, geom.last, dt)
    res = _result(xp, out, (N, O) + tuple(OS), geom.last, cdt)
    if res.size == 0:
        return _finish(xp, res, None, out, geom.last, dt)
    Cg, Og = C // g, O // g
    one = Kp == 1 and not any(geom.pad) and all(s == 1 for s in geom.stride)
    nb = _chunk(prims, N, C * Kp * Lp * cdt.itemsize)
    wg = w.reshape(g, Og, Cg * Kp)
    colbuf = None if one else xp.empty((C,) + tuple(K) + (nb,) + tuple(OS), cdt)
    ybuf = xp.empty((g, Og, nb * Lp), cdt) if nb > 1 else None
    for n0 in range(0, N, nb):
        n1 = min(N, n0 + nb)
        m = n1 - n0
        xc = x[n0:n1]
        if one:                                   # 1x1 convolution: the data is the column matrix
            col = xp.moveaxis(xc, 0, 1)
            col = col.reshape(C, m * Lp) if m == 1 and col.flags.c_contiguous else \
                xp.ascontiguousarray(col).reshape(C, m * Lp)
        else:
            buf = colbuf if m == nb else None
            col = prims["im2col"](xp, xc, K, geom.stride, geom.dilate, geom.pad, OS, out=buf)
        colg = col.reshape(g, Cg * Kp, m * Lp)
        if m == 1:                                # straight into the output: (O, OS) of sample n0
            _mm(xp, wg, colg, out=res[n0].reshape(g, Og, Lp))
        else:
            yb = ybuf[:, :, :m * Lp] if ybuf is not None else xp.empty((g, Og, m * Lp), cdt)
            _mm(xp, wg, colg, out=yb)
            res[n0:n1] = xp.moveaxis(yb.reshape((O, m) + tuple(OS)), 0, 1)
    return _finish(xp, res, bias, out, geom.last, dt)


def deconv_forward(xp, x, w, bias, geom, pads, adjs, out=None, prims=PRIMS):
    """Transposed convolution of ``x (N, C, *S)`` with ``w (C, F / g, *K)`` (effective pads/adjs)."""
    dt = x.dtype
    cdt = compute_dtype(dt)
    x = _cf(xp, x, geom.last).astype(cdt, copy=False)
    w = _cf(xp, w, geom.last).astype(cdt, copy=False)
    N, C = x.shape[:2]
    g = geom.groups
    Fg = w.shape[1]
    F_ = Fg * g
    S = x.shape[2:]
    K = geom.kernel
    Kp = math.prod(K)
    Ls = math.prod(S)
    OS = deconv_out_size(S, geom, pads, adjs)
    padded = tuple(o + 2 * p for o, p in zip(OS, pads))
    crop = (slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(pads, OS))
    res = _result(xp, out, (N, F_) + tuple(OS), geom.last, cdt)
    if res.size == 0 or x.size == 0:
        res[...] = 0
        return _finish(xp, res, bias, out, geom.last, dt)
    if _depthwise(g, C, F_, Kp, prims, "depthwise_t"):
        ypad = prims["depthwise_t"](xp, x, w, geom.stride, geom.dilate, padded)       # (N, C, *padded)
        res[...] = ypad[crop]
        return _finish(xp, res, bias, out, geom.last, dt)
    Cg = C // g
    nb = _chunk(prims, N, F_ * Kp * Ls * cdt.itemsize)
    wt = w.reshape(g, Cg, Fg * Kp).transpose(0, 2, 1)
    colbuf = xp.empty((g, Fg * Kp, nb * Ls), cdt)
    for n0 in range(0, N, nb):
        n1 = min(N, n0 + nb)
        m = n1 - n0
        xt = xp.moveaxis(x[n0:n1], 0, 1)
        xt = xt.reshape(g, Cg, m * Ls) if m == 1 and xt.flags.c_contiguous else \
            xp.ascontiguousarray(xt).reshape(g, Cg, m * Ls)
        col = _mm(xp, wt, xt, out=colbuf[:, :, :m * Ls] if m == nb else None)     # (g, Fg * Kp, m * Ls)
        ypad = prims["col2im"](xp, col.reshape((F_,) + tuple(K) + (m,) + tuple(S)), geom.stride, geom.dilate,
                               padded)
        res[n0:n1] = xp.moveaxis(ypad[crop], 0, 1)
    return _finish(xp, res, bias, out, geom.last, dt)


def conv_weight_grad(xp, x, dy, geom, out=None, prims=PRIMS):
    """``dW`` of ``Convolution(x, W)`` for the output gradient ``dy``, in the weight layout."""
    dt = x.dtype
    cdt = compute_dtype(dt)
    x = _cf(xp, x, geom.last).astype(cdt, copy=False)
    dy = _cf(xp, dy, geom.last).astype(cdt, copy=False)
    N, C = x.shape[:2]
    O = dy.shape[1]
    g = geom.groups
    OS = dy.shape[2:]
    K = geom.kernel
    Kp = math.prod(K)
    Lp = math.prod(OS)
    Cg, Og = C // g, O // g
    if _depthwise(g, C, O, Kp, prims, "depthwise_w"):
        dw = prims["depthwise_w"](xp, x, dy, K, geom.stride, geom.dilate, geom.pad)
    else:
        one = Kp == 1 and not any(geom.pad) and all(s == 1 for s in geom.stride)
        nb = _chunk(prims, N, C * Kp * Lp * cdt.itemsize)
        colbuf = None if one else xp.empty((C,) + tuple(K) + (nb,) + tuple(OS), cdt)
        dw = xp.zeros((g, Og, Cg * Kp), cdt)
        tmp = xp.empty_like(dw) if N > nb else None
        for n0 in range(0, N, nb):
            n1 = min(N, n0 + nb)
            m = n1 - n0
            if one:
                col = xp.ascontiguousarray(xp.moveaxis(x[n0:n1], 0, 1)).reshape(C, m * Lp)
            else:
                col = prims["im2col"](xp, x[n0:n1], K, geom.stride, geom.dilate, geom.pad, OS,
                                      out=colbuf if m == nb else None)
            colt = col.reshape(g, Cg * Kp, m * Lp).transpose(0, 2, 1)
            dyt = xp.moveaxis(dy[n0:n1], 0, 1)
            dyt = dyt.reshape(g, Og, m * Lp) if m == 1 and dyt.flags.c_contiguous else \
                xp.ascontiguousarray(dyt).reshape(g, Og, m * Lp)
            if n0 == 0:
                _mm(xp, dyt, colt, out=dw)
            else:
                dw += _mm(xp, dyt, colt, out=tmp)
        dw = dw.reshape((O, Cg) + tuple(K))
    if geom.last:
        dw = xp.moveaxis(dw, 1, -1)
    if out is None:
        return xp.ascontiguousarray(dw).astype(dt, copy=False)
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
