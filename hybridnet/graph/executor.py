"""Executor: a graph becomes a flat list of steps ``(kernel, input slots, output slots, attrs)`` over
a list of slots; ``compile(fn)`` traces a function per input signature and replays it.

A cache hit runs no Python of the user's function (tested by counting). Under ``autograd.record()`` the
whole compiled call is *one* tape node whose backward is a second compiled graph derived from the
ops' grad rules (``graph/autodiff.py``).
"""
from ..autograd import tape
from ..device import current_context
from ..kernels import kernel_for
from .trace import trace, unflatten

__all__ = ["Executable", "compile", "CompiledFunction"]


class Executable:
    """Runs a ``Graph`` on one device: ``run(*arrays) -> list of arrays`` (device storage)."""

    def __init__(self, graph):
        self.graph = graph
        slot = {}
        for v in graph.inputs:
            slot[v] = len(slot)
        self.n_inputs = len(graph.inputs)
        self.const_slots = []
        for v, arr in graph.constants.items():
            slot[v] = len(slot)
            self.const_slots.append((slot[v], arr))
        device = (graph.inputs[0].spec.device if graph.inputs else
                  next(iter(graph.constants)).spec.device if graph.constants else current_context())
        self.device = device
        steps = []
        for n in graph.nodes:
            for o in n.outputs:
                slot[o] = len(slot)
            ins = tuple(slot[v] if v is not None else -1 for v in n.inputs)
            outs = tuple(slot[o] for o in n.outputs)
            steps.append((kernel_for(n.op, device), ins, outs, n.attrs, len(n.outputs) > 1))
        self.steps = steps
        self.n_slots = len(slot)
        self.output_slots = tuple(slot[v] for v in graph.outputs)

    def run(self, *arrays):
        env = [None] * self.n_slots
        env[:self.n_inputs] = arrays
        for i, arr in self.const_slots:
            env[i] = arr
        for kernel, ins, outs, attrs, multi in self.steps:
            r = kernel(*[env[i] if i >= 0 else None for i in ins], **attrs)
            if multi:
                for o, a in zip(outs, r):
                    env[o] = a
            else:
                env[outs[0]] = r
        return [env[i] for i in self.output_slots]


class _Entry:
    """One cache entry: the traced graph, its forward executable, and (lazily) the autodiff pair."""
    __slots__ = ("traced", "forward", "grad")

    def __init__(self, traced):
        self.traced = traced
        self.forward = Executable(traced.graph)
        self.grad = None


class CompiledFunction:
    """``compile(fn)``: trace ``fn`` once per (shapes, dtypes, device, train/record mode) and replay."""

    def __init__(self, fn):
        self.fn = fn
        self._cache = {}
        self.trace_count = 0

    def _key(self, args):
        return (tuple((a.shape, a.dtype, a.context) for a in args), tape.TRAINING.get())

    def entry(self, *args):
        key = self._key(args)
        e = self._cache.get(key)
        if e is None:
            self.trace_count += 1
            e = self._cache[key] = _Entry(trace(self.fn, *args))
        return e

    def __call__(self, *args):
        from ..nd.ndarray import NDArray
        e = self.entry(*args)
        datas = [a._data for a in args]
        recording = tape.RECORDING.get() and any(a._entry is not None for a in args)
        if not recording:
            raw = e.forward.run(*datas)
            outs = [NDArray(r, e.forward.device) for r in raw]
        else:
            if e.grad is None:
                from .autodiff import build_grad
                e.grad = build_grad(e.traced.graph)
            fwd, bwd, n_out = e.grad
            raw = fwd.run(*datas)
            outs = [NDArray(r, fwd.device) for r in raw[:n_out]]
            residuals = raw[n_out:]
            device = fwd.device

            def backward_fn(*out_grads):
                gs = bwd.run(*residuals, *[g._data for g in out_grads])
                return tuple(NDArray(g, device) for g in gs)
            tape.record(None, None, args, outs, backward_fn)
        return unflatten(outs, e.traced.out_struct)


def compile(fn):
    """Trace-and-replay wrapper for a function of NDArrays.

    >>> from hybridnet import nd, graph
    >>> f = graph.compile(lambda a, b: (a * b).sum(axis=1))
    >>> f(nd.ones((2, 3)), nd.ones((2, 3))).asnumpy().tolist()
    [3.0, 3.0]
    """
    return CompiledFunction(fn)
