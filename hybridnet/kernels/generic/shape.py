"""Shape-op kernels over the array API. Without ``out`` they may return views (eager); with ``out``
they write into it (the graph executor's destination passing)."""
from ...ops.shape import reshape_shape
from ...ops.registry import get_op
from ..backend import xp_of
from . import both

_RESHAPE = get_op("Reshape")


def _emit(r, out):
    if out is None:
        return r
    out[...] = r
    return out


@both("Reshape")
def reshape(x, out=None, shape=(), reverse=False):
    return _emit(x.reshape(reshape_shape(_RESHAPE, x, shape, reverse)), out)


@both("broadcast_to")
def broadcast_to(x, out=None, shape=()):
    tgt = tuple(d if d != 0 else x.shape[i] for i, d in enumerate(shape)) if len(shape) == x.ndim else shape
    xp = xp_of(x)
    return _emit(xp.ascontiguousarray(xp.broadcast_to(x, tgt)), out)
