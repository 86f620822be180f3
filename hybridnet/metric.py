"""Online evaluation metrics (``mx.metric``; also ``gluon.metric``), MXNet 1.9.1 semantics.

``metric.update(labels, preds)`` takes lists of arrays (NDArrays on any device, or NumPy arrays; a single
array is wrapped in a list), ``get()`` returns ``(name, value)`` averaged since the last ``reset()``
(``reset_local()`` resets the local average only; ``get_global()`` reads the global one).
Values are computed on the host in NumPy as MXNet 1.9.1 does (``asnumpy()`` per batch).

>>> import hybridnet as mx
>>> acc = mx.metric.create('acc')
>>> acc.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4]])])
>>> acc.get()
('accuracy', 0.6666666666666666)
"""
import math
from collections import OrderedDict

import numpy

from . import registry
from .errors import HybridNetError, ShapeError
from .nd import NDArray

__all__ = ["EvalMetric", "CompositeEvalMetric", "Accuracy", "TopKAccuracy", "F1", "MCC", "Perplexity", "MAE",
           "MSE", "RMSE", "CrossEntropy", "NegativeLogLikelihood", "PearsonCorrelation", "PCC", "Loss", "Torch",
           "Caffe", "CustomMetric", "MetricError", "check_label_shapes", "create", "register", "alias", "np"]

numeric_types = (float, int, numpy.generic)
string_types = (str,)


class MetricError(HybridNetError, ValueError):
    """A metric was given inputs it cannot evaluate (wrong number of classes, bad arguments)."""


def _is_array(x):
    return isinstance(x, (NDArray, numpy.ndarray))


def _host(x):
    """The array's values as a NumPy array (``asnumpy()`` for NDArrays)."""
    if isinstance(x, NDArray):
        return x.asnumpy()
    if isinstance(x, numpy.ndarray):
        return x
    try:
        return numpy.asarray(x)
    except Exception:  # noqa: BLE001
        raise MetricError(f"metric inputs must be NDArrays or NumPy arrays, got {type(x).__name__}.") from None


def _value(x):
    """A metric value as a Python float (NumPy scalars print as ``np.float64(...)`` under NumPy 2)."""
    return float(x) if isinstance(x, numpy.generic) else x


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Check that ``labels`` and ``preds`` have equal lengths (``shape=True``: equal shapes); with
    ``wrap=True`` a single array is wrapped in a list. Returns ``(labels, preds)``."""
    if not shape:
        label_shape, pred_shape = len(labels), len(preds)
    else:
        label_shape, pred_shape = labels.shape, preds.shape
    if label_shape != pred_shape:
        raise ShapeError("Shape of labels {} does not match shape of predictions {}. Pass one label array "
                         "per prediction array, each with one label per sample."
                         .format(label_shape, pred_shape))
    if wrap:
        if _is_array(labels):
            labels = [labels]
        if _is_array(preds):
            preds = [preds]
    return labels, preds


def _wrap(labels, preds):
    """Wrap single arrays into lists before the length check (a single NDArray's length is its first
    dimension, which MXNet compares before wrapping; the lists that come out are the same)."""
    if _is_array(labels) and _is_array(preds):
        return [labels], [preds]
    return labels, preds


class EvalMetric:
    """Base class of metrics: ``update(labels, preds)``, ``get()``, ``get_name_value()``, ``reset()``,
    ``reset_local()``, ``get_global()``; ``sum_metric / num_inst`` is the local value.

    >>> m = EvalMetric('mymetric')
    >>> m.get()
    ('mymetric', nan)
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return "EvalMetric: {}".format(dict(self.get_name_value()))

    def get_config(self):
        """The metric's configuration as a dict that ``create(**config)`` accepts."""
        config = self._kwargs.copy()
        config.update({'metric': self.__class__.__name__, 'name': self.name,
                       'output_names': self.output_names, 'label_names': self.label_names})
        return config

    def update_dict(self, label, pred):
        """Update from dicts name -> array, selecting ``output_names`` / ``label_names`` when set."""
        if self.output_names is not None:
            pred = [pred[name] for name in self.output_names]
        else:
            pred = list(pred.values())
        if self.label_names is not None:
            label = [label[name] for name in self.label_names]
        else:
            label = list(label.values())
        self.update(label, pred)

    def update(self, labels, preds):
        """Add a batch: ``labels`` and ``preds`` are lists of arrays (or single arrays)."""
        raise NotImplementedError(f"{type(self).__name__} must implement update(labels, preds).")

    def reset(self):
        """Reset the local and global statistics."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        """Reset the local statistics only (the global ones keep accumulating)."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        """``(name, value)``; the value is ``nan`` before any update."""
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, _value(self.sum_metric / self.num_inst))

    def get_global(self):
        """``(name, value)`` over everything since ``reset()``."""
        if self._has_global_stats:
            if self.global_num_inst == 0:
                return (self.name, float('nan'))
            return (self.name, _value(self.global_sum_metric / self.global_num_inst))
        return self.get()

    def get_name_value(self):
        """``[(name, value), ...]``."""
        name, value = self.get()
        if not isinstance(name, list):
            name = [name]
        if not isinstance(value, list):
            value = [value]
        return list(zip(name, value))

    def get_global_name_value(self):
        """``[(name, global value), ...]``."""
        if self._has_global_stats:
            name, value = self.get_global()
            if not isinstance(name, list):
                name = [name]
            if not isinstance(value, list):
                value = [value]
            return list(zip(name, value))
        return self.get_name_value()


register = registry.get_register_func(EvalMetric, 'metric')
alias = registry.get_alias_func(EvalMetric, 'metric')
_create = registry.get_create_func(EvalMetric, 'metric')


def create(metric, *args, **kwargs):
    """A metric from a name (``'acc'``, ``'f1'``, ``'ce'``, ... or a lower-cased class name), an instance
    (returned as is), a callable ``feval(label, pred)`` (a ``CustomMetric``), or a list of these (a
    ``CompositeEvalMetric``).

    >>> import hybridnet as mx
    >>> mx.metric.create(['acc', 'f1']).get()
    (['accuracy', 'f1'], [nan, nan])
    """
    if callable(metric) and not isinstance(metric, EvalMetric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite_metric = CompositeEvalMetric()
        for child_metric in metric:
            composite_metric.add(create(child_metric, *args, **kwargs))
        return composite_metric
    return _create(metric, *args, **kwargs)


@register
@alias('composite')
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` returns ``([names], [values])``.

    >>> import hybridnet as mx
    >>> m = mx.metric.CompositeEvalMetric(['acc', 'mse'])
    >>> [type(x).__name__ for x in m.metrics]
    ['Accuracy', 'MSE']
    """

    def __init__(self, metrics=None, name='composite', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)
        if metrics is None:
            metrics = []
        self.metrics = [create(i) for i in metrics]

    def add(self, metric):
        """Add a child metric (anything ``create`` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index):
        """The child metric at ``index``."""
        try:
            return self.metrics[index]
        except IndexError:
            # MXNet returns (does not raise) this ValueError; kept for compatibility
            return ValueError("Metric index {} is out of range 0 and {}".format(index, len(self.metrics)))

    def update_dict(self, labels, preds):  # pylint: disable=arguments-differ
        if self.label_names is not None:
            labels = OrderedDict([i for i in labels.items() if i[0] in self.label_names])
        if self.output_names is not None:
            preds = OrderedDict([i for i in preds.items() if i[0] in self.output_names])
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        for metric in getattr(self, "metrics", ()):
            metric.reset()

    def reset_local(self):
        for metric in getattr(self, "metrics", ()):
            metric.reset_local()

    def _collect(self, getter):
        names, values = [], []
        for metric in self.metrics:
            name, value = getter(metric)
            if isinstance(name, string_types):
                name = [name]
            if isinstance(value, numeric_types):
                value = [value]
            names.extend(name)
            values.extend(value)
        return (names, values)

    def get(self):
        return self._collect(lambda m: m.get())

    def get_global(self):
        return self._collect(lambda m: m.get_global())

    def get_config(self):
        config = super().get_config()
        config.update({'metrics': [i.get_config() for i in self.metrics]})
        return config


@register
@alias('acc')
class Accuracy(EvalMetric):
    """Fraction of correct predictions. Predictions whose shape differs from the labels' are class scores:
    their ``argmax`` along ``axis`` (default 1) is the predicted class. Labels and predicted classes are
    truncated to int32.

    >>> import hybridnet as mx
    >>> m = mx.metric.Accuracy()
    >>> m.update([mx.nd.array([1, 0])], [mx.nd.array([1, 1])])
    >>> m.get()
    ('accuracy', 0.5)
    """

    def __init__(self, axis=1, name='accuracy', output_names=None, label_names=None):
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(*_wrap(labels, preds), True)
        for label, pred_label in zip(labels, preds):
            pred_label = _host(pred_label)
            label = _host(label)
            if pred_label.shape != label.shape:
                if not -pred_label.ndim <= self.axis < pred_label.ndim:
                    raise ShapeError(f"Accuracy(axis={self.axis}): predictions of shape {pred_label.shape} "
                                     f"(labels {label.shape}) have no axis {self.axis}. Pass class scores "
                                     "with the classes on `axis`, or predicted classes shaped like the labels.")
                pred_label = numpy.argmax(pred_label, axis=self.axis)
            pred_label = pred_label.astype('int32').flat
            label = label.astype('int32').flat
            check_label_shapes(label, pred_label)
            num_correct = (pred_label == label).sum()
            self.sum_metric += num_correct
            self.global_sum_metric += num_correct
            self.num_inst += len(pred_label)
            self.global_num_inst += len(pred_label)


@register
@alias('top_k_accuracy', 'top_k_acc')
class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the ``top_k`` highest scores (``top_k > 1``); the name
    becomes ``top_k_accuracy_<k>``.

    >>> import hybridnet as mx
    >>> m = mx.metric.TopKAccuracy(top_k=2)
    >>> m.update([mx.nd.array([2, 0])], [mx.nd.array([[0.1, 0.5, 0.4], [0.2, 0.3, 0.5]])])
    >>> m.get()
    ('top_k_accuracy_2', 0.5)
    """

    def __init__(self, top_k=1, name='top_k_accuracy', output_names=None, label_names=None):
        super().__init__(name, top_k=top_k, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.top_k = top_k
        if not self.top_k > 1:
            raise MetricError('Please use Accuracy if top_k is no more than 1')
        self.name += '_%d' % self.top_k

    def update(self, labels, preds):
        labels, preds = check_label_shapes(*_wrap(labels, preds), True)
        for label, pred_label in zip(labels, preds):
            pred_label = _host(pred_label)
            if len(pred_label.shape) > 2:
                raise ShapeError(f'TopKAccuracy: predictions should be no more than 2 dims, got shape '
                                 f'{pred_label.shape}. Reshape them to (batch, num_classes).')
            if pred_label.ndim == 0 or self.top_k > pred_label.shape[-1]:
                raise ShapeError(f"TopKAccuracy(top_k={self.top_k}): predictions of shape {pred_label.shape} have "
                                 f"fewer than {self.top_k} classes on their last axis. Use top_k <= the number "
                                 "of classes.")
            pred_label = numpy.argpartition(pred_label.astype('float32'), -self.top_k)
            label = _host(label).astype('int32')
            check_label_shapes(label, pred_label)
            num_samples = pred_label.shape[0]
            num_dims = len(pred_label.shape)
            if num_dims == 1:
                # as MXNet 1.9.1: compares the partition order with the labels; global stats not updated
                self.sum_metric += (pred_label.flat == label.flat).sum()
            elif num_dims == 2:
                num_classes = pred_label.shape[1]
                top_k = min(num_classes, self.top_k)
                for j in range(top_k):
                    num_correct = (pred_label[:, num_classes - 1 - j].flat == label.flat).sum()
                    self.sum_metric += num_correct
                    self.global_sum_metric += num_correct
            self.num_inst += num_samples
            self.global_num_inst += num_samples


class _BinaryClassificationMetrics:
    """Running confusion counts of a binary classifier (local and global)."""

    def __init__(self):
        self.reset_stats()

    def update_binary_stats(self, label, pred, owner="F1"):
        pred = _host(pred)
        label = _host(label).astype('int32')
        if pred.ndim != 2:
            raise ShapeError(f"{owner}: predictions must be (batch, 2) class scores, got shape {pred.shape}.")
        pred_label = numpy.argmax(pred, axis=1)
        check_label_shapes(label, pred)
        if len(numpy.unique(label)) > 2:
            raise MetricError("%s currently only supports binary classification. Labels had the classes %s; "
                              "use Accuracy or PCC for more classes." % (owner, numpy.unique(label).tolist()))
        pred_true = (pred_label == 1)
        pred_false = 1 - pred_true
        label_true = (label == 1)
        label_false = 1 - label_true

        true_pos = (pred_true * label_true).sum()
        false_pos = (pred_true * label_false).sum()
        false_neg = (pred_false * label_true).sum()
        true_neg = (pred_false * label_false).sum()
        self.true_positives += true_pos
        self.global_true_positives += true_pos
        self.false_positives += false_pos
        self.global_false_positives += false_pos
        self.false_negatives += false_neg
        self.global_false_negatives += false_neg
        self.true_negatives += true_neg
        self.global_true_negatives += true_neg

    @staticmethod
    def _ratio(num, other):
        return float(num) / (num + other) if num + other > 0 else 0.

    @property
    def precision(self):
        return self._ratio(self.true_positives, self.false_positives)

    @property
    def global_precision(self):
        return self._ratio(self.global_true_positives, self.global_false_positives)

    @property
    def recall(self):
        return self._ratio(self.true_positives, self.false_negatives)

    @property
    def global_recall(self):
        return self._ratio(self.global_true_positives, self.global_false_negatives)

    @property
    def fscore(self):
        if self.precision + self.recall > 0:
            return 2 * self.precision * self.recall / (self.precision + self.recall)
        return 0.

    @property
    def global_fscore(self):
        if self.global_precision + self.global_recall > 0:
            return 2 * self.global_precision * self.global_recall / (self.global_precision + self.global_recall)
        return 0.

    def matthewscc(self, use_global=False):
        """Matthews correlation coefficient; zero terms of the denominator count as 1."""
        if use_global:
            if not self.global_total_examples:
                return 0.
            true_pos = float(self.global_true_positives)
            false_pos = float(self.global_false_positives)
            false_neg = float(self.global_false_negatives)
            true_neg = float(self.global_true_negatives)
        else:
            if not self.total_examples:
                return 0.
            true_pos = float(self.true_positives)
            false_pos = float(self.false_positives)
            false_neg = float(self.false_negatives)
            true_neg = float(self.true_negatives)
        terms = [(true_pos + false_pos), (true_pos + false_neg), (true_neg + false_pos), (true_neg + false_neg)]
        denom = 1.
        for t in filter(lambda t: t != 0., terms):
            denom *= t
        return ((true_pos * true_neg) - (false_pos * false_neg)) / math.sqrt(denom)

    @property
    def total_examples(self):
        return self.false_negatives + self.false_positives + self.true_negatives + self.true_positives

    @property
    def global_total_examples(self):
        return (self.global_false_negatives + self.global_false_positives + self.global_true_negatives
                + self.global_true_positives)

    def local_reset_stats(self):
        self.false_positives = 0
        self.false_negatives = 0
        self.true_positives = 0
        self.true_negatives = 0

    def reset_stats(self):
        self.local_reset_stats()
        self.global_false_positives = 0
        self.global_false_negatives = 0
        self.global_true_positives = 0
        self.global_true_negatives = 0


@register
class F1(EvalMetric):
    """F1 score of a binary classifier (predictions: (batch, 2) scores, class 1 positive).
    ``average='macro'``: the mean of per-``update`` F1 scores; ``'micro'``: F1 over all samples.
    More than two label classes raise (as MXNet 1.9.1).

    >>> import hybridnet as mx
    >>> m = mx.metric.F1()
    >>> m.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.3, 0.7], [0.2, 0.8], [0.6, 0.4]])])
    >>> m.get()
    ('f1', 0.5)
    """

    def __init__(self, name='f1', output_names=None, label_names=None, average="macro"):
        self.average = average
        self.metrics = _BinaryClassificationMetrics()
        EvalMetric.__init__(self, name=name, output_names=output_names, label_names=label_names,
                            has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(*_wrap(labels, preds), True)
        for label, pred in zip(labels, preds):
            self.metrics.update_binary_stats(label, pred, "F1")
        if self.average == "macro":
            self.sum_metric += self.metrics.fscore
            self.global_sum_metric += self.metrics.global_fscore
            self.num_inst += 1
            self.global_num_inst += 1
            self.metrics.reset_stats()
        else:
            self.sum_metric = self.metrics.fscore * self.metrics.total_examples
            self.global_sum_metric = self.metrics.global_fscore * self.metrics.global_total_examples
            self.num_inst = self.metrics.total_examples
            self.global_num_inst = self.metrics.global_total_examples

    def reset(self):
        self.sum_metric = 0.
        self.num_inst = 0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0
        self.metrics.reset_stats()

    def reset_local(self):
        self.sum_metric = 0.
        self.num_inst = 0
        self.metrics.local_reset_stats()


@register
class MCC(EvalMetric):
    """Matthews correlation coefficient of a binary classifier (``average='macro'`` per update, or
    ``'micro'``); zero terms of the denominator count as 1.

    >>> import hybridnet as mx
    >>> m = mx.metric.MCC()
    >>> m.update([mx.nd.array([0, 1, 1, 0])], [mx.nd.array([[0.3, 0.7], [0.2, 0.8], [0.6, 0.4], [0.9, 0.1]])])
    >>> round(m.get()[1], 6)
    0.0
    """

    def __init__(self, name='mcc', output_names=None, label_names=None, average="macro"):
        self._average = average
        self._metrics = _BinaryClassificationMetrics()
        EvalMetric.__init__(self, name=name, output_names=output_names, label_names=label_names,
                            has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(*_wrap(labels, preds), True)
        for label, pred in zip(labels, preds):
            self._metrics.update_binary_stats(label, pred, "MCC")
        if self._average == "macro":
            self.sum_metric += self._metrics.matthewscc()
            self.global_sum_metric += self._metrics.matthewscc(use_global=True)
            self.num_inst += 1
            self.global_num_inst += 1
            self._metrics.reset_stats()
        else:
            self.sum_metric = self._metrics.matthewscc() * self._metrics.total_examples
            self.global_sum_metric = self._metrics.matthewscc(use_global=True) * self._metrics.global_total_examples
            self.num_inst = self._metrics.total_examples
            self.global_num_inst = self._metrics.global_total_examples

    def reset(self):
        self.sum_metric = 0.
        self.num_inst = 0.
        self.global_sum_metric = 0.
        self.global_num_inst = 0.
        self._metrics.reset_stats()

    def reset_local(self):
        self.sum_metric = 0.
        self.num_inst = 0.
        self._metrics.local_reset_stats()


@register
class Perplexity(EvalMetric):
    """Perplexity ``exp(mean(-log p[label]))`` of predicted distributions (probabilities along ``axis``),
    skipping labels equal to ``ignore_label`` (``None``: skip nothing). Probabilities are clipped at 1e-10;
    computed in the predictions' dtype (float32), as MXNet.

    >>> import hybridnet as mx
    >>> m = mx.metric.Perplexity(ignore_label=None)
    >>> m.update([mx.nd.array([0, 1])], [mx.nd.array([[0.5, 0.5], [0.5, 0.5]])])
    >>> round(m.get()[1], 6)
    2.0
    """

    def __init__(self, ignore_label, axis=-1, name='perplexity', output_names=None, label_names=None):
        super().__init__(name, ignore_label=ignore_label, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = _wrap(labels, preds)
        if len(labels) != len(preds):
            raise ShapeError(f"Perplexity: {len(labels)} label arrays but {len(preds)} prediction arrays.")
        loss = 0.
        num = 0
        for label, pred in zip(labels, preds):
            label = _host(label)
            pred = _host(pred)
            if pred.ndim == 0 or label.size != pred.size / pred.shape[-1]:
                raise ShapeError("Perplexity: shape mismatch: %s vs. %s (one label per distribution along "
                                 "the last axis of the predictions)" % (label.shape, pred.shape))
            label = label.reshape((label.size,))
            if not -pred.ndim <= self.axis < pred.ndim:
                raise ShapeError(f"Perplexity(axis={self.axis}): predictions of shape {pred.shape} have no "
                                 f"axis {self.axis}.")
            moved = numpy.moveaxis(pred, self.axis, -1)
            nclass = moved.shape[-1]
            moved = moved.reshape(-1, nclass)
            if moved.shape[0] != label.size:
                raise ShapeError("Perplexity: shape mismatch: %s vs. %s along axis %d"
                                 % (label.shape, pred.shape, self.axis))
            # ndarray.pick(mode='clip'): indices are clipped into [0, nclass)
            idx = numpy.clip(label.astype('int32'), 0, nclass - 1)
            picked = moved[numpy.arange(label.size), idx]
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(picked.dtype)
                num -= ignore.sum()
                picked = picked * (1 - ignore) + ignore
            loss -= numpy.log(numpy.maximum(picked.dtype.type(1e-10), picked)).sum()
            num += picked.size
        self.sum_metric += loss
        self.global_sum_metric += loss
        self.num_inst += num
        self.global_num_inst += num

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self):
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


def _regression_pair(label, pred):
    label = _host(label)
    pred = _host(pred)
    if len(label.shape) == 1:
        label = label.reshape(label.shape[0], 1)
    if len(pred.shape) == 1:
        pred = pred.reshape(pred.shape[0], 1)
    return label, pred


class _Regression(EvalMetric):
    """MAE / MSE / RMSE: the per-update mean of ``_stat(label - pred)``, averaged over updates and arrays."""

    def __init__(self, name, output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(*_wrap(labels, preds), True)
        for label, pred in zip(labels, preds):
            label, pred = _regression_pair(label, pred)
            try:
                diff = label - pred
            except ValueError:
                raise ShapeError(f"{type(self).__name__}: labels of shape {label.shape} and predictions of shape "
                                 f"{pred.shape} do not broadcast. Give one prediction per label.") from None
            value = self._stat(diff)
            self.sum_metric += value
            self.global_sum_metric += value
            self.num_inst += 1
            self.global_num_inst += 1


@register
class MAE(_Regression):
    """Mean absolute error.

    >>> import hybridnet as mx
    >>> m = mx.metric.MAE()
    >>> m.update([mx.nd.array([1, 2])], [mx.nd.array([1.5, 2.5])])
    >>> m.get()
    ('mae', 0.5)
    """

    def __init__(self, name='mae', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)

    @staticmethod
    def _stat(diff):
        return numpy.abs(diff).mean()


@register
class MSE(_Regression):
    """Mean squared error.

    >>> import hybridnet as mx
    >>> m = mx.metric.MSE()
    >>> m.update([mx.nd.array([1, 2])], [mx.nd.array([1.5, 3.0])])
    >>> m.get()
    ('mse', 0.625)
    """

    def __init__(self, name='mse', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)

    @staticmethod
    def _stat(diff):
        return (diff ** 2.0).mean()


@register
class RMSE(_Regression):
    """Root mean squared error (per update, then averaged).

    >>> import hybridnet as mx
    >>> m = mx.metric.RMSE()
    >>> m.update([mx.nd.array([1, 2])], [mx.nd.array([2, 3])])
    >>> m.get()
    ('rmse', 1.0)
    """

    def __init__(self, name='rmse', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)

    @staticmethod
    def _stat(diff):
        return numpy.sqrt((diff ** 2.0).mean())


class _PickedLogLoss(EvalMetric):
    """CrossEntropy / NegativeLogLikelihood: ``sum(-log(pred[i, label[i]] + eps)) / num samples``."""

    def __init__(self, eps, name, output_names=None, label_names=None):
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.eps = eps

    def update(self, labels, preds):
        labels, preds = check_label_shapes(*_wrap(labels, preds), True)
        for label, pred in zip(labels, preds):
            label = _host(label).ravel()
            pred = _host(pred)
            num_examples = pred.shape[0] if pred.ndim else 0
            if pred.ndim != 2 or label.shape[0] != num_examples:
                raise ShapeError(f"{type(self).__name__}: predictions must be (batch, num_classes) "
                                 f"probabilities with one label per row; got predictions {pred.shape} and "
                                 f"{label.shape[0]} labels.")
            cls = numpy.int64(label)
            if cls.size and (cls.min() < 0 or cls.max() >= pred.shape[1]):
                raise ShapeError(f"{type(self).__name__}: labels must be class indices in [0, {pred.shape[1]}) "
                                 f"for predictions of shape {pred.shape}; got labels in "
                                 f"[{cls.min()}, {cls.max()}].")
            prob = pred[numpy.arange(num_examples, dtype=numpy.int64), cls]
            value = (-numpy.log(prob + self.eps)).sum()
            self.sum_metric += value
            self.global_sum_metric += value
            self.num_inst += num_examples
            self.global_num_inst += num_examples


@register
@alias('ce')
class CrossEntropy(_PickedLogLoss):
    """Cross entropy of predicted probabilities (batch, num_classes) against class-index labels.

    >>> import hybridnet as mx
    >>> m = mx.metric.CrossEntropy()
    >>> m.update([mx.nd.array([0, 1])], [mx.nd.array([[1.0, 0.0], [0.0, 1.0]])])
    >>> abs(m.get()[1]) < 1e-6
    True
    """

    def __init__(self, eps=1e-12, name='cross-entropy', output_names=None, label_names=None):
        super().__init__(eps, name, output_names=output_names, label_names=label_names)


@register
@alias('nll_loss')
class NegativeLogLikelihood(_PickedLogLoss):
    """Negative log-likelihood of predicted probabilities (batch, num_classes) against class-index labels.

    >>> import hybridnet as mx
    >>> mx.metric.NegativeLogLikelihood().name
    'nll-loss'
    """

    def __init__(self, eps=1e-12, name='nll-loss', output_names=None, label_names=None):
        super().__init__(eps, name, output_names=output_names, label_names=label_names)


@register
@alias('pearsonr')
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of predictions and labels: ``average='macro'`` averages per-update coefficients,
    ``'micro'`` computes one coefficient over all samples (streaming).

    >>> import hybridnet as mx
    >>> m = mx.metric.PearsonCorrelation()
    >>> m.update([mx.nd.array([1, 2, 3])], [mx.nd.array([2, 4, 6])])
    >>> round(m.get()[1], 6)
    1.0
    """

    def __init__(self, name='pearsonr', output_names=None, label_names=None, average='macro'):
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)
        if self.average == 'micro':
            self.reset_micro()

    def reset_micro(self):
        self._sse_p = 0
        self._mean_p = 0
        self._sse_l = 0
        self._mean_l = 0
        self._pred_nums = 0
        self._label_nums = 0
        self._conv = 0

    def reset(self):
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0
        if self.average == 'micro':
            self.reset_micro()

    def update_variance(self, new_values, *aggregate):
        count, mean, m_2 = aggregate
        count += len(new_values)
        delta = new_values - mean
        mean += numpy.sum(delta / count)
        delta_2 = new_values - mean
        m_2 += numpy.sum(delta * delta_2)
        return count, mean, m_2

    def update_cov(self, label, pred):
        self._conv = self._conv + numpy.sum((label - self._mean_l) * (pred - self._mean_p))

    def update(self, labels, preds):
        labels, preds = check_label_shapes(*_wrap(labels, preds), True)
        for label, pred in zip(labels, preds):
            label = _host(label)
            pred = _host(pred)
            check_label_shapes(label, pred, False, True)
            label = label.ravel().astype(numpy.float64)
            pred = pred.ravel().astype(numpy.float64)
            if self.average == 'macro':
                pearson_corr = numpy.corrcoef(pred, label)[0, 1]
                self.sum_metric += pearson_corr
                self.global_sum_metric += pearson_corr
                self.num_inst += 1
                self.global_num_inst += 1
            else:
                self.global_num_inst += 1
                self.num_inst += 1
                self._label_nums, self._mean_l, self._sse_l = \
                    self.update_variance(label, self._label_nums, self._mean_l, self._sse_l)
                self.update_cov(label, pred)
                self._pred_nums, self._mean_p, self._sse_p = \
                    self.update_variance(pred, self._pred_nums, self._mean_p, self._sse_p)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        if self.average == 'macro':
            return (self.name, _value(self.sum_metric / self.num_inst))
        n = self._label_nums
        pearsonr = self._conv / ((n - 1) * numpy.sqrt(self._sse_p / (n - 1)) * numpy.sqrt(self._sse_l / (n - 1)))
        return (self.name, _value(pearsonr))


@register
class PCC(EvalMetric):
    """Multi-class Matthews correlation (the Pearson correlation of the one-hot confusion matrix), over all
    samples since the last reset; the number of classes grows with the labels seen.

    >>> import hybridnet as mx
    >>> m = mx.metric.PCC()
    >>> m.update([mx.nd.array([0, 1, 2])], [mx.nd.array([0, 1, 2])])
    >>> m.get()
    ('pcc', 1.0)
    """

    def __init__(self, name='pcc', output_names=None, label_names=None, has_global_stats=True):
        self.k = 2
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    def _grow(self, inc):
        self.lcm = numpy.pad(self.lcm, ((0, inc), (0, inc)), 'constant', constant_values=(0))
        self.gcm = numpy.pad(self.gcm, ((0, inc), (0, inc)), 'constant', constant_values=(0))
        self.k += inc

    def _calc_mcc(self, cmat):
        n = cmat.sum()
        x = cmat.sum(axis=1)
        y = cmat.sum(axis=0)
        cov_xx = numpy.sum(x * (n - x))
        cov_yy = numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float('nan')
        i = cmat.diagonal()
        cov_xy = numpy.sum(i * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels, preds):
        labels, preds = check_label_shapes(*_wrap(labels, preds), True)
        for label, pred in zip(labels, preds):
            label = _host(label).astype('int32', copy=False)
            pred = _host(pred)
            if pred.shape != label.shape:
                pred = pred.argmax(axis=1)
            else:
                pred = pred.astype('int32', copy=False)
            pred = pred.ravel()
            label = label.ravel()
            if pred.size != label.size:
                raise ShapeError(f"PCC: {pred.size} predictions for {label.size} labels. Give one prediction "
                                 "(or one row of class scores) per label.")
            if pred.size == 0:
                continue
            if min(pred.min(), label.min()) < 0:
                raise MetricError("PCC: class indices must be non-negative.")
            n = max(pred.max(), label.max())
            if n >= self.k:
                self._grow(int(n) + 1 - self.k)
            bcm = numpy.zeros((self.k, self.k))
            numpy.add.at(bcm, (pred, label), 1)
            self.lcm += bcm
            self.gcm += bcm
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self):
        return self._calc_mcc(self.lcm) * self.num_inst

    @property
    def global_sum_metric(self):
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self):
        self.global_num_inst = 0.
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self):
        self.num_inst = 0.
        self.lcm = numpy.zeros((self.k, self.k))


@register
class Loss(EvalMetric):
    """The mean of loss values: ``preds`` are the losses (labels are ignored).

    >>> import hybridnet as mx
    >>> m = mx.metric.Loss()
    >>> m.update(None, [mx.nd.array([1.0, 2.0, 3.0])])
    >>> m.get()
    ('loss', 2.0)
    """

    def __init__(self, name='loss', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def update(self, _, preds):
        if _is_array(preds):
            preds = [preds]
        for pred in preds:
            pred = _host(pred)
            loss = float(pred.sum())
            self.sum_metric += loss
            self.global_sum_metric += loss
            self.num_inst += pred.size
            self.global_num_inst += pred.size


@register
class Torch(Loss):
    """Dummy metric for torch criterions (a ``Loss`` named ``torch``)."""

    def __init__(self, name='torch', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """Dummy metric for caffe criterions (a ``Loss`` named ``caffe``)."""

    def __init__(self, name='caffe', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class CustomMetric(EvalMetric):
    """A metric from ``feval(label, pred)`` on NumPy arrays returning a value, or ``(sum_metric,
    num_inst)``; the name defaults to the function's (``custom(<lambda>)`` for lambdas).

    >>> import hybridnet as mx
    >>> m = mx.metric.CustomMetric(lambda label, pred: float((label == pred).mean()))
    >>> m.update([mx.nd.array([1, 2])], [mx.nd.array([1, 3])])
    >>> m.get()
    ('custom(<lambda>)', 0.5)
    """

    def __init__(self, feval, name=None, allow_extra_outputs=False, output_names=None, label_names=None):
        if name is None:
            name = feval.__name__
            if name.find('<') != -1:
                name = 'custom(%s)' % name
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels, preds):
        labels, preds = _wrap(labels, preds)
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            label = _host(label)
            pred = _host(pred)
            reval = self._feval(label, pred)
            if isinstance(reval, tuple):
                (sum_metric, num_inst) = reval
                self.sum_metric += sum_metric
                self.global_sum_metric += sum_metric
                self.num_inst += num_inst
                self.global_num_inst += num_inst
            else:
                self.sum_metric += reval
                self.global_sum_metric += reval
                self.num_inst += 1
                self.global_num_inst += 1

    def get_config(self):
        raise NotImplementedError("CustomMetric cannot be serialized")


# pylint: disable=invalid-name
def np(numpy_feval, name=None, allow_extra_outputs=False):
    """A ``CustomMetric`` from a NumPy function ``numpy_feval(label, pred)`` (``mx.metric.np``).

    >>> import hybridnet as mx
    >>> def mean_abs(label, pred):
    ...     return abs(label - pred).mean()
    >>> mx.metric.np(mean_abs).name
    'mean_abs'
    """
    def feval(label, pred):
        return numpy_feval(label, pred)
    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)

