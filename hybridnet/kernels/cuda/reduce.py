"""GPU reductions: hand-written numba.cuda kernels (shared-memory trees) over 2-D views.

Any axis set is brought to a 2-D problem with the array module (NumPy in the simulator, CuPy on a
GPU) and one of three kernels:

- reduced axes trailing (C-contiguous input): the ``(rows, cols)`` view, each row reduced.
  ``cols < SHORT_ROW``: one thread per row. ``cols < NARROW_ROW``: 8 lanes per row, 32 rows per
  block. ``cols < LONG_ROW``: a warp per row, 8 rows per block. Longer: a 256-thread block per row. Every lane folds a strided slice of its row into a
  register, then a shared-memory tree halves the partials. When there are too few rows to fill the
  GPU, long rows are split into chunks whose partials a second launch combines (a full reduction
  of a large array runs on every SM).
- reduced axes leading (C-contiguous): the ``(cols, rows)`` view reduced down its columns: 32
  neighbouring columns per block (coalesced reads) x 8 row phases, and ``gridDim.y`` row splits
  with a second pass over the partials. No transposed copy.
- anything else: the kept axes are moved first and the reduced ones last (``transpose`` + a
  contiguous copy), then rows as above.

Each reduction kind is a few expressions (init, load, combine, final) spliced into the kernel
source; a split reduction runs load+combine first and combine+final second. Accumulation is in
float32 for float16 inputs, float64 for float64, int64 for integers (the cast back wraps like
MXNet's int32 arithmetic), the input's type for max/min. ``argmax``/``argmin`` carry (value, index)
pairs (first index on ties, NaN wins like NumPy) and return float32 indices (legacy nd).
"""
import math

import numpy as np

from ...ops.registry import REGISTRY, get_op, register_kernel
from ...ops.reduce import reduce_axes, reduce_shape
from ..backend import xp_of
from . import launch as L

__all__ = ["row_reduce", "reduce_to_rows", "KINDS"]


_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


class Kind:
    """How one reduction folds: expressions over ``a``/``b`` (accumulators) and ``v`` (an element)."""

    def __init__(self, name, init, combine, load="v", final="a", acc="sum", empty_ok=True):
        self.name, self.init, self.combine, self.load, self.final = name, init, combine, load, final
        self.acc = acc            # "sum": float32 for float16, else the input dtype (integers wrap,
        #                           as MXNet's); "same": likewise; "f64": float64 (norm2: no overflow)
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
    "norm2": Kind("norm2", "0", "a + b", load="v * v", final="math.sqrt(a)", acc="f64"),
    "amax": Kind("amax", "0", _MAXC, load="abs(v)", acc="same"),
}


def _acc_dtype(kind, dt):
    if kind.acc == "f64":
        return _F64
    if dt == _F16:
        return _F32
    if dt.kind == "b":
        return np.dtype(np.int64)
    return dt


def _extremes(dt):
    if dt.kind == "f":
        return -np.inf, np.inf
    if dt.kind == "b":
        return False, True
    info = np.iinfo(dt)
    return info.min, info.max


# ---- kernel source ------------------------------------------------------------------------------
# ``rows``: a block of TY x TX threads reduces TY (virtual) rows, TX lanes per row; a virtual row is
# one of ``splits`` chunks of a row (split rows write partials that a second launch combines).
# ``cols``: x is (R, C) and the reduction runs down the columns: TX neighbouring columns per block
# (coalesced reads), TY row phases, ``gridDim.y`` row splits (partials again).
# ``thread``: one thread per row.

_ROWS_SRC = """
def _k(x, out, rows, cols, n, splits, chunk):
    sm = cuda.shared.array((TY, TX), ACC)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    vrows = rows * splits
    base = cuda.blockIdx.x * TY
    while base < vrows:
        vr = base + ty
        a = INIT
        if vr < vrows:
            row = vr // splits
            j = (vr - row * splits) * chunk
            j1 = min(cols, j + chunk)
            j += tx
            while j < j1:
                v = CT(x[row, j])
                b = {load}
                a = ACC({combine})
                j += TX
        sm[ty, tx] = a
        cuda.syncthreads()
        w = TX // 2
        while w > 0:
            if tx < w:
                a = sm[ty, tx]
                b = sm[ty, tx + w]
                sm[ty, tx] = ACC({combine})
            cuda.syncthreads()
            w //= 2
        if tx == 0 and vr < vrows:
            a = sm[ty, 0]
            out[vr] = OT({final})
        cuda.syncthreads()
        base += cuda.gridDim.x * TY
"""

_COLS_SRC = """
def _k(x, out, R, C, n):
    sm = cuda.shared.array((TY, TX), ACC)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    cbase = cuda.blockIdx.x * TX
    while cbase < C:
        c = cbase + tx
        a = INIT
        if c < C:
            r = cuda.blockIdx.y * TY + ty
            while r < R:
                v = CT(x[r, c])
                b = {load}
                a = ACC({combine})
                r += TY * cuda.gridDim.y
        sm[ty, tx] = a
        cuda.syncthreads()
        h = TY // 2
        while h > 0:
            if ty < h:
                a = sm[ty, tx]
                b = sm[ty + h, tx]
                sm[ty, tx] = ACC({combine})
            cuda.syncthreads()
            h //= 2
        if ty == 0 and c < C:
            a = sm[0, tx]
            out[cuda.blockIdx.y, c] = OT({final})
        cuda.syncthreads()
        cbase += cuda.gridDim.x * TX
"""

_THREAD_SRC = """
def _k(x, out, rows, cols, n, splits, chunk):
    row = cuda.grid(1)
    step = cuda.gridsize(1)
    while row < rows:
        a = INIT
        for j in range(cols):
            v = CT(x[row, j])
            b = {load}
            a = ACC({combine})
        out[row] = OT({final})
        row += step
"""

# argmax / argmin: (value, index) pairs. ``better``: does (vb, ib) replace (va, ia)? First index on
# ties; NaN beats everything (NumPy's rule).
_ARG_BETTER = {
    "argmax": "(vb > va) or (vb != vb and va == va) or ((vb == va or (vb != vb and va != va)) and ib < ia)",
    "argmin": "(vb < va) or (vb != vb and va == va) or ((vb == va or (vb != vb and va != va)) and ib < ia)",
}

_ARG_ROWS_SRC = """
def _k(x, out, rows, cols, n, splits, chunk):
    sv = cuda.shared.array((TY, TX), ACC)
    si = cuda.shared.array((TY, TX), int64)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    base = cuda.blockIdx.x * TY
    while base < rows:
        row = base + ty
        va = INIT
        ia = BIG
        if row < rows:
            j = tx
            while j < cols:
                vb = CT(x[row, j])
                ib = j
                if {better}:
                    va = vb
                    ia = ib
                j += TX
        sv[ty, tx] = va
        si[ty, tx] = ia
        cuda.syncthreads()
        w = TX // 2
        while w > 0:
            if tx < w:
                va = sv[ty, tx]
                ia = si[ty, tx]
                vb = sv[ty, tx + w]
                ib = si[ty, tx + w]
                if {better}:
                    sv[ty, tx] = vb
                    si[ty, tx] = ib
            cuda.syncthreads()
            w //= 2
        if tx == 0 and row < rows:
            out[row] = OT(si[ty, 0])
        cuda.syncthreads()
        base += cuda.gridDim.x * TY
"""

_ARG_THREAD_SRC = """
def _k(x, out, rows, cols, n, splits, chunk):
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

# Shapes of the thread blocks, (TY, TX): long rows, medium rows (a warp per row), columns.
if L.SIM:     # the simulator runs one Python thread per CUDA thread: tiny blocks, tiny thresholds
    _BLOCKS = {"long": (1, 8), "warp": (2, 4), "narrow": (4, 2), "cols": (2, 4)}
    SHORT_ROW, NARROW_ROW, LONG_ROW, SPLIT_MIN_COLS, SPLIT_CHUNK, _TARGET_VROWS = 8, 16, 32, 32, 16, 4
else:
    _BLOCKS = {"long": (1, 256), "warp": (8, 32), "narrow": (32, 8), "cols": (8, 32)}
    # < SHORT_ROW: thread per row; < NARROW_ROW: 8 lanes per row; < LONG_ROW: a warp per row; else a
    # block per row. Rows of at least SPLIT_MIN_COLS are split into SPLIT_CHUNK-element pieces when
    # there are too few rows to fill the GPU (about _TARGET_VROWS blocks).
    SHORT_ROW, NARROW_ROW, LONG_ROW, SPLIT_MIN_COLS, SPLIT_CHUNK, _TARGET_VROWS = 32, 256, 2048, 16384, 8192, 1024

_cache = {}


def _build(kind_name, style, stage, in_dtype, out_dtype):
    """Compile one kernel. ``stage``: "full" (load, combine, final), "first" (load, combine: partials
    in the accumulator dtype) or "second" (combine partials, final)."""
    key = (kind_name, style, stage, in_dtype, out_dtype)
    k = _cache.get(key)
    if k is not None:
        return k
    cuda = L.cuda()
    import numba
    ty, tx = _BLOCKS.get(style, (1, 1))
    if kind_name in _ARG_BETTER:
        acc = _F32 if in_dtype == _F16 else in_dtype
        src = (_ARG_ROWS_SRC if style != "thread" else _ARG_THREAD_SRC).format(better=_ARG_BETTER[kind_name])
        lo, hi = _extremes(acc)
        g = {"INIT": acc.type(lo if kind_name == "argmax" else hi), "BIG": np.int64(2 ** 62)}
    else:
        kind = KINDS[kind_name]
        acc = _acc_dtype(kind, in_dtype) if stage != "second" else in_dtype
        load = kind.load if stage != "second" else "v"
        final = kind.final if stage != "first" else "a"
        src = {"thread": _THREAD_SRC, "cols": _COLS_SRC}.get(style, _ROWS_SRC).format(
            load=load, combine=kind.combine, final=final)
        lo, hi = _extremes(acc)
        consts = {"0": 0, "1": 1, "LOWEST": lo, "HIGHEST": hi}
        g = {"INIT": acc.type(consts[kind.init]), "ZERO": acc.type(0), "ONE": acc.type(1)}
    if L.SIM:
        g.update(CT=acc.type, OT=out_dtype.type, ACC=acc.type, int64=np.int64,
                 math=_sim_math())
    else:
        g.update(CT=numba.from_dtype(acc), OT=numba.from_dtype(out_dtype), ACC=numba.from_dtype(acc),
                 int64=numba.int64, math=math)
    g.update(cuda=cuda, TX=tx, TY=ty, abs=abs, min=min)
    exec(compile(src, f"<hybridnet cuda reduce {kind_name} {style} {stage}>", "exec"), g)
    k = _cache[key] = cuda.jit(g["_k"])
    return k


def _sim_math():
    from .elementwise import _sim_math as sm
    return sm()


# ---- driving ------------------------------------------------------------------------------------

def reduce_to_rows(x, axes):
    """``(x2, rows, cols, columns)``: with ``columns`` False, a 2-D ``(rows, cols)`` view or copy of
    ``x`` with the kept axes first and ``axes`` last; with ``columns`` True (a leading-axis reduction
    of a C-contiguous array) the ``(cols, rows)`` view of ``x`` itself, to be reduced down its
    columns."""
    xp = xp_of(x)
    nd = x.ndim
    keep = [i for i in range(nd) if i not in axes]
    rows = math.prod([x.shape[i] for i in keep])
    cols = math.prod([x.shape[i] for i in axes])
    if x.flags.c_contiguous:
        if list(axes) == list(range(nd - len(axes), nd)):           # trailing axes: a plain view
            return x.reshape(rows, cols), rows, cols, False
        if list(axes) == list(range(len(axes))):                    # leading axes: column view
            return x.reshape(cols, rows), rows, cols, True
    xt = xp.ascontiguousarray(xp.transpose(x, keep + list(axes)))
    return xt.reshape(rows, cols), rows, cols, False


def _launch_rows(kind_name, style, stage, x2, out, rows, cols, n, splits, chunk):
    k = _build(kind_name, style, stage, x2.dtype, out.dtype)
    args = (x2, out, np.int64(rows), np.int64(cols), np.int64(n), np.int64(splits), np.int64(chunk))
    if style == "thread":
        L.launch(k, L.grid_for_threads(rows, L.EW_THREADS), L.EW_THREADS, *args)
    else:
        ty, tx = _BLOCKS[style]
        L.launch(k, L.grid_for_rows(-(-rows * splits // ty)), (tx, ty), *args)


def row_reduce(kind_name, x2, rows, cols, out_dtype, columns=False, out=None):
    """Reduce ``x2`` into ``out`` (1-D, ``rows`` elements; allocated if None): each row of the
    ``(rows, cols)`` array ``x2``, or with ``columns`` each column of the ``(cols, rows)`` array."""
    xp = xp_of(x2)
    out_dtype = np.dtype(out_dtype)
    if out is None:
        out = xp.empty((rows,), out_dtype)
    if rows == 0:
        return out
    is_arg = kind_name in _ARG_BETTER
    if columns and is_arg:                       # (value, index) pairs: transpose, reduce rows
        x2, columns = xp.ascontiguousarray(x2.T), False
    if columns:
        return _column_reduce(kind_name, x2, rows, cols, out)
    if cols < SHORT_ROW:
        _launch_rows(kind_name, "thread", "full", x2, out, rows, cols, cols, 1, cols)
        return out
    style = _row_style(cols)
    splits = 1
    if not is_arg and cols >= SPLIT_MIN_COLS and rows < _TARGET_VROWS:
        splits = min(-(-_TARGET_VROWS // rows), -(-cols // SPLIT_CHUNK))
    if splits == 1:
        _launch_rows(kind_name, style, "full", x2, out, rows, cols, cols, 1, cols)
        return out
    chunk = -(-cols // splits)
    acc = _acc_dtype(KINDS[kind_name], x2.dtype)
    part = xp.empty((rows, splits), acc)
    _launch_rows(kind_name, style, "first", x2, part.reshape(-1), rows, cols, cols, splits, chunk)
    st2 = "thread" if splits < SHORT_ROW else _row_style(splits)
    _launch_rows(kind_name, st2, "second", part, out, rows, splits, cols, 1, splits)
    return out


def _row_style(cols):
    return "narrow" if cols < NARROW_ROW else "warp" if cols < LONG_ROW else "long"


def _column_reduce(kind_name, x2, rows, cols, out):
    """Reduce the ``(R, C) = (cols, rows)`` array ``x2`` down its columns into ``out`` (C elements)."""
    xp = xp_of(x2)
    ty, tx = _BLOCKS["cols"]
    R, C = cols, rows
    tiles = -(-C // tx)
    tile_blocks = L.grid_for_rows(tiles)
    want = L.grid_for_rows(_TARGET_VROWS * (1 if L.SIM else 4))
    splits = max(1, min(want // max(tile_blocks, 1), -(-R // (ty * (1 if L.SIM else 64)))))
    if L.SIM:
        splits = min(splits, 2)
    if splits == 1:
        k = _build(kind_name, "cols", "full", x2.dtype, out.dtype)
        L.launch(k, (tile_blocks, 1), (tx, ty), x2, out.reshape(1, C), np.int64(R), np.int64(C), np.int64(R))
        return out
    acc = _acc_dtype(KINDS[kind_name], x2.dtype)
    part = xp.empty((splits, C), acc)
    k1 = _build(kind_name, "cols", "first", x2.dtype, acc)
    L.launch(k1, (tile_blocks, splits), (tx, ty), x2, part, np.int64(R), np.int64(C), np.int64(R))
    k2 = _build(kind_name, "cols", "second", acc, out.dtype)
    L.launch(k2, (tile_blocks, 1), (tx, ty), part, out.reshape(1, C), np.int64(splits), np.int64(C),
             np.int64(R))
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


def _reduce(op, kind_name, x, axes, oshape, odt, out):
    """Reduce ``x`` over ``axes`` (a sorted tuple) into the shape ``oshape`` / dtype ``odt``."""
    xp = xp_of(x)
    with L.on_device_of(x):
        if x.size == 0 or not axes:
            return _emit(_trivial(op, kind_name, x, axes, oshape, odt, xp), out)
        if kind_name == "norm2" and x.dtype == _F64:
            return _emit(_norm2_scaled(op, x, axes, oshape, odt), out)
        x2, rows, cols, columns = reduce_to_rows(x, axes)
        direct = out is not None and out.flags.c_contiguous and out.dtype == odt
        r = row_reduce(kind_name, x2, rows, cols, odt, columns, out.reshape(-1) if direct else None)
        return out if direct else _emit(r.reshape(oshape), out)


def _norm2_scaled(op, x, axes, oshape, odt):
    """float64 L2 norm without overflow/underflow: ``m * sqrt(sum((x / m)**2))`` with ``m = max|x|``
    per output element (3 passes; float32/float16 inputs just sum squares in float64)."""
    xp = xp_of(x)
    keep = reduce_shape(x.shape, axes, True)
    m = _reduce(op, "amax", x, axes, keep, x.dtype, None)
    safe = xp.where((m == 0) | xp.isinf(m), xp.asarray(1.0, x.dtype), m)
    scaled = x / safe
    x2, rows, cols, columns = reduce_to_rows(scaled, axes)
    r = row_reduce("norm2", x2, rows, cols, _F64, columns).reshape(keep)
    r = xp.where(xp.isinf(m), m, r * safe)
    return r.astype(odt, copy=False).reshape(oshape)


def reduce_kernel(op_name, kind_name):
    """A GPU kernel for a reduce op with MXNet's ``axis``/``keepdims``/``exclude`` attrs."""
    op = get_op(op_name)

    def kernel(x, out=None, axis=None, keepdims=False, exclude=False, **_):
        axes = reduce_axes(op, x, axis, exclude)
        return _reduce(op, kind_name, x, axes, reduce_shape(x.shape, axes, keepdims), x.dtype, out)

    kernel.__name__ = f"gpu_{op_name}"
    return kernel


def arg_kernel(op_name, kind_name, fixed_axis=False):
    """argmax / argmin (``axis`` an int or None = the flattened array; indices in the input dtype);
    ``fixed_axis``: argmax_channel (axis 1, no attrs)."""
    op = get_op(op_name)

    def kernel(x, out=None, axis=None, keepdims=False, **_):
        if fixed_axis:
            axis, keepdims = 1, False
        nd = x.ndim
        if axis is None:
            oshape = (1,) * nd if keepdims and nd else (1,)
            flat = x.reshape(-1) if x.flags.c_contiguous else xp_of(x).ascontiguousarray(x).reshape(-1)
            return _reduce(op, kind_name, flat.reshape(1, -1), (1,), oshape, x.dtype, out)
        ax = axis + nd if axis < 0 else axis
        return _reduce(op, kind_name, x, (ax,), reduce_shape(x.shape, (ax,), keepdims), x.dtype, out)

    kernel.__name__ = f"gpu_{op_name}"
    return kernel


def norm_kernel(op_name):
    op = get_op(op_name)

    def kernel(x, out=None, ord=2, axis=None, out_dtype=None, keepdims=False, **_):
        from ...ops.check import norm_axes
        axes = norm_axes(op, (x,), axis, x.ndim)
        odt = np.dtype(out_dtype) if out_dtype is not None else x.dtype
        return _reduce(op, "norm1" if ord == 1 else "norm2", x, axes,
                       reduce_shape(x.shape, axes, keepdims), odt, out)

    kernel.__name__ = f"gpu_{op_name}"
    return kernel


def _trivial(op, kind_name, x, axes, oshape, odt, xp):
    """No kernel needed: nothing to reduce over (``axes == ()``) or an empty input."""
    if not axes:                                    # reduce over no axis: elementwise load + final
        if kind_name in _ARG_BETTER:
            return xp.zeros(oshape, odt)
        if kind_name in ("norm1", "norm2", "amax"):
            return xp.abs(x).astype(odt).reshape(oshape)
        if kind_name in ("nansum", "nanprod"):
            fill = 0 if kind_name == "nansum" else 1
            return xp.where(x != x, xp.asarray(fill, x.dtype), x).astype(odt).reshape(oshape)
        return x.astype(odt).reshape(oshape)
    cols = math.prod([x.shape[i] for i in axes])
    if cols == 0 and (kind_name in _ARG_BETTER or not KINDS[kind_name].empty_ok):
        raise _empty_error(op, x, axes)
    if cols == 0:                                   # empty reduction: the identity (mean: nan)
        fill = {"sum": 0, "nansum": 0, "norm1": 0, "norm2": 0, "amax": 0, "prod": 1, "nanprod": 1,
                "mean": np.nan if odt.kind == "f" else 0}[kind_name]
        return xp.full(oshape, fill, odt)
    return xp.empty(oshape, odt)                    # rows == 0: nothing to compute


# ---- registration: one GPU kernel per reduce op that exists -------------------------------------

for _name, _kind in (("sum", "sum"), ("mean", "mean"), ("prod", "prod"), ("max", "max"), ("min", "min"),
                     ("nansum", "nansum"), ("nanprod", "nanprod")):
    if _name in REGISTRY:
        register_kernel(_name, "gpu")(reduce_kernel(_name, _kind))
for _name in ("argmax", "argmin"):
    if _name in REGISTRY:
        register_kernel(_name, "gpu")(arg_kernel(_name, _name))
if "argmax_channel" in REGISTRY:
    register_kernel("argmax_channel", "gpu")(arg_kernel("argmax_channel", "argmax", fixed_axis=True))
if "norm" in REGISTRY:
    register_kernel("norm", "gpu")(norm_kernel("norm"))
