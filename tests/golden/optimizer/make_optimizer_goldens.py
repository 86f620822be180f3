"""Make the optimizer / LR-scheduler goldens with MXNet 1.9.1 (run with the oracle's Python):

    /work/mx-oracle/bin/python tests/golden/optimizer/make_optimizer_goldens.py

For each case an optimizer is created with ``mx.optimizer.create(name, **kwargs)`` and driven through
``mx.optimizer.get_updater`` (as ``gluon.Trainer`` does) for STEPS steps on two small arrays (indices
0 and 1) with fixed random gradients; the weights and states after every step are stored as JSON lists
(float32 values as Python floats). ``lr_mult``/``wd_mult`` cases use ``set_lr_mult``/``set_wd_mult``
by index. AdamW (not an optimizer in 1.9.1) is driven with MXNet's ``nd.contrib.adamw_update`` in the
form of MXNet 2.0's fused AdamW step. LR schedulers: the rates at updates 0..N.
"""
import json
import math
import os

import mxnet as mx
import numpy as np

STEPS = 5
HERE = os.path.dirname(os.path.abspath(__file__))

CASES = [
    ("sgd", {}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01, "clip_gradient": 0.5, "rescale_grad": 0.5}),
    ("sgd", {"learning_rate": 0.1, "wd": 0.1, "clip_gradient": 0.3}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.5, "lr_mult": {0: 0.5}, "wd_mult": {1: 0.0}, "wd": 0.1}),
    ("nag", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
    ("nag", {"learning_rate": 0.1, "wd": 0.01, "clip_gradient": 0.5}),
    ("adam", {}),
    ("adam", {"learning_rate": 0.01, "wd": 0.1, "clip_gradient": 0.5, "rescale_grad": 2.0}),
    ("adamax", {"wd": 0.01}),
    ("adamax", {"clip_gradient": 0.5, "rescale_grad": 0.5}),
    ("nadam", {"wd": 0.01}),
    ("nadam", {"learning_rate": 0.01, "clip_gradient": 0.5}),
    ("adagrad", {"learning_rate": 0.1}),
    ("adagrad", {"learning_rate": 0.1, "wd": 0.01, "clip_gradient": 0.5, "rescale_grad": 0.5}),
    ("adadelta", {}),
    ("adadelta", {"wd": 0.01, "clip_gradient": 0.5, "rho": 0.8}),
    ("rmsprop", {}),
    ("rmsprop", {"learning_rate": 0.01, "wd": 0.01, "clip_gradient": 0.5, "clip_weights": 0.9}),
    ("rmsprop", {"learning_rate": 0.01, "centered": True}),
    ("rmsprop", {"learning_rate": 0.01, "centered": True, "wd": 0.01, "clip_gradient": 0.5, "clip_weights": 0.9}),
    ("ftrl", {}),
    ("ftrl", {"lamda1": 0.001, "learning_rate": 0.5, "wd": 0.01, "clip_gradient": 0.5}),
    ("ftml", {"learning_rate": 0.01}),
    ("ftml", {"learning_rate": 0.01, "wd": 0.01, "clip_gradient": 0.5}),
    ("signum", {}),
    ("signum", {"learning_rate": 0.01, "wd": 0.01, "wd_lh": 0.01, "clip_gradient": 0.5}),
    ("signum", {"learning_rate": 0.01, "momentum": 0.0, "wd": 0.01}),
    ("lamb", {}),
    ("lamb", {"learning_rate": 0.01, "wd": 0.01, "clip_gradient": 0.5, "bias_correction": False}),
    ("lamb", {"learning_rate": 0.01, "lower_bound": 0.5, "upper_bound": 1.0}),
    ("lars", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
    ("lars", {"learning_rate": 0.1, "eta": 0.01, "param_idx2name": {0: "fc_weight", 1: "fc_bias"}}),
    ("dcasgd", {"learning_rate": 0.1, "wd": 0.01}),  # with momentum MXNet 1.9.1 fails (`if mom:`)
    ("test", {}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01, "multi_precision": True, "dtype": "float16"}),
    ("sgd", {"learning_rate": 0.1, "multi_precision": True, "dtype": "float16"}),
    ("nag", {"learning_rate": 0.1, "momentum": 0.9, "multi_precision": True, "dtype": "float16"}),
    ("adam", {"learning_rate": 0.01, "multi_precision": True, "dtype": "float16"}),
    ("lamb", {"learning_rate": 0.01, "multi_precision": True, "dtype": "float16"}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "dtype": "float64"}),
    ("adam", {"learning_rate": 0.01, "dtype": "float64", "wd": 0.01}),
]

SCHEDULERS = [
    ("FactorScheduler", {"step": 2, "factor": 0.5, "base_lr": 1.0}),
    ("FactorScheduler", {"step": 3, "factor": 0.1, "stop_factor_lr": 1e-3, "base_lr": 1.0, "warmup_steps": 4,
                         "warmup_begin_lr": 0.1}),
    ("MultiFactorScheduler", {"step": [3, 5, 9], "factor": 0.5, "base_lr": 0.2}),
    ("MultiFactorScheduler", {"step": [4, 8], "factor": 0.1, "base_lr": 1.0, "warmup_steps": 3,
                              "warmup_mode": "constant", "warmup_begin_lr": 0.01}),
    ("PolyScheduler", {"max_update": 10, "base_lr": 1.0, "pwr": 2}),
    ("PolyScheduler", {"max_update": 12, "base_lr": 0.5, "pwr": 1, "final_lr": 0.01, "warmup_steps": 3}),
    ("CosineScheduler", {"max_update": 10, "base_lr": 1.0}),
    ("CosineScheduler", {"max_update": 12, "base_lr": 0.5, "final_lr": 0.05, "warmup_steps": 2,
                         "warmup_begin_lr": 0.1}),
]


def _tolist(a):
    """Nested lists; float16/float32 values with 9 significant digits (exact for float32)."""
    a = np.asarray(a)
    if a.dtype == np.float64:
        return a.tolist()
    return np.vectorize(lambda v: float("%.9g" % v), otypes=[np.float64])(a.astype(np.float64)).tolist()


def _flat(state):
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return [_flat(s) for s in state]
    return _tolist(state.asnumpy())


def _data(dtype):
    rng = np.random.RandomState(42)
    shapes = [(2, 3), (4,)]
    w0 = [rng.uniform(-1, 1, s).astype(dtype) for s in shapes]
    grads = [[rng.uniform(-2, 2, s).astype(dtype) for s in shapes] for _ in range(STEPS)]
    return w0, grads


def run_case(name, kw):
    kw = dict(kw)
    dtype = kw.pop("dtype", "float32")
    lr_mult = kw.pop("lr_mult", None)
    wd_mult = kw.pop("wd_mult", None)
    w0, grads = _data(dtype)
    opt = mx.optimizer.create(name, **kw)
    if lr_mult:
        opt.set_lr_mult(lr_mult)
    if wd_mult:
        opt.set_wd_mult(wd_mult)
    upd = mx.optimizer.get_updater(opt)
    weights = [mx.nd.array(w, dtype=dtype) for w in w0]
    steps = []
    for s in range(STEPS):
        for i in range(len(weights)):
            upd(i, mx.nd.array(grads[s][i], dtype=dtype), weights[i])
        steps.append({"weights": [_tolist(w.asnumpy()) for w in weights],
                      "states": [_flat(upd.states[i]) for i in range(len(weights))]})
    return {"optimizer": name, "kwargs": {k: (v if not isinstance(v, dict) else {str(a): b for a, b in v.items()})
                                          for k, v in kw.items()},
            "dtype": dtype, "lr_mult": {str(k): v for k, v in (lr_mult or {}).items()},
            "wd_mult": {str(k): v for k, v in (wd_mult or {}).items()},
            "w0": [_tolist(w) for w in w0],
            "grads": [[_tolist(g) for g in gs] for gs in grads],
            "steps": steps, "num_update": opt.num_update}


def run_adamw(kw):
    """MXNet 2.0's fused AdamW step with 1.9.1's adamw_update op (lr=1, eta = bias-corrected lr)."""
    lr, wd = kw.get("learning_rate", 0.001), kw.get("wd", 0.0)
    b1, b2, eps = 0.9, 0.999, kw.get("epsilon", 1e-6)
    rescale, clip = kw.get("rescale_grad", 1.0), kw.get("clip_gradient", None)
    w0, grads = _data("float32")
    weights = [mx.nd.array(w) for w in w0]
    states = [(mx.nd.zeros(w.shape), mx.nd.zeros(w.shape)) for w in w0]
    steps = []
    for s in range(STEPS):
        t = s + 1
        eta = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        for i, w in enumerate(weights):
            extra = {"clip_gradient": clip} if clip else {}
            mx.nd.contrib.adamw_update(w, mx.nd.array(grads[s][i]), states[i][0], states[i][1],
                                       mx.nd.full((1,), rescale), lr=1.0, eta=eta, wd=wd, beta1=b1, beta2=b2,
                                       epsilon=eps, out=w, **extra)
        steps.append({"weights": [_tolist(w.asnumpy()) for w in weights],
                      "states": [_flat(st) for st in states]})
    return {"optimizer": "adamw", "kwargs": kw, "dtype": "float32", "lr_mult": {}, "wd_mult": {},
            "w0": [_tolist(w) for w in w0],
            "grads": [[_tolist(g) for g in gs] for gs in grads], "steps": steps,
            "num_update": STEPS}


def main():
    out = {"mxnet_version": mx.__version__, "steps": STEPS, "cases": []}
    for name, kw in CASES:
        out["cases"].append(run_case(name, kw))
    out["cases"].append(run_adamw({"learning_rate": 0.01, "wd": 0.1}))
    out["cases"].append(run_adamw({"learning_rate": 0.01, "wd": 0.01, "clip_gradient": 0.5, "rescale_grad": 0.5}))
    with open(os.path.join(HERE, "optimizer_goldens.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    sched = {"mxnet_version": mx.__version__, "cases": []}
    for cls, kw in SCHEDULERS:
        s = getattr(mx.lr_scheduler, cls)(**kw)
        sched["cases"].append({"class": cls, "kwargs": kw, "lrs": [s(n) for n in range(0, 16)]})
    with open(os.path.join(HERE, "lr_scheduler_goldens.json"), "w") as f:
        json.dump(sched, f, indent=1)


if __name__ == "__main__":
    main()
