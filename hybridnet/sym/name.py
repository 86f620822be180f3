"""``mx.name``: automatic node names for the Symbol API (``NameManager``, ``Prefix``)."""
from .symbol import NameManager, Prefix  # noqa: F401

__all__ = ["NameManager", "Prefix"]
