"""``bind(op, args, attrs)``: the single entry point of every op call.

It (1) finds the trace that owns the arguments, (2) promotes Python scalars / NumPy arrays among the
array inputs to arrays of the first array input's dtype and device (legacy nd rule: a scalar takes the
array's dtype), and (3) hands the call to ``trace.apply``. Attribute coercion happens in
``normalize_attrs`` (called by the generated front-end functions) so ``bind`` itself stays cheap.
"""
import difflib
import numpy as np

from ..errors import AttrError
from .opdef import REQUIRED
from .trace_base import _EAGER, _current

__all__ = ["bind", "normalize_attrs"]

_NA = object()   # getattr default: "not an array of any trace"


def bind(op, args, attrs, name=None):
    trace = _current.get()
    owner = None
    needs_promotion = False
    for a in args:
        t = getattr(a, "_trace", _NA)
        if t is _NA:          # not an array of any trace: scalar, NumPy array, list, None
            if a is not None:
                needs_promotion = True
        elif t is not None:  # a traced value: its trace owns the call
            owner = t
    if owner is None:
        owner = trace if trace is not None else _EAGER[0]
    if needs_promotion:
        args = _promote(owner, op, args)
    out = owner.apply(op, args, attrs, name)
    if op.state_outputs:
        _write_states(owner, op, args, out)
    return out


def _write_states(owner, op, args, outs):
    """Ops that update inputs (BatchNorm's running stats): hand (input, new value) to the trace."""
    for oi, i in op.state_positions:
        if i < len(args) and args[i] is not None:
            owner.write_state(args[i], outs[oi])


def _promote(trace, op, args):
    ref = next((a for a in args if getattr(a, "_trace", _NA) is not _NA), None)
    dtype = ref.dtype if ref is not None else np.dtype(np.float32)
    device = ref.device if ref is not None else None
    out = []
    for a in args:
        if a is not None and getattr(a, "_trace", _NA) is _NA:
            a = trace.constant(a, dtype, device)
        out.append(a)
    return tuple(out)


def normalize_attrs(op, given):
    """Fill defaults and coerce every attribute; unknown or missing ones raise ``AttrError``."""
    amap = op.attr_map
    for k in given:
        if k not in amap:
            close = difflib.get_close_matches(k, list(amap), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            valid = ", ".join(amap) or "none"
            raise AttrError(f"operator {op.name} got an unknown attribute {k!r}.{hint} "
                            f"Valid attributes: {valid}.")
    out = {}
    for a in op.attrs:
        if a.name in given:
            v = given[a.name]
            out[a.name] = a.coerce(v, op.name) if v is not None or a.default is not None else None
        elif a.default is REQUIRED:
            raise AttrError(f"operator {op.name} requires the attribute {a.name!r} ({a.kind.name}); "
                            f"pass {a.name}=...")
        else:
            out[a.name] = a.default
    return out
