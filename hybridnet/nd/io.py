"""``nd.save`` / ``nd.load`` / ``nd.load_frombuffer``: MXNet's NDArray list file, byte for byte.

``nd.save`` writes what MXNet 1.9.1's legacy ``nd.save`` writes (V2 records), with one documented
difference: every record says device ``cpu(0)``. MXNet writes a GPU array's own device there; hybridnet
copies arrays to the host to write them, and ``load`` ignores the saved device anyway (it places every
array on ``ctx``, default the current device), so a file saved on a GPU machine loads on any machine.
Writing to a path is atomic (temporary file, fsync, rename): an interrupted save never leaves a
half-written file behind. Loading never unpickles; a damaged or foreign file raises ``FormatError``
saying where and what was expected.

>>> import io
>>> buf = io.BytesIO()
>>> nd.save(buf, {'w': nd.array([1.5, 2.5])})
>>> nd.load_frombuffer(buf.getvalue())['w'].asnumpy().tolist()
[1.5, 2.5]
"""
import os

from ..device import resolve
from ..formats import ndarray_file
from ..kernels import backend
from .ndarray import NDArray

__all__ = ["save", "load", "load_frombuffer"]

_TYPE_MSG = "save only accept dict str->NDArray or list of NDArray"


class _HostArrays:
    """The arrays to save, copied to the host one at a time as the writer reaches them."""

    def __init__(self, arrays):
        self._arrays = arrays

    def __len__(self):
        return len(self._arrays)

    def __iter__(self):
        for a in self._arrays:
            yield _to_host(a)


def _to_host(a):
    return backend.to_host(a._data)


def save(fname, data):
    """Save an NDArray, a list of NDArrays or a dict str -> NDArray to ``fname``.

    ``fname`` is a path (written atomically) or a binary file object such as ``io.BytesIO``.
    The file is MXNet's (``mx.nd.load`` reads it); see the module doc for the device field.

    >>> import os, tempfile
    >>> f = os.path.join(tempfile.mkdtemp(), 'x.params')
    >>> nd.save(f, [nd.zeros((2, 3)), nd.ones(4, dtype='int32')])
    >>> [a.shape for a in nd.load(f)]
    [(2, 3), (4,)]
    """
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        if any(not isinstance(k, str) for k in data) or \
                any(not isinstance(v, NDArray) for v in data.values()):
            bad = next(((k, v) for k, v in data.items()
                        if not isinstance(k, str) or not isinstance(v, NDArray)))
            raise TypeError(f"{_TYPE_MSG}; got key {bad[0]!r} ({type(bad[0]).__name__}) -> "
                            f"{type(bad[1]).__name__}")
        names, arrays = list(data.keys()), list(data.values())
    elif isinstance(data, list):
        bad = [type(v).__name__ for v in data if not isinstance(v, NDArray)]
        if bad:
            raise TypeError(f"{_TYPE_MSG}; got a list containing {bad[0]}")
        names, arrays = None, data
    else:
        raise ValueError("data needs to either be a NDArray, dict of str, NDArray pairs or a list "
                         f"of NDarrays; got {type(data).__name__}")
    if not isinstance(fname, (str, os.PathLike)) and not hasattr(fname, "write"):
        raise TypeError(f"fname required to be a string, a path or a binary file object, got "
                        f"{type(fname).__name__}")
    ndarray_file.write(fname, _HostArrays(arrays), names, version=2)


def _wrap(contents, ctx):
    arrays, names = contents
    dev = resolve(ctx)
    out = [None if a is None else NDArray(backend.to_device(a, dev), dev) for a in arrays]
    if not names:
        return out
    return dict(zip(names, out))


def load(fname, ctx=None):
    """Load a file written by ``nd.save`` / ``save_parameters`` (hybridnet's or MXNet's, any
    format version): a list of NDArrays for a list save, else a dict name -> NDArray.

    Arrays go to ``ctx`` (default: the current device), whatever device the file names.
    ``fname`` may also be a binary file object. Raises ``FormatError`` for a damaged or foreign file.

    >>> import io
    >>> b = io.BytesIO(); nd.save(b, nd.arange(3)); _ = b.seek(0)
    >>> nd.load(b)[0].asnumpy().tolist()
    [0.0, 1.0, 2.0]
    """
    if isinstance(fname, (str, os.PathLike)):
        contents = ndarray_file.read_file(fname)
    elif hasattr(fname, "read"):
        contents = ndarray_file.read(fname)
    else:
        raise TypeError(f"fname required to be a string, a path or a binary file object, got "
                        f"{type(fname).__name__}")
    return _wrap(contents, ctx)


def load_frombuffer(buf, ctx=None):
    """``load`` from the bytes of a file (``bytes``, ``bytearray`` or ``memoryview``).

    >>> import io
    >>> b = io.BytesIO(); nd.save(b, {'x': nd.ones((2,), dtype='int64')})
    >>> nd.load_frombuffer(b.getvalue())['x'].dtype
    dtype('int64')
    """
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise TypeError(f"buf required to be bytes (the contents of a saved file), got "
                        f"{type(buf).__name__}")
    return _wrap(ndarray_file.read(buf), ctx)
