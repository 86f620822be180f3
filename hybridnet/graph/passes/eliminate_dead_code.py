"""``eliminate_dead_code``: backward liveness from the graph outputs. A node survives if one of its
outputs is live or its op has ``effects`` (a random draw advances the generator even when unused, as
eagerly). Unused constants are dropped; graph inputs always stay (they are the call signature)."""
from ._rewrite import copy_graph

__all__ = ["run"]


def run(graph, options=None):
    live = set(graph.outputs)
    kept = []
    for n in reversed(graph.nodes):
        if n.op.effects or any(o in live for o in n.outputs):
            kept.append(n)
            live.update(v for v in n.inputs if v is not None)
    g = copy_graph(graph)
    g.nodes = kept[::-1]
    g.constants = {v: a for v, a in graph.constants.items() if v in live}
    return g
