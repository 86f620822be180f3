"""CUDA kernels generated from each elementwise op's ``scalar`` formula.

``make_elementwise_kernel(op)`` returns ``kernel(*arrays, out=None, **attrs)``. Per (dtype, ndim,
layout) it generates the source of one ``numba.cuda`` grid-stride kernel over the flattened output
and compiles it on first use; the formula (and the ``@scalar_helper`` functions it calls) become
``cuda.jit(device=True)`` functions.

Broadcasting is done with a strided index computation inside the kernel, not by materialising
inputs: each input is passed as it is (any strides, so non-contiguous inputs cost no copy), left-padded
with size-1 axes to the output's ndim (a view). The kernel turns the flat output index into
coordinates and reads input ``k`` at ``min(c_d, shape_k[d] - 1)`` on each axis, which is ``c_d`` on
a full axis and 0 on a broadcast one, branch-free. When every operand is C-contiguous and shaped like
the output, a 1-D kernel indexes them flat.

Legacy nd rules: scalar attrs are cast to the array dtype; float16 is computed in float32 and rounded
on store; the output has the input dtype.

Under the CUDA simulator formulas run as Python on NumPy scalars, where ``math.log(0.0)`` raises
instead of returning ``-inf`` as CUDA's libdevice does: there ``math`` (and ``round``) in the
formula's globals are replaced by NumPy equivalents that follow IEEE rules.
"""
import math
import types

import numpy as np

from ..backend import xp_of
from ...dtypes import compute_dtype
from ..formula import float_type_for, prepare
from . import launch as L

__all__ = ["make_elementwise_kernel"]



# ---- simulator math: IEEE results instead of Python exceptions --------------------------------------

def _ieee(fn, np_fn=None):
    if np_fn is not None:
        def f(*a):
            with np.errstate(all="ignore"):
                return np_fn(*a)
    else:
        def f(*a):
            try:
                return fn(*a)
            except (ValueError, ZeroDivisionError):
                return math.nan
            except OverflowError:
                return math.inf
    f.__name__ = fn.__name__
    return f


def _np_gamma(x):
    try:
        return math.gamma(x)
    except ValueError:
        return math.nan if (x < 0 or x != x) else math.copysign(math.inf, x) if x == 0 else math.nan
    except OverflowError:
        return math.inf


def _np_lgamma(x):
    try:
        return math.lgamma(x)
    except (ValueError, OverflowError):
        return math.inf if x == x else math.nan


def _np_round(x, nd=None):
    with np.errstate(all="ignore"):
        return np.rint(x) if nd is None else np.round(x, nd)


_NP_MATH = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log2": np.log2, "log10": np.log10,
    "log1p": np.log1p, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "atan2": np.arctan2,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh,
    "atanh": np.arctanh, "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "fabs": np.fabs,
    "copysign": np.copysign, "hypot": np.hypot, "pow": np.power, "fmod": np.fmod,
    "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite,
}


def _make_sim_math():
    m = types.SimpleNamespace()
    for name in dir(math):
        if name.startswith("_"):
            continue
        v = getattr(math, name)
        if callable(v):
            v = _ieee(v, _NP_MATH.get(name))
        setattr(m, name, v)
    m.gamma = _np_gamma
    m.lgamma = _np_lgamma
    return m


_SIM_MATH = None


def _sim_math():
    global _SIM_MATH
    if _SIM_MATH is None:
        _SIM_MATH = _make_sim_math()
    return _SIM_MATH


def _with_sim_math(fn):
    """``fn`` rebuilt with ``math`` (and functions imported from it, and ``round``) replaced by the
    IEEE versions above; only used under the simulator."""
    sm = _sim_math()
    g = dict(fn.__globals__)
    changed = False
    for n in fn.__code__.co_names:
        v = g.get(n)
        if v is math:
            g[n] = sm
            changed = True
        elif getattr(v, "__module__", None) == "math" and hasattr(sm, getattr(v, "__name__", "")):
            g[n] = getattr(sm, v.__name__)
            changed = True
        elif n == "round" and n not in g:
            g[n] = _np_round
            changed = True
    if not changed:
        return fn
    new = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__qualname__ = fn.__qualname__
    new.__module__ = fn.__module__
    return new


def _py(v):
    """A NumPy scalar as the Python scalar Numba's typing resembles (bool arithmetic is int)."""
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def _sim_formula(fn, float_type=None):
    """Under the simulator: run the formula on Python scalars (as Numba types them: ``(x > 0) - (x < 0)``
    is int arithmetic); where Python raises (``1.0 / 0.0``, ``math.log(0.0)``, overflow) run it again
    on NumPy scalars with IEEE math, which gives the inf/nan a GPU gives."""
    cuda = L.cuda()
    plain = cuda.jit(device=True)(prepare(fn, lambda h: cuda.jit(device=True)(h), float_type=float_type))
    ieee = cuda.jit(device=True)(_with_sim_math(
        prepare(fn, lambda h: cuda.jit(device=True)(_with_sim_math(h)), float_type=float_type)))

    def f(*args):
        try:
            return plain(*[_py(a) for a in args])
        except (ZeroDivisionError, OverflowError, ValueError):
            with np.errstate(all="ignore"):
                return ieee(*args)
    return f


def _sim_store(dt):
    t = dt.type

    def store(v):
        try:
            return t(v)
        except (OverflowError, ValueError):   # Python int out of range / nan to int: wrap as C does
            with np.errstate(all="ignore"):
                return np.asarray(v).astype(dt)[()] if not isinstance(v, float) else np.float64(v).astype(dt)
    return store


def device_formula(fn, float_type=None):
    """The formula as a ``cuda.jit(device=True)`` function, ``@scalar_helper`` helpers compiled
    alike (under the simulator, a Python callable: see ``_sim_formula``). ``float_type``: see
    ``formula.prepare`` (float32 literals for float32/float16 arrays: no float64 arithmetic)."""
    cuda = L.cuda()
    if L.SIM:
        return _sim_formula(fn, float_type)
    return cuda.jit(device=True)(prepare(fn, lambda h: cuda.jit(device=True)(h), float_type=float_type))


# ---- kernel source generation ---------------------------------------------------------------------

def kernel_source(n_in, n_s, ndim, flat, n_out=1):
    """Source of ``_k(out, x0.., s0.., n)``: ``out[idx] = OT(f(CT(x0[idx0]), .., s0, ..))``. With
    ``n_out > 1`` (fused kernels) ``f`` returns a tuple: ``_k(out0, out1.., x0.., n)`` stores each."""
    xs = [f"x{k}" for k in range(n_in)]
    ss = [f"s{k}" for k in range(n_s)]
    outs = ["out"] if n_out == 1 else [f"out{k}" for k in range(n_out)]

    def store(idx, call, indent):
        if n_out == 1:
            return [f"{indent}out[{idx}] = OT({call})"]
        return [f"{indent}res = {call}"] + [f"{indent}out{k}[{idx}] = OT(res[{k}])" for k in range(n_out)]
    lines = [f"def _k({', '.join(outs + xs + ss)}, n):",
             "    i = cuda.grid(1)",
             "    step = cuda.gridsize(1)"]
    if flat:
        reads = [f"CT(x{k}[i])" for k in range(n_in)]
        lines += ["    while i < n:"] + store("i", f"f({', '.join(reads + ss)})", "        ") + ["        i += step"]
        return "\n".join(lines) + "\n"
    for d in range(1, ndim):
        lines.append(f"    d{d} = {outs[0]}.shape[{d}]")
    for k in range(n_in):
        for d in range(ndim):
            lines.append(f"    m{k}_{d} = x{k}.shape[{d}] - 1")
    lines += ["    while i < n:", "        r = i"]
    for d in range(ndim - 1, 0, -1):
        lines += [f"        c{d} = r % d{d}", f"        r = r // d{d}"]
    lines.append("        c0 = r")
    oidx = ", ".join(f"c{d}" for d in range(ndim))
    reads = []
    for k in range(n_in):
        idx = ", ".join(f"min(c{d}, m{k}_{d})" for d in range(ndim))
        reads.append(f"CT(x{k}[{idx}])")
    lines += store(oidx, f"f({', '.join(reads + ss)})", "        ") + ["        i += step"]
    return "\n".join(lines) + "\n"


def build_kernel(fn_dev, n_in, n_s, ndim, flat, compute_dtype, out_dtype, n_out=1):
    cuda = L.cuda()
    src = kernel_source(n_in, n_s, ndim, flat, n_out)
    if L.SIM:
        ct = compute_dtype.type if compute_dtype != out_dtype else (lambda v: v)
        g = {"cuda": cuda, "f": fn_dev, "CT": ct, "OT": _sim_store(out_dtype), "min": min}
    else:
        g = {"cuda": cuda, "f": fn_dev, "CT": L.nb_type(compute_dtype), "OT": L.nb_type(out_dtype),
             "min": min}
    exec(compile(src, f"<hybridnet cuda elementwise n_in={n_in} ndim={ndim}>", "exec"), g)
    return cuda.jit(g["_k"])


# ---- the kernel ---------------------------------------------------------------------------------

def _broadcast_shape(op, xs):
    s0 = xs[0].shape
    if all(x.shape == s0 for x in xs):
        return s0
    try:
        return tuple(np.broadcast_shapes(*[x.shape for x in xs]))
    except ValueError:
        from ...errors import ShapeError
        from ...ops.check import op_error
        from ...ops.spec import TensorSpec
        from ...device import Device
        specs = [TensorSpec(x.shape, x.dtype, Device("gpu", L.device_of(x))) for x in xs]
        raise op_error(op, specs, ShapeError, "input shapes do not broadcast",
                       "make each axis equal or 1 (NumPy broadcasting)") from None


def make_elementwise_kernel(op):
    """Kernel ``k(*arrays, out=None, **attrs)`` for an elementwise op on the GPU, from ``op.scalar``."""
    n_in = len(op.inputs)
    sattrs = op.scalar_attrs
    n_s = len(sattrs)
    cache = {}
    dev = {}

    def get(dt, ndim, flat):
        key = (dt, ndim, flat)
        k = cache.get(key)
        if k is None:
            cdt = compute_dtype(dt)
            ft = float_type_for(cdt)
            if ft not in dev:
                dev[ft] = device_formula(op.scalar, ft)
            k = cache[key] = build_kernel(dev[ft], n_in, n_s, ndim, flat, cdt, dt)
        return k

    def kernel(*xs, out=None, **attrs):
        x0 = xs[0]
        dt = x0.dtype
        shape = x0.shape if n_in == 1 else _broadcast_shape(op, xs)
        xp = xp_of(x0)
        with L.on_device_of(x0):
            if out is None:
                out = xp.empty(shape, dt)
            n = out.size
            if n == 0:
                return out
            cdt = compute_dtype(dt)
            extra = [cdt.type(dt.type(attrs[a])) for a in sattrs]
            flat = (out.flags.c_contiguous
                    and all(x.shape == shape and x.flags.c_contiguous for x in xs))
            if flat:
                args = [L.Flat(out)] + [L.Flat(x) for x in xs]
                ndim = 1
            else:
                ndim = max(len(shape), 1)
                oshape = shape if shape else (1,)
                args = [out.reshape(oshape)] + [x.reshape((1,) * (ndim - x.ndim) + x.shape) for x in xs]
            blocks, threads = L.elementwise_config(n)
            L.launch(get(dt, ndim, flat), blocks, threads, *args, *extra, np.int64(n))
        return out

    kernel.__name__ = f"gpu_{op.name}"
    kernel._kernel_for = get
    return kernel
