"""Array-API body of the ``ops/norm.py`` kernels (BatchNorm and its relu / sync variants): NumPy or
CuPy. The GPU kernels are this body on CuPy (``kernels/cuda/norm.py``: CuPy's reductions and one
broadcast multiply-add; measured in BENCHMARKS.md "BatchNorm"); the CPU uses Numba
(``kernels/cpu/norm.py``) and shares ``finish_stats`` with it. Nothing is registered here.

The train/predict flag is read here, when the kernel runs (``ops.trace_base.TRAINING``).
"""
import numpy as np

from ...ops.norm import bn_layout, bn_param_dtype
from ...ops.trace_base import TRAINING
from ..backend import xp_of
from .nn_basic import emit_outputs

__all__ = ["batch_norm", "use_batch_stats", "finish_stats"]


def use_batch_stats(use_global_stats, count):
    """Batch statistics: training mode, not ``use_global_stats``, and at least one element per channel."""
    return bool(TRAINING.get()) and not use_global_stats and count > 0


def finish_stats(xp, batch, mean, var, gamma, beta, moving_mean, moving_var, eps, momentum, fix_gamma):
    """From the per-channel ``mean``/``var`` (batch or running, in the parameter dtype): the outputs
    ``(mean, invstd, new_moving_mean, new_moving_var, flag)`` and the per-channel ``scale`` with
    ``y = (x - mean) * scale + beta``."""
    pdt = mean.dtype
    one = pdt.type(1)
    invstd = (one / xp.sqrt(var + pdt.type(eps))).astype(pdt, copy=False)
    if batch:
        m = pdt.type(momentum)
        new_mm = (moving_mean * m + mean * (one - m)).astype(pdt, copy=False)
        new_mv = (moving_var * m + var * (one - m)).astype(pdt, copy=False)
    else:
        new_mm, new_mv = moving_mean.copy(), moving_var.copy()
    scale = invstd if fix_gamma else (invstd * gamma).astype(pdt, copy=False)
    flag = xp.full((1,), 1 if batch else 0, dtype=pdt)
    return (mean, invstd, new_mm, new_mv, flag), scale


def batch_norm(data, gamma, beta, moving_mean, moving_var, *, eps, momentum, fix_gamma, use_global_stats,
               axis, relu=False, out=None):
    """BatchNorm's forward on any array module: ``(output, mean, invstd, new_mm, new_mv, flag)``."""
    xp = xp_of(data)
    ax = axis % data.ndim
    O, C, I = bn_layout(data.shape, ax)
    pdt = bn_param_dtype(data.dtype)
    x3 = data.reshape(O, C, I).astype(pdt, copy=False)
    batch = use_batch_stats(use_global_stats, O * I)
    if batch:   # shifted by each channel's first element: accurate when the mean is large against the spread
        k = x3[:1, :, :1]
        d = x3 - k
        md = d.mean(axis=(0, 2))
        var = ((d - md[None, :, None]) ** 2).mean(axis=(0, 2)).astype(pdt, copy=False)
        mean = (k[0, :, 0] + md).astype(pdt, copy=False)
    else:
        mean, var = moving_mean.astype(pdt, copy=True), moving_var.astype(pdt, copy=False)
    stats, scale = finish_stats(xp, batch, mean, var, gamma, beta, moving_mean, moving_var, eps, momentum,
                                fix_gamma)
    y = (x3 - mean[None, :, None]) * scale[None, :, None] + beta.astype(pdt, copy=False)[None, :, None]
    if relu:
        y = xp.maximum(y, pdt.type(0))
    y = y.astype(data.dtype, copy=False).reshape(data.shape)
    return emit_outputs((y,) + stats, out)
