"""CPU kernels of ``ops/pool.py``'s ``Pooling`` and ``_backward_Pooling_linear`` (Numba).

The data is viewed channels-first as ``(P, D, H, W)`` with ``P = N*C`` planes (1-D and 2-D pooling get
unit leading spatial axes; channels-last data is transposed to channels-first once and back). The window
bounds of every output position are precomputed per axis (``ops.pool.PoolGeometry``: the window clipped
to the input, and the avg divisor factor), so the loops are: planes (``prange`` from
``PARALLEL_MIN_SIZE`` input elements), output positions, window cells.

- max: strict ``>`` from -inf, so the first maximum in row-major window order wins (MXNet's tie rule);
  its flat index into the data is the hidden second output; an empty window gives the dtype's lowest
  value and index -1;
- sum / avg / lp: float64 accumulation, divided by the window divisor (avg), p-th power / root (lp);
- global avg/sum: one NumPy reduction over each contiguous plane;
- ``_backward_Pooling_linear``: each output gradient (divided for avg) added to its window's cells, planes in
  parallel (no two threads write one plane).

float16 data is computed in float32. Measured in BENCHMARKS.md "Pooling".
"""
import numpy as np

from ...dtypes import compute_dtype
from ...ops.pool import pool_geometry
from ...ops.registry import get_op, register_kernel
from ...ops.spec import TensorSpec
from ..generic.nn_basic import emit_outputs
from ..generic.pool import canonical, channels_last_index, restore_layout
from .threading import PARALLEL_MIN_SIZE

__all__ = ["pooling", "backward_pooling"]

_POOL = get_op("Pooling")
_BPOOL = get_op("_backward_Pooling_linear")
_JIT = {}


def _kernels():
    k = _JIT.get("k")
    if k is not None:
        return k
    from types import SimpleNamespace

    from numba import njit, prange

    def make_max(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def pool_max(x, ds, de, hs, he, ws, we, y, idx, lowest, ninf):
            P, D, H, W = x.shape
            OD, OH, OW = ds.shape[0], hs.shape[0], ws.shape[0]
            for p in rng(P):
                base = p * D * H * W
                for od in range(OD):
                    for oh in range(OH):
                        for ow in range(OW):
                            best = ninf
                            bi = -1
                            for d in range(ds[od], de[od]):
                                for h in range(hs[oh], he[oh]):
                                    for w in range(ws[ow], we[ow]):
                                        v = x[p, d, h, w]
                                        if v > best:
                                            best = v
                                            bi = base + (d * H + h) * W + w
                            if bi < 0:
                                y[p, od, oh, ow] = lowest
                            else:
                                y[p, od, oh, ow] = best
                            idx[p, od, oh, ow] = bi
            return 0
        return pool_max

    def make_sum(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def pool_sum(x, ds, de, dd, hs, he, hd, ws, we, wd, y, avg, pval):
            P = x.shape[0]
            OD, OH, OW = ds.shape[0], hs.shape[0], ws.shape[0]
            for p in rng(P):
                for od in range(OD):
                    for oh in range(OH):
                        for ow in range(OW):
                            acc = 0.0
                            for d in range(ds[od], de[od]):
                                for h in range(hs[oh], he[oh]):
                                    for w in range(ws[ow], we[ow]):
                                        v = np.float64(x[p, d, h, w])
                                        if pval == 2:
                                            v = v * v
                                        elif pval == 3:
                                            v = v * v * v
                                        acc += v
                            if avg:
                                div = dd[od] * hd[oh] * wd[ow]
                                acc = acc / div if div > 0 else 0.0
                            elif pval == 2:
                                acc = np.sqrt(acc)
                            elif pval == 3:
                                acc = np.cbrt(acc)
                            y[p, od, oh, ow] = acc
            return 0
        return pool_sum

    def make_unpool(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def unpool_sum(g, ds, de, dd, hs, he, hd, ws, we, wd, dx, avg):
            P = g.shape[0]
            OD, OH, OW = ds.shape[0], hs.shape[0], ws.shape[0]
            for p in rng(P):
                for od in range(OD):
                    for oh in range(OH):
                        for ow in range(OW):
                            v = g[p, od, oh, ow]
                            if avg:
                                div = dd[od] * hd[oh] * wd[ow]
                                v = v / div if div > 0 else v * 0
                            for d in range(ds[od], de[od]):
                                for h in range(hs[oh], he[oh]):
                                    for w in range(ws[ow], we[ow]):
                                        dx[p, d, h, w] += v
            return 0
        return unpool_sum

    def make_dense(par):
        rng = prange if par else range

        @njit(cache=True, parallel=par)
        def max_dense(x, kh, kw, sh, sw, y, idx, ninf):
            # every window lies inside (no padding, valid): fixed trip counts, no clipping
            P, H, W = x.shape
            OH, OW = y.shape[1], y.shape[2]
            for p in rng(P):
                base = p * H * W
                for oh in range(OH):
                    h0 = oh * sh
                    for ow in range(OW):
                        w0 = ow * sw
                        best = ninf
                        bi = -1
                        for i in range(kh):
                            for j in range(kw):
                                v = x[p, h0 + i, w0 + j]
                                gt = v > best          # selects, not branches (random data mispredicts)
                                bi = (h0 + i) * W + w0 + j if gt else bi
                                best = v if gt else best
                        y[p, oh, ow] = best
                        idx[p, oh, ow] = base + bi if bi >= 0 else -1
            return 0

        @njit(cache=True, parallel=par)
        def sum_dense(x, kh, kw, sh, sw, y, scale):
            P, H, W = x.shape
            OH, OW = y.shape[1], y.shape[2]
            for p in rng(P):
                for oh in range(OH):
                    h0 = oh * sh
                    for ow in range(OW):
                        w0 = ow * sw
                        acc = 0.0
                        for i in range(kh):
                            for j in range(kw):
                                acc += x[p, h0 + i, w0 + j]
                        y[p, oh, ow] = acc * scale
            return 0
        return max_dense, sum_dense

    dense = (make_dense(False), make_dense(True))
    k = _JIT["k"] = SimpleNamespace(max=(make_max(False), make_max(True)), sum=(make_sum(False), make_sum(True)),
                                    unpool=(make_unpool(False), make_unpool(True)),
                                    max_dense=(dense[0][0], dense[1][0]), sum_dense=(dense[0][1], dense[1][1]))
    return k


def _axes3(geo):
    """Per axis (d, h, w) the (start, end, divisor) int64 arrays, 1-D/2-D padded with unit axes."""
    one = (np.zeros(1, np.int64), np.ones(1, np.int64), np.ones(1, np.int64))
    ax = [(np.ascontiguousarray(s), np.ascontiguousarray(e), np.ascontiguousarray(d, dtype=np.int64))
          for s, e, d in zip(geo.start, geo.end, geo.div)]
    return [one] * (3 - len(ax)) + ax


def _planes(a, spatial):
    """(N, C, *spatial) -> (P, D, H, W) view."""
    s3 = (1,) * (3 - len(spatial)) + tuple(spatial)
    return a.reshape((-1,) + s3)


def pooling(data, geo, pool_type="max", p_value=None):
    cl = geo.channels_last
    x = canonical(data, cl)
    cdt = compute_dtype(x.dtype)
    x = np.ascontiguousarray(x, dtype=cdt)
    N, C = x.shape[0], x.shape[1]
    spatial = x.shape[2:]
    S = int(np.prod(spatial, dtype=np.int64))
    outs = tuple(geo.out_spatial)
    y = np.empty((N, C) + outs, cdt)
    idx = np.empty((N, C) + outs, np.int64) if pool_type == "max" else None
    par = x.size >= PARALLEL_MIN_SIZE
    glob = outs == (1,) * len(outs) and geo.kernel == tuple(spatial) and not any(geo.pad)
    if y.size == 0:
        pass
    elif x.size == 0:
        y.fill(np.finfo(data.dtype).min if pool_type == "max" else 0)
        if idx is not None:
            idx.fill(-1)
    elif glob and pool_type in ("avg", "sum"):
        # one BLAS matrix-vector product over the (planes, S) rows (a NumPy row reduction of short rows
        # measured 4x slower: BENCHMARKS.md "Pooling")
        ones = np.full(S, 1.0 / S if pool_type == "avg" else 1.0, cdt)
        np.matmul(x.reshape(N * C, S), ones, out=y.reshape(-1))
    elif len(spatial) == 2 and not any(geo.pad) and pool_type in ("max", "avg", "sum") and all(
            (O - 1) * s + kk <= X for O, s, kk, X in zip(outs, geo.stride, geo.kernel, spatial)):
        k = _kernels()
        (kh, kw), (sh, sw) = geo.kernel, geo.stride
        x3 = x.reshape(N * C, spatial[0], spatial[1])
        y3 = y.reshape(N * C, outs[0], outs[1])
        if pool_type == "max":
            k.max_dense[par](x3, kh, kw, sh, sw, y3, idx.reshape(y3.shape), cdt.type(-np.inf))
        else:
            k.sum_dense[par](x3, kh, kw, sh, sw, y3, 1.0 / (kh * kw) if pool_type == "avg" else 1.0)
    else:
        (ds, de, dd), (hs, he, hd), (ws, we, wd) = _axes3(geo)
        k = _kernels()
        x4, y4 = _planes(x, spatial), _planes(y, outs)
        if pool_type == "max":
            k.max[par](x4, ds, de, hs, he, ws, we, y4, _planes(idx, outs), cdt.type(np.finfo(data.dtype).min),
                       cdt.type(-np.inf))
        else:
            pv = p_value if pool_type == "lp" else 1
            k.sum[par](x4, ds, de, dd, hs, he, hd, ws, we, wd, y4, pool_type == "avg", pv)
    y = restore_layout(y.astype(data.dtype, copy=False), cl)
    if pool_type != "max":
        return y
    if cl:
        idx = channels_last_index(restore_layout(idx, True), N, C, S)
    return y, idx


def backward_pooling(g, geo, shape, pool_type):
    cl = geo.channels_last
    gc = canonical(g, cl)
    cdt = compute_dtype(g.dtype)
    gc = np.ascontiguousarray(gc, dtype=cdt)
    N, C = gc.shape[0], gc.shape[1]
    spatial = tuple(shape[1:-1]) if cl else tuple(shape[2:])
    S = int(np.prod(spatial, dtype=np.int64))
    outs = tuple(geo.out_spatial)
    glob = outs == (1,) * len(outs) and geo.kernel == spatial and not any(geo.pad)
    if glob and S > 0:
        v = gc.reshape(N * C, 1)
        if pool_type == "avg":
            v = v / cdt.type(S)
        dx = np.broadcast_to(v, (N * C, S)).reshape((N, C) + spatial).astype(cdt)
    else:
        dx = np.zeros((N, C) + spatial, cdt)
        if gc.size and dx.size:
            (ds, de, dd), (hs, he, hd), (ws, we, wd) = _axes3(geo)
            par = dx.size >= PARALLEL_MIN_SIZE
            _kernels().unpool[par](_planes(gc, outs), ds, de, dd, hs, he, hd, ws, we, wd, _planes(dx, spatial),
                                   pool_type == "avg")
    return restore_layout(dx.astype(g.dtype, copy=False), cl)


_GEO = {}      # (op, shape, attrs) -> PoolGeometry (read-only); bounded


def _geometry(op, arg, spec, attrs):
    """``pool_geometry`` cached by shape and attributes: it costs ~20 us per call (index arrays per axis),
    a third of a small pooling call (batch-1 LeNet's 2x2 pools: ~36 -> ~15 us)."""
    try:
        key = (op.name, tuple(spec.shape), frozenset(attrs.items()))
        geo = _GEO.get(key)
    except TypeError:            # an unhashable attribute value: no caching
        return pool_geometry(op, (arg,), spec, **attrs)
    if geo is None:
        geo = pool_geometry(op, (arg,), spec, **attrs)     # raises (uncached) on bad attributes
        if len(_GEO) >= 512:
            _GEO.clear()
        _GEO[key] = geo
    return geo


@register_kernel("Pooling", "cpu")
def pooling_kernel(data, out=None, **attrs):
    geo = _geometry(_POOL, data, data, attrs)
    r = pooling(data, geo, attrs.get("pool_type", "max"), attrs.get("p_value"))
    if isinstance(r, tuple):
        return emit_outputs(r, out)
    if out is None:
        return r
    out[...] = r
    return out


@register_kernel("_backward_Pooling_linear", "cpu")
def backward_pooling_kernel(ograd, out=None, shape=(), **attrs):
    geo = _geometry(_BPOOL, ograd, TensorSpec(tuple(shape), ograd.dtype, None), attrs)
    r = backward_pooling(ograd, geo, tuple(shape), attrs["pool_type"])
    if out is None:
        return r
    out[...] = r
    return out
