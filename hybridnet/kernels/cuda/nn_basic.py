"""GPU kernels of ``ops/nn_basic.py`` (CuPy arrays; NumPy arrays under Numba's CUDA simulator).

``Activation`` and ``smooth_l1`` get generated grid-stride kernels from their scalar formulas
(``elementwise.py``). ``LeakyReLU`` and ``Dropout`` run the array-API bodies of
``kernels/generic/nn_basic.py`` with the device's random engine (``random.py``) and the generated ``erf``
kernel; ``Embedding`` is the GPU ``take`` (its gradient, ``_backward_take``, a scatter-add with atomic
adds); ``SoftmaxActivation`` the GPU ``softmax`` kernel.
"""
from ...ops.registry import get_op, register_kernel
from .. import kernel_for
from ..generic.indexing import take
from ..generic.nn_basic import dropout as _dropout, emit_outputs, leaky_relu as _leaky, softmax_activation_with
from .random import _engine_of

class _GpuType:
    """What ``kernel_for`` needs of a device: its type (arrays carry the real device). Not a
    ``Device("gpu", 0)``, which checks for a GPU: importing this module must work without one."""
    device_type = "gpu"

    def __str__(self):
        return "gpu"


_GPU = _GpuType()


def _engine_for(data):
    return lambda: _engine_of((data,), None)


def _erf(x):
    return kernel_for(get_op("erf"), _GPU)(x)


@register_kernel("LeakyReLU", "gpu")
def leaky_relu(data, gamma=None, out=None, act_type="leaky", slope=0.25, lower_bound=0.125, upper_bound=0.334):
    r = _leaky(data, gamma, engine=_engine_for(data), erf=_erf, act_type=act_type, slope=slope,
               lower_bound=lower_bound, upper_bound=upper_bound)
    if isinstance(r, tuple):
        return emit_outputs(r, out)
    return emit_outputs((r,), out)[0]


@register_kernel("Dropout", "gpu")
def dropout(data, out=None, p=0.5, mode="training", axes=(), cudnn_off=False):
    return emit_outputs(_dropout(data, engine=_engine_for(data), p=p, mode=mode, axes=axes), out)


@register_kernel("Embedding", "gpu")
def embedding(data, weight, out=None, input_dim=None, output_dim=None, dtype=None, sparse_grad=False):
    return take(weight, data, out=out, axis=0, mode="clip")


register_kernel("SoftmaxActivation", "gpu")(softmax_activation_with(_GPU))

__all__ = ["leaky_relu", "dropout", "embedding"]
