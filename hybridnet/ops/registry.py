"""The op table: ``defop`` (built-in and user ops), ``register_kernel``, lookup by name or alias."""
import difflib

from ..errors import HybridNetError
from .opdef import OpDef, Pattern

__all__ = ["REGISTRY", "defop", "register_kernel", "get_op", "public_ops", "builtin_ops", "on_register",
           "CPU_ONLY"]

REGISTRY = {}        # canonical name and every alias -> OpDef
_CANONICAL = {}      # canonical name -> OpDef (definition order)
_listeners = []
_pending_kernels = {}  # name -> {device: fn}, for kernels registered before their op


def defop(name, inputs, infer=None, pattern=None, **fields):
    """Define an op and register it (and its aliases); ``nd.<name>`` appears at once. Returns the ``OpDef``.

    This is also the public entry for user-defined ops (see ``examples/custom_op.py``): for an
    elementwise op give only ``scalar`` (a Numba-compilable scalar formula) and ``grad`` (written with
    existing ops); ``infer`` and ``pattern`` then default to "same shape" (one input) or NumPy
    broadcasting (several inputs), and CPU and CUDA kernels are generated from the formula. For
    float32 (and float16) arrays the formula's float literals are float32, so it computes in float32 as
    the built-in ops do; a helper it calls that needs float64 intermediates is marked
    ``@ops.scalar_helper(float64=True)``.

    >>> import math
    >>> from hybridnet import nd, ops
    >>> def _swish_grad(ctx, g):
    ...     x = ctx.inputs[0]; s = nd.sigmoid(x)
    ...     return (g * (s + x * s * (1 - s)),)
    >>> _ = ops.defop("doc_swish", ("data",), scalar=lambda x: x / (1.0 + math.exp(-x)),
    ...               grad=_swish_grad, saves=("inputs",), doc="x * sigmoid(x)")
    >>> [round(v, 4) for v in nd.doc_swish(nd.array([0.0, 1.0])).asnumpy().tolist()]
    [0.0, 0.7311]
    """
    replace = fields.pop("replace", False)
    if name in REGISTRY and not replace:
        raise HybridNetError(f"an op named {name!r} already exists; pick another name or pass replace=True")
    if pattern is None:
        if fields.get("scalar") is None:
            raise HybridNetError(f"defop({name!r}): give `pattern` (and `infer`), or a `scalar` formula for an "
                                 "elementwise op")
        pattern = Pattern.ELEMWISE if len(inputs) == 1 else Pattern.BROADCAST
    op = OpDef(name, inputs, infer, pattern, **fields)
    if infer is None and op.scalar is not None:   # (families may also set op.infer right after)
        from .infer import broadcast, same_as_input
        op.infer = same_as_input(op) if len(inputs) == 1 else broadcast(op)
    for dev, fn in _pending_kernels.pop(name, {}).items():
        op.kernels.setdefault(dev, fn)
    _CANONICAL[name] = op
    REGISTRY[name] = op
    for a in op.aliases:
        REGISTRY[a] = op
    for fn in _listeners:
        fn(op)
    return op


def register_kernel(name, device):
    """Decorator used by ``hybridnet/kernels``: attach ``fn`` as ``name``'s kernel on ``device``."""
    def deco(fn):
        op = _CANONICAL.get(name)
        if op is None:
            _pending_kernels.setdefault(name, {})[device] = fn
        else:
            op.kernels[device] = fn
        return fn
    return deco


def get_op(name):
    try:
        return REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(REGISTRY), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise HybridNetError(f"unknown operator {name!r}.{hint}") from None


def public_ops():
    """Canonical OpDefs in definition order (built-in and user-defined)."""
    return list(_CANONICAL.values())


_BUILTIN = set()


def freeze_builtins():
    """Called once by ``hybridnet.ops`` after the op families load: marks the built-in ops."""
    _BUILTIN.update(_CANONICAL)


def builtin_ops():
    """The ops hybridnet itself defines (not ``defop`` calls from user code)."""
    return [op for n, op in _CANONICAL.items() if n in _BUILTIN]


def on_register(fn):
    """Call ``fn(op)`` for every op defined from now on (front ends install functions this way)."""
    _listeners.append(fn)


# Ops that have no GPU kernel, with the reason. The completeness test reads this.
CPU_ONLY = {}
