"""``Block`` and ``HybridBlock`` with MXNet 1.9.1 semantics (``python/mxnet/gluon/block.py``;
gluon-semantics.md §1.4, §2.1–2.3, §2.8–2.11) and the 2.0 methods.

Naming: both of MXNet 1.x's systems. Prefixed names (``dense0_weight``; ``name_scope()``, ``prefix=``,
``params=`` sharing) key ``collect_params()`` and ``export``; structural names (``features.0.weight``)
key ``save_parameters``; ``collect_params()[...]`` accepts either.

Both forward styles: a class that defines ``hybrid_forward(self, F, x, *args, **params)`` gets ``F``
(``hybridnet.nd``; it works on traced values too) and its Parameters as keyword arguments; a class
that defines ``forward(x)`` reads ``self.weight.data()``.

Fixes over MXNet (DESIGN.md §10): traced values have real shapes (P1/P2); the hybridize cache is keyed
on train/record mode, so ``if autograd.is_training():`` branches work hybridized (P3); unknown
``hybridize`` keywords raise (P13); errors in a traced forward name the block path (P8);
``load_parameters`` accepts ``export`` files (P6); ``summary`` works on hybridized blocks (P9).
"""
import re
import threading
import warnings
from collections import OrderedDict

import numpy as np

from .. import autograd
from ..autograd import tape
from ..errors import HybridNetError
from . import hybrid as _h
from . import parameter as _param
from ..graph.trace import unflatten as _unflatten
from .parameter import DeferredInitializationError, Parameter, ParameterDict

__all__ = ["Block", "HybridBlock", "HookHandle"]


# ---- naming -----------------------------------------------------------------------------------------

class _BlockScope:
    """Scope for child naming (``with self.name_scope():``)."""
    _current = threading.local()

    def __init__(self, block):
        self._block = block
        self._counter = {}
        self._old_scope = None
        self._name_scope = None

    @staticmethod
    def create(prefix, params, hint):
        from ..sym.symbol import NameManager
        current = getattr(_BlockScope._current, "value", None)
        if current is None:
            if prefix is None:
                prefix = NameManager.current().get(None, hint) + "_"
            if params is None:
                params = ParameterDict(prefix)
            else:
                params = ParameterDict(params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = "%s%d_" % (hint, count)
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self):
        from ..sym.symbol import Prefix
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, "value", None)
        _BlockScope._current.value = self
        self._name_scope = Prefix(self._block.prefix)
        self._name_scope.__enter__()
        return self

    def __exit__(self, *exc):
        if self._block._empty_prefix:
            return
        self._name_scope.__exit__(*exc)
        self._name_scope = None
        _BlockScope._current.value = self._old_scope


def _indent(s_, num_spaces):
    s = s_.split("\n")
    if len(s) == 1:
        return s_
    first = s.pop(0)
    return "\n".join([first] + [(num_spaces * " ") + line for line in s])


class HookHandle:
    """Returned by ``register_forward_(pre_)hook``; ``detach()`` removes the hook."""
    _next = [0]

    def __init__(self):
        self._hooks_dict_ref = None
        self._id = None

    def attach(self, hooks_dict, hook):
        import weakref
        if self._hooks_dict_ref is not None:
            raise RuntimeError("The same handle cannot be attached twice.")
        self._id = HookHandle._next[0] = HookHandle._next[0] + 1
        hooks_dict[self._id] = hook
        self._hooks_dict_ref = weakref.ref(hooks_dict)

    def detach(self):
        hooks_dict = self._hooks_dict_ref() if self._hooks_dict_ref is not None else None
        if hooks_dict is not None and self._id in hooks_dict:
            del hooks_dict[self._id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.detach()


_SEQUENTIAL_TYPES = ()   # filled by nn.basic_layers (summary skips containers)


class Block:
    """Base class of all layers and models. Subclass it and define ``forward``.

    >>> from hybridnet import gluon, nd
    >>> class Net(gluon.Block):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         with self.name_scope():
    ...             self.dense = gluon.nn.Dense(3, in_units=2)
    ...     def forward(self, x):
    ...         return self.dense(x)
    >>> net = Net(prefix='net_')
    >>> net.initialize()
    >>> net(nd.ones((4, 2))).shape
    (4, 3)
    >>> list(net.collect_params())
    ['net_dense0_weight', 'net_dense0_bias']
    """

    def __init__(self, prefix=None, params=None):
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = {}
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()
        self._mode = None

    def __repr__(self):
        s = "{name}(\n{modstr}\n)"
        modstr = "\n".join(["  ({key}): {block}".format(key=key, block=_indent(block.__repr__(), 2))
                            for key, block in self.__dict__.items() if isinstance(block, Block)])
        return s.format(name=self.__class__.__name__, modstr=modstr)

    def __setattr__(self, name, value):
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError(f"Changing attribute type for {name} from {type(existing)} to {type(value)} "
                                "is not allowed.")
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params and self._reg_params[name] is not value:
                raise AssertionError(f"Overriding Parameter attribute {name} is not allowed. If you want to "
                                     "share parameters between blocks, please set 'params' at Block "
                                     "construction instead.")
            self._reg_params[name] = value
            if not value._prefixed:
                # 2.0 style: a Parameter made directly gets this block's 1.x prefix
                value.name = self.prefix + value.name
                value._prefixed = True
        object.__setattr__(self, name, value)

    def _check_container_with_block(self):
        children = set(self._children.values())

        def find(data):
            if isinstance(data, (list, tuple)):
                return any(find(e) for e in data)
            if isinstance(data, dict):
                return any(find(v) for v in data.values())
            if isinstance(data, Block):
                return data not in children
            return False
        for k, v in self.__dict__.items():
            if isinstance(v, (list, tuple, dict)) and not (k.startswith("__") or k == "_children"):
                if find(v):
                    warnings.warn('"{name}" is an unregistered container with Blocks. Note that Blocks inside '
                                  "the list, tuple or dict will not be registered automatically. Make sure to "
                                  "register them using register_child() or switching to "
                                  "nn.Sequential/nn.HybridSequential instead. ".format(
                                      name=self.__class__.__name__ + "." + k), stacklevel=3)

    def _alias(self):
        return self.__class__.__name__.lower()

    @property
    def prefix(self):
        return self._prefix

    @property
    def name(self):
        return self._name

    def name_scope(self):
        """``with self.name_scope():`` children created inside get this block's prefix."""
        return self._scope

    @property
    def params(self):
        """This block's own ParameterDict (children's Parameters are not included)."""
        return self._params

    # ---- parameters ---------------------------------------------------------------------------
    def _own_params(self):
        """(prefixed name, Parameter) of this block: ``self.params`` plus attribute Parameters."""
        out = OrderedDict(self._params.items())
        for p in self._reg_params.values():
            if p not in out.values():
                out[p.name] = p
        return out

    def collect_params(self, select=None):
        """A ParameterDict of this block's and its children's Parameters, keyed by prefixed names
        (``select``: a regex matched from the start of the name, or of the structural name)."""
        self._check_container_with_block()
        ret = ParameterDict(self._params.prefix)
        structural = self._collect_params_with_prefix()
        pattern = re.compile(select) if select else None
        for name, p in self._collect_prefixed():
            if pattern is None or pattern.match(name):
                ret._params[name] = p
        for k, p in structural.items():
            if pattern is None or pattern.match(k) or p in ret._params.values():
                if pattern is not None and p not in ret._params.values():
                    ret._params[p.name] = p
                ret._structural[k] = p
        return ret

    def _collect_prefixed(self):
        seen = OrderedDict()
        for k, p in self._own_params().items():
            seen.setdefault(k, p)
        for cld in self._children.values():
            for k, p in cld._collect_prefixed():
                if k in seen and seen[k] is not p:
                    raise ValueError(f"Cannot update self with other because they have different Parameters "
                                     f"with the same name '{k}'")
                seen.setdefault(k, p)
        return list(seen.items())

    def _collect_params_with_prefix(self, prefix=""):
        if prefix:
            prefix += "."
        ret = {prefix + key: val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def save_parameters(self, filename, deduplicate=False):
        """Save Parameters under structural names (``0.weight``) in MXNet's ``.params`` format."""
        from ..nd import save
        params = self._collect_params_with_prefix()
        if deduplicate:
            reverse = {v: k for k, v in params.items()}
            params = {v: k for k, v in reverse.items()}
        save(filename, {key: val._reduce() for key, val in params.items()})

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False, cast_dtype=False,
                        dtype_source="current"):
        """Load a file written by ``save_parameters`` (hybridnet or MXNet), by ``export``
        (``arg:``/``aux:`` keys; MXNet P6 fixed) or by the legacy ``save_params``."""
        from ..nd import load
        loaded = load(filename)
        if isinstance(loaded, list):
            raise ValueError(f"File '{filename}' holds an unnamed list of arrays (nd.save of a list), not "
                             "named parameters; save with a dict or net.save_parameters")
        self._load_dict_impl(loaded, filename, ctx, allow_missing, ignore_extra, cast_dtype, dtype_source)

    def _load_dict_impl(self, loaded, filename, ctx, allow_missing, ignore_extra, cast_dtype, dtype_source):
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        where = f"file '{filename}'" if filename else "the given dict"
        if any(k.startswith(("arg:", "aux:")) for k in loaded) or not any("." in k for k in loaded):
            # export-style or legacy prefixed keys: match by prefixed Parameter names
            stripped = {k[4:] if k.startswith(("arg:", "aux:")) else k: v for k, v in loaded.items()}
            byname = dict(self._collect_prefixed())
            if stripped and not any(k in byname for k in stripped) and self.prefix:
                # legacy save_params: names were saved without this block's prefix
                stripped = {self.prefix + k: v for k, v in stripped.items()}
            if not allow_missing:
                for name in byname:
                    if name not in stripped:
                        raise AssertionError(
                            f"Parameter '{name}' is missing in {where}, which contains parameters: "
                            f"{_param._brief_print_list(stripped.keys())}. Set allow_missing=True to ignore "
                            "missing parameters.")
            for name, arr in stripped.items():
                if name not in byname:
                    if not ignore_extra:
                        raise ValueError(
                            f"Parameter '{name}' loaded from {where} is not present in this network, which "
                            f"contains parameters {_param._brief_print_list(byname.keys())}. Set "
                            "ignore_extra=True to ignore. ")
                    continue
                byname[name]._load_init(arr, ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)
            return
        if not allow_missing:
            params_inv = {}
            for k, v in params.items():
                params_inv.setdefault(v, []).append(k)
            for name, param in params.items():
                if not any(p in loaded for p in params_inv[param]):
                    raise AssertionError(
                        f"Parameter '{name}' is missing in {where}, which contains parameters: "
                        f"{_param._brief_print_list(loaded.keys())}. Set allow_missing=True to ignore missing "
                        "parameters.")
        for name in loaded:
            if not ignore_extra and name not in params:
                raise ValueError(
                    f"Parameter '{name}' loaded from {where} is not present in ParameterDict, which contains "
                    f"parameters {_param._brief_print_list(params.keys())}. Set ignore_extra=True to ignore. ")
            if name in params:
                params[name]._load_init(loaded[name], ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False, cast_dtype=False,
                  dtype_source="current", device=None):
        """2.0: load from a dict of arrays keyed by structural (or prefixed) names."""
        self._load_dict_impl(dict(param_dict), None, ctx if ctx is not None else device, allow_missing,
                             ignore_extra, cast_dtype, dtype_source)

    def save_params(self, filename):
        """Deprecated 1.x API: prefixed names with this block's prefix stripped."""
        warnings.warn("save_params is deprecated. Please use save_parameters. Note that if you want load "
                      "from SymbolBlock later, please use export instead.")
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_params(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        warnings.warn("load_params is deprecated. Please use load_parameters.")
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    # ---- children, hooks -------------------------------------------------------------------------
    def register_child(self, block, name=None):
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook):
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook):
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn):
        """Apply ``fn`` to every child (post-order) and then to this block; returns self."""
        for cld in self._children.values():
            cld.apply(fn)
        fn(self)
        return self

    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        """Initialise all Parameters (default ``init.Uniform()``); ``ctx`` may be a list."""
        from .. import initializer
        if init is None:
            init = initializer.Uniform()
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active=True, **kwargs):
        """On a Block: recurse into the children (only HybridBlocks compile)."""
        _check_hybridize_kwargs(kwargs)
        for cld in self._children.values():
            cld.hybridize(active, **kwargs)

    def cast(self, dtype):
        """Cast all Parameters to ``dtype`` (inputs must be cast by the caller)."""
        for child in self._children.values():
            child.cast(dtype)
        for _, param in self._reg_params.items():
            param.cast(dtype)

    # ---- 2.0 methods --------------------------------------------------------------------------------
    def share_parameters(self, shared):
        """2.0: use the Parameters in ``shared`` (structural or prefixed names) in place of ours."""
        if shared is None:
            return self
        if not isinstance(shared, (dict, ParameterDict)):
            raise ValueError("'shared' should be in type of Dict. Get type {}!".format(type(shared)))
        shared = dict(shared._structural or shared.items()) if isinstance(shared, ParameterDict) \
            else dict(shared)
        self._share_impl(shared, "")
        return self

    def _share_impl(self, shared, prefix):
        for k, p in list(self._reg_params.items()):
            key = prefix + k
            if key in shared:
                object.__setattr__(self, k, shared[key]) if hasattr(self, k) else None
                self._reg_params[k] = shared[key]
                for pk, pv in list(self._params.items()):
                    if pv is p:
                        self._params._params[pk] = shared[key]
        for name, child in self._children.items():
            child._share_impl(shared, prefix + name + ".")
        if isinstance(self, HybridBlock):
            self._clear_cached_op()

    def setattr(self, name, value):
        """2.0: set an attribute on every Parameter (``net.setattr('grad_req', 'null')``)."""
        for p in self.collect_params().values():
            setattr(p, name, value)

    def zero_grad(self):
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx):
        self.collect_params().reset_ctx(ctx)

    reset_device = reset_ctx

    def train(self, mode=True):
        """Run this block (and children) in train mode whatever the autograd flags (PyTorch-style
        helper; ``eval()`` = predict mode, ``train(None)`` = follow ``autograd`` again). Returns self."""
        for b in self._all_blocks():
            b._mode = None if mode is None else bool(mode)
            if isinstance(b, HybridBlock):
                b._clear_cached_op()
        return self

    def eval(self):
        return self.train(False)

    def _all_blocks(self):
        out = [self]
        for c in self._children.values():
            out.extend(c._all_blocks())
        return out

    # ---- calling ------------------------------------------------------------------------------------
    def __call__(self, *args):
        for hook in self._forward_pre_hooks.values():
            hook(self, args)
        if self._mode is not None:
            with (autograd.train_mode() if self._mode else autograd.predict_mode()):
                out = self._call_impl(*args)
        else:
            out = self._call_impl(*args)
        for hook in self._forward_hooks.values():
            hook(self, args, out)
        return out

    def _call_impl(self, *args):
        return self.forward(*args)

    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, x, ...)")

    def summary(self, *inputs):
        """Print the table of output shapes and Parameter counts (MXNet's format). Works on
        hybridized blocks too (they run eagerly for the summary; the compiled cache is kept)."""
        summary = OrderedDict()
        seen = set()
        hooks = []
        from ..nd.ndarray import NDArray

        def shape_str(args):
            def flatten(a):
                if not isinstance(a, (list, tuple)):
                    return [a], 0
                flat, fmts = [], []
                for i in a:
                    x, f = flatten(i)
                    flat.extend(x)
                    fmts.append(f)
                return flat, fmts

            def regroup(a, fmt):
                if isinstance(fmt, int):
                    if fmt == 0:
                        return a[0], a[1:]
                    return a[:fmt], a[fmt:]
                ret = []
                for i in fmt:
                    res, a = regroup(a, i)
                    ret.append(res)
                return ret, a
            flat, fmts = flatten(args)
            shapes = regroup([x.shape if isinstance(x, NDArray) else x for x in flat], fmts)[0]
            s = str(shapes)[1:-1] if isinstance(shapes, list) else str(shapes)
            return s.replace("L", "")

        def register(block):
            def hook(block, _, outputs):
                key = "%s-%i" % (block.__class__.__name__, len(summary))
                d = summary[key] = OrderedDict(output_shape=shape_str(outputs), trainable=0, shared=0)
                n = 0
                for p in block._own_params().values():
                    sz = int(np.prod(p.shape))
                    n += sz
                    d["trainable"] += 0 if p.grad_req == "null" else sz
                    if p in seen:
                        d["shared"] += sz
                    else:
                        seen.add(p)
                d["n_params"] = n
            if not isinstance(block, _SEQUENTIAL_TYPES):
                hooks.append(block.register_forward_hook(hook))

        summary["Input"] = OrderedDict(output_shape=shape_str(inputs), n_params=0, trainable=0, shared=0)
        active = [b for b in self._all_blocks() if isinstance(b, HybridBlock) and b._active]
        try:
            for b in active:
                b._active = False
            self.apply(register)
            self(*inputs)
            fmt = "{:>20}  {:>42} {:>15}"
            print("-" * 80)
            print(fmt.format("Layer (type)", "Output Shape", "Param #"))
            print("=" * 80)
            total = trainable = shared = 0
            for layer, d in summary.items():
                print(fmt.format(layer, str(d["output_shape"]), d["n_params"]))
                total += d["n_params"]
                trainable += d["trainable"]
                shared += d["shared"]
            print("=" * 80)
            print("Parameters in forward computation graph, duplicate included")
            print("   Total params: " + str(total))
            print("   Trainable params: " + str(trainable))
            print("   Non-trainable params: " + str(total - trainable))
            print("Shared params in forward computation graph: " + str(shared))
            print("Unique parameters in model: " + str(total - shared))
            print("-" * 80)
        finally:
            for b in active:
                b._active = True
            for h in hooks:
                h.detach()


_HYBRIDIZE_KEYS = {"backend", "clear", "static_alloc", "static_shape", "inline_limit", "forward_bulk_size",
                   "backward_bulk_size", "backend_opts", "partition_if_dynamic"}


def _check_hybridize_kwargs(kwargs):
    import difflib
    for k in kwargs:
        if k not in _HYBRIDIZE_KEYS:
            close = difflib.get_close_matches(k, sorted(_HYBRIDIZE_KEYS), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise TypeError(f"hybridize() got an unexpected keyword argument '{k}'.{hint} Valid keywords: "
                            f"active, {', '.join(sorted(_HYBRIDIZE_KEYS))} (MXNet accepted typos silently: "
                            "hybridnet fails fast).")
    if kwargs.get("static_shape") and not kwargs.get("static_alloc"):
        warnings.warn("hybridize(static_shape=True) without static_alloc=True: hybridnet always plans a static "
                      "arena per input shape, so both are accepted and behave the same.")


def _uses_hybrid_forward(cls):
    """1.x style: the most derived definition among forward/hybrid_forward is hybrid_forward."""
    for klass in cls.__mro__:
        if klass is HybridBlock:
            return False
        if "hybrid_forward" in klass.__dict__:
            return True
        if "forward" in klass.__dict__:
            return False
    return False


class HybridBlock(Block):
    """A Block that can be traced into a graph: ``hybridize()`` then call it.

    >>> from hybridnet import gluon, nd
    >>> class Scale(gluon.HybridBlock):
    ...     def hybrid_forward(self, F, x):
    ...         return F.relu(x) * 2
    >>> b = Scale()
    >>> b.hybridize()
    >>> b(nd.array([-1, 3])).asnumpy().tolist()
    [0.0, 6.0]
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._active = False
        self._flags = {}
        self._cache = {}
        self._trace_count = 0
        self._last_entry = None
        self._eager_children = False

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if isinstance(value, HybridBlock):
            self._clear_cached_op()

    def register_child(self, block, name=None):
        if not isinstance(block, HybridBlock):
            raise ValueError("Children of HybridBlock must also be HybridBlock, but %s has type %s. If you are "
                             "using Sequential, please try HybridSequential instead." % (str(block),
                                                                                         str(type(block))))
        super().register_child(block, name)
        self._clear_cached_op()

    def _clear_cached_op(self):
        if "_cache" in self.__dict__:
            self._cache = {}
            self._last_entry = None

    def hybridize(self, active=True, **kwargs):
        """Compile this block on its next call (recursively). Keywords as MXNet 1.9.1's; unknown
        ones raise. ``hybridize(active=False)`` on a child keeps it eager inside a hybridized parent."""
        _check_hybridize_kwargs(kwargs)
        if self._forward_hooks or self._forward_pre_hooks:
            warnings.warn(f'"{self}" is being hybridized while still having forward hook/pre-hook. If "{self}" '
                          "is a child of HybridBlock, the hooks will not take effect.")
        self._active = active
        self._flags = dict(kwargs)
        self._explicit_inactive = not active
        self._clear_cached_op()
        for cld in self._children.values():
            cld.hybridize(active, **kwargs)
            cld._explicit_inactive = not active

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    def infer_shape(self, *args):
        """Fill unknown Parameter shapes from example inputs (a shape-only trace)."""
        self._deferred_infer(*args)

    def infer_type(self, *args):
        self._deferred_infer(*args)

    # ---- the forward styles ------------------------------------------------------------------------
    def forward(self, x, *args):
        """1.x dispatcher: calls ``hybrid_forward(F, x, *args, **params)``."""
        from .. import nd
        ctx = getattr(x, "context", None)
        params = {k: v.data(ctx) for k, v in self._reg_params.items()}
        return self.hybrid_forward(nd, x, *args, **params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define hybrid_forward(self, F, x, ...) or "
                                  "forward(self, x, ...)")

    # ---- calling -----------------------------------------------------------------------------------
    def _call_impl(self, *args):
        from ..sym.symbol import Symbol
        from .hybrid import annotate
        if args and any(isinstance(a, Symbol) for a in _leaves(args)):
            return self._call_symbolic(*args)
        hook = _param._TRACE_HOOK[0]
        if hook is not None:                     # inside an outer trace: inline this block
            if getattr(self, "_explicit_inactive", False) and hook.root is not self \
                    and not getattr(hook, "shape_only", False):   # a deferred-init trace inlines every child
                raise _EagerChild(self)
            hook.enter(self)
            try:
                return self.forward(*args)
            except HybridNetError as e:
                raise annotate(e, hook.where(self))
            finally:
                hook.leave()
        if self._active and not self._eager_children:
            try:
                return self._cached_call(*args)
            except _EagerChild:
                self._eager_children = True     # a child stays eager: run this level in Python
        self._check_deferred(args)
        try:
            return self.forward(*args)
        except HybridNetError as e:
            raise annotate(e, f"{type(self).__name__} '{self.name}'")

    def _check_deferred(self, args):
        if any(p._deferred_init for p in self._reg_params.values()):
            self._deferred_infer(*args)

    def _deferred_infer(self, *args):
        """Shape-only trace of this block's forward: fills deferred Parameter shapes and initialises them."""
        from ..nd.ndarray import NDArray
        from .hybrid import BlockTrace, flatten_args, regroup
        flat, fmt = flatten_args(args)
        arrays = [a for a in flat if isinstance(a, NDArray)]
        if not arrays:
            return
        bt = BlockTrace(self, arrays[0].context)
        bt.shape_only = True
        names = _input_names(len(arrays))
        with bt:
            phs = iter(bt.placeholders(arrays, names))
            targs = regroup([next(phs) if isinstance(a, NDArray) else a for a in flat], fmt)
            bt.enter(self)
            try:
                self.forward(*targs)
            except HybridNetError as e:
                if isinstance(e, (DeferredInitializationError, _param.DeferredInferenceError)):
                    from .hybrid import annotate
                    raise annotate(e, f"{type(self).__name__} '{self.name}'")
                raise _param.DeferredInferenceError(
                    f"Deferred initialization failed because shape cannot be inferred for {type(self).__name__} "
                    f"'{self.name}' with input shapes {[a.shape for a in arrays]}: {e}") from e
        for p in self._reg_params.values():
            if p._deferred_init:
                if not _param.shape_is_known(p.shape):
                    raise _param.DeferredInferenceError(
                        f"{type(self).__name__} '{self.name}': Parameter '{p.name}' still has an unknown shape "
                        f"{p.shape} after a forward with inputs {[a.shape for a in arrays]} (it is not used by "
                        "any operator). Give it a full shape, or implement infer_shape(self, x).")
                p._finish_deferred_init()

    def _cached_call(self, *args):
        NDArray = _NDArray[0]
        if NDArray is None:
            from ..nd.ndarray import NDArray
            _NDArray[0] = NDArray
        if all(type(a) is NDArray for a in args):          # the common case: positional arrays
            flat, fmt = args, _PLAIN_FMT.get(len(args)) or _PLAIN_FMT.setdefault(len(args), (0,) * len(args))
            arrays = args
        else:
            flat, fmt = _h.flatten_args(args)
            arrays = [a for a in flat if isinstance(a, NDArray)]
        if not arrays:
            return self.forward(*args)
        ctx = arrays[0].context
        for a in arrays[1:]:
            if a.context != ctx:
                raise ValueError(
                    f"Find multiple contexts in the input of {type(self).__name__} '{self.name}' ({ctx} and "
                    f"{a.context}). After hybridized, the HybridBlock only supports one input context. Fix: "
                    "move all inputs to one context with x.as_in_context(ctx).")
        sig = tuple((a.dtype, a.ndim) if isinstance(a, NDArray) else
                    ("none",) if a is None else ("py", type(a).__name__, a) for a in flat)
        recording = tape.RECORDING.get()
        key = (fmt, sig, ctx, tape.TRAINING.get(), recording)
        shapes = tuple(tuple(a.shape) for a in arrays)
        entry = self._cache.get(key)
        if entry is not None and entry.shape_read:
            entry = self._cache.get((key, shapes))
        if entry is None:
            self._trace_count += 1
            bt = _h.BlockTrace(self, ctx)
            names = _input_names(len(arrays))
            with bt:
                phs = iter(bt.placeholders(arrays, names))
                targs = _h.regroup([next(phs) if isinstance(a, NDArray) else a for a in flat], fmt)
                bt.enter(self)
                try:
                    out = self.forward(*targs)
                except HybridNetError as e:
                    raise _h.annotate(e, bt.where(self))
                struct = bt.finish(out)
            if bt.gt.pending:
                p = next(p for p in bt.params if not _param.shape_is_known(p.shape))
                raise _param.DeferredInferenceError(
                    f"{type(self).__name__} '{self.name}': Parameter '{p.name}' still has an unknown shape "
                    f"{p.shape} after a forward with inputs {[a.shape for a in arrays]} (it is not used by any "
                    "operator). Give it a full shape, or implement infer_shape(self, x).")
            _warn_unused(self, bt.gt.graph)
            entry = _h.HybridEntry(bt.gt.graph, bt.params, len(arrays), struct, bt.gt.shape_read, shapes,
                                bt.n_visible, bt.state_params)
            entry.input_names = names
            entry.in_fmt = fmt
            entry.cuda_graphs = bool(self._flags.get("static_alloc") and self._flags.get("static_shape"))
            self._cache[(key, shapes) if entry.shape_read else key] = entry
            if entry.shape_read:
                self._cache.setdefault(key, entry)
        self.__dict__["_last_entry"] = entry
        param_arrays = [_param_array(p, ctx) for p in entry.params]
        rec = recording and (any(a._entry is not None for a in arrays)
                             or any(a._entry is not None for a in param_arrays))
        outs = entry.run(arrays, param_arrays, rec, arrays)
        if entry.out_struct is None:
            return outs[0]
        return _unflatten(outs, entry.out_struct)

    def _call_symbolic(self, *args):
        """1.x: calling with Symbols builds a Symbol (``net(mx.sym.var('data'))``)."""
        from .. import sym
        if not _uses_hybrid_forward(type(self)):
            # 2.0-style forward (containers such as HybridSequential): children get the Symbols;
            # Parameters read with .data() are their variables
            old = _param._TRACE_HOOK[0]
            _param._TRACE_HOOK[0] = _SymbolHook()
            try:
                with self.name_scope():
                    return self.forward(*args)
            finally:
                _param._TRACE_HOOK[0] = old
        params = {k: v.var() for k, v in self._reg_params.items()}
        old = _param._TRACE_HOOK[0]
        _param._TRACE_HOOK[0] = None
        try:
            with self.name_scope():
                return self.hybrid_forward(sym, *args, **params)
        finally:
            _param._TRACE_HOOK[0] = old

    # ---- export --------------------------------------------------------------------------------------
    def export(self, path, epoch=0, remove_amp_cast=True):
        """Write ``path-symbol.json`` and ``path-%04d.params`` (MXNet 1.x format; loads in MXNet's
        ``SymbolBlock.imports`` and ``mx.model.load_checkpoint``). Needs one hybridized call first.
        The input names and output structure are recorded in the JSON (``attrs``; MXNet P7)."""
        if self._last_entry is None:
            raise RuntimeError("Please first call block.hybridize() and then run forward with this block at "
                               "least once before calling export.")
        from .export import export_entry
        return export_entry(self, self._last_entry, path, epoch)


_NDArray = [None]
_PLAIN_FMT = {}


def _param_array(p, ctx):
    """``p.data(ctx)`` without the checks on the hot path (one replica on the input's context)."""
    d = p._data
    if d is not None and len(d) == 1 and p._ctx_list[0] == ctx:
        return d[0]
    return p.data(ctx)


class _SymbolHook:
    """Parameter.data() while building a Symbol (1.x ``net(sym.var('data'))``): the variable."""
    root = None

    @staticmethod
    def param_value(p):
        return p.var()


class _EagerChild(Exception):
    """A child hybridized with active=False was reached while tracing its parent."""

    def __init__(self, block):
        super().__init__(block.name)


def _leaves(args):
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from _leaves(a)
        else:
            yield a


def _warn_unused(block, graph):
    """MXNet 1.9.1 ``_build_cache``'s warnings for data inputs and Parameters that no operator and no
    output of the traced graph uses (warned once per trace; stacklevel: the user's ``net(x)`` line)."""
    used = set(graph.outputs)
    for n in graph.nodes:
        used.update(n.inputs)
    unused = [f"{i}-th" for i, v in enumerate(v for v in graph.inputs if v.kind == "input") if v not in used]
    if unused:
        warnings.warn(f"The {', '.join(unused)} input to HybridBlock is not used by any computation. Is this "
                      "intended?", stacklevel=5)
    used_params = {v.name for v in graph.inputs if v.kind != "input" and v in used}
    names = [p.name for p in block.collect_params().values() if p.name not in used_params]
    if names:
        warnings.warn(f"Parameter {', '.join(names)} is not used by any computation. Is this intended?",
                      stacklevel=5)


def _input_names(n):
    return ["data"] if n == 1 else [f"data{i}" for i in range(n)]


