"""GPU kernels of ``ops/norm.py``: the array-API body of ``kernels/generic/norm.py`` on CuPy (CuPy's
reductions for the per-channel statistics, one broadcast multiply-add for the output), chosen over
hand-written numba.cuda kernels by measurement (BENCHMARKS.md "BatchNorm"). Under Numba's CUDA simulator
the arrays are NumPy's."""
from ...ops.registry import register_kernel
from ..generic import norm as _gen
from ..generic.norm import batch_norm as _batch_norm

__all__ = []


def _register(name, relu=False, fixed_axis=None):
    @register_kernel(name, "gpu")
    def kernel(data, gamma, beta, moving_mean, moving_var, out=None, eps=1e-3, momentum=0.9, fix_gamma=True,
               use_global_stats=False, axis=1, **_):
        from ..generic import device_scope
        with device_scope(data):
            return _batch_norm(data, gamma, beta, moving_mean, moving_var, eps=eps, momentum=momentum,
                               fix_gamma=fix_gamma, use_global_stats=use_global_stats,
                               axis=axis if fixed_axis is None else fixed_axis, relu=relu, out=out)
    return kernel


_register("BatchNorm")
_register("_contrib_BatchNormWithReLU", relu=True)
_register("_contrib_SyncBatchNorm", fixed_axis=1)


# _backward_BatchNorm, LayerNorm (+ _backward_LayerNorm) / GroupNorm / InstanceNorm / L2Normalization: the array-API bodies on CuPy
# (CuPy's fused reductions and broadcasts; no GPU was available to measure hand-written numba.cuda kernels
# against them)
def _register_row(name, body):
    @register_kernel(name, "gpu")
    def kernel(data, *params, out=None, **attrs):
        from ..generic import device_scope
        with device_scope(data):
            return body(data, *params, out=out, **attrs)
    return kernel


_register_row("LayerNorm", _gen.layer_norm)
_register_row("_backward_BatchNorm", _gen.batch_norm_backward)
_register_row("_backward_LayerNorm", _gen.layer_norm_backward)
_register_row("GroupNorm", _gen.group_norm)
_register_row("InstanceNorm", _gen.instance_norm)
_register_row("L2Normalization", _gen.l2_normalization)
