"""Shared shape/dtype/device rules. A rule takes input specs (anything with .shape/.dtype/.device)
and the op's attrs, returns output ``TensorSpec``(s), and raises an error naming the op otherwise."""
import numpy as np

from ..errors import DTypeError, ShapeError
from .check import op_error
from .spec import TensorSpec

__all__ = ["same_as_input", "broadcast", "elemwise_same_shape", "dtype_same", "broadcast_shape"]


def dtype_same(op, specs):
    dts = {np.dtype(s.dtype) for s in specs if s is not None}
    if len(dts) > 1:
        raise op_error(op, specs, DTypeError,
                       f"input dtypes differ ({', '.join(sorted(str(d) for d in dts))}); legacy nd never "
                       "promotes between arrays", "cast one input with .astype(...) so the dtypes match")
    return dts.pop()


def same_as_input(op):
    """Output = first input's spec (unary elementwise ops and scalar ops)."""
    def rule(x, *rest, **attrs):
        return TensorSpec(x.shape, x.dtype, x.device)
    return rule


def broadcast_shape(op, specs):
    shapes = [tuple(s.shape) for s in specs]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        sh = " ".join("[" + ",".join(str(d) for d in s) + "]" for s in shapes)
        raise op_error(op, specs, ShapeError, f"operands could not be broadcast together with shapes {sh}",
                       "make trailing dimensions equal or 1 (x.reshape / x.expand_dims), or use "
                       "broadcast_to") from None


def broadcast(op):
    """NumPy broadcasting of all inputs; dtypes must match (legacy nd)."""
    def rule(*specs, **attrs):
        dt = dtype_same(op, specs)
        return TensorSpec(broadcast_shape(op, specs), dt, specs[0].device)
    return rule


def elemwise_same_shape(op):
    """``elemwise_*``: shapes must be equal (no broadcasting), dtypes must match."""
    def rule(*specs, **attrs):
        dt = dtype_same(op, specs)
        shapes = {tuple(s.shape) for s in specs}
        if len(shapes) > 1:
            sh = " vs ".join(str(tuple(s.shape)) for s in specs)
            raise op_error(op, specs, ShapeError, f"elementwise op needs equal shapes, got {sh}",
                           f"use broadcast_{op.name.split('_', 1)[1]} (or the + - * / operators) to broadcast")
        return TensorSpec(specs[0].shape, dt, specs[0].device)
    return rule
