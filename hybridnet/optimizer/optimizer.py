"""Optimizers with MXNet 1.9.1's update rules, defaults and bookkeeping (``mx.optimizer``).

``Optimizer(rescale_grad=1.0, param_idx2name=None, wd=0.0, clip_gradient=None, learning_rate=None,
lr_scheduler=None, sym=None, begin_num_update=0, multi_precision=False, param_dict=None)`` keeps
MXNet's state exactly: ``lr`` (0.01 when neither a rate nor a scheduler is given; subclasses have
their own defaults, e.g. Adam 0.001), ``num_update``, the per-index update counts (per device, as
``_set_current_context`` switches them), ``lr_mult``/``wd_mult`` (``param_dict[index].lr_mult`` first,
then ``set_lr_mult``/``set_wd_mult`` keys by index, then by name through ``param_idx2name``; with
``param_idx2name`` every name not ending in ``_weight``/``_gamma`` gets ``wd_mult`` 0).

Each ``update(index, weight, grad, state)`` counts the update, reads lr/wd, and runs one fused kernel
(``kernels/cpu/optim.py``, ``kernels/cuda/optim.py``, looked up by the weight's device through the
update ops of ``optimizer/update_ops.py``) that updates weight and states in place in one pass.
Adamax, Nadam, SGLD and DCASGD are written with nd ops exactly as MXNet writes them in Python.

``multi_precision=True`` with float16 weights keeps a float32 master copy: ``SGD``/``NAG``/``LARS`` state
``(state, weight32)`` and run the fused mixed-precision kernels; the others state
``(weight32, state)`` and update the master copy, then cast it into the weight (MXNet's
``update_multi_precision``).

Differences from MXNet (deliberate): AdaDelta does not scale the caller's gradient array in place
(MXNet 1.9.1 does ``grad *= rescale_grad``); ``AdamW`` (not in 1.9.1's registry) is MXNet 2.0's
``AdamW`` fused step: ``w -= lr_t * (m / (sqrt(v) + epsilon) + wd * w)`` with the bias-corrected
``lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)`` (``correct_bias=True``) and the gradient
``clip(rescale_grad * grad)``; optimizer states are float32 for float16/float32 weights and float64
for float64 weights (MXNet makes AdaGrad/RMSProp/AdaDelta/Ftrl states float32 always). Aggregated
multi-array updates (``MXNET_OPTIMIZER_AGGREGATION_SIZE``) are applied one array at a time: the
arithmetic per element is the same.
"""
import math
import os
import warnings

import numpy as np

from ..errors import DTypeError, ShapeError
from ..kernels import kernel_for
from ..kernels.backend import xp_of
from .update_ops import UPDATE_OPS

__all__ = ["Optimizer", "SGD", "Signum", "FTML", "LARS", "LAMB", "DCASGD", "NAG", "SGLD", "ccSGD", "Adam",
           "AdamW", "AdaGrad", "RMSProp", "AdaDelta", "Ftrl", "Adamax", "Nadam", "Test", "create", "register"]

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)


def _nd():
    from .. import nd
    return nd


def _zeros_like(weight, dtype=None):
    return _nd().zeros(weight.shape, ctx=weight.context, dtype=dtype or weight.dtype)


def _state_dtype(weight):
    """MXNet's ``zeros(shape, ctx)`` states are float32; float64 weights keep float64 here."""
    return np.dtype(np.float64) if weight.dtype == np.float64 else _F32


def _run(name, weight, grad, *states, out=None, **attrs):
    """Run the fused update kernel ``name`` on NDArrays (states updated in place); the new weight goes to
    ``out`` (default: ``weight`` itself)."""
    if grad.shape != weight.shape:
        raise ShapeError(f"optimizer update ({name}): gradient shape {grad.shape} does not match the weight's "
                         f"{weight.shape}")
    if grad.context != weight.context:
        grad = grad.as_in_context(weight.context)
    if grad.dtype.kind != "f" or weight.dtype.kind != "f":
        raise DTypeError(f"optimizer update ({name}): weight ({weight.dtype}) and gradient ({grad.dtype}) "
                         "must be floating point")
    op = UPDATE_OPS[name]
    dev = weight.context
    k = op.kernels.get(dev.device_type) or kernel_for(op, dev)
    out = weight if out is None else out
    k(weight._data, grad._data, *[s._data for s in states], out=out._data, **attrs)
    return out


def _warn_f16(optimizer_name):
    warnings.warn("Accumulating with float16 in optimizer can lead to "
                  "poor accuracy or slow convergence. "
                  "Consider using multi_precision=True option of the "
                  f"{optimizer_name}")


class Optimizer:
    """The base class of all optimizers (MXNet 1.9.1 ``mx.optimizer.Optimizer``).

    >>> import hybridnet as mx
    >>> opt = mx.optimizer.create('sgd', learning_rate=0.1, momentum=0.9, wd=0.01)
    >>> upd = mx.optimizer.get_updater(opt)
    >>> w, g = mx.nd.array([1.0]), mx.nd.array([2.0])
    >>> upd(0, g, w); upd(0, g, w)
    >>> round(float(w.asscalar()), 5)
    0.4173
    """

    _DYNAMIC = ()       # extra attributes that change during training (saved with the counters)

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None, learning_rate=None,
                 lr_scheduler=None, sym=None, begin_num_update=0, multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if self.lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if self.lr_scheduler is not None and learning_rate is not None:
            if self.lr_scheduler.base_lr != learning_rate:
                print(UserWarning("learning rate from ``lr_scheduler`` has been "
                                  "overwritten by ``learning_rate`` in optimizer."))
                self.lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise TypeError('param_idx2name should be a dict of param indexes to names.')
        self.idx2name = param_idx2name.copy()
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self.allow_np_array = False
        self.set_lr_mult({})
        self.set_wd_mult({})

    opt_registry = {}

    @staticmethod
    def register(klass):
        """Register an optimizer class under its lower-cased name (for ``create``)."""
        if not isinstance(klass, type):
            raise TypeError(f"register expects a class, got {klass!r}")
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            warnings.warn('WARNING: New optimizer %s.%s is overriding existing optimizer %s.%s' % (
                klass.__module__, klass.__name__, Optimizer.opt_registry[name].__module__,
                Optimizer.opt_registry[name].__name__))
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """An optimizer by registered name (case-insensitive) and keyword arguments."""
        if name.lower() in Optimizer.opt_registry:
            return Optimizer.opt_registry[name.lower()](**kwargs)
        raise ValueError('Cannot find optimizer %s (registered: %s)' % (name, ", ".join(sorted(
            Optimizer.opt_registry))))

    @property
    def learning_rate(self):
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def create_state(self, index, weight):
        """The auxiliary state of one weight (None by default)."""

    def create_state_multi_precision(self, index, weight):
        """``(weight32, state)`` for a float16 weight with ``multi_precision``, else ``create_state``."""
        if self.multi_precision and weight.dtype == np.float16:
            weight_master_copy = weight.astype(np.float32)
            return (weight_master_copy,) + (self.create_state(index, weight_master_copy),)
        if weight.dtype == np.float16 and not self.multi_precision:
            _warn_f16("optimizer")
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        raise NotImplementedError()

    def update_multi_precision(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update_multi_precision(i, w, g, s)
            return
        if self.multi_precision and weight.dtype == np.float16:
            weight_master_copy = state[0]
            original_state = state[1]
            grad32 = grad.astype(np.float32)
            self.update(index, weight_master_copy, grad32, original_state)
            weight._data[...] = weight_master_copy._data
        else:
            self.update(index, weight, grad, state)

    def set_learning_rate(self, lr):
        """Set the learning rate (an error when an ``lr_scheduler`` owns it, as in MXNet)."""
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been "
                              "defined. Note that set_learning_rate can mutate "
                              "the value of the learning rate of the optimizer "
                              "only when the LRScheduler of the optimizer is "
                              "undefined.")
        self.lr = lr

    def set_lr_scale(self, args_lrscale):
        raise DeprecationWarning

    def _sym_mults(self, key):
        """``{argument name: float}`` of the symbol's ``__lr_mult__``/``__wd_mult__`` attributes."""
        if not self.sym_info:
            return {}
        attr, arg_names = self.sym_info
        return {name: float(attr[name][key]) for name in arg_names if name in attr and key in attr[name]}

    def set_lr_mult(self, args_lr_mult):
        """Per-parameter learning-rate multipliers, keyed by index or name."""
        self.lr_mult = self._sym_mults('__lr_mult__')
        self.lr_mult.update(args_lr_mult)

    _WD_SUFFIXES = ('_weight', '_gamma')    # param_idx2name names without one of these get wd_mult 0

    def set_wd_mult(self, args_wd_mult):
        """Per-parameter weight-decay multipliers, keyed by index or name (names not ending in
        ``_weight``/``_gamma`` -- LARS: ``_weight`` -- from ``param_idx2name`` default to 0)."""
        self.wd_mult = {n: 0.0 for n in self.idx2name.values() if not n.endswith(self._WD_SUFFIXES)}
        self.wd_mult.update(self._sym_mults('__wd_mult__'))
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index):
        if not isinstance(index, (list, tuple)):
            index = [index]
        for idx in index:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _scaled(self, value, indices, kind):
        """``value`` times each index's multiplier ``kind`` ('lr_mult'/'wd_mult'): the Parameter's own
        first, then the multiplier dict by index, then by name through ``param_idx2name``."""
        mults = getattr(self, kind)
        out = [value for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                out[i] *= getattr(self.param_dict[index], kind)
            elif index in mults:
                out[i] *= mults[index]
            elif index in self.idx2name:
                out[i] *= mults.get(self.idx2name[index], 1.0)
        return out

    def _base_lr(self):
        return self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr

    def _get_lrs(self, indices):
        return self._scaled(self._base_lr(), indices, 'lr_mult')

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        return self._scaled(self.wd, indices, 'wd_mult')

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    def _clip_kw(self):
        """MXNet passes clip_gradient to its fused ops only when truthy (None or 0: no clipping)."""
        return self.clip_gradient if self.clip_gradient else -1.0

    def _py_grad(self, grad, weight=None, wd=0.0):
        """MXNet's Python-level updates: ``grad * rescale_grad`` (``+ wd * weight`` when a weight is given),
        clipped to ``[-clip_gradient, clip_gradient]`` when clip_gradient is not None."""
        grad = grad * self.rescale_grad if weight is None else grad * self.rescale_grad + wd * weight
        if self.clip_gradient is not None:
            grad = _nd().clip(grad, -self.clip_gradient, self.clip_gradient)
        return grad

    def _clip_py(self):
        """MXNet's Python-level updates clip whenever clip_gradient is not None (0 clips to 0)."""
        return -1.0 if self.clip_gradient is None else self.clip_gradient

    def __getstate__(self):
        ret = self.__dict__.copy()
        ret.pop('param_dict', None)
        return ret

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}


register = Optimizer.register
create = Optimizer.create_optimizer


def _each(fn):
    """Let ``update(index, ...)`` take lists (MXNet's aggregated calls), one array at a time."""
    def update(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                fn(self, i, w, g, s)
        else:
            fn(self, index, weight, grad, state)
    update.__name__ = fn.__name__
    update.__doc__ = fn.__doc__
    return update


class _ImplUpdates:
    """``update``/``update_multi_precision`` through ``_update_impl(index, weight, grad, state, mp)``
    (mixed precision when ``multi_precision`` and the weights are float16)."""

    def update(self, index, weight, grad, state):
        _each(lambda s, i, w, g, st: s._update_impl(i, w, g, st, False))(self, index, weight, grad, state)

    def update_multi_precision(self, index, weight, grad, state):
        w0 = weight[0] if isinstance(index, (list, tuple)) else weight
        mp = self.multi_precision and w0.dtype == np.float16
        _each(lambda s, i, w, g, st: s._update_impl(i, w, g, st, mp))(self, index, weight, grad, state)


class _MasterFirstState(_ImplUpdates):
    """SGD/NAG/LARS: multi-precision state is ``(state, weight32)`` and updates run the mp kernels."""

    def create_state_multi_precision(self, index, weight):
        if self.multi_precision and weight.dtype == np.float16:
            weight_master_copy = weight.astype(np.float32)
            return (self.create_state(index, weight_master_copy), weight_master_copy)
        if weight.dtype == np.float16 and not self.multi_precision:
            _warn_f16(f"{type(self).__name__} optimizer")
        return self.create_state(index, weight)


@register
class SGD(_MasterFirstState, Optimizer):
    """SGD with momentum and weight decay: ``state = momentum*state + lr*(rescale_grad*clip(grad) + wd*w)``;
    ``w -= state`` (the fused kernel stores the momentum with the opposite sign, as MXNet's does).
    ``lazy_update`` is accepted (it matters only for sparse gradients)."""

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', "4"))

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return _zeros_like(weight)
        return None

    def _lr_wd(self, index, weight, grad):
        return self._get_lr(index), self._get_wd(index)

    def _momentum(self):
        return self.momentum

    def _update_impl(self, index, weight, grad, state, multi_precision):
        self._update_count(index)
        lr, wd = self._lr_wd(index, weight, grad)
        kw = dict(lr=lr, wd=wd, rescale_grad=self.rescale_grad, clip_gradient=self._clip_kw())
        mom = self._momentum()
        if not multi_precision:
            if state is not None:
                _run("sgd_mom_update", weight, grad, state, momentum=mom if mom > 0 else 0.0, **kw)
            else:
                _run("_optim_multi_sgd", weight, grad, **kw)
        else:
            if state[0] is not None:
                _run("mp_sgd_mom_update", weight, grad, state[0], state[1], momentum=mom if mom > 0 else 0.0,
                     **kw)
            else:
                _run("mp_sgd_update", weight, grad, state[1], **kw)


@register
class ccSGD(SGD):
    """Deprecated alias of SGD (MXNet keeps it registered)."""


@register
class NAG(_MasterFirstState, Optimizer):
    """Nesterov accelerated SGD (``nag_mom_update``; plain ``sgd_update`` without momentum)."""

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return _zeros_like(weight)
        return None

    def update_multi_precision(self, index, weight, grad, state):
        mp = self.multi_precision and weight.dtype == np.float16 and isinstance(state, (tuple, list))
        self._update_impl(index, weight, grad, state, mp)

    def _update_impl(self, index, weight, grad, state, multi_precision):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        kw = dict(lr=lr, wd=wd, rescale_grad=self.rescale_grad, clip_gradient=self._clip_kw())
        mom = self.momentum if self.momentum > 0 else 0.0
        if not multi_precision:
            if state is not None:
                _run("nag_mom_update", weight, grad, state, momentum=mom, **kw)
            else:
                _run("sgd_update", weight, grad, **kw)
        else:
            if state[0] is not None:
                _run("mp_nag_mom_update", weight, grad, state[0], state[1], momentum=mom, **kw)
            else:
                _run("mp_sgd_update", weight, grad, state[1], **kw)


@register
class LARS(SGD):
    """SGD with layer-wise adaptive rate scaling: for arrays whose name (``param_idx2name``) does not end
    in gamma/beta/bias, ``lr *= eta*||w|| / (||rescale_grad*g|| + wd*||w|| + eps)`` (when both norms are
    positive); momentum is scaled by ``cur_lr/last_lr`` with ``momentum_correction``."""

    _DYNAMIC = ("cur_lr", "last_lr", "skip")

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0, momentum_correction=True, **kwargs):
        super().__init__(momentum=momentum, lazy_update=lazy_update, **kwargs)
        self.momentum_correction = momentum_correction
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr = None
        self.cur_lr = None

    _WD_SUFFIXES = ('_weight',)

    def _get_lrs(self, indices):
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self._base_lr()
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        return self._scaled(lr, indices, 'lr_mult')

    def _l2norm(self, v, rescale=False):
        a = v._data.astype(np.float32)
        if rescale:
            a = a * np.float32(self.rescale_grad)
        return float(xp_of(a).sqrt((a * a).sum(dtype=np.float32)))

    def _lr_wd(self, index, weight, grad):
        lr, wd = self._get_lr(index), self._get_wd(index)
        name = self.idx2name[index] if index in self.idx2name else str(index)
        if name.endswith('gamma') or name.endswith('beta') or name.endswith('bias'):
            return lr, wd
        w_norm = self._l2norm(weight)
        g_norm = self._l2norm(grad, rescale=True)
        if w_norm > 0.0 and g_norm > 0.0:
            lars = self.eta * w_norm / (g_norm + wd * w_norm + self.eps)
        else:
            lars = 1.0
        return lars * lr, wd

    def _momentum(self):
        if self.momentum > 0 and self.momentum_correction and self.last_lr != 0:
            return self.momentum * (self.cur_lr / self.last_lr)
        return self.momentum


@register
class Signum(Optimizer):
    """Signum (sign of momentum; ``signsgd_update`` without momentum), ``wd_lh``: decoupled weight decay."""

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return _zeros_like(weight)
        return None

    @_each
    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        kw = dict(lr=lr, wd=wd, rescale_grad=self.rescale_grad, clip_gradient=self._clip_kw())
        if state is not None:
            _run("signum_update", weight, grad, state, momentum=self.momentum if self.momentum > 0 else 0.0,
                 wd_lh=self.wd_lh if self.wd_lh else 0.0, **kw)
        else:
            _run("signsgd_update", weight, grad, **kw)


@register
class FTML(Optimizer):
    """FTML (Follow the Moving Leader); states ``(d, v, z)``."""

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))

    @_each
    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        d, v, z = state
        _run("ftml_update", weight, grad, d, v, z, lr=lr, wd=wd, beta1=self.beta1, beta2=self.beta2,
             epsilon=self.epsilon, rescale_grad=self.rescale_grad, t=t, clip_grad=self._clip_kw())


@register
class LAMB(_ImplUpdates, Optimizer):
    """LAMB (layer-wise adaptive moments): ``lamb_update_phase1``, the norms of the weight and the update,
    ``lamb_update_phase2``."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6, lower_bound=None,
                 upper_bound=None, bias_correction=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction
        self.aggregate_num = max(1, min(45, int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', "45"))))

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def _update_impl(self, index, weight, grad, state, multi_precision=False):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        kw = dict(beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon, bias_correction=self.bias_correction,
                  rescale_grad=self.rescale_grad, t=t, wd=wd, clip_gradient=self._clip_kw())
        bounds = dict(lower_bound=self.lower_bound if self.lower_bound else -1.0,
                      upper_bound=self.upper_bound if self.upper_bound else -1.0)
        nd = _nd()
        if multi_precision:
            mean, var = state[1]
            weight32 = state[0]
            g = nd.zeros(weight.shape, ctx=weight.context, dtype=np.float32)
            _run("mp_lamb_update_phase1", weight, grad, mean, var, weight32, out=g, **kw)
            r1, r2 = weight32.norm(), g.norm()
            _run("mp_lamb_update_phase2", weight, g, r1, r2, weight32, lr=lr, **bounds)
        else:
            mean, var = state
            g = nd.zeros(weight.shape, ctx=weight.context, dtype=weight.dtype)
            _run("lamb_update_phase1", weight, grad, mean, var, out=g, **kw)
            r1, r2 = weight.norm(), g.norm()
            _run("lamb_update_phase2", weight, g, r1, r2, lr=lr, **bounds)


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD (MXNet's Python update, with nd ops)."""

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous = {}
        self.lamda = lamda

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return (None, weight.copy())
        return (_zeros_like(weight), weight.copy())

    @_each
    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        grad = self._py_grad(grad)
        mom, previous_weight = state
        if mom is not None:
            mom[:] *= self.momentum
            mom[:] += -lr * (grad + wd * weight + self.lamda * grad * grad * (weight - previous_weight))
        else:
            mom = -lr * (grad + wd * weight + self.lamda * grad * grad * (weight - previous_weight))
        previous_weight[:] = weight
        weight[:] += mom


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics: ``w += -lr/2*(g + wd*w) + N(0, sqrt(lr))`` (noise from
    ``mx.random``, so it matches MXNet in distribution, not bit for bit)."""

    @_each
    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        grad = self._py_grad(grad)
        weight[:] += - lr / 2 * (grad + wd * weight)
        weight[:] += _nd().random.normal(0, math.sqrt(lr), shape=weight.shape, dtype=weight.dtype,
                                         ctx=weight.context)


@register
class Adam(Optimizer):
    """Adam with L2 weight decay inside the gradient and the bias correction folded into the rate:
    ``lr_t = lr*sqrt(1-beta2**t)/(1-beta1**t)``; ``w -= lr_t*m/(sqrt(v)+epsilon)``."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, lazy_update=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    @_each
    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        coef1 = 1. - self.beta1 ** t
        coef2 = 1. - self.beta2 ** t
        lr *= math.sqrt(coef2) / coef1
        mean, var = state
        _run("adam_update", weight, grad, mean, var, lr=lr, wd=wd, beta1=self.beta1, beta2=self.beta2,
             epsilon=self.epsilon, rescale_grad=self.rescale_grad, clip_gradient=self._clip_kw())


@register
class AdamW(Optimizer):
    """AdamW (decoupled weight decay), MXNet 2.0's fused step (1.9.1 has only the ``adamw_update`` op):
    ``g = clip(rescale_grad*grad)``; moments as Adam; ``lr_t = lr*sqrt(1-beta2**t)/(1-beta1**t)`` when
    ``correct_bias``; ``w -= lr_t*(m/(sqrt(v)+epsilon) + wd*w)``."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6, correct_bias=True,
                 use_fused_step=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.correct_bias = correct_bias
        self.use_fused_step = use_fused_step

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    @_each
    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        if self.correct_bias:
            lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = state
        _run("_optim_adamw", weight, grad, mean, var, eta=lr, lr=1.0, wd=wd, beta1=self.beta1, beta2=self.beta2,
             epsilon=self.epsilon, rescale_grad=self.rescale_grad, clip_gradient=self._clip_kw())


@register
class AdaGrad(Optimizer):
    """AdaGrad: ``h += g^2``; ``w -= lr*(g/sqrt(h + eps) + wd*w)`` (g rescaled and clipped)."""

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return _zeros_like(weight, _state_dtype(weight))

    @_each
    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        _run("_optim_adagrad", weight, grad, state, lr=lr, wd=wd, rescale_grad=self.rescale_grad,
             clip_gradient=self._clip_py(), epsilon=self.float_stable_eps)


@register
class RMSProp(Optimizer):
    """RMSProp (``centered=False``: Tieleman & Hinton, ``rmsprop_update``; ``centered=True``: Graves,
    ``rmspropalex_update``), ``clip_weights`` bounds the weights."""

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8, centered=False,
                 clip_weights=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        dt = _state_dtype(weight)
        if self.centered:
            return (_zeros_like(weight, dt), _zeros_like(weight, dt), _zeros_like(weight, dt))
        return (_zeros_like(weight, dt),)

    @_each
    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        kw = dict(lr=lr, wd=wd, gamma1=self.gamma1, epsilon=self.epsilon, rescale_grad=self.rescale_grad,
                  clip_gradient=self._clip_kw(), clip_weights=self.clip_weights if self.clip_weights else -1.0)
        if not self.centered:
            (n,) = state
            _run("rmsprop_update", weight, grad, n, **kw)
        else:
            n, g, delta = state
            _run("rmspropalex_update", weight, grad, n, g, delta, gamma2=self.gamma2, **kw)


@register
class AdaDelta(Optimizer):
    """AdaDelta: ``acc_g = rho*acc_g + (1-rho)*g^2``; ``d = sqrt(acc_delta+eps)/sqrt(acc_g+eps)*g``;
    ``acc_delta = rho*acc_delta + (1-rho)*d^2``; ``w -= d + wd*w``."""

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        dt = _state_dtype(weight)
        return (_zeros_like(weight, dt), _zeros_like(weight, dt))

    @_each
    def update(self, index, weight, grad, state):
        wd = self._get_wd(index)
        self._update_count(index)
        acc_g, acc_delta = state
        _run("_optim_adadelta", weight, grad, acc_g, acc_delta, rho=self.rho, epsilon=self.epsilon, wd=wd,
             rescale_grad=self.rescale_grad, clip_gradient=self._clip_py())


@register
class Ftrl(Optimizer):
    """FTRL-proximal (``ftrl_update``); default learning rate 0.1."""

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate

    def create_state(self, index, weight):
        dt = _state_dtype(weight)
        return (_zeros_like(weight, dt), _zeros_like(weight, dt))

    @_each
    def update(self, index, weight, grad, state):
        self._update_count(index)
        wd = self._get_wd(index)
        lr = self._get_lr(index)
        z, n = state
        _run("ftrl_update", weight, grad, z, n, lr=lr, wd=wd, lamda1=self.lamda1, beta=self.beta,
             rescale_grad=self.rescale_grad, clip_gradient=self._clip_kw())


@register
class Adamax(Optimizer):
    """AdaMax (the infinity-norm Adam), MXNet's Python update with nd ops."""

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    @_each
    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        nd = _nd()
        t = self._index_update_count[index]
        lr /= (1. - self.beta1 ** t)
        grad = self._py_grad(grad, weight, wd)
        m_t, u_t = state
        m_t[:] *= self.beta1
        m_t[:] += (1. - self.beta1) * grad
        u_t[:] = nd.maximum(self.beta2 * u_t, nd.abs(grad))
        weight[:] -= lr * m_t / u_t


@register
class Nadam(Optimizer):
    """Nesterov Adam, MXNet's Python update with nd ops (``m_schedule`` is one value for the whole
    optimizer, multiplied at every update of any array, as in MXNet)."""

    _DYNAMIC = ("m_schedule",)

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, schedule_decay=0.004,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    @_each
    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        nd = _nd()
        t = self._index_update_count[index]
        grad = self._py_grad(grad, weight, wd)
        momentum_t = self.beta1 * (1. - 0.5 * (pow(0.96, t * self.schedule_decay)))
        momentum_t_1 = self.beta1 * (1. - 0.5 * (pow(0.96, (t + 1) * self.schedule_decay)))
        self.m_schedule = self.m_schedule * momentum_t
        m_schedule_next = self.m_schedule * momentum_t_1
        m_t, v_t = state
        m_t[:] *= self.beta1
        m_t[:] += (1. - self.beta1) * grad
        v_t[:] *= self.beta2
        v_t[:] += (1. - self.beta2) * grad * grad
        grad_prime = grad / (1. - self.m_schedule)
        m_t_prime = m_t / (1. - m_schedule_next)
        v_t_prime = v_t / (1. - pow(self.beta2, t))
        m_t_bar = (1. - momentum_t) * grad_prime + momentum_t_1 * m_t_prime
        weight[:] -= lr * m_t_bar / (nd.sqrt(v_t_prime) + self.epsilon)


@register
class Test(Optimizer):
    """The test optimizer of MXNet: ``w += rescale_grad*grad``; the state holds the new weight."""

    def create_state(self, index, weight):
        return _nd().zeros(weight.shape, ctx=weight.context)

    def update(self, index, weight, grad, state):
        weight[:] += grad * self.rescale_grad
        state[:] = weight
