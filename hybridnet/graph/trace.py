"""``GraphTrace``: the second trace. ``bind`` hands it ops whose arguments are traced values; it records
a node (running the op's inference rule, so errors name the op and shapes at the user's line) and
returns ``Traced`` values with a *concrete* ``.shape``/``.dtype``/``.context`` (MXNet P1/P2 fixed).

NDArrays captured from outside the traced function become graph constants (omnistaging). Asking a
traced value for a Python value (``bool``, ``float``, ``.asnumpy()``) raises ``ConcretizationError``
naming the line and the fixes; using a traced value after its trace ended raises ``LeakedTracerError``.
"""
import contextlib

import numpy as np

from ..device import current_context
from ..errors import ConcretizationError, HybridNetError, user_line
from ..ops.methods import ArrayMethods
from ..ops.spec import TensorSpec, fmt_spec
from ..ops.trace_base import Trace, _current
from .ir import Graph

__all__ = ["GraphTrace", "Traced", "LeakedTracerError", "trace", "TracedFunction"]


class LeakedTracerError(HybridNetError):
    """A traced value was used after the trace that created it had finished."""


_CONCRETE_FIX = ("Python control flow and conversions need concrete values, which do not exist while "
                 "tracing. Fixes: use nd.where(cond, a, b) (or arithmetic masks) instead of `if`; move the "
                 "value-dependent code outside the traced/hybridized function; or run this block eagerly "
                 "(block.hybridize(active=False)).")


class Traced(ArrayMethods):
    """A value inside a graph trace: NDArray semantics, real shape and dtype, no data."""
    __slots__ = ("_trace", "_value", "_line")

    def __init__(self, trace, value):
        self._trace = trace
        self._value = value
        self._line = None

    # ---- metadata (concrete) ------------------------------------------------------------
    @property
    def shape(self):
        self._trace.shape_read = True       # the trace now depends on concrete dims (cache key)
        return self._value.spec.shape

    @property
    def dtype(self):
        return self._value.spec.dtype

    @property
    def ndim(self):
        return len(self._value.spec.shape)

    @property
    def size(self):
        self._trace.shape_read = True
        return int(np.prod(self._value.spec.shape, dtype=np.int64))

    @property
    def context(self):
        return self._value.spec.device

    ctx = device = context

    @property
    def stype(self):
        return "default"

    def __len__(self):
        if not self.shape:      # (reading .shape marks the trace shape-dependent)
            raise TypeError("len() of a 0-d traced value")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__

    def __repr__(self):
        return f"<Traced {fmt_spec(self._value.spec)} {self._value!r}>"

    # ---- concretization: refused with a useful error -----------------------------------
    def _concrete(self, what):
        raise ConcretizationError(f"{what} on a traced value {fmt_spec(self._value.spec)} at "
                                  f"{user_line() or '<unknown line>'}. {_CONCRETE_FIX}")

    def __bool__(self):
        self._concrete("bool()")

    def __float__(self):
        self._concrete("float()")

    def __int__(self):
        self._concrete("int()")

    def __index__(self):
        self._concrete("using it as a Python index")

    def asnumpy(self):
        self._concrete(".asnumpy()")

    def asscalar(self):
        self._concrete(".asscalar()")

    def item(self):
        self._concrete(".item()")

    def tolist(self):
        self._concrete(".tolist()")

    def __array__(self, *a, **k):
        self._concrete("converting to a NumPy array")

    def wait_to_read(self):
        pass

    def __setitem__(self, key, value):
        raise HybridNetError(f"in-place assignment x[...] = v into a traced value at {user_line()}: traced "
                             "functions are pure. Build the new value instead (nd.where, nd.concat, "
                             "slice_assign-style composition), or run this block eagerly.")

    def attach_grad(self, *a, **k):
        raise HybridNetError("attach_grad() on a traced value: attach gradients to the NDArrays you pass in")

    def detach(self):
        from ..ops import api as F
        return F.BlockGrad(self)


class GraphTrace(Trace):
    def __init__(self, device=None):
        self.graph = Graph()
        self.active = True
        self.device = device
        self._captured = {}
        self.shape_read = False     # did user code read a concrete dim (.shape, len, .size)?
        self.namer = None           # optional (name, hint) -> node name (gluon: block prefixes)
        self.pending = {}           # Value -> resolver(shape): inputs whose shape an op must infer
        self.write_inputs = False   # graph.trace/compile: an op may update a plain input (written back)

    def placeholder(self, spec, name=None, kind="input"):
        if self.device is None:
            self.device = spec.device
        return Traced(self, self.graph.add_input(TensorSpec(spec.shape, spec.dtype, spec.device), name, kind))

    def constant(self, value, dtype, device):
        from ..nd.ndarray import NDArray
        from ..kernels import backend
        if isinstance(value, NDArray):
            return self._capture(value)
        device = device or self.device or current_context()
        arr = np.asarray(value, dtype=dtype)
        return Traced(self, self.graph.add_constant(backend.to_device(arr, device),
                                                    TensorSpec(arr.shape, arr.dtype, device)))

    def _capture(self, nd_array):
        v = self._captured.get(id(nd_array))
        if v is None:
            v = self.graph.add_constant(nd_array._data, TensorSpec(nd_array.shape, nd_array.dtype,
                                                                   nd_array.context))
            self._captured[id(nd_array)] = (v, nd_array)   # keep the array alive
            return Traced(self, v)
        return Traced(self, v[0])

    def _value_of(self, a):
        if isinstance(a, Traced):
            if a._trace is not self:
                if not a._trace.active:
                    raise LeakedTracerError(
                        f"a traced value {fmt_spec(a._value.spec)} was used after its trace ended (at "
                        f"{user_line()}). Traced values live only inside the traced function: return them "
                        "instead of storing them on self or in globals.")
                raise HybridNetError("a traced value from another (outer) trace was used inside this trace; "
                                     "pass it in as an argument instead")
            return a._value
        return self.constant(a, None, None)._value

    def apply(self, op, args, attrs, name=None):
        if not self.active:
            raise LeakedTracerError(f"operator {op.name} was applied to a traced value after its trace ended "
                                    f"(at {user_line()}). Traced values live only inside the traced function.")
        vals = tuple(None if a is None else self._value_of(a) for a in args)
        if self.pending and any(v in self.pending for v in vals):
            self._resolve_pending(op, vals, attrs)
        if self.namer is not None:
            name = self.namer(name, op.name.lower())
        if not vals and "ctx" in op.attr_map and attrs.get("ctx") is None and self.device is not None:
            attrs = {**attrs, "ctx": self.device}   # creation/random ops land on the traced data's device
        specs = op.infer(*[None if v is None else _AsSpec(v.spec) for v in vals], **attrs)
        multi = isinstance(specs, (tuple, list))
        node = self.graph.add_node(op, vals, attrs, specs if multi else (specs,), name)
        outs = tuple(Traced(self, o) for o in node.outputs)
        return outs if multi else outs[0]

    def write_state(self, target, value):
        """Record that ``value`` is the new content of the graph input ``target`` (a state)."""
        tv = self._value_of(target)
        if tv.kind not in ("param", "state") and not (tv.kind == "input" and self.write_inputs):
            if tv.kind == "const":
                return      # a captured array updated in a trace: the caller's array is left alone
            raise HybridNetError(f"an op updates {target!r}, which is not a graph input; states must be "
                                 "Parameters (e.g. BatchNorm's running_mean)")
        self.graph.state_writes.append((tv, self._value_of(value)))

    def _resolve_pending(self, op, vals, attrs):
        """Fill unknown (deferred) input shapes from the op's ``infer_params`` rule (MXNet's
        weight-side shape inference: ``FullyConnected`` gives ``weight`` from ``data``)."""
        unknown = [v for v in vals if v in self.pending]
        got = {}
        if op.infer_params is not None:
            shapes = tuple(None if v is None or v in self.pending else tuple(v.spec.shape) for v in vals)
            got = op.infer_params(shapes, **attrs) or {}
        names = [n.rstrip("?") for n in op.inputs]
        if not got and op.pattern.name == "ELEMWISE":
            ref = next((v.spec.shape for v in vals if v is not None and v not in self.pending), None)
            if ref is not None:
                got = {names[i] if i < len(names) else i: tuple(ref) for i in range(len(vals))}
        names = [n.rstrip("?") for n in op.inputs]
        for i, v in enumerate(vals):
            if v is None or v not in self.pending:
                continue
            shape = got.get(names[i]) if i < len(names) else None
            resolver = self.pending[v]
            if shape is None:
                resolver(None, op)      # raises: the shape cannot be inferred
                continue
            shape = resolver(tuple(shape), op)
            v.spec = TensorSpec(shape, v.spec.dtype, v.spec.device)
            del self.pending[v]
        return unknown

    @contextlib.contextmanager
    def activate(self):
        tok = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(tok)


class _AsSpec:
    __slots__ = ("shape", "dtype", "device")

    def __init__(self, s):
        self.shape, self.dtype, self.device = s.shape, s.dtype, s.device


def _flatten(out):
    if isinstance(out, (list, tuple)):
        flat, struct = [], []
        for o in out:
            f, s = _flatten(o)
            flat.extend(f)
            struct.append(s)
        return flat, (type(out), struct)
    return [out], None


def unflatten(flat, struct):
    # No recursive closure here: one (``build`` referring to itself) made a reference cycle that kept
    # every call's outputs alive until the next garbage collection, so a compiled function's fresh
    # outputs page-faulted new memory on each call (1 Mi float32: 0.3 -> 3.9 ms per call).
    return _build(struct, iter(flat))


def _build(s, it):
    if s is None:
        return next(it)
    typ, subs = s
    return typ(_build(x, it) for x in subs)


class TracedFunction:
    """The result of ``trace``: the graph plus how to map arguments and results."""

    def __init__(self, graph, out_struct, arg_names, state_args=()):
        self.graph = graph
        self.out_struct = out_struct
        self.arg_names = arg_names
        # inputs an op updates (BatchNorm's moving stats): their new values are the last graph outputs
        self.state_args = tuple(state_args)

    def __str__(self):
        return str(self.graph)


def trace(fn, *example_args, names=None):
    """Trace ``fn(*arrays)`` into a graph. Example args are NDArrays or TensorSpecs (only their shape,
    dtype and device are used). Returns a ``TracedFunction`` (``.graph`` is the IR).

    >>> from hybridnet import nd, graph
    >>> tf = graph.trace(lambda x: nd.relu(x * 2 + 1), nd.ones((2, 3)))
    >>> [n.op.name for n in tf.graph.nodes]
    ['_mul_scalar', '_plus_scalar', 'relu']
    """
    t = GraphTrace()
    t.write_inputs = True
    names = names or [f"data{i}" if len(example_args) > 1 else "data" for i in range(len(example_args))]
    args = [t.placeholder(a, n) for a, n in zip(example_args, names)]
    try:
        with t.activate():
            out = fn(*args)
        flat, struct = _flatten(out)
        outs = []
        for o in flat:
            if not isinstance(o, Traced):
                o = t.constant(o, getattr(o, "dtype", None), None)
            outs.append(t._value_of(o))
        arg_vals = [a._value for a in args]
        state_args = [arg_vals.index(tv) for tv, nv in t.graph.state_writes]
        t.graph.outputs = outs + [nv for tv, nv in t.graph.state_writes]
    finally:
        t.active = False
    return TracedFunction(t.graph, struct, names, state_args)
