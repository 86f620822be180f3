"""gluon.data batching semantics, datasets, samplers and batchify against MXNet 1.9.1 goldens
(tests/golden/data/make_data_goldens.py)."""
import json
import os
import warnings

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import gluon
from hybridnet.gluon.data import batchify

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "golden", "data", "data_goldens.json")


@pytest.fixture(scope="module")
def golden():
    with open(GOLDEN) as f:
        return json.load(f)["batching"]


def desc(x):
    """The same description make_data_goldens.py writes for MXNet objects."""
    if isinstance(x, mx.nd.NDArray):
        return {"type": "NDArray", "dtype": str(x.dtype), "shape": list(x.shape), "values": x.asnumpy().tolist()}
    if isinstance(x, np.ndarray):
        return {"type": "numpy", "dtype": str(x.dtype), "shape": list(x.shape), "values": x.tolist()}
    if isinstance(x, np.generic):
        return {"type": "numpy_scalar", "dtype": str(x.dtype), "values": x.item()}
    if isinstance(x, (list, tuple)):
        return {"type": type(x).__name__, "items": [desc(i) for i in x]}
    return {"type": type(x).__name__, "values": x}


def _ds():
    X = np.arange(30, dtype=np.float64).reshape(10, 3)
    y = np.arange(10, dtype=np.int64)
    return X, y, gluon.data.ArrayDataset(X, y)


@pytest.mark.parametrize("mode", ["keep", "discard", "rollover"])
def test_last_batch_modes_three_epochs(golden, mode):
    _, _, ds = _ds()
    loader = gluon.data.DataLoader(ds, batch_size=4, last_batch=mode)
    got = []
    for _ in range(3):
        got.append({"len": len(loader), "batches": [desc(b) for b in loader]})
    assert got == golden["array_dataset_" + mode]


def test_default_last_batch_is_keep(golden):
    _, _, ds = _ds()
    assert [desc(b) for b in gluon.data.DataLoader(ds, batch_size=4)] == golden["default_last_batch"]


@pytest.mark.parametrize("name,data,bs", [
    ("python_floats", [0.5 * i for i in range(5)], 2),
    ("python_ints", list(range(5)), 2),
    ("float32_numpy", np.ones((5, 2), np.float32), 3),
    ("uint8_numpy", np.arange(12, dtype=np.uint8).reshape(6, 2), 4),
])
def test_default_batchify_keeps_numpy_dtype(golden, name, data, bs):
    assert [desc(b) for b in gluon.data.DataLoader(data, batch_size=bs)] == golden[name]


def test_array_dataset_items(golden):
    X, y, ds = _ds()
    assert [desc(ds[0]), desc(ds[3])] == golden["numpy_items"]
    assert desc(gluon.data.ArrayDataset(X)[2]) == golden["single_array_item"]
    mixed = gluon.data.ArrayDataset(X, [1.5 * i for i in range(10)], list(range(10)))
    assert desc(mixed[1]) == golden["mixed_items"]
    assert [desc(b) for b in gluon.data.DataLoader(mixed, batch_size=4)] == golden["mixed_batches"]


def test_ndarray_dataset_items_and_batches(golden):
    X, y, _ = _ds()
    nds = gluon.data.ArrayDataset(mx.nd.array(X), mx.nd.array(y))
    # a 2-D NDArray stays NDArray (items are NDArray rows); a 1-D one becomes NumPy (numpy scalar items)
    assert [desc(nds[0]), desc(nds[9])] == golden["nd_items"]
    assert [desc(b) for b in gluon.data.DataLoader(nds, batch_size=4)] == golden["nd_batches"]


def test_nested_tuple_samples_give_nested_lists(golden):
    nested = gluon.data.SimpleDataset([(np.full(2, i, np.int32), (i, i * 0.5)) for i in range(3)])
    assert [desc(b) for b in gluon.data.DataLoader(nested, batch_size=3)] == golden["nested_batches"]


def test_batch_sampler(golden):
    bs = gluon.data.BatchSampler(gluon.data.SequentialSampler(10), 3, "rollover")
    assert [[list(map(int, b)) for b in bs] for _ in range(3)] == golden["batch_sampler_rollover"]
    assert len(bs) == golden["batch_sampler_rollover_len"]
    keep = gluon.data.BatchSampler(gluon.data.SequentialSampler(10, 2), 3, "keep")
    assert [list(map(int, b)) for b in keep] == golden["batch_sampler_keep"]


def test_dataset_methods(golden):
    _, _, ds = _ds()
    tf = ds.transform_first(lambda x: x * 2)
    assert [desc(tf[1]), desc(tf[9])] == golden["transform_first"]
    assert [desc(ds.transform(lambda x, y: (x.sum(), y + 1))[2])] == golden["transform"]
    eager = ds.transform(lambda x, y: y, lazy=False)
    assert len(eager) == golden["transform_eager_len"]
    assert type(eager).__name__ == golden["transform_eager_type"]
    assert desc(gluon.data.SimpleDataset([1, 2, 3]).transform(lambda x: x * 10)[2]) == golden["transform_single"]
    assert [[int(s[i][1]) for i in range(len(s))] for s in (ds.shard(3, k) for k in range(3))] == golden["shard"]
    assert [int(ds.take(3)[i][1]) for i in range(3)] == golden["take"]
    assert len(ds.take(None)) == golden["take_none_len"] and len(ds.take(100)) == golden["take_big_len"]
    flt = ds.filter(lambda s: s[1] % 3 == 0)
    assert [int(flt[i][1]) for i in range(len(flt))] == golden["filter"]
    assert [int(x[1]) for x in ds.sample(gluon.data.SequentialSampler(3, 5))] == golden["sample"]


def test_lazy_transform_runs_per_access():
    calls = []
    ds = gluon.data.SimpleDataset([1, 2, 3]).transform(lambda x: calls.append(x) or x)
    ds[0], ds[0]
    assert calls == [1, 1]
    calls.clear()
    gluon.data.SimpleDataset([1, 2, 3]).transform(lambda x: calls.append(x) or x, lazy=False)
    assert calls == [1, 2, 3]


def test_errors():
    _, _, ds = _ds()
    with pytest.raises(ValueError, match="batch_size must be specified"):
        gluon.data.DataLoader(ds)
    with pytest.raises(ValueError, match="shuffle must not be specified"):
        gluon.data.DataLoader(ds, 2, shuffle=True, sampler=gluon.data.SequentialSampler(10))
    with pytest.raises(ValueError, match="must not be specified if batch_sampler"):
        gluon.data.DataLoader(ds, 2, batch_sampler=gluon.data.BatchSampler(gluon.data.SequentialSampler(10), 2))
    with pytest.raises(ValueError, match="last_batch must be one of"):
        gluon.data.DataLoader(ds, 2, last_batch="drop")
    with pytest.raises(TypeError, match="Expected gluon.data.Sampler"):
        ds.sample([1, 2])
    with pytest.raises(AssertionError, match="same length"):
        gluon.data.ArrayDataset(np.zeros(3), np.zeros(4))


def test_shuffle_follows_numpy_seed():
    _, _, ds = _ds()
    np.random.seed(3)
    a = [b[1].asnumpy().tolist() for b in gluon.data.DataLoader(ds, batch_size=5, shuffle=True)]
    np.random.seed(3)
    b = [b[1].asnumpy().tolist() for b in gluon.data.DataLoader(ds, batch_size=5, shuffle=True)]
    assert a == b and sorted(sum(a, [])) == list(range(10)) and sum(a, []) != list(range(10))


def test_batch_sampler_and_custom_batchify():
    _, _, ds = _ds()
    bs = gluon.data.BatchSampler(gluon.data.SequentialSampler(10), 4, "discard")
    loader = gluon.data.DataLoader(ds, batch_sampler=bs, batchify_fn=lambda samples: [int(s[1]) for s in samples])
    assert list(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(loader) == 2


def test_pin_memory_gives_ndarrays():
    _, _, ds = _ds()
    x, y = next(iter(gluon.data.DataLoader(ds, batch_size=4, pin_memory=True)))
    assert isinstance(x, mx.nd.NDArray) and x.dtype == np.float64 and y.shape == (4,)


def test_auto_reload_prefetches_once():
    """MXNet's DataLoader docstring: a prefetched pass is consumed by the first iterator only."""
    seen = []

    def fn(x):
        seen.append(int(x))
        return x
    ds = gluon.data.SimpleDataset(np.arange(4)).transform(fn)
    loader = gluon.data.DataLoader(ds, batch_size=2, auto_reload=True)
    assert seen == []                        # the same-process iterator is a generator: lazy
    assert [b.asnumpy().tolist() for b in loader] == [[0, 1], [2, 3]]
    assert [b.asnumpy().tolist() for b in loader] == [[0, 1], [2, 3]]


def test_samplers():
    assert list(gluon.data.SequentialSampler(3, 4)) == [4, 5, 6]
    np.random.seed(0)
    r = list(gluon.data.RandomSampler(6))
    assert sorted(r) == list(range(6)) and len(gluon.data.RandomSampler(6)) == 6
    assert list(gluon.data.FilterSampler(lambda x: x > 1, [0, 3, 1, 5])) == [1, 3]
    assert list(gluon.data.IntervalSampler(7, 3)) == [0, 3, 6, 1, 4, 2, 5]
    assert list(gluon.data.IntervalSampler(7, 3, rollover=False)) == [0, 3, 6]
    assert len(gluon.data.IntervalSampler(7, 3, rollover=False)) == 3
    assert len(gluon.data.BatchSampler(gluon.data.SequentialSampler(10), 3, "discard")) == 3


# ---- batchify ------------------------------------------------------------------------------------------
def test_stack():
    s = batchify.Stack()
    out = s([[1, 2, 3, 4], [4, 5, 6, 8], [8, 9, 1, 2]])
    assert out.shape == (3, 4) and out.dtype == np.int64
    a = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.int32)
    out = s([a, a[::-1]])
    assert out.shape == (2, 2, 4) and out.dtype == np.int32
    out = s([mx.nd.array(a), mx.nd.array(a)])
    assert out.dtype == np.float32 and out.shape == (2, 2, 4)
    x, y = s([(np.zeros(2, np.float32), 1), (np.ones(2, np.float32), 0)])
    assert x.shape == (2, 2) and y.asnumpy().tolist() == [1, 0]


def test_pad():
    out = batchify.Pad()([[1, 2, 3, 4], [4, 5, 6], [8, 2]])
    assert out.asnumpy().tolist() == [[1, 2, 3, 4], [4, 5, 6, 0], [8, 2, 0, 0]] and out.dtype == np.int64
    a = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    b = np.array([[5, 8], [1, 2]])
    out = batchify.Pad(val=-1)([a, b])
    assert out.asnumpy().tolist() == [[[1, 2, 3, 4], [5, 6, 7, 8]], [[5, 8, -1, -1], [1, 2, -1, -1]]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = batchify.Pad(val=-1)([mx.nd.array(a), mx.nd.array(b)])
    assert out.dtype == np.float32 and out.asnumpy()[1, 0].tolist() == [5, 8, -1, -1]
    out = batchify.Pad(dtype="float16", round_to=3)([[1, 2], [3]])
    assert out.dtype == np.float16 and out.shape == (2, 3)
    # gluon-nlp style: one axis, with lengths
    x = [np.ones((2, 3), np.float32), np.ones((2, 1), np.float32)]
    out, n = batchify.Pad(val=7, axis=1, ret_length=True)(x)
    assert out.shape == (2, 2, 3) and out.asnumpy()[1, :, 1:].tolist() == [[7, 7], [7, 7]]
    assert n.dtype == np.int32 and n.asnumpy().tolist() == [3, 1]
    out, n = batchify.Pad(ret_length=True)([[1, 2, 3], [4]])
    assert n.asnumpy().tolist() == [3, 1]
    with pytest.raises(ValueError, match="differ along axis 0"):
        batchify.Pad(axis=1)([np.ones((2, 3)), np.ones((3, 1))])
    with pytest.raises(NotImplementedError, match="Group"):
        batchify.Pad()([(1, 2), (3, 4)])


def test_append_group_aslist():
    out = batchify.Append()([[1, 2, 3, 4], [4, 5, 6], [8, 2]])
    assert [o.shape for o in out] == [(1, 4), (1, 3), (1, 2)]
    out = batchify.Append(expand=False)([mx.nd.ones(2), mx.nd.ones(3)])
    assert [o.shape for o in out] == [(2,), (3,)]
    a = ([1, 2, 3, 4], 0, "x")
    b = ([5, 7], 1, "y")
    x, y, z = batchify.Group(batchify.Pad(val=0), batchify.Stack(), batchify.AsList())([a, b])
    assert x.asnumpy().tolist() == [[1, 2, 3, 4], [5, 7, 0, 0]]
    assert y.asnumpy().tolist() == [0, 1] and z == ["x", "y"]
    g = batchify.Group([batchify.Stack(), batchify.Stack()])
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(np.zeros((5, 2)), np.arange(5)), batch_size=5,
                                   batchify_fn=g)
    xb, yb = next(iter(loader))
    assert xb.shape == (5, 2) and yb.dtype == np.int64
    with pytest.raises(AssertionError, match="should contains 3 elements"):
        batchify.Group(batchify.Stack(), batchify.Stack(), batchify.Stack())([a[:2], b[:2]])


def test_docstring_examples():
    import doctest
    import hybridnet.recordio
    from hybridnet.gluon.data import batchify as b, dataloader, dataset, sampler
    from hybridnet.gluon.data.vision import transforms
    for mod in (hybridnet.recordio, sampler, dataset, b, dataloader, transforms):
        res = doctest.testmod(mod, extraglobs={"np": np, "mx": mx})
        assert res.failed == 0 and res.attempted > 0, mod.__name__
