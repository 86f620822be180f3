"""Kernels written against the array API (NumPy on the CPU, CuPy on the GPU): data movement ops
(reshape, transpose, slicing, joining) where a library call is already optimal. ``both(name)``
registers one function for both devices."""
import importlib
import pkgutil

import contextlib

import numpy as np

from ...ops.registry import register_kernel


def device_scope(a):
    """Make ``a``'s GPU current for CuPy and Numba (matters only with several GPUs); nothing on the CPU."""
    if isinstance(a, np.ndarray):
        return contextlib.nullcontext()
    from ..cuda.launch import on_device_of
    return on_device_of(a)


def both(name):
    def deco(fn):
        register_kernel(name, "cpu")(fn)
        register_kernel(name, "gpu")(fn)
        return fn
    return deco


for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")
