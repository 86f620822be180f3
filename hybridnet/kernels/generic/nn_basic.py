"""Array-API bodies of the ``ops/nn_basic.py`` kernels (NumPy on the CPU, CuPy on the GPU), shared by
``kernels/cpu/nn_basic.py`` and ``kernels/cuda/nn_basic.py``, which register them with the pieces that
differ per device: the random engine, the ``erf`` kernel and the ``softmax`` kernel.

The train/predict flag is read here, when the kernel runs (``ops.trace_base.TRAINING``), as MXNet reads
``is_train`` at every call. Nothing is registered in this module.
"""
import numpy as np

from ...ops.bind import normalize_attrs
from ...ops.nn_basic import SELU_ALPHA, SELU_LAMBDA, dropout_mask_shape, softmax_act_axis
from ...ops.registry import get_op
from ...ops.trace_base import TRAINING
from ..backend import xp_of

__all__ = ["leaky_relu", "dropout", "emit_outputs", "softmax_activation_with"]


def emit_outputs(results, out):
    """Return ``results`` (a tuple), or copy them into ``out`` (a tuple of arrays, or one array for the
    first result) and return that."""
    if out is None:
        return results
    if not isinstance(out, (tuple, list)):
        out[...] = results[0]
        return (out,) + tuple(results[1:])
    for o, r in zip(out, results):
        if o is not None:
            o[...] = r
    return tuple(o if o is not None else r for o, r in zip(out, results))


def _c(dtype, v):
    """A Python scalar attribute as the array's dtype (legacy rule: a scalar takes the array's dtype)."""
    return np.dtype(dtype).type(v)


def _where_pos(xp, x, neg):
    """``x`` where x > 0 (NaN kept: NaN > 0 is False, so NaN flows through ``neg``), else ``neg``."""
    return xp.where(x > 0, x, neg)


def leaky_relu(data, gamma, *, engine, erf, act_type, slope, lower_bound, upper_bound):
    """LeakyReLU's forward. ``engine()`` gives the device's random engine (rrelu in training), ``erf``
    is the device's erf kernel. Returns the output, or (output, mask) for rrelu."""
    xp = xp_of(data)
    dt = data.dtype
    with np.errstate(all="ignore"):
        if act_type == "leaky":
            return _where_pos(xp, data, data * _c(dt, slope))
        if act_type == "prelu":
            g = gamma if data.ndim < 2 else gamma.reshape((1, -1) + (1,) * (data.ndim - 2))
            return _where_pos(xp, data, (data * g).astype(dt, copy=False))
        if act_type == "elu":
            return _where_pos(xp, data, _c(dt, slope) * xp.expm1(data))
        if act_type == "selu":
            return (_where_pos(xp, data, _c(dt, SELU_ALPHA) * xp.expm1(data)) * _c(dt, SELU_LAMBDA)).astype(
                dt, copy=False)
        if act_type == "gelu":
            cdf = (erf(data * _c(dt, np.sqrt(0.5))) + _c(dt, 1)) * _c(dt, 0.5)
            return (data * cdf).astype(dt, copy=False)
        # rrelu
        if TRAINING.get():
            eng = engine()
            with eng.lock, eng.on_device():
                u = eng.random(data.shape, np.float64 if dt == np.float64 else np.float32)
            mask = (u * (upper_bound - lower_bound) + lower_bound).astype(dt, copy=False)
        else:
            mask = xp.full(data.shape, (lower_bound + upper_bound) / 2.0, dtype=dt)
        return _where_pos(xp, data, data * mask), mask


def dropout(data, *, engine, p, mode, axes):
    """Dropout's forward: (output, mask). Active when p > 0 and (mode 'always' or training); the mask
    (``dropout_mask_shape``) holds keep * 1/(1-p) in the data's dtype, as MXNet computes
    ``keep * x * (1/pkeep)`` with ``pkeep = float32(1 - p)`` (so p = 1 gives NaN, as MXNet)."""
    xp = xp_of(data)
    dt = data.dtype
    mshape = dropout_mask_shape(data.shape, tuple(axes))
    if p > 0 and (mode == "always" or TRAINING.get()):
        pkeep = np.float32(1.0 - p)
        with np.errstate(all="ignore"):
            scale = np.float32(1.0) / pkeep
        eng = engine()
        with eng.lock, eng.on_device():
            u = eng.random(mshape, np.float32)
        with np.errstate(all="ignore"):
            mask = ((u <= pkeep).astype(np.float32) * scale).astype(dt)
            out = (data * mask).astype(dt, copy=False)
        return out, mask
    return data.copy(), xp.ones(mshape, dtype=dt)


def softmax_activation_with(device):
    """SoftmaxActivation's kernel for ``device``'s type: the ``softmax`` kernel over the last axis
    (mode 'instance') or axis 1 ('channel')."""
    from .. import kernel_for
    softmax = get_op("softmax")

    def kernel(data, out=None, mode="instance"):
        k = kernel_for(softmax, device)
        return k(data, out=out, **normalize_attrs(softmax, {"axis": softmax_act_axis(mode)}))
    return kernel
