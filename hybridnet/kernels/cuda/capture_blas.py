"""GEMMs while a CUDA graph is being captured (``kernels/cuda/graph_capture.py``).

CuPy refuses every cuBLAS call on a capturing stream (its wrappers raise ``NotImplementedError`` in
``cublas.setStream``), although cuBLAS itself can be captured. During a capture the 2-D float32 /
float64 GEMMs of ``kernels/generic/matmul.py`` therefore call ``cublas{S,D}gemm_v2`` through ctypes
on CuPy's cuBLAS handle: row-major ``C = A B`` is column-major ``C^T = B^T A^T``, transposed views
are passed as transposed operands. Anything else raises, which makes the capture fall back.
"""
import ctypes

import numpy as np

__all__ = ["ACTIVE", "gemm"]

from ..generic.matmul import _CAPTURE as ACTIVE    # [True] while CapturedRun records a graph
_LIB = {}
_ONE = {np.dtype(np.float32): np.ones(1, np.float32), np.dtype(np.float64): np.ones(1, np.float64)}
_ZERO = {np.dtype(np.float32): np.zeros(1, np.float32), np.dtype(np.float64): np.zeros(1, np.float64)}


def _lib():
    lib = _LIB.get("lib")
    if lib is None:
        path = None
        with open("/proc/self/maps") as f:          # the libcublas CuPy already loaded
            for line in f:
                p = line.split()[-1]
                if "/libcublas.so" in p:
                    path = p
                    break
        lib = ctypes.CDLL(path or "libcublas.so")
        vp, i = ctypes.c_void_p, ctypes.c_int
        lib.cublasSetStream_v2.argtypes = [vp, vp]
        lib.cublasSetPointerMode_v2.argtypes = [vp, i]
        for name in ("cublasSgemm_v2", "cublasDgemm_v2"):
            getattr(lib, name).argtypes = [vp, i, i, i, i, i, vp, vp, i, vp, i, vp, vp, i]
        _LIB["lib"] = lib
    return lib


def _operand(x):
    """(transpose flag, leading dimension) of a row-major 2-D operand read column-major."""
    r, c = x.shape
    s0, s1 = x.strides
    it = x.itemsize
    if s1 == it and (s0 == c * it or r == 1):
        return 0, max(c, 1)
    if s0 == it and (s1 == r * it or c == 1):
        return 1, max(r, 1)
    raise RuntimeError(f"GEMM operand layout {x.shape} strides {x.strides} cannot be captured")


def gemm(a, b, buf):
    import cupy
    dt = buf.dtype
    if dt not in _ONE or a.dtype != dt or b.dtype != dt or not buf.flags.c_contiguous:
        raise RuntimeError(f"GEMM of {a.dtype}/{b.dtype} -> {dt} cannot be captured")
    oa, ob = _operand(a), _operand(b)
    lib = _lib()
    handle = cupy.cuda.device.get_cublas_handle()
    st = lib.cublasSetStream_v2(handle, cupy.cuda.get_current_stream().ptr)
    st |= lib.cublasSetPointerMode_v2(handle, 0)          # CUBLAS_POINTER_MODE_HOST
    m, k = a.shape
    n = b.shape[1]
    fn = lib.cublasSgemm_v2 if dt == np.float32 else lib.cublasDgemm_v2
    st |= fn(handle, ob[0], oa[0], n, m, k, _ONE[dt].ctypes.data, b.data.ptr, ob[1], a.data.ptr, oa[1],
             _ZERO[dt].ctypes.data, buf.data.ptr, max(n, 1))
    if st:
        raise RuntimeError(f"cuBLAS returned status {st} during capture")
