"""``mx.recordio``: MXNet's RecordIO files (``.rec`` + ``.idx``), read and written in pure Python.

The byte layout is dmlc-core's ``RecordIOWriter`` as used by MXNet 1.9.1, so files round-trip with MXNet
(tests/golden/data holds a file MXNet wrote). Each record on disk is::

    uint32 magic 0xced7230a | uint32 lrec = cflag << 29 | length | data | zero padding to 4 bytes

A payload containing the magic word at a 4-byte aligned offset is split there into parts
(cflag 1 = first, 2 = middle, 3 = last; 0 = a whole record); the magic word itself is not stored and a
reader puts it back between the parts. The ``.idx`` file is text, ``key<TAB>byte offset`` per line.

``pack``/``unpack`` add/strip the 24-byte ``IRHeader`` (``struct 'IfQQ'``: flag, label, id, id2); an array
label is stored as ``flag`` float32 values after the header. ``pack_img``/``unpack_img`` encode/decode the
image with Pillow (``pip install hybridnet[image]``) where MXNet used OpenCV; images are RGB here, where
OpenCV's arrays are BGR.
"""
import numbers
import os
import struct
from collections import namedtuple
from multiprocessing import current_process

import numpy as np

from .errors import FormatError

__all__ = ["MXRecordIO", "MXIndexedRecordIO", "IRHeader", "pack", "unpack", "pack_img", "unpack_img"]

_MAGIC = 0xced7230a
_MAGIC_BYTES = struct.pack("<I", _MAGIC)
_LEN_MASK = (1 << 29) - 1


def _encode_lrec(cflag, length):
    return (cflag << 29) | length


class MXRecordIO:
    """Sequential RecordIO reader/writer (MXNet 1.9.1 API).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tmp.rec")
    >>> w = MXRecordIO(path, "w"); w.write(b"record_0"); w.write(b"record_1"); w.close()
    >>> r = MXRecordIO(path, "r"); r.read(), r.read(), r.read()
    (b'record_0', b'record_1', None)
    """

    def __init__(self, uri, flag):
        self.uri = os.fspath(uri)
        self.flag = flag
        self.pid = None
        self.is_open = False
        self._f = None
        self.open()

    def open(self):
        """Open the file: ``'w'`` truncates it, ``'r'`` reads from the start."""
        if self.flag == "w":
            self._f = open(self.uri, "wb")
            self.writable = True
        elif self.flag == "r":
            try:
                self._f = open(self.uri, "rb")
            except FileNotFoundError as e:
                raise FileNotFoundError(f"RecordIO file {os.path.abspath(self.uri)} does not exist") from e
            self.writable = False
        else:
            raise ValueError("Invalid flag %s" % self.flag)
        self.pid = current_process().pid
        self.is_open = True

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __getstate__(self):
        is_open = self.is_open
        self.close()
        d = dict(self.__dict__)
        d["is_open"] = is_open
        d["_f"] = None
        return d

    def __setstate__(self, d):
        self.__dict__ = d
        is_open = d["is_open"]
        self.is_open = False
        if is_open:
            self.open()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_pid(self, allow_reset=False):
        if self.pid != current_process().pid:
            if allow_reset:
                self.reset()
            else:
                raise RuntimeError("Forbidden operation in multiple processes")

    def close(self):
        """Close the file (flushes a writer)."""
        if not self.is_open:
            return
        self._f.close()
        self._f = None
        self.is_open = False
        self.pid = None

    def reset(self):
        """Go back to the first record (a writer truncates the file)."""
        self.close()
        self.open()

    def write(self, buf):
        """Append one record (``bytes``)."""
        assert self.writable
        self._check_pid(allow_reset=False)
        buf = bytes(buf)
        n = len(buf)
        if n >= 1 << 29:
            raise ValueError(f"RecordIO only accepts records of less than 2^29 bytes, got {n}")
        f = self._f
        dptr = 0
        # split at every 4-byte aligned occurrence of the magic word (dmlc-core's rule)
        pos = buf.find(_MAGIC_BYTES)
        while 0 <= pos <= n - 4:
            if pos % 4 == 0:
                f.write(struct.pack("<II", _MAGIC, _encode_lrec(1 if dptr == 0 else 2, pos - dptr)))
                f.write(buf[dptr:pos])
                dptr = pos + 4
                pos = buf.find(_MAGIC_BYTES, dptr)
            else:
                pos = buf.find(_MAGIC_BYTES, pos + 1)
        f.write(struct.pack("<II", _MAGIC, _encode_lrec(3 if dptr != 0 else 0, n - dptr)))
        f.write(buf[dptr:])
        pad = (-n) % 4
        if pad:
            f.write(b"\0" * pad)

    def read(self):
        """The next record as ``bytes``, or ``None`` at the end of the file."""
        assert not self.writable
        self._check_pid(allow_reset=False)
        f = self._f
        parts = []
        while True:
            head = f.read(8)
            if not head:
                if parts:
                    raise FormatError(f"{self.uri}: invalid RecordIO file (a split record is cut short)")
                return None
            if len(head) != 8:
                raise FormatError(f"{self.uri}: invalid RecordIO file (truncated record header at byte "
                                  f"{f.tell() - len(head)})")
            magic, lrec = struct.unpack("<II", head)
            if magic != _MAGIC:
                raise FormatError(f"{self.uri}: invalid RecordIO file (no magic number 0xced7230a at byte "
                                  f"{f.tell() - 8}; is the .idx offset right and the file a MXNet .rec?)")
            cflag, length = lrec >> 29, lrec & _LEN_MASK
            data = f.read((length + 3) & ~3)
            if len(data) < length:
                raise FormatError(f"{self.uri}: invalid RecordIO file (record of {length} bytes cut short)")
            parts.append(data[:length])
            if cflag in (0, 3):
                break
            parts.append(_MAGIC_BYTES)
        return b"".join(parts)


class MXIndexedRecordIO(MXRecordIO):
    """RecordIO with random access through an ``.idx`` file (MXNet 1.9.1 API).

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> w = MXIndexedRecordIO(os.path.join(d, "t.idx"), os.path.join(d, "t.rec"), "w")
    >>> for i in range(3): w.write_idx(i, b"record_%d" % i)
    >>> w.close()
    >>> r = MXIndexedRecordIO(os.path.join(d, "t.idx"), os.path.join(d, "t.rec"), "r")
    >>> r.keys, r.read_idx(1)
    ([0, 1, 2], b'record_1')
    """

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = os.fspath(idx_path)
        self.idx = {}
        self.keys = []
        self.key_type = key_type
        self.fidx = None
        super().__init__(uri, flag)

    def open(self):
        super().open()
        self.idx = {}
        self.keys = []
        if not self.writable:
            try:
                self.fidx = open(self.idx_path, "r")
            except FileNotFoundError as e:
                self.close()
                raise FileNotFoundError(
                    f"RecordIO index file {os.path.abspath(self.idx_path)} does not exist (it lists "
                    f"'key<TAB>offset' per record of {os.path.abspath(self.uri)}; MXNet's im2rec.py or "
                    "MXIndexedRecordIO(..., 'w') writes it)") from e
            for lineno, line in enumerate(iter(self.fidx.readline, ""), 1):
                fields = line.strip().split("\t")
                if fields == [""]:
                    continue
                try:
                    key = self.key_type(fields[0])
                    self.idx[key] = int(fields[1])
                except (ValueError, IndexError) as e:
                    raise FormatError(f"{self.idx_path}:{lineno}: expected 'key<TAB>offset', got {line!r}") from e
                self.keys.append(key)
        else:
            self.fidx = open(self.idx_path, "w")

    def close(self):
        if not self.is_open:
            return
        super().close()
        if self.fidx is not None:
            self.fidx.close()

    def __getstate__(self):
        d = super().__getstate__()
        d["fidx"] = None
        return d

    def seek(self, idx):
        """Move the read pointer to the record with key ``idx``."""
        assert not self.writable
        self._check_pid(allow_reset=True)
        self._f.seek(self.idx[idx])

    def tell(self):
        """The byte offset where the next record will be written."""
        assert self.writable
        return self._f.tell()

    def read_idx(self, idx):
        """The record with key ``idx``."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx, buf):
        """Append a record under key ``idx``."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write("%s\t%d\n" % (str(key), pos))
        self.idx[key] = pos
        self.keys.append(key)


IRHeader = namedtuple("HEADER", ["flag", "label", "id", "id2"])
"""Header of an image record: ``flag`` (label count for array labels), ``label`` (a number or an array of
floats), ``id`` and ``id2`` (the record id's low and high 64 bits)."""

_IR_FORMAT = "IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header, s):
    """Prefix ``s`` with the ``IRHeader`` (an array label is stored as float32 after the header).

    >>> unpack(pack(IRHeader(0, 4.0, 2574, 0), b"raw"))
    (HEADER(flag=0, label=4.0, id=2574, id2=0), b'raw')
    """
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + s
    return struct.pack(_IR_FORMAT, *header) + s


def unpack(s):
    """Split a record into ``(IRHeader, payload)``; an array label comes back as a float32 array."""
    if len(s) < _IR_SIZE:
        raise FormatError(f"record of {len(s)} bytes is shorter than the {_IR_SIZE}-byte IRHeader")
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag))
        s = s[header.flag * 4:]
    return header, s


def _pil():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - Pillow is in the test extra
        raise ImportError("image encoding/decoding needs Pillow: pip install 'hybridnet[image]' "
                          "(or pip install pillow)") from e
    return Image


def unpack_img(s, iscolor=-1):
    """``(IRHeader, image)``: the payload decoded with Pillow into an HxWxC (or HxW grey) uint8 array.

    ``iscolor``: 1 = 3-channel RGB, 0 = greyscale HxW, -1 = as stored. (OpenCV, which MXNet used,
    returns BGR; Pillow returns RGB.)"""
    header, s = unpack(s)
    return header, decode_image(s, iscolor)


def decode_image(buf, iscolor=-1):
    """Decode encoded image bytes (JPEG, PNG, ...) with Pillow into a uint8 NumPy array."""
    import io
    Image = _pil()
    try:
        img = Image.open(io.BytesIO(bytes(buf)))
        img.load()
    except Exception as e:  # noqa: BLE001 - Pillow raises several types
        raise FormatError(f"cannot decode image ({len(buf)} bytes): {type(e).__name__}: {e}") from e
    if iscolor == 1:
        img = img.convert("RGB")
    elif iscolor == 0:
        img = img.convert("L")
    elif img.mode not in ("L", "RGB", "RGBA"):
        img = img.convert("RGB")
    return np.asarray(img)


def pack_img(header, img, quality=95, img_fmt=".jpg"):
    """Encode ``img`` (HxW or HxWx3 uint8, RGB) with Pillow and :func:`pack` it.

    ``quality``: JPEG quality 1-100, or PNG compression level 0-9 (larger values mean 9)."""
    import io
    Image = _pil()
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise TypeError(f"pack_img needs a uint8 image, got {img.dtype}")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    fmt = img_fmt.upper().lstrip(".")
    buf = io.BytesIO()
    pil = Image.fromarray(img)
    if fmt in ("JPG", "JPEG"):
        pil.save(buf, format="JPEG", quality=quality)
    elif fmt == "PNG":
        pil.save(buf, format="PNG", compress_level=min(max(int(quality), 0), 9))   # clamped
    else:
        pil.save(buf, format=fmt)
    return pack(header, buf.getvalue())
