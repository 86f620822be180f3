"""mx.recordio against a RecordIO file MXNet 1.9.1 wrote (tests/golden/data/golden.rec/.idx), and
RecordFileDataset / ImageRecordDataset over it."""
import json
import os
import pickle
import struct

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import gluon, recordio
from hybridnet.errors import FormatError

HERE = os.path.join(os.path.dirname(__file__), "..", "..", "golden", "data")
REC, IDX = os.path.join(HERE, "golden.rec"), os.path.join(HERE, "golden.idx")


@pytest.fixture(scope="module")
def golden():
    with open(os.path.join(HERE, "data_goldens.json")) as f:
        return json.load(f)["recordio"]


def test_read_mxnet_file(golden):
    r = recordio.MXIndexedRecordIO(IDX, REC, "r")
    assert r.keys == golden["keys"]
    assert [r.read_idx(k).hex() for k in r.keys] == golden["records_hex"]
    # records that contain the magic word (split on disk) come back whole, in any order
    assert r.read_idx(1) == bytes.fromhex(golden["records_hex"][1])
    seq = recordio.MXRecordIO(REC, "r")
    assert [seq.read().hex() for _ in golden["keys"]] == golden["records_hex"]
    assert seq.read() is None
    seq.reset()
    assert seq.read().hex() == golden["records_hex"][0]


def test_write_is_byte_identical_to_mxnet(golden, tmp_path):
    w = recordio.MXIndexedRecordIO(str(tmp_path / "a.idx"), str(tmp_path / "a.rec"), "w")
    for k, h in zip(golden["keys"], golden["records_hex"]):
        w.write_idx(k, bytes.fromhex(h))
    w.close()
    assert (tmp_path / "a.rec").read_bytes() == open(REC, "rb").read()
    assert (tmp_path / "a.idx").read_text() == open(IDX).read()


def test_pack_unpack(golden):
    (f1, l1, i1, j1, s1), (f2, l2, i2, j2, s2) = golden["unpacked"]
    r = recordio.MXIndexedRecordIO(IDX, REC, "r")
    h, s = recordio.unpack(r.read_idx(10))
    assert (h.flag, h.label, h.id, h.id2, s.hex()) == (f1, l1, i1, j1, s1)
    h, s = recordio.unpack(r.read_idx(11))
    assert (h.flag, h.label.tolist(), h.id, h.id2, s.hex()) == (f2, l2, i2, j2, s2)
    assert recordio.pack(recordio.IRHeader(0, 3.0, 17, 0), b"image-bytes").hex() == golden["records_hex"][5]
    assert recordio.pack(recordio.IRHeader(0, [1.0, 2.5, -3.0], 18, 5), b"xyz").hex() == golden["records_hex"][6]


def test_tell_and_pickle(tmp_path):
    w = recordio.MXIndexedRecordIO(str(tmp_path / "t.idx"), str(tmp_path / "t.rec"), "w")
    pos = []
    for i in range(3):
        pos.append(w.tell())
        w.write_idx(i, b"record_%d" % i)
    w.close()
    assert pos == [0, 16, 32]
    r = recordio.MXIndexedRecordIO(str(tmp_path / "t.idx"), str(tmp_path / "t.rec"), "r")
    r2 = pickle.loads(pickle.dumps(r))
    assert r2.read_idx(2) == b"record_2" and r2.keys == [0, 1, 2]


def test_record_file_dataset_and_loader():
    ds = gluon.data.RecordFileDataset(REC)
    assert len(ds) == 7 and ds[0] == b"hello" and ds[2] == b""
    loader = gluon.data.DataLoader(ds, batch_size=3, batchify_fn=gluon.data.batchify.AsList())
    assert [len(b) for b in loader] == [3, 3, 1]


def test_image_record_dataset_and_pack_img(tmp_path):
    img = (np.arange(8 * 6 * 3) % 251).astype(np.uint8).reshape(8, 6, 3)
    w = recordio.MXIndexedRecordIO(str(tmp_path / "im.idx"), str(tmp_path / "im.rec"), "w")
    w.write_idx(0, recordio.pack_img(recordio.IRHeader(0, 4.0, 0, 0), img, quality=3, img_fmt=".png"))
    w.write_idx(1, recordio.pack_img(recordio.IRHeader(0, [1, 2], 1, 0), img, img_fmt=".jpg"))
    w.close()
    ds = gluon.data.vision.ImageRecordDataset(str(tmp_path / "im.rec"))
    x, y = ds[0]
    assert isinstance(x, mx.nd.NDArray) and x.dtype == np.uint8 and y == 4.0
    np.testing.assert_array_equal(x.asnumpy(), img)            # PNG is lossless
    x, y = ds[1]
    assert x.shape == (8, 6, 3) and y.tolist() == [1.0, 2.0]
    grey = gluon.data.vision.ImageRecordDataset(str(tmp_path / "im.rec"), flag=0)[0][0]
    assert grey.shape == (8, 6, 1)
    h, arr = recordio.unpack_img(recordio.pack_img(recordio.IRHeader(0, 1.0, 0, 0), img, img_fmt=".png"))
    np.testing.assert_array_equal(arr, img)


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.rec does not exist"):
        gluon.data.RecordFileDataset(str(tmp_path / "missing.rec"))
    (tmp_path / "noidx.rec").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"noidx\.idx does not exist"):
        gluon.data.RecordFileDataset(str(tmp_path / "noidx.rec"))
    (tmp_path / "bad.rec").write_bytes(b"not a recordio file at all")
    (tmp_path / "bad.idx").write_text("0\t0\n")
    ds = gluon.data.RecordFileDataset(str(tmp_path / "bad.rec"))
    with pytest.raises(FormatError, match="no magic number"):
        ds[0]
    (tmp_path / "cut.rec").write_bytes(struct.pack("<II", 0xced7230a, 100) + b"abc")
    with pytest.raises(FormatError, match="cut short"):
        recordio.MXRecordIO(str(tmp_path / "cut.rec"), "r").read()
    (tmp_path / "x.idx").write_text("0 12\n")
    with pytest.raises(FormatError, match=r"x\.idx:1: expected 'key<TAB>offset'"):
        recordio.MXIndexedRecordIO(str(tmp_path / "x.idx"), str(tmp_path / "cut.rec"), "r")
    with pytest.raises(ValueError, match="Invalid flag"):
        recordio.MXRecordIO(str(tmp_path / "y.rec"), "a")
