"""LayerNorm / GroupNorm / InstanceNorm / L2Normalization kernels beyond the op records: every Numba CPU
path (rows and middle-axis, serial and prange) against the array-API body and the float64 NumPy
references, also for means large against the spread (shifted float64 sums); writes into out= buffers;
non-contiguous and float16 inputs; empty reductions; GPU (simulator) == CPU for forward and gradients."""
import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, nd
from hybridnet.kernels.cpu import norm as cpu
from hybridnet.kernels.generic import norm as gen
from hybridnet.testing.op_cases.norm import gn_reference, in_reference, l2_reference, ln_reference


def _params(rng, n, dtype=np.float32):
    return [rng.uniform(0.5, 1.5, n).astype(dtype), rng.uniform(-1, 1, n).astype(dtype)]


CASES = [  # (kind, shape, attrs)
    ("ln", (7, 33), {"axis": -1}), ("ln", (3, 5, 130), {"axis": 2}), ("ln", (4, 9, 6), {"axis": 1}),
    ("ln", (9, 4), {"axis": 0}), ("ln", (2, 3, 4, 5), {"axis": -2}),
    ("gn", (3, 6, 5), {"num_groups": 3}), ("gn", (2, 4, 3, 3), {"num_groups": 1}),
    ("in", (3, 4, 7), {}), ("in", (2, 3, 2, 5), {}),
    ("l2", (4, 3, 5), {"mode": "instance"}), ("l2", (4, 3, 5), {"mode": "channel"}),
    ("l2", (4, 3, 2, 3), {"mode": "spatial"}), ("l2", (6,), {"mode": "instance"}),
]


def _run(kind, x, rng, attrs, fn_set):
    eps = 1e-4
    if kind == "ln":
        p = _params(rng, x.shape[attrs["axis"]], x.dtype)
        ref = ln_reference(x, *p, eps=eps, output_mean_var=True, **attrs)
        return fn_set[0](x, *p, eps=eps, **attrs), ref
    if kind == "gn":
        p = _params(rng, attrs["num_groups"], x.dtype)
        return fn_set[1](x, *p, eps=eps, **attrs), gn_reference(x, *p, eps=eps, output_mean_var=True, **attrs)
    if kind == "in":
        p = _params(rng, x.shape[1], x.dtype)
        z = x.astype(np.float64).reshape(x.shape[0], x.shape[1], -1)
        return fn_set[2](x, *p, eps=eps), (in_reference(x, *p, eps=eps), z.mean(-1), z.var(-1))
    nrm_axes = {"instance": tuple(range(1, x.ndim)), "channel": (1,), "spatial": tuple(range(2, x.ndim))}
    z = x.astype(np.float64)
    nrm = np.sqrt((z * z).sum(axis=nrm_axes[attrs["mode"]], keepdims=attrs["mode"] == "channel") + eps)
    return fn_set[3](x, eps=eps, **attrs), (l2_reference(x, eps=eps, **attrs), nrm)


CPU = (cpu.layer_norm, cpu.group_norm, cpu.instance_norm, cpu.l2_normalization)
GEN = (gen.layer_norm, gen.group_norm, gen.instance_norm, gen.l2_normalization)


@pytest.mark.parametrize("kind,shape,attrs", CASES, ids=[f"{k}-{s}-{a}" for k, s, a in CASES])
@pytest.mark.parametrize("par", [False, True], ids=["serial", "prange"])
@pytest.mark.parametrize("loc", [0.0, 1000.0])
def test_cpu_paths_match_body_and_reference(kind, shape, attrs, par, loc, monkeypatch):
    monkeypatch.setattr(cpu, "ROW_PARALLEL_MIN_SIZE", 0 if par else 2 ** 62)
    rng = np.random.default_rng(1)
    x = (rng.uniform(-2, 2, shape) + (0.0 if kind == "l2" else loc)).astype(np.float32)
    got, ref = _run(kind, x, np.random.default_rng(2), attrs, CPU)
    body, _ = _run(kind, x, np.random.default_rng(2), attrs, GEN)
    assert len(got) == len(ref) == len(body)
    for g, b, r in zip(got, body, ref):
        assert g.dtype == np.float32 and g.shape == np.shape(r)
        np.testing.assert_allclose(g, r, rtol=2e-5, atol=2e-4 if loc else 2e-5)
        np.testing.assert_allclose(b, r, rtol=2e-5, atol=2e-4 if loc else 2e-5)


@pytest.mark.parametrize("kind,shape,attrs", CASES[:1] + CASES[2:3] + CASES[5:6] + CASES[10:11])
def test_writes_into_out_and_accepts_non_contiguous(kind, shape, attrs):
    rng = np.random.default_rng(3)
    x = np.asfortranarray(rng.uniform(-2, 2, shape).astype(np.float32))
    want, _ = _run(kind, np.ascontiguousarray(x), np.random.default_rng(4), attrs, CPU)
    outs = tuple(np.empty_like(w) for w in want)
    fn = CPU[["ln", "gn", "in", "l2"].index(kind)]

    def call(out):
        r = np.random.default_rng(4)
        if kind == "ln":
            return fn(x, *_params(r, shape[attrs["axis"]]), eps=1e-4, out=out, **attrs)
        if kind == "gn":
            return fn(x, *_params(r, attrs["num_groups"]), eps=1e-4, out=out, **attrs)
        return fn(x, eps=1e-4, out=out, **attrs)
    got = call(outs)
    assert all(a is b for a, b in zip(got, outs))
    for g, w in zip(outs, want):
        np.testing.assert_array_equal(g, w)
    got1 = call(np.empty_like(want[0]))              # a single array: the first output
    np.testing.assert_array_equal(got1[0], want[0])


def test_float16_computes_in_float32():
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, (6, 40)).astype(np.float16)
    g, b = [a.astype(np.float16) for a in _params(rng, 40)]
    y, m, s = cpu.layer_norm(x, g, b, eps=1e-5)
    assert y.dtype == m.dtype == s.dtype == np.float16
    np.testing.assert_allclose(y.astype(np.float64), ln_reference(x, g, b).astype(np.float64), rtol=2e-3, atol=3e-3)
    y2, _ = cpu.l2_normalization(x.reshape(6, 4, 10), eps=1e-10, mode="channel")
    np.testing.assert_allclose(y2.astype(np.float64), l2_reference(x.reshape(6, 4, 10), mode="channel"),
                               rtol=2e-3, atol=2e-3)


def test_empty_reduction_gives_nan_statistics():
    y, m, s = nd.LayerNorm(nd.ones((3, 0)), nd.ones((0,)), nd.zeros((0,)), output_mean_var=True)
    assert y.shape == (3, 0) and m.shape == (3, 1) and np.isnan(m.asnumpy()).all() and np.isnan(s.asnumpy()).all()
    y = nd.InstanceNorm(nd.ones((2, 3, 0)), nd.ones((3,)), nd.zeros((3,)))
    assert y.shape == (2, 3, 0)


def test_constant_rows_normalise_to_beta():
    x = np.full((3, 16), 7.25, np.float32)
    g, b = np.full(16, 2.0, np.float32), np.linspace(-1, 1, 16).astype(np.float32)
    y, m, s = cpu.layer_norm(x, g, b, eps=1e-5)
    np.testing.assert_array_equal(y, np.broadcast_to(b, y.shape))
    np.testing.assert_array_equal(m, 7.25)
    y, n = cpu.l2_normalization(np.zeros((2, 3), np.float32), eps=0.0)   # 0 / 0 as MXNet: NaN
    assert np.isnan(y).all() and (n == 0).all()


GPU_CASES = [("LayerNorm", [(4, 6), (6,), (6,)], {"output_mean_var": True}),
             ("LayerNorm", [(2, 3, 4), (3,), (3,)], {"axis": 1}),
             ("GroupNorm", [(2, 4, 3), (2,), (2,)], {"num_groups": 2}),
             ("InstanceNorm", [(2, 3, 4), (3,), (3,)], {}),
             ("L2Normalization", [(2, 3, 4)], {"mode": "channel"}),
             ("L2Normalization", [(2, 3, 4)], {"mode": "spatial"})]


@pytest.mark.parametrize("op,shapes,attrs", GPU_CASES, ids=[f"{o}-{a}" for o, _, a in GPU_CASES])
def test_gpu_matches_cpu(op, shapes, attrs):
    if mx.num_gpus() == 0:
        pytest.skip("no GPU and no simulator")
    rng = np.random.default_rng(6)
    vals = [rng.uniform(0.5, 1.5, s).astype(np.float32) for s in shapes]
    head = rng.uniform(-1, 1, shapes[0]).astype(np.float32)
    res = {}
    for dev in (mx.cpu(), mx.gpu(0)):
        arrs = [nd.array(v, ctx=dev) for v in vals]
        for a in arrs:
            a.attach_grad()
        with autograd.record():
            out = getattr(nd, op)(*arrs, **attrs)
        outs = out if isinstance(out, (list, tuple)) else [out]
        outs[0].backward(nd.array(head, ctx=dev))
        res[dev.device_type] = [o.asnumpy() for o in outs] + [a.grad.asnumpy() for a in arrs]
    for a, b in zip(res["cpu"], res["gpu"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


# ---- _backward_LayerNorm ------------------------------------------------------------------------------

from hybridnet.testing.op_cases.norm import ln_backward_reference  # noqa: E402

BWD_CASES = [((7, 33), -1), ((3, 5, 130), 2), ((4, 9, 6), 1), ((9, 4), 0), ((2, 3, 4, 5), -2), ((130, 7), -1)]


def _bwd_inputs(shape, axis, dtype=np.float32, loc=0.0, seed=7):
    rng = np.random.default_rng(seed)
    x = (rng.uniform(-2, 2, shape) + loc).astype(dtype)
    g, b = _params(rng, shape[axis], dtype)
    _, mean, std = cpu.layer_norm(x, g, b, axis=axis, eps=1e-4)
    head = rng.uniform(-1, 1, shape).astype(dtype)
    gm, gs = (rng.uniform(-1, 1, mean.shape).astype(dtype) for _ in range(2))
    return head, x, g, mean, std, gm, gs


@pytest.mark.parametrize("shape,axis", BWD_CASES, ids=[f"{s}-{a}" for s, a in BWD_CASES])
@pytest.mark.parametrize("par", [False, True], ids=["serial", "prange"])
@pytest.mark.parametrize("wide", [False, True], ids=["dtype-acc", "float64-acc"])
@pytest.mark.parametrize("extra", [False, True], ids=["plain", "mean-std-grads"])
def test_backward_cpu_paths_match_body_and_reference(shape, axis, par, wide, extra, monkeypatch):
    monkeypatch.setattr(cpu, "ROW_PARALLEL_MIN_SIZE", 0 if par else 2 ** 62)
    monkeypatch.setattr(cpu, "BWD_WIDE_ROW", 0 if wide else 2 ** 62)
    args = _bwd_inputs(shape, axis, loc=100.0)
    if not extra:
        args = args[:5]
    ref = ln_backward_reference(*[a.astype(np.float64) for a in args], axis=axis)
    got = cpu.layer_norm_backward(*args, axis=axis)
    body = gen.layer_norm_backward(*args, axis=axis)
    for g, b, r in zip(got, body, ref):
        assert g.dtype == np.float32 and g.shape == r.shape
        scale = np.abs(r).max()
        np.testing.assert_allclose(g, r, rtol=0, atol=2e-6 * scale)
        np.testing.assert_allclose(b, r, rtol=0, atol=2e-6 * scale)


def test_backward_long_rows_accumulate_accurately():
    """Rows longer than BWD_WIDE_ROW (float64 row sums) and just below it (compute-dtype lane sums)."""
    for L in (cpu.BWD_WIDE_ROW, cpu.BWD_WIDE_ROW + 1):
        args = _bwd_inputs((3, L), -1, loc=10.0)
        ref = ln_backward_reference(*[a.astype(np.float64) for a in args], axis=-1)
        for g, r in zip(cpu.layer_norm_backward(*args, axis=-1), ref):
            np.testing.assert_allclose(g, r, rtol=0, atol=1e-5 * np.abs(r).max())


def test_backward_out_non_contiguous_and_float16():
    head, x, g, mean, std, gm, gs = _bwd_inputs((6, 40), -1)
    want = cpu.layer_norm_backward(head, x, g, mean, std, gm, gs, axis=-1)
    # Fortran-ordered data / head and a strided gamma give the same result
    got = cpu.layer_norm_backward(np.asfortranarray(head), np.asfortranarray(x), np.repeat(g, 2)[::2], mean, std,
                                  gm, gs, axis=-1)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    outs = tuple(np.empty_like(w) for w in want)
    got = cpu.layer_norm_backward(head, x, g, mean, std, gm, gs, axis=-1, out=outs)
    assert all(a is b for a, b in zip(got, outs))
    for a, b in zip(outs, want):
        np.testing.assert_array_equal(a, b)
    # a transposed view with the normalised axis in the middle
    head3, x3, g3, mean3, std3, _, _ = _bwd_inputs((4, 9, 6), 1)
    want3 = cpu.layer_norm_backward(head3, x3, g3, mean3, std3, axis=1)
    xt = np.ascontiguousarray(x3.transpose(2, 1, 0)).transpose(2, 1, 0)
    ht = np.ascontiguousarray(head3.transpose(2, 1, 0)).transpose(2, 1, 0)
    for a, b in zip(cpu.layer_norm_backward(ht, xt, g3, mean3, std3, axis=1), want3):
        np.testing.assert_array_equal(a, b)
    # float16: computed in float32, results in float16
    h16 = [a.astype(np.float16) for a in (head, x, g, mean, std, gm, gs)]
    ref = ln_backward_reference(*[a.astype(np.float64) for a in h16], axis=-1)
    got = cpu.layer_norm_backward(*h16, axis=-1)
    for a, r in zip(got, ref):
        assert a.dtype == np.float16
        np.testing.assert_allclose(a.astype(np.float64), r, rtol=2e-3, atol=3e-3 * np.abs(r).max())


def test_backward_empty():
    for shape in ((0, 4), (3, 0)):
        x = np.ones(shape, np.float32)
        st = (shape[0], 1)
        dx, dg, db = cpu.layer_norm_backward(x, x, np.ones(shape[1], np.float32), np.zeros(st, np.float32),
                                             np.ones(st, np.float32), axis=-1)
        assert dx.shape == shape and dg.shape == db.shape == (shape[1],)
        assert (dg == 0).all() and (db == 0).all()


@pytest.mark.parametrize("create_graph", [False, True])
def test_layernorm_grad_uses_backward_op_and_matches_composite(create_graph):
    """LayerNorm's grad rule (one _backward_LayerNorm call) == the registry-op composite it replaced, for
    first-order gradients and a gradient of a gradient (output_mean_var: heads on mean and std too)."""
    from hybridnet.ops import get_op
    from hybridnet.ops import norm as ops_norm
    rng = np.random.default_rng(8)
    vals = [rng.uniform(-2, 2, (3, 5, 4)), rng.uniform(0.5, 1.5, 5), rng.uniform(-1, 1, 5)]
    heads = [rng.uniform(-1, 1, s) for s in ((3, 5, 4), (3, 1, 4), (3, 1, 4))]
    op = get_op("LayerNorm")
    res = []
    for rule in (op.grad, ops_norm._ln_grad_composite):
        old, op.grad = op.grad, rule
        try:
            arrs = [nd.array(v, dtype="float64") for v in vals]
            for a in arrs:
                a.attach_grad()
            with autograd.record():
                outs = nd.LayerNorm(*arrs, axis=1, output_mean_var=True)
                gx = autograd.grad(outs, [arrs[0]], head_grads=[nd.array(h, dtype="float64") for h in heads],
                                   create_graph=create_graph)[0]
                z = (gx * gx).sum() if create_graph else None
            if create_graph:
                z.backward()
                res.append([gx.asnumpy()] + [a.grad.asnumpy() for a in arrs])
            else:
                res.append([gx.asnumpy()])
        finally:
            op.grad = old
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape,axis,extra", [((4, 6), -1, True), ((2, 3, 4), 1, False)])
def test_backward_gpu_matches_cpu(shape, axis, extra):
    if mx.num_gpus() == 0:
        pytest.skip("no GPU and no simulator")
    args = _bwd_inputs(shape, axis)
    if not extra:
        args = args[:5]
    want = nd._backward_LayerNorm(*[nd.array(a) for a in args], axis=axis)
    got = nd._backward_LayerNorm(*[nd.array(a, ctx=mx.gpu(0)) for a in args], axis=axis)
    for a, b in zip(got, want):
        assert a.context == mx.gpu(0)
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-5, atol=1e-5)
