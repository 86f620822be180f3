"""Generate loss_goldens.json with MXNet 1.9.1 (run with /work/mx-oracle/bin/python; never imported by
the tests). For each case: the gluon.loss class, its constructor kwargs, the call's positional inputs
(None where MXNet gets None), MXNet's output and d(loss.sum())/d(input[grad_input])."""
import json
import os

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd

R = np.random.RandomState(42)


def u(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, shape).astype(np.float32)


def ints(hi, *shape):
    return R.randint(0, hi, shape).astype(np.float32)


def signs(*shape):
    return np.where(R.uniform(size=shape) > 0.5, 1.0, -1.0).astype(np.float32)


def probs(*shape, axis=-1):
    e = np.exp(u(*shape))
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)


def logp(*shape):
    return np.log(probs(*shape)).astype(np.float32)


CASES = []


def case(name, cls, kwargs, inputs, grad_input=0, note=""):
    CASES.append(dict(name=name, cls=cls, kwargs=kwargs, inputs=inputs, grad_input=grad_input, note=note))


# L2 / L1
case("l2", "L2Loss", {}, [u(4, 3), u(4, 3)])
case("l2_weight_batch_axis1_sw", "L2Loss", {"weight": 2.0, "batch_axis": 1}, [u(3, 4, 2), u(3, 4, 2), u(1, 4, 1)])
case("l2_label_reshaped", "L2Loss", {}, [u(4, 3), u(12)])
case("l1", "L1Loss", {}, [u(4, 3), u(4, 3)])
case("l1_weight_sw", "L1Loss", {"weight": 0.5}, [u(4, 3), u(4, 3), u(4, 1)])
# sigmoid BCE
case("bce", "SigmoidBinaryCrossEntropyLoss", {}, [u(4, 3, lo=-4, hi=4), ints(2, 4, 3)])
case("bce_pos_weight", "SigmoidBCELoss", {}, [u(4, 3, lo=-4, hi=4), ints(2, 4, 3), None, u(1, 3, lo=0.5, hi=3)])
case("bce_from_sigmoid", "SigmoidBCELoss", {"from_sigmoid": True, "weight": 1.5},
     [u(4, 3, lo=0.05, hi=0.95), ints(2, 4, 3), u(4, 1, lo=0, hi=2)])
case("bce_from_sigmoid_pos_weight", "SigmoidBCELoss", {"from_sigmoid": True},
     [u(4, 3, lo=0.05, hi=0.95), ints(2, 4, 3), None, u(1, 3, lo=0.5, hi=3)])
# softmax CE
case("sce_sparse", "SoftmaxCrossEntropyLoss", {}, [u(5, 4), ints(4, 5)])
case("sce_sparse_label_n1_weight_sw", "SoftmaxCELoss", {"weight": 0.7}, [u(5, 4), ints(4, 5, 1), u(5, 1, lo=0, hi=2)])
case("sce_dense", "SoftmaxCELoss", {"sparse_label": False}, [u(5, 4), probs(5, 4)])
case("sce_from_logits", "SoftmaxCELoss", {"from_logits": True}, [logp(5, 4), ints(4, 5)])
case("sce_from_logits_dense", "SoftmaxCELoss", {"from_logits": True, "sparse_label": False},
     [logp(5, 4), probs(5, 4)])
case("sce_axis1_3d", "SoftmaxCELoss", {"axis": 1}, [u(2, 4, 3), ints(4, 2, 3)])
case("sce_batch_axis1", "SoftmaxCELoss", {"batch_axis": 1}, [u(3, 2, 4), ints(4, 3, 2)])
# KL
case("kl", "KLDivLoss", {}, [logp(4, 5), probs(4, 5)])
case("kl_not_from_logits_axis1_sw", "KLDivLoss", {"from_logits": False, "axis": 1},
     [u(2, 4, 3), probs(2, 4, 3, axis=1), u(2, 1, 1, lo=0, hi=2)])
# CTC (pred (N, T, C); blank is C-1; label padded with -1)
case("ctc", "CTCLoss", {}, [u(3, 6, 5), np.array([[0, 1, 1, -1], [2, 3, -1, -1], [1, 2, 0, 3]], np.float32)])
case("ctc_tnc_tn", "CTCLoss", {"layout": "TNC", "label_layout": "TN", "weight": 2.0},
     [u(6, 3, 5), np.array([[0, 2, 1], [1, 3, 2], [-1, -1, 0]], np.float32)])
case("ctc_lengths_sw", "CTCLoss", {},
     [u(3, 6, 5), np.array([[0, 1, 1, 2], [2, 3, 0, 0], [1, 2, 0, 3]], np.float32),
      np.array([6, 4, 5], np.float32), np.array([3, 2, 4], np.float32), np.array([1.0, 0.5, 2.0], np.float32)])
# Huber / hinge
case("huber", "HuberLoss", {}, [u(4, 3), u(4, 3)])
case("huber_rho_sw", "HuberLoss", {"rho": 0.5}, [u(4, 3), u(4, 3), u(4, 1)])
case("hinge", "HingeLoss", {}, [u(4, 3), signs(4, 3)])
case("hinge_margin", "HingeLoss", {"margin": 2.0, "weight": 0.5}, [u(4, 3), signs(4, 3)])
case("sqhinge", "SquaredHingeLoss", {}, [u(4, 3), signs(4, 3)])
case("sqhinge_margin_sw", "SquaredHingeLoss", {"margin": 0.5}, [u(4, 3), signs(4, 3), u(4, 1)])
case("logistic", "LogisticLoss", {}, [u(4, 3, lo=-5, hi=5), signs(4, 3)])
case("logistic_binary", "LogisticLoss", {"label_format": "binary", "weight": 2.0}, [u(4, 3, lo=-5, hi=5), ints(2, 4, 3)])
# triplet
case("triplet", "TripletLoss", {}, [u(4, 3), u(4, 3), u(4, 3)])
case("triplet_margin_3d", "TripletLoss", {"margin": 0.2}, [u(4, 2, 3), u(4, 2, 3), u(4, 2, 3)])
# Poisson
case("poisson", "PoissonNLLLoss", {}, [u(4, 3), ints(5, 4, 3)])
case("poisson_not_logits_sw", "PoissonNLLLoss", {"from_logits": False, "weight": 2.0},
     [u(4, 3, lo=0.1, hi=3), ints(5, 4, 3), u(4, 1)])
case("poisson_full", "PoissonNLLLoss", {"compute_full": True}, [u(4, 3), ints(4, 4, 3) + 1])
# cosine embedding
case("cosine", "CosineEmbeddingLoss", {}, [u(4, 5), u(4, 5), signs(4)])
case("cosine_margin_sw", "CosineEmbeddingLoss", {"margin": 0.3}, [u(4, 5), u(4, 5), signs(4), u(4, 1)])
# SDML
case("sdml", "SDMLLoss", {}, [u(4, 3), u(4, 3)])
case("sdml_smoothing", "SDMLLoss", {"smoothing_parameter": 0.1}, [u(3, 5, lo=-0.5, hi=0.5), u(3, 5, lo=-0.5, hi=0.5)])


def run(c):
    loss = getattr(gluon.loss, c["cls"])(**c["kwargs"])
    args = [None if a is None else nd.array(a) for a in c["inputs"]]
    g = args[c["grad_input"]]
    g.attach_grad()
    try:
        with autograd.record():
            out = loss(*args)
            s = out.sum()
        s.backward()
    except mx.base.MXNetError:
        # PoissonNLLLoss(compute_full=True) uses in-place *= and += that MXNet's autograd refuses:
        # its output only (hybridnet also differentiates it)
        return loss(*args).asnumpy(), None
    return out.asnumpy(), g.grad.asnumpy()


def tolist(a):
    return None if a is None else np.asarray(a).tolist()


out = {"mxnet_version": mx.__version__, "cases": []}
for c in CASES:
    o, g = run(c)
    out["cases"].append(dict(name=c["name"], cls=c["cls"], kwargs=c["kwargs"],
                             inputs=[tolist(a) for a in c["inputs"]],
                             input_shapes=[None if a is None else list(a.shape) for a in c["inputs"]],
                             grad_input=c["grad_input"], output=tolist(o), output_shape=list(o.shape),
                             grad=tolist(g)))
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loss_goldens.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote", path, len(out["cases"]), "cases", os.path.getsize(path), "bytes")
