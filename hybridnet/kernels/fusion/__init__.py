"""Fused elementwise kernels generated from the ops' scalar formulas (see ``graph/passes/fuse_elementwise``).

``fused_kernel(group, device_type)`` returns the destination-passing kernel ``k(*arrays, out=None)``
for a ``FusionGroup``, one object per structure and device type in this process; it compiles on its
first call per dtype (and layout on the GPU). ``codegen.py`` writes the source, ``compile.py`` compiles
it. Importing this package imports no numba.
"""
__all__ = ["fused_kernel"]

_KERNELS = {}


def fused_kernel(group, device_type):
    key = (group.key(), device_type)
    k = _KERNELS.get(key)
    if k is None:
        from .compile import CpuFusedKernel, GpuFusedKernel
        k = _KERNELS[key] = (CpuFusedKernel if device_type == "cpu" else GpuFusedKernel)(group)
    return k
