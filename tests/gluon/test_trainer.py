"""gluon.Trainer against MXNet 1.9.1 (goldens in tests/golden/gluon, made by make_gluon_goldens.py) and the
numeric contract of gluon-semantics.md §1.9 / §2.13 / §2.14: loss, gradients and parameters over three
steps of SGD (momentum + wd), Adam and plain SGD; ``step(batch_size)`` rescaling; sorted dict keys;
stale gradients; ``allreduce_grads`` + ``update``; learning-rate control; kvstore strings; grad_req='null';
gradients summed over context replicas; ``save_states``/``load_states`` resuming bit-identically in a
non-pickle format.

Small hand-checked numbers (the ``(w * 2).sum()`` runs) were measured with MXNet 1.9.1."""
import json
import os
import pickle

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, gluon, nd
from hybridnet.errors import FormatError
from hybridnet.gluon import nn
from hybridnet.gluon.utils import split_and_load

GOLD_DIR = os.path.join(os.path.dirname(__file__), "..", "golden", "gluon")
with open(os.path.join(GOLD_DIR, "gluon_goldens.json")) as f:
    GOLD = json.load(f)
TRAINER = GOLD["trainer"]


@pytest.fixture(autouse=True)
def _own_names():
    """Blocks made here never advance the process-wide name counters other test files rely on."""
    with mx.name.NameManager():
        yield


def f32(v):
    return np.array(v, dtype=np.float32)


def assert_close(actual, desired, msg, rtol=1e-5):
    """rtol ~1e-5 of the array's scale: float32 sums in a different order than MXNet's BLAS can differ by a
    few ulps of the largest term, which is a large relative error on an element near zero."""
    desired = f32(desired)
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=rtol * max(1.0, float(np.abs(desired).max())),
                               err_msg=msg)


def softmax_ce(pred, label):
    """gluon.loss.SoftmaxCrossEntropyLoss() when the loss module is there, else its formula."""
    try:
        from hybridnet.gluon import loss as gloss
        return gloss.SoftmaxCrossEntropyLoss()(pred, label)
    except (ImportError, AttributeError):
        return -nd.pick(nd.log_softmax(pred, axis=-1), label, axis=-1, keepdims=True).mean(axis=1)


def trainer_net(init=None):
    with mx.name.NameManager():
        net = nn.HybridSequential()
        net.add(nn.Dense(8, in_units=4, activation="relu"))
        net.add(nn.Dense(3, in_units=8))
    net.initialize()
    if init is not None:
        for k, p in net.collect_params().items():
            p.set_data(nd.array(f32(init[k])))
    return net


def scalar_param(value=1.0, name="w"):
    w = gluon.Parameter(name, shape=(1,))
    w.initialize(mx.init.Constant(value))
    return w


def twice_step(w, trainer, batch_size=1):
    """One `(w * 2).sum()` backward + step: the gradient is 2."""
    with autograd.record():
        loss = (w.data() * 2).sum()
    loss.backward()
    trainer.step(batch_size)
    return float(w.data().asnumpy()[0])


# ---- the golden runs ------------------------------------------------------------------------------
@pytest.mark.parametrize("hybridize", [False, True], ids=["eager", "hybridized"])
@pytest.mark.parametrize("run", sorted(TRAINER["runs"]))
def test_trainer_golden_steps(run, hybridize):
    rec = TRAINER["runs"][run]
    net = trainer_net(rec["params_init"])
    params = net.collect_params()
    assert list(params.keys()) == rec["collect_params_keys"]
    if hybridize:
        net.hybridize()
    trainer = gluon.Trainer(params, rec["optimizer"], dict(rec["optimizer_params"]))
    x, y = nd.array(f32(TRAINER["x"])), nd.array(f32(TRAINER["y"]))
    assert TRAINER["steps"] == len(rec["steps"]) == 3
    for i, step in enumerate(rec["steps"]):
        with autograd.record():
            loss = softmax_ce(net(x), y)
        loss.backward()
        assert_close(loss.asnumpy(), step["loss"], f"{run} step {i} loss")
        for k, p in params.items():
            assert_close(p.grad().asnumpy(), step["grads"][k], f"{run} step {i} grad {k}")
        trainer.step(TRAINER["batch_size"])
        for k, p in params.items():
            assert_close(p.data().asnumpy(), step["params"][k], f"{run} step {i} param {k}")
    assert trainer.learning_rate == pytest.approx(rec["trainer_learning_rate"])


# ---- construction ---------------------------------------------------------------------------------
def test_dict_keys_are_sorted():
    net = trainer_net()
    params = net.collect_params()
    assert list(params.keys()) == ["dense0_weight", "dense0_bias", "dense1_weight", "dense1_bias"]
    trainer = gluon.Trainer(params, "sgd", {"learning_rate": 0.1})
    order = [trainer.optimizer.param_dict[i].name for i in range(4)]
    assert order == sorted(params.keys()) == ["dense0_bias", "dense0_weight", "dense1_bias", "dense1_weight"]
    a, b = scalar_param(name="a"), scalar_param(name="b")
    trainer = gluon.Trainer({"z": a, "y": b}, "sgd")
    assert [trainer.optimizer.param_dict[i] for i in range(2)] == [b, a]
    trainer = gluon.Trainer([a, b], "sgd")       # a list keeps its order
    assert [trainer.optimizer.param_dict[i] for i in range(2)] == [a, b]


def test_optimizer_instance_with_params_is_an_error():
    w = scalar_param()
    with pytest.raises(AssertionError, match="optimizer_params must be None if optimizer is an instance of "
                                             "Optimizer instead of str"):
        gluon.Trainer([w], mx.optimizer.SGD(), {"learning_rate": 0.1})
    sgd = mx.optimizer.SGD(learning_rate=0.1)
    trainer = gluon.Trainer([w], sgd)
    assert trainer.optimizer is sgd
    assert twice_step(w, trainer) == pytest.approx(0.8)


def test_trainer_before_deferred_init():
    """A Trainer over deferred Parameters works once the first forward has set their shapes (§2.11)."""
    with mx.name.NameManager():
        net = nn.Dense(2)
    net.initialize(mx.init.One())
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    with autograd.record():
        loss = net(nd.ones((1, 3))).sum()
    loss.backward()
    trainer.step(1)
    np.testing.assert_allclose(net.weight.data().asnumpy(), np.full((2, 3), 0.9, np.float32), rtol=1e-6)
    np.testing.assert_allclose(net.bias.data().asnumpy(), np.full((2,), -0.1, np.float32), rtol=1e-6)


# ---- the numeric contract -------------------------------------------------------------------------
def test_step_rescale_contract():
    """§2.14: SGD lr 0.1, grad 2 from (w*2).sum(), step(1): w 1 -> 0.8 -> 0.6 (MXNet 1.9.1)."""
    w = scalar_param()
    trainer = gluon.Trainer([w], "sgd", {"learning_rate": 0.1})
    assert twice_step(w, trainer) == pytest.approx(0.8, abs=1e-7)
    assert twice_step(w, trainer) == pytest.approx(0.6, abs=1e-7)
    # step(batch_size) sets rescale_grad = 1/batch_size: step(4) moves by lr * 2 / 4
    w = scalar_param()
    trainer = gluon.Trainer([w], "sgd", {"learning_rate": 0.1})
    assert twice_step(w, trainer, batch_size=4) == pytest.approx(0.95, abs=1e-7)
    assert trainer.optimizer.rescale_grad == pytest.approx(0.25)


def test_rescale_grad_option_multiplies():
    """optimizer_params rescale_grad is the base scale that step(batch_size) divides (MXNet's _scale)."""
    w = scalar_param()
    trainer = gluon.Trainer([w], "sgd", {"learning_rate": 0.1, "rescale_grad": 0.5})
    assert twice_step(w, trainer, batch_size=2) == pytest.approx(1 - 0.1 * 2 * 0.5 / 2, abs=1e-7)


def test_set_learning_rate():
    """MXNet 1.9.1: lr 0.1 then set_learning_rate(0.5) before step 2: w 0.8, -0.2, -1.2."""
    w = scalar_param()
    trainer = gluon.Trainer([w], "sgd", {"learning_rate": 0.1})
    assert trainer.learning_rate == pytest.approx(0.1)
    got = [twice_step(w, trainer)]
    trainer.set_learning_rate(0.5)
    assert trainer.learning_rate == 0.5
    assert trainer.optimizer.lr == 0.5
    got += [twice_step(w, trainer), twice_step(w, trainer)]
    np.testing.assert_allclose(got, [0.8, -0.2, -1.2], rtol=1e-6)


@pytest.mark.parametrize("with_lr", [False, True])
def test_lr_scheduler_through_optimizer_params(with_lr):
    """MXNet 1.9.1: FactorScheduler(step=1, factor=0.5), lr 0.1: w 0.8, 0.7, 0.65; learning_rate 0.025."""
    if with_lr:
        kw = {"learning_rate": 0.1, "lr_scheduler": mx.lr_scheduler.FactorScheduler(step=1, factor=0.5)}
    else:
        kw = {"lr_scheduler": mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=0.1)}
    w = scalar_param()
    trainer = gluon.Trainer([w], "sgd", kw)
    got = [twice_step(w, trainer) for _ in range(3)]
    np.testing.assert_allclose(got, [0.8, 0.7, 0.65], rtol=1e-6)
    assert trainer.learning_rate == pytest.approx(0.025)


# ---- stale gradients ------------------------------------------------------------------------------
class TwoBranches(nn.Block):
    """Uses only branch `a` in forward: `b`'s gradient is never written."""

    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.a = nn.Dense(2, in_units=2)
            self.b = nn.Dense(2, in_units=2)

    def forward(self, x):
        return self.a(x)


STALE_TEXT = ("has not been updated by backward since last `step`. This could mean a bug in your model that made "
              "it only use a subset of the Parameters (Blocks) for this iteration. If you are intentionally only "
              "using a subset, call step with ignore_stale_grad=True to suppress this warning and skip updating "
              "of Parameters with stale gradient")


def test_stale_gradient_raises_mxnet_text():
    with mx.name.NameManager():
        net = TwoBranches()
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    with autograd.record():
        loss = net(nd.ones((1, 2))).sum()
    loss.backward()
    with pytest.raises(UserWarning) as ei:      # raised, not warned (MXNet 1.9.1)
        trainer.step(1)
    msg = str(ei.value)
    # sorted order: twobranches0_dense0_bias is the first parameter; dense1 (branch b) is stale
    assert msg.startswith("Gradient of Parameter `twobranches0_dense1_bias` on context cpu(0) ")
    assert STALE_TEXT in msg


def test_ignore_stale_grad_skips_only_stale_params():
    with mx.name.NameManager():
        net = TwoBranches()
    net.initialize()
    params = net.collect_params()
    trainer = gluon.Trainer(params, "sgd", {"learning_rate": 0.1})
    before = {k: p.data().asnumpy().copy() for k, p in params.items()}
    with autograd.record():
        loss = net(nd.ones((1, 2))).sum()
    loss.backward()
    grads = {k: p.grad().asnumpy().copy() for k, p in params.items()}
    trainer.step(1, ignore_stale_grad=True)
    for k, p in params.items():
        if "_dense0_" in k:     # used: plain SGD update
            np.testing.assert_allclose(p.data().asnumpy(), before[k] - 0.1 * grads[k], rtol=1e-6, atol=1e-7)
        else:                   # stale: untouched
            np.testing.assert_array_equal(p.data().asnumpy(), before[k])
    # a second step without backward: everything is stale now
    with pytest.raises(UserWarning, match="twobranches0_dense0_bias"):
        trainer.step(1)
    mid = {k: p.data().asnumpy().copy() for k, p in params.items()}
    trainer.step(1, ignore_stale_grad=True)
    for k, p in params.items():
        np.testing.assert_array_equal(p.data().asnumpy(), mid[k])


def test_grad_req_null_is_skipped():
    with mx.name.NameManager():
        net = nn.Dense(2, in_units=2)
    net.initialize()
    net.bias.grad_req = "null"
    bias = net.bias.data().asnumpy().copy()
    weight = net.weight.data().asnumpy().copy()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    for _ in range(2):
        with autograd.record():
            loss = net(nd.ones((1, 2))).sum()
        loss.backward()
        trainer.step(1)            # no stale-gradient error for the 'null' bias
    np.testing.assert_array_equal(net.bias.data().asnumpy(), bias)
    np.testing.assert_allclose(net.weight.data().asnumpy(), weight - 0.2, rtol=1e-6, atol=1e-7)


# ---- allreduce_grads + update -----------------------------------------------------------------------
def _batch(n=6):
    return (nd.array(np.random.RandomState(3).uniform(-1, 1, (n, 4)).astype(np.float32)),
            nd.array(np.arange(n, dtype=np.float32) % 3))


@pytest.mark.parametrize("optimizer,kw", [("sgd", {"learning_rate": 0.1, "momentum": 0.9}),
                                          ("adam", {"learning_rate": 0.01})])
def test_allreduce_then_update_equals_step(optimizer, kw):
    init = TRAINER["runs"]["adam"]["params_init"]
    x, y = _batch()
    results = []
    for split in (False, True):
        net = trainer_net(init)
        trainer = gluon.Trainer(net.collect_params(), optimizer, dict(kw))
        for _ in range(3):
            with autograd.record():
                loss = softmax_ce(net(x), y)
            loss.backward()
            if split:
                trainer.allreduce_grads()
                trainer.update(6)
            else:
                trainer.step(6)
        results.append({k: p.data().asnumpy() for k, p in net.collect_params().items()})
    for k in results[0]:
        np.testing.assert_array_equal(results[0][k], results[1][k])


def test_update_checks_stale_grads_too():
    w = scalar_param()
    trainer = gluon.Trainer([w], "sgd", {"learning_rate": 0.1})
    trainer.allreduce_grads()
    with pytest.raises(UserWarning, match="Gradient of Parameter `w` on context cpu\\(0\\)"):
        trainer.update(1)
    trainer.update(1, ignore_stale_grad=True)
    assert float(w.data().asnumpy()[0]) == 1.0


# ---- kvstore ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kvstore", ["device", "local", None])
def test_kvstore_strings_accepted(kvstore):
    w = scalar_param()
    trainer = gluon.Trainer([w], "sgd", {"learning_rate": 0.1}, kvstore=kvstore)
    assert twice_step(w, trainer) == pytest.approx(0.8)


@pytest.mark.parametrize("kvstore", ["nosuch", "dist_sync"])
def test_kvstore_unsupported_is_clear(kvstore):
    """MXNet 1.9.1 ignores an unknown kvstore string on one device and fails deep in ps-lite for dist_*;
    hybridnet rejects both at construction and says what works."""
    w = scalar_param()
    with pytest.raises(ValueError) as ei:
        gluon.Trainer([w], "sgd", {"learning_rate": 0.1}, kvstore=kvstore)
    msg = str(ei.value)
    assert repr(kvstore) in msg and "'device'" in msg and "'local'" in msg and "None" in msg


def test_update_on_kvstore_true_is_clear():
    w = scalar_param()
    with pytest.raises(ValueError, match="update_on_kvstore"):
        gluon.Trainer([w], "sgd", update_on_kvstore=True)


# ---- several contexts ---------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer,kw", [("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3}),
                                          ("adam", {"learning_rate": 0.01})])
def test_multi_context_replicas_sum_gradients(optimizer, kw):
    init = TRAINER["runs"]["adam"]["params_init"]
    ctxs = [mx.cpu(0), mx.cpu(1)]
    x, y = _batch(6)

    single = trainer_net(init)
    t1 = gluon.Trainer(single.collect_params(), optimizer, dict(kw))

    with mx.name.NameManager():
        multi = nn.HybridSequential()
        multi.add(nn.Dense(8, in_units=4, activation="relu"))
        multi.add(nn.Dense(3, in_units=8))
    multi.initialize(ctx=ctxs)
    for k, p in multi.collect_params().items():
        assert p.list_ctx() == ctxs
        p.set_data(nd.array(f32(init[k])))
    t2 = gluon.Trainer(multi.collect_params(), optimizer, dict(kw))

    for _ in range(3):
        with autograd.record():
            loss = softmax_ce(single(x), y)
        loss.backward()
        t1.step(6)

        xs = split_and_load(x, ctxs)
        ys = split_and_load(y, ctxs)
        assert [a.context for a in xs] == ctxs and [a.shape[0] for a in xs] == [3, 3]
        with autograd.record():
            losses = [softmax_ce(multi(a), b) for a, b in zip(xs, ys)]
        for loss in losses:
            loss.backward()
        t2.step(6)                  # the global batch: gradients are summed over the replicas

    for k, p in multi.collect_params().items():
        reps = [d.asnumpy() for d in p.list_data()]
        assert [d.context for d in p.list_data()] == ctxs
        np.testing.assert_array_equal(reps[0], reps[1], err_msg=f"replicas of {k} differ")
        np.testing.assert_allclose(reps[0], single.collect_params()[k].data().asnumpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=f"{k}: two contexts != one context on the whole batch")


def test_multi_context_allreduce_sums_grads():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    w = gluon.Parameter("w", shape=(1,))
    w.initialize(mx.init.One(), ctx=ctxs)
    trainer = gluon.Trainer([w], "sgd", {"learning_rate": 0.1})
    with autograd.record():
        losses = [(w.data(c) * (i + 2)).sum() for i, c in enumerate(ctxs)]
    for loss in losses:
        loss.backward()
    trainer.allreduce_grads()
    assert [float(g.asnumpy()[0]) for g in w.list_grad()] == [5.0, 5.0]
    trainer.update(1)
    assert [float(d.asnumpy()[0]) for d in w.list_data()] == pytest.approx([0.5, 0.5])


# ---- save_states / load_states --------------------------------------------------------------------------
def _train(net, trainer, n, x, y):
    for _ in range(n):
        with autograd.record():
            loss = softmax_ce(net(x), y)
        loss.backward()
        trainer.step(x.shape[0])


@pytest.mark.parametrize("optimizer,kw", [("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3}),
                                          ("adam", {"learning_rate": 0.01})])
def test_save_load_states_resume_bit_identical(tmp_path, optimizer, kw):
    init = TRAINER["runs"]["adam"]["params_init"]
    x, y = _batch(6)
    net = trainer_net(init)
    trainer = gluon.Trainer(net.collect_params(), optimizer, dict(kw))
    _train(net, trainer, 3, x, y)
    pfile, sfile = str(tmp_path / "net.params"), str(tmp_path / "trainer.states")
    net.save_parameters(pfile)
    trainer.save_states(sfile)
    _train(net, trainer, 2, x, y)
    expect = {k: p.data().asnumpy() for k, p in net.collect_params().items()}

    fresh = trainer_net()
    fresh.load_parameters(pfile)
    trainer2 = gluon.Trainer(fresh.collect_params(), optimizer, dict(kw))
    trainer2.load_states(sfile)
    _train(fresh, trainer2, 2, x, y)
    for k, p in fresh.collect_params().items():
        np.testing.assert_array_equal(p.data().asnumpy(), expect[k], err_msg=f"{optimizer}: {k}")
    assert trainer2.learning_rate == trainer.learning_rate

    # without the states the resumed run differs (the momentum / moments matter)
    other = trainer_net()
    other.load_parameters(pfile)
    _train(other, gluon.Trainer(other.collect_params(), optimizer, dict(kw)), 2, x, y)
    assert any(not np.array_equal(p.data().asnumpy(), expect[k]) for k, p in other.collect_params().items())


def test_states_file_is_not_a_pickle(tmp_path):
    w = scalar_param()
    trainer = gluon.Trainer([w], "adam", {"learning_rate": 0.01})
    twice_step(w, trainer)
    sfile = str(tmp_path / "s.states")
    trainer.save_states(sfile)
    with open(sfile, "rb") as f:
        data = f.read()
    assert not data.startswith(b"\x80")                 # pickle protocol 2+ opcode
    n = int.from_bytes(data[:8], "little")             # safetensors: u64 header size, JSON header, data
    header = json.loads(data[8:8 + n].decode("utf-8"))
    assert "__metadata__" in header
    with pytest.raises(Exception):
        pickle.loads(data)


def test_truncated_states_file_raises_format_error(tmp_path):
    w = scalar_param()
    trainer = gluon.Trainer([w], "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    twice_step(w, trainer)
    sfile = str(tmp_path / "s.states")
    trainer.save_states(sfile)
    with open(sfile, "rb") as f:
        data = f.read()
    for cut in (4, 20, len(data) // 2, len(data) - 3):
        bad = str(tmp_path / f"cut{cut}.states")
        with open(bad, "wb") as f:
            f.write(data[:cut])
        with pytest.raises(FormatError):
            gluon.Trainer([scalar_param()], "sgd", {"learning_rate": 0.1, "momentum": 0.9}).load_states(bad)
    bad = str(tmp_path / "pickle.states")
    with open(bad, "wb") as f:
        f.write(pickle.dumps(({}, None)))
    with pytest.raises(FormatError):
        gluon.Trainer([scalar_param()], "sgd").load_states(bad)
