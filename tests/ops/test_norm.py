"""BatchNorm in training mode (the op records in hybridnet/testing/op_cases/norm.py cover predict mode and
use_global_stats): batch statistics and the in-forward running-stat update against NumPy, gradients to
second order, compiled == eager, GPU (simulator) == CPU, the Numba kernel's paths (channels-last rows,
parallel variants, large means) against the array-API body, and the Symbol API."""
import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, graph, nd
from hybridnet.testing import numeric_grad_check
from hybridnet.testing.op_cases.norm import bn_reference

OPS = {"BatchNorm": {}, "_contrib_BatchNormWithReLU": {"relu": True}, "_contrib_SyncBatchNorm": {}}


def _inputs(shape, axis=1, dtype=np.float32, seed=0, loc=0.0):
    rng = np.random.default_rng(seed)
    C = shape[axis]
    x = (rng.uniform(-2, 2, shape) + loc).astype(dtype)
    pdt = np.float32 if dtype == np.float16 else dtype
    return [x, rng.uniform(0.5, 1.5, C).astype(pdt), rng.uniform(-1, 1, C).astype(pdt),
            rng.uniform(-1, 1, C).astype(pdt), rng.uniform(0.5, 2, C).astype(pdt)]


def _call(op, arrays, **attrs):
    return getattr(nd, op)(*arrays, **attrs)


_GEOMS = [((4, 3), 1), ((2, 3, 5), 1), ((2, 3, 2, 2), -1), ((3, 4, 5), 0), ((5,), 0), ((0, 3), 1)]


@pytest.mark.parametrize("op,shape,axis", [(op, s, a) for op in OPS for s, a in _GEOMS
                                           if not (op == "_contrib_SyncBatchNorm" and a != 1)])  # (no axis attr)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_train_forward_and_state_update(op, shape, axis, dtype):
    xs = _inputs(shape, axis, dtype)
    attrs = dict(fix_gamma=False, momentum=0.8, eps=1e-4, output_mean_var=True)
    if op != "_contrib_SyncBatchNorm":
        attrs["axis"] = axis
    arrs = [nd.array(a, dtype=a.dtype) for a in xs]
    with autograd.train_mode():
        y, mean, invstd = _call(op, arrs, **attrs)
    want = bn_reference(*xs, train=True, states=True, **OPS[op], **attrs)
    tol = dict(rtol=3e-3, atol=3e-3) if dtype == np.float16 else dict(rtol=1e-5, atol=1e-5)
    assert y.dtype == dtype and mean.dtype == (np.float32 if dtype == np.float16 else dtype)
    for got, w in zip([y, mean, invstd, arrs[3], arrs[4]], want):
        np.testing.assert_allclose(got.asnumpy().astype(np.float64), w.astype(np.float64), **tol)


def test_fix_gamma_and_global_stats_in_train_mode():
    xs = _inputs((4, 3, 2))
    arrs = [nd.array(a) for a in xs]
    with autograd.train_mode():
        y = nd.BatchNorm(*arrs)                       # fix_gamma=True: gamma taken as 1
        y2 = nd.BatchNorm(*[nd.array(a) for a in xs], use_global_stats=True, fix_gamma=False)
    np.testing.assert_allclose(y.asnumpy(), bn_reference(*xs, train=True), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y2.asnumpy(), bn_reference(*xs, fix_gamma=False), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(arrs[1].asnumpy(), xs[1])  # gamma is not overwritten (MXNet writes 1s)


def _train_fn(op, attrs, outs="visible"):
    def fn(*a):
        with autograd.train_mode():
            r = _call(op, list(a), **attrs)
        return r
    return fn


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("attrs", [dict(fix_gamma=False), dict(fix_gamma=True, output_mean_var=True),
                                   dict(fix_gamma=False, output_mean_var=True, axis=-1)],
                         ids=["plain", "fixgamma_meanvar", "meanvar_axislast"])
@pytest.mark.parametrize("order", [1, 2])
def test_train_gradients_numeric(op, attrs, order):
    """Gradients of data, gamma, beta (and, through the visible mean/var outputs, their true gradients),
    float64, first and second order."""
    if op == "_contrib_SyncBatchNorm":
        attrs = {k: v for k, v in attrs.items() if k != "axis"}
    xs = _inputs((3, 4, 2), attrs.get("axis", 1) % 3, np.float64, seed=order)
    if op == "_contrib_BatchNormWithReLU":
        xs[2] = xs[2] + 3.0                            # keep the relu away from its kink
    numeric_grad_check(_train_fn(op, attrs), xs, wrt=(0, 1, 2), order=order, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("op", list(OPS))
def test_train_compiled_equals_eager(op):
    xs = _inputs((4, 3, 5), 1, np.float64)
    attrs = dict(fix_gamma=False, output_mean_var=True)
    f = graph.compile(lambda *a: _call(op, list(a), **attrs))
    res = []
    for fn in (f, lambda *a: _call(op, list(a), **attrs)):
        arrs = [nd.array(a, dtype=a.dtype) for a in xs]
        for i in (0, 1, 2):
            arrs[i].attach_grad()
        with autograd.record():
            y, m, v = fn(*arrs)
            loss = (y * y).sum() + (m * v).sum()
        loss.backward()
        with autograd.train_mode():            # and once without recording
            y2 = fn(*[nd.array(a, dtype=a.dtype) for a in xs])[0]
        res.append([y, m, v, arrs[3], arrs[4], y2] + [arrs[i].grad for i in (0, 1, 2)])
    for a, b in zip(*res):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-10, atol=1e-12)
    assert f.trace_count == 1                  # record and train_mode share the training-mode graph


@pytest.mark.parametrize("op", list(OPS))
def test_gpu_matches_cpu_train_mode(op):
    if mx.num_gpus() == 0:
        pytest.skip("no GPU and no simulator")
    xs = _inputs((4, 3, 5))
    out = {}
    for dev in (mx.cpu(), mx.gpu(0)):
        arrs = [nd.array(a, ctx=dev) for a in xs]
        arrs[0].attach_grad()
        with autograd.record():
            y = _call(op, arrs, fix_gamma=False)
        y.backward(nd.array(np.linspace(-1, 1, 60).reshape(4, 3, 5), ctx=dev))
        out[dev.device_type] = [y.asnumpy(), arrs[3].asnumpy(), arrs[4].asnumpy(), arrs[0].grad.asnumpy()]
    for a, b in zip(out["cpu"], out["gpu"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,axis", [((300, 260), 1), ((64, 300, 4), 1), ((2, 5, 70000), 1),
                                        ((130000,), 0), ((4, 2, 9000), 2), ((70000, 2), 1)])
@pytest.mark.parametrize("relu", [False, True])
def test_cpu_kernel_paths_match_array_api_body(shape, axis, relu):
    """The Numba kernel (serial/parallel, per-channel and channels-last) == the array-API body, also with
    a mean large against the spread (the shifted one-pass variance)."""
    from hybridnet.kernels.cpu.norm import _forward
    from hybridnet.kernels.generic.norm import batch_norm
    for loc in (0.0, 1000.0):
        xs = _inputs(shape, axis, np.float32, loc=loc)
        kw = dict(eps=1e-5, momentum=0.9, fix_gamma=False, use_global_stats=False, axis=axis)
        with autograd.train_mode():
            got = _forward(*xs, relu=relu, out=None, **kw)
            want = batch_norm(*xs, relu=relu, **kw)
            ref = bn_reference(*xs, train=True, states=True, output_mean_var=True, relu=relu, **kw)
        for g, w, r in zip(got, want, ref):
            np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-4)
            np.testing.assert_allclose(g, r, rtol=2e-4, atol=2e-4)


def test_kernel_writes_into_out_tuple():
    from hybridnet.kernels.cpu.norm import _forward
    xs = _inputs((3, 4, 5))
    outs = (np.empty((3, 4, 5), np.float32),) + tuple(np.empty(4, np.float32) for _ in range(4)) + \
        (np.empty(1, np.float32),)
    with autograd.train_mode():
        r = _forward(*xs, 1e-3, 0.9, False, False, 1, False, outs)
    assert all(a is b for a, b in zip(r, outs))
    want = bn_reference(*xs, train=True, states=True, output_mean_var=True, fix_gamma=False)
    for g, w in zip(outs, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    assert outs[5][0] == 1


def test_symbol_api():
    s = mx.sym.BatchNorm(mx.sym.var("data"), name="bn")
    assert s.list_outputs() == ["bn_output"]
    assert s.list_arguments() == ["data", "bn_gamma", "bn_beta"]
    assert s.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    s3 = mx.sym.BatchNorm(mx.sym.var("data"), name="bn", output_mean_var=True)
    assert s3.list_outputs() == ["bn_output", "bn_mean", "bn_var"]
    arg, out, aux = mx.sym.BatchNorm(mx.sym.var("data"), name="bn", axis=-1).infer_shape(data=(2, 3, 4))
    assert arg == [(2, 3, 4), (4,), (4,)] and out == [(2, 3, 4)] and aux == [(4,), (4,)]
    # attributes as MXNet 1.9.1 writes them (oracle: the node's attrs for these kwargs)
    s = mx.sym.BatchNorm(mx.sym.var("data"), name="bn", eps=1e-5, momentum=0.9, fix_gamma=False, axis=-1,
                         min_calib_range=0.5)
    node = [n for n in __import__("json").loads(s.tojson())["nodes"] if n["op"] == "BatchNorm"][0]
    assert node["attrs"] == {"axis": "-1", "eps": "1e-05", "fix_gamma": "False", "min_calib_range": "0.5",
                             "momentum": "0.9"}
    assert node["inputs"] == [[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 1], [4, 0, 1]]


def test_symbol_executor_train_and_predict():
    s = mx.sym.BatchNorm(mx.sym.var("data"), name="bn", fix_gamma=False)
    xs = _inputs((4, 3))
    ex = s.bind(mx.cpu(), {"data": nd.array(xs[0]), "bn_gamma": nd.array(xs[1]), "bn_beta": nd.array(xs[2])},
                aux_states={"bn_moving_mean": nd.array(xs[3]), "bn_moving_var": nd.array(xs[4])})
    y = ex.forward(is_train=False)[0]
    np.testing.assert_allclose(y.asnumpy(), bn_reference(*xs, fix_gamma=False), rtol=1e-5, atol=1e-6)
    y = ex.forward(is_train=True)[0]
    np.testing.assert_allclose(y.asnumpy(), bn_reference(*xs, fix_gamma=False, train=True), rtol=1e-5, atol=1e-5)
