"""CPU kernels of ``ops/norm.py`` (BatchNorm, ``_contrib_BatchNormWithReLU``, ``_contrib_SyncBatchNorm``).

The data is viewed as ``(outer, C, inner)`` (C-contiguous; other layouts are copied once). Two Numba
passes:

- statistics: one pass per channel accumulating the shifted sums ``sum(x - k)`` and ``sum((x - k)**2)``
  in float64 (``k`` = the channel's first element, which keeps the one-pass variance accurate when
  the mean is large against the spread); ``inner == 1`` (2-D ``(N, C)`` data, channels last)
  accumulates row by row into per-channel sums instead, so the loop runs over contiguous channels;
- normalisation: ``y = (x - mean[c]) * scale[c] + beta[c]`` (+ relu; ``scale = gamma * invstd``),
  vectorised along the contiguous axis (subtracting first keeps float32 accurate for large means).

Both run their ``prange`` variant (over channels, or over rows of the normalisation) from
``PARALLEL_MIN_SIZE`` elements (channels-last data from 64x that: its serial loop measured faster). float16 data is computed in float32. Measured against the array-API
body (``kernels/generic/norm.py`` on NumPy) in BENCHMARKS.md "BatchNorm".
"""
import numpy as np

from ...ops.norm import bn_layout, bn_param_dtype
from ...ops.registry import register_kernel
from ..generic.norm import finish_stats, use_batch_stats
from .threading import PARALLEL_MIN_SIZE

__all__ = ["batch_norm"]

_JIT = {}


def _kernels():
    k = _JIT.get("k")
    if k is not None:
        return k
    from types import SimpleNamespace

    from numba import njit, prange

    from .simd import helpers
    h = helpers()
    radd = h.radd

    def make_stats(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def stats_mid(x3, s, ss):
            O, C, I = x3.shape
            for c in rng(C):
                k = np.float64(x3[0, c, 0])
                a = 0.0
                b = 0.0
                for o in range(O):
                    for i in range(I):
                        d = np.float64(x3[o, c, i]) - k
                        a = radd(a, d)
                        b = radd(b, d * d)
                s[c] = a
                ss[c] = b
            return 0
        return stats_mid

    def make_stats_last(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def stats_last(x2, s, ss, nblk):
            # rows split into nblk blocks (one per thread when parallel), per-block channel sums
            N, C = x2.shape
            ps = np.zeros((nblk, C))
            pss = np.zeros((nblk, C))
            step = (N + nblk - 1) // nblk
            for bi in rng(nblk):
                r0 = bi * step
                r1 = min(N, r0 + step)
                for r in range(r0, r1):
                    for c in range(C):
                        d = np.float64(x2[r, c]) - np.float64(x2[0, c])
                        ps[bi, c] += d
                        pss[bi, c] += d * d
            for c in range(C):
                a = 0.0
                b = 0.0
                for bi in range(nblk):
                    a += ps[bi, c]
                    b += pss[bi, c]
                s[c] = a
                ss[c] = b
            return 0
        return stats_last

    def make_norm(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def norm(x3, mean, scale, beta, y3, relu):
            O, C, I = x3.shape
            for r in rng(O * C):
                o = r // C
                c = r - o * C
                mu = mean[c]
                sc = scale[c]
                b = beta[c]
                for i in range(I):
                    v = (x3[o, c, i] - mu) * sc + b
                    if relu and v < 0:
                        y3[o, c, i] = 0
                    else:
                        y3[o, c, i] = v
            return 0
        return norm

    def make_norm_last(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def norm_last(x2, mean, scale, beta, y2, relu):
            N, C = x2.shape
            for r in rng(N):
                for c in range(C):
                    v = (x2[r, c] - mean[c]) * scale[c] + beta[c]
                    if relu and v < 0:
                        y2[r, c] = 0
                    else:
                        y2[r, c] = v
            return 0
        return norm_last

    k = _JIT["k"] = SimpleNamespace(
        stats=(make_stats(False), make_stats(True)), stats_last=(make_stats_last(False), make_stats_last(True)),
        norm=(make_norm(False), make_norm(True)), norm_last=(make_norm_last(False), make_norm_last(True)))
    return k


def _threads():
    import numba
    return numba.get_num_threads()


def _forward(data, gamma, beta, moving_mean, moving_var, eps, momentum, fix_gamma, use_global_stats, axis,
             relu, out):
    ax = axis % data.ndim
    O, C, I = bn_layout(data.shape, ax)
    pdt = bn_param_dtype(data.dtype)
    size = O * C * I
    x3 = np.ascontiguousarray(data.reshape(O, C, I), dtype=pdt)
    batch = use_batch_stats(use_global_stats, O * I)
    # channels last (inner == 1): the serial row loop measured 2-4x faster than the parallel one up to
    # 512 Ki elements on 2 cores (BENCHMARKS.md "BatchNorm"), so it goes parallel only from 64x the threshold
    par = size >= (PARALLEL_MIN_SIZE if I > 1 else 64 * PARALLEL_MIN_SIZE)
    k = _kernels() if size else None
    if batch:
        s = np.empty(C, np.float64)
        ss = np.empty(C, np.float64)
        if I == 1:
            k.stats_last[par](x3.reshape(O, C), s, ss, _threads() if par else 1)
        else:
            k.stats[par](x3, s, ss)
        n = O * I
        shift0 = x3[0, :, 0].astype(np.float64)
        ms = s / n
        mean = (shift0 + ms).astype(pdt)
        var = np.maximum(ss / n - ms * ms, 0.0).astype(pdt)
    else:
        mean, var = moving_mean.astype(pdt, copy=True), moving_var.astype(pdt, copy=False)
    stats, scale = finish_stats(np, batch, mean, var, gamma, beta, moving_mean, moving_var, eps, momentum, fix_gamma)
    want_out = out[0] if isinstance(out, (tuple, list)) else out
    direct = (want_out is not None and data.dtype == pdt and want_out.flags.c_contiguous)
    y = want_out if direct else np.empty((O, C, I), pdt)
    y3 = y.reshape(O, C, I)
    if size:
        mean, scale = np.ascontiguousarray(mean), np.ascontiguousarray(scale)
        beta = np.ascontiguousarray(beta, dtype=pdt)
        if I == 1:
            k.norm_last[par](x3.reshape(O, C), mean, scale, beta, y3.reshape(O, C), relu)
        else:
            k.norm[par](x3, mean, scale, beta, y3, relu)
    if not direct:
        y = y.astype(data.dtype, copy=False).reshape(data.shape)
    return _emit((y,) + stats, out)


def _emit(results, out):
    """``results``, or copied into ``out`` (a tuple of arrays / None, or the first output's array)."""
    if out is None:
        return results
    if not isinstance(out, (tuple, list)):
        out = (out,)
    got = []
    for k, r in enumerate(results):
        o = out[k] if k < len(out) else None
        if o is not None and o is not r:
            o[...] = r
        got.append(r if o is None else o)
    return tuple(got)


def _register(name, relu=False, fixed_axis=None):
    @register_kernel(name, "cpu")
    def kernel(data, gamma, beta, moving_mean, moving_var, out=None, eps=1e-3, momentum=0.9, fix_gamma=True,
               use_global_stats=False, axis=1, relu_=relu, **_):
        return _forward(data, gamma, beta, moving_mean, moving_var, eps, momentum, fix_gamma, use_global_stats,
                        axis if fixed_axis is None else fixed_axis, relu_, out)
    return kernel


batch_norm = _register("BatchNorm")
_register("_contrib_BatchNormWithReLU", relu=True)
_register("_contrib_SyncBatchNorm", fixed_axis=1)
