"""Unary elementwise ops: one ``_unary`` line per op with its scalar formula (the CPU ufunc, the CUDA
kernel and fused kernels are generated from it) and its gradient in registry ops.

``y`` in a gradient is the op's output (``saves=("outputs",)``), ``x`` its input.
"""
import math

from . import api as F
from .infer import same_as_input
from .opdef import Attr, Float, Pattern, scalar_helper
from .registry import defop

__all__ = []

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_SQRT_PI = math.sqrt(math.pi)


def _unary(name, formula, grad, saves=("inputs",), aliases=(), doc="", example="[-1.0, 0.5, 2.0]",
           attrs=(), scalar_attrs=(), example_args="", example_call=None, **kw):
    op = defop(name, ("data",), None, Pattern.ELEMWISE, scalar=formula, grad=grad, saves=saves,
               aliases=aliases, inplace=((0, 0),), attrs=attrs, scalar_attrs=scalar_attrs,
               doc=f"{doc}\n\n>>> {example_call or 'nd.' + name}(nd.array({example}){example_args}).shape\n(3,)", **kw)
    op.infer = same_as_input(op)
    return op


def _x(ctx):
    return ctx.inputs[0]


def _y(ctx):
    return ctx.outputs[0]


def _zero_grad(ctx, g):
    return (F.zeros_like(g),)


# ---- sign, rounding, identity -------------------------------------------------------------------
_unary("negative", lambda x: -x, lambda ctx, g: (-g,), saves=(), doc="Elementwise -x.")
_unary("abs", lambda x: abs(x), lambda ctx, g: (g * F.sign(_x(ctx)),), doc="Elementwise |x|.")
_unary("sign", lambda x: (x > 0) - (x < 0), _zero_grad, saves=(), doc="Elementwise sign: -1, 0 or 1.")
_unary("round", lambda x: math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5), _zero_grad, saves=(),
       doc="Round half away from zero.")
_unary("rint", lambda x: round(x), _zero_grad, saves=(), doc="Round half to even.")
_unary("ceil", lambda x: math.ceil(x), _zero_grad, saves=(), doc="Elementwise ceiling.")
_unary("floor", lambda x: math.floor(x), _zero_grad, saves=(), doc="Elementwise floor.")
_unary("trunc", lambda x: math.trunc(x), _zero_grad, saves=(), doc="Round towards zero.")
_unary("fix", lambda x: math.trunc(x), _zero_grad, saves=(), doc="Round towards zero (MXNet's fix).")
_unary("_copy", lambda x: x, lambda ctx, g: (g,), saves=(), aliases=("identity",),
       doc="A copy of the input.")
_unary("BlockGrad", lambda x: x, _zero_grad, saves=(), aliases=("stop_gradient",),
       doc="Identity in the forward pass; blocks gradients from flowing to the input.")
_unary("zeros_like", lambda x: 0, _zero_grad, saves=(), doc="An array of zeros like the input.")
_unary("ones_like", lambda x: 1, _zero_grad, saves=(), doc="An array of ones like the input.")

# ---- powers and exponentials --------------------------------------------------------------------
_unary("square", lambda x: x * x, lambda ctx, g: (g * 2 * _x(ctx),), doc="Elementwise x**2.")
_unary("sqrt", lambda x: math.sqrt(x), lambda ctx, g: (g * 0.5 / _y(ctx),), saves=("outputs",),
       doc="Elementwise square root.", example="[1.0, 4.0, 9.0]")
_unary("rsqrt", lambda x: 1.0 / math.sqrt(x), lambda ctx, g: (g * -0.5 * _y(ctx) ** 3,), saves=("outputs",),
       doc="Elementwise 1/sqrt(x).", example="[1.0, 4.0, 9.0]")
_unary("cbrt", lambda x: math.copysign(abs(x) ** (1.0 / 3.0), x),
       lambda ctx, g: (g / (3 * _y(ctx) * _y(ctx)),), saves=("outputs",), doc="Elementwise cube root.",
       example="[1.0, 8.0, 27.0]")
_unary("rcbrt", lambda x: 1.0 / math.copysign(abs(x) ** (1.0 / 3.0), x),
       lambda ctx, g: (g * (-1.0 / 3.0) * _y(ctx) / _x(ctx),), saves=("inputs", "outputs"),
       doc="Elementwise 1/cbrt(x).",
       example="[1.0, 8.0, 27.0]")
_unary("reciprocal", lambda x: 1.0 / x, lambda ctx, g: (-g * _y(ctx) * _y(ctx),), saves=("outputs",),
       doc="Elementwise 1/x.", example="[1.0, 2.0, 4.0]")
_unary("exp", lambda x: math.exp(x), lambda ctx, g: (g * _y(ctx),), saves=("outputs",), doc="Elementwise e**x.")
_unary("expm1", lambda x: math.expm1(x), lambda ctx, g: (g * (_y(ctx) + 1),), saves=("outputs",),
       doc="Elementwise e**x - 1, accurate near 0.")
_unary("log", lambda x: math.log(x), lambda ctx, g: (g / _x(ctx),), doc="Natural logarithm.",
       example="[1.0, 2.0, 4.0]")
_unary("log2", lambda x: math.log2(x), lambda ctx, g: (g / (_x(ctx) * _LN2),), doc="Base-2 logarithm.",
       example="[1.0, 2.0, 4.0]")
_unary("log10", lambda x: math.log10(x), lambda ctx, g: (g / (_x(ctx) * _LN10),), doc="Base-10 logarithm.",
       example="[1.0, 2.0, 4.0]")
_unary("log1p", lambda x: math.log1p(x), lambda ctx, g: (g / (_x(ctx) + 1),), doc="log(1 + x), accurate near 0.",
       example="[0.0, 1.0, 3.0]")

# ---- trigonometric and hyperbolic ---------------------------------------------------------------
_unary("sin", lambda x: math.sin(x), lambda ctx, g: (g * F.cos(_x(ctx)),), doc="Elementwise sine.")
_unary("cos", lambda x: math.cos(x), lambda ctx, g: (-g * F.sin(_x(ctx)),), doc="Elementwise cosine.")
_unary("tan", lambda x: math.tan(x), lambda ctx, g: (g * (_y(ctx) * _y(ctx) + 1),), saves=("outputs",),
       doc="Elementwise tangent.")
_unary("arcsin", lambda x: math.asin(x), lambda ctx, g: (g * F.rsqrt(1 - _x(ctx) * _x(ctx)),),
       doc="Inverse sine.", example="[-0.5, 0.0, 0.5]")
_unary("arccos", lambda x: math.acos(x), lambda ctx, g: (-g * F.rsqrt(1 - _x(ctx) * _x(ctx)),),
       doc="Inverse cosine.", example="[-0.5, 0.0, 0.5]")
_unary("arctan", lambda x: math.atan(x), lambda ctx, g: (g / (_x(ctx) * _x(ctx) + 1),), doc="Inverse tangent.")
_unary("degrees", lambda x: x * (180.0 / math.pi), lambda ctx, g: (g * (180.0 / math.pi),), saves=(),
       doc="Radians to degrees.")
_unary("radians", lambda x: x * (math.pi / 180.0), lambda ctx, g: (g * (math.pi / 180.0),), saves=(),
       doc="Degrees to radians.")
_unary("sinh", lambda x: math.sinh(x), lambda ctx, g: (g * F.cosh(_x(ctx)),), doc="Hyperbolic sine.")
_unary("cosh", lambda x: math.cosh(x), lambda ctx, g: (g * F.sinh(_x(ctx)),), doc="Hyperbolic cosine.")
_unary("tanh", lambda x: math.tanh(x), lambda ctx, g: (g * (1 - _y(ctx) * _y(ctx)),), saves=("outputs",),
       doc="Hyperbolic tangent.")
_unary("arcsinh", lambda x: math.asinh(x), lambda ctx, g: (g * F.rsqrt(_x(ctx) * _x(ctx) + 1),),
       doc="Inverse hyperbolic sine.")
_unary("arccosh", lambda x: math.acosh(x), lambda ctx, g: (g * F.rsqrt(_x(ctx) * _x(ctx) - 1),),
       doc="Inverse hyperbolic cosine.", example="[1.5, 2.0, 3.0]")
_unary("arctanh", lambda x: math.atanh(x), lambda ctx, g: (g / (1 - _x(ctx) * _x(ctx)),),
       doc="Inverse hyperbolic tangent.", example="[-0.5, 0.0, 0.5]")

# ---- activations --------------------------------------------------------------------------------
_unary("relu", lambda x: x if (x > 0 or x != x) else 0, lambda ctx, g: (g * (_y(ctx) > 0),), saves=("outputs",),
       doc="Rectified linear unit, max(x, 0).")
_unary("sigmoid", lambda x: 1.0 / (1.0 + math.exp(-x)),
       lambda ctx, g: (g * _y(ctx) * (1 - _y(ctx)),), saves=("outputs",), doc="Logistic sigmoid 1/(1+e**-x).")
_unary("hard_sigmoid", lambda x, alpha, beta: min(max(alpha * x + beta, 0.0), 1.0),
       lambda ctx, g: (g * ctx.attrs["alpha"] * (_y(ctx) > 0) * (_y(ctx) < 1),), saves=("outputs",),
       attrs=(Attr("alpha", Float(), 0.2, "slope"), Attr("beta", Float(), 0.5, "offset")),
       scalar_attrs=("alpha", "beta"), doc="Hard sigmoid, clip(alpha*x + beta, 0, 1).")
_unary("softsign", lambda x: x / (1.0 + abs(x)), lambda ctx, g: (g / F.square(F.abs(_x(ctx)) + 1),),
       doc="x / (1 + |x|).")


@scalar_helper
def _softrelu(x):
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


_unary("softrelu", _softrelu, lambda ctx, g: (g * F.sigmoid(_x(ctx)),), doc="Softplus, log(1 + e**x).")

# ---- special functions --------------------------------------------------------------------------
_unary("erf", lambda x: math.erf(x), lambda ctx, g: (g * (2 / _SQRT_PI) * F.exp(-F.square(_x(ctx))),),
       doc="Gauss error function.")


@scalar_helper(float64=True)
def _erfinv(y):
    # Giles' single-precision approximation, then two Newton steps for double accuracy.
    if y <= -1.0:
        return -math.inf if y == -1.0 else math.nan
    if y >= 1.0:
        return math.inf if y == 1.0 else math.nan
    w = -math.log((1.0 - y) * (1.0 + y))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        p = 3.43273939e-07 + p * w
        p = -3.5233877e-06 + p * w
        p = -4.39150654e-06 + p * w
        p = 0.00021858087 + p * w
        p = -0.00125372503 + p * w
        p = -0.00417768164 + p * w
        p = 0.246640727 + p * w
        p = 1.50140941 + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        p = 0.000100950558 + p * w
        p = 0.00134934322 + p * w
        p = -0.00367342844 + p * w
        p = 0.00573950773 + p * w
        p = -0.0076224613 + p * w
        p = 0.00943887047 + p * w
        p = 1.00167406 + p * w
        p = 2.83297682 + p * w
    x = p * y
    for _ in range(2):
        x -= (math.erf(x) - y) / (2.0 / math.sqrt(math.pi) * math.exp(-x * x))
    return x


_unary("erfinv", _erfinv, lambda ctx, g: (g * (_SQRT_PI / 2) * F.exp(F.square(_y(ctx))),), saves=("outputs",),
       doc="Inverse error function.", example="[-0.5, 0.0, 0.5]")


@scalar_helper(float64=True)
def _digamma(x):
    r = 0.0
    if x <= 0.0 and math.floor(x) == x:
        return math.nan
    if x < 0.0:  # reflection
        return _digamma_pos(1.0 - x) - math.pi / math.tan(math.pi * x)
    return _digamma_pos(x) + r


@scalar_helper(float64=True)
def _digamma_pos(x):
    r = 0.0
    while x < 6.0:
        r -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    return r + math.log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (
        1.0 / 240 - f * (1.0 / 132)))))


@scalar_helper(float64=True)
def _trigamma(x):
    r = 0.0
    while x < 6.0:
        r += 1.0 / (x * x)
        x += 1.0
    f = 1.0 / (x * x)
    return r + 1.0 / x + f / 2 + f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30))))


_unary("_trigamma", _trigamma, None, saves=(), public=False, example="[0.5, 1.0, 2.0]", nondiff=(0,),
       example_call="F._trigamma",
       doc="Trigamma function (second derivative of gammaln); positive arguments. Not differentiable "
           "itself, so gammaln has derivatives to second order and digamma to first.")
_unary("digamma", _digamma, lambda ctx, g: (g * F._trigamma(_x(ctx)),),
       doc="Digamma function, the derivative of gammaln.", example="[0.5, 1.0, 2.0]")
_unary("gamma", lambda x: math.gamma(x), lambda ctx, g: (g * _y(ctx) * F.digamma(_x(ctx)),),
       saves=("inputs", "outputs"), doc="Gamma function.", example="[0.5, 1.0, 2.0]")
_unary("gammaln", lambda x: math.lgamma(x), lambda ctx, g: (g * F.digamma(_x(ctx)),),
       doc="Log of the absolute gamma function.", example="[0.5, 1.0, 2.0]")

# ---- clip ---------------------------------------------------------------------------------------
_unary("clip", lambda x, lo, hi: lo if x < lo else (hi if x > hi else x),
       lambda ctx, g: (g * (_x(ctx) >= ctx.attrs["a_min"]) * (_x(ctx) <= ctx.attrs["a_max"]),),
       attrs=(Attr("a_min", Float(), doc="lower bound"), Attr("a_max", Float(), doc="upper bound")),
       scalar_attrs=("a_min", "a_max"), doc="Clip values to [a_min, a_max].",
       example_args=", 0, 1")
