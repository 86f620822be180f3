"""Make the gluon.data goldens with MXNet 1.9.1 (run with the oracle interpreter, never in tests):

    /work/mx-oracle/bin/python tests/golden/data/make_data_goldens.py

Writes data_goldens.json (batching semantics, dataset items, batchify dtypes, image transforms on a fixed
image) and golden.rec / golden.idx (an indexed RecordIO file written by MXNet's own writer).
"""
import json
import os
import struct

import mxnet as mx
import numpy as np
from mxnet import gluon
from mxnet.gluon.data.vision import transforms as T

HERE = os.path.dirname(os.path.abspath(__file__))


def desc(x):
    """Type, dtype, shape and values of a batch / item (recursively)."""
    if isinstance(x, mx.nd.NDArray):
        return {"type": "NDArray", "dtype": str(x.dtype.__name__ if hasattr(x.dtype, "__name__") else x.dtype),
                "shape": list(x.shape), "values": x.asnumpy().tolist()}
    if isinstance(x, np.ndarray):
        return {"type": "numpy", "dtype": str(x.dtype), "shape": list(x.shape), "values": x.tolist()}
    if isinstance(x, np.generic):
        return {"type": "numpy_scalar", "dtype": str(x.dtype), "values": x.item()}
    if isinstance(x, (list, tuple)):
        return {"type": type(x).__name__, "items": [desc(i) for i in x]}
    return {"type": type(x).__name__, "values": x}


def batching():
    out = {}
    X = np.arange(30, dtype=np.float64).reshape(10, 3)
    y = np.arange(10, dtype=np.int64)
    ds = gluon.data.ArrayDataset(X, y)
    for mode in ("keep", "discard", "rollover"):
        loader = gluon.data.DataLoader(ds, batch_size=4, last_batch=mode)
        epochs = []
        for _ in range(3):
            epochs.append({"len": len(loader), "batches": [desc(b) for b in loader]})
        out["array_dataset_" + mode] = epochs
    # default last_batch
    out["default_last_batch"] = [desc(b) for b in gluon.data.DataLoader(ds, batch_size=4)]
    # python scalars -> np.asarray dtypes
    out["python_floats"] = [desc(b) for b in gluon.data.DataLoader([0.5 * i for i in range(5)], batch_size=2)]
    out["python_ints"] = [desc(b) for b in gluon.data.DataLoader(list(range(5)), batch_size=2)]
    out["float32_numpy"] = [desc(b) for b in gluon.data.DataLoader(np.ones((5, 2), np.float32), batch_size=3)]
    out["uint8_numpy"] = [desc(b) for b in gluon.data.DataLoader(np.arange(12, dtype=np.uint8).reshape(6, 2),
                                                                 batch_size=4)]
    # NDArray dataset: 2-D NDArray items stay NDArray, 1-D NDArray converts to numpy
    nds = gluon.data.ArrayDataset(mx.nd.array(X), mx.nd.array(y))
    out["nd_items"] = [desc(nds[0]), desc(nds[9])]
    out["nd_batches"] = [desc(b) for b in gluon.data.DataLoader(nds, batch_size=4)]
    out["numpy_items"] = [desc(ds[0]), desc(ds[3])]
    single = gluon.data.ArrayDataset(X)
    out["single_array_item"] = desc(single[2])
    mixed = gluon.data.ArrayDataset(X, [1.5 * i for i in range(10)], list(range(10)))
    out["mixed_items"] = desc(mixed[1])
    out["mixed_batches"] = [desc(b) for b in gluon.data.DataLoader(mixed, batch_size=4)]
    # nested tuple samples: (array, (int, float))
    nested = gluon.data.SimpleDataset([(np.full(2, i, np.int32), (i, i * 0.5)) for i in range(3)])
    out["nested_batches"] = [desc(b) for b in gluon.data.DataLoader(nested, batch_size=3)]
    # batch sampler
    bs = gluon.data.BatchSampler(gluon.data.SequentialSampler(10), 3, "rollover")
    out["batch_sampler_rollover"] = [[list(map(int, b)) for b in bs] for _ in range(3)]
    out["batch_sampler_rollover_len"] = len(bs)
    out["batch_sampler_keep"] = [list(map(int, b)) for b in gluon.data.BatchSampler(
        gluon.data.SequentialSampler(10, 2), 3, "keep")]
    # dataset methods
    tf = ds.transform_first(lambda x: x * 2)
    out["transform_first"] = [desc(tf[1]), desc(tf[9])]
    tr = ds.transform(lambda x, y: (x.sum(), y + 1))
    out["transform"] = [desc(tr[2])]
    out["transform_eager_len"] = len(ds.transform(lambda x, y: y, lazy=False))
    out["transform_eager_type"] = type(ds.transform(lambda x, y: y, lazy=False)).__name__
    out["transform_single"] = desc(gluon.data.SimpleDataset([1, 2, 3]).transform(lambda x: x * 10)[2])
    out["shard"] = [[int(s[i][1]) for i in range(len(s))] for s in (ds.shard(3, k) for k in range(3))]
    out["take"] = [int(ds.take(3)[i][1]) for i in range(len(ds.take(3)))]
    out["take_none_len"] = len(ds.take(None))
    out["take_big_len"] = len(ds.take(100))
    flt = ds.filter(lambda s: s[1] % 3 == 0)
    out["filter"] = [int(flt[i][1]) for i in range(len(flt))]
    out["sample"] = [int(x[1]) for x in ds.sample(gluon.data.SequentialSampler(3, 5))]
    return out


def transforms():
    rs = np.random.RandomState(7)
    img = rs.randint(0, 256, size=(6, 8, 3)).astype(np.uint8)
    x = mx.nd.array(img, dtype=np.uint8)
    out = {"image": img.tolist()}
    out["to_tensor"] = desc(T.ToTensor()(x))
    out["to_tensor_batch"] = desc(T.ToTensor()(mx.nd.stack(x, x)))
    t = T.ToTensor()(x)
    out["normalize"] = desc(T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))(t))
    out["normalize_scalar"] = desc(T.Normalize(0.5, 0.25)(t))
    out["cast"] = desc(T.Cast()(x))
    out["cast_f16"] = desc(T.Cast("float16")(x))
    res = {}
    for name, tr in [("int4", T.Resize(4)), ("wh_10_12", T.Resize((10, 12))), ("wh_4_3", T.Resize((4, 3))),
                     ("keep3", T.Resize(3, keep_ratio=True)), ("keep12", T.Resize(12, keep_ratio=True)),
                     ("nearest_16_12", T.Resize((16, 12), interpolation=0)),
                     ("cubic_16_12", T.Resize((16, 12), interpolation=3))]:
        res[name] = desc(tr(x))
    out["resize"] = res
    out["resize_float"] = desc(T.Resize((16, 12))(x.astype("float32")))
    out["center_crop"] = {"4": desc(T.CenterCrop(4)(x)), "wh_5_3": desc(T.CenterCrop((5, 3))(x)),
                          "up_10_8": desc(T.CenterCrop((10, 8))(x))}
    out["random_resized_crop_shape"] = list(T.RandomResizedCrop((5, 4))(x).shape)
    out["lighting"] = desc(mx.nd.image.adjust_lighting(x, alpha=(0.1, -0.2, 0.3)))
    out["lighting_float"] = desc(mx.nd.image.adjust_lighting(x.astype("float32"), alpha=(0.1, -0.2, 0.3)))
    rnd = {}
    mx.random.seed(3)
    for name, tr in [("brightness", T.RandomBrightness(0.5)), ("contrast", T.RandomContrast(0.5)),
                     ("saturation", T.RandomSaturation(0.5)), ("hue", T.RandomHue(0.3)),
                     ("brightness_float", T.RandomBrightness(0.5)), ("contrast_float", T.RandomContrast(0.5)),
                     ("saturation_float", T.RandomSaturation(0.5)), ("hue_float", T.RandomHue(0.3))]:
        src = x.astype("float32") if name.endswith("float") else x
        rnd[name] = [desc(tr(src)) for _ in range(4)]
    rnd["flip_lr"] = [desc(T.RandomFlipLeftRight()(x)) for _ in range(6)]
    rnd["flip_tb"] = [desc(T.RandomFlipTopBottom()(x)) for _ in range(6)]
    out["random"] = rnd
    return out


def recordio():
    rec, idx = os.path.join(HERE, "golden.rec"), os.path.join(HERE, "golden.idx")
    magic = struct.pack("<I", 0xced7230a)
    payloads = [b"hello", magic + b"abcd" + magic + b"xy", b"", b"abcd" + magic, bytes(range(256)) * 3]
    w = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
    records = []
    for i, p in enumerate(payloads):
        w.write_idx(i, p)
        records.append(p)
    h1 = mx.recordio.IRHeader(0, 3.0, 17, 0)
    r1 = mx.recordio.pack(h1, b"image-bytes")
    h2 = mx.recordio.IRHeader(0, [1.0, 2.5, -3.0], 18, 5)
    r2 = mx.recordio.pack(h2, b"xyz")
    w.write_idx(10, r1)
    w.write_idx(11, r2)
    records += [r1, r2]
    w.close()
    hdr1, s1 = mx.recordio.unpack(r1)
    hdr2, s2 = mx.recordio.unpack(r2)
    return {"keys": [0, 1, 2, 3, 4, 10, 11], "records_hex": [r.hex() for r in records],
            "unpacked": [[hdr1.flag, float(hdr1.label), hdr1.id, hdr1.id2, s1.hex()],
                         [hdr2.flag, hdr2.label.tolist(), hdr2.id, hdr2.id2, s2.hex()]]}


def main():
    goldens = {"mxnet": mx.__version__, "batching": batching(), "transforms": transforms(),
               "recordio": recordio()}
    with open(os.path.join(HERE, "data_goldens.json"), "w") as f:
        json.dump(goldens, f, sort_keys=True)
    print("wrote", os.path.join(HERE, "data_goldens.json"))


if __name__ == "__main__":
    main()
