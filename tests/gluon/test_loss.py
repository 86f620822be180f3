"""gluon.loss against MXNet 1.9.1 goldens (tests/golden/loss/, made by make_loss_goldens.py with the
oracle): every loss class with 2-3 settings, outputs and d(loss.sum())/d(pred), eagerly and
hybridized, with and without autograd; cache hits on repeated hybridized calls; higher-order
gradients through the fused softmax cross entropy; errors; the loss ops' GPU kernels on every
op-case sample (the CUDA simulator in CI)."""
import json
import os

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, nd
from hybridnet.errors import AutogradError, HybridNetError, ShapeError
from hybridnet.gluon import loss as gloss

GOLD = json.load(open(os.path.join(os.path.dirname(__file__), "..", "golden", "loss", "loss_goldens.json")))
CASES = GOLD["cases"]


def _inputs(c, ctx=None):
    return [None if a is None else nd.array(np.asarray(a, np.float32).reshape(s), ctx=ctx)
            for a, s in zip(c["inputs"], c["input_shapes"])]


def _tol(c):
    return (2e-4, 2e-5) if c["cls"] == "CTCLoss" else (1e-5, 1e-6)


def _run(loss, args, gi, record):
    args = [None if a is None else a.copy() for a in args]
    if not record:
        return loss(*args).asnumpy(), None
    args[gi].attach_grad()
    with autograd.record():
        out = loss(*args)
        s = out.sum()
    s.backward()
    return out.asnumpy(), args[gi].grad.asnumpy()


@pytest.mark.parametrize("hybridize", [False, True], ids=["eager", "hybridized"])
@pytest.mark.parametrize("c", CASES, ids=lambda c: c["name"])
def test_loss_matches_mxnet(c, hybridize):
    loss = getattr(gloss, c["cls"])(**c["kwargs"])
    if hybridize:
        loss.hybridize()
    args = _inputs(c)
    rtol, atol = _tol(c)
    want = np.asarray(c["output"], np.float32).reshape(c["output_shape"])
    for record in (False, True):
        out, grad = _run(loss, args, c["grad_input"], record)
        assert out.shape == want.shape, f"{c['name']}: shape {out.shape} != MXNet's {want.shape}"
        np.testing.assert_allclose(out, want, rtol=rtol, atol=atol, err_msg=f"{c['name']} record={record}")
        if record and c["grad"] is not None:
            # float32 gradients through sums with cancellation (SDML, KL): a few ulps of the inputs' scale
            np.testing.assert_allclose(grad, np.asarray(c["grad"], np.float32), rtol=max(rtol, 1e-4),
                                       atol=max(atol, 1e-5),
                                       err_msg=f"{c['name']}: gradient w.r.t. input {c['grad_input']}")
    if hybridize:
        n = loss._trace_count
        _run(loss, args, c["grad_input"], False)
        _run(loss, args, c["grad_input"], True)
        assert loss._trace_count == n, f"{c['name']}: a repeated hybridized call re-traced"


def test_poisson_full_differentiable():
    """MXNet's PoissonNLLLoss(compute_full=True) cannot run under autograd (in-place ops); ours can:
    the gradient is the analytic exp(pred) - target, averaged."""
    c = next(c for c in CASES if c["name"] == "poisson_full")
    pred, target = _inputs(c)
    for hyb in (False, True):
        loss = gloss.PoissonNLLLoss(compute_full=True)
        if hyb:
            loss.hybridize()
        _, g = _run(loss, [pred, target], 0, True)
        np.testing.assert_allclose(g, (np.exp(pred.asnumpy()) - target.asnumpy()) / pred.size, rtol=1e-5)


def test_softmax_ce_fused_equals_composite_with_higher_order():
    """The fused sparse path equals -pick(log_softmax(x)) in value, gradient and second order."""
    rng = np.random.default_rng(0)
    x = nd.array(rng.standard_normal((6, 5)), dtype="float64")
    y = nd.array(rng.integers(0, 5, 6), dtype="float64")
    v = nd.array(rng.standard_normal((6, 5)), dtype="float64")

    def fused(x):
        return gloss.SoftmaxCELoss()(x, y)

    def composite(x):
        return -nd.pick(nd.log_softmax(x), y, axis=-1)

    res = []
    for f in (fused, composite):
        xx = x.copy()
        xx.attach_grad()
        with autograd.record():
            out = f(xx)
            (g,) = autograd.grad(out.sum(), [xx], create_graph=True)
            hv = (g * v).sum()
        hv.backward()
        res.append((out.asnumpy(), g.asnumpy(), xx.grad.asnumpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_ctc_second_order_raises():
    x = nd.array(np.random.default_rng(0).standard_normal((4, 2, 5)))
    x.attach_grad()
    with autograd.record():
        out = nd.CTCLoss(x, nd.array([[1, 2], [3, 0]]))
        (g,) = autograd.grad(out.sum(), [x], create_graph=True)
        s = (g * g).sum()
    with pytest.raises(AutogradError, match="second-order gradients through CTCLoss"):
        s.backward()


def test_ctc_mxnet_positional_label_lengths():
    """nd.CTCLoss(data, label, label_lengths, use_label_lengths=True): the third array is the label
    lengths, as MXNet's generated function reads it (values from MXNet 1.9.1)."""
    d = np.random.RandomState(0).randn(4, 2, 5)
    lab = nd.array([[1, 2], [3, 0]])
    x = nd.array(d)
    np.testing.assert_allclose(nd.CTCLoss(x, lab).asnumpy(), [4.4929156, 5.5909514], rtol=1e-5)
    np.testing.assert_allclose(nd.CTCLoss(x, lab, nd.array([1, 2]), use_label_lengths=True).asnumpy(),
                               [4.334605, 8.193285], rtol=1e-5)
    np.testing.assert_allclose(nd.CTCLoss(x, lab, blank_label="last").asnumpy(), [3.887403, 4.770308], rtol=1e-5)


def test_repr_and_aliases():
    assert repr(gloss.L2Loss()) == "L2Loss(batch_axis=0, w=1.0)"
    assert repr(gloss.SoftmaxCELoss(weight=2, batch_axis=1)) == "SoftmaxCrossEntropyLoss(batch_axis=1, w=2)"
    assert gloss.SoftmaxCELoss is gloss.SoftmaxCrossEntropyLoss
    assert gloss.SigmoidBCELoss is gloss.SigmoidBinaryCrossEntropyLoss
    assert isinstance(gloss.L1Loss(), mx.gluon.HybridBlock)
    assert set(gloss.__all__) >= {"Loss", "CTCLoss", "SDMLLoss", "PoissonNLLLoss", "CosineEmbeddingLoss"}


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="label_format can only be signed or binary"):
        gloss.LogisticLoss(label_format="pm1")
    with pytest.raises(ValueError, match="'NTC' and 'TNC'"):
        gloss.CTCLoss(layout="NCT")
    with pytest.raises(ValueError, match="'NT' and 'TN'"):
        gloss.CTCLoss(label_layout="NN")
    with pytest.raises(TypeError, match="weight must be a number"):
        gloss.L1Loss(weight="2")(nd.ones((2, 2)), nd.ones((2, 2)))


@pytest.mark.parametrize("hybridize", [False, True], ids=["eager", "hybridized"])
def test_bad_inputs_name_the_op(hybridize):
    loss = gloss.SoftmaxCELoss()
    if hybridize:
        loss.hybridize()
    with pytest.raises(ShapeError, match="_softmax_ce_sparse.*label shape"):
        loss(nd.ones((4, 3)), nd.ones((5,)))
    l1 = gloss.L1Loss()
    if hybridize:
        l1.hybridize()
    with pytest.raises(HybridNetError, match="reshape_like"):
        l1(nd.ones((4, 3)), nd.ones((5,)))
    ctc = gloss.CTCLoss()
    if hybridize:
        ctc.hybridize()
    with pytest.raises(ShapeError, match="CTCLoss.*exceeds the sequence length"):
        ctc(nd.ones((2, 3, 4)), nd.ones((2, 5)))


def test_float64_and_sample_weight_broadcast():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3))
    y = rng.integers(0, 3, 4)
    sw = rng.uniform(0, 1, (4, 1))
    out = gloss.SoftmaxCELoss()(nd.array(x, dtype="float64"), nd.array(y, dtype="float64"),
                                nd.array(sw, dtype="float64"))
    assert out.dtype == np.float64 and out.shape == (4,)
    m = x.max(1, keepdims=True)
    lp = x - m - np.log(np.exp(x - m).sum(1, keepdims=True))
    np.testing.assert_allclose(out.asnumpy(), -lp[np.arange(4), y] * sw[:, 0], rtol=1e-12)


# ---- the loss ops' GPU kernels on every sample (the template checks only the first) ----------------

def _loss_op_cases():
    from hybridnet.testing.op_cases import loss as lc
    return lc.CASES


@pytest.mark.parametrize("case", _loss_op_cases(), ids=lambda c: c.name)
def test_loss_op_gpu_equals_cpu_every_sample(case):
    if mx.num_gpus() == 0:
        pytest.skip("no GPU and no simulator")
    from hybridnet.testing.op_runner import call_op, make_inputs, to_nd
    rng = np.random.default_rng(3)
    for dtype in case.dtypes:
        for s in case.samples:
            xs = make_inputs(case, s, dtype, rng)
            if sum(x.size for x in xs) > 5000 and mx.gpu(0) and os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
                continue   # large samples: minutes in the simulator; they run on real GPUs
            c = call_op(case, [to_nd(x) for x in xs], s.attrs).asnumpy()
            g = call_op(case, [to_nd(x, mx.gpu(0)) for x in xs], s.attrs).asnumpy()
            tol = 2e-3 if dtype == "float16" else 1e-5
            np.testing.assert_allclose(g, c, rtol=tol, atol=tol, equal_nan=True,
                                       err_msg=f"{case.name} {dtype} {s.note}")
