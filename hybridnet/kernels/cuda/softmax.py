"""GPU softmax / log_softmax / softmin: numba.cuda kernels over rows.

The softmax axis is moved last with the array module (a view for ``axis=-1``; otherwise a contiguous
copy), giving a ``(rows, cols)`` array. Rows of ``SHORT_ROW`` to ``LONG_ROW`` elements get a warp each
(8 rows per block), longer rows a 256-thread block each: a shared-memory tree finds the row max, a
second one the sum of ``exp(scale*x - max)``, then every lane writes its strided slice. Short rows
get one thread per row doing the same three passes sequentially.

``scale`` is ``1/temperature`` (``-1/temperature`` for softmin). Computation is in float32 for
float16 (float64 for float64). A row of all ``-inf`` gives NaN, as ``exp(x - max(x))`` does in NumPy
and MXNet. With ``use_length`` positions at or beyond a row's length are excluded and written as 0.
"""
import math

import numpy as np

from ...ops.registry import REGISTRY, register_kernel
from ..backend import xp_of
from . import launch as L

__all__ = ["row_softmax", "softmax_kernel"]

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)

# (TY rows, TX lanes) per block: a warp per row for rows up to LONG_ROW, else a block per row;
# rows shorter than SHORT_ROW get one thread each.
if L.SIM:
    _BLOCKS = {"warp": (2, 4), "long": (1, 8)}
    SHORT_ROW, LONG_ROW = 8, 32
else:
    _BLOCKS = {"warp": (8, 32), "long": (1, 256)}
    SHORT_ROW, LONG_ROW = 32, 2048

_BLOCK_SRC = """
def _k(x, out, lens, rows, cols, scale):
    sm = cuda.shared.array((TY, TX), ACC)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    base = cuda.blockIdx.x * TY
    while base < rows:
        row = base + ty
        ok = row < rows
        n = 0
        if ok:
            n = cols
            if HAS_LEN:
                n = min(cols, max(int64(lens[row]), int64(0)))
        m = NEG_INF
        j = tx
        while j < n:
            v = ACC(x[row, j]) * scale
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
            t += math.exp(ACC(x[row, j]) * scale - m)
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
            lt = math.log(t) if n > 0 else ZERO
            j = tx
            while j < cols:
                if j < n:
                    e = ACC(x[row, j]) * scale - m
                    out[row, j] = OT(FINAL)
                else:
                    out[row, j] = OT(0)
                j += TX
        base += cuda.gridDim.x * TY
"""

_THREAD_SRC = """
def _k(x, out, lens, rows, cols, scale):
    row = cuda.grid(1)
    step = cuda.gridsize(1)
    while row < rows:
        n = cols
        if HAS_LEN:
            n = min(cols, max(int64(lens[row]), int64(0)))
        m = NEG_INF
        for j in range(n):
            v = ACC(x[row, j]) * scale
            if v > m or v != v:
                m = v
        t = ZERO
        for j in range(n):
            t += math.exp(ACC(x[row, j]) * scale - m)
        lt = math.log(t)
        for j in range(cols):
            if j < n:
                e = ACC(x[row, j]) * scale - m
                out[row, j] = OT(FINAL)
            else:
                out[row, j] = OT(0)
        row += step
"""

_FINAL = {"softmax": "math.exp(e) / t", "log_softmax": "e - lt"}
_cache = {}


def _sim_math():
    from .elementwise import _sim_math as sm
    return sm()


def _acc_dtype(in_dtype, out_dtype):
    acc = _F32 if in_dtype == _F16 or out_dtype == _F16 else np.dtype(np.result_type(in_dtype, out_dtype))
    if acc.kind != "f":
        acc = np.dtype(np.float64) if acc.itemsize > 4 else _F32
    return acc


def _build(mode, style, in_dtype, out_dtype, has_len):
    key = (mode, style, in_dtype, out_dtype, has_len)
    k = _cache.get(key)
    if k is not None:
        return k
    cuda = L.cuda()
    acc = _acc_dtype(in_dtype, out_dtype)
    src = (_THREAD_SRC if style == "thread" else _BLOCK_SRC).replace("FINAL", _FINAL[mode])
    ty, tx = _BLOCKS.get(style, (1, 1))
    g = {"cuda": cuda, "TX": tx, "TY": ty, "HAS_LEN": has_len, "NEG_INF": acc.type(-np.inf),
         "ZERO": acc.type(0), "min": min, "max": max}
    if L.SIM:
        g.update(ACC=acc.type, OT=out_dtype.type, int64=np.int64, math=_sim_math())
    else:
        import numba
        g.update(ACC=numba.from_dtype(acc), OT=numba.from_dtype(out_dtype), int64=numba.int64, math=math)
    exec(compile(src, f"<hybridnet cuda {mode} {style}>", "exec"), g)
    k = _cache[key] = cuda.jit(g["_k"])
    return k


def row_softmax(mode, x2, out2, scale, lens=None):
    """Softmax (``mode='softmax'``) or log-softmax of each row of the 2-D ``x2`` into ``out2``."""
    rows, cols = x2.shape
    if rows == 0 or cols == 0:
        return out2
    has_len = lens is not None
    if lens is None:
        lens = xp_of(x2).zeros((1,), np.int32)     # placeholder array argument (unused)
    k_style = "thread" if cols < SHORT_ROW else "warp" if cols < LONG_ROW else "long"
    k = _build(mode, k_style, x2.dtype, out2.dtype, has_len)
    args = (x2, out2, lens, np.int64(rows), np.int64(cols),
            _acc_dtype(x2.dtype, out2.dtype).type(scale))
    if k_style == "thread":
        L.launch(k, L.grid_for_threads(rows, L.EW_THREADS), L.EW_THREADS, *args)
    else:
        ty, tx = _BLOCKS[k_style]
        L.launch(k, L.grid_for_rows(-(-rows // ty)), (tx, ty), *args)
    return out2


def softmax_kernel(mode, negate=False):
    """A GPU kernel with MXNet's softmax attrs (``axis``, ``temperature``, ``dtype``, ``use_length``).
    ``negate`` gives softmin."""

    def kernel(x, length=None, out=None, axis=-1, temperature=None, dtype=None, use_length=False, **_):
        xp = xp_of(x)
        odt = np.dtype(dtype) if dtype is not None else x.dtype
        t = 1.0 if temperature is None else float(temperature)
        scale = (-1.0 if negate else 1.0) / t if t != 0 else (-math.inf if negate else math.inf)
        shape = x.shape
        if x.ndim == 0:
            x = x.reshape(1)
        nd = x.ndim
        ax = axis + nd if axis < 0 else axis
        with L.on_device_of(x):
            last = ax == nd - 1
            xm = x if last else xp.moveaxis(x, ax, -1)
            cols = xm.shape[-1]
            rows = math.prod(xm.shape[:-1])
            x2 = xm.reshape(rows, cols) if xm.flags.c_contiguous else xp.ascontiguousarray(xm).reshape(rows, cols)
            lens = None
            if use_length and length is not None:
                lens = xp.ascontiguousarray(length).reshape(rows)
            direct = (last and out is not None and out.flags.c_contiguous and out.dtype == odt)
            res = out if direct else xp.empty(xm.shape, odt)
            row_softmax(mode, x2, res.reshape(rows, cols), scale, lens)
            if direct:
                return out
            if not last:
                res = xp.ascontiguousarray(xp.moveaxis(res, -1, ax))
            res = res.reshape(shape)
            if out is None:
                return res
            out[...] = res
            return out

    kernel.__name__ = f"gpu_{'softmin' if negate else mode}"
    return kernel


def _register(op_name, mode, negate=False):
    if op_name in REGISTRY:
        register_kernel(op_name, "gpu")(softmax_kernel(mode, negate))


_register("softmax", "softmax")
_register("log_softmax", "log_softmax")
_register("softmin", "softmax", negate=True)
