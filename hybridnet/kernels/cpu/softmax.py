"""CPU softmax / log_softmax / softmin: Numba kernels with a vectorisable polynomial exp.

The pip llvmlite has no SVML, so ``np.exp`` inside a Numba loop is a scalar libm call and the loop is
not vectorised. ``simd.fexp`` is a Cephes-style exp (``x = n ln2 + r``, a polynomial for ``e**r``,
``2**n`` from the exponent bits) that stays in AVX-512; it handles +-inf, NaN and subnormal results and
is within 1 ulp of the correctly rounded value (``tests/kernels/test_cpu_reduce_softmax.py``). Row max
and sum use ``simd.vmax``/``simd.radd`` (vectorised reductions without global fastmath).

Layout: softmax over the last axis -> ``(rows, cols)``, one row per task (``prange``); any other axis
-> the contiguous ``(outer, n, inner)`` view, a task per (outer index, block of 256 columns),
vectorised across the columns (no transposed copy: transposing 4096x1024 float32 alone costs 29 ms).
Inputs under ``PARALLEL_MIN_SIZE`` elements use the serial twin of each kernel.

Semantics (MXNet 1.9.1, measured with the oracle, see ``ops/softmax.py``): ``z = x / temperature``
(computed as ``x * (1/temperature)``, negated for softmin), ``softmax = exp(z - max z) / sum``,
``log_softmax = z - max z - log(sum)``. A row holding NaN or +inf, or only -inf, is all NaN, as MXNet's
own kernel gives. Computation is in float32 for float16/float32 input and output, in float64 when
either is float64. With ``use_length`` (softmax only) positions at or past a row's length are 0 and
do not count; lengths are clipped to ``[0, n]``; another axis than the last is moved last (a copy).

Measured on this 2-core AVX-512 machine (float32, ms): 4096x1024 last axis: softmax 1.5, log_softmax
1.5, NumPy ``exp(x - max) / sum`` 11.2 (the DESIGN.md §7 figure was 1.8); axis 0 of 4096x1024: 4.9 vs
11.2; axis 1 of (64, 256, 256): 1.9 vs 11.0; a (3, 4) input: 3.9 us vs NumPy's 4.5 us.
"""
import math

import numpy as np

from ...ops.registry import register_kernel
from .simd import helpers
from .threading import PARALLEL_MIN_SIZE

__all__ = ["softmax_lastaxis", "softmax_nd", "softmax_kernel"]

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
# Columns per task in the (outer, n, inner) kernel. Measured (ms, float32): (1, 4096, 1024) 16: 9.5,
# 64: 5.3, 256: 5.1; (64, 256, 256) 16: 3.5, 256: 1.9 - narrower blocks, whose (n, block) slab stays
# in L2 across the three passes, lose more to per-row loop overhead than they gain.
_BLK = 256

_JIT = {}


# ---- kernels --------------------------------------------------------------------------------------

def _kernels():
    """Numba kernels: ``rows_{ser,par}(x2, o2, lens, scale, log, zero)`` and ``mid_{ser,par}(x3, o3,
    lens, scale, log, zero)``. ``lens`` holds each row's (column's) valid length; ``log`` selects
    log_softmax; ``zero`` is 0 in the compute dtype (float32 or float64: one source for both)."""
    k = _JIT.get("k")
    if k is not None:
        return k
    from numba import njit, prange
    h = helpers()
    radd, vmax, fexp = h.radd, h.vmax, h.fexp
    # Kernels that call other kernels reach them as module globals, not closure cells: Numba's cache
    # key includes the pickled closure, and a pickled dispatcher differs in every process (a fresh
    # uuid), so a closure over one would recompile - and add a cache entry - in each new process.
    global _sm_clip, _sm_row, _sm_block

    @njit(cache=True)
    def _sm_clip(L, n):
        return 0 if L < 0 else (n if L > n else L)

    @njit(cache=True, error_model="numpy")
    def _sm_row(x, o, n, scale, log, zero):
        # max of z = x*scale (vmax propagates NaN, and +inf - +inf = NaN: such rows come out all NaN)
        cols = x.shape[0]
        m = x[0] * scale if n > 0 else zero
        for j in range(n):
            m = vmax(m, x[j] * scale)
        s = zero
        if log:
            for j in range(n):
                s = radd(s, fexp(x[j] * scale - m))
            ls = math.log(s)
            for j in range(n):
                o[j] = (x[j] * scale - m) - ls
        else:
            for j in range(n):
                e = fexp(x[j] * scale - m)
                o[j] = e
                s = radd(s, e)
            for j in range(n):
                o[j] = o[j] / s
        for j in range(n, cols):
            o[j] = zero

    @njit(cache=True, error_model="numpy")
    def rows_ser(x2, o2, lens, scale, log, zero):
        n = x2.shape[1]
        for i in range(x2.shape[0]):
            _sm_row(x2[i], o2[i], _sm_clip(lens[i], n), scale, log, zero)

    @njit(cache=True, parallel=True, error_model="numpy")
    def rows_par(x2, o2, lens, scale, log, zero):
        n = x2.shape[1]
        for i in prange(x2.shape[0]):
            _sm_row(x2[i], o2[i], _sm_clip(lens[i], n), scale, log, zero)

    # (outer, n, inner): a task is one outer index and a block of <= blk columns; m and s are
    # per-column running max / sum, so the inner loops run across columns (vectorised, no reduction;
    # 1-D row slices indexed from 0 let LLVM see unit strides). No lengths here: softmax_kernel moves
    # the axis last when use_length is combined with another axis.
    @njit(cache=True, error_model="numpy")
    def _sm_block(x, o, k0, k1, scale, log, zero):
        n = x.shape[0]
        w = k1 - k0
        m = x[0, k0:k1] * scale
        s = np.full(w, zero)
        for j in range(n):
            xr = x[j, k0:k1]
            for k in range(w):
                m[k] = vmax(m[k], xr[k] * scale)
        for j in range(n):
            xr = x[j, k0:k1]
            orow = o[j, k0:k1]
            for k in range(w):
                e = fexp(xr[k] * scale - m[k])
                if not log:
                    orow[k] = e
                s[k] += e
        if log:
            for k in range(w):
                s[k] = math.log(s[k])
            for j in range(n):
                xr = x[j, k0:k1]
                orow = o[j, k0:k1]
                for k in range(w):
                    orow[k] = (xr[k] * scale - m[k]) - s[k]
        else:
            for j in range(n):
                orow = o[j, k0:k1]
                for k in range(w):
                    orow[k] = orow[k] / s[k]

    @njit(cache=True, error_model="numpy")
    def mid_ser(x3, o3, blk, scale, log, zero):
        outer, n, inner = x3.shape
        nb = (inner + blk - 1) // blk
        for t in range(outer * nb):
            q = t // nb
            k0 = (t % nb) * blk
            _sm_block(x3[q], o3[q], k0, min(k0 + blk, inner), scale, log, zero)

    @njit(cache=True, parallel=True, error_model="numpy")
    def mid_par(x3, o3, blk, scale, log, zero):
        outer, n, inner = x3.shape
        nb = (inner + blk - 1) // blk
        for t in prange(outer * nb):
            q = t // nb
            k0 = (t % nb) * blk
            _sm_block(x3[q], o3[q], k0, min(k0 + blk, inner), scale, log, zero)

    k = _JIT["k"] = {("rows", False): rows_ser, ("rows", True): rows_par,
                     ("mid", False): mid_ser, ("mid", True): mid_par}
    return k


# ---- drivers --------------------------------------------------------------------------------------

def _compute_dtype(in_dt, out_dt):
    return _F64 if _F64 in (in_dt, out_dt) else _F32


def softmax_lastaxis(x2, o2, lens, scale, log):
    """Softmax of each row of the C-contiguous 2-D ``x2`` (float32/float64) into ``o2`` (same dtype,
    C-contiguous); ``lens``: int64 valid length per row."""
    if x2.size == 0:
        return o2
    k = _kernels()[("rows", x2.size >= PARALLEL_MIN_SIZE and x2.shape[0] > 1)]
    t = x2.dtype.type
    k(x2, o2, lens, t(scale), bool(log), t(0))
    return o2


def softmax_nd(x3, o3, scale, log, blk=None):
    """Softmax over the middle axis of the C-contiguous ``(outer, n, inner)`` ``x3`` into ``o3``."""
    if x3.size == 0:
        return o3
    if blk is None:
        blk = _BLK
    k = _kernels()[("mid", x3.size >= PARALLEL_MIN_SIZE)]
    t = x3.dtype.type
    k(x3, o3, blk, t(scale), bool(log), t(0))
    return o3


def softmax_kernel(mode, negate=False):
    """The CPU kernel for ``softmax`` (``mode='softmax'``), ``log_softmax`` or, with ``negate``,
    ``softmin``, with MXNet's attrs."""
    log = mode == "log_softmax"

    def kernel(x, length=None, out=None, axis=-1, temperature=None, dtype=None, use_length=False, **_):
        odt = np.dtype(dtype) if dtype is not None else x.dtype
        cdt = _compute_dtype(x.dtype, odt)
        t = 1.0 if temperature is None else float(temperature)
        scale = (-1.0 if negate else 1.0) / t if t != 0 else (-math.inf if negate else math.inf)
        shape = x.shape
        nd = x.ndim
        ax = axis + nd if axis < 0 else axis
        outer = math.prod(shape[:ax])
        n = shape[ax]
        inner = math.prod(shape[ax + 1:])
        with_len = bool(use_length) and length is not None
        if inner == 1 or with_len:
            # rows: the axis is last (a view), or moved last (a copy) to apply per-row lengths
            xm = x if inner == 1 else np.moveaxis(x, ax, -1)
            xc = np.ascontiguousarray(xm, dtype=cdt)
            rows = outer * inner
            direct = inner == 1 and out is not None and out.dtype == cdt and out.flags.c_contiguous
            res = out if direct else np.empty(xc.shape, cdt)
            lens = (np.ascontiguousarray(length, dtype=np.int64).reshape(rows) if with_len
                    else np.full(rows, n, np.int64))
            softmax_lastaxis(xc.reshape(rows, n), res.reshape(rows, n), lens, scale, log)
            if inner != 1:
                res = np.moveaxis(res, -1, ax)
        else:
            xc = np.ascontiguousarray(x, dtype=cdt)
            direct = out is not None and out.dtype == cdt and out.flags.c_contiguous
            res = out if direct else np.empty(shape, cdt)
            softmax_nd(xc.reshape(outer, n, inner), res.reshape(outer, n, inner), scale, log)
        if direct:
            return out
        if out is None:
            return np.ascontiguousarray(res, dtype=odt)
        out[...] = res
        return out

    kernel.__name__ = f"cpu_{'softmin' if negate else mode}"
    return kernel


def _register(op_name, mode, negate=False):
    register_kernel(op_name, "cpu")(softmax_kernel(mode, negate))


_register("softmax", "softmax")
_register("log_softmax", "log_softmax")
_register("softmin", "softmax", negate=True)
