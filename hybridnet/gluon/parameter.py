"""``gluon.Parameter``, ``Constant`` and ``ParameterDict`` with MXNet 1.9.1 semantics
(``python/mxnet/gluon/parameter.py``; gluon-semantics.md §1.5, §2.11).

A Parameter holds one array per context (``initialize(ctx=[cpu(0), cpu(1)])`` replicates it) and a
gradient buffer per context marked for autograd with the Parameter's ``grad_req``. A ``0`` (1.x) or
``-1`` (2.0) in ``shape`` is unknown; with ``allow_deferred_init`` initialisation waits for the first
forward, which fills the shape from the ops' inference rules (``gluon/hybrid.py``).

Inside a hybridize trace ``data()`` returns the Parameter's traced graph input instead of an array, so
2.0-style ``forward`` code that reads ``self.weight.data()`` traces like 1.x ``hybrid_forward`` code.

Differences from MXNet (documented fixes): ``load`` with ``ctx=`` always remaps to the requested
contexts (P14) instead of asserting; ``ParameterDict`` is a real mapping (``len``, ``in``).
"""
import collections
import re
import warnings
from collections import OrderedDict

import numpy as np

from .. import autograd
from ..device import Context, cpu, current_context
from ..errors import HybridNetError

__all__ = ["DeferredInitializationError", "DeferredInferenceError", "Parameter", "Constant", "ParameterDict", "tensor_types",
           "shape_is_known"]


class DeferredInitializationError(HybridNetError, RuntimeError):
    """A Parameter's initialisation waits for the first forward pass (its shape is not known yet)."""


class DeferredInferenceError(HybridNetError, ValueError):
    """Deferred initialisation failed: a forward ran but a Parameter's shape could not be inferred
    (MXNet raised ``ValueError('Deferred initialization failed because shape cannot be inferred...')``).
    Not a ``DeferredInitializationError``: running another forward will not help."""


tensor_types = None   # set lazily to (NDArray,) — kept for `from mxnet.gluon.parameter import tensor_types`


def shape_is_known(shape):
    """Whether ``shape`` has no unknown (0 or -1) dims."""
    if shape is None:
        return False
    return all(d not in (0, -1) and d is not None for d in shape)


def _ctx_list(ctx):
    if ctx is None:
        return [current_context()]
    if isinstance(ctx, Context):
        return [ctx]
    return list(ctx)


_GRAD_REQS = ("write", "add", "null")

# the active hybridize trace (gluon/hybrid.py sets it); Parameter.data() hands out traced inputs there
_TRACE_HOOK = [None]


class Parameter:
    """A weight of a Block. See the module doc.

    >>> from hybridnet import gluon, init
    >>> p = gluon.Parameter('w', shape=(2, 3), init=init.One())
    >>> p.initialize()
    >>> float(p.data().asnumpy().sum())
    6.0
    """

    def __init__(self, name="weight", grad_req="write", shape=None, dtype=np.float32, lr_mult=1.0, wd_mult=1.0,
                 init=None, allow_deferred_init=False, differentiable=True, stype="default",
                 grad_stype="default"):
        self._var = None
        self._data = None
        self._grad = None
        self._ctx_list = None
        self._trainer = None
        self._deferred_init = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = None
        if isinstance(shape, int):
            shape = (shape,)
        self._shape = tuple(shape) if shape is not None else None
        self.name = name
        self._prefixed = False      # named by a ParameterDict / owning block (1.x prefix)
        self._dtype = dtype if dtype is not None else np.float32   # kept as given (repr shows it as MXNet)
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init
        for st, what in ((stype, "stype"), (grad_stype, "grad_stype")):
            if st not in ("default", "row_sparse", "csr"):
                raise ValueError(f"Parameter '{name}': invalid {what} {st!r}; use 'default', "
                                 "'row_sparse' or 'csr'")
        self._stype = stype
        self._grad_stype = grad_stype
        self._fresh_grad = False

    def __repr__(self):
        return f"Parameter {self.name} (shape={self.shape}, dtype={self.dtype})"

    # ---- attributes ------------------------------------------------------------------------
    @property
    def grad_req(self):
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        if req not in _GRAD_REQS:
            raise ValueError(f"Parameter '{self.name}': grad_req must be one of 'write', 'add', or 'null', "
                             f"but got '{req}'")
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == "null" and self._grad is not None:
            self._grad = None
            for d in self._data or ():
                d._grad, d._grad_req, d._entry = None, "null", None
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self):
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    @property
    def shape(self):
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        new_shape = tuple(new_shape) if new_shape is not None else None
        if self._shape is None:
            self._shape = new_shape
            return
        if not (len(self._shape) == len(new_shape)
                and all(j in (-1, 0, i) for i, j in zip(new_shape, self._shape))):
            # MXNet prints the two shapes swapped; hybridnet says which is which
            raise AssertionError(f"Expected shape {self._shape} is incompatible with given shape "
                                 f"{new_shape} for Parameter '{self.name}'.")
        self._shape = new_shape

    @property
    def stype(self):
        return self._stype

    # ---- data access -----------------------------------------------------------------------
    def _check_and_get(self, arr_list, ctx):
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if ctx is None:
                if len(arr_list) == 1:
                    return arr_list[0]
                ctx = current_context()
            for c, a in zip(self._ctx_list, arr_list):
                if c == ctx:
                    return a
            raise RuntimeError(f"Parameter '{self.name}' was not initialized on context {ctx}. It was only "
                               f"initialized on {self._ctx_list}. Fix: initialize it on that context "
                               "(net.initialize(ctx=...)/reset_ctx) or move the input there "
                               "(x.as_in_context(...)).")
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization was deferred. "
                "Actual initialization happens during the first forward pass. Please pass one batch of data "
                "through the network before accessing Parameters. You can also avoid deferred initialization "
                "by specifying in_units, num_features, etc., for network layers.")
        raise RuntimeError(
            f"Parameter '{self.name}' has not been initialized. Note that you should initialize parameters "
            "and create Trainer with Block.collect_params() instead of Block.params because the later does "
            "not include Parameters of nested child Blocks")

    def data(self, ctx=None):
        """The array on ``ctx`` (the only one if there is one context). Inside a hybridize trace: the
        Parameter's traced graph input."""
        hook = _TRACE_HOOK[0]
        if hook is not None:
            return hook.param_value(self)
        return self._check_and_get(self._data, ctx)

    def list_data(self):
        return self._check_and_get(self._data, list)

    def grad(self, ctx=None):
        if self._data is not None and self._grad is None:
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'")
        return self._check_and_get(self._grad, ctx)

    def list_grad(self):
        if self._data is not None and self._grad is None:
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'")
        return self._check_and_get(self._grad, list)

    def list_ctx(self):
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise RuntimeError(f"Parameter '{self.name}' has not been initialized")
        return list(self._ctx_list)

    # ---- initialisation --------------------------------------------------------------------
    def initialize(self, init=None, ctx=None, default_init=None, force_reinit=False):
        """Create the arrays on ``ctx`` (a context or a list). ``init`` (else ``self.init``, else
        ``default_init`` = ``Uniform()``) fills them; unknown dims defer this to the first forward."""
        from .. import initializer
        if default_init is None:
            default_init = initializer.Uniform()
        if self._data is not None and not force_reinit:
            warnings.warn(f"Parameter '{self.name}' is already initialized, ignoring. Set force_reinit=True "
                          "to re-initialize.", stacklevel=2)
            return
        self._data = self._grad = None
        ctx = _ctx_list(ctx)
        if init is None:
            init = default_init if self.init is None else self.init
        if not shape_is_known(self.shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, ctx, default_init, None)
                return
            raise ValueError(f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                             f"{self.shape}.")
        self._deferred_init = (init, ctx, default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self):
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        if not shape_is_known(self.shape):
            raise ValueError(f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                             f"{self.shape}. Please specify in_units, in_channels, etc for `Block`s.")
        self._deferred_init = ()
        from .. import initializer, nd
        with autograd.pause(), _eager():
            if data is None:
                data = nd.zeros(self.shape, dtype=self.dtype, ctx=cpu())
                initializer.create(default_init)(initializer.InitDesc(self.name, {"__init__": init}), data)
            self._init_impl(data, ctx)

    def _init_impl(self, data, ctx_list):
        self._ctx_list = list(ctx_list)
        with autograd.pause():
            self._data = [data.copyto(c) for c in self._ctx_list]
        self._init_grad()

    def _init_grad(self):
        if self.grad_req == "null":
            self._grad = None
            return
        from .. import nd
        self._grad = [nd.zeros(d.shape, dtype=d.dtype, ctx=d.context) for d in self._data]
        autograd.mark_variables(self._data, self._grad, self.grad_req)

    def reset_ctx(self, ctx):
        """Move the Parameter to other contexts (data is copied from the first replica)."""
        ctx = _ctx_list(ctx)
        if self._data is not None:
            with autograd.pause():
                data = self._reduce()
            self._init_impl(data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
        else:
            raise ValueError(f"Cannot reset context for Parameter '{self.name}' because it has not been "
                             "initialized.")

    reset_device = reset_ctx

    def set_data(self, data):
        """Set the value on every context (shape must match; unknown dims are filled)."""
        from .. import nd
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise RuntimeError(f"Parameter '{self.name}' has not been initialized")
            init, ctx, default_init, _ = self._deferred_init
            self._deferred_init = (init, ctx, default_init, _as_nd(data, self.dtype))
            return
        with autograd.pause():
            src = _as_nd(data, self.dtype)
            for arr in self._data:
                arr[:] = src.as_in_context(arr.context) if isinstance(src, nd.NDArray) else src

    def zero_grad(self):
        if self._grad is None:
            return
        for g in self._grad:
            g[:] = 0

    def _reduce(self):
        """The value averaged over replicas, on cpu (what save writes)."""
        block = self.list_data()
        if len(block) == 1:
            return block[0].copyto(cpu())
        acc = block[0].copyto(cpu())
        for w in block[1:]:
            acc = acc + w.copyto(cpu())
        return acc / len(block)

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source="current"):
        if cast_dtype and dtype_source not in ("current", "saved"):
            raise ValueError(f"dtype_source must be 'current' or 'saved', got {dtype_source!r}")
        if self.shape:
            for self_dim, data_dim in zip(self.shape, data.shape):
                if self_dim not in (0, -1, data_dim) or len(self.shape) != len(data.shape):
                    raise AssertionError(
                        f"Failed loading Parameter '{self.name}' from saved params: shape incompatible "
                        f"expected {self.shape} vs saved {tuple(data.shape)}")
            self._shape = tuple(i if i not in (0, -1) else j for i, j in zip(self.shape, data.shape))
        if self.dtype is not None and np.dtype(self.dtype) != np.dtype(data.dtype):
            if cast_dtype:
                if dtype_source == "current":
                    data = data.astype(self.dtype)
                else:
                    self._dtype = np.dtype(data.dtype).type
                    self._var = None
            else:
                raise AssertionError(
                    f"Failed loading Parameter '{self.name}' from saved params: dtype incompatible expected "
                    f"{np.dtype(self.dtype)} vs saved {np.dtype(data.dtype)}. Set cast_dtype=True to cast the "
                    "dtype of saved params.")
        if ctx is not None:
            ctx = _ctx_list(ctx)
        if self._data is None:
            if ctx is None:
                ctx = self._deferred_init[1] if self._deferred_init else [cpu()]
            self._init_impl(data, ctx)
        elif ctx is not None and set(ctx) != set(self._ctx_list):
            self._init_impl(data, ctx)        # P14: remap instead of MXNet's assertion
        else:
            self.set_data(data)
        self._deferred_init = ()

    def cast(self, dtype):
        """Cast data and gradient to ``dtype``."""
        self._dtype = dtype
        if self._data is None:
            if self._deferred_init and self._deferred_init[3] is not None:
                init, ctx, default_init, data = self._deferred_init
                self._deferred_init = (init, ctx, default_init, data.astype(dtype))
            return
        with autograd.pause():
            self._data = [d.astype(dtype) for d in self._data]
        self._init_grad()

    def var(self):
        """The Symbol variable of this Parameter (``__shape__``, ``__dtype__``, ``__lr_mult__``...)."""
        from .. import sym
        if self._var is None:
            init = self.init
            if init is not None and not isinstance(init, str):
                init = init.dumps()
            self._var = sym.var(self.name, shape=self.shape, dtype=self.dtype, lr_mult=self.lr_mult,
                                wd_mult=self.wd_mult, init=init, stype=self._stype)
        return self._var

    def row_sparse_data(self, row_id):
        return self.data(row_id.context)

    def list_row_sparse_data(self, row_id):
        return self.list_data()


class _eager:
    """Run eagerly even inside a hybridize trace (initialising a deferred Parameter mid-trace)."""

    def __enter__(self):
        from ..ops.trace_base import _current
        self._tok = _current.set(None)
        self._hook = _TRACE_HOOK[0]
        _TRACE_HOOK[0] = None

    def __exit__(self, *exc):
        from ..ops.trace_base import _current
        _current.reset(self._tok)
        _TRACE_HOOK[0] = self._hook


def _as_nd(data, dtype):
    from .. import nd
    if isinstance(data, nd.NDArray):
        return data
    return nd.array(np.asarray(data), dtype=dtype)


class Constant(Parameter):
    """A Parameter with a fixed value and ``grad_req='null'`` (``params.get_constant``).

    >>> from hybridnet import gluon
    >>> c = gluon.Constant([[1, 2], [3, 4]])
    >>> c.initialize()
    >>> c.data().asnumpy().tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """

    def __init__(self, name_or_value, value=None):
        from .. import initializer, nd
        if value is None:       # 2.0 style: Constant(value)
            name, value = "const", name_or_value
        else:
            name = name_or_value
        if not isinstance(value, nd.NDArray):
            value = nd.array(np.asarray(value, dtype=np.float32) if not hasattr(value, "dtype") else value)
        self.value = value

        class _Init(initializer.Initializer):
            def _init_weight(self, _, arr):
                arr[:] = value.as_in_context(arr.context).astype(arr.dtype)

            def dumps(self):
                import json
                return json.dumps(["constant", {"value": value.asnumpy().tolist()}])
        init_name = _Init()
        super().__init__(name=name, grad_req="null", shape=value.shape, dtype=np.dtype(value.dtype).type,
                         init=init_name)

    def __repr__(self):
        return f"Constant {self.name} (shape={self.shape}, dtype={self.dtype})"

    @property
    def grad_req(self):
        return "null"

    @grad_req.setter
    def grad_req(self, req):
        if req != "null":
            warnings.warn("Constant parameter \"{}\" does not support grad_req other than \"null\", and new "
                          "value \"{}\" is ignored.".format(self.name, req))
        self._grad_req = "null"


class ParameterDict(collections.abc.MutableMapping):
    """Parameters by (prefixed) name, in insertion order; 1.x methods (``initialize``, ``setattr``,
    ``reset_ctx``, ``zero_grad``, ``save``, ``load``, ``load_dict``, ``get``, ``get_constant``).
    Lookups accept a structural name (``'0.weight'``) where the dict came from ``collect_params``."""

    def __init__(self, prefix="", shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared
        self._structural = {}     # structural name -> Parameter (filled by Block.collect_params)

    def __repr__(self):
        s = "{name}(\n{content}\n)"
        name = self._prefix + " " if self._prefix else ""
        return s.format(name=name, content="\n".join(["  " + repr(v) for v in self.values()]))

    # ---- mapping -----------------------------------------------------------------------------
    def __getitem__(self, key):
        if key in self._params:
            return self._params[key]
        if key in self._structural:
            return self._structural[key]
        raise KeyError(key)

    def __setitem__(self, key, value):
        self._params[key] = value

    def __delitem__(self, key):
        del self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def __contains__(self, key):
        return key in self._params or key in self._structural

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self):
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._shared._params[name]
        return None

    def get(self, name, **kwargs):
        """Get ``prefix + name`` or create it with ``kwargs`` (MXNet semantics: existing attributes must
        match; unknown shape dims are filled)."""
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            param._prefixed = True
            self._params[name] = param
            return param
        for k, v in kwargs.items():
            if hasattr(param, k) and getattr(param, k) is not None:
                existing = getattr(param, k)
                if k == "shape" and v is not None and len(v) == len(existing):
                    inferred, matched = [], True
                    for d1, d2 in zip(v, existing):
                        if d1 != d2 and d1 > 0 and d2 > 0:
                            matched = False
                            break
                        inferred.append(d2 if d1 in (0, -1) else d1)
                    if matched:
                        param._shape = tuple(inferred)
                        continue
                elif k == "dtype" and np.dtype(v) == np.dtype(existing):
                    continue
                if not (v is None or v == existing):
                    raise AssertionError(f"Cannot retrieve Parameter '{name}' because desired attribute does "
                                         f"not match with stored for attribute '{k}': desired '{v}' vs stored "
                                         f"'{existing}'.")
            else:
                setattr(param, k, v)
        return param

    def get_constant(self, name, value=None):
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError(f"No constant named '{name}'. Please specify value if you want to create a "
                               "new constant.")
            param = Constant(name, value)
            param._prefixed = True
            self._params[name] = param
        elif value is not None:
            if not isinstance(param, Constant):
                raise AssertionError(f"Parameter '{name}' already exists but it is not a constant.")
        return param

    def update(self, other):
        for k, v in other.items():
            if k in self._params and self._params[k] is not v:
                raise ValueError(f"Cannot update self with other because they have different Parameters "
                                 f"with the same name '{k}'")
        for k, v in other.items():
            self._params[k] = v
        if isinstance(other, ParameterDict):
            self._structural.update(other._structural)

    # ---- bulk operations -----------------------------------------------------------------------
    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        from .. import initializer
        if init is None:
            init = initializer.Uniform()
        if verbose and hasattr(init, "set_verbosity"):
            init.set_verbosity(verbose=verbose)
        for v in self.values():
            v.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        for v in self.values():
            v.zero_grad()

    def reset_ctx(self, ctx):
        for v in self.values():
            v.reset_ctx(ctx)

    def list_ctx(self):
        s = set()
        for v in self.values():
            s.update(v.list_ctx())
        return list(s)

    def setattr(self, name, value):
        """Set an attribute (``'grad_req'``, ``'lr_mult'``, ``'wd_mult'``...) on every Parameter."""
        for v in self.values():
            setattr(v, name, value)

    def save(self, fname, strip_prefix=""):
        from ..nd import save
        arg_dict = {}
        for param in self.values():
            weight = param._reduce()
            if not param.name.startswith(strip_prefix):
                raise ValueError(f"Prefix '{strip_prefix}' is to be striped before saving, but Parameter's "
                                 f"name '{param.name}' does not start with '{strip_prefix}'. this may be due "
                                 "to your Block shares parameters from other Blocks or you forgot to use "
                                 "'with name_scope()' when creating child blocks. For more info on naming, "
                                 "please see https://mxnet.io/api/python/docs/tutorials/packages/gluon/blocks/naming.html")
            arg_dict[param.name[len(strip_prefix):]] = weight
        save(fname, arg_dict)

    def load(self, fname, ctx=None, allow_missing=False, ignore_extra=False, restore_prefix="",
             cast_dtype=False, dtype_source="current"):
        from ..nd import load
        if restore_prefix:
            for name in self.keys():
                if not name.startswith(restore_prefix):
                    raise AssertionError(f"restore_prefix is '{restore_prefix}' but Parameters name '{name}' "
                                         f"does not start with '{restore_prefix}'")
        loaded = load(fname)
        if isinstance(loaded, list):
            raise ValueError(f"File '{fname}' holds an unnamed list of arrays, not named parameters")
        self.load_dict(loaded, ctx, allow_missing, ignore_extra, restore_prefix, fname, cast_dtype,
                       dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False, restore_prefix="",
                  filename=None, cast_dtype=False, dtype_source="current"):
        lprefix = len(restore_prefix)
        loaded = [(k[4:] if k.startswith(("arg:", "aux:")) else k, v) for k, v in param_dict.items()]
        arg_dict = {restore_prefix + k: v for k, v in loaded}
        error_str = f"file: {filename}" if filename else "param_dict"
        if not allow_missing:
            for name in self.keys():
                if name not in arg_dict:
                    raise AssertionError(
                        f"Parameter '{name[lprefix:]}' is missing in {error_str}, which contains parameters: "
                        f"{_brief_print_list(arg_dict.keys())}. Please make sure source and target networks "
                        "have the same prefix.For more info on naming, please see "
                        "https://mxnet.io/api/python/docs/tutorials/packages/gluon/blocks/naming.html")
        for name in arg_dict:
            if name not in self._params:
                if not ignore_extra:
                    raise AssertionError(
                        f"Parameter '{name[lprefix:]}' loaded from {error_str} is not present in ParameterDict, "
                        f"choices are: {_brief_print_list(self._params.keys())}. Set ignore_extra to True to "
                        "ignore. Please make sure source and target networks have the same prefix.For more "
                        "info on naming, please see "
                        "https://mxnet.io/api/python/docs/tutorials/packages/gluon/blocks/naming.html")
                continue
            self[name]._load_init(arg_dict[name], ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)


def _brief_print_list(lst, limit=7):
    lst = list(lst)
    if len(lst) > limit:
        return _brief_print_list(lst[:limit // 2], limit) + ", ..., " + _brief_print_list(lst[-limit // 2:], limit)
    return ", ".join(["'%s'" % str(i) for i in lst])


def _select(params, select):
    pattern = re.compile(select)
    return {k: v for k, v in params.items() if pattern.match(k)}
