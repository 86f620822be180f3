"""Datasets (MXNet 1.9.1 ``gluon.data.dataset``).

A dataset is anything with ``__getitem__`` and ``__len__``; NumPy arrays, NDArrays and lists work directly.
``ArrayDataset`` keeps NumPy items NumPy (so the DataLoader batches them with their NumPy dtype) and turns a
1-D NDArray into NumPy, as MXNet does.
"""
import os

from ... import recordio
from ...nd.ndarray import NDArray

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset"]


class Dataset:
    """Abstract dataset: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, idx):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def filter(self, fn):
        """The samples for which ``fn(sample)`` is true (``fn`` runs on every sample now, once).

        >>> list(SimpleDataset([1, 2, 3, 4]).filter(lambda x: x > 2))
        [3, 4]
        """
        from .sampler import FilterSampler
        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards, index):
        """Shard ``index`` of ``num_shards`` contiguous shards (the first ``len % num_shards`` get one more).

        >>> [list(SimpleDataset(range(5)).shard(2, i)) for i in range(2)]
        [[0, 1, 2], [3, 4]]
        """
        assert index < num_shards, "Shard index of out bound: %d out of %d" % (index, num_shards)
        assert num_shards > 0, "Number of shards must be greater than 0"
        assert index >= 0, "Index must be non-negative"
        length = len(self)
        shard_len = length // num_shards
        rest = length % num_shards
        start = shard_len * index + min(index, rest)
        end = start + shard_len + (index < rest)
        from .sampler import SequentialSampler
        return _SampledDataset(self, SequentialSampler(end - start, start))

    def take(self, count):
        """The first ``count`` samples (all when ``count`` is None or larger than the dataset)."""
        if count is None or count > len(self):
            count = len(self)
        from .sampler import SequentialSampler
        return _SampledDataset(self, SequentialSampler(count))

    def sample(self, sampler):
        """The samples at the indices ``sampler`` yields."""
        from .sampler import Sampler
        if not isinstance(sampler, Sampler):
            raise TypeError("Invalid sampler type: %s. Expected gluon.data.Sampler instead." % type(sampler))
        return _SampledDataset(self, sampler)

    def transform(self, fn, lazy=True):
        """Each sample transformed by ``fn`` (a tuple sample is passed as ``fn(*sample)``).

        ``lazy=False`` transforms everything now into a ``SimpleDataset`` (do not use it with random
        augmentations: every epoch would see the same draw).

        >>> SimpleDataset([(1, 2), (3, 4)]).transform(lambda x, y: x + y)[1]
        7
        """
        trans = _LazyTransformDataset(self, fn)
        if lazy:
            return trans
        return SimpleDataset([i for i in trans])

    def transform_first(self, fn, lazy=True):
        """Like ``transform``, but ``fn`` is applied to the first element of each sample only.

        >>> SimpleDataset([(1, 'a'), (2, 'b')]).transform_first(lambda x: x * 10)[1]
        (20, 'b')
        """
        return self.transform(_TransformFirstClosure(fn), lazy)

    def __iter__(self):
        # the sequence protocol (iteration stops at IndexError) as MXNet's Dataset, but bounded by len()
        for i in range(len(self)):
            yield self[i]


class SimpleDataset(Dataset):
    """Wraps anything with ``len()`` and ``[]`` (a list, an array)."""

    def __init__(self, data):
        self._data = data

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]


class _LazyTransformDataset(Dataset):
    def __init__(self, data, fn):
        self._data = data
        self._fn = fn

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _TransformFirstClosure:
    """A callable object rather than a closure, so it pickles for worker processes."""

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, x, *args):
        if args:
            return (self._fn(x),) + args
        return self._fn(x)


class _SampledDataset(Dataset):
    def __init__(self, dataset, sampler):
        self._dataset = dataset
        self._sampler = sampler
        self._indices = list(iter(sampler))

    def __len__(self):
        return len(self._sampler)

    def __getitem__(self, idx):
        return self._dataset[self._indices[idx]]


class ArrayDataset(Dataset):
    """Samples ``(a[i], b[i], ...)`` of several equally long datasets (one array: ``a[i]`` alone).

    >>> import numpy as np
    >>> ds = ArrayDataset(np.zeros((3, 2)), [7, 8, 9])
    >>> x, y = ds[1]
    >>> type(x).__name__, x.dtype, y
    ('ndarray', dtype('float64'), 8)
    """

    def __init__(self, *args):
        assert len(args) > 0, "Needs at least 1 arrays"
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            assert len(data) == self._length, \
                "All arrays must have the same length; array[0] has length %d while array[%d] has %d." % (
                    self._length, i + 1, len(data))
            if isinstance(data, NDArray) and len(data.shape) == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __getitem__(self, idx):
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self):
        return self._length


class RecordFileDataset(Dataset):
    """The raw records (``bytes``) of a RecordIO file; its index is the ``.idx`` file next to it.

    Each worker process reopens the file (the reader pickles as its path)."""

    def __init__(self, filename):
        self.idx_file = os.path.splitext(filename)[0] + ".idx"
        self.filename = filename
        self._record = recordio.MXIndexedRecordIO(self.idx_file, self.filename, "r")

    def __getitem__(self, idx):
        return self._record.read_idx(self._record.keys[idx])

    def __len__(self):
        return len(self._record.keys)


class _DownloadedDataset(Dataset):
    """Base of MNIST, CIFAR10...: ``root`` is created, ``_get_data`` fills ``_data`` and ``_label``."""

    def __init__(self, root, transform):
        super().__init__()
        self._transform = transform
        self._data = None
        self._label = None
        root = os.path.expanduser(root)
        self._root = root
        if not os.path.isdir(root):
            os.makedirs(root)
        self._get_data()

    def __getitem__(self, idx):
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self):
        return len(self._label)

    def _get_data(self):
        raise NotImplementedError
