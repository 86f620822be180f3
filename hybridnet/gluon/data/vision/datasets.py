"""Vision datasets (MXNet 1.9.1 ``gluon.data.vision.datasets``) reading the standard files from ``root``.

MNIST / FashionMNIST read the IDX files (``train-images-idx3-ubyte.gz`` ... gzipped, or the same names
without ``.gz``); CIFAR10 reads ``data_batch_1.bin`` ... ``data_batch_5.bin`` / ``test_batch.bin`` and
CIFAR100 ``train.bin`` / ``test.bin`` (the binary versions), directly in ``root`` or in the folder the
official archive extracts to (``cifar-10-batches-bin``, ``cifar-100-binary``); an archive
(``cifar-10-binary.tar.gz``) placed in ``root`` is extracted. Files already present are used as they are,
with no network access and no checksum test. Missing files are downloaded with ``gluon.utils.download``
from MXNet's repository (``MXNET_GLUON_REPO``) when the network allows; otherwise
:class:`DatasetFileError` names the exact files to place and the folder to place them in.

The default ``root`` is ``$MXNET_HOME/datasets/<name>`` (``~/.mxnet/datasets/<name>``), as MXNet's, so
files MXNet downloaded before are found.
"""
import os
import struct
import warnings

import numpy as np

from .... import nd, recordio
from ....errors import FormatError, HybridNetError
from ... import utils as _gutils
from .. import dataset
from . import _image

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageRecordDataset", "ImageFolderDataset",
           "DatasetFileError"]


class DatasetFileError(HybridNetError, FileNotFoundError):
    """A dataset's files are missing and could not be downloaded."""


def _data_dir():
    return os.getenv("MXNET_HOME", os.path.join("~", ".mxnet"))


def _repo_file_url(namespace, filename):
    repo = os.environ.get("MXNET_GLUON_REPO", "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/")
    if not repo.endswith("/"):
        repo += "/"
    return f"{repo}{namespace}/{filename}"


def _fetch_missing(dataset_name, root, namespace, files, archive=None):
    """Download the missing ``files`` [(name, sha1)] (or the ``archive``) into ``root``; clear error offline."""
    targets = [archive] if archive else files
    try:
        for name, sha1 in targets:
            _gutils.download(_repo_file_url(namespace, name), path=os.path.join(root, name), sha1_hash=sha1,
                             retries=1)
    except (_gutils.DownloadError, OSError, UserWarning) as e:
        names = "\n".join(f"    {os.path.join(os.path.abspath(root), n)}" for n, _ in files)
        extra = (f"\n(or the archive {archive[0]} there, which is extracted)" if archive else "")
        raise DatasetFileError(
            f"{dataset_name}: the data files are not in {os.path.abspath(root)} and could not be downloaded "
            f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}). Place these files there:\n"
            f"{names}{extra}\nor pass root= the folder holding them.") from e


# ------------------------------------------------------------------------------------------------------
def _open_maybe_gz(path):
    import gzip
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def _read_idx(path, expect_magic, what):
    """Read an IDX file (big-endian header: magic, dims) into a uint8 array."""
    try:
        with _open_maybe_gz(path) as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise FormatError(f"{path}: cannot read the {what} file ({type(e).__name__}: {e}); it is corrupt or "
                          "truncated: delete it and place a fresh copy") from e
    ndim = expect_magic & 0xFF
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise FormatError(f"{path}: {len(raw)} bytes is too short for an IDX {what} file")
    magic = struct.unpack(">I", raw[:4])[0]
    if magic != expect_magic:
        raise FormatError(f"{path}: not an IDX {what} file (magic number {magic}, expected {expect_magic}); "
                          "is it the right file (images vs labels), and not an HTML error page?")
    dims = struct.unpack(">" + "I" * ndim, raw[4:head])
    n = int(np.prod(dims))
    if len(raw) - head != n:
        raise FormatError(f"{path}: the header says {dims} = {n} bytes of {what} but the file has "
                          f"{len(raw) - head}; the file is truncated or corrupt: replace it")
    return np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(dims)


def _find(root, name, subdirs=()):
    for d in ("",) + tuple(subdirs):
        for n in (name, name[:-3] if name.endswith(".gz") else name + ".gz"):
            p = os.path.join(root, d, n)
            if os.path.isfile(p):
                return p
    return None


class MNIST(dataset._DownloadedDataset):
    """MNIST handwritten digits: samples ``(image, label)``, image a uint8 NDArray (28, 28, 1), label int32.

    ``root`` holds ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz`` (``train=True``) or
    ``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz`` (with or without ``.gz``).
    ``transform(data, label)`` is applied to each sample.
    """

    _name = "MNIST"

    def __init__(self, root=os.path.join(_data_dir(), "datasets", "mnist"), train=True, transform=None):
        self._train = train
        self._train_data = ("train-images-idx3-ubyte.gz", "6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d")
        self._train_label = ("train-labels-idx1-ubyte.gz", "2a80914081dc54586dbdf242f9805a6b8d2a15fc")
        self._test_data = ("t10k-images-idx3-ubyte.gz", "c3a25af1f52dad7f726cce8cacb138654b760d48")
        self._test_label = ("t10k-labels-idx1-ubyte.gz", "763e7fa3757d93b0cdec073cef058b2004252c17")
        self._namespace = "mnist"
        super().__init__(root, transform)

    def _get_data(self):
        data, label = (self._train_data, self._train_label) if self._train else (self._test_data, self._test_label)
        paths = [_find(self._root, data[0]), _find(self._root, label[0])]
        if None in paths:
            missing = [f for f, p in zip((data, label), paths) if p is None]
            _fetch_missing(self._name, self._root, "gluon/dataset/" + self._namespace, missing)
            paths = [_find(self._root, data[0]), _find(self._root, label[0])]
        label_arr = _read_idx(paths[1], 2049, "label").astype(np.int32)
        images = _read_idx(paths[0], 2051, "image")
        if images.shape[0] != label_arr.shape[0]:
            raise FormatError(f"{self._name}: {paths[0]} has {images.shape[0]} images but {paths[1]} has "
                              f"{label_arr.shape[0]} labels; the files do not belong together")
        images = images.reshape(images.shape + (1,))
        self._data = nd.array(images, dtype=images.dtype)
        self._label = label_arr


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando), the same files and format as MNIST."""

    _name = "FashionMNIST"

    def __init__(self, root=os.path.join(_data_dir(), "datasets", "fashion-mnist"), train=True, transform=None):
        self._train = train
        self._train_data = ("train-images-idx3-ubyte.gz", "0cf37b0d40ed5169c6b3aba31069a9770ac9043d")
        self._train_label = ("train-labels-idx1-ubyte.gz", "236021d52f1e40852b06a4c3008d8de8aef1e40b")
        self._test_data = ("t10k-images-idx3-ubyte.gz", "626ed6a7c06dd17c0eec72fa3be1740f146a2863")
        self._test_label = ("t10k-labels-idx1-ubyte.gz", "17f9ab60e7257a1620f4ad76bbbaf857c3920701")
        self._namespace = "fashion-mnist"
        dataset._DownloadedDataset.__init__(self, root, transform)


class CIFAR10(dataset._DownloadedDataset):
    """CIFAR-10 (binary version): samples ``(image, label)``, image a uint8 NDArray (32, 32, 3), label int32."""

    _name = "CIFAR10"
    _subdirs = ("cifar-10-batches-bin",)
    _label_bytes = 1

    def __init__(self, root=os.path.join(_data_dir(), "datasets", "cifar10"), train=True, transform=None):
        self._train = train
        self._archive_file = ("cifar-10-binary.tar.gz", "fab780a1e191a7eda0f345501ccd62d20f7ed891")
        self._train_data = [("data_batch_1.bin", "aadd24acce27caa71bf4b10992e9e7b2d74c2540"),
                            ("data_batch_2.bin", "c0ba65cce70568cd57b4e03e9ac8d2a5367c1795"),
                            ("data_batch_3.bin", "1dd00a74ab1d17a6e7d73e185b69dbf31242f295"),
                            ("data_batch_4.bin", "aab85764eb3584312d3c7f65fd2fd016e36a258e"),
                            ("data_batch_5.bin", "26e2849e66a845b7f1e4614ae70f4889ae604628")]
        self._test_data = [("test_batch.bin", "67eb016db431130d61cd03c7ad570b013799c88c")]
        self._namespace = "cifar10"
        super().__init__(root, transform)

    def _label_column(self):
        return 0

    def _read_batch(self, filename):
        rec = 3072 + self._label_bytes
        with open(filename, "rb") as fin:
            raw = fin.read()
        if len(raw) == 0 or len(raw) % rec:
            raise FormatError(f"{self._name}: {filename} has {len(raw)} bytes, not a positive multiple of the "
                              f"{rec}-byte record ({self._label_bytes} label byte(s) + 3x32x32 pixels); it is "
                              "truncated or not a CIFAR binary batch: replace it")
        data = np.frombuffer(raw, dtype=np.uint8).reshape(-1, rec)
        return (data[:, self._label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1),
                data[:, self._label_column()].astype(np.int32))

    def _locate(self, files):
        return [_find(self._root, name, self._subdirs) for name, _ in files]

    def _get_data(self):
        files = self._train_data if self._train else self._test_data
        paths = self._locate(files)
        if None in paths:
            archive = os.path.join(self._root, self._archive_file[0])
            if not os.path.isfile(archive):
                _fetch_missing(self._name, self._root, "gluon/dataset/" + self._namespace,
                               [f for f, p in zip(files, paths) if p is None], archive=self._archive_file)
            import tarfile
            try:
                with tarfile.open(archive) as tar:
                    try:
                        tar.extractall(self._root, filter="data")
                    except TypeError:                      # Python without extraction filters
                        tar.extractall(self._root)
            except (tarfile.TarError, OSError, EOFError) as e:
                raise FormatError(f"{self._name}: cannot extract {archive} ({type(e).__name__}: {e}); the archive "
                                  "is corrupt: delete it and place a fresh copy") from e
            paths = self._locate(files)
            if None in paths:
                missing = [n for (n, _), p in zip(files, paths) if p is None]
                raise DatasetFileError(f"{self._name}: {archive} did not contain {missing}; is it the binary "
                                       "version of the dataset?")
        data, label = zip(*(self._read_batch(p) for p in paths))
        data = np.concatenate(data)
        label = np.concatenate(label)
        self._data = nd.array(data, dtype=data.dtype)
        self._label = label


class CIFAR100(CIFAR10):
    """CIFAR-100 (binary version); ``fine_label=True`` gives the 100 classes, else the 20 super-classes."""

    _name = "CIFAR100"
    _subdirs = ("cifar-100-binary",)
    _label_bytes = 2

    def __init__(self, root=os.path.join(_data_dir(), "datasets", "cifar100"), fine_label=False, train=True,
                 transform=None):
        self._train = train
        self._archive_file = ("cifar-100-binary.tar.gz", "a0bb982c76b83111308126cc779a992fa506b90b")
        self._train_data = [("train.bin", "e207cd2e05b73b1393c74c7f5e7bea451d63e08e")]
        self._test_data = [("test.bin", "8fb6623e830365ff53cf14adec797474f5478006")]
        self._fine_label = fine_label
        self._namespace = "cifar100"
        dataset._DownloadedDataset.__init__(self, root, transform)

    def _label_column(self):
        return 0 + self._fine_label


class ImageRecordDataset(dataset.RecordFileDataset):
    """Images packed in a RecordIO file (``im2rec``): samples ``(image NDArray HxWxC uint8, label)``.

    ``flag``: 1 = RGB, 0 = greyscale (HxWx1). Decoding uses Pillow."""

    def __init__(self, filename, flag=1, transform=None):
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx):
        record = super().__getitem__(idx)
        header, img = recordio.unpack(record)
        img = nd.array(_image.imdecode_np(img, self._flag, name=f"record {idx} of {self.filename}"),
                       dtype=np.uint8)
        if self._transform is not None:
            return self._transform(img, header.label)
        return img, header.label


class ImageFolderDataset(dataset.Dataset):
    """Images in ``root/<class name>/<file>`` (.jpg, .jpeg, .png): samples ``(image NDArray, label int)``.

    ``synsets`` lists the class names (folder names, sorted: label ``i`` is ``synsets[i]``); ``items`` the
    ``(path, label)`` pairs. ``flag``: 1 = RGB (HxWx3), 0 = greyscale (HxWx1). Decoding uses Pillow.
    """

    def __init__(self, root, flag=1, transform=None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._exts = [".jpg", ".jpeg", ".png"]
        if not os.path.isdir(self._root):
            raise DatasetFileError(f"ImageFolderDataset: {os.path.abspath(self._root)} is not a directory; it "
                                   "should hold one folder per class with the images inside "
                                   "(root/<class>/<image>.jpg)")
        self._list_images(self._root)

    def _list_images(self, root):
        self.synsets = []
        self.items = []
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn("Ignoring %s, which is not a directory." % path, stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn("Ignoring %s of type %s. Only support %s" % (filename, ext, ", ".join(self._exts)))
                    continue
                self.items.append((filename, label))

    def __getitem__(self, idx):
        img = _image.imread(self.items[idx][0], self._flag)
        label = self.items[idx][1]
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self):
        return len(self.items)
