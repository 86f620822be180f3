"""``eliminate_common_subexpr``: nodes with the same op, equal attributes and the same (already
merged) inputs compute the same values; later ones are replaced by the first. ``effects`` ops (random
draws) are never merged. Attributes are normalised Python values (ints, floats, tuples, lists, dtypes,
devices, ...); ``_freeze`` turns them into a hashable key that keeps the type (``1``, ``1.0`` and
``True`` are different attribute values) and falls back to object identity for anything unhashable."""
import numpy as np

from ._rewrite import Rewriter

__all__ = ["run"]


def _freeze(v):
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, tuple(_freeze(x) for x in v))
    if isinstance(v, dict):
        return ("dict", tuple(sorted((str(k), _freeze(x)) for k, x in v.items())))
    if isinstance(v, np.dtype):
        return ("dtype", v.str)
    if isinstance(v, type) and issubclass(v, np.generic):
        return ("dtype", np.dtype(v).str)
    if isinstance(v, np.ndarray):
        return ("ndarray", v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, float) and v != v:
        return ("nan", id(v))       # NaN != NaN: never merge on it (conservative)
    try:
        hash(v)
    except TypeError:
        return ("id", id(v))
    return (type(v).__name__, v)


def attrs_key(attrs):
    return tuple(sorted((k, _freeze(v)) for k, v in attrs.items()))


def run(graph, options=None):
    rw = Rewriter(graph)
    seen = {}
    for n in graph.nodes:
        if n.op.effects:
            rw.keep(n)
            continue
        ins = rw.inputs_of(n)
        key = (n.op, attrs_key(n.attrs), ins)
        first = seen.get(key)
        if first is not None and len(first.outputs) == len(n.outputs):
            for o, f in zip(n.outputs, first.outputs):
                rw.replace(o, f)
            continue
        seen[key] = rw.keep(n)
    return rw.finish()
