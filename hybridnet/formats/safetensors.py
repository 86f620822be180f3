"""The safetensors layout, handwritten (no dependency, no pickle): named arrays plus string metadata.

Layout (all little-endian)::

    u64           N: length of the header in bytes
    N bytes       header: UTF-8 JSON object, padded with spaces to a multiple of 8 bytes
                  {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
                   "__metadata__": {"<key>": "<string value>", ...}}      (metadata optional)
    data          the arrays' raw little-endian C-order bytes; offsets are relative to the start of
                  this section, and the arrays tile it without gaps or overlaps

dtypes: ``BOOL U8 I8 U16 I16 U32 I32 U64 I64 F16 F32 F64``. This is the format of the ``safetensors``
library (https://github.com/huggingface/safetensors), so files open in other tools too.

Reading validates everything: a truncated file, a header that is not a JSON object, an unknown dtype,
a shape/offset mismatch or an offset past the end raises :class:`hybridnet.errors.FormatError` saying
what is wrong. Writing to a path is atomic (temp file + rename, ``formats.ndarray_file._atomic_write``).

>>> import numpy as np
>>> b = dumps({"w": np.arange(3, dtype=np.float32)}, {"step": "7"})
>>> t, meta = loads(b)
>>> t["w"].tolist(), meta
([0.0, 1.0, 2.0], {'step': '7'})
"""
import json
import os
import struct

import numpy as np

from ..errors import FormatError
from .ndarray_file import _atomic_write

__all__ = ["dumps", "loads", "save", "load"]

_DT = {"BOOL": "|b1", "U8": "|u1", "I8": "|i1", "U16": "<u2", "I16": "<i2", "U32": "<u4", "I32": "<i4",
       "U64": "<u8", "I64": "<i8", "F16": "<f2", "F32": "<f4", "F64": "<f8"}
_CODE = {np.dtype(v): k for k, v in _DT.items()}
_MAX_HEADER = 100 * 1024 * 1024


def _code(dt):
    dt = np.dtype(dt)
    c = _CODE.get(dt.newbyteorder("<"))
    if c is None:
        raise FormatError(f"safetensors: cannot store dtype {dt} (supported: bool, (u)int8-64, float16/32/64)")
    return c


def dumps(tensors, metadata=None):
    """Bytes of a safetensors file holding ``tensors`` (name -> NumPy array) and ``metadata``
    (str -> str)."""
    header = {}
    chunks = []
    off = 0
    for name, a in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise FormatError(f"safetensors: tensor names must be strings other than '__metadata__', got {name!r}")
        a = np.asarray(a)
        code = _code(a.dtype)
        raw = np.ascontiguousarray(a, dtype=np.dtype(_DT[code])).tobytes()
        header[name] = {"dtype": code, "shape": [int(d) for d in a.shape], "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise FormatError(f"safetensors: metadata must map str to str, got {k!r}: {type(v).__name__}")
        header["__metadata__"] = dict(metadata)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(chunks)


def loads(data, what="data"):
    """``(tensors, metadata)`` from safetensors bytes (the arrays are writable copies in native byte order)."""
    mv = memoryview(data)
    if len(mv) < 8:
        raise FormatError(f"{what} is not a safetensors file: {len(mv)} bytes, shorter than the 8-byte header "
                          "length (truncated?)")
    (n,) = struct.unpack("<Q", mv[:8])
    if n > _MAX_HEADER or 8 + n > len(mv):
        raise FormatError(f"{what} is not a valid safetensors file: the header says {n} header bytes but the file "
                          f"has {len(mv) - 8} after the length field (truncated, or not a safetensors file)")
    try:
        header = json.loads(bytes(mv[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise FormatError(f"{what} is not a valid safetensors file: the header is not UTF-8 JSON ({e})") from None
    if not isinstance(header, dict):
        raise FormatError(f"{what} is not a valid safetensors file: the header is not a JSON object")
    body = mv[8 + n:]
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise FormatError(f"{what}: safetensors __metadata__ must map strings to strings")
    tensors = {}
    spans = []
    for name, info in header.items():
        try:
            code, shape, (b, e) = info["dtype"], info["shape"], info["data_offsets"]
            shape = tuple(int(d) for d in shape)
            b, e = int(b), int(e)
        except (TypeError, KeyError, ValueError):
            raise FormatError(f"{what}: safetensors entry {name!r} must have dtype, shape and data_offsets "
                              f"[begin, end], got {info!r}") from None
        if code not in _DT:
            raise FormatError(f"{what}: tensor {name!r} has unknown safetensors dtype {code!r} "
                              f"(known: {', '.join(_DT)})")
        dt = np.dtype(_DT[code])
        if any(d < 0 for d in shape):
            raise FormatError(f"{what}: tensor {name!r} has a negative dimension in shape {shape}")
        nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        if not 0 <= b <= e or e - b != nbytes:
            raise FormatError(f"{what}: tensor {name!r} of shape {shape} and dtype {code} needs {nbytes} bytes "
                              f"but its data_offsets are [{b}, {e}]")
        if e > len(body):
            raise FormatError(f"{what}: tensor {name!r} ends at byte {e} of the data section, which has only "
                              f"{len(body)} bytes (truncated file?)")
        spans.append((b, e, name))
        tensors[name] = np.frombuffer(body[b:e], dtype=dt).reshape(shape).astype(dt.newbyteorder("="))
    pos = 0
    for b, e, name in sorted(spans):
        if b != pos:
            raise FormatError(f"{what}: safetensors data of tensor {name!r} starts at byte {b}, expected {pos} "
                              "(overlapping or gapped offsets)")
        pos = e
    if pos != len(body):
        raise FormatError(f"{what}: {len(body) - pos} stray bytes after the last tensor (not a safetensors file?)")
    return tensors, dict(meta)


def save(path, tensors, metadata=None):
    """Write a safetensors file atomically."""
    data = dumps(tensors, metadata)
    _atomic_write(path, lambda f: f.write(data))


def load(path):
    """``(tensors, metadata)`` of a safetensors file."""
    with open(os.fspath(path), "rb") as f:
        data = f.read()
    return loads(data, what=f"file {os.fspath(path)!r}")
