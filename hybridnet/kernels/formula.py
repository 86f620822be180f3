"""Preparing an op's ``scalar`` formula for compilation: helpers marked with ``scalar_helper`` that
the formula calls are compiled with the same ``jit`` (CPU ``njit`` or CUDA device function)."""
import types

__all__ = ["prepare"]


def prepare(fn, jit, _cache=None):
    """Return ``fn`` rebuilt with its tagged global helpers replaced by ``jit(helper)``."""
    if _cache is None:
        _cache = {}
    names = [n for n in fn.__code__.co_names
             if getattr(fn.__globals__.get(n), "_hn_scalar_helper", False)]
    if not names:
        return fn
    g = dict(fn.__globals__)
    for n in names:
        h = fn.__globals__[n]
        if id(h) not in _cache:
            _cache[id(h)] = jit(prepare(h, jit, _cache))
        g[n] = _cache[id(h)]
    new = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__qualname__ = fn.__qualname__
    new.__module__ = fn.__module__
    return new
