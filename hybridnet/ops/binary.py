"""Binary elementwise ops in all of MXNet's spellings, defined once per arithmetic rule.

For each rule ``arith(...)`` defines: ``broadcast_<x>`` (NumPy broadcasting), ``elemwise_<x>`` / ``_<x>``
(equal shapes), ``_<x>_scalar`` (array op scalar) and, where it differs, ``_r<x>_scalar`` (scalar op
array). Gradients are written with registry ops through the array methods; the tape sums them back to
each input's shape, so broadcasting never appears in a rule.
"""
import math

from . import api as F
from .infer import broadcast, elemwise_same_shape, same_as_input
from .opdef import Attr, Float, Pattern, scalar_helper
from .registry import defop

__all__ = []

_SCALAR = (Attr("scalar", Float(), 1.0, "the scalar operand"),
           )

# MXNet's pre-1.0 CamelCase aliases (registered by MXNet 1.9.1 too; old -symbol.json files use them).
_CAMEL = {"_plus_scalar": "_PlusScalar", "_minus_scalar": "_MinusScalar", "_rminus_scalar": "_RMinusScalar",
          "_mul_scalar": "_MulScalar", "_div_scalar": "_DivScalar", "_rdiv_scalar": "_RDivScalar",
          "_mod_scalar": "_ModScalar", "_rmod_scalar": "_RModScalar", "_power_scalar": "_PowerScalar",
          "_rpower_scalar": "_RPowerScalar", "_maximum_scalar": "_MaximumScalar",
          "_minimum_scalar": "_MinimumScalar", "_hypot": "_Hypot", "_hypot_scalar": "_HypotScalar",
          "_equal": "_Equal", "_equal_scalar": "_EqualScalar", "_not_equal": "_Not_Equal",
          "_not_equal_scalar": "_NotEqualScalar", "_greater": "_Greater", "_greater_scalar": "_GreaterScalar",
          "_greater_equal": "_Greater_Equal", "_greater_equal_scalar": "_GreaterEqualScalar",
          "_lesser": "_Lesser", "_lesser_scalar": "_LesserScalar", "_lesser_equal": "_Lesser_Equal",
          "_lesser_equal_scalar": "_LesserEqualScalar", "_logical_and": "_Logical_And",
          "_logical_and_scalar": "_LogicalAndScalar", "_logical_or": "_Logical_Or",
          "_logical_or_scalar": "_LogicalOrScalar", "_logical_xor": "_Logical_Xor",
          "_logical_xor_scalar": "_LogicalXorScalar"}


def _camel(name):
    return (_CAMEL[name],) if name in _CAMEL else ()


def _arith(stem, formula, grad, *, bnames, enames, sname, rname=None, rformula=None, rgrad=None,
           sgrad=None, doc, saves=("inputs",), ssaves=("inputs",), rsaves=("inputs",), nondiff=False):
    """Define the broadcast, elemwise and scalar variants of one binary rule."""
    nd_ = ()
    if nondiff:   # comparisons: MXNet writes zero gradients
        grad = sgrad = lambda ctx, g: (F.zeros_like(g), F.zeros_like(g))
        sgrad = lambda ctx, g: (F.zeros_like(g),)
    g2 = grad
    bop = defop(bnames[0], ("lhs", "rhs"), None, Pattern.BROADCAST, scalar=formula, grad=g2,
                saves=saves, aliases=bnames[1:], nondiff=nd_,
                doc=f"{doc} with NumPy broadcasting.\n\n>>> nd.{bnames[0]}(nd.ones((2, 3)), nd.ones((1, 3))).shape\n(2, 3)")
    bop.infer = broadcast(bop)
    if enames:
        eop = defop(enames[0], ("lhs", "rhs"), None, Pattern.ELEMWISE, scalar=formula, grad=g2, saves=saves,
                    aliases=enames[1:] + _camel(enames[0]), nondiff=nd_, inplace=((0, 0), (1, 0)),
                    doc=f"{doc}; both inputs must have the same shape.\n\n>>> nd.{enames[0]}(nd.ones((2,)), nd.ones((2,))).shape\n(2,)")
        eop.infer = elemwise_same_shape(eop)
    sop = defop(sname, ("data",), None, Pattern.ELEMWISE, attrs=_SCALAR, scalar=formula,
                scalar_attrs=("scalar",), grad=sgrad, saves=ssaves, aliases=_camel(sname),
                inplace=((0, 0),),
                doc=f"{doc} with a scalar right operand (cast to the array's dtype).\n\n"
                    f">>> nd.{sname}(nd.ones((2,)), scalar=2).shape\n(2,)")
    sop.infer = same_as_input(sop)
    if rname:
        rop = defop(rname, ("data",), None, Pattern.ELEMWISE, attrs=_SCALAR, scalar=rformula,
                    scalar_attrs=("scalar",), grad=rgrad, saves=rsaves, aliases=_camel(rname),
                    inplace=((0, 0),),
                    doc=f"{doc} with a scalar left operand (cast to the array's dtype).\n\n"
                        f">>> nd.{rname}(nd.ones((2,)), scalar=2).shape\n(2,)")
        rop.infer = same_as_input(rop)


def _s(ctx):
    return ctx.attrs["scalar"]


# ---- arithmetic ---------------------------------------------------------------------------------

_arith("add", lambda a, b: a + b, lambda ctx, g: (g, g),
       bnames=("broadcast_add", "broadcast_plus"), enames=("elemwise_add", "_add", "_plus", "_Plus"),
       sname="_plus_scalar", sgrad=lambda ctx, g: (g,), saves=(), ssaves=(), doc="Elementwise sum")

_arith("sub", lambda a, b: a - b, lambda ctx, g: (g, -g),
       bnames=("broadcast_sub", "broadcast_minus"), enames=("elemwise_sub", "_sub", "_minus", "_Minus"),
       sname="_minus_scalar", sgrad=lambda ctx, g: (g,),
       rname="_rminus_scalar", rformula=lambda a, s: s - a, rgrad=lambda ctx, g: (-g,),
       saves=(), ssaves=(), doc="Elementwise difference")

_arith("mul", lambda a, b: a * b,
       lambda ctx, g: (g * ctx.inputs[1], g * ctx.inputs[0]),
       bnames=("broadcast_mul",), enames=("elemwise_mul", "_mul", "_Mul"),
       sname="_mul_scalar", sgrad=lambda ctx, g: (g * _s(ctx),), ssaves=(), doc="Elementwise product")

_arith("div", lambda a, b: a / b,
       lambda ctx, g: (g / ctx.inputs[1], -g * ctx.inputs[0] / (ctx.inputs[1] * ctx.inputs[1])),
       bnames=("broadcast_div",), enames=("elemwise_div", "_div", "_Div"),
       sname="_div_scalar", sgrad=lambda ctx, g: (g / _s(ctx),), ssaves=(),
       rname="_rdiv_scalar", rformula=lambda a, s: s / a,
       rgrad=lambda ctx, g: (-g * _s(ctx) / (ctx.inputs[0] * ctx.inputs[0]),),
       doc="Elementwise quotient")


@scalar_helper
def _mod(a, b):
    if b == 0:
        return a * 0
    r = a - b * math.trunc(a / b)   # fmod (math.fmod is not available in Numba)
    if r != 0 and ((r < 0) != (b < 0)):
        r += b
    return r


_arith("mod", _mod,
       lambda ctx, g: (g, -g * F.floor(ctx.inputs[0] / ctx.inputs[1])),
       bnames=("broadcast_mod",), enames=("_mod", "_Mod"),
       sname="_mod_scalar", sgrad=lambda ctx, g: (g,), ssaves=(),
       rname="_rmod_scalar", rformula=lambda a, s: _mod(s, a),
       rgrad=lambda ctx, g: (-g * F.floor(_s(ctx) / ctx.inputs[0]),),
       doc="Elementwise remainder with the divisor's sign (Python's %)")

_arith("power", lambda a, b: a ** b,
       lambda ctx, g: (g * ctx.inputs[1] * ctx.inputs[0] ** (ctx.inputs[1] - 1),
                       g * ctx.inputs[0] ** ctx.inputs[1] * F.log(ctx.inputs[0])),
       bnames=("broadcast_power",), enames=("_power", "_Power"),
       sname="_power_scalar", sgrad=lambda ctx, g: (g * _s(ctx) * ctx.inputs[0] ** (_s(ctx) - 1),),
       rname="_rpower_scalar", rformula=lambda a, s: s ** a,
       rgrad=lambda ctx, g: (g * _s(ctx) ** ctx.inputs[0] * math.log(_s(ctx)),),
       doc="Elementwise power")

_arith("maximum", lambda a, b: a if a >= b else b,
       lambda ctx, g: (g * (ctx.inputs[0] >= ctx.inputs[1]), g * (ctx.inputs[0] < ctx.inputs[1])),
       bnames=("broadcast_maximum",), enames=("_maximum", "_Maximum"),
       sname="_maximum_scalar", sgrad=lambda ctx, g: (g * (ctx.inputs[0] >= _s(ctx)),),
       doc="Elementwise maximum")

_arith("minimum", lambda a, b: a if a <= b else b,
       lambda ctx, g: (g * (ctx.inputs[0] <= ctx.inputs[1]), g * (ctx.inputs[0] > ctx.inputs[1])),
       bnames=("broadcast_minimum",), enames=("_minimum", "_Minimum"),
       sname="_minimum_scalar", sgrad=lambda ctx, g: (g * (ctx.inputs[0] <= _s(ctx)),),
       doc="Elementwise minimum")

_arith("hypot", lambda a, b: math.hypot(a, b),
       lambda ctx, g: (g * ctx.inputs[0] / F.broadcast_hypot(ctx.inputs[0], ctx.inputs[1]),
                       g * ctx.inputs[1] / F.broadcast_hypot(ctx.inputs[0], ctx.inputs[1])),
       bnames=("broadcast_hypot",), enames=("_hypot",),
       sname="_hypot_scalar", sgrad=lambda ctx, g: (g * ctx.inputs[0] / F._hypot_scalar(ctx.inputs[0], scalar=_s(ctx)),),
       doc="Elementwise sqrt(a**2 + b**2)")

# ---- comparisons and logic: 0/1 in the input dtype, no gradient -----------------------------------

for _stem, _f, _rf in (
        ("equal", lambda a, b: 1 if a == b else 0, None),
        ("not_equal", lambda a, b: 1 if a != b else 0, None),
        ("greater", lambda a, b: 1 if a > b else 0, None),
        ("greater_equal", lambda a, b: 1 if a >= b else 0, None),
        ("lesser", lambda a, b: 1 if a < b else 0, None),
        ("lesser_equal", lambda a, b: 1 if a <= b else 0, None),
        ("logical_and", lambda a, b: 1 if (a != 0 and b != 0) else 0, None),
        ("logical_or", lambda a, b: 1 if (a != 0 or b != 0) else 0, None),
        ("logical_xor", lambda a, b: 1 if ((a != 0) != (b != 0)) else 0, None)):
    _arith(_stem, _f, None, bnames=(f"broadcast_{_stem}",), enames=(f"_{_stem}",),
           sname=f"_{_stem}_scalar", nondiff=True, saves=(), ssaves=(),
           doc=f"Elementwise {_stem.replace('_', ' ')} test, 0/1 in the input dtype")
