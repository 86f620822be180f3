"""``hybridnet.nd``: legacy MXNet NDArray API. Op functions are generated from the registry (real
signatures, docstrings with examples); constructors and a few Python-level helpers are added here.

>>> from hybridnet import nd
>>> nd.relu(nd.array([-1, 2])).asnumpy().tolist()
[0.0, 2.0]
"""
import numbers as _numbers

import numpy as _np

from .. import ops as _ops
from ..ops.frontend import make_function as _make_function
from ..ops.registry import on_register as _on_register, public_ops as _public_ops
from .ndarray import NDArray
from . import eager as _eager  # noqa: F401  (installs the eager trace)
from .creation import (array, arange, empty, eye, from_dlpack, from_numpy, full, linspace, ones,  # noqa: F401
                       zeros)
from .io import load, load_frombuffer, save  # noqa: F401

_g = globals()


def _wrap_multi(r):
    return list(r) if isinstance(r, tuple) else r


def _install(op):
    if not op.public:
        return
    fn = _make_function(op, wrap=_wrap_multi)
    for n in (op.name,) + op.aliases:
        if n.isidentifier() and (n not in _g or getattr(_g[n], "_op", None) is not None):
            if n == op.name:
                _g[n] = fn
            else:
                alias = _make_function(op, fn_name=n, wrap=_wrap_multi)
                _g[n] = alias


for _op in _public_ops():
    _install(_op)
_on_register(_install)

from . import random  # noqa: E402,F401  (nd.random.uniform/normal/randint/multinomial/shuffle)


def _dispatch(bname, sname, rname=None):
    bop, sop = _ops.get_op(bname), _ops.get_op(sname)
    rop = _ops.get_op(rname) if rname else sop
    from ..ops.bind import bind

    def fn(lhs, rhs):
        ls, rs = isinstance(lhs, _numbers.Number), isinstance(rhs, _numbers.Number)
        if ls and rs:
            return _eval_scalar(bname, lhs, rhs)
        if rs:
            return bind(sop, (lhs,), {"scalar": rhs})
        if ls:
            return bind(rop, (rhs,), {"scalar": lhs})
        return bind(bop, (lhs, rhs), {})
    fn.__name__ = bname.replace("broadcast_", "")
    fn.__doc__ = (f"``lhs`` and ``rhs`` may be arrays (broadcast, ``{bname}``) or scalars "
                  f"(``{sname}``).\n\n>>> nd.{fn.__name__}(nd.ones((2, 1)), nd.ones((1, 3))).shape\n(2, 3)")
    return fn


def _eval_scalar(bname, a, b):
    import operator
    f = {"broadcast_add": operator.add, "broadcast_sub": operator.sub, "broadcast_mul": operator.mul,
         "broadcast_div": operator.truediv, "broadcast_mod": operator.mod, "broadcast_power": operator.pow,
         "broadcast_maximum": max, "broadcast_minimum": min}.get(bname)
    if f is None:
        import math
        cmp = {"broadcast_equal": operator.eq, "broadcast_not_equal": operator.ne,
               "broadcast_greater": operator.gt, "broadcast_greater_equal": operator.ge,
               "broadcast_lesser": operator.lt, "broadcast_lesser_equal": operator.le,
               "broadcast_hypot": math.hypot}[bname]
        return cmp(a, b) if bname == "broadcast_hypot" else float(cmp(a, b))
    return f(a, b)


add = _dispatch("broadcast_add", "_plus_scalar")
subtract = _dispatch("broadcast_sub", "_minus_scalar", "_rminus_scalar")
multiply = _dispatch("broadcast_mul", "_mul_scalar")
divide = true_divide = _dispatch("broadcast_div", "_div_scalar", "_rdiv_scalar")
modulo = _dispatch("broadcast_mod", "_mod_scalar", "_rmod_scalar")
power = _dispatch("broadcast_power", "_power_scalar", "_rpower_scalar")
maximum = _dispatch("broadcast_maximum", "_maximum_scalar")
minimum = _dispatch("broadcast_minimum", "_minimum_scalar")
hypot = _dispatch("broadcast_hypot", "_hypot_scalar")
equal = _dispatch("broadcast_equal", "_equal_scalar")
not_equal = _dispatch("broadcast_not_equal", "_not_equal_scalar")
greater = _dispatch("broadcast_greater", "_greater_scalar", "_lesser_scalar")
greater_equal = _dispatch("broadcast_greater_equal", "_greater_equal_scalar", "_lesser_equal_scalar")
lesser = _dispatch("broadcast_lesser", "_lesser_scalar", "_greater_scalar")
lesser_equal = _dispatch("broadcast_lesser_equal", "_lesser_equal_scalar", "_greater_equal_scalar")
logical_and = _dispatch("broadcast_logical_and", "_logical_and_scalar")
logical_or = _dispatch("broadcast_logical_or", "_logical_or_scalar")
logical_xor = _dispatch("broadcast_logical_xor", "_logical_xor_scalar")


def waitall():
    """Wait for all queued work on every device (CPU work is synchronous)."""
    from ..kernels import backend
    from ..device import gpu
    for i in range(backend.gpu_count()):
        backend.synchronize(gpu(i))
