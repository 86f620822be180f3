"""``gluon.loss``: MXNet 1.9.1's losses, as HybridBlocks written with ``F.<op>`` only, so each works
eagerly and hybridized (``loss.hybridize()``) and is differentiable through the registry ops' rules.

Every loss takes ``(pred, label, sample_weight=None)`` (positionally, as MXNet's ``Block.__call__``)
and returns a per-sample loss, averaged over every axis but ``batch_axis`` (exceptions as MXNet:
``KLDivLoss`` sums, ``PoissonNLLLoss`` returns the overall mean of shape ``(1,)``, ``CTCLoss``,
``TripletLoss``, ``CosineEmbeddingLoss`` and ``SDMLLoss`` return ``(batch,)`` or ``(batch, 1)`` as MXNet
does). ``weight`` is a global scalar factor, ``sample_weight`` an array broadcast against the
element-wise loss (e.g. ``(batch, 1)``).

The formulas are MXNet 1.9.1's (``python/mxnet/gluon/loss.py``), with these differences:

- ``SoftmaxCrossEntropyLoss`` with ``sparse_label=True, from_logits=False`` computes
  ``-pick(log_softmax(pred), label)`` with one fused op (``_softmax_ce_sparse``: one pass forward,
  one pass backward ``softmax - one_hot``) instead of three; the values are the same.
- Labels are reshaped to the prediction's shape with ``reshape_like`` in both modes (MXNet used
  ``x.reshape(y.shape)`` eagerly): the same result, and a hybridized loss does not specialise on shapes.
- ``CosineEmbeddingLoss`` writes MXNet's ``broadcast_maximum(array([0]), x)`` and
  ``broadcast_maximum(x, array([1e-12]))`` as ``relu(x)`` and ``maximum(x, 1e-12)``: the same values
  without a constant array.

>>> from hybridnet import nd, gluon
>>> loss = gluon.loss.SoftmaxCrossEntropyLoss()
>>> loss(nd.array([[1, 2, 3], [1, 1, 1]]), nd.array([2, 0])).asnumpy().astype(float).round(4).tolist()
[0.4076, 1.0986]
"""
import numbers

import numpy as np

from .block import HybridBlock

__all__ = ["Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "CTCLoss", "HuberLoss", "HingeLoss",
           "SquaredHingeLoss", "LogisticLoss", "TripletLoss", "PoissonNLLLoss", "CosineEmbeddingLoss",
           "SDMLLoss"]

numeric_types = (float, int, np.generic)


def _apply_weighting(F, loss, weight=None, sample_weight=None):
    """Multiply ``loss`` by ``sample_weight`` (an array broadcastable to the loss's shape) and by
    the global scalar ``weight``."""
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        if not isinstance(weight, numeric_types) or isinstance(weight, bool):
            raise TypeError(f"weight must be a number, got {type(weight).__name__} {weight!r}; pass a float "
                            "(the global loss scale) or None")
        loss = loss * weight
    return loss


def _reshape_like(F, x, y):
    """Reshape ``x`` to ``y``'s shape (same number of elements)."""
    return F.reshape_like(x, y)


def _softrelu(F, x):
    return F.Activation(x, act_type="softrelu")


class Loss(HybridBlock):
    """Base class for losses: ``weight`` (global scalar factor or None) and ``batch_axis`` (the axis
    of the mini-batch, kept in the output)."""

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        s = "{name}(batch_axis={_batch_axis}, w={_weight})"
        return s.format(name=self.__class__.__name__, **self.__dict__)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define hybrid_forward(self, F, pred, label, ...)")


class L2Loss(Loss):
    r"""Half the squared error, averaged over the non-batch axes: ``L = 1/2 * (label - pred)**2``.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.L2Loss()(nd.array([[1, 2]]), nd.array([[0, 0]])).asnumpy().tolist()
    [1.25]
    """

    def __init__(self, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(label - pred)
        loss = _apply_weighting(F, loss, self._weight / 2, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class L1Loss(Loss):
    r"""Absolute error averaged over the non-batch axes: ``L = |label - pred|``.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.L1Loss()(nd.array([[1, -2]]), nd.array([[0, 0]])).asnumpy().tolist()
    [1.5]
    """

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class SigmoidBinaryCrossEntropyLoss(Loss):
    r"""Binary cross entropy (alias ``SigmoidBCELoss``). ``from_sigmoid=False`` (default): ``pred``
    are logits and the stable form ``max(x, 0) - x*z + log(1 + exp(-|x|))`` is used; with
    ``pos_weight`` (the 4th call argument, broadcast against ``label``) positive terms are scaled:
    ``x - x*z + (1 + (pos_weight - 1)*z) * (log(1 + exp(-|x|)) + max(-x, 0))``. ``from_sigmoid=True``:
    ``pred`` are probabilities, ``-(log(p + 1e-12)*z*pos_weight + log(1 - p + 1e-12)*(1 - z))``.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.SigmoidBCELoss()(nd.array([[0.0, 2.0]]), nd.array([[1, 0]])).asnumpy().astype(float).round(4).tolist()
    [1.41]
    """

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _reshape_like(F, label, pred)
        if not self._from_sigmoid:
            if pos_weight is None:
                loss = F.relu(pred) - pred * label + _softrelu(F, -F.abs(pred))
            else:
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (_softrelu(F, -F.abs(pred)) + F.relu(-pred))
        else:
            eps = 1e-12
            if pos_weight is None:
                loss = -(F.log(pred + eps) * label + F.log(1. - pred + eps) * (1. - label))
            else:
                loss = -(F.broadcast_mul(F.log(pred + eps) * label, pos_weight)
                         + F.log(1. - pred + eps) * (1. - label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    r"""Softmax cross entropy (alias ``SoftmaxCELoss``) over ``axis``. ``sparse_label=True``: ``label``
    holds class indices, shaped as ``pred`` without ``axis`` (or with it as size 1):
    ``L = -log_softmax(pred)[label]`` (one fused op). ``sparse_label=False``: ``label`` is a
    distribution shaped as ``pred``: ``L = -sum(label * log_softmax(pred), axis)``. ``from_logits=True``:
    ``pred`` already holds log-probabilities.

    >>> from hybridnet import nd, gluon
    >>> loss = gluon.loss.SoftmaxCELoss(sparse_label=False)
    >>> loss(nd.array([[1, 2, 3]]), nd.array([[0, 0.5, 0.5]])).asnumpy().astype(float).round(4).tolist()
    [0.9076]
    """

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if self._sparse_label and not self._from_logits:
            loss = F._softmax_ce_sparse(pred, label, axis=self._axis, keepdims=True)
        else:
            if not self._from_logits:
                pred = F.log_softmax(pred, self._axis)
            if self._sparse_label:
                loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
            else:
                label = _reshape_like(F, label, pred)
                loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    r"""Kullback-Leibler divergence ``L = sum(label * (log(label + 1e-12) - pred))`` over the non-batch
    axes (MXNet 1.9.1 sums). ``from_logits=True`` (default): ``pred`` holds log-probabilities; else a
    log_softmax over ``axis`` is applied first.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.KLDivLoss()(nd.log(nd.array([[0.5, 0.5]])), nd.array([[0.5, 0.5]])).asnumpy().astype(float).round(6).tolist()
    [0.0]
    """

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class CTCLoss(Loss):
    r"""Connectionist Temporal Classification loss. ``layout`` 'NTC' or 'TNC' for ``pred``
    (unnormalised activations; the last class, ``alphabet_size - 1``, is the blank), ``label_layout``
    'NT' or 'TN' for ``label`` (padded with -1). Call as ``loss(pred, label, pred_lengths=None,
    label_lengths=None, sample_weight=None)``; the output has shape ``(batch,)``.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.CTCLoss()(nd.zeros((1, 2, 3)), nd.array([[0]])).asnumpy().astype(float).round(4).tolist()
    [1.0986]
    """

    def __init__(self, layout='NTC', label_layout='NT', weight=None, **kwargs):
        if layout not in ('NTC', 'TNC'):
            raise ValueError(f"Only 'NTC' and 'TNC' layouts for pred are supported. Got: {layout}")
        if label_layout not in ('NT', 'TN'):
            raise ValueError(f"Only 'NT' and 'TN' layouts for label are supported. Got: {label_layout}")
        self._layout = layout
        self._label_layout = label_layout
        batch_axis = label_layout.find('N')
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None, sample_weight=None):
        if self._layout == 'NTC':
            pred = F.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)
        loss = F.CTCLoss(pred, label, pred_lengths, label_lengths,
                         use_data_lengths=pred_lengths is not None,
                         use_label_lengths=label_lengths is not None,
                         blank_label='last')
        return _apply_weighting(F, loss, self._weight, sample_weight)


class HuberLoss(Loss):
    r"""Smoothed L1: ``0.5/rho * d**2`` where ``d = |label - pred| <= rho``, else ``d - 0.5*rho``;
    averaged over the non-batch axes.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.HuberLoss()(nd.array([[0.5, 3]]), nd.array([[0, 0]])).asnumpy().tolist()
    [1.3125]
    """

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.abs(label - pred)
        loss = F.where(loss > self._rho, loss - 0.5 * self._rho, (0.5 / self._rho) * F.square(loss))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class HingeLoss(Loss):
    r"""``L = max(0, margin - pred * label)`` (labels -1 or 1), averaged over the non-batch axes.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.HingeLoss()(nd.array([[0.5, 2]]), nd.array([[1, -1]])).asnumpy().tolist()
    [1.75]
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class SquaredHingeLoss(Loss):
    r"""``L = max(0, margin - pred * label)**2`` (labels -1 or 1), averaged over the non-batch axes.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.SquaredHingeLoss()(nd.array([[0.5, 2]]), nd.array([[1, -1]])).asnumpy().tolist()
    [4.625]
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class LogisticLoss(Loss):
    r"""``L = log(1 + exp(-pred * label))`` for labels -1/1 (``label_format='signed'``) or 0/1
    (``'binary'``), in the stable form; averaged over the non-batch axes.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.LogisticLoss()(nd.array([[0.0]]), nd.array([[1]])).asnumpy().astype(float).round(4).tolist()
    [0.6931]
    """

    def __init__(self, weight=None, batch_axis=0, label_format='signed', **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._label_format = label_format
        if self._label_format not in ["signed", "binary"]:
            raise ValueError("label_format can only be signed or binary, recieved %s." % label_format)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _reshape_like(F, label, pred)
        if self._label_format == 'signed':
            label = (label + 1.0) / 2.0  # Transform label to be either 0 or 1
        loss = F.relu(pred) - pred * label + _softrelu(F, -F.abs(pred))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss, axis=self._batch_axis, exclude=True)


class TripletLoss(Loss):
    r"""``L = max(sum((positive - pred)**2) - sum((negative - pred)**2) + margin, 0)``, the sums over
    the non-batch axes; called as ``loss(pred, positive, negative)``.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.TripletLoss()(nd.array([[0, 0]]), nd.array([[1, 0]]), nd.array([[0, 1]])).asnumpy().tolist()
    [1.0]
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative):
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        loss = F.sum(F.square(positive - pred) - F.square(negative - pred), axis=self._batch_axis, exclude=True)
        loss = F.relu(loss + self._margin)
        return _apply_weighting(F, loss, self._weight, None)


class PoissonNLLLoss(Loss):
    r"""Poisson negative log likelihood, returned as the mean over all elements (shape ``(1,)``):
    ``exp(pred) - target * pred`` (``from_logits=True``) or ``pred - target * log(pred + epsilon)``;
    ``compute_full`` adds Stirling's term ``target*log(target) - target + 0.5*log(2*pi*target)`` where
    ``target > 1``. Called as ``loss(pred, target, sample_weight=None, epsilon=1e-08)``.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.PoissonNLLLoss()(nd.array([[0.0, 0.0]]), nd.array([[1, 2]])).asnumpy().tolist()
    [1.0]
    """

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _reshape_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            # Stirling's approximation of log(target!), only where target > 1 (as MXNet: a target of 0
            # gives 0 * log(0) = NaN there, which the mask does not remove)
            stirling_factor = target * F.log(target) - target + 0.5 * F.log(2 * target * np.pi)
            target_gt_1 = target > 1
            stirling_factor = stirling_factor * target_gt_1
            loss = loss + stirling_factor
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)


class CosineEmbeddingLoss(Loss):
    r"""For label 1: ``1 - cos_sim(input1, input2)``; for label -1: ``max(0, cos_sim - margin)``;
    ``cos_sim`` over the last axis. Called as ``loss(input1, input2, label, sample_weight=None)``;
    the output has shape ``(batch, 1)``.

    >>> from hybridnet import nd, gluon
    >>> gluon.loss.CosineEmbeddingLoss()(nd.array([[1, 0]]), nd.array([[1, 1]]), nd.array([1])).asnumpy().astype(float).round(4).tolist()
    [[0.2929]]
    """

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = _reshape_like(F, input1, input2)
        label = label.reshape((-1, 1))
        cos_sim = self._cosine_similarity(F, input1, input2)
        y_1 = label == 1
        y_minus_1 = label == -1
        cos_sim_a = (1 - cos_sim) * y_1
        cos_sim_b = F.relu(y_minus_1 * (cos_sim - self._margin))
        loss = cos_sim_a + cos_sim_b
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return loss

    def _cosine_similarity(self, F, x, y, axis=-1):
        x_norm = F.norm(x, axis=axis).reshape((-1, 1))
        y_norm = F.norm(y, axis=axis).reshape((-1, 1))
        x_dot_y = F.sum(x * y, axis=axis).reshape((-1, 1))
        return x_dot_y / F.maximum(x_norm * y_norm, 1e-12)


class SDMLLoss(Loss):
    r"""Batchwise Smoothed Deep Metric Learning loss (Bonadiman et al. 2019): ``x1[i]`` and ``x2[i]``
    are a positive pair, every other row of the batch a negative; the KL divergence between
    ``log_softmax(-squared distances)`` and the identity smoothed by ``smoothing_parameter``. Inputs
    ``(batch, dim)``; output ``(batch,)``.

    >>> from hybridnet import nd, gluon
    >>> x1, x2 = nd.array([[0, 0], [1, 0], [0, 1]]), nd.array([[0, 0], [1, 1], [0, 1]])
    >>> gluon.loss.SDMLLoss()(x1, x2).asnumpy().astype(float).round(4).tolist()
    [0.0388, 0.1932, 0.0326]
    """

    def __init__(self, smoothing_parameter=0.3, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def _compute_distances(self, x1, x2):
        """Squared euclidean distance between every row of ``x1`` and every row of ``x2``."""
        if tuple(x1.shape) != tuple(x2.shape) or len(x1.shape) != 2:
            raise ValueError(f"SDMLLoss takes two (batch_size, vector_dim) inputs of one shape, got "
                             f"{tuple(x1.shape)} and {tuple(x2.shape)}")
        batch_size, dim = x1.shape
        x1_ = x1.expand_dims(1).broadcast_to([batch_size, batch_size, dim])
        x2_ = x2.expand_dims(0).broadcast_to([batch_size, batch_size, dim])
        squared_diffs = (x1_ - x2_) ** 2
        return squared_diffs.sum(axis=2)

    def _compute_labels(self, F, batch_size, ctx=None, dtype=None):
        """The identity matrix, smoothed: ``1 - smoothing`` on the diagonal, ``smoothing / (batch - 1)``
        elsewhere (on ``ctx``, in ``dtype``: a constant when hybridized)."""
        gold = F.eye(batch_size, ctx=ctx, dtype=dtype)
        return gold * (1 - self.smoothing_parameter) + (1 - gold) * self.smoothing_parameter / (batch_size - 1)

    def _loss(self, F, x1, x2):
        batch_size = x1.shape[0]
        labels = self._compute_labels(F, batch_size, x1.context, x1.dtype)
        distances = self._compute_distances(x1, x2)
        log_probabilities = F.log_softmax(-distances, axis=1)
        return self.kl_loss(log_probabilities, labels)

    def hybrid_forward(self, F, x1, x2):
        return self._loss(F, x1, x2)
