"""Gluon utilities (MXNet 1.9.1 ``mxnet.gluon.utils``): data-parallel splitting, global-norm gradient
clipping, file download with SHA-1 check, atomic file replacement.

>>> import hybridnet as mx
>>> from hybridnet.gluon.utils import split_and_load
>>> [x.shape for x in split_and_load(mx.nd.ones((5, 2)), [mx.cpu(0), mx.cpu(1)], even_split=False)]
[(3, 2), (2, 2)]

``download`` uses only the standard library (``urllib``); with no network it fails with an error naming the
URL and the local path where a copy of the file can be placed by hand.
"""
import hashlib
import os
import ssl
import uuid
import warnings

import numpy as np

from ..device import Device
from ..errors import HybridNetError, ShapeError

__all__ = ["split_data", "split_and_load", "clip_global_norm", "check_sha1", "download", "replace_file",
           "shape_is_known", "DownloadError"]

_DOWNLOAD_TIMEOUT_S = 60


class DownloadError(HybridNetError, OSError):
    """A file could not be downloaded (no network, HTTP error, hash mismatch after download)."""


def _nd():
    from .. import nd
    return nd


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Split an NDArray into ``num_slice`` slices along ``batch_axis`` (data parallelism: one slice per
    device). Returns a list even when ``num_slice`` is 1.

    With ``even_split=True`` the size along ``batch_axis`` must be a multiple of ``num_slice``; with
    ``even_split=False`` the first ``size % num_slice`` slices get one extra element (5 into 2 gives 3 and
    2). Slices along axis 0 are views of ``data`` (as in MXNet); other axes are copies.

    >>> import hybridnet as mx
    >>> [s.shape for s in split_data(mx.nd.ones((4, 6)), 3, batch_axis=1)]
    [(4, 2), (4, 2), (4, 2)]
    """
    nd = _nd()
    if not isinstance(num_slice, (int, np.integer)) or isinstance(num_slice, bool) or num_slice < 1:
        raise ShapeError(f"split_data: num_slice must be a positive int, got {num_slice!r}; "
                         "pass the number of devices, e.g. len(ctx_list)")
    shape = tuple(data.shape)
    ndim = len(shape)
    if not isinstance(batch_axis, (int, np.integer)) or not -ndim <= batch_axis < ndim:
        raise ShapeError(f"split_data: batch_axis {batch_axis!r} is out of range for data with shape "
                         f"{shape}; use an axis in [{-ndim}, {ndim - 1}]")
    axis = int(batch_axis) % ndim
    size = shape[axis]
    if even_split and size % num_slice != 0:
        raise ShapeError(
            "data with shape %s cannot be evenly split into %d slices along axis %d. "
            "Use a batch size that's multiple of %d or set even_split=False to allow "
            "uneven partitioning of data." % (str(shape), num_slice, batch_axis, num_slice))
    n_each, extras = divmod(size, num_slice)
    sizes = [0] + extras * [n_each + 1] + (num_slice - extras) * [n_each]
    points = np.cumsum(sizes).tolist()
    if axis != 0:
        return [nd.slice_axis(data, axis=axis, begin=points[i], end=points[i + 1]) for i in range(num_slice)]
    # the last slice runs to `size` (MXNet issue #19268)
    return [data[points[i]:points[i + 1]] if i < num_slice - 1 else data[points[i]:size]
            for i in range(num_slice)]


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Split ``data`` into ``len(ctx_list)`` slices along ``batch_axis`` and copy slice ``i`` to
    ``ctx_list[i]``. ``data`` may be an NDArray or anything ``nd.array`` accepts (a NumPy array, a list);
    those become float32 arrays on ``ctx_list[0]`` first, as in MXNet.

    >>> import hybridnet as mx
    >>> [x.context for x in split_and_load(mx.nd.ones((4, 2)), [mx.cpu(0), mx.cpu(1)])]
    [cpu(0), cpu(1)]
    """
    nd = _nd()
    if isinstance(ctx_list, Device):
        ctx_list = [ctx_list]
    ctx_list = list(ctx_list)
    if not ctx_list:
        raise ShapeError("split_and_load: ctx_list is empty; pass a list of devices, e.g. [mx.cpu()] or "
                         "[mx.gpu(i) for i in range(mx.num_gpus())]")
    if not isinstance(data, nd.NDArray):
        data = nd.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [s.as_in_context(ctx) for s, ctx in zip(slices, ctx_list)]


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Rescale ``arrays`` in place so that the 2-norm of all of them together is at most ``max_norm``.

    Returns the total norm before clipping: a NumPy float32 scalar when ``check_isfinite`` (which also warns
    ``nan or inf is detected. Clipping results will be undefined.`` when it is not finite), else an NDArray
    of shape ``(1,)`` on ``arrays[0]``'s device (no host synchronisation).

    >>> import hybridnet as mx
    >>> a, b = mx.nd.array([3., 3.]), mx.nd.array([4., 4.])
    >>> round(float(clip_global_norm([a, b], 1.0)), 4)
    7.0711
    >>> [round(v, 4) for v in a.asnumpy().tolist()]
    [0.4243, 0.4243]
    """
    nd = _nd()
    arrays = list(arrays)
    if not arrays:
        raise ShapeError("clip_global_norm: got no arrays; pass the gradients, e.g. "
                         "[p.grad() for p in net.collect_params().values() if p.grad_req != 'null']")
    for i, arr in enumerate(arrays):
        if not isinstance(arr, nd.NDArray):
            raise TypeError(f"clip_global_norm: arrays[{i}] is a {type(arr).__name__}, not an NDArray; "
                            "pass NDArrays (they are rescaled in place)")
    ctx = arrays[0].context
    total = None
    for arr in arrays:
        x = arr.reshape((-1,))
        sq = nd.dot(x, x).as_in_context(ctx)
        total = sq if total is None else total + sq
    total_norm = nd.sqrt(total)
    if check_isfinite and not np.isfinite(total_norm.asscalar()):
        warnings.warn(UserWarning("nan or inf is detected. Clipping results will be undefined."), stacklevel=2)
    scale = max_norm / (total_norm + 1e-8)
    scale = nd.minimum(scale, 1.0)
    for arr in arrays:
        arr *= scale.as_in_context(arr.context)
    if check_isfinite:
        return total_norm.asscalar()
    return total_norm


def check_sha1(filename, sha1_hash):
    """Whether the SHA-1 of the file's content equals ``sha1_hash`` (hexadecimal digits)."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                break
            sha1.update(block)
    return sha1.hexdigest() == sha1_hash


def replace_file(src, dst):
    """Atomically move ``src`` to ``dst`` (replacing ``dst``; both on one file system). On failure ``src``
    is removed and ``OSError`` is raised."""
    try:
        os.replace(src, dst)
    except OSError as e:
        try:
            os.remove(src)
        except OSError:
            pass
        raise OSError(f"Moving downloaded temp file - {src}, to {dst} failed ({e}). "
                      "Please retry the download.") from e


def _fetch(url, tmp, verify_ssl):
    """Stream ``url`` into the file ``tmp``."""
    import urllib.request

    context = None
    if url.lower().startswith("https:") and not verify_ssl:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    req = urllib.request.Request(url, headers={"User-Agent": "hybridnet"})
    with urllib.request.urlopen(req, timeout=_DOWNLOAD_TIMEOUT_S, context=context) as r:
        status = getattr(r, "status", None)
        if status is not None and status != 200:
            raise DownloadError(f"Failed downloading url {url}: HTTP status {status}")
        with open(tmp, "wb") as f:
            while True:
                chunk = r.read(1 << 16)
                if not chunk:
                    break
                f.write(chunk)


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5, verify_ssl=True):
    """Download ``url`` to ``path`` and return the file's path (MXNet 1.9.1 ``gluon.utils.download``).

    ``path`` defaults to the URL's last component in the current directory; a directory ``path`` gets that
    name inside it. An existing file is kept (no network access) unless ``overwrite`` or its SHA-1 differs
    from ``sha1_hash``. The data goes to a temporary file first and is renamed into place atomically.
    ``retries`` failed attempts in all are allowed (as MXNet). Only the standard library is used.

    Without network access this raises :class:`DownloadError` naming the URL and the absolute path where a
    copy of the file can be placed by hand; ``download`` then uses it.
    """
    if path is None:
        fname = url.split("/")[-1]
        if not fname:
            raise ValueError(f"Can't construct file-name from this URL ({url!r}). "
                             "Please set the `path` option manually.")
    else:
        path = os.path.expanduser(path)
        fname = os.path.join(path, url.split("/")[-1]) if os.path.isdir(path) else path
    if not isinstance(retries, (int, np.integer)) or retries < 0:
        raise ValueError(f"Number of retries should be at least 0, currently it's {retries}")
    if not verify_ssl:
        warnings.warn("Unverified HTTPS request is being made (verify_ssl=False). "
                      "Adding certificate verification is strongly advised.", stacklevel=2)

    if not (overwrite or not os.path.exists(fname) or (sha1_hash and not check_sha1(fname, sha1_hash))):
        return fname
    dirname = os.path.dirname(os.path.abspath(fname))
    os.makedirs(dirname, exist_ok=True)
    while retries + 1 > 0:
        tmp = f"{fname}.{uuid.uuid4()}"
        try:
            print(f"Downloading {fname} from {url}...")
            _fetch(url, tmp, verify_ssl)
            if not os.path.exists(fname) or overwrite or (sha1_hash and not check_sha1(fname, sha1_hash)):
                replace_file(tmp, fname)
            else:
                # another process put a good copy there meanwhile
                os.remove(tmp)
                warnings.warn(f"File {fname} exists in file system so the downloaded file is deleted",
                              stacklevel=2)
            if sha1_hash and not check_sha1(fname, sha1_hash):
                raise UserWarning(
                    f"File {fname} is downloaded but the content hash does not match."
                    " The repo may be outdated or download may be incomplete. "
                    'If the "repo_url" is overridden, consider switching to the default repo.')
            break
        except Exception as e:  # noqa: BLE001 - retried, then re-raised with the URL and path
            if os.path.exists(tmp):
                try:
                    os.remove(tmp)
                except OSError:
                    pass
            retries -= 1
            if retries <= 0:
                if isinstance(e, (UserWarning, DownloadError)):
                    raise
                raise DownloadError(_offline_message(url, fname, sha1_hash, e)) from e
            print("download failed due to {}, retrying, {} attempt{} left"
                  .format(repr(e), retries, "s" if retries > 1 else ""))
    return fname


def _offline_message(url, fname, sha1_hash, exc):
    text = (f"could not download {url} to {os.path.abspath(fname)}: {type(exc).__name__}: {exc}. "
            f"If this machine has no network access, download the file elsewhere and place it at "
            f"{os.path.abspath(fname)}")
    if sha1_hash:
        text += f" (expected SHA-1 {sha1_hash})"
    return text + "; download() then uses that file without network access."


def shape_is_known(shape):
    """Whether ``shape`` is fully known: not None and no unknown dim (``0`` in the 1.x convention, ``-1``
    in 2.0; both count as unknown here). ``()`` is a known scalar shape.

    >>> shape_is_known((3, 0)), shape_is_known((3, 4)), shape_is_known(None)
    (False, True, False)
    """
    if shape is None:
        return False
    for d in shape:
        if d is None or d in (0, -1):
            return False
        if d < -1:
            raise ShapeError(f"shape {tuple(shape)} has the dimension size {d}; sizes must be positive "
                             "(0 or -1 mark an unknown dim)")
    return True
