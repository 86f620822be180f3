"""CPU loss kernels (Numba): the fused sparse softmax cross entropy (forward: one pass computing
``logsumexp - x[label]`` per row; backward: ``(exp(x - lse) - one_hot) * ograd``), MXNet's
``softmax_cross_entropy``, and CTC (alpha/beta recursions in log space, float64, one sequence per
task).

Layouts: the class axis last -> ``(rows, n)`` row kernels (vectorised max/sum with ``simd`` helpers);
any other axis -> the contiguous ``(outer, n, inner)`` view, vectorised across ``inner`` (no
transposed copy). Computation is in float32 for float16/float32 data, float64 for float64. Labels
are truncated towards zero and clipped to ``[0, n)`` (as ``pick(mode='clip')``).

CTC (see ``ops/loss.py`` for MXNet's semantics): per sequence ``b``, log-softmax of its ``T_b`` time
steps, ``alpha``/``beta`` over the ``S = 2L + 1`` blank-extended label states with warp-ctc's
transition rules, ``loss = -log p``, and ``grad[t, c] = softmax[t, c] - sum_{s: l_s = c}
exp(alpha[t, s] + beta[t, s] - logp[t, c] - log p)`` (both recursions include the emission at ``t``),
times ``ograd[b]``; zero past ``T_b`` and for labels that cannot be aligned (``L + repeats > T_b``).
"""
import math

import numpy as np

from ...ops.loss import ctc_inputs
from ...ops.registry import register_kernel
from .simd import helpers
from .threading import PARALLEL_MIN_SIZE

__all__ = ["sparse_ce_forward", "sparse_ce_backward", "ctc_compute", "ctc_prepare"]

_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)
_JIT = {}
_NEG_LOG_EPS = -math.log(1e-8)   # MXNet clamps softmax_cross_entropy's probability at 1e-8


def _cdt(dt):
    return _F64 if np.dtype(dt) == _F64 else _F32


# ---- Numba kernels --------------------------------------------------------------------------------

def _kernels():
    k = _JIT.get("k")
    if k is not None:
        return k
    from numba import njit, prange
    h = helpers()
    radd, vmax, fexp = h.radd, h.vmax, h.fexp
    global _lse_row, _lse_mid, _lse2, _ctc_seq, _fwd_row, _bwd_row, _fwd_mid, _bwd_mid

    @njit(cache=True, error_model="numpy")
    def _lse_row(x, zero):
        n = x.shape[0]
        m = x[0]
        for j in range(n):
            m = vmax(m, x[j])
        s = zero
        for j in range(n):
            s = radd(s, fexp(x[j] - m))
        return m + math.log(s)

    @njit(cache=True, error_model="numpy")
    def _fwd_row(x2, lab, out, zero, r):
        out[r] = _lse_row(x2[r], zero) - x2[r, lab[r]]

    @njit(cache=True, error_model="numpy")
    def _bwd_row(x2, lab, g, out, zero, r):
        n = x2.shape[1]
        xr = x2[r]
        orow = out[r]
        lse = _lse_row(xr, zero)
        gr = g[r]
        for j in range(n):
            orow[j] = fexp(xr[j] - lse) * gr
        orow[lab[r]] -= gr

    # (outer, n, inner): per outer index, running max / sum vectors across the inner columns
    @njit(cache=True, error_model="numpy")
    def _lse_mid(x, zero):
        n, inner = x.shape
        m = x[0].copy()
        s = np.full(inner, zero)
        for j in range(n):
            xr = x[j]
            for i in range(inner):
                m[i] = vmax(m[i], xr[i])
        for j in range(n):
            xr = x[j]
            for i in range(inner):
                s[i] += fexp(xr[i] - m[i])
        for i in range(inner):
            m[i] = m[i] + math.log(s[i])
        return m

    @njit(cache=True, error_model="numpy")
    def _fwd_mid(x3, lab2, out2, zero, q):
        x = x3[q]
        lse = _lse_mid(x, zero)
        for i in range(x.shape[1]):
            out2[q, i] = lse[i] - x[lab2[q, i], i]

    @njit(cache=True, error_model="numpy")
    def _bwd_mid(x3, lab2, g2, out3, zero, q):
        x = x3[q]
        o = out3[q]
        n, inner = x.shape
        lse = _lse_mid(x, zero)
        gq = g2[q]
        for j in range(n):
            xr = x[j]
            orow = o[j]
            for i in range(inner):
                orow[i] = fexp(xr[i] - lse[i]) * gq[i]
        for i in range(inner):
            o[lab2[q, i], i] -= gq[i]


    @njit(cache=True, error_model="numpy")
    def _lse2(a, b):
        if a == -np.inf:
            return b
        if b == -np.inf:
            return a
        if a > b:
            return a + math.log1p(math.exp(b - a))
        return b + math.log1p(math.exp(a - b))

    @njit(cache=True, error_model="numpy")
    def _ctc_seq(x, lab, L, Tb, blank, want_grad, scale, grad, alpha, beta, lp):
        """One sequence. x (T, C) float64, lab (Lmax,) int64 (clipped); grad (T, C) zeroed;
        alpha/beta (T, S) and lp (T, C) workspaces. Returns the loss (-log p)."""
        C = x.shape[1]
        S = 2 * L + 1
        repeats = 0
        for i in range(1, L):
            if lab[i] == lab[i - 1]:
                repeats += 1
        if Tb == 0 or L + repeats > Tb:
            return 0.0
        for t in range(Tb):
            m = x[t, 0]
            for c in range(C):
                if x[t, c] > m or x[t, c] != x[t, c]:
                    m = x[t, c]
            s = 0.0
            for c in range(C):
                s += math.exp(x[t, c] - m)
            ls = m + math.log(s)
            for c in range(C):
                lp[t, c] = x[t, c] - ls
        ninf = -np.inf
        for s in range(S):
            alpha[0, s] = ninf
        alpha[0, 0] = lp[0, blank]
        if S > 1:
            alpha[0, 1] = lp[0, lab[0]]
        for t in range(1, Tb):
            for s in range(S):
                ls = blank if s % 2 == 0 else lab[(s - 1) // 2]
                a = alpha[t - 1, s]
                if s >= 1:
                    a = _lse2(a, alpha[t - 1, s - 1])
                if s >= 2 and ls != blank:
                    if ls != (blank if s % 2 == 0 else lab[(s - 3) // 2]):
                        a = _lse2(a, alpha[t - 1, s - 2])
                alpha[t, s] = a + lp[t, ls] if a != ninf else ninf
        ll = alpha[Tb - 1, S - 1]
        if S > 1:
            ll = _lse2(ll, alpha[Tb - 1, S - 2])
        if want_grad and ll != ninf:
            for s in range(S):
                beta[Tb - 1, s] = ninf
            beta[Tb - 1, S - 1] = lp[Tb - 1, blank]
            if S > 1:
                beta[Tb - 1, S - 2] = lp[Tb - 1, lab[L - 1]]
            for t in range(Tb - 2, -1, -1):
                for s in range(S):
                    ls = blank if s % 2 == 0 else lab[(s - 1) // 2]
                    b = beta[t + 1, s]
                    if s + 1 < S:
                        b = _lse2(b, beta[t + 1, s + 1])
                    if s + 2 < S and ls != blank:
                        if ls != (blank if s % 2 == 0 else lab[(s + 1) // 2]):
                            b = _lse2(b, beta[t + 1, s + 2])
                    beta[t, s] = b + lp[t, ls] if b != ninf else ninf
            for t in range(Tb):
                for c in range(C):
                    grad[t, c] = math.exp(lp[t, c])
                for s in range(S):
                    ab = alpha[t, s] + beta[t, s]
                    if ab != ninf:
                        ls = blank if s % 2 == 0 else lab[(s - 1) // 2]
                        grad[t, ls] -= math.exp(ab - lp[t, ls] - ll)
                for c in range(C):
                    grad[t, c] *= scale
        return -ll


    @njit(cache=True, error_model="numpy")
    def rows_fwd_ser(x2, lab, out, zero):
        for r in range(x2.shape[0]):
            _fwd_row(x2, lab, out, zero, r)

    @njit(cache=True, parallel=True, error_model="numpy")
    def rows_fwd_par(x2, lab, out, zero):
        for r in prange(x2.shape[0]):
            _fwd_row(x2, lab, out, zero, r)

    @njit(cache=True, error_model="numpy")
    def rows_bwd_ser(x2, lab, g, out, zero):
        for r in range(x2.shape[0]):
            _bwd_row(x2, lab, g, out, zero, r)

    @njit(cache=True, parallel=True, error_model="numpy")
    def rows_bwd_par(x2, lab, g, out, zero):
        for r in prange(x2.shape[0]):
            _bwd_row(x2, lab, g, out, zero, r)

    @njit(cache=True, error_model="numpy")
    def mid_fwd_ser(x3, lab2, out2, zero):
        for q in range(x3.shape[0]):
            _fwd_mid(x3, lab2, out2, zero, q)

    @njit(cache=True, parallel=True, error_model="numpy")
    def mid_fwd_par(x3, lab2, out2, zero):
        for q in prange(x3.shape[0]):
            _fwd_mid(x3, lab2, out2, zero, q)

    @njit(cache=True, error_model="numpy")
    def mid_bwd_ser(x3, lab2, g2, out3, zero):
        for q in range(x3.shape[0]):
            _bwd_mid(x3, lab2, g2, out3, zero, q)

    @njit(cache=True, parallel=True, error_model="numpy")
    def mid_bwd_par(x3, lab2, g2, out3, zero):
        for q in prange(x3.shape[0]):
            _bwd_mid(x3, lab2, g2, out3, zero, q)

    @njit(cache=True, error_model="numpy")
    def ctc_ser(xt, lab, L, Tb, blank, want_grad, scale, grad, loss, alpha, beta, lp):
        for b in range(xt.shape[0]):
            loss[b] = _ctc_seq(xt[b], lab[b], L[b], Tb[b], blank, want_grad, scale[b], grad[b],
                               alpha[b], beta[b], lp[b])

    @njit(cache=True, parallel=True, error_model="numpy")
    def ctc_par(xt, lab, L, Tb, blank, want_grad, scale, grad, loss, alpha, beta, lp):
        for b in prange(xt.shape[0]):
            loss[b] = _ctc_seq(xt[b], lab[b], L[b], Tb[b], blank, want_grad, scale[b], grad[b],
                               alpha[b], beta[b], lp[b])

    k = _JIT["k"] = {("rows_fwd", False): rows_fwd_ser, ("rows_fwd", True): rows_fwd_par,
                     ("rows_bwd", False): rows_bwd_ser, ("rows_bwd", True): rows_bwd_par,
                     ("mid_fwd", False): mid_fwd_ser, ("mid_fwd", True): mid_fwd_par,
                     ("mid_bwd", False): mid_bwd_ser, ("mid_bwd", True): mid_bwd_par,
                     ("ctc", False): ctc_ser, ("ctc", True): ctc_par}
    return k


# ---- sparse softmax cross entropy ----------------------------------------------------------------

def _geometry(shape, axis):
    nd = len(shape)
    ax = axis + nd if axis < 0 else axis
    return ax, math.prod(shape[:ax]), shape[ax], math.prod(shape[ax + 1:])


def _labels(label, n, count):
    lab = np.asarray(label)
    lab = lab.astype(np.int64) if lab.dtype != np.int64 else lab
    lab = lab.reshape(count)
    return np.minimum(np.maximum(lab, 0), max(n - 1, 0))    # np.clip's Python wrapper costs ~7 us


def sparse_ce_forward(data, label, axis=-1):
    """``-log_softmax(data, axis)[label]`` as an array of shape ``(outer * inner,)`` in the compute
    dtype."""
    ax, outer, n, inner = _geometry(data.shape, axis)
    cdt = _cdt(data.dtype)
    res = np.empty(outer * inner, cdt)
    if res.size == 0:
        return res
    x = np.ascontiguousarray(data, dtype=cdt)
    lab = _labels(label, n, outer * inner)
    par = data.size >= PARALLEL_MIN_SIZE
    if inner == 1:
        _kernels()[("rows_fwd", par)](x.reshape(outer, n), lab, res, cdt.type(0))
    else:
        _kernels()[("mid_fwd", par and outer > 1)](x.reshape(outer, n, inner), lab.reshape(outer, inner),
                                                  res.reshape(outer, inner), cdt.type(0))
    return res


def sparse_ce_backward(ograd, data, label, axis=-1):
    """``(softmax(data, axis) - one_hot(label)) * ograd`` in the compute dtype, data's shape."""
    ax, outer, n, inner = _geometry(data.shape, axis)
    cdt = _cdt(data.dtype)
    res = np.empty(data.shape, cdt)
    if res.size == 0:
        return res
    x = np.ascontiguousarray(data, dtype=cdt)
    lab = _labels(label, n, outer * inner)
    g = np.ascontiguousarray(ograd, dtype=cdt).reshape(outer * inner)
    par = data.size >= PARALLEL_MIN_SIZE
    if inner == 1:
        _kernels()[("rows_bwd", par)](x.reshape(outer, n), lab, g, res.reshape(outer, n), cdt.type(0))
    else:
        _kernels()[("mid_bwd", par and outer > 1)](x.reshape(outer, n, inner), lab.reshape(outer, inner),
                                                  g.reshape(outer, inner), res.reshape(outer, n, inner),
                                                  cdt.type(0))
    return res


def _emit(res, out, shape, dtype):
    res = res.reshape(shape)
    if out is None:
        return res.astype(dtype, copy=False)
    out[...] = res
    return out


def _oshape(shape, axis, keepdims):
    ax, _, _, _ = _geometry(shape, axis)
    if keepdims:
        return tuple(1 if i == ax else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i != ax) or (1,)


@register_kernel("_softmax_ce_sparse", "cpu")
def cpu_softmax_ce_sparse(data, label, out=None, axis=-1, keepdims=False):
    return _emit(sparse_ce_forward(data, label, axis), out, _oshape(data.shape, axis, keepdims), data.dtype)


@register_kernel("_backward_softmax_ce_sparse", "cpu")
def cpu_backward_softmax_ce_sparse(ograd, data, label, out=None, axis=-1, keepdims=False):
    return _emit(sparse_ce_backward(ograd, data, label, axis), out, data.shape, data.dtype)


@register_kernel("softmax_cross_entropy", "cpu")
def cpu_softmax_cross_entropy(data, label, out=None):
    per = sparse_ce_forward(data, label, -1)
    res = np.array([np.minimum(per, per.dtype.type(_NEG_LOG_EPS)).sum(dtype=per.dtype)])
    return _emit(res, out, (1,), data.dtype)


# ---- CTC -----------------------------------------------------------------------------------------

def ctc_prepare(xp, data, label, data_lengths, label_lengths, use_data_lengths, use_label_lengths,
                blank_label):
    """Labels (int64, clipped to the alphabet), label lengths, data lengths (int64, clipped) and the
    blank index, with MXNet's padding rule. ``xp``: NumPy or CuPy."""
    dl, ll = ctc_inputs(data_lengths, label_lengths, use_data_lengths, use_label_lengths)
    T, N, C = data.shape
    lab = label.astype(np.int64)
    lmax = lab.shape[1]
    if use_label_lengths and ll is not None:
        L = xp.clip(ll.astype(np.int64), 0, lmax)
    else:
        hit = lab == (0 if blank_label == "first" else -1)
        L = (xp.where(hit.any(axis=1), hit.argmax(axis=1), lmax).astype(np.int64) if lmax
             else xp.zeros((N,), np.int64))
    if use_data_lengths and dl is not None:
        Tb = xp.clip(dl.astype(np.int64), 0, T)
    else:
        Tb = xp.full((N,), T, np.int64)
    lab = xp.ascontiguousarray(xp.clip(lab, 0, max(C - 1, 0)))
    blank = 0 if blank_label == "first" else C - 1
    return lab, xp.ascontiguousarray(L), xp.ascontiguousarray(Tb), blank


def ctc_compute(data, label, data_lengths, label_lengths, use_data_lengths, use_label_lengths, blank_label,
                ograd=None):
    """(loss (N,) float64, grad (T, N, C) float64 or None). The gradient is computed when ``ograd``
    (per-sequence scale) is given."""
    T, N, C = data.shape
    lab, L, Tb, blank = ctc_prepare(np, data, label, data_lengths, label_lengths, use_data_lengths,
                                    use_label_lengths, blank_label)
    want = ograd is not None
    loss = np.zeros(N, np.float64)
    grad = np.zeros((N, T, C), np.float64)
    if N == 0 or T == 0 or C == 0:
        return loss, (grad.transpose(1, 0, 2) if want else None)
    S = 2 * lab.shape[1] + 1
    xt = np.ascontiguousarray(data.transpose(1, 0, 2), dtype=np.float64)
    alpha = np.empty((N, T, S))
    beta = np.empty((N, T, S)) if want else np.empty((N, 1, 1))
    lp = np.empty((N, T, C))
    scale = (np.ascontiguousarray(ograd, dtype=np.float64).reshape(N) if want else np.zeros(N))
    par = N > 1 and N * T * max(S, C) >= PARALLEL_MIN_SIZE // 8
    _kernels()[("ctc", par)](xt, lab, L, Tb, blank, want, scale, grad, loss, alpha, beta, lp)
    return loss, (grad.transpose(1, 0, 2) if want else None)


@register_kernel("CTCLoss", "cpu")
def cpu_ctc_loss(data, label, data_lengths=None, label_lengths=None, out=None, use_data_lengths=False,
                 use_label_lengths=False, blank_label="first"):
    loss, _ = ctc_compute(data, label, data_lengths, label_lengths, use_data_lengths, use_label_lengths,
                          blank_label)
    return _emit(loss, out, loss.shape, data.dtype)


@register_kernel("_backward_ctc_loss", "cpu")
def cpu_backward_ctc_loss(ograd, data, label, data_lengths=None, label_lengths=None, out=None,
                          use_data_lengths=False, use_label_lengths=False, blank_label="first"):
    _, grad = ctc_compute(data, label, data_lengths, label_lengths, use_data_lengths, use_label_lengths,
                          blank_label, ograd=ograd)
    return _emit(grad, out, data.shape, data.dtype)
