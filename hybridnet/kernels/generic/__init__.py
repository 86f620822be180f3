"""Kernels written against the array API (NumPy on the CPU, CuPy on the GPU): data movement ops
(reshape, transpose, slicing, joining) where a library call is already optimal. ``both(name)``
registers one function for both devices."""
import importlib
import pkgutil

from ...ops.registry import register_kernel


def both(name):
    def deco(fn):
        register_kernel(name, "cpu")(fn)
        register_kernel(name, "gpu")(fn)
        return fn
    return deco


for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")
