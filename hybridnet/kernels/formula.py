"""Preparing an op's ``scalar`` formula for compilation: helpers marked with ``scalar_helper`` that
the formula calls are compiled with the same ``jit`` (CPU ``njit`` or CUDA device function), and, on
the CPU, ``math`` is swapped for a module of vectorisable functions (``kernels/cpu/simd.cpu_math``;
the pip llvmlite has no SVML, so ``math.exp`` would be scalar libm and keep every loop that calls it
from vectorising). ``float_type_for`` is the one rule for the literals' type, used by every generator."""
import math as _math
import types

import numpy as np

from ..dtypes import compute_dtype

__all__ = ["prepare", "float_type_for"]


def float_type_for(dtype):
    """The ``float_type`` for formulas compiled for arrays of ``dtype``: ``np.float32`` when they
    compute in float32 (float32 and float16 arrays), ``None`` (Python floats, i.e. float64) otherwise."""
    return np.float32 if compute_dtype(dtype) == np.float32 else None


def _float_consts(code, ft):
    """``code`` with every float literal (nested code objects too) made a ``ft`` scalar."""
    consts = tuple(ft(c) if type(c) is float else _float_consts(c, ft) if isinstance(c, types.CodeType) else c
                   for c in code.co_consts)
    changed = any(a is not b for a, b in zip(consts, code.co_consts))   # (np.float32(1) == 1.0 is True)
    return code.replace(co_consts=consts) if changed else code


def prepare(fn, jit, _cache=None, math_module=None, float_type=None):
    """Return ``fn`` rebuilt with its tagged global helpers replaced by ``jit(helper)`` and, when
    ``math_module`` is given, its global ``math`` replaced by that module.

    ``float_type`` (``np.float32`` for float32/float16 arrays): the formula's float literals and float
    module constants become scalars of that type, so ``1.0 / (1.0 + math.exp(-x))`` on a float32 ``x``
    is computed in float32 as MXNet does, instead of being promoted to float64 by the literal (twice
    slower where it vectorises). The rebuilt function gets a distinct ``__qualname__``, so Numba's disk
    cache keeps the two variants apart."""
    if _cache is None:
        _cache = {}
    if getattr(fn, "_hn_float64", False):     # @scalar_helper(float64=True): computes in float64
        float_type = None
        math_module = getattr(math_module, "_hn_float64", math_module)   # and with float64 math
    code = fn.__code__
    names = [n for n in code.co_names
             if getattr(fn.__globals__.get(n), "_hn_scalar_helper", False)]
    swap_math = (math_module is not None and "math" in code.co_names
                 and fn.__globals__.get("math") is _math)
    fconsts = []
    if float_type is not None:
        code = _float_consts(code, float_type)
        fconsts = [n for n in code.co_names if type(fn.__globals__.get(n)) is float]
    fcells = float_type is not None and any(type(c.cell_contents) is float for c in fn.__closure__ or ())
    if not names and not swap_math and code is fn.__code__ and not fconsts and not fcells:
        return fn
    g = dict(fn.__globals__)
    if swap_math:
        g["math"] = math_module
    for n in fconsts:
        g[n] = float_type(g[n])
    for n in names:
        h = fn.__globals__[n]
        if id(h) not in _cache:
            _cache[id(h)] = jit(prepare(h, jit, _cache, math_module, float_type))
        g[n] = _cache[id(h)]
    closure = fn.__closure__
    if float_type is not None and closure:
        closure = tuple(types.CellType(float_type(c.cell_contents)) if type(c.cell_contents) is float else c
                        for c in closure)
    new = types.FunctionType(code, g, fn.__name__, fn.__defaults__, closure)
    new.__qualname__ = fn.__qualname__ + (f"_{np.dtype(float_type).name}c" if float_type is not None else "")
    new.__module__ = fn.__module__
    return new
