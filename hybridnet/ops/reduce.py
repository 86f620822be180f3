"""Reductions with MXNet's ``axis`` / ``keepdims`` / ``exclude`` attrs. A full reduction gives shape
``(1,)`` (legacy nd), never ``()``."""
from . import api as F
from .check import norm_axes
from .opdef import Attr, Axes, Bool, Pattern
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


def reduce_infer(op, out_dtype=None):
    def rule(x, axis=None, keepdims=False, exclude=False, **_):
        axes = reduce_axes(op, x, axis, exclude)
        return TensorSpec(reduce_shape(x.shape, axes, keepdims), out_dtype or x.dtype, x.device)
    return rule


def keepdims_shape(ctx):
    """Shape of the reduced output with reduced axes kept as 1 (for broadcasting grads back)."""
    x = ctx.in_specs[0]
    a = ctx.attrs
    axes = reduce_axes(ctx.node.op, x, a["axis"], a["exclude"])
    return reduce_shape(x.shape, axes, True)


def _unreduce(ctx, g):
    """Broadcast an output gradient back over the reduced axes."""
    return F.broadcast_to(F.Reshape(g, shape=keepdims_shape(ctx)), shape=ctx.in_specs[0].shape)


def _reduce_op(name, grad, saves=(), doc="", aliases=(), **kw):
    op = defop(name, ("data",), None, Pattern.REDUCE, attrs=REDUCE_ATTRS, grad=grad, saves=saves,
               aliases=aliases, doc=doc, **kw)
    op.infer = reduce_infer(op)
    return op


_reduce_op("sum", lambda ctx, g: (_unreduce(ctx, g),), aliases=("sum_axis",),
           doc="Sum over the given axes.\n\n>>> nd.sum(nd.ones((2, 3)), axis=1).asnumpy().tolist()\n[3.0, 3.0]")
