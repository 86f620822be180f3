"""``ArrayMethods``: operators and fluent methods shared by ``NDArray`` and traced values.

Everything here goes through ``bind``, so ``x + y`` means the same eagerly and hybridized (MXNet P2:
on MXNet's Symbol ``+`` did not broadcast and ``x[0]`` picked an output). ``x + 2`` is
``_plus_scalar``, ``x + y`` is ``broadcast_add``, ``2 - x`` is ``_rminus_scalar``: the names MXNet
exports.
"""
import numbers

import numpy as np

from . import api as F
from .bind import bind
from .indexing import getitem as _getitem
from .registry import REGISTRY

__all__ = ["ArrayMethods", "FLUENT"]

_NUM = (numbers.Number, np.generic)
_E = {}


_NA = object()


def _binary(bname, sname, rname=None):
    bop, sop = REGISTRY[bname], REGISTRY[sname]
    rop = REGISTRY[rname] if rname else sop

    def fwd(self, other):
        if type(other) is float or type(other) is int or isinstance(other, _NUM):
            return bind(sop, (self,), {"scalar": other})
        if getattr(other, "_trace", _NA) is _NA and not isinstance(other, (np.ndarray, list, tuple)):
            return NotImplemented
        return bind(bop, (self, other), _E)

    def rev(self, other):
        if type(other) is float or type(other) is int or isinstance(other, _NUM):
            return bind(rop, (self,), {"scalar": other})
        if not isinstance(other, (np.ndarray, list, tuple)):
            return NotImplemented
        return bind(bop, (other, self), _E)
    return fwd, rev


class ArrayMethods:
    __slots__ = ()

    __add__, __radd__ = _binary("broadcast_add", "_plus_scalar")
    __sub__, __rsub__ = _binary("broadcast_sub", "_minus_scalar", "_rminus_scalar")
    __mul__, __rmul__ = _binary("broadcast_mul", "_mul_scalar")
    __truediv__, __rtruediv__ = _binary("broadcast_div", "_div_scalar", "_rdiv_scalar")
    __mod__, __rmod__ = _binary("broadcast_mod", "_mod_scalar", "_rmod_scalar")
    __pow__, __rpow__ = _binary("broadcast_power", "_power_scalar", "_rpower_scalar")
    __eq__, _ = _binary("broadcast_equal", "_equal_scalar")
    __ne__, _ = _binary("broadcast_not_equal", "_not_equal_scalar")
    __gt__, _ = _binary("broadcast_greater", "_greater_scalar")
    __ge__, _ = _binary("broadcast_greater_equal", "_greater_equal_scalar")
    __lt__, _ = _binary("broadcast_lesser", "_lesser_scalar")
    __le__, _ = _binary("broadcast_lesser_equal", "_lesser_equal_scalar")
    __div__, __rdiv__ = __truediv__, __rtruediv__
    del _

    def __neg__(self):
        return bind(REGISTRY["negative"], (self,), _E)

    def __pos__(self):
        return self

    def __abs__(self):
        return bind(REGISTRY["abs"], (self,), _E)

    # ---- indexing (ops/indexing.py: MXNet 1.9.1 legacy nd semantics, lowered to registry ops) ---
    def __getitem__(self, key):
        return _getitem(self, key)

    # ---- shape --------------------------------------------------------------------------------
    def reshape(self, *shape, **kwargs):
        """``x.reshape((2, -1))``, ``x.reshape(2, -1)`` or ``x.reshape(shape=(2, -1), reverse=False)``."""
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = shape[0]
        if "shape" in kwargs:
            shape = kwargs.pop("shape")
        return F.Reshape(self, shape=tuple(shape), **kwargs)

    @property
    def T(self):
        return F.transpose(self)

    def transpose(self, *axes, **kwargs):
        """``x.transpose()``, ``x.transpose((1, 0, 2))``, ``x.transpose(1, 0, 2)`` or ``x.transpose(axes=...)``."""
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (list, tuple))):
            axes = axes[0] or ()
        if "axes" in kwargs:
            axes = kwargs.pop("axes")
        return F.transpose(self, axes=() if axes is None else tuple(axes), **kwargs)

    def astype(self, dtype, copy=True):
        if not copy and np.dtype(dtype) == self.dtype:
            return self
        return F.Cast(self, dtype=dtype)

    def as_nd_ndarray(self):
        return self

    def asnd(self):
        return self


# MXNet's fluent methods: x.<name>(...) == nd.<name>(x, ...). Installed lazily for every op that exists.
FLUENT = (
    "abs", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "argmax", "argmax_channel",
    "argmin", "argsort", "broadcast_axes", "broadcast_like", "broadcast_to", "cbrt", "ceil", "clip",
    "cos", "cosh", "degrees", "depth_to_space", "diag", "exp", "expand_dims", "expm1", "fix", "flatten",
    "flip", "floor", "log", "log10", "log1p", "log2", "log_softmax", "max", "mean", "min", "nanprod",
    "nansum", "norm", "one_hot", "ones_like", "pad", "pick", "prod", "radians", "rcbrt", "reciprocal",
    "relu", "repeat", "reshape_like", "rint", "round", "rsqrt", "shape_array", "sigmoid", "sign", "sin",
    "sinh", "size_array", "slice", "slice_axis", "slice_like", "softmax", "softmin", "sort", "space_to_depth",
    "split", "sqrt", "square", "squeeze", "sum", "swapaxes", "take", "tan", "tanh", "tile", "topk",
    "transpose", "trunc", "zeros_like", "softsign", "erf", "erfinv", "gamma", "gammaln", "digamma",
    "softrelu", "broadcast_axis", "stack", "concat", "dot", "batch_dot", "gather_nd",
)


def _fluent(name):
    def method(self, *args, **kwargs):
        r = getattr(F, name)(self, *args, **kwargs)
        return list(r) if type(r) is tuple else r   # multi-output ops give a list, as nd.<op> does
    method.__name__ = name
    return method


def install_fluent(op):
    for n in (op.name,) + op.aliases:
        if n in FLUENT and not hasattr(ArrayMethods, n):
            setattr(ArrayMethods, n, _fluent(n))


def _install_all():
    from .registry import on_register, public_ops
    for op in public_ops():
        install_fluent(op)
    on_register(install_fluent)


_install_all()
