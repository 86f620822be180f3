"""Dtype conversion over the array API (NumPy's / CuPy's ``astype``). See ``ops/cast.py`` for the
out-of-range conversion rules this gives on each device."""
import numpy as np

from . import both


def _astype(x, dtype, out):
    if out is None:
        with np.errstate(invalid="ignore", over="ignore"):
            return x.astype(dtype, copy=True)
    with np.errstate(invalid="ignore", over="ignore"):
        out[...] = x.astype(dtype, copy=False)
    return out


@both("Cast")
def cast(x, out=None, dtype="float32"):
    return _astype(x, dtype, out)


@both("amp_cast")
def amp_cast(x, out=None, dtype="float32"):
    if x.dtype.kind != "f":
        dtype = x.dtype
    return _astype(x, dtype, out)
