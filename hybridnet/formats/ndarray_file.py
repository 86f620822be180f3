"""MXNet's NDArray list file (``nd.save`` / ``nd.load``, Gluon ``.params``): reader and writer.

Byte layout (all little-endian; ``src/ndarray/ndarray.cc`` ``NDArray::Save``/``Load`` and
``src/c_api/c_api.cc`` ``MXNDArraySave`` in apache/mxnet)::

    file    := u64 0x112 | u64 0 (reserved)
               | u64 N | NDArray[N]
               | u64 K | { u64 len | len bytes UTF-8 }[K]      (K = 0 for a list save, else K == N)
    NDArray := u32 magic (0xF993FAC9 = V2, legacy nd; 0xF993FACA = V3, np-shape semantics)
               | i32 stype (0 dense, 1 row_sparse, 2 csr)
               | [sparse: TShape storage_shape]
               | TShape shape                   (i32 ndim, ndim x i64; V2: ndim 0 = "none" array,
                                                 V3: ndim 0 = a 0-d array, ndim -1 = "none")
               | [shape is none: the record ends here]
               | i32 dev_type | i32 dev_id | i32 type_flag
               | [sparse: per aux array: i32 aux_type | TShape aux_shape]
               | data (C order) | [sparse: aux data]
    V1 (magic 0xF993FAC8): V2 without the stype field.
    pre-V1 (no magic):     u32 ndim | ndim x u32 dims | dev_type | dev_id | type_flag | data.

What hybridnet does:

* **Reading** accepts pre-V1, V1, V2 and V3 records (mixed in one file too). Sparse records
  (row_sparse, csr) are densified. ``bfloat16`` (type flag 12) has no NumPy dtype, so it is widened
  exactly to ``float32``. A "none" record (an uninitialised MXNet NDArray) reads as ``None``.
  The saved device is reported in :class:`ArrayInfo` but never used: the caller places the arrays
  (a GPU-saved file loads fine on a machine without a GPU).
* **Writing** produces dense V2 records (what legacy ``nd.save`` writes) or V3 (``version=3``, what
  ``npx.save`` writes under ``npx.set_np()``), always with device ``cpu(0)`` -- the arrays are on the
  host by the time they are written, as Gluon's ``save_parameters`` arranges too. Writes to a path
  are atomic: a temporary file in the same directory, ``fsync``, then ``os.replace``; a failure
  midway leaves any existing file untouched.
* Nothing here unpickles. Malformed input raises :class:`hybridnet.errors.FormatError` naming the
  file, the byte offset and what was expected there.

>>> import io, numpy as np
>>> buf = io.BytesIO()
>>> write(buf, [np.array([1.5, 2.5], dtype=np.float32)], ["a"])
>>> len(buf.getvalue())
81
>>> arrays, names = read(buf.getvalue())
>>> names, arrays[0].tolist()
(['a'], [1.5, 2.5])
"""
import io
import os
import stat
import struct
import sys
import tempfile
from collections import namedtuple

import numpy as np

from .. import dtypes
from ..errors import DTypeError, FormatError, ShapeError

__all__ = ["read", "read_file", "write", "dumps", "ArrayInfo", "Contents", "LIST_MAGIC", "V1_MAGIC",
           "V2_MAGIC", "V3_MAGIC", "BFLOAT16_FLAG"]

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA
BFLOAT16_FLAG = 12

STYPE_NAMES = {0: "default", 1: "row_sparse", 2: "csr"}
_NUM_AUX = {0: 0, 1: 1, 2: 2}
DEV_TYPES = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
_MAX_NDIM = 64               # MXNet has no hard cap; anything above this is a corrupt header
_MAX_UNSIZED = 1 << 38      # from a stream of unknown size, refuse a record over 256 GiB (corrupt dims)
_MAX_NAME = 1 << 20          # a parameter name longer than 1 MiB is a corrupt length field
_LE = sys.byteorder == "little"

ArrayInfo = namedtuple("ArrayInfo", "version stype dev_type dev_id type_flag offset")
ArrayInfo.__doc__ = """How one record was stored: ``version`` (0 = pre-V1, 1, 2, 3), ``stype``
('default', 'row_sparse', 'csr'), the saved ``dev_type``/``dev_id`` (MXNet codes: 1 cpu, 2 gpu, ...;
None for a "none" record), the MXNet ``type_flag`` and the byte ``offset`` of the record."""


class Contents(tuple):
    """``(arrays, names)`` with an extra ``.info``: a list of :class:`ArrayInfo`, one per array.

    ``arrays`` are host NumPy arrays (C-contiguous, writable, native byte order, ``None`` for an
    uninitialised record); ``names`` is a list of str, empty for a list save.
    """

    def __new__(cls, arrays, names, info):
        self = super().__new__(cls, (arrays, names))
        self.info = info
        return self

    arrays = property(lambda self: self[0])
    names = property(lambda self: self[1])


# ------------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------------

class _Reader:
    """Sequential reader over a binary stream that knows its position and, when it can, the size."""

    def __init__(self, f, label, size=None):
        self.f = f
        self.label = label
        self.pos = 0
        self.size = size

    def fail(self, msg, offset=None):
        off = self.pos if offset is None else offset
        return FormatError(f"{self.label}: {msg} (at byte {off}). The file is damaged or is not an "
                           "MXNet NDArray file (nd.save / .params); re-create it with nd.save or "
                           "save_parameters, or re-download it.")

    def _truncated(self, need, got, what):
        end = self.pos + got
        return FormatError(
            f"{self.label} is truncated: expected {need} bytes of {what} at byte {self.pos}, but the "
            f"file ends at byte {end}. The file was cut short (an interrupted save, copy or "
            "download); re-create or re-download it.")

    def remaining(self):
        return None if self.size is None else self.size - self.pos

    def check_available(self, need, what):
        """Fail before allocating ``need`` bytes that the (sized) stream cannot hold."""
        rem = self.remaining()
        if rem is not None and need > rem:
            raise self._truncated(need, rem, what)

    def read(self, n, what):
        if n == 0:
            return b""
        self.check_available(n, what)
        data = self.f.read(n)
        if data is None:
            data = b""
        while len(data) < n:            # raw / non-blocking streams may return short reads
            more = self.f.read(n - len(data))
            if not more:
                break
            data += more
        if len(data) < n:
            raise self._truncated(n, len(data), what)
        self.pos += n
        return data

    def readinto(self, arr, what):
        """Fill ``arr`` (a C-contiguous NumPy array) from the stream."""
        n = arr.nbytes
        if n == 0:
            return
        self.check_available(n, what)
        mv = memoryview(arr.reshape(-1).view(np.uint8))
        got = 0
        readinto = getattr(self.f, "readinto", None)
        while got < n:
            if readinto is not None:
                k = readinto(mv[got:])
            else:
                chunk = self.f.read(n - got)
                k = len(chunk) if chunk else 0
                mv[got:got + k] = chunk if k else b""
            if not k:
                break
            got += k
        if got < n:
            raise self._truncated(n, got, what)
        self.pos += n

    def unpack(self, fmt, what):
        s = struct.Struct("<" + fmt)
        return s.unpack(self.read(s.size, what))

    def u32(self, what):
        return self.unpack("I", what)[0]

    def i32(self, what):
        return self.unpack("i", what)[0]

    def u64(self, what):
        return self.unpack("Q", what)[0]


def _foreign_hint(head):
    """Name the format of a file that is not an NDArray list file, from its first bytes."""
    if not head:
        return "; the file is empty"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "; it is a ZIP archive (a NumPy .npz, or a PyTorch .pt/.pth file)"
    if head.startswith(b"\x93NUMPY"):
        return "; it is a NumPy .npy file (load it with numpy.load)"
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        return ("; it is a Python pickle, which hybridnet never unpickles (a pickle can run "
                "arbitrary code); convert it with the program that wrote it")
    if head.startswith(b"\x89HDF"):
        return "; it is an HDF5 file (e.g. Keras .h5)"
    if head.lstrip()[:1] in (b"{", b"["):
        return "; it looks like JSON text (an MXNet -symbol.json goes to sym.load / SymbolBlock.imports)"
    if head.startswith(b"\x00\x00\x00\x00\x00\x00\x01\x12"):
        return "; it looks like a big-endian NDArray file, which MXNet never writes"
    return ""


def _label(source):
    if isinstance(source, (str, os.PathLike)):
        return repr(os.fspath(source))
    name = getattr(source, "name", None)
    if isinstance(name, (str, bytes)) and name:
        return repr(os.fsdecode(name))
    return "<buffer>" if isinstance(source, (bytes, bytearray, memoryview)) else "<stream>"


def _read_dims(r, ndim, dim_fmt, where):
    if ndim == 0:
        return ()
    s = struct.Struct(f"<{ndim}{dim_fmt}")
    start = r.pos
    dims = s.unpack(r.read(s.size, f"the {ndim} dimensions of {where}"))
    if any(d < 0 for d in dims):
        raise r.fail(f"{where} has a negative dimension {dims}; expected sizes >= 0", start)
    return tuple(int(d) for d in dims)


def _read_tshape(r, where, version):
    """An MXNet TShape: i32 ndim then int64 dims. Returns a tuple, or None for "none"."""
    start = r.pos
    ndim = r.i32(f"the ndim of {where}")
    if ndim == -1 or (ndim == 0 and version < 3):
        return None
    if ndim < 0 or ndim > _MAX_NDIM:
        raise r.fail(f"{where} has ndim {ndim}; expected 0..{_MAX_NDIM} (a corrupt header)", start)
    return _read_dims(r, ndim, "q", where)


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _dtype_for(r, flag, where, offset):
    if flag == BFLOAT16_FLAG:
        return np.dtype("<u2")
    dt = dtypes.FLAG_TO_DTYPE.get(flag)
    if dt is None:
        known = ", ".join(f"{k} ({v})" for k, v in sorted(dtypes.FLAG_TO_DTYPE.items()))
        raise r.fail(f"{where} has unknown dtype flag {flag}; expected one of {known}, "
                     f"{BFLOAT16_FLAG} (bfloat16)", offset)
    return dt.newbyteorder("<")


def _read_data(r, shape, dt, flag, where):
    nbytes = _numel(shape) * dt.itemsize
    what = f"data of {where} ({_flag_name(flag)}, shape {shape})"
    r.check_available(nbytes, what)
    if r.size is None and nbytes > _MAX_UNSIZED:
        raise r.fail(f"{what} would take {nbytes} bytes; expected a plausible array size")
    arr = np.empty(shape, dtype=dt)
    r.readinto(arr, what)
    return _to_native(arr, flag)


def _flag_name(flag):
    if flag == BFLOAT16_FLAG:
        return "bfloat16"
    dt = dtypes.FLAG_TO_DTYPE.get(flag)
    return dt.name if dt is not None else f"flag {flag}"


def _to_native(arr, flag):
    if flag == BFLOAT16_FLAG:   # bfloat16 = the high half of a float32: widen exactly
        return (arr.astype(np.uint32) << 16).view(np.float32)
    if not arr.dtype.isnative:
        return arr.astype(arr.dtype.newbyteorder("="))
    return arr.view(arr.dtype.newbyteorder("="))        # '<i8' -> 'int64' (same bytes, plain dtype)


def _read_record(r, i, n):
    where = f"array {i} of {n}"
    start = r.pos
    magic = r.u32(f"the header of {where}")
    if magic in (V2_MAGIC, V3_MAGIC):
        version = 2 if magic == V2_MAGIC else 3
        st_off = r.pos
        stype = r.i32(f"the storage type of {where}")
        if stype not in _NUM_AUX:
            raise r.fail(f"{where} has storage type {stype}; expected 0 (default), 1 (row_sparse) "
                         "or 2 (csr)", st_off)
        nad = _NUM_AUX[stype]
        sshape = _read_tshape(r, f"the storage shape of {where}", 3) if nad else None
        shape = _read_tshape(r, where, version)
    elif magic == V1_MAGIC:
        version, stype, nad, sshape = 1, 0, 0, None
        shape = _read_tshape(r, where, 1)
    else:                                  # pre-V1: the "magic" is ndim, dims are u32
        version, stype, nad, sshape = 0, 0, 0, None
        if magic > _MAX_NDIM:
            raise r.fail(f"{where} starts with 0x{magic:08X}; expected an array magic "
                         f"(0x{V2_MAGIC:08X} V2, 0x{V3_MAGIC:08X} V3, 0x{V1_MAGIC:08X} V1) or, in "
                         f"the oldest format, an ndim <= {_MAX_NDIM}", start)
        shape = _read_dims(r, magic, "I", where) if magic else None
    if shape is None:
        return None, ArrayInfo(version, STYPE_NAMES[stype], None, None, None, start)

    dev_off = r.pos
    dev_type, dev_id = r.unpack("ii", f"the device of {where}")
    if dev_type not in DEV_TYPES:
        raise r.fail(f"{where} has device type {dev_type}; expected 1 (cpu), 2 (gpu), "
                     "3 (cpu_pinned) or 5 (cpu_shared)", dev_off)
    flag_off = r.pos
    flag = r.i32(f"the dtype flag of {where}")
    dt = _dtype_for(r, flag, where, flag_off)
    info = ArrayInfo(version, STYPE_NAMES[stype], dev_type, dev_id, flag, start)

    if nad == 0:
        return _read_data(r, shape, dt, flag, where), info

    # sparse: aux types and shapes, values (storage shape), aux data; densified here
    aux = []
    for k in range(nad):
        aoff = r.pos
        aflag = r.i32(f"the aux dtype {k} of {where}")
        adt = _dtype_for(r, aflag, f"aux array {k} of {where}", aoff)
        if adt.kind not in "iu":
            raise r.fail(f"aux array {k} of {where} has dtype {_flag_name(aflag)}; expected an "
                         "integer index dtype", aoff)
        ashape = _read_tshape(r, f"the aux shape {k} of {where}", 3)
        if ashape is None or len(ashape) != 1:
            raise r.fail(f"aux array {k} of {where} has shape {ashape}; expected 1-D", aoff)
        aux.append((adt, aflag, ashape))
    if sshape is None:
        raise r.fail(f"sparse {where} has no storage shape", start)
    values = _read_data(r, sshape, dt, flag, f"the stored values of {where}")
    idx = [_read_data(r, ashape, adt, aflag, f"aux array {k} of {where}")
           for k, (adt, aflag, ashape) in enumerate(aux)]
    return _densify(r, stype, shape, values, idx, where, start), info


def _densify(r, stype, shape, values, idx, where, start):
    dense = np.zeros(shape, dtype=values.dtype)
    if stype == 1:                       # row_sparse: rows idx[0] hold values
        rows = idx[0].astype(np.int64)
        if values.shape[:1] != rows.shape or values.shape[1:] != tuple(shape[1:]):
            raise r.fail(f"row_sparse {where}: values {values.shape} do not match indices "
                         f"{rows.shape} and shape {shape}", start)
        if rows.size and (rows.min() < 0 or rows.max() >= shape[0]):
            raise r.fail(f"row_sparse {where}: a row index is outside [0, {shape[0]})", start)
        dense[rows] = values
        return dense
    indptr, indices = (a.astype(np.int64) for a in idx)      # csr: aux 0 = indptr, aux 1 = indices
    if len(shape) != 2 or indptr.shape != (shape[0] + 1,) or indices.shape != values.shape[:1] \
            or values.ndim != 1:
        raise r.fail(f"csr {where}: indptr {indptr.shape}, indices {indices.shape} and values "
                     f"{values.shape} do not describe a matrix of shape {shape}", start)
    counts = np.diff(indptr)
    if indptr[0] != 0 or indptr[-1] != indices.size or (counts < 0).any():
        raise r.fail(f"csr {where}: indptr must start at 0, not decrease and end at nnz "
                     f"{indices.size}", start)
    if indices.size and (indices.min() < 0 or indices.max() >= shape[1]):
        raise r.fail(f"csr {where}: a column index is outside [0, {shape[1]})", start)
    dense[np.repeat(np.arange(shape[0]), counts), indices] = values
    return dense


def _stream_size(f):
    try:
        if not f.seekable():
            return None
        here = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None


def _read_stream(f, label):
    r = _Reader(f, label, _stream_size(f))
    head = b""
    while len(head) < 16:                # loop: raw streams may return short reads
        more = f.read(16 - len(head))
        if not more:
            break
        head += more
    if len(head) < 8 or struct.unpack_from("<Q", head)[0] != LIST_MAGIC:
        found = f"0x{struct.unpack_from('<Q', head)[0]:X}" if len(head) >= 8 else \
            f"only {len(head)} byte(s)"
        raise FormatError(
            f"{label} is not an MXNet NDArray file (nd.save / .params): expected the list magic "
            f"0x112 as u64 at byte 0, found {found}{_foreign_hint(head)}.")
    if len(head) < 16:
        r.pos = 8
        raise r._truncated(8, len(head) - 8, "the reserved header field")
    r.pos = 16
    n_off = r.pos
    n = r.u64("the array count")
    rem = r.remaining()
    if rem is not None and n * 4 + 8 > rem:     # a record takes >= 4 bytes, the name count 8
        raise r.fail(f"the header claims {n} arrays but only {rem} bytes follow; expected a "
                     "count that fits the file", n_off)
    if n > (1 << 40):
        raise r.fail(f"the header claims {n} arrays; expected a plausible count", n_off)
    arrays, info = [], []
    for i in range(n):
        a, inf = _read_record(r, i, n)
        arrays.append(a)
        info.append(inf)
    k_off = r.pos
    k = r.u64("the name count")
    if k not in (0, n):
        raise r.fail(f"the file has {n} arrays but {k} names; expected 0 names (a list save) or "
                     f"{n}", k_off)
    names = []
    for i in range(k):
        l_off = r.pos
        ln = r.u64(f"the length of name {i}")
        if ln > _MAX_NAME:
            raise r.fail(f"name {i} claims {ln} bytes; expected a plausible name length", l_off)
        raw = r.read(ln, f"name {i}")
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise r.fail(f"name {i} is not valid UTF-8 ({raw[:40]!r})", l_off + 8) from None
    return Contents(arrays, names, info)


def read(source):
    """Read an NDArray list file from a path, a bytes-like buffer, or a binary file object.

    Returns ``(arrays, names)`` (a :class:`Contents`, which also has ``.info``): host NumPy arrays
    (``None`` for an uninitialised record) and the names (empty list for a list save).

    >>> import io, numpy as np
    >>> b = io.BytesIO(); write(b, [np.zeros((2, 3), np.int32)])
    >>> arrays, names = read(b.getvalue()); arrays[0].dtype, names
    (dtype('int32'), [])
    """
    if isinstance(source, (str, os.PathLike)):
        return read_file(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _read_stream(io.BytesIO(source), _label(source))
    if hasattr(source, "read"):
        return _read_stream(source, _label(source))
    raise TypeError(f"expected a file name, a bytes-like buffer or a binary file object, got "
                    f"{type(source).__name__}")


def read_file(path):
    """:func:`read` for a path (``str`` or ``os.PathLike``)."""
    with open(os.fspath(path), "rb") as f:
        return _read_stream(f, _label(path))


# ------------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------------

def _record_header(arr, version, index):
    flag = dtypes.MX_TYPE_FLAG.get(arr.dtype.newbyteorder("="))
    if flag is None:
        raise DTypeError(f"cannot save array {index}: dtype {arr.dtype} has no MXNet type flag; "
                          f"use one of {sorted(d.name for d in dtypes.MX_TYPE_FLAG)} (x.astype(...))")
    if arr.ndim == 0 and version < 3:
        raise ShapeError(f"cannot save array {index}: a 0-d array cannot be stored in a V2 (legacy "
                          "nd) record, where ndim 0 means 'no array'; reshape it to (1,) or save "
                          "with version=3 (np-shape semantics)")
    magic = V2_MAGIC if version == 2 else V3_MAGIC
    return struct.pack(f"<Iii{arr.ndim}qiii", magic, 0, arr.ndim, *arr.shape, 1, 0, flag)


def _host_le(a):
    arr = np.asarray(a)
    if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and not _LE):
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return arr if arr.flags.c_contiguous else arr.copy(order="C")   # (ascontiguousarray makes 0-d 1-d)


def _write_stream(f, arrays, names, version):
    n = len(arrays)
    f.write(struct.pack("<QQQ", LIST_MAGIC, 0, n))
    count = 0
    for i, a in enumerate(arrays):
        if i >= n:
            raise ValueError(f"got more arrays than the {n} the sequence's len() announced")
        arr = _host_le(a)
        f.write(_record_header(arr, version, i))
        if arr.nbytes:
            f.write(arr.reshape(-1).view(np.uint8).data)
        count += 1
    if count != n:
        raise ValueError(f"got {count} arrays but the sequence's len() announced {n}")
    f.write(struct.pack("<Q", len(names)))
    for name in names:
        raw = name.encode("utf-8")
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)


def _check_args(arrays, names, version):
    if version not in (2, 3):
        raise ValueError(f"version must be 2 (legacy nd.save) or 3 (np-shape npx.save), got {version!r}")
    try:
        n = len(arrays)
    except TypeError:
        raise TypeError("arrays must be a sequence with a len() (list or tuple), got "
                        f"{type(arrays).__name__}") from None
    names = [] if names is None else list(names)
    if names and len(names) != n:
        raise ValueError(f"{len(names)} names for {n} arrays; give one name per array or None")
    bad = [k for k in names if not isinstance(k, str)]
    if bad:
        raise TypeError(f"names must be str, got {bad[0]!r} ({type(bad[0]).__name__})")
    return names


def _umask():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    m = os.umask(0o022)
    os.umask(m)
    return m


def _atomic_write(path, write_fn):
    path = os.fspath(path)
    if os.path.islink(path):             # write through a symlink, don't replace the link itself
        path = os.path.realpath(path)
    d = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:                                 # make the rename itself durable (POSIX)
        dfd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def write(target, arrays, names=None, *, version=2):
    """Write ``arrays`` (a sequence of array-likes: NumPy arrays or anything with ``__array__``,
    converted one at a time) and optional ``names`` in MXNet's NDArray list format.

    ``target`` is a path (written atomically) or a binary file object (written in place).
    ``version=2`` writes legacy ``nd.save`` records, ``version=3`` np-shape (``npx.save``) records,
    which allow 0-d arrays. Every record says device ``cpu(0)``.

    >>> import io, numpy as np
    >>> b = io.BytesIO(); write(b, [np.ones(2, np.float32)], ["w"])
    >>> b.getvalue()[:8].hex()
    '1201000000000000'
    """
    names = _check_args(arrays, names, version)
    if isinstance(target, (str, os.PathLike)):
        _atomic_write(target, lambda f: _write_stream(f, arrays, names, version))
    elif hasattr(target, "write"):
        _write_stream(target, arrays, names, version)
    else:
        raise TypeError(f"expected a file name or a binary file object to write to, got "
                        f"{type(target).__name__}")


def dumps(arrays, names=None, *, version=2):
    """The bytes :func:`write` would write.

    >>> import numpy as np
    >>> len(dumps([np.array([1.5, 2.5], np.float32)], ["a"]))
    81
    """
    b = io.BytesIO()
    write(b, arrays, names, version=version)
    return b.getvalue()
