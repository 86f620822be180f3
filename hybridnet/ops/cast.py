"""``Cast`` (alias ``cast``) and ``amp_cast``: dtype conversion.

Float -> integer conversion truncates towards zero; out-of-range values, NaN and inf follow the C
conversion of MXNet 1.9.1's CPU build on x86-64 (measured, and what NumPy's ``astype`` does there):
float -> int32 / int64 gives INT_MIN for NaN, +-inf and out-of-range values; float -> uint8 / int8 keeps
the low byte of the int32 conversion, so ``-2.7 -> 254``, ``300 -> 44``, ``-300 -> 212`` (uint8) and
``1e10``, NaN and inf -> 0. float -> bool is ``x != 0`` (NaN -> True). On a GPU (CuPy) out-of-range
float -> integer conversions saturate instead, as CUDA's do (MXNet's GPU build behaves the same way).
The gradient casts the output gradient back to the input's dtype (it passes through integer casts,
as in MXNet).
"""
import numpy as np

from . import api as F
from .opdef import REQUIRED, Attr, DType, Pattern
from .registry import defop
from .spec import TensorSpec

__all__ = []


def _cast_infer(x, dtype=REQUIRED):
    return TensorSpec(x.shape, dtype, x.device)


_cast = defop(
    "Cast", ("data",), _cast_infer, Pattern.INJECTIVE, aliases=("cast",),
    attrs=(Attr("dtype", DType(), REQUIRED, "the target dtype"),),
    grad=lambda ctx, g: (F.Cast(g, dtype=ctx.in_specs[0].dtype),), saves=(),
    doc="Convert to a dtype. Float -> int truncates towards zero.\n\n"
        ">>> nd.Cast(nd.array([-1.7, 2.9]), dtype='int32').asnumpy().tolist()\n[-1, 2]\n"
        ">>> nd.array([1.5]).astype('float16').dtype\ndtype('float16')")


def _amp_infer(x, dtype=REQUIRED):
    out = dtype if np.dtype(x.dtype).kind == "f" else x.dtype
    return TensorSpec(x.shape, out, x.device)


_amp_cast = defop(
    "amp_cast", ("data",), _amp_infer, Pattern.INJECTIVE,
    attrs=(Attr("dtype", DType(), REQUIRED, "the target dtype for floating-point inputs"),),
    grad=lambda ctx, g: (F.Cast(g, dtype=ctx.in_specs[0].dtype),), saves=(),
    doc="AMP's cast: floating-point inputs are converted to dtype, other inputs pass through "
        "unchanged (MXNet 1.9.1).\n\n"
        ">>> nd.amp_cast(nd.array([1.5]), dtype='float16').dtype\ndtype('float16')\n"
        ">>> nd.amp_cast(nd.array([3], dtype='int32'), dtype='float16').dtype\ndtype('int32')")
