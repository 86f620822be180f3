"""GPU matrix products: CuPy's ``matmul`` (cuBLAS GEMM / batched GEMM) on reshaped views, written
straight into ``out`` when it is C-contiguous. Under the simulator the same code runs on NumPy.

Each product is one 2-D (or batched 2-D) GEMM; transposes are views, which cuBLAS takes as
transposed operands without a copy. The bias of FullyConnected is added in place (one broadcast
elementwise kernel) on the same stream.
"""
from ...ops.linalg import dot_dims, fc_dims
from ...ops.registry import register_kernel
from ..backend import xp_of
from . import launch as L


def _out2d(xp, out, shape, dtype, final_shape):
    if out is None:
        buf = xp.empty(shape, dtype)
        return buf, buf.reshape(final_shape)
    if out.flags.c_contiguous:
        return out.reshape(shape), out
    return xp.empty(shape, dtype), out


def _finish(buf, res, out, final_shape):
    if out is not None and not out.flags.c_contiguous:
        out[...] = buf.reshape(final_shape)
    return res


@register_kernel("dot", "gpu")
def dot(a, b, out=None, transpose_a=False, transpose_b=False, forward_stype=None):
    xp = xp_of(a)
    with L.on_device_of(a):
        if a.ndim == 1 and b.ndim == 1:
            r = xp.matmul(a, b).astype(a.dtype, copy=False).reshape(1)
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
        buf, res = _out2d(xp, out, (a2.shape[0], b2.shape[1]), a.dtype, oshape)
        if buf.size:
            if a2.shape[1] == 0:
                buf[...] = 0
            else:
                xp.matmul(a2, b2, out=buf)
        return _finish(buf, res, out, oshape)


@register_kernel("batch_dot", "gpu")
def batch_dot(a, b, out=None, transpose_a=False, transpose_b=False, forward_stype=None):
    xp = xp_of(a)
    with L.on_device_of(a):
        if transpose_a:
            a = xp.swapaxes(a, -1, -2)
        if transpose_b:
            b = xp.swapaxes(b, -1, -2)
        oshape = a.shape[:-1] + (b.shape[-1],)
        buf, res = _out2d(xp, out, oshape, a.dtype, oshape)
        if buf.size:
            if a.shape[-1] == 0:
                buf[...] = 0
            else:
                xp.matmul(a, b, out=buf)
        return _finish(buf, res, out, oshape)


@register_kernel("FullyConnected", "gpu")
def fully_connected(x, w, bias=None, out=None, num_hidden=1, no_bias=False, flatten=True):
    xp = xp_of(x)
    with L.on_device_of(x):
        rows, in_units, oshape = fc_dims(x.shape, num_hidden, flatten)
        x2 = x.reshape(rows, in_units)
        buf, res = _out2d(xp, out, (rows, num_hidden), x.dtype, oshape)
        if buf.size:
            if in_units == 0:
                buf[...] = 0
            else:
                xp.matmul(x2, w.T, out=buf)
            if bias is not None and not no_bias:
                buf += bias.reshape(num_hidden)
        return _finish(buf, res, out, oshape)
