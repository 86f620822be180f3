"""Reverse-mode differentiation over the tape: topological walk, ``op.grad`` rules (registry ops,
so ``create_graph=True`` records them and higher order comes free), accumulation, and
unbroadcasting (gradients are summed back to an input's shape here, never in the rules)."""
from ..errors import AutogradError
from ..ops.bind import bind
from ..ops.registry import get_op
from .tape import RECORDING, TRAINING, Leaf

__all__ = ["run_backward", "sum_to_shape", "GradContext"]

NOT_IN_GRAPH = ("Cannot differentiate node because it is not in a computational graph. You need to set "
                "is_recording to true or use autograd.record() to save computational graphs for backward. "
                "If you want to differentiate the same graph twice, you need to pass retain_graph=True "
                "to backward.")


class GradContext:
    """What a grad rule sees: ``inputs``, ``outputs`` (as saved), ``attrs``, ``in_specs``, ``out_specs``."""
    __slots__ = ("node", "_outputs")

    def __init__(self, node):
        self.node = node
        self._outputs = None

    @property
    def inputs(self):
        return self.node.inputs

    @property
    def outputs(self):
        if self._outputs is None:
            from ..ops.trace_base import eager
            dev = self.node.out_specs[0].device
            outs = []
            for i, d in enumerate(self.node.out_data):
                o = eager().wrap(d, dev)
                o._entry = (self.node, i)
                outs.append(o)
            self._outputs = tuple(outs)
        return self._outputs

    @property
    def attrs(self):
        return self.node.attrs

    @property
    def in_specs(self):
        return self.node.in_specs

    @property
    def out_specs(self):
        return self.node.out_specs


def _op(name, _cache={}):
    op = _cache.get(name)
    if op is None:
        op = _cache[name] = get_op(name)
    return op


def sum_to_shape(g, shape):
    """Sum ``g`` over broadcast axes so it has ``shape`` (written with registry ops)."""
    gs = g.shape
    if gs == tuple(shape):
        return g
    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape) if d == 1 and gs[i + lead] != 1)
    if axes:
        g = bind(_op("sum"), (g,), {"axis": axes, "keepdims": True, "exclude": False})
    if g.shape != tuple(shape):
        g = bind(_op("Reshape"), (g,), {"shape": tuple(shape), "reverse": False})
    return g


def _zeros_like(spec):
    from ..ops.trace_base import eager
    return eager().zeros(spec.shape, spec.dtype, spec.device)


def _add(a, b):
    return bind(_op("elemwise_add"), (a, b), {})


def _toposort(heads):
    order, seen = [], set()
    stack = [(e[0], False) for e in heads if e is not None]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if isinstance(node, Leaf):
            continue
        for p in node.parents:
            if p is not None and id(p[0]) not in seen:
                stack.append((p[0], False))
    return order  # parents before children


def run_backward(head_entries, head_grads, retain_graph, create_graph, train_mode, want=None):
    """Propagate from heads. ``want``: list of Leaf nodes whose grads to return (autograd.grad);
    otherwise gradients are written to the variables' ``.grad`` buffers. Returns {leaf: grad}."""
    for e in head_entries:
        if e is None or e[0].freed:
            raise AutogradError(NOT_IN_GRAPH)
    order = _toposort(head_entries)
    grads = {}   # id(node) -> list of per-output grads
    for e, g in zip(head_entries, head_grads):
        slot = grads.setdefault(id(e[0]), {})
        slot[e[1]] = g if e[1] not in slot else _add(slot[e[1]], g)
    rec_token = RECORDING.set(bool(create_graph))
    train_token = TRAINING.set(bool(train_mode))
    results = {}
    try:
        for node in reversed(order):
            slot = grads.pop(id(node), None)
            if slot is None:
                continue
            if isinstance(node, Leaf):
                results[node] = slot[0]
                continue
            if node.freed:
                raise AutogradError(NOT_IN_GRAPH)
            out_grads = tuple(slot.get(i) if slot.get(i) is not None else _zeros_like(s)
                              for i, s in enumerate(node.out_specs))
            if node.backward_fn is not None:
                in_grads = node.backward_fn(*out_grads)
            else:
                if node.op.grad is None:
                    raise AutogradError(f"operator {node.op.name} is not differentiable; wrap its "
                                        "inputs in stop_gradient() or move it out of autograd.record()")
                in_grads = node.op.grad(GradContext(node), *out_grads)
            if not isinstance(in_grads, (tuple, list)):
                in_grads = (in_grads,)
            for i, (p, g) in enumerate(zip(node.parents, in_grads)):
                if p is None or g is None:
                    continue
                spec = node.in_specs[i]
                if g.shape != spec.shape:
                    g = sum_to_shape(g, spec.shape)
                pslot = grads.setdefault(id(p[0]), {})
                pslot[p[1]] = g if pslot.get(p[1]) is None else _add(pslot[p[1]], g)
            if not retain_graph:
                node.freed = True
                node.inputs = node.out_data = None
    finally:
        RECORDING.reset(rec_token)
        TRAINING.reset(train_token)
    return results
