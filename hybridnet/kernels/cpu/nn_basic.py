"""CPU kernels of ``ops/nn_basic.py``.

- ``Activation``: one vectorised ufunc per act type, compiled from the same ``act_*`` helper the op's
  scalar formula calls (so eager equals fused bit for bit); the formula itself, with its act-type
  branch, is what fused kernels and the GPU use.
- ``LeakyReLU`` and ``Dropout``: the array-API bodies of ``kernels/generic/nn_basic.py`` on NumPy, with
  the host's random engine and the generated ``erf`` ufunc.
- ``Embedding``: ``take(weight, data, axis=0, mode='clip')`` (``kernels/cpu/gather.py``); its gradient
  is the registered ``_backward_take`` (a Numba scatter-add).
- ``SoftmaxActivation``: the ``softmax`` kernel over the last axis or axis 1.
"""
from types import SimpleNamespace

from ...device import Device
from ...ops import nn_basic as N
from ...ops.registry import get_op, register_kernel
from .. import kernel_for, rng
from ..generic.nn_basic import dropout as _dropout, emit_outputs, leaky_relu as _leaky, softmax_activation_with
from .elementwise import make_elementwise_kernel
from .gather import take

_CPU = Device("cpu", 0)
_ACT_FN = {"relu": N.act_relu, "sigmoid": N.act_sigmoid, "tanh": N.act_tanh, "softrelu": N.act_softrelu,
           "softsign": N.act_softsign}
_act_kernels = {}


def _act_kernel(name):
    k = _act_kernels.get(name)
    if k is None:
        fake = SimpleNamespace(name=f"Activation_{name}", inputs=("data",), scalar_attrs=(),
                               scalar=_ACT_FN[name])
        k = _act_kernels[name] = make_elementwise_kernel(fake)
    return k


@register_kernel("Activation", "cpu")
def activation(x, out=None, act_type=None):
    return _act_kernel(str(act_type))(x, out=out)


def _engine():
    return rng.engine_for(_CPU)


def _erf(x):
    return kernel_for(get_op("erf"), _CPU)(x)


@register_kernel("LeakyReLU", "cpu")
def leaky_relu(data, gamma=None, out=None, act_type="leaky", slope=0.25, lower_bound=0.125, upper_bound=0.334):
    r = _leaky(data, gamma, engine=_engine, erf=_erf, act_type=act_type, slope=slope,
               lower_bound=lower_bound, upper_bound=upper_bound)
    if isinstance(r, tuple):
        return emit_outputs(r, out)
    return emit_outputs((r,), out)[0]


@register_kernel("Dropout", "cpu")
def dropout(data, out=None, p=0.5, mode="training", axes=(), cudnn_off=False):
    return emit_outputs(_dropout(data, engine=_engine, p=p, mode=mode, axes=axes), out)


@register_kernel("Embedding", "cpu")
def embedding(data, weight, out=None, input_dim=None, output_dim=None, dtype=None, sparse_grad=False):
    return take(weight, data, out=out, axis=0, mode="clip")


register_kernel("SoftmaxActivation", "cpu")(softmax_activation_with(_CPU))

__all__ = ["activation", "leaky_relu", "dropout", "embedding"]
