"""Records for ops/linalg.py: dot, batch_dot, FullyConnected.

References compute in float64 (``np.tensordot`` / ``np.matmul``), written independently of the
kernels' 2-D views; float32 results must agree to rtol 1e-4 (BLAS accumulates in float32).
"""
import numpy as np

from ...errors import AttrError, DTypeError, ShapeError
from . import ErrorCase, OpCase, Sample


def dot_ref(a, b, transpose_a=False, transpose_b=False, forward_stype=None):
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if a.ndim == 1 and b.ndim == 1:
        return np.array([np.dot(a64, b64)])
    A = np.moveaxis(a64, 0, -1) if transpose_a else a64     # contracted axis last
    B = np.moveaxis(b64, -1, 0) if transpose_b else b64     # contracted axis first
    return np.tensordot(A, B, axes=([-1], [0]))


def batch_dot_ref(a, b, transpose_a=False, transpose_b=False, forward_stype=None):
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if transpose_a:
        a64 = np.swapaxes(a64, -1, -2)
    if transpose_b:
        b64 = np.swapaxes(b64, -1, -2)
    return np.matmul(a64, b64)


def fc_ref(x, w, b=None, num_hidden=None, no_bias=False, flatten=True):
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    if flatten:
        out = x64.reshape(x.shape[0], int(np.prod(x.shape[1:]))) @ w64.T
    else:
        out = np.matmul(x64, w64.T)
    if b is not None and not no_bias:
        out = out + b.astype(np.float64).reshape(-1)
    return out


_DOT_SAMPLES = [
    Sample(((3, 4), (4, 5))),
    Sample(((2, 3, 4), (4, 2, 5)), note="N-D x N-D: lhs last axis with rhs first axis"),
    Sample(((4, 3), (4, 5)), {"transpose_a": True}),
    Sample(((3, 4), (5, 4)), {"transpose_b": True}),
    Sample(((4, 3), (5, 4)), {"transpose_a": True, "transpose_b": True}),
    Sample(((2, 3, 4), (4, 5)), note="N-D lhs"),
    Sample(((4, 3, 2), (4, 5)), {"transpose_a": True}, note="N-D lhs, transpose_a contracts its first axis"),
    Sample(((2, 3, 4), (5, 2, 4)), {"transpose_b": True}, note="N-D rhs, transpose_b contracts its last axis"),
    Sample(((4, 3, 2), (5, 2, 4)), {"transpose_a": True, "transpose_b": True}),
    Sample(((5,), (5,)), note="1-D x 1-D gives (1,)"),
    Sample(((3,), (3, 4)), note="1-D x 2-D"),
    Sample(((4, 3), (3,)), note="2-D x 1-D"),
    Sample(((3,), (3, 4)), {"transpose_a": True}, note="a vector ignores transpose_a"),
    Sample(((4, 3), (3,)), {"transpose_b": True}, note="a vector ignores transpose_b"),
    Sample(((0, 3), (3, 4)), note="0-size rows"),
    Sample(((2, 0), (0, 3)), note="0-size contraction gives zeros"),
]

_DOT_ERRORS = [
    ErrorCase(((2, 3), (2, 3)), exc=ShapeError, match=r"dot shape error: \[2,3\] X \[2,3\]"),
    ErrorCase(((2, 3, 4), (3, 4)), exc=ShapeError, match=r"dot shape error: \[2,3,4\] X \[3,4\]"),
    ErrorCase(((3,), (4,)), exc=ShapeError, match=r"dot shape error: \[3\] X \[4\]"),
    ErrorCase(((3,), (3,)), {"transpose_a": True}, exc=ShapeError, match="Cannot transpose vectors"),
    ErrorCase(((2, 3), (3, 2)), exc=DTypeError, match="dtypes differ", dtypes=("float32", "float64")),
    ErrorCase(((2, 3), (3, 2)), exc=DTypeError, match="only supports float", dtypes=("int32", "int32")),
    ErrorCase(((2, 3), (3, 2)), {"transpose": True}, exc=AttrError, match="unknown attribute 'transpose'"),
]

_BATCH_SAMPLES = [
    Sample(((2, 3, 4), (2, 4, 5))),
    Sample(((2, 4, 3), (2, 4, 5)), {"transpose_a": True}),
    Sample(((2, 3, 4), (2, 5, 4)), {"transpose_b": True}),
    Sample(((2, 4, 3), (2, 5, 4)), {"transpose_a": True, "transpose_b": True}),
    Sample(((2, 2, 3, 4), (2, 2, 4, 5)), note="4-D: two batch axes (MXNet 1.9)"),
    Sample(((0, 3, 4), (0, 4, 5)), note="0-size batch"),
    Sample(((2, 3, 0), (2, 0, 4)), note="0-size contraction gives zeros"),
]

_BATCH_ERRORS = [
    ErrorCase(((2, 3, 4), (3, 4, 5)), exc=ShapeError, match="leading batch dimensions must be equal"),
    ErrorCase(((2, 3, 4), (2, 3, 5)), exc=ShapeError, match=r"batch_dot shape error \(shape mismatch\)"),
    ErrorCase(((3, 4), (4, 5)), exc=ShapeError, match="rank N >= 3"),
    ErrorCase(((2, 3, 4), (2, 4, 5)), exc=DTypeError, match="dtypes differ", dtypes=("float64", "float32")),
]

_FC_SAMPLES = [
    Sample(((4, 5), (3, 5), (3,)), {"num_hidden": 3}),
    Sample(((2, 3, 4), (5, 12), (5,)), {"num_hidden": 5}, note="flatten=True views data as (2, 12)"),
    Sample(((2, 3, 4), (5, 4), (5,)), {"num_hidden": 5, "flatten": False}, note="flatten=False: last axis"),
    Sample(((2, 4), (3, 4)), {"num_hidden": 3, "no_bias": True}),
    Sample(((2, 3, 4), (5, 4)), {"num_hidden": 5, "no_bias": True, "flatten": False}),
    Sample(((4,), (3, 1), (3,)), {"num_hidden": 3}, note="1-D data with flatten: (4,) is (4, 1)"),
    Sample(((4,), (3, 4), (3,)), {"num_hidden": 3, "flatten": False}, note="1-D data without flatten"),
    Sample(((2, 4), (3, 4), (3, 1)), {"num_hidden": 3}, note="bias (num_hidden, 1) accepted"),
    Sample(((0, 4), (3, 4), (3,)), {"num_hidden": 3}, note="0-size batch"),
]

_FC_ERRORS = [
    ErrorCase(((2, 3, 4), (5, 11), (5,)), {"num_hidden": 5}, ShapeError,
              r"Shape inconsistent, Provided = \[5,11\], inferred shape=\(5,12\)"),
    ErrorCase(((2, 12), (5, 12), (5,)), {"num_hidden": 6}, ShapeError, r"inferred shape=\(6,12\)"),
    ErrorCase(((2, 4), (3, 4), (4,)), {"num_hidden": 3}, ShapeError, r"Unexpected shape for bias \[4\]"),
    ErrorCase(((2, 4), (3, 4)), {"num_hidden": 3}, ShapeError, "expects 3 inputs"),
    ErrorCase(((2, 4), (3, 4), (3,)), {"num_hidden": 3, "no_bias": True}, ShapeError, "expects 2 inputs"),
    ErrorCase(((2, 4), (3, 4), (3,)), {}, AttrError, "requires the attribute 'num_hidden'"),
    ErrorCase(((2, 4), (3, 4), (3,)), {"num_hidden": 3}, DTypeError, "dtypes differ",
              dtypes=("float64", "float32", "float32")),
]


CASES = [
    OpCase("dot", dot_ref, _DOT_SAMPLES, rtol=1e-4, atol=1e-5, grad2=True, errors=_DOT_ERRORS),
    OpCase("dot", dot_ref, [Sample(((64, 512), (512, 96)), grad=False), Sample(((3, 1000), (1000,)), grad=False)],
           dtypes=("float32",), rtol=1e-4, atol=1e-4, grad=False, gpu=False, name="dot_large_float32",
           domain=(-1.0, 1.0)),
    OpCase("dot", dot_ref, [Sample(((3, 4), (4, 5))), Sample(((2, 3, 4), (4, 2)))], dtypes=("float16",),
           grad=False, gpu=False, name="dot_float16"),
    OpCase("batch_dot", batch_dot_ref, _BATCH_SAMPLES, rtol=1e-4, atol=1e-5, grad2=True, errors=_BATCH_ERRORS),
    OpCase("FullyConnected", fc_ref, _FC_SAMPLES, rtol=1e-4, atol=1e-5, grad2=True, errors=_FC_ERRORS),
]

# The gradient templates check the first two samples of a record; these records put the transposed,
# N-D, vector and no-bias forms first so every gradient rule branch is checked (first and second order).
_GRAD_VARIANTS = [
    ("dot", dot_ref, [1, 2]), ("dot", dot_ref, [3, 4]), ("dot", dot_ref, [6, 7]), ("dot", dot_ref, [8, 9]),
    ("dot", dot_ref, [10, 11]), ("dot", dot_ref, [12, 13]),
    ("batch_dot", batch_dot_ref, [1, 2]), ("batch_dot", batch_dot_ref, [3, 4]),
    ("FullyConnected", fc_ref, [2, 3]), ("FullyConnected", fc_ref, [4, 5]), ("FullyConnected", fc_ref, [6, 7]),
]
_ALL = {"dot": _DOT_SAMPLES, "batch_dot": _BATCH_SAMPLES, "FullyConnected": _FC_SAMPLES}
for _op, _ref, _idx in _GRAD_VARIANTS:
    CASES.append(OpCase(_op, _ref, [_ALL[_op][i] for i in _idx], dtypes=("float64",), rtol=1e-4, atol=1e-5,
                        grad2=True, gpu=False, name=f"{_op}_grad_{_idx[0]}_{_idx[1]}"))
