"""Shape ops: reshape (MXNet codes 0/-1/-2/-3/-4), broadcasting, transposes, slicing, joining."""
import numpy as np

from . import api as F
from ..errors import ShapeError
from .check import op_error
from .opdef import Attr, Bool, Pattern, Shape
from .registry import defop
from .spec import TensorSpec

__all__ = ["reshape_shape"]


def reshape_shape(op, x, shape, reverse=False):
    """MXNet's reshape codes: 0 copy a dim, -1 infer, -2 copy the rest, -3 merge two, -4 split one."""
    src = list(x.shape)
    tgt = list(shape)
    if reverse:
        src, tgt = src[::-1], tgt[::-1]
        # -4 takes two following numbers; reversing must keep them in order after the code
        out = _reshape_codes(op, x, src, tgt, reverse=True)
        return tuple(out[::-1])
    return tuple(_reshape_codes(op, x, src, tgt))


def _reshape_codes(op, x, src, tgt, reverse=False):
    out, i, j, infer_at = [], 0, 0, -1

    def bad(msg):
        return op_error(op, (x,), ShapeError, f"cannot reshape {tuple(x.shape)} to {tuple(tgt)}: {msg}",
                        "check the target size; codes: 0 copy, -1 infer, -2 copy rest, -3 merge, -4 split")
    while j < len(tgt):
        c = tgt[j]
        if c > 0:
            out.append(c); i += 1
        elif c == 0:
            if i >= len(src):
                raise bad("code 0 has no input dim to copy")
            out.append(src[i]); i += 1
        elif c == -1:
            if infer_at >= 0:
                raise bad("more than one -1")
            infer_at = len(out); out.append(1); i += 1
        elif c == -2:
            out.extend(src[i:]); i = len(src)
        elif c == -3:
            if i + 1 >= len(src):
                raise bad("code -3 needs two input dims")
            out.append(src[i] * src[i + 1]); i += 2
        elif c == -4:
            if j + 2 >= len(tgt) + (0 if not reverse else 0) or i >= len(src):
                raise bad("code -4 needs two following numbers and an input dim")
            d1, d2 = (tgt[j + 1], tgt[j + 2]) if not reverse else (tgt[j + 2], tgt[j + 1])
            d = src[i]
            if d1 == -1:
                d1 = d // d2 if d2 else 0
            if d2 == -1:
                d2 = d // d1 if d1 else 0
            if d1 * d2 != d:
                raise bad(f"code -4 splits {d} into {d1}x{d2}")
            out.extend([d1, d2] if not reverse else [d2, d1]); i += 1; j += 2
        else:
            raise bad(f"invalid code {c}")
        j += 1
    total = int(np.prod(x.shape, dtype=np.int64))
    if infer_at >= 0:
        rest = int(np.prod(out, dtype=np.int64))
        if rest == 0 or total % rest:
            raise bad("the -1 dim cannot be inferred")
        out[infer_at] = total // rest
    if int(np.prod(out, dtype=np.int64)) != total:
        raise bad(f"sizes differ ({total} vs {int(np.prod(out, dtype=np.int64))})")
    return out


def _reshape_infer(x, shape=(), reverse=False):
    return TensorSpec(reshape_shape(_reshape, x, shape, reverse), x.dtype, x.device)


_reshape = defop(
    "Reshape", ("data",), _reshape_infer, Pattern.INJECTIVE, aliases=("reshape",),
    attrs=(Attr("shape", Shape(), (), "target shape with MXNet codes 0/-1/-2/-3/-4"),
           Attr("reverse", Bool(), False, "apply the codes right to left")),
    grad=lambda ctx, g: (F.Reshape(g, shape=ctx.in_specs[0].shape),), inplace=((0, 0),),
    doc="Reshape with MXNet's special codes.\n\n>>> nd.ones((2, 3, 4)).reshape((0, -1)).shape\n(2, 12)")


def _broadcast_to_infer(x, shape=()):
    tgt = tuple(d if d != 0 else x.shape[i] for i, d in enumerate(shape)) if len(shape) == len(x.shape) else shape
    try:
        out = np.broadcast_shapes(tuple(x.shape), tuple(tgt))
    except ValueError:
        out = None
    if out is None or tuple(out) != tuple(tgt):
        raise op_error(_broadcast_to, (x,), ShapeError, f"cannot broadcast {tuple(x.shape)} to {tuple(shape)}",
                       "each input dim must equal the target dim or be 1")
    return TensorSpec(tgt, x.dtype, x.device)


_broadcast_to = defop(
    "broadcast_to", ("data",), _broadcast_to_infer, Pattern.BROADCAST,
    attrs=(Attr("shape", Shape(), (), "target shape; 0 keeps the input dim"),),
    grad=lambda ctx, g: (g,),  # the tape sums g back to the input's shape
    doc="Broadcast to a shape.\n\n>>> nd.broadcast_to(nd.ones((1, 3)), shape=(2, 3)).shape\n(2, 3)")
