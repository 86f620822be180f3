"""Graph passes: each one a pure ``run(graph) -> graph`` in its own module (the input graph is never
modified; unchanged ``Value``/``Node`` objects are shared). ``optimize`` applies ``PIPELINE`` in order.

* ``HYBRIDNET_DISABLE_PASSES=fold_constants,plan_memory`` switches passes off by name (read at every
  ``optimize`` call), for bisecting a wrong result down to a pass.
* ``HYBRIDNET_DEBUG_GRAPH=1`` runs ``graph.verify(pass_name)`` after every pass (the graph tests set it).
* ``fuse_elementwise`` runs when its module exists and is skipped otherwise.
"""
import importlib
import os

__all__ = ["PIPELINE", "optimize", "get_pass", "disabled_passes"]

PIPELINE = ["infer_shapes", "eliminate_dead_code", "eliminate_common_subexpr", "fold_constants",
            "fuse_elementwise", "eliminate_dead_code", "plan_memory"]

_loaded = {}


def get_pass(name):
    """The ``run`` function of pass ``name``, or None when its module does not exist."""
    if name not in _loaded:
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            mod = None
        _loaded[name] = None if mod is None else mod.run
    return _loaded[name]


def disabled_passes():
    return {p.strip() for p in os.environ.get("HYBRIDNET_DISABLE_PASSES", "").split(",") if p.strip()}


def optimize(graph, passes=None):
    """Run the pass pipeline (``passes`` overrides ``PIPELINE``) and return the new graph."""
    off = disabled_passes()
    debug = os.environ.get("HYBRIDNET_DEBUG_GRAPH") == "1"
    unknown = off - set(PIPELINE)
    if unknown:
        from ...errors import HybridNetError
        raise HybridNetError(f"HYBRIDNET_DISABLE_PASSES names unknown passes {sorted(unknown)}; "
                             f"the passes are {sorted(set(PIPELINE))}")
    for name in (PIPELINE if passes is None else passes):
        if name in off:
            continue
        fn = get_pass(name)
        if fn is None:
            continue
        graph = fn(graph)
        if debug:
            graph.verify(name)
    return graph
