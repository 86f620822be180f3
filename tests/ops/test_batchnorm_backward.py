"""``_backward_BatchNorm`` beyond its op record: every Numba CPU path (channels in the middle / channels last,
serial and prange) against the array-API body and the float64 NumPy reference, also for means large
against the spread; out= buffers, non-contiguous and float16 inputs; GPU (simulator) == CPU; and
BatchNorm's grad rule (one ``_backward_BatchNorm`` call) == the registry-op composite it replaced, for every
BatchNorm variant and mode, first order and a gradient of a gradient."""
import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, nd
from hybridnet.kernels.cpu import norm as cpu
from hybridnet.kernels.generic import norm as gen
from hybridnet.testing.op_cases.norm import bn_backward_reference

CASES = [((4, 3, 5, 6), 1), ((40, 7), 1), ((4, 5, 6, 3), -1), ((4, 5, 6), 0), ((3, 4, 2, 5), 2), ((300, 2), 1)]


def _inputs(shape, axis, dtype=np.float32, loc=0.0, flag=1.0, seed=7):
    rng = np.random.default_rng(seed)
    ax = axis % len(shape)
    C = shape[ax]
    red = tuple(i for i in range(len(shape)) if i != ax)
    x = (rng.uniform(-2, 2, shape) + loc).astype(dtype)
    pdt = np.float32 if dtype == np.float16 else dtype
    mean = x.astype(np.float64).mean(axis=red).astype(pdt)
    inv = (1.0 / np.sqrt(x.astype(np.float64).var(axis=red) + 1e-3)).astype(pdt)
    head = rng.uniform(-1, 1, shape).astype(dtype)
    gamma = rng.uniform(0.5, 1.5, C).astype(pdt)
    gm, gv = (rng.uniform(-1, 1, C).astype(pdt) for _ in range(2))
    return head, x, gamma, mean, inv, np.array([flag], pdt), gm, gv


@pytest.mark.parametrize("shape,axis", CASES, ids=[f"{s}-{a}" for s, a in CASES])
@pytest.mark.parametrize("par", [False, True], ids=["serial", "prange"])
@pytest.mark.parametrize("flag", [0.0, 1.0], ids=["running-stats", "batch-stats"])
@pytest.mark.parametrize("fix_gamma", [False, True], ids=["gamma", "fix_gamma"])
@pytest.mark.parametrize("extra", [False, True], ids=["plain", "mean-var-grads"])
def test_cpu_paths_match_body_and_reference(shape, axis, par, flag, fix_gamma, extra, monkeypatch):
    monkeypatch.setattr(cpu, "BN_BWD_PARALLEL_MIN_SIZE", 0 if par else 2 ** 62)
    args = _inputs(shape, axis, loc=100.0, flag=flag)
    if not extra:
        args = args[:6]
    ref = bn_backward_reference(*[a.astype(np.float64) for a in args], axis=axis, fix_gamma=fix_gamma)
    got = cpu.batch_norm_backward(*args, axis=axis, fix_gamma=fix_gamma)
    body = gen.batch_norm_backward(*args, axis=axis, fix_gamma=fix_gamma)
    for g, b, r in zip(got, body, ref):
        assert g.dtype == np.float32 and g.shape == r.shape
        scale = max(np.abs(r).max(), 1.0)
        np.testing.assert_allclose(g, r, rtol=0, atol=3e-6 * scale)
        np.testing.assert_allclose(b, r, rtol=0, atol=3e-6 * scale)
    if fix_gamma:
        assert (got[1] == 0).all()


def test_out_non_contiguous_and_float16():
    head, x, g, mean, inv, flag, gm, gv = _inputs((6, 4, 5), 1)
    kw = dict(axis=1, fix_gamma=False)
    want = cpu.batch_norm_backward(head, x, g, mean, inv, flag, gm, gv, **kw)
    got = cpu.batch_norm_backward(np.asfortranarray(head), np.asfortranarray(x), np.repeat(g, 2)[::2], mean, inv,
                                  flag, gm, gv, **kw)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    xt = np.ascontiguousarray(x.transpose(2, 1, 0)).transpose(2, 1, 0)
    for a, b in zip(cpu.batch_norm_backward(head, xt, g, mean, inv, flag, gm, gv, **kw), want):
        np.testing.assert_array_equal(a, b)
    outs = tuple(np.empty_like(w) for w in want)
    got = cpu.batch_norm_backward(head, x, g, mean, inv, flag, gm, gv, out=outs, **kw)
    assert all(a is b for a, b in zip(got, outs))
    for a, b in zip(outs, want):
        np.testing.assert_array_equal(a, b)
    # float16 data / head: computed in float32, grad_data float16, grad_gamma/beta float32 (parameter dtype)
    args = _inputs((6, 4, 5), 1, dtype=np.float16)
    ref = bn_backward_reference(*[a.astype(np.float64) for a in args], **kw)
    for impl in (cpu.batch_norm_backward, gen.batch_norm_backward):
        got = impl(*args, **kw)
        assert [a.dtype for a in got] == [np.float16, np.float32, np.float32]
        for a, r in zip(got, ref):
            np.testing.assert_allclose(a.astype(np.float64), r, rtol=2e-3, atol=3e-3 * np.abs(r).max())


def test_empty():
    x = np.ones((0, 3), np.float32)
    c = np.ones(3, np.float32)
    dx, dg, db = cpu.batch_norm_backward(x, x, c, c, c, np.ones(1, np.float32), axis=1, fix_gamma=False)
    assert dx.shape == (0, 3) and dg.shape == db.shape == (3,) and (dg == 0).all() and (db == 0).all()


OPS = ["BatchNorm", "_contrib_BatchNormWithReLU", "_contrib_SyncBatchNorm"]
MODES = [  # (attrs, train)
    (dict(fix_gamma=False, output_mean_var=True), True),
    (dict(fix_gamma=True, output_mean_var=True), True),
    (dict(fix_gamma=False, output_mean_var=True, axis=-1), True),
    (dict(fix_gamma=False, use_global_stats=True, output_mean_var=True), True),
    (dict(fix_gamma=False, output_mean_var=True), False),
    (dict(fix_gamma=False), True),
]


_MODE_IDS = ["train", "fix_gamma", "axis-last", "global-stats", "predict", "one-output"]


@pytest.mark.parametrize("op,attrs,train", [pytest.param(op, a, t, id=f"{op}-{i}")
                                            for op in OPS for (a, t), i in zip(MODES, _MODE_IDS)
                                            if not (op == "_contrib_SyncBatchNorm" and "axis" in a)])  # no axis attr
@pytest.mark.parametrize("create_graph", [False, True], ids=["first", "second"])
def test_grad_rule_matches_composite(op, attrs, train, create_graph):
    """BatchNorm's grad rule == the registry-op composite (``ops.norm._make_grad_composite``), with heads on the
    visible mean/invstd outputs, in training / predict mode and use_global_stats; second order included."""
    from hybridnet.ops import get_op
    from hybridnet.ops import norm as ops_norm
    rng = np.random.default_rng(9)
    shape = (3, 4, 5)
    C = shape[attrs.get("axis", 1)]
    vals = [rng.uniform(-2, 2, shape), rng.uniform(0.5, 1.5, C), rng.uniform(-1, 1, C) + 0.3,
            rng.uniform(-0.5, 0.5, C), rng.uniform(0.5, 1.5, C)]
    nout = 3 if attrs.get("output_mean_var") else 1
    heads = [rng.uniform(-1, 1, s) for s in (shape, (C,), (C,))][:nout]
    bop = get_op(op)
    composite = ops_norm._make_grad_composite(fixed_axis=1 if op == "_contrib_SyncBatchNorm" else None,
                                              relu=op == "_contrib_BatchNormWithReLU")
    res = []
    for rule in (bop.grad, composite):
        old, bop.grad = bop.grad, rule
        try:
            arrs = [nd.array(v, dtype="float64") for v in vals]
            for a in arrs[:3]:
                a.attach_grad()
            with autograd.record(train_mode=train):
                outs = getattr(nd, op)(*arrs, **attrs)
                outs = outs if isinstance(outs, (list, tuple)) else [outs]
                gs = autograd.grad(outs, arrs[:3], head_grads=[nd.array(h, dtype="float64") for h in heads],
                                   create_graph=create_graph)
                z = sum(((g * g).sum() for g in gs[:1]), (gs[1] * gs[2]).sum()) if create_graph else None
            got = [g.asnumpy() for g in gs]
            if create_graph:
                z.backward()
                got += [a.grad.asnumpy() for a in arrs[:3]]
            res.append(got)
        finally:
            bop.grad = old
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("shape,axis,extra,fix_gamma", [((4, 6), 1, True, False), ((2, 3, 4), 1, False, True),
                                                        ((2, 3, 4), -1, True, False)])
def test_backward_gpu_matches_cpu(shape, axis, extra, fix_gamma):
    if mx.num_gpus() == 0:
        pytest.skip("no GPU and no simulator")
    args = _inputs(shape, axis)
    if not extra:
        args = args[:6]
    kw = dict(axis=axis, fix_gamma=fix_gamma)
    want = nd._backward_BatchNorm(*[nd.array(a) for a in args], **kw)
    got = nd._backward_BatchNorm(*[nd.array(a, ctx=mx.gpu(0)) for a in args], **kw)
    for a, b in zip(got, want):
        assert a.context == mx.gpu(0)
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-5, atol=1e-5)


def test_gpu_train_gradients_match_cpu():
    """BatchNorm trained on the GPU (simulator): the rule's _backward_BatchNorm runs the array-API body."""
    if mx.num_gpus() == 0:
        pytest.skip("no GPU and no simulator")
    args = _inputs((4, 3, 5), 1)
    out = {}
    for dev in (mx.cpu(), mx.gpu(0)):
        x, g, b = (nd.array(a, ctx=dev) for a in args[1:4])
        mm, mv = nd.zeros((3,), ctx=dev), nd.ones((3,), ctx=dev)
        for a in (x, g, b):
            a.attach_grad()
        with autograd.record():
            y = nd.BatchNorm(x, g, b, mm, mv, fix_gamma=False)
        y.backward(nd.array(args[0], ctx=dev))
        out[dev.device_type] = [a.grad.asnumpy() for a in (x, g, b)]
    for a, b in zip(out["cpu"], out["gpu"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
