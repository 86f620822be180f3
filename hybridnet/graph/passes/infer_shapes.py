"""``infer_shapes``: re-run every node's ``op.infer`` in order; fill output specs that are missing
(hand-built or loaded graphs) and reject specs that disagree with the op's rule (a corrupted graph)
with a ``GraphError`` that prints the graph. A pure function: the input graph is not modified.
"""
from ...errors import HybridNetError
from ..ir import GraphError, _SpecView, _short
from ._rewrite import Rewriter

__all__ = ["run"]


def _fail(graph, k, node, msg):
    raise GraphError(f"infer_shapes: node {k} ({node.op.name}) {msg} (this is a hybridnet bug or a "
                     f"malformed hand-built graph):\n{graph}")


def run(graph, options=None):
    rw = Rewriter(graph)
    for k, n in enumerate(graph.nodes):
        ins = rw.inputs_of(n)
        try:
            specs = n.op.infer(*[None if v is None else _SpecView(v.spec) for v in ins], **n.attrs)
        except HybridNetError as e:
            _fail(graph, k, n, f"fails shape inference: {e}")
        specs = tuple(specs) if isinstance(specs, (tuple, list)) else (specs,)
        if len(specs) != len(n.outputs):
            _fail(graph, k, n, f"has {len(n.outputs)} outputs but infer gives {len(specs)}")
        refresh = False
        for o, s in zip(n.outputs, specs):
            if o.spec is None or o.spec.shape is None or o.spec.dtype is None:
                refresh = True
            elif tuple(o.spec.shape) != tuple(s.shape) or o.spec.dtype != s.dtype:
                _fail(graph, k, n, f"output {o!r} disagrees with infer ({_short(s)})")
        if refresh:
            rw.keep(n, out_specs=[s if o.spec is None or o.spec.shape is None or o.spec.dtype is None
                                  else o.spec for o, s in zip(n.outputs, specs)])
        else:
            rw.keep(n)
    return rw.finish()
