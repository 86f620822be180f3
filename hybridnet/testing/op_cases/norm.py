"""Records for ops/norm.py (BatchNorm, _contrib_BatchNormWithReLU, _contrib_SyncBatchNorm).

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
