"""CPU reduction kernels."""
import numpy as np

from ...ops.reduce import reduce_axes, reduce_shape
from ...ops.registry import get_op, register_kernel

_SUM = get_op("sum")


@register_kernel("sum", "cpu")
def sum_(x, out=None, axis=None, keepdims=False, exclude=False):
    axes = reduce_axes(_SUM, x, axis, exclude)
    r = np.sum(x, axis=axes, keepdims=keepdims)
    r = np.asarray(r, dtype=x.dtype).reshape(reduce_shape(x.shape, axes, keepdims))
    if out is None:
        return r
    out[...] = r
    return out
