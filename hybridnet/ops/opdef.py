"""The shape of one op definition: ``OpDef``, ``Attr`` (typed, MXNet string encoding), ``Pattern``.

Every operator is one ``OpDef`` in ``hybridnet/ops/<family>.py``; nothing about an op lives anywhere
else except its non-elementwise kernels, which ``hybridnet/kernels`` attaches by name.
"""
import enum
import numbers

import numpy as np

from .. import dtypes
from ..errors import AttrError, HybridNetError

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
        """``'1'`` -> ``1``, ``'1.5'`` -> ``1.5``: an int literal stays an int, as ``coerce`` keeps a
        Python int, so a parsed value re-encodes to the same string (MXNet writes ``x + 1`` as ``'1'``)."""
        try:
            return int(s)
        except ValueError:
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
        if v is None or v == "" or v == "None":   # MXNet writes ctx=None as 'None'
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
                 hidden_attrs=(), variadic=False, output_names=None, infer_params=None,
                 num_visible_outputs=None, state_outputs=None):
        self.name = name
        self.inputs = tuple(inputs)          # input names; variadic ops take a list as inputs[0]
        self.variadic = variadic
        self.infer = infer                   # infer(*specs, **attrs) -> spec | tuple of specs
        self.pattern = pattern
        # eager runs `infer` before the kernel unless the op is elementwise (the kernel's own
        # broadcasting then validates, and `infer` is re-run to word any error)
        self.eager_infer = pattern not in (Pattern.ELEMWISE, Pattern.BROADCAST)
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
        # MXNet's FNumVisibleOutputs: the generated nd/F functions and sym.<op> return only the first
        # this many outputs (Dropout: output, not its mask); the tape and graphs keep all of them, so a
        # grad rule can read a hidden output (ctx.outputs). None: every output is visible.
        self.num_visible_outputs = num_visible_outputs
        self.hidden_attrs = tuple(hidden_attrs)
        # state_outputs {output index: input name}: hidden outputs holding the new value of an input the
        # op updates (MXNet's mutated auxiliary states: BatchNorm's moving_mean/moving_var). ``bind``
        # writes them back: eagerly into the input array, in a graph trace as a recorded state write
        # that the hybridized call copies into the Parameter after each run (gluon/hybrid.py).
        self.state_outputs = dict(state_outputs or {})
        self.aux_inputs = tuple(self.state_outputs.values())   # sym: auxiliary states (list_auxiliary_states)
        in_names = [n.rstrip("?") for n in self.inputs]
        # (output index, input position) pairs, resolved once (bind reads them on every call)
        self.state_positions = tuple((oi, in_names.index(n)) for oi, n in self.state_outputs.items())
        # infer_params(in_shapes, **attrs) -> {input name: shape}: the shapes of parameter inputs an op
        # determines from the others (in_shapes: a shape or None per input), e.g. FullyConnected's
        # weight (num_hidden, in_units) from its data. Used by Symbol.infer_shape (MXNet's backward
        # shape inference; deferred initialisation). None: the op fills nothing.
        self.infer_params = infer_params

    def n_outputs(self, attrs, n_inputs):
        n = self.num_outputs
        return n(attrs, n_inputs) if callable(n) else n

    @property
    def differentiable(self):
        return self.grad is not None

    def __repr__(self):
        return f"<OpDef {self.name}>"

    def encode_attrs(self, attrs, given=None, num_inputs=None):
        """The attribute dict ``{name: string}`` as MXNet writes it in ``-symbol.json``.

        MXNet 1.9.1 writes exactly the attributes the caller passed -- defaults included when passed,
        nothing for those left out -- each as Python's ``str(value)`` (``x + 1`` -> ``'1'``, ``x + 1.5``
        -> ``'1.5'``, ``axis=[0, 1]`` -> ``'[0, 1]'``, ``shape=3`` -> ``'3'``, ``None`` -> ``'None'``), an
        attribute named ``dtype`` as ``np.dtype(value).name``, plus ``num_args`` = the number of inputs
        for a variadic op when not passed (``tests/golden/mxnet_attr_encoding.json`` records this).

        ``attrs`` holds normalised values (``bind.normalize_attrs``); ``given`` says which were passed:

        - a mapping ``{name: value as the caller passed it}`` (the call's kwargs, or the strings of an
          imported MXNet JSON): each is written as MXNet writes that value when that string reads back
          (``parse_attrs`` + normalisation) to the same normalised value, else in canonical form. This
          is the exact MXNet encoding: normalisation alone loses ``[0, 1]`` vs ``(0, 1)`` or ``3`` vs
          ``(3,)``, which MXNet keeps;
        - an iterable of names: those attributes in canonical form (``Attr.kind.encode`` of the
          normalised value: tuples ``'(0, 1)'``, ints ``'1'``, floats ``'1.5'``, bools ``'True'``,
          ``None`` ``'None'``, dtypes by name, devices ``'cpu(0)'``);
        - ``None`` (no call to mirror, e.g. an op hybridnet inserted itself): the attributes whose value
          differs from the default, in canonical form.

        ``num_inputs``: the number of inputs of a variadic op, written as ``num_args`` when not passed.
        ``parse_attrs`` inverts every form.
        """
        out = {}
        for a in self.attrs:
            if a.name not in attrs:
                continue
            v = attrs[a.name]
            if given is None:
                # `is` for a None default: np.dtype('float64') == None is True (None means float64)
                if v is not None if a.default is None else v != a.default:
                    out[a.name] = a.kind.encode(v)
            elif a.name in given:
                out[a.name] = a.kind.encode(v)
                if hasattr(given, "keys"):
                    s = _as_mxnet_writes(a.name, given[a.name])
                    if s is not None and s != out[a.name] and self._reads_back(a, s, v):
                        out[a.name] = s
        if self.variadic and num_inputs is not None and "num_args" in self.attr_map \
                and "num_args" not in out:
            out["num_args"] = str(num_inputs)
        return out

    def parse_attrs(self, strattrs):
        """Read MXNet JSON attribute strings back to values (then ``bind.normalize_attrs`` as for a
        call); ``'None'`` is ``None`` for an attribute whose default is ``None``. Inverts
        ``encode_attrs``. Attributes the op does not know are returned unchanged."""
        out = {}
        for k, v in strattrs.items():
            a = self.attr_map.get(k)
            out[k] = v if a is None else None if v == "None" and a.default is None else a.kind.parse(v)
        return out

    def _reads_back(self, a, s, value):
        try:
            p = self.parse_attrs({a.name: s})[a.name]
            p = a.coerce(p, self.name) if p is not None or a.default is not None else None
        except (TypeError, ValueError, HybridNetError):   # unreadable: use the canonical form
            return False
        if p is None or value is None:    # np.dtype('float64') == None is True
            return p is value
        return bool(p == value)


def _as_mxnet_writes(name, v):
    """The string MXNet 1.9.1's Python front end writes for a value passed as attribute ``name``
    (``str(v)``; an attribute named ``dtype`` by ``np.dtype(v).name``, so ``dtype=None`` is
    ``'float64'``), or None if it has none."""
    try:
        return np.dtype(v).name if name == "dtype" else str(v)
    except TypeError:
        return None


def scalar_helper(fn=None, *, float64=False):
    """Mark a plain-Python scalar function that ``scalar`` formulas call; the kernel generators
    compile it for the CPU (``njit``) and the GPU (``cuda.jit(device=True)``) along with the formula.

    For float32 arrays a formula's float literals are float32 (``kernels/formula.prepare``), so it
    computes in float32 as MXNet does; ``@scalar_helper(float64=True)`` keeps a helper's literals
    Python floats, so it computes in float64 (series and Newton iterations whose float32 rounding
    would show: digamma, trigamma, erfinv)."""
    def mark(f):
        f._hn_scalar_helper = True
        if float64:
            f._hn_float64 = True
        return f
    return mark if fn is None else mark(fn)
