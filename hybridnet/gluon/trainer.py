"""``gluon.Trainer`` with MXNet 1.9.1's numeric contract (``python/mxnet/gluon/trainer.py``;
gluon-semantics.md §1.9, §2.14): ``step(batch_size)`` sets ``rescale_grad = 1/batch_size``, sums
gradients over the contexts of replicated Parameters (what kvstore 'local'/'device' do on one
machine), raises on stale gradients unless ``ignore_stale_grad``, and runs one updater per context
so replicas stay identical. Dicts of Parameters are sorted by key (the optimizer indices follow).

``save_states``/``load_states`` write the updater's non-pickle format (``optimizer.Updater``:
safetensors + JSON header) atomically; resuming is bit-identical.
"""
from .. import optimizer as opt
from ..formats.ndarray_file import _atomic_write
from .parameter import Parameter, ParameterDict

__all__ = ["Trainer"]

_KVSTORES = (None, "local", "device", "nccl", "local_allreduce_cpu", "local_allreduce_device")


class Trainer:
    """Applies an optimizer to a set of Parameters.

    >>> from hybridnet import gluon, nd, autograd
    >>> net = gluon.nn.Dense(1, in_units=2)
    >>> net.initialize()
    >>> trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    >>> with autograd.record():
    ...     loss = net(nd.ones((4, 2))).sum()
    >>> loss.backward()
    >>> trainer.step(4)
    >>> trainer.learning_rate
    0.1
    """

    def __init__(self, params, optimizer, optimizer_params=None, kvstore="device", compression_params=None,
                 update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(list(params.keys()))]
        if not isinstance(params, (list, tuple)):
            raise ValueError("First argument must be a list or dict of Parameters, got %s." % (type(params)))
        self._params = []
        self._param2idx = {}
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise ValueError("First argument must be a list or dict of Parameters, got list of %s."
                                 % (type(param)))
            self._param2idx[param.name] = i
            self._params.append(param)
            param._trainer = self
        if not (kvstore in _KVSTORES or hasattr(kvstore, "pushpull")):
            raise ValueError(f"kvstore {kvstore!r} is not supported on one machine; use 'device', 'local' or "
                             "None (distributed kvstores are not available in hybridnet)")
        if update_on_kvstore:
            raise ValueError("update_on_kvstore=True is not supported: hybridnet updates on the workers "
                             "(pass update_on_kvstore=None or False)")
        self._kvstore_type = kvstore
        self._compression_params = compression_params
        self._update_on_kvstore = False
        optimizer_params = optimizer_params if optimizer_params else {}
        self._init_optimizer(optimizer, optimizer_params)
        self._scale = self._optimizer.rescale_grad
        self._contexts = None

    def _init_optimizer(self, optimizer, optimizer_params):
        param_dict = {i: param for i, param in enumerate(self._params)}
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise AssertionError("optimizer_params must be None if optimizer is an instance of Optimizer "
                                     "instead of str")
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        self._updaters = None

    def _check_contexts(self):
        contexts = None
        for param in self._params:
            ctx = param.list_ctx()
            if contexts is not None and contexts != ctx:
                raise AssertionError(f"All Parameters must be initialized on the same set of contexts, but "
                                     f"Parameter {param.name} is initialized on {ctx} while previous Parameters "
                                     f"are initialized on {contexts}.")
            contexts = ctx
        return contexts or []

    def _ensure_updaters(self):
        if self._updaters is None:
            self._contexts = self._check_contexts()
            self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    @property
    def learning_rate(self):
        if not isinstance(self._optimizer, opt.Optimizer):
            raise UserWarning("Optimizer has to be defined before its learning rate can be accessed.")
        return self._optimizer.learning_rate

    @property
    def optimizer(self):
        return self._optimizer

    def set_learning_rate(self, lr):
        if not isinstance(self._optimizer, opt.Optimizer):
            raise UserWarning("Optimizer has to be defined before its learning rate is mutated.")
        self._optimizer.set_learning_rate(lr)

    # ---- the step ------------------------------------------------------------------------------
    def step(self, batch_size, ignore_stale_grad=False):
        """allreduce_grads + update with ``rescale_grad = 1/batch_size``."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._ensure_updaters()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum gradients over contexts (call before ``update`` when clipping gradients)."""
        self._ensure_updaters()
        self._allreduce_grads()

    def update(self, batch_size, ignore_stale_grad=False):
        """The update part of ``step`` (after ``allreduce_grads``)."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._ensure_updaters()
        self._update(ignore_stale_grad)

    def _allreduce_grads(self):
        if len(self._contexts) <= 1:
            return
        for param in self._params:
            if param.grad_req == "null":
                continue
            grads = param.list_grad()
            total = grads[0].copyto(grads[0].context)
            for g in grads[1:]:
                total += g.as_in_context(total.context)
            for g in grads:
                g[:] = total.as_in_context(g.context)

    def _update(self, ignore_stale_grad=False):
        updates = [[] for _ in self._updaters]
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            datas = param.list_data()
            if not ignore_stale_grad:
                for data in datas:
                    if not _fresh(data):
                        raise UserWarning(
                            "Gradient of Parameter `%s` on context %s has not been updated by backward since "
                            "last `step`. This could mean a bug in your model that made it only use a subset "
                            "of the Parameters (Blocks) for this iteration. If you are intentionally only "
                            "using a subset, call step with ignore_stale_grad=True to suppress this warning "
                            "and skip updating of Parameters with stale gradient" % (param.name,
                                                                                      str(data.context)))
            for upd, arr, grad in zip(updates, datas, param.list_grad()):
                if not ignore_stale_grad or _fresh(arr):
                    upd.append((i, grad, arr))
                    _set_stale(arr)
        for updater, upd in zip(self._updaters, updates):
            if upd:
                i, g, w = zip(*upd)
                updater(list(i), list(g), list(w))

    # ---- states ----------------------------------------------------------------------------------
    def save_states(self, fname):
        """Write optimizer states (non-pickle format of ``optimizer.Updater.get_states``) atomically."""
        self._ensure_updaters()
        if not self._updaters:
            raise RuntimeError("Trainer.save_states: no initialized Parameters (initialize the network first)")
        data = self._updaters[0].get_states(dump_optimizer=True)
        _atomic_write(fname, lambda f: f.write(data))

    def load_states(self, fname):
        """Restore states written by ``save_states`` (training resumes bit-identically)."""
        self._ensure_updaters()
        with open(fname, "rb") as f:
            states = f.read()
        for updater in self._updaters:
            updater.set_states(states)
            updater.optimizer = self._updaters[0].optimizer
        self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = {i: param for i, param in enumerate(self._params)}


def _fresh(arr):
    e = arr._entry
    return e is not None and getattr(e[0], "fresh", False)


def _set_stale(arr):
    e = arr._entry
    if e is not None and hasattr(e[0], "fresh"):
        e[0].fresh = False
