"""Preparing an op's ``scalar`` formula for compilation: helpers marked with ``scalar_helper`` that
the formula calls are compiled with the same ``jit`` (CPU ``njit`` or CUDA device function), and, on
the CPU, ``math`` is swapped for a module whose ``exp`` is the vectorisable polynomial of
``kernels/cpu/simd.py`` (<= 1 ulp; the pip llvmlite has no SVML, so ``math.exp`` would be scalar libm
and keep every loop that calls it from vectorising)."""
import math as _math
import types

__all__ = ["prepare"]


def prepare(fn, jit, _cache=None, math_module=None):
    """Return ``fn`` rebuilt with its tagged global helpers replaced by ``jit(helper)`` and, when
    ``math_module`` is given, its global ``math`` replaced by that module."""
    if _cache is None:
        _cache = {}
    names = [n for n in fn.__code__.co_names
             if getattr(fn.__globals__.get(n), "_hn_scalar_helper", False)]
    swap_math = (math_module is not None and "math" in fn.__code__.co_names
                 and fn.__globals__.get("math") is _math)
    if not names and not swap_math:
        return fn
    g = dict(fn.__globals__)
    if swap_math:
        g["math"] = math_module
    for n in names:
        h = fn.__globals__[n]
        if id(h) not in _cache:
            _cache[id(h)] = jit(prepare(h, jit, _cache, math_module))
        g[n] = _cache[id(h)]
    new = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__qualname__ = fn.__qualname__
    new.__module__ = fn.__module__
    return new
