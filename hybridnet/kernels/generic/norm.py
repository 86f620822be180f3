"""Array-API body of the ``ops/norm.py`` kernels (BatchNorm and its relu / sync variants; LayerNorm,
GroupNorm, InstanceNorm, L2Normalization): NumPy or CuPy. The GPU kernels are this body on CuPy
(``kernels/cuda/norm.py``: CuPy's reductions and one broadcast multiply-add; measured in
BENCHMARKS.md "BatchNorm"); the CPU uses Numba (``kernels/cpu/norm.py``) and shares ``finish_stats`` with it.
Nothing is registered here.

The train/predict flag is read here, when the kernel runs (``ops.trace_base.TRAINING``).
"""
import numpy as np

from ...ops.norm import bn_layout, bn_param_dtype, compute_dtype, l2_layout, l2_norm_shape
from ...ops.trace_base import TRAINING
from ..backend import xp_of
from .nn_basic import emit_outputs

__all__ = ["batch_norm", "batch_norm_backward", "use_batch_stats", "finish_stats", "layer_norm", "layer_norm_backward", "group_norm",
           "instance_norm", "l2_normalization"]


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


def batch_norm_backward(grad_out, data, gamma, mean, invstd, flag, grad_mean=None, grad_var=None, *, axis,
                        fix_gamma, out=None, **_):
    """``_backward_BatchNorm``: ``(grad_data, grad_gamma, grad_beta)`` (formulas in ops/norm.py)."""
    xp = xp_of(data)
    ax = axis % data.ndim
    O, C, I = bn_layout(data.shape, ax)
    pdt = bn_param_dtype(data.dtype)
    n = max(O * I, 1)
    x3 = data.reshape(O, C, I).astype(pdt, copy=False)
    g3 = grad_out.reshape(O, C, I).astype(pdt, copy=False)
    s = invstd.astype(pdt, copy=False)
    f = flag.astype(pdt, copy=False)
    xhat = (x3 - mean.astype(pdt, copy=False)[None, :, None]) * s[None, :, None]
    dbeta = g3.sum(axis=(0, 2)).astype(pdt, copy=False)
    d = (g3 * xhat).sum(axis=(0, 2)).astype(pdt, copy=False)
    sc = s if fix_gamma else s * gamma.astype(pdt, copy=False)
    fn = f * pdt.type(1.0 / n)
    k0 = -(sc * fn) * dbeta                                 # dx = sc * g + xhat * k1 + k0
    k1 = -(sc * fn) * d
    if grad_mean is not None:
        k0 = k0 + fn * grad_mean.astype(pdt, copy=False)
    if grad_var is not None:
        k1 = k1 - fn * grad_var.astype(pdt, copy=False) * s * s
    dx = g3 * sc[None, :, None] + xhat * k1[None, :, None] + k0[None, :, None]
    dgamma = xp.zeros_like(d) if fix_gamma else d
    return emit_outputs((dx.astype(data.dtype, copy=False).reshape(data.shape), dgamma, dbeta), out)


# ---- LayerNorm / GroupNorm / InstanceNorm / L2Normalization ----------------------------------------------
# The GPU kernels (kernels/cuda/norm.py) and the NumPy composite the CPU Numba kernels are measured
# against (benchmarks/bench_layernorm.py). Statistics over the middle axis of an (O, R, I) view, shifted
# by the first element along it (accurate one-pass-free variance: mean first, then the centred squares).

def _mid_stats(xp, x3):
    """Mean and biased variance over axis 1 of ``x3`` (compute dtype), keepdims."""
    mean = x3.mean(axis=1, keepdims=True)
    d = x3 - mean
    var = (d * d).mean(axis=1, keepdims=True)
    return mean, var


def _stats_or_nan(xp, x3):
    if x3.shape[1] == 0:   # statistics of nothing: NaN, as NumPy's mean of an empty axis
        nan = xp.full((x3.shape[0], 1, x3.shape[2]), xp.nan, x3.dtype)
        return nan, nan
    return _mid_stats(xp, x3)


def layer_norm(data, gamma, beta, *, axis, eps, out=None, **_):
    """LayerNorm's forward: ``(output, mean, std)``."""
    xp = xp_of(data)
    cdt = compute_dtype(data.dtype)
    ax = axis % data.ndim
    O, C, I = bn_layout(data.shape, ax)
    x3 = data.reshape(O, C, I).astype(cdt, copy=False)
    mean, var = _stats_or_nan(xp, x3)
    std = xp.sqrt(var + cdt.type(eps))
    g = gamma.astype(cdt, copy=False).reshape(1, C, 1)
    b = beta.astype(cdt, copy=False).reshape(1, C, 1)
    y = ((x3 - mean) / std) * g + b
    st = tuple(1 if i == ax else d for i, d in enumerate(data.shape))
    dt = data.dtype
    return emit_outputs((y.astype(dt, copy=False).reshape(data.shape), mean.astype(dt, copy=False).reshape(st),
                         std.astype(dt, copy=False).reshape(st)), out)


def layer_norm_backward(grad_out, data, gamma, mean, std, grad_mean=None, grad_std=None, *, axis, out=None, **_):
    """``_backward_LayerNorm``: ``(grad_data, grad_gamma, grad_beta)`` (see ops/norm.py)."""
    xp = xp_of(data)
    cdt = compute_dtype(data.dtype)
    ax = axis % data.ndim
    O, C, I = bn_layout(data.shape, ax)
    x3 = data.reshape(O, C, I).astype(cdt, copy=False)
    g3 = grad_out.reshape(O, C, I).astype(cdt, copy=False)
    inv = cdt.type(1) / std.reshape(O, 1, I).astype(cdt, copy=False)
    xhat = (x3 - mean.reshape(O, 1, I).astype(cdt, copy=False)) * inv
    gx = g3 * gamma.astype(cdt, copy=False).reshape(1, C, 1)
    if C:
        dx = (gx - gx.mean(axis=1, keepdims=True) - xhat * (gx * xhat).mean(axis=1, keepdims=True)) * inv
        if grad_mean is not None:
            dx = dx + grad_mean.reshape(O, 1, I).astype(cdt, copy=False) * cdt.type(1.0 / C)
        if grad_std is not None:
            dx = dx + grad_std.reshape(O, 1, I).astype(cdt, copy=False) * xhat * cdt.type(1.0 / C)
    else:
        dx = gx
    dt = data.dtype
    dgamma = (g3 * xhat).sum(axis=(0, 2)).astype(dt, copy=False)
    return emit_outputs((dx.astype(dt, copy=False).reshape(data.shape), dgamma,
                         g3.sum(axis=(0, 2)).astype(dt, copy=False)), out)


def _per_group(data, gamma, beta, k, eps, xp):
    """(N, k, rest) statistics with one gamma/beta per group k: ``(y, mean (N, k), var (N, k), std)``."""
    cdt = compute_dtype(data.dtype)
    N = data.shape[0]
    rest = (data.size // (N * k)) if N * k else 0
    x3 = data.reshape(N * k, rest, 1).astype(cdt, copy=False)
    mean, var = _stats_or_nan(xp, x3)
    std = xp.sqrt(var + cdt.type(eps))
    g = xp.tile(gamma.astype(cdt, copy=False), N).reshape(N * k, 1, 1)
    b = xp.tile(beta.astype(cdt, copy=False), N).reshape(N * k, 1, 1)
    y = ((x3 - mean) / std) * g + b
    dt = data.dtype
    return (y.astype(dt, copy=False).reshape(data.shape), mean.astype(dt, copy=False).reshape(N, k),
            var.astype(dt, copy=False).reshape(N, k), std.astype(dt, copy=False).reshape(N, k))


def group_norm(data, gamma, beta, *, num_groups, eps, out=None, **_):
    """GroupNorm's forward: ``(output, mean, std)`` (statistics ``(N, num_groups)``)."""
    y, mean, _, std = _per_group(data, gamma, beta, num_groups, eps, xp_of(data))
    return emit_outputs((y, mean, std), out)


def instance_norm(data, gamma, beta, *, eps, out=None, **_):
    """InstanceNorm's forward: ``(output, mean, var)`` (statistics ``(N, C)``)."""
    y, mean, var, _ = _per_group(data, gamma, beta, data.shape[1], eps, xp_of(data))
    return emit_outputs((y, mean, var), out)


def l2_normalization(data, *, eps, mode, out=None, **_):
    """L2Normalization's forward: ``(output, norm)``."""
    xp = xp_of(data)
    cdt = compute_dtype(data.dtype)
    O, R, I = l2_layout(data.shape, mode)
    x3 = data.reshape(O, R, I).astype(cdt, copy=False)
    norm = xp.sqrt((x3 * x3).sum(axis=1, keepdims=True) + cdt.type(eps))
    y = x3 / norm
    dt = data.dtype
    return emit_outputs((y.astype(dt, copy=False).reshape(data.shape),
                         norm.astype(dt, copy=False).reshape(l2_norm_shape(data.shape, mode))), out)
