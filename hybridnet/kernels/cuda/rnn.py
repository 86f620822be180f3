"""GPU kernels of ``ops/rnn.py``: the drivers of ``kernels/generic/rnn.py`` on CuPy (cuBLAS GEMMs, NumPy
under the simulator) with numba.cuda gate kernels, one thread per ``(n, j)`` element of a step
(grid-stride), the same element maths as ``kernels/cpu/rnn.py`` (which they equal in the GPU == CPU
tests). Sigmoid/tanh in the data's precision with ``math.exp`` / ``math.tanh``."""
import math
from types import SimpleNamespace

import numpy as np

from ...ops.registry import register_kernel
from ..generic.rnn import rnn_backward, rnn_forward
from . import launch as L

__all__ = []

_K = {}
cuda = sig = tnh = None


def _sig(x):
    return 1 / (1 + math.exp(-x))


def _tnh(x):
    return math.tanh(x)


def _build():
    k = _K.get("k")
    if k is not None:
        return k
    global cuda, sig, tnh                  # module globals: the simulator swaps the kernels' global `cuda`
    cuda = L.cuda()
    dev = cuda.jit(device=True)

    sig = dev(_sig)
    tnh = dev(_tnh)

    @cuda.jit
    def lstm_fwd(gt, hg, c_prev, h_prev, lens, t, c_out, h_out, y_out, hp_out, proj, clip, lo, hi, clip_nan):
        N = gt.shape[0]
        H = gt.shape[1] // 4
        k = cuda.grid(1)
        s = cuda.gridsize(1)
        while k < N * H:
            n = k // H
            j = k - n * H
            m = t < lens[n]
            i = sig(gt[n, j] + hg[n, j])
            f = sig(gt[n, H + j] + hg[n, H + j])
            gg = tnh(gt[n, 2 * H + j] + hg[n, 2 * H + j])
            o = sig(gt[n, 3 * H + j] + hg[n, 3 * H + j])
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
            h = o * tnh(c)
            c_out[n, j] = c if m else cp
            if proj:
                hp_out[n, j] = h
            else:
                h_out[n, j] = h if m else h_prev[n, j]
                y_out[n, j] = h if m else 0
            k += s

    @cuda.jit
    def gru_fwd(gt, hg, bh, h_prev, lens, t, hn_out, h_out, y_out):
        N = gt.shape[0]
        H = gt.shape[1] // 3
        k = cuda.grid(1)
        s = cuda.gridsize(1)
        while k < N * H:
            n = k // H
            j = k - n * H
            m = t < lens[n]
            r = sig(gt[n, j] + hg[n, j] + bh[j])
            z = sig(gt[n, H + j] + hg[n, H + j] + bh[H + j])
            hn = hg[n, 2 * H + j] + bh[2 * H + j]
            nn = tnh(gt[n, 2 * H + j] + r * hn)
            hp = h_prev[n, j]
            h = (1 - z) * nn + z * hp
            gt[n, j] = r
            gt[n, H + j] = z
            gt[n, 2 * H + j] = nn
            hn_out[n, j] = hn
            h_out[n, j] = h if m else hp
            y_out[n, j] = h if m else 0
            k += s

    @cuda.jit
    def rnn_fwd(gt, hg, h_prev, lens, t, h_out, y_out, relu):
        N = gt.shape[0]
        H = gt.shape[1]
        k = cuda.grid(1)
        s = cuda.gridsize(1)
        while k < N * H:
            n = k // H
            j = k - n * H
            m = t < lens[n]
            v = gt[n, j] + hg[n, j]
            if relu:
                h = v if v > 0 else v * 0
            else:
                h = tnh(v)
            gt[n, j] = h
            h_out[n, j] = h if m else h_prev[n, j]
            y_out[n, j] = h if m else 0
            k += s

    @cuda.jit
    def lstm_bwd(gt, cs, c_prev, dgemm, dpass, dy, dhp, lens, t, dc, dG, proj, clip, lo, hi):
        N = gt.shape[0]
        H = gt.shape[1] // 4
        k = cuda.grid(1)
        s = cuda.gridsize(1)
        while k < N * H:
            n = k // H
            j = k - n * H
            m = t < lens[n]
            if proj:
                dh = dhp[n, j]
            else:
                ds = dgemm[n, j] + dpass[n, j]
                dh = ds + dy[n, j] if m else ds * 0
                dpass[n, j] = ds * 0 if m else ds
            if not m:
                dG[n, j] = 0
                dG[n, H + j] = 0
                dG[n, 2 * H + j] = 0
                dG[n, 3 * H + j] = 0
            else:
                i = gt[n, j]
                f = gt[n, H + j]
                gg = gt[n, 2 * H + j]
                o = gt[n, 3 * H + j]
                c = cs[n, j]
                tc = tnh(c)
                dct = dc[n, j] + dh * o * (1 - tc * tc)
                if clip and not (c > lo and c < hi):
                    dct = dct * 0
                dG[n, j] = dct * gg * i * (1 - i)
                dG[n, H + j] = dct * c_prev[n, j] * f * (1 - f)
                dG[n, 2 * H + j] = dct * i * (1 - gg * gg)
                dG[n, 3 * H + j] = dh * tc * o * (1 - o)
                dc[n, j] = dct * f
            k += s

    @cuda.jit
    def gru_bwd(gt, hn, h_prev, dgemm, dpass, dy, lens, t, dGx, dGh):
        N = gt.shape[0]
        H = gt.shape[1] // 3
        k = cuda.grid(1)
        s = cuda.gridsize(1)
        while k < N * H:
            n = k // H
            j = k - n * H
            m = t < lens[n]
            ds = dgemm[n, j] + dpass[n, j]
            if not m:
                dpass[n, j] = ds
                dGx[n, j] = 0
                dGx[n, H + j] = 0
                dGx[n, 2 * H + j] = 0
                dGh[n, j] = 0
                dGh[n, H + j] = 0
                dGh[n, 2 * H + j] = 0
            else:
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
            k += s

    @cuda.jit
    def rnn_bwd(gt, dgemm, dpass, dy, lens, t, dG, relu):
        N = gt.shape[0]
        H = gt.shape[1]
        k = cuda.grid(1)
        s = cuda.gridsize(1)
        while k < N * H:
            n = k // H
            j = k - n * H
            m = t < lens[n]
            ds = dgemm[n, j] + dpass[n, j]
            if not m:
                dpass[n, j] = ds
                dG[n, j] = 0
            else:
                dh = ds + dy[n, j]
                h = gt[n, j]
                if relu:
                    dG[n, j] = dh if h > 0 else dh * 0
                else:
                    dG[n, j] = dh * (1 - h * h)
                dpass[n, j] = ds * 0
            k += s

    k = _K["k"] = SimpleNamespace(lstm_fwd=lstm_fwd, gru_fwd=gru_fwd, rnn_fwd=rnn_fwd, lstm_bwd=lstm_bwd,
                                  gru_bwd=gru_bwd, rnn_bwd=rnn_bwd)
    return k


class _Gates:
    """Launches the gate kernels with the driver's calling convention (scalars as NumPy scalars)."""

    def __init__(self, h_of):
        self._h_of = h_of

    def __getattr__(self, name):
        kern = getattr(_build(), name)
        div = {"lstm_fwd": 4, "lstm_bwd": 4, "gru_fwd": 3, "gru_bwd": 3}.get(name, 1)

        def call(*args):
            gt = args[0]
            work = gt.shape[0] * (gt.shape[1] // div)
            if work == 0:
                return
            # launch() wraps the arrays itself (CuPy on a GPU, NumPy under the simulator)
            conv = [a if hasattr(a, "__cuda_array_interface__") or isinstance(a, np.ndarray)
                    else _scalar(a, gt.dtype) for a in args]
            L.launch(kern, L.grid_for_threads(work), L.EW_THREADS, *conv)
        return call


def _scalar(v, dt):
    if isinstance(v, (bool, np.bool_)):
        return np.bool_(v)
    if isinstance(v, (int, np.integer)):
        return np.int64(v)
    return np.dtype(dt).type(v)


_GATES = _Gates(None)


def _engine_for(data):
    from .random import _engine_of
    return lambda: _engine_of((data,), None)


@register_kernel("RNN", "gpu")
def rnn(data, parameters, state, state_cell=None, sequence_length=None, out=None, **attrs):
    from ..generic import device_scope
    with device_scope(data):
        return rnn_forward(_GATES, _engine_for(data), data, parameters, state, state_cell, sequence_length,
                           out=out, **attrs)


@register_kernel("_backward_RNN", "gpu")
def rnn_bwd(data, parameters, state, state_cell=None, sequence_length=None, reserve=None, dy=None, dhy=None,
            dcy=None, out=None, **attrs):
    from ..generic import device_scope
    with device_scope(data):
        return rnn_backward(_GATES, data, parameters, state, state_cell, sequence_length, reserve, dy, dhy, dcy,
                            out=out, **attrs)
