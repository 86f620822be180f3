"""Normalisation layers with MXNet 1.9.1's constructors, Parameter names and ``print(net)`` text:
``BatchNorm``, ``BatchNormReLU`` (the ``_contrib_BatchNormWithReLU`` op), ``contrib.nn.SyncBatchNorm``,
``LayerNorm``, ``InstanceNorm`` and ``GroupNorm`` (the last three: same maths in training and prediction;
``center``/``scale`` only set ``grad_req`` -- beta and gamma are always applied, as in MXNet).

Running statistics (gluon-semantics.md 2.6): ``running_mean``/``running_var`` are Parameters with
``grad_req='null'`` -- MXNet's auxiliary states, saved as ``aux:`` keys by ``export`` -- that the
``BatchNorm`` op updates in every training-mode forward call (``autograd.record()`` or
``autograd.train_mode()``), eagerly in place and, in a hybridized block, by the cached graph after each
run (no re-trace): ``running = momentum * running + (1 - momentum) * batch`` with the biased batch
variance. MXNet 1.9.1's CPU build makes that update in the backward pass instead (so
``train_mode()`` without ``backward()`` leaves its statistics alone); hybridnet follows the timing of
MXNet's cuDNN build and PyTorch. See ``hybridnet/ops/norm.py``.
"""
import numpy as np

from ..block import HybridBlock

__all__ = ["BatchNorm", "BatchNormReLU", "LayerNorm", "InstanceNorm", "GroupNorm"]   # SyncBatchNorm: contrib.nn


def _gamma_beta(block, shape, scale, center, gamma_initializer, beta_initializer, differentiable=False):
    """Make ``block.gamma``/``block.beta`` (in MXNet's order): ``grad_req='null'`` for ``scale=False`` /
    ``center=False``; with ``differentiable`` (BatchNorm) those flags also set ``differentiable``."""
    g_kw, b_kw = ({"differentiable": scale}, {"differentiable": center}) if differentiable else ({}, {})
    block.gamma = block.params.get("gamma", grad_req="write" if scale else "null", shape=shape,
                                   init=gamma_initializer, allow_deferred_init=True, **g_kw)
    block.beta = block.params.get("beta", grad_req="write" if center else "null", shape=shape,
                                  init=beta_initializer, allow_deferred_init=True, **b_kw)


def _kwargs_repr(block, extra=""):
    return "{name}({content}{extra})".format(
        name=block.__class__.__name__, extra=extra,
        content=", ".join(["=".join([k, v.__repr__()]) for k, v in block._kwargs.items()]))


class _BatchNorm(HybridBlock):
    """MXNet 1.9.1's ``_BatchNorm``: the shared body of BatchNorm and BatchNormReLU."""

    _op = "BatchNorm"

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True, use_global_stats=False,
                 fuse_relu=False, beta_initializer="zeros", gamma_initializer="ones",
                 running_mean_initializer="zeros", running_variance_initializer="ones", in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {"axis": axis, "eps": epsilon, "momentum": momentum, "fix_gamma": not scale,
                        "use_global_stats": use_global_stats}
        self.fuse_relu = fuse_relu
        if in_channels != 0:
            self.in_channels = in_channels
        _gamma_beta(self, (in_channels,), scale, center, gamma_initializer, beta_initializer, differentiable=True)
        self.running_mean = self.params.get("running_mean", grad_req="null", shape=(in_channels,),
                                            init=running_mean_initializer, allow_deferred_init=True,
                                            differentiable=False)
        self.running_var = self.params.get("running_var", grad_req="null", shape=(in_channels,),
                                           init=running_variance_initializer, allow_deferred_init=True,
                                           differentiable=False)

    def cast(self, dtype):
        """float16 keeps float32 Parameters (the op computes float16 data with float32 statistics)."""
        if np.dtype(dtype).name == "float16":
            dtype = "float32"
        super().cast(dtype)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        op = F._contrib_BatchNormWithReLU if self.fuse_relu else F.BatchNorm
        return op(x, gamma, beta, running_mean, running_var, name="fwd", **self._kwargs)

    def __repr__(self):
        return _kwargs_repr(self, ", in_channels={0}".format(self.gamma.shape[0] or None))


class BatchNorm(_BatchNorm):
    """Batch normalisation (Ioffe & Szegedy, 2015) over every axis but ``axis``: batch statistics in
    training mode (updating ``running_mean``/``running_var`` in that forward call), the running ones in
    predict mode or with ``use_global_stats``. ``scale=False`` fixes gamma at 1, ``center=False`` keeps
    beta at its initial 0 (neither then gets a gradient). ``in_channels=0`` defers the shapes.

    >>> from hybridnet import autograd, gluon, nd
    >>> bn = gluon.nn.BatchNorm()
    >>> bn.initialize()
    >>> with autograd.train_mode():
    ...     y = bn(nd.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> [round(v, 3) for v in bn.running_mean.data().asnumpy().tolist()]
    [0.2, 2.0]
    >>> bn
    BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, in_channels=2)
    """

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True, use_global_stats=False,
                 beta_initializer="zeros", gamma_initializer="ones", running_mean_initializer="zeros",
                 running_variance_initializer="ones", in_channels=0, **kwargs):
        super().__init__(axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
                         use_global_stats=use_global_stats, fuse_relu=False, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, running_mean_initializer=running_mean_initializer,
                         running_variance_initializer=running_variance_initializer, in_channels=in_channels,
                         **kwargs)


class BatchNormReLU(_BatchNorm):
    """``relu(BatchNorm(x))`` as one op (``_contrib_BatchNormWithReLU``; MXNet 1.9.1 runs it only with
    MKL-DNN). Same arguments and Parameters as ``BatchNorm``."""

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True, use_global_stats=False,
                 beta_initializer="zeros", gamma_initializer="ones", running_mean_initializer="zeros",
                 running_variance_initializer="ones", in_channels=0, **kwargs):
        super().__init__(axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
                         use_global_stats=use_global_stats, fuse_relu=True, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, running_mean_initializer=running_mean_initializer,
                         running_variance_initializer=running_variance_initializer, in_channels=in_channels,
                         **kwargs)


class SyncBatchNorm(BatchNorm):
    """MXNet 1.9.1's ``gluon.contrib.nn.SyncBatchNorm`` (``_contrib_SyncBatchNorm`` op, channel axis 1).
    MXNet averages the statistics over ``num_devices`` GPUs; hybridnet runs one process, so they are the
    local batch's (the same results as ``BatchNorm``). ``num_devices=None`` warns as MXNet and uses the
    number of GPUs (at least 1)."""

    def __init__(self, in_channels=0, num_devices=None, momentum=0.9, epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, beta_initializer="zeros", gamma_initializer="ones",
                 running_mean_initializer="zeros", running_variance_initializer="ones", **kwargs):
        super().__init__(axis=1, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
                         use_global_stats=use_global_stats, beta_initializer=beta_initializer,
                         gamma_initializer=gamma_initializer, running_mean_initializer=running_mean_initializer,
                         running_variance_initializer=running_variance_initializer, in_channels=in_channels,
                         **kwargs)
        num_devices = self._get_num_devices() if num_devices is None else num_devices
        self._kwargs = {"eps": epsilon, "momentum": momentum, "fix_gamma": not scale,
                        "use_global_stats": use_global_stats, "ndev": num_devices, "key": self.prefix}

    def _get_num_devices(self):
        import warnings

        from ... import device
        warnings.warn("Caution using SyncBatchNorm: if not using all the GPUs, please mannually set num_devices",
                      UserWarning)
        n = device.num_gpus()
        return n if n > 0 else 1

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F._contrib_SyncBatchNorm(x, gamma, beta, running_mean, running_var, name="fwd", **self._kwargs)


class LayerNorm(HybridBlock):
    """Layer normalisation (Ba et al., 2016) along ``axis``:
    ``(x - mean) / sqrt(var + epsilon) * gamma + beta`` with gamma/beta of shape ``(in_channels,)``
    (deferred until the first call when ``in_channels=0``). ``scale=False``/``center=False`` keep gamma/beta
    at their initial values (``grad_req='null'``).

    >>> from hybridnet import gluon, nd
    >>> ln = gluon.nn.LayerNorm()
    >>> ln.initialize()
    >>> [round(v, 4) for v in ln(nd.array([[1.0, 2.0, 3.0]])).asnumpy().ravel().tolist()]
    [-1.2247, 0.0, 1.2247]
    >>> ln
    LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=3)
    """

    def __init__(self, axis=-1, epsilon=1e-5, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", in_channels=0, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        self._center = center
        self._scale = scale
        _gamma_beta(self, (in_channels,), scale, center, gamma_initializer, beta_initializer)

    def hybrid_forward(self, F, data, gamma, beta):
        return F.LayerNorm(data, gamma=gamma, beta=beta, axis=self._axis, eps=self._epsilon)

    def __repr__(self):
        return _kwargs_repr(self, ", in_channels={0}".format(self.gamma.shape[0]))


class InstanceNorm(HybridBlock):
    """Instance normalisation (Ulyanov et al., 2016): statistics per sample and channel (``axis``) over the
    other axes; gamma/beta of shape ``(in_channels,)``. ``scale=False`` (the default) keeps gamma at 1.
    Data of rank >= 3; ``axis != 1`` swaps that axis to 1 around the ``InstanceNorm`` op (as MXNet).

    >>> from hybridnet import gluon, nd
    >>> layer = gluon.nn.InstanceNorm()
    >>> layer.initialize()
    >>> [round(v, 4) for v in layer(nd.array([[[1.1, 2.2]], [[3.3, 4.4]]])).asnumpy().ravel().tolist()]
    [-1.0, 1.0, -1.0, 1.0]
    """

    def __init__(self, axis=1, epsilon=1e-5, center=True, scale=False, beta_initializer="zeros",
                 gamma_initializer="ones", in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        _gamma_beta(self, (in_channels,), scale, center, gamma_initializer, beta_initializer)

    def hybrid_forward(self, F, x, gamma, beta):
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, name="fwd", eps=self._epsilon)
        # named as MXNet's fluent x.swapaxes(...) names its nodes (the export's node names)
        x = F.swapaxes(x, dim1=1, dim2=self._axis, name="swapaxes0")
        y = F.InstanceNorm(x, gamma, beta, name="fwd", eps=self._epsilon)
        return F.swapaxes(y, dim1=1, dim2=self._axis, name="swapaxes1")

    def __repr__(self):
        return _kwargs_repr(self, ", in_channels={0}".format(self.gamma.shape[0]))


class GroupNorm(HybridBlock):
    """Group normalisation (Wu & He, 2018) of ``(N, C, ...)`` data: the channels split into ``num_groups``
    groups, statistics per sample and group. As in MXNet 1.x, gamma and beta have shape ``(num_groups,)``
    (one scale/offset per group; MXNet 2.0 made them per channel).

    >>> from hybridnet import gluon, nd
    >>> gn = gluon.nn.GroupNorm(num_groups=2)
    >>> gn.initialize()
    >>> gn(nd.array([[[1.0], [3.0], [10.0], [30.0]]])).asnumpy().round(3).ravel().tolist()
    [-1.0, 1.0, -1.0, 1.0]
    >>> gn
    GroupNorm(eps=1e-05, num_groups=2, center=True, scale=True)
    """

    def __init__(self, num_groups=1, epsilon=1e-5, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "num_groups": num_groups, "center": center, "scale": scale}
        self._num_groups = num_groups
        self._epsilon = epsilon
        self._center = center
        self._scale = scale
        _gamma_beta(self, (num_groups,), scale, center, gamma_initializer, beta_initializer)

    def hybrid_forward(self, F, data, gamma, beta):
        return F.GroupNorm(data, gamma=gamma, beta=beta, num_groups=self._num_groups, eps=self._epsilon)

    def __repr__(self):
        return _kwargs_repr(self)
