"""``Symbol.bind`` / ``simple_bind`` -> ``Executor`` (MXNet 1.x's executor API on the graph engine).

Binding infers every shape and dtype from the bound arrays, converts the Symbol graph into a
``hybridnet.graph.ir.Graph`` (arguments then auxiliary states as graph inputs, real ``TensorSpec``s)
and runs it with ``graph.executor.Executable``. ``forward(is_train=True)`` with any ``grad_req`` other
than ``'null'`` runs the forward half of ``graph.autodiff.build_grad`` (keeping its residuals);
``backward(out_grads)`` runs the backward half and writes (``'write'``) or adds (``'add'``) into
``grad_dict``.

>>> from hybridnet import sym, nd
>>> x = sym.var('x')
>>> ex = (x * x).bind(None, {'x': nd.array([1, 2])}, args_grad={'x': nd.zeros(2)})
>>> ex.forward(is_train=True)[0].asnumpy().tolist()
[1.0, 4.0]
>>> ex.backward(nd.ones(2)); ex.grad_dict['x'].asnumpy().tolist()
[2.0, 4.0]
"""
import numpy as np

from ..device import resolve
from ..errors import HybridNetError, ShapeError
from ..graph.ir import Graph
from ..ops.spec import TensorSpec
from .infer import infer_graph
from .symbol import VARIABLE

__all__ = ["Executor", "simple_bind"]

_REQS = ("write", "add", "null", "inplace")


def _as_dict(what, names, value, allow_none=False, extra_ok=False):
    """A list (in ``names`` order) or dict of arrays -> dict; missing names raise."""
    from ..nd.ndarray import NDArray
    if value is None:
        return {}
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise HybridNetError(f"bind: {what} has {len(value)} arrays but the symbol has {len(names)} "
                                 f"({names}); pass one per name, or a dict")
        value = dict(zip(names, value))
    elif not isinstance(value, dict):
        raise TypeError(f"bind: {what} must be a list or a dict of NDArrays, got {type(value).__name__}")
    for k, v in value.items():
        if v is not None and not isinstance(v, NDArray):
            raise TypeError(f"bind: {what}[{k!r}] must be an NDArray, got {type(v).__name__}")
    if not allow_none:
        missing = [n for n in names if value.get(n) is None]
        if missing:
            raise HybridNetError(f"bind: {what} is missing {missing} (the symbol needs {names}); pass an "
                                 f"array for each, or use simple_bind(ctx, **shapes) to allocate them")
    return {n: value[n] for n in names if value.get(n) is not None}


class Executor:
    """The result of ``Symbol.bind``: ``forward``, ``backward``, ``outputs``, ``arg_dict``,
    ``grad_dict``, ``aux_dict``, ``output_dict``, ``copy_params_from``, ``reshape``."""

    def __init__(self, symbol, ctx, args, args_grad=None, grad_req="write", aux_states=None):
        self._symbol = symbol
        self._ctx = resolve(ctx)
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self.arg_dict = _as_dict("args", self._arg_names, args)
        self.aux_dict = _as_dict("aux_states", self._aux_names, aux_states)
        self.grad_dict = _as_dict("args_grad", self._arg_names, args_grad, allow_none=True)
        if isinstance(grad_req, str):
            reqs = {n: grad_req for n in self._arg_names}
        elif isinstance(grad_req, (list, tuple)):
            reqs = dict(zip(self._arg_names, grad_req))
        elif isinstance(grad_req, dict):
            reqs = {n: grad_req.get(n, "null") for n in self._arg_names}
        else:
            raise TypeError(f"grad_req must be a str, list or dict, got {type(grad_req).__name__}")
        for n, r in reqs.items():
            if r not in _REQS:
                raise HybridNetError(f"grad_req for {n!r} is {r!r}; use one of {_REQS}")
            if r != "null" and n not in self.grad_dict:
                reqs[n] = "null"     # MXNet: no gradient array, no gradient
        self._grad_req = reqs
        for n, a in list(self.arg_dict.items()) + list(self.aux_dict.items()):
            if a.context != self._ctx:
                raise HybridNetError(f"bind: array {n!r} is on {a.context} but the executor is bound to "
                                     f"{self._ctx}; copy it with .as_in_context({self._ctx})")
        self.outputs = []
        self._build()

    # ---- graph ---------------------------------------------------------------------------------
    def _build(self):
        sym = self._symbol
        arrays = {**self.arg_dict, **self.aux_dict}
        shapes, types = infer_graph(sym, {n: a.shape for n, a in arrays.items()},
                                    {n: a.dtype for n, a in arrays.items()}, device=self._ctx)
        g = Graph()
        env = {}
        nodes = sym._nodes()
        var_nodes = {n.name: n for n in nodes if n.op is VARIABLE}
        self._input_names = self._arg_names + self._aux_names
        for name in self._input_names:
            v = var_nodes[name].outputs[0]
            a = arrays[name]
            env[v] = g.add_input(TensorSpec(a.shape, a.dtype, self._ctx), name,
                                 "state" if name in self.aux_dict else "input")
        for n in nodes:
            if n.op is VARIABLE:
                continue
            ins = [None if v is None else env[v] for v in n.inputs]
            specs = [TensorSpec(shapes[o], types[o], self._ctx) for o in n.outputs]
            node = g.add_node(n.op, ins, n.attrs, specs, n.name)
            env.update(zip(n.outputs, node.outputs))
        g.outputs = [env[v] for v in sym._outputs]
        self._graph = g
        self._fwd = None
        self._grad = None
        self._residuals = None
        self._output_names = sym.list_outputs()

    def _forward_exec(self):
        if self._fwd is None:
            from ..graph.executor import Executable
            self._fwd = Executable(self._graph)
        return self._fwd

    def _grad_exec(self):
        if self._grad is None:
            from ..graph.autodiff import build_grad
            self._wrt = [i for i, n in enumerate(self._arg_names) if self._grad_req[n] != "null"]
            self._grad = build_grad(self._graph, wrt=self._wrt)
        return self._grad

    # ---- running ---------------------------------------------------------------------------------
    def forward(self, is_train=False, **kwargs):
        """Run the graph; ``kwargs`` are copied into ``arg_dict`` first. Returns ``outputs``."""
        from ..autograd import tape
        from ..nd.ndarray import NDArray
        for k, v in kwargs.items():
            if k not in self.arg_dict:
                raise HybridNetError(f"forward: unknown argument {k!r}; the arguments are {self._arg_names}")
            dst = self.arg_dict[k]
            if tuple(getattr(v, "shape", ())) != dst.shape:
                raise ShapeError(f"forward: {k!r} has shape {tuple(v.shape)} but the executor was bound with "
                                 f"{dst.shape}; use reshape({k}={tuple(v.shape)}) for a new shape")
            dst[:] = v
        datas = [(self.arg_dict.get(n) if n in self.arg_dict else self.aux_dict[n])._data
                 for n in self._input_names]
        token = tape.TRAINING.set(bool(is_train))
        try:
            if is_train and any(r != "null" for r in self._grad_req.values()):
                fwd, _, n_out = self._grad_exec()
                raw = fwd.run(*datas)
                self._residuals = raw[n_out:]
                raw = raw[:n_out]
            else:
                raw = self._forward_exec().run(*datas)
                self._residuals = None
        finally:
            tape.TRAINING.reset(token)
        self.outputs = [NDArray(r, self._ctx) for r in raw]
        return self.outputs

    def backward(self, out_grads=None, is_train=True):
        """Gradients of the outputs w.r.t. the arguments with ``grad_req`` write/add; ``out_grads``
        (one NDArray per output, default ones) are the head gradients."""
        from ..nd import ones
        if self._residuals is None:
            raise HybridNetError("backward() needs a preceding forward(is_train=True) on an executor bound "
                                 "with args_grad and grad_req other than 'null'")
        if out_grads is None:
            out_grads = [ones(o.shape, ctx=self._ctx, dtype=o.dtype) for o in self.outputs]
        elif not isinstance(out_grads, (list, tuple)):
            out_grads = [out_grads]
        if len(out_grads) != len(self.outputs):
            raise HybridNetError(f"backward: got {len(out_grads)} out_grads for {len(self.outputs)} outputs")
        for i, (g, o) in enumerate(zip(out_grads, self.outputs)):
            if tuple(g.shape) != tuple(o.shape):
                raise ShapeError(f"backward: out_grads[{i}] has shape {tuple(g.shape)}, output "
                                 f"{self._output_names[i]!r} has {tuple(o.shape)}")
        _, bwd, _ = self._grad_exec()
        gs = bwd.run(*self._residuals, *[g._data for g in out_grads])
        from ..nd.ndarray import NDArray
        for i, g in zip(self._wrt, gs):
            name = self._arg_names[i]
            dst = self.grad_dict[name]
            g = NDArray(g, self._ctx)
            if self._grad_req[name] == "add":
                dst[:] = dst + g
            else:
                dst[:] = g

    @property
    def output_dict(self):
        return dict(zip(self._output_names, self.outputs))

    @property
    def arg_arrays(self):
        return [self.arg_dict[n] for n in self._arg_names]

    @property
    def grad_arrays(self):
        return [self.grad_dict.get(n) for n in self._arg_names]

    @property
    def aux_arrays(self):
        return [self.aux_dict[n] for n in self._aux_names]

    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        """Copy arrays into ``arg_dict`` / ``aux_dict`` by name (shapes must match)."""
        for what, params, dst in (("arg_params", arg_params, self.arg_dict),
                                  ("aux_params", aux_params or {}, self.aux_dict)):
            for k, v in params.items():
                if k in dst:
                    if tuple(v.shape) != dst[k].shape:
                        raise ShapeError(f"copy_params_from: {what}[{k!r}] has shape {tuple(v.shape)}, the "
                                         f"executor's array has {dst[k].shape}")
                    dst[k][:] = v.astype(dst[k].dtype) if v.dtype != dst[k].dtype else v
                elif not allow_extra_params:
                    raise ValueError(f"Find name \"{k}\" that is not in the {what[:3]}uments"
                                     if what == "arg_params" else
                                     f"Find name {k} that is not in the auxiliary states")

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):
        """A new executor for new input shapes; arrays whose shape is unchanged are shared."""
        from ..nd import zeros
        shapes = {n: a.shape for n, a in self.arg_dict.items()}
        shapes.update(kwargs)
        got, types = infer_graph(self._symbol, shapes, {n: a.dtype for n, a in self.arg_dict.items()})
        by_name = {n.name: n.outputs[0] for n in self._symbol._nodes() if n.op is VARIABLE}
        new = {}
        for what, src in (("arg", self.arg_dict), ("aux", self.aux_dict), ("grad", self.grad_dict)):
            d = {}
            for n, a in src.items():
                s = got.get(by_name[n])
                if s is None:
                    raise ShapeError(f"reshape: cannot infer the new shape of {n!r}")
                if tuple(s) == a.shape:
                    d[n] = a
                else:
                    if n not in kwargs and not partial_shaping:
                        raise HybridNetError(f"reshape: the shape of {n!r} changes from {a.shape} to {tuple(s)}"
                                             " but it was not named; pass partial_shaping=True")
                    d[n] = zeros(s, ctx=self._ctx, dtype=a.dtype)
            new[what] = d
        return Executor(self._symbol, self._ctx, new["arg"], new["grad"] or None, self._grad_req,
                        new["aux"] or None)

    def __repr__(self):
        return f"<Executor {self._symbol!r} on {self._ctx}>"


def simple_bind(symbol, ctx, grad_req="write", type_dict=None, shapes=None, shared_arg_names=None,
                shared_exec=None, shared_buffer=None):
    """Infer every shape from ``shapes`` (name -> shape), allocate zeros for arguments, gradients and
    auxiliary states, and bind.

    Sharing, as MXNet's ``simple_bind`` (bucketing: executors for several sequence lengths over one set
    of parameters): arguments named in ``shared_arg_names`` use ``shared_exec``'s arrays (and its
    gradient arrays), which must have the inferred shape and dtype; ``shared_exec``'s auxiliary states
    are used likewise. Other arguments are taken from ``shared_buffer`` (name -> NDArray) when an array
    of that name is there and large enough (a view of its first elements), and new ones are added to
    it. (MXNet 1.9.1 shares nothing unless ``shared_buffer`` is also passed, silently ignoring
    ``shared_exec``; here ``shared_exec`` is honoured either way, as its documentation says.)"""
    from ..nd import zeros
    ctx = resolve(ctx)
    got, types = infer_graph(symbol, dict(shapes or {}), dict(type_dict or {}), device=ctx)
    by_name = {n.name: n.outputs[0] for n in symbol._nodes() if n.op is VARIABLE}
    arg_names, aux_names = symbol.list_arguments(), symbol.list_auxiliary_states()
    unknown = [n for n in arg_names + aux_names if got.get(by_name[n]) is None]
    if unknown:
        raise ShapeError(f"simple_bind: cannot infer the shapes of {unknown} from {shapes}; pass them as "
                         f"keyword shapes, e.g. simple_bind(ctx, {unknown[0]}=(...))")
    shared_names = set(shared_arg_names or ())
    if shared_names and shared_exec is None:
        raise HybridNetError("simple_bind: shared_arg_names needs shared_exec (the executor whose arrays "
                             "are shared)")

    def spec(n):
        return tuple(got[by_name[n]]), np.dtype(types.get(by_name[n]) or "float32")

    def alloc(n):
        shape, dt = spec(n)
        return zeros(shape, ctx=ctx, dtype=dt)

    def shared(n, table, what):
        a = table.get(n)
        if a is None:
            raise HybridNetError(f"simple_bind: shared_exec has no {what} {n!r} to share")
        shape, dt = spec(n)
        if tuple(a.shape) != shape or np.dtype(a.dtype) != dt:
            raise ShapeError(f"simple_bind: shared {what} {n!r} is {a.dtype}{list(a.shape)} in shared_exec "
                             f"but {dt}{list(shape)} here; share only arrays whose shape does not change "
                             "(the parameters), not the data")
        return a

    def from_buffer(n):
        if shared_buffer is None:
            return alloc(n)
        shape, dt = spec(n)
        a = shared_buffer.get(n)
        size = int(np.prod(shape, dtype=np.int64))
        if a is not None and np.dtype(a.dtype) == dt and a.size >= size and a.context == ctx:
            from ..nd.ndarray import NDArray     # a view of the buffer's first elements (shared memory)
            return NDArray(a._data.reshape(-1)[:size].reshape(shape), a.context)
        a = shared_buffer[n] = alloc(n)
        return a

    args = {n: shared(n, shared_exec.arg_dict, "argument") if n in shared_names else from_buffer(n)
            for n in arg_names}
    if isinstance(grad_req, str):
        need = {n: grad_req != "null" for n in arg_names}
    elif isinstance(grad_req, dict):
        need = {n: grad_req.get(n, "null") != "null" for n in arg_names}
    else:
        need = {n: r != "null" for n, r in zip(arg_names, grad_req)}
    grads = {}
    for n in arg_names:
        if need[n]:
            shared_grad = shared_exec.grad_dict.get(n) if n in shared_names else None
            grads[n] = shared(n, shared_exec.grad_dict, "gradient") if shared_grad is not None else alloc(n)
    aux = {n: shared(n, shared_exec.aux_dict, "auxiliary state") if shared_exec is not None
           and n in shared_exec.aux_dict else alloc(n) for n in aux_names}
    return Executor(symbol, ctx, args, grads or None, grad_req, aux or None)
