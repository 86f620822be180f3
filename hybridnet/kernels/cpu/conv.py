"""CPU kernels of ``ops/conv.py``: the im2col + GEMM bodies of ``kernels/generic/conv.py`` with Numba
loops for the data movement, and a direct Numba loop for depthwise convolution.

Every spatial rank is handled as 3-D (a 1-D or 2-D convolution is one with size-1 leading spatial
dims and kernel 1 there). The loops:

- ``im2col``: ``col[c, kd, kh, kw, n, od, oh, ow] = x[n, c, od*sd + kd*dd - pd, ...]`` (0 outside):
  per (c, tap, n, od, oh) row the valid ``ow`` range is computed once, the row is a strided copy with
  zeros on either side (a contiguous, vectorised copy when the stride is 1);
- ``col2im``: the transpose, adding each tap's rows into a zeroed padded output;
- ``depthwise``: ``y[c, n, o] = sum_k w[c, k] * x[n, c, o * s + k * d - p]`` accumulated tap by tap
  over the valid output range of each row (vectorised along the row for stride 1), no column matrix.

Each runs its ``prange`` variant (over channels) from ``PARALLEL_MIN_SIZE`` elements of the column
matrix (output for depthwise). The GEMMs are NumPy's BLAS, with the thread count chosen by
``threading.blas_threads_for`` from the product's multiply-adds, as every other GEMM.

Kernel choice, measured per shape class with ``benchmarks/bench_conv.py`` (BENCHMARKS.md
"Convolution"): see the numbers there. In short: a direct loop cannot compete with BLAS for dense
convolutions (C, O >= 16), where the GEMM is >= 80% of the time and im2col the rest; Numba's im2col
beats the array-API tap copies; depthwise convolutions have no GEMM worth the name (1 x K per channel)
and run the direct loop.
"""
import os

import numpy as np

from ...ops.registry import register_kernel
from ..generic import conv as _generic
from .threading import PARALLEL_MIN_SIZE

__all__ = ["PRIMS", "CHUNK_BYTES"]

# the batch is processed in chunks whose column matrix has about this many bytes (cache-resident
# between im2col and the GEMM; no fresh multi-MB buffer per call); measured in bench_conv.py
CHUNK_BYTES = int(os.environ.get("HYBRIDNET_CONV_CHUNK_BYTES", 4 << 20))

_JIT = {}


def _kernels():
    k = _JIT.get("k")
    if k is not None:
        return k
    from types import SimpleNamespace

    from numba import njit, prange

    def make_im2col(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def im2col(x, col, sd, sh, sw, dd, dh, dw, pd, ph, pw):
            N, C, D, H, W = x.shape
            _, KD, KH, KW, _, OD, OH, OW = col.shape
            for c in rng(C):
                for kd in range(KD):
                    for kh in range(KH):
                        for kw in range(KW):
                            # valid output range along w for this tap
                            off = kw * dw - pw
                            lo = 0
                            if off < 0:
                                lo = (-off + sw - 1) // sw
                            hi = OW
                            if OW > 0 and (OW - 1) * sw + off >= W:
                                hi = (W - 1 - off) // sw + 1 if W - 1 - off >= 0 else 0
                            if lo > hi:
                                lo = hi
                            for n in range(N):
                                for od in range(OD):
                                    idd = od * sd + kd * dd - pd
                                    okd = 0 <= idd < D
                                    for oh in range(OH):
                                        ih = oh * sh + kh * dh - ph
                                        crow = col[c, kd, kh, kw, n, od, oh]
                                        if okd and 0 <= ih < H:
                                            xrow = x[n, c, idd, ih]
                                            crow[:lo] = 0
                                            if sw == 1:
                                                crow[lo:hi] = xrow[lo + off:hi + off]
                                            else:
                                                for ow in range(lo, hi):
                                                    crow[ow] = xrow[ow * sw + off]
                                            crow[hi:] = 0
                                        else:
                                            crow[:] = 0
            return 0
        return im2col

    def make_col2im(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def col2im(col, y, sd, sh, sw, dd, dh, dw):
            # col (F, KD, KH, KW, N, SD, SH, SW) added into y (F, N, PD, PH, PW) (padded, zeroed)
            F, KD, KH, KW, N, SD, SH, SW = col.shape
            for f in rng(F):
                for kd in range(KD):
                    for kh in range(KH):
                        for kw in range(KW):
                            for n in range(N):
                                for i in range(SD):
                                    pd_ = i * sd + kd * dd
                                    for j in range(SH):
                                        ph_ = j * sh + kh * dh
                                        crow = col[f, kd, kh, kw, n, i, j]
                                        yrow = y[f, n, pd_, ph_]
                                        o = kw * dw
                                        if sw == 1:
                                            yrow[o:o + SW] += crow
                                        else:
                                            for k in range(SW):
                                                yrow[k * sw + o] += crow[k]
            return 0
        return col2im

    def make_depthwise(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def depthwise(x, w, y, sd, sh, sw, dd, dh, dw, pd, ph, pw):
            # x (N, C, D, H, W), w (C, KD, KH, KW) -> y (C, N, OD, OH, OW) (zeroed)
            N, C, D, H, W = x.shape
            _, KD, KH, KW = w.shape
            _, _, OD, OH, OW = y.shape
            for c in rng(C):
                for kw in range(KW):
                    off = kw * dw - pw
                    lo = 0
                    if off < 0:
                        lo = (-off + sw - 1) // sw
                    hi = OW
                    if OW > 0 and (OW - 1) * sw + off >= W:
                        hi = (W - 1 - off) // sw + 1 if W - 1 - off >= 0 else 0
                    if lo > hi:
                        lo = hi
                    for kd in range(KD):
                        for kh in range(KH):
                            wv = w[c, kd, kh, kw]
                            for n in range(N):
                                for od in range(OD):
                                    idd = od * sd + kd * dd - pd
                                    if idd < 0 or idd >= D:
                                        continue
                                    for oh in range(OH):
                                        ih = oh * sh + kh * dh - ph
                                        if ih < 0 or ih >= H:
                                            continue
                                        yrow = y[c, n, od, oh]
                                        xrow = x[n, c, idd, ih]
                                        if sw == 1:
                                            for ow in range(lo, hi):
                                                yrow[ow] += wv * xrow[ow + off]
                                        else:
                                            for ow in range(lo, hi):
                                                yrow[ow] += wv * xrow[ow * sw + off]
            return 0
        return depthwise

    def make_depthwise_t(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def depthwise_t(x, w, y, sd, sh, sw, dd, dh, dw):
            # x (N, C, SD, SH, SW), w (C, KD, KH, KW) -> y (C, N, PD, PH, PW) (padded, zeroed)
            N, C, SD, SH, SW = x.shape
            _, KD, KH, KW = w.shape
            for c in rng(C):
                for kd in range(KD):
                    for kh in range(KH):
                        for kw in range(KW):
                            wv = w[c, kd, kh, kw]
                            o = kw * dw
                            for n in range(N):
                                for i in range(SD):
                                    for j in range(SH):
                                        yrow = y[c, n, i * sd + kd * dd, j * sh + kh * dh]
                                        xrow = x[n, c, i, j]
                                        if sw == 1:
                                            for k in range(SW):
                                                yrow[k + o] += wv * xrow[k]
                                        else:
                                            for k in range(SW):
                                                yrow[k * sw + o] += wv * xrow[k]
            return 0
        return depthwise_t

    def make_depthwise_w(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def depthwise_w(x, dy, dwt, sd, sh, sw, dd, dh, dw, pd, ph, pw):
            # dwt[c, kd, kh, kw] = sum_n,o dy[n, c, o] * x[n, c, o * s + k * d - p]
            N, C, D, H, W = x.shape
            _, KD, KH, KW = dwt.shape
            _, _, OD, OH, OW = dy.shape
            for c in rng(C):
                for kw in range(KW):
                    off = kw * dw - pw
                    lo = 0
                    if off < 0:
                        lo = (-off + sw - 1) // sw
                    hi = OW
                    if OW > 0 and (OW - 1) * sw + off >= W:
                        hi = (W - 1 - off) // sw + 1 if W - 1 - off >= 0 else 0
                    if lo > hi:
                        lo = hi
                    for kd in range(KD):
                        for kh in range(KH):
                            acc = 0.0
                            for n in range(N):
                                for od in range(OD):
                                    idd = od * sd + kd * dd - pd
                                    if idd < 0 or idd >= D:
                                        continue
                                    for oh in range(OH):
                                        ih = oh * sh + kh * dh - ph
                                        if ih < 0 or ih >= H:
                                            continue
                                        grow = dy[n, c, od, oh]
                                        xrow = x[n, c, idd, ih]
                                        if sw == 1:
                                            for ow in range(lo, hi):
                                                acc += grow[ow] * xrow[ow + off]
                                        else:
                                            for ow in range(lo, hi):
                                                acc += grow[ow] * xrow[ow * sw + off]
                            dwt[c, kd, kh, kw] = acc
            return 0
        return depthwise_w

    k = SimpleNamespace(im2col=(make_im2col(False), make_im2col(True)),
                        depthwise_t=(make_depthwise_t(False), make_depthwise_t(True)),
                        depthwise_w=(make_depthwise_w(False), make_depthwise_w(True)),
                        col2im=(make_col2im(False), make_col2im(True)),
                        depthwise=(make_depthwise(False), make_depthwise(True)))
    _JIT["k"] = k
    return k


def _as3(t, fill):
    return (fill,) * (3 - len(t)) + tuple(t)


def _x5(x):
    """``(N, C, *S)`` viewed as ``(N, C, D, H, W)``."""
    return x.reshape(x.shape[:2] + (1,) * (5 - x.ndim) + x.shape[2:])


def _f(a):
    return a.dtype in (np.float32, np.float64)


def im2col(xp, x, kernel, stride, dilate, pad, OS, out=None):
    if not _f(x):
        return _generic.im2col(xp, x, kernel, stride, dilate, pad, OS, out)
    N, C = x.shape[:2]
    col = np.empty((C,) + tuple(kernel) + (N,) + tuple(OS), x.dtype) if out is None else out
    if col.size == 0:
        return col
    col8 = col.reshape((C,) + _as3(kernel, 1) + (N,) + _as3(OS, 1))
    fn = _kernels().im2col[col.size >= PARALLEL_MIN_SIZE and C > 1]
    fn(_x5(x), col8, *_as3(stride, 1), *_as3(dilate, 1), *_as3(pad, 0))
    return col


def col2im(xp, col, stride, dilate, padded):
    """As the array-API version, but the result ``(F, N, *padded)`` is a transposed view of an
    ``(N, F, *padded)`` buffer (the caller's crop then copies rows in order)."""
    if not _f(col):
        return _generic.col2im(xp, col, stride, dilate, padded)
    nsp = len(padded)
    F_ = col.shape[0]
    K = col.shape[1:1 + nsp]
    N = col.shape[1 + nsp]
    S = col.shape[2 + nsp:]
    y = np.zeros((N, F_) + tuple(padded), col.dtype)
    yt = np.moveaxis(y, 0, 1)
    if col.size == 0:
        return yt
    col8 = col.reshape((F_,) + _as3(K, 1) + (N,) + _as3(S, 1))
    y5 = yt.reshape((F_, N) + _as3(padded, 1))
    fn = _kernels().col2im[col.size >= PARALLEL_MIN_SIZE and F_ > 1]
    fn(col8, y5, *_as3(stride, 1), *_as3(dilate, 1))
    return yt


def _w4(w):
    C = w.shape[0]
    K = w.shape[2:]
    return np.ascontiguousarray(w.reshape((C,) + K)).reshape((C,) + _as3(K, 1))


def depthwise(xp, x, w, stride, dilate, pad, OS):
    if not _f(x):
        return _generic.depthwise(xp, x, w, stride, dilate, pad, OS)
    N, C = x.shape[:2]
    y = np.zeros((C, N) + tuple(OS), x.dtype)
    if y.size == 0:
        return y
    y5 = y.reshape((C, N) + _as3(OS, 1))
    fn = _kernels().depthwise[y.size >= PARALLEL_MIN_SIZE and C > 1]
    fn(_x5(x), _w4(w), y5, *_as3(stride, 1), *_as3(dilate, 1), *_as3(pad, 0))
    return y


def depthwise_t(xp, x, w, stride, dilate, padded):
    if not _f(x):
        return _generic.depthwise_t(xp, x, w, stride, dilate, padded)
    N, C = x.shape[:2]
    y = np.zeros((C, N) + tuple(padded), x.dtype)
    if x.size == 0:
        return y
    y5 = y.reshape((C, N) + _as3(padded, 1))
    fn = _kernels().depthwise_t[x.size >= PARALLEL_MIN_SIZE and C > 1]
    fn(_x5(x), _w4(w), y5, *_as3(stride, 1), *_as3(dilate, 1))
    return y


def depthwise_w(xp, x, dy, kernel, stride, dilate, pad):
    if not _f(x):
        return _generic.depthwise_w(xp, x, dy, kernel, stride, dilate, pad)
    N, C = x.shape[:2]
    dw = np.zeros((C,) + _as3(kernel, 1), x.dtype)
    if x.size and dy.size:
        fn = _kernels().depthwise_w[dy.size >= PARALLEL_MIN_SIZE and C > 1]
        fn(_x5(x), _x5(dy), dw, *_as3(stride, 1), *_as3(dilate, 1), *_as3(pad, 0))
    return dw.reshape((C, 1) + tuple(kernel))


PRIMS = {"im2col": im2col, "col2im": col2im, "depthwise": depthwise, "depthwise_t": depthwise_t,
         "depthwise_w": depthwise_w, "chunk_bytes": CHUNK_BYTES}


def _cpu(name):
    return register_kernel(name, "cpu")


_generic.make_kernels(PRIMS, _cpu)
