"""Updater states: safetensors + JSON round trip, bit-identical resume, errors on bad blobs; the
safetensors reader/writer; Optimizer API details (lr, schedulers, multipliers, registry)."""
import json
import struct

import numpy as np
import pytest

import hybridnet as mx
from hybridnet.errors import FormatError
from hybridnet.formats import safetensors

CONFIGS = [
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
    ("adam", {"learning_rate": 0.01, "wd": 0.01,
              "lr_scheduler": mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=0.01)}),
    ("nadam", {"learning_rate": 0.01}),
    ("rmsprop", {"centered": True, "learning_rate": 0.01}),
    ("lars", {"learning_rate": 0.1, "momentum": 0.9}),
    ("lamb", {"learning_rate": 0.01}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "multi_precision": True}),
]


def _train(upd, weights, grads):
    for g in grads:
        for i, w in enumerate(weights):
            upd(i if i else "named", mx.nd.array(g[i], dtype=w.dtype), w)


def _setup(name, kw, dtype="float32"):
    rng = np.random.default_rng(3)
    w0 = [rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (5,))]
    grads = [[rng.uniform(-1, 1, w.shape) for w in w0] for _ in range(6)]
    return w0, grads


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_resume_is_bit_identical(name, kw):
    import copy
    dtype = "float16" if kw.get("multi_precision") else "float32"
    w0, grads = _setup(name, kw)
    # uninterrupted run
    opt = mx.optimizer.create(name, **copy.deepcopy(kw))
    upd = mx.optimizer.get_updater(opt)
    ws = [mx.nd.array(w, dtype=dtype) for w in w0]
    _train(upd, ws, grads)
    # run 3 steps, save, restore into a fresh updater (optimizer rebuilt from the blob), run 3 more
    opt2 = mx.optimizer.create(name, **copy.deepcopy(kw))
    upd2 = mx.optimizer.get_updater(opt2)
    ws2 = [mx.nd.array(w, dtype=dtype) for w in w0]
    _train(upd2, ws2, grads[:3])
    blob = upd2.get_states(dump_optimizer=True)
    assert isinstance(blob, bytes) and b"pickle" not in blob
    saved_w = [w.asnumpy() for w in ws2]
    upd3 = mx.optimizer.get_updater(mx.optimizer.create("sgd"))
    upd3.set_states(blob)
    assert type(upd3.optimizer) is type(opt)
    assert upd3.optimizer.num_update == 3
    ws3 = [mx.nd.array(w, dtype=dtype) for w in saved_w]
    _train(upd3, ws3, grads[3:])
    for a, b in zip(ws, ws3):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    # without the optimizer: the states and counters restore into an equal optimizer
    opt4 = mx.optimizer.create(name, **copy.deepcopy(kw))
    upd4 = mx.optimizer.get_updater(opt4)
    if "lr_scheduler" in kw:
        opt4.lr_scheduler = copy.deepcopy(kw["lr_scheduler"])
    upd4.set_states(upd2.get_states())
    ws4 = [mx.nd.array(w, dtype=dtype) for w in saved_w]
    _train(upd4, ws4, grads[3:])
    for a, b in zip(ws, ws4):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_states_layout_is_documented_safetensors():
    opt = mx.optimizer.Adam(learning_rate=0.01)
    upd = mx.optimizer.get_updater(opt)
    w = mx.nd.ones((2, 2))
    upd(0, mx.nd.ones((2, 2)), w)
    blob = upd.get_states(dump_optimizer=True)
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0
    header = json.loads(blob[8:8 + n])
    assert header["s0"]["dtype"] == "F32" and header["s0"]["shape"] == [2, 2]
    meta = header["__metadata__"]
    assert meta["format"] == "hybridnet.optimizer.states/1"
    assert json.loads(meta["states"]) == [[{"i": 0}, {"tuple": [{"t": "s0"}, {"t": "s1"}]}]]
    counters = json.loads(meta["counters"])
    assert counters["num_update"] == 1 and counters["counts"] == [[0, [[{"i": 0}, 1]]]]
    assert json.loads(meta["optimizer"])["name"] == "adam"
    tensors, _ = safetensors.loads(blob)
    np.testing.assert_array_equal(tensors["s0"], upd.states[0][0].asnumpy())


@pytest.mark.parametrize("cut", [0, 5, 8, 20, -1])
def test_truncated_or_foreign_states_raise_format_error(cut):
    upd = mx.optimizer.get_updater(mx.optimizer.SGD(momentum=0.9))
    upd(0, mx.nd.ones((3,)), mx.nd.ones((3,)))
    blob = upd.get_states()
    with pytest.raises(FormatError):
        upd.set_states(blob[:cut] if cut >= 0 else blob[:-4])
    with pytest.raises(FormatError, match="not hybridnet optimizer states"):
        upd.set_states(safetensors.dumps({"a": np.zeros(2, np.float32)}, {"format": "other"}))
    import pickle
    with pytest.raises(FormatError):
        upd.set_states(pickle.dumps({0: None}))


def test_safetensors_round_trip_and_validation(tmp_path):
    t = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, 2], np.int64),
         "c": np.zeros((0, 4), np.float16), "d": np.array([True, False])}
    p = tmp_path / "x.safetensors"
    safetensors.save(p, t, {"k": "v"})
    back, meta = safetensors.load(p)
    assert meta == {"k": "v"} and set(back) == set(t)
    for k in t:
        assert back[k].dtype == t[k].dtype and back[k].shape == t[k].shape
        np.testing.assert_array_equal(back[k], t[k])
    raw = p.read_bytes()
    with pytest.raises(FormatError, match="truncated"):
        safetensors.loads(raw[:-3])
    with pytest.raises(FormatError, match="shorter than the 8-byte"):
        safetensors.loads(b"\x01\x02")
    bad = json.dumps({"a": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}}).encode()
    with pytest.raises(FormatError, match="unknown safetensors dtype"):
        safetensors.loads(struct.pack("<Q", len(bad)) + bad + b"\0" * 4)
    bad = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}).encode()
    with pytest.raises(FormatError, match="needs 8 bytes"):
        safetensors.loads(struct.pack("<Q", len(bad)) + bad + b"\0" * 4)
    with pytest.raises(FormatError, match="JSON"):
        safetensors.loads(struct.pack("<Q", 4) + b"\xff\xfe{{")
    with pytest.raises(FormatError, match="cannot store dtype"):
        safetensors.dumps({"x": np.zeros(2, np.complex64)})


def test_optimizer_api_details():
    opt = mx.optimizer.create("adam")
    assert isinstance(opt, mx.optimizer.Adam) and opt.learning_rate == 0.001
    assert mx.optimizer.create("sgd").learning_rate == 0.01
    assert mx.optimizer.Ftrl().learning_rate == 0.1 and mx.optimizer.Adamax().learning_rate == 0.002
    opt.set_learning_rate(0.5)
    assert opt.learning_rate == 0.5
    sched = mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.SGD(lr_scheduler=sched)
    with pytest.raises(UserWarning, match="LRScheduler"):
        opt.set_learning_rate(0.1)
    with pytest.raises(ValueError, match="Cannot find optimizer"):
        mx.optimizer.create("nosuch")
    assert mx.optimizer.Optimizer.create_optimizer is mx.optimizer.create or callable(mx.optimizer.create)
    # multipliers: param_dict first, then index keys, then names via param_idx2name
    class P:
        lr_mult, wd_mult = 0.5, 0.0
    opt = mx.optimizer.SGD(learning_rate=0.1, wd=0.1, param_idx2name={1: "fc_bias", 2: "fc_weight"},
                           param_dict={0: P()})
    assert opt._get_lr(0) == 0.05 and opt._get_wd(0) == 0.0
    assert opt._get_wd(1) == 0.0 and opt._get_wd(2) == 0.1     # non-weight names get wd_mult 0
    opt.set_lr_mult({2: 3.0})
    assert opt._get_lr(2) == pytest.approx(0.3)
    # registering a custom optimizer makes it creatable and savable
    @mx.optimizer.register
    class MyOpt(mx.optimizer.Optimizer):
        def update(self, index, weight, grad, state):
            weight[:] -= self._get_lr(index) * grad
    upd = mx.optimizer.get_updater(mx.optimizer.create("myopt", learning_rate=1.0))
    w = mx.nd.ones((2,))
    upd(0, mx.nd.ones((2,)), w)
    assert w.asnumpy().tolist() == [0.0, 0.0]
    upd.set_states(upd.get_states(dump_optimizer=True))
    assert isinstance(upd.optimizer, MyOpt)
    del mx.optimizer.Optimizer.opt_registry["myopt"]


def test_float16_without_multi_precision_warns():
    opt = mx.optimizer.SGD(momentum=0.9)
    with pytest.warns(UserWarning, match="multi_precision"):
        opt.create_state_multi_precision(0, mx.nd.ones((2,), dtype="float16"))


def test_sgld_noise_statistics():
    mx.random.seed(0)
    opt = mx.optimizer.SGLD(learning_rate=0.04)
    w = mx.nd.zeros((20000,))
    opt.update(0, w, mx.nd.ones((20000,)), None)
    d = w.asnumpy() + 0.02                   # minus the drift -lr/2*grad
    assert abs(d.mean()) < 0.01 and abs(d.std() - 0.2) < 0.01


def test_lr_scheduler_errors():
    with pytest.raises(ValueError):
        mx.lr_scheduler.FactorScheduler(step=0)
    with pytest.raises(ValueError):
        mx.lr_scheduler.MultiFactorScheduler(step=[3, 2])
    with pytest.raises(ValueError):
        mx.lr_scheduler.PolyScheduler(max_update=0)
    with pytest.raises(ValueError):
        mx.lr_scheduler.CosineScheduler(max_update=10, warmup_mode="cubic")
    with pytest.raises(ValueError, match="warmup_begin_lr"):
        mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=0.1, warmup_begin_lr=0.5)
