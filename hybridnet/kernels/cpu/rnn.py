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

    @njit(cache=True, inline="always", error_model="numpy")
    def sig(x, one):
        return one / (one + _fexp(-x))

    @njit(cache=True, inline="always", error_model="numpy")
    def tnh(x, one):
        return one - (one + one) / (_fexp(x + x) + one)

    g["_sig"], g["_tnh"] = sig, tnh

    # Every loop below runs over one contiguous row segment with no branch in its body (masking by
    # sequence length is decided per row, clipping is selects), so LLVM vectorises it (zmm on AVX-512);
    # constants are typed as the data (``one``) so float32 stays float32. The LSTM cell loops are separate
    # (not inlined) row functions: written inline in the ``(N, H)`` kernel, LLVM left the backward's main
    # loop scalar (120 us vs 17 us per 32 x 256 step; BENCHMARKS.md "LSTM").

    @njit(cache=True, error_model="numpy")
    def lstm_cell_row(gr, cpr, cor, hor, H, one, clip, lo, hi, clip_nan):
        if clip:
            for j in range(H):
                c = gr[H + j] * cpr[j] + gr[j] * gr[2 * H + j]
                c = lo if c < lo else c
                c = hi if c > hi else c
                if clip_nan:
                    c = lo if c != c else c
                cor[j] = c
                hor[j] = gr[3 * H + j] * _tnh(c, one)
        else:
            for j in range(H):
                c = gr[H + j] * cpr[j] + gr[j] * gr[2 * H + j]
                cor[j] = c
                hor[j] = gr[3 * H + j] * _tnh(c, one)

    @njit(cache=True, error_model="numpy")
    def lstm_fwd(gt, hg, c_prev, h_prev, lens, t, c_out, h_out, y_out, hp_out, proj, clip, lo, hi, clip_nan):
        N, G = gt.shape
        H = G // 4
        z = gt.dtype.type(0)
        one = gt.dtype.type(1)
        for n in range(N):
            gr = gt[n]
            hr = hg[n]
            for j in range(2 * H):                   # i, f
                gr[j] = _sig(gr[j] + hr[j], one)
            for j in range(2 * H, 3 * H):            # g
                gr[j] = _tnh(gr[j] + hr[j], one)
            for j in range(3 * H, G):                # o
                gr[j] = _sig(gr[j] + hr[j], one)
            cpr = c_prev[n]
            cor = c_out[n]
            m = t < lens[n]
            if proj:
                # the projection path masks its own output: h is computed for every row
                lstm_cell_row(gr, cpr, cor, hp_out[n], H, one, clip, lo, hi, clip_nan)
                if not m:
                    for j in range(H):
                        cor[j] = cpr[j]
            elif m:
                hor = h_out[n]
                lstm_cell_row(gr, cpr, cor, hor, H, one, clip, lo, hi, clip_nan)
                yr = y_out[n]
                for j in range(H):
                    yr[j] = hor[j]
            else:
                hor = h_out[n]
                hpr = h_prev[n]
                yr = y_out[n]
                for j in range(H):
                    cor[j] = cpr[j]
                    hor[j] = hpr[j]
                    yr[j] = z
        return 0

    @njit(cache=True, error_model="numpy")
    def gru_fwd(gt, hg, bh, h_prev, lens, t, hn_out, h_out, y_out):
        N, G = gt.shape
        H = G // 3
        zero = gt.dtype.type(0)
        one = gt.dtype.type(1)
        for n in range(N):
            m = t < lens[n]
            gr = gt[n]
            hr = hg[n]
            hpr = h_prev[n]
            hnr = hn_out[n]
            hor = h_out[n]
            yr = y_out[n]
            for j in range(2 * H):                   # r, z
                gr[j] = _sig(gr[j] + hr[j] + bh[j], one)
            for j in range(H):
                hn = hr[2 * H + j] + bh[2 * H + j]
                nn = _tnh(gr[2 * H + j] + gr[j] * hn, one)
                zz = gr[H + j]
                hp = hpr[j]
                h = (one - zz) * nn + zz * hp
                gr[2 * H + j] = nn
                hnr[j] = hn
                hor[j] = h if m else hp
                yr[j] = h if m else zero
        return 0

    @njit(cache=True, error_model="numpy")
    def rnn_fwd(gt, hg, h_prev, lens, t, h_out, y_out, relu):
        N, H = gt.shape
        zero = gt.dtype.type(0)
        one = gt.dtype.type(1)
        for n in range(N):
            m = t < lens[n]
            gr = gt[n]
            hr = hg[n]
            hpr = h_prev[n]
            hor = h_out[n]
            yr = y_out[n]
            for j in range(H):
                v = gr[j] + hr[j]
                if relu:
                    h = v if v > zero else zero
                else:
                    h = _tnh(v, one)
                gr[j] = h
                hor[j] = h if m else hpr[j]
                yr[j] = h if m else zero
        return 0

    @njit(cache=True, error_model="numpy")
    def lstm_bwd_row(gr, csr, cpr, dcr, dhr, dGr, H, one, clip, lo, hi):
        zero = one - one
        for j in range(H):
            dh = dhr[j]
            i = gr[j]
            f = gr[H + j]
            gg = gr[2 * H + j]
            o = gr[3 * H + j]
            c = csr[j]
            tc = _tnh(c, one)
            dct = dcr[j] + dh * o * (one - tc * tc)
            if clip:
                dct = dct if (c > lo) & (c < hi) else zero
            dGr[j] = dct * gg * i * (one - i)
            dGr[H + j] = dct * cpr[j] * f * (one - f)
            dGr[2 * H + j] = dct * i * (one - gg * gg)
            dGr[3 * H + j] = dh * tc * o * (one - o)
            dcr[j] = dct * f

    @njit(cache=True, error_model="numpy")
    def lstm_bwd(gt, cs, c_prev, dgemm, dpass, dy, dhp, lens, t, dc, dG, proj, clip, lo, hi):
        N, G = gt.shape
        H = G // 4
        zero = gt.dtype.type(0)
        one = gt.dtype.type(1)
        for n in range(N):
            dGr = dG[n]
            if not t < lens[n]:
                if not proj:
                    dgr = dgemm[n]
                    dpr = dpass[n]
                    for j in range(H):
                        dpr[j] = dgr[j] + dpr[j]
                for j in range(G):
                    dGr[j] = zero
                continue
            if proj:
                dhr = dhp[n]
            else:
                # dh = dgemm + dpass + dy, written into dgemm's row (``dhp`` is ``dgemm`` here, and the
                # driver overwrites ``dgemm`` with ``dG @ Wh`` right after); ``dpass`` is consumed
                dhr = dgemm[n]
                dpr = dpass[n]
                dyr = dy[n]
                for j in range(H):
                    dhr[j] = dhr[j] + dpr[j] + dyr[j]
                    dpr[j] = zero
            lstm_bwd_row(gt[n], cs[n], c_prev[n], dc[n], dhr, dGr, H, one, clip, lo, hi)
        return 0

    @njit(cache=True, error_model="numpy")
    def gru_bwd(gt, hn, h_prev, dgemm, dpass, dy, lens, t, dGx, dGh):
        N, G = gt.shape
        H = G // 3
        zero = gt.dtype.type(0)
        one = gt.dtype.type(1)
        for n in range(N):
            dgr = dgemm[n]
            dpr = dpass[n]
            dxr = dGx[n]
            dhr = dGh[n]
            if not t < lens[n]:
                for j in range(H):
                    dpr[j] = dgr[j] + dpr[j]
                for j in range(G):
                    dxr[j] = zero
                    dhr[j] = zero
                continue
            gr = gt[n]
            hnr = hn[n]
            hpr = h_prev[n]
            dyr = dy[n]
            for j in range(H):
                dh = dgr[j] + dpr[j] + dyr[j]
                r = gr[j]
                z = gr[H + j]
                nn = gr[2 * H + j]
                dn = dh * (one - z) * (one - nn * nn)
                dz = dh * (hpr[j] - nn) * z * (one - z)
                dr = dn * hnr[j] * r * (one - r)
                dxr[j] = dr
                dxr[H + j] = dz
                dxr[2 * H + j] = dn
                dhr[j] = dr
                dhr[H + j] = dz
                dhr[2 * H + j] = dn * r
                dpr[j] = dh * z
        return 0

    @njit(cache=True, error_model="numpy")
    def rnn_bwd(gt, dgemm, dpass, dy, lens, t, dG, relu):
        N, H = gt.shape
        zero = gt.dtype.type(0)
        one = gt.dtype.type(1)
        for n in range(N):
            dgr = dgemm[n]
            dpr = dpass[n]
            dGr = dG[n]
            if not t < lens[n]:
                for j in range(H):
                    dpr[j] = dgr[j] + dpr[j]
                    dGr[j] = zero
                continue
            gr = gt[n]
            dyr = dy[n]
            for j in range(H):
                dh = dgr[j] + dpr[j] + dyr[j]
                h = gr[j]
                if relu:
                    dGr[j] = dh if h > zero else zero
                else:
                    dGr[j] = dh * (one - h * h)
                dpr[j] = zero
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
