"""nd.save / nd.load / nd.load_frombuffer and hybridnet.formats.ndarray_file against MXNet 1.9.1.

Golden files (tests/golden/nd_save/*.params) were written by MXNet 1.9.1 itself
(tests/golden/make_goldens.py); nd_save_manifest.json says what data each holds.
"""
import ast
import doctest
import io
import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import nd
from hybridnet.errors import DTypeError, FormatError, HybridNetError, ShapeError
from hybridnet.formats import ndarray_file as F

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
MANIFEST = json.loads((GOLDEN / "nd_save_manifest.json").read_text(encoding="utf-8"))["files"]
ALL = sorted(MANIFEST)
DENSE_V2 = [k for k in ALL if MANIFEST[k]["version"] == 2 and
            all(a["stype"] == "default" for a in MANIFEST[k]["arrays"])]
V3 = [k for k in ALL if MANIFEST[k]["version"] == 3]


def _golden_bytes(name):
    return (GOLDEN / MANIFEST[name]["file"]).read_bytes()


def _np(entry):
    return np.array(entry["values"], dtype=entry["dtype"]).reshape(entry["shape"])


def _build(name):
    """The data MXNet saved into golden file ``name``, rebuilt as hybridnet NDArrays."""
    m = MANIFEST[name]
    arrays = [nd.array(_np(a), dtype=a["dtype"]) for a in m["arrays"]]
    if m["kind"] == "dict":
        return {a["name"]: x for a, x in zip(m["arrays"], arrays)}
    if m["kind"] == "ndarray":
        return arrays[0]
    return arrays


def _check_loaded(name, loaded):
    m = MANIFEST[name]
    assert type(loaded).__name__ == m["loads_as"]
    values = list(loaded.values()) if isinstance(loaded, dict) else loaded
    if isinstance(loaded, dict):
        assert list(loaded) == [a["name"] for a in m["arrays"]]
    assert len(values) == len(m["arrays"])
    for got, exp in zip(values, m["arrays"]):
        assert isinstance(got, nd.NDArray)
        assert str(got.dtype) == exp["dtype"]
        assert list(got.shape) == exp["shape"]
        np.testing.assert_array_equal(got.asnumpy(), _np(exp))


# ---- byte-identical writing -----------------------------------------------------------------

@pytest.mark.parametrize("name", DENSE_V2)
def test_save_bytes_identical_to_mxnet(name, tmp_path):
    f = tmp_path / "out.params"
    nd.save(str(f), _build(name))
    assert f.read_bytes() == _golden_bytes(name)


@pytest.mark.parametrize("name", DENSE_V2)
def test_save_to_bytesio_identical_to_mxnet(name):
    b = io.BytesIO()
    nd.save(b, _build(name))
    assert b.getvalue() == _golden_bytes(name)


@pytest.mark.parametrize("name", V3)
def test_v3_write_bytes_identical_to_npx_save(name):
    m = MANIFEST[name]
    arrays = [_np(a) for a in m["arrays"]]
    names = [a["name"] for a in m["arrays"]] if m["kind"] == "dict" else None
    assert F.dumps(arrays, names, version=3) == _golden_bytes(name)


def test_documented_hex_dump():
    # gluon-semantics.md 2.5: nd.save('f', {'a': nd.array([1.5, 2.5])}) is these 81 bytes
    b = io.BytesIO()
    nd.save(b, {"a": nd.array([1.5, 2.5])})
    assert b.getvalue().hex() == (
        "1201000000000000" "0000000000000000" "0100000000000000" "c9fa93f9" "00000000"
        "01000000" "0200000000000000" "01000000" "00000000" "00000000" "0000c03f" "00002040"
        "0100000000000000" "0100000000000000" "61")


# ---- reading MXNet's files ------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL)
def test_load_golden(name):
    _check_loaded(name, nd.load(str(GOLDEN / MANIFEST[name]["file"])))


@pytest.mark.parametrize("name", ALL)
def test_load_frombuffer_and_file_object(name):
    _check_loaded(name, nd.load_frombuffer(_golden_bytes(name)))
    with open(GOLDEN / MANIFEST[name]["file"], "rb") as fh:
        _check_loaded(name, nd.load(fh))
    _check_loaded(name, nd.load(GOLDEN / MANIFEST[name]["file"]))      # os.PathLike


def test_v3_golden_has_0d_arrays():
    d = nd.load(str(GOLDEN / "nd_save/v3_dict.params"))
    assert d["s"].shape == () and d["s"].asnumpy().item() == 3.5
    info = F.read(_golden_bytes("v3_dict")).info
    assert {i.version for i in info} == {3}


def test_sparse_golden_is_densified():
    d = nd.load(str(GOLDEN / "nd_save/sparse.params"))
    np.testing.assert_array_equal(d["rsp"].asnumpy(), [[1, 2], [0, 0], [3, 4], [0, 0]])
    np.testing.assert_array_equal(d["csr"].asnumpy(), [[1, 0, 2], [0, 0, 0], [0, 3, 0]])
    info = F.read(_golden_bytes("sparse")).info
    assert [i.stype for i in info] == ["row_sparse", "csr", "default"]


def test_empty_dict_loads_as_empty_list_like_mxnet():
    assert nd.load_frombuffer(_golden_bytes("empty_dict")) == []


# ---- round trips ----------------------------------------------------------------------------

ROUND_TRIP_DTYPES = sorted((d.name for d in mx.dtypes.MX_TYPE_FLAG))


def _sample(dtype, shape, rng):
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return rng.integers(0, 2, size=shape).astype(bool)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
    return rng.standard_normal(size=shape).astype(dt)


@pytest.mark.parametrize("dtype", ROUND_TRIP_DTYPES)
@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), (0,), (2, 0, 5), (1,), (1, 1, 1, 1, 1, 7)])
def test_round_trip_all_dtypes(dtype, shape, tmp_path, rng):
    host = _sample(dtype, shape, rng)
    x = nd.array(host, dtype=dtype)
    f = str(tmp_path / "x.params")
    nd.save(f, {"x": x, "y": x})
    back = nd.load(f)
    assert list(back) == ["x", "y"]
    for v in back.values():
        assert v.dtype == np.dtype(dtype) and v.shape == shape
        np.testing.assert_array_equal(v.asnumpy(), host)
    nd.save(f, x)
    (only,) = nd.load(f)
    np.testing.assert_array_equal(only.asnumpy(), host)


def test_round_trip_list_and_loaded_arrays_are_independent_and_writable(tmp_path):
    xs = [nd.arange(6).reshape((2, 3)), nd.ones((4,), dtype="int64")]
    f = tmp_path / "l.params"
    nd.save(f, xs)
    a, b = nd.load(f)
    a += 5                                   # in place: the loaded buffer must be writable
    assert a.asnumpy().sum() == 45 and b.asnumpy().tolist() == [1, 1, 1, 1]
    assert xs[0].asnumpy().sum() == 15


def test_round_trip_non_contiguous_and_big_endian_arrays():
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    view = base[:, ::2]
    be = np.arange(5, dtype=">i4")
    arrays, names = F.read(F.dumps([view, be], ["v", "b"]))
    np.testing.assert_array_equal(arrays[0], view)
    np.testing.assert_array_equal(arrays[1], be)
    assert arrays[1].dtype == np.dtype(np.int32) and arrays[1].dtype.isnative
    assert F.dumps([be]) == F.dumps([be.astype("<i4")])


def test_round_trip_names_utf8_and_empty():
    x = nd.array([1.0])
    b = io.BytesIO()
    nd.save(b, {"": x, "größe": x, "日本": x})
    assert list(nd.load_frombuffer(b.getvalue())) == ["", "größe", "日本"]


def test_v3_round_trip_0d():
    arrays, names = F.read(F.dumps([np.float64(2.5), np.zeros((0, 2), np.int8)], version=3))
    assert arrays[0].shape == () and arrays[0].item() == 2.5 and arrays[1].shape == (0, 2)


def test_v2_refuses_0d_array():
    with pytest.raises(ShapeError, match="0-d"):
        F.dumps([np.float32(1)])


def test_unsupported_dtype_refused():
    with pytest.raises(DTypeError, match="complex128"):
        F.dumps([np.zeros(2, np.complex128)])


# ---- old formats (MXNet 1.9.1 no longer writes them; built here from the documented layout) ----

def _list_header(n):
    return struct.pack("<QQQ", F.LIST_MAGIC, 0, n)


def _names(ns):
    out = struct.pack("<Q", len(ns))
    for s in ns:
        raw = s.encode()
        out += struct.pack("<Q", len(raw)) + raw
    return out


def _v1(a, flag, dev=(1, 0)):
    return (struct.pack(f"<Ii{a.ndim}q", F.V1_MAGIC, a.ndim, *a.shape) +
            struct.pack("<iii", *dev, flag) + a.tobytes())


def _pre_v1(a, flag, dev=(1, 0)):
    return (struct.pack(f"<I{a.ndim}I", a.ndim, *a.shape) + struct.pack("<iii", *dev, flag) +
            a.tobytes())


def _v2(a, flag, dev=(1, 0)):
    return (struct.pack(f"<Iii{a.ndim}q", F.V2_MAGIC, 0, a.ndim, *a.shape) +
            struct.pack("<iii", *dev, flag) + a.tobytes())


def test_read_v1_records():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([7, -8], dtype=np.int64)
    got = nd.load_frombuffer(_list_header(2) + _v1(a, 0) + _v1(b, 6) + _names(["a", "b"]))
    np.testing.assert_array_equal(got["a"].asnumpy(), a)
    assert got["b"].dtype == np.int64 and got["b"].asnumpy().tolist() == [7, -8]


def test_read_pre_v1_records():
    a = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    b = np.array([0.5, 1.5, 2.5], dtype=np.float64)
    got = nd.load_frombuffer(_list_header(2) + _pre_v1(a, 3) + _pre_v1(b, 1) + _names([]))
    assert isinstance(got, list) and got[0].dtype == np.uint8 and got[1].dtype == np.float64
    np.testing.assert_array_equal(got[0].asnumpy(), a)
    np.testing.assert_array_equal(got[1].asnumpy(), b)
    assert [i.version for i in F.read(_list_header(2) + _pre_v1(a, 3) + _pre_v1(b, 1) +
                                      _names([])).info] == [0, 0]


def test_read_mixed_versions_in_one_file():
    # This exact stream was checked to load the same in MXNet 1.9.1 (mx.nd.load_frombuffer).
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([7, -8], dtype=np.int64)
    c = np.array([1.5], dtype=np.float64)
    got = nd.load_frombuffer(_list_header(3) + _v1(a, 0) + _pre_v1(b, 6) + _v2(c, 1, (2, 0)) +
                             _names(["a", "b", "c"]))
    assert list(got) == ["a", "b", "c"]
    np.testing.assert_array_equal(got["c"].asnumpy(), c)


def test_none_records_read_as_none():
    # ndim 0 in V2 / pre-V1 and ndim -1 in V3 mean an uninitialised MXNet NDArray
    v2_none = struct.pack("<Iii", F.V2_MAGIC, 0, 0)
    v3_none = struct.pack("<Iii", F.V3_MAGIC, 0, -1)
    pre_none = struct.pack("<I", 0)
    arrays, _ = F.read(_list_header(3) + v2_none + v3_none + pre_none + _names([]))
    assert arrays == [None, None, None]


def test_bfloat16_widens_exactly_to_float32():
    vals = np.array([1.0, -2.5, 3.140625, 0.0], dtype=np.float32)
    bf16 = (vals.view(np.uint32) >> 16).astype("<u2")          # these values are exact in bf16
    rec = struct.pack("<Iiiq", F.V2_MAGIC, 0, 1, 4) + struct.pack("<iii", 1, 0, F.BFLOAT16_FLAG)
    (x,) = nd.load_frombuffer(_list_header(1) + rec + bf16.tobytes() + _names([]))
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x.asnumpy(), vals)


# ---- devices --------------------------------------------------------------------------------

def _gpu_saved_golden():
    """dict_multi.params with every record's device patched to gpu(3)."""
    raw = bytearray(_golden_bytes("dict_multi"))
    for inf in F.read(bytes(raw)).info:
        ndim = struct.unpack_from("<i", raw, inf.offset + 8)[0]
        dev_off = inf.offset + 12 + 8 * ndim
        struct.pack_into("<ii", raw, dev_off, 2, 3)
    assert {(i.dev_type, i.dev_id) for i in F.read(bytes(raw)).info} == {(2, 3)}
    return bytes(raw)


def test_gpu_saved_file_loads_on_current_device():
    d = nd.load_frombuffer(_gpu_saved_golden())
    assert all(v.context == mx.current_context() for v in d.values())
    _check_loaded("dict_multi", d)


def test_load_to_requested_device():
    dev = mx.gpu(0) if mx.num_gpus() > 0 else mx.cpu(0)
    d = nd.load_frombuffer(_gpu_saved_golden(), ctx=dev)
    assert all(v.context == dev for v in d.values())
    with dev:
        lst = nd.load_frombuffer(_golden_bytes("list_mixed"))
    assert all(v.context == dev for v in lst)
    np.testing.assert_array_equal(lst[1].asnumpy(), [[3]])


@pytest.mark.skipif(mx.num_gpus() == 0, reason="needs a GPU (or NUMBA_ENABLE_CUDASIM=1)")
def test_gpu_array_saves_as_cpu0_bytes():
    x = nd.array([1.5, 2.5], ctx=mx.gpu(0))
    b = io.BytesIO()
    nd.save(b, {"a": x})
    assert b.getvalue() == _golden_bytes("dict_float32")


# ---- damaged and foreign files --------------------------------------------------------------

@pytest.mark.parametrize("name", ["dict_multi", "list_mixed", "gluon_dense_bn", "sparse", "v3_list",
                                  "zero_size", "dict_unicode_names"])
def test_truncated_file_raises_format_error_at_every_offset(name, tmp_path):
    raw = _golden_bytes(name)
    f = tmp_path / f"{name}.params"
    for cut in range(len(raw)):
        f.write_bytes(raw[:cut])
        with pytest.raises(FormatError) as ei:
            nd.load(str(f))
        msg = str(ei.value)
        assert str(f) in msg and "byte" in msg, msg
        if cut >= 8:
            assert "truncated" in msg or "expected" in msg, msg


def test_truncated_message_names_offset_and_what(tmp_path):
    raw = _golden_bytes("dict_float32")
    f = tmp_path / "cut.params"
    f.write_bytes(raw[:60])                      # inside the data of array 0
    with pytest.raises(FormatError) as ei:
        nd.load(str(f))
    msg = str(ei.value)
    assert "truncated" in msg and "at byte 56" in msg and "ends at byte 60" in msg
    assert "array 0 of 1" in msg and "float32" in msg and "(2,)" in msg


def test_truncated_non_seekable_stream():
    class Pipe(io.RawIOBase):      # no seek, no size: the reader must still notice the short read
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buf):
            return self._b.readinto(memoryview(buf)[:3])   # short reads

    raw = _golden_bytes("dict_multi")
    _check_loaded("dict_multi", nd.load(Pipe(raw)))
    with pytest.raises(FormatError, match="truncated"):
        nd.load(Pipe(raw[:-5]))


def _foreign_files(tmp_path):
    files = {}
    p = tmp_path / "w.npz"
    np.savez(p, a=np.ones(3))
    files["npz"] = (p, "ZIP")
    p = tmp_path / "w.npy"
    np.save(p, np.ones(3))
    files["npy"] = (p, "NumPy .npy")
    p = tmp_path / "w.pkl"
    p.write_bytes(pickle.dumps({"a": np.ones(3)}, protocol=4))
    files["pickle"] = (p, "pickle")
    p = tmp_path / "w-symbol.json"
    p.write_text('{"nodes": []}')
    files["json"] = (p, "JSON")
    p = tmp_path / "empty.params"
    p.write_bytes(b"")
    files["empty"] = (p, "empty")
    p = tmp_path / "junk.params"
    p.write_bytes(os.urandom(3) + b"garbage that is long enough")
    files["junk"] = (p, "0x112")
    p = tmp_path / "short.params"
    p.write_bytes(b"\x12\x01")
    files["short"] = (p, "only 2 byte")
    return files


def test_foreign_files_raise_format_error(tmp_path):
    for kind, (path, hint) in _foreign_files(tmp_path).items():
        with pytest.raises(FormatError) as ei:
            nd.load(str(path))
        msg = str(ei.value)
        assert str(path) in msg and "byte 0" in msg and hint in msg, (kind, msg)
        assert isinstance(ei.value, HybridNetError)


def _patched(raw, offset, fmt, value):
    b = bytearray(raw)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


@pytest.mark.parametrize("offset,fmt,value,expect", [
    (24, "<I", 0xDEADBEEF, "expected an array magic"),          # per-array magic
    (28, "<i", 7, "storage type 7"),                             # stype
    (32, "<i", 99, "ndim 99"),                                   # ndim
    (36, "<q", -2, "negative dimension"),                        # a dim
    (44, "<i", 4, "device type 4"),                              # dev_type
    (52, "<i", 13, "unknown dtype flag 13"),                     # type flag
    (64, "<Q", 2, "1 arrays but 2 names"),                       # name count
    (16, "<Q", 1 << 50, "claims 1125899906842624 arrays"),       # array count
    (36, "<q", 1 << 40, "truncated"),                            # a dim too big for the file
    (72, "<Q", 1 << 40, "name 0 claims"),                        # name length
])
def test_corrupt_fields_raise_format_error_with_offset(offset, fmt, value, expect):
    raw = _patched(_golden_bytes("dict_float32"), offset, fmt, value)
    with pytest.raises(FormatError) as ei:
        nd.load_frombuffer(raw)
    msg = str(ei.value)
    assert expect in msg and "byte" in msg, msg


def test_invalid_utf8_name():
    raw = bytearray(_golden_bytes("dict_float32"))
    raw[-1] = 0xFF
    with pytest.raises(FormatError, match="UTF-8"):
        nd.load_frombuffer(bytes(raw))


def test_bad_sparse_indices_raise_format_error():
    raw = bytearray(_golden_bytes("sparse"))
    # the row_sparse record's row indices are the int64s (0, 2) right before the csr record
    pos = bytes(raw).index(struct.pack("<qq", 0, 2) + struct.pack("<I", F.V2_MAGIC))
    struct.pack_into("<q", raw, pos + 8, 9)              # row 9 of a 4-row array
    with pytest.raises(FormatError, match="row index"):
        nd.load_frombuffer(bytes(raw))


# ---- atomic writes --------------------------------------------------------------------------

def _leftovers(d, keep):
    return sorted(p.name for p in Path(d).iterdir() if p.name not in keep)


def test_failed_save_leaves_old_file_intact(tmp_path, monkeypatch):
    f = tmp_path / "model.params"
    nd.save(str(f), {"old": nd.array([1.0, 2.0])})
    before = f.read_bytes()

    from hybridnet.nd import io as ndio
    real, calls = ndio._to_host, []

    def flaky(a):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk pulled out mid-save")
        return real(a)

    monkeypatch.setattr(ndio, "_to_host", flaky)
    with pytest.raises(RuntimeError, match="mid-save"):
        nd.save(str(f), {"a": nd.ones((1000,)), "b": nd.ones((1000,)), "c": nd.ones(3)})
    assert len(calls) == 2
    assert f.read_bytes() == before
    assert _leftovers(tmp_path, {"model.params"}) == []


def test_failed_format_write_leaves_old_file_intact(tmp_path):
    class Exploding:
        def __array__(self, dtype=None, copy=None):
            raise OSError("no space left on device")

    f = tmp_path / "w.params"
    f.write_bytes(b"previous contents")
    with pytest.raises(OSError, match="no space"):
        F.write(f, [np.ones(10, np.float32), Exploding(), np.ones(2, np.float32)], ["a", "b", "c"])
    assert f.read_bytes() == b"previous contents"
    assert _leftovers(tmp_path, {"w.params"}) == []


def test_save_replaces_file_and_keeps_mode_and_symlink(tmp_path):
    f = tmp_path / "m.params"
    nd.save(str(f), [nd.zeros(2)])
    umask = os.umask(0o022)
    os.umask(umask)
    assert (f.stat().st_mode & 0o777) == (0o666 & ~umask)
    os.chmod(f, 0o640)
    link = tmp_path / "link.params"
    link.symlink_to(f)
    nd.save(str(link), {"a": nd.array([1.5, 2.5])})
    assert link.is_symlink()
    assert f.read_bytes() == _golden_bytes("dict_float32")
    assert (f.stat().st_mode & 0o777) == 0o640
    assert _leftovers(tmp_path, {"m.params", "link.params"}) == []


# ---- no pickle anywhere on the load path ----------------------------------------------------

def test_load_never_unpickles(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("pickle used while loading")

    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "Unpickler", boom)
    for name in ALL:
        _check_loaded(name, nd.load_frombuffer(_golden_bytes(name)))
    b = io.BytesIO()
    nd.save(b, {"x": nd.ones(3)})
    assert nd.load_frombuffer(b.getvalue())["x"].shape == (3,)


def test_io_modules_do_not_import_pickle():
    root = Path(mx.__file__).parent
    for rel in ("formats/ndarray_file.py", "formats/__init__.py", "nd/io.py"):
        tree = ast.parse((root / rel).read_text())
        mods = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        mods |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in mods if m.split(".")[0] in ("pickle", "cPickle", "dill", "joblib")}, rel


# ---- argument checking (MXNet's error types and texts) --------------------------------------

def test_save_argument_errors(tmp_path):
    f = str(tmp_path / "x")
    x = nd.ones(2)
    with pytest.raises(TypeError, match="save only accept dict str->NDArray or list of NDArray"):
        nd.save(f, [x, 1])
    with pytest.raises(TypeError, match="save only accept dict str->NDArray or list of NDArray"):
        nd.save(f, {1: x})
    with pytest.raises(TypeError, match="save only accept dict str->NDArray or list of NDArray"):
        nd.save(f, {"a": np.ones(2)})
    with pytest.raises(ValueError, match="data needs to either be a NDArray"):
        nd.save(f, (x,))
    with pytest.raises(ValueError, match="data needs to either be a NDArray"):
        nd.save(f, 5)
    with pytest.raises(TypeError, match="fname"):
        nd.save(3, [x])
    assert not os.path.exists(f)


def test_load_argument_errors():
    with pytest.raises(TypeError, match="fname"):
        nd.load(123)
    with pytest.raises(TypeError, match="buf"):
        nd.load_frombuffer("not bytes")
    with pytest.raises(FileNotFoundError):
        nd.load("/nonexistent/dir/x.params")


# ---- docs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["hybridnet.formats.ndarray_file", "hybridnet.nd.io"])
def test_docstring_examples_run(module):
    import importlib
    mod = importlib.import_module(module)
    res = doctest.testmod(mod, extraglobs={"nd": nd, "mx": mx, "np": np},
                          optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
