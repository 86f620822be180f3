"""``Symbol``: MXNet 1.x's symbolic API as a view over graph-IR nodes (``hybridnet.graph.ir.Node``).

A Symbol is a list of output *entries* (the ``Value``s ``node.outputs[i]``) of a graph of ``SymNode``s;
variables are nodes of the special ``null`` op (``VARIABLE``). Unlike traced values, Symbols follow
MXNet's Symbol semantics (gluon-semantics.md §0 fact 3): ``a + b`` is ``elemwise_add`` (no
broadcasting), ``s[i]`` selects output ``i`` and ``len(s)`` is the number of outputs. Shapes are not
known at construction: nothing runs ``infer`` until ``infer_shape`` / ``bind``.

Every node keeps two attribute views: ``attrs`` (normalised Python values of the op's parameters, what
kernels and ``infer`` read) and ``sattrs`` (the string dict MXNet stores: the parameters the user gave,
encoded as MXNet writes them, plus user attributes such as ``__shape__`` or ``__lr_mult__``).

>>> from hybridnet import sym
>>> fc = sym.FullyConnected(sym.var('data'), num_hidden=8, name='fc1')
>>> fc.list_arguments(), fc.list_outputs()
(['data', 'fc1_weight', 'fc1_bias'], ['fc1_output'])
>>> fc.infer_shape(data=(2, 5))
([(2, 5), (8, 5), (8,)], [(2, 8)], [])
"""
import inspect
import numbers
import threading

import numpy as np

from .. import dtypes
from ..errors import AttrError, DTypeError, HybridNetError
from ..graph.ir import Node
from ..ops.bind import normalize_attrs
from ..ops.opdef import OpDef, Pattern
from ..ops.registry import get_op

__all__ = ["Symbol", "var", "Variable", "Group", "VARIABLE", "SymNode", "NameManager", "Prefix",
           "make_symbol_function", "entry_name"]

# The op of variable nodes (MXNet's "null"); never registered, never run.
VARIABLE = OpDef("null", (), None, Pattern.OPAQUE, public=False, doc="a variable (graph argument)")


class SymNode(Node):
    """An IR node of a Symbol graph: output values have ``spec=None`` until shapes are inferred."""
    __slots__ = ("sattrs",)

    def __init__(self, op, inputs, attrs, n_out, name, sattrs):
        super().__init__(op, inputs, attrs, [None] * n_out, name)
        self.sattrs = sattrs

    @property
    def is_var(self):
        return self.op is VARIABLE


def n_visible(op, attrs, n_outputs):
    """How many of a node's outputs MXNet shows (``OpDef.num_visible_outputs``: None = all, an int, or
    a function of the attrs such as BatchNorm's ``output_mean_var``)."""
    n = getattr(op, "num_visible_outputs", None)
    if callable(n):
        n = n(attrs or {})
    return n or n_outputs


def aux_positions(op):
    """Input positions an op mutates (MXNet's auxiliary states, e.g. BatchNorm's running stats):
    the inputs its ``OpDef.state_outputs`` overwrite."""
    return {i for _, i in getattr(op, "state_positions", ())}


# ---- naming (mx.name.NameManager / Prefix) --------------------------------------------------------

class NameManager:
    """Automatic node names: ``hint`` + a per-hint counter (``relu0``, ``relu1``...).

    ``with NameManager():`` starts fresh counters; ``with Prefix('net_'):`` prefixes every op name."""
    _local = threading.local()

    def __init__(self):
        self._counter = {}
        self._old = None

    def get(self, name, hint):
        if name:
            return name
        n = self._counter.get(hint, 0)
        self._counter[hint] = n + 1
        return f"{hint}{n}"

    def __enter__(self):
        self._old = NameManager.current()
        NameManager._local.value = self
        return self

    def __exit__(self, *exc):
        NameManager._local.value = self._old

    @staticmethod
    def current():
        v = getattr(NameManager._local, "value", None)
        if v is None:
            v = NameManager._local.value = NameManager()
        return v


class Prefix(NameManager):
    """``with mx.name.Prefix('net_'):`` names ops ``net_relu0`` (and ``net_x`` for ``name='x'``)."""

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)


class AttrScope:
    """``with mx.AttrScope(ctx_group='dev1'):`` symbols created inside get these attributes (string
    values; the user's ``attr=`` wins on conflicts). Scopes nest, inner keys override outer ones.

    >>> import hybridnet as mx
    >>> with mx.AttrScope(ctx_group='stage1'):
    ...     x = mx.sym.var('x')
    >>> x.attr('ctx_group')
    'stage1'
    """
    _local = threading.local()

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            if not isinstance(v, str):
                raise ValueError(f"Attributes need to be string, got {k}={v!r}")
        self._attr = kwargs
        self._old = None

    def get(self, attr):
        """The scope's attributes updated with ``attr``."""
        if not self._attr:
            return dict(attr) if attr else {}
        ret = dict(self._attr)
        if attr:
            ret.update(attr)
        return ret

    def __enter__(self):
        self._old = AttrScope.current()
        merged = dict(self._old._attr)
        merged.update(self._attr)
        self._attr = merged
        AttrScope._local.value = self
        return self

    def __exit__(self, *exc):
        AttrScope._local.value = self._old

    @staticmethod
    def current():
        v = getattr(AttrScope._local, "value", None)
        if v is None:
            v = AttrScope._local.value = AttrScope()
        return v


def _scope_attrs(sattrs):
    """Add the current AttrScope's attributes (MXNet stores ctx_group etc. as ``__key__``)."""
    scope = AttrScope.current()._attr
    for k, v in scope.items():
        key = f"__{k}__" if k in _HIDDEN_KEYS and not k.startswith("__") else k
        sattrs.setdefault(key, v)
    return sattrs


def _topo(values):
    """Nodes reachable from ``values`` in NNVM's DFS post-order (inputs in order), iteratively."""
    order, seen = [], set()
    for v in values:
        root = v.producer
        if id(root) in seen:
            continue
        stack = [(root, 0)]
        seen.add(id(root))
        while stack:
            node, i = stack[-1]
            ins = node.inputs
            while i < len(ins) and (ins[i] is None or id(ins[i].producer) in seen):
                i += 1
            if i < len(ins):
                stack[-1] = (node, i + 1)
                child = ins[i].producer
                seen.add(id(child))
                stack.append((child, 0))
            else:
                stack.pop()
                order.append(node)
    return order


def entry_name(value):
    """MXNet's output name of an entry: ``data`` for a variable, ``fc1_output``, ``split0_output1``."""
    n = value.producer
    if n.op is VARIABLE:
        return n.name
    names = getattr(n.op, "output_names", None)     # MXNet's FListOutputNames (Dropout: output, mask)
    if names and value.index < len(names):
        return f"{n.name}_{names[value.index]}"
    if len(n.outputs) == 1:
        return f"{n.name}_output"
    return f"{n.name}_output{value.index}"


_NUM = (numbers.Number, np.generic)


class Symbol:
    """A list of graph outputs. See the module doc; MXNet: ``mxnet/symbol/symbol.py``."""
    __slots__ = ("_outputs", "__weakref__")

    def __init__(self, outputs):
        self._outputs = list(outputs)

    # ---- structure -------------------------------------------------------------------------
    @property
    def name(self):
        """The node name for a single-output symbol, ``None`` for a group."""
        return self._outputs[0].producer.name if len(self._outputs) == 1 else None

    def __len__(self):
        return len(self._outputs)

    def __iter__(self):
        return (Symbol([v]) for v in self._outputs)

    def __getitem__(self, index):
        if isinstance(index, str):
            names = self.list_outputs()
            idx = [i for i, n in enumerate(names) if n == index]
            if not idx:
                raise ValueError(f"There is no output named {index!r}; the outputs are {names}")
            if len(idx) > 1:
                raise ValueError(f"There are multiple outputs with name {index!r}")
            index = idx[0]
        if isinstance(index, slice):
            return Symbol(self._outputs[index])
        if not isinstance(index, numbers.Integral):
            raise TypeError(f"Symbol index must be an int, a slice or an output name, got {type(index).__name__}")
        n = len(self._outputs)
        if not -n <= index < n:
            raise IndexError(f"Symbol index {index} out of range: the symbol has {n} output(s)")
        return Symbol([self._outputs[index]])

    def _nodes(self):
        return _topo(self._outputs)

    def _aux_nodes(self, nodes=None):
        aux = set()
        for n in nodes if nodes is not None else self._nodes():
            for i in aux_positions(n.op):
                if i < len(n.inputs) and n.inputs[i] is not None and n.inputs[i].producer.op is VARIABLE:
                    aux.add(id(n.inputs[i].producer))
        return aux

    def list_arguments(self):
        """Names of the variables that are not auxiliary states, in MXNet's DFS order."""
        nodes = self._nodes()
        aux = self._aux_nodes(nodes)
        return [n.name for n in nodes if n.op is VARIABLE and id(n) not in aux]

    def list_auxiliary_states(self):
        nodes = self._nodes()
        aux = self._aux_nodes(nodes)
        return [n.name for n in nodes if id(n) in aux]

    def list_inputs(self):
        """All variables (arguments and auxiliary states) in DFS order."""
        return [n.name for n in self._nodes() if n.op is VARIABLE]

    def list_outputs(self):
        return [entry_name(v) for v in self._outputs]

    def get_internals(self):
        """A group of every output of every node (``internals['fc1_output']`` for features)."""
        return Symbol([o for n in self._nodes() for o in n.outputs
                       if o.index < n_visible(n.op, n.attrs, len(n.outputs))])

    def get_children(self):
        """The inputs of this symbol's head node as a group, or ``None`` for a variable."""
        ins = [v for n in {id(v.producer): v.producer for v in self._outputs}.values()
               for v in n.inputs if v is not None]
        return Symbol(ins) if ins else None

    # ---- attributes ------------------------------------------------------------------------
    def _head(self, what):
        if len(self._outputs) != 1:
            return None
        return self._outputs[0].producer

    def attr(self, key):
        """The string attribute ``key`` of the head node (``None`` when absent or for a group)."""
        n = self._head("attr")
        return None if n is None else _with_hidden(n.sattrs).get(key)

    def list_attr(self, recursive=False):
        if recursive:
            raise DeprecationWarning("Symbol.list_attr with recursive=True has been deprecated. "
                                     "Please use attr_dict instead.")
        n = self._head("list_attr")
        if n is None:
            return {}
        return _with_hidden(n.sattrs)

    def attr_dict(self):
        """``{node name: {key: value}}`` for every node that has attributes."""
        return {n.name: _with_hidden(n.sattrs) for n in self._nodes() if n.sattrs}

    def _set_attr(self, **kwargs):
        n = self._head("_set_attr")
        if n is None:
            raise HybridNetError("_set_attr needs a single-output symbol")
        for k, v in kwargs.items():
            if not isinstance(v, str):
                raise ValueError(f"Set Attr only accepts string values, got {k}={v!r}")
            n.sattrs[k] = v

    # ---- composition -----------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        """Copy the graph, substituting arguments (positionally in ``list_arguments`` order or by
        name): ``net(data=other)``."""
        s = self.__copy__()
        s._compose(*args, **kwargs)
        return s

    def _compose(self, *args, **kwargs):
        kwargs.pop("name", None)
        if args and kwargs:
            raise TypeError("compose only accept input Symbols either as positional or keyword arguments, "
                            "not both")
        for a in list(args) + list(kwargs.values()):
            if not isinstance(a, Symbol):
                raise TypeError(f"Compose expects Symbol arguments, got {type(a).__name__}")
            if len(a) != 1:
                raise HybridNetError("Compose expects single-output Symbols as arguments")
        arg_names = self.list_arguments()
        if args:
            if len(args) > len(arg_names):
                raise HybridNetError(f"compose got {len(args)} positional symbols but the symbol has only "
                                     f"{len(arg_names)} arguments {arg_names}")
            subst = dict(zip(arg_names, args))
        else:
            unknown = [k for k in kwargs if k not in self.list_inputs()]
            if unknown:
                raise HybridNetError(f"compose: {unknown} are not arguments of the symbol; its arguments "
                                     f"are {arg_names}")
            subst = kwargs
        repl = {}
        for n in self._nodes():
            if n.op is VARIABLE and n.name in subst:
                repl[n.outputs[0]] = subst[n.name]._outputs[0]
        if not repl:
            return
        for n in self._nodes():
            n.inputs = tuple(repl.get(v, v) if v is not None else None for v in n.inputs)
        self._outputs = [repl.get(v, v) for v in self._outputs]

    def __copy__(self):
        """Deep copy of the graph (nodes are mutable through ``_set_attr`` and compose)."""
        mapping = {}
        for n in self._nodes():
            new = SymNode.__new__(SymNode)
            new.op, new.attrs, new.name, new.sattrs = n.op, dict(n.attrs), n.name, dict(n.sattrs)
            new.inputs = tuple(None if v is None else mapping[v.producer].outputs[v.index] for v in n.inputs)
            new.outputs = tuple(type(o)(None, new, o.index) for o in n.outputs)
            mapping[n] = new
        return Symbol([mapping[v.producer].outputs[v.index] for v in self._outputs])

    def __deepcopy__(self, memo):
        return self.__copy__()

    def __repr__(self):
        if len(self._outputs) == 1:
            return f"<Symbol {self.name}>"
        return "<Symbol group [" + ", ".join(self.list_outputs()) + "]>"

    def __bool__(self):
        raise NotImplementedError("The truth value of a Symbol is not defined (it has no value until it "
                                  "is bound); compare inside an op, e.g. sym.where(...)")

    __hash__ = object.__hash__

    def __reduce__(self):
        return (load_json, (self.tojson(),))

    def __getstate__(self):
        return {"handle": self.tojson()}

    # ---- operators (MXNet: element-wise, no broadcasting; names as mxnet/symbol/symbol.py) -----
    def __neg__(self):
        return _apply("_mul_scalar", "_mulscalar", (self,), {"scalar": -1.0})

    def __pos__(self):
        return self

    def __abs__(self):
        return _apply("abs", "abs", (self,), {})

    # ---- inference ---------------------------------------------------------------------------
    def infer_shape(self, *args, **kwargs):
        """``(arg_shapes, out_shapes, aux_shapes)`` from the shapes given (positionally in
        ``list_arguments`` order, or by name) and the variables' ``__shape__``. When some shape
        cannot be decided: a UserWarning naming the arguments and ``(None, None, None)``."""
        from .infer import infer_shape
        return infer_shape(self, args, kwargs, partial=False)

    def infer_shape_partial(self, *args, **kwargs):
        """Like ``infer_shape`` but unknown shapes are ``()`` instead of a warning."""
        from .infer import infer_shape
        return infer_shape(self, args, kwargs, partial=True)

    def infer_type(self, *args, **kwargs):
        """``(arg_types, out_types, aux_types)`` (NumPy scalar types) from the dtypes given."""
        from .infer import infer_type
        return infer_type(self, args, kwargs)

    def infer_type_partial(self, *args, **kwargs):
        from .infer import infer_type
        return infer_type(self, args, kwargs, partial=True)

    # ---- serialisation -----------------------------------------------------------------------
    def tojson(self):
        from .json_io import tojson
        return tojson(self)

    def save(self, fname, remove_amp_cast=True):
        from .json_io import save
        save(self, fname)

    def debug_str(self):
        lines = []
        for n in self._nodes():
            if n.op is VARIABLE:
                lines.append(f"Variable:{n.name}")
            else:
                lines.append("-" * 40)
                lines.append(f"Op:{n.op.name}, Name={n.name}")
                lines.append("Inputs:")
                for i, v in enumerate(n.inputs):
                    if v is not None:
                        lines.append(f"\targ[{i}]={v.producer.name}({v.index})")
                if n.sattrs:
                    lines.append("Attrs:")
                    lines += [f"\t{k}={v}" for k, v in n.sattrs.items()]
        return "\n".join(lines)

    # ---- execution ---------------------------------------------------------------------------
    def bind(self, ctx, args, args_grad=None, grad_req="write", aux_states=None, group2ctx=None,
             shared_exec=None):
        from .executor import Executor
        return Executor(self, ctx, args, args_grad, grad_req, aux_states)

    def simple_bind(self, ctx, grad_req="write", type_dict=None, stype_dict=None, group2ctx=None,
                    shared_arg_names=None, shared_exec=None, shared_buffer=None, **kwargs):
        from .executor import simple_bind
        return simple_bind(self, ctx, grad_req, type_dict, kwargs, shared_arg_names, shared_exec, shared_buffer)

    def eval(self, ctx=None, **kwargs):
        """Bind the given arrays, run forward, return the list of output NDArrays."""
        from ..device import current_context
        ctx = ctx if ctx is not None else current_context()
        return self.bind(ctx, kwargs, grad_req="null").forward()

    def gradient(self, wrt):
        raise NotImplementedError("Symbol.gradient is not implemented in MXNet 1.x either "
                                  "(use bind(...).backward())")


# MXNet's C API reports these ``__key__`` attributes under ``key`` as well (kHiddenKeys).
_HIDDEN_KEYS = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage", "profiler_scope")


def _with_hidden(sattrs):
    out = dict(sattrs)
    for k in _HIDDEN_KEYS:
        if f"__{k}__" in out:
            out[k] = out[f"__{k}__"]
    return out


def _binop(ename, ehint, sname, shint, rname=None, rhint=None):
    def fwd(self, other):
        if isinstance(other, Symbol):
            return _apply(ename, ehint, (self, other), {})
        if isinstance(other, _NUM):
            return _apply(sname, shint, (self,), {"scalar": other})
        return NotImplemented

    def rev(self, other):
        if isinstance(other, _NUM):
            return _apply(rname or sname, rhint or shint, (self,), {"scalar": other})
        return NotImplemented
    return fwd, rev


_S = Symbol
_S.__add__, _S.__radd__ = _binop("elemwise_add", "_plus", "_plus_scalar", "_plusscalar")
_S.__sub__, _S.__rsub__ = _binop("elemwise_sub", "_minus", "_minus_scalar", "_minusscalar",
                                 "_rminus_scalar", "_rminusscalar")
_S.__mul__, _S.__rmul__ = _binop("elemwise_mul", "_mul", "_mul_scalar", "_mulscalar")
_S.__truediv__, _S.__rtruediv__ = _binop("elemwise_div", "_div", "_div_scalar", "_divscalar",
                                         "_rdiv_scalar", "_rdivscalar")
_S.__div__, _S.__rdiv__ = _S.__truediv__, _S.__rtruediv__
_S.__mod__, _S.__rmod__ = _binop("_mod", "_mod", "_mod_scalar", "_modscalar", "_rmod_scalar", "_rmodscalar")
_S.__pow__, _S.__rpow__ = _binop("_power", "_power", "_power_scalar", "_powerscalar",
                                 "_rpower_scalar", "_rpower_scalar")
_S.__eq__ = _binop("_equal", "_equal", "_equal_scalar", "_equal_scalar")[0]
_S.__ne__ = _binop("_not_equal", "_not_equal", "_not_equal_scalar", "_not_equal_scalar")[0]
_S.__gt__ = _binop("_greater", "_greater", "_greater_scalar", "_greater_scalar")[0]
_S.__ge__ = _binop("_greater_equal", "_greater_equal", "_greater_equal_scalar", "_greater_equal_scalar")[0]
_S.__lt__ = _binop("_lesser", "_lesser", "_lesser_scalar", "_lesser_scalar")[0]
_S.__le__ = _binop("_lesser_equal", "_lesser_equal", "_lesser_equal_scalar", "_lesser_equal_scalar")[0]
del _S


def _apply(op_name, hint, inputs, attrs):
    op = get_op(op_name)
    return create(op, hint, list(inputs), attrs, None, None)


# ---- node creation ---------------------------------------------------------------------------------

def _optional_present(op, iname, attrs):
    """Whether an optional input ``x?`` is part of the op for these attrs (MXNet lists it then and
    auto-creates a variable when it is missing): ``bias`` unless ``no_bias``, ``length`` if
    ``use_length``; an optional input with neither switch is never auto-created."""
    if f"no_{iname}" in attrs:
        return not attrs[f"no_{iname}"]
    if f"use_{iname}" in attrs:
        return bool(attrs[f"use_{iname}"])
    if op.name == "LeakyReLU" and iname == "gamma":   # MXNet lists gamma only for act_type='prelu'
        return attrs.get("act_type") == "prelu"
    return False


def encode_attrs(op, given, attrs):
    """The string attrs MXNet stores for the parameters the user gave."""
    out = {}
    for k in given:
        a = op.attr_map[k]
        v = attrs[k]
        out[k] = "None" if v is None else a.kind.encode(v)
    return out


def create(op, hint, inputs, given, name, user_attr):
    """Create an op node. ``inputs``: list of Symbol or None per op input (all Symbols for variadic
    ops); missing required inputs become variables ``<name>_<input>``."""
    given = dict(given)
    if op.variadic and "num_args" in op.attr_map and "num_args" not in given:
        given["num_args"] = len(inputs)
    attrs = normalize_attrs(op, given)
    name = NameManager.current().get(name, hint)
    sattrs = encode_attrs(op, given, attrs)
    if user_attr:
        for k, v in user_attr.items():
            sattrs[k] = str(v)
    _scope_attrs(sattrs)
    values = []
    if op.variadic:
        names = [f"arg{i}" for i in range(len(inputs))]
    else:
        names = [i.rstrip("?") for i in op.inputs]
    for i, (iname, s) in enumerate(zip(names, inputs)):
        if s is None:
            if op.variadic or op.inputs[i].endswith("?") and not _optional_present(op, iname, attrs):
                values.append(None)
                continue
            vn = SymNode(VARIABLE, (), {}, 1, f"{name}_{iname}", dict(sattrs))
            values.append(vn.outputs[0])
            continue
        if not isinstance(s, Symbol):
            raise TypeError(f"operator {op.name} ({name}): input {iname!r} must be a Symbol, got "
                            f"{type(s).__name__} {s!r}. Create a variable with sym.var(...)"
                            + (" or use the *_scalar op" if isinstance(s, _NUM) else ""))
        if len(s) != 1:
            raise HybridNetError(f"operator {op.name} ({name}): input {iname!r} is a group of {len(s)} "
                                 f"outputs {s.list_outputs()}; select one with s[i]")
        values.append(s._outputs[0])
    while values and values[-1] is None:
        values.pop()
    n_out = op.n_outputs(attrs, len(values))
    node = SymNode(op, values, attrs, n_out, name, sattrs)
    return Symbol(list(node.outputs)[:n_visible(op, attrs, n_out)])   # MXNet lists visible outputs only


class _D:
    def __repr__(self):
        return "<default>"


_DEFAULT = _D()


def make_symbol_function(op, fn_name=None):
    """``sym.<op>``: inputs (Symbols, optional), then attributes, then ``name=``, ``attr=``."""
    fn_name = fn_name or op.name
    hint = fn_name.lower()
    input_names = [] if op.variadic else [i.rstrip("?") for i in op.inputs]
    attr_names = [a.name for a in op.attrs]

    def fn(*args, **kwargs):
        name = kwargs.pop("name", None)
        user_attr = kwargs.pop("attr", None)
        kwargs.pop("out", None)
        given = {}
        if op.variadic:
            if any(not isinstance(a, Symbol) for a in args):
                bad = next(a for a in args if not isinstance(a, Symbol))
                raise TypeError(f"{fn_name}: positional arguments must be Symbols, got {type(bad).__name__}")
            inputs = list(args)
            extra = [k for k, v in kwargs.items() if isinstance(v, Symbol)]
            if extra:
                raise TypeError(f"{fn_name} takes its inputs positionally (*data); got keyword Symbol(s) "
                                f"{extra}")
        else:
            inputs = [None] * len(input_names)
            pos = list(args)
            for i in range(min(len(pos), len(input_names))):
                inputs[i] = pos[i]
            for an, v in zip(attr_names, pos[len(input_names):]):
                given[an] = v
            if len(pos) > len(input_names) + len(attr_names):
                raise TypeError(f"{fn_name} takes at most {len(input_names) + len(attr_names)} positional "
                                f"arguments ({len(pos)} given)")
            for k in list(kwargs):
                if k in input_names:
                    inputs[input_names.index(k)] = kwargs.pop(k)
                elif isinstance(kwargs[k], Symbol):
                    raise TypeError(f"{fn_name} got an unexpected Symbol argument {k!r}; its inputs are "
                                    f"{input_names}")
        for k, v in kwargs.items():
            if k in given:
                raise TypeError(f"{fn_name} got multiple values for argument {k!r}")
            given[k] = v
        return create(op, hint, inputs, given, name, user_attr)

    params = []
    if op.variadic:
        params.append(inspect.Parameter(op.inputs[0].lstrip("*"), inspect.Parameter.VAR_POSITIONAL))
        kind = inspect.Parameter.KEYWORD_ONLY
    else:
        for n in input_names:
            params.append(inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None))
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    from ..ops.opdef import REQUIRED
    for a in op.attrs:
        params.append(inspect.Parameter(a.name, kind, default=a.default if a.default is not REQUIRED
                                        else REQUIRED))
    for n in ("name", "attr", "out"):
        params.append(inspect.Parameter(n, kind, default=None))
    params.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    fn.__signature__ = inspect.Signature(params)
    fn.__name__ = fn.__qualname__ = fn_name
    fn.__module__ = "hybridnet.sym"
    fn.__doc__ = _sym_docstring(op, fn_name)
    fn._op = op
    return fn


def _sym_docstring(op, fn_name):
    """The op's doc without its eager ``>>>`` example (it is an ``nd`` example), plus the attributes."""
    from ..ops.opdef import REQUIRED
    text = op.doc.split(">>>")[0].strip() or f"The {op.name} operator."
    lines = [text, "", f"Symbolic version of ``nd.{fn_name}``: inputs are Symbols (missing ones become "
             f"variables ``<name>_<input>``); ``name=`` names the node, ``attr=`` adds string attributes.", ""]
    if op.aliases:
        lines += [f"Aliases: {', '.join(op.aliases)}.", ""]
    if op.attrs:
        lines.append("Attributes:")
        for a in op.attrs:
            d = "required" if a.default is REQUIRED else f"default {a.default!r}"
            lines.append(f"    {a.name} ({a.kind.name}, {d}): {a.doc}")
    return "\n".join(lines)


# ---- variables -------------------------------------------------------------------------------------

def var(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None, init=None, stype=None,
        **kwargs):
    """A variable (graph argument) with MXNet's stored attributes: ``__shape__`` ``'(3, 4)'``,
    ``__dtype__`` as the type flag (``'0'`` float32), ``__lr_mult__``, ``__wd_mult__``, ``__init__``
    (a string, or an initializer's ``dumps()``), ``__storage_type__``; extra ``__key__=`` keywords.

    >>> from hybridnet import sym
    >>> sym.var('w', shape=(3, 4), dtype='float16').list_attr()
    {'__shape__': '(3, 4)', '__dtype__': '2'}
    """
    if not isinstance(name, str):
        raise TypeError(f"Expect a string for variable `name`, got {type(name).__name__}")
    sattrs = {}
    if attr:
        sattrs.update({k: str(v) for k, v in attr.items()})
    if shape is not None:
        sattrs["__shape__"] = str(tuple(shape) if isinstance(shape, list) else shape)
    if lr_mult is not None:
        sattrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        sattrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        sattrs["__dtype__"] = str(dtypes.MX_TYPE_FLAG[dtypes.normalize(dtype)])
    if init is not None:
        sattrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        codes = {"default": 0, "row_sparse": 1, "csr": 2}
        if stype not in codes:
            raise AttrError(f"var({name!r}): unknown stype {stype!r}; use one of {list(codes)}")
        sattrs["__storage_type__"] = str(codes[stype])
    for k, v in kwargs.items():
        if k.startswith("__") and k.endswith("__"):
            sattrs[k] = str(v)
        else:
            raise ValueError(f"Attribute name={k} is not supported. Additional attributes must start and "
                             "end with double underscores, e.g, __yourattr__")
    node = SymNode(VARIABLE, (), {}, 1, name, _scope_attrs(sattrs))
    return Symbol([node.outputs[0]])


Variable = var


def Group(symbols):
    """One symbol whose outputs are the outputs of ``symbols`` in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError("Expected a non-empty list of Symbols")
    return Symbol([v for s in symbols for v in s._outputs])


def load_json(json_str):
    from .json_io import load_json as _lj
    return _lj(json_str)


def parse_shape(s):
    """``'(3, 4)'`` -> ``(3, 4)``."""
    s = s.strip().strip("()[]")
    return tuple(int(p) for p in s.split(",") if p.strip())


def var_dtype(node):
    f = node.sattrs.get("__dtype__")
    if f is None:
        return None
    try:
        return dtypes.FLAG_TO_DTYPE[int(f)]
    except (KeyError, ValueError):
        raise DTypeError(f"variable {node.name!r} has an unknown __dtype__ {f!r}") from None

