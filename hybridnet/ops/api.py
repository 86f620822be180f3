"""Registry ops as plain functions, for grad rules and composites: ``F.exp(x)``, ``F.sum(g, axis=1)``.

The functions are the same generated functions ``nd`` exposes, built lazily on first use; they work on
NDArrays and traced values alike because they only call ``bind``.
"""
from ..errors import HybridNetError
from .frontend import make_function
from .registry import get_op

_fns = {}


def __getattr__(name):
    fn = _fns.get(name)
    if fn is None:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            op = get_op(name)
        except HybridNetError as e:
            # a module attribute lookup must fail with AttributeError: hasattr()/getattr(m, n, None)
            # and tools that walk sys.modules (torch.compile's dynamo, inspect, IPython) rely on it
            raise AttributeError(f"module 'hybridnet.ops.api' has no attribute {name!r}: {e}") from None
        fn = _fns[name] = make_function(op, fn_name=name if name.isidentifier() else None)
    return fn
