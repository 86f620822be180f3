"""CPU kernels of ``ops/conv.py``: the im2col + GEMM bodies of ``kernels/generic/conv.py`` (NumPy tap
copies for im2col, tap adds for col2im, NumPy's BLAS for the GEMMs, the batch in chunks of about
``CHUNK_BYTES`` of column matrix) and direct Numba loops for depthwise convolution.

Kernel choice, measured per shape class with ``benchmarks/bench_conv.py`` on this 2-core machine
(BENCHMARKS.md "Convolution"; machine sgemm ~200 GFLOP/s on quiet runs):

- Dense convolutions (LeNet 5x5, ResNet-20 3x3 on 16/32/64 channels, stride 2, 1x1): im2col + one
  BLAS GEMM per group. A direct loop cannot approach BLAS on the multiply-adds, so the question was only
  how to build the column matrix: the NumPy tap copies (one strided copy per kernel tap) ran at memory
  speed and beat a Numba row loop by 1.2-4x (16ch 32x32: 1.3 vs 4.0 ms), so both devices use the
  array-API im2col/col2im. The GEMM runs with ``threading.blas_threads_for`` (as every GEMM).
  Batch chunks: 4 MB chunks and no chunks measured the same within noise, 1 MB chunks 10-40% slower;
  4 MB keeps the scratch memory bounded (MXNet's ``workspace`` idea) without losing speed.
  Result: 35-85 GFLOP/s forward, i.e. 17-43% of the machine's sgemm rate, below the 70% target: the
  GEMM alone at these skinny shapes (16-64 rows) reaches only 53-147 GFLOP/s, im2col costs another
  25-35% of the forward and col2im's strided adds dominate the data gradient. PyTorch (oneDNN's JIT
  AVX-512 kernels on blocked layouts, no column matrix) runs the same shapes at 100-200 GFLOP/s; closing
  the gap needs such an implicit-GEMM kernel with its own SIMD micro-kernel, not reachable from NumPy
  BLAS calls.
- Depthwise (``num_group == channels == num_filter``): the GEMMs are 1 x K per channel, so im2col +
  GEMM ran at 1-3 GFLOP/s; direct Numba loops (here) take each padded input row as a slice starting at
  the tap's offset (non-negative indices: no wraparound code, vectorised rows) and are 2.5-9x faster
  than im2col + GEMM or the array-API tap sums (forward, data and weight gradients).

- Small inputs (batch-1 inference; column matrix of at most ``SMALL_MAX`` = 65536 elements, float32 /
  float64, not depthwise): one Numba im2col kernel (flat indices, padding written inline, each output row
  a zero edge + one strided run) and one batched GEMM ``(g, O/g, C/g*K) @ (N, g, C/g*K, OS)`` straight
  into the ``(N, O, *OS)`` result, with the geometry planned once per (attrs, shapes) and no device scope.
  The NumPy tap copies cost ~2 us each (25 for a 5x5 kernel) at these sizes: LeNet's convs at batch 1
  went from 72 / 77 us to 18 / 24 us a call (``bench_conv.py --small``); the Numba loop stops winning
  near 70-150k column elements (ResNet-20 16ch 32x32 b1: 0.8x), hence the threshold.

Every spatial rank is handled as 3-D (a 1-D or 2-D convolution is one with size-1 leading spatial
dims). The depthwise loops run their ``prange`` variant (over channels) from ``PARALLEL_MIN_SIZE``
output (input, for the transposed loop) elements. float16 is computed in float32 by the bodies.
"""
import math
import os

import numpy as np

from ...ops.registry import register_kernel
from ..generic import conv as _generic
from .threading import BLAS_SINGLE_MAX as _BLAS_SINGLE_MAX
from .threading import PARALLEL_MIN_SIZE
from .threading import blas_threads_for as _blas_threads_for

__all__ = ["PRIMS", "CHUNK_BYTES"]

# the batch is processed in chunks whose column matrix has about this many bytes (bounded scratch
# memory, reused across chunks; as fast as one unchunked column matrix, measured in bench_conv.py)
CHUNK_BYTES = int(os.environ.get("HYBRIDNET_CONV_CHUNK_BYTES", 4 << 20))

_JIT = {}


def _kernels():
    k = _JIT.get("k")
    if k is not None:
        return k
    from types import SimpleNamespace

    from numba import njit, prange

    from .simd import helpers
    radd = helpers().radd

    # Rows are taken as 1-D slices starting at the tap's offset, so every inner index is a non-negative
    # loop counter: Numba then emits no negative-index wraparound and LLVM vectorises the row loop
    # (3x faster than indexing x[n, c, i, j, ow * s + off] directly, measured).

    def make_depthwise(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def depthwise(xp, w, y, sd, sh, sw, dd, dh, dw):
            # xp (N, C, PD, PH, PW) padded data, w (C, KD, KH, KW) -> y (N, C, OD, OH, OW)
            N, C = xp.shape[0], xp.shape[1]
            _, KD, KH, KW = w.shape
            _, _, OD, OH, OW = y.shape
            for c in rng(C):
                acc = np.empty(OW, y.dtype)
                for n in range(N):
                    for od in range(OD):
                        for oh in range(OH):
                            for ow in range(OW):
                                acc[ow] = 0
                            for kd in range(KD):
                                for kh in range(KH):
                                    xr = xp[n, c, od * sd + kd * dd, oh * sh + kh * dh]
                                    for kw in range(KW):
                                        wv = w[c, kd, kh, kw]
                                        xs = xr[kw * dw:]
                                        if sw == 1:
                                            for ow in range(OW):
                                                acc[ow] += wv * xs[ow]
                                        else:
                                            for ow in range(OW):
                                                acc[ow] += wv * xs[ow * sw]
                            yr = y[n, c, od, oh]
                            for ow in range(OW):
                                yr[ow] = acc[ow]
            return 0
        return depthwise

    def make_depthwise_t(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def depthwise_t(x, w, yp, sd, sh, sw, dd, dh, dw):
            # x (N, C, SD, SH, SW), w (C, KD, KH, KW) added into yp (N, C, PD, PH, PW) (padded, zeroed)
            N, C, SD, SH, SW = x.shape
            _, KD, KH, KW = w.shape
            for c in rng(C):
                for n in range(N):
                    for i in range(SD):
                        for j in range(SH):
                            xr = x[n, c, i, j]
                            for kd in range(KD):
                                for kh in range(KH):
                                    yr = yp[n, c, i * sd + kd * dd, j * sh + kh * dh]
                                    for kw in range(KW):
                                        wv = w[c, kd, kh, kw]
                                        ys = yr[kw * dw:]
                                        if sw == 1:
                                            for k in range(SW):
                                                ys[k] += wv * xr[k]
                                        else:
                                            for k in range(SW):
                                                ys[k * sw] += wv * xr[k]
            return 0
        return depthwise_t

    def make_depthwise_w(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def depthwise_w(xp, dy, dwt, sd, sh, sw, dd, dh, dw):
            # dwt[c, kd, kh, kw] = sum over n, o of dy[n, c, o] * xp[n, c, o * s + k * d] (xp padded);
            # each row's dot product reassociates (vectorised), rows add up in float64
            N, C = xp.shape[0], xp.shape[1]
            _, KD, KH, KW = dwt.shape
            _, _, OD, OH, OW = dy.shape
            for c in rng(C):
                tot = np.zeros((KD, KH, KW))
                for n in range(N):
                    for od in range(OD):
                        for oh in range(OH):
                            gr = dy[n, c, od, oh]
                            for kd in range(KD):
                                for kh in range(KH):
                                    xr = xp[n, c, od * sd + kd * dd, oh * sh + kh * dh]
                                    for kw in range(KW):
                                        xs = xr[kw * dw:]
                                        a = gr[0] * xs[0] if OW > 0 else gr.dtype.type(0)
                                        if sw == 1:
                                            for ow in range(1, OW):
                                                a = radd(a, gr[ow] * xs[ow])
                                        else:
                                            for ow in range(1, OW):
                                                a = radd(a, gr[ow] * xs[ow * sw])
                                        tot[kd, kh, kw] += a
                for kd in range(KD):
                    for kh in range(KH):
                        for kw in range(KW):
                            dwt[c, kd, kh, kw] = tot[kd, kh, kw]
            return 0
        return depthwise_w

    @njit(cache=True)
    def im2col_small(x, col, p):
        # x: C-contiguous (N, C, D, H, W) flattened; col: (N, C, KD, KH, KW, OD, OH, OW) flattened;
        # p: the sizes and (stride, dilate, pad) per dim. Zero padding is written inline: each output row
        # is its zero edges and one in-bounds strided run (flat indices: no views in the loops)
        N, C, D, H, W, KD, KH, KW, OD, OH, OW = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10]
        sd, sh, sw, dd, dh, dw, pd, ph, pw = p[11], p[12], p[13], p[14], p[15], p[16], p[17], p[18], p[19]
        o = 0
        for nc in range(N * C):
            xb = nc * D * H * W
            for kd in range(KD):
                for kh in range(KH):
                    for kw in range(KW):
                        # in-bounds output columns lo <= ow < hi: 0 <= ow * sw + kw * dw - pw < W
                        off = kw * dw - pw
                        lo = 0
                        if off < 0:
                            lo = (sw - 1 - off) // sw
                        hi = 0
                        if W - off > 0:
                            hi = (W - off + sw - 1) // sw
                        hi = min(hi, OW)
                        lo = min(lo, hi)
                        for od in range(OD):
                            i = od * sd + kd * dd - pd
                            for oh in range(OH):
                                j = oh * sh + kh * dh - ph
                                if i < 0 or i >= D or j < 0 or j >= H:
                                    col[o:o + OW] = 0
                                else:
                                    if lo > 0:
                                        col[o:o + lo] = 0
                                    src = xb + (i * H + j) * W + lo * sw + off
                                    dst = o + lo
                                    if sw == 1:     # slices: ~1.5x faster than a loop on 8-24 columns
                                        col[dst:dst + hi - lo] = x[src:src + hi - lo]
                                    else:
                                        for t in range(hi - lo):
                                            col[dst + t] = x[src + t * sw]
                                    if hi < OW:
                                        col[o + hi:o + OW] = 0
                                o += OW
        return 0

    k = SimpleNamespace(im2col_small=im2col_small,
                        depthwise=(make_depthwise(False), make_depthwise(True)),
                        depthwise_t=(make_depthwise_t(False), make_depthwise_t(True)),
                        depthwise_w=(make_depthwise_w(False), make_depthwise_w(True)))
    _JIT["k"] = k
    return k


def _as3(t, fill):
    return (fill,) * (3 - len(t)) + tuple(t)


def _x5(x):
    """``(N, C, *S)`` viewed as ``(N, C, D, H, W)``."""
    return x.reshape(x.shape[:2] + (1,) * (5 - x.ndim) + x.shape[2:])


def _f(a):
    return a.dtype in (np.float32, np.float64)


def _w4(w):
    C = w.shape[0]
    K = w.shape[2:]
    return np.ascontiguousarray(w.reshape((C,) + K)).reshape((C,) + _as3(K, 1))


def _pad5(x, pad):
    """``x (N, C, *S)`` zero-padded, as ``(N, C, D, H, W)``."""
    if any(pad):
        xp = np.zeros(x.shape[:2] + tuple(s + 2 * p for s, p in zip(x.shape[2:], pad)), x.dtype)
        xp[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pad, x.shape[2:]))] = x
        x = xp
    return _x5(x)


def _par(size, C):
    return size >= PARALLEL_MIN_SIZE and C > 1


def depthwise(xp, x, w, stride, dilate, pad, OS):
    if not _f(x):
        return _generic.depthwise(xp, x, w, stride, dilate, pad, OS)
    N, C = x.shape[:2]
    y = np.empty((N, C) + tuple(OS), x.dtype)
    if y.size:
        fn = _kernels().depthwise[_par(y.size, C)]
        fn(_pad5(x, pad), _w4(w), y.reshape((N, C) + _as3(OS, 1)), *_as3(stride, 1), *_as3(dilate, 1))
    return y


def depthwise_t(xp, x, w, stride, dilate, padded):
    if not _f(x):
        return _generic.depthwise_t(xp, x, w, stride, dilate, padded)
    N, C = x.shape[:2]
    y = np.zeros((N, C) + tuple(padded), x.dtype)
    if x.size:
        fn = _kernels().depthwise_t[_par(x.size, C)]
        fn(_x5(x), _w4(w), y.reshape((N, C) + _as3(padded, 1)), *_as3(stride, 1), *_as3(dilate, 1))
    return y


def depthwise_w(xp, x, dy, kernel, stride, dilate, pad):
    if not _f(x):
        return _generic.depthwise_w(xp, x, dy, kernel, stride, dilate, pad)
    C = x.shape[1]
    dw = np.zeros((C,) + _as3(kernel, 1), x.dtype)
    if x.size and dy.size:
        fn = _kernels().depthwise_w[_par(dy.size, C)]
        fn(_pad5(x, pad), _x5(dy), dw, *_as3(stride, 1), *_as3(dilate, 1))
    return dw.reshape((C, 1) + tuple(kernel))


PRIMS = {"im2col": _generic.im2col, "col2im": _generic.col2im, "depthwise": depthwise, "depthwise_t": depthwise_t,
         "depthwise_w": depthwise_w, "chunk_bytes": CHUNK_BYTES}


def _cpu(name):
    return register_kernel(name, "cpu")


_conv, _deconv, _bwc = _generic.make_kernels(PRIMS, _cpu)


# ---- small-input fast path (batch-1 inference) ---------------------------------------------------------

# the fast path runs while the column matrix has at most this many elements (measured with
# ``benchmarks/bench_conv.py --small``)
SMALL_MAX = int(os.environ.get("HYBRIDNET_CONV_SMALL_MAX", 1 << 16))

_PLANS = {}
_NO = ()


def _plan(key, xshape, wshape):
    """Shapes and Numba arguments of one small convolution, or ``_NO`` (not small / not plain)."""
    kernel, stride, dilate, pad, layout, num_group = key[:6]
    geom = _generic.conv_geom(kernel, stride, dilate, pad, layout, num_group)
    last = geom.last
    xs = (xshape[0], xshape[-1]) + tuple(xshape[1:-1]) if last else tuple(xshape)
    ws = (wshape[0], wshape[-1]) + tuple(wshape[1:-1]) if last else tuple(wshape)
    N, C = xs[:2]
    O = ws[0]
    g = geom.groups
    OS = _generic.conv_out_size(xs[2:], geom)
    K = geom.kernel
    Kp = math.prod(K)
    Lp = math.prod(OS)
    Cg = C // g
    ncol = N * C * Kp * Lp
    if (len(xs) != geom.nsp + 2 or ws[1:] != (Cg,) + tuple(K) or g < 1 or C % g or O % g or N < 1 or
            min(OS) < 1 or ncol == 0 or ncol > SMALL_MAX or _generic._depthwise(g, C, O, Kp, PRIMS, "depthwise")):
        return _NO
    col_shape = (N, C) + _as3(K, 1) + _as3(OS, 1)
    x5 = (N, C) + _as3(xs[2:], 1)
    nums = np.array(x5 + _as3(K, 1) + _as3(OS, 1) + _as3(geom.stride, 1) + _as3(geom.dilate, 1) +
                    _as3(geom.pad, 0), np.int64)
    return (last, x5, col_shape, (g, O // g, Cg * Kp), (N, g, Cg * Kp, Lp), (N, O) + tuple(OS), (N, g, O // g, Lp),
            (1, O) + (1,) * geom.nsp, nums, O * Cg * Kp * N * Lp)


def _small(data, weight, bias, out, attrs):
    """The convolution through one Numba im2col kernel (padding inline) and one batched GEMM, or ``None``
    when the call is not a small float32/float64 one."""
    key = (attrs["kernel"], attrs.get("stride", ()), attrs.get("dilate", ()), attrs.get("pad", ()),
           attrs.get("layout"), attrs.get("num_group", 1), data.shape, weight.shape)
    try:
        p = _PLANS.get(key)
    except TypeError:           # an unhashable attribute (a list): the general path
        return None
    if p is None:
        if len(_PLANS) > 512:
            _PLANS.clear()
        p = _PLANS[key] = _plan(key, data.shape, weight.shape)
    if p is _NO:
        return None
    last, x5, col_shape, wg_shape, colg_shape, res_shape, resg_shape, b_shape, nums, macs = p
    dt = data.dtype
    if last:
        data = np.moveaxis(data, -1, 1)
        weight = np.moveaxis(weight, -1, 1)
    col = np.empty(col_shape, dt)
    _kernels().im2col_small(np.ascontiguousarray(data).reshape(-1), col.reshape(-1), nums)
    if out is not None and not last and out.dtype == dt and out.flags.c_contiguous:
        res = out
    else:
        res = np.empty(res_shape, dt)
    if _BLAS_SINGLE_MAX:
        _blas_threads_for(macs)
    np.matmul(weight.reshape(wg_shape), col.reshape(colg_shape), out=res.reshape(resg_shape))
    if bias is not None and not attrs.get("no_bias", False):
        res += bias.reshape(b_shape)
    if last:
        res = np.moveaxis(res, 1, -1)
        if out is None:
            return np.ascontiguousarray(res)
    if out is None or res is out:
        return res
    out[...] = res
    return out


@_cpu("Convolution")
def convolution(data, weight, bias=None, out=None, **attrs):
    if type(data) is np.ndarray and (data.dtype == _F32 or data.dtype == _F64) and weight.dtype == data.dtype \
            and (bias is None or bias.dtype == data.dtype):
        r = _small(data, weight, bias, out, attrs)
        if r is not None:
            return r
    return _conv(data, weight, bias, out, **attrs)


_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
