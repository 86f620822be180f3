"""Array constructors (legacy nd: float32 unless a dtype is given, even from integer NumPy input)."""
import numbers

import numpy as np

from .. import dtypes
from ..device import resolve
from ..errors import ShapeError
from ..kernels import backend
from .ndarray import NDArray

__all__ = ["array", "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "from_numpy",
           "from_dlpack"]


def _shape(shape):
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    shape = tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ShapeError(f"shape {shape} has a negative dimension; every dimension must be >= 0")
    return shape


def _make(host, dev):
    return NDArray(backend.to_device(host, dev), dev)


def array(source_array, ctx=None, dtype=None, device=None):
    """An NDArray from any array-like (float32 unless ``dtype`` is given, as legacy MXNet).

    >>> nd.array([[1, 2], [3, 4]]).dtype
    dtype('float32')
    """
    dev = resolve(ctx, device)
    if isinstance(source_array, NDArray):
        dt = source_array.dtype if dtype is None else dtypes.normalize(dtype)
        return _make(np.array(source_array.asnumpy(), dtype=dt), dev)
    dt = dtypes.normalize(dtype)
    src = np.asarray(source_array) if hasattr(source_array, "__array__") else source_array
    return _make(np.array(src, dtype=dt, copy=True), dev)


def from_numpy(ndarray, zero_copy=True):
    """Wrap a NumPy array (shares memory when ``zero_copy``; keeps its dtype)."""
    a = ndarray if zero_copy else ndarray.copy()
    if a.dtype not in dtypes.MX_TYPE_FLAG:
        a = a.astype(np.float32)
    return NDArray(np.ascontiguousarray(a), resolve())


def zeros(shape, ctx=None, dtype=None, device=None, **kwargs):
    """>>> nd.zeros((2, 3)).shape
    (2, 3)"""
    dev = resolve(ctx, device)
    return NDArray(backend.xp_for(dev).zeros(_shape(shape), dtypes.normalize(dtype)), dev)


def ones(shape, ctx=None, dtype=None, device=None, **kwargs):
    """>>> nd.ones(2).asnumpy().tolist()
    [1.0, 1.0]"""
    dev = resolve(ctx, device)
    return NDArray(backend.xp_for(dev).ones(_shape(shape), dtypes.normalize(dtype)), dev)


def full(shape, val, ctx=None, dtype=None, device=None, out=None):
    """>>> nd.full((2,), 7).asnumpy().tolist()
    [7.0, 7.0]"""
    dev = resolve(ctx, device)
    r = NDArray(backend.xp_for(dev).full(_shape(shape), val, dtypes.normalize(dtype)), dev)
    if out is not None:
        out[:] = r
        return out
    return r


def empty(shape, ctx=None, dtype=None, device=None):
    """Uninitialised array (hybridnet fills it with zeros, so reads are deterministic)."""
    return zeros(shape, ctx, dtype, device)


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None, dtype=None, device=None):
    """>>> nd.arange(3).asnumpy().tolist()
    [0.0, 1.0, 2.0]"""
    if stop is None:
        start, stop = 0, start
    dt = dtypes.normalize(dtype)
    a = np.arange(start, stop, step, dtype=np.float64).astype(dt)
    if repeat > 1:
        a = np.repeat(a, int(repeat))
    return _make(a, resolve(ctx, device))


def linspace(start, stop, num, endpoint=True, ctx=None, dtype=None, device=None):
    """>>> nd.linspace(0, 1, 3).asnumpy().tolist()
    [0.0, 0.5, 1.0]"""
    a = np.linspace(start, stop, int(num), endpoint=endpoint, dtype=np.float64).astype(dtypes.normalize(dtype))
    return _make(a, resolve(ctx, device))


def eye(N, M=0, k=0, ctx=None, dtype=None, device=None):
    """>>> nd.eye(2).asnumpy().tolist()
    [[1.0, 0.0], [0.0, 1.0]]"""
    a = np.eye(int(N), int(M) if M else None, int(k), dtype=dtypes.normalize(dtype))
    return _make(a, resolve(ctx, device))


def from_dlpack(dlpack):
    """An NDArray sharing memory with a DLPack-capable object (NumPy, PyTorch, CuPy, JAX) or capsule."""
    if hasattr(dlpack, "__dlpack__"):
        dev_type, dev_id = dlpack.__dlpack_device__()
        if int(dev_type) == 1:
            return NDArray(np.from_dlpack(dlpack), resolve("cpu"))
        from ..device import gpu
        cp = backend._cupy()
        return NDArray(cp.from_dlpack(dlpack), gpu(int(dev_id)))

    class _Capsule:  # a bare capsule (to_dlpack_for_read of another framework): host memory
        def __init__(self, c):
            self.c = c

        def __dlpack__(self, stream=None):
            return self.c

        def __dlpack_device__(self):
            return (1, 0)
    return NDArray(np.from_dlpack(_Capsule(dlpack)), resolve("cpu"))
