"""``gluon.data.vision``: MNIST, FashionMNIST, CIFAR10/100, image folders and records, ``transforms``."""
from .datasets import *  # noqa: F401,F403
from .datasets import (CIFAR10, CIFAR100, MNIST, DatasetFileError, FashionMNIST, ImageFolderDataset,  # noqa: F401
                       ImageRecordDataset)
from . import transforms  # noqa: F401
