"""Basic neural-network ops with MXNet 1.9.1's names, attributes and defaults: ``Activation``,
``LeakyReLU`` (leaky / prelu / rrelu / elu / selu / gelu), ``Dropout``, ``Embedding``,
``SoftmaxActivation`` and ``smooth_l1``. Gluon's activation layers are built from them (Swish is
``x * sigmoid(beta * x)`` in the layer; GELU, ELU, SELU and PReLU are ``LeakyReLU`` act types).

Train/predict mode. ``Dropout`` (mode 'training') and ``LeakyReLU(act_type='rrelu')`` read
``autograd.is_training()`` (``ops.trace_base.TRAINING``) when their kernel *runs*, as MXNet reads
``is_train`` at every call: eagerly, in a compiled graph (whose cache is keyed by the mode anyway) and in
the Symbol executor (one graph, ``forward(is_train=...)``). Both draw from ``hybridnet.random``'s
per-device generator (``mx.random.seed`` makes them reproducible) and are ``effects=True``: never
constant-folded, deduplicated or dropped.

Hidden outputs. MXNet's ``Dropout`` has two outputs, ``output`` and ``mask``, of which one is visible
(``num_visible_outputs=1``): ``nd.Dropout`` returns one array, ``sym.Dropout`` lists one output, and the
mask lives on the tape / in the graph for the gradient. Here the mask has the data's dtype and the
data's shape with the ``axes`` dims set to 1, holding ``0`` or ``1/(1-p)`` (MXNet packs it in bits).
``LeakyReLU(act_type='rrelu')`` returns ``[output, mask]`` (both visible, as in MXNet 1.9.1); the mask
holds each element's slope (the fixed ``(lower+upper)/2`` in predict mode, where MXNet leaves it
uninitialised).

Divergences from MXNet 1.9.1 (deliberate): the ``selu`` gradient is the true derivative (MXNet's
``lambda*(y + alpha)`` for x <= 0 is wrong); ``Embedding`` never raises for a gradient request on
``data`` (it gets none); ``sparse_grad=True`` still gives a dense gradient; constants are used in the
array's precision (MXNet rounds SELU/GELU constants to float32 also for float64 data).
"""
import math

import numpy as np

from ..errors import AttrError, DTypeError, ShapeError
from . import api as F
from .check import op_error
from .infer import same_as_input
from .opdef import REQUIRED, Attr, Bool, Choice, DType, Float, Int, Pattern, Shape, _Kind, scalar_helper
from .registry import defop
from .spec import TensorSpec

__all__ = ["ACT_TYPES", "SELU_ALPHA", "SELU_LAMBDA", "act_relu", "act_sigmoid", "act_tanh", "act_softrelu",
           "act_softsign", "dropout_mask_shape", "softmax_act_axis"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946
_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _float_input(op, args, data):
    if np.dtype(data.dtype).kind != "f":
        raise op_error(op, args, DTypeError, f"data is {np.dtype(data.dtype).name}; {op.name} only supports "
                       "floating point types (as MXNet)", "cast data with .astype('float32') first")


# ---- Activation ------------------------------------------------------------------------------------
# act_type is a string attribute, but a scalar formula takes numbers: the attribute's value is an
# ``_ActCode``, a float (the branch code the formula reads; a literal in fused kernels, so the branch
# folds away) that prints, encodes and compares as its name ('relu' == code is True).

class _ActCode(float):
    def __new__(cls, code, name):
        o = float.__new__(cls, code)
        o.name = name
        return o

    def __str__(self):
        return self.name

    __repr__ = __str__

    def __eq__(self, other):
        if isinstance(other, str):
            return other == self.name
        return float.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = float.__hash__

    def __reduce__(self):
        return (_ActCode, (float(self), self.name))


ACT_TYPES = ("relu", "sigmoid", "tanh", "softrelu", "softsign")
_ACT_CODES = {n: _ActCode(i, n) for i, n in enumerate(ACT_TYPES)}


class _ActKind(_Kind):
    name = "one of " + "/".join(repr(n) for n in ACT_TYPES)

    def coerce(self, v):
        key = v.name if isinstance(v, _ActCode) else v
        if not isinstance(key, str) or key not in _ACT_CODES:
            raise TypeError
        return _ACT_CODES[key]

    def encode(self, v):
        return v.name


# One helper per act type: the formula calls them, and the CPU kernel compiles each on its own (a
# vectorised ufunc per act type) so eager results equal fused ones bit for bit.
@scalar_helper
def act_relu(x):
    return x if (x > 0 or x != x) else 0.0


@scalar_helper
def act_sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


@scalar_helper
def act_tanh(x):
    return math.tanh(x)


@scalar_helper
def act_softrelu(x):
    return x if x > 20.0 else math.log1p(math.exp(x))   # MXNet: identity above 20


@scalar_helper
def act_softsign(x):
    return x / (1.0 + abs(x))


def _activation_formula(x, act):
    if act == 0.0:
        return act_relu(x)
    if act == 1.0:
        return act_sigmoid(x)
    if act == 2.0:
        return act_tanh(x)
    if act == 3.0:
        return act_softrelu(x)
    return act_softsign(x)


def _activation_grad(ctx, g):
    x, y = ctx.inputs[0], ctx.outputs[0]
    act = ctx.attrs["act_type"].name
    if act == "relu":
        return (g * (y > 0),)
    if act == "sigmoid":
        return (g * y * (1 - y),)
    if act == "tanh":
        return (g * (1 - y * y),)
    if act == "softrelu":       # MXNet: 1 - exp(-y) from the output (= sigmoid(x))
        return (g * -F.expm1(-y),)
    return (g / F.square(F.abs(x) + 1),)


_activation = defop(
    "Activation", ("data",), None, Pattern.ELEMWISE, scalar=_activation_formula, scalar_attrs=("act_type",),
    attrs=(Attr("act_type", _ActKind(), REQUIRED, "activation function: relu, sigmoid, tanh, softrelu "
                "(softplus) or softsign"),),
    grad=_activation_grad, saves=("inputs", "outputs"), inplace=((0, 0),),
    doc="Elementwise activation: ``relu`` max(x, 0), ``sigmoid`` 1/(1+e**-x), ``tanh``, ``softrelu`` "
        "log(1+e**x) (x itself above 20, as MXNet), ``softsign`` x/(1+|x|). Fuses with neighbouring "
        "elementwise ops.\n\n"
        ">>> nd.Activation(nd.array([-1.0, 0.0, 2.0]), act_type='relu').asnumpy().tolist()\n"
        "[0.0, 0.0, 2.0]")
_activation.infer = same_as_input(_activation)


# ---- LeakyReLU -------------------------------------------------------------------------------------

def _prelu_gamma_shape(op, args, data, gamma):
    """MXNet 1.9.1: gamma has shape (1,) (one slope) or (data.shape[1],) (a slope per channel)."""
    dshape = tuple(data.shape)
    gshape = tuple(gamma.shape)
    ch = dshape[1] if len(dshape) > 1 else None
    if gshape == (1,) or (ch is not None and gshape == (ch,)):
        return
    want = "(1,)" + (f" or ({ch},) (one slope per channel of axis 1)" if ch is not None else "")
    raise op_error(op, args, ShapeError, f"gamma has shape {gshape}; prelu needs {want}",
                   f"pass gamma of shape {want.split(' (')[0] if ch is None else f'({ch},)'}")


def _leaky_infer(data, gamma=None, act_type="leaky", slope=0.25, lower_bound=0.125, upper_bound=0.334):
    op = _leaky
    args = (data,) if gamma is None else (data, gamma)
    _float_input(op, args, data)
    if act_type == "prelu":
        if gamma is None:
            raise op_error(op, args, ShapeError, "act_type='prelu' needs the gamma input (the learnt slopes)",
                           "pass gamma=... of shape (data.shape[1],) or (1,)")
        if np.dtype(gamma.dtype) != np.dtype(data.dtype):
            raise op_error(op, args, DTypeError, f"gamma is {np.dtype(gamma.dtype).name} but data is "
                           f"{np.dtype(data.dtype).name}", "cast gamma to the data's dtype")
        _prelu_gamma_shape(op, args, data, gamma)
    elif gamma is not None:
        raise op_error(op, args, ShapeError, f"act_type={act_type!r} takes no gamma input (only 'prelu' does)",
                       "drop gamma or pass act_type='prelu'")
    if act_type == "rrelu" and not lower_bound <= upper_bound:
        raise op_error(op, args, AttrError, f"lower_bound={lower_bound} is greater than "
                       f"upper_bound={upper_bound}", "pass lower_bound <= upper_bound")
    out = TensorSpec(data.shape, data.dtype, data.device)
    if act_type == "rrelu":
        return out, TensorSpec(data.shape, data.dtype, data.device)
    return out


def _leaky_infer_params(in_shapes, act_type="leaky", **_):
    d = in_shapes[0]
    if act_type != "prelu" or d is None or len(d) < 2:
        return {}
    return {"gamma": (d[1],)}


def _gamma_view(gamma, ndim):
    """gamma (C,) or (1,) reshaped to broadcast along axis 1 of an ndim-d array."""
    if ndim < 2:
        return gamma
    return F.Reshape(gamma, shape=(1, -1) + (1,) * (ndim - 2))


def _leaky_grad(ctx, g, g_mask=None):
    a = ctx.attrs
    act = a["act_type"]
    x = ctx.inputs[0]
    pos = x > 0                                  # 0/1 in x's dtype
    if act == "leaky":
        return (g * (pos * (1.0 - a["slope"]) + a["slope"]), None)
    if act == "rrelu":
        mask = ctx.outputs[1]
        return (g * (pos + (1 - pos) * mask), None)
    if act == "elu":                             # x <= 0: slope * e**x = y + slope
        y = ctx.outputs[0]
        return (g * (pos + (1 - pos) * (y + a["slope"])), None)
    if act == "selu":                            # x <= 0: lambda * alpha * e**x = y + lambda * alpha
        y = ctx.outputs[0]
        return (g * (pos * SELU_LAMBDA + (1 - pos) * (y + SELU_LAMBDA * SELU_ALPHA)), None)
    if act == "gelu":                            # Phi(x) + x * phi(x)
        cdf = (F.erf(x * _SQRT1_2) + 1) * 0.5
        pdf = F.exp(F.square(x) * -0.5) * _INV_SQRT_2PI
        return (g * (cdf + x * pdf), None)
    # prelu
    gamma = ctx.inputs[1]
    nd = len(ctx.in_specs[0].shape)
    gb = _gamma_view(gamma, nd)
    gx = g * (pos + F.broadcast_mul(1 - pos, gb))
    gw = g * x * (1 - pos)
    gshape = tuple(ctx.in_specs[1].shape)
    if gshape == (1,) or nd < 2:
        ggamma = F.Reshape(F.sum(gw), shape=gshape)
    else:
        ggamma = F.sum(gw, axis=tuple(i for i in range(nd) if i != 1))
    return (gx, ggamma)


_leaky = defop(
    "LeakyReLU", ("data", "gamma?"), _leaky_infer, Pattern.OPAQUE, effects=True, dtype_check=None,
    attrs=(Attr("act_type", Choice("elu", "gelu", "leaky", "prelu", "rrelu", "selu"), "leaky",
                "leaky: x>0 ? x : slope*x; prelu: learnt slope gamma; rrelu: random slope in "
                "[lower_bound, upper_bound) when training, their mean in predict mode; elu: "
                "slope*(e**x-1) for x<=0; selu: scaled elu with fixed constants; gelu: x*Phi(x) (erf)"),
           Attr("slope", Float(), 0.25, "slope for leaky, alpha for elu"),
           Attr("lower_bound", Float(), 0.125, "lower bound of rrelu's random slope"),
           Attr("upper_bound", Float(), 0.334, "upper bound of rrelu's random slope")),
    num_outputs=lambda attrs, n: 2 if attrs.get("act_type") == "rrelu" else 1,
    output_names=("output", "mask"),
    grad=_leaky_grad, saves=("inputs", "outputs"), infer_params=_leaky_infer_params,
    doc="The leaky ReLU family (MXNet's ``LeakyReLU``); see ``act_type``. ``prelu`` takes ``gamma`` of "
        "shape (data.shape[1],) or (1,), broadcast along axis 1, and gets its gradient. ``rrelu`` returns "
        "``[output, mask]`` (mask: each element's slope).\n\n"
        ">>> nd.LeakyReLU(nd.array([-2.0, 0.0, 3.0]), slope=0.1).asnumpy().tolist()\n"
        "[-0.20000000298023224, 0.0, 3.0]")


# ---- Dropout ---------------------------------------------------------------------------------------

def dropout_mask_shape(shape, axes):
    """The mask's shape: ``shape`` with the ``axes`` dims set to 1 (masks shared along them)."""
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def _dropout_infer(data, p=0.5, mode="training", axes=(), cudnn_off=False):
    op = _dropout
    args = (data,)
    _float_input(op, args, data)
    if not 0.0 <= p <= 1.0:
        raise op_error(op, args, AttrError, f"p={p} is not a probability",
                       "pass 0 <= p <= 1 (the fraction of units dropped)")
    nd = len(data.shape)
    for a in axes:
        if not 0 <= a < nd:
            raise op_error(op, args, ShapeError, f"axes={tuple(axes)}: axis {a} is out of range for "
                           f"{nd}-d data (MXNet accepts only 0 <= axis < ndim)",
                           f"pass axes within [0, {nd})")
    spec = TensorSpec(data.shape, data.dtype, data.device)
    return spec, TensorSpec(dropout_mask_shape(data.shape, axes), data.dtype, data.device)


def _dropout_grad(ctx, g, g_mask=None):
    return (g * ctx.outputs[1],)


_dropout = defop(
    "Dropout", ("data",), _dropout_infer, Pattern.OPAQUE, effects=True,
    attrs=(Attr("p", Float(), 0.5, "fraction of the input dropped in training"),
           Attr("mode", Choice("training", "always"), "training",
                "'training': active only when autograd.is_training(); 'always': also in predict mode"),
           Attr("axes", Shape(), (), "axes along which the mask is shared (variational dropout)"),
           Attr("cudnn_off", Bool(), False, "accepted for MXNet compatibility (no cuDNN here)")),
    num_outputs=2, num_visible_outputs=1, output_names=("output", "mask"),
    grad=_dropout_grad, saves=("outputs",),
    doc="Sets each element to 0 with probability ``p`` and scales the others by 1/(1-p) -- only while "
        "``autograd.is_training()`` (mode 'training', read at every call, also in compiled graphs) or "
        "always (mode 'always'); otherwise the identity. ``axes`` share the mask along those axes. "
        "The gradient is the same mask times the output gradient.\n\n"
        ">>> x = nd.ones((2, 4))\n>>> nd.Dropout(x, p=0.5).asnumpy().tolist()   # predict mode: identity\n"
        "[[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]\n"
        ">>> y = nd.Dropout(x, p=0.5, mode='always').asnumpy()\n"
        ">>> sorted(set(y.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])\nTrue")


# ---- Embedding -------------------------------------------------------------------------------------

_EMB_DTYPES = ("float16", "float32", "float64", "int32", "int64", "int8", "uint8")


class _EmbDType(DType):
    name = "dtype, one of " + ", ".join(repr(d) for d in _EMB_DTYPES)

    def coerce(self, v):
        d = super().coerce(v)
        if d is None or d.name not in _EMB_DTYPES:
            raise TypeError
        return d


def _embedding_infer(data, weight, input_dim=REQUIRED, output_dim=REQUIRED, dtype=np.dtype(np.float32),
                     sparse_grad=False):
    op = _embedding
    args = (data, weight)
    if input_dim <= 0 or output_dim <= 0:
        raise op_error(op, args, ShapeError, f"input_dim={input_dim}, output_dim={output_dim} must be positive",
                       "pass the vocabulary size as input_dim and the vector size as output_dim")
    if len(data.shape) == 0:
        raise op_error(op, args, ShapeError, "data is a scalar; it must be an array of indices",
                       "pass indices of shape (n,) or (batch, ...), e.g. data.reshape((1,))")
    if tuple(weight.shape) != (input_dim, output_dim):
        raise op_error(op, args, ShapeError, f"weight has shape {tuple(weight.shape)} but input_dim={input_dim}, "
                       f"output_dim={output_dim} need ({input_dim}, {output_dim})",
                       "pass a weight of shape (input_dim, output_dim) or fix the attributes")
    if np.dtype(data.dtype).kind not in "fiu":
        raise op_error(op, args, DTypeError, f"data is {np.dtype(data.dtype).name}; indices must be numbers",
                       "cast data with .astype('float32')")
    return TensorSpec(tuple(data.shape) + (output_dim,), weight.dtype, weight.device)


def _embedding_infer_params(in_shapes, input_dim=REQUIRED, output_dim=REQUIRED, **_):
    return {"weight": (input_dim, output_dim)}


def _embedding_grad(ctx, g):
    return (None, F._backward_take(g, ctx.inputs[0], shape=tuple(ctx.in_specs[1].shape), axis=0, mode="clip"))


_embedding = defop(
    "Embedding", ("data", "weight"), _embedding_infer, Pattern.INJECTIVE, dtype_check=None, nondiff=(0,),
    attrs=(Attr("input_dim", Int(), REQUIRED, "vocabulary size (rows of weight)"),
           Attr("output_dim", Int(), REQUIRED, "embedding size (columns of weight)"),
           Attr("dtype", _EmbDType(), np.dtype(np.float32), "dtype of the weight (the output has the "
                "weight's dtype)"),
           Attr("sparse_grad", Bool(), False, "MXNet's row_sparse gradient; here the gradient is dense")),
    grad=_embedding_grad, saves=("inputs",), infer_params=_embedding_infer_params,
    doc="Looks up rows of ``weight`` (input_dim, output_dim) at the indices in ``data``: output shape "
        "data.shape + (output_dim,). Float indices are truncated towards zero and clipped to "
        "[0, input_dim-1] (NaN/inf read row 0), as MXNet. The weight gradient is a scatter-add of the "
        "output gradient (repeated indices accumulate); ``data`` gets no gradient.\n\n"
        ">>> w = nd.array([[0, 1], [2, 3], [4, 5]])\n"
        ">>> nd.Embedding(nd.array([2, 0, 7]), w, input_dim=3, output_dim=2).asnumpy().tolist()\n"
        "[[4.0, 5.0], [0.0, 1.0], [4.0, 5.0]]")


# ---- SoftmaxActivation -----------------------------------------------------------------------------

def softmax_act_axis(mode):
    return 1 if mode == "channel" else -1


def _softmax_act_infer(data, mode="instance"):
    op = _softmax_act
    args = (data,)
    _float_input(op, args, data)
    if len(data.shape) == 0:
        raise op_error(op, args, ShapeError, "data is a scalar", "pass an array with at least one axis")
    if mode == "channel" and len(data.shape) < 3:
        raise op_error(op, args, ShapeError, f"mode='channel' needs data with at least 3 dimensions, got "
                       f"{len(data.shape)}", "use mode='instance' (softmax over the last axis), or reshape "
                       "data to (batch, channel, ...)")
    return TensorSpec(data.shape, data.dtype, data.device)


def _softmax_act_grad(ctx, g):
    y = ctx.outputs[0]
    ax = softmax_act_axis(ctx.attrs["mode"])
    return (y * F.broadcast_sub(g, F.sum(g * y, axis=ax, keepdims=True)),)


_softmax_act = defop(
    "SoftmaxActivation", ("data",), _softmax_act_infer, Pattern.OPAQUE,
    attrs=(Attr("mode", Choice("channel", "instance"), "instance",
                "'instance': softmax over the last axis; 'channel': over axis 1 (data of >= 3 dims)"),),
    grad=_softmax_act_grad, saves=("outputs",),
    doc="Softmax (deprecated in MXNet in favour of ``softmax``): over the last axis (mode 'instance') "
        "or over axis 1 (mode 'channel').\n\n"
        ">>> nd.SoftmaxActivation(nd.array([[0.0, 0.0]])).asnumpy().tolist()\n[[0.5, 0.5]]")


# ---- smooth_l1 -------------------------------------------------------------------------------------

def _smooth_l1_formula(x, s):
    s2 = s * s
    if x > 1.0 / s2:
        return x - 0.5 / s2
    if x < -1.0 / s2:
        return -x - 0.5 / s2
    return 0.5 * x * x * s2


def _smooth_l1_grad(ctx, g):
    s2 = ctx.attrs["scalar"] ** 2
    return (g * F.clip(ctx.inputs[0] * s2, -1.0, 1.0),)


_smooth_l1 = defop(
    "smooth_l1", ("data",), None, Pattern.ELEMWISE, scalar=_smooth_l1_formula, scalar_attrs=("scalar",),
    attrs=(Attr("scalar", Float(), 1.0, "sigma: the quadratic zone is |x| < 1/sigma**2"),),
    grad=_smooth_l1_grad, saves=("inputs",), inplace=((0, 0),),
    doc="Smooth L1 (Huber) function with parameter sigma = ``scalar``: 0.5*(sigma*x)**2 where "
        "|x| < 1/sigma**2, else |x| - 0.5/sigma**2.\n\n"
        ">>> nd.smooth_l1(nd.array([-2.0, 0.5, 0.0]), scalar=1.0).asnumpy().tolist()\n[1.5, 0.125, 0.0]")
_smooth_l1.infer = same_as_input(_smooth_l1)
