"""GPU loss kernels (numba.cuda): the fused sparse softmax cross entropy and its backward, MXNet's
``softmax_cross_entropy``, and CTC.

Softmax cross entropy: the class axis is moved last (a view for the last axis, else a contiguous
copy), giving ``(rows, n)``; rows shorter than ``SHORT_ROW`` get a thread each, others a warp (or a
256-thread block for rows of ``LONG_ROW`` or more) with shared-memory max and sum trees, like
``softmax.py``. Forward writes ``lse - x[label]`` per row; backward ``(exp(x - lse) - onehot) * g``.
Labels are truncated and clipped to ``[0, n)`` on the device before the launch.

CTC: one thread block per sequence (grid-stride over the batch): the threads compute the log-softmax
of the sequence's time steps, then the alpha (and, for the gradient, beta) recursions in log space
(float64) one time step at a time with a barrier between steps (threads across the ``S = 2L + 1``
states), then ``grad = softmax - occupancy / p`` with the occupancy scattered by atomic adds, scaled
by ``ograd[b]``. Semantics as ``kernels/cpu/loss.py`` (which it equals in the GPU == CPU tests).
"""
import math

import numpy as np

from ...ops.registry import register_kernel
from ..backend import xp_of
from . import launch as L

__all__ = []

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)

if L.SIM:
    _BLOCKS = {"warp": (2, 4), "long": (1, 8)}
    SHORT_ROW, LONG_ROW = 8, 32
    CTC_THREADS = 8
else:
    _BLOCKS = {"warp": (8, 32), "long": (1, 256)}
    SHORT_ROW, LONG_ROW = 32, 2048
    CTC_THREADS = 128

_NEG_LOG_EPS = -math.log(1e-8)

_BLOCK_SRC = """
def _k(x, lab, g, out, rows, cols):
    sm = cuda.shared.array((TY, TX), ACC)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    base = cuda.blockIdx.x * TY
    while base < rows:
        row = base + ty
        ok = row < rows
        n = cols if ok else 0
        m = NEG_INF
        j = tx
        while j < n:
            v = ACC(x[row, j])
            if v > m or v != v:
                m = v
            j += TX
        sm[ty, tx] = m
        cuda.syncthreads()
        s = TX // 2
        while s > 0:
            if tx < s:
                a = sm[ty, tx]
                b = sm[ty, tx + s]
                if b > a or b != b:
                    sm[ty, tx] = b
            cuda.syncthreads()
            s //= 2
        m = sm[ty, 0]
        cuda.syncthreads()
        t = ZERO
        j = tx
        while j < n:
            t += math.exp(ACC(x[row, j]) - m)
            j += TX
        sm[ty, tx] = t
        cuda.syncthreads()
        s = TX // 2
        while s > 0:
            if tx < s:
                sm[ty, tx] = sm[ty, tx] + sm[ty, tx + s]
            cuda.syncthreads()
            s //= 2
        t = sm[ty, 0]
        cuda.syncthreads()
        if ok:
            lse = m + math.log(t)
            lb = lab[row]
            if BWD:
                gr = ACC(g[row])
                j = tx
                while j < n:
                    v = math.exp(ACC(x[row, j]) - lse) * gr
                    if j == lb:
                        v -= gr
                    out[row, j] = OT(v)
                    j += TX
            elif tx == 0:
                out[row] = OT(lse - ACC(x[row, lb]))
        base += cuda.gridDim.x * TY
"""

_THREAD_SRC = """
def _k(x, lab, g, out, rows, cols):
    row = cuda.grid(1)
    step = cuda.gridsize(1)
    while row < rows:
        m = NEG_INF
        for j in range(cols):
            v = ACC(x[row, j])
            if v > m or v != v:
                m = v
        t = ZERO
        for j in range(cols):
            t += math.exp(ACC(x[row, j]) - m)
        lse = m + math.log(t)
        lb = lab[row]
        if BWD:
            gr = ACC(g[row])
            for j in range(cols):
                v = math.exp(ACC(x[row, j]) - lse) * gr
                if j == lb:
                    v -= gr
                out[row, j] = OT(v)
        else:
            out[row] = OT(lse - ACC(x[row, lb]))
        row += step
"""

_cache = {}


def _acc(dt):
    return _F64 if dt == _F64 else _F32


def _sim_math():
    from .elementwise import _sim_math as sm
    return sm()


def _build(style, bwd, dtype):
    key = (style, bwd, dtype)
    k = _cache.get(key)
    if k is not None:
        return k
    cuda = L.cuda()
    acc = _acc(dtype)
    ty, tx = _BLOCKS.get(style, (1, 1))
    g = {"cuda": cuda, "TX": tx, "TY": ty, "BWD": bwd, "NEG_INF": acc.type(-np.inf), "ZERO": acc.type(0)}
    if L.SIM:
        g.update(ACC=acc.type, OT=dtype.type, math=_sim_math())
    else:
        import numba
        g.update(ACC=numba.from_dtype(acc), OT=numba.from_dtype(dtype), math=math)
    src = _THREAD_SRC if style == "thread" else _BLOCK_SRC
    exec(compile(src, f"<hybridnet cuda softmax_ce {style} {'bwd' if bwd else 'fwd'}>", "exec"), g)
    k = _cache[key] = cuda.jit(g["_k"])
    return k


def _rows(xp, data, label, axis):
    """(x2 (rows, n) C-contiguous, int64 labels (rows,) clipped, axis, moved-axis shape)."""
    nd = data.ndim
    ax = axis + nd if axis < 0 else axis
    xm = data if ax == nd - 1 else xp.moveaxis(data, ax, -1)
    n = xm.shape[-1]
    rows = math.prod(xm.shape[:-1])
    x2 = xp.ascontiguousarray(xm).reshape(rows, n)
    lab = xp.clip(label.astype(np.int64).reshape(rows), 0, max(n - 1, 0))
    return x2, xp.ascontiguousarray(lab), ax, xm.shape


def _launch(bwd, x2, lab, g, out):
    rows, cols = x2.shape
    style = "thread" if cols < SHORT_ROW else "warp" if cols < LONG_ROW else "long"
    k = _build(style, bwd, x2.dtype)
    args = (x2, lab, g, out, np.int64(rows), np.int64(cols))
    if style == "thread":
        L.launch(k, L.grid_for_threads(rows, L.EW_THREADS), L.EW_THREADS, *args)
    else:
        ty, tx = _BLOCKS[style]
        L.launch(k, L.grid_for_rows(-(-rows // ty)), (tx, ty), *args)


def _oshape(shape, ax, keepdims):
    if keepdims:
        return tuple(1 if i == ax else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i != ax) or (1,)


def _emit(res, out):
    if out is None:
        return res
    out[...] = res
    return out


def _forward_rows(data, label, axis):
    xp = xp_of(data)
    x2, lab, ax, _ = _rows(xp, data, label, axis)
    per = xp.empty((x2.shape[0],), data.dtype)
    if x2.size:
        _launch(False, x2, lab, lab, per)
    return per, ax


@register_kernel("_softmax_ce_sparse", "gpu")
def gpu_softmax_ce_sparse(data, label, out=None, axis=-1, keepdims=False):
    with L.on_device_of(data):
        per, ax = _forward_rows(data, label, axis)
        return _emit(per.reshape(_oshape(data.shape, ax, keepdims)), out)


@register_kernel("_backward_softmax_ce_sparse", "gpu")
def gpu_backward_softmax_ce_sparse(ograd, data, label, out=None, axis=-1, keepdims=False):
    xp = xp_of(data)
    with L.on_device_of(data):
        x2, lab, ax, mshape = _rows(xp, data, label, axis)
        g = xp.ascontiguousarray(ograd.astype(data.dtype, copy=False)).reshape(x2.shape[0])
        res = xp.empty(x2.shape, data.dtype)
        if x2.size:
            _launch(True, x2, lab, g, res)
        res = res.reshape(mshape)
        if ax != data.ndim - 1:
            res = xp.moveaxis(res, -1, ax)
        return _emit(xp.ascontiguousarray(res), out)


@register_kernel("softmax_cross_entropy", "gpu")
def gpu_softmax_cross_entropy(data, label, out=None):
    xp = xp_of(data)
    with L.on_device_of(data):
        per, _ = _forward_rows(data, label, -1)
        acc = _acc(data.dtype)
        res = xp.minimum(per.astype(acc), acc.type(_NEG_LOG_EPS)).sum(dtype=acc).reshape(1)
        return _emit(res.astype(data.dtype), out)


# ---- CTC -----------------------------------------------------------------------------------------

_CTC_SRC = """
def _k(xt, lab, Ls, Tbs, blank, want_grad, scale, grad, loss, alpha, beta, lp):
    sh = cuda.shared.array(2, float64)
    tid = int64(cuda.threadIdx.x)
    nth = int64(cuda.blockDim.x)
    N = xt.shape[0]
    C = xt.shape[2]
    b = int64(cuda.blockIdx.x)
    while b < N:
        L = Ls[b]
        Tb = Tbs[b]
        S = 2 * L + 1
        if tid == 0:
            rep = 0
            for k in range(1, L):
                if lab[b, k] == lab[b, k - 1]:
                    rep += 1
            sh[0] = 1.0 if (Tb > 0 and L + rep <= Tb) else 0.0
        cuda.syncthreads()
        feasible = sh[0] > 0.5
        cuda.syncthreads()
        if feasible:
            # log-softmax per time step (a thread per time step)
            tq = tid
            while tq < Tb:
                m = xt[b, tq, 0]
                for c in range(C):
                    v = xt[b, tq, c]
                    if v > m or v != v:
                        m = v
                z = 0.0
                for c in range(C):
                    z += math.exp(xt[b, tq, c] - m)
                lz = m + math.log(z)
                for c in range(C):
                    lp[b, tq, c] = xt[b, tq, c] - lz
                tq += nth
            cuda.syncthreads()
            si = tid
            while si < S:
                a = NEG_INF
                if si == 0:
                    a = lp[b, 0, blank]
                elif si == 1:
                    a = lp[b, 0, lab[b, 0]]
                alpha[b, 0, si] = a
                si += nth
            cuda.syncthreads()
            for t in range(1, Tb):
                si = tid
                while si < S:
                    ls = blank if si % 2 == 0 else lab[b, (si - 1) // 2]
                    a = alpha[b, t - 1, si]
                    if si >= 1:
                        a = lse2(a, alpha[b, t - 1, si - 1])
                    if si >= 2 and ls != blank:
                        if ls != (blank if si % 2 == 0 else lab[b, (si - 3) // 2]):
                            a = lse2(a, alpha[b, t - 1, si - 2])
                    alpha[b, t, si] = a + lp[b, t, ls] if a != NEG_INF else NEG_INF
                    si += nth
                cuda.syncthreads()
            if tid == 0:
                ll0 = alpha[b, Tb - 1, S - 1]
                if S > 1:
                    ll0 = lse2(ll0, alpha[b, Tb - 1, S - 2])
                sh[1] = ll0
                loss[b] = -ll0
            cuda.syncthreads()
            ll = sh[1]
            cuda.syncthreads()
            if want_grad and ll != NEG_INF:
                si = tid
                while si < S:
                    w = NEG_INF
                    if si == S - 1:
                        w = lp[b, Tb - 1, blank]
                    elif si == S - 2:
                        w = lp[b, Tb - 1, lab[b, L - 1]]
                    beta[b, Tb - 1, si] = w
                    si += nth
                cuda.syncthreads()
                for tt in range(Tb - 1):
                    t2 = Tb - 2 - tt
                    si = tid
                    while si < S:
                        ls = blank if si % 2 == 0 else lab[b, (si - 1) // 2]
                        w = beta[b, t2 + 1, si]
                        if si + 1 < S:
                            w = lse2(w, beta[b, t2 + 1, si + 1])
                        if si + 2 < S and ls != blank:
                            if ls != (blank if si % 2 == 0 else lab[b, (si + 1) // 2]):
                                w = lse2(w, beta[b, t2 + 1, si + 2])
                        beta[b, t2, si] = w + lp[b, t2, ls] if w != NEG_INF else NEG_INF
                        si += nth
                    cuda.syncthreads()
                i = tid
                while i < Tb * C:
                    t3 = i // C
                    c3 = i - t3 * C
                    grad[b, t3, c3] = math.exp(lp[b, t3, c3])
                    i += nth
                cuda.syncthreads()
                i = tid
                while i < Tb * S:
                    t3 = i // S
                    s3 = i - t3 * S
                    ab = alpha[b, t3, s3] + beta[b, t3, s3]
                    if ab != NEG_INF:
                        ls = blank if s3 % 2 == 0 else lab[b, (s3 - 1) // 2]
                        cuda.atomic.add(grad, (b, t3, ls), -math.exp(ab - lp[b, t3, ls] - ll))
                    i += nth
                cuda.syncthreads()
                sc = scale[b]
                i = tid
                while i < Tb * C:
                    t3 = i // C
                    c3 = i - t3 * C
                    grad[b, t3, c3] = grad[b, t3, c3] * sc
                    i += nth
        elif tid == 0:
            loss[b] = 0.0
        cuda.syncthreads()
        b += int64(cuda.gridDim.x)
"""


def _lse2_src():
    return """
def lse2(a, b):
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    if a > b:
        return a + math.log1p(math.exp(b - a))
    return b + math.log1p(math.exp(a - b))
"""


def _build_ctc():
    k = _cache.get("ctc")
    if k is not None:
        return k
    cuda = L.cuda()
    g = {"cuda": cuda, "NEG_INF": -np.inf}
    if L.SIM:
        g.update(math=_sim_math(), float64=np.float64, int64=np.int64)
    else:
        import numba
        g.update(math=math, float64=numba.float64, int64=numba.int64)
    exec(compile(_lse2_src(), "<hybridnet cuda ctc lse2>", "exec"), g)
    g["lse2"] = cuda.jit(device=True)(g["lse2"])
    exec(compile(_CTC_SRC, "<hybridnet cuda ctc>", "exec"), g)
    k = _cache["ctc"] = cuda.jit(g["_k"])
    return k


def _ctc(data, label, data_lengths, label_lengths, use_data_lengths, use_label_lengths, blank_label, ograd=None):
    from ..cpu.loss import ctc_prepare
    xp = xp_of(data)
    T, N, C = data.shape
    want = ograd is not None
    loss = xp.zeros((N,), np.float64)
    grad = xp.zeros((N, T, C), np.float64)
    if N and T and C:
        lab, Ls, Tbs, blank = ctc_prepare(xp, data, label, data_lengths, label_lengths, use_data_lengths,
                                          use_label_lengths, blank_label)
        S = 2 * lab.shape[1] + 1
        xt = xp.ascontiguousarray(xp.transpose(data, (1, 0, 2)).astype(np.float64))
        alpha = xp.empty((N, T, S), np.float64)
        beta = xp.empty((N, T, S), np.float64) if want else xp.empty((N, 1, 1), np.float64)
        lp = xp.empty((N, T, C), np.float64)
        scale = (xp.ascontiguousarray(ograd.astype(np.float64)).reshape(N) if want
                 else xp.zeros((N,), np.float64))
        L.launch(_build_ctc(), L.grid_for_rows(N), CTC_THREADS, xt, lab, Ls, Tbs, np.int64(blank),
                 np.bool_(want), scale, grad, loss, alpha, beta, lp)
    return loss, (xp.transpose(grad, (1, 0, 2)) if want else None)


@register_kernel("CTCLoss", "gpu")
def gpu_ctc_loss(data, label, data_lengths=None, label_lengths=None, out=None, use_data_lengths=False,
                 use_label_lengths=False, blank_label="first"):
    with L.on_device_of(data):
        loss, _ = _ctc(data, label, data_lengths, label_lengths, use_data_lengths, use_label_lengths, blank_label)
        return _emit(loss.astype(data.dtype), out)


@register_kernel("_backward_ctc_loss", "gpu")
def gpu_backward_ctc_loss(ograd, data, label, data_lengths=None, label_lengths=None, out=None,
                          use_data_lengths=False, use_label_lengths=False, blank_label="first"):
    with L.on_device_of(data):
        _, grad = _ctc(data, label, data_lengths, label_lengths, use_data_lengths, use_label_lengths, blank_label,
                       ograd=ograd)
        xp = xp_of(data)
        return _emit(xp.ascontiguousarray(grad.astype(data.dtype)), out)
