"""Graph autodiff: derive a backward graph from the ops' ``grad`` rules.

The forward graph is replayed into a new ``GraphTrace`` and the reverse walk calls each op's grad rule
with traced values, so the gradient nodes land in the same trace (grad rules are registry ops, and
``sum_to_shape`` unbroadcasts as on the tape). The joint graph is then split: the forward part gains
the residuals the backward part reads as extra outputs; the backward part takes those residuals and
the output gradients as inputs. Each half runs as one compiled graph.
"""
from ..autograd.backward import sum_to_shape
from ..errors import AutogradError
from ..ops import api as F
from .ir import Graph
from .executor import Executable
from .trace import GraphTrace, Traced

__all__ = ["build_grad", "joint_graph"]


class _GraphGradContext:
    __slots__ = ("node", "_t")

    def __init__(self, node, t):
        self.node, self._t = node, t

    @property
    def inputs(self):
        return tuple(None if v is None else Traced(self._t, v) for v in self.node.inputs)

    @property
    def outputs(self):
        return tuple(Traced(self._t, v) for v in self.node.outputs)

    @property
    def attrs(self):
        return self.node.attrs

    @property
    def in_specs(self):
        return tuple(None if v is None else v.spec for v in self.node.inputs)

    @property
    def out_specs(self):
        return tuple(v.spec for v in self.node.outputs)


def joint_graph(graph, wrt=None):
    """Forward + backward in one graph. Returns (joint Graph, number of forward nodes, head-grad inputs,
    forward outputs, gradient outputs)."""
    wrt = list(range(len(graph.inputs))) if wrt is None else list(wrt)
    t = GraphTrace()
    env = {}
    for v in graph.inputs:
        env[v] = t.placeholder(v.spec, v.name, v.kind)
    for v, arr in graph.constants.items():
        env[v] = Traced(t, t.graph.add_constant(arr, v.spec, v.name))
    with t.activate():
        for n in graph.nodes:
            r = t.apply(n.op, [None if v is None else env[v] for v in n.inputs], n.attrs, n.name)
            for o, ro in zip(n.outputs, r if isinstance(r, tuple) else (r,)):
                env[o] = ro
        n_fwd = len(t.graph.nodes)
        fwd_outs = [env[v] for v in graph.outputs]
        heads = [t.placeholder(v._value.spec, f"head_grad{i}") for i, v in enumerate(fwd_outs)]
        grads = {}

        def acc(value, g):
            prev = grads.get(value)
            grads[value] = g if prev is None else F.elemwise_add(prev, g)
        for o, h in zip(fwd_outs, heads):
            acc(o._value, h)
        for node in reversed(t.graph.nodes[:n_fwd]):
            gs = [grads.get(o) for o in node.outputs]
            if all(g is None for g in gs):
                continue
            op = node.op
            if op.grad is None:
                if len(op.nondiff) >= len(node.inputs):
                    continue
                raise AutogradError(f"operator {op.name} is not differentiable")
            out_grads = [g if g is not None else F.zeros_like(Traced(t, o)) for g, o in zip(gs, node.outputs)]
            in_grads = op.grad(_GraphGradContext(node, t), *out_grads)
            if not isinstance(in_grads, (tuple, list)):
                in_grads = (in_grads,)
            for i, (v, g) in enumerate(zip(node.inputs, in_grads)):
                if v is None or g is None or i in op.nondiff:
                    continue
                if tuple(g.shape) != tuple(v.spec.shape):
                    g = sum_to_shape(g, v.spec.shape)
                acc(v, g)
        grad_outs = []
        for i in wrt:
            v = env[graph.inputs[i]]._value
            g = grads.get(v)
            grad_outs.append(g if g is not None else F.zeros_like(Traced(t, v)))
    t.active = False
    jg = t.graph
    jg.outputs = [o._value for o in fwd_outs] + [g._value for g in grad_outs]
    return jg, n_fwd, [h._value for h in heads], len(fwd_outs), wrt


def build_grad(graph, wrt=None):
    """(forward Executable with residual outputs, backward Executable, number of user outputs)."""
    jg, n_fwd, heads, n_out, wrt = joint_graph(graph, wrt)
    fwd_nodes, bwd_nodes = jg.nodes[:n_fwd], jg.nodes[n_fwd:]
    fwd_defined = set(jg.inputs) - set(heads)
    for n in fwd_nodes:
        fwd_defined.update(n.outputs)
    grad_vals = jg.outputs[n_out:]
    needed = []
    seen = set()
    for n in bwd_nodes:
        for v in n.inputs:
            if v is not None and v in fwd_defined and v not in seen:
                seen.add(v)
                needed.append(v)
    for v in grad_vals:   # a gradient may be a forward value itself (e.g. d(x*y)/dx = y)
        if v in fwd_defined and v not in seen:
            seen.add(v)
            needed.append(v)
    fwd = Graph()
    fwd.inputs = [v for v in jg.inputs if v not in heads]
    fwd.constants = dict(jg.constants)
    fwd.nodes = fwd_nodes
    fwd.outputs = jg.outputs[:n_out] + needed
    bwd = Graph()
    bwd.inputs = needed + heads
    used_consts = {v for n in bwd_nodes for v in n.inputs if v in jg.constants}
    bwd.constants = {v: a for v, a in jg.constants.items() if v in used_consts}
    bwd.nodes = bwd_nodes
    bwd.outputs = grad_vals
    # gradients w.r.t. inputs the call does not differentiate are still returned (the tape ignores them)
    return Executable(fwd), Executable(bwd), n_out
