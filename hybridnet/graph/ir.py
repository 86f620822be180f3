"""Graph IR: SSA ``Value``s with a ``TensorSpec``, ``Node``s pointing at registry ops, and ``Graph``.

A graph's inputs are ``Value``s without a producer (kind "input", "param" or "state"), constants are
``Value``s bound to arrays, and ``nodes`` are in topological order. ``verify()`` checks SSA form,
order, and that every node's output specs are what its op's ``infer`` says.
"""
import itertools

from ..errors import HybridNetError
from ..ops.spec import TensorSpec, fmt_spec

__all__ = ["Value", "Node", "Graph", "GraphError"]

_ids = itertools.count()


class GraphError(HybridNetError):
    """A malformed graph (a bug in a pass or a hand-built graph): the message prints the graph."""


class Value:
    __slots__ = ("id", "spec", "producer", "index", "name", "kind")

    def __init__(self, spec, producer=None, index=0, name=None, kind="node"):
        self.id = next(_ids)
        self.spec = spec
        self.producer = producer    # Node or None
        self.index = index          # output position in producer
        self.name = name
        self.kind = kind            # "node" | "input" | "param" | "state" | "const"

    def __repr__(self):
        return f"%{self.id}:{_short(self.spec)}"


class Node:
    __slots__ = ("op", "inputs", "attrs", "outputs", "name")

    def __init__(self, op, inputs, attrs, out_specs, name=None):
        self.op = op
        self.inputs = tuple(inputs)      # Values (None for an absent optional input)
        self.attrs = attrs
        self.name = name
        self.outputs = tuple(Value(s, self, i) for i, s in enumerate(out_specs))

    def __repr__(self):
        return f"<Node {self.op.name} {self.name or ''}>"


def _short(spec):
    return fmt_spec(spec).split("@")[0].replace("float", "f").replace("int", "i")


class Graph:
    def __init__(self):
        self.inputs = []        # Values of kind input/param/state, in call order
        self.constants = {}     # Value -> array (device storage)
        self.nodes = []
        self.outputs = []
        self.state_writes = []  # (input Value, Value with its new content): written back after a run

    # ---- construction -------------------------------------------------------------------
    def add_input(self, spec, name=None, kind="input"):
        v = Value(spec, name=name, kind=kind)
        self.inputs.append(v)
        return v

    def add_constant(self, array, spec, name=None):
        v = Value(spec, name=name, kind="const")
        self.constants[v] = array
        return v

    def add_node(self, op, inputs, attrs, out_specs, name=None):
        n = Node(op, inputs, attrs, out_specs, name)
        self.nodes.append(n)
        return n

    # ---- queries --------------------------------------------------------------------------
    def users(self):
        """Value -> list of (node, input position) using it."""
        out = {}
        for n in self.nodes:
            for i, v in enumerate(n.inputs):
                if v is not None:
                    out.setdefault(v, []).append((n, i))
        return out

    def verify(self, context=""):
        """Check SSA form, topological order and output specs; raise GraphError printing the graph."""
        defined = set(self.inputs) | set(self.constants)
        problems = []
        for k, n in enumerate(self.nodes):
            for v in n.inputs:
                if v is not None and v not in defined:
                    problems.append(f"node {k} ({n.op.name}) uses {v!r} before it is defined")
            try:
                specs = n.op.infer(*[_SpecView(v.spec) if v is not None else None for v in n.inputs], **n.attrs)
            except HybridNetError as e:
                problems.append(f"node {k} ({n.op.name}) fails shape inference: {e}")
                specs = None
            if specs is not None:
                specs = specs if isinstance(specs, (tuple, list)) else (specs,)
                for o, s in zip(n.outputs, specs):
                    if tuple(o.spec.shape) != tuple(s.shape) or o.spec.dtype != s.dtype:
                        problems.append(f"node {k} ({n.op.name}) output {o!r} disagrees with infer ({_short(s)})")
            for o in n.outputs:
                if o in defined:
                    problems.append(f"{o!r} is defined twice")
                defined.add(o)
        for v in self.outputs:
            if v not in defined:
                problems.append(f"output {v!r} is never defined")
        if problems:
            where = f" after {context}" if context else ""
            raise GraphError(f"invalid graph{where} (this is a hybridnet bug; please report it with the "
                             f"graph below):\n  " + "\n  ".join(problems) + "\n" + str(self))

    def __str__(self):
        from .printer import format_graph
        return format_graph(self)


class _SpecView:
    """Adapts a TensorSpec for inference rules (which read .shape/.dtype/.device)."""
    __slots__ = ("shape", "dtype", "device")

    def __init__(self, spec):
        self.shape, self.dtype, self.device = spec.shape, spec.dtype, spec.device


def spec(shape, dtype, device):
    return TensorSpec(shape, dtype, device)
