"""The fused update kernels (CPU Numba and CUDA, the latter in the simulator without a GPU) against the
scalar rules run element by element in Python, for every rule; mixed precision, float16, float64,
non-contiguous arrays; and the update ops as nd functions."""
import inspect

import numpy as np
import pytest

import hybridnet as mx
from hybridnet.kernels import kernel_for
from hybridnet.kernels.cpu import optim as C
from hybridnet.optimizer.update_ops import UPDATE_OPS

RNG = np.random.default_rng(7)

# per rule: parameters (positional after the arrays) and whether states must stay positive
PARAMS = {
    "sgd": (0.1, 0.01, 0.5, 0.3, 1.0), "multi_sgd": (0.1, 0.01, 0.5, -1.0),
    "sgd_mom": (0.1, 0.9, 0.01, 1.0, 0.5), "nag_mom": (0.1, 0.9, 0.01, 1.0, -1.0, 1.0, False),
    "adam": (0.01, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.01, 1.0, 0.5),
    "adamw": (0.01, 1.0, 0.9, 0.1, 0.999, 0.001, 1e-6, 0.1, 0.5, -1.0),
    "rmsprop": (0.01, 0.9, 0.1, 1e-8, 0.01, 1.0, 0.5, 0.8),
    "rmspropalex": (0.01, 0.9, 0.1, 0.9, 1e-8, 0.01, 1.0, -1.0, -1.0),
    "ftrl": (0.1, 0.01, 1.0, 0.01, 1.0, 0.5), "ftml": (0.01, 0.6, 0.4, 0.999, 0.001, 0.784, 0.002997, 1e-8,
                                                       0.01, 1.0, -1.0),
    "signsgd": (0.01, 0.01, 1.0), "signum": (0.01, 0.9, 0.1, 0.01, 1.0, 0.5, 0.01, 1.0),
    "lamb1": (0.9, 0.1, 0.999, 0.001, 0.19, 0.002, 1e-6, 0.01, 1.0, 0.5, True), "lamb2": (0.01,),
    "adagrad": (0.1, 0.01, 1.0, 0.5, 1e-7), "adadelta": (0.9, 0.1, 1e-5, 0.01, 1.0, -1.0),
}
POSITIVE = {"rmsprop": (0,), "rmspropalex": (0,), "ftrl": (1,), "ftml": (0, 1), "adam": (1,), "adamw": (1,),
            "lamb1": (1,), "adagrad": (0,), "adadelta": (0, 1)}


def _arrays(name, n, dtype):
    ns = C.SPECS[name][1]
    w = RNG.uniform(-1, 1, n).astype(dtype)
    g = RNG.uniform(-2, 2, n).astype(dtype)
    states = []
    for k in range(ns):
        s = RNG.uniform(-0.5, 0.5, n).astype(dtype)
        if k in POSITIVE.get(name, ()):
            s = np.abs(s) + dtype(0.1)
        if name == "rmspropalex" and k == 1:
            s = s * dtype(0.1)      # keep n - g^2 positive
        states.append(s)
    return w, g, states


def reference(name, w, g, states, params):
    """The rule run element by element on NumPy scalars of the compute dtype."""
    rule = C.RULES[name]
    ct = np.float32 if w.dtype == np.float16 else w.dtype.type
    p = [v if isinstance(v, bool) else ct(np.float32(v)) for v in params]
    out = np.empty(w.shape, np.float64)
    new_states = [np.empty(s.shape, np.float64) for s in states]
    for i in range(w.size):
        r = rule(ct(w[i]), ct(g[i]), *[ct(s[i]) for s in states], *p)
        out[i] = r[0]
        for k, s in enumerate(new_states):
            s[i] = r[k + 1]
    return out, new_states


@pytest.mark.parametrize("name", sorted(C.SPECS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_cpu_kernel_equals_rule(name, dtype):
    rule = C.RULES[name]
    assert len(inspect.signature(rule).parameters) == 2 + C.SPECS[name][1] + len(PARAMS[name])
    w, g, states = _arrays(name, 37, dtype)
    ref_w, ref_states = reference(name, w, g, states, PARAMS[name])
    out = C.run_rule(name, w, g, states, PARAMS[name])
    tol = 2e-3 if dtype == np.float16 else 1e-6
    np.testing.assert_allclose(out.astype(np.float64), ref_w, rtol=tol, atol=tol)
    for s, r in zip(states, ref_states):
        np.testing.assert_allclose(s.astype(np.float64), r, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(C.SPECS))
def test_cuda_kernel_equals_cpu(name):
    if mx.num_gpus() == 0:
        pytest.skip("no GPU and no simulator")
    from hybridnet.kernels.cuda import optim as G
    w, g, states = _arrays(name, 45, np.float32)
    s_cpu = [s.copy() for s in states]
    out_cpu = C.run_rule(name, w, g, s_cpu, PARAMS[name])
    dev = mx.gpu(0)
    from hybridnet.kernels import backend
    dw, dg = backend.to_device(w, dev), backend.to_device(g, dev)
    ds = [backend.to_device(s.copy(), dev) for s in states]
    out = G.run_rule_gpu(name, dw, dg, ds, PARAMS[name])
    np.testing.assert_allclose(backend.to_host(out), out_cpu, rtol=2e-6, atol=1e-7)
    for a, b in zip(ds, s_cpu):
        np.testing.assert_allclose(backend.to_host(a), b, rtol=2e-6, atol=1e-7)


def test_non_contiguous_and_in_place():
    w, g, (m,) = _arrays("sgd_mom", 40, np.float32)
    W = np.zeros((40, 2), np.float32)
    W[:, 0] = w
    M = np.zeros((40, 2), np.float32)
    M[:, 1] = m
    wv, mv = W[:, 0], M[:, 1]               # strided views, updated in place
    ref_w, (ref_m,) = reference("sgd_mom", w, g, [m], PARAMS["sgd_mom"])
    C.run_rule("sgd_mom", wv, g[::-1][::-1], [mv], PARAMS["sgd_mom"], out=wv)
    np.testing.assert_allclose(W[:, 0], ref_w, rtol=1e-6)
    np.testing.assert_allclose(M[:, 1], ref_m, rtol=1e-6)
    assert not W[:, 1].any() and not M[:, 0].any()


def test_mixed_precision_kernels(device):
    """mp_sgd_mom_update: float16 weight and gradient, float32 momentum and master copy."""
    w32 = RNG.uniform(-1, 1, 33).astype(np.float32)
    g = RNG.uniform(-1, 1, 33).astype(np.float16)
    m = np.zeros(33, np.float32)
    ref_w, (ref_m,) = reference("sgd_mom", w32, g.astype(np.float32), [m], PARAMS["sgd_mom"][:5])
    lr, mom, wd, rs, cg = PARAMS["sgd_mom"]
    W = mx.nd.array(w32, ctx=device, dtype="float16")
    W32, M = mx.nd.array(w32, ctx=device), mx.nd.zeros((33,), ctx=device)
    mx.nd.mp_sgd_mom_update(W, mx.nd.array(g, ctx=device, dtype="float16"), M, W32, lr=lr, momentum=mom, wd=wd,
                            rescale_grad=rs, clip_gradient=cg, out=W)
    np.testing.assert_allclose(W32.asnumpy(), ref_w, rtol=1e-6)
    np.testing.assert_allclose(M.asnumpy(), ref_m, rtol=1e-6)
    assert W.dtype == np.float16
    np.testing.assert_array_equal(W.asnumpy(), ref_w.astype(np.float32).astype(np.float16))


def test_update_ops_are_mxnets_and_errors(device):
    w = mx.nd.array([1.0, 2.0], ctx=device)
    g = mx.nd.array([0.5, -0.5], ctx=device)
    m, v = mx.nd.zeros((2,), ctx=device), mx.nd.zeros((2,), ctx=device)
    out = mx.nd.adam_update(w, g, m, v, lr=0.1)
    assert out is not w and np.allclose(w.asnumpy(), [1.0, 2.0])       # a new array without out=
    step = 0.1 * 0.05 / (np.sqrt(0.001 * 0.25) + 1e-8)
    np.testing.assert_allclose(out.asnumpy(), [1.0 - step, 2.0 + step], rtol=1e-5)
    np.testing.assert_allclose(m.asnumpy(), [0.05, -0.05], rtol=1e-6)    # states updated in place
    with pytest.raises(mx.errors.ShapeError, match="sgd_mom_update"):
        mx.nd.sgd_mom_update(w, g, mx.nd.zeros((3,), ctx=device), lr=0.1)
    with pytest.raises(mx.errors.DTypeError, match="float32"):
        mx.nd.mp_sgd_update(w.astype("float16"), g.astype("float16"), mx.nd.zeros((2,), ctx=device,
                                                                                 dtype="float16"), lr=0.1)
    with pytest.raises(mx.errors.AttrError):
        mx.nd.sgd_update(w, g)                       # lr is required
    assert not hasattr(mx.nd, "_optim_adagrad")      # internal fused forms stay out of nd
    for op in UPDATE_OPS.values():
        assert kernel_for(op, device) is not None


def test_optimizer_rejects_bad_gradient():
    opt = mx.optimizer.SGD(learning_rate=0.1)
    with pytest.raises(mx.errors.ShapeError, match="gradient shape"):
        opt.update(0, mx.nd.zeros((2, 3)), mx.nd.zeros((3, 2)), None)
