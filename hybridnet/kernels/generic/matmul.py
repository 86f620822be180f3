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
        elif xp is np:
            if BLAS_SINGLE_MAX:
                blas_threads_for(buf.size * inner)
            np.matmul(a, b, out=buf)
        elif not (RAW_CUBLAS and a.ndim == 2 and _cublas_gemm(a, b, buf)):
            xp.matmul(a, b, out=buf)


# GPU 2-D GEMMs call cuBLAS's sgemm/dgemm directly (CuPy's matmul spends ~20 us of host time per call
# on its generic checks; measured in BENCHMARKS.md "GPU"). ``RAW_CUBLAS = False`` -> cupy.matmul.
RAW_CUBLAS = True
_CUBLAS = {}


def _cublas_state():
    st = _CUBLAS.get("st")
    if st is None:
        import cupy
        from cupy_backends.cuda.libs import cublas
        one32, zero32 = np.ones(1, np.float32), np.zeros(1, np.float32)
        one64, zero64 = np.ones(1, np.float64), np.zeros(1, np.float64)
        st = _CUBLAS["st"] = {
            "cublas": cublas, "cupy": cupy, "keep": (one32, zero32, one64, zero64),
            np.dtype(np.float32): (cublas.sgemm, one32.ctypes.data, zero32.ctypes.data),
            np.dtype(np.float64): (cublas.dgemm, one64.ctypes.data, zero64.ctypes.data)}
    return st


def _operand(x):
    """(transpose flag, leading dimension) of a row-major 2-D operand read as cuBLAS's column-major
    one, or None for a layout cuBLAS can't take without a copy."""
    r, c = x.shape
    s0, s1 = x.strides
    it = x.itemsize
    if s1 == it and (s0 == c * it or r == 1):
        return 0, max(c, 1)          # C-contiguous: column-major x.T, no transpose
    if s0 == it and (s1 == r * it or c == 1):
        return 1, max(r, 1)          # a transposed view (F-contiguous): transpose
    return None


def _cublas_gemm(a, b, buf):
    """``buf = a @ b`` (2-D, float32/float64, ``buf`` C-contiguous) as one cuBLAS call: row-major
    ``C = A B`` is column-major ``C^T = B^T A^T``. False where it does not apply (the caller falls
    back to ``cupy.matmul``)."""
    st = _cublas_state()
    fn = st.get(buf.dtype)
    if fn is None or a.dtype != buf.dtype or b.dtype != buf.dtype or not buf.flags.c_contiguous:
        return False
    oa, ob = _operand(a), _operand(b)
    if oa is None or ob is None:
        return False
    gemm, one, zero = fn
    cublas, cupy = st["cublas"], st["cupy"]
    m, k = a.shape
    n = b.shape[1]
    handle = cupy.cuda.device.get_cublas_handle()
    cublas.setStream(handle, cupy.cuda.get_current_stream().ptr)
    cublas.setPointerMode(handle, cublas.CUBLAS_POINTER_MODE_HOST)
    gemm(handle, ob[0], oa[0], n, m, k, one, b.data.ptr, ob[1], a.data.ptr, oa[1], zero, buf.data.ptr,
         max(n, 1))
    return True


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
