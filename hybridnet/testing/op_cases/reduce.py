"""Records for ops/reduce.py."""
import numpy as np

from ...errors import AttrError, ShapeError
from . import ErrorCase, OpCase, Sample


def reduce_ref(f):
    """NumPy reference with MXNet's axis/keepdims/exclude and the (1,) full-reduction shape."""
    def ref(x, axis=None, keepdims=False, exclude=False):
        if axis is None:
            axes = tuple(range(x.ndim))
        else:
            axes = tuple(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
        if exclude:
            axes = tuple(i for i in range(x.ndim) if i not in axes)
        r = np.asarray(f(x, axis=axes, keepdims=keepdims))
        if r.ndim == 0:
            r = r.reshape(1)
        return r.astype(x.dtype) if r.dtype != x.dtype and r.dtype.kind == x.dtype.kind else r
    return ref


REDUCE_SAMPLES = [Sample(((3, 4),)), Sample(((3, 4),), {"axis": 1}), Sample(((2, 3, 4),), {"axis": (0, 2)}),
                  Sample(((2, 3, 4),), {"axis": -1, "keepdims": True}),
                  Sample(((2, 3, 4),), {"axis": 1, "exclude": True})]
REDUCE_ERRORS = [ErrorCase(((2, 3),), {"axis": 2}, ShapeError, "axis 2 is out of range"),
                 ErrorCase(((2, 3),), {"axes": 1}, AttrError, "Did you mean 'axis'")]

CASES = [
    OpCase("sum", reduce_ref(np.sum), REDUCE_SAMPLES + [Sample(((0, 3),), {"axis": 0}, note="0-size")],
           int_dtypes=("int32",), grad2=True, errors=REDUCE_ERRORS),
]
