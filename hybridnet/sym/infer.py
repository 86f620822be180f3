"""Shape and dtype inference over a Symbol graph (``Symbol.infer_shape`` / ``infer_type``).

Forward: each op node whose input shapes are known runs its op's ``infer`` rule. Backward (MXNet fills
argument shapes from their consumers): an op with ``OpDef.infer_params`` fills its unknown parameter
variables (FullyConnected's weight/bias from the data shape), and a non-broadcasting elementwise op
(``elemwise_add`` ...) gives unknown variable inputs the shape of a known one. Passes repeat until
nothing changes. Dtypes: given, else ``__dtype__``, else the dtype of a known input of the consumer
(MXNet's same-type rule), else float32 for shape inference.
"""
import warnings

import numpy as np

from .. import dtypes
from ..device import cpu
from ..errors import HybridNetError, ShapeError
from ..ops.opdef import Pattern
from .symbol import VARIABLE, parse_shape, var_dtype

__all__ = ["infer_shape", "infer_type", "infer_graph"]


class _Spec:
    __slots__ = ("shape", "dtype", "device")

    def __init__(self, shape, dtype, device):
        self.shape, self.dtype, self.device = shape, dtype, device


def _known(shape):
    """A shape with a 0 dim is MXNet's "unknown dimension" (Gluon's deferred shapes)."""
    return shape is not None and all(d > 0 for d in shape)


def _given(sym, args, kwargs, what):
    """Map positional (list_arguments order) and keyword inputs to {variable name: value}."""
    names = sym.list_arguments()
    out = {}
    if args:
        if len(args) > len(names):
            raise ShapeError(f"infer_{what}: got {len(args)} positional {what}s but the symbol has only "
                             f"{len(names)} arguments {names}")
        out.update({n: a for n, a in zip(names, args) if a is not None})
    inputs = set(sym.list_inputs())
    for k, v in kwargs.items():
        if k not in inputs:
            raise ShapeError(f"infer_{what}: {k!r} is not an input of the symbol; its inputs are "
                             f"{sym.list_inputs()}")
        if v is not None:
            out[k] = v
    return out


def _node_error(n, k, e, shapes):
    ins = ", ".join(f"{v.producer.name if v.producer.op is VARIABLE else v.producer.name + '_output'}"
                    f"={shapes.get(v)}" for v in n.inputs if v is not None)
    return ShapeError(f"Error in operator {n.name} ({n.op.name}, node {k}) during shape inference, inputs "
                      f"[{ins}]: {e}")


def infer_graph(sym, shape_given, type_given, device=None, strict_types=False):
    """Run inference; returns (shapes, dtypes): dicts Value -> shape/dtype (None when unknown)."""
    device = device if device is not None else cpu()
    nodes = sym._nodes()
    shapes, types = {}, {}
    for n in nodes:
        if n.op is VARIABLE:
            v = n.outputs[0]
            s = shape_given.get(n.name)
            if s is None and "__shape__" in n.sattrs:
                s = parse_shape(n.sattrs["__shape__"])
            s = tuple(int(d) for d in s) if s is not None else None
            shapes[v] = s if s is not None and _known(s) else None
            t = type_given.get(n.name)
            types[v] = dtypes.normalize(t) if t is not None else var_dtype(n)
    ops = [(k, n) for k, n in enumerate(nodes) if n.op is not VARIABLE]
    # ---- dtypes (no shapes needed for the common "same as the inputs" rule) ----
    changed = True
    while changed:
        changed = False
        for k, n in ops:
            ins = [v for v in n.inputs if v is not None]
            known = [types[v] for v in ins if types.get(v) is not None]
            if known and n.op.dtype_check == "same":
                for v in ins:
                    if types.get(v) is None and v.producer.op is VARIABLE:
                        types[v] = known[0]
                        changed = True
            if all(types.get(o) is not None for o in n.outputs) or len(known) < len(ins):
                continue
            dt = n.attrs.get("dtype")
            out_dt = None
            if all(shapes.get(v) is not None for v in ins):
                continue   # the shape pass below sets exact dtypes
            if isinstance(dt, np.dtype):
                out_dt = dt
            elif known:
                out_dt = known[0]
            if out_dt is not None:
                for o in n.outputs:
                    if types.get(o) is None:
                        types[o] = out_dt
                        changed = True
    # ---- shapes (and exact dtypes) ----
    changed = True
    while changed:
        changed = False
        for k, n in ops:
            if all(shapes.get(o) is not None for o in n.outputs):
                continue
            in_shapes = [None if v is None else shapes.get(v) for v in n.inputs]
            if any(v is not None and s is None for v, s in zip(n.inputs, in_shapes)):
                fill = {}
                if n.op.infer_params is not None:
                    got = n.op.infer_params(tuple(in_shapes), **n.attrs)
                    names = [i.rstrip("?") for i in n.op.inputs]
                    fill = {names.index(nm): tuple(s) for nm, s in got.items() if nm in names}
                elif n.op.pattern is Pattern.ELEMWISE and len(n.inputs) > 1:
                    ref = next((s for s in in_shapes if s is not None), None)
                    if ref is not None:
                        fill = {i: ref for i in range(len(n.inputs))}
                for i, s in fill.items():
                    v = n.inputs[i] if i < len(n.inputs) else None
                    if v is not None and shapes.get(v) is None and v.producer.op is VARIABLE:
                        shapes[v] = s
                        changed = True
                in_shapes = [None if v is None else shapes.get(v) for v in n.inputs]
                if any(v is not None and s is None for v, s in zip(n.inputs, in_shapes)):
                    continue
            ins = []
            for v, s in zip(n.inputs, in_shapes):
                if v is None:
                    ins.append(None)
                    continue
                t = types.get(v)
                if t is None:
                    if strict_types:
                        break
                    t = dtypes.DEFAULT
                ins.append(_Spec(s, t, device))
            else:
                try:
                    specs = n.op.infer(*ins, **n.attrs)
                except HybridNetError as e:
                    raise _node_error(n, k, e, shapes) from None
                specs = specs if isinstance(specs, (tuple, list)) else (specs,)
                for o, sp in zip(n.outputs, specs):
                    shapes[o] = tuple(sp.shape)
                    if types.get(o) is None or all(types.get(v) is not None for v in n.inputs if v is not None):
                        types[o] = np.dtype(sp.dtype)
                changed = True
    return shapes, types


def _fmt(s):
    return "()" if s is None else str(tuple(s))


def infer_shape(sym, args, kwargs, partial=False):
    given = _given(sym, args, kwargs, "shape")
    for k, v in given.items():
        if not isinstance(v, (tuple, list)):
            raise ShapeError(f"infer_shape: the shape of {k!r} must be a tuple of ints, got {v!r}")
    shapes, _ = infer_graph(sym, given, {})
    nodes = sym._nodes()
    by_name = {n.name: n.outputs[0] for n in nodes if n.op is VARIABLE}
    arg_names, aux_names = sym.list_arguments(), sym.list_auxiliary_states()
    arg = [shapes.get(by_name[a]) for a in arg_names]
    out = [shapes.get(v) for v in sym._outputs]
    aux = [shapes.get(by_name[a]) for a in aux_names]
    if partial:
        return ([s if s is not None else () for s in arg], [s if s is not None else () for s in out],
                [s if s is not None else () for s in aux])
    if any(s is None for s in arg + out + aux):
        unknown = [(a, s) for a, s in zip(arg_names + aux_names, arg + aux) if s is None]
        warnings.warn("Cannot decide shape for the following arguments (0s in shape means unknown dimensions). "
                      "Consider providing them as input:\n" +
                      "\n".join(f"\t{a}: {_fmt(s)}" for a, s in unknown), stacklevel=3)
        return None, None, None
    return arg, out, aux


def infer_type(sym, args, kwargs, partial=False):
    given = _given(sym, args, kwargs, "type")
    given = {k: dtypes.normalize(v) for k, v in given.items()}
    _, types = infer_graph(sym, {}, given, strict_types=True)
    by_name = {n.name: n.outputs[0] for n in sym._nodes() if n.op is VARIABLE}
    arg_names, aux_names = sym.list_arguments(), sym.list_auxiliary_states()
    arg = [types.get(by_name[a]) for a in arg_names]
    out = [types.get(v) for v in sym._outputs]
    aux = [types.get(by_name[a]) for a in aux_names]

    def sc(t):
        return None if t is None else t.type
    if any(t is None for t in arg + out + aux) and not partial:
        unknown = [a for a, t in zip(arg_names + aux_names, arg + aux) if t is None]
        warnings.warn("Cannot decide type for the following arguments. Consider providing them as input:\n"
                      + "\n".join(f"\t{a}: None" for a in unknown), stacklevel=3)
        return None, None, None
    return [sc(t) for t in arg], [sc(t) for t in out], [sc(t) for t in aux]

