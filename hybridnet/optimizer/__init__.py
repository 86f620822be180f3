"""Optimizers (``mx.optimizer``, MXNet 1.9.1): ``Optimizer`` and the registered optimizers, ``create``,
``register``, ``Updater`` / ``get_updater`` (states saved as safetensors + JSON, never pickle), and
MXNet's update operators (``nd.sgd_update``, ``nd.sgd_mom_update``, ``nd.adam_update``, ...).
See ``optimizer.py`` for the update rules and ``updater.py`` for the states format."""
from . import update_ops  # noqa: F401  (defines the update ops: nd.sgd_update, ...)
from . import optimizer, contrib  # noqa: F401
from .optimizer import *  # noqa: F401,F403
from .optimizer import __all__ as _opt_all
from .updater import Updater, get_updater  # noqa: F401

__all__ = list(_opt_all) + ["Updater", "get_updater", "contrib"]
