"""The shape of one op definition: ``OpDef``, ``Attr`` (typed, MXNet string encoding), ``Pattern``.

Every operator is one ``OpDef`` in ``hybridnet/ops/<family>.py``; nothing about an op lives anywhere
else except its non-elementwise kernels, which ``hybridnet/kernels`` attaches by name.
"""
import enum
import numbers

import numpy as np

from .. import dtypes
from ..errors import AttrError

__all__ = ["OpDef", "Attr", "Pattern", "REQUIRED", "Shape", "Axes", "Axis", "DType", "Choice",
           "Int", "Float", "Bool", "Str", "AnyValue"]


class Pattern(enum.Enum):
    """Fusion class (NNVM/TVM ``OpPatternKind``)."""
    ELEMWISE = 0
    BROADCAST = 1
    INJECTIVE = 2
    REDUCE = 3
    OUT_FUSABLE = 4
    OPAQUE = 8


class _Required:
    def __repr__(self):
        return "REQUIRED"


REQUIRED = _Required()


# --- attribute kinds: coerce a Python value, encode it as MXNet writes it in JSON, parse it back ---

class _Kind:
    name = "any"

    def coerce(self, v):
        return v

    def encode(self, v):
        return str(v)

    def parse(self, s):
        return self.coerce(s)


class Int(_Kind):
    name = "int"

    def coerce(self, v):
        if isinstance(v, str):
            v = int(v)
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            if isinstance(v, numbers.Real) and float(v).is_integer():
                return int(v)
            raise TypeError
        return int(v)


class Float(_Kind):
    name = "float"

    def coerce(self, v):
        if isinstance(v, str):
            v = float(v)
        if not isinstance(v, numbers.Real):
            raise TypeError
        return float(v) if not isinstance(v, numbers.Integral) else v

    def parse(self, s):
        return float(s)


class Bool(_Kind):
    name = "bool"

    def coerce(self, v):
        if isinstance(v, str):
            if v in ("True", "true", "1"):
                return True
            if v in ("False", "false", "0"):
                return False
            raise TypeError
        return bool(v)


class Str(_Kind):
    name = "str"

    def coerce(self, v):
        if not isinstance(v, str):
            raise TypeError
        return v


class Choice(_Kind):
    def __init__(self, *choices):
        self.choices = choices
        self.name = "one of " + "/".join(repr(c) for c in choices)

    def coerce(self, v):
        if v not in self.choices:
            raise TypeError
        return v


def _parse_tuple(s):
    s = s.strip()
    if s in ("None", ""):
        return None
    s = s.strip("()[]")
    return tuple(int(p) for p in s.split(",") if p.strip() not in ("", "None"))


class Shape(_Kind):
    """A tuple of ints; an int is promoted to a 1-tuple."""
    name = "shape (tuple of int)"

    def coerce(self, v):
        if isinstance(v, str):
            return _parse_tuple(v) or ()
        if isinstance(v, numbers.Integral):
            return (int(v),)
        return tuple(int(d) for d in v)


class Axes(_Kind):
    """``None``, an int or a tuple of ints."""
    name = "axis (None, int or tuple of int)"

    def coerce(self, v):
        if v is None:
            return None
        if isinstance(v, str):
            t = _parse_tuple(v)
            return t if t is None or "(" in v or "[" in v or "," in v else t[0]
        if isinstance(v, numbers.Integral):
            return int(v)
        return tuple(int(a) for a in v)


class Axis(_Kind):
    """``None`` or an int."""
    name = "axis (int)"

    def coerce(self, v):
        if v is None or v == "None":
            return None
        if isinstance(v, (bool, np.bool_)):
            raise TypeError
        return int(v)


class DType(_Kind):
    name = "dtype"

    def coerce(self, v):
        if v is None or v == "None":
            return None
        return dtypes.normalize(v)

    def encode(self, v):
        return "None" if v is None else np.dtype(v).name


class AnyValue(_Kind):
    pass


class DeviceAttr(_Kind):
    """A device attribute (MXNet's ``ctx`` string attr): ``mx.gpu(0)``, ``'gpu(0)'``, ``'cpu'``;
    ``None`` or ``''`` means the current device. Encoded as MXNet writes it: ``cpu(0)``."""
    name = "device (mx.cpu(), mx.gpu(i) or a string such as 'cpu(0)')"

    def coerce(self, v):
        if v is None or v == "":
            return None
        from ..device import Device, resolve
        if isinstance(v, Device):
            return v
        if isinstance(v, str):
            return resolve(v)   # an unknown or absent device raises DeviceError, which says why
        raise TypeError

    def encode(self, v):
        return "" if v is None else str(v)


__all__.append("DeviceAttr")


class Attr:
    """A static op parameter: ``Attr('axis', Axes(), None, 'axes to reduce')``."""
    __slots__ = ("name", "kind", "default", "doc")

    def __init__(self, name, kind, default=REQUIRED, doc=""):
        self.name, self.kind, self.default, self.doc = name, kind, default, doc

    def coerce(self, value, op_name):
        if value is None and self.default is None:
            return None
        try:
            return self.kind.coerce(value)
        except (TypeError, ValueError):
            raise AttrError(f"operator {op_name}: attribute {self.name}={value!r} is not a valid "
                            f"{self.kind.name}. Pass {self.kind.name}"
                            + (f" (default {self.default!r})." if self.default is not REQUIRED else ".")
                            ) from None


class OpDef:
    """One operator. See ARCHITECTURE.md "Adding an op" for what each field means."""

    def __init__(self, name, inputs, infer, pattern, *, attrs=(), scalar=None, scalar_attrs=(),
                 grad=None, saves=(), nondiff=(), inplace=(), effects=False, doc="", aliases=(),
                 num_outputs=1, kernels=None, public=True, cpu_only=None, dtype_check="same",
                 hidden_attrs=(), variadic=False, output_names=None):
        self.name = name
        self.inputs = tuple(inputs)          # input names; variadic ops take a list as inputs[0]
        self.variadic = variadic
        self.infer = infer                   # infer(*specs, **attrs) -> spec | tuple of specs
        self.pattern = pattern
        self.attrs = tuple(attrs)
        self.attr_map = {a.name: a for a in self.attrs}
        self.scalar = scalar                 # elementwise scalar formula f(*xs, *scalar_attrs)
        self.scalar_attrs = tuple(scalar_attrs)
        self.grad = grad                     # grad(ctx, *out_grads) -> tuple (None = no grad)
        self.saves = frozenset(saves)        # subset of {"inputs", "outputs"} kept for grad
        self.nondiff = tuple(nondiff)        # input indices that never get a gradient
        self.inplace = tuple(inplace)        # (in_idx, out_idx) pairs the planner may alias
        self.effects = effects               # random/stateful: never folded, never DCE'd
        self.doc = doc
        self.aliases = tuple(aliases)
        self.num_outputs = num_outputs       # int, or fn(attrs, n_inputs) -> int
        self.kernels = dict(kernels or {})   # {"cpu": fn, "gpu": fn}; elementwise ones derived
        self.public = public
        self.cpu_only = cpu_only             # reason string if the op has no GPU kernel
        self.dtype_check = dtype_check       # "same": all inputs must share a dtype; None: op checks
        self.output_names = output_names     # MXNet output names for multi-output ops
        self.hidden_attrs = tuple(hidden_attrs)

    def n_outputs(self, attrs, n_inputs):
        n = self.num_outputs
        return n(attrs, n_inputs) if callable(n) else n

    @property
    def differentiable(self):
        return self.grad is not None

    def __repr__(self):
        return f"<OpDef {self.name}>"

    def encode_attrs(self, attrs):
        """Attribute dict as MXNet writes it in JSON (only non-default values, strings)."""
        out = {}
        for a in self.attrs:
            # `is` for a None default: np.dtype('float64') == None is True (None means float64)
            if a.name in attrs and (attrs[a.name] is not None if a.default is None
                                    else attrs[a.name] != a.default):
                out[a.name] = a.kind.encode(attrs[a.name])
        return out

    def parse_attrs(self, strattrs):
        return {k: (self.attr_map[k].kind.parse(v) if k in self.attr_map else v)
                for k, v in strattrs.items()}


def scalar_helper(fn):
    """Mark a plain-Python scalar function that ``scalar`` formulas call; the kernel generators
    compile it for the CPU (``njit``) and the GPU (``cuda.jit(device=True)``) along with the formula."""
    fn._hn_scalar_helper = True
    return fn
