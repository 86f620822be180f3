"""GPU kernels of ``ops/pool.py``'s Pooling and ``_backward_Pooling_linear``: the array-API bodies of
``kernels/generic/pool.py`` on CuPy (one vectorised strided pass per kernel offset on a padded copy,
global pooling as one reduction). UpSampling / BilinearResize2D / AdaptiveAvgPooling2D register both
devices from ``kernels/generic/pool.py`` (BLAS-backed separable maps). Under Numba's CUDA simulator the
arrays are NumPy's."""
from ...ops.registry import register_kernel
from ..generic.pool import backward_pooling_kernel, pooling_kernel

__all__ = []

register_kernel("Pooling", "gpu")(pooling_kernel)
register_kernel("_backward_Pooling_linear", "gpu")(backward_pooling_kernel)
