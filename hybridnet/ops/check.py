"""One place for op error messages: ``op_error`` names the op, its input specs, the user's line and
the fix; ``norm_axis`` validates axes against a rank."""
from ..errors import ShapeError, user_line
from .spec import fmt_spec

__all__ = ["op_error", "norm_axis", "norm_axes"]


def op_error(op, args, exc_type, msg, fix=""):
    names = op.inputs if not op.variadic else [f"{op.inputs[0].lstrip('*')}{i}" for i in range(len(args))]
    ins = ", ".join(f"{n.rstrip('?')}={fmt_spec(a)}" for n, a in zip(names, args) if a is not None)
    text = f"Error in operator {op.name}: {msg}"
    if ins:
        text += f"\n  inputs: {ins}"
    line = user_line()
    if line:
        text += f"\n  at: {line}"
    if fix:
        text += f"\n  fix: {fix}"
    return exc_type(text)


def norm_axis(op, args, axis, ndim, allow_end=False):
    """Normalise a possibly negative axis; out of range raises a ShapeError naming the op."""
    hi = ndim + 1 if allow_end else ndim
    a = axis + hi if axis < 0 else axis
    if not 0 <= a < hi:
        raise op_error(op, args, ShapeError, f"axis {axis} is out of range for an input of rank {ndim}",
                       f"use an axis in [{-hi}, {hi - 1}]")
    return a


def norm_axes(op, args, axis, ndim):
    """``None`` -> all axes; int or tuple -> sorted tuple of non-negative axes (no duplicates)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = tuple(sorted({norm_axis(op, args, a, ndim) for a in axes}))
    if len(out) != len(axes):
        raise op_error(op, args, ShapeError, f"axis {axis} repeats an axis", "list each axis once")
    return out
