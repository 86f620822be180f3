"""Optimizer trajectories and LR schedules against MXNet 1.9.1 goldens
(tests/golden/optimizer/make_optimizer_goldens.py)."""
import json
import os

import numpy as np
import pytest

import hybridnet as mx

GOLD = os.path.join(os.path.dirname(__file__), "..", "golden", "optimizer")
with open(os.path.join(GOLD, "optimizer_goldens.json")) as f:
    CASES = json.load(f)["cases"]
with open(os.path.join(GOLD, "lr_scheduler_goldens.json")) as f:
    SCHED = json.load(f)["cases"]


def _id(c):
    return f"{c['optimizer']}-{c['dtype']}-" + ",".join(f"{k}={v}" for k, v in sorted(c["kwargs"].items())) + \
        (f"-lrm{c['lr_mult']}" if c["lr_mult"] else "") + (f"-wdm{c['wd_mult']}" if c["wd_mult"] else "")


def _pairs(ours, gold, path="state"):
    """(our array, golden array, path) leaves, walking our state's structure (the golden JSON cannot
    tell a tuple of same-shape arrays from one stacked array)."""
    if ours is None:
        assert gold is None, f"{path}: MXNet has a state here, we have None"
        return []
    if isinstance(ours, (tuple, list)):
        assert isinstance(gold, list) and len(gold) == len(ours), f"{path}: structure differs"
        return [p for k, (o, g) in enumerate(zip(ours, gold)) for p in _pairs(o, g, f"{path}[{k}]")]
    return [(ours.asnumpy(), np.asarray(gold, dtype=np.float64), path)]


def _tol(dtype):
    return {"float16": (2e-3, 1e-3), "float32": (1e-5, 1e-6), "float64": (1e-12, 1e-14)}[dtype]


def run(case, device):
    kw = dict(case["kwargs"])
    if "param_idx2name" in kw:
        kw["param_idx2name"] = {int(k): v for k, v in kw["param_idx2name"].items()}
    dtype = case["dtype"]
    if case["optimizer"] == "adamw":
        kw.setdefault("epsilon", 1e-6)
    opt = mx.optimizer.create(case["optimizer"], **kw)
    if case["lr_mult"]:
        opt.set_lr_mult({int(k): v for k, v in case["lr_mult"].items()})
    if case["wd_mult"]:
        opt.set_wd_mult({int(k): v for k, v in case["wd_mult"].items()})
    upd = mx.optimizer.get_updater(opt)
    weights = [mx.nd.array(np.array(w), ctx=device, dtype=dtype) for w in case["w0"]]
    for s, gold in enumerate(case["steps"]):
        for i, w in enumerate(weights):
            upd(i, mx.nd.array(np.array(case["grads"][s][i]), ctx=device, dtype=dtype), w)
        yield s, gold, weights, upd


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_trajectory_matches_mxnet(case, device):
    rtol, atol = _tol(case["dtype"])
    for s, gold, weights, upd in run(case, device):
        for i, w in enumerate(weights):
            np.testing.assert_allclose(w.asnumpy().astype(np.float64), gold["weights"][i], rtol=rtol, atol=atol,
                                       err_msg=f"weight {i} after step {s + 1}")
            for a, b, path in _pairs(upd.states[i], gold["states"][i], f"state of {i}"):
                srt, sat = _tol(str(a.dtype))
                np.testing.assert_allclose(a.astype(np.float64), b, rtol=max(srt, rtol if a.dtype == np.float16
                                                                            else 1e-5), atol=max(sat, 1e-6),
                                           err_msg=f"{path} after step {s + 1}")
    if case["optimizer"] != "adamw":
        assert upd.optimizer.num_update == case["num_update"]


@pytest.mark.parametrize("case", SCHED, ids=lambda c: f"{c['class']}-{c['kwargs']}")
def test_lr_scheduler_matches_mxnet(case):
    s = getattr(mx.lr_scheduler, case["class"])(**case["kwargs"])
    ours = [s(n) for n in range(len(case["lrs"]))]
    np.testing.assert_allclose(ours, case["lrs"], rtol=1e-12, atol=0)


def test_sgd_momentum_documented_number():
    """gluon-semantics.md 1.10: w0=1, grad=2, lr=0.1, momentum=0.9, wd=0.01 -> 0.41730 after 2 steps."""
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01)
    upd = mx.optimizer.get_updater(opt)
    w = mx.nd.array([1.0])
    for _ in range(2):
        upd(0, mx.nd.array([2.0]), w)
    assert round(float(w.asscalar()), 5) == 0.4173
