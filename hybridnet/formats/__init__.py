"""File formats MXNet users have on disk, read and written without pickle.

- :mod:`.ndarray_file`: the NDArray list file of ``nd.save`` / ``nd.load`` and Gluon ``.params``.
"""
from . import ndarray_file  # noqa: F401
from .ndarray_file import read as read_ndarrays, write as write_ndarrays  # noqa: F401
