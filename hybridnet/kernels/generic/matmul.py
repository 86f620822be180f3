"""Matrix products for both devices: ``matmul`` of the array module on reshaped views — NumPy's BLAS on
the CPU, CuPy's cuBLAS GEMM / batched GEMM on the GPU (NumPy under the simulator).

Every product is one 2-D (or batched 2-D) GEMM; transposes are views (BLAS takes them as transposed
operands without a copy), and the result is written straight into ``out`` when it is C-contiguous.
``np.dot`` inside ``@njit`` would need SciPy's BLAS bindings, so GEMM is called from Python here.
The bias of FullyConnected is added in place.
"""
import math

import numpy as np

from ...ops.linalg import dot_dims
from ..backend import xp_of
from ..cpu.threading import BLAS_SINGLE_MAX, blas_threads_for
from . import both, device_scope

_CAPTURE = [False]    # kernels/cuda/capture_blas.ACTIVE (the same list), without importing CUDA code


def _out2d(xp, out, shape, dtype, final_shape):
    """``(buffer_to_write, result_to_return)``: a fresh array, a reshaped ``out``, or (for a strided
    ``out``) a temporary copied into it by ``_finish``."""
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


def _gemm(xp, a, b, buf, inner):
    if buf.size:
        if inner == 0:
            buf[...] = 0
        else:
            if xp is np and BLAS_SINGLE_MAX:
                blas_threads_for(buf.size * inner)
            if xp is not np and _CAPTURE[0] and a.ndim == 2:
                from ..cuda.capture_blas import gemm    # CuPy refuses cuBLAS while a graph is captured
                gemm(a, b, buf)
            else:
                xp.matmul(a, b, out=buf)


@both("dot")
def dot(a, b, out=None, transpose_a=False, transpose_b=False, forward_stype=None):
    if type(a) is np.ndarray and a.ndim == 2 and b.ndim == 2:
        # the CPU 2-D case (every dot of a Dense layer's backward) without the generic shape helpers
        a2 = a.T if transpose_a else a
        b2 = b.T if transpose_b else b
        oshape = (a2.shape[0], b2.shape[1])
        buf, res = _out2d(np, out, oshape, a.dtype, oshape)
        _gemm(np, a2, b2, buf, a2.shape[1])
        return _finish(buf, res, out, oshape)
    xp = xp_of(a)
    with device_scope(a):
        if a.ndim == 1 and b.ndim == 1:
            r = xp.asarray(xp.matmul(a, b), dtype=a.dtype).reshape(1)
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
        _gemm(xp, a2, b2, buf, a2.shape[1])
        return _finish(buf, res, out, oshape)


@both("batch_dot")
def batch_dot(a, b, out=None, transpose_a=False, transpose_b=False, forward_stype=None):
    xp = xp_of(a)
    with device_scope(a):
        if transpose_a:
            a = xp.swapaxes(a, -1, -2)
        if transpose_b:
            b = xp.swapaxes(b, -1, -2)
        oshape = a.shape[:-1] + (b.shape[-1],)
        buf, res = _out2d(xp, out, oshape, a.dtype, oshape)
        _gemm(xp, a, b, buf, a.shape[-1])
        return _finish(buf, res, out, oshape)


@both("FullyConnected")
def fully_connected(x, w, bias=None, out=None, num_hidden=1, no_bias=False, flatten=True):
    if type(x) is np.ndarray:      # no device scope on the CPU (this kernel is on every Dense call)
        return _fc(np, x, w, bias, out, num_hidden, no_bias, flatten)
    with device_scope(x):
        return _fc(xp_of(x), x, w, bias, out, num_hidden, no_bias, flatten)


def _fc(xp, x, w, bias, out, num_hidden, no_bias, flatten):
    ds = x.shape           # ops.linalg.fc_dims with math.prod (np.prod costs ~2 us a call)
    if flatten:
        rows, in_units, oshape = ds[0], math.prod(ds[1:]), (ds[0], num_hidden)
    else:
        rows, in_units, oshape = math.prod(ds[:-1]), ds[-1], ds[:-1] + (num_hidden,)
    buf, res = _out2d(xp, out, (rows, num_hidden), x.dtype, oshape)
    _gemm(xp, x.reshape(rows, in_units), w.T, buf, in_units)
    if buf.size and bias is not None and not no_bias:
        buf += bias.reshape(num_hidden)
    return _finish(buf, res, out, oshape)
