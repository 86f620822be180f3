"""Executor: a graph becomes a flat list of steps ``(kernel, input slots, output slots, attrs)`` over
a list of slots; ``compile(fn)`` traces a function per input signature and replays it.

A cache hit runs no Python of the user's function (tested by counting). Under ``autograd.record()`` the
whole compiled call is *one* tape node whose backward is a second compiled graph derived from the
ops' grad rules (``graph/autodiff.py``).
"""
import builtins
import keyword

from ..autograd import tape
from ..device import current_context
from ..kernels import kernel_for
from .trace import trace, unflatten

__all__ = ["Executable", "compile", "CompiledFunction"]


class Executable:
    """Runs a ``Graph`` on one device: ``run(*arrays) -> list of arrays`` (device storage).

    The graph first goes through the pass pipeline (``graph/passes``; ``optimize=False`` skips it).
    With a memory plan, one arena per ``Executable`` is allocated here (``static_alloc``) and every
    planned kernel writes into its slot (``out=`` a view with the value's shape and dtype); graph
    outputs get fresh arrays every call, so results already handed out are never overwritten.
    ``steps`` is the flat list ``(kernel, input slots, output slot(s), kwargs, mode)`` (mode 0: one
    output, 1: several, 2: one output copied out of a view; slot 0 is None, for absent optional
    inputs); ``run`` is generated from it as straight-line code (``self.source``).
    """

    def __init__(self, graph, optimize=True):
        self.source_graph = graph
        if optimize:
            from .passes import optimize as _optimize
            graph = _optimize(graph)
        self.graph = graph
        plan = self.plan = getattr(graph, "memory_plan", None)
        slot = {}
        n = 1                                   # slot 0 always holds None (absent optional inputs)
        for v in graph.inputs:
            slot[v] = n
            n += 1
        self.n_inputs = len(graph.inputs)
        consts = []
        for v, arr in graph.constants.items():
            slot[v] = n
            consts.append((n, arr))
            n += 1
        device = (graph.inputs[0].spec.device if graph.inputs else
                  next(iter(graph.constants)).spec.device if graph.constants else
                  graph.nodes[0].outputs[0].spec.device if graph.nodes else current_context())
        self.device = device
        self.arenas = {}
        if plan is not None:
            from ..kernels.backend import xp_for
            self.arenas = {d: xp_for(d).empty(max(nb, 1), dtype="uint8") for d, nb in plan.arena_bytes.items()}
        steps = []
        for node in graph.nodes:
            for o in node.outputs:
                slot[o] = n
                n += 1
            ins = tuple(slot[v] if v is not None else 0 for v in node.inputs)
            kw = dict(node.attrs)
            mode = 0
            if len(node.outputs) > 1:
                outs, mode = tuple(slot[o] for o in node.outputs), 1
                kinds = [plan.kind.get(o) for o in node.outputs] if plan is not None else []
                if "arena" in kinds:          # a tuple-out kernel: arena views + fresh graph outputs
                    kw["out"] = tuple(self._view(o) if k == "arena" else _Fresh(o.spec)
                                      for o, k in zip(node.outputs, kinds))
            else:
                o = node.outputs[0]
                outs = slot[o]
                kind = plan.kind.get(o) if plan is not None else None
                if kind == "arena":
                    kw["out"] = self._view(o)
                elif kind == "copy":
                    mode = 2
            steps.append((kernel_for(node.op, device), ins, outs, kw, mode))
        self.n_slots = n
        env0 = [None] * n
        for i, arr in consts:
            env0[i] = arr
        self._env0 = env0
        self.output_slots = tuple(slot[v] for v in graph.outputs)
        # constants handed out as results are copied (the caller may write into them)
        self._const_outs = tuple(k for k, v in enumerate(graph.outputs) if v in graph.constants)
        self.steps = steps          # generates self.run

    def _view(self, v):
        plan = self.plan
        b = plan.buffer[v]
        off = plan.offsets[b]
        nb = v.spec.dtype.itemsize
        for d in v.spec.shape:
            nb *= int(d)
        arena = self.arenas[plan.devices[b]]
        return arena[off:off + nb].view(v.spec.dtype).reshape(tuple(v.spec.shape))

    # ---- the replay function -----------------------------------------------------------------
    @property
    def steps(self):
        return self._steps

    @steps.setter
    def steps(self, steps):
        """Setting ``steps`` (e.g. wrapping kernels to count calls) regenerates ``run``."""
        self._steps = list(steps)
        self.run = self._generate()

    def _generate(self):
        """Straight-line Python for ``run``: one line per step, ``s7 = k3(s5, s6, out=o3, axis=a3_axis)``,
        with kernels, out buffers, attributes and constants bound as globals, and each intermediate
        dropped after its last use. This is what makes a 50-node replay cost ~0.2 us per node beyond
        the kernels (an interpreted loop over ``steps`` costs ~0.6 us: list building, ``**kw``)."""
        g = {}
        lines = []
        params = [f"s{i}" for i in range(1, 1 + self.n_inputs)]
        for i, v in enumerate(self._env0):
            if v is not None:
                g[f"s{i}"] = v
        keep = set(range(1 + self.n_inputs)) | set(self.output_slots) | {i for i, v in enumerate(self._env0)
                                                                         if v is not None}
        last = {}
        for j, (_, ins, _, _, _) in enumerate(self._steps):
            for i in ins:
                last[i] = j
        for j, (kernel, ins, outs, kw, mode) in enumerate(self._steps):
            g[f"k{j}"] = kernel
            args = ["None" if i == 0 else f"s{i}" for i in ins]
            kw = dict(kw)
            out = kw.pop("out", None)
            if isinstance(out, tuple):           # fresh members are allocated per call
                items = []
                for m, a in enumerate(out):
                    g[f"a{j}_out{m}"] = a
                    items.append(f"a{j}_out{m}()" if isinstance(a, _Fresh) else f"a{j}_out{m}")
                args.append(f"out=({', '.join(items)},)")
            elif out is not None:
                g[f"a{j}_out"] = out
                args.append(f"out=a{j}_out")
            if all(k.isidentifier() and not keyword.iskeyword(k) for k in kw):
                for k, v in kw.items():
                    g[f"a{j}_{k}"] = v
                    args.append(f"{k}=a{j}_{k}")
            elif kw:
                g[f"kw{j}"] = kw
                args.append(f"**kw{j}")
            call = f"k{j}({', '.join(args)})"
            if mode == 1:
                lines.append(f"    {', '.join(f's{o}' for o in outs)}, = {call}")
            else:
                lines.append(f"    s{outs} = {call}" + (".copy()" if mode == 2 else ""))
            produced = outs if mode == 1 else (outs,)
            dead = sorted({i for i in ins if last.get(i) == j and i not in keep}
                          | {o for o in produced if o not in last and o not in keep})
            if dead:
                lines.append(f"    del {', '.join(f's{i}' for i in dead)}")
        const_outs = set(self._const_outs)
        res = ", ".join(f"s{i}" + (".copy()" if k in const_outs else "")
                        for k, i in enumerate(self.output_slots))
        lines.append(f"    return [{res}]")
        src = f"def run({', '.join(params)}):\n" + "\n".join(lines) + "\n"
        exec(builtins.compile(src, f"<hybridnet graph {id(self):x}>", "exec"), g)
        fn = g["run"]
        fn.__doc__ = "run(*arrays) -> list of output arrays (device storage)"
        self.source = src
        return fn


class _Fresh:
    """A per-call fresh output array inside a tuple ``out=`` (a graph output of a multi-output node)."""
    __slots__ = ("shape", "dtype", "empty")

    def __init__(self, spec):
        from ..kernels.backend import xp_for
        self.shape, self.dtype, self.empty = tuple(spec.shape), spec.dtype, xp_for(spec.device).empty

    def __call__(self):
        return self.empty(self.shape, self.dtype)


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
        n_states = len(e.traced.state_args)
        if not recording:
            raw = e.forward.run(*datas)
            nv = len(raw) - n_states
            _write_back(args, e.traced.state_args, raw[nv:])
            outs = [NDArray(r, e.forward.device) for r in raw[:nv]]
        else:
            if e.grad is None:
                from .autodiff import build_grad
                e.grad = build_grad(e.traced.graph)
            fwd, bwd, n_out = e.grad
            raw = fwd.run(*datas)
            nv = n_out - n_states
            _write_back(args, e.traced.state_args, raw[nv:n_out])
            zero_states = [0 * s for s in raw[nv:n_out]]     # the new states get no head gradient
            outs = [NDArray(r, fwd.device) for r in raw[:nv]]
            residuals = raw[n_out:]
            device = fwd.device

            def backward_fn(*out_grads):
                gs = bwd.run(*residuals, *[g._data for g in out_grads], *zero_states)
                return tuple(NDArray(g, device) for g in gs)
            tape.record(None, None, args, outs, backward_fn)
        return unflatten(outs, e.traced.out_struct)


def _write_back(args, state_args, raw_states):
    """Inputs an op updated (BatchNorm's moving stats): their new content, in place as eagerly."""
    for i, r in zip(state_args, raw_states):
        args[i]._data[...] = r


def compile(fn):
    """Trace-and-replay wrapper for a function of NDArrays.

    >>> from hybridnet import nd, graph
    >>> f = graph.compile(lambda a, b: (a * b).sum(axis=1))
    >>> f(nd.ones((2, 3)), nd.ones((2, 3))).asnumpy().tolist()
    [3.0, 3.0]
    """
    return CompiledFunction(fn)
