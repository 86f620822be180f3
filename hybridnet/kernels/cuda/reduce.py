"""GPU reductions: hand-written numba.cuda kernels over a 2-D ``(rows, cols)`` view, reducing each row.

Any axis set is brought to that view with the array module (NumPy in the simulator, CuPy on a GPU):
the kept axes go first and the reduced axes last (``transpose``, then a contiguous copy unless the
layout already is one). Two kernels reduce rows:

- ``block``: one block per row (grid-stride over rows); each thread folds a strided slice of the row
  into a register, then a shared-memory tree halves the ``TPB`` partials to one. For long rows.
- ``thread``: one thread per row, sequential over the row. For short rows (< ``SHORT_ROW`` elements),
  and for reductions over *leading* axes of a C-contiguous array, where the ``(rows, cols)`` view is
  the transpose of a contiguous ``(cols, rows)`` array: neighbouring threads then read neighbouring
  addresses (coalesced) and no transposed copy is made.

Each reduction kind is a few expressions (load, combine, init, final) spliced into the kernel source;
accumulation is in float32 for float16 inputs, float64 for float64, the input's type otherwise
(integers wrap like MXNet's). ``argmax``/``argmin`` carry (value, index) pairs (first index on ties,
NaN wins like NumPy) and return float32 indices (legacy nd).
"""
import math

import numpy as np

from ...ops.registry import REGISTRY, get_op, register_kernel
from ...ops.reduce import reduce_axes, reduce_shape
from ..backend import xp_of
from . import launch as L

__all__ = ["row_reduce", "reduce_to_rows", "KINDS"]

SHORT_ROW = 64        # rows shorter than this use one thread per row
# leading-axis reductions keep the strided thread-per-row view when there are this many rows
_COLUMN_MIN_ROWS = 1 if L.SIM else 2048

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


class Kind:
    """How one reduction folds: expressions over ``a``/``b`` (accumulators) and ``v`` (an element)."""

    def __init__(self, name, init, combine, load="v", final="a", acc="sum", empty_ok=True):
        self.name, self.init, self.combine, self.load, self.final = name, init, combine, load, final
        self.acc = acc            # "sum": wide accumulator for floats; "same": the input dtype
        self.empty_ok = empty_ok  # False: reducing 0 elements is an error (max/min)


_MAXC = "a if (a >= b or a != a) else b"
_MINC = "a if (a <= b or a != a) else b"

KINDS = {
    "sum": Kind("sum", "0", "a + b"),
    "mean": Kind("mean", "0", "a + b", final="a / n"),
    "prod": Kind("prod", "1", "a * b"),
    "nansum": Kind("nansum", "0", "a + b", load="v if v == v else ZERO"),
    "nanprod": Kind("nanprod", "1", "a * b", load="v if v == v else ONE"),
    "max": Kind("max", "LOWEST", _MAXC, acc="same", empty_ok=False),
    "min": Kind("min", "HIGHEST", _MINC, acc="same", empty_ok=False),
    "norm1": Kind("norm1", "0", "a + b", load="abs(v)"),
    "norm2": Kind("norm2", "0", "a + b", load="v * v", final="math.sqrt(a)"),
}


def _acc_dtype(kind, dt):
    if dt == _F16:
        return _F32
    if kind.acc == "same" or dt.kind == "f":
        return dt
    if dt.kind == "b":
        return np.dtype(np.int64)
    return np.dtype(np.int64) if dt.kind == "i" else np.dtype(np.uint64)


def _extremes(dt):
    if dt.kind == "f":
        return -np.inf, np.inf
    if dt.kind == "b":
        return False, True
    info = np.iinfo(dt)
    return info.min, info.max


# ---- kernel source ------------------------------------------------------------------------------

_BLOCK_SRC = """
def _k(x, out, rows, cols):
    sm = cuda.shared.array(TPB, ACC)
    tid = cuda.threadIdx.x
    row = cuda.blockIdx.x
    n = cols
    while row < rows:
        a = INIT
        j = tid
        while j < cols:
            v = CT(x[row, j])
            b = {load}
            a = {combine}
            j += TPB
        sm[tid] = a
        cuda.syncthreads()
        s = TPB // 2
        while s > 0:
            if tid < s:
                a = sm[tid]
                b = sm[tid + s]
                sm[tid] = {combine}
            cuda.syncthreads()
            s //= 2
        if tid == 0:
            a = sm[0]
            out[row] = OT({final})
        cuda.syncthreads()
        row += cuda.gridDim.x
"""

_THREAD_SRC = """
def _k(x, out, rows, cols):
    row = cuda.grid(1)
    step = cuda.gridsize(1)
    n = cols
    while row < rows:
        a = INIT
        for j in range(cols):
            v = CT(x[row, j])
            b = {load}
            a = {combine}
        out[row] = OT({final})
        row += step
"""

# argmax / argmin: (value, index) pairs. ``better(va, ia, vb, ib)``: does b replace a?
_ARG_BETTER = {
    "argmax": "(vb > va) or (vb != vb and va == va) or ((vb == va or (vb != vb and va != va)) and ib < ia)",
    "argmin": "(vb < va) or (vb != vb and va == va) or ((vb == va or (vb != vb and va != va)) and ib < ia)",
}

_ARG_BLOCK_SRC = """
def _k(x, out, rows, cols):
    sv = cuda.shared.array(TPB, ACC)
    si = cuda.shared.array(TPB, int64)
    tid = cuda.threadIdx.x
    row = cuda.blockIdx.x
    while row < rows:
        va = INIT
        ia = BIG
        j = tid
        while j < cols:
            vb = CT(x[row, j])
            ib = j
            if {better}:
                va = vb
                ia = ib
            j += TPB
        sv[tid] = va
        si[tid] = ia
        cuda.syncthreads()
        s = TPB // 2
        while s > 0:
            if tid < s:
                va = sv[tid]
                ia = si[tid]
                vb = sv[tid + s]
                ib = si[tid + s]
                if {better}:
                    sv[tid] = vb
                    si[tid] = ib
            cuda.syncthreads()
            s //= 2
        if tid == 0:
            out[row] = OT(si[0])
        cuda.syncthreads()
        row += cuda.gridDim.x
"""

_ARG_THREAD_SRC = """
def _k(x, out, rows, cols):
    row = cuda.grid(1)
    step = cuda.gridsize(1)
    while row < rows:
        va = INIT
        ia = BIG
        for j in range(cols):
            vb = CT(x[row, j])
            ib = j
            if {better}:
                va = vb
                ia = ib
        out[row] = OT(ia)
        row += step
"""

_cache = {}


def _build(kind_name, style, in_dtype, out_dtype):
    key = (kind_name, style, in_dtype, out_dtype)
    k = _cache.get(key)
    if k is not None:
        return k
    cuda = L.cuda()
    import numba
    if kind_name in _ARG_BETTER:
        acc = _F32 if in_dtype == _F16 else in_dtype
        src = (_ARG_BLOCK_SRC if style == "block" else _ARG_THREAD_SRC).format(better=_ARG_BETTER[kind_name])
        lo, hi = _extremes(acc)
        init = lo if kind_name == "argmax" else hi
        g = {"INIT": acc.type(init), "BIG": np.int64(2 ** 62)}
    else:
        kind = KINDS[kind_name]
        acc = _acc_dtype(kind, in_dtype)
        src = (_BLOCK_SRC if style == "block" else _THREAD_SRC).format(
            load=kind.load, combine=kind.combine, final=kind.final)
        lo, hi = _extremes(acc)
        consts = {"0": 0, "1": 1, "LOWEST": lo, "HIGHEST": hi}
        g = {"INIT": acc.type(consts[kind.init]), "ZERO": acc.type(0), "ONE": acc.type(1)}
    if L.SIM:
        g.update(CT=acc.type, OT=out_dtype.type, ACC=acc, int64=np.int64)
    else:
        g.update(CT=numba.from_dtype(acc), OT=numba.from_dtype(out_dtype), ACC=numba.from_dtype(acc),
                 int64=numba.int64)
    g.update(cuda=cuda, math=math, TPB=L.block_size(), abs=abs)
    exec(compile(src, f"<hybridnet cuda reduce {kind_name} {style}>", "exec"), g)
    k = _cache[key] = cuda.jit(g["_k"])
    return k


# ---- driving ------------------------------------------------------------------------------------

def reduce_to_rows(x, axes):
    """``(x2, rows, cols, coalesced_view)``: a 2-D ``(rows, cols)`` view or copy of ``x`` with the kept
    axes first and ``axes`` last. ``coalesced_view`` is True for the strided transpose of a leading-axis
    reduction (use the thread-per-row kernel on it)."""
    xp = xp_of(x)
    nd = x.ndim
    keep = [i for i in range(nd) if i not in axes]
    rows = int(np.prod([x.shape[i] for i in keep], dtype=np.int64))
    cols = int(np.prod([x.shape[i] for i in axes], dtype=np.int64))
    if x.flags.c_contiguous:
        if list(axes) == list(range(nd - len(axes), nd)):           # trailing axes: a plain view
            return x.reshape(rows, cols), rows, cols, False
        if list(axes) == list(range(len(axes))) and rows >= _COLUMN_MIN_ROWS:   # leading axes
            return x.reshape(cols, rows).T, rows, cols, True
    xt = xp.ascontiguousarray(xp.transpose(x, keep + list(axes)))
    return xt.reshape(rows, cols), rows, cols, False


def row_reduce(kind_name, x2, rows, cols, out_dtype, coalesced=False, out=None):
    """Reduce each row of the 2-D ``x2`` into ``out`` (1-D, ``rows`` elements; allocated if None)."""
    xp = xp_of(x2)
    if out is None:
        out = xp.empty((rows,), out_dtype)
    if rows == 0:
        return out
    style = "thread" if (coalesced or cols < SHORT_ROW) else "block"
    k = _build(kind_name, style, x2.dtype, np.dtype(out_dtype))
    if style == "thread":
        blocks = L.grid_for_threads(rows, L.EW_THREADS)
        L.launch(k, blocks, L.EW_THREADS, x2, out, np.int64(rows), np.int64(cols))
    else:
        L.launch(k, L.grid_for_rows(rows), L.block_size(), x2, out, np.int64(rows), np.int64(cols))
    return out


def _emit(res, out):
    if out is None:
        return res
    out[...] = res
    return out


def _empty_error(op, x, axes):
    from ...errors import ShapeError
    from ...ops.check import op_error
    from ...ops.spec import TensorSpec
    from ...device import Device
    spec = TensorSpec(x.shape, x.dtype, Device("gpu", L.device_of(x)))
    return op_error(op, (spec,), ShapeError,
                    f"cannot compute {op.name} over an empty axis (axes {axes} of shape {x.shape})",
                    "reduce over non-empty axes, or use sum for empty inputs")


def reduce_kernel(op_name, kind_name, out_dtype=None):
    """A GPU kernel for a reduce op with MXNet's ``axis``/``keepdims``/``exclude`` attrs."""
    op = get_op(op_name)
    kind = KINDS.get(kind_name)

    def kernel(x, out=None, axis=None, keepdims=False, exclude=False, **_):
        axes = reduce_axes(op, x, axis, exclude)
        oshape = reduce_shape(x.shape, axes, keepdims)
        odt = np.dtype(out_dtype) if out_dtype is not None else x.dtype
        xp = xp_of(x)
        with L.on_device_of(x):
            if x.size == 0 or not axes:
                return _emit(_trivial(op, kind_name, kind, x, axes, oshape, odt, xp), out)
            x2, rows, cols, coal = reduce_to_rows(x, axes)
            direct = out is not None and out.flags.c_contiguous and out.dtype == odt
            r = row_reduce(kind_name, x2, rows, cols, odt, coal, out.reshape(-1) if direct else None)
            return out if direct else _emit(r.reshape(oshape), out)

    kernel.__name__ = f"gpu_{op_name}"
    return kernel


def _trivial(op, kind_name, kind, x, axes, oshape, odt, xp):
    """No kernel needed: nothing to reduce over (``axes == ()``) or an empty input."""
    if not axes:                                    # reduce over no axis: elementwise load + final
        if kind_name in _ARG_BETTER:
            return xp.zeros(oshape, odt)
        if kind_name in ("norm1", "norm2"):
            return xp.abs(x).astype(odt).reshape(oshape)
        if kind_name in ("nansum", "nanprod"):
            fill = 0 if kind_name == "nansum" else 1
            return xp.where(x != x, xp.asarray(fill, x.dtype), x).astype(odt).reshape(oshape)
        return x.astype(odt).reshape(oshape)
    cols = int(np.prod([x.shape[i] for i in axes], dtype=np.int64))
    if cols == 0 and (kind_name in _ARG_BETTER or not kind.empty_ok):
        raise _empty_error(op, x, axes)
    if cols == 0:                                   # empty reduction: the identity (mean: nan)
        fill = {"sum": 0, "nansum": 0, "norm1": 0, "norm2": 0, "prod": 1, "nanprod": 1,
                "mean": np.nan}[kind_name]
        return xp.full(oshape, fill, odt)
    return xp.empty(oshape, odt)                    # rows == 0: nothing to compute


# ---- registration: one GPU kernel per reduce op that exists -------------------------------------

def _register(op_name, kind_name, out_dtype=None):
    if op_name in REGISTRY:
        register_kernel(op_name, "gpu")(reduce_kernel(op_name, kind_name, out_dtype))


_register("sum", "sum")
