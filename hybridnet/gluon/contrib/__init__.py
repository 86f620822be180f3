"""``gluon.contrib`` (1.x home of Concurrent, HybridConcurrent, Identity)."""
from . import nn  # noqa: F401
