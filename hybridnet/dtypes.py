"""Supported dtypes, MXNet type flags, and dtype normalisation (one place)."""
import numpy as np

from .errors import DTypeError

__all__ = ["normalize", "DEFAULT", "MX_TYPE_FLAG", "FLAG_TO_DTYPE", "is_float", "dtype_name", "compute_dtype"]

DEFAULT = np.dtype(np.float32)

# MXNet's mshadow type flags (include/mshadow/base.h): the integers .params files and JSON store.
MX_TYPE_FLAG = {
    np.dtype(np.float32): 0, np.dtype(np.float64): 1, np.dtype(np.float16): 2, np.dtype(np.uint8): 3,
    np.dtype(np.int32): 4, np.dtype(np.int8): 5, np.dtype(np.int64): 6, np.dtype(np.bool_): 7,
    np.dtype(np.int16): 8, np.dtype(np.uint16): 9, np.dtype(np.uint32): 10, np.dtype(np.uint64): 11,
}
FLAG_TO_DTYPE = {v: k for k, v in MX_TYPE_FLAG.items()}

_SUPPORTED = frozenset(MX_TYPE_FLAG)
_cache = {}


def normalize(dtype, default=DEFAULT):
    """Return the ``numpy.dtype`` for any dtype spelling (``'float32'``, ``np.int32``, ``None``)."""
    try:
        return _cache[dtype]
    except (KeyError, TypeError):
        pass
    if dtype is None:
        return default
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise DTypeError(f"unknown dtype {dtype!r}; use one of "
                         f"{sorted(str(t) for t in _SUPPORTED)}") from None
    if d not in _SUPPORTED:
        raise DTypeError(f"dtype {d} is not supported; use one of {sorted(str(t) for t in _SUPPORTED)}")
    try:
        _cache[dtype] = d
    except TypeError:
        pass
    return d


_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)


def compute_dtype(dtype):
    """The dtype kernels compute in for arrays of ``dtype``: float32 for float16 (Numba has no half
    arithmetic on the CPU; MXNet accumulates float16 in float32 too), else ``dtype`` itself."""
    dt = np.dtype(dtype)
    return _F32 if dt == _F16 else dt


def is_float(dtype):
    return np.dtype(dtype).kind == "f"


def dtype_name(dtype):
    return np.dtype(dtype).name
