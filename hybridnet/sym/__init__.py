"""``hybridnet.sym`` (alias ``hybridnet.symbol``): MXNet 1.x's Symbol API over the graph IR.

Every registry op is ``sym.<op>(inputs..., attrs..., name=None, attr=None)`` with MXNet's auto-created
argument variables; ``var``/``Variable``, ``Group``, ``load``/``load_json`` and ``Symbol`` complete it.
See ``symbol.py`` (the Symbol), ``infer.py`` (shape/type inference), ``json_io.py`` (MXNet's JSON) and
``executor.py`` (``bind`` / ``simple_bind``).

>>> from hybridnet import sym
>>> net = sym.relu(sym.FullyConnected(sym.var('data'), num_hidden=4, name='fc1'), name='relu1')
>>> net.get_internals().list_outputs()
['data', 'fc1_weight', 'fc1_bias', 'fc1_output', 'relu1_output']
"""
from ..ops.registry import on_register as _on_register, public_ops as _public_ops
from .symbol import (AttrScope, Group, NameManager, Prefix, Symbol, Variable, make_symbol_function as _make,  # noqa: F401
                     var)
from .json_io import load, load_json  # noqa: F401

_g = globals()
_RESERVED = frozenset(_g)


def _install(op):
    if not op.public:
        return
    for n in (op.name,) + op.aliases:
        if n.isidentifier() and n not in _RESERVED and (n not in _g or getattr(_g[n], "_op", None) is not None):
            _g[n] = _make(op, n)


for _op in _public_ops():
    _install(_op)
_on_register(_install)


# ---- fluent methods: s.reshape(...), s.sum(axis=1), s.astype('float16') == sym.<op>(s, ...) ----------
def _fluent(fname, opname):
    def method(self, *args, **kwargs):
        return _g[opname](self, *args, **kwargs)
    method.__name__ = fname
    method.__doc__ = f"``s.{fname}(...)`` is ``sym.{opname}(s, ...)``."
    return method


def _install_fluent():
    from ..ops.methods import FLUENT
    pairs = [(n, n) for n in FLUENT] + [("reshape", "Reshape"), ("astype", "Cast"), ("flatten", "Flatten"),
                                        ("swapaxes", "SwapAxis"), ("split", "SliceChannel")]
    for fname, opname in pairs:
        if opname in _g and not hasattr(Symbol, fname):
            setattr(Symbol, fname, _fluent(fname, opname))


_install_fluent()
