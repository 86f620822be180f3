"""CPU kernels of ``ops/norm.py`` (BatchNorm, ``_contrib_BatchNormWithReLU``, ``_contrib_SyncBatchNorm``;
LayerNorm, GroupNorm, InstanceNorm, L2Normalization: see "Row normalisations" below).

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

from ...ops.norm import bn_layout, bn_param_dtype, compute_dtype, l2_layout, l2_norm_shape
from ...ops.registry import register_kernel
from ..generic import norm as _generic
from ..generic.norm import finish_stats, use_batch_stats
from .threading import PARALLEL_MIN_SIZE

__all__ = ["batch_norm", "batch_norm_backward", "layer_norm", "layer_norm_backward", "group_norm", "instance_norm", "l2_normalization"]

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

    def make_bwd(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par, error_model="numpy")
        def bwd(g3, x3, mean, inv, gam, gm, gv, f, n, dx3, db, dd):
            # _backward_BatchNorm per channel: one pass for sum(g) and sum(g * xhat) (float64, reassociating
            # adds), then dx = g * sc + xhat * k1 + k0 with typed channel constants
            O, C, I = x3.shape
            for c in rng(C):
                mu = mean[c]
                iv = inv[c]
                a = 0.0
                b = 0.0
                for o in range(O):
                    for i in range(I):
                        gi = g3[o, c, i]
                        xh = (x3[o, c, i] - mu) * iv
                        a = radd(a, np.float64(gi))
                        b = radd(b, np.float64(gi * xh))
                db[c] = a
                dd[c] = b
                ivd = np.float64(iv)
                sc = ivd * np.float64(gam[c])
                kk = np.empty(3, x3.dtype)
                kk[0] = sc
                kk[1] = f * (np.float64(gm[c]) - sc * a) / n
                kk[2] = -f * (sc * b + np.float64(gv[c]) * ivd * ivd) / n
                sct = kk[0]
                k0 = kk[1]
                k1 = kk[2]
                for o in range(O):
                    for i in range(I):
                        xh = (x3[o, c, i] - mu) * iv
                        dx3[o, c, i] = g3[o, c, i] * sct + xh * k1 + k0
            return 0
        return bwd

    def make_bwd_last(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par, error_model="numpy")
        def bwd_last(g2, x2, mean, inv, gam, gm, gv, f, n, dx2, db, dd, nblk):
            # channels last (N, C): per-block channel sums (rows split into nblk blocks), then the rows
            N, C = x2.shape
            pa = np.zeros((nblk, C))
            pb = np.zeros((nblk, C))
            step = (N + nblk - 1) // nblk
            for bi in rng(nblk):
                for r in range(bi * step, min(N, bi * step + step)):
                    for c in range(C):
                        gi = g2[r, c]
                        xh = (x2[r, c] - mean[c]) * inv[c]
                        pa[bi, c] += gi
                        pb[bi, c] += gi * xh
            sct = np.empty(C, x2.dtype)
            k0 = np.empty(C, x2.dtype)
            k1 = np.empty(C, x2.dtype)
            for c in range(C):
                a = 0.0
                b = 0.0
                for bi in range(nblk):
                    a += pa[bi, c]
                    b += pb[bi, c]
                db[c] = a
                dd[c] = b
                ivd = np.float64(inv[c])
                sc = ivd * np.float64(gam[c])
                sct[c] = sc
                k0[c] = f * (np.float64(gm[c]) - sc * a) / n
                k1[c] = -f * (sc * b + np.float64(gv[c]) * ivd * ivd) / n
            for r in rng(N):
                for c in range(C):
                    xh = (x2[r, c] - mean[c]) * inv[c]
                    dx2[r, c] = g2[r, c] * sct[c] + xh * k1[c] + k0[c]
            return 0
        return bwd_last

    k = _JIT["k"] = SimpleNamespace(
        stats=(make_stats(False), make_stats(True)), stats_last=(make_stats_last(False), make_stats_last(True)),
        norm=(make_norm(False), make_norm(True)), norm_last=(make_norm_last(False), make_norm_last(True)),
        bwd=(make_bwd(False), make_bwd(True)), bwd_last=(make_bwd_last(False), make_bwd_last(True)))
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


# The backward's prange variants were never faster on the 2-core machine (memory-bound passes; serial vs
# prange us: (32, 16, 32, 32) 183 / 203, (32, 64, 56, 56) 5271 / 5686, channels-last (8, 32, 32, 64) 272 / 733,
# (256, 512) 113 / 163; BENCHMARKS.md "BatchNorm backward"), so they start only from 16 Mi elements.
BN_BWD_PARALLEL_MIN_SIZE = 256 * PARALLEL_MIN_SIZE


@register_kernel("_backward_BatchNorm", "cpu")
def batch_norm_backward(grad_out, data, gamma, mean, invstd, flag, grad_mean=None, grad_var=None, out=None, axis=1,
                        fix_gamma=True, **_):
    """BatchNorm's gradient (``_backward_BatchNorm``): one Numba call, one pass per channel for the sums and
    one writing grad_data; the optional mean/invstd head gradients (zeros when absent) and the batch-stats
    flag are folded into the channel constants. Parallel from ``BN_BWD_PARALLEL_MIN_SIZE`` elements."""
    ax = axis % data.ndim
    O, C, I = bn_layout(data.shape, ax)
    if data.size == 0:
        return _generic.batch_norm_backward(grad_out, data, gamma, mean, invstd, flag, grad_mean, grad_var,
                                            axis=axis, fix_gamma=fix_gamma, out=out)
    pdt = bn_param_dtype(data.dtype)
    x3 = np.ascontiguousarray(data, dtype=pdt).reshape(O, C, I)
    g3 = np.ascontiguousarray(grad_out, dtype=pdt).reshape(O, C, I)
    vec = lambda v: np.zeros(C, pdt) if v is None else np.ascontiguousarray(v, dtype=pdt)  # noqa: E731
    gam = np.ones(C, pdt) if fix_gamma else vec(gamma)
    want = out[0] if isinstance(out, (tuple, list)) else out
    direct = want is not None and want.dtype == pdt and want.flags.c_contiguous
    dx = want if direct else np.empty((O, C, I), pdt)
    db, dd = np.empty(C), np.empty(C)
    par = O * C * I >= BN_BWD_PARALLEL_MIN_SIZE
    k = _kernels()
    args = (vec(mean), vec(invstd), gam, vec(grad_mean), vec(grad_var), float(flag.reshape(-1)[0]), float(O * I))
    if I == 1:
        k.bwd_last[par](g3.reshape(O, C), x3.reshape(O, C), *args, dx.reshape(O, C), db, dd,
                        _threads() if par else 1)
    else:
        k.bwd[par](g3, x3, *args, dx.reshape(O, C, I), db, dd)
    if not direct:
        dx = dx.astype(data.dtype, copy=False).reshape(data.shape)
    dgamma = np.zeros(C, pdt) if fix_gamma else dd.astype(pdt)
    return _emit((dx, dgamma, db.astype(pdt)), out)


# ---- Row normalisations: LayerNorm, GroupNorm, InstanceNorm, L2Normalization ---------------------------
#
# The data is viewed as rows (R, L) -- LayerNorm over the last axis, GroupNorm's (N*G, C/G*...),
# InstanceNorm's (N*C, ...), L2Normalization's instance/spatial modes -- or as (O, C, I) reduced over
# the middle axis C (LayerNorm over another axis, L2Normalization's channel mode). One kernel call per
# op: per row (or per outer index) one statistics pass accumulating the shifted sums sum(x - k) and
# sum((x - k)**2) in float64 (k = the row's first element: accurate for means large against the spread)
# with reassociating adds (vectorised), then the normalisation pass over the same row (still in cache),
# in the compute dtype (float32 for float32 data) with the row's mean and 1/std as typed constants.
# ``prange`` over rows from ROW_PARALLEL_MIN_SIZE elements (``error_model="numpy"``: Python's error model
# puts a zero-divisor branch in L2Normalization's ``x / norm`` loop, which then stayed scalar, 4x slower).
# float16 data is computed in float32. Empty reductions (and 0-size data) go to the array-API body (NaN
# statistics). Measured against the NumPy composite (kernels/generic/norm.py) in BENCHMARKS.md "LayerNorm".
# LayerNorm's backward (``_backward_LayerNorm``) is the same shape of kernel: per row one pass for the sums
# of gx = g * gamma and gx * xhat (and the dgamma/dbeta column sums), one pass writing dx; parallel over
# blocks of rows with the forward's threshold.

_RJIT = {}


def _row_kernels():
    k = _RJIT.get("k")
    if k is not None:
        return k
    from types import SimpleNamespace

    from numba import njit, prange

    from .simd import helpers
    radd = helpers().radd

    def make_rows(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par, error_model="numpy")
        def rows(x2, gamma, beta, period, per_col, eps, want_var, y2, m_out, s_out, inv_t):
            # per_col: gamma/beta indexed by column (LayerNorm); else by row % period (Group/InstanceNorm)
            R, L = x2.shape
            for r in rng(R):
                k = np.float64(x2[r, 0])
                a = 0.0
                b = 0.0
                for i in range(L):
                    d = np.float64(x2[r, i]) - k
                    a = radd(a, d)
                    b = radd(b, d * d)
                ma = a / L
                v = b / L - ma * ma
                if v < 0.0:
                    v = 0.0
                sd = np.sqrt(v + eps)
                m_out[r] = k + ma
                s_out[r] = v if want_var else sd
                inv_t[r] = 1.0 / sd
                mu = m_out[r]
                inv = inv_t[r]
                if per_col:
                    for i in range(L):
                        y2[r, i] = (x2[r, i] - mu) * inv * gamma[i] + beta[i]
                else:
                    p = r % period
                    sc = gamma[p] * inv
                    bb = beta[p]
                    for i in range(L):
                        y2[r, i] = (x2[r, i] - mu) * sc + bb
            return 0
        return rows

    def make_mid(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par, error_model="numpy")
        def mid(x3, gamma, beta, eps, y3, m_out, s_out):
            O, C, I = x3.shape
            for o in rng(O):
                a = np.zeros(I)
                b = np.zeros(I)
                for c in range(C):
                    for i in range(I):
                        d = np.float64(x3[o, c, i]) - np.float64(x3[o, 0, i])
                        a[i] += d
                        b[i] += d * d
                mu = np.empty(I, x3.dtype)    # local rows: no aliasing with y3 (keeps the loop vectorised)
                iv = np.empty(I, x3.dtype)
                for i in range(I):
                    ma = a[i] / C
                    v = b[i] / C - ma * ma
                    if v < 0.0:
                        v = 0.0
                    sd = np.sqrt(v + eps)
                    m_out[o, i] = np.float64(x3[o, 0, i]) + ma
                    s_out[o, i] = sd
                    mu[i] = m_out[o, i]
                    iv[i] = 1.0 / sd
                for c in range(C):
                    g = gamma[c]
                    bb = beta[c]
                    for i in range(I):
                        y3[o, c, i] = (x3[o, c, i] - mu[i]) * iv[i] * g + bb
            return 0
        return mid

    def make_l2_rows(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par, error_model="numpy")
        def l2_rows(x2, eps, y2, n_out):
            R, L = x2.shape
            for r in rng(R):
                a = 0.0
                for i in range(L):
                    d = np.float64(x2[r, i])
                    a = radd(a, d * d)
                n_out[r] = np.sqrt(a + eps)
                nv = n_out[r]
                for i in range(L):
                    y2[r, i] = x2[r, i] / nv
            return 0
        return l2_rows

    def make_l2_mid(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par, error_model="numpy")
        def l2_mid(x3, eps, y3, n_out):
            O, C, I = x3.shape
            for o in rng(O):
                a = np.zeros(I)
                for c in range(C):
                    for i in range(I):
                        d = np.float64(x3[o, c, i])
                        a[i] += d * d
                nv = np.empty(I, x3.dtype)    # a local row: no aliasing with y3 (keeps the loop vectorised)
                for i in range(I):
                    nv[i] = np.sqrt(a[i] + eps)
                    n_out[o, i] = nv[i]
                for c in range(C):
                    for i in range(I):
                        y3[o, c, i] = x3[o, c, i] / nv[i]
            return 0
        return l2_mid

    def make_bwd_rows(par, wide):
        rng = prange if par else range

        @njit(cache=True, parallel=par, error_model="numpy")
        def bwd_rows(g2, x2, gamma, mean, inv, gm, gs, dx2, pg, pb):
            # LayerNorm's backward over rows, split into pg.shape[0] blocks (one per thread when parallel).
            # Per row: the sums of gx = g * gamma and gx * xhat (float64 when ``wide``, else the compute dtype
            # with reassociating adds), then dx = g * gamma * inv + xhat * k1 + k0 with typed row constants.
            # dgamma/dbeta: per-block column sums in the compute dtype flushed into float64 every 64 rows.
            R, L = x2.shape
            nblk = pg.shape[0]
            step = (R + nblk - 1) // nblk
            for bi in rng(nblk):
                cg = np.zeros(L, x2.dtype)
                cb = np.zeros(L, x2.dtype)
                kk = np.zeros(2, x2.dtype)
                r0 = bi * step
                r1 = min(R, r0 + step)
                for r in range(r0, r1):
                    mu = mean[r]
                    iv = inv[r]
                    if wide:
                        a = 0.0
                        b = 0.0
                        for i in range(L):
                            gi = g2[r, i]
                            xh = (x2[r, i] - mu) * iv
                            gx = gi * gamma[i]
                            a = radd(a, np.float64(gx))
                            b = radd(b, np.float64(gx * xh))
                            cg[i] += gi * xh
                            cb[i] += gi
                        sa = a
                        sb = b
                    else:
                        kk[0] = 0
                        an = kk[0]
                        bn = kk[0]
                        for i in range(L):
                            gi = g2[r, i]
                            xh = (x2[r, i] - mu) * iv
                            gx = gi * gamma[i]
                            an = radd(an, gx)
                            bn = radd(bn, gx * xh)
                            cg[i] += gi * xh
                            cb[i] += gi
                        sa = np.float64(an)
                        sb = np.float64(bn)
                    if (r - r0) % 64 == 63 or r == r1 - 1:
                        for i in range(L):
                            pg[bi, i] += cg[i]
                            pb[bi, i] += cb[i]
                            cg[i] = 0
                            cb[i] = 0
                    # dx = (gx - sa/L - xh * sb/L) * iv + gm/L + gs/L * xh
                    kk[0] = np.float64(gm[r]) / L - sa / L * np.float64(iv)
                    kk[1] = np.float64(gs[r]) / L - sb / L * np.float64(iv)
                    k0 = kk[0]
                    k1 = kk[1]
                    for i in range(L):
                        xh = (x2[r, i] - mu) * iv
                        dx2[r, i] = g2[r, i] * gamma[i] * iv + xh * k1 + k0
            return 0
        return bwd_rows

    def make_bwd_mid(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par, error_model="numpy")
        def bwd_mid(g3, x3, gamma, mean, inv, gm, gs, dx3, pg, pb, acc):
            # LayerNorm's backward over the middle axis of (O, C, I): per outer index the sums over C for each
            # inner position in acc's dtype (float64 for long reductions, else the compute dtype), per-block
            # float64 sums for dgamma/dbeta
            O, C, I = x3.shape
            nblk = pg.shape[0]
            step = (O + nblk - 1) // nblk
            for bi in rng(nblk):
                s1 = acc[bi, 0]
                s2 = acc[bi, 1]
                mu = np.empty(I, x3.dtype)    # local rows: no aliasing with dx3 (keeps the loops vectorised)
                iv = np.empty(I, x3.dtype)
                k0 = np.empty(I, x3.dtype)
                k1 = np.empty(I, x3.dtype)
                for o in range(bi * step, min(O, bi * step + step)):
                    for i in range(I):
                        mu[i] = mean[o, i]
                        iv[i] = inv[o, i]
                        s1[i] = 0
                        s2[i] = 0
                    for c in range(C):
                        gc = gamma[c]
                        ag = 0.0
                        ab = 0.0
                        for i in range(I):
                            gi = g3[o, c, i]
                            xh = (x3[o, c, i] - mu[i]) * iv[i]
                            gx = gi * gc
                            s1[i] += gx
                            s2[i] += gx * xh
                            ag = radd(ag, np.float64(gi * xh))
                            ab = radd(ab, np.float64(gi))
                        pg[bi, c] += ag
                        pb[bi, c] += ab
                    for i in range(I):
                        ivd = np.float64(iv[i])
                        k0[i] = np.float64(gm[o, i]) / C - np.float64(s1[i]) / C * ivd
                        k1[i] = np.float64(gs[o, i]) / C - np.float64(s2[i]) / C * ivd
                    for c in range(C):
                        gc = gamma[c]
                        for i in range(I):
                            xh = (x3[o, c, i] - mu[i]) * iv[i]
                            dx3[o, c, i] = g3[o, c, i] * gc * iv[i] + xh * k1[i] + k0[i]
            return 0
        return bwd_mid

    k = _RJIT["k"] = SimpleNamespace(
        rows=(make_rows(False), make_rows(True)), mid=(make_mid(False), make_mid(True)),
        bwd_rows={(p, w): make_bwd_rows(p, w) for p in (False, True) for w in (False, True)},
        bwd_mid=(make_bwd_mid(False), make_bwd_mid(True)),
        l2_rows=(make_l2_rows(False), make_l2_rows(True)), l2_mid=(make_l2_mid(False), make_l2_mid(True)))
    return k


# Row / middle-axis kernels go parallel only from 64x PARALLEL_MIN_SIZE: their serial loops run at memory
# speed and the prange variants were never faster up to 8 Mi float32 elements on the 2-core machine
# (BENCHMARKS.md "LayerNorm"; e.g. (1024, 256): 74 us serial vs 87 us prange), as BatchNorm's rows.
ROW_PARALLEL_MIN_SIZE = 64 * PARALLEL_MIN_SIZE


def _par(size, n_outer):
    return size >= ROW_PARALLEL_MIN_SIZE and n_outer >= 2


def _prep(data, shape):
    """The data as a C-contiguous array of the compute dtype, viewed as ``shape``."""
    return np.ascontiguousarray(data, dtype=compute_dtype(data.dtype)).reshape(shape)


def _y_buffer(data, out, shape):
    """Where the kernel writes the output: ``out`` itself when it is C-contiguous in the compute dtype."""
    want = out[0] if isinstance(out, (tuple, list)) else out
    if want is not None and want.dtype == compute_dtype(data.dtype) and want.flags.c_contiguous:
        return want.reshape(shape), want
    return np.empty(shape, compute_dtype(data.dtype)), None


def _finish(data, y, direct, stats, out):
    if direct is None:
        y = y.astype(data.dtype, copy=False).reshape(data.shape)
    else:
        y = direct
    return _emit((y,) + tuple(s.astype(data.dtype, copy=False) for s in stats), out)


def _rows_norm(data, gamma, beta, R, L, period, per_col, eps, want_var, out):
    cdt = compute_dtype(data.dtype)
    x2 = _prep(data, (R, L))
    y2, direct = _y_buffer(data, out, (R, L))
    m, s, inv = np.empty(R, cdt), np.empty(R, cdt), np.empty(R, cdt)
    g = np.ascontiguousarray(gamma, dtype=cdt)
    b = np.ascontiguousarray(beta, dtype=cdt)
    _row_kernels().rows[_par(R * L, R)](x2, g, b, period, per_col, float(eps), want_var, y2, m, s, inv)
    return y2, direct, m, s


@register_kernel("LayerNorm", "cpu")
def layer_norm(data, gamma, beta, out=None, axis=-1, eps=1e-5, **_):
    ax = axis % data.ndim
    O, C, I = bn_layout(data.shape, ax)
    if data.size == 0 or C == 0:
        return _generic.layer_norm(data, gamma, beta, axis=axis, eps=eps, out=out)
    st = tuple(1 if i == ax else d for i, d in enumerate(data.shape))
    if I == 1:
        y, direct, m, s = _rows_norm(data, gamma, beta, O, C, 1, True, eps, False, out)
    else:
        cdt = compute_dtype(data.dtype)
        x3 = _prep(data, (O, C, I))
        y, direct = _y_buffer(data, out, (O, C, I))
        m, s = np.empty((O, I), cdt), np.empty((O, I), cdt)
        _row_kernels().mid[_par(O * C * I, O)](x3, np.ascontiguousarray(gamma, dtype=cdt),
                                               np.ascontiguousarray(beta, dtype=cdt), float(eps), y, m, s)
    return _finish(data, y, direct, (m.reshape(st), s.reshape(st)), out)


# Reductions longer than this accumulate the backward's row sums in float64; shorter ones in the compute
# dtype with reassociating (lane-parallel) adds: each partial sum then holds a small fraction of the row,
# within a few ulps of the float64 result, and the (1024, 256) row kernel ran ~75 vs ~105 us (BENCHMARKS.md
# "LayerNorm backward").
BWD_WIDE_ROW = 4096


@register_kernel("_backward_LayerNorm", "cpu")
def layer_norm_backward(grad_out, data, gamma, mean, std, grad_mean=None, grad_std=None, out=None, axis=-1, **_):
    """LayerNorm's gradient (``_backward_LayerNorm``): one Numba call; the optional mean/std head gradients
    are per-row vectors (zeros when absent) folded into the row constants."""
    ax = axis % data.ndim
    O, C, I = bn_layout(data.shape, ax)
    if data.size == 0 or C == 0:
        return _generic.layer_norm_backward(grad_out, data, gamma, mean, std, grad_mean, grad_std, axis=axis,
                                            out=out)
    cdt = compute_dtype(data.dtype)
    x3 = _prep(data, (O, C, I))
    g3 = _prep(grad_out, (O, C, I))
    mu = _prep(mean, (O, I))
    inv = cdt.type(1) / _prep(std, (O, I))
    gm = np.zeros((O, I), cdt) if grad_mean is None else _prep(grad_mean, (O, I))
    gs = np.zeros((O, I), cdt) if grad_std is None else _prep(grad_std, (O, I))
    gam = np.ascontiguousarray(gamma, dtype=cdt)
    dx, direct = _y_buffer(data, out, (O, C, I))
    par = _par(O * C * I, O)
    nblk = min(_threads(), O) if par else 1
    pg, pb = np.zeros((nblk, C)), np.zeros((nblk, C))
    wide = C > BWD_WIDE_ROW
    k = _row_kernels()
    if I == 1:
        k.bwd_rows[par, wide](g3.reshape(O, C), x3.reshape(O, C), gam, mu.reshape(O), inv.reshape(O), gm.reshape(O),
                              gs.reshape(O), dx.reshape(O, C), pg, pb)
    else:
        acc = np.empty((nblk, 2, I), np.float64 if wide else cdt)
        k.bwd_mid[par](g3, x3, gam, mu, inv, gm, gs, dx, pg, pb, acc)
    return _finish(data, dx, direct, (pg.sum(axis=0), pb.sum(axis=0)), out)


def _grouped_norm(data, gamma, beta, k, eps, want_var, out):
    N = data.shape[0]
    rest = data.size // (N * k) if N * k else 0
    y, direct, m, s = _rows_norm(data, gamma, beta, N * k, rest, k, False, eps, want_var, out)
    return _finish(data, y, direct, (m.reshape(N, k), s.reshape(N, k)), out)


@register_kernel("GroupNorm", "cpu")
def group_norm(data, gamma, beta, out=None, num_groups=1, eps=1e-5, **_):
    if data.size == 0:
        return _generic.group_norm(data, gamma, beta, num_groups=num_groups, eps=eps, out=out)
    return _grouped_norm(data, gamma, beta, num_groups, eps, False, out)


@register_kernel("InstanceNorm", "cpu")
def instance_norm(data, gamma, beta, out=None, eps=1e-3, **_):
    if data.size == 0:
        return _generic.instance_norm(data, gamma, beta, eps=eps, out=out)
    return _grouped_norm(data, gamma, beta, data.shape[1], eps, True, out)


@register_kernel("L2Normalization", "cpu")
def l2_normalization(data, out=None, eps=1e-10, mode="instance", **_):
    if data.size == 0:
        return _generic.l2_normalization(data, eps=eps, mode=mode, out=out)
    cdt = compute_dtype(data.dtype)
    O, R, I = l2_layout(data.shape, mode)
    k = _row_kernels()
    if I == 1:
        x2 = _prep(data, (O, R))
        y, direct = _y_buffer(data, out, (O, R))
        nrm = np.empty(O, cdt)
        k.l2_rows[_par(O * R, O)](x2, float(eps), y, nrm)
    else:
        x3 = _prep(data, (O, R, I))
        y, direct = _y_buffer(data, out, (O, R, I))
        nrm = np.empty((O, I), cdt)
        k.l2_mid[_par(O * R * I, O)](x3, float(eps), y, nrm)
    return _finish(data, y, direct, (nrm.reshape(l2_norm_shape(data.shape, mode)),), out)
