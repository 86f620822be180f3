"""``gluon.contrib.nn``: 1.x names of containers that moved to ``gluon.nn`` in 2.0."""
from ...nn.basic_layers import Concatenate, HybridConcatenate, Identity
from ...nn.norm_layers import SyncBatchNorm

__all__ = ["Concurrent", "HybridConcurrent", "Identity", "SyncBatchNorm"]


class Concurrent(Concatenate):
    """1.x ``contrib.nn.Concurrent``: children's outputs concatenated along ``axis``."""


class HybridConcurrent(HybridConcatenate):
    """1.x ``contrib.nn.HybridConcurrent``: hybridizable ``Concurrent``."""
