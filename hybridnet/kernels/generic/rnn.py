"""Array-API bodies of ``ops/rnn.py``: the RNN forward / backward drivers (NumPy or CuPy) and the
Sequence* kernels (registered for both devices here).

The drivers do the GEMMs with the array module (NumPy's BLAS with ``blas_threads_for``, CuPy's cuBLAS)
and call per-time-step *gate kernels* supplied by the device (``kernels/cpu/rnn.py``: Numba loops;
``kernels/cuda/rnn.py``: numba.cuda kernels) that fuse everything elementwise of a step:

forward, per layer and direction: one GEMM ``X @ Wx.T`` for every step at once (written into the
reserve's gate buffer, + biases), then per step ``h_prev @ Wh.T`` and the gate kernel (activations, cell,
new state, masking by sequence length, output); LSTM projection adds ``h @ Wr.T`` per step.
backward: per step (reverse order) the gate kernel (gate gradients, cell gradient, pass-through of the
state gradient for masked steps) and ``dG @ Wh``; then per layer and direction three big GEMMs for
``dWx``, ``dWh`` and the input gradient, and the bias sums.

Gate kernel signatures (all arrays 2-D ``(N, .)`` views, ``lens`` float ``(N,)``, ``t`` the step):

- ``lstm_fwd(g, hg, c_prev, h_prev, lens, t, c_out, h_out, y_out, hp_out, proj, clip, lo, hi, clip_nan)``
- ``gru_fwd(g, hg, bh, h_prev, lens, t, hn_out, h_out, y_out)``
- ``rnn_fwd(g, hg, h_prev, lens, t, h_out, y_out, relu)``
- ``lstm_bwd(g, c, c_prev, dgemm, dpass, dy, dhp, lens, t, dc, dG, proj, clip, lo, hi)``
- ``gru_bwd(g, hn, h_prev, dgemm, dpass, dy, lens, t, dGx, dGh)``
- ``rnn_bwd(g, dgemm, dpass, dy, lens, t, dG, relu)``

``dpass`` is updated in place to the part of the previous state's gradient that is not ``dG @ Wh``.
"""
import numpy as np

from ...ops.rnn import rnn_dims, rnn_inputs, rnn_param_layout, rnn_reserve_layout, seq_axes
from ...ops.trace_base import TRAINING
from ..backend import xp_of
from ..cpu.threading import BLAS_SINGLE_MAX, blas_threads_for
from . import both, device_scope
from .nn_basic import emit_outputs
from .shape import _emit

__all__ = ["rnn_forward", "rnn_backward"]


_STEP_ROWS = 256


def _mm(xp, a, b, out):
    if xp is np and BLAS_SINGLE_MAX:
        # per-step products (batch rows) stay single-threaded: waking OpenBLAS's threads 2-4 times per
        # step cost 10x on the loaded 2-core machine (BENCHMARKS.md "LSTM"); whole-sequence GEMMs follow
        # the usual size rule
        blas_threads_for(out.size * a.shape[-1] if a.shape[0] > _STEP_ROWS else 0)
    if a.shape[-1] == 0:
        out[...] = 0
        return out
    return xp.matmul(a, b, out=out)


def _views(flat, layout):
    return {name: flat[off:off + int(np.prod(shape))].reshape(shape) for name, off, shape in layout}


def _lens(xp, seq, T, N, dt):
    if seq is None:
        return xp.full((N,), T, dtype=dt)
    return xp.clip(seq.astype(dt), 0, T)


def _attrs(a):
    return (a["state_size"], a["num_layers"], a["bidirectional"], a["mode"], a.get("projection_size"),
            a.get("p", 0.0))


def rnn_forward(gk, engine, data, params, state, cell, seq, out=None, **a):
    """RNN forward with gate kernels ``gk`` and ``engine()`` the device's random engine (dropout)."""
    xp = xp_of(data)
    H0, L0, bidir, mode, proj_size, p = _attrs(a)
    cell, seq = rnn_inputs(mode, a.get("use_sequence_length", False), cell, seq)
    T, N, I, H, P, R, L, D, G = rnn_dims(data.shape, H0, L0, bidir, mode, proj_size)
    dt = data.dtype
    data = xp.ascontiguousarray(data)
    state = xp.ascontiguousarray(state)
    W = _views(xp.ascontiguousarray(params), rnn_param_layout(mode, I, H, L, bidir, P)[0])
    lay, rsize = rnn_reserve_layout(T, N, I, H, P, L, D, mode, p)
    reserve = xp.empty((rsize,), dt)
    res = {k: reserve[o:o + int(np.prod(s))].reshape(s) for k, (o, s) in lay.items()}
    y = xp.empty((T, N, D * R), dt)
    hy = xp.empty((L * D, N, R), dt)
    cy = xp.empty((L * D, N, H), dt) if mode == "lstm" else None
    lens = _lens(xp, seq, T, N, dt)
    clip = a.get("lstm_state_clip_min") is not None
    lo = dt.type(a["lstm_state_clip_min"] if clip else 0)
    hi = dt.type(a["lstm_state_clip_max"] if clip else 0)
    clip_nan = bool(a.get("lstm_state_clip_nan", False))
    hg = xp.empty((N, G), dt)
    rbuf = xp.empty((N, R), dt) if P else None
    training = bool(TRAINING.get())
    for layer in range(L):
        X = data if layer == 0 else res[("x", layer)]
        Il = X.shape[2]
        dst = y if layer == L - 1 else res[("x", layer + 1)]
        for d in range(D):
            pre = f"{'lr'[d]}{layer}_"
            Wx, Wh, bx, bh = W[pre + "i2h_weight"], W[pre + "h2h_weight"], W[pre + "i2h_bias"], W[pre + "h2h_bias"]
            gates = res[("gates", layer, d)]
            hs = res[("hs", layer, d)]
            g2 = gates.reshape(T * N, G)
            _mm(xp, X.reshape(T * N, Il), Wx.T, g2)
            g2 += bx if mode == "gru" else (bx + bh)
            h_prev = state[layer * D + d]
            c_prev = xp.ascontiguousarray(cell[layer * D + d]) if mode == "lstm" else None
            ydst = dst[:, :, d * R:(d + 1) * R]
            order = range(T) if d == 0 else range(T - 1, -1, -1)
            for t in order:
                _mm(xp, h_prev, Wh.T, hg)
                if mode == "lstm":
                    cs = res[("cs", layer, d)]
                    if P:
                        hp = res[("hp", layer, d)]
                        gk.lstm_fwd(gates[t], hg, c_prev, h_prev, lens, t, cs[t], hs[t], ydst[t], hp[t], True,
                                    clip, lo, hi, clip_nan)
                        _mm(xp, hp[t], W[pre + "h2r_weight"].T, rbuf)
                        m = (lens > t)[:, None]
                        hs[t] = xp.where(m, rbuf, h_prev)
                        ydst[t] = xp.where(m, rbuf, dt.type(0))
                    else:
                        gk.lstm_fwd(gates[t], hg, c_prev, h_prev, lens, t, cs[t], hs[t], ydst[t], hs[t], False,
                                    clip, lo, hi, clip_nan)
                    c_prev = cs[t]
                elif mode == "gru":
                    gk.gru_fwd(gates[t], hg, bh, h_prev, lens, t, res[("hn", layer, d)][t], hs[t], ydst[t])
                else:
                    gk.rnn_fwd(gates[t], hg, h_prev, lens, t, hs[t], ydst[t], mode == "rnn_relu")
                h_prev = hs[t]
            hy[layer * D + d] = h_prev
            if mode == "lstm":
                cy[layer * D + d] = c_prev
        if layer < L - 1 and p > 0:
            mask = res[("mask", layer + 1)]
            if training:
                eng = engine()
                with eng.lock, eng.on_device():
                    u = eng.random(mask.shape, np.float32)
                keep = np.float32(1.0 - p)
                mask[...] = ((u <= keep).astype(np.float32) * (np.float32(1.0) / keep)).astype(dt)
            else:
                mask[...] = 1
            dst *= mask
    outs = (y, hy) + ((cy,) if mode == "lstm" else ()) + (reserve,)
    return emit_outputs(outs, out)


def rnn_backward(gk, data, params, state, cell, seq, reserve, dy, dhy, dcy, out=None, **a):
    xp = xp_of(data)
    H0, L0, bidir, mode, proj_size, p = _attrs(a)
    cell, seq = rnn_inputs(mode, a.get("use_sequence_length", False), cell, seq)
    T, N, I, H, P, R, L, D, G = rnn_dims(data.shape, H0, L0, bidir, mode, proj_size)
    dt = data.dtype
    data = xp.ascontiguousarray(data)
    state = xp.ascontiguousarray(state)
    layout = rnn_param_layout(mode, I, H, L, bidir, P)[0]
    W = _views(xp.ascontiguousarray(params), layout)
    dparams = xp.zeros(params.shape, dt)
    dW = _views(dparams, layout)
    lay, rsize = rnn_reserve_layout(T, N, I, H, P, L, D, mode, p)
    reserve = xp.ascontiguousarray(reserve)
    res = {k: reserve[o:o + int(np.prod(s))].reshape(s) for k, (o, s) in lay.items()}
    lens = _lens(xp, seq, T, N, dt)
    clip = a.get("lstm_state_clip_min") is not None
    lo = dt.type(a["lstm_state_clip_min"] if clip else 0)
    hi = dt.type(a["lstm_state_clip_max"] if clip else 0)
    dstate = xp.zeros(state.shape, dt)
    dcell = xp.zeros((L * D, N, H), dt) if mode == "lstm" else None
    dY = xp.zeros((T, N, D * R), dt) if dy is None else xp.ascontiguousarray(dy)
    dG = xp.empty((T, N, G), dt)
    dGh = xp.empty((T, N, G), dt) if mode == "gru" else dG
    dgemm = xp.empty((N, R), dt)
    dpass = xp.empty((N, R), dt)
    dc = xp.empty((N, H), dt) if mode == "lstm" else None
    dnew = xp.empty((T, N, P), dt) if P else None
    dhp = xp.empty((N, H), dt) if P else None
    dx = None
    for layer in range(L - 1, -1, -1):
        X = data if layer == 0 else res[("x", layer)]
        Il = X.shape[2]
        dX = xp.zeros((T, N, Il), dt)
        for d in range(D):
            pre = f"{'lr'[d]}{layer}_"
            Wx, Wh = W[pre + "i2h_weight"], W[pre + "h2h_weight"]
            k = layer * D + d
            gates, hs = res[("gates", layer, d)], res[("hs", layer, d)]
            h0 = state[k]
            if dhy is None:
                dgemm[...] = 0
            else:
                dgemm[...] = dhy[k]
            dpass[...] = 0
            if mode == "lstm":
                if dcy is None:
                    dc[...] = 0
                else:
                    dc[...] = dcy[k]
                cs = res[("cs", layer, d)]
                c0 = cell[k]
            dyd = dY[:, :, d * R:(d + 1) * R]
            order = range(T - 1, -1, -1) if d == 0 else range(T)
            for t in order:
                tp = t - 1 if d == 0 else t + 1
                first = tp < 0 or tp >= T
                h_prev = h0 if first else hs[tp]
                if mode == "lstm":
                    c_prev = c0 if first else cs[tp]
                    if P:
                        m = (lens > t)[:, None]
                        ds = dgemm + dpass
                        dnew[t] = xp.where(m, ds + dyd[t], dt.type(0))
                        dpass[...] = xp.where(m, dt.type(0), ds)
                        _mm(xp, dnew[t], W[pre + "h2r_weight"], dhp)
                        gk.lstm_bwd(gates[t], cs[t], c_prev, dgemm, dpass, dyd[t], dhp, lens, t, dc, dG[t], True,
                                    clip, lo, hi)
                    else:
                        gk.lstm_bwd(gates[t], cs[t], c_prev, dgemm, dpass, dyd[t], dgemm, lens, t, dc, dG[t], False,
                                    clip, lo, hi)
                elif mode == "gru":
                    gk.gru_bwd(gates[t], res[("hn", layer, d)][t], h_prev, dgemm, dpass, dyd[t], lens, t, dG[t],
                               dGh[t])
                else:
                    gk.rnn_bwd(gates[t], dgemm, dpass, dyd[t], lens, t, dG[t], mode == "rnn_relu")
                _mm(xp, dGh[t], Wh, dgemm)
            dstate[k] = dgemm + dpass
            if mode == "lstm":
                dcell[k] = dc
            # weight gradients: one GEMM each over all steps
            if d == 0:
                hprev_all = xp.concatenate([h0[None], hs[:T - 1]], axis=0)
            else:
                hprev_all = xp.concatenate([hs[1:], h0[None]], axis=0)
            dG2, dGh2 = dG.reshape(T * N, G), dGh.reshape(T * N, G)
            _mm(xp, dG2.T, X.reshape(T * N, Il), dW[pre + "i2h_weight"])
            _mm(xp, dGh2.T, hprev_all.reshape(T * N, R), dW[pre + "h2h_weight"])
            dW[pre + "i2h_bias"][...] = dG2.sum(axis=0)
            dW[pre + "h2h_bias"][...] = dGh2.sum(axis=0)
            if P:
                _mm(xp, dnew.reshape(T * N, P).T, res[("hp", layer, d)].reshape(T * N, H), dW[pre + "h2r_weight"])
            tmp = xp.empty((T * N, Il), dt)
            _mm(xp, dG2, Wx, tmp)
            dX += tmp.reshape(T, N, Il)
        if layer > 0:
            if p > 0:
                dX *= res[("mask", layer)]
            dY = dX
        else:
            dx = dX
    outs = (dx, dparams, dstate) + ((dcell,) if mode == "lstm" else ())
    return emit_outputs(outs, out)


# ---- Sequence* (both devices) -------------------------------------------------------------------------

def _seq_lens(xp, seq, T, N):
    if seq is None:
        return xp.full((N,), T, dtype=np.int64)
    s = seq.astype(np.float64) if seq.dtype.kind == "f" else seq
    return xp.clip(s, 0, T).astype(np.int64)


def _time_mask(xp, lens, T, t_ax, ndim):
    """(T, N) or (N, T) boolean ``t < len``, broadcastable to the data."""
    tt = xp.arange(T, dtype=np.int64)
    m = tt[:, None] < lens[None, :]
    if t_ax == 1:
        m = m.T
    return m.reshape(m.shape + (1,) * (ndim - 2))


def _seq_args(data, sequence_length, use_sequence_length):
    if not use_sequence_length:
        return None
    return sequence_length


@both("SequenceMask")
def sequence_mask(data, sequence_length=None, out=None, use_sequence_length=False, value=0.0, axis=0):
    xp = xp_of(data)
    with device_scope(data):
        seq = _seq_args(data, sequence_length, use_sequence_length)
        if seq is None:
            r = data.copy()
        else:
            t_ax, n_ax = seq_axes(data.ndim, axis)
            T, N = data.shape[t_ax], data.shape[n_ax]
            m = _time_mask(xp, _seq_lens(xp, seq, T, N), T, t_ax, data.ndim)
            r = xp.where(m, data, xp.asarray(value, dtype=data.dtype)).astype(data.dtype, copy=False)
        return _emit(r, out)


@both("SequenceLast")
def sequence_last(data, sequence_length=None, out=None, use_sequence_length=False, axis=0):
    xp = xp_of(data)
    with device_scope(data):
        seq = _seq_args(data, sequence_length, use_sequence_length)
        t_ax, n_ax = seq_axes(data.ndim, axis)
        T, N = data.shape[t_ax], data.shape[n_ax]
        if seq is None:
            r = xp.take(data, T - 1, axis=t_ax) if T else xp.zeros(
                tuple(d for i, d in enumerate(data.shape) if i != t_ax), data.dtype)
        else:
            idx = xp.clip(_seq_lens(xp, seq, T, N) - 1, 0, max(T - 1, 0))
            nn = xp.arange(N)
            r = data[idx, nn] if t_ax == 0 else data[nn, idx]
        return _emit(xp.ascontiguousarray(r) if out is None else r, out)


@both("SequenceReverse")
def sequence_reverse(data, sequence_length=None, out=None, use_sequence_length=False, axis=0):
    xp = xp_of(data)
    with device_scope(data):
        seq = _seq_args(data, sequence_length, use_sequence_length)
        T, N = data.shape[0], data.shape[1]
        if seq is None:
            r = data[::-1].copy()
        else:
            lens = _seq_lens(xp, seq, T, N)
            tt = xp.arange(T, dtype=np.int64)[:, None]
            src = xp.where(tt < lens[None, :], lens[None, :] - 1 - tt, tt)       # (T, N)
            r = data[src, xp.arange(N)[None, :]]
        return _emit(r, out)


@both("_rnn_param_concat")
def rnn_param_concat(*arrays, out=None, dim=1, num_args=None):
    xp = xp_of(arrays[0])
    with device_scope(arrays[0]):
        return _emit(xp.concatenate(arrays, axis=dim), out)
