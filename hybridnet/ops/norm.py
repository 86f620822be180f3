"""Normalisation ops with MXNet 1.9.1's names, attributes and defaults: ``BatchNorm``,
``_contrib_BatchNormWithReLU`` (BatchNorm with a fused ReLU; MXNet runs it only with MKL-DNN) and
``_contrib_SyncBatchNorm`` (cross-device BatchNorm; in one process it is BatchNorm over the local batch);
``LayerNorm``, ``GroupNorm``, ``InstanceNorm`` and ``L2Normalization`` (pure functions of their inputs;
see the section comment above their definitions below).

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

from ..dtypes import compute_dtype as _compute_dtype_rule
from ..errors import DTypeError, ShapeError
from . import api as F
from .check import op_error
from .opdef import Attr, Bool, Choice, Float, Int, Pattern, Str
from .registry import defop
from .spec import TensorSpec

__all__ = ["bn_param_dtype", "bn_layout", "compute_dtype", "l2_layout", "l2_norm_shape"]

_INPUTS = ("data", "gamma", "beta", "moving_mean", "moving_var")
_STATES = {3: "moving_mean", 4: "moving_var"}
_OUT_NAMES = ("output", "mean", "var", "new_moving_mean", "new_moving_var", "batch_stats")


def bn_param_dtype(dtype):
    """The dtype of the parameters and statistics for data of ``dtype`` (MXNet's ``AccReal``): float32
    for float16 data, else the data's dtype."""
    return _compute_dtype_rule(dtype)


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


def _make_grad_composite(fixed_axis=None, relu=False):
    """BatchNorm's gradient written with elementwise and reduction registry ops (the rule before the fused
    ``_backward_BatchNorm``; kept for the benchmark's before/after comparison and the tests)."""
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


def _make_grad(fixed_axis=None, relu=False):
    """One ``_backward_BatchNorm`` call (dx, dgamma, dbeta in one pass per channel; gradients arriving at the
    mean/var outputs and the batch-stats flag folded into the same pass)."""
    def grad(ctx, g, g_mean=None, g_var=None, *_states):
        a = ctx.attrs
        x, gamma = ctx.inputs[0], ctx.inputs[1]
        y, mean, invstd, flag = ctx.outputs[0], ctx.outputs[1], ctx.outputs[2], ctx.outputs[5]
        nd = len(ctx.in_specs[0].shape)
        ax = (a.get("axis", 1) if fixed_axis is None else fixed_axis) % nd
        if g is None:
            g = F.zeros_like(y)
        if relu:
            g = g * (y > 0)
        res = F._backward_BatchNorm(g, x, gamma, mean, invstd, flag, g_mean, g_var, axis=ax,
                                    fix_gamma=bool(a["fix_gamma"]))
        return (res[0], res[1], res[2], None, None)
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


# ---- _backward_BatchNorm: BatchNorm's gradient in one op ------------------------------------------------
#
# Inputs: the head gradient of the output, the forward's data and gamma, its mean / invstd / batch-stats
# flag outputs (treated as independent inputs), and optionally the head gradients of the mean/invstd
# outputs. Per channel (n elements over every axis but ``axis``, xhat = (x - mean) * invstd, sc = invstd *
# gamma -- gamma taken as 1 with ``fix_gamma`` --, f the flag: 1 when the forward used batch statistics):
#   dbeta = sum(g), D = sum(g * xhat), dgamma = D (zeros with fix_gamma)
#   dx = sc * (g - f * (dbeta + xhat * D) / n) + f * (grad_mean - grad_var * invstd**2 * xhat) / n
# (the composite rule's formulas, ``_make_grad_composite``). Its own gradient (below) is the vector-Jacobian
# product of these formulas written with registry ops, so BatchNorm stays differentiable to any order:
# second-order terms through mean/invstd reach BatchNorm's grad rule as grad_mean/grad_var and come back here.

_bbn_ref = [None]


def _bbn_infer(grad_out, data, gamma, mean, invstd, flag, grad_mean=None, grad_var=None, axis=1, fix_gamma=True):
    op = _bbn_ref[0]
    args = tuple(a for a in (grad_out, data, gamma, mean, invstd, flag, grad_mean, grad_var) if a is not None)
    dt = _float_data(op, args, data)
    ax = _axis_of(op, args, data, axis)
    C = int(data.shape[ax])
    pdt = bn_param_dtype(dt)
    want = {"grad_out": (tuple(data.shape), dt), "gamma": ((C,), pdt), "mean": ((C,), pdt),
            "invstd": ((C,), pdt), "flag": ((1,), pdt), "grad_mean": ((C,), pdt), "grad_var": ((C,), pdt)}
    for name, v in zip(("grad_out", "gamma", "mean", "invstd", "flag", "grad_mean", "grad_var"),
                       (grad_out, gamma, mean, invstd, flag, grad_mean, grad_var)):
        if v is None:
            continue
        shp, vdt = want[name]
        if tuple(v.shape) != shp:
            raise op_error(op, args, ShapeError, f"{name} has shape {tuple(v.shape)} but data {tuple(data.shape)} "
                           f"with channel axis {axis} needs {shp}",
                           f"pass BatchNorm's {'gradient' if name.startswith('grad') else 'input/output'} "
                           f"of shape {shp}")
        if np.dtype(v.dtype) != vdt:
            raise op_error(op, args, DTypeError, f"{name} is {np.dtype(v.dtype).name} but {dt.name} data needs "
                           f"{vdt.name}", f"cast {name} to {vdt.name}")
    dev = data.device
    return TensorSpec(data.shape, dt, dev), TensorSpec((C,), pdt, dev), TensorSpec((C,), pdt, dev)


def _bbn_grad(ctx, a_dx, p_dgamma=None, q_dbeta=None):
    """VJP of ``_backward_BatchNorm`` w.r.t. all its inputs. With A the head gradient of dx, SA = sum(A),
    SAx = sum(A * xhat) per channel, the gradient reaching xhat is
    Gxh = (P - sc f SAx / n) g - (sc f D + f grad_var invstd**2) A / n, which gives d x = Gxh * invstd,
    d mean = -sum(Gxh) * invstd and the invstd term sum(Gxh * xhat) / invstd."""
    a = ctx.attrs
    xs = ctx.in_specs[1]
    nd = len(xs.shape)
    ax = a["axis"] % nd
    C = int(xs.shape[ax])
    red = tuple(i for i in range(nd) if i != ax)
    n = max(int(np.prod([xs.shape[i] for i in red], dtype=np.int64)), 1)
    bs = _bshape(nd, ax, C)
    fix = a["fix_gamma"]
    low = _low(ctx)
    g, x, gamma, mean, invstd, flag, gm, gv = ctx.inputs
    g, x = _cast_all(low, g, x)
    A = F.zeros_like(x) if a_dx is None else _cast_all(low, a_dx)[0]
    rb = lambda v: F.Reshape(v, shape=bs)  # noqa: E731
    s_b, f_b = rb(invstd), F.Reshape(flag, shape=(1,) * nd)
    xhat = (x - rb(mean)) * s_b
    gam = None if fix else gamma
    sc = invstd if fix else invstd * gamma                  # per channel
    sc_b = rb(sc)
    B = F.sum(g, axis=red)
    D = F.sum(g * xhat, axis=red)
    SA = F.sum(A, axis=red)
    SAx = F.sum(A * xhat, axis=red)
    inv_n = 1.0 / n
    d_g = sc_b * A - sc_b * f_b * (rb(SA) + rb(SAx) * xhat) * inv_n
    coef_g = -(sc_b * f_b * rb(SAx)) * inv_n                # d L / d xhat = coef_g * g + coef_a * A
    coef_a = -(sc_b * f_b * rb(D)) * inv_n
    if not fix and p_dgamma is not None:
        Pb = rb(p_dgamma)
        d_g = d_g + Pb * xhat
        coef_g = coef_g + Pb
    if q_dbeta is not None:
        d_g = d_g + rb(q_dbeta)
    if gv is not None:
        coef_a = coef_a - f_b * rb(gv) * F.square(s_b) * inv_n
    gxh = coef_g * g + coef_a * A
    d_x = gxh * s_b
    d_mean = -F.sum(gxh, axis=red) * invstd
    # T = d L / d sc (per channel)
    T = F.sum(A * g, axis=red) - flag * (B * SA + D * SAx) * inv_n
    d_inv = F.sum(gxh * xhat, axis=red) / invstd + (T if fix else T * gamma)
    d_flag_c = -(sc * (B * SA + D * SAx)) * inv_n
    if gm is not None:
        d_flag_c = d_flag_c + gm * SA * inv_n
    if gv is not None:
        d_inv = d_inv - flag * gv * invstd * SAx * (2.0 * inv_n)
        d_flag_c = d_flag_c - gv * F.square(invstd) * SAx * inv_n
    d_flag = F.Reshape(F.sum(d_flag_c), shape=(1,))
    d_gamma = F.zeros_like(gamma) if gam is None else T * invstd
    d_gm = None if gm is None else flag * SA * inv_n
    d_gv = None if gv is None else -(flag * F.square(invstd) * SAx) * inv_n
    if low is not None:
        d_g, d_x = _cast_all(xs.dtype, d_g, d_x)
    return (d_g, d_x, d_gamma, d_mean, d_inv, d_flag, d_gm, d_gv)


_backward_batch_norm = defop(
    "_backward_BatchNorm", ("grad_out", "data", "gamma", "mean", "invstd", "flag", "grad_mean?", "grad_var?"),
    _bbn_infer, Pattern.OPAQUE, dtype_check=None,
    attrs=(Attr("axis", Int(), 1, "the channel axis of the forward"),
           Attr("fix_gamma", Bool(), True, "the forward took gamma as 1 (zero gamma gradient)")),
    num_outputs=3, output_names=("grad_data", "grad_gamma", "grad_beta"), grad=_bbn_grad, saves=("inputs",),
    doc="BatchNorm's gradient in one pass per channel: from the head gradient of the output, the forward's "
        "data and gamma, its mean / inverse std / batch-stats flag outputs (flag 1: batch statistics, 0: "
        "running statistics, constants) and optionally the head gradients of mean and inverse std, the "
        "gradients of data, gamma and beta. Differentiable to any order (its gradient composes registry ops)."
        "\n\n"
        ">>> x = nd.array([[1.0], [3.0]]); g = nd.ones((1,)); b = nd.zeros((1,))\n"
        ">>> mean, inv, flag = nd.array([2.0]), nd.array([1.0]), nd.array([1.0])\n"
        ">>> dx, dg, db = nd._backward_BatchNorm(nd.array([[1.0], [0.0]]), x, g, mean, inv, flag, fix_gamma=False)\n"
        ">>> dx.asnumpy().ravel().tolist(), dg.asnumpy().tolist(), db.asnumpy().tolist()\n"
        "([0.0, 0.0], [-1.0], [1.0])")
_bbn_ref[0] = _backward_batch_norm


# ---- LayerNorm, GroupNorm, InstanceNorm, L2Normalization ------------------------------------------------
#
# MXNet 1.9.1 (src/operator/nn/layer_norm.cc, nn/group_norm.cc, instance_norm-inl.h,
# l2_normalization-inl.h):
#
# - ``LayerNorm(data, gamma, beta, axis=-1, eps=1e-5, output_mean_var=False)``: statistics along ``axis``;
#   outputs ``output``, ``mean`` and ``std = sqrt(var + eps)`` (both of the data's shape with ``axis`` of
#   size 1); one visible output, three with ``output_mean_var``. gamma/beta ``(C,)`` in the data's dtype.
# - ``GroupNorm(data, gamma, beta, num_groups=1, eps=1e-5, output_mean_var=False)``: data ``(N, C, ...)``
#   (rank >= 3) viewed as ``(N, G, C/G * ...)``; statistics per (sample, group); **gamma/beta have shape
#   ``(num_groups,)``** (one value per group, as MXNet 1.x; 2.0 made them per channel); outputs
#   ``output``, ``mean`` and ``std`` of shape ``(N, G)``.
# - ``InstanceNorm(data, gamma, beta, eps=1e-3)``: data ``(N, C, ...)`` (rank >= 3); statistics per
#   (sample, channel) over the remaining axes; ``y = gamma * (x - mean) / sqrt(var + eps) + beta``; hidden
#   outputs ``mean`` and ``var`` (the variance itself) of shape ``(N, C)``; one visible output.
# - ``L2Normalization(data, eps=1e-10, mode='instance')``: ``y = x / sqrt(sum(x**2) + eps)`` over every
#   axis but 0 (``instance``; 1-D data: each element over itself, as MXNet), over axis 1 at each position
#   (``channel``) or over the axes after 1 for each (sample, channel) (``spatial``); rank >= 3 for the
#   last two; hidden output ``norm`` (``(N,)``, data shape with axis 1 of size 1, ``(N, C)``).
#
# All statistics are the biased variance, computed in float64 on the CPU (float32 for float16 data on
# the GPU). Deliberate differences: float16/float64 InstanceNorm works (MXNet 1.9.1: float32 only);
# gradients flowing into the visible mean/std outputs are propagated (MXNet documents that none pass);
# 0-size data gives empty outputs (MXNet treats a 0 dim as unknown and fails); L2Normalization is
# differentiable to any order (its gradient composes registry ops).

def compute_dtype(dtype):
    """The dtype the kernels compute in: float32 for float16 data, else the data's."""
    return bn_param_dtype(dtype)


def _float_data(op, args, data):
    dt = np.dtype(data.dtype)
    if dt.kind != "f":
        raise op_error(op, args, DTypeError, f"data is {dt.name}; {op.name} only supports floating point types",
                       "cast data with .astype('float32') first")
    return dt


def _check_params(op, args, data, want, what):
    """gamma and beta: shape ``want`` and the data's dtype (MXNet: 'Incompatible attr')."""
    dt = np.dtype(data.dtype)
    for name, p in zip(("gamma", "beta"), args[1:3]):
        if tuple(p.shape) != want:
            raise op_error(op, args, ShapeError, f"{name} has shape {tuple(p.shape)} but {what}",
                           f"pass {name} of shape {want}")
        if np.dtype(p.dtype) != dt:
            raise op_error(op, args, DTypeError, f"{name} is {np.dtype(p.dtype).name} but data is {dt.name} "
                           "(MXNet: 'Incompatible attr')", f"cast {name} to {dt.name}")


def _ln_axis(op, args, data, axis):
    nd = len(data.shape)
    if nd == 0:
        raise op_error(op, args, ShapeError, "data is a scalar; LayerNorm normalises along an axis of an array",
                       "pass data with at least one axis")
    if not -nd <= axis < nd:
        raise op_error(op, args, ShapeError, f"axis {axis} is out of range for {nd}-d data (MXNet: 'Channel axis "
                       "out of range')", f"pass an axis in [{-nd}, {nd - 1}]")
    return axis % nd


_ln_ref = [None]


def _ln_infer(data, gamma, beta, axis=-1, eps=1e-5, output_mean_var=False):
    op, args = _ln_ref[0], (data, gamma, beta)
    dt = _float_data(op, args, data)
    ax = _ln_axis(op, args, data, axis)
    C = int(data.shape[ax])
    _check_params(op, args, data, (C,), f"data has {C} elements along axis {axis} (one gamma/beta per element "
                  "of the normalised axis)")
    st = tuple(1 if i == ax else int(d) for i, d in enumerate(data.shape))
    dev = data.device
    return TensorSpec(data.shape, dt, dev), TensorSpec(st, dt, dev), TensorSpec(st, dt, dev)


def _ln_infer_params(in_shapes, axis=-1, **_):
    d = in_shapes[0]
    if d is None or not -len(d) <= axis < len(d):
        return {}
    return {"gamma": (d[axis],), "beta": (d[axis],)}


def _low(ctx):
    """float16 data: gradient maths in float32 (returns the compute dtype, or None)."""
    dt = np.dtype(ctx.in_specs[0].dtype)
    return np.dtype(np.float32) if dt == np.float16 else None


def _cast_all(dt, *xs):
    return [x if x is None or dt is None else F.Cast(x, dtype=dt) for x in xs]


def _norm_grad_core(g, x, mean, inv, gamma_b, red, n, g_mean=None, g_std=None, std_is_var=False):
    """The gradient of ``y = gamma * (x - mean) * inv + beta`` w.r.t. x (statistics over ``red`` with ``n``
    elements, broadcast shapes everywhere), plus gradients arriving at the mean and at std (or var)."""
    xhat = (x - mean) * inv
    gx = g * gamma_b
    dx = (gx - F.mean(gx, axis=red, keepdims=True) - xhat * F.mean(gx * xhat, axis=red, keepdims=True)) * inv
    if g_mean is not None:
        dx = dx + g_mean * (1.0 / n)
    if g_std is not None:      # d std/dx = xhat / n; d var/dx = 2 (x - mean) / n
        dx = dx + g_std * (x - mean) * (2.0 / n) if std_is_var else dx + g_std * xhat * (1.0 / n)
    return dx, xhat


def _ln_grad_composite(ctx, g, g_mean=None, g_std=None):
    """LayerNorm's gradient written with elementwise and reduction registry ops (the rule before the fused
    ``_backward_LayerNorm``; kept for the benchmark's before/after comparison and as the reference the
    backward op's own gradient rule differentiates)."""
    a = ctx.attrs
    xs = ctx.in_specs[0]
    nd = len(xs.shape)
    ax = a["axis"] % nd
    C = int(xs.shape[ax])
    red = tuple(i for i in range(nd) if i != ax)
    low = _low(ctx)
    x, gamma, mean, std = ctx.inputs[0], ctx.inputs[1], ctx.outputs[1], ctx.outputs[2]
    if g is None:
        g = F.zeros_like(ctx.outputs[0])
    x, gamma, mean, std, g, g_mean, g_std = _cast_all(low, x, gamma, mean, std, g, g_mean, g_std)
    bs = tuple(C if i == ax else 1 for i in range(nd))
    dx, xhat = _norm_grad_core(g, x, mean, 1.0 / std, F.Reshape(gamma, shape=bs), (ax,), max(C, 1), g_mean, g_std)
    dgamma = F.sum(g * xhat, axis=red)
    dbeta = F.sum(g, axis=red)
    if low is not None:
        dx, dgamma, dbeta = _cast_all(xs.dtype, dx, dgamma, dbeta)
    return dx, dgamma, dbeta


def _ln_grad(ctx, g, g_mean=None, g_std=None):
    """One ``_backward_LayerNorm`` call (dx, dgamma, dbeta in one pass per row; gradients arriving at the
    mean/std outputs folded into the same pass)."""
    x, gamma, mean, std = ctx.inputs[0], ctx.inputs[1], ctx.outputs[1], ctx.outputs[2]
    if g is None:
        g = F.zeros_like(ctx.outputs[0])
    res = F._backward_LayerNorm(g, x, gamma, mean, std, g_mean, g_std, axis=ctx.attrs["axis"])
    return res[0], res[1], res[2]


def _mean_std_visible(attrs):
    return 3 if attrs.get("output_mean_var") else 1


_layer_norm = defop(
    "LayerNorm", ("data", "gamma", "beta"), _ln_infer, Pattern.OPAQUE, dtype_check=None,
    attrs=(Attr("axis", Int(), -1, "the axis to normalise along (negative: from the end)"),
           Attr("eps", Float(), 1e-5, "added to the variance"),
           Attr("output_mean_var", Bool(), False, "also return the mean and the standard deviation")),
    num_outputs=3, num_visible_outputs=_mean_std_visible, output_names=("output", "mean", "std"),
    grad=_ln_grad, saves=("inputs", "outputs"), infer_params=_ln_infer_params,
    doc="Layer normalisation (Ba et al., 2016): ``y = (x - mean) / sqrt(var + eps) * gamma + beta`` with the "
        "mean and biased variance along ``axis``; gamma/beta have shape ``(data.shape[axis],)``. Returns "
        "``output``, or ``[output, mean, std]`` with ``output_mean_var`` (``std = sqrt(var + eps)``, shapes "
        "of data with ``axis`` of size 1).\n\n"
        ">>> x = nd.array([[1.0, 2.0, 3.0], [2.0, 2.0, 8.0]])\n"
        ">>> y = nd.LayerNorm(x, nd.ones((3,)), nd.zeros((3,)), eps=0.0)\n"
        ">>> [round(v, 4) for v in y.asnumpy().ravel().tolist()]\n"
        "[-1.2247, 0.0, 1.2247, -0.7071, -0.7071, 1.4142]")
_ln_ref[0] = _layer_norm


# ---- _backward_LayerNorm: LayerNorm's gradient in one op ------------------------------------------------
#
# Inputs: the head gradient of the output, the forward's data and gamma, its mean and std outputs (treated
# as independent inputs), and optionally the head gradients of the mean/std outputs. Per row along ``axis``
# (n elements, xhat = (x - mean) / std, gx = grad_out * gamma):
#   dx = (gx - mean(gx) - xhat * mean(gx * xhat)) / std + grad_mean / n + grad_std * xhat / n
#   dgamma = sum(grad_out * xhat), dbeta = sum(grad_out) over every axis but ``axis``.
# Its own gradient (below) is the vector-Jacobian product of these formulas written with registry ops, so
# LayerNorm stays differentiable to any order: second-order terms through mean/std reach LayerNorm's grad
# rule as grad_mean/grad_std and come back here.

_bln_ref = [None]


def _bln_infer(grad_out, data, gamma, mean, std, grad_mean=None, grad_std=None, axis=-1):
    op = _bln_ref[0]
    args = tuple(a for a in (grad_out, data, gamma, mean, std, grad_mean, grad_std) if a is not None)
    dt = _float_data(op, args, data)
    ax = _ln_axis(op, args, data, axis)
    C = int(data.shape[ax])
    st = tuple(1 if i == ax else int(d) for i, d in enumerate(data.shape))
    want = {"grad_out": tuple(data.shape), "gamma": (C,), "mean": st, "std": st, "grad_mean": st, "grad_std": st}
    for name, v in zip(("grad_out", "gamma", "mean", "std", "grad_mean", "grad_std"),
                       (grad_out, gamma, mean, std, grad_mean, grad_std)):
        if v is None:
            continue
        if tuple(v.shape) != want[name]:
            raise op_error(op, args, ShapeError, f"{name} has shape {tuple(v.shape)} but data {tuple(data.shape)} "
                           f"normalised along axis {axis} needs {want[name]}",
                           f"pass LayerNorm's {'gradient' if name.startswith('grad') else 'input/output'} "
                           f"of shape {want[name]}")
        if np.dtype(v.dtype) != dt:
            raise op_error(op, args, DTypeError, f"{name} is {np.dtype(v.dtype).name} but data is {dt.name}",
                           f"cast {name} to {dt.name}")
    dev = data.device
    return TensorSpec(data.shape, dt, dev), TensorSpec((C,), dt, dev), TensorSpec((C,), dt, dev)


def _bln_grad(ctx, a_dx, b_dgamma=None, c_dbeta=None):
    """VJP of ``_backward_LayerNorm`` w.r.t. all its inputs (derivation in the section comment's terms:
    with a = A / std, Sa = sum(a), Sax = sum(a * xhat), m2 = mean(gx * xhat) per row, the head gradient
    Gxh of xhat gives dx = Gxh / std, dmean = -sum(Gxh) / std, dstd = -sum(A * dx_core + Gxh * xhat) / std)."""
    xs = ctx.in_specs[1]
    nd = len(xs.shape)
    ax = ctx.attrs["axis"] % nd
    C = int(xs.shape[ax])
    n = max(C, 1)
    red = tuple(i for i in range(nd) if i != ax)
    bs = tuple(C if i == ax else 1 for i in range(nd))
    low = _low(ctx)                                        # grad_out has the data's dtype
    g, x, gamma, mean, std, gm, gs = _cast_all(low, *ctx.inputs)
    A, B, Cb = _cast_all(low, a_dx, b_dgamma, c_dbeta)
    inv = 1.0 / std
    xhat = (x - mean) * inv
    gam = F.Reshape(gamma, shape=bs)
    gx = g * gam
    m1 = F.mean(gx, axis=ax, keepdims=True)
    m2 = F.mean(gx * xhat, axis=ax, keepdims=True)
    if A is None:
        A = F.zeros_like(x)
    a = A * inv
    sa = F.sum(a, axis=ax, keepdims=True)
    sax = F.sum(a * xhat, axis=ax, keepdims=True)
    dgx = a - (sa + sax * xhat) * (1.0 / n)                # d L / d gx
    gxh = -(gx * sax) * (1.0 / n) - m2 * a                 # d L / d xhat
    d_g = gam * dgx
    if B is not None:
        Bb = F.Reshape(B, shape=bs)
        gxh = gxh + Bb * g
        d_g = d_g + Bb * xhat
    if Cb is not None:
        d_g = d_g + F.Reshape(Cb, shape=bs)
    if gs is not None:
        gxh = gxh + gs * A * (1.0 / n)
    d_gamma = F.sum(g * dgx, axis=red)
    dx_core = (gx - m1 - xhat * m2) * inv
    d_x = gxh * inv
    d_mean = -F.sum(gxh, axis=ax, keepdims=True) * inv
    d_std = -F.sum(A * dx_core + gxh * xhat, axis=ax, keepdims=True) * inv
    d_gm = None if gm is None else F.sum(A, axis=ax, keepdims=True) * (1.0 / n)
    d_gs = None if gs is None else F.sum(A * xhat, axis=ax, keepdims=True) * (1.0 / n)
    res = (d_g, d_x, d_gamma, d_mean, d_std, d_gm, d_gs)
    if low is not None:
        res = _cast_all(xs.dtype, *res)
    return tuple(res)


_backward_layer_norm = defop(
    "_backward_LayerNorm", ("grad_out", "data", "gamma", "mean", "std", "grad_mean?", "grad_std?"), _bln_infer,
    Pattern.OPAQUE, dtype_check=None,
    attrs=(Attr("axis", Int(), -1, "the axis LayerNorm normalised along"),),
    num_outputs=3, output_names=("grad_data", "grad_gamma", "grad_beta"), grad=_bln_grad, saves=("inputs",),
    doc="LayerNorm's gradient in one pass per row: from the head gradient of the output, the forward's data, "
        "gamma and its mean/std outputs (and optionally the head gradients of mean and std), the gradients "
        "of data, gamma and beta. Differentiable to any order (its gradient composes registry ops).\n\n"
        ">>> x = nd.array([[1.0, 2.0, 3.0]]); g = nd.ones((3,)); b = nd.zeros((3,))\n"
        ">>> y, m, s = nd.LayerNorm(x, g, b, eps=0.0, output_mean_var=True)\n"
        ">>> dx, dg, db = nd._backward_LayerNorm(nd.array([[1.0, 0.0, 0.0]]), x, g, m, s)\n"
        ">>> [round(v, 4) for v in dx.asnumpy().ravel().tolist()], db.asnumpy().tolist()\n"
        "([0.2041, -0.4082, 0.2041], [1.0, 0.0, 0.0])")
_bln_ref[0] = _backward_layer_norm


def _rank3(op, args, data, what):
    if len(data.shape) < 3:
        raise op_error(op, args, ShapeError, f"data has rank {len(data.shape)}; {op.name} {what} "
                       f"(MXNet: 'rank >= 3')", "pass data of shape (batch, channels, d1, ...) -- e.g. add a "
                       "trailing axis with expand_dims(axis=-1)")


_gn_ref = [None]


def _gn_infer(data, gamma, beta, num_groups=1, eps=1e-5, output_mean_var=False):
    op, args = _gn_ref[0], (data, gamma, beta)
    dt = _float_data(op, args, data)
    _rank3(op, args, data, "normalises (batch, channels, ...) data")
    G = num_groups
    C = int(data.shape[1])
    if G < 1 or C % G:
        raise op_error(op, args, ShapeError, f"{C} channels cannot be split into num_groups={G} groups (MXNet: "
                       "'# of channels must be divisible by # of groups')",
                       "pick num_groups that divides the channel count")
    _check_params(op, args, data, (G,), f"num_groups={G} (MXNet 1.x GroupNorm has one gamma/beta per group)")
    dev = data.device
    st = TensorSpec((int(data.shape[0]), G), dt, dev)
    return TensorSpec(data.shape, dt, dev), st, st


def _gn_infer_params(in_shapes, num_groups=1, **_):
    return {"gamma": (num_groups,), "beta": (num_groups,)}


def _grouped(ctx, k):
    """(N, k, rest) view shape of the data for k groups/channels."""
    s = tuple(int(d) for d in ctx.in_specs[0].shape)
    N = s[0]
    rest = int(np.prod(s[1:], dtype=np.int64)) // k if k else 0
    return (N, k, rest), rest


def _grouped_norm_grad(ctx, k, g, g_mean, g_stat, var_eps=None):
    """Gradient of a per-(sample, group) normalisation viewed as ``(N, k, rest)`` (GroupNorm: k groups and
    a ``std`` output; InstanceNorm: k channels and a ``var`` output, ``var_eps`` its eps)."""
    xs = ctx.in_specs[0]
    s3, n = _grouped(ctx, k)
    low = _low(ctx)
    x, gamma, mean, stat = ctx.inputs[0], ctx.inputs[1], ctx.outputs[1], ctx.outputs[2]
    if g is None:
        g = F.zeros_like(ctx.outputs[0])
    x, gamma, mean, stat, g, g_mean, g_stat = _cast_all(low, x, gamma, mean, stat, g, g_mean, g_stat)
    st = (s3[0], k, 1)
    r = lambda v: None if v is None else F.Reshape(v, shape=st)  # noqa: E731
    g3 = F.Reshape(g, shape=s3)
    inv = 1.0 / r(stat) if var_eps is None else F.rsqrt(r(stat) + var_eps)
    dx, xhat = _norm_grad_core(g3, F.Reshape(x, shape=s3), r(mean), inv, F.Reshape(gamma, shape=(1, k, 1)), (2,),
                               max(n, 1), r(g_mean), r(g_stat), std_is_var=var_eps is not None)
    dx = F.Reshape(dx, shape=xs.shape)
    dgamma = F.sum(g3 * xhat, axis=(0, 2))
    dbeta = F.sum(g3, axis=(0, 2))
    if low is not None:
        dx, dgamma, dbeta = _cast_all(xs.dtype, dx, dgamma, dbeta)
    return dx, dgamma, dbeta


def _gn_grad(ctx, g, g_mean=None, g_std=None):
    return _grouped_norm_grad(ctx, ctx.attrs["num_groups"], g, g_mean, g_std)


_group_norm = defop(
    "GroupNorm", ("data", "gamma", "beta"), _gn_infer, Pattern.OPAQUE, dtype_check=None,
    attrs=(Attr("num_groups", Int(), 1, "number of channel groups (must divide the channel count)"),
           Attr("eps", Float(), 1e-5, "added to the variance"),
           Attr("output_mean_var", Bool(), False, "also return the mean and the standard deviation")),
    num_outputs=3, num_visible_outputs=_mean_std_visible, output_names=("output", "mean", "std"),
    grad=_gn_grad, saves=("inputs", "outputs"), infer_params=_gn_infer_params,
    doc="Group normalisation (Wu & He, 2018) of ``(N, C, ...)`` data: channels split into ``num_groups`` "
        "groups, statistics per sample and group; ``gamma``/``beta`` have shape ``(num_groups,)`` as in MXNet "
        "1.x. Returns ``output``, or ``[output, mean, std]`` (shape ``(N, num_groups)``) with "
        "``output_mean_var``.\n\n"
        ">>> x = nd.array([[[1.0], [3.0], [10.0], [30.0]]])\n"
        ">>> y = nd.GroupNorm(x, nd.ones((2,)), nd.zeros((2,)), num_groups=2, eps=0.0)\n"
        ">>> y.asnumpy().ravel().tolist()\n"
        "[-1.0, 1.0, -1.0, 1.0]")
_gn_ref[0] = _group_norm

_in_ref = [None]


def _in_infer(data, gamma, beta, eps=1e-3):
    op, args = _in_ref[0], (data, gamma, beta)
    dt = _float_data(op, args, data)
    _rank3(op, args, data, "normalises (batch, channels, d1, ...) data per sample and channel")
    C = int(data.shape[1])
    _check_params(op, args, data, (C,), f"data has {C} channels (axis 1)")
    dev = data.device
    st = TensorSpec((int(data.shape[0]), C), dt, dev)
    return TensorSpec(data.shape, dt, dev), st, st


def _in_infer_params(in_shapes, **_):
    d = in_shapes[0]
    if d is None or len(d) < 2:
        return {}
    return {"gamma": (d[1],), "beta": (d[1],)}


def _in_grad(ctx, g, g_mean=None, g_var=None):
    return _grouped_norm_grad(ctx, int(ctx.in_specs[0].shape[1]), g, g_mean, g_var, var_eps=ctx.attrs["eps"])


_instance_norm = defop(
    "InstanceNorm", ("data", "gamma", "beta"), _in_infer, Pattern.OPAQUE, dtype_check=None,
    attrs=(Attr("eps", Float(), 1e-3, "added to the variance"),),
    num_outputs=3, num_visible_outputs=1, output_names=("output", "mean", "var"),
    grad=_in_grad, saves=("inputs", "outputs"), infer_params=_in_infer_params,
    doc="Instance normalisation (Ulyanov et al., 2016) of ``(N, C, d1, ...)`` data: statistics per sample "
        "and channel over the remaining axes, ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with "
        "gamma/beta of shape ``(C,)``, the same in training and prediction.\n\n"
        ">>> x = nd.array([[[1.0, 3.0]], [[10.0, 30.0]]])\n"
        ">>> nd.InstanceNorm(x, nd.ones((1,)), nd.zeros((1,)), eps=0.0).asnumpy().ravel().tolist()\n"
        "[-1.0, 1.0, -1.0, 1.0]")
_in_ref[0] = _instance_norm


def l2_layout(shape, mode):
    """``(O, R, I)`` view of the data and the reduced axis of it: ``instance`` -> (N, rest, 1) over 1,
    ``channel`` -> (N, C, rest) over 1, ``spatial`` -> (N*C, rest, 1) over 1 (always the middle axis)."""
    s = tuple(int(d) for d in shape)
    N = s[0]
    if mode == "instance":
        return N, int(np.prod(s[1:], dtype=np.int64)), 1
    if mode == "channel":
        return N, s[1], int(np.prod(s[2:], dtype=np.int64))
    return N * s[1], int(np.prod(s[2:], dtype=np.int64)), 1


def l2_norm_shape(shape, mode):
    s = tuple(int(d) for d in shape)
    if mode == "instance":
        return (s[0],)
    if mode == "channel":
        return (s[0], 1) + s[2:]
    return s[:2]


_l2_ref = [None]


def _l2_infer(data, eps=1e-10, mode="instance"):
    op, args = _l2_ref[0], (data,)
    dt = _float_data(op, args, data)
    nd = len(data.shape)
    if nd == 0:
        raise op_error(op, args, ShapeError, "data is a scalar", "pass data of shape (batch, ...)")
    if mode != "instance" and nd < 3:
        raise op_error(op, args, ShapeError, f"mode={mode!r} needs data of rank >= 3 (batch, channels, d1, ...), "
                       f"got rank {nd} (MXNet: 'At lease 3 dimensions required in {mode} mode')",
                       "use mode='instance' or add axes with expand_dims")
    dev = data.device
    return TensorSpec(data.shape, dt, dev), TensorSpec(l2_norm_shape(data.shape, mode), dt, dev)


def _l2_grad(ctx, g, g_norm=None):
    mode = ctx.attrs["mode"]
    xs = ctx.in_specs[0]
    O, R, I = l2_layout(xs.shape, mode)
    low = _low(ctx)
    y, norm = ctx.outputs
    if g is None:
        g = F.zeros_like(y)
    y, norm, g, g_norm = _cast_all(low, y, norm, g, g_norm)
    s3, st = (O, R, I), (O, 1, I)
    y3, g3, n3 = F.Reshape(y, shape=s3), F.Reshape(g, shape=s3), F.Reshape(norm, shape=st)
    # y = x / norm, norm = sqrt(sum x^2 + eps): dx = (g - y * sum(g * y)) / norm (+ g_norm * y)
    dx = (g3 - y3 * F.sum(g3 * y3, axis=1, keepdims=True)) / n3
    if g_norm is not None:
        dx = dx + F.Reshape(g_norm, shape=st) * y3
    dx = F.Reshape(dx, shape=xs.shape)
    if low is not None:
        dx = F.Cast(dx, dtype=xs.dtype)
    return (dx,)


_l2_normalization = defop(
    "L2Normalization", ("data",), _l2_infer, Pattern.OPAQUE, dtype_check=None,
    attrs=(Attr("eps", Float(), 1e-10, "added to the sum of squares"),
           Attr("mode", Choice("instance", "channel", "spatial"), "instance",
                "instance: over all axes but 0; channel: over axis 1 at each position; spatial: over the axes "
                "after 1 for each (sample, channel)")),
    num_outputs=2, num_visible_outputs=1, output_names=("output", "norm"),
    grad=_l2_grad, saves=("outputs",),
    doc="``y = x / sqrt(sum(x ** 2) + eps)``, the sum per instance (all axes but 0), per position across "
        "channels (``mode='channel'``, axis 1) or per sample and channel over the spatial axes "
        "(``mode='spatial'``).\n\n"
        ">>> x = nd.array([[3.0, 4.0], [0.0, 2.0]])\n"
        ">>> [[round(v, 4) for v in row] for row in nd.L2Normalization(x, eps=0.0).asnumpy().tolist()]\n"
        "[[0.6, 0.8], [0.0, 1.0]]")
_l2_ref[0] = _l2_normalization
