"""Shared machinery for passes: copy a graph node by node without mutating the original.

A pass walks ``graph.nodes`` in order and, per node, either ``keep``s it (the same ``Node`` object when
none of its inputs were remapped, else a rebuilt one with fresh output ``Value``s), ``drop``s it, or
``replace``s its outputs by other values. ``finish()`` returns the new ``Graph``.
"""
from ..ir import Graph, Node

__all__ = ["Rewriter", "copy_graph", "nbytes"]


def nbytes(spec):
    n = spec.dtype.itemsize if hasattr(spec.dtype, "itemsize") else 0
    for d in spec.shape:
        n *= int(d)
    return n


def copy_graph(graph):
    """A shallow copy: same Values and Nodes, new lists (so the copy can be edited)."""
    g = Graph()
    g.inputs = list(graph.inputs)
    g.constants = dict(graph.constants)
    g.nodes = list(graph.nodes)
    g.outputs = list(graph.outputs)
    return g


class Rewriter:
    def __init__(self, graph):
        self.src = graph
        self.graph = Graph()
        self.graph.inputs = list(graph.inputs)
        self.graph.constants = dict(graph.constants)
        self.env = {}          # old Value -> new Value

    def map(self, v):
        return None if v is None else self.env.get(v, v)

    def inputs_of(self, node):
        return tuple(self.map(v) for v in node.inputs)

    def keep(self, node, out_specs=None):
        """Append ``node`` (rebuilt if its inputs were remapped or ``out_specs`` are given)."""
        ins = self.inputs_of(node)
        if out_specs is None and all(a is b for a, b in zip(ins, node.inputs)):
            self.graph.nodes.append(node)
            return node
        specs = out_specs if out_specs is not None else [o.spec for o in node.outputs]
        new = Node(node.op, ins, node.attrs, specs, node.name)
        for o, n in zip(node.outputs, new.outputs):
            n.name = o.name
            self.env[o] = n
        self.graph.nodes.append(new)
        return new

    def replace(self, old, new):
        self.env[old] = new

    def finish(self):
        self.graph.outputs = [self.map(v) for v in self.src.outputs]
        return self.graph
