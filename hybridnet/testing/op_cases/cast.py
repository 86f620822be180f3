"""Records for ops/cast.py: Cast / amp_cast.

``mx_cast`` writes out the conversion rule of MXNet 1.9.1's x86-64 CPU build (measured with the
oracle) independently of NumPy's ``astype``: float -> int32 / int64 truncates towards zero and gives
the type's minimum for NaN, +-inf and out-of-range values; float -> int8 / uint8 keeps the low byte of
that int32 conversion (``-2.7 -> 254``, ``300 -> 44``, ``-300 -> 212``, ``1e10 / NaN / inf -> 0`` as
uint8); integer -> narrower integer wraps; anything -> bool is ``x != 0``.
"""
import numpy as np

from ...errors import AttrError
from . import ErrorCase, OpCase, Sample


def mx_cast(x, dtype):
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return x != 0
    if x.dtype.kind != "f" or dt.kind == "f":
        with np.errstate(all="ignore"):
            return x.astype(dt)
    via = np.dtype(np.int64) if dt.itemsize == 8 else np.dtype(np.int32)   # the C conversion's width
    info = np.iinfo(via)
    x64 = x.astype(np.float64)
    t = np.trunc(np.where(np.isfinite(x64), x64, 0.0))
    ok = np.isfinite(x64) & (t >= info.min) & (t < -float(info.min))
    wide = np.where(ok, t, 0).astype(via)
    wide = np.where(ok, wide, np.array(info.min, via))
    return wide.astype(dt)    # int32 -> int8 / uint8 keeps the low byte (NumPy wraps)


_EDGES = [-2.7, -1.5, -0.5, 0.5, 1.5, 2.7, 255.5, 256.0, 300.0, -1.0, -300.0, 1e10, -1e10, np.nan, np.inf, -np.inf,
          0.0, -0.0, 127.9, -128.9]

# MXNet 1.9.1 (CPU) outputs for the first 16 _EDGES values, float32 input (oracle).
MX_UINT8 = [254, 255, 0, 0, 1, 2, 255, 0, 44, 255, 212, 0, 0, 0, 0, 0]
MX_INT8 = [-2, -1, 0, 0, 1, 2, -1, 0, 44, -1, -44, 0, 0, 0, 0, 0]
MX_INT32 = [-2, -1, 0, 0, 1, 2, 255, 256, 300, -1, -300] + [-2147483648] * 5
MX_INT64 = [-2, -1, 0, 0, 1, 2, 255, 256, 300, -1, -300, 10000000000, -10000000000] + [-2 ** 63] * 3
_GOLDEN = {"uint8": MX_UINT8, "int8": MX_INT8, "int32": MX_INT32, "int64": MX_INT64}

CASES = [
    OpCase("Cast", mx_cast,
           [Sample(((3, 4),), {"dtype": "float64"}),
            Sample(((2, 3),), {"dtype": "float32"}, grad=False),
            Sample(((3, 4),), {"dtype": "int32"}, grad=False),
            Sample(((3, 4),), {"dtype": "float16"}, grad=False),
            Sample(((3, 4),), {"dtype": "uint8"}, grad=False),
            Sample(((3, 4),), {"dtype": "bool"}, grad=False),
            Sample((_EDGES,), {"dtype": "int32"}, grad=False, note="truncation, NaN/inf/out of range -> INT_MIN"),
            Sample((_EDGES,), {"dtype": "int64"}, grad=False),
            Sample((_EDGES,), {"dtype": "uint8"}, grad=False, note="low byte of the int32 conversion"),
            Sample((_EDGES,), {"dtype": "int8"}, grad=False),
            Sample((_EDGES,), {"dtype": "bool"}, grad=False),
            Sample((_EDGES,), {"dtype": "float16"}, grad=False, note="1e10 -> inf"),
            Sample(([300.0, -5.0, 70000.0],), {"dtype": "float16"}, grad=False),
            Sample(((0, 3),), {"dtype": "int32"}, note="0-size")],
           domain=(-300.0, 300.0), int_dtypes=("int32", "uint8"), grad2=True,
           errors=[ErrorCase(((2, 3),), {}, AttrError, "requires the attribute 'dtype'"),
                   ErrorCase(((2, 3),), {"dtype": "complex64"}, AttrError, "dtype='complex64' is not a valid dtype")]),
    OpCase("amp_cast", lambda x, dtype: x.astype(dtype) if x.dtype.kind == "f" else x,
           [Sample(((3, 4),), {"dtype": "float64"}), Sample(((3, 4),), {"dtype": "float16"}, grad=False),
            Sample(((3, 4),), {"dtype": "float32"}, grad=False), Sample(((2, 2),), {"dtype": "float64"}),
            Sample(((0, 2),), {"dtype": "float16"})],
           int_dtypes=("int32", "uint8"), grad2=True,
           errors=[ErrorCase(((2, 3),), {}, AttrError, "requires the attribute 'dtype'")]),
    OpCase("Cast", lambda x, dtype: np.array(_GOLDEN[dtype], dtype),
           [Sample((_EDGES[:16],), {"dtype": d}, grad=False) for d in _GOLDEN], dtypes=("float32",),
           grad=False, gpu=False, name="Cast_mxnet_golden"),
]
