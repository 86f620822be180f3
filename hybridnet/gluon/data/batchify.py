"""Batchify functions (MXNet 2.0's ``gluon.data.batchify``; in 1.x gluon-nlp's ``nlp.data.batchify``).

A batchify function takes the list of samples of one batch and returns the batch. ``Stack`` is the
DataLoader's default behaviour: NDArrays are stacked, anything else goes through ``np.asarray`` and keeps
its NumPy dtype (float64 / int64 batches from NumPy data or Python numbers), and tuple samples give a list
with one batch per field.
"""
import math
import warnings

import numpy as np

from ... import nd
from ...nd.ndarray import NDArray

__all__ = ["Stack", "Pad", "Append", "Group", "AsList", "default_batchify_fn"]


def default_batchify_fn(data):
    """MXNet 1.9.1's default: stack NDArrays, recurse into tuples (-> list), ``np.asarray`` the rest."""
    if isinstance(data[0], NDArray):
        return nd.stack(*data)
    if isinstance(data[0], tuple):
        return [default_batchify_fn(list(i)) for i in zip(*data)]
    data = np.asarray(data)
    return nd.array(data, dtype=data.dtype)


class Stack:
    """Stack samples of equal shape into one batch (tuples/lists of fields: a list of batches).

    >>> Stack()([[1, 2], [3, 4], [5, 6]]).shape
    (3, 2)
    >>> Stack()([np.zeros(2, np.int32), np.ones(2, np.int32)]).dtype
    dtype('int32')
    """

    def __init__(self, use_shared_mem=False):
        self._use_shared_mem = use_shared_mem   # accepted for compatibility; batches live in process memory

    def __call__(self, data):
        if isinstance(data[0], NDArray):
            return nd.stack(*data)
        if isinstance(data[0], (tuple, list)) and len(data[0]) and not _is_number_list(data[0]):
            return [self.__call__(list(i)) for i in zip(*data)]
        out = np.asarray(data)
        return nd.array(out, dtype=out.dtype)


def _is_number_list(x):
    return isinstance(x, list) and all(isinstance(v, (int, float, np.number)) for v in x)


class Pad:
    """Pad samples to the largest shape and stack them.

    ``val``: the pad value (0); ``dtype``: the batch dtype (default: the samples' dtype; for Python lists
    the NumPy dtype of their elements); ``round_to``: round padded sizes up to a multiple of it;
    ``axis``: None pads every axis (MXNet 2.0), an int pads that axis only (gluon-nlp; the other axes must
    agree); ``ret_length``: also return the int32 lengths along ``axis`` (axis 0 when ``axis`` is None).

    >>> Pad()([[1, 2, 3, 4], [4, 5, 6], [8, 2]]).asnumpy().tolist()
    [[1, 2, 3, 4], [4, 5, 6, 0], [8, 2, 0, 0]]
    >>> b, n = Pad(val=-1, axis=1, ret_length=True)([np.ones((2, 3)), np.ones((2, 1))])
    >>> b.shape, n.asnumpy().tolist()
    ((2, 2, 3), [3, 1])
    """

    def __init__(self, val=None, dtype=None, round_to=None, use_shared_mem=False, axis=None, ret_length=False):
        self._pad_val = 0 if val is None else val
        self._dtype = dtype
        self._warned = False
        self._round_to = round_to
        self._use_shared_mem = use_shared_mem
        if axis is not None and not isinstance(axis, (int, np.integer)):
            raise ValueError("axis must be an integer or None, got %r (%s)" % (axis, type(axis).__name__))
        self._axis = axis
        self._ret_length = ret_length

    def __call__(self, data):
        if isinstance(data[0], NDArray) and not self._warned:
            self._warned = True
            warnings.warn("Using Pad with NDArrays is discouraged for speed reasons. Instead you should pad your "
                          "data while it is still a list and before converting to an NDArray. Alternatively you "
                          "can consider inputting a numpy.ndarray.")
        if not isinstance(data[0], (NDArray, np.ndarray, list)):
            raise NotImplementedError("Pad() does not support multiple items, use Group(Pad(), Pad(), ...) instead")
        return self._pad(data)

    def _pad(self, arrs):
        dtype = self._dtype
        if isinstance(arrs[0], NDArray):
            dtype = arrs[0].dtype if dtype is None else dtype
            arrs = [a.asnumpy() for a in arrs]
        elif not isinstance(arrs[0], np.ndarray):
            arrs = [np.asarray(a) for a in arrs]
            dtype = arrs[0].dtype if dtype is None else dtype
        else:
            dtype = arrs[0].dtype if dtype is None else dtype
        ndim = arrs[0].ndim
        for i, a in enumerate(arrs):
            if a.ndim != ndim:
                raise ValueError(f"Pad: sample {i} has {a.ndim} dims (shape {a.shape}) but sample 0 has {ndim} "
                                 f"(shape {arrs[0].shape}); all samples need the same number of dims")
        axis = self._axis
        if axis is not None:
            if not -ndim <= axis < ndim:
                raise ValueError(f"Pad: axis {axis} is out of range for samples with {ndim} dims")
            axis %= ndim
        pad_axes = range(ndim) if axis is None else [axis]
        ret_shape = list(arrs[0].shape)
        for ax in range(ndim):
            sizes = [a.shape[ax] for a in arrs]
            if ax in pad_axes:
                size = max(sizes)
                if self._round_to is not None:
                    size = self._round_to * math.ceil(size / self._round_to)
                ret_shape[ax] = size
            elif len(set(sizes)) > 1:
                raise ValueError(f"Pad(axis={axis}): the samples differ along axis {ax} (sizes {sizes}), which "
                                 "is not padded; use axis=None to pad every axis")
        ret = np.full((len(arrs),) + tuple(ret_shape), self._pad_val, dtype=dtype)
        for i, a in enumerate(arrs):
            ret[(i,) + tuple(slice(0, s) for s in a.shape)] = a
        out = nd.array(ret, dtype=dtype)
        if self._ret_length:
            lengths = np.array([a.shape[0 if axis is None else axis] for a in arrs], dtype=np.int32)
            return out, nd.array(lengths, dtype=np.int32)
        return out


class Append:
    """A list with one NDArray per sample (shapes may differ); ``expand`` adds a batch axis to each.

    >>> [x.shape for x in Append()([[1, 2, 3], [4, 5]])]
    [(1, 3), (1, 2)]
    """

    def __init__(self, expand=True, batch_axis=0, use_shared_mem=False):
        self._expand = expand
        self._batch_axis = batch_axis
        self._use_shared_mem = use_shared_mem

    def __call__(self, data):
        out = list(data) if isinstance(data[0], NDArray) else [nd.array(x) for x in data]
        if self._expand:
            out = [x.expand_dims(axis=self._batch_axis) for x in out]
        return out


class Group:
    """Apply the i-th batchify function to the i-th field of the samples; returns a tuple.

    >>> x, y = Group(Pad(), Stack())([([1, 2, 3, 4], 0), ([5, 7], 1)])
    >>> x.asnumpy().tolist(), y.asnumpy().tolist()
    ([[1, 2, 3, 4], [5, 7, 0, 0]], [0, 1])
    """

    def __init__(self, fn, *args):
        if isinstance(fn, (list, tuple)):
            assert len(args) == 0, "Input pattern not understood. The input of Group can be Group(A, B, C) or " \
                                   "Group([A, B, C]) or Group((A, B, C)). Received fn=%s, args=%s" % (
                                       str(fn), str(args))
            self._fn = fn
        else:
            self._fn = (fn,) + args
        for i, ele_fn in enumerate(self._fn):
            assert hasattr(ele_fn, "__call__"), "Batchify functions must be callable! type(fn[%d]) = %s" % (
                i, str(type(ele_fn)))

    def __call__(self, data):
        assert len(data[0]) == len(self._fn), \
            "The number of attributes in each data sample should contains {} elements".format(len(self._fn))
        return tuple(fn([ele[i] for ele in data]) for i, fn in enumerate(self._fn))


class AsList:
    """The samples as a plain list (for text and other non-array fields).

    >>> AsList()(["a", "b"])
    ['a', 'b']
    """

    def __call__(self, data):
        return list(data)
