"""Normalisation ops with MXNet 1.9.1's names, attributes and defaults: ``BatchNorm``,
``_contrib_BatchNormWithReLU`` (BatchNorm with a fused ReLU; MXNet runs it only with MKL-DNN) and
``_contrib_SyncBatchNorm`` (cross-device BatchNorm; in one process it is BatchNorm over the local batch).

Outputs. MXNet's BatchNorm has three outputs, ``output``, ``mean`` and ``var`` -- the last is the
*inverse standard deviation* ``1/sqrt(var + eps)``, as MXNet computes it -- of which one is visible,
or three with ``output_mean_var=True`` (``num_visible_outputs`` depends on that attribute). hybridnet adds
three hidden outputs: the new ``moving_mean`` and ``moving_var`` (``state_outputs``: eagerly written into
the input arrays, in a hybridized block into the ``running_mean``/``running_var`` Parameters after each
call) and a one-element flag, 1 when batch statistics were used, read by the gradient rule.

Modes. The kernel reads ``autograd.is_training()`` (``ops.trace_base.TRAINING``) when it runs, as MXNet
reads ``is_train``. Training mode (and not ``use_global_stats``): batch statistics per channel over every
axis but ``axis``, with the biased variance; ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` (gamma
taken as 1 when ``fix_gamma``); and the running statistics are updated **in the forward call**:
``running = momentum * running + (1 - momentum) * batch`` (biased batch variance). Predict mode or
``use_global_stats=True``: the running statistics normalise and stay unchanged (the state outputs equal
the inputs); ``mean``/``var`` outputs are the running mean and ``1/sqrt(running_var + eps)``.

Deliberate differences from MXNet 1.9.1 (gluon-semantics.md 2.6):

- Update timing: MXNet's CPU build updates the running statistics in the *backward* pass (a forward in
  ``train_mode()`` without ``backward()`` leaves them alone); its cuDNN GPU build updates them in the
  forward call with the unbiased variance. hybridnet follows cuDNN/PyTorch timing (forward, every device)
  with MXNet CPU's biased variance, so eager, hybridized and Symbol executions agree and a forward-only
  train-mode pass (e.g. re-estimating statistics) updates them.
- ``fix_gamma=True`` treats gamma as 1 and gives it a zero gradient; MXNet also overwrites the gamma
  array with ones.
- The gradient is the gradient of what the forward computed (the flag output records the mode), also
  under ``record(train_mode=False)`` followed by ``backward()``, where MXNet mixes modes; gradients
  flowing into the visible ``mean``/``var`` outputs are propagated (MXNet drops them).
- gamma/beta/moving_mean/moving_var must have shape ``(C,)`` with ``C = data.shape[axis]``: MXNet 1.9.1
  reads out of bounds for a mismatch; hybridnet raises ``ShapeError``.
- A batch with no elements per channel (0-size data) in training mode uses the running statistics and
  leaves them unchanged.
"""
import numpy as np

from ..errors import DTypeError, ShapeError
from . import api as F
from .check import op_error
from .opdef import Attr, Bool, Float, Int, Pattern, Str
from .registry import defop
from .spec import TensorSpec

__all__ = ["bn_param_dtype", "bn_layout"]

_INPUTS = ("data", "gamma", "beta", "moving_mean", "moving_var")
_STATES = {3: "moving_mean", 4: "moving_var"}
_OUT_NAMES = ("output", "mean", "var", "new_moving_mean", "new_moving_var", "batch_stats")


def bn_param_dtype(dtype):
    """The dtype of the parameters and statistics for data of ``dtype`` (MXNet's ``AccReal``): float32
    for float16 data, else the data's dtype."""
    dt = np.dtype(dtype)
    return np.dtype(np.float32) if dt == np.float16 else dt


def bn_layout(shape, axis):
    """``(outer, C, inner)``: the data viewed with the channel axis in the middle."""
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    return outer, int(shape[axis]), inner


def _axis_of(op, args, data, axis):
    nd = len(data.shape)
    if nd == 0:
        raise op_error(op, args, ShapeError, "data is a scalar; BatchNorm normalises each channel of an array",
                       "pass data of shape (batch, channels, ...)")
    if not -nd <= axis < nd:
        raise op_error(op, args, ShapeError, f"channel axis {axis} is out of range for {nd}-d data "
                       f"(MXNet: 'Channel axis out of range')", f"pass an axis in [{-nd}, {nd - 1}]")
    return axis + nd if axis < 0 else axis


def _make_infer(op_ref, fixed_axis=None):
    def infer(data, gamma, beta, moving_mean, moving_var, **attrs):
        op = op_ref[0]
        args = (data, gamma, beta, moving_mean, moving_var)
        dt = np.dtype(data.dtype)
        if dt.kind != "f":
            raise op_error(op, args, DTypeError, f"data is {dt.name}; {op.name} only supports floating point "
                           "types (as MXNet)", "cast data with .astype('float32') first")
        ax = _axis_of(op, args, data, attrs.get("axis", 1) if fixed_axis is None else fixed_axis)
        C = int(data.shape[ax])
        pdt = bn_param_dtype(dt)
        for name, p in zip(_INPUTS[1:], args[1:]):
            if tuple(p.shape) != (C,):
                raise op_error(op, args, ShapeError, f"{name} has shape {tuple(p.shape)} but data has {C} "
                               f"channels along axis {ax}", f"pass {name} of shape ({C},) (one value per channel)")
            if np.dtype(p.dtype) != pdt:
                raise op_error(op, args, DTypeError, f"{name} is {np.dtype(p.dtype).name} but {dt.name} data needs "
                               f"{pdt.name} parameters (MXNet: 'This layer requires uniform type')",
                               f"cast {name} to {pdt.name}" + (" (float16 data keeps float32 parameters and "
                                                              "statistics)" if dt == np.float16 else ""))
        dev = data.device
        stat = TensorSpec((C,), pdt, dev)
        return (TensorSpec(data.shape, dt, dev), stat, stat, stat, stat, TensorSpec((1,), pdt, dev))
    return infer


def _make_infer_params(fixed_axis=None):
    def infer_params(in_shapes, **attrs):
        d = in_shapes[0]
        if d is None or len(d) == 0:
            return {}
        ax = attrs.get("axis", 1) if fixed_axis is None else fixed_axis
        if not -len(d) <= ax < len(d):
            return {}
        C = d[ax]
        return {n: (C,) for n in _INPUTS[1:]}
    return infer_params


def _bshape(nd, ax, C):
    return tuple(C if i == ax else 1 for i in range(nd))


def _make_grad(fixed_axis=None, relu=False):
    def grad(ctx, g, g_mean=None, g_var=None, *_states):
        a = ctx.attrs
        x, gamma = ctx.inputs[0], ctx.inputs[1]
        y, mean, invstd, flag = ctx.outputs[0], ctx.outputs[1], ctx.outputs[2], ctx.outputs[5]
        xs = ctx.in_specs[0]
        nd = len(xs.shape)
        ax = (a.get("axis", 1) if fixed_axis is None else fixed_axis) % nd
        C = int(xs.shape[ax])
        red = tuple(i for i in range(nd) if i != ax)
        n = max(int(np.prod([xs.shape[i] for i in red], dtype=np.int64)), 1)
        pdt = bn_param_dtype(xs.dtype)
        low = np.dtype(xs.dtype) != pdt                      # float16 data: compute in float32
        bs = _bshape(nd, ax, C)
        if g is None:
            g = F.zeros_like(y)
        if relu:
            g = g * (y > 0)
        if low:
            x = F.Cast(x, dtype=pdt)
            g = F.Cast(g, dtype=pdt)
        mean_b = F.Reshape(mean, shape=bs)
        inv_b = F.Reshape(invstd, shape=bs)
        flag_b = F.Reshape(flag, shape=(1,) * nd)
        xhat = (x - mean_b) * inv_b
        dbeta = F.sum(g, axis=red)
        dxhat_sum = F.sum(g * xhat, axis=red)                # d loss / d gamma when gamma is used
        scale = inv_b if a["fix_gamma"] else inv_b * F.Reshape(gamma, shape=bs)
        # training: y = gamma * (x - mean(x)) * invstd(x) + beta; predict: mean, invstd are constants
        centred = F.Reshape(dbeta, shape=bs) + xhat * F.Reshape(dxhat_sum, shape=bs)
        dx = scale * (g - flag_b * centred * (1.0 / n))
        if g_mean is not None or g_var is not None:        # gradients through the visible mean/var outputs
            extra = None
            if g_mean is not None:
                extra = F.Reshape(g_mean, shape=bs) * (1.0 / n)
            if g_var is not None:                          # d invstd / dx = -invstd**2 * xhat / n
                t = F.Reshape(g_var, shape=bs) * F.square(inv_b) * xhat * (-1.0 / n)
                extra = t if extra is None else extra + t
            dx = dx + flag_b * extra
        if low:
            dx = F.Cast(dx, dtype=xs.dtype)
        dgamma = F.zeros_like(gamma) if a["fix_gamma"] else dxhat_sum
        return (dx, dgamma, dbeta, None, None)
    return grad


def _visible(attrs):
    return 3 if attrs.get("output_mean_var") else 1


_COMMON_DOC = (
    " Normalises each channel with batch statistics in training mode (``autograd.is_training()``, read "
    "when the kernel runs) and updates ``moving_mean``/``moving_var`` in place in that same call "
    "(``m * running + (1 - m) * batch``, biased variance; MXNet's CPU build does it in backward, see "
    "``hybridnet/ops/norm.py``); in predict mode or with ``use_global_stats`` it uses (and keeps) the "
    "running statistics. ``y = gamma * (x - mean) / sqrt(var + eps) + beta``, gamma taken as 1 when "
    "``fix_gamma``. Returns ``output``, or ``[output, mean, inverse std]`` with ``output_mean_var``. "
    "gamma/beta/moving_* have shape ``(C,)`` (float32 for float16 data).")

_bn_ref = [None]
_batch_norm = defop(
    "BatchNorm", _INPUTS, _make_infer(_bn_ref), Pattern.OPAQUE, effects=True, dtype_check=None,
    attrs=(Attr("eps", Float(), 1e-3, "added to the variance (MXNet: no less than cuDNN's 1e-5 on cuDNN)"),
           Attr("momentum", Float(), 0.9, "momentum of the moving averages"),
           Attr("fix_gamma", Bool(), True, "treat gamma as 1 (and give it a zero gradient)"),
           Attr("use_global_stats", Bool(), False, "always normalise with the moving statistics"),
           Attr("output_mean_var", Bool(), False, "also return the mean and the inverse standard deviation"),
           Attr("axis", Int(), 1, "the channel axis"),
           Attr("cudnn_off", Bool(), False, "accepted for MXNet compatibility (no cuDNN here)"),
           Attr("min_calib_range", Float(), None, "quantisation calibration (accepted, unused)"),
           Attr("max_calib_range", Float(), None, "quantisation calibration (accepted, unused)")),
    num_outputs=6, num_visible_outputs=_visible, output_names=_OUT_NAMES, state_outputs=_STATES,
    grad=_make_grad(), saves=("inputs", "outputs"), nondiff=(3, 4), infer_params=_make_infer_params(),
    doc="Batch normalisation (Ioffe & Szegedy, 2015) over every axis but ``axis``." + _COMMON_DOC + "\n\n"
        ">>> x = nd.array([[1.0, 10.0], [3.0, 30.0]])\n"
        ">>> g, b, mm, mv = nd.ones((2,)), nd.zeros((2,)), nd.zeros((2,)), nd.array([4.0, 4.0])\n"
        ">>> nd.BatchNorm(x, g, b, mm, mv, eps=0.0).asnumpy().tolist()   # predict mode: running stats\n"
        "[[0.5, 5.0], [1.5, 15.0]]\n"
        ">>> with mx.autograd.train_mode():\n"
        "...     y = nd.BatchNorm(x, g, b, mm, mv, eps=0.0)\n"
        ">>> y.asnumpy().tolist(), [round(v, 4) for v in mm.asnumpy().tolist()]   # running mean updated\n"
        "([[-1.0, -1.0], [1.0, 1.0]], [0.2, 2.0])")
_bn_ref[0] = _batch_norm

_bnr_ref = [None]
_batch_norm_relu = defop(
    "_contrib_BatchNormWithReLU", _INPUTS, _make_infer(_bnr_ref), Pattern.OPAQUE, effects=True,
    dtype_check=None, attrs=_batch_norm.attrs,
    num_outputs=6, num_visible_outputs=_visible, output_names=_OUT_NAMES, state_outputs=_STATES,
    grad=_make_grad(relu=True), saves=("inputs", "outputs"), nondiff=(3, 4), infer_params=_make_infer_params(),
    doc="``relu(BatchNorm(...))`` in one op (MXNet's ``contrib.BatchNormWithReLU``, which MXNet 1.9.1 runs "
        "only with MKL-DNN); the ``mean``/``var`` outputs are BatchNorm's." + _COMMON_DOC + "\n\n"
        ">>> x = nd.array([[1.0, -10.0], [3.0, 30.0]])\n"
        ">>> g, b, mm, mv = nd.ones((2,)), nd.zeros((2,)), nd.zeros((2,)), nd.ones((2,))\n"
        ">>> nd._contrib_BatchNormWithReLU(x, g, b, mm, mv, eps=0.0).asnumpy().tolist()\n"
        "[[1.0, 0.0], [3.0, 30.0]]")
_bnr_ref[0] = _batch_norm_relu

_sbn_ref = [None]
_sync_batch_norm = defop(
    "_contrib_SyncBatchNorm", _INPUTS, _make_infer(_sbn_ref, fixed_axis=1), Pattern.OPAQUE, effects=True,
    dtype_check=None,
    attrs=_batch_norm.attrs[:5] + (
        Attr("ndev", Int(), 1, "number of devices MXNet synchronises over (one process here: the local batch)"),
        Attr("key", Str(), "", "the layer's key shared by its replicas (MXNet: gluon passes its prefix)")),
    num_outputs=6, num_visible_outputs=_visible, output_names=_OUT_NAMES, state_outputs=_STATES,
    grad=_make_grad(fixed_axis=1), saves=("inputs", "outputs"), nondiff=(3, 4),
    infer_params=_make_infer_params(fixed_axis=1),
    doc="MXNet's ``contrib.SyncBatchNorm``: BatchNorm over axis 1 whose statistics MXNet averages across "
        "``ndev`` devices; hybridnet runs one process, so the statistics are the local batch's (the same as "
        "``BatchNorm``)." + _COMMON_DOC + "\n\n"
        ">>> x = nd.array([[1.0, 10.0], [3.0, 30.0]])\n"
        ">>> g, b, mm, mv = nd.ones((2,)), nd.zeros((2,)), nd.zeros((2,)), nd.ones((2,))\n"
        ">>> nd._contrib_SyncBatchNorm(x, g, b, mm, mv, eps=0.0, key='bn0').asnumpy().tolist()\n"
        "[[1.0, 10.0], [3.0, 30.0]]")
_sbn_ref[0] = _sync_batch_norm
