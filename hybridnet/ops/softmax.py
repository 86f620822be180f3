"""softmax, log_softmax, softmin with MXNet 1.9.1's attrs ``(axis=-1, temperature=None, dtype=None,
use_length=False)``.

MXNet 1.9.1 behaviours, measured with the oracle:

- ``z = x / temperature`` (softmin: ``-x / temperature``); ``softmax = exp(z - max z) / sum``,
  ``log_softmax = z - max z - log(sum)``. ``temperature=2`` on ``[1, 2, 3]`` gives
  ``[0.1863, 0.3072, 0.5065]``; a negative temperature reverses the order; ``temperature=0`` gives NaN.
- A row of only ``-inf`` gives NaN (softmax and log_softmax), and so does a row holding NaN or +inf:
  MXNet's own CPU kernel (float64, any temperature, any axis other than the last) computes
  ``exp(x - max)`` with ``inf - inf = nan``. Its float32 last-axis path with the default temperature
  goes through oneDNN instead, which leaves NaN only at the NaN/inf positions (``[nan, 0, 0]`` for
  ``[inf, 0, 1]``); hybridnet follows MXNet's own kernel for every dtype and axis.
- -inf entries get 0 (softmax) and -inf (log_softmax); softmin of a row holding -inf is NaN.
- Only floating inputs ("This operation only support floating point types"); ``dtype`` (float16,
  float32, float64) sets the output dtype. float16 is computed in float32 here (MXNet accumulates in
  float16 unless MXNET_SAFE_ACCUMULATION=1, so its float16 results are less accurate).
- ``use_length`` exists only on ``softmax``, which then takes a second input ``length`` (an integer
  array of the data shape without ``axis``): positions at or past a row's length are 0. MXNet 1.9.1's
  ``log_softmax`` and ``softmin`` have the attribute but no ``length`` input, so ``use_length=True``
  cannot work there; it raises an AttrError here. Lengths past the axis size read past the row in
  MXNet; here they are clipped to the axis size (and negative ones to 0).

Gradients (with ``s = 1/temperature``, negated for softmin): softmax ``s * y * (g - sum(g*y))``,
log_softmax ``s * (g - exp(y) * sum(g))``; both are written with registry ops, so they are
differentiable again (second order). Masked positions of ``use_length`` get 0 (y = 0 there).
"""
from . import api as F
from ..errors import AttrError, DTypeError, ShapeError
from .check import norm_axis, op_error
from .opdef import Attr, Bool, DType, Float, Int, Pattern
from .registry import defop
from .spec import TensorSpec

__all__ = []

_FLOATS = ("float16", "float32", "float64")


def _attrs():
    return (Attr("axis", Int(), -1, "the axis to normalise over"),
            Attr("temperature", Float(), None, "divide the input by this (None: 1)"),
            Attr("dtype", DType(), None, "output dtype: float16, float32 or float64 (None: the input's)"),
            Attr("use_length", Bool(), False, "mask each row by the `length` input (softmax only)"))


def _infer(op, with_length):
    def rule(x, length=None, axis=-1, temperature=None, dtype=None, use_length=False):
        args = (x, length) if with_length else (x,)
        if x.dtype.kind != "f":
            raise op_error(op, args, DTypeError, f"{op.name} only supports floating point inputs, not {x.dtype}",
                           "cast the input first, e.g. x.astype('float32')")
        if dtype is not None and dtype.name not in _FLOATS:
            raise op_error(op, args, AttrError, f"dtype={dtype.name} is not a floating point type",
                           "pass dtype='float16', 'float32' or 'float64' (or None for the input's)")
        ax = norm_axis(op, args, axis, len(x.shape))
        if use_length and not with_length:
            raise op_error(op, args, AttrError,
                           f"use_length is not supported by {op.name}: MXNet 1.9.1's {op.name} takes no "
                           "length input", "mask with softmax(data, length, use_length=True), or pass "
                           "use_length=False")
        if with_length:
            if use_length and length is None:
                raise op_error(op, args, ShapeError, "use_length=True needs the `length` input",
                               "pass softmax(data, length, use_length=True)")
            if length is not None and not use_length:
                raise op_error(op, args, AttrError, "a `length` input was given but use_length is False",
                               "pass use_length=True to mask by length, or drop the length input")
            if length is not None:
                want = tuple(d for i, d in enumerate(x.shape) if i != ax)
                if length.dtype.kind not in "iu":
                    raise op_error(op, args, DTypeError, f"length must be an integer array, not {length.dtype}",
                                   "cast it, e.g. length.astype('int32')")
                if tuple(length.shape) != want:
                    raise op_error(op, args, ShapeError,
                                   f"length has shape {tuple(length.shape)}; it must be the data shape without "
                                   f"axis {axis}, {want}", f"reshape length to {want}")
        return TensorSpec(x.shape, dtype or x.dtype, x.device)
    if with_length:
        return rule

    def rule1(x, axis=-1, temperature=None, dtype=None, use_length=False):
        return rule(x, None, axis, temperature, dtype, use_length)
    return rule1


def _scale(ctx, negate):
    t = ctx.attrs.get("temperature")
    s = 1.0 if t is None else 1.0 / t
    return -s if negate else s


def _to_input_dtype(ctx, g):
    dt = ctx.in_specs[0].dtype
    return g if g.dtype == dt else F.Cast(g, dtype=dt)


def _softmax_grad(negate, with_length):
    def grad(ctx, g):
        y = ctx.outputs[0]
        axis = ctx.attrs["axis"]
        r = y * (g - F.sum(g * y, axis=axis, keepdims=True))
        s = _scale(ctx, negate)
        if s != 1.0:
            r = r * s
        r = _to_input_dtype(ctx, r)
        return (r, None) if with_length else (r,)
    return grad


def _log_softmax_grad(ctx, g):
    y = ctx.outputs[0]
    r = g - F.exp(y) * F.sum(g, axis=ctx.attrs["axis"], keepdims=True)
    s = _scale(ctx, False)
    if s != 1.0:
        r = r * s
    return (_to_input_dtype(ctx, r),)


_softmax = defop(
    "softmax", ("data", "length?"), None, Pattern.OPAQUE, attrs=_attrs(), grad=_softmax_grad(False, True),
    saves=("outputs",), nondiff=(1,), dtype_check=None,
    doc="Softmax along an axis: exp(z - max z) / sum, z = data / temperature. With use_length=True, "
        "positions at or past each row's `length` are 0.\n\n"
        ">>> nd.softmax(nd.array([[1, 2, 3]]), temperature=2.0).asnumpy().astype(float).round(4).tolist()\n"
        "[[0.1863, 0.3072, 0.5065]]\n"
        ">>> nd.softmax(nd.array([[1, 2, 3]]), nd.array([2], dtype='int32'), use_length=True)"
        ".asnumpy().astype(float).round(4).tolist()\n[[0.2689, 0.7311, 0.0]]")
_softmax.infer = _infer(_softmax, True)

_log_softmax = defop(
    "log_softmax", ("data",), None, Pattern.OPAQUE, attrs=_attrs(), grad=_log_softmax_grad,
    saves=("outputs",),
    doc="Log of softmax along an axis: z - max z - log(sum(exp(z - max z))), z = data / temperature.\n\n"
        ">>> nd.log_softmax(nd.array([[1, 2, 3]])).asnumpy().astype(float).round(4).tolist()\n"
        "[[-2.4076, -1.4076, -0.4076]]")
_log_softmax.infer = _infer(_log_softmax, False)

_softmin = defop(
    "softmin", ("data",), None, Pattern.OPAQUE, attrs=_attrs(), grad=_softmax_grad(True, False),
    saves=("outputs",),
    doc="Softmax of -data / temperature: the smallest entries get the largest weights.\n\n"
        ">>> nd.softmin(nd.array([[1, 2, 3]])).asnumpy().astype(float).round(4).tolist()\n"
        "[[0.6652, 0.2447, 0.09]]")
_softmin.infer = _infer(_softmin, False)
