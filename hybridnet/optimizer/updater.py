"""``Updater``: applies an optimizer to ``(index, grad, weight)`` triples, creating states lazily, and
saves/restores them WITHOUT pickle.

``get_states(dump_optimizer=False)`` returns the bytes of a safetensors file
(``hybridnet/formats/safetensors.py``): every state array is a tensor named ``s<k>`` (k counts the
arrays in order), and the JSON ``__metadata__`` holds

- ``format``: ``"hybridnet.optimizer.states/1"``;
- ``states``: JSON ``[[index, structure], ...]`` in insertion order, where ``index`` is
  ``{"i": 3}`` or ``{"s": "name"}`` and ``structure`` is ``null`` (no state), ``{"t": "s<k>"}`` (an
  array) or ``{"tuple": [...]}`` / ``{"list": [...]}`` (nested);
- ``counters``: JSON of what changes while training, so that a resumed run is bit-identical:
  ``num_update``, the per-device per-index update counts, the optimizer's extra running values
  (Nadam's ``m_schedule``, LARS's ``cur_lr``/``last_lr``) and the learning-rate scheduler's attributes;
- ``optimizer`` (only with ``dump_optimizer=True``): the optimizer's registered name and all its
  attributes (hyperparameters, multipliers, ``idx2name``, scheduler) in a typed JSON encoding
  (``{"tuple": [...]}``, ``{"dict": [[key, value], ...]}`` for non-string keys,
  ``{"lr_scheduler": class name, "attrs": {...}}``).

``set_states(data)`` validates and restores; the counters are always restored (MXNet restores them
only with the pickled optimizer), the optimizer object is rebuilt only from a ``dump_optimizer=True``
blob, by registered class name (no arbitrary code runs: only ``Optimizer.opt_registry`` and
``hybridnet.lr_scheduler`` classes). Restored arrays live on the CPU until the next update moves them
to the weight's device (MXNet's ``sync_state_context``). A truncated or foreign blob raises
``hybridnet.errors.FormatError``.
"""
import json

import numpy as np

from .. import lr_scheduler as _lrs
from ..errors import FormatError
from ..formats import safetensors
from .optimizer import Optimizer

__all__ = ["Updater", "get_updater"]

FORMAT = "hybridnet.optimizer.states/1"


class Updater:
    """Updater for kvstore-free training (MXNet 1.9.1 ``mx.optimizer.Updater``)."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index, grad, weight):
        if not isinstance(index, (list, tuple)):
            indices, grads, weights = [index], [grad], [weight]
        else:
            indices, grads, weights = list(index), list(grad), list(weight)
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                indices[i] = idx = idx.decode()
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx], weights[i].context)
                self.states_synced[idx] = True
        for i, w, g in zip(indices, weights, grads):
            self.optimizer.update_multi_precision(i, w, g, self.states[i])

    def sync_state_context(self, state, context):
        """``state`` with every array moved to ``context``."""
        if hasattr(state, "as_in_context"):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(i, context) for i in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    # ---- serialisation ----------------------------------------------------------------------
    def get_states(self, dump_optimizer=False):
        """The states (and with ``dump_optimizer`` the optimizer) as bytes (see the module doc)."""
        tensors = {}

        def enc_state(s):
            if s is None:
                return None
            if isinstance(s, (tuple, list)):
                return {"tuple" if isinstance(s, tuple) else "list": [enc_state(x) for x in s]}
            if hasattr(s, "asnumpy"):
                name = f"s{len(tensors)}"
                tensors[name] = s.asnumpy()
                return {"t": name}
            raise FormatError(f"cannot save an optimizer state of type {type(s).__name__}")

        entries = [[_enc_key(k), enc_state(v)] for k, v in self.states.items()]
        meta = {"format": FORMAT, "states": json.dumps(entries),
                "counters": json.dumps(_counters(self.optimizer))}
        if dump_optimizer:
            meta["optimizer"] = json.dumps(_enc_optimizer(self.optimizer))
        return safetensors.dumps(tensors, meta)

    def set_states(self, states):
        """Restore what :meth:`get_states` returned."""
        if not isinstance(states, (bytes, bytearray, memoryview)):
            raise FormatError(f"set_states expects the bytes get_states returned, got {type(states).__name__}")
        tensors, meta = safetensors.loads(states, what="optimizer states")
        if meta.get("format") != FORMAT:
            raise FormatError(f"not hybridnet optimizer states (format {meta.get('format')!r}, expected "
                              f"{FORMAT!r}); MXNet's pickled states cannot be loaded")
        try:
            entries = json.loads(meta["states"])
            counters = json.loads(meta["counters"])
            opt = json.loads(meta["optimizer"]) if "optimizer" in meta else None
        except (KeyError, ValueError) as e:
            raise FormatError(f"optimizer states: corrupt metadata ({type(e).__name__}: {e})") from None
        from .. import nd
        from ..device import cpu

        def dec_state(s):
            if s is None:
                return None
            if "t" in s:
                if s["t"] not in tensors:
                    raise FormatError(f"optimizer states: array {s['t']!r} is missing")
                return nd.array(tensors[s["t"]], ctx=cpu(), dtype=tensors[s["t"]].dtype)
            if "tuple" in s:
                return tuple(dec_state(x) for x in s["tuple"])
            if "list" in s:
                return [dec_state(x) for x in s["list"]]
            raise FormatError(f"optimizer states: unknown entry {s!r}")

        new_states = {_dec_key(k): dec_state(v) for k, v in entries}
        if opt is not None:
            self.optimizer = _dec_optimizer(opt)
        _set_counters(self.optimizer, counters)
        self.states = new_states
        self.states_synced = dict.fromkeys(self.states.keys(), False)


def get_updater(optimizer):
    """An :class:`Updater` for ``optimizer``."""
    return Updater(optimizer)


# ---- JSON encodings ----------------------------------------------------------------------------

def _enc_key(k):
    if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
        return {"i": int(k)}
    if isinstance(k, str):
        return {"s": k}
    raise FormatError(f"cannot save optimizer states with an index of type {type(k).__name__} ({k!r})")


def _dec_key(k):
    if isinstance(k, dict) and "i" in k:
        return int(k["i"])
    if isinstance(k, dict) and "s" in k:
        return str(k["s"])
    raise FormatError(f"optimizer states: bad index entry {k!r}")


def _enc(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, tuple):
        return {"tuple": [_enc(x) for x in v]}
    if isinstance(v, list):
        return [_enc(x) for x in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v):
            return {"map": {k: _enc(x) for k, x in v.items()}}
        return {"dict": [[_enc(k), _enc(x)] for k, x in v.items()]}
    if isinstance(v, _lrs.LRScheduler):
        return {"lr_scheduler": type(v).__name__, "attrs": {k: _enc(x) for k, x in vars(v).items()}}
    raise FormatError(f"cannot save an optimizer attribute of type {type(v).__name__} ({v!r})")


def _dec(v):
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if not isinstance(v, dict):
        return v
    if "tuple" in v:
        return tuple(_dec(x) for x in v["tuple"])
    if "map" in v:
        return {k: _dec(x) for k, x in v["map"].items()}
    if "dict" in v:
        return {_dec(k): _dec(x) for k, x in v["dict"]}
    if "lr_scheduler" in v:
        cls = getattr(_lrs, v["lr_scheduler"], None)
        if not (isinstance(cls, type) and issubclass(cls, _lrs.LRScheduler)):
            raise FormatError(f"optimizer states: unknown lr scheduler {v['lr_scheduler']!r}")
        obj = cls.__new__(cls)
        obj.__dict__.update({k: _dec(x) for k, x in v["attrs"].items()})
        return obj
    raise FormatError(f"optimizer states: unknown encoded value {v!r}")


_SKIP = ("param_dict", "_index_update_count", "sym_info")


def _enc_optimizer(opt):
    name = type(opt).__name__.lower()
    if Optimizer.opt_registry.get(name) is not type(opt):
        raise FormatError(f"cannot save optimizer {type(opt).__name__}: it is not registered "
                          "(decorate the class with @mx.optimizer.register)")
    return {"name": name, "attrs": {k: _enc(v) for k, v in vars(opt).items() if k not in _SKIP}}


def _dec_optimizer(d):
    try:
        name, attrs = d["name"], d["attrs"]
    except (KeyError, TypeError):
        raise FormatError("optimizer states: corrupt optimizer entry") from None
    cls = Optimizer.opt_registry.get(name)
    if cls is None:
        raise FormatError(f"optimizer states were saved with optimizer {name!r}, which is not registered here")
    opt = cls.__new__(cls)
    opt.__dict__.update({k: _dec(v) for k, v in attrs.items()})
    opt.param_dict = {}
    opt.sym_info = ()
    opt._all_index_update_counts = opt.__dict__.get("_all_index_update_counts") or {0: {}}
    opt._index_update_count = opt._all_index_update_counts.setdefault(0, {})
    return opt


def _counters(opt):
    c = {"num_update": int(opt.num_update),
         "counts": [[int(dev), [[_enc_key(k), int(n)] for k, n in counts.items()]]
                    for dev, counts in opt._all_index_update_counts.items()],
         "extra": {k: _enc(getattr(opt, k)) for k in type(opt)._DYNAMIC if hasattr(opt, k)}}
    if opt.lr_scheduler is not None:
        c["lr_scheduler"] = _enc(opt.lr_scheduler)
    return c


def _set_counters(opt, c):
    try:
        opt.num_update = int(c["num_update"])
        opt._all_index_update_counts = {int(dev): {_dec_key(k): int(n) for k, n in counts}
                                        for dev, counts in c["counts"]}
        if not opt._all_index_update_counts:
            opt._all_index_update_counts = {0: {}}
        first = next(iter(opt._all_index_update_counts))
        opt._index_update_count = opt._all_index_update_counts[first]
        for k, v in c.get("extra", {}).items():
            if k in type(opt)._DYNAMIC:
                setattr(opt, k, _dec(v))
        if "lr_scheduler" in c and opt.lr_scheduler is not None:
            saved = _dec(c["lr_scheduler"])
            if type(saved) is type(opt.lr_scheduler):
                opt.lr_scheduler.__dict__.update(saved.__dict__)
    except (KeyError, TypeError, ValueError) as e:
        raise FormatError(f"optimizer states: corrupt counters ({type(e).__name__}: {e})") from None
