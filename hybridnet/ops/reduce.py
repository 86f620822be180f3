"""Reductions with MXNet's ``axis`` / ``keepdims`` / ``exclude`` attrs. A full reduction gives shape
``(1,)`` (legacy nd), never ``()``."""
from . import api as F
from ..errors import AttrError, ShapeError
from .check import norm_axes, norm_axis, op_error
from .opdef import Attr, Axes, Axis, Bool, DType, Int, Pattern
from .registry import defop
from .spec import TensorSpec

__all__ = ["reduce_axes", "reduce_shape"]

REDUCE_ATTRS = (Attr("axis", Axes(), None, "axis or axes to reduce; None reduces all"),
                Attr("keepdims", Bool(), False, "keep reduced axes as size 1"),
                Attr("exclude", Bool(), False, "reduce every axis except those in `axis`"))


def reduce_axes(op, x, axis, exclude):
    axes = norm_axes(op, (x,), axis, len(x.shape)) if axis != () else ()
    if exclude:
        axes = tuple(i for i in range(len(x.shape)) if i not in axes)
    return axes


def reduce_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return out if out else (1,)


def reduce_infer(op, out_dtype=None, empty_ok=True):
    def rule(x, axis=None, keepdims=False, exclude=False, **_):
        axes = reduce_axes(op, x, axis, exclude)
        if not empty_ok and any(x.shape[a] == 0 for a in axes):
            raise empty_axis_error(op, x, axes)
        return TensorSpec(reduce_shape(x.shape, axes, keepdims), out_dtype or x.dtype, x.device)
    return rule


def empty_axis_error(op, x, axes):
    """max/min/argmax/argmin of nothing has no value."""
    return op_error(op, (x,), ShapeError,
                    f"cannot compute {op.name} over an empty axis (axes {tuple(axes)} of shape {tuple(x.shape)})",
                    "reduce over non-empty axes, or use sum for empty inputs")


def keepdims_shape(ctx):
    """Shape of the reduced output with reduced axes kept as 1 (for broadcasting grads back)."""
    x = ctx.in_specs[0]
    a = ctx.attrs
    axes = reduce_axes(ctx.node.op, x, a.get("axis"), a.get("exclude", False))
    return reduce_shape(x.shape, axes, True)


def _unreduce(ctx, g):
    """Broadcast an output gradient back over the reduced axes."""
    return F.broadcast_to(F.Reshape(g, shape=keepdims_shape(ctx)), shape=ctx.in_specs[0].shape)


def _reduce_op(name, grad, saves=(), doc="", aliases=(), empty_ok=True, **kw):
    op = defop(name, ("data",), None, Pattern.REDUCE, attrs=REDUCE_ATTRS, grad=grad, saves=saves,
               aliases=aliases, doc=doc, **kw)
    op.infer = reduce_infer(op, empty_ok=empty_ok)
    return op


_reduce_op("sum", lambda ctx, g: (_unreduce(ctx, g),), aliases=("sum_axis",),
           doc="Sum over the given axes.\n\n>>> nd.sum(nd.ones((2, 3)), axis=1).asnumpy().tolist()\n[3.0, 3.0]")


# ---- the other axis/keepdims/exclude reductions -------------------------------------------------
# MXNet 1.9.1 behaviours measured with the oracle (legacy nd):
# - integer inputs reduce in their own dtype: sum/mean of uint8 [200, 100] wrap (mean 22); mean of
#   int32 [-7, 0, 0] is -2 (the wrapped sum divided by N, truncated towards zero).
# - max/min of a row holding NaN is NaN; their gradient goes to EVERY position equal to the result
#   (ties are not split: max([1, 3, 3]) gives the gradient [0, 1, 1] times the output gradient), and a
#   NaN result gets no gradient (x == y is false) - the equality mask ``x == broadcast(y)`` below.
# - prod's gradient is ``g * y / x`` (MXNet gives NaN at a zero input: 0/0); nanprod's gradient is 0 at
#   NaN positions, nansum's 1 where x is not NaN.

def _n_reduced(ctx):
    x = ctx.in_specs[0]
    n = 1
    for a in reduce_axes(ctx.node.op, x, ctx.attrs.get("axis"), ctx.attrs.get("exclude", False)):
        n *= x.shape[a]
    return n


def _x(ctx):
    return ctx.inputs[0]


def _y(ctx):
    return ctx.outputs[0]


def _mean_grad(ctx, g):
    return (_unreduce(ctx, g) / max(_n_reduced(ctx), 1),)


def _prod_grad(ctx, g):
    return (_unreduce(ctx, g * _y(ctx)) / _x(ctx),)


def _extreme_grad(ctx, g):
    mask = F.broadcast_equal(_x(ctx), _unreduce(ctx, _y(ctx)))
    return (_unreduce(ctx, g) * mask,)


def _nansum_grad(ctx, g):
    x = _x(ctx)
    return (_unreduce(ctx, g) * F.broadcast_equal(x, x),)


def _nanprod_grad(ctx, g):
    # y / x where x is not NaN, 0 where it is: maximum(NaN, -inf) is -inf (the scalar formula keeps the
    # scalar when the comparison is false) and y / -inf = 0 for a finite y.
    return (_unreduce(ctx, g * _y(ctx)) / F._maximum_scalar(_x(ctx), scalar=-float("inf")),)


_reduce_op("mean", _mean_grad,
           doc="Arithmetic mean over the given axes (integers: the sum in the input dtype divided by the "
               "count, truncated, as MXNet).\n\n"
               ">>> nd.mean(nd.array([[1, 2], [3, 5]]), axis=1).asnumpy().tolist()\n[1.5, 4.0]")
_reduce_op("prod", _prod_grad, saves=("inputs", "outputs"),
           doc="Product over the given axes. The gradient is g*y/x (NaN at zero inputs, as MXNet).\n\n"
               ">>> nd.prod(nd.array([[1, 2], [3, 4]]), axis=1).asnumpy().tolist()\n[2.0, 12.0]")
_reduce_op("max", _extreme_grad, saves=("inputs", "outputs"), aliases=("max_axis",), empty_ok=False,
           doc="Maximum over the given axes; NaN if a reduced element is NaN. The gradient goes to every "
               "element equal to the maximum.\n\n"
               ">>> nd.max(nd.array([[1, 5], [7, 2]]), axis=1).asnumpy().tolist()\n[5.0, 7.0]")
_reduce_op("min", _extreme_grad, saves=("inputs", "outputs"), aliases=("min_axis",), empty_ok=False,
           doc="Minimum over the given axes; NaN if a reduced element is NaN. The gradient goes to every "
               "element equal to the minimum.\n\n"
               ">>> nd.min(nd.array([[1, 5], [7, 2]]), axis=1).asnumpy().tolist()\n[1.0, 2.0]")
_reduce_op("nansum", _nansum_grad, saves=("inputs",),
           doc="Sum over the given axes treating NaN as 0.\n\n"
               ">>> nd.nansum(nd.array([1, float('nan'), 3])).asnumpy().tolist()\n[4.0]")
_reduce_op("nanprod", _nanprod_grad, saves=("inputs", "outputs"),
           doc="Product over the given axes treating NaN as 1.\n\n"
               ">>> nd.nanprod(nd.array([2, float('nan'), 3])).asnumpy().tolist()\n[6.0]")


# ---- argmax / argmin / argmax_channel -------------------------------------------------------------
# MXNet 1.9.1 (oracle): the indices have the INPUT dtype (float32 for the default float32 input, but
# int32 for int32, float64 for float64, float16 for float16 - so float16 indices above 2048 round);
# axis is an int or None (None: index into the flattened array, shape (1,), or all-ones with
# keepdims); ties give the first index; NaN counts as the largest AND the smallest value (the first
# NaN wins in both, as np.argmax/np.argmin); a row of -inf gives 0. The gradient is zero.
# argmax_channel is argmax over axis 1 (a (2, 3, 4) input gives (2, 4); a 1-D input is an error).

def _arg_infer(op):
    def rule(x, axis=None, keepdims=False):
        nd_ = len(x.shape)
        if axis is None:
            axes = tuple(range(nd_))
        else:
            axes = (norm_axis(op, (x,), axis, nd_),)
        if any(x.shape[a] == 0 for a in axes):
            raise empty_axis_error(op, x, axes)
        if axis is None:
            shape = (1,) * nd_ if keepdims and nd_ else (1,)
        else:
            shape = reduce_shape(x.shape, axes, keepdims)
        return TensorSpec(shape, x.dtype, x.device)
    return rule


def _arg_grad(ctx, g):
    """Zero gradient of the input's shape (MXNet writes zeros)."""
    x = ctx.in_specs[0]
    axis = ctx.attrs.get("axis", 1)
    keep = tuple(1 for _ in x.shape) if axis is None else reduce_shape(x.shape, (axis % len(x.shape),), True)
    return (F.broadcast_to(F.Reshape(F.zeros_like(g), shape=keep or (1,)), shape=x.shape),)


_ARG_ATTRS = (Attr("axis", Axis(), None, "the axis; None: index into the flattened array"),
              Attr("keepdims", Bool(), False, "keep the reduced axis as size 1"))

for _name, _what in (("argmax", "maximum"), ("argmin", "minimum")):
    _op = defop(_name, ("data",), None, Pattern.REDUCE, attrs=_ARG_ATTRS, grad=_arg_grad, nondiff=(0,),
                doc=f"Index of the {_what} along an axis, in the input's dtype (float32 for float32 input, "
                    f"as MXNet); ties give the first index, NaN counts as the {_what}.\n\n"
                    f">>> nd.{_name}(nd.array([[1, 9, 3], [8, 2, 8]]), axis=1).asnumpy().tolist()\n"
                    + ("[1.0, 0.0]" if _name == "argmax" else "[0.0, 1.0]"))
    _op.infer = _arg_infer(_op)


def _argmax_channel_infer(x):
    if len(x.shape) < 2:
        raise op_error(_argmax_channel, (x,), ShapeError,
                       f"argmax_channel reduces axis 1, which an input of rank {len(x.shape)} lacks",
                       "pass an input with at least 2 dims, or use argmax(x, axis=0)")
    return _arg_infer(_argmax_channel)(x, axis=1)


_argmax_channel = defop(
    "argmax_channel", ("data",), _argmax_channel_infer, Pattern.REDUCE, grad=_arg_grad, nondiff=(0,),
    doc="argmax over axis 1 (the channel axis), in the input's dtype.\n\n"
        ">>> nd.argmax_channel(nd.array([[1, 9, 3], [8, 2, 8]])).asnumpy().tolist()\n[1.0, 0.0]")


# ---- norm -----------------------------------------------------------------------------------------
# MXNet 1.9.1 (oracle): attrs (ord=2, axis=None, out_dtype=None, keepdims=False), no ``exclude``; a
# full norm has shape (1,) ((1, 1) with keepdims on 2-D); ord must be 1 or 2 ("norm only supports
# ord=1 and ord=2"). The L2 norm does not overflow/underflow for large/small float32/float64 values
# (1e30 -> 1.41e30 in float32, 1e200 in float64): it is computed as a scaled sum of squares here too.
# Gradients: ord 2 g*x/||x|| (NaN for an all-zero slice, as MXNet: 0/0); ord 1 g*sign(x).
# Deliberate differences: MXNet 1.9.1 fails at run time for any out_dtype other than the input's
# (a TBlob dtype check); here out_dtype casts the result (its documented meaning). MXNet's integer L2
# norm uses integer division in its scaling (int32 [3, 4] -> 4); here integer norms are exact and
# truncated (5).

def _norm_infer(x, ord=2, axis=None, out_dtype=None, keepdims=False):
    if ord not in (1, 2):
        raise op_error(_norm, (x,), AttrError, f"norm only supports ord=1 and ord=2, got ord={ord}",
                       "pass ord=1 (sum of |x|) or ord=2 (Euclidean)")
    axes = norm_axes(_norm, (x,), axis, len(x.shape))
    return TensorSpec(reduce_shape(x.shape, axes, keepdims), out_dtype or x.dtype, x.device)


def _norm_grad(ctx, g):
    x = _x(ctx)
    if g.dtype != x.dtype:
        g = F.Cast(g, dtype=x.dtype)
    if ctx.attrs["ord"] == 1:
        return (_unreduce(ctx, g) * F.sign(x),)
    y = _y(ctx)
    if y.dtype != x.dtype:
        y = F.Cast(y, dtype=x.dtype)
    return (_unreduce(ctx, g / y) * x,)


_norm = defop(
    "norm", ("data",), _norm_infer, Pattern.REDUCE, grad=_norm_grad, saves=("inputs", "outputs"),
    attrs=(Attr("ord", Int(), 2, "1 (sum of absolute values) or 2 (Euclidean)"),
           Attr("axis", Axes(), None, "axis or axes to reduce; None reduces all"),
           Attr("out_dtype", DType(), None, "dtype of the result (default: the input's)"),
           Attr("keepdims", Bool(), False, "keep reduced axes as size 1")),
    doc="L1 or L2 norm over the given axes (a full norm has shape (1,)).\n\n"
        ">>> nd.norm(nd.array([[3, 4], [6, 8]]), axis=1).asnumpy().tolist()\n[5.0, 10.0]\n"
        ">>> nd.norm(nd.array([[3, 4], [6, 8]])).shape\n(1,)")
