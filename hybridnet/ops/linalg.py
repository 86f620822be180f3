"""Matrix products: ``dot``, ``batch_dot`` and ``FullyConnected`` (MXNet's shapes and errors).

MXNet's ``dot`` on N-D arrays is a 2-D product in disguise: the lhs is viewed as ``(prod(shape[:-1]),
shape[-1])`` (or, with ``transpose_a``, as ``(shape[0], prod(shape[1:]))`` transposed), the rhs as
``(shape[0], prod(shape[1:]))`` (or, with ``transpose_b``, ``(prod(shape[:-1]), shape[-1])`` transposed).
So ``dot((a, b, k), (k, c, d))`` contracts the lhs's last axis with the rhs's FIRST axis and gives
``(a, b, c, d)``; 1-D x 1-D gives shape ``(1,)``. Gradients are written with ``dot`` / ``batch_dot`` and
``Reshape`` (so they are differentiable again).
"""
import numpy as np

from . import api as F
from ..errors import DTypeError, ShapeError
from .check import op_error
from .infer import dtype_same
from .opdef import REQUIRED, Attr, Bool, Int, Pattern, Str
from .registry import defop
from .spec import TensorSpec

__all__ = ["dot_dims", "fc_dims", "fc_param_shapes"]

_FLOATS = ("float16", "float32", "float64")


def _shape_str(s):
    return "[" + ",".join(str(d) for d in s) + "]"


def _prod(dims):
    return int(np.prod(dims, dtype=np.int64))


def _float_only(op, specs, dt):
    if np.dtype(dt).name not in _FLOATS:
        raise op_error(op, specs, DTypeError, f"{op.name} only supports float16/float32/float64, got {dt}",
                       "cast the inputs with .astype('float32')")


# ---- dot ----------------------------------------------------------------------------------------

def dot_dims(lshape, rshape, transpose_a, transpose_b):
    """The 2-D view MXNet's dot uses: ``(lhs2d, rhs2d, out_shape)`` with ``lhs2d`` / ``rhs2d`` the
    shapes the inputs are reshaped to *before* the optional transposes (``None`` for 1-D x 1-D)."""
    if len(lshape) == 1 and len(rshape) == 1:
        return None, None, (1,)
    if transpose_a:
        lhs2d = (lshape[0], _prod(lshape[1:]))
        lfree = tuple(lshape[1:])
    else:
        lhs2d = (_prod(lshape[:-1]), lshape[-1])
        lfree = tuple(lshape[:-1])
    if transpose_b:
        rhs2d = (_prod(rshape[:-1]), rshape[-1])
        rfree = tuple(rshape[:-1])
    else:
        rhs2d = (rshape[0], _prod(rshape[1:]))
        rfree = tuple(rshape[1:])
    out = (lfree if len(lshape) > 1 else ()) + (rfree if len(rshape) > 1 else ())
    return lhs2d, rhs2d, out


def _dot_infer(lhs, rhs, transpose_a=False, transpose_b=False, forward_stype=None):
    op = _dot
    dt = dtype_same(op, (lhs, rhs))
    _float_only(op, (lhs, rhs), dt)
    ls, rs = tuple(lhs.shape), tuple(rhs.shape)
    if not ls or not rs:
        raise op_error(op, (lhs, rhs), ShapeError, f"dot needs arrays of rank >= 1, got {_shape_str(ls)} X "
                       f"{_shape_str(rs)}", "reshape a 0-d array to (1,) first")
    if len(ls) == 1 and len(rs) == 1:
        if transpose_a or transpose_b:
            raise op_error(op, (lhs, rhs), ShapeError, "Cannot transpose vectors",
                           "pass transpose_a=False, transpose_b=False for two 1-D inputs")
        if ls[0] != rs[0]:
            raise op_error(op, (lhs, rhs), ShapeError, f"dot shape error: {_shape_str(ls)} X {_shape_str(rs)}",
                           "both vectors need the same length")
        return TensorSpec((1,), dt, lhs.device)
    lhs2d, rhs2d, out = dot_dims(ls, rs, transpose_a, transpose_b)
    k_l = lhs2d[0] if transpose_a else lhs2d[1]
    k_r = rhs2d[1] if transpose_b else rhs2d[0]
    if k_l != k_r:
        which_l = "first" if transpose_a else "last"
        which_r = "last" if transpose_b else "first"
        raise op_error(op, (lhs, rhs), ShapeError,
                       f"dot shape error: {_shape_str(ls)} X {_shape_str(rs)} (transpose_a={transpose_a}, "
                       f"transpose_b={transpose_b}: the lhs's {which_l} axis ({k_l}) must equal the rhs's "
                       f"{which_r} axis ({k_r}))",
                       "dot contracts the lhs's last axis with the rhs's FIRST axis; transpose an input "
                       "(transpose_a / transpose_b) or use batch_dot for batched products")
    return TensorSpec(out, dt, lhs.device)


def _as2d(x, shape):
    return x if tuple(x.shape) == tuple(shape) else F.Reshape(x, shape=shape)


def _dot_grad(ctx, g):
    a, b = ctx.inputs
    ta, tb = ctx.attrs["transpose_a"], ctx.attrs["transpose_b"]
    ash, bsh = ctx.in_specs[0].shape, ctx.in_specs[1].shape
    if len(ash) == 1 and len(bsh) == 1:       # out = (1,): g broadcasts over the vector
        return g * b, g * a
    lhs2d, rhs2d, _ = dot_dims(ash, bsh, ta, tb)
    m = lhs2d[1] if ta else lhs2d[0]
    n = rhs2d[0] if tb else rhs2d[1]
    g2, a2, b2 = _as2d(g, (m, n)), _as2d(a, lhs2d), _as2d(b, rhs2d)
    if ta and tb:     # z = a'b'  ->  da = b'g', db = g'a'
        da = F.dot(b2, g2, transpose_a=True, transpose_b=True)
        db = F.dot(g2, a2, transpose_a=True, transpose_b=True)
    elif ta:          # z = a'b   ->  da = b g', db = a g
        da = F.dot(b2, g2, transpose_b=True)
        db = F.dot(a2, g2)
    elif tb:          # z = a b'  ->  da = g b, db = g'a
        da = F.dot(g2, b2)
        db = F.dot(g2, a2, transpose_a=True)
    else:             # z = a b   ->  da = g b', db = a'g
        da = F.dot(g2, b2, transpose_b=True)
        db = F.dot(a2, g2, transpose_a=True)
    return _as2d(da, ash), _as2d(db, bsh)


_DOT_ATTRS = (Attr("transpose_a", Bool(), False, "transpose the lhs (its first axis is contracted)"),
              Attr("transpose_b", Bool(), False, "transpose the rhs (its last axis is contracted)"))

_dot = defop(
    "dot", ("lhs", "rhs"), _dot_infer, Pattern.OUT_FUSABLE,
    attrs=_DOT_ATTRS + (Attr("forward_stype", Str(), None, "storage type of the output (ignored: dense only)"),),
    grad=_dot_grad, saves=("inputs",),
    doc="Dot product of two arrays with MXNet's N-D rule: the lhs's last axis (first with transpose_a) "
        "is contracted with the rhs's first axis (last with transpose_b); 1-D x 1-D gives shape (1,).\n\n"
        ">>> nd.dot(nd.ones((2, 3)), nd.ones((3, 4))).shape\n(2, 4)\n"
        ">>> nd.dot(nd.ones((2, 3, 4)), nd.ones((4, 5, 6))).shape\n(2, 3, 5, 6)")


# ---- batch_dot ----------------------------------------------------------------------------------

def _batch_dot_infer(lhs, rhs, transpose_a=False, transpose_b=False, forward_stype=None):
    op = _batch_dot
    dt = dtype_same(op, (lhs, rhs))
    _float_only(op, (lhs, rhs), dt)
    ls, rs = tuple(lhs.shape), tuple(rhs.shape)
    tail = f" transpose_a={transpose_a} transpose_b={transpose_b}"
    if len(ls) < 3 or len(ls) != len(rs):
        raise op_error(op, (lhs, rhs), ShapeError,
                       f"batch_dot needs two arrays of the same rank N >= 3, got {_shape_str(ls)} X {_shape_str(rs)}",
                       "use dot for 2-D matrices, or add a batch axis with expand_dims(axis=0)")
    if ls[:-2] != rs[:-2]:
        raise op_error(op, (lhs, rhs), ShapeError,
                       f"batch_dot shape error (the leading batch dimensions must be equal): "
                       f"{_shape_str(ls)} X {_shape_str(rs)}{tail}",
                       "make the batch dimensions equal (batch_dot does not broadcast them)")
    m, kl = (ls[-1], ls[-2]) if transpose_a else (ls[-2], ls[-1])
    n, kr = (rs[-2], rs[-1]) if transpose_b else (rs[-1], rs[-2])
    if kl != kr:
        raise op_error(op, (lhs, rhs), ShapeError,
                       f"batch_dot shape error (shape mismatch): {_shape_str(ls)} X {_shape_str(rs)}{tail} "
                       f"(contracted dims {kl} vs {kr})",
                       "the lhs's last axis (second-to-last with transpose_a) must equal the rhs's "
                       "second-to-last axis (last with transpose_b)")
    return TensorSpec(ls[:-2] + (m, n), dt, lhs.device)


def _batch_dot_grad(ctx, g):
    a, b = ctx.inputs
    ta, tb = ctx.attrs["transpose_a"], ctx.attrs["transpose_b"]
    bd = F.batch_dot
    if ta and tb:
        return bd(b, g, transpose_a=True, transpose_b=True), bd(g, a, transpose_a=True, transpose_b=True)
    if ta:
        return bd(b, g, transpose_b=True), bd(a, g)
    if tb:
        return bd(g, b), bd(g, a, transpose_a=True)
    return bd(g, b, transpose_b=True), bd(a, g, transpose_a=True)


_batch_dot = defop(
    "batch_dot", ("lhs", "rhs"), _batch_dot_infer, Pattern.OUT_FUSABLE,
    attrs=_DOT_ATTRS + (Attr("forward_stype", Str(), None, "storage type of the output (ignored: dense only)"),),
    grad=_batch_dot_grad, saves=("inputs",),
    doc="Batched matrix product of two (..., M, K) x (..., K, N) arrays with equal leading batch "
        "dimensions (MXNet 1.9 accepts rank N >= 3); transpose_a / transpose_b transpose the last two axes.\n\n"
        ">>> nd.batch_dot(nd.ones((5, 2, 3)), nd.ones((5, 3, 4))).shape\n(5, 2, 4)")


# ---- FullyConnected -----------------------------------------------------------------------------

def fc_dims(data_shape, num_hidden, flatten):
    """``(rows, in_units, out_shape)`` of FullyConnected for an input shape."""
    ds = tuple(data_shape)
    if flatten:
        rows, in_units = ds[0], _prod(ds[1:])
        out = (ds[0], num_hidden)
    else:
        rows, in_units = _prod(ds[:-1]), ds[-1]
        out = ds[:-1] + (num_hidden,)
    return rows, in_units, out


def fc_param_shapes(data_shape, num_hidden, no_bias=False, flatten=True):
    """The parameter shapes FullyConnected determines from its data (deferred initialisation):
    ``{"weight": (num_hidden, in_units), "bias": (num_hidden,)}`` (no bias entry when ``no_bias``)."""
    _, in_units, _ = fc_dims(data_shape, num_hidden, flatten)
    out = {"weight": (num_hidden, in_units)}
    if not no_bias:
        out["bias"] = (num_hidden,)
    return out


def _fc_infer_params(in_shapes, num_hidden=REQUIRED, no_bias=False, flatten=True):
    """``OpDef.infer_params``: weight/bias shapes from a known data shape."""
    if in_shapes[0] is None or len(in_shapes[0]) == 0:
        return {}
    return fc_param_shapes(in_shapes[0], num_hidden, no_bias, flatten)


def _fc_infer(data, weight, bias=None, num_hidden=REQUIRED, no_bias=False, flatten=True):
    op = _fc
    specs = (data, weight, bias)
    if no_bias and bias is not None:
        raise op_error(op, specs, ShapeError, "no_bias=True but a bias was given: FullyConnected expects 2 "
                       "inputs, but got 3", "drop the bias argument or pass no_bias=False")
    if not no_bias and bias is None:
        raise op_error(op, specs, ShapeError, "FullyConnected expects 3 inputs (data, weight, bias), but got 2",
                       "pass a bias of shape (num_hidden,) or no_bias=True")
    dt = dtype_same(op, specs)
    _float_only(op, specs, dt)
    if num_hidden < 1:
        raise op_error(op, specs, ShapeError, f"num_hidden={num_hidden} must be >= 1", "pass num_hidden >= 1")
    ds = tuple(data.shape)
    if not ds:
        raise op_error(op, specs, ShapeError, "data must have rank >= 1, got a 0-d array",
                       "reshape the data to (batch, features)")
    _, in_units, out = fc_dims(ds, num_hidden, flatten)
    want = (num_hidden, in_units)
    if tuple(weight.shape) != want:
        raise op_error(op, specs, ShapeError,
                       f"Shape inconsistent, Provided = {_shape_str(weight.shape)}, "
                       f"inferred shape=({want[0]},{want[1]}) "
                       f"(weight must be (num_hidden, in_units) with in_units="
                       f"{'prod(data.shape[1:])' if flatten else 'data.shape[-1]'}={in_units}, flatten={flatten})",
                       "give the weight shape (num_hidden, in_units), or set flatten=False to apply the layer "
                       "to the last axis only")
    if bias is not None and tuple(bias.shape) not in ((num_hidden,), (num_hidden, 1)):
        raise op_error(op, specs, ShapeError, f"Unexpected shape for bias {_shape_str(bias.shape)} "
                       f"(expected ({num_hidden},))", "give the bias shape (num_hidden,)")
    return TensorSpec(out, dt, data.device)


def _fc_grad(ctx, g):
    x, w = ctx.inputs[0], ctx.inputs[1]
    a = ctx.attrs
    nh = a["num_hidden"]
    xs = ctx.in_specs[0].shape
    rows, in_units, _ = fc_dims(xs, nh, a["flatten"])
    g2 = _as2d(g, (rows, nh))
    x2 = _as2d(x, (rows, in_units))
    dx = _as2d(F.dot(g2, w), xs)
    dw = F.dot(g2, x2, transpose_a=True)
    if a["no_bias"]:
        return dx, dw
    db = F.sum(g2, axis=0)
    bs = ctx.in_specs[2].shape
    return dx, dw, _as2d(db, bs)


_fc = defop(
    "FullyConnected", ("data", "weight", "bias?"), _fc_infer, Pattern.OUT_FUSABLE,
    attrs=(Attr("num_hidden", Int(), REQUIRED, "number of output units"),
           Attr("no_bias", Bool(), False, "no bias input"),
           Attr("flatten", Bool(), True, "flatten the data to (batch, -1) first; False applies the layer "
                                         "to the last axis")),
    grad=_fc_grad, saves=("inputs",), infer_params=_fc_infer_params,
    doc="Linear layer y = x W^T + b. With flatten=True the data is viewed as (batch, prod(rest)); with "
        "flatten=False the layer is applied to the last axis and the leading axes are kept.\n\n"
        ">>> nd.FullyConnected(nd.ones((2, 3, 4)), nd.ones((5, 12)), nd.zeros((5,)), num_hidden=5).shape\n"
        "(2, 5)")
