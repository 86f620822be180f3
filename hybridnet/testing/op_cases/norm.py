"""Records for ops/norm.py (BatchNorm, _contrib_BatchNormWithReLU, _contrib_SyncBatchNorm; LayerNorm,
GroupNorm, InstanceNorm, L2Normalization at the end).

The templates call ops outside ``autograd.record()`` (predict mode) and check gradients under it
(train mode), and a compiled graph reads the mode when it runs, outside any ``train_mode()`` a record's
``call`` could open. So the records here check predict-mode forwards (the running statistics) and
gradients only of ``use_global_stats=True`` calls (the same maths in both modes; moving_mean and
moving_var get no gradient). Training mode -- batch statistics, the in-forward running-stat update,
its gradients to second order, eager == compiled == hybridized -- is tested in ``tests/ops/test_norm.py``
against ``bn_reference`` below.
"""
import numpy as np

from ...errors import AttrError, DTypeError, ShapeError
from . import ErrorCase, OpCase, Sample

A = np.array


def bn_reference(x, gamma, beta, moving_mean, moving_var, eps=1e-3, momentum=0.9, fix_gamma=True,
                 use_global_stats=False, output_mean_var=False, axis=1, train=False, relu=False, states=False,
                 **_):
    """NumPy BatchNorm in float64: ``output`` (+ ``mean``, ``invstd`` with output_mean_var) (+ the new
    moving mean and variance with ``states``), in MXNet's dtypes (statistics float32 for float16 data)."""
    pdt = np.float32 if x.dtype == np.float16 else x.dtype
    z = x.astype(np.float64)
    ax = axis % z.ndim
    red = tuple(i for i in range(z.ndim) if i != ax)
    bs = tuple(-1 if i == ax else 1 for i in range(z.ndim))
    mm, mv = moving_mean.astype(np.float64), moving_var.astype(np.float64)
    count = int(np.prod([z.shape[i] for i in red], dtype=np.int64))
    if train and not use_global_stats and count > 0:
        mean, var = z.mean(axis=red), z.var(axis=red)
        new_mm, new_mv = momentum * mm + (1 - momentum) * mean, momentum * mv + (1 - momentum) * var
    else:
        mean, var, new_mm, new_mv = mm, mv, mm, mv
    invstd = 1.0 / np.sqrt(var + eps)
    g = np.ones_like(mean) if fix_gamma else gamma.astype(np.float64)
    y = (z - mean.reshape(bs)) * (invstd * g).reshape(bs) + beta.astype(np.float64).reshape(bs)
    if relu:
        y = np.maximum(y, 0.0)
    outs = [y.astype(x.dtype)]
    if output_mean_var:
        outs += [mean.astype(pdt), invstd.astype(pdt)]
    if states:
        outs += [new_mm.astype(pdt), new_mv.astype(pdt)]
    return outs[0] if len(outs) == 1 else tuple(outs)


def _p(c):
    return ((c,),) * 4


_SAMPLES = [
    Sample(((2, 3, 4),) + _p(3), {}),
    Sample(((2, 3, 4),) + _p(3), {"fix_gamma": False, "eps": 1e-5, "output_mean_var": True}),
    Sample(((4, 3),) + _p(3), {"fix_gamma": False}, note="2-D (N, C)"),
    Sample(((2, 3, 2, 2),) + _p(2), {"axis": -1, "fix_gamma": False}, note="channels last"),
    Sample(((2, 3, 2, 2),) + _p(2), {"axis": 2, "fix_gamma": False, "momentum": 0.5}),
    Sample(((5,),) + _p(5), {"axis": 0, "fix_gamma": False}, note="1-D data: one element per channel"),
    Sample(((3, 2, 4),) + _p(2), {"use_global_stats": True, "fix_gamma": False, "output_mean_var": True}),
    Sample(((0, 3),) + _p(3), {"fix_gamma": False, "output_mean_var": True}, note="0-size batch"),
    Sample(((2, 3),) + _p(3), {"cudnn_off": True, "min_calib_range": -1.0, "max_calib_range": 1.0},
           note="accepted attrs"),
]

_ERRORS = [
    ErrorCase(((2, 3),) + _p(3), {"axis": 2}, ShapeError, "channel axis 2 is out of range"),
    ErrorCase(((2, 3),) + _p(3), {"axis": -3}, ShapeError, "out of range"),
    ErrorCase(((2, 4),) + _p(3), {}, ShapeError, r"gamma has shape \(3,\) but data has 4 channels"),
    ErrorCase(((2, 3), (3,), (3,), (3,), (2,)), {}, ShapeError, r"moving_var has shape \(2,\)"),
    ErrorCase(((),) + _p(1), {}, ShapeError, "data is a scalar"),
    ErrorCase(((2, 3),) + _p(3), {}, DTypeError, "only supports floating point",
              dtypes=("int32", "float32", "float32", "float32", "float32")),
    ErrorCase(((2, 3),) + _p(3), {}, DTypeError, "gamma is float64 but float32 data needs float32",
              dtypes=("float32", "float64", "float32", "float32", "float32")),
    ErrorCase(((2, 3),) + _p(3), {}, DTypeError, "float16 data keeps float32",
              dtypes=("float16", "float16", "float16", "float16", "float16")),
    ErrorCase(((2, 3),) + _p(3), {"fix_gama": False}, AttrError, "Did you mean 'fix_gamma'"),
]

_BATCHNORM = OpCase(
    "BatchNorm", bn_reference, _SAMPLES, domain=(0.25, 2.0), grad=False, name="BatchNorm_predict", errors=_ERRORS)


def _global_stats_in_train_mode(nd, *arrays, **attrs):
    """``use_global_stats`` inside ``train_mode()``: the running statistics, as in predict mode."""
    from ... import autograd
    with autograd.train_mode():
        return nd.BatchNorm(*arrays, use_global_stats=True, **attrs)


_BATCHNORM_GLOBAL = OpCase(
    "BatchNorm", lambda *a, **k: bn_reference(*a, use_global_stats=True, train=True, **k),
    [Sample(((2, 3, 4),) + _p(3), {"fix_gamma": False}), Sample(((4, 5),) + _p(5), {"output_mean_var": True}),
     Sample(((2, 2, 3),) + _p(3), {"axis": -1, "fix_gamma": False, "output_mean_var": True})],
    domain=(0.25, 2.0), grad_inputs=(0, 1, 2), grad2=True, call=_global_stats_in_train_mode,
    name="BatchNorm_global_stats_train")

_BATCHNORM_F16 = OpCase(
    "BatchNorm", bn_reference,
    [Sample(((2, 3, 4),) + _p(3), {"fix_gamma": False, "output_mean_var": True}),
     Sample(((4, 3),) + _p(3), {"fix_gamma": False})],
    dtypes=("float16",), input_dtypes=(None, "float32", "float32", "float32", "float32"), domain=(0.25, 2.0),
    grad=False, name="BatchNorm_float16_data")

_BATCHNORM_RELU = OpCase(
    "_contrib_BatchNormWithReLU", lambda *a, **k: bn_reference(*a, relu=True, **k),
    [Sample(((2, 3, 4),) + _p(3), {"fix_gamma": False, "use_global_stats": True}),
     Sample(((4, 3),) + _p(3), {"output_mean_var": True, "use_global_stats": True}),
     Sample(((4, 3),) + _p(3), {"fix_gamma": False}, grad=False, note="predict mode"),
     Sample(((0, 3),) + _p(3), {}, grad=False, note="0-size")],
    domain=(0.25, 2.0), grad_inputs=(0, 1, 2), name="BatchNormWithReLU_predict",
    errors=[ErrorCase(((2, 3),) + _p(3), {"axis": 2}, ShapeError, "out of range")])

_SYNC_BATCHNORM = OpCase(
    "_contrib_SyncBatchNorm", lambda *a, ndev=1, key="", **k: bn_reference(*a, **k),
    [Sample(((2, 3, 4),) + _p(3), {"fix_gamma": False, "ndev": 1, "key": "bn0_", "use_global_stats": True}),
     Sample(((4, 3),) + _p(3), {"output_mean_var": True}, grad=False, note="predict mode")],
    domain=(0.25, 2.0), grad_inputs=(0, 1, 2), name="SyncBatchNorm_predict",
    errors=[ErrorCase(((2, 3),) + _p(3), {"axis": 1}, AttrError, "unknown attribute 'axis'")])

CASES = [_BATCHNORM, _BATCHNORM_GLOBAL, _BATCHNORM_F16, _BATCHNORM_RELU, _SYNC_BATCHNORM]


def bn_backward_reference(grad_out, data, gamma, mean, invstd, flag, grad_mean=None, grad_var=None, axis=1,
                          fix_gamma=True):
    """NumPy ``_backward_BatchNorm`` in float64 (mean, invstd and flag are independent inputs): grad of data,
    gamma, beta (gamma/beta gradients in the parameter dtype)."""
    pdt = np.float32 if data.dtype == np.float16 else data.dtype
    ax = axis % data.ndim
    bs = tuple(-1 if i == ax else 1 for i in range(data.ndim))
    red = tuple(i for i in range(data.ndim) if i != ax)
    n = max(int(np.prod([data.shape[i] for i in red], dtype=np.int64)), 1)
    g = grad_out.astype(np.float64)
    s = invstd.astype(np.float64)
    f = float(flag.astype(np.float64)[0])
    xhat = (data.astype(np.float64) - mean.astype(np.float64).reshape(bs)) * s.reshape(bs)
    dbeta, d = g.sum(axis=red), (g * xhat).sum(axis=red)
    sc = s if fix_gamma else s * gamma.astype(np.float64)
    dx = sc.reshape(bs) * (g - f * (dbeta.reshape(bs) + xhat * d.reshape(bs)) / n)
    if grad_mean is not None:
        dx = dx + f * grad_mean.astype(np.float64).reshape(bs) / n
    if grad_var is not None:
        dx = dx - f * (grad_var.astype(np.float64) * s * s).reshape(bs) * xhat / n
    dgamma = np.zeros_like(d) if fix_gamma else d
    return dx.astype(data.dtype), dgamma.astype(pdt), dbeta.astype(pdt)


def _bbn(shape, axis=1, extra=False):
    c = (shape[axis],)
    return (shape, shape, c, c, c, (1,)) + ((c, c) if extra else ())


_BATCHNORM_BACKWARD = OpCase(
    "_backward_BatchNorm", bn_backward_reference,
    [Sample(_bbn((2, 3, 4)), {"fix_gamma": False}),
     Sample(_bbn((2, 3, 4)), {}, note="fix_gamma: zero gamma gradient"),
     Sample(_bbn((4, 3), extra=True), {"fix_gamma": False}, note="mean/invstd head gradients, 2-D"),
     Sample(_bbn((2, 2, 3), -1, extra=True), {"axis": -1, "fix_gamma": False}, note="channels last"),
     Sample(_bbn((3, 2, 2, 2), 2), {"axis": 2, "fix_gamma": False}),
     Sample(_bbn((0, 3)), {"fix_gamma": False}, note="0-size")],
    domain=(0.25, 2.0), grad2=True,
    errors=[ErrorCase(((2, 4), (2, 3), (3,), (3,), (3,), (1,)), {}, ShapeError, r"grad_out has shape \(2, 4\)"),
            ErrorCase(((2, 3), (2, 3), (3,), (3,), (2,), (1,)), {}, ShapeError, r"invstd has shape \(2,\)"),
            ErrorCase(((2, 3), (2, 3), (3,), (3,), (3,), (3,)), {}, ShapeError, r"flag has shape \(3,\)"),
            ErrorCase(((2, 3), (2, 3), (3,), (3,), (3,), (1,)), {"axis": 2}, ShapeError, "out of range"),
            ErrorCase(((2, 3), (2, 3), (3,), (3,), (3,), (1,)), {}, DTypeError, "gamma is float64 but float32",
                      dtypes=("float32", "float32", "float64", "float32", "float32", "float32"))])

_BATCHNORM_BACKWARD_F16 = OpCase(
    "_backward_BatchNorm", bn_backward_reference,
    [Sample(_bbn((4, 3, 5), extra=True), {"fix_gamma": False}), Sample(_bbn((6, 3)), {})],
    dtypes=("float16",), input_dtypes=(None, None) + ("float32",) * 6, domain=(0.25, 2.0), grad=False,
    name="_backward_BatchNorm_float16_data")

CASES += [_BATCHNORM_BACKWARD, _BATCHNORM_BACKWARD_F16]


# ---- LayerNorm / GroupNorm / InstanceNorm / L2Normalization ---------------------------------------------

def _affine_norm(x, gamma_b, beta_b, red, eps):
    z = x.astype(np.float64)
    mean = z.mean(axis=red, keepdims=True)
    var = z.var(axis=red, keepdims=True)
    y = (z - mean) / np.sqrt(var + eps) * gamma_b + beta_b
    return y, mean, var


def ln_reference(x, gamma, beta, axis=-1, eps=1e-5, output_mean_var=False):
    """NumPy LayerNorm in float64: output (+ mean, std with the axis kept as size 1)."""
    ax = axis % x.ndim
    bs = tuple(-1 if i == ax else 1 for i in range(x.ndim))
    y, mean, var = _affine_norm(x, gamma.astype(np.float64).reshape(bs), beta.astype(np.float64).reshape(bs),
                                (ax,), eps)
    if not output_mean_var:
        return y.astype(x.dtype)
    return y.astype(x.dtype), mean.astype(x.dtype), np.sqrt(var + eps).astype(x.dtype)


def gn_reference(x, gamma, beta, num_groups=1, eps=1e-5, output_mean_var=False):
    """NumPy GroupNorm (MXNet 1.x: one gamma/beta per group): output (+ mean, std of shape (N, G))."""
    N, G = x.shape[0], num_groups
    x3 = x.reshape(N, G, -1) if x.size else x.reshape(N, G, 0)
    y, mean, var = _affine_norm(x3, gamma.astype(np.float64).reshape(1, G, 1),
                                beta.astype(np.float64).reshape(1, G, 1), (2,), eps)
    y = y.reshape(x.shape).astype(x.dtype)
    if not output_mean_var:
        return y
    return y, mean.reshape(N, G).astype(x.dtype), np.sqrt(var + eps).reshape(N, G).astype(x.dtype)


def in_reference(x, gamma, beta, eps=1e-3):
    """NumPy InstanceNorm: statistics per (sample, channel) over the axes after 1."""
    N, C = x.shape[:2]
    x3 = x.reshape(N, C, -1) if x.size else x.reshape(N, C, 0)
    y, _, _ = _affine_norm(x3, gamma.astype(np.float64).reshape(1, C, 1), beta.astype(np.float64).reshape(1, C, 1),
                           (2,), eps)
    return y.reshape(x.shape).astype(x.dtype)


def l2_reference(x, eps=1e-10, mode="instance"):
    """NumPy L2Normalization: x / sqrt(sum(x**2) + eps) per instance / across channels / per channel."""
    z = x.astype(np.float64)
    red = {"instance": tuple(range(1, x.ndim)), "channel": (1,), "spatial": tuple(range(2, x.ndim))}[mode]
    return (z / np.sqrt((z * z).sum(axis=red, keepdims=True) + eps)).astype(x.dtype)


def _gb(c):
    return ((c,), (c,))


_LAYERNORM = OpCase(
    "LayerNorm", ln_reference,
    [Sample(((2, 3, 4),) + _gb(4), {}),
     Sample(((2, 3, 4),) + _gb(3), {"axis": 1, "eps": 1e-3, "output_mean_var": True}, note="middle axis"),
     Sample(((3, 5),) + _gb(3), {"axis": 0, "output_mean_var": True}, note="first axis"),
     Sample(((4, 6),) + _gb(6), {"axis": -1, "output_mean_var": True}),
     Sample(((5,),) + _gb(5), {}, note="1-D"),
     Sample(((2, 3, 1),) + _gb(1), {"eps": 0.1}, note="one element per row: output beta"),
     Sample(((0, 4),) + _gb(4), {"output_mean_var": True}, note="0-size")],
    grad2=True,
    errors=[ErrorCase(((2, 3),) + _gb(3), {"axis": 2}, ShapeError, "axis 2 is out of range"),
            ErrorCase(((2, 3),) + _gb(2), {}, ShapeError, r"gamma has shape \(2,\) but data has 3 elements"),
            ErrorCase(((2, 3), (3,), (2,)), {}, ShapeError, r"beta has shape \(2,\)"),
            ErrorCase(((),) + _gb(1), {}, ShapeError, "data is a scalar"),
            ErrorCase(((2, 3),) + _gb(3), {}, DTypeError, "only supports floating point",
                      dtypes=("int32", "float32", "float32")),
            ErrorCase(((2, 3),) + _gb(3), {}, DTypeError, "gamma is float64 but data is float32",
                      dtypes=("float32", "float64", "float32")),
            ErrorCase(((2, 3),) + _gb(3), {"axes": 1}, AttrError, "Did you mean 'axis'")])

def ln_backward_reference(grad_out, data, gamma, mean, std, grad_mean=None, grad_std=None, axis=-1):
    """NumPy ``_backward_LayerNorm`` in float64 (mean and std are independent inputs): grad of data, gamma,
    beta."""
    ax = axis % data.ndim
    bs = tuple(-1 if i == ax else 1 for i in range(data.ndim))
    red = tuple(i for i in range(data.ndim) if i != ax)
    n = data.shape[ax]
    g = grad_out.astype(np.float64)
    inv = 1.0 / std.astype(np.float64)
    xhat = (data.astype(np.float64) - mean.astype(np.float64)) * inv
    gx = g * gamma.astype(np.float64).reshape(bs)
    dx = (gx - gx.mean(axis=ax, keepdims=True) - xhat * (gx * xhat).mean(axis=ax, keepdims=True)) * inv
    if grad_mean is not None:
        dx = dx + grad_mean.astype(np.float64) / n
    if grad_std is not None:
        dx = dx + grad_std.astype(np.float64) * xhat / n
    dt = data.dtype
    return dx.astype(dt), (g * xhat).sum(axis=red).astype(dt), g.sum(axis=red).astype(dt)


def _bln(shape, axis=-1, extra=False):
    st = tuple(1 if i == axis % len(shape) else d for i, d in enumerate(shape))
    return (shape, shape, (shape[axis],), st, st) + ((st, st) if extra else ())


_LAYERNORM_BACKWARD = OpCase(
    "_backward_LayerNorm", ln_backward_reference,
    [Sample(_bln((3, 5)), {}),
     Sample(_bln((2, 3, 4), 1), {"axis": 1}, note="middle axis"),
     Sample(_bln((3, 4), 0, extra=True), {"axis": 0}, note="mean/std head gradients"),
     Sample(_bln((2, 2, 6), extra=True), {"axis": -1}),
     Sample(_bln((4,)), {}, note="1-D"),
     Sample(_bln((0, 4)), {}, note="0-size")],
    domain=(0.25, 2.0), grad2=True,
    errors=[ErrorCase(((2, 3), (2, 3), (3,), (2, 1), (2, 2)), {}, ShapeError, r"std has shape \(2, 2\)"),
            ErrorCase(((2, 4), (2, 3), (3,), (2, 1), (2, 1)), {}, ShapeError, r"grad_out has shape \(2, 4\)"),
            ErrorCase(((2, 3), (2, 3), (3,), (2, 1), (2, 1)), {"axis": 2}, ShapeError, "axis 2 is out of range"),
            ErrorCase(((2, 3), (2, 3), (3,), (2, 1), (2, 1)), {}, DTypeError,
                      "gamma is float64 but data is float32", dtypes=("float32", "float32", "float64", "float32", "float32"))])

_LAYERNORM_F16 = OpCase(
    "LayerNorm", ln_reference,
    [Sample(((4, 8),) + _gb(8), {"output_mean_var": True}), Sample(((2, 3, 4),) + _gb(3), {"axis": 1})],
    dtypes=("float16",), grad=False, name="LayerNorm_float16")

_GROUPNORM = OpCase(
    "GroupNorm", gn_reference,
    [Sample(((2, 4, 3),) + _gb(2), {"num_groups": 2, "output_mean_var": True}),
     Sample(((2, 6, 2, 2),) + _gb(3), {"num_groups": 3, "eps": 1e-3}),
     Sample(((3, 2, 5),) + _gb(1), {}, note="one group"),
     Sample(((1, 3, 1),) + _gb(3), {"num_groups": 3, "eps": 0.1}, note="one element per group"),
     Sample(((0, 4, 2),) + _gb(2), {"num_groups": 2, "output_mean_var": True}, note="0-size")],
    grad2=True,
    errors=[ErrorCase(((2, 4),) + _gb(1), {}, ShapeError, "data has rank 2"),
            ErrorCase(((2, 4, 3),) + _gb(3), {"num_groups": 3}, ShapeError, "cannot be split into num_groups=3"),
            ErrorCase(((2, 4, 3),) + _gb(4), {"num_groups": 2}, ShapeError,
                      r"gamma has shape \(4,\) but num_groups=2 .*one gamma/beta per group"),
            ErrorCase(((2, 4, 3),) + _gb(1), {}, DTypeError, "only supports floating point",
                      dtypes=("int32", "int32", "int32"))])

_INSTANCENORM = OpCase(
    "InstanceNorm", in_reference,
    [Sample(((2, 3, 4),) + _gb(3), {}),
     Sample(((2, 2, 2, 3),) + _gb(2), {"eps": 1e-5}),
     Sample(((3, 1, 5),) + _gb(1), {"eps": 0.01}),
     Sample(((0, 3, 2),) + _gb(3), {}, note="0-size")],
    grad2=True,
    errors=[ErrorCase(((2, 3),) + _gb(3), {}, ShapeError, "data has rank 2"),
            ErrorCase(((2, 3, 4),) + _gb(4), {}, ShapeError, r"gamma has shape \(4,\) but data has 3 channels"),
            ErrorCase(((2, 3, 4),) + _gb(3), {"axis": 1}, AttrError, "unknown attribute 'axis'")])

_INSTANCENORM_F16 = OpCase(
    "InstanceNorm", in_reference, [Sample(((2, 3, 8),) + _gb(3), {})], dtypes=("float16",), grad=False,
    name="InstanceNorm_float16")

_L2NORM = OpCase(
    "L2Normalization", l2_reference,
    [Sample(((2, 3, 4),), {}),
     Sample(((2, 3, 4),), {"mode": "channel"}),
     Sample(((2, 3, 4),), {"mode": "spatial", "eps": 1e-5}),
     Sample(((2, 3, 2, 2),), {"mode": "channel"}, note="channel mode over several spatial axes"),
     Sample(((3, 4),), {"mode": "instance"}),
     Sample(((5,),), {}, note="1-D: each element over itself (MXNet's instance rows)"),
     Sample(((0, 3, 2),), {"mode": "channel"}, note="0-size")],
    domain=(0.25, 2.0), grad2=True,
    errors=[ErrorCase(((2, 3),), {"mode": "channel"}, ShapeError, "needs data of rank >= 3"),
            ErrorCase(((2, 3, 2),), {"mode": "spatil"}, AttrError, "mode='spatil' is not a valid"),
            ErrorCase(((),), {}, ShapeError, "data is a scalar")])

_L2NORM_SIGNED = OpCase(
    "L2Normalization", l2_reference,
    [Sample(((3, 2, 4),), {"mode": "spatial"}), Sample(((2, 5),), {})],
    grad2=True, name="L2Normalization_signed")

_L2NORM_F16 = OpCase(
    "L2Normalization", l2_reference, [Sample(((2, 3, 4),), {"mode": "channel"})], dtypes=("float16",),
    domain=(0.25, 2.0), grad=False, name="L2Normalization_float16")

CASES += [_LAYERNORM, _LAYERNORM_BACKWARD, _LAYERNORM_F16, _GROUPNORM, _INSTANCENORM, _INSTANCENORM_F16, _L2NORM, _L2NORM_SIGNED,
          _L2NORM_F16]
