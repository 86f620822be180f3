"""``gluon.contrib.nn``: 1.x names of containers that moved to ``gluon.nn`` in 2.0."""
from ...nn.basic_layers import Concatenate, HybridConcatenate, Identity
from ...nn.norm_layers import SyncBatchNorm
from ...nn.pool_layers import PixelShuffle1D, PixelShuffle2D, PixelShuffle3D  # 1.x home (gluon.nn in 2.0)

__all__ = ["Concurrent", "HybridConcurrent", "Identity", "SyncBatchNorm", "PixelShuffle1D", "PixelShuffle2D",
           "PixelShuffle3D"]


class Concurrent(Concatenate):
    """1.x ``contrib.nn.Concurrent``: children's outputs concatenated along ``axis``."""


class HybridConcurrent(HybridConcatenate):
    """1.x ``contrib.nn.HybridConcurrent``: hybridizable ``Concurrent``."""
