"""hybridize: trace a HybridBlock into a graph, compile it, replay it (DESIGN.md §5).

``BlockTrace`` is the trace of one outermost active HybridBlock call: a ``GraphTrace`` whose graph
inputs are the flattened array arguments (``data``/``data0``...) followed by the Parameters the
forward reads (kind ``param``, named by their 1.x prefixed names), created on first use through
``Parameter.data()``. Children are traced inline, under their name prefixes (``dense0_fwd``).
A Parameter whose shape is still unknown (deferred init) becomes a *pending* input: the first op
consuming it fills the shape through its ``infer_params`` rule, and the Parameter is initialised
right there (``GraphTrace._resolve_pending``).

Cache (``HybridBlock._cached_call``): key = argument structure (None pattern, Python scalars by
value), dtypes and ndims, device, ``is_training()``, ``is_recording()``; plus the concrete shapes only
when the trace read a dim (``x.shape``, ``len(x)``). A new shape for a trace that read none is
re-specialised by re-running the ops' inference rules over the recorded graph: no Python re-run.
"""
import numpy as np

from ..autograd import tape
from ..dtypes import normalize as _norm_dtype
from ..errors import HybridNetError
from ..graph.executor import Executable
from ..nd.ndarray import NDArray
from ..graph.ir import Graph, _SpecView
from ..graph.trace import GraphTrace, Traced
from ..ops.spec import TensorSpec
from ..ops.trace_base import _current
from . import parameter as _param

__all__ = ["BlockTrace", "HybridEntry", "flatten_args", "regroup", "respecialize"]


def flatten_args(args):
    """Flatten nested lists/tuples of arrays/None/scalars: ``(leaves, fmt)``; fmt is hashable."""
    flat = []

    def walk(a):
        if isinstance(a, (list, tuple)):
            return (type(a).__name__, tuple(walk(x) for x in a))
        flat.append(a)
        return 0
    fmt = tuple(walk(a) for a in args)
    return flat, fmt


def regroup(flat, fmt):
    it = iter(flat)

    def build(f):
        if f == 0:
            return next(it)
        typ, subs = f
        seq = [build(s) for s in subs]
        return tuple(seq) if typ == "tuple" else seq
    return [build(f) for f in fmt]


def flatten_out(out):
    if isinstance(out, (list, tuple)):
        flat, struct = [], []
        for o in out:
            f, s = flatten_out(o)
            flat.extend(f)
            struct.append(s)
        return flat, (type(out), struct)
    return [out], None


class BlockTrace:
    """The active hybridize trace (``parameter._TRACE_HOOK``): hands out Parameter inputs, names
    nodes by block prefix, records the block path for errors."""

    def __init__(self, root, device):
        self.root = root
        self.gt = GraphTrace(device)
        self.gt.namer = self._name
        self.params = []            # Parameters, in graph-input order after the data inputs
        self._param_vals = {}
        self.prefixes = []          # name-scope stack (block prefixes)
        self.path = []              # block path (attribute names) for errors
        self.blocks = []
        self._counters = [{}]
        self.device = device

    # ---- naming --------------------------------------------------------------------------------
    def _name(self, name, hint):
        prefix = self.prefixes[-1] if self.prefixes else ""
        if name:
            return prefix + name
        c = self._counters[-1]
        n = c.get(hint, 0)
        c[hint] = n + 1
        return f"{prefix}{hint}{n}"

    def enter(self, block):
        if self.blocks:
            parent = self.blocks[-1]
            attr = next((k for k, c in parent._children.items() if c is block), block.name)
            self.path.append(attr)
        self.blocks.append(block)
        self.prefixes.append(block.prefix)
        self._counters.append({})

    def leave(self):
        self.blocks.pop()
        self.prefixes.pop()
        self._counters.pop()
        if self.blocks:
            self.path.pop()

    def where(self, block):
        path = ".".join(self.path)
        return f"{type(block).__name__} '{block.name}'" + (f" (block path '{path}')" if path else "")

    # ---- parameters ---------------------------------------------------------------------------
    def param_value(self, p):
        v = self._param_vals.get(p)
        if v is not None:
            return v
        if p._data is None and not p._deferred_init:
            p._check_and_get(None, None)        # raises "has not been initialized"
        pending = not _param.shape_is_known(p.shape)
        shape = tuple(p.shape) if not pending else tuple(0 if d in (0, -1, None) else d for d in p.shape or ())
        spec = TensorSpec(shape, np.dtype(_norm_dtype(p.dtype)), self.device)
        v = self.gt.placeholder(spec, p.name, kind="param")
        if pending:
            self.gt.pending[v._value] = self._resolver(p)
        self._param_vals[p] = v
        self.params.append(p)
        return v

    def _resolver(self, p):
        block_path = ".".join(self.path)
        where = f" (block path '{block_path}')" if block_path else ""

        def resolve(shape, op):
            if shape is None:
                raise _param.DeferredInferenceError(
                    f"Deferred initialization failed because shape cannot be inferred: Parameter '{p.name}' "
                    f"(shape {p.shape}) is used by operator {op.name}, which cannot infer it from its other "
                    f"inputs{where}. Fix: give the layer its input size (in_units=, "
                    "in_channels=...), or give the Parameter a full shape.")
            try:
                p.shape = shape
            except AssertionError as e:
                raise _param.DeferredInferenceError(
                    f"Deferred initialization of Parameter '{p.name}' failed: operator {op.name} needs shape "
                    f"{shape} but the Parameter was declared with {p.shape} ({e})") from None
            if p._deferred_init:
                p._finish_deferred_init()
            return tuple(p.shape)
        return resolve

    # ---- running ------------------------------------------------------------------------------
    def __enter__(self):
        self._old_hook = _param._TRACE_HOOK[0]
        _param._TRACE_HOOK[0] = self
        self._tok = _current.set(self.gt)
        return self

    def __exit__(self, *exc):
        _param._TRACE_HOOK[0] = self._old_hook
        _current.reset(self._tok)
        self.gt.active = False

    def placeholders(self, arrays, names):
        return [self.gt.placeholder(a, n) for a, n in zip(arrays, names)]

    def finish(self, out):
        flat, struct = flatten_out(out)
        vals = []
        for o in flat:
            if not isinstance(o, Traced):
                o = self.gt.constant(o, getattr(o, "dtype", None), None)
            vals.append(self.gt._value_of(o))
        self.n_visible = len(vals)
        # states an op updated (BatchNorm running stats): extra outputs copied into the Parameters
        by_value = {v._value: p for p, v in self._param_vals.items()}
        self.state_params = []
        for tv, nv in self.gt.graph.state_writes:
            vals.append(nv)
            self.state_params.append(by_value[tv])
        self.gt.graph.outputs = vals
        return struct


def respecialize(graph, specs):
    """The same graph with new input specs: every op's inference rule runs again (no user Python)."""
    g = Graph()
    vmap = {}
    for v, s in zip(graph.inputs, specs):
        vmap[v] = g.add_input(s, v.name, v.kind)
    for v, arr in graph.constants.items():
        vmap[v] = v
        g.constants[v] = arr
    for n in graph.nodes:
        ins = tuple(None if v is None else vmap[v] for v in n.inputs)
        out = n.op.infer(*[None if v is None else _SpecView(v.spec) for v in ins], **n.attrs)
        out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        nn = g.add_node(n.op, ins, n.attrs, out, n.name)
        for a, b in zip(n.outputs, nn.outputs):
            vmap[a] = b
    g.outputs = [vmap[v] for v in graph.outputs]
    return g


class HybridEntry:
    """One traced signature of a block: the graph template, its Parameters, output structure, and
    one (forward, autodiff pair) per concrete input shapes."""

    def __init__(self, graph, params, n_data, out_struct, shape_read, shapes, n_visible=None,
                 state_params=()):
        self.graph = graph
        self.n_visible = len(graph.outputs) if n_visible is None else n_visible
        self.state_params = list(state_params)
        self.params = params
        self.n_data = n_data
        self.out_struct = out_struct
        self.shape_read = shape_read
        self.trace_shapes = shapes
        self.execs = {}
        self.cuda_graphs = False     # set by the block: hybridize(static_alloc=True, static_shape=True)

    def executables(self, shapes, static_alloc):
        ex = self.execs.get(shapes)
        if ex is None:
            if shapes == self.trace_shapes:
                g = self.graph
            else:
                specs = [TensorSpec(s, v.spec.dtype, v.spec.device) for s, v in
                         zip(shapes, self.graph.inputs[:self.n_data])] + \
                        [v.spec for v in self.graph.inputs[self.n_data:]]
                g = respecialize(self.graph, specs)
            ex = self.execs[shapes] = [g, None, None, None]    # graph, forward, autodiff pairs, CUDA graph
        return ex

    def run(self, datas, param_arrays, recording, inputs_nd):
        """Run forward (and record one tape node when recording); write updated states back."""
        shapes = tuple(tuple(d.shape) for d in datas)
        ex = self.executables(shapes, True)
        raw_in = [d._data for d in datas] + [p._data for p in param_arrays]
        nv = self.n_visible
        if not recording:
            if ex[1] is None:
                ex[1] = Executable(ex[0])
            fwd = ex[1]
            raw = self._graph_run(ex, fwd, raw_in) if self.cuda_graphs else fwd.run(*raw_in)
            if self.state_params:
                self._write_states(raw[nv:], datas[0].context)
            dev = fwd.device
            return [NDArray(r, dev) for r in raw[:nv]]
        # differentiate only the inputs that need a gradient (the data batch usually does not)
        need = tuple(a._entry is not None for a in datas) + tuple(p._entry is not None for p in param_arrays)
        pairs = ex[2]
        if pairs is None:
            pairs = ex[2] = {}
        pair = pairs.get(need)
        if pair is None:
            from ..graph.autodiff import build_grad
            wrt = [i for i, n in enumerate(need) if n]
            pair = pairs[need] = build_grad(ex[0], wrt=wrt) + (wrt, [])
        fwd, bwd, n_out, wrt, zero_states = pair
        raw = fwd.run(*raw_in)
        outs = [NDArray(r, fwd.device) for r in raw[:nv]]
        states = raw[nv:n_out]
        residuals = raw[n_out:]
        device = fwd.device
        self._write_states(states, datas[0].context)
        if states and not zero_states:       # head gradients of the state outputs: zeros, made once
            from ..kernels.backend import xp_for
            zero_states.extend(xp_for(device).zeros(s.shape, s.dtype) for s in states)

        n_in = len(need)

        def backward_fn(*out_grads):
            gs = bwd.run(*residuals, *[g._data for g in out_grads], *zero_states)
            full = [None] * n_in
            for i, g in zip(wrt, gs):
                full[i] = NDArray(g, device)
            return tuple(full)
        tape.record(None, None, list(datas) + list(param_arrays), outs, backward_fn)
        return outs

    def _graph_run(self, ex, fwd, raw_in):
        """Inference on a GPU with static shapes: the first call runs (and compiles) as usual, the
        second captures the replay as a CUDA graph (``kernels/cuda/graph_capture.py``), later ones launch it.
        Graphs with state writes or random ops, and anything the capture refuses, keep the plain
        replay. ``HYBRIDNET_CUDA_GRAPHS=0`` turns it off."""
        cg = ex[3]
        if cg is False:
            return fwd.run(*raw_in)
        if cg is None:
            import os

            from ..kernels.backend import is_simulator    # (no CUDA import: CPU-only machines get here)
            ok = (fwd.device.device_type == "gpu" and not is_simulator() and not self.state_params
                  and os.environ.get("HYBRIDNET_CUDA_GRAPHS", "1") != "0"
                  and not any(n.op.effects for n in fwd.graph.nodes))
            ex[3] = "warm" if ok else False
            return fwd.run(*raw_in)
        if cg == "warm" or not cg.matches(raw_in):
            from ..kernels.cuda.graph_capture import CaptureError, CapturedRun
            try:
                cg = ex[3] = CapturedRun(fwd.run, raw_in, self.n_data)
            except CaptureError:
                ex[3] = False
                return fwd.run(*raw_in)
        return cg(raw_in)

    def _write_states(self, raw_states, ctx):
        for p, r in zip(self.state_params, raw_states):
            p.data(ctx)._data[...] = r


def annotate(err, where):
    """Prefix an error raised inside a traced forward with the block path (once)."""
    if getattr(err, "_hn_block_path", False) or not isinstance(err, (HybridNetError, ValueError, TypeError,
                                                                      AssertionError, RuntimeError)):
        return err
    try:
        err.args = (f"in {where}: {err.args[0] if err.args else ''}",) + tuple(err.args[1:])
        err._hn_block_path = True
    except Exception:      # pragma: no cover - exotic exception types
        pass
    return err
