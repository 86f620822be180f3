"""CPU kernels of ``ops/rnn.py``: the RNN forward / backward drivers of ``kernels/generic/rnn.py`` (GEMMs
through NumPy's BLAS) with Numba gate kernels, one fused loop per time step over ``(N, H)``.

Gate kernels use the polynomial ``fexp`` of ``simd.py`` for sigmoid and tanh (``math.exp`` would be
scalar libm and keep the loops from vectorising): ``sigmoid(x) = 1 / (1 + exp(-x))``,
``tanh(x) = 1 - 2 / (exp(2x) + 1)`` (exact limits at +-inf; absolute error ~1 ulp of 1). They run serially:
a step is at most a few hundred thousand elements, the per-step GEMM dominates and uses BLAS's threads
(BENCHMARKS.md "LSTM").
"""
import numpy as np

from ...device import Device
from ...ops.registry import register_kernel
from .. import rng
from ..generic.rnn import rnn_backward, rnn_forward

__all__ = []

_CPU = Device("cpu", 0)
_JIT = {}


def _engine():
    return rng.engine_for(_CPU)


def gate_kernels():
    k = _JIT.get("k")
    if k is not None:
        return k
    from types import SimpleNamespace

    from numba import njit

    from .simd import helpers
    g = globals()
    g["_fexp"] = helpers().fexp

    @njit(cache=True, inline="always")
    def sig(x):
        return 1 / (1 + _fexp(-x))

    @njit(cache=True, inline="always")
    def tnh(x):
        return 1 - 2 / (_fexp(x + x) + 1)

    g["_sig"], g["_tnh"] = sig, tnh

    @njit(cache=True)
    def lstm_fwd(gt, hg, c_prev, h_prev, lens, t, c_out, h_out, y_out, hp_out, proj, clip, lo, hi, clip_nan):
        N, G = gt.shape
        H = G // 4
        z = gt.dtype.type(0)
        for n in range(N):
            m = t < lens[n]
            for j in range(H):
                i = _sig(gt[n, j] + hg[n, j])
                f = _sig(gt[n, H + j] + hg[n, H + j])
                gg = _tnh(gt[n, 2 * H + j] + hg[n, 2 * H + j])
                o = _sig(gt[n, 3 * H + j] + hg[n, 3 * H + j])
                gt[n, j] = i
                gt[n, H + j] = f
                gt[n, 2 * H + j] = gg
                gt[n, 3 * H + j] = o
                cp = c_prev[n, j]
                c = f * cp + i * gg
                if clip:
                    if clip_nan and c != c:
                        c = lo
                    elif c < lo:
                        c = lo
                    elif c > hi:
                        c = hi
                h = o * _tnh(c)
                c_out[n, j] = c if m else cp
                if proj:
                    hp_out[n, j] = h
                else:
                    h_out[n, j] = h if m else h_prev[n, j]
                    y_out[n, j] = h if m else z
        return 0

    @njit(cache=True)
    def gru_fwd(gt, hg, bh, h_prev, lens, t, hn_out, h_out, y_out):
        N, G = gt.shape
        H = G // 3
        zero = gt.dtype.type(0)
        for n in range(N):
            m = t < lens[n]
            for j in range(H):
                r = _sig(gt[n, j] + hg[n, j] + bh[j])
                z = _sig(gt[n, H + j] + hg[n, H + j] + bh[H + j])
                hn = hg[n, 2 * H + j] + bh[2 * H + j]
                nn = _tnh(gt[n, 2 * H + j] + r * hn)
                hp = h_prev[n, j]
                h = (1 - z) * nn + z * hp
                gt[n, j] = r
                gt[n, H + j] = z
                gt[n, 2 * H + j] = nn
                hn_out[n, j] = hn
                h_out[n, j] = h if m else hp
                y_out[n, j] = h if m else zero
        return 0

    @njit(cache=True)
    def rnn_fwd(gt, hg, h_prev, lens, t, h_out, y_out, relu):
        N, H = gt.shape
        zero = gt.dtype.type(0)
        for n in range(N):
            m = t < lens[n]
            for j in range(H):
                v = gt[n, j] + hg[n, j]
                if relu:
                    h = v if v > zero else zero
                else:
                    h = _tnh(v)
                gt[n, j] = h
                h_out[n, j] = h if m else h_prev[n, j]
                y_out[n, j] = h if m else zero
        return 0

    @njit(cache=True)
    def lstm_bwd(gt, cs, c_prev, dgemm, dpass, dy, dhp, lens, t, dc, dG, proj, clip, lo, hi):
        N, G = gt.shape
        H = G // 4
        zero = gt.dtype.type(0)
        for n in range(N):
            m = t < lens[n]
            for j in range(H):
                if proj:
                    dh = dhp[n, j]
                else:
                    ds = dgemm[n, j] + dpass[n, j]
                    dh = ds + dy[n, j] if m else zero
                    dpass[n, j] = zero if m else ds
                if not m:
                    dG[n, j] = zero
                    dG[n, H + j] = zero
                    dG[n, 2 * H + j] = zero
                    dG[n, 3 * H + j] = zero
                    continue
                i = gt[n, j]
                f = gt[n, H + j]
                gg = gt[n, 2 * H + j]
                o = gt[n, 3 * H + j]
                c = cs[n, j]
                tc = _tnh(c)
                dct = dc[n, j] + dh * o * (1 - tc * tc)
                if clip and not (c > lo and c < hi):
                    dct = zero
                dG[n, j] = dct * gg * i * (1 - i)
                dG[n, H + j] = dct * c_prev[n, j] * f * (1 - f)
                dG[n, 2 * H + j] = dct * i * (1 - gg * gg)
                dG[n, 3 * H + j] = dh * tc * o * (1 - o)
                dc[n, j] = dct * f
        return 0

    @njit(cache=True)
    def gru_bwd(gt, hn, h_prev, dgemm, dpass, dy, lens, t, dGx, dGh):
        N, G = gt.shape
        H = G // 3
        zero = gt.dtype.type(0)
        for n in range(N):
            m = t < lens[n]
            for j in range(H):
                ds = dgemm[n, j] + dpass[n, j]
                if not m:
                    dpass[n, j] = ds
                    dGx[n, j] = zero
                    dGx[n, H + j] = zero
                    dGx[n, 2 * H + j] = zero
                    dGh[n, j] = zero
                    dGh[n, H + j] = zero
                    dGh[n, 2 * H + j] = zero
                    continue
                dh = ds + dy[n, j]
                r = gt[n, j]
                z = gt[n, H + j]
                nn = gt[n, 2 * H + j]
                dn = dh * (1 - z) * (1 - nn * nn)
                dz = dh * (h_prev[n, j] - nn) * z * (1 - z)
                dr = dn * hn[n, j] * r * (1 - r)
                dGx[n, j] = dr
                dGx[n, H + j] = dz
                dGx[n, 2 * H + j] = dn
                dGh[n, j] = dr
                dGh[n, H + j] = dz
                dGh[n, 2 * H + j] = dn * r
                dpass[n, j] = dh * z
        return 0

    @njit(cache=True)
    def rnn_bwd(gt, dgemm, dpass, dy, lens, t, dG, relu):
        N, H = gt.shape
        zero = gt.dtype.type(0)
        for n in range(N):
            m = t < lens[n]
            for j in range(H):
                ds = dgemm[n, j] + dpass[n, j]
                if not m:
                    dpass[n, j] = ds
                    dG[n, j] = zero
                    continue
                dh = ds + dy[n, j]
                h = gt[n, j]
                if relu:
                    dG[n, j] = dh if h > zero else zero
                else:
                    dG[n, j] = dh * (1 - h * h)
                dpass[n, j] = zero
        return 0

    k = _JIT["k"] = SimpleNamespace(lstm_fwd=lstm_fwd, gru_fwd=gru_fwd, rnn_fwd=rnn_fwd, lstm_bwd=lstm_bwd,
                                    gru_bwd=gru_bwd, rnn_bwd=rnn_bwd)
    return k


@register_kernel("RNN", "cpu")
def rnn(data, parameters, state, state_cell=None, sequence_length=None, out=None, **attrs):
    return rnn_forward(gate_kernels(), _engine, data, parameters, state, state_cell, sequence_length, out=out,
                       **attrs)


@register_kernel("_backward_RNN", "cpu")
def rnn_bwd(data, parameters, state, state_cell=None, sequence_length=None, reserve=None, dy=None, dhy=None,
            dcy=None, out=None, **attrs):
    return rnn_backward(gate_kernels(), data, parameters, state, state_cell, sequence_length, reserve, dy, dhy,
                        dcy, out=out, **attrs)


_ = np
