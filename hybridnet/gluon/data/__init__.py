"""``gluon.data``: datasets, samplers, batchify functions and the DataLoader (MXNet 1.9.1 + 2.0's batchify)."""
from .dataset import *  # noqa: F401,F403
from .dataset import ArrayDataset, Dataset, RecordFileDataset, SimpleDataset  # noqa: F401
from .sampler import *  # noqa: F401,F403
from .sampler import BatchSampler, FilterSampler, IntervalSampler, RandomSampler, Sampler, SequentialSampler  # noqa: F401
from .dataloader import DataLoader, DataLoaderTimeoutError, DataLoaderWorkerError  # noqa: F401
from . import batchify  # noqa: F401
from . import vision  # noqa: F401
