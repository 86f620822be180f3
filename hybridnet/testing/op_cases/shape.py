"""Records for ops/shape.py."""
import numpy as np

from ...errors import ShapeError
from . import ErrorCase, OpCase, Sample


def _mx_reshape(x, shape=(), reverse=False):
    from ...ops.shape import reshape_shape
    from ...ops.registry import get_op
    return x.reshape(reshape_shape(get_op("Reshape"), x, shape, reverse))


CASES = [
    OpCase("Reshape", _mx_reshape,
           [Sample(((2, 3, 4),), {"shape": (0, -1)}), Sample(((2, 3, 4),), {"shape": (-3, 0)}),
            Sample(((2, 6),), {"shape": (0, -4, 2, -1)}), Sample(((2, 3, 4),), {"shape": (-2,)}),
            Sample(((2, 3, 4),), {"shape": (-1, 0), "reverse": True}), Sample(((0, 3),), {"shape": (0, 1, 3)})],
           int_dtypes=("int32",),
           errors=[ErrorCase(((2, 3),), {"shape": (4, 2)}, ShapeError, r"cannot reshape \(2, 3\) to \(4, 2\)"),
                   ErrorCase(((2, 3),), {"shape": (-1, -1)}, ShapeError, "more than one -1")]),
    OpCase("broadcast_to", lambda x, shape: np.broadcast_to(x, shape).copy(),
           [Sample(((1, 3),), {"shape": (4, 3)}), Sample(((2, 1, 1),), {"shape": (2, 3, 4)})],
           grad2=True,
           errors=[ErrorCase(((2, 3),), {"shape": (4, 3)}, ShapeError, "cannot broadcast")]),
]
