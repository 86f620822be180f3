"""Registry ops as plain functions, for grad rules and composites: ``F.exp(x)``, ``F.sum(g, axis=1)``.

The functions are the same generated functions ``nd`` exposes, built lazily on first use; they work on
NDArrays and traced values alike because they only call ``bind``.
"""
from .frontend import make_function
from .registry import get_op

_fns = {}


def __getattr__(name):
    fn = _fns.get(name)
    if fn is None:
        if name.startswith("__"):
            raise AttributeError(name)
        fn = _fns[name] = make_function(get_op(name), fn_name=name if name.isidentifier() else None)
    return fn
