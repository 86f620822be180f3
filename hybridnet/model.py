"""``mx.model`` checkpoints: ``prefix-symbol.json`` + ``prefix-%04d.params`` (``arg:`` / ``aux:`` keys).

The files are MXNet 1.x's (``mx.model.load_checkpoint`` reads hybridnet's and vice versa): the JSON is
``Symbol.save``'s, the parameters ``nd.save``'s with names ``arg:<name>`` and ``aux:<name>``.

>>> import os, tempfile
>>> from hybridnet import sym, nd, model
>>> net = sym.FullyConnected(sym.var('data'), num_hidden=2, name='fc')
>>> prefix = os.path.join(tempfile.mkdtemp(), 'net')
>>> model.save_checkpoint(prefix, 1, net, {'fc_weight': nd.ones((2, 3)), 'fc_bias': nd.zeros(2)}, {})
>>> s, args, aux = model.load_checkpoint(prefix, 1)
>>> s.list_arguments(), sorted(args), aux
(['data', 'fc_weight', 'fc_bias'], ['fc_bias', 'fc_weight'], {})
"""
from . import nd as _nd
from . import sym as _sym
from .errors import FormatError

__all__ = ["save_checkpoint", "load_checkpoint", "load_params"]


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write ``prefix-symbol.json`` (unless ``symbol`` is None) and ``prefix-%04d.params``."""
    if symbol is not None:
        symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
    save_dict = {f"arg:{k}": v.as_in_context(_cpu()) for k, v in arg_params.items()}
    save_dict.update({f"aux:{k}": v.as_in_context(_cpu()) for k, v in (aux_params or {}).items()})
    _nd.save("%s-%04d.params" % (prefix, epoch), save_dict)


def _cpu():
    from .device import cpu
    return cpu()


def load_params(prefix, epoch):
    """``(arg_params, aux_params)`` from ``prefix-%04d.params``."""
    fname = "%s-%04d.params" % (prefix, epoch)
    save_dict = _nd.load(fname)
    if not isinstance(save_dict, dict):
        raise FormatError(f"{fname}: a checkpoint holds named arrays (arg:<name>/aux:<name>), this file holds "
                          "an unnamed list")
    arg_params, aux_params = {}, {}
    for k, v in save_dict.items():
        tp, _, name = k.partition(":")
        if tp == "arg" and name:
            arg_params[name] = v
        elif tp == "aux" and name:
            aux_params[name] = v
        else:
            raise FormatError(f"{fname}: key {k!r} is not arg:<name> or aux:<name>; is this a Gluon "
                              "save_parameters file? (load it with net.load_parameters)")
    return arg_params, aux_params


def load_checkpoint(prefix, epoch):
    """``(symbol, arg_params, aux_params)`` from a checkpoint written by MXNet or hybridnet."""
    symbol = _sym.load(f"{prefix}-symbol.json")
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params
