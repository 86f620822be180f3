"""CPU matrix-product kernels: NumPy's BLAS (``np.matmul(..., out=)``), transposes as views.

Every product is reduced to one 2-D (or batched 2-D) GEMM on reshaped views, so no copy is made for
contiguous inputs and the result is written straight into ``out`` when the caller passes one.
"""
import numpy as np

from ...ops.linalg import dot_dims, fc_dims
from ...ops.registry import register_kernel


def _out2d(out, shape, dtype, final_shape):
    """A writable 2-D (or N-D) view of ``out`` with ``shape``; a fresh array when ``out`` is None.
    Returns ``(buffer_to_write, result_to_return)``."""
    if out is None:
        buf = np.empty(shape, dtype)
        return buf, buf.reshape(final_shape)
    if out.flags.c_contiguous:
        return out.reshape(shape), out
    return np.empty(shape, dtype), out   # strided out: compute, then copy


def _finish(buf, res, out, final_shape):
    if out is not None and not out.flags.c_contiguous:
        out[...] = buf.reshape(final_shape)
    return res


@register_kernel("dot", "cpu")
def dot(a, b, out=None, transpose_a=False, transpose_b=False, forward_stype=None):
    if a.ndim == 1 and b.ndim == 1:
        r = np.asarray(np.matmul(a, b), dtype=a.dtype).reshape(1)
        if out is None:
            return r
        out[...] = r
        return out
    lhs2d, rhs2d, oshape = dot_dims(a.shape, b.shape, transpose_a, transpose_b)
    a2 = a.reshape(lhs2d)
    b2 = b.reshape(rhs2d)
    if transpose_a:
        a2 = a2.T
    if transpose_b:
        b2 = b2.T
    buf, res = _out2d(out, (a2.shape[0], b2.shape[1]), a.dtype, oshape)
    if buf.size:
        np.matmul(a2, b2, out=buf)
    return _finish(buf, res, out, oshape)


@register_kernel("batch_dot", "cpu")
def batch_dot(a, b, out=None, transpose_a=False, transpose_b=False, forward_stype=None):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    oshape = a.shape[:-1] + (b.shape[-1],)
    buf, res = _out2d(out, oshape, a.dtype, oshape)
    if buf.size:
        np.matmul(a, b, out=buf)
    return _finish(buf, res, out, oshape)


@register_kernel("FullyConnected", "cpu")
def fully_connected(x, w, bias=None, out=None, num_hidden=1, no_bias=False, flatten=True):
    rows, in_units, oshape = fc_dims(x.shape, num_hidden, flatten)
    x2 = x.reshape(rows, in_units)
    buf, res = _out2d(out, (rows, num_hidden), x.dtype, oshape)
    if buf.size:
        np.matmul(x2, w.T, out=buf)
        if bias is not None and not no_bias:
            buf += bias.reshape(num_hidden)
    return _finish(buf, res, out, oshape)
