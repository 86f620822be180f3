"""Records for ops/binary.py: every spelling (broadcast_*, elemwise_*/_*, _*_scalar, _r*_scalar)."""
import numpy as np

from ...errors import DTypeError, ShapeError
from . import ErrorCase, OpCase, Sample

_BCAST = [Sample(((3, 4), (3, 4))), Sample(((2, 3, 4), (1, 3, 1)), note="broadcast"),
          Sample(((4,), (3, 1)), note="broadcast rank"), Sample(((0, 3), (1, 3)), note="0-size")]
_SAME = [Sample(((3, 4), (3, 4))), Sample(((2, 0), (2, 0)), note="0-size")]
_ERR = [ErrorCase(((2, 3), (3, 2)), exc=ShapeError, match=r"could not be broadcast.*\[2,3\] \[3,2\]"),
        ErrorCase(((2, 3), (2, 3)), exc=DTypeError, match="dtypes differ", dtypes=("float32", "float64"))]
_ERR_SAME = [ErrorCase(((2, 3), (1, 3)), exc=ShapeError, match="equal shapes")]


def _pymod(a, b):
    with np.errstate(all="ignore"):
        r = np.mod(a, b)
    return np.where(b == 0, 0, r).astype(a.dtype)


def _cmp(f):
    return lambda a, b: f(a, b).astype(np.result_type(a, b))


# (stem, numpy reference, input domain, grad checked, second order, scalar used for scalar forms)
_RULES = [
    ("add", np.add, (-2, 2), True, True, 1.5),
    ("sub", np.subtract, (-2, 2), True, True, 1.5),
    ("mul", np.multiply, (-2, 2), True, True, 1.5),
    ("div", np.divide, (0.5, 2), True, True, 1.5),
    ("mod", _pymod, (0.5, 3), True, False, 1.5),
    ("power", np.power, (0.5, 2), True, True, 1.5),
    ("maximum", np.maximum, (-2, 2), True, False, 0.25),
    ("minimum", np.minimum, (-2, 2), True, False, 0.25),
    ("hypot", np.hypot, (0.5, 2), True, False, 1.5),
    ("equal", _cmp(np.equal), (-2, 2), False, False, 1.0),
    ("not_equal", _cmp(np.not_equal), (-2, 2), False, False, 1.0),
    ("greater", _cmp(np.greater), (-2, 2), False, False, 0.0),
    ("greater_equal", _cmp(np.greater_equal), (-2, 2), False, False, 0.0),
    ("lesser", _cmp(np.less), (-2, 2), False, False, 0.0),
    ("lesser_equal", _cmp(np.less_equal), (-2, 2), False, False, 0.0),
    ("logical_and", _cmp(np.logical_and), (-1, 1), False, False, 1.0),
    ("logical_or", _cmp(np.logical_or), (-1, 1), False, False, 0.0),
    ("logical_xor", _cmp(np.logical_xor), (-1, 1), False, False, 1.0),
]
_ENAME = {"add": "elemwise_add", "sub": "elemwise_sub", "mul": "elemwise_mul", "div": "elemwise_div"}
_REVERSED = {"sub", "div", "mod", "power"}

CASES = []
for stem, ref, dom, g, g2, s in _RULES:
    ints = ("int32",) if stem in ("add", "sub", "mul", "maximum", "minimum", "equal", "greater") else ()
    CASES.append(OpCase(f"broadcast_{stem}", ref, list(_BCAST), domain=dom, grad=g, grad2=g2, errors=list(_ERR),
                        int_dtypes=ints))
    CASES.append(OpCase(_ENAME.get(stem, f"_{stem}"), ref, list(_SAME), domain=dom, grad=g, errors=list(_ERR_SAME)))
    CASES.append(OpCase(f"_{stem}_scalar" if stem not in ("add", "sub") else
                        {"add": "_plus_scalar", "sub": "_minus_scalar"}[stem],
                        (lambda r: lambda x, scalar: r(x, np.asarray(scalar, x.dtype)))(ref),
                        [Sample(((3, 4),), {"scalar": s}), Sample(((0,),), {"scalar": s})],
                        domain=dom, grad=g, grad2=g2, int_dtypes=ints))
    if stem in _REVERSED:
        rname = {"sub": "_rminus_scalar"}.get(stem, f"_r{stem}_scalar")
        CASES.append(OpCase(rname, (lambda r: lambda x, scalar: r(np.asarray(scalar, x.dtype), x))(ref),
                            [Sample(((3, 4),), {"scalar": s})], domain=dom, grad=g, grad2=g2))

# legacy-nd dtype rule: the scalar takes the array's dtype (int32 * 0.5 -> int32 zeros)
CASES.append(OpCase("_mul_scalar", lambda x, scalar: (x * np.asarray(scalar, x.dtype)).astype(x.dtype),
                    [Sample((np.array([1, 2, 3]),), {"scalar": 0.5})], dtypes=("int32",), grad=False, gpu=False,
                    name="_mul_scalar_int_truncates"))
CASES.append(OpCase("_plus_scalar", lambda x, scalar: (x + np.asarray(scalar, x.dtype)).astype(x.dtype),
                    [Sample((np.array([250, 3]),), {"scalar": 10})], dtypes=("uint8",), grad=False, gpu=False,
                    name="_plus_scalar_uint8_wraps"))
